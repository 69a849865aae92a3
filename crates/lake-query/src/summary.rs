//! The summary inputs of the weekly report: a compact, deterministic JSON document.
//!
//! Week and previous week; scope (accounts and regions scanned, accounts that were partial,
//! failed, onboarded, or seen in the 12 weeks with data before and missing now); totals by
//! status; open FAIL counts by severity (current, previous, and the delta like for like, over
//! the cells both weeks observed, with what it left out) with muted counted apart; change
//! counts of unmuted findings (muted apart) and why findings are unverified; top failing
//! checks; and a sample of failing findings spread across checks and accounts. Every number
//! comes from `queries/` (see `finding_changes` and `account_coverage`). The same lake gives
//! the same bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use lake_core::source::PROWLER;
use lake_core::Severity;
use serde_json::{json, Map, Value};

use crate::error::Result;
use crate::json::text_at;
use crate::named::{named, Params};
use crate::session::{Lake, Reads, Scope};
use crate::stored::StoredRows;

const COUNTS: &str = include_str!("../../../queries/summary_counts.sql");
const SCOPE: &str = include_str!("../../../queries/summary_scope.sql");
const CHECKS: &str = include_str!("../../../queries/summary_checks.sql");
const SAMPLE: &str = include_str!("../../../queries/summary_sample.sql");
const PRODUCERS: &str = include_str!("../../../queries/summary_sources.sql");
const RISK: &str = include_str!("../../../queries/summary_risk.sql");

/// The statements the summary is assembled from, in the order it runs them (the sample,
/// the named query `summary`'s rows, last).
pub(crate) const SOURCES: [&str; 6] = [SCOPE, COUNTS, CHECKS, PRODUCERS, RISK, SAMPLE];

/// The context version that judges the week (none: no context was ever set).
const CONTEXT_VERSION: &str = "SELECT max(version) AS version FROM week_context";

/// How many owners the summary lists by name (the most SLA breaches and high risks first);
/// the others are added up in one entry, so that an organisation of many teams stays within
/// the prompt's budget.
const MAX_OWNERS: usize = 10;

/// The columns of `finding_changes` that the summary's statements read (the text of the
/// sampled findings and of the top checks included: reading it here spares those
/// statements a scan of the week's findings each).
const SUMMARY_CHANGE_COLUMNS: [&str; 16] = [
    "week",
    "finding_key",
    "change",
    "reason",
    "muted",
    "severity",
    "severity_id",
    "check_id",
    "title",
    "account_uid",
    "region",
    "resource_uid",
    "resource_name",
    "source",
    "status_now",
    "status_detail",
];

/// What the summary's week holds of an account (a row of `account_coverage`).
struct AccountScope {
    status: String,
    onboarded: bool,
    last_week: Option<String>,
    weeks_missing: i64,
    error: Option<String>,
    /// Whether its landed scans of the week saw findings in some region: a scan that landed
    /// an empty file (`[]`: every check errored) observed nothing of the account.
    reported: bool,
}

/// Longest text kept in the summary (titles, errors), in characters.
const MAX_TEXT: usize = 160;
/// Longest status detail kept in a sample finding, in characters.
const MAX_DETAIL: usize = 100;

/// Severities reported, most severe first, with their JSON keys.
const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Informational,
];

fn trim(s: &str) -> String {
    trim_to(s, MAX_TEXT)
}

/// `s` with its whitespace collapsed, cut at a word to at most `max` characters.
fn trim_to(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        return s;
    }
    let head: String = s.chars().take(max - 1).collect();
    let cut = match head.rfind(' ') {
        Some(i) if i > max / 2 => head[..i].trim_end_matches([',', ';', ':', '.']).to_owned(),
        _ => head,
    };
    format!("{cut}…")
}

/// Column `name` of `batch` as text at `row` (null as `None`).
pub(crate) fn text(batch: &RecordBatch, name: &str, row: usize) -> Option<String> {
    text_at(batch.column_by_name(name)?, row).map(str::to_owned)
}

