//! A table with a local index, two global indexes and a stream, written at random by several
//! clients, survives `kill -9` in the middle of the load: after a restart every key holds its
//! last acknowledged value (or the one in flight when the process died), every index equals the
//! projection of the table, and replaying the stream from the start rebuilds the table.
//!
//! `FERRODYN_SEED` reproduces a run's choices; `FERRODYN_LONG=1` writes ten times more.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use common::call;

const TABLE: &str = "model";

/// Every item of the table or of one of its indexes, page by page.
fn scan(addr: std::net::SocketAddr, index: Option<&str>) -> Vec<Value> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let mut body = json!({"TableName": TABLE, "Limit": 50});
        if let Some(index) = index {
            body["IndexName"] = json!(index);
        }
        if let Some(start) = start.take() {
            body["ExclusiveStartKey"] = start;
        }
        let page = call(addr, "Scan", &body).unwrap();
        items.extend(page["Items"].as_array().unwrap().iter().cloned());
        match page.get("LastEvaluatedKey") {
            Some(key) => start = Some(key.clone()),
            None => return items,
        }
    }
}

fn key_of(item: &Value) -> String {
    format!(
        "{}|{}",
        item["pk"]["S"].as_str().unwrap(),
        item["sk"]["N"].as_str().unwrap()
    )
}

fn sorted(items: impl IntoIterator<Item = Value>) -> Vec<String> {
    let mut out: Vec<String> = items.into_iter().map(|v| v.to_string()).collect();
    out.sort();
    out
}

