//! `ferrodyn bench` against a real `ferrodyn serve --in-memory`, through a proxy that counts the
//! requests the server receives by operation.
//!
//! What it proves: the operations the bench reports are the requests the server saw, with zero
//! errors, for every workload; records loaded and inserted are all in the table; when the server
//! dies halfway the errors are reported, not hidden; Ctrl-C still prints the summary (and stops
//! a load with status 130); `--plot` and `--server-pid` produce their figures; tables created
//! with `--gsis` and `--stream` have them, the `stream` workload reads every record loaded, and
//! `--add-gsi-after` / `--enable-ttl-after` follow the change until the server has done it.
//!
//! Both processes are the `ferrodyn` binary of this target directory
//! (`target/<profile>/ferrodyn`, next to the test's own `deps/` folder; `FERRODYN_BIN` overrides
//! it), so build it first: `cargo build -p ferrodyn-server --bin ferrodyn` (scripts/test.sh does).
//! `FERRODYN_BENCH_SERVER` replaces the server by another command, with `{port}` standing for
//! the port, e.g. `npx dynalite --port {port}`, to check the bench against an emulator.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `ferrodyn` binary under test.
fn ferrodyn() -> PathBuf {
    if let Some(path) = std::env::var_os("FERRODYN_BIN") {
        return PathBuf::from(path);
    }
    // This test runs as target/<profile>/deps/end_to_end-<hash>.
    let exe = std::env::current_exe().unwrap();
    let path = exe.parent().unwrap().parent().unwrap().join("ferrodyn");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p ferrodyn-server --bin ferrodyn` first",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for `condition`, failing the test after `limit`.
fn wait_for(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let started = Instant::now();
    while !condition() {
        assert!(
            started.elapsed() < limit,
            "gave up waiting for {what} after {limit:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// A server process in its own process group, killed with it on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        Server::start_with(&[])
    }

    /// A server given `flags` besides its port (ignored for `FERRODYN_BENCH_SERVER`).
    fn start_with(flags: &[&str]) -> Server {
        let port = free_port();
        let mut command = match std::env::var("FERRODYN_BENCH_SERVER") {
            Ok(template) => {
                let mut command = Command::new("sh");
                command.arg("-c").arg(format!(
                    "exec {}",
                    template.replace("{port}", &port.to_string())
                ));
                command
            }
            Err(_) => {
                let mut command = Command::new(ferrodyn());
                command.args([
                    "serve",
                    "--in-memory",
                    "--listen",
                    &format!("127.0.0.1:{port}"),
                ]);
                command.args(flags);
                command
            }
        };
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap();
        let server = Server { child, port };
        wait_for("the server to listen", Duration::from_secs(30), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        server
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn kill(&mut self) {
        // The whole group: an emulator started through npx runs as a child of it.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Forwards connections to the server, counting requests by `X-Amz-Target` operation.
struct CountingProxy {
    port: u16,
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
    closed: Arc<AtomicBool>,
}

impl CountingProxy {
    fn start(upstream: u16) -> CountingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let counts = Arc::new(Mutex::new(BTreeMap::new()));
        let closed = Arc::new(AtomicBool::new(false));
        let (counts_for_thread, closed_for_thread) = (counts.clone(), closed.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                if closed_for_thread.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let counts = counts_for_thread.clone();
                let (client_read, server_write) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                thread::spawn(move || forward_counting(client_read, server_write, &counts));
                thread::spawn(move || forward(server, client));
            }
        });
        CountingProxy {
            port,
            counts,
            closed,
        }
    }

    fn count(&self, operation: &str) -> u64 {
        self.counts
            .lock()
            .unwrap()
            .get(operation)
            .copied()
            .unwrap_or(0)
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.closed.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn forward(mut from: TcpStream, mut to: TcpStream) {
    let mut buffer = [0u8; 16 << 10];
    while let Ok(read) = from.read(&mut buffer) {
        if read == 0 || to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

fn forward_counting(mut from: TcpStream, mut to: TcpStream, counts: &Mutex<BTreeMap<String, u64>>) {
    const NEEDLE: &[u8] = b"X-Amz-Target: DynamoDB_20120810.";
    let find =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).position(|w| w == needle);
    let mut pending: Vec<u8> = Vec::new();
    let mut buffer = [0u8; 16 << 10];
    while let Ok(read) = from.read(&mut buffer) {
        if read == 0 {
            break;
        }
        pending.extend_from_slice(&buffer[..read]);
        // Count the complete header lines; keep a partial one (or a possible needle prefix).
        let mut keep_from = pending.len().saturating_sub(NEEDLE.len());
        let mut at = 0;
        while let Some(found) = find(&pending[at..], NEEDLE) {
            let name_start = at + found + NEEDLE.len();
            match find(&pending[name_start..], b"\r\n") {
                Some(length) => {
                    let name = String::from_utf8_lossy(&pending[name_start..name_start + length]);
                    *counts.lock().unwrap().entry(name.into_owned()).or_default() += 1;
                    at = name_start + length;
                    keep_from = keep_from.max(at);
                }
                None => {
                    keep_from = at + found;
                    break;
                }
            }
        }
        pending.drain(..keep_from.min(pending.len()));
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
}

fn bench_command(endpoint: &str, table: &str, args: &[&str]) -> Command {
    let mut command = Command::new(ferrodyn());
    command
        .args([
            "bench",
            "--endpoint",
            endpoint,
            "--table",
            table,
            "--no-progress",
        ])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_REGION", "us-east-1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs `ferrodyn bench ... --json` to completion and returns its lines by `op`.
fn bench_json(endpoint: &str, table: &str, args: &[&str]) -> BTreeMap<String, Value> {
    let output = bench_command(endpoint, table, args)
        .arg("--json")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "bench failed: {}",
        describe(&output)
    );
    json_lines(&output)
}

fn json_lines(output: &Output) -> BTreeMap<String, Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let value: Value = serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("{error} in {line:?}: {}", describe(output)));
            (value["op"].as_str().unwrap().to_owned(), value)
        })
        .collect()
}

fn describe(output: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn number(line: &Value, field: &str) -> u64 {
    line[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {line}"))
}

/// DescribeTable's `Table`, through the bench's own client.
fn describe_table(endpoint: &str, table: &str) -> Value {
    use ferrodyn_bench::client::{DynamoClient, Endpoint};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let endpoint = std::sync::Arc::new(Endpoint::resolve(endpoint).await.unwrap());
        let mut client = DynamoClient::new(endpoint, Duration::from_secs(30));
        let body = serde_json::to_vec(&serde_json::json!({"TableName": table})).unwrap();
        let response: Value =
            serde_json::from_slice(client.call("DescribeTable", &body).await.unwrap()).unwrap();
        response["Table"].clone()
    })
}

/// Counts the table's items with paged `Scan` `Select=COUNT`, through the bench's own client.
fn count_items(endpoint: &str, table: &str) -> u64 {
    use ferrodyn_bench::client::{DynamoClient, Endpoint};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let endpoint = std::sync::Arc::new(Endpoint::resolve(endpoint).await.unwrap());
        let mut client = DynamoClient::new(endpoint, Duration::from_secs(30));
        let mut total = 0;
        let mut start: Option<Value> = None;
        loop {
            let mut request = serde_json::json!({"TableName": table, "Select": "COUNT"});
            if let Some(key) = start.take() {
                request["ExclusiveStartKey"] = key;
            }
            let body = serde_json::to_vec(&request).unwrap();
            let response: Value =
                serde_json::from_slice(client.call("Scan", &body).await.unwrap()).unwrap();
            total += response["Count"].as_u64().unwrap();
            match response.get("LastEvaluatedKey") {
                Some(key) => start = Some(key.clone()),
                None => return total,
            }
        }
    })
}

#[test]
fn operations_reported_are_the_requests_the_server_saw() {
    let server = Server::start();
    let proxy = CountingProxy::start(server.port);
    let endpoint = proxy.endpoint();
    let pid = server.pid().to_string();
    let lines = bench_json(
        &endpoint,
        "counted",
        &[
            "--workload",
            "a",
            "--items",
            "1000",
            "--concurrency",
            "8",
            "--ops",
            "3000",
            "--server-pid",
            &pid,
        ],
    );
    let (load, read, update, total) = (
        &lines["load"],
        &lines["read"],
        &lines["update"],
        &lines["total"],
    );
    assert_eq!(number(load, "items"), 1000);
    assert_eq!(number(load, "errors"), 0, "{load}");
    assert_eq!(number(load, "count"), proxy.count("BatchWriteItem"));
    assert!(
        number(load, "count") >= 40,
        "1,000 records need at least 40 batches of 25"
    );
    assert_eq!(
        number(read, "errors") + number(update, "errors"),
        0,
        "{read} {update}"
    );
    assert_eq!(number(read, "count") + number(update, "count"), 3000);
    assert_eq!(number(read, "count"), proxy.count("GetItem"));
    assert_eq!(number(update, "count"), proxy.count("UpdateItem"));
    assert_eq!(number(total, "count"), 3000);
    assert_eq!(proxy.count("CreateTable"), 1);
    assert!(number(read, "p50_us") <= number(read, "p99_us"));
    assert!(number(read, "p99_us") <= number(read, "max_us"));
    assert!(
        total["server_cpu_us_per_op"].as_f64().unwrap() > 0.0,
        "{total}"
    );
    assert!(number(total, "server_peak_rss_bytes") > 1 << 20, "{total}");
    assert_eq!(count_items(&endpoint, "counted"), 1000);

    // Workload D inserts new records: every acknowledged insert must be in the table.
    let lines = bench_json(
        &endpoint,
        "counted",
        &[
            "--workload",
            "d",
            "--items",
            "1000",
            "--skip-load",
            "--concurrency",
            "8",
            "--ops",
            "2000",
        ],
    );
    let insert = &lines["insert"];
    assert_eq!(
        number(insert, "errors") + number(&lines["read"], "errors"),
        0,
        "{lines:?}"
    );
    assert!(number(insert, "count") > 0);
    assert_eq!(number(insert, "count"), proxy.count("PutItem"));
    assert_eq!(
        count_items(&endpoint, "counted"),
        1000 + number(insert, "count")
    );
}

#[test]
fn every_workload_runs_without_errors() {
    let server = Server::start();
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    bench_json(
        &endpoint,
        "workloads",
        &["--workload", "c", "--items", "500", "--ops", "1"],
    );
    for workload in [
        "a", "b", "c", "d", "e", "f", "put", "get", "update", "query", "scan",
    ] {
        let lines = bench_json(
            &endpoint,
            "workloads",
            &[
                "--workload",
                workload,
                "--items",
                "500",
                "--skip-load",
                "--concurrency",
                "4",
                "--ops",
                "400",
            ],
        );
        let total = &lines["total"];
        assert_eq!(
            number(total, "count") + number(total, "errors"),
            400,
            "{workload}: {total}"
        );
        let errors = total["errors_by_type"].as_object().unwrap();
        // Read-modify-writes racing on a hot record fail their condition: that is the workload
        // working, not the server failing.
        let unexpected: Vec<_> = errors
            .keys()
            .filter(|kind| *kind != "ConditionalCheckFailedException")
            .collect();
        assert!(unexpected.is_empty(), "workload {workload}: {total}");
        if workload != "f" {
            assert!(errors.is_empty(), "workload {workload}: {total}");
        }
    }
}

#[test]
fn errors_are_reported_when_the_server_stops_halfway() {
    let mut server = Server::start();
    let proxy = CountingProxy::start(server.port);
    let child = bench_command(
        &proxy.endpoint(),
        "stopped",
        &[
            "--workload",
            "c",
            "--items",
            "200",
            "--concurrency",
            "4",
            "--duration",
            "4",
            "--json",
            "--timeout-ms",
            "1000",
        ],
    )
    .spawn()
    .unwrap();
    wait_for("reads to start", Duration::from_secs(60), || {
        proxy.count("GetItem") >= 200
    });
    server.kill();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let lines = json_lines(&output);
    let read = &lines["read"];
    assert!(number(read, "count") >= 200, "{read}");
    assert!(
        number(read, "errors") > 0,
        "no errors after the server died: {read}"
    );
    let kinds = read["errors_by_type"].as_object().unwrap();
    assert!(
        kinds.keys().all(|kind| kind.starts_with("Connect")
            || kind.contains("Closed")
            || kind.contains("Reset")),
        "{read}"
    );
    assert_eq!(number(&lines["total"], "errors"), number(read, "errors"));
}

#[test]
fn ctrl_c_still_prints_the_summary_and_the_plot() {
    let server = Server::start();
    let proxy = CountingProxy::start(server.port);
    let directory =
        std::env::temp_dir().join(format!("ferrodyn-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let plot = directory.join("run.svg");
    let pid = server.pid().to_string();
    let started = Instant::now();
    let mut child = bench_command(
        &proxy.endpoint(),
        "interrupted",
        &[
            "--workload",
            "b",
            "--items",
            "300",
            "--concurrency",
            "4",
            "--duration",
            "120",
            "--server-pid",
            &pid,
            "--plot",
        ],
    )
    .arg(&plot)
    .spawn()
    .unwrap();
    // Past the first one-second interval, so the plot has points.
    wait_for("reads to start", Duration::from_secs(60), || {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
            }
            panic!("ferrodyn bench ended before any read with {status}: {stderr}");
        }
        proxy.count("GetItem") >= 100
    });
    thread::sleep(Duration::from_millis(1500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "Ctrl-C did not stop the run"
    );
    assert!(output.status.success(), "{}", describe(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("interrupted"), "{text}");
    assert!(text.contains("\nread "), "{text}");
    assert!(text.contains("\nupdate "), "{text}");
    assert!(text.contains(&format!("server (pid {pid})")), "{text}");
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.contains("<svg"),
        "not an SVG: {}",
        &svg[..svg.len().min(200)]
    );
    assert!(svg.contains("throughput") && svg.contains("read") && svg.contains("update"));
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn ctrl_c_during_the_load_stops_it_with_status_130() {
    let server = Server::start();
    let proxy = CountingProxy::start(server.port);
    let child = bench_command(
        &proxy.endpoint(),
        "interrupted_load",
        &["--items", "5000000", "--concurrency", "4"],
    )
    .spawn()
    .unwrap();
    wait_for("the load to start", Duration::from_secs(60), || {
        proxy.count("BatchWriteItem") >= 20
    });
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("interrupted while loading"), "{stderr}");
    // Far fewer than the 200,000 batches of the whole load: the loaders stopped.
    assert!(proxy.count("BatchWriteItem") < 100_000);
    assert_eq!(
        proxy.count("GetItem"),
        0,
        "the measured phase must not start"
    );
}

#[test]
fn indexes_streams_and_table_tasks_are_measured() {
    let server = Server::start_with(&["--ttl-sweep-interval-ms", "100"]);
    let endpoint = format!("http://127.0.0.1:{}", server.port);

    // Every put writes an entry in each of the two indexes and a stream record.
    let lines = bench_json(
        &endpoint,
        "shaped",
        &[
            "--workload",
            "put",
            "--items",
            "300",
            "--fields",
            "2",
            "--gsis",
            "2",
            "--stream",
            "NEW_AND_OLD_IMAGES",
            "--concurrency",
            "4",
            "--ops",
            "300",
        ],
    );
    assert_eq!(number(&lines["total"], "errors"), 0, "{lines:?}");
    let table = describe_table(&endpoint, "shaped");
    let indexes = table["GlobalSecondaryIndexes"].as_array().unwrap();
    let keys: Vec<(&str, &str, u64)> = indexes
        .iter()
        .map(|index| {
            (
                index["IndexName"].as_str().unwrap(),
                index["KeySchema"][0]["AttributeName"].as_str().unwrap(),
                number(index, "ItemCount"),
            )
        })
        .collect();
    assert_eq!(keys, [("gsi0", "field0", 300), ("gsi1", "field1", 300)]);
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );

    // A consumer reads each loaded record's INSERT once, in pages of at most 1000.
    let lines = bench_json(
        &endpoint,
        "streamed",
        &[
            "--workload",
            "stream",
            "--items",
            "2345",
            "--duration",
            "60",
        ],
    );
    let total = &lines["total"];
    assert_eq!(number(total, "stream_records"), 2345, "{total}");
    assert_eq!(number(total, "errors"), 0, "{total}");
    // Three full or partial pages, then the empty one that says the reader caught up.
    assert_eq!(number(&lines["get-records"], "count"), 4, "{lines:?}");

    // An index added under a read load: the run ends once it is ACTIVE, with every record in it.
    let lines = bench_json(
        &endpoint,
        "backfilled",
        &[
            "--workload",
            "get",
            "--items",
            "3000",
            "--concurrency",
            "2",
            "--duration",
            "60",
            "--add-gsi-after",
            "0.3",
        ],
    );
    let task = &lines["task"];
    assert_eq!(task["task"], "add-gsi");
    assert_eq!(number(task, "items"), 3000, "{task}");
    assert!(task["done_s"].as_f64().unwrap() < 60.0, "{task}");
    assert!(task["items_per_sec"].as_f64().unwrap() > 0.0, "{task}");
    assert!(number(task, "p99_before_us") > 0, "{task}");
    assert!(lines["total"]["seconds"].as_f64().unwrap() < 60.0);
    let table = describe_table(&endpoint, "backfilled");
    let added = &table["GlobalSecondaryIndexes"][0];
    assert_eq!(added["IndexName"], "added");
    assert_eq!(added["IndexStatus"], "ACTIVE");
    assert_eq!(number(added, "ItemCount"), 3000);

    // Time to live on an idle server (no clients): every expired record is swept, no other.
    let lines = bench_json(
        &endpoint,
        "expiring",
        &[
            "--items",
            "20",
            "--expired-items",
            "1500",
            "--concurrency",
            "0",
            "--duration",
            "60",
            "--enable-ttl-after",
            "0",
        ],
    );
    let task = &lines["task"];
    assert_eq!(task["task"], "enable-ttl");
    assert_eq!(number(task, "items"), 1500, "{task}");
    assert!(task["done_s"].as_f64().unwrap() < 60.0, "{task}");
    assert!(
        task["enabled_s"].as_f64().unwrap() <= task["done_s"].as_f64().unwrap(),
        "{task}"
    );
    assert_eq!(number(&lines["load"], "items"), 1520);
    assert_eq!(count_items(&endpoint, "expiring"), 20);
}

/// `ferrodyn bench-baseline`, the canned server throughput is quoted against, carries every
/// workload the single-node targets name (the load, GetItem, PutItem, and GetItem with
/// UpdateItem) without an error: a bench run against it measures the client and the HTTP stack.
#[test]
fn the_canned_baseline_serves_the_bench_workloads() {
    let port = free_port();
    let child = Command::new(ferrodyn())
        .args(["bench-baseline", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .unwrap();
    let _server = Server { child, port };
    wait_for("the baseline to listen", Duration::from_secs(30), || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let proxy = CountingProxy::start(port);
    let endpoint = proxy.endpoint();
    for (workload, operation) in [("get", "GetItem"), ("put", "PutItem"), ("a", "UpdateItem")] {
        let before = proxy.count(operation);
        let lines = bench_json(
            &endpoint,
            "canned",
            &[
                "--workload",
                workload,
                "--items",
                "300",
                "--concurrency",
                "4",
                "--ops",
                "400",
            ],
        );
        let total = &lines["total"];
        assert_eq!(number(total, "errors"), 0, "{workload}: {total}");
        assert_eq!(number(total, "count"), 400, "{workload}: {total}");
        assert!(
            proxy.count(operation) > before,
            "{workload}: no {operation} seen"
        );
        assert_eq!(
            number(&lines["load"], "items"),
            300,
            "{workload}: {lines:?}"
        );
    }
}
