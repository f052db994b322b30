//! The slow paths generated code calls: operations too rare or too large
//! to inline (bulk memory, tables, `memory.grow`, float ops without a
//! single instruction, conversions' edge cases).
//!
//! Every helper is `extern "sysv64"`, takes the calling instance's
//! `VmCtx` first and raw slot values after it, and returns one raw value.
//! A helper that traps records the trap in `ExecState::trap` (the
//! generated code checks the slot after each helper that can trap) and
//! returns 0. The semantics are the interpreter's (`wasmlab_runtime::arith`
//! and the runtime's memory and table operations), so both tiers agree by
//! construction.
//!
//! Safety (all helpers): `vmctx` is the live context of the instance whose
//! code is running, and every index baked into the call (table, segment)
//! was validated.
#![allow(clippy::missing_safety_doc)] // one contract for all, stated above

use wasmlab_contract::Trap;
use wasmlab_runtime::{InstanceData, Table, VmCtx, arith, trap_code};

type Ctx = *mut VmCtx;

/// Records `t` and returns the dummy result.
unsafe fn trap(vmctx: Ctx, t: Trap) -> u64 {
    // SAFETY: a live context's `exec` is its store's execution state.
    unsafe { (*(*vmctx).exec).trap = trap_code(t) };
    0
}

unsafe fn or_trap(vmctx: Ctx, r: Result<u64, Trap>) -> u64 {
    match r {
        Ok(v) => v,
        Err(t) => unsafe { trap(vmctx, t) },
    }
}

unsafe fn table(vmctx: Ctx, t: u64) -> *mut Table {
    // SAFETY: validated table index of a live instance.
    unsafe { *(*vmctx).tables.add(t as usize) }
}

pub unsafe extern "sysv64" fn memory_grow(vmctx: Ctx, delta: u64) -> u64 {
    // SAFETY: validation guarantees the memory exists.
    let m = unsafe { &mut *(*vmctx).memory };
    m.grow(delta as u32 as u64).map_or(u32::MAX as u64, |old| old as u32 as u64)
}

pub unsafe extern "sysv64" fn memory_fill(vmctx: Ctx, dst: u64, val: u64, len: u64) -> u64 {
    let m = unsafe { &mut *(*vmctx).memory };
    let r = m.fill(dst as u32 as u64, val as u8, len as u32 as u64).map(|_| 0);
    unsafe { or_trap(vmctx, r) }
}

pub unsafe extern "sysv64" fn memory_copy(vmctx: Ctx, dst: u64, src: u64, len: u64) -> u64 {
    let m = unsafe { &mut *(*vmctx).memory };
    let r = m.copy(dst as u32 as u64, src as u32 as u64, len as u32 as u64).map(|_| 0);
    unsafe { or_trap(vmctx, r) }
}

pub unsafe extern "sysv64" fn memory_init(vmctx: Ctx, seg: u64, dst: u64, src: u64, len: u64) -> u64 {
    // SAFETY: the instance outlives its running code.
    let (inst, m) = unsafe { (&*(*vmctx).instance, &mut *(*vmctx).memory) };
    let data = &inst.datas[seg as usize];
    let r = m.init(dst as u32 as u64, data, src as u32 as u64, len as u32 as u64).map(|_| 0);
    unsafe { or_trap(vmctx, r) }
}

pub unsafe extern "sysv64" fn data_drop(vmctx: Ctx, seg: u64) -> u64 {
    // SAFETY: the instance is alive; the store owns it and nothing else
    // borrows its segments while wasm code runs.
    let inst = unsafe { &mut *((*vmctx).instance as *mut InstanceData) };
    inst.datas[seg as usize] = std::sync::Arc::from(&[][..]);
    0
}

pub unsafe extern "sysv64" fn table_get(vmctx: Ctx, t: u64, index: u64) -> u64 {
    let t = unsafe { &*table(vmctx, t) };
    unsafe { or_trap(vmctx, t.get(index as u32 as u64)) }
}

