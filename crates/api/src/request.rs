//! [`Request`] and [`Response`]: one variant per operation, and the two calls the server makes.

use std::collections::BTreeMap;

use ferrodyn_model::expression::ParsedExpressions;

use crate::decode::decode_body;
use crate::error::ApiError;
use crate::operation::Operation;
use crate::validate;
use crate::wire::*;

/// A request of an operation with expressions, and those expressions parsed: from the
/// expression parameters (`ConditionExpression`, `KeyConditionExpression`, ...) or converted
/// from the legacy ones (`Expected`, `KeyConditions`, `AttributesToGet`, ...), whichever the
/// request used. The engine evaluates `expressions` and ignores the input's expression text.
#[derive(Debug, Clone)]
pub struct Parsed<T, E = ParsedExpressions> {
    /// The request as decoded.
    pub input: T,
    /// Its expressions, ready to evaluate.
    pub expressions: E,
}

/// A decoded and validated request.
#[derive(Debug, Clone)]
#[allow(missing_docs)] // each variant is the operation of the same name
pub enum Request {
    CreateTable(CreateTableInput),
    DescribeTable(DescribeTableInput),
    ListTables(ListTablesInput),
    DeleteTable(DeleteTableInput),
    UpdateTable(UpdateTableInput),
    TagResource(TagResourceInput),
    UntagResource(UntagResourceInput),
    ListTagsOfResource(ListTagsOfResourceInput),
    DescribeLimits(DescribeLimitsInput),
    DescribeEndpoints(DescribeEndpointsRequest),
    PutItem(Parsed<PutItemInput>),
    GetItem(Parsed<GetItemInput>),
    UpdateItem(Parsed<UpdateItemInput>),
    DeleteItem(Parsed<DeleteItemInput>),
    Query(Parsed<QueryInput>),
    Scan(Parsed<ScanInput>),
    /// Each table's projection, by table name.
    BatchGetItem(Parsed<BatchGetItemInput, BTreeMap<String, ParsedExpressions>>),
    BatchWriteItem(BatchWriteItemInput),
    UpdateTimeToLive(UpdateTimeToLiveInput),
    DescribeTimeToLive(DescribeTimeToLiveInput),
    /// DynamoDB Streams.
    ListStreams(ListStreamsInput),
    /// DynamoDB Streams.
    DescribeStream(DescribeStreamInput),
    /// DynamoDB Streams; [`GetShardIteratorInput::position`] is the position asked for.
    GetShardIterator(GetShardIteratorInput),
    /// DynamoDB Streams.
    GetRecords(GetRecordsInput),
}

/// A response to encode.
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)] // each variant is the operation of the same name
pub enum Response {
    CreateTable(CreateTableOutput),
    DescribeTable(DescribeTableOutput),
    ListTables(ListTablesOutput),
    DeleteTable(DeleteTableOutput),
    UpdateTable(UpdateTableOutput),
    /// TagResource has no output members: the body is `{}`.
    TagResource,
    /// UntagResource has no output members: the body is `{}`.
    UntagResource,
    ListTagsOfResource(ListTagsOfResourceOutput),
    DescribeLimits(DescribeLimitsOutput),
    DescribeEndpoints(DescribeEndpointsResponse),
    PutItem(PutItemOutput),
    GetItem(GetItemOutput),
    UpdateItem(UpdateItemOutput),
    DeleteItem(DeleteItemOutput),
    Query(QueryOutput),
    Scan(ScanOutput),
    BatchGetItem(BatchGetItemOutput),
    BatchWriteItem(BatchWriteItemOutput),
    UpdateTimeToLive(UpdateTimeToLiveOutput),
    DescribeTimeToLive(DescribeTimeToLiveOutput),
    ListStreams(ListStreamsOutput),
    DescribeStream(DescribeStreamOutput),
    GetShardIterator(GetShardIteratorOutput),
    GetRecords(GetRecordsOutput),
}

