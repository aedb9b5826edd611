//! The single-item operations: PutItem, GetItem, UpdateItem and DeleteItem.
//!
//! Each write is one mutation on the partition's write path (see [`crate::writer`]): it reads the
//! item as it is, evaluates the condition against it (an absent item is an empty one), stages
//! the new version and the change of the partition's statistics, and answers once the group it
//! belongs to is durable.

use std::sync::Arc;

use ferrodyn_api::wire::*;
use ferrodyn_api::{ApiError, ApiResult, Parsed};
use ferrodyn_model::Item;
use ferrodyn_model::expression::{Condition, UpdateExpression};
use ferrodyn_model::size::{ITEM_BYTES_MAX, item_size, read_units};
use tokio::sync::oneshot;

use crate::Database;
use crate::catalog::Table;
use crate::change::{Change, Staged, Version, stage_change};
use crate::keys::{self, BASE_INDEX};
use crate::stored;
use crate::stream::Cause;
use crate::table_ops::{commit_failed, internal};
use crate::writer::Group;

/// What a write mutation decided, sent back to the request once durable.
struct WriteOutcome {
    /// The item before the write (decoded only when something needs it).
    old: Option<Item>,
    /// The item after the write (for UpdateItem's return values).
    new: Option<Item>,
    /// The write capacity the change cost, per index, and the item collection's size.
    staged: Staged,
}

/// The item under `storage_key` as the mutation sees it: its size, and the item itself when
/// `decode` (conditions, return values and indexes need it).
fn read_old(
    group: &Group<'_>,
    storage_key: &[u8],
    decode: bool,
) -> ApiResult<(Option<Item>, Option<usize>)> {
    let Some(bytes) = group.get(storage_key).map_err(internal)? else {
        return Ok((None, None));
    };
    let size = stored::size(&bytes)?;
    let item = if decode {
        Some(stored::decode(&bytes)?)
    } else {
        None
    };
    Ok((item, Some(size)))
}

