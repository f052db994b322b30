//! Disassembly snapshots of small functions: the generated code is
//! reviewed as text. Each `tests/asm/NAME.wat` has its listing in
//! `tests/asm/NAME.txt`; `WASMLAB_BLESS=1 cargo test` rewrites them.

use std::path::Path;

#[test]
fn listings_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/asm");
    let bless = std::env::var_os("WASMLAB_BLESS").is_some();
    let mut checked = 0;
    let mut wats: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    wats.sort();
    for wat in wats.iter().filter(|p| p.extension().is_some_and(|e| e == "wat")) {
        let wasm = wat::parse_file(wat).unwrap();
        let got = wasmlab_regjit::engine::asm(&wasm, None).unwrap();
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
    assert!(checked >= 4, "{checked} snapshots");
}