/// Decodes the body of a request for `op` and checks everything that needs no table state,
/// in DynamoDB's order: JSON types (SerializationException), then the service model's
/// constraints, then the operation's own rules including its expressions (ValidationException).
/// What remains for the engine needs the table: key schema, indexes, item contents.
///
/// An operation without wire types here ([`Operation::has_wire_types`]) is answered with
/// UnknownOperationException, as for a name DynamoDB does not know.
pub fn decode_request(op: Operation, body: &[u8]) -> Result<Request, ApiError> {
    macro_rules! decode {
        ($variant:ident, $check:path) => {{
            let (input, value_errors) = decode_body(body)?;
            $check(&input, &value_errors)?;
            Ok(Request::$variant(input))
        }};
    }
    macro_rules! parsed {
        ($variant:ident, $check:path) => {{
            let (input, value_errors) = decode_body(body)?;
            let expressions = $check(&input, &value_errors)?;
            Ok(Request::$variant(Parsed { input, expressions }))
        }};
    }
    match op {
        Operation::CreateTable => decode!(CreateTable, validate::table::create_table),
        Operation::DescribeTable => decode!(DescribeTable, validate::nothing),
        Operation::ListTables => decode!(ListTables, validate::nothing),
        Operation::DeleteTable => decode!(DeleteTable, validate::nothing),
        Operation::UpdateTable => decode!(UpdateTable, validate::table::update_table),
        Operation::TagResource => decode!(TagResource, validate::tag::tag_resource),
        Operation::UntagResource => decode!(UntagResource, validate::tag::untag_resource),
        Operation::ListTagsOfResource => {
            decode!(ListTagsOfResource, validate::tag::list_tags_of_resource)
        }
        Operation::DescribeLimits => decode!(DescribeLimits, validate::nothing),
        Operation::DescribeEndpoints => decode!(DescribeEndpoints, validate::nothing),
        Operation::PutItem => parsed!(PutItem, validate::item::put_item),
        Operation::GetItem => parsed!(GetItem, validate::item::get_item),
        Operation::UpdateItem => parsed!(UpdateItem, validate::item::update_item),
        Operation::DeleteItem => parsed!(DeleteItem, validate::item::delete_item),
        Operation::Query => parsed!(Query, validate::query::query),
        Operation::Scan => parsed!(Scan, validate::query::scan),
        Operation::BatchGetItem => parsed!(BatchGetItem, validate::batch::batch_get_item),
        Operation::BatchWriteItem => decode!(BatchWriteItem, validate::batch::batch_write_item),
        Operation::UpdateTimeToLive => {
            decode!(
                UpdateTimeToLive,
                validate::time_to_live::update_time_to_live
            )
        }
        Operation::DescribeTimeToLive => decode!(DescribeTimeToLive, validate::nothing),
        Operation::ListStreams => decode!(ListStreams, validate::stream::list_streams),
        Operation::DescribeStream => decode!(DescribeStream, validate::stream::describe_stream),
        Operation::GetShardIterator => {
            decode!(GetShardIterator, validate::stream::get_shard_iterator)
        }
        Operation::GetRecords => decode!(GetRecords, validate::stream::get_records),
        _ => Err(ApiError::unknown_operation()),
    }
}

/// The tables a request named by ARN instead of by name (`TableName`, and the keys of a batch's
/// `RequestItems`, accept either), each with the name it stands for. Answers keyed by table
/// (a batch's `Responses`, `UnprocessedKeys`, `UnprocessedItems`, `ItemCollectionMetrics`)
/// use what the request used: [`TableArns::restore`] puts the ARNs back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableArns(Vec<(String, String)>);

impl Request {
    /// Replaces every table ARN in the request by the table's name, checking that it names a
    /// table of this endpoint (`region` and `account`): an ARN that is not a table's, or a
    /// name no table can have, is a ValidationException; a table of another account is not
    /// found. Returns the ARNs replaced.
    pub fn resolve_table_arns(
        &mut self,
        region: &str,
        account: &str,
    ) -> Result<TableArns, ApiError> {
        let mut arns = TableArns::default();
        let mut one = |name: &mut String| arns.resolve(name, region, account);
        match self {
            Request::CreateTable(input) => one(&mut input.table_name)?,
            Request::DescribeTable(input) => one(&mut input.table_name)?,
            Request::DeleteTable(input) => one(&mut input.table_name)?,
            Request::UpdateTable(input) => one(&mut input.table_name)?,
            Request::PutItem(request) => one(&mut request.input.table_name)?,
            Request::GetItem(request) => one(&mut request.input.table_name)?,
            Request::UpdateItem(request) => one(&mut request.input.table_name)?,
            Request::DeleteItem(request) => one(&mut request.input.table_name)?,
            Request::Query(request) => one(&mut request.input.table_name)?,
            Request::Scan(request) => one(&mut request.input.table_name)?,
            Request::UpdateTimeToLive(input) => one(&mut input.table_name)?,
            Request::DescribeTimeToLive(input) => one(&mut input.table_name)?,
            Request::BatchGetItem(request) => {
                request.input.request_items = arns.resolve_keys(
                    std::mem::take(&mut request.input.request_items),
                    region,
                    account,
                )?;
                request.expressions = arns.rename_keys(std::mem::take(&mut request.expressions));
            }
            Request::BatchWriteItem(input) => {
                input.request_items =
                    arns.resolve_keys(std::mem::take(&mut input.request_items), region, account)?;
            }
            Request::ListTables(_)
            | Request::TagResource(_)
            | Request::UntagResource(_)
            | Request::ListTagsOfResource(_)
            | Request::DescribeLimits(_)
            | Request::DescribeEndpoints(_)
            | Request::ListStreams(_)
            | Request::DescribeStream(_)
            | Request::GetShardIterator(_)
            | Request::GetRecords(_) => {}
        }
        Ok(arns)
    }
}

impl TableArns {
    /// The table a key of `RequestItems` names: its name, whether the key is the name or the
    /// table's ARN.
    pub fn name_of<'a>(&'a self, key: &'a str) -> &'a str {
        self.0
            .iter()
            .find(|(_, arn)| arn == key)
            .map_or(key, |(name, _)| name)
    }

