//! The seeds' acceptance targets (DESIGN.md section 7) that a results file
//! can speak to, each judged met, missed, or "no data" (an engine it needs
//! did not run, e.g. `tjit` before it exists). Targets that compare engines
//! take both from the same results file: measured side by side, in one run.

use crate::results::{BudgetSample, Results, Run, Startup, Status};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Missed,
    NoData,
    /// A figure worth showing next to the targets, not a target itself.
    Info,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::Missed => "missed",
            Verdict::NoData => "no data",
            Verdict::Info => "info",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Target {
    /// Which seed asks for it.
    pub seed: &'static str,
    pub target: &'static str,
    pub verdict: Verdict,
    /// The figures behind the verdict.
    pub evidence: String,
}

/// Geometric mean; `None` for no values.
pub fn geomean(values: &[f64]) -> Option<f64> {
    if values.is_empty() || values.iter().any(|v| *v <= 0.0 || !v.is_finite()) {
        return None;
    }
    Some((values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

fn ok_run<'a>(r: &'a Results, engine: &str, program: &str) -> Option<&'a Run> {
    r.run(engine, program).filter(|run| run.status == Status::Ok)
}

fn startup_p50(run: &Run) -> Option<f64> {
    run.startup.as_ref().map(|s| s.total_ms.p50)
}

fn exec_p50(run: &Run) -> Option<f64> {
    run.exec.as_ref().map(|e| e.p50)
}

/// Per program, `f(a's run, b's run)` where both engines ran fine.
fn paired(r: &Results, a: &str, b: &str, f: impl Fn(&Run, &Run) -> Option<f64>) -> Vec<(String, f64)> {
    r.program_names()
        .into_iter()
        .filter_map(|p| {
            let (x, y) = (ok_run(r, a, p)?, ok_run(r, b, p)?);
            f(x, y).map(|v| (p.to_string(), v))
        })
        .collect()
}

fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn verdict(ok: bool) -> Verdict {
    if ok { Verdict::Met } else { Verdict::Missed }
}

fn no_aot(target: &'static str) -> Target {
    Target { seed: AOT, target, verdict: Verdict::NoData, evidence: "wasmtime-aot did not run".into() }
}

const AOT: &str = "Phase 9 AOT (000)";
const REGJIT: &str = "regjit (002)";
/// The module compile throughput is judged on.
const LARGE: &str = "large";
const FIREBALL: &str = "Fireball (003)";

/// The template JIT of the Fireball seed: every function compiled before
/// the first call.
pub const TJIT: &str = "tjit";
/// Its tiered engine (interpreter first, hot functions compiled in the
/// background into a code cache), judged against interpreter-only `interp`.
pub const TIERED: &str = "tjit-tiered";
/// The interpreter both are judged against.
const INTERP: &str = "interp";
/// The `kind` of the corpus programs dominated by bulk memory operations
/// (`memory.fill`, `memory.copy`): the runtime's loops, not the generated
/// code, so the template JIT's speed-up is not judged on them.
pub const BULK_MEMORY: &str = "bulk memory";

/// Evaluates every target this results file can speak to.
pub fn evaluate(r: &Results) -> Vec<Target> {
    let mut out = Vec::new();

    // AOT startup: the worst program must be under the target; the target
    // is judged on medians, the hard limit on the slowest sample (a limit
    // that holds only typically is no limit).
    let aot_startup = |f: fn(&Startup) -> f64| -> Vec<(String, f64)> {
        r.program_names()
            .into_iter()
            .filter_map(|p| {
                let s = ok_run(r, "wasmtime-aot", p)?.startup.as_ref()?;
                Some((p.to_string(), f(s)))
            })
            .collect()
    };
    let worst_of = |xs: &[(String, f64)]| xs.iter().cloned().max_by(|a, b| a.1.total_cmp(&b.1));
    let medians = aot_startup(|s| s.total_ms.p50);
    let target = "AOT startup < 10 ms";
    out.push(match worst_of(&medians) {
        None => no_aot(target),
        Some((program, ms)) => Target {
            seed: AOT,
            target,
            verdict: verdict(ms < 10.0),
            evidence: format!(
                "worst program {program}: {ms:.2} ms (load + instantiate + first call, median; best {}); {} of {} programs under 10 ms",
                ok_run(r, "wasmtime-aot", &program)
                    .and_then(|x| x.startup.as_ref())
                    .map(|s| format!("{:.2} ms", s.total_ms.min))
                    .unwrap_or_else(|| "-".into()),
                medians.iter().filter(|(_, v)| *v < 10.0).count(),
                medians.len()
            ),
        },
    });
    let maxima = aot_startup(|s| s.total_ms.max);
    let target = "AOT startup < 100 ms (hard limit)";
    out.push(match worst_of(&maxima) {
        None => no_aot(target),
        Some((program, ms)) => Target {
            seed: AOT,
            target,
            verdict: verdict(ms < 100.0),
            evidence: format!(
                "slowest sample {ms:.2} ms on {program} (load + instantiate + first call, maximum of {} samples); {} of {} programs never over 100 ms",
                ok_run(r, "wasmtime-aot", &program)
                    .and_then(|x| x.startup.as_ref())
                    .map_or(0, |s| s.total_ms.samples),
                maxima.iter().filter(|(_, v)| *v < 100.0).count(),
                maxima.len()
            ),
        },
    });

    // AOT vs JIT, end to end: startup plus one run of the workload.
    let e2e = paired(r, "wasmtime-aot", "wasmtime", |a, j| {
        ratio(Some(startup_p50(a)? + exec_p50(a)?), Some(startup_p50(j)? + exec_p50(j)?))
    });
    let target = "AOT faster than JIT (startup + one run)";
    out.push(match geomean(&e2e.iter().map(|x| x.1).collect::<Vec<_>>()) {
        None => {
            Target { seed: AOT, target, verdict: Verdict::NoData, evidence: "needs wasmtime-aot and wasmtime".into() }
        }
        Some(g) => Target {
            seed: AOT,
            target,
            verdict: verdict(g < 1.0),
            evidence: format!(
                "AOT / JIT = {g:.3} (geometric mean); faster on {} of {} programs",
                e2e.iter().filter(|x| x.1 < 1.0).count(),
                e2e.len()
            ),
        },
    });
    let steady = paired(r, "wasmtime-aot", "wasmtime", |a, j| ratio(exec_p50(a), exec_p50(j)));
    if let Some(g) = geomean(&steady.iter().map(|x| x.1).collect::<Vec<_>>()) {
        out.push(Target {
            seed: AOT,
            target: "AOT steady-state execution vs JIT",
            verdict: Verdict::Info,
            evidence: format!(
                "AOT / JIT = {g:.3} (geometric mean of medians): the same Cranelift code, so ~1 is expected"
            ),
        });
    }

    out.extend(fireball_targets(r));

    // Results identical: every engine's checksum matched on every program.
    let ran: Vec<&Run> = r.runs.iter().filter(|x| x.status != Status::Unsupported).collect();
    let bad: Vec<String> = ran
        .iter()
        .filter(|x| x.status != Status::Ok)
        .map(|x| format!("{} on {} ({})", x.engine, x.program, x.status.word()))
        .collect();
    out.push(Target {
        seed: "all engines",
        target: "results identical (checksums verified on every program)",
        verdict: if ran.is_empty() { Verdict::NoData } else { verdict(bad.is_empty()) },
        evidence: if bad.is_empty() {
            format!("{} of {} runs verified", ran.len(), ran.len())
        } else {
            format!("{} of {} runs failed: {}", bad.len(), ran.len(), bad.join(", "))
        },
    });

    if let Some(diff) = &r.diff {
        out.push(Target {
            seed: "CI gate",
            target: "no divergence in the differential campaign",
            verdict: verdict(diff.divergences == 0 && diff.crashes == 0 && diff.hangs == 0),
            evidence: format!(
                "{} modules, {} calls in {:.0} s on {}: {} divergences, {} crashes, {} hangs, {} inconclusive",
                diff.modules,
                diff.calls,
                diff.seconds,
                diff.engines.join(", "),
                diff.divergences,
                diff.crashes,
                diff.hangs,
                diff.inconclusive
            ),
        });
    }

    out.extend(regjit_targets(r));

    // Peer comparisons (not seed targets, but what the lab is for).
    for (a, b, what) in [
        ("interp", "wasmi", "in-house interpreter vs its peer (interp / wasmi)"),
        ("winch", "wasmtime", "baseline vs optimizing compiler (winch / wasmtime)"),
    ] {
        let xs = paired(r, a, b, |x, y| ratio(exec_p50(x), exec_p50(y)));
        if let Some(g) = geomean(&xs.iter().map(|x| x.1).collect::<Vec<_>>()) {
            out.push(Target {
                seed: "peers",
                target: what,
                verdict: Verdict::Info,
                evidence: format!("execution time ratio {g:.2} (geometric mean over {} programs)", xs.len()),
            });
        }
    }
    out
}

/// Geometric mean of `a / b` execution medians over the programs both ran.
fn exec_ratio(r: &Results, a: &str, b: &str) -> Option<(f64, usize)> {
    let xs = paired(r, a, b, |x, y| ratio(exec_p50(x), exec_p50(y)));
    geomean(&xs.iter().map(|x| x.1).collect::<Vec<_>>()).map(|g| (g, xs.len()))
}

fn no_data(seed: &'static str, target: &'static str, needs: &str) -> Target {
    Target { seed, target, verdict: Verdict::NoData, evidence: format!("needs {needs}") }
}

/// Seed 002's targets for the register-IR JIT and its tiered engine.
fn regjit_targets(r: &Results) -> Vec<Target> {
    let mut out = Vec::new();
    let jit = exec_ratio(r, "regjit", "wasmtime");
    let winch = exec_ratio(r, "winch", "wasmtime");
    let target = "regjit execution vs wasmtime at or below Winch's";
    out.push(match (jit, winch) {
        (Some((j, n)), Some((w, _))) => Target {
            seed: REGJIT,
            target,
            verdict: verdict(j <= w),
            evidence: format!("regjit / wasmtime {j:.2}, winch / wasmtime {w:.2} (geometric means over {n} programs)"),
        },
        _ => no_data(REGJIT, target, "regjit, winch and wasmtime"),
    });
    let target = "regjit execution no worse than 2.0x wasmtime";
    out.push(match jit {
        Some((j, n)) => Target {
            seed: REGJIT,
            target,
            verdict: verdict(j <= 2.0),
            evidence: format!("regjit / wasmtime {j:.2} (geometric mean over {n} programs)"),
        },
        None => no_data(REGJIT, target, "regjit and wasmtime"),
    });
    let target = "regjit at least 3x faster than interp";
    out.push(match exec_ratio(r, "interp", "regjit") {
        Some((x, n)) => Target {
            seed: REGJIT,
            target,
            verdict: verdict(x >= 3.0),
            evidence: format!("interp / regjit {x:.2} (geometric mean over {n} programs)"),
        },
        None => no_data(REGJIT, target, "regjit and interp"),
    });
    let compile = |e: &str| ok_run(r, e, LARGE).and_then(|x| x.startup.as_ref()).map(|s| s.compile_ms.p50);
    let target = "regjit compile throughput at least 5x Cranelift's (large module)";
    out.push(match (compile("regjit"), compile("wasmtime")) {
        (Some(j), Some(c)) if j > 0.0 => Target {
            seed: REGJIT,
            target,
            verdict: verdict(c / j >= 5.0),
            evidence: format!("compile of {LARGE}: regjit {j:.1} ms, wasmtime (Cranelift) {c:.1} ms: {:.1}x", c / j),
        },
        _ => no_data(REGJIT, target, "regjit and wasmtime on the large module"),
    });
    let startup = paired(r, "regjit-tiered", "interp", |t, i| ratio(startup_p50(t), startup_p50(i)));
    let target = "regjit-tiered startup within 1.2x of interp";
    out.push(match geomean(&startup.iter().map(|x| x.1).collect::<Vec<_>>()) {
        Some(g) => {
            let worst = startup.iter().cloned().max_by(|a, b| a.1.total_cmp(&b.1)).expect("non-empty");
            Target {
                seed: REGJIT,
                target,
                verdict: verdict(worst.1 <= 1.2),
                evidence: format!(
                    "regjit-tiered / interp startup {g:.2} (geometric mean), worst {:.2} on {}",
                    worst.1, worst.0
                ),
            }
        }
        None => no_data(REGJIT, target, "regjit-tiered and interp"),
    });
    let target = "regjit-tiered steady state within 1.1x of regjit";
    out.push(match exec_ratio(r, "regjit-tiered", "regjit") {
        Some((x, n)) => Target {
            seed: REGJIT,
            target,
            verdict: verdict(x <= 1.1),
            evidence: format!("regjit-tiered / regjit {x:.2} (geometric mean of warm medians over {n} programs)"),
        },
        None => no_data(REGJIT, target, "regjit-tiered and regjit"),
    });
    out
}

/// Whether `engine` ran fine on at least one program.
fn ran(r: &Results, engine: &str) -> bool {
    r.runs.iter().any(|x| x.engine == engine && x.status == Status::Ok)
}

fn us(ms: f64) -> String {
    format!("{:.2} µs", ms * 1e3)
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

/// Seed 003's targets for the template JIT (`tjit`) and its tiered engine
/// (`tjit-tiered`).
fn fireball_targets(r: &Results) -> Vec<Target> {
    let mut out = Vec::new();

    // Speed: on every program, not on average, except the bulk-memory ones.
    let target = "template JIT >= 1.5x faster than the interpreter";
    let goal = "goal: 4x geometric mean";
    let judged: Vec<&str> = r.programs.iter().filter(|p| p.kind != BULK_MEMORY).map(|p| p.name.as_str()).collect();
    let excluded: Vec<&str> = r.programs.iter().filter(|p| p.kind == BULK_MEMORY).map(|p| p.name.as_str()).collect();
    let mut speed: Vec<(&str, f64)> = Vec::new();
    let mut lacking: Vec<&str> = Vec::new();
    for &p in &judged {
        let of = |e: &str| ok_run(r, e, p).and_then(exec_p50);
        match ratio(of(INTERP), of(TJIT)) {
            Some(x) => speed.push((p, x)),
            None => lacking.push(p),
        }
    }
    let worst = speed.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1));
    match worst {
        _ if !ran(r, TJIT) || !ran(r, INTERP) || judged.is_empty() => {
            out.push(no_data(FIREBALL, target, "tjit and interp on a program not dominated by bulk memory"));
            out.push(no_data(FIREBALL, goal, "tjit and interp"));
        }
        None => {
            let evidence = format!("no comparison on any program: {} (a run failed or is missing)", lacking.join(", "));
            out.push(Target { seed: FIREBALL, target, verdict: Verdict::Missed, evidence });
            out.push(no_data(FIREBALL, goal, "tjit and interp on the same programs"));
        }
        Some((program, x)) => {
            let median = |e: &str| ok_run(r, e, program).and_then(exec_p50).unwrap_or(0.0);
            let mut evidence = format!(
                "worst program {program}: interp / tjit = {x:.2}x ({:.3} ms vs {:.3} ms, medians); {} of {} programs at 1.5x or more",
                median(INTERP),
                median(TJIT),
                speed.iter().filter(|s| s.1 >= 1.5).count(),
                judged.len()
            );
            if !lacking.is_empty() {
                evidence += &format!("; no comparison on {} (a run failed or is missing)", lacking.join(", "));
            }
            if !excluded.is_empty() {
                evidence += &format!("; not judged ({BULK_MEMORY}): {}", excluded.join(", "));
            }
            out.push(Target { seed: FIREBALL, target, verdict: verdict(lacking.is_empty() && x >= 1.5), evidence });
            let g = geomean(&speed.iter().map(|s| s.1).collect::<Vec<_>>()).unwrap_or(0.0);
            out.push(Target {
                seed: FIREBALL,
                target: goal,
                verdict: Verdict::Info,
                evidence: format!(
                    "interp / tjit = {g:.2}x (geometric mean over {} programs, {BULK_MEMORY} excluded): {}",
                    speed.len(),
                    if g >= 4.0 { "goal reached".to_string() } else { format!("{:.0}% of the goal", g / 4.0 * 100.0) }
                ),
            });
        }
    }

    // Tail latency of short calls, the tier-up moment included: what a
    // caller whose calls are short pays for tiering.
    let target = "p99 of short calls with tjit-tiered no more than 5% worse than interp";
    let latency = |e: &str| r.short_call(e).filter(|x| x.status == Status::Ok).and_then(|x| x.latency.as_ref());
    out.push(match (latency(TIERED), latency(INTERP)) {
        (Some(t), Some(i)) if i.p99 > 0.0 => {
            let x = t.p99 / i.p99;
            let tier_ups = r
                .short_call(TIERED)
                .and_then(|s| s.counters.as_ref())
                .and_then(|c| c.total("tier-ups"))
                .map_or("not reported".to_string(), |n| n.to_string());
            Target {
                seed: FIREBALL,
                target,
                verdict: verdict(x <= 1.05),
                evidence: format!(
                    "p99 of {} calls from a fresh instance, taking turns: tjit-tiered {}, interp {}: {x:.3} (p50 {} vs {}); tier-ups during the calls: {tier_ups}",
                    t.samples,
                    us(t.p99),
                    us(i.p99),
                    us(t.p50),
                    us(i.p50)
                ),
            }
        }
        _ => no_data(FIREBALL, target, "the short calls on tjit-tiered and interp"),
    });
    // The same question for calls that do real work, as a figure.
    let cold = |x: &Run| x.exec_cold.as_ref().map(|d| d.p99);
    let tail = paired(r, TIERED, INTERP, |t, i| ratio(cold(t), cold(i)));
    if let Some((program, worst)) = tail.iter().cloned().max_by(|a, b| a.1.total_cmp(&b.1)) {
        out.push(Target {
            seed: FIREBALL,
            target: "p99 of run(arg) from cold (first call included), tjit-tiered / interp",
            verdict: Verdict::Info,
            evidence: format!(
                "worst {worst:.3} on {program} (every call from the first on a fresh instance); {} of {} programs within 5%",
                tail.iter().filter(|x| x.1 <= 1.05).count(),
                tail.len()
            ),
        });
    }

    // Compile throughput: the same module, so the time ratio is the
    // throughput ratio.
    let compile = |e: &str| ok_run(r, e, LARGE).and_then(|x| x.startup.as_ref()).map(|s| s.compile_ms.p50);
    let target = "template JIT compile throughput on the large module >= Winch's (goal 3x)";
    out.push(match (compile(TJIT), compile("winch")) {
        (Some(t), Some(w)) if t > 0.0 => {
            let x = w / t;
            let per_function = ok_run(r, TJIT, LARGE)
                .and_then(|x| x.counters.as_ref())
                .and_then(|c| c.compile_ns_per_function())
                .map_or(String::new(), |ns| format!("; {:.1} µs per function by its counters", ns / 1e3));
            Target {
                seed: FIREBALL,
                target,
                verdict: verdict(x >= 1.0),
                evidence: format!(
                    "compile of {LARGE} (median): tjit {t:.1} ms, winch {w:.1} ms: {x:.2}x Winch's throughput ({}){per_function}",
                    if x >= 3.0 { "goal reached" } else { "goal 3x not yet" }
                ),
            }
        }
        _ => no_data(FIREBALL, target, "tjit and winch on the large module"),
    });

    // The code-cache budget, at every sample of every measurement.
    let target = "code cache + templates within the configured budget at every sample (tjit-tiered)";
    let checks: Vec<(&str, &crate::results::BudgetCheck)> = r
        .runs
        .iter()
        .filter(|x| x.engine == TIERED && x.status == Status::Ok)
        .filter_map(|x| Some((x.program.as_str(), x.counters.as_ref()?.budget.as_ref()?)))
        .chain(
            r.short_call(TIERED)
                .filter(|x| x.status == Status::Ok)
                .and_then(|x| Some(("the short calls", x.counters.as_ref()?.budget.as_ref()?))),
        )
        .collect();
    let key = |s: &BudgetSample| (!s.within(), s.used());
    out.push(match checks.iter().max_by(|a, b| key(&a.1.worst).cmp(&key(&b.1.worst))) {
        None => no_data(FIREBALL, target, "tjit-tiered reporting cache-bytes and cache-budget-bytes"),
        Some((program, check)) => {
            let samples: usize = checks.iter().map(|c| c.1.samples).sum();
            let over: usize = checks.iter().map(|c| c.1.over).sum();
            let w = &check.worst;
            let at = format!(
                "{} cache + {} templates = {} on {program} after {}",
                kib(w.cache_bytes),
                kib(w.template_bytes),
                kib(w.used()),
                w.after
            );
            Target {
                seed: FIREBALL,
                target,
                verdict: verdict(over == 0),
                evidence: if w.budget_bytes == 0 {
                    format!("budget 0 (unbounded): holds at all {samples} samples; most in use {at}")
                } else {
                    format!(
                        "{over} of {samples} samples over the budget of {}; worst {at} ({:.0}% of the budget)",
                        kib(w.budget_bytes),
                        w.used() as f64 / w.budget_bytes as f64 * 100.0
                    )
                },
            }
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{BudgetCheck, Counters, Dist, EngineInfo, Machine, ProgramInfo, ShortCallRun, ShortCalls};

    /// A distribution whose every figure is `ms`.
    fn flat(ms: f64) -> Dist {
        Dist { samples: 20, min: ms, p50: ms, p90: ms, p99: ms, max: ms, mean: ms }
    }

    fn startup(compile_ms: f64) -> Startup {
        Startup {
            compile_ms: flat(compile_ms),
            instantiate_ms: flat(0.1),
            first_call_ms: flat(0.1),
            total_ms: flat(1.0),
        }
    }

    /// A run that went fine: `exec_ms` per run(arg), `compile_ms` per compile.
    fn run(engine: &str, program: &str, exec_ms: f64, compile_ms: f64) -> Run {
        Run {
            engine: engine.into(),
            program: program.into(),
            status: Status::Ok,
            error: None,
            checksum: Some(1),
            cold_compile_ms: Some(compile_ms),
            startup: Some(startup(compile_ms)),
            exec: Some(flat(exec_ms)),
            exec_cold: Some(flat(exec_ms)),
            exec_cpu: Some(flat(exec_ms)),
            startup_cpu: Some(flat(1.0)),
            code_bytes: None,
            memory: None,
            ratios: Default::default(),
            counters: None,
        }
    }

    const PROGRAMS: [(&str, &str); 3] =
        [("fib", "recursion"), ("memops", BULK_MEMORY), ("large", "compile throughput")];

    /// `engines` with, per engine, its exec time on fib, memops and large,
    /// and its compile time (every program).
    fn results(engines: &[(&str, [f64; 3], f64)]) -> Results {
        let mut r = Results {
            schema: crate::results::SCHEMA,
            created: "2026-01-02T03:04:05Z".into(),
            git_commit: None,
            machine: Machine::default(),
            quick: true,
            engines: engines.iter().map(|e| EngineInfo { name: e.0.into(), version: "1".into() }).collect(),
            programs: PROGRAMS
                .iter()
                .map(|(name, kind)| ProgramInfo {
                    name: name.to_string(),
                    kind: kind.to_string(),
                    arg: 1,
                    expected: Some(1),
                    wasm_bytes: 100,
                })
                .collect(),
            runs: Vec::new(),
            spec: None,
            diff: None,
            short_calls: None,
        };
        for (engine, exec, compile) in engines {
            for (p, ms) in PROGRAMS.iter().zip(exec) {
                r.runs.push(run(engine, p.0, *ms, *compile));
            }
        }
        r
    }

    fn find(r: &Results, target: &str) -> Target {
        evaluate(r).into_iter().find(|t| t.target == target).unwrap_or_else(|| panic!("no target {target}"))
    }

    const SPEED: &str = "template JIT >= 1.5x faster than the interpreter";
    const GOAL: &str = "goal: 4x geometric mean";

    #[test]
    fn the_speed_target_holds_on_every_program_but_bulk_memory() {
        // 2x on fib, 4x on large; memops (bulk memory) slower, and not judged.
        let r = results(&[("interp", [10.0, 10.0, 40.0], 1.0), ("tjit", [5.0, 20.0, 10.0], 1.0)]);
        let t = find(&r, SPEED);
        assert_eq!(t.verdict, Verdict::Met, "{}", t.evidence);
        assert!(t.evidence.contains("worst program fib: interp / tjit = 2.00x"), "{}", t.evidence);
        assert!(t.evidence.contains("not judged (bulk memory): memops"), "{}", t.evidence);
        let g = find(&r, GOAL);
        assert_eq!(g.verdict, Verdict::Info);
        assert!(g.evidence.contains("2.83x") && g.evidence.contains("71% of the goal"), "{}", g.evidence);
    }

    #[test]
    fn one_slow_program_misses_the_speed_target_whatever_the_mean() {
        // 20x on large, 1.2x on fib: a fine mean, but not on every program.
        let r = results(&[("interp", [12.0, 10.0, 200.0], 1.0), ("tjit", [10.0, 5.0, 10.0], 1.0)]);
        let t = find(&r, SPEED);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(t.evidence.contains("worst program fib: interp / tjit = 1.20x"), "{}", t.evidence);
        assert!(t.evidence.contains("1 of 2 programs at 1.5x or more"), "{}", t.evidence);
        assert!(find(&r, GOAL).evidence.contains("goal reached"));
    }

    #[test]
    fn a_failed_program_misses_the_speed_target() {
        let mut r = results(&[("interp", [10.0, 10.0, 40.0], 1.0), ("tjit", [2.0, 2.0, 2.0], 1.0)]);
        let large = r.runs.iter_mut().find(|x| x.engine == "tjit" && x.program == "large").unwrap();
        large.status = Status::Error;
        let t = find(&r, SPEED);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(t.evidence.contains("no comparison on large"), "{}", t.evidence);
        // Failing everywhere is not "no data" either: the engine ran and failed.
        for x in r.runs.iter_mut().filter(|x| x.engine == "tjit" && x.program != "memops") {
            x.status = Status::Error;
        }
        assert_eq!(find(&r, SPEED).verdict, Verdict::Missed);
    }

    #[test]
    fn the_fireball_targets_have_no_data_without_their_engines() {
        let r = results(&[("interp", [10.0, 10.0, 40.0], 1.0), ("winch", [1.0, 1.0, 1.0], 5.0)]);
        for target in [
            SPEED,
            GOAL,
            "p99 of short calls with tjit-tiered no more than 5% worse than interp",
            "template JIT compile throughput on the large module >= Winch's (goal 3x)",
            "code cache + templates within the configured budget at every sample (tjit-tiered)",
        ] {
            assert_eq!(find(&r, target).verdict, Verdict::NoData, "{target}");
        }
        // tjit unavailable: its runs are errors, not data.
        let mut r = results(&[("interp", [10.0, 10.0, 40.0], 1.0), ("tjit", [1.0, 1.0, 1.0], 1.0)]);
        for x in r.runs.iter_mut().filter(|x| x.engine == "tjit") {
            x.status = Status::Error;
        }
        assert_eq!(find(&r, SPEED).verdict, Verdict::NoData);
        // Only the bulk-memory program ran: nothing to judge.
        let mut r = results(&[("interp", [10.0, 10.0, 40.0], 1.0), ("tjit", [1.0, 1.0, 1.0], 1.0)]);
        r.programs.retain(|p| p.kind == BULK_MEMORY);
        r.runs.retain(|x| x.program == "memops");
        assert_eq!(find(&r, SPEED).verdict, Verdict::NoData);
    }

    const COMPILE: &str = "template JIT compile throughput on the large module >= Winch's (goal 3x)";

    #[test]
    fn compile_throughput_is_judged_against_winch_on_the_large_module() {
        let r = results(&[("tjit", [1.0; 3], 40.0), ("winch", [1.0; 3], 50.0)]);
        let t = find(&r, COMPILE);
        assert_eq!(t.verdict, Verdict::Met);
        assert!(t.evidence.contains("1.25x Winch's throughput (goal 3x not yet)"), "{}", t.evidence);
        let r = results(&[("tjit", [1.0; 3], 10.0), ("winch", [1.0; 3], 50.0)]);
        assert!(find(&r, COMPILE).evidence.contains("5.00x Winch's throughput (goal reached)"));
        let mut r = results(&[("tjit", [1.0; 3], 60.0), ("winch", [1.0; 3], 50.0)]);
        assert_eq!(find(&r, COMPILE).verdict, Verdict::Missed);
        // The counters, when reported, add compile time per function.
        let large = r.runs.iter_mut().find(|x| x.engine == "tjit" && x.program == "large").unwrap();
        large.counters = Some(Counters {
            samples: 3,
            totals: [("compile-ns".to_string(), 6_000_000), ("compiles".to_string(), 1200)].into(),
            ..Default::default()
        });
        assert!(find(&r, COMPILE).evidence.contains("5.0 µs per function"));
        // Without the large module (another program selection): no data.
        r.runs.retain(|x| x.program != "large");
        assert_eq!(find(&r, COMPILE).verdict, Verdict::NoData);
    }

    fn short_calls(runs: &[(&str, f64, f64, Option<u64>)]) -> ShortCalls {
        ShortCalls {
            function: "short(x)".into(),
            calls: 1000,
            runs: runs
                .iter()
                .map(|(engine, p50, p99, tier_ups)| ShortCallRun {
                    engine: engine.to_string(),
                    status: Status::Ok,
                    error: None,
                    latency: Some(Dist {
                        samples: 1000,
                        min: *p50,
                        p50: *p50,
                        p90: *p50,
                        p99: *p99,
                        max: *p99,
                        mean: *p50,
                    }),
                    counters: tier_ups.map(|n| Counters {
                        samples: 1000,
                        totals: [("tier-ups".to_string(), n)].into(),
                        ..Default::default()
                    }),
                })
                .collect(),
        }
    }

    const P99: &str = "p99 of short calls with tjit-tiered no more than 5% worse than interp";

    #[test]
    fn the_p99_target_compares_the_short_calls_of_tjit_tiered_and_interp() {
        let mut r = results(&[("interp", [1.0; 3], 1.0), ("tjit-tiered", [1.0; 3], 1.0)]);
        r.short_calls = Some(short_calls(&[("interp", 0.001, 0.004, None), ("tjit-tiered", 0.0005, 0.0042, Some(2))]));
        let t = find(&r, P99);
        assert_eq!(t.verdict, Verdict::Met, "{}", t.evidence);
        assert!(t.evidence.contains("tjit-tiered 4.20 µs, interp 4.00 µs: 1.050"), "{}", t.evidence);
        assert!(t.evidence.contains("tier-ups during the calls: 2"), "{}", t.evidence);
        r.short_calls = Some(short_calls(&[("interp", 0.001, 0.004, None), ("tjit-tiered", 0.0005, 0.0043, None)]));
        let t = find(&r, P99);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(t.evidence.contains("tier-ups during the calls: not reported"), "{}", t.evidence);
        // A failed engine is no data for the latency, not a fast engine.
        r.short_calls.as_mut().unwrap().runs[1].status = Status::ChecksumMismatch;
        assert_eq!(find(&r, P99).verdict, Verdict::NoData);
        r.short_calls = None;
        assert_eq!(find(&r, P99).verdict, Verdict::NoData);
    }

    fn budget(samples: usize, over: usize, after: &str, cache: u64, templates: u64, budget: u64) -> Counters {
        Counters {
            samples,
            budget: Some(BudgetCheck {
                samples,
                over,
                worst: BudgetSample {
                    after: after.into(),
                    cache_bytes: cache,
                    template_bytes: templates,
                    budget_bytes: budget,
                },
            }),
            ..Default::default()
        }
    }

    const BUDGET: &str = "code cache + templates within the configured budget at every sample (tjit-tiered)";

    fn with_budgets(fib: Counters, large: Counters, short: Option<Counters>) -> Results {
        let mut r = results(&[("interp", [1.0; 3], 1.0), ("tjit-tiered", [1.0; 3], 1.0)]);
        for x in r.runs.iter_mut().filter(|x| x.engine == "tjit-tiered") {
            x.counters = match x.program.as_str() {
                "fib" => Some(fib.clone()),
                "large" => Some(large.clone()),
                _ => None,
            };
        }
        let mut s = short_calls(&[("interp", 0.001, 0.004, None), ("tjit-tiered", 0.001, 0.004, None)]);
        s.runs[1].counters = short;
        r.short_calls = Some(s);
        r
    }

    #[test]
    fn the_budget_target_holds_at_every_sample_or_names_the_worst() {
        let r = with_budgets(
            budget(10, 0, "call 3", 1024, 1024, 4096),
            budget(20, 0, "startup 1", 2048, 1024, 4096),
            Some(budget(1000, 0, "short call 9", 512, 1024, 4096)),
        );
        let t = find(&r, BUDGET);
        assert_eq!(t.verdict, Verdict::Met, "{}", t.evidence);
        assert!(t.evidence.contains("0 of 1030 samples over the budget of 4.0 KiB"), "{}", t.evidence);
        assert!(t.evidence.contains("3.0 KiB on large after startup 1 (75% of the budget)"), "{}", t.evidence);

        // One sample over, in the short calls: missed, and that is the worst.
        let r = with_budgets(
            budget(10, 0, "call 3", 3072, 1024, 4096),
            budget(20, 0, "startup 1", 2048, 1024, 4096),
            Some(budget(1000, 1, "short call 9", 3686, 1024, 4096)),
        );
        let t = find(&r, BUDGET);
        assert_eq!(t.verdict, Verdict::Missed);
        assert!(t.evidence.contains("1 of 1030 samples over"), "{}", t.evidence);
        assert!(t.evidence.contains("on the short calls after short call 9 (115% of the budget)"), "{}", t.evidence);
    }

    #[test]
    fn an_unbounded_budget_holds_and_says_so() {
        let r = with_budgets(budget(10, 0, "call 3", 9000, 1024, 0), budget(20, 0, "call 1", 100, 1024, 0), None);
        let t = find(&r, BUDGET);
        assert_eq!(t.verdict, Verdict::Met);
        assert!(t.evidence.starts_with("budget 0 (unbounded): holds at all 30 samples"), "{}", t.evidence);
        assert!(t.evidence.contains("on fib after call 3"), "{}", t.evidence);
    }

    #[test]
    fn no_budget_counters_is_no_data() {
        let plain = Counters { samples: 3, totals: [("tier-ups".to_string(), 4)].into(), ..Default::default() };
        let r = with_budgets(plain.clone(), plain, None);
        assert_eq!(find(&r, BUDGET).verdict, Verdict::NoData);
    }

    #[test]
    fn the_regjit_rows_are_still_judged() {
        let r = results(&[
            ("wasmtime", [1.0; 3], 50.0),
            ("winch", [2.0; 3], 10.0),
            ("interp", [9.0; 3], 0.5),
            ("regjit", [1.5; 3], 5.0),
        ]);
        assert_eq!(find(&r, "regjit execution vs wasmtime at or below Winch's").verdict, Verdict::Met);
        assert_eq!(find(&r, "regjit at least 3x faster than interp").verdict, Verdict::Met);
        assert_eq!(find(&r, "regjit compile throughput at least 5x Cranelift's (large module)").verdict, Verdict::Met);
    }
}
