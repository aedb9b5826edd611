//! From an operation name and a JSON body to a status and a JSON body: the one place where API
//! and engine errors become HTTP answers.

use bytes::Bytes;
use ferrodyn_api::sigv4::{Authorization, SignedRequest};
use ferrodyn_api::{
    ApiError, ErrorKind, Operation, Request, TableArns, decode_request, write_response,
};
use ferrodyn_cluster::tables::{Route, TableGroups};
use ferrodyn_engine::outbox::{Courier, DELIVERY_TARGET};
use ferrodyn_engine::route::{Target, is_consistent_read, target_of};
use ferrodyn_engine::{Database, DatabaseConfig, PageProgress, PageShare};
use ferrodyn_storage::fs::{MemFileSystem, RealFileSystem};
use hyper::HeaderMap;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::Duration;

use crate::Config;
use crate::config::Durability;

/// Delivers the global index changes of a table of several partitions to the leader of their
/// partition (see `ferrodyn_engine::outbox`): the engine's shipper thread calls it, and waits.
#[derive(Debug)]
struct IndexCourier {
    tables: Arc<TableGroups>,
    database: Arc<Database>,
    runtime: tokio::runtime::Handle,
}

impl Courier for IndexCourier {
    fn deliver(&self, table: &str, partition: u32, message: Vec<u8>) -> Result<(), String> {
        self.runtime.block_on(async {
            match self.tables.route(table, partition) {
                Route::Here => self
                    .database
                    .receive_index_delivery(&message)
                    .await
                    .map_err(|error| error.message),
                Route::Peer(peer) => {
                    let answer = self
                        .tables
                        .forward(&peer, DELIVERY_TARGET, message, 1, None)
                        .await
                        .map_err(|error| error.message)?;
                    if answer.status == 200 {
                        Ok(())
                    } else {
                        Err(String::from_utf8_lossy(&answer.body).into_owned())
                    }
                }
                Route::Unknown => Err("no leader known for the partition".to_owned()),
            }
        })
    }
}

/// A response before HTTP framing.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
    /// How far a share of a page got (a Scan's or a BatchGetItem's, see [`PageShare`]).
    pub progress: Option<PageProgress>,
}

impl Reply {
    fn error(error: &ApiError) -> Reply {
        if error.http_status() >= 500 {
            tracing::warn!(kind = ?error.kind, message = %error.message, "request failed");
        }
        Reply {
            status: error.http_status(),
            body: error.to_json(),
            progress: None,
        }
    }
}

/// Executes DynamoDB operations against the node's database.
#[derive(Debug)]
pub struct Dispatcher {
    database: Arc<Database>,
    /// This node's table groups, once it is a cluster member: requests then run where their
    /// table's group is led.
    cluster: OnceLock<Arc<TableGroups>>,
    fs: Arc<dyn ferrodyn_storage::fs::FileSystem>,
    path: std::path::PathBuf,
}

impl Dispatcher {
    /// Opens the database described by `config`.
    pub fn open(config: &Config) -> anyhow::Result<Dispatcher> {
        let fs: Arc<dyn ferrodyn_storage::fs::FileSystem> = if config.in_memory {
            Arc::new(MemFileSystem::new())
        } else {
            std::fs::create_dir_all(&config.data_dir).map_err(|error| {
                anyhow::anyhow!(
                    "cannot create data directory {}: {error}",
                    config.data_dir.display()
                )
            })?;
            Arc::new(if config.mmap_reads {
                RealFileSystem::mapped()
            } else {
                RealFileSystem::new()
            })
        };
        let path = if config.in_memory {
            "/ferrodyn".into()
        } else {
            config.data_dir.clone()
        };
        let mut storage = ferrodyn_storage::Options::new(path.clone(), fs.clone());
        storage.memtable_bytes_max = config.memtable_mib << 20;
        // One frozen memtable awaiting its flush at most: the writers wait rather than let
        // memtables grow past twice the setting (a flush takes a fraction of the time a
        // memtable takes to fill, so this rarely stalls anyone).
        storage.immutable_memtables_max = 1;
        storage.block_cache_bytes = config.block_cache_mib << 20;
        storage.buffered_sync_interval = std::time::Duration::from_millis(config.sync_interval_ms);
        let mut database = DatabaseConfig::new(storage);
        database.durability = match config.durability {
            Durability::Sync => ferrodyn_storage::Durability::Sync,
            Durability::Buffered => ferrodyn_storage::Durability::Buffered,
        };
        database.region = config.region.clone();
        database.sweep = ferrodyn_engine::ttl::SweepSettings {
            interval: std::time::Duration::from_millis(config.ttl_sweep_interval_ms.max(1)),
            deletes_per_second: config.ttl_deletes_per_second.max(1),
            stream_retention: std::time::Duration::from_secs(config.stream_retention_hours * 3600),
        };
        database.endpoint_address = config.listen.to_string();
        database.replicated = config.peer_listen.is_some();
        if database.replicated {
            database.table_partitions = config.table_partitions;
        }
        let database = Database::open(database).map_err(|error| match error {
            ferrodyn_engine::OpenError::Storage(ferrodyn_storage::Error::Locked {
                dir, ..
            }) => anyhow::anyhow!(
                "data directory {} is already in use by another ferrodyn process (lock held); \
                 stop it or choose another --data-dir",
                dir.display()
            ),
            other => anyhow::anyhow!("cannot open the database: {other}"),
        })?;
        Ok(Dispatcher {
            database: Arc::new(database),
            cluster: OnceLock::new(),
            fs,
            path,
        })
    }

