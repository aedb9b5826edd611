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
use ferrodyn_model::key::{KeyError, KeySchema, KeyValue, encode_unterminated};
use ferrodyn_model::size::read_units;
use ferrodyn_model::{AttributeValue, Item};
use ferrodyn_storage::Direction;

use crate::Database;
use crate::catalog::{Table, prefix_end};
use crate::index::{self, Index, IndexKind, IndexState, Projected};
use crate::keys::{self, BASE_INDEX};
use crate::stored;
use crate::table_ops::internal;

/// DynamoDB stops a page once this many bytes of items were read.
const PAGE_BYTES_MAX: usize = 1024 * 1024;

/// What a Query or Scan reads: the table itself, or one of its secondary indexes.
struct Source<'a> {
    table: &'a Table,
    index: Option<Index>,
}

impl Source<'_> {
    fn index_id(&self) -> u32 {
        self.index.as_ref().map_or(BASE_INDEX, |i| i.id)
    }

    /// The key schema of what is read.
    fn schema(&self) -> &KeySchema {
        self.index
            .as_ref()
            .map_or(&self.table.schema, |i| &i.schema)
    }

    /// The storage key an `ExclusiveStartKey` stands for.
    fn start_key(&self, start: &Item) -> ApiResult<Vec<u8>> {
        match &self.index {
            None => {
                let key = self
                    .table
                    .schema
                    .key_from_map(start)
                    .map_err(|_| ApiError::invalid_start_key())?;
                Ok(keys::item_key(self.table.id, BASE_INDEX, &key))
            }
            Some(index) => index::start_key(self.table.id, index, &self.table.schema, start),
        }
    }

    /// Refuses an empty string or binary as the partition key value of a key condition, as
    /// DynamoDB does (no stored key can be empty, and DynamoDB says so rather than answering
    /// with nothing), in the words it uses for a table's key or an index's.
    fn check_partition_value(&self, value: &AttributeValue) -> ApiResult<()> {
        let empty = match value {
            AttributeValue::S(text) => text.is_empty(),
            AttributeValue::B(bytes) => bytes.is_empty(),
            _ => false,
        };
        if !empty {
            return Ok(());
        }
        let name = self.schema().partition.name.clone();
        Err(match &self.index {
            None if matches!(value, AttributeValue::B(_)) => KeyError::EmptyBinary { name }.into(),
            None => KeyError::EmptyString { name }.into(),
            Some(index) => ApiError::index_key_empty(&index.name, &name, value),
        })
    }

    /// The `LastEvaluatedKey` of a page ending at `item`.
    fn last_key(&self, item: &Item) -> Item {
        match &self.index {
            None => key_attributes(&self.table.schema, item),
            Some(index) => index::last_key(&index.schema, &self.table.schema, item),
        }
    }

    /// What a page that read `bytes` of entries (and `fetched_bytes` of items from the table)
    /// costs, and where it is charged.
    fn consumption(&self, bytes: usize, fetched_bytes: usize, consistent: bool) -> Consumption {
        let units = read_units(bytes.max(1), consistent);
        let Some(index) = &self.index else {
            return Consumption::table(units);
        };
        let table_units = if fetched_bytes > 0 {
            read_units(fetched_bytes, consistent)
        } else {
            0.0
        };
        let mut consumption = Consumption::table(table_units);
        let shares = match index.kind {
            IndexKind::Local => &mut consumption.local_indexes,
            IndexKind::Global => &mut consumption.global_indexes,
        };
        shares.insert(index.name.clone(), units);
        consumption
    }
}

/// How to turn read entries into a page.
struct PageSpec<'a> {
    source: &'a Source<'a>,
    filter: Option<&'a Condition>,
    projection: Option<&'a Projection>,
    count_only: bool,
    /// Read each result's whole item from the table (a local index asked for attributes it
    /// does not project).
    fetch_from_table: bool,
    limit: Option<usize>,
}

