//! Starting a real `ferrodyn` process for a test, on a port of its own, and stopping it.

#![allow(dead_code)] // each test file uses a different part

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running server, killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://addr`.
    pub endpoint: String,
    log: PathBuf,
}

impl Server {
    /// A server with everything in memory.
    pub fn in_memory(log_dir: &Path) -> Server {
        Server::start(&["--in-memory"], log_dir)
    }

    /// A server with its data in `dir`.
    pub fn on_disk(dir: &Path, log_dir: &Path) -> Server {
        Server::start(
            &["--data-dir", dir.to_str().expect("temp dirs are UTF-8")],
            log_dir,
        )
    }

    /// Starts `ferrodyn serve` with `args` on a free port and waits until `/health` answers.
    pub fn start(args: &[&str], log_dir: &Path) -> Server {
        Server::start_wrapped(&[], args, log_dir)
    }

    /// As [`Server::start`], through `wrapper`: a program and its arguments that run the rest of
    /// the command line in place of themselves (`unshare ... sh -c '...; exec "$@"' ...`), so
    /// that the process started is the server.
    pub fn start_wrapped(wrapper: &[&str], args: &[&str], log_dir: &Path) -> Server {
        let addr = free_port();
        let log = log_dir.join(format!("ferrodyn-{}.log", addr.port()));
        let log_file = std::fs::File::create(&log).expect("log file can be created");
        let binary = env!("CARGO_BIN_EXE_ferrodyn");
        let mut command = match wrapper.split_first() {
            None => Command::new(binary),
            Some((program, rest)) => {
                let mut command = Command::new(program);
                command.args(rest).arg(binary);
                command
            }
        };
        let child = command
            .arg("serve")
            .arg("--listen")
            .arg(addr.to_string())
            .args(args)
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("the ferrodyn binary starts");
        let mut server = Server {
            child: Some(child),
            addr,
            endpoint: format!("http://{addr}"),
            log,
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("ferrodyn exited early with {status}: {}", self.log_text());
            }
            if let Ok((200, _)) = http(self.addr, "GET", "/health", &[], b"") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("ferrodyn did not become ready: {}", self.log_text());
    }

    /// What the server logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server is running").id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// Sends `signal` (e.g. "TERM", "KILL") and waits for the process to exit.
    pub fn stop_with(&mut self, signal: &str) -> ExitStatus {
        let mut child = self.child.take().expect("server is running");
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{signal} failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("wait works") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "ferrodyn did not exit after SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback address with a port nothing listens on right now.
pub fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("an ephemeral port can be bound");
    listener
        .local_addr()
        .expect("bound listeners have an address")
}

/// One HTTP/1.1 request on a fresh connection; returns the status and the body.
pub fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text_end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no end of headers"))?;
    let head = String::from_utf8_lossy(&response[..text_end]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no status"))?;
    Ok((status, response[text_end + 4..].to_vec()))
}

/// A DynamoDB call over raw HTTP with a well-formed (unverified) signature.
pub fn dynamodb(addr: SocketAddr, operation: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    signed_post(addr, &format!("DynamoDB_20120810.{operation}"), body)
}

/// The operations of DynamoDB Streams (a different target prefix on the same endpoint).
const STREAMS_OPERATIONS: [&str; 4] = [
    "ListStreams",
    "DescribeStream",
    "GetShardIterator",
    "GetRecords",
];

/// A DynamoDB or DynamoDB Streams call with a JSON body: the answer's JSON, or `"status: body"`
/// for an error answer.
pub fn call(
    addr: SocketAddr,
    operation: &str,
    body: &serde_json::Value,
) -> Result<serde_json::Value, String> {
    let prefix = if STREAMS_OPERATIONS.contains(&operation) {
        "DynamoDBStreams_20120810"
    } else {
        "DynamoDB_20120810"
    };
    let (status, answer) = signed_post(
        addr,
        &format!("{prefix}.{operation}"),
        body.to_string().as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_slice(&answer).map_err(|e| e.to_string())?;
    if status == 200 {
        Ok(value)
    } else {
        Err(format!("{status}: {value}"))
    }
}

/// A POST of `body` with `X-Amz-Target: target` and a well-formed (unverified) signature.
fn signed_post(addr: SocketAddr, target: &str, body: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    http(
        addr,
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", target),
            ("X-Amz-Date", "20261122T060000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/dynamodb/aws4_request, \
                 SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0123456789abcdef",
            ),
        ],
        body,
    )
}
