//! The seeds' acceptance targets (DESIGN.md section 7) that a results file
//! can speak to, each judged met, missed, or "no data" (an engine it needs
//! did not run, e.g. `tjit` before it exists).

use crate::results::{Results, Run, Startup, Status};

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

/// The tiered engine of the Fireball seed (interpreter, then template JIT
/// for hot code), judged against interpreter-only `interp`.
pub const TIERED: &str = "tjit";

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

    // Fireball: template JIT against the interpreter.
    let speed = paired(r, TIERED, "interp", |t, i| ratio(exec_p50(i), exec_p50(t)));
    let target = "template JIT >= 1.5x faster than the interpreter";
    out.push(match geomean(&speed.iter().map(|x| x.1).collect::<Vec<_>>()) {
        None => Target { seed: FIREBALL, target, verdict: Verdict::NoData, evidence: "needs tjit and interp".into() },
        Some(g) => Target {
            seed: FIREBALL,
            target,
            verdict: verdict(g >= 1.5),
            evidence: format!("interp / tjit = {g:.2}x (geometric mean over {} programs)", speed.len()),
        },
    });
    // The p99 target is about latency from the first call on, tier-up
    // window included: the from-cold series of both engines.
    let cold = |x: &Run| x.exec_cold.as_ref().map(|d| d.p99);
    let tail = paired(r, TIERED, "interp", |t, i| ratio(cold(t), cold(i)));
    let target = "p99 with the JIT no more than 5% worse than interpreter-only";
    out.push(match tail.iter().cloned().max_by(|a, b| a.1.total_cmp(&b.1)) {
        None => Target {
            seed: FIREBALL,
            target,
            verdict: Verdict::NoData,
            evidence: format!("needs {TIERED} and interp, with latency from cold"),
        },
        Some((program, worst)) => {
            let of = |e: &str| ok_run(r, e, &program).and_then(|x| x.exec_cold.as_ref());
            let (t, i) = (of(TIERED).expect("paired"), of("interp").expect("paired"));
            Target {
                seed: FIREBALL,
                target,
                verdict: verdict(worst <= 1.05),
                evidence: format!(
                    "worst p99 from cold (every call from the first, tier-up included) {TIERED} / interp: {worst:.3} on {program} ({:.3} ms over {} calls vs {:.3} ms over {}); {} of {} programs within 5%",
                    t.p99,
                    t.samples,
                    i.p99,
                    i.samples,
                    tail.iter().filter(|x| x.1 <= 1.05).count(),
                    tail.len()
                ),
            }
        }
    });

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
