//! Random and mutated request bodies never crash the server or make it answer 500: every one
//! gets a DynamoDB answer (200, or 400 with an error type), and the server keeps serving.
//!
//! Bodies are built from valid requests of every operation, then damaged (bytes flipped,
//! truncated, values swapped for other JSON types, keys duplicated), plus pure noise.
//! `FERRODYN_SEED` reproduces a run; `FERRODYN_LONG=1` runs 50 times more requests.

mod common;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const TEMPLATES: &[(&str, &str)] = &[
    (
        "CreateTable",
        r##"{"TableName":"fzz2","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"##,
    ),
    ("DescribeTable", r##"{"TableName":"fzz"}"##),
    (
        "ListTables",
        r##"{"Limit":3,"ExclusiveStartTableName":"a"}"##,
    ),
    (
        "UpdateTable",
        r##"{"TableName":"fzz","ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}"##,
    ),
    (
        "PutItem",
        r##"{"TableName":"fzz","Item":{"pk":{"S":"a"},"sk":{"N":"1"},"m":{"M":{"l":{"L":[{"N":"1.5"},{"SS":["x","y"]}]}}}},"ConditionExpression":"attribute_not_exists(#p) OR size(m) > :v","ExpressionAttributeNames":{"#p":"pk"},"ExpressionAttributeValues":{":v":{"N":"3"}},"ReturnValues":"ALL_OLD"}"##,
    ),
    (
        "GetItem",
        r##"{"TableName":"fzz","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"ProjectionExpression":"m.l[1], pk","ConsistentRead":true}"##,
    ),
    (
        "UpdateItem",
        r##"{"TableName":"fzz","Key":{"pk":{"S":"a"},"sk":{"N":"1"}},"UpdateExpression":"SET c = if_not_exists(c, :z) + :one, l = list_append(:l, :l) REMOVE x ADD s :s DELETE t :s","ExpressionAttributeValues":{":z":{"N":"0"},":one":{"N":"1"},":l":{"L":[{"B":"AAE="}]},":s":{"NS":["1","2"]}},"ReturnValues":"UPDATED_NEW"}"##,
    ),
    (
        "DeleteItem",
        r##"{"TableName":"fzz","Key":{"pk":{"S":"b"},"sk":{"N":"2"}},"Expected":{"a":{"ComparisonOperator":"BETWEEN","AttributeValueList":[{"N":"1"},{"N":"9"}]}}}"##,
    ),
    (
        "Query",
        r##"{"TableName":"fzz","KeyConditionExpression":"pk = :p AND begins_with(sk, :b)","FilterExpression":"contains(m, :b) AND NOT c IN (:p, :b)","ExpressionAttributeValues":{":p":{"S":"a"},":b":{"S":"x"}},"Limit":2,"ScanIndexForward":false,"ExclusiveStartKey":{"pk":{"S":"a"},"sk":{"N":"0"}}}"##,
    ),
    (
        "Scan",
        r##"{"TableName":"fzz","Segment":1,"TotalSegments":3,"ScanFilter":{"c":{"ComparisonOperator":"GT","AttributeValueList":[{"N":"0"}]}},"Select":"COUNT"}"##,
    ),
    (
        "BatchGetItem",
        r##"{"RequestItems":{"fzz":{"Keys":[{"pk":{"S":"a"},"sk":{"N":"1"}},{"pk":{"S":"c"},"sk":{"N":"1"}}],"AttributesToGet":["pk"]}}}"##,
    ),
    (
        "BatchWriteItem",
        r##"{"RequestItems":{"fzz":[{"PutRequest":{"Item":{"pk":{"S":"d"},"sk":{"N":"-1e-5"},"b":{"BS":["AA==","AQ=="]}}}},{"DeleteRequest":{"Key":{"pk":{"S":"a"},"sk":{"N":"9"}}}}]}}"##,
    ),
    (
        "TagResource",
        r##"{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/fzz","Tags":[{"Key":"k","Value":"v"}]}"##,
    ),
];

const FRAGMENTS: &[&str] = &[
    "null",
    "true",
    "1e999",
    "-0",
    "\"\"",
    "[]",
    "{}",
    "{\"S\":\"x\"}",
    "{\"N\":\"abc\"}",
    "{\"NULL\":false}",
    "{\"SS\":[]}",
    "\"\\u0000\"",
    "[[[[[[[[[[]]]]]]]]]]",
    "{\"M\":{\"a\":{\"M\":{}}}}",
    "\"#x\"",
    "\":v\"",
    "\"SET a = :a\"",
    "\"a.b[99999999999]\"",
    "999999999999999999999",
];

fn mutate(rng: &mut SmallRng, template: &str) -> Vec<u8> {
    let mut body = template.as_bytes().to_vec();
    match rng.random_range(0..6) {
        0 => {
            for _ in 0..rng.random_range(1..4) {
                let at = rng.random_range(0..body.len());
                body[at] = rng.random();
            }
        }
        1 => body.truncate(rng.random_range(0..body.len())),
        2 => {
            // Replace a JSON value (what follows a ':') with another fragment.
            let colons: Vec<usize> = body
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b':')
                .map(|(i, _)| i)
                .collect();
            if let Some(&at) = colons.get(rng.random_range(0..colons.len().max(1))) {
                let end = body[at + 1..]
                    .iter()
                    .position(|b| *b == b',' || *b == b'}')
                    .map_or(body.len(), |p| at + 1 + p);
                let fragment = FRAGMENTS[rng.random_range(0..FRAGMENTS.len())];
                body.splice(at + 1..end, fragment.bytes());
            }
        }
        3 => {
            let at = rng.random_range(0..body.len());
            let fragment = FRAGMENTS[rng.random_range(0..FRAGMENTS.len())];
            body.splice(at..at, fragment.bytes());
        }
        4 => body = (0..rng.random_range(0..64)).map(|_| rng.random()).collect(),
        _ => {
            // Deep nesting.
            let depth = rng.random_range(1..2000);
            body = format!(
                "{{\"TableName\":\"fzz\",\"Item\":{}{}",
                "{\"M\":{\"a\":".repeat(depth),
                "}}".repeat(depth)
            )
            .into_bytes();
        }
    }
    body
}

