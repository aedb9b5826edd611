//! The lock: one open handle per database directory.
//!
//! Opening a directory that is already open fails with `Error::Locked` (on the real file system,
//! where the lock is an `flock`, and on the in-memory one); closing or dropping the handle
//! releases it, and the data written before is there after reopening.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use ferrodyn_storage::fs::{FileSystem, MemFileSystem, RealFileSystem};
use ferrodyn_storage::{Db, Durability, Error, Options, WriteBatch};

fn check_lock(fs: Arc<dyn FileSystem>, path: &Path) {
    let options = Options::new(path, fs);
    let (db, ks) = open(options.clone()).unwrap();
    let mut batch = WriteBatch::new();
    batch.put(ks[0], b"k", b"v");
    db.write(batch, Durability::Sync).unwrap();
    match Db::open(options.clone()) {
        Err(Error::Locked { dir, lock }) => {
            assert_eq!(dir, path);
            assert!(
                lock.starts_with(path),
                "lock file {lock:?} outside {path:?}"
            );
        }
        other => panic!("second open of {path:?} must fail with Locked, got {other:?}"),
    }
    // A clone is the same handle, not a second opener.
    let clone = db.clone();
    assert_eq!(clone.get(ks[0], b"k").unwrap().as_deref(), Some(&b"v"[..]));
    drop(clone);
    db.close().unwrap();
    let (db, ks) = open(options.clone()).unwrap();
    assert_eq!(db.get(ks[0], b"k").unwrap().as_deref(), Some(&b"v"[..]));
    // Dropping the last handle also releases the lock.
    drop(db);
    let db = Db::open(options).unwrap();
    db.close().unwrap();
}

#[test]
fn second_open_is_refused_in_memory() {
    check_lock(Arc::new(MemFileSystem::new()), Path::new("/db"));
}

#[test]
fn second_open_is_refused_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    check_lock(Arc::new(RealFileSystem::new()), &dir.path().join("db"));
}

#[test]
fn closed_handle_refuses_work() {
    let (db, ks) = open(Options::new("/db", Arc::new(MemFileSystem::new()))).unwrap();
    let other = db.clone();
    db.close().unwrap();
    let mut batch = WriteBatch::new();
    batch.put(ks[0], b"k", b"v");
    match other.write(batch, Durability::Sync) {
        Err(Error::Closed) => {}
        got => {
            panic!("a write through a clone of a closed handle must fail with Closed, got {got:?}")
        }
    }
}
