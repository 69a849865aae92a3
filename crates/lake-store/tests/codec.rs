//! The findings files' compression, specified: Snappy by default, ZSTD when asked, the same
//! rows either way.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use lake_store::ingest::{ingest, IngestOptions};
use lake_store::writer::Codec;
use lake_store::{Location, Source};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::reader::{FileReader, SerializedFileReader};

#[path = "support/scans.rs"]
mod scans;
use scans::scan_file;

const FINDINGS: &str = "findings/dt=2026-05-18/111111111111-run-1.parquet";

async fn lake_with(codec: Codec, source: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let options = IngestOptions {
        codec,
        ..IngestOptions::default()
    };
    let sources = Source::resolve(source.to_str().unwrap()).await.unwrap();
    let out = ingest(&lake, sources, &options, Default::default()).await;
    assert_eq!(out[0].status(), "succeeded");
    dir
}

/// The compression of every column chunk of the lake's findings file.
fn codecs(dir: &Path) -> Vec<Compression> {
    let reader =
        SerializedFileReader::new(std::fs::File::open(dir.join(FINDINGS)).unwrap()).unwrap();
    let meta = reader.metadata();
    let mut out: Vec<Compression> = (0..meta.num_row_groups())
        .flat_map(|g| {
            let group = meta.row_group(g);
            (0..group.num_columns())
                .map(|c| group.column(c).compression())
                .collect::<Vec<_>>()
        })
        .collect();
    out.dedup();
    out
}

fn rows(dir: &Path) -> Vec<arrow::array::RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(dir.join(FINDINGS)).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn findings_are_snappy_unless_zstd_is_asked_for_and_hold_the_same_rows() {
    let src = tempfile::tempdir().unwrap();
    let file = scan_file(src.path(), "run-1", "111111111111", 500, 7);
    let snappy = lake_with(Codec::default(), &file).await;
    let zstd = lake_with(Codec::Zstd, &file).await;
    assert_eq!(codecs(snappy.path()), [Compression::SNAPPY]);
    assert!(
        matches!(codecs(zstd.path())[..], [Compression::ZSTD(_)]),
        "{:?}",
        codecs(zstd.path())
    );
    assert_eq!(rows(snappy.path()), rows(zstd.path()));
}
