//! DynamoDB JSON for attribute values: every type round-trips, shape errors classify as
//! SerializationException and value errors as ValidationException, each with DynamoDB's
//! message, and `Validated` lets a later shape error win over an earlier value error.

use ferrodyn_model::json::{InputError, Validated, ValueError, classify};
use ferrodyn_model::{AttributeValue, Item, Number};

fn item(json: &str) -> Result<Item, InputError> {
    serde_json::from_str::<Item>(json).map_err(|e| classify(&e))
}

fn value(json: &str) -> Result<AttributeValue, InputError> {
    serde_json::from_str::<AttributeValue>(json).map_err(|e| classify(&e))
}

fn validation(message: &str) -> InputError {
    InputError::Validation {
        message: message.to_owned(),
    }
}

fn serialization(message: &str) -> InputError {
    InputError::Serialization {
        message: message.to_owned(),
    }
}

#[test]
fn every_type_round_trips() {
    let json = r#"{"b":{"B":"AAEC/w=="},"bool":{"BOOL":true},"bs":{"BS":["YQ==","Yg=="]},"l":{"L":[{"S":"x"},{"N":"1"}]},"m":{"M":{"inner":{"NULL":true}}},"n":{"N":"-1.5"},"ns":{"NS":["1","2.5"]},"null":{"NULL":true},"s":{"S":"h\u00e9\"llo"},"ss":{"SS":["a",""]}}"#;
    let parsed = item(json).unwrap();
    assert_eq!(parsed["b"], AttributeValue::B(vec![0, 1, 2, 255]));
    assert_eq!(
        parsed["n"],
        AttributeValue::N(Number::parse("-1.5").unwrap())
    );
    assert_eq!(parsed["s"], AttributeValue::S("hé\"llo".into()));
    let written = serde_json::to_string(&parsed).unwrap();
    assert_eq!(item(&written).unwrap(), parsed);
    assert_eq!(written, json.replace("\\u00e9", "é"));
}

