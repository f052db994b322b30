//! Program-level differential (`wasmlab diff --program`): one WASI program
//! on every engine, each in a worker process of its own (a crash or hang is
//! a finding, not the end of the run), with deterministic WASI and a fresh
//! copy of every preopened directory. Exit status, stdout, stderr and the
//! files left in the directories are compared with the reference's; a
//! difference is a finding saved with everything needed to replay it
//! (`wasmlab repro DIR`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use wasmlab_contract::{EngineConfig, Error, ModuleInterface};
use wasmlab_wasi::{Output, Preopen, WasiConfig};

use crate::worker::{WorkerCommand, hex};
use crate::{engines, testing};

/// What one engine is asked to run (the worker reads it from a file).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProgramSpec {
    pub module: PathBuf,
    /// argv, argv[0] included.
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// `(host, guest)`: for a worker, the engine's own copy.
    pub dirs: Vec<(PathBuf, String)>,
}

/// How a program ended on one engine, as compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Exited(i32),
    /// The trap's message (and the failing WASI call, if any).
    Trapped(String),
    /// The engine could not run the program (compile or link error).
    Error(String),
    /// The worker process died (signal, abort).
    Died(String),
    Hung,
}

/// One engine's run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub engine: String,
    pub status: Status,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Every file and directory in the preopens afterwards: relative path
    /// (`<guest>/...`) -> `dir`, `link -> target` or `<bytes> <sha256>`.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// WASI functions called and how often.
    #[serde(default)]
    pub calls: Vec<(String, u64)>,
    pub millis: u64,
}

/// The outcome of a program differential.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProgramReport {
    pub module: PathBuf,
    pub args: Vec<String>,
    pub runs: Vec<RunRecord>,
    /// Per engine (not the reference): what differs from the reference.
    pub differences: BTreeMap<String, Vec<String>>,
    /// Engines whose run says nothing (unsupported, a resource limit).
    pub inconclusive: BTreeMap<String, String>,
    /// Where the finding was saved, if there was one.
    pub saved: Option<PathBuf>,
}

impl ProgramReport {
    pub fn diverged(&self) -> bool {
        !self.differences.is_empty()
    }

    /// A table for a person: one line per engine, then the differences.
    pub fn text(&self) -> String {
        let mut s = format!("program {} {}\n", self.module.display(), self.args[1..].join(" "));
        for r in &self.runs {
            let verdict = if self.differences.contains_key(&r.engine) {
                "DIFFERS"
            } else if self.inconclusive.contains_key(&r.engine) {
                "inconclusive"
            } else {
                "same"
            };
            let status = match &r.status {
                Status::Exited(c) => format!("exit {c}"),
                Status::Trapped(t) => format!("trap: {t}"),
                Status::Error(e) => format!("error: {e}"),
                Status::Died(d) => format!("died: {d}"),
                Status::Hung => "hung".into(),
            };
            s += &format!(
                "  {:<16} {:<12} stdout {:>7} B  stderr {:>5} B  files {:>3}  {:>6} ms  {}\n",
                r.engine,
                verdict,
                r.stdout.len(),
                r.stderr.len(),
                r.files.len(),
                r.millis,
                status
            );
        }
        for (engine, diffs) in &self.differences {
            for d in diffs {
                s += &format!("  {engine}: {d}\n");
            }
        }
        for (engine, why) in &self.inconclusive {
            s += &format!("  {engine}: inconclusive: {why}\n");
        }
        if let Some(r) = self.runs.first() {
            let calls: Vec<String> = r.calls.iter().map(|(n, c)| format!("{n} x{c}")).collect();
            s += &format!("  WASI calls ({}): {}\n", r.engine, calls.join(", "));
        }
        s
    }
}

