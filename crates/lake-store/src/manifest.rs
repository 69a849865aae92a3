//! The `scans` table: one row per ingested source, the ingest manifest.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Int64Type, TimestampMicrosecondType};
use chrono::{DateTime, Utc};
use lake_core::schema::{scans_schema, LIST_ELEMENT};
use lake_core::{DecodeReport, ScanIdentity, ScanStatus};

use crate::error::Result;
use crate::source::Source;

/// One row of the `scans` table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanRecord {
    /// Run id.
    pub run_id: String,
    /// Account.
    pub account_uid: String,
    /// Provider, when any finding was read.
    pub provider: Option<String>,
    /// Week of the run.
    pub week: Option<String>,
    /// Scan time.
    pub scan_time: Option<DateTime<Utc>>,
    /// Source URI.
    pub source_uri: String,
    /// Source size.
    pub source_size: i64,
    /// Source last-modified.
    pub source_modified: Option<DateTime<Utc>>,
    /// Source ETag.
    pub source_etag: Option<String>,
    /// Findings written.
    pub findings: i64,
    /// PASS.
    pub pass: i64,
    /// FAIL.
    pub fail: i64,
    /// MANUAL.
    pub manual: i64,
    /// Muted.
    pub muted: i64,
    /// Rejected elements.
    pub rejected: i64,
    /// Regions seen.
    pub regions: Vec<String>,
    /// succeeded / partial / failed.
    pub status: String,
    /// Why partial or failed.
    pub error: Option<String>,
    /// Repairs made.
    pub warnings: Vec<String>,
    /// Findings file, relative to the lake root.
    pub findings_path: Option<String>,
    /// When the ingest finished.
    pub ingested_at: DateTime<Utc>,
    /// Version of lake.
    pub lake_version: String,
    /// The producer of the findings, when any was read.
    pub source_product: Option<String>,
    /// The size of the findings file written, as committed (see [`ScanRecord::describes`]).
    pub findings_size: Option<i64>,
    /// Its ETag, where the store gives one.
    pub findings_etag: Option<String>,
}

impl ScanRecord {
    /// The manifest row for a source read into `report`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        source: &Source,
        identity: &ScanIdentity,
        known_scan: bool,
        report: &DecodeReport,
        status: ScanStatus,
        error: Option<String>,
        findings_path: Option<String>,
    ) -> Self {
        let counts = &report.counts;
        ScanRecord {
            run_id: identity.run_id.clone(),
            account_uid: identity.account.clone(),
            provider: counts.providers.iter().next().cloned(),
            week: known_scan.then(|| identity.week.to_string()),
            scan_time: known_scan.then_some(identity.scan_time),
            source_uri: source.uri.clone(),
            source_size: i64::try_from(source.size).unwrap_or(i64::MAX),
            source_modified: source.modified,
            source_etag: source.etag.clone(),
            findings: counts.findings,
            pass: counts.pass,
            fail: counts.fail,
            manual: counts.manual,
            muted: counts.muted,
            rejected: report.rejected,
            regions: counts.regions.iter().cloned().collect(),
            status: status.as_str().to_owned(),
            error,
            warnings: report
                .warnings
                .iter()
                .cloned()
                .chain(counts.skip_warnings())
                .collect(),
            findings_path,
            ingested_at: Utc::now(),
            lake_version: env!("CARGO_PKG_VERSION").to_owned(),
            // Known from the findings, or from the path when none could be read; else
            // unknown (null: Prowler's, for the views).
            source_product: (counts.findings > 0 || identity.source != lake_core::source::PROWLER)
                .then(|| identity.source.clone()),
            findings_size: None,
            findings_etag: None,
        }
    }

    /// Whether the findings file as listed now (`listed`: the object at `findings_path`,
    /// `None` when there is none) is the version this row was written for. A row that
    /// records no version (no file written, or written before lake recorded versions)
    /// describes whatever is there, as it always did.
    pub fn describes(&self, listed: Option<&object_store::ObjectMeta>) -> bool {
        describes(self.findings_size, self.findings_etag.as_deref(), listed)
    }

    /// Whether ingesting `source` again would give this record: it was made from the same
    /// bytes by this version of lake, and did not fail (a failed ingest is always retried).
    pub fn same_source(&self, source: &Source) -> bool {
        self.status != ScanStatus::Failed.as_str()
            && self.source_uri == source.uri
            && self.source_size == i64::try_from(source.size).unwrap_or(i64::MAX)
            && self.source_modified.map(|t| t.timestamp_micros())
                == source.modified.map(|t| t.timestamp_micros())
            && self.source_etag == source.etag
            && self.lake_version == env!("CARGO_PKG_VERSION")
    }
}

