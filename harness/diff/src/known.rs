//! Known divergences: differences whose cause is in a peer engine (not in
//! the lab's code), recorded with their evidence in
//! `corpora/known-divergences.md` and excused here by narrow rules, so that
//! campaigns stay a clean CI gate without hiding anything else.
//!
//! A rule names one engine, a static precondition on the module (the
//! construct the peer mishandles) and a semantics-preserving rewrite that
//! sidesteps the peer's documented fault. A divergence is excused only when
//! all of these hold: the engine matches, the module has the construct, the
//! rewritten module validates, the *reference* on the rewritten module does
//! exactly what it did on the original (results, traps, globals, memories,
//! tables: so a broken rewriter cannot excuse anything), and the engine on
//! the rewritten module agrees with that. Anything else the engine gets
//! wrong on the same module stays a divergence. An excused engine gets
//! status [`Status::Known`] with the rule's id.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use wasm_encoder::reencode::{Reencode, RoundtripReencoder};
use wasm_encoder::{CodeSection, Function, Instruction};
use wasmlab_contract::{Engine, Features, Module, Store};
use wasmparser::{BlockType, FunctionBody, Operator, Parser, Payload, TypeRef, ValType};

use crate::cases::Call;
use crate::oracle::{CaseReport, Oracle, Status};

#[derive(Clone, Copy)]
pub struct Rule {
    /// The id used in `corpora/known-divergences.md`.
    pub id: &'static str,
    pub engine: &'static str,
    /// The divergence kinds it may excuse.
    pub kinds: &'static [&'static str],
    /// Text the engine's outcome must contain (e.g. a panic message); empty
    /// for any.
    pub message: &'static str,
    /// Whether the module has the construct the engine mishandles.
    pub precondition: fn(&[u8]) -> bool,
    /// The module rewritten so the engine's fault cannot trigger (same
    /// semantics); `None` if it cannot be rewritten.
    pub workaround: fn(&[u8]) -> Option<Vec<u8>>,
}

/// The rules in force (see `corpora/known-divergences.md`).
pub static RULES: &[Rule] = &[
    Rule {
        id: "KD-1",
        engine: "wasmi",
        kinds: WRONG_VALUES,
        message: "",
        precondition: has_block_with_params,
        workaround: lower_block_params,
    },
    Rule {
        id: "KD-2",
        engine: "wasmi",
        kinds: WRONG_VALUES,
        message: "",
        precondition: has_select_of_comparison,
        workaround: spill_select_conditions,
    },
    Rule {
        id: "KD-3",
        engine: "wasmi",
        kinds: &["crash"],
        message: "panic: internal error: entered unreachable code",
        precondition: has_aliased_store_with_large_offset,
        workaround: spill_store_values,
    },
];

/// The kinds of a wrong computation (not validation, crashes or hangs).
const WRONG_VALUES: &[&str] = &["result", "trap", "error", "global", "memory", "instantiate"];

/// Excuses the divergences of `report` that a rule in [`RULES`] covers;
/// `oracle` is the one that produced the report (its reference and the
/// diverging engine rerun the rewritten module with the same `calls`).
pub fn excuse(report: &mut CaseReport, wasm: &[u8], calls: &[Call], oracle: &Oracle) {
    excuse_with(report, wasm, RULES, &|engine, rewritten| confirm(oracle, engine, wasm, rewritten, calls));
}

