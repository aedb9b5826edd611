//! The table operations (CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable):
//! every member decodes, and every constraint and rule answers with DynamoDB's exact
//! ValidationException message.

mod support;

use ferrodyn_api::Request;
use ferrodyn_api::wire::*;
use support::{decode, one_violation, validation};

fn create(body: &str) -> CreateTableInput {
    match decode("CreateTable", body) {
        Ok(Request::CreateTable(input)) => input,
        other => panic!("{body}: {other:?}"),
    }
}

/// A valid CreateTable body with `extra` members appended.
fn create_body(extra: &str) -> String {
    format!(
        r#"{{"TableName": "Music",
            "AttributeDefinitions": [{{"AttributeName": "pk", "AttributeType": "S"}},
                                     {{"AttributeName": "sk", "AttributeType": "N"}}],
            "KeySchema": [{{"AttributeName": "pk", "KeyType": "HASH"}},
                          {{"AttributeName": "sk", "KeyType": "RANGE"}}]{extra}}}"#
    )
}

const PAY: &str = r#", "BillingMode": "PAY_PER_REQUEST""#;

#[test]
fn create_table_decodes_every_member() {
    let input = create(&create_body(
        r#", "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 6},
        "LocalSecondaryIndexes": [{"IndexName": "byPk", "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        "GlobalSecondaryIndexes": [{"IndexName": "bySk", "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
            "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "SSESpecification": {"Enabled": true, "SSEType": "KMS", "KMSMasterKeyId": "key"},
        "Tags": [{"Key": "env", "Value": "prod"}],
        "TableClass": "STANDARD_INFREQUENT_ACCESS",
        "DeletionProtectionEnabled": true,
        "WarmThroughput": {"ReadUnitsPerSecond": 12000},
        "ResourcePolicy": "{}"
    "#,
    ));
    assert_eq!(input.table_name, "Music");
    assert_eq!(input.key_schema[1].key_type, KeyType::Range);
    assert_eq!(
        input.attribute_definitions[1].attribute_type,
        ScalarAttributeType::N
    );
    assert_eq!(input.billing_mode, Some(BillingMode::Provisioned));
    assert_eq!(
        input.provisioned_throughput,
        Some(ProvisionedThroughput {
            read_capacity_units: 5,
            write_capacity_units: 6
        })
    );
    let lsis = input.local_secondary_indexes.unwrap();
    assert_eq!(
        lsis[0].projection.projection_type,
        Some(ProjectionType::KeysOnly)
    );
    let gsis = input.global_secondary_indexes.unwrap();
    assert_eq!(
        gsis[0].projection.non_key_attributes,
        Some(vec!["x".to_owned()])
    );
    assert_eq!(
        input.stream_specification.unwrap().stream_view_type,
        Some(StreamViewType::NewAndOldImages)
    );
    assert_eq!(
        input.sse_specification.unwrap().sse_type,
        Some(SseType::Kms)
    );
    assert_eq!(input.tags.unwrap()[0].value, "prod");
    assert_eq!(
        input.table_class.as_deref(),
        Some("STANDARD_INFREQUENT_ACCESS")
    );
    assert_eq!(input.deletion_protection_enabled, Some(true));
    assert_eq!(
        input.warm_throughput.unwrap().read_units_per_second,
        Some(12000)
    );
    assert_eq!(input.resource_policy.as_deref(), Some("{}"));
}

#[test]
fn table_name_is_checked_first_and_alone() {
    assert_eq!(
        validation(
            "CreateTable",
            r#"{"AttributeDefinitions": [], "KeySchema": []}"#
        ),
        "The parameter 'TableName' is required but was not present in the request"
    );
    assert_eq!(
        validation(
            "CreateTable",
            r#"{"TableName": "ab", "BillingMode": "X", "KeySchema": []}"#
        ),
        one_violation(
            "'ab'",
            "tableName",
            "Member must have length greater than or equal to 3"
        )
    );
    assert_eq!(
        validation("DescribeTable", r#"{"TableName": ""}"#),
        one_violation(
            "''",
            "tableName",
            "Member must have length greater than or equal to 1"
        )
    );
    assert_eq!(
        validation("DeleteTable", r#"{"TableName": "a;"}"#),
        "2 validation errors detected: Value 'a;' at 'tableName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value 'a;' at \
         'tableName' failed to satisfy constraint: Member must have length greater than or \
         equal to 3"
    );
    let long = "a".repeat(256);
    assert_eq!(
        validation("DescribeTable", &format!(r#"{{"TableName": "{long}"}}"#)),
        one_violation(
            &format!("'{long}'"),
            "tableName",
            "Member must have length less than or equal to 255"
        )
    );
}

/// Failures are listed in the order of the body, missing members after the present ones.
#[test]
fn constraint_failures_are_listed_together() {
    assert_eq!(
        validation("CreateTable", r#"{"TableName": "abc"}"#),
        "2 validation errors detected: Value null at 'attributeDefinitions' failed to satisfy \
         constraint: Member must not be null; Value null at 'keySchema' failed to satisfy \
         constraint: Member must not be null"
    );
    assert_eq!(
        validation(
            "CreateTable",
            r#"{"TableName": "abc", "AttributeDefinitions": [], "KeySchema": [],
                "ProvisionedThroughput": {"ReadCapacityUnits": -1, "WriteCapacityUnits": 0},
                "BillingMode": "A"}"#
        ),
        "4 validation errors detected: Value '[]' at 'keySchema' failed to satisfy constraint: \
         Member must have length greater than or equal to 1; Value '-1' at \
         'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must \
         have value greater than or equal to 1; Value '0' at \
         'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must \
         have value greater than or equal to 1; Value 'A' at 'billingMode' failed to satisfy \
         constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
    );
}

#[test]
fn nested_paths_and_enum_sets() {
    assert_eq!(
        validation(
            "CreateTable",
            r#"{"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "INVALID"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}"#
        ),
        one_violation(
            "'INVALID'",
            "attributeDefinitions.1.member.attributeType",
            "Member must satisfy enum value set: [B, N, S]"
        )
    );
    assert_eq!(
        validation(
            "CreateTable",
            r#"{"TableName": "abc", "AttributeDefinitions": [],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "SORT"}]}"#
        ),
        one_violation(
            "'SORT'",
            "keySchema.2.member.keyType",
            "Member must satisfy enum value set: [HASH, RANGE]"
        )
    );
    assert_eq!(
        validation(
            "CreateTable",
            r#"{"TableName": "abc", "AttributeDefinitions": [{}], "KeySchema": [{"KeyType": "HASH"}]}"#
        ),
        "3 validation errors detected: Value null at 'attributeDefinitions.1.member.attributeName' \
         failed to satisfy constraint: Member must not be null; Value null at \
         'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must \
         not be null; Value null at 'keySchema.1.member.attributeName' failed to satisfy \
         constraint: Member must not be null"
    );
}

#[test]
fn a_too_long_key_schema_prints_its_elements() {
    assert_eq!(
        validation(
            "CreateTable",
            r#"{"TableName": "abc", "AttributeDefinitions": [],
                "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"},
                              {"AttributeName": "c", "KeyType": "RANGE"}]}"#
        ),
        one_violation(
            "'[KeySchemaElement(attributeName=a, keyType=HASH), KeySchemaElement(attributeName=b, keyType=RANGE), KeySchemaElement(attributeName=c, keyType=RANGE)]'",
            "keySchema",
            "Member must have length less than or equal to 2"
        )
    );
}

#[test]
fn at_most_ten_failures_are_reported() {
    let indexes = ["{}"; 9].join(", ");
    let message = validation(
        "CreateTable",
        &create_body(&format!(r#", "LocalSecondaryIndexes": [{indexes}]"#)),
    );
    assert!(
        message.starts_with("10 validation errors detected: "),
        "{message}"
    );
    assert_eq!(message.matches("; ").count(), 9);
    assert!(message.contains("'localSecondaryIndexes.1.member.indexName'"));
}

#[test]
fn billing_mode_and_throughput() {
    let body = |extra: &str| create_body(extra);
    assert_eq!(
        validation("CreateTable", &body("")),
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits \
         must both be specified when BillingMode is PROVISIONED"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &body(
                r#", "BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}"#
            )
        ),
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
         WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &body(
                r#", "ProvisionedThroughput": {"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1000000000001}"#
            )
        ),
        "Given value 1000000000001 for ReadCapacityUnits is out of bounds"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &body(
                r#", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1000000000001}"#
            )
        ),
        "Given value 1000000000001 for WriteCapacityUnits is out of bounds"
    );
    assert!(decode("CreateTable", &body(PAY)).is_ok());
}

#[test]
fn key_schema_rules() {
    let body = |definitions: &str, keys: &str| {
        format!(
            r#"{{"TableName": "abc", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{definitions}], "KeySchema": [{keys}]}}"#
        )
    };
    let s = |name: &str| format!(r#"{{"AttributeName": "{name}", "AttributeType": "S"}}"#);
    let k =
        |name: &str, kind: &str| format!(r#"{{"AttributeName": "{name}", "KeyType": "{kind}"}}"#);
    let cases = [
        (
            String::new(),
            k("a", "HASH"),
            "Invalid KeySchema: Some index key attribute have no definition",
        ),
        (
            s("a"),
            format!("{}, {}", k("a", "HASH"), k("a", "RANGE")),
            "Invalid KeySchema: Some index key attribute have no definition",
        ),
        (
            s("b"),
            k("a", "HASH"),
            "One or more parameter values were invalid: Some index key attributes are not \
             defined in AttributeDefinitions. Keys: [a], AttributeDefinitions: [b]",
        ),
        (
            format!("{}, {}", s("a"), s("b")),
            format!("{}, {}", k("a", "HASH"), k("a", "HASH")),
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ),
        (
            format!("{}, {}", s("a"), s("b")),
            format!("{}, {}", k("a", "RANGE"), k("b", "HASH")),
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ),
        (
            format!("{}, {}", s("a"), s("b")),
            format!("{}, {}", k("a", "HASH"), k("b", "HASH")),
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ),
        (
            format!("{}, {}", s("a"), s("b")),
            k("a", "HASH"),
            "One or more parameter values were invalid: Number of attributes in KeySchema does \
             not exactly match number of attributes defined in AttributeDefinitions",
        ),
        (
            format!("{}, {}", s("a"), s("a")),
            k("a", "HASH"),
            "Attribute Name is duplicated: a",
        ),
    ];
    for (definitions, keys, message) in cases {
        assert_eq!(
            validation("CreateTable", &body(&definitions, &keys)),
            message,
            "{keys}"
        );
    }
}

#[test]
fn local_secondary_index_rules() {
    let lsi = |keys: &str, projection: &str| {
        create_body(&format!(
            r#"{PAY}, "LocalSecondaryIndexes": [{{"IndexName": "idx", "KeySchema": [{keys}], "Projection": {projection}}}]"#
        ))
    };
    let all = r#"{"ProjectionType": "ALL"}"#;
    let good_keys = r#"{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}"#;
    assert!(decode("CreateTable", &lsi(good_keys, all)).is_ok());
    assert_eq!(
        validation(
            "CreateTable",
            &create_body(&format!(r#"{PAY}, "LocalSecondaryIndexes": []"#))
        ),
        "One or more parameter values were invalid: List of LocalSecondaryIndexes is empty"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &lsi(r#"{"AttributeName": "pk", "KeyType": "HASH"}"#, all)
        ),
        "One or more parameter values were invalid: Index KeySchema does not have a range key \
         for index: idx"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &lsi(
                r#"{"AttributeName": "sk", "KeyType": "HASH"}, {"AttributeName": "pk", "KeyType": "RANGE"}"#,
                all
            )
        ),
        "One or more parameter values were invalid: Index KeySchema does not have the same \
         leading hash key as table KeySchema for index: idx. index hash key: sk, table hash key: pk"
    );
    assert_eq!(
        validation("CreateTable", &lsi(good_keys, "{}")),
        "One or more parameter values were invalid: Unknown ProjectionType: null"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &lsi(
                good_keys,
                r#"{"ProjectionType": "ALL", "NonKeyAttributes": ["x"]}"#
            )
        ),
        "One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes \
         is specified"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &lsi(good_keys, r#"{"ProjectionType": "INCLUDE"}"#)
        ),
        "One or more parameter values were invalid: ProjectionType is INCLUDE, but \
         NonKeyAttributes is not specified"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &lsi(
                good_keys,
                r#"{"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "x"]}"#
            )
        ),
        "One or more parameter values were invalid: Duplicate element in NonKeyAttributes: x"
    );
    let hash_only = r#"{"TableName": "abc", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "LocalSecondaryIndexes": [{"IndexName": "idx", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]}"#;
    assert_eq!(
        validation("CreateTable", hash_only),
        "One or more parameter values were invalid: Table KeySchema does not have a range key, \
         which is required when specifying a LocalSecondaryIndex"
    );
    let six: Vec<String> = (0..6)
        .map(|i| {
            format!(r#"{{"IndexName": "idx{i}", "KeySchema": [{good_keys}], "Projection": {all}}}"#)
        })
        .collect();
    assert_eq!(
        validation(
            "CreateTable",
            &create_body(&format!(
                r#"{PAY}, "LocalSecondaryIndexes": [{}]"#,
                six.join(", ")
            ))
        ),
        "One or more parameter values were invalid: Number of LocalSecondaryIndexes exceeds \
         per-table limit of 5"
    );
}

#[test]
fn global_secondary_index_rules() {
    let gsi = |billing: &str, index: &str| {
        create_body(&format!(
            r#"{billing}, "GlobalSecondaryIndexes": [{index}]"#
        ))
    };
    let index = |name: &str, extra: &str| {
        format!(
            r#"{{"IndexName": "{name}", "KeySchema": [{{"AttributeName": "sk", "KeyType": "HASH"}}],
                "Projection": {{"ProjectionType": "ALL"}}{extra}}}"#
        )
    };
    let throughput =
        r#", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}"#;
    let provisioned =
        r#", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}"#;
    assert!(decode("CreateTable", &gsi(PAY, &index("idx", ""))).is_ok());
    assert!(decode("CreateTable", &gsi(provisioned, &index("idx", throughput))).is_ok());
    assert_eq!(
        validation("CreateTable", &gsi(PAY, &index("idx", throughput))),
        "One or more parameter values were invalid: ProvisionedThroughput should not be \
         specified for index: idx when BillingMode is PAY_PER_REQUEST"
    );
    assert_eq!(
        validation("CreateTable", &gsi(provisioned, &index("idx", ""))),
        "One or more parameter values were invalid: ProvisionedThroughput is not specified for \
         index: idx"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &gsi(
                PAY,
                &format!("{}, {}", index("same", ""), index("same", ""))
            )
        ),
        "One or more parameter values were invalid: Duplicate index name: same"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &create_body(&format!(r#"{PAY}, "GlobalSecondaryIndexes": []"#))
        ),
        "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty"
    );
    let undefined = r#"{"IndexName": "idx", "KeySchema": [{"AttributeName": "zz", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}"#;
    assert_eq!(
        validation("CreateTable", &gsi(PAY, undefined)),
        "One or more parameter values were invalid: Some index key attributes are not defined \
         in AttributeDefinitions. Keys: [zz], AttributeDefinitions: [pk, sk]"
    );
    let many: Vec<String> = (0..21).map(|i| index(&format!("idx{i}"), "")).collect();
    assert_eq!(
        validation("CreateTable", &gsi(PAY, &many.join(", "))),
        "One or more parameter values were invalid: GlobalSecondaryIndex count exceeds the \
         per-table limit of 20"
    );
    assert_eq!(
        validation(
            "CreateTable",
            &gsi(
                PAY,
                r#"{"IndexName": "a;", "KeySchema": [], "Projection": {}}"#
            )
        ),
        "3 validation errors detected: Value 'a;' at 'globalSecondaryIndexes.1.member.indexName' \
         failed to satisfy constraint: Member must satisfy regular expression pattern: \
         [a-zA-Z0-9_.-]+; Value 'a;' at 'globalSecondaryIndexes.1.member.indexName' failed to \
         satisfy constraint: Member must have length greater than or equal to 3; Value '[]' at \
         'globalSecondaryIndexes.1.member.keySchema' failed to satisfy constraint: Member must \
         have length greater than or equal to 1"
    );
}

#[test]
fn non_key_attributes_of_all_indexes_are_limited_together() {
    // Twenty names per index (the most one index takes), the same in every index: each index
    // counts them again. ALL projections do not count.
    let names: Vec<String> = (0..20).map(|i| format!(r#""a{i}""#)).collect();
    let include = |name: &str| {
        format!(
            r#"{{"IndexName": "{name}", "KeySchema": [{{"AttributeName": "sk", "KeyType": "HASH"}}],
                "Projection": {{"ProjectionType": "INCLUDE", "NonKeyAttributes": [{}]}}}}"#,
            names.join(", ")
        )
    };
    let all = r#"{"IndexName": "all", "KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"}],
        "Projection": {"ProjectionType": "ALL"}}"#;
    let body = |count: usize| {
        let mut indexes: Vec<String> = (0..count).map(|i| include(&format!("idx{i}"))).collect();
        indexes.push(all.to_owned());
        create_body(&format!(
            r#"{PAY}, "GlobalSecondaryIndexes": [{}]"#,
            indexes.join(", ")
        ))
    };
    assert!(decode("CreateTable", &body(5)).is_ok());
    assert_eq!(
        validation("CreateTable", &body(6)),
        "One or more parameter values were invalid: Number of projected attributes in all \
         indexes exceeds limit of 100"
    );
}

