//! Three `ferrodyn serve` processes with their data on disk form a cluster, and a table's writes
//! are replicated by its group:
//! - writers spread over all three nodes keep writing while the table's leader is killed with
//!   SIGKILL; writes go on through the new leader, every acknowledged write is then readable
//!   with ConsistentRead through every surviving node, and the killed node, restarted, catches
//!   up with the group;
//! - a leader paused with SIGSTOP is replaced, and once resumed it does not answer a
//!   ConsistentRead with the value it held before (it confirms its leadership first);
//! - a fourth node joins under a write load over several tables and takes its share of their
//!   replicas, then is decommissioned (`ferrodyn cluster decommission`) and leaves; no client
//!   sees an error beyond what an SDK retries, and no acknowledged write is lost;
//! - in a cluster of four, a replica's node that stays down longer than the failure timeout has
//!   its replica rebuilt on the fourth node, and every acknowledged write is still there;
//! - many CreateTable calls at once, through every node, all complete and every table's group
//!   elects a leader;
//! - idle groups go quiet on every replica, a write wakes its group and is read back, a
//!   restarted node does not take over the quiet groups it follows, and when the node leading
//!   quiet groups is killed, the quiet followers notice its silence and elect new leaders.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::call;

const TABLE: &str = "replicated";

/// The tests of this file run one at a time: each runs three or four servers, and together on a
/// small machine they would time each other out (and race for the ports they pick).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn status(addr: SocketAddr) -> Value {
    let (code, body) = common::http(addr, "GET", "/cluster/status", &[], b"").unwrap();
    assert_eq!(code, 200);
    serde_json::from_slice(&body).unwrap()
}

fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A cluster of nodes on disk under `dir`.
struct Cluster {
    dir: PathBuf,
    peers: Vec<SocketAddr>,
    nodes: Vec<common::Server>,
    /// Flags every node is started with.
    extra: Vec<String>,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        Cluster::start_with(dir, 3, &[])
    }

    fn start_with(dir: &Path, size: usize, extra: &[&str]) -> Cluster {
        let peers: Vec<SocketAddr> = (0..size).map(|_| common::free_port()).collect();
        let mut cluster = Cluster {
            dir: dir.to_owned(),
            peers,
            nodes: Vec::new(),
            extra: extra.iter().map(|s| (*s).to_owned()).collect(),
        };
        for i in 0..size {
            let node = cluster.start_node(i);
            cluster.nodes.push(node);
        }
        for node in &cluster.nodes {
            let addr = node.addr;
            wait_for("every member", || {
                status(addr)["members"].as_array().map_or(0, Vec::len) == size
            });
        }
        cluster
    }

    fn start_node(&self, i: usize) -> common::Server {
        let data = self.dir.join(format!("node{i}"));
        let data = data.to_str().unwrap().to_owned();
        let peer = self.peers[i].to_string();
        let join = self.peers[0].to_string();
        let mut args = vec!["--data-dir", &data, "--peer-listen", &peer];
        if i > 0 {
            args.extend(["--join", &join]);
        }
        args.extend(self.extra.iter().map(String::as_str));
        common::Server::start(&args, &self.dir)
    }

    /// Each node's id, in node order.
    fn ids(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| status(n.addr)["node"].as_str().unwrap().to_owned())
            .collect()
    }

    fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    /// The index of the node leading the table's group, as the node `via` sees it (or, if it
    /// holds no replica, another node that does).
    fn table_leader(&self, via: usize) -> Option<usize> {
        let ids = self.ids();
        let leader_seen_by = |i: usize| -> Option<String> {
            let view = status(self.nodes[i].addr);
            let leader = view["tables"]
                .as_array()?
                .iter()
                .find(|t| t["name"] == TABLE)?["partitions"][0]["leader"]
                .as_str()?
                .to_owned();
            Some(leader)
        };
        let leader =
            leader_seen_by(via).or_else(|| (0..self.nodes.len()).find_map(leader_seen_by))?;
        ids.iter().position(|id| *id == leader)
    }
}

/// The node's `GET /metrics` exposition.
fn metrics(addr: SocketAddr) -> String {
    let (status, body) = common::http(addr, "GET", "/metrics", &[], b"").unwrap();
    assert_eq!(status, 200);
    String::from_utf8(body).unwrap()
}

