//! The benchmark run: every selected engine on every selected program,
//! interleaved so that machine noise hits all engines alike.
//!
//! Per program and engine it measures: a cold compile (once, excluded from
//! the samples: it fills caches, notably wasmtime-aot's artifact cache),
//! the startup phases on their own (compile, instantiate, first call),
//! the latency distribution of `run(arg)` on a warm instance and the same
//! from cold (every call from the first on a fresh instance), generated
//! code bytes, peak RSS in a child process, and the engine's counters after
//! every measured sample ([`crate::counters`]). Every call's checksum is
//! checked against the manifest; a wrong one voids the engine's timings.
//!
//! Before the corpus, every engine makes the short calls
//! ([`crate::short_calls`]) on a fresh instance, the engines taking turns
//! call by call.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use wasmlab_contract::{Engine, EngineConfig, Error, Instance, Val};

use crate::BenchError;
use crate::commands::{self, CommandProgram};
use crate::corpus::{self, Corpus, Manifest, Program};
use crate::counters::Sampler;
use crate::results::{
    self, Dist, EngineInfo, MemoryUse, ProgramInfo, Results, ShortCallRun, ShortCalls, Startup, Status,
};
pub use crate::sampling::{ChildReport, peak_rss_bytes};
use crate::sampling::{Plan, Slot, blank_run, cpu_between, guarded, ms, read_counters, status_of};
use crate::short_calls;

/// The hidden `wasmlab` subcommand that measures one engine on one program
/// in a process of its own (see [`crate::run_child`]).
pub const CHILD_SUBCOMMAND: &str = "bench-child";

/// How long one step (an engine on a program: startup, execution or the
/// memory child) may go without progress before the engine counts as hung.
/// No healthy step of the corpus comes near it.
const HANG_LIMIT: Duration = Duration::from_secs(300);

