//! `wasmtime-aot`: modules precompiled to `.cwasm` artifacts, loaded by
//! deserializing (the AOT path of seed 000), with a compatibility key.
//!
//! An artifact is self-describing:
//!
//! ```text
//! "WLABAOT1"                       magic and format version
//! u32 LE length, key text          the compatibility key (see CompatKey)
//! u64 LE length, wasm bytes        the original module, for fallback
//! [32] sha256(everything above)    header checksum
//! u64 LE length, code bytes        wasmtime's serialized module
//! [32] sha256(code bytes)          code checksum
//! ```
//!
//! Loading checks the magic, both checksums and the key BEFORE the unsafe
//! deserialize. A corrupt code section or an incompatible key falls back to
//! recompiling from the embedded wasm (counted); an artifact whose header
//! or wasm is damaged cannot be trusted at all and is an error. Nothing
//! about a bad artifact may crash the process.

use std::fmt;
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmlab_contract::{Engine, EngineConfig, Error, Features, Module, Result, Store};

use crate::{Compiler, WASMTIME_VERSION, WtModule, compile_module, store, wasmtime_config};

const MAGIC: &[u8; 8] = b"WLABAOT1";

/// What generated code depends on. An artifact loads only where every
/// field matches, except `cpu`: code compiled for a subset of this host's
/// CPU features runs here too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompatKey {
    /// Version of wasmtime that compiled the code.
    pub wasmtime: String,
    /// `arch-os` of the target.
    pub target: String,
    /// CPU features the code was compiled for (sorted).
    pub cpu: Vec<String>,
    /// Lab-level settings that change code: compiler, proposals, fuel.
    pub settings: String,
    /// wasmtime's own hash of every engine setting that affects
    /// compatibility (hex); catches what `settings` does not name.
    pub engine_hash: String,
}

impl CompatKey {
    fn for_engine(engine: &wasmtime::Engine, features: Features, fuel: bool) -> CompatKey {
        let mut h = ShaHasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut h);
        CompatKey {
            wasmtime: WASMTIME_VERSION.to_string(),
            target: format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
            cpu: host_cpu_features(),
            settings: format!("compiler=cranelift;features={};fuel={}", features.names().join("+"), fuel),
            engine_hash: hex(&h.0.finalize()[..16]),
        }
    }

    /// The text stored in artifacts: one `field=value` line each.
    pub fn to_text(&self) -> String {
        format!(
            "wasmtime={}\ntarget={}\ncpu={}\nsettings={}\nengine_hash={}\n",
            self.wasmtime,
            self.target,
            self.cpu.join(","),
            self.settings,
            self.engine_hash
        )
    }

    pub fn parse(text: &str) -> Result<CompatKey> {
        let field = |name: &str| -> Result<String> {
            text.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
                .map(str::to_string)
                .ok_or_else(|| Error::Invalid(format!("corrupt .cwasm: compatibility key lacks '{name}'")))
        };
        let cpu = field("cpu")?;
        Ok(CompatKey {
            wasmtime: field("wasmtime")?,
            target: field("target")?,
            cpu: cpu.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            settings: field("settings")?,
            engine_hash: field("engine_hash")?,
        })
    }

    /// Why code compiled under `self` cannot run under `host` (empty: it can).
    pub fn mismatches(&self, host: &CompatKey) -> Vec<String> {
        let mut why = Vec::new();
        let mut same = |name: &str, a: &str, b: &str| {
            if a != b {
                why.push(format!("{name}: artifact has '{a}', this host needs '{b}'"));
            }
        };
        same("wasmtime", &self.wasmtime, &host.wasmtime);
        same("target", &self.target, &host.target);
        same("settings", &self.settings, &host.settings);
        same("engine_hash", &self.engine_hash, &host.engine_hash);
        let missing: Vec<_> = self.cpu.iter().filter(|f| !host.cpu.contains(f)).cloned().collect();
        if !missing.is_empty() {
            why.push(format!("cpu: artifact needs {}, which this host lacks", missing.join(",")));
        }
        why
    }

    /// A short digest, used in cache file names.
    fn digest(&self) -> String {
        hex(&Sha256::digest(self.to_text().as_bytes())[..8])
    }
}

