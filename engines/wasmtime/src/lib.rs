//! wasmtime behind the engine contract, in three configurations:
//!
//! - `wasmtime`: the Cranelift JIT, the lab's reference oracle;
//! - `winch`: wasmtime's baseline compiler, the peer of our template JIT;
//! - `wasmtime-aot`: modules precompiled to `.cwasm` artifacts kept in an
//!   on-disk cache under a compatibility key, deserialized at startup
//!   (see [`aot`]).
//!
//! This is the only crate of the lab that depends on `wasmtime`.

pub mod aot;
mod convert;
mod store;

use wasmlab_contract::{Engine, EngineConfig, Error, Features, Module, Result, Store};

pub use aot::{AotEngine, Artifact, CompatKey};

/// Proposals the wasmtime engines are offered (what the lab knows and
/// wasmtime 48 implements for core modules).
const CRANELIFT_FEATURES: Features = Features::WASM2
    .union(Features::RELAXED_SIMD)
    .union(Features::TAIL_CALL)
    .union(Features::MULTI_MEMORY)
    .union(Features::MEMORY64)
    .union(Features::EXTENDED_CONST)
    .union(Features::FUNCTION_REFERENCES)
    .union(Features::GC)
    .union(Features::WIDE_ARITHMETIC)
    .union(Features::CUSTOM_PAGE_SIZES);

/// Winch in wasmtime 48 on x86-64: no GC, typed function references,
/// tail calls or exceptions (wasmtime refuses to build such an engine).
const WINCH_FEATURES: Features = Features::WASM2
    .union(Features::RELAXED_SIMD)
    .union(Features::MULTI_MEMORY)
    .union(Features::MEMORY64)
    .union(Features::EXTENDED_CONST)
    .union(Features::WIDE_ARITHMETIC)
    .union(Features::CUSTOM_PAGE_SIZES);

/// Version of the wasmtime crate this lab is built against. Kept in step
/// with the workspace pin by a unit test that reads Cargo.lock.
pub const WASMTIME_VERSION: &str = "48.0.8";

/// Which of wasmtime's compilers generates code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compiler {
    Cranelift,
    Winch,
}

impl Compiler {
    fn supported(self) -> Features {
        match self {
            Compiler::Cranelift => CRANELIFT_FEATURES,
            Compiler::Winch => WINCH_FEATURES,
        }
    }
}

/// Builds the wasmtime configuration the lab uses. Everything that changes
/// generated code is decided here, so the AOT compatibility key can list it.
pub(crate) fn wasmtime_config(compiler: Compiler, features: Features, fuel: bool) -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.strategy(match compiler {
        Compiler::Cranelift => wasmtime::Strategy::Cranelift,
        Compiler::Winch => wasmtime::Strategy::Winch,
    });
    // Start from nothing and enable exactly the proposals asked for, so a
    // module needing more is rejected (and reported as unsupported).
    config.wasm_features(wasmtime::WasmFeatures::all(), false);
    config.wasm_features(features.to_wasmparser(), true);
    if compiler == Compiler::Winch {
        // Winch has no garbage collector support: no externref.
        config.wasm_features(wasmtime::WasmFeatures::GC_TYPES, false);
    }
    config.consume_fuel(fuel);
    config
}

/// A wasmtime engine (Cranelift or Winch, compiled in memory).
pub struct WasmtimeEngine {
    name: &'static str,
    compiler: Compiler,
    engine: wasmtime::Engine,
    features: Features,
    fuel: Option<u64>,
}

impl WasmtimeEngine {
    pub fn new(compiler: Compiler, config: &EngineConfig) -> Result<WasmtimeEngine> {
        let features = config.features.intersection(compiler.supported());
        let engine = wasmtime::Engine::new(&wasmtime_config(compiler, features, config.fuel.is_some()))
            .map_err(|e| Error::Internal(format!("cannot configure wasmtime: {e:#}")))?;
        let name = match compiler {
            Compiler::Cranelift => "wasmtime",
            Compiler::Winch => "winch",
        };
        Ok(WasmtimeEngine { name, compiler, engine, features, fuel: config.fuel })
    }
}

impl Engine for WasmtimeEngine {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> String {
        WASMTIME_VERSION.to_string()
    }
    fn features(&self) -> Features {
        self.features
    }
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        if self.compiler == Compiler::Winch {
            self.features.check(wasm)?;
            let mut no_gc = self.features.to_wasmparser();
            no_gc.remove(wasmtime::WasmFeatures::GC_TYPES);
            if wasmparser::Validator::new_with_features(no_gc).validate_all(wasm).is_err() {
                return Err(Error::Unsupported("externref (winch has no GC support)".into()));
            }
        }
        Ok(Box::new(compile_module(&self.engine, self.features, wasm)?))
    }
    fn new_store(&self) -> Box<dyn Store> {
        Box::new(store::WtStore::new(&self.engine, self.fuel))
    }
}

/// A module compiled by one of the wasmtime engines.
pub struct WtModule {
    pub(crate) module: wasmtime::Module,
    code_bytes: usize,
}

impl WtModule {
    pub(crate) fn new(module: wasmtime::Module) -> WtModule {
        let code_bytes = module.text().len();
        WtModule { module, code_bytes }
    }
    pub fn wasmtime_module(&self) -> &wasmtime::Module {
        &self.module
    }
}

