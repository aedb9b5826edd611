//! From an operation name and a JSON body to a status and a JSON body: the one place where API
//! and engine errors become HTTP answers.

use bytes::Bytes;
use ferrodyn_api::sigv4::{Authorization, SignedRequest};
use ferrodyn_api::{ApiError, Operation, decode_request, write_response};
use ferrodyn_engine::{Database, DatabaseConfig};
use ferrodyn_storage::fs::{MemFileSystem, RealFileSystem};
use hyper::HeaderMap;
use std::sync::Arc;

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
    database: Database,
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
            Arc::new(RealFileSystem::new())
        };
        let path = if config.in_memory {
            "/ferrodyn".into()
        } else {
            config.data_dir.clone()
        };
        let mut storage = ferrodyn_storage::Options::new(path.clone(), fs.clone());
        storage.memtable_bytes_max = config.memtable_mib << 20;
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
        Ok(Dispatcher { database, fs, path })
    }

    /// The file system and directory of the data, and the storage engine, for the cluster runtime
    /// that shares them.
    pub fn storage(
        &self,
    ) -> (
        Arc<dyn ferrodyn_storage::fs::FileSystem>,
        std::path::PathBuf,
        ferrodyn_storage::Db,
    ) {
        (
            self.fs.clone(),
            self.path.clone(),
            self.database.storage().clone(),
        )
    }

    /// The body of `GET /health`.
    pub fn health_json(&self) -> Vec<u8> {
        format!(
            r#"{{"status":"ok","tables":{}}}"#,
            self.database.table_count()
        )
        .into_bytes()
    }

    /// Runs one request: target, signature form, body, then the operation.
    pub async fn dispatch(
        &self,
        target: Option<&str>,
        query: Option<&str>,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Reply {
        match self.run(target, query, headers, &body).await {
            Ok(body) => Reply { status: 200, body },
            Err(error) => Reply::error(&error),
        }
    }

    async fn run(
        &self,
        target: Option<&str>,
        query: Option<&str>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Vec<u8>, ApiError> {
        let operation = Operation::from_target(target)?;
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        Authorization::from_request(&SignedRequest {
            authorization: header("authorization"),
            x_amz_date: header("x-amz-date"),
            date: header("date"),
            query,
        })?;
        let request = decode_request(operation, body)?;
        let response = self.database.execute(request).await?;
        let mut out = Vec::with_capacity(256);
        write_response(&response, &mut out);
        Ok(out)
    }

    /// Finishes queued writes and closes the database.
    pub fn close(&self) -> anyhow::Result<()> {
        self.database
            .close()
            .map_err(|error| anyhow::anyhow!("{error}"))
    }
}
