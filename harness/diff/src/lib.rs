//! Differential campaigns: the lab's bug finder.
//!
//! - [`cases`] and [`ops`] generate cases: wasm-smith modules under the
//!   differential configuration, and single-instruction modules on special
//!   operands; [`vals`] the arguments.
//! - [`oracle`] runs a case on several engines in lockstep and compares
//!   results, traps, globals and memories with the reference.
//! - [`campaign`] runs many cases in isolated [`worker`] processes, and
//!   [`finding`] saves, shrinks and reloads reproducers; [`known`] holds the
//!   narrow rules for divergences whose cause is in a peer.
//! - [`fuzz`] is the logic of the cargo-fuzz targets; [`testing`] the
//!   test-only engines that prove the oracle bites; [`cli`] the subcommands.

pub mod campaign;
pub mod cases;
pub mod cli;
pub mod engines;
pub mod finding;
pub mod fuzz;
pub mod known;
pub mod ops;
pub mod oracle;
pub mod program;
pub mod rng;
pub mod testing;
pub mod vals;
pub mod worker;