impl Database {
    /// PutItem.
    pub async fn put_item(&self, request: Parsed<PutItemInput>) -> ApiResult<PutItemOutput> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        let key = table.schema.key_of_item(&input.item)?;
        let storage_key = keys::item_key(table.id, BASE_INDEX, &key);
        let new_size = item_size(&input.item);
        let item = input.item;
        let condition = expressions.condition;
        let return_on_failure = input.return_values_on_condition_check_failure
            == Some(ReturnValuesOnConditionCheckFailure::AllOld);
        let wants_old = condition.is_some() || input.return_values == Some(ReturnValue::AllOld);
        let outcome = self
            .mutate(
                &table,
                table.partition_of_key(&storage_key),
                move |group, table| {
                    let indexes = table.indexes();
                    let (old, old_size) =
                        read_old(group, &storage_key, wants_old || indexes.needs_old_item())?;
                    check_condition(condition.as_ref(), old.as_ref(), return_on_failure)?;
                    let staged = stage_change(
                        group,
                        table,
                        &indexes,
                        Change {
                            storage_key,
                            old: Version::of(old.as_ref(), old_size),
                            old_size,
                            new: Some(Version {
                                item: &item,
                                size: new_size,
                            }),
                            cause: Cause::Request,
                        },
                    )?;
                    Ok(WriteOutcome {
                        old,
                        new: None,
                        staged,
                    })
                },
            )
            .await?;
        Ok(PutItemOutput {
            attributes: match input.return_values {
                Some(ReturnValue::AllOld) => outcome.old,
                _ => None,
            },
            consumed_capacity: outcome
                .staged
                .consumption
                .report(&input.table_name, input.return_consumed_capacity),
            item_collection_metrics: collection_metrics(
                &outcome.staged,
                input.return_item_collection_metrics,
            ),
        })
    }

    /// GetItem.
    pub fn get_item(&self, request: Parsed<GetItemInput>) -> ApiResult<GetItemOutput> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        let key = table.schema.key_from_map(&input.key)?;
        let storage_key = keys::item_key(table.id, BASE_INDEX, &key);
        let (item, size) = match self.db.get(self.data, &storage_key).map_err(internal)? {
            Some(bytes) => (Some(stored::decode(&bytes)?), stored::size(&bytes)?),
            None => (None, 0),
        };
        let consistent = input.consistent_read.unwrap_or(false);
        let units = read_units(size.max(1), consistent);
        let item = match (&expressions.projection, item) {
            (Some(projection), Some(item)) => Some(projection.apply(&item)),
            (_, item) => item,
        };
        Ok(GetItemOutput {
            item,
            consumed_capacity: Consumption::table(units)
                .report(&input.table_name, input.return_consumed_capacity),
        })
    }

    /// UpdateItem: creates the item (with its key) if it does not exist, unless the update
    /// only removes attributes.
    pub async fn update_item(
        &self,
        request: Parsed<UpdateItemInput>,
    ) -> ApiResult<UpdateItemOutput> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        let key = table.schema.key_from_map(&input.key)?;
        let storage_key = keys::item_key(table.id, BASE_INDEX, &key);
        if let Some(update) = &expressions.update {
            ferrodyn_model::expression::key_attributes::check_update(update, &table.schema)?;
        }
        let key_item = input.key.clone();
        let condition = expressions.condition;
        let update = expressions.update;
        let return_on_failure = input.return_values_on_condition_check_failure
            == Some(ReturnValuesOnConditionCheckFailure::AllOld);
        let updated_paths = update.as_ref().map(|u| u.updated_paths().clone());
        let outcome = self
            .mutate(
                &table,
                table.partition_of_key(&storage_key),
                move |group, table| {
                    let indexes = table.indexes();
                    let (old, old_size) = read_old(group, &storage_key, true)?;
                    check_condition(condition.as_ref(), old.as_ref(), return_on_failure)?;
                    // Taking attributes away from an item that does not exist leaves it not
                    // existing: DynamoDB creates no item for an update of only REMOVE and DELETE,
                    // and does not look at their paths (`REMOVE a.b` is no error there).
                    let creates_nothing =
                        old.is_none() && update.as_ref().is_some_and(|u| u.only_removes());
                    let new = if creates_nothing {
                        None
                    } else {
                        Some(apply_update(update.as_ref(), old.as_ref(), key_item)?)
                    };
                    let new_size = new.as_ref().map_or(0, item_size);
                    if new_size > ITEM_BYTES_MAX {
                        return Err(ApiError::validation(
                            "Item size to update has exceeded the maximum allowed size",
                        ));
                    }
                    let staged = stage_change(
                        group,
                        table,
                        &indexes,
                        Change {
                            storage_key,
                            old: Version::of(old.as_ref(), old_size),
                            old_size,
                            new: new.as_ref().map(|item| Version {
                                item,
                                size: new_size,
                            }),
                            cause: Cause::Request,
                        },
                    )?;
                    Ok(WriteOutcome { old, new, staged })
                },
            )
            .await?;
        let attributes = match input.return_values {
            Some(ReturnValue::AllOld) => outcome.old,
            Some(ReturnValue::AllNew) => outcome.new,
            Some(ReturnValue::UpdatedOld) => outcome
                .old
                .zip(updated_paths)
                .map(|(old, paths)| paths.apply(&old)),
            Some(ReturnValue::UpdatedNew) => outcome
                .new
                .zip(updated_paths)
                .map(|(new, paths)| paths.apply(&new)),
            Some(ReturnValue::None) | None => None,
        }
        .filter(|attributes| !attributes.is_empty());
        Ok(UpdateItemOutput {
            attributes,
            consumed_capacity: outcome
                .staged
                .consumption
                .report(&input.table_name, input.return_consumed_capacity),
            item_collection_metrics: collection_metrics(
                &outcome.staged,
                input.return_item_collection_metrics,
            ),
        })
    }

    /// DeleteItem.
    pub async fn delete_item(
        &self,
        request: Parsed<DeleteItemInput>,
    ) -> ApiResult<DeleteItemOutput> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        let key = table.schema.key_from_map(&input.key)?;
        let storage_key = keys::item_key(table.id, BASE_INDEX, &key);
        let condition = expressions.condition;
        let return_on_failure = input.return_values_on_condition_check_failure
            == Some(ReturnValuesOnConditionCheckFailure::AllOld);
        let wants_old = condition.is_some() || input.return_values == Some(ReturnValue::AllOld);
        let outcome = self
            .mutate(
                &table,
                table.partition_of_key(&storage_key),
                move |group, table| {
                    let indexes = table.indexes();
                    let (old, old_size) =
                        read_old(group, &storage_key, wants_old || indexes.needs_old_item())?;
                    check_condition(condition.as_ref(), old.as_ref(), return_on_failure)?;
                    let staged = stage_change(
                        group,
                        table,
                        &indexes,
                        Change {
                            storage_key,
                            old: Version::of(old.as_ref(), old_size),
                            old_size,
                            new: None,
                            cause: Cause::Request,
                        },
                    )?;
                    Ok(WriteOutcome {
                        old,
                        new: None,
                        staged,
                    })
                },
            )
            .await?;
        Ok(DeleteItemOutput {
            attributes: match input.return_values {
                Some(ReturnValue::AllOld) => outcome.old,
                _ => None,
            },
            consumed_capacity: outcome
                .staged
                .consumption
                .report(&input.table_name, input.return_consumed_capacity),
            item_collection_metrics: collection_metrics(
                &outcome.staged,
                input.return_item_collection_metrics,
            ),
        })
    }

    /// Runs `decide` on the write path of the table's partition `partition` and waits until its
    /// writes are durable (and, briefly, until its global index changes are delivered, on a
    /// table of several partitions: see [`crate::outbox`]).
    async fn mutate<F>(
        &self,
        table: &Arc<Table>,
        partition: u32,
        decide: F,
    ) -> ApiResult<WriteOutcome>
    where
        F: FnOnce(&mut Group<'_>, &Table) -> ApiResult<WriteOutcome> + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let owned = table.clone();
        self.writers.submit(
            table.queue(partition),
            Box::new(move |group| {
                let decided = if owned.is_deleted() {
                    Err(ApiError::resource_not_found())
                } else {
                    decide(group, &owned)
                };
                Box::new(move |durable| {
                    let answer = match (decided, durable) {
                        (Err(error), _) => Err(error),
                        (Ok(outcome), Ok(())) => Ok(outcome),
                        (Ok(_), Err(error)) => Err(commit_failed(error)),
                    };
                    let _ = sender.send(answer);
                })
            }),
        );
        let outcome = receiver.await.unwrap_or_else(|_| {
            Err(ApiError::internal(
                "the write path stopped before answering",
            ))
        })?;
        if let Some((partition, number)) = outcome.staged.outbox {
            self.shipper.await_delivery(table, partition, number).await;
        }
        Ok(outcome)
    }
}

