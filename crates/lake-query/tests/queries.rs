//! The named queries, specified on lakes ingested from the fixtures (fixtures/README.md and
//! fixtures/runs.expected.json state the facts asserted here).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use lake_query::{Lake, Params, QueryError, DEFAULT_HISTORY_WEEKS};
use lake_store::changes::Stored;
use lake_store::ingest::{ingest, IngestOptions};
use lake_store::{Location, Source};
use object_store::ObjectStoreExt;

#[path = "queries/semantics.rs"]
mod semantics;

#[path = "queries/risk.rs"]
mod risk;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// A lake holding every file under each of `dirs`.
async fn lake_of(dirs: &[&Path]) -> (Lake, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::local(dir.path(), true).unwrap();
    for d in dirs {
        let sources = Source::resolve(d.to_str().unwrap()).await.unwrap();
        ingest(
            &location,
            sources,
            &IngestOptions::default(),
            Default::default(),
        )
        .await;
    }
    (Lake::from_location(location), dir)
}

async fn runs_lake() -> (Lake, tempfile::TempDir) {
    lake_of(&[&fixtures().join("runs")]).await
}

fn week(w: &str) -> Params {
    Params {
        week: Some(w.parse().unwrap()),
        ..Params::default()
    }
}

/// Rows as maps of column name to display text.
fn rows(batches: &[RecordBatch]) -> Vec<BTreeMap<String, String>> {
    let options = arrow::util::display::FormatOptions::default().with_null("");
    let mut out = Vec::new();
    for b in batches {
        let schema = b.schema();
        let formatters: Vec<_> = b
            .columns()
            .iter()
            .map(|c| arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for r in 0..b.num_rows() {
            out.push(
                schema
                    .fields()
                    .iter()
                    .zip(&formatters)
                    .map(|(f, fmt)| (f.name().clone(), fmt.value(r).to_string()))
                    .collect(),
            );
        }
    }
    out
}

fn expected() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("runs.expected.json")).unwrap())
        .unwrap()
}

fn uids(v: &serde_json::Value, status: Option<&str>) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .filter(|x| status.is_none_or(|s| x["status_code"] == s))
        .map(|x| x["finding_uid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn diff_classifies_every_change_of_the_fixture_weeks() {
    let (lake, _dir) = runs_lake().await;
    let diff = rows(&lake.run("diff", &week("2026-W21")).await.unwrap());
    let by_change = |c: &str| -> BTreeSet<String> {
        diff.iter()
            .filter(|r| r["change"] == c)
            .map(|r| r["finding_uid"].clone())
            .collect()
    };
    let exp = &expected()["changes"]["2026-W20->2026-W21"];
    // The new security group fails a check that reported nothing in the account the week
    // before (the fixture's scans hold a few checks each): no evidence it was not failing
    // then, so it is onboarded, not new.
    assert!(by_change("new").is_empty());
    assert_eq!(by_change("onboarded"), uids(&exp["new"], None));
    assert_eq!(by_change("regressed"), uids(&exp["regressed"], None));
    // Fixed (now PASS) and gone while its account and region were scanned: both resolved.
    let resolved: BTreeSet<String> = uids(&exp["fixed"], None)
        .union(&uids(&exp["resolved_by_absence"], None))
        .cloned()
        .collect();
    assert_eq!(by_change("resolved"), resolved);
    // The truncated account's failing findings are unverified, never resolved.
    assert_eq!(
        by_change("unverified"),
        uids(&exp["unverified"], Some("FAIL"))
    );
    assert_eq!(by_change("unverified").len(), 17);
    let reasons = |c: &str| -> BTreeSet<String> {
        diff.iter()
            .filter(|r| r["change"] == c)
            .map(|r| r["reason"].clone())
            .collect()
    };
    assert_eq!(
        reasons("unverified"),
        BTreeSet::from(["scan_partial".to_owned()])
    );
    // The fixed bucket is PASS (no reason needed); the volume of eu-west-1 is gone while the
    // check ran in the account and EC2 still reported in eu-west-1.
    assert_eq!(
        reasons("resolved"),
        BTreeSet::from([String::new(), "absent_service_scanned".to_owned()])
    );
    assert_eq!(
        reasons("onboarded"),
        BTreeSet::from(["check_not_in_baseline".to_owned()])
    );
    // Every row is one finding key, and it names the week pair.
    let keys: BTreeSet<&String> = diff.iter().map(|r| &r["finding_key"]).collect();
    assert_eq!(keys.len(), diff.len());
    assert!(diff
        .iter()
        .all(|r| r["week"] == "2026-W21" && r["against"] == "2026-W20"));
    // Newly muted: still failing, persisting, flagged muted.
    let muted: Vec<_> = diff.iter().filter(|r| r["muted"] == "true").collect();
    assert_eq!(muted.len(), 1);
    assert_eq!(
        muted[0]["finding_uid"],
        "prowler-aws-iam_user_hardware_mfa_enabled-222222222222-us-east-1-alice"
    );
    assert_eq!(muted[0]["change"], "persisting");
    // The same check and resource name in two regions: two rows.
    let short: Vec<_> = diff
        .iter()
        .filter(|r| {
            r["account_uid"] == "111111111111"
                && r["check_id"] == "cloudwatch_log_group_kms_encryption_enabled"
                && r["resource_uid"].contains("/app/short-retention")
        })
        .map(|r| r["region"].clone())
        .collect();
    assert_eq!(short, ["eu-west-1", "us-east-1"]);
    // W19 -> W20 has exactly one change: the password policy fixed.
    let mut p = week("2026-W20");
    p.against = Some("2026-W19".parse().unwrap());
    let early = rows(&lake.run("diff", &p).await.unwrap());
    let changed: Vec<_> = early
        .iter()
        .filter(|r| r["change"] != "persisting")
        .collect();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["change"], "resolved");
    assert_eq!(
        changed[0]["finding_uid"],
        "prowler-aws-iam_password_policy_minimum_length_14-111111111111-us-east-1-111111111111"
    );
}

#[tokio::test]
async fn the_failure_index_changes_nothing_but_speed() {
    let runs = fixtures().join("runs");
    let (lake, dir) = lake_of(&[&runs.join("2026-W19")]).await;
    let index = dir.path().join(lake_store::failures::INDEX_PATH);
    let stale = std::fs::read(&index).expect("ingest writes the failure index");
    for w in ["2026-W20", "2026-W21"] {
        ingest_dir(&lake, &runs.join(w)).await;
    }
    let answers = || async {
        let mut out = Vec::new();
        for (name, w) in [
            ("diff", "2026-W21"),
            ("diff", "2026-W20"),
            ("trend", "2026-W21"),
        ] {
            let p = if name == "trend" {
                Params::default()
            } else {
                week(w)
            };
            out.push(rows(&lake.run(name, &p).await.unwrap()));
        }
        out
    };
    let indexed = answers().await;
    assert!(indexed[0].iter().any(|r| r["change"] == "regressed"));

    // The index holds what the view over the history computes (the SQL other engines run),
    // and ad-hoc SQL over `first_failures` reads the index.
    let from_index = lake_store::failures::first_failures(lake.location())
        .await
        .unwrap();
    let changes = include_str!("../../../queries/changes.sql");
    let view = changes
        .split(";\n")
        .find_map(|s| s.split_once("CREATE VIEW first_failures AS"))
        .expect("changes.sql defines first_failures")
        .1;
    let from_view = lake
        .sql(&format!(
            "SELECT finding_key, first_failed_week FROM ({view}) v ORDER BY finding_key"
        ))
        .await
        .unwrap();
    let adhoc = lake
        .sql("SELECT finding_key, first_failed_week FROM first_failures ORDER BY finding_key")
        .await
        .unwrap();
    assert!(from_index.num_rows() > 0);
    assert_eq!(rows(std::slice::from_ref(&from_index)), rows(&from_view));
    assert_eq!(rows(&[from_index]), rows(&adhoc));

    // A stale index (written when the lake held only the first week) and no index at all
    // give the same answers.
    std::fs::write(&index, &stale).unwrap();
    assert_eq!(answers().await, indexed);
    std::fs::remove_file(&index).unwrap();
    assert_eq!(answers().await, indexed);
}

