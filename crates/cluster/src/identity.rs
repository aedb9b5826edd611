//! The node id kept in the data directory.
//!
//! The file `node-id` holds one line: `ferrodyn-node-id <16 hex digits> <crc32c as 8 hex digits>`.
//! It is written once, when the node first starts: to `node-id.tmp`, synced, renamed over
//! `node-id`, and the directory synced, so after a crash at any point either there is no id yet
//! (and none was ever used) or the whole id is there. A damaged file is an error, never a reason
//! to pick a new id: a node with old data and a new id would be a stranger holding stale replicas.

use std::io;
use std::path::{Path, PathBuf};

use ferrodyn_storage::fs::FileSystem;

use crate::node::NodeId;

/// Name of the file holding the node id, in the data directory.
pub const NODE_ID_FILE: &str = "node-id";
const TEMPORARY_FILE: &str = "node-id.tmp";
const TAG: &str = "ferrodyn-node-id";
/// Longer than any valid file: a bigger one is damaged and is not read into memory.
const FILE_BYTES_MAX: u64 = 64;

/// The node id could not be read or kept.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Reading or writing the file failed; nothing was decided, retrying is safe.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// The file exists but is not a valid id: the data directory was damaged or edited. The node
    /// refuses to start rather than join as someone else.
    #[error(
        "{path} is damaged ({reason}); restore it, or remove the whole data directory to start \
         this node afresh as a new member"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// The id of the node whose data directory is `dir`: the one kept there, or a new random one,
/// durably kept before it is returned.
pub fn load_or_create_node_id(fs: &dyn FileSystem, dir: &Path) -> Result<NodeId, IdentityError> {
    let path = dir.join(NODE_ID_FILE);
    if fs.exists(&path) {
        return read(fs, &path);
    }
    let id = NodeId::random();
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| IdentityError::Io {
            action,
            path,
            source,
        }
    };
    fs.create_dir_all(dir)
        .map_err(io("create the data directory", dir))?;
    let temporary = dir.join(TEMPORARY_FILE);
    let mut file = fs.create(&temporary).map_err(io("create", &temporary))?;
    file.append(encode(id).as_bytes())
        .map_err(io("write", &temporary))?;
    file.sync().map_err(io("sync", &temporary))?;
    drop(file);
    fs.rename(&temporary, &path)
        .map_err(io("rename into place", &path))?;
    fs.sync_dir(dir)
        .map_err(io("sync the data directory", dir))?;
    Ok(id)
}

fn encode(id: NodeId) -> String {
    let body = format!("{TAG} {id}");
    format!("{body} {:08x}\n", crc32c::crc32c(body.as_bytes()))
}

fn read(fs: &dyn FileSystem, path: &Path) -> Result<NodeId, IdentityError> {
    let damaged = |reason| IdentityError::Damaged {
        path: path.to_path_buf(),
        reason,
    };
    let file = fs.open(path).map_err(|source| IdentityError::Io {
        action: "open",
        path: path.to_path_buf(),
        source,
    })?;
    if file.len() > FILE_BYTES_MAX {
        return Err(damaged("too long"));
    }
    let mut bytes = vec![0; file.len() as usize];
    file.read_exact_at(0, &mut bytes)
        .map_err(|source| IdentityError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        })?;
    let text = std::str::from_utf8(&bytes).map_err(|_| damaged("not text"))?;
    let line = text.strip_suffix('\n').ok_or(damaged("truncated"))?;
    let (body, checksum) = line.rsplit_once(' ').ok_or(damaged("no checksum"))?;
    let expected = u32::from_str_radix(checksum, 16).map_err(|_| damaged("bad checksum"))?;
    if checksum.len() != 8 || crc32c::crc32c(body.as_bytes()) != expected {
        return Err(damaged("checksum mismatch"));
    }
    let id = body
        .strip_prefix(TAG)
        .and_then(|rest| rest.strip_prefix(' '))
        .ok_or(damaged("not a node id file"))?;
    id.parse().map_err(|_| damaged("bad id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodyn_storage::fs::{FaultFileSystem, FaultPlan, MemFileSystem};

    #[test]
    fn an_id_is_created_once_and_kept() {
        let fs = MemFileSystem::new();
        let dir = Path::new("/data");
        let first = load_or_create_node_id(&fs, dir).unwrap();
        assert_eq!(load_or_create_node_id(&fs, dir).unwrap(), first);
        let text = String::from_utf8(fs.read_file(&dir.join(NODE_ID_FILE)).unwrap()).unwrap();
        assert!(
            text.starts_with(&format!("ferrodyn-node-id {first} ")),
            "{text}"
        );
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_new_identity() {
        let fs = MemFileSystem::new();
        let dir = Path::new("/data");
        let id = load_or_create_node_id(&fs, dir).unwrap();
        let path = dir.join(NODE_ID_FILE);
        let good = fs.read_file(&path).unwrap();
        for position in 0..good.len() {
            let mut bad = good.clone();
            bad[position] ^= 0x01;
            fs.write_file(&path, &bad).unwrap();
            match load_or_create_node_id(&fs, dir) {
                Err(IdentityError::Damaged { .. }) => {}
                other => panic!("byte {position} flipped: {other:?}"),
            }
        }
        for length in 0..good.len() {
            fs.write_file(&path, &good[..length]).unwrap();
            assert!(
                matches!(
                    load_or_create_node_id(&fs, dir),
                    Err(IdentityError::Damaged { .. })
                ),
                "cut at {length}"
            );
        }
        fs.write_file(&path, &good).unwrap();
        assert_eq!(load_or_create_node_id(&fs, dir).unwrap(), id);
    }

    /// A crash at every point of the first start leaves either no id or the id that was returned.
    #[test]
    fn a_crash_while_creating_leaves_no_id_or_the_whole_id() {
        let dir = Path::new("/data");
        for crash_at in 1..12 {
            let fs = FaultFileSystem::new(crash_at);
            fs.set_plan(FaultPlan::new().crash_at(crash_at));
            let created = load_or_create_node_id(&fs, dir).ok();
            let fs = fs.recovered();
            let after = load_or_create_node_id(&fs, dir)
                .unwrap_or_else(|e| panic!("crash at {crash_at}: {e}"));
            if let Some(created) = created {
                assert_eq!(after, created, "crash at {crash_at}");
            }
        }
    }
}