/// Ends the process with a clear message when the progress bar stops
/// moving for [`HANG_LIMIT`]: an engine hung inside a call, and a call
/// cannot be interrupted from outside. Better a named failure than a run
/// that never ends.
fn watchdog(bar: &ProgressBar) -> std::sync::mpsc::Sender<()> {
    let (done, stop) = std::sync::mpsc::channel::<()>();
    let bar = bar.clone();
    std::thread::spawn(move || {
        let mut last = (bar.position(), bar.message());
        let mut since = Instant::now();
        loop {
            match stop.recv_timeout(Duration::from_secs(1)) {
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            let now = (bar.position(), bar.message());
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() > HANG_LIMIT {
                eprintln!(
                    "error: wasmlab bench: no progress for {} s at \"{}\": an engine hung; giving up",
                    HANG_LIMIT.as_secs(),
                    last.1
                );
                std::process::exit(3);
            }
        }
    });
    done
}

/// What to measure and how hard. The default: every engine, every
/// program, full workloads, no peak-memory children, no progress bar.
#[derive(Clone, Debug, Default)]
pub struct BenchOptions {
    /// Engine names; empty = every registered engine.
    pub engines: Vec<String>,
    /// Program names; empty = the whole corpus.
    pub programs: Vec<String>,
    /// Quick arguments and fewer samples (CI, the lab's main job).
    pub quick: bool,
    /// The corpus directory; `None` = find `corpora/bench`.
    pub corpus: Option<PathBuf>,
    /// Measure peak RSS by re-running the current executable as
    /// `wasmlab bench-child ...`: only when this process is `wasmlab`.
    pub memory: bool,
    /// Show a progress bar on the terminal.
    pub progress: bool,
    /// WASI command modules to measure (`--module`). When `programs` names
    /// none, only these are measured (no corpus, no short calls).
    pub modules: Vec<PathBuf>,
    /// Preopens for `modules` (`HOST[::GUEST]`).
    pub dirs: Vec<String>,
    /// Arguments for `modules` (after argv[0]).
    pub module_args: Vec<String>,
    /// The program corpus; `None` = find `corpora/programs` (none when
    /// `corpus` is given).
    pub programs_corpus: Option<PathBuf>,
}

/// The i64 a call of `run` returned.
fn checksum_of(out: Result<Vec<Val>, Error>) -> Result<i64, (Status, String)> {
    match out {
        Ok(v) => match v.as_slice() {
            [Val::I64(x)] => Ok(*x),
            other => Err((Status::Error, format!("`run` returned {other:?}, not one i64"))),
        },
        Err(e) => Err((status_of(&e), format!("run: {e}"))),
    }
}

/// Measures the selected engines on the selected programs.
pub fn bench(options: &BenchOptions) -> Result<Results, BenchError> {
    let dir = corpus::locate(options.corpus.as_deref())?;
    let (corpus, commands) = select(options, &dir)?;
    let names: Vec<String> = if options.engines.is_empty() {
        wasmlab_registry::names().into_iter().map(String::from).collect()
    } else {
        let list = options.engines.join(",");
        wasmlab_registry::parse_list(&list)
            .map_err(|e| BenchError::new(e.to_string()))?
            .into_iter()
            .map(String::from)
            .collect()
    };
    // A fresh artifact cache, so wasmtime-aot's first compile is a real
    // (cold) AOT compile and later ones are cache hits.
    let cache = tempfile::tempdir().map_err(|e| BenchError::new(format!("cannot create a cache directory: {e}")))?;
    let config = EngineConfig { cache_dir: Some(cache.path().to_path_buf()), ..EngineConfig::default() };
    let mut slots: Vec<Slot> = names
        .iter()
        .map(|name| {
            let (engine, create_error) = match guarded(|| wasmlab_registry::create(name, &config)) {
                Ok(e) => (Some(e), None),
                Err(e) => (None, Some(e.to_string())),
            };
            Slot {
                name: name.clone(),
                engine,
                create_error,
                run: blank_run(name, ""),
                compile: Vec::new(),
                instantiate: Vec::new(),
                first_call: Vec::new(),
                total: Vec::new(),
                exec: Vec::new(),
                cold: Vec::new(),
                total_cpu: Vec::new(),
                exec_cpu: Vec::new(),
                instance: None,
                counters: None,
            }
        })
        .collect();

    let mut results = Results {
        schema: results::SCHEMA,
        created: results::now_rfc3339(),
        git_commit: results::git_commit(&dir),
        machine: results::this_machine(),
        quick: options.quick,
        engines: slots
            .iter()
            .map(|s| EngineInfo {
                name: s.name.clone(),
                version: match (&s.engine, &s.create_error) {
                    (Some(e), _) => e.version(),
                    (None, err) => format!("unavailable: {}", err.as_deref().unwrap_or("?")),
                },
            })
            .collect(),
        programs: corpus
            .programs
            .iter()
            .map(|(p, wasm)| {
                let (arg, expected) = p.workload(options.quick);
                ProgramInfo { name: p.name.clone(), kind: p.kind.clone(), arg, expected, wasm_bytes: wasm.len() as u64 }
            })
            .chain(commands.iter().map(|c| ProgramInfo {
                name: c.name.clone(),
                kind: commands::KIND.into(),
                arg: 0,
                expected: c.expected_stdout.as_deref().map(commands::stdout_checksum),
                wasm_bytes: c.wasm.len() as u64,
            }))
            .collect(),
        runs: Vec::new(),
        spec: None,
        diff: None,
        short_calls: None,
    };

    let plan = Plan::for_mode(options.quick);
    let programs = corpus.programs.len() + commands.len();
    let steps = ((programs * if options.memory { 4 } else { 3 } + 1) * slots.len()) as u64;
    let bar = if options.progress { ProgressBar::new(steps) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let child_exe = if options.memory {
        Some(std::env::current_exe().map_err(|e| BenchError::new(format!("cannot find the wasmlab executable: {e}")))?)
    } else {
        None
    };
    let _watchdog = watchdog(&bar);
    // First, on engines that have run nothing yet: no background compile of
    // a corpus program is still going on in a tiered engine.
    if !corpus.programs.is_empty() || commands.is_empty() {
        results.short_calls = Some(measure_short_calls(&slots, plan.short_calls, &bar));
    } else {
        bar.inc(slots.len() as u64);
    }
    for (program, wasm) in &corpus.programs {
        for slot in slots.iter_mut() {
            slot.reset(&program.name);
        }
        measure_program(program, wasm, options.quick, &plan, &mut slots, &bar);
        if let Some(exe) = &child_exe {
            for slot in slots.iter_mut() {
                bar.set_message(format!("{} / {}: peak memory", program.name, slot.name));
                if slot.engine.is_some() && !slot.failed() {
                    let (arg, _) = program.workload(options.quick);
                    match measure_child(exe, &slot.name, &program.name, arg, &dir, cache.path()) {
                        Ok(m) => slot.run.memory = Some(m),
                        // A failed child is a fact about the engine, but its
                        // timings stand: note it, keep the status.
                        Err(e) => slot.run.error = Some(format!("peak memory: {e}")),
                    }
                }
                bar.inc(1);
            }
        }
        collect_runs(&mut slots, &mut results);
    }
    for program in &commands {
        for slot in slots.iter_mut() {
            slot.reset(&program.name);
        }
        let expected = commands::measure_command(program, &plan, &mut slots, &bar);
        if let Some(info) = results.programs.iter_mut().find(|p| p.name == program.name) {
            info.expected = expected.as_ref().map(|e| commands::stdout_checksum(&e.stdout));
        }
        if let Some(exe) = &child_exe {
            for slot in slots.iter_mut() {
                bar.set_message(format!("{} / {}: peak memory", program.name, slot.name));
                if slot.engine.is_some() && !slot.failed() {
                    match measure_command_child(exe, &slot.name, program, cache.path()) {
                        Ok(m) => slot.run.memory = Some(m),
                        Err(e) => slot.run.error = Some(format!("peak memory: {e}")),
                    }
                }
                bar.inc(1);
            }
        }
        collect_runs(&mut slots, &mut results);
    }
    bar.finish_and_clear();
    results.compute_ratios();
    Ok(results)
}

/// Moves every slot's run into `results`, summarised.
fn collect_runs(slots: &mut [Slot], results: &mut Results) {
    for slot in slots.iter_mut() {
        let mut run = std::mem::replace(&mut slot.run, blank_run(&slot.name, ""));
        if run.status == Status::Ok {
            run.startup = summarize_startup(slot);
            run.exec = Dist::of(&slot.exec);
            run.exec_cold = Dist::of(&slot.cold);
            run.exec_cpu = Dist::of(&slot.exec_cpu);
            run.startup_cpu = Dist::of(&slot.total_cpu);
            run.counters = slot.counters.take().and_then(Sampler::finish);
        }
        results.runs.push(run);
    }
}

/// The kernels and the commands `options` select. `programs` names either
/// kind; an unknown name is an error listing both. With `modules` and no
/// names, only the modules.
fn select(options: &BenchOptions, dir: &Path) -> Result<(Corpus, Vec<CommandProgram>), BenchError> {
    let kernels: Vec<String> = Manifest::load(dir)?.programs.into_iter().map(|p| p.name).collect();
    // A kernel corpus given explicitly comes without the program corpus,
    // unless that is given too.
    let programs_dir = match (&options.corpus, &options.programs_corpus) {
        (Some(_), None) => None,
        (_, explicit) => commands::locate(explicit.as_deref()),
    };
    let command_names = programs_dir.as_deref().map(commands::corpus_names).unwrap_or_default();
    for name in &options.programs {
        if !kernels.contains(name) && !command_names.contains(name) {
            let known: Vec<&str> = kernels.iter().chain(&command_names).map(String::as_str).collect();
            return Err(BenchError::new(format!("unknown program `{name}` (known: {})", known.join(", "))));
        }
    }
    let (want_kernels, want_commands): (Vec<String>, Vec<String>) =
        options.programs.iter().cloned().partition(|n| kernels.contains(n));
    let named = !options.programs.is_empty();
    let only_modules = !options.modules.is_empty() && !named;
    let corpus = if only_modules || (named && want_kernels.is_empty()) {
        Corpus { dir: dir.to_path_buf(), programs: Vec::new() }
    } else {
        Corpus::load(dir, &want_kernels)?
    };
    let mut commands = match &programs_dir {
        Some(d) if !only_modules && !(named && want_commands.is_empty()) => commands::load_corpus(d, &want_commands)?,
        _ => Vec::new(),
    };
    for path in &options.modules {
        let mut c = CommandProgram::from_module(path, &options.dirs, &options.module_args)?;
        let taken = |n: &str, cs: &[CommandProgram]| kernels.iter().any(|k| k == n) || cs.iter().any(|c| c.name == n);
        let base = c.name.clone();
        let mut k = 2;
        while taken(&c.name, &commands) {
            c.name = format!("{base}-{k}");
            k += 1;
        }
        commands.push(c);
    }
    Ok((corpus, commands))
}

fn measure_program(program: &Program, wasm: &[u8], quick: bool, plan: &Plan, slots: &mut [Slot], bar: &ProgressBar) {
    let (arg, expected) = program.workload(quick);
    let n = slots.len();

    // 1. Cold compile, once per engine: fills caches; not a startup sample.
    for slot in slots.iter_mut() {
        bar.set_message(format!("{} / {}: compile", program.name, slot.name));
        if let (false, Some(engine)) = (slot.failed(), slot.engine.as_deref()) {
            let start = Instant::now();
            match guarded(|| engine.compile(wasm)) {
                Ok(module) => {
                    slot.run.cold_compile_ms = Some(ms(start.elapsed()));
                    slot.run.code_bytes = module.code_bytes().map(|b| b as u64);
                }
                Err(e) => slot.fail(status_of(&e), format!("compile: {e}")),
            }
            slot.sample_counters(|| "cold compile".into());
        }
    }

    // 2. Startup samples, engines in rotating order.
    for sample in 0..plan.startup_samples {
        for k in 0..n {
            let slot = &mut slots[(sample + k) % n];
            let Some(engine) = slot.engine.as_deref().filter(|_| !slot.failed()) else {
                continue;
            };
            let outcome = guarded(|| {
                let cpu0 = results::process_cpu_time();
                let t0 = Instant::now();
                let module = engine.compile(wasm)?;
                let t1 = Instant::now();
                let mut store = engine.new_store();
                let mut instance = store.instantiate(module.as_ref(), &Default::default())?;
                let t2 = Instant::now();
                let out = instance.call(corpus::ENTRY, &[Val::I32(0)]);
                let t3 = Instant::now();
                let cpu = cpu_between(cpu0, results::process_cpu_time());
                Ok((t1 - t0, t2 - t1, t3 - t2, cpu, out))
            });
            match outcome {
                Ok((c, i, f, cpu, out)) => match checksum_of(out) {
                    Ok(_) => {
                        slot.compile.push(ms(c));
                        slot.instantiate.push(ms(i));
                        slot.first_call.push(ms(f));
                        slot.total.push(ms(c + i + f));
                        slot.total_cpu.extend(cpu.map(ms));
                    }
                    Err((status, msg)) => slot.fail(status, format!("first call {msg}")),
                },
                Err(e) => slot.fail(status_of(&e), format!("startup: {e}")),
            }
            slot.sample_counters(|| format!("startup {sample}"));
        }
    }
    bar.inc(n as u64);

    // 3. Execution: a fresh instance per engine, one call per engine per
    // round. The first call warms it up (lazy compilation, tier-up) and is
    // timed only into the from-cold series; every later call goes into both.
    for slot in slots.iter_mut() {
        bar.set_message(format!("{} / {}: warm-up", program.name, slot.name));
        let Some(engine) = slot.engine.as_deref().filter(|_| !slot.failed()) else {
            continue;
        };
        let made = guarded(|| {
            let module = engine.compile(wasm)?;
            let mut store = engine.new_store();
            let instance = store.instantiate(module.as_ref(), &Default::default())?;
            Ok(instance)
        });
        match made {
            Ok(mut instance) => {
                let start = Instant::now();
                let out = guarded(|| instance.call(corpus::ENTRY, &[Val::I32(arg)]));
                let took = start.elapsed();
                match verify(checksum_of(out), expected) {
                    Ok(sum) => {
                        slot.run.checksum = Some(sum);
                        slot.cold.push(ms(took));
                        slot.instance = Some(instance);
                    }
                    Err((status, msg, sum)) => {
                        slot.run.checksum = sum;
                        slot.fail(status, msg);
                    }
                }
            }
            Err(e) => slot.fail(status_of(&e), format!("instantiate: {e}")),
        }
        slot.sample_counters(|| "warm-up call".into());
    }
    bar.set_message(format!("{}: execution", program.name));
    // Every engine takes part in every round (one call each, in rotating
    // order) until the budget is spent: all engines get the same number of
    // samples from the same stretch of time, so a burst of machine noise
    // hits all of them alike instead of only the slow ones that would
    // otherwise still be running.
    let started = Instant::now();
    let mut round = 0;
    while slots.iter().any(|s| s.instance.is_some())
        && round < plan.max_rounds
        && (round < plan.min_rounds || started.elapsed() < plan.exec_budget)
    {
        for k in 0..n {
            let slot = &mut slots[(round + k) % n];
            let Some(instance) = slot.instance.as_mut() else {
                continue;
            };
            let cpu0 = results::process_cpu_time();
            let start = Instant::now();
            let out = guarded(|| instance.call(corpus::ENTRY, &[Val::I32(arg)]));
            let took = start.elapsed();
            let cpu = cpu_between(cpu0, results::process_cpu_time());
            match verify(checksum_of(out), expected) {
                Ok(_) => {
                    slot.exec.push(ms(took));
                    slot.cold.push(ms(took));
                    slot.exec_cpu.extend(cpu.map(ms));
                }
                Err((status, msg, sum)) => {
                    slot.run.checksum = sum;
                    slot.fail(status, msg);
                }
            }
            slot.sample_counters(|| format!("call {}", round + 1));
        }
        round += 1;
    }
    for slot in slots.iter_mut() {
        slot.instance = None;
    }
    bar.inc(2 * n as u64);
}

/// One engine's state during the short calls.
struct Lane<'a> {
    engine: Option<&'a dyn Engine>,
    instance: Option<Box<dyn Instance>>,
    times: Vec<f64>,
    counters: Option<Sampler>,
    run: ShortCallRun,
}

impl Lane<'_> {
    fn fail(&mut self, status: Status, message: String) {
        if self.run.status == Status::Ok {
            self.run.status = status;
            self.run.error = Some(message);
        }
        self.instance = None;
    }
}

