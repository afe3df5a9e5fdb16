//! The command line as clap reads it: every command's flags, spelled as
//! DESIGN.md's contract says. Turning them into the library's option
//! structs is [`setup`](crate::setup)'s job.

use clap::{Args, Parser, Subcommand, ValueEnum};
use moneytrail::ingest::Format;
use moneytrail::report::GraphFormat;
use moneytrail::time::Span;
use moneytrail::trace::Rule;
use rust_decimal::Decimal;
use std::path::PathBuf;

/// Financial-flow investigation analytics.
#[derive(Parser, Debug)]
#[command(name = "moneytrail", version, about, long_about = None)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Command {
    /// Load a transfers file and print what it holds: rows, accounts,
    /// assets, time span, volume per asset and channel, and the load report.
    Summary(SummaryArgs),
    /// Run every typology detector and write findings, flagged accounts and
    /// a run summary.
    Analyze(AnalyzeArgs),
    /// Grade findings against an answer key: pattern, transfer and account
    /// level.
    Score(ScoreArgs),
    /// Follow money forward under an allocation rule from an account's
    /// proceeds, what it sent (--sent) or one payment (--transfer), or
    /// (--backward) explain where the money in its balance came from.
    Trace(TraceArgs),
    /// List time-respecting paths between two accounts, shortest first.
    Paths(PathsArgs),
    /// Write a synthetic training set with planted laundering and its answer key.
    Generate(GenerateArgs),
    /// Export selected findings as a goAML-style suspicious-transaction
    /// report (XML; see docs/goaml.md for the field mapping).
    Goaml(GoamlArgs),
    /// Cluster the addresses of on-chain (UTXO) transactions by common
    /// input ownership, apply attribution tags, and explain why two
    /// addresses share a cluster.
    Cluster(ClusterArgs),
    /// Build a case file for each subject (accounts or addresses with a case
    /// reference), in parallel: flows, findings, traces, links, what could be frozen.
    Investigate(InvestigateArgs),
    /// The share of an account's (address's, cluster's) money that came
    /// from or went to each category of tagged entity, directly and within N hops.
    Exposure(ExposureArgs),
    /// Exact enumerations for benchmarks and cross-checks with other tools:
    /// every temporal cycle, or every layering chain (see moneytrail::enumerate).
    Enumerate(EnumerateArgs),
    /// One account at a glance: its flows by counterparty and asset, its
    /// findings, its balance, its cluster and tags.
    Account(AccountArgs),
    /// The training exercises: list them, or run one (its data, the
    /// trainee's copy with a worksheet, the worked answer and its check).
    Exercise(ExerciseArgs),
    /// Features per transfer for learned scoring: features.parquet, one row
    /// per transfer in input row order (docs/features.md).
    Features(FeaturesArgs),
    /// Train a learned-scoring model on labelled transfers: the last 20%
    /// by time validates; writes the model and metrics.json into --out.
    Train(TrainArgs),
    /// Load transfers files once into a time-partitioned store (plain
    /// Parquet, docs/store.md) that every command reads with --store.
    Ingest(IngestArgs),
}

impl Command {
    /// The worker threads asked for (`--threads`), if any.
    pub(crate) fn threads(&self) -> Option<usize> {
        let input = match self {
            Command::Summary(a) => &a.input,
            Command::Analyze(a) => &a.input,
            Command::Trace(a) => &a.input,
            Command::Paths(a) => &a.input,
            Command::Goaml(a) => &a.input,
            Command::Investigate(a) => &a.input,
            Command::Exposure(a) => &a.input,
            Command::Enumerate(a) => &a.input,
            Command::Account(a) => &a.input,
            Command::Features(a) => &a.input,
            Command::Train(a) => &a.input,
            Command::Ingest(a) => return a.read.threads,
            Command::Score(_)
            | Command::Generate(_)
            | Command::Cluster(_)
            | Command::Exercise(_) => return None,
        };
        input.read.threads
    }
}

