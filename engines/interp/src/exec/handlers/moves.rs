//! Register moves, constants, `select` and globals.

use super::*;

handlers! {
    Copy { dst, src } => { r!(dst) = r!(src); }
    Const32 { dst, imm } => { r!(dst) = imm as u64; }
    Const64 { dst, imm } => { r!(dst) = imm; }
    CopySpan { dst, src, n } => { std::ptr::copy(rp!(src), rp!(dst), n as usize); }
    Select { dst, c, a, b } => { r!(dst) = if r!(c) as u32 != 0 { r!(a) } else { r!(b) }; }
    GlobalGet { dst, global } => { r!(dst) = **(*vmctx!()).globals.add(global as usize); }
    GlobalSet { src, global } => { **(*vmctx!()).globals.add(global as usize) = r!(src); }
}
