//! The host a real program sees, the same on every engine: WASI preview 1
//! ([`preview1`]) and the Sightglass benchmark imports ([`bench_api`]),
//! both plain host functions of the engine contract, and [`program`], which
//! runs a WASI command on an engine and reports how it ended.
//!
//! WASI is wasi-common's preview-1 implementation (the one wasmtime shipped
//! for years and wasmi's WASI support drives), called over the caller's
//! memory slice. Its files are cap-std's: a preopened directory is a
//! capability, so `..`, absolute paths and symlinks cannot leave it.

pub mod bench_api;
pub mod preview1;
pub mod program;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasi_common::pipe::{ReadPipe, WritePipe};
use wasi_common::sync::{Dir, ambient_authority};
use wasi_common::{I32Exit, WasiClocks, WasiCtx};
use wasmlab_contract::{Caller, Error, Imports, Trap, Val};
use wiggle::GuestMemory;

pub use bench_api::BenchRegion;
pub use program::{Ended, Outcome, check_command, run_command, run_command_in};

/// A host directory a program may reach, and the name it has there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preopen {
    pub host: PathBuf,
    pub guest: String,
}

impl Preopen {
    /// `HOST[::GUEST]`, as `wasmtime run --dir` takes it: without a guest
    /// name, the directory has its host spelling inside too.
    pub fn parse(spec: &str) -> Preopen {
        match spec.split_once("::") {
            Some((host, guest)) => Preopen { host: host.into(), guest: guest.to_string() },
            None => Preopen { host: spec.into(), guest: spec.to_string() },
        }
    }
}

/// `K=V`, as `--env` takes it: the key must not be empty.
pub fn parse_env_var(spec: &str) -> Result<(String, String), Error> {
    match spec.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(Error::Usage(format!("--env '{spec}': expected K=V"))),
    }
}

/// The `argv[0]` a program run from `module` sees: the file's name.
pub fn argv0(module: &std::path::Path) -> String {
    module.file_name().map_or("main.wasm".into(), |n| n.to_string_lossy().into_owned())
}

/// Where a program's standard output (or error) goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Output {
    /// The lab's own stream (`wasmlab run`).
    Inherit,
    /// Kept in memory, for comparison (benchmarks, differential runs).
    #[default]
    Capture,
}

/// A fault planted in the WASI layer, for the tests that prove the program
/// differential catches one. Never set outside tests.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// `fd_write` reports one byte fewer than it wrote (the caller's libc
    /// then writes the last byte again).
    ShortWrite,
}

/// What a program is given.
#[derive(Clone, Debug, Default)]
pub struct WasiConfig {
    /// `argv`, including the program name as `argv[0]`.
    pub args: Vec<String>,
    /// The whole environment: nothing of the lab's own is passed.
    pub env: Vec<(String, String)>,
    pub preopens: Vec<Preopen>,
    /// Fixed clocks (starting at [`DETERMINISTIC_EPOCH`], advancing 1 ms per
    /// reading) and a fixed random seed, for runs that are compared.
    pub deterministic: bool,
    /// Standard input is the lab's when `true`, empty otherwise.
    pub inherit_stdin: bool,
    pub stdout: Output,
    pub stderr: Output,
    #[doc(hidden)]
    pub fault: Option<Fault>,
}

/// Seconds since 1970 the deterministic system clock starts at
/// (2000-01-01T00:00:00Z).
pub const DETERMINISTIC_EPOCH: u64 = 946_684_800;

/// Captured output is kept up to this many bytes (the rest is counted).
pub const CAPTURE_LIMIT: usize = 64 << 20;

/// One program's WASI state: its context, captured output, exit status and
/// what it called. Shared by the host functions of one instance.
pub struct Wasi {
    ctx: WasiCtx,
    stdout: Option<Capture>,
    stderr: Option<Capture>,
    exit: Mutex<Option<i32>>,
    failure: Mutex<Option<String>>,
    calls: Vec<AtomicU64>,
    fault: Option<Fault>,
}

