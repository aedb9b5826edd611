//! The process around the database: graceful shutdown on SIGTERM (exit 0, nothing lost),
//! SIGKILL with no acknowledged write lost, the data-directory lock, and configuration from a
//! TOML file and the environment.

mod common;

use std::process::Command;

const CREATE: &str = r#"{"TableName":"tbl","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"BillingMode":"PAY_PER_REQUEST"}"#;

fn put(server: &common::Server, i: usize) {
    let body = format!(r#"{{"TableName":"tbl","Item":{{"pk":{{"S":"k{i}"}},"v":{{"N":"{i}"}}}}}}"#);
    let (status, answer) = common::dynamodb(server.addr, "PutItem", body.as_bytes()).unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
}

fn count(server: &common::Server) -> u64 {
    let (status, answer) = common::dynamodb(
        server.addr,
        "Scan",
        br#"{"TableName":"tbl","Select":"COUNT"}"#,
    )
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    let json: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    json["Count"].as_u64().unwrap()
}

#[test]
fn sigterm_exits_zero_and_sigkill_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = common::Server::on_disk(&data, dir.path());
    assert_eq!(
        common::dynamodb(server.addr, "CreateTable", CREATE.as_bytes())
            .unwrap()
            .0,
        200
    );
    for i in 0..200 {
        put(&server, i);
    }
    let status = server.stop_with("TERM");
    assert_eq!(status.code(), Some(0), "{}", server.log_text());

    let mut server = common::Server::on_disk(&data, dir.path());
    assert_eq!(count(&server), 200);
    for i in 200..500 {
        put(&server, i);
    }
    server.stop_with("KILL");

    let server = common::Server::on_disk(&data, dir.path());
    assert_eq!(count(&server), 500, "{}", server.log_text());
    let (_, answer) =
        common::dynamodb(server.addr, "DescribeTable", br#"{"TableName":"tbl"}"#).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(json["Table"]["ItemCount"], 500);
}

#[test]
fn a_second_server_on_the_same_data_dir_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let _first = common::Server::on_disk(&data, dir.path());
    let addr = common::free_port();
    let output = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args([
            "serve",
            "--listen",
            &addr.to_string(),
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("already in use"), "{stderr}");
}

#[test]
fn configuration_comes_from_a_toml_file_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let addr = common::free_port();
    let config = dir.path().join("ferrodyn.toml");
    std::fs::write(&config, format!("listen = \"{addr}\"\nin_memory = true\n")).unwrap();
    let server = common::Server::start(&["--config", config.to_str().unwrap()], dir.path());
    // `start` passed its own --listen, which wins over the file; check the file was read by
    // starting one where only the file names the address.
    drop(server);
    let log = dir.path().join("env.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .env("FERRODYN_CONFIG", &config)
        .env("FERRODYN_LOG_FORMAT", "json")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while common::http(addr, "GET", "/health", &[], b"")
        .map(|r| r.0)
        .ok()
        != Some(200)
    {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    assert!(child.wait().unwrap().success());
    let text = std::fs::read_to_string(&log).unwrap();
    let first = text.lines().next().unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(first).is_ok(),
        "not JSON: {first}"
    );
}

/// Reads what the server sends until it closes the connection (or `limit` passes: a failure).
fn read_until_closed(stream: &mut std::net::TcpStream, limit: std::time::Duration) -> String {
    use std::io::Read;
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(error) => panic!(
            "the server kept the connection open ({error}); it sent {:?}",
            String::from_utf8_lossy(&answer)
        ),
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn clients_that_stall_mid_request_or_stay_idle_are_disconnected() {
    use std::io::Write;
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    let logs = tempfile::tempdir().unwrap();
    let server = common::Server::start(
        &["--in-memory", "--request-read-timeout-ms", "1000"],
        logs.path(),
    );
    let limit = Duration::from_secs(10);

    // Headers begun and never finished.
    let mut stalled_head = TcpStream::connect(server.addr).unwrap();
    stalled_head
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n")
        .unwrap();
    // A body shorter than its Content-Length.
    let mut stalled_body = TcpStream::connect(server.addr).unwrap();
    stalled_body
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n\
              X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100\r\n\r\n{\"Li",
        )
        .unwrap();
    // A connection that never sends anything.
    let mut idle = TcpStream::connect(server.addr).unwrap();

    let started = Instant::now();
    let head_answer = read_until_closed(&mut stalled_head, limit);
    assert!(
        head_answer.is_empty() || head_answer.starts_with("HTTP/1.1 408"),
        "{head_answer}"
    );
    let body_answer = read_until_closed(&mut stalled_body, limit);
    assert!(body_answer.starts_with("HTTP/1.1 408"), "{body_answer}");
    assert_eq!(read_until_closed(&mut idle, limit), "");
    assert!(started.elapsed() < limit);

    // A client that sends its head in pieces, then its body a while later, each well within
    // the limit, is answered.
    let mut slow = TcpStream::connect(server.addr).unwrap();
    let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n\
                X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 2\r\n\
                Connection: close\r\n\r\n";
    for piece in head.as_bytes().chunks(64) {
        slow.write_all(piece).unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(200));
    slow.write_all(b"{}").unwrap();
    let answer = read_until_closed(&mut slow, limit);
    assert!(answer.starts_with("HTTP/1.1 "), "{answer}");
    assert!(!answer.starts_with("HTTP/1.1 408"), "{answer}");

    // Other clients were served all along.
    let (status, _) = common::dynamodb(server.addr, "ListTables", b"{}").unwrap();
    assert_eq!(status, 200);
}
