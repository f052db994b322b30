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
use wasmparser::{BlockType, Operator};

use crate::instr::{Instr, R};

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
    /// Nesting depth of blocks inside unreachable code being skipped.
    skip: usize,
}

fn too_big() -> Error {
    Error::Unsupported("function needs more than 65535 registers".into())
}

/// The comparison with the opposite outcome (integer compares only: float
/// compares are not negatable because of NaN).
fn negate(i: Instr) -> Option<Instr> {
    macro_rules! pairs {
        ($($x:ident <=> $y:ident),*) => {
            match i {
                $(Instr::$x { dst, a, b } => Instr::$y { dst, a, b },
                  Instr::$y { dst, a, b } => Instr::$x { dst, a, b },)*
                _ => return negate_imm(i),
            }
        };
    }
    Some(
        pairs!(I32Eq <=> I32Ne, I32LtS <=> I32GeS, I32LtU <=> I32GeU, I32GtS <=> I32LeS, I32GtU <=> I32LeU,
        I64Eq <=> I64Ne, I64LtS <=> I64GeS, I64LtU <=> I64GeU, I64GtS <=> I64LeS, I64GtU <=> I64LeU),
    )
}

fn negate_imm(i: Instr) -> Option<Instr> {
    macro_rules! pairs {
        ($($x:ident <=> $y:ident),*) => {
            match i {
                $(Instr::$x { dst, a, imm } => Instr::$y { dst, a, imm },
                  Instr::$y { dst, a, imm } => Instr::$x { dst, a, imm },)*
                _ => return None,
            }
        };
    }
    Some(
        pairs!(I32EqImm <=> I32NeImm, I32LtSImm <=> I32GeSImm, I32LtUImm <=> I32GeUImm, I32GtSImm <=> I32LeSImm,
        I32GtUImm <=> I32LeUImm, I64EqImm <=> I64NeImm, I64LtSImm <=> I64GeSImm, I64LtUImm <=> I64GeUImm,
        I64GtSImm <=> I64LeSImm, I64GtUImm <=> I64LeUImm),
    )
}

type Bin = fn(R, R, R) -> Instr;

/// Register-register and (optionally) register-immediate forms of a binary
/// op, and whether its operands may be swapped (with the op to use then).
struct BinOp {
    rr: Bin,
    imm: Option<fn(R, R, u64) -> Instr>,
    swapped: Option<Bin>,
}

