//! The stored changes of a week (`lake_store::changes`), specified on a local lake and on a
//! real S3 API server (moto): used only under the fingerprint they were computed with, and
//! a fingerprint that moves with what the classification reads, and only with that.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use chrono::{TimeZone, Utc};
use lake_store::changes::{
    fetch, is_current, pair_is_current, pair_is_stored, read, stored_file, write, Fingerprint,
    Inputs, Stored,
};
use lake_store::Location;
use object_store::ObjectMeta;

#[path = "support/moto.rs"]
mod moto_server;
use moto_server::{create_bucket, moto};

const CHANGES: Stored = Stored::Changes;

fn rows_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("finding_key", DataType::Utf8, false),
        Field::new("change", DataType::Utf8, false),
        Field::new("severity_id", DataType::Int64, true),
    ]))
}

fn rows() -> RecordBatch {
    RecordBatch::try_new(
        rows_schema(),
        vec![
            Arc::new(StringArray::from(vec!["k1", "k2", "k3"])),
            Arc::new(StringArray::from(vec!["new", "resolved", "persisting"])),
            Arc::new(Int64Array::from(vec![Some(4), None, Some(2)])),
        ],
    )
    .unwrap()
}

/// A manifest of scans: (week, status, findings file).
fn scans(rows: &[(&str, &str, &str)]) -> Vec<RecordBatch> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("week", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, false),
        Field::new("findings_path", DataType::Utf8, true),
    ]));
    vec![RecordBatch::try_new(
        schema,
        vec![
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
            Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.2))),
        ],
    )
    .unwrap()]
}

fn file(lake: &Location, rel: &str, size: u64) -> ObjectMeta {
    ObjectMeta {
        location: lake.child(rel),
        last_modified: Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
        size,
        e_tag: None,
        version: None,
    }
}

/// The stored `what` of the pair (2026-W21, 2026-W20) read under `fp`.
async fn read_pair(
    lake: &Location,
    what: Stored,
    fp: &Fingerprint,
    schema: &SchemaRef,
    columns: Option<&[usize]>,
) -> Option<Vec<RecordBatch>> {
    read(lake, what, "2026-W21", "2026-W20", fp, schema, columns).await
}