#[test]
fn random_bodies_get_dynamodb_errors_never_500s_or_crashes() {
    let seed = std::env::var("FERRODYN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let requests = if std::env::var_os("FERRODYN_LONG").is_some() {
        100_000
    } else {
        2_000
    };
    let logs = tempfile::tempdir().unwrap();
    let mut server = common::Server::in_memory(logs.path());
    let create = r##"{"TableName":"fzz","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"BillingMode":"PAY_PER_REQUEST"}"##;
    assert_eq!(
        common::dynamodb(server.addr, "CreateTable", create.as_bytes())
            .unwrap()
            .0,
        200
    );

    let mut rng = SmallRng::seed_from_u64(seed);
    for i in 0..requests {
        let (operation, template) = TEMPLATES[rng.random_range(0..TEMPLATES.len())];
        let body = if rng.random_bool(0.1) {
            template.as_bytes().to_vec()
        } else {
            mutate(&mut rng, template)
        };
        let (status, answer) =
            common::dynamodb(server.addr, operation, &body).unwrap_or_else(|error| {
                panic!(
                    "request {i} ({operation}) got no answer: {error}; FERRODYN_SEED={seed}\n{}",
                    server.log_text()
                )
            });
        assert!(
            status == 200 || status == 400,
            "request {i} ({operation}) answered {status}: {}; body {:?}; FERRODYN_SEED={seed}",
            String::from_utf8_lossy(&answer),
            String::from_utf8_lossy(&body)
        );
        if status == 400 {
            let json: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_else(|_| {
                panic!("request {i}: error body is not JSON: {answer:?}; FERRODYN_SEED={seed}")
            });
            assert!(
                json["__type"].as_str().is_some_and(|t| t.contains('#')),
                "{json}; FERRODYN_SEED={seed}"
            );
        }
    }
    assert!(server.is_running(), "FERRODYN_SEED={seed}");
    let (status, _) =
        common::dynamodb(server.addr, "DescribeTable", br##"{"TableName":"fzz"}"##).unwrap();
    assert_eq!(status, 200, "FERRODYN_SEED={seed}");
}
