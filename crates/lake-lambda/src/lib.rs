//! The lake Lambda: fired by S3 when a scan run finishes, it ingests the run's OCSF files
//! streaming from S3 into the lake and writes the week's summary inputs and diff.
//!
//! Events (S3 ObjectCreated notifications; each record handled on its own):
//! - `<prefix>/<week>/<run-id>/run.complete` (any name ending in `.complete`, in a folder
//!   `<ISO week>/<run-id>/`; a marker elsewhere is ignored, with the reason): every
//!   `*.ocsf.json` object under the marker's folder is ingested (those already in the
//!   manifest are skipped: with per-object notifications the `.complete` invocation only
//!   checks and fills gaps), then the run's week is summarized against the previous week
//!   with data: `summaries/week=<W>/summary.json` and `summaries/week=<W>/diff.json` in the
//!   lake, and the summary is returned.
//! - a key ending in `.ocsf.json`: that one object is ingested (the fan-out path for
//!   organisations too large for one invocation).
//! - anything else is ignored, with the reason logged and returned.
//!
//! Redelivery is harmless: ingest skips sources whose manifest row matches, and the summary
//! and diff are rewritten only when their bytes change, so a second delivery of an event
//! leaves the lake as the first left it.

use std::time::Instant;

use anyhow::{Context, Result};
use aws_lambda_events::event::s3::S3Event;
use bytes::Bytes;
use chrono::Utc;
use lake_core::IsoWeek;
use lake_query::{lake_report, Lake, Params};
use lake_store::ingest::{self, IngestOptions, IngestOutcome};
use lake_store::{Location, Source};
use object_store::ObjectStoreExt;
use serde::Serialize;
use serde_json::Value;

pub mod email;
pub mod metrics;

/// The function's configuration, from environment variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `LAKE_URL` (required): the lake, `s3://bucket/prefix` (or a local directory).
    pub lake_url: String,
    /// `LAKE_SAMPLE`: sample findings in the summary (default 50, at most 1000).
    pub sample: u32,
    /// `LAKE_HISTORY_WEEKS`: weeks with data the summary's risk section reads a finding's
    /// lifecycle from, once a business context is set (default 13, at most 520; fewer
    /// weeks, less memory).
    pub history_weeks: u32,
    /// `LAKE_METRIC_NAMESPACE`: CloudWatch namespace of the metrics (default `Lake`).
    pub metric_namespace: String,
    /// `LAKE_CONCURRENCY`: scan files ingested at once (default 2; memory grows with it,
    /// by about 70 MB per file in flight).
    pub concurrency: usize,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda): the metrics' dimension.
    pub function_name: String,
    /// `LAKE_REPORT_TO`, `LAKE_REPORT_FROM`, `LAKE_SES_ROLE_ARN`: the report by email
    /// through SES, when set.
    pub email: Option<email::EmailConfig>,
}

impl Config {
    /// Reads the configuration from `var` (the environment, or a map in tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let lake_url = var("LAKE_URL")
            .filter(|v| !v.is_empty())
            .context("LAKE_URL is not set: the lake, e.g. s3://bucket/lake")?;
        let number = |name: &str, default: u64, max: u64| -> Result<u64> {
            match var(name) {
                None => Ok(default),
                Some(v) => {
                    let n: u64 = v
                        .trim()
                        .parse()
                        .with_context(|| format!("{name}={v} is not a number"))?;
                    anyhow::ensure!(n <= max, "{name}={v} is above {max}");
                    Ok(n)
                }
            }
        };
        Ok(Config {
            lake_url,
            sample: u32::try_from(number("LAKE_SAMPLE", 50, 1000)?)?,
            history_weeks: u32::try_from(
                number(
                    "LAKE_HISTORY_WEEKS",
                    u64::from(lake_query::DEFAULT_HISTORY_WEEKS),
                    520,
                )?
                .max(1),
            )?,
            metric_namespace: var("LAKE_METRIC_NAMESPACE")
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "Lake".into()),
            concurrency: usize::try_from(number("LAKE_CONCURRENCY", 2, 64)?.max(1))?,
            function_name: var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "lake".into()),
            email: email::EmailConfig::from_vars(&var)?,
        })
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }
}

