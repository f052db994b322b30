//! The peak-memory child's measurement, in a test process of its own: peak
//! RSS is process-wide, so a benchmark running on another test thread
//! would raise the peak before the child reads its base.

use std::path::PathBuf;

use wasmlab_bench::corpus::{self, Manifest};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(corpus::CORPUS_DIR)
}

#[test]
fn the_child_measures_peak_memory() {
    let report = wasmlab_bench::measure::child("wasmi", "sieve", 300_000, Some(&corpus_dir()), None).unwrap();
    assert!(report.base_rss_bytes > 0);
    // The sieve grows memory to 300 kB and touches all of it.
    assert!(report.peak_rss_bytes >= report.base_rss_bytes + 300_000, "{report:?}");
    let expected =
        Manifest::load(&corpus_dir()).unwrap().programs.into_iter().find(|p| p.name == "sieve").unwrap().quick_expected;
    assert_eq!(Some(report.checksum), expected);
}
