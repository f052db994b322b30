//! The campaign worker as a binary of its own (the `wasmlab` binary offers
//! the same as `wasmlab diff-worker`); the crate's integration tests spawn it.

use clap::Parser;

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    worker: wasmlab_diff::cli::WorkerArgs,
}

fn main() -> std::process::ExitCode {
    wasmlab_diff::cli::run_worker(&Args::parse().worker)
}