#[derive(Subcommand, Debug)]
pub(crate) enum ExerciseCommand {
    /// The exercises, one line each.
    List,
    /// Generate an exercise's data into --out (trainer/ with the answer
    /// key, trainee/ with a worksheet and no answers), work it and check
    /// the answer; exits 1 if the check fails.
    Run {
        /// The exercise (see `moneytrail exercise list`).
        name: String,
        /// Folder to write into (default: exercise-NAME).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ExerciseArgs {
    #[command(subcommand)]
    pub(crate) command: ExerciseCommand,
}

#[derive(Args, Debug)]
pub(crate) struct AccountArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// The account's key (an address for UTXO input).
    pub(crate) key: String,
    /// Detector parameters for its findings, TOML or JSON.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Attribution tags: `address,entity,category[,source,confidence]`
    /// (default: data/sample_tags.csv on the shipped UTXO sample).
    #[arg(long)]
    pub(crate) tags: Option<PathBuf>,
    /// Counterparties and findings to list.
    #[arg(long, default_value_t = 10)]
    pub(crate) top: usize,
    /// Reporting currency.
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// FX table: `asset,rate` lines (default: the FX file beside the input,
    /// completed by rates the data implies).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EnumerateTask {
    Cycles,
    Chains,
    Reach,
}

#[derive(Args, Debug)]
pub(crate) struct EnumerateArgs {
    /// What to enumerate.
    #[arg(value_enum)]
    pub(crate) task: EnumerateTask,
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Most transfers in a cycle (at most 16) or chain.
    #[arg(long, default_value_t = 4)]
    pub(crate) max_hops: usize,
    /// Cycles: the whole cycle within this of its first transfer.
    #[arg(long, default_value = "2d")]
    pub(crate) window: Span,
    /// Chains: fewest transfers.
    #[arg(long, default_value_t = 2)]
    pub(crate) min_hops: usize,
    /// Chains: longest wait between a transfer and the next.
    #[arg(long, default_value = "24h")]
    pub(crate) max_dwell: Span,
    /// Chains: the next transfer pays at least this multiple of what the
    /// previous one delivered.
    #[arg(long, default_value = "0.9")]
    pub(crate) min_ratio: Decimal,
    /// Chains: … and at most this multiple.
    #[arg(long, default_value = "1.02")]
    pub(crate) max_ratio: Decimal,
    /// Results kept per first transfer.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) max_per_start: usize,
    /// Reach: the seed accounts, one key per line.
    #[arg(long)]
    pub(crate) seeds: Option<PathBuf>,
    /// Write the items, one per line as the data rows of their transfers
    /// (reach: `seed account row` of the earliest arrival).
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
    /// Print one JSON line (task, items, truncated, seconds) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct ExposureArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Attribution tags: `address,entity,category,source,confidence`.
    #[arg(long)]
    pub(crate) tags: PathBuf,
    /// The account or address.
    #[arg(long)]
    pub(crate) account: String,
    /// UTXO data: the address's whole cluster (common-input ownership,
    /// CoinJoins left out) is the subject.
    #[arg(long)]
    pub(crate) cluster: bool,
    /// Most transfers between the subject and a tagged account (1: direct only).
    #[arg(long, default_value_t = 3)]
    pub(crate) max_hops: u16,
    /// Allocation rule of the traces.
    #[arg(long, value_enum, default_value = "fifo")]
    pub(crate) rule: RuleArg,
    #[command(flatten)]
    pub(crate) exchanges: ExchangeArgs,
    /// Reporting currency.
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// FX table: `asset,rate` lines (default: the FX file beside the input,
    /// completed by rates the data implies).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct InvestigateArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Subjects: `case_ref,subject` lines, a subject being an account or
    /// address key, or `cluster:<address>` (UTXO input); data/sample_subjects.csv
    /// when neither this nor --input is given.
    #[arg(long)]
    pub(crate) subjects: Option<PathBuf>,
    /// Allocation rule for the traces.
    #[arg(long, value_enum, default_value = "fifo")]
    pub(crate) rule: RuleArg,
    #[command(flatten)]
    pub(crate) exchanges: ExchangeArgs,
    /// Hops the traces follow.
    #[arg(long, default_value_t = 4)]
    pub(crate) max_hops: u16,
    /// Rows per table in the case files.
    #[arg(long, default_value_t = 25)]
    pub(crate) top: usize,
    /// Detector parameters for the findings, TOML or JSON.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Reporting currency.
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// FX table: `asset,rate` lines (default: the FX file beside the input,
    /// completed by rates the data implies).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
    /// Attribution tags: each case file then holds the subject's exposure
    /// to each category (within 3 hops).
    #[arg(long)]
    pub(crate) tags: Option<PathBuf>,
    /// Replace every account and address key by HMAC-SHA-256 under this
    /// key, the same in every file (for sharing across borders).
    #[arg(long, value_name = "KEY")]
    pub(crate) pseudonymise: Option<String>,
    /// Folder for the case files, index.json, index.csv and report.html.
    #[arg(long, short)]
    pub(crate) out: PathBuf,
    /// Write a Parquet file next to every CSV file.
    #[arg(long)]
    pub(crate) parquet: bool,
    /// Do not write report.html.
    #[arg(long)]
    pub(crate) no_report: bool,
    /// Write CSV cells as they are (no `'` before formula-like cells).
    #[arg(long)]
    pub(crate) raw_csv: bool,
    /// Also export each subject's neighbourhood (its 200 largest transfers)
    /// as graphs/case-<ref>.dot or .graphml.
    #[arg(long, value_enum)]
    pub(crate) export: Option<ExportArg>,
}

