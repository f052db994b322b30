//! The `wasmlab diff`, `wasmlab repro` and hidden `wasmlab diff-worker`
//! subcommands: argument structs (clap) and their entry points, so the CLI
//! needs one enum variant and one match arm for each.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use wasmlab_contract::{Engine, Error};

use crate::campaign::{self, CampaignConfig};
use crate::cases::{self, Call};
use crate::engines;
use crate::finding::{self, Repro};
use crate::oracle::{Oracle, Verdict};
use crate::rng::Rng;
use crate::worker::WorkerCommand;

/// Differential campaign over generated modules.
#[derive(Clone, Debug, clap::Args)]
pub struct DiffArgs {
    /// Engines, comma-separated (or `all`); the reference (wasmtime) is
    /// compared against and put first. Default: every engine.
    #[arg(long)]
    pub engines: Option<String>,
    /// Run for this many seconds (default 60 when --count is not given).
    #[arg(long)]
    pub seconds: Option<f64>,
    /// Run this many cases.
    #[arg(long)]
    pub count: Option<u64>,
    /// Campaign seed: case i is generated from (seed, i). Default: from the clock (printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Parallel worker processes (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Where findings are saved.
    #[arg(long, default_value = "corpora/findings")]
    pub out: PathBuf,
    /// Write a JSON summary here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Per-case time limit in seconds; an engine exceeding it is a hang.
    #[arg(long, default_value_t = 20.0)]
    pub timeout: f64,
    /// wasm-shrink attempts per finding (0: do not shrink).
    #[arg(long, default_value_t = 1000)]
    pub shrink_attempts: u32,
    /// Share (percent, 0-100) of generated wasm-smith modules made without
    /// traps (wasm-smith's `disallow_traps`), so calls run to the end.
    #[arg(long, default_value_t = crate::cases::DEFAULT_NON_TRAPPING_PERCENT, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub non_trapping_percent: u8,
    /// Code-cache budget of the caching JITs (`tjit-tiered`), in bytes
    /// (e.g. 16384 to exercise eviction).
    #[arg(long)]
    pub code_cache: Option<usize>,
    /// Tiered JITs compile in the background, as in production, instead of
    /// synchronously at the tier-up point (which replays exactly).
    #[arg(long)]
    pub background_tiering: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Program differential instead of a campaign: run this WASI command on
    /// every engine (deterministic WASI, a fresh copy of each --dir per
    /// engine) and compare exit status, stdout, stderr and the files left.
    #[arg(long, value_name = "FILE.wasm")]
    pub program: Option<PathBuf>,
    /// A directory the --program may reach (`HOST[::GUEST]`).
    #[arg(long = "dir", value_name = "HOST[::GUEST]", requires = "program")]
    pub dirs: Vec<String>,
    /// An environment variable for the --program.
    #[arg(long = "env", value_name = "K=V", requires = "program")]
    pub env: Vec<String>,
    /// Arguments of the --program (after `--`).
    #[arg(last = true, value_name = "ARGS", requires = "program")]
    pub args: Vec<String>,
}

/// Replay a reproducer.
#[derive(Clone, Debug, clap::Args)]
pub struct ReproArgs {
    /// A finding directory (module.wasm/.wat + calls.json), a .wasm file, or
    /// a raw `differential` fuzzer artifact.
    pub path: PathBuf,
    /// Engines to replay on (default: those the finding names, else all).
    #[arg(long)]
    pub engines: Option<String>,
}

pub use crate::worker::WorkerArgs;

