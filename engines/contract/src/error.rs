//! The error type every engine returns.

use std::fmt;

use crate::Trap;

/// What went wrong. The categories matter: the wast runner and the oracles
/// treat a trap, an invalid module, an unsupported feature and an internal
/// failure very differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Execution trapped (also at instantiation: a trapping start function,
    /// or an out-of-bounds active segment).
    Trap(Trap),
    /// The module is malformed or fails validation.
    Invalid(String),
    /// The module is valid, but needs a proposal this engine (as
    /// configured) does not support. Not a failure of the engine.
    Unsupported(String),
    /// Imports could not be satisfied (missing, or of the wrong type).
    Link(String),
    /// The module is valid but asks for more than the engine grants (a
    /// memory or table beyond its cap, allocation failure). Engines may
    /// legitimately differ here: oracles treat it as inconclusive.
    ResourceLimit(String),
    /// The caller asked for something that is not there (an unknown
    /// export, an unknown engine, wrong argument types).
    Usage(String),
    /// A fault of the engine itself: an error it could not classify.
    Internal(String),
}

impl Error {
    pub fn trap(&self) -> Option<Trap> {
        match self {
            Error::Trap(t) => Some(*t),
            _ => None,
        }
    }

    pub fn invalid(offset: usize, message: impl fmt::Display) -> Error {
        Error::Invalid(format!("{message} (at offset 0x{offset:x})"))
    }

    /// The category as a word, for tables and JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Trap(_) => "trap",
            Error::Invalid(_) => "invalid",
            Error::Unsupported(_) => "unsupported",
            Error::Link(_) => "link",
            Error::ResourceLimit(_) => "limit",
            Error::Usage(_) => "usage",
            Error::Internal(_) => "internal",
        }
    }
}

impl From<Trap> for Error {
    fn from(t: Trap) -> Error {
        Error::Trap(t)
    }
}

impl From<wasmparser::BinaryReaderError> for Error {
    fn from(e: wasmparser::BinaryReaderError) -> Error {
        Error::invalid(e.offset(), e.message())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Trap(t) => write!(f, "trap: {t}"),
            Error::Invalid(m) => write!(f, "invalid module: {m}"),
            Error::Unsupported(m) => write!(f, "unsupported feature: {m}"),
            Error::Link(m) => write!(f, "link error: {m}"),
            Error::ResourceLimit(m) => write!(f, "resource limit: {m}"),
            Error::Usage(m) => write!(f, "{m}"),
            Error::Internal(m) => write!(f, "internal engine error: {m}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
