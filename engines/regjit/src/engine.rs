//! The engines: `regjit` compiles every function of a module before the
//! first call; `regjit-tiered` starts every function in the interpreter and
//! compiles the hot ones (by call count, or by loop back-edges, entering
//! the running loop by on-stack replacement).
//!
//! Both are the interpreter's runtime with native entries installed
//! ([`wasmlab_runtime::tier`]): stores, instances and host calls are
//! `interp`'s, so the three agree on everything but the code that runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use wasmlab_contract::{Engine, EngineConfig, Features, Module, Result, Store};
use wasmlab_interp::exec::{Code, native_calls};
use wasmlab_interp::{InterpEngine, InterpModule};
use wasmlab_regir::Func;
use wasmlab_runtime::{ModuleInfo, Osr, TierUp, Tiering};

use crate::compile::{Fault, HostCalls, Options};
use crate::link::{self, Compiled};

/// Calls after which `regjit-tiered` compiles a function, by default.
pub const DEFAULT_TIER_CALLS: u32 = 100;
/// Back-edges after which it enters a running loop's compiled code.
pub const DEFAULT_TIER_LOOPS: u32 = 10_000;

fn host_calls() -> HostCalls {
    HostCalls {
        call_ref: native_calls::call_ref as *const () as usize,
        call_defined: native_calls::call_defined as *const () as usize,
    }
}

fn options(config: &EngineConfig, fault: Option<Fault>, whole_module: bool) -> Options {
    Options {
        fuel: config.fuel.is_some(),
        direct_calls: whole_module,
        osr: !whole_module,
        host: host_calls(),
        fault,
        max_instrs: crate::compile::MAX_FUNC_INSTRS,
    }
}

/// `regjit`: the compiler alone.
pub struct RegjitEngine {
    interp: InterpEngine,
    opts: Options,
    name: &'static str,
}

impl RegjitEngine {
    pub fn new(config: &EngineConfig) -> RegjitEngine {
        RegjitEngine::with_fault(config, None, "regjit")
    }

    /// An engine whose code generator carries a planted fault (tests of
    /// the campaigns only), registered under `name`.
    pub fn with_fault(config: &EngineConfig, fault: Option<Fault>, name: &'static str) -> RegjitEngine {
        RegjitEngine { interp: InterpEngine::new(config), opts: options(config, fault, true), name }
    }

    /// Functions of more than `n` IR instructions are refused with
    /// `ResourceLimit`.
    pub fn with_max_instrs(mut self, n: usize) -> RegjitEngine {
        self.opts.max_instrs = n;
        self
    }
}

impl Engine for RegjitEngine {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
    fn features(&self) -> Features {
        self.interp.features()
    }
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        let (info, funcs) = self.interp.compile_parts(wasm)?;
        let all: Vec<u32> = (0..funcs.len() as u32).collect();
        let compiled = link::compile(&info, &funcs, &all, &self.opts)?;
        let module = InterpModule::new(info, &funcs);
        let code = module.code();
        for (k, p) in compiled.funcs.iter().enumerate() {
            code.set_native(p.func, compiled.entry(k));
        }
        code.add_native_bytes(compiled.bytes());
        code.keep(compiled.code.clone());
        Ok(Box::new(module))
    }
    fn new_store(&self) -> Box<dyn Store> {
        self.interp.new_store()
    }
}

/// What a tiered engine did, over every module it compiled.
#[derive(Default, Debug)]
pub struct TierStats {
    pub tier_ups: AtomicU64,
    pub osr_entries: AtomicU64,
    pub refused: AtomicU64,
}

/// `regjit-tiered`: interpreter first, hot functions compiled.
pub struct TieredEngine {
    interp: InterpEngine,
    opts: Options,
    calls: u32,
    loops: u32,
    stats: Arc<TierStats>,
}

impl TieredEngine {
    pub fn new(config: &EngineConfig) -> TieredEngine {
        TieredEngine {
            interp: InterpEngine::new(config),
            opts: options(config, None, false),
            calls: config.tier_calls.unwrap_or(DEFAULT_TIER_CALLS).max(1),
            loops: config.tier_loops.unwrap_or(DEFAULT_TIER_LOOPS).max(1),
            stats: Arc::default(),
        }
    }

