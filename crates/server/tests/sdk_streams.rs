//! The AWS SDK for Rust's streams client (`aws-sdk-dynamodbstreams`) follows a shard of a real
//! `ferrodyn` process: a table created with a NEW_AND_OLD_IMAGES stream through
//! `aws-sdk-dynamodb`, a few puts, updates and deletes (and writes that change nothing), then
//! ListStreams, DescribeStream, GetShardIterator of every type and GetRecords following
//! NextShardIterator page by page until the records stop. Checks event names, their order,
//! keys, both images, and sequence numbers that grow; that AFTER_SEQUENCE_NUMBER and
//! AT_SEQUENCE_NUMBER start where they say; and that LATEST sees only what comes after it.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_dynamodbstreams::types::{
    AttributeValue as StreamValue, OperationType, Record, ShardIteratorType, StreamStatus,
    StreamViewType as StreamsViewType,
};

const TABLE: &str = "orders";

fn credentials() -> Credentials {
    Credentials::new("AKIDEXAMPLE", "secret", None, None, "test")
}

fn tables_client(endpoint: &str) -> aws_sdk_dynamodb::Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_dynamodb::Client::from_conf(config)
}

fn streams_client(endpoint: &str) -> aws_sdk_dynamodbstreams::Client {
    let config = aws_sdk_dynamodbstreams::Config::builder()
        .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
        .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
        .credentials_provider(credentials())
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    aws_sdk_dynamodbstreams::Client::from_conf(config)
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// An image as `name=value` pairs in name order, so that assertions read as text.
fn image(map: Option<&HashMap<String, StreamValue>>) -> Option<String> {
    let map = map?;
    let mut pairs: Vec<String> = map
        .iter()
        .map(|(name, value)| {
            let value = match value {
                StreamValue::S(text) => text.clone(),
                StreamValue::N(number) => format!("#{number}"),
                other => format!("{other:?}"),
            };
            format!("{name}={value}")
        })
        .collect();
    pairs.sort();
    Some(pairs.join(","))
}

/// The record's event, keys, new image and old image.
fn summary(record: &Record) -> (OperationType, String, Option<String>, Option<String>) {
    let change = record.dynamodb().expect("records carry their change");
    (
        record
            .event_name()
            .expect("records name their event")
            .clone(),
        image(change.keys()).expect("records carry the item's keys"),
        image(change.new_image()),
        image(change.old_image()),
    )
}

/// The record's sequence number as it came (DynamoDB's are 21 to 40 digits).
fn sequence_text(record: &Record) -> &str {
    record
        .dynamodb()
        .and_then(|c| c.sequence_number())
        .expect("records carry a sequence number")
}

fn sequence(record: &Record) -> u128 {
    let text = sequence_text(record);
    assert!(
        (21..=40).contains(&text.len()),
        "sequence number {text} must have 21 to 40 digits"
    );
    text.parse().expect("sequence numbers are decimal")
}

/// Reads from `iterator` with GetRecords pages of `limit`, following NextShardIterator until a
/// page comes back empty. Returns the records and the iterator to go on from.
async fn follow(
    streams: &aws_sdk_dynamodbstreams::Client,
    iterator: String,
    limit: i32,
) -> (Vec<Record>, String) {
    let mut iterator = iterator;
    let mut records = Vec::new();
    for _ in 0..100 {
        let page = streams
            .get_records()
            .shard_iterator(&iterator)
            .limit(limit)
            .send()
            .await
            .unwrap();
        assert!(
            page.records().len() <= limit as usize,
            "GetRecords answered more than its Limit"
        );
        iterator = page
            .next_shard_iterator()
            .expect("an open shard always has a next iterator")
            .to_owned();
        if page.records().is_empty() {
            return (records, iterator);
        }
        records.extend(page.records().iter().cloned());
    }
    panic!("GetRecords never came back empty");
}

async fn iterator(
    streams: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    shard: &str,
    kind: ShardIteratorType,
    sequence_number: Option<&str>,
) -> String {
    streams
        .get_shard_iterator()
        .stream_arn(arn)
        .shard_id(shard)
        .shard_iterator_type(kind)
        .set_sequence_number(sequence_number.map(str::to_owned))
        .send()
        .await
        .unwrap()
        .shard_iterator()
        .expect("GetShardIterator answers an iterator")
        .to_owned()
}

async fn create_table(ddb: &aws_sdk_dynamodb::Client) -> String {
    let attribute = |name: &str, kind| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let created = ddb
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute("sk", ScalarAttributeType::N))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    created
        .table_description()
        .and_then(|t| t.latest_stream_arn())
        .expect("a table created with a stream names it")
        .to_owned()
}

