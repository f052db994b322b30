//! Tiering for `tjit-tiered`: the interpreter's hook ([`TierUp`]), the
//! bounded request queue and the background workers that compile.
//!
//! The interpreter never waits. At a call threshold the hook queues a
//! request (a full queue drops it, counted; the interpreter asks again
//! after as many calls) and the function keeps running interpreted; a
//! worker compiles it, the cache installs it, and the function's next call
//! runs it. At a loop threshold the hook answers `Pending` while the
//! function compiles, so the interpreter asks again at every back-edge
//! until the code is there, and then enters it at the loop header (on-stack
//! replacement). In deterministic mode the hook compiles at the tier-up
//! point itself, so a run is the same every time.
//!
//! Every way a compile can fail leaves the function interpreted, with
//! identical results, and is counted by reason.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use wasmlab_interp::exec::Code;
use wasmlab_runtime::{ModuleInfo, Osr, TierUp};

use crate::cache::{Cache, EVICTED, Insert};
use crate::compile::{self, Failure};
use crate::expand::Options;
use crate::stats::Stats;

/// A function's tier.
const COLD: u8 = 0;
const QUEUED: u8 = 1;
const COMPILED: u8 = 2;
/// Cannot be compiled: never asked again.
const REFUSED: u8 = 3;
// EVICTED (the cache's, 4): the next ask only rearms it (it must get hot
// again).

pub struct Request {
    hook: Weak<Hook>,
    func: u32,
    at: Instant,
}

/// The request queue and its workers, shared by every module of an engine.
pub struct Workers {
    tx: SyncSender<Request>,
    capacity: usize,
}

impl Workers {
    /// `threads` workers (at least 1) behind a queue of `capacity`
    /// requests (0: every request is dropped, for tests).
    pub fn start(threads: usize, capacity: usize) -> Workers {
        let (tx, rx) = sync_channel::<Request>(capacity.max(1));
        let rx = Arc::new(Mutex::new(rx));
        for k in 0..threads.max(1) {
            let rx = rx.clone();
            // The workers end when the engine (the sender) is dropped.
            let _ = std::thread::Builder::new().name(format!("tjit-compile-{k}")).spawn(move || work(&rx));
        }
        Workers { tx, capacity }
    }
}

fn work(rx: &Mutex<Receiver<Request>>) {
    loop {
        let r = {
            let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
            match rx.recv() {
                Ok(r) => r,
                Err(_) => return,
            }
        };
        if let Some(hook) = r.hook.upgrade() {
            Stats::add(&hook.stats.queue_wait_ns, r.at.elapsed().as_nanos() as u64);
            hook.compile_now(r.func, Some(r.at));
        }
    }
}

/// One module's tier-up compiler.
pub struct Hook {
    pub module: u64,
    pub info: Arc<ModuleInfo>,
    pub wasm: Arc<[u8]>,
    pub opts: Options,
    pub code: Weak<Code>,
    pub cache: Arc<Cache>,
    pub stats: Arc<Stats>,
    /// The queue (`None`: deterministic, compiles at the tier-up point)
    /// and its capacity (0: every request is dropped).
    pub queue: Option<(SyncSender<Request>, usize)>,
    pub me: Weak<Hook>,
    state: Arc<[AtomicU8]>,
    /// Per function: the back-edge targets (IR pc) that are enterable loop
    /// headers, with the loop's ordinal.
    loops: Vec<Vec<(u32, u32)>>,
    /// Per function: its entry counter (recency for the cache).
    uses: Vec<Arc<AtomicU64>>,
    /// Serializes compiles of one function.
    compiling: Mutex<()>,
}

