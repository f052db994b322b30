//! Turning compiled functions into executable code: a whole module in one
//! code region with its direct calls patched, or one function alone (tier
//! up), published W^X through `wasmlab_native`.

use std::sync::Arc;

use wasmlab_contract::Error;
use wasmlab_native::{CODE_CAP, CodeBuffer, ExecutableCode};
use wasmlab_regir::Func;
use wasmlab_runtime::ModuleInfo;

use crate::compile::{FuncCode, Options, compile_function};

/// Functions are placed at this alignment (a branch target's fetch block).
const ALIGN: usize = 16;

/// Where one function landed in a code region.
#[derive(Clone, Debug)]
pub struct Placed {
    /// Defined-function index.
    pub func: u32,
    pub offset: usize,
    pub len: usize,
    /// (offset within the function, IR pc) of each IR instruction.
    pub blocks: Vec<(u32, u32)>,
    /// (loop header pc, offset within the function) of each OSR entry.
    pub osr: Vec<(u32, u32)>,
    /// Offset within the function where its jump tables (data) start.
    pub data_start: u32,
}

/// Executable code for some functions of a module.
pub struct Compiled {
    pub code: Arc<ExecutableCode>,
    pub funcs: Vec<Placed>,
}

impl Compiled {
    /// The native entry of the `k`-th function compiled.
    pub fn entry(&self, k: usize) -> usize {
        self.code.base() as usize + self.funcs[k].offset
    }

    /// The OSR entry of the `k`-th function at loop header `pc`.
    pub fn osr_entry(&self, k: usize, pc: u32) -> Option<usize> {
        let f = &self.funcs[k];
        f.osr.iter().find(|(p, _)| *p == pc).map(|(_, off)| self.code.base() as usize + f.offset + *off as usize)
    }

    pub fn bytes(&self) -> usize {
        self.code.code().len()
    }
}

/// IR instructions below which a module is compiled on one thread.
const PARALLEL_FROM: usize = 20_000;

/// Compiles `which`, in order; on several threads for a large module
/// (functions compile independently; the results are placed in order).
fn compile_all(
    info: &ModuleInfo,
    funcs: &[Func],
    which: &[u32],
    opts: &Options,
) -> Result<Vec<(u32, FuncCode)>, Error> {
    wasmlab_runtime::par::map(
        which.len(),
        |k| funcs[which[k] as usize].code.len(),
        PARALLEL_FROM,
        |k| compile_function(info, which[k], &funcs[which[k] as usize], opts).map(|c| (which[k], c)),
        "regjit",
    )
}

/// Compiles the defined functions `which` of a module (all of them for a
/// whole-module compile with `opts.direct_calls`).
pub fn compile(info: &ModuleInfo, funcs: &[Func], which: &[u32], opts: &Options) -> Result<Compiled, Error> {
    let out = compile_all(info, funcs, which, opts)?;
    let mut size = 0usize;
    for (_, code) in &out {
        size = size.next_multiple_of(ALIGN) + code.bytes.len();
        if size > CODE_CAP {
            return Err(Error::ResourceLimit(format!("generated code exceeds {CODE_CAP} bytes")));
        }
    }
    let mut buf = CodeBuffer::new(size.max(1))?;
    let mut placed = Vec::with_capacity(out.len());
    let mut at_func = vec![usize::MAX; funcs.len()];
    for (f, code) in &out {
        while buf.len() % ALIGN != 0 {
            buf.push(&[0xcc])?; // int3 between functions
        }
        at_func[*f as usize] = buf.len();
        placed.push(Placed {
            func: *f,
            offset: buf.len(),
            len: code.bytes.len(),
            blocks: code.blocks.clone(),
            osr: code.osr.clone(),
            data_start: code.data_start,
        });
        buf.push(&code.bytes)?;
    }
    // Direct calls: `call rel32` to the callee's start.
    for ((_, code), p) in out.iter().zip(&placed) {
        for &(at, callee) in &code.calls {
            let target = at_func.get(callee as usize).copied().unwrap_or(usize::MAX);
            if target == usize::MAX {
                return Err(Error::Internal(format!("regjit: direct call to function {callee}, not compiled")));
            }
            let call = p.offset + at as usize;
            let bytes = buf.bytes_mut();
            if bytes[call] != 0xe8 {
                return Err(Error::Internal("regjit: a direct call is not a call rel32".into()));
            }
            let rel = target as i64 - (call as i64 + 5);
            bytes[call + 1..call + 5].copy_from_slice(&(rel as i32).to_le_bytes());
        }
    }
    Ok(Compiled { code: Arc::new(buf.publish()?), funcs: placed })
}
