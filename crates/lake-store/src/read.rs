//! Reading the lake back without a query engine: the manifest, and the raw JSON of a finding.

use std::io::{Read, Seek, SeekFrom};

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Field, FieldRef, Int64Type, Schema, SchemaRef, TimestampMicrosecondType,
};
use chrono::{DateTime, Utc};
use lake_core::schema::{scans_schema, PARTITION_COLUMN};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStoreExt};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use tokio::sync::OnceCell;

use crate::error::{Result, StoreError};
use crate::layout::FINDINGS_TABLE;
use crate::location::Location;
use crate::manifest::{self, ScanRecord};

/// The Parquet files of a table, sorted by path.
pub async fn table_files(lake: &Location, table: &str) -> Result<Vec<Path>> {
    let listed = crate::snapshot::list_table(lake, table).await?;
    Ok(listed.into_iter().map(|m| m.location).collect())
}

/// The findings files of a lake, sorted by path, listed on first use and then shared: a
/// query hands one to [`crate::compact::usable_among`] and
/// [`crate::failures::first_failures_among`], so the table (5,200 files for a year of a
/// 100-account organisation) is listed at most once, and not at all when neither needs it.
#[derive(Debug, Clone, Default)]
pub struct FindingsFiles(Arc<OnceCell<Vec<ObjectMeta>>>);

impl FindingsFiles {
    /// The files of `lake`'s findings table; lists it on the first call.
    pub async fn get(&self, lake: &Location) -> Result<&[ObjectMeta]> {
        let listed = self
            .0
            .get_or_try_init(|| crate::snapshot::list_table(lake, FINDINGS_TABLE))
            .await?;
        Ok(listed)
    }
}

/// The whole `scans` table as Arrow batches with its partition column `dt` appended (the
/// schema of [`scans_table_schema`]), in file path order. Reads through the manifest
/// snapshot (see [`crate::snapshot`]): one object plus whatever it does not cover.
pub async fn scan_batches(lake: &Location) -> Result<Vec<RecordBatch>> {
    crate::snapshot::scan_batches(lake).await
}

/// [`scan_batches`], each row checked against the findings file it describes (`files`: the
/// findings table as listed now): a row whose file is missing or another version than the
/// one it recorded (another ingest of the scan replaced the file and died before writing its
/// own row) reads as a failed scan with the error [`manifest::REPLACED`], so that nothing
/// counts the row's findings, and its account reads as not scanned rather than as its old
/// counts. Rows that record no version are as they are.
pub async fn checked_scan_batches(
    lake: &Location,
    files: &FindingsFiles,
) -> Result<Vec<RecordBatch>> {
    let (batches, listed) = futures::try_join!(scan_batches(lake), files.get(lake))?;
    let listed: std::collections::HashMap<&str, &ObjectMeta> =
        listed.iter().map(|m| (m.location.as_ref(), m)).collect();
    batches.iter().map(|b| checked(lake, b, &listed)).collect()
}

/// `batch` with its rows that do not describe their findings file as failed (see
/// [`checked_scan_batches`]).
fn checked(
    lake: &Location,
    batch: &RecordBatch,
    listed: &std::collections::HashMap<&str, &ObjectMeta>,
) -> Result<RecordBatch> {
    let text = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_string::<i32>().clone())
    };
    let (Some(paths), Some(status), Some(error), Some(sizes), etags) = (
        text("findings_path"),
        text("status"),
        text("error"),
        batch
            .column_by_name("findings_size")
            .map(|c| c.as_primitive::<Int64Type>().clone()),
        text("findings_etag"),
    ) else {
        return Ok(batch.clone());
    };
    let replaced: Vec<bool> = (0..batch.num_rows())
        .map(|r| {
            if sizes.is_null(r) || paths.is_null(r) {
                return false;
            }
            let path = lake.child(paths.value(r));
            let etag = etags.as_ref().filter(|e| e.is_valid(r)).map(|e| e.value(r));
            !manifest::describes(
                Some(sizes.value(r)),
                etag,
                listed.get(path.as_ref()).copied(),
            )
        })
        .collect();
    if !replaced.contains(&true) {
        return Ok(batch.clone());
    }
    let failed = lake_core::ScanStatus::Failed.as_str();
    let status: arrow::array::StringArray = (0..batch.num_rows())
        .map(|r| {
            if replaced[r] {
                Some(failed)
            } else {
                status.is_valid(r).then(|| status.value(r))
            }
        })
        .collect();
    let error: arrow::array::StringArray = (0..batch.num_rows())
        .map(|r| {
            if replaced[r] {
                Some(manifest::REPLACED)
            } else {
                error.is_valid(r).then(|| error.value(r))
            }
        })
        .collect();
    let schema = batch.schema();
    let columns = schema
        .fields()
        .iter()
        .zip(batch.columns())
        .map(|(f, c)| match f.name().as_str() {
            "status" => Arc::new(status.clone()) as arrow::array::ArrayRef,
            "error" => Arc::new(error.clone()),
            _ => c.clone(),
        })
        .collect();
    Ok(RecordBatch::try_new(schema, columns)?)
}

