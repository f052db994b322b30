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
        commutative: [$($comm:ident),* $(,)?],
        compare32: [$($c32:ident, $c32imm:ident, $b32:ident, $b32imm:ident, not $c32not:ident, swap $c32sw:ident);* $(;)?],
        compare64: [$($c64:ident, $c64imm:ident, $b64:ident, $b64imm:ident, not $c64not:ident, swap $c64sw:ident);* $(;)?],
        loads: [$($ld:ident),* $(,)?],
        stores: [$($st:ident),* $(,)?],
        other: { $($(#[$m:meta])* $oname:ident $({ $($f:ident : $t:ty),* $(,)? })?),* $(,)? }
    ) => {
        /// One register-IR instruction (16 bytes).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Instr {
            $($un { dst: R, src: R },)*
            $($bin { dst: R, a: R, b: R },)*
            $($i32op { dst: R, a: R, b: R }, $i32imm { dst: R, a: R, imm: i32 },)*
            $($i64op { dst: R, a: R, b: R }, $i64imm { dst: R, a: R, imm: i64 },)*
            $($c32 { dst: R, a: R, b: R }, $c32imm { dst: R, a: R, imm: i32 },)*
            $($c64 { dst: R, a: R, b: R }, $c64imm { dst: R, a: R, imm: i64 },)*
            $($b32 { a: R, b: R, target: u32 }, $b32imm { a: R, imm: i32, target: u32 },)*
            $($b64 { a: R, b: R, target: u32 }, $b64imm { a: R, imm: i64, target: u32 },)*
            $($ld { dst: R, addr: R, offset: u32 },)*
            $($st { addr: R, src: R, offset: u32 },)*
            $($(#[$m])* $oname $({ $($f: $t),* })?,)*
        }

        /// An integer comparison, named by its register-register op.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Cmp {
            $($c32,)*
            $($c64,)*
        }

        impl Cmp {
            pub const ALL: &[Cmp] = &[$(Cmp::$c32,)* $(Cmp::$c64,)*];

            /// The comparison with the opposite outcome.
            pub fn negated(self) -> Cmp {
                match self {
                    $(Cmp::$c32 => Cmp::$c32not,)*
                    $(Cmp::$c64 => Cmp::$c64not,)*
                }
            }

            /// The comparison with the operands swapped (`a < b` is `b > a`).
            pub fn swapped(self) -> Cmp {
                match self {
                    $(Cmp::$c32 => Cmp::$c32sw,)*
                    $(Cmp::$c64 => Cmp::$c64sw,)*
                }
            }
        }

        impl Instr {
            /// The register this instruction writes its single result to, if
            /// it has exactly one (the translator retargets it to fuse a
            /// following `local.set`).
            pub fn dst_mut(&mut self) -> Option<&mut R> {
                match self {
                    $(Instr::$un { dst, .. })|*
                    | $(Instr::$bin { dst, .. })|*
                    | $(Instr::$i32op { dst, .. } | Instr::$i32imm { dst, .. })|*
                    | $(Instr::$i64op { dst, .. } | Instr::$i64imm { dst, .. })|*
                    | $(Instr::$c32 { dst, .. } | Instr::$c32imm { dst, .. })|*
                    | $(Instr::$c64 { dst, .. } | Instr::$c64imm { dst, .. })|*
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

            /// The integer comparison this instruction performs, in any of
            /// its four forms.
            pub fn as_compare(&self) -> Option<(Cmp, CmpForm)> {
                use CmpForm as F;
                Some(match *self {
                    $(Instr::$c32 { dst, a, b } => (Cmp::$c32, F::Reg { dst, a, b }),
                      Instr::$c32imm { dst, a, imm } => (Cmp::$c32, F::Imm { dst, a, imm: imm as i64 }),
                      Instr::$b32 { a, b, target } => (Cmp::$c32, F::Br { a, b, target }),
                      Instr::$b32imm { a, imm, target } => (Cmp::$c32, F::BrImm { a, imm: imm as i64, target }),)*
                    $(Instr::$c64 { dst, a, b } => (Cmp::$c64, F::Reg { dst, a, b }),
                      Instr::$c64imm { dst, a, imm } => (Cmp::$c64, F::Imm { dst, a, imm }),
                      Instr::$b64 { a, b, target } => (Cmp::$c64, F::Br { a, b, target }),
                      Instr::$b64imm { a, imm, target } => (Cmp::$c64, F::BrImm { a, imm, target }),)*
                    _ => return None,
                })
            }

            /// The instruction performing comparison `c` in form `form` (an
            /// i32 comparison's immediate is the low 32 bits of `imm`).
            pub fn compare(c: Cmp, form: CmpForm) -> Instr {
                use CmpForm as F;
                match (c, form) {
                    $((Cmp::$c32, F::Reg { dst, a, b }) => Instr::$c32 { dst, a, b },
                      (Cmp::$c32, F::Imm { dst, a, imm }) => Instr::$c32imm { dst, a, imm: imm as i32 },
                      (Cmp::$c32, F::Br { a, b, target }) => Instr::$b32 { a, b, target },
                      (Cmp::$c32, F::BrImm { a, imm, target }) => Instr::$b32imm { a, imm: imm as i32, target },)*
                    $((Cmp::$c64, F::Reg { dst, a, b }) => Instr::$c64 { dst, a, b },
                      (Cmp::$c64, F::Imm { dst, a, imm }) => Instr::$c64imm { dst, a, imm },
                      (Cmp::$c64, F::Br { a, b, target }) => Instr::$b64 { a, b, target },
                      (Cmp::$c64, F::BrImm { a, imm, target }) => Instr::$b64imm { a, imm, target },)*
                }
            }

            /// Whether this is the register-register form of a commutative op.
            pub fn is_commutative(&self) -> bool {
                matches!(self, $(Instr::$comm { .. })|*)
            }
        }

        /// The name of every op.
        pub const OP_NAMES: &[&str] = &[
            $(stringify!($un),)* $(stringify!($bin),)*
            $(stringify!($i32op), stringify!($i32imm),)* $(stringify!($i64op), stringify!($i64imm),)*
            $(stringify!($c32), stringify!($c32imm),)* $(stringify!($c64), stringify!($c64imm),)*
            $(stringify!($b32), stringify!($b32imm),)* $(stringify!($b64), stringify!($b64imm),)*
            $(stringify!($ld),)* $(stringify!($st),)* $(stringify!($oname),)*
        ];
    };
}

/// The operands of a comparison: as a value (`Reg`, `Imm`) or as a
/// compare-and-branch (`Br`, `BrImm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpForm {
    Reg { dst: R, a: R, b: R },
    Imm { dst: R, a: R, imm: i64 },
    Br { a: R, b: R, target: u32 },
    BrImm { a: R, imm: i64, target: u32 },
}

impl Instr {
    /// The compare-and-branch that jumps when this comparison (a reg-reg or
    /// reg-imm integer compare) is true.
    pub fn to_branch(&self, target: u32) -> Option<Instr> {
        let (c, form) = self.as_compare()?;
        let form = match form {
            CmpForm::Reg { a, b, .. } => CmpForm::Br { a, b, target },
            CmpForm::Imm { a, imm, .. } => CmpForm::BrImm { a, imm, target },
            CmpForm::Br { .. } | CmpForm::BrImm { .. } => return None,
        };
        Some(Instr::compare(c, form))
    }

    /// The same comparison, in the same form, with the opposite outcome
    /// (integer compares only: float compares are not negatable because of
    /// NaN).
    pub fn negate_compare(&self) -> Option<Instr> {
        let (c, form) = self.as_compare()?;
        Some(Instr::compare(c.negated(), form))
    }
}

/// Calls macro `$m` with the instruction table: the one list of every op
/// and its operand shape. [`Instr`], [`Cmp`], their accessors and
/// [`OP_NAMES`] are generated from it here; the translator's operator
/// mapping and an engine's per-op tables (an interpreter's handler lookup)
/// are generated from it the same way, so none can miss an op or disagree
/// on which comparison pairs with which.
///
/// Sections: `binary` ops have only a register form; `imm32` / `imm64` ops
/// also a register-immediate form; `compare32` / `compare64` rows are
/// `reg, imm, branch, branch-imm, not <opposite>, swap <operands swapped>`.
#[macro_export]
macro_rules! for_each_instr {
    ($m:ident) => {
        $m! {
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
                F32Eq, F32Ne, F32Lt, F32Gt, F32Le, F32Ge,
                F32Add, F32Sub, F32Mul, F32Div, F32Min, F32Max, F32Copysign,
                F64Eq, F64Ne, F64Lt, F64Gt, F64Le, F64Ge,
                F64Add, F64Sub, F64Mul, F64Div, F64Min, F64Max, F64Copysign,
            ],
            imm32: [
                I32Add => I32AddImm, I32Sub => I32SubImm, I32Mul => I32MulImm,
                I32DivS => I32DivSImm, I32DivU => I32DivUImm, I32RemS => I32RemSImm, I32RemU => I32RemUImm,
                I32And => I32AndImm, I32Or => I32OrImm, I32Xor => I32XorImm,
                I32Shl => I32ShlImm, I32ShrS => I32ShrSImm, I32ShrU => I32ShrUImm,
                I32Rotl => I32RotlImm, I32Rotr => I32RotrImm,
            ],
            imm64: [
                I64Add => I64AddImm, I64Sub => I64SubImm, I64Mul => I64MulImm,
                I64DivS => I64DivSImm, I64DivU => I64DivUImm, I64RemS => I64RemSImm, I64RemU => I64RemUImm,
                I64And => I64AndImm, I64Or => I64OrImm, I64Xor => I64XorImm,
                I64Shl => I64ShlImm, I64ShrS => I64ShrSImm, I64ShrU => I64ShrUImm,
                I64Rotl => I64RotlImm, I64Rotr => I64RotrImm,
            ],
            commutative: [
                I32Add, I32Mul, I32And, I32Or, I32Xor, I64Add, I64Mul, I64And, I64Or, I64Xor,
            ],
            compare32: [
                I32Eq,  I32EqImm,  BrI32Eq,  BrI32EqImm,  not I32Ne,  swap I32Eq;
                I32Ne,  I32NeImm,  BrI32Ne,  BrI32NeImm,  not I32Eq,  swap I32Ne;
                I32LtS, I32LtSImm, BrI32LtS, BrI32LtSImm, not I32GeS, swap I32GtS;
                I32LtU, I32LtUImm, BrI32LtU, BrI32LtUImm, not I32GeU, swap I32GtU;
                I32GtS, I32GtSImm, BrI32GtS, BrI32GtSImm, not I32LeS, swap I32LtS;
                I32GtU, I32GtUImm, BrI32GtU, BrI32GtUImm, not I32LeU, swap I32LtU;
                I32LeS, I32LeSImm, BrI32LeS, BrI32LeSImm, not I32GtS, swap I32GeS;
                I32LeU, I32LeUImm, BrI32LeU, BrI32LeUImm, not I32GtU, swap I32GeU;
                I32GeS, I32GeSImm, BrI32GeS, BrI32GeSImm, not I32LtS, swap I32LeS;
                I32GeU, I32GeUImm, BrI32GeU, BrI32GeUImm, not I32LtU, swap I32LeU;
            ],
            compare64: [
                I64Eq,  I64EqImm,  BrI64Eq,  BrI64EqImm,  not I64Ne,  swap I64Eq;
                I64Ne,  I64NeImm,  BrI64Ne,  BrI64NeImm,  not I64Eq,  swap I64Ne;
                I64LtS, I64LtSImm, BrI64LtS, BrI64LtSImm, not I64GeS, swap I64GtS;
                I64LtU, I64LtUImm, BrI64LtU, BrI64LtUImm, not I64GeU, swap I64GtU;
                I64GtS, I64GtSImm, BrI64GtS, BrI64GtSImm, not I64LeS, swap I64LtS;
                I64GtU, I64GtUImm, BrI64GtU, BrI64GtUImm, not I64LeU, swap I64LtU;
                I64LeS, I64LeSImm, BrI64LeS, BrI64LeSImm, not I64GtS, swap I64GeS;
                I64LeU, I64LeUImm, BrI64LeU, BrI64LeUImm, not I64GtU, swap I64GeU;
                I64GeS, I64GeSImm, BrI64GeS, BrI64GeSImm, not I64LtS, swap I64LeS;
                I64GeU, I64GeUImm, BrI64GeU, BrI64GeUImm, not I64LtU, swap I64LeU;
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
    };
}

for_each_instr!(instrs);

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
        let missing: Vec<_> = OP_NAMES.iter().filter(|n| !doc.contains(&format!("`{n}`"))).collect();
        assert!(missing.is_empty(), "IR.md lacks {missing:?}");
        assert!(OP_NAMES.len() > 250, "{}", OP_NAMES.len());
    }

    /// What comparison `c` computes on raw slots (reference semantics).
    fn holds(c: Cmp, x: u64, y: u64) -> bool {
        let (a, b) = (x as u32, y as u32);
        let (sa, sb) = (a as i32, b as i32);
        let (la, lb) = (x as i64, y as i64);
        match c {
            Cmp::I32Eq => a == b,
            Cmp::I32Ne => a != b,
            Cmp::I32LtS => sa < sb,
            Cmp::I32LtU => a < b,
            Cmp::I32GtS => sa > sb,
            Cmp::I32GtU => a > b,
            Cmp::I32LeS => sa <= sb,
            Cmp::I32LeU => a <= b,
            Cmp::I32GeS => sa >= sb,
            Cmp::I32GeU => a >= b,
            Cmp::I64Eq => x == y,
            Cmp::I64Ne => x != y,
            Cmp::I64LtS => la < lb,
            Cmp::I64LtU => x < y,
            Cmp::I64GtS => la > lb,
            Cmp::I64GtU => x > y,
            Cmp::I64LeS => la <= lb,
            Cmp::I64LeU => x <= y,
            Cmp::I64GeS => la >= lb,
            Cmp::I64GeU => x >= y,
        }
    }

    #[test]
    fn compare_table_negates_and_swaps_correctly() {
        let vals = [0, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, u64::MAX, 1 << 63];
        for form in [
            CmpForm::Reg { dst: 0, a: 1, b: 2 },
            CmpForm::Imm { dst: 0, a: 1, imm: -3 },
            CmpForm::Br { a: 1, b: 2, target: 7 },
            CmpForm::BrImm { a: 1, imm: 5, target: 7 },
        ] {
            for &cmp in Cmp::ALL {
                let i = Instr::compare(cmp, form);
                assert_eq!(i.as_compare(), Some((cmp, form)), "{i:?}");
                let negated = Instr::compare(cmp.negated(), form);
                assert_eq!(i.negate_compare(), Some(negated));
                for &x in &vals {
                    for &y in &vals {
                        assert_eq!(holds(cmp, x, y), !holds(cmp.negated(), x, y), "{cmp:?}");
                        assert_eq!(holds(cmp, x, y), holds(cmp.swapped(), y, x), "{cmp:?}");
                    }
                }
            }
        }
        assert_eq!(Cmp::ALL.len(), 20);
        let lt = Instr::I32LtSImm { dst: 3, a: 1, imm: -1 };
        assert_eq!(lt.to_branch(9), Some(Instr::BrI32LtSImm { a: 1, imm: -1, target: 9 }));
        assert_eq!(Instr::BrI32LtSImm { a: 1, imm: -1, target: 9 }.to_branch(1), None);
        assert_eq!(Instr::F32Lt { dst: 0, a: 1, b: 2 }.negate_compare(), None);
    }
}
