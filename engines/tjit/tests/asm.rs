//! Disassembly snapshots of `wasmlab_tjit::asm`: the code the template
//! JIT copies and patches is reviewed as text. Each `tests/asm/NAME.wat`
//! has its listing in `tests/asm/NAME.txt`; `WASMLAB_BLESS=1 cargo test`
//! rewrites them. Beyond the snapshots, the shapes the expansion promises
//! (a compare fused into its branch, `br_table` through a jump table) are
//! checked on the text, so a re-bless cannot silently lose them.

use std::path::{Path, PathBuf};

use wasmlab_contract::Error;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/asm")
}

fn listing(name: &str) -> String {
    let wasm = wat::parse_file(dir().join(format!("{name}.wat"))).unwrap();
    wasmlab_tjit::asm(&wasm, None).unwrap()
}

/// The template names of a listing's `; [id] name vN` headers, in order.
fn templates(listing: &str) -> Vec<&str> {
    listing
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("; ["))
        .filter_map(|l| l.split_once("] "))
        .map(|(_, rest)| rest.rsplit_once(" v").map_or(rest, |(name, _)| name))
        .collect()
}

#[test]
fn listings_match_their_snapshots() {
    let bless = std::env::var_os("WASMLAB_BLESS").is_some();
    let mut wats: Vec<_> = std::fs::read_dir(dir()).unwrap().map(|e| e.unwrap().path()).collect();
    wats.sort();
    let mut checked = 0;
    for wat in wats.iter().filter(|p| p.extension().is_some_and(|e| e == "wat")) {
        let wasm = wat::parse_file(wat).unwrap();
        let got = wasmlab_tjit::asm(&wasm, None).unwrap();
        let snap = wat.with_extension("txt");
        if bless {
            std::fs::write(&snap, &got).unwrap();
        } else {
            let want = std::fs::read_to_string(&snap)
                .unwrap_or_else(|_| panic!("{} has no snapshot: run with WASMLAB_BLESS=1", wat.display()));
            assert_eq!(got, want, "{} changed (WASMLAB_BLESS=1 re-blesses)", wat.display());
        }
        checked += 1;
    }
    assert!(checked >= 6, "{checked} snapshots");
}

const CHILD: &str = "WASMLAB_TJIT_ASM_CHILD";

/// In a child process (see below) prints the listing of `call.wat`,
/// whose code embeds a helper's address; otherwise does nothing.
#[test]
fn child_prints_a_listing() {
    if std::env::var_os(CHILD).is_some() {
        println!("<<<{}>>>", listing("call"));
    }
}

fn listing_in_a_child_process() -> String {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_prints_a_listing", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (_, rest) = text.split_once("<<<").unwrap_or_else(|| panic!("child printed no listing: {text}"));
    rest.split_once(">>>").unwrap().0.to_string()
}

#[test]
fn listings_are_the_same_in_every_process() {
    // Helpers (and so their addresses in the code) move between processes
    // under address-space randomisation; the listing shows them by name,
    // and the whole listing, header included, must not move with them.
    let here = listing("call");
    for _ in 0..2 {
        assert_eq!(listing_in_a_child_process(), here, "the listing differs between processes");
    }
}

/// A listing parsed into pieces: each template's name and its
/// instructions (offset, text), in order.
fn pieces(listing: &str) -> Vec<(&str, Vec<(u32, &str)>)> {
    let mut out: Vec<(&str, Vec<(u32, &str)>)> = Vec::new();
    for line in listing.lines() {
        let l = line.trim_start();
        if let Some(h) = l.strip_prefix("; [") {
            let rest = h.split_once("] ").map_or(h, |(_, r)| r);
            out.push((rest.rsplit_once(" v").map_or(rest, |(n, _)| n), Vec::new()));
        } else if l.starts_with(';') || l.starts_with("func ") || l.is_empty() {
            continue;
        } else if let Some((off, text)) = l.split_once("  ")
            && let Ok(off) = u32::from_str_radix(off, 16)
            && let Some(p) = out.last_mut()
        {
            p.1.push((off, text.trim_start()));
        }
    }
    out
}

