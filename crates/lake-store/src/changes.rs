//! The stored changes of a week: the rows of the views `finding_changes` and `pair_counts`
//! (`queries/changes.sql`) for one pair (week, the latest earlier week with data), and of
//! `compliance_week` (`queries/views.sql`) for its week, kept so that `diff`, `summary`,
//! `posture`, `trend`, `landing-zones`, `compliance` and the report read a week's
//! classification and its states' counts instead of computing them from two weeks of
//! findings.
//!
//! Three objects per pair ([`Stored`], [`stored_file`]): `changes.parquet`, `counts.parquet`
//! and `compliance.parquet` in `_changes/week=W/against=A/`, written by `lake ingest` for the
//! newest week, by `lake compact` for every week that lacks current ones, and by the
//! Lambda's run-complete path. The views read the same inputs (the compliance counts a
//! subset: the week's own state), so all carry the same fingerprint. Like the other
//! caches they are never the truth: an object's key-value metadata holds a [`Fingerprint`]
//! of everything the classification of the pair reads, and a reader uses its rows only when
//! the fingerprint of the lake as it is now is the same. The fingerprint covers
//! - the definitions: the SQL of the views (`queries/views.sql`, `queries/changes.sql`) and
//!   [`FORMAT`], raised whenever the Rust code that feeds them changes what they compute;
//! - the pair;
//! - every row of the `scans` manifest of a week up to the pair's week (the scans whose
//!   observations and findings make up both weeks' states, the baselines carried from
//!   earlier weeks, the accounts' first weeks), as read (rows whose file was replaced read
//!   failed);
//! - the version (path, size, modification time, ETag) of every findings file except those
//!   of later weeks' scans: the files of the weeks up to the pair's, whose FAIL rows decide
//!   `new` against `regressed`, and any file no manifest row claims (ingest commits the file
//!   before its row), which could hold such rows.
//!
//! So a re-ingested scan, a backfilled week, a file replaced or deleted, or a new version of
//! lake makes the stored rows unused (the changes are computed from the findings, as
//! without them) until they are written again; ingesting a later week does not.
//!
//! Beside them, the risk rows of the pair's week ([`Stored::RISK`]): `open.parquet` (its
//! open failures) and `lifecycle.parquet` (each one's history over the risk views' window
//! of weeks), under [`Fingerprint::risk`]: the changes' fingerprint digested again with the
//! SQL of the risk views they read and the window's first week. A lifecycle reads the
//! weeks of its window, all up to the pair's, and what the classification reads of them,
//! so the same inputs decide whether they are current; a set of their own, written by
//! `lake ingest`, `lake compact` and (when a business context is set) the Lambda.
//!
//! Engines other than lake never read it (its directory starts with `_`); Athena computes the
//! same rows from the views.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::SchemaRef;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use object_store::ObjectMeta;
use object_store::{GetOptions, GetRange};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::KeyValue;
use parquet::file::metadata::{FileMetaData, ParquetMetaData, ParquetMetaDataReader};
use sha2::{Digest, Sha256};

use crate::error::{Result, StoreError};
use crate::ingest::put_parquet_batches;
use crate::location::Location;
use crate::snapshot::{same_columns, FileVersion};
use crate::writer::writer_properties;

/// The directory of the stored changes, relative to the lake root.
pub const CHANGES_ROOT: &str = "_changes";

/// The version of what lake computes from the views beyond their SQL (the observed cells,
/// the failure index, the manifest's checks) and of how the rows are stored: raised when a
/// change of that code changes the classification or what a reader assumes of the objects
/// (2: the changes in `diff`'s order, which readers declare to the plan), so that rows
/// stored by an earlier version go unused.
pub const FORMAT: &str = "lake.changes.2";

/// The key-value metadata entry holding the fingerprint the rows were computed under.
const FINGERPRINT_KEY: &str = "lake.changes.fingerprint";

/// What is stored of a pair: the rows of one view for it, one object each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// `finding_changes`: the findings failing in either week, classified.
    Changes,
    /// `pair_counts`: both weeks' states counted (what posture, the summary's counts,
    /// trend and landing-zones sum).
    Counts,
    /// `compliance_week` of the pair's week alone: its state counted per compliance
    /// requirement (what `compliance` reads).
    Compliance,
    /// `open_findings` (`queries/context.sql`): the week's open failures with the columns
    /// the risk views read (tags, frameworks, labels). Under the pair's [`risk`
    /// fingerprint](Fingerprint::risk).
    OpenFindings,
    /// `finding_lifecycle`: per open failure, its history over the window of weeks the
    /// risk views read (first seen, open since, resolved, reopened). Under the pair's [`risk`
    /// fingerprint](Fingerprint::risk), which names the window.
    Lifecycle,
}

