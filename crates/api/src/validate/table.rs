//! Rules of CreateTable and UpdateTable: billing, key schemas and attribute definitions,
//! indexes, streams, encryption, table class and tags.

use std::collections::{BTreeSet, HashSet};

use super::{invalid, tag};
use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::{
    AttributeDefinition, BillingMode, CreateTableInput, KeySchemaElement, KeyType,
    OnDemandThroughput, Projection, ProjectionType, ProvisionedThroughput, SseSpecification,
    SseType, StreamSpecification, TableClass, UpdateTableInput,
};

/// Local secondary indexes per table.
pub const LOCAL_SECONDARY_INDEXES_MAX: usize = 5;
/// Global secondary indexes per table.
pub const GLOBAL_SECONDARY_INDEXES_MAX: usize = 20;
/// `NonKeyAttributes` summed over all of a table's `INCLUDE` indexes (the Projection reference:
/// an attribute projected into two indexes counts twice).
pub const NON_KEY_ATTRIBUTES_TOTAL_MAX: usize = 100;
/// Capacity units one table may provision.
pub const CAPACITY_UNITS_MAX: i64 = 1_000_000_000_000;

/// CreateTable, in DynamoDB's order: billing and capacity, attribute definitions and the key
/// schema, local then global indexes, the attributes they project together, unused
/// definitions, stream, encryption, table class, tags, on-demand ceilings.
pub(crate) fn create_table(
    input: &CreateTableInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    let on_demand = input.billing_mode == Some(BillingMode::PayPerRequest);
    match (&input.provisioned_throughput, on_demand) {
        (Some(_), true) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when \
                 BillingMode is PAY_PER_REQUEST",
            ));
        }
        (None, false) => {
            return Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when \
                 BillingMode is PROVISIONED",
            ));
        }
        (Some(throughput), false) => capacity_bounds(throughput)?,
        (None, true) => {}
    }
    let definitions: Vec<&str> = input
        .attribute_definitions
        .iter()
        .map(|d| d.attribute_name.as_str())
        .collect();
    duplicate_definitions(&input.attribute_definitions)?;
    let keys: Vec<&str> = input
        .key_schema
        .iter()
        .map(|k| k.attribute_name.as_str())
        .collect();
    if keys.len() > definitions.len() {
        return Err(ApiError::validation(
            "Invalid KeySchema: Some index key attribute have no definition",
        ));
    }
    keys_defined(&keys, &definitions)?;
    key_schema_order(&input.key_schema)?;
    let lsis = input.local_secondary_indexes.as_deref();
    let gsis = input.global_secondary_indexes.as_deref();
    if lsis.is_none() && gsis.is_none() && keys.len() != definitions.len() {
        return Err(invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes \
             defined in AttributeDefinitions",
        ));
    }
    let mut index_names = HashSet::new();
    let mut keys_used: BTreeSet<&str> = keys.iter().copied().collect();
    if let Some(lsis) = lsis {
        if lsis.is_empty() {
            return Err(invalid("List of LocalSecondaryIndexes is empty"));
        }
        if input.key_schema.len() != 2 {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a \
                 LocalSecondaryIndex",
            ));
        }
        let table_hash = keys[0];
        for lsi in lsis {
            let index_keys = index_key_schema(&lsi.key_schema, &definitions)?;
            if lsi.key_schema.len() != 2 {
                return Err(invalid(format!(
                    "Index KeySchema does not have a range key for index: {}",
                    lsi.index_name
                )));
            }
            if index_keys[0] != table_hash {
                return Err(invalid(format!(
                    "Index KeySchema does not have the same leading hash key as table KeySchema \
                     for index: {}. index hash key: {}, table hash key: {table_hash}",
                    lsi.index_name, index_keys[0]
                )));
            }
            projection(&lsi.projection)?;
            if !index_names.insert(lsi.index_name.as_str()) {
                return Err(invalid(format!("Duplicate index name: {}", lsi.index_name)));
            }
            keys_used.extend(index_keys);
        }
        if lsis.len() > LOCAL_SECONDARY_INDEXES_MAX {
            return Err(invalid(format!(
                "Number of LocalSecondaryIndexes exceeds per-table limit of \
                 {LOCAL_SECONDARY_INDEXES_MAX}"
            )));
        }
    }
    if let Some(gsis) = gsis {
        if gsis.is_empty() {
            return Err(invalid("List of GlobalSecondaryIndexes is empty"));
        }
        for gsi in gsis {
            let index_keys = index_key_schema(&gsi.key_schema, &definitions)?;
            projection(&gsi.projection)?;
            match (&gsi.provisioned_throughput, on_demand) {
                (Some(_), true) => {
                    return Err(invalid(format!(
                        "ProvisionedThroughput should not be specified for index: {} when \
                         BillingMode is PAY_PER_REQUEST",
                        gsi.index_name
                    )));
                }
                (None, false) => {
                    return Err(invalid(format!(
                        "ProvisionedThroughput is not specified for index: {}",
                        gsi.index_name
                    )));
                }
                (Some(throughput), false) => capacity_bounds(throughput)?,
                (None, true) => {}
            }
            if !index_names.insert(gsi.index_name.as_str()) {
                return Err(invalid(format!("Duplicate index name: {}", gsi.index_name)));
            }
            keys_used.extend(index_keys);
        }
        if gsis.len() > GLOBAL_SECONDARY_INDEXES_MAX {
            return Err(invalid(format!(
                "GlobalSecondaryIndex count exceeds the per-table limit of \
                 {GLOBAL_SECONDARY_INDEXES_MAX}"
            )));
        }
    }
    let projected: usize = lsis
        .into_iter()
        .flatten()
        .map(|lsi| &lsi.projection)
        .chain(gsis.into_iter().flatten().map(|gsi| &gsi.projection))
        .filter_map(|projection| projection.non_key_attributes.as_ref())
        .map(Vec::len)
        .sum();
    if projected > NON_KEY_ATTRIBUTES_TOTAL_MAX {
        return Err(ApiError::too_many_projected_attributes());
    }
    if definitions.iter().any(|name| !keys_used.contains(name)) {
        let defined: BTreeSet<&str> = definitions.iter().copied().collect();
        return Err(invalid(format!(
            "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
            defined.into_iter().collect::<Vec<_>>().join(", "),
            keys_used.into_iter().collect::<Vec<_>>().join(", ")
        )));
    }
    if let Some(stream) = &input.stream_specification {
        stream_on_create(stream)?;
    }
    if let Some(sse) = &input.sse_specification {
        sse_specification(sse)?;
    }
    if let Some(class) = &input.table_class {
        table_class(class)?;
    }
    if let Some(list) = &input.tags {
        tag::tags(list)?;
    }
    if let Some(ceiling) = &input.on_demand_throughput {
        on_demand_throughput(ceiling, !on_demand)?;
    }
    Ok(())
}

