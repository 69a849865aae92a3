//! The observed cells of each findings file: what `scan_cells` (`queries/views.sql`) holds,
//! stored at ingest so that queries read a few hundred rows per scan instead of grouping
//! every finding of the weeks they compare.
//!
//! ```text
//! <lake>/_observed/dt=YYYY-MM-DD/<account>-<run_id>.parquet   beside findings/dt=.../<same name>
//! ```
//!
//! Each file holds the rows of [`lake_core::observed::cells_schema`] for one findings file
//! (counted by [`CellCounter`] while the findings were written) and, in its key-value
//! metadata, the version (size, modification time, ETag) of the findings file it describes.
//! Like the failure index it is a cache, never the truth: [`cells_among`] uses a stored file
//! only if the findings file is still there in that very version, and otherwise counts the
//! findings file itself. A missing, stale or unreadable file costs time, never correctness.
//! `lake compact` writes the files an older lake lacks (see [`refresh`]).
//!
//! The same pass tells which files wrote a finding key more than once (`repeated` > 0), so
//! [`repeated_keys`] reads only those (usually none) for `repeated_keys`.
//!
//! A compacted copy of a closed partition (see [`crate::compact`]) holds the cells of all the
//! files it was made of in one more object of its directory, [`COPY_CELLS`] (with a `file`
//! column naming each row's findings file): a 90-day lookback reads the cells of ~50 copies
//! instead of 1,200 files. The copy is used only while its partition's files are those it
//! was made of, so its cells are too; an older copy without them costs the per-file reads.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use lake_core::observed::{cells_schema, CellCounter, COUNTED_COLUMNS};
use lake_core::schema::PARTITION_COLUMN;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::{KeyValue, ParquetMetaData};
use serde_json::Value;

use crate::error::{Result, StoreError};
use crate::ingest::put_parquet;
use crate::layout::{dt_of, FINDINGS_TABLE, OBSERVED_DIR};
use crate::location::Location;
use crate::snapshot::{conformed, FileVersion};
use crate::writer::manifest_properties;

/// The key-value metadata entry naming the version of the findings file described.
const DESCRIBES_KEY: &str = "lake.observed.findings";

/// Files read at once.
const READS_IN_FLIGHT: usize = 16;

/// The relative path of the observed cells of the findings file at `findings_rel`
/// (`findings/dt=.../x.parquet` → `_observed/dt=.../x.parquet`).
pub fn cells_file(findings_rel: &str) -> Option<String> {
    let rest = findings_rel
        .strip_prefix(FINDINGS_TABLE)?
        .strip_prefix('/')?;
    Some(format!("{OBSERVED_DIR}/{rest}"))
}

/// The columns [`cells_among`] returns: `dt` then [`cells_schema`].
pub fn cells_table_schema() -> SchemaRef {
    let mut fields = vec![Arc::new(Field::new(
        PARTITION_COLUMN,
        DataType::Utf8,
        false,
    ))];
    fields.extend(cells_schema().fields().iter().cloned());
    Arc::new(Schema::new(fields))
}

/// Stores `cells` as the observed cells of the findings file `findings_rel`, committed as
/// `version` (recorded, so that readers use the cells for that version only: reading the
/// version back instead could find a file another ingest put there meanwhile).
pub async fn write(
    lake: &Location,
    findings_rel: &str,
    version: &ObjectMeta,
    cells: &RecordBatch,
) -> Result<()> {
    let Some(rel) = cells_file(findings_rel) else {
        return Err(StoreError::Internal(format!(
            "{findings_rel} is not a findings file"
        )));
    };
    let v = FileVersion::of(version);
    let properties = manifest_properties()
        .into_builder()
        .set_key_value_metadata(Some(vec![KeyValue::new(
            DESCRIBES_KEY.to_owned(),
            Value::Object(v.to_json()).to_string(),
        )]))
        .build();
    put_parquet(lake, &rel, cells, properties).await
}