impl Hook {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        module: u64,
        info: Arc<ModuleInfo>,
        wasm: Arc<[u8]>,
        funcs: &[wasmlab_regir::Func],
        opts: Options,
        code: Weak<Code>,
        cache: Arc<Cache>,
        stats: Arc<Stats>,
        workers: Option<&Workers>,
    ) -> Arc<Hook> {
        let loops = funcs
            .iter()
            .map(|f| {
                let mut v: Vec<(u32, u32)> = Vec::new();
                for l in &f.loops {
                    for pc in [l.pc, l.pc + 1] {
                        if let Some(o) = f.loop_at(pc)
                            && !v.iter().any(|x| x.0 == pc)
                        {
                            v.push((pc, o));
                        }
                    }
                }
                v
            })
            .collect();
        Arc::new_cyclic(|me| Hook {
            module,
            info,
            wasm,
            opts,
            code,
            cache,
            stats,
            queue: workers.map(|w| (w.tx.clone(), w.capacity)),
            me: me.clone(),
            state: funcs.iter().map(|_| AtomicU8::new(COLD)).collect(),
            loops,
            uses: funcs.iter().map(|_| Arc::new(AtomicU64::new(0))).collect(),
            compiling: Mutex::new(()),
        })
    }

    fn state(&self, func: u32) -> Option<&AtomicU8> {
        self.state.get(func as usize)
    }

    /// Asks for `func` to be compiled: at once (deterministic), or queued.
    /// Whether it is compiled now.
    fn request(&self, func: u32) -> bool {
        let Some(s) = self.state(func) else { return false };
        match s.load(Ordering::Acquire) {
            COMPILED => return true,
            REFUSED | QUEUED => return false,
            EVICTED => {
                // Cooled down: hot again after another threshold's worth.
                let _ = s.compare_exchange(EVICTED, COLD, Ordering::AcqRel, Ordering::Relaxed);
                return false;
            }
            _ => {}
        }
        Stats::add(&self.stats.requests, 1);
        let Some((q, capacity)) = &self.queue else {
            return self.compile_now(func, None);
        };
        if *capacity == 0 {
            Stats::add(&self.stats.queue_drops, 1);
            return false;
        }
        if s.compare_exchange(COLD, QUEUED, Ordering::AcqRel, Ordering::Relaxed).is_err() {
            return false;
        }
        match q.try_send(Request { hook: self.me.clone(), func, at: Instant::now() }) {
            Ok(()) => false,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                Stats::add(&self.stats.queue_drops, 1);
                s.store(COLD, Ordering::Release);
                false
            }
        }
    }

    /// Compiles and installs `func` (requested at `asked`); whether its
    /// code is installed.
    pub fn compile_now(&self, func: u32, asked: Option<Instant>) -> bool {
        let Some(s) = self.state(func) else { return false };
        let _one = self.compiling.lock().unwrap_or_else(|p| p.into_inner());
        if s.load(Ordering::Acquire) == COMPILED {
            return true;
        }
        let Some(code) = self.code.upgrade() else { return false };
        let mut opts = self.opts;
        opts.touch = Some(Arc::as_ptr(&self.uses[func as usize]) as usize);
        let t0 = asked.unwrap_or_else(Instant::now);
        // A different cache-line offset in its page for each function.
        let skew = (self.module as usize * 31 + func as usize * 7) % 48 * 64;
        match compile::function(&self.info, &self.wasm, func as usize, &opts, skew) {
            Ok(c) => {
                Stats::add(&self.stats.compiles, 1);
                Stats::add(&self.stats.compile_ns, c.nanos);
                Stats::add(&self.stats.compiled_wasm_bytes, c.wasm_bytes as u64);
                Stats::add(&self.stats.code_bytes, c.len() as u64);
                let size = c.len();
                let c = Arc::new(c);
                let uses = self.uses[func as usize].clone();
                match self.cache.insert(self.module, func, &code, c, uses, &self.state) {
                    Insert::Installed => {
                        s.store(COMPILED, Ordering::Release);
                        Stats::add(&self.stats.tier_ups, 1);
                        Stats::add(&self.stats.switch_ns, t0.elapsed().as_nanos() as u64);
                        true
                    }
                    Insert::NoRoom => {
                        // Might fit later, once other code is freed; never
                        // when it is larger than the whole cache.
                        Stats::add(&self.stats.no_room, 1);
                        s.store(if size > self.cache.capacity() { REFUSED } else { COLD }, Ordering::Release);
                        false
                    }
                }
            }
            Err(f) => {
                let counter = match (&f, self.opts.fault) {
                    (_, Some(_)) => &self.stats.fault,
                    (Failure::NoTemplate(_), _) => &self.stats.no_template,
                    (Failure::Patch(_), _) => &self.stats.patch,
                    (Failure::Sanity(_), _) => &self.stats.sanity,
                    (Failure::TooLarge(_), _) => &self.stats.too_large,
                    (Failure::Other(_), _) => &self.stats.sanity,
                };
                Stats::add(counter, 1);
                s.store(REFUSED, Ordering::Release);
                false
            }
        }
    }
}

impl TierUp for Hook {
    fn compile(&self, func: u32) -> Option<usize> {
        let cached = self.state(func).is_some_and(|s| s.load(Ordering::Acquire) == COMPILED);
        if self.request(func) {
            let c = self.cache.get(self.module, func)?;
            if cached {
                // Already installed (another instance asked first).
                Stats::add(&self.stats.hits, 1);
            }
            return Some(c.entry());
        }
        None
    }

    fn osr_entry(&self, func: u32, pc: u32) -> Osr {
        let Some(&(_, ordinal)) = self.loops.get(func as usize).and_then(|v| v.iter().find(|x| x.0 == pc)) else {
            return Osr::No;
        };
        let cached = self.state(func).is_some_and(|s| s.load(Ordering::Acquire) == COMPILED);
        let ready = self.request(func);
        let state = self.state(func).map(|s| s.load(Ordering::Acquire));
        if cached {
            Stats::add(&self.stats.hits, 1);
        }
        if !ready {
            return if state == Some(QUEUED) { Osr::Pending } else { Osr::No };
        }
        match self.cache.get(self.module, func).and_then(|c| c.osr_entry(ordinal)) {
            Some(e) => {
                Stats::add(&self.stats.osr_entries, 1);
                Osr::Entry(e)
            }
            None => Osr::No,
        }
    }
}
