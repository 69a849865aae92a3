//! Ingest, specified end to end: sources on disk or in a real S3 API server, lake files out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arrow::array::{Array, AsArray, RecordBatch};
use lake_core::{DecoderOptions, Overrides};
use lake_store::ingest::{ingest, IngestOptions, IngestOutcome};
use lake_store::{read, Location, Source};
use lake_synth::{write_scan, ScanSpec};
use object_store::path::Path as ObjPath;
use object_store::ObjectStoreExt;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

#[path = "support/moto.rs"]
mod moto_server;
use moto_server::{create_bucket, moto};

/// A scan file in the scanning task's layout under `root`.
fn layout_file(
    root: &Path,
    week: &str,
    run: &str,
    account: &str,
    findings: usize,
    seed: u64,
) -> PathBuf {
    let dir = root.join(week).join(run).join(account).join("json-ocsf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("prowler-output-{account}-20260518020000.ocsf.json"));
    let mut spec = ScanSpec::new(seed, account, findings);
    spec.scan_id = format!("scan-{seed}");
    write_scan(&spec, &mut std::fs::File::create(&path).unwrap()).unwrap();
    path
}

async fn run(lake: &Location, specs: &[&str], options: &IngestOptions) -> Vec<IngestOutcome> {
    let mut sources = Vec::new();
    for s in specs {
        sources.extend(Source::resolve(s).await.unwrap());
    }
    ingest(lake, sources, options, Default::default()).await
}

/// Every file under a local directory with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn read_local(path: &Path) -> Vec<RecordBatch> {
    let f = std::fs::File::open(path).unwrap();
    ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn strings(batches: &[RecordBatch], column: &str) -> Vec<String> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column_by_name(column).unwrap().as_string::<i32>().clone();
            (0..c.len()).map(move |i| c.value(i).to_owned())
        })
        .collect()
}

#[tokio::test]
async fn ingesting_twice_leaves_the_lake_as_after_once() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    layout_file(src.path(), "2026-W21", "run-1", "111111111111", 300, 1);
    layout_file(src.path(), "2026-W21", "run-1", "222222222222", 200, 2);
    let lake = Location::local(dir.path(), true).unwrap();
    let spec = src.path().to_str().unwrap();

    let first = run(&lake, &[spec], &IngestOptions::default()).await;
    assert!(first
        .iter()
        .all(|o| o.status() == "succeeded" && !o.skipped));
    assert_eq!(first.iter().map(|o| o.record.findings).sum::<i64>(), 500);
    let once = snapshot(dir.path());
    let tables: Vec<&String> = once.keys().filter(|k| !k.starts_with("_staging")).collect();
    assert_eq!(
        tables,
        [
            "_index/first_failures.parquet",
            "_manifest/scans.parquet",
            "_observed/dt=2026-05-18/111111111111-run-1.parquet",
            "_observed/dt=2026-05-18/222222222222-run-1.parquet",
            "findings/dt=2026-05-18/111111111111-run-1.parquet",
            "findings/dt=2026-05-18/222222222222-run-1.parquet",
            "scans/dt=2026-05-18/111111111111-run-1.parquet",
            "scans/dt=2026-05-18/222222222222-run-1.parquet",
        ]
    );
    assert!(
        once.keys().all(|k| !k.starts_with("_staging")),
        "staging left behind: {once:?}"
    );

    let second = run(&lake, &[spec], &IngestOptions::default()).await;
    assert!(
        second.iter().all(|o| o.skipped),
        "second ingest should skip unchanged sources"
    );
    assert_eq!(snapshot(dir.path()), once);

    // --force rewrites: the findings files come out byte for byte the same.
    let forced = IngestOptions {
        force: true,
        ..Default::default()
    };
    let third = run(&lake, &[spec], &forced).await;
    assert!(third.iter().all(|o| !o.skipped));
    let after = snapshot(dir.path());
    for (k, v) in &once {
        if k.starts_with("findings/") {
            assert_eq!(&after[k], v, "{k} changed on a forced re-ingest");
        }
    }
    assert_eq!(after.len(), once.len());
}

#[tokio::test]
async fn an_ingest_sweeps_what_killed_writers_left_in_staging() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    layout_file(src.path(), "2026-W21", "run-1", "111111111111", 20, 1);
    let staging = dir.path().join("_staging");
    std::fs::create_dir_all(&staging).unwrap();
    // A killed ingest's half-written file, untouched for two hours; and one that a
    // concurrent ingest is writing right now.
    let abandoned = staging.join("4242-1-findings_dt_2026-05-18_111111111111-run-0.parquet");
    let in_flight = staging.join("4343-2-findings_dt_2026-05-18_222222222222-run-1.parquet");
    std::fs::write(&abandoned, b"PAR1 half a row group").unwrap();
    std::fs::write(&in_flight, b"PAR1 a row group being written").unwrap();
    std::fs::File::options()
        .write(true)
        .open(&abandoned)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(2 * 3600))
        .unwrap();

    let lake = Location::local(dir.path(), true).unwrap();
    let out = run(
        &lake,
        &[src.path().to_str().unwrap()],
        &IngestOptions::default(),
    )
    .await;
    assert_eq!(out[0].status(), "succeeded");
    assert!(
        !abandoned.exists(),
        "abandoned for longer than the threshold: removed"
    );
    assert!(
        in_flight.exists(),
        "recently written: another writer's, kept"
    );
}

#[tokio::test]
async fn a_rerun_in_the_same_week_is_a_new_run() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    layout_file(src.path(), "2026-W21", "run-1", "111111111111", 50, 1);
    layout_file(src.path(), "2026-W21", "run-2", "111111111111", 60, 2);
    let lake = Location::local(dir.path(), true).unwrap();
    let out = run(
        &lake,
        &[src.path().to_str().unwrap()],
        &IngestOptions::default(),
    )
    .await;
    let runs: Vec<(&str, i64)> = out
        .iter()
        .map(|o| (o.record.run_id.as_str(), o.record.findings))
        .collect();
    assert_eq!(runs, [("run-1", 50), ("run-2", 60)]);
    let scans = read::scans(&lake).await.unwrap();
    assert_eq!(scans.len(), 2);
    assert!(scans.iter().all(|s| s.week.as_deref() == Some("2026-W21")));
}

/// A scan of `account` in run `run` of week 2026-W21 at `hour`:00 UTC, named like Prowler names it.
fn scan_at(root: &Path, run: &str, account: &str, hour: u32, findings: usize) -> PathBuf {
    let dir = root
        .join("2026-W21")
        .join(run)
        .join(account)
        .join("json-ocsf");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!(
        "prowler-output-{account}-202605180{hour}0000.ocsf.json"
    ));
    let mut spec = ScanSpec::new(u64::from(hour), account, findings);
    spec.time_dt = format!("2026-05-18T0{hour}:00:00");
    spec.time = 1_779_062_400 + i64::from(hour) * 3600;
    if findings == 0 {
        std::fs::write(&path, "[]").unwrap();
    } else {
        write_scan(&spec, &mut std::fs::File::create(&path).unwrap()).unwrap();
    }
    path
}

#[tokio::test]
async fn two_sources_of_one_account_and_run_the_later_scan_wins_whatever_the_order() {
    for (concurrency, later_has_findings) in [(1, true), (2, true), (1, false), (2, false)] {
        let src = tempfile::tempdir().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (early_n, late_n) = if later_has_findings {
            (30, 40)
        } else {
            (30, 0)
        };
        let early = scan_at(src.path(), "run-1", "111111111111", 2, early_n);
        let late = scan_at(src.path(), "run-1", "111111111111", 5, late_n);
        let lake = Location::local(dir.path(), true).unwrap();
        let options = IngestOptions {
            concurrency,
            ..Default::default()
        };
        for order in [[&early, &late], [&late, &early]] {
            let specs: Vec<&str> = order.iter().map(|p| p.to_str().unwrap()).collect();
            let out = run(
                &lake,
                &specs,
                &IngestOptions {
                    force: true,
                    ..options.clone()
                },
            )
            .await;
            let by_uri = |p: &PathBuf| {
                out.iter()
                    .find(|o| {
                        o.record
                            .source_uri
                            .ends_with(p.file_name().unwrap().to_str().unwrap())
                    })
                    .unwrap()
            };
            let loser = by_uri(&early);
            assert_eq!(
                loser.status(),
                "failed",
                "{concurrency} {later_has_findings}"
            );
            let error = loser.record.error.as_deref().unwrap();
            assert!(error.contains("a later scan in this ingest"), "{error}");
            assert_eq!(by_uri(&late).status(), "succeeded");

            let scans = read::scans(&lake).await.unwrap();
            assert_eq!(scans.len(), 1);
            assert!(scans[0].source_uri.ends_with("20260518050000.ocsf.json"));
            assert_eq!(scans[0].findings, late_n as i64);
            let file = dir
                .path()
                .join("findings/dt=2026-05-18/111111111111-run-1.parquet");
            if later_has_findings {
                assert_eq!(strings(&read_local(&file), "finding_key").len(), late_n);
            } else {
                assert!(
                    !file.exists(),
                    "the later, empty scan leaves no findings file"
                );
            }
        }
    }
}

