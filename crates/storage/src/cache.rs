//! A sharded cache with a charge limit, used for data blocks (charged in bytes) and open tables
//! (charged one each).
//!
//! Each shard is a hash map into a ring of entries behind its own mutex; the key's hash picks
//! the shard, so concurrent readers rarely meet. Eviction is CLOCK: a hit sets the entry's
//! reference bit, and the hand sweeping the ring clears set bits and evicts the first entry
//! found clear, so entries used since the hand last passed survive (second chance).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

use parking_lot::Mutex;

const SHARDS: usize = 16;

/// A fast, non-cryptographic hasher for small integer keys (the FxHash multiply-rotate).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;

struct Slot<K, V> {
    key: K,
    value: Option<V>,
    charge: usize,
    /// Set on every hit; the clock hand clears it once before evicting the entry.
    referenced: bool,
}

/// One shard: a hash map into a ring of slots swept by a clock hand (CLOCK, an approximation
/// of LRU whose hits only set a bit instead of relinking neighbours in memory).
struct Shard<K, V> {
    map: HashMap<K, usize, FxBuild>,
    slots: Vec<Slot<K, V>>,
    free: Vec<usize>,
    hand: usize,
    used: usize,
    capacity: usize,
    /// Lookups that found / did not find their key (counted under the shard's lock, so that
    /// concurrent readers do not contend on one shared counter).
    hits: u64,
    misses: u64,
}

impl<K: Hash + Eq + Copy, V: Clone> Shard<K, V> {
    fn get(&mut self, key: &K) -> Option<V> {
        let Some(&i) = self.map.get(key) else {
            self.misses += 1;
            return None;
        };
        self.hits += 1;
        let slot = &mut self.slots[i];
        slot.referenced = true;
        slot.value.clone()
    }

    fn remove_slot(&mut self, i: usize) {
        let key = self.slots[i].key;
        self.map.remove(&key);
        self.used -= self.slots[i].charge;
        self.slots[i].value = None;
        self.slots[i].charge = 0;
        self.free.push(i);
    }

    /// Evicts one entry chosen by the clock hand. Requires a live entry.
    fn evict_one(&mut self) {
        loop {
            let i = self.hand;
            self.hand = (self.hand + 1) % self.slots.len();
            let slot = &mut self.slots[i];
            if slot.value.is_none() {
                continue;
            }
            if slot.referenced {
                slot.referenced = false;
                continue;
            }
            self.remove_slot(i);
            return;
        }
    }

    fn insert(&mut self, key: K, value: V, charge: usize) {
        if let Some(&i) = self.map.get(&key) {
            self.remove_slot(i);
        }
        if charge > self.capacity {
            return;
        }
        while self.used + charge > self.capacity && !self.map.is_empty() {
            self.evict_one();
        }
        let slot = Slot {
            key,
            value: Some(value),
            charge,
            referenced: false,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = slot;
                i
            }
            None => {
                self.slots.push(slot);
                self.slots.len() - 1
            }
        };
        self.map.insert(key, i);
        self.used += charge;
    }

    fn remove(&mut self, key: &K) {
        if let Some(&i) = self.map.get(key) {
            self.remove_slot(i);
        }
    }
}

/// A concurrent cache bounded by the sum of its entries' charges.
pub(crate) struct LruCache<K, V> {
    shards: Box<[Mutex<Shard<K, V>>]>,
}

impl<K, V> std::fmt::Debug for LruCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LruCache")
            .field("shards", &self.shards.len())
            .finish()
    }
}

impl<K: Hash + Eq + Copy, V: Clone> LruCache<K, V> {
    /// A cache holding at most `capacity` total charge (split evenly across shards).
    pub(crate) fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS);
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    map: HashMap::default(),
                    slots: Vec::new(),
                    free: Vec::new(),
                    hand: 0,
                    used: 0,
                    capacity: per_shard,
                    hits: 0,
                    misses: 0,
                })
            })
            .collect();
        Self { shards }
    }

    #[inline]
    fn shard(&self, key: &K) -> &Mutex<Shard<K, V>> {
        let mut h = FxHasher::default();
        key.hash(&mut h);
        &self.shards[(h.finish() >> 60) as usize % SHARDS]
    }

    /// The cached value, marking it referenced; counts a hit or a miss.
    pub(crate) fn get(&self, key: &K) -> Option<V> {
        self.shard(key).lock().get(key)
    }

    /// Caches `value`, evicting entries not referenced lately to stay within capacity. A value
    /// larger than a shard's capacity is not cached.
    pub(crate) fn insert(&self, key: K, value: V, charge: usize) {
        self.shard(&key).lock().insert(key, value, charge);
    }

    /// Drops `key` if cached.
    pub(crate) fn remove(&self, key: &K) {
        self.shard(key).lock().remove(key);
    }

    /// (hits, misses) since creation.
    pub(crate) fn stats(&self) -> (u64, u64) {
        self.shards.iter().fold((0, 0), |(hits, misses), shard| {
            let shard = shard.lock();
            (hits + shard.hits, misses + shard.misses)
        })
    }

    /// Total charge held.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.shards.iter().map(|s| s.lock().used).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_unreferenced_entries_within_capacity() {
        let cache: LruCache<u64, u64> = LruCache::new(16 * 3);
        // Keys landing in the same shard exercise the eviction order.
        let shard_of = |k: u64| {
            let mut h = FxHasher::default();
            k.hash(&mut h);
            (h.finish() >> 60) as usize % SHARDS
        };
        let same: Vec<u64> = (0..10_000)
            .filter(|&k| shard_of(k) == shard_of(0))
            .take(4)
            .collect();
        for &k in &same[..3] {
            cache.insert(k, k * 10, 1);
        }
        assert_eq!(cache.get(&same[0]), Some(same[0] * 10)); // referenced: gets a second chance
        cache.insert(same[3], 1, 1); // evicts same[1], the first unreferenced entry
        assert_eq!(cache.get(&same[1]), None);
        assert_eq!(cache.get(&same[0]), Some(same[0] * 10));
        assert_eq!(cache.get(&same[2]), Some(same[2] * 10));
        assert_eq!(cache.stats(), (3, 1));
        for k in 0..1000 {
            cache.insert(k, k, 1);
        }
        assert!(cache.used() <= 48);
        cache.insert(5000, 1, 100);
        assert_eq!(cache.get(&5000), None, "larger than a shard: not cached");
        cache.remove(&999);
        assert_eq!(cache.get(&999), None);
    }
}
