//! Raw slots: how every value is held in registers, globals, tables and
//! frames of the in-house engines. One `u64` per value:
//!
//! - `i32`/`f32`: the 32 bits, zero-extended (the upper half is always 0);
//! - `i64`/`f64`: the 64 bits;
//! - `funcref`: 0 for null, else a `*const FuncRef` of the store;
//! - `externref`: 0 for null, else the host value plus one.
//!
//! So every type's default value is the all-zero slot.
//!
//! Here are the conversions that need no context: numbers and external
//! references. A function reference is a pointer of one store and converts
//! only there ([`crate::Store::val_to_raw`], [`crate::Store::raw_to_val`]);
//! `v128` has no slot at all (the in-house engines do not support SIMD).

use wasmlab_contract::{Error, Val, ValType};

/// A value or type that [`from_val`] / [`to_val`] cannot convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoSlot {
    /// Function references convert through their store.
    FuncRef,
    /// No slot holds a `v128`.
    V128,
}

impl From<NoSlot> for Error {
    fn from(e: NoSlot) -> Error {
        match e {
            NoSlot::FuncRef => Error::Internal("a function reference converted without its store".into()),
            NoSlot::V128 => Error::Unsupported("simd".into()),
        }
    }
}

/// A number or external reference as a slot.
pub fn from_val(v: Val) -> Result<u64, NoSlot> {
    Ok(match v {
        Val::I32(x) => x as u32 as u64,
        Val::I64(x) => x as u64,
        Val::F32(b) => b as u64,
        Val::F64(b) => b,
        Val::ExternRef(None) => 0,
        Val::ExternRef(Some(h)) => h as u64 + 1,
        Val::FuncRef(_) => return Err(NoSlot::FuncRef),
        Val::V128(_) => return Err(NoSlot::V128),
    })
}

/// A slot of a number or external-reference type as a value.
pub fn to_val(raw: u64, ty: ValType) -> Result<Val, NoSlot> {
    Ok(match ty {
        ValType::I32 => Val::I32(raw as u32 as i32),
        ValType::I64 => Val::I64(raw as i64),
        ValType::F32 => Val::F32(raw as u32),
        ValType::F64 => Val::F64(raw),
        ValType::ExternRef => Val::ExternRef(raw.checked_sub(1).map(|h| h as u32)),
        ValType::FuncRef => return Err(NoSlot::FuncRef),
        ValType::V128 => return Err(NoSlot::V128),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_zero_is_default() {
        for v in [
            Val::I32(-1),
            Val::I64(i64::MIN),
            Val::F32(0x7fc0_0001),
            Val::F64(1),
            Val::ExternRef(Some(0)),
            Val::ExternRef(Some(u32::MAX)),
            Val::ExternRef(None),
        ] {
            assert_eq!(to_val(from_val(v).unwrap(), v.ty()), Ok(v));
        }
        assert_eq!(from_val(Val::I32(-1)), Ok(0xffff_ffff), "i32 is zero-extended");
        for ty in [ValType::I32, ValType::I64, ValType::F32, ValType::F64, ValType::ExternRef] {
            assert_eq!(from_val(Val::default_of(ty)), Ok(0));
        }
    }

    #[test]
    fn function_references_and_v128_are_refused() {
        assert_eq!(from_val(Val::FuncRef(Some(3))), Err(NoSlot::FuncRef));
        assert_eq!(from_val(Val::FuncRef(None)), Err(NoSlot::FuncRef));
        assert_eq!(from_val(Val::V128(1)), Err(NoSlot::V128));
        assert_eq!(to_val(8, ValType::FuncRef), Err(NoSlot::FuncRef));
        assert_eq!(to_val(0, ValType::FuncRef), Err(NoSlot::FuncRef));
        assert_eq!(to_val(0, ValType::V128), Err(NoSlot::V128));
        assert_eq!(Error::from(NoSlot::V128), Error::Unsupported("simd".into()));
        assert!(matches!(Error::from(NoSlot::FuncRef), Error::Internal(_)));
    }
}
