//! Builds the template library: every machine-code template `tjit` copies
//! when it compiles a function, assembled here once (with iced-x86's
//! assembler) and written to `$OUT_DIR/templates.rs` as bytes plus patch
//! points. Nothing is assembled while a function compiles.
//!
//! A template is written with placeholder values where the compiler will
//! patch in its own (a slot displacement, an immediate, a branch target);
//! `mark` records which operand of the instruction just emitted is such a
//! hole. The encoder's constant offsets then give the byte offset of each
//! hole, and the build checks the placeholder really is there.
//!
//! Register conventions of the generated code (see `src/expand.rs`):
//! `r15` VM context, `r14` frame (slot `i` at `[r14 + 8 i]`), `r13` memory
//! base, `r12` memory length, `rbx` the store's `ExecState`, `rax` the
//! value on top of the operand stack when it is in a register; `rcx`,
//! `rdx`, `xmm0`, `xmm1` scratch.

use std::fmt::Write as _;

use iced_x86::code_asm::*;
use iced_x86::{BlockEncoderOptions, IcedError};

/// Bumped whenever a template's code changes (recorded in each template).
const VERSION: u32 = 1;

// Offsets the templates address (checked against the runtime's published
// constants by the crate's tests).
const MEM_BASE: i32 = 0;
const MEM_LEN: i32 = 8;
const GLOBALS: i32 = 16;
const TABLES: i32 = 24;
const FUNCS: i32 = 32;
const SIG_IDS: i32 = 40;
const EXEC: i32 = 48;
const NATIVE: i32 = 96;
const FUEL: i32 = 0;
const TRAP: i32 = 8;
const STACK_LIMIT: i32 = 16;
const SLOTS_END: i32 = 24;
const TABLE_BASE: i32 = 0;
const TABLE_LEN: i32 = 8;
const FUNCREF_SIG: i32 = 0;
const FUNCREF_INDEX: i32 = 4;
const FUNCREF_VMCTX: i32 = 8;
const FUNCREF_HOST: i32 = 16;

// Placeholders: large enough that the encoder picks the full-width form.
const D: i32 = 0x1000_0000;
const I: i32 = 0x1000_0000;
const Q: u64 = 0x1122_3344_5566_7788;
const B: i32 = 0x11;
/// A branch target no short branch reaches: every hole branch is rel32.
const FAR: u64 = 0x7000_0000;

#[derive(Clone, Copy, Debug)]
enum K {
    Imm8,
    Imm32,
    Disp32,
    Imm64,
    Rel32,
}

struct Tb {
    a: CodeAssembler,
    marks: Vec<(usize, K, u8)>,
}

impl Tb {
    /// The instruction just emitted has hole `hole` of kind `k`.
    fn m(&mut self, k: K, hole: u8) {
        let i = self.a.instructions().len() - 1;
        self.marks.push((i, k, hole));
    }
}

struct Out {
    name: String,
    bytes: Vec<u8>,
    patches: Vec<(usize, K, u8)>,
    holes: u8,
}

type R = Result<(), IcedError>;

fn assemble(name: &str, f: impl FnOnce(&mut Tb) -> R) -> Out {
    let mut b = Tb { a: CodeAssembler::new(64).unwrap(), marks: Vec::new() };
    f(&mut b).unwrap_or_else(|e| panic!("template {name}: {e}"));
    let n = b.a.instructions().len();
    let r =
        b.a.assemble_options(
            0,
            BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS | BlockEncoderOptions::RETURN_CONSTANT_OFFSETS,
        )
        .unwrap_or_else(|e| panic!("template {name}: {e}"));
    let bytes = r.inner.code_buffer.clone();
    let offs = &r.inner.new_instruction_offsets;
    let mut patches = Vec::new();
    for &(i, k, hole) in &b.marks {
        let start = offs[i] as usize;
        assert_ne!(offs[i], u32::MAX, "template {name}: instruction {i} was rewritten");
        let end = if i + 1 < n { offs[i + 1] as usize } else { bytes.len() };
        let c = &r.inner.constant_offsets[i];
        let at = match k {
            K::Disp32 => {
                assert_eq!(c.displacement_size(), 4, "template {name}: hole {hole} is no disp32");
                start + c.displacement_offset()
            }
            K::Imm8 | K::Imm32 | K::Imm64 => {
                let w = match k {
                    K::Imm8 => 1,
                    K::Imm32 => 4,
                    _ => 8,
                };
                assert_eq!(c.immediate_size(), w, "template {name}: hole {hole} has the wrong width");
                start + c.immediate_offset()
            }
            // Branches and rip-relative addresses: the last four bytes.
            K::Rel32 => end - 4,
        };
        let want: Vec<u8> = match k {
            K::Disp32 => D.to_le_bytes().to_vec(),
            K::Imm8 => vec![B as u8],
            K::Imm32 => I.to_le_bytes().to_vec(),
            K::Imm64 => Q.to_le_bytes().to_vec(),
            K::Rel32 => Vec::new(),
        };
        assert_eq!(&bytes[at..at + want.len()], &want[..], "template {name}: hole {hole} is not the placeholder");
        patches.push((at, k, hole));
    }
    patches.sort_by_key(|p| p.0);
    let holes = b.marks.iter().map(|m| m.2 + 1).max().unwrap_or(0);
    Out { name: name.to_string(), bytes, patches, holes }
}

