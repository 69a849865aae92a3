//! How findings become Parquet: properties chosen for scanning engines, written in order.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

use crate::error::Result;

/// Rows per row group. Each (account, run) file of a large account holds a few row groups,
/// each covering a run of checks, so that min/max statistics prune by `check_id`.
pub const ROW_GROUP_ROWS: usize = 8 * 1024;

/// Rows per data page at most. Within a row group rows are ordered by `check_id`, so with
/// pages this small the page index lets a query for one check (`lookback`) skip most pages
/// of every column instead of decoding the whole row group.
pub const PAGE_ROWS: usize = 1024;

/// Columns whose values are (nearly) unique per finding: a dictionary would only be
/// built and then abandoned at its size limit, at the cost of hashing every value.
const NO_DICTIONARY: &[&str] = &[
    "finding_key",
    "finding_uid",
    "status_detail",
    "resource_uid",
    "resource_name",
    "resources.list.element.uid",
    "resources.list.element.name",
    "source_offset",
    "source_length",
];

/// Free-text and nested columns that no query filters by range: min/max statistics would
/// cost a comparison of every (long) value and prune nothing.
const NO_STATISTICS: &[&str] = &[
    "title",
    "description",
    "status_detail",
    "risk_details",
    "remediation",
    "remediation_references.list.element",
    "additional_urls.list.element",
    "resource_name",
    "resources.list.element.uid",
    "resources.list.element.name",
    "resources.list.element.type",
    "resources.list.element.region",
    "resources.list.element.namespace",
    "resources.list.element.service",
    "resources.list.element.tags.key_value.key",
    "resources.list.element.tags.key_value.value",
    "compliance.key_value.key",
    "compliance.key_value.value.list.element",
    "categories.list.element",
    "check_types.list.element",
    "source_offset",
    "source_length",
];

/// The compression of findings files.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Codec {
    /// Snappy: lake's default (see [`writer_properties`]).
    #[default]
    Snappy,
    /// ZSTD (level 1): files about a third smaller (Athena bills the bytes it scans),
    /// slower to write and, over thousands of column chunks, to read.
    Zstd,
}

/// The writer properties of findings files: Snappy, dictionary encoding of the columns
/// that repeat, statistics on the columns queries filter by, and a `created_by` without
/// build details, so that the same input gives the same bytes.
///
/// Snappy rather than ZSTD: files come out about a third larger, but a query over a year
/// of an organisation opens thousands of column chunks, and the Rust Parquet reader sets up
/// a ZSTD context for each one (CPUID probes that cost tens of microseconds on virtual
/// machines), which dominated week-scoped queries; Snappy needs no context, and encodes
/// faster at ingest.
pub fn writer_properties() -> WriterProperties {
    writer_properties_with(Codec::Snappy)
}

/// [`writer_properties`] with the compression `codec`.
pub fn writer_properties_with(codec: Codec) -> WriterProperties {
    let compression = match codec {
        Codec::Snappy => Compression::SNAPPY,
        Codec::Zstd => Compression::ZSTD(parquet::basic::ZstdLevel::default()),
    };
    let mut b = WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(compression)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_data_page_row_count_limit(PAGE_ROWS)
        .set_write_batch_size(PAGE_ROWS)
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(format!("lake {}", env!("CARGO_PKG_VERSION")));
    for column in NO_DICTIONARY {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*column), false);
    }
    for column in NO_STATISTICS {
        b = b.set_column_statistics_enabled(ColumnPath::from(*column), EnabledStatistics::None);
    }
    b.build()
}

/// The writer properties of manifest (`scans`) files: a few kilobytes each, read whole by
/// every query, so uncompressed.
pub fn manifest_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::UNCOMPRESSED)
        .set_created_by(format!("lake {}", env!("CARGO_PKG_VERSION")))
        .build()
}

/// Orders a batch of findings by `check_id`, keeping the input order within a check (a
/// stable sort). Prowler writes checks in order, so a batch is usually sorted already and
/// is returned as it is; either way each row group's range of checks stays narrow, which
/// is what min/max statistics prune by.
pub fn sort_findings(batch: &RecordBatch) -> Result<RecordBatch> {
    let checks = batch
        .column_by_name("check_id")
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| arrow::error::ArrowError::SchemaError("no string column check_id".into()))?;
    let sorted = (1..checks.len()).all(|i| checks.value(i - 1) <= checks.value(i));
    if sorted {
        return Ok(batch.clone());
    }
    let len = u32::try_from(checks.len())
        .map_err(|_| arrow::error::ArrowError::ComputeError("batch too large".into()))?;
    let mut order: Vec<u32> = (0..len).collect();
    order.sort_by(|&a, &b| checks.value(a as usize).cmp(checks.value(b as usize)));
    Ok(take_record_batch(batch, &UInt32Array::from(order))?)
}

/// The schema of the findings files, for readers.
pub fn findings_schema() -> Arc<arrow::datatypes::Schema> {
    lake_core::schema::findings_schema()
}
