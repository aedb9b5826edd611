//! The official AWS SDK for Rust (`aws-sdk-dynamodb`) works against a real `ferrodyn` process:
//! tables, items, conditional writes and their typed errors, update expressions, Query paging
//! with the SDK's paginator, Scan, and batches. Proves a second, independent client (besides the
//! boto3 and AWS CLI conformance suite) speaks our wire protocol.

mod common;

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PutRequest,
    ReturnValue, ScalarAttributeType, WriteRequest,
};

fn client(endpoint: &str) -> Client {
    let http = aws_smithy_http_client::Builder::new().build_http();
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            None,
            None,
            "test",
        ))
        .endpoint_url(endpoint)
        .http_client(http)
        .build();
    Client::from_conf(config)
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rust_sdk_drives_every_kind_of_operation() {
    let logs = tempfile::tempdir().unwrap();
    let server = common::Server::in_memory(logs.path());
    let ddb = client(&server.endpoint);

    let created = ddb
        .create_table()
        .table_name("events")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        created.table_description().unwrap().table_name(),
        Some("events")
    );
    let listed = ddb.list_tables().send().await.unwrap();
    assert_eq!(listed.table_names(), ["events"]);

    // Items and a conditional write.
    for i in 0..25 {
        ddb.put_item()
            .table_name("events")
            .item("pk", s("user"))
            .item("sk", n(i))
            .item("payload", s(&"x".repeat(100)))
            .send()
            .await
            .unwrap();
    }
    let duplicate = ddb
        .put_item()
        .table_name("events")
        .item("pk", s("user"))
        .item("sk", n(0))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    match duplicate {
        Err(SdkError::ServiceError(error)) => {
            assert!(
                matches!(
                    error.err(),
                    PutItemError::ConditionalCheckFailedException(_)
                ),
                "{error:?}"
            );
        }
        other => panic!("expected ConditionalCheckFailedException, got {other:?}"),
    }

    // An atomic counter through an update expression.
    for _ in 0..3 {
        ddb.update_item()
            .table_name("events")
            .key("pk", s("user"))
            .key("sk", n(0))
            .update_expression("ADD hits :one")
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .unwrap();
    }
    let updated = ddb
        .update_item()
        .table_name("events")
        .key("pk", s("user"))
        .key("sk", n(0))
        .update_expression("SET note = :note")
        .expression_attribute_values(":note", s("hello"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    let item = updated.attributes().unwrap();
    assert_eq!(item.get("hits"), Some(&n(3)));
    assert_eq!(item.get("note"), Some(&s("hello")));

    // Query pages of 10 with the SDK's paginator, newest first.
    let pages: Vec<_> = ddb
        .query()
        .table_name("events")
        .key_condition_expression("pk = :pk AND sk >= :from")
        .expression_attribute_values(":pk", s("user"))
        .expression_attribute_values(":from", n(5))
        .scan_index_forward(false)
        .limit(10)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let keys: Vec<String> = pages
        .iter()
        .flat_map(|page| page.items())
        .map(|item| item["sk"].as_n().unwrap().clone())
        .collect();
    let expected: Vec<String> = (5..25).rev().map(|i| i.to_string()).collect();
    assert_eq!(keys, expected);

    // Batches: write 30 more items (two calls), then read some back.
    for chunk in (100..130).collect::<Vec<_>>().chunks(25) {
        let writes = chunk
            .iter()
            .map(|i| {
                let put = PutRequest::builder()
                    .item("pk", s("batch"))
                    .item("sk", n(*i))
                    .build()
                    .unwrap();
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        let written = ddb
            .batch_write_item()
            .request_items("events", writes)
            .send()
            .await
            .unwrap();
        assert!(written.unprocessed_items().is_none_or(HashMap::is_empty));
    }
    let keys_and_attributes = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
        .keys(HashMap::from([
            ("pk".to_owned(), s("batch")),
            ("sk".to_owned(), n(100)),
        ]))
        .keys(HashMap::from([
            ("pk".to_owned(), s("batch")),
            ("sk".to_owned(), n(129)),
        ]))
        .keys(HashMap::from([
            ("pk".to_owned(), s("batch")),
            ("sk".to_owned(), n(999)),
        ]))
        .build()
        .unwrap();
    let read = ddb
        .batch_get_item()
        .request_items("events", keys_and_attributes)
        .send()
        .await
        .unwrap();
    assert_eq!(read.responses().unwrap()["events"].len(), 2);

    // Scan sees everything exactly once.
    let scanned: usize = ddb
        .scan()
        .table_name("events")
        .limit(7)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap()
        .iter()
        .map(|page| page.items().len())
        .sum();
    assert_eq!(scanned, 55);

    ddb.delete_table()
        .table_name("events")
        .send()
        .await
        .unwrap();
    let missing = ddb.describe_table().table_name("events").send().await;
    assert!(
        matches!(&missing, Err(SdkError::ServiceError(e)) if e.err().is_resource_not_found_exception()),
        "{missing:?}"
    );
}