/// Removes the observed cells of `findings_rel` (its findings file is gone).
pub async fn remove(lake: &Location, findings_rel: &str) -> Result<()> {
    let Some(rel) = cells_file(findings_rel) else {
        return Ok(());
    };
    match lake.store.delete(&lake.child(&rel)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(StoreError::store("removing", &rel)(e)),
    }
}

/// The object of a compacted copy's directory that holds the cells of the files it was made
/// of: the rows of [`copy_cells_schema`]. Not a `.parquet` name, so the listing of the copies
/// (which reads `*.parquet` as findings) passes it by, like the copy's marker.
pub const COPY_CELLS: &str = "_cells";

/// The key-value metadata entry of [`COPY_CELLS`]: how many findings files it describes.
const COPY_FILES_KEY: &str = "lake.observed.files";

/// The key-value metadata entry of [`COPY_CELLS`]: the names of the files that repeat a
/// key (a JSON array), so that a read of some checks' cells still knows them all.
const COPY_REPEATING_KEY: &str = "lake.observed.repeating";

/// Rows per row group of [`COPY_CELLS`], ordered by `check_id`: a read of one check's cells
/// (lookback) decodes a group or two of a partition's ~150 K rows.
const COPY_CELLS_GROUP_ROWS: usize = 4 * 1024;

/// Findings files whose cells [`write_copy_cells`] orders together (~100 K cells, ~25 MB).
pub const COPY_CELLS_CHUNK_FILES: usize = 64;

/// The columns of [`COPY_CELLS`]: `file` (the findings file's name in its partition), then
/// [`cells_schema`].
pub fn copy_cells_schema() -> SchemaRef {
    let mut fields = vec![Arc::new(Field::new("file", DataType::Utf8, false))];
    fields.extend(cells_schema().fields().iter().cloned());
    Arc::new(Schema::new(fields))
}

/// Writes the cells of `files` (one partition's findings files, as listed when its copy was
/// made) as the [`COPY_CELLS`] of the copy in `copy_dir`.
///
/// The files are taken `chunk_files` at a time ([`COPY_CELLS_CHUNK_FILES`]), each chunk's
/// cells ordered by check (then file) and ending its own row groups: memory holds one
/// chunk's cells (~1,500 per file) and the encoded object, whatever the partition's size,
/// and a read of one check's cells decodes a group or two per chunk.
pub async fn write_copy_cells(
    lake: &Location,
    copy_dir: &str,
    files: &[&ObjectMeta],
    chunk_files: usize,
) -> Result<()> {
    let rel = format!("{copy_dir}/{COPY_CELLS}");
    let schema = copy_cells_schema();
    let properties = manifest_properties()
        .into_builder()
        .set_max_row_group_row_count(Some(COPY_CELLS_GROUP_ROWS))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            COPY_FILES_KEY.to_owned(),
            files.len().to_string(),
        )]))
        .build();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(Vec::new(), schema.clone(), Some(properties))
            .map_err(StoreError::parquet(&rel))?;
    let mut repeating: Vec<String> = Vec::new();
    for chunk in files.chunks(chunk_files.max(1)) {
        let mut reads = futures::stream::iter(chunk.iter().map(|m| (*m).clone()))
            .map(|meta| cells_of(lake, meta))
            .buffered(READS_IN_FLIGHT);
        let mut batches = Vec::with_capacity(chunk.len());
        while let Some((meta, batch, _)) = reads.try_next().await? {
            let name = meta.location.filename().unwrap_or_default();
            if repeats_a_key(&batch) {
                repeating.push(name.to_owned());
            }
            batches.push(prefixed(&schema, name, &batch).map_err(StoreError::Arrow)?);
        }
        let cells = arrow::compute::concat_batches(&schema, &batches).map_err(StoreError::Arrow)?;
        drop(batches);
        // Ordered by check, then file: a check's cells are a run of row groups.
        let by_check = arrow::compute::lexsort_to_indices(
            &[
                arrow::compute::SortColumn {
                    values: cells
                        .column_by_name("check_id")
                        .cloned()
                        .ok_or_else(|| StoreError::Internal("cells without `check_id`".into()))?,
                    options: None,
                },
                arrow::compute::SortColumn {
                    values: cells.column(0).clone(),
                    options: None,
                },
            ],
            None,
        )
        .map_err(StoreError::Arrow)?;
        let sorted =
            arrow::compute::take_record_batch(&cells, &by_check).map_err(StoreError::Arrow)?;
        writer.write(&sorted).map_err(StoreError::parquet(&rel))?;
        // (the chunk's last group ends here, not mixed with the next chunk's first checks)
        writer.flush().map_err(StoreError::parquet(&rel))?;
    }
    repeating.sort_unstable();
    repeating.dedup();
    let repeating = serde_json::to_string(&repeating)
        .map_err(|e| StoreError::Internal(format!("naming the repeating files: {e}")))?;
    writer.append_key_value_metadata(KeyValue::new(COPY_REPEATING_KEY.to_owned(), repeating));
    let bytes = writer.into_inner().map_err(StoreError::parquet(&rel))?;
    crate::ingest::put_atomic(lake, &rel, Bytes::from(bytes)).await
}