    /// The file system and directory of the data, and the database, for the cluster runtime
    /// that shares them.
    pub fn storage(
        &self,
    ) -> (
        Arc<dyn ferrodyn_storage::fs::FileSystem>,
        std::path::PathBuf,
        Arc<Database>,
    ) {
        (self.fs.clone(), self.path.clone(), self.database.clone())
    }

    /// From now on, runs each request where its table's replica group is led, and delivers
    /// index changes to the partitions other nodes lead.
    pub fn join_cluster(&self, tables: Arc<TableGroups>) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            self.database.set_courier(Arc::new(IndexCourier {
                tables: tables.clone(),
                database: self.database.clone(),
                runtime,
            }));
        }
        let _ = self.cluster.set(tables);
    }

    /// Tables in the catalog.
    pub fn table_count(&self) -> usize {
        self.database.table_count()
    }

    /// The storage engine's counters and sizes.
    pub fn storage_metrics(&self) -> ferrodyn_storage::Metrics {
        self.database.storage_metrics()
    }

    /// `GET /health`: whether this node can serve writes, and the body saying so. A node whose
    /// storage engine stopped accepting writes (a full disk, a failed sync) still serves reads
    /// but is not healthy: it needs a restart, which recovers every acknowledged write.
    pub fn health(&self) -> (bool, Vec<u8>) {
        let tables = self.database.table_count();
        match self.database.storage_failure() {
            None => (
                true,
                format!(r#"{{"status":"ok","tables":{tables}}}"#).into_bytes(),
            ),
            Some(reason) => {
                let body = serde_json::json!({
                    "status": "failing",
                    "tables": tables,
                    "reason": format!("the storage engine stopped accepting writes: {reason}"),
                });
                (false, body.to_string().into_bytes())
            }
        }
    }

    /// Runs one request: target, signature form, body, then the operation.
    /// Also answers the operation the target named, if it named one.
    pub async fn dispatch(
        &self,
        target: Option<&str>,
        query: Option<&str>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> (Option<Operation>, Reply) {
        let operation = match Operation::from_target(target) {
            Ok(operation) => operation,
            Err(error) => return (None, Reply::error(&error)),
        };
        let reply = match self.run(operation, query, headers, &body).await {
            Ok(reply) => reply,
            Err(error) => Reply::error(&error),
        };
        (Some(operation), reply)
    }

    async fn run(
        &self,
        operation: Operation,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Reply, ApiError> {
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Authorization::from_request(&SignedRequest {
            authorization: header("authorization"),
            x_amz_date: header("x-amz-date"),
            date: header("date"),
            query,
        })?;
        let (request, arns) = self.decode(operation, body)?;
        match self.cluster.get() {
            None => {
                let (body, progress) = self.execute_here(request, &arns, None).await?;
                Ok(Reply {
                    status: 200,
                    body,
                    progress,
                })
            }
            Some(tables) => {
                let call = Call {
                    operation,
                    body,
                    arns: &arns,
                    hops: 0,
                    share: None,
                };
                Ok(self.routed(tables, call, request).await)
            }
        }
    }

    /// Decodes and validates a request body, naming by name every table it named by ARN.
    fn decode(&self, operation: Operation, body: &[u8]) -> Result<(Request, TableArns), ApiError> {
        let mut request = decode_request(operation, body)?;
        let (region, account) = self.database.region_and_account();
        let arns = request.resolve_table_arns(region, account)?;
        Ok((request, arns))
    }

    async fn execute_here(
        &self,
        request: Request,
        arns: &TableArns,
        share: Option<PageShare>,
    ) -> Result<(Vec<u8>, Option<PageProgress>), ApiError> {
        let (mut response, progress) = self.database.execute_in(request, share).await?;
        arns.restore(&mut response);
        let mut out = Vec::with_capacity(256);
        write_response(&response, &mut out);
        Ok((out, progress))
    }

    /// Runs a request another node forwarded here (its signature was checked there), forwarded
    /// `hops` times so far; one share of a page, with `share` (see [`PageShare`]).
    pub async fn dispatch_forwarded(
        &self,
        target: &str,
        body: &[u8],
        hops: u32,
        share: Option<PageShare>,
    ) -> Reply {
        if target == DELIVERY_TARGET {
            return match self.database.receive_index_delivery(body).await {
                Ok(()) => Reply {
                    status: 200,
                    body: b"{}".to_vec(),
                    progress: None,
                },
                Err(error) => Reply::error(&error),
            };
        }
        let operation = match Operation::from_target(Some(target)) {
            Ok(operation) => operation,
            Err(error) => return Reply::error(&error),
        };
        let (request, arns) = match self.decode(operation, body) {
            Ok(decoded) => decoded,
            Err(error) => return Reply::error(&error),
        };
        let call = Call {
            operation,
            body,
            arns: &arns,
            hops,
            share,
        };
        match self.cluster.get() {
            Some(tables) => self.routed(tables, call, request).await,
            None => match self.execute_here(request, &arns, share).await {
                Ok((body, progress)) => Reply {
                    status: 200,
                    body,
                    progress,
                },
                Err(error) => Reply::error(&error),
            },
        }
    }

    /// Where `request` runs: the leader of its table's group (of the partition it is about, for
    /// a table of several), or each share of a batch at the leader of its keys' partitions.
    fn place(&self, tables: &TableGroups, call: &Call<'_>, request: &Request) -> Placement {
        match target_of(request) {
            Target::Anywhere => Placement::One(Route::Here),
            Target::Catalog => Placement::One(tables.route_catalog()),
            Target::Table(name) => {
                if let (Request::Scan(scan), None) = (request, call.share) {
                    let order = self.database.scan_partitions(&scan.input);
                    if !order.is_empty() {
                        return Placement::Scan(order);
                    }
                }
                let partition = call
                    .share
                    .map(|share| share.partition)
                    .or_else(|| self.database.partition_of(request))
                    .unwrap_or(0);
                Placement::One(tables.route(&name, partition))
            }
            Target::Tables(_) => {
                let mut shares: Vec<(Route, Share)> = Vec::new();
                for (name, partitions) in self.database.batch_partitions(request) {
                    for (entry, partition) in partitions.into_iter().enumerate() {
                        let route = tables.route(&name, partition);
                        let share = match shares.iter_mut().find(|(r, _)| *r == route) {
                            Some((_, share)) => share,
                            None => {
                                shares.push((route, Share::default()));
                                &mut shares.last_mut().expect("just pushed").1
                            }
                        };
                        share.entry(name.clone()).or_default().push(entry);
                    }
                }
                if shares.len() <= 1 {
                    let route = shares.pop().map_or(Route::Here, |(route, _)| route);
                    Placement::One(route)
                } else {
                    Placement::Batch(shares.into_iter().map(|(_, share)| share).collect())
                }
            }
        }
    }

    /// Runs `request` where its table's group is led: here, or forwarded to that node. While
    /// the group has no leader, or the leader changes under the request, it tries again with
    /// backoff and jitter until [`ROUTE_DEADLINE`]; nothing was written by an attempt that is
    /// tried again (the engine and the peers say so only when nothing was). A forwarded write
    /// whose answer is lost after it was sent is not tried again: it may have run, so the
    /// client gets InternalServerError and decides, as it would from DynamoDB.
    fn routed<'a>(
        &'a self,
        tables: &'a Arc<TableGroups>,
        call: Call<'a>,
        request: Request,
    ) -> std::pin::Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + ROUTE_DEADLINE;
            let mut backoff = Duration::from_millis(5);
            loop {
                let route = match self.place(tables, &call, &request) {
                    Placement::One(route) => route,
                    Placement::Batch(shares) => {
                        return self.split_batch(tables, &call, &shares).await;
                    }
                    Placement::Scan(order) => {
                        return self.scan_partitions(tables, &call, request, &order).await;
                    }
                };
                let why = match route {
                    Route::Here => match self.linearize(tables, &request, &call).await {
                        Err(why) => why,
                        Ok(()) => match self
                            .execute_here(request.clone(), call.arns, call.share)
                            .await
                        {
                            Ok((body, progress)) => {
                                return Reply {
                                    status: 200,
                                    body,
                                    progress,
                                };
                            }
                            Err(error) if error.kind == ErrorKind::ServiceUnavailable => {
                                error.message
                            }
                            Err(error) => return Reply::error(&error),
                        },
                    },
                    Route::Peer(peer) if call.hops < MAX_HOPS => {
                        let target = call.operation.target();
                        match tables
                            .forward(
                                &peer,
                                &target,
                                call.body.to_vec(),
                                call.hops + 1,
                                call.share,
                            )
                            .await
                        {
                            Ok(answer) if answer.status == 503 => {
                                String::from_utf8_lossy(&answer.body).into_owned()
                            }
                            Ok(answer) => {
                                return Reply {
                                    status: answer.status,
                                    body: answer.body,
                                    progress: answer.progress,
                                };
                            }
                            Err(error) if error.may_have_run && !call.operation.is_read_only() => {
                                // Sending it again could apply it twice: the client decides,
                                // as with any request whose outcome DynamoDB cannot tell.
                                tracing::warn!(%peer, reason = %error, "a forwarded write's outcome is unknown");
                                return Reply::error(&ApiError::internal(
                                    "Internal server error: the request's outcome is unknown (the \
                                     node running it stopped answering)",
                                ));
                            }
                            Err(error) => error.message,
                        }
                    }
                    Route::Peer(_) | Route::Unknown if call.hops > 0 => {
                        // Forwarded here already: let the first node retry, rather than
                        // waiting here while it waits for this node.
                        return Reply::error(&ApiError::service_unavailable(
                            "this node does not know the table's leader",
                        ));
                    }
                    Route::Peer(_) | Route::Unknown => "no leader known for the table".to_owned(),
                };
                let now = tokio::time::Instant::now();
                if now + backoff > deadline {
                    tracing::warn!(reason = %why, "a request found no leader before its deadline");
                    return Reply::error(&ApiError::service_unavailable(
                        "The service is unavailable: no replica could serve the request in time",
                    ));
                }
                tokio::time::sleep(jitter(backoff)).await;
                backoff = (backoff * 2).min(Duration::from_millis(200));
            }
        })
    }

    /// Before a strongly consistent read runs here: confirms this node still leads the groups of
    /// the partitions it reads.
    async fn linearize(
        &self,
        tables: &TableGroups,
        request: &Request,
        call: &Call<'_>,
    ) -> Result<(), String> {
        if !is_consistent_read(request) {
            return Ok(());
        }
        let reads: Vec<(String, u32)> = match target_of(request) {
            Target::Table(name) => {
                let partition = call
                    .share
                    .map(|share| share.partition)
                    .or_else(|| self.database.partition_of(request))
                    .unwrap_or(0);
                vec![(name, partition)]
            }
            Target::Tables(_) => {
                let mut reads = Vec::new();
                for (name, partitions) in self.database.batch_partitions(request) {
                    let mut partitions = partitions;
                    partitions.sort_unstable();
                    partitions.dedup();
                    reads.extend(partitions.into_iter().map(|p| (name.clone(), p)));
                }
                reads
            }
            Target::Anywhere | Target::Catalog => Vec::new(),
        };
        for (name, partition) in reads {
            tables.linearize(&name, partition).await?;
        }
        Ok(())
    }

    /// A Scan of a table of several partitions: the partitions in `order`, one at a time, each
    /// at its leader, each share going on with the page so far (see [`Database::scan_in`]),
    /// until the page is full (it then has a `LastEvaluatedKey`) or every partition is read.
    async fn scan_partitions(
        &self,
        tables: &Arc<TableGroups>,
        call: &Call<'_>,
        request: Request,
        order: &[u32],
    ) -> Reply {
        use serde_json::Value;
        let mut items: Vec<Value> = Vec::new();
        let mut share = PageShare::default();
        let mut last = None;
        for partition in order {
            share.partition = *partition;
            let part = Call {
                share: Some(share),
                ..*call
            };
            let reply = self.routed(tables, part, request.clone()).await;
            if reply.status != 200 {
                return reply;
            }
            let (Ok(Value::Object(mut answer)), Some(progress)) =
                (serde_json::from_slice::<Value>(&reply.body), reply.progress)
            else {
                return Reply::error(&ApiError::internal("a scan's share answered badly"));
            };
            if let Some(Value::Array(found)) = answer.remove("Items") {
                items.extend(found);
            }
            let number = |field: &str| answer.get(field).and_then(Value::as_u64).unwrap_or(0);
            share.count_before = number("Count");
            share.scanned_before = number("ScannedCount");
            share.bytes_before = progress.bytes_read;
            share.fetched_before = progress.fetched_bytes;
            let done = !progress.exhausted;
            last = Some(answer);
            if done {
                break;
            }
        }
        let Some(mut answer) = last else {
            return Reply::error(&ApiError::internal("a scan covered no partition"));
        };
        if !is_count(&request) {
            answer.insert("Items".to_owned(), Value::Array(items));
        }
        Reply {
            status: 200,
            body: serde_json::to_vec(&Value::Object(answer)).expect("JSON encodes"),
            progress: None,
        }
    }

    /// A batch whose keys are led by different nodes: each node's share runs there, and the
    /// answers are merged as DynamoDB would have answered the whole.
    async fn split_batch(
        &self,
        tables: &Arc<TableGroups>,
        call: &Call<'_>,
        shares: &[Share],
    ) -> Reply {
        let Ok(serde_json::Value::Object(whole)) =
            serde_json::from_slice::<serde_json::Value>(call.body)
        else {
            return Reply::error(&ApiError::internal("a validated batch did not parse again"));
        };
        let mut merged = serde_json::Value::Object(serde_json::Map::new());
        // A BatchGetItem's answer holds at most 16 MB of items in all: each share is told what
        // the earlier ones answered, and once the limit is reached the later shares' keys are
        // returned unprocessed without being read.
        let reads = call.operation == Operation::BatchGetItem;
        let mut answered = call.share.unwrap_or_default();
        let mut full = false;
        for share in shares {
            let mut part = whole.clone();
            if let Some(serde_json::Value::Object(items)) = part.get_mut("RequestItems") {
                items.retain(|key, value| {
                    let Some(entries) = share.get(call.arns.name_of(key)) else {
                        return false;
                    };
                    // BatchWriteItem: a list of writes; BatchGetItem: its `Keys`.
                    let list = match value {
                        serde_json::Value::Array(list) => Some(list),
                        serde_json::Value::Object(keys) => match keys.get_mut("Keys") {
                            Some(serde_json::Value::Array(list)) => Some(list),
                            _ => None,
                        },
                        _ => None,
                    };
                    if let Some(list) = list {
                        let taken = std::mem::take(list);
                        *list = taken
                            .into_iter()
                            .enumerate()
                            .filter(|(i, _)| entries.contains(i))
                            .map(|(_, entry)| entry)
                            .collect();
                    }
                    true
                });
            }
            if full {
                if let Some(keys) = part.remove("RequestItems") {
                    let unprocessed = serde_json::json!({ "UnprocessedKeys": keys });
                    merge_batch_answer(&mut merged, unprocessed);
                }
                continue;
            }
            let part_body = serde_json::to_vec(&part).expect("JSON encodes");
            let (request, part_arns) = match self.decode(call.operation, &part_body) {
                Ok(decoded) => decoded,
                Err(error) => return Reply::error(&error),
            };
            let part_call = Call {
                body: &part_body,
                arns: &part_arns,
                share: reads.then_some(answered),
                ..*call
            };
            let reply = self.routed(tables, part_call, request).await;
            if reply.status != 200 {
                return reply;
            }
            if let Some(progress) = reply.progress.filter(|_| reads) {
                answered.bytes_before = progress.bytes_read;
                full = !progress.exhausted;
            }
            let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&reply.body) else {
                return Reply::error(&ApiError::internal("a batch's share answered badly"));
            };
            merge_batch_answer(&mut merged, answer);
        }
        if let Some(serde_json::Value::Array(consumed)) = merged.get_mut("ConsumedCapacity") {
            *consumed = fold_capacity(std::mem::take(consumed));
        }
        Reply {
            status: 200,
            body: serde_json::to_vec(&merged).expect("JSON encodes"),
            progress: reads.then_some(PageProgress {
                bytes_read: answered.bytes_before,
                fetched_bytes: 0,
                exhausted: !full,
            }),
        }
    }

    /// Finishes queued writes and closes the database.
    ///
    /// (In a cluster the replica groups stop first, so no write is still being replicated.)
    pub fn close(&self) -> anyhow::Result<()> {
        self.database
            .close()
            .map_err(|error| anyhow::anyhow!("{error}"))
    }
}

