//! File names, specified: two scans never share a file, and a lake written before names were
//! collision-free keeps working without a migration.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;

use lake_store::ingest::{ingest, IngestOptions, IngestOutcome};
use lake_store::{manifest, Location, Source};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;

#[path = "support/scans.rs"]
mod scans;
use scans::scan_file;

async fn ingest_files(lake: &Location, files: &[&Path], force: bool) -> Vec<IngestOutcome> {
    let mut sources = Vec::new();
    for f in files {
        sources.extend(Source::resolve(f.to_str().unwrap()).await.unwrap());
    }
    let options = IngestOptions {
        force,
        ..IngestOptions::default()
    };
    ingest(lake, sources, &options, Default::default()).await
}

/// The files of the lake's tables and observed cells, with their bytes.
fn table_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for table in ["findings", "scans", "_observed"] {
        let Ok(parts) = std::fs::read_dir(dir.join(table)) else {
            continue;
        };
        for part in parts {
            let part = part.unwrap().path();
            for f in std::fs::read_dir(&part).unwrap() {
                let f = f.unwrap().path();
                let rel = f.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&f).unwrap());
            }
        }
    }
    out
}

/// The manifest rows under `dir`: (account, run, status, findings, findings_path).
fn rows(dir: &Path) -> Vec<(String, String, String, i64, Option<String>)> {
    let mut out = Vec::new();
    for (rel, bytes) in table_files(dir) {
        if !rel.starts_with("scans/") {
            continue;
        }
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
            .unwrap()
            .build()
            .unwrap();
        for batch in reader {
            for r in manifest::from_batch(&batch.unwrap()) {
                out.push((
                    r.account_uid,
                    r.run_id,
                    r.status,
                    r.findings,
                    r.findings_path,
                ));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn scans_whose_names_once_collided_land_apart() {
    // (acme-corp, r1) and (acme, corp-r1) were both `acme-corp-r1`: the second ingest
    // replaced the first scan's findings. Each now has files of its own.
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let corp = scan_file(src.path(), "r1", "acme-corp", 30, 1);
    let acme = scan_file(src.path(), "corp-r1", "acme", 20, 2);

    for file in [&corp, &acme] {
        let out = ingest_files(&lake, &[file], false).await;
        assert_eq!(out[0].status(), "succeeded", "{:?}", out[0].record.error);
    }
    assert_eq!(
        rows(dir.path()),
        [
            (
                "acme".into(),
                "corp-r1".into(),
                "succeeded".into(),
                20,
                Some("findings/dt=2026-05-18/acme-corp-r1.parquet".into())
            ),
            (
                "acme-corp".into(),
                "r1".into(),
                "succeeded".into(),
                30,
                Some("findings/dt=2026-05-18/acme.corp-r1.parquet".into())
            ),
        ]
    );
    // Both in one ingest, too: neither is taken for the other.
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let out = ingest_files(&lake, &[&corp, &acme], false).await;
    assert!(out.iter().all(|o| o.status() == "succeeded"), "{out:?}");
    assert_eq!(rows(dir.path()).len(), 2);
}

/// Moves the scan at `stem` to the name lake gave it before names were collision-free,
/// `legacy`, as a lake written then holds it (its row names the file it describes).
fn as_written_before(dir: &Path, stem: &str, legacy: &str) {
    let at = |table: &str, s: &str| {
        dir.join(table)
            .join("dt=2026-05-18")
            .join(format!("{s}.parquet"))
    };
    for table in ["findings", "_observed"] {
        std::fs::rename(at(table, stem), at(table, legacy)).unwrap();
    }
    let bytes = std::fs::read(at("scans", stem)).unwrap();
    let batch = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .unwrap()
        .build()
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let mut row = manifest::from_batch(&batch).remove(0);
    row.findings_path = Some(format!("findings/dt=2026-05-18/{legacy}.parquet"));
    let batch = manifest::to_batch(&row).unwrap();
    let mut w = ArrowWriter::try_new(
        std::fs::File::create(at("scans", legacy)).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    std::fs::remove_file(at("scans", stem)).unwrap();
}

#[tokio::test]
async fn a_lake_written_before_names_were_collision_free_keeps_its_files() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let corp = scan_file(src.path(), "r1", "acme-corp", 30, 1);
    assert_eq!(
        ingest_files(&lake, &[&corp], false).await[0].status(),
        "succeeded"
    );
    as_written_before(dir.path(), "acme.corp-r1", "acme-corp-r1");
    let before = table_files(dir.path());

    // Re-ingesting the scan finds it under its old name: skipped as already there, or
    // replaced in place when forced, never a second copy under the new name.
    let again = ingest_files(&lake, &[&corp], false).await;
    assert!(again[0].skipped, "{:?}", again[0].record);
    assert_eq!(table_files(dir.path()), before);
    let forced = ingest_files(&lake, &[&corp], true).await;
    assert_eq!(forced[0].status(), "succeeded");
    assert_eq!(
        table_files(dir.path()).keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        rows(dir.path()),
        [(
            "acme-corp".into(),
            "r1".into(),
            "succeeded".into(),
            30,
            Some("findings/dt=2026-05-18/acme-corp-r1.parquet".into())
        )]
    );

    // (acme, corp-r1) is named `acme-corp-r1` now, which the old scan holds: refused with a
    // clear error, the old scan left as it was.
    let before = table_files(dir.path());
    let acme = scan_file(src.path(), "corp-r1", "acme", 20, 2);
    let out = ingest_files(&lake, &[&acme], false).await;
    assert_eq!(out[0].status(), "failed");
    let error = out[0].record.error.clone().unwrap();
    assert!(
        error.contains("holds the scan of account acme-corp run r1")
            && error.contains("collision-free")
            && error.contains("--run-id"),
        "{error}"
    );
    assert!(!out[0].transient);
    assert_eq!(table_files(dir.path()), before);
}
