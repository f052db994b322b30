//! Campaigns: many generated cases over a set of engines, in parallel
//! worker processes, with progress, statistics per engine pair, and every
//! finding saved as a shrunk reproducer.
//!
//! Case `i` of seed `s` is generated from `(s, i)` alone (by the worker,
//! and again by the parent when it saves a finding), so a campaign is
//! deterministic for a given seed whatever the number of jobs.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use wasmlab_contract::Error;

use crate::cases::{Call, Generator};
use crate::finding::{self, CaseInfo};
use crate::oracle::{CaseReport, Divergence, EngineReport, Status, Verdict};
use crate::rng;
use crate::worker::{self, Job, Outcome, Reply, Worker, WorkerCommand};

#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Engine names, the reference first.
    pub engines: Vec<String>,
    pub seed: u64,
    /// Stop after this many cases...
    pub count: Option<u64>,
    /// ... or after this long (whichever comes first; neither = 60 s).
    pub seconds: Option<f64>,
    pub jobs: usize,
    /// Where findings are saved (`None`: not saved).
    pub out: Option<PathBuf>,
    /// Per-case time limit (a worker silent for longer is a hang).
    pub timeout: Duration,
    pub worker: WorkerCommand,
    /// wasm-shrink attempts per shrunk finding (0 = no shrinking).
    pub shrink_attempts: u32,
    /// Wall-clock budget for shrinking one finding.
    pub shrink_time: Duration,
    /// Findings of one class (engine pair + kind) saved / shrunk at most.
    pub save_per_class: usize,
    pub shrink_per_class: usize,
    pub progress: bool,
    /// Share (percent) of wasm-smith cases generated without traps.
    pub non_trapping_percent: u8,
}

impl CampaignConfig {
    pub fn new(engines: Vec<String>, worker: WorkerCommand) -> CampaignConfig {
        CampaignConfig {
            engines,
            seed: 0,
            count: None,
            seconds: None,
            jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
            out: None,
            timeout: Duration::from_secs(20),
            worker,
            shrink_attempts: 1000,
            shrink_time: Duration::from_secs(60),
            save_per_class: 3,
            shrink_per_class: 1,
            progress: false,
            non_trapping_percent: crate::cases::DEFAULT_NON_TRAPPING_PERCENT,
        }
    }
}

/// Per engine (compared with the reference): how many cases ended how.
#[derive(Clone, Debug, Serialize)]
pub struct PairStats {
    pub reference: String,
    pub engine: String,
    pub counts: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FindingSummary {
    pub engine: String,
    pub reference: String,
    pub kind: String,
    pub summary: String,
    pub index: u64,
    pub origin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    pub original_size: usize,
    pub shrunk_size: usize,
    pub shrunk: bool,
}

/// What `--json FILE` writes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub engines: Vec<String>,
    pub seed: u64,
    pub modules: u64,
    pub calls: u64,
    pub seconds: f64,
    pub modules_per_second: f64,
    /// Cases in which some engine diverged from the reference.
    pub divergences: u64,
    /// Cases cut short by a resource limit (and nothing else).
    pub inconclusive: u64,
    /// Cases in which an engine crashed (panic, abort, signal).
    pub crashes: u64,
    /// Cases in which an engine exceeded the time limit.
    pub hangs: u64,
    /// Cases skipped (unsupported by the reference or by every other engine).
    pub skipped: u64,
    /// Cases with only known (excused) divergences.
    pub known: u64,
    /// Cases that could not be generated.
    pub errors: u64,
    /// Cases in which every engine trapped alike somewhere.
    pub trapped: u64,
    /// How the reference's calls ended: `returned`, or the trap or error
    /// kind (refuel calls left out). What the campaign exercised.
    pub call_outcomes: BTreeMap<String, u64>,
    /// What engines counted (`engine counter`: tier-ups, on-stack
    /// replacements), summed over the cases; gauges (code-cache bytes) at
    /// their largest.
    #[serde(default)]
    pub engine_counters: BTreeMap<String, u64>,
    pub pairs: Vec<PairStats>,
    /// Findings per class `engine vs reference: kind`, and excused known
    /// divergences per rule (`engine: known KD-n`).
    pub classes: BTreeMap<String, u64>,
    pub findings: Vec<FindingSummary>,
}

impl Summary {
    pub fn failed(&self) -> bool {
        self.divergences + self.crashes + self.hangs > 0
    }

