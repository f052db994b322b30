//! Executable memory, W^X: a [`CodeBuffer`] is read-write and never
//! executable; [`CodeBuffer::publish`] turns it into an [`ExecutableCode`],
//! read-execute and never writable again. The pages are this crate's own
//! anonymous mapping, so changing their protection can never affect code
//! another thread is executing (nobody can run a buffer before it is
//! published, nor write one after).

use std::ptr::NonNull;

use wasmlab_contract::Error;

/// The largest code region one buffer may hold: a JIT that needs more for
/// one module gets [`Error::ResourceLimit`] instead of exhausting the host.
pub const CODE_CAP: usize = 256 << 20;

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 { p as usize } else { 4096 }
}

/// A private anonymous mapping of whole pages, unmapped on drop.
struct Pages {
    base: NonNull<u8>,
    len: usize,
}

impl Pages {
    fn map(len: usize) -> Result<Pages, Error> {
        let page = page_size();
        let len = len.max(1).div_ceil(page) * page;
        // SAFETY: a fresh anonymous private mapping aliases nothing.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::ResourceLimit(format!(
                "cannot map {len} bytes for generated code: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(Pages { base: NonNull::new(p.cast()).expect("mmap never returns null on success"), len })
    }

    fn protect(&self, prot: libc::c_int) -> Result<(), Error> {
        // SAFETY: the range is exactly our own mapping.
        if unsafe { libc::mprotect(self.base.as_ptr().cast(), self.len, prot) } != 0 {
            return Err(Error::Internal(format!(
                "mprotect of generated code failed: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(())
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once; no reference into it
        // outlives `self` (see `ExecutableCode`).
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}

/// Machine code being written: read-write, not executable.
pub struct CodeBuffer {
    pages: Pages,
    /// Bytes written so far.
    len: usize,
}

impl CodeBuffer {
    /// A buffer that can hold `capacity` bytes (rounded up to pages);
    /// [`Error::ResourceLimit`] beyond [`CODE_CAP`] or when the host refuses.
    pub fn new(capacity: usize) -> Result<CodeBuffer, Error> {
        if capacity > CODE_CAP {
            return Err(Error::ResourceLimit(format!(
                "{capacity} bytes of generated code exceed the cap of {CODE_CAP}"
            )));
        }
        Ok(CodeBuffer { pages: Pages::map(capacity)?, len: 0 })
    }

    /// A buffer holding a copy of `code`.
    pub fn from_bytes(code: &[u8]) -> Result<CodeBuffer, Error> {
        let mut b = CodeBuffer::new(code.len())?;
        b.bytes_mut()[..code.len()].copy_from_slice(code);
        b.len = code.len();
        Ok(b)
    }

    pub fn capacity(&self) -> usize {
        self.pages.len
    }

    /// Where the code will run once published (the address does not
    /// change), for assemblers that need the final address.
    pub fn base(&self) -> *const u8 {
        self.pages.base.as_ptr()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `bytes`; [`Error::ResourceLimit`] when they do not fit.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.len.checked_add(bytes.len()).filter(|&e| e <= self.pages.len).ok_or_else(|| {
            Error::ResourceLimit(format!("generated code outgrew its buffer of {} bytes", self.pages.len))
        })?;
        let start = self.len;
        self.bytes_mut()[start..end].copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// The whole buffer, for patching what was written.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: the mapping is read-write while it is a `CodeBuffer`, and
        // `&mut self` makes this the only reference into it.
        unsafe { std::slice::from_raw_parts_mut(self.pages.base.as_ptr(), self.pages.len) }
    }

    /// The code written so far.
    pub fn code(&self) -> &[u8] {
        // SAFETY: readable, and `len` bytes were written.
        unsafe { std::slice::from_raw_parts(self.pages.base.as_ptr(), self.len) }
    }

    /// Switches the pages to read-execute. The buffer is consumed, so no
    /// one can write to them afterwards. (x86-64 needs no instruction
    /// cache flush; the `mprotect` orders the writes before any execution
    /// through the returned pointer.)
    pub fn publish(self) -> Result<ExecutableCode, Error> {
        self.pages.protect(libc::PROT_READ | libc::PROT_EXEC)?;
        Ok(ExecutableCode { pages: self.pages, len: self.len })
    }
}

/// Published machine code: read-execute, never writable. Pointers into it
/// are valid as long as this value lives; whoever runs the code must keep
/// it alive until no frame can return into it.
pub struct ExecutableCode {
    pages: Pages,
    len: usize,
}

// SAFETY: the pages are immutable once published; sharing read-only
// executable memory between threads is sound.
unsafe impl Send for ExecutableCode {}
unsafe impl Sync for ExecutableCode {}

impl ExecutableCode {
    /// The start of the code.
    pub fn base(&self) -> *const u8 {
        self.pages.base.as_ptr()
    }

    /// The address of the byte at `offset`; `None` past the code.
    pub fn at(&self, offset: usize) -> Option<*const u8> {
        // SAFETY: in bounds of our mapping.
        (offset < self.len).then(|| unsafe { self.base().add(offset) })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The code as bytes (for disassembly).
    pub fn code(&self) -> &[u8] {
        // SAFETY: readable, and `len` bytes were written before publishing.
        unsafe { std::slice::from_raw_parts(self.base(), self.len) }
    }

    /// Whether `addr` lies inside this code (for attributing faults).
    pub fn contains(&self, addr: usize) -> bool {
        let base = self.base() as usize;
        addr >= base && addr < base + self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `mov eax, imm32; ret`
    fn returns(v: u32) -> Vec<u8> {
        let mut c = vec![0xb8];
        c.extend_from_slice(&v.to_le_bytes());
        c.push(0xc3);
        c
    }

    #[test]
    fn published_code_runs() {
        let code = CodeBuffer::from_bytes(&returns(42)).unwrap().publish().unwrap();
        // SAFETY: the bytes are a complete sysv64 function taking nothing
        // and returning u32, and `code` outlives the call.
        let f: extern "sysv64" fn() -> u32 = unsafe { std::mem::transmute(code.base()) };
        assert_eq!(f(), 42);
        assert_eq!(code.code(), &returns(42)[..]);
        assert!(code.contains(code.base() as usize + 5));
        assert!(!code.contains(code.base() as usize + 6));
        assert_eq!(code.at(6), None);
    }

    #[test]
    fn writes_and_patches_before_publishing() {
        let mut b = CodeBuffer::new(16).unwrap();
        assert_eq!(b.capacity() % page_size(), 0);
        b.push(&returns(0)).unwrap();
        // Patch the immediate, as a template JIT fills a hole.
        b.bytes_mut()[1..5].copy_from_slice(&7u32.to_le_bytes());
        let code = b.publish().unwrap();
        // SAFETY: as above.
        let f: extern "sysv64" fn() -> u32 = unsafe { std::mem::transmute(code.base()) };
        assert_eq!(f(), 7);
    }

    #[test]
    fn oversized_code_is_a_resource_limit() {
        assert!(matches!(CodeBuffer::new(CODE_CAP + 1), Err(Error::ResourceLimit(_))));
        let mut b = CodeBuffer::new(1).unwrap();
        let too_much = vec![0x90; b.capacity() + 1];
        assert!(matches!(b.push(&too_much), Err(Error::ResourceLimit(_))));
        assert_eq!(b.len(), 0, "a failed push writes nothing");
    }
}
