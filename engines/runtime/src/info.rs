//! `ModuleInfo`: everything an in-house engine needs to know about a module
//! apart from its function bodies' code, read with wasmparser from a module
//! that has already been validated.

use std::ops::Range;
use std::sync::Arc;

use wasmlab_contract::{Error, Features, FuncType, ValType};
use wasmparser::{
    CompositeInnerType, ConstExpr, DataKind, ElementItems, ElementKind, ExternalKind, Operator, Parser, Payload,
    TableInit, TypeRef,
};

use crate::sig;

/// A constant expression, as Wasm 2.0 allows them (one instruction).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// A numeric constant, in the raw slot representation (see [`crate::raw`]).
    Raw(u64),
    /// The value of global `n` (an imported one in Wasm 2.0).
    Global(u32),
    RefNull,
    RefFunc(u32),
}

impl Init {
    fn parse(expr: &ConstExpr<'_>) -> Result<Init, Error> {
        let mut ops = expr.get_operators_reader();
        let init = match ops.read()? {
            Operator::I32Const { value } => Init::Raw(value as u32 as u64),
            Operator::I64Const { value } => Init::Raw(value as u64),
            Operator::F32Const { value } => Init::Raw(value.bits() as u64),
            Operator::F64Const { value } => Init::Raw(value.bits()),
            Operator::GlobalGet { global_index } => Init::Global(global_index),
            Operator::RefNull { .. } => Init::RefNull,
            Operator::RefFunc { function_index } => Init::RefFunc(function_index),
            op => return Err(Error::Unsupported(format!("constant expression {op:?}"))),
        };
        match ops.read()? {
            Operator::End => Ok(init),
            op => Err(Error::Unsupported(format!("extended constant expression ({op:?})"))),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub min: u64,
    pub max: Option<u64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TableInfo {
    pub elem: ValType,
    pub limits: Limits,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlobalInfo {
    pub ty: ValType,
    pub mutable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ImportKind {
    Func(u32),
    Table(TableInfo),
    Memory(Limits),
    Global(GlobalInfo),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportInfo {
    pub module: String,
    pub name: String,
    pub kind: ImportKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Func,
    Table,
    Memory,
    Global,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SegmentMode {
    Passive,
    Active {
        index: u32,
        offset: Init,
    },
    /// Element segments only: `(elem declare ...)`, dropped at instantiation.
    Declared,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ElemInfo {
    pub mode: SegmentMode,
    pub ty: ValType,
    pub items: Vec<Init>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DataInfo {
    pub mode: SegmentMode,
    pub bytes: Arc<[u8]>,
}

/// A validated module's structure. Indices follow the wasm index spaces:
/// imported items come first in `funcs`, `tables`, `memories`, `globals`.
#[derive(Clone, Debug, Default)]
pub struct ModuleInfo {
    pub types: Vec<FuncType>,
    /// Canonical signature id of each type (see [`crate::sig`]).
    pub type_sigs: Vec<u32>,
    pub imports: Vec<ImportInfo>,
    /// Type index of every function.
    pub funcs: Vec<u32>,
    pub num_imported_funcs: u32,
    pub tables: Vec<TableInfo>,
    pub num_imported_tables: u32,
    pub memories: Vec<Limits>,
    pub num_imported_memories: u32,
    pub globals: Vec<GlobalInfo>,
    /// Init expressions of the defined (not imported) globals.
    pub global_inits: Vec<Init>,
    pub num_imported_globals: u32,
    pub exports: Vec<(String, ExportKind, u32)>,
    pub start: Option<u32>,
    pub elems: Vec<ElemInfo>,
    pub datas: Vec<DataInfo>,
    /// Byte range of each defined function's body within the module bytes.
    pub bodies: Vec<Range<usize>>,
}

fn val_type(t: wasmparser::ValType) -> Result<ValType, Error> {
    match ValType::from_wasmparser(t) {
        Some(ValType::V128) | None => Err(Error::Unsupported(format!("value type {t}"))),
        Some(v) => Ok(v),
    }
}

fn ref_type(t: wasmparser::RefType) -> Result<ValType, Error> {
    val_type(wasmparser::ValType::Ref(t))
}

fn limits(initial: u64, maximum: Option<u64>) -> Limits {
    Limits { min: initial, max: maximum }
}

impl ModuleInfo {
    /// Validates `wasm` for an engine supporting `features` (a module that
    /// needs more is [`Error::Unsupported`]) and reads its structure.
    pub fn new(wasm: &[u8], features: Features) -> Result<ModuleInfo, Error> {
        features.check(wasm)?;
        ModuleInfo::parse_validated(wasm)
    }

    /// Reads the structure of a module that has already been validated.
    pub fn parse_validated(wasm: &[u8]) -> Result<ModuleInfo, Error> {
        let mut m = ModuleInfo::default();
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::TypeSection(r) => {
                    for group in r {
                        for sub in group?.into_types() {
                            match &sub.composite_type.inner {
                                CompositeInnerType::Func(f) => {
                                    let ty = FuncType {
                                        params: f.params().iter().map(|t| val_type(*t)).collect::<Result<_, _>>()?,
                                        results: f.results().iter().map(|t| val_type(*t)).collect::<Result<_, _>>()?,
                                    };
                                    m.type_sigs.push(sig::canonical(&ty));
                                    m.types.push(ty);
                                }
                                _ => return Err(Error::Unsupported("gc types".into())),
                            }
                        }
                    }
                }
                Payload::ImportSection(r) => {
                    for imp in r.into_imports() {
                        let imp = imp?;
                        let kind = match imp.ty {
                            TypeRef::Func(i) | TypeRef::FuncExact(i) => {
                                m.funcs.push(i);
                                m.num_imported_funcs += 1;
                                ImportKind::Func(i)
                            }
                            TypeRef::Table(t) => {
                                let info =
                                    TableInfo { elem: ref_type(t.element_type)?, limits: limits(t.initial, t.maximum) };
                                m.tables.push(info.clone());
                                m.num_imported_tables += 1;
                                ImportKind::Table(info)
                            }
                            TypeRef::Memory(t) => {
                                let l = limits(t.initial, t.maximum);
                                m.memories.push(l);
                                m.num_imported_memories += 1;
                                ImportKind::Memory(l)
                            }
                            TypeRef::Global(g) => {
                                let info = GlobalInfo { ty: val_type(g.content_type)?, mutable: g.mutable };
                                m.globals.push(info);
                                m.num_imported_globals += 1;
                                ImportKind::Global(info)
                            }
                            TypeRef::Tag(_) => return Err(Error::Unsupported("exceptions".into())),
                        };
                        m.imports.push(ImportInfo { module: imp.module.to_string(), name: imp.name.to_string(), kind });
                    }
                }
                Payload::FunctionSection(r) => {
                    for f in r {
                        m.funcs.push(f?);
                    }
                }
                Payload::TableSection(r) => {
                    for t in r {
                        let t = t?;
                        if let TableInit::Expr(_) = t.init {
                            return Err(Error::Unsupported("table initializer expression".into()));
                        }
                        m.tables.push(TableInfo {
                            elem: ref_type(t.ty.element_type)?,
                            limits: limits(t.ty.initial, t.ty.maximum),
                        });
                    }
                }
                Payload::MemorySection(r) => {
                    for mem in r {
                        let mem = mem?;
                        m.memories.push(limits(mem.initial, mem.maximum));
                    }
                }
                Payload::GlobalSection(r) => {
                    for g in r {
                        let g = g?;
                        m.globals.push(GlobalInfo { ty: val_type(g.ty.content_type)?, mutable: g.ty.mutable });
                        m.global_inits.push(Init::parse(&g.init_expr)?);
                    }
                }
                Payload::ExportSection(r) => {
                    for e in r {
                        let e = e?;
                        let kind = match e.kind {
                            ExternalKind::Func | ExternalKind::FuncExact => ExportKind::Func,
                            ExternalKind::Table => ExportKind::Table,
                            ExternalKind::Memory => ExportKind::Memory,
                            ExternalKind::Global => ExportKind::Global,
                            ExternalKind::Tag => {
                                return Err(Error::Unsupported("exceptions".into()));
                            }
                        };
                        m.exports.push((e.name.to_string(), kind, e.index));
                    }
                }
                Payload::StartSection { func, .. } => m.start = Some(func),
                Payload::ElementSection(r) => {
                    for e in r {
                        let e = e?;
                        let mode = match e.kind {
                            ElementKind::Passive => SegmentMode::Passive,
                            ElementKind::Declared => SegmentMode::Declared,
                            ElementKind::Active { table_index, offset_expr } => SegmentMode::Active {
                                index: table_index.unwrap_or(0),
                                offset: Init::parse(&offset_expr)?,
                            },
                        };
                        let (ty, items) = match e.items {
                            ElementItems::Functions(r) => (
                                ValType::FuncRef,
                                r.into_iter().map(|f| f.map(Init::RefFunc)).collect::<Result<_, _>>()?,
                            ),
                            ElementItems::Expressions(t, r) => {
                                let items = r.into_iter().map(|e| Init::parse(&e?)).collect::<Result<_, _>>()?;
                                (ref_type(t)?, items)
                            }
                        };
                        m.elems.push(ElemInfo { mode, ty, items });
                    }
                }
                Payload::DataSection(r) => {
                    for d in r {
                        let d = d?;
                        let mode = match d.kind {
                            DataKind::Passive => SegmentMode::Passive,
                            DataKind::Active { memory_index, offset_expr } => {
                                SegmentMode::Active { index: memory_index, offset: Init::parse(&offset_expr)? }
                            }
                        };
                        m.datas.push(DataInfo { mode, bytes: d.data.into() });
                    }
                }
                Payload::CodeSectionEntry(body) => m.bodies.push(body.range()),
                Payload::TagSection(_) => return Err(Error::Unsupported("exceptions".into())),
                _ => {}
            }
        }
        if m.memories.len() > 1 {
            return Err(Error::Unsupported("multi-memory".into()));
        }
        Ok(m)
    }

    /// The type of function `func` (in the function index space).
    pub fn func_type(&self, func: u32) -> &FuncType {
        &self.types[self.funcs[func as usize] as usize]
    }

    pub fn num_defined_funcs(&self) -> usize {
        self.funcs.len() - self.num_imported_funcs as usize
    }

    /// The defined functions a listing shows: `func` (function index
    /// space) alone, or every one; as indices among the defined functions.
    /// Naming an imported or missing function is a usage error.
    pub fn defined_funcs(&self, func: Option<u32>) -> Result<std::ops::Range<u32>, Error> {
        let imported = self.num_imported_funcs;
        match func {
            Some(f) if f < imported => Err(Error::Usage(format!("function {f} is imported: it has no body"))),
            Some(f) if f as usize >= self.funcs.len() => {
                Err(Error::Usage(format!("no function {f}: the module has {}", self.funcs.len())))
            }
            Some(f) => Ok(f - imported..f - imported + 1),
            None => Ok(0..self.num_defined_funcs() as u32),
        }
    }

    pub fn export(&self, name: &str) -> Option<(ExportKind, u32)> {
        self.exports.iter().find(|(n, _, _)| n == name).map(|(_, k, i)| (*k, *i))
    }

    /// A reader positioned at the body of defined function `index`.
    pub fn body<'a>(&self, wasm: &'a [u8], index: usize) -> wasmparser::FunctionBody<'a> {
        let range = self.bodies[index].clone();
        wasmparser::FunctionBody::new(wasmparser::BinaryReader::new(&wasm[range.clone()], range.start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_segments_globals_and_exports() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "env" "g" (global i32))
                 (func $f (export "f") (result i32) global.get 0)
                 (table 2 funcref)
                 (memory 1 3)
                 (global (mut i64) (i64.const -1))
                 (elem (i32.const 1) $f)
                 (elem declare func $f)
                 (data (global.get 0) "ab")
                 (data "c"))"#,
        )
        .unwrap();
        let m = ModuleInfo::new(&wasm, Features::WASM2_NO_SIMD).unwrap();
        assert_eq!(m.num_imported_globals, 1);
        assert_eq!(m.global_inits, vec![Init::Raw(u64::MAX)]);
        assert_eq!(m.memories, vec![Limits { min: 1, max: Some(3) }]);
        assert_eq!(m.elems[0].mode, SegmentMode::Active { index: 0, offset: Init::Raw(1) });
        assert_eq!(m.elems[0].items, vec![Init::RefFunc(0)]);
        assert_eq!(m.elems[1].mode, SegmentMode::Declared);
        assert_eq!(m.datas[0].mode, SegmentMode::Active { index: 0, offset: Init::Global(0) });
        assert_eq!(&*m.datas[1].bytes, b"c");
        assert_eq!(m.export("f"), Some((ExportKind::Func, 0)));
        assert_eq!(m.bodies.len(), 1);
    }

    #[test]
    fn simd_is_unsupported() {
        let wasm = wat::parse_str("(module (func (drop (v128.const i64x2 0 0))))").unwrap();
        assert_eq!(ModuleInfo::new(&wasm, Features::WASM2_NO_SIMD).unwrap_err(), Error::Unsupported("simd".into()));
    }
}
