//! The single-item operations (PutItem, GetItem, UpdateItem, DeleteItem): every member decodes
//! (legacy ones too), expressions arrive parsed whichever form the request used, every rule
//! answers with DynamoDB's exact message, and responses encode without nulls.

mod support;

use ferrodyn_api::wire::*;
use ferrodyn_api::{ApiError, Parsed, Request, Response, encode_response};
use ferrodyn_model::{AttributeValue, Item};
use support::{decode, one_violation, validation};

fn put(body: &str) -> Parsed<PutItemInput> {
    match decode("PutItem", body) {
        Ok(Request::PutItem(request)) => request,
        other => panic!("{body}: {other:?}"),
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

#[test]
fn put_item_decodes_every_member() {
    let request = put(
        r##"{"TableName": "Music", "Item": {"pk": {"S": "a"}, "n": {"N": "1.50"}, "l": {"L": [{"BOOL": true}]}},
            "ConditionExpression": "attribute_not_exists(#p) AND :v = :v",
            "ExpressionAttributeNames": {"#p": "pk"},
            "ExpressionAttributeValues": {":v": {"S": "x"}},
            "ReturnValues": "ALL_OLD", "ReturnConsumedCapacity": "INDEXES",
            "ReturnItemCollectionMetrics": "SIZE",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}"##,
    );
    let input = &request.input;
    assert_eq!(input.table_name, "Music");
    assert_eq!(input.item["pk"], s("a"));
    assert_eq!(input.item["n"], AttributeValue::N("1.5".parse().unwrap()));
    assert_eq!(input.return_values, Some(ReturnValue::AllOld));
    assert_eq!(
        input.return_consumed_capacity,
        Some(ReturnConsumedCapacity::Indexes)
    );
    assert_eq!(
        input.return_item_collection_metrics,
        Some(ReturnItemCollectionMetrics::Size)
    );
    assert_eq!(
        input.return_values_on_condition_check_failure,
        Some(ReturnValuesOnConditionCheckFailure::AllOld)
    );
    assert_eq!(
        input.expression_attribute_names.as_ref().unwrap()["#p"],
        "pk"
    );
    assert_eq!(
        input.expression_attribute_values.as_ref().unwrap()[":v"],
        s("x")
    );
    assert!(request.expressions.condition.is_some());
    assert!(request.expressions.update.is_none());
}

#[test]
fn put_item_converts_expected() {
    let request = put(
        r#"{"TableName": "Music", "Item": {"pk": {"S": "a"}}, "ConditionalOperator": "OR",
            "Expected": {"pk": {"Exists": false}, "n": {"ComparisonOperator": "BETWEEN",
                "AttributeValueList": [{"N": "1"}, {"N": "2"}]}}}"#,
    );
    let expected = request.input.expected.as_ref().unwrap();
    assert_eq!(expected["pk"].exists, Some(false));
    assert_eq!(
        expected["n"].comparison_operator,
        Some(ComparisonOperator::Between)
    );
    assert_eq!(
        request.input.conditional_operator,
        Some(ConditionalOperator::Or)
    );
    assert!(request.expressions.condition.is_some());
}

#[test]
fn table_name_rules_of_item_operations() {
    assert_eq!(
        validation("PutItem", r#"{"Item": {}}"#),
        one_violation("null", "tableName", "Member must not be null")
    );
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "", "Item": {}, "ReturnValues": "INVALID"}"#
        ),
        one_violation(
            "''",
            "tableName",
            "Member must have length greater than or equal to 1"
        )
    );
    assert_eq!(
        validation("GetItem", r#"{"TableName": "bad table!@#", "Key": {}}"#),
        one_violation(
            "'bad table!@#'",
            "tableName",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    );
    let long = "a".repeat(256);
    assert_eq!(
        validation(
            "DeleteItem",
            &format!(r#"{{"TableName": "{long}", "Key": {{}}}}"#)
        ),
        one_violation(
            &format!("'{long}'"),
            "tableName",
            "Member must have length less than or equal to 255"
        )
    );
}

#[test]
fn enum_failures_are_reported_together() {
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"pk": {"S": "a"}}, "ReturnConsumedCapacity": "INVALID",
                "ReturnItemCollectionMetrics": "INVALID", "ReturnValues": "INVALID"}"#
        ),
        "3 validation errors detected: Value 'INVALID' at 'returnConsumedCapacity' failed to \
         satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]; Value \
         'INVALID' at 'returnItemCollectionMetrics' failed to satisfy constraint: Member must \
         satisfy enum value set: [SIZE, NONE]; Value 'INVALID' at 'returnValues' failed to \
         satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, \
         ALL_OLD, NONE, UPDATED_NEW]"
    );
    assert_eq!(
        validation("DeleteItem", r#"{"TableName": "abc"}"#),
        one_violation("null", "key", "Member must not be null")
    );
}

