//! Where the engine's writes become durable: the seam between the engine and replication.
//!
//! The engine decides every write (a group of mutations, a catalog change) on the node that
//! executes it and hands the resulting storage batch to a [`Replicator`]. On a single node the
//! replicator is [`LocalReplicator`]: it writes the batch to the node's storage engine. In a
//! cluster it proposes the batch to the Raft group that owns its [`Scope`] and returns once the
//! group has committed it and this node has applied it; every other replica applies the same
//! batch and tells its engine through [`crate::Database::observe_applied`], which keeps the
//! in-memory views (catalog, statistics, stream sequence numbers) in step with storage.
//!
//! A decision is only valid against the state it was made on, so a write is bracketed:
//! [`Replicator::begin`] before reading (it fails at once on a node that cannot commit there,
//! and otherwise returns a fencing [`Ticket`]) and [`Replicator::commit`] after. A cluster
//! replicator refuses a commit whose ticket no longer matches the group's state (another write,
//! typically of an earlier leader, was applied in between), so a stale decision is never applied.
//!
//! A replicator whose commits take a network round trip may *pipeline* ([`Replicator::pipelines`]):
//! the writer then decides the next group of a partition while earlier ones are still being
//! replicated, reading their writes from an in-flight overlay, and hands each batch over with
//! [`Replicator::commit_async`]. The tickets chain the groups, so if one is refused every group
//! decided after it is refused too.

use ferrodyn_storage::{Db, Durability, WriteBatch};

use crate::keys::TableId;

/// What a batch writes: the catalog (shared by every table), or the items, indexes, stream
/// records and statistics of one partition of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Table definitions and the next table id (`meta` keyspace).
    Catalog,
    /// One partition of a table's data: `(table, partition)`.
    Partition(TableId, u32),
}

/// A change of the set of tables that a catalog batch makes, for the cluster's own metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableChange {
    /// The batch creates table `name` with id `id`.
    Created {
        /// The new table's id.
        id: TableId,
        /// Its name.
        name: String,
        /// How many partitions it has.
        partitions: u32,
    },
    /// The batch deletes table `name`.
    Deleted {
        /// The table's id.
        id: TableId,
        /// Its name.
        name: String,
    },
}

/// A fencing token from [`Replicator::begin`]: the write the decision follows (`prev`, the last
/// write applied or proposed before it) and the id its own write will have (`seq`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ticket {
    /// The id of the write this decision saw last.
    pub prev: u64,
    /// The id of this decision's write.
    pub seq: u64,
}

/// What to do once an asynchronous commit is done (or failed).
pub type CommitDone = Box<dyn FnOnce(Result<(), CommitError>) + Send>;

/// Why a batch was not committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The storage engine failed.
    #[error(transparent)]
    Storage(#[from] ferrodyn_storage::Error),
    /// This node cannot commit to the scope now (it does not lead its group, or lost the lead
    /// before the batch was appended). Nothing was written; the request may be retried where
    /// the group's leader is.
    #[error("this node does not lead the replica group of {0:?}")]
    NotLeader(Scope),
    /// The state changed between the decision and the commit (a change of leader): nothing was
    /// written; the request may be retried.
    #[error("the state of {0:?} changed while a write was decided; it was not applied")]
    Stale(Scope),
    /// Replication did not complete in time: the batch may or may not be applied later.
    #[error("replication of a write to {0:?} did not complete: {1}")]
    Unavailable(Scope, String),
}

impl CommitError {
    /// Whether nothing was written, so that running the request again elsewhere or later is safe.
    pub fn is_retryable(&self) -> bool {
        matches!(self, CommitError::NotLeader(_) | CommitError::Stale(_))
    }
}

/// Makes the engine's batches durable, locally or through replication.
pub trait Replicator: Send + Sync + std::fmt::Debug {
    /// Called before a write to `scope` is decided.
    fn begin(&self, scope: Scope) -> Result<Ticket, CommitError>;

    /// Makes `batch` durable (applied on this node when it returns `Ok`). `change` says which
    /// table a catalog batch creates or deletes.
    fn commit(
        &self,
        scope: Scope,
        ticket: Ticket,
        batch: WriteBatch,
        durability: Durability,
        change: Option<TableChange>,
    ) -> Result<(), CommitError>;

    /// Whether commits are worth pipelining (they wait for a network round trip).
    fn pipelines(&self) -> bool {
        false
    }

    /// Like [`Replicator::commit`], but returns at once and calls `done` when the batch is
    /// applied here (or failed). Batches of one scope must be applied in the order handed over.
    fn commit_async(
        &self,
        scope: Scope,
        ticket: Ticket,
        batch: WriteBatch,
        durability: Durability,
        done: CommitDone,
    ) {
        done(self.commit(scope, ticket, batch, durability, None));
    }

    /// Whether background work on `scope` (time-to-live sweeps, index backfills) belongs on this
    /// node: its writes would be committed here.
    fn leads(&self, scope: Scope) -> bool;
}

/// The single-node replicator: batches go straight to the node's storage engine.
#[derive(Debug)]
pub struct LocalReplicator {
    db: Db,
}

impl LocalReplicator {
    /// Writes to `db`.
    pub fn new(db: Db) -> Self {
        LocalReplicator { db }
    }
}

impl Replicator for LocalReplicator {
    fn begin(&self, _scope: Scope) -> Result<Ticket, CommitError> {
        Ok(Ticket::default())
    }

    fn commit(
        &self,
        _scope: Scope,
        _ticket: Ticket,
        batch: WriteBatch,
        durability: Durability,
        _change: Option<TableChange>,
    ) -> Result<(), CommitError> {
        self.db.write(batch, durability)?;
        Ok(())
    }

    fn leads(&self, _scope: Scope) -> bool {
        true
    }
}

/// The replicator of a node that will join a cluster, until it has: it commits nothing and leads
/// nothing, so no write or background job touches a replica's state behind its group's back.
#[derive(Debug)]
pub struct DetachedReplicator;

impl Replicator for DetachedReplicator {
    fn begin(&self, scope: Scope) -> Result<Ticket, CommitError> {
        Err(CommitError::NotLeader(scope))
    }

    fn commit(
        &self,
        scope: Scope,
        _ticket: Ticket,
        _batch: WriteBatch,
        _durability: Durability,
        _change: Option<TableChange>,
    ) -> Result<(), CommitError> {
        Err(CommitError::NotLeader(scope))
    }

    fn leads(&self, _scope: Scope) -> bool {
        false
    }
}
