//! The lab's main job: what `cargo run --release` with no arguments does.
//! Runs a short full lab on built-in defaults and says where the results are.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use crate::CliResult;

#[derive(Args, Default)]
pub struct LabArgs {
    /// Directory of the spec testsuite (default: ../shared/testsuite beside the checkout).
    #[arg(long)]
    pub testsuite: Option<PathBuf>,
    /// Where results and the dashboard go.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// The checkout's root, found from the binary's build location so the
/// defaults work from any working directory.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn run(args: &LabArgs) -> CliResult {
    let root = repo_root();
    let suite = args.testsuite.clone().unwrap_or_else(|| root.join("../shared/testsuite"));
    let out = args.out.clone().unwrap_or_else(|| root.join("reports/latest"));
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("== spec testsuite ({}) on every engine", suite.display());
    let report = crate::cmd_wast::run_wast(&[suite], &[], "wasm2", None, Duration::from_secs(300))?;
    let json = out.join("spec.json");
    std::fs::write(&json, report.to_json()).map_err(|e| format!("{}: {e}", json.display()))?;
    for (engine, t) in &report.totals {
        println!("  {engine:<14} {} passed, {} failed, {} skipped", t.passed, t.failed, t.skipped);
    }
    println!("spec results: {}", json.display());
    Ok(if report.any_failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
