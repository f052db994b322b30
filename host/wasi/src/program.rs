//! Running a WASI command (`_start`) on one engine: the same host for every
//! engine, and one account of how the program ended.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmlab_contract::{Engine, Error, ExternKind, FuncType, Imports, Module, ModuleInterface, Trap};

use crate::{BenchRegion, Wasi, WasiConfig, bench_api};

/// How a program ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// `_start` returned (status 0) or the program called `proc_exit`.
    Exited(i32),
    /// Execution trapped; `detail` says why when a WASI call failed.
    Trapped { trap: Trap, detail: Option<String> },
}

impl Ended {
    /// A trap as one line: the trap, and the failing WASI call if any.
    pub fn trap_text(&self) -> Option<String> {
        match self {
            Ended::Exited(_) => None,
            Ended::Trapped { trap, detail: Some(d) } => Some(format!("{trap} (in WASI {d})")),
            Ended::Trapped { trap, detail: None } => Some(trap.to_string()),
        }
    }

    /// The status a process running the program exits with: its own, or
    /// 128 + SIGABRT's number for a trap, as shells show an abort.
    pub fn process_status(&self) -> i32 {
        match self {
            Ended::Exited(c) => *c,
            Ended::Trapped { .. } => 134,
        }
    }
}

/// One run of a program.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub ended: Ended,
    /// Captured output (empty when inherited).
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// How often each WASI function was called (those that were).
    pub calls: Vec<(&'static str, u64)>,
    /// The Sightglass-timed region (`bench.start`..`bench.end`), when the
    /// program marked one.
    pub region: Option<Duration>,
    /// The region's second clock ([`BenchRegion::with_cpu_clock`]).
    pub region_cpu: Option<Duration>,
    pub instantiate: Duration,
    /// `_start` from call to return.
    pub run: Duration,
    /// `_start` from call to the first `bench.start`: the program's own
    /// start-up (libc, reading input), when it marks a region.
    pub to_region: Option<Duration>,
    /// The wasm frames of a trap, where the engine records them.
    pub backtrace: Option<Vec<String>>,
}

/// Whether `iface` is a WASI command: it exports `_start: [] -> []`.
pub fn check_command(iface: &ModuleInterface) -> Result<(), Error> {
    match iface.export("_start").map(|e| &e.kind) {
        Some(ExternKind::Func(t)) if *t == FuncType::new([], []) => Ok(()),
        Some(other) => Err(Error::Usage(format!("'_start' is a {other}, not a function [] -> []"))),
        None => Err(Error::Usage("not a WASI command: the module exports no '_start' function".into())),
    }
}

/// Instantiates `module` on `engine` with WASI (as `config` says) and the
/// Sightglass imports, and runs `_start`. A link failure (an import that is
/// neither) or an engine failure is an error; a trap is an outcome.
pub fn run_command(
    engine: &dyn Engine,
    module: &dyn Module,
    iface: &ModuleInterface,
    config: &WasiConfig,
) -> Result<Outcome, Error> {
    run_command_in(engine, module, iface, config, &BenchRegion::new())
}

/// [`run_command`] timing the Sightglass region with `region` (fresh for
/// each run: it sums every region it sees).
pub fn run_command_in(
    engine: &dyn Engine,
    module: &dyn Module,
    iface: &ModuleInterface,
    config: &WasiConfig,
    region: &Arc<BenchRegion>,
) -> Result<Outcome, Error> {
    check_command(iface)?;
    let wasi = Wasi::new(config)?;
    let mut imports = Imports::new();
    wasi.define(&mut imports);
    region.define(&mut imports);
    let start = Instant::now();
    let mut store = engine.new_store();
    let instance = store.instantiate(module, &imports);
    let instantiate = start.elapsed();
    let start = Instant::now();
    let mut backtrace = None;
    let result = instance.and_then(|mut i| {
        let r = i.call("_start", &[]);
        if r.is_err() {
            backtrace = i.last_backtrace();
        }
        r
    });
    let run = start.elapsed();
    let ended = match result {
        Ok(_) => Ended::Exited(0),
        Err(Error::Trap(Trap::HostError)) if wasi.exit_code().is_some() => Ended::Exited(wasi.exit_code().unwrap()),
        Err(Error::Trap(trap)) => Ended::Trapped { trap, detail: wasi.failure() },
        Err(e) => return Err(e),
    };
    let (measured, regions) = region.measured();
    let trapped = matches!(ended, Ended::Trapped { .. });
    Ok(Outcome {
        ended,
        stdout: wasi.stdout(),
        stderr: wasi.stderr(),
        calls: wasi.calls(),
        region: (bench_api::uses_protocol(iface) && regions > 0).then_some(measured),
        region_cpu: region.measured_cpu().filter(|_| regions > 0),
        instantiate,
        run,
        to_region: region.first_start().map(|t| t.saturating_duration_since(start)).filter(|_| regions > 0),
        backtrace: if trapped { backtrace } else { None },
    })
}