#[tokio::test]
async fn outcomes_come_back_in_the_order_of_the_sources_whatever_finishes_first() {
    // Sources run largest first and in any order of completion; the caller still gets one
    // outcome per source, in its own order.
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let sizes = [5, 400, 40, 1, 200];
    let files: Vec<PathBuf> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let account = format!("{:012}", 100_000_000_000u64 + i as u64);
            layout_file(src.path(), "2026-W21", "run-1", &account, n, i as u64)
        })
        .collect();
    let specs: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    let options = IngestOptions {
        concurrency: 2,
        ..Default::default()
    };
    let out = run(&lake, &specs, &options).await;
    assert_eq!(out.len(), files.len());
    for ((outcome, file), n) in out.iter().zip(&files).zip(sizes) {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(outcome.record.source_uri.ends_with(name), "{name}");
        assert_eq!(outcome.status(), "succeeded");
        assert_eq!(outcome.record.findings, n as i64);
    }
}

/// The accounts of the manifest as readers see it, in file order.
async fn manifest_accounts(lake: &Location) -> Vec<String> {
    let batches = read::scan_batches(lake).await.unwrap();
    strings(&batches, "account_uid")
}

#[tokio::test]
async fn the_manifest_snapshot_is_a_cache_that_readers_check_against_the_files() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let snap = dir.path().join("_manifest/scans.parquet");
    let scans_file = |account: &str| {
        dir.path()
            .join(format!("scans/dt=2026-05-18/{account}-run-1.parquet"))
    };

    let a = scan_at(src.path(), "run-1", "111111111111", 2, 30);
    run(&lake, &[a.to_str().unwrap()], &IngestOptions::default()).await;
    let first = std::fs::read(&snap).expect("ingest writes the snapshot");
    assert_eq!(strings(&read_local(&snap), "account_uid"), ["111111111111"]);

    let b = scan_at(src.path(), "run-1", "222222222222", 2, 20);
    run(&lake, &[b.to_str().unwrap()], &IngestOptions::default()).await;
    assert_eq!(
        strings(&read_local(&snap), "account_uid"),
        ["111111111111", "222222222222"],
        "the next ingest refreshes it"
    );
    assert!(
        !lake_store::snapshot::refresh(&lake).await.unwrap(),
        "already current"
    );

    // A stale snapshot (a concurrent ingest refreshed last): the file it lacks is read.
    std::fs::write(&snap, &first).unwrap();
    assert_eq!(
        manifest_accounts(&lake).await,
        ["111111111111", "222222222222"]
    );

    // A file replaced behind it: a later scan of account 1's run; the snapshot's row for
    // the old file is not used.
    std::fs::write(&snap, &first).unwrap();
    let later = scan_at(src.path(), "run-1", "111111111111", 5, 40);
    let before = std::fs::read(&snap).unwrap();
    let out = lake_store::ingest::ingest(
        &Location::local(dir.path(), true).unwrap(),
        Source::resolve(later.to_str().unwrap()).await.unwrap(),
        &IngestOptions::default(),
        Default::default(),
    )
    .await;
    assert_eq!(out[0].status(), "succeeded");
    std::fs::write(&snap, &before).unwrap();
    // (ordered by scan time: account 2 at 02:00, account 1's later scan at 05:00)
    let scans = read::scans(&lake).await.unwrap();
    let counts: Vec<(String, i64)> = scans
        .iter()
        .map(|s| (s.account_uid.clone(), s.findings))
        .collect();
    assert_eq!(
        counts,
        [
            ("222222222222".to_owned(), 20),
            ("111111111111".to_owned(), 40)
        ]
    );

    // A file deleted behind it is gone for readers too.
    std::fs::remove_file(scans_file("222222222222")).unwrap();
    assert_eq!(manifest_accounts(&lake).await, ["111111111111"]);

    // An unreadable snapshot is no snapshot.
    std::fs::write(&snap, b"PAR1 not really").unwrap();
    assert_eq!(manifest_accounts(&lake).await, ["111111111111"]);
    assert!(lake_store::snapshot::refresh(&lake).await.unwrap());
    assert_eq!(strings(&read_local(&snap), "account_uid"), ["111111111111"]);
}

#[tokio::test]
async fn a_snapshot_written_before_a_column_was_added_is_still_used() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let a = scan_at(src.path(), "run-1", "111111111111", 2, 30);
    run(&lake, &[a.to_str().unwrap()], &IngestOptions::default()).await;
    // The snapshot as an earlier version wrote it: no `source_product`.
    let snap = dir.path().join("_manifest/scans.parquet");
    let old: Vec<RecordBatch> = read_local(&snap)
        .into_iter()
        .map(|b| {
            let keep: Vec<usize> = (0..b.num_columns())
                .filter(|&i| b.schema().field(i).name() != "source_product")
                .collect();
            b.project(&keep).unwrap()
        })
        .collect();
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&snap).unwrap(),
        old[0].schema(),
        None,
    )
    .unwrap();
    for b in &old {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    // The manifest file it describes made unreadable, its size and time kept: only a reader
    // that uses the snapshot still answers.
    let file = dir
        .path()
        .join("scans/dt=2026-05-18/111111111111-run-1.parquet");
    let (len, modified) = {
        let m = std::fs::metadata(&file).unwrap();
        (m.len() as usize, m.modified().unwrap())
    };
    std::fs::write(&file, vec![b'x'; len]).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let scans = read::scans(&lake).await.unwrap();
    assert_eq!(
        scans
            .iter()
            .map(|s| (
                s.account_uid.as_str(),
                s.findings,
                s.source_product.as_deref()
            ))
            .collect::<Vec<_>>(),
        [("111111111111", 30, None)]
    );
}

/// Per finding key, the first week it failed in, read the slow way: every row of every
/// findings file under `dir`.
fn first_failures_in_files(dir: &Path) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (rel, _) in snapshot(dir) {
        if !rel.starts_with("findings/") {
            continue;
        }
        for b in read_local(&dir.join(&rel)) {
            let keys = strings(std::slice::from_ref(&b), "finding_key");
            let weeks = strings(std::slice::from_ref(&b), "week");
            let status = strings(std::slice::from_ref(&b), "status_code");
            for ((k, w), s) in keys.into_iter().zip(weeks).zip(status) {
                if s == "FAIL" {
                    let e = out.entry(k).or_insert_with(|| w.clone());
                    if w < *e {
                        *e = w;
                    }
                }
            }
        }
    }
    out
}

async fn first_failures(lake: &Location) -> BTreeMap<String, String> {
    let b = lake_store::failures::first_failures(lake).await.unwrap();
    let b = std::slice::from_ref(&b);
    strings(b, "finding_key")
        .into_iter()
        .zip(strings(b, "first_failed_week"))
        .collect()
}