#[derive(Args, Debug)]
pub(crate) struct ClusterArgs {
    /// UTXO transactions, JSON lines (data/sample_utxo.jsonl when omitted).
    #[arg(long, short)]
    pub(crate) input: Option<PathBuf>,
    /// Skip bad lines and list them, instead of stopping at the first.
    #[arg(long)]
    pub(crate) lenient: bool,
    /// Attribution tags: `address,entity,category,source,confidence`.
    #[arg(long)]
    pub(crate) tags: Option<PathBuf>,
    /// Let likely CoinJoins merge their inputs too (off by default).
    #[arg(long)]
    pub(crate) keep_coinjoin: bool,
    /// Explain why two addresses share a cluster: `A,B`.
    #[arg(long, value_delimiter = ',')]
    pub(crate) explain: Vec<String>,
    /// Clusters to print, largest first.
    #[arg(long, default_value_t = 10)]
    pub(crate) top: usize,
    /// Folder for clusters.csv and addresses.csv.
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
    /// Write a Parquet file next to every CSV file.
    #[arg(long)]
    pub(crate) parquet: bool,
    /// Write CSV cells as they are (no `'` before formula-like cells).
    #[arg(long)]
    pub(crate) raw_csv: bool,
}

#[derive(Args, Debug)]
pub(crate) struct GoamlArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// findings.json written by `analyze` on the same input.
    #[arg(long)]
    pub(crate) findings: PathBuf,
    /// Finding ids to report (F000001…); repeat or separate with commas.
    #[arg(long = "id", value_delimiter = ',')]
    pub(crate) ids: Vec<String>,
    /// Report every finding of this typology (with --min-score).
    #[arg(long)]
    pub(crate) typology: Option<String>,
    /// Report findings scoring at least this (with --typology, or alone).
    #[arg(long)]
    pub(crate) min_score: Option<f64>,
    /// The reporting entity's id at the FIU.
    #[arg(long)]
    pub(crate) entity_id: String,
    /// The reporting entity's reference for this report (default: the
    /// finding ids).
    #[arg(long)]
    pub(crate) entity_reference: Option<String>,
    /// Why the transactions are suspicious (the findings' explanations are appended).
    #[arg(
        long,
        default_value = "Transactions flagged by moneytrail typology detection."
    )]
    pub(crate) reason: String,
    /// What the reporting entity has done.
    #[arg(long, default_value = "")]
    pub(crate) action: String,
    /// Local currency of the report (amount_local).
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// FX table: `asset,rate` lines, units of the local currency per unit
    /// (default: the FX file beside the input, completed by rates the data implies).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
    /// The XML file to write.
    #[arg(long, short)]
    pub(crate) out: PathBuf,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum PresetArg {
    Tiny,
    Small,
    Medium,
    Large,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum DifficultyArg {
    Easy,
    Normal,
    Hard,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum GenFormatArg {
    Transfers,
    Amlworld,
}

#[derive(Args, Debug)]
pub(crate) struct GenerateArgs {
    /// Size: tiny (5k transfers), small (100k), medium (1M), large (10M).
    #[arg(long, value_enum, default_value = "small")]
    pub(crate) preset: PresetArg,
    /// Honest accounts (overrides the preset).
    #[arg(long)]
    pub(crate) accounts: Option<usize>,
    /// Honest transfers (overrides the preset).
    #[arg(long)]
    pub(crate) transfers: Option<usize>,
    /// Days covered (overrides the preset).
    #[arg(long)]
    pub(crate) days: Option<u32>,
    /// Instances planted per typology (overrides the preset).
    #[arg(long)]
    pub(crate) per_typology: Option<usize>,
    /// How hard the planted patterns are to see.
    #[arg(long, value_enum, default_value = "normal")]
    pub(crate) difficulty: DifficultyArg,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Layout of transactions.csv.
    #[arg(long, value_enum, default_value = "transfers")]
    pub(crate) format: GenFormatArg,
    /// Write transactions.parquet instead of transactions.csv (transfers
    /// layout), and accounts.parquet beside accounts.csv.
    #[arg(long)]
    pub(crate) parquet: bool,
    /// Per-typology settings (TOML): `[fan_out] count = 10, size = 12,
    /// span_hours = 48, noise = 0.1`; `hops` for cycle and layering_chain.
    #[arg(long)]
    pub(crate) plan: Option<PathBuf>,
    /// Folder to write into.
    #[arg(long, short)]
    pub(crate) out: PathBuf,
    /// Also write the trainee's copy here: transactions.csv (or .parquet)
    /// and accounts.csv without labels or roles, no truth.json, no
    /// patterns.txt.
    #[arg(long)]
    pub(crate) trainee: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum FormatArg {
    Auto,
    Amlworld,
    Patterns,
    Amlsim,
    Transfers,
    Parquet,
    Jsonl,
    Utxo,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Auto => Format::Auto,
            FormatArg::Amlworld => Format::AmlWorld,
            FormatArg::Patterns => Format::Patterns,
            FormatArg::Amlsim => Format::AmlSim,
            FormatArg::Transfers => Format::Transfers,
            FormatArg::Parquet => Format::Parquet,
            FormatArg::Jsonl => Format::JsonLines,
            FormatArg::Utxo => Format::Utxo,
        }
    }
}

/// Options every command that reads transfers shares: a file, or a store
/// written by `moneytrail ingest` (only the time asked for is read).
#[derive(Args, Debug)]
pub(crate) struct InputArgs {
    /// Transfers file; the shipped sample (data/sample_transfers.csv) when
    /// neither this nor --store is given.
    #[arg(long, short, conflicts_with = "store")]
    pub(crate) input: Option<PathBuf>,
    /// A store written by `moneytrail ingest`, read instead of a file
    /// (rows in outputs are store rows: see its manifest.json).
    #[arg(long)]
    pub(crate) store: Option<PathBuf>,
    /// With --store: read only transfers at or after this time (RFC 3339
    /// or YYYY-MM-DD); only the partitions that hold some are read.
    #[arg(long, requires = "store", value_name = "TIME")]
    pub(crate) read_from: Option<String>,
    /// With --store: read only transfers before this time.
    #[arg(long, requires = "store", value_name = "TIME")]
    pub(crate) read_until: Option<String>,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
}

/// How files are read: by `--input` commands and by `ingest`.
#[derive(Args, Debug)]
pub(crate) struct ReadArgs {
    /// Layout of the input.
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) format: FormatArg,
    /// Skip bad rows and list them, instead of stopping at the first.
    #[arg(long)]
    pub(crate) lenient: bool,
    /// AMLSim account labels (default: nodes.csv beside the input).
    #[arg(long)]
    pub(crate) nodes: Option<PathBuf>,
    /// Asset of layouts that name none (AMLSim).
    #[arg(long, default_value = "USD")]
    pub(crate) asset: String,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
}