impl std::fmt::Debug for WtModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "WtModule({} bytes of code)", self.code_bytes)
    }
}

impl Module for WtModule {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn code_bytes(&self) -> Option<usize> {
        Some(self.code_bytes)
    }
}

/// Validates against the configured proposals first (so "needs another
/// proposal" is told apart from "invalid"), then compiles.
pub(crate) fn compile_module(engine: &wasmtime::Engine, features: Features, wasm: &[u8]) -> Result<WtModule> {
    features.check(wasm)?;
    let module = wasmtime::Module::new(engine, wasm).map_err(|e| {
        // Validated above, so a failure here is a limit or a compiler gap.
        let msg = format!("{e:#}");
        if msg.contains("not supported") || msg.contains("unsupported") {
            Error::Unsupported(msg)
        } else {
            Error::Internal(format!("wasmtime failed to compile a valid module: {msg}"))
        }
    })?;
    Ok(WtModule::new(module))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_contract::{Trap, Val};

    fn engine(compiler: Compiler) -> WasmtimeEngine {
        WasmtimeEngine::new(compiler, &EngineConfig::default()).unwrap()
    }

    #[test]
    fn version_matches_the_lockfile() {
        let lock = include_str!("../../../Cargo.lock");
        let pos = lock.find("name = \"wasmtime\"\n").expect("wasmtime in Cargo.lock");
        let version_line = lock[pos..].lines().nth(1).unwrap();
        assert_eq!(version_line, format!("version = \"{WASMTIME_VERSION}\""));
    }

    #[test]
    fn calls_and_traps_on_both_compilers() {
        let wasm = wat::parse_str(
            r#"(module
                (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
                (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
                (func (export "f") (param f32) (result f32) local.get 0)
                (global (export "g") (mut i64) (i64.const 7))
                (memory (export "m") 1) (data (i32.const 2) "hi"))"#,
        )
        .unwrap();
        for c in [Compiler::Cranelift, Compiler::Winch] {
            let mut inst = engine(c).instantiate_fresh(&wasm).unwrap();
            assert_eq!(inst.call("add", &[Val::I32(2), Val::I32(40)]), Ok(vec![Val::I32(42)]));
            assert_eq!(inst.call("div", &[Val::I32(1), Val::I32(0)]), Err(Error::Trap(Trap::IntegerDivisionByZero)));
            assert_eq!(inst.call("div", &[Val::I32(i32::MIN), Val::I32(-1)]), Err(Error::Trap(Trap::IntegerOverflow)));
            // NaN payloads survive the boundary.
            assert_eq!(inst.call("f", &[Val::F32(0x7fa0_0001)]), Ok(vec![Val::F32(0x7fa0_0001)]));
            assert_eq!(inst.global("g"), Some(Val::I64(7)));
            assert_eq!(&inst.memory("m").unwrap()[..4], b"\0\0hi");
            assert!(matches!(inst.call("nope", &[]), Err(Error::Usage(_))));
            assert!(matches!(inst.call("add", &[Val::I64(1)]), Err(Error::Usage(_))));
        }
    }

    #[test]
    fn externref_is_unsupported_on_winch_only() {
        let wasm =
            wat::parse_str("(module (func (export \"f\") (param externref) (result externref) local.get 0))").unwrap();
        assert!(matches!(engine(Compiler::Winch).compile(&wasm).err(), Some(Error::Unsupported(_))));
        let mut inst = engine(Compiler::Cranelift).instantiate_fresh(&wasm).unwrap();
        assert_eq!(inst.call("f", &[Val::ExternRef(Some(9))]), Ok(vec![Val::ExternRef(Some(9))]));
        assert_eq!(inst.call("f", &[Val::ExternRef(None)]), Ok(vec![Val::ExternRef(None)]));
    }

    #[test]
    fn simd_is_unsupported_when_not_configured() {
        let config = EngineConfig { features: Features::WASM2_NO_SIMD, ..EngineConfig::default() };
        let e = WasmtimeEngine::new(Compiler::Cranelift, &config).unwrap();
        let wasm = wat::parse_str("(module (func (result v128) v128.const i64x2 0 0))").unwrap();
        assert_eq!(e.compile(&wasm).err(), Some(Error::Unsupported("simd".into())));
    }

    #[test]
    fn fuel_runs_out_as_a_trap() {
        let config = EngineConfig { fuel: Some(10_000), ..EngineConfig::default() };
        let e = WasmtimeEngine::new(Compiler::Cranelift, &config).unwrap();
        let wasm = wat::parse_str("(module (func (export \"spin\") (loop br 0)))").unwrap();
        let mut inst = e.instantiate_fresh(&wasm).unwrap();
        assert_eq!(inst.call("spin", &[]), Err(Error::Trap(Trap::OutOfFuel)));
    }

    #[test]
    fn deep_recursion_is_stack_overflow() {
        let wasm = wat::parse_str("(module (func $f (export \"f\") call $f))").unwrap();
        let mut inst = engine(Compiler::Cranelift).instantiate_fresh(&wasm).unwrap();
        assert_eq!(inst.call("f", &[]), Err(Error::Trap(Trap::StackOverflow)));
    }
}
