//! `wasmlab gate`: compares a current results file with a baseline and
//! fails on regressions.
//!
//! Deterministic figures are compared exactly: every run's status and
//! checksum, generated-code bytes (only between files from the same CPU,
//! since code generation depends on the CPU features), spec-suite totals
//! per engine, and the differential campaign's findings (none expected)
//! and, when both campaigns ran the same cases, every outcome count. Time
//! is compared only as ratios against wasmtime from the same run (least
//! CPU time over wasmtime's least: the figure a loaded machine disturbs
//! least), never as absolute times, and only beyond a noise threshold
//! (startup only where it is long enough to measure, see
//! [`STARTUP_FLOOR_MS`]). Whatever the gate needs and either file lacks
//! fails it, by name: a gate that cannot see a figure must not pass it.

use std::fmt::Write;

use crate::results::{REFERENCES, Results, Run, Status};

/// Default noise threshold for time ratios, in percent.
pub const DEFAULT_THRESHOLD_PCT: f64 = 10.0;

/// Startup ratios are compared only where the engine's baseline startup
/// (the figure compared: least CPU time, else the median) is at least this
/// long: below it, a ratio of two tiny figures measures the scheduler more
/// than the engine.
pub const STARTUP_FLOOR_MS: f64 = 0.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A regression: the gate fails.
    Fail,
    /// Better than the baseline, or not comparable: shown, never fails.
    Note,
}

/// One row of the gate's table.
#[derive(Clone, Debug)]
pub struct Finding {
    pub verdict: Verdict,
    pub check: &'static str,
    pub engine: String,
    pub program: String,
    pub baseline: String,
    pub current: String,
    pub change: String,
}

#[derive(Clone, Debug)]
pub struct GateOutcome {
    pub threshold_pct: f64,
    /// How many figures were compared.
    pub compared: usize,
    pub findings: Vec<Finding>,
}

impl GateOutcome {
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    pub fn failures(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.verdict == Verdict::Fail)
    }

    /// The findings as an aligned text table, regressions first, and a verdict line.
    pub fn table(&self) -> String {
        let mut rows: Vec<[String; 7]> = vec![[
            "verdict".into(),
            "check".into(),
            "engine".into(),
            "program".into(),
            "baseline".into(),
            "current".into(),
            "change".into(),
        ]];
        let mut sorted: Vec<&Finding> = self.findings.iter().collect();
        sorted.sort_by_key(|f| f.verdict != Verdict::Fail);
        for f in sorted {
            rows.push([
                match f.verdict {
                    Verdict::Fail => "REGRESSED".into(),
                    Verdict::Note => "note".into(),
                },
                f.check.into(),
                f.engine.clone(),
                f.program.clone(),
                f.baseline.clone(),
                f.current.clone(),
                f.change.clone(),
            ]);
        }
        let mut out = String::new();
        if rows.len() > 1 {
            let widths: Vec<usize> =
                (0..7).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
            for (i, row) in rows.iter().enumerate() {
                let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
                writeln!(out, "{}", line.join("  ").trim_end()).unwrap();
                if i == 0 {
                    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                    writeln!(out, "{}", rule.join("  ")).unwrap();
                }
            }
        }
        let fails = self.failures().count();
        if fails == 0 {
            writeln!(out, "gate: PASSED ({} figures compared, time threshold {}%)", self.compared, self.threshold_pct)
                .unwrap();
        } else {
            writeln!(
                out,
                "gate: FAILED, {fails} regression{} ({} figures compared, time threshold {}%)",
                if fails == 1 { "" } else { "s" },
                self.compared,
                self.threshold_pct
            )
            .unwrap();
        }
        out
    }
}

struct Gate {
    outcome: GateOutcome,
}

impl Gate {
    /// Adds a row; `values` are the baseline, current and change columns.
    fn push(&mut self, verdict: Verdict, check: &'static str, engine: &str, program: &str, values: [String; 3]) {
        let [baseline, current, change] = values;
        self.outcome.findings.push(Finding {
            verdict,
            check,
            engine: engine.into(),
            program: program.into(),
            baseline,
            current,
            change,
        });
    }
}

