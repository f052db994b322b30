//! Helpers shared by the tjit integration tests: instances, runs of a
//! list of calls compared with the interpreter's, counters.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmlab_contract::{Engine, EngineConfig, Instance, Val};

/// One call: export name and arguments.
pub type Call = (&'static str, Vec<Val>);

pub fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).unwrap()
}

pub fn inst(e: &dyn Engine, wat: &str) -> Box<dyn Instance> {
    e.instantiate_fresh(&wasm(wat)).unwrap_or_else(|err| panic!("{}: {err}", e.name()))
}

pub fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// A counter of `Engine::counters` by name (panics when it is missing:
/// a renamed counter must not make a test pass vacuously).
pub fn counter(e: &dyn Engine, name: &str) -> u64 {
    let all = e.counters();
    all.iter().find(|(k, _)| *k == name).map(|(_, v)| *v).unwrap_or_else(|| panic!("no counter {name}: {all:?}"))
}

/// What a call gave, as text: values (floats as bits) or the error.
pub fn outcome(i: &mut dyn Instance, f: &str, args: &[Val]) -> String {
    format!("{:?}", i.call(f, args))
}

/// Runs every call `rounds` times in order (with tier-up thresholds of a
/// few calls, the first rounds run interpreted and later ones compiled),
/// then reads the exported memory `mem` if any: everything observable.
pub fn run(i: &mut dyn Instance, calls: &[Call], rounds: usize) -> Vec<String> {
    let mut out = Vec::new();
    for r in 0..rounds {
        for (f, args) in calls {
            out.push(format!("round {r} {f}{args:?} = {}", outcome(i, f, args)));
        }
    }
    if let Some(m) = i.memory("mem") {
        out.push(format!("memory: {} bytes, sum {}", m.len(), m.iter().map(|&b| b as u64).sum::<u64>()));
    }
    out
}

/// The same runs on the interpreter: the reference.
pub fn reference(wat: &str, calls: &[Call], rounds: usize) -> Vec<String> {
    let e = wasmlab_interp::InterpEngine::new(&EngineConfig::default());
    run(inst(&e, wat).as_mut(), calls, rounds)
}

/// Asserts `got` equals `want` line by line (the first difference named).
pub fn assert_same(engine: &str, got: &[String], want: &[String]) {
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g, w, "{engine} disagrees with the interpreter");
    }
    assert_eq!(got.len(), want.len(), "{engine}");
}

/// Polls `done` every millisecond for up to 10 s; whether it became true.
pub fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(10) {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    done()
}

pub fn i32s(v: &[i32]) -> Vec<Val> {
    v.iter().map(|&x| Val::I32(x)).collect()
}
