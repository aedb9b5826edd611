//! A full disk: a write that cannot be made durable is refused, never acknowledged; reads go on;
//! `/health` and `/metrics` say the node needs a restart.
//!
//! The server runs in a mount namespace of its own over a small tmpfs, which needs the
//! privilege to create one (root, as in CI). Without it the test says so and passes vacuously.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Runs the rest of the command line in a private mount namespace, after mounting a tmpfs of
/// `size` at the directory given as `$0`.
const WRAPPER_SCRIPT: &str = r#"mount -t tmpfs -o "size=$SIZE" tmpfs "$0" && exec "$@""#;

fn private_tmpfs_works(dir: &Path) -> bool {
    Command::new("unshare")
        .args(["--mount", "--propagation", "private", "sh", "-c"])
        .arg(WRAPPER_SCRIPT)
        .arg(dir)
        .arg("true")
        .env("SIZE", "1m")
        .status()
        .is_ok_and(|status| status.success())
}

fn put(server: &common::Server, key: &str) -> (u16, String) {
    let body = serde_json::json!({
        "TableName": "tbl",
        "Item": {"pk": {"S": key}, "v": {"S": "x".repeat(4000)}},
    });
    let (status, answer) =
        common::dynamodb(server.addr, "PutItem", body.to_string().as_bytes()).unwrap();
    (status, String::from_utf8_lossy(&answer).into_owned())
}

fn exists(server: &common::Server, key: &str) -> bool {
    let body = serde_json::json!({
        "TableName": "tbl", "Key": {"pk": {"S": key}}, "ConsistentRead": true,
    });
    let (status, answer) =
        common::dynamodb(server.addr, "GetItem", body.to_string().as_bytes()).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    answer.get("Item").is_some()
}

#[test]
fn a_full_disk_refuses_writes_it_cannot_make_durable_and_keeps_serving_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("small");
    std::fs::create_dir(&mount).unwrap();
    if !private_tmpfs_works(&mount) {
        eprintln!("skipped: cannot mount a tmpfs in a private mount namespace here");
        return;
    }
    let data = mount.join("data");
    let wrapper = [
        "env",
        "SIZE=6m",
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        WRAPPER_SCRIPT,
        mount.to_str().unwrap(),
    ];
    let server = common::Server::start_wrapped(
        &wrapper,
        &["--data-dir", data.to_str().unwrap()],
        dir.path(),
    );
    let create = r#"{"TableName":"tbl","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;
    let (status, answer) = common::dynamodb(server.addr, "CreateTable", create.as_bytes()).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));

    // 4 KB items into 6 MB: the log runs out of space after some hundreds.
    let mut acknowledged = Vec::new();
    let mut refused = BTreeSet::new();
    for i in 0..4000 {
        let key = format!("k{i}");
        let (status, answer) = put(&server, &key);
        match status {
            200 => acknowledged.push(key),
            500 => {
                assert!(answer.contains("InternalServerError"), "{answer}");
                refused.insert(key);
                if refused.len() == 20 {
                    break;
                }
            }
            other => panic!("PutItem answered {other}: {answer}"),
        }
    }
    assert!(
        acknowledged.len() > 100 && refused.len() == 20,
        "{} acknowledged, {} refused; log: {}",
        acknowledged.len(),
        refused.len(),
        server.log_text()
    );

    eprintln!("{} acknowledged before the disk filled", acknowledged.len());
    // Every acknowledged write is there, no refused one is, and reads still work.
    for key in &acknowledged {
        assert!(exists(&server, key), "acknowledged {key} is missing");
    }
    for key in &refused {
        assert!(!exists(&server, key), "refused {key} was written");
    }

    let (status, body) = common::http(server.addr, "GET", "/health", &[], b"").unwrap();
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("\"failing\"") && body.contains("No space left"),
        "{body}"
    );
    assert!(!body.contains("earlier failure: the storage"), "{body}");
    let (_, metrics) = common::http(server.addr, "GET", "/metrics", &[], b"").unwrap();
    assert!(
        String::from_utf8_lossy(&metrics).contains("\nferrodyn_storage_writes_failed 1\n"),
        "writes_failed not reported"
    );
}
