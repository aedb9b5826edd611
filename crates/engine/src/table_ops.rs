//! The control plane: CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable, the
//! tagging operations, DescribeLimits and DescribeEndpoints.
//!
//! Tables are created and changed at once: CreateTable answers `CREATING` (as DynamoDB does) but
//! the table is usable as soon as the call returns, and DescribeTable already shows `ACTIVE`.
//! DeleteTable answers `DELETING`; the table is gone when the call returns and its data is
//! dropped (a range deletion) after every write already queued on it.

use std::sync::Arc;

use ferrodyn_api::arn::{ResourceArn, ResourceKind};
use ferrodyn_api::wire::*;
use ferrodyn_api::{ApiError, ApiResult, TAGS_MAX, too_many_tags};
use tokio::sync::oneshot;

use crate::Database;
use crate::catalog::{Billing, CatalogError, IndexRecord, SseRecord, StreamRecord, TableRecord};
use crate::clock;
use crate::describe::describe;
use crate::replicate::{CommitError, Scope};

/// Decreases of a table's provisioned throughput allowed at any time of a UTC day.
const DECREASES_PER_DAY: i64 = 4;
/// After those, one more decrease whenever the last was at least this long ago (seconds).
const DECREASE_INTERVAL_S: f64 = 3600.0;

/// Decreases of the provisioned throughput made on the UTC day of `now` (the count restarts at
/// midnight UTC).
pub(crate) fn decreases_today(billing: &Billing, now: f64) -> i64 {
    match billing.last_decrease {
        Some(last) if clock::same_utc_day(last, now) => billing.decreases_today,
        _ => 0,
    }
}

/// Read capacity units the account may provision in all (DescribeLimits).
const ACCOUNT_MAX_READ_CAPACITY_UNITS: i64 = 80_000;
/// Write capacity units the account may provision in all (DescribeLimits).
const ACCOUNT_MAX_WRITE_CAPACITY_UNITS: i64 = 80_000;
/// Read capacity units one table may provision (DescribeLimits; DynamoDB's default quota).
const TABLE_MAX_READ_CAPACITY_UNITS: i64 = 40_000;
/// Write capacity units one table may provision (DescribeLimits; DynamoDB's default quota).
const TABLE_MAX_WRITE_CAPACITY_UNITS: i64 = 40_000;

