//! The operating system's file system.
//!
//! Appends are buffered in user space (64 KiB per file) so that the many small appends of the WAL
//! and of SSTable blocks cost few system calls; `flush` hands the buffer to the kernel and `sync`
//! additionally calls `fdatasync`. Reads use `pread` by default. [`RealFileSystem::mapped`]
//! instead maps a file opened for reading into memory (read-only, shared) at its first
//! `read_exact_at`, and those reads copy from the mapping: a read of a block that is in the page
//! cache then costs a copy instead of a system call and a page-cache lookup (about a fifth of
//! the time of a random seek over tables larger than the block cache). The price is memory:
//! every page of a table that was ever read stays mapped, so the process's resident set grows
//! with the data rather than with its settings, which is why mapping is not the default.
//! `scan_exact_at` (compactions, reads at open and recovery) uses `pread` and never maps: a
//! background scan through a mapping would take a page fault every 4 KiB and hold the
//! process's memory-map lock meanwhile, which delays the writers' own allocations. One open
//! file serves any number of threads. A file that cannot be mapped is read with `pread`. The
//! engine never shortens a file it reads (tables, logs and manifests are immutable once read),
//! which is what makes reading through a mapping safe; a disk error under a mapping, unlike one
//! under `pread`, ends the process (as in LevelDB, which maps its tables too).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::{FileLock, FileSystem, RandomAccessFile, WritableFile};

/// Size of the user-space append buffer of each [`WritableFile`].
const APPEND_BUFFER_BYTES: usize = 64 << 10;

/// [`FileSystem`] over `std::fs`. Cheap to create.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFileSystem {
    /// Whether repeated reads go through a mapping of the file instead of `pread`.
    map_reads: bool,
}

impl RealFileSystem {
    /// The operating system's file system, read with `pread`.
    pub fn new() -> Self {
        Self { map_reads: false }
    }

    /// The operating system's file system, whose files are read through memory mappings
    /// (faster reads of tables larger than the block cache; a resident set that grows with
    /// the data read).
    pub fn mapped() -> Self {
        Self { map_reads: true }
    }
}

impl FileSystem for RealFileSystem {
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Box::new(RealWritableFile::new(file, 0, path, false)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new().append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(Box::new(RealWritableFile::new(file, len, path, true)))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        let map = OnceLock::new();
        if !self.map_reads {
            let _ = map.set(None);
        }
        Ok(Arc::new(RealRandomAccessFile { file, len, map }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        // On Linux a directory's entries become durable by fsyncing the directory itself.
        File::open(path)?.sync_all()
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            // A name that is not UTF-8 cannot be one of the engine's files; it is passed on
            // (lossily) so that the engine can ignore it like any other foreign file.
            names.push(entry?.file_name().to_string_lossy().into_owned());
        }
        Ok(names)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        // flock locks belong to the open file description, so a second open of the same file in
        // this process conflicts just like one in another process (unlike fcntl record locks).
        // SAFETY: `file` owns a valid descriptor for the duration of the call; flock does not
        // touch memory.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::WouldBlock {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    format!("{} is locked by another handle", path.display()),
                ));
            }
            return Err(err);
        }
        Ok(Box::new(RealFileLock {
            _file: file,
            path: path.to_path_buf(),
        }))
    }
}

/// A file being appended to, with a user-space buffer.
struct RealWritableFile {
    writer: BufWriter<File>,
    len: u64,
    /// The file's size on disk, zeros past `len` included (`None` for a file opened in
    /// append mode, which cannot write below its end and is never preallocated).
    allocated: Option<u64>,
    path: PathBuf,
}

impl RealWritableFile {
    fn new(file: File, len: u64, path: &Path, appending: bool) -> Self {
        Self {
            writer: BufWriter::with_capacity(APPEND_BUFFER_BYTES, file),
            len,
            allocated: (!appending).then_some(len),
            path: path.to_path_buf(),
        }
    }
}

impl std::fmt::Debug for RealWritableFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealWritableFile")
            .field("path", &self.path)
            .field("len", &self.len)
            .finish()
    }
}

