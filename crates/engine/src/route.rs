//! Which tables a request is about: what a cluster needs to send it to the node that leads them.

use std::collections::BTreeMap;

use ferrodyn_api::Request;
use ferrodyn_api::arn::ResourceArn;
use ferrodyn_api::wire::ScanInput;
use ferrodyn_model::AttributeValue;

/// Where a request must run, as far as the tables it names say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Anywhere: it reads nothing a table's leader holds (DescribeLimits, DescribeEndpoints), or
    /// it creates a table (any node proposes that to the catalog).
    Anywhere,
    /// Where the table catalog is freshest: lists of tables or streams.
    Catalog,
    /// At the leader of this table (or, for a name no table has, anywhere: it fails there).
    Table(String),
    /// A batch over several tables: each table's share at that table's leader.
    Tables(Vec<String>),
}

/// Where `request` must run.
pub fn target_of(request: &Request) -> Target {
    let table = |name: &str| Target::Table(name.to_owned());
    // An ARN that does not parse fails the same everywhere.
    let by_arn = |arn: Option<&str>| match arn.and_then(|a| ResourceArn::parse_taggable(a).ok()) {
        Some(parsed) => Target::Table(parsed.table),
        None => Target::Anywhere,
    };
    let by_stream = |arn: &str| match ResourceArn::parse_stream(arn) {
        Ok(parsed) => Target::Table(parsed.table),
        Err(_) => Target::Anywhere,
    };
    match request {
        Request::CreateTable(_) | Request::DescribeLimits(_) | Request::DescribeEndpoints(_) => {
            Target::Anywhere
        }
        Request::ListTables(_) => Target::Catalog,
        Request::DescribeTable(input) => table(&input.table_name),
        Request::DeleteTable(input) => table(&input.table_name),
        Request::UpdateTable(input) => table(&input.table_name),
        Request::TagResource(input) => by_arn(input.resource_arn.as_deref()),
        Request::UntagResource(input) => by_arn(input.resource_arn.as_deref()),
        Request::ListTagsOfResource(input) => by_arn(input.resource_arn.as_deref()),
        Request::PutItem(request) => table(&request.input.table_name),
        Request::GetItem(request) => table(&request.input.table_name),
        Request::UpdateItem(request) => table(&request.input.table_name),
        Request::DeleteItem(request) => table(&request.input.table_name),
        Request::Query(request) => table(&request.input.table_name),
        Request::Scan(request) => table(&request.input.table_name),
        Request::BatchGetItem(request) => {
            Target::Tables(request.input.request_items.keys().cloned().collect())
        }
        Request::BatchWriteItem(input) => {
            Target::Tables(input.request_items.keys().cloned().collect())
        }
        Request::UpdateTimeToLive(input) => table(&input.table_name),
        Request::DescribeTimeToLive(input) => table(&input.table_name),
        Request::ListStreams(input) => match &input.table_name {
            Some(name) => table(name),
            None => Target::Catalog,
        },
        Request::DescribeStream(input) => by_stream(&input.stream_arn),
        Request::GetShardIterator(input) => by_stream(&input.stream_arn),
        Request::GetRecords(input) => match crate::stream::iterator_table(&input.shard_iterator) {
            Some(name) => Target::Table(name),
            None => Target::Anywhere,
        },
    }
}

/// Whether `request` is a strongly consistent read: it must see every write acknowledged before
/// it began, so in a cluster its node must first confirm it still leads the table's group.
pub fn is_consistent_read(request: &Request) -> bool {
    match request {
        Request::GetItem(request) => request.input.consistent_read == Some(true),
        Request::Query(request) => request.input.consistent_read == Some(true),
        Request::Scan(request) => request.input.consistent_read == Some(true),
        Request::BatchGetItem(request) => request
            .input
            .request_items
            .values()
            .any(|keys| keys.consistent_read == Some(true)),
        _ => false,
    }
}

