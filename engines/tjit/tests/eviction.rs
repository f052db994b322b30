//! The code cache of `tjit-tiered` under budgets that hold only a few
//! functions: least-recently-used eviction, the budget never exceeded, an
//! evicted function interpreted (correctly) until it is hot again and then
//! compiled again; and code evicted while another thread runs it, which
//! must stay allocated (and keep running) until that thread has left it,
//! and be freed afterwards.

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel};
use std::time::Duration;

use common::{get, inst, wasm};
use wasmlab_contract::{Engine, EngineConfig, FuncType, HostFunc, Import, Imports, Instance, Trap, Val, ValType};
use wasmlab_tjit::{Fault, TieredEngine};

/// Deterministic (compiles in the calling thread), a function hot at its
/// first call; `budget` 0 is unbounded.
fn config(budget: Option<usize>) -> EngineConfig {
    EngineConfig {
        tier_calls: Some(1),
        deterministic_tiering: true,
        code_cache_bytes: budget,
        ..EngineConfig::default()
    }
}

fn library() -> usize {
    wasmlab_tjit::template::library_bytes()
}

/// Code bytes of each function `exports[k]` as `tjit-tiered` compiles it
/// (unbounded cache; each compiled by its first call), in order.
fn sizes(i: &mut dyn Instance, e: &TieredEngine, exports: &[&str], arg: i32) -> Vec<usize> {
    exports
        .iter()
        .map(|f| {
            let before = e.cache().bytes();
            i.call(f, &[Val::I32(arg)]).unwrap();
            e.cache().bytes() - before
        })
        .collect()
}

/// Five functions of five different sizes (one more `i32.add` each), so
/// what is left in the cache names what was evicted.
const FIVE: &str = r#"(module
  (func (export "a") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "b") (param i32) (result i32)
    (i32.add (i32.add (local.get 0) (i32.const 1)) (i32.const 2)))
  (func (export "c") (param i32) (result i32)
    (i32.add (i32.add (i32.add (local.get 0) (i32.const 1)) (i32.const 2)) (i32.const 3)))
  (func (export "d") (param i32) (result i32)
    (i32.add (i32.add (i32.add (i32.add (local.get 0) (i32.const 1)) (i32.const 2)) (i32.const 3)) (i32.const 4)))
  (func (export "e") (param i32) (result i32)
    (i32.add (i32.add (i32.add (i32.add (i32.add (local.get 0) (i32.const 1)) (i32.const 2)) (i32.const 3))
      (i32.const 4)) (i32.const 5)))
)"#;

const NAMES: [&str; 5] = ["a", "b", "c", "d", "e"];

/// What function `k` of `FIVE` returns for `x`.
fn five(k: usize, x: i32) -> Vec<Val> {
    vec![Val::I32(x.wrapping_add((1..=k as i32 + 1).sum::<i32>()))]
}

struct Checked<'a> {
    e: &'a TieredEngine,
    i: Box<dyn Instance>,
    budget: u64,
}

impl Checked<'_> {
    /// Calls function `k` and checks its result and the budget.
    fn call(&mut self, k: usize) {
        let x = 1000 + k as i32;
        assert_eq!(self.i.call(NAMES[k], &[Val::I32(x)]), Ok(five(k, x)), "{}", NAMES[k]);
        let s = self.e.stats();
        assert!(get(&s.cache_peak) + get(&s.template_bytes) <= self.budget, "over budget: {:?}", self.e.counters());
        assert!(get(&s.cache_bytes) <= get(&s.cache_peak));
    }
}

