//! Executes one `.wast` script on one engine and counts what passed,
//! failed and was skipped (needs a proposal the engine lacks).

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;
use wasmlab_contract::{Engine, Error, Import, Imports, Instance, Module, ModuleInterface, Store, Trap, Val};
use wast::core::WastRetCore;
use wast::parser::{self, ParseBuffer};
use wast::token::Id;
use wast::{QuoteWat, Wast, WastDirective, WastExecute, WastInvoke, WastRet};

use crate::matching::{arg_to_val, describe, describe_vals, matches};
use crate::spectest;

/// What happened to one script on one engine.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileReport {
    pub file: String,
    pub engine: String,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub failures: Vec<Failure>,
    pub skips: Vec<Skip>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub line: usize,
    pub directive: String,
    pub expected: String,
    pub actual: String,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Skip {
    pub line: usize,
    pub reason: String,
}

/// An instance the script can refer to. `Err` holds why it does not exist:
/// directives aimed at it are skipped (unsupported) or failed (anything else).
struct Entry {
    instance: Result<Box<dyn Instance>, Error>,
}

struct Script<'a> {
    engine: &'a dyn Engine,
    store: Box<dyn Store>,
    current: Option<usize>,
    entries: Vec<Entry>,
    named: HashMap<String, usize>,
    registered: HashMap<String, usize>,
    /// `module definition`s by name: compiled, with their interface.
    definitions: HashMap<String, (Box<dyn Module>, ModuleInterface)>,
    /// The key of the latest `(module definition)` (named or not): what a
    /// `(module instance)` without a module name instantiates.
    latest_definition: Option<String>,
    report: FileReport,
}

/// How one directive came out.
enum Verdict {
    Pass,
    Fail {
        expected: String,
        actual: String,
    },
    Skip(String),
    /// Not an assertion (module, register, invoke): counts only if it fails.
    Quiet,
}

/// Runs the script `text` (named `file` in reports) on `engine`.
pub fn run_script(file: &str, text: &str, engine: &dyn Engine) -> FileReport {
    let mut report = FileReport { file: file.to_string(), engine: engine.name().to_string(), ..Default::default() };
    // The suite deliberately uses look-alike Unicode in names (names.wast).
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => return parse_failure(report, e),
    };
    let mut wast: Wast<'_> = match parser::parse(&buf) {
        Ok(w) => w,
        Err(e) => return parse_failure(report, e),
    };
    let mut script = Script {
        engine,
        store: engine.new_store(),
        current: None,
        entries: Vec::new(),
        named: HashMap::new(),
        registered: HashMap::new(),
        definitions: HashMap::new(),
        latest_definition: None,
        report: std::mem::take(&mut report),
    };
    if let Err(e) = script.install_spectest() {
        script.report.failed += 1;
        script.report.failures.push(Failure {
            line: 0,
            directive: "spectest".into(),
            expected: "the spectest host module instantiates".into(),
            actual: e.to_string(),
        });
        return script.report;
    }
    for directive in std::mem::take(&mut wast.directives) {
        let line = directive.span().linecol_in(text).0 + 1;
        let name = directive_name(&directive);
        let verdict = catch_unwind(AssertUnwindSafe(|| script.run(directive))).unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Verdict::Fail { expected: "no panic".into(), actual: format!("engine panicked: {msg}") }
        });
        script.record(line, name, verdict);
    }
    script.report
}

fn parse_failure(mut report: FileReport, e: wast::Error) -> FileReport {
    report.failed = 1;
    report.failures.push(Failure {
        line: 0,
        directive: "parse".into(),
        expected: "a well-formed .wast script".into(),
        actual: e.to_string(),
    });
    report
}

