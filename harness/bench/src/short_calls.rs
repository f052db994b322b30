//! The short-call workload: a tiny exported function that the bench calls
//! a few thousand times on a fresh instance of every engine. Its latency
//! tail is what tiering costs a caller whose calls are short (the moment a
//! function is compiled and switched to included), which the `run` of a
//! corpus program, doing milliseconds of work per call, would hide. No
//! corpus program exports anything cheaper than `run`, so the module is
//! built here. Like the corpus, it checks itself: every call's result is
//! compared with [`expected`].

/// The export called.
pub const EXPORT: &str = "short";

/// What the dashboard says was called.
pub const DESCRIPTION: &str = "short(x): eight rounds of a multiply-xorshift mix, each round a call";

/// `short` loops over a helper, so a tiered engine has a hot call and a
/// hot loop to compile, as short real-world calls do.
const WAT: &str = r#"
(module
  (func $mix (param $x i32) (result i32)
    local.get $x
    i32.const 0x9e3779b9
    i32.mul
    local.get $x
    i32.const 15
    i32.shr_u
    i32.xor)
  (func (export "short") (param $x i32) (result i32)
    (local $i i32)
    (loop $round
      local.get $x
      call $mix
      local.set $x
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 8
      i32.lt_u
      br_if $round)
    local.get $x))
"#;

/// The module's bytes.
pub fn wasm() -> Result<Vec<u8>, String> {
    wat::parse_str(WAT).map_err(|e| format!("the short-call module does not assemble: {e}"))
}

/// The argument of call `i`: a different one each time, so no engine can
/// get away with returning the last result.
pub fn arg(i: usize) -> i32 {
    (i as u32).wrapping_mul(2_654_435_761) as i32
}

/// What `short(x)` returns.
pub fn expected(x: i32) -> i32 {
    let mut x = x as u32;
    for _ in 0..8 {
        x = x.wrapping_mul(0x9e37_79b9) ^ (x >> 15);
    }
    x as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_contract::{EngineConfig, Val};

    #[test]
    fn the_reference_and_the_interpreter_compute_what_expected_says() {
        let wasm = wasm().unwrap();
        for engine in ["wasmtime", "interp"] {
            let engine = wasmlab_registry::create(engine, &EngineConfig::default()).unwrap();
            let mut instance = engine.instantiate_fresh(&wasm).unwrap();
            for i in [0, 1, 2, 77, 4096, usize::MAX] {
                let x = arg(i);
                assert_eq!(instance.call(EXPORT, &[Val::I32(x)]).unwrap(), [Val::I32(expected(x))], "{i}");
            }
        }
    }

    #[test]
    fn arguments_differ_from_call_to_call() {
        assert_ne!(arg(1), arg(2));
        assert_ne!(expected(arg(1)), expected(arg(2)));
    }
}