/// The short calls ([`short_calls`]): `calls` calls per engine, each on the
/// engine's one fresh instance, every call timed from the first on (a
/// tiered engine's tier-up is in the series). The engines take turns call
/// by call, in rotating order, so noise and the other engines' background
/// threads hit all of them alike.
fn measure_short_calls(slots: &[Slot], calls: usize, bar: &ProgressBar) -> ShortCalls {
    bar.set_message("short calls");
    let wasm = short_calls::wasm();
    let mut lanes: Vec<Lane> = slots
        .iter()
        .map(|slot| {
            let mut lane = Lane {
                engine: slot.engine.as_deref(),
                instance: None,
                times: Vec::with_capacity(calls),
                counters: None,
                run: ShortCallRun {
                    engine: slot.name.clone(),
                    status: Status::Ok,
                    error: None,
                    latency: None,
                    counters: None,
                },
            };
            let Some(engine) = lane.engine else {
                let why = slot.create_error.as_deref().unwrap_or("?");
                lane.fail(Status::Error, format!("engine unavailable: {why}"));
                return lane;
            };
            lane.counters = Some(Sampler::start(&read_counters(engine)));
            let made = match &wasm {
                Ok(wasm) => guarded(|| engine.instantiate_fresh(wasm)),
                Err(e) => Err(Error::Internal(e.clone())),
            };
            match made {
                Ok(instance) => lane.instance = Some(instance),
                Err(e) => lane.fail(status_of(&e), format!("instantiate: {e}")),
            }
            lane
        })
        .collect();
    let n = lanes.len();
    for i in 0..calls {
        let x = short_calls::arg(i);
        let want = short_calls::expected(x);
        for k in 0..n {
            let lane = &mut lanes[(i + k) % n];
            let Some(instance) = lane.instance.as_mut() else {
                continue;
            };
            let start = Instant::now();
            let out = guarded(|| instance.call(short_calls::EXPORT, &[Val::I32(x)]));
            let took = start.elapsed();
            match out {
                Ok(v) if v == [Val::I32(want)] => lane.times.push(ms(took)),
                Ok(v) => lane.fail(
                    Status::ChecksumMismatch,
                    format!("{}({x}) returned {v:?}, expected {want}", short_calls::EXPORT),
                ),
                Err(e) => lane.fail(status_of(&e), format!("{}: {e}", short_calls::EXPORT)),
            }
            if let (Some(engine), Some(sampler)) = (lane.engine, lane.counters.as_mut()) {
                sampler.sample(&read_counters(engine), || format!("short call {i}"));
            }
        }
    }
    bar.inc(n as u64);
    let runs = lanes
        .into_iter()
        .map(|lane| {
            let mut run = lane.run;
            if run.status == Status::Ok {
                run.latency = Dist::of(&lane.times);
                run.counters = lane.counters.and_then(Sampler::finish);
            }
            run
        })
        .collect();
    ShortCalls { function: short_calls::DESCRIPTION.into(), calls, runs }
}

