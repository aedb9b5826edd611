//! A minimal DynamoDB client: one signed awsJson1.0 call at a time over one connection.
//!
//! It does what an SDK does on the wire and nothing more: no retries (every error reaches the
//! caller, to be counted), no response model (callers read the few fields they need from the
//! JSON). Workers each own a [`DynamoClient`]; all of them share one resolved [`Endpoint`].

use std::borrow::Cow;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::connection::{Connection, TransportError};
use crate::sigv4::{Credentials, Signer, region_from_env};

/// The awsJson1.0 target prefix of every DynamoDB operation.
const TARGET_PREFIX: &str = "DynamoDB_20120810.";
/// The target prefix of the DynamoDB Streams operations (same endpoint in Ferrodyn; AWS serves
/// them at `streams.dynamodb.<region>.amazonaws.com`).
const STREAMS_TARGET_PREFIX: &str = "DynamoDBStreams_20120810.";

/// Where requests go: the URL as given, the address it resolved to, and the `Host` header.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The URL as given on the command line.
    pub url: String,
    /// The first address the host name resolved to.
    pub address: SocketAddr,
    /// The `Host` header: the host, and the port unless it is 80.
    pub host_header: String,
}

/// Why an endpoint URL cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// Only plain HTTP is spoken.
    #[error(
        "endpoint {url}: only http:// endpoints are supported (no TLS client is built in); \
         put a TLS-terminating proxy in front of an https endpoint"
    )]
    UnsupportedScheme {
        /// The URL given.
        url: String,
    },
    /// The URL has no host, a bad port, or a path.
    #[error("endpoint {url} is not a URL of the form http://HOST[:PORT]: {reason}")]
    Invalid {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The host name did not resolve.
    #[error("cannot resolve the host of endpoint {url}: {source}")]
    Resolve {
        /// The URL given.
        url: String,
        /// What the resolver said.
        source: std::io::Error,
    },
}

impl Endpoint {
    /// Parses `http://HOST[:PORT][/]` and resolves the host.
    pub async fn resolve(url: &str) -> Result<Endpoint, EndpointError> {
        let invalid = |reason| EndpointError::Invalid {
            url: url.to_owned(),
            reason,
        };
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(if url.contains("://") {
                EndpointError::UnsupportedScheme {
                    url: url.to_owned(),
                }
            } else {
                invalid("it does not start with http://")
            });
        };
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.is_empty() {
            return Err(invalid("no host"));
        }
        if authority.contains(['/', '?', '#', '@']) {
            return Err(invalid("DynamoDB endpoints have no path, query or user"));
        }
        let (host, port) = match authority.rsplit_once(':') {
            // A bare IPv6 address (`[::1]`) has colons inside its brackets.
            Some((host, port)) if !port.contains(']') => (
                host,
                port.parse::<u16>()
                    .map_err(|_| invalid("the port is not a number"))?,
            ),
            _ => (authority, 80),
        };
        let lookup = format!(
            "{}:{port}",
            host.trim_start_matches('[').trim_end_matches(']')
        );
        let address = tokio::net::lookup_host(lookup)
            .await
            .map_err(|source| EndpointError::Resolve {
                url: url.to_owned(),
                source,
            })?
            .next()
            .ok_or_else(|| EndpointError::Resolve {
                url: url.to_owned(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
            })?;
        let host_header = if port == 80 {
            host.to_owned()
        } else {
            format!("{host}:{port}")
        };
        Ok(Endpoint {
            url: url.to_owned(),
            address,
            host_header,
        })
    }
}

/// Why a call failed. Every variant is counted by the load generator; none is retried here.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No HTTP response: see [`TransportError`] for whether the request was executed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// No response within the request timeout; the request may still execute.
    #[error("no response within {} ms", after.as_millis())]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The service answered with an error (HTTP 4xx or 5xx). Nothing was changed by the request
    /// unless the error type says otherwise (it never does for DynamoDB's own errors).
    #[error("HTTP {status} {error_type}: {message}")]
    Service {
        /// The HTTP status.
        status: u16,
        /// DynamoDB's error type without its namespace (`ConditionalCheckFailedException`), or
        /// `Http<status>` when the body names none.
        error_type: String,
        /// The error message, if the body had one.
        message: String,
    },
}

impl CallError {
    /// A short name for counting errors by type: DynamoDB's error type, or the transport
    /// failure's kind (`ConnectionRefused`, `Timeout`).
    pub fn kind(&self) -> Cow<'_, str> {
        match self {
            CallError::Transport(error) => Cow::Borrowed(error.kind()),
            CallError::Timeout { .. } => Cow::Borrowed("Timeout"),
            CallError::Service { error_type, .. } => Cow::Borrowed(error_type),
        }
    }

    /// Whether the error type says the request may succeed if sent again later: throttling,
    /// server-side failures, and failures to reach the server.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Transport(_) | CallError::Timeout { .. } => true,
            CallError::Service {
                status, error_type, ..
            } => {
                *status >= 500
                    || matches!(
                        error_type.as_str(),
                        "ProvisionedThroughputExceededException"
                            | "ThrottlingException"
                            | "RequestLimitExceeded"
                            | "LimitExceededException"
                    )
            }
        }
    }

    fn from_response(status: u16, body: &[u8]) -> CallError {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let field = |name: &str| {
            parsed
                .as_ref()
                .and_then(|value| value.get(name))
                .and_then(|value| value.as_str())
                .map(str::to_owned)
        };
        let error_type = field("__type")
            .map(|full| full.rsplit('#').next().unwrap_or_default().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| format!("Http{status}"));
        let message = field("message")
            .or_else(|| field("Message"))
            .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
        CallError::Service {
            status,
            error_type,
            message,
        }
    }
}

