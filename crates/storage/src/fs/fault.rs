//! An in-memory file system that models what a power cut keeps, and fails on demand.
//!
//! # The model
//! Each file (an *inode*) has three parts:
//! - bytes in the writer's user-space buffer (appended, not yet flushed; at most 64 KiB, as in
//!   [`super::RealFileSystem`]): readers do not see them and a crash always loses them;
//! - bytes handed to the "kernel" by `flush` (or by the buffer filling up): readers see them, and
//!   a crash keeps a random prefix of those not yet synced (a torn write);
//! - bytes made durable by `sync`: a crash keeps them all.
//!
//! Each directory has its *current* entries (name → inode) and its *durable* entries, a copy of
//! the current ones taken by the last `sync_dir` of that directory. A crash keeps exactly the
//! durable entries: a file created, renamed or removed after the last `sync_dir` of its
//! directory reverts (it disappears, keeps its old name, or comes back). Several names of one
//! inode (a rename in one directory synced, the other not) recover to the same bytes.
//! `create` of an existing name truncates that inode in place (`O_TRUNC`): its synced length
//! drops to zero, so after a crash it holds a prefix of the new bytes, never the old ones.
//!
//! Simplifications: directories themselves are durable as soon as `create_dir_all` returns, and
//! a torn write is always a prefix (no reordered or zeroed sectors).
//!
//! # Crashes and errors
//! [`FaultFileSystem::crash`] cuts the power: from then on every operation fails (and `exists`
//! answers `false`). [`FaultFileSystem::recovered`] returns a fresh file system holding what the
//! disk kept, chosen by the seed, as if the machine had rebooted; locks are free again.
//! A [`FaultPlan`] cuts the power automatically at the N-th mutating [`Operation`] (the
//! operation fails and has no effect) and injects `io::Error`s: at the N-th matching operation
//! or at random with a probability, optionally only for paths containing a pattern. A failed
//! operation has no effect; what a crash then keeps follows the model above.
//!
//! Everything random comes from the seed given to [`FaultFileSystem::new`], so a test that
//! performs the same operations in the same order sees the same faults and the same recovered
//! bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use parking_lot::{Mutex, RwLock};

use super::mem::{ancestors_top_down, copy_range, is_a_directory, normalize, not_found, split};
use super::{FileLock, FileSystem, RandomAccessFile, WritableFile};

/// Size at which a writer's user-space buffer is handed to the kernel without a `flush`.
const APPEND_BUFFER_BYTES: usize = 64 << 10;

/// A file system operation, for choosing where faults strike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// [`FileSystem::create`] (mutating).
    Create,
    /// [`FileSystem::open_append`].
    OpenAppend,
    /// [`FileSystem::open`].
    Open,
    /// [`RandomAccessFile::read_exact_at`].
    Read,
    /// [`WritableFile::append`] (mutating).
    Append,
    /// [`WritableFile::flush`], including the flush of a dropped writer (mutating).
    Flush,
    /// [`WritableFile::sync`] (mutating).
    Sync,
    /// [`FileSystem::sync_dir`] (mutating).
    SyncDir,
    /// [`FileSystem::rename`] (mutating).
    Rename,
    /// [`FileSystem::remove_file`] (mutating).
    Remove,
    /// [`FileSystem::create_dir_all`].
    CreateDir,
    /// [`FileSystem::list_dir`].
    ListDir,
    /// [`FileSystem::lock`].
    Lock,
}

impl Operation {
    /// The operations that change what is (or may become) on disk: the ones a
    /// [`FaultPlan::crash_at`] counts.
    pub const MUTATIONS: &'static [Operation] = &[
        Operation::Create,
        Operation::Append,
        Operation::Flush,
        Operation::Sync,
        Operation::SyncDir,
        Operation::Rename,
        Operation::Remove,
    ];

    /// Whether this operation is one of [`Operation::MUTATIONS`].
    pub fn is_mutation(self) -> bool {
        Self::MUTATIONS.contains(&self)
    }
}

