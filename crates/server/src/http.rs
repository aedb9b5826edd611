//! The HTTP front end: awsJson1.0 over HTTP/1.1 with keep-alive.
//!
//! Every DynamoDB call is `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>` and a JSON
//! body. This module owns what is HTTP about it (methods, content types, body limits, the
//! `x-amzn-RequestId` and `x-amz-crc32` headers, the health endpoint); [`crate::dispatch`] turns a
//! target and a body into a status and a JSON body.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::dispatch::{Dispatcher, Reply};

/// Largest request body accepted, as DynamoDB (16 MB, the BatchWriteItem ceiling). Larger bodies are
/// refused with 413 without being buffered.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

const AMZ_CRC32: HeaderName = HeaderName::from_static("x-amz-crc32");
pub(crate) const AMZN_REQUEST_ID: HeaderName = HeaderName::from_static("x-amzn-requestid");
const AMZ_TARGET: &str = "x-amz-target";
pub(crate) const JSON_1_0: &str = "application/x-amz-json-1.0";

/// What every connection shares.
#[derive(Debug)]
pub struct Shared {
    /// Executes operations.
    pub dispatcher: Dispatcher,
    /// This node's part in the cluster, when it has a peer port.
    pub cluster: Option<Arc<ferrodyn_cluster::runtime::ClusterRuntime>>,
    /// Source of request ids.
    request_ids: RequestIds,
    /// What `GET /metrics` reports of the requests.
    requests: crate::metrics::RequestMetrics,
    /// How long a client may take to send a request's body (its headers: see `serve`).
    read_timeout: Duration,
}

impl Shared {
    /// State for serving `dispatcher` (and the cluster's status, when a member).
    pub fn new(
        dispatcher: Dispatcher,
        cluster: Option<Arc<ferrodyn_cluster::runtime::ClusterRuntime>>,
        read_timeout: Duration,
    ) -> Self {
        Self {
            dispatcher,
            cluster,
            request_ids: RequestIds::new(),
            requests: crate::metrics::RequestMetrics::default(),
            read_timeout,
        }
    }
}

/// Runs the requests other cluster members forward to this node.
#[derive(Debug)]
pub struct Forwarded(pub Arc<Shared>);

impl ferrodyn_cluster::peer::RequestHandler for Forwarded {
    fn handle(
        &self,
        target: String,
        body: Vec<u8>,
        hops: u32,
        share: Option<ferrodyn_engine::PageShare>,
    ) -> std::pin::Pin<Box<dyn Future<Output = ferrodyn_cluster::peer::Answer> + Send + '_>> {
        Box::pin(async move {
            let reply = self
                .0
                .dispatcher
                .dispatch_forwarded(&target, &body, hops, share)
                .await;
            ferrodyn_cluster::peer::Answer {
                status: reply.status,
                body: reply.body,
                progress: reply.progress,
            }
        })
    }
}

/// Answers one HTTP request. Never fails: every error becomes a DynamoDB error response.
pub async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = shared.request_ids.next();
    let mut response = route(&shared, request).await;
    let headers = response.headers_mut();
    headers.insert(AMZN_REQUEST_ID, request_id);
    Ok(response)
}

async fn route(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    match *request.method() {
        Method::GET if request.uri().path() == "/health" => {
            let (healthy, body) = shared.dispatcher.health();
            let status = if healthy {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            respond(status, "application/json", Bytes::from(body))
        }
        Method::POST if request.uri().path() == crate::status::DECOMMISSION_PATH => {
            decommission(shared, request).await
        }
        Method::GET if request.uri().path() == "/metrics" => {
            let status = shared.cluster.as_ref().map(|cluster| cluster.status());
            let body = crate::metrics::render(
                &shared.requests,
                &shared.dispatcher.storage_metrics(),
                shared.dispatcher.table_count(),
                status.as_ref(),
            );
            respond(
                StatusCode::OK,
                "text/plain; version=0.0.4; charset=utf-8",
                Bytes::from(body),
            )
        }
        Method::GET if request.uri().path() == crate::status::STATUS_PATH => {
            respond(StatusCode::OK, "application/json", cluster_status(shared))
        }
        // DynamoDB answers any GET with this plain-text line (its trailing space included).
        Method::GET => respond(
            StatusCode::OK,
            "text/plain",
            Bytes::from_static(b"healthy: dynamodb.us-east-1.amazonaws.com "),
        ),
        Method::POST => post(shared, request).await,
        _ => unknown_operation_xml(),
    }
}

/// `POST /cluster/decommission` with `{"node": "<id>"}`: starts moving that member's replicas
/// away. Answers 200 once the metadata records it as leaving, 400 with `{"error": ...}` if it
/// cannot (an unknown node, the last active member, or a node without a peer port).
async fn decommission(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let answer = |status: StatusCode, body: serde_json::Value| {
        respond(status, "application/json", Bytes::from(body.to_string()))
    };
    let Some(cluster) = &shared.cluster else {
        return answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "this node is not a cluster member (no --peer-listen)"}),
        );
    };
    let body = Limited::new(request.into_body(), 4096).collect();
    let body = match tokio::time::timeout(shared.read_timeout, body).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Err(_) => return read_timed_out(),
        Ok(Err(_)) => {
            return answer(
                StatusCode::BAD_REQUEST,
                serde_json::json!({"error": "unreadable body"}),
            );
        }
    };
    let node = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["node"].as_str().map(str::to_owned));
    let Some(node) = node else {
        return answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "the body must be {\"node\": \"<node id>\"}"}),
        );
    };
    match cluster.decommission(&node).await {
        Ok(()) => answer(StatusCode::OK, serde_json::json!({"leaving": node})),
        Err(error) => answer(StatusCode::BAD_REQUEST, serde_json::json!({"error": error})),
    }
}