/// Whether `rewritten` confirms that `engine`'s divergence on `original` is
/// the rule's bug: it validates, the reference does on it exactly what it
/// does on the original, and `engine` on it agrees with the reference on
/// the original. `Err` says which of these failed.
pub fn confirm(oracle: &Oracle, engine: &str, original: &[u8], rewritten: &[u8], calls: &[Call]) -> Result<(), String> {
    oracle.common_features().check(rewritten).map_err(|e| format!("the rewritten module does not validate: {e}"))?;
    let reference = oracle.engines()[0].clone();
    let peer = oracle
        .engines()
        .iter()
        .find(|e| e.name() == engine)
        .cloned()
        .ok_or_else(|| format!("{engine} is not in the oracle"))?;
    let on_rewrite = |e: &Arc<dyn Engine>| -> Arc<dyn Engine> {
        Arc::new(OnRewrite {
            inner: e.clone(),
            name: intern(format!("{} (rewritten)", e.name())),
            wasm: rewritten.to_vec(),
        })
    };
    let (ref_rewritten, peer_rewritten) = (on_rewrite(&reference), on_rewrite(&peer));
    let names = (ref_rewritten.name(), peer_rewritten.name());
    let rerun = Oracle::new(vec![reference, ref_rewritten, peer_rewritten]).run(original, calls);
    if let Some(d) = rerun.divergences.iter().find(|d| d.engine == names.0) {
        return Err(format!("the rewrite changes what the reference does: {d}"));
    }
    match (rerun.status(names.0), rerun.status(names.1)) {
        (Some(Status::Agree), Some(Status::Agree)) if rerun.divergences.is_empty() => Ok(()),
        (a, b) => Err(format!("not confirmed: reference on the rewrite {a:?}, {engine} on the rewrite {b:?}")),
    }
}

/// An engine that compiles the rewritten module whatever it is given, so
/// one oracle run compares an engine on the rewrite with the reference on
/// the original, call by call and state by state.
struct OnRewrite {
    inner: Arc<dyn Engine>,
    name: &'static str,
    wasm: Vec<u8>,
}

impl Engine for OnRewrite {
    fn name(&self) -> &'static str {
        self.name
    }
    fn version(&self) -> String {
        self.inner.version()
    }
    fn features(&self) -> Features {
        self.inner.features()
    }
    fn compile(&self, _original: &[u8]) -> wasmlab_contract::Result<Box<dyn Module>> {
        self.inner.compile(&self.wasm)
    }
    fn new_store(&self) -> Box<dyn Store> {
        self.inner.new_store()
    }
}

/// A `'static` name made once per distinct text (engine names are
/// `&'static str`; there are few engines and fewer rules).
fn intern(name: String) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(n) = names.get(name.as_str()) {
        return n;
    }
    let n: &'static str = Box::leak(name.into_boxed_str());
    names.insert(n);
    n
}

/// Whether a rewritten module confirms a rule's bug in an engine: (engine,
/// rewritten module) -> `Ok`, or why not.
pub type Confirm<'a> = dyn Fn(&str, &[u8]) -> Result<(), String> + 'a;

/// [`excuse`] with explicit rules and a confirmation function.
pub fn excuse_with(report: &mut CaseReport, wasm: &[u8], rules: &[Rule], confirm: &Confirm<'_>) {
    let mut excused = Vec::new();
    report.divergences.retain(|d| {
        let rule = rules.iter().find(|r| {
            r.engine == d.engine
                && r.kinds.contains(&d.kind.as_str())
                && d.actual.contains(r.message)
                && (r.precondition)(wasm)
                && (r.workaround)(wasm).is_some_and(|w| confirm(&d.engine, &w).is_ok())
        });
        match rule {
            Some(rule) => {
                excused.push((d.engine.clone(), rule.id));
                false
            }
            None => true,
        }
    });
    for (engine, id) in excused {
        let wrong = |s: Status| matches!(s, Status::Diverged | Status::Crashed);
        if let Some(e) = report.engines.iter_mut().find(|e| e.engine == engine && wrong(e.status)) {
            e.status = Status::Known;
            e.note = format!("known divergence {id} (see corpora/known-divergences.md)");
        }
    }
}

