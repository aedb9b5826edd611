//! Corruption: damaged files give `Error::Corruption`, never a panic and never a wrong value.
//!
//! How: a database with several levels of SSTables, a manifest and unflushed batches in its WAL
//! is built and closed on the in-memory file system. Then, many times over, a copy of its files
//! has one file damaged (random bytes flipped, bytes flipped near its end, or the file cut
//! short) and is reopened and read completely (scans both ways and point gets). Every outcome
//! must be one of: opening fails with `Corruption`; a read fails with `Corruption`; or everything
//! reads fine. Every value read must be one that was written for that key (so a key never
//! written never appears), and when everything reads fine the content must be exactly a prefix
//! of the written batches. Only the newest WAL (`*.log` with the highest number) may end the
//! history early, and only at its damaged tail: cut short, it may lose any of its last batches;
//! with a flipped byte, only the batch whose record was hit (a valid record after a bad one
//! means the bad one is corruption in the middle, which must be reported). Damage to any other
//! file must be reported or be harmless.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use ferrodyn_storage::fs::{FileSystem, MemFileSystem};
use ferrodyn_storage::{Db, Direction, Keyspace, Options};
use rand::Rng;
use rand::rngs::SmallRng;

const DB: &str = "/db";

/// A closed database: its files, the batches written in order, and its options.
struct Image {
    files: Vec<(String, Vec<u8>)>,
    history: Vec<Vec<Op>>,
    written: WrittenValues,
    pool: Vec<Vec<u8>>,
    template: Options,
}

fn build_image(rng: &mut SmallRng) -> Image {
    let fs = MemFileSystem::new();
    let mut template = small_options(Path::new(DB), Arc::new(fs.clone()), rng);
    // Without a cache every read goes to the damaged bytes.
    template.block_cache_bytes = 0;
    let pool = key_pool(rng, 150);
    let (db, keyspaces) = open(template.clone()).unwrap();
    let mut history = Vec::new();
    let mut written = WrittenValues::default();
    let mut write = |db: &Db, ops: Vec<Op>, rng: &mut SmallRng| {
        db.write(write_batch(&ops, &keyspaces), random_durability(rng))
            .unwrap();
        written.record(&ops);
        history.push(ops);
    };
    for i in 0..400 {
        write(&db, random_batch(rng, &pool, 4), rng);
        if i % 100 == 99 {
            db.flush().unwrap();
        }
    }
    db.wait_for_compactions().unwrap();
    // These stay in the WAL only.
    for _ in 0..rng.random_range(1..40) {
        write(&db, random_batch(rng, &pool, 4), rng);
    }
    db.close().unwrap();
    let mut files = Vec::new();
    for name in fs.list_dir(Path::new(DB)).unwrap() {
        let path = Path::new(DB).join(&name);
        if let Ok(bytes) = fs.read_file(&path) {
            files.push((name, bytes));
        }
    }
    files.sort();
    Image {
        files,
        history,
        written,
        pool,
        template,
    }
}

/// How a file is damaged.
#[derive(Debug, Clone, Copy)]
enum Damage {
    FlipAnywhere,
    FlipNearEnd,
    Truncate,
}

/// What was done to the copy, and how many of the newest batches it may legitimately lose.
struct Damaged {
    fs: MemFileSystem,
    what: String,
    /// Only the newest WAL's tail may end the history early: a cut anywhere in it may lose
    /// any number of its last batches, a flipped byte at most the one batch whose record it
    /// hits (a valid record after a bad one makes the bad one corruption, not a torn end).
    /// Damage to any other file must be reported, or be harmless.
    may_lose: usize,
}

/// Whether `name` is the newest WAL of the image (the engine names WALs `<number>.log`).
fn is_newest_wal(image: &Image, name: &str) -> bool {
    image
        .files
        .iter()
        .map(|(n, _)| n)
        .filter(|n| n.ends_with(".log"))
        .max()
        .is_some_and(|newest| newest == name)
}