impl WritableFile for RealWritableFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.writer.write_all(data)?;
        self.len += data.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.writer.flush()
    }

    fn sync(&mut self) -> io::Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().sync_data()
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn start_writeback(&mut self) -> io::Result<()> {
        self.writer.flush()?;
        #[cfg(target_os = "linux")]
        {
            // Wait for the writes started last time, then start the rest: at most what was
            // appended between two calls is on its way to the device at once.
            let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE | libc::SYNC_FILE_RANGE_WRITE;
            let fd = self.writer.get_ref().as_raw_fd();
            // SAFETY: a valid descriptor owned by this file; the call reads no memory of ours.
            if unsafe { libc::sync_file_range(fd, 0, 0, flags) } != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn preallocate(&mut self, len: u64) -> io::Result<()> {
        let Some(allocated) = self.allocated else {
            return Ok(());
        };
        if len <= allocated {
            return Ok(());
        }
        // The appends go through the descriptor's offset, which stays at `self.len`: the zeros
        // are written with `pwrite` at the end of the file and leave it alone.
        self.writer.flush()?;
        static ZEROS: [u8; 64 << 10] = [0; 64 << 10];
        let file = self.writer.get_ref();
        let mut at = allocated.max(self.len);
        while at < len {
            let n = (len - at).min(ZEROS.len() as u64) as usize;
            file.write_all_at(&ZEROS[..n], at)?;
            at += n as u64;
        }
        file.sync_data()?;
        self.allocated = Some(len);
        Ok(())
    }
}

// Dropping the BufWriter flushes what is left (ignoring errors), like closing a C stdio file:
// the data reaches the kernel but is not synced.

/// A read-only, shared mapping of a whole file.
#[derive(Debug)]
struct Mapping {
    start: std::ptr::NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is read-only and lives until `drop`; reading it from several threads
// shares nothing mutable.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first `len` bytes of `file`; `None` if the file is empty or cannot be mapped
    /// (it is then read with `pread`).
    fn new(file: &File, len: u64) -> Option<Self> {
        let len = usize::try_from(len).ok().filter(|&n| n > 0)?;
        // SAFETY: a fresh read-only mapping chosen by the kernel; it aliases no Rust object.
        let start = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if start == libc::MAP_FAILED {
            return None;
        }
        Some(Self {
            start: std::ptr::NonNull::new(start.cast())?,
            len,
        })
    }

    fn bytes(&self) -> &[u8] {
        // SAFETY: `start` maps `len` readable bytes until `drop`; the engine never shortens a
        // file it reads, so every mapped page stays backed by the file.
        unsafe { std::slice::from_raw_parts(self.start.as_ptr(), self.len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; no borrow of it outlives `self`.
        unsafe {
            libc::munmap(self.start.as_ptr().cast(), self.len);
        }
    }
}

/// A file read through a mapping made at its first repeated-kind read (or with `pread` if
/// mapping is off or failed, and always for scans).
#[derive(Debug)]
struct RealRandomAccessFile {
    file: File,
    len: u64,
    map: OnceLock<Option<Mapping>>,
}

impl RealRandomAccessFile {
    fn check_bounds(&self, offset: u64, buf: &[u8]) -> io::Result<()> {
        // Checked against the length at open so that all implementations agree on what is
        // readable, even if someone else appends to the file meanwhile.
        let end = offset.checked_add(buf.len() as u64);
        if end.is_none_or(|end| end > self.len) {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "read of {} bytes at offset {offset} is past the end ({} bytes)",
                    buf.len(),
                    self.len
                ),
            ));
        }
        Ok(())
    }
}

impl RandomAccessFile for RealRandomAccessFile {
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.check_bounds(offset, buf)?;
        match self.map.get_or_init(|| Mapping::new(&self.file, self.len)) {
            Some(map) => {
                // In bounds: `offset + buf.len() <= self.len`, the mapping's length.
                let start = offset as usize;
                buf.copy_from_slice(&map.bytes()[start..start + buf.len()]);
                Ok(())
            }
            None => self.file.read_exact_at(buf, offset),
        }
    }

    fn scan_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.check_bounds(offset, buf)?;
        self.file.read_exact_at(buf, offset)
    }

    fn len(&self) -> u64 {
        self.len
    }
}

/// An exclusive `flock` on a lock file, released when the descriptor is closed (on drop).
struct RealFileLock {
    _file: File,
    path: PathBuf,
}

impl std::fmt::Debug for RealFileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealFileLock")
            .field("path", &self.path)
            .finish()
    }
}

