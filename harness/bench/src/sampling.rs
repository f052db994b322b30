//! What both measurements (the kernels in [`crate::measure`], the WASI
//! commands in [`crate::commands`]) share: the plan of a mode (sample
//! counts, time budgets), each engine's slot of samples, calls guarded
//! against a panicking engine, and the peak-memory report of a child.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use wasmlab_contract::{Engine, Error, Instance};

use crate::counters::Sampler;
use crate::results::{Run, Status};

/// Sample counts and time budgets of a mode.
pub(crate) struct Plan {
    pub(crate) startup_samples: usize,
    /// Execution rounds (one call per engine each) at least and at most.
    pub(crate) min_rounds: usize,
    pub(crate) max_rounds: usize,
    /// Wall time per program after which no new round starts once
    /// `min_rounds` are done.
    pub(crate) exec_budget: Duration,
    /// Short calls per engine: enough for a p99 that is not one outlier.
    pub(crate) short_calls: usize,
}

impl Plan {
    pub(crate) fn for_mode(quick: bool) -> Plan {
        if quick {
            Plan {
                startup_samples: 3,
                min_rounds: 5,
                max_rounds: 60,
                exec_budget: Duration::from_millis(800),
                short_calls: 3000,
            }
        } else {
            Plan {
                startup_samples: 10,
                min_rounds: 10,
                max_rounds: 300,
                exec_budget: Duration::from_secs(8),
                short_calls: 20_000,
            }
        }
    }
}

/// One engine's state while a program is being measured.
pub(crate) struct Slot {
    pub(crate) name: String,
    pub(crate) engine: Option<Box<dyn Engine>>,
    /// Why the engine could not be created.
    pub(crate) create_error: Option<String>,
    pub(crate) run: Run,
    pub(crate) compile: Vec<f64>,
    pub(crate) instantiate: Vec<f64>,
    pub(crate) first_call: Vec<f64>,
    pub(crate) total: Vec<f64>,
    pub(crate) exec: Vec<f64>,
    /// Every call of `run(arg)` on the execution instance, the first
    /// (warm-up) one included: the from-cold series.
    pub(crate) cold: Vec<f64>,
    /// Process CPU time of the same startup samples and calls.
    pub(crate) total_cpu: Vec<f64>,
    pub(crate) exec_cpu: Vec<f64>,
    pub(crate) instance: Option<Box<dyn Instance>>,
    /// The engine's counters over the program.
    pub(crate) counters: Option<Sampler>,
}

impl Slot {
    pub(crate) fn failed(&self) -> bool {
        self.run.status != Status::Ok
    }

    pub(crate) fn fail(&mut self, status: Status, message: String) {
        if !self.failed() {
            self.run.status = status;
            self.run.error = Some(message);
        }
        self.instance = None;
    }

    pub(crate) fn reset(&mut self, program: &str) {
        self.run = blank_run(&self.name, program);
        self.compile.clear();
        self.instantiate.clear();
        self.first_call.clear();
        self.total.clear();
        self.exec.clear();
        self.cold.clear();
        self.total_cpu.clear();
        self.exec_cpu.clear();
        self.instance = None;
        self.counters = self.engine.as_deref().map(|e| Sampler::start(&read_counters(e)));
        if let Some(e) = &self.create_error {
            self.run.status = Status::Error;
            self.run.error = Some(format!("engine unavailable: {e}"));
        }
    }

    /// Reads the engine's counters after a measured sample; `after` names it.
    pub(crate) fn sample_counters(&mut self, after: impl FnOnce() -> String) {
        if let (Some(engine), Some(sampler)) = (self.engine.as_deref(), self.counters.as_mut()) {
            sampler.sample(&read_counters(engine), after);
        }
    }
}

/// An engine's counters; none from an engine that panics reading them (it
/// is measured, not trusted).
pub(crate) fn read_counters(engine: &dyn Engine) -> Vec<(&'static str, u64)> {
    catch_unwind(AssertUnwindSafe(|| engine.counters())).unwrap_or_default()
}

pub(crate) fn blank_run(engine: &str, program: &str) -> Run {
    Run {
        engine: engine.to_string(),
        program: program.to_string(),
        status: Status::Ok,
        error: None,
        checksum: None,
        cold_compile_ms: None,
        startup: None,
        exec: None,
        exec_cold: None,
        exec_cpu: None,
        startup_cpu: None,
        code_bytes: None,
        memory: None,
        ratios: Default::default(),
        counters: None,
    }
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs `f`, turning a panic inside an engine into an internal error so one
/// broken engine cannot stop the benchmark.
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        Err(Error::Internal(format!("engine panicked: {msg}")))
    })
}

pub(crate) fn status_of(e: &Error) -> Status {
    if matches!(e, Error::Unsupported(_)) { Status::Unsupported } else { Status::Error }
}

pub(crate) fn cpu_between(start: Option<Duration>, end: Option<Duration>) -> Option<Duration> {
    Some(end?.saturating_sub(start?))
}

/// What `wasmlab bench-child` prints: one JSON line.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct ChildReport {
    pub peak_rss_bytes: u64,
    pub base_rss_bytes: u64,
    pub checksum: i64,
}

/// Peak resident set size of this process so far (`VmHWM`).
pub fn peak_rss_bytes() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("peak RSS needs /proc/self/status (Linux): {e}"))?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).ok_or("no VmHWM in /proc/self/status")?;
    let kb: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .map_err(|e| format!("bad VmHWM line `{line}`: {e}"))?;
    Ok(kb * 1024)
}