impl Database {
    /// CreateTable.
    pub fn create_table(&self, input: CreateTableInput) -> ApiResult<CreateTableOutput> {
        let now = clock::now_seconds();
        let pay_per_request = input.billing_mode == Some(BillingMode::PayPerRequest);
        let throughput = input.provisioned_throughput.as_ref();
        if let Some(throughput) = throughput.filter(|_| !pay_per_request) {
            self.within_table_maximum(
                throughput.read_capacity_units,
                throughput.write_capacity_units,
            )?;
        }
        let billing = Billing {
            pay_per_request,
            read_capacity: if pay_per_request {
                0
            } else {
                throughput.map_or(0, |t| t.read_capacity_units)
            },
            write_capacity: if pay_per_request {
                0
            } else {
                throughput.map_or(0, |t| t.write_capacity_units)
            },
            last_increase: None,
            last_decrease: None,
            decreases_today: 0,
            last_switch_to_pay_per_request: pay_per_request.then_some(now),
            last_billing_switch: None,
            billing_mode_explicit: input.billing_mode.is_some(),
        };
        let key_of = |schema: &[KeySchemaElement], kind: KeyType| {
            schema
                .iter()
                .find(|e| e.key_type == kind)
                .map(|e| e.attribute_name.clone())
        };
        let hash_key = key_of(&input.key_schema, KeyType::Hash)
            .ok_or_else(|| ApiError::internal("validated key schema has a hash key"))?;
        let range_key = key_of(&input.key_schema, KeyType::Range);
        let index =
            |name: &str, schema: &[KeySchemaElement], projection: &Projection| IndexRecord {
                id: 0,
                name: name.to_owned(),
                hash_key: key_of(schema, KeyType::Hash).unwrap_or_default(),
                range_key: key_of(schema, KeyType::Range),
                projection_type: projection
                    .projection_type
                    .unwrap_or(ProjectionType::All)
                    .as_str()
                    .to_owned(),
                non_key_attributes: projection.non_key_attributes.clone(),
                throughput: None,
                on_demand: None,
                backfilling: false,
                filled: Vec::new(),
            };
        let local_indexes: Vec<IndexRecord> = input
            .local_secondary_indexes
            .iter()
            .flatten()
            .map(|lsi| index(&lsi.index_name, &lsi.key_schema, &lsi.projection))
            .collect();
        let global_indexes: Vec<IndexRecord> = input
            .global_secondary_indexes
            .iter()
            .flatten()
            .map(|gsi| IndexRecord {
                throughput: (!pay_per_request).then(|| {
                    gsi.provisioned_throughput
                        .as_ref()
                        .map_or((0, 0), |t| (t.read_capacity_units, t.write_capacity_units))
                }),
                on_demand: gsi
                    .on_demand_throughput
                    .as_ref()
                    .map(|t| (t.max_read_request_units, t.max_write_request_units)),
                ..index(&gsi.index_name, &gsi.key_schema, &gsi.projection)
            })
            .collect();
        let streams: Vec<StreamRecord> = input
            .stream_specification
            .as_ref()
            .filter(|s| s.stream_enabled)
            .map(|s| new_stream(0, s.stream_view_type, now))
            .into_iter()
            .collect();
        // Index ids: 1, 2, ... in definition order (0 is the table itself).
        let mut next_index_id = 1;
        let mut number = |mut index: IndexRecord| {
            index.id = next_index_id;
            next_index_id += 1;
            index
        };
        let local_indexes: Vec<IndexRecord> = local_indexes.into_iter().map(&mut number).collect();
        let global_indexes: Vec<IndexRecord> =
            global_indexes.into_iter().map(&mut number).collect();
        let record = TableRecord {
            partitions: self.table_partitions,
            next_index_id,
            format: 0,
            id: 0,
            name: input.table_name.clone(),
            uuid: clock::uuid_v4(),
            created_at: now,
            attribute_definitions: input
                .attribute_definitions
                .iter()
                .map(|d| {
                    (
                        d.attribute_name.clone(),
                        d.attribute_type.as_str().to_owned(),
                    )
                })
                .collect(),
            hash_key,
            range_key,
            billing,
            local_indexes,
            global_indexes,
            streams,
            ttl: None,
            sse: sse_record(input.sse_specification.as_ref(), &self.location),
            table_class: input.table_class.clone(),
            deletion_protection: input.deletion_protection_enabled.unwrap_or(false),
            on_demand: input
                .on_demand_throughput
                .as_ref()
                .map(|t| (t.max_read_request_units, t.max_write_request_units)),
            tags: input
                .tags
                .iter()
                .flatten()
                .map(|t| (t.key.clone(), t.value.clone()))
                .collect(),
        };
        let table = match self.catalog.create(record) {
            Ok(table) => table,
            Err(CatalogError::Exists) => {
                return Err(ApiError::table_already_exists(&input.table_name));
            }
            Err(error) => return Err(catalog_failed(error)),
        };
        tracing::info!(table = %table.name, id = table.id, "created table");
        Ok(CreateTableOutput {
            table_description: Some(describe(&table, TableStatus::Creating, &self.location)),
        })
    }

    /// DescribeTable.
    pub fn describe_table(&self, input: DescribeTableInput) -> ApiResult<DescribeTableOutput> {
        let table = self.table_named(&input.table_name)?;
        Ok(DescribeTableOutput {
            table: Some(describe(&table, TableStatus::Active, &self.location)),
        })
    }

