//! Crash recovery: after any power cut the engine holds exactly a prefix of the batches it was
//! asked to write, and that prefix includes every batch acknowledged before a `Sync` write was
//! acknowledged.
//!
//! How: the engine runs on `FaultFileSystem`, whose model of a disk keeps only synced bytes, a
//! torn prefix of unsynced ones and directory entries as of the last directory sync. A random
//! workload (puts, deletes, range deletes, multi-keyspace batches, `Sync` and `Buffered` writes,
//! flushes, compactions) runs until the plan cuts the power at a random write or sync; the disk
//! is then "rebooted" (`recovered()`), the engine reopened and its whole content compared with
//! the reference model after each candidate prefix of the attempted batches. Batches after the
//! matching prefix are forgotten (they were lost), and the next round writes on, so a batch lost
//! once must never come back. Some rounds also cut the power during recovery itself, or close the
//! database cleanly first (then every acknowledged batch must survive).

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use ferrodyn_storage::fs::{FaultFileSystem, FaultPlan, FileSystem};
use ferrodyn_storage::{Db, Durability, Keyspace, Options};
use rand::Rng;
use rand::rngs::SmallRng;

/// What the database must hold: `base` plus a prefix of `history` no shorter than `must_keep`.
struct Expectation {
    base: Model,
    history: Vec<Vec<Op>>,
    must_keep: usize,
}

impl Expectation {
    /// Checks the reopened database and makes the matching prefix the new base.
    fn settle(&mut self, db: &Db, keyspaces: &[Keyspace], when: &str) {
        let actual = read_model(db, keyspaces)
            .unwrap_or_else(|e| panic!("{when}: reading the recovered database failed: {e}"));
        match matching_prefix(&self.base, &self.history, self.must_keep, &actual) {
            Some(p) => {
                for ops in &self.history[..p] {
                    self.base.apply(ops);
                }
                println!(
                    "{when}: recovered {p} of {} attempted batches (at least {} required)",
                    self.history.len(),
                    self.must_keep
                );
                self.history.clear();
                self.must_keep = 0;
            }
            None => {
                let mut required = self.base.clone();
                for ops in &self.history[..self.must_keep] {
                    required.apply(ops);
                }
                panic!(
                    "{when}: the database is no prefix of the {} attempted batches with at least \
                     {} of them; compared with that shortest allowed prefix: {}",
                    self.history.len(),
                    self.must_keep,
                    describe_difference(&required, &actual)
                );
            }
        }
    }
}

fn options_on(template: &Options, fs: &FaultFileSystem) -> Options {
    let mut options = template.clone();
    options.fs = Arc::new(fs.clone());
    options
}

/// Opens the database, sometimes cutting the power during recovery (then reboots and retries).
fn open_with_crashes(
    template: &Options,
    fs: &mut FaultFileSystem,
    rng: &mut SmallRng,
    when: &str,
) -> (Db, Vec<Keyspace>) {
    for attempt in 0.. {
        let crash_in_open = attempt < 3 && rng.random_bool(0.25);
        if crash_in_open {
            fs.set_plan(FaultPlan::new().crash_at(rng.random_range(1..=40)));
        }
        match open(options_on(template, fs)) {
            Ok(opened) => {
                fs.set_plan(FaultPlan::new());
                if !fs.is_crashed() {
                    return opened;
                }
                // The power went out in a background thread of the new instance.
                drop(opened);
            }
            Err(e) => assert!(
                fs.is_crashed(),
                "{when}: opening failed without any fault: {e}"
            ),
        }
        *fs = fs.recovered();
    }
    unreachable!()
}

/// One round of writes until the power goes out (or the round ends and the test cuts it).
fn write_until_crash(
    (db, keyspaces, fs): (&Db, &[Keyspace], &FaultFileSystem),
    expect: &mut Expectation,
    pool: &[Vec<u8>],
    rng: &mut SmallRng,
    steps: usize,
    when: &str,
) {
    let mut live = expect.base.clone();
    for ops in &expect.history {
        live.apply(ops);
    }
    for step in 0..steps {
        if fs.is_crashed() {
            return;
        }
        match rng.random_range(0..100) {
            0..85 => {
                let max_ops = if rng.random_bool(0.2) { 8 } else { 1 };
                let ops = random_batch(rng, pool, max_ops);
                let durability = random_durability(rng);
                expect.history.push(ops.clone());
                match db.write(write_batch(&ops, keyspaces), durability) {
                    Ok(_) => {
                        live.apply(&ops);
                        if durability == Durability::Sync {
                            expect.must_keep = expect.history.len();
                        }
                    }
                    Err(e) => {
                        assert!(fs.is_crashed(), "{when} step {step}: write failed: {e}");
                        return;
                    }
                }
            }
            85..93 => {
                let ks = rng.random_range(0..KEYSPACES.len());
                let key = &pool[rng.random_range(0..pool.len())];
                match db.get(keyspaces[ks], key) {
                    Ok(got) => assert_eq!(
                        got.as_ref(),
                        live.get(ks, key),
                        "{when} step {step}: get {}",
                        show(key)
                    ),
                    Err(e) => assert!(fs.is_crashed(), "{when} step {step}: get failed: {e}"),
                }
            }
            93..98 => {
                if let Err(e) = db.flush() {
                    assert!(fs.is_crashed(), "{when} step {step}: flush failed: {e}");
                }
            }
            _ => {
                if let Err(e) = db.wait_for_compactions() {
                    assert!(
                        fs.is_crashed(),
                        "{when} step {step}: compaction failed: {e}"
                    );
                }
            }
        }
    }
}

