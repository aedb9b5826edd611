//! Writes to one partition are applied one at a time against the item as it is, so concurrent
//! counters, conditional creates and statistics stay exact; and a database reopened after a
//! clean close holds exactly what was acknowledged.

use std::sync::Arc;

use ferrodyn_api::{Operation, Response, decode_request};
use ferrodyn_engine::{Database, DatabaseConfig};
use ferrodyn_storage::fs::MemFileSystem;

fn open(fs: Arc<MemFileSystem>) -> Database {
    Database::open(DatabaseConfig::new(ferrodyn_storage::Options::new(
        "/db", fs,
    )))
    .unwrap()
}

async fn call(
    db: &Database,
    operation: &str,
    body: String,
) -> Result<Response, ferrodyn_api::ApiError> {
    let operation =
        Operation::from_target(Some(&format!("DynamoDB_20120810.{operation}"))).unwrap();
    let request = decode_request(operation, body.as_bytes())?;
    db.execute(request).await
}

const CREATE: &str = r#"{"TableName":"counters","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_counters_and_conditional_creates_are_exact() {
    let fs = Arc::new(MemFileSystem::new());
    let db = Arc::new(open(fs.clone()));
    call(&db, "CreateTable", CREATE.to_owned()).await.unwrap();

    let tasks = 16;
    let increments = 50;
    let mut handles = Vec::new();
    for task in 0..tasks {
        let db = db.clone();
        handles.push(tokio::spawn(async move {
            let mut created = 0;
            for _ in 0..increments {
                let add = r#"{"TableName":"counters","Key":{"pk":{"S":"hits"}},"UpdateExpression":"ADD n :one","ExpressionAttributeValues":{":one":{"N":"1"}}}"#;
                call(&db, "UpdateItem", add.to_owned()).await.unwrap();
            }
            // Every task tries to create the same ten items; each must be created exactly once.
            for item in 0..10 {
                let put = format!(
                    r#"{{"TableName":"counters","Item":{{"pk":{{"S":"once-{item}"}},"by":{{"N":"{task}"}}}},"ConditionExpression":"attribute_not_exists(pk)"}}"#
                );
                match call(&db, "PutItem", put).await {
                    Ok(_) => created += 1,
                    Err(error) => assert_eq!(error.kind, ferrodyn_api::ErrorKind::ConditionalCheckFailed),
                }
            }
            created
        }));
    }
    let mut created = 0;
    for handle in handles {
        created += handle.await.unwrap();
    }
    assert_eq!(created, 10);
    let get = r#"{"TableName":"counters","Key":{"pk":{"S":"hits"}},"ConsistentRead":true}"#;
    let Response::GetItem(output) = call(&db, "GetItem", get.to_owned()).await.unwrap() else {
        panic!()
    };
    let item = output.item.unwrap();
    assert_eq!(
        item["n"],
        ferrodyn_model::AttributeValue::N(((tasks * increments) as u64).into())
    );

    let describe = r#"{"TableName":"counters"}"#;
    let Response::DescribeTable(output) = call(&db, "DescribeTable", describe.to_owned())
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(output.table.unwrap().item_count, Some(11));

    // Statistics and items survive a close and reopen.
    db.close().unwrap();
    drop(db);
    let db = open(fs);
    let Response::DescribeTable(output) = call(&db, "DescribeTable", describe.to_owned())
        .await
        .unwrap()
    else {
        panic!()
    };
    let table = output.table.unwrap();
    assert_eq!(table.item_count, Some(11));
    assert!(table.table_size_bytes.unwrap() > 0);
    let Response::GetItem(output) = call(&db, "GetItem", get.to_owned()).await.unwrap() else {
        panic!()
    };
    assert!(output.item.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_table_removes_its_items_and_statistics() {
    let db = open(Arc::new(MemFileSystem::new()));
    call(&db, "CreateTable", CREATE.to_owned()).await.unwrap();
    for i in 0..100 {
        let put = format!(r#"{{"TableName":"counters","Item":{{"pk":{{"S":"k{i}"}}}}}}"#);
        call(&db, "PutItem", put).await.unwrap();
    }
    call(&db, "DeleteTable", r#"{"TableName":"counters"}"#.to_owned())
        .await
        .unwrap();
    call(&db, "CreateTable", CREATE.to_owned()).await.unwrap();
    let scan = r#"{"TableName":"counters","Select":"COUNT"}"#;
    let Response::Scan(output) = call(&db, "Scan", scan.to_owned()).await.unwrap() else {
        panic!()
    };
    assert_eq!(output.count, 0);
    let Response::DescribeTable(output) = call(
        &db,
        "DescribeTable",
        r#"{"TableName":"counters"}"#.to_owned(),
    )
    .await
    .unwrap() else {
        panic!()
    };
    assert_eq!(output.table.unwrap().item_count, Some(0));
}
