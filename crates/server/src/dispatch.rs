//! From an operation name and a JSON body to a status and a JSON body.

use bytes::Bytes;
use ferrodyn_api::{ApiError, Operation};
use hyper::HeaderMap;

use crate::Config;

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
        Reply { status: error.http_status(), body: error.to_json() }
    }
}

/// Executes DynamoDB operations against the node's database.
#[derive(Debug)]
pub struct Dispatcher {}

impl Dispatcher {
    /// Opens the database described by `config`.
    pub fn open(config: &Config) -> anyhow::Result<Dispatcher> {
        let _ = config;
        Ok(Dispatcher {})
    }

    /// The body of `GET /health`.
    pub fn health_json(&self) -> Vec<u8> {
        br#"{"status":"ok"}"#.to_vec()
    }

    /// Runs one request.
    pub async fn dispatch(&self, target: Option<&str>, headers: &HeaderMap, body: Bytes) -> Reply {
        let _ = (headers, body);
        match Operation::from_target(target) {
            Ok(_) => Reply::error(&ApiError::unknown_operation()),
            Err(error) => Reply::error(&error),
        }
    }

    /// Flushes and closes the database.
    pub fn close(&self) -> anyhow::Result<()> {
        Ok(())
    }
}