#[derive(Args, Debug)]
pub(crate) struct IngestArgs {
    /// Transfers files to add, in any layout --input reads; files that
    /// overlap in time are merged in time order.
    #[arg(long, short, required = true, num_args = 1..)]
    pub(crate) input: Vec<PathBuf>,
    /// The store's folder: created when it holds no store, extended with
    /// later transfers when it does.
    #[arg(long)]
    pub(crate) store: PathBuf,
    /// Length of a partition's time interval (a new store only; an
    /// existing one keeps its own).
    #[arg(long, default_value = "1d")]
    pub(crate) partition: Span,
    /// Read a file in pieces of this many rows, each sorted and spilled
    /// into the store's folder, then merged by partition: memory holds a
    /// piece (about 0.5 GiB at the default), not the whole file.
    #[arg(long, value_name = "ROWS", default_value_t = moneytrail::store::PIECE_ROWS, value_parser = clap::value_parser!(usize))]
    pub(crate) piece_rows: usize,
    #[command(flatten)]
    pub(crate) read: ReadArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum ExportArg {
    Dot,
    Graphml,
}

impl From<ExportArg> for GraphFormat {
    fn from(e: ExportArg) -> GraphFormat {
        match e {
            ExportArg::Dot => GraphFormat::Dot,
            ExportArg::Graphml => GraphFormat::GraphMl,
        }
    }
}

/// Options of the commands that write a results folder.
#[derive(Args, Debug)]
pub(crate) struct OutputArgs {
    /// Write a Parquet file next to every CSV file.
    #[arg(long)]
    pub(crate) parquet: bool,
    /// Also export flow pictures: one file per finding in graphs/
    /// (analyze), or trace.dot / trace.graphml (trace).
    #[arg(long, value_enum)]
    pub(crate) export: Option<ExportArg>,
    /// Do not write report.html.
    #[arg(long)]
    pub(crate) no_report: bool,
    /// Write CSV cells as they are: no `'` before cells a spreadsheet would
    /// run as formulas (=, +, -, @…), for programs that read the CSV files.
    #[arg(long)]
    pub(crate) raw_csv: bool,
}

/// What the features are computed with (`features` and `train`).
#[derive(Args, Debug)]
pub(crate) struct FeatureArgs {
    /// The endpoint window (24h, 7d…).
    #[arg(long, default_value = "24h")]
    pub(crate) window: Span,
    /// Also count temporal cycles of 2 to N transfers through each
    /// transfer within the window (cycle_2 … cycle_N; 0: none).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub(crate) cycle_hops: usize,
    /// Leave out the scatter-gather columns (sg_sources, sg_width).
    #[arg(long)]
    pub(crate) no_scatter_gather: bool,
    /// The window of each endpoint's history columns (its profile:
    /// counts, values, assets and age over this span before each transfer).
    #[arg(
        long,
        default_value = "30d",
        value_name = "SPAN",
        conflicts_with = "no_history"
    )]
    pub(crate) history: Span,
    /// Leave out the history columns (<side>_history_…).
    #[arg(long)]
    pub(crate) no_history: bool,
    /// Leave out the rule columns (what the detectors say about each
    /// transfer; they are not causal).
    #[arg(long)]
    pub(crate) no_rules: bool,
    /// Reporting currency of the value columns (a model scores only in
    /// the currency it was trained in).
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// FX table: `asset,rate` lines (default: the FX file beside the input,
    /// completed by rates the data implies).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct FeaturesArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    #[command(flatten)]
    pub(crate) features: FeatureArgs,
    /// Folder for features.parquet.
    #[arg(long, short)]
    pub(crate) out: PathBuf,
    /// Compute the columns time shard by time shard, intervals of this
    /// length (7d): each shard reads its interval plus the window before
    /// it (and after it, with --cycle-hops), and the rule columns come
    /// from the detectors run shard by shard (as `analyze --shard`). The
    /// same columns, value for value; one shard's graph held at a time.
    #[arg(long, value_name = "LENGTH")]
    pub(crate) shard: Option<Span>,
}

