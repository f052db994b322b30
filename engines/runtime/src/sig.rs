//! Canonical signature ids: one process-wide number per distinct function
//! type, so that the `call_indirect` type check is one integer compare, in
//! every instance and store (also across modules that declare the same type
//! at different indices).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use wasmlab_contract::FuncType;

#[derive(Default)]
struct Interner {
    ids: HashMap<FuncType, u32>,
    types: Vec<FuncType>,
}

fn interner() -> &'static Mutex<Interner> {
    static INTERNER: OnceLock<Mutex<Interner>> = OnceLock::new();
    INTERNER.get_or_init(Default::default)
}

/// The canonical id of `ty`. Ids are dense and never reused; the table only
/// grows by the number of distinct types ever seen.
pub fn canonical(ty: &FuncType) -> u32 {
    let mut i = interner().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&id) = i.ids.get(ty) {
        return id;
    }
    let id = i.types.len() as u32;
    i.types.push(ty.clone());
    i.ids.insert(ty.clone(), id);
    id
}

/// The type behind a canonical id.
pub fn func_type(id: u32) -> FuncType {
    let i = interner().lock().unwrap_or_else(|e| e.into_inner());
    i.types[id as usize].clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_contract::ValType;

    #[test]
    fn equal_types_share_an_id() {
        let a = canonical(&FuncType::new([ValType::I32], [ValType::I64]));
        let b = canonical(&FuncType::new([ValType::I32], [ValType::I64]));
        let c = canonical(&FuncType::new([ValType::I64], [ValType::I32]));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(func_type(c), FuncType::new([ValType::I64], [ValType::I32]));
    }
}
