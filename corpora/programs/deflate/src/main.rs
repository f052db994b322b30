//! deflate: DEFLATE round trips with `miniz_oxide`.
//!
//! Reads `default.input` (a server log interleaved with prose), then
//! (measured) compresses it as raw DEFLATE at levels 1, 6 and 9 and as zlib
//! at level 6, decompresses every stream and checks that each round trip
//! gives back the input. Prints the sizes and an FNV-1a checksum of every
//! compressed stream. `args[1]`: repetitions of the measured work (default 1).

use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};
use miniz_oxide::inflate::{decompress_to_vec, decompress_to_vec_zlib};
use std::fmt::Write as _;

/// Passes over the input per repetition (sizes the default run).
const PASSES: u32 = 1;

fn round_trips(input: &[u8]) -> Result<String, String> {
    let mut out = String::new();
    for level in [1u8, 6, 9] {
        let packed = compress_to_vec(input, level);
        let unpacked = decompress_to_vec(&packed).map_err(|e| format!("level {level}: inflate failed: {e:?}"))?;
        if unpacked != input {
            return Err(format!("level {level}: the round trip changed the data"));
        }
        let _ = writeln!(
            out,
            "deflate level {level}: {} bytes ({:.1}%), fnv1a64 {:016x}",
            packed.len(),
            percent(packed.len(), input.len()),
            bench_api::fnv1a64(&packed)
        );
    }
    let packed = compress_to_vec_zlib(input, 6);
    let unpacked = decompress_to_vec_zlib(&packed).map_err(|e| format!("zlib: inflate failed: {e:?}"))?;
    if unpacked != input {
        return Err("zlib: the round trip changed the data".to_string());
    }
    let _ = writeln!(
        out,
        "zlib level 6: {} bytes ({:.1}%), fnv1a64 {:016x}",
        packed.len(),
        percent(packed.len(), input.len()),
        bench_api::fnv1a64(&packed)
    );
    let _ = writeln!(out, "round trips: 4 verified, input fnv1a64 {:016x}", bench_api::fnv1a64(&unpacked));
    Ok(out)
}

/// `part / whole` in percent, computed in integers so that it prints the
/// same everywhere (tenths, rounded half up).
fn percent(part: usize, whole: usize) -> f64 {
    let tenths = (part as u64 * 2000 / whole as u64 + 1) / 2;
    tenths as f64 / 10.0
}

fn main() {
    let reps = bench_api::repetitions();
    let input = bench_api::read_input();

    bench_api::start();
    let mut report = Ok(String::new());
    for _ in 0..reps * PASSES {
        report = std::hint::black_box(round_trips(std::hint::black_box(&input)));
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
