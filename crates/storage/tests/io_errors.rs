//! I/O errors: a failed append, flush, sync, directory sync, rename or create poisons the engine.
//!
//! How: `FaultFileSystem` fails the N-th operation of one kind (or each with a small
//! probability) while a random workload runs. The first failed write may report the I/O error;
//! every write after it must be refused with `Error::Poisoned`, and once an error was injected
//! anywhere (WAL, flush, compaction, manifest), writes after `flush` must be refused too. Nothing
//! may panic. Reopening (on the same disk, or after a power cut) must give a valid prefix of the
//! attempted batches: with every acknowledged batch after a process restart, with every batch up
//! to the last acknowledged `Sync` one after a power cut. Read errors must never produce a wrong
//! value and never lose data.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use ferrodyn_storage::fs::{Fault, FaultFileSystem, FaultPlan, Operation};
use ferrodyn_storage::{Db, Direction, Durability, Error, Keyspace, Options};
use rand::Rng;
use rand::rngs::SmallRng;

const WRITE_OPERATIONS: [Operation; 6] = [
    Operation::Append,
    Operation::Flush,
    Operation::Sync,
    Operation::SyncDir,
    Operation::Rename,
    Operation::Create,
];

fn random_plan(rng: &mut SmallRng, steps: usize) -> FaultPlan {
    let op = WRITE_OPERATIONS[rng.random_range(0..WRITE_OPERATIONS.len())];
    let fault = if rng.random_bool(0.7) {
        let n = match op {
            Operation::Append | Operation::Flush => rng.random_range(1..=steps as u64 * 2),
            _ => rng.random_range(1..=20),
        };
        Fault::nth(op, n)
    } else {
        Fault::random(&WRITE_OPERATIONS, rng.random_range(0.001..0.02))
    };
    FaultPlan::new().fail(fault)
}

fn options_on(template: &Options, fs: &FaultFileSystem) -> Options {
    let mut options = template.clone();
    options.fs = Arc::new(fs.clone());
    options
}

struct Outcome {
    history: Vec<Vec<Op>>,
    last_acknowledged: usize,
    last_synced: usize,
}

fn run_with_errors(
    db: &Db,
    keyspaces: &[Keyspace],
    fs: &FaultFileSystem,
    pool: &[Vec<u8>],
    rng: &mut SmallRng,
    steps: usize,
    live: &mut Model,
) -> Outcome {
    let mut out = Outcome {
        history: Vec::new(),
        last_acknowledged: 0,
        last_synced: 0,
    };
    let mut refused = false;
    for step in 0..steps {
        match rng.random_range(0..100) {
            0..85 => {
                let max_ops = if rng.random_bool(0.2) { 8 } else { 1 };
                let ops = random_batch(rng, pool, max_ops);
                let durability = random_durability(rng);
                out.history.push(ops.clone());
                match db.write(write_batch(&ops, keyspaces), durability) {
                    Ok(_) => {
                        assert!(
                            !refused,
                            "step {step}: a write was accepted after a refusal"
                        );
                        live.apply(&ops);
                        out.last_acknowledged = out.history.len();
                        if durability == Durability::Sync {
                            out.last_synced = out.history.len();
                        }
                    }
                    Err(e) => {
                        assert!(
                            fs.injected_error_count() > 0,
                            "step {step}: write failed without an injected error: {e}"
                        );
                        if refused {
                            assert!(
                                matches!(e, Error::Poisoned(_)),
                                "step {step}: a write after a failure must be refused as \
                                 poisoned, got: {e}"
                            );
                        } else {
                            assert!(
                                matches!(e, Error::Io { .. } | Error::Poisoned(_)),
                                "step {step}: unexpected error kind: {e}"
                            );
                        }
                        refused = true;
                    }
                }
            }
            85..93 => {
                let ks = rng.random_range(0..KEYSPACES.len());
                let key = &pool[rng.random_range(0..pool.len())];
                let got = db
                    .get(keyspaces[ks], key)
                    .unwrap_or_else(|e| panic!("step {step}: reads must keep working: {e}"));
                assert_eq!(
                    got.as_ref(),
                    live.get(ks, key),
                    "step {step}: get {}",
                    show(key)
                );
            }
            93..97 => {
                if let Err(e) = db.flush() {
                    assert!(
                        fs.injected_error_count() > 0,
                        "step {step}: flush failed: {e}"
                    );
                }
            }
            _ => {
                if let Err(e) = db.wait_for_compactions() {
                    assert!(
                        fs.injected_error_count() > 0,
                        "step {step}: compaction failed: {e}"
                    );
                }
            }
        }
    }
    out
}

