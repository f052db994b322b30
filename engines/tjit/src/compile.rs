//! Compiling one function: expansion, the sanity check, publication as
//! W^X code, and the checksum verified on the published bytes before
//! anyone runs them. Every failure is a [`Failure`] naming its reason, so
//! callers fall back to the interpreter and count why.

use std::sync::Arc;
use std::time::Instant;

use wasmlab_contract::Error;
use wasmlab_native::{CodeBuffer, ExecutableCode};
use wasmlab_runtime::ModuleInfo;

use crate::expand::{self, Expanded, Fault, Options, Refusal};
use crate::sanity;

/// A published function: `len` bytes at `offset` of `code` (which may
/// hold a whole module's functions).
pub struct Compiled {
    pub code: Arc<ExecutableCode>,
    pub offset: usize,
    len: usize,
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
        self.code.base() as usize + self.offset
    }

    pub fn osr_entry(&self, ordinal: u32) -> Option<usize> {
        self.osr.iter().find(|o| o.0 == ordinal).map(|o| self.entry() + o.1 as usize)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The function's bytes as published.
    pub fn bytes(&self) -> &[u8] {
        &self.code.code()[self.offset..self.offset + self.len]
    }
}

/// A function expanded and checked, not yet published.
pub struct Prepared {
    e: Expanded,
    checksum: u64,
    nanos: u64,
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

/// Expands and checks defined function `index` of `info` (module bytes
/// `wasm`).
pub fn prepare(info: &ModuleInfo, wasm: &[u8], index: usize, opts: &Options) -> Result<Prepared, Failure> {
    let t0 = Instant::now();
    let e = match expand::function(info, wasm, index, opts) {
        Ok(e) => e,
        Err(err) => return Err(classify(err)),
    };
    let mut checksum = sanity::check(&e).map_err(Failure::Sanity)?;
    if opts.fault == Some(Fault::Checksum) {
        checksum ^= 1;
    }
    Ok(Prepared { e, checksum, nanos: t0.elapsed().as_nanos() as u64 })
}

/// Publishes `parts` in one executable mapping, functions 16-byte aligned,
/// the first `skew` bytes in (so that functions published one by one do
/// not all start at a page's first byte, where they would compete for
/// the same instruction-cache sets). Each function's checksum is verified
/// on the published bytes: what runs is what was checked.
pub fn publish(parts: Vec<Prepared>, skew: usize) -> Result<Vec<Compiled>, Failure> {
    let t0 = Instant::now();
    let align = |n: usize| n.div_ceil(16) * 16;
    let total = skew + parts.iter().map(|p| align(p.e.code.len())).sum::<usize>();
    let mut buf = CodeBuffer::new(total.max(1)).map_err(Failure::Other)?;
    buf.push(&vec![0xcc; skew]).map_err(Failure::Other)?;
    let mut offsets = Vec::with_capacity(parts.len());
    for p in &parts {
        offsets.push(buf.len());
        buf.push(&p.e.code).map_err(Failure::Other)?;
        let pad = align(buf.len()) - buf.len();
        buf.push(&[0xcc; 16][..pad]).map_err(Failure::Other)?;
    }
    let code = Arc::new(buf.publish().map_err(Failure::Other)?);
    let share = t0.elapsed().as_nanos() as u64 / parts.len().max(1) as u64;
    let mut out = Vec::with_capacity(parts.len());
    for (p, offset) in parts.into_iter().zip(offsets) {
        let len = p.e.code.len();
        let published = sanity::checksum(&code.code()[offset..offset + len]);
        if published != p.checksum {
            return Err(Failure::Sanity(format!(
                "checksum of the published code {published:#x} is not {:#x}",
                p.checksum
            )));
        }
        out.push(Compiled {
            code: code.clone(),
            offset,
            len,
            pieces: p.e.pieces,
            data: p.e.data,
            osr: p.e.osr,
            checksum: p.checksum,
            wasm_bytes: p.e.wasm_bytes,
            nanos: p.nanos + share,
        });
    }
    Ok(out)
}

/// Compiles and publishes one function, `skew` bytes into its mapping.
pub fn function(
    info: &ModuleInfo,
    wasm: &[u8],
    index: usize,
    opts: &Options,
    skew: usize,
) -> Result<Compiled, Failure> {
    let p = prepare(info, wasm, index, opts)?;
    Ok(publish(vec![p], skew)?.pop().expect("one function"))
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
