//! Engine counters over a measurement, and the figures derived from them.
//!
//! [`wasmlab_contract::Engine::counters`] are cumulative over the engine's
//! lifetime, and one engine object serves every program of a run, so a
//! [`Sampler`] reads them once before a program's first measurement and
//! after every measured sample, and keeps the growth since then. Gauges
//! (bytes in the code cache now, constants such as the budget) are not
//! growth: they are kept as read, the largest value. Every sample also
//! checks the code-cache budget, for engines that report one. (A tiered
//! engine's background compile that finishes after its program is done
//! counts against the next program: the counters cannot tell modules apart.)
//!
//! Nothing here knows an engine: any engine that reports these counter
//! names gets these figures, any other gets none.

use std::collections::BTreeMap;

use crate::results::{BudgetCheck, BudgetSample, Counters};

/// Bytes in the code cache now.
pub const CACHE_BYTES: &str = "cache-bytes";
/// The largest `cache-bytes` so far.
pub const CACHE_PEAK_BYTES: &str = "cache-peak-bytes";
/// Size of the template library (constant).
pub const TEMPLATE_BYTES: &str = "template-bytes";
/// The configured code-cache budget (constant; 0 = unbounded).
pub const CACHE_BUDGET_BYTES: &str = "cache-budget-bytes";

/// Counters that are levels, not cumulative counts: never diffed.
pub const GAUGES: [&str; 4] = [CACHE_BYTES, CACHE_PEAK_BYTES, TEMPLATE_BYTES, CACHE_BUDGET_BYTES];

/// Counters whose name starts with this are fallbacks (compiled code
/// refused, the function left to the interpreter), one name per reason.
pub const FALLBACK_PREFIX: &str = "fallback-";

/// An engine's counters over one measurement (see the module docs).
#[derive(Debug)]
pub struct Sampler {
    before: BTreeMap<&'static str, u64>,
    out: Counters,
}