/// Runs `spec` on every engine in `names` (reference first) through
/// `worker`, saves a finding under `out` when an engine differs.
pub fn run(
    spec: &ProgramSpec,
    names: &[String],
    worker: &WorkerCommand,
    timeout: Duration,
    out: &Path,
) -> Result<ProgramReport, Error> {
    let wasm = read_module(&spec.module)?;
    let iface = ModuleInterface::parse(&wasm).map_err(|e| Error::Usage(format!("{}: {e}", spec.module.display())))?;
    wasmlab_wasi::check_command(&iface)?;
    for (host, _) in &spec.dirs {
        if !host.is_dir() {
            return Err(Error::Usage(format!("--dir {}: not a directory", host.display())));
        }
    }
    let scratch = tempfile::Builder::new()
        .prefix("wasmlab-program-")
        .tempdir()
        .map_err(|e| Error::Internal(format!("cannot create a scratch directory: {e}")))?;
    let mut runs = Vec::new();
    for (k, name) in names.iter().enumerate() {
        let root = scratch.path().join(format!("{k}"));
        let mut mine = spec.clone();
        mine.dirs = Vec::new();
        for (i, (host, guest)) in spec.dirs.iter().enumerate() {
            let copy = root.join(format!("dir{i}"));
            copy_tree(host, &copy).map_err(|e| Error::Internal(format!("cannot copy {}: {e}", host.display())))?;
            mine.dirs.push((copy, guest.clone()));
        }
        let spec_file = root.join("spec.json");
        std::fs::write(&spec_file, serde_json::to_vec(&mine).expect("serialisable"))
            .map_err(|e| Error::Internal(format!("cannot write {}: {e}", spec_file.display())))?;
        let started = Instant::now();
        let mut record = run_worker(worker, name, &spec_file, &root.join("cache"), timeout);
        record.millis = started.elapsed().as_millis() as u64;
        record.engine = name.clone();
        for (i, (copy, guest)) in mine.dirs.iter().enumerate() {
            let label = if mine.dirs.len() == 1 { guest.clone() } else { format!("{guest}#{i}") };
            snapshot(copy, &label, &mut record.files);
        }
        runs.push(record);
    }
    let mut report = ProgramReport {
        module: spec.module.clone(),
        args: spec.args.clone(),
        runs,
        differences: BTreeMap::new(),
        inconclusive: BTreeMap::new(),
        saved: None,
    };
    compare(&mut report);
    if report.diverged() {
        report.saved = Some(save(spec, &wasm, &report, out)?);
    }
    Ok(report)
}

/// A `.wasm` or `.wat` file's module bytes.
fn read_module(path: &Path) -> Result<Vec<u8>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    if bytes.starts_with(b"\0asm") {
        return Ok(bytes);
    }
    Ok(wat::parse_bytes(&bytes).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?.into_owned())
}

impl RunRecord {
    /// A run that produced nothing but `status`.
    fn failed(engine: &str, status: Status) -> RunRecord {
        RunRecord {
            engine: engine.to_string(),
            status,
            stdout: Vec::new(),
            stderr: Vec::new(),
            files: BTreeMap::new(),
            calls: Vec::new(),
            millis: 0,
        }
    }
}

/// Spawns the worker for one engine and reads its record.
fn run_worker(worker: &WorkerCommand, engine: &str, spec: &Path, cache: &Path, timeout: Duration) -> RunRecord {
    let blank = |status| RunRecord::failed(engine, status);
    let mut c = Command::new(&worker.program);
    c.args(&worker.args).arg("--engines").arg(engine).arg("--cache-dir").arg(cache).arg("--program-spec").arg(spec);
    for (k, v) in &worker.env {
        c.env(k, v);
    }
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match c.spawn() {
        Ok(c) => c,
        Err(e) => return blank(Status::Error(format!("cannot start {}: {e}", worker.program.display()))),
    };
    // Read both pipes while waiting, so a chatty worker cannot block.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stdout.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = stderr.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    let out = out_reader.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).trim().to_string();
    let Some(status) = status else { return blank(Status::Hung) };
    match serde_json::from_slice::<RunRecord>(&out) {
        Ok(r) if status.success() => r,
        _ => {
            let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().join(" | ");
            blank(Status::Died(format!("{status}: {tail}")))
        }
    }
}

/// Fills `report.differences` and `report.inconclusive` against the first run.
fn compare(report: &mut ProgramReport) {
    let Some((reference, others)) = report.runs.split_first() else { return };
    if let Status::Error(e) = &reference.status {
        report.inconclusive.insert(reference.engine.clone(), format!("the reference could not run it: {e}"));
        return;
    }
    for run in others {
        if let Status::Error(e) = &run.status
            && (e.contains("unsupported") || e.contains("resource limit"))
        {
            report.inconclusive.insert(run.engine.clone(), e.clone());
            continue;
        }
        let limit = |s: &Status| matches!(s, Status::Trapped(t) if t.starts_with("call stack exhausted") || t.starts_with("all fuel"));
        if limit(&run.status) || limit(&reference.status) {
            report.inconclusive.insert(run.engine.clone(), "a resource limit (stack or fuel) was reached".into());
            continue;
        }
        let mut d = Vec::new();
        if run.status != reference.status {
            d.push(format!("status {:?}, the reference {:?}", run.status, reference.status));
        }
        if let Some(m) = first_difference("stdout", &run.stdout, &reference.stdout) {
            d.push(m);
        }
        if let Some(m) = first_difference("stderr", &run.stderr, &reference.stderr) {
            d.push(m);
        }
        for (path, state) in &run.files {
            match reference.files.get(path) {
                None => d.push(format!("file {path}: left behind ({state}), not by the reference")),
                Some(r) if r != state => d.push(format!("file {path}: {state}, the reference {r}")),
                Some(_) => {}
            }
        }
        for path in reference.files.keys().filter(|p| !run.files.contains_key(*p)) {
            d.push(format!("file {path}: missing (the reference left it)"));
        }
        if !d.is_empty() {
            report.differences.insert(run.engine.clone(), d);
        }
    }
}

