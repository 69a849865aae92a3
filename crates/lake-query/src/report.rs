//! The weekly report's numbers, gathered from the queries that define them: the summary
//! inputs and the `diff` rows (one classification of the week's changes), `posture`, `trend`
//! over the weeks with data up to the week, and `queries/report_*.sql` for how long the top
//! open issues have been failing, the quick wins and the open findings. Nothing is
//! recomputed here: [`lake_report`] only lays these numbers out.

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type};
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use lake_report::{
    severity_rank, AccountRate, Action, ChangeCounts, CheckGroup, Coverage, DiffRow, Missing,
    OpenIssue, OpenRow, PassRate, Report, Risk, RiskFinding, RiskGroup, SeverityCount, TrendWeek,
    SEVERITIES,
};
use serde_json::Value;

use crate::error::Result;
use crate::json::text_at;
use crate::named::{named, Params};
use crate::session::{Lake, Reads, Scope};
use crate::summary::{boolean, int, rows, text};

const AGE: &str = include_str!("../../../queries/report_age.sql");
const ACTIONS: &str = include_str!("../../../queries/report_actions.sql");
const OPEN: &str = include_str!("../../../queries/report_open.sql");

/// What a report gathers besides the week's own numbers.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// How many weeks with data the trend shows, ending with the week (default 12).
    pub trend_weeks: u32,
    /// A quick win fails on at most this many resources (default 3).
    pub quick_win_resources: u32,
    /// Also read the week's open findings row by row (for the spreadsheet).
    pub open_findings: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            trend_weeks: 12,
            quick_win_resources: 3,
            open_findings: false,
        }
    }
}

/// A week's report and what it was made from.
#[derive(Debug, Clone)]
pub struct WeeklyReport {
    /// What the report shows.
    pub report: Report,
    /// The summary inputs (as `lake summary` gives them).
    pub summary: Value,
    /// The rows of the `diff` query for the same weeks.
    pub diff: Vec<RecordBatch>,
}

/// At most this many resources are named per check group.
const EXAMPLES: usize = 3;

impl Lake {
    /// The report of `params.week` against `params.against` (default: the latest earlier week
    /// with data), with the summary inputs and the `diff` rows it was made from.
    pub async fn weekly_report(
        &self,
        params: &Params,
        options: &ReportOptions,
    ) -> Result<WeeklyReport> {
        let (summary, diff) = self.summary_and_diff(params).await?;
        let week = summary["week"].as_str().unwrap_or_default().to_owned();
        let against = summary["previous_week"].as_str().map(str::to_owned);
        // The same pair as the summary's (both default `against` the same way).
        let posture = self.run("posture", params).await?;

        // The trend's weeks: those with data up to the week, each against the one before.
        let manifest = self.manifest(params.source.as_deref()).await?;
        let weeks: Vec<String> = self
            .weeks_in(&manifest)
            .await?
            .into_iter()
            .filter(|w| *w <= week)
            .collect();
        let first = weeks
            .len()
            .saturating_sub(options.trend_weeks.max(1) as usize);
        let pairs: Vec<(String, Option<String>)> = (first..weeks.len())
            .map(|i| (weeks[i].clone(), i.checked_sub(1).map(|j| weeks[j].clone())))
            .collect();
        let scope = Scope::Partitions(self.partitions_of_pairs(&manifest, &pairs).await?);
        let reads = Reads::statements([named("trend")?.sql, AGE, ACTIONS, OPEN]);
        let ctx = self.context(&manifest, &pairs, &scope, reads).await?;
        let week_value = ScalarValue::Utf8(Some(week.clone()));
        let trend = bind(&ctx, named("trend")?.sql, vec![]).await?;
        let age = bind(&ctx, AGE, vec![("week", week_value.clone())]).await?;
        let actions = bind(
            &ctx,
            ACTIONS,
            vec![
                ("week", week_value.clone()),
                (
                    "max_resources",
                    ScalarValue::Int64(Some(i64::from(options.quick_win_resources))),
                ),
            ],
        )
        .await?;
        let open = if options.open_findings {
            bind(&ctx, OPEN, vec![("week", week_value)]).await?
        } else {
            Vec::new()
        };

        let mut report = from_summary(&summary);
        report.week = week;
        report.against = against;
        report.diff_rows = diff_rows(&diff);
        report.new = groups(&report.diff_rows, &["new", "regressed"]);
        report.resolved = groups(&report.diff_rows, &["resolved"]);
        posture_into(&posture, &mut report);
        report.trend = trend_weeks(&trend);
        ages_into(&age, &mut report);
        report.actions = quick_wins(&actions);
        report.open_rows_total = report.open_fail.iter().map(|s| s.current).sum();
        report.open_rows = open_rows(&open);
        Ok(WeeklyReport {
            report,
            summary,
            diff,
        })
    }
}

