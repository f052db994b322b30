//! Values as text (for reproducers and the worker protocol) and the argument
//! generator: half the time a special value, otherwise arbitrary bits.

use wasmlab_contract::{Error, Val, ValType};

use crate::rng::Rng;

/// A value as a short, exact, human-readable string: `i32:-1`,
/// `f32:0x7fc00000` (floats as bits, so NaN payloads survive), `v128:0x..`,
/// `funcref:null`, `externref:7`.
pub fn to_text(v: &Val) -> String {
    match *v {
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        Val::F32(b) => format!("f32:0x{b:08x}"),
        Val::F64(b) => format!("f64:0x{b:016x}"),
        Val::V128(x) => format!("v128:0x{x:032x}"),
        Val::FuncRef(None) => "funcref:null".into(),
        Val::FuncRef(Some(h)) => format!("funcref:{h}"),
        Val::ExternRef(None) => "externref:null".into(),
        Val::ExternRef(Some(h)) => format!("externref:{h}"),
    }
}

/// Parses what [`to_text`] writes.
pub fn from_text(s: &str) -> Result<Val, Error> {
    let bad = || Error::Usage(format!("bad value '{s}' (expected e.g. i32:5, f32:0x3f800000, funcref:null)"));
    let (ty, v) = s.split_once(':').ok_or_else(bad)?;
    fn hex(v: &str) -> Option<&str> {
        v.strip_prefix("0x")
    }
    Ok(match ty {
        "i32" => Val::I32(v.parse().map_err(|_| bad())?),
        "i64" => Val::I64(v.parse().map_err(|_| bad())?),
        "f32" => Val::F32(u32::from_str_radix(hex(v).ok_or_else(bad)?, 16).map_err(|_| bad())?),
        "f64" => Val::F64(u64::from_str_radix(hex(v).ok_or_else(bad)?, 16).map_err(|_| bad())?),
        "v128" => Val::V128(u128::from_str_radix(hex(v).ok_or_else(bad)?, 16).map_err(|_| bad())?),
        "funcref" | "externref" => {
            let h = if v == "null" { None } else { Some(v.parse().map_err(|_| bad())?) };
            if ty == "funcref" { Val::FuncRef(h) } else { Val::ExternRef(h) }
        }
        _ => return Err(bad()),
    })
}

pub const SPECIAL_I32: &[i32] = &[0, 1, -1, i32::MIN, i32::MAX, 2, 31, 32, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff];
pub const SPECIAL_I64: &[i64] = &[
    0,
    1,
    -1,
    i64::MIN,
    i64::MAX,
    2,
    63,
    64,
    0x80,
    0x8000,
    0x8000_0000,
    0xffff_ffff,
    i32::MIN as i64,
    i32::MAX as i64,
];
pub const SPECIAL_F32: &[u32] = &[
    0x0000_0000, // +0
    0x8000_0000, // -0
    0x3f80_0000, // 1
    0xbf80_0000, // -1
    0x7fc0_0000, // NaN
    0xffc0_0000, // -NaN
    0x7f80_0000, // +inf
    0xff80_0000, // -inf
    0x0000_0001, // smallest subnormal
    0x0080_0000, // smallest normal
    0x7f7f_ffff, // MAX
    0xff7f_ffff, // MIN
    0x3f00_0000, // 0.5
    0xbfc0_0000, // -1.5
    0x4f00_0000, // 2^31
    0xcf00_0000, // -2^31
    0xcf00_0001, // just below -2^31
    0x4f80_0000, // 2^32
    0x5f00_0000, // 2^63
    0x5f80_0000, // 2^64
];
pub const SPECIAL_F64: &[u64] = &[
    0x0000_0000_0000_0000,
    0x8000_0000_0000_0000,
    0x3ff0_0000_0000_0000, // 1
    0xbff0_0000_0000_0000, // -1
    0x7ff8_0000_0000_0000, // NaN
    0xfff8_0000_0000_0000, // -NaN
    0x7ff0_0000_0000_0000, // +inf
    0xfff0_0000_0000_0000, // -inf
    0x0000_0000_0000_0001, // smallest subnormal
    0x0010_0000_0000_0000, // smallest normal
    0x7fef_ffff_ffff_ffff, // MAX
    0xffef_ffff_ffff_ffff, // MIN
    0x3fe0_0000_0000_0000, // 0.5
    0xbff8_0000_0000_0000, // -1.5
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0020_0000, // -2^31 - 1 (just out of i32 range)
    0x41df_ffff_ffc0_0000, // 2^31 - 1
    0x41f0_0000_0000_0000, // 2^32
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x43f0_0000_0000_0000, // 2^64
];