#[derive(Args, Debug)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Where the labels come from: the input's label column (the default;
    /// `Is Laundering`, `label` or `is_sar`), or an answer key file
    /// (moneytrail truth.json or an AMLworld patterns file).
    #[arg(long, value_name = "COLUMN_OR_FILE")]
    pub(crate) labels: Option<String>,
    #[command(flatten)]
    pub(crate) features: FeatureArgs,
    /// The most trees to grow (fewer when the validation loss stops improving).
    #[arg(long, default_value_t = 500)]
    pub(crate) rounds: usize,
    /// Seed of the trees' random choices.
    #[arg(long, default_value_t = 7)]
    pub(crate) seed: u64,
    /// The share of the transfers, latest by time, that validates.
    #[arg(long, default_value_t = 0.2)]
    pub(crate) validation_share: f64,
    /// The share of the training part's other (not laundering) rows the
    /// trees learn from, weighted up to stand for the rest (every
    /// laundering row is kept, and at least 50,000 others; 1 keeps all).
    #[arg(long, default_value_t = 0.25)]
    pub(crate) negative_share: f64,
    /// Folder for the model (model.json, trees.json) and metrics.json.
    #[arg(long, short)]
    pub(crate) out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct SummaryArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Print JSON (layout, load report and summary) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Args, Debug)]
