//! Unit tests of the crash model: these are what make the crash tests of the engine mean anything.

use super::*;

fn p(s: &str) -> &Path {
    Path::new(s)
}

/// A file system with directory `/d` made durable.
fn fs_with_dir(seed: u64) -> FaultFileSystem {
    let fs = FaultFileSystem::new(seed);
    fs.create_dir_all(p("/d")).unwrap();
    fs
}

fn read_all(fs: &dyn FileSystem, path: &str) -> Vec<u8> {
    let f = fs.open(p(path)).unwrap();
    let mut buf = vec![0u8; f.len() as usize];
    f.read_exact_at(0, &mut buf).unwrap();
    buf
}

#[test]
fn synced_bytes_and_synced_entries_survive() {
    let fs = fs_with_dir(1);
    let mut w = fs.create(p("/d/a")).unwrap();
    w.append(b"durable").unwrap();
    w.sync().unwrap();
    fs.sync_dir(p("/d")).unwrap();
    let after = fs.recovered();
    assert_eq!(read_all(&after, "/d/a"), b"durable");
    // The recovered system is usable and fully durable itself.
    assert_eq!(after.recovered().read_file(p("/d/a")).unwrap(), b"durable");
}

#[test]
fn unsynced_tail_is_a_prefix_and_all_outcomes_occur() {
    let (mut none, mut all, mut torn) = (0, 0, 0);
    for seed in 0..200 {
        let fs = fs_with_dir(seed);
        let mut w = fs.create(p("/d/log")).unwrap();
        w.append(b"head").unwrap();
        w.sync().unwrap();
        fs.sync_dir(p("/d")).unwrap();
        w.append(b"0123456789").unwrap();
        w.flush().unwrap();
        let got = fs.recovered().read_file(p("/d/log")).unwrap();
        let full = b"head0123456789";
        assert!(got.len() >= 4, "synced bytes lost (seed {seed})");
        assert_eq!(&got[..], &full[..got.len()], "not a prefix (seed {seed})");
        match got.len() {
            4 => none += 1,
            14 => all += 1,
            _ => torn += 1,
        }
    }
    assert!(none > 10 && all > 10 && torn > 10, "{none} {all} {torn}");
}

#[test]
fn unflushed_bytes_are_invisible_and_lost() {
    let fs = fs_with_dir(2);
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(b"abc").unwrap();
    assert_eq!(fs.open(p("/d/f")).unwrap().len(), 0);
    fs.sync_dir(p("/d")).unwrap();
    for _ in 0..20 {
        assert_eq!(fs.recovered().read_file(p("/d/f")).unwrap(), b"");
    }
    // A full buffer is handed over without flush (and then may survive).
    let fs = fs_with_dir(3);
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(&vec![1u8; APPEND_BUFFER_BYTES]).unwrap();
    assert_eq!(
        fs.open(p("/d/f")).unwrap().len(),
        APPEND_BUFFER_BYTES as u64
    );
}

#[test]
fn dropping_a_writer_flushes_but_does_not_sync() {
    let fs = fs_with_dir(4);
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(b"xyz").unwrap();
    drop(w);
    assert_eq!(fs.read_file(p("/d/f")).unwrap(), b"xyz");
}

#[test]
fn new_file_without_directory_sync_disappears() {
    let fs = fs_with_dir(5);
    let mut w = fs.create(p("/d/new")).unwrap();
    w.append(b"data").unwrap();
    w.sync().unwrap();
    let after = fs.recovered();
    assert!(!after.exists(p("/d/new")));
    assert!(after.list_dir(p("/d")).unwrap().is_empty());
    assert!(after.exists(p("/d")), "directories are durable at creation");
}