/// Whether `listed` is the version of a findings file recorded as `size` and `etag` (see
/// [`ScanRecord::describes`]).
pub(crate) fn describes(
    size: Option<i64>,
    etag: Option<&str>,
    listed: Option<&object_store::ObjectMeta>,
) -> bool {
    let Some(size) = size else {
        return true;
    };
    let Some(meta) = listed else {
        return false;
    };
    u64::try_from(size).is_ok_and(|s| s == meta.size)
        && match (etag, meta.e_tag.as_deref()) {
            (Some(recorded), Some(now)) if one_form(recorded, now) => recorded == now,
            _ => true,
        }
}

/// Whether two S3 ETags are of one form, and so comparable: both a single PUT's (the MD5 of
/// the bytes) or both a multipart upload's (a digest of its parts, then `-` and their
/// number). The same bytes uploaded the other way (a retry can take the other form) get
/// another ETag: then the size alone is compared.
fn one_form(a: &str, b: &str) -> bool {
    let multipart = |e: &str| e.trim_matches('"').contains('-');
    multipart(a) == multipart(b)
}

/// The error of a row whose findings file is not the version it describes.
pub const REPLACED: &str = "replaced: the findings file is not the version this row was \
    written for (another ingest of this scan replaced it and did not write its row); nothing of \
    the scan is counted until the source is ingested again";

fn list(items: &[String]) -> ArrayRef {
    let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::new(Field::new(
        LIST_ELEMENT,
        DataType::Utf8,
        false,
    )));
    for item in items {
        b.values().append_value(item);
    }
    b.append(true);
    Arc::new(b.finish())
}

fn ts(t: Option<DateTime<Utc>>) -> ArrayRef {
    Arc::new(
        TimestampMicrosecondArray::from(vec![t.map(|t| t.timestamp_micros())]).with_timezone("UTC"),
    )
}

fn s(v: Option<&str>) -> ArrayRef {
    Arc::new(StringArray::from(vec![v]))
}

fn i(v: i64) -> ArrayRef {
    Arc::new(Int64Array::from(vec![v]))
}

/// The record as a one-row batch of the `scans` schema.
pub fn to_batch(r: &ScanRecord) -> Result<RecordBatch> {
    let columns = vec![
        s(Some(&r.run_id)),
        s(Some(&r.account_uid)),
        s(r.provider.as_deref()),
        s(r.week.as_deref()),
        ts(r.scan_time),
        s(Some(&r.source_uri)),
        i(r.source_size),
        ts(r.source_modified),
        s(r.source_etag.as_deref()),
        i(r.findings),
        i(r.pass),
        i(r.fail),
        i(r.manual),
        i(r.muted),
        i(r.rejected),
        list(&r.regions),
        s(Some(&r.status)),
        s(r.error.as_deref()),
        list(&r.warnings),
        s(r.findings_path.as_deref()),
        ts(Some(r.ingested_at)),
        s(Some(&r.lake_version)),
        s(r.source_product.as_deref()),
        Arc::new(Int64Array::from(vec![r.findings_size])),
        s(r.findings_etag.as_deref()),
    ];
    Ok(RecordBatch::try_new(scans_schema(), columns)?)
}

