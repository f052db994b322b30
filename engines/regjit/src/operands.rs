//! The IR registers an instruction names, generated from the IR's
//! instruction table (so a new op cannot be missed).

use wasmlab_regir::{Instr, R};

/// A field of an instruction: registers are `u16`, every other field is
/// wider or an immediate.
trait Field {
    fn visit(&self, f: &mut dyn FnMut(R));
}
impl Field for u16 {
    fn visit(&self, f: &mut dyn FnMut(R)) {
        f(*self)
    }
}
macro_rules! not_regs {
    ($($t:ty),*) => { $(impl Field for $t { fn visit(&self, _: &mut dyn FnMut(R)) {} })* };
}
not_regs!(u32, i32, u64, i64);

macro_rules! operand_table {
    (
        unary: [$($un:ident),* $(,)?],
        binary: [$($bin:ident),* $(,)?],
        imm32: [$($i32op:ident => $i32imm:ident),* $(,)?],
        imm64: [$($i64op:ident => $i64imm:ident),* $(,)?],
        commutative: [$($comm:ident),* $(,)?],
        compare32: [$($c32:ident, $c32imm:ident, $b32:ident, $b32imm:ident, not $c32not:ident, swap $c32sw:ident);* $(;)?],
        compare64: [$($c64:ident, $c64imm:ident, $b64:ident, $b64imm:ident, not $c64not:ident, swap $c64sw:ident);* $(;)?],
        loads: [$($ld:ident),* $(,)?],
        stores: [$($st:ident),* $(,)?],
        other: { $($(#[$m:meta])* $oname:ident $({ $($fl:ident : $t:ty),* $(,)? })?),* $(,)? }
    ) => {
        /// Calls `f` with every register operand of `i` (for `CopySpan`,
        /// the first register of each span).
        #[allow(unreachable_patterns)]
        pub fn regs(i: &Instr, f: &mut dyn FnMut(R)) {
            match *i {
                Instr::CopySpan { dst, src, .. } => { f(dst); f(src); }
                $(Instr::$un { dst, src } => { f(dst); f(src); })*
                $(Instr::$bin { dst, a, b } => { f(dst); f(a); f(b); })*
                $(Instr::$i32op { dst, a, b } => { f(dst); f(a); f(b); } Instr::$i32imm { dst, a, .. } => { f(dst); f(a); })*
                $(Instr::$i64op { dst, a, b } => { f(dst); f(a); f(b); } Instr::$i64imm { dst, a, .. } => { f(dst); f(a); })*
                $(Instr::$c32 { dst, a, b } => { f(dst); f(a); f(b); } Instr::$c32imm { dst, a, .. } => { f(dst); f(a); })*
                $(Instr::$c64 { dst, a, b } => { f(dst); f(a); f(b); } Instr::$c64imm { dst, a, .. } => { f(dst); f(a); })*
                $(Instr::$b32 { a, b, .. } => { f(a); f(b); } Instr::$b32imm { a, .. } => f(a),)*
                $(Instr::$b64 { a, b, .. } => { f(a); f(b); } Instr::$b64imm { a, .. } => f(a),)*
                $(Instr::$ld { dst, addr, .. } => { f(dst); f(addr); })*
                $(Instr::$st { addr, src, .. } => { f(addr); f(src); })*
                $(#[allow(unused_variables)] Instr::$oname $({ $($fl),* })? => { $($( Field::visit(&$fl, f); )*)? })*
            }
        }
    };
}

wasmlab_regir::for_each_instr!(operand_table);
