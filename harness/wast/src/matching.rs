//! Turning spec-test arguments into values and judging results against
//! the expected patterns (`nan:canonical`, `nan:arithmetic`, v128 lanes,
//! reference forms).

use wasmlab_contract::Val;
use wast::core::{AbstractHeapType, HeapType, NanPattern, V128Pattern, WastArgCore, WastRetCore};
use wast::{WastArg, WastRet};

/// A spec-test argument as a value; `Err` names a form outside Wasm 2.0.
pub fn arg_to_val(arg: &WastArg<'_>) -> Result<Val, String> {
    let WastArg::Core(core) = arg else {
        return Err("component-model argument".into());
    };
    Ok(match core {
        WastArgCore::I32(x) => Val::I32(*x),
        WastArgCore::I64(x) => Val::I64(*x),
        WastArgCore::F32(f) => Val::F32(f.bits),
        WastArgCore::F64(f) => Val::F64(f.bits),
        WastArgCore::V128(v) => Val::V128(u128::from_le_bytes(v.to_le_bytes())),
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Func, .. }) => Val::FuncRef(None),
        WastArgCore::RefNull(HeapType::Abstract { ty: AbstractHeapType::Extern, .. }) => Val::ExternRef(None),
        WastArgCore::RefExtern(x) => Val::ExternRef(Some(*x)),
        other => return Err(format!("argument {other:?}")),
    })
}

/// Whether `actual` satisfies `expected`.
pub fn matches(expected: &WastRet<'_>, actual: &Val) -> bool {
    match expected {
        WastRet::Core(core) => matches_core(core, actual),
        #[allow(unreachable_patterns)]
        _ => false,
    }
}

fn matches_core(expected: &WastRetCore<'_>, actual: &Val) -> bool {
    match (expected, actual) {
        (WastRetCore::I32(e), Val::I32(a)) => e == a,
        (WastRetCore::I64(e), Val::I64(a)) => e == a,
        (WastRetCore::F32(p), Val::F32(a)) => f32_matches(p, *a),
        (WastRetCore::F64(p), Val::F64(a)) => f64_matches(p, *a),
        (WastRetCore::V128(p), Val::V128(a)) => v128_matches(p, *a),
        (WastRetCore::RefNull(ty), Val::FuncRef(None)) => {
            matches!(ty, None | Some(HeapType::Abstract { ty: AbstractHeapType::Func | AbstractHeapType::NoFunc, .. }))
        }
        (WastRetCore::RefNull(ty), Val::ExternRef(None)) => {
            matches!(
                ty,
                None | Some(HeapType::Abstract { ty: AbstractHeapType::Extern | AbstractHeapType::NoExtern, .. })
            )
        }
        (WastRetCore::RefExtern(None), Val::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(e)), Val::ExternRef(Some(a))) => e == a,
        (WastRetCore::RefFunc(_), Val::FuncRef(Some(_))) => true,
        (WastRetCore::Either(options), a) => options.iter().any(|o| matches_core(o, a)),
        _ => false,
    }
}