/// Where a share of a page starts, for the requests a cluster runs in shares at several nodes:
/// a Scan of a table of several partitions (one partition per share: this partition, and the
/// page's totals so far; see [`Database::scan_in`]) and a BatchGetItem (the bytes of items the
/// earlier shares answered).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageShare {
    /// The partition to read.
    pub partition: u32,
    /// Items of the page that matched the filter so far.
    pub count_before: u64,
    /// Items of the page read so far.
    pub scanned_before: u64,
    /// Bytes of the page read so far.
    pub bytes_before: u64,
    /// Bytes of items fetched from the table so far (a local index's scan).
    pub fetched_before: u64,
}

/// How far a share of a page got (see [`PageShare`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageProgress {
    /// Bytes of the page read, in all.
    pub bytes_read: u64,
    /// Bytes fetched from the table, in all.
    pub fetched_bytes: u64,
    /// The share read its range to the end without filling the page: the next partition's
    /// share may go on.
    pub exhausted: bool,
}

/// One page of a Query or Scan.
#[derive(Default)]
struct Page {
    items: Vec<Item>,
    count: usize,
    scanned: usize,
    bytes_read: usize,
    fetched_bytes: usize,
    last_evaluated_key: Option<Item>,
}

impl Database {
    /// Query.
    pub fn query(&self, request: Parsed<QueryInput>) -> ApiResult<QueryOutput> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        let consistent = input.consistent_read.unwrap_or(false);
        let source = source(&table, input.index_name.as_deref(), consistent)?;
        let clauses = expressions.key_condition.as_ref().ok_or_else(|| {
            ApiError::validation(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            )
        })?;
        let condition = clauses.resolve(source.schema())?;
        if let Some(filter) = &expressions.filter {
            let parameter = if input.query_filter.is_some() {
                FilterParameter::QueryFilter
            } else {
                FilterParameter::Expression
            };
            check_query_filter(filter, source.schema(), parameter)?;
        }
        source.check_partition_value(&condition.partition_key)?;
        let partition = KeyValue::from_attribute(&condition.partition_key)
            .ok_or_else(|| ApiError::internal("a resolved partition key is a scalar"))?;
        let prefix = keys::partition_prefix(table.id, source.index_id(), partition);
        let (mut lower, mut upper) = sort_key_range(&prefix, condition.sort_key.as_ref());
        let forward = input.scan_index_forward.unwrap_or(true);
        if let Some(start) = &input.exclusive_start_key {
            let start_key = source.start_key(start)?;
            let schema = source.schema();
            if start.get(&schema.partition.name) != Some(&condition.partition_key) {
                return Err(ApiError::validation(
                    "The provided starting key is outside query boundaries based on provided conditions",
                ));
            }
            let sort = schema.sort.as_ref().and_then(|sort| start.get(&sort.name));
            if let (Some(sort), Some(predicate)) = (sort, condition.sort_key.as_ref())
                && !predicate.matches(sort)
            {
                return Err(ApiError::validation(
                    "The provided starting key does not match the range key predicate",
                ));
            }
            if forward {
                lower = Bound::Excluded(start_key);
            } else {
                upper = Bound::Excluded(start_key);
            }
        }
        let direction = if forward {
            Direction::Forward
        } else {
            Direction::Reverse
        };
        let spec = PageSpec {
            source: &source,
            filter: expressions.filter.as_ref(),
            projection: expressions.projection.as_ref(),
            count_only: input.select == Some(Select::Count),
            fetch_from_table: fetch_from_table(
                &source,
                input.select,
                expressions.projection.as_ref(),
            )?,
            limit: input.limit.map(|l| l.max(1) as usize),
        };
        let page = self.read_page(&lower, &upper, direction, &spec, Page::default())?;
        Ok(page.into_output(
            &source,
            &input.table_name,
            consistent,
            input.return_consumed_capacity,
            spec.count_only,
        ))
    }

    /// Scan, whole or one segment of a parallel scan.
    pub fn scan(&self, request: Parsed<ScanInput>) -> ApiResult<ScanOutput> {
        self.scan_in(request, None).map(|(output, _)| output)
    }

    /// Scan, or with `slice` the share of one partition of a table of several in a page (a
    /// cluster reads such a table one partition at a time, each at its leader, and joins the
    /// shares into one page). The share continues the page so far: its `Count`,
    /// `ScannedCount` and consumed capacity are the page's totals, and it stops where the
    /// whole page would (the limit, 1 MB), with a `LastEvaluatedKey`. It says how far the page
    /// got and whether it read the partition to its end, so that the next partition's share
    /// can go on.
    pub fn scan_in(
        &self,
        request: Parsed<ScanInput>,
        slice: Option<PageShare>,
    ) -> ApiResult<(ScanOutput, PageProgress)> {
        let Parsed { input, expressions } = request;
        let table = self.table_for_items(&input.table_name)?;
        let consistent = input.consistent_read.unwrap_or(false);
        let source = source(&table, input.index_name.as_deref(), consistent)?;
        let index_id = source.index_id();
        let (mut lower, upper) = match (input.segment, input.total_segments) {
            (Some(segment), Some(total)) if total > 1 => {
                segment_range(table.id, index_id, segment as u64, total as u64)
            }
            _ => (
                Bound::Included(keys::index_prefix(table.id, index_id).to_vec()),
                Bound::Excluded(keys::index_prefix(table.id, index_id + 1).to_vec()),
            ),
        };
        if let Some(start) = &input.exclusive_start_key {
            let start_key = source.start_key(start)?;
            // A segment's pages continue from its own keys only: a starting key outside the
            // segment is refused, not answered with a page of some other segment's items.
            if let (Some(segment), Some(total)) = (input.segment, input.total_segments)
                && !in_range(&start_key, &lower, &upper)
            {
                return Err(ApiError::validation(format!(
                    "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use \
                     ExclusiveStartKey with correct Segment. TotalSegments: {total} Segment: \
                     {segment}"
                )));
            }
            lower = Bound::Excluded(start_key);
        }
        // Within one partition: the scan's range cut to the partition's hashes.
        let (lower, upper) = match slice.filter(|_| table.partition_count() > 1) {
            Some(slice) => {
                let (start, end) = keys::partition_span(
                    table.id,
                    index_id,
                    slice.partition,
                    table.partition_count(),
                );
                (
                    tighter(lower, Bound::Included(start), true),
                    tighter(upper, Bound::Excluded(end), false),
                )
            }
            None => (lower, upper),
        };
        let spec = PageSpec {
            source: &source,
            filter: expressions.filter.as_ref(),
            projection: expressions.projection.as_ref(),
            count_only: input.select == Some(Select::Count),
            fetch_from_table: fetch_from_table(
                &source,
                input.select,
                expressions.projection.as_ref(),
            )?,
            limit: input.limit.map(|l| l.max(1) as usize),
        };
        let before = slice.map_or_else(Page::default, |slice| Page {
            count: slice.count_before as usize,
            scanned: slice.scanned_before as usize,
            bytes_read: slice.bytes_before as usize,
            fetched_bytes: slice.fetched_before as usize,
            ..Page::default()
        });
        let page = self.read_page(&lower, &upper, Direction::Forward, &spec, before)?;
        let progress = PageProgress {
            bytes_read: page.bytes_read as u64,
            fetched_bytes: page.fetched_bytes as u64,
            exhausted: page.last_evaluated_key.is_none(),
        };
        let output = page.into_output(
            &source,
            &input.table_name,
            consistent,
            input.return_consumed_capacity,
            spec.count_only,
        );
        Ok((output, progress))
    }

    /// Reads a page (or, for a scan of several partitions, adds to the page so far, `page`).
    fn read_page(
        &self,
        lower: &Bound<Vec<u8>>,
        upper: &Bound<Vec<u8>>,
        direction: Direction,
        spec: &PageSpec<'_>,
        mut page: Page,
    ) -> ApiResult<Page> {
        if is_empty_range(lower, upper) {
            return Ok(page);
        }
        let range = (as_slice_bound(lower), as_slice_bound(upper));
        let entries = self
            .db
            .iter(self.data, range, direction)
            .map_err(internal)?;
        let table = spec.source.table;
        for entry in entries {
            let (_, value) = entry.map_err(internal)?;
            let mut item = stored::decode(&value)?;
            page.scanned += 1;
            page.bytes_read += stored::size(&value)?;
            let full = spec.limit.is_some_and(|limit| page.scanned >= limit)
                || page.bytes_read >= PAGE_BYTES_MAX;
            if full {
                page.last_evaluated_key = Some(spec.source.last_key(&item));
            }
            if spec.fetch_from_table {
                // A local index's entry names its item by the table key it carries.
                let key = table.schema.key_of_item(&item).map_err(internal)?;
                let storage_key = keys::item_key(table.id, BASE_INDEX, &key);
                if let Some(bytes) = self.db.get(self.data, &storage_key).map_err(internal)? {
                    page.fetched_bytes += stored::size(&bytes)?;
                    item = stored::decode(&bytes)?;
                }
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
        source: &Source<'_>,
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
            consumed_capacity: source
                .consumption(self.bytes_read, self.fetched_bytes, consistent)
                .report(table_name, return_consumed_capacity),
        }
    }
}