/// Special values of a type, in a fixed order (the single-instruction
/// modules take cross products of these).
pub fn specials(ty: ValType) -> Vec<Val> {
    match ty {
        ValType::I32 => SPECIAL_I32.iter().map(|&x| Val::I32(x)).collect(),
        ValType::I64 => SPECIAL_I64.iter().map(|&x| Val::I64(x)).collect(),
        ValType::F32 => SPECIAL_F32.iter().map(|&x| Val::F32(x)).collect(),
        ValType::F64 => SPECIAL_F64.iter().map(|&x| Val::F64(x)).collect(),
        ValType::V128 => {
            let mut v = vec![Val::V128(0), Val::V128(u128::MAX)];
            // Every lane a special value, for each lane shape.
            let splat = |lane: u128, bits: u32| (0..128 / bits).fold(0u128, |acc, i| acc | (lane << (i * bits)));
            for &x in &[1u128, 0x7f, 0x80, 0xff] {
                v.push(Val::V128(splat(x, 8)));
            }
            for &x in &[0x7fffu128, 0x8000, 0xffff] {
                v.push(Val::V128(splat(x, 16)));
            }
            for &x in SPECIAL_F32 {
                v.push(Val::V128(splat(x as u128, 32)));
            }
            for &x in SPECIAL_F64 {
                v.push(Val::V128(splat(x as u128, 64)));
            }
            // Mixed lanes.
            v.push(Val::V128(
                (SPECIAL_F32[4] as u128)
                    | (SPECIAL_F32[1] as u128) << 32
                    | (SPECIAL_F32[6] as u128) << 64
                    | (0x4f00_0000u128 << 96),
            ));
            v.push(Val::V128(0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100));
            v
        }
        ValType::FuncRef => vec![Val::FuncRef(None)],
        ValType::ExternRef => vec![Val::ExternRef(None), Val::ExternRef(Some(0)), Val::ExternRef(Some(1))],
    }
}

/// An argument: half the time a special value, otherwise arbitrary.
pub fn arbitrary(ty: ValType, rng: &mut Rng) -> Val {
    if rng.coin() {
        let s = specials(ty);
        return *rng.pick(&s);
    }
    match ty {
        ValType::I32 => Val::I32(rng.next_u32() as i32),
        ValType::I64 => Val::I64(rng.next_u64() as i64),
        ValType::F32 => Val::F32(rng.next_u32()),
        ValType::F64 => Val::F64(rng.next_u64()),
        ValType::V128 => Val::V128((rng.next_u64() as u128) << 64 | rng.next_u64() as u128),
        // Only null function references can be made without an instance.
        ValType::FuncRef => Val::FuncRef(None),
        ValType::ExternRef => Val::ExternRef(Some(rng.next_u32() % 1000)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_every_kind() {
        let vals = [
            Val::I32(-5),
            Val::I64(i64::MIN),
            Val::F32(0xffc0_0001),
            Val::F64(0x8000_0000_0000_0000),
            Val::V128(u128::MAX - 3),
            Val::FuncRef(None),
            Val::FuncRef(Some(2)),
            Val::ExternRef(None),
            Val::ExternRef(Some(9)),
        ];
        for v in vals {
            assert_eq!(from_text(&to_text(&v)).unwrap(), v, "{}", to_text(&v));
        }
        assert!(from_text("i32").is_err());
        assert!(from_text("f32:1.0").is_err());
        assert!(from_text("q:1").is_err());
    }

    #[test]
    fn arbitrary_mixes_specials_and_random_bits() {
        let mut rng = Rng::new(1);
        let vals: Vec<Val> = (0..200).map(|_| arbitrary(ValType::I32, &mut rng)).collect();
        let special = vals.iter().filter(|v| matches!(v, Val::I32(x) if SPECIAL_I32.contains(x))).count();
        assert!((50..150).contains(&special), "{special} of 200 special");
        for ty in [ValType::F64, ValType::V128, ValType::ExternRef] {
            assert_eq!(arbitrary(ty, &mut rng).ty(), ty);
        }
    }
}
