//! Benchmarks, reports and regression gates for the lab's engines.
//!
//! - [`corpus`]: the benchmark kernels (`corpora/bench`), each self-checking;
//!   [`large`] generates the one too big to write by hand.
//! - [`commands`]: WASI command programs (`corpora/programs`, `--module`),
//!   measured the Sightglass way and checked against their output.
//! - [`measure`]: `wasmlab bench`, every engine on every program, interleaved;
//!   [`short_calls`] is the tiny function whose call latency it measures too,
//!   and [`counters`] turns the engines' counters into figures.
//! - [`results`]: the results file everything else reads.
//! - [`targets`]: the seeds' acceptance targets, judged from a results file.
//! - [`report`]: `wasmlab report`, charts (SVG and PNG) and an offline dashboard.
//! - [`gate`]: `wasmlab gate`, baseline vs current, non-zero exit on regression.
//!
//! The `wasmlab` binary exposes the commands through the `*Args` structs and
//! `run_*` functions below; the lab's main job calls [`bench`] and [`report()`]
//! directly.

mod charts;
pub mod commands;
pub mod corpus;
pub mod counters;
pub mod gate;
pub mod large;
pub mod measure;
pub mod report;
pub mod results;
mod sampling;
pub mod short_calls;
pub mod targets;

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;

pub use charts::register_font;
pub use gate::{GateOutcome, gate};
pub use measure::{BenchOptions, CHILD_SUBCOMMAND, bench};
pub use report::report;
pub use results::Results;

/// What went wrong in a benchmark, report or gate: a message for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BenchError(pub String);

impl BenchError {
    pub fn new(message: impl Into<String>) -> BenchError {
        BenchError(message.into())
    }
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BenchError {}

fn split_list(list: &Option<String>) -> Vec<String> {
    list.as_deref()
        .map(|l| l.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default()
}

/// `wasmlab bench`: measure engines on the benchmark corpus.
#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Engines, comma-separated (default: every engine).
    #[arg(long)]
    pub engines: Option<String>,
    /// Programs, comma-separated (default: the whole corpus: the kernels of
    /// corpora/bench and the WASI programs of corpora/programs, `wasi-*`).
    #[arg(long)]
    pub programs: Option<String>,
    /// WASI command modules to benchmark on every engine, timed between
    /// `bench.start` and `bench.end` when they import them (Sightglass's
    /// protocol). Alone, only these are measured; with --programs, beside them.
    #[arg(long = "module", value_name = "FILE.wasm", num_args = 1..)]
    pub modules: Vec<PathBuf>,
    /// A directory the --module programs may reach (`HOST[::GUEST]`), e.g.
    /// the benchmark's directory with its input files: `--dir DIR::.`.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// Arguments for the --module programs (after `--`).
    #[arg(last = true, value_name = "ARGS")]
    pub module_args: Vec<String>,
    /// Small workloads and few samples: a smoke run in about a minute.
    #[arg(long)]
    pub quick: bool,
    /// Where to write the results (JSON).
    #[arg(long, default_value = "results.json")]
    pub out: PathBuf,
    /// The benchmark corpus (default: corpora/bench of this checkout).
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Skip the peak-memory child processes.
    #[arg(long)]
    pub no_memory: bool,
    /// Attach the spec-suite totals of this `wasmlab wast --json` report
    /// (the gate compares them exactly).
    #[arg(long)]
    pub spec: Option<PathBuf>,
    /// Attach the campaign summary of this `wasmlab diff --json` file
    /// (the gate compares its findings, and its counts for the same cases).
    #[arg(long)]
    pub diff: Option<PathBuf>,
}

/// `wasmlab report`: charts and a dashboard from results files.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// Results files; the last is the one shown in detail, all of them
    /// (in the order given) make the history.
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Output directory (index.html, SVG and PNG charts).
    #[arg(long, default_value = "reports/latest")]
    pub out: PathBuf,
}

