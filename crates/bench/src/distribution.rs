//! Which record an operation touches: YCSB's request distributions.
//!
//! - `uniform`: every readable record equally likely.
//! - `zipfian`: a few records are hot. Record ranks follow Zipf's law with YCSB's constant 0.99
//!   (the most popular record is drawn about 1/ζ(n) of the time); ranks are then scattered over
//!   the key space by hashing, as YCSB's `ScrambledZipfianGenerator` does, so the hot records are
//!   not neighbours. Ranks cover the records of the load phase; records inserted later are reached
//!   by scans, as in YCSB.
//! - `latest`: the most recently inserted records are hot (workload D): the record
//!   `limit - 1 - zipfian(limit)`, where `limit` grows as inserts are acknowledged.
//!
//! The Zipf sampler is Gray et al., "Quickly Generating Billion-Record Synthetic Databases"
//! (SIGMOD 1994), as YCSB implements it: one uniform draw and one `powf` per sample, after
//! computing ζ(n, θ) once. ζ is extended incrementally when `n` grows.

use std::sync::Arc;

use crate::rng::{Rng, fnv_hash64};

/// YCSB's Zipf constant θ.
pub const ZIPFIAN_CONSTANT: f64 = 0.99;

/// A request distribution, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Every readable record equally likely.
    Uniform,
    /// Zipf-distributed popularity, hot records scattered over the key space.
    Zipfian,
    /// The most recently inserted records are the most popular.
    Latest,
}

impl Distribution {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Zipfian => "zipfian",
            Distribution::Latest => "latest",
        }
    }
}

/// ζ(n, θ) = Σ_{i=1..n} 1/i^θ, the normaliser of the Zipf distribution over `n` items.
fn zeta(from: u64, to: u64, theta: f64, start: f64) -> f64 {
    (from + 1..=to).fold(start, |sum, i| sum + 1.0 / (i as f64).powf(theta))
}

/// Draws ranks `0..n` with Zipf-distributed popularity (rank 0 the most popular).
///
/// Cloning is cheap: the expensive ζ(n) is computed once and each worker clones the result.
#[derive(Debug, Clone)]
pub struct Zipfian {
    theta: f64,
    alpha: f64,
    zeta2: f64,
    items: u64,
    zeta_n: f64,
    eta: f64,
}

impl Zipfian {
    /// A sampler over `items` ranks (at least 1) with constant `theta` in (0, 1).
    ///
    /// Costs one `powf` per item: about 20 ms per million items.
    pub fn new(items: u64, theta: f64) -> Self {
        assert!(items >= 1, "a Zipf distribution needs at least one item");
        assert!(theta > 0.0 && theta < 1.0, "Gray's sampler needs 0 < θ < 1");
        let zeta_n = zeta(0, items, theta, 0.0);
        let mut zipfian = Zipfian {
            theta,
            alpha: 1.0 / (1.0 - theta),
            zeta2: zeta(0, 2, theta, 0.0),
            items,
            zeta_n,
            eta: 0.0,
        };
        zipfian.eta = zipfian.eta_for(items);
        zipfian
    }

    fn eta_for(&self, items: u64) -> f64 {
        (1.0 - (2.0 / items as f64).powf(1.0 - self.theta)) / (1.0 - self.zeta2 / self.zeta_n)
    }

    /// Grows the item count to `items` (never shrinks), extending ζ by the new terms only.
    pub fn grow_to(&mut self, items: u64) {
        if items > self.items {
            self.zeta_n = zeta(self.items, items, self.theta, self.zeta_n);
            self.items = items;
            self.eta = self.eta_for(items);
        }
    }

    /// The number of ranks drawn from.
    pub fn items(&self) -> u64 {
        self.items
    }

    /// A rank in `0..items`.
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        let u = rng.unit();
        let uz = u * self.zeta_n;
        if uz < 1.0 {
            return 0;
        }
        if uz < 1.0 + 0.5f64.powf(self.theta) {
            return 1.min(self.items - 1);
        }
        let rank = (self.items as f64 * (self.eta * u - self.eta + 1.0).powf(self.alpha)) as u64;
        rank.min(self.items - 1)
    }
}

/// One worker's record chooser: a [`Distribution`] with its state.
#[derive(Debug, Clone)]
pub enum KeyChooser {
    /// Uniform over the readable records.
    Uniform,
    /// Zipfian ranks over the loaded records, scattered by hashing.
    Zipfian(Arc<Zipfian>),
    /// Zipfian distance back from the newest readable record.
    Latest(Zipfian),
}

