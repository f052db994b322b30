#!/usr/bin/env bash
# Rebuilds the benchmark corpus: assembles each .wat into its .wasm,
# generates large.wasm, and records the expected checksums (agreed on by
# wasmtime and wasmi) in programs.json. Needs only cargo.
#   corpora/bench/build.sh                  everything
#   corpora/bench/build.sh --no-checksums   assemble only
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
exec cargo run --release -q -p wasmlab-bench --bin wasmlab-corpus -- "$@" corpora/bench
