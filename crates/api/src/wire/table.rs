//! Requests of the table operations: CreateTable, DescribeTable, ListTables, DeleteTable and
//! UpdateTable, and their index definitions.

use super::common::{
    AttributeDefinition, BillingMode, KeySchemaElement, OnDemandThroughput, Projection,
    ProvisionedThroughput, SseSpecification, StreamSpecification, Tag, WarmThroughput,
};
use crate::decode::presets;
use crate::decode::shape::wire_struct;

wire_struct! {
    /// A local secondary index to create with a table.
    pub struct LocalSecondaryIndex {
        /// The index name, 3 to 255 characters of `[a-zA-Z0-9_.-]`.
        "IndexName" index_name: required String = presets::INDEX_NAME,
        /// The table's partition key and the index's sort key.
        "KeySchema" key_schema: required Vec<KeySchemaElement> = presets::KEY_SCHEMA,
        /// The attributes copied into the index.
        "Projection" projection: required Projection,
    }
}

wire_struct! {
    /// A global secondary index to create with a table.
    pub struct GlobalSecondaryIndex {
        /// The index name, 3 to 255 characters of `[a-zA-Z0-9_.-]`.
        "IndexName" index_name: required String = presets::INDEX_NAME,
        /// The index's partition key and optional sort key.
        "KeySchema" key_schema: required Vec<KeySchemaElement> = presets::KEY_SCHEMA,
        /// The attributes copied into the index.
        "Projection" projection: required Projection,
        /// The index's capacity, for a `PROVISIONED` table.
        "ProvisionedThroughput" provisioned_throughput: optional ProvisionedThroughput,
        /// The index's on-demand ceiling.
        "OnDemandThroughput" on_demand_throughput: optional OnDemandThroughput,
        /// The index's warm throughput.
        "WarmThroughput" warm_throughput: optional WarmThroughput,
    }
}

