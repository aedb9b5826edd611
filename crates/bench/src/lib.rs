//! `ferrodyn bench`: a YCSB-style load generator for any DynamoDB endpoint (Ferrodyn, DynamoDB
//! Local, dynalite, moto, ...), so they can be measured the same way.
//!
//! A run creates a table and loads it with BatchWriteItem ([`load`]), then runs a workload
//! ([`workload`]: YCSB's A to F or one operation alone) from many concurrent clients
//! ([`runner`]), and prints per operation the count, errors by type, throughput and latency
//! percentiles ([`report`]), with a live progress bar ([`progress`]) and optionally an SVG of
//! throughput and p99 over time ([`plot`]); Ctrl-C ([`interrupt`]) ends the measured phase early
//! and still prints the summary. Given the server's process id, it also reports the
//! server's CPU time per operation and peak memory from `/proc` ([`process`]).
//!
//! The table can be created with global secondary indexes and a stream and loaded with records
//! that have already expired ([`config`]); the `stream` workload is a stream [`consumer`]; a
//! [`table_task`] adds an index or enables time to live while the workload runs and reports
//! how fast the server carries it out and what it costs the foreground.
//!
//! Underneath: [`client`] signs ([`sigv4`]) and sends DynamoDB calls over one keep-alive HTTP/1.1
//! [`connection`] per worker; [`record`] writes the request bodies; [`distribution`] chooses
//! records (uniform, zipfian, latest) with [`rng`]; [`recorder`] keeps HDR histograms.
//!
//! ```no_run
//! use ferrodyn_bench::{BenchConfig, Workload};
//!
//! let mut config = BenchConfig::new("http://127.0.0.1:8000", Workload::A);
//! config.items = 10_000;
//! let report = ferrodyn_bench::run(&config)?;
//! assert_eq!(report.total.error_count(), 0);
//! # Ok::<(), ferrodyn_bench::BenchError>(())
//! ```

pub mod client;
pub mod config;
pub mod connection;
pub mod consumer;
pub mod distribution;
pub mod error;
pub mod interrupt;
pub mod load;
pub mod plot;
pub mod process;
pub mod progress;
pub mod record;
pub mod recorder;
pub mod report;
pub mod rng;
pub mod runner;
pub mod sigv4;
pub mod table_task;
pub mod workload;

use std::sync::Arc;

pub use config::{BenchConfig, Output, Stop, TableTask};
pub use distribution::Distribution;
pub use error::BenchError;
pub use report::Report;
pub use workload::Workload;

use client::{DynamoClient, Endpoint};
use interrupt::Interrupt;
use progress::Progress;
use record::RecordLayout;
use runner::Workers;

/// Runs the benchmark `config` describes: load (unless skipped), measure, print the summary on
/// standard output, write the plot if asked. Errors of individual requests are counted in the
/// report; an error is returned only when nothing can be measured (bad configuration,
/// unreachable endpoint before the run, failed load) or the output cannot be written.
pub fn run(config: &BenchConfig) -> Result<Report, BenchError> {
    config.validate()?;
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = config.client_threads {
        builder.worker_threads(threads);
    }
    let runtime = builder
        .enable_all()
        .thread_name("ferrodyn-bench")
        .build()
        .map_err(BenchError::Runtime)?;
    let report = runtime.block_on(measure(config))?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match config.output {
        Output::Human => report.write_human(&mut out),
        Output::Json => report.write_json(&mut out),
    }
    .map_err(BenchError::Output)?;
    if let Some(path) = &config.plot {
        plot::write(&report, path)?;
    }
    Ok(report)
}

/// The load and measured phases, returning the report without printing it.
pub async fn measure(config: &BenchConfig) -> Result<Report, BenchError> {
    config.validate()?;
    let endpoint = Arc::new(Endpoint::resolve(&config.endpoint).await?);
    let layout = Arc::new(
        RecordLayout::new(
            &config.table,
            config.value_size,
            config.fields,
            config.consistent_read,
            config.seed,
        )
        .with_table_shape(config.gsis, config.stream_view_type()),
    );
    let progress = Progress::new(config.progress);
    let interrupt = Interrupt::listen();
    let mut admin = DynamoClient::new(endpoint.clone(), config.request_timeout);
    let load = if config.skip_load {
        load::wait_active(&mut admin, &layout).await?;
        None
    } else {
        load::create_table(&mut admin, &layout).await?;
        progress.start_load(config.items + config.expired_items);
        let outcome = load::load(
            config,
            endpoint.clone(),
            layout.clone(),
            &progress,
            &interrupt,
        )
        .await;
        // The bar would otherwise stay on the screen above an error message.
        if outcome.is_err() {
            progress.finish();
        }
        let outcome = outcome?;
        Some(outcome)
    };
    let workers = Arc::new(Workers::new(config, endpoint.clone(), layout.clone()));
    let server_before = config.server_pid.map(process::sample).transpose()?;
    let client_pid = std::process::id();
    let client_before = process::sample(client_pid)?;
    let started = std::time::Instant::now();
    let task = config.task.map(|(task, after)| {
        tokio::spawn(table_task::run(
            task,
            after,
            config.expired_items,
            workers.clone(),
            started,
        ))
    });
    let outcome = if config.workload == Workload::Stream {
        progress.start_run(config.stop);
        let outcome = consumer::consume(
            endpoint,
            &layout,
            config.request_timeout,
            config.stop,
            &interrupt,
        )
        .await;
        progress.finish();
        // The task (if any) watches the workers' phase; the consumer has ended it.
        workers.stop();
        outcome?
    } else {
        workers
            .clone()
            .run(config.concurrency, config.stop, &progress, &interrupt)
            .await
    };
    let task = match task {
        Some(handle) => Some(handle.await.expect("the table task does not panic")?),
        None => None,
    };
    let client_after = process::sample(client_pid)?;
    let server = match (config.server_pid, server_before) {
        (Some(pid), Some(before)) => match process::sample(pid) {
            Ok(after) => Some((
                pid,
                after.cpu.saturating_sub(before.cpu),
                after.peak_rss_bytes,
            )),
            // A server that died during the run has no figures to give; the errors say why.
            Err(_) => None,
        },
        _ => None,
    };
    let client = (
        client_pid,
        client_after.cpu.saturating_sub(client_before.cpu),
        client_after.peak_rss_bytes,
    );
    Ok(Report::new(config, load, outcome, server, client).with_task(task))
}