/// Signed DynamoDB calls over one keep-alive connection, one at a time.
#[derive(Debug)]
pub struct DynamoClient {
    endpoint: Arc<Endpoint>,
    signer: Signer,
    connection: Connection,
    timeout: Duration,
    /// The request being sent, reused to avoid an allocation per call.
    request: Vec<u8>,
}

impl DynamoClient {
    /// A client for `endpoint` signing with the environment's credentials and region; each call
    /// fails with [`CallError::Timeout`] after `timeout`.
    pub fn new(endpoint: Arc<Endpoint>, timeout: Duration) -> Self {
        let signer = Signer::new(Credentials::from_env(), region_from_env());
        let connection = Connection::new(endpoint.address);
        DynamoClient {
            endpoint,
            signer,
            connection,
            timeout,
            request: Vec::with_capacity(4096),
        }
    }

    /// Calls `operation` (`GetItem`) with the JSON `body` and returns the body of a successful
    /// (2xx) response, borrowed until the next call.
    pub async fn call(&mut self, operation: &str, body: &[u8]) -> Result<&[u8], CallError> {
        self.send(TARGET_PREFIX, operation, body).await
    }

    /// Calls the DynamoDB Streams `operation` (`GetRecords`), as [`DynamoClient::call`] does.
    pub async fn call_streams(&mut self, operation: &str, body: &[u8]) -> Result<&[u8], CallError> {
        self.send(STREAMS_TARGET_PREFIX, operation, body).await
    }

    async fn send(
        &mut self,
        prefix: &str,
        operation: &str,
        body: &[u8],
    ) -> Result<&[u8], CallError> {
        self.build_request(prefix, operation, body);
        let timeout = self.timeout;
        let status = match tokio::time::timeout(timeout, self.connection.send(&self.request)).await
        {
            Ok(Ok(status)) => status,
            Ok(Err(error)) => return Err(error.into()),
            Err(_) => {
                // The response may still arrive; it must not be read as the next one's.
                self.connection.close();
                return Err(CallError::Timeout { after: timeout });
            }
        };
        let body = self.connection.body();
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(CallError::from_response(status, body))
        }
    }

    fn build_request(&mut self, prefix: &str, operation: &str, body: &[u8]) {
        let target = format!("{prefix}{operation}");
        let host = &self.endpoint.host_header;
        let signature = self.signer.sign(SystemTime::now(), host, &target, body);
        let request = &mut self.request;
        request.clear();
        // Writing to a Vec cannot fail.
        let _ = write!(
            request,
            "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n\
             X-Amz-Target: {target}\r\nX-Amz-Date: {}\r\nAuthorization: {}\r\n",
            signature.amz_date, signature.authorization
        );
        if let Some(token) = self.signer.session_token() {
            let _ = write!(request, "X-Amz-Security-Token: {token}\r\n");
        }
        let _ = write!(request, "Content-Length: {}\r\n\r\n", body.len());
        request.extend_from_slice(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn endpoints_parse_with_and_without_port() {
        let endpoint = Endpoint::resolve("http://127.0.0.1:8000/").await.unwrap();
        assert_eq!(endpoint.address, "127.0.0.1:8000".parse().unwrap());
        assert_eq!(endpoint.host_header, "127.0.0.1:8000");
        let endpoint = Endpoint::resolve("http://localhost").await.unwrap();
        assert_eq!(endpoint.address.port(), 80);
        assert_eq!(endpoint.host_header, "localhost");
        let endpoint = Endpoint::resolve("http://[::1]:9000").await.unwrap();
        assert_eq!(endpoint.address, "[::1]:9000".parse().unwrap());
    }

    #[tokio::test]
    async fn bad_endpoints_are_explained() {
        let https = Endpoint::resolve("https://dynamodb.us-east-1.amazonaws.com").await;
        assert!(matches!(
            https,
            Err(EndpointError::UnsupportedScheme { .. })
        ));
        for url in [
            "127.0.0.1:8000",
            "http://",
            "http://host:port",
            "http://h:1/path",
        ] {
            let error = Endpoint::resolve(url).await.unwrap_err();
            assert!(
                matches!(error, EndpointError::Invalid { .. }),
                "{url}: {error}"
            );
        }
    }

    #[test]
    fn service_errors_are_named_by_their_dynamodb_type() {
        let body = br#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#;
        let error = CallError::from_response(400, body);
        assert_eq!(error.kind(), "ConditionalCheckFailedException");
        assert!(!error.is_transient());
        assert!(error.to_string().contains("The conditional request failed"));
        let throttled = CallError::from_response(400, br#"{"__type":"x#ThrottlingException"}"#);
        assert!(throttled.is_transient());
        let html = CallError::from_response(502, b"<html>Bad Gateway</html>");
        assert_eq!(html.kind(), "Http502");
        assert!(html.is_transient());
    }

    #[tokio::test]
    async fn requests_carry_the_signed_headers_and_the_body() {
        let endpoint = Arc::new(Endpoint::resolve("http://127.0.0.1:8000").await.unwrap());
        let mut client = DynamoClient::new(endpoint, Duration::from_secs(1));
        client.build_request(TARGET_PREFIX, "GetItem", b"{}");
        let text = String::from_utf8(client.request.clone()).unwrap();
        assert!(
            text.starts_with("POST / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"),
            "{text}"
        );
        assert!(text.contains("X-Amz-Target: DynamoDB_20120810.GetItem\r\n"));
        assert!(text.contains("Authorization: AWS4-HMAC-SHA256 Credential="));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
