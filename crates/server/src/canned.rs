//! `ferrodyn bench-baseline`: the ceiling a load generator measures against.
//!
//! An HTTP server on the same stack as `ferrodyn serve` (tokio's multi-threaded runtime, hyper's
//! HTTP/1.1 server, keep-alive, `TCP_NODELAY`, the `x-amz-crc32` and `x-amzn-RequestId`
//! headers) that reads each request's body, parses it as JSON and answers at once with a canned
//! response shaped like DynamoDB's: GetItem returns the requested key plus one 100-byte string
//! attribute, writes return `{}`, CreateTable and DescribeTable an ACTIVE table, BatchWriteItem no
//! unprocessed items. Nothing is stored. The throughput a client reaches against it is what that
//! client can do at all on the machine, so a server's throughput is quoted as a share of it.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Serves canned answers on `listen` until the process is stopped.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    println!("canned DynamoDB answers on {}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service_fn(answer))
                .await;
        });
    }
}

async fn answer(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, crate::http::MAX_REQUEST_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("DynamoDB_20120810."))
        .unwrap_or("");
    let table = parsed["TableName"].as_str().unwrap_or("usertable");
    let reply = match operation {
        "GetItem" => {
            let mut item = parsed["Key"].clone();
            if let Some(item) = item.as_object_mut() {
                item.insert("field0".into(), json!({ "S": "x".repeat(100) }));
            }
            json!({ "Item": item })
        }
        "CreateTable" => json!({ "TableDescription": table_description(table) }),
        "DescribeTable" => json!({ "Table": table_description(table) }),
        "BatchWriteItem" => json!({ "UnprocessedItems": {} }),
        _ => json!({}),
    };
    let mut response = crate::http::respond(
        StatusCode::OK,
        crate::http::JSON_1_0,
        Bytes::from(reply.to_string()),
    );
    response.headers_mut().insert(
        crate::http::AMZN_REQUEST_ID,
        HeaderValue::from_static("CANNED0000000000000000000000000000000000000000000000"),
    );
    Ok(response)
}

fn table_description(table: &str) -> Value {
    json!({
        "TableName": table,
        "TableStatus": "ACTIVE",
        "KeySchema": [{ "AttributeName": "pk", "KeyType": "HASH" }],
        "AttributeDefinitions": [{ "AttributeName": "pk", "AttributeType": "S" }],
    })
}
