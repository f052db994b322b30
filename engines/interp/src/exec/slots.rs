//! The interpreter's value stack: [`MAX_SLOTS`] slots reserved at once in
//! a private anonymous mapping. It never moves (native code holds pointers
//! into it) and never grows; the kernel commits its pages on first touch,
//! so resident memory follows the deepest frame actually used, not the
//! reservation.

use std::ptr::NonNull;

use wasmlab_contract::Error;

use super::MAX_SLOTS;

const BYTES: usize = MAX_SLOTS * std::mem::size_of::<u64>();

/// [`MAX_SLOTS`] zeroed `u64` slots, unmapped on drop.
pub(super) struct Slots {
    base: NonNull<u64>,
}

impl Slots {
    /// Reserves the stack; [`Error::ResourceLimit`] when the host refuses.
    pub(super) fn new() -> Result<Slots, Error> {
        // SAFETY: a fresh anonymous private mapping aliases nothing.
        // MAP_NORESERVE: no swap is reserved up front; pages are committed
        // as they are touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                BYTES,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::ResourceLimit(format!(
                "cannot reserve {BYTES} bytes for the value stack: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(Slots { base: NonNull::new(p.cast()).expect("mmap never returns null on success") })
    }

    /// The first slot; `MAX_SLOTS` slots follow, readable and writable
    /// (zero until written) as long as `self` lives.
    #[inline(always)]
    pub(super) fn base(&self) -> *mut u64 {
        self.base.as_ptr()
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once; nothing runs on the
        // stack once its `Vm` is dropped.
        unsafe { libc::munmap(self.base.as_ptr().cast(), BYTES) };
    }
}
