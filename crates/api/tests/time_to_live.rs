//! UpdateTimeToLive and DescribeTimeToLive: requests decode, constraints and rules answer with
//! DynamoDB's messages in its order, and responses encode as DynamoDB's.

mod support;

use ferrodyn_api::wire::*;
use ferrodyn_api::{ErrorKind, Request, Response, encode_response};
use support::{decode, one_violation, serialization, validation};

#[test]
fn update_time_to_live_decodes() {
    let Ok(Request::UpdateTimeToLive(input)) = decode(
        "UpdateTimeToLive",
        r#"{"TableName": "Music", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expiresAt"}}"#,
    ) else {
        panic!()
    };
    assert_eq!(input.table_name, "Music");
    assert_eq!(
        input.time_to_live_specification,
        TimeToLiveSpecification {
            enabled: true,
            attribute_name: "expiresAt".to_owned()
        }
    );
    // Booleans accept the framework's spellings.
    let Ok(Request::UpdateTimeToLive(input)) = decode(
        "UpdateTimeToLive",
        r#"{"TableName": "Music", "TimeToLiveSpecification": {"Enabled": "no", "AttributeName": "a"}}"#,
    ) else {
        panic!()
    };
    assert!(!input.time_to_live_specification.enabled);
    let Ok(Request::DescribeTimeToLive(input)) =
        decode("DescribeTimeToLive", r#"{"TableName": "Music"}"#)
    else {
        panic!()
    };
    assert_eq!(input.table_name, "Music");
}

#[test]
fn update_time_to_live_constraints() {
    assert_eq!(
        validation("UpdateTimeToLive", "{}"),
        "The parameter 'TableName' is required but was not present in the request"
    );
    assert_eq!(
        validation(
            "UpdateTimeToLive",
            r#"{"TableName": "ab", "TimeToLiveSpecification": {}}"#
        ),
        one_violation(
            "'ab'",
            "tableName",
            "Member must have length greater than or equal to 3"
        )
    );
    assert_eq!(
        validation("UpdateTimeToLive", r#"{"TableName": "Music"}"#),
        one_violation("null", "timeToLiveSpecification", "Member must not be null")
    );
    assert_eq!(
        validation(
            "UpdateTimeToLive",
            r#"{"TableName": "Music", "TimeToLiveSpecification": {}}"#
        ),
        "2 validation errors detected: Value null at 'timeToLiveSpecification.enabled' failed \
         to satisfy constraint: Member must not be null; Value null at \
         'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not \
         be null"
    );
    let long = "a".repeat(256);
    assert_eq!(
        validation(
            "UpdateTimeToLive",
            &format!(
                r#"{{"TableName": "Music", "TimeToLiveSpecification": {{"Enabled": true, "AttributeName": "{long}"}}}}"#
            )
        ),
        one_violation(
            &format!("'{long}'"),
            "timeToLiveSpecification.attributeName",
            "Member must have length less than or equal to 255"
        )
    );
    let longest = "a".repeat(255);
    assert!(
        decode(
            "UpdateTimeToLive",
            &format!(
                r#"{{"TableName": "Music", "TimeToLiveSpecification": {{"Enabled": true, "AttributeName": "{longest}"}}}}"#
            )
        )
        .is_ok()
    );
}

#[test]
fn update_time_to_live_rules() {
    assert_eq!(
        validation(
            "UpdateTimeToLive",
            r#"{"TableName": "Music", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": ""}}"#
        ),
        "TimeToLiveSpecification.AttributeName must be non empty"
    );
    assert_eq!(
        serialization(
            "UpdateTimeToLive",
            r#"{"TableName": "Music", "TimeToLiveSpecification": {"Enabled": 1, "AttributeName": "a"}}"#
        ),
        "NUMBER_VALUE cannot be converted to Boolean"
    );
    assert_eq!(
        serialization(
            "UpdateTimeToLive",
            r#"{"TableName": "Music", "TimeToLiveSpecification": "yes"}"#
        ),
        "Unexpected field type"
    );
}

#[test]
fn describe_time_to_live_constraints() {
    assert_eq!(
        validation("DescribeTimeToLive", "{}"),
        "The parameter 'TableName' is required but was not present in the request"
    );
    assert_eq!(
        validation("DescribeTimeToLive", r#"{"TableName": "abc;"}"#),
        one_violation(
            "'abc;'",
            "tableName",
            "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    );
}

#[test]
fn time_to_live_responses_encode() {
    let update = Response::UpdateTimeToLive(UpdateTimeToLiveOutput {
        time_to_live_specification: TimeToLiveSpecification {
            enabled: true,
            attribute_name: "expiresAt".to_owned(),
        },
    });
    assert_eq!(
        String::from_utf8(encode_response(&update)).unwrap(),
        r#"{"TimeToLiveSpecification":{"Enabled":true,"AttributeName":"expiresAt"}}"#
    );
    let enabling = Response::DescribeTimeToLive(DescribeTimeToLiveOutput {
        time_to_live_description: TimeToLiveDescription {
            time_to_live_status: Some(TimeToLiveStatus::Enabling),
            attribute_name: Some("expiresAt".to_owned()),
        },
    });
    assert_eq!(
        String::from_utf8(encode_response(&enabling)).unwrap(),
        r#"{"TimeToLiveDescription":{"TimeToLiveStatus":"ENABLING","AttributeName":"expiresAt"}}"#
    );
    let disabled = Response::DescribeTimeToLive(DescribeTimeToLiveOutput {
        time_to_live_description: TimeToLiveDescription {
            time_to_live_status: Some(TimeToLiveStatus::Disabled),
            attribute_name: None,
        },
    });
    assert_eq!(
        String::from_utf8(encode_response(&disabled)).unwrap(),
        r#"{"TimeToLiveDescription":{"TimeToLiveStatus":"DISABLED"}}"#
    );
}

#[test]
fn time_to_live_statuses_have_their_wire_names() {
    let names: Vec<&str> = TimeToLiveStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(names, ["ENABLING", "DISABLING", "ENABLED", "DISABLED"]);
    assert_eq!(ErrorKind::Validation.name(), "ValidationException");
}
