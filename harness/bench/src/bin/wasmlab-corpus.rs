//! Rebuilds the benchmark corpus (`corpora/bench`): assembles every `.wat`
//! into its `.wasm`, generates the large module, and records each program's
//! expected checksums in `programs.json`.
//!
//! The checksums come from running every program on two independent
//! engines (wasmtime and wasmi) at its default and quick argument; they
//! must agree, or nothing is written. Run it through `corpora/bench/build.sh`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use wasmlab_bench::corpus::{self, Manifest};
use wasmlab_bench::large;
use wasmlab_contract::{EngineConfig, Val};

/// The engines whose agreement makes a checksum: the reference JIT and an
/// interpreter that shares no code with it.
const ORACLES: [&str; 2] = ["wasmtime", "wasmi"];

fn main() -> ExitCode {
    let mut dir = None;
    let mut checksums = true;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-checksums" => checksums = false,
            "-h" | "--help" => {
                println!("usage: wasmlab-corpus [--no-checksums] [CORPUS_DIR]");
                return ExitCode::SUCCESS;
            }
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    match build(dir.as_deref(), checksums) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wasmlab-corpus: {e}");
            ExitCode::FAILURE
        }
    }
}

fn build(dir: Option<&Path>, checksums: bool) -> Result<(), String> {
    let dir = corpus::locate(dir).map_err(|e| e.to_string())?;
    let mut manifest = Manifest::load(&dir).map_err(|e| e.to_string())?;
    for program in &manifest.programs {
        let text = if program.source == "generated" {
            large::wat()
        } else {
            let path = dir.join(&program.source);
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        };
        let wasm = wat::parse_str(&text).map_err(|e| format!("{}: {e}", program.source))?;
        let out = dir.join(&program.file);
        if std::fs::read(&out).ok().as_deref() != Some(wasm.as_slice()) {
            std::fs::write(&out, &wasm).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!("wrote {} ({} bytes)", program.file, wasm.len());
        }
    }
    if !checksums {
        return Ok(());
    }
    let engines = ORACLES
        .iter()
        .map(|name| wasmlab_registry::create(name, &EngineConfig::default()).map_err(|e| format!("{name}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    for program in &mut manifest.programs {
        let wasm = std::fs::read(dir.join(&program.file)).map_err(|e| format!("{}: {e}", program.file))?;
        let mut sums = [0i64; 2];
        for (slot, arg) in [program.arg, program.quick_arg].into_iter().enumerate() {
            let mut seen: Option<(String, i64)> = None;
            for engine in &engines {
                let mut instance = engine
                    .instantiate_fresh(&wasm)
                    .map_err(|e| format!("{} on {}: {e}", program.name, engine.name()))?;
                let start = Instant::now();
                let out = instance
                    .call(corpus::ENTRY, &[Val::I32(arg)])
                    .map_err(|e| format!("{} on {}: {e}", program.name, engine.name()))?;
                let ms = start.elapsed().as_secs_f64() * 1e3;
                let [Val::I64(sum)] = out.as_slice() else {
                    return Err(format!("{} on {}: run returned {out:?}, not one i64", program.name, engine.name()));
                };
                println!("{:12} run({arg:>8}) on {:9} = {sum:>20}  {ms:9.2} ms", program.name, engine.name());
                // The harness calls `run` many times on one instance: a
                // program must leave nothing behind that changes the result.
                let again = instance.call(corpus::ENTRY, &[Val::I32(arg)]);
                if again.as_deref() != Ok(out.as_slice()) {
                    return Err(format!(
                        "{}: a second run({arg}) on {} gives {again:?}, the first gave {out:?}: the program must reset its state",
                        program.name,
                        engine.name()
                    ));
                }
                match &seen {
                    Some((other, s)) if s != sum => {
                        return Err(format!(
                            "{}: run({arg}) gives {s} on {other} but {sum} on {}; not recording either",
                            program.name,
                            engine.name()
                        ));
                    }
                    _ => seen = Some((engine.name().to_string(), *sum)),
                }
            }
            sums[slot] = seen.expect("at least one oracle").1;
        }
        program.expected = Some(sums[0]);
        program.quick_expected = Some(sums[1]);
    }
    manifest.save(&dir).map_err(|e| e.to_string())?;
    println!("updated {}", dir.join("programs.json").display());
    Ok(())
}
