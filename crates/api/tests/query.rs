//! Query and Scan: every member decodes (legacy ones too), expressions arrive parsed, the
//! `Select`, `Limit` and parallel-scan rules answer with DynamoDB's exact messages, and
//! responses encode as DynamoDB's (no `Items` for `Select=COUNT`).

mod support;

use ferrodyn_api::wire::*;
use ferrodyn_api::{Parsed, Request, Response, encode_response};
use ferrodyn_model::AttributeValue;
use support::{decode, one_violation, validation};

fn query(body: &str) -> Parsed<QueryInput> {
    match decode("Query", body) {
        Ok(Request::Query(request)) => request,
        other => panic!("{body}: {other:?}"),
    }
}

fn scan(body: &str) -> Parsed<ScanInput> {
    match decode("Scan", body) {
        Ok(Request::Scan(request)) => request,
        other => panic!("{body}: {other:?}"),
    }
}

/// A Query body with a key condition and `extra` members.
fn query_body(extra: &str) -> String {
    format!(
        r#"{{"TableName": "abc", "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {{":pk": {{"S": "a"}}}}{extra}}}"#
    )
}

#[test]
fn query_decodes_every_member() {
    let request = query(
        r##"{"TableName": "abc", "IndexName": "byDate", "Select": "ALL_PROJECTED_ATTRIBUTES",
            "Limit": 10, "ConsistentRead": false, "ScanIndexForward": false,
            "ExclusiveStartKey": {"pk": {"S": "a"}, "sk": {"N": "2"}},
            "ReturnConsumedCapacity": "TOTAL",
            "KeyConditionExpression": "#pk = :pk AND begins_with(sk, :p)",
            "FilterExpression": "attribute_exists(x)",
            "ExpressionAttributeNames": {"#pk": "pk"},
            "ExpressionAttributeValues": {":pk": {"S": "a"}, ":p": {"S": "2024"}}}"##,
    );
    let input = &request.input;
    assert_eq!(input.index_name.as_deref(), Some("byDate"));
    assert_eq!(input.select, Some(Select::AllProjectedAttributes));
    assert_eq!(input.limit, Some(10));
    assert_eq!(input.scan_index_forward, Some(false));
    assert_eq!(
        input.exclusive_start_key.as_ref().unwrap()["sk"],
        AttributeValue::N("2".parse().unwrap())
    );
    assert!(request.expressions.key_condition.is_some());
    assert!(request.expressions.filter.is_some());
}

#[test]
fn query_converts_legacy_conditions() {
    let request = query(
        r#"{"TableName": "abc", "AttributesToGet": ["a"], "ConditionalOperator": "AND",
            "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]},
                              "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}},
            "QueryFilter": {"x": {"ComparisonOperator": "NOT_NULL"}}}"#,
    );
    let key_conditions = request.input.key_conditions.as_ref().unwrap();
    assert_eq!(
        key_conditions["sk"].comparison_operator,
        ComparisonOperator::Between
    );
    assert!(request.expressions.key_condition.is_some());
    assert!(request.expressions.filter.is_some());
    assert!(request.expressions.projection.is_some());
    // KeyConditions may go with the other expressions.
    let mixed = query(
        r#"{"TableName": "abc", "FilterExpression": "x = :x", "ExpressionAttributeValues": {":x": {"S": "1"}},
            "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}]}}}"#,
    );
    assert!(mixed.expressions.key_condition.is_some());
    assert!(mixed.expressions.filter.is_some());
}

