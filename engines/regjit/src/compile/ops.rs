//! The code of each IR instruction: integer, float and conversion ops,
//! moves, control flow, calls, memory and tables (the `Cg` methods the
//! dispatch in [`Cg::instr`] uses; the frame, call and trap machinery is in
//! the parent module).

use iced_x86::code_asm::*;
use wasmlab_contract::Trap;
use wasmlab_regir::{CmpForm, Instr, R};
use wasmlab_runtime::{FuncRef, Table, VmCtx};

use super::{Cg, Cond, Fault, Res, Src, popcnt, slot, slot32, sse41};
use crate::regalloc::G;
use wasmlab_native::helpers as h;

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
    pub(super) fn instr(&mut self, pc: usize, i: Instr) -> Res {
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
                // A 32-bit move even within one register: it clears bits 32..64.
                let w = self.work(dst, &[]);
                match self.loc(src) {
                    Src::Reg(g) => self.a.mov(w.d(), g.d())?,
                    s => self.get32(w, s)?,
                }
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