/// What one S3 event record asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A run's `.complete` marker: ingest the run's folder, then summarize its week.
    RunComplete {
        /// Bucket.
        bucket: String,
        /// The marker's key.
        key: String,
        /// The folder holding the run's files (the marker's folder, with a trailing `/`).
        run_prefix: String,
    },
    /// One scan file: ingest it.
    ScanFile {
        /// Bucket.
        bucket: String,
        /// Key.
        key: String,
    },
    /// Nothing to do.
    Ignored {
        /// The key (or what stood for it).
        key: String,
        /// Why.
        reason: String,
    },
}

/// Decodes an S3 event key: S3 URL-encodes keys in notifications (`+` for a space).
pub fn decode_key(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What each record of `event` asks for.
pub fn triggers(event: &S3Event) -> Vec<Trigger> {
    event
        .records
        .iter()
        .map(|r| {
            let key = r.s3.object.key.as_deref().map(decode_key);
            let bucket = r.s3.bucket.name.clone();
            let name = r.event_name.clone().unwrap_or_default();
            match (bucket, key) {
                (_, None) | (None, _) => Trigger::Ignored {
                    key: String::new(),
                    reason: "the record names no bucket or key".into(),
                },
                (Some(_), Some(key)) if !name.is_empty() && !name.starts_with("ObjectCreated") => {
                    Trigger::Ignored {
                        key,
                        reason: format!("event {name} is not an object creation"),
                    }
                }
                (Some(bucket), Some(key)) if key.ends_with(".complete") => match run_prefix(&key) {
                    Some(run_prefix) => Trigger::RunComplete {
                        bucket,
                        key,
                        run_prefix,
                    },
                    None => Trigger::Ignored {
                        reason: format!(
                            "a run marker must sit in its run's folder, \
                                 <prefix>/<ISO week>/<run-id>/<name>.complete (e.g. \
                                 prowler/2026-W21/run-7/run.complete), or it would ingest \
                                 everything under {}",
                            match key.rfind('/') {
                                Some(i) => &key[..=i],
                                None => "the bucket",
                            }
                        ),
                        key,
                    },
                },
                (Some(bucket), Some(key)) if lake_store::source::is_scan_file(&key) => {
                    Trigger::ScanFile { bucket, key }
                }
                (Some(_), Some(key)) => Trigger::Ignored {
                    reason: format!(
                        "neither a `.complete` run marker nor a scan file ({})",
                        lake_store::source::SCAN_FILE_ENDINGS.join(", ")
                    ),
                    key,
                },
            }
        })
        .collect()
}

/// The run folder of the marker `key` (with its trailing `/`): the marker must sit at
/// `<prefix>/<week>/<run-id>/`, the layout the scanning task writes, so that a marker
/// elsewhere (`prowler/run.complete`) never lists a whole history.
fn run_prefix(key: &str) -> Option<String> {
    let folder = &key[..=key.rfind('/')?];
    let mut parents = folder.trim_end_matches('/').rsplit('/');
    let run = parents.next()?;
    let week = parents.next()?;
    let valid_run = !run.is_empty() && run != "." && run != "..";
    (valid_run && week.parse::<IsoWeek>().is_ok()).then(|| folder.to_owned())
}

/// One scan file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    /// Source URI.
    pub source: String,
    /// Account.
    pub account: String,
    /// succeeded, partial or failed.
    pub status: String,
    /// Already ingested with the same content: nothing written.
    pub skipped: bool,
    /// Findings landed.
    pub findings: i64,
    /// Of those, FAIL.
    pub fail: i64,
    /// Why it failed or is partial.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What one event record did.
#[derive(Debug, Clone, Serialize)]
pub struct RecordResult {
    /// `run_complete`, `scan_file` or `ignored`.
    pub trigger: &'static str,
    /// The object key.
    pub key: String,
    /// Why it was ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The scan files of the record.
    pub files: Vec<FileResult>,
    /// Bytes of the scan files ingested (not skipped).
    pub bytes: i64,
    /// The week summarized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub week: Option<String>,
    /// Where the summary was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_uri: Option<String>,
    /// Where the diff was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_uri: Option<String>,
    /// Where the week's report was written (`reports/week=<W>/report.{md,html,confluence.xml}`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub report_uris: Vec<String>,
    /// Whether this invocation changed the report (a redelivery does not).
    pub report_changed: bool,
    /// The report emailed by this invocation (a report is sent once, however often it is
    /// rewritten with the same bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<email::Sent>,
    /// The summary inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<Value>,
    /// What went wrong, when the record could not be completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RecordResult {
    pub(crate) fn new(trigger: &'static str, key: &str) -> Self {
        RecordResult {
            trigger,
            key: key.to_owned(),
            reason: None,
            files: Vec::new(),
            bytes: 0,
            week: None,
            summary_uri: None,
            diff_uri: None,
            report_uris: Vec::new(),
            report_changed: false,
            email: None,
            summary: None,
            error: None,
        }
    }
}

/// The function's answer: one result per event record.
#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// Per record, in order.
    pub results: Vec<RecordResult>,
}