    /// Whether the request named every table by name.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Replaces `text` by the table name if it is a table ARN of this endpoint.
    fn resolve(&mut self, text: &mut String, region: &str, account: &str) -> Result<(), ApiError> {
        if !text.starts_with("arn:") {
            return Ok(());
        }
        let arn = crate::arn::ResourceArn::parse_taggable(text)?;
        if arn.kind != crate::arn::ResourceKind::Table || arn.region != region {
            return Err(crate::arn::ResourceArn::invalid_table_arn(text));
        }
        if arn.account != account {
            return Err(ApiError::table_not_found(text));
        }
        let name = arn.table;
        self.0.push((name.clone(), std::mem::replace(text, name)));
        Ok(())
    }

    /// `items` with every ARN key replaced by its table's name. One table named twice (by
    /// name and by ARN) is refused, as a table named twice by name cannot be.
    fn resolve_keys<V>(
        &mut self,
        items: BTreeMap<String, V>,
        region: &str,
        account: &str,
    ) -> Result<BTreeMap<String, V>, ApiError> {
        let mut resolved = BTreeMap::new();
        for (mut key, value) in items {
            self.resolve(&mut key, region, account)?;
            if resolved.contains_key(&key) {
                return Err(ApiError::validation(format!(
                    "Table {key} is named more than once in RequestItems (by its name and its ARN)"
                )));
            }
            resolved.insert(key, value);
        }
        Ok(resolved)
    }

    /// `map` with its ARN keys replaced by names, as [`TableArns::resolve_keys`] did to the
    /// request's items.
    fn rename_keys<V>(&self, map: BTreeMap<String, V>) -> BTreeMap<String, V> {
        self.rekey(map, |(name, arn)| (arn, name))
    }

    /// `map` with the names of tables the request named by ARN replaced by those ARNs.
    fn restore_keys<V>(&self, map: BTreeMap<String, V>) -> BTreeMap<String, V> {
        self.rekey(map, |(name, arn)| (name, arn))
    }

    /// `map` with every key that is the `from` of a pair (as `direction` orders the pair's
    /// name and ARN) replaced by its `to`.
    fn rekey<V>(
        &self,
        map: BTreeMap<String, V>,
        direction: impl for<'p> Fn(&'p (String, String)) -> (&'p String, &'p String),
    ) -> BTreeMap<String, V> {
        map.into_iter()
            .map(|(key, value)| {
                match self
                    .0
                    .iter()
                    .map(&direction)
                    .find(|(from, _)| **from == key)
                {
                    Some((_, to)) => (to.clone(), value),
                    None => (key, value),
                }
            })
            .collect()
    }

    /// Keys the answer's per-table maps by what the request used: the ARN where it gave one.
    pub fn restore(&self, response: &mut Response) {
        if self.is_empty() {
            return;
        }
        match response {
            Response::BatchGetItem(output) => {
                output.responses = self.restore_keys(std::mem::take(&mut output.responses));
                output.unprocessed_keys =
                    self.restore_keys(std::mem::take(&mut output.unprocessed_keys));
            }
            Response::BatchWriteItem(output) => {
                output.unprocessed_items =
                    self.restore_keys(std::mem::take(&mut output.unprocessed_items));
                if let Some(metrics) = output.item_collection_metrics.take() {
                    output.item_collection_metrics = Some(self.restore_keys(metrics));
                }
            }
            _ => {}
        }
    }
}

/// Encodes a response body (JSON; absent members are left out).
pub fn encode_response(response: &Response) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    write_response(response, &mut out);
    out
}

/// Appends a response body to `out` (see [`encode_response`]).
pub fn write_response(response: &Response, out: &mut Vec<u8>) {
    fn write(out: &mut Vec<u8>, value: &impl serde::Serialize) {
        serde_json::to_writer(out, value).expect("response types serialize to JSON infallibly");
    }
    match response {
        Response::CreateTable(output) => write(out, output),
        Response::DescribeTable(output) => write(out, output),
        Response::ListTables(output) => write(out, output),
        Response::DeleteTable(output) => write(out, output),
        Response::UpdateTable(output) => write(out, output),
        Response::TagResource | Response::UntagResource => out.extend_from_slice(b"{}"),
        Response::ListTagsOfResource(output) => write(out, output),
        Response::DescribeLimits(output) => write(out, output),
        Response::DescribeEndpoints(output) => write(out, output),
        Response::PutItem(output) => write(out, output),
        Response::GetItem(output) => write(out, output),
        Response::UpdateItem(output) => write(out, output),
        Response::DeleteItem(output) => write(out, output),
        Response::Query(output) => write(out, output),
        Response::Scan(output) => write(out, output),
        Response::BatchGetItem(output) => write(out, output),
        Response::BatchWriteItem(output) => write(out, output),
        Response::UpdateTimeToLive(output) => write(out, output),
        Response::DescribeTimeToLive(output) => write(out, output),
        Response::ListStreams(output) => write(out, output),
        Response::DescribeStream(output) => write(out, output),
        Response::GetShardIterator(output) => write(out, output),
        Response::GetRecords(output) => write(out, output),
    }
}
