//! Compacted copies of closed partitions: the findings of one `dt` in a few large files,
//! ordered by `check_id`, that lake's own queries read instead of the partition's
//! one-file-per-source layout.
//!
//! A 90-day lookback over a 100-account organisation opens 1,300 files of ~5,000 rows each,
//! and each file costs its footer, its page index and a pruning predicate; within each file
//! the check's rows are one run, but one run per file. A compacted copy holds the same rows
//! in parts of about [`PART_SOURCE_BYTES`] of sources each, merged by `check_id`: a check's
//! rows are one run per part, which the page index finds without decoding the rest.
//!
//! ```text
//! <lake>/_compact/findings/dt=<dt>/cover=<hash>.<attempt>/part-0000.parquet   the rows, by check_id
//! <lake>/_compact/findings/dt=<dt>/cover=<hash>.<attempt>/_cells              the cells its files observed
//! <lake>/_compact/findings/dt=<dt>/cover=<hash>.<attempt>/_committed          written last: the copy is whole
//! ```
//!
//! Like the manifest snapshot and the failure index it is a cache, never the truth, and it
//! lives outside the table directories, so Athena, DuckDB and Spark never see it (they read
//! the partitions as ingest wrote them). `cover` is a digest of the partition's files as they
//! were when the copy was made (names, sizes, ETags or modification times): a reader uses a
//! copy only if the digest of the partition's files as it lists them now is the same, and
//! only once its `_committed` marker exists. A re-ingested, added or deleted file changes the
//! digest, so a stale copy is never read; a missing, partial or deleted copy costs time,
//! never correctness. Each compaction writes into a directory of its own (`<attempt>`: its
//! start time in milliseconds, process and a counter), so two compactions of one partition
//! at once never write, read or delete each other's parts; when both commit, every reader
//! takes the same one (the latest attempt) and reads that directory alone, which holds
//! exactly the parts its marker lists. The other copy is removed by a later compaction once
//! it is older than [`ABANDONED_AFTER`] (a reader may still be reading it until then), as
//! are attempts that never committed. (A copy from before attempts, `cover=<hash>`, is read
//! like an attempt older than any other.) Copies are made only of closed partitions (no scan landed in them for
//! a week, see [`CompactOptions`]), so the weekly ingest does not rewrite a growing one.

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use bytes::Bytes;
use chrono::{Days, NaiveDate};
use futures::{StreamExt, TryStreamExt};
use lake_core::schema::PARTITION_COLUMN;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt, PutPayload};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use crate::error::{Result, StoreError};
use crate::ingest::FindingsSink;
use crate::layout::{dt_of, FINDINGS_TABLE};
use crate::location::Location;
use crate::observed::{COPY_CELLS, COPY_CELLS_CHUNK_FILES};
use crate::read::FindingsFiles;
use crate::snapshot::{list_table, FileVersion};
use crate::writer::writer_properties;

/// Where the copies live, relative to the lake root: a Hive-partitioned table of its own
/// (`dt`, then `cover`), outside the directories engines read.
pub const COMPACT_ROOT: &str = "_compact/findings";

/// The second partition column of the copies: the digest of the files a copy was made of,
/// then `.` and the attempt that made it.
pub const COVER_COLUMN: &str = "cover";

/// How old an attempt that is not the chosen copy of its partition (uncommitted, or beaten
/// by a later one) must be before a compaction removes it: long past any query that could
/// still be reading it, or any compaction still writing it.
pub const ABANDONED_AFTER: std::time::Duration = std::time::Duration::from_secs(3600);

/// The digest part of a cover directory's name.
fn digest_of(cover: &str) -> &str {
    cover.split_once('.').map_or(cover, |(digest, _)| digest)
}

/// The attempt part of a cover directory's name ("" for a copy made before attempts).
fn attempt_of(cover: &str) -> &str {
    cover.split_once('.').map_or("", |(_, attempt)| attempt)
}

/// A new attempt: milliseconds since the epoch (13 digits, so that names sort by time), the
/// process and a counter within it.
fn new_attempt() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{millis:013}-{}-{n}", std::process::id())
}

/// Whether an attempt started more than `ABANDONED_AFTER` ago (a copy from before attempts
/// counts as old).
fn is_abandoned(attempt: &str) -> bool {
    let started = attempt
        .split('-')
        .next()
        .and_then(|m| m.parse::<u64>().ok());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    started.is_none_or(|m| now.saturating_sub(m) > ABANDONED_AFTER.as_millis() as u64)
}