macro_rules! binop {
    ($rr:ident) => {
        BinOp {
            rr: |dst, a, b| Instr::$rr { dst, a, b },
            imm: None,
            swapped: None,
        }
    };
    ($rr:ident, $imm:ident, i32, $sw:ident) => {
        BinOp {
            rr: |dst, a, b| Instr::$rr { dst, a, b },
            imm: Some(|dst, a, v| Instr::$imm {
                dst,
                a,
                imm: v as u32 as i32,
            }),
            swapped: Some(|dst, a, b| Instr::$sw { dst, a, b }),
        }
    };
    ($rr:ident, $imm:ident, i32) => {
        BinOp {
            rr: |dst, a, b| Instr::$rr { dst, a, b },
            imm: Some(|dst, a, v| Instr::$imm {
                dst,
                a,
                imm: v as u32 as i32,
            }),
            swapped: None,
        }
    };
    ($rr:ident, $imm:ident, i64, $sw:ident) => {
        BinOp {
            rr: |dst, a, b| Instr::$rr { dst, a, b },
            imm: Some(|dst, a, v| Instr::$imm {
                dst,
                a,
                imm: v as i64,
            }),
            swapped: Some(|dst, a, b| Instr::$sw { dst, a, b }),
        }
    };
    ($rr:ident, $imm:ident, i64) => {
        BinOp {
            rr: |dst, a, b| Instr::$rr { dst, a, b },
            imm: Some(|dst, a, v| Instr::$imm {
                dst,
                a,
                imm: v as i64,
            }),
            swapped: None,
        }
    };
}

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
        self.stack
            .pop()
            .expect("validated: operand stack underflow")
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
        if let (Opd::Const(v), Some(sw), false) = (a, op.swapped, matches!(b, Opd::Const(_))) {
            // `c op x` computed as `x op' c`.
            let rb = self.use_opd(b, h + 1)?;
            if let Some(i) = swap_to_imm(sw(dst, rb, rb), v) {
                self.result(i);
                return Ok(());
            }
            let ra = self.use_opd(a, h)?;
            self.result((op.rr)(dst, ra, rb));
            return Ok(());
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
                self.emit(Instr::CopySpan {
                    dst: 0,
                    src,
                    n: n as u16,
                });
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
        let (height, arity, is_loop, head) = (
            c.height,
            if c.kind == Kind::Loop {
                c.nparams
            } else {
                c.nresults
            },
            c.kind == Kind::Loop,
            c.head,
        );
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
        let arity = if c.kind == Kind::Loop {
            c.nparams
        } else {
            c.nresults
        };
        c.kind != Kind::Func && self.in_place(c.height, arity)
    }

    /// Emits a conditional jump (to be patched) taken when `cond` is
    /// `when`; fuses a preceding comparison producing `cond`.
    fn cond_branch(&mut self, cond: Opd, when: bool) -> Result<usize, Error> {
        let h = self.stack.len();
        if cond == Opd::Temp
            && let Some(at) = self
                .fusable
                .filter(|&at| at + 1 == self.code.len() && at >= self.label)
        {
            let fused = match self.code[at] {
                Instr::I32Eqz { src, .. } => Some(if when {
                    Instr::BrIfZ { c: src, target: 0 }
                } else {
                    Instr::BrIfNz { c: src, target: 0 }
                }),
                Instr::I64Eqz { src, .. } => Some(if when {
                    Instr::BrI64EqImm {
                        a: src,
                        imm: 0,
                        target: 0,
                    }
                } else {
                    Instr::BrI64NeImm {
                        a: src,
                        imm: 0,
                        target: 0,
                    }
                }),
                c => (if when { Some(c) } else { negate(c) }).and_then(|c| c.to_branch(0)),
            };
            if let Some(f) = fused {
                self.code[at] = f;
                self.fusable = None;
                return Ok(at);
            }
        }
        let c = self.use_opd(cond, h)?;
        Ok(self.emit(if when {
            Instr::BrIfNz { c, target: 0 }
        } else {
            Instr::BrIfZ { c, target: 0 }
        }))
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
        let fusable = v == Opd::Temp
            && matches!(self.fusable, Some(at) if at + 1 == self.code.len() && at >= self.label);
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

    fn load(&mut self, f: fn(R, R, u32) -> Instr, offset: u64) -> Result<(), Error> {
        let a = self.pop();
        let h = self.stack.len();
        let addr = self.use_opd(a, h)?;
        let dst = self.reg(h)?;
        self.result(f(dst, addr, offset as u32));
        Ok(())
    }

    fn store(&mut self, f: fn(R, R, u32) -> Instr, offset: u64) -> Result<(), Error> {
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

    fn op(&mut self, op: Operator<'_>) -> Result<(), Error> {
        if self.unreachable {
            match op {
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } => {
                    self.skip += 1;
                    return Ok(());
                }
                Operator::Else if self.skip == 0 => {}
                Operator::End if self.skip == 0 => {}
                Operator::End => {
                    self.skip -= 1;
                    return Ok(());
                }
                _ => return Ok(()),
            }
        }
        use Operator as O;
        match op {
            O::Nop => {}
            O::Unreachable => {
                self.emit(Instr::Unreachable);
                self.unreachable = true;
            }
            O::Block { blockty } | O::Loop { blockty } => {
                let (np, nr) = self.block_type(blockty);
                let height = self.stack.len() - np;
                self.settle(height)?;
                let is_loop = matches!(op, O::Loop { .. });
                if is_loop {
                    self.bind_label();
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
            }
            O::If { blockty } => {
                let (np, nr) = self.block_type(blockty);
                let cond = self.pop();
                let height = self.stack.len() - np;
                // The comparison producing the condition may be fused into
                // the branch; the settling copies go before it (they read
                // only locals and write registers below it).
                let fusable = cond == Opd::Temp
                    && matches!(self.fusable, Some(at) if at + 1 == self.code.len() && at >= self.label);
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
            }
            O::Else => {
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
            }
            O::End => {
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
            }
            O::Br { relative_depth } => {
                self.branch(relative_depth)?;
                self.unreachable = true;
            }
            O::BrIf { relative_depth } => {
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
            }
            O::BrTable { targets } => {
                let idx = self.pop();
                let h = self.stack.len();
                let index = self.use_opd(idx, h)?;
                let depths: Vec<u32> = targets
                    .targets()
                    .chain(std::iter::once(Ok(targets.default())))
                    .collect::<Result<_, _>>()?;
                self.emit(Instr::BrTable {
                    index,
                    count: depths.len() as u32 - 1,
                });
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
            }
            O::Return => {
                self.emit_return()?;
                self.unreachable = true;
            }
            O::Call { function_index } => {
                let ty = self.info.func_type(function_index);
                let (np, nr) = (ty.params.len(), ty.results.len());
                let (base, h) = self.call_args(np)?;
                let imported = self.info.num_imported_funcs;
                self.emit(if function_index < imported {
                    Instr::CallImport {
                        func: function_index,
                        base,
                    }
                } else {
                    Instr::Call {
                        func: function_index - imported,
                        base,
                    }
                });
                self.call_results(h, nr)?;
            }
            O::CallIndirect {
                type_index,
                table_index,
            } => {
                let ty = &self.info.types[type_index as usize];
                let (np, nr) = (ty.params.len(), ty.results.len());
                let i = self.pop();
                let ih = self.stack.len();
                let index = self.use_opd(i, ih)?;
                // The index must not be overwritten by materializing the
                // arguments: it lives above them.
                let (base, h) = self.call_args(np)?;
                self.emit(Instr::CallIndirect {
                    table: table_index,
                    ty: type_index,
                    index,
                    base,
                });
                self.call_results(h, nr)?;
            }
            O::Drop => {
                self.pop();
            }
            O::Select | O::TypedSelect { .. } => {
                let [a, b, c] = self.pop_regs::<3>()?;
                let h = self.stack.len();
                let dst = self.reg(h)?;
                self.result(Instr::Select { dst, c, a, b });
            }
            O::LocalGet { local_index } => self.push(Opd::Local(local_index as R)),
            O::LocalSet { local_index } => self.local_set(local_index as R, false)?,
            O::LocalTee { local_index } => self.local_set(local_index as R, true)?,
            O::GlobalGet { global_index } => {
                let dst = self.reg(self.stack.len())?;
                self.result(Instr::GlobalGet {
                    dst,
                    global: global_index,
                });
            }
            O::GlobalSet { global_index } => {
                let [src] = self.pop_regs::<1>()?;
                self.emit(Instr::GlobalSet {
                    src,
                    global: global_index,
                });
            }
            O::I32Load { memarg } | O::F32Load { memarg } | O::I64Load32U { memarg } => self.load(
                |dst, addr, offset| Instr::Load32 { dst, addr, offset },
                memarg.offset,
            )?,
            O::I64Load { memarg } | O::F64Load { memarg } => self.load(
                |dst, addr, offset| Instr::Load64 { dst, addr, offset },
                memarg.offset,
            )?,
            O::I32Load8S { memarg } => self.load(
                |dst, addr, offset| Instr::Load8S32 { dst, addr, offset },
                memarg.offset,
            )?,
            O::I32Load8U { memarg } | O::I64Load8U { memarg } => self.load(
                |dst, addr, offset| Instr::Load8U { dst, addr, offset },
                memarg.offset,
            )?,
            O::I32Load16S { memarg } => self.load(
                |dst, addr, offset| Instr::Load16S32 { dst, addr, offset },
                memarg.offset,
            )?,
            O::I32Load16U { memarg } | O::I64Load16U { memarg } => self.load(
                |dst, addr, offset| Instr::Load16U { dst, addr, offset },
                memarg.offset,
            )?,
            O::I64Load8S { memarg } => self.load(
                |dst, addr, offset| Instr::Load8S64 { dst, addr, offset },
                memarg.offset,
            )?,
            O::I64Load16S { memarg } => self.load(
                |dst, addr, offset| Instr::Load16S64 { dst, addr, offset },
                memarg.offset,
            )?,
            O::I64Load32S { memarg } => self.load(
                |dst, addr, offset| Instr::Load32S64 { dst, addr, offset },
                memarg.offset,
            )?,
            O::I32Store8 { memarg } | O::I64Store8 { memarg } => self.store(
                |addr, src, offset| Instr::Store8 { addr, src, offset },
                memarg.offset,
            )?,
            O::I32Store16 { memarg } | O::I64Store16 { memarg } => self.store(
                |addr, src, offset| Instr::Store16 { addr, src, offset },
                memarg.offset,
            )?,
            O::I32Store { memarg } | O::F32Store { memarg } | O::I64Store32 { memarg } => self
                .store(
                    |addr, src, offset| Instr::Store32 { addr, src, offset },
                    memarg.offset,
                )?,
            O::I64Store { memarg } | O::F64Store { memarg } => self.store(
                |addr, src, offset| Instr::Store64 { addr, src, offset },
                memarg.offset,
            )?,
            O::MemorySize { .. } => {
                let dst = self.reg(self.stack.len())?;
                self.result(Instr::MemorySize { dst });
            }
            O::MemoryGrow { .. } => {
                let [delta] = self.pop_regs::<1>()?;
                let dst = self.reg(self.stack.len())?;
                self.result(Instr::MemoryGrow { dst, delta });
            }
            O::MemoryFill { .. } => {
                let [dst, val, len] = self.pop_regs::<3>()?;
                self.emit(Instr::MemoryFill { dst, val, len });
            }
            O::MemoryCopy { .. } => {
                let [dst, src, len] = self.pop_regs::<3>()?;
                self.emit(Instr::MemoryCopy { dst, src, len });
            }
            O::MemoryInit { data_index, .. } => {
                let [dst, src, len] = self.pop_regs::<3>()?;
                self.emit(Instr::MemoryInit {
                    seg: data_index,
                    dst,
                    src,
                    len,
                });
            }
            O::DataDrop { data_index } => {
                self.emit(Instr::DataDrop { seg: data_index });
            }
            O::TableGet { table } => {
                let [index] = self.pop_regs::<1>()?;
                let dst = self.reg(self.stack.len())?;
                self.result(Instr::TableGet { dst, index, table });
            }
            O::TableSet { table } => {
                let [index, val] = self.pop_regs::<2>()?;
                self.emit(Instr::TableSet { table, index, val });
            }
            O::TableSize { table } => {
                let dst = self.reg(self.stack.len())?;
                self.result(Instr::TableSize { dst, table });
            }
            O::TableGrow { table } => {
                let [init, delta] = self.pop_regs::<2>()?;
                let dst = self.reg(self.stack.len())?;
                self.result(Instr::TableGrow {
                    dst,
                    init,
                    delta,
                    table,
                });
            }
            O::TableFill { table } => {
                let [dst, val, len] = self.pop_regs::<3>()?;
                self.emit(Instr::TableFill {
                    table,
                    dst,
                    val,
                    len,
                });
            }
            O::TableCopy {
                dst_table,
                src_table,
            } => {
                let [dst, src, len] = self.pop_regs::<3>()?;
                self.emit(Instr::TableCopy {
                    dst_table,
                    src_table,
                    dst,
                    src,
                    len,
                });
            }
            O::TableInit { elem_index, table } => {
                let [dst, src, len] = self.pop_regs::<3>()?;
                self.emit(Instr::TableInit {
                    table,
                    seg: elem_index,
                    dst,
                    src,
                    len,
                });
            }
            O::ElemDrop { elem_index } => {
                self.emit(Instr::ElemDrop { seg: elem_index });
            }
            O::RefNull { .. } => self.push(Opd::Const(0)),
            O::RefIsNull => self.unary(|dst, src| Instr::I64Eqz { dst, src })?,
            O::RefFunc { function_index } => {
                let dst = self.reg(self.stack.len())?;
                self.result(Instr::RefFunc {
                    dst,
                    func: function_index,
                });
            }
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

    fn numeric(&mut self, op: Operator<'_>) -> Result<(), Error> {
        use Operator as O;
        macro_rules! un {
            ($($w:ident),* $(,)?) => {
                match op {
                    $(O::$w => return self.unary(|dst, src| Instr::$w { dst, src }),)*
                    _ => {}
                }
            };
        }
        un!(
            I32Clz,
            I32Ctz,
            I32Popcnt,
            I32Eqz,
            I64Clz,
            I64Ctz,
            I64Popcnt,
            I64Eqz,
            F32Abs,
            F32Neg,
            F32Ceil,
            F32Floor,
            F32Trunc,
            F32Nearest,
            F32Sqrt,
            F64Abs,
            F64Neg,
            F64Ceil,
            F64Floor,
            F64Trunc,
            F64Nearest,
            F64Sqrt,
            I32WrapI64,
            I32TruncF32S,
            I32TruncF32U,
            I32TruncF64S,
            I32TruncF64U,
            I64ExtendI32S,
            I64TruncF32S,
            I64TruncF32U,
            I64TruncF64S,
            I64TruncF64U,
            F32ConvertI32S,
            F32ConvertI32U,
            F32ConvertI64S,
            F32ConvertI64U,
            F32DemoteF64,
            F64ConvertI32S,
            F64ConvertI32U,
            F64ConvertI64S,
            F64ConvertI64U,
            F64PromoteF32,
            I32Extend8S,
            I32Extend16S,
            I64Extend8S,
            I64Extend16S,
            I64Extend32S,
            I32TruncSatF32S,
            I32TruncSatF32U,
            I32TruncSatF64S,
            I32TruncSatF64U,
            I64TruncSatF32S,
            I64TruncSatF32U,
            I64TruncSatF64S,
            I64TruncSatF64U,
        );
        let b = match op {
            O::I32Eq => binop!(I32Eq, I32EqImm, i32, I32Eq),
            O::I32Ne => binop!(I32Ne, I32NeImm, i32, I32Ne),
            O::I32LtS => binop!(I32LtS, I32LtSImm, i32, I32GtS),
            O::I32LtU => binop!(I32LtU, I32LtUImm, i32, I32GtU),
            O::I32GtS => binop!(I32GtS, I32GtSImm, i32, I32LtS),
            O::I32GtU => binop!(I32GtU, I32GtUImm, i32, I32LtU),
            O::I32LeS => binop!(I32LeS, I32LeSImm, i32, I32GeS),
            O::I32LeU => binop!(I32LeU, I32LeUImm, i32, I32GeU),
            O::I32GeS => binop!(I32GeS, I32GeSImm, i32, I32LeS),
            O::I32GeU => binop!(I32GeU, I32GeUImm, i32, I32LeU),
            O::I32Add => binop!(I32Add, I32AddImm, i32, I32Add),
            O::I32Sub => binop!(I32Sub, I32SubImm, i32),
            O::I32Mul => binop!(I32Mul, I32MulImm, i32, I32Mul),
            O::I32DivS => binop!(I32DivS, I32DivSImm, i32),
            O::I32DivU => binop!(I32DivU, I32DivUImm, i32),
            O::I32RemS => binop!(I32RemS, I32RemSImm, i32),
            O::I32RemU => binop!(I32RemU, I32RemUImm, i32),
            O::I32And => binop!(I32And, I32AndImm, i32, I32And),
            O::I32Or => binop!(I32Or, I32OrImm, i32, I32Or),
            O::I32Xor => binop!(I32Xor, I32XorImm, i32, I32Xor),
            O::I32Shl => binop!(I32Shl, I32ShlImm, i32),
            O::I32ShrS => binop!(I32ShrS, I32ShrSImm, i32),
            O::I32ShrU => binop!(I32ShrU, I32ShrUImm, i32),
            O::I32Rotl => binop!(I32Rotl, I32RotlImm, i32),
            O::I32Rotr => binop!(I32Rotr, I32RotrImm, i32),
            O::I64Eq => binop!(I64Eq, I64EqImm, i64, I64Eq),
            O::I64Ne => binop!(I64Ne, I64NeImm, i64, I64Ne),
            O::I64LtS => binop!(I64LtS, I64LtSImm, i64, I64GtS),
            O::I64LtU => binop!(I64LtU, I64LtUImm, i64, I64GtU),
            O::I64GtS => binop!(I64GtS, I64GtSImm, i64, I64LtS),
            O::I64GtU => binop!(I64GtU, I64GtUImm, i64, I64LtU),
            O::I64LeS => binop!(I64LeS, I64LeSImm, i64, I64GeS),
            O::I64LeU => binop!(I64LeU, I64LeUImm, i64, I64GeU),
            O::I64GeS => binop!(I64GeS, I64GeSImm, i64, I64LeS),
            O::I64GeU => binop!(I64GeU, I64GeUImm, i64, I64LeU),
            O::I64Add => binop!(I64Add, I64AddImm, i64, I64Add),
            O::I64Sub => binop!(I64Sub, I64SubImm, i64),
            O::I64Mul => binop!(I64Mul, I64MulImm, i64, I64Mul),
            O::I64DivS => binop!(I64DivS, I64DivSImm, i64),
            O::I64DivU => binop!(I64DivU, I64DivUImm, i64),
            O::I64RemS => binop!(I64RemS, I64RemSImm, i64),
            O::I64RemU => binop!(I64RemU, I64RemUImm, i64),
            O::I64And => binop!(I64And, I64AndImm, i64, I64And),
            O::I64Or => binop!(I64Or, I64OrImm, i64, I64Or),
            O::I64Xor => binop!(I64Xor, I64XorImm, i64, I64Xor),
            O::I64Shl => binop!(I64Shl, I64ShlImm, i64),
            O::I64ShrS => binop!(I64ShrS, I64ShrSImm, i64),
            O::I64ShrU => binop!(I64ShrU, I64ShrUImm, i64),
            O::I64Rotl => binop!(I64Rotl, I64RotlImm, i64),
            O::I64Rotr => binop!(I64Rotr, I64RotrImm, i64),
            O::F32Eq => binop!(F32Eq),
            O::F32Ne => binop!(F32Ne),
            O::F32Lt => binop!(F32Lt),
            O::F32Gt => binop!(F32Gt),
            O::F32Le => binop!(F32Le),
            O::F32Ge => binop!(F32Ge),
            O::F32Add => binop!(F32Add),
            O::F32Sub => binop!(F32Sub),
            O::F32Mul => binop!(F32Mul),
            O::F32Div => binop!(F32Div),
            O::F32Min => binop!(F32Min),
            O::F32Max => binop!(F32Max),
            O::F32Copysign => binop!(F32Copysign),
            O::F64Eq => binop!(F64Eq),
            O::F64Ne => binop!(F64Ne),
            O::F64Lt => binop!(F64Lt),
            O::F64Gt => binop!(F64Gt),
            O::F64Le => binop!(F64Le),
            O::F64Ge => binop!(F64Ge),
            O::F64Add => binop!(F64Add),
            O::F64Sub => binop!(F64Sub),
            O::F64Mul => binop!(F64Mul),
            O::F64Div => binop!(F64Div),
            O::F64Min => binop!(F64Min),
            O::F64Max => binop!(F64Max),
            O::F64Copysign => binop!(F64Copysign),
            other => return Err(Error::Unsupported(format!("operator {other:?}"))),
        };
        self.binary(b)
    }
}

/// The imm form of a swapped reg-reg op (`c op x` computed as `x op' c`).
fn swap_to_imm(swapped: Instr, v: u64) -> Option<Instr> {
    macro_rules! m {
        ($($rr:ident => $imm:ident : $t:ident),* $(,)?) => {
            match swapped {
                $(Instr::$rr { dst, a, .. } => Some(Instr::$imm { dst, a, imm: m!(@conv $t) }),)*
                _ => None,
            }
        };
        (@conv i32) => { v as u32 as i32 };
        (@conv i64) => { v as i64 };
    }
    m!(
        I32Eq => I32EqImm: i32, I32Ne => I32NeImm: i32, I32LtS => I32LtSImm: i32,
        I32LtU => I32LtUImm: i32, I32GtS => I32GtSImm: i32, I32GtU => I32GtUImm: i32,
        I32LeS => I32LeSImm: i32, I32LeU => I32LeUImm: i32, I32GeS => I32GeSImm: i32,
        I32GeU => I32GeUImm: i32, I32Add => I32AddImm: i32, I32Mul => I32MulImm: i32,
        I32And => I32AndImm: i32, I32Or => I32OrImm: i32, I32Xor => I32XorImm: i32,
        I64Eq => I64EqImm: i64, I64Ne => I64NeImm: i64, I64LtS => I64LtSImm: i64, I64LtU => I64LtUImm: i64,
        I64GtS => I64GtSImm: i64, I64GtU => I64GtUImm: i64, I64LeS => I64LeSImm: i64, I64LeU => I64LeUImm: i64,
        I64GeS => I64GeSImm: i64, I64GeU => I64GeUImm: i64, I64Add => I64AddImm: i64, I64Mul => I64MulImm: i64,
        I64And => I64AndImm: i64, I64Or => I64OrImm: i64, I64Xor => I64XorImm: i64,
    )
}

/// At most this many registers hold constants.
const MAX_CONST_REGS: usize = 256;

/// The branch with the opposite condition.
fn negate_branch(i: Instr) -> Option<Instr> {
    macro_rules! pairs {
        ($($x:ident <=> $y:ident),*) => {
            match i {
                $(Instr::$x { a, b, target } => Instr::$y { a, b, target },
                  Instr::$y { a, b, target } => Instr::$x { a, b, target },)*
                Instr::BrIfNz { c, target } => Instr::BrIfZ { c, target },
                Instr::BrIfZ { c, target } => Instr::BrIfNz { c, target },
                _ => return negate_branch_imm(i),
            }
        };
    }
    Some(
        pairs!(BrI32Eq <=> BrI32Ne, BrI32LtS <=> BrI32GeS, BrI32LtU <=> BrI32GeU, BrI32GtS <=> BrI32LeS,
        BrI32GtU <=> BrI32LeU, BrI64Eq <=> BrI64Ne, BrI64LtS <=> BrI64GeS, BrI64LtU <=> BrI64GeU,
        BrI64GtS <=> BrI64LeS, BrI64GtU <=> BrI64LeU),
    )
}

fn negate_branch_imm(i: Instr) -> Option<Instr> {
    macro_rules! pairs {
        ($($x:ident <=> $y:ident),*) => {
            match i {
                $(Instr::$x { a, imm, target } => Instr::$y { a, imm, target },
                  Instr::$y { a, imm, target } => Instr::$x { a, imm, target },)*
                _ => return None,
            }
        };
    }
    Some(
        pairs!(BrI32EqImm <=> BrI32NeImm, BrI32LtSImm <=> BrI32GeSImm, BrI32LtUImm <=> BrI32GeUImm,
        BrI32GtSImm <=> BrI32LeSImm, BrI32GtUImm <=> BrI32LeUImm, BrI64EqImm <=> BrI64NeImm,
        BrI64LtSImm <=> BrI64GeSImm, BrI64LtUImm <=> BrI64GeUImm, BrI64GtSImm <=> BrI64LeSImm,
        BrI64GtUImm <=> BrI64LeUImm),
    )
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
    let num_const_regs = num_consts
        .min(MAX_CONST_REGS)
        .min(R::MAX as usize - num_locals);
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
        skip: 0,
    };
    let mut ops = body.get_operators_reader()?;
    while !ops.eof() {
        t.op(ops.read()?)?;
    }
    // Results and call arguments go to registers 0.. of a frame, which
    // must exist even for a function without locals.
    let frame_size = (num_locals + num_const_regs + t.max_height)
        .max(ty.results.len())
        .max(1);
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
    })
}
