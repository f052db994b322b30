//! The differential oracle: run one module and its calls on several engines
//! in lockstep and compare everything observable against the reference
//! engine (the first one; campaigns put `wasmtime` first).
//!
//! After each call it compares the results (floats by bits, except that any
//! NaN equals any NaN in scalar results: [`Val::same_as`]), the trap kind,
//! every exported global, memory and table. Function references (in
//! results, globals and tables) compare by what each engine says the
//! function is ([`FuncDesc`]: its signature and which export of the
//! instance it is), since handles are engine-specific.
//!
//! Resource limits (stack exhaustion, engine fuel, memory caps) differ
//! between engines by design: an engine hitting one becomes *inconclusive*
//! and is not compared further on that instance (if the reference hits one,
//! every engine is). An internal error is never agreement: it is a finding,
//! except that one naming a resource limit is inconclusive when the
//! reference hit a limit on the same step. An engine that reports
//! [`Error::Unsupported`] for the module is *skipped*. A panic inside an
//! engine is caught and reported as a *crash* of that engine.
//!
//! The result is a [`CaseReport`], a value: nothing here panics or exits.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wasmlab_contract::{Engine, Error, FuncDesc, Imports, Instance, Module, Val};

use crate::cases::{self, Call, Observed};
use crate::vals;

/// What became of one engine on one case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Everything compared equal to the reference.
    Agree,
    /// Compared equal until a resource limit stopped the comparison.
    Inconclusive,
    /// The engine does not support the module's proposals.
    Skipped,
    /// Something differed from the reference.
    Diverged,
    /// The engine panicked (in-process), or killed or hung its worker.
    Crashed,
    /// The engine hung (exceeded the per-case time limit).
    Hung,
    /// Diverged in a way excused by a rule of [`crate::known`].
    Known,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::Agree,
        Status::Inconclusive,
        Status::Skipped,
        Status::Known,
        Status::Diverged,
        Status::Crashed,
        Status::Hung,
    ];

    pub fn word(self) -> &'static str {
        match self {
            Status::Agree => "agree",
            Status::Inconclusive => "inconclusive",
            Status::Skipped => "skipped",
            Status::Diverged => "diverged",
            Status::Crashed => "crashed",
            Status::Hung => "hung",
            Status::Known => "known",
        }
    }

    /// Whether this is a finding (something to save and look at).
    pub fn is_finding(self) -> bool {
        matches!(self, Status::Diverged | Status::Crashed | Status::Hung)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EngineReport {
    pub engine: String,
    pub status: Status,
    /// Why it is inconclusive / skipped / crashed, if so.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// How an engine differed from the reference.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Divergence {
    pub engine: String,
    pub reference: String,
    /// `compile`, `instantiate`, `result`, `trap`, `error`, `internal`,
    /// `global`, `memory`, `table`, or for findings from isolation `crash`
    /// / `hang`.
    pub kind: String,
    /// Index of the call after which it showed (none: compile/instantiate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<usize>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub what: String,
    pub expected: String,
    pub actual: String,
}

impl Divergence {
    /// The class used to decide whether a shrunk module "still diverges the
    /// same way": same engine pair, same kind.
    pub fn class(&self) -> (String, String, String) {
        (self.reference.clone(), self.engine.clone(), self.kind.clone())
    }
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} vs {}: {}", self.engine, self.reference, self.kind)?;
        if let Some(c) = self.call {
            write!(f, " after call #{c}")?;
        }
        if !self.what.is_empty() {
            write!(f, " ({})", self.what)?;
        }
        write!(f, ": {} gave {}, {} gave {}", self.reference, self.expected, self.engine, self.actual)
    }
}

/// One step of a run and what each engine did (kept only when tracing, for
/// `wasmlab repro`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Step {
    pub what: String,
    pub outcomes: Vec<(String, String)>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseReport {
    pub reference: String,
    /// Every engine, the reference first.
    pub engines: Vec<EngineReport>,
    /// Calls made on the reference.
    pub calls: u32,
    /// Whether some call trapped (on every compared engine alike).
    pub trapped: bool,
    /// How the reference's calls ended (`returned`, or the trap or error
    /// kind), refuel calls left out: what a campaign exercised.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub call_outcomes: BTreeMap<String, u32>,
    /// What engines counted while running this case (`engine counter`:
    /// a tiered engine's tier-ups and on-stack replacements).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub engine_counters: BTreeMap<String, u64>,
    pub divergences: Vec<Divergence>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<Step>,
}

/// The summary of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Agree,
    /// Agreed, including on at least one trap.
    Trapped,
    /// Nothing differed, but some comparison was cut short by a resource limit.
    Inconclusive,
    /// Every engine but the reference (or the reference itself) skipped it.
    Skipped,
    /// A divergence excused by a known-divergence rule.
    Known,
    Diverged,
    Crashed,
}

impl CaseReport {
    pub fn status(&self, engine: &str) -> Option<Status> {
        self.engines.iter().find(|e| e.engine == engine).map(|e| e.status)
    }

    pub fn verdict(&self) -> Verdict {
        let any = |s: Status| self.engines.iter().any(|e| e.status == s);
        if any(Status::Crashed) || any(Status::Hung) {
            Verdict::Crashed
        } else if any(Status::Diverged) {
            Verdict::Diverged
        } else if any(Status::Known) {
            Verdict::Known
        } else if any(Status::Inconclusive) {
            Verdict::Inconclusive
        } else if self.engines.iter().skip(1).all(|e| e.status == Status::Skipped)
            || self.engines.first().is_some_and(|e| e.status == Status::Skipped)
        {
            Verdict::Skipped
        } else if self.trapped {
            Verdict::Trapped
        } else {
            Verdict::Agree
        }
    }
}

