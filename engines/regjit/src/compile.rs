//! The code generator: one function's register IR to x86-64, following the
//! calling convention of `wasmlab_native` (see that crate's docs).
//!
//! Pinned registers: `r15` = the instance's `VmCtx`, `r14` = the frame
//! (IR register `i` is the slot at `r14 + 8 * i`), `r13` = linear memory's
//! base (it never moves: memories reserve their maximum up front).
//! `rax`, `rcx`, `rdx` are scratch; the other general registers hold the IR
//! registers [`crate::regalloc`] picked. An IR register held in a machine
//! register is written back to its slot only where someone else reads the
//! frame: call arguments, results on return, and around runtime calls for
//! the caller-saved ones.
//!
//! Bounds checks are explicit (`ea + size > mem_len` traps), so no signal
//! handler is needed. Traps jump to a stub per trap kind at the end of the
//! function that records the trap and returns its code.

use iced_x86::code_asm::*;
use iced_x86::{BlockEncoderOptions, IcedError};
use wasmlab_contract::{Error, Trap};
use wasmlab_regir::{Cmp, CmpForm, Func, Instr, R};
use wasmlab_runtime::{ExecState, FuncRef, ModuleInfo, Table, VmCtx, trap_code};

use crate::helpers as h;
use crate::regalloc::{Allocation, G, X, allocate};

/// The most IR instructions one function may have by default: larger ones
/// are refused with `ResourceLimit` (bounds the assembler's memory, a few
/// hundred bytes per IR instruction).
pub const MAX_FUNC_INSTRS: usize = 1 << 20;

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

/// Integer ALU ops with a register, slot or immediate second operand.
macro_rules! alu {
    ($s:ident, $op:ident, $wide:expr, $dst:expr, $a:expr, $b:expr) => {{
        let (dst, a, b): (R, Src, Src) = ($dst, $a, $b);
        let w = $s.work(dst, &[b]);
        let b = match b {
            Src::Xmm(_) => $s.gpr(b, G::RCX)?,
            Src::Imm(i) if $wide && i32::try_from(i).is_err() => {
                $s.a.mov(rcx, i as u64)?;
                Src::Reg(G::RCX)
            }
            b => b,
        };
        if $wide {
            $s.get64(w, a)?;
            match b {
                Src::Reg(g) => $s.a.$op(w.q(), g.q())?,
                Src::Slot(r) => $s.a.$op(w.q(), slot(r))?,
                Src::Imm(i) => $s.a.$op(w.q(), i as i32)?,
                Src::Xmm(_) => unreachable!("moved to a general register"),
            }
        } else {
            $s.get32(w, a)?;
            match b {
                Src::Reg(g) => $s.a.$op(w.d(), g.d())?,
                Src::Slot(r) => $s.a.$op(w.d(), slot32(r))?,
                Src::Imm(i) => $s.a.$op(w.d(), i as i32)?,
                Src::Xmm(_) => unreachable!("moved to a general register"),
            }
        }
        $s.put(dst, w)?;
    }};
}

/// Shifts and rotations: the count in `cl` or an immediate (x86 masks the
/// count modulo the width, as wasm does).
macro_rules! shift {
    ($s:ident, $op:ident, $wide:expr, $dst:expr, $a:expr, $b:expr) => {{
        let (dst, a, b): (R, Src, Src) = ($dst, $a, $b);
        let w = $s.work(dst, &[]);
        if !matches!(b, Src::Imm(_)) {
            $s.get32(G::RCX, b)?;
        }
        if $wide {
            $s.get64(w, a)?;
            match b {
                Src::Imm(i) => $s.a.$op(w.q(), (i & 63) as i32)?,
                _ => $s.a.$op(w.q(), cl)?,
            }
        } else {
            $s.get32(w, a)?;
            match b {
                Src::Imm(i) => $s.a.$op(w.d(), (i & 31) as i32)?,
                _ => $s.a.$op(w.d(), cl)?,
            }
        }
        $s.put(dst, w)?;
    }};
}

/// f32/f64 arithmetic in `xmm0` (operand two from a slot or `xmm1`).
macro_rules! farith {
    ($s:ident, $op:ident, $wide:expr, $dst:expr, $a:expr, $b:expr) => {{
        let (dst, a, b): (R, R, R) = ($dst, $a, $b);
        // Compute in dst's own SSE register unless b lives there.
        let d = match $s.alloc.xmm_of(dst) {
            Some(x) if a == b || $s.loc(b) != Src::Xmm(x) => x.x(),
            _ => xmm0,
        };
        $s.load_xmm(d, a, $wide)?;
        match $s.loc(b) {
            Src::Xmm(y) => $s.a.$op(d, y.x())?,
            Src::Slot(r) if $wide => $s.a.$op(d, qword_ptr(r14 + (r as i32) * 8))?,
            Src::Slot(r) => $s.a.$op(d, dword_ptr(r14 + (r as i32) * 8))?,
            _ => {
                $s.load_xmm(xmm1, b, $wide)?;
                $s.a.$op(d, xmm1)?
            }
        }
        if d == xmm0 {
            $s.store_xmm(dst, $wide)?;
        }
    }};
}

