//! From an operation name and a JSON body to a status and a JSON body: the one place where API
//! and engine errors become HTTP answers.

use bytes::Bytes;
use ferrodyn_api::sigv4::{Authorization, SignedRequest};
use ferrodyn_api::{
    ApiError, ErrorKind, Operation, Request, TableArns, decode_request, write_response,
};
use ferrodyn_cluster::tables::{Route, TableGroups};
use ferrodyn_engine::route::{Target, is_consistent_read, target_of};
use ferrodyn_engine::{Database, DatabaseConfig};
use ferrodyn_storage::fs::{MemFileSystem, RealFileSystem};
use hyper::HeaderMap;
use std::sync::Arc;
use std::sync::OnceLock;
use std::time::Duration;

use crate::Config;
use crate::config::Durability;

/// A response before HTTP framing.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
}

impl Reply {
    fn error(error: &ApiError) -> Reply {
        if error.http_status() >= 500 {
            tracing::warn!(kind = ?error.kind, message = %error.message, "request failed");
        }
        Reply {
            status: error.http_status(),
            body: error.to_json(),
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

    /// From now on, runs each request where its table's replica group is led.
    pub fn join_cluster(&self, tables: Arc<TableGroups>) {
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
            None => Ok(Reply {
                status: 200,
                body: self.execute_here(request, &arns).await?,
            }),
            Some(tables) => Ok(self
                .routed(tables, operation, body, request, &arns, 0)
                .await),
        }
    }

    /// Decodes and validates a request body, naming by name every table it named by ARN.
    fn decode(&self, operation: Operation, body: &[u8]) -> Result<(Request, TableArns), ApiError> {
        let mut request = decode_request(operation, body)?;
        let (region, account) = self.database.region_and_account();
        let arns = request.resolve_table_arns(region, account)?;
        Ok((request, arns))
    }

    async fn execute_here(&self, request: Request, arns: &TableArns) -> Result<Vec<u8>, ApiError> {
        let mut response = self.database.execute(request).await?;
        arns.restore(&mut response);
        let mut out = Vec::with_capacity(256);
        write_response(&response, &mut out);
        Ok(out)
    }

    /// Runs a request another node forwarded here (its signature was checked there), forwarded
    /// `hops` times so far.
    pub async fn dispatch_forwarded(&self, target: &str, body: &[u8], hops: u32) -> Reply {
        let operation = match Operation::from_target(Some(target)) {
            Ok(operation) => operation,
            Err(error) => return Reply::error(&error),
        };
        let (request, arns) = match self.decode(operation, body) {
            Ok(decoded) => decoded,
            Err(error) => return Reply::error(&error),
        };
        match self.cluster.get() {
            Some(tables) => {
                self.routed(tables, operation, body, request, &arns, hops)
                    .await
            }
            None => match self.execute_here(request, &arns).await {
                Ok(body) => Reply { status: 200, body },
                Err(error) => Reply::error(&error),
            },
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
        operation: Operation,
        body: &'a [u8],
        request: Request,
        arns: &'a TableArns,
        hops: u32,
    ) -> std::pin::Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now() + ROUTE_DEADLINE;
            let mut backoff = Duration::from_millis(5);
            loop {
                let route = match target_of(&request) {
                    Target::Anywhere => Route::Here,
                    Target::Catalog => tables.route_catalog(),
                    Target::Table(name) => tables.route(&name),
                    Target::Tables(names) => {
                        let routes: Vec<Route> = names.iter().map(|n| tables.route(n)).collect();
                        if routes.windows(2).all(|w| w[0] == w[1]) {
                            routes.into_iter().next().unwrap_or(Route::Here)
                        } else {
                            let shares = shares_by_route(&names, &routes);
                            return self
                                .split_batch(tables, operation, body, &shares, arns, hops)
                                .await;
                        }
                    }
                };
                let why = match route {
                    Route::Here => match self.linearize(tables, &request).await {
                        Err(why) => why,
                        Ok(()) => match self.execute_here(request.clone(), arns).await {
                            Ok(body) => return Reply { status: 200, body },
                            Err(error) if error.kind == ErrorKind::ServiceUnavailable => {
                                error.message
                            }
                            Err(error) => return Reply::error(&error),
                        },
                    },
                    Route::Peer(peer) if hops < MAX_HOPS => {
                        let target = operation.target();
                        match tables
                            .forward(&peer, &target, body.to_vec(), hops + 1)
                            .await
                        {
                            Ok((503, body)) => String::from_utf8_lossy(&body).into_owned(),
                            Ok((status, body)) => return Reply { status, body },
                            Err(error) if error.may_have_run && !operation.is_read_only() => {
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
                    Route::Peer(_) | Route::Unknown if hops > 0 => {
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
    /// the tables it reads.
    async fn linearize(&self, tables: &TableGroups, request: &Request) -> Result<(), String> {
        if !is_consistent_read(request) {
            return Ok(());
        }
        let names = match target_of(request) {
            Target::Table(name) => vec![name],
            Target::Tables(names) => names,
            Target::Anywhere | Target::Catalog => Vec::new(),
        };
        for name in names {
            tables.linearize(&name).await?;
        }
        Ok(())
    }

    /// A batch over tables led by different nodes: each node's share runs there, and the answers
    /// are merged as DynamoDB would have answered the whole.
    async fn split_batch(
        &self,
        tables: &Arc<TableGroups>,
        operation: Operation,
        body: &[u8],
        shares: &[Vec<&String>],
        arns: &TableArns,
        hops: u32,
    ) -> Reply {
        let Ok(serde_json::Value::Object(whole)) =
            serde_json::from_slice::<serde_json::Value>(body)
        else {
            return Reply::error(&ApiError::internal("a validated batch did not parse again"));
        };
        let mut merged = serde_json::Map::new();
        for share in shares {
            let mut part = whole.clone();
            if let Some(serde_json::Value::Object(items)) = part.get_mut("RequestItems") {
                items.retain(|key, _| share.iter().any(|name| *name == arns.name_of(key)));
            }
            let part_body = serde_json::to_vec(&part).expect("JSON encodes");
            let (request, part_arns) = match self.decode(operation, &part_body) {
                Ok(decoded) => decoded,
                Err(error) => return Reply::error(&error),
            };
            let reply = self
                .routed(tables, operation, &part_body, request, &part_arns, hops)
                .await;
            if reply.status != 200 {
                return reply;
            }
            let Ok(serde_json::Value::Object(answer)) =
                serde_json::from_slice::<serde_json::Value>(&reply.body)
            else {
                return Reply::error(&ApiError::internal("a batch's share answered badly"));
            };
            merge_batch_answer(&mut merged, answer);
        }
        Reply {
            status: 200,
            body: serde_json::to_vec(&serde_json::Value::Object(merged)).expect("JSON encodes"),
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

/// The tables `names` grouped by their `routes` (in the order each route first appears): one
/// share of a batch per node that runs it.
fn shares_by_route<'a>(names: &'a [String], routes: &[Route]) -> Vec<Vec<&'a String>> {
    let mut shares: Vec<(&Route, Vec<&String>)> = Vec::new();
    for (name, route) in names.iter().zip(routes) {
        match shares.iter_mut().find(|(r, _)| *r == route) {
            Some((_, share)) => share.push(name),
            None => shares.push((route, vec![name])),
        }
    }
    shares.into_iter().map(|(_, share)| share).collect()
}

/// `base` give or take half, so that retries of many clients spread out.
fn jitter(base: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let half = base / 2;
    half + Duration::from_nanos(u64::from(nanos) % (base.as_nanos() as u64 + 1))
}

/// Adds one share's answer of a BatchGetItem or BatchWriteItem to the whole: maps of tables are
/// joined, lists (ConsumedCapacity) appended.
fn merge_batch_answer(
    merged: &mut serde_json::Map<String, serde_json::Value>,
    answer: serde_json::Map<String, serde_json::Value>,
) {
    use serde_json::Value;
    for (field, value) in answer {
        match (merged.get_mut(&field), value) {
            (Some(Value::Object(into)), Value::Object(from)) => into.extend(from),
            (Some(Value::Array(into)), Value::Array(from)) => into.extend(from),
            (_, value) => {
                merged.insert(field, value);
            }
        }
    }
}