/// Copies the image onto a new file system with one file damaged.
fn damaged_copy(image: &Image, rng: &mut SmallRng) -> Damaged {
    let fs = MemFileSystem::new();
    fs.create_dir_all(Path::new(DB)).unwrap();
    let candidates: Vec<usize> = (0..image.files.len())
        .filter(|&i| !image.files[i].1.is_empty() && !image.files[i].0.contains("LOCK"))
        .collect();
    let victim = candidates[rng.random_range(0..candidates.len())];
    let damage =
        [Damage::FlipAnywhere, Damage::FlipNearEnd, Damage::Truncate][rng.random_range(0..3)];
    let mut what = String::new();
    let mut may_lose = 0;
    for (i, (name, bytes)) in image.files.iter().enumerate() {
        let mut bytes = bytes.clone();
        if i == victim {
            let newest_wal = is_newest_wal(image, name);
            let len = bytes.len();
            match damage {
                Damage::FlipAnywhere | Damage::FlipNearEnd => {
                    let from = match damage {
                        Damage::FlipNearEnd => len.saturating_sub(64),
                        _ => 0,
                    };
                    let mut offsets = Vec::new();
                    for _ in 0..rng.random_range(1..=3) {
                        let at = rng.random_range(from..len);
                        bytes[at] ^= rng.random_range(1..=255u8);
                        offsets.push(at);
                    }
                    what = format!("{name} ({len} bytes): flipped bytes at {offsets:?}");
                    if newest_wal {
                        may_lose = offsets.len();
                    }
                }
                Damage::Truncate => {
                    let keep = rng.random_range(0..len);
                    bytes.truncate(keep);
                    what = format!("{name} ({len} bytes): cut to {keep} bytes");
                    if newest_wal {
                        may_lose = usize::MAX;
                    }
                }
            }
        }
        fs.write_file(&PathBuf::from(DB).join(name), &bytes)
            .unwrap();
    }
    Damaged { fs, what, may_lose }
}

/// Reads everything; returns the content if no read failed. Panics on a wrong value or an
/// error other than corruption.
fn read_checked(db: &Db, keyspaces: &[Keyspace], image: &Image, what: &str) -> Option<Model> {
    let mut model = Model::new();
    let mut complete = true;
    for (i, ks) in keyspaces.iter().enumerate() {
        for direction in [Direction::Forward, Direction::Reverse] {
            let iter = match db.iter(*ks, KeyRange::all().bounds(), direction) {
                Ok(iter) => iter,
                Err(e) => {
                    assert!(
                        is_corruption(&e),
                        "{what}: iter gave a non-corruption error: {e}"
                    );
                    complete = false;
                    continue;
                }
            };
            let mut previous: Option<Vec<u8>> = None;
            for entry in iter {
                match entry {
                    Ok((key, value)) => {
                        assert!(
                            image.written.was_written(i, &key, &value),
                            "{what}: scan returned a value never written for {} {}",
                            KEYSPACES[i],
                            show(&key)
                        );
                        if let Some(p) = &previous {
                            let ordered = match direction {
                                Direction::Forward => *p < key,
                                Direction::Reverse => *p > key,
                            };
                            assert!(ordered, "{what}: scan out of order at {}", show(&key));
                        }
                        previous = Some(key.clone());
                        if direction == Direction::Forward {
                            model.keyspaces[i].insert(key, value);
                        }
                    }
                    Err(e) => {
                        assert!(
                            is_corruption(&e),
                            "{what}: scan gave a non-corruption error: {e}"
                        );
                        complete = false;
                        break;
                    }
                }
            }
        }
        for key in &image.pool {
            match db.get(*ks, key) {
                Ok(Some(value)) => assert!(
                    image.written.was_written(i, key, &value),
                    "{what}: get returned a value never written for {} {}",
                    KEYSPACES[i],
                    show(key)
                ),
                Ok(None) => {}
                Err(e) => {
                    assert!(
                        is_corruption(&e),
                        "{what}: get gave a non-corruption error: {e}"
                    );
                    complete = false;
                }
            }
        }
    }
    complete.then_some(model)
}

#[derive(Debug, Default)]
struct Tally {
    open_refused: usize,
    read_refused: usize,
    shorter_history: usize,
    unaffected: usize,
}