#[tokio::test]
async fn the_observed_cells_change_nothing_but_speed() {
    let (lake, dir) = runs_lake().await;
    let answers = || async {
        let mut out = Vec::new();
        for (name, p) in [
            ("diff", week("2026-W21")),
            ("diff", week("2026-W20")),
            ("posture", week("2026-W21")),
            ("landing-zones", week("2026-W21")),
            ("priorities", week("2026-W21")),
            ("owners", week("2026-W21")),
            ("trend", Params::default()),
            ("compliance", week("2026-W21")),
        ] {
            out.push(rows(&lake.run(name, &p).await.unwrap()));
        }
        out
    };
    let stored = answers().await;
    assert!(stored[0].iter().any(|r| r["change"] == "resolved"));

    // Ingest stored one file of cells per findings file, holding what the view `scan_cells`
    // computes from the findings (the SQL other engines and ad-hoc queries run).
    let observed = dir.path().join("_observed");
    let (files, metas) = findings_files(&lake).await;
    let cells = lake_store::observed::cells_among(lake.location(), &metas, &[], None)
        .await
        .unwrap();
    assert_eq!(cells.counted, 0, "every findings file has its stored cells");
    assert!(cells.repeating.is_empty());
    let columns =
        "dt, source_uri, run_id, provider, account_uid, region, check_id, service, findings";
    let order = "ORDER BY dt, source_uri, run_id, provider, account_uid, region, check_id, service";
    let from_view = lake
        .sql(&format!("SELECT {columns} FROM scan_cells {order}"))
        .await
        .unwrap();
    let ctx = datafusion::prelude::SessionContext::new();
    let schema = cells.batches[0].schema();
    ctx.register_batch(
        "stored",
        arrow::compute::concat_batches(&schema, &cells.batches).unwrap(),
    )
    .unwrap();
    let from_store = ctx
        .sql(&format!("SELECT {columns} FROM stored {order}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(!from_view.is_empty());
    assert_eq!(rows(&from_store), rows(&from_view));

    // Cells that describe another version of their findings file are not used: swapping
    // two files' cells, or deleting them all, gives the same answers.
    let mut stored_files: Vec<PathBuf> = walk(&observed);
    stored_files.sort();
    assert_eq!(stored_files.len(), files.len());
    let (a, b) = (&stored_files[0], &stored_files[stored_files.len() - 1]);
    let (bytes_a, bytes_b) = (std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
    std::fs::write(a, &bytes_b).unwrap();
    std::fs::write(b, &bytes_a).unwrap();
    assert_eq!(answers().await, stored);
    std::fs::remove_dir_all(&observed).unwrap();
    assert_eq!(answers().await, stored);

    // `lake compact` writes them back (refresh), and then they are used again.
    let (written, total) = lake_store::observed::refresh(lake.location())
        .await
        .unwrap();
    assert_eq!((written, total), (files.len(), files.len()));
    assert_eq!(
        lake_store::observed::refresh(lake.location())
            .await
            .unwrap()
            .0,
        0
    );
    assert_eq!(answers().await, stored);
}

#[tokio::test]
async fn a_lake_of_one_week_stores_nothing() {
    let runs = fixtures().join("runs");
    let (lake, dir) = lake_of(&[&runs.join("2026-W19")]).await;
    let stored = lake
        .store_changes(None, Some(DEFAULT_HISTORY_WEEKS))
        .await
        .unwrap();
    assert!(stored.written.is_empty() && stored.risk_written.is_empty());
    assert_eq!(stored.current, 0);
    assert!(!dir.path().join(lake_store::changes::CHANGES_ROOT).exists());
}

#[tokio::test]
async fn stored_changes_change_nothing_but_speed() {
    let runs = fixtures().join("runs");
    let (lake, dir) = lake_of(&[&runs.join("2026-W19"), &runs.join("2026-W20")]).await;
    // Each week with data is stored against the one before it, once; a later week's
    // ingest leaves the earlier weeks' stored changes current.
    let stored = lake
        .store_changes(None, Some(DEFAULT_HISTORY_WEEKS))
        .await
        .unwrap();
    assert_eq!(stored.written, [("2026-W20".into(), "2026-W19".into())]);
    assert_eq!(stored.risk_written, stored.written);
    ingest_dir(&lake, &runs.join("2026-W21")).await;
    // (A new handle: a `Lake` caches its listings for the queries it runs.)
    let lake = Lake::from_location(lake.location().clone());
    let answers = || async {
        let mut out = Vec::new();
        for (name, p) in [
            ("diff", week("2026-W21")),
            ("diff", week("2026-W20")),
            ("posture", week("2026-W21")),
            ("landing-zones", week("2026-W21")),
            ("priorities", week("2026-W21")),
            ("owners", week("2026-W21")),
            ("trend", Params::default()),
            ("compliance", week("2026-W21")),
        ] {
            out.push(rows(&lake.run(name, &p).await.unwrap()));
        }
        // (one framework: checked against those the week holds, then answered)
        let mut p = week("2026-W21");
        p.set_framework("CIS-3.0").unwrap();
        out.push(rows(&lake.run("compliance", &p).await.unwrap()));
        let mut p = Params {
            as_of: Some("2026-05-18".parse().unwrap()),
            ..Params::default()
        };
        p.set_check("iam_password_policy_minimum_length_14")
            .unwrap();
        out.push(rows(&lake.run("lookback", &p).await.unwrap()));
        let summary = lake.summary(&week("2026-W21")).await.unwrap();
        (out, serde_json::to_string(&summary).unwrap())
    };
    let priorities = |lake: &Lake, p: Params| {
        let lake = lake.clone();
        async move { rows(&lake.run("priorities", &p).await.unwrap()) }
    };

    let computed = answers().await;
    assert!(computed.0[0].iter().any(|r| r["change"] == "resolved"));
    assert!(computed.0[2].iter().any(|r| r["dimension"] == "overall"));
    assert!(computed.0[8].iter().all(|r| r["framework"] == "CIS-3.0"));
    assert!(!computed.0[8].is_empty());
    let stored = lake
        .store_changes(None, Some(DEFAULT_HISTORY_WEEKS))
        .await
        .unwrap();
    assert_eq!(stored.written, [("2026-W21".into(), "2026-W20".into())]);
    assert_eq!(stored.current, 1);
    // The risk rows of the earlier pair too: its window of weeks (W19-W20) did not change.
    assert_eq!(
        stored.risk_written,
        [("2026-W21".into(), "2026-W20".into())]
    );
    let again = lake
        .store_changes(None, Some(DEFAULT_HISTORY_WEEKS))
        .await
        .unwrap();
    assert_eq!((again.written.len(), again.risk_written.len()), (0, 0));
    assert_eq!(answers().await, computed);

    // The risk queries read the stored risk rows: the week's open failures without those of
    // one check (their fingerprint kept) are missing from its priorities, and without their
    // lifecycle the open failures have none (no first week seen).
    let open = dir.path().join(lake_store::changes::stored_file(
        Stored::OpenFindings,
        "2026-W21",
        "2026-W20",
    ));
    let lifecycle = dir.path().join(lake_store::changes::stored_file(
        Stored::Lifecycle,
        "2026-W21",
        "2026-W20",
    ));
    let ranked = priorities(&lake, week("2026-W21")).await;
    let check = ranked[0]["check_id"].clone();
    assert!(ranked.iter().all(|r| !r["first_seen"].is_empty()));
    let (original_open, original_lifecycle) = (
        std::fs::read(&open).unwrap(),
        std::fs::read(&lifecycle).unwrap(),
    );
    std::fs::write(&open, without(&original_open, "check_id", &check)).unwrap();
    let fewer = priorities(&lake, week("2026-W21")).await;
    assert!(!fewer.is_empty());
    assert!(fewer.iter().all(|r| r["check_id"] != check));
    std::fs::write(&open, &original_open).unwrap();
    std::fs::write(
        &lifecycle,
        without(&original_lifecycle, "last_seen", "2026-W21"),
    )
    .unwrap();
    let unseen = priorities(&lake, week("2026-W21")).await;
    assert_eq!(unseen.len(), ranked.len());
    assert!(unseen.iter().all(|r| r["first_seen"].is_empty()));
    // Another history window is not the stored one's: computed, with the stored rows
    // tampered still, it shows the lifecycle again.
    let one_week = Params {
        history_weeks: Some(1),
        ..week("2026-W21")
    };
    let computed_one = priorities(&lake, one_week).await;
    assert!(computed_one.iter().all(|r| r["first_seen"] == "2026-W21"));
    std::fs::write(&lifecycle, &original_lifecycle).unwrap();
    assert_eq!(answers().await, computed);

    // They are what the queries read: rows removed from the stored object (its fingerprint
    // kept) are missing from the diff.
    let file = dir.path().join(lake_store::changes::stored_file(
        Stored::Changes,
        "2026-W21",
        "2026-W20",
    ));
    let original = std::fs::read(&file).unwrap();
    std::fs::write(&file, without_resolved(&original)).unwrap();
    let tampered = rows(&lake.run("diff", &week("2026-W21")).await.unwrap());
    assert!(!tampered.is_empty());
    assert!(tampered.iter().all(|r| r["change"] != "resolved"));
    std::fs::write(&file, &original).unwrap();
    assert_eq!(answers().await, computed);
    // So are the stored counts: without their FAIL rows, posture counts no failure.
    let counts = dir.path().join(lake_store::changes::stored_file(
        Stored::Counts,
        "2026-W21",
        "2026-W20",
    ));
    let original_counts = std::fs::read(&counts).unwrap();
    let posture = |rows: Vec<BTreeMap<String, String>>| {
        let overall = rows.iter().find(|r| r["dimension"] == "overall").cloned();
        overall.unwrap_or_else(|| panic!("no overall row in {rows:?}"))
    };
    let before = posture(rows(&lake.run("posture", &week("2026-W21")).await.unwrap()));
    assert_ne!(before["fail"], "0");
    std::fs::write(&counts, without(&original_counts, "status_code", "FAIL")).unwrap();
    let after = posture(rows(&lake.run("posture", &week("2026-W21")).await.unwrap()));
    assert_eq!(after["fail"], "0");
    assert_eq!(after["pass"], before["pass"]);
    std::fs::write(&counts, &original_counts).unwrap();
    assert_eq!(answers().await, computed);
    // And the stored compliance counts: without them, no requirement of the week fails.
    assert!(
        !computed.0[5].is_empty(),
        "no failing requirement in the fixtures"
    );
    let compliance = dir.path().join(lake_store::changes::stored_file(
        Stored::Compliance,
        "2026-W21",
        "2026-W20",
    ));
    let original_compliance = std::fs::read(&compliance).unwrap();
    std::fs::write(
        &compliance,
        without(&original_compliance, "week", "2026-W21"),
    )
    .unwrap();
    assert!(rows(&lake.run("compliance", &week("2026-W21")).await.unwrap()).is_empty());
    std::fs::write(&compliance, &original_compliance).unwrap();
    assert_eq!(answers().await, computed);

    // A findings file of either week replaced (here: removed) or a scan of an earlier
    // week re-ingested makes them unused: the answers are those of the lake as it is now.
    let tampered_w21 = without_resolved(&original);
    std::fs::write(&file, &tampered_w21).unwrap();
    let findings = walk(&dir.path().join("findings"));
    let w20_file = findings
        .iter()
        .find(|p| p.to_string_lossy().contains("dt=2026-05-11"))
        .expect("a findings file of 2026-W20");
    std::fs::remove_file(w20_file).unwrap();
    // (A new handle: a `Lake` caches its listings for the queries it runs.)
    let lake = Lake::from_location(lake.location().clone());
    let after = rows(&lake.run("diff", &week("2026-W21")).await.unwrap());
    assert!(after.iter().any(|r| r["change"] == "resolved"));
    std::fs::remove_dir_all(dir.path().join(lake_store::changes::CHANGES_ROOT)).unwrap();
    assert_eq!(
        rows(&lake.run("diff", &week("2026-W21")).await.unwrap()),
        after
    );

    // `--source` (one producer's view of the lake) never reads them.
    let stored = lake
        .store_changes(None, Some(DEFAULT_HISTORY_WEEKS))
        .await
        .unwrap();
    assert_eq!(stored.written.len(), 2);
    std::fs::write(&file, without_resolved(&std::fs::read(&file).unwrap())).unwrap();
    let prowler = Params {
        source: Some("prowler".into()),
        ..week("2026-W21")
    };
    let by_source = rows(&lake.run("diff", &prowler).await.unwrap());
    assert!(by_source.iter().any(|r| r["change"] == "resolved"));
}

/// A stored changes object without its `resolved` rows, its key-value metadata (the
/// fingerprint) kept.
fn without_resolved(bytes: &[u8]) -> Vec<u8> {
    without(bytes, "change", "resolved")
}

/// A stored object without the rows whose `column` is `value`, its key-value metadata (the
/// fingerprint) kept.
fn without(bytes: &[u8], column: &str, value: &str) -> Vec<u8> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::copy_from_slice(bytes)).unwrap();
    let kv = reader
        .metadata()
        .file_metadata()
        .key_value_metadata()
        .cloned();
    let schema = reader.schema().clone();
    let properties = parquet::file::properties::WriterProperties::builder()
        .set_key_value_metadata(kv)
        .build();
    let mut out = Vec::new();
    let mut writer =
        parquet::arrow::ArrowWriter::try_new(&mut out, schema, Some(properties)).unwrap();
    for batch in reader.build().unwrap() {
        let batch = batch.unwrap();
        let values = batch.column_by_name(column).unwrap().as_string::<i32>();
        let keep: arrow::array::BooleanArray =
            values.iter().map(|c| Some(c != Some(value))).collect();
        writer
            .write(&arrow::compute::filter_record_batch(&batch, &keep).unwrap())
            .unwrap();
    }
    writer.close().unwrap();
    out
}

/// Ingests the scans under `dir` into `lake` with the default options.
async fn ingest_dir(lake: &Lake, dir: &Path) {
    let sources = Source::resolve(dir.to_str().unwrap()).await.unwrap();
    ingest(
        lake.location(),
        sources,
        &IngestOptions::default(),
        Default::default(),
    )
    .await;
}

/// Every file under `dir`.
/// The findings files of `lake`: their paths and their metadata as listed.
async fn findings_files(
    lake: &Lake,
) -> (Vec<object_store::path::Path>, Vec<object_store::ObjectMeta>) {
    let files = lake_store::read::table_files(lake.location(), "findings")
        .await
        .unwrap();
    let metas = futures::future::join_all(
        files
            .iter()
            .map(|p| async { lake.location().store.head(p).await.unwrap() }),
    )
    .await;
    (files, metas)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Copies the fixture runs of `weeks` into a new layout root, applying `edit` to each file.
fn copy_runs(
    weeks: &[&str],
    edit: impl Fn(&Path, Vec<u8>) -> Option<(PathBuf, Vec<u8>)>,
) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let src = fixtures().join("runs");
    let mut stack: Vec<PathBuf> = weeks.iter().map(|w| src.join(w)).collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let rel = p.strip_prefix(&src).unwrap();
        if let Some((rel, bytes)) = edit(rel, std::fs::read(&p).unwrap()) {
            let dest = root.path().join(rel);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::write(dest, bytes).unwrap();
        }
    }
    root
}