/// A value as compared across engines: a function reference is replaced by
/// what its engine says the function is (`None`: the engine could not say,
/// which never equals anything).
#[derive(Clone, Debug, PartialEq)]
enum Seen {
    Val(Val),
    Func(Option<FuncDesc>),
}

impl Seen {
    fn of(inst: &mut dyn Instance, v: Val) -> Seen {
        match v {
            Val::FuncRef(Some(h)) => Seen::Func(inst.describe_func(h)),
            v => Seen::Val(v),
        }
    }

    fn same_as(&self, other: &Seen) -> bool {
        match (self, other) {
            (Seen::Val(a), Seen::Val(b)) => a.same_as(b),
            (Seen::Func(Some(a)), Seen::Func(Some(b))) => a == b,
            _ => false,
        }
    }

    fn text(&self) -> String {
        match self {
            Seen::Val(v) => vals::to_text(v),
            Seen::Func(Some(d)) => d.to_string(),
            Seen::Func(None) => "funcref (a handle its engine cannot describe)".into(),
        }
    }
}

/// What one engine did in one step.
enum Outcome {
    Values(Vec<Seen>),
    Failed(Error),
    Panicked(String),
}

impl Outcome {
    fn text(&self) -> String {
        match self {
            Outcome::Values(v) => format!("[{}]", v.iter().map(Seen::text).collect::<Vec<_>>().join(", ")),
            Outcome::Failed(e) => format!("{} ({e})", e.kind()),
            Outcome::Panicked(m) => format!("panic: {m}"),
        }
    }
}

/// How a call ended, as counted in [`CaseReport::call_outcomes`].
fn outcome_kind(o: &Outcome) -> String {
    match o {
        Outcome::Values(_) => "returned".into(),
        Outcome::Failed(Error::Trap(t)) => format!("trap: {t}"),
        Outcome::Failed(e) => e.kind().to_string(),
        Outcome::Panicked(_) => "panic".into(),
    }
}

/// Whether an error is a resource limit that an engine declares as such
/// (stack exhaustion, engine fuel, a cap it reports as
/// [`Error::ResourceLimit`]): engines may differ there by design.
pub fn is_declared_limit(e: &Error) -> bool {
    match e {
        Error::Trap(t) => t.is_resource_limit(),
        Error::ResourceLimit(_) => true,
        _ => false,
    }
}

/// Whether an error is a resource limit, declared or reported as an
/// internal error naming one (some engines report running out of native
/// resources that way; the phrases are deliberately narrow). Such an
/// internal error is only inconclusive next to a reference that hit a limit
/// too: see [`compare`].
pub fn is_resource_limit(e: &Error) -> bool {
    is_declared_limit(e) || is_internal_limit(e)
}

fn is_internal_limit(e: &Error) -> bool {
    match e {
        Error::Internal(m) => {
            let m = m.to_ascii_lowercase();
            ["out of memory", "resource limit", "stack overflow", "call stack exhausted"].iter().any(|p| m.contains(p))
        }
        _ => false,
    }
}

/// Runs `f`, turning a panic into its message.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        if let Some(s) = p.downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = p.downcast_ref::<String>() {
            s.clone()
        } else {
            "non-string panic payload".into()
        }
    })
}

enum Cmp {
    Same,
    Inconclusive(String),
    Differ(&'static str),
}

impl Cmp {
    #[cfg(test)]
    fn is_inconclusive(&self) -> bool {
        matches!(self, Cmp::Inconclusive(_))
    }
}

fn compare(reference: &Outcome, other: &Outcome) -> Cmp {
    use Outcome::*;
    match (reference, other) {
        (_, Failed(e)) if is_declared_limit(e) => Cmp::Inconclusive(e.to_string()),
        (Failed(r), Failed(e)) if is_resource_limit(r) && is_internal_limit(e) => Cmp::Inconclusive(e.to_string()),
        // An internal error is a finding whatever the reference did.
        (_, Failed(Error::Internal(_))) => Cmp::Differ("internal"),
        (Values(a), Values(b)) => {
            if a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y)) {
                Cmp::Same
            } else {
                Cmp::Differ("result")
            }
        }
        (Failed(Error::Trap(a)), Failed(Error::Trap(b))) => {
            if a == b {
                Cmp::Same
            } else {
                Cmp::Differ("trap")
            }
        }
        (Failed(Error::Trap(_)), Values(_)) | (Values(_), Failed(Error::Trap(_))) => Cmp::Differ("trap"),
        (Failed(a), Failed(b)) if a.kind() == b.kind() => Cmp::Same,
        _ => Cmp::Differ("error"),
    }
}

/// Per-engine state during a run.
struct Lane<'e> {
    engine: &'e dyn Engine,
    module: Option<Box<dyn Module>>,
    instance: Option<Box<dyn Instance>>,
    status: Status,
    note: String,
}

impl Lane<'_> {
    fn live(&self) -> bool {
        self.status == Status::Agree
    }
    fn stop(&mut self, status: Status, note: impl Into<String>) {
        self.status = status;
        self.note = note.into();
        self.instance = None;
    }
}

