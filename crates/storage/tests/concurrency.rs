//! Concurrency: writer and reader threads at once see consistent prefixes, without deadlock.
//!
//! How: each writer thread owns a set of keys and writes a fixed schedule of batches (puts,
//! deletes, range deletes), each batch also setting the writer's `progress` counter in two
//! keyspaces. Because the schedule is fixed, the content of a writer's keys at any progress is
//! known. Reader threads take snapshots, iterate (forward and reverse; an iterator holds its own
//! view) and get, and check that: every writer's keys match its progress (batches are atomic,
//! across keyspaces too), progress seen by plain gets never goes back, and at the end that every
//! snapshot saw, for every writer, exactly the batches whose sequence number is at or below the
//! snapshot's (the global order is a prefix). Tiny memtables keep flushes and compactions
//! running under the readers. The whole test runs under a timeout that catches deadlocks.

mod common;

use std::ops::Bound;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};

use common::*;
use ferrodyn_storage::fs::MemFileSystem;
use ferrodyn_storage::{Db, Direction, Durability, Keyspace, SequenceNumber, WriteBatch};
use rand::Rng;

const KEYS_PER_WRITER: usize = 12;

fn writer_key(w: usize, j: usize) -> Vec<u8> {
    format!("w{w}/k{j:02}").into_bytes()
}

fn progress_key(w: usize) -> Vec<u8> {
    format!("w{w}/progress").into_bytes()
}

fn writer_range(w: usize) -> (Vec<u8>, Vec<u8>) {
    (format!("w{w}/").into_bytes(), format!("w{w}0").into_bytes())
}

/// What batch `c` (1-based) of a writer does to its keys.
enum Step {
    Put(usize),
    Delete(usize),
    ClearThenPut(usize),
}

fn step(c: u64) -> Step {
    let j = (c as usize * 7) % KEYS_PER_WRITER;
    match (c % 41, c % 5) {
        (0, _) => Step::ClearThenPut(j),
        (_, 3) => Step::Delete(j),
        _ => Step::Put(j),
    }
}

/// The value of a put at batch `c`: the counter, then padding of a size that varies.
fn value(c: u64) -> Vec<u8> {
    let mut v = c.to_be_bytes().to_vec();
    v.resize(8 + (c as usize * 13) % 120, b'.');
    v
}

/// For each progress 0..=batches, which batch last put each key (0 = absent).
fn expected_states(batches: u64) -> Vec<[u64; KEYS_PER_WRITER]> {
    let mut states = vec![[0u64; KEYS_PER_WRITER]];
    let mut current = [0u64; KEYS_PER_WRITER];
    for c in 1..=batches {
        match step(c) {
            Step::Put(j) => current[j] = c,
            Step::Delete(j) => current[j] = 0,
            Step::ClearThenPut(j) => {
                current = [0; KEYS_PER_WRITER];
                current[j] = c;
            }
        }
        states.push(current);
    }
    states
}

fn decode_counter(bytes: &[u8]) -> u64 {
    u64::from_be_bytes(
        bytes[..8]
            .try_into()
            .expect("values start with an 8-byte counter"),
    )
}

/// Checks one writer's entries (ascending, progress key included) against the schedule and
/// returns the progress they show.
fn check_writer_view(
    w: usize,
    entries: &[(Vec<u8>, Vec<u8>)],
    states: &[[u64; KEYS_PER_WRITER]],
    what: &str,
) -> u64 {
    let progress = entries
        .iter()
        .find(|(k, _)| *k == progress_key(w))
        .map_or(0, |(_, v)| decode_counter(v));
    let state = &states[progress as usize];
    let mut want: Vec<(Vec<u8>, Vec<u8>)> = (0..KEYS_PER_WRITER)
        .filter(|&j| state[j] != 0)
        .map(|j| (writer_key(w, j), value(state[j])))
        .collect();
    if progress > 0 {
        want.push((progress_key(w), progress.to_be_bytes().to_vec()));
    }
    assert_same_entries(
        entries,
        &want,
        &format!("{what}: writer {w} at progress {progress}"),
    );
    progress
}

struct Shared {
    db: Db,
    ks: Vec<Keyspace>,
    states: Vec<[u64; KEYS_PER_WRITER]>,
    writers: usize,
    done: AtomicBool,
}

fn writer(shared: &Shared, w: usize, batches: u64, seed: u64) -> Vec<SequenceNumber> {
    let mut rng = rng(seed);
    let (data, raft) = (shared.ks[0], shared.ks[1]);
    let mut seqs = vec![0];
    for c in 1..=batches {
        let mut batch = WriteBatch::new();
        match step(c) {
            Step::Put(j) => batch.put(data, &writer_key(w, j), &value(c)),
            Step::Delete(j) => batch.delete(data, &writer_key(w, j)),
            Step::ClearThenPut(j) => {
                let (start, end) = writer_range(w);
                batch.delete_range(data, &start, &end);
                batch.put(data, &writer_key(w, j), &value(c));
            }
        }
        batch.put(data, &progress_key(w), &c.to_be_bytes());
        batch.put(raft, &progress_key(w), &c.to_be_bytes());
        let durability = if rng.random_bool(0.1) {
            Durability::Sync
        } else {
            Durability::Buffered
        };
        let seq = shared.db.write(batch, durability).unwrap();
        assert!(seq > seqs[seqs.len() - 1], "writer {w}: sequence went back");
        seqs.push(seq);
    }
    seqs
}

/// A reader's observations: (snapshot sequence, progress of each writer in it).
type Observation = (SequenceNumber, Vec<u64>);