#[tokio::test]
async fn an_account_whose_scan_failed_is_unverified_not_resolved() {
    // W21's scan of 222222222222 is an empty file: failed, nothing landed.
    let root = copy_runs(&["2026-W20", "2026-W21"], |rel, bytes| {
        let failed = rel.to_str().unwrap().contains("2026-W21")
            && rel.to_str().unwrap().contains("/222222222222/");
        Some((rel.to_owned(), if failed { Vec::new() } else { bytes }))
    });
    let (lake, _dir) = lake_of(&[root.path()]).await;
    let diff = rows(&lake.run("diff", &week("2026-W21")).await.unwrap());
    let of_222: Vec<_> = diff
        .iter()
        .filter(|r| r["account_uid"] == "222222222222")
        .collect();
    assert_eq!(of_222.len(), 25, "W20's 25 FAIL findings of the account");
    assert!(of_222
        .iter()
        .all(|r| r["change"] == "unverified" && r["reason"] == "scan_failed"));
    let summary = lake.summary(&week("2026-W21")).await.unwrap();
    assert_eq!(
        summary["scope"]["accounts_failed"][0]["account"],
        "222222222222"
    );
    // Attempted and failed: named as failed, not as missing.
    assert_eq!(summary["scope"]["accounts_missing"], serde_json::json!([]));
}

