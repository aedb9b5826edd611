//! `ferrodyn cluster status`: what a node knows of its cluster, fetched from its admin path and
//! shown as a table (or passed through as JSON).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

/// The admin path serving the cluster's status as JSON.
pub const STATUS_PATH: &str = "/cluster/status";

/// The admin path that starts decommissioning a member (`POST {"node": "<id>"}`).
pub const DECOMMISSION_PATH: &str = "/cluster/decommission";

/// Fetches the status from the node at `endpoint` (`http://host:port`).
pub fn fetch(endpoint: &str) -> anyhow::Result<Value> {
    admin(endpoint, "GET", STATUS_PATH, "")
}

/// Asks the node at `endpoint` to decommission member `node`.
pub fn decommission(endpoint: &str, node: &str) -> anyhow::Result<Value> {
    let body = serde_json::json!({ "node": node }).to_string();
    admin(endpoint, "POST", DECOMMISSION_PATH, &body)
}

/// One request to an admin path; the JSON answer of a 200.
fn admin(endpoint: &str, method: &str, path: &str, body: &str) -> anyhow::Result<Value> {
    let authority = endpoint
        .strip_prefix("http://")
        .with_context(|| format!("the endpoint must be http://host:port, not {endpoint:?}"))?
        .trim_end_matches('/');
    let mut stream =
        TcpStream::connect(authority).with_context(|| format!("cannot connect to {authority}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .context("reading the answer")?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("the answer is not HTTP")?;
    if !head.starts_with("HTTP/1.1 200") {
        let why = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_default();
        bail!(
            "{authority} answered {} {why}",
            head.lines().next().unwrap_or_default()
        );
    }
    serde_json::from_str(body).context("the status is not JSON")
}

/// The status as a person reads it.
pub fn render(status: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
    let mut out = String::new();
    if status["single_node"].as_bool() == Some(true) {
        out.push_str("a single node (started without --peer-listen): a cluster of one\n");
        return out;
    }
    let leader = text(&status["metadata_leader"]);
    out.push_str(&format!(
        "node {}   metadata leader {}   epoch {}\n\nmembers:\n",
        text(&status["node"]),
        leader,
        status["epoch"]
    ));
    out.push_str(&format!(
        "  {:<16}  {:<21}  {:<21}  {:<7}  {:<13}  {:<8}  {}\n",
        "node", "peer address", "api address", "status", "metadata role", "liveness", "last heard"
    ));
    for member in status["members"].as_array().into_iter().flatten() {
        let heartbeat = match member["last_seen_ms"].as_u64() {
            Some(ms) => format!("{:.1} s ago", ms as f64 / 1000.0),
            None if member["node"] == status["node"] => "(this node)".to_owned(),
            None => "never".to_owned(),
        };
        out.push_str(&format!(
            "  {:<16}  {:<21}  {:<21}  {:<7}  {:<13}  {:<8}  {heartbeat}\n",
            text(&member["node"]),
            text(&member["peer_address"]),
            text(&member["api_address"]),
            text(&member["status"]),
            text(&member["role"]),
            text(&member["liveness"]),
        ));
    }
    for table in status["tables"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "\ntable {} (id {}):\n",
            text(&table["name"]),
            table["id"]
        ));
        for partition in table["partitions"].as_array().into_iter().flatten() {
            let replicas: Vec<String> = partition["replicas"]
                .as_array()
                .into_iter()
                .flatten()
                .map(text)
                .collect();
            let leader = match &partition["leader"] {
                Value::String(leader) => format!("  leader {leader}"),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {}..{}  {}{leader}\n",
                text(&partition["first_hash"]),
                text(&partition["last_hash"]),
                replicas.join(" ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_lists_members_and_partitions() {
        let status = serde_json::json!({
            "node": "00000000000000aa",
            "metadata_leader": "00000000000000bb",
            "epoch": 4,
            "members": [
                {"node": "00000000000000aa", "peer_address": "127.0.0.1:7000",
                 "api_address": "127.0.0.1:8000", "status": "active", "role": "voter"},
                {"node": "00000000000000bb", "peer_address": "127.0.0.2:7000",
                 "api_address": "127.0.0.2:8000", "status": "leaving", "role": "learner",
                 "last_seen_ms": 1500, "liveness": "suspect"}
            ],
            "tables": [{"name": "orders", "id": 1, "partitions": [
                {"first_hash": "0000000000000000", "last_hash": "ffffffffffffffff",
                 "replicas": ["00000000000000aa", "00000000000000bb"],
                 "leader": "00000000000000bb", "applied_here": 7}
            ]}]
        });
        let text = render(&status);
        assert!(
            text.contains("metadata leader 00000000000000bb   epoch 4"),
            "{text}"
        );
        assert!(text.contains("127.0.0.2:8000"), "{text}");
        assert!(text.contains("leaving"), "{text}");
        assert!(text.contains("1.5 s ago"), "{text}");
        assert!(text.contains("suspect"), "{text}");
        assert!(text.contains("(this node)"), "{text}");
        assert!(text.contains("table orders (id 1)"), "{text}");
        assert!(
            text.contains(
                "0000000000000000..ffffffffffffffff  00000000000000aa 00000000000000bb  \
                 leader 00000000000000bb"
            ),
            "{text}"
        );
        let single = render(&serde_json::json!({"single_node": true}));
        assert!(single.contains("a cluster of one"), "{single}");
    }
}
