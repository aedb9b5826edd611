//! The `ferrodyn` binary: parses the command line and hands over to the library.
//!
//! `ferrodyn` with no subcommand is `ferrodyn serve` with its defaults, so `cargo run --release`
//! starts a single durable node on 127.0.0.1:8000 with data in `./ferrodyn-data`.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ferrodyn_server::Config;
use ferrodyn_server::config::{Durability, LogFormat};

#[derive(Parser, Debug)]
#[command(
    name = "ferrodyn",
    version,
    about = "A distributed database that speaks the DynamoDB API",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// With no subcommand, `ferrodyn` serves, and takes the flags of `ferrodyn serve`.
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the DynamoDB API (the default).
    Serve(ServeArgs),
}

/// Flags of `ferrodyn serve`. Each may also come from the environment variable named, or from the
/// TOML file given by `--config` (keys named like the flags, with underscores); flags win over the
/// environment, which wins over the file.
#[derive(Args, Debug, Default)]
struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "FERRODYN_CONFIG")]
    config: Option<PathBuf>,
    /// Address of the DynamoDB endpoint [default: 127.0.0.1:8000].
    #[arg(long, env = "FERRODYN_LISTEN")]
    listen: Option<SocketAddr>,
    /// Data directory [default: ./ferrodyn-data].
    #[arg(long, env = "FERRODYN_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keep all data in memory (nothing touches disk; for test suites).
    #[arg(long, env = "FERRODYN_IN_MEMORY")]
    in_memory: bool,
    /// When writes are acknowledged [default: sync].
    #[arg(long, env = "FERRODYN_DURABILITY", value_enum)]
    durability: Option<DurabilityArg>,
    /// Background WAL sync period with buffered durability, in ms [default: 100].
    #[arg(long, env = "FERRODYN_SYNC_INTERVAL_MS")]
    sync_interval_ms: Option<u64>,
    /// Memtable size in MiB [default: 32].
    #[arg(long, env = "FERRODYN_MEMTABLE_MIB")]
    memtable_mib: Option<usize>,
    /// Block cache size in MiB [default: 32].
    #[arg(long, env = "FERRODYN_BLOCK_CACHE_MIB")]
    block_cache_mib: Option<usize>,
    /// Log format [default: human].
    #[arg(long, env = "FERRODYN_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormatArg>,
    /// Log filter, e.g. `info` or `ferrodyn_engine=debug` [default: info].
    #[arg(long, env = "FERRODYN_LOG")]
    log_filter: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DurabilityArg {
    Sync,
    Buffered,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormatArg {
    Human,
    Json,
}

impl ServeArgs {
    fn into_config(self) -> anyhow::Result<Config> {
        let mut config = match &self.config {
            Some(path) => Config::from_toml_file(path)?,
            None => Config::default(),
        };
        if let Some(listen) = self.listen {
            config.listen = listen;
        }
        if let Some(dir) = self.data_dir {
            config.data_dir = dir;
        }
        if self.in_memory {
            config.in_memory = true;
        }
        if let Some(durability) = self.durability {
            config.durability = match durability {
                DurabilityArg::Sync => Durability::Sync,
                DurabilityArg::Buffered => Durability::Buffered,
            };
        }
        if let Some(ms) = self.sync_interval_ms {
            config.sync_interval_ms = ms;
        }
        if let Some(mib) = self.memtable_mib {
            config.memtable_mib = mib;
        }
        if let Some(mib) = self.block_cache_mib {
            config.block_cache_mib = mib;
        }
        if let Some(format) = self.log_format {
            config.log_format = match format {
                LogFormatArg::Human => LogFormat::Human,
                LogFormatArg::Json => LogFormat::Json,
            };
        }
        if let Some(filter) = self.log_filter {
            config.log_filter = filter;
        }
        Ok(config)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => cli.serve,
    };
    let config = match args.into_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ferrodyn: {error:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ferrodyn-worker")
        .build()
        .expect("the tokio runtime can be built");
    match runtime.block_on(ferrodyn_server::serve(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            eprintln!("ferrodyn: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
