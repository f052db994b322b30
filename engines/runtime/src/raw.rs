//! Raw slots: how every value is held in registers, globals, tables and
//! frames of the in-house engines. One `u64` per value:
//!
//! - `i32`/`f32`: the 32 bits, zero-extended (the upper half is always 0);
//! - `i64`/`f64`: the 64 bits;
//! - `funcref`: 0 for null, else a `*const FuncRef` of the store;
//! - `externref`: 0 for null, else the host value plus one.
//!
//! So every type's default value is the all-zero slot.

use wasmlab_contract::{Val, ValType};

/// A value as a slot. Function references need the store (see
/// [`crate::Store::val_to_raw`]); here a non-null one is an error of the
/// caller and maps to null.
pub fn from_val(v: Val) -> u64 {
    match v {
        Val::I32(x) => x as u32 as u64,
        Val::I64(x) => x as u64,
        Val::F32(b) => b as u64,
        Val::F64(b) => b,
        Val::ExternRef(None) | Val::FuncRef(None) => 0,
        Val::ExternRef(Some(h)) => h as u64 + 1,
        Val::FuncRef(Some(_)) | Val::V128(_) => 0,
    }
}

/// A slot as a value (function references: see [`crate::Store::raw_to_val`]).
pub fn to_val(raw: u64, ty: ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(raw as u32 as i32),
        ValType::I64 => Val::I64(raw as i64),
        ValType::F32 => Val::F32(raw as u32),
        ValType::F64 => Val::F64(raw),
        ValType::ExternRef => Val::ExternRef(raw.checked_sub(1).map(|h| h as u32)),
        ValType::FuncRef => Val::FuncRef(if raw == 0 { None } else { Some(u32::MAX) }),
        ValType::V128 => Val::V128(0),
    }
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
            Val::ExternRef(None),
        ] {
            assert_eq!(to_val(from_val(v), v.ty()), v);
        }
        assert_eq!(from_val(Val::I32(-1)), 0xffff_ffff, "i32 is zero-extended");
        for ty in [
            ValType::I32,
            ValType::I64,
            ValType::F32,
            ValType::F64,
            ValType::ExternRef,
            ValType::FuncRef,
        ] {
            assert_eq!(from_val(Val::default_of(ty)), 0);
        }
    }
}
