//! Runs one benchmark program on one engine a number of times (for perf).
//! `cargo run --release -p wasmlab-interp --example runbench -- PROGRAM ENGINE ARG REPS`
//! (ENGINE: interp, wasmi, interp-compile, wasmi-compile)
use wasmlab_contract::{Engine, EngineConfig, Val};

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let src = std::fs::read_to_string(format!("{}/benches/programs/{}.wat", env!("CARGO_MANIFEST_DIR"), a[1])).unwrap();
    let wasm = wat::parse_str(&src).unwrap();
    let arg: i32 = a[3].parse().unwrap();
    let reps: u32 = a[4].parse().unwrap();
    let t = std::time::Instant::now();
    let mut out = 0i64;
    if a[2] == "interp-compile" {
        let e = wasmlab_interp::InterpEngine::new(&EngineConfig::default());
        for _ in 0..reps {
            std::hint::black_box(e.compile(&wasm).unwrap());
        }
    } else if a[2] == "wasmi-compile" {
        let mut config = wasmi::Config::default();
        config.compilation_mode(wasmi::CompilationMode::Eager);
        let engine = wasmi::Engine::new(&config);
        for _ in 0..reps {
            std::hint::black_box(wasmi::Module::new(&engine, &wasm).unwrap());
        }
    } else if a[2] == "interp" {
        let e = wasmlab_interp::InterpEngine::new(&EngineConfig::default());
        let m = e.compile(&wasm).unwrap();
        let mut i = e.new_store().instantiate(m.as_ref(), &Default::default()).unwrap();
        for _ in 0..reps {
            if let [Val::I64(v)] = i.call("run", &[Val::I32(arg)]).unwrap()[..] {
                out = v;
            }
        }
    } else {
        let mut config = wasmi::Config::default();
        config.compilation_mode(wasmi::CompilationMode::Eager);
        let engine = wasmi::Engine::new(&config);
        let m = wasmi::Module::new(&engine, &wasm).unwrap();
        let mut store = wasmi::Store::new(&engine, ());
        let inst = wasmi::Linker::<()>::new(&engine).instantiate_and_start(&mut store, &m).unwrap();
        let f = inst.get_typed_func::<i32, i64>(&store, "run").unwrap();
        for _ in 0..reps {
            out = f.call(&mut store, arg).unwrap();
        }
    }
    println!("{} {} -> {} in {:?}", a[1], a[2], out, t.elapsed() / reps);
}
