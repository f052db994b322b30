//! What a tjit engine did, over every module it compiled: the counters
//! `Engine::counters` reports (and the benchmarks chart).

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default, Debug)]
pub struct Stats {
    /// Functions switched to compiled code (installed).
    pub tier_ups: AtomicU64,
    pub osr_entries: AtomicU64,
    /// Tier-up requests made (queued or compiled at once).
    pub requests: AtomicU64,
    pub compiles: AtomicU64,
    pub compile_ns: AtomicU64,
    pub compiled_wasm_bytes: AtomicU64,
    pub code_bytes: AtomicU64,
    pub queue_drops: AtomicU64,
    pub queue_wait_ns: AtomicU64,
    pub switch_ns: AtomicU64,
    pub cache_bytes: AtomicU64,
    pub cache_peak: AtomicU64,
    pub template_bytes: AtomicU64,
    pub budget: AtomicU64,
    pub evictions: AtomicU64,
    pub reclaimed: AtomicU64,
    pub hits: AtomicU64,
    pub no_template: AtomicU64,
    pub patch: AtomicU64,
    pub sanity: AtomicU64,
    pub no_room: AtomicU64,
    pub fault: AtomicU64,
    pub too_large: AtomicU64,
}

impl Stats {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn counters(&self) -> Vec<(&'static str, u64)> {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        vec![
            ("tier-ups", g(&self.tier_ups)),
            ("osr-entries", g(&self.osr_entries)),
            ("requests", g(&self.requests)),
            ("compiles", g(&self.compiles)),
            ("compile-ns", g(&self.compile_ns)),
            ("compiled-wasm-bytes", g(&self.compiled_wasm_bytes)),
            ("code-bytes", g(&self.code_bytes)),
            ("queue-drops", g(&self.queue_drops)),
            ("queue-wait-ns", g(&self.queue_wait_ns)),
            ("switch-ns", g(&self.switch_ns)),
            ("cache-bytes", g(&self.cache_bytes)),
            ("cache-peak-bytes", g(&self.cache_peak)),
            ("template-bytes", g(&self.template_bytes)),
            ("cache-budget-bytes", g(&self.budget)),
            ("evictions", g(&self.evictions)),
            ("reclaimed", g(&self.reclaimed)),
            ("cache-hits", g(&self.hits)),
            ("fallback-no-template", g(&self.no_template)),
            ("fallback-patch", g(&self.patch)),
            ("fallback-sanity", g(&self.sanity)),
            ("fallback-budget", g(&self.no_room)),
            ("fallback-fault", g(&self.fault)),
            ("fallback-too-large", g(&self.too_large)),
        ]
    }
}