/// The table, or its index `index_name`, checked for reading.
fn source<'a>(
    table: &'a Table,
    index_name: Option<&str>,
    consistent: bool,
) -> ApiResult<Source<'a>> {
    let Some(name) = index_name else {
        return Ok(Source { table, index: None });
    };
    let indexes = table.indexes();
    let index = indexes
        .named(name)
        .cloned()
        .ok_or_else(|| ApiError::index_not_found(name))?;
    if index.kind == IndexKind::Global && consistent {
        return Err(ApiError::consistent_read_on_global_index());
    }
    if index.state == IndexState::Backfilling {
        return Err(ApiError::index_backfilling(name));
    }
    Ok(Source {
        table,
        index: Some(index),
    })
}

/// Whether results must be read from the table: `Select=ALL_ATTRIBUTES`, or a projection
/// naming attributes the index does not carry, on a local index. A global index refuses
/// `ALL_ATTRIBUTES` unless it projects everything, and answers a projection with what it has.
fn fetch_from_table(
    source: &Source<'_>,
    select: Option<Select>,
    projection: Option<&Projection>,
) -> ApiResult<bool> {
    let Some(index) = &source.index else {
        return Ok(false);
    };
    let table = &source.table.schema;
    let wants_all = select == Some(Select::AllAttributes);
    let complete = index.projected == Projected::All;
    let mut unprojected: Vec<&str> = projection
        .map(|p| {
            p.top_level_attributes()
                .filter(|a| !index.projects(table, a))
                .collect()
        })
        .unwrap_or_default();
    unprojected.dedup();
    match index.kind {
        IndexKind::Global if wants_all && !complete => {
            Err(ApiError::all_attributes_on_global_index(&index.name))
        }
        IndexKind::Global if !unprojected.is_empty() => Err(ApiError::attributes_not_projected(
            &index.name,
            &unprojected,
        )),
        IndexKind::Global => Ok(false),
        IndexKind::Local => Ok(!complete && (wants_all || !unprojected.is_empty())),
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
    // Keys of sort-key value `v` are `prefix + enc(v)`, followed (in an index) by the table's
    // key; encodings are self-delimiting, so "sort key = v" is the key prefix `prefix + enc(v)`.
    let whole = (
        Bound::Included(prefix.to_vec()),
        Bound::Excluded(prefix_end(prefix)),
    );
    let at = |v: &AttributeValue| Bound::Included(with(v));
    let after = |v: &AttributeValue| Bound::Excluded(prefix_end(&with(v)));
    match condition {
        None => whole,
        Some(SortKeyCondition::Eq(v)) => (at(v), after(v)),
        Some(SortKeyCondition::Lt(v)) => (whole.0, Bound::Excluded(with(v))),
        Some(SortKeyCondition::Le(v)) => (whole.0, after(v)),
        Some(SortKeyCondition::Gt(v)) => (Bound::Included(prefix_end(&with(v))), whole.1),
        Some(SortKeyCondition::Ge(v)) => (at(v), whole.1),
        Some(SortKeyCondition::Between(low, high)) => (at(low), after(high)),
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
fn segment_range(
    table: u32,
    index: u32,
    segment: u64,
    total: u64,
) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let boundary = |s: u64| ((u128::from(s) << 64) / u128::from(total)) as u64;
    let start = keys::hash_position(table, index, boundary(segment)).to_vec();
    let end = if segment + 1 >= total {
        keys::index_prefix(table, index + 1).to_vec()
    } else {
        keys::hash_position(table, index, boundary(segment + 1)).to_vec()
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

/// The tighter of two bounds on the same side of a range: the higher of two lower bounds
/// (`lower`), or the lower of two upper bounds. At the same key, an excluded bound is tighter.
fn tighter(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>, lower: bool) -> Bound<Vec<u8>> {
    fn key(bound: &Bound<Vec<u8>>) -> Option<&[u8]> {
        match bound {
            Bound::Included(key) | Bound::Excluded(key) => Some(key),
            Bound::Unbounded => None,
        }
    }
    let a_wins = match (key(&a), key(&b)) {
        (None, _) => false,
        (_, None) => true,
        (Some(x), Some(y)) if x != y => (x > y) == lower,
        _ => matches!(a, Bound::Excluded(_)),
    };
    if a_wins { a } else { b }
}

/// Whether `key` lies between the bounds.
fn in_range(key: &[u8], lower: &Bound<Vec<u8>>, upper: &Bound<Vec<u8>>) -> bool {
    let above = match lower {
        Bound::Included(l) => key >= l.as_slice(),
        Bound::Excluded(l) => key > l.as_slice(),
        Bound::Unbounded => true,
    };
    let below = match upper {
        Bound::Included(u) => key <= u.as_slice(),
        Bound::Excluded(u) => key < u.as_slice(),
        Bound::Unbounded => true,
    };
    above && below
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

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(key: &[u8]) -> Bound<Vec<u8>> {
        Bound::Included(key.to_vec())
    }

    fn exc(key: &[u8]) -> Bound<Vec<u8>> {
        Bound::Excluded(key.to_vec())
    }

    #[test]
    fn the_tighter_bound_is_the_inner_one() {
        // Lower bounds: the higher key wins; at one key, excluded beats included.
        assert_eq!(tighter(inc(b"a"), inc(b"b"), true), inc(b"b"));
        assert_eq!(tighter(exc(b"c"), inc(b"b"), true), exc(b"c"));
        assert_eq!(tighter(inc(b"b"), exc(b"b"), true), exc(b"b"));
        assert_eq!(tighter(Bound::Unbounded, inc(b"a"), true), inc(b"a"));
        // Upper bounds: the lower key wins.
        assert_eq!(tighter(exc(b"a"), exc(b"b"), false), exc(b"a"));
        assert_eq!(tighter(exc(b"c"), inc(b"b"), false), inc(b"b"));
        assert_eq!(tighter(inc(b"b"), exc(b"b"), false), exc(b"b"));
        assert_eq!(tighter(exc(b"z"), Bound::Unbounded, false), exc(b"z"));
    }
}