#[tokio::test]
async fn the_failure_index_is_a_cache_that_readers_check_against_the_files() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let index = dir.path().join(lake_store::failures::INDEX_PATH);
    let findings_file = |account: &str| {
        dir.path()
            .join(format!("findings/dt=2026-05-18/{account}-run-1.parquet"))
    };

    let a = scan_at(src.path(), "run-1", "111111111111", 2, 30);
    run(&lake, &[a.to_str().unwrap()], &IngestOptions::default()).await;
    let first = std::fs::read(&index).expect("ingest writes the index");
    let truth = first_failures_in_files(dir.path());
    assert!(!truth.is_empty(), "the scan has failing findings");
    assert_eq!(first_failures(&lake).await, truth);

    let keys_of_a = truth.len();
    let b = scan_at(src.path(), "run-1", "222222222222", 2, 20);
    run(&lake, &[b.to_str().unwrap()], &IngestOptions::default()).await;
    let truth = first_failures_in_files(dir.path());
    assert!(truth.len() > keys_of_a, "account 2 has failing findings");
    assert_eq!(
        first_failures(&lake).await,
        truth,
        "the next ingest refreshes it"
    );
    assert!(
        !lake_store::failures::refresh(&lake).await.unwrap(),
        "already current"
    );

    // A stale index (a concurrent ingest refreshed last): the file it lacks is read.
    std::fs::write(&index, &first).unwrap();
    assert_eq!(first_failures(&lake).await, truth);

    // A file replaced behind it (a later scan of account 1's run, other findings): nothing
    // of the old file survives.
    let old_keys: Vec<String> = first_failures(&lake).await.into_keys().collect();
    let before = std::fs::read(&index).unwrap();
    let later = scan_at(src.path(), "run-1", "111111111111", 5, 40);
    run(&lake, &[later.to_str().unwrap()], &IngestOptions::default()).await;
    std::fs::write(&index, &before).unwrap();
    let truth = first_failures_in_files(dir.path());
    assert_ne!(truth.keys().cloned().collect::<Vec<_>>(), old_keys);
    assert_eq!(first_failures(&lake).await, truth);

    // A file deleted behind it: its failures are gone for readers too.
    assert!(lake_store::failures::refresh(&lake).await.unwrap());
    let with_account_2 = first_failures_in_files(dir.path()).len();
    std::fs::remove_file(findings_file("222222222222")).unwrap();
    let truth = first_failures_in_files(dir.path());
    assert!(truth.len() < with_account_2);
    assert_eq!(first_failures(&lake).await, truth);

    // An unreadable index is no index.
    std::fs::write(&index, b"PAR1 not really").unwrap();
    assert_eq!(first_failures(&lake).await, truth);
    assert!(lake_store::failures::refresh(&lake).await.unwrap());
    assert_eq!(first_failures(&lake).await, truth);
}

#[tokio::test]
async fn a_failed_write_keeps_the_earlier_scan_and_the_next_ingest_retries() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = scan_at(src.path(), "run-1", "111111111111", 2, 30);
    let lake = Location::local(dir.path(), true).unwrap();
    let spec = [file.to_str().unwrap()];
    let first = run(&lake, &spec, &IngestOptions::default()).await;
    assert_eq!(first[0].status(), "succeeded");
    let before = snapshot(dir.path());

    // The source changes (a re-scan into the same key) while the lake cannot be written:
    // a plain file where the staging directory goes.
    scan_at(src.path(), "run-1", "111111111111", 2, 45);
    std::fs::remove_dir_all(dir.path().join("_staging")).ok();
    std::fs::write(dir.path().join("_staging"), "in the way").unwrap();
    let failed = run(&lake, &spec, &IngestOptions::default()).await;
    assert_eq!(failed[0].status(), "failed");
    let error = failed[0].record.error.as_deref().unwrap();
    assert!(error.contains("writing the lake"), "{error}");
    assert!(
        error.contains("keeps what an earlier ingest wrote"),
        "{error}"
    );
    let mut after = snapshot(dir.path());
    after.remove("_staging");
    let mut kept = before.clone();
    kept.retain(|k, _| !k.starts_with("_staging"));
    assert_eq!(after, kept, "the earlier scan's files are untouched");

    // Once the lake is writable again, the same ingest is not skipped: it lands.
    std::fs::remove_file(dir.path().join("_staging")).unwrap();
    let retried = run(&lake, &spec, &IngestOptions::default()).await;
    assert_eq!(retried[0].status(), "succeeded");
    assert!(!retried[0].skipped);
    assert_eq!(retried[0].record.findings, 45);
    let scans = read::scans(&lake).await.unwrap();
    assert_eq!(scans[0].findings, 45);
}

#[tokio::test]
async fn a_failed_ingest_is_retried_not_skipped() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = scan_at(src.path(), "run-1", "111111111111", 2, 0);
    std::fs::write(&file, "this is not JSON").unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let spec = [file.to_str().unwrap()];
    let first = run(&lake, &spec, &IngestOptions::default()).await;
    assert_eq!(first[0].status(), "failed");
    let again = run(&lake, &spec, &IngestOptions::default()).await;
    assert!(!again[0].skipped, "a failed ingest is read again");
    assert_eq!(again[0].status(), "failed");
    assert_eq!(read::scans(&lake).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_lake_that_cannot_be_read_fails_the_source_as_the_machinerys_not_as_a_conflict() {
    // Learn where the scan's manifest row goes from a clean ingest.
    let src = tempfile::tempdir().unwrap();
    let file = scan_at(src.path(), "run-1", "111111111111", 2, 30);
    let spec = [file.to_str().unwrap()];
    let clean = tempfile::tempdir().unwrap();
    let ok = run(
        &Location::local(clean.path(), true).unwrap(),
        &spec,
        &IngestOptions::default(),
    )
    .await;
    assert_eq!(ok[0].status(), "succeeded");
    let row = snapshot(clean.path())
        .into_keys()
        .find(|k| k.starts_with("scans/"))
        .unwrap();

    // In another lake, something unreadable sits at that place: looking for an earlier
    // ingest of the scan fails before the source could claim its files.
    let dir = tempfile::tempdir().unwrap();
    let at = dir.path().join(&row);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(&at, "not a manifest row").unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let failed = run(&lake, &spec, &IngestOptions::default()).await;
    assert_eq!(failed[0].status(), "failed");
    assert!(failed[0].transient, "the machinery's failure, tried again");
    let error = failed[0].record.error.as_deref().unwrap();
    assert!(!error.contains("a later scan in this ingest"), "{error}");
    assert!(error.contains("writing the lake"), "{error}");
}

#[tokio::test]
async fn findings_files_carry_the_documented_schema_sorted_by_check() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = layout_file(src.path(), "2026-W21", "run-1", "111111111111", 2000, 9);
    let lake = Location::local(dir.path(), true).unwrap();
    let options = IngestOptions {
        decoder: DecoderOptions {
            batch_size: 256,
            ..Default::default()
        },
        ..Default::default()
    };
    let out = run(&lake, &[file.to_str().unwrap()], &options).await;
    assert_eq!(out[0].status(), "succeeded");
    let batches = read_local(
        &dir.path()
            .join("findings/dt=2026-05-18/111111111111-run-1.parquet"),
    );
    assert_eq!(
        batches[0].schema().fields(),
        lake_core::schema::findings_schema().fields()
    );
    let checks = strings(&batches, "check_id");
    assert_eq!(checks.len(), 2000);
    // Prowler writes checks in order and each batch is sorted, so the file is sorted.
    assert!(checks.windows(2).all(|w| w[0] <= w[1]));
    let keys = strings(&batches, "finding_key");
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        keys.len(),
        "finding keys must be unique within a scan"
    );
}

#[tokio::test]
async fn a_file_decoded_in_small_units_on_every_core_lands_as_if_read_whole() {
    // Units of 4 KiB hold a finding or less: the pool decodes hundreds of them out of
    // order, and what lands must be what one sequential pass gives, faults included.
    let src = tempfile::tempdir().unwrap();
    let path = layout_file(src.path(), "2026-W21", "run-1", "111111111111", 600, 5);
    let mut bytes = std::fs::read(&path).unwrap();
    let open = bytes.iter().position(|&b| b == b'[').unwrap();
    bytes.splice(open + 1..open + 1, b"42, ".iter().copied());
    bytes.truncate(bytes.len() - 3000);
    std::fs::write(&path, &bytes).unwrap();
    let spec = [path.to_str().unwrap()];
    let mut landed = Vec::new();
    for read_buffer in [4096, bytes.len() + 1] {
        let dir = tempfile::tempdir().unwrap();
        let lake = Location::local(dir.path(), true).unwrap();
        let options = IngestOptions {
            read_buffer,
            ..Default::default()
        };
        let out = run(&lake, &spec, &options).await;
        let r = out[0].record.clone();
        let rows = read_local(
            &dir.path()
                .join("findings/dt=2026-05-18/111111111111-run-1.parquet"),
        );
        let schema = rows[0].schema();
        let rows = arrow::compute::concat_batches(&schema, &rows).unwrap();
        landed.push((r.status, r.findings, r.rejected, r.error, rows));
    }
    let (status, findings, rejected, error, _) = &landed[0];
    assert_eq!((status.as_str(), *rejected), ("partial", 1));
    assert!(*findings > 500 && *findings < 600, "{findings}");
    let error = error.as_deref().unwrap();
    assert!(
        error.contains("truncated") && error.contains("byte 1: element is not a JSON object"),
        "{error}"
    );
    assert_eq!(landed[0], landed[1]);
}