#[test]
fn numbers_are_written_canonically() {
    let parsed = value(r#"{"N":"001.500e2"}"#).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), r#"{"N":"150"}"#);
    let set = value(r#"{"NS":["1E2","-0.10"]}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&set).unwrap(),
        r#"{"NS":["100","-0.1"]}"#
    );
}

#[test]
fn null_means_absent_and_unknown_keys_are_ignored() {
    assert_eq!(
        value(r#"{"S":null,"N":"1"}"#).unwrap(),
        AttributeValue::N(Number::from(1i64))
    );
    assert_eq!(
        value(r#"{"X":[1,2],"BOOL":"yes"}"#).unwrap(),
        AttributeValue::Bool(true)
    );
}

#[test]
fn value_errors_are_validation_errors() {
    let cases = [
        (
            r#"{}"#,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"S":null}"#,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"S":"a","N":"1"}"#,
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ),
        // A number error inside the value comes before the two-types error.
        (
            r#"{"S":"a","N":""}"#,
            "The parameter cannot be converted to a numeric value",
        ),
        (
            r#"{"S":"a","N":"b"}"#,
            "The parameter cannot be converted to a numeric value: b",
        ),
        (
            r#"{"NS":["1","b"]}"#,
            "The parameter cannot be converted to a numeric value: b",
        ),
        (
            r#"{"N":"1e126"}"#,
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            r#"{"N":"1e-131"}"#,
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
        (
            r#"{"N":"123456789012345678901234567890123456789"}"#,
            "Attempting to store more than 38 significant digits in a Number",
        ),
        (
            r#"{"NULL":false}"#,
            "One or more parameter values were invalid: Null attribute value types must have the value of true",
        ),
        (
            r#"{"SS":[]}"#,
            "One or more parameter values were invalid: An string set  may not be empty",
        ),
        (
            r#"{"NS":[]}"#,
            "One or more parameter values were invalid: An number set  may not be empty",
        ),
        (
            r#"{"BS":[]}"#,
            "One or more parameter values were invalid: Binary sets should not be empty",
        ),
        (
            r#"{"SS":["a","b","a"]}"#,
            "One or more parameter values were invalid: Input collection [a, b, a] contains duplicates.",
        ),
        (
            r#"{"NS":["1","1.0"]}"#,
            "Input collection contains duplicates",
        ),
        (
            r#"{"BS":["YQ==","YQ=="]}"#,
            "One or more parameter values were invalid: Input collection [YQ==, YQ==]of type BS contains duplicates.",
        ),
        (
            r#"{"L":[{"S":"ok"},{}]}"#,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            r#"{"M":{"a":{"NULL":false}}}"#,
            "One or more parameter values were invalid: Null attribute value types must have the value of true",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(value(json), Err(validation(message)), "input {json}");
    }
}

#[test]
fn shape_errors_are_serialization_errors() {
    let cases = [
        (r#"{"S":5}"#, "NUMBER_VALUE cannot be converted to String"),
        (
            r#"{"S":1.5}"#,
            "DECIMAL_VALUE cannot be converted to String",
        ),
        (r#"{"S":true}"#, "TRUE_VALUE cannot be converted to String"),
        (r#"{"N":123}"#, "NUMBER_VALUE cannot be converted to String"),
        (
            r#"{"S":["a"]}"#,
            "Unrecognized collection type class java.lang.String",
        ),
        (
            r#"{"S":{}}"#,
            "Start of structure or map found where not expected",
        ),
        (
            r#"{"BOOL":5}"#,
            "NUMBER_VALUE cannot be converted to Boolean",
        ),
        (
            r#"{"BOOL":"maybe"}"#,
            "Unexpected token received from parser",
        ),
        (
            r#"{"BOOL":[]}"#,
            "Unrecognized collection type class java.lang.Boolean",
        ),
        (
            r#"{"B":5}"#,
            "only base-64-encoded strings are convertible to bytes",
        ),
        (
            r#"{"B":[]}"#,
            "Unrecognized collection type class java.nio.ByteBuffer",
        ),
        (
            r#"{"B":"abc"}"#,
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        (
            r#"{"B":"YR=="}"#,
            "Invalid last non-pad Base64 character dectected",
        ),
        (
            r#"{"B":"!!!!"}"#,
            "Invalid last non-pad Base64 character dectected",
        ),
        (r#"{"SS":"a"}"#, "Unexpected field type"),
        (
            r#"{"L":{}}"#,
            "Start of structure or map found where not expected",
        ),
        (
            r#"{"M":[]}"#,
            "Unrecognized collection type java.util.Map<java.lang.String, com.amazonaws.dynamodb.v20120810.AttributeValue>",
        ),
        (r#"{"M":"x"}"#, "Unexpected field type"),
        (r#"{"L":[5]}"#, "Unexpected value type in payload"),
        (
            r#"{"L":[[]]}"#,
            "Unrecognized collection type class com.amazonaws.dynamodb.v20120810.AttributeValue",
        ),
    ];
    for (json, message) in cases {
        assert_eq!(value(json), Err(serialization(message)), "input {json}");
    }
    assert!(matches!(
        value(r#"{"S":"a""#),
        Err(InputError::Serialization { .. })
    ));
}

fn nested(levels: usize) -> String {
    let mut json = String::from(r#"{"S":"leaf"}"#);
    for _ in 1..levels {
        json = format!(r#"{{"L":[{json}]}}"#);
    }
    json
}

#[test]
fn nesting_is_limited_to_32_levels() {
    let deepest = value(&nested(32)).unwrap();
    assert_eq!(deepest.depth(), 32);
    assert_eq!(
        value(&nested(33)),
        Err(validation(
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
        ))
    );
}

#[test]
fn validated_keeps_shape_errors_first() {
    #[derive(Debug, serde::Deserialize)]
    struct Request {
        #[serde(rename = "Item")]
        item: Validated<Item>,
        #[serde(rename = "Limit")]
        _limit: Option<u32>,
    }
    // A value error alone: deserialization succeeds and the error waits in the field.
    let request: Request = serde_json::from_str(r#"{"Item":{"a":{"N":"x"}},"Limit":1}"#).unwrap();
    assert_eq!(
        request.item.into_result().unwrap_err().to_string(),
        "The parameter cannot be converted to a numeric value: x"
    );
    // A shape error later in the item wins over the earlier value error.
    let error =
        serde_json::from_str::<Request>(r#"{"Item":{"a":{"N":"x"},"b":{"S":5}}}"#).unwrap_err();
    assert_eq!(
        classify(&error),
        serialization("NUMBER_VALUE cannot be converted to String")
    );
    let good: Request = serde_json::from_str(r#"{"Item":{"a":{"N":"1"}}}"#).unwrap();
    assert_eq!(good.item.as_result().unwrap().len(), 1);

    let list: Validated<Vec<AttributeValue>> = serde_json::from_str(r#"[{"SS":[]}]"#).unwrap();
    assert_eq!(list.into_result(), Err(ValueError::EmptyStringSet));
}