/// The engines of a comparison, the reference first.
#[derive(Clone)]
pub struct Oracle {
    engines: Vec<Arc<dyn Engine>>,
    /// Record every step's per-engine outcome in the report.
    pub trace: bool,
}

impl Oracle {
    pub fn new(engines: Vec<Arc<dyn Engine>>) -> Oracle {
        assert!(!engines.is_empty(), "an oracle needs at least one engine");
        Oracle { engines, trace: false }
    }

    pub fn engines(&self) -> &[Arc<dyn Engine>] {
        &self.engines
    }

    /// The proposals every engine supports.
    pub fn common_features(&self) -> wasmlab_contract::Features {
        self.engines.iter().fold(wasmlab_contract::Features::all_known(), |acc, e| acc.intersection(e.features()))
    }

    /// Runs `wasm` with `calls` on every engine and compares.
    pub fn run(&self, wasm: &[u8], calls: &[Call]) -> CaseReport {
        let observed = cases::observed_state(wasm);
        let mut lanes: Vec<Lane> = self
            .engines
            .iter()
            .map(|e| Lane {
                engine: e.as_ref(),
                module: None,
                instance: None,
                status: Status::Agree,
                note: String::new(),
            })
            .collect();
        let reference = lanes[0].engine.name().to_string();
        let mut report = CaseReport {
            reference: reference.clone(),
            engines: Vec::new(),
            calls: 0,
            trapped: false,
            call_outcomes: BTreeMap::new(),
            engine_counters: BTreeMap::new(),
            divergences: Vec::new(),
            trace: Vec::new(),
        };
        let before: Vec<_> = self.engines.iter().map(|e| e.counters()).collect();
        self.run_lanes(&mut lanes, wasm, calls, &observed, &mut report);
        for (e, before) in self.engines.iter().zip(before) {
            for ((name, now), (_, then)) in e.counters().into_iter().zip(before) {
                if wasmlab_contract::GAUGES.contains(&name) {
                    report.engine_counters.insert(format!("{} {name}", e.name()), now);
                } else if now > then {
                    report.engine_counters.insert(format!("{} {name}", e.name()), now - then);
                }
            }
        }
        report.engines = lanes
            .iter()
            .map(|l| EngineReport { engine: l.engine.name().to_string(), status: l.status, note: l.note.clone() })
            .collect();
        report
    }

    fn run_lanes(&self, lanes: &mut [Lane], wasm: &[u8], calls: &[Call], observed: &Observed, report: &mut CaseReport) {
        // Compile.
        let mut outcomes = Vec::new();
        for lane in lanes.iter_mut() {
            let outcome = match guarded(|| lane.engine.compile(wasm)) {
                Ok(Ok(m)) => {
                    lane.module = Some(m);
                    Outcome::Values(vec![])
                }
                Ok(Err(e)) => Outcome::Failed(e),
                Err(p) => Outcome::Panicked(p),
            };
            outcomes.push(outcome);
        }
        self.record(report, lanes, "compile", &outcomes);
        if let Outcome::Failed(Error::Unsupported(m)) = &outcomes[0] {
            for lane in lanes.iter_mut() {
                lane.stop(Status::Skipped, format!("the reference does not support it: {m}"));
            }
            return;
        }
        for (lane, o) in lanes.iter_mut().zip(&outcomes).skip(1) {
            if let Outcome::Failed(Error::Unsupported(m)) = o {
                lane.stop(Status::Skipped, m.clone());
            }
        }
        if !self.judge(lanes, &outcomes, report, "compile", None, String::new()) {
            return;
        }
        if lanes[0].module.is_none() {
            // Rejected by every engine alike: nothing to run.
            return;
        }

        // Instantiate.
        let outcomes: Vec<Outcome> = lanes
            .iter_mut()
            .map(|lane| {
                if !lane.live() {
                    return Outcome::Values(vec![]);
                }
                let module = lane.module.as_deref().expect("live lanes compiled");
                match guarded(|| lane.engine.new_store().instantiate(module, &Imports::default())) {
                    Ok(Ok(i)) => {
                        lane.instance = Some(i);
                        Outcome::Values(vec![])
                    }
                    Ok(Err(e)) => Outcome::Failed(e),
                    Err(p) => Outcome::Panicked(p),
                }
            })
            .collect();
        self.record(report, lanes, "instantiate", &outcomes);
        if let Outcome::Failed(Error::Trap(_)) = outcomes[0] {
            report.trapped = true;
        }
        if !self.judge(lanes, &outcomes, report, "instantiate", None, String::new()) {
            return;
        }
        if lanes[0].instance.is_none() {
            return;
        }

        // Calls, each followed by a comparison of the observable state.
        for (n, call) in calls.iter().enumerate() {
            report.calls += 1;
            let outcomes: Vec<Outcome> = lanes
                .iter_mut()
                .map(|lane| match lane.instance.as_mut() {
                    Some(inst) if lane.status == Status::Agree => match guarded(|| {
                        inst.call(&call.func, &call.args)
                            .map(|vals| vals.into_iter().map(|v| Seen::of(inst.as_mut(), v)).collect())
                    }) {
                        Ok(Ok(v)) => Outcome::Values(v),
                        Ok(Err(e)) => Outcome::Failed(e),
                        Err(p) => Outcome::Panicked(p),
                    },
                    _ => Outcome::Values(vec![]),
                })
                .collect();
            let what = format!("{}({})", call.func, call.args.iter().map(vals::to_text).collect::<Vec<_>>().join(", "));
            self.record(report, lanes, &format!("call #{n} {what}"), &outcomes);
            if call.func != cases::REFUEL {
                *report.call_outcomes.entry(outcome_kind(&outcomes[0])).or_default() += 1;
            }
            if let Outcome::Failed(Error::Trap(t)) = &outcomes[0]
                && !t.is_resource_limit()
            {
                report.trapped = true;
            }
            if !self.judge(lanes, &outcomes, report, "call", Some(n), what) {
                return;
            }
            if !self.compare_state(lanes, observed, report, n) {
                return;
            }
            if lanes.iter().skip(1).all(|l| !l.live()) {
                return;
            }
        }
    }

