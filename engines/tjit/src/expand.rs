//! The expansion engine: one function's wasm operators to machine code by
//! copying templates and patching their holes. No instruction is
//! assembled here, and no IR is involved: the operators are read straight
//! from the module with wasmparser, so a bug in the register-IR translator
//! cannot hide behind agreement with the interpreter.
//!
//! # Frame and operand stack
//!
//! The frame is the interpreter's calling convention (`wasmlab_native`
//! crate docs): local `i` is slot `i`; operand-stack position `p` has its
//! home slot `num_locals + p`. The compiler keeps a *virtual* stack of
//! where each operand is now ([`Opd`]): in `rax` (at most one, the result
//! of the last operation), in a slot (its home slot, or a local's slot for
//! a `local.get` not yet copied), a constant not yet written, or the
//! flags of a comparison not yet turned into a boolean. Templates are
//! picked by operand kind (`.rs`: register and slot, `.ri`: register and
//! immediate), so `local.get; i32.const; i32.add` costs one
//! `mov` + `add` and a comparison feeding `br_if` is one `cmp` + `jcc`.
//!
//! At every point where control merges (block ends that something
//! branches to, loop headers, `if`/`else`) operands are in their home
//! slots: every path agrees on where values are.

use wasmlab_contract::{Error, Result, Trap};
use wasmlab_regir::LoopCounter;
use wasmlab_runtime::{ModuleInfo, trap_code};
use wasmparser::{BlockType, Operator as O};

use crate::template::{self, Kind, PatchError, id};

/// Runtime functions the code calls (addresses baked in).
#[derive(Clone, Copy, Debug)]
pub struct Host {
    pub call_ref: usize,
    pub call_defined: usize,
}

/// Faults a test injects into the compiler, each of which must end in a
/// fallback to the interpreter (or, for the planted wrong code, in a
/// finding of the differential campaign).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `i32.mul` has no template.
    NoTemplate,
    /// The first patch point is written past the end of the code.
    PatchOutOfRange,
    /// The first patched branch is sent one byte past its target.
    BadBranch,
    /// The recorded checksum does not match the published bytes.
    Checksum,
    /// Wrong code, for campaign tests: `i32.add` and `i32.xor` results
    /// whose low byte is 0x5a come out one too high.
    I32AddLowByte,
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub fuel: bool,
    pub host: Host,
    pub fault: Option<Fault>,
    /// Functions with more operators are refused (`ResourceLimit`).
    pub max_ops: usize,
    /// Emit on-stack-replacement entries at enterable loops.
    pub osr: bool,
    /// The code cache's recency counter of this function, counted at
    /// every entry.
    pub touch: Option<usize>,
}

/// One function's code before it is published.
#[derive(Debug, Default)]
pub struct Expanded {
    pub code: Vec<u8>,
    /// Where each copied template starts (in order) and which it is.
    pub pieces: Vec<(u32, u16)>,
    /// Byte ranges holding data (jump tables), not instructions.
    pub data: Vec<(u32, u32)>,
    /// Every patched branch or rip-relative field: its offset and the
    /// target it was patched with; and every jump-table entry's target.
    pub branches: Vec<(u32, u32)>,
    /// On-stack-replacement entries: loop ordinal (see
    /// `wasmlab_regir::LoopHead`) and code offset.
    pub osr: Vec<(u32, u32)>,
    /// Wasm body bytes compiled.
    pub wasm_bytes: usize,
}

