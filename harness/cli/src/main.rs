//! `wasmlab`: the lab's command line. With no arguments it runs the lab's
//! main job on built-in defaults (see `lab.rs`); subcommands run one part.

mod cmd_aot;
mod cmd_asm;
mod cmd_ir;
mod cmd_run;
mod cmd_wast;
mod lab;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "wasmlab", version, about = "Differential testing and benchmarking lab for WebAssembly engines")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// List the engines: names, versions, supported proposals.
    Engines,
    /// Run a module (.wasm, .wat or .cwasm) on one engine.
    Run(cmd_run::RunArgs),
    /// Run .wast spec scripts on one or more engines.
    Wast(cmd_wast::WastArgs),
    /// Precompile modules to .cwasm artifacts and inspect them.
    #[command(subcommand)]
    Aot(cmd_aot::AotCommand),
    /// The lab's main job (what running with no arguments does).
    Lab(lab::LabArgs),
    /// Benchmark engines on the corpus (corpora/bench); writes a results file.
    Bench(wasmlab_bench::BenchArgs),
    /// Charts and an offline dashboard (index.html) from results files.
    Report(wasmlab_bench::ReportArgs),
    /// Compare results with a baseline; exit 1 on regression.
    Gate(wasmlab_bench::GateArgs),
    /// One engine on one program in a process of its own (peak memory).
    #[command(name = "bench-child", hide = true)]
    BenchChild(wasmlab_bench::ChildArgs),
    /// Print the register IR `interp` runs for a module (.wasm or .wat).
    Ir(cmd_ir::IrArgs),
    /// Disassemble the machine code a JIT generates for a module.
    Asm(cmd_asm::AsmArgs),
    /// Differential campaign: generated modules on several engines, compared with wasmtime.
    Diff(wasmlab_diff::cli::DiffArgs),
    /// Replay a differential finding (directory, .wasm, or fuzzer artifact).
    Repro(wasmlab_diff::cli::ReproArgs),
    /// A campaign's engine worker process (speaks JSON lines on stdin/stdout).
    #[command(name = "diff-worker", hide = true)]
    DiffWorker(wasmlab_diff::cli::WorkerArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => lab::run(&lab::LabArgs::default()),
        Some(Command::Lab(args)) => lab::run(&args),
        Some(Command::Engines) => engines(),
        Some(Command::Run(args)) => cmd_run::run(&args),
        Some(Command::Wast(args)) => cmd_wast::run(&args),
        Some(Command::Aot(cmd)) => cmd_aot::run(&cmd),
        Some(Command::Bench(args)) => wasmlab_bench::run_bench(&args).map_err(|e| e.to_string()),
        Some(Command::Report(args)) => wasmlab_bench::run_report(&args).map_err(|e| e.to_string()),
        Some(Command::Gate(args)) => wasmlab_bench::run_gate(&args).map_err(|e| e.to_string()),
        Some(Command::BenchChild(args)) => wasmlab_bench::run_child(&args).map_err(|e| e.to_string()),
        Some(Command::Ir(args)) => cmd_ir::run(&args),
        Some(Command::Asm(args)) => cmd_asm::run(&args),
        Some(Command::Diff(args)) => wasmlab_diff::cli::run_diff(&args).map_err(|e| e.to_string()),
        Some(Command::Repro(args)) => wasmlab_diff::cli::run_repro(&args).map_err(|e| e.to_string()),
        Some(Command::DiffWorker(args)) => Ok(wasmlab_diff::cli::run_worker(&args)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Errors the commands report: a message for the user, never a panic.
pub type CliResult = Result<ExitCode, String>;

fn engines() -> CliResult {
    let config = wasmlab_contract::EngineConfig::default();
    for info in wasmlab_registry::ENGINES {
        match (info.create)(&config) {
            Ok(e) => println!(
                "{:<14} {:<8} {}\n{:<14} proposals: {}",
                info.name,
                e.version(),
                info.description,
                "",
                e.features()
            ),
            Err(err) => println!("{:<14} unavailable: {err}", info.name),
        }
    }
    Ok(ExitCode::SUCCESS)
}
