//! Secondary indexes and the stream stay equal to what the table says: after random puts,
//! updates and deletes from concurrent tasks, every index's entries (read by Scan on the index)
//! are exactly the projection of the table's items that have the index key, and replaying the
//! stream (NEW_AND_OLD_IMAGES, read from TRIM_HORIZON) rebuilds exactly the table; and a global
//! index added to a table with items is backfilled while writes go on, missing none; and a
//! global index has provisioned throughput of its own exactly when its table is PROVISIONED.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrodyn_api::wire::OperationType;
use ferrodyn_api::{Operation, Response, decode_request};
use ferrodyn_engine::{Database, DatabaseConfig};
use ferrodyn_model::{AttributeValue, Item};
use ferrodyn_storage::fs::MemFileSystem;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

async fn call(
    db: &Database,
    operation: &str,
    body: &str,
) -> Result<Response, ferrodyn_api::ApiError> {
    let streams = [
        "ListStreams",
        "DescribeStream",
        "GetShardIterator",
        "GetRecords",
    ];
    let service = if streams.contains(&operation) {
        "DynamoDBStreams_20120810"
    } else {
        "DynamoDB_20120810"
    };
    let operation = Operation::from_target(Some(&format!("{service}.{operation}"))).unwrap();
    db.execute(decode_request(operation, body.as_bytes())?)
        .await
}