fn pct(change: f64) -> String {
    format!("{:+.1}%", change * 100.0)
}

/// Compares `current` with `baseline`; `threshold_pct` is the noise allowed
/// on time ratios.
///
/// What the gate cannot see fails it: spec totals or a campaign summary
/// missing from either file, an engine or run of the baseline missing from
/// the current file, a different workload, a ratio the baseline has and the
/// current file lacks. Engines new in the current file are notes.
pub fn gate(baseline: &Results, current: &Results, threshold_pct: f64) -> GateOutcome {
    let mut g = Gate { outcome: GateOutcome { threshold_pct, compared: 0, findings: Vec::new() } };
    let threshold = threshold_pct / 100.0;
    let same_cpu = baseline.machine.cpu == current.machine.cpu && baseline.machine.arch == current.machine.arch;
    if !same_cpu {
        g.push(
            Verdict::Note,
            "machine",
            "",
            "",
            [baseline.machine.cpu.clone(), current.machine.cpu.clone(), "code bytes not compared".into()],
        );
    }
    g.outcome.compared += 1;
    if baseline.quick != current.quick {
        let mode = |q: bool| if q { "quick" } else { "full" }.to_string();
        g.push(
            Verdict::Fail,
            "mode",
            "",
            "",
            [
                mode(baseline.quick),
                mode(current.quick),
                "different workloads and sample counts: gate against a baseline of the same mode".into(),
            ],
        );
    }

    compare_statuses(&mut g, baseline, current);
    let missing_engines = compare_engines(&mut g, baseline, current);
    let other_workload = compare_workloads(&mut g, baseline, current);

    for base in &baseline.runs {
        let (engine, program) = (base.engine.as_str(), base.program.as_str());
        if missing_engines.contains(&engine) || other_workload.contains(&program) {
            continue; // failed above, once for the engine or the program
        }
        let Some(cur) = current.run(engine, program) else {
            g.outcome.compared += 1;
            if base.status == Status::Ok {
                g.push(Verdict::Fail, "missing", engine, program, ["ok".into(), "not run".into(), String::new()]);
            }
            continue;
        };
        if base.status == Status::Ok && cur.status == Status::Unsupported {
            g.push(
                Verdict::Fail,
                "status",
                engine,
                program,
                ["ok".into(), "unsupported".into(), cur.error.clone().unwrap_or_default()],
            );
        }
        if base.status != Status::Ok || cur.status != Status::Ok {
            continue; // a failed current run failed above; a failed baseline run has no figures
        }
        compare_exact(&mut g, base, cur, same_cpu);
        if engine == REFERENCES[0] {
            continue; // the reference against itself is always 1
        }
        // CPU-time ratios (see `Ratios::exec_cpu_vs_wasmtime`) where both
        // files have them, else the wall-time medians.
        let exec = pick(
            (base.ratios.exec_cpu_vs_wasmtime, cur.ratios.exec_cpu_vs_wasmtime),
            (base.ratios.exec_vs_wasmtime, cur.ratios.exec_vs_wasmtime),
        );
        compare_ratio(&mut g, "exec / wasmtime", exec, base, threshold);
        // The floor applies to the figure the ratio is taken of: the least
        // CPU time where both files have CPU ratios, else the median.
        let cpu = base.ratios.startup_cpu_vs_wasmtime.is_some() && cur.ratios.startup_cpu_vs_wasmtime.is_some();
        let base_ms =
            if cpu { base.startup_cpu.as_ref().map(|d| d.min) } else { base.startup.as_ref().map(|s| s.total_ms.p50) };
        // No startup figures at all: compared, so reported missing.
        let startup_long = base_ms.is_none_or(|ms| ms >= STARTUP_FLOOR_MS);
        if startup_long {
            let startup = pick(
                (base.ratios.startup_cpu_vs_wasmtime, cur.ratios.startup_cpu_vs_wasmtime),
                (base.ratios.startup_vs_wasmtime, cur.ratios.startup_vs_wasmtime),
            );
            compare_ratio(&mut g, "startup / wasmtime", startup, base, threshold);
        }
    }

    compare_spec(&mut g, baseline, current);
    compare_campaign(&mut g, baseline, current);
    g.outcome
}

