//! The summary of a run: per operation count, errors by type, throughput and latency
//! percentiles; the load rate; the server's CPU time per operation and peak memory.
//!
//! Printed as a table for people or, with `--json`, as one JSON object per line: the load phase
//! (`"op":"load"`), each operation, then `"op":"total"` with the run's settings and the process
//! figures. Counts are successes; `errors` counts failures, which are not in the latencies.
//! Throughput is successes per second of the measured phase.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

use serde_json::{Value, json};

use crate::config::BenchConfig;
use crate::load::LoadOutcome;
use crate::recorder::OpStats;
use crate::runner::{RunOutcome, Sample};
use crate::table_task::TaskOutcome;
use crate::workload::Operation;

/// One operation's figures, or all operations' (`operation` is then `None`).
#[derive(Debug, Clone)]
pub struct OpReport {
    /// The operation; `None` for the total.
    pub operation: Option<Operation>,
    /// Successful operations.
    pub count: u64,
    /// Failed operations by error type.
    pub errors: BTreeMap<String, u64>,
    /// Successes per second.
    pub ops_per_sec: f64,
    /// Mean latency of the successes, in µs.
    pub mean_us: f64,
    /// Latency percentiles of the successes and their maximum, in µs (0 without successes).
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// 99.9th percentile.
    pub p999_us: u64,
    /// Maximum.
    pub max_us: u64,
}

impl OpReport {
    fn new(operation: Option<Operation>, stats: &OpStats, elapsed: Duration) -> Self {
        let latency = &stats.latency_us;
        let at = |quantile| {
            if latency.is_empty() {
                0
            } else {
                latency.value_at_quantile(quantile)
            }
        };
        OpReport {
            operation,
            count: stats.successes(),
            errors: stats.errors.clone(),
            ops_per_sec: stats.successes() as f64 / elapsed.as_secs_f64().max(1e-9),
            mean_us: if latency.is_empty() {
                0.0
            } else {
                latency.mean()
            },
            p50_us: at(0.50),
            p90_us: at(0.90),
            p99_us: at(0.99),
            p999_us: at(0.999),
            max_us: if latency.is_empty() { 0 } else { latency.max() },
        }
    }

    /// Failed operations, all types together.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn name(&self) -> &'static str {
        self.operation.map_or("total", Operation::name)
    }

    fn to_json(&self) -> Value {
        json!({
            "op": self.name(),
            "count": self.count,
            "ops_per_sec": round(self.ops_per_sec, 1),
            "mean_us": round(self.mean_us, 1),
            "p50_us": self.p50_us,
            "p90_us": self.p90_us,
            "p99_us": self.p99_us,
            "p999_us": self.p999_us,
            "max_us": self.max_us,
            "errors": self.error_count(),
            "errors_by_type": self.errors,
        })
    }
}

/// The load phase's figures.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Records written.
    pub items: u64,
    /// Wall time of the load.
    pub elapsed: Duration,
    /// Records per second.
    pub items_per_sec: f64,
    /// The BatchWriteItem calls: count, errors, latency.
    pub batches: OpReport,
    /// Batches re-sent for their UnprocessedItems.
    pub unprocessed_resends: u64,
}

/// CPU time and memory of a process over the measured phase.
#[derive(Debug, Clone, Copy)]
pub struct ProcessUsage {
    /// Its process id.
    pub pid: u32,
    /// CPU time (user + system, all threads) spent during the measured phase.
    pub cpu: Duration,
    /// That CPU time divided by the operations attempted (successes and failures), in µs.
    pub cpu_us_per_op: f64,
    /// Peak resident memory since the process started, in bytes.
    pub peak_rss_bytes: u64,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// What was run.
    pub config: BenchConfig,
    /// The load phase, unless skipped.
    pub load: Option<LoadReport>,
    /// Each operation of the mix.
    pub operations: Vec<OpReport>,
    /// All operations together.
    pub total: OpReport,
    /// Length of the measured phase.
    pub elapsed: Duration,
    /// Whether Ctrl-C ended it early.
    pub interrupted: bool,
    /// The server, if `--server-pid` was given.
    pub server: Option<ProcessUsage>,
    /// This client's own usage.
    pub client: ProcessUsage,
    /// Throughput and p99 per second.
    pub timeline: Vec<Sample>,
    /// Stream records read (the `stream` workload), and per second of the measured phase.
    pub stream_records: u64,
    /// The table task, if one ran.
    pub task: Option<TaskOutcome>,
    /// All operations' p99 latency before the table task began and while it ran, in µs (0
    /// without successes).
    pub p99_before_task_us: u64,
    /// See `p99_before_task_us`.
    pub p99_during_task_us: u64,
}