/// The cells a copy's [`COPY_CELLS`] holds, if it is there, reads whole and describes
/// `files` (the partition's findings files as listed now): `dt` and the [`cells_schema`]
/// columns, and the files among `files` that repeat a key.
async fn read_copy_cells(
    lake: &Location,
    copy_dir: &str,
    dt: &str,
    files: &[ObjectMeta],
    checks: Option<&[String]>,
) -> Option<(RecordBatch, Vec<ObjectMeta>)> {
    let bytes = lake
        .store
        .get(&lake.child(&format!("{copy_dir}/{COPY_CELLS}")))
        .await
        .ok()?
        .bytes()
        .await
        .ok()?;
    let count = files.len().to_string();
    let checks = checks.map(<[String]>::to_vec);
    let (batch, repeating) = tokio::task::spawn_blocking(move || {
        let metadata = ArrowReaderMetadata::load(&bytes, Default::default()).ok()?;
        let entry = |key: &str| {
            metadata
                .metadata()
                .file_metadata()
                .key_value_metadata()?
                .iter()
                .find(|kv| kv.key == key)?
                .value
                .clone()
        };
        if entry(COPY_FILES_KEY)? != count {
            return None;
        }
        let repeating: Vec<String> = serde_json::from_str(&entry(COPY_REPEATING_KEY)?).ok()?;
        let mut reader = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, metadata);
        let Some(checks) = checks else {
            return Some((conformed(reader, &copy_cells_schema())?, repeating));
        };
        let groups = groups_of(reader.metadata(), &checks)?;
        reader = reader.with_row_groups(groups);
        let cells = of_checks(conformed(reader, &copy_cells_schema())?, &checks).ok()?;
        Some((cells, repeating))
    })
    .await
    .ok()??;
    let names = batch.column(0).as_string::<i32>();
    let by_name: HashMap<&str, &ObjectMeta> = files
        .iter()
        .filter_map(|m| Some((m.location.filename()?, m)))
        .collect();
    // A row of a file the partition does not hold: not the copy of these files.
    if (0..batch.num_rows()).any(|row| !by_name.contains_key(names.value(row))) {
        return None;
    }
    let repeating: Vec<ObjectMeta> = repeating
        .iter()
        .map(|name| by_name.get(name.as_str()).map(|m| (*m).clone()))
        .collect::<Option<_>>()?;
    let without_file = batch
        .project(&(1..batch.num_columns()).collect::<Vec<_>>())
        .ok()?;
    let cells = prefixed(&cells_table_schema(), dt, &without_file).ok()?;
    Some((cells, repeating))
}