#[test]
fn attribute_value_errors() {
    let cases = [
        (
            r#"{"SS": []}"#,
            "One or more parameter values were invalid: An string set  may not be empty",
        ),
        (
            r#"{"NS": []}"#,
            "One or more parameter values were invalid: An number set  may not be empty",
        ),
        (
            r#"{"SS": ["a", "a"]}"#,
            "One or more parameter values were invalid: Input collection [a, a] contains \
             duplicates.",
        ),
        (
            r#"{"NULL": false}"#,
            "One or more parameter values were invalid: Null attribute value types must have the \
             value of true",
        ),
        (
            "{}",
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"S": "a", "N": "1"}"#,
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of \
             the supported datatypes",
        ),
        (
            r#"{"N": "b"}"#,
            "The parameter cannot be converted to a numeric value: b",
        ),
    ];
    for (value, message) in cases {
        let body =
            format!(r#"{{"TableName": "abc", "Item": {{"pk": {{"S": "a"}}, "x": {value}}}}}"#);
        assert_eq!(validation("PutItem", &body), message, "{value}");
        let body = format!(r#"{{"TableName": "abc", "Key": {{"x": {value}}}}}"#);
        assert_eq!(validation("GetItem", &body), message, "{value}");
    }
}

#[test]
fn put_item_rules_in_order() {
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"x": {"SS": []}}, "ConditionExpression": "a = b", "Expected": {}}"#
        ),
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
    );
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"pk": {"S": "a"}}, "ExpressionAttributeValues": {":v": {"S": "x"}}}"#
        ),
        "ExpressionAttributeValues can only be specified when using expressions: \
         ConditionExpression is null"
    );
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"x": {"SS": []}}, "ReturnValues": "ALL_NEW"}"#
        ),
        "One or more parameter values were invalid: An string set  may not be empty"
    );
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"pk": {"S": "a"}}, "ReturnValues": "UPDATED_NEW"}"#
        ),
        "ReturnValues can only be ALL_OLD or NONE"
    );
    let big = "x".repeat(400 * 1024);
    assert_eq!(
        validation(
            "PutItem",
            &format!(r#"{{"TableName": "abc", "Item": {{"pk": {{"S": "{big}"}}}}}}"#)
        ),
        "Item size has exceeded the maximum allowed size"
    );
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"pk": {"S": "a"}},
                "Expected": {"a": {"Value": {"S": "x"}, "AttributeValueList": [{"S": "y"}]}}}"#
        ),
        "One or more parameter values were invalid: Value and AttributeValueList cannot be used \
         together for Attribute: a"
    );
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"pk": {"S": "a"}}, "ConditionExpression": "a = :v",
                "ExpressionAttributeValues": {":v": {"SS": []}}}"#
        ),
        "ExpressionAttributeValues contains invalid value: One or more parameter values were \
         invalid: An string set  may not be empty for key :v"
    );
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"pk": {"S": "a"}}, "ConditionExpression": ""}"#
        ),
        "Invalid ConditionExpression: The expression can not be empty;"
    );
}

#[test]
fn attribute_names_are_not_empty() {
    let empty = "One or more parameter values were invalid: Empty attribute name";
    assert_eq!(
        validation(
            "PutItem",
            r#"{"TableName": "abc", "Item": {"pk": {"S": "a"}, "": {"S": "x"}}}"#
        ),
        empty
    );
    assert_eq!(
        validation(
            "GetItem",
            r#"{"TableName": "abc", "Key": {"pk": {"S": "a"}}, "AttributesToGet": ["a", ""]}"#
        ),
        empty
    );
    assert_eq!(
        validation(
            "UpdateItem",
            r#"{"TableName": "abc", "Key": {"pk": {"S": "a"}},
                "AttributeUpdates": {"": {"Action": "DELETE"}}}"#
        ),
        empty
    );
    assert_eq!(
        validation(
            "BatchWriteItem",
            r#"{"RequestItems": {"abc": [{"PutRequest": {"Item": {"pk": {"S": "a"}, "": {"N": "1"}}}}]}}"#
        ),
        empty
    );
}

