//! Files in memory: the file system behind `ferrodyn serve --in-memory` and fast tests.
//!
//! A tree of directories holding files; each file's bytes sit behind their own lock, so readers
//! of one file never wait for the writer of another. Open handles keep the file's bytes alive
//! after it is removed or replaced, as POSIX file descriptors do. Nothing is ever lost (there is
//! no crash to simulate), so `sync` and `sync_dir` only check that their target exists.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::{FileLock, FileSystem, RandomAccessFile, WritableFile};

/// [`FileSystem`] in memory. Cheap to clone: clones share the same files.
#[derive(Clone, Default)]
pub struct MemFileSystem {
    state: Arc<Mutex<MemState>>,
}

/// The bytes of one file, shared by the directory entry and every open handle.
type FileData = Arc<RwLock<Vec<u8>>>;

struct MemState {
    /// Every directory by normalised path, including the roots `/` and the empty path (the base
    /// of relative paths).
    dirs: HashMap<PathBuf, MemDir>,
    /// Lock files currently held.
    locks: HashSet<PathBuf>,
}

#[derive(Default)]
struct MemDir {
    files: BTreeMap<String, FileData>,
    subdirs: BTreeSet<String>,
}

impl MemFileSystem {
    /// An empty file system.
    pub fn new() -> Self {
        Self::default()
    }

    /// A copy of the whole content of the file at `path` (for tests that inspect or damage
    /// files). Fails with `NotFound` if there is no such file.
    pub fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        let (dir, name) = split(path)?;
        let state = self.state.lock();
        let data = state.file(&dir, &name, path)?;
        let bytes = data.read().clone();
        Ok(bytes)
    }

    /// Replaces the content of the file at `path` (creating it if its directory exists), as an
    /// operator or a bad disk could. Handles opened earlier see the new bytes.
    pub fn write_file(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let (dir, name) = split(path)?;
        let mut state = self.state.lock();
        let entry = state.dir_mut(&dir)?;
        match entry.files.get(&name) {
            Some(data) => *data.write() = bytes.to_vec(),
            None => {
                entry
                    .files
                    .insert(name, Arc::new(RwLock::new(bytes.to_vec())));
            }
        }
        Ok(())
    }

    /// Total bytes of all files (directory entries only, not removed files still held open).
    pub fn total_bytes(&self) -> u64 {
        let state = self.state.lock();
        state
            .dirs
            .values()
            .flat_map(|d| d.files.values())
            .map(|f| f.read().len() as u64)
            .sum()
    }
}

impl std::fmt::Debug for MemFileSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        let files: usize = state.dirs.values().map(|d| d.files.len()).sum();
        f.debug_struct("MemFileSystem")
            .field("dirs", &state.dirs.len())
            .field("files", &files)
            .finish()
    }
}

impl Default for MemState {
    fn default() -> Self {
        let dirs = [PathBuf::from("/"), PathBuf::new()]
            .into_iter()
            .map(|root| (root, MemDir::default()))
            .collect();
        Self {
            dirs,
            locks: HashSet::new(),
        }
    }
}

impl MemState {
    fn dir(&self, dir: &Path) -> io::Result<&MemDir> {
        self.dirs.get(dir).ok_or_else(|| not_found(dir))
    }

    fn dir_mut(&mut self, dir: &Path) -> io::Result<&mut MemDir> {
        self.dirs.get_mut(dir).ok_or_else(|| not_found(dir))
    }

    fn file(&self, dir: &Path, name: &str, path: &Path) -> io::Result<FileData> {
        self.dirs
            .get(dir)
            .and_then(|d| d.files.get(name))
            .cloned()
            .ok_or_else(|| not_found(path))
    }
}