/// The value of the sample `name` (labels included, as exposed) in `exposition`.
fn sample(exposition: &str, name: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn create_table(addr: SocketAddr) {
    create_named(addr, TABLE).unwrap();
}

/// Creates table `name` (string key `pk`, on demand) through the node at `addr`.
fn create_named(addr: SocketAddr, name: &str) -> Result<Value, String> {
    call(
        addr,
        "CreateTable",
        &json!({
            "TableName": name,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    )
}

fn put(addr: SocketAddr, key: &str, value: &str) -> Result<Value, String> {
    call(
        addr,
        "PutItem",
        &json!({"TableName": TABLE, "Item": {"pk": {"S": key}, "v": {"S": value}}}),
    )
}

fn consistent_get(addr: SocketAddr, key: &str) -> Result<Option<String>, String> {
    let answer = call(
        addr,
        "GetItem",
        &json!({"TableName": TABLE, "Key": {"pk": {"S": key}}, "ConsistentRead": true}),
    )?;
    Ok(answer["Item"]["v"]["S"].as_str().map(str::to_owned))
}

#[test]
fn a_killed_leader_loses_no_acknowledged_write_and_catches_up_on_restart() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path());
    create_table(cluster.nodes[1].addr);
    wait_for("a leader for the table", || {
        cluster.table_leader(0).is_some()
    });
    // Each member's /metrics shows the cluster: three active members, a replica of the table
    // on each, one of them its leader.
    wait_for(
        "every member to report the table's replicas in /metrics",
        || {
            let scrapes: Vec<String> = cluster.addrs().into_iter().map(metrics).collect();
            scrapes.iter().all(|m| {
                sample(m, "ferrodyn_cluster_members{status=\"active\"}") == Some(3.0)
                    && sample(m, "ferrodyn_cluster_replicas") == Some(1.0)
            }) && scrapes
                .iter()
                .filter_map(|m| sample(m, "ferrodyn_cluster_replicas_leading"))
                .sum::<f64>()
                == 1.0
        },
    );

    let leader = cluster.table_leader(0).expect("the table has a leader");
    let (keys, survivors) = writes_across_a_kill(&mut cluster, leader);

    // The killed node comes back and catches up with the group's log.
    cluster.nodes[leader] = cluster.start_node(leader);
    let table_view = |addr: SocketAddr| -> Value {
        status(addr)["tables"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == TABLE).cloned())
            .map_or(Value::Null, |t| t["partitions"][0].clone())
    };
    let survivor = cluster.nodes[survivors[0]].addr;
    let target = table_view(survivor)["applied_here"].as_u64().unwrap();
    let restarted = cluster.nodes[leader].addr;
    wait_for("the restarted node to catch up", || {
        table_view(restarted)["applied_here"]
            .as_u64()
            .is_some_and(|applied| applied >= target)
    });
    // And serves the table again: through it, every write is there.
    let answer = call(
        restarted,
        "Scan",
        &json!({"TableName": TABLE, "Select": "COUNT", "ConsistentRead": true}),
    )
    .unwrap();
    assert!(answer["Count"].as_u64().unwrap() >= keys.len() as u64);
}

#[test]
fn a_paused_leader_does_not_answer_a_consistent_read_with_a_stale_value() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path());
    create_table(cluster.nodes[0].addr);
    wait_for("a leader for the table", || {
        cluster.table_leader(0).is_some()
    });
    let addrs = cluster.addrs();
    wait_for("the first write", || put(addrs[0], "k", "old").is_ok());

    let leader = cluster.table_leader(0).unwrap();
    let pid = cluster.nodes[leader].pid().to_string();
    let signal = |name: &str| {
        let sent = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.clone()])
            .status()
            .unwrap();
        assert!(sent.success());
    };
    signal("STOP");
    let other = addrs[(leader + 1) % 3];
    // The others elect a new leader; the write goes through it.
    wait_for("a write without the paused leader", || {
        put(other, "k", "new").is_ok()
    });
    signal("CONT");
    // At once, through the node that led: it must not answer from its old state.
    let seen = consistent_get(addrs[leader], "k");
    assert_eq!(seen, Ok(Some("new".to_owned())), "stale or failed read");
    for addr in addrs {
        assert_eq!(consistent_get(addr, "k").unwrap().as_deref(), Some("new"));
    }
}