#[test]
fn get_item_decodes_and_checks() {
    let Ok(Request::GetItem(request)) = decode(
        "GetItem",
        r##"{"TableName": "abc", "Key": {"pk": {"S": "a"}}, "ConsistentRead": true,
            "ProjectionExpression": "#a, b.c[1]", "ExpressionAttributeNames": {"#a": "a"},
            "ReturnConsumedCapacity": "TOTAL"}"##,
    ) else {
        panic!()
    };
    assert_eq!(request.input.key["pk"], s("a"));
    assert_eq!(request.input.consistent_read, Some(true));
    assert!(request.expressions.projection.is_some());
    let Ok(Request::GetItem(legacy)) = decode(
        "GetItem",
        r#"{"TableName": "abc", "Key": {"pk": {"S": "a"}}, "AttributesToGet": ["a", "b"]}"#,
    ) else {
        panic!()
    };
    assert_eq!(
        legacy.input.attributes_to_get,
        Some(vec!["a".to_owned(), "b".to_owned()])
    );
    assert!(legacy.expressions.projection.is_some());
    assert_eq!(
        validation(
            "GetItem",
            r#"{"TableName": "abc", "Key": {}, "AttributesToGet": []}"#
        ),
        one_violation(
            "'[]'",
            "attributesToGet",
            "Member must have length greater than or equal to 1"
        )
    );
    assert_eq!(
        validation(
            "GetItem",
            r#"{"TableName": "abc", "Key": {}, "AttributesToGet": ["a", "a"]}"#
        ),
        "One or more parameter values were invalid: Duplicate value in attribute name: a"
    );
    assert_eq!(
        validation(
            "GetItem",
            r##"{"TableName": "abc", "Key": {}, "AttributesToGet": ["a"], "ExpressionAttributeNames": {"#a": "a"}}"##
        ),
        "ExpressionAttributeNames can only be specified when using expressions"
    );
    assert_eq!(
        validation(
            "GetItem",
            r#"{"TableName": "abc", "Key": {}, "ProjectionExpression": "!!"}"#
        ),
        "Invalid ProjectionExpression: Syntax error; token: \"!\", near: \"!!\""
    );
    assert_eq!(
        validation(
            "GetItem",
            r##"{"TableName": "abc", "Key": {}, "ProjectionExpression": "a", "ExpressionAttributeNames": {"#unused": "x"}}"##
        ),
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#unused}"
    );
}

#[test]
fn update_item_decodes_both_forms() {
    let Ok(Request::UpdateItem(request)) = decode(
        "UpdateItem",
        r#"{"TableName": "abc", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "SET a = :v REMOVE b",
            "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {":v": {"N": "1"}},
            "ReturnValues": "UPDATED_NEW"}"#,
    ) else {
        panic!()
    };
    assert_eq!(request.input.return_values, Some(ReturnValue::UpdatedNew));
    assert!(request.expressions.update.is_some());
    assert!(request.expressions.condition.is_some());
    let Ok(Request::UpdateItem(legacy)) = decode(
        "UpdateItem",
        r#"{"TableName": "abc", "Key": {"pk": {"S": "a"}},
            "AttributeUpdates": {"n": {"Action": "ADD", "Value": {"N": "2"}}, "gone": {"Action": "DELETE"},
                                 "s": {"Value": {"S": "x"}}},
            "Expected": {"n": {"ComparisonOperator": "NOT_NULL"}}}"#,
    ) else {
        panic!()
    };
    let updates = legacy.input.attribute_updates.as_ref().unwrap();
    assert_eq!(updates["n"].action, Some(AttributeAction::Add));
    assert_eq!(updates["gone"].value, None);
    assert_eq!(updates["s"].action, None);
    assert!(legacy.expressions.update.is_some());
    assert!(legacy.expressions.condition.is_some());
}