/// When an injected error strikes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Trigger {
    /// At the N-th matching operation (1-based), once.
    Nth(u64),
    /// At each matching operation with this probability.
    Probability(f64),
}

/// One rule for injecting `io::Error`s; see [`FaultPlan::fail`].
#[derive(Debug, Clone)]
pub struct Fault {
    operations: Vec<Operation>,
    trigger: Trigger,
    path_contains: Option<String>,
    seen: u64,
}

impl Fault {
    /// Fails the `n`-th (1-based) `operation` counted from when the plan is set.
    pub fn nth(operation: Operation, n: u64) -> Self {
        Self::nth_of(&[operation], n)
    }

    /// Fails the `n`-th (1-based) operation that is any of `operations`.
    pub fn nth_of(operations: &[Operation], n: u64) -> Self {
        assert!(n >= 1, "fault counts are 1-based");
        Self {
            operations: operations.to_vec(),
            trigger: Trigger::Nth(n),
            path_contains: None,
            seen: 0,
        }
    }

    /// Fails each of `operations` with `probability` (0.0 to 1.0), drawn from the seed.
    pub fn random(operations: &[Operation], probability: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&probability),
            "probability must be within 0..=1"
        );
        Self {
            operations: operations.to_vec(),
            trigger: Trigger::Probability(probability),
            path_contains: None,
            seen: 0,
        }
    }

    /// Restricts the rule (and its counting) to paths whose text contains `pattern`, for
    /// example `".log"` or `"MANIFEST"`. For `rename` the source path is matched.
    pub fn on_path(mut self, pattern: &str) -> Self {
        self.path_contains = Some(pattern.to_string());
        self
    }

    fn matches(&self, operation: Operation, path: &Path) -> bool {
        self.operations.contains(&operation)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.to_string_lossy().contains(p))
    }
}

/// When a [`FaultFileSystem`] cuts the power by itself and which operations fail.
/// Counting starts when the plan is set ([`FaultFileSystem::set_plan`]).
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    crash: Option<Fault>,
    faults: Vec<Fault>,
}

impl FaultPlan {
    /// A plan with no crash and no errors.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cuts the power at the `n`-th (1-based) mutating operation ([`Operation::MUTATIONS`]);
    /// that operation fails without effect, as does everything after it.
    pub fn crash_at(self, n: u64) -> Self {
        self.crash_at_nth_of(Operation::MUTATIONS, n)
    }

    /// Cuts the power at the `n`-th (1-based) operation that is any of `operations` (for
    /// example the 3rd [`Operation::Sync`]).
    pub fn crash_at_nth_of(mut self, operations: &[Operation], n: u64) -> Self {
        self.crash = Some(Fault::nth_of(operations, n));
        self
    }

    /// Adds a rule that makes operations fail with an `io::Error` (kind `Other`). The first
    /// matching rule that fires decides; every matching rule counts the operation.
    pub fn fail(mut self, fault: Fault) -> Self {
        self.faults.push(fault);
        self
    }

    fn has_read_faults(&self) -> bool {
        self.faults
            .iter()
            .any(|f| f.operations.contains(&Operation::Read))
            || self
                .crash
                .as_ref()
                .is_some_and(|c| c.operations.contains(&Operation::Read))
    }
}

/// The fault-injecting in-memory [`FileSystem`] described in the module documentation.
/// Cheap to clone: clones share the same files, plan and power state.
#[derive(Clone)]
pub struct FaultFileSystem {
    shared: Arc<Shared>,
}

struct Shared {
    /// Set once by a power cut; never cleared (a recovered file system is a new one).
    crashed: AtomicBool,
    /// Whether reads must take the state lock to consult the plan.
    read_faults: AtomicBool,
    state: Mutex<State>,
}

