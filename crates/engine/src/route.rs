//! Which tables a request is about: what a cluster needs to send it to the node that leads them.

use ferrodyn_api::Request;
use ferrodyn_api::arn::ResourceArn;

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