    /// Functions of more than `n` IR instructions are not compiled (they
    /// stay interpreted): the bound on what one compile may cost.
    pub fn with_max_instrs(mut self, n: usize) -> TieredEngine {
        self.opts.max_instrs = n;
        self
    }

    pub fn stats(&self) -> &TierStats {
        &self.stats
    }
}

impl Engine for TieredEngine {
    fn name(&self) -> &'static str {
        "regjit-tiered"
    }
    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }
    fn features(&self) -> Features {
        self.interp.features()
    }
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        let (info, funcs) = self.interp.compile_parts(wasm)?;
        let module = InterpModule::new(info.clone(), &funcs);
        let hook = Hook {
            compiled: Mutex::new(vec![None; funcs.len()]),
            info,
            funcs,
            opts: self.opts,
            code: Arc::downgrade(module.code()),
            stats: self.stats.clone(),
        };
        module.code().set_tiering(Tiering { calls: self.calls, loops: self.loops, hook: Arc::new(hook) });
        Ok(Box::new(module))
    }
    fn new_store(&self) -> Box<dyn Store> {
        self.interp.new_store()
    }
    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("tier-ups", self.stats.tier_ups.load(Ordering::Relaxed)),
            ("osr-entries", self.stats.osr_entries.load(Ordering::Relaxed)),
            ("compile-refused", self.stats.refused.load(Ordering::Relaxed)),
        ]
    }
}

/// A function's tier: `None` while interpreted, then its code, or `Err`
/// once refused.
type TierState = Option<std::result::Result<Arc<Compiled>, ()>>;

/// One module's tier-up compiler.
struct Hook {
    info: Arc<ModuleInfo>,
    funcs: Vec<Func>,
    opts: Options,
    compiled: Mutex<Vec<TierState>>,
    code: Weak<Code>,
    stats: Arc<TierStats>,
}

impl Hook {
    fn get(&self, func: u32) -> Option<Arc<Compiled>> {
        let mut all = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        let slot = all.get_mut(func as usize)?;
        if let Some(done) = slot {
            return done.clone().ok();
        }
        match link::compile(&self.info, &self.funcs, &[func], &self.opts) {
            Ok(c) => {
                let c = Arc::new(c);
                if let Some(code) = self.code.upgrade() {
                    code.add_native_bytes(c.bytes());
                }
                self.stats.tier_ups.fetch_add(1, Ordering::Relaxed);
                *slot = Some(Ok(c.clone()));
                Some(c)
            }
            Err(_) => {
                // Too large or otherwise refused: it keeps being interpreted.
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
                *slot = Some(Err(()));
                None
            }
        }
    }
}

impl TierUp for Hook {
    fn compile(&self, func: u32) -> Option<usize> {
        self.get(func).map(|c| c.entry(0))
    }
    fn osr_entry(&self, func: u32, pc: u32) -> Osr {
        let Some(c) = self.get(func) else { return Osr::No };
        // Later calls start in compiled code too: the function is hot.
        if let Some(code) = self.code.upgrade() {
            code.set_native(func, c.entry(0));
        }
        let Some(e) = c.osr_entry(0, pc) else { return Osr::No };
        self.stats.osr_entries.fetch_add(1, Ordering::Relaxed);
        Osr::Entry(e)
    }
}

/// The listing of the code `regjit` generates for `wasm`: every defined
/// function, or only `func` (function index space).
pub fn asm(wasm: &[u8], func: Option<u32>) -> Result<String> {
    let info = ModuleInfo::new(wasm, Features::WASM2_NO_SIMD)?;
    let funcs = wasmlab_regir::translate_module(&info, wasm)?;
    let imported = info.num_imported_funcs;
    let which: Vec<u32> = info.defined_funcs(func)?.collect();
    let opts = options(&EngineConfig::default(), None, func.is_none());
    let compiled = link::compile(&info, &funcs, &which, &opts)?;
    let mut names = wasmlab_native::helpers::names();
    names.push((opts.host.call_ref, "call_ref"));
    names.push((opts.host.call_defined, "call_defined"));
    let mut out = String::new();
    for p in &compiled.funcs {
        out.push_str(&crate::listing::function(&compiled, p, &funcs[p.func as usize], p.func + imported, &names));
        out.push('\n');
    }
    Ok(out)
}