#[tokio::test]
async fn show_reads_the_raw_finding_back() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = layout_file(src.path(), "2026-W21", "run-1", "111111111111", 40, 3);
    let lake = Location::local(dir.path(), true).unwrap();
    run(&lake, &[file.to_str().unwrap()], &IngestOptions::default()).await;
    let batches = read_local(
        &dir.path()
            .join("findings/dt=2026-05-18/111111111111-run-1.parquet"),
    );
    let key = strings(&batches, "finding_key")[7].clone();
    let uid = strings(&batches, "finding_uid")[7].clone();
    let found = read::find_evidence(&lake, read::FindingRef::Key(&key))
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let raw = read::fetch_raw(&found[0]).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(v["finding_info"]["uid"], uid.as_str());
    // The producer's uid finds the same finding, and says its key.
    let by_uid = read::find_evidence(&lake, read::FindingRef::Uid(&uid))
        .await
        .unwrap();
    assert_eq!(by_uid.len(), 1);
    assert_eq!(by_uid[0].finding_key, key);
    assert_eq!(read::fetch_raw(&by_uid[0]).await.unwrap(), raw);
    let unknown = read::FindingRef::Uid("prowler-aws-no-such-finding");
    assert!(read::find_evidence(&lake, unknown)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn show_reads_only_the_recorded_sources_within_their_size() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = layout_file(src.path(), "2026-W21", "run-1", "111111111111", 10, 3);
    let lake = Location::local(dir.path(), true).unwrap();
    run(&lake, &[file.to_str().unwrap()], &IngestOptions::default()).await;
    let path = dir
        .path()
        .join("findings/dt=2026-05-18/111111111111-run-1.parquet");
    let batches = read_local(&path);
    let key = strings(&batches, "finding_key")[0].clone();
    let good = read::find_evidence(&lake, read::FindingRef::Key(&key))
        .await
        .unwrap()
        .remove(0);
    assert!(read::fetch_raw(&good).await.is_ok());
    // A findings row written by something else may point anywhere: at a file the lake
    // never read, past the end of its source, at more bytes than a finding can be, or at a
    // range whose end overflows.
    let secret = src.path().join("secret");
    std::fs::write(&secret, vec![b's'; 4096]).unwrap();
    let size = good.source_size.unwrap();
    for (uri, offset, length, reason) in [
        (
            format!("file://{}", secret.display()),
            0,
            10,
            "no scan in the manifest",
        ),
        (good.source_uri.clone(), size - 5, 10, "outside the source"),
        (good.source_uri.clone(), 0, 1 << 40, "outside the source"),
        (
            good.source_uri.clone(),
            u64::MAX - 1,
            10,
            "outside the source",
        ),
    ] {
        let bad = read::Evidence {
            source_uri: uri.clone(),
            offset,
            length,
            source_size: if uri == good.source_uri {
                Some(size)
            } else {
                None
            },
            ..good.clone()
        };
        let e = read::fetch_raw(&bad).await.unwrap_err().to_string();
        assert!(e.contains(reason), "{e}");
    }
    // And find_evidence takes the source's size from the manifest, not from the row: a
    // tampered row pointing at the secret file is refused.
    let mut tampered = Vec::new();
    for b in &batches {
        let uris: arrow::array::StringArray = (0..b.num_rows())
            .map(|_| Some(format!("file://{}", secret.display())))
            .collect();
        let i = b.schema().index_of("source_uri").unwrap();
        let mut columns = b.columns().to_vec();
        columns[i] = std::sync::Arc::new(uris);
        tampered.push(RecordBatch::try_new(b.schema(), columns).unwrap());
    }
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        tampered[0].schema(),
        None,
    )
    .unwrap();
    for b in &tampered {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    let found = read::find_evidence(&lake, read::FindingRef::Key(&key))
        .await
        .unwrap()
        .remove(0);
    assert_eq!(found.source_size, None);
    let e = read::fetch_raw(&found).await.unwrap_err().to_string();
    assert!(
        e.contains("no scan in the manifest was read from this source"),
        "{e}"
    );
}

#[tokio::test]
async fn flags_override_the_layout() {
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = layout_file(src.path(), "2026-W21", "run-1", "111111111111", 5, 3);
    let lake = Location::local(dir.path(), true).unwrap();
    let options = IngestOptions {
        overrides: Overrides {
            run_id: Some("manual".into()),
            account: None,
            week: Some("2026-W22".parse().unwrap()),
        },
        ..Default::default()
    };
    let out = run(&lake, &[file.to_str().unwrap()], &options).await;
    assert_eq!(
        (out[0].record.run_id.as_str(), out[0].record.week.as_deref()),
        ("manual", Some("2026-W22"))
    );
    let batches = read_local(
        &dir.path()
            .join("findings/dt=2026-05-18/111111111111-manual.parquet"),
    );
    assert!(strings(&batches, "week").iter().all(|w| w == "2026-W22"));
}

#[tokio::test]
async fn a_finding_over_the_size_limit_is_rejected_and_the_rest_land() {
    // A 100 MB string inside one finding: the decoder never holds it.
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = src
        .path()
        .join("prowler-output-111111111111-20260518020000.ocsf.json");
    let mut good = Vec::new();
    write_scan(&ScanSpec::new(1, "111111111111", 3), &mut good).unwrap();
    let good = std::str::from_utf8(&good).unwrap();
    let inner = &good[1..good.len() - 1];
    let first_end = inner.find("},{").unwrap() + 1;
    let (f1, rest) = inner.split_at(first_end);
    let huge = f1.replacen(
        "\"risk_details\": \"",
        &format!("\"risk_details\": \"{}", "x".repeat(100 << 20)),
        1,
    );
    std::fs::write(&path, format!("[{f1},{huge}{rest}]")).unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let out = run(&lake, &[path.to_str().unwrap()], &IngestOptions::default()).await;
    let r = &out[0].record;
    assert_eq!(
        (r.status.as_str(), r.findings, r.rejected),
        ("partial", 3, 1)
    );
    let error = r.error.as_deref().unwrap();
    assert!(error.contains("over the 16777216-byte limit"), "{error}");
}

// ---------------------------------------------------------------------------------------
// S3: a real S3 API server (moto) on loopback.

async fn put_object(bucket: &str, key: &str, body: Vec<u8>) {
    let loc = Location::parse(&format!("s3://{bucket}"), false).unwrap();
    loc.store
        .put(&ObjPath::from(key), body.into())
        .await
        .unwrap();
}

async fn list_objects(url: &str) -> BTreeMap<String, (u64, Option<String>)> {
    use futures::TryStreamExt;
    let loc = Location::parse(url, false).unwrap();
    let metas: Vec<_> = loc
        .store
        .list(Some(&loc.prefix))
        .try_collect()
        .await
        .unwrap();
    metas
        .into_iter()
        .map(|m| (m.location.to_string(), (m.size, m.e_tag)))
        .collect()
}

