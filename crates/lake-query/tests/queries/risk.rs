//! Owners, lifecycle and risk, specified on fixtures/risk (built by fixtures/make_risk.py):
//! five weeks of two production accounts and their context file. Every open finding of the
//! last week is listed with its score, band and reason in the order `priorities` gives; the
//! lifecycle of each is hand-computed from the scans the generator writes.
//!
//! The histories (weeks 2026-W18 to W22; account 2 was not scanned in W21):
//! - static-css, customer-export (account 1): PASS, then public in W22 (new)
//! - deploy-bot (account 1): its stale key and its admin policy fail from W22 (new)
//! - i-1 (account 1): FAIL W18, W19; PASS W20 (resolved); FAIL W21, W22 (came back)
//! - sg-1, i-9 (account 2): FAIL every scanned week; W21 is a gap, not a resolution
//! - vol-2 (account 2): FAIL W18; absent W19 while vol-3 kept its cell observed (resolved);
//!   FAIL W20, W22

use lake_core::context::VersionInfo;
use lake_query::{Lake, Params};

use super::{fixtures, lake_of, rows};

async fn risk_lake(context: bool) -> (Lake, tempfile::TempDir) {
    let (lake, dir) = lake_of(&[&fixtures().join("risk/scans")]).await;
    if context {
        set_context(&lake, &read_fixture_context(), "2026-W18").await;
    }
    (lake, dir)
}

pub(super) fn read_fixture_context() -> String {
    std::fs::read_to_string(fixtures().join("risk/context.yaml")).unwrap()
}

pub(super) async fn set_context(lake: &Lake, text: &str, from: &str) -> i64 {
    let context = lake_core::context::parse(text).unwrap();
    let info = VersionInfo {
        version: 0,
        effective_week: from.parse().unwrap(),
        set_at_micros: 0,
        source: "context.yaml".into(),
        sha256: String::new(),
    };
    lake_store::context::set(lake.location(), &context, &info)
        .await
        .unwrap()
        .version
}

fn params(week: &str, filters: &[&str]) -> Params {
    let mut p = Params {
        week: Some(week.parse().unwrap()),
        ..Params::default()
    };
    for f in filters {
        p.set_where(f).unwrap();
    }
    p
}

/// `priorities` as lines: score band resource check | reason.
async fn priorities(lake: &Lake, p: &Params) -> Vec<String> {
    rows(&lake.run("priorities", p).await.unwrap())
        .iter()
        .map(|r| {
            let resource = r["resource_uid"].rsplit([':', '/']).next().unwrap();
            format!(
                "{} {} {} {} | {}",
                r["risk_score"], r["risk_band"], resource, r["check_id"], r["risk_reason"]
            )
        })
        .collect()
}

#[tokio::test]
async fn the_risk_score_orders_the_examples_and_says_why() {
    let (lake, _dir) = risk_lake(true).await;
    assert_eq!(
        priorities(&lake, &params("2026-W22", &[])).await,
        [
            // A user holding admin whose access key is stale: the key is the way in.
            "100 critical deploy-bot iam_user_administrator_access_policy | Critical 50; prod +15; admin reachable: over-privileged + credentials on this resource +45",
            // The customer export: public, with personal data.
            "100 critical customer-export s3_bucket_public_access | Critical 50; prod +15; public (checks) +15; data pii (rule, line 21) +20",
            // Production, public-facing, confidential data, open 4 weeks, nobody's.
            "80 critical i-9 ec2_instance_port_ssh_exposed_to_internet | High 35; prod +15; public (checks) +15; data confidential (rule, line 25) +10; no owner +5",
            // A Medium stale key is Critical on a production user that holds admin.
            "80 critical deploy-bot iam_rotate_access_key_90_days | Medium 20; prod +15; admin reachable: over-privileged + credentials on this resource +45",
            "55 medium sg-1 ec2_securitygroup_default_restrict_traffic | High 35; prod +15; no owner +5",
            // Came back after a fix, and older than its landing zone's 5-day Medium SLA.
            "50 medium i-1 ec2_instance_imdsv2_enabled | Medium 20; prod +15; open 7 days, SLA 5 +10; reopened 1x +5",
            "45 medium vol-2 ec2_ebs_volume_encryption | Medium 20; prod +15; no owner +5; reopened 1x +5",
            // The same Critical public bucket holding static CSS: public by design.
            "35 low static-css s3_bucket_public_access | Critical 50; prod +15; data public (rule, line 23) -30",
        ]
    );
}