fn first_difference(what: &str, got: &[u8], want: &[u8]) -> Option<String> {
    if got == want {
        return None;
    }
    let at = got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
    let show = |b: &[u8]| String::from_utf8_lossy(&b[at.min(b.len())..(at + 32).min(b.len())]).into_owned();
    Some(format!(
        "{what} differs at byte {at} ({} vs {} bytes): {:?}, the reference {:?}",
        got.len(),
        want.len(),
        show(got),
        show(want)
    ))
}

/// Copies a directory tree (files, directories, symlinks as links).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if ty.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else if ty.is_symlink() {
            #[cfg(unix)]
            std::os::unix::fs::symlink(std::fs::read_link(entry.path())?, &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

/// Records every entry under `dir` as `label/relative` -> its state.
fn snapshot(dir: &Path, label: &str, files: &mut BTreeMap<String, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = format!("{label}/{}", entry.file_name().to_string_lossy());
        let Ok(ty) = entry.file_type() else { continue };
        if ty.is_symlink() {
            let target = std::fs::read_link(entry.path()).map(|t| t.display().to_string()).unwrap_or_default();
            files.insert(name, format!("link -> {target}"));
        } else if ty.is_dir() {
            files.insert(name.clone(), "dir".into());
            snapshot(&entry.path(), &name, files);
        } else {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            files.insert(name, format!("{} bytes sha256 {}", bytes.len(), &hex(&Sha256::digest(&bytes))[..16]));
        }
    }
}

/// The file of a saved program finding that `wasmlab repro` recognises.
pub const FINDING_FILE: &str = "program.json";

/// What a saved program finding holds besides the module and the inputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedFinding {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Guest names of `dirs/0`, `dirs/1`, ...
    pub guests: Vec<String>,
    pub engines: Vec<String>,
    pub differences: BTreeMap<String, Vec<String>>,
}

/// Saves a finding: `program.wasm`, the input directories as they were
/// (`dirs/<i>`), `program.json` and `report.txt`.
fn save(spec: &ProgramSpec, wasm: &[u8], report: &ProgramReport, out: &Path) -> Result<PathBuf, Error> {
    let mut h = Sha256::new();
    h.update(wasm);
    h.update(serde_json::to_vec(&spec.args).expect("serialisable"));
    let dir = out.join(format!("program-{}", &hex(&h.finalize())[..12]));
    let io = |e: std::io::Error| Error::Internal(format!("cannot save the finding in {}: {e}", dir.display()));
    std::fs::create_dir_all(&dir).map_err(io)?;
    std::fs::write(dir.join("program.wasm"), wasm).map_err(io)?;
    for (i, (host, _)) in spec.dirs.iter().enumerate() {
        let copy = dir.join("dirs").join(i.to_string());
        if !copy.exists() {
            copy_tree(host, &copy).map_err(io)?;
        }
    }
    let saved = SavedFinding {
        args: spec.args.clone(),
        env: spec.env.clone(),
        guests: spec.dirs.iter().map(|(_, g)| g.clone()).collect(),
        engines: report.runs.iter().map(|r| r.engine.clone()).collect(),
        differences: report.differences.clone(),
    };
    std::fs::write(dir.join(FINDING_FILE), serde_json::to_string_pretty(&saved).expect("serialisable")).map_err(io)?;
    let replay = format!("replay: wasmlab repro {}\n", dir.display());
    std::fs::write(dir.join("report.txt"), report.text() + &replay).map_err(io)?;
    Ok(dir)
}