fn directive_name(d: &WastDirective<'_>) -> &'static str {
    match d {
        WastDirective::Module(_) => "module",
        WastDirective::ModuleDefinition(_) => "module definition",
        WastDirective::ModuleInstance { .. } => "module instance",
        WastDirective::AssertMalformed { .. } => "assert_malformed",
        WastDirective::AssertMalformedCustom { .. } => "assert_malformed_custom",
        WastDirective::AssertInvalid { .. } => "assert_invalid",
        WastDirective::AssertInvalidCustom { .. } => "assert_invalid_custom",
        WastDirective::Register { .. } => "register",
        WastDirective::Invoke(_) => "invoke",
        WastDirective::AssertTrap { .. } => "assert_trap",
        WastDirective::AssertReturn { .. } => "assert_return",
        WastDirective::AssertExhaustion { .. } => "assert_exhaustion",
        WastDirective::AssertUnlinkable { .. } => "assert_unlinkable",
        WastDirective::AssertException { .. } => "assert_exception",
        WastDirective::AssertSuspension { .. } => "assert_suspension",
        WastDirective::Thread(_) => "thread",
        WastDirective::Wait { .. } => "wait",
    }
}

fn fail(expected: impl Into<String>, actual: impl Into<String>) -> Verdict {
    Verdict::Fail { expected: expected.into(), actual: actual.into() }
}

fn show(result: &Result<Vec<Val>, Error>) -> String {
    match result {
        Ok(v) => describe_vals(v),
        Err(e) => e.to_string(),
    }
}

impl<'a> Script<'a> {
    fn record(&mut self, line: usize, directive: &str, verdict: Verdict) {
        let r = &mut self.report;
        match verdict {
            Verdict::Pass => r.passed += 1,
            Verdict::Quiet => {}
            Verdict::Skip(reason) => {
                r.skipped += 1;
                r.skips.push(Skip { line, reason });
            }
            Verdict::Fail { expected, actual } => {
                r.failed += 1;
                r.failures.push(Failure { line, directive: directive.to_string(), expected, actual });
            }
        }
    }

    fn install_spectest(&mut self) -> Result<(), Error> {
        let wasm = wat::parse_str(spectest::SPECTEST_WAT).map_err(|e| Error::Internal(e.to_string()))?;
        let module = self.engine.compile(&wasm)?;
        let instance = self.store.instantiate(module.as_ref(), &spectest::host_imports())?;
        self.entries.push(Entry { instance: Ok(instance) });
        self.registered.insert("spectest".into(), self.entries.len() - 1);
        Ok(())
    }

    fn run(&mut self, directive: WastDirective<'_>) -> Verdict {
        match directive {
            WastDirective::Module(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let result = encode(&mut module).and_then(|wasm| self.instantiate(&wasm));
                self.add_entry(name, result)
            }
            WastDirective::ModuleDefinition(mut module) => {
                let name = module.name().map(|id| id.name().to_string());
                let compiled = encode(&mut module)
                    .and_then(|wasm| Ok((self.engine.compile(&wasm)?, ModuleInterface::parse(&wasm)?)));
                match compiled {
                    Ok(def) => {
                        // Unnamed definitions get a key no `$name` can have.
                        let key = name.unwrap_or_else(|| format!("#{}", self.definitions.len()));
                        self.definitions.insert(key.clone(), def);
                        self.latest_definition = Some(key);
                        Verdict::Quiet
                    }
                    Err(Error::Unsupported(why)) => Verdict::Skip(format!("unsupported: {why}")),
                    Err(e) => fail("module compiles", e.to_string()),
                }
            }
            WastDirective::ModuleInstance { instance, module, .. } => {
                let Some(def) = module.map(|m| m.name().to_string()).or_else(|| self.latest_definition.clone()) else {
                    return fail("a module definition to instantiate", "none defined before");
                };
                let Some((compiled, interface)) = self.definitions.remove(&def) else {
                    return fail(format!("module definition ${def}"), "not defined");
                };
                let result = self.link(compiled.as_ref(), &interface);
                self.definitions.insert(def, (compiled, interface));
                self.add_entry(instance.map(|i| i.name().to_string()), result)
            }
            WastDirective::Register { name, module, .. } => match self.entry_index(module) {
                Some(i) => {
                    self.registered.insert(name.to_string(), i);
                    Verdict::Quiet
                }
                None => fail("a module to register", "no such module"),
            },
            // A bare action is not an assertion; it counts only if it fails.
            WastDirective::Invoke(invoke) => match self.invoke(&invoke) {
                Err(Error::Unsupported(why)) => Verdict::Skip(format!("unsupported: {why}")),
                Ok(_) => Verdict::Quiet,
                Err(e) => fail("the call returns", e.to_string()),
            },
            WastDirective::AssertReturn { exec, results, .. } => self.assert_return(exec, &results),
            WastDirective::AssertTrap { exec, message, .. } => {
                let result = self.execute(exec);
                match result {
                    Err(Error::Trap(t)) if t.matches_spec_message(message) => Verdict::Pass,
                    Err(Error::Unsupported(why)) => Verdict::Skip(format!("unsupported: {why}")),
                    other => fail(format!("trap \"{message}\""), show(&other)),
                }
            }
            WastDirective::AssertExhaustion { call, message, .. } => match self.invoke(&call) {
                Err(Error::Trap(Trap::StackOverflow)) => Verdict::Pass,
                Err(Error::Unsupported(why)) => Verdict::Skip(format!("unsupported: {why}")),
                other => fail(format!("exhaustion \"{message}\""), show(&other)),
            },
            WastDirective::AssertInvalid { mut module, message, .. }
            | WastDirective::AssertMalformed { mut module, message, .. } => {
                match encode(&mut module) {
                    // The text itself is rejected: malformed (or invalid)
                    // before any engine is involved.
                    Err(_) => Verdict::Pass,
                    Ok(wasm) => match self.engine.compile(&wasm) {
                        Err(Error::Invalid(_) | Error::Unsupported(_)) => Verdict::Pass,
                        Err(e) => fail(format!("rejected: \"{message}\""), e.to_string()),
                        Ok(_) => fail(format!("rejected: \"{message}\""), "module accepted"),
                    },
                }
            }
            WastDirective::AssertInvalidCustom { .. } | WastDirective::AssertMalformedCustom { .. } => {
                Verdict::Skip("custom-section annotations are not in Wasm 2.0".into())
            }
            WastDirective::AssertUnlinkable { mut module, message, .. } => {
                let wasm = match module.encode() {
                    Ok(w) => w,
                    Err(e) => return fail("module encodes", e.to_string()),
                };
                match self.instantiate(&wasm) {
                    Err(Error::Link(_)) => Verdict::Pass,
                    Err(Error::Unsupported(why)) => Verdict::Skip(format!("unsupported: {why}")),
                    Err(e) => fail(format!("link error \"{message}\""), e.to_string()),
                    Ok(_) => fail(format!("link error \"{message}\""), "module linked"),
                }
            }
            WastDirective::AssertException { .. } => Verdict::Skip("exceptions are not in Wasm 2.0".into()),
            WastDirective::AssertSuspension { .. } => Verdict::Skip("stack switching is not in Wasm 2.0".into()),
            WastDirective::Thread(_) | WastDirective::Wait { .. } => {
                Verdict::Skip("threads are not in Wasm 2.0".into())
            }
        }
    }

    fn add_entry(&mut self, name: Option<String>, result: Result<Box<dyn Instance>, Error>) -> Verdict {
        let verdict = match &result {
            Ok(_) => Verdict::Quiet,
            Err(Error::Unsupported(why)) => Verdict::Skip(format!("unsupported: {why}")),
            Err(e) => fail("module instantiates", e.to_string()),
        };
        self.entries.push(Entry { instance: result });
        let i = self.entries.len() - 1;
        self.current = Some(i);
        if let Some(name) = name {
            self.named.insert(name, i);
        }
        verdict
    }

    fn entry_index(&self, id: Option<Id<'_>>) -> Option<usize> {
        match id {
            Some(id) => self.named.get(id.name()).copied(),
            None => self.current,
        }
    }

    /// Compiles and instantiates `wasm`, resolving imports against the
    /// registered instances.
    fn instantiate(&mut self, wasm: &[u8]) -> Result<Box<dyn Instance>, Error> {
        let module = self.engine.compile(wasm)?;
        self.link(module.as_ref(), &ModuleInterface::parse(wasm)?)
    }

    /// Instantiates a compiled module, resolving its imports against the
    /// registered instances.
    fn link(&mut self, module: &dyn Module, interface: &ModuleInterface) -> Result<Box<dyn Instance>, Error> {
        let mut imports = Imports::new();
        for imp in &interface.imports {
            let Some(&i) = self.registered.get(&imp.module) else { continue };
            let entry = &mut self.entries[i];
            let Ok(inst) = entry.instance.as_mut() else { continue };
            if let Some(ext) = inst.export(&imp.name) {
                imports.define(&imp.module, &imp.name, Import::Extern(ext));
            }
        }
        self.store.instantiate(module, &imports)
    }

    fn target(&mut self, id: Option<Id<'_>>) -> Result<&mut Box<dyn Instance>, Error> {
        let i = self.entry_index(id).ok_or_else(|| Error::Usage("no module to act on".into()))?;
        match &mut self.entries[i].instance {
            Ok(inst) => Ok(inst),
            Err(Error::Unsupported(why)) => Err(Error::Unsupported(why.clone())),
            Err(e) => Err(Error::Usage(format!("module failed earlier: {e}"))),
        }
    }

    fn invoke(&mut self, invoke: &WastInvoke<'_>) -> Result<Vec<Val>, Error> {
        let args = invoke
            .args
            .iter()
            .map(arg_to_val)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Unsupported(e.to_string()))?;
        self.target(invoke.module)?.call(invoke.name, &args)
    }

    fn execute(&mut self, exec: WastExecute<'_>) -> Result<Vec<Val>, Error> {
        match exec {
            WastExecute::Invoke(invoke) => self.invoke(&invoke),
            WastExecute::Wat(mut wat) => {
                let wasm = wat.encode().map_err(|e| Error::Invalid(e.to_string()))?;
                self.instantiate(&wasm).map(|_| Vec::new())
            }
            WastExecute::Get { module, global, .. } => {
                let inst = self.target(module)?;
                inst.global(global)
                    .map(|v| vec![v])
                    .ok_or_else(|| Error::Usage(format!("no exported global '{global}'")))
            }
        }
    }

    fn assert_return(&mut self, exec: WastExecute<'_>, expected: &[WastRet<'_>]) -> Verdict {
        // Expected forms outside Wasm 2.0 (GC references) are skipped.
        for r in expected {
            if let WastRet::Core(
                WastRetCore::RefAny
                | WastRetCore::RefEq
                | WastRetCore::RefArray
                | WastRetCore::RefStruct
                | WastRetCore::RefI31
                | WastRetCore::RefI31Shared
                | WastRetCore::RefHost(_),
            ) = r
            {
                return Verdict::Skip("GC reference results are not in Wasm 2.0".into());
            }
        }
        match self.execute(exec) {
            Ok(vals) if vals.len() == expected.len() && expected.iter().zip(&vals).all(|(e, a)| matches(e, a)) => {
                Verdict::Pass
            }
            Err(Error::Unsupported(why)) => Verdict::Skip(format!("unsupported: {why}")),
            other => fail(describe(expected), show(&other)),
        }
    }
}

fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, Error> {
    module.encode().map_err(|e| Error::Invalid(format!("text rejected: {e}")))
}
