//! Wasm arithmetic that is more than one machine operation: trapping
//! integer division and remainder, wasm's float `min`/`max` (NaN and signed
//! zeros), NaN-quieting rounding, and trapping float-to-int truncation.
//!
//! One definition for every in-house engine: the interpreter's handlers and
//! the JITs' slow-path helpers call these same functions, so the tiers
//! agree by construction. Integers travel as unsigned bits (`u32`/`u64`),
//! as in raw slots; a trap is the `Err`, for the caller to record.

use wasmlab_contract::Trap;

/// `i32.div_s`: traps on division by zero and on `i32::MIN / -1`.
#[inline]
pub fn div_s32(x: u32, y: u32) -> Result<u32, Trap> {
    let (x, y) = (x as i32, y as i32);
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    x.checked_div(y).map(|v| v as u32).ok_or(Trap::IntegerOverflow)
}

/// `i32.div_u`: traps on division by zero.
#[inline]
pub fn div_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_div(y).ok_or(Trap::IntegerDivisionByZero)
}

/// `i32.rem_s`: traps on division by zero; `i32::MIN % -1` is 0.
#[inline]
pub fn rem_s32(x: u32, y: u32) -> Result<u32, Trap> {
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    Ok((x as i32).wrapping_rem(y as i32) as u32)
}

/// `i32.rem_u`: traps on division by zero.
#[inline]
pub fn rem_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_rem(y).ok_or(Trap::IntegerDivisionByZero)
}

/// `i64.div_s`: traps on division by zero and on `i64::MIN / -1`.
#[inline]
pub fn div_s64(x: u64, y: u64) -> Result<u64, Trap> {
    let (x, y) = (x as i64, y as i64);
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    x.checked_div(y).map(|v| v as u64).ok_or(Trap::IntegerOverflow)
}

/// `i64.div_u`: traps on division by zero.
#[inline]
pub fn div_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_div(y).ok_or(Trap::IntegerDivisionByZero)
}

/// `i64.rem_s`: traps on division by zero; `i64::MIN % -1` is 0.
#[inline]
pub fn rem_s64(x: u64, y: u64) -> Result<u64, Trap> {
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    Ok((x as i64).wrapping_rem(y as i64) as u64)
}

/// `i64.rem_u`: traps on division by zero.
#[inline]
pub fn rem_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_rem(y).ok_or(Trap::IntegerDivisionByZero)
}

/// wasm `min`: NaN if either is NaN, and -0 < +0.
#[inline]
pub fn fmin32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}

/// wasm `max`: NaN if either is NaN, and +0 > -0.
#[inline]
pub fn fmax32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}

/// wasm `min` of f64 (see [`fmin32`]).
#[inline]
pub fn fmin64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}

/// wasm `max` of f64 (see [`fmax32`]).
#[inline]
pub fn fmax64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}

/// `f(x)`, except that a NaN gives a quiet NaN: what wasm requires of
/// rounding and `sqrt`, which in Rust may return a signaling NaN as is.
#[inline(always)]
pub fn quiet_nan32(x: f32, f: impl Fn(f32) -> f32) -> f32 {
    if x.is_nan() { x + x } else { f(x) }
}

/// [`quiet_nan32`] for f64.
#[inline(always)]
pub fn quiet_nan64(x: f64, f: impl Fn(f64) -> f64) -> f64 {
    if x.is_nan() { x + x } else { f(x) }
}

/// Trapping float-to-int conversions (`trunc_{from}_{to}`, taking the
/// float's raw slot): NaN is an invalid conversion, a value whose
/// truncation is out of range an overflow.
macro_rules! trunc {
    ($name:ident, $f:ty, $from:expr, $lo:expr, $hi:expr, $to:ty, $out:expr) => {
        #[inline]
        pub fn $name(raw: u64) -> Result<u64, Trap> {
            let x: $f = ($from)(raw);
            if x.is_nan() {
                return Err(Trap::BadConversionToInteger);
            }
            let t = x.trunc();
            if ($lo..$hi).contains(&t) { Ok(($out)(t as $to)) } else { Err(Trap::IntegerOverflow) }
        }
    };
}
trunc!(trunc_f32_i32, f32, |r: u64| f32::from_bits(r as u32), -2147483648.0, 2147483648.0, i32, |v: i32| v as u32
    as u64);
trunc!(trunc_f32_u32, f32, |r: u64| f32::from_bits(r as u32), 0.0, 4294967296.0, u32, |v: u32| v as u64);
trunc!(trunc_f64_i32, f64, f64::from_bits, -2147483648.0, 2147483648.0, i32, |v: i32| v as u32 as u64);
trunc!(trunc_f64_u32, f64, f64::from_bits, 0.0, 4294967296.0, u32, |v: u32| v as u64);
trunc!(
    trunc_f32_i64,
    f32,
    |r: u64| f32::from_bits(r as u32),
    -9223372036854775808.0,
    9223372036854775808.0,
    i64,
    |v: i64| v as u64
);
trunc!(trunc_f32_u64, f32, |r: u64| f32::from_bits(r as u32), 0.0, 18446744073709551616.0, u64, |v: u64| v);
trunc!(trunc_f64_i64, f64, f64::from_bits, -9223372036854775808.0, 9223372036854775808.0, i64, |v: i64| v as u64);
trunc!(trunc_f64_u64, f64, f64::from_bits, 0.0, 18446744073709551616.0, u64, |v: u64| v);
