//! What a benchmark run is told: the endpoint, the workload, its size and how long it runs.

use std::path::PathBuf;
use std::time::Duration;

use crate::distribution::Distribution;
use crate::workload::Workload;

/// When the measured phase ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this much time.
    After(Duration),
    /// After this many operations in total (successful or not).
    Operations(u64),
}

/// A change made to the table while the workload runs, whose progress the report follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableTask {
    /// UpdateTable creates a global secondary index (`added`, keyed on `field0`, projecting
    /// everything), which the server backfills over the existing records; done once its
    /// IndexStatus is ACTIVE.
    AddIndex,
    /// UpdateTimeToLive enables time to live on [`crate::record::TTL_ATTRIBUTE`], which the
    /// `expired_items` records carry with a time already past; done once ItemCount has fallen
    /// by `expired_items`.
    EnableTtl,
}

impl TableTask {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            TableTask::AddIndex => "add-gsi",
            TableTask::EnableTtl => "enable-ttl",
        }
    }
}

/// Stream view types CreateTable accepts.
pub const STREAM_VIEW_TYPES: [&str; 4] =
    ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"];

/// Most global secondary indexes a table may have (DynamoDB's default quota).
pub const GSIS_MAX: usize = 20;

/// How the summary is printed on standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// A table for people.
    Human,
    /// One JSON object per line: the load phase, each operation, then the total.
    Json,
}

/// A benchmark run.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// `http://HOST[:PORT]` of any DynamoDB endpoint.
    pub endpoint: String,
    /// Table name: 3 to 255 characters of `A-Z a-z 0-9 _ . -`.
    pub table: String,
    /// The operation mix.
    pub workload: Workload,
    /// Records loaded (and then read and written), at least 1.
    pub items: u64,
    /// Payload bytes per record, at least `fields`.
    pub value_size: usize,
    /// Attributes the payload is split over, at least 1.
    pub fields: usize,
    /// Requests in flight at once (one connection each), at least 1.
    pub concurrency: usize,
    /// When the measured phase ends.
    pub stop: Stop,
    /// The request distribution; `None` takes the workload's own (YCSB's `requestdistribution`).
    pub distribution: Option<Distribution>,
    /// Strongly consistent reads (GetItem, Query, Scan).
    pub consistent_read: bool,
    /// Use the existing table and its `items` records instead of creating and loading it.
    pub skip_load: bool,
    /// How the summary is printed.
    pub output: Output,
    /// Where to write an SVG of throughput and p99 latency over time.
    pub plot: Option<PathBuf>,
    /// The server's process id, to report its CPU time per operation and its peak memory.
    pub server_pid: Option<u32>,
    /// How long a request may take before it counts as a `Timeout` error.
    pub request_timeout: Duration,
    /// Threads of the client's runtime; `None` uses one per core.
    pub client_threads: Option<usize>,
    /// Seed of the random choices: the same seed draws the same keys and mix.
    pub seed: u64,
    /// Show the live progress bar on standard error (when it is a terminal).
    pub progress: bool,
    /// Global secondary indexes the created table has, at most [`GSIS_MAX`]: index `gsi<i>` is
    /// keyed on `field<i mod fields>` and projects everything, so every record has an entry in
    /// each and every put rewrites them.
    pub gsis: usize,
    /// The created table's stream view type (one of [`STREAM_VIEW_TYPES`]); `None`: no stream,
    /// except that the `stream` workload always has one (NEW_AND_OLD_IMAGES unless given).
    pub stream: Option<String>,
    /// Records loaded besides `items`, under their own keys (`ttl<n>`, never read or written by
    /// the workload), carrying [`crate::record::TTL_ATTRIBUTE`] set an hour in the past.
    pub expired_items: u64,
    /// A change made to the table this long into the measured phase. The phase then ends at
    /// `stop` or once the change is done, whichever comes first.
    pub task: Option<(TableTask, Duration)>,
}

impl BenchConfig {
    /// A run of `workload` against `endpoint` with YCSB-like defaults: table `usertable`,
    /// 100,000 records of 100 bytes in one field, 32 clients, 10 seconds.
    pub fn new(endpoint: impl Into<String>, workload: Workload) -> Self {
        BenchConfig {
            endpoint: endpoint.into(),
            table: "usertable".into(),
            workload,
            items: 100_000,
            value_size: 100,
            fields: 1,
            concurrency: 32,
            stop: Stop::After(Duration::from_secs(10)),
            distribution: None,
            consistent_read: false,
            skip_load: false,
            output: Output::Human,
            plot: None,
            server_pid: None,
            request_timeout: Duration::from_secs(10),
            client_threads: None,
            seed: 1,
            progress: true,
            gsis: 0,
            stream: None,
            expired_items: 0,
            task: None,
        }
    }

    /// The created table's stream view type, if it has a stream.
    pub fn stream_view_type(&self) -> Option<&str> {
        match (&self.stream, self.workload) {
            (Some(view), _) => Some(view),
            (None, Workload::Stream) => Some("NEW_AND_OLD_IMAGES"),
            (None, _) => None,
        }
    }

    /// The distribution in force.
    pub fn distribution(&self) -> Distribution {
        self.distribution
            .unwrap_or(self.workload.default_distribution())
    }