wire_struct! {
    /// The CreateTable request.
    pub struct CreateTableInput {
        /// The types of the key attributes of the table and its indexes.
        "AttributeDefinitions" attribute_definitions: required Vec<AttributeDefinition>,
        /// The table's name.
        "TableName" table_name: named String = presets::TABLE_NAME,
        /// The table's partition key and optional sort key.
        "KeySchema" key_schema: required Vec<KeySchemaElement> = presets::KEY_SCHEMA,
        /// Up to 5 local secondary indexes.
        "LocalSecondaryIndexes" local_secondary_indexes: optional Vec<LocalSecondaryIndex>,
        /// Up to 20 global secondary indexes.
        "GlobalSecondaryIndexes" global_secondary_indexes: optional Vec<GlobalSecondaryIndex>,
        /// `PROVISIONED` (the default) or `PAY_PER_REQUEST`.
        "BillingMode" billing_mode: optional BillingMode,
        /// Required for `PROVISIONED`, forbidden for `PAY_PER_REQUEST`.
        "ProvisionedThroughput" provisioned_throughput: optional ProvisionedThroughput,
        /// The table's stream.
        "StreamSpecification" stream_specification: optional StreamSpecification,
        /// Server-side encryption.
        "SSESpecification" sse_specification: optional SseSpecification,
        /// Up to 50 tags.
        "Tags" tags: optional Vec<Tag>,
        /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`; kept as text because DynamoDB words an
        /// unknown class in its own message (see `TableClass::parse`).
        "TableClass" table_class: optional String,
        /// Whether DeleteTable is refused.
        "DeletionProtectionEnabled" deletion_protection_enabled: optional bool,
        /// Warm throughput.
        "WarmThroughput" warm_throughput: optional WarmThroughput,
        /// A resource-based policy document (JSON).
        "ResourcePolicy" resource_policy: optional String,
        /// The on-demand ceiling.
        "OnDemandThroughput" on_demand_throughput: optional OnDemandThroughput,
        /// The ARN of a table whose global-table settings to copy.
        "GlobalTableSourceArn" global_table_source_arn: optional String,
    }
}

wire_struct! {
    /// The DescribeTable request.
    pub struct DescribeTableInput {
        /// The table's name.
        "TableName" table_name: named String = presets::TABLE_NAME,
    }
}

wire_struct! {
    /// The DeleteTable request.
    pub struct DeleteTableInput {
        /// The table's name.
        "TableName" table_name: named String = presets::TABLE_NAME,
    }
}

wire_struct! {
    /// The ListTables request.
    pub struct ListTablesInput {
        /// Start after this name (the previous page's `LastEvaluatedTableName`).
        "ExclusiveStartTableName" exclusive_start_table_name: optional String = presets::TABLE_NAME_PATTERN,
        /// At most this many names, 1 to 100 (default 100).
        "Limit" limit: optional i32 = presets::LIST_TABLES_LIMIT,
    }
}

wire_struct! {
    /// Changes the capacity of a global secondary index.
    pub struct UpdateGlobalSecondaryIndexAction {
        /// The index.
        "IndexName" index_name: required String = presets::INDEX_NAME,
        /// Its new capacity.
        "ProvisionedThroughput" provisioned_throughput: optional ProvisionedThroughput,
        /// Its new on-demand ceiling.
        "OnDemandThroughput" on_demand_throughput: optional OnDemandThroughput,
        /// Its new warm throughput.
        "WarmThroughput" warm_throughput: optional WarmThroughput,
    }
}

wire_struct! {
    /// Creates a global secondary index on an existing table.
    pub struct CreateGlobalSecondaryIndexAction {
        /// The index name.
        "IndexName" index_name: required String = presets::INDEX_NAME,
        /// The index's key.
        "KeySchema" key_schema: required Vec<KeySchemaElement> = presets::KEY_SCHEMA,
        /// The attributes copied into the index.
        "Projection" projection: required Projection,
        /// Its capacity, for a `PROVISIONED` table.
        "ProvisionedThroughput" provisioned_throughput: optional ProvisionedThroughput,
        /// Its on-demand ceiling.
        "OnDemandThroughput" on_demand_throughput: optional OnDemandThroughput,
        /// Its warm throughput.
        "WarmThroughput" warm_throughput: optional WarmThroughput,
    }
}

wire_struct! {
    /// Deletes a global secondary index.
    pub struct DeleteGlobalSecondaryIndexAction {
        /// The index.
        "IndexName" index_name: required String = presets::INDEX_NAME,
    }
}

wire_struct! {
    /// One change to a table's global secondary indexes; exactly one member is set.
    pub struct GlobalSecondaryIndexUpdate {
        /// Change an index's capacity.
        "Update" update: optional UpdateGlobalSecondaryIndexAction,
        /// Create an index.
        "Create" create: optional CreateGlobalSecondaryIndexAction,
        /// Delete an index.
        "Delete" delete: optional DeleteGlobalSecondaryIndexAction,
    }
}

wire_struct! {
    /// The UpdateTable request. Replica, witness and multi-region members of the API are not
    /// decoded (they are ignored like unknown members).
    pub struct UpdateTableInput {
        /// Types of key attributes of indexes being created.
        "AttributeDefinitions" attribute_definitions: optional Vec<AttributeDefinition>,
        /// The table's name.
        "TableName" table_name: named String = presets::TABLE_NAME,
        /// The new billing mode.
        "BillingMode" billing_mode: optional BillingMode,
        /// The new capacity.
        "ProvisionedThroughput" provisioned_throughput: optional ProvisionedThroughput,
        /// Index changes.
        "GlobalSecondaryIndexUpdates" global_secondary_index_updates: optional Vec<GlobalSecondaryIndexUpdate>,
        /// Enable or disable the stream.
        "StreamSpecification" stream_specification: optional StreamSpecification,
        /// New encryption settings.
        "SSESpecification" sse_specification: optional SseSpecification,
        /// The new table class (text: see `CreateTableInput::table_class`).
        "TableClass" table_class: optional String,
        /// Turn deletion protection on or off.
        "DeletionProtectionEnabled" deletion_protection_enabled: optional bool,
        /// The new on-demand ceiling.
        "OnDemandThroughput" on_demand_throughput: optional OnDemandThroughput,
        /// The new warm throughput.
        "WarmThroughput" warm_throughput: optional WarmThroughput,
    }
}