#[test]
fn rename_reverts_without_directory_sync_and_sticks_with_it() {
    for synced in [false, true] {
        let fs = fs_with_dir(6);
        for (name, body) in [("/d/CURRENT", b"old"), ("/d/tmp", b"new")] {
            let mut w = fs.create(p(name)).unwrap();
            w.append(body).unwrap();
            w.sync().unwrap();
        }
        fs.sync_dir(p("/d")).unwrap();
        fs.rename(p("/d/tmp"), p("/d/CURRENT")).unwrap();
        assert_eq!(fs.read_file(p("/d/CURRENT")).unwrap(), b"new");
        if synced {
            fs.sync_dir(p("/d")).unwrap();
        }
        let after = fs.recovered();
        let mut names = after.list_dir(p("/d")).unwrap();
        names.sort();
        if synced {
            assert_eq!(names, ["CURRENT"]);
            assert_eq!(after.read_file(p("/d/CURRENT")).unwrap(), b"new");
        } else {
            assert_eq!(names, ["CURRENT", "tmp"]);
            assert_eq!(after.read_file(p("/d/CURRENT")).unwrap(), b"old");
            assert_eq!(after.read_file(p("/d/tmp")).unwrap(), b"new");
        }
    }
}

#[test]
fn removal_reverts_without_directory_sync() {
    let fs = fs_with_dir(7);
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(b"kept").unwrap();
    w.sync().unwrap();
    fs.sync_dir(p("/d")).unwrap();
    fs.remove_file(p("/d/f")).unwrap();
    assert!(!fs.exists(p("/d/f")));
    assert_eq!(fs.recovered().read_file(p("/d/f")).unwrap(), b"kept");
    fs.sync_dir(p("/d")).unwrap_err(); // already crashed by `recovered`
}

#[test]
fn cross_directory_rename_with_one_side_synced_shares_bytes() {
    let fs = fs_with_dir(8);
    fs.create_dir_all(p("/e")).unwrap();
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(b"one").unwrap();
    w.sync().unwrap();
    fs.sync_dir(p("/d")).unwrap();
    w.append(b"two").unwrap();
    w.flush().unwrap();
    fs.rename(p("/d/f"), p("/e/f")).unwrap();
    fs.sync_dir(p("/e")).unwrap();
    let after = fs.recovered();
    let a = after.read_file(p("/d/f")).unwrap();
    let b = after.read_file(p("/e/f")).unwrap();
    assert_eq!(
        a, b,
        "two names of one inode must recover to the same bytes"
    );
    assert!(a.starts_with(b"one"));
}

#[test]
fn create_over_existing_file_truncates_in_place() {
    let fs = fs_with_dir(9);
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(b"old content").unwrap();
    w.sync().unwrap();
    fs.sync_dir(p("/d")).unwrap();
    let reader = fs.open(p("/d/f")).unwrap();
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(b"new").unwrap();
    w.sync().unwrap();
    let mut buf = [0u8; 3];
    assert!(reader.read_exact_at(0, &mut [0u8; 11]).is_err());
    reader.read_exact_at(0, &mut buf).unwrap();
    assert_eq!(&buf, b"new");
    assert_eq!(fs.recovered().read_file(p("/d/f")).unwrap(), b"new");
}

#[test]
fn crash_at_nth_mutation_fails_it_and_everything_after() {
    let fs = fs_with_dir(10);
    let before = fs.mutation_count();
    fs.set_plan(FaultPlan::new().crash_at(3));
    let mut w = fs.create(p("/d/f")).unwrap(); // 1
    w.append(b"a").unwrap(); // 2
    let err = w.sync().unwrap_err(); // 3: the power cut
    assert!(err.to_string().contains("power cut"), "{err}");
    assert!(fs.is_crashed());
    assert_eq!(fs.mutation_count(), before + 3);
    assert!(w.append(b"b").is_err());
    assert!(fs.open(p("/d/f")).is_err());
    assert!(fs.list_dir(p("/d")).is_err());
    assert!(fs.lock(p("/d/LOCK")).is_err());
    assert!(!fs.exists(p("/d")));
    // The file's creation was never made durable.
    let after = fs.recovered();
    assert!(!after.exists(p("/d/f")));
    after.create(p("/d/g")).unwrap();
}

#[test]
fn crash_at_nth_sync_counts_only_syncs() {
    let fs = fs_with_dir(11);
    fs.set_plan(FaultPlan::new().crash_at_nth_of(&[Operation::Sync], 2));
    let mut w = fs.create(p("/d/f")).unwrap();
    w.append(b"first").unwrap();
    w.sync().unwrap();
    fs.sync_dir(p("/d")).unwrap();
    w.append(b"second").unwrap();
    w.append(b"third").unwrap();
    assert!(w.sync().is_err());
    // The failed sync had no effect, and the bytes after the first sync were still in the
    // user-space buffer, so nothing of them survives.
    assert_eq!(fs.recovered().read_file(p("/d/f")).unwrap(), b"first");
}