fn s(k: i32) -> AsmMemoryOperand {
    qword_ptr(r14 + k)
}
fn s32(k: i32) -> AsmMemoryOperand {
    dword_ptr(r14 + k)
}

struct Lib(Vec<Out>);

impl Lib {
    fn t(&mut self, name: &str, f: impl FnOnce(&mut Tb) -> R) {
        self.0.push(assemble(name, f));
    }
}

/// Integer binary operators with `op reg, r/m` and `op reg, imm32` forms.
macro_rules! alu {
    ($l:expr, $($name:literal => $m:ident),*) => {$(
        $l.t(concat!("i32.", $name, ".rs"), |b| { b.a.$m(eax, s32(D))?; b.m(K::Disp32, 0); Ok(()) });
        $l.t(concat!("i32.", $name, ".ri"), |b| { b.a.$m(eax, I)?; b.m(K::Imm32, 0); Ok(()) });
        $l.t(concat!("i64.", $name, ".rs"), |b| { b.a.$m(rax, s(D))?; b.m(K::Disp32, 0); Ok(()) });
        $l.t(concat!("i64.", $name, ".ri"), |b| { b.a.$m(rax, I)?; b.m(K::Imm32, 0); Ok(()) });
    )*};
}

macro_rules! shifts {
    ($l:expr, $($name:literal => $m:ident),*) => {$(
        $l.t(concat!("i32.", $name, ".rs"), |b| { b.a.mov(ecx, s32(D))?; b.m(K::Disp32, 0); b.a.$m(eax, cl) });
        $l.t(concat!("i32.", $name, ".ri"), |b| { b.a.$m(eax, B)?; b.m(K::Imm8, 0); Ok(()) });
        $l.t(concat!("i64.", $name, ".rs"), |b| { b.a.mov(rcx, s(D))?; b.m(K::Disp32, 0); b.a.$m(rax, cl) });
        $l.t(concat!("i64.", $name, ".ri"), |b| { b.a.$m(rax, B)?; b.m(K::Imm8, 0); Ok(()) });
    )*};
}

macro_rules! conds {
    ($l:expr, $($cc:literal => $set:ident, $j:ident);*) => {$(
        $l.t(concat!("set.", $cc), |b| { b.a.$set(al)?; b.a.movzx(eax, al) });
        $l.t(concat!("j.", $cc), |b| { b.a.$j(FAR)?; b.m(K::Rel32, 0); Ok(()) });
    )*};
}

macro_rules! fbin {
    ($l:expr, $($name:literal => $ss:ident, $sd:ident);*) => {$(
        $l.t(concat!("f32.", $name, ".xs"), |b| { b.a.$ss(xmm0, s32(D))?; b.m(K::Disp32, 0); Ok(()) });
        $l.t(concat!("f64.", $name, ".xs"), |b| { b.a.$sd(xmm0, s(D))?; b.m(K::Disp32, 0); Ok(()) });
        $l.t(concat!("f32.", $name, ".xc"), |b| {
            let mut end = b.a.create_label();
            b.a.$ss(xmm0, dword_ptr(end))?;
            b.m(K::Rel32, 0);
            b.a.set_label(&mut end)?;
            b.a.zero_bytes()
        });
        $l.t(concat!("f64.", $name, ".xc"), |b| {
            let mut end = b.a.create_label();
            b.a.$sd(xmm0, qword_ptr(end))?;
            b.m(K::Rel32, 0);
            b.a.set_label(&mut end)?;
            b.a.zero_bytes()
        });
    )*};
}

macro_rules! fcmp {
    ($l:expr, $w:literal, $ucom:ident, $mov:ident, $m:ident) => {
        $l.t(concat!($w, ".cmp.xs"), |b| {
            b.a.$ucom(xmm0, $m(D))?;
            b.m(K::Disp32, 0);
            Ok(())
        });
        $l.t(concat!($w, ".cmpr.xs"), |b| {
            b.a.$mov(xmm1, $m(D))?;
            b.m(K::Disp32, 0);
            b.a.$ucom(xmm1, xmm0)
        });
        $l.t(concat!($w, ".cmp.xc"), |b| {
            let mut end = b.a.create_label();
            b.a.$ucom(xmm0, qword_ptr(end))?;
            b.m(K::Rel32, 0);
            b.a.set_label(&mut end)?;
            b.a.zero_bytes()
        });
        $l.t(concat!($w, ".cmpr.xc"), |b| {
            let mut end = b.a.create_label();
            b.a.$mov(xmm1, qword_ptr(end))?;
            b.m(K::Rel32, 0);
            b.a.set_label(&mut end)?;
            b.a.zero_bytes()?;
            b.a.$ucom(xmm1, xmm0)
        });
    };
}

