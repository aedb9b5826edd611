//! Helpers shared by the storage engine's integration tests: seeds, iteration counts, a
//! `BTreeMap` reference model of the database, random workloads, small options and timeouts.
//!
//! Seeds: every randomized test runs [`for_each_seed`]. With `FERRODYN_SEED=<n>` it runs exactly
//! that seed once; otherwise it draws a fresh base seed and runs several consecutive seeds. A
//! failing iteration prints `FERRODYN_SEED=<n>`, which reruns it. The engine's background threads
//! make timing differ between runs, so a seed fixes the workload and the faults, not the
//! interleaving.
//!
//! `FERRODYN_LONG=1` runs [`LONG_FACTOR`] times as many seeds (and, in tests without seeds, as many
//! operations).

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use ferrodyn_storage::fs::FileSystem;
use ferrodyn_storage::{
    Compression, Db, DbIter, Direction, Durability, Error, Keyspace, Options, Snapshot, WriteBatch,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// How much longer `FERRODYN_LONG=1` runs randomized tests.
pub const LONG_FACTOR: usize = 25;

/// The keyspaces every test database has, in index order.
pub const KEYSPACES: [&str; 3] = ["data", "raft", "meta"];

/// Whether `FERRODYN_LONG` asks for long runs.
pub fn long() -> bool {
    std::env::var("FERRODYN_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// `n`, or `n * LONG_FACTOR` in long runs.
pub fn scaled(n: usize) -> usize {
    if long() { n * LONG_FACTOR } else { n }
}

/// A safety-net time limit of `secs` seconds, longer in long runs (the work scales too).
pub fn time_limit(secs: u64) -> Duration {
    let factor = if long() { LONG_FACTOR as u64 } else { 1 };
    Duration::from_secs(secs * factor)
}

/// Prints how to reproduce a failing iteration when the test panics.
struct SeedGuard {
    test: &'static str,
    seed: u64,
}

impl Drop for SeedGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "\n*** {} failed; reproduce with: FERRODYN_SEED={} cargo test -p ferrodyn-storage --test <this file> {}\n",
                self.test, self.seed, self.test
            );
        }
    }
}

/// Runs `body` for each seed of this test run (see the module documentation):
/// `default_iterations` seeds (scaled in long runs), or only `FERRODYN_SEED`.
pub fn for_each_seed(test: &'static str, default_iterations: usize, mut body: impl FnMut(u64)) {
    let (base, iterations) = match std::env::var("FERRODYN_SEED") {
        Ok(s) => (
            s.trim()
                .parse::<u64>()
                .expect("FERRODYN_SEED must be an unsigned integer"),
            1,
        ),
        Err(_) => (
            RandomState::new().hash_one(test),
            scaled(default_iterations),
        ),
    };
    for i in 0..iterations {
        let seed = base.wrapping_add(i as u64);
        println!("{test}: FERRODYN_SEED={seed}");
        let _guard = SeedGuard { test, seed };
        body(seed);
    }
}

/// A random number generator for one seed.
pub fn rng(seed: u64) -> SmallRng {
    SmallRng::seed_from_u64(seed)
}

/// Runs `f` on its own thread and panics if it does not finish within `limit` (a deadlock or a
/// livelock); a panic inside `f` is passed on.
pub fn with_timeout<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let out = f();
        let _ = tx.send(());
        out
    });
    match rx.recv_timeout(limit) {
        Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Ok(out) => out,
            Err(panic) => std::panic::resume_unwind(panic),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?} (deadlock or livelock?)")
        }
    }
}

/// Options small enough that memtables fill, files are cut and compactions run all the time.
/// The sizes vary with `rng` so that different seeds exercise different shapes.
pub fn small_options(path: &Path, fs: Arc<dyn FileSystem>, rng: &mut SmallRng) -> Options {
    let mut o = Options::new(path, fs);
    o.memtable_bytes_max = rng.random_range(2..=16) << 10;
    o.immutable_memtables_max = rng.random_range(1..=3);
    o.block_cache_bytes = [0usize, 4 << 10, 64 << 10][rng.random_range(0..3)];
    o.block_bytes = [64usize, 256, 1024][rng.random_range(0..3)];
    o.block_restart_interval = rng.random_range(1..=8);
    o.bloom_bits_per_key = [0u32, 4, 10][rng.random_range(0..3)];
    o.compression = if rng.random_bool(0.5) {
        Compression::Lz4
    } else {
        Compression::None
    };
    o.level0_compaction_trigger = rng.random_range(2..=4);
    o.level0_slowdown_trigger = o.level0_compaction_trigger + 4;
    o.level0_stop_trigger = o.level0_slowdown_trigger + 4;
    o.level1_bytes_max = rng.random_range(16..=64) << 10;
    o.level_size_multiplier = rng.random_range(2..=4);
    o.target_file_bytes = rng.random_range(4..=32) << 10;
    o.levels = rng.random_range(3..=7);
    o.buffered_sync_interval = Duration::from_millis(rng.random_range(1..=20));
    o.background_threads = rng.random_range(1..=2);
    o
}

