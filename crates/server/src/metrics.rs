//! `GET /metrics`: what the node has done and holds, in Prometheus's text format.
//!
//! - Requests, by operation: how many were answered, how long they took (a histogram), and
//!   which errors they got (by DynamoDB error type).
//! - The storage engine: bytes written by users, the log, flushes and compactions; files and
//!   bytes per level; block cache hits and misses; write stalls; memtable memory.
//! - The cluster, on a member: members by status, replicas held here, and those led or quiet.
//! - The process: CPU time, resident memory, start time (Prometheus's standard names).
//!
//! Counting a request costs a few relaxed atomic additions; everything else is read when
//! scraped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ferrodyn_api::Operation;
use parking_lot::Mutex;

/// Upper bounds of the latency histogram's buckets, in seconds (`+Inf` follows).
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The counts of one operation.
#[derive(Debug, Default)]
struct OperationCounts {
    requests: AtomicU64,
    micros: AtomicU64,
    /// Requests at most each bound of [`BUCKETS`] long, each counted in its smallest bucket
    /// only (the exposition sums them).
    buckets: [AtomicU64; BUCKETS.len()],
}

/// The request counters of a node.
#[derive(Debug)]
pub struct RequestMetrics {
    /// One per [`Operation::ALL`], same order.
    operations: Vec<OperationCounts>,
    /// Requests whose target named no operation.
    unknown: AtomicU64,
    /// (operation, error type) → requests answered with that error.
    errors: Mutex<BTreeMap<(&'static str, String), u64>>,
    started: std::time::SystemTime,
}

impl Default for RequestMetrics {
    fn default() -> Self {
        Self {
            operations: Operation::ALL
                .iter()
                .map(|_| OperationCounts::default())
                .collect(),
            unknown: AtomicU64::new(0),
            errors: Mutex::new(BTreeMap::new()),
            started: std::time::SystemTime::now(),
        }
    }
}

impl RequestMetrics {
    /// Counts one request of `operation` (`None`: no such operation) answered after `elapsed`
    /// with HTTP `status` and JSON `body`.
    pub fn record(
        &self,
        operation: Option<Operation>,
        elapsed: Duration,
        status: u16,
        body: &[u8],
    ) {
        let Some(operation) = operation else {
            self.unknown.fetch_add(1, Ordering::Relaxed);
            return;
        };
        // `ALL` lists the variants in declaration order, so a variant's discriminant is its
        // index there.
        let index = operation as usize;
        debug_assert_eq!(Operation::ALL[index], operation);
        let counts = &self.operations[index];
        counts.requests.fetch_add(1, Ordering::Relaxed);
        counts
            .micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        if let Some(bucket) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            counts.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        }
        if status != 200 {
            let error = error_type(body).unwrap_or("unknown").to_owned();
            *self
                .errors
                .lock()
                .entry((operation.name(), error))
                .or_default() += 1;
        }
    }