/// Handles one S3 event. Errors that a retry could cure (the lake cannot be reached) are
/// returned as errors, so that Lambda retries; bad input is reported in the response.
pub async fn handle(config: &Config, event: &S3Event) -> Result<Response> {
    let started = Instant::now();
    let lake = Location::parse(&config.lake_url, true)
        .with_context(|| format!("opening the lake {}", config.lake_url))?;
    let mut results = Vec::new();
    for trigger in triggers(event) {
        let result = match trigger {
            Trigger::Ignored { key, reason } => {
                tracing::info!(key = %key, reason = %reason, "ignored");
                let mut r = RecordResult::new("ignored", &key);
                r.reason = Some(reason);
                r
            }
            Trigger::ScanFile { bucket, key } => {
                let mut r = RecordResult::new("scan_file", &key);
                let uri = format!("s3://{bucket}/{key}");
                let outcomes = ingest_uri(config, &lake, &uri).await?;
                r.files = outcomes.iter().map(file_result).collect();
                r.bytes = ingested_bytes(&outcomes);
                r
            }
            Trigger::RunComplete {
                bucket,
                key,
                run_prefix,
            } => run_complete(config, &lake, &bucket, &key, &run_prefix).await?,
        };
        results.push(result);
    }
    let response = Response { results };
    println!(
        "{}",
        metrics::invocation(config, &response, started.elapsed(), Utc::now())
    );
    Ok(response)
}

async fn ingest_uri(config: &Config, lake: &Location, uri: &str) -> Result<Vec<IngestOutcome>> {
    let sources = match Source::resolve(uri).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(source = %uri, error = %e, "no scan files");
            return Ok(Vec::new());
        }
    };
    let options = IngestOptions {
        concurrency: config.concurrency,
        ..IngestOptions::default()
    };
    let outcomes = ingest::ingest(lake, sources, &options, Default::default()).await;
    for o in &outcomes {
        let r = &o.record;
        tracing::info!(
            source = %r.source_uri, account = %r.account_uid, run = %r.run_id,
            status = %r.status, skipped = o.skipped, findings = r.findings, fail = r.fail,
            error = r.error.as_deref().unwrap_or(""), "scan file"
        );
    }
    Ok(outcomes)
}

fn ingested_bytes(outcomes: &[IngestOutcome]) -> i64 {
    outcomes
        .iter()
        .filter(|o| !o.skipped)
        .map(|o| o.record.source_size)
        .sum()
}

fn file_result(o: &IngestOutcome) -> FileResult {
    let r = &o.record;
    FileResult {
        source: r.source_uri.clone(),
        account: r.account_uid.clone(),
        status: r.status.clone(),
        skipped: o.skipped,
        findings: r.findings,
        fail: r.fail,
        error: r.error.clone(),
    }
}

/// The week a run belongs to: its files' week, else a `YYYY-Www` folder of its prefix.
fn run_week(outcomes: &[IngestOutcome], run_prefix: &str) -> Option<IsoWeek> {
    let from_files = outcomes
        .iter()
        .filter_map(|o| o.record.week.as_deref())
        .filter_map(|w| w.parse::<IsoWeek>().ok())
        .max();
    from_files.or_else(|| {
        run_prefix
            .split('/')
            .filter_map(|s| s.parse::<IsoWeek>().ok())
            .next_back()
    })
}

