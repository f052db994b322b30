use std::sync::Arc;
use wasmlab_contract::{Engine, EngineConfig};
use wasmlab_diff::{cases, finding, oracle::Oracle, rng::Rng, testing};
fn main() {
    let wasm = std::fs::read("/tmp/dd/f2/d5fcb6ebe5055a94/original.wasm").unwrap();
    let c = EngineConfig::default();
    let engines: Vec<Arc<dyn Engine>> = vec![Arc::from(wasmlab_registry::create("wasmtime", &c).unwrap()), testing::create(testing::FAULTY, &c).unwrap()];
    let o = Oracle::new(engines);
    let seed = wasmlab_diff::rng::derive_seed(7, 0, 1);
    let _ = seed;
    let plan_seed = wasmlab_diff::rng::derive_seed(7, 406, 1);
    let mut n = 0; let mut yes = 0; let mut invalid = 0;
    let t = std::time::Instant::now();
    let out = finding::shrink(&wasm, 1000, t + std::time::Duration::from_secs(60), |cand| {
        n += 1;
        if wasmparser::validate(cand).is_err() { invalid += 1; }
        let r = o.run(cand, &cases::plan(cand, &mut Rng::new(plan_seed)));
        let ok = r.divergences.iter().any(|d| d.kind == "global");
        yes += ok as u32;
        ok
    });
    println!("{} -> {} with {n} tries, {yes} interesting, {invalid} invalid, {:?}", wasm.len(), out.len(), t.elapsed());
}
