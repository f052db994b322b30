//! Linear memory: growth within the declared maximum and the engine cap, and
//! the bulk operations (`memory.fill`, `memory.copy`, `memory.init`) with
//! their bounds checks.
//!
//! A memory reserves address space for its whole maximum when it is made
//! (up to 4 GiB, inaccessible) and makes pages accessible as it grows, so
//! its base never moves: generated code may keep the base across a
//! `memory.grow`, and only pages that are touched cost resident memory (a
//! memory declared with 65,535 pages costs next to nothing until used).

use std::ptr::NonNull;

use wasmlab_contract::{Error, Trap};

use crate::info::Limits;
use crate::vmctx::VmCtx;

pub const PAGE_SIZE: u64 = 65536;
/// The wasm32 limit: 4 GiB.
pub const MAX_PAGES: u64 = 65536;
/// The default engine cap on one memory, in pages: the wasm32 limit
/// (address space is only reserved; resident memory follows use). A store
/// may set a lower cap ([`crate::Store::with_memory_cap`]): a memory whose
/// minimum exceeds it is [`Error::ResourceLimit`], and `memory.grow` past
/// it returns -1, as the spec allows.
pub const PAGE_CAP: u64 = MAX_PAGES;

/// Address space reserved for a memory's maximum, inaccessible beyond the
/// current size. Unmapped on drop.
struct Reservation {
    base: NonNull<u8>,
    /// Bytes reserved (0: nothing mapped, `base` dangling).
    reserved: usize,
}

impl Reservation {
    fn new(bytes: usize) -> Result<Reservation, Error> {
        if bytes == 0 {
            return Ok(Reservation { base: NonNull::dangling(), reserved: 0 });
        }
        // SAFETY: a fresh anonymous private mapping aliases nothing;
        // PROT_NONE with MAP_NORESERVE only takes address space.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::ResourceLimit(format!(
                "cannot reserve {bytes} bytes of address space for a memory: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(Reservation { base: NonNull::new(p.cast()).expect("mmap never returns null on success"), reserved: bytes })
    }

    /// Makes `[from, to)` readable and writable (zero-filled, as fresh
    /// anonymous pages are). False when the host refuses.
    fn commit(&mut self, from: usize, to: usize) -> bool {
        debug_assert!(from <= to && to <= self.reserved);
        if from == to {
            return true;
        }
        // SAFETY: inside our own reservation; wasm page boundaries are
        // multiples of every host page size.
        unsafe {
            libc::mprotect(self.base.as_ptr().add(from).cast(), to - from, libc::PROT_READ | libc::PROT_WRITE) == 0
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.reserved > 0 {
            // SAFETY: our own mapping, unmapped once; slices into it borrow
            // the `Memory` and views are cleared with the store.
            unsafe { libc::munmap(self.base.as_ptr().cast(), self.reserved) };
        }
    }
}

pub struct Memory {
    pages: Reservation,
    /// Accessible bytes: the current size.
    len: usize,
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
        let cap = cap.min(MAX_PAGES);
        if limits.min > cap {
            return Err(Error::ResourceLimit(format!(
                "memory of {} pages exceeds the engine's cap of {cap} pages",
                limits.min
            )));
        }
        let max_pages = limits.max.unwrap_or(cap).min(cap);
        let mut pages = Reservation::new((max_pages * PAGE_SIZE) as usize)?;
        let len = (limits.min * PAGE_SIZE) as usize;
        if !pages.commit(0, len) {
            return Err(Error::ResourceLimit(format!("the host refused {len} bytes of memory")));
        }
        Ok(Memory { pages, len, declared_max: limits.max, max_pages, views: Vec::new() })
    }

    pub fn pages(&self) -> u64 {
        self.len as u64 / PAGE_SIZE
    }

    /// The limits this memory currently satisfies, for import matching.
    pub fn limits(&self) -> Limits {
        Limits { min: self.pages(), max: self.declared_max }
    }

    /// The base address: fixed for the memory's lifetime.
    pub fn base(&self) -> *mut u8 {
        self.pages.base.as_ptr()
    }

    pub fn data(&self) -> &[u8] {
        // SAFETY: `len` bytes from the base are committed read-write.
        unsafe { std::slice::from_raw_parts(self.base(), self.len) }
    }

