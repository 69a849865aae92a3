//! The change semantics, specified case by case on fixtures/semantics (built by
//! fixtures/make_semantics.py from real Prowler 5.46 findings): every finding a case touches
//! is listed with its exact class and reason, and the totals that depend on them are exact.
//!
//! A line reads `change reason account check region resource`, `-` for no reason; the
//! resource is the part of its uid after the last `:`.

use std::collections::BTreeMap;

use lake_query::{Lake, Params};
use serde_json::{json, Value};

use super::{fixtures, lake_of, rows, week};

const A: &str = "111111111111";
const B: &str = "222222222222";
const C: &str = "333333333333";
const D: &str = "444444444444";

async fn case(name: &str) -> (Lake, tempfile::TempDir) {
    lake_of(&[&fixtures().join("semantics").join(name)]).await
}

/// The diff of `params` as sorted lines.
async fn diff(lake: &Lake, params: &Params) -> Vec<String> {
    diff_lines(lake, params, false).await
}

/// The diff of `params` as sorted lines, each led by the finding's producer when
/// `with_source`.
async fn diff_lines(lake: &Lake, params: &Params, with_source: bool) -> Vec<String> {
    let mut lines: Vec<String> = rows(&lake.run("diff", params).await.unwrap())
        .iter()
        .map(|r| {
            let reason = if r["reason"].is_empty() {
                "-"
            } else {
                &r["reason"]
            };
            let resource = r["resource_uid"].rsplit(':').next().unwrap();
            let line = format!(
                "{} {} {} {} {} {}",
                r["change"], reason, r["account_uid"], r["check_id"], r["region"], resource
            );
            if with_source {
                format!("{} {line}", r["source"])
            } else {
                line
            }
        })
        .collect();
    lines.sort();
    lines
}

/// The same failing findings of the base account (fixtures/make_semantics.py `base`),
/// one line each with `change reason`.
fn base_failing(change_reason: &str, account: &str) -> Vec<String> {
    [
        "{X} ec2_ebs_volume_encryption us-east-1 volume/vol-1",
        "{X} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
        "{X} ec2_securitygroup_default_restrict_traffic us-east-1 security-group/sg-1",
        "{X} iam_user_mfa_enabled us-east-1 user/alice",
        "{X} s3_bucket_public_access us-east-1 logs-{X}",
        "{X} s3_bucket_public_access eu-west-1 exports-{X}",
        "{X} cloudtrail_multi_region_enabled us-east-1 {X}",
        "{X} cloudtrail_multi_region_enabled eu-west-1 {X}",
        "{X} cloudtrail_bedrock_logging_enabled us-east-1 {X}",
    ]
    .iter()
    .map(|l| format!("{change_reason} {}", l.replace("{X}", account)))
    .collect()
}