/// KD-1 precondition: some `if` or `block` has a block type with
/// parameters.
pub fn has_block_with_params(wasm: &[u8]) -> bool {
    let mut params = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { return false };
        match payload {
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    let Ok(ty) = ty else { return false };
                    params.push(ty.params().len());
                }
            }
            Payload::CodeSectionEntry(body) => {
                let Ok(mut ops) = body.get_operators_reader() else { return false };
                while !ops.eof() {
                    match ops.read() {
                        Ok(
                            Operator::If { blockty: BlockType::FuncType(i) }
                            | Operator::Block { blockty: BlockType::FuncType(i) },
                        ) => {
                            if params.get(i as usize).is_some_and(|&n| n > 0) {
                                return true;
                            }
                        }
                        Ok(_) => {}
                        Err(_) => return false,
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// Whether an operator is a comparison (its i32 result a condition).
fn is_comparison(op: &Operator) -> bool {
    use Operator::*;
    matches!(
        op,
        I32Eqz
            | I32Eq
            | I32Ne
            | I32LtS
            | I32LtU
            | I32GtS
            | I32GtU
            | I32LeS
            | I32LeU
            | I32GeS
            | I32GeU
            | I64Eqz
            | I64Eq
            | I64Ne
            | I64LtS
            | I64LtU
            | I64GtS
            | I64GtU
            | I64LeS
            | I64LeU
            | I64GeS
            | I64GeU
            | F32Eq
            | F32Ne
            | F32Lt
            | F32Gt
            | F32Le
            | F32Ge
            | F64Eq
            | F64Ne
            | F64Lt
            | F64Gt
            | F64Le
            | F64Ge
    )
}

/// KD-2 precondition: some `select` takes its condition straight from a
/// comparison (the pair wasmi fuses into one instruction).
pub fn has_select_of_comparison(wasm: &[u8]) -> bool {
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { return false };
        if let Payload::CodeSectionEntry(body) = payload {
            let Ok(mut ops) = body.get_operators_reader() else { return false };
            let mut previous_is_comparison = false;
            while !ops.eof() {
                let Ok(op) = ops.read() else { return false };
                if matches!(op, Operator::Select | Operator::TypedSelect { .. }) && previous_is_comparison {
                    return true;
                }
                previous_is_comparison = is_comparison(&op);
            }
        }
    }
    false
}

/// KD-2 workaround: every `select` condition goes through a fresh local
/// (`local.set C; local.get C; select`): same value, but no comparison
/// directly feeds a `select` any more.
pub fn spill_select_conditions(wasm: &[u8]) -> Option<Vec<u8>> {
    rewrite_bodies(wasm, &mut |op, fresh, out| {
        if matches!(op, Operator::Select | Operator::TypedSelect { .. }) {
            let c = fresh(ValType::I32);
            out.push(Instruction::LocalSet(c));
            out.push(Instruction::LocalGet(c));
        }
        false
    })
}

/// The type of the value a store operator stores.
fn stored_type(op: &Operator) -> Option<ValType> {
    use Operator::*;
    Some(match op {
        I32Store { .. } | I32Store8 { .. } | I32Store16 { .. } => ValType::I32,
        I64Store { .. } | I64Store8 { .. } | I64Store16 { .. } | I64Store32 { .. } => ValType::I64,
        F32Store { .. } => ValType::F32,
        F64Store { .. } => ValType::F64,
        V128Store { .. } => ValType::V128,
        _ => return None,
    })
}

/// KD-3 precondition: a store to memory 0 with an offset beyond 16 bits
/// whose address and value are the same value in wasmi's accumulator:
/// `local.tee X; local.get X; <store> offset>=65536`.
pub fn has_aliased_store_with_large_offset(wasm: &[u8]) -> bool {
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(payload) = payload else { return false };
        if let Payload::CodeSectionEntry(body) = payload {
            let Ok(mut ops) = body.get_operators_reader() else { return false };
            // `local.tee X` just before; `local.tee X; local.get X` just before.
            let (mut teed, mut teed_then_got): (Option<u32>, Option<u32>) = (None, None);
            while !ops.eof() {
                let Ok(op) = ops.read() else { return false };
                if let Some(memarg) = store_memarg(&op)
                    && memarg.memory == 0
                    && memarg.offset > u64::from(u16::MAX)
                    && teed_then_got.is_some()
                {
                    return true;
                }
                teed_then_got = match op {
                    Operator::LocalGet { local_index } if teed == Some(local_index) => Some(local_index),
                    _ => None,
                };
                teed = match op {
                    Operator::LocalTee { local_index } => Some(local_index),
                    _ => None,
                };
            }
        }
    }
    false
}

fn store_memarg(op: &Operator) -> Option<wasmparser::MemArg> {
    use Operator::*;
    match *op {
        I32Store { memarg } | I32Store8 { memarg } | I32Store16 { memarg } => Some(memarg),
        I64Store { memarg } | I64Store8 { memarg } | I64Store16 { memarg } | I64Store32 { memarg } => Some(memarg),
        F32Store { memarg } | F64Store { memarg } | V128Store { memarg } => Some(memarg),
        _ => None,
    }
}

/// KD-3 workaround: every stored value goes through a fresh local
/// (`local.set V; local.get V; store`), so that a store's value and address
/// are never both computed into wasmi's accumulator register.
pub fn spill_store_values(wasm: &[u8]) -> Option<Vec<u8>> {
    rewrite_bodies(wasm, &mut |op, fresh, out| {
        if let Some(ty) = stored_type(op) {
            let v = fresh(ty);
            out.push(Instruction::LocalSet(v));
            out.push(Instruction::LocalGet(v));
        }
        false
    })
}

/// Parameter types of the module's defined functions, in order.
fn defined_params(wasm: &[u8]) -> Option<Vec<Vec<ValType>>> {
    let mut types: Vec<Vec<ValType>> = Vec::new();
    let mut defined = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    types.push(ty.ok()?.params().to_vec());
                }
            }
            Payload::FunctionSection(r) => {
                for f in r {
                    defined.push(types.get(f.ok()? as usize)?.clone());
                }
            }
            _ => {}
        }
    }
    Some(defined)
}

