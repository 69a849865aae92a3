//! The ingest pipeline: sources in, Parquet files and manifest rows out.
//!
//! Each source is read and framed on a blocking thread (plain file reads for local files,
//! the object store's byte stream otherwise) into units that the decode pool parses on
//! every core; their batches come back in source order, and the async side sorts and encodes
//! them into Parquet and uploads them. Sources run concurrently up to a limit; one source's
//! memory is a few units and their batches, the channel of two batches, and the Parquet row
//! group being encoded, whatever the size of the file.
//!
//! Visibility: a findings file appears under its final name only once it is complete (a
//! rename from `_staging/` on a local lake, the completion of a multipart upload on S3), and
//! its manifest row is written after it. Re-ingesting a source whose manifest row shows the
//! same URI, size, modification time and ETag is skipped, so ingesting twice leaves the lake
//! exactly as after once.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::RecordBatch;
use bytes::Bytes;
use futures::StreamExt;
use lake_core::observed::CellCounter;
use lake_core::{
    DecodeReport, DecodedUnit, DecoderOptions, Overrides, PathHints, ScanIdentity, ScanStatus,
    Splitter, Unit, UnitDecoder,
};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt, PutMode, UpdateVersion};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::async_writer::{AsyncArrowWriter, AsyncFileWriter};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use tokio::sync::mpsc;

use crate::error::{Result, StoreError};
use crate::layout::{ScanFiles, FINDINGS_TABLE, SCANS_TABLE, STAGING_DIR};
use crate::location::Location;
use crate::manifest::{self, ScanRecord};
use crate::observed;
use crate::source::{Source, SourceKind};
use crate::writer::{manifest_properties, sort_findings, writer_properties_with, Codec};

/// How an ingest runs.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Identity given on the command line.
    pub overrides: Overrides,
    /// Decoder buffering.
    pub decoder: DecoderOptions,
    /// Ingest even when the manifest shows the same source already ingested.
    pub force: bool,
    /// Sources ingested at once.
    pub concurrency: usize,
    /// Bytes per read, and per unit of parallel decoding: a source's memory is a few of
    /// these and their batches.
    pub read_buffer: usize,
    /// The compression of the findings files written.
    pub codec: Codec,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            overrides: Overrides::default(),
            decoder: DecoderOptions::default(),
            force: false,
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            read_buffer: 2 << 20,
            codec: Codec::default(),
        }
    }
}

/// What happened to one source.
#[derive(Debug, Clone)]
pub struct IngestOutcome {
    /// The manifest row written (or found, when skipped).
    pub record: ScanRecord,
    /// The source was already ingested; nothing was written.
    pub skipped: bool,
    /// The first rejections and the stream fault, for the user.
    pub report: DecodeReport,
    /// The source failed for the machinery (reading it, writing the lake), not for its
    /// bytes: [`ingest`] tried it again ([`MACHINERY_ATTEMPTS`] in all), and a later ingest
    /// may succeed.
    pub transient: bool,
}

impl IngestOutcome {
    /// The outcome's status.
    pub fn status(&self) -> &str {
        &self.record.status
    }
}

/// Counts bytes read, for progress bars.
pub type Progress = Arc<AtomicU64>;

/// Which source of this ingest writes which (account, run) file. Two sources that resolve
/// to the same file would silently replace each other; instead the later scan wins (by scan
/// time, then by URI, so the answer does not depend on which finished first) and the other
/// writes nothing and says why.
#[derive(Debug, Default)]
struct Claims {
    owners: std::sync::Mutex<std::collections::HashMap<String, Owner>>,
    /// The file each source claimed.
    files: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Claim {
    scan_time: chrono::DateTime<chrono::Utc>,
    source: String,
}

#[derive(Debug, Clone)]
struct Owner {
    best: Claim,
    /// Held while a source commits its files, so a takeover cannot interleave with it.
    commit: Arc<tokio::sync::Mutex<()>>,
}

impl Claims {
    /// Claims `file` for `source`; returns the source that holds it instead, if any.
    fn claim(&self, file: &str, identity: &ScanIdentity, source: &str) -> Option<String> {
        let mine = Claim {
            scan_time: identity.scan_time,
            source: source.to_owned(),
        };
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(source.to_owned(), file.to_owned());
        let mut map = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        let owner = map.entry(file.to_owned()).or_insert_with(|| Owner {
            best: mine.clone(),
            commit: Arc::default(),
        });
        if mine > owner.best {
            owner.best = mine;
        }
        (owner.best.source != source).then(|| owner.best.source.clone())
    }

    /// The source whose scan replaced what `source` wrote, if one did.
    fn superseded_by(&self, source: &str) -> Option<String> {
        let file = self
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(source)
            .cloned()?;
        let map = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        let winner = &map.get(&file)?.best.source;
        (winner != source).then(|| winner.clone())
    }