impl fmt::Display for CompatKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// Feeds `Hash` implementations into SHA-256, so the engine hash is stable
/// across Rust releases (unlike `DefaultHasher`).
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn finish(&self) -> u64 {
        let d = self.0.clone().finalize();
        u64::from_le_bytes(d[..8].try_into().unwrap())
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The CPU features of this host that Cranelift may use when it compiles
/// for the native target.
fn host_cpu_features() -> Vec<String> {
    #[allow(unused_mut)]
    let mut v: Vec<&str> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! detect {
            ($($f:tt),*) => { $(if std::arch::is_x86_feature_detected!($f) { v.push($f); })* };
        }
        detect!(
            "sse3",
            "ssse3",
            "sse4.1",
            "sse4.2",
            "popcnt",
            "avx",
            "avx2",
            "bmi1",
            "bmi2",
            "lzcnt",
            "fma",
            "avx512f",
            "avx512vl",
            "avx512dq",
            "avx512bitalg",
            "avx512vbmi",
            "cmpxchg16b"
        );
    }
    #[cfg(target_arch = "aarch64")]
    {
        macro_rules! detect {
            ($($f:tt),*) => { $(if std::arch::is_aarch64_feature_detected!($f) { v.push($f); })* };
        }
        detect!("lse", "paca", "fp16");
    }
    v.sort_unstable();
    v.into_iter().map(str::to_string).collect()
}

/// A parsed, checksum-verified artifact.
#[derive(Debug)]
pub struct Artifact {
    pub key: CompatKey,
    pub wasm: Vec<u8>,
    /// wasmtime's serialized code; `None` when its checksum failed.
    pub code: Option<Vec<u8>>,
}

impl Artifact {
    pub fn encode(key: &CompatKey, wasm: &[u8], code: &[u8]) -> Vec<u8> {
        let key = key.to_text();
        let mut out = Vec::with_capacity(8 + 4 + key.len() + 8 + wasm.len() + 32 + 8 + code.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(&(wasm.len() as u64).to_le_bytes());
        out.extend_from_slice(wasm);
        let header_sum = Sha256::digest(&out);
        out.extend_from_slice(&header_sum);
        out.extend_from_slice(&(code.len() as u64).to_le_bytes());
        out.extend_from_slice(code);
        out.extend_from_slice(&Sha256::digest(code));
        out
    }

    /// Parses and verifies. Errors name what is wrong and where.
    pub fn decode(bytes: &[u8]) -> Result<Artifact> {
        let corrupt = |what: String| Error::Invalid(format!("corrupt .cwasm: {what}"));
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            if bytes.starts_with(b"\0asm") {
                return Err(Error::Invalid("this is a .wasm module, not a .cwasm artifact".into()));
            }
            return Err(Error::Invalid("not a wasmlab .cwasm artifact (bad magic)".into()));
        }
        let mut r = Reader { bytes, pos: MAGIC.len() };
        let key_len = r.u32().map_err(&corrupt)? as usize;
        let key_text = r.take(key_len, "compatibility key").map_err(&corrupt)?;
        let wasm_len = r.u64().map_err(&corrupt)? as usize;
        let wasm = r.take(wasm_len, "embedded wasm").map_err(&corrupt)?;
        let header_end = r.pos;
        let header_sum = r.take(32, "header checksum").map_err(&corrupt)?;
        if Sha256::digest(&bytes[..header_end]).as_slice() != header_sum {
            return Err(corrupt("header checksum mismatch (key or embedded wasm damaged)".into()));
        }
        let key = CompatKey::parse(
            std::str::from_utf8(key_text).map_err(|_| corrupt("compatibility key is not UTF-8".into()))?,
        )?;
        let wasm = wasm.to_vec();
        // From here on the embedded wasm is trustworthy: a damaged code
        // section only costs a recompile.
        let code = (|| {
            let code_len = r.u64().ok()? as usize;
            let code = r.take(code_len, "code").ok()?;
            let sum = r.take(32, "code checksum").ok()?;
            (r.pos == bytes.len() && Sha256::digest(code).as_slice() == sum).then(|| code.to_vec())
        })();
        Ok(Artifact { key, wasm, code })
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| {
            format!("truncated: {what} needs {n} bytes at offset {}, file has {}", self.pos, self.bytes.len())
        })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.take(4, "length")?.try_into().unwrap()))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.take(8, "length")?.try_into().unwrap()))
    }
}

/// How a module was obtained by the AOT engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadOutcome {
    /// Deserialized from a verified, compatible artifact.
    Loaded,
    /// Compiled because there was no artifact yet (cache miss).
    Compiled,
    /// The artifact could not be used (reason); recompiled from its wasm.
    Fallback(String),
}

/// Counters of what the AOT engine did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AotStats {
    pub loaded: u64,
    pub compiled: u64,
    pub fallbacks: u64,
}

