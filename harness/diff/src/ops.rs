//! Single-instruction modules: for every operator the engines support, a tiny
//! module whose exported function `op` applies that one operator to its
//! parameters, called on special operands (cross products of the special
//! values, sampled when large). Each opcode is so checked in isolation,
//! including the corners random modules rarely reach (trapping conversions,
//! shifts by 32, `i32.div_s(MIN, -1)`, loads at the end of memory, ...).
//!
//! Built with wasm-encoder. SIMD float operators whose results may be NaN
//! get their NaN lanes canonicalised in-wasm (NaN payloads are
//! nondeterministic by the spec, so engines may differ there legitimately).

use wasm_encoder::{
    CodeSection, ConstExpr, DataSection, ExportKind, ExportSection, Function, FunctionSection, Instruction as I,
    MemArg, MemorySection, MemoryType, Module, TypeSection, ValType as E,
};
use wasmlab_contract::{Features, Val, ValType};

use crate::cases::Call;
use crate::rng::Rng;
use crate::vals;

/// What a parameter stands for: a value of a type, or a memory address
/// (which gets its own special values: around 0 and the end of memory).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    Val(ValType),
    Addr,
}

/// A float lane shape whose NaN lanes are canonicalised after the operator.
#[derive(Clone, Copy, Debug)]
enum Canon {
    F32x4,
    F64x2,
}

#[derive(Clone, Debug)]
pub struct Op {
    pub name: String,
    instr: I<'static>,
    pub params: Vec<Param>,
    pub results: Vec<ValType>,
    /// Linear memory `(min, max)` pages, exported as `mem`.
    memory: Option<(u64, u64)>,
    canon: Option<Canon>,
    pub needs: Features,
}

/// Addresses worth trying: both ends of a one-page memory, and past it.
pub const SPECIAL_ADDR: &[i32] = &[0, 1, 3, 4, 7, 8, 65520, 65528, 65532, 65534, 65535, 65536, -1, i32::MIN, i32::MAX];

/// Calls made on an op with many operand combinations (the cross product is
/// sampled down to this).
const MAX_OP_CALLS: usize = 300;

const MEM_PAGES: (u64, u64) = (1, 3);

fn ty(t: ValType) -> E {
    match t {
        ValType::I32 => E::I32,
        ValType::I64 => E::I64,
        ValType::F32 => E::F32,
        ValType::F64 => E::F64,
        ValType::V128 => E::V128,
        ValType::FuncRef => E::FUNCREF,
        ValType::ExternRef => E::EXTERNREF,
    }
}

impl Op {
    fn new(instr: I<'static>, params: &[ValType], results: &[ValType], needs: Features) -> Op {
        let name = format!("{instr:?}");
        Op {
            name,
            instr,
            params: params.iter().map(|&t| Param::Val(t)).collect(),
            results: results.to_vec(),
            memory: None,
            canon: None,
            needs,
        }
    }

    /// A memory operator: first parameter an address.
    fn mem(name: String, instr: I<'static>, rest: &[ValType], results: &[ValType], needs: Features) -> Op {
        let mut params = vec![Param::Addr];
        params.extend(rest.iter().map(|&t| Param::Val(t)));
        Op { name, instr, params, results: results.to_vec(), memory: Some(MEM_PAGES), canon: None, needs }
    }

    fn canon(mut self, c: Canon) -> Op {
        self.canon = Some(c);
        self
    }

    fn param_types(&self) -> Vec<ValType> {
        self.params.iter().map(|p| if let Param::Val(t) = p { *t } else { ValType::I32 }).collect()
    }

