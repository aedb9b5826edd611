//! A table's `TableDescription`, as DescribeTable, CreateTable, UpdateTable and DeleteTable
//! answer it.

use ferrodyn_api::arn::ResourceArn;
use ferrodyn_api::wire::{
    AttributeDefinition, BillingMode, BillingModeSummary, GlobalSecondaryIndexDescription,
    IndexStatus, KeySchemaElement, KeyType, LocalSecondaryIndexDescription, OnDemandThroughput,
    Projection, ProjectionType, ProvisionedThroughputDescription, ScalarAttributeType,
    SseDescription, SseStatus, SseType, StreamSpecification, StreamViewType, TableClass,
    TableClassSummary, TableDescription, TableStatus,
};

use crate::catalog::{Billing, IndexRecord, Table, TableRecord};
use crate::clock;
use crate::table_ops::decreases_today;
use crate::writer::PartitionStats;

/// Where ARNs point: the region and account this node reports.
#[derive(Debug, Clone)]
pub struct Location {
    /// Region, e.g. `us-east-1`.
    pub region: String,
    /// Account id, twelve digits.
    pub account: String,
}

impl Location {
    /// The ARN of table `name`.
    pub fn table_arn(&self, name: &str) -> ResourceArn {
        ResourceArn::table(&self.region, &self.account, name)
    }
}

/// The description of `table` in `status`.
pub fn describe(table: &Table, status: TableStatus, location: &Location) -> TableDescription {
    let record = table.record.read();
    describe_record(&record, status, location, &table.stats())
}

/// The description of a table with `record` and statistics `stats`.
pub fn describe_record(
    record: &TableRecord,
    status: TableStatus,
    location: &Location,
    stats: &PartitionStats,
) -> TableDescription {
    let (items, bytes) = (stats.items(), stats.bytes());
    let arn = location.table_arn(&record.name);
    let billing = &record.billing;
    let local_indexes = (!record.local_indexes.is_empty()).then(|| {
        record
            .local_indexes
            .iter()
            .map(|index| LocalSecondaryIndexDescription {
                index_name: Some(index.name.clone()),
                key_schema: Some(key_schema(&index.hash_key, index.range_key.as_deref())),
                projection: Some(projection(index)),
                index_size_bytes: Some(stats.of(index.id).bytes),
                item_count: Some(stats.of(index.id).items),
                index_arn: Some(arn.index(&index.name).to_string()),
            })
            .collect()
    });
    let global_indexes = (!record.global_indexes.is_empty()).then(|| {
        record
            .global_indexes
            .iter()
            .map(|index| GlobalSecondaryIndexDescription {
                index_name: Some(index.name.clone()),
                key_schema: Some(key_schema(&index.hash_key, index.range_key.as_deref())),
                projection: Some(projection(index)),
                index_status: Some(if index.backfilling {
                    IndexStatus::Creating
                } else {
                    IndexStatus::Active
                }),
                backfilling: index.backfilling.then_some(true),
                provisioned_throughput: Some(ProvisionedThroughputDescription {
                    number_of_decreases_today: Some(0),
                    read_capacity_units: Some(index.throughput.map_or(0, |t| t.0)),
                    write_capacity_units: Some(index.throughput.map_or(0, |t| t.1)),
                    ..ProvisionedThroughputDescription::default()
                }),
                index_size_bytes: Some(stats.of(index.id).bytes),
                item_count: Some(stats.of(index.id).items),
                index_arn: Some(arn.index(&index.name).to_string()),
                on_demand_throughput: index.on_demand.map(on_demand),
                ..GlobalSecondaryIndexDescription::default()
            })
            .collect()
    });
    let stream = record.streams.last();
    TableDescription {
        attribute_definitions: Some(
            record
                .attribute_definitions
                .iter()
                .map(|(name, scalar)| AttributeDefinition {
                    attribute_name: name.clone(),
                    attribute_type: ScalarAttributeType::parse(scalar)
                        .expect("stored attribute types are S, N or B"),
                })
                .collect(),
        ),
        table_name: Some(record.name.clone()),
        key_schema: Some(key_schema(&record.hash_key, record.range_key.as_deref())),
        table_status: Some(status),
        creation_date_time: Some(record.created_at),
        provisioned_throughput: Some(throughput(billing)),
        table_size_bytes: Some(bytes),
        item_count: Some(items),
        table_arn: Some(arn.to_string()),
        table_id: Some(record.uuid.clone()),
        billing_mode_summary: billing_summary(billing),
        local_secondary_indexes: local_indexes,
        global_secondary_indexes: global_indexes,
        stream_specification: stream.filter(|s| s.enabled()).map(|s| StreamSpecification {
            stream_enabled: true,
            stream_view_type: StreamViewType::parse(&s.view_type),
        }),
        latest_stream_label: stream.map(|s| s.label.clone()),
        latest_stream_arn: stream.map(|s| arn.stream(&s.label).to_string()),
        sse_description: record.sse.as_ref().map(|sse| SseDescription {
            status: Some(SseStatus::Enabled),
            sse_type: SseType::parse(&sse.sse_type),
            kms_master_key_arn: Some(sse.kms_key_arn.clone()),
            ..SseDescription::default()
        }),
        table_class_summary: record
            .table_class
            .as_deref()
            .and_then(TableClass::parse)
            .map(|class| TableClassSummary {
                table_class: Some(class),
                ..TableClassSummary::default()
            }),
        deletion_protection_enabled: Some(record.deletion_protection),
        on_demand_throughput: record.on_demand.map(on_demand),
        ..TableDescription::default()
    }
}

pub(crate) fn key_schema(hash: &str, range: Option<&str>) -> Vec<KeySchemaElement> {
    let mut schema = vec![KeySchemaElement {
        attribute_name: hash.to_owned(),
        key_type: KeyType::Hash,
    }];
    if let Some(range) = range {
        schema.push(KeySchemaElement {
            attribute_name: range.to_owned(),
            key_type: KeyType::Range,
        });
    }
    schema
}

fn projection(index: &IndexRecord) -> Projection {
    Projection {
        projection_type: ProjectionType::parse(&index.projection_type),
        non_key_attributes: index.non_key_attributes.clone(),
    }
}

fn throughput(billing: &Billing) -> ProvisionedThroughputDescription {
    ProvisionedThroughputDescription {
        last_increase_date_time: billing.last_increase,
        last_decrease_date_time: billing.last_decrease,
        number_of_decreases_today: Some(decreases_today(billing, clock::now_seconds())),
        read_capacity_units: Some(billing.read_capacity),
        write_capacity_units: Some(billing.write_capacity),
    }
}

fn billing_summary(billing: &Billing) -> Option<BillingModeSummary> {
    if billing.pay_per_request {
        Some(BillingModeSummary {
            billing_mode: Some(BillingMode::PayPerRequest),
            last_update_to_pay_per_request_date_time: billing.last_switch_to_pay_per_request,
        })
    } else if billing.billing_mode_explicit {
        Some(BillingModeSummary {
            billing_mode: Some(BillingMode::Provisioned),
            last_update_to_pay_per_request_date_time: billing.last_switch_to_pay_per_request,
        })
    } else {
        None
    }
}

fn on_demand((read, write): (Option<i64>, Option<i64>)) -> OnDemandThroughput {
    OnDemandThroughput {
        max_read_request_units: read,
        max_write_request_units: write,
    }
}
