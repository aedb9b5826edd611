//! Server configuration: defaults, overridden by a TOML file, then by environment variables and
//! command-line flags (the binary merges those last two; see `main.rs`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// When a write is acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// After its WAL record is fsynced (group commit shares one fsync among concurrent writes).
    /// No acknowledged write is lost on kill -9 or power loss.
    #[default]
    Sync,
    /// After its WAL record reaches the OS; the WAL is fsynced in the background every
    /// `sync_interval_ms`. A power loss (not a process crash) may lose that interval's writes.
    Buffered,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// Everything `ferrodyn serve` needs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address of the DynamoDB HTTP endpoint. Default `127.0.0.1:8000`.
    pub listen: SocketAddr,
    /// Directory of the data (created if missing). Default `./ferrodyn-data`.
    pub data_dir: PathBuf,
    /// Keep everything in memory; nothing touches disk and nothing survives a restart.
    pub in_memory: bool,
    /// When writes are acknowledged. Default `sync`.
    pub durability: Durability,
    /// Background WAL sync period for `buffered` durability, in milliseconds. Default 100.
    pub sync_interval_ms: u64,
    /// Memtable size in MiB before it is flushed to disk. Default 16. At most one more memtable
    /// waits for its flush, so memtables hold at most twice this.
    pub memtable_mib: usize,
    /// Block cache size in MiB. Default 32.
    pub block_cache_mib: usize,
    /// Threads that serve requests and run the replicas (the async runtime's workers). Default
    /// (`None`): one per core. Several nodes sharing one machine do better with a share of its
    /// cores each than with as many threads each as it has cores.
    pub worker_threads: Option<usize>,
    /// How long a client may take to send a request's headers, and then its body, in
    /// milliseconds; a connection waiting longer for either is closed (one idle between requests
    /// included). Default 60000.
    pub request_read_timeout_ms: u64,
    /// Read tables through memory mappings instead of `pread`. Default false: mapped pages stay
    /// in the resident set, which then grows with the data instead of with these settings.
    pub mmap_reads: bool,
    /// Log line format. Default human.
    pub log_format: LogFormat,
    /// Log filter in `tracing-subscriber`'s `EnvFilter` syntax. Default `info,openraft=warn`
    /// (Raft's own elections and membership changes are logged by Ferrodyn in fewer words).
    pub log_filter: String,
    /// Region reported in table ARNs. Default `us-east-1`.
    pub region: String,
    /// Time between two sweeps for expired items (time to live), in milliseconds. Default 1000.
    pub ttl_sweep_interval_ms: u64,
    /// Most expired items deleted per second. Default 20000.
    pub ttl_deletes_per_second: u32,
    /// How long stream records are kept, in hours. Default 24.
    pub stream_retention_hours: u64,
    /// Address of the peer port (cluster mode). Default none: a single node without a peer port.
    pub peer_listen: Option<SocketAddr>,
    /// A member's peer address to join through on the first start. Default none: a node with a
    /// peer port and no `join` bootstraps a new cluster.
    pub join: Option<String>,
    /// Seconds a member may not answer before its replicas are rebuilt on the others (cluster
    /// mode). Default 60.
    pub failure_timeout_secs: u64,
    /// Partitions (replica groups) of each new table, on a cluster member. Default 1. The
    /// global secondary indexes of a table of several follow it asynchronously.
    pub table_partitions: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            data_dir: PathBuf::from("ferrodyn-data"),
            in_memory: false,
            durability: Durability::Sync,
            sync_interval_ms: 100,
            memtable_mib: 16,
            block_cache_mib: 32,
            worker_threads: None,
            request_read_timeout_ms: 60_000,
            mmap_reads: false,
            log_format: LogFormat::Human,
            log_filter: "info,openraft=warn".to_owned(),
            region: "us-east-1".to_owned(),
            ttl_sweep_interval_ms: 1000,
            ttl_deletes_per_second: 20_000,
            stream_retention_hours: 24,
            peer_listen: None,
            join: None,
            failure_timeout_secs: 60,
            table_partitions: 1,
        }
    }
}

impl Config {
    /// Reads a TOML file whose keys are the fields of [`Config`] (any subset).
    pub fn from_toml_file(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_overrides_only_what_it_names() {
        let config: Config =
            toml::from_str("listen = \"127.0.0.1:9000\"\ndurability = \"buffered\"\n").unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.durability, Durability::Buffered);
        assert_eq!(config.data_dir, PathBuf::from("ferrodyn-data"));
    }

    #[test]
    fn worker_threads_default_to_one_per_core() {
        assert_eq!(Config::default().worker_threads, None);
        let config: Config = toml::from_str("worker_threads = 1\n").unwrap();
        assert_eq!(config.worker_threads, Some(1));
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(toml::from_str::<Config>("listne = \"127.0.0.1:9000\"\n").is_err());
    }
}
