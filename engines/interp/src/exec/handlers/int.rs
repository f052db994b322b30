//! Integer ops: i32 and i64 unary, register-register and
//! register-immediate forms (comparisons produce 0 or 1).

use super::*;

handlers! {
    I32Clz { dst, src } => { un32!(dst, src, u32::leading_zeros); }
    I32Ctz { dst, src } => { un32!(dst, src, u32::trailing_zeros); }
    I32Popcnt { dst, src } => { un32!(dst, src, u32::count_ones); }
    I32Eqz { dst, src } => { un32!(dst, src, |x: u32| x == 0); }
    I64Clz { dst, src } => { un64!(dst, src, u64::leading_zeros); }
    I64Ctz { dst, src } => { un64!(dst, src, u64::trailing_zeros); }
    I64Popcnt { dst, src } => { un64!(dst, src, u64::count_ones); }
    I64Eqz { dst, src } => { un64!(dst, src, |x: u64| x == 0); }

    // i32, register-register
    I32Eq { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x == y); }
    I32Ne { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x != y); }
    I32LtS { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| (x as i32) < (y as i32)); }
    I32LtU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x < y); }
    I32GtS { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| (x as i32) > (y as i32)); }
    I32GtU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x > y); }
    I32LeS { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| (x as i32) <= (y as i32)); }
    I32LeU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x <= y); }
    I32GeS { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| (x as i32) >= (y as i32)); }
    I32GeU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x >= y); }
    I32Add { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_add); }
    I32Sub { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_sub); }
    I32Mul { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_mul); }
    I32DivS { dst, a, b } => { tbin32!(dst, r!(a), r!(b), div_s32); }
    I32DivU { dst, a, b } => { tbin32!(dst, r!(a), r!(b), div_u32); }
    I32RemS { dst, a, b } => { tbin32!(dst, r!(a), r!(b), rem_s32); }
    I32RemU { dst, a, b } => { tbin32!(dst, r!(a), r!(b), rem_u32); }
    I32And { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x & y); }
    I32Or { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x | y); }
    I32Xor { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x ^ y); }
    I32Shl { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_shl); }
    I32ShrS { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| (x as i32).wrapping_shr(y)); }
    I32ShrU { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_shr); }
    I32Rotl { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::rotate_left); }
    I32Rotr { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::rotate_right); }

    // i32, register-immediate
    I32EqImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x == y); }
    I32NeImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x != y); }
    I32LtSImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| (x as i32) < (y as i32)); }
    I32LtUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x < y); }
    I32GtSImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| (x as i32) > (y as i32)); }
    I32GtUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x > y); }
    I32LeSImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| (x as i32) <= (y as i32)); }
    I32LeUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x <= y); }
    I32GeSImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| (x as i32) >= (y as i32)); }
    I32GeUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x >= y); }
    I32AddImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_add); }
    I32SubImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_sub); }
    I32MulImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_mul); }
    I32DivSImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, div_s32); }
    I32DivUImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, div_u32); }
    I32RemSImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, rem_s32); }
    I32RemUImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, rem_u32); }
    I32AndImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x & y); }
    I32OrImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x | y); }
    I32XorImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x ^ y); }
    I32ShlImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_shl); }
    I32ShrSImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| (x as i32).wrapping_shr(y)); }
    I32ShrUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_shr); }
    I32RotlImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::rotate_left); }
    I32RotrImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::rotate_right); }

    // i64, register-register (shift and rotate counts are taken mod 64)
    I64Eq { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x == y); }
    I64Ne { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x != y); }
    I64LtS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| (x as i64) < (y as i64)); }
    I64LtU { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x < y); }
    I64GtS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| (x as i64) > (y as i64)); }
    I64GtU { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x > y); }
    I64LeS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| (x as i64) <= (y as i64)); }
    I64LeU { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x <= y); }
    I64GeS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| (x as i64) >= (y as i64)); }
    I64GeU { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x >= y); }
    I64Add { dst, a, b } => { bin64!(dst, r!(a), r!(b), u64::wrapping_add); }
    I64Sub { dst, a, b } => { bin64!(dst, r!(a), r!(b), u64::wrapping_sub); }
    I64Mul { dst, a, b } => { bin64!(dst, r!(a), r!(b), u64::wrapping_mul); }
    I64DivS { dst, a, b } => { tbin64!(dst, r!(a), r!(b), div_s64); }
    I64DivU { dst, a, b } => { tbin64!(dst, r!(a), r!(b), div_u64); }
    I64RemS { dst, a, b } => { tbin64!(dst, r!(a), r!(b), rem_s64); }
    I64RemU { dst, a, b } => { tbin64!(dst, r!(a), r!(b), rem_u64); }
    I64And { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x & y); }
    I64Or { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x | y); }
    I64Xor { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x ^ y); }
    I64Shl { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x.wrapping_shl(y as u32)); }
    I64ShrS { dst, a, b } => {
        bin64!(dst, r!(a), r!(b), |x, y| (x as i64).wrapping_shr(y as u32));
    }
    I64ShrU { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x.wrapping_shr(y as u32)); }
    I64Rotl { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x.rotate_left((y & 63) as u32)); }
    I64Rotr { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x.rotate_right((y & 63) as u32)); }

    // i64, register-immediate
    I64EqImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x == y); }
    I64NeImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x != y); }
    I64LtSImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| (x as i64) < (y as i64)); }
    I64LtUImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x < y); }
    I64GtSImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| (x as i64) > (y as i64)); }
    I64GtUImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x > y); }
    I64LeSImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| (x as i64) <= (y as i64)); }
    I64LeUImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x <= y); }
    I64GeSImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| (x as i64) >= (y as i64)); }
    I64GeUImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x >= y); }
    I64AddImm { dst, a, imm } => { bin64!(dst, r!(a), imm, u64::wrapping_add); }
    I64SubImm { dst, a, imm } => { bin64!(dst, r!(a), imm, u64::wrapping_sub); }
    I64MulImm { dst, a, imm } => { bin64!(dst, r!(a), imm, u64::wrapping_mul); }
    I64DivSImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, div_s64); }
    I64DivUImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, div_u64); }
    I64RemSImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, rem_s64); }
    I64RemUImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, rem_u64); }
    I64AndImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x & y); }
    I64OrImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x | y); }
    I64XorImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x ^ y); }
    I64ShlImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x.wrapping_shl(y as u32)); }
    I64ShrSImm { dst, a, imm } => {
        bin64!(dst, r!(a), imm, |x, y| (x as i64).wrapping_shr(y as u32));
    }
    I64ShrUImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x.wrapping_shr(y as u32)); }
    I64RotlImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x.rotate_left((y & 63) as u32)); }
    I64RotrImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x.rotate_right((y & 63) as u32)); }
}