#[test]
fn update_item_rules() {
    let cases = [
        (
            r#""AttributeUpdates": {"a": {"Value": {"S": "x"}}}, "UpdateExpression": "SET a = :v""#,
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {AttributeUpdates} Expression parameters: \
             {UpdateExpression}",
        ),
        (
            r#""AttributeUpdates": {"a": {"Action": "ADD", "Value": {"S": "x"}}}"#,
            "One or more parameter values were invalid: ADD action is not supported for the type S",
        ),
        (
            r#""AttributeUpdates": {"a": {"Action": "DELETE", "Value": {"S": "x"}}}"#,
            "One or more parameter values were invalid: DELETE action with value is not \
             supported for the type S",
        ),
        (
            r#""AttributeUpdates": {"a": {"Action": "PUT"}}"#,
            "One or more parameter values were invalid: Only DELETE action is allowed when no \
             attribute value is specified",
        ),
        (
            r#""AttributeUpdates": {"a": {"Action": "REPLACE"}}"#,
            "1 validation error detected: Value 'REPLACE' at 'attributeUpdates.a.member.action' \
             failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]",
        ),
        (
            r#""UpdateExpression": """#,
            "Invalid UpdateExpression: The expression can not be empty;",
        ),
        (
            r#""UpdateExpression": "SET a = :v""#,
            "Invalid UpdateExpression: An expression attribute value used in expression is not \
             defined; attribute value: :v",
        ),
    ];
    for (members, message) in cases {
        let body = format!(r#"{{"TableName": "abc", "Key": {{"pk": {{"S": "a"}}}}, {members}}}"#);
        assert_eq!(validation("UpdateItem", &body), message, "{members}");
    }
}

#[test]
fn delete_item_decodes_and_checks() {
    let Ok(Request::DeleteItem(request)) = decode(
        "DeleteItem",
        r#"{"TableName": "abc", "Key": {"pk": {"S": "a"}}, "Expected": {"pk": {"Value": {"S": "a"}}},
            "ReturnValues": "ALL_OLD", "ReturnItemCollectionMetrics": "NONE"}"#,
    ) else {
        panic!()
    };
    assert!(request.expressions.condition.is_some());
    assert_eq!(
        request.input.return_item_collection_metrics,
        Some(ReturnItemCollectionMetrics::None)
    );
    assert_eq!(
        validation(
            "DeleteItem",
            r#"{"TableName": "abc", "Key": {"pk": {"S": "a"}}, "ReturnValues": "ALL_NEW"}"#
        ),
        "ReturnValues can only be ALL_OLD or NONE"
    );
}

fn text(response: &Response) -> String {
    String::from_utf8(encode_response(response)).unwrap()
}

#[test]
fn item_responses_encode_without_nulls() {
    assert_eq!(text(&Response::GetItem(GetItemOutput::default())), "{}");
    assert_eq!(text(&Response::PutItem(WriteItemOutput::default())), "{}");
    let mut item = Item::new();
    item.insert("pk".into(), s("a"));
    item.insert("n".into(), AttributeValue::N("10".parse().unwrap()));
    let output = WriteItemOutput {
        attributes: Some(item.clone()),
        consumed_capacity: Consumption::table(1.0)
            .report("Music", Some(ReturnConsumedCapacity::Total)),
        item_collection_metrics: Some(ItemCollectionMetrics {
            item_collection_key: Some([("pk".to_owned(), s("a"))].into()),
            size_estimate_range_gb: Some(vec![0.0, 1.0]),
        }),
    };
    assert_eq!(
        text(&Response::UpdateItem(output)),
        concat!(
            r#"{"Attributes":{"n":{"N":"10"},"pk":{"S":"a"}},"#,
            r#""ConsumedCapacity":{"TableName":"Music","CapacityUnits":1.0},"#,
            r#""ItemCollectionMetrics":{"ItemCollectionKey":{"pk":{"S":"a"}},"SizeEstimateRangeGB":[0.0,1.0]}}"#
        )
    );
    assert_eq!(
        text(&Response::GetItem(GetItemOutput {
            item: Some(item),
            consumed_capacity: None
        })),
        r#"{"Item":{"n":{"N":"10"},"pk":{"S":"a"}}}"#
    );
}

#[test]
fn conditional_check_failure_carries_the_item() {
    let item: Item = [("pk".to_owned(), s("a"))].into();
    let error = ApiError::conditional_check_failed(Some(item));
    assert_eq!(
        String::from_utf8(error.to_json()).unwrap(),
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed","Item":{"pk":{"S":"a"}}}"#
    );
}
