//! Prints the register IR of a .wat/.wasm file: `cargo run -p wasmlab-regir --example print_ir FILE [FUNC]`.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let bytes = std::fs::read(&args[1]).expect("readable file");
    let wasm = wat::parse_bytes(&bytes).expect("wat or wasm").into_owned();
    let func = args.get(2).map(|f| f.parse().expect("function index"));
    match wasmlab_regir::print_module(&wasm, func) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
