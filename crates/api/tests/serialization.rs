//! SerializationException: what DynamoDB answers for a body that is not JSON or has a member of
//! the wrong JSON type, for every kind of member (string, boolean, integer, list, map,
//! structure, attribute value) in every position (structure member, list element, map value).
//! Also: unknown members are ignored and `null` counts as absent.

mod support;

use ferrodyn_api::{ErrorKind, Request};
use support::{decode, failure, serialization};

const CAST: &str = "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')";
const STRUCTURE: &str = "Start of structure or map found where not expected";

#[test]
fn bodies_that_are_not_json_have_no_message() {
    for body in [
        "",
        "hi",
        "{",
        r#"{"TableName": "abc"} x"#,
        r#"{"TableName": }"#,
        "[1,",
    ] {
        assert_eq!(
            failure(ErrorKind::Serialization, "DescribeTable", body),
            "",
            "{body:?}"
        );
    }
}

#[test]
fn null_body_is_an_empty_request() {
    assert_eq!(
        support::validation("DescribeTable", "null"),
        "The parameter 'TableName' is required but was not present in the request"
    );
}

#[test]
fn string_members() {
    let cases = [
        ("true", "TRUE_VALUE cannot be converted to String"),
        ("false", "FALSE_VALUE cannot be converted to String"),
        ("23", "NUMBER_VALUE cannot be converted to String"),
        ("-2147483648", "NUMBER_VALUE cannot be converted to String"),
        ("2147483648", "NUMBER_VALUE cannot be converted to String"),
        ("34.56", "DECIMAL_VALUE cannot be converted to String"),
        ("[]", "Unrecognized collection type class java.lang.String"),
        ("{}", STRUCTURE),
    ];
    for (value, message) in cases {
        let body = format!(r#"{{"TableName": {value}}}"#);
        assert_eq!(serialization("DescribeTable", &body), message, "{body}");
    }
}

#[test]
fn boolean_members() {
    let cases = [
        (r#""23""#, "Unexpected token received from parser"),
        ("23", "NUMBER_VALUE cannot be converted to Boolean"),
        ("34.56", "DECIMAL_VALUE cannot be converted to Boolean"),
        ("[]", "Unrecognized collection type class java.lang.Boolean"),
        ("{}", STRUCTURE),
    ];
    for (value, message) in cases {
        let body = format!(r#"{{"TableName": "abc", "Key": {{}}, "ConsistentRead": {value}}}"#);
        assert_eq!(serialization("GetItem", &body), message, "{body}");
    }
}

#[test]
fn boolean_members_accept_java_spellings() {
    for (value, expected) in [
        (r#""true""#, true),
        (r#""YES""#, true),
        (r#""1""#, true),
        (r#""False""#, false),
        (r#""no""#, false),
        (r#""0""#, false),
    ] {
        let body = format!(r#"{{"TableName": "abc", "Key": {{}}, "ConsistentRead": {value}}}"#);
        let Ok(Request::GetItem(input)) = decode("GetItem", &body) else {
            panic!("{body}")
        };
        assert_eq!(input.input.consistent_read, Some(expected), "{body}");
    }
}

#[test]
fn integer_members() {
    let cases = [
        (r#""23""#, "STRING_VALUE cannot be converted to Integer"),
        ("true", "TRUE_VALUE cannot be converted to Integer"),
        ("false", "FALSE_VALUE cannot be converted to Integer"),
        ("[]", "Unrecognized collection type class java.lang.Integer"),
        ("{}", STRUCTURE),
        (
            "2147483648",
            "Numeric value (2147483648) out of range of int",
        ),
    ];
    for (value, message) in cases {
        let body = format!(r#"{{"Limit": {value}}}"#);
        assert_eq!(serialization("ListTables", &body), message, "{body}");
    }
}

#[test]
fn integer_members_truncate_decimals() {
    let Ok(Request::ListTables(input)) = decode("ListTables", r#"{"Limit": 5.9}"#) else {
        panic!()
    };
    assert_eq!(input.limit, Some(5));
}

#[test]
fn long_members() {
    for (value, message) in [
        (r#""23""#, "STRING_VALUE cannot be converted to Long"),
        ("true", "TRUE_VALUE cannot be converted to Long"),
        ("[]", "Unrecognized collection type class java.lang.Long"),
    ] {
        let body = format!(
            r#"{{"TableName": "abc", "ProvisionedThroughput": {{"ReadCapacityUnits": {value}}}}}"#
        );
        assert_eq!(serialization("UpdateTable", &body), message, "{body}");
    }
}

#[test]
fn list_members() {
    for (value, message) in [
        (r#""23""#, "Unexpected field type"),
        ("true", "Unexpected field type"),
        ("23", "Unexpected field type"),
        ("{}", STRUCTURE),
    ] {
        let body = format!(r#"{{"TableName": "abc", "KeySchema": {value}}}"#);
        assert_eq!(serialization("CreateTable", &body), message, "{body}");
    }
}

#[test]
fn map_members() {
    for (value, message) in [
        (r#""23""#, "Unexpected field type"),
        ("23", "Unexpected field type"),
        (
            "[]",
            "Unrecognized collection type java.util.Map<java.lang.String, java.lang.String>",
        ),
    ] {
        let body =
            format!(r#"{{"TableName": "abc", "Key": {{}}, "ExpressionAttributeNames": {value}}}"#);
        assert_eq!(serialization("GetItem", &body), message, "{body}");
    }
    assert_eq!(
        serialization("PutItem", r#"{"TableName": "abc", "Item": []}"#),
        "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"
    );
    assert_eq!(
        serialization("BatchWriteItem", r#"{"RequestItems": []}"#),
        "Unrecognized collection type java.util.Map<java.lang.String, java.util.List<com.amazonaws.dynamodb.v20120810.WriteRequest>>"
    );
}

#[test]
fn structure_members() {
    for (value, message) in [
        (r#""23""#, "Unexpected field type"),
        ("23", "Unexpected field type"),
        (
            "[]",
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.ProvisionedThroughput",
        ),
    ] {
        let body = format!(r#"{{"TableName": "abc", "ProvisionedThroughput": {value}}}"#);
        assert_eq!(serialization("CreateTable", &body), message, "{body}");
    }
}

#[test]
fn structures_inside_lists() {
    for (value, message) in [
        (r#""23""#, "Unexpected value type in payload"),
        ("true", "Unexpected value type in payload"),
        (
            "[]",
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.KeySchemaElement",
        ),
    ] {
        let body = format!(r#"{{"TableName": "abc", "KeySchema": [{value}]}}"#);
        assert_eq!(serialization("CreateTable", &body), message, "{body}");
    }
    assert_eq!(
        serialization(
            "CreateTable",
            r#"{"TableName": "abc", "KeySchema": [{"KeyType": 1}]}"#
        ),
        "NUMBER_VALUE cannot be converted to String"
    );
}

#[test]
fn lists_inside_maps_and_maps_inside_lists() {
    for value in [r#""23""#, "true", "23"] {
        let body = format!(r#"{{"RequestItems": {{"abc": {value}}}}}"#);
        assert_eq!(serialization("BatchWriteItem", &body), CAST, "{body}");
        let body = format!(r#"{{"RequestItems": {{"abc": {{"Keys": [{value}]}}}}}}"#);
        assert_eq!(serialization("BatchGetItem", &body), CAST, "{body}");
    }
    assert_eq!(
        serialization("BatchWriteItem", r#"{"RequestItems": {"abc": {}}}"#),
        STRUCTURE
    );
    assert_eq!(
        serialization(
            "BatchGetItem",
            r#"{"RequestItems": {"abc": {"Keys": [[]]}}}"#
        ),
        "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>"
    );
}

#[test]
fn attribute_values() {
    // Inside an item: a value of a map.
    assert_eq!(
        serialization("PutItem", r#"{"TableName": "abc", "Item": {"a": "x"}}"#),
        "Unexpected value type in payload"
    );
    assert_eq!(
        serialization("PutItem", r#"{"TableName": "abc", "Item": {"a": []}}"#),
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue"
    );
    // A structure member.
    assert_eq!(
        serialization(
            "PutItem",
            r#"{"TableName": "abc", "Item": {}, "Expected": {"a": {"Value": "x"}}}"#
        ),
        "Unexpected field type"
    );
    // Inside the value: the model's messages.
    assert_eq!(
        serialization(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"a": {"S": 5}}}"#
        ),
        "NUMBER_VALUE cannot be converted to String"
    );
}

#[test]
fn a_type_error_wins_over_constraint_failures() {
    assert_eq!(
        serialization(
            "ListTables",
            r#"{"ExclusiveStartTableName": "a;", "Limit": "x"}"#
        ),
        "STRING_VALUE cannot be converted to Integer"
    );
}

#[test]
fn unknown_members_are_ignored_and_null_is_absent() {
    let body = r#"{"TableName": "abc", "Key": {}, "Whatever": [1, {"a": 2}], "ConsistentRead": null, "ProjectionExpression": null}"#;
    let Ok(Request::GetItem(input)) = decode("GetItem", body) else {
        panic!()
    };
    assert_eq!(input.input.consistent_read, None);
    assert_eq!(input.input.projection_expression, None);
}

#[test]
fn top_level_must_be_an_object() {
    assert_eq!(
        serialization("DescribeTable", "[]"),
        "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.DescribeTableInput"
    );
    assert_eq!(serialization("DescribeTable", "5"), "Unexpected field type");
}
