//! Control flow: jumps, compare-and-branch, returns, `unreachable`.

use super::*;

handlers! {
    Br { target } => { jump!(target); }
    BrIfNz { c, target } => { br_if!(r!(c) as u32 != 0, target); }
    BrIfZ { c, target } => { br_if!(r!(c) as u32 == 0, target); }
    BrTable { index, count } => { skip!((r!(index) as u32).min(count)); }
    Return {} => { ret!(); }
    Return1 { src } => {
        r!(0) = r!(src);
        ret!();
    }
    Unreachable {} => { trap!(Trap::Unreachable); }

    // i32 compare-and-branch
    BrI32Eq { a, b, target } => { br_if!(r!(a) as u32 == r!(b) as u32, target); }
    BrI32Ne { a, b, target } => { br_if!(r!(a) as u32 != r!(b) as u32, target); }
    BrI32LtS { a, b, target } => { br_if!((r!(a) as i32) < (r!(b) as i32), target); }
    BrI32LtU { a, b, target } => { br_if!((r!(a) as u32) < (r!(b) as u32), target); }
    BrI32GtS { a, b, target } => { br_if!((r!(a) as i32) > (r!(b) as i32), target); }
    BrI32GtU { a, b, target } => { br_if!((r!(a) as u32) > (r!(b) as u32), target); }
    BrI32LeS { a, b, target } => { br_if!((r!(a) as i32) <= (r!(b) as i32), target); }
    BrI32LeU { a, b, target } => { br_if!((r!(a) as u32) <= (r!(b) as u32), target); }
    BrI32GeS { a, b, target } => { br_if!((r!(a) as i32) >= (r!(b) as i32), target); }
    BrI32GeU { a, b, target } => { br_if!((r!(a) as u32) >= (r!(b) as u32), target); }
    BrI32EqImm { a, imm, target } => { br_if!(r!(a) as i32 == imm, target); }
    BrI32NeImm { a, imm, target } => { br_if!(r!(a) as i32 != imm, target); }
    BrI32LtSImm { a, imm, target } => { br_if!((r!(a) as i32) < imm, target); }
    BrI32LtUImm { a, imm, target } => { br_if!((r!(a) as u32) < imm as u32, target); }
    BrI32GtSImm { a, imm, target } => { br_if!((r!(a) as i32) > imm, target); }
    BrI32GtUImm { a, imm, target } => { br_if!((r!(a) as u32) > imm as u32, target); }
    BrI32LeSImm { a, imm, target } => { br_if!((r!(a) as i32) <= imm, target); }
    BrI32LeUImm { a, imm, target } => { br_if!((r!(a) as u32) <= imm as u32, target); }
    BrI32GeSImm { a, imm, target } => { br_if!((r!(a) as i32) >= imm, target); }
    BrI32GeUImm { a, imm, target } => { br_if!((r!(a) as u32) >= imm as u32, target); }

    // i64 compare-and-branch
    BrI64Eq { a, b, target } => { br_if!(r!(a) == r!(b), target); }
    BrI64Ne { a, b, target } => { br_if!(r!(a) != r!(b), target); }
    BrI64LtS { a, b, target } => { br_if!((r!(a) as i64) < (r!(b) as i64), target); }
    BrI64LtU { a, b, target } => { br_if!(r!(a) < r!(b), target); }
    BrI64GtS { a, b, target } => { br_if!((r!(a) as i64) > (r!(b) as i64), target); }
    BrI64GtU { a, b, target } => { br_if!(r!(a) > r!(b), target); }
    BrI64LeS { a, b, target } => { br_if!((r!(a) as i64) <= (r!(b) as i64), target); }
    BrI64LeU { a, b, target } => { br_if!(r!(a) <= r!(b), target); }
    BrI64GeS { a, b, target } => { br_if!((r!(a) as i64) >= (r!(b) as i64), target); }
    BrI64GeU { a, b, target } => { br_if!(r!(a) >= r!(b), target); }
    BrI64EqImm { a, imm, target } => { br_if!(r!(a) as i64 == imm, target); }
    BrI64NeImm { a, imm, target } => { br_if!(r!(a) as i64 != imm, target); }
    BrI64LtSImm { a, imm, target } => { br_if!((r!(a) as i64) < imm, target); }
    BrI64LtUImm { a, imm, target } => { br_if!(r!(a) < imm as u64, target); }
    BrI64GtSImm { a, imm, target } => { br_if!((r!(a) as i64) > imm, target); }
    BrI64GtUImm { a, imm, target } => { br_if!(r!(a) > imm as u64, target); }
    BrI64LeSImm { a, imm, target } => { br_if!((r!(a) as i64) <= imm, target); }
    BrI64LeUImm { a, imm, target } => { br_if!(r!(a) <= imm as u64, target); }
    BrI64GeSImm { a, imm, target } => { br_if!((r!(a) as i64) >= imm, target); }
    BrI64GeUImm { a, imm, target } => { br_if!(r!(a) >= imm as u64, target); }
}