pub(crate) struct AnalyzeArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Folder for findings.json, findings.csv, accounts.csv, summary.json and report.html.
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
    /// Detector parameters, TOML or JSON (see the README for every key).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Reporting currency (overrides the config's `currency`).
    #[arg(long)]
    pub(crate) currency: Option<String>,
    /// FX table: `asset,rate` lines, units of the reporting currency per unit
    /// (default: the FX file beside the input, `<stem>_fx.csv`, `<prefix>_fx.csv`
    /// or `fx.csv`, completed by rates the data's own conversions imply).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
    /// Findings to print, highest score first.
    #[arg(long, default_value_t = 10)]
    pub(crate) top: usize,
    /// Print the default configuration (TOML) and exit.
    #[arg(long)]
    pub(crate) print_config: bool,
    /// Findings to export with --export.
    #[arg(long, default_value_t = 200)]
    pub(crate) export_top: usize,
    /// Findings drawn in report.html (highest score first).
    #[arg(long, default_value_t = 100)]
    pub(crate) report_drawn: usize,
    /// A model folder written by `moneytrail train`: score every transfer
    /// (transfer_scores.csv, with the reasons for each flagged one) and
    /// give each finding the model's score. Needs --out.
    #[arg(long, value_name = "MODEL_DIR", requires = "out")]
    pub(crate) model: Option<PathBuf>,
    /// Run the detectors shard by shard, intervals of this length (30d),
    /// each with the overlap its detectors need (a finding belongs to the
    /// shard of its first transfer), and the per-account detectors in
    /// account parts; the findings are the unsharded run's
    /// (docs/detectors.md says why, per detector).
    #[arg(long, value_name = "DURATION")]
    pub(crate) shard: Option<Span>,
    /// Memory an analysis may take (8G, 512M; default: half the machine's
    /// memory). A whole --store expected to need more when held at once
    /// (450 bytes per transfer, the most measured) is analysed part by
    /// part, in shards of whole days enough for its size; a file expected
    /// to need more gets a note on how to analyse it part by part. A part
    /// also reads its detectors' overlap, so this chooses the shards; it
    /// does not promise the peak.
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_memory: Option<ByteSize>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

/// A size in bytes, written with an optional binary unit: `8G`, `8GiB`,
/// `512M`, `1.5G`, `4096`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteSize(pub(crate) u64);

impl std::str::FromStr for ByteSize {
    type Err = String;

    fn from_str(text: &str) -> Result<ByteSize, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let shift = match unit.trim().to_ascii_uppercase().as_str() {
            "" | "B" => 0,
            "K" | "KB" | "KIB" => 10,
            "M" | "MB" | "MIB" => 20,
            "G" | "GB" | "GIB" => 30,
            "T" | "TB" | "TIB" => 40,
            _ => return Err(format!("{text:?} is not a size like 8G, 512M or 4096")),
        };
        let value: Decimal = number
            .parse()
            .map_err(|_| format!("{text:?} is not a size like 8G, 512M or 4096"))?;
        let bytes = value * Decimal::from(1u64 << shift);
        u64::try_from(bytes.trunc())
            .ok()
            .filter(|&b| b > 0)
            .map(ByteSize)
            .ok_or_else(|| format!("{text:?} is not a size above zero that fits 64 bits"))
    }
}

