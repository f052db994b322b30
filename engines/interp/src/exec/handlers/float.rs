//! Float ops: f32 and f64 unary (sign bits, rounding, `sqrt`), arithmetic
//! and comparisons (comparisons produce 0 or 1).

use super::*;

handlers! {
    F32Abs { dst, src } => { r!(dst) = r!(src) & 0x7fff_ffff; }
    F32Neg { dst, src } => { r!(dst) = (r!(src) ^ 0x8000_0000) & 0xffff_ffff; }
    F32Ceil { dst, src } => { unf32!(dst, src, |x| quiet_nan32(x, f32::ceil)); }
    F32Floor { dst, src } => { unf32!(dst, src, |x| quiet_nan32(x, f32::floor)); }
    F32Trunc { dst, src } => { unf32!(dst, src, |x| quiet_nan32(x, f32::trunc)); }
    F32Nearest { dst, src } => { unf32!(dst, src, |x| quiet_nan32(x, f32::round_ties_even)); }
    F32Sqrt { dst, src } => { unf32!(dst, src, |x| quiet_nan32(x, f32::sqrt)); }
    F64Abs { dst, src } => { r!(dst) = r!(src) & 0x7fff_ffff_ffff_ffff; }
    F64Neg { dst, src } => { r!(dst) = r!(src) ^ 0x8000_0000_0000_0000; }
    F64Ceil { dst, src } => { unf64!(dst, src, |x| quiet_nan64(x, f64::ceil)); }
    F64Floor { dst, src } => { unf64!(dst, src, |x| quiet_nan64(x, f64::floor)); }
    F64Trunc { dst, src } => { unf64!(dst, src, |x| quiet_nan64(x, f64::trunc)); }
    F64Nearest { dst, src } => { unf64!(dst, src, |x| quiet_nan64(x, f64::round_ties_even)); }
    F64Sqrt { dst, src } => { unf64!(dst, src, |x| quiet_nan64(x, f64::sqrt)); }

    F32Eq { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x == y); }
    F32Ne { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x != y); }
    F32Lt { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x < y); }
    F32Gt { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x > y); }
    F32Le { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x <= y); }
    F32Ge { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x >= y); }
    F32Add { dst, a, b } => { binf32!(dst, a, b, |x, y| x + y); }
    F32Sub { dst, a, b } => { binf32!(dst, a, b, |x, y| x - y); }
    F32Mul { dst, a, b } => { binf32!(dst, a, b, |x, y| x * y); }
    F32Div { dst, a, b } => { binf32!(dst, a, b, |x, y| x / y); }
    F32Min { dst, a, b } => { binf32!(dst, a, b, fmin32); }
    F32Max { dst, a, b } => { binf32!(dst, a, b, fmax32); }
    F32Copysign { dst, a, b } => { binf32!(dst, a, b, f32::copysign); }

    F64Eq { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x == y); }
    F64Ne { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x != y); }
    F64Lt { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x < y); }
    F64Gt { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x > y); }
    F64Le { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x <= y); }
    F64Ge { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x >= y); }
    F64Add { dst, a, b } => { binf64!(dst, a, b, |x, y| x + y); }
    F64Sub { dst, a, b } => { binf64!(dst, a, b, |x, y| x - y); }
    F64Mul { dst, a, b } => { binf64!(dst, a, b, |x, y| x * y); }
    F64Div { dst, a, b } => { binf64!(dst, a, b, |x, y| x / y); }
    F64Min { dst, a, b } => { binf64!(dst, a, b, fmin64); }
    F64Max { dst, a, b } => { binf64!(dst, a, b, fmax64); }
    F64Copysign { dst, a, b } => { binf64!(dst, a, b, f64::copysign); }
}
