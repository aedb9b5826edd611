//! The DynamoDB Streams operations (ListStreams, DescribeStream, GetShardIterator, GetRecords):
//! they decode only under their own target prefix, their constraints and rules answer with
//! DynamoDB's messages (or ours where DynamoDB's are not documented), and responses encode in
//! the Streams API's casing.

mod support;

use ferrodyn_api::wire::*;
use ferrodyn_api::{ErrorKind, Operation, Request, Response, encode_response};
use ferrodyn_model::{AttributeValue, Item};
use support::{decode, decode_streams, one_violation, streams_failure};

const ARN: &str =
    "arn:aws:dynamodb:us-east-1:000000000000:table/Music/stream/2024-01-31T09:05:03.007";
const SHARD: &str = "shardId-00000001706691903007-0000000a";

fn validation(name: &str, body: &str) -> String {
    streams_failure(ErrorKind::Validation, name, body)
}

#[test]
fn streams_operations_live_under_their_prefix() {
    for name in [
        "ListStreams",
        "DescribeStream",
        "GetShardIterator",
        "GetRecords",
    ] {
        let op = Operation::from_target(Some(&format!("DynamoDBStreams_20120810.{name}"))).unwrap();
        assert!(op.has_wire_types(), "{name}");
        assert!(Operation::from_target(Some(&format!("DynamoDB_20120810.{name}"))).is_err());
    }
    assert!(decode_streams("ListStreams", "{}").is_ok());
}