/// Opens the database and its test keyspaces (in [`KEYSPACES`] order).
pub fn open(options: Options) -> ferrodyn_storage::Result<(Db, Vec<Keyspace>)> {
    let db = Db::open(options)?;
    let keyspaces = KEYSPACES
        .iter()
        .map(|name| db.keyspace(name))
        .collect::<ferrodyn_storage::Result<Vec<_>>>()?;
    Ok((db, keyspaces))
}

/// One write of a batch, with keyspaces by index into [`KEYSPACES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Put {
        ks: usize,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        ks: usize,
        key: Vec<u8>,
    },
    DeleteRange {
        ks: usize,
        start: Vec<u8>,
        end: Vec<u8>,
    },
}

/// Builds the engine's batch for `ops`.
pub fn write_batch(ops: &[Op], keyspaces: &[Keyspace]) -> WriteBatch {
    let mut batch = WriteBatch::new();
    for op in ops {
        match op {
            Op::Put { ks, key, value } => batch.put(keyspaces[*ks], key, value),
            Op::Delete { ks, key } => batch.delete(keyspaces[*ks], key),
            Op::DeleteRange { ks, start, end } => batch.delete_range(keyspaces[*ks], start, end),
        }
    }
    batch
}

/// The reference: what the database must hold. A batch's operations apply in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Model {
    pub keyspaces: Vec<BTreeMap<Vec<u8>, Vec<u8>>>,
}

impl Model {
    pub fn new() -> Self {
        Self {
            keyspaces: vec![BTreeMap::new(); KEYSPACES.len()],
        }
    }

    pub fn apply(&mut self, ops: &[Op]) {
        for op in ops {
            match op {
                Op::Put { ks, key, value } => {
                    self.keyspaces[*ks].insert(key.clone(), value.clone());
                }
                Op::Delete { ks, key } => {
                    self.keyspaces[*ks].remove(key);
                }
                Op::DeleteRange { ks, start, end } => {
                    if start < end {
                        let doomed: Vec<Vec<u8>> = self.keyspaces[*ks]
                            .range::<[u8], _>((
                                Bound::Included(&start[..]),
                                Bound::Excluded(&end[..]),
                            ))
                            .map(|(k, _)| k.clone())
                            .collect();
                        for k in doomed {
                            self.keyspaces[*ks].remove(&k);
                        }
                    }
                }
            }
        }
    }

    pub fn get(&self, ks: usize, key: &[u8]) -> Option<&Vec<u8>> {
        self.keyspaces[ks].get(key)
    }

    /// The entries of `range`, in `direction` order.
    pub fn range(
        &self,
        ks: usize,
        range: &KeyRange,
        direction: Direction,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        let it = self.keyspaces[ks]
            .range::<[u8], _>(range.bounds())
            .map(|(k, v)| (k.clone(), v.clone()));
        match direction {
            Direction::Forward => it.collect(),
            Direction::Reverse => it.rev().collect(),
        }
    }
}

/// An owned key range.
#[derive(Debug, Clone)]
pub struct KeyRange {
    pub start: Bound<Vec<u8>>,
    pub end: Bound<Vec<u8>>,
}

impl KeyRange {
    pub fn all() -> Self {
        Self {
            start: Bound::Unbounded,
            end: Bound::Unbounded,
        }
    }