    /// Waits for the right to commit `file`; `Err` names the source that took it over.
    async fn commit_guard(
        &self,
        file: &str,
        source: &str,
    ) -> std::result::Result<tokio::sync::OwnedMutexGuard<()>, String> {
        let lock = {
            let map = self.owners.lock().unwrap_or_else(|e| e.into_inner());
            map.get(file).map(|o| o.commit.clone())
        };
        let Some(lock) = lock else {
            return Err("nobody".into());
        };
        let guard = lock.lock_owned().await;
        let map = self.owners.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(file) {
            Some(o) if o.best.source == source => Ok(guard),
            Some(o) => Err(o.best.source.clone()),
            None => Err("nobody".into()),
        }
    }
}

/// Ingests `sources` into the lake at `lake`, `options.concurrency` at a time, each source
/// on its own task so that encoding spreads over the runtime's threads. Outcomes come back
/// in the order of `sources`. Errors of one source (unreadable, invalid, unwritable) are
/// recorded in its outcome; the others go on.
pub async fn ingest(
    lake: &Location,
    sources: Vec<Source>,
    options: &IngestOptions,
    progress: Progress,
) -> Vec<IngestOutcome> {
    let claims = Arc::new(Claims::default());
    let options = Arc::new(options.clone());
    // Largest source first, and each finished source frees its slot at once (outcomes are
    // put back in order afterwards): with in-order completion, a small file finishing
    // beside a large one held its slot until the large one ended, leaving a core idle.
    let mut order: Vec<(usize, Source)> = sources.into_iter().enumerate().collect();
    order.sort_by(|(i, a), (j, b)| b.size.cmp(&a.size).then(i.cmp(j)));
    let mut outcomes: Vec<(usize, IngestOutcome)> = futures::stream::iter(order)
        .map(|(i, source)| {
            let (lake, options, claims, progress) = (
                lake.clone(),
                options.clone(),
                claims.clone(),
                progress.clone(),
            );
            async move {
                let mut attempt = 1;
                loop {
                    let task = tokio::spawn({
                        let (lake, source, options, progress, claims) = (
                            lake.clone(),
                            source.clone(),
                            options.clone(),
                            progress.clone(),
                            claims.clone(),
                        );
                        async move { ingest_one(&lake, source, &options, progress, &claims).await }
                    });
                    let outcome = match task.await {
                        Ok(outcome) => outcome,
                        Err(e) => crashed(&source, &options, &e.to_string()),
                    };
                    // A failure of the machinery (a connection cut that the object store
                    // did not retry, a throttled bucket) is tried again from the start: every
                    // write of an ingest is idempotent, and a replaced file's row stays
                    // interrupted until the retry lands.
                    if !outcome.transient || attempt >= MACHINERY_ATTEMPTS {
                        break (i, outcome);
                    }
                    tokio::time::sleep(machinery_backoff(attempt)).await;
                    attempt += 1;
                }
            }
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    outcomes.sort_by_key(|(i, _)| *i);
    let outcomes: Vec<IngestOutcome> = outcomes
        .into_iter()
        .map(|(_, outcome)| outcome)
        .map(|mut outcome: IngestOutcome| {
            // A source that committed before a later scan of its (account, run) took over
            // was replaced by it.
            if !outcome.skipped && outcome.record.status != ScanStatus::Failed.as_str() {
                if let Some(winner) = claims.superseded_by(&outcome.record.source_uri) {
                    let r = &mut outcome.record;
                    r.status = ScanStatus::Failed.as_str().to_owned();
                    r.findings_path = None;
                    r.error = Some(format!(
                        "{winner}, a later scan in this ingest, also resolves to account {} \
                         run {} and replaced this source's files: ingest them separately or \
                         give --run-id",
                        r.account_uid, r.run_id
                    ));
                }
            }
            outcome
        })
        .collect();
    // The manifest snapshot and the failure index are caches that readers check against
    // the files: failing to refresh them makes the next queries slower, never wrong, so it
    // fails nothing here.
    let _ = crate::snapshot::refresh(lake).await;
    let _ = crate::failures::refresh(lake).await;
    // What killed ingests left behind; like the caches, best effort.
    let _ = sweep_staging(lake, STAGING_ABANDONED_AFTER).await;
    // The compacted copies of closed weeks are the caller's to refresh (see
    // `crate::compact`): a fan-out of one ingest per file must not compact once per file.
    outcomes
}

/// How many times [`ingest`] tries a source whose failure was the machinery's.
pub const MACHINERY_ATTEMPTS: u32 = 3;

/// The wait after failed attempt `attempt` (from 1) of [`MACHINERY_ATTEMPTS`]: 0.5 s, then
/// four times longer each time. Shared by ingest and compaction.
pub(crate) fn machinery_backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(500) * 4u32.pow(attempt.saturating_sub(1))
}

/// Stores the observed cells of a committed findings file, tried [`MACHINERY_ATTEMPTS`]
/// times (the write is idempotent): a passing fault of the store, which the source's own
/// writes ride out, must not leave in its manifest row a warning a clean run would not have.
async fn store_cells(
    lake: &Location,
    findings_rel: &str,
    version: &ObjectMeta,
    cells: &RecordBatch,
) -> Result<()> {
    let mut attempt = 1;
    loop {
        match observed::write(lake, findings_rel, version, cells).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt >= MACHINERY_ATTEMPTS => return Err(e),
            Err(_) => {
                tokio::time::sleep(machinery_backoff(attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// The outcome of a source whose ingest task died: failed, nothing written by it.
fn crashed(source: &Source, options: &IngestOptions, why: &str) -> IngestOutcome {
    let hints = PathHints::from_path(&source.uri);
    let identity = fallback_identity(options, &hints, source);
    failed_unwritten(
        source,
        &identity,
        false,
        DecodeReport::default(),
        format!("ingest task failed: {why}"),
    )
}

/// A failed outcome whose row is not written, `error` saying why (a permanent failure:
/// not retried as the machinery's).
fn failed_unwritten(
    source: &Source,
    identity: &ScanIdentity,
    known_scan: bool,
    report: DecodeReport,
    error: String,
) -> IngestOutcome {
    let record = ScanRecord::new(
        source,
        identity,
        known_scan,
        &report,
        ScanStatus::Failed,
        Some(error),
        None,
    );
    IngestOutcome {
        record,
        skipped: false,
        report,
        transient: false,
    }
}

/// What the decoding thread hands back.
struct Decoded {
    report: DecodeReport,
    identity: Option<ScanIdentity>,
    /// A failure of the machinery rather than of the input: reading the source, building a
    /// batch, the thread itself.
    io_error: Option<String>,
}

/// A batch and the identity known when it was made.
type Msg = (ScanIdentity, RecordBatch);

/// Ingests one source.
///
/// Two kinds of failure are told apart. A fault of the *input* (not JSON, truncated, no
/// valid finding) is a property of the bytes: what could be read lands, the manifest says
/// partial or failed, and re-ingesting gives the same answer. A failure of the *machinery*
/// (reading the source, writing the lake) says nothing about the scan: no findings file is
/// committed, nothing an earlier ingest wrote for the same (account, run) is touched, and a
/// manifest row is written only when there is none yet (so the account shows as not
/// scanned rather than disappearing); the next ingest retries it.
async fn ingest_one(
    lake: &Location,
    source: Source,
    options: &IngestOptions,
    progress: Progress,
    claims: &Claims,
) -> IngestOutcome {
    let hints = PathHints {
        source_modified: source.modified,
        ..PathHints::from_path(&source.uri)
    };
    let (tx, mut rx) = mpsc::channel::<Msg>(2);
    let decoding = {
        let source = source.clone();
        let hints = hints.clone();
        let options = options.clone();
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            decode_source(&source, hints, &options, tx, &progress, &handle)
        })
    };

    let mut sink: Option<FindingsSink> = None;
    let mut write_error: Option<String> = None;
    let mut conflict: Option<String> = None;
    let mut skipped: Option<ScanRecord> = None;
    // Where the scan's files go, once its identity is known (see `scan_files`).
    let mut files: Option<(ScanIdentity, ScanFiles, Option<ScanRecord>)> = None;
    let mut name_taken: Option<ScanRecord> = None;
    while let Some((identity, batch)) = rx.recv().await {
        if sink.is_none() {
            let (at, earlier) = match scan_files(lake, &identity).await {
                Ok(Ok(found)) => found,
                Ok(Err(other)) => {
                    name_taken = Some(other);
                    break;
                }
                Err(e) => {
                    write_error = Some(e.to_string());
                    break;
                }
            };
            files = Some((identity.clone(), at.clone(), earlier.clone()));
            let file = at.path(FINDINGS_TABLE);
            if let Some(owner) = claims.claim(&file, &identity, &source.uri) {
                conflict = Some(owner);
                break;
            }
            if !options.force {
                if let Some(existing) = already_ingested(earlier, &source) {
                    skipped = Some(existing);
                    break;
                }
            }
            match FindingsSink::open(lake, &file, options.codec).await {
                Ok(s) => sink = Some(s),
                Err(e) => {
                    write_error = Some(e.to_string());
                    break;
                }
            }
        }
        if let Some(s) = sink.as_mut() {
            if let Err(e) = s.write(&batch).await {
                write_error = Some(e.to_string());
                break;
            }
        }
    }
    // Stops the decoder early when we stopped reading.
    drop(rx);
    let decoded = match decoding.await {
        Ok(d) => d,
        Err(e) => Decoded {
            report: DecodeReport::default(),
            identity: None,
            io_error: Some(format!("decoder thread failed: {e}")),
        },
    };
    if let Some(existing) = skipped {
        if let Some(s) = sink {
            s.abort().await;
        }
        return IngestOutcome {
            record: existing,
            skipped: true,
            report: decoded.report,
            transient: false,
        };
    }

    let known_scan = decoded.identity.is_some() || hints.file_time.is_some();
    let identity = decoded
        .identity
        .clone()
        .unwrap_or_else(|| fallback_identity(options, &hints, &source));
    let (files, earlier) = match files.filter(|(known, _, _)| *known == identity) {
        Some((_, at, earlier)) => (at, earlier),
        None if name_taken.is_some() => (ScanFiles::of(&identity), None),
        None => match scan_files(lake, &identity).await {
            Ok(Ok(found)) => found,
            Ok(Err(other)) => {
                name_taken = Some(other);
                (ScanFiles::of(&identity), None)
            }
            Err(e) => {
                write_error.get_or_insert(e.to_string());
                (ScanFiles::of(&identity), None)
            }
        },
    };
    if let Some(other) = name_taken {
        // Another scan's files hold this scan's name: nothing is written.
        let error = format!(
            "the lake's {} holds the scan of account {} run {}, named before lake's file \
             names were collision-free, and that name is this scan's (account {} run {}) \
             too: nothing was written for this source; ingest it with another --run-id",
            files.path(SCANS_TABLE),
            other.account_uid,
            other.run_id,
            identity.account,
            identity.run_id
        );
        return nothing_written(sink, &source, &identity, known_scan, decoded.report, error).await;
    }
    let findings_rel = files.path(FINDINGS_TABLE);
    if conflict.is_none() {
        // A source without findings still speaks for its (account, run), and one that failed
        // to reach the lake before claiming its file claims it now: the guard below waits on
        // the claim (claiming again is a no-op).
        conflict = claims.claim(&findings_rel, &identity, &source.uri);
    }
    // A complete scan that landed for this (account, run) is not replaced by a copy that
    // read worse (cut short, or with findings rejected: a truncated re-delivery, a broken
    // export of the same run): the complete one is kept and this source says why. `--force`
    // replaces it.
    if conflict.is_none() && write_error.is_none() && !options.force {
        let kept = earlier
            .as_ref()
            .filter(|r| r.status == ScanStatus::Succeeded.as_str() && !r.same_source(&source));
        let status = decoded.report.status();
        if let (Some(kept), false) = (kept, status == ScanStatus::Succeeded) {
            let why = decoded
                .report
                .error()
                .unwrap_or_else(|| "nothing landed".into());
            let error = format!(
                "account {} run {} already has a complete scan in the lake (from {}); this \
                 copy read {} ({why}) and was not landed: the complete scan is kept (--force \
                 replaces it)",
                identity.account,
                identity.run_id,
                kept.source_uri,
                status.as_str()
            );
            return nothing_written(sink, &source, &identity, known_scan, decoded.report, error)
                .await;
        }
    }
    if sink.is_none() && conflict.is_none() && write_error.is_none() && !options.force {
        if let Some(existing) = already_ingested(earlier, &source) {
            return IngestOutcome {
                record: existing,
                skipped: true,
                report: decoded.report,
                transient: false,
            };
        }
    }
    let mut report = decoded.report;
    // From here to the end this source alone writes its (account, run), if it still may.
    let _guard = match conflict {
        Some(_) => None,
        None => match claims.commit_guard(&findings_rel, &source.uri).await {
            Ok(guard) => Some(guard),
            Err(owner) => {
                conflict = Some(owner);
                None
            }
        },
    };

    if let Some(owner) = conflict {
        // The (account, run) belongs to another source of this ingest: nothing is written.
        let error = format!(
            "{owner}, a later scan in this ingest, also resolves to account {} run {}; \
             nothing was written for this source: ingest them separately or give --run-id",
            identity.account, identity.run_id
        );
        return nothing_written(sink, &source, &identity, known_scan, report, error).await;
    }

    let mut machinery: Vec<String> = decoded.io_error.into_iter().collect();
    if let Some(e) = write_error {
        machinery.push(format!("writing the lake: {e}"));
    }
    let mut findings_path = None;
    // The version of the findings file committed, which its row records.
    let mut findings_version: Option<ObjectMeta> = None;
    // The row an earlier ingest wrote for this (account, run) describes the findings file
    // about to be replaced (or removed): until this ingest's row lands it must claim
    // nothing, or a crash in between would leave it describing findings it does not match.
    // It is set to an interrupted (failed) row first, and put back if the file is left as
    // it was.
    let mut earlier_row: Option<Vec<RecordBatch>> = None;
    if machinery.is_empty() {
        let manifest_rel = files.path(SCANS_TABLE);
        if let Ok(batches) = read_parquet(lake, &lake.child(&manifest_rel)).await {
            let interrupted = ScanRecord::new(
                &source,
                &identity,
                known_scan,
                &DecodeReport::default(),
                ScanStatus::Failed,
                Some(INTERRUPTED.to_owned()),
                None,
            );
            match write_manifest(lake, &files, &interrupted).await {
                Ok(()) => {
                    crash_point("row-marked");
                    earlier_row = Some(batches);
                }
                Err(e) => machinery.push(format!("marking the earlier manifest row: {e}")),
            }
        }
    }
    if machinery.is_empty() {
        match sink {
            Some(s) => match s.commit().await {
                Ok((cells, version)) => {
                    findings_path = Some(findings_rel.clone());
                    findings_version = Some(version.clone());
                    // The cache of what the file observed; without it queries count the
                    // file themselves, so a failure here is only logged in the report.
                    let stored = match cells.map(CellCounter::finish) {
                        Some(Ok(batch)) => store_cells(lake, &findings_rel, &version, &batch).await,
                        Some(Err(e)) => Err(StoreError::Arrow(e)),
                        None => Ok(()),
                    };
                    if let Err(e) = stored {
                        report
                            .warnings
                            .push(format!("storing the observed cells: {e}"));
                    }
                    crash_point("findings-committed");
                }
                Err(e) => machinery.push(format!("writing the lake: {e}")),
            },
            None => {
                // The source was read to its end and holds no findings: a file from an
                // earlier ingest of the same (account, run) must not outlive it.
                let stale = lake.child(&findings_rel);
                if let Err(e) = lake.store.delete(&stale).await {
                    if !matches!(e, object_store::Error::NotFound { .. }) {
                        machinery.push(format!("removing stale {findings_rel}: {e}"));
                    }
                }
                if let Err(e) = observed::remove(lake, &findings_rel).await {
                    machinery.push(e.to_string());
                }
            }
        }
    } else if let Some(s) = sink {
        s.abort().await;
    }

    if !machinery.is_empty() {
        if let Some(batches) = &earlier_row {
            // The findings file was not replaced: the earlier row describes it again.
            let rel = files.path(SCANS_TABLE);
            let restored = match arrow::compute::concat_batches(&batches[0].schema(), batches) {
                Ok(batch) => put_parquet(lake, &rel, &batch, manifest_properties()).await,
                Err(e) => Err(StoreError::Arrow(e)),
            };
            if let Err(e) = restored {
                machinery.push(format!("restoring the earlier manifest row: {e}"));
            }
        }
        report.counts = Default::default();
        let mut error = machinery.join("; ");
        let manifest = lake.child(&files.path(SCANS_TABLE));
        let earlier = lake.store.head(&manifest).await.is_ok();
        if earlier {
            error.push_str("; the lake keeps what an earlier ingest wrote for this scan");
        }
        let mut record = ScanRecord::new(
            &source,
            &identity,
            known_scan,
            &report,
            ScanStatus::Failed,
            Some(error),
            None,
        );
        if !earlier {
            if let Err(e) = write_manifest(lake, &files, &record).await {
                record.error = Some(format!(
                    "{}; writing the manifest: {e}",
                    record.error.unwrap_or_default()
                ));
            }
        }
        return IngestOutcome {
            record,
            skipped: false,
            report,
            transient: true,
        };
    }

    let status = report.status();
    let error = report.error();
    if status == ScanStatus::Failed {
        report.counts = Default::default();
    }
    let mut record = ScanRecord::new(
        &source,
        &identity,
        known_scan,
        &report,
        status,
        error,
        findings_path,
    );
    if let Some(version) = findings_version {
        record.findings_size = i64::try_from(version.size).ok();
        // S3's ETag names the content; a local store's names the inode and modification
        // time, which two ingests writing the same bytes at once (a redelivered event) give
        // differently: there the size alone is recorded.
        if !lake.atomic_rename() {
            record.findings_etag = version.e_tag;
        }
    }
    let mut transient = false;
    if let Err(e) = write_manifest(lake, &files, &record).await {
        record.status = ScanStatus::Failed.as_str().to_owned();
        record.error = Some(format!("writing the manifest: {e}"));
        transient = true;
    }
    IngestOutcome {
        record,
        skipped: false,
        report,
        transient,
    }
}

/// The outcome of a source of which nothing is written, `error` saying why: the findings
/// file it began (if any) given up, its counts cleared, a failed row that is not written
/// (the files it would go under belong to another scan).
async fn nothing_written(
    sink: Option<FindingsSink>,
    source: &Source,
    identity: &ScanIdentity,
    known_scan: bool,
    mut report: DecodeReport,
    error: String,
) -> IngestOutcome {
    if let Some(s) = sink {
        s.abort().await;
    }
    report.counts = Default::default();
    failed_unwritten(source, identity, known_scan, report, error)
}

/// The identity of a source none of whose findings could be read: from the flags and path,
/// with the source's modification time (or now) as scan time.
fn fallback_identity(options: &IngestOptions, hints: &PathHints, source: &Source) -> ScanIdentity {
    let mut hints = hints.clone();
    if hints.file_time.is_none() {
        hints.file_time = Some(source.modified.unwrap_or_else(chrono::Utc::now));
    }
    let mut identity = ScanIdentity::resolve(&options.overrides, &hints, None)
        .unwrap_or_else(|| unreachable_identity(source));
    if hints.run_id.is_none() && options.overrides.run_id.is_none() && hints.account.is_none() {
        // Nothing names this source: key its manifest row by the source itself.
        identity.run_id = format!("source-{}", source_tag(&source.uri));
    }
    identity
}

/// A short stable tag of a source URI: the first 8 bytes of its SHA-256, in hex.
fn source_tag(uri: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(uri.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn unreachable_identity(source: &Source) -> ScanIdentity {
    let now = chrono::Utc::now();
    ScanIdentity {
        run_id: source.uri.clone(),
        account: "unknown".into(),
        week: lake_core::IsoWeek::of(now.date_naive()),
        scan_time: now,
        source: lake_core::source::PROWLER.into(),
    }
}

/// Where the files of `identity`'s scan go: under its stem (see
/// [`ScanIdentity::file_stem`]), or under its legacy stem when a lake written before stems
/// were collision-free holds this very scan there (its row names the same account, run and
/// producer), so that a re-ingest replaces it rather than adding a second copy beside it;
/// with the row an earlier ingest of the scan wrote there, if any. `Ok(Err(row))`: the
/// scan's stem holds another scan's row (a legacy name that is also this scan's name):
/// nothing may be written there.
async fn scan_files(
    lake: &Location,
    identity: &ScanIdentity,
) -> Result<std::result::Result<(ScanFiles, Option<ScanRecord>), ScanRecord>> {
    let row_at = |at: &ScanFiles| {
        let path = lake.child(&at.path(SCANS_TABLE));
        async move {
            match read_parquet(lake, &path).await {
                Ok(batches) => Ok(batches.iter().flat_map(manifest::from_batch).next()),
                Err(StoreError::ObjectStore {
                    source: object_store::Error::NotFound { .. },
                    ..
                }) => Ok(None),
                Err(e) => Err(e),
            }
        }
    };
    let is_this_scan = |r: &ScanRecord| {
        r.account_uid == identity.account
            && r.run_id == identity.run_id
            && r.source_product
                .as_deref()
                .unwrap_or(lake_core::source::PROWLER)
                == identity.source
    };
    let current = ScanFiles::of(identity);
    let legacy = ScanFiles::legacy(identity);
    if legacy != current {
        if let Some(row) = row_at(&legacy).await? {
            if is_this_scan(&row) {
                return Ok(Ok((legacy, Some(row))));
            }
        }
    }
    match row_at(&current).await? {
        Some(row) if !is_this_scan(&row) => Ok(Err(row)),
        row => Ok(Ok((current, row))),
    }
}

/// The manifest row of an earlier ingest of the same bytes, if there is one: `earlier`,
/// the row the scan's files have (see [`scan_files`]), when it was made from `source`.
fn already_ingested(earlier: Option<ScanRecord>, source: &Source) -> Option<ScanRecord> {
    earlier.filter(|r| r.same_source(source))
}

/// For crash tests (tests/python/test_crash.py): `LAKE_CRASH_AT=<point>` aborts the process
/// at that point of every source's ingest, as a kill would: `row-marked` (the earlier row
/// marked interrupted, the findings file not yet replaced), `findings-committed` (replaced,
/// its manifest row not yet written).
fn crash_point(point: &str) {
    if std::env::var("LAKE_CRASH_AT").is_ok_and(|p| p == point) {
        std::process::abort();
    }
}

/// The error of the manifest row that stands for a scan while its findings file is being
/// replaced: what a reader finds when the ingest was killed in between.
pub const INTERRUPTED: &str = "interrupted: an ingest of this scan was replacing its findings \
    and did not finish; nothing of it is counted until the source is ingested again";

/// Reads a whole (small) Parquet object.
pub async fn read_parquet(lake: &Location, path: &Path) -> Result<Vec<RecordBatch>> {
    let bytes = lake.read_whole(path).await?;
    ParquetRecordBatchReaderBuilder::try_new(bytes)
        .map_err(StoreError::parquet(path))?
        .build()
        .map_err(StoreError::parquet(path))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(StoreError::Arrow)
}

async fn write_manifest(lake: &Location, files: &ScanFiles, record: &ScanRecord) -> Result<()> {
    let batch = manifest::to_batch(record)?;
    let rel = files.path(SCANS_TABLE);
    put_parquet(lake, &rel, &batch, manifest_properties()).await
}

/// Writes `batch` as one Parquet object at `rel` with `properties`, atomically.
pub(crate) async fn put_parquet(
    lake: &Location,
    rel: &str,
    batch: &RecordBatch,
    properties: WriterProperties,
) -> Result<()> {
    put_parquet_batches(
        lake,
        rel,
        &batch.schema(),
        std::slice::from_ref(batch),
        properties,
    )
    .await
}

/// Writes `batches` (of `schema`) as one Parquet object at `rel` with `properties`,
/// atomically, encoding them one after the other (never concatenated in memory).
pub(crate) async fn put_parquet_batches(
    lake: &Location,
    rel: &str,
    schema: &arrow::datatypes::SchemaRef,
    batches: &[RecordBatch],
    properties: WriterProperties,
) -> Result<()> {
    let mut buf = Vec::new();
    let mut w = ArrowWriter::try_new(&mut buf, schema.clone(), Some(properties))
        .map_err(StoreError::parquet(rel))?;
    for batch in batches {
        w.write(batch).map_err(StoreError::parquet(rel))?;
    }
    w.close().map_err(StoreError::parquet(rel))?;
    put_atomic(lake, rel, Bytes::from(buf)).await
}

/// Writes a small object so that readers see all of it or nothing.
pub async fn put_atomic(lake: &Location, rel: &str, bytes: Bytes) -> Result<()> {
    let target = lake.child(rel);
    if lake.atomic_rename() {
        let staging = lake.child(&staging_name(rel));
        lake.store
            .put(&staging, bytes.into())
            .await
            .map_err(StoreError::store("writing", &staging))?;
        lake.store
            .rename(&staging, &target)
            .await
            .map_err(StoreError::store("renaming", &target))
    } else {
        // A single PUT is atomic on S3.
        lake.store
            .put(&target, bytes.into())
            .await
            .map(|_| ())
            .map_err(StoreError::store("writing", &target))
    }
}

/// The version of the object at `rel` as it is now (`None`: there is none), for a later
/// [`put_if_unchanged`].
pub async fn version_of(lake: &Location, rel: &str) -> Result<Option<UpdateVersion>> {
    match lake.store.head(&lake.child(rel)).await {
        Ok(meta) => Ok(Some(UpdateVersion {
            e_tag: meta.e_tag,
            version: meta.version,
        })),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(StoreError::store("reading the version of", rel)(e)),
    }
}

/// Writes the small object `rel` only if it is still the version `seen` (`None`: still
/// absent), so that a writer never replaces what another wrote after it looked. Returns
/// whether it wrote; `false`: the object changed meanwhile and nothing was written. On S3 one
/// conditional request (If-Match, or If-None-Match when absent); on a local lake, which
/// has no conditional writes, the version is compared just before the atomic rename (not
/// one step: local lakes have one writer at a time).
pub async fn put_if_unchanged(
    lake: &Location,
    rel: &str,
    bytes: Bytes,
    seen: &Option<UpdateVersion>,
) -> Result<bool> {
    if lake.atomic_rename() {
        let now = version_of(lake, rel).await?;
        if now.as_ref().map(|v| &v.e_tag) != seen.as_ref().map(|v| &v.e_tag) {
            return Ok(false);
        }
        put_atomic(lake, rel, bytes).await?;
        return Ok(true);
    }
    let target = lake.child(rel);
    let mode = match seen {
        Some(v) => PutMode::Update(v.clone()),
        None => PutMode::Create,
    };
    match lake
        .store
        .put_opts(&target, bytes.into(), mode.into())
        .await
    {
        Ok(_) => Ok(true),
        Err(
            object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. },
        ) => Ok(false),
        Err(e) => Err(StoreError::store("writing", &target)(e)),
    }
}

/// How long a staging file may go unwritten before it counts as abandoned. A writer
/// writes its file as it goes (row groups of the findings, a manifest row at once), so
/// a file untouched this long belongs to a process that was killed.
pub const STAGING_ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// Removes the staging files (local lakes) last written more than `older_than` ago: what an
/// ingest or a compaction that was killed left in `_staging/`. Never visible to readers,
/// they only take space. Returns how many were removed.
pub async fn sweep_staging(lake: &Location, older_than: std::time::Duration) -> Result<usize> {
    if lake.local_dir.is_none() {
        return Ok(0);
    }
    let prefix = lake.child(STAGING_DIR);
    let cutoff = chrono::Utc::now()
        - chrono::Duration::from_std(older_than).unwrap_or(chrono::Duration::MAX);
    let mut listing = lake.store.list(Some(&prefix));
    let mut removed = 0;
    while let Some(item) = listing.next().await {
        let meta = match item {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(e) => return Err(StoreError::store("listing", &prefix)(e)),
        };
        if meta.last_modified < cutoff {
            match lake.store.delete(&meta.location).await {
                Ok(()) => removed += 1,
                // Renamed into place or removed by its writer meanwhile.
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(StoreError::store("removing", &meta.location)(e)),
            }
        }
    }
    Ok(removed)
}

fn staging_name(rel: &str) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // Only characters that need no escaping in an object path.
    let stem: String = rel
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{STAGING_DIR}/{}-{nanos}-{stem}", std::process::id())
}

/// A findings file being written: to a local file under `_staging` then renamed (local
/// lakes), or straight to its final key by a multipart upload that only completes at the end
/// (object stores).
pub(crate) struct FindingsSink {
    writer: AsyncArrowWriter<Sink>,
    /// Counts what the file observes (ingest only), stored beside it (see [`observed`]).
    cells: Option<CellCounter>,
    lake: Location,
    written_to: Path,
    target: Path,
}

impl FindingsSink {
    async fn open(lake: &Location, rel: &str, codec: Codec) -> Result<Self> {
        let mut sink = Self::create(lake, rel, writer_properties_with(codec)).await?;
        sink.cells = Some(CellCounter::new());
        Ok(sink)
    }

    /// A findings file at `rel` (relative to the lake) written with `properties`.
    pub(crate) async fn create(
        lake: &Location,
        rel: &str,
        properties: WriterProperties,
    ) -> Result<Self> {
        let target = lake.child(rel);
        let (written_to, sink): (Path, Sink) = match &lake.local_dir {
            Some(dir) => {
                let staging = staging_name(rel);
                let fs_path = dir.join(&staging);
                if let Some(parent) = fs_path.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(|source| StoreError::Read {
                            path: parent.to_owned(),
                            offset: 0,
                            source,
                        })?;
                }
                let file =
                    tokio::fs::File::create(&fs_path)
                        .await
                        .map_err(|source| StoreError::Read {
                            path: fs_path.clone(),
                            offset: 0,
                            source,
                        })?;
                (lake.child(&staging), Sink::File(file))
            }
            None => {
                // Parts of 5 MiB (S3's minimum), two in flight: what an upload holds in memory.
                let upload = BufWriter::with_capacity(lake.store.clone(), target.clone(), 5 << 20)
                    .with_max_concurrency(2);
                (target.clone(), Sink::Upload(upload))
            }
        };
        let writer =
            AsyncArrowWriter::try_new(sink, lake_core::schema::findings_schema(), Some(properties))
                .map_err(StoreError::parquet(rel))?;
        Ok(FindingsSink {
            writer,
            cells: None,
            lake: lake.clone(),
            written_to,
            target,
        })
    }

    pub(crate) async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let sorted = sort_findings(batch)?;
        if let Some(cells) = self.cells.as_mut() {
            cells.absorb(&sorted).map_err(StoreError::Arrow)?;
        }
        self.writer
            .write(&sorted)
            .await
            .map_err(StoreError::parquet(&self.target))
    }

    /// Completes the file under its final name; on failure nothing new is visible and the
    /// staging file is gone. Returns the cells it observed, when it counted them, and the
    /// version of the file committed (its size and ETag as the store lists them), which the
    /// scan's manifest row records so that readers can tell it from a later replacement.
    pub(crate) async fn commit(self) -> Result<(Option<CellCounter>, ObjectMeta)> {
        let FindingsSink {
            mut writer,
            cells,
            lake,
            written_to,
            target,
        } = self;
        let finished = writer
            .finish()
            .await
            .map(|_| ())
            .map_err(StoreError::parquet(&target));
        let written = writer.bytes_written();
        let committed = async {
            finished?;
            let version_of = |path: &Path| {
                let store = lake.store.clone();
                let path = path.clone();
                async move {
                    store
                        .head(&path)
                        .await
                        .map_err(StoreError::store("reading the version of", &path))
                }
            };
            if written_to == target {
                // An upload, complete: the object as it is now.
                return version_of(&target).await;
            }
            // A staging file keeps its inode and modification time through the rename, so
            // its version is the one it has under its final name, whatever replaces it there
            // later.
            let meta = version_of(&written_to).await?;
            lake.store
                .rename(&written_to, &target)
                .await
                .map_err(StoreError::store("renaming", &target))?;
            Ok(meta)
        }
        .await;
        if committed.is_err() && written_to != target {
            let _ = lake.store.delete(&written_to).await;
        }
        let meta = committed?;
        if u64::try_from(written).is_ok_and(|w| w != meta.size) {
            return Err(StoreError::Internal(format!(
                "{target} holds {} bytes where this ingest wrote {written}: another ingest of \
                 the scan replaced it meanwhile",
                meta.size
            )));
        }
        Ok((cells, meta))
    }

    /// Drops the file being written. An unfinished multipart upload is never visible; a
    /// staging file is removed.
    pub(crate) async fn abort(self) {
        let FindingsSink {
            writer,
            lake,
            written_to,
            target,
            ..
        } = self;
        writer.into_inner().abort().await;
        if written_to != target {
            let _ = lake.store.delete(&written_to).await;
        }
    }
}

/// Where a findings file's bytes go: a local staging file, or a multipart upload that can be
/// aborted (a boxed writer could only be dropped, which leaves the upload's parts behind).
pub(crate) enum Sink {
    File(tokio::fs::File),
    Upload(BufWriter),
}

impl Sink {
    /// Gives up the file. Parts already uploaded are kept (and billed) by S3 until their
    /// upload is aborted: abort it now rather than leave it to a lifecycle rule.
    async fn abort(self) {
        match self {
            // Best effort: an abort that fails leaves the parts to the bucket's
            // AbortIncompleteMultipartUpload rule (README, "Deploy").
            Sink::Upload(mut upload) => {
                let _ = upload.abort().await;
            }
            Sink::File(file) => drop(file),
        }
    }
}

impl AsyncFileWriter for Sink {
    fn write(&mut self, bs: Bytes) -> futures::future::BoxFuture<'_, parquet::errors::Result<()>> {
        match self {
            Sink::File(f) => AsyncFileWriter::write(f, bs),
            Sink::Upload(u) => AsyncFileWriter::write(u, bs),
        }
    }

    fn complete(&mut self) -> futures::future::BoxFuture<'_, parquet::errors::Result<()>> {
        match self {
            Sink::File(f) => AsyncFileWriter::complete(f),
            Sink::Upload(u) => AsyncFileWriter::complete(u),
        }
    }
}

/// Reads and decodes one source, sending its batches to the writer in the source's order.
///
/// Runs on a blocking thread, which reads and frames (a fast, sequential scan); the parsing
/// and building of each framed [`Unit`] runs on the decode pool (rayon's, one thread per
/// core), so one large file uses every core. At most cores + 1 units of a source are out
/// at once, which bounds its memory: units of `read_buffer` bytes and their batches.
fn decode_source(
    source: &Source,
    hints: PathHints,
    options: &IngestOptions,
    tx: mpsc::Sender<Msg>,
    progress: &AtomicU64,
    handle: &tokio::runtime::Handle,
) -> Decoded {
    let mut splitter = Splitter::new(options.decoder.max_finding_bytes);
    let decoder = UnitDecoder::new(
        source.uri.clone(),
        hints,
        options.overrides.clone(),
        options.decoder,
    );
    let mut units = Units::new(decoder, &tx, rayon::current_num_threads() + 1);
    let unit_bytes = options.read_buffer.max(4096);
    // Frames one chunk and hands out its unit; false when reading should stop.
    let mut feed = |units: &mut Units, chunk: Vec<u8>| -> bool {
        progress.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        let (unit, fault) = splitter.frame(chunk);
        units.push(unit) && fault.is_none()
    };
    let mut read_error = None;
    let mut stopped = false;
    match &source.kind {
        SourceKind::Local(path) => match std::fs::File::open(path) {
            Ok(mut file) => {
                let mut offset = 0u64;
                while !stopped {
                    // A unit's worth, or what is left of the file.
                    let mut buf = units.buffer(unit_bytes);
                    match (&mut file).take(unit_bytes as u64).read_to_end(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            offset += n as u64;
                            stopped = !feed(&mut units, buf);
                        }
                        Err(e) => {
                            let at = offset + buf.len() as u64;
                            read_error = Some(format!("reading at byte {at}: {e}"));
                            break;
                        }
                    }
                }
            }
            Err(e) => read_error = Some(format!("opening: {e}")),
        },
        SourceKind::Object { store, path } => match handle.block_on(store.get(path)) {
            Ok(result) => {
                let mut stream = result.into_stream();
                let mut offset = 0u64;
                let mut buf = units.buffer(unit_bytes);
                while !stopped {
                    match handle.block_on(stream.next()) {
                        None => break,
                        Some(Ok(bytes)) => {
                            offset += bytes.len() as u64;
                            buf.extend_from_slice(&bytes);
                            if buf.len() >= unit_bytes {
                                stopped = !feed(&mut units, std::mem::take(&mut buf));
                                buf = units.buffer(unit_bytes);
                            }
                        }
                        Some(Err(e)) => {
                            read_error = Some(format!("reading at byte {offset}: {e}"));
                            break;
                        }
                    }
                }
                if !stopped && read_error.is_none() && !buf.is_empty() {
                    stopped = !feed(&mut units, buf);
                }
            }
            Err(e) => read_error = Some(format!("opening: {e}")),
        },
    }
    if read_error.is_none() && !stopped {
        // A fault here (a truncated file) keeps what was read; the report carries it.
        let (last, _) = splitter.finish();
        if let Some(unit) = last {
            units.push(unit);
        }
    }
    let (identity, unit_reports, build_error) = units.finish();
    let mut report = splitter.report();
    report.absorb(unit_reports);
    Decoded {
        report,
        identity,
        io_error: read_error.or(build_error),
    }
}

