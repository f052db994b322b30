//! Work split over threads: compiling or translating a large module's
//! functions, which are independent of each other.

use wasmlab_contract::Error;

/// Bytes of wasm code below which a module's functions are handled on the
/// calling thread: threads cost more than they save for small modules.
pub const PARALLEL_FROM: usize = 256 << 10;

/// `f(0..n)` in order, on up to 8 threads when the items' total `weight`
/// reaches `from` (below it threads cost more than they save), in chunks
/// of about equal weight. The first error wins; a panicking thread is an
/// internal error naming `what`.
pub fn map<T: Send>(
    n: usize,
    weight: impl Fn(usize) -> usize,
    from: usize,
    f: impl Fn(usize) -> Result<T, Error> + Sync,
    what: &str,
) -> Result<Vec<T>, Error> {
    let total: usize = (0..n).map(&weight).sum();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(8);
    if total < from || threads < 2 || n < 2 {
        return (0..n).map(f).collect();
    }
    let per = total.div_ceil(threads);
    let mut chunks: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut start, mut acc) = (0, 0);
    for k in 0..n {
        acc += weight(k);
        if acc >= per {
            chunks.push(start..k + 1);
            (start, acc) = (k + 1, 0);
        }
    }
    if start < n {
        chunks.push(start..n);
    }
    let f = &f;
    let parts: Vec<Result<Vec<T>, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks.into_iter().map(|c| s.spawn(move || c.map(f).collect())).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(Error::Internal(format!("{what}: a worker thread panicked")))))
            .collect()
    });
    let mut out = Vec::with_capacity(n);
    for p in parts {
        out.extend(p?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_order_whether_split_or_not() {
        let small = map(10, |_| 1, PARALLEL_FROM, |k| Ok(k * 2), "t").unwrap();
        assert_eq!(small, (0..10).map(|k| k * 2).collect::<Vec<_>>());
        let big = map(1000, |_| PARALLEL_FROM / 100, PARALLEL_FROM, Ok, "t").unwrap();
        assert_eq!(big, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn an_error_is_returned_not_lost() {
        let r = map(
            1000,
            |_| PARALLEL_FROM,
            PARALLEL_FROM,
            |k| if k == 700 { Err(Error::Internal("x".into())) } else { Ok(k) },
            "t",
        );
        assert!(r.is_err());
    }
}