    fn record(&self, report: &mut CaseReport, lanes: &[Lane], what: &str, outcomes: &[Outcome]) {
        if self.trace {
            let outcomes = lanes
                .iter()
                .zip(outcomes)
                .filter(|(l, _)| l.live())
                .map(|(l, o)| (l.engine.name().to_string(), o.text()))
                .collect();
            report.trace.push(Step { what: what.to_string(), outcomes });
        }
    }

    /// Compares every live engine's outcome with the reference's; stops the
    /// lanes that crashed, diverged or hit a limit. Returns whether the run
    /// goes on (false once the reference itself is out).
    fn judge(
        &self,
        lanes: &mut [Lane],
        outcomes: &[Outcome],
        report: &mut CaseReport,
        stage: &'static str,
        call: Option<usize>,
        what: String,
    ) -> bool {
        let reference = lanes[0].engine.name().to_string();
        // The reference first: a crash or a limit there ends the comparison.
        match &outcomes[0] {
            Outcome::Panicked(p) => {
                let finding = ReferenceFailure { kind: "crash", expected: "no panic", actual: format!("panic: {p}") };
                return reference_out(
                    lanes,
                    report,
                    Status::Crashed,
                    &format!("panicked in {stage}"),
                    finding,
                    call,
                    what,
                );
            }
            Outcome::Failed(e) if is_resource_limit(e) => {
                let note = format!("{reference} hit a resource limit in {stage}: {e}");
                for lane in lanes.iter_mut().filter(|l| l.live()) {
                    lane.stop(Status::Inconclusive, note.clone());
                }
                return false;
            }
            // The reference failing inside is a finding about it, and leaves
            // nothing to compare the others with.
            Outcome::Failed(Error::Internal(_)) => {
                let finding =
                    ReferenceFailure { kind: "internal", expected: "no internal error", actual: outcomes[0].text() };
                return reference_out(
                    lanes,
                    report,
                    Status::Diverged,
                    &format!("failed internally in {stage}"),
                    finding,
                    call,
                    what,
                );
            }
            _ => {}
        }
        for i in 1..lanes.len() {
            if !lanes[i].live() {
                continue;
            }
            let name = lanes[i].engine.name().to_string();
            let (status, note, kind) = match &outcomes[i] {
                Outcome::Panicked(p) => (Status::Crashed, format!("panic in {stage}: {p}"), "crash"),
                other => match compare(&outcomes[0], other) {
                    Cmp::Same => continue,
                    Cmp::Inconclusive(why) => {
                        lanes[i].stop(Status::Inconclusive, format!("{stage}: {why}"));
                        continue;
                    }
                    Cmp::Differ(kind) => {
                        let kind = if stage == "call" || kind == "internal" { kind } else { stage };
                        (Status::Diverged, String::new(), kind)
                    }
                },
            };
            report.divergences.push(Divergence {
                engine: name,
                reference: reference.clone(),
                kind: kind.into(),
                call,
                what: what.clone(),
                expected: outcomes[0].text(),
                actual: outcomes[i].text(),
            });
            lanes[i].stop(status, note);
        }
        true
    }

    fn compare_state(&self, lanes: &mut [Lane], observed: &Observed, report: &mut CaseReport, call: usize) -> bool {
        let show = |v: &Option<Seen>| v.as_ref().map_or("(none)".to_string(), Seen::text);
        let read_global = |i: &mut dyn Instance, g: &str| i.global(g).map(|v| Seen::of(i, v));
        let read_table = |i: &mut dyn Instance, t: &str| {
            i.table(t).map(|vs| vs.into_iter().map(|v| Seen::of(i, v)).collect::<Vec<_>>())
        };
        self.compare_exports(lanes, &observed.globals, "global", read_global, report, call, |e, a| {
            let same = matches!((e, a), (Some(x), Some(y)) if x.same_as(y)) || matches!((e, a), (None, None));
            (!same).then(|| (show(e), show(a)))
        }) && self.compare_exports(
            lanes,
            &observed.memories,
            "memory",
            |i, m| i.memory(m),
            report,
            call,
            |e, a| (e != a).then(|| describe_memory_difference(e.as_deref(), a.as_deref())),
        ) && self.compare_exports(lanes, &observed.tables, "table", read_table, report, call, |e, a| {
            describe_table_difference(e.as_deref(), a.as_deref())
        })
    }