#[test]
fn a_fourth_node_takes_its_share_under_load_and_leaves_again() {
    let _serial = one_at_a_time();
    const TABLES: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path());
    let table = |t: usize| format!("{TABLE}-{t}");
    for t in 0..TABLES {
        create_named(cluster.nodes[t % 3].addr, &table(t)).unwrap();
    }

    let acknowledged = Arc::new(Mutex::new(Vec::<(usize, String)>::new()));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let endpoints = Arc::new(Mutex::new(cluster.addrs()));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (acknowledged, failures, stop, endpoints) = (
                acknowledged.clone(),
                failures.clone(),
                stop.clone(),
                endpoints.clone(),
            );
            std::thread::spawn(move || {
                let mut n = 0usize;
                while !stop.load(Ordering::Acquire) {
                    let t = n % TABLES;
                    let key = format!("w{w}-{n}");
                    let body = json!({"TableName": table(t), "Item": {"pk": {"S": &key}}});
                    // As an SDK does: a throttle or a 5xx is tried again, a few times.
                    let mut last = String::new();
                    let mut done = false;
                    for attempt in 0..5 {
                        let addrs = endpoints.lock().unwrap().clone();
                        match call(addrs[(w + n + attempt) % addrs.len()], "PutItem", &body) {
                            Ok(_) => {
                                done = true;
                                break;
                            }
                            Err(error) => last = error,
                        }
                        std::thread::sleep(Duration::from_millis(50 << attempt));
                    }
                    if done {
                        acknowledged.lock().unwrap().push((t, key));
                    } else {
                        failures.lock().unwrap().push(last);
                    }
                    n += 1;
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_secs(1));
    // A fourth node joins; its replicas appear and catch up.
    let peer = common::free_port();
    let data = dir.path().join("node3");
    let (data, peer_text, join) = (
        data.to_str().unwrap().to_owned(),
        peer.to_string(),
        cluster.peers[0].to_string(),
    );
    let fourth = common::Server::start(
        &[
            "--data-dir",
            &data,
            "--peer-listen",
            &peer_text,
            "--join",
            &join,
        ],
        dir.path(),
    );
    endpoints.lock().unwrap().push(fourth.addr);
    let fourth_id = status(fourth.addr)["node"].as_str().unwrap().to_owned();
    let holds = |addr: SocketAddr| -> usize {
        status(addr)["tables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["partitions"][0]["leader"].is_string())
            .count()
    };
    wait_for("the fourth node to hold replicas with a leader", || {
        holds(fourth.addr) > 0
    });
    std::thread::sleep(Duration::from_secs(2));

    // It is decommissioned: its replicas move back, and it leaves.
    endpoints.lock().unwrap().pop();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodyn"))
        .args(["cluster", "decommission", &fourth_id, "--endpoint"])
        .arg(&cluster.nodes[1].endpoint)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let first = cluster.nodes[0].addr;
    wait_for("the fourth node to leave", || {
        !status(first)["members"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| m["node"] == fourth_id.as_str())
    });
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Release);
    for writer in writers {
        writer.join().unwrap();
    }

    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "writes failed: {failures:?}");
    let keys = acknowledged.lock().unwrap().clone();
    assert!(keys.len() > 100, "only {} writes acknowledged", keys.len());
    let addrs = cluster.addrs();
    for (n, (t, key)) in keys.iter().enumerate() {
        let answer = call(
            addrs[n % 3],
            "GetItem",
            &json!({"TableName": table(*t), "Key": {"pk": {"S": key}}, "ConsistentRead": true}),
        )
        .unwrap();
        assert!(
            answer["Item"].is_object(),
            "acknowledged write {key} is missing"
        );
    }
    // Every table is held by the three original nodes again.
    for node in &cluster.nodes {
        let addr = node.addr;
        wait_for("every table held again", || holds(addr) == TABLES);
    }
    drop(fourth);
    cluster.nodes.truncate(3);
}