/// The schema of [`scan_batches`]: the manifest's columns and `dt`.
pub fn scans_table_schema() -> SchemaRef {
    let mut fields: Vec<FieldRef> = scans_schema().fields().iter().cloned().collect();
    fields.push(Arc::new(Field::new(
        PARTITION_COLUMN,
        DataType::Utf8,
        false,
    )));
    Arc::new(Schema::new(fields))
}

/// Every manifest row, ordered by scan time, account and source, checked against the
/// findings files (see [`checked_scan_batches`]).
pub async fn scans(lake: &Location) -> Result<Vec<ScanRecord>> {
    let mut out = Vec::new();
    for batch in checked_scan_batches(lake, &FindingsFiles::default()).await? {
        out.extend(manifest::from_batch(&batch));
    }
    out.sort_by(|a, b| {
        (a.scan_time, &a.account_uid, &a.source_uri).cmp(&(
            b.scan_time,
            &b.account_uid,
            &b.source_uri,
        ))
    });
    Ok(out)
}

/// Where the raw JSON of one finding is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// The finding key.
    pub finding_key: String,
    /// Run id.
    pub run_id: String,
    /// Scan time.
    pub scan_time: Option<DateTime<Utc>>,
    /// Source URI.
    pub source_uri: String,
    /// Byte offset.
    pub offset: u64,
    /// Length.
    pub length: u64,
    /// The source's size as the manifest records it; `None` when the manifest records no
    /// scan read from `source_uri` ([`fetch_raw`] then refuses to read it).
    pub source_size: Option<u64>,
}

/// The largest raw finding [`fetch_raw`] reads: the decoder's default limit (a larger finding
/// was never kept, so no row can point at one).
pub const MAX_EVIDENCE_BYTES: u64 = 16 << 20;