impl Stored {
    /// Everything stored of a pair, in the order it is written (the changes last, so that
    /// a pair whose changes are current has its counts too unless one was removed).
    pub const ALL: [Stored; 3] = [Stored::Counts, Stored::Compliance, Stored::Changes];

    /// What the risk queries read of a pair (the open failures and their lifecycle), stored
    /// beside its changes under the pair's [`risk` fingerprint](Fingerprint::risk), in the
    /// order it is written.
    pub const RISK: [Stored; 2] = [Stored::OpenFindings, Stored::Lifecycle];

    /// The view whose rows the object holds.
    pub fn view(self) -> &'static str {
        match self {
            Stored::Changes => "finding_changes",
            Stored::Counts => "pair_counts",
            Stored::Compliance => "compliance_week",
            Stored::OpenFindings => "open_findings",
            Stored::Lifecycle => "finding_lifecycle",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            Stored::Changes => "changes.parquet",
            Stored::Counts => "counts.parquet",
            Stored::Compliance => "compliance.parquet",
            Stored::OpenFindings => "open.parquet",
            Stored::Lifecycle => "lifecycle.parquet",
        }
    }
}

/// The object holding `what` of `week` against `against`.
pub fn stored_file(what: Stored, week: &str, against: &str) -> String {
    format!(
        "{CHANGES_ROOT}/week={week}/against={against}/{}",
        what.file_name()
    )
}

/// What the classification of a pair of weeks reads, digested: see the module docs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// The digest as lowercase hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The fingerprint of the pair's risk rows ([`Stored::RISK`]), this being its changes':
    /// they read what the classification reads of the weeks up to the pair's (the week's
    /// state, the scans and findings of earlier weeks, the failure index), under the
    /// definitions `context` (the risk views they read, from `queries/context.sql`), over
    /// the window of weeks from
    /// `history_from` up to the pair's week. (Derived rather than digested with the
    /// changes', so that the changes of a lake stay current when context.sql changes.)
    pub fn risk(&self, context: &str, history_from: &str) -> Fingerprint {
        let mut h = Sha256::new();
        for part in [self.as_str(), RISK_FORMAT, context, history_from] {
            h.update(part.as_bytes());
            h.update([0x1E]);
        }
        Fingerprint(format!("{:x}", h.finalize()))
    }
}

/// As [`FORMAT`], for the risk rows ([`Stored::RISK`]).
pub const RISK_FORMAT: &str = "lake.risk.1";

/// The inputs of every pair's [`Fingerprint`], prepared once per manifest: each manifest row
/// as text with its week, and the findings files as listed.
pub struct Inputs {
    definitions: Vec<u8>,
    /// (week, whether the row claims its findings file as a scan's, the file's path, the
    /// row as text), sorted by text.
    rows: Vec<(Option<String>, bool, Option<String>, String)>,
    /// (path, version as text) of each findings file, sorted by path.
    files: Vec<(String, String)>,
}

