//! Write stalls: when flush and compaction cannot keep up, writes slow down and wait instead of
//! piling up memtables and level-0 files without bound, and they still all complete.
//!
//! How: the in-memory file system is wrapped so that every `sync` (of an SSTable, the manifest
//! or a directory) takes a few milliseconds, which makes flushes and compactions far slower
//! than a writer with a tiny memtable. While one thread writes as fast as it can, the number of
//! level-0 files is sampled: it must stay within the stop trigger plus the memtables that may
//! still be flushing; so must the immutable memtables and the bytes held by memtables. At the end
//! `stall_micros` must have grown and every write must be readable.

mod common;

use std::io;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use ferrodyn_storage::fs::{FileLock, FileSystem, MemFileSystem, RandomAccessFile, WritableFile};
use ferrodyn_storage::{Durability, Options, WriteBatch};

/// A file system whose syncs take `delay`.
#[derive(Debug)]
struct SlowSyncs {
    inner: MemFileSystem,
    delay: Duration,
}

#[derive(Debug)]
struct SlowFile {
    inner: Box<dyn WritableFile>,
    delay: Duration,
}

impl WritableFile for SlowFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.inner.append(data)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn sync(&mut self) -> io::Result<()> {
        std::thread::sleep(self.delay);
        self.inner.sync()
    }
    fn len(&self) -> u64 {
        self.inner.len()
    }
}

impl FileSystem for SlowSyncs {
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let inner = self.inner.create(path)?;
        Ok(Box::new(SlowFile {
            inner,
            delay: self.delay,
        }))
    }
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let inner = self.inner.open_append(path)?;
        Ok(Box::new(SlowFile {
            inner,
            delay: self.delay,
        }))
    }
    fn open(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        self.inner.open(path)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.inner.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.inner.remove_file(path)
    }
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.inner.create_dir_all(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        std::thread::sleep(self.delay);
        self.inner.sync_dir(path)
    }
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        self.inner.list_dir(dir)
    }
    fn exists(&self, path: &Path) -> bool {
        self.inner.exists(path)
    }
    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        self.inner.lock(path)
    }
}

#[test]
fn writes_stall_with_bounded_level0_and_all_complete() {
    with_timeout("stalled writes", time_limit(240), || {
        let fs = SlowSyncs {
            inner: MemFileSystem::new(),
            delay: Duration::from_millis(4),
        };
        let mut o = Options::new("/db", Arc::new(fs));
        o.memtable_bytes_max = 4 << 10;
        o.immutable_memtables_max = 1;
        o.target_file_bytes = 8 << 10;
        o.level1_bytes_max = 32 << 10;
        o.level_size_multiplier = 4;
        o.level0_compaction_trigger = 2;
        o.level0_slowdown_trigger = 3;
        o.level0_stop_trigger = 5;
        o.background_threads = 1;
        // Writes buffered: the WAL's own syncs must not be what slows the writer.
        o.buffered_sync_interval = Duration::from_millis(50);
        let bound = o.level0_stop_trigger + o.immutable_memtables_max + 1;
        let immutable_max = o.immutable_memtables_max;
        // One writer's group is its one small batch; 4 KiB is ample room for it and for the
        // skiplist overhead estimate.
        let memory_bound =
            (o.memtable_bytes_max * (1 + o.immutable_memtables_max) + (4 << 10)) as u64;
        let (db, ks) = open(o).unwrap();
        let writes = scaled(6000);
        let mut level0_max = 0;
        let mut memory_max = 0;
        for i in 0..writes {
            let mut batch = WriteBatch::new();
            batch.put(
                ks[0],
                format!("key{:08}", (i * 7919) % writes).as_bytes(),
                &[b'v'; 100],
            );
            db.write(batch, Durability::Buffered).unwrap();
            if i % 10 == 0 {
                let m = db.metrics();
                let level0 = m.level_files.first().copied().unwrap_or(0);
                level0_max = level0_max.max(level0);
                memory_max = memory_max.max(m.memtable_bytes);
                assert!(
                    level0 <= bound,
                    "write {i}: {level0} level-0 files, more than the stop trigger allows ({bound})"
                );
                assert!(
                    m.immutable_memtables <= immutable_max,
                    "write {i}: {} immutable memtables, more than {immutable_max}",
                    m.immutable_memtables
                );
                assert!(
                    m.memtable_bytes <= memory_bound,
                    "write {i}: memtables hold {} bytes, more than the bound {memory_bound}",
                    m.memtable_bytes
                );
            }
        }
        let m = db.metrics();
        println!("level-0 files at most {level0_max}, memtable bytes at most {memory_max}; {m:?}");
        assert!(m.stall_micros > 0, "writes never stalled: {m:?}");
        db.wait_for_compactions().unwrap();
        assert_eq!(scan_all(&db, ks[0]).unwrap().len(), writes);
        db.close().unwrap();
    });
}
