//! The engines: `tjit` compiles every function of a module before the
//! first call (the compiler alone); `tjit-tiered` starts every function in
//! the interpreter and compiles the hot ones in the background into the
//! code cache, entering hot loops by on-stack replacement.
//!
//! Both are the interpreter's runtime with native entries installed
//! (`wasmlab_runtime::tier`): stores, instances and host calls are
//! `interp`'s, so they agree with it on everything but the code that runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmlab_contract::{Engine, EngineConfig, Features, Module, Result, Store};
use wasmlab_interp::exec::native_calls;
use wasmlab_interp::{InterpEngine, InterpModule};
use wasmlab_runtime::{ModuleInfo, Tiering};

use crate::cache::Cache;
use crate::compile::{self, Compiled, Prepared};
use crate::expand::{Fault, Host, Options};
use crate::stats::Stats;
use crate::template;
use crate::tier::{Hook, Workers};

/// Calls after which `tjit-tiered` compiles a function, by default.
pub const DEFAULT_TIER_CALLS: u32 = 50;
/// Back-edges after which it enters a running loop's compiled code.
pub const DEFAULT_TIER_LOOPS: u32 = 2_000;
/// The code cache's default budget (templates included).
pub const DEFAULT_CACHE_BYTES: usize = 4 << 20;
pub const DEFAULT_QUEUE: usize = 32;
pub const DEFAULT_WORKERS: usize = 1;
/// Functions of more operators are not compiled.
pub const MAX_FUNC_OPS: usize = 1 << 20;

fn host() -> Host {
    Host {
        call_ref: native_calls::call_ref as *const () as usize,
        call_defined: native_calls::call_defined as *const () as usize,
    }
}

fn options(config: &EngineConfig, fault: Option<Fault>, osr: bool) -> Options {
    Options { fuel: config.fuel.is_some(), host: host(), fault, max_ops: MAX_FUNC_OPS, osr, touch: None }
}

/// `tjit`: every function compiled before the first call.
pub struct TjitEngine {
    interp: InterpEngine,
    opts: Options,
    name: &'static str,
    stats: Arc<Stats>,
}

impl TjitEngine {
    pub fn new(config: &EngineConfig) -> TjitEngine {
        TjitEngine::with_fault(config, None, "tjit")
    }

    /// An engine whose compiler carries a planted fault (tests only),
    /// registered under `name`.
    pub fn with_fault(config: &EngineConfig, fault: Option<Fault>, name: &'static str) -> TjitEngine {
        TjitEngine {
            interp: InterpEngine::new(config),
            opts: options(config, fault, false),
            name,
            stats: Arc::default(),
        }
    }
}

/// Compiles `funcs` of a module, on several threads when there is much
/// to do (compile time is part of what the engine is judged on).
fn compile_all(info: &ModuleInfo, wasm: &[u8], n: usize, opts: &Options) -> Result<Vec<Compiled>> {
    let prepared: Vec<Prepared> = wasmlab_runtime::par::map(
        n,
        |k| info.bodies[k].len(),
        wasmlab_runtime::par::PARALLEL_FROM,
        |k| compile::prepare(info, wasm, k, opts).map_err(|f| f.into_error()),
        "tjit",
    )?;
    // One mapping for the module: neighbours in memory, as in the module.
    compile::publish(prepared, 0).map_err(|f| f.into_error())
}

impl Engine for TjitEngine {
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
        let compiled = compile_all(&info, wasm, funcs.len(), &self.opts)?;
        let module = InterpModule::new(info, &funcs);
        let code = module.code();
        let mut bytes = 0;
        for (k, c) in compiled.iter().enumerate() {
            code.set_native(k as u32, c.entry());
            bytes += c.len();
            Stats::add(&self.stats.compile_ns, c.nanos);
            Stats::add(&self.stats.compiled_wasm_bytes, c.wasm_bytes as u64);
        }
        Stats::add(&self.stats.compiles, compiled.len() as u64);
        Stats::add(&self.stats.code_bytes, bytes as u64);
        code.add_native_bytes(bytes);
        code.keep(Arc::new(compiled));
        Ok(Box::new(module))
    }
    fn new_store(&self) -> Box<dyn Store> {
        self.interp.new_store()
    }
    fn counters(&self) -> Vec<(&'static str, u64)> {
        let s = self.stats.counters();
        let keep = ["compiles", "compile-ns", "compiled-wasm-bytes", "code-bytes"];
        s.into_iter().filter(|(k, _)| keep.contains(k)).collect()
    }
}

