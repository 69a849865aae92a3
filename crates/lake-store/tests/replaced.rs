//! A manifest row describes one version of its findings file, specified: a row whose file
//! another ingest replaced (and then died before writing its own row) is not believed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use lake_store::ingest::{ingest, IngestOptions, IngestOutcome};
use lake_store::manifest::REPLACED;
use lake_store::{read, Location, Source};

#[path = "support/scans.rs"]
mod scans;
use scans::scan_file;

/// A scan of account 111111111111 in run `run-1`, `findings` findings, under `root/name`.
fn scan_of(root: &Path, name: &str, findings: usize, seed: u64) -> PathBuf {
    scan_file(&root.join(name), "run-1", "111111111111", findings, seed)
}

async fn ingest_file(lake: &Location, file: &Path) -> IngestOutcome {
    let sources = Source::resolve(file.to_str().unwrap()).await.unwrap();
    ingest(lake, sources, &IngestOptions::default(), Default::default())
        .await
        .remove(0)
}

const FINDINGS: &str = "findings/dt=2026-05-18/111111111111-run-1.parquet";

#[tokio::test]
async fn a_row_is_believed_only_for_the_findings_file_it_was_written_for() {
    let src = tempfile::tempdir().unwrap();
    let (a, b) = (
        scan_of(src.path(), "a", 40, 1),
        scan_of(src.path(), "b", 25, 2),
    );
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let first = ingest_file(&lake, &a).await;
    assert_eq!(first.status(), "succeeded");
    let row = &read::scans(&lake).await.unwrap()[0];
    assert_eq!((row.status.as_str(), row.findings), ("succeeded", 40));
    let size = std::fs::metadata(dir.path().join(FINDINGS)).unwrap().len();
    assert_eq!(row.findings_size, Some(i64::try_from(size).unwrap()));
    // A local lake records the size alone (its store's ETag names the inode).
    assert!(row.findings_etag.is_none());

    // Another ingest of the same (account, run) from another source commits its findings
    // file and dies before its row: A's row, which counts 40 findings, now sits beside B's
    // file of 25.
    let other = tempfile::tempdir().unwrap();
    let other_lake = Location::local(other.path(), true).unwrap();
    assert_eq!(ingest_file(&other_lake, &b).await.status(), "succeeded");
    std::fs::copy(other.path().join(FINDINGS), dir.path().join(FINDINGS)).unwrap();

    // Readers see a failed scan, saying why, not A's counts over B's findings.
    let row = &read::scans(&lake).await.unwrap()[0];
    assert_eq!(row.status, "failed");
    assert_eq!(row.error.as_deref(), Some(REPLACED));
    assert_eq!(row.source_uri, first.record.source_uri);

    // The file gone altogether: the same.
    std::fs::remove_file(dir.path().join(FINDINGS)).unwrap();
    assert_eq!(read::scans(&lake).await.unwrap()[0].status, "failed");

    // Ingesting the source again repairs it.
    let options = IngestOptions {
        force: true,
        ..IngestOptions::default()
    };
    let sources = Source::resolve(a.to_str().unwrap()).await.unwrap();
    let again = ingest(&lake, sources, &options, Default::default()).await;
    assert_eq!(again[0].status(), "succeeded");
    let row = &read::scans(&lake).await.unwrap()[0];
    assert_eq!((row.status.as_str(), row.findings), ("succeeded", 40));
}

#[tokio::test]
async fn rows_written_before_versions_were_recorded_are_believed_as_before() {
    let src = tempfile::tempdir().unwrap();
    let a = scan_of(src.path(), "a", 10, 1);
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    assert_eq!(ingest_file(&lake, &a).await.status(), "succeeded");
    let mut row = read::scans(&lake).await.unwrap().remove(0);
    row.findings_size = None;
    row.findings_etag = None;
    assert!(row.describes(None));
    let listed = lake_store::read::FindingsFiles::default();
    let files = listed.get(&lake).await.unwrap();
    assert!(row.describes(files.first()));
    row.findings_size = Some(1);
    assert!(!row.describes(files.first()));
    assert!(!row.describes(None));
}

#[test]
fn etags_are_compared_only_between_uploads_of_one_form() {
    let meta = |etag: &str| object_store::ObjectMeta {
        location: "findings/dt=2026-05-18/x.parquet".into(),
        last_modified: chrono::Utc::now(),
        size: 100,
        e_tag: Some(etag.to_owned()),
        version: None,
    };
    let row = |etag: &str| lake_store::manifest::ScanRecord {
        findings_size: Some(100),
        findings_etag: Some(etag.to_owned()),
        ..lake_store::manifest::ScanRecord::default()
    };
    let (put, other_put) = ("\"0cc175b9c0f1b6a8\"", "\"92eb5ffee6ae2fec\"");
    let (parts, other_parts) = ("\"3858f62230ac3c91-2\"", "\"c4ca4238a0b92382-2\"");
    assert!(row(put).describes(Some(&meta(put))));
    assert!(!row(put).describes(Some(&meta(other_put))));
    assert!(!row(parts).describes(Some(&meta(other_parts))));
    // The same bytes uploaded the other way: the size alone decides.
    assert!(row(put).describes(Some(&meta(parts))));
    assert!(row(parts).describes(Some(&meta(put))));
}

#[tokio::test]
async fn a_complete_scan_is_not_replaced_by_a_copy_cut_short() {
    let src = tempfile::tempdir().unwrap();
    let whole = scan_of(src.path(), "whole", 40, 1);
    // The same run delivered again, cut short (half its bytes), at the same place under
    // another root: a partial read of the same (account, run).
    let bytes = std::fs::read(&whole).unwrap();
    let cut = src
        .path()
        .join("cut")
        .join(whole.strip_prefix(src.path().join("whole")).unwrap());
    std::fs::create_dir_all(cut.parent().unwrap()).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    assert_eq!(ingest_file(&lake, &whole).await.status(), "succeeded");
    let landed = std::fs::read(dir.path().join(FINDINGS)).unwrap();

    // The cut copy lands nothing, says why, and the complete scan stays as it was.
    let refused = ingest_file(&lake, &cut).await;
    assert_eq!(refused.status(), "failed");
    let error = refused.record.error.clone().unwrap();
    assert!(error.contains("already has a complete scan"), "{error}");
    assert!(error.contains("read partial"), "{error}");
    assert!(error.contains(whole.to_str().unwrap()), "{error}");
    let rows = read::scans(&lake).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].status.as_str(), rows[0].findings),
        ("succeeded", 40)
    );
    assert_eq!(std::fs::read(dir.path().join(FINDINGS)).unwrap(), landed);

    // Asked to, it replaces the complete scan.
    let sources = Source::resolve(cut.to_str().unwrap()).await.unwrap();
    let options = IngestOptions {
        force: true,
        ..IngestOptions::default()
    };
    let forced = ingest(&lake, sources, &options, Default::default())
        .await
        .remove(0);
    assert_eq!(forced.status(), "partial");
    let rows = read::scans(&lake).await.unwrap();
    assert_eq!(rows[0].status, "partial");
    assert!(rows[0].findings < 40);
}