#[test]
fn the_least_recently_used_function_is_evicted_and_compiled_again_when_hot() {
    let calib = TieredEngine::new(&config(Some(0)));
    let size = sizes(inst(&calib, FIVE).as_mut(), &calib, &NAMES, 7);
    for w in size.windows(2) {
        assert!(w[0] < w[1], "sizes {size:?}");
    }
    // Room for any three functions, never for four.
    let most3 = size[2] + size[3] + size[4];
    let least4 = size[0] + size[1] + size[2] + size[3];
    assert!(most3 < least4, "sizes {size:?}");
    let capacity = (most3 + least4) / 2;
    let budget = library() + capacity;
    let e = TieredEngine::new(&config(Some(budget)));
    let mut t = Checked { e: &e, i: inst(&e, FIVE), budget: budget as u64 };
    let s = e.stats();

    for k in 0..3 {
        t.call(k);
    }
    assert_eq!(get(&s.tier_ups), 3);
    assert_eq!(get(&s.evictions), 0);
    assert_eq!(e.cache().bytes(), size[0] + size[1] + size[2]);

    // A fourth needs room: one of the three goes (all three were used
    // since they were installed, so any of them may).
    t.call(3);
    assert_eq!(get(&s.tier_ups), 4);
    assert_eq!(get(&s.evictions), 1);
    assert_eq!(e.cache().pending(), 0, "nothing runs the evicted code: freed at once");
    let left = e.cache().bytes() - size[3];
    let victims: Vec<usize> =
        (0..3).filter(|&v| (0..3).filter(|&k| k != v).map(|k| size[k]).sum::<usize>() == left).collect();
    assert_eq!(victims.len(), 1, "{left} bytes left of {size:?}");
    let v = victims[0];
    let (y, z) = match v {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    };

    // `y`, installed before `z`, is used again; `z` is not. The next
    // insertion evicts `z`, the least recently used (first-in-first-out
    // would pick `y`).
    for _ in 0..5 {
        t.call(y);
    }
    t.call(4);
    assert_eq!(get(&s.evictions), 2, "{:?}", e.counters());
    let left = e.cache().bytes();
    assert_ne!(left, size[z] + size[3] + size[4], "{} (used since) was evicted, not {}", NAMES[y], NAMES[z]);
    assert_eq!(left, size[y] + size[3] + size[4], "{} was not evicted", NAMES[z]);

    // The first victim is interpreted (correctly) on its next call, which
    // only rearms it, and compiled again on the one after: hot again.
    let ups = get(&s.tier_ups);
    t.call(v);
    assert_eq!(get(&s.tier_ups), ups, "compiled again at once, without getting hot");
    t.call(v);
    assert_eq!(get(&s.tier_ups), ups + 1, "{:?}", e.counters());
    assert_eq!(get(&s.evictions), 3);
    for _ in 0..3 {
        for k in 0..5 {
            t.call(k);
        }
    }
    assert!(get(&s.evictions) > 3);
    assert!(get(&s.reclaimed) >= get(&s.evictions) - e.cache().pending() as u64);
    assert!(get(&s.cache_peak) as usize <= capacity);
    assert!(get(&s.cache_peak) as usize >= size[0] + size[1] + size[2]);
    assert_eq!(get(&s.budget), budget as u64);
    assert_eq!(get(&s.no_room), 0);
}

#[test]
fn an_evicted_function_runs_interpreted_and_compiled_again_as_observed() {
    // With the planted wrong code, a result whose low byte is 0x5a tells
    // which tier ran: one too high from compiled code, right when
    // interpreted. A budget for one function: each insertion evicts the
    // other.
    let fault = Some(Fault::I32AddLowByte);
    let calib = TieredEngine::with_fault(&config(Some(0)), fault, "tjit-tiered-sizes");
    let size = sizes(inst(&calib, FIVE).as_mut(), &calib, &NAMES[..2], 7);
    let budget = library() + size[1] + size[0] / 2;
    let e = TieredEngine::with_fault(&config(Some(budget)), fault, "tjit-tiered-wrong");
    let mut i = inst(&e, FIVE);
    // a(0x159) = 0x15a and b(0x157) = 0x15a: 0x15b when compiled.
    let mut call = |f: &str, x: i32| i.call(f, &[Val::I32(x)]).unwrap()[0];
    let (compiled, interpreted) = (Val::I32(0x15b), Val::I32(0x15a));
    assert_eq!(call("a", 0x159), compiled, "the first call compiles");
    assert_eq!(call("a", 0x159), compiled);
    assert_eq!(call("b", 0x157), compiled, "b compiled, a evicted");
    assert_eq!(get(&e.stats().evictions), 1);
    assert_eq!(call("a", 0x159), interpreted, "evicted: interpreted");
    assert_eq!(call("a", 0x159), compiled, "hot again: compiled again (and b evicted)");
    assert_eq!(call("b", 0x157), interpreted, "b evicted: interpreted");
    assert_eq!(get(&e.stats().evictions), 2);
    assert_eq!(get(&e.stats().tier_ups), 3);
}

/// F calls the host, which blocks; the result's low byte is 0x5a, so the
/// planted fault shows whether the rest of F ran compiled.
const M1: &str = r#"(module
  (import "h" "block" (func $block (param i32) (result i32)))
  (func (export "f") (param i32) (result i32) (local $t i32)
    (local.set $t (i32.add (local.get 0) (i32.const 0x100)))
    (local.set $t (i32.add (call $block (local.get $t)) (i32.const 0x10)))
    (i32.add (local.get $t) (i32.const 0x4a))))"#;

const M2: &str = r#"(module
  (func (export "g0") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
  (func (export "g1") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 2)))
  (func (export "g2") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 3)))
  (func (export "g3") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 4))))"#;

const X: i32 = 0x1000;
/// f(X) = X + 0x15a.
const F_X: i32 = 0x115a;

