//! Compiling one function: expansion, the sanity check, publication as
//! W^X code, and the checksum verified on the published bytes before
//! anyone runs them. Every failure is a [`Failure`] naming its reason, so
//! callers fall back to the interpreter and count why.

use std::time::Instant;

use wasmlab_contract::Error;
use wasmlab_native::{CodeBuffer, ExecutableCode};
use wasmlab_runtime::ModuleInfo;

use crate::expand::{self, Fault, Options, Refusal};
use crate::sanity;

/// A published function.
pub struct Compiled {
    pub code: ExecutableCode,
    /// Template starts (offset, template id), for listings.
    pub pieces: Vec<(u32, u16)>,
    pub data: Vec<(u32, u32)>,
    /// On-stack-replacement entries: (loop ordinal, offset).
    pub osr: Vec<(u32, u32)>,
    pub checksum: u64,
    pub wasm_bytes: usize,
    pub nanos: u64,
}

impl Compiled {
    pub fn entry(&self) -> usize {
        self.code.base() as usize
    }

    pub fn osr_entry(&self, ordinal: u32) -> Option<usize> {
        self.osr.iter().find(|o| o.0 == ordinal).map(|o| self.code.base() as usize + o.1 as usize)
    }

    pub fn len(&self) -> usize {
        self.code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }
}

/// Why a function was not compiled.
#[derive(Debug)]
pub enum Failure {
    NoTemplate(Error),
    Patch(Error),
    Sanity(String),
    TooLarge(Error),
    /// Anything else: the module's fault (it would not compile anywhere)
    /// or a resource of the machine.
    Other(Error),
}

impl Failure {
    pub fn into_error(self) -> Error {
        match self {
            Failure::NoTemplate(e) | Failure::Patch(e) | Failure::TooLarge(e) | Failure::Other(e) => e,
            Failure::Sanity(s) => Error::Internal(format!("tjit sanity check failed: {s}")),
        }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Failure {
        match r {
            Refusal::NoTemplate(_) => Failure::NoTemplate(r.into()),
            Refusal::Patch(_) => Failure::Patch(r.into()),
            Refusal::TooLarge(_) => Failure::TooLarge(r.into()),
        }
    }
}

/// Compiles defined function `index` of `info` (module bytes `wasm`).
pub fn function(info: &ModuleInfo, wasm: &[u8], index: usize, opts: &Options) -> Result<Compiled, Failure> {
    let t0 = Instant::now();
    let e = match expand::function(info, wasm, index, opts) {
        Ok(e) => e,
        Err(err) => return Err(classify(err)),
    };
    let mut sum = sanity::check(&e).map_err(Failure::Sanity)?;
    if opts.fault == Some(Fault::Checksum) {
        sum ^= 1;
    }
    let buf = CodeBuffer::from_bytes(&e.code).map_err(Failure::Other)?;
    let code = buf.publish().map_err(Failure::Other)?;
    // What will run is what was checked.
    let published = sanity::checksum(code.code());
    if published != sum {
        return Err(Failure::Sanity(format!("checksum of the published code {published:#x} is not {sum:#x}")));
    }
    Ok(Compiled {
        code,
        pieces: e.pieces,
        data: e.data,
        osr: e.osr,
        checksum: sum,
        wasm_bytes: e.wasm_bytes,
        nanos: t0.elapsed().as_nanos() as u64,
    })
}

/// Expansion errors: the compiler's refusals carry their reason in the
/// message prefix (see [`Refusal`]'s conversion).
fn classify(e: Error) -> Failure {
    match &e {
        Error::Unsupported(m) if m.starts_with("tjit has no template") => Failure::NoTemplate(e),
        Error::Internal(m) if m.starts_with("tjit patch failed") => Failure::Patch(e),
        Error::ResourceLimit(m) if m.contains("over tjit's limit") => Failure::TooLarge(e),
        _ => Failure::Other(e),
    }
}
