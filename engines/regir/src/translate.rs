//! Translation of a validated function body from wasm operators to the
//! register IR.
//!
//! The operand stack is simulated at translation time. An entry is either a
//! value already in its stack register (`Temp`), a local not yet copied
//! (`Local`: `local.get` emits nothing) or a constant not yet materialized
//! (`Const`: folded into the consumer as an immediate where an imm form
//! exists). Lazy entries are materialized into their stack register when
//! the local they name is about to change, at control-flow boundaries, and
//! where an op needs a register.
//!
//! An op that produces one value writes it to the stack register of its
//! result; a directly following `local.set`/`local.tee` retargets that write
//! to the local instead of copying. An integer comparison directly followed
//! by `br_if`/`if` becomes one compare-and-branch instruction.

use wasmlab_contract::Error;
use wasmlab_runtime::ModuleInfo;
use wasmparser::{BlockType, MemArg, Operator};

use crate::instr::{CmpForm, Instr, R};

/// A translated function.
#[derive(Clone, Debug, PartialEq)]
pub struct Func {
    pub code: Vec<Instr>,
    pub num_params: u32,
    pub num_results: u32,
    /// Locals including parameters.
    pub num_locals: u32,
    /// Registers the frame needs (locals + deepest operand stack).
    pub frame_size: u32,
    /// Every reachable `loop`'s header, for on-stack replacement by a
    /// compiler of wasm operators ([`Func::loop_at`]).
    pub loops: Vec<LoopHead>,
}

/// Skipping the unreachable rest of a block, and counting `loop`
/// operators on the way: the ordinals [`LoopHead`] names. Shared by every
/// translator of wasm operators (regir, tjit), so their loop ordinals
/// agree by construction: on-stack replacement maps one onto the other.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoopCounter {
    /// `loop` operators seen so far, reachable or not.
    pub loops: u32,
    /// Nesting depth of blocks inside the unreachable code being skipped.
    depth: usize,
}

impl LoopCounter {
    /// In unreachable code: whether `op` is skipped. Everything is, up to
    /// the `else` or `end` that closes the unreachable part.
    pub fn skips(&mut self, op: &Operator<'_>) -> bool {
        match op {
            Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                if matches!(op, Operator::Loop { .. }) {
                    self.loops += 1;
                }
                self.depth += 1;
                true
            }
            Operator::Else | Operator::End if self.depth == 0 => false,
            Operator::End => {
                self.depth -= 1;
                true
            }
            _ => true,
        }
    }

    /// A reachable `loop`: its ordinal.
    pub fn enter_loop(&mut self) -> u32 {
        self.loops += 1;
        self.loops - 1
    }
}

/// A loop header: the `ordinal`-th `loop` operator of the body (counting
/// every one, reachable or not, in order) begins at IR instruction `pc`.
/// `enterable`: it is entered with an empty operand stack and no
/// parameters, so at its header the frame holds nothing but the locals
/// (registers `0..num_locals`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopHead {
    pub pc: u32,
    pub ordinal: u32,
    pub enterable: bool,
}

