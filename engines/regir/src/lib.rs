//! Register IR for the in-house engines: translation of validated wasm
//! function bodies into a compact register-based instruction set
//! ([`instr`]), and its printed form ([`print_module`]).
//!
//! The op table is in `IR.md` next to this crate's manifest.

pub mod instr;
mod print;
mod translate;

use wasmlab_contract::{Error, Features};
use wasmlab_runtime::ModuleInfo;

pub use instr::{Cmp, CmpForm, Instr, R};
pub use print::{print_func, print_instr};
pub use translate::{Func, LoopCounter, LoopHead, translate_function};

/// Translates every defined function of a validated module (a large one on
/// several threads: functions translate independently).
pub fn translate_module(info: &ModuleInfo, wasm: &[u8]) -> Result<Vec<Func>, Error> {
    let n = info.num_defined_funcs();
    wasmlab_runtime::par::map(
        n,
        |i| info.bodies[i].len(),
        wasmlab_runtime::par::PARALLEL_FROM,
        |i| translate_function(info, wasm, i),
        "regir",
    )
}

/// Validates `wasm` (Wasm 2.0 without SIMD) and prints the register IR of
/// every defined function, or only of function `func` (in the function
/// index space, imports first).
pub fn print_module(wasm: &[u8], func: Option<u32>) -> Result<String, Error> {
    let info = ModuleInfo::new(wasm, Features::WASM2_NO_SIMD)?;
    let imported = info.num_imported_funcs;
    let mut out = String::new();
    let range = info.defined_funcs(func)?;
    for k in range {
        let code = translate_function(&info, wasm, k as usize)?;
        out.push_str(&print_func(k + imported, &code));
    }
    Ok(out)
}
