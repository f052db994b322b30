//! The lab's main job: what `cargo run --release` with no arguments does.
//! On built-in defaults it runs the spec suite on every engine, a short
//! differential campaign, the program differential of every real program
//! (`corpora/programs`), a quick benchmark, and renders the dashboard.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use wasmlab_bench::results::SpecCounts;
use wasmlab_bench::{BenchOptions, Results};

use crate::CliResult;

#[derive(Args)]
pub struct LabArgs {
    /// Directory of the spec testsuite (default: ../shared/testsuite beside the checkout).
    #[arg(long)]
    pub testsuite: Option<PathBuf>,
    /// Where results and the dashboard go (default: reports/latest).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Length of the differential campaign, in seconds (0 skips it).
    #[arg(long, default_value_t = 60)]
    pub diff_seconds: u64,
    /// Full benchmark instead of the quick one.
    #[arg(long)]
    pub full: bool,
}

impl Default for LabArgs {
    fn default() -> Self {
        LabArgs { testsuite: None, out: None, diff_seconds: 60, full: false }
    }
}

/// The checkout's root, found from the binary's build location so the
/// defaults work from any working directory.
pub fn repo_root() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

pub fn run(args: &LabArgs) -> CliResult {
    let root = repo_root();
    let default_suite = root.join("../shared/testsuite");
    let suite = args.testsuite.clone().unwrap_or_else(|| default_suite.canonicalize().unwrap_or(default_suite));
    let out = args.out.clone().unwrap_or_else(|| root.join("reports/latest"));
    std::fs::create_dir_all(out.join("history")).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut ok = true;

    println!("== 1/5 spec testsuite ({}) on every engine", suite.display());
    let spec = crate::cmd_wast::run_wast(&[suite], &[], "wasm2", None, Duration::from_secs(300))?;
    write(&out.join("spec.json"), &spec.to_json())?;
    for (engine, t) in &spec.totals {
        println!("   {engine:<14} {:>6} passed {:>4} failed {:>6} skipped", t.passed, t.failed, t.skipped);
    }
    ok &= !spec.any_failed();

    let diff = if args.diff_seconds > 0 {
        println!("== 2/5 differential campaign, {} s, every engine against wasmtime", args.diff_seconds);
        let json = out.join("diff.json");
        let status = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
            .args(["diff", "--engines", "all", "--seconds", &args.diff_seconds.to_string()])
            .arg("--json")
            .arg(&json)
            .arg("--out")
            .arg(out.join("findings"))
            .status()
            .map_err(|e| format!("cannot start the campaign: {e}"))?;
        ok &= status.success();
        Some(wasmlab_bench::results::load_diff_json(&json).map_err(|e| e.to_string())?)
    } else {
        None
    };

    println!("== 3/5 program differential: every real program on every engine, deterministic WASI");
    ok &= program_diffs(&root.join("corpora/programs"), &out.join("findings"))?;

    println!("== 4/5 benchmark ({}) of every engine on the corpus", if args.full { "full" } else { "quick" });
    let mut results =
        wasmlab_bench::bench(&BenchOptions { quick: !args.full, memory: true, progress: true, ..Default::default() })
            .map_err(|e| e.to_string())?;
    results.spec = Some(
        spec.totals
            .iter()
            .map(|(e, t)| {
                (e.clone(), SpecCounts { passed: t.passed as u64, failed: t.failed as u64, skipped: t.skipped as u64 })
            })
            .collect::<BTreeMap<_, _>>(),
    );
    results.diff = diff;
    ok &= results.runs.iter().all(|r| r.error.is_none());
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    results.save(&out.join("results.json")).map_err(|e| e.to_string())?;
    results.save(&out.join("history").join(format!("{stamp}.json"))).map_err(|e| e.to_string())?;

    println!("== 5/5 report");
    let history = history(&out.join("history"))?;
    let index = wasmlab_bench::report(&history, &out).map_err(|e| e.to_string())?;
    println!("dashboard: {}", index.display());
    println!("results:   {}", out.join("results.json").display());
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// `wasmlab diff --program` for every program directory of `dir` (its
/// `benchmark.wasm`, the directory preopened as `.`). False when one differs.
fn program_diffs(dir: &Path, findings: &Path) -> Result<bool, String> {
    let programs = wasmlab_bench::commands::program_dirs(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut ok = true;
    for p in programs {
        let status = Command::new(std::env::current_exe().map_err(|e| e.to_string())?)
            .args(["diff", "--engines", "all", "--program"])
            .arg(p.join(wasmlab_bench::commands::MODULE_FILE))
            .arg("--dir")
            .arg(format!("{}::.", p.display()))
            .arg("--out")
            .arg(findings)
            .status()
            .map_err(|e| format!("cannot start the program differential: {e}"))?;
        ok &= status.success();
    }
    Ok(ok)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The last 30 results files of earlier runs, oldest first, for trends.
fn history(dir: &Path) -> Result<Vec<Results>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let skip = files.len().saturating_sub(30);
    files[skip..].iter().map(|p| Results::load(p).map_err(|e| e.to_string())).collect()
}