/// The copy of partition `dt` a reader takes when its files digest to `digest`: the
/// latest committed attempt among `copies`.
async fn chosen_copy(
    lake: &Location,
    copies: &BTreeMap<(String, String), Vec<Path>>,
    dt: &str,
    digest: &str,
) -> Option<String> {
    let mut candidates: Vec<(&String, &Vec<Path>)> = copies
        .iter()
        .filter(|((d, cover), _)| d == dt && digest_of(cover) == digest)
        .map(|((_, cover), files)| (cover, files))
        .collect();
    candidates.sort_by(|a, b| attempt_of(b.0).cmp(attempt_of(a.0)));
    for (cover, files) in candidates {
        if is_committed(lake, files).await {
            return Some(cover.clone());
        }
    }
    None
}

/// The marker that makes a copy usable, written after all its parts.
const COMMITTED: &str = "_committed";

/// Compressed bytes of source files merged into one part: what a part holds in memory
/// while it is merged (the sources' bytes, and one small batch of each).
pub const PART_SOURCE_BYTES: u64 = 32 << 20;

/// Markers read at once (each a few hundred bytes: latency, not bandwidth).
const MARKER_READS_IN_FLIGHT: usize = 16;

/// Rows decoded at a time from each source while merging.
const MERGE_BATCH_ROWS: usize = 128;

/// Rows gathered before they are handed to the writer.
const OUTPUT_BATCH_ROWS: usize = 4 * 1024;

/// Rows per row group of a part: a part is ordered by `check_id`, so row-group statistics
/// already skip most of it for one check; the page index does the rest.
pub const COMPACT_ROW_GROUP_ROWS: usize = 32 * 1024;

/// Which partitions [`compact`] copies.
#[derive(Debug, Clone)]
pub struct CompactOptions {
    /// Only partitions with at least this many files (one file is already compact).
    pub min_files: usize,
    /// Only partitions whose date is at least this many days before the newest partition
    /// of the lake (a closed week: no more scans will land in it). `None`: every partition.
    pub closed_after_days: Option<u64>,
    /// Compressed bytes of source files merged into one part (see [`PART_SOURCE_BYTES`]).
    pub part_bytes: u64,
}

impl Default for CompactOptions {
    fn default() -> Self {
        CompactOptions {
            min_files: 2,
            closed_after_days: Some(7),
            part_bytes: PART_SOURCE_BYTES,
        }
    }
}

/// One partition compacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compacted {
    /// The partition.
    pub dt: String,
    /// The files it was made of.
    pub sources: usize,
    /// The parts written.
    pub parts: usize,
    /// The rows written.
    pub rows: u64,
}

/// The digest of one partition's files: name, size and version (ETag, else modification
/// time) of each, in name order. 32 hex digits.
fn cover_of(files: &[&ObjectMeta]) -> String {
    let mut hash = Sha256::new();
    for meta in files {
        let v = FileVersion::of(meta);
        let name = meta.location.filename().unwrap_or_default();
        let version = v.etag.clone().unwrap_or_else(|| v.modified.to_string());
        hash.update(format!("{name}\0{}\0{version}\n", v.size).as_bytes());
    }
    hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `findings` (the findings files of the lake) by partition, each in name order.
fn partitions(findings: &[ObjectMeta]) -> BTreeMap<String, Vec<&ObjectMeta>> {
    let mut by_dt: BTreeMap<String, Vec<&ObjectMeta>> = BTreeMap::new();
    for meta in findings {
        if let Some(dt) = dt_of(meta.location.as_ref()) {
            by_dt.entry(dt.to_owned()).or_default().push(meta);
        }
    }
    by_dt
}

/// The copies in storage: (dt, cover) → their files.
async fn listed_copies(lake: &Location) -> Result<BTreeMap<(String, String), Vec<Path>>> {
    let prefix = lake.child(COMPACT_ROOT);
    let listed: Vec<ObjectMeta> = lake
        .store
        .list(Some(&prefix))
        .try_collect()
        .await
        .map_err(StoreError::store("listing", &prefix))?;
    let mut files: BTreeMap<(String, String), Vec<Path>> = BTreeMap::new();
    for meta in listed {
        if let Some(key) = copy_of(&meta.location) {
            files.entry(key).or_default().push(meta.location);
        }
    }
    Ok(files)
}

/// Whether a copy is whole: its marker is there and lists parts that all are.
async fn is_committed(lake: &Location, files: &[Path]) -> bool {
    let Some(marker) = files.iter().find(|p| p.filename() == Some(COMMITTED)) else {
        return false;
    };
    let Ok(bytes) = lake.read_whole(marker).await else {
        return false;
    };
    let Ok(marker) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return false;
    };
    let Some(parts) = marker["parts"].as_array() else {
        return false;
    };
    parts.iter().all(|name| {
        name.as_str()
            .is_some_and(|n| files.iter().any(|p| p.filename() == Some(n)))
    })
}

