//! `interp` against `wasmi` on small programs (WAT files in `programs/`):
//! translation (decode + validate + compile) and execution side by side.
//! Ids: `compile/<program>/<engine>`, `execute/<program>/<engine>`.
//!
//! wasmi runs with eager compilation so that both engines translate every
//! function in the compile phase.

use criterion::{Criterion, criterion_group, criterion_main};
use wasmlab_contract::{Engine, EngineConfig, Val};
use wasmlab_interp::InterpEngine;

/// (name, file, argument of `run`, expected result).
const PROGRAMS: &[(&str, &str, i32, i64)] = &[
    ("fib", include_str!("programs/fib.wat"), 25, 75025),
    ("loop", include_str!("programs/loop.wat"), 1_000_000, 0),
    ("sieve", include_str!("programs/sieve.wat"), 1_000_000, 78498),
    ("mandel", include_str!("programs/mandel.wat"), 64, 0),
];

fn wasmi_engine() -> wasmi::Engine {
    let mut config = wasmi::Config::default();
    config.compilation_mode(wasmi::CompilationMode::Eager);
    wasmi::Engine::new(&config)
}

fn benches(c: &mut Criterion) {
    let interp = InterpEngine::new(&EngineConfig::default());
    let wasmi = wasmi_engine();
    for &(name, src, arg, expected) in PROGRAMS {
        let wasm = wat::parse_str(src).expect("benchmark program parses");

        let mut g = c.benchmark_group(format!("compile/{name}"));
        g.bench_function("interp", |b| b.iter(|| interp.compile(&wasm).unwrap()));
        g.bench_function("wasmi", |b| b.iter(|| wasmi::Module::new(&wasmi, &wasm).unwrap()));
        g.finish();

        let module = interp.compile(&wasm).unwrap();
        let mut inst = interp.new_store().instantiate(module.as_ref(), &Default::default()).unwrap();
        let wmodule = wasmi::Module::new(&wasmi, &wasm).unwrap();
        let mut store = wasmi::Store::new(&wasmi, ());
        let linker = wasmi::Linker::<()>::new(&wasmi);
        let winst = linker.instantiate_and_start(&mut store, &wmodule).unwrap();
        let run = winst.get_typed_func::<i32, i64>(&store, "run").unwrap();

        // Both engines must agree before their speed means anything.
        let ours = match inst.call("run", &[Val::I32(arg)]).unwrap()[..] {
            [Val::I64(v)] => v,
            ref other => panic!("{name}: unexpected result {other:?}"),
        };
        let theirs = run.call(&mut store, arg).unwrap();
        assert_eq!(ours, theirs, "{name}: interp and wasmi disagree");
        if expected != 0 {
            assert_eq!(ours, expected, "{name}: wrong result");
        }

        let mut g = c.benchmark_group(format!("execute/{name}"));
        g.sample_size(20);
        g.bench_function("interp", |b| b.iter(|| inst.call("run", &[Val::I32(arg)]).unwrap()));
        g.bench_function("wasmi", |b| b.iter(|| run.call(&mut store, arg).unwrap()));
        g.finish();
    }
}

criterion_group!(interp_vs_wasmi, benches);
criterion_main!(interp_vs_wasmi);