/// `all` with the lines about `resource` of `check` in `account` replaced by `line`.
fn with(mut all: Vec<String>, account: &str, check_resource: &str, line: &str) -> Vec<String> {
    let needle = format!(" {account} {check_resource}");
    let before = all.len();
    all.retain(|l| !l.contains(&needle));
    assert_eq!(before - all.len(), 1, "{needle} names one finding");
    all.push(line.replace("{A}", A).replace("{B}", B).replace("{C}", C));
    all.sort();
    all
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The `trend` row of the latest week with data.
async fn latest_trend(lake: &Lake) -> Vec<BTreeMap<String, String>> {
    let latest = Params {
        weeks: Some(1),
        ..Params::default()
    };
    rows(&lake.run("trend", &latest).await.unwrap())
}

async fn summary(lake: &Lake, params: &Params) -> Value {
    lake.summary(params).await.unwrap()
}

#[tokio::test]
async fn a_re_run_of_one_check_replaces_that_check_only() {
    let (lake, _dir) = case("rerun").await;
    let p = week("2026-W21");
    let expected = with(
        base_failing("persisting -", A),
        A,
        "ec2_ebs_volume_encryption us-east-1",
        "resolved - {A} ec2_ebs_volume_encryption us-east-1 volume/vol-1",
    );
    assert_eq!(diff(&lake, &p).await, expected);
    // The week's state: every finding once, the re-run's for its check, Monday's for the rest.
    let state = rows(
        &lake
            .sql("SELECT run_id, count(*) AS n FROM latest_findings WHERE week = '2026-W21' GROUP BY run_id ORDER BY run_id")
            .await
            .unwrap(),
    );
    let by_run: Vec<(String, String)> = state
        .iter()
        .map(|r| (r["run_id"].clone(), r["n"].clone()))
        .collect();
    assert_eq!(
        by_run,
        [
            ("run-20260518T020000Z".to_owned(), "9".to_owned()),
            ("run-20260520T140000Z".to_owned(), "3".to_owned())
        ]
    );
    let s = summary(&lake, &p).await;
    assert_eq!(
        s["changes"],
        json!({"new": 0, "regressed": 0, "onboarded": 0, "persisting": 8, "resolved": 1,
               "unverified": 0, "muted": 0})
    );
    assert_eq!(s["totals"]["findings"], 12);
    assert_eq!(s["open_fail_by_severity"]["delta"]["medium"], -1);
}

#[tokio::test]
async fn a_check_that_errored_leaves_its_failures_unverified() {
    // EC2 hit AccessDenied in eu-west-1 (no EC2 finding there at all); iam_user_mfa_enabled
    // raised (no finding of it anywhere). Their failures are not resolved.
    let (lake, _dir) = case("errored").await;
    let mut expected = with(
        base_failing("persisting -", A),
        A,
        "ec2_ebs_volume_encryption eu-west-1",
        "unverified check_not_observed {A} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
    );
    expected = with(
        expected,
        A,
        "iam_user_mfa_enabled",
        "unverified check_not_observed {A} iam_user_mfa_enabled us-east-1 user/alice",
    );
    assert_eq!(diff(&lake, &week("2026-W21")).await, expected);
    let s = summary(&lake, &week("2026-W21")).await;
    assert_eq!(s["changes"]["resolved"], 0);
    assert_eq!(s["unverified_reasons"], json!({"check_not_observed": 2}));
    // Like for like: the two unobserved cells leave the delta (their failures are counted
    // apart, as not compared), so open FAIL did not "drop by 2".
    let sev = &s["open_fail_by_severity"];
    assert_eq!(sev["delta"]["critical"], 0);
    assert_eq!(sev["delta"]["medium"], 0);
    assert_eq!(sev["not_compared"]["previous"]["critical"], 1);
    assert_eq!(sev["not_compared"]["previous"]["medium"], 1);
}

#[tokio::test]
async fn a_check_quiet_in_a_region_where_its_resource_is_still_reported_is_unverified() {
    // The encryption check reports nothing in eu-west-1 this week, though EC2 reports there
    // and its snapshot check still reports vol-2: the volume was not deleted, so the
    // encryption failure on it is not resolved (the check, not the resource, went quiet).
    let (lake, _dir) = case("quiet_check").await;
    let expected = with(
        base_failing("persisting -", A),
        A,
        "ec2_ebs_volume_encryption eu-west-1",
        "unverified check_not_observed {A} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
    );
    assert_eq!(diff(&lake, &week("2026-W21")).await, expected);
    let s = summary(&lake, &week("2026-W21")).await;
    assert_eq!(s["changes"]["resolved"], 0);
    assert_eq!(s["unverified_reasons"], json!({"check_not_observed": 1}));
}

#[tokio::test]
async fn a_failure_its_check_skipped_last_week_is_neither_new_nor_regressed_when_it_reports_again()
{
    // W22: the encryption check reports in eu-west-1 again and vol-2 still fails. W21's
    // silence there was no evidence (the snapshot check reported vol-2 all along), so the
    // failure is onboarded for want of a baseline, not a regression of a W20 failure.
    let (lake, _dir) = case("quiet_check").await;
    let expected = with(
        base_failing("persisting -", A),
        A,
        "ec2_ebs_volume_encryption eu-west-1",
        "onboarded check_not_observed {A} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
    );
    assert_eq!(diff(&lake, &week("2026-W22")).await, expected);
    let s = summary(&lake, &week("2026-W22")).await;
    assert_eq!(s["changes"]["regressed"], 0);
    assert_eq!(s["changes"]["new"], 0);
    assert_eq!(s["changes"]["onboarded"], 1);
}

#[tokio::test]
async fn a_setting_whose_check_errored_in_a_region_is_not_resolved_nor_then_regressed() {
    // EBS encryption by default fails in both regions; in W21 its check errors in
    // eu-west-1 (EC2's other checks still report there), in W22 it runs again. The region's
    // setting is a resource no other check reports: its absence cannot be told from the
    // check's, so W21 proves no fix and W22 no regression.
    let (lake, _dir) = case("setting_check").await;
    let setting = |change_reason: &str, region: &str| {
        format!("{change_reason} {A} ec2_ebs_default_encryption {region} volume")
    };
    let mut w21 = base_failing("persisting -", A);
    w21.push(setting("persisting -", "us-east-1"));
    w21.push(setting("unverified check_not_observed", "eu-west-1"));
    w21.sort();
    assert_eq!(diff(&lake, &week("2026-W21")).await, w21);
    let mut w22 = base_failing("persisting -", A);
    w22.push(setting("persisting -", "us-east-1"));
    w22.push(setting("onboarded check_not_observed", "eu-west-1"));
    w22.sort();
    assert_eq!(diff(&lake, &week("2026-W22")).await, w22);
    let s = summary(&lake, &week("2026-W22")).await;
    assert_eq!(
        (
            s["changes"]["regressed"].as_i64(),
            s["changes"]["new"].as_i64()
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn a_region_left_unscanned_moves_no_delta_and_reopens_nothing() {
    // W21 scans us-east-1 only. The bucket of eu-west-1 (S3 is global: its check's cell is
    // observed from us-east-1) is unverified, and the like-for-like delta leaves it out
    // rather than counting a Critical fix; W22 scans both regions again: the region's
    // failures persist (baseline carried from W20), and the bucket has been open since W20,
    // never resolved.
    let (lake, _dir) = case("region_skipped").await;
    let mut w21: Vec<String> = base_failing("persisting -", A)
        .into_iter()
        .filter(|l| !l.contains(" eu-west-1 "))
        .collect();
    for line in [
        "unverified region_not_observed {A} s3_bucket_public_access eu-west-1 exports-{A}",
        "unverified region_not_observed {A} cloudtrail_multi_region_enabled eu-west-1 {A}",
        "unverified region_not_observed {A} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
    ] {
        w21.push(line.replace("{A}", A));
    }
    w21.sort();
    assert_eq!(diff(&lake, &week("2026-W21")).await, w21);
    let s = summary(&lake, &week("2026-W21")).await;
    let sev = &s["open_fail_by_severity"];
    assert_eq!(sev["delta"]["critical"], 0);
    assert_eq!(sev["not_compared"]["previous"]["critical"], 1);
    let posture = rows(&lake.run("posture", &week("2026-W21")).await.unwrap());
    assert_eq!(
        (
            posture[0]["fail_delta"].as_str(),
            posture[0]["previous_fail_not_compared"].as_str()
        ),
        ("0", "3")
    );
    // W22: eu-west-1 is scanned again; its baseline is carried from W20, the last week that
    // scanned it: what failed then and fails now persists (not "onboarded").
    let w22: Vec<String> = base_failing("persisting -", A)
        .into_iter()
        .map(|l| {
            if l.contains(" eu-west-1 ") {
                l.replacen("persisting -", "persisting baseline_carried", 1)
            } else {
                l
            }
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(diff(&lake, &week("2026-W22")).await, w22);
    let open = rows(&lake.run("priorities", &week("2026-W22")).await.unwrap());
    let bucket = open
        .iter()
        .find(|r| r["resource_uid"].ends_with(&format!(":exports-{A}")))
        .unwrap();
    assert_eq!(
        (
            bucket["open_since"].as_str(),
            bucket["resolved_at"].as_str(),
            bucket["times_reopened"].as_str()
        ),
        ("2026-W20", "", "0")
    );
    assert_eq!(bucket["status"], "open");
}

#[tokio::test]
async fn a_scan_that_reported_nothing_is_no_comparison_rather_than_zero_failures() {
    // W21: A's file is `[]`. Its failures are unverified; the summary lists A as a scan
    // that reported nothing (not as scanned), every like-for-like delta is n/a, and posture
    // still has its overall row, with W20's failures counted as not compared.
    let (lake, _dir) = case("empty_array").await;
    let mut unverified = base_failing("unverified account_not_observed", A);
    unverified.sort();
    assert_eq!(diff(&lake, &week("2026-W21")).await, unverified);
    let s = summary(&lake, &week("2026-W21")).await;
    assert_eq!(s["scope"]["accounts_scanned"], json!([]));
    assert_eq!(s["scope"]["accounts_empty"], json!([{"account": A}]));
    assert_eq!(s["open_fail_by_severity"]["delta"], Value::Null);
    assert_eq!(
        s["open_fail_by_severity"]["not_compared"]["previous"]["critical"],
        3
    );
    let posture = rows(&lake.run("posture", &week("2026-W21")).await.unwrap());
    assert_eq!(posture.len(), 1);
    assert_eq!(
        (
            posture[0]["fail"].as_str(),
            posture[0]["fail_delta"].as_str(),
            posture[0]["previous_fail_not_compared"].as_str()
        ),
        ("0", "", "9")
    );
    let report = lake
        .weekly_report(&week("2026-W21"), &lake_query::ReportOptions::default())
        .await
        .unwrap()
        .report;
    assert!(report.open_fail.iter().all(|s| s.delta.is_none()));
    assert_eq!(report.coverage.empty, [A]);
    assert!(report.coverage.scanned.is_empty());
}

#[tokio::test]
async fn real_fixes_come_out_resolved_whatever_prowler_then_reports() {
    let (lake, _dir) = case("fixes").await;
    let mut expected = base_failing("persisting -", A);
    for (check_resource, line) in [
        // The only volume of eu-west-1 deleted: the check ran (us-east-1) and EC2 still
        // reports in eu-west-1.
        (
            "ec2_ebs_volume_encryption eu-west-1",
            "resolved absent_service_scanned {A} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
        ),
        // Fixed in place: PASS.
        (
            "ec2_securitygroup_default_restrict_traffic",
            "resolved - {A} ec2_securitygroup_default_restrict_traffic us-east-1 security-group/sg-1",
        ),
        // A user deleted: IAM is global, the check still reports bob.
        (
            "iam_user_mfa_enabled",
            "resolved absent {A} iam_user_mfa_enabled us-east-1 user/alice",
        ),
        // The only bucket of eu-west-1 deleted: S3 is listed whole.
        (
            "s3_bucket_public_access eu-west-1",
            "resolved absent {A} s3_bucket_public_access eu-west-1 exports-{A}",
        ),
        // A multi-region trail created: the FAILs named after the account disappear, PASSes
        // named after the trail appear in both regions.
        (
            "cloudtrail_multi_region_enabled us-east-1",
            "resolved absent {A} cloudtrail_multi_region_enabled us-east-1 {A}",
        ),
        (
            "cloudtrail_multi_region_enabled eu-west-1",
            "resolved absent {A} cloudtrail_multi_region_enabled eu-west-1 {A}",
        ),
    ] {
        expected = with(expected, A, check_resource, line);
    }
    // B: the account-level Bedrock logging check's only finding moved from us-east-1 (FAIL,
    // the account) to eu-west-1 (PASS, the trail).
    let mut b: Vec<String> = base_failing("persisting -", B)
        .into_iter()
        .filter(|l| !l.contains("cloudtrail"))
        .collect();
    b.push(format!(
        "resolved absent_check_moved_region {B} cloudtrail_bedrock_logging_enabled us-east-1 {B}"
    ));
    expected.extend(b);
    assert_eq!(diff(&lake, &week("2026-W21")).await, sorted(expected));
    let s = summary(&lake, &week("2026-W21")).await;
    assert_eq!(s["changes"]["resolved"], 7);
    assert_eq!(s["changes"]["unverified"], 0);
}

/// `all` with the lines of A's cells that the truncated W20 scan of `bad_baseline` reported
/// (its first four findings) changed from `from` to `to`.
fn truncated_cells(mut all: Vec<String>, from: &str, to: &str) -> Vec<String> {
    for check_resource in [
        "ec2_ebs_volume_encryption us-east-1",
        "ec2_ebs_volume_encryption eu-west-1",
        "ec2_securitygroup_default_restrict_traffic",
    ] {
        let line = all
            .iter()
            .find(|l| l.contains(check_resource))
            .unwrap()
            .replace(from, to);
        all = with(all, A, check_resource, &line);
    }
    all
}

#[tokio::test]
async fn a_bad_baseline_week_is_bridged_never_new() {
    // W20: A truncated after 4 findings, B failed, C not scanned; W21 all complete.
    let (lake, _dir) = case("bad_baseline").await;
    let mut expected: Vec<String> = base_failing("persisting baseline_carried", A);
    // The truncated scan's own cells: what it reported stands for W20.
    expected = truncated_cells(expected, "persisting baseline_carried", "persisting -");
    expected.extend(base_failing("persisting baseline_carried", B));
    let mut c = with(
        base_failing("persisting baseline_carried", C),
        C,
        "iam_user_mfa_enabled",
        "resolved - {C} iam_user_mfa_enabled us-east-1 user/alice",
    );
    c.push(format!(
        "new baseline_carried {C} ec2_ebs_volume_encryption us-east-1 volume/vol-9"
    ));
    expected.extend(c);
    assert_eq!(diff(&lake, &week("2026-W21")).await, sorted(expected));
    // The baseline of the carried findings is W19, and the diff says so.
    let carried = rows(&lake.run("diff", &week("2026-W21")).await.unwrap());
    assert!(carried
        .iter()
        .filter(|r| r["reason"] == "baseline_carried" || r["account_uid"] != A)
        .all(|r| r["baseline_week"] == "2026-W19"));

    // The bad week itself, against W19: nothing resolved, each for its reason.
    let mut w20 = truncated_cells(
        base_failing("unverified scan_partial", A),
        "unverified scan_partial",
        "persisting -",
    );
    w20.extend(base_failing("unverified scan_failed", B));
    w20.extend(base_failing("unverified account_not_scanned", C));
    assert_eq!(diff(&lake, &week("2026-W20")).await, sorted(w20));
}

#[tokio::test]
async fn a_scan_whose_findings_file_was_replaced_after_its_row_counts_as_failed() {
    // A's W20 findings file replaced by other findings (another ingest of the scan committed
    // its file and died before its row): A's row no longer describes its file, so A reads
    // as a failed scan, never as A's row over someone else's findings.
    let (lake, dir) = case("missing_account").await;
    let at = |rel: &str| dir.path().join("findings").join(rel);
    std::fs::copy(
        at("dt=2026-05-04/222222222222-run-20260504T020000Z.parquet"),
        at("dt=2026-05-11/111111111111-run-20260511T020000Z.parquet"),
    )
    .unwrap();
    // W20 held A's scan alone: it now has no data, and W21 is compared with W19.
    assert_eq!(
        lake.weeks().await.unwrap(),
        ["2026-W19", "2026-W21", "2026-W22"]
    );
    let mut w21 = base_failing("persisting -", A);
    w21.extend(base_failing("unverified account_not_scanned", B));
    assert_eq!(diff(&lake, &week("2026-W21")).await, sorted(w21));
}

#[tokio::test]
async fn an_unscanned_account_stays_missing_and_out_of_the_deltas() {
    // B scanned in W19, not in W20 and W21, back in W22 with sg-1 fixed.
    let (lake, _dir) = case("missing_account").await;
    let mut w20 = base_failing("persisting -", A);
    w20.extend(base_failing("unverified account_not_scanned", B));
    assert_eq!(diff(&lake, &week("2026-W20")).await, sorted(w20));
    assert_eq!(
        diff(&lake, &week("2026-W21")).await,
        sorted(base_failing("persisting -", A))
    );
    let mut w22 = base_failing("persisting -", A);
    w22.extend(with(
        base_failing("persisting baseline_carried", B),
        B,
        "ec2_securitygroup_default_restrict_traffic",
        "resolved - {B} ec2_securitygroup_default_restrict_traffic us-east-1 security-group/sg-1",
    ));
    assert_eq!(diff(&lake, &week("2026-W22")).await, sorted(w22));

    for (w, weeks_missing) in [("2026-W20", 1), ("2026-W21", 2)] {
        let s = summary(&lake, &week(w)).await;
        assert_eq!(s["scope"]["accounts_scanned"], json!([A]), "{w}");
        assert_eq!(
            s["scope"]["accounts_missing"],
            json!([{"account": B, "last_seen": "2026-W19", "weeks_missing": weeks_missing}]),
            "{w}"
        );
        // A missing account is no improvement: the delta compares A with A.
        assert_eq!(s["open_fail_by_severity"]["delta"]["critical"], 0, "{w}");
    }
    let s20 = summary(&lake, &week("2026-W20")).await;
    assert_eq!(
        s20["open_fail_by_severity"]["not_compared"]["previous"]["critical"], 3,
        "B's three critical failures of W19 are left out, and said so"
    );

    let posture = rows(&lake.run("posture", &week("2026-W20")).await.unwrap());
    let overall = &posture[0];
    assert_eq!(
        (
            overall["fail"].as_str(),
            overall["fail_delta"].as_str(),
            overall["previous_fail_not_compared"].as_str(),
            overall["pass_rate_delta"].as_str()
        ),
        ("9", "0", "9", "0.0")
    );

    let trend = rows(&lake.run("trend", &Params::default()).await.unwrap());
    let col = |k: &str| trend.iter().map(|r| r[k].clone()).collect::<Vec<_>>();
    assert_eq!(
        col("week"),
        ["2026-W19", "2026-W20", "2026-W21", "2026-W22"]
    );
    assert_eq!(col("accounts_scanned"), ["2", "1", "1", "2"]);
    assert_eq!(col("accounts_missing"), ["0", "1", "1", "0"]);
    assert_eq!(col("open_fail"), ["18", "9", "9", "17"]);
    assert_eq!(col("open_fail_delta"), ["", "0", "0", "0"]);
    assert_eq!(col("unverified"), ["0", "9", "0", "0"]);
    assert_eq!(col("resolved"), ["0", "0", "0", "1"]);
}

#[tokio::test]
async fn a_newly_onboarded_account_or_check_is_not_new() {
    let (lake, _dir) = case("onboarded").await;
    let mut expected = base_failing("persisting -", A);
    expected.push(format!(
        "new absent_before {A} ec2_ebs_volume_encryption us-east-1 volume/vol-4"
    ));
    expected.push(format!(
        "onboarded check_not_in_baseline {A} ec2_instance_imdsv2_enabled us-east-1 instance/i-1"
    ));
    expected.extend(base_failing("onboarded account_first_scanned", D));
    assert_eq!(diff(&lake, &week("2026-W21")).await, sorted(expected));
    let s = summary(&lake, &week("2026-W21")).await;
    assert_eq!(s["scope"]["accounts_onboarded"], json!([D]));
    assert_eq!(s["changes"]["new"], 1);
    assert_eq!(s["changes"]["onboarded"], 10);
    let overall = &rows(&lake.run("posture", &week("2026-W21")).await.unwrap())[0];
    assert_eq!(
        (
            overall["fail"].as_str(),
            overall["fail_delta"].as_str(),
            overall["fail_not_compared"].as_str()
        ),
        ("20", "1", "10")
    );
}

#[tokio::test]
async fn an_account_that_drops_out_of_a_shared_file_is_unverified() {
    // One Azure file held two subscriptions; in W21 it holds the first only.
    let (lake, _dir) = case("multi_account").await;
    let sub1 = "8b5e3c2d-7f1a-4e9b-a6c3-2d4f8e1b9a70";
    let sub2 = "5d2f1c0e-3a4b-4c6d-8e9f-0a1b2c3d4e5f";
    let mut expected = Vec::new();
    for (sub, change) in [
        (sub1, "persisting -"),
        (sub2, "unverified account_not_observed"),
    ] {
        let short = &sub[..6];
        for (check, region, resource) in [
            (
                "keyvault_rbac_enabled",
                "westeurope",
                format!("/subscriptions/{sub}/resourceGroups/rg-keyvault/providers/Microsoft.Keyvault/kv-{short}"),
            ),
            (
                "network_ssh_internet_access_restricted",
                "northeurope",
                format!("/subscriptions/{sub}/resourceGroups/rg-network/providers/Microsoft.Network/nsg-{short}"),
            ),
            (
                "storage_secure_transfer_required_is_enabled",
                "westeurope",
                format!("/subscriptions/{sub}/resourceGroups/rg-storage/providers/Microsoft.Storage/st{short}"),
            ),
        ] {
            expected.push(format!("{change} {sub} {check} {region} {resource}"));
        }
    }
    assert_eq!(diff(&lake, &week("2026-W21")).await, sorted(expected));
}

#[tokio::test]
async fn a_key_seen_twice_in_a_week_counts_once() {
    // The tenant's Entra finding is in both subscriptions' files; one file has a finding
    // twice.
    let (lake, _dir) = case("duplicates").await;
    let d = diff(&lake, &week("2026-W21")).await;
    assert_eq!(d.len(), 7, "{d:#?}");
    assert!(d.iter().all(|l| l.starts_with("persisting - ")), "{d:#?}");
    let state = rows(
        &lake
            .sql("SELECT count(*) AS n, count(DISTINCT finding_key) AS keys FROM latest_findings WHERE week = '2026-W21'")
            .await
            .unwrap(),
    );
    assert_eq!(
        (state[0]["n"].as_str(), state[0]["keys"].as_str()),
        ("9", "9")
    );
    let overall = &rows(&lake.run("posture", &week("2026-W21")).await.unwrap())[0];
    assert_eq!(
        (overall["fail"].as_str(), overall["pass"].as_str()),
        ("7", "2")
    );
}

#[tokio::test]
async fn lookback_agrees_with_diff_about_failing_now() {
    let lookback = |check: &str, as_of: &str| {
        let mut p = Params {
            as_of: Some(as_of.parse().unwrap()),
            days: Some(21),
            ..Params::default()
        };
        p.set_check(check).unwrap();
        p
    };
    let failing_now = |rows: &[BTreeMap<String, String>]| -> Vec<String> {
        let mut out: Vec<String> = rows
            .iter()
            .map(|r| {
                let resource = r["resource_uid"].rsplit(':').next().unwrap();
                format!("{} {} {}", r["account_uid"], resource, r["failing_now"])
            })
            .collect();
        out.sort();
        out
    };
    // A deleted volume: diff calls it resolved, so it is not failing now.
    let (lake, _dir) = case("fixes").await;
    let r = rows(
        &lake
            .run(
                "lookback",
                &lookback("ec2_ebs_volume_encryption", "2026-05-24"),
            )
            .await
            .unwrap(),
    );
    assert_eq!(
        failing_now(&r),
        sorted(vec![
            format!("{A} volume/vol-1 true"),
            format!("{A} volume/vol-2 false"),
            format!("{A} volume/vol-3 false"),
            format!("{B} volume/vol-1 true"),
            format!("{B} volume/vol-2 true"),
            format!("{B} volume/vol-3 false"),
        ])
    );
    // An errored check and an unscanned account: unknown, not "not failing".
    let (lake, _dir) = case("errored").await;
    let r = rows(
        &lake
            .run("lookback", &lookback("iam_user_mfa_enabled", "2026-05-24"))
            .await
            .unwrap(),
    );
    assert_eq!(
        failing_now(&r),
        [format!("{A} user/alice "), format!("{A} user/bob false")]
    );
    let (lake, _dir) = case("missing_account").await;
    let r = rows(
        &lake
            .run("lookback", &lookback("iam_user_mfa_enabled", "2026-05-24"))
            .await
            .unwrap(),
    );
    assert_eq!(
        failing_now(&r),
        sorted(vec![
            format!("{A} user/alice true"),
            format!("{A} user/bob false"),
            format!("{B} user/alice "),
            format!("{B} user/bob "),
        ])
    );
}

#[tokio::test]
async fn muted_findings_are_left_out_of_every_count_the_same_way() {
    // W21: alice's failure muted; vol-1 (muted) fixed; vol-4 new but muted.
    let (lake, _dir) = case("muted").await;
    let d = rows(&lake.run("diff", &week("2026-W21")).await.unwrap());
    let muted: Vec<(String, String)> = d
        .iter()
        .filter(|r| r["muted"] == "true")
        .map(|r| {
            (
                r["change"].clone(),
                r["resource_uid"].rsplit(':').next().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        sorted(muted.iter().map(|(c, r)| format!("{c} {r}")).collect()),
        [
            "new volume/vol-4",
            "persisting user/alice",
            "resolved volume/vol-1"
        ]
    );
    let s = summary(&lake, &week("2026-W21")).await;
    assert_eq!(
        s["changes"],
        json!({"new": 0, "regressed": 0, "onboarded": 0, "persisting": 7, "resolved": 0,
               "unverified": 0, "muted": 3})
    );
    assert_eq!(s["muted_fail"], json!({"current": 2, "previous": 1}));
    let overall = &rows(&lake.run("posture", &week("2026-W21")).await.unwrap())[0];
    assert_eq!(
        (
            overall["fail"].as_str(),
            overall["muted"].as_str(),
            overall["fail_delta"].as_str()
        ),
        ("7", "3", "-1")
    );
    let trend = latest_trend(&lake).await;
    assert_eq!(
        (
            trend[0]["new"].as_str(),
            trend[0]["resolved"].as_str(),
            trend[0]["open_fail"].as_str(),
            trend[0]["muted_fail"].as_str()
        ),
        ("0", "0", "7", "2")
    );
    // The sample shows open failures only: alice's finding is not one.
    let sample = s["sample"].as_array().unwrap();
    assert!(!sample.is_empty());
    assert!(sample.iter().all(|x| !x.to_string().contains("alice")));
}

#[tokio::test]
async fn the_first_week_of_a_lake_is_onboarded_not_new() {
    let (lake, _dir) = case("rerun").await;
    let d = diff(&lake, &week("2026-W20")).await;
    assert_eq!(
        d,
        sorted(base_failing("onboarded account_first_scanned", A))
    );
}

/// The lines of the diff of `params` with the producer first: `source change reason ...`.
async fn diff_by_source(lake: &Lake, params: &Params) -> Vec<String> {
    diff_lines(lake, params, true).await
}

#[tokio::test]
async fn each_producer_is_judged_on_its_own_evidence() {
    let (lake, _dir) = case("producers").await;
    let p = week("2026-W21");
    let prowler: Vec<String> = [
        // A: complete both weeks, vol-1 fixed.
        "persisting - {A} cloudtrail_bedrock_logging_enabled us-east-1 {A}",
        "persisting - {A} cloudtrail_multi_region_enabled eu-west-1 {A}",
        "persisting - {A} cloudtrail_multi_region_enabled us-east-1 {A}",
        "persisting - {A} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
        "persisting - {A} ec2_securitygroup_default_restrict_traffic us-east-1 security-group/sg-1",
        "persisting - {A} iam_user_mfa_enabled us-east-1 user/alice",
        "persisting - {A} s3_bucket_public_access eu-west-1 exports-{A}",
        "persisting - {A} s3_bucket_public_access us-east-1 logs-{A}",
        "resolved - {A} ec2_ebs_volume_encryption us-east-1 volume/vol-1",
        // C: Prowler's scan was cut after 4 findings. Security Hub's complete export of C
        // the same week is no evidence about Prowler's checks.
        "persisting - {C} ec2_ebs_volume_encryption eu-west-1 volume/vol-2",
        "persisting - {C} ec2_ebs_volume_encryption us-east-1 volume/vol-1",
        "persisting - {C} ec2_securitygroup_default_restrict_traffic us-east-1 security-group/sg-1",
        "unverified scan_partial {C} cloudtrail_bedrock_logging_enabled us-east-1 {C}",
        "unverified scan_partial {C} cloudtrail_multi_region_enabled eu-west-1 {C}",
        "unverified scan_partial {C} cloudtrail_multi_region_enabled us-east-1 {C}",
        "unverified scan_partial {C} iam_user_mfa_enabled us-east-1 user/alice",
        "unverified scan_partial {C} s3_bucket_public_access eu-west-1 exports-{C}",
        "unverified scan_partial {C} s3_bucket_public_access us-east-1 logs-{C}",
    ]
    .iter()
    .map(|l| format!("prowler {}", l.replace("{A}", A).replace("{C}", C)))
    .collect();
    let prowler = sorted(prowler);
    let securityhub: Vec<String> = [
        "onboarded check_not_in_baseline {A} EC2.19 us-east-1 sg-9",
        "persisting - {A} EC2.7 us-east-1 {A}",
        "resolved - {A} S3.8 us-east-1 logs-{A}",
        // GuardDuty's threat, marked Resolved.
        "resolved - {A} Stealth:IAMUser/CloudTrailLoggingDisabled us-east-1 ASIA4U76YS3TEOA3O",
        // Its finding was closed: no longer current is not evidence of a fix, and Prowler's
        // complete scan of A is no evidence about a Security Hub control.
        "unverified check_not_observed {A} IAM.6 us-east-1 root",
        // Security Hub's first export of C: onboarded, though Prowler has scanned C for
        // weeks.
        "onboarded account_first_scanned {C} EC2.7 us-east-1 {C}",
        "onboarded account_first_scanned {C} S3.8 us-east-1 logs-{C}",
    ]
    .iter()
    .map(|l| format!("securityhub {}", l.replace("{A}", A).replace("{C}", C)))
    .collect();
    let securityhub = sorted(securityhub);
    assert_eq!(
        diff_by_source(&lake, &p).await,
        sorted([prowler.clone(), securityhub.clone()].concat())
    );

    // `--source` reads one producer's scans as if the lake held nothing else: the same lines
    // as a lake of Prowler's files alone.
    let only = |source: &str| {
        let mut p = week("2026-W21");
        p.set_source(source).unwrap();
        p
    };
    assert_eq!(diff_by_source(&lake, &only("prowler")).await, prowler);
    assert_eq!(
        diff_by_source(&lake, &only("securityhub")).await,
        securityhub
    );
    let root = fixtures().join("semantics/producers");
    let dirs: Vec<std::path::PathBuf> = [
        "2026-W20/run-20260511T020000Z",
        "2026-W21/run-20260518T020000Z",
    ]
    .iter()
    .flat_map(|run| [A, C].map(|acct| root.join(run).join(acct).join("json-ocsf")))
    .collect();
    let (prowler_alone, _dir2) =
        lake_of(&dirs.iter().map(|d| d.as_path()).collect::<Vec<_>>()).await;
    assert_eq!(diff_by_source(&prowler_alone, &p).await, prowler);

    // The summary counts each producer apart.
    let s = summary(&lake, &p).await;
    assert_eq!(
        s["sources"],
        json!({
            "prowler": {"findings": 16, "open_fail": 11, "new": 0, "regressed": 0,
                        "resolved": 1, "unverified": 6, "onboarded": 0},
            "securityhub": {"findings": 7, "open_fail": 4, "new": 0, "regressed": 0,
                            "resolved": 2, "unverified": 1, "onboarded": 3},
        })
    );
    assert_eq!(
        s["changes"],
        json!({"new": 0, "regressed": 0, "onboarded": 3, "persisting": 12, "resolved": 3,
               "unverified": 7, "muted": 0})
    );
    // C was scanned completely by Security Hub, partially by Prowler: partial (Prowler's).
    assert_eq!(s["scope"]["accounts_scanned"], json!([A, C]));
    assert_eq!(s["scope"]["accounts_partial"][0]["account"], C);
    assert!(s["scope"]["accounts_partial"][0].get("source").is_none());
    assert_eq!(s["scope"]["accounts_partial"].as_array().unwrap().len(), 1);
    // The trend counts accounts, not producers: C is new to Security Hub, not to the lake,
    // and incomplete (Prowler's scan of it was cut).
    let trend = latest_trend(&lake).await;
    assert_eq!(
        (
            trend[0]["accounts_scanned"].as_str(),
            trend[0]["accounts_incomplete"].as_str(),
            trend[0]["accounts_onboarded"].as_str(),
            trend[0]["onboarded"].as_str()
        ),
        ("2", "1", "0", "3")
    );
    // What was not kept is said, not hidden: the export's closed and unevaluated findings.
    let warnings = rows(
        &lake
            .sql("SELECT source_product, array_to_string(warnings, '; ') AS w FROM scans WHERE week = '2026-W21' AND account_uid = '111111111111' ORDER BY 1")
            .await
            .unwrap(),
    );
    assert_eq!(
        warnings.iter().map(|r| (r["source_product"].as_str(), r["w"].as_str())).collect::<Vec<_>>(),
        [
            ("prowler", ""),
            ("securityhub", "1 findings not current (archived, closed or deleted records) not kept; 1 findings whose check could not be evaluated (not available) not kept"),
        ]
    );
}