/// Every current run must have produced its checksum.
fn compare_statuses(g: &mut Gate, baseline: &Results, current: &Results) {
    for run in &current.runs {
        g.outcome.compared += 1;
        if run.status != Status::Ok && run.status != Status::Unsupported {
            let was = baseline.run(&run.engine, &run.program).map(|b| b.status.word()).unwrap_or("-");
            g.push(
                Verdict::Fail,
                "status",
                &run.engine,
                &run.program,
                [was.into(), run.status.word().into(), run.error.clone().unwrap_or_default()],
            );
        }
    }
}

/// A baseline engine the current file lacks fails (once, not per run); a
/// new engine is a note. Returns the missing engines.
fn compare_engines<'a>(g: &mut Gate, baseline: &'a Results, current: &Results) -> Vec<&'a str> {
    let (b, c) = (baseline.engine_names(), current.engine_names());
    for engine in c.iter().filter(|e| !b.contains(e)) {
        g.push(Verdict::Note, "engine", engine, "", ["-".into(), "new".into(), "not in the baseline".into()]);
    }
    let missing: Vec<&str> = b.into_iter().filter(|e| !c.contains(e)).collect();
    for engine in &missing {
        g.outcome.compared += 1;
        g.push(
            Verdict::Fail,
            "engine",
            engine,
            "",
            ["ran".into(), "not run".into(), "an engine of the baseline is missing from the current results".into()],
        );
    }
    missing
}

/// A baseline program the current file lacks, or runs with another
/// argument, fails: its checksum and times are not the same figures.
/// Returns those programs.
fn compare_workloads<'a>(g: &mut Gate, baseline: &'a Results, current: &Results) -> Vec<&'a str> {
    let mut differ = Vec::new();
    for p in &baseline.programs {
        g.outcome.compared += 1;
        let cur = current.programs.iter().find(|c| c.name == p.name);
        let (now, why) = match cur {
            None => ("not run".to_string(), "a program of the baseline is missing from the current results"),
            Some(c) if c.arg != p.arg || c.expected != p.expected => (
                format!("arg {} (checksum {:?})", c.arg, c.expected),
                "another workload: checksum and times are not comparable; refresh the baseline",
            ),
            Some(_) => continue,
        };
        g.push(
            Verdict::Fail,
            "workload",
            "",
            &p.name,
            [format!("arg {} (checksum {:?})", p.arg, p.expected), now, why.into()],
        );
        differ.push(p.name.as_str());
    }
    for p in &current.programs {
        if !baseline.programs.iter().any(|b| b.name == p.name) {
            g.push(
                Verdict::Note,
                "workload",
                "",
                &p.name,
                ["-".into(), format!("arg {}", p.arg), "new program, not in the baseline".into()],
            );
        }
    }
    differ
}

