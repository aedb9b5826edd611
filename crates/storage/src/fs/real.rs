//! The operating system's file system.
//!
//! Appends are buffered in user space (64 KiB per file) so that the many small appends of the WAL
//! and of SSTable blocks cost few system calls; `flush` hands the buffer to the kernel and `sync`
//! additionally calls `fdatasync`. Reads use `pread` (`FileExt::read_exact_at`), so one open file
//! serves any number of threads without a seek position to share.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{FileLock, FileSystem, RandomAccessFile, WritableFile};

/// Size of the user-space append buffer of each [`WritableFile`].
const APPEND_BUFFER_BYTES: usize = 64 << 10;

/// [`FileSystem`] over `std::fs`. Stateless; cheap to create.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFileSystem;

impl RealFileSystem {
    /// The operating system's file system.
    pub fn new() -> Self {
        Self
    }
}

impl FileSystem for RealFileSystem {
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(Box::new(RealWritableFile::new(file, 0, path)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let file = OpenOptions::new().append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(Box::new(RealWritableFile::new(file, len, path)))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Arc::new(RealRandomAccessFile { file, len }))
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
    path: PathBuf,
}

impl RealWritableFile {
    fn new(file: File, len: u64, path: &Path) -> Self {
        Self {
            writer: BufWriter::with_capacity(APPEND_BUFFER_BYTES, file),
            len,
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
}

// Dropping the BufWriter flushes what is left (ignoring errors), like closing a C stdio file:
// the data reaches the kernel but is not synced.

/// A file read with `pread`.
#[derive(Debug)]
struct RealRandomAccessFile {
    file: File,
    len: u64,
}

impl RandomAccessFile for RealRandomAccessFile {
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
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
