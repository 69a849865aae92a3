//! `lake`: turn Prowler OCSF scans into a Parquet lake and look at what landed.
//!
//! All policy lives here: arguments, output formats, progress bars and exit codes
//! (0 success, 1 a source failed or was partial, 2 usage or setup error).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use lake_core::{DecoderOptions, IsoWeek, Overrides};
use lake_query::{named_queries, Dialect, Params};
use lake_store::ingest::{self, IngestOptions};
use lake_store::{Location, ScanRecord, Source};
use output::OutputFormat;

mod output;
mod report;
mod table;

/// Turn the weekly Prowler OCSF scans of a cloud organisation into a Parquet data lake.
#[derive(Parser, Debug)]
#[command(name = "lake", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug, Clone)]
struct LakeArg {
    /// The lake: a local directory or s3://bucket/prefix.
    #[arg(long, env = "LAKE_URL", default_value = "./lake")]
    lake: String,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Ingest OCSF scan files into the lake.
    Ingest {
        /// Files, directories (every *.ocsf.json below), globs, or s3:// prefixes.
        #[arg(required = true)]
        sources: Vec<String>,
        #[command(flatten)]
        lake: LakeArg,
        /// Run id for every source (default: the run folder of the S3 layout, else Prowler's scan id).
        #[arg(long)]
        run_id: Option<String>,
        /// Account for every source (default: from the path, else the findings).
        #[arg(long)]
        account: Option<String>,
        /// ISO week for every source, e.g. 2026-W21 (default: the layout's week folder, else the scan's week).
        #[arg(long)]
        week: Option<IsoWeek>,
        /// Ingest again even when the manifest shows the same source already ingested.
        #[arg(long)]
        force: bool,
        /// Sources ingested at once (default: the number of cores).
        #[arg(long, short = 'j')]
        jobs: Option<usize>,
        /// Findings per Arrow batch.
        #[arg(long, default_value_t = DecoderOptions::default().batch_size)]
        batch_size: usize,
        /// Compression of the findings files: snappy (fastest to write and to query over
        /// many files) or zstd (about a third smaller: what Athena scans and bills).
        #[arg(long, value_enum, default_value_t = Compression::Snappy)]
        compression: Compression,
        /// Output: a table for people, or one JSON object per source.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show what was ingested: the scans manifest.
    Scans {
        #[command(flatten)]
        lake: LakeArg,
        /// Only this ISO week.
        #[arg(long)]
        week: Option<IsoWeek>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Compact closed partitions: copy each week's findings into a few files ordered by
    /// check, which lake's queries read instead (Athena and other engines keep reading the
    /// partitions as ingested). `lake ingest` does this for partitions a week older than the newest.
    /// Also writes the caches an older lake lacks: each findings file's observed cells,
    /// each week's changes against the week before (what diff, summary and trend read), and
    /// each week's open failures with their lifecycle over the default 13-week window (what
    /// priorities, owners, landing-zones and the summary's risk section read).
    Compact {
        #[command(flatten)]
        lake: LakeArg,
        /// Every partition with more than one file, the newest included.
        #[arg(long)]
        all: bool,
    },
    /// Print the raw OCSF JSON of a finding, read back from its source.
    Show {
        /// The finding key (`finding_key` in every query's rows), or the producer's uid of
        /// the finding (`finding_info.uid`).
        #[arg(value_name = "KEY_OR_UID")]
        finding: String,
        #[command(flatten)]
        lake: LakeArg,
        /// Every scan of the finding, not only the latest.
        #[arg(long)]
        all: bool,
    },
    /// Run a named query (see `lake queries`) or ad-hoc SQL over the lake.
    Query {
        /// The named query: diff, lookback, posture, trend, compliance, summary, priorities,
        /// owners, landing-zones (`lake queries` lists them with their parameters).
        #[arg(required_unless_present = "sql", conflicts_with = "sql")]
        name: Option<String>,
        /// Ad-hoc SQL over the tables `findings` and `scans` and the views `landed_scans`,
        /// `latest_findings` and `finding_changes` (`--week` picks the week it classifies).
        #[arg(long)]
        sql: Option<String>,
        #[command(flatten)]
        params: QueryParams,
        /// Print the named query in this SQL dialect with its parameters bound, instead of
        /// running it (`athena`: Trino SQL over the tables of `lake athena ddl`).
        #[arg(long, value_enum, conflicts_with = "sql")]
        dialect: Option<DialectArg>,
        /// Run the query but print, instead of its rows, DataFusion's plan with what each
        /// step did: rows, time, bytes read, files and pages pruned (EXPLAIN ANALYZE).
        #[arg(long, conflicts_with = "dialect")]
        explain: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        lake: LakeArg,
    },
    /// List the named queries and their parameters.
    Queries,
    /// The weekly report of a week: Markdown, HTML with charts, Confluence or XLSX.
    Report(report::ReportArgs),
    /// The summary-inputs JSON of a week (shorthand for `lake query summary --format json`).
    Summary {
        #[command(flatten)]
        params: WeekParams,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<std::path::PathBuf>,
        /// Also write the week's `diff` rows (a JSON array, as `lake query diff --format
        /// json`) to this file, from the same classification of the week's changes: the two
        /// files the Lambda writes, for about the cost of the summary alone.
        #[arg(long, value_name = "FILE")]
        diff_output: Option<std::path::PathBuf>,
        #[command(flatten)]
        lake: LakeArg,
    },
    /// Athena: the DDL of the lake's tables (named queries: `lake query NAME --dialect athena`).
    Athena {
        #[command(subcommand)]
        command: AthenaCommand,
    },
    /// The business context: landing zones, accounts, resource rules (versioned).
    Context {
        #[command(subcommand)]
        command: ContextCommand,
    },
    /// Print the lake schema.
    Schema {
        /// As SCHEMA.md.
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
        /// As JSON: tables, columns, SQL types, nullability.
        #[arg(long)]
        json: bool,
    },
}

/// `lake context ...`.
#[derive(Subcommand, Debug)]
enum ContextCommand {
    /// Validate a context file and store it as a new version.
    Set {
        /// The context file (YAML; see README, "Owners, landing zones and risk").
        file: std::path::PathBuf,
        /// The first week it judges (default: the current ISO week). Weeks before the
        /// first version are judged by it too.
        #[arg(long)]
        from: Option<IsoWeek>,
        #[command(flatten)]
        lake: LakeArg,
    },
    /// Validate a context file without storing it.
    Check {
        /// The context file.
        file: std::path::PathBuf,
    },
    /// The stored versions: number, effective week, when set, from which file.
    List {
        #[command(flatten)]
        lake: LakeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// The accounts and rules of one version (default: the latest).
    Show {
        /// Version number.
        #[arg(long)]
        version: Option<i64>,
        #[command(flatten)]
        lake: LakeArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
}

/// Reads and validates a context file; errors name the file, line and column of each problem.
fn read_context(file: &std::path::Path) -> Result<(lake_core::context::Context, String)> {
    use sha2::Digest as _;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let text = std::str::from_utf8(&bytes)
        .with_context(|| format!("{}: not UTF-8 text", file.display()))?;
    let context = lake_core::context::parse(text).map_err(|errors| {
        let lines: Vec<String> = errors
            .0
            .iter()
            .map(|e| format!("{}:{}:{}: {}", file.display(), e.line, e.column, e.message))
            .collect();
        anyhow::anyhow!(
            "{} problem{} in the context file:\n{}",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            lines.join("\n")
        )
    })?;
    let digest = sha2::Sha256::digest(&bytes);
    let sha: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok((context, sha))
}

/// SQL dialects a named query can be printed in.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum DialectArg {
    /// Athena engine v3 (Trino SQL).
    Athena,
    /// DataFusion, as `lake query` runs it (parameters as `$name` placeholders).
    Datafusion,
}

#[derive(Subcommand, Debug)]
enum AthenaCommand {
    /// Print CREATE EXTERNAL TABLE statements for `findings` and `scans` (Parquet, partition
    /// projection on dt), generated from the schema the writer uses.
    Ddl {
        /// The lake's location, e.g. s3://bucket/prefix (file:///path for Spark on a local lake).
        #[arg(long)]
        location: String,
        /// Glue database.
        #[arg(long, default_value = "lake")]
        database: String,
        /// First dt partition projection enumerates, YYYY-MM-DD.
        #[arg(long, default_value = lake_core::athena::DEFAULT_PROJECTION_START)]
        start: chrono::NaiveDate,
    },
}

/// Parameters of the named queries; each is validated before it reaches SQL.
#[derive(Args, Debug, Clone, Default)]
struct QueryParams {
    /// ISO week, e.g. 2026-W21.
    #[arg(long)]
    week: Option<IsoWeek>,
    /// Week to compare with (default: the latest earlier week with data).
    #[arg(long)]
    against: Option<IsoWeek>,
    /// Check id (lookback).
    #[arg(long)]
    check: Option<String>,
    /// Window length in days (lookback, default 90).
    #[arg(long)]
    days: Option<u32>,
    /// Last day of the window, YYYY-MM-DD (lookback, default today).
    #[arg(long)]
    as_of: Option<chrono::NaiveDate>,
    /// Number of latest weeks (trend, default 12).
    #[arg(long)]
    weeks: Option<u32>,
    /// Compliance framework, e.g. CIS-3.0 (compliance).
    #[arg(long)]
    framework: Option<String>,
    /// Sample size (summary, default 50).
    #[arg(long)]
    sample: Option<u32>,
    /// Only this producer's scans: prowler, securityhub, ... (default: every producer, each
    /// judged on its own evidence).
    #[arg(long)]
    source: Option<String>,
    /// Only findings whose risk score is at least this, 0-100 (priorities, owners).
    #[arg(long)]
    min_risk: Option<u32>,
    /// Only findings open at least this many days (priorities, owners).
    #[arg(long)]
    min_age: Option<u32>,
    /// Only this severity and above, e.g. high (priorities, owners).
    #[arg(long)]
    min_severity: Option<String>,
    /// At most this many rows (priorities, default 100).
    #[arg(long)]
    limit: Option<u32>,
    /// Weeks with data a finding's lifecycle is read from (risk queries and summary,
    /// default 13).
    #[arg(long)]
    history_weeks: Option<u32>,
    /// DIMENSION=VALUE, repeatable (priorities, owners, landing-zones; see `lake queries`).
    #[arg(long = "where", value_name = "DIMENSION=VALUE")]
    filters: Vec<String>,
}

/// The parameters of the commands that read one week whole (`lake summary`, `lake report`):
/// [`QueryParams`]' few that apply to them, so that their help lists no others.
#[derive(Args, Debug, Clone, Default)]
struct WeekParams {
    /// ISO week, e.g. 2026-W21 (default: the latest week with data).
    #[arg(long)]
    week: Option<IsoWeek>,
    /// Week to compare with (default: the latest earlier week with data).
    #[arg(long)]
    against: Option<IsoWeek>,
    /// Sample of open failures in the summary inputs (default 50).
    #[arg(long)]
    sample: Option<u32>,
    /// Only this producer's scans: prowler, securityhub, ... (default: every producer, each
    /// judged on its own evidence).
    #[arg(long)]
    source: Option<String>,
    /// Weeks with data a finding's lifecycle is read from (default 13).
    #[arg(long)]
    history_weeks: Option<u32>,
}

impl WeekParams {
    /// As [`QueryParams::resolve`] (the latest week with data when none is given).
    async fn resolve(&self, lake: &lake_query::Lake) -> Result<Params> {
        let params = QueryParams {
            week: self.week,
            against: self.against,
            sample: self.sample,
            source: self.source.clone(),
            history_weeks: self.history_weeks,
            ..QueryParams::default()
        };
        params.resolve(lake, true).await
    }
}

impl QueryParams {
    /// The flags given, by the names of the named queries' parameters (`--source` apart:
    /// every query takes it).
    fn given(&self) -> Vec<&'static str> {
        [
            ("week", self.week.is_some()),
            ("against", self.against.is_some()),
            ("check", self.check.is_some()),
            ("days", self.days.is_some()),
            ("as-of", self.as_of.is_some()),
            ("weeks", self.weeks.is_some()),
            ("framework", self.framework.is_some()),
            ("sample", self.sample.is_some()),
            ("min-risk", self.min_risk.is_some()),
            ("min-age", self.min_age.is_some()),
            ("min-severity", self.min_severity.is_some()),
            ("limit", self.limit.is_some()),
            ("history-weeks", self.history_weeks.is_some()),
            ("where", !self.filters.is_empty()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect()
    }

    /// An error for a flag given that the query does not take (the named query `name`, or
    /// ad-hoc SQL): silently ignored, it would answer another question than the one asked.
    fn check_applies(&self, name: Option<&str>) -> Result<()> {
        let (what, takes): (String, Vec<&str>) = match name {
            Some(name) => match named_queries().iter().find(|q| q.name == name) {
                Some(q) => (
                    format!("`{name}`"),
                    q.params.iter().map(|p| p.name).collect(),
                ),
                // (an unknown name is said when the query runs)
                None => return Ok(()),
            },
            None => ("--sql".to_owned(), vec!["week", "against"]),
        };
        let flags = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("--{n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if let Some(flag) = self.given().into_iter().find(|f| !takes.contains(f)) {
            bail!(
                "--{flag} does not apply to {what} (it takes {}{}--source; `lake queries` lists \
                 every query's parameters)",
                flags(&takes),
                if takes.is_empty() { "" } else { ", " }
            );
        }
        // (which `--where` dimensions a query selects by, the library checks)
        Ok(())
    }

    fn to_params(&self) -> Result<Params> {
        let mut p = Params {
            week: self.week,
            against: self.against,
            days: self.days,
            as_of: self.as_of,
            weeks: self.weeks,
            sample: self.sample,
            min_risk: self.min_risk,
            min_age: self.min_age,
            limit: self.limit,
            history_weeks: self.history_weeks,
            ..Params::default()
        };
        if let Some(s) = &self.min_severity {
            p.set_min_severity(s)?;
        }
        for f in &self.filters {
            p.set_where(f)?;
        }
        if let Some(c) = &self.check {
            p.set_check(c)?;
        }
        if let Some(f) = &self.framework {
            p.set_framework(f)?;
        }
        if let Some(s) = &self.source {
            p.set_source(s)?;
        }
        Ok(p)
    }

    /// [`Self::to_params`], with `--week`, when the command reads one week and none was
    /// given, the latest week with data in `lake` (said on standard error: a first `lake
    /// query posture` answers for the week just ingested rather than asking for one; ad-hoc
    /// SQL reading `finding_changes` classifies that week).
    async fn resolve(&self, lake: &lake_query::Lake, reads_week: bool) -> Result<Params> {
        let mut p = self.to_params()?;
        if reads_week && p.week.is_none() {
            let weeks = lake.weeks().await?;
            let Some(latest) = weeks.last() else {
                bail!("--week: the lake has no landed scans yet (lake ingest first)");
            };
            let week: IsoWeek = latest
                .parse()
                .with_context(|| format!("the lake's latest week {latest}"))?;
            eprintln!("lake: --week not given: {week}, the latest week with data");
            p.week = Some(week);
        }
        Ok(p)
    }
}

/// Whether the named query `name` reads one week (takes `--week`).
fn reads_week(name: &str) -> bool {
    named_queries()
        .iter()
        .any(|q| q.name == name && q.params.iter().any(|p| p.name == "week"))
}

/// Compression of the findings files (`lake ingest --compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Compression {
    /// Snappy (the default).
    Snappy,
    /// ZSTD, level 1.
    Zstd,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
}

/// glibc gives every thread that allocates a heap arena of its own (up to 8 per core) and
/// keeps what is freed in each: ingest's reading, decoding and writing threads each
/// held tens of megabytes that way. One arena per core keeps the week's ingest at ~64 MB
/// peak instead of ~100 MB, at the same speed (BENCHMARKS.md). Only for the jobs that
/// stream (ingest, compact): a query's threads allocate and free far more, and contending
/// for two arenas made the bench lake's diff 1.2x slower (3.70 s against 3.05 s, medians
/// of 5) for 10% less memory. `MALLOC_ARENA_MAX`, when set, wins.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_heap_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
    // SAFETY: mallopt sets one parameter of the allocator and has no other effect; it runs
    // in main before the runtime starts, while no other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_heap_arenas() {}

/// Diagnostics on stderr when `LAKE_LOG` is set (a level or `tracing` filter, e.g.
/// `LAKE_LOG=lake_query=debug` shows what each materialized view of a query cost).
fn init_logging() {
    let Ok(filter) = std::env::var("LAKE_LOG") else {
        return;
    };
    match tracing_subscriber::EnvFilter::try_new(&filter) {
        Ok(filter) => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init(),
        Err(e) => eprintln!("lake: LAKE_LOG={filter:?} is not a log filter ({e}); no logs"),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if matches!(
        cli.command,
        Command::Ingest { .. } | Command::Compact { .. }
    ) {
        limit_heap_arenas();
    }
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lake: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("lake: {}", one_line(&e));
            ExitCode::from(2)
        }
    }
}

/// `e` and its causes on one line, `: ` between them, leaving out a cause whose message the
/// line already holds (DataFusion's errors repeat their source's text in their own).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let message = cause.to_string();
        let core = message
            .split_once(": ")
            .map_or(message.as_str(), |(_, rest)| rest);
        if line.contains(&message) || (!core.is_empty() && line.contains(core)) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&message);
    }
    line
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Ingest {
            sources,
            lake,
            run_id,
            account,
            week,
            force,
            jobs,
            batch_size,
            compression,
            format,
        } => {
            if batch_size == 0 {
                bail!("--batch-size must be at least 1");
            }
            let options = IngestOptions {
                overrides: Overrides {
                    run_id,
                    account,
                    week,
                },
                decoder: DecoderOptions {
                    batch_size,
                    ..DecoderOptions::default()
                },
                force,
                concurrency: jobs.unwrap_or_else(|| IngestOptions::default().concurrency),
                codec: match compression {
                    Compression::Snappy => lake_store::writer::Codec::Snappy,
                    Compression::Zstd => lake_store::writer::Codec::Zstd,
                },
                ..IngestOptions::default()
            };
            ingest_cmd(&lake.lake, &sources, &options, format).await
        }
        Command::Scans { lake, week, format } => scans_cmd(&lake.lake, week, format).await,
        Command::Compact { lake, all } => compact_cmd(&lake.lake, all).await,
        Command::Show { finding, lake, all } => show_cmd(&lake.lake, &finding, all).await,
        Command::Query {
            name,
            sql,
            params,
            dialect,
            explain,
            format,
            output,
            lake,
        } => {
            // (a name, else ad-hoc SQL: clap requires one of them)
            params.check_applies(name.as_deref())?;
            if let Some(dialect) = dialect {
                let Some(name) = &name else {
                    bail!("--dialect prints a named query: give its name");
                };
                let dialect = match dialect {
                    DialectArg::Athena => Dialect::Athena,
                    DialectArg::Datafusion => Dialect::DataFusion,
                };
                let sql = lake_query::dialect::render(name, &params.to_params()?, dialect)?;
                return emit(output.as_deref(), |out| {
                    out.write_all(sql.as_bytes())?;
                    Ok(())
                });
            }
            let lake = open_lake(&lake.lake)?;
            let resolved = match (&name, &sql) {
                (Some(name), None) => Some(params.resolve(&lake, reads_week(name)).await?),
                (None, Some(sql)) => {
                    let classifies = lake_query::dialect::reads_changes(sql);
                    Some(params.resolve(&lake, classifies).await?)
                }
                _ => None,
            };
            let named_params = || resolved.clone().context("no query to bind");
            let batches = match (&name, &sql) {
                (_, Some(sql)) if explain => {
                    let explain = format!("EXPLAIN ANALYZE {sql}");
                    let stream = lake.sql_stream_for(&explain, &named_params()?).await?;
                    return emit_stream(output.as_deref(), stream, format);
                }
                (Some(name), None) if explain => {
                    if name == "summary" {
                        bail!("--explain shows one query's plan; the summary runs several (explain diff and posture instead)");
                    }
                    lake.explain(name, &named_params()?).await?
                }
                (Some(name), None) if name == "summary" && matches!(format, OutputFormat::Json) => {
                    let summary = lake.summary(&named_params()?).await?;
                    return emit(output.as_deref(), |out| {
                        out.write_all(lake_query::json::to_string_shallow(&summary, 2).as_bytes())?;
                        Ok(())
                    });
                }
                (_, Some(sql)) => {
                    let stream = lake.sql_stream_for(sql, &named_params()?).await?;
                    return emit_stream(output.as_deref(), stream, format);
                }
                (Some(name), None) if name == "lookback" => {
                    // No row at all: the check has no finding in the window, which is not
                    // "it never failed": say so.
                    let stream = lake.stream(name, &named_params()?).await?;
                    let rows = std::sync::atomic::AtomicUsize::new(0);
                    let code = emit_counted(output.as_deref(), stream, format, Some(&rows))?;
                    if rows.load(Ordering::Relaxed) == 0 {
                        eprintln!(
                            "lake: check {} has no finding in the {} days to {}: it did not run \
                             there, or lake holds no check of that id (lake query --sql \
                             \"SELECT DISTINCT check_id FROM findings\" lists them)",
                            params.check.as_deref().unwrap_or_default(),
                            params.days.unwrap_or(90),
                            params
                                .as_of
                                .unwrap_or_else(|| chrono::Utc::now().date_naive())
                        );
                    }
                    return Ok(code);
                }
                (Some(name), None) => {
                    let stream = lake.stream(name, &named_params()?).await?;
                    return emit_stream(output.as_deref(), stream, format);
                }
                (None, None) => bail!("give a query name or --sql"),
            };
            emit(output.as_deref(), |out| {
                output::write(out, &batches, format)
            })
        }
        Command::Athena {
            command:
                AthenaCommand::Ddl {
                    location,
                    database,
                    start,
                },
        } => {
            // Validated by `ddl` (file:/// serves Spark or Hive over a local lake).
            let ddl = lake_core::athena::ddl(&lake_core::athena::DdlOptions {
                location,
                database,
                projection_start: start.to_string(),
            })?;
            print!("{ddl}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Queries => {
            let mut out = std::io::stdout().lock();
            for q in named_queries() {
                writeln!(out, "{:<11} {}", q.name, q.about)?;
                for p in q.params {
                    writeln!(
                        out,
                        "    --{:<10} {}{}",
                        p.name,
                        p.about,
                        // (the library requires a week; the CLI defaults it, see
                        // `QueryParams::resolve`)
                        if p.name == "week" {
                            " (default: the latest week with data)"
                        } else if p.required {
                            " (required)"
                        } else {
                            ""
                        }
                    )?;
                }
            }
            writeln!(out, "\nlake query --sql \"...\" runs ad-hoc SQL over findings, scans, landed_scans, latest_findings, finding_changes.")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => report::report_cmd(args).await,
        Command::Summary {
            params,
            output,
            diff_output,
            lake,
        } => {
            let lake = open_lake(&lake.lake)?;
            let params = params.resolve(&lake).await?;
            let summary = match &diff_output {
                Some(path) => {
                    let (summary, diff) = lake.summary_and_diff(&params).await?;
                    emit(Some(path), |out| {
                        lake_query::json::write_array(out, &diff)?;
                        Ok(())
                    })?;
                    summary
                }
                None => lake.summary(&params).await?,
            };
            emit(output.as_deref(), |out| {
                out.write_all(lake_query::json::to_string_shallow(&summary, 2).as_bytes())?;
                Ok(())
            })
        }
        Command::Context { command } => run_context(command).await,
        Command::Schema { markdown, json } => {
            let tables = [
                ("findings", lake_core::schema::findings_columns()),
                ("scans", lake_core::schema::scans_columns()),
            ];
            let out = if markdown {
                lake_core::schema::markdown()
            } else if json {
                let v: serde_json::Map<String, serde_json::Value> = tables
                    .iter()
                    .map(|(name, cols)| {
                        let cols: Vec<serde_json::Value> = cols
                            .iter()
                            .map(|c| {
                                serde_json::json!({
                                    "name": c.name,
                                    "type": lake_core::schema::sql_type(&c.data_type),
                                    "nullable": c.nullable,
                                })
                            })
                            .collect();
                        ((*name).to_owned(), serde_json::Value::from(cols))
                    })
                    .collect();
                format!("{}\n", serde_json::Value::Object(v))
            } else {
                let mut s = String::new();
                for (name, cols) in tables {
                    s.push_str(&format!("{name}\n"));
                    for c in cols {
                        s.push_str(&format!(
                            "  {:<24} {}{}\n",
                            c.name,
                            lake_core::schema::sql_type(&c.data_type),
                            if c.nullable { "" } else { " not null" }
                        ));
                    }
                }
                s
            };
            std::io::stdout().write_all(out.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn open_lake(url: &str) -> Result<lake_query::Lake> {
    let location =
        Location::parse(url, false).with_context(|| format!("opening the lake {url}"))?;
    Ok(lake_query::Lake::from_location(location))
}

/// Writes to `path` (atomically: a temporary file renamed into place) or to standard output.
/// [`emit`]s the rows of `stream` in `format` as the plan yields them.
fn emit_stream(
    path: Option<&std::path::Path>,
    stream: lake_query::RowStream,
    format: OutputFormat,
) -> Result<ExitCode> {
    emit_counted(path, stream, format, None)
}

/// [`emit_stream`], adding the rows written to `rows`.
fn emit_counted(
    path: Option<&std::path::Path>,
    mut stream: lake_query::RowStream,
    format: OutputFormat,
    rows: Option<&std::sync::atomic::AtomicUsize>,
) -> Result<ExitCode> {
    // This thread blocks on the stream while the runtime's other threads run the plan.
    let handle = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        emit(path, |out| {
            let next = || {
                let batch = handle.block_on(futures::StreamExt::next(&mut stream))?;
                if let (Some(rows), Ok(batch)) = (rows, &batch) {
                    rows.fetch_add(batch.num_rows(), Ordering::Relaxed);
                }
                Some(batch.map_err(anyhow::Error::from))
            };
            output::write_stream(out, next, format)
        })
    })
}

fn emit(
    path: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<ExitCode> {
    match path {
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut out)?;
            out.flush()?;
        }
        // A device or pipe (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming
        // a temporary file over it would replace the device with a file.
        Some(path) if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("writing {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            write(&mut out)?;
            out.flush()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mut builder = tempfile::Builder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                // As a file created in place: 0666 less the umask (a temporary file's own
                // 0600 would leave a report unreadable to whoever it is shared with).
                builder.permissions(std::fs::Permissions::from_mode(0o666));
            }
            let mut tmp = builder
                .tempfile_in(dir)
                .with_context(|| format!("writing {}", path.display()))?;
            // A file replaced keeps its permissions.
            if let Ok(existing) = std::fs::metadata(path) {
                tmp.as_file()
                    .set_permissions(existing.permissions())
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            let mut out = std::io::BufWriter::new(tmp.as_file_mut());
            write(&mut out)?;
            out.flush()
                .with_context(|| format!("writing {}", path.display()))?;
            drop(out);
            tmp.persist(path)
                .with_context(|| format!("writing {}", path.display()))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn ingest_cmd(
    lake_url: &str,
    specs: &[String],
    options: &IngestOptions,
    format: Format,
) -> Result<ExitCode> {
    let lake =
        Location::parse(lake_url, true).with_context(|| format!("opening the lake {lake_url}"))?;
    let mut sources = Vec::new();
    for spec in specs {
        sources.extend(Source::resolve(spec).await?);
    }
    sources.sort_by(|a, b| a.uri.cmp(&b.uri));
    sources.dedup_by(|a, b| a.uri == b.uri);
    let total: u64 = sources.iter().map(|s| s.size).sum();
    let started = Instant::now();

    let progress = ingest::Progress::default();
    let bar = progress_bar(total);
    let ticker = bar.clone().map(|bar| {
        let progress = progress.clone();
        tokio::spawn(async move {
            loop {
                bar.set_position(progress.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });
    let outcomes = ingest::ingest(&lake, sources, options, progress).await;
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed();

    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            for o in &outcomes {
                let mut v = record_json(&o.record);
                v["skipped"] = o.skipped.into();
                writeln!(out, "{v}")?;
            }
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = outcomes
                .iter()
                .map(|o| {
                    let r = &o.record;
                    vec![
                        short_name(&r.source_uri),
                        r.account_uid.clone(),
                        r.run_id.clone(),
                        r.week.clone().unwrap_or_default(),
                        r.findings.to_string(),
                        r.fail.to_string(),
                        if o.skipped {
                            format!("{} (unchanged, skipped)", r.status)
                        } else {
                            r.status.clone()
                        },
                    ]
                })
                .collect();
            table::write(
                &mut out,
                &[
                    "SOURCE", "ACCOUNT", "RUN", "WEEK", "FINDINGS", "FAIL", "STATUS",
                ],
                &rows,
                &[4, 5],
            )?;
            for o in &outcomes {
                if let Some(e) = &o.record.error {
                    writeln!(out, "  {}: {e}", short_name(&o.record.source_uri))?;
                }
                for w in &o.record.warnings {
                    writeln!(out, "  {}: warning: {w}", short_name(&o.record.source_uri))?;
                }
            }
            let count = |s: &str| outcomes.iter().filter(|o| o.status() == s).count();
            let findings: i64 = outcomes.iter().map(|o| o.record.findings).sum();
            let fail: i64 = outcomes.iter().map(|o| o.record.fail).sum();
            let skipped = outcomes.iter().filter(|o| o.skipped).count();
            let mb = total as f64 / 1e6;
            writeln!(
                out,
                "{} sources ({} succeeded, {} partial, {} failed{}), {findings} findings ({fail} FAIL), {mb:.1} MB in {:.2} s ({:.0} MB/s) into {}",
                outcomes.len(),
                count("succeeded"),
                count("partial"),
                count("failed"),
                if skipped > 0 { format!(", {skipped} skipped as unchanged") } else { String::new() },
                elapsed.as_secs_f64(),
                mb / elapsed.as_secs_f64().max(1e-9),
                lake.url,
            )?;
        }
    }
    out.flush()?;
    // Closed weeks into their compacted copies (a cache for queries: failing to make them
    // costs query time, never data, so it fails nothing here).
    match lake_store::compact::compact(&lake, &lake_store::compact::CompactOptions::default()).await
    {
        Ok(done) => {
            for c in &done {
                eprintln!("compacted {}", compacted_line(c));
            }
        }
        Err(e) => eprintln!("warning: compacting closed weeks: {e}"),
    }
    // The newest week's changes against the week before it, stored for the queries (a
    // cache like the copies: see `lake_store::changes`).
    match lake_query::Lake::from_location(lake.clone())
        .store_changes(Some(1), Some(lake_query::DEFAULT_HISTORY_WEEKS))
        .await
    {
        Ok(stored) => {
            for (week, against) in &stored.written {
                eprintln!("stored the changes of {week} against {against}");
            }
            for (week, against) in &stored.risk_written {
                eprintln!(
                    "stored the open failures of {week} (against {against}) and their lifecycle"
                );
            }
        }
        Err(e) => eprintln!("warning: storing the week's changes: {e}"),
    }
    let all_ok = outcomes.iter().all(|o| o.status() == "succeeded");
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    )
    .ok()?;
    bar.set_style(style);
    Some(bar)
}

fn short_name(uri: &str) -> String {
    uri.rsplit('/').next().unwrap_or(uri).to_owned()
}

fn record_json(r: &ScanRecord) -> serde_json::Value {
    serde_json::json!({
        "run_id": r.run_id,
        "account_uid": r.account_uid,
        "provider": r.provider,
        "week": r.week,
        "scan_time": r.scan_time.map(|t| t.to_rfc3339()),
        "source_uri": r.source_uri,
        "source_size": r.source_size,
        "findings": r.findings,
        "pass": r.pass,
        "fail": r.fail,
        "manual": r.manual,
        "muted": r.muted,
        "rejected": r.rejected,
        "regions": r.regions,
        "status": r.status,
        "error": r.error,
        "warnings": r.warnings,
        "findings_path": r.findings_path,
        "ingested_at": r.ingested_at.to_rfc3339(),
        "source_product": r.source_product,
    })
}

fn compacted_line(c: &lake_store::compact::Compacted) -> String {
    let parts = if c.parts == 1 { "part" } else { "parts" };
    format!(
        "dt={}: {} files -> {} {parts}, {} findings",
        c.dt, c.sources, c.parts, c.rows
    )
}

async fn compact_cmd(lake_url: &str, all: bool) -> Result<ExitCode> {
    let lake =
        Location::parse(lake_url, false).with_context(|| format!("opening the lake {lake_url}"))?;
    let mut options = lake_store::compact::CompactOptions::default();
    if all {
        options.closed_after_days = None;
    }
    let done = lake_store::compact::compact(&lake, &options).await?;
    let mut out = std::io::stdout().lock();
    for c in &done {
        writeln!(out, "{}", compacted_line(c))?;
    }
    let usable = lake_store::compact::usable(&lake).await?;
    // The observed cells of findings files ingested by an older lake (or whose cells are
    // stale): written now, so that queries stop counting those files themselves.
    let (observed, files) = lake_store::observed::refresh(&lake).await?;
    // Every week's changes against the week before it, where missing or no longer current.
    let stored = lake_query::Lake::from_location(lake.clone())
        .store_changes(None, Some(lake_query::DEFAULT_HISTORY_WEEKS))
        .await?;
    let partitions = |n: usize| format!("{n} partition{}", if n == 1 { "" } else { "s" });
    writeln!(
        out,
        "compacted now: {}; read from compacted copies: {}; observed cells written for {observed} of {} findings files; changes stored for {} of {} weeks; open failures and their lifecycle stored for {} weeks",
        partitions(done.len()),
        partitions(usable.len()),
        files,
        stored.written.len(),
        stored.written.len() + stored.current,
        stored.risk_written.len(),
    )?;
    Ok(ExitCode::SUCCESS)
}

async fn scans_cmd(lake_url: &str, week: Option<IsoWeek>, format: Format) -> Result<ExitCode> {
    let lake =
        Location::parse(lake_url, false).with_context(|| format!("opening the lake {lake_url}"))?;
    let mut records = lake_store::read::scans(&lake).await?;
    if let Some(w) = week {
        let w = w.to_string();
        records.retain(|r| r.week.as_deref() == Some(w.as_str()));
    }
    let mut out = std::io::stdout().lock();
    if format == Format::Json {
        for r in &records {
            writeln!(out, "{}", record_json(r))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if records.is_empty() {
        writeln!(out, "no scans in {}", lake.url)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.week.clone().unwrap_or_default(),
                r.run_id.clone(),
                r.account_uid.clone(),
                r.provider.clone().unwrap_or_default(),
                // (nothing read, or written before producers: Prowler's)
                r.source_product
                    .clone()
                    .unwrap_or_else(|| lake_core::source::PROWLER.to_owned()),
                r.scan_time
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                r.findings.to_string(),
                r.pass.to_string(),
                r.fail.to_string(),
                r.manual.to_string(),
                r.muted.to_string(),
                r.status.clone(),
            ]
        })
        .collect();
    table::write(
        &mut out,
        &[
            "WEEK", "RUN", "ACCOUNT", "PROVIDER", "PRODUCER", "SCANNED", "FINDINGS", "PASS",
            "FAIL", "MANUAL", "MUTED", "STATUS",
        ],
        &rows,
        &[6, 7, 8, 9, 10],
    )?;
    for r in records.iter().filter(|r| r.error.is_some()) {
        writeln!(
            out,
            "  {} {}: {}",
            r.account_uid,
            r.run_id,
            r.error.as_deref().unwrap_or_default()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn show_cmd(lake_url: &str, id: &str, all: bool) -> Result<ExitCode> {
    use lake_store::read::FindingRef;
    let lake =
        Location::parse(lake_url, false).with_context(|| format!("opening the lake {lake_url}"))?;
    // A finding key (32 hex digits), else the producer's uid of a finding.
    let is_key = id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit());
    let key = id.to_ascii_lowercase();
    let finding = if is_key {
        FindingRef::Key(&key)
    } else {
        FindingRef::Uid(id)
    };
    let found = lake_store::read::find_evidence(&lake, finding).await?;
    let Some(latest) = found.last() else {
        match finding {
            FindingRef::Key(_) => bail!("no finding with key {id} in {}", lake.url),
            FindingRef::Uid(_) => bail!(
                "no finding with uid {id} in {} (a finding key is 32 hex digits, the \
                 `finding_key` column of every query's rows; a uid is the producer's \
                 `finding_info.uid`)",
                lake.url
            ),
        }
    };
    if !is_key {
        // Say which key the uid named: queries and reports show keys.
        let mut keys: Vec<&str> = found.iter().map(|e| e.finding_key.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        match keys.as_slice() {
            [key] => eprintln!("lake: uid {id} is finding key {key}"),
            keys => eprintln!(
                "lake: uid {id} names {} findings (keys {}); {}",
                keys.len(),
                keys.join(", "),
                if all {
                    "every scan of each follows"
                } else {
                    "the latest scanned follows (--all: every scan of each)"
                }
            ),
        }
    }
    let chosen: Vec<_> = if all {
        found.iter().collect()
    } else {
        vec![latest]
    };
    // Standard output holds the findings alone (a stream of JSON values, as jq reads
    // them); with --all, where each came from goes to standard error.
    let mut out = std::io::stdout().lock();
    for e in chosen {
        let raw = lake_store::read::fetch_raw(e).await.with_context(|| {
            format!(
                "reading the raw finding from {} at byte {}",
                e.source_uri, e.offset
            )
        })?;
        if all {
            eprintln!(
                "lake: run {} scanned {} from {} bytes {}..{}",
                e.run_id,
                e.scan_time.map(|t| t.to_rfc3339()).unwrap_or_default(),
                e.source_uri,
                e.offset,
                e.offset + e.length
            );
        }
        out.write_all(&raw)?;
        writeln!(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn run_context(command: ContextCommand) -> Result<ExitCode> {
    match command {
        ContextCommand::Check { file } => {
            let (c, _) = read_context(&file)?;
            println!(
                "{}: valid: {} landing zones, {} accounts, {} resource rules",
                file.display(),
                c.landing_zones.len(),
                c.accounts.len(),
                c.rules.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        ContextCommand::Set { file, from, lake } => {
            let (context, sha256) = read_context(&file)?;
            let location = Location::parse(&lake.lake, true)?;
            let now = chrono::Utc::now();
            let effective_week = from.unwrap_or_else(|| IsoWeek::of(now.date_naive()));
            let info = lake_core::context::VersionInfo {
                version: 0,
                effective_week,
                set_at_micros: now.timestamp_micros(),
                source: file.display().to_string(),
                sha256,
            };
            let info = lake_store::context::set(&location, &context, &info).await?;
            println!(
                "context version {} from {} judges {} onwards: {} landing zones, {} accounts, {} resource rules",
                info.version,
                file.display(),
                info.effective_week,
                context.landing_zones.len(),
                context.accounts.len(),
                context.rules.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        ContextCommand::List { lake, format } => {
            let location = Location::parse(&lake.lake, false)?;
            let stored = lake_store::context::read(&location).await?;
            let mut out = std::io::stdout().lock();
            output::write(&mut out, &stored.versions, format)?;
            Ok(ExitCode::SUCCESS)
        }
        ContextCommand::Show {
            version,
            lake,
            format,
        } => {
            let location = Location::parse(&lake.lake, false)?;
            let stored = lake_store::context::read(&location).await?;
            let Some(version) = version.or_else(|| stored.version_numbers().last().copied()) else {
                bail!("no context set in {} (lake context set FILE)", lake.lake);
            };
            if !stored.version_numbers().contains(&version) {
                bail!("no context version {version} (lake context list)");
            }
            let of_version = |batches: &[arrow::record_batch::RecordBatch]| -> Result<Vec<_>> {
                batches
                    .iter()
                    .map(|b| {
                        let v = b
                            .column(0)
                            .as_any()
                            .downcast_ref::<arrow::array::Int64Array>()
                            .context("context version column")?;
                        let keep: arrow::array::BooleanArray =
                            v.iter().map(|x| Some(x == Some(version))).collect();
                        Ok(arrow::compute::filter_record_batch(b, &keep)?)
                    })
                    .collect()
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "accounts of context version {version}:")?;
            output::write(&mut out, &of_version(&stored.accounts)?, format)?;
            writeln!(out, "resource rules of context version {version}:")?;
            output::write(&mut out, &of_version(&stored.rules)?, format)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
