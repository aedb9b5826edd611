//! Compaction and tombstones.
//!
//! Proves that: a deleted key stays deleted through any number of flushes, compactions and
//! reopens; tombstones (point and range) and the data they hide are removed once compaction
//! reaches the bottom level, observed through the engine's level sizes shrinking, but not while
//! a snapshot still needs them; snapshots keep reading their own view while compactions run
//! underneath; and the metrics count the work done.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use ferrodyn_storage::fs::MemFileSystem;
use ferrodyn_storage::{Db, Durability, Keyspace, Options, WriteBatch};
use rand::Rng;

fn total_level_bytes(db: &Db) -> u64 {
    db.metrics().level_bytes.iter().sum()
}

#[test]
fn deleted_keys_stay_deleted_through_flushes_compactions_and_reopens() {
    for_each_seed("deleted_keys_stay_deleted", 6, |seed| {
        with_timeout("tombstone run", time_limit(300), move || {
            let mut rng = rng(seed);
            let fs = Arc::new(MemFileSystem::new());
            let options = small_options(Path::new("/db"), fs, &mut rng);
            let pool = key_pool(&mut rng, 400);
            let (mut db, mut ks) = open(options.clone()).unwrap();
            let mut model = Model::new();
            let apply = |db: &Db, ks: &[Keyspace], ops: Vec<Op>, model: &mut Model| {
                db.write(write_batch(&ops, ks), Durability::Buffered)
                    .unwrap();
                model.apply(&ops);
            };
            for key in &pool {
                let value = random_value(&mut rng);
                apply(
                    &db,
                    &ks,
                    vec![Op::Put {
                        ks: 0,
                        key: key.clone(),
                        value,
                    }],
                    &mut model,
                );
            }
            db.flush().unwrap();
            // Delete a random half with point deletes and a few ranges with range deletes.
            for key in &pool {
                if rng.random_bool(0.5) {
                    apply(
                        &db,
                        &ks,
                        vec![Op::Delete {
                            ks: 0,
                            key: key.clone(),
                        }],
                        &mut model,
                    );
                }
            }
            for _ in 0..3 {
                let a = &pool[rng.random_range(0..pool.len())];
                let b = &pool[rng.random_range(0..pool.len())];
                let (start, end) = if a < b { (a, b) } else { (b, a) };
                let op = Op::DeleteRange {
                    ks: 0,
                    start: start.clone(),
                    end: end.clone(),
                };
                apply(&db, &ks, vec![op], &mut model);
            }
            let deleted: Vec<&Vec<u8>> =
                pool.iter().filter(|k| model.get(0, k).is_none()).collect();
            for cycle in 0..12 {
                // Churn on the surviving keys pushes the tombstones down the levels.
                for _ in 0..200 {
                    let key = &pool[rng.random_range(0..pool.len())];
                    if model.get(0, key).is_some() {
                        let value = random_value(&mut rng);
                        let op = Op::Put {
                            ks: 0,
                            key: key.clone(),
                            value,
                        };
                        apply(&db, &ks, vec![op], &mut model);
                    }
                }
                db.flush().unwrap();
                if cycle % 3 == 2 {
                    db.wait_for_compactions().unwrap();
                }
                if cycle % 5 == 4 {
                    db.close().unwrap();
                    (db, ks) = open(options.clone()).unwrap();
                }
                for key in &deleted {
                    assert_eq!(
                        db.get(ks[0], key).unwrap(),
                        None,
                        "cycle {cycle}: deleted key {} is back",
                        show(key)
                    );
                }
                let actual = read_model(&db, &ks).unwrap();
                assert!(
                    actual == model,
                    "cycle {cycle}: {}",
                    describe_difference(&model, &actual)
                );
            }
            db.close().unwrap();
        });
    });
}

/// Two levels, so that every compaction out of level 0 writes the bottom level.
fn two_level_options() -> Options {
    let mut o = Options::new("/db", Arc::new(MemFileSystem::new()));
    o.memtable_bytes_max = 32 << 10;
    o.block_bytes = 1 << 10;
    o.target_file_bytes = 32 << 10;
    o.level1_bytes_max = 1 << 30;
    o.levels = 2;
    o.level0_compaction_trigger = 2;
    o.level0_slowdown_trigger = 8;
    o.level0_stop_trigger = 12;
    o
}

const KEYS: usize = 3000;

fn key(i: usize) -> Vec<u8> {
    format!("key{i:06}").into_bytes()
}

fn fill(db: &Db, ks: Keyspace) {
    for i in 0..KEYS {
        let mut batch = WriteBatch::new();
        batch.put(ks, &key(i), &[i as u8; 100]);
        db.write(batch, Durability::Buffered).unwrap();
    }
    db.flush().unwrap();
    db.wait_for_compactions().unwrap();
}