/// Reads records back from batches of the `scans` schema.
pub fn from_batch(batch: &RecordBatch) -> Vec<ScanRecord> {
    let str_col = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_string::<i32>().clone())
    };
    let int_col = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_primitive::<Int64Type>().clone())
    };
    let ts_col = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_primitive::<TimestampMicrosecondType>().clone())
    };
    let list_col = |name: &str| {
        batch
            .column_by_name(name)
            .map(|c| c.as_list::<i32>().clone())
    };
    let get_s = |c: &Option<StringArray>, row: usize| {
        c.as_ref()
            .filter(|c| c.is_valid(row))
            .map(|c| c.value(row).to_owned())
    };
    let get_i = |c: &Option<Int64Array>, row: usize| {
        c.as_ref()
            .filter(|c| c.is_valid(row))
            .map_or(0, |c| c.value(row))
    };
    let get_t = |c: &Option<TimestampMicrosecondArray>, row: usize| {
        c.as_ref()
            .filter(|c| c.is_valid(row))
            .and_then(|c| DateTime::from_timestamp_micros(c.value(row)))
    };
    let get_l = |c: &Option<arrow::array::ListArray>, row: usize| -> Vec<String> {
        c.as_ref()
            .filter(|c| c.is_valid(row))
            .map(|c| {
                let v = c.value(row);
                let v = v.as_string::<i32>();
                (0..v.len()).map(|i| v.value(i).to_owned()).collect()
            })
            .unwrap_or_default()
    };
    let (run_id, account, provider, week) = (
        str_col("run_id"),
        str_col("account_uid"),
        str_col("provider"),
        str_col("week"),
    );
    let source_product = str_col("source_product");
    let (findings_size, findings_etag) = (int_col("findings_size"), str_col("findings_etag"));
    let (uri, etag, status, error, path, version) = (
        str_col("source_uri"),
        str_col("source_etag"),
        str_col("status"),
        str_col("error"),
        str_col("findings_path"),
        str_col("lake_version"),
    );
    let (size, findings, pass, fail, manual, muted, rejected) = (
        int_col("source_size"),
        int_col("findings"),
        int_col("pass"),
        int_col("fail"),
        int_col("manual"),
        int_col("muted"),
        int_col("rejected"),
    );
    let (scan_time, modified, ingested) = (
        ts_col("scan_time"),
        ts_col("source_modified"),
        ts_col("ingested_at"),
    );
    let (regions, warnings) = (list_col("regions"), list_col("warnings"));
    (0..batch.num_rows())
        .map(|row| ScanRecord {
            run_id: get_s(&run_id, row).unwrap_or_default(),
            account_uid: get_s(&account, row).unwrap_or_default(),
            provider: get_s(&provider, row),
            week: get_s(&week, row),
            scan_time: get_t(&scan_time, row),
            source_uri: get_s(&uri, row).unwrap_or_default(),
            source_size: get_i(&size, row),
            source_modified: get_t(&modified, row),
            source_etag: get_s(&etag, row),
            findings: get_i(&findings, row),
            pass: get_i(&pass, row),
            fail: get_i(&fail, row),
            manual: get_i(&manual, row),
            muted: get_i(&muted, row),
            rejected: get_i(&rejected, row),
            regions: get_l(&regions, row),
            status: get_s(&status, row).unwrap_or_default(),
            error: get_s(&error, row),
            warnings: get_l(&warnings, row),
            findings_path: get_s(&path, row),
            ingested_at: get_t(&ingested, row).unwrap_or_default(),
            lake_version: get_s(&version, row).unwrap_or_default(),
            source_product: get_s(&source_product, row),
            findings_size: findings_size
                .as_ref()
                .filter(|c| c.is_valid(row))
                .map(|c| c.value(row)),
            findings_etag: get_s(&findings_etag, row),
        })
        .collect()
}