/// How long a request may wait for its table's group to have a reachable leader.
const ROUTE_DEADLINE: Duration = Duration::from_secs(10);

/// How many times a request may be forwarded: a node that does not hold the table passes it to
/// one that does, which passes it to the leader.
const MAX_HOPS: u32 = 2;

/// One request as the routing sees it.
#[derive(Clone, Copy)]
struct Call<'a> {
    operation: Operation,
    /// Its JSON body.
    body: &'a [u8],
    /// The tables it named by ARN.
    arns: &'a TableArns,
    /// How many times it was forwarded so far.
    hops: u32,
    /// One share of a page (a Scan of a table of several partitions, a BatchGetItem).
    share: Option<PageShare>,
}

/// Where a request runs.
enum Placement {
    /// At one node.
    One(Route),
    /// A batch in shares, each at one node.
    Batch(Vec<Share>),
    /// A Scan, partition by partition in this order.
    Scan(Vec<u32>),
}

/// A share of a batch: per table (by name), the positions of its keys or writes in the request.
type Share = std::collections::BTreeMap<String, Vec<usize>>;

/// Whether `request` is a Scan that asks only for a count (its answer has no `Items`).
fn is_count(request: &Request) -> bool {
    matches!(request, Request::Scan(scan) if scan.input.select == Some(ferrodyn_api::wire::Select::Count))
}