pub struct AotEngine {
    engine: wasmtime::Engine,
    features: Features,
    fuel: Option<u64>,
    key: CompatKey,
    cache_dir: PathBuf,
    loaded: AtomicU64,
    compiled: AtomicU64,
    fallbacks: AtomicU64,
    last_fallback: Mutex<Option<String>>,
}

impl AotEngine {
    pub fn new(config: &EngineConfig) -> Result<AotEngine> {
        let features = config.features.intersection(Compiler::Cranelift.supported());
        let engine = wasmtime::Engine::new(&wasmtime_config(Compiler::Cranelift, features, config.fuel.is_some()))
            .map_err(|e| Error::Internal(format!("cannot configure wasmtime: {e:#}")))?;
        let key = CompatKey::for_engine(&engine, features, config.fuel.is_some());
        let cache_dir = config.cache_dir.clone().unwrap_or_else(|| std::env::temp_dir().join("wasmlab-aot-cache"));
        Ok(AotEngine {
            engine,
            features,
            fuel: config.fuel,
            key,
            cache_dir,
            loaded: AtomicU64::new(0),
            compiled: AtomicU64::new(0),
            fallbacks: AtomicU64::new(0),
            last_fallback: Mutex::new(None),
        })
    }

    /// The key of code this engine compiles (and requires of artifacts).
    pub fn key(&self) -> &CompatKey {
        &self.key
    }

    pub fn stats(&self) -> AotStats {
        AotStats {
            loaded: self.loaded.load(Ordering::Relaxed),
            compiled: self.compiled.load(Ordering::Relaxed),
            fallbacks: self.fallbacks.load(Ordering::Relaxed),
        }
    }

    /// Why the most recent fallback happened.
    pub fn last_fallback(&self) -> Option<String> {
        self.last_fallback.lock().map(|g| g.clone()).unwrap_or(None)
    }

    /// Compiles `wasm` into a complete artifact (`wasmlab aot compile`).
    pub fn precompile(&self, wasm: &[u8]) -> Result<Vec<u8>> {
        let module = compile_module(&self.engine, self.features, wasm)?;
        let code = module.module.serialize().map_err(|e| Error::Internal(format!("serialize: {e:#}")))?;
        Ok(Artifact::encode(&self.key, wasm, &code))
    }

    /// Loads an artifact (`wasmlab run X.cwasm`): deserialized when it is
    /// intact and compatible, otherwise recompiled from its embedded wasm.
    pub fn load_artifact(&self, bytes: &[u8]) -> Result<(WtModule, LoadOutcome)> {
        self.load_decoded(&Artifact::decode(bytes)?)
    }

    /// Deserializes a decoded artifact when it is intact and compatible;
    /// otherwise recompiles its embedded wasm (validating it first).
    pub fn load_decoded(&self, artifact: &Artifact) -> Result<(WtModule, LoadOutcome)> {
        let mut why = self.key_problems(artifact);
        if why.is_empty() {
            let code = artifact.code.as_deref().expect("checked by key_problems");
            match self.deserialize(code) {
                Ok(m) => {
                    self.loaded.fetch_add(1, Ordering::Relaxed);
                    return Ok((m, LoadOutcome::Loaded));
                }
                Err(e) => why.push(e.to_string()),
            }
        }
        self.fall_back(&artifact.wasm, why.join("; "))
    }

    fn key_problems(&self, artifact: &Artifact) -> Vec<String> {
        let mut why = artifact.key.mismatches(&self.key);
        if artifact.code.is_none() {
            why.push("code section damaged or truncated (checksum mismatch)".into());
        }
        why
    }

