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
    let mut c = wasm_smith::Config::default();
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
pub fn smith_module(features: Features, entropy: &[u8]) -> Result<Vec<u8>, Error> {
    smith_module_from(features, &mut Unstructured::new(entropy))
}

/// Same as [`smith_module`], consuming from an existing `Unstructured` (the
/// fuzz targets share one with other choices).
pub fn smith_module_from(features: Features, u: &mut Unstructured<'_>) -> Result<Vec<u8>, Error> {
    let mut module = wasm_smith::Module::new(smith_config(features), u)
        .map_err(|e| Error::Internal(format!("wasm-smith: {e}")))?;
    module.ensure_termination(WASM_FUEL).map_err(|e| Error::Internal(format!("wasm-smith: {e}")))?;
    Ok(module.to_bytes())
}

/// The calls to make on `wasm`: every exported function [`ROUNDS`] times,
/// with generated arguments. A module whose interface cannot be read gets no
/// calls (compilation will tell what is wrong with it).
///
/// The arguments of a call depend only on the stream's seed, the function's
/// export name and the round, not on the other exports: when the shrinker
/// removes a function, the remaining ones keep their arguments (and so the
/// behaviour that made the case interesting).
pub fn plan(wasm: &[u8], rng: &mut Rng) -> Vec<Call> {
    let Ok(iface) = ModuleInterface::parse(wasm) else { return Vec::new() };
    let funcs: Vec<_> = iface.functions().collect();
    let base = rng.next_u64();
    let mut calls = Vec::new();
    'rounds: for round in 0..ROUNDS {
        for (name, ty) in &funcs {
            if calls.len() >= MAX_CALLS {
                break 'rounds;
            }
            let name_hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x1000_0000_01b3));
            let mut args_rng = Rng::derive(base, name_hash, round as u64);
            let args = ty.params.iter().map(|&t| vals::arbitrary(t, &mut args_rng)).collect();
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
}

/// One case in this many is a single-instruction module.
const OP_EVERY: u64 = 8;

impl Generator {
    pub fn new(features: Features) -> Generator {
        Generator { features, ops: ops::all(features) }
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
        let wasm = smith_module(features, &entropy.bytes(len))?;
        let calls = plan(&wasm, &mut args);
        Ok(Case { wasm, calls, origin: "smith".into() })
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
        assert!(origins.iter().filter(|o| *o == "smith").count() >= 12);
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
