//! Register allocation: which IR registers of a function live in machine
//! registers for the whole function, and which stay in their frame slots.
//!
//! One static assignment per function (the seed's regalloc step, sized for
//! a baseline compiler): every IR register operand is counted, weighted by
//! the loop nesting of the instruction (a backward branch from `p` to `t`
//! makes `t..=p` one level deeper), and the heaviest registers get the
//! machine registers. Functions that call (wasm or the runtime) prefer
//! callee-saved machine registers, which survive calls for free; leaf
//! functions prefer caller-saved ones, which need no save in the prologue.

use iced_x86::code_asm::{AsmRegister8, AsmRegister32, AsmRegister64, AsmRegisterXmm, registers::*};
use wasmlab_regir::{Instr, R};

/// A general-purpose machine register (x86-64 encoding number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct G(pub u8);

const Q: [AsmRegister64; 16] = [rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15];
const D: [AsmRegister32; 16] = [eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d];
const B: [AsmRegister8; 16] = [al, cl, dl, bl, spl, bpl, sil, dil, r8b, r9b, r10b, r11b, r12b, r13b, r14b, r15b];

impl G {
    pub const RAX: G = G(0);
    pub const RCX: G = G(1);
    pub const RDX: G = G(2);
    pub const RBX: G = G(3);
    pub const RBP: G = G(5);
    pub const RSI: G = G(6);
    pub const RDI: G = G(7);
    pub const R8: G = G(8);
    pub const R9: G = G(9);
    pub const R10: G = G(10);
    pub const R11: G = G(11);
    pub const R12: G = G(12);

    pub fn q(self) -> AsmRegister64 {
        Q[self.0 as usize]
    }
    pub fn d(self) -> AsmRegister32 {
        D[self.0 as usize]
    }
    pub fn b(self) -> AsmRegister8 {
        B[self.0 as usize]
    }
    pub fn callee_saved(self) -> bool {
        matches!(self.0, 3 | 5 | 12..=15)
    }
}

/// Machine registers IR registers may get. `rax`, `rcx`, `rdx` are the
/// code generator's scratch registers; `r13`-`r15` are pinned (memory base,
/// frame, VM context).
const CALLEE_SAVED: [G; 3] = [G::RBX, G::RBP, G::R12];
const CALLER_SAVED: [G; 6] = [G::RSI, G::RDI, G::R8, G::R9, G::R10, G::R11];

/// An SSE register (`xmm0`, `xmm1` are the code generator's scratch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct X(pub u8);

const XMM: [AsmRegisterXmm; 16] =
    [xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15];

impl X {
    pub fn x(self) -> AsmRegisterXmm {
        XMM[self.0 as usize]
    }
}

/// Where each IR register of a function lives.
pub struct Allocation {
    /// Per IR register: its machine register, if it has one.
    pub reg: Vec<Option<G>>,
    /// Per IR register: its SSE register, if it has one (only registers
    /// that hold floats wherever they are named get one). All SSE
    /// registers are caller-saved.
    pub xmm: Vec<Option<X>>,
    /// Every IR register in an SSE register, with it.
    pub xpairs: Vec<(R, X)>,
    /// The machine registers in use, callee-saved first.
    pub used: Vec<G>,
    /// Every allocated IR register with its machine register (at most one
    /// per machine register: short, so call sites walk it, not `reg`).
    pairs: Vec<(R, G)>,
}

impl Allocation {
    pub fn of(&self, r: R) -> Option<G> {
        self.reg[r as usize]
    }

    pub fn xmm_of(&self, r: R) -> Option<X> {
        self.xmm[r as usize]
    }

    /// IR registers held in caller-saved machine registers, with them.
    pub fn caller_saved(&self) -> impl Iterator<Item = (R, G)> + '_ {
        self.pairs.iter().copied().filter(|(_, g)| !g.callee_saved())
    }

    /// All allocated IR registers.
    pub fn all(&self) -> impl Iterator<Item = (R, G)> + '_ {
        self.pairs.iter().copied()
    }
}

/// Calls `f` with every IR register `i` reads or writes.
pub fn for_each_reg(i: &Instr, mut f: impl FnMut(R)) {
    // The operands are the instruction's `R` fields; rather than list the
    // ~300 ops again, read them from the printed form's field names via
    // the IR's own accessor-free shape: every variant's register fields
    // are named dst/src/a/b/c/addr/index/base/val/init/delta/len.
    crate::operands::regs(i, &mut f);
}

/// How an instruction uses a register, for finding the float registers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// An operand or result of a float operation done in SSE registers.
    Float,
    /// Copied to or from the other registers of the same instruction.
    Same,
    Other,
}

