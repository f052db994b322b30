//! Case generation: a campaign's case `i` of seed `s` is a module plus the
//! calls to make on it, derived from `(s, i)` alone. Most cases are
//! wasm-smith modules under the differential configuration; every eighth is
//! a single-instruction module (see [`crate::ops`]) so that each operator is
//! also checked in isolation on special operands.

use arbitrary::Unstructured;
use serde::{Deserialize, Serialize};
use wasmlab_contract::{Error, ExternKind, Features, ModuleInterface, Val};

use crate::ops::{self, Op};
use crate::rng::Rng;
use crate::vals;

/// One call of an exported function.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub func: String,
    pub args: Vec<Val>,
}

/// [`Call`] as stored in reproducers and sent to workers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallText {
    pub func: String,
    pub args: Vec<String>,
}

impl Call {
    pub fn to_text(&self) -> CallText {
        CallText { func: self.func.clone(), args: self.args.iter().map(vals::to_text).collect() }
    }
    pub fn from_text(c: &CallText) -> Result<Call, Error> {
        Ok(Call { func: c.func.clone(), args: c.args.iter().map(|a| vals::from_text(a)).collect::<Result<_, _>>()? })
    }
}

/// A generated case.
#[derive(Clone, Debug)]
pub struct Case {
    pub wasm: Vec<u8>,
    pub calls: Vec<Call>,
    /// `smith`, or `op:<name>` for a single-instruction module.
    pub origin: String,
}

/// Fuel given to the in-wasm fuel counter of `ensure_termination`: the
/// number of loop iterations plus function entries one instance may execute
/// over all its calls, after which every call traps with `unreachable`.
/// Deterministic, so every engine agrees where it runs out. Kept below
/// the smallest recursion limit among the engines (wasmi: 1000 frames) so
/// that deep recursion ends in this trap rather than in an inconclusive
/// stack exhaustion.
pub const WASM_FUEL: u32 = 500;

/// How many times each exported function is called (interleaved, so that
/// state left by one function is seen by the others).
const ROUNDS: usize = 3;
const MAX_CALLS: usize = 60;

/// The wasm-smith configuration for differential testing over engines that
/// all support `features`.
pub fn smith_config(features: Features) -> wasm_smith::Config {
    smith_config_with(features, false)
}

/// [`smith_config`], optionally with wasm-smith's non-trapping generation:
/// every instruction that could trap is guarded, so the module runs to the
/// end of each call (or of its in-wasm fuel) and every later instruction,
/// global and memory gets compared.
pub fn smith_config_with(features: Features, disallow_traps: bool) -> wasm_smith::Config {
    let mut c = wasm_smith::Config::default();
    c.disallow_traps = disallow_traps;
    // Differential essentials: NaN payloads are nondeterministic in wasm, so
    // float results are canonicalised in-wasm; everything is exported so
    // that it can be called and compared; no imports to satisfy; memories and
    // tables declare a maximum so growth is bounded the same everywhere.
    c.canonicalize_nans = true;
    c.export_everything = true;
    c.max_imports = 0;
    c.min_imports = 0;
    c.memory_max_size_required = true;
    c.table_max_size_required = true;
    // Proposals: exactly the intersection of what the engines support.
    c.simd_enabled = features.contains(Features::SIMD);
    c.reference_types_enabled = features.contains(Features::REFERENCE_TYPES);
    c.bulk_memory_enabled = features.contains(Features::BULK_MEMORY);
    c.multi_value_enabled = features.contains(Features::MULTI_VALUE);
    c.sign_extension_ops_enabled = features.contains(Features::SIGN_EXTENSION);
    c.saturating_float_to_int_enabled = features.contains(Features::SATURATING_FLOAT_TO_INT);
    c.relaxed_simd_enabled = false;
    c.threads_enabled = false;
    c.shared_everything_threads_enabled = false;
    c.tail_call_enabled = false;
    c.memory64_enabled = false;
    c.exceptions_enabled = false;
    c.gc_enabled = false;
    c.custom_descriptors_enabled = false;
    c.custom_page_sizes_enabled = false;
    c.wide_arithmetic_enabled = false;
    c.extended_const_enabled = false;
    c.max_memories = 1;
    c.max_tables = if c.reference_types_enabled { 2 } else { 1 };
    // Small-ish modules: fast to compile on five engines, fast to compare
    // (memories are copied and compared after every call), easy to shrink.
    c.max_memory32_bytes = 4 * 65536;
    c.max_table_elements = 64;
    // A module without functions has nothing to call: at least two (of at
    // least one type; wasm-smith adds more with probability 1/2 each).
    c.min_types = 1;
    c.min_funcs = 2;
    c.max_funcs = 12;
    c.max_instructions = 80;
    c.max_globals = 12;
    c.max_types = 12;
    c.max_data_segments = 6;
    c.max_element_segments = 6;
    c.max_elements = 24;
    c.max_nesting_depth = 8;
    c.generate_custom_sections = false;
    c
}