impl std::fmt::Display for ByteSize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let bytes = self.0 as f64;
        match self.0 {
            b if b >= 1 << 30 => write!(f, "{:.1} GiB", bytes / f64::from(1u32 << 30)),
            b if b >= 1 << 20 => write!(f, "{:.1} MiB", bytes / f64::from(1u32 << 20)),
            _ => write!(f, "{:.1} KiB", bytes / 1024.0),
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct ScoreArgs {
    /// findings.json written by `analyze`.
    #[arg(long, required_unless_present = "transfer_scores")]
    pub(crate) findings: Option<PathBuf>,
    /// Grade a model's flags instead: transfer_scores.csv written by
    /// `analyze --model` (each flagged transfer counts as a finding of
    /// typology `model`). Needs --input.
    #[arg(
        long,
        conflicts_with = "findings",
        requires = "input",
        value_name = "FILE"
    )]
    pub(crate) transfer_scores: Option<PathBuf>,
    /// Grade only from this 0-based data row on: each attempt cut to its
    /// rows there, labelled and flagged rows there (for a temporal test
    /// part, e.g. the rows a model did not train on). The account level
    /// is not graded then.
    #[arg(long, value_name = "ROW")]
    pub(crate) from_row: Option<u32>,
    /// Answer key: moneytrail truth.json, an AMLworld patterns file, AMLSim
    /// nodes.csv, or a labelled transactions file.
    #[arg(long)]
    pub(crate) truth: PathBuf,
    /// The analysed input (needed to match a patterns file by content, and
    /// for the details of --missed).
    #[arg(long)]
    pub(crate) input: Option<PathBuf>,
    /// Grade only findings of these typologies (repeatable).
    #[arg(long)]
    pub(crate) typology: Vec<String>,
    /// Grade only findings scoring at least this.
    #[arg(long, default_value_t = 0.0)]
    pub(crate) min_score: f64,
    /// Print JSON instead of tables.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also list the attempts not found (the JSON form always has them);
    /// with --input, each one's accounts, amounts, times and the
    /// thresholds of its detector it fails.
    #[arg(long)]
    pub(crate) missed: bool,
    /// Detector parameters the findings were made with (for --missed), TOML or JSON.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}

