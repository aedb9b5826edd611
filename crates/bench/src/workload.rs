//! Workloads: which operations run, in what proportions, over which distribution.
//!
//! The six YCSB core workloads are defined as in YCSB's `workloads/workload[a-f]` files; the
//! single-operation workloads exercise one DynamoDB call each, for measuring it alone.

use crate::distribution::Distribution;
use crate::rng::Rng;

/// A workload, as named on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// YCSB A, update heavy: 50% read, 50% update, zipfian.
    A,
    /// YCSB B, read mostly: 95% read, 5% update, zipfian.
    B,
    /// YCSB C, read only: 100% read, zipfian.
    C,
    /// YCSB D, read latest: 95% read, 5% insert, latest.
    D,
    /// YCSB E, short ranges: 95% scan, 5% insert, zipfian.
    E,
    /// YCSB F, read-modify-write: 50% read, 50% read-modify-write, zipfian.
    F,
    /// PutItem overwriting existing records.
    Put,
    /// GetItem.
    Get,
    /// UpdateItem of one attribute.
    Update,
    /// Query of one partition key.
    Query,
    /// Short Scans.
    Scan,
    /// A stream consumer: every shard of the table's stream read from TRIM_HORIZON with
    /// GetRecords (Limit 1000) until the records stop.
    Stream,
}

/// One kind of operation the load generator issues; the unit of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operation {
    /// GetItem of an existing record.
    Read,
    /// UpdateItem setting one payload attribute of an existing record.
    Update,
    /// PutItem of a new record.
    Insert,
    /// PutItem replacing an existing record.
    Put,
    /// Scan of 1 to [`MAX_SCAN_LENGTH`] items starting after a chosen record.
    Scan,
    /// Query for one partition key.
    Query,
    /// GetItem, then an UpdateItem conditioned on the version that was read (optimistic
    /// concurrency: it fails with ConditionalCheckFailedException if another client wrote first).
    ReadModifyWrite,
    /// BatchWriteItem of up to 25 new records: the load phase, never part of a mix.
    Load,
    /// GetRecords of up to 1000 stream records: the `stream` workload.
    GetRecords,
}

/// YCSB's `maxscanlength`: scans read a uniform 1..=100 items.
pub const MAX_SCAN_LENGTH: u64 = 100;

impl Operation {
    /// Every operation, in report order.
    pub const ALL: [Operation; 9] = [
        Operation::Load,
        Operation::Read,
        Operation::Update,
        Operation::Insert,
        Operation::Put,
        Operation::Scan,
        Operation::Query,
        Operation::ReadModifyWrite,
        Operation::GetRecords,
    ];

    /// The name used in reports and in the JSON output's `op` field.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Read => "read",
            Operation::Update => "update",
            Operation::Insert => "insert",
            Operation::Put => "put",
            Operation::Scan => "scan",
            Operation::Query => "query",
            Operation::ReadModifyWrite => "read-modify-write",
            Operation::Load => "load",
            Operation::GetRecords => "get-records",
        }
    }

    /// The DynamoDB calls one operation makes, for the report's legend.
    pub fn calls(self) -> &'static str {
        match self {
            Operation::Read => "GetItem",
            Operation::Update => "UpdateItem",
            Operation::Insert | Operation::Put => "PutItem",
            Operation::Scan => "Scan",
            Operation::Query => "Query",
            Operation::ReadModifyWrite => "GetItem + UpdateItem",
            Operation::Load => "BatchWriteItem",
            Operation::GetRecords => "GetRecords",
        }
    }
}