    /// Checks the limits documented on each field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let table_ok = (3..=255).contains(&self.table.len())
            && self
                .table
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
        if !table_ok {
            return Err(ConfigError::TableName {
                table: self.table.clone(),
            });
        }
        if self.items == 0 {
            return Err(ConfigError::NoItems);
        }
        if self.fields == 0 || self.value_size < self.fields {
            return Err(ConfigError::ValueSize {
                value_size: self.value_size,
                fields: self.fields,
            });
        }
        // Zero clients measure a table task on an idle server.
        if self.concurrency == 0 && self.task.is_none() {
            return Err(ConfigError::NoConcurrency);
        }
        if self.gsis > GSIS_MAX {
            return Err(ConfigError::TooManyIndexes { gsis: self.gsis });
        }
        if let Some(view) = &self.stream
            && !STREAM_VIEW_TYPES.contains(&view.as_str())
        {
            return Err(ConfigError::StreamViewType { view: view.clone() });
        }
        if self
            .task
            .is_some_and(|(task, _)| task == TableTask::EnableTtl)
            && self.expired_items == 0
        {
            return Err(ConfigError::NothingExpires);
        }
        if self.skip_load && (self.expired_items > 0 || self.gsis > 0 || self.stream.is_some()) {
            return Err(ConfigError::TableShapeWithoutLoad);
        }
        if self.client_threads == Some(0) {
            return Err(ConfigError::NoThreads);
        }
        match self.stop {
            Stop::After(duration) if duration.is_zero() => Err(ConfigError::NothingToRun),
            Stop::Operations(0) => Err(ConfigError::NothingToRun),
            _ => Ok(()),
        }
    }
}

/// A configuration that cannot be run; nothing was sent to the endpoint.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The table name breaks DynamoDB's rules.
    #[error("table name {table:?} must be 3 to 255 characters of A-Z, a-z, 0-9, '_', '.' and '-'")]
    TableName {
        /// The name given.
        table: String,
    },
    /// Zero records.
    #[error("--items must be at least 1")]
    NoItems,
    /// Some field would be empty.
    #[error(
        "--value-size ({value_size}) must be at least --fields ({fields}), and --fields at least 1"
    )]
    ValueSize {
        /// Payload bytes per record.
        value_size: usize,
        /// Attributes to split them over.
        fields: usize,
    },
    /// Zero clients, and no table task to watch.
    #[error("--concurrency must be at least 1 (0 only with --add-gsi-after or --enable-ttl-after)")]
    NoConcurrency,
    /// More global secondary indexes than a table may have.
    #[error("--gsis {gsis} is more than the {GSIS_MAX} global secondary indexes a table may have")]
    TooManyIndexes {
        /// The number asked for.
        gsis: usize,
    },
    /// Not a stream view type.
    #[error("--stream {view:?} must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES")]
    StreamViewType {
        /// The value given.
        view: String,
    },
    /// Time to live enabled on a table where nothing expires.
    #[error("--enable-ttl-after needs --expired-items: there is nothing to expire otherwise")]
    NothingExpires,
    /// Table settings given for a table that is not created.
    #[error(
        "--gsis, --stream and --expired-items shape the created table; they cannot go with --skip-load"
    )]
    TableShapeWithoutLoad,
    /// Zero threads.
    #[error("--client-threads must be at least 1")]
    NoThreads,
    /// A zero duration or operation count.
    #[error("--duration and --ops must be greater than zero")]
    NothingToRun,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_limits_are_enforced() {
        let config = BenchConfig::new("http://127.0.0.1:8000", Workload::A);
        config.validate().unwrap();
        assert_eq!(config.distribution(), Distribution::Zipfian);
        let broken = [
            BenchConfig {
                table: "ab".into(),
                ..config.clone()
            },
            BenchConfig {
                table: "has space".into(),
                ..config.clone()
            },
            BenchConfig {
                items: 0,
                ..config.clone()
            },
            BenchConfig {
                value_size: 2,
                fields: 3,
                ..config.clone()
            },
            BenchConfig {
                fields: 0,
                ..config.clone()
            },
            BenchConfig {
                concurrency: 0,
                ..config.clone()
            },
            BenchConfig {
                client_threads: Some(0),
                ..config.clone()
            },
            BenchConfig {
                stop: Stop::Operations(0),
                ..config.clone()
            },
            BenchConfig {
                stop: Stop::After(Duration::ZERO),
                ..config.clone()
            },
            BenchConfig {
                gsis: 21,
                ..config.clone()
            },
            BenchConfig {
                stream: Some("NEW".into()),
                ..config.clone()
            },
            BenchConfig {
                task: Some((TableTask::EnableTtl, Duration::ZERO)),
                ..config.clone()
            },
            BenchConfig {
                gsis: 1,
                skip_load: true,
                ..config.clone()
            },
        ];
        for config in broken {
            assert!(config.validate().is_err(), "{config:?} passed validation");
        }
        let idle = BenchConfig {
            concurrency: 0,
            task: Some((TableTask::AddIndex, Duration::ZERO)),
            ..config.clone()
        };
        idle.validate().unwrap();
        assert_eq!(config.stream_view_type(), None);
        let stream = BenchConfig::new("http://127.0.0.1:8000", Workload::Stream);
        assert_eq!(stream.stream_view_type(), Some("NEW_AND_OLD_IMAGES"));
    }
}
