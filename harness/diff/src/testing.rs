//! Test-only engines that prove the campaign machinery works: a subtly
//! wrong engine the oracle must catch (and the shrinker must reduce), and an
//! engine that kills its process, which isolation must survive and record.
//!
//! Selectable by name only when `WASMLAB_TEST_ENGINES=1` (see
//! [`crate::engines`]); both wrap the `wasmi` engine of the registry.
//!
//! - `test-faulty-i32`: an operator-level fault. Every `i32.add` or
//!   `i32.xor` whose result has the low byte `0x5a` yields that result plus
//!   one. Implemented by rewriting each function body before handing the
//!   module to wasmi (an extra local and seven instructions after each such
//!   operator), so the fault lives in the executed code exactly as a
//!   miscompiled operator would. (`i32.xor` is there because wasm-smith
//!   modules fold many values into exported globals with it, so short
//!   campaigns reach the condition; `i32.add` alone is rarer.)
//! - `test-faulty-table`: a fault seen mostly in table state. In every
//!   element segment that lists functions, the first two entries are
//!   swapped (when they differ), so tables hold the wrong functions: the
//!   oracle's table comparison sees it by function identity, a
//!   `call_indirect` only when the two functions behave differently.
//! - `test-abort`: calls `std::process::abort()` when asked to compile a
//!   module that exports more than [`ABORT_OVER_EXPORTED_FUNCS`] functions.
//! - `test-regjit-wrong`, `test-regjit-crash`: the `regjit` JIT with a fault
//!   planted in its code generator (`wasmlab_regjit::Fault`): wrong machine
//!   code for `i32.add`/`i32.xor` when the result's low byte is 0x5a, and an
//!   illegal instruction in the code of every `i32.mul` (the worker dies of
//!   SIGILL), so the campaign is shown to catch faults in generated code.
//! - `test-tjit-wrong`: `tjit-tiered` with wrong code planted after its
//!   `i32.add`/`i32.xor` templates (`wasmlab_tjit::Fault::I32AddLowByte`):
//!   found only once a function tiers up, so the campaign is shown to
//!   reach the template JIT through the tiering path.

use std::sync::Arc;

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{CodeSection, Function, Instruction};
use wasmlab_contract::{Engine, EngineConfig, Error, Features, Module, ModuleInterface, Result, Store};
use wasmparser::{FunctionBody, Operator, Parser, Payload, TypeRef};

pub const FAULTY: &str = "test-faulty-i32";
pub const FAULTY_TABLE: &str = "test-faulty-table";
pub const ABORT: &str = "test-abort";
pub const JIT_WRONG: &str = "test-regjit-wrong";
pub const JIT_CRASH: &str = "test-regjit-crash";
pub const TJIT_WRONG: &str = "test-tjit-wrong";
pub const WASI_WRONG: &str = "test-wasi-wrong";
pub const NAMES: &[&str] = &[FAULTY, FAULTY_TABLE, ABORT, JIT_WRONG, JIT_CRASH, TJIT_WRONG, WASI_WRONG];

/// The fault planted in the WASI layer a test engine's programs see.
pub fn wasi_fault(engine: &str) -> Option<wasmlab_wasi::Fault> {
    (engine == WASI_WRONG).then_some(wasmlab_wasi::Fault::ShortWrite)
}

/// Low enough that a short campaign meets such modules (about one smith
/// module in eight has more).
pub const ABORT_OVER_EXPORTED_FUNCS: usize = 4;

/// The low byte of an `i32.add`/`i32.xor` result that the faulty engine
/// gets wrong.
pub const FAULT_LOW_BYTE: i32 = 0x5a;

pub fn create(name: &str, config: &EngineConfig) -> Result<Arc<dyn Engine>> {
    use wasmlab_regjit::{Fault, RegjitEngine};
    match name {
        JIT_WRONG => return Ok(Arc::new(RegjitEngine::with_fault(config, Some(Fault::I32AddXorLowByte), JIT_WRONG))),
        JIT_CRASH => return Ok(Arc::new(RegjitEngine::with_fault(config, Some(Fault::CrashOnI32Mul), JIT_CRASH))),
        TJIT_WRONG => {
            let fault = Some(wasmlab_tjit::Fault::I32AddLowByte);
            return Ok(Arc::new(wasmlab_tjit::TieredEngine::with_fault(config, fault, TJIT_WRONG)));
        }
        // The engine is sound; its programs' WASI layer is not (`wasi_fault`).
        WASI_WRONG => return Ok(Arc::from(wasmlab_registry::create("interp", config)?)),
        _ => {}
    }
    let base: Arc<dyn Engine> = Arc::from(wasmlab_registry::create("wasmi", config)?);
    match name {
        FAULTY => Ok(Arc::new(Planted { base, name: FAULTY, fault: "i32.add/i32.xor", plant: plant_add_fault })),
        FAULTY_TABLE => {
            Ok(Arc::new(Planted { base, name: FAULTY_TABLE, fault: "element segment", plant: plant_table_fault }))
        }
        ABORT => Ok(Arc::new(Abort { base })),
        _ => Err(Error::Usage(format!("unknown test engine '{name}'"))),
    }
}