impl Cg<'_> {
    /// The SSE register holding float register `r`: its own, or `scratch`
    /// loaded with it.
    fn xsrc(&mut self, r: R, scratch: AsmRegisterXmm, wide: bool) -> Result<AsmRegisterXmm, IcedError> {
        match self.alloc.xmm_of(r) {
            Some(x) => Ok(x.x()),
            None => {
                self.load_xmm(scratch, r, wide)?;
                Ok(scratch)
            }
        }
    }

    fn load_xmm(&mut self, x: AsmRegisterXmm, r: R, wide: bool) -> Res {
        match (self.loc(r), wide) {
            (Src::Xmm(y), _) if y.x() == x => Ok(()),
            (Src::Xmm(y), _) => self.a.movaps(x, y.x()),
            (Src::Reg(g), true) => self.a.movq(x, g.q()),
            (Src::Reg(g), false) => self.a.movd(x, g.d()),
            (Src::Slot(r), true) => self.a.movsd_2(x, slot(r)),
            (Src::Slot(r), false) => self.a.movss(x, slot32(r)),
            (Src::Imm(_), _) => unreachable!("float operands are registers"),
        }
    }
    /// `dst` := `xmm0` (an f32 zero-extended to the slot).
    fn store_xmm(&mut self, dst: R, wide: bool) -> Res {
        if let Some(x) = self.alloc.xmm_of(dst) {
            return self.a.movaps(x.x(), xmm0);
        }
        let w = self.work(dst, &[]);
        if wide {
            self.a.movq(w.q(), xmm0)?;
        } else {
            self.a.movd(w.d(), xmm0)?;
        }
        self.put(dst, w)
    }

    fn fcmp(&mut self, dst: R, a: R, b: R, wide: bool, op: Cond, swap: bool) -> Res {
        let (x, y) = if swap { (b, a) } else { (a, b) };
        let rx = self.xsrc(x, xmm0, wide)?;
        let ry = self.xsrc(y, xmm1, wide)?;
        if wide {
            self.a.ucomisd(rx, ry)?;
        } else {
            self.a.ucomiss(rx, ry)?;
        }
        let w = self.work(dst, &[]);
        match op {
            // Equal and not unordered / not equal or unordered.
            Cond::E => {
                self.a.sete(al)?;
                self.a.setnp(cl)?;
                self.a.and(al, cl)?;
            }
            Cond::Ne => {
                self.a.setne(al)?;
                self.a.setp(cl)?;
                self.a.or(al, cl)?;
            }
            c => self.setcc(c, al)?,
        }
        self.a.movzx(w.d(), al)?;
        self.put(dst, w)
    }

    fn round(&mut self, dst: R, src: R, wide: bool, mode: i32, fallback: usize) -> Res {
        if !sse41() {
            return self.helper_op(dst, fallback, &[src], false);
        }
        self.load_xmm(xmm0, src, wide)?;
        // Bit 3: suppress the precision exception; NaNs come out quiet.
        if wide {
            self.a.roundsd(xmm0, xmm0, mode | 8)?;
        } else {
            self.a.roundss(xmm0, xmm0, mode | 8)?;
        }
        self.store_xmm(dst, wide)
    }

    /// Trapping float-to-int truncation: the hardware conversion, with the
    /// exact (helper) one when its result is the "indefinite" value.
    fn trunc(&mut self, dst: R, src: R, from64: bool, to64: bool, unsigned: bool, slow: usize) -> Res {
        if unsigned && to64 {
            return self.helper_op(dst, slow, &[src], true);
        }
        self.load_xmm(xmm0, src, from64)?;
        let mut done = self.a.create_label();
        let mut edge = self.a.create_label();
        let wide_cvt = to64 || unsigned;
        match (from64, wide_cvt) {
            (true, true) => self.a.cvttsd2si(rax, xmm0)?,
            (true, false) => self.a.cvttsd2si(eax, xmm0)?,
            (false, true) => self.a.cvttss2si(rax, xmm0)?,
            (false, false) => self.a.cvttss2si(eax, xmm0)?,
        }
        if unsigned {
            // u32 through a 64-bit conversion: in range iff the high half is 0.
            self.a.mov(rcx, rax)?;
            self.a.shr(rcx, 32)?;
            self.a.jne(edge)?;
        } else if to64 {
            self.a.mov(rcx, 1u64 << 63)?;
            self.a.cmp(rax, rcx)?;
            self.a.je(edge)?;
        } else {
            self.a.cmp(eax, 0x8000_0000u32 as i32)?;
            self.a.je(edge)?;
        }
        self.a.jmp(done)?;
        self.bind(&mut edge)?;
        let s = self.loc(src);
        self.helper(slow, &[s], true)?;
        self.bind(&mut done)?;
        self.put(dst, G::RAX)
    }

    fn convert_int(&mut self, dst: R, src: R, to64: bool, signed32: bool, wide_src: bool) -> Res {
        let g = self.in_reg(src, G::RAX, wide_src || !signed32)?;
        self.a.xorps(xmm0, xmm0)?;
        match (to64, wide_src, signed32) {
            // i32 signed: sign-extend first; u32 and i64: the 64-bit form
            // (a zero-extended u32 is exact as a signed 64-bit value).
            (_, false, true) => {
                self.a.movsxd(rcx, g.d())?;
                if to64 { self.a.cvtsi2sd(xmm0, rcx)? } else { self.a.cvtsi2ss(xmm0, rcx)? }
            }
            (_, false, false) => {
                self.a.mov(ecx, g.d())?;
                if to64 { self.a.cvtsi2sd(xmm0, rcx)? } else { self.a.cvtsi2ss(xmm0, rcx)? }
            }
            (true, true, _) => self.a.cvtsi2sd(xmm0, g.q())?,
            (false, true, _) => self.a.cvtsi2ss(xmm0, g.q())?,
        }
        self.store_xmm(dst, to64)
    }

    fn divrem(&mut self, dst: R, a: R, b: Src, wide: bool, signed: bool, rem: bool) -> Res {
        let dz = self.trap_label(Trap::IntegerDivisionByZero);
        let mut done = self.a.create_label();
        let la = self.loc(a);
        if wide {
            self.get64(G::RCX, b)?;
            self.get64(G::RAX, la)?;
            self.a.test(rcx, rcx)?;
        } else {
            self.get32(G::RCX, b)?;
            self.get32(G::RAX, la)?;
            self.a.test(ecx, ecx)?;
        }
        self.a.je(dz)?;
        if signed {
            let mut normal = self.a.create_label();
            if wide {
                self.a.cmp(rcx, -1)?;
            } else {
                self.a.cmp(ecx, -1)?;
            }
            self.a.jne(normal)?;
            if rem {
                // x rem -1 = 0 (x86 would fault on MIN rem -1).
                self.a.xor(eax, eax)?;
                self.a.jmp(done)?;
            } else {
                let ov = self.trap_label(Trap::IntegerOverflow);
                if wide {
                    self.a.mov(rdx, 1u64 << 63)?;
                    self.a.cmp(rax, rdx)?;
                } else {
                    self.a.cmp(eax, i32::MIN)?;
                }
                self.a.je(ov)?;
            }
            self.bind(&mut normal)?;
            if wide {
                self.a.cqo()?;
                self.a.idiv(rcx)?;
            } else {
                self.a.cdq()?;
                self.a.idiv(ecx)?;
            }
        } else if wide {
            self.a.xor(edx, edx)?;
            self.a.div(rcx)?;
        } else {
            self.a.xor(edx, edx)?;
            self.a.div(ecx)?;
        }
        if rem {
            if wide {
                self.a.mov(rax, rdx)?;
            } else {
                self.a.mov(eax, edx)?;
            }
        }
        self.bind(&mut done)?;
        self.put(dst, G::RAX)
    }

    fn mul(&mut self, dst: R, a: Src, b: Src, wide: bool) -> Res {
        let w = self.work(dst, &[b]);
        match b {
            Src::Imm(i) if !wide || i32::try_from(i).is_ok() => {
                let ra = match a {
                    Src::Reg(g) => g,
                    _ => {
                        self.get64(G::RAX, a)?;
                        G::RAX
                    }
                };
                if wide {
                    self.a.imul_3(w.q(), ra.q(), i as i32)?;
                } else {
                    self.a.imul_3(w.d(), ra.d(), i as i32)?;
                }
            }
            _ => {
                let b = match b {
                    Src::Imm(i) => {
                        self.a.mov(rcx, i as u64)?;
                        Src::Reg(G::RCX)
                    }
                    b => self.gpr(b, G::RCX)?,
                };
                self.get64(w, a)?;
                match (wide, b) {
                    (true, Src::Reg(g)) => self.a.imul_2(w.q(), g.q())?,
                    (true, Src::Slot(r)) => self.a.imul_2(w.q(), slot(r))?,
                    (false, Src::Reg(g)) => self.a.imul_2(w.d(), g.d())?,
                    (false, Src::Slot(r)) => self.a.imul_2(w.d(), slot32(r))?,
                    (_, Src::Imm(_) | Src::Xmm(_)) => unreachable!(),
                }
            }
        }
        if let (Some(Fault::CrashOnI32Mul), false) = (self.opts.fault, wide) {
            self.a.ud2()?;
        }
        self.put(dst, w)
    }

    fn bitcount(&mut self, dst: R, src: R, wide: bool, kind: u8) -> Res {
        // kind: 0 clz, 1 ctz, 2 popcnt
        if kind == 2 && !popcnt() {
            let f = if wide { h::i64_popcnt as *const () as usize } else { h::i32_popcnt as *const () as usize };
            return self.helper_op(dst, f, &[src], false);
        }
        let g = self.in_reg(src, G::RCX, wide)?;
        let bits: u32 = if wide { 64 } else { 32 };
        match kind {
            0 => {
                // bsr leaves the destination undefined for 0: cmov fixes it.
                self.a.mov(edx, 2 * bits - 1)?;
                if wide {
                    self.a.bsr(rax, g.q())?;
                    self.a.cmove(rax, rdx)?;
                    self.a.xor(eax, bits - 1)?;
                } else {
                    self.a.bsr(eax, g.d())?;
                    self.a.cmove(eax, edx)?;
                    self.a.xor(eax, bits - 1)?;
                }
            }
            1 => {
                self.a.mov(edx, bits)?;
                if wide {
                    self.a.bsf(rax, g.q())?;
                    self.a.cmove(rax, rdx)?;
                } else {
                    self.a.bsf(eax, g.d())?;
                    self.a.cmove(eax, edx)?;
                }
            }
            _ => {
                if wide {
                    self.a.popcnt(rax, g.q())?;
                } else {
                    self.a.popcnt(eax, g.d())?;
                }
            }
        }
        self.put(dst, G::RAX)
    }

    fn extend(&mut self, dst: R, src: R, from: u8, to64: bool) -> Res {
        let g = self.in_reg(src, G::RAX, true)?;
        let w = self.work(dst, &[]);
        match (from, to64) {
            (8, false) => self.a.movsx(w.d(), g.b())?,
            (16, false) => self.a.movsx(w.d(), iced16(g))?,
            (8, true) => self.a.movsx(w.q(), g.b())?,
            (16, true) => self.a.movsx(w.q(), iced16(g))?,
            _ => self.a.movsxd(w.q(), g.d())?,
        }
        self.put(dst, w)
    }
}

