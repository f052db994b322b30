//! Known divergences: differences whose cause is in a peer engine (not in
//! the lab's code), recorded with their evidence in
//! `corpora/known-divergences.md` and excused here by narrow rules, so that
//! campaigns stay a clean CI gate without hiding anything else.
//!
//! A rule names one engine and one kind of divergence and checks the precise
//! circumstance (never a whole operator or engine). An excused engine gets
//! status [`Status::Known`] with the rule's id; the divergence is dropped.

use crate::oracle::{CaseReport, Divergence, Status};

pub struct Rule {
    /// The id used in `corpora/known-divergences.md`.
    pub id: &'static str,
    pub engine: &'static str,
    pub kind: &'static str,
    /// The precise circumstance, given the divergence and the module.
    pub applies: fn(&Divergence, &[u8]) -> bool,
}

/// The rules in force (see `corpora/known-divergences.md`).
pub static RULES: &[Rule] = &[];

/// Excuses the divergences of `report` that a rule in [`RULES`] covers.
pub fn excuse(report: &mut CaseReport, wasm: &[u8]) {
    excuse_with(report, wasm, RULES);
}

pub fn excuse_with(report: &mut CaseReport, wasm: &[u8], rules: &[Rule]) {
    let mut excused = Vec::new();
    report.divergences.retain(|d| {
        match rules.iter().find(|r| r.engine == d.engine && r.kind == d.kind && (r.applies)(d, wasm)) {
            Some(rule) => {
                excused.push((d.engine.clone(), rule.id));
                false
            }
            None => true,
        }
    });
    for (engine, id) in excused {
        if let Some(e) = report.engines.iter_mut().find(|e| e.engine == engine && e.status == Status::Diverged) {
            e.status = Status::Known;
            e.note = format!("known divergence {id}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::EngineReport;

    fn report() -> CaseReport {
        CaseReport {
            reference: "wasmtime".into(),
            engines: vec![
                EngineReport { engine: "wasmtime".into(), status: Status::Agree, note: String::new() },
                EngineReport { engine: "peer".into(), status: Status::Diverged, note: String::new() },
            ],
            calls: 1,
            trapped: false,
            divergences: vec![Divergence {
                engine: "peer".into(),
                reference: "wasmtime".into(),
                kind: "result".into(),
                call: Some(0),
                what: "f()".into(),
                expected: "[i32:1]".into(),
                actual: "[i32:2]".into(),
            }],
            trace: vec![],
        }
    }

    #[test]
    fn only_matching_rules_excuse() {
        let rules = [Rule { id: "KD-test", engine: "peer", kind: "result", applies: |d, _| d.actual == "[i32:2]" }];
        let mut r = report();
        excuse_with(&mut r, &[], &rules);
        assert!(r.divergences.is_empty());
        assert_eq!(r.status("peer"), Some(Status::Known));

        let narrow = [Rule { id: "KD-test", engine: "peer", kind: "result", applies: |d, _| d.actual == "[i32:3]" }];
        let mut r = report();
        excuse_with(&mut r, &[], &narrow);
        assert_eq!(r.divergences.len(), 1);
        assert_eq!(r.status("peer"), Some(Status::Diverged));
    }
}
