//! WASI command programs in benchmarks: the program corpus
//! (`corpora/programs`, one Sightglass-style directory per program) and any
//! module given with `wasmlab bench --module`.
//!
//! A command runs once per instance, so every sample is a fresh instance
//! running `_start`, with deterministic WASI and captured output:
//! - startup: compile, instantiate, and `_start` up to the first
//!   `bench.start` (the program's own start-up: libc, reading its input;
//!   the whole `_start` without the protocol), each sample from the bytes;
//! - execution: the region between `bench.start` and `bench.end` (the
//!   Sightglass protocol; the whole `_start` for a module without it), on
//!   a module compiled once. `exec_cold` includes the first run, where lazy
//!   compilation and tier-up happen.
//!
//! Every run's exit status and stdout must equal the expected ones (the
//! program's `expected.stdout`, else the first engine's first run, the
//! reference when it is selected), so a wrong engine cannot look fast.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use indicatif::ProgressBar;
use wasmlab_contract::{Engine, EngineConfig, Error, Module, ModuleInterface};
use wasmlab_wasi::{BenchRegion, Ended, Outcome, Output, Preopen, WasiConfig, run_command_in};

use crate::BenchError;
use crate::results::{self, Status};
use crate::sampling::{ChildReport, Plan, Slot, cpu_between, guarded, ms, peak_rss_bytes, status_of};

/// Where the program corpus lives inside the repository.
pub const PROGRAMS_DIR: &str = "corpora/programs";
/// The module file of a program directory (Sightglass's name).
pub const MODULE_FILE: &str = "benchmark.wasm";
/// What a program's stdout must be, next to its module.
pub const EXPECTED_FILE: &str = "expected.stdout";
/// The `kind` of every command program in a results file.
pub const KIND: &str = "wasi program";
/// Corpus programs are named with this prefix, apart from `corpora/bench`.
pub const PREFIX: &str = "wasi-";

/// One command to benchmark.
#[derive(Clone, Debug)]
pub struct CommandProgram {
    pub name: String,
    pub path: PathBuf,
    pub wasm: Vec<u8>,
    pub iface: ModuleInterface,
    /// Arguments (argv[0] included) and preopens; output is captured and
    /// the clocks are fixed by [`CommandProgram::wasi`].
    pub args: Vec<String>,
    pub preopens: Vec<Preopen>,
    /// Exit status 0 and this stdout, when the program says what it prints.
    pub expected_stdout: Option<Vec<u8>>,
}

/// What every engine must produce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    pub status: i32,
    pub stdout: Vec<u8>,
}

impl CommandProgram {
    /// A module file, with the preopens (`HOST[::GUEST]`) and arguments
    /// given: `wasmlab bench --module`. A module that is not a WASI command
    /// is refused with the reason.
    pub fn from_module(path: &Path, dirs: &[String], args: &[String]) -> Result<CommandProgram, BenchError> {
        let wasm = read_module(path)?;
        let iface = interface(path, &wasm)?;
        let stem = path.file_stem().map_or("module".into(), |s| s.to_string_lossy().into_owned());
        // A Sightglass benchmark is a directory holding `benchmark.wasm`:
        // the directory names it.
        let name = match (stem.as_str(), path.parent().and_then(Path::file_name)) {
            ("benchmark", Some(dir)) => dir.to_string_lossy().into_owned(),
            _ => stem,
        };
        let argv0 = wasmlab_wasi::argv0(path);
        Ok(CommandProgram {
            name,
            path: path.to_path_buf(),
            wasm,
            iface,
            args: std::iter::once(argv0).chain(args.iter().cloned()).collect(),
            preopens: dirs.iter().map(|d| Preopen::parse(d)).collect(),
            expected_stdout: None,
        })
    }

    /// A program directory of the corpus: `benchmark.wasm`, run with the
    /// directory preopened as `.`, checked against `expected.stdout`.
    pub fn from_corpus_dir(dir: &Path) -> Result<CommandProgram, BenchError> {
        let path = dir.join(MODULE_FILE);
        let wasm = read_module(&path)?;
        let iface = interface(&path, &wasm)?;
        let expected = dir.join(EXPECTED_FILE);
        let expected_stdout = std::fs::read(&expected)
            .map_err(|e| BenchError::new(format!("cannot read {}: {e}", expected.display())))?;
        Ok(CommandProgram {
            name: corpus_name(dir),
            path,
            wasm,
            iface,
            args: vec![MODULE_FILE.into()],
            preopens: vec![Preopen { host: dir.to_path_buf(), guest: ".".into() }],
            expected_stdout: Some(expected_stdout),
        })
    }

