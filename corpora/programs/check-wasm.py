#!/usr/bin/env python3
"""Checks the corpus's benchmark.wasm files against its protocol.

Every module must import only `wasi_snapshot_preview1.*` and
`bench.start` / `bench.end`, export `_start` and `memory`, keep its `name`
section (backtraces name the functions), and use no target feature outside
Wasm 2.0 minus SIMD (per the `target_features` section rustc writes).
rustc's default wasm32 features also name extended-const (a Wasm 3.0
proposal, claimed by the prebuilt standard library): it is allowed in that
section only if no constant expression (globals, element and data segment
offsets) actually uses it.
Prints each module's size and imports, then the distinct WASI functions the
corpus imports. Usage: check-wasm.py FILE.wasm...  Exit code 1 on a violation.
"""

import sys

ALLOWED_FEATURES = {
    "mutable-globals",
    "sign-ext",
    "nontrapping-fptoint",
    "bulk-memory",
    "bulk-memory-opt",
    "multivalue",
    "reference-types",
    "call-indirect-overlong",
    "extended-const",  # checked for use below
}
KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def name(data, pos):
    n, pos = leb(data, pos)
    return data[pos : pos + n].decode("utf-8"), pos + n


def skip_limits(data, pos):
    flags, pos = leb(data, pos)
    _, pos = leb(data, pos)
    if flags & 1:
        _, pos = leb(data, pos)
    return pos


def const_expr(data, pos, found):
    """Skips one constant expression; records it in `found` unless it is a
    single Wasm 2.0 constant instruction followed by `end`."""
    start = pos
    op = data[pos]
    pos += 1
    if op in (0x41, 0x42, 0x23, 0xD2):  # i32.const i64.const global.get ref.func
        _, pos = leb(data, pos)
    elif op == 0x43:  # f32.const
        pos += 4
    elif op == 0x44:  # f64.const
        pos += 8
    elif op == 0xD0:  # ref.null
        pos += 1
    else:
        pos = start
    if pos != start and data[pos] == 0x0B:
        return pos + 1
    end = data.index(0x0B, start)  # good enough to report and move on
    found.append(data[start : end + 1].hex())
    return end + 1


def skip_vec_leb(data, pos):
    count, pos = leb(data, pos)
    for _ in range(count):
        _, pos = leb(data, pos)
    return pos


def parse(data):
    if data[:8] != b"\0asm\1\0\0\0":
        raise ValueError("not a core wasm module (version 1)")
    imports, exports, customs, features, extended = [], [], [], [], []
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(data, pos + 1)
        body, end = pos, pos + size
        if sid == 0:
            cname, p = name(data, body)
            customs.append(cname)
            if cname == "target_features":
                count, p = leb(data, p)
                for _ in range(count):
                    prefix = chr(data[p])
                    feature, p = name(data, p + 1)
                    features.append(prefix + feature)
        elif sid == 2:
            count, p = leb(data, body)
            for _ in range(count):
                module, p = name(data, p)
                field, p = name(data, p)
                kind = data[p]
                p += 1
                if kind == 0:
                    _, p = leb(data, p)
                elif kind == 1:
                    p = skip_limits(data, p + 1)
                elif kind == 2:
                    p = skip_limits(data, p)
                elif kind == 3:
                    p += 2
                else:
                    raise ValueError(f"import kind {kind}")
                imports.append((module, field, KINDS.get(kind, str(kind))))
        elif sid == 6:
            count, p = leb(data, body)
            for _ in range(count):
                p += 2  # value type (a number type in this corpus), mutability
                p = const_expr(data, p, extended)
        elif sid == 9:
            count, p = leb(data, body)
            for _ in range(count):
                flags, p = leb(data, p)
                if flags & 3 == 2:
                    _, p = leb(data, p)  # table index
                if flags & 1 == 0:
                    p = const_expr(data, p, extended)  # active: offset
                if flags & 3 != 0:
                    p += 1  # element kind or reference type
                if flags & 4:
                    n, p = leb(data, p)
                    for _ in range(n):
                        p = const_expr(data, p, extended)
                else:
                    p = skip_vec_leb(data, p)
        elif sid == 11:
            count, p = leb(data, body)
            for _ in range(count):
                flags, p = leb(data, p)
                if flags == 2:
                    _, p = leb(data, p)  # memory index
                if flags != 1:
                    p = const_expr(data, p, extended)
                n, p = leb(data, p)
                p += n
        elif sid == 7:
            count, p = leb(data, body)
            for _ in range(count):
                field, p = name(data, p)
                kind = data[p]
                _, p = leb(data, p + 1)
                exports.append((field, KINDS.get(kind, str(kind))))
        pos = end
    return imports, exports, customs, features, extended


def main(paths):
    ok = True
    wasi = set()
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        imports, exports, customs, features, extended = parse(data)
        problems = []
        for module, field, kind in imports:
            if module == "wasi_snapshot_preview1" and kind == "func":
                wasi.add(field)
            elif not (module == "bench" and field in ("start", "end") and kind == "func"):
                problems.append(f"import {module}.{field} ({kind}) is not allowed")
        for needed in ("bench", "wasi_snapshot_preview1"):
            if not any(m == needed for m, _, _ in imports):
                problems.append(f"imports nothing from {needed}")
        for field, kind in (("_start", "func"), ("memory", "memory")):
            if (field, kind) not in exports:
                problems.append(f"exports no {kind} {field}")
        if "name" not in customs:
            problems.append("has no name section")
        for f in features:
            if f[0] == "+" and f[1:] not in ALLOWED_FEATURES:
                problems.append(f"uses target feature {f[1:]}")
        for expr in extended:
            problems.append(f"constant expression beyond Wasm 2.0: {expr}")
        print(f"{path}: {len(data)} bytes, {len(imports)} imports, custom sections {customs}")
        print(f"  features: {' '.join(sorted(features))}")
        for p in problems:
            print(f"  ERROR: {p}")
        ok = ok and not problems
    print(f"WASI functions imported across the corpus ({len(wasi)}):")
    for field in sorted(wasi):
        print(f"  wasi_snapshot_preview1.{field}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
