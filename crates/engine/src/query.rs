//! Query and Scan: reading a range of a table a page at a time.
//!
//! A page ends after `Limit` items were read (before the filter), or once the items read add up
//! to 1 MB (the item that crosses the line is included), or at the end of the range. A page
//! that ended early carries `LastEvaluatedKey`, the key of the last item read, from which the
//! next page starts (`ExclusiveStartKey`).
//!
//! Query reads one partition key's items, which are contiguous in storage and ordered by sort
//! key (see [`crate::keys`]), so a key condition is a byte range. Scan reads the table in hash
//! order; a parallel scan segment is a slice of the 64-bit hash space.

use std::ops::Bound;

use ferrodyn_api::wire::*;
use ferrodyn_api::{ApiError, ApiResult, Parsed};
use ferrodyn_model::expression::key_attributes::{FilterParameter, check_query_filter};
use ferrodyn_model::expression::{Condition, Projection, SortKeyCondition};
use ferrodyn_model::key::{KeySchema, KeyValue, encode_unterminated};
use ferrodyn_model::size::read_units;
use ferrodyn_model::{AttributeValue, Item};
use ferrodyn_storage::Direction;

use crate::Database;
use crate::catalog::{Table, prefix_end};
use crate::keys::{self, BASE_INDEX};
use crate::stored;
use crate::table_ops::internal;

/// DynamoDB stops a page once this many bytes of items were read.
const PAGE_BYTES_MAX: usize = 1024 * 1024;

/// How to turn read items into a page.
struct PageSpec<'a> {
    schema: &'a KeySchema,
    filter: Option<&'a Condition>,
    projection: Option<&'a Projection>,
    count_only: bool,
    limit: Option<usize>,
}

/// One page of a Query or Scan.
struct Page {
    items: Vec<Item>,
    count: usize,
    scanned: usize,
    bytes_read: usize,
    last_evaluated_key: Option<Item>,
}

impl Database {
    /// Query.
    pub fn query(&self, request: Parsed<QueryInput>) -> ApiResult<QueryOutput> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        check_index(&table, input.index_name.as_deref())?;
        let clauses = expressions.key_condition.as_ref().ok_or_else(|| {
            ApiError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            )
        })?;
        let condition = clauses.resolve(&table.schema)?;
        if let Some(filter) = &expressions.filter {
            let parameter = if input.query_filter.is_some() {
                FilterParameter::QueryFilter
            } else {
                FilterParameter::Expression
            };
            check_query_filter(filter, &table.schema, parameter)?;
        }
        let partition = KeyValue::from_attribute(&condition.partition_key)
            .ok_or_else(|| ApiError::internal("a resolved partition key is a scalar"))?;
        let prefix = keys::partition_prefix(table.id, BASE_INDEX, partition);
        let (mut lower, mut upper) = sort_key_range(&prefix, condition.sort_key.as_ref());
        let forward = input.scan_index_forward.unwrap_or(true);
        let start_key;
        if let Some(start) = &input.exclusive_start_key {
            let key = table
                .schema
                .key_from_map(start)
                .map_err(|_| ApiError::invalid_start_key())?;
            if key.partition.to_attribute() != condition.partition_key {
                return Err(ApiError::validation(
                    "The provided starting key is outside query boundaries based on provided conditions",
                ));
            }
            if let (Some(sort), Some(predicate)) = (key.sort, condition.sort_key.as_ref())
                && !predicate.matches(&sort.to_attribute())
            {
                return Err(ApiError::validation(
                    "The provided starting key does not match the range key predicate",
                ));
            }
            start_key = keys::item_key(table.id, BASE_INDEX, &key);
            if forward {
                lower = Bound::Excluded(start_key.clone());
            } else {
                upper = Bound::Excluded(start_key.clone());
            }
        }
        let direction = if forward {
            Direction::Forward
        } else {
            Direction::Reverse
        };
        let spec = PageSpec {
            schema: &table.schema,
            filter: expressions.filter.as_ref(),
            projection: expressions.projection.as_ref(),
            count_only: input.select == Some(Select::Count),
            limit: input.limit.map(|l| l.max(1) as usize),
        };
        let page = self.read_page(&lower, &upper, direction, &spec)?;
        let consistent = input.consistent_read.unwrap_or(false);
        Ok(page.into_output(
            &input.table_name,
            consistent,
            input.return_consumed_capacity,
            spec.count_only,
        ))
    }

    /// Scan, whole or one segment of a parallel scan.
    pub fn scan(&self, request: Parsed<ScanInput>) -> ApiResult<ScanOutput> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        check_index(&table, input.index_name.as_deref())?;
        let (mut lower, upper) = match (input.segment, input.total_segments) {
            (Some(segment), Some(total)) if total > 1 => {
                segment_range(table.id, segment as u64, total as u64)
            }
            _ => (
                Bound::Included(keys::index_prefix(table.id, BASE_INDEX).to_vec()),
                Bound::Excluded(keys::index_prefix(table.id, BASE_INDEX + 1).to_vec()),
            ),
        };
        if let Some(start) = &input.exclusive_start_key {
            let key = table
                .schema
                .key_from_map(start)
                .map_err(|_| ApiError::invalid_start_key())?;
            lower = Bound::Excluded(keys::item_key(table.id, BASE_INDEX, &key));
        }
        let spec = PageSpec {
            schema: &table.schema,
            filter: expressions.filter.as_ref(),
            projection: expressions.projection.as_ref(),
            count_only: input.select == Some(Select::Count),
            limit: input.limit.map(|l| l.max(1) as usize),
        };
        let page = self.read_page(&lower, &upper, Direction::Forward, &spec)?;
        let consistent = input.consistent_read.unwrap_or(false);
        Ok(page.into_output(
            &input.table_name,
            consistent,
            input.return_consumed_capacity,
            spec.count_only,
        ))
    }

    fn read_page(
        &self,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        direction: Direction,
        spec: &PageSpec<'_>,
    ) -> ApiResult<Page> {
        let mut page = Page {
            items: Vec::new(),
            count: 0,
            scanned: 0,
            bytes_read: 0,
            last_evaluated_key: None,
        };
        if is_empty_range(lower, upper) {
            return Ok(page);
        }
        let range = (as_slice_bound(lower), as_slice_bound(upper));
        let entries = self
            .db
            .iter(self.data, range, direction)
            .map_err(internal)?;
        for entry in entries {
            let (_, value) = entry.map_err(internal)?;
            let item = stored::decode(&value)?;
            page.scanned += 1;
            page.bytes_read += stored::size(&value)?;
            let full = spec.limit.is_some_and(|limit| page.scanned >= limit)
                || page.bytes_read >= PAGE_BYTES_MAX;
            if full {
                page.last_evaluated_key = Some(key_attributes(spec.schema, &item));
            }
            if spec.filter.is_none_or(|filter| filter.evaluate(&item)) {
                page.count += 1;
                if !spec.count_only {
                    page.items.push(match spec.projection {
                        Some(projection) => projection.apply(&item),
                        None => item,
                    });
                }
            }
            if full {
                break;
            }
        }
        Ok(page)
    }
}

