//! regex: search an English-like text with the `regex` crate.
//!
//! Reads `default.input`, then (measured) compiles a handful of patterns —
//! word boundaries, case folding, alternation, captures, Unicode classes —
//! counts their matches, sums captured fields and rewrites every date with
//! `replace_all`. Prints the counts and an FNV-1a checksum of the rewrite.
//! `args[1]`: repetitions of the measured work (default 1).

use regex::Regex;
use std::fmt::Write as _;

/// Passes over the text per repetition (sizes the default run).
const PASSES: u32 = 2;

fn search(text: &str) -> String {
    let mut out = String::new();

    let counted = [
        ("the (case-insensitive word)", r"(?i)\bthe\b"),
        ("names (alternation)", r"\b(?:Holmes|Watson|Lestrade|Moriarty|Hudson|Adler|Mycroft)\b"),
        ("words ending in -ing", r"\b\w+ing\b"),
        ("capitalised words", r"\b\p{Lu}\p{Ll}+\b"),
        ("non-ASCII runs", r"[^\x00-\x7F]+"),
        ("questions at line end", r"(?m)\?$"),
        ("chapter headings", r"(?m)^CHAPTER [0-9]+$"),
    ];
    for (label, pattern) in counted {
        let re = Regex::new(pattern).expect("pattern compiles");
        let _ = writeln!(out, "{label}: {}", re.find_iter(text).count());
    }

    let date = Regex::new(r"\b(\d{4})-(\d{2})-(\d{2})\b").expect("pattern compiles");
    let (mut n, mut years, mut months, mut days) = (0u64, 0u64, 0u64, 0u64);
    for caps in date.captures_iter(text) {
        n += 1;
        years += caps[1].parse::<u64>().unwrap();
        months += caps[2].parse::<u64>().unwrap();
        days += caps[3].parse::<u64>().unwrap();
    }
    let _ = writeln!(out, "dates: {n} (year sum {years}, month sum {months}, day sum {days})");

    let email = Regex::new(r"<(?P<user>[a-z]+)\.(?P<last>[a-z]+)@(?P<host>[a-z]+)\.(?P<tld>[a-z.]+)>")
        .expect("pattern compiles");
    let (mut n, mut host_bytes, mut uk) = (0u64, 0u64, 0u64);
    for caps in email.captures_iter(text) {
        n += 1;
        host_bytes += caps["host"].len() as u64;
        uk += u64::from(&caps["tld"] == "co.uk");
    }
    let _ = writeln!(out, "e-mail addresses: {n} (host bytes {host_bytes}, .co.uk {uk})");

    let rewritten = date.replace_all(text, "$3/$2/$1");
    let _ = writeln!(
        out,
        "dates rewritten: {} bytes, fnv1a64 {:016x}",
        rewritten.len(),
        bench_api::fnv1a64(rewritten.as_bytes())
    );
    out
}

fn main() {
    let reps = bench_api::repetitions();
    let input = bench_api::read_input();
    let text = match std::str::from_utf8(&input) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: default.input is not UTF-8: {e}");
            std::process::exit(1);
        }
    };

    bench_api::start();
    let mut report = String::new();
    for _ in 0..reps * PASSES {
        report = std::hint::black_box(search(std::hint::black_box(text)));
    }
    bench_api::end();

    println!("input: {} bytes", text.len());
    print!("{report}");
}