/// UpdateTable, in DynamoDB's order: something to change, changes that must come alone,
/// billing and capacity, index updates (at most one creation or deletion), stream, encryption,
/// table class, on-demand ceilings.
pub(crate) fn update_table(
    input: &UpdateTableInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    let changes = [
        input.provisioned_throughput.is_some(),
        input.billing_mode.is_some(),
        input.stream_specification.is_some(),
        input.global_secondary_index_updates.is_some(),
        input.sse_specification.is_some(),
        input.deletion_protection_enabled.is_some(),
        input.on_demand_throughput.is_some(),
        input.warm_throughput.is_some(),
        input.table_class.is_some(),
    ];
    let change_count = changes.iter().filter(|&&change| change).count();
    if change_count == 0 {
        return Err(ApiError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, \
             GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, \
             MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, \
             DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is \
             required",
        ));
    }
    if change_count > 1 {
        if input.sse_specification.is_some() {
            return Err(invalid(
                "Server-Side Encryption modification must be the only operation in the request",
            ));
        }
        if input.table_class.is_some() {
            return Err(invalid(
                "TableClass modification must be the only operation in the request",
            ));
        }
        if input.deletion_protection_enabled.is_some() {
            return Err(invalid(
                "DeletionProtection modification must be the only operation in the request",
            ));
        }
    }
    let on_demand = input.billing_mode == Some(BillingMode::PayPerRequest);
    match (&input.provisioned_throughput, input.billing_mode) {
        (Some(_), Some(BillingMode::PayPerRequest)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when \
                 BillingMode is PAY_PER_REQUEST",
            ));
        }
        (None, Some(BillingMode::Provisioned)) => {
            return Err(invalid(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            ));
        }
        (Some(throughput), _) => capacity_bounds(throughput)?,
        _ => {}
    }
    let index_changes = input
        .global_secondary_index_updates
        .as_deref()
        .is_some_and(|updates| {
            updates
                .iter()
                .any(|update| update.create.is_some() || update.delete.is_some())
        });
    if index_changes && input.provisioned_throughput.is_some() {
        return Err(invalid(
            "You cannot create or delete index while updating table IOPS",
        ));
    }
    if input.stream_specification.is_some() && input.provisioned_throughput.is_some() {
        return Err(invalid(
            "You cannot modify stream status while updating table IOPS",
        ));
    }
    if index_changes && input.stream_specification.is_some() {
        return Err(invalid(
            "You cannot create or delete index while changing stream status",
        ));
    }
    if let Some(updates) = &input.global_secondary_index_updates {
        if updates.is_empty() {
            return Err(invalid("List of GlobalSecondaryIndexUpdates is empty"));
        }
        let mut names = HashSet::new();
        for update in updates {
            let actions = [
                update.update.is_some(),
                update.create.is_some(),
                update.delete.is_some(),
            ];
            let name = match (&update.update, &update.create, &update.delete) {
                (Some(action), None, None) => &action.index_name,
                (None, Some(action), None) => &action.index_name,
                (None, None, Some(action)) => &action.index_name,
                _ if actions.iter().all(|set| !set) => {
                    return Err(invalid(
                        "One of GlobalSecondaryIndexUpdate.Update, \
                         GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete \
                         must not be null",
                    ));
                }
                _ => {
                    return Err(invalid(
                        "Only one global secondary index action is allowed per \
                         GlobalSecondaryIndexUpdate object",
                    ));
                }
            };
            if !names.insert(name.as_str()) {
                return Err(invalid(format!(
                    "Only one global secondary index update per index is allowed \
                     simultaneously. Index: {name}"
                )));
            }
            if let Some(create) = &update.create {
                // A new index's keys are typed by this request's definitions, not the table's.
                let Some(definitions) = &input.attribute_definitions else {
                    return Err(invalid(format!(
                        "AttributeDefinitions is not specified for index: {name}"
                    )));
                };
                duplicate_definitions(definitions)?;
                let defined: Vec<&str> = definitions
                    .iter()
                    .map(|d| d.attribute_name.as_str())
                    .collect();
                index_key_schema(&create.key_schema, &defined)?;
                projection(&create.projection)?;
                if create.provisioned_throughput.is_some() && on_demand {
                    return Err(ApiError::index_throughput_on_demand(name));
                }
            }
            let throughput = update
                .create
                .as_ref()
                .and_then(|create| create.provisioned_throughput.as_ref())
                .or(update
                    .update
                    .as_ref()
                    .and_then(|u| u.provisioned_throughput.as_ref()));
            if let Some(throughput) = throughput {
                capacity_bounds(throughput)?;
            }
        }
        // DynamoDB builds or drops one global index at a time per table.
        let online = updates
            .iter()
            .filter(|update| update.create.is_some() || update.delete.is_some())
            .count();
        if online > 1 {
            return Err(ApiError::online_index_limit());
        }
    }
    if let Some(stream) = &input.stream_specification {
        match (stream.stream_enabled, stream.stream_view_type) {
            (true, None) => {
                return Err(invalid(
                    "If stream is being enabled then UpdateViewType is required",
                ));
            }
            (false, Some(_)) => {
                return Err(invalid(
                    "If stream is being disabled, then UpdateViewType must not be specified",
                ));
            }
            _ => {}
        }
    }
    if let Some(sse) = &input.sse_specification {
        sse_specification(sse)?;
    }
    if let Some(class) = &input.table_class {
        table_class(class)?;
    }
    if let Some(ceiling) = &input.on_demand_throughput {
        on_demand_throughput(
            ceiling,
            input.billing_mode == Some(BillingMode::Provisioned),
        )?;
    }
    Ok(())
}

