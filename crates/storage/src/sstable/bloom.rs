//! Bloom filters on user keys, one per table.
//!
//! Tables are written with a *cache-local* filter: an array of 64-byte lines; a key picks one
//! line from the high half of its 64-bit hash and sets `k` bits inside it from the low half.
//! Checking a key therefore touches one cache line, where a classic filter's `k` probes land on
//! `k` lines across the whole array: with several tables to ask per read, those misses were
//! a large part of a point read. The price is a slightly higher false-positive rate at the same
//! size (about 0.95% instead of 0.8% at 10 bits per key).
//!
//! Layout: the lines (`64 × n` bytes), then one byte `0x80 | k`. The classic layout of earlier
//! tables, still read, is the bit array (at least 8 bytes) followed by the byte `k` (1..=30),
//! probing bits `h1 + i * h2 (mod bits)` (double hashing, Kirsch and Mitzenmacher), where
//! `h1`/`h2` are the halves of the hash. A filter in neither layout answers "maybe".

/// Marks the cache-local layout in the last byte (the classic one keeps `k` ≤ 30 there).
const LOCAL: u8 = 0x80;
/// Bytes, and bits, of one line of a cache-local filter.
const LINE_BYTES: usize = 64;
const LINE_BITS: u32 = 512;

/// A 64-bit hash of `key` (stable across versions: it is persisted in filters).
#[inline]
pub(crate) fn hash(key: &[u8]) -> u64 {
    const M: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h: u64 = 0x5851_f42d_4c95_7f2d ^ (key.len() as u64).wrapping_mul(M);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes(c.try_into().expect("8-byte chunk"));
        h = (h ^ w).wrapping_mul(M).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(tail))
            .wrapping_mul(M)
            .rotate_left(29);
    }
    // Final avalanche (the splitmix64 finaliser).
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Probes per key for `bits_per_key`: `bits_per_key × ln 2` minus one, since probes confined
/// to one line collide more (the optimum RocksDB's cache-local filter also uses), at least 1.
fn probes(bits_per_key: u32) -> u32 {
    ((f64::from(bits_per_key) * std::f64::consts::LN_2).round() as u32)
        .saturating_sub(1)
        .clamp(1, 16)
}

/// The line of a filter of `lines` lines that `h` maps to (the high half, scaled to `lines`).
#[inline]
fn line_of(h: u64, lines: usize) -> usize {
    (((h >> 32) * lines as u64) >> 32) as usize
}

/// The bits of a line that `h` sets: the top 9 bits of the low half, remultiplied per probe.
#[inline]
fn line_bits(h: u64, k: u32) -> impl Iterator<Item = u32> {
    let mut x = h as u32;
    (0..k).map(move |_| {
        let bit = x >> (32 - 9);
        x = x.wrapping_mul(0x9e37_79b9);
        bit
    })
}

/// Builds a cache-local filter from key hashes.
pub(crate) fn build(hashes: &[u64], bits_per_key: u32) -> Vec<u8> {
    let k = probes(bits_per_key);
    let bits = hashes.len() as u64 * u64::from(bits_per_key);
    let lines = usize::try_from(bits.div_ceil(u64::from(LINE_BITS)).max(1))
        .expect("a filter fits in memory");
    let mut filter = vec![0u8; lines * LINE_BYTES + 1];
    for &h in hashes {
        let line = &mut filter[line_of(h, lines) * LINE_BYTES..][..LINE_BYTES];
        for bit in line_bits(h, k) {
            line[(bit / 8) as usize] |= 1 << (bit % 8);
        }
    }
    filter[lines * LINE_BYTES] = LOCAL | k as u8;
    filter
}

/// One cache line of a filter, aligned so that a probe touches exactly one.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Line([u8; LINE_BYTES]);

/// A table's filter, ready to answer.
pub(crate) enum Filter {
    /// The cache-local layout, copied into aligned lines.
    Local { lines: Vec<Line>, k: u32 },
    /// The classic layout of earlier tables (bit array and `k`).
    Classic { bits: Vec<u8>, k: u32 },
    /// Unknown or malformed: every key may be present.
    Unknown,
}

impl std::fmt::Debug for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Filter::Local { lines, k } => write!(f, "Filter::Local({} lines, k={k})", lines.len()),
            Filter::Classic { bits, k } => {
                write!(f, "Filter::Classic({} bytes, k={k})", bits.len())
            }
            Filter::Unknown => write!(f, "Filter::Unknown"),
        }
    }
}