struct State {
    /// Every directory by normalised path, including the roots `/` and `` (relative paths).
    /// Ordered, so that recovery draws random numbers in a reproducible order.
    dirs: BTreeMap<PathBuf, Dir>,
    plan: FaultPlan,
    rng: SplitMix64,
    locks: HashSet<PathBuf>,
    mutations: u64,
    injected_errors: u64,
}

#[derive(Default, Clone)]
struct Dir {
    current: BTreeMap<String, Arc<Inode>>,
    durable: BTreeMap<String, Arc<Inode>>,
    subdirs: BTreeSet<String>,
}

/// One file's bytes as the kernel has them, and how many of them are durable.
#[derive(Default)]
struct Inode {
    data: RwLock<Vec<u8>>,
    /// Length of the durable prefix of `data`. Changed only under the state lock.
    synced: AtomicUsize,
}

impl Inode {
    fn durable(bytes: Vec<u8>) -> Self {
        let len = bytes.len();
        Self {
            data: RwLock::new(bytes),
            synced: AtomicUsize::new(len),
        }
    }

    /// What a power cut leaves of this file: the synced bytes and a random prefix of the rest.
    fn surviving_bytes(&self, rng: &mut SplitMix64) -> Vec<u8> {
        let data = self.data.read();
        let synced = self.synced.load(Ordering::Relaxed).min(data.len());
        let unsynced = data.len() - synced;
        let kept = if unsynced == 0 {
            0
        } else {
            // Favour the extremes (nothing or everything reached the platter), which are the
            // common outcomes, while still tearing often.
            match rng.below(4) {
                0 => 0,
                1 => unsynced,
                _ => rng.below(unsynced as u64 + 1) as usize,
            }
        };
        data[..synced + kept].to_vec()
    }
}

impl FaultFileSystem {
    /// An empty file system whose random choices all derive from `seed`.
    pub fn new(seed: u64) -> Self {
        Self::from_dirs(BTreeMap::new(), seed)
    }

    fn from_dirs(mut dirs: BTreeMap<PathBuf, Dir>, seed: u64) -> Self {
        for root in [PathBuf::from("/"), PathBuf::new()] {
            dirs.entry(root).or_default();
        }
        Self {
            shared: Arc::new(Shared {
                crashed: AtomicBool::new(false),
                read_faults: AtomicBool::new(false),
                state: Mutex::new(State {
                    dirs,
                    plan: FaultPlan::new(),
                    rng: SplitMix64(seed),
                    locks: HashSet::new(),
                    mutations: 0,
                    injected_errors: 0,
                }),
            }),
        }
    }

    /// Replaces the plan; its counters start from zero now.
    pub fn set_plan(&self, plan: FaultPlan) {
        let mut state = self.shared.state.lock();
        self.shared
            .read_faults
            .store(plan.has_read_faults(), Ordering::SeqCst);
        state.plan = plan;
    }

    /// Cuts the power now: every later operation fails. Idempotent.
    pub fn crash(&self) {
        let _state = self.shared.state.lock();
        self.shared.crashed.store(true, Ordering::SeqCst);
    }

    /// Whether the power was cut (by [`Self::crash`] or by the plan).
    pub fn is_crashed(&self) -> bool {
        self.shared.crashed.load(Ordering::SeqCst)
    }

    /// Mutating operations attempted so far (including failed ones), since creation.
    pub fn mutation_count(&self) -> u64 {
        self.shared.state.lock().mutations
    }

    /// Errors injected by the plan so far.
    pub fn injected_error_count(&self) -> u64 {
        self.shared.state.lock().injected_errors
    }