/// Where a request runs among the partitions of its table (tables of several partitions only).
impl crate::Database {
    /// The ranges of the `data` keyspace holding partition `partition` of the table with id
    /// `table` (see [`crate::catalog::TableRecord::partition_ranges`]), if the table exists.
    pub fn partition_ranges(
        &self,
        table: crate::keys::TableId,
        partition: u32,
    ) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
        let table = self.catalog.by_id(table)?;
        let record = table.record.read();
        Some(record.partition_ranges(partition))
    }

    /// The partition of its table that an item operation or a Query runs in (the one its
    /// partition key falls in), or a GetShardIterator or GetRecords (the one whose shard it
    /// reads). `None` for other requests, and for requests that fail wherever they run (no such
    /// table, no partition key): they run at the table's first partition.
    pub fn partition_of(&self, request: &Request) -> Option<u32> {
        let (name, item) = match request {
            Request::PutItem(r) => (&r.input.table_name, Some(&r.input.item)),
            Request::GetItem(r) => (&r.input.table_name, Some(&r.input.key)),
            Request::UpdateItem(r) => (&r.input.table_name, Some(&r.input.key)),
            Request::DeleteItem(r) => (&r.input.table_name, Some(&r.input.key)),
            Request::Query(r) => (&r.input.table_name, None),
            Request::GetShardIterator(input) => {
                return self.shard_partition(&input.stream_arn, &input.shard_id);
            }
            Request::GetRecords(input) => {
                return crate::stream::iterator_partition(&input.shard_iterator);
            }
            _ => return None,
        };
        let table = self.catalog.get(name)?;
        if table.partition_count() == 1 {
            return Some(0);
        }
        let pk = &table.schema.partition.name;
        let value = match (request, item) {
            (_, Some(item)) => item.get(pk)?,
            (Request::Query(r), None) => {
                // A global index's entries are placed by the index's own partition key.
                let pk = match &r.input.index_name {
                    Some(name) => table.indexes().named(name)?.schema.partition.name.clone(),
                    None => pk.clone(),
                };
                let clauses = r.expressions.key_condition.as_ref()?;
                let clause = clauses
                    .clauses()
                    .iter()
                    .find(|c| c.attribute == pk && c.values.len() == 1)?;
                &clause.values[0]
            }
            _ => return None,
        };
        Some(table.partition_of_hash(crate::keys::partition_hash(value)?))
    }

    /// For each table of a BatchGetItem or BatchWriteItem, the partition of each of its keys
    /// or writes, in request order (0 where a key cannot be placed: it fails wherever it runs).
    pub fn batch_partitions(&self, request: &Request) -> BTreeMap<String, Vec<u32>> {
        let place = |name: &str, item: Option<&BTreeMap<String, AttributeValue>>| -> u32 {
            let Some(table) = self.catalog.get(name).filter(|t| t.partition_count() > 1) else {
                return 0;
            };
            item.and_then(|item| item.get(&table.schema.partition.name))
                .and_then(crate::keys::partition_hash)
                .map_or(0, |hash| table.partition_of_hash(hash))
        };
        let mut out = BTreeMap::new();
        match request {
            Request::BatchGetItem(r) => {
                for (name, keys) in &r.input.request_items {
                    let partitions = keys.keys.iter().map(|key| place(name, Some(key))).collect();
                    out.insert(name.clone(), partitions);
                }
            }
            Request::BatchWriteItem(input) => {
                for (name, writes) in &input.request_items {
                    let partitions = writes
                        .iter()
                        .map(|write| {
                            let item = match (&write.put_request, &write.delete_request) {
                                (Some(put), _) => Some(&put.item),
                                (None, Some(delete)) => Some(&delete.key),
                                (None, None) => None,
                            };
                            place(name, item)
                        })
                        .collect();
                    out.insert(name.clone(), partitions);
                }
            }
            _ => {}
        }
        out
    }

    /// The partitions a Scan (or one segment of a parallel scan) covers, in the order it reads
    /// them, from the one its `ExclusiveStartKey` is in. Empty for a table of one partition.
    pub fn scan_partitions(&self, input: &ScanInput) -> Vec<u32> {
        let Some(table) = self.catalog.get(&input.table_name) else {
            return Vec::new();
        };
        let count = table.partition_count();
        if count == 1 {
            return Vec::new();
        }
        let (first_hash, last_hash) = match (input.segment, input.total_segments) {
            (Some(segment), Some(total)) if total > 1 && (0..total).contains(&segment) => {
                let boundary =
                    |s: i32| ((u128::from(s as u64) << 64) / u128::from(total as u64)) as u64;
                let last = if segment + 1 >= total {
                    u64::MAX
                } else {
                    boundary(segment + 1) - 1
                };
                (boundary(segment), last)
            }
            _ => (0, u64::MAX),
        };
        let mut first = table.partition_of_hash(first_hash);
        let last = table.partition_of_hash(last_hash);
        // A scan of a global index is in the order of the index's partition key hashes.
        let pk = match &input.index_name {
            Some(name) => match table.indexes().named(name) {
                Some(index) => index.schema.partition.name.clone(),
                None => return Vec::new(),
            },
            None => table.schema.partition.name.clone(),
        };
        let start = input
            .exclusive_start_key
            .as_ref()
            .and_then(|key| key.get(&pk))
            .and_then(crate::keys::partition_hash);
        if let Some(hash) = start {
            first = first.max(table.partition_of_hash(hash)).min(last);
        }
        (first..=last).collect()
    }
}
