//! The code cache of `tjit-tiered`: compiled functions of every module of
//! an engine under one byte budget, least-recently-used eviction, and the
//! rule that code is freed only when no thread can be running it.
//!
//! # Budget
//!
//! The budget covers the template library and every function's code that
//! is still allocated: installed, or evicted and not yet freed. A function
//! that does not fit after evicting and reclaiming what can be is refused
//! (a fallback: it stays interpreted) and the cache never goes over.
//!
//! # Recency
//!
//! Compiled code counts its own entries in a counter the cache owns (the
//! `touch` template at function entry: one non-atomic add, a heuristic
//! only). Before evicting, the cache reads every counter: one that moved
//! since the last look was used since, and is younger than one that did not.
//!
//! # Reclamation
//!
//! Evicting resets the function's native entry to 0 (it runs interpreted
//! again) and moves its code to a pending list. The module's interpreter
//! `Code` pins every entry into native code (`Code::set_reclaiming`): after
//! the reset, a `SeqCst` fence and a look at `Code::pins() == 0`, no thread
//! runs the old code or can still reach it (every entry reads the table
//! under its pin, and native code reaches other modules only through the
//! interpreter). Pending code is freed then, at the next look (every
//! insertion looks); while some thread stays inside the module's native
//! code, its evicted code stays allocated and counted.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering, fence};
use std::sync::{Arc, Mutex, Weak};

use wasmlab_interp::exec::Code;

use crate::compile::Compiled;
use crate::stats::Stats;

/// What an evicted function's entry in its module's tier-state table
/// becomes (the table is the tier-up hook's; see `tier.rs`).
pub const EVICTED: u8 = 4;

struct Entry {
    module: u64,
    func: u32,
    owner: Weak<Code>,
    compiled: Arc<Compiled>,
    uses: Arc<AtomicU64>,
    /// The owner's tier states (set to evicted here).
    tiers: Arc<[AtomicU8]>,
    /// The counter as last seen, and the cache clock then.
    seen: u64,
    last_use: u64,
}

struct Pending {
    owner: Weak<Code>,
    compiled: Arc<Compiled>,
}

#[derive(Default)]
struct Inner {
    live: Vec<Entry>,
    pending: Vec<Pending>,
    /// Code bytes of `live` and `pending`.
    bytes: usize,
    clock: u64,
}

/// What happened to an insertion.
pub enum Insert {
    Installed,
    /// It does not fit, even after evicting everything evictable.
    NoRoom,
}

pub struct Cache {
    /// Bytes for code: the budget less the template library (`usize::MAX`
    /// when unbounded).
    capacity: usize,
    inner: Mutex<Inner>,
    stats: Arc<Stats>,
}

