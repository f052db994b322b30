//! A small deterministic random source (SplitMix64). Campaign cases must be
//! reproducible from `(seed, index)` alone, on any machine and in any worker,
//! so the generator's entropy comes from here rather than from the OS.

#[derive(Clone, Debug)]
pub struct Rng(u64);

/// One SplitMix64 finalisation step: a good 64-bit mixer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of [`Rng::derive`]`(seed, index, stream)`: `Rng::new` of it
/// gives the same stream (workers are sent such seeds).
pub fn derive_seed(seed: u64, index: u64, stream: u64) -> u64 {
    mix(seed ^ mix(index.wrapping_add(0x5851_f42d_4c95_7f2d) ^ mix(stream.wrapping_add(1))))
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// An independent stream for case `index` of campaign `seed`; `stream`
    /// separates the uses of one case (module bytes, call arguments).
    pub fn derive(seed: u64, index: u64, stream: u64) -> Rng {
        Rng(derive_seed(seed, index, stream))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in `0..n` (`n > 0`); the tiny modulo bias does not matter here.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            out.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, 3, 0).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(Rng::derive(7, 3, 0).next_u64(), Rng::derive(7, 4, 0).next_u64());
        assert_ne!(Rng::derive(7, 3, 0).next_u64(), Rng::derive(7, 3, 1).next_u64());
        assert_ne!(Rng::derive(7, 3, 0).next_u64(), Rng::derive(8, 3, 0).next_u64());
        assert_eq!(Rng::new(1).bytes(13).len(), 13);
    }
}
