//! Proposal sets: what an engine supports, what a module needs, and the
//! check that turns "needs more than the engine has" into
//! [`Error::Unsupported`] instead of a failure.

use std::fmt;

use wasmparser::{Validator, WasmFeatures};

use crate::Error;

/// A set of WebAssembly proposals, by name.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Features(u32);

macro_rules! proposals {
    ($($konst:ident = $bit:expr, $name:literal, $wp:ident;)*) => {
        impl Features {
            $(pub const $konst: Features = Features(1 << $bit);)*

            /// Every proposal the lab knows, with its name.
            pub const KNOWN: &'static [(Features, &'static str)] = &[$((Features::$konst, $name),)*];

            fn wasmparser_flag(single: Features) -> WasmFeatures {
                $(if single == Features::$konst { return WasmFeatures::$wp; })*
                WasmFeatures::empty()
            }
        }
    };
}

proposals! {
    MUTABLE_GLOBAL = 0, "mutable-global", MUTABLE_GLOBAL;
    SATURATING_FLOAT_TO_INT = 1, "saturating-float-to-int", SATURATING_FLOAT_TO_INT;
    SIGN_EXTENSION = 2, "sign-extension", SIGN_EXTENSION;
    MULTI_VALUE = 3, "multi-value", MULTI_VALUE;
    BULK_MEMORY = 4, "bulk-memory", BULK_MEMORY;
    REFERENCE_TYPES = 5, "reference-types", REFERENCE_TYPES;
    SIMD = 6, "simd", SIMD;
    RELAXED_SIMD = 7, "relaxed-simd", RELAXED_SIMD;
    TAIL_CALL = 8, "tail-call", TAIL_CALL;
    MULTI_MEMORY = 9, "multi-memory", MULTI_MEMORY;
    MEMORY64 = 10, "memory64", MEMORY64;
    EXTENDED_CONST = 11, "extended-const", EXTENDED_CONST;
    THREADS = 12, "threads", THREADS;
    EXCEPTIONS = 13, "exceptions", EXCEPTIONS;
    FUNCTION_REFERENCES = 14, "function-references", FUNCTION_REFERENCES;
    GC = 15, "gc", GC;
    WIDE_ARITHMETIC = 16, "wide-arithmetic", WIDE_ARITHMETIC;
    CUSTOM_PAGE_SIZES = 17, "custom-page-sizes", CUSTOM_PAGE_SIZES;
}

impl Features {
    pub const NONE: Features = Features(0);
    /// WebAssembly 1.0 (MVP plus mutable globals in imports/exports).
    pub const WASM1: Features = Features::MUTABLE_GLOBAL;
    /// WebAssembly 2.0: the profile of the shared spec testsuite.
    pub const WASM2: Features = Features(
        Features::WASM1.0
            | Features::SATURATING_FLOAT_TO_INT.0
            | Features::SIGN_EXTENSION.0
            | Features::MULTI_VALUE.0
            | Features::BULK_MEMORY.0
            | Features::REFERENCE_TYPES.0
            | Features::SIMD.0,
    );
    /// Wasm 2.0 without SIMD.
    pub const WASM2_NO_SIMD: Features = Features(Features::WASM2.0 & !Features::SIMD.0);

    pub const fn union(self, other: Features) -> Features {
        Features(self.0 | other.0)
    }
    pub const fn intersection(self, other: Features) -> Features {
        Features(self.0 & other.0)
    }
    pub const fn difference(self, other: Features) -> Features {
        Features(self.0 & !other.0)
    }
    pub const fn contains(self, other: Features) -> bool {
        self.0 & other.0 == other.0
    }
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn all_known() -> Features {
        Features::KNOWN.iter().fold(Features::NONE, |acc, (f, _)| acc.union(*f))
    }

    /// The single proposals in this set.
    pub fn iter(self) -> impl Iterator<Item = (Features, &'static str)> {
        Features::KNOWN.iter().copied().filter(move |(f, _)| self.contains(*f))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(|(_, n)| n).collect()
    }