/// Checks a checksum against the manifest; on failure gives the status,
/// a message, and the wrong value if there was one.
fn verify(got: Result<i64, (Status, String)>, expected: Option<i64>) -> Result<i64, (Status, String, Option<i64>)> {
    match (got, expected) {
        (Ok(sum), Some(want)) if sum != want => {
            Err((Status::ChecksumMismatch, format!("checksum {sum}, expected {want}"), Some(sum)))
        }
        (Ok(sum), _) => Ok(sum),
        (Err((status, msg)), _) => Err((status, msg, None)),
    }
}

fn summarize_startup(slot: &Slot) -> Option<Startup> {
    Some(Startup {
        compile_ms: Dist::of(&slot.compile)?,
        instantiate_ms: Dist::of(&slot.instantiate)?,
        first_call_ms: Dist::of(&slot.first_call)?,
        total_ms: Dist::of(&slot.total)?,
    })
}

/// Runs `exe bench-child` for one engine and program and reads its report.
fn measure_child(
    exe: &Path,
    engine: &str,
    program: &str,
    arg: i32,
    corpus: &Path,
    cache: &Path,
) -> Result<MemoryUse, String> {
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_SUBCOMMAND)
        .args(["--engine", engine, "--program", program, "--arg", &arg.to_string()])
        .arg("--corpus")
        .arg(corpus)
        .arg("--cache-dir")
        .arg(cache);
    child_report(exe, cmd)
}

