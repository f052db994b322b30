//! `wasmlab ir`: print the register IR `interp` runs for a module.

use std::process::ExitCode;

use crate::CliResult;

#[derive(clap::Args)]
pub struct IrArgs {
    /// The module.
    pub file: std::path::PathBuf,
    /// Only this function (index in the function index space, imports first).
    #[arg(long)]
    pub func: Option<u32>,
}

pub fn run(args: &IrArgs) -> CliResult {
    let wasm = wat::parse_file(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    print!("{}", wasmlab_regir::print_module(&wasm, args.func).map_err(|e| e.to_string())?);
    Ok(ExitCode::SUCCESS)
}
