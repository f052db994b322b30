//! Values crossing the engine boundary.

use std::fmt;

/// A WebAssembly value. Floats are carried as raw bits so that NaN payloads
/// survive the trip between engines and can be compared exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Val {
    I32(i32),
    I64(i64),
    /// `f32` as bits.
    F32(u32),
    /// `f64` as bits.
    F64(u64),
    V128(u128),
    /// A function reference. The payload of a non-null reference is an
    /// engine-specific handle: meaningful within one engine, never across
    /// engines. To compare functions across engines, ask the instance to
    /// describe the handle ([`crate::Instance::describe_func`]).
    FuncRef(Option<u32>),
    /// An external reference; the payload is the host value it wraps.
    ExternRef(Option<u32>),
}

/// The type of a [`Val`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValType {
    I32,
    I64,
    F32,
    F64,
    V128,
    FuncRef,
    ExternRef,
}

impl Val {
    pub fn ty(&self) -> ValType {
        match self {
            Val::I32(_) => ValType::I32,
            Val::I64(_) => ValType::I64,
            Val::F32(_) => ValType::F32,
            Val::F64(_) => ValType::F64,
            Val::V128(_) => ValType::V128,
            Val::FuncRef(_) => ValType::FuncRef,
            Val::ExternRef(_) => ValType::ExternRef,
        }
    }

    /// The zero / null value of a type (what locals and fresh globals hold).
    pub fn default_of(ty: ValType) -> Val {
        match ty {
            ValType::I32 => Val::I32(0),
            ValType::I64 => Val::I64(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            ValType::V128 => Val::V128(0),
            ValType::FuncRef => Val::FuncRef(None),
            ValType::ExternRef => Val::ExternRef(None),
        }
    }

    /// True for an `f32`/`f64` NaN (any payload).
    pub fn is_nan(&self) -> bool {
        match *self {
            Val::F32(b) => f32::from_bits(b).is_nan(),
            Val::F64(b) => f64::from_bits(b).is_nan(),
            _ => false,
        }
    }

    /// Equality used by oracles: bit-exact, except that any NaN equals any
    /// NaN of the same width and non-null function references are equal
    /// whatever their engine-specific handle.
    pub fn same_as(&self, other: &Val) -> bool {
        match (self, other) {
            (Val::F32(_), Val::F32(_)) | (Val::F64(_), Val::F64(_)) if self.is_nan() && other.is_nan() => true,
            (Val::FuncRef(a), Val::FuncRef(b)) => a.is_some() == b.is_some(),
            _ => self == other,
        }
    }
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Val::I32(v) => write!(f, "i32:{v}"),
            Val::I64(v) => write!(f, "i64:{v}"),
            Val::F32(b) => write!(f, "f32:{} (0x{b:08x})", f32::from_bits(b)),
            Val::F64(b) => write!(f, "f64:{} (0x{b:016x})", f64::from_bits(b)),
            Val::V128(v) => write!(f, "v128:0x{v:032x}"),
            Val::FuncRef(None) => write!(f, "funcref:null"),
            Val::FuncRef(Some(h)) => write!(f, "funcref:#{h}"),
            Val::ExternRef(None) => write!(f, "externref:null"),
            Val::ExternRef(Some(h)) => write!(f, "externref:{h}"),
        }
    }
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::V128 => "v128",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        })
    }
}

impl ValType {
    /// Maps a wasmparser value type; `None` for types outside Wasm 2.0
    /// (typed function references, GC types).
    pub fn from_wasmparser(ty: wasmparser::ValType) -> Option<ValType> {
        use wasmparser::ValType as W;
        Some(match ty {
            W::I32 => ValType::I32,
            W::I64 => ValType::I64,
            W::F32 => ValType::F32,
            W::F64 => ValType::F64,
            W::V128 => ValType::V128,
            W::Ref(r) if r == wasmparser::RefType::FUNCREF => ValType::FuncRef,
            W::Ref(r) if r == wasmparser::RefType::EXTERNREF => ValType::ExternRef,
            W::Ref(_) => return None,
        })
    }
}

/// A function signature.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct FuncType {
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

impl FuncType {
    pub fn new(params: impl Into<Vec<ValType>>, results: impl Into<Vec<ValType>>) -> Self {
        FuncType { params: params.into(), results: results.into() }
    }
}

