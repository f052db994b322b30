//! The benchmark corpus is what the manifest says: every `.wasm` is built
//! from its committed source, exports `run(i32) -> i64`, uses only Wasm 2.0
//! without SIMD, and the recorded checksums are right, checked here against
//! independent Rust computations where the program computes something well
//! known (Fibonacci, primes, SHA-256, CRC-32, the n-body energy).

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use wasmlab_bench::corpus::{self, Manifest, Program};
use wasmlab_contract::{EngineConfig, Features, Val};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(corpus::CORPUS_DIR)
}

fn manifest() -> Manifest {
    Manifest::load(&dir()).expect("programs.json loads")
}

fn program(name: &str) -> Program {
    manifest().programs.into_iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no program {name}"))
}

fn run_on(engine: &str, name: &str, arg: i32) -> i64 {
    let wasm = std::fs::read(dir().join(&program(name).file)).unwrap();
    let engine = wasmlab_registry::create(engine, &EngineConfig::default()).unwrap();
    let mut instance = engine.instantiate_fresh(&wasm).unwrap();
    match instance.call(corpus::ENTRY, &[Val::I32(arg)]).unwrap().as_slice() {
        [Val::I64(v)] => *v,
        other => panic!("run returned {other:?}"),
    }
}

#[test]
fn the_corpus_has_the_promised_variety() {
    let m = manifest();
    assert!(m.programs.len() >= 12, "at least 12 programs");
    let kinds: Vec<&str> = m.programs.iter().map(|p| p.kind.as_str()).collect();
    for kind in [
        "recursion",
        "integer loop",
        "memory",
        "bulk memory",
        "integer hashing",
        "float",
        "branchy",
        "interpreter",
        "call_indirect",
        "compile throughput",
    ] {
        assert!(kinds.iter().any(|k| k.split(", ").any(|k| k == kind)), "no program of kind {kind}");
    }
    let mut names: Vec<&str> = m.programs.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), m.programs.len(), "program names are unique");
}

#[test]
fn every_wasm_is_built_from_its_source() {
    for p in manifest().programs {
        let committed = std::fs::read(dir().join(&p.file)).unwrap_or_else(|e| panic!("{}: {e}", p.file));
        let text = if p.source == "generated" {
            wasmlab_bench::large::wat()
        } else {
            std::fs::read_to_string(dir().join(&p.source)).unwrap()
        };
        let built = wat::parse_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.source));
        assert!(built == committed, "{} is stale: run corpora/bench/build.sh", p.file);
    }
}

#[test]
fn every_program_is_plain_wasm2_with_the_entry_point() {
    for p in manifest().programs {
        let wasm = std::fs::read(dir().join(&p.file)).unwrap();
        Features::WASM2_NO_SIMD.check(&wasm).unwrap_or_else(|e| panic!("{}: {e}", p.name));
        let interface = wasmlab_contract::ModuleInterface::parse(&wasm).unwrap();
        assert!(interface.imports.is_empty(), "{} has imports", p.name);
        let run = interface
            .exports
            .iter()
            .find(|e| e.name == corpus::ENTRY)
            .unwrap_or_else(|| panic!("{} has no run", p.name));
        assert_eq!(run.kind.to_string(), "func [i32] -> [i64]", "{}", p.name);
        assert!(p.expected.is_some() && p.quick_expected.is_some(), "{}: checksums missing, run build.sh", p.name);
    }
}

#[test]
fn the_large_module_has_over_a_megabyte_of_code() {
    let wasm = std::fs::read(dir().join(program("large").file)).unwrap();
    let mut code = 0;
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        if let wasmparser::Payload::CodeSectionStart { size, .. } = payload.unwrap() {
            code = size;
        }
    }
    assert!(code >= 1_000_000, "code section is {code} bytes");
}

#[test]
fn fib_checksums_are_fibonacci_numbers() {
    let fib = |n: i32| (0..n).fold((0i64, 1i64), |(a, b), _| (b, a + b)).0;
    let p = program("fib");
    assert_eq!(p.expected, Some(fib(p.arg)));
    assert_eq!(p.quick_expected, Some(fib(p.quick_arg)));
}

#[test]
fn sieve_checksums_count_and_sum_the_primes() {
    let reference = |n: usize| {
        let mut composite = vec![false; n];
        let (mut count, mut sum) = (0i64, 0i64);
        for i in 2..n {
            if !composite[i] {
                count += 1;
                sum += i as i64;
                for j in (i * i..n).step_by(i) {
                    composite[j] = true;
                }
            }
        }
        (count << 40) ^ sum
    };
    let p = program("sieve");
    assert_eq!(p.quick_expected, Some(reference(p.quick_arg as usize)));
    assert_eq!(p.expected, Some(reference(p.arg as usize)));
}

fn message(len: usize, f: impl Fn(usize) -> usize) -> Vec<u8> {
    (0..len).map(|i| f(i) as u8).collect()
}

#[test]
fn sha256_checksums_are_sha256_digests() {
    let reference = |kib: i32| {
        let msg = message(kib as usize * 1024, |i| 7 * i + (i >> 8));
        let digest = Sha256::digest(&msg);
        i64::from_be_bytes(digest[..8].try_into().unwrap())
    };
    let p = program("sha256");
    assert_eq!(p.quick_expected, Some(reference(p.quick_arg)));
    assert_eq!(p.expected, Some(reference(p.arg)));
    // And the empty message, through the padding-only path.
    assert_eq!(run_on("wasmtime", "sha256", 0), reference(0));
}

#[test]
fn crc32_checksums_are_crc32() {
    // Bitwise, not table-driven: an independent formulation.
    let reference = |kib: i32| {
        let mut crc = !0u32;
        for b in message(kib as usize * 1024, |i| 13 * i + (i >> 5)) {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
            }
        }
        i64::from(!crc)
    };
    let p = program("crc32");
    assert_eq!(p.quick_expected, Some(reference(p.quick_arg)));
    assert_eq!(p.expected, Some(reference(p.arg)));
}

#[test]
fn nbody_energy_matches_the_published_figures() {
    // The Benchmarks Game's outputs: -0.169075164 at the start, -0.169087605
    // after 1000 steps.
    let energy = |n| f64::from_bits(run_on("wasmtime", "nbody", n) as u64);
    assert!((energy(0) - -0.169075164).abs() < 5e-10, "{}", energy(0));
    assert!((energy(1000) - -0.169087605).abs() < 5e-10, "{}", energy(1000));
}

#[test]
fn sort_returns_minus_one_only_for_unsorted_output() {
    // The checksum hashes a verified-sorted array: -1 would mean unsorted.
    let p = program("sort");
    assert_ne!(p.expected, Some(-1));
    assert_eq!(run_on("wasmi", "sort", 100), run_on("wasmtime", "sort", 100));
}