/// The spec and engines of a saved finding, for `wasmlab repro`.
pub fn load_finding(dir: &Path) -> Result<(ProgramSpec, Vec<String>), Error> {
    let path = dir.join(FINDING_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    let saved: SavedFinding =
        serde_json::from_str(&text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    let dirs =
        saved.guests.iter().enumerate().map(|(i, g)| (dir.join("dirs").join(i.to_string()), g.clone())).collect();
    Ok((ProgramSpec { module: dir.join("program.wasm"), args: saved.args, env: saved.env, dirs }, saved.engines))
}

/// The worker's side: runs the spec on `engine` and prints one JSON record.
pub fn worker_main(engine: &str, spec_file: &Path, cache_dir: Option<PathBuf>) -> std::process::ExitCode {
    // Engines may recurse deeply on the native stack; give them room.
    let (engine, spec_file) = (engine.to_string(), spec_file.to_path_buf());
    let run = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || (worker_run(&engine, &spec_file, cache_dir), engine))
        .map(|h| h.join());
    let (result, engine) = match run {
        Ok(Ok(r)) => r,
        _ => return std::process::ExitCode::from(3),
    };
    let record = match result {
        Ok(r) => r,
        Err(e) => RunRecord::failed(&engine, Status::Error(e.to_string())),
    };
    println!("{}", serde_json::to_string(&record).expect("serialisable"));
    std::process::ExitCode::SUCCESS
}

fn worker_run(engine: &str, spec_file: &Path, cache_dir: Option<PathBuf>) -> Result<RunRecord, Error> {
    let text = std::fs::read(spec_file).map_err(|e| Error::Usage(format!("{}: {e}", spec_file.display())))?;
    let spec: ProgramSpec =
        serde_json::from_slice(&text).map_err(|e| Error::Usage(format!("{}: {e}", spec_file.display())))?;
    let wasm = read_module(&spec.module)?;
    let iface = ModuleInterface::parse(&wasm)?;
    let config = EngineConfig { cache_dir, ..engines::campaign_config(None) };
    let e = engines::create(engine, &config)?;
    let module = e.compile(&wasm)?;
    let wasi = WasiConfig {
        args: spec.args.clone(),
        env: spec.env.clone(),
        preopens: spec.dirs.iter().map(|(h, g)| Preopen { host: h.clone(), guest: g.clone() }).collect(),
        deterministic: true,
        inherit_stdin: false,
        stdout: Output::Capture,
        stderr: Output::Capture,
        fault: testing::wasi_fault(engine),
    };
    let outcome = wasmlab_wasi::run_command(e.as_ref(), module.as_ref(), &iface, &wasi)?;
    let status = match outcome.ended.trap_text() {
        Some(trap) => Status::Trapped(trap),
        None => Status::Exited(outcome.ended.process_status()),
    };
    Ok(RunRecord {
        engine: engine.to_string(),
        status,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        files: BTreeMap::new(),
        calls: outcome.calls.into_iter().map(|(n, c)| (n.to_string(), c)).collect(),
        millis: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(engine: &str, status: Status, stdout: &[u8], files: &[(&str, &str)]) -> RunRecord {
        RunRecord {
            engine: engine.into(),
            status,
            stdout: stdout.to_vec(),
            stderr: Vec::new(),
            files: files.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
            calls: Vec::new(),
            millis: 0,
        }
    }

    fn compared(runs: Vec<RunRecord>) -> ProgramReport {
        let mut r = ProgramReport {
            module: "m.wasm".into(),
            args: vec!["m".into()],
            runs,
            differences: BTreeMap::new(),
            inconclusive: BTreeMap::new(),
            saved: None,
        };
        compare(&mut r);
        r
    }

    #[test]
    fn files_status_and_output_are_all_compared() {
        let reference = record("ref", Status::Exited(0), b"sum 1\n", &[("./out", "3 bytes sha256 ab"), ("./d", "dir")]);
        let r = compared(vec![
            reference.clone(),
            record("same", Status::Exited(0), b"sum 1\n", &[("./out", "3 bytes sha256 ab"), ("./d", "dir")]),
            record("content", Status::Exited(0), b"sum 1\n", &[("./out", "3 bytes sha256 cd"), ("./d", "dir")]),
            record(
                "extra",
                Status::Exited(0),
                b"sum 1\n",
                &[("./out", "3 bytes sha256 ab"), ("./d", "dir"), ("./x", "dir")],
            ),
            record("missing", Status::Exited(0), b"sum 1\n", &[("./d", "dir")]),
            record("status", Status::Exited(1), b"sum 1\n", &[("./out", "3 bytes sha256 ab"), ("./d", "dir")]),
            record("stdout", Status::Exited(0), b"sum 2\n", &[("./out", "3 bytes sha256 ab"), ("./d", "dir")]),
            record("died", Status::Died("signal 11".into()), b"", &[("./out", "3 bytes sha256 ab"), ("./d", "dir")]),
        ]);
        let engines: Vec<&str> = r.differences.keys().map(String::as_str).collect();
        assert_eq!(engines, ["content", "died", "extra", "missing", "status", "stdout"]);
        assert!(r.differences["content"][0].contains("./out"));
        assert!(r.differences["extra"][0].contains("left behind"));
        assert!(r.differences["missing"][0].contains("missing"));
        assert!(r.differences["stdout"][0].contains("byte 4"));
        assert!(r.text().contains("DIFFERS"));
    }

    #[test]
    fn resource_limits_and_unsupported_features_are_inconclusive() {
        let r = compared(vec![
            record("ref", Status::Exited(0), b"", &[]),
            record("deep", Status::Trapped("call stack exhausted".into()), b"", &[]),
            record("old", Status::Error("unsupported feature: simd".into()), b"", &[]),
        ]);
        assert!(!r.diverged());
        assert_eq!(r.inconclusive.len(), 2);
    }
}