#[tokio::test]
async fn a_rerun_in_the_same_week_wins() {
    // A second W21 run of 111111111111 later that day in which the new FAIL is gone.
    let root = copy_runs(&["2026-W20", "2026-W21"], |rel, bytes| {
        Some((rel.to_owned(), bytes))
    });
    let original = root
        .path()
        .join("2026-W21/run-20260518T020000Z/111111111111/json-ocsf/prowler-output-111111111111-20260518020007.ocsf.json");
    let text = std::fs::read_to_string(&original).unwrap();
    let rerun = text
        .replace("2026-05-18T02:00:07", "2026-05-18T09:00:07")
        .replace("1779069607", "1779094807")
        .replace(
            "\"status_code\": \"FAIL\",\n    \"status_detail\": \"Security group all-open (sg-ff15e7cd670b082fb)",
            "\"status_code\": \"PASS\",\n    \"status_detail\": \"Security group all-open (sg-ff15e7cd670b082fb)",
        );
    assert_ne!(rerun, text);
    let dir = root
        .path()
        .join("2026-W21/run-20260518T090000Z/111111111111/json-ocsf");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("prowler-output-111111111111-20260518090007.ocsf.json"),
        rerun,
    )
    .unwrap();
    let (lake, _d) = lake_of(&[root.path()]).await;
    let diff = rows(&lake.run("diff", &week("2026-W21")).await.unwrap());
    let sg: Vec<_> = diff
        .iter()
        .filter(|r| r["finding_uid"] == "prowler-aws-ec2_securitygroup_not_used-111111111111-us-east-1-sg-ff15e7cd670b082fb")
        .collect();
    assert!(
        sg.is_empty(),
        "the re-run's PASS replaces the first run's FAIL: {sg:?}"
    );
    // The re-run observed every check of the first run: its results replace them all.
    let runs = rows(&lake.sql("SELECT DISTINCT run_id FROM latest_findings WHERE week = '2026-W21' AND account_uid = '111111111111'").await.unwrap());
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["run_id"], "run-20260518T090000Z");
}

#[tokio::test]
async fn non_unique_prowler_uids_stay_two_findings() {
    let dir = tempfile::tempdir().unwrap();
    let location = Location::local(dir.path(), true).unwrap();
    let mut sources = Vec::new();
    for f in [
        "aws-duplicate-uid.ocsf.json",
        "aws-same-resource-uid.ocsf.json",
    ] {
        sources.push(Source::local(&fixtures().join("providers").join(f)).unwrap());
    }
    ingest(
        &location,
        sources,
        &IngestOptions::default(),
        Default::default(),
    )
    .await;
    let lake = Lake::from_location(location);
    let w = rows(&lake.sql("SELECT week, count(*) AS n, count(DISTINCT finding_key) AS keys, count(DISTINCT finding_uid) AS uids FROM latest_findings GROUP BY week ORDER BY week").await.unwrap());
    assert_eq!(w.len(), 2);
    for r in &w {
        assert_eq!((r["n"].as_str(), r["keys"].as_str()), ("2", "2"), "{r:?}");
    }
    let diff = rows(&lake.run("diff", &week("2026-W11")).await.unwrap());
    assert_eq!(diff.len(), 2);
}

#[tokio::test]
async fn a_week_without_data_is_a_clear_error() {
    let (lake, _dir) = runs_lake().await;
    let err = lake.run("diff", &week("2026-W30")).await.unwrap_err();
    assert!(matches!(err, QueryError::NoData { .. }));
    assert_eq!(
        err.to_string(),
        "no scans in week 2026-W30 in this lake (weeks with data: 2026-W19, 2026-W20, 2026-W21)"
    );
    let (empty, _d) = lake_of(&[]).await;
    let err = empty.run("posture", &week("2026-W21")).await.unwrap_err();
    assert!(
        err.to_string()
            .ends_with("(the lake has no scans yet: run `lake ingest` first)"),
        "{err}"
    );
}

#[tokio::test]
async fn lookback_answers_whether_a_control_failed_in_the_window() {
    let (lake, _dir) = runs_lake().await;
    let mut p = Params {
        as_of: Some("2026-05-18".parse().unwrap()),
        ..Params::default()
    };
    p.set_check("iam_password_policy_minimum_length_14")
        .unwrap();
    let r = rows(&lake.run("lookback", &p).await.unwrap());
    let a111: Vec<_> = r
        .iter()
        .filter(|r| r["account_uid"] == "111111111111")
        .collect();
    assert_eq!(a111.len(), 1);
    assert!(
        a111[0]["first_failing_scan"].starts_with("2026-05-04T02:00:07."),
        "{a111:?}"
    );
    assert!(
        a111[0]["last_failing_scan"].starts_with("2026-05-18T02:00:07."),
        "{a111:?}"
    );
    assert_eq!(
        (a111[0]["scans_failing"].as_str(), a111[0]["scans"].as_str()),
        ("2", "3")
    );
    assert_eq!(a111[0]["failing_now"], "true");
    // Windows that end before the regression: eight days reach back to W19's failing scan,
    // seven do not (the window is inclusive of both ends).
    p.as_of = Some("2026-05-11".parse().unwrap());
    for (days, failing) in [(8, "1"), (7, "0")] {
        p.days = Some(days);
        let r = rows(&lake.run("lookback", &p).await.unwrap());
        let a111: Vec<_> = r
            .iter()
            .filter(|r| r["account_uid"] == "111111111111")
            .collect();
        assert_eq!(
            (
                a111[0]["scans_failing"].as_str(),
                a111[0]["failing_now"].as_str()
            ),
            (failing, "false"),
            "{days} days"
        );
    }
}

#[tokio::test]
async fn parameters_are_bound_never_pasted() {
    let (lake, _dir) = runs_lake().await;
    let mut p = week("2026-W21");
    p.set_framework("x' OR 1=1 --").unwrap();
    // Not a framework of the week: said so, with the value as given (compared, never run).
    match lake.run("compliance", &p).await {
        Err(lake_query::QueryError::InvalidParam { param, reason }) => {
            assert_eq!(param, "framework");
            assert!(
                reason.starts_with("x' OR 1=1 -- is not a framework of 2026-W21"),
                "{reason}"
            );
        }
        other => panic!("{other:?}"),
    }
    // A framework of the week answers for it alone: bound as a value.
    let mut p = week("2026-W21");
    p.set_framework("CIS-3.0").unwrap();
    let cis = rows(&lake.run("compliance", &p).await.unwrap());
    assert!(!cis.is_empty() && cis.iter().all(|r| r["framework"] == "CIS-3.0"));
    let mut p = Params::default();
    assert!(p.set_check("x' OR 1=1 --").is_err());
}

#[tokio::test]
async fn posture_rates_exclude_muted_and_manual() {
    let (lake, _dir) = runs_lake().await;
    let r = rows(&lake.run("posture", &week("2026-W21")).await.unwrap());
    let overall = &r[0];
    assert_eq!(overall["dimension"], "overall");
    // W21: PASS 10 + 4 + 1; open FAIL 20 + 24 + 3 (one FAIL muted); MANUAL 2.
    assert_eq!(
        (
            overall["pass"].as_str(),
            overall["fail"].as_str(),
            overall["muted"].as_str(),
            overall["manual"].as_str()
        ),
        ("15", "47", "1", "2")
    );
    assert_eq!(overall["pass_rate"], "24.2");
    // The change, like for like: only the (account, region, check) cells both weeks
    // observed. The truncated scan of 333333333333 in W21 left most of its cells out.
    // W21 in them: PASS 15, open FAIL 46 (one open FAIL is in a cell W20 did not observe)
    // -> 24.6 %. W20 in them: PASS 15, FAIL 47 -> 24.2 %. (All of W20, PASS 20 and FAIL 66,
    // would have said 23.3 % and +0.9: an improvement made of the cells W21 did not see.)
    assert_eq!(overall["compared_pass_rate"], "24.6");
    assert_eq!(overall["previous_pass_rate"], "24.2");
    assert_eq!(overall["pass_rate_delta"], "0.4");
    assert_eq!(overall["fail_not_compared"], "1");
    let accounts: Vec<_> = r
        .iter()
        .filter(|r| r["dimension"] == "account")
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(accounts, ["111111111111", "222222222222", "333333333333"]);
}