async fn stored_changes_are_read_only_under_their_fingerprint(lake: &Location) {
    let inputs = Inputs::new(lake, &["SELECT 1"], &[], &[]).unwrap();
    let (fp, other) = (
        inputs.fingerprint("2026-W21", "2026-W20"),
        inputs.fingerprint("2026-W21", "2026-W19"),
    );
    assert_ne!(fp, other);
    assert!(!is_current(lake, CHANGES, "2026-W21", "2026-W20", &fp).await);
    assert!(read_pair(lake, CHANGES, &fp, &rows_schema(), None)
        .await
        .is_none());

    let schema = rows_schema();
    write(
        lake,
        CHANGES,
        "2026-W21",
        "2026-W20",
        &fp,
        &schema,
        &[rows()],
    )
    .await
    .unwrap();
    assert!(is_current(lake, CHANGES, "2026-W21", "2026-W20", &fp).await);
    assert!(!is_current(lake, CHANGES, "2026-W21", "2026-W20", &other).await);
    assert!(!is_current(lake, CHANGES, "2026-W22", "2026-W21", &fp).await);
    let all = read_pair(lake, CHANGES, &fp, &schema, None).await.unwrap();
    assert_eq!(
        arrow::compute::concat_batches(&schema, &all).unwrap(),
        rows()
    );
    // Only the columns asked for.
    let some = read_pair(lake, CHANGES, &fp, &schema, Some(&[0, 2]))
        .await
        .unwrap();
    assert_eq!(some[0].num_columns(), 2);
    assert_eq!(some[0].schema().field(1).name(), "severity_id");
    // Another fingerprint, or other columns than the reader's, read nothing.
    assert!(read_pair(lake, CHANGES, &other, &schema, None)
        .await
        .is_none());
    let wider = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .cloned()
            .chain([Arc::new(Field::new("reason", DataType::Utf8, true))])
            .collect::<Vec<_>>(),
    ));
    assert!(read_pair(lake, CHANGES, &fp, &wider, None).await.is_none());
    // Each view of a pair is its own object: the counts and the compliance counts are not
    // current for the changes, so the pair is not current until all are stored.
    for (i, what) in [Stored::Counts, Stored::Compliance].into_iter().enumerate() {
        assert!(!is_current(lake, what, "2026-W21", "2026-W20", &fp).await);
        assert!(read_pair(lake, what, &fp, &schema, None).await.is_none());
        assert!(!pair_is_current(lake, &Stored::ALL, "2026-W21", "2026-W20", &fp).await);
        write(lake, what, "2026-W21", "2026-W20", &fp, &schema, &[rows()])
            .await
            .unwrap();
        assert_eq!(
            pair_is_current(lake, &Stored::ALL, "2026-W21", "2026-W20", &fp).await,
            i == 1,
            "current once all three are stored"
        );
    }
    assert!(!pair_is_current(lake, &Stored::ALL, "2026-W21", "2026-W20", &other).await);
    // The risk rows are a set of their own, under a fingerprint derived from the changes'
    // that names the risk views' definitions and the history window: the classification
    // being current says nothing of them, and they say nothing of it.
    let risk = fp.risk("CREATE VIEW open_findings AS ...", "2026-W09");
    assert_ne!(
        risk,
        fp.risk("CREATE VIEW open_findings AS ...", "2026-W10")
    );
    assert_ne!(
        risk,
        fp.risk("CREATE VIEW open_findings AS SELECT 1", "2026-W09")
    );
    assert_ne!(
        risk,
        other.risk("CREATE VIEW open_findings AS ...", "2026-W09")
    );
    assert!(!pair_is_current(lake, &Stored::RISK, "2026-W21", "2026-W20", &risk).await);
    for what in Stored::RISK {
        write(
            lake,
            what,
            "2026-W21",
            "2026-W20",
            &risk,
            &schema,
            &[rows()],
        )
        .await
        .unwrap();
    }
    assert!(pair_is_current(lake, &Stored::RISK, "2026-W21", "2026-W20", &risk).await);
    assert!(!pair_is_current(lake, &Stored::RISK, "2026-W21", "2026-W20", &fp).await);
    assert!(pair_is_current(lake, &Stored::ALL, "2026-W21", "2026-W20", &fp).await);
    assert_eq!(
        stored_file(Stored::Lifecycle, "2026-W21", "2026-W20"),
        "_changes/week=2026-W21/against=2026-W20/lifecycle.parquet"
    );
    assert_eq!(
        stored_file(CHANGES, "2026-W21", "2026-W20"),
        "_changes/week=2026-W21/against=2026-W20/changes.parquet"
    );
    assert_eq!(
        stored_file(Stored::Counts, "2026-W21", "2026-W20"),
        "_changes/week=2026-W21/against=2026-W20/counts.parquet"
    );
    assert_eq!(
        stored_file(Stored::Compliance, "2026-W21", "2026-W20"),
        "_changes/week=2026-W21/against=2026-W20/compliance.parquet"
    );

    // A reader checks the footer once, then fetches the columns each scan reads, only from
    // the version it checked: once another writer has stored the pair again, none that it
    // had not fetched yet.
    let checked = fetch(lake, CHANGES, "2026-W21", "2026-W20", &fp, &schema)
        .await
        .unwrap();
    let first = checked.columns(lake, Some(&[0])).await.unwrap();
    let decoded: Vec<RecordBatch> = first.batches().map(Option::unwrap).collect();
    assert_eq!(
        decoded.iter().map(RecordBatch::num_rows).sum::<usize>(),
        rows().num_rows()
    );
    assert_eq!(decoded[0].num_columns(), 1);
    write(
        lake,
        CHANGES,
        "2026-W21",
        "2026-W20",
        &fp,
        &schema,
        &[rows(), rows()],
    )
    .await
    .unwrap();
    // (a column fetched before is of the version checked, and is read again from memory)
    let again = checked.columns(lake, Some(&[0])).await.unwrap();
    assert_eq!(
        again
            .batches()
            .map(|b| b.unwrap().num_rows())
            .sum::<usize>(),
        rows().num_rows()
    );
    assert!(checked.columns(lake, None).await.is_none());
    assert!(checked.columns(lake, Some(&[2])).await.is_none());
}