impl Workload {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::A => "a",
            Workload::B => "b",
            Workload::C => "c",
            Workload::D => "d",
            Workload::E => "e",
            Workload::F => "f",
            Workload::Put => "put",
            Workload::Get => "get",
            Workload::Update => "update",
            Workload::Query => "query",
            Workload::Scan => "scan",
            Workload::Stream => "stream",
        }
    }

    /// The distribution YCSB's workload file names (`requestdistribution`), used unless the
    /// command line chooses another.
    pub fn default_distribution(self) -> Distribution {
        match self {
            Workload::D => Distribution::Latest,
            _ => Distribution::Zipfian,
        }
    }

    /// The operations and their proportions.
    pub fn mix(self) -> Mix {
        use Operation::*;
        let proportions: &[(Operation, f64)] = match self {
            Workload::A => &[(Read, 0.5), (Update, 0.5)],
            Workload::B => &[(Read, 0.95), (Update, 0.05)],
            Workload::C => &[(Read, 1.0)],
            Workload::D => &[(Read, 0.95), (Insert, 0.05)],
            Workload::E => &[(Scan, 0.95), (Insert, 0.05)],
            Workload::F => &[(Read, 0.5), (ReadModifyWrite, 0.5)],
            Workload::Put => &[(Put, 1.0)],
            Workload::Get => &[(Read, 1.0)],
            Workload::Update => &[(Update, 1.0)],
            Workload::Query => &[(Query, 1.0)],
            Workload::Scan => &[(Scan, 1.0)],
            Workload::Stream => &[(GetRecords, 1.0)],
        };
        Mix::new(proportions)
    }
}

/// Operations with cumulative proportions, drawn from with one uniform number.
#[derive(Debug, Clone)]
pub struct Mix {
    cumulative: Vec<(Operation, f64)>,
}

impl Mix {
    /// A mix of `proportions`, which must be positive and sum to 1.
    pub fn new(proportions: &[(Operation, f64)]) -> Self {
        let mut total = 0.0;
        let cumulative = proportions
            .iter()
            .map(|&(operation, share)| {
                assert!(share > 0.0, "{} has a non-positive share", operation.name());
                total += share;
                (operation, total)
            })
            .collect();
        assert!(
            (total - 1.0).abs() < 1e-9,
            "proportions sum to {total}, not 1"
        );
        Mix { cumulative }
    }

    /// The operations of the mix, in report order.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations: Vec<Operation> = self.cumulative.iter().map(|&(op, _)| op).collect();
        operations.sort();
        operations
    }

    /// Whether the mix creates records (and so moves the readable limit).
    pub fn inserts(&self) -> bool {
        self.cumulative
            .iter()
            .any(|&(op, _)| op == Operation::Insert)
    }

    /// The next operation to run.
    pub fn choose(&self, rng: &mut Rng) -> Operation {
        let draw = rng.unit();
        self.cumulative
            .iter()
            .find(|&&(_, bound)| draw < bound)
            .or(self.cumulative.last())
            .map(|&(operation, _)| operation)
            .expect("a mix has at least one operation")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_b_draws_reads_and_updates_in_ycsb_proportions() {
        let mix = Workload::B.mix();
        let mut rng = Rng::new(5);
        let updates = (0..100_000)
            .filter(|_| mix.choose(&mut rng) == Operation::Update)
            .count();
        // Expect 5,000; the standard deviation is about 69.
        assert!((4_650..=5_350).contains(&updates), "{updates} updates");
        assert_eq!(mix.operations(), vec![Operation::Read, Operation::Update]);
        assert!(!mix.inserts());
    }

    #[test]
    fn every_workload_has_a_valid_mix() {
        for workload in [
            Workload::A,
            Workload::B,
            Workload::C,
            Workload::D,
            Workload::E,
            Workload::F,
            Workload::Put,
            Workload::Get,
            Workload::Update,
            Workload::Query,
            Workload::Scan,
            Workload::Stream,
        ] {
            let mix = workload.mix();
            assert!(!mix.operations().is_empty(), "{}", workload.name());
        }
        assert!(Workload::D.mix().inserts() && Workload::E.mix().inserts());
        assert_eq!(Workload::D.default_distribution(), Distribution::Latest);
    }

    #[test]
    fn single_operation_mix_always_draws_it() {
        let mix = Workload::Get.mix();
        let mut rng = Rng::new(1);
        assert!((0..1000).all(|_| mix.choose(&mut rng) == Operation::Read));
    }
}
