//! The results file: everything one `wasmlab bench` run measured, as JSON.
//!
//! Reports and gates read only this file, so it carries its own context
//! (machine, commit, mode, the corpus workloads) and the ratios against
//! the reference engines computed from the same run. The lab's main job may
//! add the spec-suite and differential-campaign summaries ([`Results::spec`],
//! [`Results::diff`]); reports show them and gates compare them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::BenchError;

/// Version of the file format; bumped when a reader would misread an old file.
pub const SCHEMA: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Results {
    pub schema: u32,
    /// When the run started, RFC 3339 (UTC).
    pub created: String,
    /// `git rev-parse HEAD` of the checkout that ran, when there is one.
    #[serde(default)]
    pub git_commit: Option<String>,
    pub machine: Machine,
    /// A `--quick` run (quick arguments, fewer samples).
    pub quick: bool,
    pub engines: Vec<EngineInfo>,
    pub programs: Vec<ProgramInfo>,
    /// One per engine and program.
    pub runs: Vec<Run>,
    /// Spec-suite counts per engine, when the run included the suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<BTreeMap<String, SpecCounts>>,
    /// Summary of a differential campaign, when the run included one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<DiffSummary>,
    /// Latency of short calls on every engine, measured side by side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_calls: Option<ShortCalls>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// Logical cores available to the process.
    pub cores: usize,
    /// Operating system and kernel release.
    pub os: String,
    pub arch: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineInfo {
    pub name: String,
    /// Version, or the reason the engine could not be created.
    pub version: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProgramInfo {
    pub name: String,
    pub kind: String,
    /// Argument of `run` in this run.
    pub arg: i32,
    /// The checksum every engine must produce, from the manifest.
    pub expected: Option<i64>,
    /// Size of the `.wasm` file.
    pub wasm_bytes: u64,
}

/// The outcome of one engine on one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Ran, and every call returned the expected checksum.
    Ok,
    /// Ran, but returned a wrong checksum: no timings are kept.
    ChecksumMismatch,
    /// Compile, instantiate or a call failed (trap, internal error, panic).
    Error,
    /// The engine does not support a feature the program needs.
    Unsupported,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::ChecksumMismatch => "checksum mismatch",
            Status::Error => "error",
            Status::Unsupported => "unsupported",
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    pub engine: String,
    pub program: String,
    pub status: Status,
    /// What went wrong, when the status is not `ok`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What `run(arg)` returned (the first wrong value on a mismatch).
    #[serde(default)]
    pub checksum: Option<i64>,
    /// First compile of the run, with cold caches (for wasmtime-aot: the
    /// real ahead-of-time compile that fills its artifact cache).
    #[serde(default)]
    pub cold_compile_ms: Option<f64>,
    #[serde(default)]
    pub startup: Option<Startup>,
    /// Latency of `run(arg)` on a warm instance.
    #[serde(default)]
    pub exec: Option<Dist>,
    /// Latency of `run(arg)` from cold: every call on a freshly compiled
    /// and instantiated module, the first one included, so lazy compilation
    /// and tier-up are in it (for a tiered engine, the calls before and
    /// while hot code is promoted). `exec` is the same calls but the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_cold: Option<Dist>,
    /// CPU time of the process for the same calls. Unlike wall time it
    /// does not grow while the process waits for a core, so on a shared
    /// machine it is the steadier figure (and it counts an engine's
    /// background threads).
    #[serde(default)]
    pub exec_cpu: Option<Dist>,
    /// CPU time of the process for the startup samples (all three phases;
    /// counts parallel compiler threads too).
    #[serde(default)]
    pub startup_cpu: Option<Dist>,
    /// Bytes of machine code generated for the module, where the engine can tell.
    #[serde(default)]
    pub code_bytes: Option<u64>,
    #[serde(default)]
    pub memory: Option<MemoryUse>,
    #[serde(default)]
    pub ratios: Ratios,
    /// What the engine counted while this program was measured, for
    /// engines that count anything ([`wasmlab_contract::Engine::counters`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<Counters>,
}

/// Startup phases, each timed on its own over repeated samples (warm
/// caches: for wasmtime-aot, compile is the artifact cache lookup and
/// deserialization).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Startup {
    /// Decode, validate, compile.
    pub compile_ms: Dist,
    /// New store and instantiate.
    pub instantiate_ms: Dist,
    /// First call, `run(0)`: the smallest unit of work, so this is the cost
    /// of getting going (lazy compilation, tiering), not of the workload.
    pub first_call_ms: Dist,
    /// The three together, per sample.
    pub total_ms: Dist,
}

