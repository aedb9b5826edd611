//! Bloom filters on user keys, one per table.
//!
//! Layout: the bit array (`ceil(bits / 8)` bytes, at least 8) followed by one byte: the number
//! of probes `k`. A key sets bits `h1 + i * h2 (mod bits)` for `i in 0..k` (double hashing,
//! Kirsch and Mitzenmacher), where `h1`/`h2` are the halves of a 64-bit hash of the key. With 10
//! bits per key and `k = 7` the false-positive rate is about 1%.

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

/// Builds a filter from key hashes.
pub(crate) fn build(hashes: &[u64], bits_per_key: u32) -> Vec<u8> {
    let k = ((bits_per_key as f64 * std::f64::consts::LN_2).round() as u32).clamp(1, 30);
    let bits = (hashes.len() as u64 * u64::from(bits_per_key)).max(64);
    let bytes = bits.div_ceil(8) as usize;
    let bits = bytes as u64 * 8;
    let mut filter = vec![0u8; bytes + 1];
    for &h in hashes {
        let (mut a, b) = (h as u32, (h >> 32) as u32 | 1);
        for _ in 0..k {
            let bit = u64::from(a) % bits;
            filter[(bit / 8) as usize] |= 1 << (bit % 8);
            a = a.wrapping_add(b);
        }
    }
    filter[bytes] = k as u8;
    filter
}

/// Whether a filter may contain the key with hash `h`. A malformed filter answers "maybe".
#[inline]
pub(crate) fn may_contain(filter: &[u8], h: u64) -> bool {
    let Some((&k, array)) = filter.split_last() else {
        return true;
    };
    if array.is_empty() || k == 0 || k > 30 {
        return true;
    }
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

    #[test]
    fn no_false_negatives_and_about_one_percent_false_positives() {
        let n = 100_000u32;
        let hashes: Vec<u64> = (0..n)
            .map(|i| hash(format!("key-{i}").as_bytes()))
            .collect();
        let filter = build(&hashes, 10);
        assert!(hashes.iter().all(|&h| may_contain(&filter, h)));
        let probes = 100_000u32;
        let false_positives = (0..probes)
            .filter(|i| may_contain(&filter, hash(format!("other-{i}").as_bytes())))
            .count();
        let rate = false_positives as f64 / probes as f64;
        assert!(rate < 0.015 && rate > 0.004, "false-positive rate {rate}");
    }

    #[test]
    fn sequential_binary_keys_spread_well() {
        let keys: Vec<[u8; 16]> = (0u128..50_000).map(|i| i.to_be_bytes()).collect();
        let filter = build(&keys.iter().map(|k| hash(k)).collect::<Vec<_>>(), 10);
        let fp = (50_000u128..100_000)
            .filter(|i| may_contain(&filter, hash(&i.to_be_bytes())))
            .count();
        assert!((fp as f64 / 50_000.0) < 0.015, "false positives {fp}");
    }

    #[test]
    fn malformed_filters_say_maybe() {
        assert!(may_contain(&[], 1));
        assert!(may_contain(&[0xff, 0], 1));
    }
}