    /// One line on how the reference's calls ended: the share that
    /// returned, then each trap or error kind, most frequent first.
    pub fn call_outcomes_line(&self) -> String {
        let total: u64 = self.call_outcomes.values().sum();
        let returned = self.call_outcomes.get("returned").copied().unwrap_or(0);
        let mut rest: Vec<(&String, &u64)> = self.call_outcomes.iter().filter(|(k, _)| *k != "returned").collect();
        rest.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let pct = |n: u64| if total == 0 { 0.0 } else { 100.0 * n as f64 / total as f64 };
        let mut line = format!("calls of the reference: {returned} of {total} returned ({:.1}%)", pct(returned));
        for (kind, n) in rest {
            line.push_str(&format!(", {n} {kind}"));
        }
        line
    }

    /// The per-engine-pair table.
    pub fn table(&self) -> String {
        let cols: Vec<&str> = Status::ALL.iter().map(|s| s.word()).collect();
        let mut s = format!("{:<12} {:<16}", "reference", "engine");
        for c in &cols {
            s.push_str(&format!(" {c:>12}"));
        }
        s.push('\n');
        for p in &self.pairs {
            s.push_str(&format!("{:<12} {:<16}", p.reference, p.engine));
            for c in &cols {
                s.push_str(&format!(" {:>12}", p.counts.get(*c).copied().unwrap_or(0)));
            }
            s.push('\n');
        }
        s
    }
}

struct Shared {
    cfg: CampaignConfig,
    generator: Generator,
    cache_dir: PathBuf,
    next: AtomicU64,
    stop: AtomicBool,
    done: AtomicBool,
    start: Instant,
    summary: Mutex<Summary>,
    fatal: Mutex<Option<Error>>,
    bar: indicatif::ProgressBar,
}