#[test]
fn list_streams() {
    let Ok(Request::ListStreams(input)) = decode_streams(
        "ListStreams",
        &format!(r#"{{"TableName": "Music", "Limit": 5, "ExclusiveStartStreamArn": "{ARN}"}}"#),
    ) else {
        panic!()
    };
    assert_eq!(input.table_name.as_deref(), Some("Music"));
    assert_eq!(input.limit, Some(5));
    assert_eq!(input.exclusive_start_stream_arn.as_deref(), Some(ARN));
    assert_eq!(
        validation("ListStreams", r#"{"Limit": 0}"#),
        one_violation(
            "'0'",
            "limit",
            "Member must have value greater than or equal to 1"
        )
    );
    assert_eq!(
        validation("ListStreams", r#"{"Limit": 101}"#),
        one_violation(
            "'101'",
            "limit",
            "Member must have value less than or equal to 100"
        )
    );
    assert_eq!(
        validation("ListStreams", r#"{"TableName": "ab"}"#),
        one_violation(
            "'ab'",
            "tableName",
            "Member must have length greater than or equal to 3"
        )
    );
    assert_eq!(
        validation("ListStreams", r#"{"ExclusiveStartStreamArn": "short"}"#),
        one_violation(
            "'short'",
            "exclusiveStartStreamArn",
            "Member must have length greater than or equal to 37"
        )
    );
    assert_eq!(
        validation(
            "ListStreams",
            r#"{"ExclusiveStartStreamArn": "kossaapaaasdafsdaasdasdasdasasdasfadfadfasdasdas"}"#
        ),
        "Invalid StreamArn"
    );
}

#[test]
fn describe_stream() {
    let Ok(Request::DescribeStream(input)) = decode_streams(
        "DescribeStream",
        &format!(
            r#"{{"StreamArn": "{ARN}", "Limit": 10, "ExclusiveStartShardId": "{SHARD}",
                "ShardFilter": {{"Type": "CHILD_SHARDS", "ShardId": "{SHARD}"}}}}"#
        ),
    ) else {
        panic!()
    };
    assert_eq!(input.stream_arn, ARN);
    assert_eq!(input.limit, Some(10));
    assert_eq!(input.exclusive_start_shard_id.as_deref(), Some(SHARD));
    let filter = input.shard_filter.unwrap();
    assert_eq!(filter.filter_type, Some(ShardFilterType::ChildShards));
    assert_eq!(filter.shard_id.as_deref(), Some(SHARD));

    assert_eq!(
        validation("DescribeStream", "{}"),
        one_violation("null", "streamArn", "Member must not be null")
    );
    assert_eq!(
        validation(
            "DescribeStream",
            &format!(r#"{{"StreamArn": "{ARN}", "Limit": 101, "ExclusiveStartShardId": "x"}}"#)
        ),
        "2 validation errors detected: Value '101' at 'limit' failed to satisfy constraint: \
         Member must have value less than or equal to 100; Value 'x' at 'exclusiveStartShardId' \
         failed to satisfy constraint: Member must have length greater than or equal to 28"
    );
    let long_shard = "s".repeat(66);
    assert_eq!(
        validation(
            "DescribeStream",
            &format!(r#"{{"StreamArn": "{ARN}", "ExclusiveStartShardId": "{long_shard}"}}"#)
        ),
        one_violation(
            &format!("'{long_shard}'"),
            "exclusiveStartShardId",
            "Member must have length less than or equal to 65"
        )
    );
    assert_eq!(
        validation(
            "DescribeStream",
            &format!(r#"{{"StreamArn": "{ARN}", "ShardFilter": {{"Type": "PARENT"}}}}"#)
        ),
        one_violation(
            "'PARENT'",
            "shardFilter.type",
            "Member must satisfy enum value set: [CHILD_SHARDS]"
        )
    );
    // A table's or an index's ARN is not a stream's.
    assert_eq!(
        validation(
            "DescribeStream",
            r#"{"StreamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/Music"}"#
        ),
        "Invalid StreamArn"
    );
    assert_eq!(
        validation(
            "DescribeStream",
            r#"{"StreamArn": "sdfadfsdfnlfkajakfgjalksfgklasjklasdjfklasdfasdfgasf"}"#
        ),
        "Invalid StreamArn"
    );
}

fn iterator_body(kind: &str, sequence_number: Option<&str>) -> String {
    let number = sequence_number
        .map(|n| format!(r#", "SequenceNumber": "{n}""#))
        .unwrap_or_default();
    format!(
        r#"{{"StreamArn": "{ARN}", "ShardId": "{SHARD}", "ShardIteratorType": "{kind}"{number}}}"#
    )
}

fn iterator(body: &str) -> GetShardIteratorInput {
    match decode_streams("GetShardIterator", body) {
        Ok(Request::GetShardIterator(input)) => input,
        other => panic!("{body}: {other:?}"),
    }
}

#[test]
fn get_shard_iterator_positions() {
    let number = "000000000000000000042";
    assert_eq!(
        iterator(&iterator_body("TRIM_HORIZON", None)).position(),
        Some(ShardPosition::TrimHorizon)
    );
    assert_eq!(
        iterator(&iterator_body("LATEST", None)).position(),
        Some(ShardPosition::Latest)
    );
    assert_eq!(
        iterator(&iterator_body("AT_SEQUENCE_NUMBER", Some(number))).position(),
        Some(ShardPosition::At(SequenceNumber(42)))
    );
    assert_eq!(
        iterator(&iterator_body("AFTER_SEQUENCE_NUMBER", Some(number))).position(),
        Some(ShardPosition::After(SequenceNumber(42)))
    );
    // A timestamp is seconds since the epoch, with milliseconds; before the epoch is 0.
    let at_time = |timestamp: &str| {
        format!(
            r#"{{"StreamArn": "{ARN}", "ShardId": "{SHARD}", "ShardIteratorType": "AT_TIMESTAMP", "Timestamp": {timestamp}}}"#
        )
    };
    assert_eq!(
        iterator(&at_time("1791316726.48")).position(),
        Some(ShardPosition::AtTime(1_791_316_726_480))
    );
    assert_eq!(
        iterator(&at_time("1791316726")).position(),
        Some(ShardPosition::AtTime(1_791_316_726_000))
    );
    assert_eq!(
        iterator(&at_time("-5")).position(),
        Some(ShardPosition::AtTime(0))
    );
    // Forty digits are valid on the wire but more than any shard holds.
    let huge = "9".repeat(40);
    let input = iterator(&iterator_body("AT_SEQUENCE_NUMBER", Some(&huge)));
    assert_eq!(input.shard_id, SHARD);
    assert_eq!(input.position(), None);
}

#[test]
fn get_shard_iterator_rules() {
    assert_eq!(
        validation("GetShardIterator", "{}"),
        "3 validation errors detected: Value null at 'streamArn' failed to satisfy constraint: \
         Member must not be null; Value null at 'shardId' failed to satisfy constraint: Member \
         must not be null; Value null at 'shardIteratorType' failed to satisfy constraint: \
         Member must not be null"
    );
    assert_eq!(
        validation("GetShardIterator", &iterator_body("bulle", None)),
        one_violation(
            "'bulle'",
            "shardIteratorType",
            "Member must satisfy enum value set: [TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, \
             AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP]"
        )
    );
    assert_eq!(
        validation("GetShardIterator", &iterator_body("LATEST", Some("12345"))),
        one_violation(
            "'12345'",
            "sequenceNumber",
            "Member must have length greater than or equal to 21"
        )
    );
    let too_long = "1".repeat(41);
    assert_eq!(
        validation(
            "GetShardIterator",
            &iterator_body("AT_SEQUENCE_NUMBER", Some(&too_long))
        ),
        one_violation(
            &format!("'{too_long}'"),
            "sequenceNumber",
            "Member must have length less than or equal to 40"
        )
    );
    assert_eq!(
        validation(
            "GetShardIterator",
            &iterator_body("AT_SEQUENCE_NUMBER", None)
        ),
        "One or more parameter values were invalid: A SequenceNumber is required for \
         ShardIteratorType AT_SEQUENCE_NUMBER"
    );
    assert_eq!(
        validation(
            "GetShardIterator",
            &iterator_body("AFTER_SEQUENCE_NUMBER", None)
        ),
        "One or more parameter values were invalid: A SequenceNumber is required for \
         ShardIteratorType AFTER_SEQUENCE_NUMBER"
    );
    assert_eq!(
        validation("GetShardIterator", &iterator_body("AT_TIMESTAMP", None)),
        "One or more parameter values were invalid: A Timestamp is required for \
         ShardIteratorType AT_TIMESTAMP"
    );
    let number = "000000000000000000042";
    for kind in ["TRIM_HORIZON", "LATEST"] {
        assert_eq!(
            validation("GetShardIterator", &iterator_body(kind, Some(number))),
            format!(
                "One or more parameter values were invalid: A SequenceNumber must not be given \
                 with ShardIteratorType {kind}"
            )
        );
    }
    let letters = "sdfsafglldfngjdafnasdflgnaldkl";
    assert_eq!(
        validation(
            "GetShardIterator",
            &iterator_body("AT_SEQUENCE_NUMBER", Some(letters))
        ),
        format!(
            "One or more parameter values were invalid: SequenceNumber must contain only \
             digits: {letters}"
        )
    );
    assert_eq!(
        validation(
            "GetShardIterator",
            &format!(
                r#"{{"StreamArn": "sdfadsfsdfsdgdfsgsfdabadfbabdadsfsdfsdfsdfsdfs", "ShardId": "{SHARD}", "ShardIteratorType": "LATEST"}}"#
            )
        ),
        "Invalid StreamArn"
    );
}

#[test]
fn get_records() {
    let Ok(Request::GetRecords(input)) = decode_streams(
        "GetRecords",
        r#"{"ShardIterator": "opaque", "Limit": 1000}"#,
    ) else {
        panic!()
    };
    assert_eq!(input.shard_iterator, "opaque");
    assert_eq!(input.limit, Some(1000));
    assert_eq!(
        validation("GetRecords", "{}"),
        one_violation("null", "shardIterator", "Member must not be null")
    );
    assert_eq!(
        validation("GetRecords", r#"{"ShardIterator": "", "Limit": 0}"#),
        "2 validation errors detected: Value '' at 'shardIterator' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; Value '0' at 'limit' failed to \
         satisfy constraint: Member must have value greater than or equal to 1"
    );
    let long = "i".repeat(2049);
    assert_eq!(
        validation("GetRecords", &format!(r#"{{"ShardIterator": "{long}"}}"#)),
        one_violation(
            &format!("'{long}'"),
            "shardIterator",
            "Member must have length less than or equal to 2048"
        )
    );
    let message = streams_failure(
        ErrorKind::LimitExceeded,
        "GetRecords",
        r#"{"ShardIterator": "opaque", "Limit": 1001}"#,
    );
    assert!(message.contains("1001"), "{message}");
}

#[test]
fn streams_requests_are_not_dynamodb_requests() {
    // The same names under DynamoDB's prefix are not operations at all.
    let op = Operation::from_target(Some("DynamoDB_20120810.ListStreams"));
    assert!(op.is_err());
    // And a DynamoDB operation's body rules still apply under its own prefix.
    assert!(decode("DescribeTimeToLive", r#"{"TableName": "Music"}"#).is_ok());
}

fn text(response: &Response) -> String {
    String::from_utf8(encode_response(response)).unwrap()
}

#[test]
fn list_and_describe_responses_encode() {
    assert_eq!(
        text(&Response::ListStreams(ListStreamsOutput::default())),
        r#"{"Streams":[]}"#
    );
    let listed = ListStreamsOutput {
        streams: vec![Stream {
            stream_arn: Some(ARN.to_owned()),
            table_name: Some("Music".to_owned()),
            stream_label: Some("2024-01-31T09:05:03.007".to_owned()),
        }],
        last_evaluated_stream_arn: Some(ARN.to_owned()),
    };
    assert_eq!(
        text(&Response::ListStreams(listed)),
        format!(
            r#"{{"Streams":[{{"StreamArn":"{ARN}","TableName":"Music","StreamLabel":"2024-01-31T09:05:03.007"}}],"LastEvaluatedStreamArn":"{ARN}"}}"#
        )
    );
    let described = DescribeStreamOutput {
        stream_description: Some(StreamDescription {
            stream_arn: Some(ARN.to_owned()),
            stream_label: Some("2024-01-31T09:05:03.007".to_owned()),
            stream_status: Some(StreamStatus::Enabled),
            stream_view_type: Some(StreamViewType::NewAndOldImages),
            creation_request_date_time: Some(1_706_691_903.007),
            table_name: Some("Music".to_owned()),
            key_schema: Some(vec![KeySchemaElement {
                attribute_name: "pk".to_owned(),
                key_type: KeyType::Hash,
            }]),
            shards: Some(vec![Shard {
                shard_id: Some(SHARD.to_owned()),
                sequence_number_range: Some(SequenceNumberRange {
                    starting_sequence_number: Some(SequenceNumber(1).to_string()),
                    ending_sequence_number: None,
                }),
                parent_shard_id: None,
            }]),
            last_evaluated_shard_id: None,
        }),
    };
    assert_eq!(
        text(&Response::DescribeStream(described)),
        format!(
            concat!(
                r#"{{"StreamDescription":{{"StreamArn":"{arn}","StreamLabel":"2024-01-31T09:05:03.007","#,
                r#""StreamStatus":"ENABLED","StreamViewType":"NEW_AND_OLD_IMAGES","#,
                r#""CreationRequestDateTime":1706691903.007,"TableName":"Music","#,
                r#""KeySchema":[{{"AttributeName":"pk","KeyType":"HASH"}}],"#,
                r#""Shards":[{{"ShardId":"{shard}","SequenceNumberRange":{{"StartingSequenceNumber":"000000000000000000001"}}}}]}}}}"#
            ),
            arn = ARN,
            shard = SHARD
        )
    );
}

#[test]
fn iterator_and_records_responses_encode() {
    assert_eq!(
        text(&Response::GetShardIterator(GetShardIteratorOutput {
            shard_iterator: Some("it".to_owned()),
        })),
        r#"{"ShardIterator":"it"}"#
    );
    assert_eq!(
        text(&Response::GetRecords(GetRecordsOutput::default())),
        r#"{"Records":[]}"#
    );
    let mut keys = Item::new();
    keys.insert("pk".to_owned(), AttributeValue::S("a".to_owned()));
    let mut image = keys.clone();
    image.insert("n".to_owned(), AttributeValue::N("5".parse().unwrap()));
    let records = GetRecordsOutput {
        records: vec![Record {
            event_id: Some("e1".to_owned()),
            event_name: Some(OperationType::Insert),
            event_version: Some(Record::EVENT_VERSION.to_owned()),
            event_source: Some(Record::EVENT_SOURCE.to_owned()),
            aws_region: Some("us-east-1".to_owned()),
            dynamodb: Some(StreamRecord {
                approximate_creation_date_time: Some(1_706_691_903.0),
                keys: Some(keys),
                new_image: Some(image),
                old_image: None,
                sequence_number: Some(SequenceNumber(7)),
                size_bytes: Some(9),
                stream_view_type: Some(StreamViewType::NewImage),
            }),
            user_identity: None,
        }],
        next_shard_iterator: Some("next".to_owned()),
    };
    assert_eq!(
        text(&Response::GetRecords(records)),
        concat!(
            r#"{"Records":[{"eventID":"e1","eventName":"INSERT","eventVersion":"1.1","#,
            r#""eventSource":"aws:dynamodb","awsRegion":"us-east-1","dynamodb":{"#,
            r#""ApproximateCreationDateTime":1706691903.0,"Keys":{"pk":{"S":"a"}},"#,
            r#""NewImage":{"n":{"N":"5"},"pk":{"S":"a"}},"SequenceNumber":"000000000000000000007","#,
            r#""SizeBytes":9,"StreamViewType":"NEW_IMAGE"}}],"NextShardIterator":"next"}"#
        )
    );
}
