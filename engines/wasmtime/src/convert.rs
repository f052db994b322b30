//! Conversions between the contract's values, types and traps and wasmtime's.

use wasmlab_contract::{Error, FuncType, Trap, Val, ValType};
use wasmtime::{AsContextMut, ExternRef, Func, Rooted};

/// A host function's trap, carried through wasmtime's error type so it can
/// be recovered unchanged on the way out.
#[derive(Debug)]
pub(crate) struct HostTrap(pub Trap);

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host function trapped: {}", self.0)
    }
}

impl std::error::Error for HostTrap {}

pub(crate) fn trap_of(e: &wasmtime::Error) -> Option<Trap> {
    use wasmtime::Trap as W;
    if let Some(h) = e.downcast_ref::<HostTrap>() {
        return Some(h.0);
    }
    Some(match e.downcast_ref::<W>()? {
        W::StackOverflow => Trap::StackOverflow,
        W::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        W::TableOutOfBounds => Trap::TableOutOfBounds,
        W::IndirectCallToNull => Trap::IndirectCallToNull,
        W::BadSignature => Trap::BadSignature,
        W::IntegerOverflow => Trap::IntegerOverflow,
        W::IntegerDivisionByZero => Trap::IntegerDivisionByZero,
        W::BadConversionToInteger => Trap::BadConversionToInteger,
        W::UnreachableCodeReached => Trap::Unreachable,
        W::OutOfFuel => Trap::OutOfFuel,
        W::NullReference => Trap::NullReference,
        W::AllocationTooLarge => Trap::AllocationTooLarge,
        W::ArrayOutOfBounds => Trap::ArrayOutOfBounds,
        // Everything else (`HeapMisaligned` of the threads proposal, the
        // GC and exception traps beyond Wasm 2.0, ...) has no trap of ours:
        // an internal error, never a look-alike trap.
        _ => return None,
    })
}

/// Classifies an error from a call: a trap we know, or an internal error.
pub(crate) fn call_error(e: wasmtime::Error) -> Error {
    match trap_of(&e) {
        Some(t) => Error::Trap(t),
        None => Error::Internal(format!("{e:#}")),
    }
}

/// A trap's frames as lines: `name` (from the name section) or `func[i]`,
/// with the module name when it has one.
pub(crate) fn frames(bt: &wasmtime::WasmBacktrace) -> Vec<String> {
    bt.frames()
        .iter()
        .map(|f| {
            let func = f.func_name().map_or_else(|| format!("func[{}]", f.func_index()), str::to_string);
            match (f.module().name(), f.module_offset()) {
                (Some(m), Some(o)) => format!("{m}!{func} @ 0x{o:x}"),
                (Some(m), None) => format!("{m}!{func}"),
                (None, Some(o)) => format!("{func} @ 0x{o:x}"),
                (None, None) => func,
            }
        })
        .collect()
}

pub(crate) fn val_type(ty: &wasmtime::ValType) -> Option<ValType> {
    use wasmtime::ValType as W;
    Some(match ty {
        W::I32 => ValType::I32,
        W::I64 => ValType::I64,
        W::F32 => ValType::F32,
        W::F64 => ValType::F64,
        W::V128 => ValType::V128,
        W::Ref(r) if r.heap_type().is_extern() => ValType::ExternRef,
        W::Ref(r) if r.heap_type().is_func() => ValType::FuncRef,
        W::Ref(_) => return None,
    })
}

pub(crate) fn to_wasmtime_type(ty: ValType) -> wasmtime::ValType {
    match ty {
        ValType::I32 => wasmtime::ValType::I32,
        ValType::I64 => wasmtime::ValType::I64,
        ValType::F32 => wasmtime::ValType::F32,
        ValType::F64 => wasmtime::ValType::F64,
        ValType::V128 => wasmtime::ValType::V128,
        ValType::FuncRef => wasmtime::ValType::FUNCREF,
        ValType::ExternRef => wasmtime::ValType::EXTERNREF,
    }
}

pub(crate) fn func_type(ty: &wasmtime::FuncType) -> Option<FuncType> {
    Some(FuncType {
        params: ty.params().map(|t| val_type(&t)).collect::<Option<_>>()?,
        results: ty.results().map(|t| val_type(&t)).collect::<Option<_>>()?,
    })
}