/// A wasm-smith module, made terminating, from the given entropy.
pub fn smith_module(features: Features, entropy: &[u8], disallow_traps: bool) -> Result<Vec<u8>, Error> {
    smith_module_with(smith_config_with(features, disallow_traps), &mut Unstructured::new(entropy))
}

/// A module of the standard differential configuration, consuming from an
/// existing `Unstructured` (the fuzz targets share one with other choices).
pub fn smith_module_from(features: Features, u: &mut Unstructured<'_>) -> Result<Vec<u8>, Error> {
    smith_module_with(smith_config(features), u)
}

fn smith_module_with(config: wasm_smith::Config, u: &mut Unstructured<'_>) -> Result<Vec<u8>, Error> {
    let mut module = wasm_smith::Module::new(config, u).map_err(|e| Error::Internal(format!("wasm-smith: {e}")))?;
    let fuel = module.ensure_termination(WASM_FUEL).map_err(|e| Error::Internal(format!("wasm-smith: {e}")))?;
    let wasm = module.to_bytes();
    Ok(add_refuel(&wasm, fuel).unwrap_or(wasm))
}

/// The export that gives a generated module its in-wasm fuel back. The plan
/// calls it before every call, so that each call gets the whole budget:
/// the fuel is one global, and once a call used it up every later call
/// would trap at once, leaving the rest of the module unexamined.
pub const REFUEL: &str = "wasmlab:refuel";

/// `wasm` with one more function, exported as [`REFUEL`], that sets global
/// `fuel` back to [`WASM_FUEL`]; `None` when the module lacks a section
/// this needs (then it is used as it is).
fn add_refuel(wasm: &[u8], fuel: u32) -> Option<Vec<u8>> {
    use wasm_encoder::reencode::{Error as ReencodeError, Reencode, utils};
    use wasmparser::{Parser, Payload, TypeRef};

    let (mut types, mut funcs, mut sections) = (0u32, 0u32, 0);
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::TypeSection(r) => (types, sections) = (r.count(), sections + 1),
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    funcs += matches!(imp.ok()?.ty, TypeRef::Func(_)) as u32;
                }
            }
            Payload::FunctionSection(r) => (funcs, sections) = (funcs + r.count(), sections + 1),
            Payload::ExportSection(_) | Payload::CodeSectionStart { .. } => sections += 1,
            _ => {}
        }
    }
    if sections != 4 {
        return None;
    }

    struct Refuel {
        ty: u32,
        func: u32,
        fuel: u32,
    }
    type R<T> = Result<T, ReencodeError<std::convert::Infallible>>;
    impl Reencode for Refuel {
        type Error = std::convert::Infallible;
        fn parse_type_section(
            &mut self,
            t: &mut wasm_encoder::TypeSection,
            s: wasmparser::TypeSectionReader<'_>,
        ) -> R<()> {
            utils::parse_type_section(self, t, s)?;
            t.ty().function([], []);
            Ok(())
        }
        fn parse_function_section(
            &mut self,
            f: &mut wasm_encoder::FunctionSection,
            s: wasmparser::FunctionSectionReader<'_>,
        ) -> R<()> {
            utils::parse_function_section(self, f, s)?;
            f.function(self.ty);
            Ok(())
        }
        fn parse_export_section(
            &mut self,
            e: &mut wasm_encoder::ExportSection,
            s: wasmparser::ExportSectionReader<'_>,
        ) -> R<()> {
            utils::parse_export_section(self, e, s)?;
            e.export(REFUEL, wasm_encoder::ExportKind::Func, self.func);
            Ok(())
        }
        fn parse_code_section(
            &mut self,
            c: &mut wasm_encoder::CodeSection,
            s: wasmparser::CodeSectionReader<'_>,
        ) -> R<()> {
            utils::parse_code_section(self, c, s)?;
            let mut f = wasm_encoder::Function::new([]);
            f.instruction(&wasm_encoder::Instruction::I32Const(WASM_FUEL as i32));
            f.instruction(&wasm_encoder::Instruction::GlobalSet(self.fuel));
            f.instruction(&wasm_encoder::Instruction::End);
            c.function(&f);
            Ok(())
        }
    }
    let mut module = wasm_encoder::Module::new();
    Refuel { ty: types, func: funcs, fuel }.parse_core_module(&mut module, Parser::new(0), wasm).ok()?;
    let out = module.finish();
    // Under every proposal: the module was valid under its own.
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all()).validate_all(&out).ok()?;
    Some(out)
}