    /// Cuts the power if it is still on, and returns a new file system holding what the disk
    /// kept (see the module documentation), with no plan and no locks held. Each call draws
    /// anew from the random sequence, so two calls may keep different torn prefixes.
    pub fn recovered(&self) -> FaultFileSystem {
        self.crash();
        let mut state = self.shared.state.lock();
        let State { dirs, rng, .. } = &mut *state;
        let mut copies: HashMap<*const Inode, Arc<Inode>> = HashMap::new();
        let mut kept = BTreeMap::new();
        for (path, dir) in dirs.iter() {
            let mut files = BTreeMap::new();
            for (name, inode) in &dir.durable {
                let copy = copies
                    .entry(Arc::as_ptr(inode))
                    .or_insert_with(|| Arc::new(Inode::durable(inode.surviving_bytes(rng))));
                files.insert(name.clone(), Arc::clone(copy));
            }
            let recovered = Dir {
                durable: files.clone(),
                current: files,
                subdirs: dir.subdirs.clone(),
            };
            kept.insert(path.clone(), recovered);
        }
        let seed = rng.next_u64();
        Self::from_dirs(kept, seed)
    }

    /// A copy of the bytes readers of `path` would see now (for tests that inspect files).
    pub fn read_file(&self, path: &Path) -> io::Result<Vec<u8>> {
        let (dir, name) = split(path)?;
        let state = self.shared.state.lock();
        self.check_power(Operation::Open, path)?;
        let inode = state.file(&dir, &name, path)?;
        let bytes = inode.data.read().clone();
        Ok(bytes)
    }

    /// Replaces the content of `path` durably (bytes synced and directory entry durable), as
    /// a damaged disk or an operator could. Handles opened earlier see the new bytes.
    pub fn write_file(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let (dir, name) = split(path)?;
        let mut state = self.shared.state.lock();
        self.check_power(Operation::Create, path)?;
        let entry = state.dir_mut(&dir)?;
        let inode = entry.current.entry(name.clone()).or_default().clone();
        *inode.data.write() = bytes.to_vec();
        inode.synced.store(bytes.len(), Ordering::Relaxed);
        entry.durable.insert(name, inode);
        Ok(())
    }

    fn check_power(&self, operation: Operation, path: &Path) -> io::Result<()> {
        if self.is_crashed() {
            return Err(power_cut(operation, path));
        }
        Ok(())
    }

    /// Decides the fate of one operation under the plan: `Ok` to go ahead, or the error to
    /// return (after which the operation must have no effect).
    fn admit(&self, state: &mut State, operation: Operation, path: &Path) -> io::Result<()> {
        self.check_power(operation, path)?;
        if operation.is_mutation() {
            state.mutations += 1;
        }
        if let Some(crash) = state
            .plan
            .crash
            .as_mut()
            .filter(|c| c.matches(operation, path))
        {
            crash.seen += 1;
            if crash.trigger == Trigger::Nth(crash.seen) {
                self.shared.crashed.store(true, Ordering::SeqCst);
                return Err(power_cut(operation, path));
            }
        }
        let mut fire = false;
        for fault in &mut state.plan.faults {
            if !fault.matches(operation, path) {
                continue;
            }
            fault.seen += 1;
            fire |= match fault.trigger {
                Trigger::Nth(n) => fault.seen == n,
                Trigger::Probability(p) => state.rng.unit() < p,
            };
        }
        if fire {
            state.injected_errors += 1;
            return Err(io::Error::other(format!(
                "injected fault: {operation:?} on {}",
                path.display()
            )));
        }
        Ok(())
    }
}

impl std::fmt::Debug for FaultFileSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.state.lock();
        let files: usize = state.dirs.values().map(|d| d.current.len()).sum();
        f.debug_struct("FaultFileSystem")
            .field("crashed", &self.is_crashed())
            .field("files", &files)
            .field("mutations", &state.mutations)
            .field("plan", &state.plan)
            .finish()
    }
}

impl State {
    fn dir(&self, dir: &Path) -> io::Result<&Dir> {
        self.dirs.get(dir).ok_or_else(|| not_found(dir))
    }

    fn dir_mut(&mut self, dir: &Path) -> io::Result<&mut Dir> {
        self.dirs.get_mut(dir).ok_or_else(|| not_found(dir))
    }

    fn file(&self, dir: &Path, name: &str, path: &Path) -> io::Result<Arc<Inode>> {
        self.dirs
            .get(dir)
            .and_then(|d| d.current.get(name))
            .cloned()
            .ok_or_else(|| not_found(path))
    }
}