    fn fall_back(&self, wasm: &[u8], reason: String) -> Result<(WtModule, LoadOutcome)> {
        self.fallbacks.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut g) = self.last_fallback.lock() {
            *g = Some(reason.clone());
        }
        let module = compile_module(&self.engine, self.features, wasm)?;
        Ok((module, LoadOutcome::Fallback(reason)))
    }

    fn deserialize(&self, code: &[u8]) -> Result<WtModule> {
        // SAFETY: `Module::deserialize` trusts its input to be code that
        // wasmtime produced for a compatible engine. We only get here when
        // the code section's SHA-256 matches the one written next to it
        // (so it is byte-for-byte what `Module::serialize` returned) and
        // the artifact's compatibility key matches this engine's (same
        // wasmtime version, target, settings and engine hash; CPU features
        // a subset of this host's). wasmtime re-checks its own header too.
        // The checksum guards against damage, not against an attacker who
        // can write the cache directory: artifacts are as trusted as it is.
        let module = unsafe { wasmtime::Module::deserialize(&self.engine, code) }
            .map_err(|e| Error::Invalid(format!("wasmtime rejected the artifact: {e:#}")))?;
        Ok(WtModule::new(module))
    }

    /// Where the artifact for `wasm` lives in the cache.
    pub fn cache_path(&self, wasm: &[u8]) -> PathBuf {
        let h = hex(&Sha256::digest(wasm)[..16]);
        self.cache_dir.join(format!("{h}-{}.cwasm", self.key.digest()))
    }

    fn compile_cached(&self, wasm: &[u8]) -> Result<(WtModule, LoadOutcome)> {
        let path = self.cache_path(wasm);
        if let Ok(bytes) = std::fs::read(&path) {
            let outcome = match Artifact::decode(&bytes) {
                // An intact artifact of exactly this module: it was
                // validated when the artifact was made, under the same
                // proposals (they are part of the key), so a cache hit
                // skips validation; that is what AOT startup buys.
                Ok(art) if art.wasm == wasm => self.load_decoded(&art)?,
                Ok(_) => self.fall_back(wasm, "the cache file holds another module".into())?,
                // Header or wasm damaged: the file is useless.
                Err(e) => self.fall_back(wasm, e.to_string())?,
            };
            if outcome.1 != LoadOutcome::Loaded {
                // Replace the unusable artifact so the next load is clean.
                let _ = self.store_artifact(&path, wasm, &outcome.0);
            }
            return Ok(outcome);
        }
        // Validated (by compile_module) before anything is written: bad
        // input never gets an artifact.
        let module = compile_module(&self.engine, self.features, wasm)?;
        self.compiled.fetch_add(1, Ordering::Relaxed);
        let code = module.module.serialize().map_err(|e| Error::Internal(format!("serialize: {e:#}")))?;
        // A cache that cannot be written only costs speed, never correctness.
        let _ = self.write_artifact(&path, &Artifact::encode(&self.key, wasm, &code));
        // What runs is always what was deserialized from the artifact's
        // code, so every run of this engine exercises the AOT load path.
        Ok((self.deserialize(&code)?, LoadOutcome::Compiled))
    }

    fn store_artifact(&self, path: &Path, wasm: &[u8], module: &WtModule) -> std::io::Result<()> {
        let code = module.module.serialize().map_err(std::io::Error::other)?;
        self.write_artifact(path, &Artifact::encode(&self.key, wasm, &code))
    }

    fn write_artifact(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.cache_dir)?;
        // Write then rename, so a concurrent reader never sees half a file.
        let tmp = path.with_extension(format!("tmp{}-{:?}", std::process::id(), std::thread::current().id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, path)
    }
}