async fn run_complete(
    config: &Config,
    lake: &Location,
    bucket: &str,
    key: &str,
    run_prefix: &str,
) -> Result<RecordResult> {
    let mut r = RecordResult::new("run_complete", key);
    let uri = format!("s3://{bucket}/{run_prefix}");
    let outcomes = ingest_uri(config, lake, &uri).await?;
    r.files = outcomes.iter().map(file_result).collect();
    r.bytes = ingested_bytes(&outcomes);
    if outcomes.is_empty() {
        r.error = Some(format!("no *.ocsf.json scan files under {uri}"));
        return Ok(r);
    }
    let Some(week) = run_week(&outcomes, run_prefix) else {
        r.error = Some(format!("no ISO week for the run under {uri}"));
        return Ok(r);
    };
    r.week = Some(week.to_string());

    // Closed weeks into their compacted copies, once per run (not per file of a fan-out):
    // a cache for queries, so a failure is logged, not returned.
    match lake_store::compact::compact(lake, &lake_store::compact::CompactOptions::default()).await
    {
        Ok(done) => {
            for c in &done {
                tracing::info!(dt = %c.dt, files = c.sources, parts = c.parts, findings = c.rows, "compacted");
            }
        }
        Err(e) => tracing::warn!(error = %e, "compacting closed weeks"),
    }

    let query = Lake::from_location(lake.clone());
    // The newest week's changes stored for the queries (a cache, like the copies), and,
    // when a business context is set (the summary then has a risk section, which reads
    // them), its open failures' lifecycle over the summary's history window. Without a
    // context nothing here reads those, and computing them is the largest step in memory
    // (the history of every open failure): `lake compact` stores them for the CLI.
    let context_set = lake_store::context::read(lake)
        .await
        .is_ok_and(|c| c.versions.iter().any(|b| b.num_rows() > 0));
    match query
        .store_changes(Some(1), context_set.then_some(config.history_weeks))
        .await
    {
        Ok(stored) => {
            for (week, against) in &stored.written {
                tracing::info!(week = %week, against = %against, "stored the week's changes");
            }
            for (week, against) in &stored.risk_written {
                tracing::info!(week = %week, against = %against, "stored the week's open failures and their lifecycle");
            }
        }
        Err(e) => tracing::warn!(error = %e, "storing the week's changes"),
    }
    let params = Params {
        week: Some(week),
        sample: Some(config.sample),
        history_weeks: Some(config.history_weeks),
        ..Params::default()
    };
    // Two runs of one week (an AWS run and an Azure run) finish at about the same time: each
    // invocation writes the week's summary, and the one computed first could land last.
    // So the lake's manifest is read before and after: when another ingest landed in
    // between, this invocation computes and writes again (its write then includes it). And
    // the summary is written only if no other invocation wrote it since this one started
    // computing (a conditional write): else this one computes again, and after its last
    // round leaves the other's (written from a lake at least as recent) in place.
    let written = settled(lake, async || {
        summarize(lake, &query, &params, week, &mut r).await
    })
    .await?;
    if written.is_none() && r.error.is_none() {
        tracing::info!(week = %week, "another invocation wrote the week's summary meanwhile; it stands");
    }
    let Some((report, summary, rendered)) = written else {
        return Ok(r);
    };

    if let Some(email) = &config.email {
        let text = String::from_utf8_lossy(&rendered[0]);
        let html = String::from_utf8_lossy(&rendered[1]);
        match deliver(lake, email, &week.to_string(), &report, &text, &html).await {
            Ok(sent) => r.email = sent,
            Err(e) => {
                // The lake and the report landed; the email is retried by the next
                // delivery (nothing marks it sent).
                tracing::error!(week = %week, error = %format!("{e:#}"), "emailing the report");
                r.error = Some(format!("emailing the {week} report: {e:#}"));
            }
        }
    }
    r.summary = Some(summary);
    Ok(r)
}

/// How many times an invocation summarizes a week while other ingests keep landing.
const SUMMARY_ROUNDS: u32 = 3;

