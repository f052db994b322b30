//! Calls: direct, to imports (host functions or other instances' code) and
//! through tables.

use super::*;

handlers! {
    Call { func, base } => {
        call_wasm!((*vmctx!()).code as *const Code, func, vmctx!(), base);
    }
    CallImport { func, base } => {
        call_ref!(*(*vmctx!()).funcs.add(func as usize), base);
    }
    CallIndirect { table, ty, index, base } => {
        let t = &**(*vmctx!()).tables.add(table as usize);
        let i = r!(index) as u32 as u64;
        if i >= t.len {
            trap!(Trap::TableOutOfBounds);
        }
        let f = *t.base.add(i as usize) as *const FuncRef;
        if f.is_null() {
            trap!(Trap::IndirectCallToNull);
        }
        if (*f).sig != *(*vmctx!()).sig_ids.add(ty as usize) {
            trap!(Trap::BadSignature);
        }
        call_ref!(f, base);
    }
}