async fn bind(
    ctx: &SessionContext,
    sql: &str,
    values: Vec<(&str, ScalarValue)>,
) -> Result<Vec<RecordBatch>> {
    let mut frame = ctx.sql(sql).await?;
    if !values.is_empty() {
        frame = frame.with_param_values(values)?;
    }
    Ok(frame.collect().await?)
}

fn float(batch: &RecordBatch, name: &str, row: usize) -> Option<f64> {
    let c = batch.column_by_name(name)?;
    if !c.is_valid(row) {
        return None;
    }
    let c = arrow::compute::cast(&c.slice(row, 1), &DataType::Float64).ok()?;
    c.as_primitive_opt::<Float64Type>().map(|c| c.value(0))
}

/// The summary's risk in context, when a context judged the week.
fn risk_in_context(r: &Value) -> Option<Risk> {
    let version = r["context_version"].as_i64()?;
    let group = |name: &str, v: &Value| RiskGroup {
        name: name.to_owned(),
        open_fail: v["open_fail"].as_i64().unwrap_or_default(),
        sla_breaches: v["sla_breaches"].as_i64().unwrap_or_default(),
        high_risk: v["high_risk"].as_i64().unwrap_or_default(),
        max_risk: v["max_risk"].as_i64(),
    };
    let groups = |v: &Value| {
        v.as_object()
            .map(|m| m.iter().map(|(k, v)| group(k, v)).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let mut by_owner = groups(&r["by_owner"]);
    // (the summary's order: the most breaches, then high risks, then open failures)
    by_owner.sort_by(|a, b| {
        (b.sla_breaches, b.high_risk, b.open_fail)
            .cmp(&(a.sla_breaches, a.high_risk, a.open_fail))
            .then_with(|| a.name.cmp(&b.name))
    });
    let other_owners = r["other_owners"]
        .is_object()
        .then(|| group(&count_of(&r["other_owners"]["owners"]), &r["other_owners"]));
    let top = r["top_risks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| RiskFinding {
                    risk: x["risk"].as_i64().unwrap_or_default(),
                    band: string(&x["band"]),
                    severity: string(&x["severity"]),
                    check_id: string(&x["check_id"]),
                    account: string(&x["account"]),
                    region: string(&x["region"]),
                    resource: string(&x["resource"]),
                    owner: x["owner"].as_str().map(str::to_owned),
                    landing_zone: x["landing_zone"].as_str().map(str::to_owned),
                    open_days: x["open_days"].as_i64(),
                    status: string(&x["status"]),
                    reason: string(&x["reason"]),
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Risk {
        context_version: version,
        history_weeks: r["history_weeks"].as_i64().unwrap_or_default(),
        by_landing_zone: groups(&r["by_landing_zone"]),
        by_owner,
        other_owners,
        top,
    })
}

/// A JSON number as text (`0` when it is not one).
fn count_of(v: &Value) -> String {
    v.as_i64().unwrap_or_default().to_string()
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The numbers the summary inputs already hold.
fn from_summary(s: &Value) -> Report {
    let sev = &s["open_fail_by_severity"];
    let open_fail = SEVERITIES
        .iter()
        .map(|name| {
            let key = name.to_ascii_lowercase();
            let n = |v: &Value| v[&key].as_i64().unwrap_or_default();
            SeverityCount {
                severity: (*name).to_owned(),
                current: n(&sev["current"]),
                previous: n(&sev["previous"]),
                delta: sev["delta"][&key].as_i64(),
                not_compared_current: n(&sev["not_compared"]["current"]),
                not_compared_previous: n(&sev["not_compared"]["previous"]),
            }
        })
        .collect();
    let c = &s["changes"];
    let n = |k: &str| c[k].as_i64().unwrap_or_default();
    let scope = &s["scope"];
    // An account as the report names it: with its producer when that is not Prowler (a
    // Security Hub export missing while Prowler's scan landed).
    let account = |x: &Value| match x["source"].as_str() {
        Some(source) => format!("{} ({source})", string(&x["account"])),
        None => string(&x["account"]),
    };
    let with_error = |v: &Value| -> Vec<(String, Option<String>)> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .map(|x| (account(x), x["error"].as_str().map(str::to_owned)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let missing = scope["accounts_missing"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| Missing {
                    account: account(x),
                    last_seen: x["last_seen"].as_str().map(str::to_owned),
                    weeks_missing: x["weeks_missing"].as_i64().unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    let top_open = s["top_failing_checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| OpenIssue {
                    check_id: string(&x["check_id"]),
                    title: string(&x["title"]),
                    severity: string(&x["severity"]),
                    open_fail: x["open_fail"].as_i64().unwrap_or_default(),
                    accounts: x["accounts"].as_i64().unwrap_or_default(),
                    resources: x["resources"].as_i64().unwrap_or_default(),
                    ..OpenIssue::default()
                })
                .collect()
        })
        .unwrap_or_default();
    Report {
        open_fail,
        risk: risk_in_context(&s["risk"]),
        muted_fail: (
            s["muted_fail"]["current"].as_i64().unwrap_or_default(),
            s["muted_fail"]["previous"].as_i64().unwrap_or_default(),
        ),
        changes: ChangeCounts {
            new: n("new"),
            regressed: n("regressed"),
            onboarded: n("onboarded"),
            persisting: n("persisting"),
            resolved: n("resolved"),
            unverified: n("unverified"),
            muted: n("muted"),
        },
        unverified_reasons: s["unverified_reasons"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_i64().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default(),
        coverage: Coverage {
            scanned: strings(&scope["accounts_scanned"]),
            regions: strings(&scope["regions_scanned"]),
            partial: with_error(&scope["accounts_partial"]),
            failed: with_error(&scope["accounts_failed"]),
            empty: scope["accounts_empty"]
                .as_array()
                .map(|a| a.iter().map(account).collect())
                .unwrap_or_default(),
            missing,
            onboarded: strings(&scope["accounts_onboarded"]),
        },
        top_open,
        ..Report::default()
    }
}

fn diff_rows(batches: &[RecordBatch]) -> Vec<DiffRow> {
    rows(batches)
        .map(|(b, r)| {
            let t = |name: &str| text(b, name, r).unwrap_or_default();
            DiffRow {
                change: t("change"),
                reason: t("reason"),
                severity: t("severity"),
                muted: boolean(b, "muted", r),
                check_id: t("check_id"),
                title: t("title"),
                account_uid: t("account_uid"),
                region: t("region"),
                resource_uid: t("resource_uid"),
                status_now: text(b, "status_now", r),
                status_before: text(b, "status_before", r),
                status_detail: t("status_detail"),
                baseline_week: text(b, "baseline_week", r),
                finding_uid: t("finding_uid"),
            }
        })
        .collect()
}

/// The unmuted rows of `changes`, per check: most severe first, then the most findings.
fn groups(diff: &[DiffRow], changes: &[&str]) -> Vec<CheckGroup> {
    let mut by_check: BTreeMap<&str, (CheckGroup, BTreeSet<&str>, BTreeSet<&str>)> =
        BTreeMap::new();
    for r in diff
        .iter()
        .filter(|r| !r.muted && changes.contains(&r.change.as_str()))
    {
        let (g, accounts, resources) = by_check.entry(&r.check_id).or_insert_with(|| {
            (
                CheckGroup {
                    check_id: r.check_id.clone(),
                    title: r.title.clone(),
                    severity: r.severity.clone(),
                    ..CheckGroup::default()
                },
                BTreeSet::new(),
                BTreeSet::new(),
            )
        });
        g.findings += 1;
        if r.change == "regressed" {
            g.regressed += 1;
        }
        if severity_rank(&r.severity) < severity_rank(&g.severity) {
            g.severity = r.severity.clone();
        }
        accounts.insert(&r.account_uid);
        resources.insert(&r.resource_uid);
    }
    let mut groups: Vec<CheckGroup> = by_check
        .into_values()
        .map(|(mut g, accounts, resources)| {
            g.accounts = accounts.into_iter().map(str::to_owned).collect();
            g.resources = resources
                .into_iter()
                .take(EXAMPLES)
                .map(str::to_owned)
                .collect();
            g
        })
        .collect();
    groups.sort_by(|a, b| {
        severity_rank(&a.severity)
            .cmp(&severity_rank(&b.severity))
            .then(b.findings.cmp(&a.findings))
            .then(a.check_id.cmp(&b.check_id))
    });
    groups
}

fn posture_into(batches: &[RecordBatch], report: &mut Report) {
    for (b, r) in rows(batches) {
        match text(b, "dimension", r).as_deref() {
            Some("overall") => {
                report.posture = Some(PassRate {
                    rate: float(b, "pass_rate", r),
                    compared: float(b, "compared_pass_rate", r),
                    previous: float(b, "previous_pass_rate", r),
                    delta: float(b, "pass_rate_delta", r),
                    pass: int(b, "pass", r),
                    fail: int(b, "fail", r),
                });
            }
            Some("account") => report.accounts.push(AccountRate {
                account: text(b, "value", r).unwrap_or_default(),
                pass: int(b, "pass", r),
                fail: int(b, "fail", r),
                pass_rate: float(b, "pass_rate", r),
                delta: float(b, "pass_rate_delta", r),
            }),
            _ => {}
        }
    }
}

fn trend_weeks(batches: &[RecordBatch]) -> Vec<TrendWeek> {
    rows(batches)
        .map(|(b, r)| TrendWeek {
            week: text(b, "week", r).unwrap_or_default(),
            accounts_scanned: int(b, "accounts_scanned", r),
            accounts_incomplete: int(b, "accounts_incomplete", r),
            accounts_missing: int(b, "accounts_missing", r),
            open_fail: int(b, "open_fail", r),
            by_severity: SEVERITIES.map(|s| int(b, &s.to_ascii_lowercase(), r)),
            open_fail_delta: b
                .column_by_name("open_fail_delta")
                .filter(|c| c.is_valid(r))
                .map(|_| int(b, "open_fail_delta", r)),
            new: int(b, "new", r),
            regressed: int(b, "regressed", r),
            resolved: int(b, "resolved", r),
            unverified: int(b, "unverified", r),
        })
        .collect()
}

/// How long each top open issue has been failing, over the trend's weeks.
fn ages_into(batches: &[RecordBatch], report: &mut Report) {
    let mut failing: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (b, r) in rows(batches) {
        if let (Some(check), Some(week)) = (text(b, "check_id", r), text(b, "week", r)) {
            failing.entry(check).or_default().insert(week);
        }
    }
    let weeks: Vec<&String> = report.trend.iter().map(|t| &t.week).collect();
    for issue in &mut report.top_open {
        let seen = failing.get(&issue.check_id);
        let has = |w: &String| seen.is_some_and(|s| s.contains(w));
        issue.weeks_seen = weeks.len() as i64;
        issue.weeks_failing = weeks.iter().filter(|w| has(w)).count() as i64;
        issue.failing_since = weeks
            .iter()
            .rev()
            .take_while(|w| has(w))
            .last()
            .map(|w| (*w).clone());
    }
}

fn quick_wins(batches: &[RecordBatch]) -> Vec<Action> {
    rows(batches)
        .map(|(b, r)| {
            let mut resources: Vec<String> = b
                .column_by_name("resource_uids")
                .and_then(|c| c.as_list_opt::<i32>())
                .filter(|c| c.is_valid(r))
                .map(|c| {
                    let values = c.value(r);
                    (0..values.len())
                        .filter_map(|i| text_at(&values, i).map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            resources.sort();
            let reference = text(b, "references", r).and_then(|refs| {
                refs.split_whitespace()
                    .find(|u| u.starts_with("https://") || u.starts_with("http://"))
                    .map(str::to_owned)
            });
            Action {
                check_id: text(b, "check_id", r).unwrap_or_default(),
                title: text(b, "title", r).unwrap_or_default(),
                severity: text(b, "severity", r).unwrap_or_default(),
                open_fail: int(b, "open_fail", r),
                resources,
                remediation: text(b, "remediation", r).unwrap_or_default(),
                reference,
            }
        })
        .collect()
}

fn open_rows(batches: &[RecordBatch]) -> Vec<OpenRow> {
    rows(batches)
        .map(|(b, r)| {
            let t = |name: &str| text(b, name, r).unwrap_or_default();
            OpenRow {
                severity: t("severity"),
                check_id: t("check_id"),
                title: t("title"),
                account_uid: t("account_uid"),
                region: t("region"),
                resource_uid: t("resource_uid"),
                status_detail: t("status_detail"),
                remediation: t("remediation"),
                finding_uid: t("finding_uid"),
            }
        })
        .collect()
}