#[test]
fn query_rules() {
    assert_eq!(
        validation("Query", r#"{"TableName": "abc"}"#),
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the \
         request."
    );
    assert_eq!(
        validation("Query", &query_body(r#", "Limit": 0"#)),
        "1 validation error detected: Value at 'Limit' failed to satisfy constraint: Member must \
         have value greater than or equal to 1"
    );
    assert_eq!(
        validation("Query", &query_body(r#", "Select": "INVALID_VALUE""#)),
        one_violation(
            "'INVALID_VALUE'",
            "select",
            "Member must satisfy enum value set: [SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, \
             ALL_PROJECTED_ATTRIBUTES]"
        )
    );
    assert_eq!(
        validation("Query", &query_body(r#", "Select": "SPECIFIC_ATTRIBUTES""#)),
        "1 validation error detected: Must specify the AttributesToGet or ProjectionExpression \
         when choosing to get SPECIFIC_ATTRIBUTES"
    );
    assert_eq!(
        validation(
            "Query",
            &query_body(r#", "Select": "COUNT", "ProjectionExpression": "a""#)
        ),
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to \
         get only the Count"
    );
    assert_eq!(
        validation(
            "Query",
            &query_body(r#", "Select": "ALL_PROJECTED_ATTRIBUTES""#)
        ),
        "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying \
         using an IndexName"
    );
    assert_eq!(
        validation("Query", &query_body(r#", "KeyConditions": {}"#)),
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {KeyConditions} Expression parameters: \
         {KeyConditionExpression}"
    );
    assert_eq!(
        validation("Query", &query_body(r#", "ExclusiveStartKey": {"pk": {}}"#)),
        "The provided starting key is invalid: Supplied AttributeValue is empty, must contain \
         exactly one of the supported datatypes"
    );
    assert_eq!(
        validation(
            "Query",
            r#"{"TableName": "abc", "KeyConditionExpression": "", "ExpressionAttributeValues": {":pk": {"S": "a"}}}"#
        ),
        "Invalid KeyConditionExpression: The expression can not be empty;"
    );
    assert_eq!(
        validation(
            "Query",
            r#"{"TableName": "abc", "KeyConditions": {"pk": {"ComparisonOperator": "EQ"}}}"#
        ),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ \
         ComparisonOperator"
    );
    assert_eq!(
        validation(
            "Query",
            r#"{"TableName": "abc", "KeyConditions": {"pk": {}}}"#
        ),
        one_violation(
            "null",
            "keyConditions.pk.member.comparisonOperator",
            "Member must not be null"
        )
    );
}

#[test]
fn scan_decodes_every_member() {
    let request = scan(
        r#"{"TableName": "abc", "IndexName": "idx", "Limit": 5, "Select": "COUNT",
            "Segment": 1, "TotalSegments": 4, "ConsistentRead": true,
            "ExclusiveStartKey": {"pk": {"S": "a"}}, "ReturnConsumedCapacity": "NONE",
            "FilterExpression": "x > :x", "ExpressionAttributeValues": {":x": {"N": "1"}}}"#,
    );
    assert_eq!(request.input.segment, Some(1));
    assert_eq!(request.input.total_segments, Some(4));
    assert_eq!(request.input.select, Some(Select::Count));
    assert!(request.expressions.filter.is_some());
    let legacy = scan(
        r#"{"TableName": "abc", "ConditionalOperator": "OR",
            "ScanFilter": {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]},
                           "b": {"ComparisonOperator": "NULL"}}}"#,
    );
    assert!(legacy.expressions.filter.is_some());
}

#[test]
fn scan_rules() {
    let cases = [
        (
            r#""Segment": 1"#,
            "The TotalSegments parameter is required but was not present in the request when \
             Segment parameter is present",
        ),
        (
            r#""TotalSegments": 5"#,
            "The Segment parameter is required but was not present in the request when \
             parameter TotalSegments is present",
        ),
        (
            r#""Segment": 5, "TotalSegments": 5"#,
            "The Segment parameter is zero-based and must be less than parameter TotalSegments: \
             Segment: 5 is not less than TotalSegments: 5",
        ),
        (
            r#""Limit": 0"#,
            "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: \
             Member must have value greater than or equal to 1",
        ),
        (
            r#""TotalSegments": 1000001, "Segment": 0"#,
            "1 validation error detected: Value '1000001' at 'totalSegments' failed to satisfy \
             constraint: Member must have value less than or equal to 1000000",
        ),
        (
            r#""Select": "SPECIFIC_ATTRIBUTES""#,
            "Must specify the AttributesToGet or ProjectionExpression when choosing to get \
             SPECIFIC_ATTRIBUTES",
        ),
        (
            r#""Select": "ALL_ATTRIBUTES", "AttributesToGet": ["a"]"#,
            "Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES",
        ),
        (
            r#""Select": "ALL_PROJECTED_ATTRIBUTES""#,
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
        ),
        (
            r#""ScanFilter": {}, "FilterExpression": "a = b""#,
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {ScanFilter} Expression parameters: {FilterExpression}",
        ),
        (
            r#""ExclusiveStartKey": {"pk": {"NS": ["1", "1"]}}"#,
            "Input collection contains duplicates",
        ),
        (
            r#""ScanFilter": {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "2"}, {"N": "1"}]}}"#,
            "The BETWEEN condition was provided a range where the lower bound is greater than the \
             upper bound",
        ),
    ];
    for (members, message) in cases {
        let body = format!(r#"{{"TableName": "abc", {members}}}"#);
        assert_eq!(validation("Scan", &body), message, "{members}");
    }
}

#[test]
fn query_and_scan_responses() {
    let counted = QueryOutput {
        items: None,
        count: 3,
        scanned_count: 10,
        ..QueryOutput::default()
    };
    assert_eq!(
        encode_response(&Response::Query(counted)),
        br#"{"Count":3,"ScannedCount":10}"#
    );
    let page = QueryOutput {
        items: Some(vec![
            [("pk".to_owned(), AttributeValue::S("a".into()))].into(),
        ]),
        count: 1,
        scanned_count: 1,
        last_evaluated_key: Some([("pk".to_owned(), AttributeValue::S("a".into()))].into()),
        consumed_capacity: None,
    };
    assert_eq!(
        encode_response(&Response::Scan(page)),
        br#"{"Items":[{"pk":{"S":"a"}}],"Count":1,"ScannedCount":1,"LastEvaluatedKey":{"pk":{"S":"a"}}}"#
    );
}