macro_rules! loads {
    ($l:expr, $($name:literal => |$a:ident, $m:ident| $e:expr);*) => {$(
        $l.t(concat!("load.", $name), |b| { let $a = &mut b.a; let $m = r13 + rcx + D; $e?; b.m(K::Disp32, 0); Ok(()) });
    )*};
}

fn library() -> Lib {
    let mut l = Lib(Vec::new());

    // ---- frame, exits, traps ----
    // Entry (function start or on-stack replacement): save what the
    // System V convention keeps, pin the context registers, check the
    // native stack and the frame's end (hole 0: frame bytes; hole 1: the
    // stack-overflow trap).
    l.t("enter", |b| {
        b.a.push(rbx)?;
        b.a.push(r12)?;
        b.a.push(r13)?;
        b.a.push(r14)?;
        b.a.push(r15)?;
        b.a.mov(r15, rdi)?;
        b.a.mov(r14, rsi)?;
        b.a.mov(rbx, qword_ptr(r15 + EXEC))?;
        b.a.cmp(rsp, qword_ptr(rbx + STACK_LIMIT))?;
        b.a.jb(FAR)?;
        b.m(K::Rel32, 1);
        b.a.lea(rax, qword_ptr(r14 + D))?;
        b.m(K::Disp32, 0);
        b.a.cmp(rax, qword_ptr(rbx + SLOTS_END))?;
        b.a.ja(FAR)?;
        b.m(K::Rel32, 1);
        b.a.mov(r13, qword_ptr(r15 + MEM_BASE))?;
        b.a.mov(r12, qword_ptr(r15 + MEM_LEN))
    });
    l.t("fuel", |b| {
        b.a.sub(qword_ptr(rbx + FUEL), 1)?;
        b.a.js(FAR)?;
        b.m(K::Rel32, 0);
        Ok(())
    });
    // Counts an entry in the code cache's recency counter (hole 0: its
    // address).
    l.t("touch", |b| {
        b.a.mov(rax, Q)?;
        b.m(K::Imm64, 0);
        b.a.add(qword_ptr(rax), 1)
    });
    l.t("zero.slot", |b| {
        b.a.mov(s(D), 0)?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    // Hole 0: the first slot; hole 1: how many.
    l.t("zero.slots", |b| {
        b.a.lea(rdi, s(D))?;
        b.m(K::Disp32, 0);
        b.a.mov(ecx, I)?;
        b.m(K::Imm32, 1);
        b.a.xor(eax, eax)?;
        b.a.rep().stosq()
    });
    // The status in `eax`.
    l.t("exit", |b| {
        b.a.pop(r15)?;
        b.a.pop(r14)?;
        b.a.pop(r13)?;
        b.a.pop(r12)?;
        b.a.pop(rbx)?;
        b.a.ret()
    });
    l.t("return", |b| {
        b.a.xor(eax, eax)?;
        b.a.pop(r15)?;
        b.a.pop(r14)?;
        b.a.pop(r13)?;
        b.a.pop(r12)?;
        b.a.pop(rbx)?;
        b.a.ret()
    });
    // Hole 0: the trap code; hole 1: the exit.
    l.t("trap", |b| {
        b.a.mov(eax, I)?;
        b.m(K::Imm32, 0);
        b.a.mov(dword_ptr(rbx + TRAP), eax)?;
        b.a.jmp(FAR)?;
        b.m(K::Rel32, 1);
        Ok(())
    });
    // A helper recorded a trap: return its code.
    l.t("trapped", |b| {
        b.a.mov(eax, dword_ptr(rbx + TRAP))?;
        b.a.jmp(FAR)?;
        b.m(K::Rel32, 0);
        Ok(())
    });
    l.t("check.trap", |b| {
        b.a.cmp(dword_ptr(rbx + TRAP), 0)?;
        b.a.jne(FAR)?;
        b.m(K::Rel32, 0);
        Ok(())
    });
    l.t("check.status", |b| {
        b.a.test(eax, eax)?;
        b.a.jne(FAR)?;
        b.m(K::Rel32, 0);
        Ok(())
    });
    l.t("reload.mem", |b| {
        b.a.mov(r13, qword_ptr(r15 + MEM_BASE))?;
        b.a.mov(r12, qword_ptr(r15 + MEM_LEN))
    });
    l.t("jmp", |b| {
        b.a.jmp(FAR)?;
        b.m(K::Rel32, 0);
        Ok(())
    });
    conds!(l,
        "e" => sete, je; "ne" => setne, jne;
        "l" => setl, jl; "le" => setle, jle; "g" => setg, jg; "ge" => setge, jge;
        "b" => setb, jb; "be" => setbe, jbe; "a" => seta, ja; "ae" => setae, jae);

    // ---- moving values ----
    l.t("load.r.s", |b| {
        b.a.mov(rax, s(D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("load.r.i32", |b| {
        b.a.mov(eax, I)?;
        b.m(K::Imm32, 0);
        Ok(())
    });
    l.t("load.r.i64", |b| {
        b.a.mov(rax, Q)?;
        b.m(K::Imm64, 0);
        Ok(())
    });
    l.t("spill", |b| {
        b.a.mov(s(D), rax)?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("copy", |b| {
        b.a.mov(rcx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.mov(s(D), rcx)?;
        b.m(K::Disp32, 1);
        Ok(())
    });
    // Hole 1: a value that sign-extends from 32 bits.
    l.t("store.i32", |b| {
        b.a.mov(s(D), I)?;
        b.m(K::Disp32, 0);
        b.m(K::Imm32, 1);
        Ok(())
    });
    l.t("store.i64", |b| {
        b.a.mov(rcx, Q)?;
        b.m(K::Imm64, 1);
        b.a.mov(s(D), rcx)?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    // select: `rax = c ? a : b` with a in hole 0, b in hole 1; the
    // condition in `eax` (`.r`) or a slot (hole 2, `.s`).
    l.t("select.r", |b| {
        b.a.mov(ecx, eax)?;
        b.a.mov(rax, s(D))?;
        b.m(K::Disp32, 0);
        b.a.test(ecx, ecx)?;
        b.a.cmove(rax, s(D))?;
        b.m(K::Disp32, 1);
        Ok(())
    });
    l.t("select.s", |b| {
        b.a.mov(ecx, s32(D))?;
        b.m(K::Disp32, 2);
        b.a.mov(rax, s(D))?;
        b.m(K::Disp32, 0);
        b.a.test(ecx, ecx)?;
        b.a.cmove(rax, s(D))?;
        b.m(K::Disp32, 1);
        Ok(())
    });

    // ---- integers ----
    alu!(l, "add" => add, "sub" => sub, "and" => and, "or" => or, "xor" => xor);
    l.t("i32.mul.rs", |b| {
        b.a.imul_2(eax, s32(D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("i32.mul.ri", |b| {
        b.a.imul_3(eax, eax, I)?;
        b.m(K::Imm32, 0);
        Ok(())
    });
    l.t("i64.mul.rs", |b| {
        b.a.imul_2(rax, s(D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("i64.mul.ri", |b| {
        b.a.imul_3(rax, rax, I)?;
        b.m(K::Imm32, 0);
        Ok(())
    });
    shifts!(l, "shl" => shl, "shr_s" => sar, "shr_u" => shr, "rotl" => rol, "rotr" => ror);
    // Division: hole 0 the divisor's slot, hole 1 the divide-by-zero trap,
    // hole 2 the overflow trap (signed division).
    l.t("i32.div_s.rs", |b| {
        let mut ok = b.a.create_label();
        b.a.mov(ecx, s32(D))?;
        b.m(K::Disp32, 0);
        b.a.test(ecx, ecx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.cmp(ecx, -1)?;
        b.a.jne(ok)?;
        b.a.cmp(eax, i32::MIN)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 2);
        b.a.set_label(&mut ok)?;
        b.a.cdq()?;
        b.a.idiv(ecx)
    });
    l.t("i64.div_s.rs", |b| {
        let mut ok = b.a.create_label();
        b.a.mov(rcx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.test(rcx, rcx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.cmp(rcx, -1)?;
        b.a.jne(ok)?;
        b.a.mov(rdx, i64::MIN as u64)?;
        b.a.cmp(rax, rdx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 2);
        b.a.set_label(&mut ok)?;
        b.a.cqo()?;
        b.a.idiv(rcx)
    });
    // Remainder by -1 is 0: dividing by 1 instead gives it, without the
    // overflow `idiv` would fault on.
    l.t("i32.rem_s.rs", |b| {
        b.a.mov(ecx, s32(D))?;
        b.m(K::Disp32, 0);
        b.a.test(ecx, ecx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.mov(edx, 1)?;
        b.a.cmp(ecx, -1)?;
        b.a.cmove(ecx, edx)?;
        b.a.cdq()?;
        b.a.idiv(ecx)?;
        b.a.mov(eax, edx)
    });
    l.t("i64.rem_s.rs", |b| {
        b.a.mov(rcx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.test(rcx, rcx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.mov(edx, 1)?;
        b.a.cmp(rcx, -1)?;
        b.a.cmove(rcx, rdx)?;
        b.a.cqo()?;
        b.a.idiv(rcx)?;
        b.a.mov(rax, rdx)
    });
    l.t("i32.div_u.rs", |b| {
        b.a.mov(ecx, s32(D))?;
        b.m(K::Disp32, 0);
        b.a.test(ecx, ecx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.xor(edx, edx)?;
        b.a.div(ecx)
    });
    l.t("i64.div_u.rs", |b| {
        b.a.mov(rcx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.test(rcx, rcx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.xor(edx, edx)?;
        b.a.div(rcx)
    });
    l.t("i32.rem_u.rs", |b| {
        b.a.mov(ecx, s32(D))?;
        b.m(K::Disp32, 0);
        b.a.test(ecx, ecx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.xor(edx, edx)?;
        b.a.div(ecx)?;
        b.a.mov(eax, edx)
    });
    l.t("i64.rem_u.rs", |b| {
        b.a.mov(rcx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.test(rcx, rcx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 1);
        b.a.xor(edx, edx)?;
        b.a.div(rcx)?;
        b.a.mov(rax, rdx)
    });
    // Compares: flags only; a `set.cc` or `j.cc` follows (fused
    // compare-and-branch needs no boolean).
    l.t("i32.cmp.rs", |b| {
        b.a.cmp(eax, s32(D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("i32.cmp.ri", |b| {
        b.a.cmp(eax, I)?;
        b.m(K::Imm32, 0);
        Ok(())
    });
    l.t("i64.cmp.rs", |b| {
        b.a.cmp(rax, s(D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("i64.cmp.ri", |b| {
        b.a.cmp(rax, I)?;
        b.m(K::Imm32, 0);
        Ok(())
    });
    l.t("i32.test", |b| b.a.test(eax, eax));
    l.t("i64.test", |b| b.a.test(rax, rax));
    // A condition in a slot (hole 0), tested without loading it.
    l.t("i32.test.s", |b| {
        b.a.cmp(s32(D), 0)?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("i32.clz", |b| {
        b.a.mov(ecx, 63)?;
        b.a.bsr(eax, eax)?;
        b.a.cmove(eax, ecx)?;
        b.a.xor(eax, 31)
    });
    l.t("i64.clz", |b| {
        b.a.mov(ecx, 127)?;
        b.a.bsr(rax, rax)?;
        b.a.cmove(rax, rcx)?;
        b.a.xor(rax, 63)
    });
    l.t("i32.ctz", |b| {
        b.a.mov(ecx, 32)?;
        b.a.bsf(eax, eax)?;
        b.a.cmove(eax, ecx)
    });
    l.t("i64.ctz", |b| {
        b.a.mov(ecx, 64)?;
        b.a.bsf(rax, rax)?;
        b.a.cmove(rax, rcx)
    });
    l.t("i32.extend8_s", |b| b.a.movsx(eax, al));
    l.t("i32.extend16_s", |b| b.a.movsx(eax, ax));
    l.t("i64.extend8_s", |b| b.a.movsx(rax, al));
    l.t("i64.extend16_s", |b| b.a.movsx(rax, ax));
    l.t("i64.extend32_s", |b| b.a.movsxd(rax, eax));
    // Also i32.wrap_i64 and i64.extend_i32_u: the high half cleared.
    l.t("zext32", |b| b.a.mov(eax, eax));

    // ---- floats ----
    // A float result stays in xmm0 (the float accumulator) until it is
    // needed elsewhere; the right operand comes from a slot (`.xs`) or
    // the function's constant pool (`.xc`, rip-relative).
    l.t("spill.x", |b| {
        b.a.movq(s(D), xmm0)?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("x.to.r", |b| b.a.movq(rax, xmm0));
    l.t("r.to.x", |b| b.a.movq(xmm0, rax));
    l.t("load.x.s", |b| {
        b.a.movq(xmm0, s(D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("load.x.c", |b| {
        let mut end = b.a.create_label();
        b.a.movq(xmm0, qword_ptr(end))?;
        b.m(K::Rel32, 0);
        b.a.set_label(&mut end)?;
        b.a.zero_bytes()
    });
    fbin!(l, "add" => addss, addsd; "sub" => subss, subsd; "mul" => mulss, mulsd; "div" => divss, divsd);
    l.t("f32.sqrt", |b| b.a.sqrtss(xmm0, xmm0));
    l.t("f64.sqrt", |b| b.a.sqrtsd(xmm0, xmm0));
    // Ordered compares as flags: `cmp` is `a ? b` with a in xmm0, `cmpr`
    // is `b ? a` (for `lt`/`le` as `gt`/`ge` swapped); `ja`/`jae` are
    // false when unordered, as wasm wants.
    fcmp!(l, "f32", ucomiss, movss, s32);
    fcmp!(l, "f64", ucomisd, movsd_2, s);
    l.t("f32.abs", |b| b.a.and(eax, 0x7fff_ffff));
    l.t("f32.neg", |b| b.a.xor(eax, 0x8000_0000u32 as i32));
    l.t("f64.abs", |b| b.a.btr(rax, 63));
    l.t("f64.neg", |b| b.a.btc(rax, 63));
    l.t("f32.copysign.rs", |b| {
        b.a.mov(ecx, s32(D))?;
        b.m(K::Disp32, 0);
        b.a.and(ecx, 0x8000_0000u32 as i32)?;
        b.a.and(eax, 0x7fff_ffff)?;
        b.a.or(eax, ecx)
    });
    l.t("f64.copysign.rs", |b| {
        b.a.mov(rcx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.shr(rcx, 63)?;
        b.a.shl(rcx, 63)?;
        b.a.btr(rax, 63)?;
        b.a.or(rax, rcx)
    });
    // Float equality (a in rax, b in the slot): unordered is false for
    // `eq`, true for `ne`.
    for (w, load_b) in [("f32", 0), ("f64", 1)] {
        let ld = move |b: &mut Tb| -> R { if load_b == 0 { b.a.movd(xmm0, eax) } else { b.a.movq(xmm0, rax) } };
        let ldb = move |b: &mut Tb| -> R {
            if load_b == 0 {
                b.a.movss(xmm1, s32(D))?
            } else {
                b.a.movsd_2(xmm1, s(D))?
            }
            b.m(K::Disp32, 0);
            Ok(())
        };
        let ucom =
            move |b: &mut Tb| -> R { if load_b == 0 { b.a.ucomiss(xmm0, xmm1) } else { b.a.ucomisd(xmm0, xmm1) } };
        l.t(&format!("{w}.eq.rs"), |b| {
            ld(b)?;
            ldb(b)?;
            ucom(b)?;
            b.a.sete(al)?;
            b.a.setnp(cl)?;
            b.a.and(al, cl)?;
            b.a.movzx(eax, al)
        });
        l.t(&format!("{w}.ne.rs"), |b| {
            ld(b)?;
            ldb(b)?;
            ucom(b)?;
            b.a.setne(al)?;
            b.a.setp(cl)?;
            b.a.or(al, cl)?;
            b.a.movzx(eax, al)
        });
    }
    l.t("f32.convert_i32_s", |b| {
        b.a.cvtsi2ss(xmm0, eax)?;
        b.a.movd(eax, xmm0)
    });
    l.t("f32.convert_i32_u", |b| {
        b.a.mov(eax, eax)?;
        b.a.cvtsi2ss(xmm0, rax)?;
        b.a.movd(eax, xmm0)
    });
    l.t("f32.convert_i64_s", |b| {
        b.a.cvtsi2ss(xmm0, rax)?;
        b.a.movd(eax, xmm0)
    });
    l.t("f64.convert_i32_s", |b| {
        b.a.cvtsi2sd(xmm0, eax)?;
        b.a.movq(rax, xmm0)
    });
    l.t("f64.convert_i32_u", |b| {
        b.a.mov(eax, eax)?;
        b.a.cvtsi2sd(xmm0, rax)?;
        b.a.movq(rax, xmm0)
    });
    l.t("f64.convert_i64_s", |b| {
        b.a.cvtsi2sd(xmm0, rax)?;
        b.a.movq(rax, xmm0)
    });
    l.t("f32.demote_f64", |b| {
        b.a.movq(xmm0, rax)?;
        b.a.cvtsd2ss(xmm0, xmm0)?;
        b.a.movd(eax, xmm0)
    });
    l.t("f64.promote_f32", |b| {
        b.a.movd(xmm0, eax)?;
        b.a.cvtss2sd(xmm0, xmm0)?;
        b.a.movq(rax, xmm0)
    });

    // ---- runtime calls ----
    // Arguments 1..4 of a helper (after the context), from a slot, rax or
    // an immediate.
    for (k, reg) in [(1, rsi), (2, rdx), (3, rcx), (4, r8)] {
        l.t(&format!("arg{k}.s"), |b| {
            b.a.mov(reg, s(D))?;
            b.m(K::Disp32, 0);
            Ok(())
        });
        l.t(&format!("arg{k}.r"), |b| b.a.mov(reg, rax));
        l.t(&format!("arg{k}.i"), |b| {
            b.a.mov(reg, Q)?;
            b.m(K::Imm64, 0);
            Ok(())
        });
    }
    // Hole 0: the helper's address; its result in rax.
    l.t("call.helper", |b| {
        b.a.mov(rdi, r15)?;
        b.a.mov(rax, Q)?;
        b.m(K::Imm64, 0);
        b.a.call(rax)
    });
    // A defined function of this instance (hole 1: its native entry's
    // offset in the table; hole 2: its index; hole 3: the interpreter's
    // `call_defined`; hole 4: the exit), its frame at hole 0.
    l.t("call", |b| {
        let mut slow = b.a.create_label();
        let mut done = b.a.create_label();
        b.a.mov(rax, qword_ptr(r15 + NATIVE))?;
        b.a.mov(rax, qword_ptr(rax + D))?;
        b.m(K::Disp32, 1);
        b.a.test(rax, rax)?;
        b.a.je(slow)?;
        b.a.mov(rdi, r15)?;
        b.a.lea(rsi, s(D))?;
        b.m(K::Disp32, 0);
        b.a.call(rax)?;
        b.a.jmp(done)?;
        b.a.set_label(&mut slow)?;
        b.a.mov(rdi, r15)?;
        b.a.mov(esi, I)?;
        b.m(K::Imm32, 2);
        b.a.lea(rdx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.mov(rax, Q)?;
        b.m(K::Imm64, 3);
        b.a.call(rax)?;
        b.a.set_label(&mut done)?;
        b.a.test(eax, eax)?;
        b.a.jne(FAR)?;
        b.m(K::Rel32, 4);
        b.a.mov(r13, qword_ptr(r15 + MEM_BASE))?;
        b.a.mov(r12, qword_ptr(r15 + MEM_LEN))
    });
    // An imported function (hole 1: its offset in the function table;
    // hole 2: `call_ref`; hole 3: the exit), frame at hole 0.
    l.t("call.import", |b| {
        b.a.mov(rsi, qword_ptr(r15 + FUNCS))?;
        b.a.mov(rsi, qword_ptr(rsi + D))?;
        b.m(K::Disp32, 1);
        b.a.mov(rdi, r15)?;
        b.a.lea(rdx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.mov(rax, Q)?;
        b.m(K::Imm64, 2);
        b.a.call(rax)?;
        b.a.test(eax, eax)?;
        b.a.jne(FAR)?;
        b.m(K::Rel32, 3);
        b.a.mov(r13, qword_ptr(r15 + MEM_BASE))?;
        b.a.mov(r12, qword_ptr(r15 + MEM_LEN))
    });
    // call_indirect with the element index in ecx: hole 0 frame, 1 the
    // table's offset, 2 undefined-element trap, 3 null trap, 4 the type's
    // offset in the signature ids, 5 signature trap, 6 `call_ref`, 7 exit.
    // A function of this very instance with native code is called
    // directly; anything else goes through the interpreter (which pins
    // other modules' code).
    l.t("call.indirect", |b| {
        let mut slow = b.a.create_label();
        let mut done = b.a.create_label();
        b.a.mov(rax, qword_ptr(r15 + TABLES))?;
        b.a.mov(rax, qword_ptr(rax + D))?;
        b.m(K::Disp32, 1);
        b.a.cmp(rcx, qword_ptr(rax + TABLE_LEN))?;
        b.a.jae(FAR)?;
        b.m(K::Rel32, 2);
        b.a.mov(rax, qword_ptr(rax + TABLE_BASE))?;
        b.a.mov(rdx, qword_ptr(rax + rcx * 8))?;
        b.a.test(rdx, rdx)?;
        b.a.je(FAR)?;
        b.m(K::Rel32, 3);
        b.a.mov(ecx, dword_ptr(rdx + FUNCREF_SIG))?;
        b.a.mov(rax, qword_ptr(r15 + SIG_IDS))?;
        b.a.cmp(ecx, dword_ptr(rax + D))?;
        b.m(K::Disp32, 4);
        b.a.jne(FAR)?;
        b.m(K::Rel32, 5);
        b.a.cmp(qword_ptr(rdx + FUNCREF_HOST), 0)?;
        b.a.jne(slow)?;
        b.a.cmp(qword_ptr(rdx + FUNCREF_VMCTX), r15)?;
        b.a.jne(slow)?;
        b.a.mov(ecx, dword_ptr(rdx + FUNCREF_INDEX))?;
        b.a.mov(rax, qword_ptr(r15 + NATIVE))?;
        b.a.mov(rax, qword_ptr(rax + rcx * 8))?;
        b.a.test(rax, rax)?;
        b.a.je(slow)?;
        b.a.mov(rdi, r15)?;
        b.a.lea(rsi, s(D))?;
        b.m(K::Disp32, 0);
        b.a.call(rax)?;
        b.a.jmp(done)?;
        b.a.set_label(&mut slow)?;
        b.a.mov(rdi, r15)?;
        b.a.mov(rsi, rdx)?;
        b.a.lea(rdx, s(D))?;
        b.m(K::Disp32, 0);
        b.a.mov(rax, Q)?;
        b.m(K::Imm64, 6);
        b.a.call(rax)?;
        b.a.set_label(&mut done)?;
        b.a.test(eax, eax)?;
        b.a.jne(FAR)?;
        b.m(K::Rel32, 7);
        b.a.mov(r13, qword_ptr(r15 + MEM_BASE))?;
        b.a.mov(r12, qword_ptr(r15 + MEM_LEN))
    });
    // A jump table: the index in eax, hole 0 the last entry (the
    // default), hole 1 the table (rel32 entries relative to its start).
    l.t("br_table", |b| {
        let mut here = b.a.create_label();
        b.a.mov(ecx, I)?;
        b.m(K::Imm32, 0);
        b.a.cmp(eax, ecx)?;
        b.a.cmova(eax, ecx)?;
        b.a.lea(rcx, ptr(here))?;
        b.m(K::Rel32, 1);
        b.a.movsxd(rax, dword_ptr(rcx + rax * 4))?;
        b.a.add(rax, rcx)?;
        b.a.set_label(&mut here)?;
        b.a.jmp(rax)
    });

    // ---- memory ----
    // The address (u32) into rcx.
    l.t("ea.r", |b| b.a.mov(ecx, eax));
    l.t("ea.s", |b| {
        b.a.mov(ecx, s32(D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("ea.i", |b| {
        b.a.mov(ecx, I)?;
        b.m(K::Imm32, 0);
        Ok(())
    });
    // Hole 0: offset + access size; hole 1: the out-of-bounds trap.
    l.t("bound", |b| {
        b.a.lea(rdx, qword_ptr(rcx + D))?;
        b.m(K::Disp32, 0);
        b.a.cmp(rdx, r12)?;
        b.a.ja(FAR)?;
        b.m(K::Rel32, 1);
        Ok(())
    });
    // Offsets past 2^31: hole 0 offset + size, hole 2 offset (added to
    // rcx; the access then has displacement 0).
    l.t("bound.far", |b| {
        b.a.mov(rdx, Q)?;
        b.m(K::Imm64, 0);
        b.a.add(rdx, rcx)?;
        b.a.cmp(rdx, r12)?;
        b.a.ja(FAR)?;
        b.m(K::Rel32, 1);
        b.a.mov(rdx, Q)?;
        b.m(K::Imm64, 2);
        b.a.add(rcx, rdx)
    });
    loads!(l,
        "32" => |a, m| a.mov(eax, dword_ptr(m));
        "64" => |a, m| a.mov(rax, qword_ptr(m));
        "8u" => |a, m| a.movzx(eax, byte_ptr(m));
        "8s32" => |a, m| a.movsx(eax, byte_ptr(m));
        "16u" => |a, m| a.movzx(eax, word_ptr(m));
        "16s32" => |a, m| a.movsx(eax, word_ptr(m));
        "8s64" => |a, m| a.movsx(rax, byte_ptr(m));
        "16s64" => |a, m| a.movsx(rax, word_ptr(m));
        "32s64" => |a, m| a.movsxd(rax, dword_ptr(m));
        "store8" => |a, m| a.mov(byte_ptr(m), al);
        "store16" => |a, m| a.mov(word_ptr(m), ax);
        "store32" => |a, m| a.mov(dword_ptr(m), eax);
        "store64" => |a, m| a.mov(qword_ptr(m), rax));
    l.t("memory.size", |b| {
        b.a.mov(rax, r12)?;
        b.a.shr(rax, 16)
    });

    // ---- globals, tables, references ----
    // Hole 0: the global's offset in the cell table.
    l.t("global.get", |b| {
        b.a.mov(rax, qword_ptr(r15 + GLOBALS))?;
        b.a.mov(rax, qword_ptr(rax + D))?;
        b.m(K::Disp32, 0);
        b.a.mov(rax, qword_ptr(rax))
    });
    l.t("global.set", |b| {
        b.a.mov(rcx, qword_ptr(r15 + GLOBALS))?;
        b.a.mov(rcx, qword_ptr(rcx + D))?;
        b.m(K::Disp32, 0);
        b.a.mov(qword_ptr(rcx), rax)
    });
    l.t("ref.func", |b| {
        b.a.mov(rax, qword_ptr(r15 + FUNCS))?;
        b.a.mov(rax, qword_ptr(rax + D))?;
        b.m(K::Disp32, 0);
        Ok(())
    });
    l.t("table.size", |b| {
        b.a.mov(rax, qword_ptr(r15 + TABLES))?;
        b.a.mov(rax, qword_ptr(rax + D))?;
        b.m(K::Disp32, 0);
        b.a.mov(rax, qword_ptr(rax + TABLE_LEN))
    });
    l
}

fn kind(k: K) -> &'static str {
    match k {
        K::Imm8 => "Kind::Imm8",
        K::Imm32 => "Kind::Imm32",
        K::Disp32 => "Kind::Disp32",
        K::Imm64 => "Kind::Imm64",
        K::Rel32 => "Kind::Rel32",
    }
}

fn ident(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let lib = library();
    let mut out = String::new();
    writeln!(out, "// Generated by build.rs: the template library.").unwrap();
    writeln!(out, "pub static TEMPLATES: [Template; {}] = [", lib.0.len()).unwrap();
    for (id, t) in lib.0.iter().enumerate() {
        let patches: Vec<String> = t
            .patches
            .iter()
            .map(|(o, k, h)| format!("Patch {{ offset: {o}, kind: {}, hole: {h} }}", kind(*k)))
            .collect();
        writeln!(
            out,
            "    Template {{ id: {id}, name: {:?}, version: {VERSION}, bytes: &{:?}, patches: &[{}], holes: {} }},",
            t.name,
            t.bytes,
            patches.join(", "),
            t.holes
        )
        .unwrap();
    }
    writeln!(out, "];").unwrap();
    writeln!(out, "/// Template ids by name.").unwrap();
    writeln!(out, "#[allow(dead_code)]").unwrap();
    writeln!(out, "pub mod id {{").unwrap();
    let mut seen = std::collections::HashSet::new();
    for (i, t) in lib.0.iter().enumerate() {
        assert!(seen.insert(t.name.clone()), "template {} defined twice", t.name);
        writeln!(out, "    pub const {}: u16 = {i};", ident(&t.name)).unwrap();
    }
    writeln!(out, "}}").unwrap();
    let dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{dir}/templates.rs"), out).unwrap();
}
