//! The lab's spec-testsuite runner: executes `.wast` scripts on any set of
//! engines and reports passed / failed / skipped per file and engine.
//!
//! Covers every directive of the Wasm 2.0 suite (`module` in binary and
//! quote forms, `register`, `invoke`, `get`, `assert_return` with NaN and
//! v128 lane patterns, `assert_trap`, `assert_exhaustion`, `assert_invalid`,
//! `assert_malformed`, `assert_unlinkable`, and `assert_trap` on a module,
//! the suite's form of "uninstantiable"), with the standard `spectest`
//! host module. "Skipped" means the engine, as configured, lacks a
//! proposal the script needs; the reason is kept.

pub mod matching;
pub mod report;
pub mod runner;
pub mod spectest;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmlab_contract::{Engine, EngineConfig, Error};

pub use report::SuiteReport;
pub use runner::{Failure, FileReport, Skip, run_script};

/// How long one script may take on one engine before it counts as hung.
pub const DEFAULT_FILE_TIMEOUT: Duration = Duration::from_secs(300);

/// Expands the arguments to a list of `.wast` files: files as given,
/// directories to the `.wast` files they contain (sorted). A path that
/// does not exist is an error naming it.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::Usage(format!("{}: {e}", p.display())))?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::Usage(format!("{}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "wast"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        return Err(Error::Usage("no .wast files given".into()));
    }
    Ok(files)
}

/// Runs one file on one engine, on a thread with a deep stack and a time
/// limit. A hang becomes a failure of that file; the runner moves on.
pub fn run_file(path: &Path, engine: Arc<dyn Engine>, timeout: Duration) -> FileReport {
    let file = path.display().to_string();
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => return failed_file(&file, engine.name(), "the file is not UTF-8 text".into()),
        },
        Err(e) => return failed_file(&file, engine.name(), format!("cannot read: {e}")),
    };
    let (tx, rx) = mpsc::channel();
    let name = engine.name();
    let f = file.clone();
    let spawned = std::thread::Builder::new().name(format!("wast-{name}")).stack_size(64 << 20).spawn(move || {
        let _ = tx.send(run_script(&f, &text, engine.as_ref()));
    });
    if let Err(e) = spawned {
        return failed_file(&file, name, format!("cannot start a runner thread: {e}"));
    }
    match rx.recv_timeout(timeout) {
        Ok(report) => report,
        // The thread cannot be killed; it is left behind and the report
        // says the engine hung on this file.
        Err(mpsc::RecvTimeoutError::Timeout) => {
            failed_file(&file, name, format!("hang: no result after {} s", timeout.as_secs()))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => failed_file(&file, name, "the runner thread died".into()),
    }
}

fn failed_file(file: &str, engine: &str, why: String) -> FileReport {
    FileReport {
        file: file.to_string(),
        engine: engine.to_string(),
        failed: 1,
        failures: vec![Failure { line: 0, directive: "file".into(), expected: "the script runs".into(), actual: why }],
        ..Default::default()
    }
}

/// Options for a suite run.
pub struct SuiteOptions {
    pub engines: Vec<String>,
    pub config: EngineConfig,
    pub jobs: usize,
    pub timeout: Duration,
}

/// Runs every file on every engine (files in parallel over `jobs`
/// threads). `progress` is called after each file x engine.
pub fn run_suite(
    files: &[PathBuf],
    options: &SuiteOptions,
    progress: &(dyn Fn(&FileReport) + Sync),
) -> Result<SuiteReport, Error> {
    let engines: Vec<Arc<dyn Engine>> = options
        .engines
        .iter()
        .map(|n| wasmlab_registry::create(n, &options.config).map(Arc::from))
        .collect::<Result<_, _>>()?;
    let work: Vec<(usize, usize)> = (0..files.len()).flat_map(|f| (0..engines.len()).map(move |e| (f, e))).collect();
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::with_capacity(work.len()));
    std::thread::scope(|s| {
        for _ in 0..options.jobs.max(1) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some(&(f, e)) = work.get(i) else { break };
                    let report = run_file(&files[f], engines[e].clone(), options.timeout);
                    progress(&report);
                    results.lock().unwrap().push((i, report));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    Ok(SuiteReport::new(options.engines.clone(), results.into_iter().map(|(_, r)| r).collect()))
}