/// Imports of M1: `block` returns its argument; the first call of
/// `blocker` first calls `entered` and then waits for `go`.
fn m1_imports(on_first: impl Fn() + Send + Sync + 'static) -> Imports {
    let calls = AtomicUsize::new(0);
    let mut imports = Imports::default();
    imports.define(
        "h",
        "block",
        Import::Func(HostFunc::new(FuncType::new([ValType::I32], [ValType::I32]), move |a: &[Val]| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                on_first();
            }
            match a[0] {
                Val::I32(x) => Ok(vec![Val::I32(x)]),
                _ => Err(Trap::HostError),
            }
        })),
    );
    imports
}

type Outcome = Result<Vec<Val>, String>;

/// What the main thread saw after thread A left F, with M1 still alive.
struct After {
    first: Outcome,
    second: Outcome,
    pending: usize,
    reclaimed: u64,
    bytes: usize,
}

/// Thread A instantiates M1 in its own store (stores are not `Send`) and
/// calls F, compiled at that first call, which blocks in the host. While
/// A is inside F, this thread runs `inside`; then A goes on, calls F once
/// more and keeps M1 alive while this thread collects the cache.
fn while_f_is_blocked<R>(e: &TieredEngine, inside: impl FnOnce() -> R) -> (R, After) {
    let (entered_tx, entered_rx) = channel::<()>();
    let (go_tx, go_rx) = channel::<()>();
    let (done_tx, done_rx) = channel::<(Outcome, Outcome)>();
    let (hold_tx, hold_rx) = sync_channel::<()>(1);
    let wait = Duration::from_secs(10);
    std::thread::scope(|s| {
        s.spawn(move || {
            let m1 = e.compile(&wasm(M1)).unwrap();
            let go_rx = Mutex::new(go_rx);
            let imports = m1_imports(move || {
                let _ = entered_tx.send(());
                // A dropped sender (the main thread failed) ends the wait too.
                let _ = go_rx.lock().unwrap().recv_timeout(wait);
            });
            let mut i = e.new_store().instantiate(m1.as_ref(), &imports).unwrap();
            let first = i.call("f", &[Val::I32(X)]).map_err(|e| e.to_string());
            let second = i.call("f", &[Val::I32(X)]).map_err(|e| e.to_string());
            let _ = done_tx.send((first, second));
            // M1 stays alive while the main thread collects: its code is
            // freed for want of pins, not because the module went away.
            let _ = hold_rx.recv_timeout(wait);
        });
        entered_rx.recv_timeout(wait).expect("thread A never reached the host function");
        let r = inside();
        go_tx.send(()).unwrap();
        let (first, second) = done_rx.recv_timeout(wait).expect("thread A did not finish");
        e.cache().collect();
        let after = After {
            first,
            second,
            pending: e.cache().pending(),
            reclaimed: get(&e.stats().reclaimed),
            bytes: e.cache().bytes(),
        };
        hold_tx.send(()).unwrap();
        (r, after)
    })
}

/// Code bytes of F as `fault`'s engine compiles it (the planted fault
/// adds code).
fn f_size(fault: Option<Fault>) -> usize {
    let calib = TieredEngine::with_fault(&config(Some(0)), fault, "tjit-tiered-sizes");
    let m = calib.compile(&wasm(M1)).unwrap();
    let mut i = calib.new_store().instantiate(m.as_ref(), &m1_imports(|| {})).unwrap();
    sizes(i.as_mut(), &calib, &["f"], X)[0]
}

struct Inside {
    tier_ups: u64,
    evictions: u64,
    pending: usize,
    pending_after_collect: usize,
    bytes: usize,
}

/// While A is inside F, compiles M2's functions (same engine, same cache)
/// until F is evicted.
fn evicted_while_running(fault: Option<Fault>) -> (Inside, After, usize) {
    let f = f_size(fault);
    let calib = TieredEngine::with_fault(&config(Some(0)), fault, "tjit-tiered-sizes");
    let g = sizes(inst(&calib, M2).as_mut(), &calib, &["g0", "g1", "g2", "g3"], 5);
    // Room for F and one g, never F and two: the second g evicts F (the
    // oldest, pinned: it frees nothing yet) and the first g (freed).
    let (gmin, gmax) = (*g.iter().min().unwrap(), *g.iter().max().unwrap());
    let capacity = f + gmax + 8;
    assert!(capacity < f + 2 * gmin && gmax + gmax <= capacity, "F {f}, g {g:?}");
    let e = TieredEngine::with_fault(&config(Some(library() + capacity)), fault, "tjit-tiered-under-test");
    let (inside, after) = while_f_is_blocked(&e, || {
        let tier_ups = get(&e.stats().tier_ups);
        let mut i2 = inst(&e, M2);
        for (k, g) in ["g0", "g1", "g2", "g3"].iter().enumerate() {
            assert_eq!(i2.call(g, &[Val::I32(100)]), Ok(vec![Val::I32(99 - k as i32)]));
            if get(&e.stats().evictions) > 0 && e.cache().pending() >= 1 {
                break;
            }
        }
        let (evictions, pending, bytes) = (get(&e.stats().evictions), e.cache().pending(), e.cache().bytes());
        // A is still inside F: collecting must not free F's code.
        e.cache().collect();
        Inside { tier_ups, evictions, pending, pending_after_collect: e.cache().pending(), bytes }
    });
    (inside, after, f)
}