impl FileSystem for MemFileSystem {
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let (dir, name) = split(path)?;
        let mut state = self.state.lock();
        let entry = state.dir_mut(&dir)?;
        if entry.subdirs.contains(&name) {
            return Err(is_a_directory(path));
        }
        // O_TRUNC keeps the inode: handles opened earlier see the truncation.
        let data = entry.files.entry(name).or_default().clone();
        data.write().clear();
        Ok(Box::new(MemWritableFile { data, len: 0 }))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let (dir, name) = split(path)?;
        let data = self.state.lock().file(&dir, &name, path)?;
        let len = data.read().len() as u64;
        Ok(Box::new(MemWritableFile { data, len }))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        let (dir, name) = split(path)?;
        let data = self.state.lock().file(&dir, &name, path)?;
        let len = data.read().len() as u64;
        Ok(Arc::new(MemRandomAccessFile { data, len }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let (from_dir, from_name) = split(from)?;
        let (to_dir, to_name) = split(to)?;
        let mut state = self.state.lock();
        if state.dir(&to_dir)?.subdirs.contains(&to_name) {
            return Err(is_a_directory(to));
        }
        let data = state
            .dir_mut(&from_dir)?
            .files
            .remove(&from_name)
            .ok_or_else(|| not_found(from))?;
        state.dir_mut(&to_dir)?.files.insert(to_name, data);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let (dir, name) = split(path)?;
        let mut state = self.state.lock();
        state
            .dir_mut(&dir)?
            .files
            .remove(&name)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let path = normalize(path);
        let mut state = self.state.lock();
        for dir in ancestors_top_down(&path) {
            let (parent, name) = split(dir)?;
            let parent_entry = state.dir_mut(&parent)?;
            if parent_entry.files.contains_key(&name) {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} exists and is not a directory", dir.display()),
                ));
            }
            parent_entry.subdirs.insert(name);
            state.dirs.entry(dir.to_path_buf()).or_default();
        }
        Ok(())
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.state.lock().dir(&normalize(path)).map(|_| ())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let dir = normalize(dir);
        let state = self.state.lock();
        let entry = state.dir(&dir)?;
        Ok(entry
            .files
            .keys()
            .chain(entry.subdirs.iter())
            .cloned()
            .collect())
    }

    fn exists(&self, path: &Path) -> bool {
        let path = normalize(path);
        if is_root(&path) {
            return true;
        }
        let Ok((dir, name)) = split(&path) else {
            return false;
        };
        let state = self.state.lock();
        state.dirs.contains_key(&path)
            || state
                .dirs
                .get(&dir)
                .is_some_and(|d| d.files.contains_key(&name))
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        let (dir, name) = split(path)?;
        let full = dir.join(&name);
        let mut state = self.state.lock();
        // Like the real file system, the lock file itself is created and stays afterwards.
        state.dir_mut(&dir)?.files.entry(name).or_default();
        if !state.locks.insert(full.clone()) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is locked by another handle", full.display()),
            ));
        }
        Ok(Box::new(MemFileLock {
            state: Arc::clone(&self.state),
            path: full,
        }))
    }
}

/// An open file being appended to; appends are visible to readers opened afterwards at once.
struct MemWritableFile {
    data: FileData,
    len: u64,
}

impl std::fmt::Debug for MemWritableFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemWritableFile")
            .field("len", &self.len)
            .finish()
    }
}

impl WritableFile for MemWritableFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        self.data.write().extend_from_slice(data);
        self.len += data.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn len(&self) -> u64 {
        self.len
    }
}

impl Drop for MemWritableFile {
    /// A finished file keeps only the memory its bytes need: appends grow the buffer by
    /// doubling, which would otherwise leave up to half of every table and log unused.
    fn drop(&mut self) {
        self.data.write().shrink_to_fit();
    }
}

/// An open file for reading: sees the bytes up to its length at open.
struct MemRandomAccessFile {
    data: FileData,
    len: u64,
}

impl std::fmt::Debug for MemRandomAccessFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemRandomAccessFile")
            .field("len", &self.len)
            .finish()
    }
}

impl RandomAccessFile for MemRandomAccessFile {
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let data = self.data.read();
        let limit = self.len.min(data.len() as u64);
        copy_range(&data[..limit as usize], offset, buf)
    }

    fn len(&self) -> u64 {
        self.len
    }
}

/// A held lock; dropping it releases the path.
struct MemFileLock {
    state: Arc<Mutex<MemState>>,
    path: PathBuf,
}

impl std::fmt::Debug for MemFileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemFileLock")
            .field("path", &self.path)
            .finish()
    }
}

impl FileLock for MemFileLock {}

impl Drop for MemFileLock {
    fn drop(&mut self) {
        self.state.lock().locks.remove(&self.path);
    }
}

/// Copies `buf.len()` bytes of `data` from `offset`, or fails with `UnexpectedEof` (and copies
/// nothing) if that reaches past the end.
pub(super) fn copy_range(data: &[u8], offset: u64, buf: &mut [u8]) -> io::Result<()> {
    let start = usize::try_from(offset).ok();
    let end = start.and_then(|s| s.checked_add(buf.len()));
    match (start, end) {
        (Some(start), Some(end)) if end <= data.len() => {
            buf.copy_from_slice(&data[start..end]);
            Ok(())
        }
        _ => Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "read of {} bytes at offset {offset} is past the end ({} bytes)",
                buf.len(),
                data.len()
            ),
        )),
    }
}

/// The path with `.` removed and `..` applied lexically, so that equal files have equal keys.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Prefix(_) | Component::CurDir => {}
            Component::RootDir => out.push("/"),
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => out.push(name),
        }
    }
    out
}

/// Whether `path` (normalised) is a root: `/` or the base of relative paths.
pub(super) fn is_root(path: &Path) -> bool {
    path.as_os_str().is_empty() || path == Path::new("/")
}