/// A decoded unit coming back from the pool: its place in the source, what it decoded to,
/// and its buffer to be read into again.
type Returned = (u64, std::result::Result<DecodedUnit, String>, Vec<u8>);

/// The units of one source on their way through the decode pool and back, in order, to the
/// writer.
struct Units<'a> {
    decoder: UnitDecoder,
    tx: &'a mpsc::Sender<Msg>,
    returned_tx: std::sync::mpsc::Sender<Returned>,
    returned: std::sync::mpsc::Receiver<Returned>,
    /// Sequence number of the next unit pushed, and of the next one due at the writer.
    next_in: u64,
    next_out: u64,
    /// Decoded units that came back before an earlier one.
    early: std::collections::BTreeMap<u64, std::result::Result<DecodedUnit, String>>,
    in_flight: usize,
    max_in_flight: usize,
    report: DecodeReport,
    spare: Vec<Vec<u8>>,
    /// The writer stopped listening, or a batch could not be built: stop reading.
    gone: bool,
    error: Option<String>,
}

impl<'a> Units<'a> {
    fn new(decoder: UnitDecoder, tx: &'a mpsc::Sender<Msg>, max_in_flight: usize) -> Self {
        let (returned_tx, returned) = std::sync::mpsc::channel();
        Units {
            decoder,
            tx,
            returned_tx,
            returned,
            next_in: 0,
            next_out: 0,
            early: Default::default(),
            in_flight: 0,
            max_in_flight: max_in_flight.max(1),
            report: DecodeReport::default(),
            spare: Vec::new(),
            gone: false,
            error: None,
        }
    }

