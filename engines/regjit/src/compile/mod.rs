//! The code generator: one function's register IR to x86-64, following the
//! calling convention of `wasmlab_native` (see that crate's docs).
//!
//! Pinned registers: `r15` = the instance's `VmCtx`, `r14` = the frame
//! (IR register `i` is the slot at `r14 + 8 * i`), `r13` = linear memory's
//! base (it never moves: memories reserve their maximum up front).
//! `rax`, `rcx`, `rdx` and `xmm0`, `xmm1` are scratch; the other general
//! and SSE registers hold the IR registers [`crate::regalloc`] picked (SSE
//! ones only registers that always hold floats; an f32 there keeps bits
//! 32..64 zero, so it is its own zero-extended slot). An IR register held in a machine
//! register is written back to its slot only where someone else reads the
//! frame: call arguments, results on return, and around runtime calls for
//! the caller-saved ones.
//!
//! This module is the machinery (operands, prologue and epilogue, calls,
//! bounds checks, branches, trap stubs, assembly); [`ops`] has the code of
//! each instruction.
//!
//! Bounds checks are explicit (`ea + size > mem_len` traps), so no signal
//! handler is needed. Traps jump to a stub per trap kind at the end of the
//! function that records the trap and returns its code.

use iced_x86::code_asm::*;
use iced_x86::{BlockEncoderOptions, IcedError};
use wasmlab_contract::{Error, Trap};
use wasmlab_regir::{Cmp, Func, Instr, R};
use wasmlab_runtime::{ExecState, FuncRef, ModuleInfo, VmCtx, trap_code};

use crate::regalloc::{Allocation, G, X, allocate};

mod ops;

/// The most IR instructions one function may have by default: larger ones
/// are refused with `ResourceLimit` (bounds the assembler's memory, a few
/// hundred bytes per IR instruction).
pub const MAX_FUNC_INSTRS: usize = 1 << 18;

/// Addresses of the host engine's call paths (see `wasmlab_interp`'s
/// native calls): how generated code calls a function reference, and a
/// defined function that has no native entry yet.
#[derive(Clone, Copy, Debug)]
pub struct HostCalls {
    /// `(vmctx, *const FuncRef, frame) -> status`.
    pub call_ref: usize,
    /// `(vmctx, defined index, frame) -> status`.
    pub call_defined: usize,
}

/// A wrong-code fault planted on purpose, for tests of the campaigns (never
/// set outside tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `i32.add` and `i32.xor` add one more to a result whose low byte is
    /// 0x5a.
    I32AddXorLowByte,
    /// `i32.mul` executes an illegal instruction: the process crashes.
    CrashOnI32Mul,
}

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Count fuel at function entries and loop back-edges.
    pub fuel: bool,
    /// Call the module's own functions directly (the whole module is
    /// compiled together); otherwise through the native entry table, with
    /// the host's `call_defined` for functions not compiled yet.
    pub direct_calls: bool,
    /// Emit an on-stack-replacement entry at every loop header.
    pub osr: bool,
    pub host: HostCalls,
    pub fault: Option<Fault>,
    /// Larger functions are refused ([`MAX_FUNC_INSTRS`] by default).
    pub max_instrs: usize,
}

/// One compiled function, position-independent but for `calls`.
pub struct FuncCode {
    pub bytes: Vec<u8>,
    /// Direct calls to patch: offset of the 5-byte `call rel32`, callee
    /// (defined index).
    pub calls: Vec<(u32, u32)>,
    /// Where the code of each IR instruction starts: (offset, pc).
    pub blocks: Vec<(u32, u32)>,
    /// On-stack-replacement entries: (loop header pc, offset).
    pub osr: Vec<(u32, u32)>,
    /// Where the jump tables (data, not instructions) start.
    pub data_start: u32,
}

fn asm_err(e: IcedError) -> Error {
    Error::Internal(format!("regjit: assembler: {e}"))
}