/// Capacity units above DynamoDB's ceiling.
fn capacity_bounds(throughput: &ProvisionedThroughput) -> Result<(), ApiError> {
    for (name, units) in [
        ("ReadCapacityUnits", throughput.read_capacity_units),
        ("WriteCapacityUnits", throughput.write_capacity_units),
    ] {
        if units > CAPACITY_UNITS_MAX {
            return Err(ApiError::validation(format!(
                "Given value {units} for {name} is out of bounds"
            )));
        }
    }
    Ok(())
}

/// An attribute defined twice.
fn duplicate_definitions(definitions: &[AttributeDefinition]) -> Result<(), ApiError> {
    let mut seen = HashSet::new();
    for definition in definitions {
        if !seen.insert(definition.attribute_name.as_str()) {
            return Err(ApiError::validation(format!(
                "Attribute Name is duplicated: {}",
                definition.attribute_name
            )));
        }
    }
    Ok(())
}

/// Every key attribute has a definition.
fn keys_defined(keys: &[&str], definitions: &[&str]) -> Result<(), ApiError> {
    if keys.iter().any(|key| !definitions.contains(key)) {
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], \
             AttributeDefinitions: [{}]",
            keys.join(", "),
            definitions.join(", ")
        )));
    }
    Ok(())
}

