//! Selects the interpreter's dispatch: tail calls between handlers where
//! the compiler turns them into jumps (optimized builds on x86-64 and
//! aarch64), a trampoline loop otherwise (see `src/exec/mod.rs`).
fn main() {
    println!("cargo::rustc-check-cfg=cfg(interp_tail_calls)");
    println!("cargo::rerun-if-changed=build.rs");
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if matches!(opt.as_str(), "2" | "3" | "s" | "z") && matches!(arch.as_str(), "x86_64" | "aarch64") {
        println!("cargo::rustc-cfg=interp_tail_calls");
    }
}