    pub fn bounds(&self) -> (Bound<&[u8]>, Bound<&[u8]>) {
        (as_ref(&self.start), as_ref(&self.end))
    }
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(&k[..]),
        Bound::Excluded(k) => Bound::Excluded(&k[..]),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Drains an iterator, failing the test on an error.
pub fn collect(iter: DbIter, what: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    iter.map(|r| r.unwrap_or_else(|e| panic!("{what}: iterator error: {e}")))
        .collect()
}

/// Everything in keyspace `ks` of `db`, ascending.
pub fn scan_all(db: &Db, ks: Keyspace) -> ferrodyn_storage::Result<Vec<(Vec<u8>, Vec<u8>)>> {
    db.iter(ks, KeyRange::all().bounds(), Direction::Forward)?
        .collect()
}

/// The whole content of `db` as a model (every keyspace scanned forward).
pub fn read_model(db: &Db, keyspaces: &[Keyspace]) -> ferrodyn_storage::Result<Model> {
    let mut model = Model::new();
    for (i, ks) in keyspaces.iter().enumerate() {
        model.keyspaces[i] = scan_all(db, *ks)?.into_iter().collect();
    }
    Ok(model)
}

/// Checks that a snapshot reads exactly `expected` (every keyspace, both directions, and point
/// gets of every key, of keys just around them, and of absent keys).
pub fn check_snapshot(snapshot: &Snapshot, keyspaces: &[Keyspace], expected: &Model, what: &str) {
    for (i, ks) in keyspaces.iter().enumerate() {
        let all = KeyRange::all();
        for direction in [Direction::Forward, Direction::Reverse] {
            let got = collect(snapshot.iter(*ks, all.bounds(), direction).unwrap(), what);
            let want = expected.range(i, &all, direction);
            assert_same_entries(
                &got,
                &want,
                &format!("{what}: {} {direction:?}", KEYSPACES[i]),
            );
        }
        for (key, value) in &expected.keyspaces[i] {
            assert_eq!(
                snapshot.get(*ks, key).unwrap().as_ref(),
                Some(value),
                "{what}: get {} {}",
                KEYSPACES[i],
                show(key)
            );
            let mut after = key.clone();
            after.push(0);
            assert_eq!(
                snapshot.get(*ks, &after).unwrap().as_ref(),
                expected.get(i, &after),
                "{what}: get {} {}",
                KEYSPACES[i],
                show(&after)
            );
        }
    }
}

/// Asserts equal entry lists, reporting the first difference readably.
pub fn assert_same_entries(got: &[(Vec<u8>, Vec<u8>)], want: &[(Vec<u8>, Vec<u8>)], what: &str) {
    if got == want {
        return;
    }
    let first = got
        .iter()
        .zip(want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    let entry = |e: Option<&(Vec<u8>, Vec<u8>)>| match e {
        Some((k, v)) => format!("{} => {} bytes", show(k), v.len()),
        None => "end".to_string(),
    };
    panic!(
        "{what}: {} entries, expected {}; first difference at #{first}: got {}, expected {}",
        got.len(),
        want.len(),
        entry(got.get(first)),
        entry(want.get(first)),
    );
}

/// A key as text where printable, hex otherwise.
pub fn show(key: &[u8]) -> String {
    match std::str::from_utf8(key) {
        Ok(s) if s.chars().all(|c| c.is_ascii_graphic()) => format!("{s:?}"),
        _ => key.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    }
}

/// A pool of keys with shared prefixes, bytes 0x00 and 0xff, and different lengths, so that
/// prefix compression, ordering edges and restart points all get exercised. Never empty keys.
pub fn key_pool(rng: &mut SmallRng, size: usize) -> Vec<Vec<u8>> {
    const ALPHABET: &[u8] = &[0x00, 0x01, b'a', b'b', b'k', 0x7f, 0xfe, 0xff];
    let mut keys = HashSet::new();
    while keys.len() < size {
        let key: Vec<u8> = if rng.random_bool(0.5) {
            // Structured keys, like the engine's `table | hash | key` layout.
            format!("k{:05}", rng.random_range(0..size * 4)).into_bytes()
        } else {
            let len = rng.random_range(1..=12);
            (0..len)
                .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
                .collect()
        };
        keys.insert(key);
    }
    let mut keys: Vec<Vec<u8>> = keys.into_iter().collect();
    keys.sort();
    keys
}

/// A random value: mostly small, some empty, some larger than a block.
pub fn random_value(rng: &mut SmallRng) -> Vec<u8> {
    let len = match rng.random_range(0..100) {
        0..5 => 0,
        5..95 => rng.random_range(1..200),
        _ => rng.random_range(1000..6000),
    };
    let mut value = vec![0u8; len];
    rng.fill(&mut value[..]);
    value
}

/// A random key range over `pool` (sometimes unbounded or with a key not in the pool), never
/// reversed.
pub fn random_range(rng: &mut SmallRng, pool: &[Vec<u8>]) -> KeyRange {
    let bound = |rng: &mut SmallRng| -> Bound<Vec<u8>> {
        let mut key = pool[rng.random_range(0..pool.len())].clone();
        if rng.random_bool(0.2) {
            key.push(rng.random());
        }
        match rng.random_range(0..5) {
            0 => Bound::Unbounded,
            1 | 2 => Bound::Included(key),
            _ => Bound::Excluded(key),
        }
    };
    let (a, b) = (bound(rng), bound(rng));
    let key = |b: &Bound<Vec<u8>>| match b {
        Bound::Included(k) | Bound::Excluded(k) => Some(k.clone()),
        Bound::Unbounded => None,
    };
    match (key(&a), key(&b)) {
        (Some(x), Some(y)) if x > y => KeyRange { start: b, end: a },
        (Some(x), Some(y)) if x == y => KeyRange {
            start: Bound::Included(x),
            end: Bound::Included(y),
        },
        _ => KeyRange { start: a, end: b },
    }
}

/// A random batch of 1 to `max_ops` operations over `pool`, across keyspaces.
pub fn random_batch(rng: &mut SmallRng, pool: &[Vec<u8>], max_ops: usize) -> Vec<Op> {
    let n = rng.random_range(1..=max_ops);
    (0..n)
        .map(|_| {
            // Most writes go to `data`, as in the product.
            let ks = if rng.random_bool(0.7) {
                0
            } else {
                rng.random_range(1..KEYSPACES.len())
            };
            let key = pool[rng.random_range(0..pool.len())].clone();
            match rng.random_range(0..100) {
                0..70 => Op::Put {
                    ks,
                    key,
                    value: random_value(rng),
                },
                70..95 => Op::Delete { ks, key },
                _ => {
                    let other = pool[rng.random_range(0..pool.len())].clone();
                    let (start, end) = if key <= other {
                        (key, other)
                    } else {
                        (other, key)
                    };
                    let end = if start == end {
                        [end, vec![0]].concat()
                    } else {
                        end
                    };
                    Op::DeleteRange { ks, start, end }
                }
            }
        })
        .collect()
}

/// Random durability: mostly buffered, as servers batch their syncs.
pub fn random_durability(rng: &mut SmallRng) -> Durability {
    if rng.random_bool(0.3) {
        Durability::Sync
    } else {
        Durability::Buffered
    }
}

/// Every value ever written per key, to check that a read never invents one.
#[derive(Debug, Default)]
pub struct WrittenValues {
    values: HashMap<(usize, Vec<u8>), HashSet<Vec<u8>>>,
}

impl WrittenValues {
    pub fn record(&mut self, ops: &[Op]) {
        for op in ops {
            if let Op::Put { ks, key, value } = op {
                self.values
                    .entry((*ks, key.clone()))
                    .or_default()
                    .insert(value.clone());
            }
        }
    }

    pub fn was_written(&self, ks: usize, key: &[u8], value: &[u8]) -> bool {
        self.values
            .get(&(ks, key.to_vec()))
            .is_some_and(|vs| vs.contains(value))
    }
}

/// Whether `err` is the engine's corruption error.
pub fn is_corruption(err: &Error) -> bool {
    matches!(err, Error::Corruption { .. })
}

/// Finds the prefix of `history` that `db` holds: the largest `p` in `min..=history.len()`
/// such that `base` plus `history[..p]` equals the database, or `None`. (Several `p` match
/// when some batches change nothing; the largest assumes the least was lost.)
pub fn matching_prefix(
    base: &Model,
    history: &[Vec<Op>],
    min: usize,
    actual: &Model,
) -> Option<usize> {
    let mut model = base.clone();
    let mut found = None;
    for p in 0..=history.len() {
        if p >= min && &model == actual {
            found = Some(p);
        }
        if let Some(ops) = history.get(p) {
            model.apply(ops);
        }
    }
    found
}

/// Explains how `actual` differs from `expected` (first differing key per keyspace).
pub fn describe_difference(expected: &Model, actual: &Model) -> String {
    let mut out = Vec::new();
    for (i, (e, a)) in expected.keyspaces.iter().zip(&actual.keyspaces).enumerate() {
        if e == a {
            continue;
        }
        let e: Vec<_> = e.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let a: Vec<_> = a.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        let first = a
            .iter()
            .zip(&e)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(e.len()));
        out.push(format!(
            "{}: {} keys, expected {}; first difference at #{first}: got {:?}, expected {:?}",
            KEYSPACES[i],
            a.len(),
            e.len(),
            a.get(first).map(|(k, v)| (show(k), v.len())),
            e.get(first).map(|(k, v)| (show(k), v.len())),
        ));
    }
    out.join("; ")
}