/// The calls to make on `wasm`: every exported function [`ROUNDS`] times,
/// with generated arguments, each after a call of [`REFUEL`] where the
/// module has it. A module whose interface cannot be read gets no
/// calls (compilation will tell what is wrong with it).
///
/// The arguments of a call depend only on the stream's seed, the function's
/// export name and the round, not on the other exports: when the shrinker
/// removes a function, the remaining ones keep their arguments (and so the
/// behaviour that made the case interesting).
pub fn plan(wasm: &[u8], rng: &mut Rng) -> Vec<Call> {
    let Ok(iface) = ModuleInterface::parse(wasm) else { return Vec::new() };
    let mut funcs: Vec<_> = iface.functions().collect();
    let refuel = funcs.iter().any(|(name, ty)| *name == REFUEL && ty.params.is_empty());
    funcs.retain(|(name, _)| *name != REFUEL);
    let base = rng.next_u64();
    let (mut calls, mut refuels) = (Vec::new(), 0);
    'rounds: for round in 0..ROUNDS {
        for (name, ty) in &funcs {
            if calls.len() - refuels >= MAX_CALLS {
                break 'rounds;
            }
            let name_hash =
                name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x1000_0000_01b3));
            let mut args_rng = Rng::derive(base, name_hash, round as u64);
            let args = ty.params.iter().map(|&t| vals::arbitrary(t, &mut args_rng)).collect();
            if refuel {
                calls.push(Call { func: REFUEL.to_string(), args: vec![] });
                refuels += 1;
            }
            calls.push(Call { func: name.to_string(), args });
        }
    }
    calls
}

/// Exported globals, memories and tables (what is compared after every
/// call).
pub fn observed_state(wasm: &[u8]) -> Observed {
    let mut seen = Observed::default();
    let Ok(iface) = ModuleInterface::parse(wasm) else { return seen };
    for e in &iface.exports {
        match e.kind {
            ExternKind::Global { .. } => seen.globals.push(e.name.clone()),
            ExternKind::Memory => seen.memories.push(e.name.clone()),
            ExternKind::Table => seen.tables.push(e.name.clone()),
            ExternKind::Func(_) => {}
        }
    }
    seen
}

/// The exports whose state the oracle compares after every call.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    pub globals: Vec<String>,
    pub memories: Vec<String>,
    pub tables: Vec<String>,
}

/// Generates the cases of campaigns over engines supporting `features`.
pub struct Generator {
    features: Features,
    ops: Vec<Op>,
    non_trapping_percent: u8,
}

