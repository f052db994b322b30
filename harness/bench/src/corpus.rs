//! The benchmark corpus: `corpora/bench/programs.json` and the `.wasm`
//! files it names.
//!
//! Every program exports `run(i32) -> i64`: the argument sets the amount of
//! work, the result is a checksum of everything computed. The manifest
//! keeps the expected checksum for the default and the quick argument, so a
//! run on any engine is verified: a wrong engine cannot look fast.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::BenchError;

/// Where the corpus lives inside the repository.
pub const CORPUS_DIR: &str = "corpora/bench";
/// The export every program provides.
pub const ENTRY: &str = "run";

/// `programs.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub programs: Vec<Program>,
}

/// One benchmark program.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Program {
    pub name: String,
    /// The `.wasm` file, relative to the corpus directory.
    pub file: String,
    /// What it was built from (a `.wat` file, or the generator).
    pub source: String,
    /// What the program stresses (recursion, memory, float, ...).
    pub kind: String,
    pub description: String,
    /// Argument of a full run (sized for ~5-50 ms on wasmtime).
    pub arg: i32,
    /// Argument of a `--quick` run (~1 ms on wasmtime).
    pub quick_arg: i32,
    /// `run(arg)`; `None` until the corpus builder has filled it in.
    pub expected: Option<i64>,
    /// `run(quick_arg)`.
    pub quick_expected: Option<i64>,
}

impl Program {
    /// The argument and expected checksum for a full or quick run.
    pub fn workload(&self, quick: bool) -> (i32, Option<i64>) {
        if quick { (self.quick_arg, self.quick_expected) } else { (self.arg, self.expected) }
    }
}

/// A loaded corpus: the manifest and each program's bytes.
#[derive(Clone, Debug)]
pub struct Corpus {
    pub dir: PathBuf,
    pub programs: Vec<(Program, Vec<u8>)>,
}

impl Manifest {
    pub fn load(dir: &Path) -> Result<Manifest, BenchError> {
        let path = dir.join("programs.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| BenchError::new(format!("cannot read {}: {e}", path.display())))?;
        serde_json::from_str(&text).map_err(|e| BenchError::new(format!("{}: {e}", path.display())))
    }

    pub fn save(&self, dir: &Path) -> Result<(), BenchError> {
        let path = dir.join("programs.json");
        let mut text = serde_json::to_string_pretty(self).map_err(|e| BenchError::new(e.to_string()))?;
        text.push('\n');
        std::fs::write(&path, text).map_err(|e| BenchError::new(format!("cannot write {}: {e}", path.display())))
    }
}

impl Corpus {
    /// Loads the manifest in `dir` and the programs in `only` (all when
    /// empty). An unknown name is an error that lists the known ones.
    pub fn load(dir: &Path, only: &[String]) -> Result<Corpus, BenchError> {
        let manifest = Manifest::load(dir)?;
        for name in only {
            if !manifest.programs.iter().any(|p| &p.name == name) {
                let known: Vec<&str> = manifest.programs.iter().map(|p| p.name.as_str()).collect();
                return Err(BenchError::new(format!("unknown program `{name}` (known: {})", known.join(", "))));
            }
        }
        let mut programs = Vec::new();
        for p in manifest.programs {
            if !only.is_empty() && !only.contains(&p.name) {
                continue;
            }
            let path = dir.join(&p.file);
            let bytes =
                std::fs::read(&path).map_err(|e| BenchError::new(format!("cannot read {}: {e}", path.display())))?;
            programs.push((p, bytes));
        }
        Ok(Corpus { dir: dir.to_path_buf(), programs })
    }
}

/// Finds `corpora/bench`: the given directory, else the nearest one above
/// the current directory, else the one this crate was built from.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, BenchError> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            let candidate = dir.join(CORPUS_DIR);
            if candidate.join("programs.json").is_file() {
                return Ok(candidate);
            }
        }
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(CORPUS_DIR);
    if built.join("programs.json").is_file() {
        return Ok(built);
    }
    Err(BenchError::new(format!(
        "cannot find {CORPUS_DIR}/programs.json above the current directory; pass --corpus DIR"
    )))
}