/// (dt, cover) of a path under [`COMPACT_ROOT`].
fn copy_of(path: &Path) -> Option<(String, String)> {
    let dt = dt_of(path.as_ref())?;
    let cover = path.parts().find_map(|p| {
        Some(
            p.as_ref()
                .strip_prefix(COVER_COLUMN)?
                .strip_prefix('=')?
                .to_owned(),
        )
    })?;
    Some((dt.to_owned(), cover))
}

/// The partitions that have a usable copy, as (dt, cover) in dt order. A query reads the
/// copy (`_compact/findings/dt=<dt>/cover=<cover>/`) instead of `findings/dt=<dt>/`.
pub async fn usable(lake: &Location) -> Result<Vec<(String, String)>> {
    usable_among(lake, &FindingsFiles::default()).await
}

/// [`usable`], with the findings files from `findings` (listed only if there are copies).
pub async fn usable_among(
    lake: &Location,
    findings: &FindingsFiles,
) -> Result<Vec<(String, String)>> {
    let copies = listed_copies(lake).await?;
    if copies.is_empty() {
        return Ok(Vec::new());
    }
    let findings = findings.get(lake).await?;
    let by_dt = partitions(findings);
    let copies = &copies;
    let chosen: Vec<Option<(String, String)>> = futures::stream::iter(by_dt.iter())
        .map(|(dt, files)| async move {
            let digest = cover_of(files);
            chosen_copy(lake, copies, dt, &digest)
                .await
                .map(|cover| (dt.clone(), cover))
        })
        .buffered(MARKER_READS_IN_FLIGHT)
        .collect()
        .await;
    Ok(chosen.into_iter().flatten().collect())
}

/// Makes copies of the partitions that `options` selects and that have no usable copy yet,
/// and deletes the copies that no longer match their partition. Safe to run at any time and
/// from several places at once: a copy is only read once whole, and only while it matches.
pub async fn compact(lake: &Location, options: &CompactOptions) -> Result<Vec<Compacted>> {
    let findings = list_table(lake, FINDINGS_TABLE).await?;
    let by_dt = partitions(&findings);
    let copies = listed_copies(lake).await?;
    let newest = by_dt.keys().filter_map(|d| date(d)).max();
    let closed_before = match (options.closed_after_days, newest) {
        (Some(days), Some(newest)) => newest.checked_sub_days(Days::new(days)),
        _ => None,
    };
    // Which copy of its current files each partition has: the markers are read
    // concurrently (one round trip each on S3).
    let digests: BTreeMap<&String, String> = by_dt
        .iter()
        .map(|(dt, files)| (dt, cover_of(files)))
        .collect();
    let copies_ref = &copies;
    let chosen: BTreeMap<String, String> = futures::stream::iter(digests.iter())
        .map(|(dt, digest)| async move {
            chosen_copy(lake, copies_ref, dt, digest)
                .await
                .map(|cover| ((*dt).clone(), cover))
        })
        .buffered(MARKER_READS_IN_FLIGHT)
        .filter_map(futures::future::ready)
        .collect()
        .await;
    let mut done = Vec::new();
    for (dt, files) in &by_dt {
        let digest = &digests[dt];
        let mut current = chosen.get(dt).cloned();
        let closed = match (options.closed_after_days, date(dt)) {
            (None, _) => true,
            (Some(_), Some(d)) => closed_before.is_some_and(|before| d <= before),
            (Some(_), None) => false,
        };
        if current.is_none() && closed && files.len() >= options.min_files {
            // A failed attempt leaves only its own uncommitted directory; the next one
            // starts afresh (a connection cut that the object store did not retry).
            let mut attempt = 1;
            let (compacted, cover) = loop {
                match compact_partition(lake, dt, digest, files, options.part_bytes).await {
                    Ok(done) => break done,
                    Err(e) if attempt >= crate::ingest::MACHINERY_ATTEMPTS => return Err(e),
                    Err(_) => {
                        tokio::time::sleep(crate::ingest::machinery_backoff(attempt)).await;
                        attempt += 1;
                    }
                }
            };
            done.push(compacted);
            current = Some(cover);
        } else if let Some(cover) = &current {
            // A copy made before copies held their files' cells: they are added (the copy
            // is of these very files, so are they).
            let listed = copies.get(&(dt.clone(), cover.clone()));
            if listed.is_some_and(|l| !l.iter().any(|p| p.filename() == Some(COPY_CELLS))) {
                crate::observed::write_copy_cells(
                    lake,
                    &copy_dir(dt, cover),
                    files,
                    COPY_CELLS_CHUNK_FILES,
                )
                .await?;
            }
        }
        for (key, parts) in &copies {
            if key.0 != *dt || Some(&key.1) == current.as_ref() {
                continue;
            }
            // Copies of other files are stale: nothing reads them. Other attempts at this
            // copy (uncommitted, or beaten by the chosen one) go once surely unread.
            if digest_of(&key.1) != digest || is_abandoned(attempt_of(&key.1)) {
                remove_copy(lake, &key.0, &key.1, parts).await;
            }
        }
    }
    // Copies of partitions that no longer exist.
    for (key, parts) in &copies {
        if !by_dt.contains_key(&key.0) {
            remove_copy(lake, &key.0, &key.1, parts).await;
        }
    }
    Ok(done)
}