    pub fn data_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `data`, and `&mut self` makes it the only borrow.
        unsafe { std::slice::from_raw_parts_mut(self.base(), self.len) }
    }

    /// Grows by `delta` pages; the old size in pages, or `None` (wasm: -1)
    /// beyond the maximum or when the host refuses the pages. The base
    /// stays where it is.
    pub fn grow(&mut self, delta: u64) -> Option<u64> {
        let old = self.pages();
        let new = old.checked_add(delta)?;
        if new > self.max_pages {
            return None;
        }
        if delta > 0 {
            let bytes = (new * PAGE_SIZE) as usize;
            if !self.pages.commit(self.len, bytes) {
                return None;
            }
            self.len = bytes;
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
        let base = self.base();
        let len = self.len as u64;
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
            Some(end) if end <= self.len as u64 => Ok(start as usize..end as usize),
            _ => Err(Trap::MemoryOutOfBounds),
        }
    }

    pub fn fill(&mut self, dst: u64, val: u8, n: u64) -> Result<(), Trap> {
        let r = self.range(dst, n)?;
        self.data_mut()[r].fill(val);
        Ok(())
    }

    pub fn copy(&mut self, dst: u64, src: u64, n: u64) -> Result<(), Trap> {
        let s = self.range(src, n)?;
        let d = self.range(dst, n)?;
        self.data_mut().copy_within(s, d.start);
        Ok(())
    }

    /// `memory.init`: copies `seg[src..src+n]` to `dst`, checking both ranges
    /// before writing anything.
    pub fn init(&mut self, dst: u64, seg: &[u8], src: u64, n: u64) -> Result<(), Trap> {
        let d = self.range(dst, n)?;
        match src.checked_add(n) {
            Some(end) if end <= seg.len() as u64 => {
                self.data_mut()[d].copy_from_slice(&seg[src as usize..end as usize]);
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
        let mut m = Memory::with_cap(Limits { min: 1, max: Some(3) }, 100).unwrap();
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
        assert!(matches!(Memory::with_cap(Limits { min: 5, max: None }, 4), Err(Error::ResourceLimit(_))));
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
        assert_eq!(ctx.mem_base, m.base(), "the base never moves");
        assert_eq!(m.data()[65535], 7);
        assert!(m.data()[65536..].iter().all(|&b| b == 0));
    }

    /// Resident set size of this process, in bytes.
    fn rss() -> usize {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap() * 1024
    }

    #[test]
    fn a_huge_memory_costs_only_the_pages_touched() {
        let before = rss();
        let mut m = Memory::new(Limits { min: 65535, max: None }).unwrap();
        assert_eq!(m.data().len(), 65535 * 65536);
        let base = m.base();
        m.data_mut()[0] = 1;
        m.data_mut()[65534 * 65536 + 5] = 2;
        assert_eq!(m.grow(1), Some(65535));
        assert_eq!(m.base(), base, "growth does not move the base");
        m.data_mut()[65535 * 65536] = 3;
        assert_eq!(m.grow(1), None, "the wasm32 limit");
        assert_eq!((m.data()[0], m.data()[65534 * 65536 + 5], m.data()[65535 * 65536]), (1, 2, 3));
        let grown = rss().saturating_sub(before);
        assert!(grown < 64 << 20, "4 GiB of memory cost {grown} bytes of RSS");
    }

    #[test]
    fn a_lower_cap_refuses_with_resource_limit() {
        assert!(matches!(Memory::with_cap(Limits { min: 11, max: None }, 10), Err(Error::ResourceLimit(_))));
        let mut m = Memory::with_cap(Limits { min: 10, max: None }, 10).unwrap();
        assert_eq!(m.grow(1), None);
        assert!(matches!(Memory::new(Limits { min: 65537, max: None }), Err(Error::ResourceLimit(_))));
        let mut empty = Memory::new(Limits { min: 0, max: Some(0) }).unwrap();
        assert_eq!((empty.data().len(), empty.grow(0), empty.grow(1)), (0, Some(0), None));
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
        assert_eq!(m.fill(65536, 1, 0), Ok(()), "zero length at the end is fine");
        assert_eq!(m.copy(0, u64::MAX, 2), Err(Trap::MemoryOutOfBounds));
    }
}