impl Func {
    /// The enterable loop whose back-edge jumps to `pc`: one whose header
    /// is at `pc`, or whose header is the exit test that loop inversion
    /// moved the back-edge past (at `pc - 1`). `None` when no loop or more
    /// than one could be meant, or the loop is not enterable.
    pub fn loop_at(&self, pc: u32) -> Option<u32> {
        let mut meant = self.loops.iter().filter(|l| {
            l.pc == pc
                || (l.pc + 1 == pc
                    && self.code.get(l.pc as usize).is_some_and(|&i| {
                        let mut i = i;
                        i.target_mut().is_some()
                    }))
        });
        match (meant.next(), meant.next()) {
            (Some(l), None) if l.enterable => Some(l.ordinal),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Opd {
    Temp,
    Local(R),
    Const(u64),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Func,
    Block,
    Loop,
    If,
    Else,
}

#[derive(Debug)]
struct Ctrl {
    kind: Kind,
    /// Operand stack height below the block's parameters.
    height: usize,
    nparams: usize,
    nresults: usize,
    /// Loop: the head instruction. Others: branches to patch at the end.
    head: u32,
    patches: Vec<usize>,
    /// `if`: the branch to the else arm (or the end, without one).
    else_patch: Option<usize>,
}

struct Translator<'a> {
    info: &'a ModuleInfo,
    code: Vec<Instr>,
    stack: Vec<Opd>,
    ctrls: Vec<Ctrl>,
    num_locals: usize,
    /// Registers reserved for constants, after the locals; the operand
    /// stack starts after them.
    num_const_regs: usize,
    /// Constants given a register (initialized once, at function entry).
    consts: Vec<(u64, R)>,
    /// Code ranges of `br_table` jump tables (not to be rewritten).
    tables: Vec<(usize, usize)>,
    num_results: usize,
    max_height: usize,
    /// The code index whose result is the top `Temp` and may be retargeted.
    fusable: Option<usize>,
    /// Code index of the most recent branch target.
    label: usize,
    unreachable: bool,
    /// Unreachable code skipped, `loop` operators counted.
    counter: LoopCounter,
    /// Every reachable loop's header (see [`Func::loops`]).
    loops: Vec<LoopHead>,
}

fn too_big() -> Error {
    Error::Unsupported("function needs more than 65535 registers".into())
}

type Bin = fn(R, R, R) -> Instr;
type BinImm = fn(R, R, u64) -> Instr;

/// The register-register and (if any) register-immediate forms of a binary
/// op.
#[derive(Clone, Copy)]
struct BinOp {
    rr: Bin,
    imm: Option<BinImm>,
}

impl BinOp {
    /// `c op x` computed as `x op' c` in register-immediate form, for ops
    /// whose operands may be swapped: commutative ops, and comparisons,
    /// which swap into their mirror (`c < x` is `x > c`).
    fn swapped_imm(self, dst: R, x: R, c: u64) -> Option<Instr> {
        let rr = (self.rr)(dst, x, x);
        if let Some((cmp, CmpForm::Reg { .. })) = rr.as_compare() {
            let form = CmpForm::Imm { dst, a: x, imm: c as i64 };
            return Some(Instr::compare(cmp.swapped(), form));
        }
        if rr.is_commutative() {
            return self.imm.map(|imm| imm(dst, x, c));
        }
        None
    }
}

/// How a numeric operator translates.
enum Numeric {
    Unary(fn(R, R) -> Instr),
    Binary(BinOp),
}

/// Generates [`numeric_op`] from the instruction table: wasm's numeric
/// operators are named like the IR ops they become, and the table says
/// which have an immediate form.
macro_rules! numeric_ops {
    (
        unary: [$($un:ident),* $(,)?],
        binary: [$($bin:ident),* $(,)?],
        imm32: [$($i32op:ident => $i32imm:ident),* $(,)?],
        imm64: [$($i64op:ident => $i64imm:ident),* $(,)?],
        commutative: [$($comm:ident),* $(,)?],
        compare32: [$($c32:ident, $c32imm:ident, $b32:ident, $b32imm:ident, not $c32not:ident, swap $c32sw:ident);* $(;)?],
        compare64: [$($c64:ident, $c64imm:ident, $b64:ident, $b64imm:ident, not $c64not:ident, swap $c64sw:ident);* $(;)?],
        $($rest:tt)*
    ) => {
        /// The translation of a numeric operator (`None`: not one).
        fn numeric_op(op: &Operator<'_>) -> Option<Numeric> {
            use Operator as O;
            Some(match op {
                $(O::$un => Numeric::Unary(|dst, src| Instr::$un { dst, src }),)*
                $(O::$bin => Numeric::Binary(BinOp {
                    rr: |dst, a, b| Instr::$bin { dst, a, b },
                    imm: None,
                }),)*
                $(O::$i32op => Numeric::Binary(BinOp {
                    rr: |dst, a, b| Instr::$i32op { dst, a, b },
                    imm: Some(|dst, a, v| Instr::$i32imm { dst, a, imm: v as u32 as i32 }),
                }),)*
                $(O::$c32 => Numeric::Binary(BinOp {
                    rr: |dst, a, b| Instr::$c32 { dst, a, b },
                    imm: Some(|dst, a, v| Instr::$c32imm { dst, a, imm: v as u32 as i32 }),
                }),)*
                $(O::$i64op => Numeric::Binary(BinOp {
                    rr: |dst, a, b| Instr::$i64op { dst, a, b },
                    imm: Some(|dst, a, v| Instr::$i64imm { dst, a, imm: v as i64 }),
                }),)*
                $(O::$c64 => Numeric::Binary(BinOp {
                    rr: |dst, a, b| Instr::$c64 { dst, a, b },
                    imm: Some(|dst, a, v| Instr::$c64imm { dst, a, imm: v as i64 }),
                }),)*
                _ => return None,
            })
        }
    };
}

crate::for_each_instr!(numeric_ops);

impl<'a> Translator<'a> {
    fn reg(&self, h: usize) -> Result<R, Error> {
        R::try_from(self.num_locals + self.num_const_regs + h).map_err(|_| too_big())
    }

    /// The register holding constant `v`, if one is (or can be) reserved.
    fn const_reg(&mut self, v: u64) -> Option<R> {
        if let Some(&(_, r)) = self.consts.iter().find(|(c, _)| *c == v) {
            return Some(r);
        }
        if self.consts.len() >= self.num_const_regs {
            return None;
        }
        let r = (self.num_locals + self.consts.len()) as R;
        self.consts.push((v, r));
        Some(r)
    }

    fn emit(&mut self, i: Instr) -> usize {
        self.code.push(i);
        self.fusable = None;
        self.code.len() - 1
    }

    fn pc(&self) -> u32 {
        self.code.len() as u32
    }

    fn push(&mut self, o: Opd) {
        self.stack.push(o);
        self.max_height = self.max_height.max(self.stack.len());
    }

    fn pop(&mut self) -> Opd {
        self.stack.pop().expect("validated: operand stack underflow")
    }

    /// Puts stack entry `i` into its stack register.
    fn materialize(&mut self, i: usize) -> Result<(), Error> {
        let dst = self.reg(i)?;
        match self.stack[i] {
            Opd::Temp => {}
            Opd::Local(src) => {
                self.emit(Instr::Copy { dst, src });
            }
            Opd::Const(v) => {
                self.emit(const_instr(dst, v));
            }
        }
        self.stack[i] = Opd::Temp;
        Ok(())
    }

    /// The register holding popped operand `o` that was at height `h`.
    fn use_opd(&mut self, o: Opd, h: usize) -> Result<R, Error> {
        Ok(match o {
            Opd::Temp => self.reg(h)?,
            Opd::Local(r) => r,
            Opd::Const(v) => match self.const_reg(v) {
                Some(r) => r,
                None => {
                    let dst = self.reg(h)?;
                    self.emit(const_instr(dst, v));
                    dst
                }
            },
        })
    }

    /// Emits an op whose single result goes onto the stack at height `h`.
    fn result(&mut self, i: Instr) {
        let at = self.emit(i);
        self.push(Opd::Temp);
        self.fusable = Some(at);
    }

    fn unary(&mut self, f: fn(R, R) -> Instr) -> Result<(), Error> {
        let a = self.pop();
        let h = self.stack.len();
        let src = self.use_opd(a, h)?;
        let dst = self.reg(h)?;
        self.result(f(dst, src));
        Ok(())
    }

    fn binary(&mut self, op: BinOp) -> Result<(), Error> {
        let b = self.pop();
        let a = self.pop();
        let h = self.stack.len();
        let dst = self.reg(h)?;
        if let (Opd::Const(v), Some(imm)) = (b, op.imm) {
            let ra = self.use_opd(a, h)?;
            self.result(imm(dst, ra, v));
            return Ok(());
        }
        if let Opd::Const(v) = a
            && !matches!(b, Opd::Const(_))
        {
            // `b` is in a register: finding it emits nothing.
            let rb = self.use_opd(b, h + 1)?;
            if let Some(i) = op.swapped_imm(dst, rb, v) {
                self.result(i);
                return Ok(());
            }
        }
        let ra = self.use_opd(a, h)?;
        let rb = self.use_opd(b, h + 1)?;
        self.result((op.rr)(dst, ra, rb));
        Ok(())
    }

    /// Materializes every lazy `Local` entry (and, from `from` up, constants
    /// too) so that the stack survives control flow.
    fn settle(&mut self, from: usize) -> Result<(), Error> {
        for i in 0..self.stack.len() {
            match self.stack[i] {
                Opd::Local(_) => self.materialize(i)?,
                Opd::Const(_) if i >= from => self.materialize(i)?,
                _ => {}
            }
        }
        Ok(())
    }

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

    fn bind_label(&mut self) {
        self.label = self.code.len();
        self.fusable = None;
    }

    fn patch(&mut self, at: usize, target: u32) {
        *self.code[at].target_mut().expect("patching a branch") = target;
    }

    /// Copies the top `n` stack values into the registers of heights
    /// `dst..dst+n`. Safe in increasing order: each source is at a height at
    /// least its destination's, or a local, or a constant.
    fn move_top(&mut self, dst: usize, n: usize) -> Result<(), Error> {
        let top = self.stack.len() - n;
        for i in 0..n {
            let d = self.reg(dst + i)?;
            match self.stack[top + i] {
                Opd::Temp if top + i == dst + i => {}
                Opd::Temp => {
                    let src = self.reg(top + i)?;
                    self.emit(Instr::Copy { dst: d, src });
                }
                Opd::Local(src) => {
                    self.emit(Instr::Copy { dst: d, src });
                }
                Opd::Const(v) => {
                    self.emit(const_instr(d, v));
                }
            }
        }
        Ok(())
    }

    /// Whether `move_top(dst, n)` would emit nothing.
    fn in_place(&self, dst: usize, n: usize) -> bool {
        let top = self.stack.len() - n;
        top == dst && self.stack[top..].iter().all(|o| *o == Opd::Temp)
    }

    /// Emits the return of the top `num_results` values.
    fn emit_return(&mut self) -> Result<(), Error> {
        let n = self.num_results;
        let top = self.stack.len() - n;
        match n {
            0 => {
                self.emit(Instr::Return);
            }
            1 => match self.stack[top] {
                Opd::Local(0) => {
                    self.emit(Instr::Return);
                }
                Opd::Const(v) => {
                    self.emit(const_instr(0, v));
                    self.emit(Instr::Return);
                }
                o => {
                    let src = self.use_opd(o, top)?;
                    self.emit(Instr::Return1 { src });
                }
            },
            _ => {
                // Materialize on a copy of the stack state: after a
                // conditional return (`br_if`, a `br_table` pad) the
                // translation goes on with the entries as they were.
                let saved = self.stack.clone();
                for i in top..self.stack.len() {
                    self.materialize(i)?;
                }
                self.stack = saved;
                let src = self.reg(top)?;
                self.emit(Instr::CopySpan { dst: 0, src, n: n as u16 });
                self.emit(Instr::Return);
            }
        }
        Ok(())
    }

    /// Branch to the label `depth` levels out: moves the branch values and
    /// emits the jump (or the return, for the function's own label).
    fn branch(&mut self, depth: u32) -> Result<(), Error> {
        let idx = self.ctrls.len() - 1 - depth as usize;
        let c = &self.ctrls[idx];
        if c.kind == Kind::Func {
            return self.emit_return();
        }
        let (height, arity, is_loop, head) =
            (c.height, if c.kind == Kind::Loop { c.nparams } else { c.nresults }, c.kind == Kind::Loop, c.head);
        self.move_top(height, arity)?;
        let at = self.emit(Instr::Br { target: head });
        if !is_loop {
            self.ctrls[idx].patches.push(at);
        }
        Ok(())
    }

    /// Whether a branch to `depth` needs no moves (a plain jump does).
    fn branch_is_plain(&self, depth: u32) -> bool {
        let c = &self.ctrls[self.ctrls.len() - 1 - depth as usize];
        let arity = if c.kind == Kind::Loop { c.nparams } else { c.nresults };
        c.kind != Kind::Func && self.in_place(c.height, arity)
    }

    /// Emits a conditional jump (to be patched) taken when `cond` is
    /// `when`; fuses a preceding comparison producing `cond`.
    fn cond_branch(&mut self, cond: Opd, when: bool) -> Result<usize, Error> {
        let h = self.stack.len();
        if cond == Opd::Temp
            && let Some(at) = self.fusable.filter(|&at| at + 1 == self.code.len() && at >= self.label)
        {
            let fused = match self.code[at] {
                Instr::I32Eqz { src, .. } => {
                    Some(if when { Instr::BrIfZ { c: src, target: 0 } } else { Instr::BrIfNz { c: src, target: 0 } })
                }
                Instr::I64Eqz { src, .. } => Some(if when {
                    Instr::BrI64EqImm { a: src, imm: 0, target: 0 }
                } else {
                    Instr::BrI64NeImm { a: src, imm: 0, target: 0 }
                }),
                c => (if when { Some(c) } else { c.negate_compare() }).and_then(|c| c.to_branch(0)),
            };
            if let Some(f) = fused {
                self.code[at] = f;
                self.fusable = None;
                return Ok(at);
            }
        }
        let c = self.use_opd(cond, h)?;
        Ok(self.emit(if when { Instr::BrIfNz { c, target: 0 } } else { Instr::BrIfZ { c, target: 0 } }))
    }

    fn local_set(&mut self, x: R, tee: bool) -> Result<(), Error> {
        let v = self.pop();
        if v == Opd::Local(x) {
            if tee {
                self.push(v);
            }
            return Ok(());
        }
        let lazy = self.stack.contains(&Opd::Local(x));
        let fusable =
            v == Opd::Temp && matches!(self.fusable, Some(at) if at + 1 == self.code.len() && at >= self.label);
        if fusable && !lazy {
            let at = self.code.len() - 1;
            *self.code[at].dst_mut().expect("fusable op has a dst") = x;
            self.fusable = None;
            if tee {
                self.push(Opd::Local(x));
            }
            return Ok(());
        }
        for i in 0..self.stack.len() {
            if self.stack[i] == Opd::Local(x) {
                self.materialize(i)?;
            }
        }
        let h = self.stack.len();
        match v {
            Opd::Const(c) => {
                self.emit(const_instr(x, c));
            }
            _ => {
                let src = self.use_opd(v, h)?;
                self.emit(Instr::Copy { dst: x, src });
            }
        }
        if tee {
            self.push(v);
        }
        Ok(())
    }

    /// Pops `n` call arguments into consecutive registers; their base.
    fn call_args(&mut self, n: usize) -> Result<(R, usize), Error> {
        let h = self.stack.len() - n;
        for i in h..self.stack.len() {
            self.materialize(i)?;
        }
        self.stack.truncate(h);
        Ok((self.reg(h)?, h))
    }

    fn call_results(&mut self, h: usize, n: usize) -> Result<(), Error> {
        self.reg(h + n)?;
        for _ in 0..n {
            self.push(Opd::Temp);
        }
        Ok(())
    }

    fn load(&mut self, f: fn(R, R, u32) -> Instr, memarg: MemArg) -> Result<(), Error> {
        let offset = memarg.offset;
        let a = self.pop();
        let h = self.stack.len();
        let addr = self.use_opd(a, h)?;
        let dst = self.reg(h)?;
        self.result(f(dst, addr, offset as u32));
        Ok(())
    }

    fn store(&mut self, f: fn(R, R, u32) -> Instr, memarg: MemArg) -> Result<(), Error> {
        let offset = memarg.offset;
        let v = self.pop();
        let a = self.pop();
        let h = self.stack.len();
        let addr = self.use_opd(a, h)?;
        let src = self.use_opd(v, h + 1)?;
        self.emit(f(addr, src, offset as u32));
        Ok(())
    }

    /// Pops `n` operands into registers (bottom first).
    fn pop_regs<const N: usize>(&mut self) -> Result<[R; N], Error> {
        let h = self.stack.len() - N;
        let mut out = [0; N];
        let ops: Vec<Opd> = self.stack.drain(h..).collect();
        for (i, o) in ops.into_iter().enumerate() {
            out[i] = self.use_opd(o, h + i)?;
        }
        Ok(out)
    }

    /// Translates one operator. Control flow and calls are here; the rest
    /// goes on to [`Self::access_op`] and [`Self::value_op`].
    fn op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        if self.unreachable && self.counter.skips(&op) {
            return Ok(());
        }
        use Operator as O;
        match op {
            O::Nop => {}
            O::Unreachable => {
                self.emit(Instr::Unreachable);
                self.unreachable = true;
            }
            O::Block { blockty } => self.block(blockty, false)?,
            O::Loop { blockty } => self.block(blockty, true)?,
            O::If { blockty } => self.if_block(blockty)?,
            O::Else => self.else_block()?,
            O::End => self.end_block()?,
            O::Br { relative_depth } => {
                self.branch(relative_depth)?;
                self.unreachable = true;
            }
            O::BrIf { relative_depth } => self.br_if(relative_depth)?,
            O::BrTable { targets } => self.br_table(targets)?,
            O::Return => {
                self.emit_return()?;
                self.unreachable = true;
            }
            O::Call { function_index } => self.call(function_index)?,
            O::CallIndirect { type_index, table_index } => self.call_indirect(type_index, table_index)?,

            _ => return self.access_op(op),
        }
        Ok(())
    }

    /// Operators on locals and globals; memory and tables go on to
    /// [`Self::memory_op`] and [`Self::table_op`].
    fn access_op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        match op {
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let [a, b, c] = self.pop_regs()?;
                self.produce(|dst| Instr::Select { dst, c, a, b })?;
            }
            O::LocalGet { local_index } => self.push(Opd::Local(local_index as R)),
            O::LocalSet { local_index } => self.local_set(local_index as R, false)?,
            O::LocalTee { local_index } => self.local_set(local_index as R, true)?,
            O::GlobalGet { global_index } => self.produce(|dst| Instr::GlobalGet { dst, global: global_index })?,
            O::GlobalSet { global_index } => {
                let [src] = self.pop_regs()?;
                self.emit(Instr::GlobalSet { src, global: global_index });
            }

            _ => return self.memory_op(op),
        }
        Ok(())
    }

    /// Loads, stores and the other memory operators.
    fn memory_op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        match op {
            O::I32Load { memarg } | O::F32Load { memarg } | O::I64Load32U { memarg } => {
                self.load(|dst, addr, offset| Instr::Load32 { dst, addr, offset }, memarg)?
            }
            O::I64Load { memarg } | O::F64Load { memarg } => {
                self.load(|dst, addr, offset| Instr::Load64 { dst, addr, offset }, memarg)?
            }
            O::I32Load8S { memarg } => self.load(|dst, addr, offset| Instr::Load8S32 { dst, addr, offset }, memarg)?,
            O::I32Load8U { memarg } | O::I64Load8U { memarg } => {
                self.load(|dst, addr, offset| Instr::Load8U { dst, addr, offset }, memarg)?
            }
            O::I32Load16S { memarg } => {
                self.load(|dst, addr, offset| Instr::Load16S32 { dst, addr, offset }, memarg)?
            }
            O::I32Load16U { memarg } | O::I64Load16U { memarg } => {
                self.load(|dst, addr, offset| Instr::Load16U { dst, addr, offset }, memarg)?
            }
            O::I64Load8S { memarg } => self.load(|dst, addr, offset| Instr::Load8S64 { dst, addr, offset }, memarg)?,
            O::I64Load16S { memarg } => {
                self.load(|dst, addr, offset| Instr::Load16S64 { dst, addr, offset }, memarg)?
            }
            O::I64Load32S { memarg } => {
                self.load(|dst, addr, offset| Instr::Load32S64 { dst, addr, offset }, memarg)?
            }
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => {
                self.store(|addr, src, offset| Instr::Store8 { addr, src, offset }, memarg)?
            }
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => {
                self.store(|addr, src, offset| Instr::Store16 { addr, src, offset }, memarg)?
            }
            O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => {
                self.store(|addr, src, offset| Instr::Store32 { addr, src, offset }, memarg)?
            }
            O::I64Store { memarg } | O::F64Store { memarg } => {
                self.store(|addr, src, offset| Instr::Store64 { addr, src, offset }, memarg)?
            }
            O::MemorySize { .. } => self.produce(|dst| Instr::MemorySize { dst })?,
            O::MemoryGrow { .. } => {
                let [delta] = self.pop_regs()?;
                self.produce(|dst| Instr::MemoryGrow { dst, delta })?;
            }
            O::MemoryFill { .. } => {
                let [dst, val, len] = self.pop_regs()?;
                self.emit(Instr::MemoryFill { dst, val, len });
            }
            O::MemoryCopy { .. } => {
                let [dst, src, len] = self.pop_regs()?;
                self.emit(Instr::MemoryCopy { dst, src, len });
            }
            O::MemoryInit { data_index, .. } => {
                let [dst, src, len] = self.pop_regs()?;
                let seg = data_index;
                self.emit(Instr::MemoryInit { seg, dst, src, len });
            }
            O::DataDrop { data_index } => {
                self.emit(Instr::DataDrop { seg: data_index });
            }

            _ => return self.table_op(op),
        }
        Ok(())
    }

    /// Table and element-segment operators.
    fn table_op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        match op {
            O::TableGet { table } => {
                let [index] = self.pop_regs()?;
                self.produce(|dst| Instr::TableGet { dst, index, table })?;
            }
            O::TableSet { table } => {
                let [index, val] = self.pop_regs()?;
                self.emit(Instr::TableSet { table, index, val });
            }
            O::TableSize { table } => self.produce(|dst| Instr::TableSize { dst, table })?,
            O::TableGrow { table } => {
                let [init, delta] = self.pop_regs()?;
                self.produce(|dst| Instr::TableGrow { dst, init, delta, table })?;
            }
            O::TableFill { table } => {
                let [dst, val, len] = self.pop_regs()?;
                self.emit(Instr::TableFill { table, dst, val, len });
            }
            O::TableCopy { dst_table, src_table } => {
                let [dst, src, len] = self.pop_regs()?;
                self.emit(Instr::TableCopy { dst_table, src_table, dst, src, len });
            }
            O::TableInit { elem_index, table } => {
                let [dst, src, len] = self.pop_regs()?;
                let seg = elem_index;
                self.emit(Instr::TableInit { table, seg, dst, src, len });
            }
            O::ElemDrop { elem_index } => {
                self.emit(Instr::ElemDrop { seg: elem_index });
            }

            _ => return self.value_op(op),
        }
        Ok(())
    }

    /// Operators that compute values: constants, references, conversions
    /// and arithmetic (numeric operators translate by the instruction
    /// table, see [`numeric_op`]).
    fn value_op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        match op {
            O::RefNull { .. } => self.push(Opd::Const(0)),
            O::RefIsNull => self.unary(|dst, src| Instr::I64Eqz { dst, src })?,
            O::RefFunc { function_index } => self.produce(|dst| Instr::RefFunc { dst, func: function_index })?,

            O::I32Const { value } => self.push(Opd::Const(value as u32 as u64)),
            O::I64Const { value } => self.push(Opd::Const(value as u64)),
            O::F32Const { value } => self.push(Opd::Const(value.bits() as u64)),
            O::F64Const { value } => self.push(Opd::Const(value.bits())),
            // Conversions that do not change the raw slot: i32 slots are
            // zero-extended, floats are their bits.
            O::I64ExtendI32U
            | O::I32ReinterpretF32
            | O::F32ReinterpretI32
            | O::I64ReinterpretF64
            | O::F64ReinterpretI64 => {}

            _ => return self.numeric(op),
        }
        Ok(())
    }

    /// Emits an op with a single result (written to register `dst`), no
    /// operands left to pop.
    fn produce(&mut self, f: impl FnOnce(R) -> Instr) -> Result<(), Error> {
        let dst = self.reg(self.stack.len())?;
        self.result(f(dst));
        Ok(())
    }

    /// `block` or `loop`.
    fn block(&mut self, blockty: BlockType, is_loop: bool) -> Result<(), Error> {
        let (np, nr) = self.block_type(blockty);
        let height = self.stack.len() - np;
        self.settle(height)?;
        if is_loop {
            self.bind_label();
            let enterable = height == 0 && np == 0;
            let ordinal = self.counter.enter_loop();
            self.loops.push(LoopHead { pc: self.pc(), ordinal, enterable });
        }
        self.ctrls.push(Ctrl {
            kind: if is_loop { Kind::Loop } else { Kind::Block },
            height,
            nparams: np,
            nresults: nr,
            head: self.pc(),
            patches: Vec::new(),
            else_patch: None,
        });
        Ok(())
    }

    fn if_block(&mut self, blockty: BlockType) -> Result<(), Error> {
        let (np, nr) = self.block_type(blockty);
        let cond = self.pop();
        let height = self.stack.len() - np;
        // The comparison producing the condition may be fused into
        // the branch; the settling copies go before it (they read
        // only locals and write registers below it).
        let fusable =
            cond == Opd::Temp && matches!(self.fusable, Some(at) if at + 1 == self.code.len() && at >= self.label);
        let cmp = if fusable { self.code.pop() } else { None };
        self.settle(height)?;
        let else_patch = match cmp {
            Some(c) => {
                let at = self.emit(c);
                self.fusable = Some(at);
                self.cond_branch(Opd::Temp, false)?
            }
            None => self.cond_branch(cond, false)?,
        };
        self.ctrls.push(Ctrl {
            kind: Kind::If,
            height,
            nparams: np,
            nresults: nr,
            head: 0,
            patches: Vec::new(),
            else_patch: Some(else_patch),
        });
        Ok(())
    }

    fn else_block(&mut self) -> Result<(), Error> {
        let c = self.ctrls.last().expect("validated: else in if");
        let (height, np, nr) = (c.height, c.nparams, c.nresults);
        if !self.unreachable {
            self.move_top(height, nr)?;
            let at = self.emit(Instr::Br { target: 0 });
            self.ctrls.last_mut().unwrap().patches.push(at);
        }
        let c = self.ctrls.last_mut().unwrap();
        c.kind = Kind::Else;
        let ep = c.else_patch.take().expect("if has an else branch");
        let pc = self.pc();
        self.patch(ep, pc);
        self.bind_label();
        self.stack.truncate(height);
        for _ in 0..np {
            self.push(Opd::Temp);
        }
        self.unreachable = false;
        Ok(())
    }

    fn end_block(&mut self) -> Result<(), Error> {
        let c = self.ctrls.last().expect("validated: end closes a block");
        let (height, nr, kind) = (c.height, c.nresults, c.kind);
        if kind == Kind::Func {
            if !self.unreachable {
                self.emit_return()?;
            }
            self.ctrls.pop();
            return Ok(());
        }
        if !self.unreachable {
            self.move_top(height, nr)?;
        }
        let c = self.ctrls.pop().unwrap();
        let reached = !self.unreachable || !c.patches.is_empty() || c.else_patch.is_some();
        let pc = self.pc();
        for at in c.patches.iter().copied().chain(c.else_patch) {
            self.patch(at, pc);
        }
        if kind != Kind::Loop {
            self.bind_label();
        }
        self.stack.truncate(height);
        for _ in 0..nr {
            self.push(Opd::Temp);
        }
        self.unreachable = !reached;
        Ok(())
    }

    fn br_if(&mut self, relative_depth: u32) -> Result<(), Error> {
        let cond = self.pop();
        if self.branch_is_plain(relative_depth) {
            let at = self.cond_branch(cond, true)?;
            let idx = self.ctrls.len() - 1 - relative_depth as usize;
            if self.ctrls[idx].kind == Kind::Loop {
                let head = self.ctrls[idx].head;
                self.patch(at, head);
            } else {
                self.ctrls[idx].patches.push(at);
            }
        } else {
            let skip = self.cond_branch(cond, false)?;
            self.branch(relative_depth)?;
            let pc = self.pc();
            self.patch(skip, pc);
            self.bind_label();
        }
        Ok(())
    }

    fn br_table(&mut self, targets: wasmparser::BrTable<'_>) -> Result<(), Error> {
        let idx = self.pop();
        let h = self.stack.len();
        let index = self.use_opd(idx, h)?;
        let depths: Vec<u32> =
            targets.targets().chain(std::iter::once(Ok(targets.default()))).collect::<Result<_, _>>()?;
        self.emit(Instr::BrTable { index, count: depths.len() as u32 - 1 });
        let table_start = self.code.len();
        self.tables.push((table_start, depths.len()));
        for _ in &depths {
            self.emit(Instr::Br { target: 0 });
        }
        for (i, &d) in depths.iter().enumerate() {
            let ci = self.ctrls.len() - 1 - d as usize;
            if self.branch_is_plain(d) {
                if self.ctrls[ci].kind == Kind::Loop {
                    let head = self.ctrls[ci].head;
                    self.patch(table_start + i, head);
                } else {
                    self.ctrls[ci].patches.push(table_start + i);
                }
            } else {
                // A landing pad that moves the values first.
                let pc = self.pc();
                self.patch(table_start + i, pc);
                self.branch(d)?;
            }
        }
        self.unreachable = true;
        Ok(())
    }

    fn call(&mut self, function_index: u32) -> Result<(), Error> {
        let ty = self.info.func_type(function_index);
        let (np, nr) = (ty.params.len(), ty.results.len());
        let (base, h) = self.call_args(np)?;
        let imported = self.info.num_imported_funcs;
        self.emit(if function_index < imported {
            Instr::CallImport { func: function_index, base }
        } else {
            Instr::Call { func: function_index - imported, base }
        });
        self.call_results(h, nr)?;
        Ok(())
    }

    fn call_indirect(&mut self, type_index: u32, table_index: u32) -> Result<(), Error> {
        let ty = &self.info.types[type_index as usize];
        let (np, nr) = (ty.params.len(), ty.results.len());
        let i = self.pop();
        let ih = self.stack.len();
        let index = self.use_opd(i, ih)?;
        // The index must not be overwritten by materializing the
        // arguments: it lives above them.
        let (base, h) = self.call_args(np)?;
        self.emit(Instr::CallIndirect { table: table_index, ty: type_index, index, base });
        self.call_results(h, nr)?;
        Ok(())
    }

    fn numeric(&mut self, op: Operator<'_>) -> Result<(), Error> {
        match numeric_op(&op) {
            Some(Numeric::Unary(f)) => self.unary(f),
            Some(Numeric::Binary(b)) => self.binary(b),
            None => Err(Error::Unsupported(format!("operator {op:?}"))),
        }
    }
}

