//! One replica of a partition: its Raft log and its state machine, both kept in the storage engine.
//!
//! A partition's writes are decided by its leader (conditions evaluated, new items computed, as the
//! single-node write path does) and what they change is proposed as one [`Command`]: the puts,
//! deletes and range deletes of one group of mutations. Raft orders and replicates commands; each
//! replica applies them, in log order, to its copy of the partition's key range.
//!
//! Storage layout (keyspace `raft`, keys prefixed by the replica's group id, big-endian):
//!
//! | key | value |
//! |---|---|
//! | `group ∥ 0x01` | the vote (JSON) |
//! | `group ∥ 0x02` | the last committed log id (JSON) |
//! | `group ∥ 0x03` | the last purged log id (JSON) |
//! | `group ∥ 0x10 ∥ index` | log entry `index` (JSON; a command's keys and values base64) |
//! | `group ∥ 0x20` | the last applied log id (JSON), written in the same batch as the command's effects |
//! | `group ∥ 0x21` | the last applied membership (JSON), likewise |
//! | `group ∥ 0x22` | the metadata group only: the cluster's metadata (JSON), likewise |
//! | `group ∥ 0x23` | the id of the last applied write (u64 BE, the fence), likewise |
//!
//! Log appends and votes are synced before openraft is told they are durable. A command's effects
//! and the new "last applied" id are one atomic batch, so after a crash a replica resumes applying
//! from exactly where its durable state ends: the storage engine keeps a prefix of the batches
//! written, so an effect is never applied twice nor skipped.

// openraft's storage traits return its `StorageError`, a large type we do not choose.
#[allow(clippy::result_large_err)]
mod log_store;
#[allow(clippy::result_large_err)]
mod state_machine;

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::metadata::{MetadataCommand, MetadataError};

pub use log_store::LogStore;
pub use state_machine::{ApplyObserver, KeyRange, MetadataLoadError, PartitionRange, StateMachine};

openraft::declare_raft_types!(
    /// The Raft types of a partition's replica group.
    pub PartitionRaft:
        D = Proposal,
        R = Applied,
        NodeId = u64,
        Node = openraft::BasicNode,
        Entry = openraft::Entry<PartitionRaft>,
        SnapshotData = Cursor<Vec<u8>>,
        AsyncRuntime = openraft::TokioRuntime,
);

/// A partition replica group's Raft instance.
pub type PartitionRaftNode = openraft::Raft<PartitionRaft>;

/// What a replica group orders: a partition's writes, or (in the metadata group) a change of the
/// cluster's metadata. Every group on a node is the same kind of Raft instance, so one log store,
/// one peer protocol and one set of tools serve them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Proposal {
    /// Writes to a partition's key range.
    Write(Command),
    /// A change of the cluster's metadata (metadata group only).
    Metadata(MetadataCommand),
    /// A change of the table catalog (metadata group only): writes of table definitions, with
    /// the change of the cluster's tables they make, applied together or not at all.
    Catalog {
        /// The catalog's writes.
        command: Command,
        /// The cluster's side of it (a table created or dropped).
        change: Option<MetadataCommand>,
    },
}

/// The writes of one group of mutations, applied atomically by every replica.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Command {
    /// To the `data` keyspace, in order; later writes of the same key win.
    pub writes: Vec<Write>,
    /// To the `meta` keyspace (statistics, table definitions), likewise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub meta_writes: Vec<Write>,
    /// The fence: the id of the group's last write that the writes were decided after. If the
    /// group's last applied write is another one, the command is refused and changes nothing.
    #[serde(default)]
    pub based_on: Option<u64>,
    /// This command's id, which the next command's `based_on` names (chaining the commands a
    /// leader pipelines); 0: its log index serves.
    #[serde(default)]
    pub seq: u64,
}

/// One write of a [`Command`], to the data keyspace. Keys and values are base64 text in the
/// log and on the wire ([`bytes_text`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Write {
    /// `key = value`.
    Put {
        /// The storage key.
        #[serde(with = "bytes_text")]
        key: Vec<u8>,
        /// Its new value.
        #[serde(with = "bytes_text")]
        value: Vec<u8>,
    },
    /// Removes `key`.
    Delete {
        /// The storage key.
        #[serde(with = "bytes_text")]
        key: Vec<u8>,
    },
    /// Removes every key in `start..end`.
    DeleteRange {
        /// First key removed.
        #[serde(with = "bytes_text")]
        start: Vec<u8>,
        /// First key kept after the range.
        #[serde(with = "bytes_text")]
        end: Vec<u8>,
    },
}

