//! The Sightglass measurement markers.
//!
//! A program calls [`start`] right before its measured work and [`end`] right
//! after it. On wasm32 they are the host imports `bench.start` and
//! `bench.end` (the runner timestamps them); natively they do nothing.

#[cfg(target_arch = "wasm32")]
mod imports {
    #[link(wasm_import_module = "bench")]
    unsafe extern "C" {
        pub fn start();
        pub fn end();
    }
}

/// Marks the start of the measured region.
#[inline(never)]
pub fn start() {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the import takes no arguments and touches no guest memory.
    unsafe {
        imports::start()
    }
}

/// Marks the end of the measured region.
#[inline(never)]
pub fn end() {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the import takes no arguments and touches no guest memory.
    unsafe {
        imports::end()
    }
}

/// Reads `default.input` from the current directory (the runner preopens the
/// benchmark directory as "."); on failure prints the reason to stderr and
/// exits with code 1.
pub fn read_input() -> Vec<u8> {
    const PATH: &str = "default.input";
    match std::fs::read(PATH) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {PATH} from the current directory: {e}");
            std::process::exit(1);
        }
    }
}

/// The repetition count: `args[1]` if given (a positive integer), else 1.
/// A bad argument prints the reason to stderr and exits with code 1.
pub fn repetitions() -> u32 {
    match std::env::args().nth(1) {
        None => 1,
        Some(s) => match s.parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!("error: the repetition count must be a positive integer, got {s:?}");
                std::process::exit(1);
            }
        },
    }
}

/// FNV-1a, 64 bits: the corpus's output checksum (deterministic, no deps).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