/// Runs `exe bench-child --command` for one engine and command.
fn measure_command_child(
    exe: &Path,
    engine: &str,
    program: &CommandProgram,
    cache: &Path,
) -> Result<MemoryUse, String> {
    let mut cmd = Command::new(exe);
    cmd.arg(CHILD_SUBCOMMAND).args(["--engine", engine]).arg("--command").arg(&program.path);
    for p in &program.preopens {
        cmd.arg("--dir").arg(format!("{}::{}", p.host.display(), p.guest));
    }
    cmd.arg("--cache-dir").arg(cache).arg("--").args(&program.args[1..]);
    child_report(exe, cmd)
}

/// Runs a `bench-child` command (a hang is killed) and reads its one-line report.
fn child_report(exe: &Path, mut cmd: Command) -> Result<MemoryUse, String> {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let out = wait_with_limit(child, HANG_LIMIT)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!("child exited with {}: {}", out.status, stderr.trim()));
    }
    let report: ChildReport =
        serde_json::from_str(stdout.trim()).map_err(|e| format!("unreadable child report `{}`: {e}", stdout.trim()))?;
    Ok(MemoryUse { peak_rss_bytes: report.peak_rss_bytes, base_rss_bytes: report.base_rss_bytes })
}

/// Waits for a child, killing it when it outlives `limit` (a hung engine).
fn wait_with_limit(mut child: Child, limit: Duration) -> Result<Output, String> {
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("hang: the child ran for more than {} s and was killed", limit.as_secs()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return Err(format!("cannot wait for the child: {e}")),
        }
    }
    // The child has exited: its one-line report fits the pipe buffer.
    child.wait_with_output().map_err(|e| format!("cannot read the child's report: {e}"))
}

