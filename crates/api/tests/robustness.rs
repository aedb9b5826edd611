//! No body makes `decode_request` panic: random JSON built from the members the operations
//! know (so decoding goes deep), and random mutations of valid bodies (so the bytes are
//! broken in every place), for every operation with wire types. Each case is derived from a
//! seed; a failure prints the seed that reproduces it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrodyn_api::{Operation, decode_request};

/// xorshift64*: small, deterministic, good enough to pick shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Member names of the requests, attribute types and placeholders: random documents built
/// from them reach the decoders of structures, lists, maps and attribute values.
const NAMES: &[&str] = &[
    "TableName",
    "Key",
    "Item",
    "KeySchema",
    "AttributeDefinitions",
    "AttributeName",
    "AttributeType",
    "KeyType",
    "ProvisionedThroughput",
    "ReadCapacityUnits",
    "WriteCapacityUnits",
    "BillingMode",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "IndexName",
    "Projection",
    "ProjectionType",
    "NonKeyAttributes",
    "StreamSpecification",
    "StreamEnabled",
    "StreamViewType",
    "SSESpecification",
    "Tags",
    "Value",
    "Limit",
    "ExclusiveStartKey",
    "ExclusiveStartTableName",
    "Expected",
    "Exists",
    "ComparisonOperator",
    "AttributeValueList",
    "ConditionalOperator",
    "ConditionExpression",
    "UpdateExpression",
    "ProjectionExpression",
    "FilterExpression",
    "KeyConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnValues",
    "Select",
    "Segment",
    "TotalSegments",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
    "AttributeUpdates",
    "Action",
    "AttributesToGet",
    "RequestItems",
    "Keys",
    "PutRequest",
    "DeleteRequest",
    "GlobalSecondaryIndexUpdates",
    "Create",
    "Update",
    "Delete",
    "ResourceArn",
    "TagKeys",
    "S",
    "N",
    "B",
    "BOOL",
    "NULL",
    "M",
    "L",
    "SS",
    "NS",
    "BS",
    "#n",
    ":v",
    "pk",
    "a",
];

const SCALARS: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.5",
    "1e400",
    "2147483648",
    "\"\"",
    "\"abc\"",
    "\"a;\"",
    "\"HASH\"",
    "\"S\"",
    "\"PAY_PER_REQUEST\"",
    "\"ALL\"",
    "\"1\"",
    "\"YQ==\"",
    "\"a = :v\"",
    "\"SET a = :v\"",
    "\"#n\"",
    "\"\\u0000\"",
    "\"é\"",
];

fn value(rng: &mut Rng, depth: usize, out: &mut String) {
    match if depth == 0 { 0 } else { rng.below(4) } {
        0 | 1 => out.push_str(SCALARS[rng.below(SCALARS.len())]),
        2 => {
            out.push('[');
            for i in 0..rng.below(4) {
                if i > 0 {
                    out.push(',');
                }
                value(rng, depth - 1, out);
            }
            out.push(']');
        }
        _ => object(rng, depth - 1, out),
    }
}

fn object(rng: &mut Rng, depth: usize, out: &mut String) {
    out.push('{');
    for i in 0..rng.below(5) {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(NAMES[rng.below(NAMES.len())]);
        out.push_str("\":");
        value(rng, depth, out);
    }
    out.push('}');
}

const VALID: &[(&str, &str)] = &[
    (
        "GetItem",
        r#"{"TableName":"abc","Key":{"pk":{"S":"a"}},"ProjectionExpression":"a, b.c[1]"}"#,
    ),
    (
        "PutItem",
        r#"{"TableName":"abc","Item":{"pk":{"S":"a"},"m":{"M":{"l":{"L":[{"NS":["1","2"]}]}}}},"ConditionExpression":"attribute_not_exists(pk)"}"#,
    ),
    (
        "UpdateItem",
        r##"{"TableName":"abc","Key":{"pk":{"S":"a"}},"UpdateExpression":"SET #n = :v","ExpressionAttributeNames":{"#n":"x"},"ExpressionAttributeValues":{":v":{"N":"1"}}}"##,
    ),
    (
        "Query",
        r#"{"TableName":"abc","KeyConditions":{"pk":{"ComparisonOperator":"EQ","AttributeValueList":[{"S":"a"}]}},"QueryFilter":{"x":{"ComparisonOperator":"NULL"}}}"#,
    ),
    (
        "CreateTable",
        r#"{"TableName":"abc","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}]}"#,
    ),
    (
        "BatchWriteItem",
        r#"{"RequestItems":{"abc":[{"PutRequest":{"Item":{"pk":{"B":"YQ=="}}}},{"DeleteRequest":{"Key":{"pk":{"S":"b"}}}}]}}"#,
    ),
];

fn mutate(rng: &mut Rng, body: &str) -> Vec<u8> {
    let mut bytes = body.as_bytes().to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(bytes.len() + 1);
        match rng.below(4) {
            0 if at < bytes.len() => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, b"{}[]\",:0a\\"[rng.below(10)]),
            2 if at < bytes.len() => bytes[at] = (rng.next() & 0xff) as u8,
            _ => bytes.truncate(at),
        }
    }
    bytes
}

fn check(seed: u64, op: Operation, body: &[u8]) {
    let outcome = catch_unwind(AssertUnwindSafe(|| decode_request(op, body)));
    assert!(
        outcome.is_ok(),
        "decode_request panicked; seed {seed}, operation {op}, body {:?}",
        String::from_utf8_lossy(body)
    );
}

#[test]
fn random_documents_never_panic() {
    let operations: Vec<Operation> = Operation::ALL
        .iter()
        .copied()
        .filter(|op| op.has_wire_types())
        .collect();
    for seed in 1..=4000u64 {
        let mut rng = Rng(seed);
        let mut body = String::new();
        object(&mut rng, 5, &mut body);
        check(
            seed,
            operations[rng.below(operations.len())],
            body.as_bytes(),
        );
    }
}

#[test]
fn mutated_valid_bodies_never_panic() {
    for seed in 1..=4000u64 {
        let mut rng = Rng(seed);
        let (name, body) = VALID[rng.below(VALID.len())];
        let op = Operation::from_target(Some(&format!("DynamoDB_20120810.{name}"))).unwrap();
        assert!(decode_request(op, body.as_bytes()).is_ok(), "{name} {body}");
        check(seed, op, &mutate(&mut rng, body));
    }
}

#[test]
fn deeply_nested_values_are_rejected_not_overflowed() {
    let op = Operation::PutItem;
    let deep = format!(
        r#"{{"TableName":"abc","Item":{{"pk":{}{{"S":"a"}}{}}}}}"#,
        r#"{"L":["#.repeat(200),
        "]}".repeat(200)
    );
    assert!(decode_request(op, deep.as_bytes()).is_err());
}
