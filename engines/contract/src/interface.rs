//! A module's interface (imports and exports with their types), read with
//! wasmparser. Used by the harness to link, to enumerate what to call and
//! compare, and by engines that need it.

use wasmparser::{CompositeInnerType, ExternalKind, Parser, Payload, TypeRef};

use crate::{Error, ExternKind, FuncType, ValType};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportDesc {
    pub module: String,
    pub name: String,
    pub kind: ExternKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportDesc {
    pub name: String,
    pub kind: ExternKind,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleInterface {
    pub imports: Vec<ImportDesc>,
    pub exports: Vec<ExportDesc>,
}

impl ModuleInterface {
    /// Reads the interface of a module. Does not validate; a malformed
    /// module is [`Error::Invalid`]. Types outside Wasm 2.0 are
    /// [`Error::Unsupported`].
    pub fn parse(wasm: &[u8]) -> Result<ModuleInterface, Error> {
        let mut types: Vec<Option<FuncType>> = Vec::new();
        let mut funcs: Vec<u32> = Vec::new();
        let mut globals: Vec<(ValType, bool)> = Vec::new();
        let mut iface = ModuleInterface::default();
        let val = |t: wasmparser::ValType| {
            ValType::from_wasmparser(t).ok_or_else(|| Error::Unsupported(format!("value type {t}")))
        };
        let func_type = |types: &[Option<FuncType>], idx: u32| -> Result<FuncType, Error> {
            types
                .get(idx as usize)
                .cloned()
                .flatten()
                .ok_or_else(|| Error::Invalid(format!("function type index {idx} is not a function type")))
        };
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(r) => {
                    for group in r {
                        for sub in group?.into_types() {
                            types.push(match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => Some(FuncType {
                                    params: f.params().iter().map(|t| val(*t)).collect::<Result<_, _>>()?,
                                    results: f.results().iter().map(|t| val(*t)).collect::<Result<_, _>>()?,
                                }),
                                _ => None,
                            });
                        }
                    }
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        let imp = imp?;
                        let kind = match imp.ty {
                            TypeRef::Func(i) | TypeRef::FuncExact(i) => {
                                funcs.push(i);
                                ExternKind::Func(func_type(&types, i)?)
                            }
                            TypeRef::Global(g) => {
                                let ty = val(g.content_type)?;
                                globals.push((ty, g.mutable));
                                ExternKind::Global { ty, mutable: g.mutable }
                            }
                            TypeRef::Memory(_) => ExternKind::Memory,
                            TypeRef::Table(_) => ExternKind::Table,
                            TypeRef::Tag(_) => return Err(Error::Unsupported("exceptions (tag import)".into())),
                        };
                        iface.imports.push(ImportDesc {
                            module: imp.module.to_string(),
                            name: imp.name.to_string(),
                            kind,
                        });
                    }
                }
                Payload::FunctionSection(r) => {
                    for f in r {
                        funcs.push(f?);
                    }
                }
                Payload::GlobalSection(r) => {
                    for g in r {
                        let g = g?;
                        globals.push((val(g.ty.content_type)?, g.ty.mutable));
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e?;
                        let kind = match e.kind {
                            ExternalKind::Func | ExternalKind::FuncExact => {
                                let ty = funcs
                                    .get(e.index as usize)
                                    .ok_or_else(|| Error::Invalid(format!("export of unknown function {}", e.index)))?;
                                ExternKind::Func(func_type(&types, *ty)?)
                            }
                            ExternalKind::Global => {
                                let (ty, mutable) = *globals
                                    .get(e.index as usize)
                                    .ok_or_else(|| Error::Invalid(format!("export of unknown global {}", e.index)))?;
                                ExternKind::Global { ty, mutable }
                            }
                            ExternalKind::Memory => ExternKind::Memory,
                            ExternalKind::Table => ExternKind::Table,
                            ExternalKind::Tag => continue,
                        };
                        iface.exports.push(ExportDesc { name: e.name.to_string(), kind });
                    }
                }
                _ => {}
            }
        }
        Ok(iface)
    }

    pub fn export(&self, name: &str) -> Option<&ExportDesc> {
        self.exports.iter().find(|e| e.name == name)
    }

    /// Exported functions with their types, in export order.
    pub fn functions(&self) -> impl Iterator<Item = (&str, &FuncType)> {
        self.exports.iter().filter_map(|e| match &e.kind {
            ExternKind::Func(t) => Some((e.name.as_str(), t)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_imports_and_exports_with_types() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "env" "f" (func (param i32) (result i64)))
                 (func (export "g") (param f32 f64))
                 (global (export "gl") (mut i32) (i32.const 0))
                 (memory (export "mem") 1))"#,
        )
        .unwrap();
        let iface = ModuleInterface::parse(&wasm).unwrap();
        assert_eq!(iface.imports.len(), 1);
        assert_eq!(iface.imports[0].kind, ExternKind::Func(FuncType::new([ValType::I32], [ValType::I64])));
        assert_eq!(iface.export("g").unwrap().kind, ExternKind::Func(FuncType::new([ValType::F32, ValType::F64], [])));
        assert_eq!(iface.export("gl").unwrap().kind, ExternKind::Global { ty: ValType::I32, mutable: true });
        assert_eq!(iface.export("mem").unwrap().kind, ExternKind::Memory);
        assert_eq!(iface.functions().count(), 1);
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        assert!(matches!(ModuleInterface::parse(b"\0asm\x01\0\0\0\x07\x05\x01"), Err(Error::Invalid(_))));
    }
}