#[tokio::test]
async fn s3_sources_into_an_s3_lake_round_trip() {
    moto();
    create_bucket("scans-a");
    create_bucket("lake-a");
    for (account, n, seed) in [("111111111111", 120, 1), ("222222222222", 80, 2)] {
        let mut body = Vec::new();
        let mut spec = ScanSpec::new(seed, account, n);
        spec.scan_id = format!("scan-{seed}");
        write_scan(&spec, &mut body).unwrap();
        let key = format!("prowler/2026-W21/run-7/{account}/json-ocsf/prowler-output-{account}-20260518020000.ocsf.json");
        put_object("scans-a", &key, body).await;
    }
    // Not a scan file: ignored by prefix listing.
    put_object(
        "scans-a",
        "prowler/2026-W21/run-7/run.complete",
        b"{}".to_vec(),
    )
    .await;

    let lake = Location::parse("s3://lake-a/security/lake", false).unwrap();
    let out = run(
        &lake,
        &["s3://scans-a/prowler/2026-W21/"],
        &IngestOptions::default(),
    )
    .await;
    assert_eq!(out.len(), 2);
    for o in &out {
        assert_eq!(o.status(), "succeeded", "{:?}", o.record.error);
        assert!(o
            .record
            .source_uri
            .starts_with("s3://scans-a/prowler/2026-W21/run-7/"));
        assert_eq!(o.record.week.as_deref(), Some("2026-W21"));
    }
    let objects = list_objects("s3://lake-a/security/lake").await;
    let keys: Vec<&String> = objects.keys().collect();
    assert_eq!(
        keys,
        [
            "security/lake/_index/first_failures.parquet",
            "security/lake/_manifest/scans.parquet",
            "security/lake/_observed/dt=2026-05-18/111111111111-run-7.parquet",
            "security/lake/_observed/dt=2026-05-18/222222222222-run-7.parquet",
            "security/lake/findings/dt=2026-05-18/111111111111-run-7.parquet",
            "security/lake/findings/dt=2026-05-18/222222222222-run-7.parquet",
            "security/lake/scans/dt=2026-05-18/111111111111-run-7.parquet",
            "security/lake/scans/dt=2026-05-18/222222222222-run-7.parquet",
        ]
    );
    let scans = read::scans(&lake).await.unwrap();
    assert_eq!(
        scans.iter().map(|s| s.findings).collect::<Vec<_>>(),
        [120, 80]
    );

    // Raw findings are read back from S3 by range.
    let batches = lake_store::ingest::read_parquet(
        &lake,
        &ObjPath::from("security/lake/findings/dt=2026-05-18/222222222222-run-7.parquet"),
    )
    .await
    .unwrap();
    let key = strings(&batches, "finding_key")[0].clone();
    let evidence = read::find_evidence(&lake, read::FindingRef::Key(&key))
        .await
        .unwrap();
    let raw = read::fetch_raw(&evidence[0]).await.unwrap();
    let v: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(v["cloud"]["account"]["uid"], "222222222222");

    // Twice is once.
    let again = run(
        &lake,
        &["s3://scans-a/prowler/2026-W21/"],
        &IngestOptions::default(),
    )
    .await;
    assert!(again.iter().all(|o| o.skipped));
    assert_eq!(list_objects("s3://lake-a/security/lake").await, objects);

    // A compacted copy on S3: its part by multipart upload, then its marker.
    let all = lake_store::compact::CompactOptions {
        closed_after_days: None,
        ..Default::default()
    };
    let done = lake_store::compact::compact(&lake, &all).await.unwrap();
    assert_eq!((done.len(), done[0].rows), (1, 200));
    let usable = lake_store::compact::usable(&lake).await.unwrap();
    assert_eq!(usable.len(), 1);
    let copy = format!(
        "security/lake/_compact/findings/dt=2026-05-18/cover={}",
        usable[0].1
    );
    let with_copy = list_objects("s3://lake-a/security/lake").await;
    let new: Vec<&String> = with_copy
        .keys()
        .filter(|k| !objects.contains_key(*k))
        .collect();
    assert_eq!(
        new,
        [
            &format!("{copy}/_cells"),
            &format!("{copy}/_committed"),
            &format!("{copy}/part-0000.parquet")
        ]
    );
    let part = lake_store::ingest::read_parquet(
        &lake,
        &ObjPath::from(format!("{copy}/part-0000.parquet")),
    )
    .await
    .unwrap();
    let mut copied = strings(&part, "finding_key");
    let mut original = Vec::new();
    for account in ["111111111111", "222222222222"] {
        let b = lake_store::ingest::read_parquet(
            &lake,
            &ObjPath::from(format!(
                "security/lake/findings/dt=2026-05-18/{account}-run-7.parquet"
            )),
        )
        .await
        .unwrap();
        original.extend(strings(&b, "finding_key"));
    }
    copied.sort();
    original.sort();
    assert_eq!(copied, original);
    assert!(lake_store::compact::compact(&lake, &all)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn s3_sources_into_a_local_lake() {
    moto();
    create_bucket("scans-b");
    let mut body = Vec::new();
    write_scan(&ScanSpec::new(5, "333333333333", 30), &mut body).unwrap();
    let mut truncated = body.clone();
    truncated.truncate(body.len() / 2);
    put_object(
        "scans-b",
        "w/prowler-output-333333333333-20260518020000.ocsf.json",
        body,
    )
    .await;
    put_object(
        "scans-b",
        "w/prowler-output-444444444444-20260518020000.ocsf.json",
        truncated,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let out = run(&lake, &["s3://scans-b/w"], &IngestOptions::default()).await;
    assert_eq!(out[0].status(), "succeeded");
    assert_eq!(out[0].record.findings, 30);
    assert_eq!(out[1].status(), "partial");
    assert!(out[1]
        .record
        .error
        .as_deref()
        .unwrap()
        .contains("truncated"));
    assert!(out[1].record.findings > 0 && out[1].record.findings < 30);
}

// ---------------------------------------------------------------------------------------
// The curated fixtures (see fixtures/README.md for where each shape comes from).

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

/// Ingests one fixture into a fresh local lake; returns the outcome and the findings landed.
async fn ingest_fixture(rel: &str) -> (IngestOutcome, Vec<RecordBatch>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let source = Source::local(&fixture(rel)).unwrap();
    let mut out = ingest(
        &lake,
        vec![source],
        &IngestOptions::default(),
        Default::default(),
    )
    .await;
    let outcome = out.remove(0);
    let batches = outcome
        .record
        .findings_path
        .as_ref()
        .map(|p| read_local(&dir.path().join(p)))
        .unwrap_or_default();
    let files = snapshot(dir.path());
    assert!(
        files.keys().all(|k| !k.starts_with("_staging")),
        "{rel}: staging left: {files:?}"
    );
    let findings_files = files.keys().filter(|k| k.starts_with("findings/")).count();
    assert_eq!(
        findings_files,
        usize::from(outcome.record.findings > 0),
        "{rel}"
    );
    (outcome, batches, dir)
}

/// The three findings the bad fixtures are built from (fixtures/README.md).
const A: &str = "cloudwatch_cross_account_sharing_disabled";
const B: &str = "iam_check_saml_providers_sts";
const C: &str = "ec2_ebs_volume_snapshots_exists";

struct Bad {
    file: &'static str,
    status: &'static str,
    landed: &'static [&'static str],
    rejected: i64,
    error: Option<&'static str>,
    warning: Option<&'static str>,
}

const fn bad(
    file: &'static str,
    status: &'static str,
    landed: &'static [&'static str],
    rejected: i64,
    error: Option<&'static str>,
    warning: Option<&'static str>,
) -> Bad {
    Bad {
        file,
        status,
        landed,
        rejected,
        error,
        warning,
    }
}

#[tokio::test]
async fn every_bad_input_reports_file_offset_and_reason_and_the_good_data_lands() {
    let cases = [
        bad("truncated.ocsf.json", "partial", &[A, B], 0,
            Some("byte 9640: the file ends before the array is closed (truncated; the last finding is cut off)"), None),
        bad("concatenated-arrays.ocsf.json", "succeeded", &[A, B, C], 0, None,
            Some("a second array starts at byte 9640 (`][` between findings); read as one")),
        bad("trailing-comma.ocsf.json", "succeeded", &[A, B], 0, None,
            Some("trailing comma before ']' at byte 9640 (ignored)")),
        bad("invalid-utf8.ocsf.json", "partial", &[A, C], 1,
            Some("byte 4770: invalid JSON: invalid unicode code point at line 22 column 28"), None),
        bad("not-an-object.ocsf.json", "partial", &[A, B], 2,
            Some("byte 4770: element is not a JSON object (and 1 more rejected)"), None),
        bad("missing-uid.ocsf.json", "partial", &[A, C], 1,
            Some("byte 4770: required field `finding_info.uid` is missing or empty"), None),
        bad("missing-event-code.ocsf.json", "partial", &[A, C], 1,
            Some("byte 4770: required field `metadata.event_code` is missing or empty"), None),
        bad("invalid-status-code.ocsf.json", "partial", &[A, C], 1,
            Some("byte 4770: status_code `WARN` is not PASS, FAIL or MANUAL"), None),
        bad("missing-comma.ocsf.json", "partial", &[A, B], 0,
            Some("byte 9639: expected ',' or ']' after a finding, found '{'"), None),
        bad("garbage-after-array.ocsf.json", "partial", &[A, B], 0,
            Some("byte 9641: unexpected 'p' after the end of the array"), None),
        bad("other-class.ocsf.json", "partial", &[A, C], 1,
            Some("byte 4770: not a finding class lake reads (class_uid 2001)"), None),
        bad("not-ocsf-array.ocsf.json", "failed", &[], 2,
            Some("byte 1: not a finding class lake reads (class_uid 2001) (and 1 more rejected)"), None),
        bad("not-ocsf-object.ocsf.json", "failed", &[], 1,
            Some("byte 0: not an OCSF or ASFF finding (no metadata, finding_info or ASFF field)"), None),
        bad("not-json.ocsf.json", "failed", &[], 0,
            Some("byte 0: not a JSON array or NDJSON: starts with 'A'"), None),
        bad("empty.ocsf.json", "failed", &[], 0, Some("byte 0: the file is empty"), None),
        bad("whitespace.ocsf.json", "failed", &[], 0, Some("byte 10: the file is empty"), None),
    ];
    for case in cases {
        let (outcome, batches, _dir) = ingest_fixture(&format!("bad/{}", case.file)).await;
        let r = &outcome.record;
        assert_eq!(r.status, case.status, "{}: {:?}", case.file, r.error);
        assert_eq!(
            (r.findings, r.rejected),
            (case.landed.len() as i64, case.rejected),
            "{}",
            case.file
        );
        assert_eq!(r.error.as_deref(), case.error, "{}", case.file);
        assert_eq!(
            r.warnings.first().map(String::as_str),
            case.warning,
            "{}",
            case.file
        );
        // Exactly these findings landed.
        let mut landed = strings(&batches, "check_id");
        landed.sort();
        let mut want: Vec<&str> = case.landed.to_vec();
        want.sort();
        assert_eq!(landed, want, "{}", case.file);
        assert!(r.source_uri.ends_with(case.file));
    }
}

#[tokio::test]
async fn generated_extremes_stay_bounded() {
    // 100,000-deep nesting: as a top-level element it is rejected; in free-form resource data
    // it is skipped without recursion and the finding lands.
    let src = tempfile::tempdir().unwrap();
    let mut good = Vec::new();
    write_scan(&ScanSpec::new(1, "111111111111", 2), &mut good).unwrap();
    let good = String::from_utf8(good).unwrap();
    let inner = &good[1..good.len() - 1];
    let deep_data = inner.replacen(
        "\"data\": {",
        &format!(
            "\"data\": {{\"deep\": {}0{},",
            "[".repeat(100_000),
            "]".repeat(100_000)
        ),
        1,
    );
    let deep_element = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let path = src
        .path()
        .join("prowler-output-111111111111-20260518020000.ocsf.json");
    std::fs::write(&path, format!("[{deep_data},{deep_element}]")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let out = run(&lake, &[path.to_str().unwrap()], &IngestOptions::default()).await;
    let r = &out[0].record;
    assert_eq!(
        (r.status.as_str(), r.findings, r.rejected),
        ("partial", 2, 1)
    );
    assert!(r
        .error
        .as_deref()
        .unwrap()
        .ends_with("element is not a JSON object"));
}

/// (file, findings, pass, fail, manual, muted)
const PROVIDERS: [(&str, i64, i64, i64, i64, i64); 11] = [
    ("azure.ocsf.json", 6, 1, 4, 1, 1),
    ("gcp.ocsf.json", 6, 2, 3, 1, 2),
    ("kubernetes.ocsf.json", 5, 1, 3, 1, 1),
    ("m365.ocsf.json", 5, 1, 3, 1, 1),
    ("github.ocsf.json", 5, 2, 2, 1, 1),
    ("aws-ocsf-1.1.ocsf.json", 3, 1, 2, 0, 1),
    ("aws-ocsf-1.3.ocsf.json", 3, 1, 2, 0, 1),
    ("aws-compact.ocsf.json", 4, 1, 2, 1, 0),
    ("aws.ndjson", 4, 1, 2, 1, 0),
    ("aws-duplicate-uid.ocsf.json", 2, 1, 1, 0, 0),
    ("aws-same-resource-uid.ocsf.json", 2, 0, 2, 0, 0),
];

#[tokio::test]
async fn every_provider_and_prowler_version_lands_with_its_counts() {
    for (file, findings, pass, fail, manual, muted) in PROVIDERS {
        let (outcome, batches, _dir) = ingest_fixture(&format!("providers/{file}")).await;
        let r = &outcome.record;
        assert_eq!(r.status, "succeeded", "{file}: {:?}", r.error);
        assert_eq!(
            (r.findings, r.pass, r.fail, r.manual, r.muted),
            (findings, pass, fail, manual, muted),
            "{file}"
        );
        let keys = strings(&batches, "finding_key");
        let mut unique = keys.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), keys.len(), "{file}: finding keys collide");
    }
    let (outcome, _, _dir) = ingest_fixture("providers/empty.ocsf.json").await;
    assert_eq!(
        (outcome.record.status.as_str(), outcome.record.findings),
        ("succeeded", 0)
    );
}