#[test]
fn a_node_down_past_the_failure_timeout_has_its_replica_rebuilt_elsewhere() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start_with(dir.path(), 4, &["--failure-timeout-secs", "3"]);
    create_table(cluster.nodes[0].addr);
    wait_for("a leader for the table", || {
        cluster.table_leader(0).is_some()
    });
    let addrs = cluster.addrs();
    for n in 0..50 {
        let key = format!("k{n}");
        wait_for("a write", || put(addrs[n % 4], &key, &key).is_ok());
    }
    let ids = cluster.ids();
    let view = status(addrs[0]);
    let replicas: Vec<String> = view["tables"][0]["partitions"][0]["replicas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    let metadata_leader = view["metadata_leader"].as_str().unwrap().to_owned();
    // A replica's node, not the metadata leader (whose loss would only add an election).
    let victim = (0..4)
        .find(|&i| replicas.contains(&ids[i]) && ids[i] != metadata_leader)
        .unwrap();
    let spare = (0..4).find(|&i| !replicas.contains(&ids[i])).unwrap();
    cluster.nodes[victim].stop_with("KILL");

    let spare_addr = addrs[spare];
    wait_for("the replica to be rebuilt on the spare node", || {
        let view = status(spare_addr);
        let partition = &view["tables"][0]["partitions"][0];
        let moved = partition["replicas"]
            .as_array()
            .is_some_and(|r| r.iter().any(|id| *id == ids[spare].as_str()));
        moved && partition["leader"].is_string() && partition["applied_here"].as_u64() > Some(0)
    });
    let down = status(spare_addr)["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["node"] == ids[victim].as_str())
        .cloned()
        .unwrap();
    assert_eq!(down["status"], "leaving", "{down:#}");
    for n in 0..50 {
        let key = format!("k{n}");
        let via = addrs[(0..4).filter(|&i| i != victim).nth(n % 3).unwrap()];
        assert_eq!(
            consistent_get(via, &key).unwrap().as_deref(),
            Some(key.as_str())
        );
    }
    assert!(put(spare_addr, "after", "after").is_ok());
}

#[test]
fn many_tables_created_at_once_through_every_node_all_come_up() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path());
    let addrs = cluster.addrs();
    // Several callers per node: catalog changes queue on each node's change lock while the
    // first waits for the metadata group, which must not starve the runtime that replicates it.
    let callers: Vec<_> = (0..12)
        .map(|caller| {
            let addr = addrs[caller % addrs.len()];
            std::thread::spawn(move || {
                for n in 0..4 {
                    let name = format!("t{caller}-{n}");
                    let created = create_named(addr, &name);
                    assert!(created.is_ok(), "CreateTable {name}: {created:?}");
                }
            })
        })
        .collect();
    for caller in callers {
        caller.join().unwrap();
    }
    wait_for("a leader for every table", || {
        let view = status(addrs[0]);
        let tables = view["tables"].as_array().cloned().unwrap_or_default();
        tables.len() == 48
            && tables
                .iter()
                .all(|t| t["partitions"][0]["leader"].is_string())
    });
}

/// Each table's partition as node `addr` sees it, by table name.
fn partitions(addr: SocketAddr) -> Vec<(String, Value)> {
    status(addr)["tables"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["partitions"][0].clone(),
            )
        })
        .collect()
}