/// The integer in column `name` at `row`, whatever its integer type (counts are `Int64`,
/// `row_number()` gives `UInt64`); 0 when null or absent.
pub(crate) fn int(batch: &RecordBatch, name: &str, row: usize) -> i64 {
    batch
        .column_by_name(name)
        .filter(|c| c.is_valid(row))
        .and_then(|c| arrow::compute::cast(&c.slice(row, 1), &DataType::Int64).ok())
        .and_then(|c| c.as_primitive_opt::<Int64Type>().map(|c| c.value(0)))
        .unwrap_or_default()
}

pub(crate) fn boolean(batch: &RecordBatch, name: &str, row: usize) -> bool {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_boolean_opt().cloned())
        .is_some_and(|c| c.is_valid(row) && c.value(row))
}

pub(crate) fn rows(batches: &[RecordBatch]) -> impl Iterator<Item = (&RecordBatch, usize)> {
    batches
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(move |r| (b, r)))
}

impl Lake {
    /// The summary inputs of `params.week` against `params.against` (default: the latest
    /// earlier week with data), with at most `params.sample` sample findings (default 50).
    pub async fn summary(&self, params: &Params) -> Result<Value> {
        Ok(self.report(params, false).await?.0)
    }

    /// The summary inputs (as [`Lake::summary`]) and the rows of the `diff` query for the
    /// same weeks, from one classification of the week's changes: what the weekly report
    /// needs, for about the cost of the summary alone.
    pub async fn summary_and_diff(&self, params: &Params) -> Result<(Value, Vec<RecordBatch>)> {
        let (summary, diff) = self.report(params, true).await?;
        Ok((summary, diff.unwrap_or_default()))
    }

    async fn report(
        &self,
        params: &Params,
        with_diff: bool,
    ) -> Result<(Value, Option<Vec<RecordBatch>>)> {
        let manifest = self.manifest(params.source.as_deref()).await?;
        let (week, against) = self.pair(&manifest, params).await?;
        let manifest = self
            .with_history(&manifest, &week, params.history_weeks()?)
            .await?;
        let sample_size = params.sample()?;
        let pairs = vec![(week.clone(), against.clone())];
        let scope = Scope::Partitions(self.partitions_of_pairs(&manifest, &pairs).await?);
        // (the risk statement reads the context views, a third of the session's views, and
        // runs only when a context was set)
        let mut reads = vec![SCOPE, COUNTS, CHECKS, SAMPLE, PRODUCERS, CONTEXT_VERSION];
        if manifest.context_set {
            reads.push(RISK);
        }
        let ctx = self
            .context(&manifest, &pairs, &scope, Reads::statements(reads))
            .await?;
        let bind = |ctx: &SessionContext, sql: &'static str| {
            let ctx = ctx.clone();
            let values = vec![
                ("week", ScalarValue::Utf8(Some(week.clone()))),
                ("against", ScalarValue::Utf8(against.clone())),
                ("sample", ScalarValue::Int64(Some(i64::from(sample_size)))),
            ];
            async move {
                let started = std::time::Instant::now();
                let mut frame = ctx.sql(sql).await?;
                // Each query uses a subset of the parameters.
                let used: Vec<_> = values
                    .into_iter()
                    .filter(|(name, _)| sql.contains(&format!("${name}")))
                    .collect();
                frame = frame.with_param_values(used)?;
                let rows = frame.collect().await?;
                tracing::debug!(
                    statement = sql.lines().next().unwrap_or_default(),
                    ms = started.elapsed().as_millis() as u64,
                    "summary statement"
                );
                Ok::<_, crate::QueryError>(rows)
            }
        };
        // Most of the statements read the week's changes: classify them once into memory,
        // with only the columns those statements read unless the diff is wanted too. The
        // statement that does not read them runs meanwhile (each statement leaves a core
        // idle at times: planning, opening files, merging its partitions). Stored changes
        // stay where they are: each statement decodes the columns it reads from the stored
        // object, which costs less than holding every row's text in memory.
        let stored = ctx
            .table_provider("finding_changes")
            .await?
            .is::<StoredRows>();
        let classified = async {
            if stored {
                return Ok(None);
            }
            let mut frame = ctx.table("finding_changes").await?;
            if !with_diff {
                frame = frame.select_columns(&SUMMARY_CHANGE_COLUMNS)?;
            }
            let planned: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
            let changes = frame.collect().await?;
            let schema = changes.first().map_or(planned, RecordBatch::schema);
            Ok::<_, crate::QueryError>(Some(MemTable::try_new(schema, vec![changes])?))
        };
        let (changes, scope) = futures::try_join!(classified, bind(&ctx, SCOPE))?;
        if let Some(changes) = changes {
            ctx.deregister_table("finding_changes")?;
            ctx.register_table("finding_changes", Arc::new(changes))?;
        }
        // Risk in context only when a context was set: without one there are no landing
        // zones, owners or environments to count by, and the lifecycle it needs reads the
        // history window (the summary's one cost that grows with the lake).
        let context = bind(&ctx, CONTEXT_VERSION).await?;
        let context_version = rows(&context)
            .map(|(b, r)| int(b, "version", r))
            .find(|v| *v > 0);
        let risk = async {
            match context_version {
                Some(_) => bind(&ctx, RISK).await,
                None => Ok(Vec::new()),
            }
        };
        // The sample, the statement with the most to hold (a dozen columns of the week's
        // failures), runs alone after the others: run beside them it raised the peak
        // (266-308 MB against 241-250 MB on the bench lake, in the same time; all five in
        // turn held 230-242 MB but took ~7% longer).
        let (counts, checks, producers, risk) = futures::try_join!(
            bind(&ctx, COUNTS),
            bind(&ctx, CHECKS),
            bind(&ctx, PRODUCERS),
            risk
        )?;
        let sample = bind(&ctx, SAMPLE).await?;
        let diff = if with_diff {
            Some(ctx.sql(named("diff")?.sql).await?.collect().await?)
        } else {
            None
        };