#[test]
fn the_loop_compare_fuses_into_its_branch() {
    let l = listing("loop");
    let ps = pieces(&l);
    let at =
        ps.iter().position(|(name, _)| name.contains(".cmp.")).unwrap_or_else(|| panic!("no compare template in\n{l}"));
    let (cmp, cmp_ins) = &ps[at];
    let (jcc, jcc_ins) = &ps.get(at + 1).unwrap_or_else(|| panic!("{cmp} ends the listing\n{l}"));
    assert!(jcc.starts_with("j."), "{cmp} is followed by {jcc}, not a conditional jump template\n{l}");
    assert_eq!(cmp_ins.len(), 1, "{cmp}: {cmp_ins:?}");
    assert!(cmp_ins[0].1.starts_with("cmp "), "{cmp}: {cmp_ins:?}");
    assert_eq!(jcc_ins.len(), 1, "{jcc}: {jcc_ins:?}");
    assert!(jcc_ins[0].1.starts_with('j') && !jcc_ins[0].1.starts_with("jmp"), "{jcc}: {jcc_ins:?}");
    // No boolean is materialised for the branch.
    assert!(!l.contains("  set") && !l.contains("movzx"), "a boolean materialised:\n{l}");
}

#[test]
fn br_table_jumps_through_a_table_of_template_starts() {
    let l = listing("br_table");
    let ps = pieces(&l);
    let (_, ins) = ps.iter().find(|(n, _)| *n == "br_table").unwrap_or_else(|| panic!("no br_table template\n{l}"));
    assert!(ins.iter().any(|(_, t)| t.starts_with("jmp") && t.contains("rax")), "no indirect jump: {ins:?}");
    let starts: Vec<u32> = ps.iter().filter_map(|(_, ins)| ins.first().map(|i| i.0)).collect();
    let (_, table) = l.split_once("; jump table at").unwrap_or_else(|| panic!("no jump table\n{l}"));
    let targets: Vec<u32> = table
        .lines()
        .filter_map(|t| t.split_once("; -> 0x"))
        .map(|(_, hex)| u32::from_str_radix(hex.trim(), 16).unwrap())
        .collect();
    // Three labels: $a, $b and the default $c; each lands on a template.
    assert_eq!(targets.len(), 3, "{table}");
    for t in &targets {
        assert!(starts.contains(t), "jump-table target {t:#x} is not a template start\n{l}");
    }
    let mut distinct = targets.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "{targets:?}");
}

#[test]
fn helper_addresses_are_shown_by_name() {
    let l = listing("call");
    assert!(l.contains("call_defined"), "the call helper is not named:\n{l}");
    // No 64-bit immediate (an absolute address, different in every run)
    // is left: every hex number fits 32 bits.
    for line in l.lines() {
        for (_, hex) in line.match_indices("0x").map(|(i, _)| line.split_at(i + 2)) {
            let digits = hex.chars().take_while(|c| c.is_ascii_hexdigit()).count();
            assert!(digits <= 8, "an address in {line:?}");
        }
    }
    assert_eq!(listing("call"), l);
}

#[test]
fn one_function_is_the_same_as_in_the_whole_listing() {
    let wasm = wat::parse_file(dir().join("call.wat")).unwrap();
    let all = wasmlab_tjit::asm(&wasm, None).unwrap();
    let one = wasmlab_tjit::asm(&wasm, Some(1)).unwrap();
    assert!(one.starts_with("func 1: "), "{one}");
    assert!(all.ends_with(&one), "function 1 alone differs from the whole listing");
    assert_eq!(
        templates(&all).len(),
        templates(&wasmlab_tjit::asm(&wasm, Some(0)).unwrap()).len() + templates(&one).len()
    );
}

#[test]
fn imported_and_missing_functions_are_usage_errors() {
    let wasm = wat::parse_str(r#"(module (import "h" "f" (func)) (func (call 0)))"#).unwrap();
    assert!(matches!(wasmlab_tjit::asm(&wasm, Some(0)), Err(Error::Usage(_))));
    assert!(matches!(wasmlab_tjit::asm(&wasm, Some(2)), Err(Error::Usage(_))));
    let one = wasmlab_tjit::asm(&wasm, Some(1)).unwrap();
    assert!(one.starts_with("func 1: "), "{one}");
    // The import is called through the interpreter's helper, by name.
    assert!(one.contains("call.import") && one.contains("call_ref"), "{one}");
}