    /// Parses a proposal name (as listed in [`Features::KNOWN`]), or a
    /// profile: `wasm1`, `wasm2`, `wasm2-no-simd`.
    pub fn parse(name: &str) -> Result<Features, Error> {
        match name {
            "wasm1" => return Ok(Features::WASM1),
            "wasm2" => return Ok(Features::WASM2),
            "wasm2-no-simd" => return Ok(Features::WASM2_NO_SIMD),
            _ => {}
        }
        Features::KNOWN.iter().find(|(_, n)| *n == name).map(|(f, _)| *f).ok_or_else(|| {
            let known: Vec<_> = Features::KNOWN.iter().map(|(_, n)| *n).collect();
            Error::Usage(format!("unknown proposal '{name}'; known: wasm1, wasm2, wasm2-no-simd, {}", known.join(", ")))
        })
    }

    /// The wasmparser feature set that accepts exactly these proposals
    /// (plus the always-on MVP constructs).
    pub fn to_wasmparser(self) -> WasmFeatures {
        let mut wp = WasmFeatures::MVP;
        for (f, _) in self.iter() {
            wp |= Features::wasmparser_flag(f);
        }
        wp
    }

    /// Validates `wasm` for an engine supporting `self`.
    ///
    /// - valid under `self`: `Ok`;
    /// - valid only with more proposals: [`Error::Unsupported`] naming them;
    /// - invalid under every proposal: [`Error::Invalid`] with the offset.
    pub fn check(self, wasm: &[u8]) -> Result<(), Error> {
        let err = match validate(self, wasm) {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let extra = Features::all_known().difference(self);
        if extra.is_empty() || validate(self.union(extra), wasm).is_err() {
            return Err(err);
        }
        // Drop every extra proposal the module can do without; what is
        // left is what it needs.
        let mut needed = extra;
        for (f, _) in extra.iter() {
            let without = needed.difference(f);
            if validate(self.union(without), wasm).is_ok() {
                needed = without;
            }
        }
        Err(Error::Unsupported(needed.to_string()))
    }
}

fn validate(features: Features, wasm: &[u8]) -> Result<(), Error> {
    Validator::new_with_features(features.to_wasmparser()).validate_all(wasm).map(|_| ()).map_err(Error::from)
}

impl fmt::Display for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("mvp");
        }
        f.write_str(&self.names().join(", "))
    }
}

impl fmt::Debug for Features {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Features({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wasm(bytes: &[u8]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend_from_slice(bytes);
        m
    }

    /// `(module (func (result v128) v128.const i64x2 0 0))`
    fn simd_module() -> Vec<u8> {
        let mut body = vec![0x00, 0xfd, 0x0c];
        body.extend_from_slice(&[0; 16]);
        body.push(0x0b);
        let mut code = vec![0x01, body.len() as u8];
        code.extend_from_slice(&body);
        let mut sections = vec![0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00, 0x0a];
        sections.push(code.len() as u8);
        sections.extend_from_slice(&code);
        wasm(&sections)
    }

    #[test]
    fn empty_module_is_valid_everywhere() {
        assert_eq!(Features::NONE.check(&wasm(&[])), Ok(()));
        assert_eq!(Features::WASM2.check(&wasm(&[])), Ok(()));
    }

    #[test]
    fn simd_module_is_unsupported_without_simd_and_names_it() {
        let m = simd_module();
        assert_eq!(Features::WASM2.check(&m), Ok(()));
        assert_eq!(Features::WASM2_NO_SIMD.check(&m), Err(Error::Unsupported("simd".into())));
    }

    #[test]
    fn malformed_module_is_invalid_with_offset() {
        let err = Features::WASM2.check(b"\0asm\x01\0\0\0\x01\xff").unwrap_err();
        match err {
            Error::Invalid(m) => assert!(m.contains("offset 0x"), "{m}"),
            other => panic!("expected invalid, got {other:?}"),
        }
        assert!(matches!(Features::WASM2.check(b"not wasm"), Err(Error::Invalid(_))));
    }

    #[test]
    fn parse_names_and_profiles() {
        assert_eq!(Features::parse("simd"), Ok(Features::SIMD));
        assert_eq!(Features::parse("wasm2"), Ok(Features::WASM2));
        assert!(Features::WASM2.contains(Features::BULK_MEMORY));
        assert!(!Features::WASM2_NO_SIMD.contains(Features::SIMD));
        let err = Features::parse("warp-drive").unwrap_err().to_string();
        assert!(err.contains("warp-drive") && err.contains("simd"), "{err}");
    }
}