/// A hook for [`rewrite_bodies`]: sees each operator with a way to get a
/// fresh local of a type and the output; emits what goes *before* the
/// operator and returns whether it replaced the operator entirely.
type Hook<'a> = dyn FnMut(&Operator, &mut dyn FnMut(ValType) -> u32, &mut Vec<Instruction<'static>>) -> bool + 'a;

/// Re-encodes `wasm` with every function body passed through `hook`.
fn rewrite_bodies(wasm: &[u8], hook: &mut Hook<'_>) -> Option<Vec<u8>> {
    let params = defined_params(wasm)?;
    let mut r = BodyRewriter { params, next: 0, hook };
    let mut module = wasm_encoder::Module::new();
    r.parse_core_module(&mut module, Parser::new(0), wasm).ok()?;
    Some(module.finish())
}

struct BodyRewriter<'h, 'a> {
    params: Vec<Vec<ValType>>,
    next: usize,
    hook: &'h mut Hook<'a>,
}

impl Reencode for BodyRewriter<'_, '_> {
    type Error = std::convert::Infallible;

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        let mut count = self.params.get(self.next).map_or(0, |p| p.len()) as u32;
        self.next += 1;
        let mut locals = Vec::new();
        for pair in func.get_locals_reader()? {
            let (n, ty) = pair?;
            count += n;
            locals.push((n, RoundtripReencoder.val_type(ty)?));
        }
        let mut extra: Vec<ValType> = Vec::new();
        let mut body: Vec<Instruction<'_>> = Vec::new();
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            let mut fresh = |ty: ValType| {
                extra.push(ty);
                count + extra.len() as u32 - 1
            };
            let mut before = Vec::new();
            let replaced = (self.hook)(&op, &mut fresh, &mut before);
            body.extend(before);
            if !replaced {
                body.push(RoundtripReencoder.instruction(op)?);
            }
        }
        for ty in extra {
            locals.push((1, RoundtripReencoder.val_type(ty)?));
        }
        let mut f = Function::new(locals);
        for i in &body {
            f.instruction(i);
        }
        code.function(&f);
        Ok(())
    }
}