impl FileLock for RealFileLock {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_flush_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFileSystem::new();
        let path = dir.path().join("f");
        let mut w = fs.create(&path).unwrap();
        w.append(b"hello ").unwrap();
        w.append(&[7u8; 100_000]).unwrap();
        assert_eq!(w.len(), 100_006);
        w.sync().unwrap();
        let r = fs.open(&path).unwrap();
        assert_eq!(r.len(), 100_006);
        let mut buf = [0u8; 6];
        r.read_exact_at(0, &mut buf).unwrap();
        assert_eq!(&buf, b"hello ");
        let mut tail = [0u8; 2];
        r.read_exact_at(100_004, &mut tail).unwrap();
        assert_eq!(tail, [7, 7]);
        let err = r.read_exact_at(100_005, &mut tail).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn started_writeback_makes_appends_readable_and_leaves_the_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFileSystem::new();
        let path = dir.path().join("f");
        let mut w = fs.create(&path).unwrap();
        for round in 0..3u8 {
            w.append(&[round; 300_000]).unwrap();
            w.start_writeback().unwrap();
            assert_eq!(
                fs.open(&path).unwrap().len(),
                300_000 * (u64::from(round) + 1)
            );
        }
        w.sync().unwrap();
        let r = fs.open(&path).unwrap();
        let mut buf = vec![0u8; 900_000];
        r.read_exact_at(0, &mut buf).unwrap();
        assert!(
            buf.chunks(300_000)
                .enumerate()
                .all(|(i, c)| c.iter().all(|&b| b == i as u8))
        );
    }

    #[test]
    fn mapped_reads_match_the_file_across_pages_and_stop_at_the_length_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFileSystem::mapped();
        let path = dir.path().join("mapped");
        let content: Vec<u8> = (0..3 * 4096 + 123u32)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let mut w = fs.create(&path).unwrap();
        w.append(&content).unwrap();
        w.flush().unwrap();
        let r = fs.open(&path).unwrap();
        for (offset, len) in [(0, 10), (4090, 20), (8000, 4096), (content.len() - 5, 5)] {
            let mut buf = vec![0u8; len];
            r.read_exact_at(offset as u64, &mut buf).unwrap();
            assert_eq!(
                buf,
                &content[offset..offset + len],
                "{len} bytes at {offset}"
            );
        }
        w.append(b"later").unwrap();
        w.flush().unwrap();
        let mut buf = [0u8; 6];
        let err = r
            .read_exact_at(content.len() as u64 - 1, &mut buf)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let empty = dir.path().join("empty");
        fs.create(&empty).unwrap().flush().unwrap();
        let e = fs.open(&empty).unwrap();
        assert_eq!(e.len(), 0);
        assert!(e.read_exact_at(0, &mut [0u8; 1]).is_err());
        e.read_exact_at(0, &mut []).unwrap();
    }

    #[test]
    fn preallocated_zeros_follow_the_appends_which_overwrite_them() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFileSystem::new();
        let path = dir.path().join("log");
        let mut w = fs.create(&path).unwrap();
        w.append(b"head").unwrap();
        w.preallocate(200_000).unwrap();
        assert_eq!(w.len(), 4, "the appended length does not count the zeros");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 200_000);
        w.append(b"more").unwrap();
        w.sync().unwrap();
        w.preallocate(100).unwrap(); // never shrinks
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 200_000);
        assert_eq!(&bytes[..8], b"headmore");
        assert!(bytes[8..].iter().all(|&b| b == 0));
        // Past the preallocated space the file grows as usual.
        w.append(&[9u8; 200_000]).unwrap();
        w.sync().unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 200_008);
        // A file opened for appending cannot write below its end, so it is never preallocated.
        drop(w);
        let mut appending = fs.open_append(&path).unwrap();
        appending.preallocate(400_000).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 200_008);
    }

    #[test]
    fn unflushed_appends_are_not_visible_until_flush() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFileSystem::new();
        let path = dir.path().join("f");
        let mut w = fs.create(&path).unwrap();
        w.append(b"abc").unwrap();
        assert_eq!(fs.open(&path).unwrap().len(), 0);
        w.flush().unwrap();
        assert_eq!(fs.open(&path).unwrap().len(), 3);
        drop(w);
        let mut w = fs.open_append(&path).unwrap();
        assert_eq!(w.len(), 3);
        w.append(b"de").unwrap();
        drop(w); // drop flushes
        let r = fs.open(&path).unwrap();
        let mut buf = [0u8; 5];
        r.read_exact_at(0, &mut buf).unwrap();
        assert_eq!(&buf, b"abcde");
    }

    #[test]
    fn directory_operations() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFileSystem::new();
        let sub = dir.path().join("a/b");
        fs.create_dir_all(&sub).unwrap();
        fs.create(&sub.join("x")).unwrap().sync().unwrap();
        fs.rename(&sub.join("x"), &sub.join("y")).unwrap();
        fs.sync_dir(&sub).unwrap();
        assert!(!fs.exists(&sub.join("x")));
        assert!(fs.exists(&sub.join("y")));
        assert_eq!(fs.list_dir(&sub).unwrap(), vec!["y".to_string()]);
        fs.remove_file(&sub.join("y")).unwrap();
        assert!(fs.list_dir(&sub).unwrap().is_empty());
        let err = fs.open(&sub.join("y")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn lock_is_exclusive_within_one_process() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFileSystem::new();
        let path = dir.path().join("LOCK");
        let guard = fs.lock(&path).unwrap();
        let err = fs.lock(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        drop(guard);
        fs.lock(&path).unwrap();
    }
}