#[test]
fn idle_groups_go_quiet_wake_for_writes_and_fail_over_when_their_leader_dies() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path());
    let addrs = cluster.addrs();
    let names: Vec<String> = (0..6).map(|n| format!("quiet-{n}")).collect();
    let put_to = |addr: SocketAddr, table: &str, value: &str| {
        call(
            addr,
            "PutItem",
            &json!({"TableName": table, "Item": {"pk": {"S": "k"}, "v": {"S": value}}}),
        )
    };
    let get_from = |addr: SocketAddr, table: &str| {
        call(
            addr,
            "GetItem",
            &json!({"TableName": table, "Key": {"pk": {"S": "k"}}, "ConsistentRead": true}),
        )
        .map(|answer| answer["Item"]["v"]["S"].as_str().map(str::to_owned))
    };
    for name in &names {
        create_named(addrs[0], name).unwrap();
        wait_for("the first write", || put_to(addrs[1], name, "one").is_ok());
    }
    let all_quiet = |nodes: &[SocketAddr]| {
        nodes.iter().all(|addr| {
            let seen = partitions(*addr);
            seen.len() == names.len() && seen.iter().all(|(_, p)| p["quiet_here"] == true)
        })
    };
    wait_for("every replica of every group quiet", || all_quiet(&addrs));

    // A write wakes its group; the others stay quiet.
    put_to(addrs[2], &names[0], "two").unwrap();
    assert_eq!(
        get_from(addrs[0], &names[0]).unwrap().as_deref(),
        Some("two")
    );
    let quiet_others = partitions(addrs[1])
        .iter()
        .filter(|(name, p)| *name != names[0] && p["quiet_here"] == true)
        .count();
    assert_eq!(quiet_others, names.len() - 1, "a write woke other groups");
    wait_for("the written group quiet again", || all_quiet(&addrs));

    // A node stopped and started again does not take over the quiet groups it follows: its
    // replicas start quiet under the leader they followed (otherwise, hearing no heartbeat,
    // they would elect themselves at once).
    let ids = cluster.ids();
    let leaders = |addr: SocketAddr| -> Vec<(String, String)> {
        partitions(addr)
            .into_iter()
            .map(|(name, p)| (name, p["leader"].as_str().unwrap_or("").to_owned()))
            .collect()
    };
    let before = leaders(addrs[0]);
    let led_by = |i: usize| before.iter().filter(|(_, l)| *l == ids[i]).count();
    let restarted = (0..ids.len()).min_by_key(|i| led_by(*i)).unwrap();
    cluster.nodes[restarted].stop_with("TERM");
    cluster.nodes[restarted] = cluster.start_node(restarted);
    let addrs = cluster.addrs();
    wait_for("the restarted node's replicas", || {
        partitions(addrs[restarted]).len() == names.len()
    });
    // Longer than the restarted replicas would take to start an election.
    std::thread::sleep(Duration::from_secs(5));
    let watcher = addrs[(restarted + 1) % addrs.len()];
    let after = leaders(watcher);
    for ((name, leader), (_, now)) in before.iter().zip(&after) {
        if *leader != ids[restarted] {
            assert_eq!(leader, now, "{name}: a restart moved its leadership");
        }
    }

    // Kill the node that leads the most groups: nothing but its silence tells the quiet
    // followers, which must elect new leaders.
    wait_for("every replica quiet again", || all_quiet(&addrs));
    let mut led = vec![0; ids.len()];
    for (_, partition) in partitions(addrs[0]) {
        if let Some(i) = ids.iter().position(|id| partition["leader"] == id.as_str()) {
            led[i] += 1;
        }
    }
    let victim = (0..ids.len()).max_by_key(|i| led[*i]).unwrap();
    assert!(led[victim] > 0);
    cluster.nodes[victim].stop_with("KILL");
    let survivors: Vec<SocketAddr> = (0..addrs.len())
        .filter(|i| *i != victim)
        .map(|i| addrs[i])
        .collect();
    let killed_at = Instant::now();
    wait_for("a live leader for every group", || {
        partitions(survivors[0]).iter().all(|(_, p)| {
            p["leader"]
                .as_str()
                .is_some_and(|leader| leader != ids[victim])
        })
    });
    eprintln!(
        "every group had a live leader {:?} after the kill",
        killed_at.elapsed()
    );
    for name in &names {
        wait_for("a write after the failover", || {
            put_to(survivors[1], name, "three").is_ok()
        });
        assert_eq!(
            get_from(survivors[0], name).unwrap().as_deref(),
            Some("three")
        );
    }
}