/// Puts, updates and deletes whose stream records are, in order: INSERT a/1, INSERT b/1,
/// MODIFY a/1, REMOVE b/1, INSERT a/2. The writes that change nothing in between must leave no
/// record.
async fn write_changes(ddb: &aws_sdk_dynamodb::Client) {
    let put = |pk: &str, sk: i64, qty: i64| {
        ddb.put_item()
            .table_name(TABLE)
            .item("pk", s(pk))
            .item("sk", n(sk))
            .item("qty", n(qty))
    };
    put("a", 1, 5).send().await.unwrap();
    put("b", 1, 7).send().await.unwrap();
    ddb.update_item()
        .table_name(TABLE)
        .key("pk", s("a"))
        .key("sk", n(1))
        .update_expression("ADD qty :two SET note = :note")
        .expression_attribute_values(":two", n(2))
        .expression_attribute_values(":note", s("rush"))
        .send()
        .await
        .unwrap();
    // The same item again: nothing changes.
    put("b", 1, 7).send().await.unwrap();
    // A failed condition: nothing changes.
    let refused = put("b", 1, 8)
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    assert!(refused.is_err(), "the condition must fail");
    ddb.delete_item()
        .table_name(TABLE)
        .key("pk", s("b"))
        .key("sk", n(1))
        .send()
        .await
        .unwrap();
    // Deleting what is not there: nothing changes.
    ddb.delete_item()
        .table_name(TABLE)
        .key("pk", s("c"))
        .key("sk", n(1))
        .send()
        .await
        .unwrap();
    put("a", 2, 1).send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_streams_client_follows_a_shard() {
    let logs = tempfile::tempdir().unwrap();
    let server = common::Server::in_memory(logs.path());
    let ddb = tables_client(&server.endpoint);
    let streams = streams_client(&server.endpoint);
    let arn = create_table(&ddb).await;

    // ListStreams names the table's one stream, with the ARN DescribeTable gave.
    let listed = streams
        .list_streams()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.streams().len(), 1);
    assert_eq!(listed.streams()[0].stream_arn(), Some(arn.as_str()));
    assert_eq!(listed.streams()[0].table_name(), Some(TABLE));

    // DescribeStream: enabled, the view type and key schema asked for, one open shard.
    let described = streams
        .describe_stream()
        .stream_arn(&arn)
        .send()
        .await
        .unwrap();
    let description = described.stream_description().unwrap();
    assert_eq!(description.stream_status(), Some(&StreamStatus::Enabled));
    assert_eq!(
        description.stream_view_type(),
        Some(&StreamsViewType::NewAndOldImages)
    );
    assert_eq!(description.table_name(), Some(TABLE));
    let schema: Vec<_> = description
        .key_schema()
        .iter()
        .map(|k| k.attribute_name().to_owned())
        .collect();
    assert_eq!(schema, ["pk", "sk"]);
    assert_eq!(description.shards().len(), 1);
    let shard = &description.shards()[0];
    let shard_id = shard.shard_id().unwrap().to_owned();
    let range = shard.sequence_number_range().unwrap();
    assert!(range.starting_sequence_number().is_some());
    assert_eq!(range.ending_sequence_number(), None, "the shard is open");

    // An iterator at LATEST taken before the writes sees all of them and nothing earlier.
    let before_writes = iterator(&streams, &arn, &shard_id, ShardIteratorType::Latest, None).await;
    write_changes(&ddb).await;

    // From TRIM_HORIZON, two records a page.
    let from_start = iterator(
        &streams,
        &arn,
        &shard_id,
        ShardIteratorType::TrimHorizon,
        None,
    )
    .await;
    let (records, after_all) = follow(&streams, from_start, 2).await;
    let summaries: Vec<_> = records.iter().map(summary).collect();
    let some = |text: &str| Some(text.to_owned());
    assert_eq!(
        summaries,
        [
            (
                OperationType::Insert,
                "pk=a,sk=#1".to_owned(),
                some("pk=a,qty=#5,sk=#1"),
                None
            ),
            (
                OperationType::Insert,
                "pk=b,sk=#1".to_owned(),
                some("pk=b,qty=#7,sk=#1"),
                None
            ),
            (
                OperationType::Modify,
                "pk=a,sk=#1".to_owned(),
                some("note=rush,pk=a,qty=#7,sk=#1"),
                some("pk=a,qty=#5,sk=#1")
            ),
            (
                OperationType::Remove,
                "pk=b,sk=#1".to_owned(),
                None,
                some("pk=b,qty=#7,sk=#1")
            ),
            (
                OperationType::Insert,
                "pk=a,sk=#2".to_owned(),
                some("pk=a,qty=#1,sk=#2"),
                None
            ),
        ]
    );
    let sequences: Vec<u128> = records.iter().map(sequence).collect();
    assert!(
        sequences.windows(2).all(|w| w[0] < w[1]),
        "sequence numbers must grow: {sequences:?}"
    );
    let starting: u128 = range.starting_sequence_number().unwrap().parse().unwrap();
    assert!(starting <= sequences[0]);
    let mut event_ids = std::collections::HashSet::new();
    for record in &records {
        assert_eq!(record.event_source(), Some("aws:dynamodb"));
        assert_eq!(record.aws_region(), Some("us-east-1"));
        assert!(event_ids.insert(record.event_id().unwrap().to_owned()));
        let change = record.dynamodb().unwrap();
        assert!(change.size_bytes().unwrap() > 0);
        assert!(change.approximate_creation_date_time().is_some());
        assert_eq!(
            change.stream_view_type(),
            Some(&StreamsViewType::NewAndOldImages)
        );
        assert!(record.user_identity().is_none(), "no record came from TTL");
    }

    // The same records from the iterator taken at LATEST before the writes, in one page.
    let (seen_from_latest, _) = follow(&streams, before_writes, 1000).await;
    assert_eq!(
        seen_from_latest.iter().map(sequence).collect::<Vec<_>>(),
        sequences
    );

    // AFTER_SEQUENCE_NUMBER starts with the next record, AT_SEQUENCE_NUMBER with that one.
    let after = iterator(
        &streams,
        &arn,
        &shard_id,
        ShardIteratorType::AfterSequenceNumber,
        Some(sequence_text(&records[2])),
    )
    .await;
    let (tail, _) = follow(&streams, after, 1000).await;
    assert_eq!(
        tail.iter().map(sequence).collect::<Vec<_>>(),
        sequences[3..]
    );
    let at = iterator(
        &streams,
        &arn,
        &shard_id,
        ShardIteratorType::AtSequenceNumber,
        Some(sequence_text(&records[2])),
    )
    .await;
    let (tail, _) = follow(&streams, at, 1000).await;
    assert_eq!(
        tail.iter().map(sequence).collect::<Vec<_>>(),
        sequences[2..]
    );

    // LATEST now sees nothing until a new change, then only that change; so does the iterator
    // the first reader was left with.
    let latest = iterator(&streams, &arn, &shard_id, ShardIteratorType::Latest, None).await;
    let nothing = streams
        .get_records()
        .shard_iterator(&latest)
        .send()
        .await
        .unwrap();
    assert!(nothing.records().is_empty());
    ddb.delete_item()
        .table_name(TABLE)
        .key("pk", s("a"))
        .key("sk", n(2))
        .send()
        .await
        .unwrap();
    for from in [latest, after_all] {
        let (new, _) = follow(&streams, from, 1000).await;
        assert_eq!(new.len(), 1);
        assert_eq!(
            summary(&new[0]),
            (
                OperationType::Remove,
                "pk=a,sk=#2".to_owned(),
                None,
                some("pk=a,qty=#1,sk=#2")
            )
        );
        assert!(sequence(&new[0]) > sequences[4]);
    }
}
