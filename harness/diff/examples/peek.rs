//! scratch: which engine survives deep recursion on a small native stack?
fn main() {
    let name = std::env::args().nth(1).unwrap();
    let depth: i32 = std::env::args().nth(2).unwrap().parse().unwrap();
    let wasm = wat::parse_str(r#"(module (func $f (export "f") (param i32) (result i32)
        local.get 0 i32.eqz if (result i32) i32.const 0 else local.get 0 i32.const 1 i32.sub call $f i32.const 1 i32.add end))"#).unwrap();
    let t = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        let e = wasmlab_diff::engines::create(&name, &Default::default()).unwrap();
        let mut i = e.instantiate_fresh(&wasm).unwrap();
        println!("{name}: {:?}", i.call("f", &[wasmlab_contract::Val::I32(depth)]));
    }).unwrap();
    t.join().unwrap();
}
