//! The native-code runtime that the lab's JITs (`regjit`, `tjit`) share,
//! knowing nothing of either: where generated machine code lives and how
//! it becomes executable.
//!
//! Today it holds executable memory ([`code`]): code is written into
//! read-write pages and then switched to read-execute, so no page is ever
//! writable and executable at once (W^X). Entry into generated code, calls
//! out to the runtime and trap return will live here too, with their
//! calling convention written down in this crate's docs.

pub mod code;
pub mod maps;

pub use code::{CODE_CAP, CodeBuffer, ExecutableCode};
