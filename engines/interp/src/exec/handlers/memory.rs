//! Linear memory: loads and stores (bounds-checked against the length the
//! handler carries), size, grow, bulk operations and data segments.

use super::*;

handlers! {
    Load32 { dst, addr, offset } => { load!(dst, addr, offset, u32, |v: u32| v as u64); }
    Load64 { dst, addr, offset } => { load!(dst, addr, offset, u64, |v: u64| v); }
    Load8S32 { dst, addr, offset } => {
        load!(dst, addr, offset, u8, |v: u8| v as i8 as i32 as u32 as u64);
    }
    Load8U { dst, addr, offset } => { load!(dst, addr, offset, u8, |v: u8| v as u64); }
    Load16S32 { dst, addr, offset } => {
        load!(dst, addr, offset, u16, |v: u16| v as i16 as i32 as u32 as u64);
    }
    Load16U { dst, addr, offset } => { load!(dst, addr, offset, u16, |v: u16| v as u64); }
    Load8S64 { dst, addr, offset } => {
        load!(dst, addr, offset, u8, |v: u8| v as i8 as i64 as u64);
    }
    Load16S64 { dst, addr, offset } => {
        load!(dst, addr, offset, u16, |v: u16| v as i16 as i64 as u64);
    }
    Load32S64 { dst, addr, offset } => {
        load!(dst, addr, offset, u32, |v: u32| v as i32 as i64 as u64);
    }
    Store8 { addr, src, offset } => { store!(addr, src, offset, u8); }
    Store16 { addr, src, offset } => { store!(addr, src, offset, u16); }
    Store32 { addr, src, offset } => { store!(addr, src, offset, u32); }
    Store64 { addr, src, offset } => { store!(addr, src, offset, u64); }

    MemorySize { dst } => { r!(dst) = mem_len!() / wasmlab_runtime::memory::PAGE_SIZE; }
    MemoryGrow { dst, delta } => {
        let m = &mut *(*vmctx!()).memory;
        r!(dst) = match m.grow(r!(delta) as u32 as u64) {
            Some(old) => old as u32 as u64,
            None => u32::MAX as u64,
        };
        reload_mem!();
    }
    MemoryFill { dst, val, len } => {
        let m = &mut *(*vmctx!()).memory;
        if let Err(t) = m.fill(r!(dst) as u32 as u64, r!(val) as u8, r!(len) as u32 as u64) {
            trap!(t);
        }
    }
    MemoryCopy { dst, src, len } => {
        let m = &mut *(*vmctx!()).memory;
        let (d, s, n) = (r!(dst) as u32 as u64, r!(src) as u32 as u64, r!(len) as u32 as u64);
        if let Err(t) = m.copy(d, s, n) {
            trap!(t);
        }
    }
    MemoryInit { seg, dst, src, len } => {
        let inst = &*(*vmctx!()).instance;
        let m = &mut *(*vmctx!()).memory;
        let data = &inst.datas[seg as usize];
        let (d, s, n) = (r!(dst) as u32 as u64, r!(src) as u32 as u64, r!(len) as u32 as u64);
        if let Err(t) = m.init(d, data, s, n) {
            trap!(t);
        }
    }
    DataDrop { seg } => {
        let inst = (*vmctx!()).instance as *mut InstanceData;
        (&mut (*inst).datas)[seg as usize] = std::sync::Arc::from(&[][..]);
    }
}