impl Wasi {
    /// A context for one program run. A preopen that is not a readable
    /// directory is an [`Error::Usage`] naming it.
    pub fn new(config: &WasiConfig) -> Result<Arc<Wasi>, Error> {
        let (random, clocks): (Box<dyn wasi_common::TryRng<Error = std::convert::Infallible> + Send + Sync>, _) =
            if config.deterministic {
                (Box::new(SplitMix(0x5741_5349_2d6c_6162)), deterministic_clocks())
            } else {
                (Box::new(SplitMix(seed_from_time())), wasi_common::sync::clocks_ctx())
            };
        let mut ctx = WasiCtx::new(Box::new(random), clocks, wasi_common::sync::sched_ctx(), wasi_common::Table::new());
        let too_big = |what: &str| Error::Usage(format!("WASI {what} too large"));
        for a in &config.args {
            ctx.push_arg(a).map_err(|_| too_big("arguments"))?;
        }
        for (k, v) in &config.env {
            if k.is_empty() || k.contains('=') {
                return Err(Error::Usage(format!("bad environment variable name '{k}'")));
            }
            ctx.push_env(k, v).map_err(|_| too_big("environment"))?;
        }
        for p in &config.preopens {
            let dir = Dir::open_ambient_dir(&p.host, ambient_authority())
                .map_err(|e| Error::Usage(format!("--dir {}: {e}", p.host.display())))?;
            let dir = Box::new(wasi_common::sync::dir::Dir::from_cap_std(dir));
            ctx.push_preopened_dir(dir, &p.guest)
                .map_err(|e| Error::Usage(format!("--dir {}: {e}", p.host.display())))?;
        }
        if config.inherit_stdin {
            ctx.set_stdin(Box::new(wasi_common::sync::stdio::stdin()));
        } else {
            ctx.set_stdin(Box::new(ReadPipe::new(std::io::empty())));
        }
        let stdout = match config.stdout {
            Output::Inherit => {
                ctx.set_stdout(Box::new(wasi_common::sync::stdio::stdout()));
                None
            }
            Output::Capture => {
                let c = Capture::default();
                ctx.set_stdout(Box::new(WritePipe::new(c.clone())));
                Some(c)
            }
        };
        let stderr = match config.stderr {
            Output::Inherit => {
                ctx.set_stderr(Box::new(wasi_common::sync::stdio::stderr()));
                None
            }
            Output::Capture => {
                let c = Capture::default();
                ctx.set_stderr(Box::new(WritePipe::new(c.clone())));
                Some(c)
            }
        };
        Ok(Arc::new(Wasi {
            ctx,
            stdout,
            stderr,
            exit: Mutex::new(None),
            failure: Mutex::new(None),
            calls: preview1::FUNCTIONS.iter().map(|_| AtomicU64::new(0)).collect(),
            fault: config.fault,
        }))
    }

    /// Defines every `wasi_snapshot_preview1` function in `imports`.
    pub fn define(self: &Arc<Self>, imports: &mut Imports) {
        preview1::define(self, imports);
    }

    /// The status the program passed to `proc_exit`, if it called it.
    pub fn exit_code(&self) -> Option<i32> {
        *self.exit.lock().unwrap()
    }

