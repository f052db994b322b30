//! Reproducers: every finding is saved as a directory named by the content
//! hash of its original module, holding
//!
//! - `module.wasm`, `module.wat`: the (shrunk) module to look at;
//! - `calls.json`: the calls made on it, values as text (`vals::to_text`);
//! - `case.json`: engines, the divergence class, where it came from
//!   (campaign seed and case index, or fuzzer input), sizes;
//! - `report.txt` / `report.json`: what each engine did, step by step;
//! - `original.wasm`, `original-calls.json`: the unshrunk case.
//!
//! `wasmlab repro DIR` replays one ([`Repro::load`]); once fixed, it moves to
//! `corpora/regressions/`, which `cargo test` replays on every engine.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmlab_contract::Error;

use crate::cases::{Call, CallText};
use crate::oracle::{CaseReport, Divergence};

/// `case.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CaseInfo {
    pub engines: Vec<String>,
    /// The divergence that made it a finding (engine pair and kind).
    pub engine: String,
    pub reference: String,
    pub kind: String,
    pub summary: String,
    /// `smith`, `op:NAME`, `fuzz`, `module`.
    pub origin: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index: Option<u64>,
    pub original_size: usize,
    pub shrunk_size: usize,
}

/// A reproducer on disk, loaded.
pub struct Repro {
    pub dir: PathBuf,
    pub wasm: Vec<u8>,
    pub calls: Vec<Call>,
    pub info: Option<CaseInfo>,
}

fn io(path: &Path, e: std::io::Error) -> Error {
    Error::Usage(format!("{}: {e}", path.display()))
}

/// The first 16 hex digits of the module's SHA-256.
pub fn content_hash(wasm: &[u8]) -> String {
    Sha256::digest(wasm).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), Error> {
    std::fs::write(path, bytes).map_err(|e| io(path, e))
}

fn calls_json(calls: &[Call]) -> String {
    let text: Vec<CallText> = calls.iter().map(Call::to_text).collect();
    serde_json::to_string_pretty(&text).expect("calls serialise")
}

/// The human-readable report: the divergences, then each step.
pub fn report_text(report: &CaseReport) -> String {
    let mut s = String::new();
    for e in &report.engines {
        s.push_str(&format!("{:<14} {}", e.engine, e.status.word()));
        if !e.note.is_empty() {
            s.push_str(&format!("  ({})", e.note));
        }
        s.push('\n');
    }
    for d in &report.divergences {
        s.push_str(&format!("DIVERGENCE {d}\n"));
    }
    for step in &report.trace {
        s.push_str(&format!("{}\n", step.what));
        for (engine, outcome) in &step.outcomes {
            s.push_str(&format!("    {engine:<14} {outcome}\n"));
        }
    }
    s
}

/// Saves a finding under `root/<hash>/`; `None` when that directory exists
/// already (the same module was found before).
pub fn save(
    root: &Path,
    wasm: &[u8],
    calls: &[Call],
    info: &CaseInfo,
    report: &CaseReport,
) -> Result<Option<PathBuf>, Error> {
    let dir = root.join(content_hash(wasm));
    if dir.exists() {
        return Ok(None);
    }
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    write(&dir.join("original.wasm"), wasm)?;
    write(&dir.join("original-calls.json"), calls_json(calls))?;
    update(&dir, wasm, calls, info, report)?;
    Ok(Some(dir))
}

/// Writes (or rewrites, after shrinking) the module, calls, info and report.
pub fn update(dir: &Path, wasm: &[u8], calls: &[Call], info: &CaseInfo, report: &CaseReport) -> Result<(), Error> {
    write(&dir.join("module.wasm"), wasm)?;
    let wat = wasmprinter::print_bytes(wasm).unwrap_or_else(|e| format!(";; wasmprinter failed: {e}\n"));
    write(&dir.join("module.wat"), wat)?;
    write(&dir.join("calls.json"), calls_json(calls))?;
    write(&dir.join("case.json"), serde_json::to_string_pretty(info).expect("info serialises"))?;
    write(&dir.join("report.json"), serde_json::to_string_pretty(report).expect("report serialises"))?;
    write(&dir.join("report.txt"), report_text(report))?;
    Ok(())
}

impl Repro {
    /// Loads `DIR/module.wasm` (or `module.wat`), `DIR/calls.json` and, when
    /// present, `DIR/case.json`.
    pub fn load(dir: &Path) -> Result<Repro, Error> {
        let wasm_path = dir.join("module.wasm");
        let wasm = if wasm_path.exists() {
            std::fs::read(&wasm_path).map_err(|e| io(&wasm_path, e))?
        } else {
            let wat_path = dir.join("module.wat");
            let text = std::fs::read_to_string(&wat_path).map_err(|e| io(&wat_path, e))?;
            wat::parse_str(&text).map_err(|e| Error::Invalid(format!("{}: {e}", wat_path.display())))?
        };
        let calls_path = dir.join("calls.json");
        let text = std::fs::read_to_string(&calls_path).map_err(|e| io(&calls_path, e))?;
        let calls: Vec<CallText> =
            serde_json::from_str(&text).map_err(|e| Error::Usage(format!("{}: {e}", calls_path.display())))?;
        let calls = calls.iter().map(Call::from_text).collect::<Result<Vec<_>, _>>()?;
        let info_path = dir.join("case.json");
        let info = match std::fs::read_to_string(&info_path) {
            Ok(t) => Some(serde_json::from_str(&t).map_err(|e| Error::Usage(format!("{}: {e}", info_path.display())))?),
            Err(_) => None,
        };
        Ok(Repro { dir: dir.to_path_buf(), wasm, calls, info })
    }
}

/// Every reproducer directory directly under `root` (sorted).
pub fn list(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("calls.json").exists())
        .collect();
    dirs.sort();
    dirs
}

/// Shrinks `wasm` with wasm-shrink while `interesting` holds, for at most
/// `attempts` tries and until `deadline`. Returns the smallest interesting
/// module found (the input when nothing smaller is).
pub fn shrink(wasm: &[u8], attempts: u32, deadline: Instant, mut interesting: impl FnMut(&[u8]) -> bool) -> Vec<u8> {
    let mut best = wasm.to_vec();
    // wasm-shrink's random walk gets stuck in local minima: restart it from
    // the best module with another seed while that still helps.
    for seed in 0..4 {
        let run = wasm_shrink::WasmShrink::default().attempts(attempts).seed(seed).run(
            best.clone(),
            |candidate: &[u8]| -> anyhow::Result<bool> {
                // Past the deadline every candidate is "uninteresting", which
                // ends the run quickly with the best found so far.
                Ok(Instant::now() < deadline && interesting(candidate))
            },
        );
        match run {
            Ok(info) if info.output.len() < best.len() => best = info.output,
            _ => break,
        }
    }
    best
}

/// Whether `report` shows a divergence of the same class as `d`.
pub fn same_class(report: &CaseReport, d: &Divergence) -> bool {
    report.divergences.iter().any(|x| x.class() == d.class())
}