/// `base` give or take half, so that retries of many clients spread out.
fn jitter(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let half = base / 2;
    half + Duration::from_nanos(u64::from(nanos) % (base.as_nanos() as u64 + 1))
}

/// Adds one share's answer of a BatchGetItem or BatchWriteItem to the whole: maps are merged
/// key by key, lists appended, numbers (capacity units) added.
fn merge_batch_answer(merged: &mut serde_json::Value, answer: serde_json::Value) {
    use serde_json::Value;
    match (merged, answer) {
        (Value::Object(into), Value::Object(from)) => {
            for (field, value) in from {
                match into.get_mut(&field) {
                    Some(existing) => merge_batch_answer(existing, value),
                    None => {
                        into.insert(field, value);
                    }
                }
            }
        }
        (Value::Array(into), Value::Array(from)) => into.extend(from),
        (Value::Number(into), Value::Number(from)) => {
            if let (Some(a), Some(b)) = (into.as_f64(), from.as_f64())
                && let Some(sum) = serde_json::Number::from_f64(a + b)
            {
                *into = sum;
            }
        }
        (into, from) => *into = from,
    }
}

/// The ConsumedCapacity entries of a merged batch answer, one per table: the shares of a table
/// read or written at several nodes are added up.
fn fold_capacity(entries: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    let mut folded: Vec<serde_json::Value> = Vec::new();
    for entry in entries {
        let table = entry.get("TableName").cloned();
        match folded
            .iter_mut()
            .find(|e| e.get("TableName") == table.as_ref())
        {
            Some(into) => merge_batch_answer(into, entry),
            None => folded.push(entry),
        }
    }
    folded
}