/// What one round of summarizing did.
#[derive(Debug, PartialEq, Eq)]
enum Round<T> {
    /// Computed and written (or found already there).
    Wrote(T),
    /// The week has nothing to summarize.
    Nothing,
    /// Another invocation wrote the week's summary after this round began: nothing of
    /// this round was written.
    Overtaken,
}

/// Runs `summarize` (which computes from the lake and writes what it computed) again while
/// other ingests land in the lake as it runs, or another invocation writes the summary
/// first, at most [`SUMMARY_ROUNDS`] times in all, and returns its last result (`None`:
/// nothing to summarize, or another invocation's summary stands). Whichever of two
/// concurrent invocations writes last then wrote from a lake holding both ingests.
async fn settled<T>(
    lake: &Location,
    mut summarize: impl AsyncFnMut() -> Result<Round<T>>,
) -> Result<Option<T>> {
    let mut round = 1;
    loop {
        let before = lake_store::snapshot::manifest_version(lake).await?;
        let out = match summarize().await? {
            Round::Nothing => return Ok(None),
            Round::Overtaken if round >= SUMMARY_ROUNDS => return Ok(None),
            Round::Overtaken => None,
            Round::Wrote(out) => Some(out),
        };
        if let Some(out) = out {
            let after = lake_store::snapshot::manifest_version(lake).await?;
            if after == before || round >= SUMMARY_ROUNDS {
                return Ok(Some(out));
            }
        }
        tracing::info!(
            round,
            "another ingest or summary landed while summarizing: again"
        );
        round += 1;
    }
}

/// Computes the week's summary, diff and report and writes those that changed; `None`
/// (with `r.error` set) when the week has nothing to summarize. Returns the report, the
/// summary and the report rendered as Markdown, HTML and Confluence.
async fn summarize(
    lake: &Location,
    query: &Lake,
    params: &Params,
    week: IsoWeek,
    r: &mut RecordResult,
) -> Result<Round<(lake_report::Report, Value, Vec<Vec<u8>>)>> {
    r.report_uris.clear();
    let dir = format!("summaries/week={week}");
    let summary_rel = format!("{dir}/summary.json");
    // The summary as this round found it: written over only if still so.
    let seen = lake_store::ingest::version_of(lake, &summary_rel).await?;
    // The summary, the diff and the report from one classification of the week's changes.
    let report = match query
        .weekly_report(params, &lake_query::ReportOptions::default())
        .await
    {
        Ok(report) => report,
        Err(e) => {
            // E.g. every account of the run failed: the week has no data to summarize.
            tracing::error!(week = %week, error = %e, "no summary");
            r.error = Some(format!("summary of {week}: {e}"));
            return Ok(Round::Nothing);
        }
    };
    let lake_query::WeeklyReport {
        report,
        summary,
        diff,
    } = report;
    let summary_bytes = lake_query::json::to_string_shallow(&summary, 2).into_bytes();
    // Written row by row: a large organisation's diff is hundreds of thousands of rows.
    let mut diff_bytes = Vec::new();
    lake_query::json::write_array(&mut diff_bytes, &diff)?;
    let Some((summary_uri, _)) =
        write_if_unchanged(lake, &summary_rel, summary_bytes, &seen).await?
    else {
        return Ok(Round::Overtaken);
    };
    r.summary_uri = Some(summary_uri);
    r.diff_uri = Some(
        write_if_changed(lake, &format!("{dir}/diff.json"), diff_bytes)
            .await?
            .0,
    );
    tracing::info!(week = %week, summary = r.summary_uri.as_deref().unwrap_or(""), "summary written");

    // The report beside them, in the formats people read (the workbook is `lake report`'s).
    let mut rendered = Vec::new();
    for format in [
        lake_report::Format::Markdown,
        lake_report::Format::Html,
        lake_report::Format::Confluence,
    ] {
        let bytes = lake_report::render(&report, format)
            .with_context(|| format!("the {week} report as {}", format.extension()))?;
        let rel = format!("reports/week={week}/report.{}", format.extension());
        let (uri, changed) = write_if_changed(lake, &rel, bytes.clone()).await?;
        r.report_uris.push(uri);
        r.report_changed |= changed;
        rendered.push(bytes);
    }
    tracing::info!(week = %week, changed = r.report_changed, "report written");
    Ok(Round::Wrote((report, summary, rendered)))
}

