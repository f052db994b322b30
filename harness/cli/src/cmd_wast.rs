//! `wasmlab wast`: run spec scripts on chosen engines, print the table,
//! optionally write JSON; non-zero exit when anything failed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use wasmlab_contract::{EngineConfig, Features};
use wasmlab_wast::{SuiteOptions, SuiteReport, collect_files, run_suite};

use crate::CliResult;

#[derive(Args)]
pub struct WastArgs {
    /// .wast files or directories of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Engine(s) to run on (repeatable; default: every engine).
    #[arg(long = "engine", short)]
    pub engines: Vec<String>,
    /// Write results as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Proposal profile the engines are configured with.
    #[arg(long, default_value = "wasm2")]
    pub features: String,
    /// Files run in parallel.
    #[arg(long, short)]
    pub jobs: Option<usize>,
    /// Seconds one file may take on one engine before it counts as hung.
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
    /// List every skipped assertion (default: grouped by reason).
    #[arg(long)]
    pub show_skips: bool,
}

pub fn run(args: &WastArgs) -> CliResult {
    let report = run_wast(&args.paths, &args.engines, &args.features, args.jobs, Duration::from_secs(args.timeout))?;
    print!("{}", report.to_text(args.show_skips));
    if let Some(path) = &args.json {
        std::fs::write(path, report.to_json()).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(if report.any_failed() { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Runs the suite with a progress bar; shared with the lab's main job.
pub fn run_wast(
    paths: &[PathBuf],
    engines: &[String],
    features: &str,
    jobs: Option<usize>,
    timeout: Duration,
) -> Result<SuiteReport, String> {
    let files = collect_files(paths).map_err(|e| e.to_string())?;
    let engines: Vec<String> = if engines.is_empty() {
        wasmlab_registry::names().into_iter().map(String::from).collect()
    } else {
        let joined = engines.join(",");
        wasmlab_registry::parse_list(&joined).map_err(|e| e.to_string())?.into_iter().map(String::from).collect()
    };
    let features = features
        .split(',')
        .map(Features::parse)
        .try_fold(Features::NONE, |acc, f| f.map(|f| acc.union(f)))
        .map_err(|e| e.to_string())?;
    let cache = std::env::temp_dir().join(format!("wasmlab-wast-aot-{}", std::process::id()));
    let options = SuiteOptions {
        engines: engines.clone(),
        // Spec functions run a few times each: low tier-up thresholds make the
        // tiered engine run compiled code (and enter loops by OSR) under the suite.
        config: EngineConfig {
            features,
            cache_dir: Some(cache.clone()),
            tier_calls: Some(2),
            tier_loops: Some(3),
            ..EngineConfig::default()
        },
        jobs: jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        timeout,
    };
    let bar = ProgressBar::new((files.len() * engines.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let report = run_suite(&files, &options, &|r| {
        bar.set_message(format!("{} on {}", r.file.rsplit('/').next().unwrap_or(&r.file), r.engine));
        bar.inc(1);
    });
    bar.finish_and_clear();
    let _ = std::fs::remove_dir_all(&cache);
    report.map_err(|e| e.to_string())
}
