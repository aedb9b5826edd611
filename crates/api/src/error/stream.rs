//! Errors of DynamoDB Streams (ListStreams, DescribeStream, GetShardIterator, GetRecords) and
//! of turning a table's stream on and off.

use super::{ApiError, ErrorKind};
use crate::validate::INVALID;

impl ApiError {
    /// ResourceNotFoundException for a stream ARN that names no stream (no such table, or a
    /// label that is not one of its streams').
    pub fn stream_not_found(stream_arn: &str) -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            format!("Requested resource not found: Stream: {stream_arn} not found"),
        )
    }

    /// ResourceNotFoundException for GetShardIterator naming a shard the stream does not have.
    pub fn shard_not_found() -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            "Requested resource not found: Shard does not exist",
        )
    }

    /// ResourceNotFoundException for GetRecords with a well-formed iterator whose shard (or
    /// stream, or table) no longer exists.
    pub fn iterator_shard_not_found() -> Self {
        Self::new(
            ErrorKind::ResourceNotFound,
            "Invalid ShardId in ShardIterator",
        )
    }

    /// ValidationException for GetRecords with an iterator this server did not hand out (it
    /// does not decode, or its integrity check fails).
    pub fn invalid_shard_iterator() -> Self {
        Self::validation("Invalid ShardIterator")
    }

    /// ExpiredIteratorException: the iterator was handed out more than 15 minutes ago.
    pub fn expired_iterator() -> Self {
        Self::new(
            ErrorKind::ExpiredIterator,
            "The provided iterator exceeds the maximum age allowed.",
        )
    }

    /// TrimmedDataAccessException: the iterator or sequence number points before the oldest
    /// record the shard still keeps.
    pub fn trimmed_data_access() -> Self {
        Self::new(
            ErrorKind::TrimmedDataAccess,
            "The data you are trying to access has been trimmed.",
        )
    }

    /// ValidationException for `AT_SEQUENCE_NUMBER` or `AFTER_SEQUENCE_NUMBER` with a number
    /// past the shard's last record. (Our wording: DynamoDB's is not documented.)
    pub fn sequence_number_beyond_shard(sequence_number: &str, shard_id: &str) -> Self {
        Self::validation(format!(
            "{INVALID}SequenceNumber {sequence_number} is beyond the last record of shard \
             {shard_id}"
        ))
    }

    /// ValidationException for `AT_SEQUENCE_NUMBER` or `AFTER_SEQUENCE_NUMBER` with a number
    /// below the shard's first one: a number of some other stream (such as an earlier stream
    /// of the same table), still within the retention period. (Our wording: DynamoDB's is not
    /// documented.)
    pub fn sequence_number_before_shard(sequence_number: &str, shard_id: &str) -> Self {
        Self::validation(format!(
            "{INVALID}SequenceNumber {sequence_number} is not a sequence number of shard \
             {shard_id}"
        ))
    }

    /// ValidationException for `AT_TIMESTAMP` with a time still to come, as DynamoDB documents.
    /// (Our wording.)
    pub fn timestamp_in_future(timestamp: f64) -> Self {
        Self::validation(format!("{INVALID}Timestamp {timestamp} is in the future"))
    }

    /// ValidationException for UpdateTable enabling a stream on a table that has one enabled
    /// (whatever the view type: changing it takes a disable, then an enable).
    pub fn stream_already_enabled(table_name: &str) -> Self {
        Self::validation(format!(
            "Table already has an enabled stream: TableName: {table_name}"
        ))
    }

    /// ValidationException for UpdateTable disabling the stream of a table that has none
    /// enabled.
    pub fn no_stream_to_disable(table_name: &str) -> Self {
        Self::validation(format!(
            "Table has no stream to disable: TableName: {table_name}"
        ))
    }

    /// LimitExceededException for GetRecords with a `Limit` above 1000, as DynamoDB documents
    /// it. (Our wording.)
    pub fn get_records_limit_exceeded(limit: i32) -> Self {
        Self::new(
            ErrorKind::LimitExceeded,
            format!(
                "GetRecords Limit {limit} exceeds the maximum of {} records per call",
                crate::wire::GET_RECORDS_LIMIT_MAX
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_errors_have_their_kinds_and_words() {
        let arn = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2024-01-01T00:00:00.000";
        let missing = ApiError::stream_not_found(arn);
        assert_eq!(missing.kind, ErrorKind::ResourceNotFound);
        assert_eq!(
            missing.message,
            format!("Requested resource not found: Stream: {arn} not found")
        );
        assert_eq!(
            ApiError::shard_not_found().message,
            "Requested resource not found: Shard does not exist"
        );
        assert_eq!(
            ApiError::iterator_shard_not_found().kind,
            ErrorKind::ResourceNotFound
        );
        assert_eq!(
            ApiError::invalid_shard_iterator().kind,
            ErrorKind::Validation
        );
        let expired = ApiError::expired_iterator();
        assert_eq!(expired.kind, ErrorKind::ExpiredIterator);
        assert_eq!(
            String::from_utf8(expired.to_json()).unwrap(),
            r#"{"__type":"com.amazonaws.dynamodb.v20120810#ExpiredIteratorException","message":"The provided iterator exceeds the maximum age allowed."}"#
        );
        let trimmed = ApiError::trimmed_data_access();
        assert_eq!(trimmed.kind.name(), "TrimmedDataAccessException");
        assert_eq!(trimmed.http_status(), 400);
        assert_eq!(
            ApiError::get_records_limit_exceeded(1001).kind,
            ErrorKind::LimitExceeded
        );
    }

    #[test]
    fn table_stream_errors() {
        assert_eq!(
            ApiError::stream_already_enabled("Music").message,
            "Table already has an enabled stream: TableName: Music"
        );
        assert_eq!(
            ApiError::no_stream_to_disable("Music").message,
            "Table has no stream to disable: TableName: Music"
        );
        assert!(
            ApiError::sequence_number_beyond_shard("000000000000000000009", "shardId-x")
                .message
                .starts_with("One or more parameter values were invalid: ")
        );
        assert_eq!(
            ApiError::timestamp_in_future(4102444800.5).message,
            "One or more parameter values were invalid: Timestamp 4102444800.5 is in the future"
        );
        let before = ApiError::sequence_number_before_shard("000000000000000000009", "shardId-x");
        assert_eq!(before.kind, ErrorKind::Validation);
        assert!(before.message.contains("000000000000000000009"));
    }
}