/// Writers put items through every node in turn while node `victim` is killed with SIGKILL;
/// then every acknowledged write is read back with ConsistentRead through the survivors.
/// Returns the acknowledged keys and the survivors.
fn writes_across_a_kill(cluster: &mut Cluster, victim: usize) -> (Vec<String>, Vec<usize>) {
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let after_kill = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let addrs = cluster.addrs();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (acknowledged, stop, after_kill, killed) = (
                acknowledged.clone(),
                stop.clone(),
                after_kill.clone(),
                killed.clone(),
            );
            let addrs = addrs.clone();
            std::thread::spawn(move || {
                let mut n = 0usize;
                while !stop.load(Ordering::Acquire) {
                    let key = format!("w{w}-{n}");
                    // Each write goes to the next node in turn; a write to the killed node fails
                    // (connection refused) and is simply not acknowledged.
                    let addr = addrs[(w + n) % addrs.len()];
                    // `g` is for the tests whose table has a global index on it.
                    let item =
                        json!({"pk": {"S": key}, "v": {"S": key}, "g": {"S": format!("g-{key}")}});
                    if call(addr, "PutItem", &json!({"TableName": TABLE, "Item": item})).is_ok() {
                        acknowledged.lock().unwrap().push(key);
                        if killed.load(Ordering::Acquire) {
                            after_kill.fetch_add(1, Ordering::AcqRel);
                        }
                    }
                    n += 1;
                }
            })
        })
        .collect();

    std::thread::sleep(Duration::from_secs(2));
    cluster.nodes[victim].stop_with("KILL");
    killed.store(true, Ordering::Release);
    let survivors: Vec<usize> = (0..cluster.nodes.len()).filter(|&i| i != victim).collect();
    wait_for("writes acknowledged after the kill", || {
        after_kill.load(Ordering::Acquire) >= 50
    });
    stop.store(true, Ordering::Release);
    for writer in writers {
        writer.join().unwrap();
    }

    let keys = acknowledged.lock().unwrap().clone();
    assert!(keys.len() > 100, "only {} writes acknowledged", keys.len());
    for (n, key) in keys.iter().enumerate() {
        let via = cluster.nodes[survivors[n % survivors.len()]].addr;
        assert_eq!(
            consistent_get(via, key).unwrap().as_deref(),
            Some(key.as_str()),
            "acknowledged write {key} is missing"
        );
    }

    (keys, survivors)
}

#[test]
fn a_table_of_four_partitions_is_led_per_partition_and_survives_a_killed_node() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start_with(dir.path(), 3, &["--table-partitions", "4"]);
    let created = call(
        cluster.nodes[1].addr,
        "CreateTable",
        &json!({
            "TableName": TABLE,
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "g", "AttributeType": "S"}
            ],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"},
            "GlobalSecondaryIndexes": [{
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}
            }]
        }),
    )
    .unwrap();
    let stream = created["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids = cluster.ids();
    // Every partition gets a leader; the partitions' replica sets come from the ring.
    let leaders = |addr: SocketAddr| -> Vec<Option<usize>> {
        let view = status(addr);
        let partitions = view["tables"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["name"] == TABLE).cloned())
            .map_or_else(Vec::new, |t| {
                t["partitions"].as_array().cloned().unwrap_or_default()
            });
        partitions
            .iter()
            .map(|p| {
                let leader = p["leader"].as_str()?;
                ids.iter().position(|id| id == leader)
            })
            .collect()
    };
    wait_for("a leader for each of the four partitions", || {
        let seen = leaders(cluster.nodes[0].addr);
        seen.len() == 4 && seen.iter().all(Option::is_some)
    });
    // Kill the node that leads the most partitions.
    let seen = leaders(cluster.nodes[0].addr);
    let victim = (0..3)
        .max_by_key(|&i| seen.iter().filter(|l| **l == Some(i)).count())
        .unwrap();
    let (keys, survivors) = writes_across_a_kill(&mut cluster, victim);
    // A scan through a survivor reads every partition, each at its (new) leader.
    let via = cluster.nodes[survivors[0]].addr;
    let mut seen_keys = std::collections::BTreeSet::new();
    let mut start: Option<Value> = None;
    loop {
        let mut request = json!({"TableName": TABLE, "ConsistentRead": true, "Limit": 500});
        if let Some(start) = start.take() {
            request["ExclusiveStartKey"] = start;
        }
        let answer = call(via, "Scan", &request).unwrap();
        for item in answer["Items"].as_array().unwrap() {
            assert!(seen_keys.insert(item["pk"]["S"].as_str().unwrap().to_owned()));
        }
        match answer.get("LastEvaluatedKey") {
            Some(key) => start = Some(key.clone()),
            None => break,
        }
    }
    for key in &keys {
        assert!(
            seen_keys.contains(key),
            "the scan missed acknowledged write {key}"
        );
    }
    // The stream has a shard per partition, replicated with it: across the failover, each
    // acknowledged write (a new key) is recorded exactly once, and none is recorded twice.
    let description = call(via, "DescribeStream", &json!({"StreamArn": stream})).unwrap();
    let shards = description["StreamDescription"]["Shards"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(shards.len(), 4);
    let mut recorded = std::collections::BTreeMap::<String, usize>::new();
    for shard in &shards {
        let start = json!({
            "StreamArn": stream,
            "ShardId": shard["ShardId"],
            "ShardIteratorType": "TRIM_HORIZON"
        });
        let mut iterator = call(via, "GetShardIterator", &start).unwrap()["ShardIterator"].clone();
        loop {
            let page = call(via, "GetRecords", &json!({"ShardIterator": iterator})).unwrap();
            let records = page["Records"].as_array().unwrap();
            for record in records {
                let key = record["dynamodb"]["Keys"]["pk"]["S"].as_str().unwrap();
                *recorded.entry(key.to_owned()).or_default() += 1;
            }
            if records.is_empty() {
                break;
            }
            iterator = page["NextShardIterator"].clone();
        }
    }
    for key in &keys {
        assert_eq!(
            recorded.get(key),
            Some(&1),
            "write {key} is not recorded exactly once"
        );
    }
    assert!(
        recorded.values().all(|&n| n == 1),
        "a write was recorded twice"
    );
    // The global index, whose entries live in the partitions of `g`, catches up with the table
    // across the failover: an entry for every item, each once, none left over.
    let index_keys = || -> Vec<String> {
        let mut keys = Vec::new();
        let mut start: Option<Value> = None;
        loop {
            let mut request = json!({"TableName": TABLE, "IndexName": "by_g", "Limit": 500});
            if let Some(start) = start.take() {
                request["ExclusiveStartKey"] = start;
            }
            let Ok(answer) = call(via, "Scan", &request) else {
                return Vec::new();
            };
            for item in answer["Items"].as_array().unwrap() {
                let pk = item["pk"]["S"].as_str().unwrap();
                assert_eq!(item["g"]["S"].as_str(), Some(format!("g-{pk}").as_str()));
                keys.push(pk.to_owned());
            }
            match answer.get("LastEvaluatedKey") {
                Some(key) => start = Some(key.clone()),
                None => return keys,
            }
        }
    };
    let table_keys: Vec<String> = seen_keys.iter().cloned().collect();
    wait_for("the global index to hold exactly the table's items", || {
        let mut keys = index_keys();
        keys.sort();
        keys == table_keys
    });
}