impl FileSystem for FaultFileSystem {
    fn create(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let (dir, name) = split(path)?;
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::Create, path)?;
        let entry = state.dir_mut(&dir)?;
        if entry.subdirs.contains(&name) {
            return Err(is_a_directory(path));
        }
        let inode = entry.current.entry(name).or_default().clone();
        inode.data.write().clear();
        inode.synced.store(0, Ordering::Relaxed);
        Ok(Box::new(FaultWritableFile::new(self, inode, path, 0)))
    }

    fn open_append(&self, path: &Path) -> io::Result<Box<dyn WritableFile>> {
        let (dir, name) = split(path)?;
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::OpenAppend, path)?;
        let inode = state.file(&dir, &name, path)?;
        let len = inode.data.read().len() as u64;
        Ok(Box::new(FaultWritableFile::new(self, inode, path, len)))
    }

    fn open(&self, path: &Path) -> io::Result<Arc<dyn RandomAccessFile>> {
        let (dir, name) = split(path)?;
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::Open, path)?;
        let inode = state.file(&dir, &name, path)?;
        let len = inode.data.read().len() as u64;
        Ok(Arc::new(FaultRandomAccessFile {
            fs: self.clone(),
            inode,
            len,
            path: path.to_path_buf(),
        }))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let (from_dir, from_name) = split(from)?;
        let (to_dir, to_name) = split(to)?;
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::Rename, from)?;
        if state.dir(&to_dir)?.subdirs.contains(&to_name) {
            return Err(is_a_directory(to));
        }
        let inode = state
            .dir_mut(&from_dir)?
            .current
            .remove(&from_name)
            .ok_or_else(|| not_found(from))?;
        state.dir_mut(&to_dir)?.current.insert(to_name, inode);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let (dir, name) = split(path)?;
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::Remove, path)?;
        state
            .dir_mut(&dir)?
            .current
            .remove(&name)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        let path = normalize(path);
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::CreateDir, &path)?;
        for dir in ancestors_top_down(&path) {
            let (parent, name) = split(dir)?;
            let parent_entry = state.dir_mut(&parent)?;
            if parent_entry.current.contains_key(&name) {
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
        let path = normalize(path);
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::SyncDir, &path)?;
        let dir = state.dir_mut(&path)?;
        dir.durable = dir.current.clone();
        Ok(())
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let dir = normalize(dir);
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::ListDir, &dir)?;
        let entry = state.dir(&dir)?;
        Ok(entry
            .current
            .keys()
            .chain(entry.subdirs.iter())
            .cloned()
            .collect())
    }

    fn exists(&self, path: &Path) -> bool {
        if self.is_crashed() {
            return false;
        }
        let path = normalize(path);
        let state = self.shared.state.lock();
        if state.dirs.contains_key(&path) {
            return true;
        }
        split(&path).is_ok_and(|(dir, name)| {
            state
                .dirs
                .get(&dir)
                .is_some_and(|d| d.current.contains_key(&name))
        })
    }

    fn lock(&self, path: &Path) -> io::Result<Box<dyn FileLock>> {
        let (dir, name) = split(path)?;
        let full = dir.join(&name);
        let mut state = self.shared.state.lock();
        self.admit(&mut state, Operation::Lock, path)?;
        state.dir_mut(&dir)?.current.entry(name).or_default();
        if !state.locks.insert(full.clone()) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!("{} is locked by another handle", full.display()),
            ));
        }
        Ok(Box::new(FaultFileLock {
            fs: self.clone(),
            path: full,
        }))
    }
}

/// A file being appended to, with a user-space buffer like the real one's.
struct FaultWritableFile {
    fs: FaultFileSystem,
    inode: Arc<Inode>,
    path: PathBuf,
    /// Appended bytes not yet handed to the inode.
    buffer: Vec<u8>,
    len: u64,
}