impl Page {
    fn into_output(
        self,
        table_name: &str,
        consistent: bool,
        return_consumed_capacity: Option<ReturnConsumedCapacity>,
        count_only: bool,
    ) -> QueryOutput {
        QueryOutput {
            items: (!count_only).then_some(self.items),
            count: self.count as i32,
            scanned_count: self.scanned as i32,
            last_evaluated_key: self.last_evaluated_key,
            consumed_capacity: Consumption::table(read_units(self.bytes_read.max(1), consistent))
                .report(table_name, return_consumed_capacity),
        }
    }
}

/// Secondary indexes are described but cannot be read yet: naming one is an error.
fn check_index(table: &Table, index_name: Option<&str>) -> ApiResult<()> {
    let Some(name) = index_name else {
        return Ok(());
    };
    let record = table.record.read();
    let defined = record
        .local_indexes
        .iter()
        .chain(&record.global_indexes)
        .any(|i| i.name == name);
    if defined {
        Err(ApiError::validation(format!(
            "Reading secondary index {name} is not supported by this server yet"
        )))
    } else {
        Err(ApiError::index_not_found(name))
    }
}

/// The key attributes of `item` (its `LastEvaluatedKey`).
fn key_attributes(schema: &KeySchema, item: &Item) -> Item {
    schema
        .attributes()
        .filter_map(|attribute| {
            item.get(&attribute.name)
                .map(|v| (attribute.name.clone(), v.clone()))
        })
        .collect()
}

/// The storage range of one partition key's items that satisfy a sort-key condition.
fn sort_key_range(
    prefix: &[u8],
    condition: Option<&SortKeyCondition>,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let with = |value: &AttributeValue| {
        let mut key = prefix.to_vec();
        if let Some(value) = KeyValue::from_attribute(value) {
            value.encode(&mut key);
        }
        key
    };
    let whole = (
        Bound::Included(prefix.to_vec()),
        Bound::Excluded(prefix_end(prefix)),
    );
    match condition {
        None => whole,
        Some(SortKeyCondition::Eq(v)) => (Bound::Included(with(v)), Bound::Included(with(v))),
        Some(SortKeyCondition::Lt(v)) => (whole.0, Bound::Excluded(with(v))),
        Some(SortKeyCondition::Le(v)) => (whole.0, Bound::Included(with(v))),
        Some(SortKeyCondition::Gt(v)) => (Bound::Excluded(with(v)), whole.1),
        Some(SortKeyCondition::Ge(v)) => (Bound::Included(with(v)), whole.1),
        Some(SortKeyCondition::Between(low, high)) => {
            (Bound::Included(with(low)), Bound::Included(with(high)))
        }
        Some(SortKeyCondition::BeginsWith(p)) => {
            let bytes: &[u8] = match p {
                AttributeValue::S(text) => text.as_bytes(),
                AttributeValue::B(bytes) => bytes,
                _ => &[],
            };
            let mut start = prefix.to_vec();
            encode_unterminated(bytes, &mut start);
            let end = prefix_end(&start);
            (Bound::Included(start), Bound::Excluded(end))
        }
    }
}

/// The storage range of segment `segment` of `total` of a table: a slice of the hash space.
fn segment_range(table: u32, segment: u64, total: u64) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let boundary = |s: u64| ((u128::from(s) << 64) / u128::from(total)) as u64;
    let start = keys::hash_position(table, BASE_INDEX, boundary(segment)).to_vec();
    let end = if segment + 1 >= total {
        keys::index_prefix(table, BASE_INDEX + 1).to_vec()
    } else {
        keys::hash_position(table, BASE_INDEX, boundary(segment + 1)).to_vec()
    };
    (Bound::Included(start), Bound::Excluded(end))
}

fn as_slice_bound(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key.as_slice()),
        Bound::Excluded(key) => Bound::Excluded(key.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Whether no key can lie between the bounds (the storage engine rejects reversed ranges).
fn is_empty_range(lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> bool {
    match (lower, upper) {
        (Bound::Included(l), Bound::Included(u)) => l > u,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(u)) => l >= u,
        (Bound::Excluded(l), Bound::Included(u)) => l >= u,
        _ => false,
    }
}
