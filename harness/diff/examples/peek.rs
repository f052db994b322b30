//! scratch: apply the KD workarounds to a finding and replay on wasmtime+wasmi.
use std::sync::Arc;
use wasmlab_contract::{Engine, EngineConfig};
use wasmlab_diff::{finding, known, oracle::Oracle};
fn main() {
    let dir = std::env::args().nth(1).unwrap();
    let r = finding::Repro::load(std::path::Path::new(&dir)).unwrap();
    let c = EngineConfig::default();
    let engines: Vec<Arc<dyn Engine>> = vec![Arc::from(wasmlab_registry::create("wasmtime", &c).unwrap()), Arc::from(wasmlab_registry::create("wasmi", &c).unwrap())];
    let o = Oracle::new(engines);
    for (name, w) in [("as is", Some(r.wasm.clone())), ("kd1", known::lower_block_params(&r.wasm)), ("kd2", known::spill_select_conditions(&r.wasm)), ("kd3", known::spill_store_values(&r.wasm))] {
        let w = w.unwrap();
        let rep = o.run(&w, &r.calls);
        println!("{name}: {:?} {:?}", rep.verdict(), rep.divergences.first().map(|d| d.to_string()));
    }
}
