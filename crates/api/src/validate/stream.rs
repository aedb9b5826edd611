//! Rules of the DynamoDB Streams operations: stream ARNs, sequence numbers against iterator
//! types, and GetRecords' `Limit`.

use super::invalid;
use crate::arn::ResourceArn;
use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::{
    DescribeStreamInput, GET_RECORDS_LIMIT_MAX, GetRecordsInput, GetShardIteratorInput,
    ListStreamsInput, ShardIteratorType,
};

/// ListStreams: a starting ARN must be a stream's.
pub(crate) fn list_streams(
    input: &ListStreamsInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    if let Some(arn) = &input.exclusive_start_stream_arn {
        ResourceArn::parse_stream(arn)?;
    }
    Ok(())
}

/// DescribeStream: the ARN must be a stream's.
pub(crate) fn describe_stream(
    input: &DescribeStreamInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    ResourceArn::parse_stream(&input.stream_arn)?;
    Ok(())
}

/// GetShardIterator: the ARN must be a stream's; `AT_SEQUENCE_NUMBER` and
/// `AFTER_SEQUENCE_NUMBER` need a sequence number, the other types refuse one, and a sequence
/// number is digits; `AT_TIMESTAMP` needs a timestamp (which the other types ignore). (The messages are ours: DynamoDB's are not documented.)
pub(crate) fn get_shard_iterator(
    input: &GetShardIteratorInput,
    _values: &ValueErrors,
) -> Result<(), ApiError> {
    ResourceArn::parse_stream(&input.stream_arn)?;
    let kind = input.shard_iterator_type;
    let needs_number = matches!(
        kind,
        ShardIteratorType::AtSequenceNumber | ShardIteratorType::AfterSequenceNumber
    );
    if kind == ShardIteratorType::AtTimestamp && input.timestamp.is_none() {
        return Err(invalid(format!(
            "A Timestamp is required for ShardIteratorType {kind}"
        )));
    }
    match (&input.sequence_number, needs_number) {
        (None, true) => Err(invalid(format!(
            "A SequenceNumber is required for ShardIteratorType {kind}"
        ))),
        (Some(_), false) => Err(invalid(format!(
            "A SequenceNumber must not be given with ShardIteratorType {kind}"
        ))),
        (Some(number), true) if !number.bytes().all(|byte| byte.is_ascii_digit()) => Err(invalid(
            format!("SequenceNumber must contain only digits: {number}"),
        )),
        _ => Ok(()),
    }
}

/// GetRecords: at most 1000 records per call, a LimitExceededException beyond as DynamoDB
/// documents it.
pub(crate) fn get_records(input: &GetRecordsInput, _values: &ValueErrors) -> Result<(), ApiError> {
    match input.limit {
        Some(limit) if limit > GET_RECORDS_LIMIT_MAX => {
            Err(ApiError::get_records_limit_exceeded(limit))
        }
        _ => Ok(()),
    }
}