fn io_error_run(seed: u64, steps: usize) {
    let mut rng = rng(seed);
    let mut fs = FaultFileSystem::new(rng.random());
    let template = small_options(Path::new("/db"), Arc::new(fs.clone()), &mut rng);
    let pool_size = rng.random_range(20..=200);
    let pool = key_pool(&mut rng, pool_size);
    let (db, keyspaces) = open(options_on(&template, &fs)).unwrap();
    let plan = random_plan(&mut rng, steps);
    println!("plan: {plan:?}");
    fs.set_plan(plan);
    let mut live = Model::new();
    let outcome = run_with_errors(&db, &keyspaces, &fs, &pool, &mut rng, steps, &mut live);

    // Whatever failed, in the foreground or in a background flush or compaction, the engine
    // must now refuse writes.
    if fs.injected_error_count() > 0 {
        let _ = db.flush();
        let _ = db.wait_for_compactions();
        let mut batch = ferrodyn_storage::WriteBatch::new();
        batch.put(keyspaces[0], b"after the failure", b"x");
        match db.write(batch, Durability::Sync) {
            Err(Error::Poisoned(_)) => {}
            other => panic!(
                "after {} injected error(s) a write must be refused as poisoned, got {other:?}",
                fs.injected_error_count()
            ),
        }
    }
    fs.set_plan(FaultPlan::new());
    drop(db);

    let power_cut = rng.random_bool(0.5);
    let must_keep = if power_cut {
        fs = fs.recovered();
        outcome.last_synced
    } else {
        outcome.last_acknowledged
    };
    let (db, keyspaces) = open(options_on(&template, &fs))
        .unwrap_or_else(|e| panic!("reopening after the errors failed: {e}"));
    let actual = read_model(&db, &keyspaces).unwrap();
    let p =
        matching_prefix(&Model::new(), &outcome.history, must_keep, &actual).unwrap_or_else(|| {
            let mut required = Model::new();
            for ops in &outcome.history[..must_keep] {
                required.apply(ops);
            }
            panic!(
                "after reopening ({}), the database is no prefix of the {} attempted batches \
                 with at least {must_keep}: {}",
                if power_cut {
                    "power cut"
                } else {
                    "process restart"
                },
                outcome.history.len(),
                describe_difference(&required, &actual)
            )
        });
    println!("kept {p} of {} batches", outcome.history.len());

    // The reopened engine works again.
    let mut model = actual;
    for _ in 0..20 {
        let ops = random_batch(&mut rng, &pool, 4);
        db.write(write_batch(&ops, &keyspaces), Durability::Buffered)
            .unwrap();
        model.apply(&ops);
    }
    db.flush().unwrap();
    assert!(read_model(&db, &keyspaces).unwrap() == model);
    db.close().unwrap();
}

#[test]
fn write_errors_poison_the_engine_and_reopen_recovers_a_prefix() {
    for_each_seed("write_errors_poison_the_engine", 30, |seed| {
        with_timeout("I/O error run", time_limit(300), move || {
            io_error_run(seed, 300)
        });
    });
}

