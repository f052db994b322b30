//! The register IR instruction set. See `IR.md` beside this crate's
//! `Cargo.toml` for the table of every op.
//!
//! A function's frame is a slice of `u64` registers (raw slots, see
//! `wasmlab_runtime::raw`): registers `0..num_locals` are the wasm locals
//! (parameters first), the registers above them hold operand-stack values
//! (the value at stack height `h` lives in register `num_locals + h`). A call
//! passes arguments in consecutive registers of the caller, which become
//! registers `0..` of the callee's frame; results come back in the same
//! place. Branch targets are instruction indices.

/// A register: an index into the current frame.
pub type R = u16;

macro_rules! instrs {
    (
        unary: [$($un:ident),* $(,)?],
        binary: [$($bin:ident),* $(,)?],
        imm32: [$($i32op:ident => $i32imm:ident),* $(,)?],
        imm64: [$($i64op:ident => $i64imm:ident),* $(,)?],
        br32: [$($b32op:ident, $b32opi:ident => $b32:ident, $b32imm:ident),* $(,)?],
        br64: [$($b64op:ident, $b64opi:ident => $b64:ident, $b64imm:ident),* $(,)?],
        loads: [$($ld:ident),* $(,)?],
        stores: [$($st:ident),* $(,)?],
        other: { $($(#[$m:meta])* $oname:ident $({ $($f:ident : $t:ty),* $(,)? })?),* $(,)? }
    ) => {
        /// One register-IR instruction (16 bytes).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Instr {
            $($un { dst: R, src: R },)*
            $($bin { dst: R, a: R, b: R },)*
            $($i32imm { dst: R, a: R, imm: i32 },)*
            $($i64imm { dst: R, a: R, imm: i64 },)*
            $($b32 { a: R, b: R, target: u32 }, $b32imm { a: R, imm: i32, target: u32 },)*
            $($b64 { a: R, b: R, target: u32 }, $b64imm { a: R, imm: i64, target: u32 },)*
            $($ld { dst: R, addr: R, offset: u32 },)*
            $($st { addr: R, src: R, offset: u32 },)*
            $($(#[$m])* $oname $({ $($f: $t),* })?,)*
        }

        impl Instr {
            /// The register this instruction writes its single result to, if
            /// it has exactly one (the translator retargets it to fuse a
            /// following `local.set`).
            pub fn dst_mut(&mut self) -> Option<&mut R> {
                match self {
                    $(Instr::$un { dst, .. })|*
                    | $(Instr::$bin { dst, .. })|*
                    | $(Instr::$i32imm { dst, .. })|*
                    | $(Instr::$i64imm { dst, .. })|*
                    | $(Instr::$ld { dst, .. })|*
                    | Instr::Copy { dst, .. }
                    | Instr::Const32 { dst, .. }
                    | Instr::Const64 { dst, .. }
                    | Instr::Select { dst, .. }
                    | Instr::GlobalGet { dst, .. }
                    | Instr::MemorySize { dst }
                    | Instr::MemoryGrow { dst, .. }
                    | Instr::TableGet { dst, .. }
                    | Instr::TableSize { dst, .. }
                    | Instr::TableGrow { dst, .. }
                    | Instr::RefFunc { dst, .. } => Some(dst),
                    _ => None,
                }
            }

            /// The branch target of a branch instruction.
            pub fn target_mut(&mut self) -> Option<&mut u32> {
                match self {
                    $(Instr::$b32 { target, .. } | Instr::$b32imm { target, .. })|*
                    | $(Instr::$b64 { target, .. } | Instr::$b64imm { target, .. })|*
                    | Instr::Br { target }
                    | Instr::BrIfNz { target, .. }
                    | Instr::BrIfZ { target, .. } => Some(target),
                    _ => None,
                }
            }

            /// The compare-and-branch that jumps when this comparison (a
            /// reg-reg or reg-imm integer compare) is true.
            pub fn to_branch(&self, target: u32) -> Option<Instr> {
                Some(match *self {
                    $(Instr::$b32op { a, b, .. } => Instr::$b32 { a, b, target },)*
                    $(Instr::$b32opi { a, imm, .. } => Instr::$b32imm { a, imm, target },)*
                    $(Instr::$b64op { a, b, .. } => Instr::$b64 { a, b, target },)*
                    $(Instr::$b64opi { a, imm, .. } => Instr::$b64imm { a, imm, target },)*
                    _ => return None,
                })
            }

        }

        /// The name of every op.
        pub const OP_NAMES: &[&str] = &[
            $(stringify!($un),)* $(stringify!($bin),)* $(stringify!($i32imm),)* $(stringify!($i64imm),)*
            $(stringify!($b32), stringify!($b32imm),)* $(stringify!($b64), stringify!($b64imm),)*
            $(stringify!($ld),)* $(stringify!($st),)* $(stringify!($oname),)*
        ];
    };
}

instrs! {
    unary: [
        I32Clz, I32Ctz, I32Popcnt, I32Eqz, I64Clz, I64Ctz, I64Popcnt, I64Eqz,
        F32Abs, F32Neg, F32Ceil, F32Floor, F32Trunc, F32Nearest, F32Sqrt,
        F64Abs, F64Neg, F64Ceil, F64Floor, F64Trunc, F64Nearest, F64Sqrt,
        I32WrapI64, I32TruncF32S, I32TruncF32U, I32TruncF64S, I32TruncF64U,
        I64ExtendI32S, I64TruncF32S, I64TruncF32U, I64TruncF64S, I64TruncF64U,
        F32ConvertI32S, F32ConvertI32U, F32ConvertI64S, F32ConvertI64U, F32DemoteF64,
        F64ConvertI32S, F64ConvertI32U, F64ConvertI64S, F64ConvertI64U, F64PromoteF32,
        I32Extend8S, I32Extend16S, I64Extend8S, I64Extend16S, I64Extend32S,
        I32TruncSatF32S, I32TruncSatF32U, I32TruncSatF64S, I32TruncSatF64U,
        I64TruncSatF32S, I64TruncSatF32U, I64TruncSatF64S, I64TruncSatF64U,
    ],
    binary: [
        I32Eq, I32Ne, I32LtS, I32LtU, I32GtS, I32GtU, I32LeS, I32LeU, I32GeS, I32GeU,
        I32Add, I32Sub, I32Mul, I32DivS, I32DivU, I32RemS, I32RemU,
        I32And, I32Or, I32Xor, I32Shl, I32ShrS, I32ShrU, I32Rotl, I32Rotr,
        I64Eq, I64Ne, I64LtS, I64LtU, I64GtS, I64GtU, I64LeS, I64LeU, I64GeS, I64GeU,
        I64Add, I64Sub, I64Mul, I64DivS, I64DivU, I64RemS, I64RemU,
        I64And, I64Or, I64Xor, I64Shl, I64ShrS, I64ShrU, I64Rotl, I64Rotr,
        F32Eq, F32Ne, F32Lt, F32Gt, F32Le, F32Ge, F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Copysign,
        F64Eq, F64Ne, F64Lt, F64Gt, F64Le, F64Ge, F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Copysign,
    ],
    imm32: [
        I32Eq => I32EqImm, I32Ne => I32NeImm, I32LtS => I32LtSImm, I32LtU => I32LtUImm,
        I32GtS => I32GtSImm, I32GtU => I32GtUImm, I32LeS => I32LeSImm, I32LeU => I32LeUImm,
        I32GeS => I32GeSImm, I32GeU => I32GeUImm,
        I32Add => I32AddImm, I32Sub => I32SubImm, I32Mul => I32MulImm,
        I32DivS => I32DivSImm, I32DivU => I32DivUImm, I32RemS => I32RemSImm, I32RemU => I32RemUImm,
        I32And => I32AndImm, I32Or => I32OrImm, I32Xor => I32XorImm,
        I32Shl => I32ShlImm, I32ShrS => I32ShrSImm, I32ShrU => I32ShrUImm, I32Rotl => I32RotlImm, I32Rotr => I32RotrImm,
    ],
    imm64: [
        I64Eq => I64EqImm, I64Ne => I64NeImm, I64LtS => I64LtSImm, I64LtU => I64LtUImm,
        I64GtS => I64GtSImm, I64GtU => I64GtUImm, I64LeS => I64LeSImm, I64LeU => I64LeUImm,
        I64GeS => I64GeSImm, I64GeU => I64GeUImm,
        I64Add => I64AddImm, I64Sub => I64SubImm, I64Mul => I64MulImm,
        I64DivS => I64DivSImm, I64DivU => I64DivUImm, I64RemS => I64RemSImm, I64RemU => I64RemUImm,
        I64And => I64AndImm, I64Or => I64OrImm, I64Xor => I64XorImm,
        I64Shl => I64ShlImm, I64ShrS => I64ShrSImm, I64ShrU => I64ShrUImm, I64Rotl => I64RotlImm, I64Rotr => I64RotrImm,
    ],
    br32: [
        I32Eq, I32EqImm => BrI32Eq, BrI32EqImm, I32Ne, I32NeImm => BrI32Ne, BrI32NeImm,
        I32LtS, I32LtSImm => BrI32LtS, BrI32LtSImm, I32LtU, I32LtUImm => BrI32LtU, BrI32LtUImm,
        I32GtS, I32GtSImm => BrI32GtS, BrI32GtSImm, I32GtU, I32GtUImm => BrI32GtU, BrI32GtUImm,
        I32LeS, I32LeSImm => BrI32LeS, BrI32LeSImm, I32LeU, I32LeUImm => BrI32LeU, BrI32LeUImm,
        I32GeS, I32GeSImm => BrI32GeS, BrI32GeSImm, I32GeU, I32GeUImm => BrI32GeU, BrI32GeUImm,
    ],
    br64: [
        I64Eq, I64EqImm => BrI64Eq, BrI64EqImm, I64Ne, I64NeImm => BrI64Ne, BrI64NeImm,
        I64LtS, I64LtSImm => BrI64LtS, BrI64LtSImm, I64LtU, I64LtUImm => BrI64LtU, BrI64LtUImm,
        I64GtS, I64GtSImm => BrI64GtS, BrI64GtSImm, I64GtU, I64GtUImm => BrI64GtU, BrI64GtUImm,
        I64LeS, I64LeSImm => BrI64LeS, BrI64LeSImm, I64LeU, I64LeUImm => BrI64LeU, BrI64LeUImm,
        I64GeS, I64GeSImm => BrI64GeS, BrI64GeSImm, I64GeU, I64GeUImm => BrI64GeU, BrI64GeUImm,
    ],
    loads: [Load32, Load64, Load8S32, Load8U, Load16S32, Load16U, Load8S64, Load16S64, Load32S64],
    stores: [Store8, Store16, Store32, Store64],
    other: {
        /// `dst = src`.
        Copy { dst: R, src: R },
        /// `dst = imm` (zero-extended).
        Const32 { dst: R, imm: u32 },
        Const64 { dst: R, imm: u64 },
        /// `regs[dst..dst+n] = regs[src..src+n]` (memmove).
        CopySpan { dst: R, src: R, n: u16 },
        /// `dst = c != 0 ? a : b` (c as i32).
        Select { dst: R, c: R, a: R, b: R },
        Br { target: u32 },
        BrIfNz { c: R, target: u32 },
        BrIfZ { c: R, target: u32 },
        /// Jumps to `pc + 1 + min(regs[index], count)`, where `count + 1`
        /// `Br` instructions follow (the last one is the default).
        BrTable { index: R, count: u32 },
        /// Returns; the results are in registers `0..n`.
        Return,
        /// `r0 = src`, then returns.
        Return1 { src: R },
        Unreachable,
        /// Calls defined function `func` (index among defined functions);
        /// the arguments are in `base..`, the results come back there.
        Call { func: u32, base: R },
        /// Calls function `func` of the function index space (an import).
        CallImport { func: u32, base: R },
        /// Calls through table `table` at `regs[index]`, checking the
        /// callee's signature against type index `ty`.
        CallIndirect { table: u32, ty: u32, index: R, base: R },
        GlobalGet { dst: R, global: u32 },
        GlobalSet { src: R, global: u32 },
        MemorySize { dst: R },
        MemoryGrow { dst: R, delta: R },
        MemoryFill { dst: R, val: R, len: R },
        MemoryCopy { dst: R, src: R, len: R },
        MemoryInit { seg: u32, dst: R, src: R, len: R },
        DataDrop { seg: u32 },
        TableGet { dst: R, index: R, table: u32 },
        TableSet { table: u32, index: R, val: R },
        TableSize { dst: R, table: u32 },
        TableGrow { dst: R, init: R, delta: R, table: u32 },
        TableFill { table: u32, dst: R, val: R, len: R },
        TableCopy { dst_table: u32, src_table: u32, dst: R, src: R, len: R },
        TableInit { table: u32, seg: u32, dst: R, src: R, len: R },
        ElemDrop { seg: u32 },
        RefFunc { dst: R, func: u32 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_are_16_bytes() {
        assert_eq!(std::mem::size_of::<Instr>(), 16);
    }

    #[test]
    fn ir_table_documents_every_op() {
        let doc = include_str!("../IR.md");
        let missing: Vec<_> = OP_NAMES
            .iter()
            .filter(|n| !doc.contains(&format!("`{n}`")))
            .collect();
        assert!(missing.is_empty(), "IR.md lacks {missing:?}");
        assert!(OP_NAMES.len() > 250, "{}", OP_NAMES.len());
    }
}
