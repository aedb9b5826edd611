//! BatchGetItem and BatchWriteItem: requests decode per table with their projections parsed,
//! the count, duplicate and shape rules answer with DynamoDB's exact messages, and responses
//! always carry their (possibly empty) maps.

mod support;

use std::collections::BTreeMap;

use ferrodyn_api::wire::*;
use ferrodyn_api::{Request, Response, encode_response};
use ferrodyn_model::{AttributeValue, Item};
use support::{decode, validation};

fn key(value: &str) -> String {
    format!(r#"{{"pk": {{"S": "{value}"}}}}"#)
}

fn keys(count: usize) -> String {
    (0..count)
        .map(|i| key(&i.to_string()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn batch_get_item_decodes_per_table() {
    let Ok(Request::BatchGetItem(request)) = decode(
        "BatchGetItem",
        r##"{"RequestItems": {
                "Music": {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}], "ConsistentRead": true,
                          "ProjectionExpression": "#n", "ExpressionAttributeNames": {"#n": "name"}},
                "Books": {"Keys": [{"pk": {"N": "1"}}], "AttributesToGet": ["title"]}},
            "ReturnConsumedCapacity": "TOTAL"}"##,
    ) else {
        panic!()
    };
    let music = &request.input.request_items["Music"];
    assert_eq!(music.keys.len(), 2);
    assert_eq!(music.consistent_read, Some(true));
    assert_eq!(
        request.input.return_consumed_capacity,
        Some(ReturnConsumedCapacity::Total)
    );
    assert!(request.expressions["Music"].projection.is_some());
    assert!(request.expressions["Books"].projection.is_some());
}

#[test]
fn batch_get_item_rules() {
    assert_eq!(
        validation("BatchGetItem", "{}"),
        "The requestItems parameter is required for BatchGetItem"
    );
    assert_eq!(
        validation("BatchGetItem", r#"{"RequestItems": {}}"#),
        "The requestItems parameter is required for BatchGetItem"
    );
    assert_eq!(
        validation(
            "BatchGetItem",
            &format!(
                r#"{{"RequestItems": {{"abc": {{"Keys": [{}]}}}}}}"#,
                keys(101)
            )
        ),
        "1 validation error detected: Value at 'RequestItems.abc.member.Keys' failed to satisfy \
         constraint: Member must have length less than or equal to 100"
    );
    assert_eq!(
        validation(
            "BatchGetItem",
            &format!(
                r#"{{"RequestItems": {{"abc": {{"Keys": [{}]}}, "abd": {{"Keys": [{}]}}}}}}"#,
                keys(100),
                key("x")
            )
        ),
        "Too many items requested for the BatchGetItem call"
    );
    assert_eq!(
        validation(
            "BatchGetItem",
            &format!(
                r#"{{"RequestItems": {{"abc": {{"Keys": [{}, {}, {}]}}}}}}"#,
                key("a"),
                key("b"),
                key("a")
            )
        ),
        "Provided list of item keys contains duplicates"
    );
    assert_eq!(
        validation(
            "BatchGetItem",
            r#"{"RequestItems": {"abc": {"Keys": [{"pk": {"SS": []}}]}}}"#
        ),
        "One or more parameter values were invalid: An string set  may not be empty"
    );
    assert_eq!(
        validation(
            "BatchGetItem",
            r#"{"RequestItems": {"abc": {"Keys": [{"pk": {"S": "a"}}], "AttributesToGet": ["a"], "ProjectionExpression": "a"}}}"#
        ),
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {AttributesToGet} Expression parameters: \
         {ProjectionExpression}"
    );
    assert_eq!(
        validation(
            "BatchGetItem",
            r#"{"RequestItems": {"abc": {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": ""}}}"#
        ),
        "Invalid ProjectionExpression: The expression can not be empty;"
    );
}

#[test]
fn batch_get_item_table_names_are_map_keys() {
    let message = validation(
        "BatchGetItem",
        r#"{"RequestItems": {"a": {"Keys": [{"pk": {"S": "x"}}]}}}"#,
    );
    assert!(
        message.starts_with("1 validation error detected: Value '{a=KeysAndAttributes(keys=["),
        "{message}"
    );
    assert!(
        message.ends_with(
            "' at 'requestItems' failed to satisfy constraint: Map keys must satisfy constraint: \
             [Member must have length less than or equal to 255, Member must have length greater \
             than or equal to 3, Member must satisfy regular expression pattern: \
             [a-zA-Z0-9_.-]+]"
        ),
        "{message}"
    );
    assert_eq!(
        validation("BatchGetItem", r#"{"RequestItems": {"abc": {}}}"#),
        "1 validation error detected: Value at 'RequestItems.abc.member.Keys' failed to satisfy \
         constraint: Member must not be null"
    );
}

#[test]
fn batch_write_item_decodes_puts_and_deletes() {
    let Ok(Request::BatchWriteItem(input)) = decode(
        "BatchWriteItem",
        r#"{"RequestItems": {"Music": [
                {"PutRequest": {"Item": {"pk": {"S": "a"}, "x": {"N": "1"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "b"}}}}]},
            "ReturnConsumedCapacity": "INDEXES", "ReturnItemCollectionMetrics": "SIZE"}"#,
    ) else {
        panic!()
    };
    let requests = &input.request_items["Music"];
    assert_eq!(requests[0].put_request.as_ref().unwrap().item.len(), 2);
    assert_eq!(
        requests[1].delete_request.as_ref().unwrap().key["pk"],
        AttributeValue::S("b".into())
    );
    assert_eq!(
        input.return_item_collection_metrics,
        Some(ReturnItemCollectionMetrics::Size)
    );
}

