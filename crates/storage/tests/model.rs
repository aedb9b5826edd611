//! Model test: the engine behaves exactly like a `BTreeMap` per keyspace.
//!
//! A random sequence of puts, deletes, range deletes and multi-keyspace batches runs against the
//! engine and against `common::Model`; point gets and forward and reverse iterators over random
//! bounded ranges must agree with the model at every step, and every live snapshot must keep
//! reading the model as of its creation. Flushes, waits for compaction and reopens are mixed in,
//! with options so small that memtables fill, files are cut and compactions run constantly.
//! Runs on the in-memory file system (and, once per run, on the real one in a temp dir).

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use ferrodyn_storage::fs::{FileSystem, MemFileSystem, RealFileSystem};
use ferrodyn_storage::{Db, Direction, Keyspace, Snapshot};
use rand::Rng;
use rand::rngs::SmallRng;

/// A live snapshot and the model it must read.
struct LiveSnapshot {
    snapshot: Snapshot,
    expected: Model,
    taken_at_step: usize,
}

struct Run {
    rng: SmallRng,
    pool: Vec<Vec<u8>>,
    model: Model,
    db: Option<Db>,
    keyspaces: Vec<Keyspace>,
    snapshots: Vec<LiveSnapshot>,
    last_sequence: u64,
}

impl Run {
    fn db(&self) -> &Db {
        self.db.as_ref().expect("database is open between steps")
    }

    fn write(&mut self, ops: Vec<Op>, step: usize) {
        let durability = random_durability(&mut self.rng);
        let seq = self
            .db()
            .write(write_batch(&ops, &self.keyspaces), durability)
            .unwrap_or_else(|e| panic!("step {step}: write failed: {e}"));
        assert!(
            seq > self.last_sequence,
            "step {step}: sequence {seq} not after {}",
            self.last_sequence
        );
        self.last_sequence = seq;
        self.model.apply(&ops);
    }

    fn check_get(&mut self, step: usize) {
        let ks = self.rng.random_range(0..KEYSPACES.len());
        let mut key = self.pool[self.rng.random_range(0..self.pool.len())].clone();
        if self.rng.random_bool(0.1) {
            key.push(self.rng.random());
        }
        let got = self.db().get(self.keyspaces[ks], &key).unwrap();
        assert_eq!(
            got.as_ref(),
            self.model.get(ks, &key),
            "step {step}: get {} {}",
            KEYSPACES[ks],
            show(&key)
        );
    }

    fn check_iter(&mut self, step: usize) {
        let ks = self.rng.random_range(0..KEYSPACES.len());
        let range = random_range(&mut self.rng, &self.pool);
        let direction = if self.rng.random_bool(0.5) {
            Direction::Forward
        } else {
            Direction::Reverse
        };
        let want = self.model.range(ks, &range, direction);
        let iter = self
            .db()
            .iter(self.keyspaces[ks], range.bounds(), direction)
            .unwrap();
        // Sometimes stop early, so that dropping a half-consumed iterator is exercised too.
        let limit = if self.rng.random_bool(0.3) {
            self.rng.random_range(0..=want.len())
        } else {
            usize::MAX
        };
        let got: Vec<_> = collect_limited(iter, limit, step);
        let want: Vec<_> = want.into_iter().take(limit).collect();
        assert_same_entries(
            &got,
            &want,
            &format!(
                "step {step}: iter {} {range:?} {direction:?}",
                KEYSPACES[ks]
            ),
        );
    }

    fn check_snapshots(&self, step: usize) {
        for live in &self.snapshots {
            check_snapshot(
                &live.snapshot,
                &self.keyspaces,
                &live.expected,
                &format!(
                    "step {step}: snapshot from step {} (sequence {})",
                    live.taken_at_step,
                    live.snapshot.sequence()
                ),
            );
        }
    }

    fn reopen(&mut self, options: &ferrodyn_storage::Options, step: usize) {
        self.snapshots.clear();
        let db = self.db.take().expect("open");
        db.close()
            .unwrap_or_else(|e| panic!("step {step}: close failed: {e}"));
        let (db, keyspaces) =
            open(options.clone()).unwrap_or_else(|e| panic!("step {step}: reopen failed: {e}"));
        self.db = Some(db);
        self.keyspaces = keyspaces;
        let actual = read_model(self.db(), &self.keyspaces).unwrap();
        assert!(
            actual == self.model,
            "step {step}: after reopen: {}",
            describe_difference(&self.model, &actual)
        );
    }
}