/// Compiles defined function `index` of `info`, whose IR is `func`.
pub fn compile_function(info: &ModuleInfo, index: u32, func: &Func, opts: &Options) -> Result<FuncCode, Error> {
    if func.code.len() > opts.max_instrs {
        return Err(Error::ResourceLimit(format!(
            "function {index} has {} IR instructions; regjit compiles at most {}",
            func.code.len(),
            opts.max_instrs
        )));
    }
    let mut cg = Cg::new(info, index, func, func.num_results, opts).map_err(asm_err)?;
    cg.function().map_err(asm_err)?;
    cg.finish()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Src {
    Reg(G),
    Xmm(X),
    Slot(R),
    Imm(i64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cond {
    E,
    Ne,
    L,
    B,
    G,
    A,
    Le,
    Be,
    Ge,
    Ae,
    P,
    Np,
}

impl Cond {
    fn of(c: Cmp) -> Cond {
        use Cmp::*;
        match c {
            I32Eq | I64Eq => Cond::E,
            I32Ne | I64Ne => Cond::Ne,
            I32LtS | I64LtS => Cond::L,
            I32LtU | I64LtU => Cond::B,
            I32GtS | I64GtS => Cond::G,
            I32GtU | I64GtU => Cond::A,
            I32LeS | I64LeS => Cond::Le,
            I32LeU | I64LeU => Cond::Be,
            I32GeS | I64GeS => Cond::Ge,
            I32GeU | I64GeU => Cond::Ae,
        }
    }
    fn not(self) -> Cond {
        match self {
            Cond::E => Cond::Ne,
            Cond::Ne => Cond::E,
            Cond::L => Cond::Ge,
            Cond::Ge => Cond::L,
            Cond::B => Cond::Ae,
            Cond::Ae => Cond::B,
            Cond::G => Cond::Le,
            Cond::Le => Cond::G,
            Cond::A => Cond::Be,
            Cond::Be => Cond::A,
            Cond::P => Cond::Np,
            Cond::Np => Cond::P,
        }
    }
}

fn is64(c: Cmp) -> bool {
    use Cmp::*;
    matches!(c, I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS | I64GeU)
}

fn slot(r: R) -> AsmMemoryOperand {
    qword_ptr(r14 + (r as i32) * 8)
}
fn slot32(r: R) -> AsmMemoryOperand {
    dword_ptr(r14 + (r as i32) * 8)
}

type Res = Result<(), IcedError>;

struct Cg<'a> {
    a: CodeAssembler,
    info: &'a ModuleInfo,
    index: u32,
    f: &'a Func,
    num_results: u32,
    opts: &'a Options,
    alloc: Allocation,
    labels: Vec<CodeLabel>,
    exit: CodeLabel,
    traps: Vec<(Trap, CodeLabel)>,
    /// Jump tables: their label and the pcs of their entries.
    tables: Vec<(CodeLabel, Vec<usize>)>,
    direct: Vec<(CodeLabel, u32)>,
    osr: Vec<(u32, CodeLabel)>,
    /// Pushes in the prologue, and whether it pads the stack by 8.
    saved: Vec<G>,
    pad: bool,
    /// Instructions emitted when the last label was bound (a label needs an
    /// instruction after it before the next one).
    last_label_at: usize,
}

fn calls_out(i: &Instr) -> bool {
    use Instr::*;
    match i {
        Call { .. }
        | CallImport { .. }
        | CallIndirect { .. }
        | MemoryGrow { .. }
        | MemoryFill { .. }
        | MemoryCopy { .. }
        | MemoryInit { .. }
        | DataDrop { .. }
        | TableGet { .. }
        | TableSet { .. }
        | TableGrow { .. }
        | TableFill { .. }
        | TableCopy { .. }
        | TableInit { .. }
        | ElemDrop { .. }
        | F32Min { .. }
        | F32Max { .. }
        | F64Min { .. }
        | F64Max { .. }
        | F32ConvertI64U { .. }
        | F64ConvertI64U { .. }
        | I32TruncF32S { .. }
        | I32TruncF32U { .. }
        | I32TruncF64S { .. }
        | I32TruncF64U { .. }
        | I64TruncF32S { .. }
        | I64TruncF32U { .. }
        | I64TruncF64S { .. }
        | I64TruncF64U { .. }
        | I32TruncSatF32S { .. }
        | I32TruncSatF32U { .. }
        | I32TruncSatF64S { .. }
        | I32TruncSatF64U { .. }
        | I64TruncSatF32S { .. }
        | I64TruncSatF32U { .. }
        | I64TruncSatF64S { .. }
        | I64TruncSatF64U { .. } => true,
        F32Ceil { .. }
        | F32Floor { .. }
        | F32Trunc { .. }
        | F32Nearest { .. }
        | F64Ceil { .. }
        | F64Floor { .. }
        | F64Trunc { .. }
        | F64Nearest { .. } => !sse41(),
        I32Popcnt { .. } | I64Popcnt { .. } => !popcnt(),
        _ => false,
    }
}

fn sse41() -> bool {
    std::arch::is_x86_feature_detected!("sse4.1")
}
fn popcnt() -> bool {
    std::arch::is_x86_feature_detected!("popcnt")
}

impl<'a> Cg<'a> {
    fn new(
        info: &'a ModuleInfo,
        index: u32,
        f: &'a Func,
        num_results: u32,
        opts: &'a Options,
    ) -> Result<Self, IcedError> {
        let mut a = CodeAssembler::new(64)?;
        let calls = f.code.iter().any(calls_out);
        let alloc = allocate(&f.code, f.frame_size, calls, sse41());
        let labels = (0..f.code.len()).map(|_| a.create_label()).collect();
        let exit = a.create_label();
        let mut saved: Vec<G> = alloc.used.iter().copied().filter(|g| g.callee_saved()).collect();
        saved.extend([G(13), G(14), G(15)]);
        // Entry rsp is 8 mod 16; each push flips it.
        let pad = saved.len().is_multiple_of(2);
        Ok(Cg {
            a,
            info,
            index,
            f,
            num_results,
            opts,
            alloc,
            labels,
            exit,
            traps: Vec::new(),
            tables: Vec::new(),
            direct: Vec::new(),
            osr: Vec::new(),
            saved,
            pad,
            last_label_at: usize::MAX,
        })
    }

    fn bind(&mut self, l: &mut CodeLabel) -> Res {
        if self.a.instructions().len() == self.last_label_at {
            self.a.zero_bytes()?;
        }
        self.a.set_label(l)?;
        self.last_label_at = self.a.instructions().len();
        Ok(())
    }

    fn trap_label(&mut self, t: Trap) -> CodeLabel {
        if let Some((_, l)) = self.traps.iter().find(|(x, _)| *x == t) {
            return *l;
        }
        let l = self.a.create_label();
        self.traps.push((t, l));
        l
    }

    fn loc(&self, r: R) -> Src {
        match (self.alloc.of(r), self.alloc.xmm_of(r)) {
            (Some(g), _) => Src::Reg(g),
            (_, Some(x)) => Src::Xmm(x),
            _ => Src::Slot(r),
        }
    }

    /// `s` as a general-register operand: an SSE register's value is
    /// moved to `scratch`.
    fn gpr(&mut self, s: Src, scratch: G) -> Result<Src, IcedError> {
        match s {
            Src::Xmm(x) => {
                self.a.movq(scratch.q(), x.x())?;
                Ok(Src::Reg(scratch))
            }
            s => Ok(s),
        }
    }

    /// A machine register for the result of an op writing `dst` and reading
    /// `reads` afterwards: `dst`'s own register unless a read lives there.
    fn work(&self, dst: R, reads: &[Src]) -> G {
        match self.alloc.of(dst) {
            Some(g) if reads.iter().all(|s| !matches!(s, Src::Reg(x) if *x == g)) => g,
            _ => G::RAX,
        }
    }

    fn get64(&mut self, w: G, s: Src) -> Res {
        match s {
            Src::Reg(g) if g == w => Ok(()),
            Src::Reg(g) => self.a.mov(w.q(), g.q()),
            Src::Xmm(x) => self.a.movq(w.q(), x.x()),
            Src::Slot(r) => self.a.mov(w.q(), slot(r)),
            Src::Imm(i) => self.mov_imm(w, i as u64),
        }
    }
    fn get32(&mut self, w: G, s: Src) -> Res {
        match s {
            Src::Reg(g) if g == w => Ok(()),
            Src::Reg(g) => self.a.mov(w.d(), g.d()),
            Src::Xmm(x) => self.a.movd(w.d(), x.x()),
            Src::Slot(r) => self.a.mov(w.d(), slot32(r)),
            Src::Imm(i) => self.a.mov(w.d(), i as u32),
        }
    }
    fn mov_imm(&mut self, w: G, v: u64) -> Res {
        if v == 0 {
            self.a.xor(w.d(), w.d())
        } else if v <= u32::MAX as u64 {
            self.a.mov(w.d(), v as u32)
        } else {
            self.a.mov(w.q(), v)
        }
    }
    /// Register `r` := machine register `w` (all 64 bits).
    fn put(&mut self, r: R, w: G) -> Res {
        match self.loc(r) {
            Src::Reg(g) if g == w => Ok(()),
            Src::Reg(g) => self.a.mov(g.q(), w.q()),
            Src::Xmm(x) => self.a.movq(x.x(), w.q()),
            _ => self.a.mov(slot(r), w.q()),
        }
    }
    /// An operand in a register: its own, or loaded into `scratch`.
    fn in_reg(&mut self, r: R, scratch: G, wide: bool) -> Result<G, IcedError> {
        match self.loc(r) {
            Src::Reg(g) => Ok(g),
            Src::Xmm(x) => {
                self.a.movq(scratch.q(), x.x())?;
                Ok(scratch)
            }
            _ => {
                if wide {
                    self.a.mov(scratch.q(), slot(r))?;
                } else {
                    self.a.mov(scratch.d(), slot32(r))?;
                }
                Ok(scratch)
            }
        }
    }

    fn jcc(&mut self, c: Cond, l: CodeLabel) -> Res {
        let a = &mut self.a;
        match c {
            Cond::E => a.je(l),
            Cond::Ne => a.jne(l),
            Cond::L => a.jl(l),
            Cond::B => a.jb(l),
            Cond::G => a.jg(l),
            Cond::A => a.ja(l),
            Cond::Le => a.jle(l),
            Cond::Be => a.jbe(l),
            Cond::Ge => a.jge(l),
            Cond::Ae => a.jae(l),
            Cond::P => a.jp(l),
            Cond::Np => a.jnp(l),
        }
    }
    fn setcc(&mut self, c: Cond, r: AsmRegister8) -> Res {
        let a = &mut self.a;
        match c {
            Cond::E => a.sete(r),
            Cond::Ne => a.setne(r),
            Cond::L => a.setl(r),
            Cond::B => a.setb(r),
            Cond::G => a.setg(r),
            Cond::A => a.seta(r),
            Cond::Le => a.setle(r),
            Cond::Be => a.setbe(r),
            Cond::Ge => a.setge(r),
            Cond::Ae => a.setae(r),
            Cond::P => a.setp(r),
            Cond::Np => a.setnp(r),
        }
    }

    fn exec_to(&mut self, g: G) -> Res {
        self.a.mov(g.q(), qword_ptr(r15 + VmCtx::EXEC as i32))
    }

    // ---- prologue, epilogue, traps ----

    fn prologue(&mut self, osr: bool) -> Res {
        for g in self.saved.clone() {
            self.a.push(g.q())?;
        }
        if self.pad {
            self.a.sub(rsp, 8)?;
        }
        self.a.mov(r15, rdi)?;
        self.a.mov(r14, rsi)?;
        self.a.mov(r13, qword_ptr(rdi + VmCtx::MEM_BASE as i32))?;
        self.exec_to(G::RAX)?;
        let so = self.trap_label(Trap::StackOverflow);
        self.a.cmp(rsp, qword_ptr(rax + ExecState::STACK_LIMIT as i32))?;
        self.a.jb(so)?;
        self.a.lea(rcx, qword_ptr(r14 + (self.f.frame_size as i32) * 8))?;
        self.a.cmp(rcx, qword_ptr(rax + ExecState::SLOTS_END as i32))?;
        self.a.ja(so)?;
        if osr {
            // The interpreter counted the call and charged its fuel.
            for (r, g) in self.alloc.all().collect::<Vec<_>>() {
                self.a.mov(g.q(), slot(r))?;
            }
            for (r, x) in self.alloc.xpairs.clone() {
                self.a.movq(x.x(), slot(r))?;
            }
            return Ok(());
        }
        if self.opts.fuel {
            let of = self.trap_label(Trap::OutOfFuel);
            self.a.sub(qword_ptr(rax + ExecState::FUEL as i32), 1)?;
            self.a.js(of)?;
        }
        self.a.mov(rcx, qword_ptr(r15 + VmCtx::CALL_COUNTS as i32))?;
        self.a.add(dword_ptr(rcx + (self.index as i32) * 4), 1)?;
        let (np, nl) = (self.f.num_params as R, self.f.num_locals as R);
        let mut zeroed = false;
        for r in np..nl {
            match self.loc(r) {
                Src::Reg(g) => self.a.xor(g.d(), g.d())?,
                Src::Xmm(x) => self.a.xorps(x.x(), x.x())?,
                _ => {
                    if !zeroed {
                        self.a.xor(eax, eax)?;
                        zeroed = true;
                    }
                    self.a.mov(slot(r), rax)?;
                }
            }
        }
        for r in 0..np {
            match self.loc(r) {
                Src::Reg(g) => self.a.mov(g.q(), slot(r))?,
                Src::Xmm(x) => self.a.movq(x.x(), slot(r))?,
                _ => {}
            }
        }
        Ok(())
    }

    fn epilogue(&mut self) -> Res {
        let mut exit = self.exit;
        self.bind(&mut exit)?;
        if self.pad {
            self.a.add(rsp, 8)?;
        }
        for g in self.saved.clone().into_iter().rev() {
            self.a.pop(g.q())?;
        }
        self.a.ret()
    }

    fn trap_stubs(&mut self) -> Res {
        // Records the code in eax in the trap slot and leaves.
        let mut record = self.a.create_label();
        for (t, mut l) in std::mem::take(&mut self.traps) {
            self.bind(&mut l)?;
            self.a.mov(eax, trap_code(t))?;
            self.a.jmp(record)?;
        }
        self.bind(&mut record)?;
        self.exec_to(G::RCX)?;
        self.a.mov(dword_ptr(rcx + ExecState::TRAP as i32), eax)?;
        self.a.jmp(self.exit)
    }

    /// After a runtime call that may trap: leave if the slot holds a trap.
    fn check_trap(&mut self) -> Res {
        let mut ok = self.a.create_label();
        self.exec_to(G::RCX)?;
        self.a.cmp(dword_ptr(rcx + ExecState::TRAP as i32), 0)?;
        self.a.je(ok)?;
        self.a.mov(eax, dword_ptr(rcx + ExecState::TRAP as i32))?;
        self.a.jmp(self.exit)?;
        self.bind(&mut ok)
    }

    // ---- calls out ----

    fn spill_caller_saved(&mut self, below: Option<R>) -> Res {
        for (r, g) in self.alloc.caller_saved().collect::<Vec<_>>() {
            if below.is_none_or(|b| r < b) {
                self.a.mov(slot(r), g.q())?;
            }
        }
        for (r, x) in self.alloc.xpairs.clone() {
            if below.is_none_or(|b| r < b) {
                self.a.movq(slot(r), x.x())?;
            }
        }
        Ok(())
    }
    fn reload_caller_saved(&mut self, below: Option<R>) -> Res {
        for (r, g) in self.alloc.caller_saved().collect::<Vec<_>>() {
            if below.is_none_or(|b| r < b) {
                self.a.mov(g.q(), slot(r))?;
            }
        }
        for (r, x) in self.alloc.xpairs.clone() {
            if below.is_none_or(|b| r < b) {
                self.a.movq(x.x(), slot(r))?;
            }
        }
        Ok(())
    }

    /// Calls runtime helper `f(vmctx, args..)`; the result in `rax`.
    /// Every caller-saved allocated register is spilled around it.
    fn helper(&mut self, f: usize, args: &[Src], traps: bool) -> Res {
        self.spill_caller_saved(None)?;
        const ARGS: [G; 5] = [G::RSI, G::RDX, G::RCX, G::R8, G::R9];
        for (s, g) in args.iter().zip(ARGS) {
            // Caller-saved registers were spilled: read them from the slots.
            let s = match *s {
                Src::Reg(x) if !x.callee_saved() => {
                    let r = self.alloc.all().find(|&(_, y)| y == x).map(|(r, _)| r).expect("allocated");
                    Src::Slot(r)
                }
                s => s,
            };
            self.get64(g, s)?;
        }
        self.a.mov(rdi, r15)?;
        self.a.mov(rax, f as u64)?;
        self.a.call(rax)?;
        self.reload_caller_saved(None)?;
        if traps { self.check_trap() } else { Ok(()) }
    }

    fn helper_op(&mut self, dst: R, f: usize, args: &[R], traps: bool) -> Res {
        let args: Vec<Src> = args.iter().map(|&r| self.loc(r)).collect();
        self.helper(f, &args, traps)?;
        self.put(dst, G::RAX)
    }

    fn func_type(&self, ty: u32) -> (u32, u32) {
        let t = &self.info.types[ty as usize];
        (t.params.len() as u32, t.results.len() as u32)
    }

    /// Stores what the callee reads (arguments, caller-saved registers
    /// below the frame it gets) before a call at `base`.
    fn before_call(&mut self, base: R, params: u32) -> Res {
        self.spill_caller_saved(Some(base))?;
        for (r, g) in self.alloc.all().collect::<Vec<_>>() {
            if r >= base && (r as u32) < base as u32 + params {
                self.a.mov(slot(r), g.q())?;
            }
        }
        for (r, x) in self.alloc.xpairs.clone() {
            if r >= base && (r as u32) < base as u32 + params {
                self.a.movq(slot(r), x.x())?;
            }
        }
        Ok(())
    }
    fn after_call(&mut self, base: R, results: u32) -> Res {
        self.a.test(eax, eax)?;
        self.a.jne(self.exit)?;
        self.reload_caller_saved(Some(base))?;
        for (r, g) in self.alloc.all().collect::<Vec<_>>() {
            if r >= base && (r as u32) < base as u32 + results {
                self.a.mov(g.q(), slot(r))?;
            }
        }
        for (r, x) in self.alloc.xpairs.clone() {
            if r >= base && (r as u32) < base as u32 + results {
                self.a.movq(x.x(), slot(r))?;
            }
        }
        Ok(())
    }

    fn call_defined(&mut self, func: u32, base: R) -> Res {
        let ty = self.info.funcs[(self.info.num_imported_funcs + func) as usize];
        let (p, r) = self.func_type(ty);
        self.before_call(base, p)?;
        self.a.mov(rdi, r15)?;
        self.a.lea(rsi, qword_ptr(r14 + (base as i32) * 8))?;
        if self.opts.direct_calls {
            let mut l = self.a.create_label();
            self.bind(&mut l)?;
            // Placeholder target: patched when the module is linked.
            self.a.call(0u64)?;
            self.direct.push((l, func));
        } else {
            let mut slow = self.a.create_label();
            let mut done = self.a.create_label();
            self.a.mov(rax, qword_ptr(r15 + VmCtx::NATIVE as i32))?;
            self.a.mov(rax, qword_ptr(rax + (func as i32) * 8))?;
            self.a.test(rax, rax)?;
            self.a.je(slow)?;
            self.a.call(rax)?;
            self.a.jmp(done)?;
            self.bind(&mut slow)?;
            self.a.mov(esi, func)?;
            self.a.lea(rdx, qword_ptr(r14 + (base as i32) * 8))?;
            self.a.mov(rax, self.opts.host.call_defined as u64)?;
            self.a.call(rax)?;
            self.bind(&mut done)?;
        }
        self.after_call(base, r)
    }

    /// Calls the `FuncRef` in `rdx` with its frame at `base`: natively when
    /// it is wasm with a native entry, else through the host.
    fn call_funcref(&mut self, base: R) -> Res {
        let mut slow = self.a.create_label();
        let mut done = self.a.create_label();
        self.a.cmp(qword_ptr(rdx + FuncRef::HOST as i32), 0)?;
        self.a.jne(slow)?;
        self.a.mov(rdi, qword_ptr(rdx + FuncRef::VMCTX as i32))?;
        self.a.mov(ecx, dword_ptr(rdx + FuncRef::INDEX as i32))?;
        self.a.mov(rax, qword_ptr(rdi + VmCtx::NATIVE as i32))?;
        self.a.mov(rax, qword_ptr(rax + rcx * 8))?;
        self.a.test(rax, rax)?;
        self.a.je(slow)?;
        self.a.lea(rsi, qword_ptr(r14 + (base as i32) * 8))?;
        self.a.call(rax)?;
        self.a.jmp(done)?;
        self.bind(&mut slow)?;
        self.a.mov(rdi, r15)?;
        self.a.mov(rsi, rdx)?;
        self.a.lea(rdx, qword_ptr(r14 + (base as i32) * 8))?;
        self.a.mov(rax, self.opts.host.call_ref as u64)?;
        self.a.call(rax)?;
        self.bind(&mut done)
    }

    // ---- memory ----

    /// Bounds-checks `u32(addr) + offset + size` and leaves the effective
    /// address's index in `rax` with the displacement to use with `r13`.
    fn address(&mut self, addr: R, offset: u32, size: u32) -> Result<AsmMemoryOperand, IcedError> {
        let src = self.loc(addr);
        self.get32(G::RAX, src)?;
        let oob = self.trap_label(Trap::MemoryOutOfBounds);
        let end = offset as u64 + size as u64;
        if end <= i32::MAX as u64 {
            self.a.lea(rdx, qword_ptr(rax + end as i32))?;
        } else {
            self.a.mov(rdx, end)?;
            self.a.add(rdx, rax)?;
        }
        self.a.cmp(rdx, qword_ptr(r15 + VmCtx::MEM_LEN as i32))?;
        self.a.ja(oob)?;
        if offset <= i32::MAX as u32 {
            Ok(r13 + rax + offset as i32)
        } else {
            self.a.mov(edx, offset)?;
            self.a.add(rax, rdx)?;
            Ok(r13 + rax)
        }
    }

    // ---- control ----

    /// Loop back-edge bookkeeping: the loop counter and a step of fuel.
    fn back_edge(&mut self) -> Res {
        self.a.mov(rax, qword_ptr(r15 + VmCtx::LOOP_COUNTS as i32))?;
        self.a.add(dword_ptr(rax + (self.index as i32) * 4), 1)?;
        if self.opts.fuel {
            let of = self.trap_label(Trap::OutOfFuel);
            self.exec_to(G::RAX)?;
            self.a.sub(qword_ptr(rax + ExecState::FUEL as i32), 1)?;
            self.a.js(of)?;
        }
        Ok(())
    }

    /// Jumps to `target` when `c` holds (flags already set).
    fn branch(&mut self, pc: usize, c: Option<Cond>, target: u32) -> Res {
        let l = self.labels[target as usize];
        if target as usize > pc {
            return match c {
                Some(c) => self.jcc(c, l),
                None => self.a.jmp(l),
            };
        }
        let mut skip = self.a.create_label();
        if let Some(c) = c {
            self.jcc(c.not(), skip)?;
        }
        self.back_edge()?;
        self.a.jmp(l)?;
        if c.is_some() {
            self.bind(&mut skip)?;
        }
        Ok(())
    }

    /// `cmp a, b` for an integer comparison.
    fn compare(&mut self, c: Cmp, a: R, b: Src) -> Res {
        let wide = is64(c);
        let ra = self.in_reg(a, G::RAX, wide)?;
        let b = self.gpr(b, G::RCX)?;
        match (wide, b) {
            (true, Src::Reg(g)) => self.a.cmp(ra.q(), g.q()),
            (true, Src::Slot(r)) => self.a.cmp(ra.q(), slot(r)),
            (true, Src::Imm(i)) if i32::try_from(i).is_ok() => self.a.cmp(ra.q(), i as i32),
            (true, Src::Imm(i)) => {
                self.a.mov(rcx, i as u64)?;
                self.a.cmp(ra.q(), rcx)
            }
            (false, Src::Reg(g)) => self.a.cmp(ra.d(), g.d()),
            (false, Src::Slot(r)) => self.a.cmp(ra.d(), slot32(r)),
            (false, Src::Imm(i)) => self.a.cmp(ra.d(), i as i32),
            (_, Src::Xmm(_)) => unreachable!("moved to a general register"),
        }
    }

    fn function(&mut self) -> Res {
        self.prologue(false)?;
        let code = &self.f.code;
        let mut osr_headers: Vec<u32> = Vec::new();
        if self.opts.osr {
            for (p, i) in code.iter().enumerate() {
                let mut i = *i;
                if let Some(&mut t) = i.target_mut()
                    && (t as usize) <= p
                    && !osr_headers.contains(&t)
                {
                    osr_headers.push(t);
                }
            }
        }
        for (pc, &i) in code.iter().enumerate() {
            let mut l = self.labels[pc];
            self.bind(&mut l)?;
            self.labels[pc] = l;
            self.instr(pc, i)?;
        }
        // Every path ends in a branch, return or trap; nothing falls off.
        for pc in osr_headers {
            let mut l = self.a.create_label();
            self.bind(&mut l)?;
            self.osr.push((pc, l));
            self.prologue(true)?;
            self.a.jmp(self.labels[pc as usize])?;
        }
        self.trap_stubs()?;
        self.epilogue()?;
        for (mut tl, entries) in std::mem::take(&mut self.tables) {
            self.bind(&mut tl)?;
            self.a.dd(&vec![0u32; entries.len()])?;
            self.tables.push((tl, entries));
        }
        Ok(())
    }

    fn finish(mut self) -> Result<FuncCode, Error> {
        let res = self.a.assemble_options(0, BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS).map_err(asm_err)?;
        let ip = |l: &CodeLabel| res.label_ip(l).map(|x| x as u32).map_err(asm_err);
        let mut bytes = res.inner.code_buffer.clone();
        let mut data_start = bytes.len() as u32;
        for (tl, entries) in &self.tables {
            let t = ip(tl)?;
            data_start = data_start.min(t);
            for (k, &e) in entries.iter().enumerate() {
                let rel = ip(&self.labels[e])? as i64 - t as i64;
                let at = t as usize + 4 * k;
                bytes[at..at + 4].copy_from_slice(&(rel as i32).to_le_bytes());
            }
        }
        let calls = self.direct.iter().map(|(l, f)| Ok((ip(l)?, *f))).collect::<Result<_, Error>>()?;
        let mut blocks = Vec::with_capacity(self.labels.len());
        for (pc, l) in self.labels.iter().enumerate() {
            blocks.push((ip(l)?, pc as u32));
        }
        let osr = self.osr.iter().map(|(pc, l)| Ok((*pc, ip(l)?))).collect::<Result<_, Error>>()?;
        self.tables.clear();
        Ok(FuncCode { bytes, calls, blocks, osr, data_start })
    }
}
