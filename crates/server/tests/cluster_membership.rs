//! Three `ferrodyn serve` processes on 127.0.0.1 form a cluster: the first, given only a peer
//! port, bootstraps it; the others join through it. Every node then reports the same three
//! members, all voters of the metadata group, and the same leader, and `ferrodyn cluster status`
//! shows them. A member killed with SIGKILL and restarted (on a new DynamoDB port) is the same
//! member: its id is kept in its data directory, it does not join again, and the cluster learns
//! its new address. A node started without a peer port reports a cluster of one.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

fn status(addr: SocketAddr) -> Value {
    let (code, body) = common::http(addr, "GET", "/cluster/status", &[], b"").unwrap();
    assert_eq!(code, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// Waits until `check` holds for the status of `addr`, or fails with the last status seen.
fn wait_for(addr: SocketAddr, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let current = status(addr);
        if check(&current) {
            return current;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never held at {addr}; last status: {current:#}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn member<'a>(status: &'a Value, node: &str) -> Option<&'a Value> {
    status["members"]
        .as_array()?
        .iter()
        .find(|m| m["node"] == node)
}

fn three_voters(status: &Value) -> bool {
    let members = status["members"].as_array().map_or(0, Vec::len);
    let voters = status["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "voter")
        .count();
    members == 3 && voters == 3 && status["metadata_leader"].is_string()
}

fn start(data: &Path, peer: SocketAddr, join: Option<SocketAddr>, logs: &Path) -> common::Server {
    let data = data.to_str().unwrap().to_owned();
    let peer = peer.to_string();
    let mut args = vec!["--data-dir", &data, "--peer-listen", &peer];
    let join = join.map(|j| j.to_string());
    if let Some(join) = &join {
        args.extend(["--join", join]);
    }
    common::Server::start(&args, logs)
}

#[test]
fn nodes_form_a_cluster_and_a_restarted_member_is_still_itself() {
    let dir = tempfile::tempdir().unwrap();
    let peers: Vec<SocketAddr> = (0..3).map(|_| common::free_port()).collect();
    let data: Vec<_> = (0..3)
        .map(|i| dir.path().join(format!("node{i}")))
        .collect();
    let mut nodes = vec![start(&data[0], peers[0], None, dir.path())];
    for i in 1..3 {
        nodes.push(start(&data[i], peers[i], Some(peers[0]), dir.path()));
    }

    let views: Vec<Value> = nodes
        .iter()
        .map(|n| wait_for(n.addr, "three voters", three_voters))
        .collect();
    let ids: Vec<String> = views
        .iter()
        .map(|v| v["node"].as_str().unwrap().to_owned())
        .collect();
    for view in &views {
        for (i, id) in ids.iter().enumerate() {
            let m = member(view, id).unwrap_or_else(|| panic!("{id} missing from {view:#}"));
            assert_eq!(m["peer_address"], peers[i].to_string());
            assert_eq!(m["status"], "active");
        }
    }
    let leader = wait_for(nodes[2].addr, "a leader", |v| {
        v["metadata_leader"].is_string()
    })["metadata_leader"]
        .clone();
    assert!(ids.iter().any(|id| leader == *id.as_str()));

    // The CLI shows the same.
    let output = Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["cluster", "status", "--endpoint", &nodes[1].endpoint])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    for id in &ids {
        assert!(text.contains(id.as_str()), "{id} not in:\n{text}");
    }
    assert_eq!(text.matches("voter").count(), 3, "{text}");

    // SIGKILL the third node, restart it on the same data and peer port (a new API port).
    nodes[2].stop_with("KILL");
    let restarted = start(&data[2], peers[2], Some(peers[0]), dir.path());
    let seen = wait_for(nodes[0].addr, "the restarted member's new address", |v| {
        member(v, &ids[2]).is_some_and(|m| m["api_address"] == restarted.addr.to_string())
    });
    assert!(three_voters(&seen), "{seen:#}");
    let own = wait_for(restarted.addr, "three voters", three_voters);
    assert_eq!(
        own["node"],
        ids[2].as_str(),
        "the restarted node changed identity"
    );
    nodes[2] = restarted;

    // Without a peer port, a node is a cluster of one.
    let single = common::Server::in_memory(dir.path());
    assert_eq!(status(single.addr)["single_node"], true);
}