/// Calls `f` with each register `i` names and how it uses it.
fn roles(i: &Instr, sse41: bool, f: &mut dyn FnMut(R, Role)) {
    use Instr::*;
    use Role::*;
    match *i {
        F32Add { dst, a, b }
        | F32Sub { dst, a, b }
        | F32Mul { dst, a, b }
        | F32Div { dst, a, b }
        | F64Add { dst, a, b }
        | F64Sub { dst, a, b }
        | F64Mul { dst, a, b }
        | F64Div { dst, a, b } => {
            f(dst, Float);
            f(a, Float);
            f(b, Float);
        }
        F32Eq { dst, a, b }
        | F32Ne { dst, a, b }
        | F32Lt { dst, a, b }
        | F32Gt { dst, a, b }
        | F32Le { dst, a, b }
        | F32Ge { dst, a, b }
        | F64Eq { dst, a, b }
        | F64Ne { dst, a, b }
        | F64Lt { dst, a, b }
        | F64Gt { dst, a, b }
        | F64Le { dst, a, b }
        | F64Ge { dst, a, b } => {
            f(dst, Other);
            f(a, Float);
            f(b, Float);
        }
        F32Sqrt { dst, src } | F64Sqrt { dst, src } | F32DemoteF64 { dst, src } | F64PromoteF32 { dst, src } => {
            f(dst, Float);
            f(src, Float);
        }
        F32Ceil { dst, src }
        | F32Floor { dst, src }
        | F32Trunc { dst, src }
        | F32Nearest { dst, src }
        | F64Ceil { dst, src }
        | F64Floor { dst, src }
        | F64Trunc { dst, src }
        | F64Nearest { dst, src }
            if sse41 =>
        {
            f(dst, Float);
            f(src, Float);
        }
        F32ConvertI32S { dst, src }
        | F32ConvertI32U { dst, src }
        | F32ConvertI64S { dst, src }
        | F64ConvertI32S { dst, src }
        | F64ConvertI32U { dst, src }
        | F64ConvertI64S { dst, src } => {
            f(dst, Float);
            f(src, Other);
        }
        Copy { dst, src } => {
            f(dst, Same);
            f(src, Same);
        }
        // A constant's bits suit either kind of register.
        Const32 { .. } | Const64 { .. } => {}
        Select { dst, c, a, b } => {
            f(dst, Same);
            f(a, Same);
            f(b, Same);
            f(c, Other);
        }
        _ => for_each_reg(i, |r| f(r, Other)),
    }
}

/// The registers that hold floats wherever they are named: named in float
/// positions, never elsewhere, and copied only among such registers.
fn float_registers(code: &[Instr], frame_size: u32, sse41: bool) -> Vec<bool> {
    let n = frame_size as usize;
    let mut float = vec![false; n];
    let mut other = vec![false; n];
    for i in code {
        // A register index at the frame's end (a call base with no
        // arguments) names no register.
        roles(i, sse41, &mut |r, role| match role {
            _ if r as usize >= n => {}
            Role::Float => float[r as usize] = true,
            Role::Other => other[r as usize] = true,
            Role::Same => {}
        });
    }
    let mut ok: Vec<bool> = (0..n).map(|r| float[r] && !other[r]).collect();
    // Copies join their registers' fates: one non-float member spoils all.
    loop {
        let mut changed = false;
        for i in code {
            let mut group: Vec<R> = Vec::new();
            roles(i, sse41, &mut |r, role| {
                if role == Role::Same && (r as usize) < n {
                    group.push(r)
                }
            });
            if group.iter().any(|&r| !ok[r as usize]) {
                for r in group {
                    changed |= std::mem::replace(&mut ok[r as usize], false);
                }
            }
        }
        if !changed {
            return ok;
        }
    }
}

/// Allocates the registers of a function with `frame_size` registers.
pub fn allocate(code: &[Instr], frame_size: u32, calls: bool, sse41: bool) -> Allocation {
    let n = code.len();
    // Loop depth of each instruction: a difference array over back-edges.
    let mut delta = vec![0i32; n + 1];
    for (p, i) in code.iter().enumerate() {
        let mut i = *i;
        if let Some(&mut t) = i.target_mut()
            && (t as usize) <= p
        {
            delta[t as usize] += 1;
            delta[p + 1] -= 1;
        }
    }
    let mut weight = vec![0u64; frame_size as usize];
    let mut depth = 0i32;
    for (p, i) in code.iter().enumerate() {
        depth += delta[p];
        let w = 1u64 << (3 * depth.clamp(0, 6) as u32);
        for_each_reg(i, |r| {
            if let Some(x) = weight.get_mut(r as usize) {
                *x += w;
            }
        });
    }
    let float = float_registers(code, frame_size, sse41);
    let mut order: Vec<usize> = (0..frame_size as usize).filter(|&r| weight[r] >= 2).collect();
    order.sort_by(|&a, &b| weight[b].cmp(&weight[a]).then(a.cmp(&b)));
    let (forder, order): (Vec<usize>, Vec<usize>) = order.into_iter().partition(|&r| float[r]);
    let mut xmm = vec![None; frame_size as usize];
    let mut xpairs = Vec::new();
    for (r, x) in forder.into_iter().zip(2..16u8) {
        xmm[r] = Some(X(x));
        xpairs.push((r as R, X(x)));
    }
    xpairs.sort_by_key(|&(r, _)| r);
    let pool: Vec<G> = if calls {
        CALLEE_SAVED.iter().chain(CALLER_SAVED.iter()).copied().collect()
    } else {
        CALLER_SAVED.iter().chain(CALLEE_SAVED.iter()).copied().collect()
    };
    let mut reg = vec![None; frame_size as usize];
    let mut used = Vec::new();
    let mut pairs = Vec::new();
    for (r, g) in order.into_iter().zip(pool) {
        reg[r] = Some(g);
        used.push(g);
        pairs.push((r as R, g));
    }
    pairs.sort_by_key(|&(r, _)| r);
    used.sort_by_key(|g| !g.callee_saved());
    Allocation { reg, xmm, xpairs, used, pairs }
}