/// `wasmlab gate`: fail when the current results regressed from a baseline.
#[derive(clap::Args, Debug, Clone)]
pub struct GateArgs {
    /// The baseline results file.
    #[arg(long)]
    pub baseline: PathBuf,
    /// The results file to judge.
    #[arg(long)]
    pub current: PathBuf,
    /// Noise threshold for time ratios, in percent.
    #[arg(long, default_value_t = gate::DEFAULT_THRESHOLD_PCT)]
    pub threshold: f64,
}

/// `wasmlab bench-child` (hidden): one engine, one program, one run, in a
/// process of its own; prints its peak RSS as one JSON line.
#[derive(clap::Args, Debug, Clone)]
pub struct ChildArgs {
    #[arg(long)]
    pub engine: String,
    /// A corpus kernel, run as `run(arg)`...
    #[arg(long, required_unless_present = "command", requires = "arg")]
    pub program: Option<String>,
    #[arg(long)]
    pub arg: Option<i32>,
    /// ...or a WASI command module, with its preopens and arguments.
    #[arg(long, conflicts_with = "program")]
    pub command: Option<PathBuf>,
    #[arg(long = "dir")]
    pub dirs: Vec<String>,
    #[arg(last = true)]
    pub args: Vec<String>,
    #[arg(long)]
    pub corpus: Option<PathBuf>,
    /// Artifact cache of the parent run (wasmtime-aot loads from it).
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
}

pub fn run_bench(args: &BenchArgs) -> Result<ExitCode, BenchError> {
    let options = BenchOptions {
        engines: split_list(&args.engines),
        programs: split_list(&args.programs),
        quick: args.quick,
        corpus: args.corpus.clone(),
        memory: !args.no_memory,
        progress: true,
        modules: args.modules.clone(),
        dirs: args.dirs.clone(),
        module_args: args.module_args.clone(),
        programs_corpus: None,
    };
    // Read before measuring, so a wrong path fails in a second, not after the run.
    let spec = args.spec.as_deref().map(results::load_spec_json).transpose()?;
    let diff = args.diff.as_deref().map(results::load_diff_json).transpose()?;
    let mut results = bench(&options)?;
    results.spec = spec;
    results.diff = diff;
    results.save(&args.out)?;
    print!("{}", report::text_summary(&results));
    println!("results: {}", args.out.display());
    let failed = |s: results::Status| s != results::Status::Ok && s != results::Status::Unsupported;
    let short = results.short_calls.as_ref().map_or(0, |s| s.runs.iter().filter(|r| failed(r.status)).count());
    let bad = results.runs.iter().filter(|r| failed(r.status)).count() + short;
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub fn run_report(args: &ReportArgs) -> Result<ExitCode, BenchError> {
    let all = args.results.iter().map(|p| Results::load(p)).collect::<Result<Vec<_>, _>>()?;
    let index = report(&all, &args.out)?;
    println!("dashboard: {}", index.display());
    Ok(ExitCode::SUCCESS)
}

pub fn run_gate(args: &GateArgs) -> Result<ExitCode, BenchError> {
    let baseline = Results::load(&args.baseline)?;
    let current = Results::load(&args.current)?;
    let outcome = gate(&baseline, &current, args.threshold);
    print!("{}", outcome.table());
    Ok(if outcome.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub fn run_child(args: &ChildArgs) -> Result<ExitCode, BenchError> {
    let report = match (&args.command, &args.program, args.arg) {
        (Some(path), _, _) => commands::child(&args.engine, path, &args.dirs, &args.args, args.cache_dir.as_deref())?,
        (None, Some(program), Some(arg)) => {
            measure::child(&args.engine, program, arg, args.corpus.as_deref(), args.cache_dir.as_deref())?
        }
        _ => return Err(BenchError::new("bench-child needs --program and --arg, or --command")),
    };
    println!("{}", serde_json::to_string(&report).map_err(|e| BenchError::new(e.to_string()))?);
    Ok(ExitCode::SUCCESS)
}
