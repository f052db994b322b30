//! criterion benchmarks of every registered engine on the benchmark corpus,
//! in three groups with ids `phase/program/engine`:
//!
//! - `compile/*`: decode + validate + compile (wasmtime-aot: artifact cache
//!   hit and deserialize; its cache is filled before timing);
//! - `instantiate/*`: a new store and an instance of a compiled module;
//! - `execute/*`: `run(quick_arg)` on a warm instance (checksum verified
//!   before timing).
//!
//! `cargo bench -p wasmlab-bench -- execute/fib` runs a subset.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use wasmlab_bench::corpus::{self, Corpus};
use wasmlab_contract::{Engine, EngineConfig, Imports, Val};

struct Setup {
    corpus: Corpus,
    engines: Vec<Box<dyn Engine>>,
    /// Keeps wasmtime-aot's artifact cache alive for the whole run.
    _cache: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = corpus::locate(None).expect("corpora/bench");
    let corpus = Corpus::load(&dir, &[]).expect("the corpus loads");
    let cache = tempfile::tempdir().expect("a temporary directory");
    let config = EngineConfig { cache_dir: Some(cache.path().to_path_buf()), ..EngineConfig::default() };
    let engines = wasmlab_registry::names()
        .into_iter()
        .filter_map(|name| match wasmlab_registry::create(name, &config) {
            Ok(e) => Some(e),
            Err(e) => {
                eprintln!("skipping {name}: {e}");
                None
            }
        })
        .collect();
    Setup { corpus, engines, _cache: cache }
}

fn benches(c: &mut Criterion) {
    // criterion draws its plots with plotters, which here has only the
    // bundled font.
    wasmlab_bench::register_font();
    let s = setup();

    let mut group = c.benchmark_group("compile");
    // The large module takes up to a second per compile: one iteration per
    // sample.
    group.sampling_mode(SamplingMode::Flat);
    for (program, wasm) in &s.corpus.programs {
        for engine in &s.engines {
            // Warms caches (and skips what an engine cannot compile).
            if let Err(e) = engine.compile(wasm) {
                eprintln!("skipping compile/{}/{}: {e}", program.name, engine.name());
                continue;
            }
            group.bench_function(BenchmarkId::new(&program.name, engine.name()), |b| {
                b.iter(|| engine.compile(black_box(wasm)).expect("compiled before"))
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("instantiate");
    for (program, wasm) in &s.corpus.programs {
        for engine in &s.engines {
            let Ok(module) = engine.compile(wasm) else {
                continue;
            };
            group.bench_function(BenchmarkId::new(&program.name, engine.name()), |b| {
                b.iter(|| {
                    let mut store = engine.new_store();
                    let instance = store.instantiate(module.as_ref(), &Imports::default()).expect("instantiates");
                    // Dropped with the store, inside the timing, as a real
                    // short-lived instance would be.
                    black_box(instance);
                })
            });
        }
    }
    group.finish();

    let mut group = c.benchmark_group("execute");
    for (program, wasm) in &s.corpus.programs {
        let (arg, expected) = program.workload(true);
        for engine in &s.engines {
            let Ok(mut instance) = engine.instantiate_fresh(wasm) else {
                continue;
            };
            // A wrong engine must not look fast: verify before timing.
            let out = instance.call(corpus::ENTRY, &[Val::I32(arg)]);
            if out.as_deref() != Ok(&[Val::I64(expected.unwrap_or_default())][..]) {
                eprintln!(
                    "skipping execute/{}/{}: run({arg}) gave {out:?}, expected {expected:?}",
                    program.name,
                    engine.name()
                );
                continue;
            }
            group.bench_function(BenchmarkId::new(&program.name, engine.name()), |b| {
                b.iter(|| instance.call(corpus::ENTRY, &[Val::I32(black_box(arg))]).expect("ran before"))
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = engines;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = benches
}
criterion_main!(engines);