#[test]
fn unused_attribute_definitions_with_indexes() {
    let body = r#"{"TableName": "abc", "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "user", "AttributeType": "S"},
            {"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "created_at", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [{"IndexName": "byUser", "KeySchema": [{"AttributeName": "user", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}]}"#;
    assert_eq!(
        validation("CreateTable", body),
        "One or more parameter values were invalid: Some AttributeDefinitions are not used. \
         AttributeDefinitions: [created_at, id, user], keys used: [id, user]"
    );
}

#[test]
fn stream_encryption_class_and_tags_on_create() {
    let cases = [
        (
            r#", "StreamSpecification": {"StreamEnabled": true}"#,
            "One or more parameter values were invalid: Table is being created with a stream \
             enabled, UpdateViewType is required",
        ),
        (
            r#", "StreamSpecification": {"StreamEnabled": false, "StreamViewType": "KEYS_ONLY"}"#,
            "One or more parameter values were invalid: Table is being created with a stream \
             disabled, UpdateViewType should not be specified",
        ),
        (
            r#", "SSESpecification": {"Enabled": false, "SSEType": "KMS"}"#,
            "One or more parameter values were invalid: SSEType can not be specified if Enabled \
             is false",
        ),
        (
            r#", "SSESpecification": {"Enabled": true, "KMSMasterKeyId": "k"}"#,
            "One or more parameter values were invalid: SSEType KMS is required if \
             KMSMasterKeyId is specified",
        ),
        (
            r#", "SSESpecification": {"SSEType": "AES256"}"#,
            "One or more parameter values were invalid: SSEType AES256 is not supported",
        ),
        (
            r#", "TableClass": "COLD""#,
            "Invalid table-class parameter provided. Please try again with a valid table-class \
             value: [STANDARD, STANDARD_INFREQUENT_ACCESS].",
        ),
        (
            r#", "Tags": [{"Key": "aws:x", "Value": "v"}]"#,
            "Tag Key cannot be prefixed with aws:, Key: aws:x",
        ),
        (
            r#", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]"#,
            "Duplicate Tag Keys provided as input: Duplicate Tag Key found a",
        ),
        (
            r#", "Tags": [{"Key": "", "Value": "1"}]"#,
            "1 validation error detected: Value '' at 'tags.1.member.key' failed to satisfy \
             constraint: Member must have length greater than or equal to 1",
        ),
        (
            r#", "OnDemandThroughput": {"MaxReadRequestUnits": 0}"#,
            "One or more parameter values were invalid: Requested MaxReadRequestUnits for \
             OnDemandThroughput for table is outside of valid range",
        ),
    ];
    for (extra, message) in cases {
        let body = create_body(&format!("{PAY}{extra}"));
        assert_eq!(validation("CreateTable", &body), message, "{extra}");
    }
    let provisioned = r#", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        "OnDemandThroughput": {"MaxWriteRequestUnits": 5}"#;
    assert_eq!(
        validation("CreateTable", &create_body(provisioned)),
        "One or more parameter values were invalid: MaxWriteRequestUnits for OnDemandThroughput \
         cannot be specified when the table BillingMode is PROVISIONED"
    );
    let tags: Vec<String> = (0..51)
        .map(|i| format!(r#"{{"Key": "k{i}", "Value": "v"}}"#))
        .collect();
    assert_eq!(
        validation(
            "CreateTable",
            &create_body(&format!(r#"{PAY}, "Tags": [{}]"#, tags.join(",")))
        ),
        "Number of Tags exceed the current limit for the provided ResourceArn"
    );
}

#[test]
fn describe_delete_and_list_tables() {
    let Ok(Request::DescribeTable(input)) = decode("DescribeTable", r#"{"TableName": "Music"}"#)
    else {
        panic!()
    };
    assert_eq!(input.table_name, "Music");
    let Ok(Request::DeleteTable(input)) = decode("DeleteTable", r#"{"TableName": "Music"}"#) else {
        panic!()
    };
    assert_eq!(input.table_name, "Music");
    let Ok(Request::ListTables(input)) = decode(
        "ListTables",
        r#"{"ExclusiveStartTableName": "Music", "Limit": 3}"#,
    ) else {
        panic!()
    };
    assert_eq!(input.exclusive_start_table_name.as_deref(), Some("Music"));
    assert_eq!(input.limit, Some(3));
    let Ok(Request::ListTables(empty)) = decode("ListTables", "{}") else {
        panic!()
    };
    assert_eq!(empty.limit, None);
    assert_eq!(
        validation(
            "ListTables",
            r#"{"ExclusiveStartTableName": "89hls;;f;d", "Limit": 101}"#
        ),
        "2 validation errors detected: Value '89hls;;f;d' at 'exclusiveStartTableName' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; \
         Value '101' at 'limit' failed to satisfy constraint: Member must have value less than \
         or equal to 100"
    );
    assert_eq!(
        validation("DescribeTable", "{}"),
        "The parameter 'TableName' is required but was not present in the request"
    );
}

fn update_body(extra: &str) -> String {
    format!(r#"{{"TableName": "Music"{extra}}}"#)
}

#[test]
fn update_table_decodes_its_members() {
    let Ok(Request::UpdateTable(input)) = decode(
        "UpdateTable",
        &update_body(
            r#", "GlobalSecondaryIndexUpdates": [
                {"Create": {"IndexName": "idx", "KeySchema": [{"AttributeName": "a", "KeyType": "HASH"}],
                            "Projection": {"ProjectionType": "ALL"}}},
                {"Update": {"IndexName": "other", "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}}],
               "AttributeDefinitions": [{"AttributeName": "a", "AttributeType": "S"}]"#,
        ),
    ) else {
        panic!()
    };
    let updates = input.global_secondary_index_updates.unwrap();
    assert_eq!(updates[0].create.as_ref().unwrap().index_name, "idx");
    assert_eq!(
        updates[1]
            .update
            .as_ref()
            .unwrap()
            .provisioned_throughput
            .as_ref()
            .unwrap()
            .read_capacity_units,
        2
    );
    // A deletion goes alone: one index is built or dropped at a time.
    let Ok(Request::UpdateTable(input)) = decode(
        "UpdateTable",
        &update_body(r#", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "old"}}]"#),
    ) else {
        panic!()
    };
    let updates = input.global_secondary_index_updates.unwrap();
    assert_eq!(updates[0].delete.as_ref().unwrap().index_name, "old");
    let Ok(Request::UpdateTable(input)) = decode(
        "UpdateTable",
        &update_body(r#", "BillingMode": "PAY_PER_REQUEST""#),
    ) else {
        panic!()
    };
    assert_eq!(input.billing_mode, Some(BillingMode::PayPerRequest));
}

#[test]
fn update_table_rules() {
    let cases = [
        (
            "",
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, \
             GlobalSecondaryIndexUpdates, SSESpecification, ReplicaUpdates, \
             MultiAccountReplicaReady, ReplicaTransitRoleArn, MultiRegionConsistency, \
             DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass is \
             required",
        ),
        (
            r#", "SSESpecification": {"Enabled": true}, "DeletionProtectionEnabled": true"#,
            "One or more parameter values were invalid: Server-Side Encryption modification must \
             be the only operation in the request",
        ),
        (
            r#", "TableClass": "STANDARD", "BillingMode": "PAY_PER_REQUEST""#,
            "One or more parameter values were invalid: TableClass modification must be the only \
             operation in the request",
        ),
        (
            r#", "BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}"#,
            "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
             WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
        ),
        (
            r#", "BillingMode": "PROVISIONED""#,
            "One or more parameter values were invalid: ProvisionedThroughput must be specified \
             when BillingMode is PROVISIONED",
        ),
        (
            r#", "ProvisionedThroughput": {"ReadCapacityUnits": 1000000000001, "WriteCapacityUnits": 1}"#,
            "Given value 1000000000001 for ReadCapacityUnits is out of bounds",
        ),
        (
            r#", "GlobalSecondaryIndexUpdates": []"#,
            "One or more parameter values were invalid: List of GlobalSecondaryIndexUpdates is \
             empty",
        ),
        (
            r#", "GlobalSecondaryIndexUpdates": [{}]"#,
            "One or more parameter values were invalid: One of GlobalSecondaryIndexUpdate.Update, \
             GlobalSecondaryIndexUpdate.Create, GlobalSecondaryIndexUpdate.Delete must not be null",
        ),
        (
            r#", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "abc"}, "Update": {"IndexName": "abc"}}]"#,
            "One or more parameter values were invalid: Only one global secondary index action is \
             allowed per GlobalSecondaryIndexUpdate object",
        ),
        (
            r#", "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "abc"}}, {"Update": {"IndexName": "abc"}}]"#,
            "One or more parameter values were invalid: Only one global secondary index update per \
             index is allowed simultaneously. Index: abc",
        ),
        (
            r#", "StreamSpecification": {"StreamEnabled": true}"#,
            "One or more parameter values were invalid: If stream is being enabled then \
             UpdateViewType is required",
        ),
        (
            r#", "StreamSpecification": {"StreamEnabled": false, "StreamViewType": "NEW_IMAGE"}"#,
            "One or more parameter values were invalid: If stream is being disabled, then \
             UpdateViewType must not be specified",
        ),
        (
            r#", "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"},
               "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}"#,
            "One or more parameter values were invalid: You cannot modify stream status while \
             updating table IOPS",
        ),
    ];
    for (extra, message) in cases {
        assert_eq!(
            validation("UpdateTable", &update_body(extra)),
            message,
            "{extra}"
        );
    }
}

#[test]
fn update_table_index_creation_rules() {
    const CREATE: &str = r#"{"Create": {"IndexName": "byYear", "KeySchema": [{"AttributeName": "year", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}}"#;
    let with_definitions = |updates: &str, definitions: &str| {
        update_body(&format!(
            r#", "GlobalSecondaryIndexUpdates": [{updates}]{definitions}"#
        ))
    };
    let year = r#", "AttributeDefinitions": [{"AttributeName": "year", "AttributeType": "N"}]"#;
    assert!(decode("UpdateTable", &with_definitions(CREATE, year)).is_ok());
    assert_eq!(
        validation("UpdateTable", &with_definitions(CREATE, "")),
        "One or more parameter values were invalid: AttributeDefinitions is not specified for \
         index: byYear"
    );
    assert_eq!(
        validation(
            "UpdateTable",
            &with_definitions(
                CREATE,
                r#", "AttributeDefinitions": [{"AttributeName": "title", "AttributeType": "S"}]"#
            )
        ),
        "One or more parameter values were invalid: Some index key attributes are not defined \
         in AttributeDefinitions. Keys: [year], AttributeDefinitions: [title]"
    );
    assert_eq!(
        validation(
            "UpdateTable",
            &with_definitions(
                CREATE,
                r#", "AttributeDefinitions": [{"AttributeName": "year", "AttributeType": "N"},
                                              {"AttributeName": "year", "AttributeType": "S"}]"#
            )
        ),
        "Attribute Name is duplicated: year"
    );
    assert_eq!(
        validation(
            "UpdateTable",
            &format!(
                r#"{{"TableName": "Music", "BillingMode": "PAY_PER_REQUEST", "GlobalSecondaryIndexUpdates": [{{"Create": {{"IndexName": "byYear", "KeySchema": [{{"AttributeName": "year", "KeyType": "HASH"}}], "Projection": {{"ProjectionType": "ALL"}}, "ProvisionedThroughput": {{"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}}}}}]{year}}}"#
            )
        ),
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
         WriteCapacityUnits can be specified for index: byYear when BillingMode is \
         PAY_PER_REQUEST"
    );
    // One index is built or dropped at a time: a second creation or deletion in the same
    // request is a LimitExceededException.
    for updates in [
        format!(r#"{CREATE}, {{"Delete": {{"IndexName": "old"}}}}"#),
        r#"{"Delete": {"IndexName": "one"}}, {"Delete": {"IndexName": "two"}}"#.to_owned(),
    ] {
        let error = decode("UpdateTable", &with_definitions(&updates, year)).unwrap_err();
        assert_eq!(
            error.kind,
            ferrodyn_api::ErrorKind::LimitExceeded,
            "{updates}"
        );
        assert_eq!(
            error.message,
            "Subscriber limit exceeded: Only 1 online index can be created or deleted \
             simultaneously per table"
        );
    }
    // Capacity updates of other indexes may go along.
    let update = r#"{"Update": {"IndexName": "other", "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}}"#;
    assert!(
        decode(
            "UpdateTable",
            &with_definitions(&format!("{CREATE}, {update}"), year)
        )
        .is_ok()
    );
}

#[test]
fn table_responses_encode_without_nulls() {
    let description = TableDescription {
        table_name: Some("Music".into()),
        table_status: Some(TableStatus::Active),
        creation_date_time: Some(1_507_246_495.578),
        key_schema: Some(vec![KeySchemaElement {
            attribute_name: "pk".into(),
            key_type: KeyType::Hash,
        }]),
        attribute_definitions: Some(vec![AttributeDefinition {
            attribute_name: "pk".into(),
            attribute_type: ScalarAttributeType::S,
        }]),
        provisioned_throughput: Some(ProvisionedThroughputDescription {
            number_of_decreases_today: Some(0),
            read_capacity_units: Some(0),
            write_capacity_units: Some(0),
            ..Default::default()
        }),
        billing_mode_summary: Some(BillingModeSummary {
            billing_mode: Some(BillingMode::PayPerRequest),
            last_update_to_pay_per_request_date_time: Some(1_507_246_495.578),
        }),
        item_count: Some(0),
        table_size_bytes: Some(0),
        table_arn: Some("arn:aws:dynamodb:us-east-1:000000000000:table/Music".into()),
        table_id: Some("4ee5b5b6-cfc4-4b39-9a9b-cf5d6f3e5e8a".into()),
        deletion_protection_enabled: Some(false),
        sse_description: Some(SseDescription {
            status: Some(SseStatus::Enabled),
            sse_type: Some(SseType::Kms),
            ..Default::default()
        }),
        ..Default::default()
    };
    let body = ferrodyn_api::encode_response(&ferrodyn_api::Response::DescribeTable(
        DescribeTableOutput {
            table: Some(description),
        },
    ));
    let text = String::from_utf8(body).unwrap();
    assert!(!text.contains("null"), "{text}");
    assert_eq!(
        text,
        concat!(
            r#"{"Table":{"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"#,
            r#""TableName":"Music","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"#,
            r#""TableStatus":"ACTIVE","CreationDateTime":1507246495.578,"#,
            r#""ProvisionedThroughput":{"NumberOfDecreasesToday":0,"ReadCapacityUnits":0,"WriteCapacityUnits":0},"#,
            r#""TableSizeBytes":0,"ItemCount":0,"#,
            r#""TableArn":"arn:aws:dynamodb:us-east-1:000000000000:table/Music","#,
            r#""TableId":"4ee5b5b6-cfc4-4b39-9a9b-cf5d6f3e5e8a","#,
            r#""BillingModeSummary":{"BillingMode":"PAY_PER_REQUEST","LastUpdateToPayPerRequestDateTime":1507246495.578},"#,
            r#""SSEDescription":{"Status":"ENABLED","SSEType":"KMS"},"#,
            r#""DeletionProtectionEnabled":false}}"#
        )
    );
    let list =
        ferrodyn_api::encode_response(&ferrodyn_api::Response::ListTables(ListTablesOutput {
            table_names: vec![],
            last_evaluated_table_name: None,
        }));
    assert_eq!(list, br#"{"TableNames":[]}"#);
}
