//! Linear memory: growth within the declared maximum and the engine cap, and
//! the bulk operations (`memory.fill`, `memory.copy`, `memory.init`) with
//! their bounds checks.

use wasmlab_contract::{Error, Trap};

use crate::info::Limits;
use crate::vmctx::VmCtx;

pub const PAGE_SIZE: u64 = 65536;
/// The wasm32 limit: 4 GiB.
pub const MAX_PAGES: u64 = 65536;
/// The engine's cap, so that a hostile module cannot exhaust the host: 1 GiB
/// per memory. `memory.grow` past it returns -1, as the spec allows.
pub const PAGE_CAP: u64 = 16384;

pub struct Memory {
    data: Vec<u8>,
    /// The declared maximum (for import matching), if any.
    declared_max: Option<u64>,
    /// The effective maximum: declared maximum, wasm32 limit and cap.
    max_pages: u64,
    /// VM contexts whose `mem_base`/`mem_len` mirror this memory.
    views: Vec<*mut VmCtx>,
}

impl Memory {
    pub fn new(limits: Limits) -> Result<Memory, Error> {
        Memory::with_cap(limits, PAGE_CAP)
    }

    pub fn with_cap(limits: Limits, cap: u64) -> Result<Memory, Error> {
        if limits.min > cap {
            return Err(Error::ResourceLimit(format!(
                "memory of {} pages exceeds the engine's cap of {cap} pages",
                limits.min
            )));
        }
        let max_pages = limits.max.unwrap_or(MAX_PAGES).min(MAX_PAGES).min(cap);
        let bytes = (limits.min * PAGE_SIZE) as usize;
        let mut data = Vec::new();
        data.try_reserve_exact(bytes)
            .map_err(|_| Error::ResourceLimit("memory allocation failed".into()))?;
        data.resize(bytes, 0);
        Ok(Memory {
            data,
            declared_max: limits.max,
            max_pages,
            views: Vec::new(),
        })
    }

    pub fn pages(&self) -> u64 {
        self.data.len() as u64 / PAGE_SIZE
    }

    /// The limits this memory currently satisfies, for import matching.
    pub fn limits(&self) -> Limits {
        Limits {
            min: self.pages(),
            max: self.declared_max,
        }
    }

    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.data
    }

    /// Grows by `delta` pages; the old size in pages, or `None` (wasm: -1)
    /// beyond the maximum or when the host refuses the allocation.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        if delta > 0 {
            let bytes = (new * PAGE_SIZE) as usize;
            self.data.try_reserve_exact(bytes - self.data.len()).ok()?;
            self.data.resize(bytes, 0);
            self.sync_views();
        }
        Some(old)
    }

    /// Makes `vmctx` mirror this memory from now on.
    ///
    /// # Safety
    /// `vmctx` must stay valid for as long as this memory lives (the store
    /// owns both and frees them together).
    pub unsafe fn add_view(&mut self, vmctx: *mut VmCtx) {
        self.views.push(vmctx);
        self.sync_views();
    }

    fn sync_views(&mut self) {
        let base = self.data.as_mut_ptr();
        let len = self.data.len() as u64;
        for &v in &self.views {
            // SAFETY: `add_view`'s contract keeps every view alive.
            unsafe {
                (*v).mem_base = base;
                (*v).mem_len = len;
            }
        }
    }

    fn range(&self, start: u64, n: u64) -> Result<std::ops::Range<usize>, Trap> {
        match start.checked_add(n) {
            Some(end) if end <= self.data.len() as u64 => Ok(start as usize..end as usize),
            _ => Err(Trap::MemoryOutOfBounds),
        }
    }

    pub fn fill(&mut self, dst: u64, val: u8, n: u64) -> Result<(), Trap> {
        let r = self.range(dst, n)?;
        self.data[r].fill(val);
        Ok(())
    }

    pub fn copy(&mut self, dst: u64, src: u64, n: u64) -> Result<(), Trap> {
        let s = self.range(src, n)?;
        let d = self.range(dst, n)?;
        self.data.copy_within(s, d.start);
        Ok(())
    }

    /// `memory.init`: copies `seg[src..src+n]` to `dst`, checking both ranges
    /// before writing anything.
    pub fn init(&mut self, dst: u64, seg: &[u8], src: u64, n: u64) -> Result<(), Trap> {
        let d = self.range(dst, n)?;
        match src.checked_add(n) {
            Some(end) if end <= seg.len() as u64 => {
                self.data[d].copy_from_slice(&seg[src as usize..end as usize]);
                Ok(())
            }
            _ => Err(Trap::MemoryOutOfBounds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grow_respects_declared_max_and_cap() {
        let mut m = Memory::with_cap(
            Limits {
                min: 1,
                max: Some(3),
            },
            100,
        )
        .unwrap();
        assert_eq!(m.grow(1), Some(1));
        assert_eq!(m.grow(2), None, "beyond the declared max");
        assert_eq!(m.grow(1), Some(2));
        assert_eq!(m.pages(), 3);
        assert_eq!(m.grow(0), Some(3));
        assert_eq!(m.data().len(), 3 * 65536);

        let mut m = Memory::with_cap(Limits { min: 0, max: None }, 4).unwrap();
        assert_eq!(m.grow(5), None, "beyond the cap");
        assert_eq!(m.grow(4), Some(0));
        assert_eq!(m.grow(u64::MAX), None, "no overflow");
        assert!(matches!(
            Memory::with_cap(Limits { min: 5, max: None }, 4),
            Err(Error::ResourceLimit(_))
        ));
    }

    #[test]
    fn grown_pages_are_zero_and_views_follow() {
        let mut m = Memory::with_cap(Limits { min: 1, max: None }, 8).unwrap();
        m.data_mut()[65535] = 7;
        let mut ctx = VmCtx::empty();
        unsafe { m.add_view(&mut ctx) };
        assert_eq!(ctx.mem_len, 65536);
        m.grow(1).unwrap();
        assert_eq!(ctx.mem_len, 2 * 65536);
        assert_eq!(ctx.mem_base, m.data_mut().as_mut_ptr());
        assert_eq!(m.data()[65535], 7);
        assert!(m.data()[65536..].iter().all(|&b| b == 0));
    }

    #[test]
    fn bulk_operations_check_bounds_before_writing() {
        let mut m = Memory::with_cap(Limits { min: 1, max: None }, 8).unwrap();
        m.init(10, b"hello", 1, 4).unwrap();
        assert_eq!(&m.data()[10..14], b"ello");
        assert_eq!(m.init(65534, b"hello", 0, 3), Err(Trap::MemoryOutOfBounds));
        assert_eq!(m.data()[65534], 0, "nothing written on a trap");
        assert_eq!(m.init(0, b"hello", 3, 3), Err(Trap::MemoryOutOfBounds));
        m.copy(11, 10, 4).unwrap();
        assert_eq!(&m.data()[10..15], b"eello");
        m.fill(0, 9, 3).unwrap();
        assert_eq!(&m.data()[0..4], &[9, 9, 9, 0]);
        assert_eq!(m.fill(65536, 1, 1), Err(Trap::MemoryOutOfBounds));
        assert_eq!(
            m.fill(65536, 1, 0),
            Ok(()),
            "zero length at the end is fine"
        );
        assert_eq!(m.copy(0, u64::MAX, 2), Err(Trap::MemoryOutOfBounds));
    }
}