        // Counts.
        let mut status: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut severity: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut compared: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut muted_fail = (0, 0);
        let mut compared_all = (0, 0);
        let mut changes: BTreeMap<String, i64> = BTreeMap::new();
        let mut unverified: BTreeMap<String, i64> = BTreeMap::new();
        for (b, r) in rows(&counts) {
            let (section, name) = (
                text(b, "section", r),
                text(b, "name", r).unwrap_or_default(),
            );
            let (cur, prev) = (int(b, "current", r), int(b, "previous", r));
            match section.as_deref() {
                Some("status") => {
                    status.insert(name, (cur, prev));
                }
                Some("severity") => {
                    severity.insert(name, (cur, prev));
                }
                Some("compared") => {
                    compared.insert(name, (cur, prev));
                }
                Some("muted_fail") => muted_fail = (cur, prev),
                Some("compared_all") => compared_all = (cur, prev),
                Some("change") => {
                    changes.insert(name, cur);
                }
                Some("unverified") => {
                    unverified.insert(name, cur);
                }
                _ => {}
            }
        }
        let by_severity =
            |counts: &BTreeMap<String, (i64, i64)>, pick: &dyn Fn((i64, i64)) -> i64| -> Value {
                let mut m = Map::new();
                for s in SEVERITIES {
                    let v = counts.get(s.name()).copied().unwrap_or_default();
                    m.insert(s.name().to_ascii_lowercase(), pick(v).into());
                }
                Value::Object(m)
            };
        let stat = |name: &str| status.get(name).map_or(0, |v| v.0);
        let findings = stat("PASS") + stat("FAIL") + stat("MANUAL");
        // What the deltas leave out: open failures in cells one week observed and the other
        // did not (an account onboarded, missing, a region or check not scanned).
        let not_compared = |pick: &dyn Fn((i64, i64)) -> i64| -> Value {
            let mut m = Map::new();
            for s in SEVERITIES {
                let all = severity.get(s.name()).copied().unwrap_or_default();
                let like = compared.get(s.name()).copied().unwrap_or_default();
                m.insert(
                    s.name().to_ascii_lowercase(),
                    (pick(all) - pick(like)).into(),
                );
            }
            Value::Object(m)
        };