fn date(dt: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(dt, "%Y-%m-%d").ok()
}

/// The directory of the copy `cover` of partition `dt`, relative to the lake root.
pub(crate) fn copy_dir(dt: &str, cover: &str) -> String {
    format!("{COMPACT_ROOT}/{PARTITION_COLUMN}={dt}/{COVER_COLUMN}={cover}")
}

/// Deletes a copy: its marker first, so that no reader takes it while parts go.
async fn remove_copy(lake: &Location, dt: &str, cover: &str, parts: &[Path]) {
    let dir = copy_dir(dt, cover);
    let _ = lake
        .store
        .delete(&lake.child(&format!("{dir}/{COMMITTED}")))
        .await;
    for part in parts {
        let _ = lake.store.delete(part).await;
    }
}

/// Writes the copy of one partition: its files grouped into parts of about `part_bytes`,
/// each part merged by `check_id`, then the marker.
async fn compact_partition(
    lake: &Location,
    dt: &str,
    digest: &str,
    files: &[&ObjectMeta],
    part_bytes: u64,
) -> Result<(Compacted, String)> {
    // A directory of this attempt's own: nothing else writes, reads or deletes in it until
    // it is committed.
    let cover = format!("{digest}.{}", new_attempt());
    let dir = copy_dir(dt, &cover);
    let mut groups: Vec<Vec<&ObjectMeta>> = Vec::new();
    let mut bytes = 0;
    for &meta in files {
        if groups.is_empty() || bytes + meta.size > part_bytes {
            groups.push(Vec::new());
            bytes = 0;
        }
        bytes += meta.size;
        groups.last_mut().expect("a group was pushed").push(meta);
    }
    let mut names = Vec::new();
    let mut rows = 0;
    for (i, group) in groups.iter().enumerate() {
        let name = format!("part-{i:04}.parquet");
        rows += write_part(lake, &format!("{dir}/{name}"), group).await?;
        names.push(name);
    }
    // The cells the partition's files observed, for the queries that read them.
    crate::observed::write_copy_cells(lake, &dir, files, COPY_CELLS_CHUNK_FILES).await?;
    let marker = json!({
        "parts": names,
        "sources": files.iter().map(|m| m.location.filename().unwrap_or_default()).collect::<Vec<_>>(),
        "rows": rows,
    });
    let marker_path = lake.child(&format!("{dir}/{COMMITTED}"));
    lake.store
        .put(
            &marker_path,
            PutPayload::from(marker.to_string().into_bytes()),
        )
        .await
        .map_err(StoreError::store("writing", &marker_path))?;
    Ok((
        Compacted {
            dt: dt.to_owned(),
            sources: files.len(),
            parts: names.len(),
            rows,
        },
        cover,
    ))
}