/// What an index should hold: the items having its keys, keeping `kept` attributes.
fn project(table: &[Value], index_keys: &[&str], kept: Option<&[&str]>) -> Vec<String> {
    sorted(
        table
            .iter()
            .filter(|item| index_keys.iter().all(|k| item.get(*k).is_some()))
            .map(|item| {
                let Some(kept) = kept else {
                    return item.clone();
                };
                let object = item.as_object().unwrap();
                Value::Object(
                    object
                        .iter()
                        .filter(|(name, _)| {
                            ["pk", "sk"].contains(&name.as_str())
                                || index_keys.contains(&name.as_str())
                                || kept.contains(&name.as_str())
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            }),
    )
}

/// The table rebuilt from the stream.
fn replay(addr: std::net::SocketAddr) -> Vec<Value> {
    let table = call(addr, "DescribeTable", &json!({"TableName": TABLE})).unwrap();
    let arn = table["Table"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream = call(addr, "DescribeStream", &json!({"StreamArn": arn})).unwrap();
    let shard = stream["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .unwrap()
        .to_owned();
    let iterator = call(
        addr,
        "GetShardIterator",
        &json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .unwrap();
    let mut iterator = iterator["ShardIterator"].as_str().unwrap().to_owned();
    let mut items: BTreeMap<String, Value> = BTreeMap::new();
    loop {
        let page = call(addr, "GetRecords", &json!({"ShardIterator": iterator})).unwrap();
        let records = page["Records"].as_array().unwrap();
        if records.is_empty() {
            return items.into_values().collect();
        }
        for record in records {
            let change = &record["dynamodb"];
            let key = key_of(&change["Keys"]);
            match record["eventName"].as_str().unwrap() {
                "REMOVE" => assert_eq!(
                    items.remove(&key).as_ref(),
                    change.get("OldImage"),
                    "REMOVE of {key}"
                ),
                "INSERT" => assert!(items.insert(key, change["NewImage"].clone()).is_none()),
                _ => {
                    assert_eq!(items.get(&key), change.get("OldImage"), "MODIFY of {key}");
                    items.insert(key, change["NewImage"].clone());
                }
            }
        }
        iterator = page["NextShardIterator"].as_str().unwrap().to_owned();
    }
}

/// Per key: the last acknowledged item (`None`: deleted) and the write in flight, if any.
type Ledger = BTreeMap<String, (Option<Value>, Option<Option<Value>>)>;

/// One client writing random items to its own partition keys until `stop` or an error.
fn client(
    addr: std::net::SocketAddr,
    id: u64,
    seed: u64,
    writes: usize,
    ledger: Arc<Mutex<Ledger>>,
    acked: Arc<AtomicUsize>,
) {
    let mut rng = SmallRng::seed_from_u64(seed ^ (id << 32));
    for n in 0..writes {
        let pk = format!("c{id}-{}", rng.random_range(0..4));
        let sk = rng.random_range(0..25).to_string();
        let key = format!("{pk}|{sk}");
        let status = ["new", "paid", "sent"][rng.random_range(0..3)];
        let item = json!({"pk": {"S": pk}, "sk": {"N": sk}, "status": {"S": status},
            "total": {"N": rng.random_range(0..1000).to_string()}, "note": {"S": format!("n{n}")}});
        let (operation, body, after) = if rng.random_bool(0.25) {
            (
                "DeleteItem",
                json!({"TableName": TABLE, "Key": {"pk": item["pk"], "sk": item["sk"]}}),
                None,
            )
        } else {
            (
                "PutItem",
                json!({"TableName": TABLE, "Item": item}),
                Some(item.clone()),
            )
        };
        ledger
            .lock()
            .unwrap()
            .entry(key.clone())
            .or_insert((None, None))
            .1 = Some(after.clone());
        if call(addr, operation, &body).is_err() {
            return; // the server died: the write stays "in flight"
        }
        let mut ledger = ledger.lock().unwrap();
        let entry = ledger.get_mut(&key).unwrap();
        *entry = (after, None);
        acked.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn indexes_and_stream_match_the_table_across_kill_9() {
    let seed: u64 = std::env::var("FERRODYN_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    let writes = if std::env::var_os("FERRODYN_LONG").is_some() {
        3000
    } else {
        300
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = common::Server::on_disk(&data, dir.path());
    let create = json!({"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "status", "AttributeType": "S"}, {"AttributeName": "total", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        "LocalSecondaryIndexes": [{"IndexName": "by_total", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "total", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}],
        "GlobalSecondaryIndexes": [
            {"IndexName": "by_status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}, {"AttributeName": "total", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}},
            {"IndexName": "all", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}]});
    call(server.addr, "CreateTable", &create).unwrap();

    let ledger: Arc<Mutex<Ledger>> = Arc::default();
    let acked: Arc<AtomicUsize> = Arc::default();
    let addr = server.addr;
    let clients: Vec<_> = (0..4)
        .map(|id| {
            let (ledger, acked) = (ledger.clone(), acked.clone());
            std::thread::spawn(move || client(addr, id, seed, writes, ledger, acked))
        })
        .collect();
    // Let some writes land, then pull the plug mid-load.
    while acked.load(Ordering::Relaxed) < writes * 2 {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    server.stop_with("KILL");
    for client in clients {
        client.join().unwrap();
    }

    let server = common::Server::on_disk(&data, dir.path());
    let table = scan(server.addr, None);
    let stored: BTreeMap<String, Value> = table
        .iter()
        .map(|item| (key_of(item), item.clone()))
        .collect();
    for (key, (acked, in_flight)) in ledger.lock().unwrap().iter() {
        let found = stored.get(key).cloned();
        let acceptable = found == *acked || in_flight.as_ref().is_some_and(|after| found == *after);
        assert!(
            acceptable,
            "FERRODYN_SEED={seed}: {key} holds {found:?}, acknowledged {acked:?}, in flight {in_flight:?}"
        );
    }
    assert!(
        stored
            .keys()
            .all(|k| ledger.lock().unwrap().contains_key(k)),
        "FERRODYN_SEED={seed}: an item nobody wrote"
    );
    assert_eq!(
        sorted(scan(server.addr, Some("by_total"))),
        project(&table, &["total"], Some(&[])),
        "FERRODYN_SEED={seed}"
    );
    assert_eq!(
        sorted(scan(server.addr, Some("by_status"))),
        project(&table, &["status", "total"], Some(&["note"])),
        "FERRODYN_SEED={seed}"
    );
    assert_eq!(
        sorted(scan(server.addr, Some("all"))),
        project(&table, &["status"], None),
        "FERRODYN_SEED={seed}"
    );
    assert_eq!(
        sorted(replay(server.addr)),
        sorted(table.clone()),
        "FERRODYN_SEED={seed}"
    );
    let description = call(server.addr, "DescribeTable", &json!({"TableName": TABLE})).unwrap();
    assert_eq!(
        description["Table"]["ItemCount"].as_u64(),
        Some(table.len() as u64),
        "FERRODYN_SEED={seed}"
    );
}