#[tokio::test]
async fn trend_counts_changes_week_by_week() {
    let (lake, _dir) = runs_lake().await;
    let r = rows(&lake.run("trend", &Params::default()).await.unwrap());
    let weeks: Vec<_> = r.iter().map(|r| r["week"].clone()).collect();
    assert_eq!(weeks, ["2026-W19", "2026-W20", "2026-W21"]);
    let pick = |i: usize, k: &str| r[i][k].clone();
    assert_eq!(
        (
            pick(0, "open_fail"),
            pick(1, "open_fail"),
            pick(2, "open_fail")
        ),
        ("67".into(), "66".into(), "47".into())
    );
    assert_eq!(
        (pick(1, "resolved"), pick(1, "new")),
        ("1".into(), "0".into())
    );
    assert_eq!(
        (
            pick(2, "new"),
            pick(2, "onboarded"),
            pick(2, "regressed"),
            pick(2, "resolved"),
            pick(2, "unverified"),
            pick(2, "muted_fail")
        ),
        (
            "0".into(),
            "1".into(),
            "1".into(),
            "3".into(),
            "17".into(),
            "1".into()
        )
    );
    // The first week of the lake has nothing to compare with: its failures are onboarded.
    assert_eq!(
        (
            pick(0, "onboarded"),
            pick(0, "new"),
            pick(0, "open_fail_delta")
        ),
        ("67".into(), "0".into(), String::new())
    );
    let two = rows(
        &lake
            .run(
                "trend",
                &Params {
                    weeks: Some(2),
                    ..Params::default()
                },
            )
            .await
            .unwrap(),
    );
    assert_eq!(two.len(), 2);
    assert_eq!(two[0]["resolved"], "1", "W20 is still compared with W19");
}

#[tokio::test]
async fn weeks_that_observed_nothing_in_common_show_no_comparison_rather_than_no_change() {
    // W20 scanned one account, W21 another: nothing to compare like for like.
    let runs = fixtures().join("runs");
    let (lake, _dir) = lake_of(&[
        &runs.join("2026-W20/run-20260511T020000Z/111111111111"),
        &runs.join("2026-W21/run-20260518T020000Z/222222222222"),
    ])
    .await;
    let trend = rows(&lake.run("trend", &Params::default()).await.unwrap());
    let deltas: Vec<(String, String)> = trend
        .iter()
        .map(|r| (r["week"].clone(), r["open_fail_delta"].clone()))
        .collect();
    assert_eq!(
        deltas,
        [
            ("2026-W20".to_owned(), String::new()),
            ("2026-W21".to_owned(), String::new())
        ]
    );
    let posture = rows(&lake.run("posture", &week("2026-W21")).await.unwrap());
    assert!(posture
        .iter()
        .any(|r| r["dimension"] == "overall" && r["fail"] != "0"));
    for r in &posture {
        assert_eq!(r["fail_delta"], "", "{r:?}");
        assert_eq!(r["pass_rate_delta"], "", "{r:?}");
    }
}

#[tokio::test]
async fn compliance_lists_failing_requirements() {
    let (lake, _dir) = runs_lake().await;
    let all = rows(&lake.run("compliance", &week("2026-W21")).await.unwrap());
    let frameworks: BTreeSet<_> = all.iter().map(|r| r["framework"].clone()).collect();
    assert!(frameworks.len() > 5, "{frameworks:?}");
    let mut p = week("2026-W21");
    p.set_framework("CIS-3.0").unwrap();
    let cis = rows(&lake.run("compliance", &p).await.unwrap());
    assert!(!cis.is_empty());
    assert!(cis
        .iter()
        .all(|r| r["framework"] == "CIS-3.0" && r["failing_findings"] != "0"));

    // The counts are those of the week's findings one by one (compliance_requirements, a
    // row per finding and requirement), though the query counts per check, account and map.
    let one_by_one = rows(
        &lake
            .sql(
                "SELECT framework, requirement, \
                 count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN finding_key END) AS failing_findings, \
                 count(DISTINCT CASE WHEN status_code = 'PASS' THEN finding_key END) AS passing_findings, \
                 count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN check_id END) AS failing_checks, \
                 count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN account_uid END) AS failing_accounts \
                 FROM compliance_requirements WHERE week = '2026-W21' \
                 GROUP BY framework, requirement \
                 HAVING count(DISTINCT CASE WHEN status_code = 'FAIL' AND NOT muted THEN finding_key END) > 0 \
                 ORDER BY framework, failing_findings DESC, requirement",
            )
            .await
            .unwrap(),
    );
    assert_eq!(all, one_by_one);
}

#[tokio::test]
async fn the_weekly_report_answers_as_the_summary_and_the_diff_do() {
    // The Lambda's summary_and_diff classifies the week once for both; it must answer
    // exactly what the two queries answer on their own, against the default and an
    // explicit earlier week.
    let (lake, _dir) = runs_lake().await;
    let mut explicit = week("2026-W21");
    explicit.against = Some("2026-W19".parse().unwrap());
    for p in [week("2026-W21"), week("2026-W20"), explicit] {
        let (summary, diff) = lake.summary_and_diff(&p).await.unwrap();
        assert_eq!(summary, lake.summary(&p).await.unwrap());
        let alone = rows(&lake.run("diff", &p).await.unwrap());
        assert!(!alone.is_empty());
        assert_eq!(rows(&diff), alone);
    }
}