impl KeyChooser {
    /// A chooser over `loaded` records (at least 1). Builds the Zipf table for `zipfian` and
    /// `latest`; clone the result for each worker rather than calling this per worker.
    pub fn new(distribution: Distribution, loaded: u64) -> Self {
        match distribution {
            Distribution::Uniform => KeyChooser::Uniform,
            Distribution::Zipfian => {
                KeyChooser::Zipfian(Arc::new(Zipfian::new(loaded, ZIPFIAN_CONSTANT)))
            }
            Distribution::Latest => KeyChooser::Latest(Zipfian::new(loaded, ZIPFIAN_CONSTANT)),
        }
    }

    /// A record number in `0..limit`, where `limit` (at least 1) is the count of records known
    /// to exist: the loaded ones plus the acknowledged inserts.
    pub fn next(&mut self, rng: &mut Rng, limit: u64) -> u64 {
        debug_assert!(limit >= 1, "no record to choose from");
        match self {
            KeyChooser::Uniform => rng.below(limit),
            KeyChooser::Zipfian(zipfian) => {
                let space = zipfian.items().min(limit);
                fnv_hash64(zipfian.sample(rng)) % space
            }
            KeyChooser::Latest(zipfian) => {
                zipfian.grow_to(limit);
                limit - 1 - zipfian.sample(rng).min(limit - 1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(chooser: &mut KeyChooser, limit: u64, draws: usize) -> Vec<u64> {
        let mut rng = Rng::new(42);
        let mut counts = vec![0u64; limit as usize];
        for _ in 0..draws {
            let key = chooser.next(&mut rng, limit);
            assert!(key < limit, "{key} out of 0..{limit}");
            counts[key as usize] += 1;
        }
        counts
    }

    #[test]
    fn zeta_matches_the_direct_sum_and_grows_incrementally() {
        let direct: f64 = (1..=1000).map(|i| 1.0 / (i as f64).powf(0.99)).sum();
        let mut zipfian = Zipfian::new(10, 0.99);
        zipfian.grow_to(1000);
        assert!((zipfian.zeta_n - direct).abs() < 1e-9);
        assert_eq!(zipfian.items(), 1000);
        let fresh = Zipfian::new(1000, 0.99);
        assert!((fresh.eta - zipfian.eta).abs() < 1e-12);
    }

    #[test]
    fn zipfian_ranks_follow_zipfs_law() {
        let zipfian = Zipfian::new(1000, ZIPFIAN_CONSTANT);
        let mut rng = Rng::new(9);
        let draws = 1_000_000;
        let mut counts = vec![0u64; 1000];
        for _ in 0..draws {
            counts[zipfian.sample(&mut rng) as usize] += 1;
        }
        // P(rank 0) = 1/ζ(1000, 0.99) ≈ 0.1294 exactly in Gray's sampler; P(rank 9) ≈
        // P(rank 0) / 10^0.99 ≈ 0.0132 by Zipf's law, which the sampler approximates.
        let p0 = counts[0] as f64 / draws as f64;
        let p9 = counts[9] as f64 / draws as f64;
        assert!((p0 - 0.1294).abs() < 0.002, "p0 {p0}");
        assert!((p9 - 0.0132).abs() < 0.003, "p9 {p9}");
        assert!(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[500]);
    }

    #[test]
    fn scrambled_zipfian_scatters_the_hot_records() {
        let mut chooser = KeyChooser::new(Distribution::Zipfian, 1000);
        let counts = histogram(&mut chooser, 1000, 200_000);
        let hottest = (0..1000).max_by_key(|&i| counts[i]).unwrap();
        assert_eq!(
            hottest as u64,
            fnv_hash64(0) % 1000,
            "rank 0 lands where its hash says"
        );
        // The hottest record takes about 14% of the draws; a uniform one would take 0.1%.
        assert!(
            counts[hottest] > 20_000,
            "hottest has only {}",
            counts[hottest]
        );
    }

    #[test]
    fn zipfian_stays_below_a_smaller_limit() {
        let mut chooser = KeyChooser::new(Distribution::Zipfian, 1000);
        histogram(&mut chooser, 10, 10_000);
    }

    #[test]
    fn uniform_covers_every_record_evenly() {
        let counts = histogram(&mut KeyChooser::Uniform, 100, 100_000);
        assert!(
            counts.iter().all(|&c| (800..=1200).contains(&c)),
            "{counts:?}"
        );
    }

    #[test]
    fn latest_prefers_the_newest_records_and_follows_the_limit() {
        let mut chooser = KeyChooser::new(Distribution::Latest, 100);
        let counts = histogram(&mut chooser, 100, 100_000);
        assert!(counts[99] > counts[98] && counts[98] > counts[50] && counts[50] >= counts[0]);
        // After inserts the newest record is the hottest again.
        let counts = histogram(&mut chooser, 150, 100_000);
        let hottest = (0..150).max_by_key(|&i| counts[i]).unwrap();
        assert_eq!(hottest, 149);
    }
}
