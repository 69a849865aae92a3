//! The failure index: for every finding key that ever failed, the first ISO week it failed
//! in, over every scan of the lake (superseded runs of a week included).
//!
//! `diff` tells `new` from `regressed` by whether a key failing now failed in some earlier
//! week. Answered from the table, that reads the `finding_key` of every row of the history
//! (25.7 M keys for a year of a 100-account organisation). The index keeps the answer: one
//! object, [`INDEX_PATH`], with a row (`finding_key`, `first_failed_week`) per key that
//! failed, and the list of the findings files (path, size, modification time, ETag) it was
//! computed from, in its Parquet key-value metadata. It lives outside the table directories,
//! so engines reading `findings/` never see it.
//!
//! Like the manifest snapshot it is a cache, never the truth. [`first_failures`] lists the
//! findings files and uses the stored rows only if every file they were computed from is
//! still there unchanged: a replaced or deleted file may have contributed a failure the lake
//! no longer holds, and then the index is rebuilt from the files. Files the index does not
//! cover (ingested since it was written) are read for their FAIL rows and merged in. So a
//! stale, missing or unreadable index costs time, never correctness, and concurrent ingests
//! refreshing it need no coordination: the last writer wins, readers make up for the rest.
//!
//! The definition in SQL is the view `first_failures` of `queries/changes.sql` (what Athena
//! runs); the query tests check that both give the same changes.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::compute::kernels::cmp::eq;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ParquetRecordBatchReaderBuilder, RowFilter,
};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::KeyValue;
use serde_json::Value;

use crate::error::{Result, StoreError};
use crate::ingest::put_parquet;
use crate::layout::FINDINGS_TABLE;
use crate::location::Location;
use crate::read::FindingsFiles;
use crate::snapshot::{conformed, list_table, FileVersion};
use crate::writer::manifest_properties;

/// Where the index lives, relative to the lake root.
pub const INDEX_PATH: &str = "_index/first_failures.parquet";

/// The key-value metadata entry listing the files the index was computed from.
const COVERS_KEY: &str = "lake.first_failures.covers";

/// Findings files read at once when the index lacks them (whole files, decoded on blocking
/// threads).
const READS_IN_FLIGHT: usize = 16;

/// The columns of [`first_failures`].
pub fn first_failures_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("finding_key", DataType::Utf8, false),
        Field::new("first_failed_week", DataType::Utf8, false),
    ]))
}

/// Per finding key that ever failed in the lake, the first ISO week it failed in: one
/// batch of [`first_failures_schema`], ordered by key. Read through the index.
pub async fn first_failures(lake: &Location) -> Result<RecordBatch> {
    first_failures_among(lake, &FindingsFiles::default()).await
}

/// [`first_failures`], checked against the findings files from `findings`.
pub async fn first_failures_among(
    lake: &Location,
    findings: &FindingsFiles,
) -> Result<RecordBatch> {
    Ok(current(lake, findings.get(lake).await?).await?.batch)
}

/// Rewrites the index if it no longer matches the findings files. Returns whether it
/// wrote. Called by ingest after it commits; safe to call at any time, from anywhere.
pub async fn refresh(lake: &Location) -> Result<bool> {
    let listed = list_table(lake, FINDINGS_TABLE).await?;
    let current = current(lake, &listed).await?;
    if !current.stale {
        return Ok(false);
    }
    let covers: Vec<Value> = current
        .covers
        .iter()
        .map(|(file, v)| {
            let mut m = v.to_json();
            m.insert("file".into(), file.clone().into());
            Value::Object(m)
        })
        .collect();
    let properties = manifest_properties()
        .into_builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(
            COVERS_KEY.to_owned(),
            Value::Array(covers).to_string(),
        )]))
        .build();
    put_parquet(lake, INDEX_PATH, &current.batch, properties).await?;
    Ok(true)
}

/// The index as it is now, and whether the stored one differs from it.
struct Current {
    batch: RecordBatch,
    covers: Vec<(String, FileVersion)>,
    stale: bool,
}

/// A stored index: its rows and the files they were computed from.
struct Stored {
    batch: RecordBatch,
    covers: Vec<(String, FileVersion)>,
}

