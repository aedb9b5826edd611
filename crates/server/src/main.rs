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

/// mimalloc rather than the system allocator: request handling allocates and frees many small
/// buffers on several threads, where glibc's allocator spent a sixth of the server's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Load any DynamoDB endpoint with a YCSB workload and report throughput and latency.
    Bench(BenchArgs),
    /// Inspect a cluster.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Answer every DynamoDB call with a canned response, storing nothing: the ceiling a load
    /// generator reaches on this machine, to quote a server's throughput against.
    BenchBaseline {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000")]
        listen: SocketAddr,
    },
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
    /// Memtable size in MiB [default: 16].
    #[arg(long, env = "FERRODYN_MEMTABLE_MIB")]
    memtable_mib: Option<usize>,
    /// Block cache size in MiB [default: 32].
    #[arg(long, env = "FERRODYN_BLOCK_CACHE_MIB")]
    block_cache_mib: Option<usize>,
    /// Threads serving requests and running the replicas [default: one per core].
    #[arg(long, env = "FERRODYN_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    worker_threads: Option<u16>,
    /// Most time a client may take to send a request's headers, then its body, in ms; also how
    /// long an idle connection stays open [default: 60000].
    #[arg(long, env = "FERRODYN_REQUEST_READ_TIMEOUT_MS", value_parser = clap::value_parser!(u64).range(1..))]
    request_read_timeout_ms: Option<u64>,
    /// Read tables through memory mappings (faster reads of data larger than the block cache;
    /// the resident set then grows with the data read).
    #[arg(long, env = "FERRODYN_MMAP_READS")]
    mmap_reads: bool,
    /// Log format [default: human].
    #[arg(long, env = "FERRODYN_LOG_FORMAT", value_enum)]
    log_format: Option<LogFormatArg>,
    /// Log filter, e.g. `info` or `ferrodyn_engine=debug` [default: info,openraft=warn].
    #[arg(long, env = "FERRODYN_LOG")]
    log_filter: Option<String>,
    /// Time between sweeps for expired items (time to live), in ms [default: 1000].
    #[arg(long, env = "FERRODYN_TTL_SWEEP_INTERVAL_MS")]
    ttl_sweep_interval_ms: Option<u64>,
    /// Most expired items deleted per second [default: 20000].
    #[arg(long, env = "FERRODYN_TTL_DELETES_PER_SECOND")]
    ttl_deletes_per_second: Option<u32>,
    /// How long stream records are kept, in hours [default: 24].
    #[arg(long, env = "FERRODYN_STREAM_RETENTION_HOURS")]
    stream_retention_hours: Option<u64>,
    /// Address of the peer port; makes this node a cluster member (a new cluster of one unless
    /// --join is given).
    #[arg(long, env = "FERRODYN_PEER_LISTEN")]
    peer_listen: Option<SocketAddr>,
    /// Peer address (host:port) of a member to join through, on this node's first start.
    #[arg(long, env = "FERRODYN_JOIN", requires = "peer_listen")]
    join: Option<String>,
    /// Seconds a member may not answer before its replicas are rebuilt on the other members
    /// [default: 60].
    #[arg(long, env = "FERRODYN_FAILURE_TIMEOUT_SECS")]
    failure_timeout_secs: Option<u64>,
    /// Partitions of each new table, each its own replica group (cluster members; 1 to 64)
    /// [default: 1]. Their global secondary indexes follow them asynchronously.
    #[arg(long, env = "FERRODYN_TABLE_PARTITIONS", value_parser = clap::value_parser!(u32).range(1..=64))]
    table_partitions: Option<u32>,
}