/// wasmi running every module through `plant` first: a fault in the
/// executed code, as a miscompilation would put it there.
struct Planted {
    base: Arc<dyn Engine>,
    name: &'static str,
    /// What the fault is about, for the version string.
    fault: &'static str,
    plant: fn(&[u8]) -> std::result::Result<Vec<u8>, String>,
}

impl Engine for Planted {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> String {
        format!("wasmi {} with a planted {} fault", self.base.version(), self.fault)
    }
    fn features(&self) -> Features {
        self.base.features()
    }
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        // Invalid input goes to wasmi unchanged, so errors stay wasmi's.
        self.base.features().check(wasm)?;
        let faulty = (self.plant)(wasm).map_err(|e| Error::Internal(format!("planting the fault: {e}")))?;
        self.base.compile(&faulty)
    }
    fn new_store(&self) -> Box<dyn Store> {
        self.base.new_store()
    }
}

struct Abort {
    base: Arc<dyn Engine>,
}

impl Engine for Abort {
    fn name(&self) -> &'static str {
        ABORT
    }
    fn version(&self) -> String {
        format!("wasmi {} that aborts on modules with many exported functions", self.base.version())
    }
    fn features(&self) -> Features {
        self.base.features()
    }
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        if let Ok(iface) = ModuleInterface::parse(wasm)
            && iface.functions().count() > ABORT_OVER_EXPORTED_FUNCS
        {
            std::process::abort();
        }
        self.base.compile(wasm)
    }
    fn new_store(&self) -> Box<dyn Store> {
        self.base.new_store()
    }
}

/// Rewrites every function body so that `i32.add` and `i32.xor` are followed by
/// `local.tee $t; local.get $t; i32.const 0xff; i32.and; i32.const 0x5a;
/// i32.eq; i32.add` with a fresh i32 local `$t` (result + 1 when the low
/// byte is 0x5a).
pub fn plant_add_fault(wasm: &[u8]) -> std::result::Result<Vec<u8>, String> {
    // Parameter counts of the defined functions, in order.
    let mut type_params = Vec::new();
    let mut defined = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    type_params.push(ty.map_err(|e| e.to_string())?.params().len() as u32);
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    if let TypeRef::Func(_) = imp.map_err(|e| e.to_string())?.ty {
                        // Imported functions have no body: nothing to track.
                    }
                }
            }
            Payload::FunctionSection(r) => {
                for f in r {
                    let ty = f.map_err(|e| e.to_string())?;
                    defined.push(*type_params.get(ty as usize).ok_or("bad type index")?);
                }
            }
            _ => {}
        }
    }
    let mut planter = Planter { params: defined, next: 0 };
    let mut module = wasm_encoder::Module::new();
    planter.parse_core_module(&mut module, Parser::new(0), wasm).map_err(|e| e.to_string())?;
    Ok(module.finish())
}

struct Planter {
    params: Vec<u32>,
    next: usize,
}

impl Reencode for Planter {
    type Error = std::convert::Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> std::result::Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        let params = self.params.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        let mut locals = Vec::new();
        let mut count = 0u32;
        for pair in func.get_locals_reader()? {
            let (n, ty) = pair?;
            count += n;
            locals.push((n, RoundtripReencoder.val_type(ty)?));
        }
        let scratch = params + count;
        locals.push((1, wasm_encoder::ValType::I32));
        let mut f = Function::new(locals);
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            let faulty = matches!(op, Operator::I32Add | Operator::I32Xor);
            f.instruction(&self.instruction(op)?);
            if faulty {
                for i in [
                    Instruction::LocalTee(scratch),
                    Instruction::LocalGet(scratch),
                    Instruction::I32Const(0xff),
                    Instruction::I32And,
                    Instruction::I32Const(FAULT_LOW_BYTE),
                    Instruction::I32Eq,
                    Instruction::I32Add,
                ] {
                    f.instruction(&i);
                }
            }
        }
        code.function(&f);
        Ok(())
    }
}

