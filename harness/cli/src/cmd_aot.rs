//! `wasmlab aot`: precompile a module to a `.cwasm` artifact, and inspect
//! an artifact's compatibility key against this host.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use wasmlab_contract::EngineConfig;
use wasmlab_wasmtime::{AotEngine, Artifact};

use crate::CliResult;

#[derive(Subcommand)]
pub enum AotCommand {
    /// Precompile IN (.wasm or .wat) to a .cwasm artifact.
    Compile {
        input: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print an artifact's compatibility key and whether this host can load it.
    Inspect { artifact: PathBuf },
}

pub fn run(cmd: &AotCommand) -> CliResult {
    let engine = AotEngine::new(&EngineConfig::default()).map_err(|e| e.to_string())?;
    match cmd {
        AotCommand::Compile { input, output } => {
            let bytes = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
            let wasm = wat::parse_bytes(&bytes).map_err(|e| format!("{}: {e}", input.display()))?;
            let artifact = engine.precompile(&wasm).map_err(|e| format!("{}: {e}", input.display()))?;
            std::fs::write(output, &artifact).map_err(|e| format!("{}: {e}", output.display()))?;
            println!("wrote {} ({} bytes; module {} bytes)", output.display(), artifact.len(), wasm.len());
            print!("{}", engine.key());
            Ok(ExitCode::SUCCESS)
        }
        AotCommand::Inspect { artifact } => {
            let bytes = std::fs::read(artifact).map_err(|e| format!("{}: {e}", artifact.display()))?;
            let art = Artifact::decode(&bytes).map_err(|e| format!("{}: {e}", artifact.display()))?;
            println!("artifact: {} ({} bytes)", artifact.display(), bytes.len());
            println!("embedded module: {} bytes", art.wasm.len());
            match &art.code {
                Some(code) => println!("code: {} bytes, checksum ok", code.len()),
                None => println!("code: DAMAGED (checksum mismatch or truncated)"),
            }
            println!("compatibility key:");
            for line in art.key.to_text().lines() {
                println!("  {line}");
            }
            let mut why = art.key.mismatches(engine.key());
            if art.code.is_none() {
                why.push("code section damaged".into());
            }
            if why.is_empty() {
                println!("this host: CAN load it");
                Ok(ExitCode::SUCCESS)
            } else {
                println!("this host: CANNOT load it (would recompile from the embedded module):");
                for w in why {
                    println!("  - {w}");
                }
                Ok(ExitCode::from(1))
            }
        }
    }
}