/// The row groups of a [`COPY_CELLS`] object that may hold cells of `checks`, by the
/// statistics of `check_id` (a group without them may hold any).
fn groups_of(metadata: &ParquetMetaData, checks: &[String]) -> Option<Vec<usize>> {
    let column = metadata
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.name() == "check_id")?;
    Some(
        metadata
            .row_groups()
            .iter()
            .enumerate()
            .filter(|(_, group)| {
                let stats = group.column(column).statistics();
                let (min, max) = match stats {
                    Some(s) => (s.min_bytes_opt(), s.max_bytes_opt()),
                    None => (None, None),
                };
                checks.iter().any(|c| {
                    let c = c.as_bytes();
                    min.is_none_or(|m| m <= c) && max.is_none_or(|m| c <= m)
                })
            })
            .map(|(i, _)| i)
            .collect(),
    )
}

/// Whether a file's cells say it wrote a finding key more than once.
fn repeats_a_key(cells: &RecordBatch) -> bool {
    cells
        .column_by_name("repeated")
        .map(|c| c.as_primitive::<Int64Type>())
        .is_some_and(|r| r.iter().flatten().any(|n| n > 0))
}

/// `batch` with a first column holding `value` in every row, as `schema` (that column, then
/// `batch`'s).
fn prefixed(
    schema: &SchemaRef,
    value: &str,
    batch: &RecordBatch,
) -> std::result::Result<RecordBatch, arrow::error::ArrowError> {
    let mut columns: Vec<Arc<dyn Array>> =
        vec![Arc::new(StringArray::from(vec![value; batch.num_rows()]))];
    columns.extend(batch.columns().iter().cloned());
    RecordBatch::try_new(schema.clone(), columns)
}

/// Keeps the rows of `batch` (with a `check_id` column) of `checks`.
fn of_checks(batch: RecordBatch, checks: &[String]) -> Result<RecordBatch> {
    let Some(column) = batch.column_by_name("check_id") else {
        return Ok(batch);
    };
    let ids = column.as_string::<i32>();
    let keep: arrow::array::BooleanArray = ids
        .iter()
        .map(|id| Some(id.is_some_and(|id| checks.iter().any(|c| c == id))))
        .collect();
    arrow::compute::filter_record_batch(&batch, &keep).map_err(StoreError::Arrow)
}

/// The observed cells of a set of findings files, and which of them repeat keys.
#[derive(Debug, Clone)]
pub struct Cells {
    /// `dt` and the [`cells_schema`] columns, one batch per file.
    pub batches: Vec<RecordBatch>,
    /// The findings files with a repeated key (`repeated` > 0 in some cell).
    pub repeating: Vec<ObjectMeta>,
    /// How many files were counted from their findings (no usable stored cells).
    pub counted: usize,
}