    /// Appends the request counters to `out`.
    fn write(&self, out: &mut String) {
        header(
            out,
            "ferrodyn_requests_total",
            "counter",
            "DynamoDB API requests answered, by operation.",
        );
        for (operation, counts) in Operation::ALL.iter().zip(&self.operations) {
            let requests = counts.requests.load(Ordering::Relaxed);
            if requests > 0 {
                let _ = writeln!(
                    out,
                    "ferrodyn_requests_total{{operation=\"{}\"}} {requests}",
                    operation.name()
                );
            }
        }
        header(
            out,
            "ferrodyn_unknown_operation_requests_total",
            "counter",
            "Requests whose X-Amz-Target named no operation.",
        );
        let _ = writeln!(
            out,
            "ferrodyn_unknown_operation_requests_total {}",
            self.unknown.load(Ordering::Relaxed)
        );
        header(
            out,
            "ferrodyn_request_errors_total",
            "counter",
            "Requests answered with an error, by operation and DynamoDB error type.",
        );
        for ((operation, error), count) in self.errors.lock().iter() {
            let _ = writeln!(
                out,
                "ferrodyn_request_errors_total{{operation=\"{operation}\",error=\"{}\"}} {count}",
                escape(error)
            );
        }
        header(
            out,
            "ferrodyn_request_duration_seconds",
            "histogram",
            "Time from a request's arrival to its answer, by operation.",
        );
        for (operation, counts) in Operation::ALL.iter().zip(&self.operations) {
            let requests = counts.requests.load(Ordering::Relaxed);
            if requests == 0 {
                continue;
            }
            let name = operation.name();
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&counts.buckets) {
                cumulative += bucket.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "ferrodyn_request_duration_seconds_bucket{{operation=\"{name}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            // (Read apart from the buckets: a request counted meanwhile may make the total a
            // little larger than the last bucket, as Prometheus allows.)
            let _ = writeln!(
                out,
                "ferrodyn_request_duration_seconds_bucket{{operation=\"{name}\",le=\"+Inf\"}} {}",
                requests.max(cumulative)
            );
            let _ = writeln!(
                out,
                "ferrodyn_request_duration_seconds_sum{{operation=\"{name}\"}} {}",
                counts.micros.load(Ordering::Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "ferrodyn_request_duration_seconds_count{{operation=\"{name}\"}} {}",
                requests.max(cumulative)
            );
        }
    }
}

/// The error type of a DynamoDB error body: the part of `__type` after `#`.
fn error_type(body: &[u8]) -> Option<&str> {
    const KEY: &[u8] = b"\"__type\":\"";
    let start = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let rest = &body[start..];
    let end = rest.iter().position(|b| *b == b'"')?;
    let full = std::str::from_utf8(&rest[..end]).ok()?;
    Some(full.rsplit('#').next().unwrap_or(full))
}

/// Escapes a label value (backslash, double quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    header(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// The whole exposition: `requests`, the storage engine's `storage` metrics, the number of
/// `tables`, the `cluster` as this node sees it (on a member), and the process.
pub fn render(
    requests: &RequestMetrics,
    storage: &ferrodyn_storage::Metrics,
    tables: usize,
    cluster: Option<&ferrodyn_cluster::runtime::ClusterStatus>,
) -> String {
    let mut out = String::with_capacity(8192);
    requests.write(&mut out);
    sample(
        &mut out,
        "ferrodyn_tables",
        "gauge",
        "Tables in the catalog.",
        tables,
    );
    write_storage(&mut out, storage);
    if let Some(cluster) = cluster {
        write_cluster(&mut out, cluster);
    }
    write_process(&mut out, requests.started);
    out
}

fn write_storage(out: &mut String, m: &ferrodyn_storage::Metrics) {
    let counters: [(&str, &str, u64); 7] = [
        (
            "ferrodyn_storage_user_bytes_written_total",
            "Bytes of keys and values written to the storage engine.",
            m.user_bytes_written,
        ),
        (
            "ferrodyn_storage_wal_bytes_written_total",
            "Bytes appended to the write-ahead log.",
            m.wal_bytes_written,
        ),
        (
            "ferrodyn_storage_wal_syncs_total",
            "Syncs of the write-ahead log (each makes a group of writes durable).",
            m.wal_syncs,
        ),
        (
            "ferrodyn_storage_flush_bytes_written_total",
            "Bytes of tables written by memtable flushes.",
            m.flush_bytes_written,
        ),
        (
            "ferrodyn_storage_compaction_bytes_written_total",
            "Bytes of tables written by compactions.",
            m.compaction_bytes_written,
        ),
        (
            "ferrodyn_storage_block_cache_hits_total",
            "Table blocks found in the block cache.",
            m.cache_hits,
        ),
        (
            "ferrodyn_storage_block_cache_misses_total",
            "Table blocks read from disk.",
            m.cache_misses,
        ),
    ];
    for (name, help, value) in counters {
        sample(out, name, "counter", help, value);
    }
    sample(
        out,
        "ferrodyn_storage_write_stall_seconds_total",
        "counter",
        "Time writers waited for flushes or compactions to catch up.",
        m.stall_micros as f64 / 1e6,
    );
    sample(
        out,
        "ferrodyn_storage_memtable_bytes",
        "gauge",
        "Memory held by the active and immutable memtables.",
        m.memtable_bytes,
    );
    sample(
        out,
        "ferrodyn_storage_immutable_memtables",
        "gauge",
        "Full memtables waiting for their flush.",
        m.immutable_memtables,
    );
    sample(
        out,
        "ferrodyn_storage_writes_failed",
        "gauge",
        "1 once the storage engine has stopped accepting writes after a failure (restart needed).",
        u8::from(m.writes_failed),
    );
    per_level(
        out,
        "ferrodyn_storage_level_files",
        "Table files per level of the LSM tree.",
        &m.level_files,
    );
    per_level(
        out,
        "ferrodyn_storage_level_bytes",
        "Bytes of table files per level of the LSM tree.",
        &m.level_bytes,
    );
}

/// A gauge with one sample per LSM level, labelled by the level's number.
fn per_level(out: &mut String, name: &str, help: &str, values: &[impl std::fmt::Display]) {
    header(out, name, "gauge", help);
    for (level, value) in values.iter().enumerate() {
        let _ = writeln!(out, "{name}{{level=\"{level}\"}} {value}");
    }
}

fn write_cluster(out: &mut String, status: &ferrodyn_cluster::runtime::ClusterStatus) {
    header(
        out,
        "ferrodyn_cluster_members",
        "gauge",
        "Members of the cluster, by status.",
    );
    for state in ["active", "leaving"] {
        let count = status.members.iter().filter(|m| m.status == state).count();
        let _ = writeln!(
            out,
            "ferrodyn_cluster_members{{status=\"{state}\"}} {count}"
        );
    }
    header(
        out,
        "ferrodyn_cluster_member_last_seen_seconds",
        "gauge",
        "Time since this node last had word from another member (a probe's answer, or its own probe).",
    );
    for member in &status.members {
        if let Some(ms) = member.last_seen_ms {
            let _ = writeln!(
                out,
                "ferrodyn_cluster_member_last_seen_seconds{{node=\"{}\"}} {}",
                escape(&member.node),
                ms as f64 / 1e3
            );
        }
    }
    header(
        out,
        "ferrodyn_cluster_member_alive",
        "gauge",
        "1 while this node's failure detector holds another member alive, 0 while suspect or down.",
    );
    for member in &status.members {
        if let Some(liveness) = member.liveness {
            let _ = writeln!(
                out,
                "ferrodyn_cluster_member_alive{{node=\"{}\"}} {}",
                escape(&member.node),
                u8::from(liveness == "alive")
            );
        }
    }
    let partitions = status.tables.iter().flat_map(|t| &t.partitions);
    let (mut held, mut led, mut quiet) = (0usize, 0usize, 0usize);
    for partition in partitions {
        if partition.applied_here.is_some() {
            held += 1;
        }
        if partition.leader.as_deref() == Some(status.node.as_str()) {
            led += 1;
        }
        if partition.quiet_here == Some(true) {
            quiet += 1;
        }
    }
    sample(
        out,
        "ferrodyn_cluster_replicas",
        "gauge",
        "Partition replicas held by this node.",
        held,
    );
    sample(
        out,
        "ferrodyn_cluster_replicas_leading",
        "gauge",
        "Partition replicas this node leads.",
        led,
    );
    sample(
        out,
        "ferrodyn_cluster_replicas_quiet",
        "gauge",
        "Partition replicas of this node that are quiet (idle: no heartbeats).",
        quiet,
    );
    sample(
        out,
        "ferrodyn_cluster_metadata_leader",
        "gauge",
        "1 if this node leads the metadata group, else 0.",
        u8::from(status.metadata_leader.as_deref() == Some(status.node.as_str())),
    );
}

fn write_process(out: &mut String, started: std::time::SystemTime) {
    let start = started
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    sample(
        out,
        "process_start_time_seconds",
        "gauge",
        "Start time of the process since the Unix epoch.",
        start,
    );
    // /proc/self/stat: fields 14 and 15 are user and system time in clock ticks, 24 the
    // resident pages (counted after the command name, which may hold spaces).
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return;
    };
    let Some(after_name) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
        return;
    };
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    // Linux's clock tick is 100 Hz on every platform Ferrodyn runs on.
    const TICKS_PER_SECOND: f64 = 100.0;
    if let (Some(user), Some(system)) = (field(14), field(15)) {
        sample(
            out,
            "process_cpu_seconds_total",
            "counter",
            "User and system CPU time of the process.",
            (user + system) as f64 / TICKS_PER_SECOND,
        );
    }
    if let Some(pages) = field(24) {
        sample(
            out,
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory of the process.",
            pages * 4096,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_operations_discriminant_is_its_index_in_all() {
        for (index, operation) in Operation::ALL.iter().enumerate() {
            assert_eq!(*operation as usize, index, "{operation:?}");
        }
    }

    #[test]
    fn the_error_type_is_read_from_the_body() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"x"}"#;
        assert_eq!(error_type(body), Some("ResourceNotFoundException"));
        assert_eq!(
            error_type(br#"{"__type":"com.amazon.coral.service#UnknownOperationException"}"#),
            Some("UnknownOperationException")
        );
        assert_eq!(error_type(b"{}"), None);
    }

    #[test]
    fn requests_are_counted_by_operation_latency_and_error() {
        let metrics = RequestMetrics::default();
        let ok = br#"{}"#;
        let failed =
            br#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"}"#;
        metrics.record(
            Some(Operation::PutItem),
            Duration::from_micros(300),
            200,
            ok,
        );
        metrics.record(
            Some(Operation::PutItem),
            Duration::from_millis(3),
            400,
            failed,
        );
        metrics.record(Some(Operation::PutItem), Duration::from_secs(60), 200, ok);
        metrics.record(None, Duration::from_micros(10), 400, b"");
        let mut out = String::new();
        metrics.write(&mut out);
        for line in [
            "ferrodyn_requests_total{operation=\"PutItem\"} 3",
            "ferrodyn_request_errors_total{operation=\"PutItem\",error=\"ConditionalCheckFailedException\"} 1",
            "ferrodyn_request_duration_seconds_bucket{operation=\"PutItem\",le=\"0.0005\"} 1",
            "ferrodyn_request_duration_seconds_bucket{operation=\"PutItem\",le=\"0.005\"} 2",
            "ferrodyn_request_duration_seconds_bucket{operation=\"PutItem\",le=\"10\"} 2",
            "ferrodyn_request_duration_seconds_bucket{operation=\"PutItem\",le=\"+Inf\"} 3",
            "ferrodyn_request_duration_seconds_count{operation=\"PutItem\"} 3",
            "ferrodyn_unknown_operation_requests_total 1",
        ] {
            assert!(out.lines().any(|l| l == line), "no line {line:?} in\n{out}");
        }
        assert!(!out.contains("operation=\"GetItem\""), "{out}");
    }
}