    /// The WASI configuration of a measured run: deterministic, captured.
    pub fn wasi(&self) -> WasiConfig {
        WasiConfig {
            args: self.args.clone(),
            preopens: self.preopens.clone(),
            deterministic: true,
            stdout: Output::Capture,
            stderr: Output::Capture,
            ..WasiConfig::default()
        }
    }

    pub fn expected(&self) -> Option<Expected> {
        self.expected_stdout.clone().map(|stdout| Expected { status: 0, stdout })
    }
}

fn read_module(path: &Path) -> Result<Vec<u8>, BenchError> {
    let bytes = std::fs::read(path).map_err(|e| BenchError::new(format!("cannot read {}: {e}", path.display())))?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    wat::parse_bytes(&bytes)
        .map(|w| w.into_owned())
        .map_err(|e| BenchError::new(format!("{}: not a wasm module: {e}", path.display())))
}

fn interface(path: &Path, wasm: &[u8]) -> Result<ModuleInterface, BenchError> {
    let iface = ModuleInterface::parse(wasm).map_err(|e| BenchError::new(format!("{}: {e}", path.display())))?;
    wasmlab_wasi::check_command(&iface).map_err(|e| BenchError::new(format!("{}: {e}", path.display())))?;
    Ok(iface)
}

/// The program corpus: every directory of `dir` holding a `benchmark.wasm`,
/// in name order; `only` keeps those named (with the `wasi-` prefix).
pub fn load_corpus(dir: &Path, only: &[String]) -> Result<Vec<CommandProgram>, BenchError> {
    let dirs = program_dirs(dir).map_err(|e| BenchError::new(format!("cannot read {}: {e}", dir.display())))?;
    dirs.into_iter()
        .filter(|d| only.is_empty() || only.contains(&corpus_name(d)))
        .map(|d| CommandProgram::from_corpus_dir(&d))
        .collect()
}

/// The program directories of `dir` (those holding a `benchmark.wasm`), in
/// name order.
pub fn program_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join(MODULE_FILE).is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// A corpus program's name: its directory's, with the prefix.
fn corpus_name(dir: &Path) -> String {
    format!("{PREFIX}{}", dir.file_name().unwrap_or_default().to_string_lossy())
}

/// The names of the program corpus in `dir` (without loading it).
pub fn corpus_names(dir: &Path) -> Vec<String> {
    program_dirs(dir).unwrap_or_default().iter().map(|d| corpus_name(d)).collect()
}

/// Finds `corpora/programs` like [`crate::corpus::locate`] finds the
/// kernels; `None` when there is none (a checkout without it).
pub fn locate(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(dir) = explicit {
        return Some(dir.to_path_buf());
    }
    let cwd = std::env::current_dir().ok();
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    cwd.iter()
        .flat_map(|c| c.ancestors())
        .chain(std::iter::once(built.as_path()))
        .map(|d| d.join(PROGRAMS_DIR))
        .find(|d| d.is_dir() && !corpus_names(d).is_empty())
}