/// At most this many registers hold constants.
const MAX_CONST_REGS: usize = 256;

/// The branch with the opposite condition.
fn negate_branch(i: Instr) -> Option<Instr> {
    match i {
        Instr::BrIfNz { c, target } => Some(Instr::BrIfZ { c, target }),
        Instr::BrIfZ { c, target } => Some(Instr::BrIfNz { c, target }),
        _ => i.negate_compare(),
    }
}

/// Loop inversion: `Br X` where `X: if c goto E` and `E` is the next
/// instruction becomes `if !c goto X+1` (one dispatch less per iteration of
/// the common `loop { br_if exit; ...; br loop }` shape). Jump-table entries
/// stay unconditional jumps.
///
/// Also, a jump to a return is the return itself.
fn invert_loop_branches(code: &mut [Instr], tables: &[(usize, usize)]) {
    for i in 0..code.len() {
        let Instr::Br { target: x } = code[i] else {
            continue;
        };
        if let ret @ (Instr::Return | Instr::Return1 { .. }) = code[x as usize] {
            code[i] = ret;
            continue;
        }
        if tables.iter().any(|&(s, n)| (s..s + n).contains(&i)) {
            continue;
        }
        let mut cond = code[x as usize];
        if cond.target_mut().map(|t| *t as usize) != Some(i + 1) {
            continue;
        }
        if let Some(mut inv) = negate_branch(cond) {
            *inv.target_mut().unwrap() = x + 1;
            code[i] = inv;
        }
    }
}

