//! `wasmlab run`: run a WASI command (`_start`) on one engine, or
//! instantiate a module and call an export. WASI and the Sightglass
//! `bench.start`/`bench.end` imports are there for every module.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use wasmlab_contract::{Engine, EngineConfig, Error, ExternKind, Imports, Module, ModuleInterface, Trap, Val, ValType};
use wasmlab_wasi::{BenchRegion, Ended, Output, Preopen, Wasi, WasiConfig, argv0, parse_env_var};

use crate::CliResult;

#[derive(Args)]
pub struct RunArgs {
    /// A .wasm, .wat or .cwasm file.
    pub file: PathBuf,
    /// Engine to run on (a .cwasm always runs on wasmtime-aot).
    #[arg(long, short, default_value = "wasmtime")]
    pub engine: String,
    /// Export to call, followed by its arguments (integers, floats, `nan`,
    /// `inf`, `-inf`; `0x...` for raw float bits).
    #[arg(long, num_args = 1.., value_names = ["NAME", "ARGS"], allow_hyphen_values = true)]
    pub invoke: Option<Vec<String>>,
    /// Engine-side fuel limit per call.
    #[arg(long)]
    pub fuel: Option<u64>,
    /// A host directory the program may reach, as GUEST inside (default:
    /// its host spelling). Nothing else of the file system is reachable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    pub dirs: Vec<String>,
    /// An environment variable for the program (it sees no others).
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Fixed clocks and random seed (what differential runs use).
    #[arg(long)]
    pub deterministic: bool,
    /// The program's arguments (after `--`); argv[0] is the file name.
    #[arg(last = true, value_name = "ARGS")]
    pub args: Vec<String>,
}

/// The WASI configuration `wasmlab run` arguments describe.
pub fn wasi_config(args: &RunArgs) -> Result<WasiConfig, String> {
    let env = args.env.iter().map(|kv| parse_env_var(kv)).collect::<Result<Vec<_>, _>>().map_err(|e| e.to_string())?;
    let name = argv0(&args.file);
    Ok(WasiConfig {
        args: std::iter::once(name).chain(args.args.iter().cloned()).collect(),
        env,
        preopens: args.dirs.iter().map(|d| Preopen::parse(d)).collect(),
        deterministic: args.deterministic,
        inherit_stdin: true,
        stdout: Output::Inherit,
        stderr: Output::Inherit,
        fault: None,
    })
}