    /// ListTables: names in order, at most `Limit` (default and maximum 100).
    pub fn list_tables(&self, input: ListTablesInput) -> ApiResult<ListTablesOutput> {
        let limit = input.limit.map_or(100, |l| l.clamp(1, 100) as usize);
        let (names, more) = self
            .catalog
            .names_after(input.exclusive_start_table_name.as_deref(), limit);
        let last = more.then(|| names.last().cloned()).flatten();
        Ok(ListTablesOutput {
            table_names: names,
            last_evaluated_table_name: last,
        })
    }

    /// DeleteTable.
    pub async fn delete_table(&self, input: DeleteTableInput) -> ApiResult<DeleteTableOutput> {
        let table = self
            .catalog
            .get(&input.table_name)
            .ok_or_else(|| ApiError::table_not_found(&input.table_name))?;
        if table.record.read().deletion_protection {
            return Err(ApiError::deletion_protected());
        }
        let Some(table) = self.catalog.remove(&input.table_name) else {
            return Err(ApiError::table_not_found(&input.table_name));
        };
        // DeleteTable describes the table being deleted without its definition: DynamoDB
        // leaves out the key schema, the attribute definitions, the creation time and the
        // indexes that DescribeTable would give.
        let description = TableDescription {
            attribute_definitions: None,
            key_schema: None,
            creation_date_time: None,
            local_secondary_indexes: None,
            global_secondary_indexes: None,
            ..describe(&table, TableStatus::Deleting, &self.location)
        };
        // The data goes first, then the definition: a crash in between leaves an empty table
        // that a second DeleteTable removes, never data that no table owns. A table of several
        // partitions in a cluster drops here the partitions led here; every other replica drops
        // its copy when its group closes (the cluster no longer lists the table).
        let replicator = self.replicator.get();
        let mut dropping = Vec::new();
        for partition in 0..table.partition_count() {
            if table.partition_count() > 1
                && !replicator.leads(Scope::Partition(table.id, partition))
            {
                continue;
            }
            let (sender, receiver) = oneshot::channel();
            let meta = self.meta;
            let dropped = table.clone();
            self.writers.submit(
                table.queue(partition),
                Box::new(move |group| {
                    let ranges = dropped.record.read().partition_ranges(partition);
                    let stats_key = crate::catalog::stats_key(dropped.id, partition);
                    group.drop_partition(&ranges, meta, &stats_key);
                    Box::new(move |result| {
                        let _ = sender.send(result);
                    })
                }),
            );
            dropping.push(receiver);
        }
        for receiver in dropping {
            match receiver.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => return Err(commit_failed(error)),
                Err(_) => {
                    return Err(ApiError::internal(
                        "the writer stopped before deleting the table",
                    ));
                }
            }
        }
        self.catalog.delete_record(&table).map_err(catalog_failed)?;
        tracing::info!(table = %table.name, id = table.id, "deleted table");
        Ok(DeleteTableOutput {
            table_description: Some(description),
        })
    }

    /// UpdateTable: billing mode, provisioned throughput, streams, deletion protection, table
    /// class and index definitions.
    pub fn update_table(&self, input: UpdateTableInput) -> ApiResult<UpdateTableOutput> {
        let table = self.table_named(&input.table_name)?;
        let mut record = table.record.read().clone();
        let now = clock::now_seconds();
        let billing = &mut record.billing;
        let target_ppr = match input.billing_mode {
            Some(mode) => mode == BillingMode::PayPerRequest,
            None => billing.pay_per_request,
        };
        if let Some(throughput) = &input.provisioned_throughput {
            if target_ppr {
                return Err(ApiError::validation(
                    "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
                     WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ));
            }
            let (read, write) = (
                throughput.read_capacity_units,
                throughput.write_capacity_units,
            );
            if !billing.pay_per_request
                && read == billing.read_capacity
                && write == billing.write_capacity
            {
                return Err(ApiError::validation(format!(
                    "The provisioned throughput for the table will not change. The requested value \
                     equals the current value. Current ReadCapacityUnits provisioned for the table: \
                     {}. Requested ReadCapacityUnits: {read}. Current WriteCapacityUnits provisioned \
                     for the table: {}. Requested WriteCapacityUnits: {write}. Refer to the Amazon \
                     DynamoDB Developer Guide for current limits and how to request higher limits.",
                    billing.read_capacity, billing.write_capacity
                )));
            }
            self.within_table_maximum(read, write)?;
            if read > billing.read_capacity || write > billing.write_capacity {
                billing.last_increase = Some(now);
            }
            if read < billing.read_capacity || write < billing.write_capacity {
                let decreases = decreases_today(billing, now);
                if let Some(last) = billing.last_decrease
                    && decreases >= DECREASES_PER_DAY
                    && now - last < DECREASE_INTERVAL_S
                {
                    let next = (last + DECREASE_INTERVAL_S).min(clock::next_utc_midnight(last));
                    return Err(ApiError::throughput_decreases_exhausted(
                        decreases,
                        &clock::long_utc_time(last),
                        &clock::long_utc_time(next),
                    ));
                }
                billing.decreases_today = decreases + 1;
                billing.last_decrease = Some(now);
            }
            billing.read_capacity = read;
            billing.write_capacity = write;
        } else if !target_ppr && billing.pay_per_request {
            return Err(ApiError::validation(
                "One or more parameter values were invalid: ProvisionedThroughput must be specified \
                 when BillingMode is PROVISIONED",
            ));
        }
        if let Some(mode) = input.billing_mode {
            let ppr = mode == BillingMode::PayPerRequest;
            let switched_to_ppr = ppr && !billing.pay_per_request;
            if ppr != billing.pay_per_request {
                billing.last_billing_switch = Some(now);
                if ppr {
                    billing.last_switch_to_pay_per_request = Some(now);
                    billing.read_capacity = 0;
                    billing.write_capacity = 0;
                }
            }
            billing.pay_per_request = ppr;
            billing.billing_mode_explicit = true;
            // An on-demand table's global indexes have no capacity of their own either:
            // DescribeTable reports 0 units for them, as for the table.
            if switched_to_ppr {
                for index in &mut record.global_indexes {
                    index.throughput = None;
                }
            }
        }
        if let Some(spec) = &input.stream_specification {
            let enabled = record.streams.last().is_some_and(StreamRecord::enabled);
            match (spec.stream_enabled, enabled) {
                (true, true) => return Err(ApiError::stream_already_enabled(&record.name)),
                (false, false) => return Err(ApiError::no_stream_to_disable(&record.name)),
                (true, false) => {
                    let number = record.streams.last().map_or(0, |s| s.number + 1);
                    let mut stream = new_stream(number, spec.stream_view_type, now);
                    // Labels of one table's streams stay distinct.
                    if record.streams.iter().any(|s| s.label == stream.label) {
                        stream.label = clock::stream_label(now + 0.001 * f64::from(number));
                    }
                    record.streams.push(stream);
                }
                (false, true) => {
                    if let Some(stream) = record.streams.last_mut() {
                        stream.disabled_at = Some(now);
                    }
                }
            }
        }
        if let Some(protection) = input.deletion_protection_enabled {
            record.deletion_protection = protection;
        }
        if let Some(class) = &input.table_class {
            record.table_class = Some(class.clone());
        }
        if let Some(sse) = &input.sse_specification {
            record.sse = sse_record(Some(sse), &self.location);
        }
        if let Some(t) = &input.on_demand_throughput {
            record.on_demand = Some((t.max_read_request_units, t.max_write_request_units));
        }
        if let Some(definitions) = &input.attribute_definitions {
            for definition in definitions {
                let entry = (
                    definition.attribute_name.clone(),
                    definition.attribute_type.as_str().to_owned(),
                );
                if !record
                    .attribute_definitions
                    .iter()
                    .any(|(n, _)| *n == entry.0)
                {
                    record.attribute_definitions.push(entry);
                }
            }
        }
        let mut changes = IndexChanges::default();
        for update in input.global_secondary_index_updates.iter().flatten() {
            if update.create.is_some()
                && record.partitions > 1
                && record.next_index_id >= crate::catalog::PARTITIONED_INDEX_IDS_MAX
            {
                return Err(ApiError::validation(format!(
                    "Table {} has had {} indexes, as many as a table of several partitions can \
                     have over its life",
                    record.name,
                    crate::catalog::PARTITIONED_INDEX_IDS_MAX - 1
                )));
            }
            apply_index_update(&mut record, update, target_ppr, &mut changes)?;
        }
        self.catalog
            .update(&table, record)
            .map_err(catalog_failed)?;
        for index in changes.deleted {
            self.drop_index(&table, index);
        }
        for index in changes.created {
            self.start_backfills(&table, index);
        }
        Ok(UpdateTableOutput {
            table_description: Some(describe(&table, TableStatus::Updating, &self.location)),
        })
    }

    /// TagResource: adds or replaces tags (at most 50 per table).
    pub fn tag_resource(&self, input: TagResourceInput) -> ApiResult<()> {
        let (table, mut record) = self.tagged_table(input.resource_arn.as_deref())?;
        let mut tags = record.tags.clone();
        for tag in input.tags.iter().flatten() {
            tags.insert(tag.key.clone(), tag.value.clone());
        }
        if tags.len() > TAGS_MAX {
            // DynamoDB counts the tags the resource would have after the merge, and answers with
            // the same ValidationException as for too many tags in one request.
            return Err(too_many_tags());
        }
        record.tags = tags;
        self.catalog.update(&table, record).map_err(catalog_failed)
    }

    /// UntagResource: removes tags by key (absent keys are ignored).
    pub fn untag_resource(&self, input: UntagResourceInput) -> ApiResult<()> {
        let (table, mut record) = self.tagged_table(input.resource_arn.as_deref())?;
        for key in input.tag_keys.iter().flatten() {
            record.tags.remove(key);
        }
        self.catalog.update(&table, record).map_err(catalog_failed)
    }

    /// ListTagsOfResource: every tag in one page.
    pub fn list_tags_of_resource(
        &self,
        input: ListTagsOfResourceInput,
    ) -> ApiResult<ListTagsOfResourceOutput> {
        let (_, record) = self.tagged_table(input.resource_arn.as_deref())?;
        let tags = record
            .tags
            .iter()
            .map(|(key, value)| Tag {
                key: key.clone(),
                value: value.clone(),
            })
            .collect();
        Ok(ListTagsOfResourceOutput {
            tags,
            next_token: None,
        })
    }

    /// DescribeLimits: DynamoDB's default account and table quotas.
    pub fn describe_limits(&self) -> DescribeLimitsOutput {
        DescribeLimitsOutput {
            account_max_read_capacity_units: ACCOUNT_MAX_READ_CAPACITY_UNITS,
            account_max_write_capacity_units: ACCOUNT_MAX_WRITE_CAPACITY_UNITS,
            table_max_read_capacity_units: TABLE_MAX_READ_CAPACITY_UNITS,
            table_max_write_capacity_units: TABLE_MAX_WRITE_CAPACITY_UNITS,
        }
    }

    /// Refuses provisioned capacity above the per-table maximum that DescribeLimits reports,
    /// reads first, as DynamoDB does.
    fn within_table_maximum(&self, read: i64, write: i64) -> ApiResult<()> {
        for (dimension, requested, maximum) in [
            ("ReadCapacityUnits", read, TABLE_MAX_READ_CAPACITY_UNITS),
            ("WriteCapacityUnits", write, TABLE_MAX_WRITE_CAPACITY_UNITS),
        ] {
            if requested > maximum {
                return Err(ApiError::capacity_above_table_maximum(
                    dimension,
                    requested,
                    &self.location.region,
                    maximum,
                ));
            }
        }
        Ok(())
    }

    /// DescribeEndpoints: this node's own endpoint.
    pub fn describe_endpoints(&self) -> DescribeEndpointsResponse {
        DescribeEndpointsResponse {
            endpoints: vec![Endpoint {
                address: self.endpoint_address.clone(),
                cache_period_in_minutes: 1440,
            }],
        }
    }

    /// The table an ARN of the tagging operations names, and a copy of its record.
    fn tagged_table(
        &self,
        arn: Option<&str>,
    ) -> ApiResult<(Arc<crate::catalog::Table>, TableRecord)> {
        let text = arn.unwrap_or_default();
        let parsed = ResourceArn::parse_taggable(text)?;
        // A table of another region is not one of this endpoint's: DynamoDB calls the ARN
        // invalid rather than the table missing.
        if parsed.region != self.location.region {
            return Err(ResourceArn::invalid_table_arn(text));
        }
        let found = (parsed.account == self.location.account && parsed.kind == ResourceKind::Table)
            .then(|| self.catalog.get(&parsed.table))
            .flatten();
        let table = found.ok_or_else(|| ApiError::resource_arn_not_found(text))?;
        let record = table.record.read().clone();
        Ok((table, record))
    }
}