/// Runs a campaign to completion.
pub fn run(cfg: CampaignConfig) -> Result<Summary, Error> {
    if cfg.engines.is_empty() {
        return Err(Error::Usage("no engines".into()));
    }
    let cache = tempfile::Builder::new()
        .prefix("wasmlab-diff-cache-")
        .tempdir()
        .map_err(|e| Error::Internal(format!("cannot create a cache directory: {e}")))?;
    // One worker up front: checks the engine names and tells the proposals
    // every engine supports (what the generator is configured with).
    let probe = Worker::spawn(&cfg.worker, &cfg.engines, Some(cache.path()), cfg.non_trapping_percent)?;
    let features = worker::features_from_names(&probe.hello.features);
    drop(probe);
    let bar = if cfg.progress {
        let bar = match cfg.count {
            Some(n) if cfg.seconds.is_none() => indicatif::ProgressBar::new(n),
            _ => indicatif::ProgressBar::new_spinner(),
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template("{elapsed_precise} {bar:24} {pos} modules ({per_sec}) {msg}")
                .expect("valid template"),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut summary = Summary { engines: cfg.engines.clone(), seed: cfg.seed, ..Summary::default() };
    for e in &cfg.engines {
        summary.pairs.push(PairStats { reference: cfg.engines[0].clone(), engine: e.clone(), counts: BTreeMap::new() });
    }
    let shared = Arc::new(Shared {
        generator: Generator::new(features).with_non_trapping_percent(cfg.non_trapping_percent),
        cache_dir: cache.path().to_path_buf(),
        next: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        done: AtomicBool::new(false),
        start: Instant::now(),
        summary: Mutex::new(summary),
        fatal: Mutex::new(None),
        bar,
        cfg,
    });
    // AOT engines keep an artifact per module in the cache directory; a
    // campaign never meets a module twice, so the files are only a cost
    // (gigabytes over a long run). Empty the directory now and then: an
    // engine that finds no artifact compiles anew, one whose write races
    // with the purge loses only the artifact.
    let purger = {
        let s = shared.clone();
        std::thread::spawn(move || {
            let mut last = Instant::now();
            while !s.done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                if last.elapsed() > Duration::from_secs(5) {
                    last = Instant::now();
                    for entry in std::fs::read_dir(&s.cache_dir).into_iter().flatten().flatten() {
                        let _ = std::fs::remove_file(entry.path());
                    }
                }
            }
        })
    };
    let threads: Vec<_> = (0..shared.cfg.jobs.max(1))
        .map(|_| {
            let s = shared.clone();
            std::thread::spawn(move || job_thread(&s))
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    shared.done.store(true, Ordering::Relaxed);
    let _ = purger.join();
    shared.bar.finish_and_clear();
    if let Some(e) = shared.fatal.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(e);
    }
    let mut summary = shared.summary.lock().unwrap_or_else(|p| p.into_inner()).clone();
    summary.seconds = shared.start.elapsed().as_secs_f64();
    summary.modules_per_second = summary.modules as f64 / summary.seconds.max(1e-9);
    drop(cache);
    Ok(summary)
}

impl Shared {
    fn next_index(&self) -> Option<u64> {
        if self.stop.load(Ordering::Relaxed) {
            return None;
        }
        let limit = self.cfg.seconds.or(if self.cfg.count.is_none() { Some(60.0) } else { None });
        if limit.is_some_and(|s| self.start.elapsed().as_secs_f64() >= s) {
            return None;
        }
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if self.cfg.count.is_some_and(|n| i >= n) {
            return None;
        }
        Some(i)
    }

    /// A line for the user, above the progress bar (or on stderr when the
    /// bar is hidden).
    fn say(&self, line: String) {
        if self.cfg.progress {
            self.bar.println(line);
        } else {
            eprintln!("{line}");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Summary> {
        self.summary.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn spawn(&self, engines: &[String]) -> Result<Worker, Error> {
        Worker::spawn(&self.cfg.worker, engines, Some(&self.cache_dir), self.cfg.non_trapping_percent)
    }

    /// Counts a finished case; returns the findings worth saving.
    fn account(&self, report: &CaseReport) {
        let mut s = self.lock();
        s.modules += 1;
        s.calls += report.calls as u64;
        for (kind, n) in &report.call_outcomes {
            *s.call_outcomes.entry(kind.clone()).or_default() += u64::from(*n);
        }
        for (name, n) in &report.engine_counters {
            let c = s.engine_counters.entry(name.clone()).or_default();
            let gauge = name.rsplit(' ').next().is_some_and(|k| wasmlab_contract::GAUGES.contains(&k));
            *c = if gauge { (*c).max(*n) } else { *c + n };
        }
        match report.verdict() {
            Verdict::Diverged => s.divergences += 1,
            Verdict::Crashed => {
                if report.engines.iter().any(|e| e.status == Status::Hung) {
                    s.hangs += 1;
                } else {
                    s.crashes += 1;
                }
            }
            Verdict::Inconclusive => s.inconclusive += 1,
            Verdict::Skipped => s.skipped += 1,
            Verdict::Known => s.known += 1,
            Verdict::Trapped => s.trapped += 1,
            Verdict::Agree => {}
        }
        for e in &report.engines {
            if let Some(p) = s.pairs.iter_mut().find(|p| p.engine == e.engine) {
                *p.counts.entry(e.status.word().to_string()).or_default() += 1;
            }
        }
        for d in &report.divergences {
            *s.classes.entry(format!("{} vs {}: {}", d.engine, d.reference, d.kind)).or_default() += 1;
        }
        for e in report.engines.iter().filter(|e| e.status == Status::Known) {
            // The note names the rule: "known divergence KD-n (...)".
            let id = e.note.split_whitespace().nth(2).unwrap_or("?");
            *s.classes.entry(format!("{}: known {id}", e.engine)).or_default() += 1;
        }
        self.bar.inc(1);
        self.bar.set_message(format!(
            "| {} divergences, {} inconclusive, {} crashes, {} hangs",
            s.divergences, s.inconclusive, s.crashes, s.hangs
        ));
    }
}

fn job_thread(sh: &Shared) {
    let mut worker: Option<Worker> = None;
    while let Some(index) = sh.next_index() {
        if worker.is_none() {
            match sh.spawn(&sh.cfg.engines) {
                Ok(w) => worker = Some(w),
                Err(e) => {
                    *sh.fatal.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    sh.stop.store(true, Ordering::Relaxed);
                    return;
                }
            }
        }
        let job = Job::Case { seed: sh.cfg.seed, index };
        let outcome = worker.as_mut().expect("spawned").run(&job, sh.cfg.timeout);
        let report = match outcome {
            Outcome::Reply(r) => {
                if r.restart {
                    worker = None;
                }
                match r.report {
                    Some(report) => report,
                    None => {
                        sh.lock().errors += 1;
                        continue;
                    }
                }
            }
            Outcome::Died { status, stderr } => {
                worker = None;
                isolated_finding(sh, index, "crash", &format!("worker {status}"), &stderr)
            }
            Outcome::Hung { stderr } => {
                worker = None;
                let limit = format!("no answer within {:?}", sh.cfg.timeout);
                isolated_finding(sh, index, "hang", &limit, &stderr)
            }
        };
        sh.account(&report);
        for d in first_per_engine(&report.divergences) {
            handle_finding(sh, index, &report, d);
        }
    }
}

fn first_per_engine(ds: &[Divergence]) -> Vec<&Divergence> {
    let mut out: Vec<&Divergence> = Vec::new();
    for d in ds {
        if !out.iter().any(|o| o.engine == d.engine) {
            out.push(d);
        }
    }
    out
}

/// A worker died or hung on case `index`: find the engine responsible by
/// running the case on each engine alone in a fresh worker, and make a
/// report that names it.
fn isolated_finding(sh: &Shared, index: u64, kind: &str, status: &str, stderr: &str) -> CaseReport {
    let reference = sh.cfg.engines[0].clone();
    // The module itself, not the case number: a worker with fewer engines
    // would generate a different module for the same case (its engines'
    // common proposals differ).
    let job = match sh.generator.case(sh.cfg.seed, index) {
        Ok(case) => Job::Module {
            wasm_hex: worker::hex(&case.wasm),
            calls: Some(case.calls.iter().map(Call::to_text).collect()),
            plan_seed: 0,
            trace: false,
        },
        Err(_) => Job::Case { seed: sh.cfg.seed, index },
    };
    // Each engine runs beside the reference only (an engine alone would be
    // its own reference, and a lone reference calls nothing it does not
    // need to compare); the reference runs alone. An engine is a culprit
    // when its pair dies and the reference alone does not.
    let mut culprits = Vec::new();
    let mut reference_dies = false;
    for e in &sh.cfg.engines {
        let set: Vec<String> =
            if *e == reference { vec![reference.clone()] } else { vec![reference.clone(), e.clone()] };
        let Ok(mut w) = sh.spawn(&set) else { continue };
        let dies = match w.run(&job, sh.cfg.timeout) {
            Outcome::Reply(r) => r.report.as_ref().is_some_and(|r| r.status(e) == Some(Status::Crashed)),
            Outcome::Died { .. } | Outcome::Hung { .. } => true,
        };
        if dies && *e == reference {
            reference_dies = true;
            culprits.push(e.clone());
        } else if dies && !reference_dies {
            culprits.push(e.clone());
        }
    }
    if culprits.is_empty() && kind == "hang" {
        // No engine hangs on it alone: run the whole set once more in a fresh
        // worker. If that answers in time, the stall was the machine's (a
        // loaded machine can starve a worker), not an engine's: inconclusive.
        if let Ok(mut w) = sh.spawn(&sh.cfg.engines)
            && let Outcome::Reply(Reply { report: Some(mut r), .. }) = w.run(&job, sh.cfg.timeout)
        {
            for e in &mut r.engines {
                if e.status == Status::Agree {
                    e.status = Status::Inconclusive;
                    e.note = format!("{status} once, not reproducible");
                }
            }
            return r;
        }
    }
    let status_of = if kind == "hang" { Status::Hung } else { Status::Crashed };
    let tail: String =
        stderr.lines().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    let blamed = if culprits.is_empty() { sh.cfg.engines.clone() } else { culprits.clone() };
    let note =
        if culprits.is_empty() { format!("{status} (no engine reproduces it alone)") } else { status.to_string() };
    CaseReport {
        reference: reference.clone(),
        engines: sh
            .cfg
            .engines
            .iter()
            .map(|e| {
                if blamed.contains(e) {
                    EngineReport { engine: e.clone(), status: status_of, note: note.clone() }
                } else {
                    EngineReport {
                        engine: e.clone(),
                        status: Status::Inconclusive,
                        note: format!("another engine's {kind}"),
                    }
                }
            })
            .collect(),
        calls: 0,
        trapped: false,
        call_outcomes: BTreeMap::new(),
        engine_counters: BTreeMap::new(),
        divergences: blamed
            .iter()
            .map(|e| Divergence {
                engine: e.clone(),
                reference: reference.clone(),
                kind: kind.into(),
                call: None,
                what: note.clone(),
                expected: format!("no {kind}"),
                actual: if tail.is_empty() { note.clone() } else { format!("{note}; stderr:\n{tail}") },
            })
            .collect(),
        trace: Vec::new(),
    }
}

/// Saves (and maybe shrinks) a finding, within the per-class quotas.
fn handle_finding(sh: &Shared, index: u64, report: &CaseReport, d: &Divergence) {
    let (shrunk_before, saved_before) = {
        let s = sh.lock();
        let same = |f: &&FindingSummary| f.engine == d.engine && f.reference == d.reference && f.kind == d.kind;
        (s.findings.iter().filter(same).filter(|f| f.shrunk).count(), s.findings.iter().filter(same).count())
    };
    let mut fs = FindingSummary {
        engine: d.engine.clone(),
        reference: d.reference.clone(),
        kind: d.kind.clone(),
        summary: d.to_string(),
        index,
        origin: String::new(),
        dir: None,
        original_size: 0,
        shrunk_size: 0,
        shrunk: false,
    };
    let Ok(case) = sh.generator.case(sh.cfg.seed, index) else { return };
    fs.origin = case.origin.clone();
    fs.original_size = case.wasm.len();
    fs.shrunk_size = case.wasm.len();
    if saved_before >= sh.cfg.save_per_class {
        return;
    }
    let Some(root) = sh.cfg.out.clone() else {
        sh.lock().findings.push(fs);
        return;
    };
    let mut info = CaseInfo {
        engines: sh.cfg.engines.clone(),
        engine: d.engine.clone(),
        reference: d.reference.clone(),
        kind: d.kind.clone(),
        summary: d.to_string(),
        origin: case.origin.clone(),
        seed: Some(sh.cfg.seed),
        index: Some(index),
        original_size: case.wasm.len(),
        shrunk_size: case.wasm.len(),
    };
    let dir = match finding::save(&root, &case.wasm, &case.calls, &info, report) {
        Ok(Some(dir)) => dir,
        Ok(None) => return,
        Err(e) => {
            sh.say(format!("cannot save finding: {e}"));
            return;
        }
    };
    fs.dir = Some(dir.display().to_string());
    // Cases made of one instruction are as small as they get already; a
    // hang would cost the time limit per candidate.
    let shrink = shrunk_before < sh.cfg.shrink_per_class
        && sh.cfg.shrink_attempts > 0
        && d.kind != "hang"
        && case.origin.starts_with("smith");
    if shrink {
        fs.shrunk = true;
        let fixed_calls = None;
        let plan_seed = rng::derive_seed(sh.cfg.seed, index, 1);
        if let Some((wasm, calls, rep)) = shrink_finding(sh, &case.wasm, fixed_calls, plan_seed, d, report) {
            info.shrunk_size = wasm.len();
            fs.shrunk_size = wasm.len();
            if let Err(e) = finding::update(&dir, &wasm, &calls, &info, &rep) {
                sh.say(format!("cannot save shrunk finding: {e}"));
            }
        }
    }
    sh.say(format!("finding: {} -> {}", fs.summary.lines().next().unwrap_or(""), dir.display()));
    sh.lock().findings.push(fs);
}

/// Shrinks a finding in a worker of its own (candidates may crash engines
/// too). Returns the shrunk module, its calls and its traced report.
fn shrink_finding(
    sh: &Shared,
    wasm: &[u8],
    fixed_calls: Option<Vec<Call>>,
    plan_seed: u64,
    d: &Divergence,
    original: &CaseReport,
) -> Option<(Vec<u8>, Vec<Call>, CaseReport)> {
    // A crash is shrunk on the crashing engine alone (so that the crash
    // cannot be masked by another engine); a divergence on its pair.
    let engines: Vec<String> = if d.kind == "crash" {
        vec![d.engine.clone()]
    } else if d.engine == d.reference {
        vec![d.reference.clone()]
    } else {
        vec![d.reference.clone(), d.engine.clone()]
    };
    let mut w = sh.spawn(&engines).ok();
    let job = |candidate: &[u8], trace: bool| Job::Module {
        wasm_hex: worker::hex(candidate),
        calls: fixed_calls.as_ref().map(|c| c.iter().map(Call::to_text).collect()),
        plan_seed,
        trace,
    };
    let timeout = sh.cfg.timeout;
    let deadline = Instant::now() + sh.cfg.shrink_time;
    let shrunk = finding::shrink(wasm, sh.cfg.shrink_attempts, deadline, |candidate| {
        if w.is_none() {
            w = sh.spawn(&engines).ok();
        }
        let Some(worker) = w.as_mut() else { return false };
        match worker.run(&job(candidate, false), timeout) {
            Outcome::Reply(r) => {
                if r.restart {
                    w = None;
                }
                r.report.is_some_and(|rep| {
                    finding::same_class(&rep, d)
                        || (d.kind == "crash" && rep.status(&d.engine) == Some(Status::Crashed))
                })
            }
            Outcome::Died { .. } => {
                w = None;
                d.kind == "crash"
            }
            Outcome::Hung { .. } => {
                w = None;
                false
            }
        }
    });
    // The final report, traced, on the full engine set (a crash kills that
    // run too: then the original report stands).
    let report = match sh.spawn(&sh.cfg.engines).map(|mut full| full.run(&job(&shrunk, true), timeout)) {
        Ok(Outcome::Reply(Reply { report: Some(r), .. })) => r,
        _ => original.clone(),
    };
    let calls = match fixed_calls {
        Some(c) => c,
        None => crate::cases::plan(&shrunk, &mut rng::Rng::new(plan_seed)),
    };
    Some((shrunk, calls, report))
}