/// Deletes every key (even ones one by one, the rest with a range delete) in two flushes, so
/// that level 0 reaches the compaction trigger with files spanning the whole key range.
fn delete_everything(db: &Db, ks: Keyspace) {
    for i in (0..KEYS).step_by(2) {
        let mut batch = WriteBatch::new();
        batch.delete(ks, &key(i));
        db.write(batch, Durability::Buffered).unwrap();
    }
    db.flush().unwrap();
    let mut batch = WriteBatch::new();
    batch.delete_range(ks, &key(0), &key(KEYS));
    db.write(batch, Durability::Buffered).unwrap();
    db.flush().unwrap();
    db.wait_for_compactions().unwrap();
}

/// A range delete over everything, flushed twice, so that a compaction rewrites every file.
fn compact_everything(db: &Db, ks: Keyspace) {
    for _ in 0..2 {
        let mut batch = WriteBatch::new();
        batch.delete_range(ks, &key(0), &key(KEYS));
        db.write(batch, Durability::Buffered).unwrap();
        db.flush().unwrap();
    }
    db.wait_for_compactions().unwrap();
}

#[test]
fn tombstones_and_what_they_hide_leave_the_bottom_level() {
    let (db, ks) = open(two_level_options()).unwrap();
    fill(&db, ks[0]);
    let full = total_level_bytes(&db);
    assert!(
        full >= (KEYS * 100) as u64,
        "level sizes do not count the data: {full}"
    );
    delete_everything(&db, ks[0]);
    assert!(scan_all(&db, ks[0]).unwrap().is_empty());
    let after = total_level_bytes(&db);
    assert!(
        after < full / 10,
        "deleting everything left {after} of {full} bytes: tombstones or hidden data were \
         not dropped at the bottom level ({:?})",
        db.metrics()
    );
    db.close().unwrap();
}

#[test]
fn a_snapshot_keeps_deleted_data_until_it_is_dropped() {
    let (db, ks) = open(two_level_options()).unwrap();
    fill(&db, ks[0]);
    let full = total_level_bytes(&db);
    {
        let snapshot = db.snapshot();
        delete_everything(&db, ks[0]);
        compact_everything(&db, ks[0]);
        assert!(scan_all(&db, ks[0]).unwrap().is_empty());
        // The snapshot still reads every key, with its value, both ways.
        let mut expected = Model::new();
        for i in 0..KEYS {
            expected.keyspaces[0].insert(key(i), vec![i as u8; 100]);
        }
        check_snapshot(
            &snapshot,
            &ks,
            &expected,
            "snapshot taken before the deletes",
        );
        let kept = total_level_bytes(&db);
        assert!(
            kept >= full / 2,
            "compaction dropped data a snapshot needs: {kept} of {full} bytes left"
        );
        // The snapshot is released here.
    }
    compact_everything(&db, ks[0]);
    let after = total_level_bytes(&db);
    assert!(
        after < full / 10,
        "after the snapshot was dropped, {after} of {full} bytes are still there"
    );
    db.close().unwrap();
}

#[test]
fn snapshots_are_isolated_while_compactions_run() {
    for_each_seed("snapshots_are_isolated_while_compactions_run", 6, |seed| {
        with_timeout("snapshot run", time_limit(300), move || {
            let mut rng = rng(seed);
            let options = small_options(Path::new("/db"), Arc::new(MemFileSystem::new()), &mut rng);
            let pool = key_pool(&mut rng, 300);
            let (db, ks) = open(options).unwrap();
            let mut model = Model::new();
            let mut snapshots = Vec::new();
            for step in 0..3000 {
                let ops = random_batch(&mut rng, &pool, 4);
                db.write(write_batch(&ops, &ks), random_durability(&mut rng))
                    .unwrap();
                model.apply(&ops);
                if step % 150 == 0 {
                    snapshots.push((db.snapshot(), model.clone(), step));
                    if snapshots.len() > 5 {
                        snapshots.remove(rng.random_range(0..snapshots.len()));
                    }
                }
                if step % 200 == 199 {
                    // Check one snapshot while the flush's compactions are still running.
                    db.flush().unwrap();
                    let (snapshot, expected, at) = &snapshots[rng.random_range(0..snapshots.len())];
                    check_snapshot(
                        snapshot,
                        &ks,
                        expected,
                        &format!("step {step}: snapshot from step {at}"),
                    );
                }
            }
            db.wait_for_compactions().unwrap();
            for (snapshot, expected, at) in &snapshots {
                check_snapshot(
                    snapshot,
                    &ks,
                    expected,
                    &format!("end: snapshot from step {at}"),
                );
            }
            drop(snapshots);
            db.close().unwrap();
        });
    });
}