        // Scope: every account of this week and of the 12 weeks with data before it, per
        // producer (an account Prowler and Security Hub both scan has two rows).
        let mut accounts: BTreeMap<(String, String), AccountScope> = BTreeMap::new();
        let mut regions: BTreeSet<String> = BTreeSet::new();
        for (b, r) in rows(&scope) {
            let account = text(b, "account_uid", r).unwrap_or_default();
            let source = text(b, "source", r).unwrap_or_else(|| PROWLER.to_owned());
            if let Some(region) = text(b, "region", r) {
                regions.insert(region);
            }
            let reported = text(b, "region", r).is_some();
            accounts
                .entry((account, source))
                .or_insert_with(|| AccountScope {
                    status: text(b, "status", r).unwrap_or_default(),
                    onboarded: boolean(b, "onboarded", r),
                    last_week: text(b, "last_week", r),
                    weeks_missing: int(b, "weeks_missing", r),
                    error: text(b, "error", r),
                    reported,
                })
                .reported |= reported;
        }
        // An entry names its producer when it is not Prowler (lake's first producer).
        let entry = |account: &str, source: &str, mut v: Value| -> Value {
            if let Some(o) = v.as_object_mut() {
                o.insert("account".into(), account.into());
                if source != PROWLER {
                    o.insert("source".into(), source.into());
                }
            }
            v
        };
        // (scanned: a landed scan that reported something; one that reported nothing is
        // `accounts_empty`)
        let listed = |wanted: &[&str]| -> BTreeSet<&String> {
            accounts
                .iter()
                .filter(|(_, a)| wanted.contains(&a.status.as_str()) && a.reported)
                .map(|((name, _), _)| name)
                .collect()
        };
        let empty: Vec<Value> = accounts
            .iter()
            .filter(|(_, a)| a.status != "missing" && a.status != "failed" && !a.reported)
            .map(|((account, source), _)| entry(account, source, json!({})))
            .collect();
        let with_error = |wanted: &str| -> Vec<Value> {
            accounts
                .iter()
                .filter(|(_, a)| a.status == wanted)
                .map(|((account, source), a)| {
                    entry(
                        account,
                        source,
                        json!({"error": a.error.as_deref().map(trim)}),
                    )
                })
                .collect()
        };
        // Missing: a scan of it landed in one of the 12 weeks with data before, and none was
        // even attempted this week; listed with the week last seen for as long as it stays
        // missing (up to those 12 weeks).
        let missing: Vec<Value> = accounts
            .iter()
            .filter(|(_, a)| a.status == "missing")
            .map(|((account, source), a)| {
                entry(
                    account,
                    source,
                    json!({"last_seen": a.last_week, "weeks_missing": a.weeks_missing}),
                )
            })
            .collect();
        // Onboarded: new to the lake, no producer having scanned it before.
        let mut onboarded: BTreeMap<&String, bool> = BTreeMap::new();
        for ((account, _), a) in &accounts {
            if a.status != "missing" {
                *onboarded.entry(account).or_insert(true) &= a.onboarded;
            }
        }
        let onboarded: Vec<&String> = onboarded
            .into_iter()
            .filter_map(|(account, new)| new.then_some(account))
            .collect();

        // Per producer: its findings, open failures and changes, each judged on its own
        // evidence.
        let mut sources = Map::new();
        for (b, r) in rows(&producers) {
            let name = text(b, "source", r).unwrap_or_else(|| PROWLER.to_owned());
            sources.insert(
                name,
                json!({
                    "findings": int(b, "findings", r),
                    "open_fail": int(b, "open_fail", r),
                    "new": int(b, "new", r),
                    "regressed": int(b, "regressed", r),
                    "resolved": int(b, "resolved", r),
                    "unverified": int(b, "unverified", r),
                    "onboarded": int(b, "onboarded", r),
                }),
            );
        }