impl Report {
    /// Summarises a run. `server` and `client` are (pid, CPU time during the measured phase,
    /// peak RSS).
    pub fn new(
        config: &BenchConfig,
        load: Option<LoadOutcome>,
        run: RunOutcome,
        server: Option<(u32, Duration, u64)>,
        client: (u32, Duration, u64),
    ) -> Self {
        let load = load.map(|load| LoadReport {
            items: load.items,
            elapsed: load.elapsed,
            items_per_sec: load.items as f64 / load.elapsed.as_secs_f64().max(1e-9),
            batches: OpReport::new(Some(Operation::Load), &load.batches.total(), load.elapsed),
            unprocessed_resends: load.unprocessed_resends,
        });
        let operations = run
            .recorded
            .operations()
            .map(|(op, stats)| OpReport::new(Some(op), stats, run.elapsed))
            .collect();
        let total = OpReport::new(None, &run.recorded.total(), run.elapsed);
        let attempted = (total.count + total.error_count()).max(1) as f64;
        let usage = |(pid, cpu, peak_rss_bytes): (u32, Duration, u64)| ProcessUsage {
            pid,
            cpu,
            cpu_us_per_op: cpu.as_secs_f64() * 1e6 / attempted,
            peak_rss_bytes,
        };
        let p99 = |recorder: &crate::recorder::Recorder| {
            let total = recorder.total();
            if total.successes() == 0 {
                0
            } else {
                total.latency_us.value_at_quantile(0.99)
            }
        };
        Report {
            config: config.clone(),
            load,
            operations,
            total,
            elapsed: run.elapsed,
            interrupted: run.interrupted,
            server: server.map(usage),
            client: usage(client),
            timeline: run.timeline,
            stream_records: run.stream_records,
            task: None,
            p99_before_task_us: p99(&run.before_task),
            p99_during_task_us: p99(&run.during_task),
        }
    }

    /// The same report with the table task's outcome.
    pub fn with_task(mut self, task: Option<TaskOutcome>) -> Self {
        self.task = task;
        self
    }