/// `tjit-tiered`: interpreter first, hot functions compiled in the
/// background into a code cache.
pub struct TieredEngine {
    interp: InterpEngine,
    opts: Options,
    calls: u32,
    loops: u32,
    stats: Arc<Stats>,
    cache: Arc<Cache>,
    workers: Option<Workers>,
    next_module: AtomicU64,
    name: &'static str,
}

impl TieredEngine {
    pub fn new(config: &EngineConfig) -> TieredEngine {
        TieredEngine::with_fault(config, None, "tjit-tiered")
    }

    pub fn with_fault(config: &EngineConfig, fault: Option<Fault>, name: &'static str) -> TieredEngine {
        let stats: Arc<Stats> = Arc::default();
        let budget = config.code_cache_bytes.unwrap_or(DEFAULT_CACHE_BYTES);
        let cache = Arc::new(Cache::new(budget, template::library_bytes(), stats.clone()));
        let workers = (!config.deterministic_tiering).then(|| {
            Workers::start(
                config.compile_workers.unwrap_or(DEFAULT_WORKERS).clamp(1, 2),
                config.compile_queue.unwrap_or(DEFAULT_QUEUE),
            )
        });
        TieredEngine {
            interp: InterpEngine::new(config),
            opts: options(config, fault, true),
            calls: config.tier_calls.unwrap_or(DEFAULT_TIER_CALLS).max(1),
            loops: config.tier_loops.unwrap_or(DEFAULT_TIER_LOOPS).max(1),
            stats,
            cache,
            workers,
            next_module: AtomicU64::new(0),
            name,
        }
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    pub fn cache(&self) -> &Cache {
        &self.cache
    }
}

impl Engine for TieredEngine {
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
        let module = InterpModule::new(info.clone(), &funcs);
        let code = module.code();
        code.set_reclaiming();
        let hook = Hook::new(
            self.next_module.fetch_add(1, Ordering::Relaxed),
            info,
            Arc::from(wasm),
            &funcs,
            self.opts,
            Arc::downgrade(code),
            self.cache.clone(),
            self.stats.clone(),
            self.workers.as_ref(),
        );
        code.set_tiering(Tiering { calls: self.calls, loops: self.loops, hook });
        Ok(Box::new(module))
    }
    fn new_store(&self) -> Box<dyn Store> {
        self.interp.new_store()
    }
    fn counters(&self) -> Vec<(&'static str, u64)> {
        self.stats.counters()
    }
}

/// The listing of the code `tjit` generates for `wasm`: every defined
/// function, or only `func` (function index space).
pub fn asm(wasm: &[u8], func: Option<u32>) -> Result<String> {
    let info = ModuleInfo::new(wasm, Features::WASM2_NO_SIMD)?;
    let imported = info.num_imported_funcs;
    let which: Vec<u32> = info.defined_funcs(func)?.collect();
    let opts = options(&EngineConfig::default(), None, false);
    let mut names = wasmlab_native::helpers::names();
    names.push((opts.host.call_ref, "call_ref"));
    names.push((opts.host.call_defined, "call_defined"));
    let mut out = String::new();
    for k in which {
        let c = compile::function(&info, wasm, k as usize, &opts, 0).map_err(|f| f.into_error())?;
        out.push_str(&crate::listing::function(&c, k + imported, &names));
        out.push('\n');
    }
    Ok(out)
}