/// `ferrodyn cluster ...`.
#[derive(Subcommand, Debug)]
enum ClusterCommand {
    /// Show the members and the tables' partitions as a node knows them.
    Status {
        /// The node's DynamoDB endpoint.
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        endpoint: String,
        /// Print the JSON the node serves instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Move a member's replicas to the others; it leaves the cluster once it holds none.
    Decommission {
        /// The member's id, as `ferrodyn cluster status` shows it.
        node: String,
        /// Any member's DynamoDB endpoint.
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        endpoint: String,
    },
}

fn bench_baseline(listen: SocketAddr) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ferrodyn-worker")
        .build()
        .expect("the tokio runtime can be built");
    match runtime.block_on(ferrodyn_server::canned::serve(listen)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("ferrodyn bench-baseline: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn cluster(command: ClusterCommand) -> ExitCode {
    match command {
        ClusterCommand::Status { endpoint, json } => {
            match ferrodyn_server::status::fetch(&endpoint) {
                Ok(status) if json => {
                    println!("{status}");
                    ExitCode::SUCCESS
                }
                Ok(status) => {
                    print!("{}", ferrodyn_server::status::render(&status));
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("ferrodyn cluster status: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
        ClusterCommand::Decommission { node, endpoint } => {
            match ferrodyn_server::status::decommission(&endpoint, &node) {
                Ok(_) => {
                    println!(
                        "{node} is leaving: its replicas move to the other members, then it \
                         leaves the cluster (watch `ferrodyn cluster status`)"
                    );
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("ferrodyn cluster decommission: {error:#}");
                    ExitCode::FAILURE
                }
            }
        }
    }
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
        if let Some(threads) = self.worker_threads {
            config.worker_threads = Some(usize::from(threads));
        }
        if let Some(ms) = self.request_read_timeout_ms {
            config.request_read_timeout_ms = ms;
        }
        if self.mmap_reads {
            config.mmap_reads = true;
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
        if let Some(ms) = self.ttl_sweep_interval_ms {
            config.ttl_sweep_interval_ms = ms;
        }
        if let Some(rate) = self.ttl_deletes_per_second {
            config.ttl_deletes_per_second = rate;
        }
        if let Some(hours) = self.stream_retention_hours {
            config.stream_retention_hours = hours;
        }
        if let Some(address) = self.peer_listen {
            config.peer_listen = Some(address);
        }
        if let Some(join) = self.join {
            config.join = Some(join);
        }
        if let Some(secs) = self.failure_timeout_secs {
            config.failure_timeout_secs = secs;
        }
        if let Some(partitions) = self.table_partitions {
            config.table_partitions = partitions;
        }
        if config.join.is_some() && config.peer_listen.is_none() {
            anyhow::bail!("--join needs --peer-listen: a member must have a peer port");
        }
        Ok(config)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        Some(Command::Bench(args)) => return bench(args),
        Some(Command::Cluster(command)) => return cluster(command),
        Some(Command::BenchBaseline { listen }) => return bench_baseline(listen),
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
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = config.worker_threads {
        builder.worker_threads(threads.max(1));
    }
    let runtime = builder
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

/// Flags of `ferrodyn bench`; the defaults are those of [`ferrodyn_bench::BenchConfig::new`].
#[derive(Args, Debug)]
struct BenchArgs {
    /// DynamoDB endpoint, http://HOST[:PORT].
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    endpoint: String,
    /// Table to create and load (or use, with --skip-load) [default: usertable].
    #[arg(long)]
    table: Option<String>,
    /// YCSB core workload a-f, or one operation alone.
    #[arg(long, value_enum, default_value = "a")]
    workload: WorkloadArg,
    /// Records to load [default: 100000].
    #[arg(long)]
    items: Option<u64>,
    /// Payload bytes per record [default: 100].
    #[arg(long)]
    value_size: Option<usize>,
    /// Attributes the payload is split over [default: 1].
    #[arg(long)]
    fields: Option<usize>,
    /// Requests in flight at once, one connection each [default: 32].
    #[arg(long)]
    concurrency: Option<usize>,
    /// Length of the measured phase in seconds [default: 10].
    #[arg(long, conflicts_with = "ops")]
    duration: Option<f64>,
    /// Operations to run instead of a duration.
    #[arg(long)]
    ops: Option<u64>,
    /// Request distribution [default: the workload's: latest for d, zipfian otherwise].
    #[arg(long, value_enum)]
    distribution: Option<DistributionArg>,
    /// Strongly consistent reads.
    #[arg(long)]
    consistent_read: bool,
    /// Run against the existing table's first --items records instead of creating and loading it.
    #[arg(long)]
    skip_load: bool,
    /// Print one JSON object per line (load, each operation, total) instead of a table.
    #[arg(long)]
    json: bool,
    /// Write an SVG of throughput and p99 latency over time.
    #[arg(long, value_name = "FILE.svg")]
    plot: Option<PathBuf>,
    /// Process id of the server, to report its CPU time per operation and peak RSS.
    #[arg(long, value_name = "PID")]
    server_pid: Option<u32>,
    /// Request timeout in milliseconds [default: 10000].
    #[arg(long)]
    timeout_ms: Option<u64>,
    /// Threads of the client [default: one per core].
    #[arg(long)]
    client_threads: Option<usize>,
    /// Seed of the random choices [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// Do not draw the progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Global secondary indexes of the created table (gsi<i> on field<i mod fields>, ALL).
    #[arg(long, default_value_t = 0)]
    gsis: usize,
    /// Create the table with a stream of this view type (the stream workload: NEW_AND_OLD_IMAGES).
    #[arg(long, value_name = "VIEW_TYPE")]
    stream: Option<String>,
    /// Also load this many records whose TTL attribute `expires` is an hour past.
    #[arg(long, default_value_t = 0)]
    expired_items: u64,
    /// This many seconds into the run, add a GSI and report its backfill; the run ends when it is ACTIVE.
    #[arg(long, value_name = "SECS", conflicts_with = "enable_ttl_after")]
    add_gsi_after: Option<f64>,
    /// This many seconds into the run, enable TTL on `expires` and report the sweep; the run
    /// ends when the expired records are gone.
    #[arg(long, value_name = "SECS")]
    enable_ttl_after: Option<f64>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum WorkloadArg {
    A,
    B,
    C,
    D,
    E,
    F,
    Put,
    Get,
    Update,
    Query,
    Scan,
    Stream,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DistributionArg {
    Uniform,
    Zipfian,
    Latest,
}

impl BenchArgs {
    fn into_config(self) -> anyhow::Result<ferrodyn_bench::BenchConfig> {
        use ferrodyn_bench::{Distribution, Workload};
        let workload = match self.workload {
            WorkloadArg::A => Workload::A,
            WorkloadArg::B => Workload::B,
            WorkloadArg::C => Workload::C,
            WorkloadArg::D => Workload::D,
            WorkloadArg::E => Workload::E,
            WorkloadArg::F => Workload::F,
            WorkloadArg::Put => Workload::Put,
            WorkloadArg::Get => Workload::Get,
            WorkloadArg::Update => Workload::Update,
            WorkloadArg::Query => Workload::Query,
            WorkloadArg::Scan => Workload::Scan,
            WorkloadArg::Stream => Workload::Stream,
        };
        let mut config = ferrodyn_bench::BenchConfig::new(self.endpoint, workload);
        if let Some(table) = self.table {
            config.table = table;
        }
        if let Some(items) = self.items {
            config.items = items;
        }
        if let Some(value_size) = self.value_size {
            config.value_size = value_size;
        }
        if let Some(fields) = self.fields {
            config.fields = fields;
        }
        if let Some(concurrency) = self.concurrency {
            config.concurrency = concurrency;
        }
        if let Some(seconds) = self.duration {
            let duration = std::time::Duration::try_from_secs_f64(seconds)
                .map_err(|_| anyhow::anyhow!("--duration {seconds} is not a number of seconds"))?;
            config.stop = ferrodyn_bench::Stop::After(duration);
        }
        if let Some(ops) = self.ops {
            config.stop = ferrodyn_bench::Stop::Operations(ops);
        }
        config.distribution = self.distribution.map(|distribution| match distribution {
            DistributionArg::Uniform => Distribution::Uniform,
            DistributionArg::Zipfian => Distribution::Zipfian,
            DistributionArg::Latest => Distribution::Latest,
        });
        config.consistent_read = self.consistent_read;
        config.skip_load = self.skip_load;
        if self.json {
            config.output = ferrodyn_bench::Output::Json;
        }
        config.plot = self.plot;
        config.server_pid = self.server_pid;
        if let Some(ms) = self.timeout_ms {
            config.request_timeout = std::time::Duration::from_millis(ms);
        }
        config.client_threads = self.client_threads;
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        config.progress = !self.no_progress;
        config.gsis = self.gsis;
        config.stream = self.stream;
        config.expired_items = self.expired_items;
        let task = match (self.add_gsi_after, self.enable_ttl_after) {
            (Some(after), _) => Some((ferrodyn_bench::TableTask::AddIndex, after)),
            (None, Some(after)) => Some((ferrodyn_bench::TableTask::EnableTtl, after)),
            (None, None) => None,
        };
        if let Some((task, seconds)) = task {
            let after = std::time::Duration::try_from_secs_f64(seconds)
                .map_err(|_| anyhow::anyhow!("{seconds} is not a number of seconds"))?;
            config.task = Some((task, after));
        }
        Ok(config)
    }
}

/// `ferrodyn bench`: exit 0 with a report (request errors are in it), 2 for bad flags, 130 for
/// Ctrl-C during the load, 1 when nothing could be measured.
fn bench(args: BenchArgs) -> ExitCode {
    let config = match args.into_config() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("ferrodyn bench: {error:#}");
            return ExitCode::from(2);
        }
    };
    match ferrodyn_bench::run(&config) {
        Ok(_) => ExitCode::SUCCESS,
        Err(error @ ferrodyn_bench::BenchError::Config(_)) => {
            eprintln!("ferrodyn bench: {error}");
            ExitCode::from(2)
        }
        Err(error @ ferrodyn_bench::BenchError::Interrupted { .. }) => {
            eprintln!("ferrodyn bench: {error}");
            ExitCode::from(130)
        }
        Err(error) => {
            eprintln!("ferrodyn bench: {error}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,openraft=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
