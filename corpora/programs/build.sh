#!/usr/bin/env bash
# Rebuilds the program corpus: every <name>/default.input, <name>/benchmark.wasm
# and <name>/expected.stdout. Run from anywhere; needs cargo, the
# wasm32-wasip1 target (`rustup target add wasm32-wasip1`) and python3.
#
#   ./build.sh            rebuild everything
#   ./build.sh --check    rebuild, then fail if any committed file changed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

programs=(regex json deflate markdown sha256 lz4)

if command -v rustup >/dev/null 2>&1 && ! rustup target list --installed | grep -qx wasm32-wasip1; then
    echo "the wasm32-wasip1 target is missing: run 'rustup target add wasm32-wasip1'" >&2
    exit 1
fi

# Keep paths of the build machine out of the modules (panic locations name
# source files): registry sources read as /cargo/..., the corpus as ./...
# The same flags build the native runs, so both builds see the same code.
cargo_home="${CARGO_HOME:-$HOME/.cargo}"
export RUSTFLAGS="${RUSTFLAGS:-} --remap-path-prefix=$cargo_home=/cargo --remap-path-prefix=$here=."
export CARGO_TARGET_DIR="$here/target"

echo "== inputs"
cargo run --quiet --release --locked -p gen-inputs -- .

echo "== wasm32-wasip1 build"
packages=()
for p in "${programs[@]}"; do packages+=(-p "bench-$p"); done
cargo build --release --locked --target wasm32-wasip1 "${packages[@]}"
for p in "${programs[@]}"; do
    cp "target/wasm32-wasip1/release/bench-$p.wasm" "$p/benchmark.wasm"
done

echo "== expected.stdout (native runs)"
for p in "${programs[@]}"; do
    (cd "$p" && cargo run --quiet --release --locked -p "bench-$p" >expected.stdout)
    printf '%-10s %s\n' "$p" "$(head -c 200 "$p/expected.stdout" | head -1)"
done

echo "== module checks"
python3 check-wasm.py "${programs[@]/%//benchmark.wasm}"

if [[ "${1:-}" == "--check" ]]; then
    if ! git diff --exit-code --stat -- .; then
        echo "the rebuilt corpus differs from the committed one" >&2
        exit 1
    fi
    echo "the rebuilt corpus matches the committed one"
fi
