//! `GET /metrics` of a real server: the requests it answered (by operation, latency and error
//! type) and what its storage engine wrote, in Prometheus's text format.

mod common;

const CREATE: &str = r#"{"TableName":"tbl","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;

/// The value of the sample `name` (with its labels, as exposed), if there is one.
fn value(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn scrape(server: &common::Server) -> String {
    let (status, body) = common::http(server.addr, "GET", "/metrics", &[], b"").unwrap();
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap()
}

#[test]
fn metrics_count_requests_by_operation_and_error_and_show_the_storage_engine() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::on_disk(&dir.path().join("data"), dir.path());
    let before = scrape(&server);
    assert_eq!(value(&before, "ferrodyn_tables"), Some(0.0));
    assert_eq!(
        value(&before, "ferrodyn_requests_total{operation=\"PutItem\"}"),
        None
    );

    let (status, _) = common::dynamodb(server.addr, "CreateTable", CREATE.as_bytes()).unwrap();
    assert_eq!(status, 200);
    for i in 0..5 {
        let put = format!(r#"{{"TableName":"tbl","Item":{{"pk":{{"S":"k{i}"}}}}}}"#);
        let (status, _) = common::dynamodb(server.addr, "PutItem", put.as_bytes()).unwrap();
        assert_eq!(status, 200);
    }
    let conditional = r#"{"TableName":"tbl","Item":{"pk":{"S":"k1"}},"ConditionExpression":"attribute_not_exists(pk)"}"#;
    let (status, _) = common::dynamodb(server.addr, "PutItem", conditional.as_bytes()).unwrap();
    assert_eq!(status, 400);
    let missing = r#"{"TableName":"nope","Key":{"pk":{"S":"k1"}}}"#;
    let (status, _) = common::dynamodb(server.addr, "GetItem", missing.as_bytes()).unwrap();
    assert_eq!(status, 400);
    let (status, _) = common::dynamodb(server.addr, "NoSuchOperation", b"{}").unwrap();
    assert_eq!(status, 400);

    let after = scrape(&server);
    let expect = |name: &str, wanted: f64| {
        assert_eq!(value(&after, name), Some(wanted), "{name} in\n{after}");
    };
    expect("ferrodyn_tables", 1.0);
    expect("ferrodyn_requests_total{operation=\"CreateTable\"}", 1.0);
    expect("ferrodyn_requests_total{operation=\"PutItem\"}", 6.0);
    expect("ferrodyn_requests_total{operation=\"GetItem\"}", 1.0);
    expect(
        "ferrodyn_request_errors_total{operation=\"PutItem\",error=\"ConditionalCheckFailedException\"}",
        1.0,
    );
    expect(
        "ferrodyn_request_errors_total{operation=\"GetItem\",error=\"ResourceNotFoundException\"}",
        1.0,
    );
    expect("ferrodyn_unknown_operation_requests_total", 1.0);
    expect(
        "ferrodyn_request_duration_seconds_count{operation=\"PutItem\"}",
        6.0,
    );
    expect(
        "ferrodyn_request_duration_seconds_bucket{operation=\"PutItem\",le=\"+Inf\"}",
        6.0,
    );
    // The puts went through the write-ahead log.
    let wal = value(&after, "ferrodyn_storage_wal_bytes_written_total").unwrap();
    assert!(
        wal > value(&before, "ferrodyn_storage_wal_bytes_written_total").unwrap(),
        "{after}"
    );
    // Each acknowledged put (sync durability, one client) waited for a sync of the log.
    let syncs = |e: &str| value(e, "ferrodyn_storage_wal_syncs_total").unwrap();
    assert!(syncs(&after) >= syncs(&before) + 5.0, "{after}");
    assert!(value(&after, "process_resident_memory_bytes").unwrap() > 0.0);
    assert!(value(&after, "process_cpu_seconds_total").is_some());
    // Every sample belongs to a family declared with # TYPE.
    for line in after.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .filter(|base| after.contains(&format!("# TYPE {base} histogram")))
            .unwrap_or(name);
        assert!(
            after.contains(&format!("# TYPE {family} ")),
            "{line} has no # TYPE"
        );
    }
}
