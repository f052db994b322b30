//! Linking: host functions and other instances' exports, by module and name.

use std::any::Any;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use crate::{FuncType, Trap, Val, ValType};

/// What kind of item an export or import is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternKind {
    Func(FuncType),
    Global { ty: ValType, mutable: bool },
    Memory,
    Table,
}

impl fmt::Display for ExternKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExternKind::Func(t) => write!(f, "func {t}"),
            ExternKind::Global { ty, mutable: true } => write!(f, "global (mut {ty})"),
            ExternKind::Global { ty, mutable: false } => write!(f, "global {ty}"),
            ExternKind::Memory => f.write_str("memory"),
            ExternKind::Table => f.write_str("table"),
        }
    }
}

/// An item exported by an instance, usable as an import by another instance
/// of the same engine and store. The handle is engine-specific; an engine
/// handed another engine's handle reports a link error.
#[derive(Clone)]
pub struct Extern {
    pub kind: ExternKind,
    pub handle: Rc<dyn Any>,
}

impl Extern {
    pub fn new<T: Any>(kind: ExternKind, handle: T) -> Extern {
        Extern { kind, handle: Rc::new(handle) }
    }
    pub fn downcast<T: Any>(&self) -> Option<&T> {
        self.handle.downcast_ref::<T>()
    }
}

impl fmt::Debug for Extern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Extern({})", self.kind)
    }
}

/// What a host function can reach of the instance calling it, as
/// wasmtime's and wasmi's `Caller` give it.
pub trait Caller {
    /// The caller's exported linear memory `name` (usually `"memory"`),
    /// read and written in place for the duration of the call: no copy.
    /// `None` when the caller exports no memory by that name, or the host
    /// called the function directly.
    fn memory(&mut self, name: &str) -> Option<&mut [u8]>;
}

/// The caller of a host function the host called itself: nothing to reach.
pub struct NoCaller;

impl Caller for NoCaller {
    fn memory(&mut self, _name: &str) -> Option<&mut [u8]> {
        None
    }
}

/// A function provided by the host.
pub type HostCallback = dyn Fn(&mut dyn Caller, &[Val]) -> Result<Vec<Val>, Trap> + Send + Sync;

#[derive(Clone)]
pub struct HostFunc {
    pub ty: FuncType,
    pub callback: Arc<HostCallback>,
}

impl HostFunc {
    /// A host function that needs only its arguments.
    pub fn new(ty: FuncType, callback: impl Fn(&[Val]) -> Result<Vec<Val>, Trap> + Send + Sync + 'static) -> HostFunc {
        HostFunc { ty, callback: Arc::new(move |_: &mut dyn Caller, args: &[Val]| callback(args)) }
    }

    /// A host function that also reaches its caller (its memory).
    pub fn with_caller(
        ty: FuncType,
        callback: impl Fn(&mut dyn Caller, &[Val]) -> Result<Vec<Val>, Trap> + Send + Sync + 'static,
    ) -> HostFunc {
        HostFunc { ty, callback: Arc::new(callback) }
    }

    pub fn call(&self, caller: &mut dyn Caller, args: &[Val]) -> Result<Vec<Val>, Trap> {
        (self.callback)(caller, args)
    }
}

impl fmt::Debug for HostFunc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HostFunc({})", self.ty)
    }
}

#[derive(Clone, Debug)]
pub enum Import {
    Func(HostFunc),
    Extern(Extern),
}

impl Import {
    pub fn kind(&self) -> ExternKind {
        match self {
            Import::Func(h) => ExternKind::Func(h.ty.clone()),
            Import::Extern(e) => e.kind.clone(),
        }
    }
}

/// The items a module's imports are resolved against.
#[derive(Clone, Debug, Default)]
pub struct Imports {
    items: Vec<(String, String, Import)>,
}

impl Imports {
    pub fn new() -> Imports {
        Imports::default()
    }

    /// Defines (or redefines) `module`.`name`.
    pub fn define(&mut self, module: &str, name: &str, item: Import) {
        self.items.retain(|(m, n, _)| !(m == module && n == name));
        self.items.push((module.to_string(), name.to_string(), item));
    }

    pub fn get(&self, module: &str, name: &str) -> Option<&Import> {
        self.items.iter().find(|(m, n, _)| m == module && n == name).map(|(_, _, i)| i)
    }

    /// The error an engine reports for an import it cannot find.
    pub fn unknown(module: &str, name: &str) -> crate::Error {
        crate::Error::Link(format!("unknown import: \"{module}\" \"{name}\""))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str, &Import)> {
        self.items.iter().map(|(m, n, i)| (m.as_str(), n.as_str(), i))
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn define_replaces_and_get_finds() {
        let mut imports = Imports::new();
        let f = |r: i32| HostFunc::new(FuncType::new([], [ValType::I32]), move |_| Ok(vec![Val::I32(r)]));
        imports.define("env", "f", Import::Func(f(1)));
        imports.define("env", "f", Import::Func(f(2)));
        imports.define("env", "g", Import::Func(f(3)));
        assert_eq!(imports.iter().count(), 2);
        match imports.get("env", "f") {
            Some(Import::Func(h)) => assert_eq!(h.call(&mut NoCaller, &[]), Ok(vec![Val::I32(2)])),
            other => panic!("{other:?}"),
        }
        assert!(imports.get("env", "h").is_none());
        assert!(Imports::unknown("env", "h").to_string().contains("\"env\" \"h\""));
    }

    #[test]
    fn extern_downcasts_only_to_its_type() {
        let e = Extern::new(ExternKind::Memory, 42u64);
        assert_eq!(e.downcast::<u64>(), Some(&42));
        assert!(e.downcast::<u32>().is_none());
    }
}