/// The observed cells of `files` (findings files as listed), read from their stored cells
/// where those describe the listed version, counted from the findings file otherwise.
///
/// `copies`: the usable compacted copies (dt, cover; see [`crate::compact::usable`]): the
/// files of a partition that has one are read from its [`COPY_CELLS`] when it holds them.
///
/// `checks`: only the cells of these checks (a lookback's), else all; `repeating` names
/// every file that repeats a key either way.
pub async fn cells_among(
    lake: &Location,
    files: &[ObjectMeta],
    copies: &[(String, String)],
    checks: Option<&[String]>,
) -> Result<Cells> {
    let mut out = Cells {
        batches: Vec::with_capacity(files.len()),
        repeating: Vec::new(),
        counted: 0,
    };
    let mut by_dt: HashMap<&str, Vec<&ObjectMeta>> = HashMap::new();
    for meta in files {
        if let Some(dt) = dt_of(meta.location.as_ref()) {
            by_dt.entry(dt).or_default().push(meta);
        }
    }
    let copied: Vec<(String, String, Vec<ObjectMeta>)> = copies
        .iter()
        .filter_map(|(dt, cover)| {
            let files = by_dt.remove(dt.as_str())?;
            let files = files.into_iter().cloned().collect();
            Some((dt.clone(), crate::compact::copy_dir(dt, cover), files))
        })
        .collect();
    // (the reads gathered first: a stream mapping borrowed items through a closure is not
    // `Send` for every lifetime, which the query engine's futures must be)
    let reads: Vec<_> = copied
        .iter()
        .map(|(dt, dir, files)| read_copy_cells(lake, dir, dt, files, checks))
        .collect();
    let read: Vec<Option<(RecordBatch, Vec<ObjectMeta>)>> = futures::stream::iter(reads)
        .buffered(READS_IN_FLIGHT)
        .collect()
        .await;
    // Files of partitions without a copy, or whose copy holds no usable cells.
    let mut single: Vec<ObjectMeta> = by_dt.into_values().flatten().cloned().collect();
    for ((_, _, files), read) in copied.into_iter().zip(read) {
        match read {
            Some((batch, repeating)) => {
                out.batches.push(batch);
                out.repeating.extend(repeating);
            }
            None => single.extend(files),
        }
    }
    single.sort_by(|a, b| a.location.cmp(&b.location));
    let mut reads = futures::stream::iter(single)
        .map(|meta| cells_of(lake, meta))
        .buffered(READS_IN_FLIGHT);
    while let Some((meta, batch, counted)) = reads.try_next().await? {
        if repeats_a_key(&batch) {
            out.repeating.push(meta.clone());
        }
        out.counted += usize::from(counted);
        let batch = match checks {
            Some(checks) => of_checks(batch, checks)?,
            None => batch,
        };
        let dt = dt_of(meta.location.as_ref()).unwrap_or_default();
        out.batches
            .push(prefixed(&cells_table_schema(), dt, &batch).map_err(StoreError::Arrow)?);
    }
    Ok(out)
}

/// Writes the stored cells of every findings file of the lake that lacks usable ones.
/// Returns how many were written, of how many findings files.
pub async fn refresh(lake: &Location) -> Result<(usize, usize)> {
    let files = crate::snapshot::list_table(lake, FINDINGS_TABLE).await?;
    let total = files.len();
    let mut reads = futures::stream::iter(files)
        .map(|meta| async move {
            let (meta, batch, counted) = cells_of(lake, meta).await?;
            if counted {
                let rel = lake.relative(&meta.location);
                write(lake, &rel, &meta, &batch).await?;
            }
            Ok::<_, StoreError>(usize::from(counted))
        })
        .buffer_unordered(READS_IN_FLIGHT);
    let mut written = 0;
    while let Some(n) = reads.try_next().await? {
        written += n;
    }
    Ok((written, total))
}

/// The cells of one findings file and whether they had to be counted.
async fn cells_of(lake: &Location, meta: ObjectMeta) -> Result<(ObjectMeta, RecordBatch, bool)> {
    let rel = lake.relative(&meta.location);
    if let Some(stored) = cells_file(&rel) {
        if let Some(batch) = read_stored(lake, &stored, &FileVersion::of(&meta)).await {
            return Ok((meta, batch, false));
        }
    }
    let path = meta.location.clone();
    let bytes = lake.read_whole(&path).await?;
    let batch = tokio::task::spawn_blocking(move || count_bytes(bytes, &path))
        .await
        .map_err(|e| StoreError::Internal(format!("counting the cells of a file: {e}")))??;
    Ok((meta, batch, true))
}

/// Counts the cells of a findings file's bytes.
fn count_bytes(bytes: Bytes, path: &Path) -> Result<RecordBatch> {
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(StoreError::parquet(path))?;
    let projection = ProjectionMask::columns(builder.parquet_schema(), COUNTED_COLUMNS);
    let mut counter = CellCounter::new();
    for batch in builder
        .with_projection(projection)
        .build()
        .map_err(StoreError::parquet(path))?
    {
        counter
            .absorb(&batch.map_err(StoreError::Arrow)?)
            .map_err(StoreError::Arrow)?;
    }
    counter.finish().map_err(StoreError::Arrow)
}

