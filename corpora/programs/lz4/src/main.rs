//! lz4: LZ4 round trips with `lz4_flex`.
//!
//! Reads `default.input` (a CSV table), then (measured) compresses it in the
//! LZ4 block format and in the LZ4 frame format (with content checksums),
//! decompresses both and checks that each round trip gives back the input.
//! Prints what the round trips gave back. The compressed bytes themselves are
//! not printed: lz4_flex's match finder reads machine words, so its output
//! (and size) differs between 32-bit wasm and a 64-bit native build.
//! `args[1]`: repetitions of the measured work (default 1).

use lz4_flex::block::{compress_prepend_size, decompress_size_prepended};
use lz4_flex::frame::{BlockSize, FrameDecoder, FrameEncoder, FrameInfo};
use std::fmt::Write as _;
use std::io::{Read, Write};

/// Passes over the input per repetition (sizes the default run).
const PASSES: u32 = 12;

fn round_trips(input: &[u8]) -> Result<String, String> {
    let mut out = String::new();

    let block = compress_prepend_size(input);
    let back = decompress_size_prepended(&block).map_err(|e| format!("block: {e}"))?;
    if back != input {
        return Err("block: the round trip changed the data".to_string());
    }
    let _ = writeln!(out, "block: {} bytes back, fnv1a64 {:016x}", back.len(), bench_api::fnv1a64(&back));

    let info = FrameInfo::new().block_size(BlockSize::Max64KB).content_checksum(true);
    let mut enc = FrameEncoder::with_frame_info(info, Vec::new());
    enc.write_all(input).map_err(|e| format!("frame: {e}"))?;
    let frame = enc.finish().map_err(|e| format!("frame: {e}"))?;
    let mut back = Vec::with_capacity(input.len());
    FrameDecoder::new(frame.as_slice()).read_to_end(&mut back).map_err(|e| format!("frame: {e}"))?;
    if back != input {
        return Err("frame: the round trip changed the data".to_string());
    }
    let _ = writeln!(
        out,
        "frame (64 KiB blocks, content checksum): {} bytes back, fnv1a64 {:016x}",
        back.len(),
        bench_api::fnv1a64(&back)
    );
    let _ = writeln!(out, "round trips: 2 verified");
    Ok(out)
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
