//! BatchGetItem and BatchWriteItem.
//!
//! BatchWriteItem checks every request of every table before writing anything (a malformed key
//! or a duplicate fails the whole call, as in DynamoDB), then submits one mutation per partition
//! written (one per table, unless a table has several partitions) to its write path; each write
//! in it is applied on its own (a batch is not a transaction), but they share one WAL sync.

use std::collections::{BTreeMap, HashSet};

use ferrodyn_api::wire::*;
use ferrodyn_api::{ApiError, ApiResult, Parsed};
use ferrodyn_model::Item;
use ferrodyn_model::expression::ParsedExpressions;
use ferrodyn_model::key::KeyError;
use ferrodyn_model::size::{item_size, read_units};
use tokio::sync::oneshot;

use crate::Database;
use crate::catalog::Table;
use crate::change::{Change, Version, stage_change};
use crate::item_ops::collection_metrics;
use crate::keys::{self, BASE_INDEX};
use crate::stored;
use crate::stream::Cause;
use crate::table_ops::{commit_failed, internal};
use crate::writer::Group;

/// BatchGetItem answers at most this many bytes of items; the rest are `UnprocessedKeys`.
pub(crate) const RESPONSE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// One write of a BatchWriteItem, checked.
enum Write {
    Put {
        key: Vec<u8>,
        item: Item,
        size: usize,
    },
    Delete {
        key: Vec<u8>,
    },
}

impl Write {
    fn key(&self) -> &[u8] {
        match self {
            Write::Put { key, .. } | Write::Delete { key } => key,
        }
    }
}

impl Database {
    /// BatchGetItem.
    pub fn batch_get_item(
        &self,
        request: Parsed<BatchGetItemInput, BTreeMap<String, ParsedExpressions>>,
    ) -> ApiResult<BatchGetItemOutput> {
        self.batch_get_share(request, 0).map(|(output, _)| output)
    }

    /// BatchGetItem, as a share of a batch whose other shares answered `bytes_before` bytes of
    /// items already (a cluster runs a batch in shares, at the leaders of their keys): the
    /// share stops at the whole answer's limit. Also returns the whole answer's bytes so far.
    pub(crate) fn batch_get_share(
        &self,
        request: Parsed<BatchGetItemInput, BTreeMap<String, ParsedExpressions>>,
        bytes_before: usize,
    ) -> ApiResult<(BatchGetItemOutput, usize)> {
        let Parsed { input, expressions } = request;
        // Check every table and key before reading anything.
        let mut plans = Vec::with_capacity(input.request_items.len());
        for (name, request) in &input.request_items {
            let table = self.table_for_items(name)?;
            let mut storage_keys = Vec::with_capacity(request.keys.len());
            for key in &request.keys {
                let key = table.schema.key_from_map(key)?;
                storage_keys.push(keys::item_key(table.id, BASE_INDEX, &key));
            }
            plans.push((name, request, storage_keys));
        }
        let mut output = BatchGetItemOutput::default();
        let mut consumed = Vec::new();
        let mut response_bytes = bytes_before;
        for (name, request, storage_keys) in plans {
            let projection = expressions.get(name).and_then(|e| e.projection.as_ref());
            let consistent = request.consistent_read.unwrap_or(false);
            let mut units = 0.0;
            let mut found = Vec::new();
            let mut unprocessed = Vec::new();
            for (key, storage_key) in request.keys.iter().zip(&storage_keys) {
                if response_bytes >= RESPONSE_BYTES_MAX {
                    unprocessed.push(key.clone());
                    continue;
                }
                let Some(bytes) = self.db.get(self.data, storage_key).map_err(internal)? else {
                    units += read_units(1, consistent);
                    continue;
                };
                let item = stored::decode(&bytes)?;
                let size = stored::size(&bytes)?;
                units += read_units(size.max(1), consistent);
                response_bytes += size;
                found.push(match projection {
                    Some(projection) => projection.apply(&item),
                    None => item,
                });
            }
            if !unprocessed.is_empty() {
                output.unprocessed_keys.insert(
                    name.clone(),
                    KeysAndAttributes {
                        keys: unprocessed,
                        ..request.clone()
                    },
                );
            }
            output.responses.insert(name.clone(), found);
            consumed.extend(Consumption::table(units).report(name, input.return_consumed_capacity));
        }
        output.consumed_capacity = (!consumed.is_empty()).then_some(consumed);
        Ok((output, response_bytes))
    }