fn crash_run(seed: u64, rounds: usize, steps: usize) {
    let mut rng = rng(seed);
    let mut fs = FaultFileSystem::new(rng.random());
    let template = small_options(Path::new("/db"), Arc::new(fs.clone()), &mut rng);
    let pool_size = rng.random_range(20..=200);
    let pool = key_pool(&mut rng, pool_size);
    let mut expect = Expectation {
        base: Model::new(),
        history: Vec::new(),
        must_keep: 0,
    };
    for round in 0..rounds {
        let when = format!("round {round}");
        let (db, keyspaces) = open_with_crashes(&template, &mut fs, &mut rng, &when);
        expect.settle(&db, &keyspaces, &format!("{when}, after reopening"));
        let crash_at = rng.random_range(1..=steps as u64 * 4);
        fs.set_plan(FaultPlan::new().crash_at(crash_at));
        write_until_crash(
            (&db, &keyspaces, &fs),
            &mut expect,
            &pool,
            &mut rng,
            steps,
            &when,
        );
        if !fs.is_crashed() && rng.random_bool(0.25) {
            fs.set_plan(FaultPlan::new());
            db.close()
                .unwrap_or_else(|e| panic!("{when}: clean close failed: {e}"));
            // A clean close syncs the WAL: every acknowledged batch must survive.
            expect.must_keep = expect.history.len();
        } else {
            fs.crash();
            drop(db);
        }
        fs = fs.recovered();
    }
    let (db, keyspaces) = open_with_crashes(&template, &mut fs, &mut rng, "final");
    expect.settle(&db, &keyspaces, "final reopen");
    db.close().unwrap();
}

#[test]
fn power_cuts_keep_a_prefix_with_every_synced_batch() {
    for_each_seed(
        "power_cuts_keep_a_prefix_with_every_synced_batch",
        20,
        |seed| {
            with_timeout("crash run", time_limit(300), move || {
                crash_run(seed, 8, 300)
            });
        },
    );
}

#[test]
fn synced_batches_survive_a_power_cut_right_after_acknowledgement() {
    // Deterministic companion of the random test: every `Sync` batch is kept, even when the
    // power goes out the moment the write returns and before any flush.
    for_each_seed("synced_batches_survive_a_power_cut", 4, |seed| {
        let mut rng = rng(seed);
        let fs = FaultFileSystem::new(seed);
        let options = small_options(Path::new("/db"), Arc::new(fs.clone()), &mut rng);
        let (db, ks) = open(options.clone()).unwrap();
        let n = rng.random_range(1..50);
        for i in 0..n {
            let mut batch = ferrodyn_storage::WriteBatch::new();
            batch.put(ks[0], format!("key{i:04}").as_bytes(), b"v");
            db.write(batch, Durability::Sync).unwrap();
        }
        fs.crash();
        drop(db);
        let after = fs.recovered();
        let mut options = options;
        options.fs = Arc::new(after.clone()) as Arc<dyn FileSystem>;
        let (db, ks) = open(options).unwrap();
        let all = scan_all(&db, ks[0]).unwrap();
        assert_eq!(all.len(), n, "synced batches lost");
        db.close().unwrap();
    });
}

/// The newest WAL's name in `fs`'s `/db`, by number.
fn newest_wal(fs: &FaultFileSystem) -> Option<String> {
    let mut logs: Vec<String> = fs
        .list_dir(Path::new("/db"))
        .unwrap()
        .into_iter()
        .filter(|n| n.ends_with(".log"))
        .collect();
    logs.sort();
    logs.pop()
}

#[test]
fn a_power_cut_at_any_point_of_recovery_leaves_an_openable_database() {
    // A database whose newest WAL ends in a torn record is opened with the power cut at its
    // 1st, 2nd, ... mutating file operation, until recovery runs through without reaching the
    // cut. After each cut the disk is rebooted and the database must open, holding every
    // complete record of the WAL: the torn tail must not turn into "corruption in an older
    // WAL" because recovery already started a newer one.
    let template = FaultFileSystem::new(5);
    let mut options = Options::new("/db", Arc::new(template.clone()));
    options.memtable_bytes_max = 1 << 20;
    let (db, ks) = open(options.clone()).unwrap();
    let put = |i: u32| Op::Put {
        ks: (i % 3) as usize,
        key: format!("key{i:03}").into_bytes(),
        value: vec![i as u8; 50],
    };
    for i in 0..50u32 {
        db.write(write_batch(&[put(i)], &ks), Durability::Sync)
            .unwrap();
    }
    // The last record is torn below, so the other 49 batches are what must survive.
    let mut without_last = Model::new();
    for i in 0..49u32 {
        without_last.apply(&[put(i)]);
    }
    template.crash();
    drop(db);
    // Everything in `base` is durable, so each `recovered()` of it is an identical copy.
    let base = template.recovered();
    let log = Path::new("/db").join(newest_wal(&base).expect("a WAL"));
    let mut bytes = base.read_file(&log).unwrap();
    bytes.truncate(bytes.len() - 3);
    base.write_file(&log, &bytes).unwrap();
    for n in 1.. {
        let fs = base.recovered();
        fs.set_plan(FaultPlan::new().crash_at(n));
        options.fs = Arc::new(fs.clone());
        let opened = open(options.clone());
        let cut = fs.is_crashed();
        match opened {
            Ok(_) if !cut => break,
            Ok(_) => {}
            Err(e) => assert!(cut, "opening failed without any fault: {e}"),
        }
        let after = fs.recovered();
        options.fs = Arc::new(after.clone());
        let (db, ks) = open(options.clone()).unwrap_or_else(|e| {
            panic!("after a power cut at operation {n} of recovery, opening fails: {e}")
        });
        let actual = read_model(&db, &ks).unwrap();
        assert!(
            actual == without_last,
            "after a power cut at operation {n} of recovery: {}",
            describe_difference(&without_last, &actual)
        );
        db.close().unwrap();
    }
}