pub unsafe extern "sysv64" fn table_set(vmctx: Ctx, t: u64, index: u64, val: u64) -> u64 {
    let t = unsafe { &mut *table(vmctx, t) };
    let r = t.set(index as u32 as u64, val).map(|_| 0);
    unsafe { or_trap(vmctx, r) }
}

pub unsafe extern "sysv64" fn table_grow(vmctx: Ctx, t: u64, init: u64, delta: u64) -> u64 {
    let t = unsafe { &mut *table(vmctx, t) };
    t.grow(delta as u32 as u64, init).map_or(u32::MAX as u64, |old| old as u32 as u64)
}

pub unsafe extern "sysv64" fn table_fill(vmctx: Ctx, t: u64, dst: u64, val: u64, len: u64) -> u64 {
    let t = unsafe { &mut *table(vmctx, t) };
    let r = t.fill(dst as u32 as u64, val, len as u32 as u64).map(|_| 0);
    unsafe { or_trap(vmctx, r) }
}

/// `tables` packs the destination table index in the low 32 bits and the
/// source's in the high ones.
pub unsafe extern "sysv64" fn table_copy(vmctx: Ctx, tables: u64, dst: u64, src: u64, len: u64) -> u64 {
    let (d, s) = unsafe { (table(vmctx, tables & 0xffff_ffff), table(vmctx, tables >> 32)) };
    let (di, si, n) = (dst as u32 as u64, src as u32 as u64, len as u32 as u64);
    // SAFETY: distinct tables are distinct objects; the same table is
    // borrowed once.
    let r = unsafe { if d == s { (*d).copy_within(di, si, n) } else { (*d).copy_from(di, &*s, si, n) } };
    unsafe { or_trap(vmctx, r.map(|_| 0)) }
}

/// `ts` packs the table index in the low 32 bits and the segment's in the
/// high ones.
pub unsafe extern "sysv64" fn table_init(vmctx: Ctx, ts: u64, dst: u64, src: u64, len: u64) -> u64 {
    let inst = unsafe { &*(*vmctx).instance };
    let t = unsafe { &mut *table(vmctx, ts & 0xffff_ffff) };
    let items = &inst.elems[(ts >> 32) as usize];
    let r = t.init(dst as u32 as u64, items, src as u32 as u64, len as u32 as u64).map(|_| 0);
    unsafe { or_trap(vmctx, r) }
}

pub unsafe extern "sysv64" fn elem_drop(vmctx: Ctx, seg: u64) -> u64 {
    // SAFETY: as in `data_drop`.
    let inst = unsafe { &mut *((*vmctx).instance as *mut InstanceData) };
    inst.elems[seg as usize] = Vec::new();
    0
}

macro_rules! pure {
    ($($name:ident($x:ident $(, $y:ident)?) => $e:expr;)*) => {
        $(
            pub unsafe extern "sysv64" fn $name(_vmctx: Ctx, $x: u64 $(, $y: u64)?) -> u64 {
                $e
            }
        )*
    };
}

fn f32of(x: u64) -> f32 {
    f32::from_bits(x as u32)
}
fn f64of(x: u64) -> f64 {
    f64::from_bits(x)
}

