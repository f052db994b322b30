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
pub use print::print_func;
pub use translate::{Func, translate_function};

/// Translates every defined function of a validated module.
pub fn translate_module(info: &ModuleInfo, wasm: &[u8]) -> Result<Vec<Func>, Error> {
    (0..info.num_defined_funcs()).map(|i| translate_function(info, wasm, i)).collect()
}

/// Validates `wasm` (Wasm 2.0 without SIMD) and prints the register IR of
/// every defined function, or only of function `func` (in the function
/// index space, imports first).
pub fn print_module(wasm: &[u8], func: Option<u32>) -> Result<String, Error> {
    let info = ModuleInfo::new(wasm, Features::WASM2_NO_SIMD)?;
    let imported = info.num_imported_funcs;
    let mut out = String::new();
    let range = match func {
        Some(f) if f < imported => {
            return Err(Error::Usage(format!("function {f} is imported: it has no body")));
        }
        Some(f) if f as usize >= info.funcs.len() => {
            return Err(Error::Usage(format!("no function {f}: the module has {}", info.funcs.len())));
        }
        Some(f) => f..f + 1,
        None => imported..info.funcs.len() as u32,
    };
    for f in range {
        let code = translate_function(&info, wasm, (f - imported) as usize)?;
        out.push_str(&print_func(f, &code));
    }
    Ok(out)
}
