//! `wasmlab asm`: the machine code an in-house JIT generates for a module,
//! disassembled, with the IR instruction each block came from (`regjit`)
//! or the template each piece was copied from (`tjit`).

use std::process::ExitCode;

use crate::CliResult;

/// The JITs that can show their code.
const JITS: &[&str] = &["regjit", "tjit"];

#[derive(clap::Args)]
pub struct AsmArgs {
    /// The module (.wasm or .wat).
    pub file: std::path::PathBuf,
    /// The JIT.
    #[arg(long, default_value = "regjit")]
    pub engine: String,
    /// Only this function (index in the function index space, imports first).
    #[arg(long)]
    pub func: Option<u32>,
}

pub fn run(args: &AsmArgs) -> CliResult {
    if !JITS.contains(&args.engine.as_str()) {
        return Err(format!("engine '{}' has no disassembly; JITs: {}", args.engine, JITS.join(", ")));
    }
    let wasm = wat::parse_file(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let text = match args.engine.as_str() {
        "tjit" => wasmlab_tjit::asm(&wasm, args.func),
        _ => wasmlab_regjit::engine::asm(&wasm, args.func),
    };
    print!("{}", text.map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}