    /// Stream records read per second of the measured phase.
    pub fn stream_records_per_sec(&self) -> f64 {
        self.stream_records as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn task_json(&self, task: &TaskOutcome) -> Value {
        json!({
            "op": "task",
            "task": task.task.name(),
            "began_s": round(task.began_s, 3),
            "enabled_s": task.enabled_s.map(|s| round(s, 3)),
            "done_s": task.done_s.map(|s| round(s, 3)),
            "items": task.items,
            "items_per_sec": task.items_per_sec().map(|r| round(r, 1)),
            "p99_before_us": self.p99_before_task_us,
            "p99_during_us": self.p99_during_task_us,
        })
    }

    /// The JSON lines of `--json`.
    pub fn to_json_lines(&self) -> Vec<Value> {
        let mut lines = Vec::new();
        if let Some(load) = &self.load {
            let mut line = load.batches.to_json();
            line["items"] = json!(load.items);
            line["seconds"] = json!(round(load.elapsed.as_secs_f64(), 3));
            line["items_per_sec"] = json!(round(load.items_per_sec, 1));
            line["unprocessed_resends"] = json!(load.unprocessed_resends);
            lines.push(line);
        }
        lines.extend(self.operations.iter().map(OpReport::to_json));
        if let Some(task) = &self.task {
            lines.push(self.task_json(task));
        }
        let mut total = self.total.to_json();
        if self.config.workload == crate::Workload::Stream {
            total["stream_records"] = json!(self.stream_records);
            total["stream_records_per_sec"] = json!(round(self.stream_records_per_sec(), 1));
        }
        total["seconds"] = json!(round(self.elapsed.as_secs_f64(), 3));
        total["interrupted"] = json!(self.interrupted);
        total["workload"] = json!(self.config.workload.name());
        total["distribution"] = json!(self.config.distribution().name());
        total["concurrency"] = json!(self.config.concurrency);
        total["items"] = json!(self.config.items);
        total["value_size"] = json!(self.config.value_size);
        total["client_cpu_us_per_op"] = json!(round(self.client.cpu_us_per_op, 2));
        if let Some(server) = &self.server {
            total["server_pid"] = json!(server.pid);
            total["server_cpu_s"] = json!(round(server.cpu.as_secs_f64(), 3));
            total["server_cpu_us_per_op"] = json!(round(server.cpu_us_per_op, 2));
            total["server_peak_rss_bytes"] = json!(server.peak_rss_bytes);
        }
        lines.push(total);
        lines
    }

    /// Writes the JSON lines.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        for line in self.to_json_lines() {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }

    /// Writes the table for people.
    pub fn write_human(&self, out: &mut impl Write) -> io::Result<()> {
        let config = &self.config;
        writeln!(
            out,
            "workload {} against {} (table {}, {} records of {} bytes, {} clients, {}){}",
            config.workload.name(),
            config.endpoint,
            config.table,
            config.items,
            config.value_size,
            config.concurrency,
            config.distribution().name(),
            if self.interrupted {
                ", interrupted"
            } else {
                ""
            }
        )?;
        if let Some(load) = &self.load {
            writeln!(
                out,
                "load: {} records in {:.2} s = {:.0} records/s ({} BatchWriteItem calls, p99 {} ms, \
                 {} errors, {} resends of unprocessed items)",
                load.items,
                load.elapsed.as_secs_f64(),
                load.items_per_sec,
                load.batches.count,
                millis(load.batches.p99_us),
                load.batches.error_count(),
                load.unprocessed_resends
            )?;
        }
        writeln!(out, "run: {:.2} s", self.elapsed.as_secs_f64())?;
        writeln!(
            out,
            "{:<20} {:>10} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
            "operation", "count", "ops/s", "p50", "p90", "p99", "p99.9", "max", "errors"
        )?;
        for report in self.operations.iter().chain([&self.total]) {
            writeln!(
                out,
                "{:<20} {:>10} {:>10.0} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}",
                report.name(),
                report.count,
                report.ops_per_sec,
                millis(report.p50_us),
                millis(report.p90_us),
                millis(report.p99_us),
                millis(report.p999_us),
                millis(report.max_us),
                report.error_count()
            )?;
        }
        let calls: Vec<String> = self
            .operations
            .iter()
            .filter_map(|report| report.operation)
            .map(|op| format!("{} = {}", op.name(), op.calls()))
            .collect();
        writeln!(out, "({}; latencies in ms)", calls.join(", "))?;
        for report in &self.operations {
            for (kind, count) in &report.errors {
                writeln!(out, "errors: {} {kind}: {count}", report.name())?;
            }
        }
        if self.config.workload == crate::Workload::Stream {
            writeln!(
                out,
                "stream: {} records in {:.2} s = {:.0} records/s",
                self.stream_records,
                self.elapsed.as_secs_f64(),
                self.stream_records_per_sec()
            )?;
        }
        if let Some(task) = &self.task {
            self.write_task(out, task)?;
        }
        if let Some(server) = &self.server {
            writeln!(
                out,
                "server (pid {}): {:.1} µs CPU per operation ({:.2} s in all), peak RSS {:.1} MiB",
                server.pid,
                server.cpu_us_per_op,
                server.cpu.as_secs_f64(),
                server.peak_rss_bytes as f64 / (1 << 20) as f64
            )?;
        }
        writeln!(
            out,
            "client: {:.1} µs CPU per operation",
            self.client.cpu_us_per_op
        )
    }
}

impl Report {
    fn write_task(&self, out: &mut impl Write, task: &TaskOutcome) -> io::Result<()> {
        let progress = match (task.done_s, task.task) {
            (None, _) => format!(
                "not done when the run ended at {:.2} s",
                self.elapsed.as_secs_f64()
            ),
            (Some(done), crate::TableTask::AddIndex) => format!(
                "index ACTIVE after {:.2} s: {} items at {:.0} items/s",
                done - task.began_s,
                task.items,
                task.items_per_sec().unwrap_or(0.0)
            ),
            (Some(done), crate::TableTask::EnableTtl) => format!(
                "ENABLED after {:.2} s, {} expired items deleted {:.2} s later: {:.0} deletes/s",
                task.enabled_s.unwrap_or(task.began_s) - task.began_s,
                task.items,
                done - task.enabled_s.unwrap_or(task.began_s),
                task.items_per_sec().unwrap_or(0.0)
            ),
        };
        writeln!(
            out,
            "{} at {:.2} s: {progress}; foreground p99 {} ms before, {} ms during",
            task.task.name(),
            task.began_s,
            millis(self.p99_before_task_us),
            millis(self.p99_during_task_us)
        )
    }
}

/// Microseconds as milliseconds with three decimals.
fn millis(micros: u64) -> String {
    format!("{:.3}", micros as f64 / 1000.0)
}

fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recorder::Recorder;
    use crate::workload::Workload;

