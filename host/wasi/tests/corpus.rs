//! Every program of `corpora/programs` on every engine: the output its
//! `expected.stdout` records, exit status 0, a timed Sightglass region.

use std::path::PathBuf;

use wasmlab_contract::{EngineConfig, ModuleInterface};
use wasmlab_wasi::{Ended, Preopen, WasiConfig, run_command};

#[test]
fn every_corpus_program_prints_its_expected_output_on_every_engine() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpora/programs");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("benchmark.wasm").is_file())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "the corpus has {} programs", dirs.len());
    let cache = tempfile::tempdir().unwrap();
    let config = EngineConfig { cache_dir: Some(cache.path().to_path_buf()), ..EngineConfig::default() };
    let engines: Vec<_> =
        wasmlab_registry::names().iter().map(|n| (*n, wasmlab_registry::create(n, &config).unwrap())).collect();
    for dir in &dirs {
        let wasm = std::fs::read(dir.join("benchmark.wasm")).unwrap();
        let expected = std::fs::read(dir.join("expected.stdout")).unwrap();
        let iface = ModuleInterface::parse(&wasm).unwrap();
        let wasi = WasiConfig {
            args: vec!["benchmark.wasm".into()],
            preopens: vec![Preopen { host: dir.clone(), guest: ".".into() }],
            deterministic: true,
            ..WasiConfig::default()
        };
        for (name, engine) in &engines {
            let what = format!("{} on {name}", dir.display());
            let module = engine.compile(&wasm).unwrap_or_else(|e| panic!("{what}: {e}"));
            let o =
                run_command(engine.as_ref(), module.as_ref(), &iface, &wasi).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(o.ended, Ended::Exited(0), "{what}: {}", String::from_utf8_lossy(&o.stderr));
            assert!(o.stdout == expected, "{what}: printed {:?}", String::from_utf8_lossy(&o.stdout));
            assert!(o.region.is_some_and(|r| r <= o.run), "{what}: no bench.start..bench.end region");
        }
    }
}
