//! The `ferrodyn` server: DynamoDB's HTTP API in front of the engine.
//!
//! - [`config`]: what the server is told (defaults < TOML file < environment < flags).
//! - [`http`]: awsJson1.0 over HTTP/1.1 (hyper): headers, checksums, limits, health.
//! - [`dispatch`]: an operation name and a JSON body in, a status and a JSON body out; the only
//!   place that maps engine and API errors to HTTP.
//! - [`serve`]: opens the database, joins the cluster when given a peer port, accepts
//!   connections, and shuts down gracefully on SIGINT or SIGTERM (stop accepting, finish
//!   in-flight requests, flush, exit).
//! - [`metrics`]: `GET /metrics`, the node's counters in Prometheus's text format.
//! - [`status`]: `ferrodyn cluster status`, a client of the admin path `GET /cluster/status`.

pub mod canned;
pub mod config;
pub mod dispatch;
pub mod http;
pub mod metrics;
pub mod status;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

pub use config::Config;
use dispatch::Dispatcher;

/// How long in-flight requests may take to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Runs the server until SIGINT or SIGTERM, then shuts down cleanly.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let dispatcher = Dispatcher::open(&config)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let local = listener
        .local_addr()
        .context("listener has no local address")?;
    tracing::info!(
        address = %local,
        data_dir = %if config.in_memory { "(in memory)".into() } else { config.data_dir.display().to_string() },
        startup_ms = started.elapsed().as_millis() as u64,
        "listening on {local}"
    );
    let cluster = match config.peer_listen {
        None => None,
        Some(peer_listen) => {
            let (fs, data_dir, database) = dispatcher.storage();
            let settings = ferrodyn_cluster::runtime::RuntimeSettings {
                fs,
                data_dir,
                database,
                peer_listen,
                api_address: local.to_string(),
                join: config.join.clone(),
                failure_timeout: Duration::from_secs(config.failure_timeout_secs.max(1)),
            };
            let runtime = ferrodyn_cluster::runtime::ClusterRuntime::start(settings)
                .await
                .context("cannot take part in the cluster")?;
            dispatcher.join_cluster(runtime.tables().clone());
            Some(Arc::new(runtime))
        }
    };
    let read_timeout = Duration::from_millis(config.request_read_timeout_ms.max(1));
    let shared = Arc::new(http::Shared::new(dispatcher, cluster.clone(), read_timeout));
    if let Some(cluster) = &cluster {
        cluster
            .request_handler()
            .set(Arc::new(http::Forwarded(shared.clone())));
    }
    run_until_signal(listener, shared.clone(), read_timeout).await;
    if let Some(cluster) = cluster {
        tracing::info!("leaving the peer port");
        cluster.shutdown().await;
    }
    tracing::info!("closing the database");
    shared.dispatcher.close().context("closing the database")?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `listener` until a shutdown signal. A client gets `read_timeout` to send each request's
/// headers (counted from the end of the previous answer, so an idle connection is closed after
/// it too) and as long again for its body.
async fn run_until_signal(
    listener: TcpListener,
    shared: Arc<http::Shared>,
    read_timeout: Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown_signal());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let service = service_fn(move |request| http::handle(shared.clone(), request));
                let connection = http1::Builder::new()
                    .keep_alive(true)
                    .timer(TokioTimer::new())
                    .header_read_timeout(read_timeout)
                    .serve_connection(TokioIo::new(stream), service);
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    tracing::info!("shutting down: finishing in-flight requests");
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("in-flight requests did not finish within {SHUTDOWN_GRACE:?}");
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).expect("SIGTERM handler can be installed");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("received SIGINT"),
        _ = terminate.recv() => tracing::info!("received SIGTERM"),
    }
}
