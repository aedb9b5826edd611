//! Responses of the table operations and the `TableDescription` they carry.
//!
//! Every member is optional, as in the service model, and absent members are left out of the
//! JSON (never `null`). Times are seconds since the Unix epoch with a fraction, as DynamoDB
//! sends them (`1507246495.578`).

use serde::Serialize;

use super::common::{
    AttributeDefinition, BillingMode, KeySchemaElement, OnDemandThroughput, Projection, SseType,
    StreamSpecification, TableClass,
};
use crate::decode::shape::wire_enum;

wire_enum! {
    /// A table's state.
    pub enum TableStatus ["[CREATING, UPDATING, DELETING, ACTIVE, INACCESSIBLE_ENCRYPTION_CREDENTIALS, ARCHIVING, ARCHIVED]"] {
        /// Being created; not usable yet.
        Creating = "CREATING",
        /// Being changed; usable.
        Updating = "UPDATING",
        /// Being deleted.
        Deleting = "DELETING",
        /// Ready.
        Active = "ACTIVE",
        /// Its KMS key is unusable.
        InaccessibleEncryptionCredentials = "INACCESSIBLE_ENCRYPTION_CREDENTIALS",
        /// Being archived.
        Archiving = "ARCHIVING",
        /// Archived.
        Archived = "ARCHIVED",
    }
}

wire_enum! {
    /// A global secondary index's state.
    pub enum IndexStatus ["[CREATING, UPDATING, DELETING, ACTIVE]"] {
        /// Being created (and backfilled).
        Creating = "CREATING",
        /// Being changed.
        Updating = "UPDATING",
        /// Being deleted.
        Deleting = "DELETING",
        /// Ready.
        Active = "ACTIVE",
    }
}

wire_enum! {
    /// The state of server-side encryption.
    pub enum SseStatus ["[ENABLING, ENABLED, DISABLING, DISABLED, UPDATING]"] {
        /// Being enabled.
        Enabling = "ENABLING",
        /// Enabled.
        Enabled = "ENABLED",
        /// Being disabled.
        Disabling = "DISABLING",
        /// Disabled.
        Disabled = "DISABLED",
        /// Changing keys.
        Updating = "UPDATING",
    }
}

/// A table's provisioned capacity and its history.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProvisionedThroughputDescription {
    /// When capacity was last increased (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_increase_date_time: Option<f64>,
    /// When capacity was last decreased (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_decrease_date_time: Option<f64>,
    /// Decreases made during the current UTC day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_of_decreases_today: Option<i64>,
    /// Read capacity units (0 for an on-demand table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_capacity_units: Option<i64>,
    /// Write capacity units (0 for an on-demand table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_capacity_units: Option<i64>,
}

/// A table's billing mode.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BillingModeSummary {
    /// The mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<BillingMode>,
    /// When the table last switched to `PAY_PER_REQUEST` (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_to_pay_per_request_date_time: Option<f64>,
}

/// A local secondary index of a table.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndexDescription {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_name: Option<String>,
    /// Its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// The attributes it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<Projection>,
    /// Its size in bytes (updated about every six hours in DynamoDB).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_size_bytes: Option<i64>,
    /// Its number of items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_count: Option<i64>,
    /// Its ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_arn: Option<String>,
}

/// Warm throughput of a global secondary index.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexWarmThroughputDescription {
    /// Read units per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_units_per_second: Option<i64>,
    /// Write units per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_units_per_second: Option<i64>,
    /// Its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<IndexStatus>,
}

/// A global secondary index of a table.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndexDescription {
    /// Its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_name: Option<String>,
    /// Its key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// The attributes it holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection: Option<Projection>,
    /// Its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_status: Option<IndexStatus>,
    /// Whether it is still being filled from the table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backfilling: Option<bool>,
    /// Its capacity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughputDescription>,
    /// Its size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_size_bytes: Option<i64>,
    /// Its number of items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_count: Option<i64>,
    /// Its ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_arn: Option<String>,
    /// Its on-demand ceiling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// Its warm throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<GlobalSecondaryIndexWarmThroughputDescription>,
}