/// What a time ratio can be compared on.
enum Pair {
    Both(f64, f64),
    /// Which file lacks the ratio.
    Missing(&'static str),
}

/// The first of the (baseline, current) pairs both files have; else which
/// file lacks the ratio.
fn pick(cpu: (Option<f64>, Option<f64>), wall: (Option<f64>, Option<f64>)) -> Pair {
    match (cpu, wall) {
        ((Some(b), Some(c)), _) | (_, (Some(b), Some(c))) => Pair::Both(b, c),
        ((None, _), (None, _)) => Pair::Missing("baseline"),
        _ => Pair::Missing("current results"),
    }
}

fn compare_spec(g: &mut Gate, baseline: &Results, current: &Results) {
    let (b, c) = match (&baseline.spec, &current.spec) {
        (Some(b), Some(c)) => (b, c),
        (b, c) => {
            g.outcome.compared += 1;
            let has = |x: &Option<_>| if x.is_some() { "present" } else { "missing" };
            let which = match (b, c) {
                (None, None) => "neither file carries spec-suite totals",
                (None, _) => "the baseline carries no spec-suite totals",
                _ => "the current results carry no spec-suite totals",
            };
            g.push(
                Verdict::Fail,
                "spec",
                "",
                "",
                [
                    has(b).into(),
                    has(c).into(),
                    format!("{which}: attach `wasmlab wast --json` output with `bench --spec`"),
                ],
            );
            return;
        }
    };
    let show = |x: &crate::results::SpecCounts| format!("{}/{}/{} p/f/s", x.passed, x.failed, x.skipped);
    for (engine, bc) in b {
        g.outcome.compared += 1;
        let Some(cc) = c.get(engine) else {
            g.push(
                Verdict::Fail,
                "spec",
                engine,
                "",
                [show(bc), "not run".into(), "an engine of the baseline has no spec totals".into()],
            );
            continue;
        };
        if cc == bc {
            continue;
        }
        // Only failures turning into passes, on the same assertions, is an
        // improvement; any other change (more skips, a different total) is
        // a change in what is being counted and fails.
        let improved =
            cc.skipped == bc.skipped && cc.passed + cc.failed == bc.passed + bc.failed && cc.failed < bc.failed;
        g.push(
            if improved { Verdict::Note } else { Verdict::Fail },
            "spec",
            engine,
            "",
            [
                show(bc),
                show(cc),
                if improved {
                    "improved: refresh the baseline".into()
                } else {
                    format!(
                        "{:+} passed, {:+} failed, {:+} skipped",
                        cc.passed as i64 - bc.passed as i64,
                        cc.failed as i64 - bc.failed as i64,
                        cc.skipped as i64 - bc.skipped as i64
                    )
                },
            ],
        );
    }
    for (engine, cc) in c {
        if !b.contains_key(engine) {
            g.push(Verdict::Note, "spec", engine, "", ["-".into(), show(cc), "new engine, not in the baseline".into()]);
        }
    }
}

fn compare_campaign(g: &mut Gate, baseline: &Results, current: &Results) {
    let (b, c) = match (&baseline.diff, &current.diff) {
        (Some(b), Some(c)) => (b, c),
        (b, c) => {
            g.outcome.compared += 1;
            let has = |x: &Option<_>| if x.is_some() { "present" } else { "missing" };
            let which = match (b, c) {
                (None, None) => "neither file carries a campaign summary",
                (None, _) => "the baseline carries no campaign summary",
                _ => "the current results carry no campaign summary",
            };
            g.push(
                Verdict::Fail,
                "differential",
                "",
                "",
                [
                    has(b).into(),
                    has(c).into(),
                    format!("{which}: attach `wasmlab diff --json` output with `bench --diff`"),
                ],
            );
            return;
        }
    };
    let engines = c.engines.join(",");
    g.outcome.compared += 1;
    if c.modules == 0 {
        g.push(
            Verdict::Fail,
            "differential",
            &engines,
            "modules",
            [b.modules.to_string(), "0".into(), "the campaign ran no module".into()],
        );
    }
    // Findings: none is the only good number, whatever the baseline says.
    for (what, bn, cn) in
        [("divergences", b.divergences, c.divergences), ("crashes", b.crashes, c.crashes), ("hangs", b.hangs, c.hangs)]
    {
        g.outcome.compared += 1;
        if cn > 0 {
            g.push(
                Verdict::Fail,
                "differential",
                &engines,
                what,
                [bn.to_string(), cn.to_string(), format!("0 expected ({} modules in {:.0} s)", c.modules, c.seconds)],
            );
        } else if bn > 0 {
            g.push(
                Verdict::Note,
                "differential",
                &engines,
                what,
                [bn.to_string(), "0".into(), "the baseline has findings: refresh it".into()],
            );
        }
    }
    for e in &b.engines {
        g.outcome.compared += 1;
        if !c.engines.contains(e) {
            g.push(
                Verdict::Fail,
                "differential",
                e,
                "engines",
                ["compared".into(), "not compared".into(), "an engine of the baseline's campaign is missing".into()],
            );
        }
    }
    for e in c.engines.iter().filter(|e| !b.engines.contains(e)) {
        g.push(
            Verdict::Note,
            "differential",
            e,
            "engines",
            ["-".into(), "compared".into(), "new engine in the campaign".into()],
        );
    }

    // Case i comes from (seed, i) over the engines' common features: the
    // same seed, engines and module count are the same cases, and every
    // outcome count must then be the same too.
    let same_cases = b.seed.is_some() && b.seed == c.seed && b.engines == c.engines && b.modules == c.modules;
    if !same_cases {
        let what = |d: &crate::results::DiffSummary| {
            format!("seed {}, {} modules", d.seed.map_or("-".into(), |s| s.to_string()), d.modules)
        };
        g.push(
            Verdict::Note,
            "differential",
            &engines,
            "cases",
            [what(b), what(c), "not the same cases: only findings compared".into()],
        );
        return;
    }
    let why =
        "the same cases ended differently: the generator or the oracle changed (refresh the baseline if intended)";
    for (what, bn, cn) in [
        ("calls", b.calls, c.calls),
        ("inconclusive", b.inconclusive, c.inconclusive),
        ("skipped", b.skipped, c.skipped),
        ("known", b.known, c.known),
        ("errors", b.errors, c.errors),
        ("trapped", b.trapped, c.trapped),
    ] {
        g.outcome.compared += 1;
        if bn != cn {
            g.push(Verdict::Fail, "differential", &engines, what, [bn.to_string(), cn.to_string(), why.into()]);
        }
    }
    let counts = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    };
    for bp in &b.pairs {
        g.outcome.compared += 1;
        let cp = c.pairs.iter().find(|p| p.engine == bp.engine && p.reference == bp.reference);
        match cp {
            Some(cp) if cp.counts == bp.counts => {}
            _ => g.push(
                Verdict::Fail,
                "differential",
                &bp.engine,
                "outcomes",
                [counts(&bp.counts), cp.map_or("-".into(), |p| counts(&p.counts)), why.into()],
            ),
        }
    }
}

