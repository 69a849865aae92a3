//! How findings become Parquet: properties chosen for scanning engines, written in order.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::compute::{lexsort_to_indices, take_record_batch, SortColumn};
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use parquet::schema::types::ColumnPath;

use crate::error::Result;

/// Rows per row group. Each (account, run) file of a large account holds a few row groups,
/// each covering a run of checks, so that min/max statistics prune by `check_id`.
pub const ROW_GROUP_ROWS: usize = 8 * 1024;

/// The writer properties of findings files: Snappy, dictionary encoding, page statistics,
/// and a `created_by` without build details, so that the same input gives the same bytes.
///
/// Snappy rather than ZSTD: files come out about a third larger, but a query over a year
/// of an organisation opens thousands of column chunks, and the Rust Parquet reader sets up
/// a ZSTD context for each one (CPUID probes that cost tens of microseconds on virtual
/// machines), which dominated week-scoped queries; Snappy needs no context, and encodes
/// faster at ingest.
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_writer_version(WriterVersion::PARQUET_1_0)
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_created_by(format!("lake {}", env!("CARGO_PKG_VERSION")))
        // Long free text gains nothing from dictionaries.
        .set_column_dictionary_enabled(ColumnPath::from("description"), false)
        .set_column_dictionary_enabled(ColumnPath::from("risk_details"), false)
        .set_column_dictionary_enabled(ColumnPath::from("remediation"), false)
        .set_column_dictionary_enabled(ColumnPath::from("finding_key"), false)
        .set_column_dictionary_enabled(ColumnPath::from("source_offset"), false)
        .build()
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

/// Sorts a batch of findings by `check_id`, `region`, `resource_uid`: Prowler already writes
/// checks in order, so this keeps each row group's range of checks narrow.
pub fn sort_findings(batch: &RecordBatch) -> Result<RecordBatch> {
    let column = |name: &str| -> Result<ArrayRef> {
        batch.column_by_name(name).cloned().ok_or_else(|| {
            arrow::error::ArrowError::SchemaError(format!("no column {name}")).into()
        })
    };
    let keys = ["check_id", "region", "resource_uid", "finding_key"]
        .into_iter()
        .map(|name| {
            Ok(SortColumn {
                values: column(name)?,
                options: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let indices = lexsort_to_indices(&keys, None)?;
    Ok(take_record_batch(batch, &indices)?)
}

/// The schema of the findings files, for readers.
pub fn findings_schema() -> Arc<arrow::datatypes::Schema> {
    lake_core::schema::findings_schema()
}