#[test]
fn each_partition_of_a_table_of_four_fills_and_sweeps_its_own_expiry_index() {
    let _serial = one_at_a_time();
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start_with(
        dir.path(),
        3,
        &["--table-partitions", "4", "--ttl-sweep-interval-ms", "200"],
    );
    let addrs = cluster.addrs();
    create_table(addrs[0]);
    // Items from before time to live is on: the fill of each partition's expiry index finds
    // them. Half have expired an hour ago, half expire in an hour.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let item = |n: usize| {
        let expires = if n.is_multiple_of(2) {
            now - 3600
        } else {
            now + 3600
        };
        json!({"pk": {"S": format!("k{n}")}, "expires": {"N": expires.to_string()}})
    };
    let put_item = |n: usize| {
        let request = json!({"TableName": TABLE, "Item": item(n)});
        call(addrs[n % 3], "PutItem", &request).unwrap();
    };
    (0..100).for_each(put_item);
    let spec = json!({
        "TableName": TABLE,
        "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "expires"}
    });
    call(addrs[1], "UpdateTimeToLive", &spec).unwrap();
    // Items written while it is being turned on are indexed by the write path.
    (100..200).for_each(put_item);
    wait_for("time to live to be enabled on every partition", || {
        let answer = call(addrs[2], "DescribeTimeToLive", &json!({"TableName": TABLE})).unwrap();
        answer["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    });
    // Every partition's leader sweeps its own partition: the expired half goes, the rest stays.
    wait_for("the expired items to be deleted", || {
        let request = json!({"TableName": TABLE, "Select": "COUNT", "ConsistentRead": true});
        call(addrs[0], "Scan", &request).unwrap()["Count"] == 100
    });
    for n in 0..200 {
        let request = json!({
            "TableName": TABLE,
            "Key": {"pk": {"S": format!("k{n}")}},
            "ConsistentRead": true
        });
        let found = call(addrs[n % 3], "GetItem", &request).unwrap();
        assert_eq!(found.get("Item").is_some(), n % 2 == 1, "item k{n}");
    }
}
