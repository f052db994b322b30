//! sha256: SHA-256 digests of a file with `sha2`.
//!
//! Reads `default.input` (256 KiB of bytes), then (measured) hashes it whole,
//! incrementally in chunks of several sizes (each must agree with the whole
//! digest), and as a chain where every round hashes the previous digest
//! followed by the input. Prints the hex digests.
//! `args[1]`: repetitions of the measured work (default 1).

use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// Rounds of the chained hash (sizes the default run).
const CHAIN: u32 = 16;
/// Chunk sizes of the incremental passes; odd ones straddle block boundaries.
const CHUNKS: [usize; 5] = [1, 7, 64, 1000, 65536];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn digests(input: &[u8]) -> Result<String, String> {
    let mut out = String::new();
    let whole = Sha256::digest(input);
    let _ = writeln!(out, "sha256: {}", hex(&whole));
    for size in CHUNKS {
        let mut h = Sha256::new();
        for chunk in input.chunks(size) {
            h.update(chunk);
        }
        if h.finalize() != whole {
            return Err(format!("hashing in chunks of {size} bytes gave another digest"));
        }
    }
    let _ = writeln!(out, "chunked: {} chunk sizes agree", CHUNKS.len());
    let mut chained = whole;
    for _ in 0..CHAIN {
        let mut h = Sha256::new();
        h.update(chained);
        h.update(input);
        chained = h.finalize();
    }
    let _ = writeln!(out, "chained x{CHAIN}: {}", hex(&chained));
    Ok(out)
}

fn main() {
    let reps = bench_api::repetitions();
    let input = bench_api::read_input();

    bench_api::start();
    let mut report = Ok(String::new());
    for _ in 0..reps {
        report = std::hint::black_box(digests(std::hint::black_box(&input)));
    }
    bench_api::end();

    match report {
        Ok(report) => {
            println!("input: {} bytes", input.len());
            print!("{report}");
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