/// The checksum a results file keeps for a run: FNV-1a of its stdout.
pub fn stdout_checksum(stdout: &[u8]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in stdout {
        h = (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// How a run differs from what was expected, for a person.
pub fn mismatch(got: &Outcome, want: &Expected) -> Option<String> {
    if let Some(trap) = got.ended.trap_text() {
        return Some(format!("trapped: {trap}"));
    }
    let status = got.ended.process_status();
    if status != want.status {
        let stderr = String::from_utf8_lossy(&got.stderr);
        return Some(format!("exit status {status}, expected {}: {}", want.status, stderr.trim()));
    }
    if got.stdout != want.stdout {
        let at = got
            .stdout
            .iter()
            .zip(&want.stdout)
            .position(|(a, b)| a != b)
            .unwrap_or(got.stdout.len().min(want.stdout.len()));
        let show = |b: &[u8]| String::from_utf8_lossy(&b[at.min(b.len())..(at + 40).min(b.len())]).into_owned();
        return Some(format!(
            "stdout differs from the expected at byte {at} ({} vs {} bytes): {:?} instead of {:?}",
            got.stdout.len(),
            want.stdout.len(),
            show(&got.stdout),
            show(&want.stdout)
        ));
    }
    None
}

/// One run of `module` on `engine`, timing the region with the process
/// CPU clock too.
fn run_once(engine: &dyn Engine, module: &dyn Module, program: &CommandProgram) -> Result<Outcome, Error> {
    let region = BenchRegion::with_cpu_clock(results::process_cpu_time);
    run_command_in(engine, module, &program.iface, &program.wasi(), &region)
}

/// Checks a run against `expected`, filling it from this run when nothing
/// is expected yet (the first engine's first run defines it).
fn verify(outcome: Result<Outcome, Error>, expected: &mut Option<Expected>) -> Result<Outcome, (Status, String)> {
    let outcome = outcome.map_err(|e| (status_of(&e), format!("run: {e}")))?;
    if let Some(trap) = outcome.ended.trap_text() {
        return Err((Status::Error, format!("trapped: {trap}")));
    }
    let want = expected
        .get_or_insert_with(|| Expected { status: outcome.ended.process_status(), stdout: outcome.stdout.clone() });
    match mismatch(&outcome, want) {
        Some(m) => Err((Status::ChecksumMismatch, m)),
        None => Ok(outcome),
    }
}

/// Measures one command on every slot, the way [`crate::measure`] measures
/// a corpus kernel: cold compile, startup samples, then execution rounds,
/// engines in rotating order. Returns what every engine had to produce.
pub(crate) fn measure_command(
    program: &CommandProgram,
    plan: &Plan,
    slots: &mut [Slot],
    bar: &ProgressBar,
) -> Option<Expected> {
    let n = slots.len();
    let mut expected = program.expected();
    let wasm = &program.wasm;
    let mut modules: Vec<Option<Box<dyn Module>>> = (0..n).map(|_| None).collect();

    // 1. Cold compile, kept for the execution runs; its first run is the
    // first sample of the from-cold series.
    for (slot, module) in slots.iter_mut().zip(modules.iter_mut()) {
        bar.set_message(format!("{} / {}: compile", program.name, slot.name));
        let Some(engine) = slot.engine.as_deref().filter(|_| !slot.failed()) else { continue };
        let start = Instant::now();
        match guarded(|| engine.compile(wasm)) {
            Ok(m) => {
                slot.run.cold_compile_ms = Some(ms(start.elapsed()));
                slot.run.code_bytes = m.code_bytes().map(|b| b as u64);
                match verify(guarded(|| run_once(engine, m.as_ref(), program)), &mut expected) {
                    Ok(o) => {
                        slot.run.checksum = Some(stdout_checksum(&o.stdout));
                        slot.cold.push(ms(o.region.unwrap_or(o.run)));
                        *module = Some(m);
                    }
                    Err((status, msg)) => slot.fail(status, msg),
                }
            }
            Err(e) => slot.fail(status_of(&e), format!("compile: {e}")),
        }
        slot.sample_counters(|| "cold compile and first run".into());
    }

    // 2. Startup samples from the bytes, engines in rotating order.
    for sample in 0..plan.startup_samples {
        for k in 0..n {
            let slot = &mut slots[(sample + k) % n];
            let Some(engine) = slot.engine.as_deref().filter(|_| !slot.failed()) else { continue };
            let outcome = guarded(|| {
                let cpu0 = results::process_cpu_time();
                let t0 = Instant::now();
                let module = engine.compile(wasm)?;
                let t1 = Instant::now();
                let out = run_once(engine, module.as_ref(), program);
                let cpu = cpu_between(cpu0, results::process_cpu_time());
                Ok((t1 - t0, cpu, out))
            });
            match outcome.and_then(|(c, cpu, out)| Ok((c, cpu, out?))) {
                Ok((c, cpu, out)) => match verify(Ok(out), &mut expected) {
                    Ok(o) => {
                        slot.compile.push(ms(c));
                        slot.instantiate.push(ms(o.instantiate));
                        let first = o.to_region.unwrap_or(o.run);
                        slot.first_call.push(ms(first));
                        slot.total.push(ms(c + o.instantiate + first));
                        slot.total_cpu.extend(cpu.map(ms));
                    }
                    Err((status, msg)) => slot.fail(status, format!("startup: {msg}")),
                },
                Err(e) => slot.fail(status_of(&e), format!("startup: {e}")),
            }
            slot.sample_counters(|| format!("startup {sample}"));
        }
    }
    bar.inc(n as u64);

    // 3. Execution rounds on the compiled modules, a fresh instance each.
    bar.set_message(format!("{}: execution", program.name));
    let started = Instant::now();
    let mut round = 0;
    let live = |slots: &[Slot], modules: &[Option<Box<dyn Module>>]| {
        slots.iter().zip(modules).any(|(s, m)| m.is_some() && !s.failed())
    };
    while live(slots, &modules)
        && round < plan.max_rounds
        && (round < plan.min_rounds || started.elapsed() < plan.exec_budget)
    {
        for k in 0..n {
            let i = (round + k) % n;
            let slot = &mut slots[i];
            let (Some(engine), Some(module)) = (slot.engine.as_deref(), modules[i].as_deref()) else { continue };
            if slot.failed() {
                continue;
            }
            match verify(guarded(|| run_once(engine, module, program)), &mut expected) {
                Ok(o) => {
                    let t = ms(o.region.unwrap_or(o.run));
                    slot.exec.push(t);
                    slot.cold.push(t);
                    slot.exec_cpu.extend(o.region_cpu.map(ms));
                }
                Err((status, msg)) => slot.fail(status, msg),
            }
            slot.sample_counters(|| format!("run {}", round + 1));
        }
        round += 1;
    }
    bar.inc(2 * n as u64);
    expected
}

/// `wasmlab bench-child --command`: one engine, one run of a command, for
/// its peak memory.
pub fn child(
    engine: &str,
    path: &Path,
    dirs: &[String],
    args: &[String],
    cache_dir: Option<&Path>,
) -> Result<ChildReport, BenchError> {
    let program = CommandProgram::from_module(path, dirs, args)?;
    let base = peak_rss_bytes().map_err(BenchError::new)?;
    let config = EngineConfig { cache_dir: cache_dir.map(Path::to_path_buf), ..EngineConfig::default() };
    let err = |e: Error| BenchError::new(format!("{engine} on {}: {e}", path.display()));
    let engine: Arc<dyn Engine> = Arc::from(wasmlab_registry::create(engine, &config).map_err(err)?);
    let module = engine.compile(&program.wasm).map_err(err)?;
    let outcome = run_once(engine.as_ref(), module.as_ref(), &program).map_err(err)?;
    if let Ended::Trapped { trap, .. } = outcome.ended {
        return Err(BenchError::new(format!("{} on {}: trapped: {trap}", engine.name(), path.display())));
    }
    let peak = peak_rss_bytes().map_err(BenchError::new)?;
    Ok(ChildReport { peak_rss_bytes: peak, base_rss_bytes: base, checksum: stdout_checksum(&outcome.stdout) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stdout_checksums_differ_for_different_output() {
        assert_ne!(stdout_checksum(b"a"), stdout_checksum(b"b"));
        assert_eq!(stdout_checksum(b""), 0xcbf2_9ce4_8422_2325u64 as i64);
    }

    #[test]
    fn mismatches_name_what_differs() {
        let outcome = |status, out: &[u8]| Outcome {
            ended: Ended::Exited(status),
            stdout: out.to_vec(),
            stderr: b"oops".to_vec(),
            calls: Vec::new(),
            region: None,
            region_cpu: None,
            instantiate: Default::default(),
            run: Default::default(),
            to_region: None,
            backtrace: None,
        };
        let want = Expected { status: 0, stdout: b"sum 1234\n".to_vec() };
        assert_eq!(mismatch(&outcome(0, b"sum 1234\n"), &want), None);
        let m = mismatch(&outcome(0, b"sum 1235\n"), &want).unwrap();
        assert!(m.contains("byte 7"), "{m}");
        let m = mismatch(&outcome(1, b""), &want).unwrap();
        assert!(m.contains("exit status 1") && m.contains("oops"), "{m}");
    }
}