/// Stored cells at `rel`, if they describe the findings file in `version`.
async fn read_stored(lake: &Location, rel: &str, version: &FileVersion) -> Option<RecordBatch> {
    let bytes = lake
        .store
        .get(&lake.child(rel))
        .await
        .ok()?
        .bytes()
        .await
        .ok()?;
    // Decoded on a blocking thread: a query reads the cells of a thousand files or more
    // (lookback over 90 days), and decoding them in the task that awaits them all kept
    // them on one core.
    let version = version.clone();
    tokio::task::spawn_blocking(move || {
        let metadata = ArrowReaderMetadata::load(&bytes, Default::default()).ok()?;
        let describes = metadata
            .metadata()
            .file_metadata()
            .key_value_metadata()?
            .iter()
            .find(|kv| kv.key == DESCRIBES_KEY)?
            .value
            .as_deref()?;
        let stored = FileVersion::from_json(&serde_json::from_str(describes).ok()?)?;
        if stored != version {
            return None;
        }
        let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, metadata);
        conformed(reader, &cells_schema())
    })
    .await
    .ok()
    .flatten()
}

/// The columns of [`repeated_keys`] (the view `repeated_keys` of `queries/views.sql`).
pub fn repeated_keys_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new(PARTITION_COLUMN, DataType::Utf8, false),
        Field::new("source_uri", DataType::Utf8, false),
        Field::new("run_id", DataType::Utf8, false),
        Field::new("check_id", DataType::Utf8, false),
        Field::new("finding_key", DataType::Utf8, false),
        Field::new("kept_offset", DataType::Int64, true),
    ]))
}

/// The finding keys each of `files` wrote more than once, with the copy that counts (the
/// one later in the file): the rows of the view `repeated_keys` for those files.
pub async fn repeated_keys(lake: &Location, files: &[ObjectMeta]) -> Result<RecordBatch> {
    let mut reads = futures::stream::iter(files.iter().cloned())
        .map(|meta| async move {
            let path = meta.location.clone();
            let bytes = lake.read_whole(&path).await?;
            tokio::task::spawn_blocking(move || repeated_in_bytes(bytes, &path))
                .await
                .map_err(|e| StoreError::Internal(format!("reading repeated keys: {e}")))?
        })
        .buffered(READS_IN_FLIGHT);
    let mut batches = Vec::new();
    while let Some(batch) = reads.try_next().await? {
        batches.push(batch);
    }
    arrow::compute::concat_batches(&repeated_keys_schema(), &batches).map_err(StoreError::Arrow)
}