/// Per-store state: non-null function references handed out to the
/// harness, so a handle can come back as an argument. A function gets one
/// handle however often it is handed out (`handles`, keyed by wasmtime's
/// raw function pointer, which identifies a function within a store).
#[derive(Default)]
pub(crate) struct StoreData {
    pub funcs: Vec<Func>,
    handles: std::collections::HashMap<usize, u32>,
}

/// The handle of `f` in this store, made on first sight.
pub(crate) fn func_handle(mut store: impl AsContextMut<Data = StoreData>, f: &Func) -> u32 {
    let mut ctx = store.as_context_mut();
    let raw = f.to_raw(&mut ctx) as usize;
    let data = ctx.data_mut();
    *data.handles.entry(raw).or_insert_with(|| {
        data.funcs.push(*f);
        (data.funcs.len() - 1) as u32
    })
}

pub(crate) fn from_wasmtime(mut store: impl AsContextMut<Data = StoreData>, v: &wasmtime::Val) -> Result<Val, Error> {
    Ok(match v {
        wasmtime::Val::I32(x) => Val::I32(*x),
        wasmtime::Val::I64(x) => Val::I64(*x),
        wasmtime::Val::F32(b) => Val::F32(*b),
        wasmtime::Val::F64(b) => Val::F64(*b),
        wasmtime::Val::V128(x) => Val::V128(x.as_u128()),
        wasmtime::Val::FuncRef(None) => Val::FuncRef(None),
        wasmtime::Val::FuncRef(Some(f)) => Val::FuncRef(Some(func_handle(&mut store, f))),
        wasmtime::Val::ExternRef(None) => Val::ExternRef(None),
        wasmtime::Val::ExternRef(Some(r)) => {
            let data = r.data(&store).map_err(|e| Error::Internal(format!("externref: {e:#}")))?;
            match data.and_then(|d| d.downcast_ref::<u32>()) {
                Some(x) => Val::ExternRef(Some(*x)),
                None => return Err(Error::Internal("externref not created by the lab".into())),
            }
        }
        other => return Err(Error::Unsupported(format!("value {other:?} outside Wasm 2.0"))),
    })
}

pub(crate) fn to_wasmtime(mut store: impl AsContextMut<Data = StoreData>, v: &Val) -> Result<wasmtime::Val, Error> {
    Ok(match *v {
        Val::I32(x) => wasmtime::Val::I32(x),
        Val::I64(x) => wasmtime::Val::I64(x),
        Val::F32(b) => wasmtime::Val::F32(b),
        Val::F64(b) => wasmtime::Val::F64(b),
        Val::V128(x) => wasmtime::Val::V128(x.into()),
        Val::FuncRef(None) => wasmtime::Val::FuncRef(None),
        Val::FuncRef(Some(h)) => {
            let f = store.as_context_mut().data().funcs.get(h as usize).copied();
            wasmtime::Val::FuncRef(Some(f.ok_or_else(|| Error::Usage(format!("unknown funcref handle {h}")))?))
        }
        Val::ExternRef(None) => wasmtime::Val::ExternRef(None),
        Val::ExternRef(Some(x)) => {
            let r: Rooted<ExternRef> =
                ExternRef::new(&mut store, x).map_err(|e| Error::Internal(format!("externref: {e:#}")))?;
            wasmtime::Val::ExternRef(Some(r))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_wasmtime_traps_map_to_the_same_trap() {
        let mut seen: Vec<(Trap, wasmtime::Trap)> = Vec::new();
        for code in 0..=u8::MAX {
            let Some(w) = wasmtime::Trap::from_u8(code) else { continue };
            let Some(t) = trap_of(&wasmtime::Error::new(w)) else { continue };
            if let Some((_, other)) = seen.iter().find(|(x, _)| *x == t) {
                panic!("wasmtime traps {other:?} and {w:?} both map to {t:?}");
            }
            seen.push((t, w));
        }
        assert!(seen.len() >= 12, "the usual traps map: {seen:?}");
        assert_eq!(trap_of(&wasmtime::Error::new(wasmtime::Trap::ArrayOutOfBounds)), Some(Trap::ArrayOutOfBounds));
        assert_eq!(trap_of(&wasmtime::Error::new(wasmtime::Trap::HeapMisaligned)), None);
    }
}
