//! Why a benchmark run stopped without a report.
//!
//! Errors of individual requests during the measured phase are not here: they are counted in the
//! report by type. These are the failures that leave nothing to measure.

use std::path::PathBuf;
use std::time::Duration;

use crate::client::{CallError, EndpointError};
use crate::config::ConfigError;
use crate::load::BatchFailure;
use crate::process::ProcessError;

/// A run that could not produce its report.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The configuration breaks a documented limit; nothing was sent.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The endpoint URL cannot be used; nothing was sent.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// The client's threads could not be started.
    #[error("cannot start the client's runtime: {0}")]
    Runtime(std::io::Error),
    /// The table exists already; it was left as it was.
    #[error(
        "table {table} already exists: pass --skip-load to run against its records, \
         or delete it to load afresh"
    )]
    TableExists {
        /// The table's name.
        table: String,
    },
    /// CreateTable failed; the table may or may not exist.
    #[error("cannot create table {table}: {source}")]
    CreateTable {
        /// The table's name.
        table: String,
        /// The failed call.
        source: CallError,
    },
    /// DescribeTable failed while waiting for the table to become usable.
    #[error("cannot describe table {table}: {source}")]
    DescribeTable {
        /// The table's name.
        table: String,
        /// The failed call.
        source: CallError,
    },
    /// The table did not become ACTIVE in time.
    #[error("table {table} is still {status} after {} s", waited.as_secs())]
    NotActive {
        /// The table's name.
        table: String,
        /// The last status seen.
        status: String,
        /// How long the run waited.
        waited: Duration,
    },
    /// A BatchWriteItem of the load phase kept failing; the table holds part of the records.
    #[error("loading table {table} failed after {loaded} records: {source}")]
    Load {
        /// The table's name.
        table: String,
        /// Records confirmed written before the failure.
        loaded: u64,
        /// What went wrong with the last batch.
        source: BatchFailure,
    },
    /// Ctrl-C during the load phase; the table holds the records written so far.
    #[error("interrupted while loading, after {loaded} records")]
    Interrupted {
        /// Records confirmed written.
        loaded: u64,
    },
    /// The server process given by `--server-pid` cannot be read.
    #[error(transparent)]
    ServerProcess(#[from] ProcessError),
    /// The plot could not be drawn or written; the summary was printed.
    #[error("cannot write the plot {}: {reason}", path.display())]
    Plot {
        /// The file asked for.
        path: PathBuf,
        /// What the drawing library said.
        reason: String,
    },
    /// A call that finds the table's stream and shards (the `stream` workload) failed, or
    /// found no stream; nothing was measured.
    #[error("cannot find the stream of table {table}: {reason}")]
    Stream {
        /// The table's name.
        table: String,
        /// The failed call, or what was missing.
        reason: String,
    },
    /// A call of the table task (UpdateTable, UpdateTimeToLive, or the DescribeTable and
    /// DescribeTimeToLive that follow it) failed; the workload's figures are lost with it.
    #[error("the table task {task} failed: {source}")]
    TableTask {
        /// The task's name.
        task: &'static str,
        /// The failed call.
        source: CallError,
    },
    /// The summary could not be written to standard output.
    #[error("cannot print the summary: {0}")]
    Output(std::io::Error),
}