impl Inputs {
    /// `definitions`: the SQL of the views the classification runs; `scans`: the manifest's
    /// rows as read (with `dt`); `listed`: the findings files as listed now.
    pub fn new(
        lake: &Location,
        definitions: &[&str],
        scans: &[RecordBatch],
        listed: &[ObjectMeta],
    ) -> Result<Self> {
        let mut digest = Vec::new();
        for d in definitions.iter().chain([&FORMAT]) {
            digest.extend_from_slice(d.as_bytes());
            digest.push(0x1E);
        }
        let options = FormatOptions::default().with_null("\u{0}");
        let mut rows = Vec::new();
        for batch in scans {
            let text = |name: &str| batch.column_by_name(name).map(|c| c.as_string::<i32>());
            let (week, status, path) = (text("week"), text("status"), text("findings_path"));
            let formatters = batch
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(StoreError::Arrow)?;
            let names: Vec<&str> = batch
                .schema_ref()
                .fields()
                .iter()
                .map(|f| f.name().as_str())
                .collect();
            for r in 0..batch.num_rows() {
                let value = |a: Option<&arrow::array::StringArray>| {
                    a.filter(|a| a.is_valid(r)).map(|a| a.value(r).to_owned())
                };
                let mut line = String::new();
                for (name, f) in names.iter().zip(&formatters) {
                    // (Writing to a String cannot fail.)
                    let _ = write!(line, "{name}={}\u{1F}", f.value(r));
                }
                let claims = value(status).as_deref() != Some("failed");
                let path = value(path).map(|p| lake.child(&p).as_ref().to_owned());
                rows.push((value(week), claims, path, line));
            }
        }
        rows.sort_unstable_by(|a, b| a.3.cmp(&b.3));
        let mut files: Vec<(String, String)> = listed
            .iter()
            .map(|m| {
                let version = serde_json::Value::Object(FileVersion::of(m).to_json());
                (m.location.as_ref().to_owned(), version.to_string())
            })
            .collect();
        files.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(Inputs {
            definitions: digest,
            rows,
            files,
        })
    }

    /// The fingerprint of the changes of `week` against `against`.
    pub fn fingerprint(&self, week: &str, against: &str) -> Fingerprint {
        let mut h = Sha256::new();
        h.update(&self.definitions);
        h.update(week.as_bytes());
        h.update([0x1E]);
        h.update(against.as_bytes());
        h.update([0x1E]);
        // The files of later weeks' scans are not read by the pair's classification.
        let mut later: HashSet<&str> = HashSet::new();
        for (w, claims, path, line) in &self.rows {
            match w {
                Some(w) if w.as_str() <= week => {
                    h.update(line.as_bytes());
                    h.update([0x1E]);
                }
                Some(_) if *claims => {
                    if let Some(p) = path {
                        later.insert(p.as_str());
                    }
                }
                _ => {}
            }
        }
        for (path, v) in &self.files {
            if later.contains(path.as_str()) {
                continue;
            }
            h.update(path.as_bytes());
            h.update([0x1F]);
            h.update(v.as_bytes());
            h.update([0x1E]);
        }
        Fingerprint(format!("{:x}", h.finalize()))
    }
}

/// The stored `what` of `week` against `against` if it was computed under `fingerprint` and
/// holds the columns of `schema`: the columns `columns` of them (indices into `schema`;
/// `None`: all), as batches of `schema` projected to them. Any problem reading them
/// (absent, replaced since, cut short, other columns) means "none".
pub async fn read(
    lake: &Location,
    what: Stored,
    week: &str,
    against: &str,
    fingerprint: &Fingerprint,
    schema: &SchemaRef,
    columns: Option<&[usize]>,
) -> Option<Vec<RecordBatch>> {
    let object = fetch(lake, what, week, against, fingerprint, schema)
        .await?
        .columns(lake, columns)
        .await?;
    tokio::task::spawn_blocking(move || object.batches().collect::<Option<Vec<_>>>())
        .await
        .ok()?
}

/// Rows per batch decoded from a stored object (DataFusion's batch size).
const BATCH_ROWS: usize = 8192;

/// Column chunks of a stored object less than this many bytes apart are fetched in one
/// request.
const COALESCE_GAP: u64 = 64 * 1024;

/// Rows per row group of a stored object: a week's changes in one or a few groups, so that
/// the few columns a reader asks for (trend: three of twenty-two) are a few ranges of the
/// object rather than one per 8 K rows.
const STORED_GROUP_ROWS: usize = 256 * 1024;

/// Some columns of a stored object ([`Fetched::columns`]): their bytes, fetched, and its
/// footer. The rows are decoded batch by batch as [`StoredObject::batches`] yields them,
/// so that a reader holds those columns' bytes and one batch rather than every row.
#[derive(Debug, Clone)]
pub struct StoredObject {
    chunks: Chunks,
    metadata: ArrowReaderMetadata,
    mask: ProjectionMask,
    /// `schema` projected to the columns asked for.
    projected: SchemaRef,
}

impl StoredObject {
    /// The schema of the batches.
    pub fn schema(&self) -> &SchemaRef {
        &self.projected
    }