#[tokio::test]
async fn provider_identities_are_normalized() {
    // Kubernetes: no cloud object; the context is the account, the namespace the region.
    let (_, b, _d) = ingest_fixture("providers/kubernetes.ocsf.json").await;
    assert!(strings(&b, "account_uid").iter().all(|a| a == "prod-eks"));
    assert!(strings(&b, "provider").iter().all(|p| p == "kubernetes"));
    let mut regions = strings(&b, "region");
    regions.sort();
    regions.dedup();
    assert_eq!(
        regions,
        ["cluster-wide", "default", "kube-system", "monitoring"]
    );

    // Azure: subscription and tenant-level findings in one file keep their own accounts.
    let (outcome, b, _d) = ingest_fixture("providers/azure.ocsf.json").await;
    assert_eq!(
        outcome.record.account_uid,
        "8b5e3c2d-7f1a-4e9b-a6c3-2d4f8e1b9a70"
    );
    let mut accounts = strings(&b, "account_uid");
    accounts.sort();
    accounts.dedup();
    assert_eq!(
        accounts,
        [
            "3f1c2b7a-9d4e-4c51-8a2f-6e0b9c7d1a24",
            "8b5e3c2d-7f1a-4e9b-a6c3-2d4f8e1b9a70"
        ]
    );

    // Prowler 4.1: event_time, `k=v | k=v` labels, PASS with status "Other" is not muted.
    let (outcome, b, _d) = ingest_fixture("providers/aws-ocsf-1.1.ocsf.json").await;
    assert_eq!(
        outcome.record.scan_time.unwrap().to_rfc3339(),
        "2024-04-22T06:12:31.927361+00:00"
    );
    let resources = b[0].column_by_name("resources").unwrap().as_list::<i32>();
    let tags: Vec<(String, String)> = (0..resources.len())
        .flat_map(|row| {
            let structs = resources.value(row);
            let structs = structs.as_struct();
            let maps = structs.column_by_name("tags").unwrap().as_map().clone();
            (0..maps.len()).flat_map(move |i| {
                let entries = maps.value(i);
                let k = entries.column(0).as_string::<i32>().clone();
                let v = entries.column(1).as_string::<i32>().clone();
                (0..k.len()).map(move |j| (k.value(j).to_owned(), v.value(j).to_owned()))
            })
        })
        .collect();
    assert!(
        tags.contains(&("Name".into(), "globex-prod-reports".into())),
        "{tags:?}"
    );
    assert!(
        tags.contains(&("Équipe".into(), "Sécurité".into())),
        "{tags:?}"
    );

    // The same four findings, compact or NDJSON, get the same keys.
    let (_, compact, _d1) = ingest_fixture("providers/aws-compact.ocsf.json").await;
    let (_, ndjson, _d2) = ingest_fixture("providers/aws.ndjson").await;
    assert_eq!(
        strings(&compact, "finding_key"),
        strings(&ndjson, "finding_key")
    );

    // Prowler's uid repeats for two ECS services named `web`; the keys do not.
    let (_, b, _d) = ingest_fixture("providers/aws-duplicate-uid.ocsf.json").await;
    let uids = strings(&b, "finding_uid");
    assert_eq!(uids[0], uids[1]);
    assert_ne!(strings(&b, "finding_key")[0], strings(&b, "finding_key")[1]);
}

/// (file, producer, findings, pass, fail, manual, muted, skip warnings)
type ProducerCase = (&'static str, &'static str, i64, i64, i64, i64, i64, usize);

