//! What happened to each operation: latencies of the successes in an HDR histogram, failures
//! counted by error type.
//!
//! Each worker records into its own [`Recorder`] behind an uncontended mutex; once per interval
//! the collector adds every worker's recorder into one and resets them, which yields both the
//! per-interval figures (for the progress bar and the plot) and, summed, the whole run's.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::workload::Operation;

/// The longest latency recorded exactly, in microseconds (longer ones are recorded as this).
const LATENCY_MAX_US: u64 = 60_000_000;
/// Significant decimal digits kept by the histograms: 0.1% relative error.
const LATENCY_DIGITS: u8 = 3;

/// One operation's successes and failures.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Latency of each successful call, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Failed calls by error type (`ConditionalCheckFailedException`, `ConnectionRefused`).
    pub errors: BTreeMap<String, u64>,
}

impl OpStats {
    fn new() -> Self {
        OpStats {
            latency_us: Histogram::new_with_bounds(1, LATENCY_MAX_US, LATENCY_DIGITS)
                .expect("the latency bounds are valid"),
            errors: BTreeMap::new(),
        }
    }

    /// Successful calls.
    pub fn successes(&self) -> u64 {
        self.latency_us.len()
    }

    /// Failed calls, all types together.
    pub fn failures(&self) -> u64 {
        self.errors.values().sum()
    }

    fn add(&mut self, other: &OpStats) {
        self.latency_us
            .add(&other.latency_us)
            .expect("histograms of the same bounds always add");
        for (kind, count) in &other.errors {
            *self.errors.entry(kind.clone()).or_default() += count;
        }
    }

    fn reset(&mut self) {
        self.latency_us.reset();
        self.errors.clear();
    }
}

/// Successes and failures of the operations of one workload.
#[derive(Debug, Clone)]
pub struct Recorder {
    ops: Vec<(Operation, OpStats)>,
}

impl Recorder {
    /// An empty recorder for `operations` (the operations of the workload's mix).
    pub fn new(operations: &[Operation]) -> Self {
        Recorder {
            ops: operations.iter().map(|&op| (op, OpStats::new())).collect(),
        }
    }

    fn stats_mut(&mut self, operation: Operation) -> &mut OpStats {
        self.ops
            .iter_mut()
            .find(|(op, _)| *op == operation)
            .map(|(_, stats)| stats)
            .expect("operations outside the workload's mix are never run")
    }

    /// Records a success of `operation` that took `latency`.
    pub fn success(&mut self, operation: Operation, latency: Duration) {
        let micros = u64::try_from(latency.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        self.stats_mut(operation)
            .latency_us
            .saturating_record(micros);
    }

    /// Records a failure of `operation` with error type `kind`.
    pub fn failure(&mut self, operation: Operation, kind: &str) {
        let errors = &mut self.stats_mut(operation).errors;
        match errors.get_mut(kind) {
            Some(count) => *count += 1,
            None => {
                errors.insert(kind.to_owned(), 1);
            }
        }
    }

    /// Adds everything `other` recorded (for the same operations).
    pub fn add(&mut self, other: &Recorder) {
        for (op, stats) in &other.ops {
            self.stats_mut(*op).add(stats);
        }
    }

    /// Forgets everything recorded.
    pub fn reset(&mut self) {
        for (_, stats) in &mut self.ops {
            stats.reset();
        }
    }

    /// Each operation and its figures, in report order.
    pub fn operations(&self) -> impl Iterator<Item = (Operation, &OpStats)> {
        self.ops.iter().map(|(op, stats)| (*op, stats))
    }

    /// All operations together: latencies merged, errors by type summed.
    pub fn total(&self) -> OpStats {
        let mut total = OpStats::new();
        for (_, stats) in &self.ops {
            total.add(stats);
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_adds_and_resets() {
        let ops = [Operation::Read, Operation::Update];
        let mut worker = Recorder::new(&ops);
        worker.success(Operation::Read, Duration::from_micros(100));
        worker.success(Operation::Read, Duration::from_micros(300));
        worker.failure(Operation::Update, "ConnectionRefused");
        worker.failure(Operation::Update, "ConnectionRefused");
        worker.failure(Operation::Update, "Timeout");
        let mut interval = Recorder::new(&ops);
        interval.add(&worker);
        interval.add(&worker);
        worker.reset();
        assert_eq!(worker.total().successes() + worker.total().failures(), 0);
        let (_, read) = interval.operations().next().unwrap();
        assert_eq!(read.successes(), 4);
        assert!((read.latency_us.mean() - 200.0).abs() < 1.0);
        let total = interval.total();
        assert_eq!(total.failures(), 6);
        assert_eq!(total.errors["ConnectionRefused"], 4);
        assert_eq!(total.errors["Timeout"], 2);
    }

    #[test]
    fn sub_microsecond_and_huge_latencies_are_kept_in_range() {
        let mut recorder = Recorder::new(&[Operation::Read]);
        recorder.success(Operation::Read, Duration::from_nanos(10));
        recorder.success(Operation::Read, Duration::from_secs(3600));
        let total = recorder.total();
        assert_eq!(total.successes(), 2);
        assert_eq!(total.latency_us.min(), 1);
        assert!(total.latency_us.max() >= LATENCY_MAX_US);
    }
}