    /// Reads each named export on the reference and on every agreeing lane
    /// and records a divergence (or a crash) where `differs` describes one
    /// as (expected, actual). False when the reference itself panicked.
    #[allow(clippy::too_many_arguments)]
    fn compare_exports<T>(
        &self,
        lanes: &mut [Lane],
        names: &[String],
        kind: &str,
        read: impl Fn(&mut dyn Instance, &str) -> Option<T>,
        report: &mut CaseReport,
        call: usize,
        differs: impl Fn(&Option<T>, &Option<T>) -> Option<(String, String)>,
    ) -> bool {
        let reference = lanes[0].engine.name().to_string();
        for name in names {
            let expected = match guarded(|| lanes[0].instance.as_deref_mut().and_then(|i| read(i, name))) {
                Ok(v) => v,
                Err(p) => {
                    let finding =
                        ReferenceFailure { kind: "crash", expected: "no panic", actual: format!("panic: {p}") };
                    return reference_out(
                        lanes,
                        report,
                        Status::Crashed,
                        "panicked reading state",
                        finding,
                        Some(call),
                        String::new(),
                    );
                }
            };
            for lane in lanes.iter_mut().skip(1) {
                if lane.status != Status::Agree {
                    continue;
                }
                let Some(inst) = lane.instance.as_deref_mut() else { continue };
                let (status, found, exp, act) = match guarded(|| read(inst, name)) {
                    Ok(actual) => match differs(&expected, &actual) {
                        None => continue,
                        Some((exp, act)) => (Status::Diverged, kind, exp, act),
                    },
                    Err(p) => (Status::Crashed, "crash", "no panic".into(), format!("panic: {p}")),
                };
                report.divergences.push(Divergence {
                    engine: lane.engine.name().to_string(),
                    reference: reference.clone(),
                    kind: found.into(),
                    call: Some(call),
                    what: format!("{kind} \"{name}\""),
                    expected: exp,
                    actual: act,
                });
                lane.stop(status, "");
            }
        }
        true
    }
}

/// How the reference itself failed: the finding recorded against it.
struct ReferenceFailure {
    kind: &'static str,
    expected: &'static str,
    actual: String,
}

/// Records a failure of the reference as a finding about it (with status
/// `status`) and stops every other live lane as inconclusive: there is
/// nothing left to compare them with. Always false (the run ends).
fn reference_out(
    lanes: &mut [Lane],
    report: &mut CaseReport,
    status: Status,
    how: &str,
    failure: ReferenceFailure,
    call: Option<usize>,
    what: String,
) -> bool {
    let reference = lanes[0].engine.name().to_string();
    lanes[0].stop(status, format!("{how}: {}", failure.actual));
    for lane in lanes.iter_mut().skip(1).filter(|l| l.live()) {
        lane.stop(Status::Inconclusive, format!("the reference {how}"));
    }
    report.divergences.push(Divergence {
        engine: reference.clone(),
        reference,
        kind: failure.kind.into(),
        call,
        what,
        expected: failure.expected.into(),
        actual: failure.actual,
    });
    false
}

/// How two tables differ (lengths, or the first differing element and how
/// many differ), or `None` when they are the same.
fn describe_table_difference(a: Option<&[Seen]>, b: Option<&[Seen]>) -> Option<(String, String)> {
    match (a, b) {
        (None, None) => None,
        (Some(a), Some(b)) if a.len() != b.len() => {
            Some((format!("{} elements", a.len()), format!("{} elements", b.len())))
        }
        (Some(a), Some(b)) => {
            let at = a.iter().zip(b).position(|(x, y)| !x.same_as(y))?;
            let differing = a.iter().zip(b).filter(|(x, y)| !x.same_as(y)).count();
            Some((
                format!("[{at}] = {} ({differing} elements differ)", a[at].text()),
                format!("[{at}] = {}", b[at].text()),
            ))
        }
        (a, b) => {
            let show = |t: Option<&[Seen]>| t.map_or("(no table)".to_string(), |t| format!("{} elements", t.len()));
            Some((show(a), show(b)))
        }
    }
}