/// fixtures/producers/ and Prowler's own ASFF (fixtures/README.md, "producers/").
const PRODUCERS: [ProducerCase; 6] = [
    // Security Hub's OCSF export (NDJSON): controls, a GuardDuty threat, an exposure, an
    // Inspector vulnerability (class 2002); one closed finding and one not evaluated are
    // not kept.
    (
        "producers/securityhub.ocsf.ndjson",
        "securityhub",
        6,
        1,
        5,
        0,
        1,
        2,
    ),
    // get-findings-v2: the same shape wrapped in {"Findings": [...], "NextToken": ...}.
    (
        "producers/securityhub-getfindingsv2.ocsf.json",
        "securityhub",
        2,
        1,
        1,
        0,
        0,
        0,
    ),
    // Security Hub CSPM in ASFF ({"Findings": [...]}): consolidated and legacy controls, a
    // GuardDuty finding, one ARCHIVED and one NOT_AVAILABLE not kept, one SUPPRESSED.
    (
        "producers/securityhub-asff.asff.json",
        "securityhub",
        4,
        1,
        3,
        0,
        1,
        2,
    ),
    // ElectricEye's OCSF 1.1 Compliance Findings (singular `resource`), one closed.
    (
        "producers/electriceye-ocsf-1.1.ocsf.json",
        "electriceye",
        2,
        1,
        1,
        0,
        0,
        1,
    ),
    // Prowler's json-asff: a bare array.
    (
        "providers/prowler-asff.asff.json",
        "prowler",
        1,
        0,
        1,
        0,
        0,
        0,
    ),
    (
        "producers/kubernetes-5.18.ocsf.json",
        "prowler",
        5,
        1,
        3,
        1,
        1,
        0,
    ),
];

#[tokio::test]
async fn every_producer_lands_with_its_counts_statuses_and_producer() {
    for (file, producer, findings, pass, fail, manual, muted, skipped) in PRODUCERS {
        let (outcome, batches, _dir) = ingest_fixture(file).await;
        let r = &outcome.record;
        assert_eq!(r.status, "succeeded", "{file}: {:?}", r.error);
        assert_eq!(
            (
                r.findings,
                r.pass,
                r.fail,
                r.manual,
                r.muted,
                r.warnings.len()
            ),
            (findings, pass, fail, manual, muted, skipped),
            "{file}: {:?}",
            r.warnings
        );
        assert_eq!(r.source_product.as_deref(), Some(producer), "{file}");
        assert!(
            strings(&batches, "source_product")
                .iter()
                .all(|p| p == producer),
            "{file}"
        );
        // Another producer's scan never shares a file with Prowler's of the same run.
        let stem = r.findings_path.as_deref().unwrap();
        assert_eq!(
            stem.ends_with(&format!(".{producer}.parquet")),
            producer != "prowler",
            "{stem}"
        );
    }
}

#[tokio::test]
async fn producers_fields_map_to_the_same_columns() {
    let rows = |b: &[RecordBatch], cols: &[&str]| -> Vec<String> {
        let columns: Vec<Vec<String>> = cols.iter().map(|c| strings(b, c)).collect();
        // (sorted: findings files are ordered by check)
        let mut out: Vec<String> = (0..columns[0].len())
            .map(|i| {
                columns
                    .iter()
                    .map(|c| c[i].as_str())
                    .collect::<Vec<_>>()
                    .join(" | ")
            })
            .collect();
        out.sort();
        out
    };
    let cols = [
        "check_id",
        "status_code",
        "account_uid",
        "region",
        "provider",
        "service",
    ];
    let (_, b, _d) = ingest_fixture("producers/securityhub.ocsf.ndjson").await;
    assert_eq!(
        rows(&b, &cols),
        [
            "CVE-2024-3094 | FAIL | 123456789012 | us-east-2 | aws | ",
            "Exposure/Potential Impact/Resource Hijacking | FAIL | 123456789012 | us-east-2 | aws | ",
            "IAM.1 | PASS | 123456789012 | us-east-2 | aws | iam",
            "S3.8 | FAIL | 123456789012 | us-east-2 | aws | s3",
            "SSM.1 | FAIL | 123456789012 | us-east-2 | aws | ssm",
            "Stealth:IAMUser/CloudTrailLoggingDisabled | FAIL | 123456789012 | us-east-2 | aws | ",
        ]
    );
    // Epoch milliseconds and `Z` times are read as such.
    let times: Vec<i64> = b
        .iter()
        .flat_map(|b| {
            let t = b.column_by_name("scan_time").unwrap();
            let t = t
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .clone();
            (0..t.len()).map(move |i| t.value(i))
        })
        .collect();
    // 2026-05-18T03:10:00.482Z
    assert!(
        times.iter().all(|&t| t == 1_779_073_800_482_000),
        "{times:?}"
    );
    let (_, b, _d) = ingest_fixture("producers/securityhub-asff.asff.json").await;
    assert_eq!(
        rows(&b, &["check_id", "status_code", "severity", "resource_type"]),
        [
            "CloudTrail.2 | FAIL | Medium | AwsCloudTrailTrail",
            "Config.1 | FAIL | Medium | AwsAccount",
            "IAM.1 | PASS | Informational | AwsIamPolicy",
            "TTPs/Initial Access/UnauthorizedAccess:EC2-SSHBruteForce | FAIL | Low | AwsEc2Instance",
        ]
    );
    let (_, b, _d) = ingest_fixture("providers/prowler-asff.asff.json").await;
    assert_eq!(
        rows(
            &b,
            &[
                "check_id",
                "status_code",
                "account_uid",
                "region",
                "service",
                "prowler_version"
            ]
        ),
        ["iam_check_saml_providers_sts | FAIL | 444455556666 | us-east-1 | iam | 5.46.0"]
    );
    // ElectricEye writes severity_id 99 for Medium: the name decides.
    let (_, b, _d) = ingest_fixture("producers/electriceye-ocsf-1.1.ocsf.json").await;
    assert_eq!(
        rows(
            &b,
            &["check_id", "status_code", "severity", "provider", "region"]
        ),
        [
            "Azure.DefenderForCloud.1 | PASS | Critical | azure | azure-global",
            "Azure.DefenderForCloud.3 | FAIL | Medium | azure | azure-global",
        ]
    );
}

#[tokio::test]
async fn kubernetes_clusters_are_separate_accounts_whatever_the_prowler_version() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let out = run(
        &lake,
        &[
            fixture("providers/kubernetes.ocsf.json").to_str().unwrap(),
            fixture("producers/kubernetes-staging.ocsf.json")
                .to_str()
                .unwrap(),
            fixture("producers/kubernetes-5.18.ocsf.json")
                .to_str()
                .unwrap(),
        ],
        &IngestOptions::default(),
    )
    .await;
    let accounts: Vec<&str> = out.iter().map(|o| o.record.account_uid.as_str()).collect();
    // 5.19+ names the kubeconfig context; 5.18 only the cluster inside the finding uid.
    assert_eq!(
        accounts,
        [
            "prod-eks",
            "staging-aks",
            "arn:aws:eks:eu-west-1:111111111111:cluster/prod-eks"
        ]
    );
    assert!(out
        .iter()
        .all(|o| o.record.status == "succeeded" && o.record.findings == 5));
}

