//! Consumed capacity and item collection metrics in responses, and how they are assembled
//! from the units an operation used.
//!
//! The unit arithmetic itself (4 KB read units, 1 KB write units, halved eventually consistent
//! reads) is `ferrodyn_model::size::{read_units, write_units}`; this file decides what a
//! response shows for `ReturnConsumedCapacity`:
//! - `NONE` or absent: nothing;
//! - `TOTAL`: `{"TableName": t, "CapacityUnits": total}`;
//! - `INDEXES`: the same, plus `Table` and each index touched, each `{"CapacityUnits": u}`.

use std::collections::BTreeMap;

use ferrodyn_model::Item;
use serde::Serialize;

use super::common::ReturnConsumedCapacity;

/// Capacity units of one table or index.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Capacity {
    /// Read capacity units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    /// Write capacity units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    /// Total capacity units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_units: Option<f64>,
}

/// The capacity an operation consumed, as a response reports it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConsumedCapacity {
    /// The table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// Total capacity units (table and indexes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_units: Option<f64>,
    /// Total read capacity units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<f64>,
    /// Total write capacity units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<f64>,
    /// The table's share (`INDEXES` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<Capacity>,
    /// Each local index's share (`INDEXES` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<BTreeMap<String, Capacity>>,
    /// Each global index's share (`INDEXES` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<BTreeMap<String, Capacity>>,
}

/// The size of the item collection (items sharing a partition key, on a table with local
/// indexes) a write touched.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ItemCollectionMetrics {
    /// The partition key of the collection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_key: Option<Item>,
    /// Lower and upper estimate of its size, in GB.
    #[serde(
        rename = "SizeEstimateRangeGB",
        skip_serializing_if = "Option::is_none"
    )]
    pub size_estimate_range_gb: Option<Vec<f64>>,
}

/// Capacity units an operation used on one table and its indexes: the input from which
/// [`Consumption::report`] builds the response member.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Consumption {
    /// Units on the table itself.
    pub table: f64,
    /// Units per local secondary index written or read.
    pub local_indexes: BTreeMap<String, f64>,
    /// Units per global secondary index written or read.
    pub global_indexes: BTreeMap<String, f64>,
}

impl Consumption {
    /// Units on the table only.
    pub fn table(units: f64) -> Consumption {
        Consumption {
            table: units,
            ..Consumption::default()
        }
    }

    /// Adds another operation's units on the same table (BatchGetItem and BatchWriteItem
    /// report one sum per table).
    pub fn add(&mut self, other: &Consumption) {
        self.table += other.table;
        for (name, units) in &other.local_indexes {
            *self.local_indexes.entry(name.clone()).or_default() += units;
        }
        for (name, units) in &other.global_indexes {
            *self.global_indexes.entry(name.clone()).or_default() += units;
        }
    }

    /// Units on the table and all its indexes.
    pub fn total(&self) -> f64 {
        self.table
            + self.local_indexes.values().sum::<f64>()
            + self.global_indexes.values().sum::<f64>()
    }

    /// What the response carries for `mode` (see the module documentation): `None` for
    /// `NONE` or an absent `ReturnConsumedCapacity`.
    pub fn report(
        &self,
        table_name: &str,
        mode: Option<ReturnConsumedCapacity>,
    ) -> Option<ConsumedCapacity> {
        let mode = mode.filter(|mode| *mode != ReturnConsumedCapacity::None)?;
        let mut consumed = ConsumedCapacity {
            table_name: Some(table_name.to_owned()),
            capacity_units: Some(self.total()),
            ..ConsumedCapacity::default()
        };
        if mode == ReturnConsumedCapacity::Indexes {
            let share = |units: f64| Capacity {
                capacity_units: Some(units),
                ..Capacity::default()
            };
            let shares = |indexes: &BTreeMap<String, f64>| {
                (!indexes.is_empty()).then(|| {
                    indexes
                        .iter()
                        .map(|(name, units)| (name.clone(), share(*units)))
                        .collect()
                })
            };
            consumed.table = Some(share(self.table));
            consumed.local_secondary_indexes = shares(&self.local_indexes);
            consumed.global_secondary_indexes = shares(&self.global_indexes);
        }
        Some(consumed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(value: &impl Serialize) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn none_and_absent_report_nothing() {
        let consumption = Consumption::table(1.0);
        assert_eq!(consumption.report("t", None), None);
        assert_eq!(
            consumption.report("t", Some(ReturnConsumedCapacity::None)),
            None
        );
    }

    #[test]
    fn total_reports_table_name_and_units() {
        let report = Consumption::table(0.5).report("Music", Some(ReturnConsumedCapacity::Total));
        assert_eq!(
            json(&report.unwrap()),
            r#"{"TableName":"Music","CapacityUnits":0.5}"#
        );
    }

    #[test]
    fn indexes_reports_each_share() {
        let mut consumption = Consumption::table(1.0);
        consumption.global_indexes.insert("byArtist".into(), 1.0);
        let report = consumption
            .report("Music", Some(ReturnConsumedCapacity::Indexes))
            .unwrap();
        assert_eq!(
            json(&report),
            r#"{"TableName":"Music","CapacityUnits":2.0,"Table":{"CapacityUnits":1.0},"GlobalSecondaryIndexes":{"byArtist":{"CapacityUnits":1.0}}}"#
        );
    }

    #[test]
    fn batch_consumption_adds_up_per_index() {
        let mut sum = Consumption::table(1.0);
        let mut other = Consumption::table(2.0);
        other.local_indexes.insert("lsi".into(), 1.0);
        sum.add(&other);
        sum.add(&other);
        assert_eq!(sum.table, 5.0);
        assert_eq!(sum.local_indexes["lsi"], 2.0);
        assert_eq!(sum.total(), 7.0);
    }

    #[test]
    fn item_collection_metrics_field_names() {
        let metrics = ItemCollectionMetrics {
            item_collection_key: Some(Item::new()),
            size_estimate_range_gb: Some(vec![0.0, 1.0]),
        };
        assert_eq!(
            json(&metrics),
            r#"{"ItemCollectionKey":{},"SizeEstimateRangeGB":[0.0,1.0]}"#
        );
    }
}