/// KD-1 workaround: every `if` and `block` with parameters becomes one
/// without: the parameters (and an `if`'s condition) go to fresh locals
/// before it, and the body (each arm of an `if`, an implicit else made
/// explicit) starts by reading them back. Same semantics, but no `if` or
/// `block` has parameters any more. (Loops keep theirs: their parameters
/// are passed again by every branch back to them.)
pub fn lower_block_params(wasm: &[u8]) -> Option<Vec<u8>> {
    let mut types: Vec<(Vec<ValType>, Vec<ValType>)> = Vec::new();
    let mut defined = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.ok()? {
            Payload::TypeSection(r) => {
                for ty in r.into_iter_err_on_gc_types() {
                    let ty = ty.ok()?;
                    types.push((ty.params().to_vec(), ty.results().to_vec()));
                }
            }
            Payload::FunctionSection(r) => {
                for f in r {
                    defined.push(types.get(f.ok()? as usize)?.0.clone());
                }
            }
            Payload::ImportSection(r) => {
                for imp in r.into_imports() {
                    // Imported functions have no body; only check it reads.
                    if let TypeRef::Func(_) = imp.ok()?.ty {}
                }
            }
            _ => {}
        }
    }
    // Result lists of lowered `if`s with several results need a type
    // `[] -> [results]`: appended after the module's own types.
    let mut extra_types: Vec<Vec<ValType>> = Vec::new();
    for (params, results) in &types {
        if !params.is_empty() && results.len() > 1 && !extra_types.contains(results) {
            extra_types.push(results.clone());
        }
    }
    let mut l = Lowerer { types, extra_types, params: defined, next: 0 };
    let mut module = wasm_encoder::Module::new();
    l.parse_core_module(&mut module, Parser::new(0), wasm).ok()?;
    Some(module.finish())
}

struct Lowerer {
    types: Vec<(Vec<ValType>, Vec<ValType>)>,
    extra_types: Vec<Vec<ValType>>,
    params: Vec<Vec<ValType>>,
    next: usize,
}

/// A block being rewritten: for a lowered `if`, the locals holding its
/// parameters and whether its `else` was seen.
struct Frame {
    lowered: Option<(Vec<u32>, bool)>,
}

impl Lowerer {
    /// The block type `[] -> [results]`.
    fn results_only(
        &self,
        results: &[ValType],
    ) -> Result<wasm_encoder::BlockType, wasm_encoder::reencode::Error<std::convert::Infallible>> {
        Ok(match results.len() {
            0 => wasm_encoder::BlockType::Empty,
            1 => wasm_encoder::BlockType::Result(RoundtripReencoder.val_type(results[0])?),
            _ => {
                let k = self.extra_types.iter().position(|r| r == results).expect("collected");
                wasm_encoder::BlockType::FunctionType((self.types.len() + k) as u32)
            }
        })
    }
}

impl Reencode for Lowerer {
    type Error = std::convert::Infallible;