fn reader(shared: &Shared, seed: u64) -> Vec<Observation> {
    let mut rng = rng(seed);
    let (data, raft) = (shared.ks[0], shared.ks[1]);
    let mut observations = Vec::new();
    let mut last_seen = vec![0u64; shared.writers];
    let mut rounds = 0;
    while !shared.done.load(Ordering::Acquire) || rounds < 3 {
        rounds += 1;
        match rng.random_range(0..3) {
            0 => {
                let snapshot = shared.db.snapshot();
                let mut progress = Vec::new();
                for w in 0..shared.writers {
                    let (start, end) = writer_range(w);
                    let direction = if rng.random_bool(0.5) {
                        Direction::Forward
                    } else {
                        Direction::Reverse
                    };
                    let mut entries = collect(
                        snapshot
                            .iter(
                                data,
                                (Bound::Included(&start), Bound::Excluded(&end)),
                                direction,
                            )
                            .unwrap(),
                        "snapshot iter",
                    );
                    if direction == Direction::Reverse {
                        entries.reverse();
                    }
                    let p = check_writer_view(w, &entries, &shared.states, "snapshot");
                    let in_raft = snapshot
                        .get(raft, &progress_key(w))
                        .unwrap()
                        .map_or(0, |v| decode_counter(&v));
                    assert_eq!(p, in_raft, "writer {w}: a batch was split across keyspaces");
                    progress.push(p);
                }
                observations.push((snapshot.sequence(), progress));
            }
            1 => {
                // One iterator over every writer: one read view for all of them.
                let all = collect(
                    shared
                        .db
                        .iter(
                            data,
                            (Bound::Unbounded, Bound::Unbounded),
                            Direction::Forward,
                        )
                        .unwrap(),
                    "iter",
                );
                for (w, seen) in last_seen.iter_mut().enumerate() {
                    let (start, end) = writer_range(w);
                    let mine: Vec<_> = all
                        .iter()
                        .filter(|(k, _)| *k >= start && *k < end)
                        .cloned()
                        .collect();
                    let p = check_writer_view(w, &mine, &shared.states, "iterator");
                    assert!(
                        p >= *seen,
                        "writer {w}: progress went back from {seen} to {p}"
                    );
                    *seen = p;
                }
            }
            _ => {
                for (w, seen) in last_seen.iter_mut().enumerate() {
                    let p = shared
                        .db
                        .get(data, &progress_key(w))
                        .unwrap()
                        .map_or(0, |v| decode_counter(&v));
                    assert!(
                        p >= *seen,
                        "writer {w}: progress went back from {seen} to {p}"
                    );
                    *seen = p;
                }
            }
        }
    }
    observations
}

fn concurrency_run(seed: u64, writers: usize, readers: usize, batches: u64) {
    let mut rng = rng(seed);
    let mut options = small_options(Path::new("/db"), Arc::new(MemFileSystem::new()), &mut rng);
    options.background_threads = 2;
    let (db, ks) = open(options).unwrap();
    let shared = Arc::new(Shared {
        db,
        ks,
        states: expected_states(batches),
        writers,
        done: AtomicBool::new(false),
    });
    let start = Arc::new(Barrier::new(writers + readers));
    let writer_threads: Vec<_> = (0..writers)
        .map(|w| {
            let (shared, start) = (Arc::clone(&shared), Arc::clone(&start));
            let seed = seed.wrapping_add(1000 + w as u64);
            std::thread::spawn(move || {
                start.wait();
                writer(&shared, w, batches, seed)
            })
        })
        .collect();
    let reader_threads: Vec<_> = (0..readers)
        .map(|r| {
            let (shared, start) = (Arc::clone(&shared), Arc::clone(&start));
            let seed = seed.wrapping_add(2000 + r as u64);
            std::thread::spawn(move || {
                start.wait();
                reader(&shared, seed)
            })
        })
        .collect();
    let seqs: Vec<Vec<SequenceNumber>> = writer_threads
        .into_iter()
        .map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        .collect();
    shared.done.store(true, Ordering::Release);
    let observations: Vec<Observation> = reader_threads
        .into_iter()
        .flat_map(|t| t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        .collect();
    // Every snapshot saw, for each writer, exactly the batches at or below its sequence.
    for (sequence, progress) in &observations {
        for (w, &p) in progress.iter().enumerate() {
            let want = seqs[w]
                .iter()
                .rposition(|&s| s <= *sequence)
                .expect("seqs[w][0] = 0") as u64;
            assert_eq!(
                p, want,
                "snapshot at sequence {sequence} saw writer {w} at batch {p}, but batch {want} \
                 was the last at or below it"
            );
        }
    }
    println!("{} snapshots checked", observations.len());
    let shared = Arc::into_inner(shared).expect("all threads joined");
    for w in 0..writers {
        let (start, end) = writer_range(w);
        let entries = collect(
            shared
                .db
                .iter(
                    shared.ks[0],
                    (Bound::Included(&start), Bound::Excluded(&end)),
                    Direction::Forward,
                )
                .unwrap(),
            "final",
        );
        assert_eq!(
            check_writer_view(w, &entries, &shared.states, "final"),
            batches
        );
    }
    shared.db.close().unwrap();
}

#[test]
fn writers_and_readers_see_consistent_prefixes() {
    for_each_seed("writers_and_readers_see_consistent_prefixes", 4, |seed| {
        with_timeout("concurrency run", time_limit(240), move || {
            concurrency_run(seed, 4, 3, 3000)
        });
    });
}