#[tokio::test]
async fn on_a_local_lake() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    stored_changes_are_read_only_under_their_fingerprint(&lake).await;
}

#[tokio::test]
async fn on_s3() {
    moto();
    create_bucket("lake-changes");
    let lake = Location::parse("s3://lake-changes/lake", false).unwrap();
    stored_changes_are_read_only_under_their_fingerprint(&lake).await;
}

#[test]
fn the_fingerprint_moves_with_what_the_pair_reads_and_only_that() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let w20 = "findings/dt=2026-05-11/a-run20.parquet";
    let w21 = "findings/dt=2026-05-18/a-run21.parquet";
    let w22 = "findings/dt=2026-05-25/a-run22.parquet";
    let manifest = [
        ("2026-W20", "succeeded", w20),
        ("2026-W21", "succeeded", w21),
    ];
    let files = [file(&lake, w20, 100), file(&lake, w21, 200)];
    let of = |defs: &str, manifest: &[(&str, &str, &str)], files: &[ObjectMeta]| {
        Inputs::new(&lake, &[defs], &scans(manifest), files)
            .unwrap()
            .fingerprint("2026-W21", "2026-W20")
    };
    let base = of("views", &manifest, &files);
    assert_eq!(
        of("views", &manifest, &files),
        base,
        "the same lake, the same fingerprint"
    );

    // A later week ingested (its row and its file): unchanged.
    let later = [manifest[0], manifest[1], ("2026-W22", "succeeded", w22)];
    let later_files = [files[0].clone(), files[1].clone(), file(&lake, w22, 300)];
    assert_eq!(of("views", &later, &later_files), base);
    // ...but a file no row claims (ingest commits the file before its row) counts, and so
    // does a later week's file whose scan failed.
    assert_ne!(of("views", &manifest, &later_files), base);
    let failed = [manifest[0], manifest[1], ("2026-W22", "failed", w22)];
    assert_ne!(of("views", &failed, &later_files), base);

    // An earlier week's file replaced, its scan re-run, the views changed: another one.
    let replaced = [file(&lake, w20, 101), files[1].clone()];
    assert_ne!(of("views", &manifest, &replaced), base);
    let rerun = [("2026-W20", "partial", w20), manifest[1]];
    assert_ne!(of("views", &rerun, &files), base);
    assert_ne!(of("views v2", &manifest, &files), base);
    // The pair is part of it.
    let inputs = Inputs::new(&lake, &["views"], &scans(&manifest), &files).unwrap();
    assert_ne!(inputs.fingerprint("2026-W21", "2026-W19"), base);
}

#[tokio::test]
async fn objects_of_an_earlier_layout_are_read_but_stored_again() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let fp = Inputs::new(&lake, &["SELECT 1"], &[], &[])
        .unwrap()
        .fingerprint("2026-W21", "2026-W20");
    let schema = rows_schema();
    for what in Stored::ALL {
        write(&lake, what, "2026-W21", "2026-W20", &fp, &schema, &[rows()])
            .await
            .unwrap();
    }
    assert!(pair_is_stored(&lake, &Stored::ALL, "2026-W21", "2026-W20", &fp).await);

    // The changes as an earlier build wrote them: the same rows and fingerprint, in row
    // groups of one row.
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(1))
        .set_key_value_metadata(Some(vec![parquet::file::metadata::KeyValue::new(
            "lake.changes.fingerprint".to_owned(),
            fp.as_str().to_owned(),
        )]))
        .build();
    let path = dir
        .path()
        .join(stored_file(CHANGES, "2026-W21", "2026-W20"));
    let mut bytes = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut bytes, schema.clone(), Some(properties)).unwrap();
    writer.write(&rows()).unwrap();
    writer.close().unwrap();
    std::fs::write(&path, bytes).unwrap();

    // Readers use it (current, same rows); `lake compact` stores it again.
    assert!(pair_is_current(&lake, &Stored::ALL, "2026-W21", "2026-W20", &fp).await);
    let read = read_pair(&lake, CHANGES, &fp, &schema, None).await.unwrap();
    assert_eq!(
        arrow::compute::concat_batches(&schema, &read).unwrap(),
        rows()
    );
    assert!(!pair_is_stored(&lake, &Stored::ALL, "2026-W21", "2026-W20", &fp).await);
}