/// How traces treat exchanges.
#[derive(Args, Debug, Clone)]
pub(crate) struct ExchangeArgs {
    /// At an exchange: `linked` follows a deposit on into the payouts it is
    /// linked to (by the asset-hop detector's round trips, or by
    /// --exchange-links); `stop` leaves the taint at the exchange and says
    /// what it paid out after. Default `linked` (`stop` for a trace read
    /// part by part, `trace --stream`).
    #[arg(long, value_enum)]
    pub(crate) through_exchanges: Option<ThroughArg>,
    /// An exchange's own pairing of deposits and payouts: a CSV file with
    /// columns `deposit,payout` (each a TX_ID or row:N), followed instead of
    /// the detected links.
    #[arg(long, value_name = "FILE", conflicts_with = "through_exchanges")]
    pub(crate) exchange_links: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ThroughArg {
    Linked,
    Stop,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum RuleArg {
    Fifo,
    Lifo,
    Haircut,
    Poison,
    Libr,
}

impl From<RuleArg> for Rule {
    fn from(r: RuleArg) -> Rule {
        match r {
            RuleArg::Fifo => Rule::Fifo,
            RuleArg::Lifo => Rule::Lifo,
            RuleArg::Haircut => Rule::Haircut,
            RuleArg::Poison => Rule::Poison,
            RuleArg::Libr => Rule::Libr,
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct TraceArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// The account whose proceeds (with --sent, whose payments; with
    /// --backward, whose balance) to trace.
    #[arg(long, required_unless_present = "transfer")]
    pub(crate) account: Option<String>,
    /// Trace one payment instead: its transaction id, or `row:N` for the
    /// transfers of 0-based data row N (repeatable).
    #[arg(long, value_name = "TX_ID|row:N", conflicts_with_all = ["account", "sent", "backward", "since"])]
    pub(crate) transfer: Vec<String>,
    /// Trace what the account paid out (from --since on), not what it received.
    #[arg(long, conflicts_with = "backward")]
    pub(crate) sent: bool,
    /// Trace what the account receives (or, with --sent, pays) from this
    /// time on (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub(crate) since: Option<String>,
    /// At most this much of the proceeds (or payments, or the transfer), per asset.
    #[arg(long)]
    pub(crate) amount: Option<Decimal>,
    /// Allocation rule.
    #[arg(long, value_enum, default_value = "fifo")]
    pub(crate) rule: RuleArg,
    /// Explain where the account's balance came from instead (source of funds).
    #[arg(long)]
    pub(crate) backward: bool,
    /// With --backward: the balance at this time (default: the end of the data).
    #[arg(long)]
    pub(crate) at: Option<String>,
    /// Follow at most this many transfers.
    #[arg(long, default_value_t = 12)]
    pub(crate) max_hops: u16,
    /// Follow transfers up to this time only.
    #[arg(long)]
    pub(crate) horizon: Option<String>,
    /// Drop taint below this amount on a transfer (counted as dust).
    #[arg(long, default_value = "0.01")]
    pub(crate) min_amount: Decimal,
    #[command(flatten)]
    pub(crate) exchanges: ExchangeArgs,
    /// Folder for trace.json, holdings.csv, flows.csv and report.html (trace.json, sources.csv and report.html with --backward).
    #[arg(long, short)]
    pub(crate) out: Option<PathBuf>,
    /// Holdings or sources to print.
    #[arg(long, default_value_t = 10)]
    pub(crate) top: usize,
    /// Known opening balances: `account,asset,amount` lines (others default
    /// to the least that keeps each account from going negative).
    #[arg(long)]
    pub(crate) opening: Option<PathBuf>,
    /// Reporting currency for the value of holdings.
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// FX table: `asset,rate` lines (default: the FX file beside the input,
    /// see docs/commands.md, completed by rates the data implies).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
    /// Print trace.json's document instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Read the data part by part, this many transfers at a time (default
    /// 2,000,000): memory holds one part, and each account's balance and
    /// taint, instead of every transfer (with --store only that part is
    /// read from disk). With --backward: hold only the store's transfers
    /// up to --at. The same trace, but taint stops at exchanges
    /// (--through-exchanges stop).
    #[arg(
        long,
        value_name = "TRANSFERS",
        num_args = 0..=1,
        default_missing_value = "2000000"
    )]
    pub(crate) stream: Option<usize>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

#[derive(Args, Debug)]
pub(crate) struct PathsArgs {
    #[command(flatten)]
    pub(crate) input: InputArgs,
    /// Start account.
    #[arg(long)]
    pub(crate) from: String,
    /// End account.
    #[arg(long)]
    pub(crate) to: String,
    /// Most transfers in a path.
    #[arg(long, default_value_t = 6)]
    pub(crate) max_hops: usize,
    /// The whole path within this of its first transfer (24h, 7d…).
    #[arg(long, default_value = "30d")]
    pub(crate) window: Span,
    /// Most paths to list.
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: usize,
    /// Smallest hop value, in the reporting currency.
    #[arg(long, default_value = "0")]
    pub(crate) min_amount: Decimal,
    /// Smallest share of the previous hop each hop carries (0 to 1).
    #[arg(long, default_value_t = 0.0)]
    pub(crate) min_retention: f64,
    /// Only paths whose first transfer is at or after this time (RFC 3339
    /// or YYYY-MM-DD). With --store (and no --read-from/--read-until) only
    /// the partitions of the paths' horizon are read: from --since to
    /// --until plus the window.
    #[arg(long, value_name = "TIME")]
    pub(crate) since: Option<String>,
    /// Only paths whose first transfer is before this time.
    #[arg(long, value_name = "TIME")]
    pub(crate) until: Option<String>,
    /// Reporting currency for bottlenecks.
    #[arg(long, default_value = "USD")]
    pub(crate) currency: String,
    /// FX table: `asset,rate` lines (default: the FX file beside the input,
    /// completed by rates the data implies).
    #[arg(long)]
    pub(crate) fx: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::ByteSize;

    #[test]
    fn sizes_read_with_binary_units() {
        let gib = 1u64 << 30;
        assert_eq!("8G".parse(), Ok(ByteSize(8 * gib)));
        assert_eq!("8 GiB".parse(), Ok(ByteSize(8 * gib)));
        assert_eq!("1.5g".parse(), Ok(ByteSize(3 * gib / 2)));
        assert_eq!("512M".parse(), Ok(ByteSize(512 << 20)));
        assert_eq!("4096".parse(), Ok(ByteSize(4096)));
        assert_eq!(ByteSize(3 * gib / 2).to_string(), "1.5 GiB");
        assert_eq!(ByteSize(1_350_000).to_string(), "1.3 MiB");
        assert_eq!(ByteSize(204_800).to_string(), "200.0 KiB");
        for bad in ["", "G", "8X", "-1G", "0", "1e9", "99999999999T"] {
            assert!(bad.parse::<ByteSize>().is_err(), "{bad:?} was read");
        }
    }
}