    /// Why a WASI call trapped, when it was not `proc_exit`.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap().clone()
    }

    /// Captured standard output (empty when inherited).
    pub fn stdout(&self) -> Vec<u8> {
        self.stdout.as_ref().map(Capture::bytes).unwrap_or_default()
    }

    /// Captured standard error (empty when inherited).
    pub fn stderr(&self) -> Vec<u8> {
        self.stderr.as_ref().map(Capture::bytes).unwrap_or_default()
    }

    /// How often the program called each WASI function (those it called).
    pub fn calls(&self) -> Vec<(&'static str, u64)> {
        preview1::FUNCTIONS
            .iter()
            .zip(&self.calls)
            .map(|(n, c)| (*n, c.load(Ordering::Relaxed)))
            .filter(|(_, c)| *c > 0)
            .collect()
    }

    /// Runs one WASI function over the caller's memory. An errno is a
    /// normal result; `proc_exit` and a failure of the host itself end the
    /// program with [`Trap::HostError`], the reason kept here.
    fn call<R>(
        &self,
        caller: &mut dyn Caller,
        index: usize,
        args: &[Val],
        f: impl FnOnce(&mut WasiCtx, &mut GuestMemory<'_>) -> wiggle::error::Result<wiggle::error::Result<R>>,
    ) -> Result<R, Trap> {
        self.calls[index].fetch_add(1, Ordering::Relaxed);
        let mut empty = [];
        let mut memory = preview1::guest_memory(caller, &mut empty);
        let mut ctx = self.ctx.clone();
        let e = match f(&mut ctx, &mut memory) {
            Ok(Ok(r)) => {
                if let Some(fault) = self.fault {
                    fault.apply(index, args, &mut memory);
                }
                return Ok(r);
            }
            Ok(Err(e)) | Err(e) => e,
        };
        match e.downcast_ref::<I32Exit>() {
            Some(exit) => *self.exit.lock().unwrap() = Some(exit.0),
            None => *self.failure.lock().unwrap() = Some(format!("{}: {e:#}", preview1::FUNCTIONS[index])),
        }
        Err(Trap::HostError)
    }
}

impl Fault {
    fn apply(self, index: usize, args: &[Val], memory: &mut GuestMemory<'_>) {
        match self {
            Fault::ShortWrite if preview1::FUNCTIONS[index] == "fd_write" => {
                let Some(Val::I32(ptr)) = args.get(3) else { return };
                let p = wiggle::GuestPtr::<u32>::new(*ptr as u32);
                if let Ok(n) = memory.read(p)
                    && n > 1
                {
                    let _ = memory.write(p, n - 1);
                }
            }
            Fault::ShortWrite => {}
        }
    }
}

/// An in-memory stream, shared with the context writing it.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut out = self.0.lock().unwrap();
        let room = CAPTURE_LIMIT.saturating_sub(out.len());
        out.extend_from_slice(&buf[..buf.len().min(room)]);
        // Beyond the limit the bytes are dropped but reported written, so a
        // runaway program is not stopped by its host.
        Ok(buf.len())
    }
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        // All of them, as a terminal or file would take them.
        bufs.iter().map(|b| self.write(b)).sum()
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A small, fast, seedable generator (SplitMix64) behind `random_get`.
struct SplitMix(u64);

impl wasi_common::TryRng for SplitMix {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

fn seed_from_time() -> u64 {
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    t.as_nanos() as u64 ^ (std::process::id() as u64) << 32
}

/// Clocks that read the same on every engine: each reading advances 1 ms.
fn deterministic_clocks() -> WasiClocks {
    WasiClocks::new().with_system(FixedSystemClock::default()).with_monotonic(FixedMonotonicClock::new())
}

const TICK: Duration = Duration::from_millis(1);

#[derive(Default)]
struct FixedSystemClock {
    readings: AtomicU64,
}

impl wasi_common::WasiSystemClock for FixedSystemClock {
    fn resolution(&self) -> Duration {
        TICK
    }
    fn now(&self, _precision: Duration) -> cap_std::time::SystemTime {
        let n = self.readings.fetch_add(1, Ordering::Relaxed) as u32;
        let t = std::time::UNIX_EPOCH + Duration::from_secs(DETERMINISTIC_EPOCH) + TICK * n;
        cap_std::time::SystemTime::from_std(t)
    }
}

struct FixedMonotonicClock {
    base: std::time::Instant,
    readings: AtomicU64,
}

impl FixedMonotonicClock {
    fn new() -> FixedMonotonicClock {
        FixedMonotonicClock { base: std::time::Instant::now(), readings: AtomicU64::new(0) }
    }
}

impl wasi_common::WasiMonotonicClock for FixedMonotonicClock {
    fn resolution(&self) -> Duration {
        TICK
    }
    fn now(&self, _precision: Duration) -> cap_std::time::Instant {
        // The first reading is the clock's creation (the offset WASI
        // subtracts), so the program's first reading is one tick.
        let n = self.readings.fetch_add(1, Ordering::Relaxed) as u32;
        cap_std::time::Instant::from_std(self.base + TICK * n)
    }
}