    fn parse_type_section(
        &mut self,
        types: &mut wasm_encoder::TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        wasm_encoder::reencode::utils::parse_type_section(self, types, section)?;
        for results in self.extra_types.clone() {
            let results = results.iter().map(|t| RoundtripReencoder.val_type(*t)).collect::<Result<Vec<_>, _>>()?;
            types.ty().function([], results);
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut CodeSection,
        func: FunctionBody<'_>,
    ) -> Result<(), wasm_encoder::reencode::Error<Self::Error>> {
        let base = self.params.get(self.next).map_or(0, |p| p.len());
        self.next += 1;
        let mut locals = Vec::new();
        let mut count = base as u32;
        for pair in func.get_locals_reader()? {
            let (n, ty) = pair?;
            count += n;
            locals.push((n, RoundtripReencoder.val_type(ty)?));
        }
        let mut fresh = |ty: ValType,
                         locals: &mut Vec<(u32, wasm_encoder::ValType)>|
         -> Result<u32, wasm_encoder::reencode::Error<Self::Error>> {
            locals.push((1, RoundtripReencoder.val_type(ty)?));
            count += 1;
            Ok(count - 1)
        };
        let mut body: Vec<Instruction> = Vec::new();
        let mut frames: Vec<Frame> = vec![Frame { lowered: None }];
        let mut reader = func.get_operators_reader()?;
        while !reader.eof() {
            let op = reader.read()?;
            match op {
                Operator::If { blockty: BlockType::FuncType(i) }
                    if self.types.get(i as usize).is_some_and(|(p, _)| !p.is_empty()) =>
                {
                    let (params, results) = self.types[i as usize].clone();
                    let cond = fresh(ValType::I32, &mut locals)?;
                    let slots = params.iter().map(|&t| fresh(t, &mut locals)).collect::<Result<Vec<_>, _>>()?;
                    body.push(Instruction::LocalSet(cond));
                    for &s in slots.iter().rev() {
                        body.push(Instruction::LocalSet(s));
                    }
                    body.push(Instruction::LocalGet(cond));
                    body.push(Instruction::If(self.results_only(&results)?));
                    body.extend(slots.iter().map(|&s| Instruction::LocalGet(s)));
                    frames.push(Frame { lowered: Some((slots, false)) });
                }
                Operator::Block { blockty: BlockType::FuncType(i) }
                    if self.types.get(i as usize).is_some_and(|(p, _)| !p.is_empty()) =>
                {
                    let (params, results) = self.types[i as usize].clone();
                    let slots = params.iter().map(|&t| fresh(t, &mut locals)).collect::<Result<Vec<_>, _>>()?;
                    for &s in slots.iter().rev() {
                        body.push(Instruction::LocalSet(s));
                    }
                    body.push(Instruction::Block(self.results_only(&results)?));
                    body.extend(slots.iter().map(|&s| Instruction::LocalGet(s)));
                    frames.push(Frame { lowered: None });
                }
                Operator::Block { .. } | Operator::Loop { .. } | Operator::If { .. } | Operator::TryTable { .. } => {
                    body.push(self.instruction(op)?);
                    frames.push(Frame { lowered: None });
                }
                Operator::Else => {
                    body.push(Instruction::Else);
                    if let Some(Frame { lowered: Some((slots, saw_else)) }) = frames.last_mut() {
                        *saw_else = true;
                        body.extend(slots.iter().map(|&s| Instruction::LocalGet(s)));
                    }
                }
                Operator::End => {
                    if let Some(Frame { lowered: Some((slots, false)) }) = frames.pop() {
                        // The implicit else passes the parameters through.
                        body.push(Instruction::Else);
                        body.extend(slots.iter().map(|&s| Instruction::LocalGet(s)));
                    }
                    body.push(Instruction::End);
                }
                other => body.push(self.instruction(other)?),
            }
        }
        let mut f = Function::new(locals);
        for i in &body {
            f.instruction(i);
        }
        code.function(&f);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::Divergence;
    use crate::oracle::EngineReport;

    fn report(engine: &str) -> CaseReport {
        CaseReport {
            reference: "wasmtime".into(),
            engines: vec![
                EngineReport { engine: "wasmtime".into(), status: Status::Agree, note: String::new() },
                EngineReport { engine: engine.into(), status: Status::Diverged, note: String::new() },
            ],
            calls: 1,
            trapped: false,
            call_outcomes: Default::default(),
            engine_counters: Default::default(),
            divergences: vec![Divergence {
                engine: engine.into(),
                reference: "wasmtime".into(),
                kind: "result".into(),
                call: Some(0),
                what: "f()".into(),
                expected: "[i32:1]".into(),
                actual: "[i32:0]".into(),
            }],
            trace: vec![],
        }
    }

    /// The minimal KD-1 module: `local.get 0` pending below the parameter
    /// of an `if`, whose then-arm overwrites local 0.
    fn kd1() -> Vec<u8> {
        wat::parse_str(
            r#"(module (func (export "f") (param i32 i32) (result i32)
                 local.get 0 i32.const 7 local.get 1
                 if (param i32) local.set 0 else drop end))"#,
        )
        .unwrap()
    }