    /// The module: `(func (export "op") (param ..) (result ..) local.get* OP)`,
    /// plus an exported memory with recognisable contents for memory ops.
    pub fn module(&self) -> Vec<u8> {
        let params = self.param_types();
        let mut types = TypeSection::new();
        types.ty().function(params.iter().map(|&t| ty(t)), self.results.iter().map(|&t| ty(t)));
        let mut funcs = FunctionSection::new();
        funcs.function(0);
        let mut exports = ExportSection::new();
        exports.export("op", ExportKind::Func, 0);
        let scratch = params.len() as u32;
        let mut f = Function::new(if self.canon.is_some() { vec![(1, E::V128)] } else { vec![] });
        for i in 0..params.len() as u32 {
            f.instruction(&I::LocalGet(i));
        }
        f.instruction(&self.instr);
        if let Some(c) = self.canon {
            // Keep non-NaN lanes, replace NaN lanes by the canonical NaN:
            // bitselect(r, canon, r == r).
            let (nan, eq) = match c {
                Canon::F32x4 => (0x7fc0_0000_7fc0_0000_7fc0_0000_7fc0_0000u128, I::F32x4Eq),
                Canon::F64x2 => (0x7ff8_0000_0000_0000_7ff8_0000_0000_0000u128, I::F64x2Eq),
            };
            f.instruction(&I::LocalSet(scratch));
            f.instruction(&I::LocalGet(scratch));
            f.instruction(&I::V128Const(nan as i128));
            f.instruction(&I::LocalGet(scratch));
            f.instruction(&I::LocalGet(scratch));
            f.instruction(&eq);
            f.instruction(&I::V128Bitselect);
        }
        f.instruction(&I::End);
        let mut code = CodeSection::new();
        code.function(&f);

        let mut module = Module::new();
        module.section(&types).section(&funcs);
        if let Some((min, max)) = self.memory {
            let mut mems = MemorySection::new();
            mems.memory(MemoryType {
                minimum: min,
                maximum: Some(max),
                memory64: false,
                shared: false,
                page_size_log2: None,
            });
            module.section(&mems);
            exports.export("mem", ExportKind::Memory, 0);
        }
        module.section(&exports).section(&code);
        if self.memory.is_some() {
            // Distinct bytes at both ends of the first page, so loads of
            // every width and sign see meaningful values.
            let pattern: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(0x25) ^ 0x80).collect();
            let mut data = DataSection::new();
            data.active(0, &ConstExpr::i32_const(0), pattern.iter().copied());
            data.active(0, &ConstExpr::i32_const(65536 - 32), pattern.iter().rev().copied());
            module.section(&data);
        }
        module.finish()
    }

    /// Calls on special operands: the whole cross product when small, a
    /// deterministic sample of it otherwise, plus a few arbitrary operands.
    pub fn calls(&self, rng: &mut Rng) -> Vec<Call> {
        let choices: Vec<Vec<Val>> = self
            .params
            .iter()
            .map(|p| match p {
                Param::Val(t) => vals::specials(*t),
                Param::Addr => SPECIAL_ADDR.iter().map(|&a| Val::I32(a)).collect(),
            })
            .collect();
        let total: usize = choices.iter().map(|c| c.len()).product();
        let call = |args: Vec<Val>| Call { func: "op".into(), args };
        let mut calls = Vec::new();
        if total <= MAX_OP_CALLS {
            for n in 0..total {
                let mut rest = n;
                let args = choices
                    .iter()
                    .map(|c| {
                        let v = c[rest % c.len()];
                        rest /= c.len();
                        v
                    })
                    .collect();
                calls.push(call(args));
            }
        } else {
            for _ in 0..MAX_OP_CALLS {
                calls.push(call(choices.iter().map(|c| *rng.pick(c)).collect()));
            }
        }
        for _ in 0..8 {
            let args = self
                .params
                .iter()
                .map(|p| match p {
                    Param::Val(t) => vals::arbitrary(*t, rng),
                    Param::Addr => Val::I32(*rng.pick(SPECIAL_ADDR)),
                })
                .collect();
            calls.push(call(args));
        }
        calls
    }
}