#[test]
fn open_readers_fail_after_crash() {
    let fs = fs_with_dir(12);
    fs.write_file(p("/d/f"), b"abc").unwrap();
    let r = fs.open(p("/d/f")).unwrap();
    fs.crash();
    assert!(r.read_exact_at(0, &mut [0u8; 1]).is_err());
}

#[test]
fn nth_error_on_a_path_pattern_fires_once_without_effect() {
    let fs = fs_with_dir(13);
    fs.set_plan(FaultPlan::new().fail(Fault::nth(Operation::Sync, 2).on_path(".log")));
    let mut sst = fs.create(p("/d/1.sst")).unwrap();
    let mut log = fs.create(p("/d/2.log")).unwrap();
    sst.sync().unwrap();
    sst.sync().unwrap();
    sst.sync().unwrap();
    log.append(b"x").unwrap();
    log.sync().unwrap();
    log.append(b"y").unwrap();
    let err = log.sync().unwrap_err();
    assert!(err.to_string().contains("injected"), "{err}");
    assert_eq!(fs.injected_error_count(), 1);
    assert!(!fs.is_crashed());
    log.sync().unwrap();
    assert_eq!(fs.read_file(p("/d/2.log")).unwrap(), b"xy");
}

#[test]
fn rename_create_remove_errors_leave_state_unchanged() {
    let fs = fs_with_dir(14);
    fs.write_file(p("/d/a"), b"1").unwrap();
    fs.set_plan(
        FaultPlan::new()
            .fail(Fault::nth(Operation::Rename, 1))
            .fail(Fault::nth(Operation::Create, 1))
            .fail(Fault::nth(Operation::Remove, 1)),
    );
    assert!(fs.rename(p("/d/a"), p("/d/b")).is_err());
    assert!(fs.create(p("/d/c")).is_err());
    assert!(fs.remove_file(p("/d/a")).is_err());
    let mut names = fs.list_dir(p("/d")).unwrap();
    names.sort();
    assert_eq!(names, ["a"]);
    fs.rename(p("/d/a"), p("/d/b")).unwrap();
    assert_eq!(fs.read_file(p("/d/b")).unwrap(), b"1");
}

#[test]
fn random_errors_are_reproducible_from_the_seed() {
    let run = |seed: u64| -> Vec<bool> {
        let fs = fs_with_dir(seed);
        fs.set_plan(FaultPlan::new().fail(Fault::random(&[Operation::Append], 0.3)));
        let mut w = fs.create(p("/d/f")).unwrap();
        (0..200).map(|_| w.append(b"z").is_err()).collect()
    };
    let a = run(42);
    assert_eq!(a, run(42));
    assert_ne!(a, run(43));
    let failures = a.iter().filter(|&&f| f).count();
    assert!((30..=90).contains(&failures), "{failures} of 200 at p=0.3");
}

#[test]
fn read_faults_are_injected_when_planned() {
    let fs = fs_with_dir(15);
    fs.write_file(p("/d/t.sst"), b"block").unwrap();
    let r = fs.open(p("/d/t.sst")).unwrap();
    fs.set_plan(FaultPlan::new().fail(Fault::nth(Operation::Read, 2)));
    let mut buf = [0u8; 5];
    r.read_exact_at(0, &mut buf).unwrap();
    assert!(r.read_exact_at(0, &mut buf).is_err());
    r.read_exact_at(0, &mut buf).unwrap();
    assert_eq!(&buf, b"block");
}

#[test]
fn recovery_is_deterministic_per_seed() {
    let run = |seed: u64| -> Vec<Vec<u8>> {
        let fs = fs_with_dir(seed);
        let mut files = Vec::new();
        for i in 0..8 {
            let name = format!("/d/{i}");
            let mut w = fs.create(p(&name)).unwrap();
            w.append(&[i as u8; 1000]).unwrap();
            w.flush().unwrap();
            files.push(name);
        }
        fs.sync_dir(p("/d")).unwrap();
        let after = fs.recovered();
        files
            .iter()
            .map(|f| after.read_file(p(f)).unwrap())
            .collect()
    };
    assert_eq!(run(7), run(7));
    assert!((0..20).any(|s| run(s) != run(7)));
}