impl Engine for AotEngine {
    fn name(&self) -> &'static str {
        "wasmtime-aot"
    }
    fn version(&self) -> String {
        WASMTIME_VERSION.to_string()
    }
    fn features(&self) -> Features {
        self.features
    }
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        Ok(Box::new(self.compile_cached(wasm)?.0))
    }
    fn new_store(&self) -> Box<dyn Store> {
        Box::new(store::WtStore::new(&self.engine, self.fuel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmlab_contract::Val;

    fn module() -> Vec<u8> {
        wat::parse_str(r#"(module (func (export "answer") (result i32) i32.const 42))"#).unwrap()
    }

    fn engine(dir: &Path) -> AotEngine {
        AotEngine::new(&EngineConfig { cache_dir: Some(dir.to_path_buf()), ..EngineConfig::default() }).unwrap()
    }

    fn answer(engine: &AotEngine, m: WtModule) -> Vec<Val> {
        let mut inst = engine.new_store().instantiate(&m, &Default::default()).unwrap();
        inst.call("answer", &[]).unwrap()
    }

    #[test]
    fn key_round_trips_and_host_accepts_its_own_key() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let parsed = CompatKey::parse(&e.key().to_text()).unwrap();
        assert_eq!(&parsed, e.key());
        assert!(parsed.mismatches(e.key()).is_empty());
    }

    #[test]
    fn key_mismatch_is_detected_per_field() {
        let dir = tempfile::tempdir().unwrap();
        let host = engine(dir.path()).key().clone();
        let mut other = host.clone();
        other.wasmtime = "35.0.0".into();
        other.cpu.push("avx1024".into());
        let why = other.mismatches(&host);
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(why[0].contains("wasmtime") && why[0].contains("35.0.0"));
        assert!(why[1].contains("avx1024"));
        // Fewer CPU features than the host is fine.
        let mut older = host.clone();
        older.cpu.clear();
        assert!(older.mismatches(&host).is_empty());
    }

    #[test]
    fn cache_miss_then_hit() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let (m, outcome) = e.compile_cached(&module()).unwrap();
        assert_eq!(outcome, LoadOutcome::Compiled);
        assert_eq!(answer(&e, m), vec![Val::I32(42)]);
        let (m, outcome) = e.compile_cached(&module()).unwrap();
        assert_eq!(outcome, LoadOutcome::Loaded);
        assert_eq!(answer(&e, m), vec![Val::I32(42)]);
        assert_eq!(e.stats(), AotStats { loaded: 1, compiled: 1, fallbacks: 0 });
    }

    #[test]
    fn truncated_artifact_is_a_clear_error_or_a_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let art = e.precompile(&module()).unwrap();
        // Cut inside the code section: the wasm is intact, so recompile.
        let (m, outcome) = e.load_artifact(&art[..art.len() - 40]).unwrap();
        assert!(matches!(outcome, LoadOutcome::Fallback(ref r) if r.contains("checksum")), "{outcome:?}");
        assert_eq!(answer(&e, m), vec![Val::I32(42)]);
        // Cut inside the header: nothing can be trusted.
        for cut in [0, 5, 12, 40] {
            let err = e.load_artifact(&art[..cut]).unwrap_err().to_string();
            assert!(err.contains("cwasm") || err.contains("artifact"), "cut {cut}: {err}");
        }
        assert_eq!(e.stats().fallbacks, 1);
    }

    #[test]
    fn every_flipped_byte_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let art = e.precompile(&module()).unwrap();
        // Flip one byte at a spread of positions (header, wasm, code,
        // checksums): each either falls back or is rejected, never loads.
        for pos in (0..art.len()).step_by(art.len() / 97 + 1) {
            let mut bad = art.clone();
            bad[pos] ^= 0x20;
            match e.load_artifact(&bad) {
                Ok((m, LoadOutcome::Fallback(_))) => assert_eq!(answer(&e, m), vec![Val::I32(42)]),
                Ok((_, other)) => panic!("flipped byte {pos} loaded as {other:?}"),
                Err(err) => assert!(matches!(err, Error::Invalid(_)), "{err:?}"),
            }
        }
    }

    #[test]
    fn artifact_with_another_key_falls_back_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let art = Artifact::decode(&e.precompile(&module()).unwrap()).unwrap();
        let mut key = art.key.clone();
        key.wasmtime = "18.0.4".into();
        let foreign = Artifact::encode(&key, &art.wasm, art.code.as_deref().unwrap());
        let (m, outcome) = e.load_artifact(&foreign).unwrap();
        match outcome {
            LoadOutcome::Fallback(why) => assert!(why.contains("18.0.4"), "{why}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(answer(&e, m), vec![Val::I32(42)]);
        assert_eq!(e.last_fallback().map(|w| w.contains("wasmtime")), Some(true));
    }

    #[test]
    fn a_plain_wasm_or_garbage_is_not_an_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        assert!(e.load_artifact(&module()).unwrap_err().to_string().contains("not a .cwasm"));
        assert!(e.load_artifact(b"garbage!garbage!").unwrap_err().to_string().contains("bad magic"));
    }

    #[test]
    fn cache_file_of_another_module_is_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let other = wat::parse_str(r#"(module (func (export "answer") (result i32) i32.const 7))"#).unwrap();
        std::fs::create_dir_all(dir.path()).unwrap();
        std::fs::write(e.cache_path(&module()), e.precompile(&other).unwrap()).unwrap();
        let (m, outcome) = e.compile_cached(&module()).unwrap();
        assert!(matches!(outcome, LoadOutcome::Fallback(ref why) if why.contains("another module")), "{outcome:?}");
        assert_eq!(answer(&e, m), vec![Val::I32(42)]);
        assert_eq!(e.compile_cached(&module()).unwrap().1, LoadOutcome::Loaded);
    }

    #[test]
    fn invalid_module_gets_no_artifact() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        let bad = b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00";
        assert!(matches!(e.compile_cached(bad), Err(Error::Invalid(_))));
        assert!(!e.cache_path(bad).exists());
    }

    #[test]
    fn damaged_cache_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let e = engine(dir.path());
        e.compile_cached(&module()).unwrap();
        let path = e.cache_path(&module());
        std::fs::write(&path, b"WLABAOT1\x05").unwrap();
        let (m, outcome) = e.compile_cached(&module()).unwrap();
        assert!(matches!(outcome, LoadOutcome::Fallback(_)));
        assert_eq!(answer(&e, m), vec![Val::I32(42)]);
        assert_eq!(e.compile_cached(&module()).unwrap().1, LoadOutcome::Loaded);
    }
}
