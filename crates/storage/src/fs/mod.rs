//! All file I/O of the engine goes through [`FileSystem`], so that tests can crash the disk.
//!
//! Three implementations:
//! - [`RealFileSystem`]: the operating system's files (`std::fs`, `pread`, `fdatasync`).
//! - [`MemFileSystem`]: files in memory; backs `ferrodyn serve --in-memory`.
//! - [`FaultFileSystem`]: an in-memory file system that models exactly what a power cut keeps
//!   and can return I/O errors on demand.
//!
//! # Durability contract (what every implementation promises, and what the engine may rely on)
//! - Data appended to a [`WritableFile`] is durable only after [`WritableFile::sync`] returns `Ok`.
//! - A new directory entry (a created, renamed or removed file) is durable only after
//!   [`FileSystem::sync_dir`] on its parent directory returns `Ok`.
//! - After a simulated crash, each file holds its synced content plus possibly a prefix of what was
//!   appended after the last sync (a torn write); the set of files is the one as of the last
//!   `sync_dir` of each directory (with the contents above).
//! - An error from `append`, `sync` or `sync_dir` means the state on disk is unknown. The engine
//!   must never retry a failed sync (the kernel may already have dropped the dirty pages); it
//!   poisons itself instead.

use std::io;
use std::path::Path;
use std::sync::Arc;

mod fault;
mod mem;
mod real;

pub use fault::{Fault, FaultFileSystem, FaultPlan, Operation};
pub use mem::MemFileSystem;
pub use real::RealFileSystem;

/// The file operations the engine needs, and nothing more.
///
/// Paths are absolute or relative to the process's working directory for the real file system;
/// the in-memory implementations treat them as opaque, normalised names.
pub trait FileSystem: Send + Sync + std::fmt::Debug + 'static {
    /// Creates `path` for appending, truncating it if it exists.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;

    /// Opens an existing file for appending at its end (used to continue a log after recovery).
    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>>;

    /// Opens an existing file for positional reads. Fails with `NotFound` if it does not exist.
    fn open(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>>;

    /// Atomically replaces `to` with `from` (POSIX `rename`). Durable after `sync_dir`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Removes a file. Durable after `sync_dir`.
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Creates a directory and its parents if missing.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;

    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;

    /// The names (not paths) of the files directly in `dir`, in no particular order.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;

    /// Whether a file or directory exists at `path`.
    fn exists(&self, path: &Path) -> bool;

    /// Takes an exclusive lock on `path` (creating it), held until the returned guard is dropped.
    /// Fails with `WouldBlock` if another process or handle holds it.
    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>>;
}

/// A file being written from start to end. Not shared between threads at once (`&mut self`).
pub trait WritableFile: Send + std::fmt::Debug {
    /// Appends `data`. It may sit in a buffer (user space or OS) until `sync`.
    fn append(&mut self, data: &[u8]) -> io::Result<()>;

    /// Hands buffered data to the operating system (readable by `open`, not yet durable).
    fn flush(&mut self) -> io::Result<()>;

    /// Flushes and makes everything appended so far durable (`fdatasync`).
    fn sync(&mut self) -> io::Result<()>;

    /// Bytes appended so far, including those not yet flushed.
    fn len(&self) -> u64;

    /// Flushes, and asks the operating system to start writing what was appended to the device
    /// without waiting for it (having waited for the writes it started at the previous call).
    /// Not a durability point: only `sync` is. A large file written this way reaches the device
    /// in steady portions while it is written, instead of all at once at its `sync`, when
    /// every other file's sync (the log's) would queue behind it. Implementations without such
    /// a request just flush (the default).
    fn start_writeback(&mut self) -> io::Result<()> {
        self.flush()
    }

    /// Extends the file with durable zeros to `len` bytes past the start if it is shorter, so
    /// that later appends up to there overwrite allocated space: a data sync of them then
    /// writes no metadata (the file's size and allocation do not change). Readers see the
    /// zeros after the appended bytes. Implementations may ignore it (the default).
    fn preallocate(&mut self, len: u64) -> io::Result<()> {
        let _ = len;
        Ok(())
    }

    /// Whether nothing has been appended.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A file read at arbitrary offsets by many threads at once.
pub trait RandomAccessFile: Send + Sync + std::fmt::Debug {
    /// Fills `buf` from `offset`. Reading past the end is an `UnexpectedEof` error.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()>;

    /// Like [`RandomAccessFile::read_exact_at`], for a read that will not be repeated soon: a
    /// compaction's scan, or a whole file read once at open or recovery. An implementation
    /// may serve it without the path it keeps fast for repeated reads (the real file system
    /// reads it with `pread` rather than through its mapping). Same results and errors.
    fn scan_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.read_exact_at(offset, buf)
    }

    /// The file's length in bytes when it was opened.
    fn len(&self) -> u64;

    /// Whether the file is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An exclusive lock on a file; released on drop.
pub trait FileLock: Send + Sync + std::fmt::Debug {}