/// Merges `sources` (each ordered by `check_id`) into one part ordered by `check_id`, rows
/// of the same check in source order. Returns the rows written.
async fn write_part(lake: &Location, rel: &str, sources: &[&ObjectMeta]) -> Result<u64> {
    let fetched: Vec<(Path, Bytes)> = futures::stream::iter(sources.iter().map(|m| {
        let path = m.location.clone();
        async move {
            let bytes = lake.read_whole(&path).await?;
            Ok::<_, StoreError>((path, bytes))
        }
    }))
    .buffered(8)
    .try_collect()
    .await?;
    let properties = writer_properties()
        .into_builder()
        .set_max_row_group_row_count(Some(COMPACT_ROW_GROUP_ROWS))
        .build();
    let mut sink = FindingsSink::create(lake, rel, properties).await?;
    let (tx, mut rx) = mpsc::channel::<Result<RecordBatch>>(2);
    let merge = tokio::task::spawn_blocking(move || {
        let result = merge_sources(fetched, |batch| tx.blocking_send(Ok(batch)).is_ok());
        if let Err(e) = result {
            let _ = tx.blocking_send(Err(e));
        }
    });
    let mut rows = 0u64;
    let mut failure = None;
    while let Some(batch) = rx.recv().await {
        match batch {
            Ok(batch) => {
                rows += batch.num_rows() as u64;
                if let Err(e) = sink.write(&batch).await {
                    failure = Some(e);
                    break;
                }
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(rx);
    let joined = merge.await;
    if let Some(e) = failure {
        sink.abort().await;
        return Err(e);
    }
    if let Err(e) = joined {
        sink.abort().await;
        return Err(StoreError::Internal(format!("merging {rel}: {e}")));
    }
    sink.commit().await?;
    Ok(rows)
}

/// One source being merged: its reader and the rows of its current batch not yet taken.
struct Cursor {
    path: Path,
    schema: SchemaRef,
    reader: ParquetRecordBatchReader,
    batch: RecordBatch,
    row: usize,
}

impl Cursor {
    /// The check of the next row, reading the next batch when this one is used up;
    /// `None` at the end of the source.
    fn peek(&mut self) -> Result<Option<&str>> {
        while self.row >= self.batch.num_rows() {
            match self.reader.next() {
                None => return Ok(None),
                Some(batch) => {
                    let batch = batch.map_err(|e| StoreError::Parquet {
                        path: self.path.to_string(),
                        source: parquet::errors::ParquetError::ArrowError(e.to_string()),
                    })?;
                    // The lake's schema: the same columns, whatever field metadata the
                    // file carries.
                    self.batch =
                        RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec())?;
                    self.row = 0;
                }
            }
        }
        Ok(Some(checks(&self.batch).value(self.row)))
    }

    /// Takes the run of rows whose check is `check`, up to the end of the current batch.
    fn take_run(&mut self, check: &str) -> RecordBatch {
        let ids = checks(&self.batch);
        let start = self.row;
        let mut end = start;
        while end < ids.len() && ids.value(end) == check {
            end += 1;
        }
        self.row = end;
        self.batch.slice(start, end - start)
    }
}

fn checks(batch: &RecordBatch) -> &arrow::array::StringArray {
    batch
        .column_by_name("check_id")
        .expect("findings files have check_id")
        .as_string::<i32>()
}

/// Merges the sources' rows by `check_id`, rows of one check in source order. Hands out
/// batches of about [`OUTPUT_BATCH_ROWS`] rows; stops early if `emit` returns false.
///
/// Each step takes, from every source whose next row has the smallest next check, its run
/// of rows with that check. Ingest sorts each batch it writes by `check_id` and Prowler
/// writes checks in order, so a file is one sorted run; if it is not (several batches, each
/// sorted), every row is still taken exactly once and the part is merely less ordered.
fn merge_sources(
    sources: Vec<(Path, Bytes)>,
    mut emit: impl FnMut(RecordBatch) -> bool,
) -> Result<()> {
    let schema = crate::writer::findings_schema();
    let mut cursors = Vec::with_capacity(sources.len());
    for (path, bytes) in sources {
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
            .map_err(StoreError::parquet(&path))?
            .with_batch_size(MERGE_BATCH_ROWS)
            .build()
            .map_err(StoreError::parquet(&path))?;
        cursors.push(Cursor {
            path,
            schema: schema.clone(),
            reader,
            batch: RecordBatch::new_empty(schema.clone()),
            row: 0,
        });
    }
    let mut pending: Vec<RecordBatch> = Vec::new();
    let mut pending_rows = 0;
    loop {
        // The smallest next check over all sources.
        let mut smallest: Option<String> = None;
        for cursor in &mut cursors {
            if let Some(check) = cursor.peek()? {
                if smallest.as_deref().is_none_or(|s| check < s) {
                    smallest = Some(check.to_owned());
                }
            }
        }
        let Some(check) = smallest else { break };
        // Its rows from each source in turn: a source's run may span batches.
        for cursor in &mut cursors {
            while cursor.peek()? == Some(check.as_str()) {
                let run = cursor.take_run(&check);
                pending_rows += run.num_rows();
                pending.push(run);
            }
        }
        if pending_rows >= OUTPUT_BATCH_ROWS {
            let batch = concat_batches(&schema, &pending)?;
            pending.clear();
            pending_rows = 0;
            if !emit(batch) {
                return Ok(());
            }
        }
    }
    if pending_rows > 0 {
        emit(concat_batches(&schema, &pending)?);
    }
    Ok(())
}