/// `wasmlab diff`: exits 1 when anything diverged, crashed or hung.
pub fn run_diff(args: &DiffArgs) -> Result<ExitCode, Error> {
    let engines = match &args.engines {
        Some(list) => engines::parse_list(list)?,
        None => engines::default_names(),
    };
    let seed = args.seed.unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
    });
    if args.timeout <= 0.0 || !args.timeout.is_finite() {
        return Err(Error::Usage("--timeout must be positive".into()));
    }
    let mut worker = WorkerCommand::current_exe()?;
    if let Some(program) = &args.program {
        return run_program_diff(args, program, &engines, worker);
    }
    if let Some(n) = args.code_cache {
        worker.env.push((engines::CODE_CACHE_ENV.into(), n.to_string()));
    }
    if args.background_tiering {
        worker.env.push((engines::BACKGROUND_ENV.into(), "1".into()));
    }
    let mut cfg = CampaignConfig::new(engines.clone(), worker);
    cfg.seed = seed;
    cfg.count = args.count;
    cfg.seconds = args.seconds;
    if let Some(j) = args.jobs {
        cfg.jobs = j.max(1);
    }
    cfg.out = Some(args.out.clone());
    cfg.timeout = Duration::from_secs_f64(args.timeout);
    cfg.shrink_attempts = args.shrink_attempts;
    cfg.non_trapping_percent = args.non_trapping_percent;
    cfg.progress = !args.quiet;
    eprintln!("wasmlab diff: engines {} | seed {seed} | {} jobs", engines.join(","), cfg.jobs);
    let summary = campaign::run(cfg)?;
    println!(
        "{} modules, {} calls in {:.1} s ({:.1} modules/s): {} divergences, {} inconclusive, {} crashes, {} hangs, {} skipped, {} known, {} trapped alike",
        summary.modules,
        summary.calls,
        summary.seconds,
        summary.modules_per_second,
        summary.divergences,
        summary.inconclusive,
        summary.crashes,
        summary.hangs,
        summary.skipped,
        summary.known,
        summary.trapped
    );
    print!("{}", summary.table());
    println!("{}", summary.call_outcomes_line());
    if !summary.engine_counters.is_empty() {
        let counts: Vec<String> = summary.engine_counters.iter().map(|(k, n)| format!("{k}: {n}")).collect();
        println!("engine counters: {}", counts.join(", "));
    }
    for (class, n) in &summary.classes {
        println!("  {n:>6} x {class}");
    }
    for f in &summary.findings {
        println!(
            "finding: {} [{} bytes -> {} bytes] {}",
            f.dir.as_deref().unwrap_or("(not saved)"),
            f.original_size,
            f.shrunk_size,
            f.summary.lines().next().unwrap_or("")
        );
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&summary).expect("summary serialises");
        std::fs::write(path, text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    }
    Ok(if summary.failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// A replayable case: engines, module and calls.
pub struct Replay {
    pub engines: Vec<String>,
    pub wasm: Vec<u8>,
    pub calls: Vec<Call>,
}

/// Reads what `wasmlab repro` accepts: a finding directory, a `.wasm`/`.wat`
/// file (calls planned from its hash), or a raw fuzzer artifact.
pub fn load_replay(path: &Path, engines_arg: Option<&str>) -> Result<Replay, Error> {
    let chosen = engines_arg.map(engines::parse_list).transpose()?;
    if path.is_dir() {
        let r = Repro::load(path)?;
        let mut names =
            chosen.or_else(|| r.info.as_ref().map(|i| i.engines.clone())).unwrap_or_else(engines::default_names);
        engines::order(&mut names);
        return Ok(Replay { engines: names, wasm: r.wasm, calls: r.calls });
    }
    let data = std::fs::read(path).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    let plan_seed = u64::from_str_radix(&finding::content_hash(&data), 16).unwrap_or(0);
    if data.starts_with(b"\0asm") || path.extension().is_some_and(|e| e == "wat") {
        let wasm = wat::parse_bytes(&data).map_err(|e| Error::Invalid(e.to_string()))?.into_owned();
        let calls = cases::plan(&wasm, &mut Rng::new(plan_seed));
        return Ok(Replay { engines: chosen.unwrap_or_else(engines::default_names), wasm, calls });
    }
    let case =
        crate::fuzz::decode_differential(&data, |n| crate::fuzz::engine(n).map(|e| e.features()).unwrap_or_default())
            .ok_or_else(|| Error::Usage(format!("{}: too short to be a differential fuzzer input", path.display())))?;
    Ok(Replay { engines: chosen.unwrap_or(case.engines), wasm: case.wasm, calls: case.calls })
}

/// `wasmlab repro PATH`: replays in-process and prints what every engine did
/// at every step. Exits 1 when it still diverges.
pub fn run_repro(args: &ReproArgs) -> Result<ExitCode, Error> {
    if args.path.join(crate::program::FINDING_FILE).is_file() {
        return repro_program(args);
    }
    let replay = load_replay(&args.path, args.engines.as_deref())?;
    let cache = tempfile::Builder::new()
        .prefix("wasmlab-repro-cache-")
        .tempdir()
        .map_err(|e| Error::Internal(format!("cannot create a cache directory: {e}")))?;
    let config = crate::engines::campaign_config(Some(cache.path().to_path_buf()));
    let engines: Vec<Arc<dyn Engine>> =
        replay.engines.iter().map(|n| engines::create(n, &config)).collect::<Result<_, _>>()?;
    let mut oracle = Oracle::new(engines);
    oracle.trace = true;
    let mut report = oracle.run(&replay.wasm, &replay.calls);
    crate::known::excuse(&mut report, &replay.wasm, &replay.calls, &oracle);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "module: {} bytes, {} calls, engines: {}",
        replay.wasm.len(),
        replay.calls.len(),
        replay.engines.join(",")
    );
    let _ = write!(out, "{}", finding::report_text(&report));
    let verdict = report.verdict();
    let _ = writeln!(out, "verdict: {verdict:?}");
    Ok(if matches!(verdict, Verdict::Diverged | Verdict::Crashed) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `wasmlab diff --program`: exits 1 when an engine differs.
fn run_program_diff(
    args: &DiffArgs,
    program: &Path,
    engines: &[String],
    mut worker: WorkerCommand,
) -> Result<ExitCode, Error> {
    if crate::engines::test_engines_enabled() {
        worker.env.push((crate::engines::TEST_ENGINES_ENV.into(), "1".into()));
    }
    let env = args.env.iter().map(|kv| wasmlab_wasi::parse_env_var(kv)).collect::<Result<Vec<_>, _>>()?;
    let argv0 = wasmlab_wasi::argv0(program);
    let spec = crate::program::ProgramSpec {
        module: program.to_path_buf(),
        args: std::iter::once(argv0).chain(args.args.iter().cloned()).collect(),
        env,
        dirs: args
            .dirs
            .iter()
            .map(|d| {
                let p = wasmlab_wasi::Preopen::parse(d);
                (p.host, p.guest)
            })
            .collect(),
    };
    let report = crate::program::run(&spec, engines, &worker, Duration::from_secs_f64(args.timeout), &args.out)?;
    print!("{}", report.text());
    if let Some(dir) = &report.saved {
        println!("finding saved: {} (replay: wasmlab repro {})", dir.display(), dir.display());
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| Error::Internal(e.to_string()))?;
        std::fs::write(path, text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    }
    Ok(if report.diverged() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `wasmlab repro` of a saved program finding: the program differential again.
fn repro_program(args: &ReproArgs) -> Result<ExitCode, Error> {
    let (spec, saved_engines) = crate::program::load_finding(&args.path)?;
    let engines = match &args.engines {
        Some(list) => engines::parse_list(list)?,
        None => saved_engines,
    };
    let mut worker = WorkerCommand::current_exe()?;
    if crate::engines::test_engines_enabled() {
        worker.env.push((crate::engines::TEST_ENGINES_ENV.into(), "1".into()));
    }
    let scratch = tempfile::tempdir().map_err(|e| Error::Internal(e.to_string()))?;
    let report = crate::program::run(&spec, &engines, &worker, Duration::from_secs(60), scratch.path())?;
    print!("{}", report.text());
    Ok(if report.diverged() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// `wasmlab diff-worker` (hidden): see [`crate::worker`].
pub fn run_worker(args: &WorkerArgs) -> ExitCode {
    match &args.program_spec {
        Some(spec) => crate::program::worker_main(&args.engines, spec, args.cache_dir.clone()),
        None => crate::worker::main(args),
    }
}