/// The share of wasm-smith cases generated without traps, by default: most
/// of them, as wasmtime's own differential target does, because a trap
/// ends a call early and leaves the rest of the module unexamined; the
/// others keep traps so that trap behaviour is compared too.
pub const DEFAULT_NON_TRAPPING_PERCENT: u8 = 75;

/// One case in this many is a single-instruction module.
const OP_EVERY: u64 = 8;

impl Generator {
    pub fn new(features: Features) -> Generator {
        Generator { features, ops: ops::all(features), non_trapping_percent: DEFAULT_NON_TRAPPING_PERCENT }
    }

    /// The share (0 to 100) of wasm-smith cases generated without traps.
    pub fn with_non_trapping_percent(mut self, percent: u8) -> Generator {
        self.non_trapping_percent = percent.min(100);
        self
    }

    pub fn features(&self) -> Features {
        self.features
    }

    pub fn ops(&self) -> &[Op] {
        &self.ops
    }

    /// Case `index` of campaign `seed`.
    pub fn case(&self, seed: u64, index: u64) -> Result<Case, Error> {
        let mut args = Rng::derive(seed, index, 1);
        if index % OP_EVERY == OP_EVERY - 1 && !self.ops.is_empty() {
            let op = &self.ops[((index / OP_EVERY) % self.ops.len() as u64) as usize];
            return Ok(Case { wasm: op.module(), calls: op.calls(&mut args), origin: format!("op:{}", op.name) });
        }
        let mut entropy = Rng::derive(seed, index, 0);
        let len = 256 + entropy.below(3840) as usize;
        // Some cases leave out some proposals: engines that support a
        // proposal only partly (winch and externref) then still get cases,
        // and the rest of the generator's choices get more room.
        let mut features = self.features;
        if entropy.coin() {
            features = features.difference(Features::REFERENCE_TYPES);
        }
        if entropy.below(4) == 0 {
            features = features.difference(Features::SIMD);
        }
        // Its own stream, so the share changes no other choice of a case.
        let non_trapping = Rng::derive(seed, index, 2).below(100) < u64::from(self.non_trapping_percent);
        let wasm = smith_module(features, &entropy.bytes(len), non_trapping)?;
        let calls = plan(&wasm, &mut args);
        let origin = if non_trapping { "smith-nontrapping" } else { "smith" };
        Ok(Case { wasm, calls, origin: origin.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_deterministic_and_valid_for_their_features() {
        for features in [Features::WASM2, Features::WASM2_NO_SIMD, Features::WASM1] {
            let g = Generator::new(features);
            for i in 0..40 {
                let a = g.case(11, i).unwrap();
                let b = g.case(11, i).unwrap();
                assert_eq!(a.wasm, b.wasm);
                assert_eq!(a.calls, b.calls);
                features.check(&a.wasm).unwrap_or_else(|e| panic!("case {i} ({}) under {features}: {e}", a.origin));
                let iface = ModuleInterface::parse(&a.wasm).unwrap();
                assert!(iface.imports.is_empty());
            }
        }
    }

    #[test]
    fn cases_differ_between_seeds_and_include_single_ops() {
        let g = Generator::new(Features::WASM2);
        assert_ne!(g.case(1, 0).unwrap().wasm, g.case(2, 0).unwrap().wasm);
        let origins: Vec<String> = (0..16).map(|i| g.case(1, i).unwrap().origin).collect();
        assert!(origins.iter().any(|o| o.starts_with("op:")));
        assert!(origins.iter().filter(|o| o.starts_with("smith")).count() >= 12);
    }

    #[test]
    fn the_non_trapping_share_is_honoured_and_changes_nothing_else() {
        let count = |g: &Generator| (0..400).filter(|&i| g.case(3, i).unwrap().origin == "smith-nontrapping").count();
        let smith = (0..400).filter(|i| i % OP_EVERY != OP_EVERY - 1).count();
        assert_eq!(count(&Generator::new(Features::WASM2).with_non_trapping_percent(0)), 0);
        assert_eq!(count(&Generator::new(Features::WASM2).with_non_trapping_percent(100)), smith);
        let default = count(&Generator::new(Features::WASM2));
        assert!((smith * 65 / 100..=smith * 85 / 100).contains(&default), "{default} of {smith}");
        // Single-instruction cases are the same whatever the share.
        let (a, b) = (Generator::new(Features::WASM2).with_non_trapping_percent(0), Generator::new(Features::WASM2));
        assert_eq!(a.case(3, OP_EVERY - 1).unwrap().wasm, b.case(3, OP_EVERY - 1).unwrap().wasm);
    }

    #[test]
    fn non_trapping_modules_return_far_more_often() {
        let engine = wasmlab_registry::create("wasmtime", &Default::default()).unwrap();
        let trapped = |percent: u8| {
            let g = Generator::new(Features::WASM2).with_non_trapping_percent(percent);
            let (mut calls, mut traps) = (0, 0);
            for i in (0..160).filter(|i| i % OP_EVERY != OP_EVERY - 1) {
                let case = g.case(9, i).unwrap();
                let Ok(mut inst) = engine.instantiate_fresh(&case.wasm) else { continue };
                for c in &case.calls {
                    let trapped = matches!(inst.call(&c.func, &c.args), Err(wasmlab_contract::Error::Trap(_)));
                    if c.func != REFUEL {
                        calls += 1;
                        traps += trapped as u32;
                    }
                }
            }
            traps as f64 / calls.max(1) as f64
        };
        let (with, without) = (trapped(0), trapped(100));
        // Calls that return: about 0.35 with traps allowed, 0.65 without.
        assert!(
            1.0 - without > 1.5 * (1.0 - with),
            "trapping share {with:.2} with traps allowed, {without:.2} without"
        );
    }

    #[test]
    fn generated_modules_are_refuelled_before_every_call() {
        let g = Generator::new(Features::WASM2);
        let case = (0..8).map(|i| g.case(4, i).unwrap()).find(|c| c.origin.starts_with("smith")).unwrap();
        Features::WASM2.check(&case.wasm).unwrap();
        assert!(case.calls.len() >= 2);
        for pair in case.calls.chunks(2) {
            assert_eq!(pair[0].func, REFUEL);
            assert_ne!(pair[1].func, REFUEL);
        }
        // The refuel function gives the whole budget back.
        let wat = format!(
            r#"(module (global $fuel (mut i32) (i32.const {WASM_FUEL}))
                 (func (export "use") (result i32)
                   (global.set $fuel (i32.sub (global.get $fuel) (i32.const 10))) (global.get $fuel)))"#
        );
        let wasm = add_refuel(&wat::parse_str(&wat).unwrap(), 0).unwrap();
        let engine = wasmlab_registry::create("wasmi", &Default::default()).unwrap();
        let mut inst = engine.instantiate_fresh(&wasm).unwrap();
        let full = WASM_FUEL as i32;
        assert_eq!(inst.call("use", &[]), Ok(vec![Val::I32(full - 10)]));
        assert_eq!(inst.call("use", &[]), Ok(vec![Val::I32(full - 20)]));
        assert_eq!(inst.call(REFUEL, &[]), Ok(vec![]));
        assert_eq!(inst.call("use", &[]), Ok(vec![Val::I32(full - 10)]));
        // A global that is not there: the module is left as it is.
        assert_eq!(add_refuel(&wat::parse_str(&wat).unwrap(), 7), None);
    }

    #[test]
    fn smith_modules_declare_memory_maxima_and_get_calls() {
        let g = Generator::new(Features::WASM2);
        let mut with_calls = 0;
        for i in 0..30 {
            let case = g.case(5, i).unwrap();
            for payload in wasmparser::Parser::new(0).parse_all(&case.wasm) {
                if let wasmparser::Payload::MemorySection(r) = payload.unwrap() {
                    for m in r {
                        assert!(m.unwrap().maximum.is_some(), "memory without maximum in case {i}");
                    }
                }
            }
            with_calls += !case.calls.is_empty() as usize;
        }
        assert!(with_calls >= 15, "only {with_calls} of 30 cases have calls");
    }
}