/// A hash key first, an optional range key second, with different names.
fn key_schema_order(schema: &[KeySchemaElement]) -> Result<(), ApiError> {
    if let [first, second] = schema
        && first.attribute_name == second.attribute_name
    {
        return Err(ApiError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if schema
        .first()
        .is_some_and(|first| first.key_type != KeyType::Hash)
    {
        return Err(ApiError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if schema
        .get(1)
        .is_some_and(|second| second.key_type != KeyType::Range)
    {
        return Err(ApiError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    Ok(())
}

/// An index's key schema: defined attributes in hash-then-range order. Returns the key names.
fn index_key_schema<'a>(
    schema: &'a [KeySchemaElement],
    definitions: &[&str],
) -> Result<Vec<&'a str>, ApiError> {
    let keys: Vec<&str> = schema.iter().map(|k| k.attribute_name.as_str()).collect();
    keys_defined(&keys, definitions)?;
    key_schema_order(schema)?;
    Ok(keys)
}

/// A projection type is given, and `NonKeyAttributes` go with `INCLUDE` only, without repeats.
fn projection(projection: &Projection) -> Result<(), ApiError> {
    let Some(projection_type) = projection.projection_type else {
        return Err(invalid("Unknown ProjectionType: null"));
    };
    match (&projection.non_key_attributes, projection_type) {
        (Some(_), ProjectionType::All | ProjectionType::KeysOnly) => Err(invalid(format!(
            "ProjectionType is {projection_type}, but NonKeyAttributes is specified"
        ))),
        (None, ProjectionType::Include) => Err(invalid(
            "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
        )),
        (Some(attributes), ProjectionType::Include) => {
            let mut seen = HashSet::new();
            match attributes.iter().find(|name| !seen.insert(name.as_str())) {
                Some(name) => Err(invalid(format!(
                    "Duplicate element in NonKeyAttributes: {name}"
                ))),
                None => Ok(()),
            }
        }
        (None, _) => Ok(()),
    }
}

/// A stream being created enabled needs a view type; a disabled one must not have one.
fn stream_on_create(stream: &StreamSpecification) -> Result<(), ApiError> {
    match (stream.stream_enabled, stream.stream_view_type) {
        (true, None) => Err(invalid(
            "Table is being created with a stream enabled, UpdateViewType is required",
        )),
        (false, Some(_)) => Err(invalid(
            "Table is being created with a stream disabled, UpdateViewType should not be specified",
        )),
        _ => Ok(()),
    }
}

/// Encryption settings that contradict each other.
fn sse_specification(sse: &SseSpecification) -> Result<(), ApiError> {
    if sse.enabled == Some(false) {
        if sse.sse_type.is_some() {
            return Err(invalid("SSEType can not be specified if Enabled is false"));
        }
        if sse.kms_master_key_id.is_some() {
            return Err(invalid(
                "KMSMasterKeyId can not be specified if Enabled is false",
            ));
        }
    }
    if sse.sse_type == Some(SseType::Aes256) {
        return Err(invalid("SSEType AES256 is not supported"));
    }
    if sse.kms_master_key_id.is_some() && sse.sse_type != Some(SseType::Kms) {
        return Err(invalid(
            "SSEType KMS is required if KMSMasterKeyId is specified",
        ));
    }
    Ok(())
}

/// A known table class.
fn table_class(class: &str) -> Result<(), ApiError> {
    match TableClass::parse(class) {
        Some(_) => Ok(()),
        None => Err(ApiError::validation(
            "Invalid table-class parameter provided. Please try again with a valid table-class \
             value: [STANDARD, STANDARD_INFREQUENT_ACCESS].",
        )),
    }
}

/// On-demand ceilings: not on a provisioned table, and positive (or -1: no ceiling).
fn on_demand_throughput(ceiling: &OnDemandThroughput, provisioned: bool) -> Result<(), ApiError> {
    for (name, units) in [
        ("MaxReadRequestUnits", ceiling.max_read_request_units),
        ("MaxWriteRequestUnits", ceiling.max_write_request_units),
    ] {
        let Some(units) = units else { continue };
        if provisioned {
            return Err(invalid(format!(
                "{name} for OnDemandThroughput cannot be specified when the table BillingMode \
                 is PROVISIONED"
            )));
        }
        if units < 1 && units != -1 {
            return Err(invalid(format!(
                "Requested {name} for OnDemandThroughput for table is outside of valid range"
            )));
        }
    }
    Ok(())
}