    fn report() -> Report {
        let mut recorded = Recorder::new(&[Operation::Read, Operation::Update]);
        for micros in 1..=1000 {
            recorded.success(Operation::Read, Duration::from_micros(micros));
        }
        recorded.success(Operation::Update, Duration::from_micros(500));
        recorded.failure(Operation::Update, "ConnectionRefused");
        let run = RunOutcome {
            recorded,
            elapsed: Duration::from_secs(2),
            timeline: Vec::new(),
            interrupted: false,
            before_task: Recorder::new(&[Operation::Read]),
            during_task: Recorder::new(&[Operation::Read]),
            stream_records: 0,
        };
        let config = BenchConfig::new("http://127.0.0.1:1", Workload::A);
        let second = Duration::from_secs(1);
        Report::new(
            &config,
            None,
            run,
            Some((7, second, 1 << 20)),
            (8, second / 2, 1 << 20),
        )
    }

    #[test]
    fn json_lines_carry_the_documented_fields() {
        let lines = report().to_json_lines();
        assert_eq!(lines.len(), 3);
        let read = &lines[0];
        assert_eq!(read["op"], "read");
        assert_eq!(read["count"], 1000);
        assert_eq!(read["ops_per_sec"], 500.0);
        assert_eq!(read["p50_us"], 500);
        assert_eq!(read["p99_us"], 990);
        assert_eq!(read["p999_us"], 999);
        assert_eq!(read["errors"], 0);
        let update = &lines[1];
        assert_eq!(update["errors"], 1);
        assert_eq!(update["errors_by_type"]["ConnectionRefused"], 1);
        let total = &lines[2];
        assert_eq!(total["op"], "total");
        assert_eq!(total["count"], 1001);
        // One CPU second over 1,002 attempted operations.
        assert_eq!(total["server_cpu_us_per_op"], 998.0);
        assert_eq!(total["server_peak_rss_bytes"], 1 << 20);
    }

    #[test]
    fn the_table_names_every_operation_and_error() {
        let mut out = Vec::new();
        report().write_human(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\nread "), "{text}");
        assert!(text.contains("\nupdate "), "{text}");
        assert!(text.contains("\ntotal "), "{text}");
        assert!(
            text.contains("errors: update ConnectionRefused: 1"),
            "{text}"
        );
        assert!(
            text.contains("server (pid 7): 998.0 µs CPU per operation"),
            "{text}"
        );
    }
}