        let top_checks: Vec<Value> = rows(&checks)
            .map(|(b, r)| {
                json!({
                    "check_id": text(b, "check_id", r),
                    "title": text(b, "title", r).as_deref().map(trim),
                    "severity": text(b, "severity", r),
                    "open_fail": int(b, "open_fail", r),
                    "accounts": int(b, "accounts", r),
                    "resources": int(b, "resources", r),
                })
            })
            .collect();

        // Each sample finding in a few words: the prompt's budget is ~12-16 KB for 50 of
        // them. The check's title is in top_failing_checks (the check id reads as one), the
        // resource by its name, the detail cut at a word; uids and ARNs are in the diff.
        let samples: Vec<Value> = rows(&sample)
            .map(|(b, r)| {
                let account = text(b, "account_uid", r);
                let resource = short_resource(
                    text(b, "resource_name", r).as_deref(),
                    text(b, "resource_uid", r).as_deref().unwrap_or_default(),
                );
                let mut finding = json!({
                    "severity": text(b, "severity", r),
                    "check_id": text(b, "check_id", r),
                    "account": account,
                    "region": text(b, "region", r),
                    "resource": resource,
                    "status_detail": text(b, "status_detail", r)
                        .as_deref()
                        .map(|d| trim_to(d, MAX_DETAIL)),
                    "change": text(b, "change", r),
                });
                // Said once: an account-level check's resource is the account itself, and
                // most details name their resource.
                let detail = finding["status_detail"].as_str().unwrap_or_default();
                if account.as_deref() == Some(resource.as_str()) || detail.contains(&resource) {
                    if let Some(o) = finding.as_object_mut() {
                        o.remove("resource");
                    }
                }
                finding
            })
            .collect();

        // Risk in context: per landing zone and owner, and the riskiest findings with why.
        let mut zones = Map::new();
        let mut owners: Vec<(String, Value, (i64, i64, i64))> = Vec::new();
        let mut top_risks = Vec::new();
        for (b, r) in rows(&risk) {
            let counts = || {
                json!({
                    "open_fail": int(b, "open_fail", r),
                    "sla_breaches": int(b, "sla_breaches", r),
                    "high_risk": int(b, "high_risk", r),
                    "max_risk": int(b, "max_risk", r),
                })
            };
            match text(b, "section", r).as_deref() {
                Some("landing_zone") => {
                    zones.insert(text(b, "name", r).unwrap_or_default(), counts());
                }
                Some("owner") => owners.push((
                    text(b, "name", r).unwrap_or_default(),
                    counts(),
                    (
                        int(b, "sla_breaches", r),
                        int(b, "high_risk", r),
                        int(b, "open_fail", r),
                    ),
                )),
                Some("top") => {
                    let resource = short_resource(
                        text(b, "resource_name", r).as_deref(),
                        text(b, "resource_uid", r).as_deref().unwrap_or_default(),
                    );
                    top_risks.push(json!({
                        "risk": int(b, "max_risk", r),
                        "band": text(b, "risk_band", r),
                        "severity": text(b, "severity", r),
                        "check_id": text(b, "check_id", r),
                        "account": text(b, "account_uid", r),
                        "region": text(b, "region", r),
                        "resource": resource,
                        "owner": text(b, "owner", r),
                        "landing_zone": text(b, "landing_zone", r),
                        "open_days": int(b, "open_for_days", r),
                        "status": text(b, "status", r),
                        "reason": text(b, "risk_reason", r).as_deref().map(trim),
                    }));
                }
                _ => {}
            }
        }
        // The owners with the most breaches and high risks by name, the rest added up.
        owners.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        let mut by_owner = Map::new();
        let mut others = (0, 0, 0, 0);
        for (i, (name, counts, _)) in owners.into_iter().enumerate() {
            if i < MAX_OWNERS {
                by_owner.insert(name, counts);
            } else {
                others.0 += 1;
                others.1 += counts["open_fail"].as_i64().unwrap_or_default();
                others.2 += counts["sla_breaches"].as_i64().unwrap_or_default();
                others.3 += counts["high_risk"].as_i64().unwrap_or_default();
            }
        }
        let mut risk = json!({
            "context_version": context_version,
            "history_weeks": params.history_weeks()?,
            "by_landing_zone": zones,
            "by_owner": by_owner,
            "top_risks": top_risks,
        });
        if others.0 > 0 {
            risk["other_owners"] = json!({
                "owners": others.0,
                "open_fail": others.1,
                "sla_breaches": others.2,
                "high_risk": others.3,
            });
        }
        if context_version.is_none() {
            risk["note"] =
                "no business context set (lake context set): landing zones, owners and environments unknown".into();
        }