    /// The rows, in the order they were written, batch by batch (`None`: the object could
    /// not be decoded).
    pub fn batches(&self) -> Box<dyn Iterator<Item = Option<RecordBatch>> + Send> {
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(
            self.chunks.clone(),
            self.metadata.clone(),
        )
        .with_projection(self.mask.clone())
        .with_batch_size(BATCH_ROWS)
        .build();
        let Ok(reader) = reader else {
            return Box::new(std::iter::once(None));
        };
        let projected = self.projected.clone();
        Box::new(
            reader.map(move |b| {
                RecordBatch::try_new(projected.clone(), b.ok()?.columns().to_vec()).ok()
            }),
        )
    }
}

/// The byte ranges of a Parquet object that were fetched, for the reader: a read outside
/// them is an error (a column that was not asked for).
#[derive(Debug, Clone)]
struct Chunks {
    /// The object's size.
    size: u64,
    /// (offset, bytes), by offset, not overlapping.
    ranges: Arc<Vec<(u64, bytes::Bytes)>>,
}

impl Chunks {
    fn slice(&self, start: u64, length: Option<usize>) -> parquet::errors::Result<bytes::Bytes> {
        let at = self.ranges.partition_point(|(offset, _)| *offset <= start);
        let found = at.checked_sub(1).and_then(|i| {
            let (offset, bytes) = &self.ranges[i];
            let from = usize::try_from(start - offset).ok()?;
            let to = match length {
                Some(n) => from.checked_add(n)?,
                None => bytes.len(),
            };
            (to <= bytes.len()).then(|| bytes.slice(from..to))
        });
        found.ok_or_else(|| {
            parquet::errors::ParquetError::General(format!(
                "bytes {start}..{} of a stored changes object were not fetched",
                length.map_or(String::new(), |n| (start + n as u64).to_string())
            ))
        })
    }
}

impl parquet::file::reader::Length for Chunks {
    fn len(&self) -> u64 {
        self.size
    }
}

impl parquet::file::reader::ChunkReader for Chunks {
    type T = bytes::buf::Reader<bytes::Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(bytes::Buf::reader(self.slice(start, None)?))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        self.slice(start, Some(length))
    }
}

/// A stored object whose footer was read and checked ([`fetch`]): [`Fetched::columns`]
/// fetches the bytes of the columns a reader asks for, from that very version of the
/// object (a session's statements share the footer; each fetches its own columns).
#[derive(Debug, Clone)]
pub struct Fetched {
    path: object_store::path::Path,
    /// The version whose footer was checked: later reads must be of it.
    version: ObjectMeta,
    metadata: ArrowReaderMetadata,
    /// The schema the object was checked to hold.
    schema: SchemaRef,
    /// The column chunks fetched so far, by (row group, leaf column): a chunk several
    /// readers ask for (the summary's statements read the finding keys four times) is
    /// fetched once.
    chunks: Arc<std::sync::Mutex<std::collections::HashMap<(usize, usize), bytes::Bytes>>>,
}