    #[test]
    fn kd1_precondition_and_workaround() {
        assert!(has_block_with_params(&kd1()));
        let plain = wat::parse_str(r#"(module (func (param i32) local.get 0 if nop end))"#).unwrap();
        assert!(!has_block_with_params(&plain));
        let rewritten = lower_block_params(&kd1()).unwrap();
        wasmlab_contract::Features::WASM2.check(&rewritten).unwrap();
        assert!(!has_block_with_params(&rewritten));
        // Several results, and an if without else.
        let multi = wat::parse_str(
            r#"(module (func (export "g") (param i32) (result i32 i64)
                 i32.const 1 i64.const 2 local.get 0
                 if (param i32 i64) (result i32 i64) drop i64.const 5 end))"#,
        )
        .unwrap();
        let lowered = lower_block_params(&multi).unwrap();
        wasmlab_contract::Features::WASM2.check(&lowered).unwrap();
        assert!(!has_block_with_params(&lowered));
    }

    #[test]
    fn rules_excuse_only_when_the_rewrite_is_confirmed() {
        let confirmed = |_: &str, w: &[u8]| {
            assert!(!has_block_with_params(w), "the confirmation sees the rewritten module");
            Ok(())
        };
        let refuted = |_: &str, _: &[u8]| Err("not confirmed".to_string());
        let mut r = report("wasmi");
        excuse_with(&mut r, &kd1(), RULES, &confirmed);
        assert!(r.divergences.is_empty());
        assert_eq!(r.status("wasmi"), Some(Status::Known));

        let mut r = report("wasmi");
        excuse_with(&mut r, &kd1(), RULES, &refuted);
        assert_eq!(r.status("wasmi"), Some(Status::Diverged), "a divergence the rewrite does not explain stays");

        let mut r = report("interp");
        excuse_with(&mut r, &kd1(), RULES, &confirmed);
        assert_eq!(r.status("interp"), Some(Status::Diverged), "another engine is never excused");

        let plain = wat::parse_str(r#"(module (func (export "f") (result i32) i32.const 1))"#).unwrap();
        let mut r = report("wasmi");
        excuse_with(&mut r, &plain, RULES, &confirmed);
        assert_eq!(r.status("wasmi"), Some(Status::Diverged), "no precondition, no excuse");
    }

    fn wasmtime_and_wasmi() -> Oracle {
        let config = wasmlab_contract::EngineConfig::default();
        Oracle::new(vec![
            Arc::from(wasmlab_registry::create("wasmtime", &config).unwrap()),
            Arc::from(wasmlab_registry::create("wasmi", &config).unwrap()),
        ])
    }

    fn kd1_calls() -> Vec<Call> {
        use wasmlab_contract::Val::I32;
        vec![Call { func: "f".into(), args: vec![I32(1), I32(0)] }]
    }

    #[test]
    fn a_broken_rewrite_confirms_nothing() {
        let oracle = wasmtime_and_wasmi();
        let original = kd1();
        let calls = kd1_calls();
        let honest_rewrite = lower_block_params(&original).unwrap();
        assert_eq!(confirm(&oracle, "wasmi", &original, &honest_rewrite, &calls), Ok(()));

        // A rewrite both engines agree on, but that changes what the
        // reference computes: here, a constant that happens to be what
        // wasmi wrongly returns.
        let wasmi_says = oracle.run(&original, &calls).divergences[0].actual.clone();
        assert_eq!(wasmi_says, "[i32:0]", "KD-1 still makes wasmi return the overwritten local");
        let other = wat::parse_str(r#"(module (func (export "f") (param i32 i32) (result i32) i32.const 0))"#).unwrap();
        let err = confirm(&oracle, "wasmi", &original, &other, &calls).unwrap_err();
        assert!(err.contains("changes what the reference does"), "{err}");

        // A rewrite that does not validate (every engine rejecting it would
        // otherwise be agreement).
        let err = confirm(&oracle, "wasmi", &original, b"\0asm\x01\0\0\0\x01\xff", &calls).unwrap_err();
        assert!(err.contains("does not validate"), "{err}");

        // Through `excuse`: a rule whose rewriter is broken excuses nothing.
        let broken = Rule {
            workaround: |_| {
                wat::parse_str(r#"(module (func (export "f") (param i32 i32) (result i32) i32.const 0))"#).ok()
            },
            ..RULES[0]
        };
        let mut r = oracle.run(&original, &calls);
        excuse_with(&mut r, &original, &[broken], &|engine, w| confirm(&oracle, engine, &original, w, &calls));
        assert_eq!(r.status("wasmi"), Some(Status::Diverged));
    }

    #[test]
    fn kd3_precondition_is_the_aliased_store_with_a_large_offset() {
        let module =
            |body: &str| wat::parse_str(format!("(module (memory 1) (func (local i32) (local i32) {body}))")).unwrap();
        assert!(has_aliased_store_with_large_offset(&module(
            "memory.size local.tee 0 local.get 0 i32.store offset=195397"
        )));
        assert!(has_aliased_store_with_large_offset(&module(
            "i32.const 1 local.tee 1 local.get 1 i64.extend_i32_u drop local.get 0 local.tee 1 local.get 1 i32.store8 offset=65536"
        )));
        assert!(
            !has_aliased_store_with_large_offset(&module("memory.size local.tee 0 local.get 0 i32.store offset=65535")),
            "a 16-bit offset takes another path"
        );
        assert!(
            !has_aliased_store_with_large_offset(&module(
                "memory.size local.tee 0 local.get 1 i32.store offset=195397"
            )),
            "another local"
        );
        assert!(
            !has_aliased_store_with_large_offset(&module("local.get 0 local.get 0 i32.store offset=195397")),
            "no tee"
        );
        assert!(
            !has_aliased_store_with_large_offset(&module("local.get 0 local.tee 0 i32.store offset=195397")),
            "wrong order"
        );
    }

    /// Runs the minimal reproducer of a known divergence on wasmtime and
    /// wasmi: it must diverge (while wasmi has the bug), be excused by
    /// exactly the rule `id`, and not by the other rules.
    fn known_end_to_end(wasm: &[u8], calls: Vec<Call>, id: &str) {
        let oracle = wasmtime_and_wasmi();
        let mut r = oracle.run(wasm, &calls);
        assert!(
            !r.divergences.is_empty(),
            "wasmi no longer shows {id} on its reproducer: drop the rule and this test ({r:?})"
        );
        let only = |rule: &Rule| rule.id == id;
        let others: Vec<Rule> = RULES.iter().filter(|r| !only(r)).map(|r| Rule { ..*r }).collect();
        let mut by_others = r.clone();
        excuse_with(&mut by_others, wasm, &others, &|engine, w| confirm(&oracle, engine, wasm, w, &calls));
        assert_ne!(by_others.status("wasmi"), Some(Status::Known), "{id} is not covered by another rule");
        excuse(&mut r, wasm, &calls, &oracle);
        assert_eq!(r.status("wasmi"), Some(Status::Known), "{r:?}");
        assert!(r.engines[1].note.contains(id), "{}", r.engines[1].note);
    }

    #[test]
    fn kd1_is_real_on_wasmi_and_excused_end_to_end() {
        known_end_to_end(&kd1(), kd1_calls(), "KD-1");
    }

    #[test]
    fn kd2_is_real_on_wasmi_and_excused_end_to_end() {
        let wasm = wat::parse_str(
            r#"(module (func (export "f") (param i32 i32 i32) (result i32)
                 local.get 1 local.get 2 local.get 0 i32.eqz select))"#,
        )
        .unwrap();
        use wasmlab_contract::Val::I32;
        known_end_to_end(&wasm, vec![Call { func: "f".into(), args: vec![I32(5), I32(6), I32(7)] }], "KD-2");
    }

    #[test]
    fn kd3_is_real_on_wasmi_and_excused_end_to_end() {
        let wasm = wat::parse_str(
            r#"(module (memory 1) (func (export "f") (local i32)
                 memory.size local.tee 0 local.get 0 i32.store offset=195397))"#,
        )
        .unwrap();
        known_end_to_end(&wasm, vec![Call { func: "f".into(), args: vec![] }], "KD-3");
    }
}