/// Rewrites every element segment that lists functions so that its first
/// two entries are swapped.
pub fn plant_table_fault(wasm: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut module = wasm_encoder::Module::new();
    SegmentPlanter.parse_core_module(&mut module, Parser::new(0), wasm).map_err(|e| e.to_string())?;
    Ok(module.finish())
}

struct SegmentPlanter;

impl Reencode for SegmentPlanter {
    type Error = std::convert::Infallible;

    fn element_items<'a>(
        &mut self,
        items: wasmparser::ElementItems<'a>,
    ) -> std::result::Result<wasm_encoder::Elements<'a>, wasm_encoder::reencode::Error<Self::Error>> {
        Ok(match wasm_encoder::reencode::utils::element_items(self, items)? {
            wasm_encoder::Elements::Functions(funcs) if funcs.len() >= 2 => {
                let mut funcs = funcs.into_owned();
                funcs.swap(0, 1);
                wasm_encoder::Elements::Functions(funcs.into())
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_fault_is_valid_and_changes_only_the_unlucky_sums() {
        let wasm = wat::parse_str(
            r#"(module (func (export "add") (param i32 i32) (result i32) (local i64)
                 local.get 0 local.get 1 i32.add)
               (func (export "xor") (param i32 i32) (result i32)
                 local.get 0 local.get 1 i32.xor))"#,
        )
        .unwrap();
        let faulty = plant_add_fault(&wasm).unwrap();
        Features::WASM2.check(&faulty).unwrap();
        let config = EngineConfig::default();
        let good = wasmlab_registry::create("wasmi", &config).unwrap();
        let bad = create(FAULTY, &config).unwrap();
        let mut g = good.instantiate_fresh(&wasm).unwrap();
        let mut b = bad.instantiate_fresh(&wasm).unwrap();
        use wasmlab_contract::Val::I32;
        assert_eq!(g.call("add", &[I32(2), I32(3)]).unwrap(), vec![I32(5)]);
        assert_eq!(b.call("add", &[I32(2), I32(3)]).unwrap(), vec![I32(5)]);
        assert_eq!(g.call("add", &[I32(0x50), I32(0x0a)]).unwrap(), vec![I32(0x5a)]);
        assert_eq!(b.call("add", &[I32(0x50), I32(0x0a)]).unwrap(), vec![I32(0x5b)]);
        assert_eq!(g.call("xor", &[I32(0x150), I32(0x0a)]).unwrap(), vec![I32(0x15a)]);
        assert_eq!(b.call("xor", &[I32(0x150), I32(0x0a)]).unwrap(), vec![I32(0x15b)]);
        assert_eq!(b.call("xor", &[I32(0x150), I32(0x0b)]).unwrap(), vec![I32(0x15b)]);
    }

    #[test]
    fn planted_table_fault_swaps_segment_entries() {
        let wasm = wat::parse_str(
            r#"(module (table (export "t") 3 funcref)
                 (func $f (export "f") (result i32) i32.const 1)
                 (func $g (export "g") (result i32) i32.const 2)
                 (elem (i32.const 0) func $f $g $f)
                 (func (export "first") (result i32) i32.const 0 call_indirect (result i32)))"#,
        )
        .unwrap();
        let faulty = plant_table_fault(&wasm).unwrap();
        Features::WASM2.check(&faulty).unwrap();
        let config = EngineConfig::default();
        let good = wasmlab_registry::create("wasmi", &config).unwrap();
        let bad = create(FAULTY_TABLE, &config).unwrap();
        let (mut g, mut b) = (good.instantiate_fresh(&wasm).unwrap(), bad.instantiate_fresh(&wasm).unwrap());
        use wasmlab_contract::Val;
        assert_eq!(g.call("first", &[]).unwrap(), vec![Val::I32(1)]);
        assert_eq!(b.call("first", &[]).unwrap(), vec![Val::I32(2)]);
        let export_of = |inst: &mut Box<dyn wasmlab_contract::Instance>, i: usize| match inst.table("t").unwrap()[i] {
            Val::FuncRef(Some(h)) => inst.describe_func(h).unwrap().export,
            other => panic!("{other:?}"),
        };
        assert_eq!(export_of(&mut g, 0).as_deref(), Some("f"));
        assert_eq!(export_of(&mut b, 0).as_deref(), Some("g"));
        assert_eq!(export_of(&mut b, 2).as_deref(), Some("f"), "only the first two are swapped");
    }
}