/// The normalised parent directory and the file name of `path`.
pub(super) fn split(path: &Path) -> io::Result<(PathBuf, String)> {
    let path = normalize(path);
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => {
            Ok((parent.to_path_buf(), name.to_string_lossy().into_owned()))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file", path.display()),
        )),
    }
}

/// The non-root ancestors of a normalised `path`, outermost first, ending with `path` itself.
pub(super) fn ancestors_top_down(path: &Path) -> Vec<&Path> {
    let mut dirs: Vec<&Path> = path.ancestors().filter(|p| !is_root(p)).collect();
    dirs.reverse();
    dirs
}

pub(super) fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file or directory", path.display()),
    )
}

pub(super) fn is_a_directory(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::IsADirectory,
        format!("{} is a directory", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_in_directories() {
        let fs = MemFileSystem::new();
        let err = fs.create(Path::new("/db/x")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        fs.create_dir_all(Path::new("/db/sub")).unwrap();
        assert!(fs.exists(Path::new("/db")));
        assert!(fs.exists(Path::new("/db/./sub/../sub")));
        let mut w = fs.create(Path::new("/db/x")).unwrap();
        w.append(b"abc").unwrap();
        let r = fs.open(Path::new("/db/x")).unwrap();
        assert_eq!(r.len(), 3);
        w.append(b"def").unwrap();
        w.sync().unwrap();
        assert_eq!(w.len(), 6);
        // A handle sees the length at open; a new one sees the rest.
        let mut buf = [0u8; 4];
        assert_eq!(
            r.read_exact_at(0, &mut buf).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        fs.open(Path::new("/db/x"))
            .unwrap()
            .read_exact_at(2, &mut buf)
            .unwrap();
        assert_eq!(&buf, b"cdef");
        let mut names = fs.list_dir(Path::new("/db")).unwrap();
        names.sort();
        assert_eq!(names, vec!["sub".to_string(), "x".to_string()]);
    }

    #[test]
    fn rename_replaces_and_open_handles_survive_removal() {
        let fs = MemFileSystem::new();
        fs.create_dir_all(Path::new("d")).unwrap();
        fs.create(Path::new("d/a")).unwrap().append(b"new").unwrap();
        fs.create(Path::new("d/b")).unwrap().append(b"old").unwrap();
        let old = fs.open(Path::new("d/b")).unwrap();
        fs.rename(Path::new("d/a"), Path::new("d/b")).unwrap();
        assert!(!fs.exists(Path::new("d/a")));
        assert_eq!(fs.read_file(Path::new("d/b")).unwrap(), b"new");
        let mut buf = [0u8; 3];
        old.read_exact_at(0, &mut buf).unwrap();
        assert_eq!(&buf, b"old");
        fs.remove_file(Path::new("d/b")).unwrap();
        assert_eq!(
            fs.remove_file(Path::new("d/b")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert!(fs.list_dir(Path::new("d")).unwrap().is_empty());
    }

    #[test]
    fn open_append_continues_and_create_truncates() {
        let fs = MemFileSystem::new();
        fs.create_dir_all(Path::new("/d")).unwrap();
        fs.create(Path::new("/d/f")).unwrap().append(b"12").unwrap();
        let mut w = fs.open_append(Path::new("/d/f")).unwrap();
        assert_eq!(w.len(), 2);
        w.append(b"34").unwrap();
        assert_eq!(fs.read_file(Path::new("/d/f")).unwrap(), b"1234");
        fs.create(Path::new("/d/f")).unwrap();
        assert_eq!(fs.read_file(Path::new("/d/f")).unwrap(), b"");
        assert_eq!(
            fs.open_append(Path::new("/d/g")).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn lock_is_exclusive_until_dropped() {
        let fs = MemFileSystem::new();
        fs.create_dir_all(Path::new("/db")).unwrap();
        let guard = fs.lock(Path::new("/db/LOCK")).unwrap();
        let err = fs.lock(Path::new("/db/LOCK")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(fs.exists(Path::new("/db/LOCK")));
        drop(guard);
        fs.lock(Path::new("/db/LOCK")).unwrap();
    }

    #[test]
    fn clones_share_files() {
        let fs = MemFileSystem::new();
        let other = fs.clone();
        fs.create_dir_all(Path::new("/x")).unwrap();
        fs.write_file(Path::new("/x/f"), b"z").unwrap();
        assert_eq!(other.read_file(Path::new("/x/f")).unwrap(), b"z");
        assert_eq!(other.total_bytes(), 1);
    }

    #[test]
    fn directory_over_file_is_refused() {
        let fs = MemFileSystem::new();
        fs.create_dir_all(Path::new("/x")).unwrap();
        fs.create(Path::new("/x/f")).unwrap();
        assert!(fs.create_dir_all(Path::new("/x/f/g")).is_err());
        assert_eq!(
            fs.create(Path::new("/x")).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
    }
}