pure! {
    f32_min(x, y) => arith::fmin32(f32of(x), f32of(y)).to_bits() as u64;
    f32_max(x, y) => arith::fmax32(f32of(x), f32of(y)).to_bits() as u64;
    f64_min(x, y) => arith::fmin64(f64of(x), f64of(y)).to_bits();
    f64_max(x, y) => arith::fmax64(f64of(x), f64of(y)).to_bits();
    f32_ceil(x) => arith::quiet_nan32(f32of(x), f32::ceil).to_bits() as u64;
    f32_floor(x) => arith::quiet_nan32(f32of(x), f32::floor).to_bits() as u64;
    f32_trunc(x) => arith::quiet_nan32(f32of(x), f32::trunc).to_bits() as u64;
    f32_nearest(x) => arith::quiet_nan32(f32of(x), f32::round_ties_even).to_bits() as u64;
    f64_ceil(x) => arith::quiet_nan64(f64of(x), f64::ceil).to_bits();
    f64_floor(x) => arith::quiet_nan64(f64of(x), f64::floor).to_bits();
    f64_trunc(x) => arith::quiet_nan64(f64of(x), f64::trunc).to_bits();
    f64_nearest(x) => arith::quiet_nan64(f64of(x), f64::round_ties_even).to_bits();
    i32_popcnt(x) => (x as u32).count_ones() as u64;
    i64_popcnt(x) => x.count_ones() as u64;
    f32_convert_i64_u(x) => (x as f32).to_bits() as u64;
    f64_convert_i64_u(x) => (x as f64).to_bits();
    i32_trunc_sat_f32_s(x) => f32of(x) as i32 as u32 as u64;
    i32_trunc_sat_f32_u(x) => f32of(x) as u32 as u64;
    i32_trunc_sat_f64_s(x) => f64of(x) as i32 as u32 as u64;
    i32_trunc_sat_f64_u(x) => f64of(x) as u32 as u64;
    i64_trunc_sat_f32_s(x) => f32of(x) as i64 as u64;
    i64_trunc_sat_f32_u(x) => f32of(x) as u64;
    i64_trunc_sat_f64_s(x) => f64of(x) as i64 as u64;
    i64_trunc_sat_f64_u(x) => f64of(x) as u64;
}

macro_rules! trapping_trunc {
    ($($name:ident => $f:ident;)*) => {
        $(
            pub unsafe extern "sysv64" fn $name(vmctx: Ctx, x: u64) -> u64 {
                unsafe { or_trap(vmctx, arith::$f(x)) }
            }
        )*
    };
}

trapping_trunc! {
    i32_trunc_f32_s => trunc_f32_i32;
    i32_trunc_f32_u => trunc_f32_u32;
    i32_trunc_f64_s => trunc_f64_i32;
    i32_trunc_f64_u => trunc_f64_u32;
    i64_trunc_f32_s => trunc_f32_i64;
    i64_trunc_f32_u => trunc_f32_u64;
    i64_trunc_f64_s => trunc_f64_i64;
    i64_trunc_f64_u => trunc_f64_u64;
}

/// Every helper's address with its name (for listings: addresses differ
/// from run to run, names do not).
pub fn names() -> Vec<(usize, &'static str)> {
    macro_rules! named {
        ($($f:ident),* $(,)?) => { vec![$(($f as *const () as usize, stringify!($f))),*] };
    }
    named![
        memory_grow,
        memory_fill,
        memory_copy,
        memory_init,
        data_drop,
        table_get,
        table_set,
        table_grow,
        table_fill,
        table_copy,
        table_init,
        elem_drop,
        f32_min,
        f32_max,
        f64_min,
        f64_max,
        f32_ceil,
        f32_floor,
        f32_trunc,
        f32_nearest,
        f64_ceil,
        f64_floor,
        f64_trunc,
        f64_nearest,
        i32_popcnt,
        i64_popcnt,
        f32_convert_i64_u,
        f64_convert_i64_u,
        i32_trunc_sat_f32_s,
        i32_trunc_sat_f32_u,
        i32_trunc_sat_f64_s,
        i32_trunc_sat_f64_u,
        i64_trunc_sat_f32_s,
        i64_trunc_sat_f32_u,
        i64_trunc_sat_f64_s,
        i64_trunc_sat_f64_u,
        i32_trunc_f32_s,
        i32_trunc_f32_u,
        i32_trunc_f64_s,
        i32_trunc_f64_u,
        i64_trunc_f32_s,
        i64_trunc_f32_u,
        i64_trunc_f64_s,
        i64_trunc_f64_u,
    ]
}