/// The child's work: one engine, one program, one `run(arg)`; returns the report.
pub fn child(
    engine: &str,
    program: &str,
    arg: i32,
    corpus_dir: Option<&Path>,
    cache_dir: Option<&Path>,
) -> Result<ChildReport, BenchError> {
    let dir = corpus::locate(corpus_dir)?;
    let corpus = Corpus::load(&dir, &[program.to_string()])?;
    let (_, wasm) = &corpus.programs[0];
    let base = peak_rss_bytes().map_err(BenchError::new)?;
    let config = EngineConfig { cache_dir: cache_dir.map(Path::to_path_buf), ..EngineConfig::default() };
    let err = |e: Error| BenchError::new(format!("{engine} on {program}: {e}"));
    let engine_box = wasmlab_registry::create(engine, &config).map_err(err)?;
    let mut instance = engine_box.instantiate_fresh(wasm).map_err(err)?;
    let checksum = checksum_of(instance.call(corpus::ENTRY, &[Val::I32(arg)]))
        .map_err(|(_, m)| BenchError::new(format!("{engine} on {program}: {m}")))?;
    let peak = peak_rss_bytes().map_err(BenchError::new)?;
    Ok(ChildReport { peak_rss_bytes: peak, base_rss_bytes: base, checksum })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_that_outlives_the_limit_is_killed_and_reported() {
        let child = Command::new("sleep").arg("30").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let start = Instant::now();
        let err = wait_with_limit(child, Duration::from_millis(200)).unwrap_err();
        assert!(err.starts_with("hang:"), "{err}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_child_that_finishes_gives_its_output() {
        let child = Command::new("echo").arg("hi").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let out = wait_with_limit(child, Duration::from_secs(30)).unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    }
}