impl Filter {
    /// Reads a filter block's contents.
    pub(crate) fn parse(mut block: Vec<u8>) -> Filter {
        let Some(last) = block.pop() else {
            return Filter::Unknown;
        };
        let k = u32::from(last & !LOCAL);
        if last & LOCAL != 0 {
            if block.is_empty() || !block.len().is_multiple_of(LINE_BYTES) || k == 0 {
                return Filter::Unknown;
            }
            let lines = block
                .chunks_exact(LINE_BYTES)
                .map(|c| Line(c.try_into().expect("a whole line")))
                .collect();
            return Filter::Local { lines, k };
        }
        if block.is_empty() || k == 0 || k > 30 {
            return Filter::Unknown;
        }
        Filter::Classic { bits: block, k }
    }

    /// Whether the key with hash `h` may be in the table.
    #[inline]
    pub(crate) fn may_contain(&self, h: u64) -> bool {
        match self {
            Filter::Local { lines, k } => {
                let line = &lines[line_of(h, lines.len())].0;
                line_bits(h, *k).all(|bit| line[(bit / 8) as usize] & (1 << (bit % 8)) != 0)
            }
            Filter::Classic { bits, k } => classic_may_contain(bits, *k, h),
            Filter::Unknown => true,
        }
    }
}

fn classic_may_contain(array: &[u8], k: u32, h: u64) -> bool {
    let bits = array.len() as u64 * 8;
    let (mut a, b) = (h as u32, (h >> 32) as u32 | 1);
    for _ in 0..k {
        let bit = u64::from(a) % bits;
        if array[(bit / 8) as usize] & (1 << (bit % 8)) == 0 {
            return false;
        }
        a = a.wrapping_add(b);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn false_positive_rate(filter: &Filter, probes: u32) -> f64 {
        let hits = (0..probes)
            .filter(|i| filter.may_contain(hash(format!("other-{i}").as_bytes())))
            .count();
        hits as f64 / f64::from(probes)
    }

    #[test]
    fn no_false_negatives_and_about_one_percent_false_positives() {
        let n = 100_000u32;
        let hashes: Vec<u64> = (0..n)
            .map(|i| hash(format!("key-{i}").as_bytes()))
            .collect();
        let filter = Filter::parse(build(&hashes, 10));
        assert!(matches!(filter, Filter::Local { .. }));
        assert!(hashes.iter().all(|&h| filter.may_contain(h)));
        let rate = false_positive_rate(&filter, 100_000);
        assert!(rate < 0.013 && rate > 0.004, "false-positive rate {rate}");
    }

    #[test]
    fn sequential_binary_keys_spread_well() {
        let keys: Vec<[u8; 16]> = (0u128..50_000).map(|i| i.to_be_bytes()).collect();
        let filter = Filter::parse(build(&keys.iter().map(|k| hash(k)).collect::<Vec<_>>(), 10));
        let fp = (50_000u128..100_000)
            .filter(|i| filter.may_contain(hash(&i.to_be_bytes())))
            .count();
        assert!((fp as f64 / 50_000.0) < 0.013, "false positives {fp}");
    }

    #[test]
    fn classic_filters_of_earlier_tables_are_still_read() {
        // The classic layout, built as earlier versions did: 10 bits per key, k = 7.
        let hashes: Vec<u64> = (0..10_000u32)
            .map(|i| hash(format!("key-{i}").as_bytes()))
            .collect();
        let bits = hashes.len() as u64 * 10;
        let mut classic = vec![0u8; bits.div_ceil(8) as usize + 1];
        for &h in &hashes {
            let (mut a, b) = (h as u32, (h >> 32) as u32 | 1);
            for _ in 0..7 {
                let bit = u64::from(a) % bits;
                classic[(bit / 8) as usize] |= 1 << (bit % 8);
                a = a.wrapping_add(b);
            }
        }
        classic[(bits / 8) as usize] = 7;
        let filter = Filter::parse(classic);
        assert!(matches!(filter, Filter::Classic { k: 7, .. }));
        assert!(hashes.iter().all(|&h| filter.may_contain(h)));
        let rate = false_positive_rate(&filter, 20_000);
        assert!(rate < 0.015, "false-positive rate {rate}");
    }

    #[test]
    fn malformed_filters_say_maybe() {
        for block in [
            vec![],
            vec![0xff, 0],
            vec![1, 2, 3, LOCAL | 6],
            vec![0u8; 65],
        ] {
            let filter = Filter::parse(block);
            assert!(matches!(filter, Filter::Unknown), "{filter:?}");
            assert!(filter.may_contain(1));
        }
    }
}