/// The compile failures that are the compiler's, as opposed to the
/// module's (a fallback reason each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    NoTemplate(String),
    Patch(String),
    TooLarge(usize),
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        match r {
            Refusal::NoTemplate(op) => Error::Unsupported(format!("tjit has no template for {op}")),
            Refusal::Patch(e) => Error::Internal(format!("tjit patch failed: {e}")),
            Refusal::TooLarge(n) => Error::ResourceLimit(format!("function of {n} operators is over tjit's limit")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opd {
    /// In `rax`.
    R,
    /// In slot `n`.
    S(u32),
    /// A constant, raw slot encoding.
    I(u64),
    /// The flags of a comparison: true when condition `Cc` holds.
    F(Cc),
    /// In `xmm0` (a float; f32 with bits 32.. zero, like a slot).
    X,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cc {
    E,
    Ne,
    L,
    Le,
    G,
    Ge,
    B,
    Be,
    A,
    Ae,
}

impl Cc {
    fn not(self) -> Cc {
        use Cc::*;
        match self {
            E => Ne,
            Ne => E,
            L => Ge,
            Ge => L,
            Le => G,
            G => Le,
            B => Ae,
            Ae => B,
            Be => A,
            A => Be,
        }
    }
    /// The condition with the operands swapped.
    fn swap(self) -> Cc {
        use Cc::*;
        match self {
            E | Ne => self,
            L => G,
            G => L,
            Le => Ge,
            Ge => Le,
            B => A,
            A => B,
            Be => Ae,
            Ae => Be,
        }
    }
    fn set(self) -> u16 {
        use Cc::*;
        match self {
            E => id::SET_E,
            Ne => id::SET_NE,
            L => id::SET_L,
            Le => id::SET_LE,
            G => id::SET_G,
            Ge => id::SET_GE,
            B => id::SET_B,
            Be => id::SET_BE,
            A => id::SET_A,
            Ae => id::SET_AE,
        }
    }
    fn jump(self) -> u16 {
        use Cc::*;
        match self {
            E => id::J_E,
            Ne => id::J_NE,
            L => id::J_L,
            Le => id::J_LE,
            G => id::J_G,
            Ge => id::J_GE,
            B => id::J_B,
            Be => id::J_BE,
            A => id::J_A,
            Ae => id::J_AE,
        }
    }
}

type Label = u32;

/// A hole's value: a number, or a label resolved at the end.
#[derive(Clone, Copy)]
enum H {
    V(i128),
    L(Label),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kd {
    Func,
    Block,
    Loop,
    If,
    Else,
}

struct Ctl {
    kind: Kd,
    /// Operand-stack height below the block's parameters.
    height: usize,
    nparams: usize,
    nresults: usize,
    /// Loop: the header; otherwise the end.
    label: Label,
    /// An `if`'s jump to its `else` (bound at `else`, or at `end`).
    else_label: Option<Label>,
    /// Something branches to `label` (an end nobody jumps to needs no
    /// merge).
    targeted: bool,
}

/// A binary operator's templates.
#[derive(Clone, Copy)]
struct Bin {
    rs: u16,
    ri: Option<u16>,
    commutes: bool,
    wide: bool,
    shift: bool,
    /// Trap holes after the slot: divide by zero, then overflow.
    traps: u8,
}

const fn bin(rs: u16, ri: u16, commutes: bool, wide: bool) -> Bin {
    Bin { rs, ri: Some(ri), commutes, wide, shift: false, traps: 0 }
}
const fn shift(rs: u16, ri: u16, wide: bool) -> Bin {
    Bin { rs, ri: Some(ri), commutes: false, wide, shift: true, traps: 0 }
}
const fn slot_only(rs: u16, wide: bool) -> Bin {
    Bin { rs, ri: None, commutes: false, wide, shift: false, traps: 0 }
}
const fn div(rs: u16, wide: bool, traps: u8) -> Bin {
    Bin { rs, ri: None, commutes: false, wide, shift: false, traps }
}

struct Ex<'a> {
    info: &'a ModuleInfo,
    opts: &'a Options,
    out: Expanded,
    nl: u32,
    stack: Vec<Opd>,
    max_height: usize,
    ctls: Vec<Ctl>,
    labels: Vec<Option<u32>>,
    fixups: Vec<(u32, Label)>,
    traps: Vec<(Trap, Label)>,
    exit: Label,
    trapped: Label,
    /// Positions of the frame-size holes (patched once the deepest stack
    /// is known).
    frame_holes: Vec<u32>,
    tables: Vec<(Label, Vec<Label>)>,
    /// The constant pool: values float operations read (rip-relative).
    consts: Vec<(u64, Label)>,
    osr_loops: Vec<(u32, Label)>,
    /// Unreachable code skipped and `loop` operators counted as regir
    /// counts them (the OSR ordinals must agree).
    counter: LoopCounter,
    unreachable: bool,
}

type Res = std::result::Result<(), Refusal>;

/// Compiles defined function `index` of `info` (whose bytes are `wasm`).
pub fn function(info: &ModuleInfo, wasm: &[u8], index: usize, opts: &Options) -> Result<Expanded> {
    let ty = info.func_type(info.num_imported_funcs + index as u32);
    let body = info.body(wasm, index);
    let (np, nr) = (ty.params.len(), ty.results.len());
    let mut nl = np as u64;
    for l in body.get_locals_reader()? {
        let (n, _) = l?;
        nl += n as u64;
    }
    if nl > 1 << 20 {
        return Err(Refusal::TooLarge(nl as usize).into());
    }
    let mut ex = Ex {
        info,
        opts,
        out: Expanded::default(),
        nl: nl as u32,
        stack: Vec::new(),
        max_height: 0,
        ctls: Vec::new(),
        labels: Vec::new(),
        fixups: Vec::new(),
        traps: Vec::new(),
        exit: 0,
        trapped: 0,
        frame_holes: Vec::new(),
        tables: Vec::new(),
        consts: Vec::new(),
        osr_loops: Vec::new(),
        counter: LoopCounter::default(),
        unreachable: false,
    };
    ex.exit = ex.label();
    ex.trapped = ex.label();
    let end = ex.label();
    ex.ctls.push(Ctl {
        kind: Kd::Func,
        height: 0,
        nparams: 0,
        nresults: nr,
        label: end,
        else_label: None,
        targeted: false,
    });
    ex.prologue(np as u32)?;
    let range = info.bodies[index].clone();
    ex.out.wasm_bytes = range.len();
    // About four bytes of code and one template per byte of wasm.
    ex.out.code.reserve(range.len() * 5 + 256);
    ex.out.pieces.reserve(range.len() + 16);
    let mut ops = body.get_operators_reader()?;
    let mut n = 0usize;
    while !ops.eof() {
        let op = ops.read()?;
        n += 1;
        if n > opts.max_ops {
            return Err(Refusal::TooLarge(n).into());
        }
        ex.op(op)?;
    }
    ex.trailer()?;
    Ok(ex.out)
}

impl Ex<'_> {
    fn label(&mut self) -> Label {
        self.labels.push(None);
        (self.labels.len() - 1) as Label
    }

    fn bind(&mut self, l: Label) {
        self.labels[l as usize] = Some(self.out.code.len() as u32);
    }

    fn here(&self) -> u32 {
        self.out.code.len() as u32
    }

    /// Copies template `t` and patches its holes with `vals`.
    fn put(&mut self, t: u16, vals: &[H]) -> Res {
        let tpl = template::get(t);
        debug_assert_eq!(vals.len(), tpl.holes as usize, "{}", tpl.name);
        let start = self.out.code.len();
        self.out.pieces.push((start as u32, t));
        self.out.code.extend_from_slice(tpl.bytes);
        for p in tpl.patches {
            let mut at = start + p.offset as usize;
            if self.opts.fault == Some(Fault::PatchOutOfRange) && self.out.pieces.len() > 1 {
                at = self.out.code.len() + 1;
            }
            match vals.get(p.hole as usize) {
                Some(H::V(v)) => template::patch(&mut self.out.code, at, p.kind, *v).map_err(patch_err)?,
                Some(H::L(l)) if p.kind == Kind::Rel32 => self.fixups.push((at as u32, *l)),
                _ => return Err(Refusal::Patch(format!("template {} hole {} has no value", tpl.name, p.hole))),
            }
        }
        Ok(())
    }

    fn slot(&self, s: u32) -> H {
        H::V(s as i128 * 8)
    }

    fn home(&self, pos: usize) -> u32 {
        self.nl + pos as u32
    }

    fn push(&mut self, o: Opd) {
        self.stack.push(o);
        self.max_height = self.max_height.max(self.stack.len());
    }

    fn pop(&mut self) -> Opd {
        // Validated code never pops an empty stack where it is reachable.
        self.stack.pop().unwrap_or(Opd::I(0))
    }

    fn trap_label(&mut self, t: Trap) -> Label {
        if let Some(&(_, l)) = self.traps.iter().find(|(x, _)| *x == t) {
            return l;
        }
        let l = self.label();
        self.traps.push((t, l));
        l
    }

    fn prologue(&mut self, np: u32) -> Res {
        let so = self.trap_label(Trap::StackOverflow);
        self.frame_holes.push(self.here());
        self.put(id::ENTER, &[H::V(0), H::L(so)])?;
        if self.opts.fuel {
            let of = self.trap_label(Trap::OutOfFuel);
            self.put(id::FUEL, &[H::L(of)])?;
        }
        if let Some(c) = self.opts.touch {
            self.put(id::TOUCH, &[H::V(c as i128)])?;
        }
        let n = self.nl - np;
        if n > 8 {
            self.put(id::ZERO_SLOTS, &[self.slot(np), H::V(n as i128)])?;
        } else {
            for k in np..self.nl {
                self.put(id::ZERO_SLOT, &[self.slot(k)])?;
            }
        }
        Ok(())
    }

    /// Trap stubs, the exits, on-stack-replacement entries and jump
    /// tables; then labels are resolved and the frame size patched.
    fn trailer(&mut self) -> Res {
        for (t, l) in std::mem::take(&mut self.traps) {
            self.bind(l);
            self.put(id::TRAP, &[H::V(trap_code(t) as i128), H::L(self.exit)])?;
        }
        self.bind(self.trapped);
        self.put(id::TRAPPED, &[H::L(self.exit)])?;
        self.bind(self.exit);
        self.put(id::EXIT, &[])?;
        if !self.osr_loops.is_empty() {
            let so = self.trap_label(Trap::StackOverflow);
            for (ordinal, header) in std::mem::take(&mut self.osr_loops) {
                self.out.osr.push((ordinal, self.here()));
                self.frame_holes.push(self.here());
                self.put(id::ENTER, &[H::V(0), H::L(so)])?;
                self.put(id::JMP, &[H::L(header)])?;
            }
            // The stack-overflow stub, again, if it was only made now.
            for (t, l) in std::mem::take(&mut self.traps) {
                self.bind(l);
                self.put(id::TRAP, &[H::V(trap_code(t) as i128), H::L(self.exit)])?;
            }
        }
        let mut tables: Vec<Label> = Vec::new();
        if !self.consts.is_empty() {
            while !self.out.code.len().is_multiple_of(8) {
                self.out.code.push(0xcc);
            }
            let base = self.here();
            for (v, l) in std::mem::take(&mut self.consts) {
                self.bind(l);
                tables.push(l);
                self.out.code.extend_from_slice(&v.to_le_bytes());
            }
            self.out.data.push((base, self.here()));
        }
        for (table, entries) in std::mem::take(&mut self.tables) {
            tables.push(table);
            while !self.out.code.len().is_multiple_of(4) {
                self.out.code.push(0xcc);
            }
            let base = self.here();
            self.out.data.push((base, base + 4 * entries.len() as u32));
            self.labels[table as usize] = Some(base);
            for l in entries {
                let target =
                    self.labels[l as usize].ok_or_else(|| Refusal::Patch("unbound jump-table target".into()))?;
                self.out.code.extend_from_slice(&(target as i32 - base as i32).to_le_bytes());
                self.out.branches.push((self.out.code.len() as u32 - 4, target));
            }
        }
        // Frame bytes: locals and the deepest operand stack, and at least
        // the result slots.
        let ty = self.ctls.first().map_or(0, |c| c.nresults);
        let frame = (self.nl as usize + self.max_height).max(ty).max(1) as i128 * 8;
        let enter = template::get(id::ENTER);
        for at in std::mem::take(&mut self.frame_holes) {
            for p in enter.patches.iter().filter(|p| p.kind == Kind::Disp32) {
                template::patch(&mut self.out.code, at as usize + p.offset as usize, p.kind, frame)
                    .map_err(patch_err)?;
            }
        }
        let mut first = true;
        for (at, l) in std::mem::take(&mut self.fixups) {
            let mut target =
                self.labels[l as usize].ok_or_else(|| Refusal::Patch(format!("label {l} never bound")))? as i128;
            if first && self.opts.fault == Some(Fault::BadBranch) {
                target += 1;
            }
            first = false;
            template::patch(&mut self.out.code, at as usize, Kind::Rel32, target).map_err(patch_err)?;
            // A jump table's address is data, checked as such; branches
            // must land on templates.
            if !tables.contains(&l) {
                self.out.branches.push((at, target as u32));
            }
        }
        Ok(())
    }

    // ---- operands ----

    /// The entry in a register (rax or xmm0; at most one is).
    fn r_index(&self) -> Option<usize> {
        self.stack.iter().rposition(|o| matches!(o, Opd::R | Opd::X))
    }

    /// Writes entry `i` to its home slot.
    fn materialize(&mut self, i: usize) -> Res {
        let home = self.home(i);
        match self.stack[i] {
            Opd::R => self.put(id::SPILL, &[self.slot(home)])?,
            Opd::X => self.put(id::SPILL_X, &[self.slot(home)])?,
            Opd::I(v) => self.store_const(home, v)?,
            Opd::S(s) if s != home => self.put(id::COPY, &[self.slot(s), self.slot(home)])?,
            Opd::F(cc) => {
                self.put(cc.set(), &[])?;
                self.put(id::SPILL, &[self.slot(home)])?;
            }
            Opd::S(_) => return Ok(()),
        }
        self.stack[i] = Opd::S(home);
        Ok(())
    }

    /// Frees `rax`: the entry it holds goes to its home slot.
    fn spill_r(&mut self) -> Res {
        match self.r_index() {
            Some(i) => self.materialize(i),
            None => Ok(()),
        }
    }

    fn store_const(&mut self, slot: u32, v: u64) -> Res {
        if (v as i64) >= i32::MIN as i64 && (v as i64) <= i32::MAX as i64 {
            self.put(id::STORE_I32, &[self.slot(slot), H::V(v as i64 as i128)])
        } else {
            self.put(id::STORE_I64, &[self.slot(slot), H::V(v as i128)])
        }
    }

    /// Puts popped operand `o` in `rax` (freeing it first).
    fn put_in_rax(&mut self, o: Opd) -> Res {
        match o {
            Opd::R => Ok(()),
            Opd::X => self.put(id::X_TO_R, &[]),
            Opd::F(cc) => self.put(cc.set(), &[]),
            Opd::S(s) => {
                self.spill_r()?;
                self.put(id::LOAD_R_S, &[self.slot(s)])
            }
            Opd::I(v) => {
                self.spill_r()?;
                if v <= u32::MAX as u64 {
                    self.put(id::LOAD_R_I32, &[H::V(v as i128)])
                } else {
                    self.put(id::LOAD_R_I64, &[H::V(v as i128)])
                }
            }
        }
    }

    /// Puts popped operand `o` (which was at stack position `pos`) in a
    /// slot: where it is, or its home.
    fn put_in_slot(&mut self, o: Opd, pos: usize) -> std::result::Result<u32, Refusal> {
        match o {
            Opd::S(s) => Ok(s),
            Opd::X => {
                self.put(id::SPILL_X, &[self.slot(self.home(pos))])?;
                Ok(self.home(pos))
            }
            Opd::R => {
                self.put(id::SPILL, &[self.slot(self.home(pos))])?;
                Ok(self.home(pos))
            }
            Opd::I(v) => {
                self.store_const(self.home(pos), v)?;
                Ok(self.home(pos))
            }
            Opd::F(cc) => {
                self.put(cc.set(), &[])?;
                self.put(id::SPILL, &[self.slot(self.home(pos))])?;
                Ok(self.home(pos))
            }
        }
    }

    /// Every operand in its home slot, except constants below `from`
    /// (which no path can change).
    fn settle(&mut self, from: usize) -> Res {
        for i in 0..self.stack.len() {
            match self.stack[i] {
                Opd::I(_) if i < from => {}
                _ => self.materialize(i)?,
            }
        }
        Ok(())
    }

    /// Before local `j` changes: operands still reading it are copied.
    fn detach_local(&mut self, j: u32) -> Res {
        for i in 0..self.stack.len() {
            if self.stack[i] == Opd::S(j) {
                self.materialize(i)?;
            }
        }
        Ok(())
    }

    // ---- control ----

    fn block_type(&self, bt: BlockType) -> (usize, usize) {
        match bt {
            BlockType::Empty => (0, 0),
            BlockType::Type(_) => (0, 1),
            BlockType::FuncType(t) => {
                let ty = &self.info.types[t as usize];
                (ty.params.len(), ty.results.len())
            }
        }
    }

    /// Branch arity and destination slot of control frame `depth` (0 =
    /// innermost).
    fn target(&self, depth: u32) -> (usize, usize, u32) {
        let ci = self.ctls.len() - 1 - depth as usize;
        let c = &self.ctls[ci];
        let n = if c.kind == Kd::Loop { c.nparams } else { c.nresults };
        let dst = if c.kind == Kd::Func { 0 } else { self.nl + c.height as u32 };
        (ci, n, dst)
    }

    /// Whether the top `n` operands are already at `dst..`.
    fn in_place(&self, n: usize, dst: u32) -> bool {
        let h = self.stack.len();
        (0..n).all(|k| self.stack[h - n + k] == Opd::S(dst + k as u32))
    }

    /// Copies the top `n` operands to slots `dst..` (leaving the virtual
    /// stack as it is: the code may run on one path only).
    fn transfer(&mut self, n: usize, dst: u32) -> Res {
        let h = self.stack.len();
        let mut src: Vec<Opd> = self.stack[h - n..].to_vec();
        if dst < self.nl && n > 1 {
            // Writing result k may overwrite a local a later result still
            // reads: such reads go through their home slot first (free:
            // nothing else uses an operand's home while it reads a local).
            for (k, o) in src.iter_mut().enumerate() {
                if let Opd::S(j) = *o
                    && j < self.nl
                    && j >= dst
                    && j < dst + n as u32
                {
                    let home = self.home(h - n + k);
                    self.put(id::COPY, &[self.slot(j), self.slot(home)])?;
                    *o = Opd::S(home);
                }
            }
        }
        for (k, o) in src.into_iter().enumerate() {
            let to = dst + k as u32;
            match o {
                Opd::R => self.put(id::SPILL, &[self.slot(to)])?,
                Opd::X => self.put(id::SPILL_X, &[self.slot(to)])?,
                Opd::I(v) => self.store_const(to, v)?,
                Opd::S(s) if s != to => self.put(id::COPY, &[self.slot(s), self.slot(to)])?,
                Opd::S(_) => {}
                Opd::F(cc) => {
                    self.put(cc.set(), &[])?;
                    self.put(id::SPILL, &[self.slot(to)])?;
                }
            }
        }
        Ok(())
    }

    /// The jump of a taken branch to control frame `ci` (values already
    /// transferred).
    fn jump_to(&mut self, ci: usize) -> Res {
        self.ctls[ci].targeted = true;
        match self.ctls[ci].kind {
            Kd::Func => self.put(id::RETURN, &[]),
            Kd::Loop => {
                if self.opts.fuel {
                    let of = self.trap_label(Trap::OutOfFuel);
                    self.put(id::FUEL, &[H::L(of)])?;
                }
                let l = self.ctls[ci].label;
                self.put(id::JMP, &[H::L(l)])
            }
            _ => {
                let l = self.ctls[ci].label;
                self.put(id::JMP, &[H::L(l)])
            }
        }
    }

    /// A branch that needs nothing but the jump (values in place, no
    /// fuel, not a return).
    fn direct(&self, ci: usize, n: usize, dst: u32) -> bool {
        let c = &self.ctls[ci];
        c.kind != Kd::Func && !(c.kind == Kd::Loop && self.opts.fuel) && self.in_place(n, dst)
    }

    /// Tests popped condition `c`: the condition under which it is true.
    fn condition(&mut self, c: Opd) -> std::result::Result<Cc, Refusal> {
        Ok(match c {
            Opd::F(cc) => cc,
            Opd::R => {
                self.put(id::I32_TEST, &[])?;
                Cc::Ne
            }
            Opd::S(s) => {
                self.put(id::I32_TEST_S, &[self.slot(s)])?;
                Cc::Ne
            }
            Opd::X => return Err(Refusal::Patch("a float as a condition".into())),
            Opd::I(v) => {
                // A constant condition: compare a known register with itself.
                self.spill_r()?;
                self.put(id::LOAD_R_I32, &[H::V(v as u32 as i128)])?;
                self.put(id::I32_TEST, &[])?;
                Cc::Ne
            }
        })
    }

    fn br(&mut self, depth: u32) -> Res {
        let (ci, n, dst) = self.target(depth);
        self.transfer(n, dst)?;
        self.jump_to(ci)?;
        self.unreachable = true;
        Ok(())
    }

    fn br_if(&mut self, depth: u32) -> Res {
        let c = self.pop();
        let (ci, n, dst) = self.target(depth);
        let cc = self.condition(c)?;
        if self.direct(ci, n, dst) {
            self.ctls[ci].targeted = true;
            let l = self.ctls[ci].label;
            return self.put(cc.jump(), &[H::L(l)]);
        }
        let skip = self.label();
        self.put(cc.not().jump(), &[H::L(skip)])?;
        self.transfer(n, dst)?;
        self.jump_to(ci)?;
        self.bind(skip);
        Ok(())
    }

    fn br_table(&mut self, targets: &wasmparser::BrTable<'_>) -> Res {
        let index = self.pop();
        self.put_in_rax(index)?;
        let mut depths: Vec<u32> = Vec::new();
        for t in targets.targets() {
            depths.push(t.map_err(|e| Refusal::NoTemplate(format!("br_table: {e}")))?);
        }
        depths.push(targets.default());
        let table = self.label();
        self.put(id::BR_TABLE, &[H::V(depths.len() as i128 - 1), H::L(table)])?;
        let mut entries = Vec::with_capacity(depths.len());
        let mut pads: Vec<(u32, Label)> = Vec::new();
        for &d in &depths {
            let (ci, n, dst) = self.target(d);
            if self.direct(ci, n, dst) {
                self.ctls[ci].targeted = true;
                entries.push(self.ctls[ci].label);
            } else if let Some(&(_, l)) = pads.iter().find(|(x, _)| *x == d) {
                entries.push(l);
            } else {
                let pad = self.label();
                self.bind(pad);
                self.transfer(n, dst)?;
                self.jump_to(ci)?;
                pads.push((d, pad));
                entries.push(pad);
            }
        }
        self.tables.push((table, entries));
        self.unreachable = true;
        Ok(())
    }

    fn block(&mut self, bt: BlockType, kind: Kd) -> Res {
        let (np, nr) = self.block_type(bt);
        let height = self.stack.len() - np;
        self.settle(height)?;
        let label = self.label();
        if kind == Kd::Loop {
            self.bind(label);
            let ordinal = self.counter.enter_loop();
            if self.opts.osr && height == 0 && np == 0 {
                self.osr_loops.push((ordinal, label));
            }
        }
        self.ctls.push(Ctl { kind, height, nparams: np, nresults: nr, label, else_label: None, targeted: false });
        Ok(())
    }

    fn if_block(&mut self, bt: BlockType) -> Res {
        let c = self.pop();
        let (np, nr) = self.block_type(bt);
        let height = self.stack.len() - np;
        // Moves only: the flags of a fused comparison survive them.
        if c == Opd::R {
            self.put(id::I32_TEST, &[])?;
            self.settle(height)?;
            self.enter_if(Cc::Ne, height, np, nr)
        } else {
            self.settle(height)?;
            let cc = self.condition(c)?;
            self.enter_if(cc, height, np, nr)
        }
    }

    fn enter_if(&mut self, cc: Cc, height: usize, np: usize, nr: usize) -> Res {
        let else_label = self.label();
        self.put(cc.not().jump(), &[H::L(else_label)])?;
        let label = self.label();
        self.ctls.push(Ctl {
            kind: Kd::If,
            height,
            nparams: np,
            nresults: nr,
            label,
            else_label: Some(else_label),
            targeted: false,
        });
        Ok(())
    }

    fn else_block(&mut self) -> Res {
        let Some(c) = self.ctls.last() else { return Ok(()) };
        let (height, np, nr, label) = (c.height, c.nparams, c.nresults, c.label);
        if !self.unreachable {
            self.transfer(nr, self.nl + height as u32)?;
            self.ctls.last_mut().expect("if").targeted = true;
            self.put(id::JMP, &[H::L(label)])?;
        }
        let c = self.ctls.last_mut().expect("if");
        c.kind = Kd::Else;
        if let Some(e) = c.else_label.take() {
            self.bind(e);
        }
        self.stack.truncate(height);
        for k in 0..np {
            let home = self.home(height + k);
            self.push(Opd::S(home));
        }
        self.unreachable = false;
        Ok(())
    }

    fn end_block(&mut self) -> Res {
        let Some(c) = self.ctls.pop() else { return Ok(()) };
        let dst = self.nl + c.height as u32;
        if c.kind == Kd::Func {
            if !self.unreachable {
                self.transfer(c.nresults, 0)?;
                self.put(id::RETURN, &[])?;
            }
            self.bind(c.label);
            self.unreachable = true;
            return Ok(());
        }
        // A loop's end only falls through (branches go to its header).
        let merges = c.kind != Kd::Loop && (c.targeted || c.else_label.is_some());
        if !merges {
            // Nothing jumps to this end: the operands stay where they are.
            if self.unreachable {
                self.stack.truncate(c.height);
                for k in 0..c.nresults {
                    self.push(Opd::S(dst + k as u32));
                }
            }
            self.unreachable = false;
            return Ok(());
        }
        if !self.unreachable {
            self.transfer(c.nresults, dst)?;
        }
        if let Some(e) = c.else_label {
            self.bind(e);
        }
        if c.kind == Kd::Loop {
            // Branches went to the header; the end only falls through.
        } else {
            self.bind(c.label);
        }
        self.stack.truncate(c.height);
        for k in 0..c.nresults {
            self.push(Opd::S(dst + k as u32));
        }
        self.unreachable = false;
        Ok(())
    }

    // ---- calls ----

    /// Arguments to their home slots, `rax` free: the frame of a call
    /// taking `np` arguments starts at the returned slot.
    fn call_frame(&mut self, np: usize) -> std::result::Result<u32, Refusal> {
        let h = self.stack.len();
        for i in h - np..h {
            self.materialize(i)?;
        }
        self.spill_r()?;
        Ok(self.home(h - np))
    }

    fn after_call(&mut self, np: usize, nr: usize, base: u32) {
        let h = self.stack.len();
        self.stack.truncate(h - np);
        for k in 0..nr {
            self.push(Opd::S(base + k as u32));
        }
    }

    /// A runtime helper with popped arguments `args`; its result (if
    /// `result`) in rax.
    fn helper(&mut self, f: usize, args: &[Opd], traps: bool, result: bool) -> Res {
        let mut args = args.to_vec();
        if let Some(a) = args.iter_mut().find(|a| **a == Opd::X) {
            self.put(id::X_TO_R, &[])?;
            *a = Opd::R;
        }
        let args = &args[..];
        // Whatever rax holds that is not an argument is saved first.
        if !args.contains(&Opd::R) {
            self.spill_r()?;
        }
        const ARG: [[u16; 3]; 4] = [
            [id::ARG1_S, id::ARG1_R, id::ARG1_I],
            [id::ARG2_S, id::ARG2_R, id::ARG2_I],
            [id::ARG3_S, id::ARG3_R, id::ARG3_I],
            [id::ARG4_S, id::ARG4_R, id::ARG4_I],
        ];
        for (k, a) in args.iter().enumerate() {
            match *a {
                Opd::S(s) => self.put(ARG[k][0], &[self.slot(s)])?,
                Opd::R => self.put(ARG[k][1], &[])?,
                Opd::I(v) => self.put(ARG[k][2], &[H::V(v as i128)])?,
                Opd::F(_) | Opd::X => return Err(Refusal::Patch("flags as a helper argument".into())),
            }
        }
        self.put(id::CALL_HELPER, &[H::V(f as i128)])?;
        if traps {
            self.put(id::CHECK_TRAP, &[H::L(self.trapped)])?;
        }
        if result {
            self.push(Opd::R);
        }
        Ok(())
    }

    /// Pops `n` operands for a helper (flags turned into a boolean first).
    fn args(&mut self, n: usize) -> std::result::Result<Vec<Opd>, Refusal> {
        let h = self.stack.len();
        if let Some(Opd::F(_)) = self.stack.last() {
            self.materialize(h - 1)?;
        }
        Ok(self.stack.drain(h - n..).collect())
    }

    fn helper_op(&mut self, f: usize, n: usize, traps: bool, result: bool) -> Res {
        let args = self.args(n)?;
        self.helper(f, &args, traps, result)
    }

    // ---- values ----

    /// The `.rs` template of `b` with its slot operand `s`.
    fn put_rs(&mut self, b: Bin, s: u32) -> Res {
        let mut vals = vec![self.slot(s)];
        if b.traps >= 1 {
            vals.push(H::L(self.trap_label(Trap::IntegerDivisionByZero)));
        }
        if b.traps >= 2 {
            vals.push(H::L(self.trap_label(Trap::IntegerOverflow)));
        }
        self.put(b.rs, &vals)
    }

    fn binary(&mut self, b: Bin) -> Res {
        let y = self.pop();
        let x = self.pop();
        let pos = self.stack.len();
        let imm_ok = |v: u64| !b.wide || ((v as i64) >= i32::MIN as i64 && (v as i64) <= i32::MAX as i64);
        let imm = |v: u64| -> i128 {
            if b.shift {
                (v & if b.wide { 63 } else { 31 }) as i128
            } else if b.wide {
                v as i64 as i128
            } else {
                v as u32 as i128
            }
        };
        match (x, y) {
            (_, Opd::R) if b.commutes && x != Opd::R => {
                // Swapped: x is the operand beside rax.
                match x {
                    Opd::I(v) if b.ri.is_some() && imm_ok(v) => self.put(b.ri.expect("ri"), &[H::V(imm(v))])?,
                    _ => {
                        let s = self.put_in_slot(x, pos)?;
                        self.put_rs(b, s)?;
                    }
                }
            }
            (_, Opd::R) => {
                // rax holds the right operand: it goes to its slot.
                self.put(id::SPILL, &[self.slot(self.home(pos + 1))])?;
                self.put_in_rax(x)?;
                self.put_rs(b, self.home(pos + 1))?;
            }
            _ => {
                self.put_in_rax(x)?;
                match y {
                    Opd::I(v) if b.ri.is_some() && imm_ok(v) => self.put(b.ri.expect("ri"), &[H::V(imm(v))])?,
                    _ => {
                        let s = self.put_in_slot(y, pos + 1)?;
                        self.put_rs(b, s)?;
                    }
                }
            }
        }
        if self.opts.fault == Some(Fault::I32AddLowByte) && (b.rs == id::I32_ADD_RS || b.rs == id::I32_XOR_RS) {
            // Planted wrong code (campaign tests only): `cmp al, 0x5a;
            // jne +2; inc eax` as raw bytes, outside the library.
            self.out.code.extend_from_slice(&[0x3c, 0x5a, 0x75, 0x02, 0xff, 0xc0]);
        }
        self.push(Opd::R);
        Ok(())
    }

    /// A comparison: its flags go on the stack (a following `br_if` or
    /// `if` jumps on them).
    fn compare(&mut self, cc: Cc, wide: bool) -> Res {
        let (rs, ri) = if wide { (id::I64_CMP_RS, id::I64_CMP_RI) } else { (id::I32_CMP_RS, id::I32_CMP_RI) };
        let y = self.pop();
        let x = self.pop();
        let pos = self.stack.len();
        let imm_ok = |v: u64| !wide || ((v as i64) >= i32::MIN as i64 && (v as i64) <= i32::MAX as i64);
        let imm = |v: u64| if wide { v as i64 as i128 } else { v as u32 as i128 };
        let cc = match (x, y) {
            (_, Opd::R) if x != Opd::R => {
                match x {
                    Opd::I(v) if imm_ok(v) => self.put(ri, &[H::V(imm(v))])?,
                    _ => {
                        let s = self.put_in_slot(x, pos)?;
                        self.put(rs, &[self.slot(s)])?;
                    }
                }
                cc.swap()
            }
            _ => {
                self.put_in_rax(x)?;
                match y {
                    Opd::I(v) if imm_ok(v) => self.put(ri, &[H::V(imm(v))])?,
                    _ => {
                        let s = self.put_in_slot(y, pos + 1)?;
                        self.put(rs, &[self.slot(s)])?;
                    }
                }
                cc
            }
        };
        self.push(Opd::F(cc));
        Ok(())
    }

    /// Puts popped operand `o` in xmm0 (freeing the register first).
    fn put_in_xmm(&mut self, o: Opd) -> Res {
        match o {
            Opd::X => Ok(()),
            Opd::R => self.put(id::R_TO_X, &[]),
            Opd::S(s) => {
                self.spill_r()?;
                self.put(id::LOAD_X_S, &[self.slot(s)])
            }
            Opd::I(v) => {
                self.spill_r()?;
                let c = self.constant(v);
                self.put(id::LOAD_X_C, &[H::L(c)])
            }
            Opd::F(_) => Err(Refusal::Patch("flags as a float".into())),
        }
    }

    /// The constant pool entry of `v`.
    fn constant(&mut self, v: u64) -> Label {
        if let Some(&(_, l)) = self.consts.iter().find(|c| c.0 == v) {
            return l;
        }
        let l = self.label();
        self.consts.push((v, l));
        l
    }

    /// The right operand of a float operation: where it is read from (a
    /// slot, or a pool constant), after the left one is in xmm0.
    fn float_rhs(&mut self, x: Opd, y: Opd, pos: usize) -> std::result::Result<H, Refusal> {
        let y = match y {
            Opd::R | Opd::X => {
                // The register holds the right operand: to its slot.
                let s = self.put_in_slot(y, pos + 1)?;
                Opd::S(s)
            }
            o => o,
        };
        self.put_in_xmm(x)?;
        Ok(match y {
            Opd::S(s) => self.slot(s),
            Opd::I(v) => H::L(self.constant(v)),
            _ => return Err(Refusal::Patch("float operand".into())),
        })
    }

    fn fbinary(&mut self, xs: u16, xc: u16) -> Res {
        let y = self.pop();
        let x = self.pop();
        let pos = self.stack.len();
        match self.float_rhs(x, y, pos)? {
            h @ H::V(_) => self.put(xs, &[h])?,
            h @ H::L(_) => self.put(xc, &[h])?,
        }
        self.push(Opd::X);
        Ok(())
    }

    fn funary(&mut self, t: u16) -> Res {
        let x = self.pop();
        self.put_in_xmm(x)?;
        self.put(t, &[])?;
        self.push(Opd::X);
        Ok(())
    }

    /// An ordered float comparison as flags: `a ? b`, or `b ? a` when
    /// `swap` (`lt`/`le` as `gt`/`ge`).
    fn fcompare(&mut self, wide: bool, swap: bool, cc: Cc) -> Res {
        let y = self.pop();
        let x = self.pop();
        let pos = self.stack.len();
        let t = match (wide, swap) {
            (false, false) => [id::F32_CMP_XS, id::F32_CMP_XC],
            (false, true) => [id::F32_CMPR_XS, id::F32_CMPR_XC],
            (true, false) => [id::F64_CMP_XS, id::F64_CMP_XC],
            (true, true) => [id::F64_CMPR_XS, id::F64_CMPR_XC],
        };
        match self.float_rhs(x, y, pos)? {
            h @ H::V(_) => self.put(t[0], &[h])?,
            h @ H::L(_) => self.put(t[1], &[h])?,
        }
        // xmm0 was read, not kept: nothing is in a register now.
        self.push(Opd::F(cc));
        Ok(())
    }

    fn eqz(&mut self, wide: bool) -> Res {
        let x = self.pop();
        self.put_in_rax(x)?;
        self.put(if wide { id::I64_TEST } else { id::I32_TEST }, &[])?;
        self.push(Opd::F(Cc::E));
        Ok(())
    }

    /// An operator of one operand in rax, result in rax.
    fn unary(&mut self, t: u16) -> Res {
        let x = self.pop();
        self.put_in_rax(x)?;
        self.put(t, &[])?;
        self.push(Opd::R);
        Ok(())
    }

    fn load(&mut self, t: u16, m: &wasmparser::MemArg, size: u64) -> Res {
        let addr = self.pop();
        self.address(addr, m.offset, size)?;
        let disp = if m.offset + size <= i32::MAX as u64 { m.offset } else { 0 };
        self.spill_r()?;
        self.put(t, &[H::V(disp as i128)])?;
        self.push(Opd::R);
        Ok(())
    }

    /// The address operand into rcx, bounds-checked for an access of
    /// `size` bytes at `offset`. Leaves rax as it was.
    fn address(&mut self, addr: Opd, offset: u64, size: u64) -> Res {
        match addr {
            Opd::R => self.put(id::EA_R, &[])?,
            Opd::S(s) => self.put(id::EA_S, &[self.slot(s)])?,
            Opd::I(v) => self.put(id::EA_I, &[H::V(v as u32 as i128)])?,
            Opd::F(cc) => {
                self.put(cc.set(), &[])?;
                self.put(id::EA_R, &[])?;
            }
            Opd::X => {
                self.put(id::X_TO_R, &[])?;
                self.put(id::EA_R, &[])?;
            }
        }
        let oob = self.trap_label(Trap::MemoryOutOfBounds);
        let end = offset + size;
        if end <= i32::MAX as u64 {
            self.put(id::BOUND, &[H::V(end as i128), H::L(oob)])
        } else {
            self.put(id::BOUND_FAR, &[H::V(end as i128), H::L(oob), H::V(offset as i128)])
        }
    }

    fn store(&mut self, t: u16, m: &wasmparser::MemArg, size: u64) -> Res {
        let v = self.pop();
        let addr = self.pop();
        if !matches!(v, Opd::R | Opd::X) && addr != Opd::R {
            self.spill_r()?;
        }
        self.address(addr, m.offset, size)?;
        // The address is in rcx now: rax is free for the value.
        match v {
            Opd::R => {}
            Opd::S(s) => self.put(id::LOAD_R_S, &[self.slot(s)])?,
            Opd::I(c) if c <= u32::MAX as u64 => self.put(id::LOAD_R_I32, &[H::V(c as i128)])?,
            Opd::I(c) => self.put(id::LOAD_R_I64, &[H::V(c as i128)])?,
            Opd::F(cc) => self.put(cc.set(), &[])?,
            Opd::X => self.put(id::X_TO_R, &[])?,
        }
        let disp = if m.offset + size <= i32::MAX as u64 { m.offset } else { 0 };
        self.put(t, &[H::V(disp as i128)])
    }

    fn local_set(&mut self, j: u32, tee: bool) -> Res {
        let v = self.pop();
        self.detach_local(j)?;
        match v {
            Opd::R => self.put(id::SPILL, &[self.slot(j)])?,
            Opd::X => self.put(id::SPILL_X, &[self.slot(j)])?,
            Opd::S(s) if s != j => self.put(id::COPY, &[self.slot(s), self.slot(j)])?,
            Opd::S(_) => {}
            Opd::I(c) => self.store_const(j, c)?,
            Opd::F(cc) => {
                self.put(cc.set(), &[])?;
                self.put(id::SPILL, &[self.slot(j)])?;
                if tee {
                    self.push(Opd::R);
                }
                return Ok(());
            }
        }
        if tee {
            self.push(if matches!(v, Opd::R | Opd::X) { v } else { Opd::S(j) });
        }
        Ok(())
    }

    fn select(&mut self) -> Res {
        let c = self.pop();
        let b = self.pop();
        let a = self.pop();
        let pos = self.stack.len();
        let c = match c {
            Opd::F(cc) => {
                self.put(cc.set(), &[])?;
                Opd::R
            }
            o => o,
        };
        if c != Opd::R && !matches!(a, Opd::R | Opd::X) && !matches!(b, Opd::R | Opd::X) {
            // The result overwrites rax.
            self.spill_r()?;
        }
        let sa = self.put_in_slot(a, pos)?;
        let sb = self.put_in_slot(b, pos + 1)?;
        match c {
            Opd::R => self.put(id::SELECT_R, &[self.slot(sa), self.slot(sb)])?,
            Opd::S(s) => self.put(id::SELECT_S, &[self.slot(sa), self.slot(sb), self.slot(s)])?,
            Opd::I(v) => {
                self.store_const(self.home(pos + 2), v)?;
                self.put(id::SELECT_S, &[self.slot(sa), self.slot(sb), self.slot(self.home(pos + 2))])?;
            }
            Opd::F(_) | Opd::X => unreachable!("a boolean by now"),
        }
        self.push(Opd::R);
        Ok(())
    }

    fn no_template(&self, op: &O<'_>) -> Refusal {
        Refusal::NoTemplate(format!("{op:?}").split([' ', '{']).next().unwrap_or("?").to_string())
    }

    fn op(&mut self, op: O<'_>) -> Res {
        if self.unreachable && self.counter.skips(&op) {
            return Ok(());
        }
        // Flags feed only a branch; anything else gets a boolean.
        if matches!(self.stack.last(), Some(Opd::F(_)))
            && !matches!(op, O::BrIf { .. } | O::If { .. } | O::Drop | O::Select | O::TypedSelect { .. })
        {
            let h = self.stack.len() - 1;
            if let Opd::F(cc) = self.stack[h] {
                self.spill_r()?;
                self.put(cc.set(), &[])?;
                self.stack[h] = Opd::R;
            }
        }
        use wasmlab_native::helpers as hp;
        match op {
            O::Nop => {}
            O::Unreachable => {
                let t = self.trap_label(Trap::Unreachable);
                self.put(id::JMP, &[H::L(t)])?;
                self.unreachable = true;
            }
            O::Block { blockty } => self.block(blockty, Kd::Block)?,
            O::Loop { blockty } => self.block(blockty, Kd::Loop)?,
            O::If { blockty } => self.if_block(blockty)?,
            O::Else => self.else_block()?,
            O::End => self.end_block()?,
            O::Br { relative_depth } => self.br(relative_depth)?,
            O::BrIf { relative_depth } => self.br_if(relative_depth)?,
            O::BrTable { targets } => self.br_table(&targets)?,
            O::Return => self.br((self.ctls.len() - 1) as u32)?,
            O::Call { function_index } => {
                let ty = self.info.func_type(function_index);
                let (np, nr) = (ty.params.len(), ty.results.len());
                let base = self.call_frame(np)?;
                let imported = self.info.num_imported_funcs;
                if function_index < imported {
                    self.put(
                        id::CALL_IMPORT,
                        &[
                            self.slot(base),
                            H::V(function_index as i128 * 8),
                            H::V(self.opts.host.call_ref as i128),
                            H::L(self.exit),
                        ],
                    )?;
                } else {
                    let f = function_index - imported;
                    self.put(
                        id::CALL,
                        &[
                            self.slot(base),
                            H::V(f as i128 * 8),
                            H::V(f as i128),
                            H::V(self.opts.host.call_defined as i128),
                            H::L(self.exit),
                        ],
                    )?;
                }
                self.after_call(np, nr, base);
                self.max_height = self.max_height.max(self.stack.len());
            }
            O::CallIndirect { type_index, table_index } => {
                let ty = &self.info.types[type_index as usize];
                let (np, nr) = (ty.params.len(), ty.results.len());
                let index = self.pop();
                if index != Opd::R {
                    self.spill_r()?;
                }
                let base = {
                    let h = self.stack.len();
                    for i in h - np..h {
                        self.materialize(i)?;
                    }
                    self.home(h - np)
                };
                match index {
                    Opd::R => self.put(id::EA_R, &[])?,
                    Opd::S(s) => self.put(id::EA_S, &[self.slot(s)])?,
                    Opd::I(v) => self.put(id::EA_I, &[H::V(v as u32 as i128)])?,
                    Opd::F(_) | Opd::X => unreachable!("an i32 in a register by now"),
                }
                let oob = self.trap_label(Trap::TableOutOfBounds);
                let null = self.trap_label(Trap::IndirectCallToNull);
                let sig = self.trap_label(Trap::BadSignature);
                self.put(
                    id::CALL_INDIRECT,
                    &[
                        self.slot(base),
                        H::V(table_index as i128 * 8),
                        H::L(oob),
                        H::L(null),
                        H::V(type_index as i128 * 4),
                        H::L(sig),
                        H::V(self.opts.host.call_ref as i128),
                        H::L(self.exit),
                    ],
                )?;
                self.after_call(np, nr, base);
                self.max_height = self.max_height.max(self.stack.len());
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => self.select()?,
            O::LocalGet { local_index } => self.push(Opd::S(local_index)),
            O::LocalSet { local_index } => self.local_set(local_index, false)?,
            O::LocalTee { local_index } => self.local_set(local_index, true)?,
            O::GlobalGet { global_index } => {
                self.spill_r()?;
                self.put(id::GLOBAL_GET, &[H::V(global_index as i128 * 8)])?;
                self.push(Opd::R);
            }
            O::GlobalSet { global_index } => {
                let v = self.pop();
                self.put_in_rax(v)?;
                self.put(id::GLOBAL_SET, &[H::V(global_index as i128 * 8)])?;
            }
            O::I32Load { memarg } | O::F32Load { memarg } | O::I64Load32U { memarg } => {
                self.load(id::LOAD_32, &memarg, 4)?
            }
            O::I64Load { memarg } | O::F64Load { memarg } => self.load(id::LOAD_64, &memarg, 8)?,
            O::I32Load8U { memarg } | O::I64Load8U { memarg } => self.load(id::LOAD_8U, &memarg, 1)?,
            O::I32Load8S { memarg } => self.load(id::LOAD_8S32, &memarg, 1)?,
            O::I32Load16U { memarg } | O::I64Load16U { memarg } => self.load(id::LOAD_16U, &memarg, 2)?,
            O::I32Load16S { memarg } => self.load(id::LOAD_16S32, &memarg, 2)?,
            O::I64Load8S { memarg } => self.load(id::LOAD_8S64, &memarg, 1)?,
            O::I64Load16S { memarg } => self.load(id::LOAD_16S64, &memarg, 2)?,
            O::I64Load32S { memarg } => self.load(id::LOAD_32S64, &memarg, 4)?,
            O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => {
                self.store(id::LOAD_STORE32, &memarg, 4)?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(id::LOAD_STORE64, &memarg, 8)?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(id::LOAD_STORE8, &memarg, 1)?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(id::LOAD_STORE16, &memarg, 2)?,
            O::MemorySize { .. } => {
                self.spill_r()?;
                self.put(id::MEMORY_SIZE, &[])?;
                self.push(Opd::R);
            }
            O::MemoryGrow { .. } => {
                self.helper_op(hp::memory_grow as *const () as usize, 1, false, true)?;
                self.put(id::RELOAD_MEM, &[])?;
            }
            O::MemoryFill { .. } => self.helper_op(hp::memory_fill as *const () as usize, 3, true, false)?,
            O::MemoryCopy { .. } => self.helper_op(hp::memory_copy as *const () as usize, 3, true, false)?,
            O::MemoryInit { data_index, .. } => {
                let mut args = vec![Opd::I(data_index as u64)];
                args.extend(self.args(3)?);
                self.helper(hp::memory_init as *const () as usize, &args, true, false)?;
            }
            O::DataDrop { data_index } => {
                self.helper(hp::data_drop as *const () as usize, &[Opd::I(data_index as u64)], false, false)?
            }
            O::I32Const { value } => self.push(Opd::I(value as u32 as u64)),
            O::I64Const { value } => self.push(Opd::I(value as u64)),
            O::F32Const { value } => self.push(Opd::I(value.bits() as u64)),
            O::F64Const { value } => self.push(Opd::I(value.bits())),
            O::RefNull { .. } => self.push(Opd::I(0)),
            O::RefIsNull => self.eqz(true)?,
            O::RefFunc { function_index } => {
                self.spill_r()?;
                self.put(id::REF_FUNC, &[H::V(function_index as i128 * 8)])?;
                self.push(Opd::R);
            }
            O::TableGet { table } => {
                let mut args = vec![Opd::I(table as u64)];
                args.extend(self.args(1)?);
                self.helper(hp::table_get as *const () as usize, &args, true, true)?;
            }
            O::TableSet { table } => {
                let mut args = vec![Opd::I(table as u64)];
                args.extend(self.args(2)?);
                self.helper(hp::table_set as *const () as usize, &args, true, false)?;
            }
            O::TableSize { table } => {
                self.spill_r()?;
                self.put(id::TABLE_SIZE, &[H::V(table as i128 * 8)])?;
                self.push(Opd::R);
            }
            O::TableGrow { table } => {
                let mut args = vec![Opd::I(table as u64)];
                args.extend(self.args(2)?);
                self.helper(hp::table_grow as *const () as usize, &args, false, true)?;
            }
            O::TableFill { table } => {
                let mut args = vec![Opd::I(table as u64)];
                args.extend(self.args(3)?);
                self.helper(hp::table_fill as *const () as usize, &args, true, false)?;
            }
            O::TableCopy { dst_table, src_table } => {
                let mut args = vec![Opd::I(dst_table as u64 | (src_table as u64) << 32)];
                args.extend(self.args(3)?);
                self.helper(hp::table_copy as *const () as usize, &args, true, false)?;
            }
            O::TableInit { elem_index, table } => {
                let mut args = vec![Opd::I(table as u64 | (elem_index as u64) << 32)];
                args.extend(self.args(3)?);
                self.helper(hp::table_init as *const () as usize, &args, true, false)?;
            }
            O::ElemDrop { elem_index } => {
                self.helper(hp::elem_drop as *const () as usize, &[Opd::I(elem_index as u64)], false, false)?
            }

            // ---- integers ----
            O::I32Eqz => self.eqz(false)?,
            O::I64Eqz => self.eqz(true)?,
            O::I32Eq => self.compare(Cc::E, false)?,
            O::I32Ne => self.compare(Cc::Ne, false)?,
            O::I32LtS => self.compare(Cc::L, false)?,
            O::I32LtU => self.compare(Cc::B, false)?,
            O::I32GtS => self.compare(Cc::G, false)?,
            O::I32GtU => self.compare(Cc::A, false)?,
            O::I32LeS => self.compare(Cc::Le, false)?,
            O::I32LeU => self.compare(Cc::Be, false)?,
            O::I32GeS => self.compare(Cc::Ge, false)?,
            O::I32GeU => self.compare(Cc::Ae, false)?,
            O::I64Eq => self.compare(Cc::E, true)?,
            O::I64Ne => self.compare(Cc::Ne, true)?,
            O::I64LtS => self.compare(Cc::L, true)?,
            O::I64LtU => self.compare(Cc::B, true)?,
            O::I64GtS => self.compare(Cc::G, true)?,
            O::I64GtU => self.compare(Cc::A, true)?,
            O::I64LeS => self.compare(Cc::Le, true)?,
            O::I64LeU => self.compare(Cc::Be, true)?,
            O::I64GeS => self.compare(Cc::Ge, true)?,
            O::I64GeU => self.compare(Cc::Ae, true)?,
            O::I32Add => self.binary(bin(id::I32_ADD_RS, id::I32_ADD_RI, true, false))?,
            O::I32Sub => self.binary(bin(id::I32_SUB_RS, id::I32_SUB_RI, false, false))?,
            O::I32Mul if self.opts.fault == Some(Fault::NoTemplate) => return Err(self.no_template(&op)),
            O::I32Mul => self.binary(bin(id::I32_MUL_RS, id::I32_MUL_RI, true, false))?,
            O::I32And => self.binary(bin(id::I32_AND_RS, id::I32_AND_RI, true, false))?,
            O::I32Or => self.binary(bin(id::I32_OR_RS, id::I32_OR_RI, true, false))?,
            O::I32Xor => self.binary(bin(id::I32_XOR_RS, id::I32_XOR_RI, true, false))?,
            O::I32Shl => self.binary(shift(id::I32_SHL_RS, id::I32_SHL_RI, false))?,
            O::I32ShrS => self.binary(shift(id::I32_SHR_S_RS, id::I32_SHR_S_RI, false))?,
            O::I32ShrU => self.binary(shift(id::I32_SHR_U_RS, id::I32_SHR_U_RI, false))?,
            O::I32Rotl => self.binary(shift(id::I32_ROTL_RS, id::I32_ROTL_RI, false))?,
            O::I32Rotr => self.binary(shift(id::I32_ROTR_RS, id::I32_ROTR_RI, false))?,
            O::I32DivS => self.binary(div(id::I32_DIV_S_RS, false, 2))?,
            O::I32DivU => self.binary(div(id::I32_DIV_U_RS, false, 1))?,
            O::I32RemS => self.binary(div(id::I32_REM_S_RS, false, 1))?,
            O::I32RemU => self.binary(div(id::I32_REM_U_RS, false, 1))?,
            O::I64Add => self.binary(bin(id::I64_ADD_RS, id::I64_ADD_RI, true, true))?,
            O::I64Sub => self.binary(bin(id::I64_SUB_RS, id::I64_SUB_RI, false, true))?,
            O::I64Mul => self.binary(bin(id::I64_MUL_RS, id::I64_MUL_RI, true, true))?,
            O::I64And => self.binary(bin(id::I64_AND_RS, id::I64_AND_RI, true, true))?,
            O::I64Or => self.binary(bin(id::I64_OR_RS, id::I64_OR_RI, true, true))?,
            O::I64Xor => self.binary(bin(id::I64_XOR_RS, id::I64_XOR_RI, true, true))?,
            O::I64Shl => self.binary(shift(id::I64_SHL_RS, id::I64_SHL_RI, true))?,
            O::I64ShrS => self.binary(shift(id::I64_SHR_S_RS, id::I64_SHR_S_RI, true))?,
            O::I64ShrU => self.binary(shift(id::I64_SHR_U_RS, id::I64_SHR_U_RI, true))?,
            O::I64Rotl => self.binary(shift(id::I64_ROTL_RS, id::I64_ROTL_RI, true))?,
            O::I64Rotr => self.binary(shift(id::I64_ROTR_RS, id::I64_ROTR_RI, true))?,
            O::I64DivS => self.binary(div(id::I64_DIV_S_RS, true, 2))?,
            O::I64DivU => self.binary(div(id::I64_DIV_U_RS, true, 1))?,
            O::I64RemS => self.binary(div(id::I64_REM_S_RS, true, 1))?,
            O::I64RemU => self.binary(div(id::I64_REM_U_RS, true, 1))?,
            O::I32Clz => self.unary(id::I32_CLZ)?,
            O::I32Ctz => self.unary(id::I32_CTZ)?,
            O::I64Clz => self.unary(id::I64_CLZ)?,
            O::I64Ctz => self.unary(id::I64_CTZ)?,
            O::I32Popcnt => self.helper_op(hp::i32_popcnt as *const () as usize, 1, false, true)?,
            O::I64Popcnt => self.helper_op(hp::i64_popcnt as *const () as usize, 1, false, true)?,
            O::I32Extend8S => self.unary(id::I32_EXTEND8_S)?,
            O::I32Extend16S => self.unary(id::I32_EXTEND16_S)?,
            O::I64Extend8S => self.unary(id::I64_EXTEND8_S)?,
            O::I64Extend16S => self.unary(id::I64_EXTEND16_S)?,
            O::I64Extend32S | O::I64ExtendI32S => self.unary(id::I64_EXTEND32_S)?,
            O::I32WrapI64 | O::I64ExtendI32U => self.unary(id::ZEXT32)?,

            // ---- floats ----
            O::F32Add => self.fbinary(id::F32_ADD_XS, id::F32_ADD_XC)?,
            O::F32Sub => self.fbinary(id::F32_SUB_XS, id::F32_SUB_XC)?,
            O::F32Mul => self.fbinary(id::F32_MUL_XS, id::F32_MUL_XC)?,
            O::F32Div => self.fbinary(id::F32_DIV_XS, id::F32_DIV_XC)?,
            O::F64Add => self.fbinary(id::F64_ADD_XS, id::F64_ADD_XC)?,
            O::F64Sub => self.fbinary(id::F64_SUB_XS, id::F64_SUB_XC)?,
            O::F64Mul => self.fbinary(id::F64_MUL_XS, id::F64_MUL_XC)?,
            O::F64Div => self.fbinary(id::F64_DIV_XS, id::F64_DIV_XC)?,
            O::F32Copysign => self.binary(slot_only(id::F32_COPYSIGN_RS, false))?,
            O::F64Copysign => self.binary(slot_only(id::F64_COPYSIGN_RS, true))?,
            O::F32Eq => self.binary(slot_only(id::F32_EQ_RS, false))?,
            O::F32Ne => self.binary(slot_only(id::F32_NE_RS, false))?,
            O::F32Lt => self.fcompare(false, true, Cc::A)?,
            O::F32Le => self.fcompare(false, true, Cc::Ae)?,
            O::F32Gt => self.fcompare(false, false, Cc::A)?,
            O::F32Ge => self.fcompare(false, false, Cc::Ae)?,
            O::F64Eq => self.binary(slot_only(id::F64_EQ_RS, true))?,
            O::F64Ne => self.binary(slot_only(id::F64_NE_RS, true))?,
            O::F64Lt => self.fcompare(true, true, Cc::A)?,
            O::F64Le => self.fcompare(true, true, Cc::Ae)?,
            O::F64Gt => self.fcompare(true, false, Cc::A)?,
            O::F64Ge => self.fcompare(true, false, Cc::Ae)?,
            O::F32Min => self.helper_op(hp::f32_min as *const () as usize, 2, false, true)?,
            O::F32Max => self.helper_op(hp::f32_max as *const () as usize, 2, false, true)?,
            O::F64Min => self.helper_op(hp::f64_min as *const () as usize, 2, false, true)?,
            O::F64Max => self.helper_op(hp::f64_max as *const () as usize, 2, false, true)?,
            O::F32Sqrt => self.funary(id::F32_SQRT)?,
            O::F64Sqrt => self.funary(id::F64_SQRT)?,
            O::F32Abs => self.unary(id::F32_ABS)?,
            O::F32Neg => self.unary(id::F32_NEG)?,
            O::F64Abs => self.unary(id::F64_ABS)?,
            O::F64Neg => self.unary(id::F64_NEG)?,
            O::F32Ceil => self.helper_op(hp::f32_ceil as *const () as usize, 1, false, true)?,
            O::F32Floor => self.helper_op(hp::f32_floor as *const () as usize, 1, false, true)?,
            O::F32Trunc => self.helper_op(hp::f32_trunc as *const () as usize, 1, false, true)?,
            O::F32Nearest => self.helper_op(hp::f32_nearest as *const () as usize, 1, false, true)?,
            O::F64Ceil => self.helper_op(hp::f64_ceil as *const () as usize, 1, false, true)?,
            O::F64Floor => self.helper_op(hp::f64_floor as *const () as usize, 1, false, true)?,
            O::F64Trunc => self.helper_op(hp::f64_trunc as *const () as usize, 1, false, true)?,
            O::F64Nearest => self.helper_op(hp::f64_nearest as *const () as usize, 1, false, true)?,
            O::F32ConvertI32S => self.unary(id::F32_CONVERT_I32_S)?,
            O::F32ConvertI32U => self.unary(id::F32_CONVERT_I32_U)?,
            O::F32ConvertI64S => self.unary(id::F32_CONVERT_I64_S)?,
            O::F32ConvertI64U => self.helper_op(hp::f32_convert_i64_u as *const () as usize, 1, false, true)?,
            O::F64ConvertI32S => self.unary(id::F64_CONVERT_I32_S)?,
            O::F64ConvertI32U => self.unary(id::F64_CONVERT_I32_U)?,
            O::F64ConvertI64S => self.unary(id::F64_CONVERT_I64_S)?,
            O::F64ConvertI64U => self.helper_op(hp::f64_convert_i64_u as *const () as usize, 1, false, true)?,
            O::F32DemoteF64 => self.unary(id::F32_DEMOTE_F64)?,
            O::F64PromoteF32 => self.unary(id::F64_PROMOTE_F32)?,
            // The raw slot encoding is the bits: only the type changes.
            O::I32ReinterpretF32 | O::F32ReinterpretI32 | O::I64ReinterpretF64 | O::F64ReinterpretI64 => {}
            O::I32TruncF32S => self.helper_op(hp::i32_trunc_f32_s as *const () as usize, 1, true, true)?,
            O::I32TruncF32U => self.helper_op(hp::i32_trunc_f32_u as *const () as usize, 1, true, true)?,
            O::I32TruncF64S => self.helper_op(hp::i32_trunc_f64_s as *const () as usize, 1, true, true)?,
            O::I32TruncF64U => self.helper_op(hp::i32_trunc_f64_u as *const () as usize, 1, true, true)?,
            O::I64TruncF32S => self.helper_op(hp::i64_trunc_f32_s as *const () as usize, 1, true, true)?,
            O::I64TruncF32U => self.helper_op(hp::i64_trunc_f32_u as *const () as usize, 1, true, true)?,
            O::I64TruncF64S => self.helper_op(hp::i64_trunc_f64_s as *const () as usize, 1, true, true)?,
            O::I64TruncF64U => self.helper_op(hp::i64_trunc_f64_u as *const () as usize, 1, true, true)?,
            O::I32TruncSatF32S => self.helper_op(hp::i32_trunc_sat_f32_s as *const () as usize, 1, false, true)?,
            O::I32TruncSatF32U => self.helper_op(hp::i32_trunc_sat_f32_u as *const () as usize, 1, false, true)?,
            O::I32TruncSatF64S => self.helper_op(hp::i32_trunc_sat_f64_s as *const () as usize, 1, false, true)?,
            O::I32TruncSatF64U => self.helper_op(hp::i32_trunc_sat_f64_u as *const () as usize, 1, false, true)?,
            O::I64TruncSatF32S => self.helper_op(hp::i64_trunc_sat_f32_s as *const () as usize, 1, false, true)?,
            O::I64TruncSatF32U => self.helper_op(hp::i64_trunc_sat_f32_u as *const () as usize, 1, false, true)?,
            O::I64TruncSatF64S => self.helper_op(hp::i64_trunc_sat_f64_s as *const () as usize, 1, false, true)?,
            O::I64TruncSatF64U => self.helper_op(hp::i64_trunc_sat_f64_u as *const () as usize, 1, false, true)?,
            _ => return Err(self.no_template(&op)),
        }
        Ok(())
    }
}

fn patch_err(e: PatchError) -> Refusal {
    Refusal::Patch(e.to_string())
}