fn corruption_run(seed: u64, damages: usize) {
    let mut rng = rng(seed);
    let image = build_image(&mut rng);
    let names: Vec<&str> = image.files.iter().map(|(n, _)| n.as_str()).collect();
    println!("files: {names:?}");
    let mut tally = Tally::default();
    for _ in 0..damages {
        let Damaged { fs, what, may_lose } = damaged_copy(&image, &mut rng);
        let mut options = image.template.clone();
        options.fs = Arc::new(fs) as Arc<dyn FileSystem>;
        let (db, keyspaces) = match open(options) {
            Ok(opened) => opened,
            Err(e) => {
                assert!(
                    is_corruption(&e),
                    "{what}: open gave a non-corruption error: {e}"
                );
                tally.open_refused += 1;
                continue;
            }
        };
        match read_checked(&db, &keyspaces, &image, &what) {
            None => tally.read_refused += 1,
            Some(content) => {
                let p = matching_prefix(&Model::new(), &image.history, 0, &content).unwrap_or_else(
                    || {
                        let mut full = Model::new();
                        for ops in &image.history {
                            full.apply(ops);
                        }
                        panic!(
                            "{what}: all reads succeeded but the content is no prefix of the \
                             history: {}",
                            describe_difference(&full, &content)
                        )
                    },
                );
                let lost = image.history.len() - p;
                assert!(
                    lost <= may_lose,
                    "{what}: all reads succeeded but the newest {lost} batches are gone \
                     (at most {may_lose} may be lost to this damage): damage that is not a \
                     torn end of the newest WAL must be reported as corruption"
                );
                if lost == 0 {
                    tally.unaffected += 1;
                } else {
                    tally.shorter_history += 1;
                }
            }
        }
        drop(db);
    }
    println!("{tally:?}");
}

#[test]
fn damaged_files_give_corruption_errors_never_wrong_data() {
    for_each_seed("damaged_files_give_corruption_errors", 8, |seed| {
        with_timeout("corruption run", time_limit(300), move || {
            corruption_run(seed, 60)
        });
    });
}

#[test]
fn every_kind_of_file_is_checked() {
    // Damage each file of a database in turn, in its middle. Whatever the file (SSTable, WAL,
    // manifest), opening and reading everything must fail with `Corruption` or give a prefix of
    // the history; and at least one damage must be noticed (a flip in the middle of a live
    // SSTable always is).
    let mut rng = rng(7);
    let image = build_image(&mut rng);
    let mut refused = 0;
    for (victim, (name, bytes)) in image.files.iter().enumerate() {
        if bytes.len() < 2 || name.contains("LOCK") {
            continue;
        }
        let fs = MemFileSystem::new();
        fs.create_dir_all(Path::new(DB)).unwrap();
        for (i, (n, b)) in image.files.iter().enumerate() {
            let mut b = b.clone();
            if i == victim {
                let mid = b.len() / 2;
                b[mid] ^= 0x5a;
            }
            fs.write_file(&Path::new(DB).join(n), &b).unwrap();
        }
        let mut options = image.template.clone();
        options.fs = Arc::new(fs) as Arc<dyn FileSystem>;
        let what = format!("{name}: byte {} flipped", bytes.len() / 2);
        match open(options) {
            Err(e) => {
                assert!(is_corruption(&e), "{what}: {e}");
                refused += 1;
            }
            Ok((db, keyspaces)) => match read_checked(&db, &keyspaces, &image, &what) {
                None => refused += 1,
                Some(content) => {
                    let p = matching_prefix(&Model::new(), &image.history, 0, &content)
                        .unwrap_or_else(|| panic!("{what}: content is no prefix of the history"));
                    let may_lose = usize::from(is_newest_wal(&image, name));
                    assert!(
                        image.history.len() - p <= may_lose,
                        "{what}: {} batches silently lost",
                        image.history.len() - p
                    );
                }
            },
        }
    }
    assert!(
        refused > 0,
        "no damaged file was noticed: {:?}",
        image.files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
}