impl FaultWritableFile {
    fn new(fs: &FaultFileSystem, inode: Arc<Inode>, path: &Path, len: u64) -> Self {
        Self {
            fs: fs.clone(),
            inode,
            path: path.to_path_buf(),
            buffer: Vec::new(),
            len,
        }
    }
}

/// Hands a writer's buffer to its inode. Caller holds the state lock and admitted the operation.
fn spill(inode: &Inode, buffer: &mut Vec<u8>) {
    if !buffer.is_empty() {
        inode.data.write().extend_from_slice(buffer);
        buffer.clear();
    }
}

impl std::fmt::Debug for FaultWritableFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultWritableFile")
            .field("path", &self.path)
            .field("len", &self.len)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl WritableFile for FaultWritableFile {
    fn append(&mut self, data: &[u8]) -> io::Result<()> {
        let mut state = self.fs.shared.state.lock();
        self.fs.admit(&mut state, Operation::Append, &self.path)?;
        self.buffer.extend_from_slice(data);
        self.len += data.len() as u64;
        if self.buffer.len() >= APPEND_BUFFER_BYTES {
            spill(&self.inode, &mut self.buffer);
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut state = self.fs.shared.state.lock();
        self.fs.admit(&mut state, Operation::Flush, &self.path)?;
        spill(&self.inode, &mut self.buffer);
        Ok(())
    }

    fn sync(&mut self) -> io::Result<()> {
        let mut state = self.fs.shared.state.lock();
        self.fs.admit(&mut state, Operation::Sync, &self.path)?;
        spill(&self.inode, &mut self.buffer);
        let len = self.inode.data.read().len();
        self.inode.synced.store(len, Ordering::Relaxed);
        Ok(())
    }

    fn len(&self) -> u64 {
        self.len
    }
}

impl Drop for FaultWritableFile {
    fn drop(&mut self) {
        // Like the real writer: what is left in the buffer is flushed, errors ignored.
        if !self.buffer.is_empty() {
            let _ = WritableFile::flush(self);
        }
    }
}

/// A file opened for reading: sees the bytes the kernel had at open, up to that length.
struct FaultRandomAccessFile {
    fs: FaultFileSystem,
    inode: Arc<Inode>,
    len: u64,
    path: PathBuf,
}

impl std::fmt::Debug for FaultRandomAccessFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultRandomAccessFile")
            .field("path", &self.path)
            .field("len", &self.len)
            .finish()
    }
}

impl RandomAccessFile for FaultRandomAccessFile {
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.fs.check_power(Operation::Read, &self.path)?;
        if self.fs.shared.read_faults.load(Ordering::Relaxed) {
            let mut state = self.fs.shared.state.lock();
            self.fs.admit(&mut state, Operation::Read, &self.path)?;
        }
        let data = self.inode.data.read();
        let limit = (self.len as usize).min(data.len());
        copy_range(&data[..limit], offset, buf)
    }

    fn len(&self) -> u64 {
        self.len
    }
}

/// A held lock; released on drop (and by a crash, since the recovered system has no locks).
struct FaultFileLock {
    fs: FaultFileSystem,
    path: PathBuf,
}

impl std::fmt::Debug for FaultFileLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultFileLock")
            .field("path", &self.path)
            .finish()
    }
}

impl FileLock for FaultFileLock {}

impl Drop for FaultFileLock {
    fn drop(&mut self) {
        self.fs.shared.state.lock().locks.remove(&self.path);
    }
}

/// A small, fast, seedable random sequence (SplitMix64); quality is ample for choosing faults.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`; `n` must be positive.
    fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        // Multiply-shift maps 64 random bits onto 0..n with negligible bias.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn power_cut(operation: Operation, path: &Path) -> io::Error {
    io::Error::other(format!(
        "simulated power cut: {operation:?} on {} refused",
        path.display()
    ))
}

#[cfg(test)]
#[path = "fault_test.rs"]
mod tests;