impl Cache {
    /// A cache within `budget` bytes (0 = unbounded), the template library
    /// (`templates` bytes) included.
    pub fn new(budget: usize, templates: usize, stats: Arc<Stats>) -> Cache {
        let capacity = if budget == 0 { usize::MAX } else { budget.saturating_sub(templates) };
        stats.budget.store(budget as u64, Ordering::Relaxed);
        stats.template_bytes.store(templates as u64, Ordering::Relaxed);
        Cache { capacity, inner: Mutex::new(Inner::default()), stats }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Installs `compiled` as the native code of `func` of module `module`
    /// (whose interpreter code is `owner`), evicting least-recently-used
    /// functions as needed (an evicted function's state in its module's
    /// `tiers` becomes [`EVICTED`]). The entry is set in `owner` before
    /// this returns `Installed`.
    pub fn insert(
        &self,
        module: u64,
        func: u32,
        owner: &Arc<Code>,
        compiled: Arc<Compiled>,
        uses: Arc<AtomicU64>,
        tiers: &Arc<[AtomicU8]>,
    ) -> Insert {
        let size = compiled.len();
        let mut g = self.lock();
        if size > self.capacity {
            return Insert::NoRoom;
        }
        Self::reclaim(&mut g, &self.stats);
        self.publish(&g);
        if g.bytes + size > self.capacity {
            Self::age(&mut g);
            // Oldest first; never the function being installed. Code of a
            // module some thread is inside is evicted in its turn but frees
            // nothing yet: enough must be freeable now, or nothing is
            // evicted for an insertion that would fail anyway.
            let mut order: Vec<usize> = (0..g.live.len()).collect();
            order.sort_by_key(|&i| g.live[i].last_use);
            let mut victims = Vec::new();
            let mut freed = 0usize;
            for i in order {
                if g.bytes - freed + size <= self.capacity {
                    break;
                }
                let e = &g.live[i];
                if e.module == module && e.func == func {
                    continue;
                }
                if e.owner.upgrade().is_none_or(|c| c.pins() == 0) {
                    freed += e.compiled.len();
                }
                victims.push(i);
            }
            if g.bytes - freed + size > self.capacity {
                self.publish(&g);
                return Insert::NoRoom;
            }
            victims.sort_unstable_by(|a, b| b.cmp(a));
            for i in victims {
                let e = g.live.swap_remove(i);
                if let Some(code) = e.owner.upgrade() {
                    code.set_native(e.func, 0);
                }
                if let Some(t) = e.tiers.get(e.func as usize) {
                    t.store(EVICTED, Ordering::Release);
                }
                self.stats.evictions.fetch_add(1, Ordering::Relaxed);
                g.pending.push(Pending { owner: e.owner, compiled: e.compiled });
            }
            // The resets above before any look at the pins.
            fence(Ordering::SeqCst);
            Self::reclaim(&mut g, &self.stats);
            if g.bytes + size > self.capacity {
                self.publish(&g);
                return Insert::NoRoom;
            }
        }
        g.clock += 1;
        let clock = g.clock;
        owner.set_native(func, compiled.entry());
        g.bytes += size;
        g.live.push(Entry {
            module,
            func,
            owner: Arc::downgrade(owner),
            compiled,
            seen: uses.load(Ordering::Relaxed),
            uses,
            tiers: tiers.clone(),
            last_use: clock,
        });
        self.publish(&g);
        Insert::Installed
    }

    /// The installed code of `func` of `module`, if any (a hit).
    pub fn get(&self, module: u64, func: u32) -> Option<Arc<Compiled>> {
        let mut g = self.lock();
        g.clock += 1;
        let clock = g.clock;
        let e = g.live.iter_mut().find(|e| e.module == module && e.func == func)?;
        e.last_use = clock;
        Some(e.compiled.clone())
    }

    /// Frees what no thread can run any more.
    fn reclaim(g: &mut Inner, stats: &Stats) {
        let before = g.pending.len();
        let mut freed = 0usize;
        g.pending.retain(|p| {
            let idle = p.owner.upgrade().is_none_or(|c| c.pins() == 0);
            if idle {
                freed += p.compiled.len();
            }
            !idle
        });
        g.bytes -= freed;
        stats.reclaimed.fetch_add((before - g.pending.len()) as u64, Ordering::Relaxed);
        // Entries of dropped modules go too (nothing can call them).
        let mut dead = 0usize;
        g.live.retain(|e| {
            let alive = e.owner.strong_count() > 0;
            if !alive {
                dead += e.compiled.len();
            }
            alive
        });
        g.bytes -= dead;
    }

    /// Updates recency from the entry counters.
    fn age(g: &mut Inner) {
        g.clock += 1;
        let clock = g.clock;
        for e in &mut g.live {
            let now = e.uses.load(Ordering::Relaxed);
            if now != e.seen {
                e.seen = now;
                e.last_use = clock;
            }
        }
    }

    fn publish(&self, g: &Inner) {
        self.stats.cache_bytes.store(g.bytes as u64, Ordering::Relaxed);
        self.stats.cache_peak.fetch_max(g.bytes as u64, Ordering::Relaxed);
    }

    /// Frees pending code now if possible (tests, and the engine between
    /// requests).
    pub fn collect(&self) {
        let mut g = self.lock();
        Self::reclaim(&mut g, &self.stats);
        self.publish(&g);
    }

    /// Bytes for code (the budget less the templates).
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Code bytes allocated now (installed and pending).
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    pub fn pending(&self) -> usize {
        self.lock().pending.len()
    }
}