impl FuncType {
    /// Checks that `args` fit the parameters of `export` (of this type);
    /// what every engine's `Instance::call` reports for wrong arguments.
    pub fn check_args(&self, export: &str, args: &[Val]) -> Result<(), crate::Error> {
        if args.len() == self.params.len() && args.iter().zip(&self.params).all(|(a, t)| a.ty() == *t) {
            return Ok(());
        }
        let given: Vec<String> = args.iter().map(|a| a.ty().to_string()).collect();
        Err(crate::Error::Usage(format!("'{export}' takes {self}, given [{}]", given.join(" "))))
    }
}

/// A function as engines can tell it apart across engines (their handles
/// are their own): its signature, and which exported function of the
/// instance asked it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncDesc {
    pub ty: FuncType,
    /// The smallest (by name) function export of the instance asked that is
    /// this very function; `None` when none is (a function of another
    /// instance or a host function).
    pub export: Option<String>,
}

impl FuncDesc {
    /// The [`FuncDesc::export`] of every function an instance exports, from
    /// its (export name, handle) pairs: each handle's smallest name. An
    /// instance's exports never change, so engines build this once.
    pub fn export_names(exports: impl IntoIterator<Item = (String, u32)>) -> std::collections::HashMap<u32, String> {
        let mut names = std::collections::HashMap::<u32, String>::new();
        for (name, handle) in exports {
            match names.get_mut(&handle) {
                Some(n) if *n <= name => {}
                Some(n) => *n = name,
                None => {
                    names.insert(handle, name);
                }
            }
        }
        names
    }
}

impl fmt::Display for FuncDesc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.export {
            Some(name) => write!(f, "func \"{name}\" {}", self.ty),
            None => write!(f, "func (not exported) {}", self.ty),
        }
    }
}

impl fmt::Display for FuncType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |v: &[ValType]| v.iter().map(|t| t.to_string()).collect::<Vec<_>>().join(" ");
        write!(f, "[{}] -> [{}]", list(&self.params), list(&self.results))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_payloads_are_equal_for_oracles_but_not_for_eq() {
        let a = Val::F32(0x7fc0_0000);
        let b = Val::F32(0xffc0_0001);
        assert!(a.same_as(&b));
        assert_ne!(a, b);
        assert!(!Val::F32(0).same_as(&Val::F32(0x8000_0000)), "-0 and +0 differ by bits");
        assert!(!Val::F32(0x7fc0_0000).same_as(&Val::F64(0x7ff8_0000_0000_0000)));
    }

    #[test]
    fn funcref_handles_compare_by_nullness() {
        assert!(Val::FuncRef(Some(1)).same_as(&Val::FuncRef(Some(7))));
        assert!(!Val::FuncRef(Some(1)).same_as(&Val::FuncRef(None)));
        assert!(!Val::ExternRef(Some(1)).same_as(&Val::ExternRef(Some(2))));
    }

    #[test]
    fn arguments_are_checked_against_the_signature() {
        let ty = FuncType::new([ValType::I32, ValType::F64], [ValType::I32]);
        assert_eq!(ty.check_args("f", &[Val::I32(1), Val::F64(0)]), Ok(()));
        let err = ty.check_args("f", &[Val::I32(1)]).unwrap_err().to_string();
        assert_eq!(err, "'f' takes [i32 f64] -> [i32], given [i32]");
        assert!(ty.check_args("f", &[Val::I32(1), Val::F32(0)]).is_err());
    }

    #[test]
    fn each_function_is_named_by_its_smallest_export() {
        let names = FuncDesc::export_names([("b".into(), 1), ("a".into(), 1), ("c".into(), 2), ("z".into(), 1)]);
        assert_eq!(names.len(), 2);
        assert_eq!((names[&1].as_str(), names[&2].as_str()), ("a", "c"));
    }

    #[test]
    fn defaults_have_their_type() {
        for ty in [
            ValType::I32,
            ValType::I64,
            ValType::F32,
            ValType::F64,
            ValType::V128,
            ValType::FuncRef,
            ValType::ExternRef,
        ] {
            assert_eq!(Val::default_of(ty).ty(), ty);
        }
    }
}