fn compare_exact(g: &mut Gate, base: &Run, cur: &Run, same_cpu: bool) {
    let (engine, program) = (base.engine.as_str(), base.program.as_str());
    g.outcome.compared += 1;
    if base.checksum != cur.checksum {
        g.push(
            Verdict::Fail,
            "checksum",
            engine,
            program,
            [format!("{:?}", base.checksum), format!("{:?}", cur.checksum), "the corpus or an engine changed".into()],
        );
    }
    match (same_cpu, base.code_bytes, cur.code_bytes) {
        (true, Some(b), Some(c)) => {
            g.outcome.compared += 1;
            if c > b {
                g.push(
                    Verdict::Fail,
                    "code bytes",
                    engine,
                    program,
                    [b.to_string(), c.to_string(), pct(c as f64 / b as f64 - 1.0)],
                );
            } else if c < b {
                g.push(
                    Verdict::Note,
                    "code bytes",
                    engine,
                    program,
                    [b.to_string(), c.to_string(), format!("{} (smaller)", pct(c as f64 / b as f64 - 1.0))],
                );
            }
        }
        (true, Some(b), None) => {
            g.outcome.compared += 1;
            g.push(
                Verdict::Fail,
                "code bytes",
                engine,
                program,
                [b.to_string(), "-".into(), "no longer reported".into()],
            );
        }
        _ => {}
    }
}

fn compare_ratio(g: &mut Gate, check: &'static str, pair: Pair, run: &Run, threshold: f64) {
    g.outcome.compared += 1;
    let (b, c) = match pair {
        Pair::Both(b, c) if b > 0.0 => (b, c),
        Pair::Both(b, _) => {
            g.push(
                Verdict::Fail,
                check,
                &run.engine,
                &run.program,
                [format!("{b}"), "-".into(), "the baseline's ratio is not positive".into()],
            );
            return;
        }
        Pair::Missing(file) => {
            g.push(
                Verdict::Fail,
                check,
                &run.engine,
                &run.program,
                ["-".into(), "-".into(), format!("no ratio in the {file}")],
            );
            return;
        }
    };
    let change = c / b - 1.0;
    if change > threshold {
        g.push(Verdict::Fail, check, &run.engine, &run.program, [format!("{b:.3}"), format!("{c:.3}"), pct(change)]);
    } else if change < -threshold {
        g.push(
            Verdict::Note,
            check,
            &run.engine,
            &run.program,
            [format!("{b:.3}"), format!("{c:.3}"), format!("{} (faster)", pct(change))],
        );
    }
}