/// Emails the week's report unless this very report was sent to these recipients already
/// (`reports/week=<W>/email.json` records what was sent): a redelivered event or a rewrite
/// with the same bytes sends nothing; a changed report (a late account) is sent again.
async fn deliver(
    lake: &Location,
    config: &email::EmailConfig,
    week: &str,
    report: &lake_report::Report,
    text: &str,
    html: &str,
) -> Result<Option<email::Sent>> {
    use sha2::Digest;
    let sha256: String = sha2::Sha256::digest(html.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let rel = format!("reports/week={week}/email.json");
    if let Ok(existing) = lake.store.get(&lake.child(&rel)).await {
        let previous: Option<email::Sent> = existing
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if previous.is_some_and(|p| p.report_sha256 == sha256 && p.to == config.to) {
            return Ok(None);
        }
    }
    let message = email::Message {
        subject: &subject(week, report),
        text,
        html,
        sha256,
    };
    let sent = email::send(config, &|name: &str| std::env::var(name).ok(), &message).await?;
    tracing::info!(week, message_id = %sent.message_id, "report emailed");
    let mut marker = serde_json::to_vec_pretty(&sent)?;
    marker.push(b'\n');
    lake_store::ingest::put_atomic(lake, &rel, Bytes::from(marker))
        .await
        .with_context(|| format!("recording the email in {rel}"))?;
    Ok(Some(sent))
}

/// The email's subject: the week and its headline numbers.
fn subject(week: &str, report: &lake_report::Report) -> String {
    let open: i64 = report.open_fail.iter().map(|s| s.current).sum();
    let of = |name: &str| {
        report
            .open_fail
            .iter()
            .find(|s| s.severity == name)
            .map_or(0, |s| s.current)
    };
    format!(
        "Security report, week {week}: {open} open failures ({} critical, {} high), {} new, {} resolved",
        of("Critical"),
        of("High"),
        report.changes.new + report.changes.regressed,
        report.changes.resolved
    )
}

/// Whether the object at `rel` holds exactly `bytes`.
async fn holds(lake: &Location, rel: &str, bytes: &[u8]) -> bool {
    match lake.store.get(&lake.child(rel)).await {
        Ok(existing) => existing.bytes().await.is_ok_and(|b| b.as_ref() == bytes),
        Err(_) => false,
    }
}

/// The URI of `rel` in the lake.
fn uri_of(lake: &Location, rel: &str) -> String {
    format!("{}/{rel}", lake.url.trim_end_matches('/'))
}

/// Writes `bytes` at `rel` in the lake unless the object already holds exactly them; its
/// URI, and whether it was written.
async fn write_if_changed(lake: &Location, rel: &str, bytes: Vec<u8>) -> Result<(String, bool)> {
    let uri = uri_of(lake, rel);
    if holds(lake, rel, &bytes).await {
        return Ok((uri, false));
    }
    lake_store::ingest::put_atomic(lake, rel, Bytes::from(bytes))
        .await
        .with_context(|| format!("writing {uri}"))?;
    Ok((uri, true))
}

/// As [`write_if_changed`], but only over the version `seen` of the object (see
/// [`lake_store::ingest::put_if_unchanged`]); `None`: another writer changed it since, and
/// nothing was written.
async fn write_if_unchanged(
    lake: &Location,
    rel: &str,
    bytes: Vec<u8>,
    seen: &Option<object_store::UpdateVersion>,
) -> Result<Option<(String, bool)>> {
    let uri = uri_of(lake, rel);
    if holds(lake, rel, &bytes).await {
        return Ok(Some((uri, false)));
    }
    let wrote = lake_store::ingest::put_if_unchanged(lake, rel, Bytes::from(bytes), seen)
        .await
        .with_context(|| format!("writing {uri}"))?;
    Ok(wrote.then_some((uri, true)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lands a manifest file in `lake`, as another ingest would.
    async fn another_ingest_lands(lake: &Location, n: usize) {
        lake_store::ingest::put_atomic(
            lake,
            &format!("scans/dt=2026-05-18/99999999999{n}-run.parquet"),
            Bytes::from_static(b"x"),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn a_summary_is_computed_again_when_an_ingest_lands_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Location::parse(dir.path().to_str().unwrap(), false).unwrap();
        // Nothing lands meanwhile: computed once.
        let mut calls = 0;
        let out = settled(&lake, async || {
            calls += 1;
            Ok(Round::Wrote(calls))
        })
        .await
        .unwrap();
        assert_eq!((out, calls), (Some(1), 1));
        // Another run's ingest lands while the first computation runs: the second one,
        // which sees it, is what is kept.
        let mut calls = 0;
        let out = settled(&lake, async || {
            calls += 1;
            if calls == 1 {
                another_ingest_lands(&lake, 1).await;
            }
            Ok(Round::Wrote(calls))
        })
        .await
        .unwrap();
        assert_eq!((out, calls), (Some(2), 2));
        // Ingests keep landing: it stops after SUMMARY_ROUNDS.
        let mut calls = 0;
        let out = settled(&lake, async || {
            calls += 1;
            another_ingest_lands(&lake, 1 + calls).await;
            Ok(Round::Wrote(calls))
        })
        .await
        .unwrap();
        assert_eq!(out, Some(SUMMARY_ROUNDS as usize));
        // Nothing to summarize: no second round.
        let mut calls = 0;
        let out: Option<()> = settled(&lake, async || {
            calls += 1;
            another_ingest_lands(&lake, 10).await;
            Ok(Round::Nothing)
        })
        .await
        .unwrap();
        assert_eq!((out, calls), (None, 1));
    }

    #[tokio::test]
    async fn a_summary_another_invocation_wrote_meanwhile_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Location::parse(dir.path().to_str().unwrap(), false).unwrap();
        let rel = "summaries/week=2026-W21/summary.json";
        // Another invocation writes the summary while this one computes its first round:
        // that round writes nothing and the next one, which saw it, writes.
        let mut calls = 0;
        let out = settled(&lake, async || {
            calls += 1;
            let seen = lake_store::ingest::version_of(&lake, rel).await?;
            if calls == 1 {
                let other = format!("{{\"by\": \"the other\", \"n\": {calls}}}");
                lake_store::ingest::put_atomic(&lake, rel, Bytes::from(other)).await?;
            }
            let mine = format!("{{\"by\": \"this one\", \"n\": {calls}}}").into_bytes();
            Ok(match write_if_unchanged(&lake, rel, mine, &seen).await? {
                Some(_) => Round::Wrote(calls),
                None => Round::Overtaken,
            })
        })
        .await
        .unwrap();
        assert_eq!((out, calls), (Some(2), 2));
        let written = std::fs::read_to_string(dir.path().join(rel)).unwrap();
        assert_eq!(written, r#"{"by": "this one", "n": 2}"#);
        // Overtaken every round: after the last, the other's summary stands.
        let mut calls = 0;
        let out: Option<usize> = settled(&lake, async || {
            calls += 1;
            Ok(Round::Overtaken)
        })
        .await
        .unwrap();
        assert_eq!((out, calls), (None, SUMMARY_ROUNDS as usize));
    }

    fn event(records: &[(&str, &str)]) -> S3Event {
        let records: Vec<Value> = records
            .iter()
            .map(|(name, key)| {
                serde_json::json!({
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": "us-east-1",
                    "eventTime": "2026-05-18T06:00:00.000Z",
                    "eventName": name,
                    "userIdentity": {"principalId": "AWS:EXAMPLE"},
                    "requestParameters": {"sourceIPAddress": "10.0.0.1"},
                    "responseElements": {"x-amz-request-id": "X", "x-amz-id-2": "Y"},
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "configurationId": "lake",
                        "bucket": {"name": "scans", "ownerIdentity": {"principalId": "X"},
                                   "arn": "arn:aws:s3:::scans"},
                        "object": {"key": key, "size": 1, "eTag": "0", "sequencer": "0"}
                    }
                })
            })
            .collect();
        serde_json::from_value(serde_json::json!({ "Records": records })).unwrap()
    }

    #[test]
    fn markers_scan_files_and_the_rest_are_told_apart() {
        let e = event(&[
            ("ObjectCreated:Put", "prowler/2026-W21/run-7/run.complete"),
            (
                "ObjectCreated:CompleteMultipartUpload",
                "prowler/2026-W21/run-7/111122223333/json-ocsf/prowler-output-111122223333-20260518020000.ocsf.json",
            ),
            ("ObjectCreated:Put", "prowler/2026-W21/run-7/111122223333/csv/out.csv"),
            ("ObjectRemoved:Delete", "prowler/2026-W21/run-7/run.complete"),
        ]);
        let t = triggers(&e);
        assert_eq!(
            t[0],
            Trigger::RunComplete {
                bucket: "scans".into(),
                key: "prowler/2026-W21/run-7/run.complete".into(),
                run_prefix: "prowler/2026-W21/run-7/".into(),
            }
        );
        assert!(matches!(&t[1], Trigger::ScanFile { key, .. } if key.ends_with(".ocsf.json")));
        assert!(matches!(&t[2], Trigger::Ignored { reason, .. } if reason.contains("neither")));
        assert!(
            matches!(&t[3], Trigger::Ignored { reason, .. } if reason.contains("ObjectRemoved"))
        );
    }

    #[test]
    fn a_run_marker_outside_a_week_and_run_folder_is_ignored() {
        let e = event(&[
            ("ObjectCreated:Put", "prowler/run.complete"),
            ("ObjectCreated:Put", "run.complete"),
            ("ObjectCreated:Put", "prowler/2026-W21/run.complete"),
            ("ObjectCreated:Put", "prowler/latest/run-7/run.complete"),
            ("ObjectCreated:Put", "2026-W21/run-7/run.complete"),
        ]);
        let t = triggers(&e);
        for (i, expected) in [
            "everything under prowler/",
            "everything under the bucket",
            "everything under prowler/2026-W21/",
            "everything under prowler/latest/run-7/",
        ]
        .iter()
        .enumerate()
        {
            assert!(
                matches!(&t[i], Trigger::Ignored { reason, .. } if reason.contains(expected)),
                "{i}: {:?}",
                t[i]
            );
        }
        assert!(
            matches!(&t[4], Trigger::RunComplete { run_prefix, .. } if run_prefix == "2026-W21/run-7/")
        );
    }

    #[test]
    fn event_keys_are_url_decoded() {
        assert_eq!(decode_key("a+b/c%3Dd%2Fe.complete"), "a b/c=d/e.complete");
        assert_eq!(decode_key("100%"), "100%");
        assert_eq!(decode_key("%zz"), "%zz");
        let e = event(&[(
            "ObjectCreated:Put",
            "my+scans/2026-W21/run%231/run.complete",
        )]);
        assert!(matches!(&triggers(&e)[0],
            Trigger::RunComplete { run_prefix, .. } if run_prefix == "my scans/2026-W21/run#1/"));
    }

    #[test]
    fn configuration_comes_from_the_environment() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let c = Config::from_vars(vars(&[("LAKE_URL", "s3://lake/x")])).unwrap();
        assert_eq!(
            (
                c.sample,
                c.metric_namespace.as_str(),
                c.concurrency,
                c.history_weeks
            ),
            (50, "Lake", 2, 13)
        );
        let c = Config::from_vars(vars(&[
            ("LAKE_URL", "s3://lake/x"),
            ("LAKE_SAMPLE", "20"),
            ("LAKE_METRIC_NAMESPACE", "Security"),
            ("LAKE_HISTORY_WEEKS", "4"),
        ]))
        .unwrap();
        assert_eq!(
            (c.sample, c.metric_namespace.as_str(), c.history_weeks),
            (20, "Security", 4)
        );
        let err = Config::from_vars(vars(&[])).unwrap_err().to_string();
        assert!(err.contains("LAKE_URL"), "{err}");
        let err = Config::from_vars(vars(&[("LAKE_URL", "s3://l"), ("LAKE_SAMPLE", "lots")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("LAKE_SAMPLE=lots"), "{err}");
    }
}