/// The body of `GET /cluster/status`: the cluster as this node knows it, or, for a node without a
/// peer port, a cluster of one.
fn cluster_status(shared: &Shared) -> Bytes {
    let body = match &shared.cluster {
        Some(cluster) => serde_json::to_vec(&cluster.status()),
        None => serde_json::to_vec(&serde_json::json!({
            "node": null,
            "metadata_leader": null,
            "epoch": 0,
            "members": [],
            "tables": [],
            "single_node": true,
        })),
    };
    Bytes::from(body.expect("a status encodes as JSON"))
}

async fn post(shared: &Shared, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map_or("", |v| v.split(';').next().unwrap_or("").trim());
    let declared_len = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_len.is_some_and(|len| len > MAX_REQUEST_BYTES as u64) {
        return too_large();
    }
    let body = Limited::new(body, MAX_REQUEST_BYTES).collect();
    let body = match tokio::time::timeout(shared.read_timeout, body).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Err(_) => return read_timed_out(),
        Ok(Err(error)) => {
            if error
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return too_large();
            }
            tracing::debug!(%error, "request body could not be read");
            return respond(StatusCode::BAD_REQUEST, "text/plain", Bytes::new());
        }
    };
    if !body.is_empty() && content_type != JSON_1_0 && content_type != "application/json" {
        return unknown_operation_xml();
    }
    let response_type = if content_type == "application/json" {
        "application/json"
    } else {
        JSON_1_0
    };
    let target = parts.headers.get(AMZ_TARGET).and_then(|v| v.to_str().ok());
    let query = parts.uri.query();
    let started = std::time::Instant::now();
    let (operation, Reply { status, body, .. }) = shared
        .dispatcher
        .dispatch(target, query, &parts.headers, body)
        .await;
    shared
        .requests
        .record(operation, started.elapsed(), status, &body);
    let status = StatusCode::from_u16(status).expect("dispatcher statuses are valid HTTP codes");
    respond(status, response_type, Bytes::from(body))
}

/// A response with the body checksum SDKs verify (`x-amz-crc32`: CRC32 of the body, decimal).
pub(crate) fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let crc = crc32fast::hash(&body);
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(AMZ_CRC32, HeaderValue::from(crc));
    response
}

/// What DynamoDB answers a request that is not an awsJson1.0 POST.
fn unknown_operation_xml() -> Response<Full<Bytes>> {
    respond(
        StatusCode::NOT_FOUND,
        "application/xml",
        Bytes::from_static(b"<UnknownOperationException/>\n"),
    )
}

fn too_large() -> Response<Full<Bytes>> {
    respond(StatusCode::PAYLOAD_TOO_LARGE, "text/plain", Bytes::new())
}

/// The answer to a client that stopped sending its body: the connection is then closed (what is
/// left of the body cannot be skipped).
fn read_timed_out() -> Response<Full<Bytes>> {
    let mut response = respond(StatusCode::REQUEST_TIMEOUT, "text/plain", Bytes::new());
    response
        .headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Request ids in DynamoDB's shape: 52 characters of `[A-Z0-9]`, unique per process run.
#[derive(Debug)]
struct RequestIds {
    prefix: [u8; 39],
    counter: AtomicU64,
}

impl RequestIds {
    fn new() -> Self {
        // Seeded from the clock and the process id, so restarts do not repeat ids.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let mut state =
            (nanos as u64) ^ (u64::from(std::process::id()) << 32) ^ 0x9E37_79B9_7F4A_7C15;
        let mut prefix = [0u8; 39];
        for byte in &mut prefix {
            state = splitmix64(state);
            *byte = ALPHABET[(state % ALPHABET.len() as u64) as usize];
        }
        Self {
            prefix,
            counter: AtomicU64::new(0),
        }
    }

    fn next(&self) -> HeaderValue {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut id = [0u8; 52];
        id[..39].copy_from_slice(&self.prefix);
        // 13 base-36 digits of a scrambled counter: distinct for 2^64 requests.
        let mut x = splitmix64(n);
        for byte in id[39..].iter_mut() {
            *byte = ALPHABET[(x % 36) as usize];
            x /= 36;
        }
        // The counter is scrambled by a bijection, and 13 base-36 digits hold any 64-bit value
        // (36^13 > 2^64), so no two requests of a run share an id.
        HeaderValue::from_bytes(&id).expect("ASCII alphanumerics are a valid header value")
    }
}

const ALPHABET: &[u8; 36] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_52_uppercase_alphanumerics_and_distinct() {
        let ids = RequestIds::new();
        let a = ids.next();
        let b = ids.next();
        assert_eq!(a.len(), 52);
        assert!(
            a.as_bytes()
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_ne!(a, b);
    }
}