/// A distribution of times in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dist {
    pub samples: usize,
    pub min: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

impl Dist {
    /// Summarizes samples (milliseconds); `None` for no samples.
    /// Percentiles are nearest-rank: always one of the measured values.
    pub fn of(samples: &[f64]) -> Option<Dist> {
        if samples.is_empty() {
            return None;
        }
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let rank = |q: f64| s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
        Some(Dist {
            samples: s.len(),
            min: s[0],
            p50: rank(0.50),
            p90: rank(0.90),
            p99: rank(0.99),
            max: s[s.len() - 1],
            mean: s.iter().sum::<f64>() / s.len() as f64,
        })
    }
}

/// Peak resident memory of a child process that ran one engine on one
/// program (compile, instantiate, one `run(arg)`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemoryUse {
    /// Peak RSS (VmHWM) at the end.
    pub peak_rss_bytes: u64,
    /// Peak RSS before the engine did anything: the harness's own share.
    pub base_rss_bytes: u64,
}

/// What an engine counted while one program (or the short calls) was
/// measured: its counters ([`wasmlab_contract::Engine::counters`]) read
/// after every measured sample. [`crate::counters`] takes the samples and
/// derives the figures (compile time per function, queue wait, ...).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    /// How many times the counters were read.
    pub samples: usize,
    /// Growth of every cumulative counter from just before the first
    /// measurement to the last sample.
    #[serde(default)]
    pub totals: BTreeMap<String, u64>,
    /// Gauges and constants ([`crate::counters::GAUGES`]): the largest
    /// value any sample read.
    #[serde(default)]
    pub gauges: BTreeMap<String, u64>,
    /// Whether code cache and templates stayed within the configured
    /// budget, for engines that report both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetCheck>,
}

/// `cache-bytes + template-bytes <= cache-budget-bytes`, checked at every
/// sample (a budget of 0 is unbounded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetCheck {
    pub samples: usize,
    /// Samples that found more bytes in use than the budget allows.
    pub over: usize,
    /// The worst sample: the most bytes over the budget, or when none was
    /// over, the most bytes in use.
    pub worst: BudgetSample,
}

/// The code-cache gauges as one sample read them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetSample {
    /// The measurement the sample followed (`startup 2`, `call 17`, ...).
    pub after: String,
    pub cache_bytes: u64,
    pub template_bytes: u64,
    /// 0 = unbounded.
    pub budget_bytes: u64,
}

impl BudgetSample {
    /// Bytes the budget is charged with.
    pub fn used(&self) -> u64 {
        self.cache_bytes.saturating_add(self.template_bytes)
    }

    pub fn within(&self) -> bool {
        self.budget_bytes == 0 || self.used() <= self.budget_bytes
    }
}

/// The short-call measurement: one tiny exported function called many
/// times on a fresh instance of every engine, the engines taking turns
/// call by call, so the latency tail (tier-up included) of a tiered engine
/// can be set against the interpreter's from the same stretch of time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShortCalls {
    /// What was called.
    pub function: String,
    /// Calls per engine.
    pub calls: usize,
    pub runs: Vec<ShortCallRun>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShortCallRun {
    pub engine: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Every call from the first one on, in milliseconds.
    #[serde(default)]
    pub latency: Option<Dist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counters: Option<Counters>,
}

/// Medians of this run divided by the reference engines' medians on the
/// same program (so > 1 means slower than the reference).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Ratios {
    #[serde(default)]
    pub exec_vs_wasmtime: Option<f64>,
    #[serde(default)]
    pub exec_vs_wasmi: Option<f64>,
    #[serde(default)]
    pub startup_vs_wasmtime: Option<f64>,
    #[serde(default)]
    pub startup_vs_wasmi: Option<f64>,
    /// Least CPU time over wasmtime's least ([`Run::exec_cpu`]): the figure
    /// a shared, loaded machine disturbs least, so the gate compares these.
    #[serde(default)]
    pub exec_cpu_vs_wasmtime: Option<f64>,
    /// The same for startup ([`Run::startup_cpu`]).
    #[serde(default)]
    pub startup_cpu_vs_wasmtime: Option<f64>,
}

/// Spec-suite outcome of one engine (filled in by the lab's main job).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecCounts {
    #[serde(default)]
    pub passed: u64,
    #[serde(default)]
    pub failed: u64,
    #[serde(default)]
    pub skipped: u64,
}