/// Fails with ConditionalCheckFailedException (carrying the item if asked) unless `condition`
/// holds for `item` (an absent item is an empty one).
pub(crate) fn check_condition(
    condition: Option<&Condition>,
    item: Option<&Item>,
    return_item_on_failure: bool,
) -> ApiResult<()> {
    let Some(condition) = condition else {
        return Ok(());
    };
    let holds = match item {
        Some(item) => condition.evaluate(item),
        None => condition.evaluate(&Item::new()),
    };
    if holds {
        Ok(())
    } else {
        Err(ApiError::conditional_check_failed(
            item.filter(|_| return_item_on_failure).cloned(),
        ))
    }
}

/// The item after `update`: applied to the existing item, or to one holding only the key.
fn apply_update(
    update: Option<&UpdateExpression>,
    old: Option<&Item>,
    key: Item,
) -> ApiResult<Item> {
    // `apply` builds the new item from a copy of its base: no copy is needed here.
    match update {
        Some(update) => Ok(update.apply(old.unwrap_or(&key))?),
        None => Ok(old.cloned().unwrap_or(key)),
    }
}

/// `ItemCollectionMetrics` for `ReturnItemCollectionMetrics=SIZE` on a table with local
/// indexes: the partition key and the collection's size as a range of gigabytes.
pub(crate) fn collection_metrics(
    staged: &Staged,
    asked: Option<ReturnItemCollectionMetrics>,
) -> Option<ItemCollectionMetrics> {
    if asked != Some(ReturnItemCollectionMetrics::Size) {
        return None;
    }
    let (key, bytes) = staged.collection.as_ref()?;
    let gigabytes = *bytes as f64 / (1u64 << 30) as f64;
    Some(ItemCollectionMetrics {
        item_collection_key: Some(key.clone()),
        size_estimate_range_gb: Some(vec![gigabytes.floor(), gigabytes.floor() + 1.0]),
    })
}