fn puts(count: usize) -> String {
    (0..count)
        .map(|i| format!(r#"{{"PutRequest": {{"Item": {}}}}}"#, key(&i.to_string())))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn batch_write_item_rules() {
    assert_eq!(
        validation("BatchWriteItem", r#"{"RequestItems": {}}"#),
        "The requestItems parameter is required for BatchWriteItem"
    );
    let message = validation(
        "BatchWriteItem",
        &format!(r#"{{"RequestItems": {{"abc": [{}]}}}}"#, puts(26)),
    );
    assert!(message.starts_with("1 validation error detected: Value '{abc=[WriteRequest(putRequest=PutRequest(item={pk={S: 0,}}), deleteRequest=null), "), "{message}");
    assert!(
        message.ends_with(
            "]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy \
             constraint: [Member must have length less than or equal to 25, Member must have \
             length greater than or equal to 1]"
        ),
        "{message}"
    );
    assert_eq!(
        validation(
            "BatchWriteItem",
            &format!(
                r#"{{"RequestItems": {{"abc": [{}], "abd": [{}]}}}}"#,
                puts(13),
                puts(13)
            )
        ),
        "Too many items requested for the BatchWriteItem call"
    );
    assert_eq!(
        validation("BatchWriteItem", r#"{"RequestItems": {"abc": [{}]}}"#),
        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
         the supported datatypes"
    );
    assert_eq!(
        validation(
            "BatchWriteItem",
            r#"{"RequestItems": {"abc": [{"PutRequest": {"Item": {"pk": {"NULL": false}}}}]}}"#
        ),
        "One or more parameter values were invalid: Null attribute value types must have the \
         value of true"
    );
    let big = "x".repeat(400 * 1024);
    assert_eq!(
        validation(
            "BatchWriteItem",
            &format!(
                r#"{{"RequestItems": {{"abc": [{{"PutRequest": {{"Item": {{"pk": {{"S": "{big}"}}}}}}}}]}}}}"#
            )
        ),
        "Item size has exceeded the maximum allowed size"
    );
    assert_eq!(
        validation(
            "BatchWriteItem",
            r#"{"RequestItems": {"abc": [{"PutRequest": {}}]}}"#
        ),
        "1 validation error detected: Value null at 'requestItems.abc.member.1.member.putRequest.item' \
         failed to satisfy constraint: Member must not be null"
    );
}

#[test]
fn batch_responses_always_carry_their_maps() {
    assert_eq!(
        encode_response(&Response::BatchGetItem(BatchGetItemOutput::default())),
        br#"{"Responses":{},"UnprocessedKeys":{}}"#
    );
    assert_eq!(
        encode_response(&Response::BatchWriteItem(BatchWriteItemOutput::default())),
        br#"{"UnprocessedItems":{}}"#
    );
    let item: Item = [("pk".to_owned(), AttributeValue::S("a".into()))].into();
    let mut unprocessed = BTreeMap::new();
    unprocessed.insert(
        "Music".to_owned(),
        KeysAndAttributes {
            keys: vec![item.clone()],
            attributes_to_get: None,
            consistent_read: Some(true),
            projection_expression: None,
            expression_attribute_names: None,
        },
    );
    let output = BatchGetItemOutput {
        responses: [("Music".to_owned(), vec![item.clone()])].into(),
        unprocessed_keys: unprocessed,
        consumed_capacity: Some(vec![ConsumedCapacity {
            table_name: Some("Music".into()),
            capacity_units: Some(0.5),
            ..ConsumedCapacity::default()
        }]),
    };
    assert_eq!(
        String::from_utf8(encode_response(&Response::BatchGetItem(output))).unwrap(),
        concat!(
            r#"{"Responses":{"Music":[{"pk":{"S":"a"}}]},"#,
            r#""UnprocessedKeys":{"Music":{"Keys":[{"pk":{"S":"a"}}],"ConsistentRead":true}},"#,
            r#""ConsumedCapacity":[{"TableName":"Music","CapacityUnits":0.5}]}"#
        )
    );
    let write = BatchWriteItemOutput {
        unprocessed_items: [(
            "Music".to_owned(),
            vec![WriteRequest {
                put_request: None,
                delete_request: Some(DeleteRequest { key: item }),
            }],
        )]
        .into(),
        ..BatchWriteItemOutput::default()
    };
    assert_eq!(
        encode_response(&Response::BatchWriteItem(write)),
        br#"{"UnprocessedItems":{"Music":[{"DeleteRequest":{"Key":{"pk":{"S":"a"}}}}]}}"#
    );
}
