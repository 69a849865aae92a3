//! The manifest in one object: a snapshot of the `scans` table that saves a query from
//! opening one small file per ingested source (5,200 of them for a year of a 100-account
//! organisation).
//!
//! The snapshot is a cache, never the truth. It lives at [`SNAPSHOT_PATH`], outside the
//! table directories (engines reading `scans/` never see it), and records for each of its
//! rows the manifest file it came from with that file's size, modification time and ETag.
//! A reader lists `scans/` as before, keeps the snapshot rows whose file is still listed
//! unchanged, and reads only the files the snapshot does not cover (new, replaced). So a
//! stale, missing, partly overwritten or unreadable snapshot costs time, never correctness,
//! and concurrent ingests refreshing it at once need no coordination: the last one wins and
//! readers make up for whatever it missed.
//!
//! Ingest refreshes it after writing (see [`refresh`]); queries only read it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    new_null_array, Array, AsArray, BooleanArray, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow::compute::{concat_batches, filter_record_batch, sort_to_indices, take_record_batch};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef, TimeUnit};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use crate::error::{Result, StoreError};
use crate::ingest::{put_parquet, read_parquet};
use crate::layout::{dt_of, SCANS_TABLE};
use crate::location::Location;
use crate::read::scans_table_schema;
use crate::writer::manifest_properties;
use lake_core::schema::scans_schema;

/// Where the snapshot lives, relative to the lake root.
pub const SNAPSHOT_PATH: &str = "_manifest/scans.parquet";

/// Files of the manifest read at once: each is a few kilobytes, so latency, not bandwidth,
/// bounds reading them.
const MANIFEST_READS_IN_FLIGHT: usize = 32;

/// The columns that tie a snapshot row to the manifest file it was read from.
const FILE_COLUMNS: usize = 4;

/// The snapshot's schema: the `scans` table's columns, `dt`, and the source file's identity.
fn snapshot_schema() -> SchemaRef {
    let mut fields: Vec<FieldRef> = scans_table_schema().fields().iter().cloned().collect();
    fields.extend([
        Arc::new(Field::new("file", DataType::Utf8, false)),
        Arc::new(Field::new("file_size", DataType::Int64, false)),
        Arc::new(Field::new(
            "file_modified",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        )),
        Arc::new(Field::new("file_etag", DataType::Utf8, true)),
    ]);
    Arc::new(Schema::new(fields))
}

/// What identifies one version of a manifest file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileVersion {
    pub(crate) size: i64,
    pub(crate) modified: i64,
    pub(crate) etag: Option<String>,
}

impl FileVersion {
    pub(crate) fn of(meta: &ObjectMeta) -> Self {
        FileVersion {
            size: i64::try_from(meta.size).unwrap_or(i64::MAX),
            modified: meta.last_modified.timestamp_micros(),
            etag: meta.e_tag.clone(),
        }
    }

    /// As the caches record it in their key-value metadata: `size`, `modified`, `etag`.
    pub(crate) fn to_json(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut m = serde_json::Map::new();
        m.insert("size".into(), self.size.into());
        m.insert("modified".into(), self.modified.into());
        m.insert("etag".into(), self.etag.clone().into());
        m
    }

    /// Read back from [`FileVersion::to_json`]'s fields of `v` (other fields ignored).
    pub(crate) fn from_json(v: &serde_json::Value) -> Option<Self> {
        Some(FileVersion {
            size: v.get("size")?.as_i64()?,
            modified: v.get("modified")?.as_i64()?,
            etag: match v.get("etag")? {
                serde_json::Value::Null => None,
                e => Some(e.as_str()?.to_owned()),
            },
        })
    }
}

/// The manifest as it is now: the snapshot's rows still valid plus the files it lacks,
/// with the file columns, sorted by file path. `stale` tells whether the stored snapshot
/// differs from it.
struct Current {
    batch: RecordBatch,
    stale: bool,
}

/// The whole `scans` table with `dt` (the schema of [`scans_table_schema`]), in file path
/// order, read through the snapshot.
pub async fn scan_batches(lake: &Location) -> Result<Vec<RecordBatch>> {
    let current = current(lake).await?;
    let keep: Vec<usize> = (0..current.batch.num_columns() - FILE_COLUMNS).collect();
    let batch = current.batch.project(&keep).map_err(StoreError::Arrow)?;
    Ok(if batch.num_rows() == 0 {
        Vec::new()
    } else {
        vec![batch]
    })
}