fn const_instr(dst: R, v: u64) -> Instr {
    match u32::try_from(v) {
        Ok(imm) => Instr::Const32 { dst, imm },
        Err(_) => Instr::Const64 { dst, imm: v },
    }
}

/// Translates defined function `index` of a validated module.
pub fn translate_function(info: &ModuleInfo, wasm: &[u8], index: usize) -> Result<Func, Error> {
    let ty = info.func_type(info.num_imported_funcs + index as u32);
    let body = info.body(wasm, index);
    let mut num_locals = ty.params.len();
    for l in body.get_locals_reader()? {
        let (n, _) = l?;
        num_locals += n as usize;
    }
    if num_locals > R::MAX as usize {
        return Err(too_big());
    }
    // Room for constants: at most one register per constant in the body,
    // within a budget that keeps small frames small.
    let mut num_consts = 0usize;
    let mut scan = body.get_operators_reader()?;
    while !scan.eof() {
        if let Operator::I32Const { .. }
        | Operator::I64Const { .. }
        | Operator::F32Const { .. }
        | Operator::F64Const { .. } = scan.read()?
        {
            num_consts += 1;
        }
    }
    let num_const_regs = num_consts.min(MAX_CONST_REGS).min(R::MAX as usize - num_locals);
    let mut t = Translator {
        info,
        code: Vec::new(),
        stack: Vec::new(),
        ctrls: vec![Ctrl {
            kind: Kind::Func,
            height: 0,
            nparams: 0,
            nresults: ty.results.len(),
            head: 0,
            patches: Vec::new(),
            else_patch: None,
        }],
        num_locals,
        num_const_regs,
        consts: Vec::new(),
        tables: Vec::new(),
        num_results: ty.results.len(),
        max_height: 0,
        fusable: None,
        label: 0,
        unreachable: false,
        counter: LoopCounter::default(),
        loops: Vec::new(),
    };
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        t.op(ops.read()?)?;
    }
    // Results and call arguments go to registers 0.. of a frame, which
    // must exist even for a function without locals.
    let frame_size = (num_locals + num_const_regs + t.max_height).max(ty.results.len()).max(1);
    if frame_size > R::MAX as usize {
        return Err(too_big());
    }
    invert_loop_branches(&mut t.code, &t.tables);
    // The prologue initializes the constant registers.
    let prologue: Vec<Instr> = t.consts.iter().map(|&(v, r)| const_instr(r, v)).collect();
    let mut code = prologue;
    let shift = code.len() as u32;
    for mut i in t.code {
        if let Some(target) = i.target_mut() {
            *target += shift;
        }
        code.push(i);
    }
    Ok(Func {
        code,
        num_params: ty.params.len() as u32,
        num_results: ty.results.len() as u32,
        num_locals: num_locals as u32,
        frame_size: frame_size as u32,
        loops: t.loops.iter().map(|l| LoopHead { pc: l.pc + shift, ..*l }).collect(),
    })
}