/// What an UpdateTable did to the table's global secondary indexes.
#[derive(Default)]
struct IndexChanges {
    /// Ids of indexes created (to backfill).
    created: Vec<u32>,
    /// Ids of indexes deleted (whose entries to drop).
    deleted: Vec<u32>,
}

/// Applies one of UpdateTable's `GlobalSecondaryIndexUpdates` to `record`. `on_demand` is the
/// table's billing mode once this request applies: a global index has its own provisioned
/// throughput exactly when the table is billed `PROVISIONED`.
fn apply_index_update(
    record: &mut TableRecord,
    update: &GlobalSecondaryIndexUpdate,
    on_demand: bool,
    changes: &mut IndexChanges,
) -> ApiResult<()> {
    if let Some(create) = &update.create {
        let taken = record
            .global_indexes
            .iter()
            .chain(&record.local_indexes)
            .any(|i| i.name == create.index_name);
        if taken {
            return Err(ApiError::index_already_exists());
        }
        if record.global_indexes.len() >= ferrodyn_api::GLOBAL_SECONDARY_INDEXES_MAX {
            return Err(ApiError::global_index_limit());
        }
        // One index at a time: another still being created blocks a new one.
        if record.global_indexes.iter().any(|i| i.backfilling) {
            return Err(ApiError::online_index_limit());
        }
        match (&create.provisioned_throughput, on_demand) {
            (Some(_), true) => {
                return Err(ApiError::index_throughput_on_demand(&create.index_name));
            }
            (None, false) => return Err(ApiError::index_throughput_missing(&create.index_name)),
            _ => {}
        }
        let projected: usize = record
            .global_indexes
            .iter()
            .chain(&record.local_indexes)
            .filter_map(|i| i.non_key_attributes.as_ref())
            .chain(create.projection.non_key_attributes.as_ref())
            .map(Vec::len)
            .sum();
        if projected > ferrodyn_api::NON_KEY_ATTRIBUTES_TOTAL_MAX {
            return Err(ApiError::too_many_projected_attributes());
        }
        let key_of = |kind: KeyType| {
            create
                .key_schema
                .iter()
                .find(|e| e.key_type == kind)
                .map(|e| e.attribute_name.clone())
        };
        for name in [key_of(KeyType::Hash), key_of(KeyType::Range)]
            .into_iter()
            .flatten()
        {
            if !record.attribute_definitions.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::validation(format!(
                    "One or more parameter values were invalid: Global Secondary Index key \
                     attribute {name} is not defined in AttributeDefinitions"
                )));
            }
        }
        let id = record.next_index_id;
        record.next_index_id += 1;
        record.global_indexes.push(IndexRecord {
            id,
            name: create.index_name.clone(),
            hash_key: key_of(KeyType::Hash).unwrap_or_default(),
            range_key: key_of(KeyType::Range),
            projection_type: create
                .projection
                .projection_type
                .unwrap_or(ProjectionType::All)
                .as_str()
                .to_owned(),
            non_key_attributes: create.projection.non_key_attributes.clone(),
            throughput: create
                .provisioned_throughput
                .as_ref()
                .map(|t| (t.read_capacity_units, t.write_capacity_units)),
            on_demand: create
                .on_demand_throughput
                .as_ref()
                .map(|t| (t.max_read_request_units, t.max_write_request_units)),
            backfilling: true,
            filled: Vec::new(),
        });
        changes.created.push(id);
    }
    if let Some(change) = &update.update {
        if record
            .local_indexes
            .iter()
            .any(|i| i.name == change.index_name)
        {
            return Err(ApiError::cannot_update_local_index(&change.index_name));
        }
        let table_name = record.name.clone();
        let index = record
            .global_indexes
            .iter_mut()
            .find(|i| i.name == change.index_name)
            .ok_or_else(|| ApiError::global_index_not_found(&table_name, &change.index_name))?;
        if change.provisioned_throughput.is_some() && on_demand {
            return Err(ApiError::index_throughput_on_demand(&change.index_name));
        }
        if let Some(t) = &change.provisioned_throughput {
            index.throughput = Some((t.read_capacity_units, t.write_capacity_units));
        }
        if let Some(t) = &change.on_demand_throughput {
            index.on_demand = Some((t.max_read_request_units, t.max_write_request_units));
        }
    }
    if let Some(delete) = &update.delete {
        if record
            .local_indexes
            .iter()
            .any(|i| i.name == delete.index_name)
        {
            return Err(ApiError::cannot_delete_local_index(&delete.index_name));
        }
        if record.global_indexes.iter().any(|i| i.backfilling) {
            return Err(ApiError::online_index_limit());
        }
        let position = record
            .global_indexes
            .iter()
            .position(|i| i.name == delete.index_name)
            .ok_or_else(|| ApiError::global_index_not_found(&record.name, &delete.index_name))?;
        let removed = record.global_indexes.remove(position);
        changes.deleted.push(removed.id);
    }
    Ok(())
}