/// Summary of a differential campaign (filled in by the lab's main job, or
/// attached by `wasmlab bench --diff`). The field names are those of
/// `wasmlab diff --json`, so its summary deserializes into this directly
/// (other fields are ignored).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DiffSummary {
    #[serde(default)]
    pub engines: Vec<String>,
    /// The campaign seed: case i is generated from (seed, i), so two
    /// campaigns with the same seed, engines and module count ran the same
    /// cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default)]
    pub seconds: f64,
    /// Modules generated and run.
    #[serde(default)]
    pub modules: u64,
    #[serde(default)]
    pub calls: u64,
    #[serde(default)]
    pub divergences: u64,
    /// Cases that could not be compared (stack exhaustion, resource limits).
    #[serde(default)]
    pub inconclusive: u64,
    /// Cases in which an engine crashed.
    #[serde(default)]
    pub crashes: u64,
    /// Cases in which an engine exceeded the time limit.
    #[serde(default)]
    pub hangs: u64,
    /// Cases the reference (or every other engine) does not support.
    #[serde(default)]
    pub skipped: u64,
    /// Cases whose only divergences are peers' known, excused bugs.
    #[serde(default)]
    pub known: u64,
    /// Cases that could not be generated.
    #[serde(default)]
    pub errors: u64,
    /// Cases in which every engine trapped alike somewhere.
    #[serde(default)]
    pub trapped: u64,
    /// Per engine compared with the reference: cases per outcome.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<PairCounts>,
}

/// How the cases of a campaign ended for one engine against the reference.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairCounts {
    pub reference: String,
    pub engine: String,
    /// Cases per outcome word (`agree`, `skipped`, `diverged`, ...).
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
}

/// The fields of `wasmlab diff --json` the gate relies on, all required:
/// a file without them must not read as a clean campaign of zeros.
#[derive(Deserialize)]
struct DiffJson {
    engines: Vec<String>,
    seed: u64,
    seconds: f64,
    modules: u64,
    calls: u64,
    divergences: u64,
    inconclusive: u64,
    crashes: u64,
    hangs: u64,
    skipped: u64,
    known: u64,
    errors: u64,
    trapped: u64,
    pairs: Vec<PairCounts>,
}

/// Reads the summary `wasmlab diff --json FILE` writes.
pub fn load_diff_json(path: &Path) -> Result<DiffSummary, BenchError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| BenchError::new(format!("cannot read {}: {e}", path.display())))?;
    let d: DiffJson = serde_json::from_str(&text)
        .map_err(|e| BenchError::new(format!("{}: not a `wasmlab diff --json` summary: {e}", path.display())))?;
    Ok(DiffSummary {
        engines: d.engines,
        seed: Some(d.seed),
        seconds: d.seconds,
        modules: d.modules,
        calls: d.calls,
        divergences: d.divergences,
        inconclusive: d.inconclusive,
        crashes: d.crashes,
        hangs: d.hangs,
        skipped: d.skipped,
        known: d.known,
        errors: d.errors,
        trapped: d.trapped,
        pairs: d.pairs,
    })
}

/// The part of `wasmlab wast --json FILE` the results carry.
#[derive(Deserialize)]
struct SpecJson {
    totals: BTreeMap<String, SpecJsonTotals>,
}

#[derive(Deserialize)]
struct SpecJsonTotals {
    passed: u64,
    failed: u64,
    skipped: u64,
}

/// Reads the per-engine totals of `wasmlab wast --json FILE`.
pub fn load_spec_json(path: &Path) -> Result<BTreeMap<String, SpecCounts>, BenchError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| BenchError::new(format!("cannot read {}: {e}", path.display())))?;
    let s: SpecJson = serde_json::from_str(&text)
        .map_err(|e| BenchError::new(format!("{}: not a `wasmlab wast --json` report: {e}", path.display())))?;
    if s.totals.is_empty() {
        return Err(BenchError::new(format!("{}: the spec report has no engine totals", path.display())));
    }
    Ok(s.totals
        .into_iter()
        .map(|(engine, t)| (engine, SpecCounts { passed: t.passed, failed: t.failed, skipped: t.skipped }))
        .collect())
}

/// The reference engines ratios are taken against.
pub const REFERENCES: [&str; 2] = ["wasmtime", "wasmi"];

