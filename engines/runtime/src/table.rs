//! Tables of references. Elements are raw reference slots (see
//! [`crate::raw`]): 0 is null, a funcref is a `*const FuncRef`, an externref
//! is its host value plus one.

use wasmlab_contract::{Error, Trap, ValType};

use crate::info::Limits;

/// Table sizes beyond this are refused (`table.grow` returns -1), so that a
/// hostile module cannot exhaust the host.
pub const TABLE_CAP: u64 = 10_000_000;

#[repr(C)]
pub struct Table {
    /// Mirror of `elems.as_ptr()`, for generated code.
    pub base: *mut u64,
    /// Mirror of `elems.len()`, for generated code.
    pub len: u64,
    elems: Vec<u64>,
    declared_max: Option<u64>,
    pub ty: ValType,
}

impl Table {
    pub const BASE: usize = 0;
    pub const LEN: usize = 8;

    pub fn new(ty: ValType, limits: Limits) -> Result<Table, Error> {
        if limits.min > TABLE_CAP {
            return Err(Error::ResourceLimit(format!("table of {} elements exceeds the engine's cap", limits.min)));
        }
        let mut t = Table {
            base: std::ptr::null_mut(),
            len: 0,
            elems: vec![0; limits.min as usize],
            declared_max: limits.max,
            ty,
        };
        t.sync();
        Ok(t)
    }

    fn sync(&mut self) {
        self.base = self.elems.as_mut_ptr();
        self.len = self.elems.len() as u64;
    }

    pub fn limits(&self) -> Limits {
        Limits { min: self.elems.len() as u64, max: self.declared_max }
    }

    pub fn elems(&self) -> &[u64] {
        &self.elems
    }

    pub fn size(&self) -> u64 {
        self.elems.len() as u64
    }

    pub fn get(&self, i: u64) -> Result<u64, Trap> {
        usize::try_from(i).ok().and_then(|i| self.elems.get(i)).copied().ok_or(Trap::TableOutOfBounds)
    }

    pub fn set(&mut self, i: u64, v: u64) -> Result<(), Trap> {
        if i >= self.size() {
            return Err(Trap::TableOutOfBounds);
        }
        self.elems[i as usize] = v;
        Ok(())
    }

    /// Grows by `delta` elements set to `init`; the old size, or `None`
    /// (wasm: -1) beyond the maximum or the cap.
    pub fn grow(&mut self, delta: u64, init: u64) -> Option<u64> {
        let old = self.size();
        let new = old.checked_add(delta)?;
        if new > self.declared_max.unwrap_or(u32::MAX as u64).min(TABLE_CAP) {
            return None;
        }
        self.elems.try_reserve_exact(delta as usize).ok()?;
        self.elems.resize(new as usize, init);
        self.sync();
        Some(old)
    }

    fn range(&self, start: u64, n: u64) -> Result<std::ops::Range<usize>, Trap> {
        match start.checked_add(n) {
            Some(end) if end <= self.size() => Ok(start as usize..end as usize),
            _ => Err(Trap::TableOutOfBounds),
        }
    }

    pub fn fill(&mut self, dst: u64, val: u64, n: u64) -> Result<(), Trap> {
        let r = self.range(dst, n)?;
        self.elems[r].fill(val);
        Ok(())
    }

    /// `table.copy` within one table.
    pub fn copy_within(&mut self, dst: u64, src: u64, n: u64) -> Result<(), Trap> {
        let s = self.range(src, n)?;
        let d = self.range(dst, n)?;
        self.elems.copy_within(s, d.start);
        Ok(())
    }

    /// `table.copy` from another table.
    pub fn copy_from(&mut self, dst: u64, src: &Table, src_start: u64, n: u64) -> Result<(), Trap> {
        let s = src.range(src_start, n)?;
        let d = self.range(dst, n)?;
        self.elems[d].copy_from_slice(&src.elems[s]);
        Ok(())
    }

    /// `table.init`: copies `seg[src..src+n]` to `dst`, checking both ranges
    /// before writing anything.
    pub fn init(&mut self, dst: u64, seg: &[u64], src: u64, n: u64) -> Result<(), Trap> {
        let d = self.range(dst, n)?;
        match src.checked_add(n) {
            Some(end) if end <= seg.len() as u64 => {
                self.elems[d].copy_from_slice(&seg[src as usize..end as usize]);
                Ok(())
            }
            _ => Err(Trap::TableOutOfBounds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_get_set_and_bounds() {
        let mut t = Table::new(ValType::ExternRef, Limits { min: 2, max: Some(4) }).unwrap();
        assert_eq!(t.get(1), Ok(0));
        assert_eq!(t.get(2), Err(Trap::TableOutOfBounds));
        assert_eq!(t.grow(1, 5), Some(2));
        assert_eq!(t.get(2), Ok(5));
        assert_eq!(t.len, 3);
        assert_eq!(t.base, t.elems.as_mut_ptr());
        assert_eq!(t.grow(2, 0), None, "beyond max");
        assert_eq!(t.set(3, 1), Err(Trap::TableOutOfBounds));
        t.set(0, 9).unwrap();
        assert_eq!(t.limits(), Limits { min: 3, max: Some(4) });
    }

    #[test]
    fn bulk_operations() {
        let mut t = Table::new(ValType::FuncRef, Limits { min: 5, max: None }).unwrap();
        t.init(1, &[10, 11, 12], 1, 2).unwrap();
        assert_eq!(t.elems(), &[0, 11, 12, 0, 0]);
        assert_eq!(t.init(4, &[10, 11, 12], 0, 2), Err(Trap::TableOutOfBounds));
        assert_eq!(t.elems()[4], 0);
        t.copy_within(2, 1, 2).unwrap();
        assert_eq!(t.elems(), &[0, 11, 11, 12, 0]);
        t.fill(3, 7, 2).unwrap();
        assert_eq!(t.elems(), &[0, 11, 11, 7, 7]);
        assert_eq!(t.fill(5, 7, 1), Err(Trap::TableOutOfBounds));
        let other = Table::new(ValType::FuncRef, Limits { min: 1, max: None }).unwrap();
        t.copy_from(0, &other, 0, 1).unwrap();
        assert_eq!(t.elems()[0], 0);
        assert_eq!(t.copy_from(0, &other, 1, 1), Err(Trap::TableOutOfBounds));
    }
}