fn sse_record(
    spec: Option<&SseSpecification>,
    location: &crate::describe::Location,
) -> Option<SseRecord> {
    let spec = spec?;
    if spec.enabled != Some(true) {
        return None;
    }
    let key = spec
        .kms_master_key_id
        .clone()
        .unwrap_or_else(|| "aws/dynamodb".to_owned());
    let kms_key_arn = if key.starts_with("arn:") {
        key
    } else {
        format!(
            "arn:aws:kms:{}:{}:key/{key}",
            location.region, location.account
        )
    };
    Some(SseRecord {
        sse_type: "KMS".to_owned(),
        kms_key_arn,
    })
}

/// A new, enabled stream numbered `number`, created at `now`.
fn new_stream(number: u32, view_type: Option<StreamViewType>, now: f64) -> StreamRecord {
    StreamRecord {
        number,
        view_type: view_type
            .map_or("NEW_AND_OLD_IMAGES", |v| v.as_str())
            .to_owned(),
        label: clock::stream_label(now),
        created_at: now,
        disabled_at: None,
    }
}

/// A write that was not committed: one that may be run again (this node does not lead the
/// group, or the state changed under the decision) is ServiceUnavailable, which clients and the
/// cluster's router retry; anything else is an internal failure.
pub(crate) fn commit_failed(error: CommitError) -> ApiError {
    if error.is_retryable() {
        ApiError::service_unavailable(error.to_string())
    } else {
        internal(error)
    }
}

/// A catalog change that failed, as [`commit_failed`] for its commit.
pub(crate) fn catalog_failed(error: CatalogError) -> ApiError {
    match error {
        CatalogError::Commit(error) => commit_failed(error),
        error => internal(error),
    }
}

/// An internal failure (the storage engine): HTTP 500, with the cause logged.
pub(crate) fn internal(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "internal error");
    ApiError::internal(format!("Internal server error: {error}"))
}