    /// BatchWriteItem.
    pub async fn batch_write_item(
        &self,
        input: BatchWriteItemInput,
    ) -> ApiResult<BatchWriteItemOutput> {
        let mut plans = Vec::with_capacity(input.request_items.len());
        for (name, requests) in &input.request_items {
            let table = self.table_for_items(name)?;
            let mut seen = HashSet::with_capacity(requests.len());
            let mut writes = Vec::with_capacity(requests.len());
            for request in requests {
                let write = if let Some(put) = &request.put_request {
                    // BatchWriteItem words a put whose item lacks (or mistypes) a key attribute
                    // as a schema mismatch, unlike PutItem.
                    let key = table
                        .schema
                        .key_of_item(&put.item)
                        .map_err(|error| match error {
                            KeyError::MissingInItem { .. } | KeyError::TypeMismatch { .. } => {
                                ApiError::from(KeyError::SchemaMismatch)
                            }
                            other => ApiError::from(other),
                        })?;
                    Write::Put {
                        key: keys::item_key(table.id, BASE_INDEX, &key),
                        item: put.item.clone(),
                        size: item_size(&put.item),
                    }
                } else if let Some(delete) = &request.delete_request {
                    let key = table.schema.key_from_map(&delete.key)?;
                    Write::Delete {
                        key: keys::item_key(table.id, BASE_INDEX, &key),
                    }
                } else {
                    return Err(ApiError::internal(
                        "a validated write request is a put or a delete",
                    ));
                };
                if !seen.insert(write.key().to_vec()) {
                    return Err(ApiError::duplicate_keys());
                }
                writes.push(write);
            }
            // A table of several partitions gets one mutation per partition written; every put
            // is checked against the indexes first, so that a bad item fails the whole batch.
            let indexes = table.indexes();
            for write in &writes {
                if let Write::Put { item, .. } = write {
                    indexes.check_item(item)?;
                }
            }
            let mut shares: Vec<(u32, Vec<Write>)> = Vec::new();
            for write in writes {
                let partition = table.partition_of_key(write.key());
                match shares.iter_mut().find(|(p, _)| *p == partition) {
                    Some((_, share)) => share.push(write),
                    None => shares.push((partition, vec![write])),
                }
            }
            for (partition, share) in shares {
                plans.push((name.clone(), table.clone(), partition, share));
            }
        }
        let metrics_asked = input.return_item_collection_metrics;
        let mut pending = Vec::with_capacity(plans.len());
        for (name, table, partition, writes) in plans {
            let (sender, receiver) = oneshot::channel::<ApiResult<Applied>>();
            let owned = table.clone();
            self.writers.submit(
                table.queue(partition),
                Box::new(move |group| {
                    let decided = if owned.is_deleted() {
                        Err(ApiError::resource_not_found())
                    } else {
                        apply_writes(group, &owned, writes, metrics_asked)
                    };
                    Box::new(move |durable| {
                        let answer = match (decided, durable) {
                            (Err(error), _) => Err(error),
                            (Ok(units), Ok(())) => Ok(units),
                            (Ok(_), Err(error)) => Err(commit_failed(error)),
                        };
                        let _ = sender.send(answer);
                    })
                }),
            );
            pending.push((name, table, receiver));
        }
        // One entry per table, however many partitions its share was written in.
        let mut per_table: Vec<(String, Consumption, Vec<ItemCollectionMetrics>)> = Vec::new();
        for (name, table, receiver) in pending {
            let applied = receiver.await.unwrap_or_else(|_| {
                Err(ApiError::internal(
                    "the write path stopped before answering",
                ))
            })?;
            if let Some((partition, number)) = applied.outbox {
                self.shipper.await_delivery(&table, partition, number).await;
            }
            match per_table.iter_mut().find(|(n, _, _)| *n == name) {
                Some((_, consumption, collections)) => {
                    consumption.add(&applied.consumption);
                    collections.extend(applied.collections);
                }
                None => per_table.push((name, applied.consumption, applied.collections)),
            }
        }
        let mut consumed = Vec::new();
        let mut collections = BTreeMap::new();
        for (name, consumption, metrics) in per_table {
            consumed.extend(consumption.report(&name, input.return_consumed_capacity));
            if !metrics.is_empty() {
                collections.insert(name, metrics);
            }
        }
        Ok(BatchWriteItemOutput {
            unprocessed_items: BTreeMap::new(),
            item_collection_metrics: (!collections.is_empty()).then_some(collections),
            consumed_capacity: (!consumed.is_empty()).then_some(consumed),
        })
    }
}

/// What one table's share of a BatchWriteItem cost and touched.
struct Applied {
    /// Write capacity, per index.
    consumption: Consumption,
    /// With `ReturnItemCollectionMetrics=SIZE` on a table with local indexes: the item
    /// collection of each write, in request order.
    collections: Vec<ItemCollectionMetrics>,
    /// The last outbox entry its global index changes went to (see `Staged::outbox`).
    outbox: Option<(u32, u64)>,
}

/// Stages one table's share of a BatchWriteItem. Every put is checked against the table's
/// indexes first, so a bad item fails the batch before anything is staged.
fn apply_writes(
    group: &mut Group<'_>,
    table: &Table,
    writes: Vec<Write>,
    metrics_asked: Option<ReturnItemCollectionMetrics>,
) -> ApiResult<Applied> {
    let indexes = table.indexes();
    for write in &writes {
        if let Write::Put { item, .. } = write {
            indexes.check_item(item)?;
        }
    }
    let mut total = Consumption::default();
    let mut collections = Vec::new();
    let mut outbox = None;
    for write in writes {
        let bytes = group.get(write.key()).map_err(internal)?;
        let old_size = bytes.as_deref().map(stored::size).transpose()?;
        let old = match &bytes {
            Some(bytes) if indexes.needs_old_item() => Some(stored::decode(bytes)?),
            _ => None,
        };
        let old_version = Version::of(old.as_ref(), old_size);
        let staged = match write {
            Write::Put { key, item, size } => stage_change(
                group,
                table,
                &indexes,
                Change {
                    storage_key: key,
                    old: old_version,
                    old_size,
                    new: Some(Version { item: &item, size }),
                    cause: Cause::Request,
                },
            )?,
            Write::Delete { key } => stage_change(
                group,
                table,
                &indexes,
                Change {
                    storage_key: key,
                    old: old_version,
                    old_size,
                    new: None,
                    cause: Cause::Request,
                },
            )?,
        };
        total.add(&staged.consumption);
        collections.extend(collection_metrics(&staged, metrics_asked));
        outbox = outbox.max(staged.outbox);
    }
    Ok(Applied {
        consumption: total,
        collections,
        outbox,
    })
}