fn repeated_in_bytes(bytes: Bytes, path: &Path) -> Result<RecordBatch> {
    let dt = dt_of(path.as_ref()).unwrap_or_default().to_owned();
    let builder =
        ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(StoreError::parquet(path))?;
    let projection = ProjectionMask::columns(
        builder.parquet_schema(),
        [
            "source_uri",
            "run_id",
            "check_id",
            "finding_key",
            "source_offset",
        ],
    );
    // (source, run, check, key) -> (rows, greatest offset)
    let mut seen: HashMap<[String; 4], (usize, Option<i64>)> = HashMap::new();
    for batch in builder
        .with_projection(projection)
        .build()
        .map_err(StoreError::parquet(path))?
    {
        let batch = batch.map_err(StoreError::Arrow)?;
        let text = |n: &str| {
            batch
                .column_by_name(n)
                .map(|c| c.as_string::<i32>().clone())
        };
        let (Some(source), Some(run), Some(check), Some(key)) = (
            text("source_uri"),
            text("run_id"),
            text("check_id"),
            text("finding_key"),
        ) else {
            return Err(StoreError::Internal(format!("{path}: not a findings file")));
        };
        let offsets = batch
            .column_by_name("source_offset")
            .and_then(|c| c.as_primitive_opt::<Int64Type>().cloned());
        for r in 0..batch.num_rows() {
            let id = [&source, &run, &check, &key].map(|a| a.value(r).to_owned());
            let offset = offsets
                .as_ref()
                .and_then(|o| o.is_valid(r).then(|| o.value(r)));
            let e = seen.entry(id).or_insert((0, None));
            e.0 += 1;
            e.1 = e.1.max(offset);
        }
    }
    let mut rows: Vec<([String; 4], Option<i64>)> = seen
        .into_iter()
        .filter(|(_, (n, _))| *n > 1)
        .map(|(id, (_, offset))| (id, offset))
        .collect();
    rows.sort_unstable();
    let column = |i: usize| -> Arc<dyn Array> {
        Arc::new(StringArray::from_iter_values(
            rows.iter().map(|(id, _)| id[i].as_str()),
        ))
    };
    RecordBatch::try_new(
        repeated_keys_schema(),
        vec![
            Arc::new(StringArray::from(vec![dt.as_str(); rows.len()])),
            column(0),
            column(1),
            column(2),
            column(3),
            Arc::new(rows.iter().map(|(_, o)| *o).collect::<Int64Array>()),
        ],
    )
    .map_err(StoreError::Arrow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cells_of_a_findings_file_sit_at_the_same_name_under_observed() {
        assert_eq!(
            cells_file("findings/dt=2026-05-18/111122223333-run-1.parquet").as_deref(),
            Some("_observed/dt=2026-05-18/111122223333-run-1.parquet")
        );
        assert_eq!(cells_file("scans/dt=2026-05-18/x.parquet"), None);
        assert_eq!(cells_file("findingsX/dt=2026-05-18/x.parquet"), None);
    }

    #[test]
    fn one_checks_cells_are_read_from_the_row_groups_that_can_hold_them() {
        // Cells ordered by check, two rows per row group: a, a | b, c | c, c | d, e
        let checks = ["a", "a", "b", "c", "c", "c", "d", "e"];
        let schema = Arc::new(Schema::new(vec![Field::new(
            "check_id",
            DataType::Utf8,
            false,
        )]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(checks.to_vec()))],
        )
        .unwrap();
        let properties = manifest_properties()
            .into_builder()
            .set_max_row_group_row_count(Some(2))
            .build();
        let mut bytes = Vec::new();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(&mut bytes, schema, Some(properties)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let metadata = ArrowReaderMetadata::load(&Bytes::from(bytes), Default::default()).unwrap();
        let groups = |of: &[&str]| {
            let of: Vec<String> = of.iter().map(|c| (*c).to_owned()).collect();
            groups_of(metadata.metadata(), &of).unwrap()
        };
        assert_eq!(groups(&["a"]), [0]);
        assert_eq!(groups(&["c"]), [1, 2]);
        assert_eq!(groups(&["b", "e"]), [1, 3]);
        assert_eq!(groups(&["bb"]), [1], "between b and c: the group of both");
        assert!(groups(&["z"]).is_empty());

        let kept = of_checks(batch, &["c".to_owned()]).unwrap();
        assert_eq!(kept.num_rows(), 3);
    }

    #[test]
    fn paths_of_the_store_are_made_relative_to_the_lake_root() {
        let dir = tempfile::tempdir().unwrap();
        let lake = Location::local(dir.path(), true).unwrap();
        let path = lake.child("findings/dt=2026-05-18/a.parquet");
        assert_eq!(lake.relative(&path), "findings/dt=2026-05-18/a.parquet");
        let s3 = Location::parse("s3://bucket/security/lake", false).unwrap();
        let path = s3.child("findings/dt=2026-05-18/a.parquet");
        assert_eq!(
            path.as_ref(),
            "security/lake/findings/dt=2026-05-18/a.parquet"
        );
        assert_eq!(s3.relative(&path), "findings/dt=2026-05-18/a.parquet");
    }
}
