//! Suite results: totals per engine, the per-file table, the JSON form.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::FileReport;

#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct SuiteReport {
    /// Engine order as asked for.
    #[serde(skip)]
    pub engines: Vec<String>,
    pub totals: BTreeMap<String, Totals>,
    pub files: Vec<FileReport>,
}

impl SuiteReport {
    pub fn new(engines: Vec<String>, files: Vec<FileReport>) -> SuiteReport {
        let mut totals: BTreeMap<String, Totals> = engines.iter().map(|e| (e.clone(), Totals::default())).collect();
        for f in &files {
            let t = totals.entry(f.engine.clone()).or_default();
            t.passed += f.passed;
            t.failed += f.failed;
            t.skipped += f.skipped;
        }
        SuiteReport { engines, totals, files }
    }

    pub fn any_failed(&self) -> bool {
        self.totals.values().any(|t| t.failed > 0)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("suite reports serialize")
    }

    /// The per-file x per-engine table, then totals, then every failure
    /// with file, line and expected vs actual, then skip reasons.
    pub fn to_text(&self, show_skips: bool) -> String {
        let mut out = String::new();
        let mut by_file: BTreeMap<&str, BTreeMap<&str, &FileReport>> = BTreeMap::new();
        for f in &self.files {
            by_file.entry(short(&f.file)).or_default().insert(&f.engine, f);
        }
        let width = by_file.keys().map(|k| k.len()).max().unwrap_or(4).max(5);
        let col = self.engines.iter().map(|e| e.len().max(16)).collect::<Vec<_>>();
        let _ = write!(out, "{:width$}", "file");
        for (e, w) in self.engines.iter().zip(&col) {
            let _ = write!(out, "  {e:>w$}");
        }
        out.push('\n');
        let _ = writeln!(out, "{:width$}  (passed/failed/skipped)", "");
        for (file, engines) in &by_file {
            let _ = write!(out, "{file:width$}");
            for (e, w) in self.engines.iter().zip(&col) {
                let cell = engines
                    .get(e.as_str())
                    .map(|r| format!("{}/{}/{}", r.passed, r.failed, r.skipped))
                    .unwrap_or_else(|| "-".into());
                let _ = write!(out, "  {cell:>w$}");
            }
            out.push('\n');
        }
        let _ = write!(out, "{:width$}", "TOTAL");
        for (e, w) in self.engines.iter().zip(&col) {
            let t = self.totals.get(e).copied().unwrap_or_default();
            let _ = write!(out, "  {:>w$}", format!("{}/{}/{}", t.passed, t.failed, t.skipped));
        }
        out.push('\n');
        for f in &self.files {
            for x in &f.failures {
                let _ = writeln!(
                    out,
                    "FAIL [{}] {}:{} {}: expected {}, got {}",
                    f.engine,
                    short(&f.file),
                    x.line,
                    x.directive,
                    x.expected,
                    x.actual
                );
            }
        }
        if show_skips {
            for f in &self.files {
                for s in &f.skips {
                    let _ = writeln!(out, "SKIP [{}] {}:{} {}", f.engine, short(&f.file), s.line, s.reason);
                }
            }
        } else {
            // Skip reasons, grouped: one line per engine and reason.
            let mut reasons: BTreeMap<(&str, &str), usize> = BTreeMap::new();
            for f in &self.files {
                for s in &f.skips {
                    *reasons.entry((f.engine.as_str(), s.reason.as_str())).or_default() += 1;
                }
            }
            for ((engine, reason), n) in reasons {
                let _ = writeln!(out, "skipped [{engine}] {n} x {reason}");
            }
        }
        for e in &self.engines {
            let t = self.totals.get(e).copied().unwrap_or_default();
            let _ = writeln!(out, "{e}: {} passed, {} failed, {} skipped", t.passed, t.failed, t.skipped);
        }
        out
    }
}

fn short(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