        let change = |name: &str| changes.get(name).copied().unwrap_or_default();
        let summary = json!({
            "week": week,
            "previous_week": against,
            "scope": {
                "accounts_scanned": listed(&["succeeded", "partial"]),
                "regions_scanned": regions,
                "accounts_partial": with_error("partial"),
                "accounts_failed": with_error("failed"),
                // a scan landed and reported no finding at all (an empty file: every check
                // errored, or credentials that could read nothing): nothing of it observed
                "accounts_empty": empty,
                "accounts_missing": missing,
                "accounts_onboarded": onboarded,
            },
            "totals": {
                "findings": findings,
                "pass": stat("PASS"),
                "fail": stat("FAIL"),
                // (FAIL less the muted: what every other count of failures here counts)
                "open_fail": stat("FAIL") - muted_fail.0,
                "manual": stat("MANUAL"),
                "muted": stat("muted"),
            },
            "open_fail_by_severity": {
                "current": by_severity(&severity, &|v| v.0),
                "previous": by_severity(&severity, &|v| v.1),
                // (null: the weeks observed nothing in common, no comparison rather than 0)
                "delta": if against.is_some() && compared_all != (0, 0) {
                    by_severity(&compared, &|v| v.0 - v.1)
                } else {
                    Value::Null
                },
                "not_compared": {
                    "current": not_compared(&|v| v.0),
                    "previous": not_compared(&|v| v.1),
                },
            },
            "muted_fail": {"current": muted_fail.0, "previous": muted_fail.1},
            "changes": {
                "new": change("new"),
                "regressed": change("regressed"),
                "onboarded": change("onboarded"),
                "persisting": change("persisting"),
                "resolved": change("resolved"),
                "unverified": change("unverified"),
                "muted": change("muted"),
            },
            "unverified_reasons": unverified,
            "sources": sources,
            "top_failing_checks": top_checks,
            "risk": risk,
            "sample": samples,
        });
        Ok((summary, diff))
    }
}

/// A resource as a reader names it: its name when it has a short one, else the last part
/// of its uid (an ARN's resource id).
fn short_resource(name: Option<&str>, uid: &str) -> String {
    match name.map(str::trim) {
        Some(n) if !n.is_empty() && n.chars().count() <= 64 => n.to_owned(),
        _ => {
            let tail = uid
                .trim_end_matches(['/', ':'])
                .rsplit(['/', ':'])
                .find(|p| !p.is_empty() && *p != "*")
                .unwrap_or(uid);
            trim_to(tail, 64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_named_as_readers_name_them() {
        let check = |name: Option<&str>, uid: &str, expected: &str| {
            assert_eq!(short_resource(name, uid), expected, "{name:?} {uid}");
        };
        check(
            Some("alice"),
            "arn:aws:iam::111111111111:user/alice",
            "alice",
        );
        check(None, "arn:aws:iam::111111111111:user/alice", "alice");
        check(
            Some(""),
            "arn:aws:s3:::globex-prod-public-assets",
            "globex-prod-public-assets",
        );
        check(None, "arn:aws:logs:eu-west-1:1:log-group:/app/x:*", "x");
        check(None, "plain-id", "plain-id");
    }

    #[test]
    fn text_is_cut_at_a_word() {
        assert_eq!(trim_to("a b c", 10), "a b c");
        assert_eq!(trim_to("alpha beta gamma", 12), "alpha beta…");
    }
}