#[test]
fn a_failed_wal_sync_is_reported_and_never_retried() {
    let fs = FaultFileSystem::new(1);
    let (db, ks) = open(Options::new("/db", Arc::new(fs.clone()))).unwrap();
    let mut batch = ferrodyn_storage::WriteBatch::new();
    batch.put(ks[0], b"a", b"1");
    db.write(batch, Durability::Sync).unwrap();
    fs.set_plan(FaultPlan::new().fail(Fault::nth(Operation::Sync, 1)));
    let mut batch = ferrodyn_storage::WriteBatch::new();
    batch.put(ks[0], b"b", b"2");
    let err = db.write(batch.clone(), Durability::Sync).unwrap_err();
    assert!(
        matches!(err, Error::Io { .. } | Error::Poisoned(_)),
        "unexpected error: {err}"
    );
    assert!(
        err.to_string().len() > 20,
        "the message must say what failed: {err}"
    );
    let err = db.write(batch, Durability::Sync).unwrap_err();
    assert!(matches!(err, Error::Poisoned(_)), "not poisoned: {err}");
    // Reads still answer from memory.
    assert_eq!(db.get(ks[0], b"a").unwrap().as_deref(), Some(&b"1"[..]));
}

fn read_error_run(seed: u64, steps: usize) {
    let mut rng = rng(seed);
    let fs = FaultFileSystem::new(rng.random());
    let mut template = small_options(Path::new("/db"), Arc::new(fs.clone()), &mut rng);
    // A cache would hide most reads from the faults.
    template.block_cache_bytes = 0;
    let pool = key_pool(&mut rng, 200);
    let (db, keyspaces) = open(options_on(&template, &fs)).unwrap();
    let mut model = Model::new();
    for _ in 0..steps {
        let ops = random_batch(&mut rng, &pool, 4);
        db.write(write_batch(&ops, &keyspaces), Durability::Buffered)
            .unwrap();
        model.apply(&ops);
    }
    db.flush().unwrap();
    db.wait_for_compactions().unwrap();
    fs.set_plan(FaultPlan::new().fail(Fault::random(&[Operation::Read, Operation::Open], 0.05)));
    let mut errors = 0;
    for _ in 0..steps {
        let ks = rng.random_range(0..KEYSPACES.len());
        if rng.random_bool(0.7) {
            let key = &pool[rng.random_range(0..pool.len())];
            match db.get(keyspaces[ks], key) {
                Ok(got) => assert_eq!(got.as_ref(), model.get(ks, key), "get {}", show(key)),
                Err(e) => {
                    assert!(matches!(e, Error::Io { .. }), "read error must be Io: {e}");
                    errors += 1;
                }
            }
        } else {
            let range = random_range(&mut rng, &pool);
            let want = model.range(ks, &range, Direction::Forward);
            let mut got = Vec::new();
            let result = db
                .iter(keyspaces[ks], range.bounds(), Direction::Forward)
                .and_then(|iter| {
                    for entry in iter {
                        got.push(entry?);
                    }
                    Ok(())
                });
            match result {
                Ok(()) => assert_same_entries(&got, &want, &format!("iter {range:?}")),
                Err(e) => {
                    assert!(matches!(e, Error::Io { .. }), "read error must be Io: {e}");
                    // What was returned before the error is still right.
                    assert_same_entries(&got, &want[..got.len()], "entries before the error");
                    errors += 1;
                }
            }
        }
    }
    println!("{errors} reads failed");
    fs.set_plan(FaultPlan::new());
    // Failed background reads must not have lost anything.
    let _ = db.wait_for_compactions();
    drop(db);
    let (db, keyspaces) = open(options_on(&template, &fs)).unwrap();
    let actual = read_model(&db, &keyspaces).unwrap();
    assert!(actual == model, "{}", describe_difference(&model, &actual));
    db.close().unwrap();
}

#[test]
fn read_errors_never_give_wrong_values_or_lose_data() {
    for_each_seed("read_errors_never_give_wrong_values", 8, |seed| {
        with_timeout("read error run", time_limit(300), move || {
            read_error_run(seed, 400)
        });
    });
}
