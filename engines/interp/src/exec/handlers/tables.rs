//! Tables, element segments and function references.

use super::*;

handlers! {
    TableGet { dst, index, table } => {
        let t = &**(*vmctx!()).tables.add(table as usize);
        match t.get(r!(index) as u32 as u64) {
            Ok(v) => r!(dst) = v,
            Err(e) => trap!(e),
        }
    }
    TableSet { table, index, val } => {
        let t = &mut **(*vmctx!()).tables.add(table as usize);
        if let Err(e) = t.set(r!(index) as u32 as u64, r!(val)) {
            trap!(e);
        }
    }
    TableSize { dst, table } => { r!(dst) = (**(*vmctx!()).tables.add(table as usize)).len; }
    TableGrow { dst, init, delta, table } => {
        let t = &mut **(*vmctx!()).tables.add(table as usize);
        r!(dst) = match t.grow(r!(delta) as u32 as u64, r!(init)) {
            Some(old) => old as u32 as u64,
            None => u32::MAX as u64,
        };
    }
    TableFill { table, dst, val, len } => {
        let t = &mut **(*vmctx!()).tables.add(table as usize);
        if let Err(e) = t.fill(r!(dst) as u32 as u64, r!(val), r!(len) as u32 as u64) {
            trap!(e);
        }
    }
    TableCopy { dst_table, src_table, dst, src, len } => {
        let d: *mut Table = *(*vmctx!()).tables.add(dst_table as usize);
        let s: *mut Table = *(*vmctx!()).tables.add(src_table as usize);
        let (di, si, n) = (r!(dst) as u32 as u64, r!(src) as u32 as u64, r!(len) as u32 as u64);
        let res = if d == s { (*d).copy_within(di, si, n) } else { (*d).copy_from(di, &*s, si, n) };
        if let Err(e) = res {
            trap!(e);
        }
    }
    TableInit { table, seg, dst, src, len } => {
        let inst = &*(*vmctx!()).instance;
        let t = &mut **(*vmctx!()).tables.add(table as usize);
        let items = &inst.elems[seg as usize];
        let (d, s, n) = (r!(dst) as u32 as u64, r!(src) as u32 as u64, r!(len) as u32 as u64);
        if let Err(e) = t.init(d, items, s, n) {
            trap!(e);
        }
    }
    ElemDrop { seg } => {
        let inst = (*vmctx!()).instance as *mut InstanceData;
        (&mut (*inst).elems)[seg as usize] = Vec::new();
    }
    RefFunc { dst, func } => { r!(dst) = *(*vmctx!()).funcs.add(func as usize) as u64; }
}