pub fn run(args: &RunArgs) -> CliResult {
    let bytes = std::fs::read(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let config = EngineConfig { fuel: args.fuel, ..EngineConfig::default() };
    let is_cwasm = bytes.starts_with(b"WLABAOT") || args.file.extension().is_some_and(|x| x == "cwasm");
    let (engine, module, wasm): (Box<dyn wasmlab_contract::Engine>, Box<dyn Module>, Vec<u8>) = if is_cwasm {
        let aot = wasmlab_wasmtime::AotEngine::new(&config).map_err(|e| e.to_string())?;
        let artifact =
            wasmlab_wasmtime::Artifact::decode(&bytes).map_err(|e| format!("{}: {e}", args.file.display()))?;
        let (module, outcome) = aot.load_decoded(&artifact).map_err(|e| format!("{}: {e}", args.file.display()))?;
        if let wasmlab_wasmtime::aot::LoadOutcome::Fallback(why) = &outcome {
            eprintln!("warning: artifact not usable here ({why}); recompiled from its embedded wasm");
        }
        (Box::new(aot), Box::new(module), artifact.wasm)
    } else {
        let wasm = if bytes.starts_with(b"\0asm") {
            bytes
        } else {
            wat::parse_bytes(&bytes).map_err(|e| format!("{}: {e}", args.file.display()))?.into_owned()
        };
        let engine = wasmlab_registry::create(&args.engine, &config).map_err(|e| e.to_string())?;
        let module = engine.compile(&wasm).map_err(|e| format!("{}: {e}", args.file.display()))?;
        (engine, module, wasm)
    };
    let iface = ModuleInterface::parse(&wasm).map_err(|e| e.to_string())?;
    let wasi = wasi_config(args)?;
    if args.invoke.is_none() && iface.export("_start").is_some() {
        return run_command(engine.as_ref(), module.as_ref(), &wasm, &iface, &wasi);
    }
    if !args.args.is_empty() {
        return Err("program arguments (after --) need a WASI command: the module exports no '_start'".into());
    }
    let host = Wasi::new(&wasi).map_err(|e| e.to_string())?;
    let mut imports = Imports::new();
    host.define(&mut imports);
    BenchRegion::new().define(&mut imports);
    let mut store = engine.new_store();
    let mut instance = store.instantiate(module.as_ref(), &imports).map_err(|e| e.to_string())?;
    let Some(invoke) = &args.invoke else {
        println!("instantiated on {}; exports:", engine.name());
        for e in &iface.exports {
            println!("  {} : {}", e.name, e.kind);
        }
        return Ok(ExitCode::SUCCESS);
    };
    let (name, raw) = invoke.split_first().ok_or("--invoke needs an export name")?;
    let ty = match iface.export(name).map(|e| &e.kind) {
        Some(ExternKind::Func(ty)) => ty.clone(),
        Some(other) => return Err(format!("export '{name}' is a {other}, not a function")),
        None => {
            let names: Vec<_> = iface.functions().map(|(n, _)| n).collect();
            return Err(format!("no exported function '{name}'; exported functions: {}", names.join(", ")));
        }
    };
    if raw.len() != ty.params.len() {
        return Err(format!("'{name}' takes {} argument(s) {ty}, given {}", ty.params.len(), raw.len()));
    }
    let vals = raw.iter().zip(&ty.params).map(|(s, t)| parse_arg(s, *t)).collect::<Result<Vec<_>, _>>()?;
    match instance.call(name, &vals) {
        Ok(results) => {
            for r in results {
                println!("{r}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(Error::Trap(Trap::HostError)) if host.exit_code().is_some() => {
            Ok(ExitCode::from(host.exit_code().unwrap_or(1) as u8))
        }
        Err(Error::Trap(t)) => {
            println!("trap: {t}");
            if let Some(why) = host.failure() {
                println!("  in WASI {why}");
            }
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Runs `_start` with the output passed through; the program's status is
/// the process's (a trap exits 134, as an abort would).
fn run_command(
    engine: &dyn Engine,
    module: &dyn Module,
    wasm: &[u8],
    iface: &ModuleInterface,
    wasi: &WasiConfig,
) -> CliResult {
    let outcome = wasmlab_wasi::run_command(engine, module, iface, wasi).map_err(|e| e.to_string())?;
    if let Ended::Trapped { trap, detail } = &outcome.ended {
        eprintln!("error: wasm trap: {trap}");
        if let Some(why) = detail {
            eprintln!("  in WASI {why}");
        }
        if let Some(frames) = &outcome.backtrace {
            eprintln!("wasm backtrace:");
            let names = function_names(wasm);
            for (i, f) in frames.iter().enumerate() {
                eprintln!("  {i:>3}: {}", name_frame(f, &names));
            }
        }
    }
    // Statuses beyond a byte are truncated the way the OS truncates them.
    Ok(ExitCode::from(outcome.ended.process_status() as u8))
}

/// The function names of the module's name section, else its export names
/// (none when it is malformed: names are a courtesy).
fn function_names(wasm: &[u8]) -> HashMap<u32, String> {
    let mut names = HashMap::new();
    let mut exports = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let Ok(wasmparser::Payload::ExportSection(reader)) = &payload {
            for e in reader.clone().into_iter().flatten() {
                if e.kind == wasmparser::ExternalKind::Func {
                    exports.push((e.index, e.name.to_string()));
                }
            }
            continue;
        }
        let Ok(wasmparser::Payload::CustomSection(c)) = payload else { continue };
        let wasmparser::KnownCustom::Name(reader) = c.as_known() else { continue };
        for name in reader.into_iter().flatten() {
            if let wasmparser::Name::Function(map) = name {
                for naming in map.into_iter().flatten() {
                    names.insert(naming.index, naming.name.to_string());
                }
            }
        }
    }
    for (index, name) in exports {
        names.entry(index).or_insert(name);
    }
    names
}

/// A frame line with `func[N]` replaced by the function's name, when the
/// engine gave only the index.
fn name_frame(frame: &str, names: &HashMap<u32, String>) -> String {
    let Some(start) = frame.find("func[") else { return frame.to_string() };
    let rest = &frame[start + 5..];
    let Some(end) = rest.find(']') else { return frame.to_string() };
    match rest[..end].parse::<u32>().ok().and_then(|i| names.get(&i)) {
        Some(name) => format!("{}{name}{}", &frame[..start], &rest[end + 1..]),
        None => frame.to_string(),
    }
}

/// Parses a command-line argument as a value of type `ty`.
pub fn parse_arg(s: &str, ty: ValType) -> Result<Val, String> {
    let bad = || format!("'{s}' is not a valid {ty}");
    let int = |s: &str| -> Option<i128> {
        let (neg, digits) = s.strip_prefix('-').map_or((false, s), |d| (true, d));
        let v = match digits.strip_prefix("0x") {
            Some(h) => i128::from_str_radix(h, 16).ok()?,
            None => digits.parse::<i128>().ok()?,
        };
        Some(if neg { -v } else { v })
    };
    Ok(match ty {
        ValType::I32 => {
            Val::I32(int(s).filter(|v| *v >= i32::MIN as i128 && *v <= u32::MAX as i128).ok_or_else(bad)? as i32)
        }
        ValType::I64 => {
            Val::I64(int(s).filter(|v| *v >= i64::MIN as i128 && *v <= u64::MAX as i128).ok_or_else(bad)? as i64)
        }
        ValType::F32 => Val::F32(match s.strip_prefix("0x") {
            Some(h) => u32::from_str_radix(h, 16).map_err(|_| bad())?,
            None => s.parse::<f32>().map_err(|_| bad())?.to_bits(),
        }),
        ValType::F64 => Val::F64(match s.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16).map_err(|_| bad())?,
            None => s.parse::<f64>().map_err(|_| bad())?.to_bits(),
        }),
        ValType::V128 => {
            Val::V128(s.strip_prefix("0x").and_then(|h| u128::from_str_radix(h, 16).ok()).ok_or_else(bad)?)
        }
        ValType::FuncRef if s == "null" => Val::FuncRef(None),
        ValType::ExternRef if s == "null" => Val::ExternRef(None),
        ValType::ExternRef => Val::ExternRef(Some(s.parse().map_err(|_| bad())?)),
        ValType::FuncRef => return Err(bad()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_named_from_the_name_section() {
        let wasm = wat::parse_str("(module (func $first) (func $second) (func (export \"main\")))").unwrap();
        let names = function_names(&wasm);
        assert_eq!(name_frame("func[1]", &names), "second");
        assert_eq!(name_frame("func[7] @ 0x10", &names), "func[7] @ 0x10");
        assert_eq!(name_frame("<other instance>!func[0]", &names), "<other instance>!first");
        assert_eq!(name_frame("boom @ 0xa0", &names), "boom @ 0xa0");
        assert_eq!(name_frame("func[2]", &names), "main", "an export names a function without a name");
        assert!(function_names(b"not wasm").is_empty());
    }

    #[test]
    fn parses_typed_arguments() {
        assert_eq!(parse_arg("-5", ValType::I32), Ok(Val::I32(-5)));
        assert_eq!(parse_arg("4294967295", ValType::I32), Ok(Val::I32(-1)));
        assert_eq!(parse_arg("0x10", ValType::I64), Ok(Val::I64(16)));
        assert_eq!(parse_arg("1.5", ValType::F32), Ok(Val::F32(1.5f32.to_bits())));
        assert_eq!(parse_arg("-inf", ValType::F64), Ok(Val::F64(f64::NEG_INFINITY.to_bits())));
        assert_eq!(parse_arg("0x7fc00001", ValType::F32), Ok(Val::F32(0x7fc0_0001)));
        assert!(parse_arg("4294967296", ValType::I32).is_err());
        assert!(parse_arg("abc", ValType::F64).unwrap_err().contains("not a valid f64"));
    }
}
