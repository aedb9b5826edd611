//! A small, fast pseudo-random generator and the FNV hash YCSB uses to scatter record numbers.
//!
//! The load generator draws several random numbers per operation on every worker, so the
//! generator must cost a few nanoseconds and need no locking: each worker owns one [`Rng`].
//! Statistical quality needs only to be good enough for picking keys and payload offsets;
//! wyrand passes BigCrush and PractRand, which is more than that.

/// wyrand: 64 bits of state, one multiply per draw. Not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose sequence is fixed by `seed` (runs with the same seed draw the same keys).
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0xa076_1d64_78bd_642f);
        let product = u128::from(self.state) * u128::from(self.state ^ 0xe703_7ed1_a0b4_28db);
        ((product >> 64) as u64) ^ (product as u64)
    }

    /// A uniform integer in `0..bound`. `bound` must not be zero.
    ///
    /// Lemire's multiply-shift: the bias is below `bound / 2^64`, far under anything a benchmark
    /// could observe, and it needs no division.
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0, "below(0) has no value to return");
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// A uniform float in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// FNV-1a over the eight little-endian bytes of `value`, as YCSB's `Utils.fnvhash64`
/// (which also clears the sign bit so the result is a non-negative Java long).
pub fn fnv_hash64(value: u64) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 1_099_511_628_211;
    let mut hash = OFFSET_BASIS;
    for byte in value.to_le_bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash & (u64::MAX >> 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_other_seed_other_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let mut c = Rng::new(8);
        let from_a: Vec<u64> = (0..16).map(|_| a.next_u64()).collect();
        let from_b: Vec<u64> = (0..16).map(|_| b.next_u64()).collect();
        let from_c: Vec<u64> = (0..16).map(|_| c.next_u64()).collect();
        assert_eq!(from_a, from_b);
        assert_ne!(from_a, from_c);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(1);
        let mut seen = [0u32; 10];
        for _ in 0..100_000 {
            let value = rng.below(10);
            assert!(value < 10);
            seen[value as usize] += 1;
        }
        // Each bucket expects 10,000; 5 standard deviations is about 475.
        for count in seen {
            assert!(
                (9_500..=10_500).contains(&count),
                "uneven buckets: {seen:?}"
            );
        }
    }

    #[test]
    fn unit_is_in_the_half_open_interval_with_mean_one_half() {
        let mut rng = Rng::new(3);
        let mut sum = 0.0;
        for _ in 0..100_000 {
            let value = rng.unit();
            assert!((0.0..1.0).contains(&value));
            sum += value;
        }
        let mean = sum / 100_000.0;
        assert!((mean - 0.5).abs() < 0.01, "mean {mean}");
    }

    #[test]
    fn fnv_hash_is_non_negative_and_scatters_neighbours() {
        assert_eq!(fnv_hash64(0) >> 63, 0);
        assert_ne!(fnv_hash64(1), fnv_hash64(2));
        // Neighbouring record numbers must not land next to each other.
        let difference = fnv_hash64(1).abs_diff(fnv_hash64(2));
        assert!(difference > 1 << 32, "difference {difference}");
    }
}