#[tokio::test]
async fn an_unreadable_export_beside_a_prowler_scan_leaves_the_scan_alone() {
    // A run folder with Prowler's scan of an account and Security Hub's export of it; the
    // export cannot be read (here: gzip, which lake does not read).
    let src = tempfile::tempdir().unwrap();
    let scan = "2026-W21/run-20260518T020000Z/111111111111";
    let from = fixture(&format!("semantics/producers/{scan}"));
    for sub in ["json-ocsf", "securityhub"] {
        let dir = src.path().join(scan).join(sub);
        std::fs::create_dir_all(&dir).unwrap();
        for e in std::fs::read_dir(from.join(sub)).unwrap() {
            let e = e.unwrap();
            let to = dir.join(e.file_name());
            if sub == "securityhub" {
                std::fs::write(&to, b"\x1f\x8b\x08\x00 not json").unwrap();
            } else {
                std::fs::copy(e.path(), &to).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    for _ in 0..2 {
        // (in either order: the export again after the scan)
        run(
            &lake,
            &[src.path().to_str().unwrap()],
            &IngestOptions::default(),
        )
        .await;
    }
    let scans = read::scans(&lake).await.unwrap();
    let rows: Vec<(&str, Option<&str>, i64)> = scans
        .iter()
        .map(|s| (s.status.as_str(), s.source_product.as_deref(), s.findings))
        .collect();
    assert_eq!(
        rows,
        [
            ("succeeded", Some("prowler"), 12),
            ("failed", Some("securityhub"), 0)
        ],
        "the failed export is Security Hub's, in its own row; Prowler's scan stays"
    );
}

#[tokio::test]
async fn a_file_mixing_producers_keeps_its_first_producers_findings() {
    let (outcome, _, _dir) = ingest_fixture("producers/mixed-producers.ocsf.json").await;
    let r = &outcome.record;
    assert_eq!(
        (r.status.as_str(), r.findings, r.rejected),
        ("partial", 1, 1)
    );
    let error = r.error.as_deref().unwrap();
    assert!(
        error.starts_with("byte ")
            && error
                .ends_with("a finding of securityhub in a file of prowler (one producer per file)"),
        "{error}"
    );
}

/// (week, account, status, findings, pass, fail, manual, muted)
type ManifestRow = (String, String, String, i64, i64, i64, i64, i64);

#[tokio::test]
async fn a_multi_week_organisation_run_lands_per_account_and_week() {
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let out = run(
        &lake,
        &[fixture("runs").to_str().unwrap()],
        &IngestOptions::default(),
    )
    .await;
    let got: Vec<ManifestRow> = out
        .iter()
        .map(|o| {
            let r = &o.record;
            (
                r.week.clone().unwrap(),
                r.account_uid.clone(),
                r.status.clone(),
                r.findings,
                r.pass,
                r.fail,
                r.manual,
                r.muted,
            )
        })
        .collect();
    let row = |w: &str, a: &str, s: &str, n, p, f, m, mu| {
        (w.to_owned(), a.to_owned(), s.to_owned(), n, p, f, m, mu)
    };
    assert_eq!(
        got,
        [
            row("2026-W19", "111111111111", "succeeded", 32, 9, 22, 1, 0),
            row("2026-W19", "222222222222", "succeeded", 30, 4, 25, 1, 0),
            row("2026-W19", "333333333333", "succeeded", 26, 6, 20, 0, 0),
            row("2026-W20", "111111111111", "succeeded", 32, 10, 21, 1, 0),
            row("2026-W20", "222222222222", "succeeded", 30, 4, 25, 1, 0),
            row("2026-W20", "333333333333", "succeeded", 26, 6, 20, 0, 0),
            row("2026-W21", "111111111111", "succeeded", 31, 10, 20, 1, 0),
            row("2026-W21", "222222222222", "succeeded", 30, 4, 25, 1, 1),
            row("2026-W21", "333333333333", "partial", 4, 1, 3, 0, 0),
        ]
    );
    assert!(out.iter().all(|o| o.record.run_id
        == format!(
            "run-{}T020000Z",
            o.record.scan_time.unwrap().format("%Y%m%d")
        )));
    assert_eq!(out[8].record.regions, ["eu-west-1", "us-east-1"]);
}

/// (source, finding key, status, status detail) of every row of the Parquet files under
/// `dir` (relative) whose path starts with `prefix`, sorted: the rows, whatever their order.
fn rows_under(dir: &Path, prefix: &str) -> Vec<(String, String, String, String)> {
    let mut rows = Vec::new();
    for (rel, _) in snapshot(dir) {
        if !rel.starts_with(prefix) || !rel.ends_with(".parquet") {
            continue;
        }
        let b = read_local(&dir.join(&rel));
        let sources = strings(&b, "source_uri");
        let keys = strings(&b, "finding_key");
        let status = strings(&b, "status_code");
        let detail = strings(&b, "status_detail");
        for (((s, k), st), d) in sources.into_iter().zip(keys).zip(status).zip(detail) {
            rows.push((s, k, st, d));
        }
    }
    rows.sort();
    rows
}

fn parts_under(dir: &Path, prefix: &str) -> Vec<String> {
    snapshot(dir)
        .into_keys()
        .filter(|rel| rel.starts_with(prefix) && rel.ends_with(".parquet"))
        .collect()
}

#[tokio::test]
async fn a_compacted_copy_holds_the_partitions_rows_by_check_and_is_read_only_while_it_matches() {
    use lake_store::compact::{compact, usable, CompactOptions};
    let src = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake = Location::local(dir.path(), true).unwrap();
    let accounts = ["111111111111", "222222222222", "333333333333"];
    let files: Vec<String> = accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let p = scan_at(src.path(), "run-1", a, 2, 40 + 25 * i);
            p.to_str().unwrap().to_owned()
        })
        .collect();
    let specs: Vec<&str> = files.iter().map(String::as_str).collect();
    // Small batches: a file is several sorted batches, not one sorted run.
    let mut options = IngestOptions::default();
    options.decoder.batch_size = 16;
    run(&lake, &specs, &options).await;
    let dt = "2026-05-18";
    let copies = format!("_compact/findings/dt={dt}/");

    // The only partition is the newest: it is not closed, ingest leaves it alone.
    assert!(parts_under(dir.path(), &copies).is_empty());
    assert!(compact(&lake, &CompactOptions::default())
        .await
        .unwrap()
        .is_empty());

    // Compacted on demand into parts of about one source each.
    let every = CompactOptions {
        closed_after_days: None,
        part_bytes: 1,
        ..CompactOptions::default()
    };
    let done = compact(&lake, &every).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].dt.as_str(), done[0].sources), (dt, 3));
    let parts = parts_under(dir.path(), &copies);
    assert_eq!(parts.len(), 3, "{parts:?}");
    let originals = rows_under(dir.path(), "findings/");
    assert_eq!(done[0].rows, originals.len() as u64);
    assert_eq!(rows_under(dir.path(), &copies), originals, "the same rows");
    for part in &parts {
        let checks = strings(&read_local(&dir.path().join(part)), "check_id");
        assert!(
            checks.windows(2).all(|w| w[0] <= w[1]),
            "{part} by check_id"
        );
    }
    let copy = usable(&lake).await.unwrap();
    assert_eq!(copy.len(), 1);
    assert_eq!(copy[0].0, dt);
    assert!(
        compact(&lake, &every).await.unwrap().is_empty(),
        "already current"
    );

    // One part in one file with the default size: merged across sources, still by check.
    let copy_dir = dir.path().join(&copies);
    std::fs::remove_dir_all(&copy_dir).unwrap();
    let all = CompactOptions {
        closed_after_days: None,
        ..CompactOptions::default()
    };
    compact(&lake, &all).await.unwrap();
    let parts = parts_under(dir.path(), &copies);
    assert_eq!(parts.len(), 1);
    assert_eq!(rows_under(dir.path(), &copies), originals);
    let checks = strings(&read_local(&dir.path().join(&parts[0])), "check_id");
    assert!(checks.windows(2).all(|w| w[0] <= w[1]));

    // An incomplete copy is not read: without its marker, or with a part missing.
    let cover_dir = copy_dir.join(format!("cover={}", usable(&lake).await.unwrap()[0].1));
    let marker = cover_dir.join("_committed");
    let marker_bytes = std::fs::read(&marker).unwrap();
    std::fs::remove_file(&marker).unwrap();
    assert!(usable(&lake).await.unwrap().is_empty());
    std::fs::write(&marker, &marker_bytes).unwrap();
    assert_eq!(usable(&lake).await.unwrap().len(), 1);
    let part = dir.path().join(&parts[0]);
    let part_bytes = std::fs::read(&part).unwrap();
    std::fs::remove_file(&part).unwrap();
    assert!(usable(&lake).await.unwrap().is_empty());
    std::fs::write(&part, &part_bytes).unwrap();
    assert_eq!(usable(&lake).await.unwrap().len(), 1);

    // A file of the partition replaced (a later scan of account 1's run): the copy no
    // longer matches and is not read; the next compaction replaces it.
    let later = scan_at(src.path(), "run-1", accounts[0], 5, 60);
    run(&lake, &[later.to_str().unwrap()], &IngestOptions::default()).await;
    assert!(usable(&lake).await.unwrap().is_empty(), "stale");
    let done = compact(&lake, &all).await.unwrap();
    assert_eq!(done.len(), 1);
    let originals = rows_under(dir.path(), "findings/");
    assert_eq!(
        rows_under(dir.path(), &copies),
        originals,
        "only the new copy is left"
    );
    assert_eq!(usable(&lake).await.unwrap().len(), 1);

    // A file added: stale again.
    let d = scan_at(src.path(), "run-1", "444444444444", 3, 10);
    run(&lake, &[d.to_str().unwrap()], &IngestOptions::default()).await;
    assert!(usable(&lake).await.unwrap().is_empty());
}