fn iced16(g: G) -> AsmRegister16 {
    const W: [AsmRegister16; 16] = [ax, cx, dx, bx, sp, bp, si, di, r8w, r9w, r10w, r11w, r12w, r13w, r14w, r15w];
    W[g.0 as usize]
}

impl Cg<'_> {
    fn instr(&mut self, pc: usize, i: Instr) -> Res {
        use Instr::*;
        if let Some((c, form)) = i.as_compare() {
            let cond = Cond::of(c);
            return match form {
                CmpForm::Reg { dst, a, b } => {
                    let lb = self.loc(b);
                    self.compare(c, a, lb)?;
                    self.set_flag(dst, cond)
                }
                CmpForm::Imm { dst, a, imm } => {
                    self.compare(c, a, Src::Imm(imm))?;
                    self.set_flag(dst, cond)
                }
                CmpForm::Br { a, b, target } => {
                    let lb = self.loc(b);
                    self.compare(c, a, lb)?;
                    self.branch(pc, Some(cond), target)
                }
                CmpForm::BrImm { a, imm, target } => {
                    self.compare(c, a, Src::Imm(imm))?;
                    self.branch(pc, Some(cond), target)
                }
            };
        }
        match i {
            // ---- integer arithmetic ----
            I32Add { dst, a, b } => {
                alu!(self, add, false, dst, self.loc(a), self.loc(b));
                self.plant_low_byte(dst)?;
            }
            I32AddImm { dst, a, imm } => {
                alu!(self, add, false, dst, self.loc(a), Src::Imm(imm as i64));
                self.plant_low_byte(dst)?;
            }
            I32Sub { dst, a, b } => alu!(self, sub, false, dst, self.loc(a), self.loc(b)),
            I32SubImm { dst, a, imm } => alu!(self, sub, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I32And { dst, a, b } => alu!(self, and, false, dst, self.loc(a), self.loc(b)),
            I32AndImm { dst, a, imm } => alu!(self, and, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I32Or { dst, a, b } => alu!(self, or, false, dst, self.loc(a), self.loc(b)),
            I32OrImm { dst, a, imm } => alu!(self, or, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I32Xor { dst, a, b } => {
                alu!(self, xor, false, dst, self.loc(a), self.loc(b));
                self.plant_low_byte(dst)?;
            }
            I32XorImm { dst, a, imm } => {
                alu!(self, xor, false, dst, self.loc(a), Src::Imm(imm as i64));
                self.plant_low_byte(dst)?;
            }
            I64Add { dst, a, b } => alu!(self, add, true, dst, self.loc(a), self.loc(b)),
            I64AddImm { dst, a, imm } => alu!(self, add, true, dst, self.loc(a), Src::Imm(imm)),
            I64Sub { dst, a, b } => alu!(self, sub, true, dst, self.loc(a), self.loc(b)),
            I64SubImm { dst, a, imm } => alu!(self, sub, true, dst, self.loc(a), Src::Imm(imm)),
            I64And { dst, a, b } => alu!(self, and, true, dst, self.loc(a), self.loc(b)),
            I64AndImm { dst, a, imm } => alu!(self, and, true, dst, self.loc(a), Src::Imm(imm)),
            I64Or { dst, a, b } => alu!(self, or, true, dst, self.loc(a), self.loc(b)),
            I64OrImm { dst, a, imm } => alu!(self, or, true, dst, self.loc(a), Src::Imm(imm)),
            I64Xor { dst, a, b } => alu!(self, xor, true, dst, self.loc(a), self.loc(b)),
            I64XorImm { dst, a, imm } => alu!(self, xor, true, dst, self.loc(a), Src::Imm(imm)),
            I32Mul { dst, a, b } => self.mul(dst, self.loc(a), self.loc(b), false)?,
            I32MulImm { dst, a, imm } => self.mul(dst, self.loc(a), Src::Imm(imm as i64), false)?,
            I64Mul { dst, a, b } => self.mul(dst, self.loc(a), self.loc(b), true)?,
            I64MulImm { dst, a, imm } => self.mul(dst, self.loc(a), Src::Imm(imm), true)?,
            I32DivS { dst, a, b } => self.divrem(dst, a, self.loc(b), false, true, false)?,
            I32DivU { dst, a, b } => self.divrem(dst, a, self.loc(b), false, false, false)?,
            I32RemS { dst, a, b } => self.divrem(dst, a, self.loc(b), false, true, true)?,
            I32RemU { dst, a, b } => self.divrem(dst, a, self.loc(b), false, false, true)?,
            I64DivS { dst, a, b } => self.divrem(dst, a, self.loc(b), true, true, false)?,
            I64DivU { dst, a, b } => self.divrem(dst, a, self.loc(b), true, false, false)?,
            I64RemS { dst, a, b } => self.divrem(dst, a, self.loc(b), true, true, true)?,
            I64RemU { dst, a, b } => self.divrem(dst, a, self.loc(b), true, false, true)?,
            I32DivSImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm as i64), false, true, false)?,
            I32DivUImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm as u32 as i64), false, false, false)?,
            I32RemSImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm as i64), false, true, true)?,
            I32RemUImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm as u32 as i64), false, false, true)?,
            I64DivSImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm), true, true, false)?,
            I64DivUImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm), true, false, false)?,
            I64RemSImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm), true, true, true)?,
            I64RemUImm { dst, a, imm } => self.divrem(dst, a, Src::Imm(imm), true, false, true)?,
            I32Shl { dst, a, b } => shift!(self, shl, false, dst, self.loc(a), self.loc(b)),
            I32ShlImm { dst, a, imm } => shift!(self, shl, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I32ShrS { dst, a, b } => shift!(self, sar, false, dst, self.loc(a), self.loc(b)),
            I32ShrSImm { dst, a, imm } => shift!(self, sar, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I32ShrU { dst, a, b } => shift!(self, shr, false, dst, self.loc(a), self.loc(b)),
            I32ShrUImm { dst, a, imm } => shift!(self, shr, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I32Rotl { dst, a, b } => shift!(self, rol, false, dst, self.loc(a), self.loc(b)),
            I32RotlImm { dst, a, imm } => shift!(self, rol, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I32Rotr { dst, a, b } => shift!(self, ror, false, dst, self.loc(a), self.loc(b)),
            I32RotrImm { dst, a, imm } => shift!(self, ror, false, dst, self.loc(a), Src::Imm(imm as i64)),
            I64Shl { dst, a, b } => shift!(self, shl, true, dst, self.loc(a), self.loc(b)),
            I64ShlImm { dst, a, imm } => shift!(self, shl, true, dst, self.loc(a), Src::Imm(imm)),
            I64ShrS { dst, a, b } => shift!(self, sar, true, dst, self.loc(a), self.loc(b)),
            I64ShrSImm { dst, a, imm } => shift!(self, sar, true, dst, self.loc(a), Src::Imm(imm)),
            I64ShrU { dst, a, b } => shift!(self, shr, true, dst, self.loc(a), self.loc(b)),
            I64ShrUImm { dst, a, imm } => shift!(self, shr, true, dst, self.loc(a), Src::Imm(imm)),
            I64Rotl { dst, a, b } => shift!(self, rol, true, dst, self.loc(a), self.loc(b)),
            I64RotlImm { dst, a, imm } => shift!(self, rol, true, dst, self.loc(a), Src::Imm(imm)),
            I64Rotr { dst, a, b } => shift!(self, ror, true, dst, self.loc(a), self.loc(b)),
            I64RotrImm { dst, a, imm } => shift!(self, ror, true, dst, self.loc(a), Src::Imm(imm)),
            I32Clz { dst, src } => self.bitcount(dst, src, false, 0)?,
            I32Ctz { dst, src } => self.bitcount(dst, src, false, 1)?,
            I32Popcnt { dst, src } => self.bitcount(dst, src, false, 2)?,
            I64Clz { dst, src } => self.bitcount(dst, src, true, 0)?,
            I64Ctz { dst, src } => self.bitcount(dst, src, true, 1)?,
            I64Popcnt { dst, src } => self.bitcount(dst, src, true, 2)?,
            I32Eqz { dst, src } => {
                let g = self.in_reg(src, G::RAX, false)?;
                self.a.test(g.d(), g.d())?;
                self.set_flag(dst, Cond::E)?;
            }
            I64Eqz { dst, src } => {
                let g = self.in_reg(src, G::RAX, true)?;
                self.a.test(g.q(), g.q())?;
                self.set_flag(dst, Cond::E)?;
            }
            I32WrapI64 { dst, src } => {
                let w = self.work(dst, &[]);
                self.get32(w, self.loc(src))?;
                self.put(dst, w)?;
            }
            I64ExtendI32S { dst, src } | I64Extend32S { dst, src } => self.extend(dst, src, 32, true)?,
            I32Extend8S { dst, src } => self.extend(dst, src, 8, false)?,
            I32Extend16S { dst, src } => self.extend(dst, src, 16, false)?,
            I64Extend8S { dst, src } => self.extend(dst, src, 8, true)?,
            I64Extend16S { dst, src } => self.extend(dst, src, 16, true)?,

            // ---- floats ----
            F32Abs { dst, src } => {
                let w = self.work(dst, &[]);
                self.get32(w, self.loc(src))?;
                self.a.and(w.d(), 0x7fff_ffff)?;
                self.put(dst, w)?;
            }
            F32Neg { dst, src } => {
                let w = self.work(dst, &[]);
                self.get32(w, self.loc(src))?;
                self.a.xor(w.d(), 0x8000_0000u32 as i32)?;
                self.put(dst, w)?;
            }
            F64Abs { dst, src } => {
                let w = self.work(dst, &[]);
                self.get64(w, self.loc(src))?;
                self.a.btr(w.q(), 63)?;
                self.put(dst, w)?;
            }
            F64Neg { dst, src } => {
                let w = self.work(dst, &[]);
                self.get64(w, self.loc(src))?;
                self.a.btc(w.q(), 63)?;
                self.put(dst, w)?;
            }
            F32Copysign { dst, a, b } => {
                self.get32(G::RCX, self.loc(b))?;
                self.a.and(ecx, 0x8000_0000u32 as i32)?;
                let w = self.work(dst, &[]);
                self.get32(w, self.loc(a))?;
                self.a.and(w.d(), 0x7fff_ffff)?;
                self.a.or(w.d(), ecx)?;
                self.put(dst, w)?;
            }
            F64Copysign { dst, a, b } => {
                self.get64(G::RCX, self.loc(b))?;
                self.a.shr(rcx, 63)?;
                self.a.shl(rcx, 63)?;
                let w = self.work(dst, &[]);
                self.get64(w, self.loc(a))?;
                self.a.btr(w.q(), 63)?;
                self.a.or(w.q(), rcx)?;
                self.put(dst, w)?;
            }
            F32Add { dst, a, b } => farith!(self, addss, false, dst, a, b),
            F32Sub { dst, a, b } => farith!(self, subss, false, dst, a, b),
            F32Mul { dst, a, b } => farith!(self, mulss, false, dst, a, b),
            F32Div { dst, a, b } => farith!(self, divss, false, dst, a, b),
            F64Add { dst, a, b } => farith!(self, addsd, true, dst, a, b),
            F64Sub { dst, a, b } => farith!(self, subsd, true, dst, a, b),
            F64Mul { dst, a, b } => farith!(self, mulsd, true, dst, a, b),
            F64Div { dst, a, b } => farith!(self, divsd, true, dst, a, b),
            F32Sqrt { dst, src } => {
                self.load_xmm(xmm0, src, false)?;
                self.a.sqrtss(xmm0, xmm0)?;
                self.store_xmm(dst, false)?;
            }
            F64Sqrt { dst, src } => {
                self.load_xmm(xmm0, src, true)?;
                self.a.sqrtsd(xmm0, xmm0)?;
                self.store_xmm(dst, true)?;
            }
            F32Min { dst, a, b } => self.helper_op(dst, h::f32_min as *const () as usize, &[a, b], false)?,
            F32Max { dst, a, b } => self.helper_op(dst, h::f32_max as *const () as usize, &[a, b], false)?,
            F64Min { dst, a, b } => self.helper_op(dst, h::f64_min as *const () as usize, &[a, b], false)?,
            F64Max { dst, a, b } => self.helper_op(dst, h::f64_max as *const () as usize, &[a, b], false)?,
            F32Ceil { dst, src } => self.round(dst, src, false, 2, h::f32_ceil as *const () as usize)?,
            F32Floor { dst, src } => self.round(dst, src, false, 1, h::f32_floor as *const () as usize)?,
            F32Trunc { dst, src } => self.round(dst, src, false, 3, h::f32_trunc as *const () as usize)?,
            F32Nearest { dst, src } => self.round(dst, src, false, 0, h::f32_nearest as *const () as usize)?,
            F64Ceil { dst, src } => self.round(dst, src, true, 2, h::f64_ceil as *const () as usize)?,
            F64Floor { dst, src } => self.round(dst, src, true, 1, h::f64_floor as *const () as usize)?,
            F64Trunc { dst, src } => self.round(dst, src, true, 3, h::f64_trunc as *const () as usize)?,
            F64Nearest { dst, src } => self.round(dst, src, true, 0, h::f64_nearest as *const () as usize)?,
            F32Eq { dst, a, b } => self.fcmp(dst, a, b, false, Cond::E, false)?,
            F32Ne { dst, a, b } => self.fcmp(dst, a, b, false, Cond::Ne, false)?,
            F32Lt { dst, a, b } => self.fcmp(dst, a, b, false, Cond::A, true)?,
            F32Gt { dst, a, b } => self.fcmp(dst, a, b, false, Cond::A, false)?,
            F32Le { dst, a, b } => self.fcmp(dst, a, b, false, Cond::Ae, true)?,
            F32Ge { dst, a, b } => self.fcmp(dst, a, b, false, Cond::Ae, false)?,
            F64Eq { dst, a, b } => self.fcmp(dst, a, b, true, Cond::E, false)?,
            F64Ne { dst, a, b } => self.fcmp(dst, a, b, true, Cond::Ne, false)?,
            F64Lt { dst, a, b } => self.fcmp(dst, a, b, true, Cond::A, true)?,
            F64Gt { dst, a, b } => self.fcmp(dst, a, b, true, Cond::A, false)?,
            F64Le { dst, a, b } => self.fcmp(dst, a, b, true, Cond::Ae, true)?,
            F64Ge { dst, a, b } => self.fcmp(dst, a, b, true, Cond::Ae, false)?,

            // ---- conversions ----
            I32TruncF32S { dst, src } => {
                self.trunc(dst, src, false, false, false, h::i32_trunc_f32_s as *const () as usize)?
            }
            I32TruncF32U { dst, src } => {
                self.trunc(dst, src, false, false, true, h::i32_trunc_f32_u as *const () as usize)?
            }
            I32TruncF64S { dst, src } => {
                self.trunc(dst, src, true, false, false, h::i32_trunc_f64_s as *const () as usize)?
            }
            I32TruncF64U { dst, src } => {
                self.trunc(dst, src, true, false, true, h::i32_trunc_f64_u as *const () as usize)?
            }
            I64TruncF32S { dst, src } => {
                self.trunc(dst, src, false, true, false, h::i64_trunc_f32_s as *const () as usize)?
            }
            I64TruncF32U { dst, src } => {
                self.trunc(dst, src, false, true, true, h::i64_trunc_f32_u as *const () as usize)?
            }
            I64TruncF64S { dst, src } => {
                self.trunc(dst, src, true, true, false, h::i64_trunc_f64_s as *const () as usize)?
            }
            I64TruncF64U { dst, src } => {
                self.trunc(dst, src, true, true, true, h::i64_trunc_f64_u as *const () as usize)?
            }
            I32TruncSatF32S { dst, src } => {
                self.helper_op(dst, h::i32_trunc_sat_f32_s as *const () as usize, &[src], false)?
            }
            I32TruncSatF32U { dst, src } => {
                self.helper_op(dst, h::i32_trunc_sat_f32_u as *const () as usize, &[src], false)?
            }
            I32TruncSatF64S { dst, src } => {
                self.helper_op(dst, h::i32_trunc_sat_f64_s as *const () as usize, &[src], false)?
            }
            I32TruncSatF64U { dst, src } => {
                self.helper_op(dst, h::i32_trunc_sat_f64_u as *const () as usize, &[src], false)?
            }
            I64TruncSatF32S { dst, src } => {
                self.helper_op(dst, h::i64_trunc_sat_f32_s as *const () as usize, &[src], false)?
            }
            I64TruncSatF32U { dst, src } => {
                self.helper_op(dst, h::i64_trunc_sat_f32_u as *const () as usize, &[src], false)?
            }
            I64TruncSatF64S { dst, src } => {
                self.helper_op(dst, h::i64_trunc_sat_f64_s as *const () as usize, &[src], false)?
            }
            I64TruncSatF64U { dst, src } => {
                self.helper_op(dst, h::i64_trunc_sat_f64_u as *const () as usize, &[src], false)?
            }
            F32ConvertI32S { dst, src } => self.convert_int(dst, src, false, true, false)?,
            F32ConvertI32U { dst, src } => self.convert_int(dst, src, false, false, false)?,
            F32ConvertI64S { dst, src } => self.convert_int(dst, src, false, true, true)?,
            F32ConvertI64U { dst, src } => {
                self.helper_op(dst, h::f32_convert_i64_u as *const () as usize, &[src], false)?
            }
            F64ConvertI32S { dst, src } => self.convert_int(dst, src, true, true, false)?,
            F64ConvertI32U { dst, src } => self.convert_int(dst, src, true, false, false)?,
            F64ConvertI64S { dst, src } => self.convert_int(dst, src, true, true, true)?,
            F64ConvertI64U { dst, src } => {
                self.helper_op(dst, h::f64_convert_i64_u as *const () as usize, &[src], false)?
            }
            F32DemoteF64 { dst, src } => {
                // Into a zeroed register: an f32 in an SSE register keeps
                // bits 32..64 zero, so it is also its zero-extended slot.
                self.load_xmm(xmm1, src, true)?;
                self.a.xorps(xmm0, xmm0)?;
                self.a.cvtsd2ss(xmm0, xmm1)?;
                self.store_xmm(dst, false)?;
            }
            F64PromoteF32 { dst, src } => {
                self.load_xmm(xmm0, src, false)?;
                self.a.cvtss2sd(xmm0, xmm0)?;
                self.store_xmm(dst, true)?;
            }

            // ---- moves ----
            Copy { dst, src } if self.alloc.xmm_of(dst).is_some() && self.alloc.xmm_of(src).is_some() => {
                let (d, x) = (self.alloc.xmm_of(dst).expect("checked"), self.alloc.xmm_of(src).expect("checked"));
                if d != x {
                    self.a.movaps(d.x(), x.x())?;
                }
            }
            Copy { dst, src } => {
                let w = self.work(dst, &[]);
                self.get64(w, self.loc(src))?;
                self.put(dst, w)?;
            }
            Const32 { dst, imm } => self.constant(dst, imm as u64)?,
            Const64 { dst, imm } => self.constant(dst, imm)?,
            CopySpan { dst, src, n } => {
                let order: Vec<u16> = if dst < src { (0..n).collect() } else { (0..n).rev().collect() };
                for k in order {
                    let w = self.work(dst + k, &[]);
                    self.get64(w, self.loc(src + k))?;
                    self.put(dst + k, w)?;
                }
            }
            Select { dst, c, a, b } => {
                let (lc, la, lb) = (self.loc(c), self.loc(a), self.loc(b));
                let w = self.work(dst, &[lc, la]);
                let la = self.gpr(la, G::RCX)?;
                let lc = self.gpr(lc, G::RDX)?;
                self.get64(w, lb)?;
                match lc {
                    Src::Reg(g) => self.a.test(g.d(), g.d())?,
                    _ => self.a.cmp(slot32(c), 0)?,
                }
                match la {
                    Src::Reg(g) => self.a.cmovne(w.q(), g.q())?,
                    _ => self.a.cmovne(w.q(), slot(a))?,
                }
                self.put(dst, w)?;
            }

            // ---- control ----
            Br { target } => self.branch(pc, None, target)?,
            BrIfNz { c, target } | BrIfZ { c, target } => {
                let g = self.in_reg(c, G::RAX, false)?;
                self.a.test(g.d(), g.d())?;
                let cond = if matches!(i, BrIfNz { .. }) { Cond::Ne } else { Cond::E };
                self.branch(pc, Some(cond), target)?;
            }
            BrTable { index, count } => {
                self.get32(G::RAX, self.loc(index))?;
                self.a.mov(ecx, count)?;
                self.a.cmp(eax, ecx)?;
                self.a.cmova(eax, ecx)?;
                let table = self.a.create_label();
                self.a.lea(rcx, ptr(table))?;
                self.a.movsxd(rax, dword_ptr(rcx + rax * 4))?;
                self.a.add(rax, rcx)?;
                self.a.jmp(rax)?;
                let entries = (0..=count as usize).map(|k| pc + 1 + k).collect();
                self.tables.push((table, entries));
            }
            Return => self.ret(None)?,
            Return1 { src } => self.ret(Some(src))?,
            Unreachable => {
                let t = self.trap_label(Trap::Unreachable);
                self.a.jmp(t)?;
            }
            Call { func, base } => self.call_defined(func, base)?,
            CallImport { func, base } => {
                let ty = self.info.funcs[func as usize];
                let (p, r) = self.func_type(ty);
                self.before_call(base, p)?;
                self.a.mov(rdx, qword_ptr(r15 + VmCtx::FUNCS as i32))?;
                self.a.mov(rdx, qword_ptr(rdx + (func as i32) * 8))?;
                self.call_funcref(base)?;
                self.after_call(base, r)?;
            }
            CallIndirect { table, ty, index, base } => {
                let (p, r) = self.func_type(ty);
                // The index first: the spill below only stores registers.
                self.get32(G::RCX, self.loc(index))?;
                self.before_call(base, p)?;
                let oob = self.trap_label(Trap::TableOutOfBounds);
                let null = self.trap_label(Trap::IndirectCallToNull);
                let sig = self.trap_label(Trap::BadSignature);
                self.a.mov(rax, qword_ptr(r15 + VmCtx::TABLES as i32))?;
                self.a.mov(rax, qword_ptr(rax + (table as i32) * 8))?;
                self.a.cmp(rcx, qword_ptr(rax + Table::LEN as i32))?;
                self.a.jae(oob)?;
                self.a.mov(rax, qword_ptr(rax + Table::BASE as i32))?;
                self.a.mov(rdx, qword_ptr(rax + rcx * 8))?;
                self.a.test(rdx, rdx)?;
                self.a.je(null)?;
                self.a.mov(ecx, dword_ptr(rdx + FuncRef::SIG as i32))?;
                self.a.mov(rax, qword_ptr(r15 + VmCtx::SIG_IDS as i32))?;
                self.a.cmp(ecx, dword_ptr(rax + (ty as i32) * 4))?;
                self.a.jne(sig)?;
                self.call_funcref(base)?;
                self.after_call(base, r)?;
            }

            // ---- globals, memory ----
            GlobalGet { dst, global } => {
                let w = self.work(dst, &[]);
                self.a.mov(rax, qword_ptr(r15 + VmCtx::GLOBALS as i32))?;
                self.a.mov(rax, qword_ptr(rax + (global as i32) * 8))?;
                self.a.mov(w.q(), qword_ptr(rax))?;
                self.put(dst, w)?;
            }
            GlobalSet { src, global } => {
                self.get64(G::RCX, self.loc(src))?;
                self.a.mov(rax, qword_ptr(r15 + VmCtx::GLOBALS as i32))?;
                self.a.mov(rax, qword_ptr(rax + (global as i32) * 8))?;
                self.a.mov(qword_ptr(rax), rcx)?;
            }
            Load32 { dst, addr, offset } => self.load(dst, addr, offset, 4, |a, w, m| a.mov(w.d(), dword_ptr(m)))?,
            Load64 { dst, addr, offset } => self.load(dst, addr, offset, 8, |a, w, m| a.mov(w.q(), qword_ptr(m)))?,
            Load8U { dst, addr, offset } => self.load(dst, addr, offset, 1, |a, w, m| a.movzx(w.d(), byte_ptr(m)))?,
            Load16U { dst, addr, offset } => self.load(dst, addr, offset, 2, |a, w, m| a.movzx(w.d(), word_ptr(m)))?,
            Load8S32 { dst, addr, offset } => self.load(dst, addr, offset, 1, |a, w, m| a.movsx(w.d(), byte_ptr(m)))?,
            Load16S32 { dst, addr, offset } => {
                self.load(dst, addr, offset, 2, |a, w, m| a.movsx(w.d(), word_ptr(m)))?
            }
            Load8S64 { dst, addr, offset } => self.load(dst, addr, offset, 1, |a, w, m| a.movsx(w.q(), byte_ptr(m)))?,
            Load16S64 { dst, addr, offset } => {
                self.load(dst, addr, offset, 2, |a, w, m| a.movsx(w.q(), word_ptr(m)))?
            }
            Load32S64 { dst, addr, offset } => {
                self.load(dst, addr, offset, 4, |a, w, m| a.movsxd(w.q(), dword_ptr(m)))?
            }
            Store8 { addr, src, offset } => self.store(addr, src, offset, 1)?,
            Store16 { addr, src, offset } => self.store(addr, src, offset, 2)?,
            Store32 { addr, src, offset } => self.store(addr, src, offset, 4)?,
            Store64 { addr, src, offset } => self.store(addr, src, offset, 8)?,
            MemorySize { dst } => {
                let w = self.work(dst, &[]);
                self.a.mov(w.q(), qword_ptr(r15 + VmCtx::MEM_LEN as i32))?;
                self.a.shr(w.q(), 16)?;
                self.put(dst, w)?;
            }
            MemoryGrow { dst, delta } => self.helper_op(dst, h::memory_grow as *const () as usize, &[delta], false)?,
            MemoryFill { dst, val, len } => {
                let args = [self.loc(dst), self.loc(val), self.loc(len)];
                self.helper(h::memory_fill as *const () as usize, &args, true)?
            }
            MemoryCopy { dst, src, len } => {
                let args = [self.loc(dst), self.loc(src), self.loc(len)];
                self.helper(h::memory_copy as *const () as usize, &args, true)?
            }
            MemoryInit { seg, dst, src, len } => {
                let args = [Src::Imm(seg as i64), self.loc(dst), self.loc(src), self.loc(len)];
                self.helper(h::memory_init as *const () as usize, &args, true)?
            }
            DataDrop { seg } => self.helper(h::data_drop as *const () as usize, &[Src::Imm(seg as i64)], false)?,

            // ---- tables ----
            TableGet { dst, index, table } => {
                let args = [Src::Imm(table as i64), self.loc(index)];
                self.helper(h::table_get as *const () as usize, &args, true)?;
                self.put(dst, G::RAX)?;
            }
            TableSet { table, index, val } => {
                let args = [Src::Imm(table as i64), self.loc(index), self.loc(val)];
                self.helper(h::table_set as *const () as usize, &args, true)?
            }
            TableSize { dst, table } => {
                let w = self.work(dst, &[]);
                self.a.mov(rax, qword_ptr(r15 + VmCtx::TABLES as i32))?;
                self.a.mov(rax, qword_ptr(rax + (table as i32) * 8))?;
                self.a.mov(w.q(), qword_ptr(rax + Table::LEN as i32))?;
                self.put(dst, w)?;
            }
            TableGrow { dst, init, delta, table } => {
                let args = [Src::Imm(table as i64), self.loc(init), self.loc(delta)];
                self.helper(h::table_grow as *const () as usize, &args, false)?;
                self.put(dst, G::RAX)?;
            }
            TableFill { table, dst, val, len } => {
                let args = [Src::Imm(table as i64), self.loc(dst), self.loc(val), self.loc(len)];
                self.helper(h::table_fill as *const () as usize, &args, true)?
            }
            TableCopy { dst_table, src_table, dst, src, len } => {
                let t = dst_table as u64 | (src_table as u64) << 32;
                let args = [Src::Imm(t as i64), self.loc(dst), self.loc(src), self.loc(len)];
                self.helper(h::table_copy as *const () as usize, &args, true)?
            }
            TableInit { table, seg, dst, src, len } => {
                let t = table as u64 | (seg as u64) << 32;
                let args = [Src::Imm(t as i64), self.loc(dst), self.loc(src), self.loc(len)];
                self.helper(h::table_init as *const () as usize, &args, true)?
            }
            ElemDrop { seg } => self.helper(h::elem_drop as *const () as usize, &[Src::Imm(seg as i64)], false)?,
            RefFunc { dst, func } => {
                let w = self.work(dst, &[]);
                self.a.mov(rax, qword_ptr(r15 + VmCtx::FUNCS as i32))?;
                self.a.mov(w.q(), qword_ptr(rax + (func as i32) * 8))?;
                self.put(dst, w)?;
            }
            _ => unreachable!("compares are handled above: {i:?}"),
        }
        Ok(())
    }

    /// The planted wrong-code fault (tests only): `dst += 1` when its low
    /// byte is 0x5a.
    fn plant_low_byte(&mut self, dst: R) -> Res {
        if self.opts.fault != Some(Fault::I32AddXorLowByte) {
            return Ok(());
        }
        let w = self.in_reg(dst, G::RAX, false)?;
        let mut skip = self.a.create_label();
        self.a.cmp(w.b(), 0x5a)?;
        self.a.jne(skip)?;
        self.a.add(w.d(), 1)?;
        self.put(dst, w)?;
        self.bind(&mut skip)
    }

    fn set_flag(&mut self, dst: R, c: Cond) -> Res {
        let w = self.work(dst, &[]);
        self.setcc(c, cl)?;
        self.a.movzx(w.d(), cl)?;
        self.put(dst, w)
    }

    fn constant(&mut self, dst: R, v: u64) -> Res {
        if let Some(x) = self.alloc.xmm_of(dst) {
            if v == 0 {
                return self.a.xorps(x.x(), x.x());
            }
            self.mov_imm(G::RAX, v)?;
            return self.a.movq(x.x(), rax);
        }
        match self.alloc.of(dst) {
            Some(g) => self.mov_imm(g, v),
            None if v <= i32::MAX as u64 => self.a.mov(slot(dst), v as i32),
            None => {
                self.mov_imm(G::RAX, v)?;
                self.a.mov(slot(dst), rax)
            }
        }
    }

    fn load(
        &mut self,
        dst: R,
        addr: R,
        offset: u32,
        size: u32,
        op: impl FnOnce(&mut CodeAssembler, G, AsmMemoryOperand) -> Res,
    ) -> Res {
        let m = self.address(addr, offset, size)?;
        let w = self.work(dst, &[]);
        op(&mut self.a, w, m)?;
        self.put(dst, w)
    }

    fn store(&mut self, addr: R, src: R, offset: u32, size: u32) -> Res {
        let m = self.address(addr, offset, size)?;
        let g = self.in_reg(src, G::RCX, size == 8)?;
        match size {
            1 => self.a.mov(byte_ptr(m), g.b()),
            2 => self.a.mov(word_ptr(m), iced16(g)),
            4 => self.a.mov(dword_ptr(m), g.d()),
            _ => self.a.mov(qword_ptr(m), g.q()),
        }
    }

    fn ret(&mut self, src: Option<R>) -> Res {
        match src {
            Some(s) => {
                let g = self.in_reg(s, G::RAX, true)?;
                self.a.mov(slot(0), g.q())?;
            }
            None => {
                for (r, g) in self.alloc.all().collect::<Vec<_>>() {
                    if (r as u32) < self.num_results {
                        self.a.mov(slot(r), g.q())?;
                    }
                }
                for (r, x) in self.alloc.xpairs.clone() {
                    if (r as u32) < self.num_results {
                        self.a.movq(slot(r), x.x())?;
                    }
                }
            }
        }
        self.a.xor(eax, eax)?;
        self.a.jmp(self.exit)
    }
}