    /// An empty buffer with room for `capacity` bytes (one that came back, when there is one).
    fn buffer(&mut self, capacity: usize) -> Vec<u8> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.reserve(capacity);
        buf
    }

    fn stopped(&self) -> bool {
        self.gone || self.error.is_some()
    }

    /// Sends the unit to be decoded; returns false when reading should stop.
    fn push(&mut self, unit: Unit) -> bool {
        if self.stopped() {
            return false;
        }
        let seq = self.next_in;
        self.next_in += 1;
        if self.decoder.identity().is_none() {
            // Until a finding has set the scan's identity, units are decoded here, in
            // order (nothing is in flight: the pool only gets units once it is known).
            let decoded = self.decoder.decode(&unit).map_err(|e| e.to_string());
            self.spare.push(unit.into_buffer());
            self.arrived(seq, decoded);
        } else {
            let mut decoder = self.decoder.clone();
            let returned = self.returned_tx.clone();
            rayon::spawn(move || {
                let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decoder.decode(&unit)
                }));
                let decoded = match decoded {
                    Ok(d) => d.map_err(|e| e.to_string()),
                    Err(_) => Err("the decoder panicked".to_owned()),
                };
                let _ = returned.send((seq, decoded, unit.into_buffer()));
            });
            self.in_flight += 1;
            while self.in_flight >= self.max_in_flight {
                self.wait_one();
            }
        }
        !self.stopped()
    }

    fn wait_one(&mut self) {
        // The pool always answers: every spawned closure sends, panics included.
        let Ok((seq, decoded, buf)) = self.returned.recv() else {
            self.in_flight = 0;
            return;
        };
        self.in_flight -= 1;
        self.spare.push(buf);
        self.arrived(seq, decoded);
    }

    /// Passes on every unit now due, in order.
    fn arrived(&mut self, seq: u64, decoded: std::result::Result<DecodedUnit, String>) {
        self.early.insert(seq, decoded);
        while let Some(decoded) = self.early.remove(&self.next_out) {
            self.next_out += 1;
            let unit = match decoded {
                Ok(unit) => unit,
                Err(e) => {
                    self.error
                        .get_or_insert_with(|| format!("building a batch: {e}"));
                    continue;
                }
            };
            if self.stopped() {
                continue;
            }
            self.report.absorb(unit.report);
            let Some(identity) = self.decoder.identity() else {
                continue;
            };
            for batch in unit.batches {
                if self.tx.blocking_send((identity.clone(), batch)).is_err() {
                    self.gone = true;
                    break;
                }
            }
        }
    }

    /// Waits for the units still in the pool; returns the identity, the units' counts and
    /// rejections, and the error that stopped them, if any.
    fn finish(mut self) -> (Option<ScanIdentity>, DecodeReport, Option<String>) {
        while self.in_flight > 0 {
            self.wait_one();
        }
        (self.decoder.identity().cloned(), self.report, self.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::moto_server;

    /// How many multipart uploads of `bucket` are in progress (begun, neither completed nor
    /// aborted), as S3's ListMultipartUploads reports them.
    fn uploads_in_progress(bucket: &str) -> usize {
        let endpoint = moto_server::moto();
        let host = endpoint.trim_start_matches("http://");
        let resp = moto_server::http(
            endpoint,
            &format!("GET /{bucket}?uploads HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"),
        )
        .unwrap();
        assert!(resp.contains(" 200 "), "{resp}");
        resp.matches("<UploadId>").count()
    }

    #[tokio::test]
    async fn a_findings_upload_given_up_is_aborted_not_left_to_bill() {
        moto_server::moto();
        moto_server::create_bucket("abort-a");
        let lake = Location::parse("s3://abort-a/lake", false).unwrap();
        // More than one 5 MiB part, so that the upload has begun and holds a part.
        let bytes: Vec<u8> = (0..6u32 << 20)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let begin = |name: &str| {
            Sink::Upload(
                BufWriter::with_capacity(lake.store.clone(), lake.child(name), 5 << 20)
                    .with_max_concurrency(2),
            )
        };
        // What dropping the writer did: the upload and its part stay behind.
        let mut dropped = begin("findings/dropped.parquet");
        AsyncFileWriter::write(&mut dropped, Bytes::from(bytes.clone()))
            .await
            .unwrap();
        drop(dropped);
        assert_eq!(uploads_in_progress("abort-a"), 1);
        // What giving up a findings file does now: the upload is aborted.
        let mut given_up = begin("findings/given-up.parquet");
        AsyncFileWriter::write(&mut given_up, Bytes::from(bytes))
            .await
            .unwrap();
        assert_eq!(uploads_in_progress("abort-a"), 2);
        given_up.abort().await;
        assert_eq!(uploads_in_progress("abort-a"), 1);
        // Nothing of either is visible.
        let listed = lake
            .store
            .list_with_delimiter(Some(&lake.child("findings")))
            .await
            .unwrap();
        assert!(listed.objects.is_empty(), "{:?}", listed.objects);
    }
}