fn collect_limited(
    iter: ferrodyn_storage::DbIter,
    limit: usize,
    step: usize,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    iter.take(limit)
        .map(|r| r.unwrap_or_else(|e| panic!("step {step}: iterator error: {e}")))
        .collect()
}

fn run_model(seed: u64, steps: usize, fs: Arc<dyn FileSystem>, path: &Path) {
    let mut rng = rng(seed);
    let options = small_options(path, fs, &mut rng);
    let pool_size = rng.random_range(20..=400);
    let pool = key_pool(&mut rng, pool_size);
    let (db, keyspaces) = open(options.clone()).unwrap();
    let mut run = Run {
        rng,
        pool,
        model: Model::new(),
        db: Some(db),
        keyspaces,
        snapshots: Vec::new(),
        last_sequence: 0,
    };
    for step in 0..steps {
        match run.rng.random_range(0..1000) {
            0..450 => {
                let ops = random_batch(&mut run.rng, &run.pool, 1);
                run.write(ops, step);
            }
            450..550 => {
                let ops = random_batch(&mut run.rng, &run.pool, 8);
                run.write(ops, step);
            }
            550..750 => run.check_get(step),
            750..900 => run.check_iter(step),
            900..920 => {
                let snapshot = run.db().snapshot();
                assert!(snapshot.sequence() >= run.last_sequence, "step {step}");
                run.snapshots.push(LiveSnapshot {
                    snapshot,
                    expected: run.model.clone(),
                    taken_at_step: step,
                });
                if run.snapshots.len() > 4 {
                    let i = run.rng.random_range(0..run.snapshots.len());
                    run.snapshots.swap_remove(i);
                }
            }
            920..950 => run.check_snapshots(step),
            950..975 => run.db().flush().unwrap(),
            975..995 => run.db().wait_for_compactions().unwrap(),
            _ => run.reopen(&options, step),
        }
    }
    run.check_snapshots(steps);
    let actual = read_model(run.db(), &run.keyspaces).unwrap();
    assert!(
        actual == run.model,
        "at the end: {}",
        describe_difference(&run.model, &actual)
    );
    run.reopen(&options, steps);
    run.db.take().unwrap().close().unwrap();
}

#[test]
fn random_operations_match_the_model() {
    for_each_seed("random_operations_match_the_model", 10, |seed| {
        with_timeout("model run", time_limit(300), move || {
            run_model(seed, 4000, Arc::new(MemFileSystem::new()), Path::new("/db"))
        });
    });
}

#[test]
fn random_operations_match_the_model_on_disk() {
    for_each_seed("random_operations_match_the_model_on_disk", 1, |seed| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        with_timeout("model run on disk", time_limit(300), move || {
            run_model(seed, 1500, Arc::new(RealFileSystem::new()), &path)
        });
    });
}

#[test]
fn keyspaces_are_isolated_and_batches_span_them() {
    let (db, ks) = open(ferrodyn_storage::Options::new(
        "/db",
        Arc::new(MemFileSystem::new()),
    ))
    .unwrap();
    let mut batch = ferrodyn_storage::WriteBatch::new();
    batch.put(ks[0], b"k", b"data");
    batch.put(ks[1], b"k", b"raft");
    batch.delete_range(ks[2], b"a", b"z");
    batch.put(ks[2], b"k", b"meta");
    assert_eq!(batch.len(), 4);
    db.write(batch, ferrodyn_storage::Durability::Sync).unwrap();
    for (i, want) in [&b"data"[..], b"raft", b"meta"].iter().enumerate() {
        assert_eq!(db.get(ks[i], b"k").unwrap().as_deref(), Some(*want));
        assert_eq!(scan_all(&db, ks[i]).unwrap().len(), 1);
    }
    let mut batch = ferrodyn_storage::WriteBatch::new();
    batch.delete_range(ks[0], b"a", b"z");
    db.write(batch, ferrodyn_storage::Durability::Buffered)
        .unwrap();
    assert_eq!(db.get(ks[0], b"k").unwrap(), None);
    assert_eq!(db.get(ks[1], b"k").unwrap().as_deref(), Some(&b"raft"[..]));
    assert_eq!(db.keyspace("data").unwrap(), ks[0]);
    assert!(ferrodyn_storage::WriteBatch::new().is_empty());
}