fn f32_matches(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match p {
        // Canonical: quiet bit only, any sign.
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        // Arithmetic: exponent all ones and quiet bit set, any payload.
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn f64_matches(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn v128_matches(p: &V128Pattern, v: u128) -> bool {
    let b = v.to_le_bytes();
    match p {
        V128Pattern::I8x16(l) => l.iter().enumerate().all(|(i, x)| *x as u8 == b[i]),
        V128Pattern::I16x8(l) => l.iter().enumerate().all(|(i, x)| x.to_le_bytes() == b[i * 2..i * 2 + 2]),
        V128Pattern::I32x4(l) => l.iter().enumerate().all(|(i, x)| x.to_le_bytes() == b[i * 4..i * 4 + 4]),
        V128Pattern::I64x2(l) => l.iter().enumerate().all(|(i, x)| x.to_le_bytes() == b[i * 8..i * 8 + 8]),
        V128Pattern::F32x4(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f32_matches(p, u32::from_le_bytes(b[i * 4..i * 4 + 4].try_into().unwrap()))),
        V128Pattern::F64x2(l) => l
            .iter()
            .enumerate()
            .all(|(i, p)| f64_matches(p, u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap()))),
    }
}

/// The expected results as text, for failure reports.
pub fn describe(expected: &[WastRet<'_>]) -> String {
    let parts: Vec<String> = expected
        .iter()
        .map(|r| match r {
            WastRet::Core(c) => describe_core(c),
            #[allow(unreachable_patterns)]
            _ => "component value".into(),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn describe_core(c: &WastRetCore<'_>) -> String {
    let nan32 = |p: &NanPattern<wast::token::F32>| match p {
        NanPattern::CanonicalNan => "nan:canonical".to_string(),
        NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
        NanPattern::Value(v) => Val::F32(v.bits).to_string(),
    };
    let nan64 = |p: &NanPattern<wast::token::F64>| match p {
        NanPattern::CanonicalNan => "nan:canonical".to_string(),
        NanPattern::ArithmeticNan => "nan:arithmetic".to_string(),
        NanPattern::Value(v) => Val::F64(v.bits).to_string(),
    };
    match c {
        WastRetCore::I32(x) => Val::I32(*x).to_string(),
        WastRetCore::I64(x) => Val::I64(*x).to_string(),
        WastRetCore::F32(p) => format!("f32:{}", nan32(p)),
        WastRetCore::F64(p) => format!("f64:{}", nan64(p)),
        WastRetCore::V128(p) => format!("v128:{p:?}"),
        WastRetCore::RefNull(_) => "ref.null".into(),
        WastRetCore::RefExtern(Some(x)) => format!("ref.extern {x}"),
        WastRetCore::RefExtern(None) => "ref.extern".into(),
        WastRetCore::RefFunc(_) => "ref.func".into(),
        WastRetCore::Either(o) => format!("either({})", o.iter().map(describe_core).collect::<Vec<_>>().join(" | ")),
        other => format!("{other:?}"),
    }
}

pub fn describe_vals(vals: &[Val]) -> String {
    format!("[{}]", vals.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wast::parser::{self, ParseBuffer};

    /// Parses `(assert_return (invoke "f") RESULT)` and returns the check.
    fn check(result: &str, actual: Val) -> bool {
        let text = format!("(assert_return (invoke \"f\") {result})");
        let buf = ParseBuffer::new(&text).unwrap();
        let wast: wast::Wast = parser::parse(&buf).unwrap();
        match &wast.directives[0] {
            wast::WastDirective::AssertReturn { results, .. } => matches(&results[0], &actual),
            _ => unreachable!(),
        }
    }

    #[test]
    fn integers_and_floats_match_exactly() {
        assert!(check("(i32.const -1)", Val::I32(-1)));
        assert!(!check("(i32.const -1)", Val::I32(1)));
        assert!(!check("(i32.const 1)", Val::I64(1)), "type must match");
        assert!(check("(f32.const -0)", Val::F32(0x8000_0000)));
        assert!(!check("(f32.const 0)", Val::F32(0x8000_0000)), "-0 is not +0");
        assert!(check("(f64.const 0x1p-1074)", Val::F64(1)));
    }

    #[test]
    fn nan_patterns() {
        assert!(check("(f32.const nan:canonical)", Val::F32(0x7fc0_0000)));
        assert!(check("(f32.const nan:canonical)", Val::F32(0xffc0_0000)));
        assert!(!check("(f32.const nan:canonical)", Val::F32(0x7fc0_0001)));
        assert!(check("(f32.const nan:arithmetic)", Val::F32(0x7fc0_0001)));
        assert!(!check("(f32.const nan:arithmetic)", Val::F32(0x7f80_0001)), "signalling NaN is not arithmetic");
        assert!(check("(f64.const nan:canonical)", Val::F64(0x7ff8_0000_0000_0000)));
        assert!(!check("(f64.const nan:arithmetic)", Val::F64(0x7ff0_0000_0000_0001)));
        assert!(check("(f32.const nan:0x200000)", Val::F32(0x7fa0_0000)));
        assert!(!check("(f32.const nan:0x200000)", Val::F32(0x7fc0_0000)));
    }

    #[test]
    fn v128_lanes() {
        let v = u128::from_le_bytes([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        assert!(check("(v128.const i32x4 1 2 3 -1)", Val::V128(v)));
        assert!(!check("(v128.const i32x4 1 2 3 4)", Val::V128(v)));
        assert!(check("(v128.const i8x16 1 0 0 0 2 0 0 0 3 0 0 0 -1 -1 -1 -1)", Val::V128(v)));
        let nan = u128::from(0x7fc0_0000u32) | (u128::from(0x3f80_0000u32) << 32);
        assert!(check("(v128.const f32x4 nan:canonical 1.0 0 0)", Val::V128(nan)));
        assert!(!check("(v128.const f32x4 1.0 nan:canonical 0 0)", Val::V128(nan)));
    }

    #[test]
    fn references() {
        assert!(check("(ref.null func)", Val::FuncRef(None)));
        assert!(!check("(ref.null func)", Val::ExternRef(None)));
        assert!(check("(ref.null extern)", Val::ExternRef(None)));
        assert!(check("(ref.extern 3)", Val::ExternRef(Some(3))));
        assert!(!check("(ref.extern 3)", Val::ExternRef(Some(4))));
        assert!(!check("(ref.extern 3)", Val::ExternRef(None)));
        assert!(check("(ref.func)", Val::FuncRef(Some(0))));
        assert!(!check("(ref.func)", Val::FuncRef(None)));
    }

    #[test]
    fn either() {
        assert!(check("(either (i32.const 1) (i32.const 2))", Val::I32(2)));
        assert!(!check("(either (i32.const 1) (i32.const 2))", Val::I32(3)));
    }
}