/// The index of the lake whose findings files are `listed`.
async fn current(lake: &Location, listed: &[ObjectMeta]) -> Result<Current> {
    let covers: Vec<(String, FileVersion)> = listed
        .iter()
        .map(|m| (m.location.as_ref().to_owned(), FileVersion::of(m)))
        .collect();
    // Usable only if every file it covers is still there, unchanged.
    let stored = read_index(lake).await.filter(|s| {
        let versions: HashMap<&str, &FileVersion> =
            covers.iter().map(|(f, v)| (f.as_str(), v)).collect();
        s.covers
            .iter()
            .all(|(file, v)| versions.get(file.as_str()) == Some(&v))
    });
    let covered: HashSet<&str> = stored
        .iter()
        .flat_map(|s| s.covers.iter().map(|(f, _)| f.as_str()))
        .collect();
    // Owned, so that the reads below make a future that is `Send` for any caller.
    let missing: Vec<ObjectMeta> = listed
        .iter()
        .filter(|m| !covered.contains(m.location.as_ref()))
        .cloned()
        .collect();
    if missing.is_empty() {
        if let Some(stored) = stored {
            // Current: its rows as they are (stored in key order).
            return Ok(Current {
                batch: stored.batch,
                covers,
                stale: false,
            });
        }
    }
    let stale = !missing.is_empty();
    let mut first: HashMap<String, String> = HashMap::new();
    if let Some(stored) = &stored {
        let keys = stored.batch.column(0).as_string::<i32>();
        let weeks = stored.batch.column(1).as_string::<i32>();
        first.reserve(keys.len());
        for r in 0..keys.len() {
            first.insert(keys.value(r).to_owned(), weeks.value(r).to_owned());
        }
    }
    let mut reads = futures::stream::iter(missing)
        .map(|meta| failures_in_file(lake, meta))
        .buffer_unordered(READS_IN_FLIGHT);
    while let Some(batches) = reads.try_next().await? {
        for batch in batches {
            merge(&mut first, &batch);
        }
    }
    let mut rows: Vec<(String, String)> = first.into_iter().collect();
    rows.sort_unstable();
    let keys: StringArray = rows.iter().map(|(k, _)| Some(k.as_str())).collect();
    let weeks: StringArray = rows.iter().map(|(_, w)| Some(w.as_str())).collect();
    let batch = RecordBatch::try_new(
        first_failures_schema(),
        vec![Arc::new(keys), Arc::new(weeks)],
    )
    .map_err(StoreError::Arrow)?;
    Ok(Current {
        batch,
        covers,
        stale,
    })
}

/// Keeps, per key, the earliest week among `first` and a batch of (`finding_key`, `week`).
fn merge(first: &mut HashMap<String, String>, batch: &RecordBatch) {
    let (Some(keys), Some(weeks)) = (
        batch.column_by_name("finding_key"),
        batch.column_by_name("week"),
    ) else {
        return;
    };
    let (keys, weeks) = (keys.as_string::<i32>(), weeks.as_string::<i32>());
    for r in 0..keys.len() {
        let (key, week) = (keys.value(r), weeks.value(r));
        match first.get_mut(key) {
            Some(w) if week < w.as_str() => week.clone_into(w),
            Some(_) => {}
            None => {
                first.insert(key.to_owned(), week.to_owned());
            }
        }
    }
}

/// The (`finding_key`, `week`) of the FAIL rows of one findings file. The file is fetched
/// whole in one request (a rebuild reads thousands of them; ranged reads of three column
/// chunks each were an order of magnitude slower) and decoded on a blocking thread: only
/// the three columns, the keys only for the rows that failed.
async fn failures_in_file(lake: &Location, meta: ObjectMeta) -> Result<Vec<RecordBatch>> {
    let path = meta.location.clone();
    let bytes = lake.read_whole(&path).await?;
    tokio::task::spawn_blocking(move || failures_in_bytes(bytes, &path))
        .await
        .map_err(|e| StoreError::Internal(format!("reading the failures of a file: {e}")))?
}

fn failures_in_bytes(bytes: Bytes, path: &Path) -> Result<Vec<RecordBatch>> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(StoreError::parquet(path))?;
    let columns = builder.parquet_schema();
    let projection = ProjectionMask::columns(columns, ["finding_key", "week"]);
    let status = ProjectionMask::columns(columns, ["status_code"]);
    let fail = StringArray::new_scalar("FAIL");
    let failing = ArrowPredicateFn::new(status, move |b: RecordBatch| eq(b.column(0), &fail));
    builder
        .with_projection(projection)
        .with_row_filter(RowFilter::new(vec![Box::new(failing)]))
        .build()
        .map_err(StoreError::parquet(path))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(StoreError::Arrow)
}

/// The stored index, if there is one this version can use. Any problem reading it (absent,
/// cut short, other columns, unreadable file list) means "no index".
async fn read_index(lake: &Location) -> Option<Stored> {
    let path = lake.child(INDEX_PATH);
    let bytes = lake.store.get(&path).await.ok()?.bytes().await.ok()?;
    let metadata = ArrowReaderMetadata::load(&bytes, Default::default()).ok()?;
    let covers = metadata
        .metadata()
        .file_metadata()
        .key_value_metadata()?
        .iter()
        .find(|kv| kv.key == COVERS_KEY)?
        .value
        .as_deref()?;
    let covers = parse_covers(covers)?;
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, metadata);
    let batch = conformed(reader, &first_failures_schema())?;
    Some(Stored { batch, covers })
}

fn parse_covers(text: &str) -> Option<Vec<(String, FileVersion)>> {
    let Value::Array(items) = serde_json::from_str(text).ok()? else {
        return None;
    };
    items
        .iter()
        .map(|item| {
            let file = item.get("file")?.as_str()?.to_owned();
            Some((file, FileVersion::from_json(item)?))
        })
        .collect()
}