/// The state of a table's server-side encryption.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SseDescription {
    /// Its state.
    #[serde(rename = "Status", skip_serializing_if = "Option::is_none")]
    pub status: Option<SseStatus>,
    /// `KMS`.
    #[serde(rename = "SSEType", skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<SseType>,
    /// The KMS key's ARN.
    #[serde(rename = "KMSMasterKeyArn", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_arn: Option<String>,
    /// Since when the key has been inaccessible (epoch seconds).
    #[serde(
        rename = "InaccessibleEncryptionDateTime",
        skip_serializing_if = "Option::is_none"
    )]
    pub inaccessible_encryption_date_time: Option<f64>,
}

/// A table's storage class.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableClassSummary {
    /// The class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_class: Option<TableClass>,
    /// When it last changed (epoch seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_update_date_time: Option<f64>,
}

/// Where a restored table came from.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreSummary {
    /// The backup restored from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_backup_arn: Option<String>,
    /// The table restored from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_table_arn: Option<String>,
    /// The point in time restored to (epoch seconds).
    pub restore_date_time: f64,
    /// Whether the restore is still running.
    pub restore_in_progress: bool,
}

/// Warm throughput of a table.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableWarmThroughputDescription {
    /// Read units per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_units_per_second: Option<i64>,
    /// Write units per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub write_units_per_second: Option<i64>,
    /// Its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<TableStatus>,
}

/// Everything DescribeTable says about a table.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TableDescription {
    /// The types of the key attributes of the table and its indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute_definitions: Option<Vec<AttributeDefinition>>,
    /// The table's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// The table's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// Its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_status: Option<TableStatus>,
    /// When it was created (epoch seconds with a fraction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_date_time: Option<f64>,
    /// Its capacity (zeros for an on-demand table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provisioned_throughput: Option<ProvisionedThroughputDescription>,
    /// Its size in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_size_bytes: Option<i64>,
    /// Its number of items.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_count: Option<i64>,
    /// Its ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_arn: Option<String>,
    /// Its unique id (a UUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_id: Option<String>,
    /// Its billing mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode_summary: Option<BillingModeSummary>,
    /// Its local secondary indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_secondary_indexes: Option<Vec<LocalSecondaryIndexDescription>>,
    /// Its global secondary indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secondary_indexes: Option<Vec<GlobalSecondaryIndexDescription>>,
    /// Its stream settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_specification: Option<StreamSpecification>,
    /// The label of its latest stream (a timestamp).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_stream_label: Option<String>,
    /// The ARN of its latest stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_stream_arn: Option<String>,
    /// The global tables version, for a global table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_table_version: Option<String>,
    /// Where it was restored from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore_summary: Option<RestoreSummary>,
    /// Its encryption.
    #[serde(rename = "SSEDescription", skip_serializing_if = "Option::is_none")]
    pub sse_description: Option<SseDescription>,
    /// Its storage class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_class_summary: Option<TableClassSummary>,
    /// Whether DeleteTable is refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
    /// Its on-demand ceiling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_demand_throughput: Option<OnDemandThroughput>,
    /// Its warm throughput.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warm_throughput: Option<TableWarmThroughputDescription>,
}

/// The CreateTable response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTableOutput {
    /// The new table (status `CREATING` or `ACTIVE`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_description: Option<TableDescription>,
}

/// The DescribeTable response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTableOutput {
    /// The table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<TableDescription>,
}

/// The DeleteTable response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteTableOutput {
    /// The table as it was, with status `DELETING`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_description: Option<TableDescription>,
}

/// The UpdateTable response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateTableOutput {
    /// The table after the change was accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_description: Option<TableDescription>,
}

/// The ListTables response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTablesOutput {
    /// Table names in ascending order (always present, possibly empty).
    pub table_names: Vec<String>,
    /// The last name of this page when there are more; pass it as `ExclusiveStartTableName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_table_name: Option<String>,
}