/// A short description of how two memories differ: sizes, or the first
/// differing offset with a few bytes around it.
fn describe_memory_difference(a: Option<&[u8]>, b: Option<&[u8]>) -> (String, String) {
    match (a, b) {
        (Some(a), Some(b)) if a.len() != b.len() => (format!("{} bytes", a.len()), format!("{} bytes", b.len())),
        (Some(a), Some(b)) => {
            let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
            let end = (at + 8).min(a.len());
            let hex = |s: &[u8]| s.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ");
            let differing = a.iter().zip(b).filter(|(x, y)| x != y).count();
            (
                format!("@0x{at:x}: {} ({differing} bytes differ)", hex(&a[at..end])),
                format!("@0x{at:x}: {}", hex(&b[at..end])),
            )
        }
        (a, b) => (
            a.map_or("(no memory)".into(), |a| format!("{} bytes", a.len())),
            b.map_or("(no memory)".into(), |b| format!("{} bytes", b.len())),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::any::Any;

    use wasmlab_contract::{Extern, Features, FuncType, Store, Trap, ValType};

    use super::*;

    /// A scripted engine: `call` answers with `answer(func, args, n)` where
    /// `n` counts the calls so far; globals and memory follow `n` too.
    #[derive(Clone)]
    struct Fake {
        name: &'static str,
        answer: fn(&str, &[Val], u32) -> Result<Vec<Val>, Error>,
        global: fn(u32) -> Val,
        memory: fn(u32) -> Vec<u8>,
        table: fn(u32) -> Vec<Val>,
        describe: fn(u32) -> Option<FuncDesc>,
        unsupported: bool,
    }

    fn honest(name: &'static str) -> Fake {
        Fake {
            name,
            answer: |_, args, _| match args {
                [Val::I32(0), ..] => Err(Error::Trap(Trap::IntegerDivisionByZero)),
                [Val::I32(a), ..] => Ok(vec![Val::I32(a.wrapping_mul(2))]),
                _ => Ok(vec![Val::F32(0x7fc0_0000)]),
            },
            global: |n| Val::I32(n as i32),
            memory: |n| vec![n as u8; 4],
            table: |_| vec![Val::FuncRef(Some(0)), Val::FuncRef(None)],
            describe: |h| {
                (h == 0)
                    .then(|| FuncDesc { ty: FuncType::new([ValType::I32], [ValType::I32]), export: Some("f".into()) })
            },
            unsupported: false,
        }
    }

    struct FakeModule(#[allow(dead_code)] Fake);
    struct FakeStore(Fake);
    struct FakeInstance(Fake, u32);

    impl Engine for Fake {
        fn name(&self) -> &'static str {
            self.name
        }
        fn version(&self) -> String {
            "0".into()
        }
        fn features(&self) -> Features {
            Features::WASM2
        }
        fn compile(&self, _wasm: &[u8]) -> Result<Box<dyn Module>, Error> {
            if self.unsupported {
                return Err(Error::Unsupported("simd".into()));
            }
            Ok(Box::new(FakeModule(self.clone())))
        }
        fn new_store(&self) -> Box<dyn Store> {
            Box::new(FakeStore(self.clone()))
        }
    }
    impl Module for FakeModule {
        fn as_any(&self) -> &dyn Any {
            self
        }
    }
    impl Store for FakeStore {
        fn instantiate(&mut self, _m: &dyn Module, _i: &Imports) -> Result<Box<dyn Instance>, Error> {
            Ok(Box::new(FakeInstance(self.0.clone(), 0)))
        }
    }
    impl Instance for FakeInstance {
        fn call(&mut self, export: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
            self.1 += 1;
            (self.0.answer)(export, args, self.1)
        }
        fn global(&mut self, _e: &str) -> Option<Val> {
            Some((self.0.global)(self.1))
        }
        fn memory(&mut self, _e: &str) -> Option<Vec<u8>> {
            Some((self.0.memory)(self.1))
        }
        fn table(&mut self, _e: &str) -> Option<Vec<Val>> {
            Some((self.0.table)(self.1))
        }
        fn describe_func(&mut self, h: u32) -> Option<FuncDesc> {
            (self.0.describe)(h)
        }
        fn export(&mut self, _n: &str) -> Option<Extern> {
            None
        }
    }

    fn module() -> Vec<u8> {
        wat::parse_str(
            r#"(module (func (export "f") (param i32) (result i32) local.get 0)
                       (global (export "g") (mut i32) (i32.const 0))
                       (memory (export "m") 1 1)
                       (table (export "t") 2 2 funcref))"#,
        )
        .unwrap()
    }

    fn calls(args: &[i32]) -> Vec<Call> {
        args.iter().map(|&a| Call { func: "f".into(), args: vec![Val::I32(a)] }).collect()
    }

    fn run(engines: Vec<Fake>, args: &[i32]) -> CaseReport {
        let engines: Vec<Arc<dyn Engine>> = engines.into_iter().map(|e| Arc::new(e) as Arc<dyn Engine>).collect();
        Oracle::new(engines).run(&module(), &calls(args))
    }

    #[test]
    fn equal_engines_agree_including_traps() {
        let r = run(vec![honest("a"), honest("b")], &[3, 5]);
        assert_eq!(r.verdict(), Verdict::Agree, "{r:?}");
        assert_eq!(r.calls, 2);
        let r = run(vec![honest("a"), honest("b")], &[3, 0, 4]);
        assert_eq!(r.verdict(), Verdict::Trapped);
        assert_eq!(r.calls, 3, "calls go on after a trap");
    }

    #[test]
    fn the_reference_call_outcomes_are_counted() {
        let r = run(vec![honest("a"), honest("b")], &[3, 0, 4, 0, 0]);
        let expected: BTreeMap<String, u32> =
            [("returned".to_string(), 2), ("trap: integer divide by zero".to_string(), 3)].into();
        assert_eq!(r.call_outcomes, expected);
    }

    #[test]
    fn a_wrong_result_is_a_divergence_naming_the_call() {
        let mut bad = honest("bad");
        bad.answer = |_, args, _| match args {
            [Val::I32(7)] => Ok(vec![Val::I32(15)]),
            [Val::I32(a)] => Ok(vec![Val::I32(a * 2)]),
            _ => unreachable!(),
        };
        let r = run(vec![honest("ref"), bad], &[3, 7, 9]);
        assert_eq!(r.verdict(), Verdict::Diverged);
        let d = &r.divergences[0];
        assert_eq!((d.engine.as_str(), d.kind.as_str(), d.call), ("bad", "result", Some(1)));
        assert_eq!(d.expected, "[i32:14]");
        assert_eq!(d.actual, "[i32:15]");
        assert_eq!(r.status("bad"), Some(Status::Diverged));
        assert_eq!(r.status("ref"), Some(Status::Agree));
    }

    #[test]
    fn nan_results_compare_equal_but_other_bits_do_not() {
        let mut other_nan = honest("b");
        other_nan.answer = |_, _, _| Ok(vec![Val::F32(0xffc0_1234)]);
        let engines = vec![honest("a"), other_nan];
        let engines: Vec<Arc<dyn Engine>> = engines.into_iter().map(|e| Arc::new(e) as Arc<dyn Engine>).collect();
        let floats = vec![Call { func: "f".into(), args: vec![Val::F32(0)] }];
        assert_eq!(Oracle::new(engines.clone()).run(&module(), &floats).verdict(), Verdict::Agree);

        let mut minus_zero = honest("b");
        minus_zero.answer = |_, _, _| Ok(vec![Val::F32(0x8000_0000)]);
        let mut zero = honest("a");
        zero.answer = |_, _, _| Ok(vec![Val::F32(0)]);
        let engines: Vec<Arc<dyn Engine>> = vec![Arc::new(zero), Arc::new(minus_zero)];
        assert_eq!(Oracle::new(engines).run(&module(), &floats).verdict(), Verdict::Diverged);
    }

    #[test]
    fn trap_kinds_and_trap_versus_value_differ() {
        let mut other_trap = honest("b");
        other_trap.answer = |_, _, _| Err(Error::Trap(Trap::IntegerOverflow));
        let r = run(vec![honest("a"), other_trap], &[0]);
        assert_eq!(r.divergences[0].kind, "trap");
        let r = run(vec![honest("a"), honest("b").clone()], &[0]);
        assert!(r.divergences.is_empty());
        let mut no_trap = honest("b");
        no_trap.answer = |_, _, _| Ok(vec![Val::I32(0)]);
        let r = run(vec![honest("a"), no_trap], &[0]);
        assert_eq!(r.divergences[0].kind, "trap");
    }

    #[test]
    fn globals_and_memories_are_compared_after_every_call() {
        let mut g = honest("b");
        g.global = |n| Val::I32(if n == 2 { 99 } else { n as i32 });
        let r = run(vec![honest("a"), g], &[1, 2, 3]);
        let d = &r.divergences[0];
        assert_eq!((d.kind.as_str(), d.call), ("global", Some(1)));

        let mut m = honest("b");
        m.memory = |n| if n == 3 { vec![3, 3, 7, 3] } else { vec![n as u8; 4] };
        let r = run(vec![honest("a"), m], &[1, 2, 3]);
        let d = &r.divergences[0];
        assert_eq!((d.kind.as_str(), d.call), ("memory", Some(2)));
        assert!(d.expected.contains("@0x2"), "{}", d.expected);
    }

    #[test]
    fn resource_limit_errors_are_limits_and_link_errors_are_not() {
        assert!(is_resource_limit(&Error::ResourceLimit("memory beyond the cap".into())));
        assert!(is_resource_limit(&Error::Trap(Trap::StackOverflow)));
        assert!(!is_resource_limit(&Error::Link("unknown import".into())));
        assert!(!is_resource_limit(&Error::Trap(Trap::Unreachable)));
    }

    #[test]
    fn resource_limits_are_inconclusive_not_divergent() {
        let mut deep = honest("b");
        deep.answer = |_, args, n| if n == 2 { Err(Error::Trap(Trap::StackOverflow)) } else { Ok(vec![args[0]]) };
        let mut h = honest("a");
        h.answer = |_, args, _| Ok(vec![args[0]]);
        let r = run(vec![h.clone(), deep.clone()], &[1, 2, 3]);
        assert_eq!(r.verdict(), Verdict::Inconclusive, "{r:?}");
        assert_eq!(r.status("b"), Some(Status::Inconclusive));
        // The reference hitting a limit stops everyone.
        let mut other = h.clone();
        other.name = "c";
        let r = run(vec![deep, h, other], &[1, 2, 3]);
        assert_eq!(r.verdict(), Verdict::Inconclusive);
        assert_eq!(r.calls, 2);
    }

    #[test]
    fn unsupported_engines_are_skipped_and_panics_are_crashes() {
        let mut u = honest("u");
        u.unsupported = true;
        let r = run(vec![honest("a"), u, honest("c")], &[1]);
        assert_eq!(r.status("u"), Some(Status::Skipped));
        assert_eq!(r.status("c"), Some(Status::Agree));
        assert_eq!(r.verdict(), Verdict::Agree);

        let mut p = honest("p");
        p.answer = |_, _, _| panic!("engine bug");
        let r = run(vec![honest("a"), p, honest("c")], &[1, 2]);
        assert_eq!(r.verdict(), Verdict::Crashed);
        assert_eq!(r.status("p"), Some(Status::Crashed));
        assert_eq!(r.status("c"), Some(Status::Agree));
        assert!(r.divergences[0].actual.contains("engine bug"));
    }

    #[test]
    fn internal_errors_are_findings_even_when_both_engines_fail_alike() {
        let mut broken = honest("b");
        broken.answer = |_, _, _| Err(Error::Internal("lost a register".into()));
        let mut also_broken = broken.clone();
        also_broken.name = "a";
        let r = run(vec![also_broken, broken.clone()], &[1]);
        assert_eq!(r.verdict(), Verdict::Diverged, "{r:?}");
        assert_eq!(r.status("a"), Some(Status::Diverged), "the reference failing inside is a finding about it");
        assert_eq!(r.divergences[0].kind, "internal");

        let r = run(vec![honest("a"), broken], &[1]);
        assert_eq!(r.verdict(), Verdict::Diverged);
        assert_eq!((r.divergences[0].engine.as_str(), r.divergences[0].kind.as_str()), ("b", "internal"));
    }

    #[test]
    fn an_internal_error_naming_a_limit_is_inconclusive_only_beside_a_limit() {
        let mut oom = honest("b");
        oom.answer = |_, _, _| Err(Error::Internal("out of memory while growing the stack".into()));
        let r = run(vec![honest("a"), oom.clone()], &[1]);
        assert_eq!(r.verdict(), Verdict::Diverged, "the reference did not hit a limit: {r:?}");
        assert_eq!(r.divergences[0].kind, "internal");

        let mut deep = honest("a");
        deep.answer = |_, _, _| Err(Error::Trap(Trap::StackOverflow));
        let r = run(vec![deep, oom.clone()], &[1]);
        assert_eq!(r.verdict(), Verdict::Inconclusive, "{r:?}");
        // A declared limit stays inconclusive whatever the reference did.
        let mut capped = honest("b");
        capped.answer = |_, _, _| Err(Error::ResourceLimit("memory cap".into()));
        assert_eq!(run(vec![honest("a"), capped], &[1]).verdict(), Verdict::Inconclusive);
        assert!(
            compare(
                &Outcome::Failed(Error::Trap(Trap::OutOfFuel)),
                &Outcome::Failed(Error::Internal("stack overflow".into()))
            )
            .is_inconclusive()
        );
    }

    #[test]
    fn tables_are_compared_after_every_call() {
        // Length.
        let mut short = honest("b");
        short.table = |n| if n == 2 { vec![Val::FuncRef(Some(0))] } else { (honest("x").table)(n) };
        let r = run(vec![honest("a"), short], &[1, 2, 3]);
        let d = &r.divergences[0];
        assert_eq!((d.kind.as_str(), d.call, d.what.as_str()), ("table", Some(1), "table \"t\""));
        assert_eq!((d.expected.as_str(), d.actual.as_str()), ("2 elements", "1 elements"));

        // Null-ness.
        let mut nulled = honest("b");
        nulled.table = |_| vec![Val::FuncRef(None), Val::FuncRef(None)];
        let r = run(vec![honest("a"), nulled], &[1]);
        assert_eq!(r.divergences[0].kind, "table");
        assert!(r.divergences[0].actual.starts_with("[0] = funcref:null"), "{}", r.divergences[0].actual);

        // Identity: another handle that is another function.
        let mut other_func = honest("b");
        other_func.table = |_| vec![Val::FuncRef(Some(1)), Val::FuncRef(None)];
        other_func.describe =
            |h| Some(FuncDesc { ty: FuncType::new([ValType::I32], [ValType::I32]), export: Some(format!("f{h}")) });
        let r = run(vec![honest("a"), other_func], &[1]);
        assert_eq!(r.divergences[0].kind, "table", "{r:?}");
        assert!(r.divergences[0].actual.contains("\"f1\""), "{}", r.divergences[0].actual);

        // Signature.
        let mut other_sig = honest("b");
        other_sig.describe = |_| Some(FuncDesc { ty: FuncType::new([], []), export: Some("f".into()) });
        assert_eq!(run(vec![honest("a"), other_sig], &[1]).divergences[0].kind, "table");

        // Handles differ between engines, yet the same function agrees.
        let mut renumbered = honest("b");
        renumbered.table = |_| vec![Val::FuncRef(Some(7)), Val::FuncRef(None)];
        renumbered.describe = |h| {
            (h == 7).then(|| FuncDesc { ty: FuncType::new([ValType::I32], [ValType::I32]), export: Some("f".into()) })
        };
        assert_eq!(run(vec![honest("a"), renumbered], &[1]).verdict(), Verdict::Agree);

        // A handle the engine cannot describe never agrees.
        let mut mute = honest("b");
        mute.describe = |_| None;
        let mut mute_ref = mute.clone();
        mute_ref.name = "a";
        assert_eq!(run(vec![mute_ref, mute], &[1]).verdict(), Verdict::Diverged);
    }

    #[test]
    fn function_references_in_results_compare_by_what_they_are() {
        let mut a = honest("a");
        a.answer = |_, _, _| Ok(vec![Val::FuncRef(Some(0))]);
        let mut same = honest("b");
        same.answer = |_, _, _| Ok(vec![Val::FuncRef(Some(7))]);
        same.table = |_| vec![Val::FuncRef(Some(7)), Val::FuncRef(None)];
        same.describe = |h| {
            (h == 7).then(|| FuncDesc { ty: FuncType::new([ValType::I32], [ValType::I32]), export: Some("f".into()) })
        };
        assert_eq!(run(vec![a.clone(), same], &[1]).verdict(), Verdict::Agree);

        let mut other = honest("b");
        other.answer = |_, _, _| Ok(vec![Val::FuncRef(Some(3))]);
        other.describe = |h| {
            Some(FuncDesc { ty: FuncType::new([ValType::I32], [ValType::I32]), export: (h == 0).then(|| "f".into()) })
        };
        let r = run(vec![a, other], &[1]);
        assert_eq!(r.divergences[0].kind, "result", "{r:?}");
        assert_eq!(r.divergences[0].actual, "[func (not exported) [i32] -> [i32]]");
    }

    #[test]
    fn an_invalid_module_agrees_when_every_engine_rejects_it() {
        let engines: Vec<Arc<dyn Engine>> = vec![
            Arc::from(wasmlab_registry::create("wasmtime", &Default::default()).unwrap()),
            Arc::from(wasmlab_registry::create("wasmi", &Default::default()).unwrap()),
        ];
        let r = Oracle::new(engines).run(b"\0asm\x01\0\0\0\x01\xff", &[]);
        assert_eq!(r.verdict(), Verdict::Agree, "{r:?}");
    }
}
