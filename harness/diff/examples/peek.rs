fn main() {
    let path = std::env::args().nth(1).unwrap();
    let wasm = wat::parse_file(&path).unwrap();
    let out = wasmlab_diff::known::materialize_local_gets(&wasm).unwrap();
    println!("{}", wasmprinter::print_bytes(&out).unwrap());
}