/// Rewrites the snapshot if it no longer matches the manifest files. Returns whether it
/// wrote. Called by ingest after it commits; safe to call at any time, from anywhere.
pub async fn refresh(lake: &Location) -> Result<bool> {
    let current = current(lake).await?;
    if !current.stale {
        return Ok(false);
    }
    put_parquet(lake, SNAPSHOT_PATH, &current.batch, manifest_properties()).await?;
    Ok(true)
}

async fn current(lake: &Location) -> Result<Current> {
    let schema = snapshot_schema();
    let listed = list_table(lake, SCANS_TABLE).await?;
    let versions: HashMap<&str, FileVersion> = listed
        .iter()
        .map(|m| (m.location.as_ref(), FileVersion::of(m)))
        .collect();

    // The snapshot's rows whose file is still there, unchanged.
    let stored = read_snapshot(lake, &schema).await;
    let stored_rows = stored.as_ref().map_or(0, RecordBatch::num_rows);
    let mut covered: HashSet<String> = HashSet::new();
    let mut parts = Vec::new();
    if let Some(stored) = stored {
        let files = stored.column(schema.fields().len() - 4).as_string::<i32>();
        let sizes = stored
            .column(schema.fields().len() - 3)
            .as_primitive::<arrow::datatypes::Int64Type>();
        let modified = stored
            .column(schema.fields().len() - 2)
            .as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
        let etags = stored.column(schema.fields().len() - 1).as_string::<i32>();
        let valid: BooleanArray = (0..stored.num_rows())
            .map(|r| {
                let version = FileVersion {
                    size: sizes.value(r),
                    modified: modified.value(r),
                    etag: etags.is_valid(r).then(|| etags.value(r).to_owned()),
                };
                Some(versions.get(files.value(r)) == Some(&version))
            })
            .collect();
        let kept = filter_record_batch(&stored, &valid).map_err(StoreError::Arrow)?;
        let kept_files = kept.column(schema.fields().len() - 4).as_string::<i32>();
        for r in 0..kept.num_rows() {
            covered.insert(kept_files.value(r).to_owned());
        }
        parts.push(kept);
    }
    let kept_rows = parts.first().map_or(0, RecordBatch::num_rows);

    // The files it does not cover.
    let missing: Vec<&ObjectMeta> = listed
        .iter()
        .filter(|m| !covered.contains(m.location.as_ref()))
        .collect();
    let fresh = missing.len();
    let read: Vec<Vec<RecordBatch>> = futures::stream::iter(missing)
        .map(|meta| {
            let schema = schema.clone();
            async move { read_manifest_file(lake, meta, &schema).await }
        })
        .buffered(MANIFEST_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    parts.extend(read.into_iter().flatten());

    let all = concat_batches(&schema, &parts).map_err(StoreError::Arrow)?;
    let order = sort_to_indices(all.column(schema.fields().len() - 4), None, None)
        .map_err(StoreError::Arrow)?;
    let batch = take_record_batch(&all, &order).map_err(StoreError::Arrow)?;
    Ok(Current {
        batch,
        stale: fresh > 0 || kept_rows != stored_rows,
    })
}

/// The Parquet files of `table` (in `dt=` partitions), sorted by path.
pub(crate) async fn list_table(lake: &Location, table: &str) -> Result<Vec<ObjectMeta>> {
    let prefix = lake.child(table);
    let mut listed: Vec<ObjectMeta> = lake
        .store
        .list(Some(&prefix))
        .try_filter(|m| {
            let p = &m.location;
            let keep = p.filename().is_some_and(|f| f.ends_with(".parquet"))
                && dt_of(p.as_ref()).is_some();
            futures::future::ready(keep)
        })
        .try_collect()
        .await
        .map_err(StoreError::store("listing", &prefix))?;
    listed.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(listed)
}

/// The stored snapshot, if there is one that this version can use. Any problem reading it
/// (absent, cut short, written by a version with other columns) means "no snapshot"; one
/// written before a nullable column was added (`source_product`) is read with that column
/// null, as its manifest files are: else the first queries after an upgrade would each read
/// every manifest file until an ingest rewrote the snapshot.
async fn read_snapshot(lake: &Location, schema: &SchemaRef) -> Option<RecordBatch> {
    let path = lake.child(SNAPSHOT_PATH);
    let bytes = lake.store.get(&path).await.ok()?.bytes().await.ok()?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).ok()?;
    let stored = reader.schema().clone();
    let batches: Vec<RecordBatch> = reader.build().ok()?.collect::<Result<_, _>>().ok()?;
    let stored = concat_batches(&stored, &batches).ok()?;
    let rows = stored.num_rows();
    let columns = schema
        .fields()
        .iter()
        .map(|field| match stored.column_by_name(field.name()) {
            Some(c) if c.data_type() == field.data_type() => Some(c.clone()),
            Some(_) => None,
            None => field
                .is_nullable()
                .then(|| new_null_array(field.data_type(), rows)),
        })
        .collect::<Option<Vec<_>>>()?;
    RecordBatch::try_new(schema.clone(), columns).ok()
}