#[test]
fn code_evicted_while_a_thread_runs_it_stays_until_that_thread_leaves() {
    let (i, a, f_size) = evicted_while_running(None);
    assert_eq!(i.tier_ups, 1, "F runs compiled when it blocks");
    assert!(i.evictions >= 1, "F was not evicted");
    assert!(i.pending >= 1, "F's code was freed while thread A ran it");
    assert!(i.pending_after_collect >= 1, "collect freed F's code while thread A ran it");
    assert!(i.bytes >= f_size, "F's bytes left the budget while allocated: {}", i.bytes);
    assert_eq!(a.first, Ok(vec![Val::I32(F_X)]));
    assert_eq!(a.second, Ok(vec![Val::I32(F_X)]), "F evicted: interpreted");
    assert_eq!(a.pending, 0, "F's code is not freed after thread A left it");
    assert!(a.reclaimed >= 1);
    assert!(a.bytes < f_size, "{} bytes still allocated", a.bytes);
}

#[test]
fn code_evicted_while_a_thread_runs_it_is_what_finishes_the_call() {
    // With the planted wrong code, F's result after the host call comes
    // out one too high only if its compiled (evicted) code finished it.
    let (i, a, _) = evicted_while_running(Some(Fault::I32AddLowByte));
    assert_eq!(i.tier_ups, 1);
    assert!(i.evictions >= 1 && i.pending >= 1, "{} evictions, {} pending", i.evictions, i.pending);
    assert_eq!(a.first, Ok(vec![Val::I32(F_X + 1)]), "the rest of F did not run compiled");
    assert_eq!(a.second, Ok(vec![Val::I32(F_X)]), "F evicted: interpreted");
    assert_eq!(a.pending, 0);
}

/// A small function and a large one (`n` additions of 1).
fn m3(n: usize) -> String {
    let sum = (0..n).fold("(local.get 0)".to_string(), |acc, _| format!("(i32.add {acc} (i32.const 1))"));
    format!(
        r#"(module
  (func (export "small") (param i32) (result i32) (i32.sub (local.get 0) (i32.const 1)))
  (func (export "large") (param i32) (result i32) {sum}))"#
    )
}

#[test]
fn an_insertion_that_cannot_succeed_evicts_nothing() {
    // F (pinned by thread A) and `small` are installed; `large` fits with
    // neither of them, but F cannot be freed while A is inside it: nothing
    // is evicted for an insertion that would fail anyway, `large` is
    // refused, and the `cache-bytes` gauge says what is allocated.
    let f = f_size(None);
    let calib = TieredEngine::new(&config(Some(0)));
    let m3 = m3(30);
    let g = sizes(inst(&calib, &m3).as_mut(), &calib, &["small", "large"], 5);
    let (small, large) = (g[0], g[1]);
    let capacity = f + small + 4;
    // `large` fits alone, not beside F or `small`.
    assert!(large > f.max(small) + 4 && large <= capacity, "F {f}, small {small}, large {large}");
    let e = TieredEngine::new(&config(Some(library() + capacity)));
    let (seen, after) = while_f_is_blocked(&e, || {
        let mut i = inst(&e, &m3);
        assert_eq!(i.call("small", &[Val::I32(5)]), Ok(vec![Val::I32(4)]));
        let installed = (get(&e.stats().tier_ups), e.cache().bytes());
        assert_eq!(i.call("large", &[Val::I32(5)]), Ok(vec![Val::I32(35)]));
        (installed, get(&e.stats().evictions), get(&e.stats().no_room), e.cache().bytes(), get(&e.stats().cache_bytes))
    });
    let ((tier_ups, installed), evictions, no_room, bytes, gauge) = seen;
    assert_eq!((tier_ups, installed), (2, f + small), "F and small installed");
    assert_eq!((evictions, no_room), (0, 1), "nothing evicted, large refused");
    assert_eq!(bytes, f + small, "F and small stay installed");
    assert_eq!(gauge, bytes as u64, "cache-bytes is stale after a refused insertion");
    assert_eq!(after.first, Ok(vec![Val::I32(F_X)]));
    assert_eq!(after.pending, 0);
}