/// The table rebuilt from its stream: every record applied in order from the start, checking
/// that each record's old image is what the replay holds.
async fn replay_stream(db: &Database) -> Vec<Item> {
    let describe = call(db, "DescribeTable", r#"{"TableName":"orders"}"#);
    let Response::DescribeTable(output) = describe.await.unwrap() else {
        panic!()
    };
    let arn = output.table.unwrap().latest_stream_arn.unwrap();
    let request = serde_json::json!({"StreamArn": arn}).to_string();
    let Response::DescribeStream(output) = call(db, "DescribeStream", &request).await.unwrap()
    else {
        panic!()
    };
    // One shard per partition; an item's records are all in its partition's shard.
    let mut table: BTreeMap<String, Item> = BTreeMap::new();
    for shard in output.stream_description.unwrap().shards.unwrap() {
        replay_shard(db, &arn, &shard.shard_id.unwrap(), &mut table).await;
    }
    table.into_values().collect()
}

/// Applies the records of one shard to `table`, in order.
async fn replay_shard(db: &Database, arn: &str, shard: &str, table: &mut BTreeMap<String, Item>) {
    let request = serde_json::json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"});
    let Response::GetShardIterator(output) = call(db, "GetShardIterator", &request.to_string())
        .await
        .unwrap()
    else {
        panic!()
    };
    let mut iterator = output.shard_iterator.unwrap();
    loop {
        let request = serde_json::json!({"ShardIterator": iterator, "Limit": 100});
        let Response::GetRecords(output) =
            call(db, "GetRecords", &request.to_string()).await.unwrap()
        else {
            panic!()
        };
        if output.records.is_empty() {
            return;
        }
        for record in output.records {
            let change = record.dynamodb.unwrap();
            let key = format!("{:?}", change.keys.unwrap());
            match record.event_name.unwrap() {
                OperationType::Remove => {
                    assert_eq!(
                        table.remove(&key).as_ref(),
                        change.old_image.as_ref(),
                        "REMOVE"
                    );
                }
                OperationType::Insert => {
                    assert!(change.old_image.is_none());
                    assert!(
                        table.insert(key, change.new_image.unwrap()).is_none(),
                        "INSERT"
                    );
                }
                OperationType::Modify => {
                    assert_eq!(table.get(&key), change.old_image.as_ref(), "MODIFY");
                    table.insert(key, change.new_image.unwrap());
                }
            }
        }
        iterator = output.next_shard_iterator.unwrap();
    }
}

const CREATE: &str = r#"{"TableName":"orders","BillingMode":"PAY_PER_REQUEST",
 "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},
   {"AttributeName":"status","AttributeType":"S"},{"AttributeName":"total","AttributeType":"N"}],
 "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
 "StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"},
 "LocalSecondaryIndexes":[{"IndexName":"by_total","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"total","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],
 "GlobalSecondaryIndexes":[
   {"IndexName":"by_status","KeySchema":[{"AttributeName":"status","KeyType":"HASH"},{"AttributeName":"total","KeyType":"RANGE"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["note"]}},
   {"IndexName":"by_status_all","KeySchema":[{"AttributeName":"status","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"}}]}"#;

fn s(v: &str) -> String {
    format!(r#"{{"S":"{v}"}}"#)
}

/// Every item of `index` (or of the table), by Scan, in pages of 7.
async fn scan_all(db: &Database, index: Option<&str>) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start: Option<Item> = None;
    loop {
        let mut body = serde_json::json!({"TableName": "orders", "Limit": 7});
        if let Some(index) = index {
            body["IndexName"] = index.into();
        }
        if let Some(start) = &start {
            body["ExclusiveStartKey"] = serde_json::to_value(start).unwrap();
        }
        let Response::Scan(page) = call(db, "Scan", &body.to_string()).await.unwrap() else {
            panic!()
        };
        items.extend(page.items.unwrap());
        match page.last_evaluated_key {
            Some(key) => start = Some(key),
            None => return items,
        }
    }
}

/// What `index` should hold: the table's items with the index key, projected.
fn expected(table: &[Item], keys: &[&str], projected: Option<&[&str]>) -> Vec<Item> {
    let mut entries: Vec<Item> = table
        .iter()
        .filter(|item| keys.iter().all(|k| item.contains_key(*k)))
        .map(|item| match projected {
            None => item.clone(),
            Some(names) => item
                .iter()
                .filter(|(name, _)| {
                    ["pk", "sk"].contains(&name.as_str())
                        || keys.contains(&name.as_str())
                        || names.contains(&name.as_str())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
        .collect();
    entries.sort_by_key(|item| format!("{item:?}"));
    entries
}

fn sorted(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by_key(|item| format!("{item:?}"));
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn indexes_equal_the_projection_of_the_table_after_random_concurrent_writes() {
    random_writes_keep_indexes_equal(1).await;
}

/// The same on a table of four partitions, whose global index entries live in the partitions
/// their own keys hash to and follow the table through the outbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn global_indexes_of_a_table_of_four_partitions_follow_it_after_random_concurrent_writes() {
    random_writes_keep_indexes_equal(4).await;
}

async fn random_writes_keep_indexes_equal(partitions: u32) {
    let seed: u64 = std::env::var("FERRODYN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let mut config = DatabaseConfig::new(ferrodyn_storage::Options::new(
        "/db",
        Arc::new(MemFileSystem::new()),
    ));
    config.table_partitions = partitions;
    let db = Arc::new(Database::open(config).unwrap());
    call(&db, "CreateTable", CREATE).await.unwrap();
    let mut tasks = Vec::new();
    for task in 0..4u64 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = SmallRng::seed_from_u64(seed ^ task);
            for _ in 0..300 {
                let pk = format!("c{}", rng.random_range(0..5));
                let sk = rng.random_range(0..20);
                let key = format!(r#""pk":{},"sk":{{"N":"{sk}"}}"#, s(&pk));
                let status = ["new", "paid", "sent"][rng.random_range(0..3)];
                let result = match rng.random_range(0..4) {
                    0 => {
                        let body = format!(
                            r#"{{"TableName":"orders","Item":{{{key},"status":{},"total":{{"N":"{}"}},"note":{},"secret":{}}}}}"#,
                            s(status), rng.random_range(0..100), s("n"), s("x")
                        );
                        call(&db, "PutItem", &body).await
                    }
                    1 => {
                        // Sparse: no status, so not in the global indexes.
                        let body = format!(r#"{{"TableName":"orders","Item":{{{key},"total":{{"N":"1"}}}}}}"#);
                        call(&db, "PutItem", &body).await
                    }
                    2 => {
                        let body = format!(
                            r##"{{"TableName":"orders","Key":{{{key}}},"UpdateExpression":"SET #s = :s, note = :n REMOVE secret","ExpressionAttributeNames":{{"#s":"status"}},"ExpressionAttributeValues":{{":s":{},":n":{}}}}}"##,
                            s(status), s("u")
                        );
                        call(&db, "UpdateItem", &body).await
                    }
                    _ => {
                        let body = format!(r#"{{"TableName":"orders","Key":{{{key}}}}}"#);
                        call(&db, "DeleteItem", &body).await
                    }
                };
                result.unwrap_or_else(|e| panic!("FERRODYN_SEED={seed}: {e:?}"));
            }
            // A write with a wrongly typed index key is refused and writes nothing.
            let bad = r#"{"TableName":"orders","Item":{"pk":{"S":"bad"},"sk":{"N":"1"},"status":{"N":"5"}}}"#;
            let error = call(&db, "PutItem", bad).await.unwrap_err();
            assert!(error.message.contains("Type mismatch for Index Key status"), "{}", error.message);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let table = scan_all(&db, None).await;
    assert!(
        table
            .iter()
            .all(|item| item["pk"] != AttributeValue::S("bad".into()))
    );
    // Each write waited for its index changes, but only for a while: global indexes of a table
    // of several partitions are eventually consistent.
    let converged = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sorted(scan_all(&db, Some("by_status_all")).await) != expected(&table, &["status"], None)
        && std::time::Instant::now() < converged
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        sorted(scan_all(&db, Some("by_total")).await),
        expected(&table, &["total"], Some(&[])),
        "FERRODYN_SEED={seed}"
    );
    assert_eq!(
        sorted(scan_all(&db, Some("by_status")).await),
        expected(&table, &["status", "total"], Some(&["note"])),
        "FERRODYN_SEED={seed}"
    );
    assert_eq!(
        sorted(scan_all(&db, Some("by_status_all")).await),
        expected(&table, &["status"], None),
        "FERRODYN_SEED={seed}"
    );
    assert_eq!(
        sorted(replay_stream(&db).await),
        sorted(table.clone()),
        "FERRODYN_SEED={seed}"
    );

    // DescribeTable counts every index's entries.
    let Response::DescribeTable(output) = call(&db, "DescribeTable", r#"{"TableName":"orders"}"#)
        .await
        .unwrap()
    else {
        panic!()
    };
    let description = output.table.unwrap();
    assert_eq!(description.item_count, Some(table.len() as i64));
    let counts: BTreeMap<String, i64> = description
        .global_secondary_indexes
        .unwrap()
        .into_iter()
        .map(|i| (i.index_name.unwrap(), i.item_count.unwrap()))
        .collect();
    assert_eq!(
        counts["by_status_all"],
        expected(&table, &["status"], None).len() as i64
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_global_index_added_to_a_table_with_items_is_backfilled_while_writes_go_on() {
    let db = Arc::new(
        Database::open(DatabaseConfig::new(ferrodyn_storage::Options::new(
            "/db",
            Arc::new(MemFileSystem::new()),
        )))
        .unwrap(),
    );
    call(&db, "CreateTable", CREATE).await.unwrap();
    for i in 0..10_000 {
        let body = format!(
            r#"{{"TableName":"orders","Item":{{"pk":{},"sk":{{"N":"{i}"}},"color":{}}}}}"#,
            s(&format!("c{}", i % 50)),
            s(["red", "blue"][i % 2])
        );
        call(&db, "PutItem", &body).await.unwrap();
    }
    let update = r#"{"TableName":"orders","AttributeDefinitions":[{"AttributeName":"color","AttributeType":"S"}],
      "GlobalSecondaryIndexUpdates":[{"Create":{"IndexName":"by_color","KeySchema":[{"AttributeName":"color","KeyType":"HASH"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}}]}"#;
    call(&db, "UpdateTable", update).await.unwrap();
    // Writes during the backfill: recolour some items, delete others, add new ones.
    for i in 0..300 {
        let body = match i % 3 {
            0 => format!(
                r#"{{"TableName":"orders","Key":{{"pk":{},"sk":{{"N":"{i}"}}}},"UpdateExpression":"SET color = :c","ExpressionAttributeValues":{{":c":{}}}}}"#,
                s(&format!("c{}", i % 50)),
                s("green")
            ),
            1 => format!(
                r#"{{"TableName":"orders","Key":{{"pk":{},"sk":{{"N":"{i}"}}}}}}"#,
                s(&format!("c{}", i % 50))
            ),
            _ => format!(
                r#"{{"TableName":"orders","Item":{{"pk":{},"sk":{{"N":"{}"}},"color":{}}}}}"#,
                s("new"),
                10_000 + i,
                s("green")
            ),
        };
        let operation = ["UpdateItem", "DeleteItem", "PutItem"][i % 3];
        call(&db, operation, &body).await.unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let Response::DescribeTable(output) =
            call(&db, "DescribeTable", r#"{"TableName":"orders"}"#)
                .await
                .unwrap()
        else {
            panic!()
        };
        let index = output
            .table
            .unwrap()
            .global_secondary_indexes
            .unwrap()
            .into_iter()
            .find(|i| i.index_name.as_deref() == Some("by_color"))
            .unwrap();
        if index.index_status == Some(ferrodyn_api::wire::IndexStatus::Active) {
            break;
        }
        assert_eq!(index.backfilling, Some(true));
        assert!(
            std::time::Instant::now() < deadline,
            "backfill did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let table = scan_all(&db, None).await;
    assert_eq!(
        sorted(scan_all(&db, Some("by_color")).await),
        expected(&table, &["color"], Some(&[]))
    );
    let Response::DescribeTable(output) = call(&db, "DescribeTable", r#"{"TableName":"orders"}"#)
        .await
        .unwrap()
    else {
        panic!()
    };
    let index = output
        .table
        .unwrap()
        .global_secondary_indexes
        .unwrap()
        .into_iter()
        .find(|i| i.index_name.as_deref() == Some("by_color"))
        .unwrap();
    assert_eq!(index.item_count, Some(table.len() as i64));
    // Deleting the index frees its entries.
    let delete = r#"{"TableName":"orders","GlobalSecondaryIndexUpdates":[{"Delete":{"IndexName":"by_color"}}]}"#;
    call(&db, "UpdateTable", delete).await.unwrap();
    let error = call(
        &db,
        "Scan",
        r#"{"TableName":"orders","IndexName":"by_color"}"#,
    )
    .await
    .unwrap_err();
    assert!(
        error.message.contains("does not have the specified index"),
        "{}",
        error.message
    );
}

#[tokio::test]
async fn global_index_throughput_follows_the_billing_mode_of_the_table() {
    let db = Database::open(DatabaseConfig::new(ferrodyn_storage::Options::new(
        "/db",
        Arc::new(MemFileSystem::new()),
    )))
    .unwrap();
    let create = r#"{"TableName":"tab","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"a","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"ProvisionedThroughput":{"ReadCapacityUnits":2,"WriteCapacityUnits":3},
      "GlobalSecondaryIndexes":[{"IndexName":"by_a","KeySchema":[{"AttributeName":"a","KeyType":"HASH"}],"Projection":{"ProjectionType":"ALL"},
        "ProvisionedThroughput":{"ReadCapacityUnits":2,"WriteCapacityUnits":3}}]}"#;
    call(&db, "CreateTable", create).await.unwrap();
    let new_index = |throughput: &str| {
        format!(
            r#"{{"TableName":"tab","AttributeDefinitions":[{{"AttributeName":"b","AttributeType":"S"}}],
              "GlobalSecondaryIndexUpdates":[{{"Create":{{"IndexName":"by_b","KeySchema":[{{"AttributeName":"b","KeyType":"HASH"}}],
              "Projection":{{"ProjectionType":"ALL"}}{throughput}}}}}]}}"#
        )
    };
    let throughput = r#","ProvisionedThroughput":{"ReadCapacityUnits":1,"WriteCapacityUnits":1}"#;
    let error = call(&db, "UpdateTable", &new_index("")).await.unwrap_err();
    assert_eq!(
        error.message,
        "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: by_b"
    );
    call(
        &db,
        "UpdateTable",
        r#"{"TableName":"tab","BillingMode":"PAY_PER_REQUEST"}"#,
    )
    .await
    .unwrap();
    let error = call(&db, "UpdateTable", &new_index(throughput))
        .await
        .unwrap_err();
    assert_eq!(
        error.message,
        "One or more parameter values were invalid: Neither ReadCapacityUnits nor \
         WriteCapacityUnits can be specified for index: by_b when BillingMode is PAY_PER_REQUEST"
    );
    let update = r#"{"TableName":"tab","GlobalSecondaryIndexUpdates":[{"Update":{"IndexName":"by_a",
      "ProvisionedThroughput":{"ReadCapacityUnits":5,"WriteCapacityUnits":5}}}]}"#;
    assert!(call(&db, "UpdateTable", update).await.is_err());
    let Response::DescribeTable(output) = call(&db, "DescribeTable", r#"{"TableName":"tab"}"#)
        .await
        .unwrap()
    else {
        panic!()
    };
    let indexes = output.table.unwrap().global_secondary_indexes.unwrap();
    let throughput = indexes[0].provisioned_throughput.clone().unwrap();
    assert_eq!(
        (
            throughput.read_capacity_units,
            throughput.write_capacity_units
        ),
        (Some(0), Some(0))
    );
}