impl Fetched {
    /// The object's rows in the columns `columns` of its schema (indices, ascending;
    /// `None`: all), to be decoded batch by batch: their column chunks are fetched now, only
    /// from the version that was checked (none if it was replaced since).
    pub async fn columns(
        &self,
        lake: &Location,
        columns: Option<&[usize]>,
    ) -> Option<StoredObject> {
        let (mask, projected) = match columns {
            Some(c) => (
                ProjectionMask::roots(self.metadata.parquet_schema(), c.iter().copied()),
                Arc::new(self.schema.project(c).ok()?),
            ),
            None => (ProjectionMask::all(), self.schema.clone()),
        };
        // Each chunk the columns need: (row group, leaf, its byte range).
        let mut needed: Vec<((usize, usize), std::ops::Range<u64>)> = Vec::new();
        for (g, group) in self.metadata.metadata().row_groups().iter().enumerate() {
            for (i, column) in group.columns().iter().enumerate() {
                if mask.leaf_included(i) {
                    let (start, length) = column.byte_range();
                    needed.push(((g, i), start..start + length));
                }
            }
        }
        needed.sort_by_key(|(_, r)| r.start);
        let missing: Vec<std::ops::Range<u64>> = {
            let have = self.chunks.lock().expect("the chunks' lock");
            needed
                .iter()
                .filter(|(key, _)| !have.contains_key(key))
                .map(|(_, r)| r.clone())
                .collect()
        };
        let mut coalesced: Vec<std::ops::Range<u64>> = Vec::new();
        for range in missing {
            match coalesced.last_mut() {
                Some(last) if range.start <= last.end + COALESCE_GAP => {
                    last.end = last.end.max(range.end);
                }
                _ => coalesced.push(range),
            }
        }
        let fetches = coalesced.iter().map(|range| {
            let options = GetOptions {
                range: Some(GetRange::Bounded(range.clone())),
                if_match: self.version.e_tag.clone(),
                ..Default::default()
            };
            async move {
                let got = lake.store.get_opts(&self.path, options).await.ok()?;
                // (a store that ignores If-Match still names the version it read)
                if got.meta.e_tag != self.version.e_tag || got.meta.size != self.version.size {
                    return None;
                }
                Some((range.start, got.bytes().await.ok()?))
            }
        });
        let fetched: Vec<(u64, bytes::Bytes)> = futures::future::join_all(fetches)
            .await
            .into_iter()
            .collect::<Option<_>>()?;
        let mut ranges: Vec<(u64, bytes::Bytes)> = Vec::with_capacity(needed.len());
        {
            let mut have = self.chunks.lock().expect("the chunks' lock");
            for (key, range) in needed {
                let bytes = match have.get(&key) {
                    Some(bytes) => bytes.clone(),
                    None => {
                        // (within one of the ranges just fetched)
                        let (offset, all) =
                            fetched.iter().rfind(|(offset, _)| *offset <= range.start)?;
                        let from = usize::try_from(range.start - offset).ok()?;
                        let to = from + usize::try_from(range.end - range.start).ok()?;
                        let bytes = all.get(from..to).map(|_| all.slice(from..to))?;
                        have.insert(key, bytes.clone());
                        bytes
                    }
                };
                ranges.push((range.start, bytes));
            }
        }
        Some(StoredObject {
            chunks: Chunks {
                size: self.version.size,
                ranges: Arc::new(ranges),
            },
            metadata: self.metadata.clone(),
            mask,
            projected,
        })
    }
}

/// The stored `what` of `week` against `against`, its footer read, if it was computed under
/// `fingerprint` and holds the columns of `schema`. Any problem reading it (absent,
/// replaced since, cut short, other columns) means "none".
pub async fn fetch(
    lake: &Location,
    what: Stored,
    week: &str,
    against: &str,
    fingerprint: &Fingerprint,
    schema: &SchemaRef,
) -> Option<Fetched> {
    let path = lake.child(&stored_file(what, week, against));
    let (version, metadata) = footer_of(lake, &path).await?;
    let metadata = ArrowReaderMetadata::try_new(Arc::new(metadata), Default::default()).ok()?;
    if !computed_under(metadata.metadata().file_metadata(), fingerprint) {
        return None;
    }
    if !same_columns(metadata.schema(), schema) {
        return None;
    }
    Some(Fetched {
        path,
        version,
        metadata,
        schema: schema.clone(),
        chunks: Arc::default(),
    })
}

/// Whether the stored `what` of `week` against `against` was computed under `fingerprint`
/// (only the end of the object, its footer, is read).
pub async fn is_current(
    lake: &Location,
    what: Stored,
    week: &str,
    against: &str,
    fingerprint: &Fingerprint,
) -> bool {
    footer(lake, what, week, against)
        .await
        .is_some_and(|m| computed_under(m.file_metadata(), fingerprint))
}

/// The footer of the stored `what` of `week` against `against`, if it is there.
async fn footer(
    lake: &Location,
    what: Stored,
    week: &str,
    against: &str,
) -> Option<ParquetMetaData> {
    let path = lake.child(&stored_file(what, week, against));
    Some(footer_of(lake, &path).await?.1)
}