#[test]
fn locks_are_exclusive_and_released_by_recovery() {
    let fs = fs_with_dir(16);
    let guard = fs.lock(p("/d/LOCK")).unwrap();
    assert_eq!(
        fs.lock(p("/d/LOCK")).unwrap_err().kind(),
        io::ErrorKind::WouldBlock
    );
    fs.sync_dir(p("/d")).unwrap();
    let after = fs.recovered();
    after.lock(p("/d/LOCK")).unwrap();
    drop(guard);
}

#[test]
fn random_walk_matches_a_simple_model() {
    // Random create/append/flush/sync/rename/remove/sync_dir on a few names, with a model that
    // tracks, per name, (durable entry, current entry) over file ids and per file id (synced,
    // flushed) bytes; after a crash every file must hold synced ≤ len ≤ flushed as a prefix.
    for seed in 0..50u64 {
        let mut rng = SplitMix64(seed ^ 0xABCD);
        let fs = fs_with_dir(seed);
        let names = ["a", "b", "c"];
        // Model: name -> file id (current, durable); id -> (synced, flushed, buffered).
        let mut current: BTreeMap<&str, usize> = BTreeMap::new();
        let mut durable: BTreeMap<&str, usize> = BTreeMap::new();
        let mut files: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = Vec::new();
        let mut writers: Vec<(usize, Box<dyn WritableFile>)> = Vec::new();
        for _ in 0..60 {
            let name = names[rng.below(3) as usize];
            let path = format!("/d/{name}");
            match rng.below(7) {
                0 => {
                    // Fresh content per create; O_TRUNC of an existing name keeps its id.
                    let id = match current.get(name) {
                        Some(&id) => {
                            files[id] = Default::default();
                            id
                        }
                        None => {
                            files.push(Default::default());
                            files.len() - 1
                        }
                    };
                    current.insert(name, id);
                    writers.retain(|(wid, _)| *wid != id);
                    writers.push((id, fs.create(p(&path)).unwrap()));
                }
                1 | 2 if !writers.is_empty() => {
                    let i = rng.below(writers.len() as u64) as usize;
                    let byte = rng.below(256) as u8;
                    let (id, w) = &mut writers[i];
                    w.append(&[byte; 10]).unwrap();
                    files[*id].2.extend_from_slice(&[byte; 10]);
                }
                3 if !writers.is_empty() => {
                    let i = rng.below(writers.len() as u64) as usize;
                    let (id, w) = &mut writers[i];
                    let sync = rng.below(2) == 0;
                    if sync {
                        w.sync().unwrap();
                    } else {
                        w.flush().unwrap();
                    }
                    let f = &mut files[*id];
                    let buffered = std::mem::take(&mut f.2);
                    f.1.extend_from_slice(&buffered);
                    if sync {
                        f.0 = f.1.clone();
                    }
                }
                4 => {
                    let to = names[rng.below(3) as usize];
                    if let Some(id) = current.remove(name) {
                        fs.rename(p(&path), p(&format!("/d/{to}"))).unwrap();
                        current.insert(to, id);
                    }
                }
                5 => {
                    if current.remove(name).is_some() {
                        fs.remove_file(p(&path)).unwrap();
                    }
                }
                _ => {
                    fs.sync_dir(p("/d")).unwrap();
                    durable = current.clone();
                }
            }
        }
        let after = fs.recovered();
        let mut listed = after.list_dir(p("/d")).unwrap();
        listed.sort();
        let expected: Vec<String> = durable.keys().map(|s| s.to_string()).collect();
        assert_eq!(listed, expected, "seed {seed}");
        for (name, id) in &durable {
            let got = after.read_file(p(&format!("/d/{name}"))).unwrap();
            let (synced, flushed, _) = &files[*id];
            assert!(
                got.len() >= synced.len() && got.len() <= flushed.len(),
                "seed {seed}: {name} has {} bytes, synced {} flushed {}",
                got.len(),
                synced.len(),
                flushed.len()
            );
            assert_eq!(&got[..], &flushed[..got.len()], "seed {seed}: {name}");
        }
        drop(writers);
    }
}