#[tokio::test]
async fn the_lifecycle_of_each_open_finding_is_its_history() {
    let (lake, _dir) = risk_lake(true).await;
    let got: Vec<String> = rows(&lake.run("priorities", &params("2026-W22", &[])).await.unwrap())
        .iter()
        .map(|r| {
            let resource = r["resource_uid"].rsplit([':', '/']).next().unwrap();
            format!(
                "{resource} {} first_seen={} last_seen={} first_failed={} open_since={} resolved_at={} reopened={} days={} owner={} ({})",
                r["status"], r["first_seen"], r["last_seen"], r["first_failed"], r["open_since"],
                r["resolved_at"], r["times_reopened"], r["open_for_days"], r["owner"], r["owner_from"]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "deploy-bot new first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W22 open_since=2026-W22 resolved_at= reopened=0 days=0 owner=payments (rule, line 27)",
            "customer-export new first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W22 open_since=2026-W22 resolved_at= reopened=0 days=0 owner=platform (account)",
            // W21 unscanned: no evidence either way, still open since W18 (28 days)
            "i-9 open first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W18 open_since=2026-W18 resolved_at= reopened=0 days=28 owner= ()",
            "deploy-bot new first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W22 open_since=2026-W22 resolved_at= reopened=0 days=0 owner=payments (rule, line 27)",
            "sg-1 open first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W18 open_since=2026-W18 resolved_at= reopened=0 days=28 owner= ()",
            // PASS in W20: resolved then, failing again from W21
            "i-1 open first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W18 open_since=2026-W21 resolved_at=2026-W20 reopened=1 days=7 owner=platform (account)",
            // absent in W19 while its cell was observed: resolved then; back from W20
            "vol-2 open first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W18 open_since=2026-W20 resolved_at=2026-W19 reopened=1 days=14 owner= ()",
            "static-css new first_seen=2026-W18 last_seen=2026-W22 first_failed=2026-W22 open_since=2026-W22 resolved_at= reopened=0 days=0 owner=platform (account)",
        ]
    );
    // In W21 the finding that came back is reopened this week.
    let w21 = rows(
        &lake
            .run("priorities", &params("2026-W21", &["status=reopened"]))
            .await
            .unwrap(),
    );
    assert_eq!(w21.len(), 1);
    assert_eq!(w21[0]["check_id"], "ec2_instance_imdsv2_enabled");
    assert_eq!(w21[0]["resolved_at"], "2026-W20");
}

#[tokio::test]
async fn every_threshold_and_dimension_filters() {
    let (lake, _dir) = risk_lake(true).await;
    // The view a security operations team works from: Critical or High on production,
    // public-facing, sensitive data, open more than 7 days, no owner.
    let mut p = params(
        "2026-W22",
        &[
            "environment=prod",
            "exposure=public",
            "data_class=sensitive",
            "owner=none",
        ],
    );
    p.set_min_severity("high").unwrap();
    p.min_age = Some(8);
    assert_eq!(
        priorities(&lake, &p).await,
        ["80 critical i-9 ec2_instance_port_ssh_exposed_to_internet | High 35; prod +15; public (checks) +15; data confidential (rule, line 25) +10; no owner +5"]
    );
    let count = |p: Params| {
        let lake = &lake;
        async move { rows(&lake.run("priorities", &p).await.unwrap()).len() }
    };
    assert_eq!(count(params("2026-W22", &["landing_zone=prod"])).await, 5);
    assert_eq!(count(params("2026-W22", &["landing_zone=none"])).await, 3);
    assert_eq!(
        count(params("2026-W22", &["account_name=shop-web"])).await,
        3
    );
    assert_eq!(count(params("2026-W22", &["status=new"])).await, 4);
    assert_eq!(count(params("2026-W22", &["band=critical"])).await, 4);
    assert_eq!(count(params("2026-W22", &["resource_type=AwsS3"])).await, 2);
    assert_eq!(
        count(params("2026-W22", &["first_seen_from=2026-W19"])).await,
        0
    );
    assert_eq!(count(params("2026-W22", &["owner=payments"])).await, 2);
    // Every open failure of the week maps to CIS-3.0, none to SOC2.
    assert_eq!(count(params("2026-W22", &[])).await, 8);
    assert_eq!(count(params("2026-W22", &["framework=CIS-3.0"])).await, 8);
    assert_eq!(count(params("2026-W22", &["framework=SOC2"])).await, 0);
    let mut p = params("2026-W22", &[]);
    p.min_risk = Some(80);
    p.limit = Some(3);
    assert_eq!(count(p).await, 3);
}

#[tokio::test]
async fn owners_and_landing_zones_add_up_the_same_findings() {
    let (lake, _dir) = risk_lake(true).await;
    let owners: Vec<String> = rows(&lake.run("owners", &params("2026-W22", &[])).await.unwrap())
        .iter()
        .map(|r| {
            format!(
                "{} open={} breaches={} overdue={} critical={} high={} medium={} new={} max={}",
                r["owner"],
                r["open_fail"],
                r["sla_breaches"],
                r["max_overdue_days"],
                r["risk_critical"],
                r["risk_high"],
                r["risk_medium"],
                r["new_this_week"],
                r["max_risk"]
            )
        })
        .collect();
    assert_eq!(
        owners,
        [
            "platform open=3 breaches=1 overdue=2 critical=1 high=0 medium=1 new=2 max=100",
            "payments open=2 breaches=0 overdue= critical=2 high=0 medium=0 new=2 max=100",
            "none open=3 breaches=0 overdue= critical=1 high=0 medium=2 new=0 max=80",
        ]
    );
    let zones: Vec<String> =
        rows(&lake.run("landing-zones", &params("2026-W22", &[])).await.unwrap())
            .iter()
            .map(|r| {
                format!(
                    "{} accounts={} pass={} fail={} rate={} delta={} fail_delta={} breaches={} high_risk={}",
                    r["landing_zone"], r["accounts"], r["pass"], r["fail"], r["pass_rate"],
                    r["pass_rate_delta"], r["fail_delta"], r["sla_breaches"], r["high_risk"]
                )
            })
            .collect();
    // W22 against W21: account 2 was not scanned in W21, so none of its cells is compared:
    // no change either way, not "no change".
    assert_eq!(
        zones,
        [
            "prod accounts=1 pass=0 fail=5 rate=0.0 delta=-80.0 fail_delta=4 breaches=1 high_risk=3",
            "none accounts=1 pass=1 fail=3 rate=25.0 delta= fail_delta= breaches=0 high_risk=1",
        ]
    );
}

#[tokio::test]
async fn an_owner_whose_accounts_were_not_scanned_keeps_its_row() {
    // W21: account 2 (owned by nobody) was not scanned. Its failures are not known this
    // week, which is not "none open": the unowned row stays, counting the account unscanned.
    let (lake, _dir) = risk_lake(true).await;
    let owners = |p: Params| {
        let lake = &lake;
        async move {
            rows(&lake.run("owners", &p).await.unwrap())
                .iter()
                .map(|r| {
                    format!(
                        "{} open={} accounts={} not_scanned={}",
                        r["owner"], r["open_fail"], r["accounts"], r["accounts_not_scanned"]
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        owners(params("2026-W21", &[])).await,
        [
            "platform open=1 accounts=1 not_scanned=0",
            "none open=0 accounts=0 not_scanned=1",
        ]
    );
    // The account dimensions select the unscanned accounts too.
    assert_eq!(
        owners(params("2026-W21", &["owner=platform"])).await,
        ["platform open=1 accounts=1 not_scanned=0"]
    );
    assert_eq!(
        owners(params("2026-W21", &["landing_zone=none"])).await,
        ["none open=0 accounts=0 not_scanned=1"]
    );
    // W22: both accounts scanned.
    assert!(owners(params("2026-W22", &[]))
        .await
        .iter()
        .all(|l| l.ends_with("not_scanned=0")));
}

#[tokio::test]
async fn each_week_is_judged_by_the_context_it_had() {
    let (lake, _dir) = risk_lake(true).await;
    // From W22 the second account is a sandbox owned by the web team.
    let changed = read_fixture_context().replace(
        "    name: shop-web\n    environment: prod\n",
        "    name: shop-web\n    environment: sandbox\n    owner: web\n",
    );
    assert_eq!(set_context(&lake, &changed, "2026-W22").await, 2);
    let sg = |week: &'static str| {
        let lake = &lake;
        async move {
            rows(
                &lake
                    .run("priorities", &params(week, &["account=222222222222"]))
                    .await
                    .unwrap(),
            )
            .into_iter()
            .find(|r| r["check_id"] == "ec2_securitygroup_default_restrict_traffic")
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    r["environment"], r["owner"], r["risk_score"], r["risk_reason"]
                )
            })
            .unwrap()
        }
    };
    assert_eq!(sg("2026-W22").await, "sandbox web 25 High 35; sandbox -10");
    assert_eq!(
        sg("2026-W20").await,
        "prod  55 High 35; prod +15; no owner +5"
    );
    // A version set later but effective earlier supersedes it from its week on.
    let again = read_fixture_context();
    assert_eq!(set_context(&lake, &again, "2026-W19").await, 3);
    assert_eq!(
        sg("2026-W22").await,
        "prod  55 High 35; prod +15; no owner +5"
    );
}

#[tokio::test]
async fn without_a_context_findings_are_judged_on_what_the_scans_say() {
    let (lake, _dir) = risk_lake(false).await;
    let top: Vec<String> = priorities(&lake, &params("2026-W22", &[])).await;
    assert_eq!(
        top[..3],
        [
            "100 critical deploy-bot iam_user_administrator_access_policy | Critical 50; admin reachable: over-privileged + credentials on this resource +45; no owner +5",
            "70 high customer-export s3_bucket_public_access | Critical 50; public (checks) +15; no owner +5",
            "70 high static-css s3_bucket_public_access | Critical 50; public (checks) +15; no owner +5",
        ]
    );
    // The built-in SLA: 30 days for High (sg-1, open 28 days, is within it).
    let sg = rows(
        &lake
            .run("priorities", &params("2026-W22", &["owner=none"]))
            .await
            .unwrap(),
    )
    .into_iter()
    .find(|r| r["check_id"] == "ec2_securitygroup_default_restrict_traffic")
    .unwrap();
    assert_eq!(
        (sg["sla_days"].as_str(), sg["environment"].as_str()),
        ("30", "")
    );
}

#[tokio::test]
async fn a_short_history_window_says_open_at_least() {
    let (lake, _dir) = risk_lake(true).await;
    let mut p = params("2026-W22", &["account=222222222222"]);
    // W21 and W22: account 2 was not scanned in W21, so its findings are seen once.
    p.history_weeks = Some(2);
    let got: Vec<String> = rows(&lake.run("priorities", &p).await.unwrap())
        .iter()
        .map(|r| {
            let resource = r["resource_uid"].rsplit([':', '/']).next().unwrap();
            format!(
                "{resource} open_since={} first_failed={} days={} at_least={} reopened={}",
                r["open_since"],
                r["first_failed"],
                r["open_for_days"],
                r["open_before_window"],
                r["times_reopened"]
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "i-9 open_since=2026-W22 first_failed=2026-W18 days=0 at_least=true reopened=0",
            "sg-1 open_since=2026-W22 first_failed=2026-W18 days=0 at_least=true reopened=0",
            "vol-2 open_since=2026-W22 first_failed=2026-W18 days=0 at_least=true reopened=0",
        ]
    );
}

#[tokio::test]
async fn an_account_the_context_is_silent_on_is_judged_by_its_tags_and_unit() {
    let (lake, _dir) = lake_of(&[&fixtures().join("risk/labelled")]).await;
    let line = |r: &std::collections::BTreeMap<String, String>| {
        format!(
            "{} {} ({}) {} ({}) {} | {}",
            r["risk_score"],
            r["environment"],
            r["environment_from"],
            r["owner"],
            r["owner_from"],
            r["landing_zone"],
            r["risk_reason"]
        )
    };
    let got = rows(
        &lake
            .run("priorities", &params("2026-W22", &[]))
            .await
            .unwrap(),
    );
    // Environment:Production and Owner:team-data on the account, OU Analytics.
    assert_eq!(
        got.iter().map(line).collect::<Vec<_>>(),
        ["65 prod (account tags) team-data (account tags) Analytics | High 35; prod +15; public (checks) +15"]
    );
    // What the context says wins; what it is silent on still comes from the tags.
    set_context(
        &lake,
        "accounts:\n  - id: '333333333333'\n    environment: dev\n",
        "2026-W22",
    )
    .await;
    let got = rows(
        &lake
            .run("priorities", &params("2026-W22", &[]))
            .await
            .unwrap(),
    );
    assert_eq!(
        got.iter().map(line).collect::<Vec<_>>(),
        ["50 dev (context) team-data (account tags) Analytics | High 35; public (checks) +15"]
    );
}

#[tokio::test]
async fn the_stored_risk_rows_give_the_same_answers() {
    let (lake, dir) = risk_lake(true).await;
    let answers = || async {
        let mut out = Vec::new();
        for name in ["priorities", "owners", "landing-zones"] {
            out.push(rows(
                &lake.run(name, &params("2026-W22", &[])).await.unwrap(),
            ));
        }
        let summary = lake.summary(&params("2026-W22", &[])).await.unwrap();
        (out, serde_json::to_string(&summary).unwrap())
    };
    let computed = answers().await;
    assert!(!computed.0[0].is_empty());
    let stored = lake
        .store_changes(None, Some(lake_query::DEFAULT_HISTORY_WEEKS))
        .await
        .unwrap();
    // Every week with one before it: W19 to W22 (W21 has data: account 1 was scanned).
    assert_eq!(stored.risk_written.len(), 4, "{:?}", stored.risk_written);
    assert!(stored
        .risk_written
        .contains(&("2026-W22".into(), "2026-W21".into())));
    assert_eq!(answers().await, computed);
    // A context set later (the accounts now sandboxes) changes the scores, not the stored
    // rows' currency: the answers are those computed under the new context.
    let sandboxes = read_fixture_context().replace("environment: prod", "environment: sandbox");
    set_context(&lake, &sandboxes, "2026-W22").await;
    let rescored = answers().await;
    assert_ne!(rescored, computed);
    std::fs::remove_dir_all(dir.path().join(lake_store::changes::CHANGES_ROOT)).unwrap();
    let lake = Lake::from_location(lake.location().clone());
    let mut recomputed = Vec::new();
    for name in ["priorities", "owners", "landing-zones"] {
        recomputed.push(rows(
            &lake.run(name, &params("2026-W22", &[])).await.unwrap(),
        ));
    }
    let summary = lake.summary(&params("2026-W22", &[])).await.unwrap();
    assert_eq!(
        rescored,
        (recomputed, serde_json::to_string(&summary).unwrap())
    );
}

#[tokio::test]
async fn a_new_finding_in_the_risk_queries_is_what_diff_calls_new() {
    // Every week of the fixtures, with its context: the first (each account scanned for the
    // first time: nothing is new, all is onboarded), the gap (account 2 not scanned in W21)
    // and the week after it.
    let (lake, _dir) = risk_lake(true).await;
    for week in ["2026-W18", "2026-W19", "2026-W21", "2026-W22"] {
        let p = params(week, &[]);
        let diff = rows(&lake.run("diff", &p).await.unwrap());
        let count_diff = |change: &str| {
            diff.iter()
                .filter(|r| r["change"] == change && r["muted"] == "false")
                .count()
        };
        let risk = rows(&lake.run("priorities", &p).await.unwrap());
        let count_risk = |status: &str| risk.iter().filter(|r| r["status"] == status).count();
        assert_eq!(count_risk("new"), count_diff("new"), "{week}");
        assert_eq!(count_risk("onboarded"), count_diff("onboarded"), "{week}");
        let owners = rows(&lake.run("owners", &p).await.unwrap());
        let new: i64 = owners
            .iter()
            .map(|r| r["new_this_week"].parse::<i64>().unwrap())
            .sum();
        assert_eq!(new as usize, count_diff("new"), "{week}");
    }
    let first = rows(
        &lake
            .run("priorities", &params("2026-W18", &[]))
            .await
            .unwrap(),
    );
    assert!(!first.is_empty() && first.iter().all(|r| r["status"] == "onboarded"));
}
