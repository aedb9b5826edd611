//! TagResource, UntagResource, ListTagsOfResource, DescribeLimits and DescribeEndpoints:
//! requests decode, the ARN and tag rules answer with DynamoDB's exact messages, and responses
//! encode as DynamoDB's.

mod support;

use ferrodyn_api::wire::*;
use ferrodyn_api::{Request, Response, encode_response};
use support::{decode, validation};

const ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/Music";

#[test]
fn tag_requests_decode() {
    let Ok(Request::TagResource(input)) = decode(
        "TagResource",
        &format!(r#"{{"ResourceArn": "{ARN}", "Tags": [{{"Key": "env", "Value": "prod"}}]}}"#),
    ) else {
        panic!()
    };
    assert_eq!(input.resource_arn.as_deref(), Some(ARN));
    assert_eq!(input.tags.unwrap()[0].key, "env");
    let Ok(Request::UntagResource(input)) = decode(
        "UntagResource",
        &format!(r#"{{"ResourceArn": "{ARN}", "TagKeys": ["env"]}}"#),
    ) else {
        panic!()
    };
    assert_eq!(input.tag_keys, Some(vec!["env".to_owned()]));
    let Ok(Request::ListTagsOfResource(input)) = decode(
        "ListTagsOfResource",
        &format!(r#"{{"ResourceArn": "{ARN}", "NextToken": "t"}}"#),
    ) else {
        panic!()
    };
    assert_eq!(input.next_token.as_deref(), Some("t"));
}

#[test]
fn tag_rules() {
    let cases = [
        (
            "TagResource",
            r#"{"Tags": []}"#.to_owned(),
            "1 validation error detected: Value null at 'resourceArn' failed to satisfy \
             constraint: Member must not be null",
        ),
        (
            "TagResource",
            r#"{"ResourceArn": "not-a-valid-arn", "Tags": [{"Key": "a", "Value": "b"}]}"#
                .to_owned(),
            "One or more parameter values were invalid: ARNs must start with 'arn:': \
             not-a-valid-arn",
        ),
        (
            "TagResource",
            format!(r#"{{"ResourceArn": "{ARN}"}}"#),
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: \
             Member must not be null",
        ),
        (
            "TagResource",
            format!(r#"{{"ResourceArn": "{ARN}", "Tags": []}}"#),
            "Atleast one Tag needs to be provided as Input.",
        ),
        (
            "TagResource",
            format!(
                r#"{{"ResourceArn": "{ARN}/index/byArtist", "Tags": [{{"Key": "a", "Value": "b"}}]}}"#
            ),
            "One or more parameter values were invalid: Invalid resource arn provided, only table \
             or stream is accepted. Provided resource arn: \
             arn:aws:dynamodb:us-east-1:000000000000:table/Music/index/byArtist",
        ),
        (
            "UntagResource",
            format!(r#"{{"ResourceArn": "{ARN}", "TagKeys": []}}"#),
            "Atleast one Tag Key needs to be provided as Input.",
        ),
        (
            "UntagResource",
            format!(r#"{{"ResourceArn": "{ARN}"}}"#),
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: \
             Member must not be null",
        ),
        (
            "ListTagsOfResource",
            r#"{"ResourceArn": "arn:aws:s3:::bucket"}"#.to_owned(),
            "One or more parameter values were invalid: Provided Arn is not a DynamoDB resource \
             arn: arn:aws:s3:::bucket",
        ),
    ];
    for (operation, body, message) in cases {
        assert_eq!(validation(operation, &body), message, "{operation} {body}");
    }
    let long = "v".repeat(257);
    assert_eq!(
        validation(
            "TagResource",
            &format!(r#"{{"ResourceArn": "{ARN}", "Tags": [{{"Key": "a", "Value": "{long}"}}]}}"#)
        ),
        format!(
            "1 validation error detected: Value '{long}' at 'tags.1.member.value' failed to \
             satisfy constraint: Member must have length less than or equal to 256"
        )
    );
}

#[test]
fn tag_characters_prefix_and_count() {
    let tag = |key: &str, value: &str| {
        decode(
            "TagResource",
            &format!(
                r#"{{"ResourceArn": "{ARN}", "Tags": [{{"Key": "{key}", "Value": "{value}"}}]}}"#
            ),
        )
        .map(|_| ())
        .map_err(|error| error.message)
    };
    // Letters of any script, digits, spaces and + - = . _ : / @ are allowed.
    assert_eq!(tag("ключ 表 café", "a+b-c=d.e_f:g/h@i 9"), Ok(()));
    assert_eq!(tag("k", ""), Ok(()));
    assert_eq!(tag("myaws:foo", "v"), Ok(()));
    for bad in [
        "a#b", "a,b", "100%", "a;b", "a*b", "(x)", "<a>", "~a", "a?b", "a|b",
    ] {
        assert_eq!(
            tag(bad, "v"),
            Err(format!("The Tag Key provided is invalid, Key: {bad}"))
        );
        assert_eq!(
            tag("k", bad),
            Err(format!("The Tag Value provided is invalid, Value: {bad}"))
        );
    }
    for reserved in ["aws:x", "AWS:x", "aWs:x"] {
        let message = format!("Tag Key cannot be prefixed with aws:, Key: {reserved}");
        assert_eq!(tag(reserved, "v"), Err(message.clone()));
        assert_eq!(
            validation(
                "UntagResource",
                &format!(r#"{{"ResourceArn": "{ARN}", "TagKeys": ["{reserved}"]}}"#)
            ),
            message
        );
    }
    let keys: Vec<String> = (0..51).map(|i| format!(r#""k{i}""#)).collect();
    assert_eq!(
        validation(
            "UntagResource",
            &format!(
                r#"{{"ResourceArn": "{ARN}", "TagKeys": [{}]}}"#,
                keys.join(", ")
            )
        ),
        "Number of Tags exceed the current limit for the provided ResourceArn"
    );
    let fifty = keys[..50].join(", ");
    assert!(
        decode(
            "UntagResource",
            &format!(r#"{{"ResourceArn": "{ARN}", "TagKeys": [{fifty}]}}"#)
        )
        .is_ok()
    );
}

#[test]
fn tag_and_account_responses() {
    assert_eq!(encode_response(&Response::TagResource), b"{}");
    assert_eq!(encode_response(&Response::UntagResource), b"{}");
    let tags = ListTagsOfResourceOutput {
        tags: vec![Tag {
            key: "env".into(),
            value: "prod".into(),
        }],
        next_token: None,
    };
    assert_eq!(
        encode_response(&Response::ListTagsOfResource(tags)),
        br#"{"Tags":[{"Key":"env","Value":"prod"}]}"#
    );
    let limits = DescribeLimitsOutput {
        account_max_read_capacity_units: 80000,
        account_max_write_capacity_units: 80000,
        table_max_read_capacity_units: 40000,
        table_max_write_capacity_units: 40000,
    };
    assert_eq!(
        encode_response(&Response::DescribeLimits(limits)),
        br#"{"AccountMaxReadCapacityUnits":80000,"AccountMaxWriteCapacityUnits":80000,"TableMaxReadCapacityUnits":40000,"TableMaxWriteCapacityUnits":40000}"#
    );
    let endpoints = DescribeEndpointsResponse {
        endpoints: vec![Endpoint {
            address: "localhost:8000".into(),
            cache_period_in_minutes: 1440,
        }],
    };
    assert_eq!(
        encode_response(&Response::DescribeEndpoints(endpoints)),
        br#"{"Endpoints":[{"Address":"localhost:8000","CachePeriodInMinutes":1440}]}"#
    );
}

#[test]
fn account_requests_take_no_members() {
    assert!(matches!(
        decode("DescribeLimits", "{}"),
        Ok(Request::DescribeLimits(_))
    ));
    assert!(matches!(
        decode("DescribeEndpoints", r#"{"Unknown": 1}"#),
        Ok(Request::DescribeEndpoints(_))
    ));
}

#[test]
fn operations_without_wire_types_are_unknown() {
    let op = ferrodyn_api::Operation::TransactWriteItems;
    assert!(!op.has_wire_types());
    let error = ferrodyn_api::decode_request(op, b"{}").unwrap_err();
    assert_eq!(error.kind, ferrodyn_api::ErrorKind::UnknownOperation);
    for &op in ferrodyn_api::Operation::ALL {
        if op.has_wire_types() {
            let result = ferrodyn_api::decode_request(op, b"{}");
            assert!(
                !matches!(&result, Err(e) if e.kind == ferrodyn_api::ErrorKind::UnknownOperation),
                "{op}"
            );
        }
    }
}