/// Whether a cache object's columns (`stored`) are those of `expected`: the same names and
/// types in the same order (nullability and field metadata aside).
pub(crate) fn same_columns(stored: &Schema, expected: &Schema) -> bool {
    stored.fields().len() == expected.fields().len()
        && stored
            .fields()
            .iter()
            .zip(expected.fields())
            .all(|(a, e)| a.name() == e.name() && a.data_type() == e.data_type())
}

/// The rows of a cache object as one batch of `schema`, or `None` if its columns differ
/// (written by a version with other columns) or it cannot be read.
pub(crate) fn conformed(
    reader: ParquetRecordBatchReaderBuilder<Bytes>,
    schema: &SchemaRef,
) -> Option<RecordBatch> {
    if !same_columns(reader.schema(), schema) {
        return None;
    }
    let batches: Vec<RecordBatch> = reader
        .build()
        .ok()?
        .map(|b| RecordBatch::try_new(schema.clone(), b.ok()?.columns().to_vec()).ok())
        .collect::<Option<_>>()?;
    concat_batches(schema, &batches).ok()
}

/// One manifest file's rows with `dt` and its file columns.
async fn read_manifest_file(
    lake: &Location,
    meta: &ObjectMeta,
    schema: &SchemaRef,
) -> Result<Vec<RecordBatch>> {
    let file: &Path = &meta.location;
    let dt = dt_of(file.as_ref()).unwrap_or_default().to_owned();
    let version = FileVersion::of(meta);
    let mut out = Vec::new();
    for batch in read_parquet(lake, file).await? {
        let rows = batch.num_rows();
        // By name: a manifest file written before a column was added (`source_product`)
        // reads as null there.
        let mut columns = Vec::with_capacity(schema.fields().len());
        for field in scans_schema().fields() {
            columns.push(match batch.column_by_name(field.name()) {
                Some(c) => c.clone(),
                None if field.is_nullable() => new_null_array(field.data_type(), rows),
                None => {
                    return Err(StoreError::Internal(format!(
                        "{file}: the manifest has no column {}",
                        field.name()
                    )))
                }
            });
        }
        columns.push(Arc::new(StringArray::from(vec![dt.as_str(); rows])));
        columns.push(Arc::new(StringArray::from(vec![file.as_ref(); rows])));
        columns.push(Arc::new(Int64Array::from(vec![version.size; rows])));
        columns.push(Arc::new(
            TimestampMicrosecondArray::from(vec![version.modified; rows]).with_timezone("UTC"),
        ));
        columns.push(Arc::new(StringArray::from(vec![
            version.etag.as_deref();
            rows
        ])));
        out.push(RecordBatch::try_new(schema.clone(), columns).map_err(StoreError::Arrow)?);
    }
    Ok(out)
}

/// A digest of the `scans` table as listed now (each manifest file's name, size and
/// version): any ingest that lands, anywhere in the lake, changes it. A writer of something
/// derived from the whole lake (the Lambda's weekly summary) compares it before and after,
/// and computes again when another ingest landed in between.
pub async fn manifest_version(lake: &Location) -> Result<String> {
    use sha2::{Digest, Sha256};
    let mut files = list_table(lake, SCANS_TABLE).await?;
    files.sort_by(|a, b| a.location.cmp(&b.location));
    let mut hash = Sha256::new();
    for meta in &files {
        let v = FileVersion::of(meta);
        hash.update(
            format!(
                "{}\0{}\0{}\0{}\n",
                meta.location,
                v.size,
                v.etag.as_deref().unwrap_or_default(),
                v.modified
            )
            .as_bytes(),
        );
    }
    Ok(hash.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