/// The footer of the Parquet object at `path` and the version it was read from: the end of
/// the object in one request ([`FOOTER_HINT`]), and the rest of a longer footer from the same
/// version.
async fn footer_of(
    lake: &Location,
    path: &object_store::path::Path,
) -> Option<(ObjectMeta, ParquetMetaData)> {
    let options = GetOptions {
        range: Some(GetRange::Suffix(FOOTER_HINT)),
        ..Default::default()
    };
    let got = lake.store.get_opts(path, options).await.ok()?;
    let version = got.meta.clone();
    let tail = got.bytes().await.ok()?;
    let n = tail.len();
    if n < 8 || &tail[n - 4..] != b"PAR1" {
        return None;
    }
    let length = u32::from_le_bytes(tail[n - 8..n - 4].try_into().ok()?) as usize;
    let footer = match n.checked_sub(8 + length) {
        Some(start) => tail.slice(start..n - 8),
        None => {
            let end = version.size.checked_sub(8)?;
            let options = GetOptions {
                range: Some(GetRange::Bounded(end.checked_sub(length as u64)?..end)),
                if_match: version.e_tag.clone(),
                ..Default::default()
            };
            let got = lake.store.get_opts(path, options).await.ok()?;
            got.bytes().await.ok()?
        }
    };
    let metadata = ParquetMetaDataReader::decode_metadata(&footer).ok()?;
    Some((version, metadata))
}

/// Whether each of `whats` stored of the pair ([`Stored::ALL`], [`Stored::RISK`]) was
/// computed under `fingerprint`: what a reader needs before using any of them.
pub async fn pair_is_current(
    lake: &Location,
    whats: &[Stored],
    week: &str,
    against: &str,
    fingerprint: &Fingerprint,
) -> bool {
    footers(lake, whats, week, against).await.iter().all(|m| {
        m.as_ref()
            .is_some_and(|m| computed_under(m.file_metadata(), fingerprint))
    })
}

/// Whether each of `whats` stored of the pair is current ([`pair_is_current`]) and laid
/// out as this build writes it (row groups of 256 K rows): what a writer skips. An
/// object stored by an earlier build in more, smaller row groups reads the same, but a
/// reader of a few columns then fetches most of it; `lake compact` stores it again.
pub async fn pair_is_stored(
    lake: &Location,
    whats: &[Stored],
    week: &str,
    against: &str,
    fingerprint: &Fingerprint,
) -> bool {
    footers(lake, whats, week, against).await.iter().all(|m| {
        m.as_ref().is_some_and(|m| {
            let rows: i64 = m.row_groups().iter().map(|g| g.num_rows()).sum();
            let groups = usize::try_from(rows)
                .unwrap_or(usize::MAX)
                .div_ceil(STORED_GROUP_ROWS);
            computed_under(m.file_metadata(), fingerprint) && m.num_row_groups() <= groups.max(1)
        })
    })
}

/// The footer of each of `whats` stored of the pair (none: absent or unreadable).
async fn footers(
    lake: &Location,
    whats: &[Stored],
    week: &str,
    against: &str,
) -> Vec<Option<ParquetMetaData>> {
    futures::future::join_all(whats.iter().map(|what| footer(lake, *what, week, against))).await
}

/// Bytes read from the end of a stored changes object to get its footer in one request.
const FOOTER_HINT: u64 = 256 * 1024;

/// Whether a stored object's key-value metadata records `fingerprint`.
fn computed_under(file: &FileMetaData, fingerprint: &Fingerprint) -> bool {
    fingerprint_in(file).is_some_and(|f| f == fingerprint.as_str())
}

/// The fingerprint recorded in a stored object's key-value metadata.
fn fingerprint_in(file: &FileMetaData) -> Option<String> {
    file.key_value_metadata()?
        .iter()
        .find(|kv| kv.key == FINGERPRINT_KEY)?
        .value
        .clone()
}

/// Stores `batches` (rows of `what`'s view for the pair, of `schema`) as `what` of `week`
/// against `against`, computed under `fingerprint`: one object, written atomically (readers
/// see the earlier one or this one whole).
pub async fn write(
    lake: &Location,
    what: Stored,
    week: &str,
    against: &str,
    fingerprint: &Fingerprint,
    schema: &SchemaRef,
    batches: &[RecordBatch],
) -> Result<()> {
    let properties = writer_properties()
        .into_builder()
        .set_max_row_group_row_count(Some(STORED_GROUP_ROWS))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            FINGERPRINT_KEY.to_owned(),
            fingerprint.as_str().to_owned(),
        )]))
        .build();
    // The batches' own schema when there are any (a plan's schema can differ from its
    // batches' in nullability or field metadata only; readers compare names and types).
    let schema = batches
        .first()
        .map_or_else(|| schema.clone(), RecordBatch::schema);
    put_parquet_batches(
        lake,
        &stored_file(what, week, against),
        &schema,
        batches,
        properties,
    )
    .await
}
