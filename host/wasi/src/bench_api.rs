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
}

#[derive(Default)]
struct State {
    open: Option<Instant>,
    total: Duration,
    regions: u32,
}

impl BenchRegion {
    pub fn new() -> Arc<BenchRegion> {
        Arc::default()
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
                let mut s = r.state.lock().unwrap();
                if s.open.is_some() {
                    return Err(Trap::HostError);
                }
                s.open = Some(Instant::now());
                Ok(Vec::new())
            })),
        );
        let r = Arc::clone(self);
        imports.define(
            MODULE,
            "end",
            Import::Func(HostFunc::new(ty, move |_| {
                let now = Instant::now();
                let mut s = r.state.lock().unwrap();
                let start = s.open.take().ok_or(Trap::HostError)?;
                s.total += now - start;
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

    /// Whether a region was started and never ended.
    pub fn is_open(&self) -> bool {
        self.state.lock().unwrap().open.is_some()
    }
}

/// Whether a module's imports use the protocol (`bench.start` / `bench.end`).
pub fn uses_protocol(iface: &wasmlab_contract::ModuleInterface) -> bool {
    iface.imports.iter().any(|i| i.module == MODULE)
}