impl Results {
    pub fn load(path: &Path) -> Result<Results, BenchError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BenchError::new(format!("cannot read {}: {e}", path.display())))?;
        let results: Results = serde_json::from_str(&text)
            .map_err(|e| BenchError::new(format!("{}: not a results file: {e}", path.display())))?;
        if results.schema != SCHEMA {
            return Err(BenchError::new(format!(
                "{}: results schema {} (this wasmlab reads {SCHEMA})",
                path.display(),
                results.schema
            )));
        }
        Ok(results)
    }

    pub fn save(&self, path: &Path) -> Result<(), BenchError> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| BenchError::new(e.to_string()))?;
        text.push('\n');
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| BenchError::new(format!("cannot create {}: {e}", dir.display())))?;
        }
        std::fs::write(path, text).map_err(|e| BenchError::new(format!("cannot write {}: {e}", path.display())))
    }

    pub fn run(&self, engine: &str, program: &str) -> Option<&Run> {
        self.runs.iter().find(|r| r.engine == engine && r.program == program)
    }

    /// An engine's short-call measurement, when the run made one.
    pub fn short_call(&self, engine: &str) -> Option<&ShortCallRun> {
        self.short_calls.as_ref()?.runs.iter().find(|r| r.engine == engine)
    }

    /// Engine names in the order they were run.
    pub fn engine_names(&self) -> Vec<&str> {
        self.engines.iter().map(|e| e.name.as_str()).collect()
    }

    pub fn program_names(&self) -> Vec<&str> {
        self.programs.iter().map(|p| p.name.as_str()).collect()
    }

    /// Fills in every run's ratios from the medians of this run.
    pub fn compute_ratios(&mut self) {
        let exec = |r: &Run| r.exec.as_ref().map(|d| d.p50);
        let startup = |r: &Run| r.startup.as_ref().map(|s| s.total_ms.p50);
        let exec_cpu = |r: &Run| r.exec_cpu.as_ref().map(|d| d.min);
        let startup_cpu = |r: &Run| r.startup_cpu.as_ref().map(|d| d.min);
        let mut ratios = Vec::with_capacity(self.runs.len());
        for run in &self.runs {
            let reference = |name: &str, f: &dyn Fn(&Run) -> Option<f64>| -> Option<f64> {
                let mine = f(run).filter(|_| run.status == Status::Ok)?;
                let base = self.run(name, &run.program).filter(|r| r.status == Status::Ok).and_then(f)?;
                (base > 0.0).then(|| mine / base)
            };
            ratios.push(Ratios {
                exec_vs_wasmtime: reference(REFERENCES[0], &exec),
                exec_vs_wasmi: reference(REFERENCES[1], &exec),
                startup_vs_wasmtime: reference(REFERENCES[0], &startup),
                startup_vs_wasmi: reference(REFERENCES[1], &startup),
                exec_cpu_vs_wasmtime: reference(REFERENCES[0], &exec_cpu),
                startup_cpu_vs_wasmtime: reference(REFERENCES[0], &startup_cpu),
            });
        }
        for (run, r) in self.runs.iter_mut().zip(ratios) {
            run.ratios = r;
        }
    }
}

/// CPU time consumed by this process so far (all threads), from
/// `CLOCK_PROCESS_CPUTIME_ID`; `None` where the clock is unavailable.
pub fn process_cpu_time() -> Option<std::time::Duration> {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through the valid pointer
    // we pass and reads nothing else.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// The machine this process runs on.
pub fn this_machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let release =
        std::fs::read_to_string("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()).unwrap_or_default();
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        os: format!("{} {release}", std::env::consts::OS).trim().to_string(),
        arch: std::env::consts::ARCH.to_string(),
    }
}

/// The commit checked out at `dir`, if it is in a git work tree.
pub fn git_commit(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(["rev-parse", "HEAD"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string()).filter(|s| !s.is_empty())
}

/// Now, as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the Unix epoch as RFC 3339 UTC (civil-from-days, proleptic
/// Gregorian calendar).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem / 60 % 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let samples: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        let d = Dist::of(&samples).unwrap();
        assert_eq!((d.min, d.p50, d.p90, d.p99, d.max), (1.0, 50.0, 90.0, 99.0, 100.0));
        assert_eq!(d.mean, 50.5);
        let one = Dist::of(&[3.0]).unwrap();
        assert_eq!((one.p50, one.p99), (3.0, 3.0));
        assert!(Dist::of(&[]).is_none());
    }

    #[test]
    fn process_cpu_time_counts_work() {
        let before = process_cpu_time().expect("the clock exists on Linux");
        let mut x = 1u64;
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(30) {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
        let spent = process_cpu_time().unwrap() - before;
        // Busy for 30 ms of wall time: some of it must show as CPU time.
        assert!(spent > std::time::Duration::from_millis(1), "{spent:?}");
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