/// Byte strings as base64 text in human-readable formats (the JSON of log entries and peer
/// messages). Serde's default writes a `Vec<u8>` as an array of numbers: about four characters
/// and one parsed number per byte, which made JSON a tenth of the CPU of a replicated write
/// (encoded for the log, for each follower, decoded by each follower and encoded again for its
/// log). Arrays, the earlier form, are still read, so existing logs stay readable.
mod bytes_text {
    use std::fmt;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::de::{self, SeqAccess, Visitor};
    use serde::{Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.serialize_str(&STANDARD.encode(bytes))
        } else {
            serializer.serialize_bytes(bytes)
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        if deserializer.is_human_readable() {
            deserializer.deserialize_any(BytesVisitor)
        } else {
            deserializer.deserialize_byte_buf(BytesVisitor)
        }
    }

    struct BytesVisitor;

    impl<'de> Visitor<'de> for BytesVisitor {
        type Value = Vec<u8>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("base64 text or an array of bytes")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
            STANDARD.decode(text).map_err(E::custom)
        }

        fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
            Ok(bytes.to_vec())
        }

        fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(bytes)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
            let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(byte) = seq.next_element::<u8>()? {
                bytes.push(byte);
            }
            Ok(bytes)
        }
    }
}

/// What applying a proposal returns: where it sits in the log, and whether the metadata change
/// it carried was refused (a refused change is still in the log, and changed nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// The proposal's log index.
    pub index: u64,
    /// Why a metadata change was refused.
    pub refused: Option<MetadataError>,
    /// Why the proposal's writes were not applied, if they were not.
    #[serde(default)]
    pub rejected: Option<Rejection>,
}

/// Why a command's writes were not applied (it is still in the log, and changed nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rejection {
    /// Its fence: another write was applied after the state it was decided on.
    Stale,
    /// It writes outside the group's key ranges.
    OutsideRanges,
}

/// Writes `batch`. A synced write waits for the disk, which must not hold up the async runtime's
/// workers (and every other replica group scheduled on them), so it runs on a blocking thread; a
/// buffered one only copies into memory and the operating system's cache, so it runs here (a
/// hand-off to another thread would cost more than the write).
async fn write_off_runtime(
    db: &ferrodyn_storage::Db,
    batch: ferrodyn_storage::WriteBatch,
    durability: ferrodyn_storage::Durability,
) -> Result<(), ferrodyn_storage::Error> {
    if durability == ferrodyn_storage::Durability::Buffered {
        return db.write(batch, durability).map(|_| ());
    }
    let db = db.clone();
    match tokio::task::spawn_blocking(move || db.write(batch, durability)).await {
        Ok(result) => result.map(|_| ()),
        Err(failed) => Err(ferrodyn_storage::Error::Poisoned(format!(
            "the thread writing a Raft batch failed: {failed}"
        ))),
    }
}

/// Key of the replica group `group`'s record `tag` in the `raft` keyspace.
pub(crate) fn record_key(group: u64, tag: u8) -> Vec<u8> {
    let mut key = Vec::with_capacity(9);
    key.extend_from_slice(&group.to_be_bytes());
    key.push(tag);
    key
}

const VOTE: u8 = 0x01;
const COMMITTED: u8 = 0x02;
const PURGED: u8 = 0x03;
const ENTRY: u8 = 0x10;
const APPLIED: u8 = 0x20;
const MEMBERSHIP: u8 = 0x21;
const CLUSTER_STATE: u8 = 0x22;
const LAST_WRITE: u8 = 0x23;
/// This node's replica of the group was moved away (see `tables.rs`).
pub(crate) const RETIRED: u8 = 0x30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_carry_bytes_as_base64_text_and_read_the_earlier_arrays_too() {
        let command = Command {
            writes: vec![
                Write::Put {
                    key: vec![0, 1, 2, 255],
                    value: b"value".to_vec(),
                },
                Write::Delete { key: Vec::new() },
                Write::DeleteRange {
                    start: vec![7],
                    end: vec![8, 9],
                },
            ],
            ..Command::default()
        };
        let text = serde_json::to_string(&command).unwrap();
        assert!(
            text.contains(r#""key":"AAEC/w==","value":"dmFsdWU=""#),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<Command>(&text).unwrap(), command);
        let earlier = r#"{"writes":[{"Put":{"key":[0,1,2,255],"value":[118,97,108,117,101]}},
            {"Delete":{"key":[]}},{"DeleteRange":{"start":[7],"end":[8,9]}}]}"#;
        assert_eq!(serde_json::from_str::<Command>(earlier).unwrap(), command);
        assert!(serde_json::from_str::<Write>(r#"{"Delete":{"key":"not base64!"}}"#).is_err());
    }
}