impl Sampler {
    /// Starts from the counters read just before the first measurement.
    pub fn start(before: &[(&'static str, u64)]) -> Sampler {
        Sampler { before: before.iter().copied().collect(), out: Counters::default() }
    }

    /// Takes the counters read after a measured sample; `after` names that
    /// sample, and is asked for only when the sample is the budget's worst.
    pub fn sample(&mut self, now: &[(&'static str, u64)], after: impl FnOnce() -> String) {
        self.out.samples += 1;
        let read = |name: &str| now.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        for &(name, value) in now {
            if GAUGES.contains(&name) {
                let max = self.out.gauges.entry(name.to_string()).or_insert(value);
                *max = (*max).max(value);
            } else {
                // A counter that went down (an engine bug, or a reset) grew by nothing.
                let grown = value.saturating_sub(self.before.get(name).copied().unwrap_or(0));
                self.out.totals.insert(name.to_string(), grown);
            }
        }
        let (Some(cache_bytes), Some(budget_bytes)) = (read(CACHE_BYTES), read(CACHE_BUDGET_BYTES)) else {
            return;
        };
        // A cache without a template library still has a budget.
        let template_bytes = read(TEMPLATE_BYTES).unwrap_or(0);
        let mut this = BudgetSample { after: String::new(), cache_bytes, template_bytes, budget_bytes };
        let budget = self.out.budget.get_or_insert_with(|| BudgetCheck { samples: 0, over: 0, worst: this.clone() });
        budget.samples += 1;
        budget.over += usize::from(!this.within());
        let worse = |a: &BudgetSample, b: &BudgetSample| (!a.within(), a.used()) > (!b.within(), b.used());
        if budget.samples == 1 || worse(&this, &budget.worst) {
            this.after = after();
            budget.worst = this;
        }
    }

    /// What was counted; `None` for an engine that reports no counters, or
    /// when no sample was taken.
    pub fn finish(self) -> Option<Counters> {
        let counted = !self.out.totals.is_empty() || !self.out.gauges.is_empty();
        (self.out.samples > 0 && counted).then_some(self.out)
    }
}

impl Counters {
    /// A cumulative counter's growth over the measurement.
    pub fn total(&self, name: &str) -> Option<u64> {
        self.totals.get(name).copied()
    }

    /// The largest value a gauge had.
    pub fn gauge(&self, name: &str) -> Option<u64> {
        self.gauges.get(name).copied()
    }

    fn per(numerator: Option<u64>, denominator: Option<u64>) -> Option<f64> {
        match (numerator, denominator) {
            (Some(n), Some(d)) if d > 0 => Some(n as f64 / d as f64),
            _ => None,
        }
    }

    /// Mean compile time of one function, ns.
    pub fn compile_ns_per_function(&self) -> Option<f64> {
        Counters::per(self.total("compile-ns"), self.total("compiles"))
    }

    /// Compile time per byte of wasm function body compiled, ns.
    pub fn compile_ns_per_wasm_byte(&self) -> Option<f64> {
        Counters::per(self.total("compile-ns"), self.total("compiled-wasm-bytes"))
    }

    /// Mean time a compile request waited in the queue, ns: over the
    /// requests that were queued (dropped ones never waited).
    pub fn mean_queue_wait_ns(&self) -> Option<f64> {
        let queued = self.total("requests")?.saturating_sub(self.total("queue-drops").unwrap_or(0));
        Counters::per(self.total("queue-wait-ns"), Some(queued))
    }

    /// Mean time from a compile request to its code being installed, ns:
    /// over the tier-ups (each one installed code).
    pub fn mean_switch_ns(&self) -> Option<f64> {
        Counters::per(self.total("switch-ns"), self.total("tier-ups"))
    }

    /// The most bytes the code cache held at any sample.
    pub fn cache_bytes_max(&self) -> Option<u64> {
        self.gauge(CACHE_BYTES)
    }

    pub fn evictions(&self) -> Option<u64> {
        self.total("evictions")
    }

    /// Every fallback reason counted, with its count (the prefix removed).
    pub fn fallbacks(&self) -> Vec<(&str, u64)> {
        self.totals.iter().filter_map(|(k, v)| Some((k.strip_prefix(FALLBACK_PREFIX)?, *v))).collect()
    }

    /// Whether any compiler or code-cache figure can be derived: the
    /// engines the dashboard's compiler section shows.
    pub fn has_compiler_figures(&self) -> bool {
        self.compile_ns_per_function().is_some()
            || self.mean_queue_wait_ns().is_some()
            || self.cache_bytes_max().is_some()
            || self.budget.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(s: &str) -> impl FnOnce() -> String + '_ {
        move || s.to_string()
    }

    #[test]
    fn cumulative_counters_are_diffed_from_before_the_first_sample() {
        // A second program on the same engine: the lifetime counters start high.
        let mut s = Sampler::start(&[("compiles", 40), ("compile-ns", 4_000_000), ("tier-ups", 7)]);
        s.sample(&[("compiles", 41), ("compile-ns", 4_100_000), ("tier-ups", 7)], label("a"));
        s.sample(&[("compiles", 44), ("compile-ns", 4_600_000), ("tier-ups", 9), ("evictions", 2)], label("b"));
        let c = s.finish().unwrap();
        assert_eq!(c.samples, 2);
        assert_eq!(c.total("compiles"), Some(4));
        assert_eq!(c.total("compile-ns"), Some(600_000));
        assert_eq!(c.total("tier-ups"), Some(2));
        // New since the start: counted from zero.
        assert_eq!(c.evictions(), Some(2));
        assert_eq!(c.compile_ns_per_function(), Some(150_000.0));
        // No compiled-wasm-bytes: no per-byte figure rather than a guess.
        assert_eq!(c.compile_ns_per_wasm_byte(), None);
        assert!(c.budget.is_none());
    }

    #[test]
    fn a_counter_that_goes_down_grew_by_nothing() {
        let mut s = Sampler::start(&[("compiles", 10)]);
        s.sample(&[("compiles", 3)], label("a"));
        assert_eq!(s.finish().unwrap().total("compiles"), Some(0));
    }

    #[test]
    fn gauges_are_kept_as_read_and_the_largest_wins() {
        let mut s = Sampler::start(&[(CACHE_BYTES, 900), (TEMPLATE_BYTES, 100)]);
        s.sample(&[(CACHE_BYTES, 500), (TEMPLATE_BYTES, 100), (CACHE_BUDGET_BYTES, 0)], label("a"));
        s.sample(&[(CACHE_BYTES, 2000), (TEMPLATE_BYTES, 100), (CACHE_BUDGET_BYTES, 0)], label("b"));
        s.sample(&[(CACHE_BYTES, 1000), (TEMPLATE_BYTES, 100), (CACHE_BUDGET_BYTES, 0)], label("c"));
        let c = s.finish().unwrap();
        assert_eq!(c.cache_bytes_max(), Some(2000), "not 2000 - 900");
        assert_eq!(c.gauge(TEMPLATE_BYTES), Some(100));
        assert!(c.totals.is_empty(), "gauges are not diffed: {:?}", c.totals);
        // Budget 0 is unbounded: always within; the worst is the most in use.
        let b = c.budget.unwrap();
        assert_eq!((b.samples, b.over), (3, 0));
        assert_eq!((b.worst.after.as_str(), b.worst.used()), ("b", 2100));
        assert!(b.worst.within());
    }

    #[test]
    fn the_budget_is_checked_at_every_sample_and_the_worst_kept() {
        let at = |cache| [(CACHE_BYTES, cache), (TEMPLATE_BYTES, 1000), (CACHE_BUDGET_BYTES, 5000)];
        let mut s = Sampler::start(&at(0));
        s.sample(&at(3000), label("startup 0"));
        s.sample(&at(4000), label("startup 1")); // exactly the budget: within
        s.sample(&at(4500), label("call 3")); // over
        s.sample(&at(4200), label("call 4")); // over, less
        s.sample(&at(1000), label("call 5"));
        let b = s.finish().unwrap().budget.unwrap();
        assert_eq!((b.samples, b.over), (5, 2));
        assert_eq!(b.worst.after, "call 3");
        assert_eq!((b.worst.cache_bytes, b.worst.template_bytes, b.worst.budget_bytes), (4500, 1000, 5000));
        assert!(!b.worst.within());

        // Within at every sample: the worst is the fullest.
        let mut s = Sampler::start(&[]);
        s.sample(&at(100), label("x"));
        s.sample(&at(4000), label("y"));
        let b = s.finish().unwrap().budget.unwrap();
        assert_eq!((b.over, b.worst.after.as_str()), (0, "y"));
    }

    #[test]
    fn a_cache_without_templates_still_has_its_budget_checked() {
        let mut s = Sampler::start(&[]);
        s.sample(&[(CACHE_BYTES, 70), (CACHE_BUDGET_BYTES, 64)], label("a"));
        let b = s.finish().unwrap().budget.unwrap();
        assert_eq!((b.over, b.worst.template_bytes), (1, 0));
    }

    #[test]
    fn queue_switch_and_fallback_figures() {
        let mut s = Sampler::start(&[]);
        s.sample(
            &[
                ("requests", 12),
                ("queue-drops", 2),
                ("queue-wait-ns", 50_000),
                ("switch-ns", 900_000),
                ("tier-ups", 9),
                ("compiled-wasm-bytes", 4_000),
                ("compile-ns", 800_000),
                ("compiles", 10),
                ("fallback-patch", 1),
                ("fallback-budget", 0),
            ],
            label("a"),
        );
        let c = s.finish().unwrap();
        assert_eq!(c.mean_queue_wait_ns(), Some(5_000.0), "10 requests were queued");
        assert_eq!(c.mean_switch_ns(), Some(100_000.0));
        assert_eq!(c.compile_ns_per_wasm_byte(), Some(200.0));
        assert_eq!(c.fallbacks(), vec![("budget", 0), ("patch", 1)]);
        assert!(c.has_compiler_figures());
    }

    #[test]
    fn engines_without_counters_get_none() {
        let mut s = Sampler::start(&[]);
        s.sample(&[], label("a"));
        assert_eq!(s.finish(), None);
        // Counters, but no sample taken (the engine failed first).
        assert_eq!(Sampler::start(&[("compiles", 1)]).finish(), None);
        // A tiered engine's tier-up counts, but nothing for the compiler section.
        let mut s = Sampler::start(&[("tier-ups", 0)]);
        s.sample(&[("tier-ups", 3), ("osr-entries", 1)], label("a"));
        let c = s.finish().unwrap();
        assert_eq!(c.total("tier-ups"), Some(3));
        assert!(!c.has_compiler_figures());
        assert_eq!(c.mean_switch_ns(), None);
    }
}