/// How [`find_evidence`] names a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingRef<'a> {
    /// Its key (`finding_key`: 32 lowercase hex digits).
    Key(&'a str),
    /// The producer's uid of it (`finding_uid`, OCSF `finding_info.uid`).
    Uid(&'a str),
}

/// Every scan of the finding with this key (or of the findings with this uid: a producer
/// may reuse one, e.g. across accounts), oldest first.
pub async fn find_evidence(lake: &Location, finding: FindingRef<'_>) -> Result<Vec<Evidence>> {
    const COLUMNS: [&str; 7] = [
        "finding_key",
        "run_id",
        "scan_time",
        "source_uri",
        "source_offset",
        "source_length",
        "finding_uid",
    ];
    // (the uid is read only to look a finding up by it)
    let (column, wanted, columns) = match finding {
        FindingRef::Key(key) => ("finding_key", key, &COLUMNS[..6]),
        FindingRef::Uid(uid) => ("finding_uid", uid, &COLUMNS[..]),
    };
    // The sources the manifest records, with their sizes: the only bytes `fetch_raw` reads.
    let recorded: std::collections::HashMap<String, u64> = scans(lake)
        .await?
        .into_iter()
        .map(|s| (s.source_uri, u64::try_from(s.source_size).unwrap_or(0)))
        .collect();
    let mut out = Vec::new();
    for file in table_files(lake, FINDINGS_TABLE).await? {
        let batches = read_columns(lake, &file, columns).await?;
        for b in batches {
            let col = |n: &str| b.column_by_name(n).cloned();
            let (
                Some(matched),
                Some(keys),
                Some(runs),
                Some(times),
                Some(uris),
                Some(offs),
                Some(lens),
            ) = (
                col(column),
                col("finding_key"),
                col("run_id"),
                col("scan_time"),
                col("source_uri"),
                col("source_offset"),
                col("source_length"),
            )
            else {
                continue;
            };
            let matched = matched.as_string::<i32>();
            let keys = keys.as_string::<i32>();
            for row in (0..matched.len()).filter(|&r| matched.value(r) == wanted) {
                let times = times.as_primitive::<TimestampMicrosecondType>();
                out.push(Evidence {
                    finding_key: keys.value(row).to_owned(),
                    run_id: runs.as_string::<i32>().value(row).to_owned(),
                    scan_time: times
                        .is_valid(row)
                        .then(|| DateTime::from_timestamp_micros(times.value(row)))
                        .flatten(),
                    source_uri: uris.as_string::<i32>().value(row).to_owned(),
                    offset: offs.as_primitive::<Int64Type>().value(row).max(0) as u64,
                    length: lens.as_primitive::<Int64Type>().value(row).max(0) as u64,
                    source_size: recorded.get(uris.as_string::<i32>().value(row)).copied(),
                });
            }
        }
    }
    out.sort_by(|a, b| (a.scan_time, &a.source_uri).cmp(&(b.scan_time, &b.source_uri)));
    Ok(out)
}

/// Reads some columns of a Parquet file: a local file in place, an object whole.
async fn read_columns(
    lake: &Location,
    file: &Path,
    columns: &[&str],
) -> Result<Vec<arrow::array::RecordBatch>> {
    fn read<R: parquet::file::reader::ChunkReader + 'static>(
        reader: R,
        columns: &[&str],
        file: &Path,
    ) -> Result<Vec<arrow::array::RecordBatch>> {
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(reader).map_err(StoreError::parquet(file))?;
        let mask = ProjectionMask::columns(builder.parquet_schema(), columns.iter().copied());
        builder
            .with_projection(mask)
            .build()
            .map_err(StoreError::parquet(file))?
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(StoreError::Arrow)
    }
    if let Some(dir) = &lake.local_dir {
        let fs_path = dir.join(file.as_ref());
        let f = std::fs::File::open(&fs_path).map_err(|source| StoreError::Read {
            path: fs_path,
            offset: 0,
            source,
        })?;
        return read(f, columns, file);
    }
    let bytes = lake.read_whole(file).await?;
    read(bytes, columns, file)
}

/// The raw bytes of a finding, read back from its source.
pub async fn fetch_raw(evidence: &Evidence) -> Result<Vec<u8>> {
    // The row comes from a file anyone with write access to the lake could have written:
    // read only a source the manifest records, within its recorded size, and no more than a
    // finding can be.
    let refuse = |reason: String| StoreError::UntrustedEvidence {
        source_uri: evidence.source_uri.clone(),
        offset: evidence.offset,
        length: evidence.length,
        reason,
    };
    let Some(size) = evidence.source_size else {
        return Err(refuse(
            "no scan in the manifest was read from this source".into(),
        ));
    };
    let end = evidence
        .offset
        .checked_add(evidence.length)
        .filter(|&end| end <= size)
        .ok_or_else(|| refuse(format!("outside the source's {size} recorded bytes")))?;
    if evidence.length > MAX_EVIDENCE_BYTES {
        return Err(refuse(format!(
            "longer than the largest finding lake keeps ({MAX_EVIDENCE_BYTES} bytes)"
        )));
    }
    let range = evidence.offset..end;
    if let Some(path) = evidence.source_uri.strip_prefix("file://") {
        let read = || -> std::io::Result<Vec<u8>> {
            let mut f = std::fs::File::open(path)?;
            f.seek(SeekFrom::Start(range.start))?;
            let mut buf = vec![0u8; evidence.length as usize];
            f.read_exact(&mut buf)?;
            Ok(buf)
        };
        return read().map_err(|source| StoreError::Read {
            path: path.into(),
            offset: range.start,
            source,
        });
    }
    let loc = Location::parse(&evidence.source_uri, false)?;
    let bytes = loc
        .store
        .get_range(&loc.prefix, range)
        .await
        .map_err(StoreError::store("reading", &evidence.source_uri))?;
    Ok(bytes.to_vec())
}
