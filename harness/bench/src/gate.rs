//! `wasmlab gate`: compares a current results file with a baseline and
//! fails on regressions.
//!
//! Deterministic figures are compared exactly: every run's status and
//! checksum, generated-code bytes (only between files from the same CPU,
//! since code generation depends on the CPU features), spec-suite counts
//! and differential-campaign findings when present. Time is compared only
//! as ratios against wasmtime from the same run (least CPU time over
//! wasmtime's least: the figure a loaded machine disturbs least), never as
//! absolute times, and only beyond a noise threshold (startup only where it is long enough
//! to measure, see [`STARTUP_FLOOR_MS`]).

use std::fmt::Write;

use crate::results::{Results, Run, Status};

/// Default noise threshold for time ratios, in percent.
pub const DEFAULT_THRESHOLD_PCT: f64 = 10.0;

/// Startup ratios are compared only where the engine's baseline startup
/// (median) is at least this long: below it, a ratio of two tiny figures
/// measures the scheduler more than the engine.
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
            let widths: Vec<usize> = (0..7)
                .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
                .collect();
            for (i, row) in rows.iter().enumerate() {
                let line: Vec<String> = row
                    .iter()
                    .zip(&widths)
                    .map(|(cell, w)| format!("{cell:<w$}"))
                    .collect();
                writeln!(out, "{}", line.join("  ").trim_end()).unwrap();
                if i == 0 {
                    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
                    writeln!(out, "{}", rule.join("  ")).unwrap();
                }
            }
        }
        let fails = self.failures().count();
        if fails == 0 {
            writeln!(
                out,
                "gate: PASSED ({} figures compared, time threshold {}%)",
                self.compared, self.threshold_pct
            )
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
    fn push(
        &mut self,
        verdict: Verdict,
        check: &'static str,
        engine: &str,
        program: &str,
        values: [String; 3],
    ) {
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
pub fn gate(baseline: &Results, current: &Results, threshold_pct: f64) -> GateOutcome {
    let mut g = Gate {
        outcome: GateOutcome {
            threshold_pct,
            compared: 0,
            findings: Vec::new(),
        },
    };
    let threshold = threshold_pct / 100.0;
    let same_cpu = baseline.machine.cpu == current.machine.cpu
        && baseline.machine.arch == current.machine.arch;
    if !same_cpu {
        g.push(
            Verdict::Note,
            "machine",
            "",
            "",
            [
                baseline.machine.cpu.clone(),
                current.machine.cpu.clone(),
                "code bytes not compared".into(),
            ],
        );
    }
    if baseline.quick != current.quick {
        let mode = |q: bool| if q { "quick" } else { "full" }.to_string();
        g.push(
            Verdict::Note,
            "mode",
            "",
            "",
            [
                mode(baseline.quick),
                mode(current.quick),
                "different workloads".into(),
            ],
        );
    }

    // Every current run must have produced its checksum.
    for run in &current.runs {
        g.outcome.compared += 1;
        if run.status != Status::Ok && run.status != Status::Unsupported {
            let was = baseline
                .run(&run.engine, &run.program)
                .map(|b| b.status.word())
                .unwrap_or("-");
            g.push(
                Verdict::Fail,
                "status",
                &run.engine,
                &run.program,
                [
                    was.into(),
                    run.status.word().into(),
                    run.error.clone().unwrap_or_default(),
                ],
            );
        }
    }
    for engine in current.engine_names() {
        if !baseline.engine_names().contains(&engine) {
            g.push(
                Verdict::Note,
                "engine",
                engine,
                "",
                ["-".into(), "new".into(), "not in the baseline".into()],
            );
        }
    }

    for base in &baseline.runs {
        let (engine, program) = (base.engine.as_str(), base.program.as_str());
        let Some(cur) = current.run(engine, program) else {
            g.outcome.compared += 1;
            if base.status == Status::Ok {
                g.push(
                    Verdict::Fail,
                    "missing",
                    engine,
                    program,
                    ["ok".into(), "not run".into(), String::new()],
                );
            }
            continue;
        };
        if base.status == Status::Ok && cur.status == Status::Unsupported {
            g.push(
                Verdict::Fail,
                "status",
                engine,
                program,
                [
                    "ok".into(),
                    "unsupported".into(),
                    cur.error.clone().unwrap_or_default(),
                ],
            );
        }
        if base.status != Status::Ok || cur.status != Status::Ok {
            continue;
        }
        let arg = |r: &Results| r.programs.iter().find(|p| p.name == program).map(|p| p.arg);
        if arg(baseline) != arg(current) {
            g.push(
                Verdict::Note,
                "workload",
                engine,
                program,
                [
                    format!("{:?}", arg(baseline)),
                    format!("{:?}", arg(current)),
                    "not compared".into(),
                ],
            );
            continue;
        }
        compare_exact(&mut g, base, cur, same_cpu);
        // CPU-time ratios (see `Ratios::exec_cpu_vs_wasmtime`) where both
        // files have them, else the wall-time medians.
        let (b_exec, c_exec) = match (
            base.ratios.exec_cpu_vs_wasmtime,
            cur.ratios.exec_cpu_vs_wasmtime,
        ) {
            (Some(b), Some(c)) => (Some(b), Some(c)),
            _ => (base.ratios.exec_vs_wasmtime, cur.ratios.exec_vs_wasmtime),
        };
        compare_ratio(&mut g, "exec / wasmtime", b_exec, c_exec, base, threshold);
        let (b_start, c_start) = match (
            base.ratios.startup_cpu_vs_wasmtime,
            cur.ratios.startup_cpu_vs_wasmtime,
        ) {
            (Some(b), Some(c)) => (Some(b), Some(c)),
            _ => (
                base.ratios.startup_vs_wasmtime,
                cur.ratios.startup_vs_wasmtime,
            ),
        };
        if base
            .startup
            .as_ref()
            .is_some_and(|s| s.total_ms.p50 >= STARTUP_FLOOR_MS)
        {
            compare_ratio(
                &mut g,
                "startup / wasmtime",
                b_start,
                c_start,
                base,
                threshold,
            );
        }
    }

    if let Some(spec) = &baseline.spec {
        for (engine, b) in spec {
            g.outcome.compared += 1;
            match current.spec.as_ref().and_then(|s| s.get(engine)) {
                None => g.push(
                    Verdict::Note,
                    "spec",
                    engine,
                    "",
                    [
                        format!("{} passed", b.passed),
                        "not run".into(),
                        String::new(),
                    ],
                ),
                Some(c) if c.passed < b.passed || c.failed > b.failed => g.push(
                    Verdict::Fail,
                    "spec",
                    engine,
                    "",
                    [
                        format!("{} passed, {} failed", b.passed, b.failed),
                        format!("{} passed, {} failed", c.passed, c.failed),
                        format!("{:+} passed", c.passed as i64 - b.passed as i64),
                    ],
                ),
                Some(c) if c.passed > b.passed => g.push(
                    Verdict::Note,
                    "spec",
                    engine,
                    "",
                    [
                        format!("{} passed", b.passed),
                        format!("{} passed", c.passed),
                        "improved: refresh the baseline".into(),
                    ],
                ),
                Some(_) => {}
            }
        }
    }
    if let Some(c) = &current.diff {
        g.outcome.compared += 1;
        let b = baseline.diff.clone().unwrap_or_default();
        let findings = |d: &crate::results::DiffSummary| {
            format!(
                "{} divergences, {} crashes, {} hangs",
                d.divergences, d.crashes, d.hangs
            )
        };
        if c.divergences > b.divergences || c.crashes > b.crashes || c.hangs > b.hangs {
            g.push(
                Verdict::Fail,
                "differential",
                &c.engines.join(","),
                "",
                [
                    findings(&b),
                    findings(c),
                    format!("{} modules in {:.0} s", c.modules, c.seconds),
                ],
            );
        }
    }
    g.outcome
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
            [
                format!("{:?}", base.checksum),
                format!("{:?}", cur.checksum),
                "the corpus or an engine changed".into(),
            ],
        );
    }
    if let (true, Some(b), Some(c)) = (same_cpu, base.code_bytes, cur.code_bytes) {
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
                [
                    b.to_string(),
                    c.to_string(),
                    format!("{} (smaller)", pct(c as f64 / b as f64 - 1.0)),
                ],
            );
        }
    }
}

fn compare_ratio(
    g: &mut Gate,
    check: &'static str,
    base: Option<f64>,
    cur: Option<f64>,
    run: &Run,
    threshold: f64,
) {
    let (Some(b), Some(c)) = (base, cur) else {
        return;
    };
    if run.engine == "wasmtime" || b <= 0.0 {
        return; // the reference against itself is always 1
    }
    g.outcome.compared += 1;
    let change = c / b - 1.0;
    if change > threshold {
        g.push(
            Verdict::Fail,
            check,
            &run.engine,
            &run.program,
            [format!("{b:.3}"), format!("{c:.3}"), pct(change)],
        );
    } else if change < -threshold {
        g.push(
            Verdict::Note,
            check,
            &run.engine,
            &run.program,
            [
                format!("{b:.3}"),
                format!("{c:.3}"),
                format!("{} (faster)", pct(change)),
            ],
        );
    }
}