#[tokio::test]
async fn the_summary_is_compact_spread_and_byte_identical() {
    let (lake, _dir) = runs_lake().await;
    let p = week("2026-W21");
    let a = lake_query::json::to_string_shallow(&lake.summary(&p).await.unwrap(), 2);
    let b = lake_query::json::to_string_shallow(&lake.summary(&p).await.unwrap(), 2);
    assert_eq!(a, b);
    let s: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(s["week"], "2026-W21");
    assert_eq!(s["previous_week"], "2026-W20");
    assert_eq!(s["totals"]["findings"], 65);
    assert_eq!(s["muted_fail"]["current"], 1);
    let sev = &s["open_fail_by_severity"];
    let total: i64 = ["critical", "high", "medium", "low", "informational"]
        .iter()
        .map(|k| sev["current"][k].as_i64().unwrap())
        .sum();
    assert_eq!(total, 47);
    // The delta is like for like; with what it left out, it adds up to the raw change.
    for k in ["critical", "high", "medium", "low", "informational"] {
        let n = |path: &[&str]| {
            path.iter()
                .fold(sev, |v, p| &v[*p])
                .get(k)
                .and_then(serde_json::Value::as_i64)
                .unwrap()
        };
        assert_eq!(
            n(&["delta"]) + n(&["not_compared", "current"]) - n(&["not_compared", "previous"]),
            n(&["current"]) - n(&["previous"]),
            "{k}"
        );
    }
    assert_eq!(s["changes"]["unverified"], 17);
    assert_eq!(s["unverified_reasons"]["scan_partial"], 17);
    assert_eq!(s["changes"]["new"], 0);
    assert_eq!(s["changes"]["onboarded"], 1);
    assert_eq!(s["scope"]["accounts_partial"][0]["account"], "333333333333");
    let sample = s["sample"].as_array().unwrap();
    assert_eq!(
        sample.len(),
        47,
        "every open failure fits in a sample of 50"
    );
    // Most severe first; every check gives one finding before any gives a second.
    let tiers: Vec<i64> = sample
        .iter()
        .map(|x| {
            lake_core::Severity::from_name(x["severity"].as_str().unwrap())
                .unwrap()
                .id()
                .into()
        })
        .collect();
    assert!(tiers.windows(2).all(|w| w[0] >= w[1]));
    let small = lake
        .summary(&Params {
            sample: Some(5),
            ..week("2026-W21")
        })
        .await
        .unwrap();
    let checks: BTreeSet<_> = small["sample"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["check_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(checks.len(), 5, "five samples, five checks");
    // Compact enough to send as a prompt as it is (the budget is ~12-16 KB with a sample
    // of 50): one line per sample finding, its fields trimmed.
    assert!(a.len() <= 15_000, "summary is {} bytes", a.len());
    let lines: Vec<&str> = a.lines().filter(|l| l.contains("\"check_id\"")).collect();
    assert!(lines.iter().all(|l| l.len() <= 320), "{lines:#?}");
    for x in sample {
        for key in [
            "severity",
            "check_id",
            "account",
            "region",
            "status_detail",
            "change",
        ] {
            assert!(x.get(key).is_some(), "{key} in {x}");
        }
        // The resource is named unless the detail or the account already names it.
        let detail = x["status_detail"].as_str().unwrap();
        match x.get("resource") {
            Some(r) => assert!(!detail.contains(r.as_str().unwrap())),
            None => assert!(x["account"].as_str().is_some()),
        }
    }
}

/// The sample of the summary of 2026-W21, at most `n` findings.
async fn sample_of(lake: &Lake, n: u32) -> Vec<serde_json::Value> {
    let s = lake
        .summary(&Params {
            sample: Some(n),
            ..week("2026-W21")
        })
        .await
        .unwrap();
    s["sample"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_smaller_sample_is_the_head_of_a_larger_one() {
    // The sample ranks only the checks that can reach it (those with a finding at or above
    // the lowest severity it picks); the turns of those checks, and so the order, must stay
    // those over the whole week, whatever the sample's size.
    let (lake, _dir) = runs_lake().await;
    let all = sample_of(&lake, 50).await;
    assert_eq!(all.len(), 47);
    for n in [1, 2, 3, 5, 8, 13, 21, 34, 45] {
        assert_eq!(
            sample_of(&lake, n).await,
            all[..n as usize],
            "a sample of {n}"
        );
    }
}

#[tokio::test]
async fn the_sample_takes_turns_over_every_finding_of_a_check_whatever_its_severity() {
    // a_check fails in two accounts: Low in 111..., Critical in 222...; b_check fails
    // Critical in 111.... Within a_check, account 111 takes its turn first, so its Critical
    // finding comes second: b_check's Critical leads the sample, although a_check sorts first.
    let template: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixtures().join(
            "runs/2026-W21/run-20260518T020000Z/111111111111/json-ocsf/prowler-output-111111111111-20260518020007.ocsf.json",
        ))
        .unwrap(),
    )
    .unwrap();
    let failing = template
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["status_code"] == "FAIL")
        .unwrap();
    let finding = |check: &str, account: &str, severity: (&str, i64)| {
        let mut f = failing.clone();
        let resource = format!("arn:aws:s3:::{check}-{account}");
        f["metadata"]["event_code"] = check.into();
        f["cloud"]["account"]["uid"] = account.into();
        f["finding_info"]["uid"] = format!("prowler-aws-{check}-{account}-us-east-1").into();
        f["resources"][0]["uid"] = resource.into();
        f["severity"] = severity.0.into();
        f["severity_id"] = severity.1.into();
        f
    };
    let dir = tempfile::tempdir().unwrap();
    for (account, findings) in [
        (
            "111111111111",
            vec![
                finding("a_check", "111111111111", ("Low", 2)),
                finding("b_check", "111111111111", ("Critical", 5)),
            ],
        ),
        (
            "222222222222",
            vec![finding("a_check", "222222222222", ("Critical", 5))],
        ),
    ] {
        std::fs::write(
            dir.path()
                .join(format!("prowler-output-{account}-20260518020007.ocsf.json")),
            serde_json::to_vec_pretty(&findings).unwrap(),
        )
        .unwrap();
    }
    let (lake, _lake_dir) = lake_of(&[dir.path()]).await;
    let picked = |n: u32| {
        let lake = lake.clone();
        async move {
            sample_of(&lake, n)
                .await
                .iter()
                .map(|x| {
                    format!(
                        "{} {} {}",
                        x["check_id"].as_str().unwrap(),
                        x["account"].as_str().unwrap(),
                        x["severity"].as_str().unwrap()
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let all = [
        "b_check 111111111111 Critical",
        "a_check 222222222222 Critical",
        "a_check 111111111111 Low",
    ];
    assert_eq!(picked(3).await, all);
    assert_eq!(picked(1).await, all[..1]);
    assert_eq!(picked(2).await, all[..2]);
}

#[tokio::test]
async fn lookback_and_trend_read_counts_as_integers() {
    let (lake, _dir) = runs_lake().await;
    let batches = lake.run("trend", &Params::default()).await.unwrap();
    let col = batches[0].column_by_name("open_fail").unwrap();
    assert_eq!(col.as_primitive::<Int64Type>().value(0), 67);
}

#[tokio::test]
async fn compacted_copies_change_nothing_but_speed() {
    let (lake, dir) = runs_lake().await;
    let all = lake_store::compact::CompactOptions {
        closed_after_days: None,
        ..Default::default()
    };
    lake_store::compact::compact(lake.location(), &all)
        .await
        .unwrap();
    let copies = lake_store::compact::usable(lake.location()).await.unwrap();
    let dts: Vec<&str> = copies.iter().map(|(dt, _)| dt.as_str()).collect();
    assert_eq!(dts, ["2026-05-04", "2026-05-11", "2026-05-18"]);
    let answers = || async {
        let mut out = Vec::new();
        for (name, w) in [
            ("diff", "2026-W21"),
            ("diff", "2026-W20"),
            ("posture", "2026-W21"),
            ("compliance", "2026-W20"),
            ("trend", ""),
        ] {
            let p = if w.is_empty() {
                Params::default()
            } else {
                week(w)
            };
            out.push(rows(&lake.run(name, &p).await.unwrap()));
        }
        let mut p = Params {
            as_of: Some("2026-05-18".parse().unwrap()),
            ..Params::default()
        };
        p.set_check("iam_password_policy_minimum_length_14")
            .unwrap();
        out.push(rows(&lake.run("lookback", &p).await.unwrap()));
        let sql = "SELECT dt, source_uri, finding_key, status_code, status_detail, check_id \
                   FROM findings ORDER BY 1, 2, 3, 4, 5";
        out.push(rows(&lake.sql(sql).await.unwrap()));
        let summary = lake.summary(&week("2026-W21")).await.unwrap();
        (out, serde_json::to_string(&summary).unwrap())
    };
    let plan = rows(
        &lake
            .sql("EXPLAIN SELECT count(*) FROM findings")
            .await
            .unwrap(),
    );
    assert!(
        format!("{plan:?}").contains("_compact/findings/dt=2026-05-04"),
        "the copies are read: {plan:?}"
    );
    let from_copies = answers().await;
    assert!(from_copies.0[0].iter().any(|r| r["change"] == "resolved"));
    assert!(from_copies.0[6].len() > 200, "every row of the lake");

    // Each copy holds the cells its files observed: with the files' own cells gone, those of
    // the copied partitions are read from the copies, and they are the same rows.
    let (files, metas) = findings_files(&lake).await;
    let cells_of_checks = |copies: Vec<(String, String)>, checks: Option<Vec<String>>| {
        let (lake, metas) = (&lake, &metas);
        async move {
            let cells = lake_store::observed::cells_among(
                lake.location(),
                metas,
                &copies,
                checks.as_deref(),
            )
            .await
            .unwrap();
            let mut all = rows(&cells.batches);
            all.sort();
            (all, cells.counted)
        }
    };
    let cells = |copies: Vec<(String, String)>| cells_of_checks(copies, None);
    let (per_file, counted) = cells(Vec::new()).await;
    assert_eq!(counted, 0);
    assert!(!per_file.is_empty());
    // A lookback reads its check's cells alone, from the files and from the copies.
    let check = per_file[per_file.len() / 2]["check_id"].clone();
    let of_check: Vec<_> = per_file
        .iter()
        .filter(|r| r["check_id"] == check)
        .cloned()
        .collect();
    assert!(of_check.len() < per_file.len());
    for copied in [Vec::new(), copies.clone()] {
        assert_eq!(
            cells_of_checks(copied, Some(vec![check.clone()])).await,
            (of_check.clone(), 0)
        );
    }
    std::fs::remove_dir_all(dir.path().join("_observed")).unwrap();
    assert_eq!(cells(copies.clone()).await, (per_file.clone(), 0));
    assert_eq!(answers().await, from_copies);
    // A partition's cells are written a chunk of files at a time (each chunk ordered by
    // check in row groups of its own): one file per chunk reads the same, all or by check.
    for (dt, cover) in &copies {
        let of_dt: Vec<&object_store::ObjectMeta> = metas
            .iter()
            .filter(|m| m.location.as_ref().contains(&format!("dt={dt}/")))
            .collect();
        assert!(of_dt.len() > 1);
        lake_store::observed::write_copy_cells(
            lake.location(),
            &format!("_compact/findings/dt={dt}/cover={cover}"),
            &of_dt,
            1,
        )
        .await
        .unwrap();
    }
    assert_eq!(cells(copies.clone()).await, (per_file.clone(), 0));
    assert_eq!(
        cells_of_checks(copies.clone(), Some(vec![check.clone()])).await,
        (of_check.clone(), 0)
    );
    assert_eq!(answers().await, from_copies);

    // A copy's cells that are not of its files are not used: swapped between two copies,
    // each partition's files are counted from their findings instead.
    let cells_of = |(dt, cover): &(String, String)| {
        dir.path()
            .join(format!("_compact/findings/dt={dt}/cover={cover}/_cells"))
    };
    let (a, b) = (cells_of(&copies[0]), cells_of(&copies[1]));
    let (bytes_a, bytes_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    std::fs::write(&a, &bytes_b).unwrap();
    std::fs::write(&b, &bytes_a).unwrap();
    let (swapped, counted) = cells(copies.clone()).await;
    assert_eq!(swapped, per_file);
    let in_two = files
        .iter()
        .filter(|f| {
            [&copies[0].0, &copies[1].0]
                .iter()
                .any(|dt| f.as_ref().contains(&format!("dt={dt}/")))
        })
        .count();
    assert_eq!(counted, in_two, "the files of the two partitions counted");
    assert_eq!(answers().await, from_copies);

    // `lake compact` gives a copy without cells (one made by an earlier lake) its cells.
    std::fs::remove_file(&a).unwrap();
    lake_store::compact::compact(lake.location(), &all)
        .await
        .unwrap();
    assert!(a.exists());
    assert_eq!(
        lake_store::compact::usable(lake.location()).await.unwrap(),
        copies,
        "the copy itself is kept"
    );
    std::fs::write(&b, &bytes_b).unwrap();
    assert_eq!(cells(copies.clone()).await, (per_file, 0));

    std::fs::remove_dir_all(dir.path().join("_compact")).unwrap();
    assert!(lake_store::compact::usable(lake.location())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(answers().await, from_copies);
}

#[tokio::test]
async fn compactions_at_once_and_attempts_in_flight_change_no_answer() {
    let (lake, dir) = runs_lake().await;
    let count = || async {
        rows(&lake
            .sql("SELECT dt, count(*) AS n, count(DISTINCT finding_key) AS keys FROM findings GROUP BY dt ORDER BY dt")
            .await
            .unwrap())
    };
    let plain = count().await;
    let all = lake_store::compact::CompactOptions {
        closed_after_days: None,
        ..Default::default()
    };
    // Two compactions of the same partitions at once: each writes its own attempt, both
    // may commit; every reader takes one of them.
    let (a, b) = tokio::join!(
        lake_store::compact::compact(lake.location(), &all),
        lake_store::compact::compact(lake.location(), &all)
    );
    a.unwrap();
    b.unwrap();
    let chosen = lake_store::compact::usable(lake.location()).await.unwrap();
    assert_eq!(chosen.len(), 3, "{chosen:?}");
    assert_eq!(count().await, plain);
    // A third compaction in flight beside the committed copy: its part is written, its
    // marker not yet. Readers read the chosen copy's directory alone (a reader that listed
    // every file of a cover directory counted these rows twice).
    let (dt, cover) = &chosen[0];
    let digest = cover.split('.').next().unwrap();
    let copies = dir.path().join(format!("_compact/findings/dt={dt}"));
    let in_flight = copies.join(format!("cover={digest}.9999999999999-1-0"));
    std::fs::create_dir_all(&in_flight).unwrap();
    std::fs::copy(
        copies.join(format!("cover={cover}/part-0000.parquet")),
        in_flight.join("part-0000.parquet"),
    )
    .unwrap();
    assert_eq!(
        lake_store::compact::usable(lake.location()).await.unwrap(),
        chosen
    );
    assert_eq!(count().await, plain);
    // Recent attempts are left alone (a reader may be reading them); the chosen copy stays.
    lake_store::compact::compact(lake.location(), &all)
        .await
        .unwrap();
    assert!(in_flight.exists());
    assert_eq!(
        lake_store::compact::usable(lake.location()).await.unwrap(),
        chosen
    );
}

#[tokio::test]
async fn the_report_shows_the_numbers_of_the_summary_the_diff_and_the_trend() {
    let (lake, _dir) = runs_lake().await;
    let p = week("2026-W21");
    let made = lake
        .weekly_report(&p, &lake_query::ReportOptions::default())
        .await
        .unwrap();
    let (r, s) = (&made.report, &made.summary);
    assert_eq!(*s, lake.summary(&p).await.unwrap());
    assert_eq!(
        (r.week.as_str(), r.against.as_deref()),
        ("2026-W21", Some("2026-W20"))
    );
    let changes = &s["changes"];
    assert_eq!(r.changes.new, changes["new"].as_i64().unwrap());
    assert_eq!(r.changes.regressed, changes["regressed"].as_i64().unwrap());
    assert_eq!(r.changes.resolved, changes["resolved"].as_i64().unwrap());
    assert_eq!(r.changes.unverified, 17);
    // The tables per check add up to the counts (unmuted findings only).
    let new: i64 = r.new.iter().map(|g| g.findings).sum();
    assert_eq!(new, r.changes.new + r.changes.regressed);
    let resolved: i64 = r.resolved.iter().map(|g| g.findings).sum();
    assert_eq!(resolved, r.changes.resolved);
    assert_eq!(rows(&made.diff), rows(&lake.run("diff", &p).await.unwrap()));
    let open: i64 = r.open_fail.iter().map(|x| x.current).sum();
    assert_eq!(open, 47);
    // The trend ends with the week, whatever came later, and agrees with the summary.
    let weeks: Vec<&str> = r.trend.iter().map(|t| t.week.as_str()).collect();
    assert_eq!(weeks, ["2026-W19", "2026-W20", "2026-W21"]);
    let last = r.trend.last().unwrap();
    assert_eq!(last.open_fail, open);
    assert_eq!(last.resolved, r.changes.resolved);
    let earlier = lake
        .weekly_report(&week("2026-W20"), &lake_query::ReportOptions::default())
        .await
        .unwrap();
    let weeks: Vec<&str> = earlier
        .report
        .trend
        .iter()
        .map(|t| t.week.as_str())
        .collect();
    assert_eq!(weeks, ["2026-W19", "2026-W20"]);
    // Posture: the pass rate of the posture query, per account too.
    let posture = rows(&lake.run("posture", &p).await.unwrap());
    let overall = posture
        .iter()
        .find(|x| x["dimension"] == "overall")
        .unwrap();
    assert_eq!(
        format!("{}", r.posture.as_ref().unwrap().rate.unwrap()),
        overall["pass_rate"]
    );
    assert_eq!(r.accounts.len(), 3);
    // The top open issue is the Critical public bucket, failing in every week.
    let top = &r.top_open[0];
    assert_eq!(
        (top.check_id.as_str(), top.severity.as_str()),
        ("s3_bucket_public_access", "Critical")
    );
    assert_eq!(
        (
            top.failing_since.as_deref(),
            top.weeks_failing,
            top.weeks_seen
        ),
        (Some("2026-W19"), 3, 3)
    );
    // Quick wins: few resources, a remediation, most severe first.
    assert!(!r.actions.is_empty());
    assert!(r
        .actions
        .iter()
        .all(|a| !a.resources.is_empty() && a.resources.len() <= 3 && !a.remediation.is_empty()));
    assert_eq!(r.actions[0].check_id, "s3_bucket_public_access");
    // The spreadsheet's open findings only when asked for.
    assert!(r.open_rows.is_empty());
    let with_rows = lake
        .weekly_report(
            &p,
            &lake_query::ReportOptions {
                open_findings: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(with_rows.report.open_rows.len(), 47);
}

/// Compares `actual` with the golden file `name` (rewritten when UPDATE_GOLDEN is set).
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (UPDATE_GOLDEN=1 writes it)", path.display()));
    if expected != actual {
        let (line, (e, a)) = expected
            .lines()
            .chain(std::iter::repeat(""))
            .zip(actual.lines().chain(std::iter::repeat("")))
            .enumerate()
            .find(|(_, (e, a))| e != a)
            .unwrap();
        panic!(
            "{name} differs from its golden file at line {}:\n  golden: {e}\n  now:    {a}\n\
             (UPDATE_GOLDEN=1 rewrites it, after a review)",
            line + 1
        );
    }
}

#[tokio::test]
async fn the_report_of_the_fixtures_is_its_golden_files_in_every_format() {
    use lake_query::lake_report::{narrative, render, Format};
    let (lake, _dir) = runs_lake().await;
    // (with the demo's business context: the report judges the week's risk in it)
    let context = std::fs::read_to_string(fixtures().join("context/context.yaml")).unwrap();
    risk::set_context(&lake, &context, "2026-W19").await;
    let mut made = lake
        .weekly_report(&week("2026-W21"), &lake_query::ReportOptions::default())
        .await
        .unwrap();
    made.report.narrative = Some(
        narrative::parse(
            "# Week 2026-W21\n\n## Headline\nOpen failures fell to **47**; the scan of \
             `333333333333` was cut short.\n\n## Action items\n- Replace `\"Action\": \"*:*\"` \
             in the *admin* policy, where a < b & c.\n",
        )
        .unwrap(),
    );
    for (format, name) in [
        (Format::Markdown, "report.md"),
        (Format::Html, "report.html"),
        (Format::Confluence, "report.confluence.xml"),
    ] {
        let a = String::from_utf8(render(&made.report, format).unwrap()).unwrap();
        let b = String::from_utf8(render(&made.report, format).unwrap()).unwrap();
        assert_eq!(a, b, "{name}: same report, same bytes");
        golden(name, &a);
    }
}

#[tokio::test]
async fn an_issue_fails_since_it_failed_in_the_accounts_where_it_fails_now() {
    // 111 scanned in W19 and W20, 222 only in W21: every check failing in W21 fails in an
    // account first scanned that week, whatever 111 showed before.
    let runs = fixtures().join("runs");
    let (lake, _dir) = lake_of(&[
        &runs.join("2026-W19/run-20260504T020000Z/111111111111"),
        &runs.join("2026-W20/run-20260511T020000Z/111111111111"),
        &runs.join("2026-W21/run-20260518T020000Z/222222222222"),
    ])
    .await;
    let made = lake
        .weekly_report(&week("2026-W21"), &lake_query::ReportOptions::default())
        .await
        .unwrap();
    let top = &made.report.top_open;
    assert!(!top.is_empty());
    for issue in top {
        assert_eq!(
            issue.failing_since.as_deref(),
            Some("2026-W21"),
            "{issue:?}"
        );
        assert_eq!((issue.weeks_failing, issue.weeks_seen), (1, 3), "{issue:?}");
    }
}

#[tokio::test]
async fn a_landing_zone_whose_accounts_were_not_scanned_keeps_its_row() {
    // workloads-prod is 111 alone, scanned in W20 and not in W21.
    let runs = fixtures().join("runs");
    let (lake, _dir) = lake_of(&[
        &runs.join("2026-W20"),
        &runs.join("2026-W21/run-20260518T020000Z/222222222222"),
    ])
    .await;
    let context = std::fs::read_to_string(fixtures().join("context/context.yaml")).unwrap();
    risk::set_context(&lake, &context, "2026-W19").await;
    let zones: Vec<String> = rows(&lake.run("landing-zones", &week("2026-W21")).await.unwrap())
        .iter()
        .map(|r| {
            format!(
                "{} accounts={} before={} fail={} rate={} fail_delta={}",
                r["landing_zone"],
                r["accounts"],
                r["accounts_before"],
                r["fail"],
                r["pass_rate"],
                r["fail_delta"]
            )
        })
        .collect();
    assert_eq!(zones.len(), 2, "{zones:?}");
    assert_eq!(
        zones[1],
        "workloads-prod accounts=0 before=1 fail=0 rate= fail_delta="
    );
    assert!(
        zones[0].starts_with("workloads-nonprod accounts=1 before=2 "),
        "{zones:?}"
    );
}

/// Rewrites every Parquet file of `table` under the lake at `root` without `columns`.
fn drop_columns(root: &Path, table: &str, columns: &[&str]) -> usize {
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use datafusion::parquet::arrow::ArrowWriter;
    let mut rewritten = 0;
    let mut stack = vec![root.join(table)];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|e| e != "parquet") {
                continue;
            }
            let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&p).unwrap())
                .unwrap()
                .build()
                .unwrap();
            let batches: Vec<RecordBatch> = reader
                .map(|b| {
                    let b = b.unwrap();
                    let keep: Vec<usize> = (0..b.num_columns())
                        .filter(|&i| !columns.contains(&b.schema().field(i).name().as_str()))
                        .collect();
                    b.project(&keep).unwrap()
                })
                .collect();
            let mut w = ArrowWriter::try_new(
                std::fs::File::create(&p).unwrap(),
                batches[0].schema(),
                None,
            )
            .unwrap();
            for b in &batches {
                w.write(b).unwrap();
            }
            w.close().unwrap();
            rewritten += 1;
        }
    }
    rewritten
}

#[tokio::test]
async fn a_lake_written_before_other_producers_reads_as_prowlers_alone() {
    let (lake, dir) = runs_lake().await;
    let answers = |lake: Lake| async move {
        let mut out = Vec::new();
        for (name, p) in [
            ("diff", week("2026-W21")),
            ("posture", week("2026-W21")),
            ("trend", Params::default()),
        ] {
            out.push(format!("{:?}", rows(&lake.run(name, &p).await.unwrap())));
        }
        out.push(lake.summary(&week("2026-W21")).await.unwrap().to_string());
        let mut only = week("2026-W21");
        only.set_source("prowler").unwrap();
        out.push(format!(
            "{:?}",
            rows(&lake.run("diff", &only).await.unwrap())
        ));
        out
    };
    let now = answers(lake.clone()).await;
    assert!(now[3].contains(r#""sources":{"prowler":"#), "{}", now[3]);
    // What an earlier version wrote: neither table has the producer's columns (nor the
    // findings file versions, recorded since). No migration: the views read a missing
    // producer as Prowler, and a row without a version describes its file as it is.
    assert!(
        drop_columns(
            dir.path(),
            "findings",
            &["source_product", "source_version"]
        ) > 0
    );
    assert!(
        drop_columns(
            dir.path(),
            "scans",
            &["source_product", "findings_size", "findings_etag"]
        ) > 0
    );
    let old = Lake::from_location(lake.location().clone());
    let nulls = rows(
        &old.sql("SELECT count(*) AS n, count(source_product) AS named FROM findings")
            .await
            .unwrap(),
    );
    assert_eq!(nulls[0]["named"], "0");
    assert_ne!(nulls[0]["n"], "0");
    assert_eq!(answers(old).await, now);
}
