//! The Sightglass benchmark protocol: a module importing `bench.start` and
//! `bench.end` (no parameters, no results) marks the region to be timed.
//! Under `wasmlab run` the calls only record; benchmarks read the region.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use wasmlab_contract::{FuncType, HostFunc, Import, Imports, Trap};

/// The import module of the protocol.
pub const MODULE: &str = "bench";

/// The timed region of one run: the sum of every `start`..`end` pair.
#[derive(Default)]
pub struct BenchRegion {
    state: Mutex<State>,
    /// A second clock read at the same points (a benchmark's process CPU
    /// time), when one is given.
    cpu_clock: Option<fn() -> Option<Duration>>,
}

#[derive(Default)]
struct State {
    open: Option<(Instant, Option<Duration>)>,
    first: Option<Instant>,
    total: Duration,
    cpu: Option<Duration>,
    regions: u32,
}

impl BenchRegion {
    pub fn new() -> Arc<BenchRegion> {
        Arc::default()
    }

    /// A region that also sums `cpu_clock` (e.g. process CPU time) over the
    /// same stretches.
    pub fn with_cpu_clock(cpu_clock: fn() -> Option<Duration>) -> Arc<BenchRegion> {
        Arc::new(BenchRegion { state: Mutex::default(), cpu_clock: Some(cpu_clock) })
    }

    fn cpu_now(&self) -> Option<Duration> {
        self.cpu_clock.and_then(|c| c())
    }

    /// Defines `bench.start` and `bench.end` in `imports`. An `end` with no
    /// `start` before it, or a `start` inside a region, is a protocol error:
    /// the program traps rather than produce a figure that means nothing.
    pub fn define(self: &Arc<Self>, imports: &mut Imports) {
        let ty = FuncType::new([], []);
        let r = Arc::clone(self);
        imports.define(
            MODULE,
            "start",
            Import::Func(HostFunc::new(ty.clone(), move |_| {
                let cpu = r.cpu_now();
                let mut s = r.state.lock().unwrap();
                if s.open.is_some() {
                    return Err(Trap::HostError);
                }
                let now = Instant::now();
                s.first.get_or_insert(now);
                s.open = Some((now, cpu));
                Ok(Vec::new())
            })),
        );
        let r = Arc::clone(self);
        imports.define(
            MODULE,
            "end",
            Import::Func(HostFunc::new(ty, move |_| {
                let now = Instant::now();
                let cpu = r.cpu_now();
                let mut s = r.state.lock().unwrap();
                let (start, cpu_start) = s.open.take().ok_or(Trap::HostError)?;
                s.total += now - start;
                s.cpu = match (s.regions, cpu, cpu_start) {
                    (0, Some(b), Some(a)) => Some(b.saturating_sub(a)),
                    (_, Some(b), Some(a)) => s.cpu.map(|c| c + b.saturating_sub(a)),
                    _ => None,
                };
                s.regions += 1;
                Ok(Vec::new())
            })),
        );
    }

    /// The time inside completed regions, and how many there were.
    pub fn measured(&self) -> (Duration, u32) {
        let s = self.state.lock().unwrap();
        (s.total, s.regions)
    }

    /// When the first region started.
    pub fn first_start(&self) -> Option<Instant> {
        self.state.lock().unwrap().first
    }

    /// The second clock over the same regions, when there is one.
    pub fn measured_cpu(&self) -> Option<Duration> {
        self.state.lock().unwrap().cpu
    }

    /// Whether a region was started and never ended.
    pub fn is_open(&self) -> bool {
        self.state.lock().unwrap().open.is_some()
    }
}

/// Whether a module's imports use the protocol (`bench.start` / `bench.end`).
pub fn uses_protocol(iface: &wasmlab_contract::ModuleInterface) -> bool {
    iface.imports.iter().any(|i| i.module == MODULE)
}
