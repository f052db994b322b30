//! Conversions between number types: wrap and extend, trapping and
//! saturating float-to-int truncation (Rust's `as` saturates as wasm
//! requires), int-to-float, promote and demote. Reinterpretations emit no
//! instruction: a slot holds the bits either way.

use super::*;

handlers! {
    I32WrapI64 { dst, src } => { r!(dst) = r!(src) & 0xffff_ffff; }
    I64ExtendI32S { dst, src } => { r!(dst) = r!(src) as u32 as i32 as i64 as u64; }
    I32Extend8S { dst, src } => { r!(dst) = r!(src) as u8 as i8 as i32 as u32 as u64; }
    I32Extend16S { dst, src } => { r!(dst) = r!(src) as u16 as i16 as i32 as u32 as u64; }
    I64Extend8S { dst, src } => { r!(dst) = r!(src) as u8 as i8 as i64 as u64; }
    I64Extend16S { dst, src } => { r!(dst) = r!(src) as u16 as i16 as i64 as u64; }
    I64Extend32S { dst, src } => { r!(dst) = r!(src) as u32 as i32 as i64 as u64; }

    I32TruncF32S { dst, src } => { conv!(dst, src, trunc_f32_i32); }
    I32TruncF32U { dst, src } => { conv!(dst, src, trunc_f32_u32); }
    I32TruncF64S { dst, src } => { conv!(dst, src, trunc_f64_i32); }
    I32TruncF64U { dst, src } => { conv!(dst, src, trunc_f64_u32); }
    I64TruncF32S { dst, src } => { conv!(dst, src, trunc_f32_i64); }
    I64TruncF32U { dst, src } => { conv!(dst, src, trunc_f32_u64); }
    I64TruncF64S { dst, src } => { conv!(dst, src, trunc_f64_i64); }
    I64TruncF64U { dst, src } => { conv!(dst, src, trunc_f64_u64); }

    I32TruncSatF32S { dst, src } => { r!(dst) = f32::from_bits(r!(src) as u32) as i32 as u32 as u64; }
    I32TruncSatF32U { dst, src } => { r!(dst) = f32::from_bits(r!(src) as u32) as u32 as u64; }
    I32TruncSatF64S { dst, src } => { r!(dst) = f64::from_bits(r!(src)) as i32 as u32 as u64; }
    I32TruncSatF64U { dst, src } => { r!(dst) = f64::from_bits(r!(src)) as u32 as u64; }
    I64TruncSatF32S { dst, src } => { r!(dst) = f32::from_bits(r!(src) as u32) as i64 as u64; }
    I64TruncSatF32U { dst, src } => { r!(dst) = f32::from_bits(r!(src) as u32) as u64; }
    I64TruncSatF64S { dst, src } => { r!(dst) = f64::from_bits(r!(src)) as i64 as u64; }
    I64TruncSatF64U { dst, src } => { r!(dst) = f64::from_bits(r!(src)) as u64; }

    F32ConvertI32S { dst, src } => { r!(dst) = (r!(src) as u32 as i32 as f32).to_bits() as u64; }
    F32ConvertI32U { dst, src } => { r!(dst) = (r!(src) as u32 as f32).to_bits() as u64; }
    F32ConvertI64S { dst, src } => { r!(dst) = (r!(src) as i64 as f32).to_bits() as u64; }
    F32ConvertI64U { dst, src } => { r!(dst) = (r!(src) as f32).to_bits() as u64; }
    F32DemoteF64 { dst, src } => { r!(dst) = (f64::from_bits(r!(src)) as f32).to_bits() as u64; }
    F64ConvertI32S { dst, src } => { r!(dst) = (r!(src) as u32 as i32 as f64).to_bits(); }
    F64ConvertI32U { dst, src } => { r!(dst) = (r!(src) as u32 as f64).to_bits(); }
    F64ConvertI64S { dst, src } => { r!(dst) = (r!(src) as i64 as f64).to_bits(); }
    F64ConvertI64U { dst, src } => { r!(dst) = (r!(src) as f64).to_bits(); }
    F64PromoteF32 { dst, src } => { r!(dst) = (f32::from_bits(r!(src) as u32) as f64).to_bits(); }
}
