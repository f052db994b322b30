//! Every engine of the lab, selectable by name. The harness only ever
//! creates engines through here, so a new engine shows up everywhere (wast
//! runner, campaigns, benchmarks) by adding one line to [`ENGINES`].

use wasmlab_contract::{Engine, EngineConfig, Error, Result};

/// One entry: name, what it is, and how to build it.
pub struct EngineInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub create: fn(&EngineConfig) -> Result<Box<dyn Engine>>,
}

/// The engines, reference first.
pub static ENGINES: &[EngineInfo] = &[
    EngineInfo {
        name: "wasmtime",
        description: "wasmtime with Cranelift (JIT): the reference oracle",
        create: |c| Ok(Box::new(wasmlab_wasmtime::WasmtimeEngine::new(wasmlab_wasmtime::Compiler::Cranelift, c)?)),
    },
    EngineInfo {
        name: "wasmtime-aot",
        description: "wasmtime precompiled .cwasm artifacts, cached under a compatibility key",
        create: |c| Ok(Box::new(wasmlab_wasmtime::AotEngine::new(c)?)),
    },
    EngineInfo {
        name: "winch",
        description: "wasmtime with Winch, its baseline compiler",
        create: |c| Ok(Box::new(wasmlab_wasmtime::WasmtimeEngine::new(wasmlab_wasmtime::Compiler::Winch, c)?)),
    },
    EngineInfo {
        name: "wasmi",
        description: "wasmi, register-based Rust interpreter: peer and second oracle",
        create: |c| Ok(Box::new(wasmlab_wasmi::WasmiEngine::new(c))),
    },
    EngineInfo {
        name: "interp",
        description: "in-house register-IR interpreter",
        create: |c| Ok(Box::new(wasmlab_interp::InterpEngine::new(c))),
    },
    EngineInfo {
        name: "regjit",
        description: "in-house register-IR JIT to x86-64 (every function compiled up front)",
        create: |c| Ok(Box::new(wasmlab_regjit::RegjitEngine::new(c))),
    },
    EngineInfo {
        name: "regjit-tiered",
        description: "interp first, hot functions compiled by regjit, loops entered by on-stack replacement",
        create: |c| Ok(Box::new(wasmlab_regjit::TieredEngine::new(c))),
    },
    EngineInfo {
        name: "tjit",
        description: "in-house template JIT, copy and patch from wasm operators (every function compiled up front)",
        create: |c| Ok(Box::new(wasmlab_tjit::TjitEngine::new(c))),
    },
    EngineInfo {
        name: "tjit-tiered",
        description: "interp first, hot functions compiled by tjit in the background into an LRU code cache",
        create: |c| Ok(Box::new(wasmlab_tjit::TieredEngine::new(c))),
    },
];

/// The reference engine every differential run includes.
pub const REFERENCE: &str = "wasmtime";

pub fn names() -> Vec<&'static str> {
    ENGINES.iter().map(|e| e.name).collect()
}

pub fn info(name: &str) -> Option<&'static EngineInfo> {
    ENGINES.iter().find(|e| e.name == name)
}

/// Creates the engine called `name`; an unknown name is an error that
/// lists the known ones.
pub fn create(name: &str, config: &EngineConfig) -> Result<Box<dyn Engine>> {
    let info = info(name)
        .ok_or_else(|| Error::Usage(format!("unknown engine '{name}'; known engines: {}", names().join(", "))))?;
    (info.create)(config)
}

/// Parses a comma-separated engine list (`"wasmtime,wasmi"`), checking
/// every name; `"all"` means every engine.
pub fn parse_list(list: &str) -> Result<Vec<&'static str>> {
    if list.trim() == "all" {
        return Ok(names());
    }
    let mut out = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let info = info(name)
            .ok_or_else(|| Error::Usage(format!("unknown engine '{name}'; known engines: {}", names().join(", "))))?;
        if !out.contains(&info.name) {
            out.push(info.name);
        }
    }
    if out.is_empty() {
        return Err(Error::Usage("no engine named".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_engine_lists_the_known_ones() {
        let err = create("v8", &EngineConfig::default()).err().unwrap().to_string();
        assert!(err.contains("unknown engine 'v8'"), "{err}");
        for name in names() {
            assert!(err.contains(name), "{err} lacks {name}");
        }
        assert!(parse_list("wasmtime,nope").is_err());
    }

    #[test]
    fn every_engine_builds_and_reports_its_name() {
        let dir = std::env::temp_dir().join(format!("wasmlab-registry-test-{}", std::process::id()));
        let config = EngineConfig { cache_dir: Some(dir.clone()), ..EngineConfig::default() };
        for name in names() {
            let engine = create(name, &config).unwrap();
            assert_eq!(engine.name(), name);
            assert!(!engine.version().is_empty());
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn lists_parse_dedupe_and_expand_all() {
        assert_eq!(parse_list("wasmi, wasmtime,wasmi").unwrap(), vec!["wasmi", "wasmtime"]);
        assert_eq!(parse_list("all").unwrap(), names());
        assert_eq!(names()[0], REFERENCE);
    }
}