#[test]
fn metrics_count_the_work() {
    let mut options = two_level_options();
    options.block_cache_bytes = 1 << 20;
    options.bloom_bits_per_key = 10;
    let (db, ks) = open(options.clone()).unwrap();
    assert_eq!(db.metrics().write_amplification(), 0.0);
    fill(&db, ks[0]);
    // A second round of overwrites makes level 0 compact into level 1.
    fill(&db, ks[0]);
    let m = db.metrics();
    let user = (KEYS * 2 * (9 + 100)) as u64;
    assert!(
        m.user_bytes_written >= user,
        "user bytes {} < {user}",
        m.user_bytes_written
    );
    assert!(m.wal_bytes_written >= m.user_bytes_written, "{m:?}");
    assert!(m.flush_bytes_written > 0, "{m:?}");
    assert!(m.compaction_bytes_written > 0, "{m:?}");
    assert_eq!(m.level_files.len(), options.levels, "{m:?}");
    assert_eq!(m.level_bytes.len(), options.levels, "{m:?}");
    assert!(m.level_files.iter().sum::<usize>() > 0, "{m:?}");
    assert!(m.write_amplification() > 2.0, "{m:?}");
    for _ in 0..3 {
        for i in (0..KEYS).step_by(100) {
            assert!(db.get(ks[0], &key(i)).unwrap().is_some());
        }
    }
    let m = db.metrics();
    assert!(m.cache_hits > 0 && m.cache_misses > 0, "{m:?}");
    db.close().unwrap();
}

#[test]
fn metrics_count_the_syncs_of_the_log() {
    let mut options = two_level_options();
    // No background sync between the steps below.
    options.buffered_sync_interval = std::time::Duration::from_secs(3600);
    let (db, ks) = open(options).unwrap();
    let put = |i: usize, durability| {
        let mut batch = WriteBatch::new();
        batch.put(ks[0], &key(i), b"v");
        db.write(batch, durability).unwrap();
    };
    let syncs = || db.metrics().wal_syncs;
    let before = syncs();
    put(1, Durability::Sync);
    put(2, Durability::Sync);
    assert_eq!(syncs(), before + 2);
    put(3, Durability::Buffered);
    assert_eq!(syncs(), before + 2, "a buffered write does not sync");
    db.sync_wal().unwrap();
    assert_eq!(syncs(), before + 3);
    db.sync_wal().unwrap();
    assert_eq!(syncs(), before + 3, "nothing new to sync");
    db.close().unwrap();
}

#[test]
fn a_flush_drops_deletions_of_keys_written_since_the_last_flush_and_keeps_the_others() {
    let mut options = two_level_options();
    options.memtable_bytes_max = 8 << 20; // everything below fits in one memtable
    let fs = Arc::clone(&options.fs);
    let (db, ks) = open(options.clone()).unwrap();
    let ks = ks[0];
    let write = |build: &dyn Fn(&mut WriteBatch)| {
        let mut batch = WriteBatch::new();
        build(&mut batch);
        db.write(batch, Durability::Buffered).unwrap();
    };
    let flushed_bytes = || db.metrics().flush_bytes_written;
    // Flushed once: deleting these later must leave their deletions.
    for i in 0..100 {
        write(&|b| b.put(ks, &key(i), &[1; 100]));
    }
    db.flush().unwrap();
    let first = flushed_bytes();
    assert!(first > 100 * 100);
    // Written and deleted within one memtable, which also deletes the flushed keys.
    for i in 100..KEYS {
        write(&|b| b.put(ks, &key(i), &[2; 100]));
    }
    for i in 0..KEYS {
        write(&|b| b.delete(ks, &key(i)));
    }
    db.flush().unwrap();
    let second = flushed_bytes() - first;
    assert!(
        second > 0 && second < 100 * 40,
        "the second flush should hold the 100 deletions of flushed keys and nothing of the \
         {} keys written and deleted since: {second} bytes",
        KEYS - 100
    );
    // A snapshot between a write and its deletion keeps both.
    write(&|b| b.put(ks, b"kept", b"v"));
    let snapshot = db.snapshot();
    write(&|b| b.delete(ks, b"kept"));
    db.flush().unwrap();
    db.wait_for_compactions().unwrap();
    assert_eq!(
        snapshot.get(ks, b"kept").unwrap().as_deref(),
        Some(&b"v"[..])
    );
    drop(snapshot);
    for i in (0..KEYS).step_by(97) {
        assert_eq!(db.get(ks, &key(i)).unwrap(), None, "key {i}");
    }
    assert_eq!(db.get(ks, b"kept").unwrap(), None);
    db.close().unwrap();
    let mut reopened = options;
    reopened.fs = fs;
    let (db, ks) = open(reopened).unwrap();
    assert!(scan_all(&db, ks[0]).unwrap().is_empty());
    db.close().unwrap();
}
