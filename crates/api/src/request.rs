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