/// Every single-instruction op whose proposals are within `features`.
pub fn all(features: Features) -> Vec<Op> {
    use ValType::{F32 as f, F64 as d, I32 as i, I64 as l, V128 as v};
    let mvp = Features::NONE;
    let mut ops = Vec::new();
    let mut group = |instrs: Vec<I<'static>>, params: &[ValType], results: &[ValType], needs: Features| {
        for instr in instrs {
            ops.push(Op::new(instr, params, results, needs));
        }
    };

    // Integer operators.
    group(vec![I::I32Eqz, I::I32Clz, I::I32Ctz, I::I32Popcnt], &[i], &[i], mvp);
    group(
        vec![
            I::I32Add,
            I::I32Sub,
            I::I32Mul,
            I::I32DivS,
            I::I32DivU,
            I::I32RemS,
            I::I32RemU,
            I::I32And,
            I::I32Or,
            I::I32Xor,
            I::I32Shl,
            I::I32ShrS,
            I::I32ShrU,
            I::I32Rotl,
            I::I32Rotr,
            I::I32Eq,
            I::I32Ne,
            I::I32LtS,
            I::I32LtU,
            I::I32GtS,
            I::I32GtU,
            I::I32LeS,
            I::I32LeU,
            I::I32GeS,
            I::I32GeU,
        ],
        &[i, i],
        &[i],
        mvp,
    );
    group(vec![I::I64Clz, I::I64Ctz, I::I64Popcnt], &[l], &[l], mvp);
    group(vec![I::I64Eqz], &[l], &[i], mvp);
    group(
        vec![
            I::I64Add,
            I::I64Sub,
            I::I64Mul,
            I::I64DivS,
            I::I64DivU,
            I::I64RemS,
            I::I64RemU,
            I::I64And,
            I::I64Or,
            I::I64Xor,
            I::I64Shl,
            I::I64ShrS,
            I::I64ShrU,
            I::I64Rotl,
            I::I64Rotr,
        ],
        &[l, l],
        &[l],
        mvp,
    );
    group(
        vec![
            I::I64Eq,
            I::I64Ne,
            I::I64LtS,
            I::I64LtU,
            I::I64GtS,
            I::I64GtU,
            I::I64LeS,
            I::I64LeU,
            I::I64GeS,
            I::I64GeU,
        ],
        &[l, l],
        &[i],
        mvp,
    );
    // Float operators (scalar NaN results compare as "any NaN").
    group(vec![I::F32Abs, I::F32Neg, I::F32Ceil, I::F32Floor, I::F32Trunc, I::F32Nearest, I::F32Sqrt], &[f], &[f], mvp);
    group(vec![I::F32Add, I::F32Sub, I::F32Mul, I::F32Div, I::F32Min, I::F32Max, I::F32Copysign], &[f, f], &[f], mvp);
    group(vec![I::F32Eq, I::F32Ne, I::F32Lt, I::F32Gt, I::F32Le, I::F32Ge], &[f, f], &[i], mvp);
    group(vec![I::F64Abs, I::F64Neg, I::F64Ceil, I::F64Floor, I::F64Trunc, I::F64Nearest, I::F64Sqrt], &[d], &[d], mvp);
    group(vec![I::F64Add, I::F64Sub, I::F64Mul, I::F64Div, I::F64Min, I::F64Max, I::F64Copysign], &[d, d], &[d], mvp);
    group(vec![I::F64Eq, I::F64Ne, I::F64Lt, I::F64Gt, I::F64Le, I::F64Ge], &[d, d], &[i], mvp);
    // Conversions.
    group(vec![I::I32WrapI64], &[l], &[i], mvp);
    group(vec![I::I32TruncF32S, I::I32TruncF32U, I::I32ReinterpretF32], &[f], &[i], mvp);
    group(vec![I::I32TruncF64S, I::I32TruncF64U], &[d], &[i], mvp);
    group(vec![I::I64ExtendI32S, I::I64ExtendI32U], &[i], &[l], mvp);
    group(vec![I::I64TruncF32S, I::I64TruncF32U], &[f], &[l], mvp);
    group(vec![I::I64TruncF64S, I::I64TruncF64U, I::I64ReinterpretF64], &[d], &[l], mvp);
    group(vec![I::F32ConvertI32S, I::F32ConvertI32U, I::F32ReinterpretI32], &[i], &[f], mvp);
    group(vec![I::F32ConvertI64S, I::F32ConvertI64U], &[l], &[f], mvp);
    group(vec![I::F32DemoteF64], &[d], &[f], mvp);
    group(vec![I::F64ConvertI32S, I::F64ConvertI32U], &[i], &[d], mvp);
    group(vec![I::F64ConvertI64S, I::F64ConvertI64U, I::F64ReinterpretI64], &[l], &[d], mvp);
    group(vec![I::F64PromoteF32], &[f], &[d], mvp);
    // Sign extension.
    let se = Features::SIGN_EXTENSION;
    group(vec![I::I32Extend8S, I::I32Extend16S], &[i], &[i], se);
    group(vec![I::I64Extend8S, I::I64Extend16S, I::I64Extend32S], &[l], &[l], se);
    // Saturating float-to-int.
    let sat = Features::SATURATING_FLOAT_TO_INT;
    group(vec![I::I32TruncSatF32S, I::I32TruncSatF32U], &[f], &[i], sat);
    group(vec![I::I32TruncSatF64S, I::I32TruncSatF64U], &[d], &[i], sat);
    group(vec![I::I64TruncSatF32S, I::I64TruncSatF32U], &[f], &[l], sat);
    group(vec![I::I64TruncSatF64S, I::I64TruncSatF64U], &[d], &[l], sat);
    // Parametric.
    for t in [i, l, f, d] {
        group(vec![I::Select], &[t, t, i], &[t], mvp);
    }

    // SIMD.
    let s = Features::SIMD;
    group(
        vec![
            I::V128Not,
            I::I8x16Abs,
            I::I8x16Neg,
            I::I8x16Popcnt,
            I::I16x8Abs,
            I::I16x8Neg,
            I::I16x8ExtAddPairwiseI8x16S,
            I::I16x8ExtAddPairwiseI8x16U,
            I::I16x8ExtendLowI8x16S,
            I::I16x8ExtendHighI8x16S,
            I::I16x8ExtendLowI8x16U,
            I::I16x8ExtendHighI8x16U,
            I::I32x4Abs,
            I::I32x4Neg,
            I::I32x4ExtAddPairwiseI16x8S,
            I::I32x4ExtAddPairwiseI16x8U,
            I::I32x4ExtendLowI16x8S,
            I::I32x4ExtendHighI16x8S,
            I::I32x4ExtendLowI16x8U,
            I::I32x4ExtendHighI16x8U,
            I::I64x2Abs,
            I::I64x2Neg,
            I::I64x2ExtendLowI32x4S,
            I::I64x2ExtendHighI32x4S,
            I::I64x2ExtendLowI32x4U,
            I::I64x2ExtendHighI32x4U,
            I::F32x4Abs,
            I::F32x4Neg,
            I::F64x2Abs,
            I::F64x2Neg,
            I::I32x4TruncSatF32x4S,
            I::I32x4TruncSatF32x4U,
            I::F32x4ConvertI32x4S,
            I::F32x4ConvertI32x4U,
            I::I32x4TruncSatF64x2SZero,
            I::I32x4TruncSatF64x2UZero,
            I::F64x2ConvertLowI32x4S,
            I::F64x2ConvertLowI32x4U,
        ],
        &[v],
        &[v],
        s,
    );
    group(
        vec![
            I::V128And,
            I::V128AndNot,
            I::V128Or,
            I::V128Xor,
            I::I8x16Swizzle,
            I::I8x16Eq,
            I::I8x16Ne,
            I::I8x16LtS,
            I::I8x16LtU,
            I::I8x16GtS,
            I::I8x16GtU,
            I::I8x16LeS,
            I::I8x16LeU,
            I::I8x16GeS,
            I::I8x16GeU,
            I::I16x8Eq,
            I::I16x8Ne,
            I::I16x8LtS,
            I::I16x8LtU,
            I::I16x8GtS,
            I::I16x8GtU,
            I::I16x8LeS,
            I::I16x8LeU,
            I::I16x8GeS,
            I::I16x8GeU,
            I::I32x4Eq,
            I::I32x4Ne,
            I::I32x4LtS,
            I::I32x4LtU,
            I::I32x4GtS,
            I::I32x4GtU,
            I::I32x4LeS,
            I::I32x4LeU,
            I::I32x4GeS,
            I::I32x4GeU,
            I::I64x2Eq,
            I::I64x2Ne,
            I::I64x2LtS,
            I::I64x2GtS,
            I::I64x2LeS,
            I::I64x2GeS,
            I::F32x4Eq,
            I::F32x4Ne,
            I::F32x4Lt,
            I::F32x4Gt,
            I::F32x4Le,
            I::F32x4Ge,
            I::F64x2Eq,
            I::F64x2Ne,
            I::F64x2Lt,
            I::F64x2Gt,
            I::F64x2Le,
            I::F64x2Ge,
            I::I8x16NarrowI16x8S,
            I::I8x16NarrowI16x8U,
            I::I8x16Add,
            I::I8x16AddSatS,
            I::I8x16AddSatU,
            I::I8x16Sub,
            I::I8x16SubSatS,
            I::I8x16SubSatU,
            I::I8x16MinS,
            I::I8x16MinU,
            I::I8x16MaxS,
            I::I8x16MaxU,
            I::I8x16AvgrU,
            I::I16x8Q15MulrSatS,
            I::I16x8NarrowI32x4S,
            I::I16x8NarrowI32x4U,
            I::I16x8Add,
            I::I16x8AddSatS,
            I::I16x8AddSatU,
            I::I16x8Sub,
            I::I16x8SubSatS,
            I::I16x8SubSatU,
            I::I16x8Mul,
            I::I16x8MinS,
            I::I16x8MinU,
            I::I16x8MaxS,
            I::I16x8MaxU,
            I::I16x8AvgrU,
            I::I16x8ExtMulLowI8x16S,
            I::I16x8ExtMulHighI8x16S,
            I::I16x8ExtMulLowI8x16U,
            I::I16x8ExtMulHighI8x16U,
            I::I32x4Add,
            I::I32x4Sub,
            I::I32x4Mul,
            I::I32x4MinS,
            I::I32x4MinU,
            I::I32x4MaxS,
            I::I32x4MaxU,
            I::I32x4DotI16x8S,
            I::I32x4ExtMulLowI16x8S,
            I::I32x4ExtMulHighI16x8S,
            I::I32x4ExtMulLowI16x8U,
            I::I32x4ExtMulHighI16x8U,
            I::I64x2Add,
            I::I64x2Sub,
            I::I64x2Mul,
            I::I64x2ExtMulLowI32x4S,
            I::I64x2ExtMulHighI32x4S,
            I::I64x2ExtMulLowI32x4U,
            I::I64x2ExtMulHighI32x4U,
            I::F32x4PMin,
            I::F32x4PMax,
            I::F64x2PMin,
            I::F64x2PMax,
        ],
        &[v, v],
        &[v],
        s,
    );
    group(
        vec![
            I::V128AnyTrue,
            I::I8x16AllTrue,
            I::I8x16Bitmask,
            I::I16x8AllTrue,
            I::I16x8Bitmask,
            I::I32x4AllTrue,
            I::I32x4Bitmask,
            I::I64x2AllTrue,
            I::I64x2Bitmask,
        ],
        &[v],
        &[i],
        s,
    );
    group(
        vec![
            I::I8x16Shl,
            I::I8x16ShrS,
            I::I8x16ShrU,
            I::I16x8Shl,
            I::I16x8ShrS,
            I::I16x8ShrU,
            I::I32x4Shl,
            I::I32x4ShrS,
            I::I32x4ShrU,
            I::I64x2Shl,
            I::I64x2ShrS,
            I::I64x2ShrU,
        ],
        &[v, i],
        &[v],
        s,
    );
    group(vec![I::V128Bitselect], &[v, v, v], &[v], s);
    group(vec![I::I8x16Splat, I::I16x8Splat, I::I32x4Splat], &[i], &[v], s);
    group(vec![I::I64x2Splat], &[l], &[v], s);
    group(vec![I::F32x4Splat], &[f], &[v], s);
    group(vec![I::F64x2Splat], &[d], &[v], s);
    for lane in [0u8, 1] {
        group(vec![I::I8x16ExtractLaneS(lane * 15), I::I8x16ExtractLaneU(lane * 15)], &[v], &[i], s);
        group(
            vec![I::I16x8ExtractLaneS(lane * 7), I::I16x8ExtractLaneU(lane * 7), I::I32x4ExtractLane(lane * 3)],
            &[v],
            &[i],
            s,
        );
        group(vec![I::I64x2ExtractLane(lane)], &[v], &[l], s);
        group(vec![I::F32x4ExtractLane(lane * 3)], &[v], &[f], s);
        group(vec![I::F64x2ExtractLane(lane)], &[v], &[d], s);
        group(
            vec![I::I8x16ReplaceLane(lane * 15), I::I16x8ReplaceLane(lane * 7), I::I32x4ReplaceLane(lane * 3)],
            &[v, i],
            &[v],
            s,
        );
        group(vec![I::I64x2ReplaceLane(lane)], &[v, l], &[v], s);
        group(vec![I::F32x4ReplaceLane(lane * 3)], &[v, f], &[v], s);
        group(vec![I::F64x2ReplaceLane(lane)], &[v, d], &[v], s);
    }
    let reverse: [u8; 16] = std::array::from_fn(|k| 15 - k as u8);
    let interleave: [u8; 16] = std::array::from_fn(|k| if k % 2 == 0 { k as u8 / 2 } else { 16 + k as u8 / 2 });
    group(vec![I::I8x16Shuffle(reverse), I::I8x16Shuffle(interleave)], &[v, v], &[v], s);

    // SIMD float operators that may produce NaN: canonicalised.
    for (instrs, params, c) in [
        (
            vec![I::F32x4Ceil, I::F32x4Floor, I::F32x4Trunc, I::F32x4Nearest, I::F32x4Sqrt, I::F32x4DemoteF64x2Zero],
            &[v][..],
            Canon::F32x4,
        ),
        (vec![I::F32x4Add, I::F32x4Sub, I::F32x4Mul, I::F32x4Div, I::F32x4Min, I::F32x4Max], &[v, v][..], Canon::F32x4),
        (
            vec![I::F64x2Ceil, I::F64x2Floor, I::F64x2Trunc, I::F64x2Nearest, I::F64x2Sqrt, I::F64x2PromoteLowF32x4],
            &[v][..],
            Canon::F64x2,
        ),
        (vec![I::F64x2Add, I::F64x2Sub, I::F64x2Mul, I::F64x2Div, I::F64x2Min, I::F64x2Max], &[v, v][..], Canon::F64x2),
    ] {
        for instr in instrs {
            ops.push(Op::new(instr, params, &[v], s).canon(c));
        }
    }

    // Memory operators, with and without a static offset.
    let mut mem = |name: &str,
                   make: &dyn Fn(MemArg) -> I<'static>,
                   align: u32,
                   rest: &[ValType],
                   results: &[ValType],
                   needs: Features| {
        for offset in [0u64, 3, 65535] {
            let m = MemArg { offset, align, memory_index: 0 };
            ops.push(Op::mem(format!("{name} offset={offset}"), make(m), rest, results, needs));
        }
    };
    mem("i32.load", &I::I32Load, 2, &[], &[i], mvp);
    mem("i64.load", &I::I64Load, 3, &[], &[l], mvp);
    mem("f32.load", &I::F32Load, 2, &[], &[f], mvp);
    mem("f64.load", &I::F64Load, 3, &[], &[d], mvp);
    mem("i32.load8_s", &I::I32Load8S, 0, &[], &[i], mvp);
    mem("i32.load8_u", &I::I32Load8U, 0, &[], &[i], mvp);
    mem("i32.load16_s", &I::I32Load16S, 1, &[], &[i], mvp);
    mem("i32.load16_u", &I::I32Load16U, 1, &[], &[i], mvp);
    mem("i64.load8_s", &I::I64Load8S, 0, &[], &[l], mvp);
    mem("i64.load8_u", &I::I64Load8U, 0, &[], &[l], mvp);
    mem("i64.load16_s", &I::I64Load16S, 1, &[], &[l], mvp);
    mem("i64.load16_u", &I::I64Load16U, 1, &[], &[l], mvp);
    mem("i64.load32_s", &I::I64Load32S, 2, &[], &[l], mvp);
    mem("i64.load32_u", &I::I64Load32U, 2, &[], &[l], mvp);
    mem("i32.store", &I::I32Store, 2, &[i], &[], mvp);
    mem("i64.store", &I::I64Store, 3, &[l], &[], mvp);
    mem("f32.store", &I::F32Store, 2, &[f], &[], mvp);
    mem("f64.store", &I::F64Store, 3, &[d], &[], mvp);
    mem("i32.store8", &I::I32Store8, 0, &[i], &[], mvp);
    mem("i32.store16", &I::I32Store16, 1, &[i], &[], mvp);
    mem("i64.store8", &I::I64Store8, 0, &[l], &[], mvp);
    mem("i64.store16", &I::I64Store16, 1, &[l], &[], mvp);
    mem("i64.store32", &I::I64Store32, 2, &[l], &[], mvp);
    mem("v128.load", &I::V128Load, 4, &[], &[v], s);
    mem("v128.load8x8_s", &I::V128Load8x8S, 3, &[], &[v], s);
    mem("v128.load8x8_u", &I::V128Load8x8U, 3, &[], &[v], s);
    mem("v128.load16x4_s", &I::V128Load16x4S, 3, &[], &[v], s);
    mem("v128.load16x4_u", &I::V128Load16x4U, 3, &[], &[v], s);
    mem("v128.load32x2_s", &I::V128Load32x2S, 3, &[], &[v], s);
    mem("v128.load32x2_u", &I::V128Load32x2U, 3, &[], &[v], s);
    mem("v128.load8_splat", &I::V128Load8Splat, 0, &[], &[v], s);
    mem("v128.load16_splat", &I::V128Load16Splat, 1, &[], &[v], s);
    mem("v128.load32_splat", &I::V128Load32Splat, 2, &[], &[v], s);
    mem("v128.load64_splat", &I::V128Load64Splat, 3, &[], &[v], s);
    mem("v128.load32_zero", &I::V128Load32Zero, 2, &[], &[v], s);
    mem("v128.load64_zero", &I::V128Load64Zero, 3, &[], &[v], s);
    mem("v128.store", &I::V128Store, 4, &[v], &[], s);
    mem("v128.load8_lane 15", &|m| I::V128Load8Lane { memarg: m, lane: 15 }, 0, &[v], &[v], s);
    mem("v128.load16_lane 7", &|m| I::V128Load16Lane { memarg: m, lane: 7 }, 1, &[v], &[v], s);
    mem("v128.load32_lane 1", &|m| I::V128Load32Lane { memarg: m, lane: 1 }, 2, &[v], &[v], s);
    mem("v128.load64_lane 1", &|m| I::V128Load64Lane { memarg: m, lane: 1 }, 3, &[v], &[v], s);
    mem("v128.store8_lane 3", &|m| I::V128Store8Lane { memarg: m, lane: 3 }, 0, &[v], &[], s);
    mem("v128.store16_lane 0", &|m| I::V128Store16Lane { memarg: m, lane: 0 }, 1, &[v], &[], s);
    mem("v128.store32_lane 3", &|m| I::V128Store32Lane { memarg: m, lane: 3 }, 2, &[v], &[], s);
    mem("v128.store64_lane 0", &|m| I::V128Store64Lane { memarg: m, lane: 0 }, 3, &[v], &[], s);
    let mut whole = |name: &str, instr: I<'static>, params: Vec<Param>, results: &[ValType], needs: Features| {
        let memory = Some(MEM_PAGES);
        ops.push(Op { name: name.into(), instr, params, results: results.to_vec(), memory, canon: None, needs });
    };
    whole("memory.size", I::MemorySize(0), vec![], &[i], mvp);
    whole("memory.grow", I::MemoryGrow(0), vec![Param::Val(i)], &[i], mvp);
    let bulk = Features::BULK_MEMORY;
    whole("memory.fill", I::MemoryFill(0), vec![Param::Addr, Param::Val(i), Param::Addr], &[], bulk);
    whole(
        "memory.copy",
        I::MemoryCopy { src_mem: 0, dst_mem: 0 },
        vec![Param::Addr, Param::Addr, Param::Addr],
        &[],
        bulk,
    );

    ops.retain(|op| features.contains(op.needs));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_module_is_valid_and_applies_its_operator() {
        let ops = all(Features::WASM2);
        assert!(ops.len() > 350, "{} ops", ops.len());
        for op in &ops {
            let wasm = op.module();
            op.needs.union(Features::WASM1).check(&wasm).unwrap_or_else(|e| panic!("{}: {e}", op.name));
            let text = wasmprinter::print_bytes(&wasm).unwrap();
            assert!(text.contains("(export \"op\""), "{}", op.name);
            let calls = op.calls(&mut Rng::new(3));
            assert!(!calls.is_empty() && calls.len() <= MAX_OP_CALLS + 8, "{}: {} calls", op.name, calls.len());
            for c in &calls {
                assert_eq!(c.args.len(), op.params.len());
            }
        }
    }

    #[test]
    fn features_filter_ops() {
        let no_simd = all(Features::WASM2_NO_SIMD);
        assert!(no_simd.iter().all(|op| !op.needs.contains(Features::SIMD)));
        assert!(no_simd.iter().any(|op| op.name == "I32Extend8S"));
        let mvp = all(Features::WASM1);
        assert!(mvp.iter().all(|op| op.needs.is_empty()));
        assert!(mvp.iter().any(|op| op.name == "I32DivS"));
        assert!(mvp.iter().any(|op| op.name == "i64.load32_s offset=65535"));
    }

    #[test]
    fn binary_ops_get_the_whole_cross_product() {
        let ops = all(Features::WASM1);
        let add = ops.iter().find(|op| op.name == "I32Add").unwrap();
        let calls = add.calls(&mut Rng::new(1));
        let n = vals::SPECIAL_I32.len();
        assert_eq!(calls.len(), n * n + 8);
        assert!(calls.contains(&Call { func: "op".into(), args: vec![Val::I32(i32::MIN), Val::I32(-1)] }));
    }
}
