//! What a report says: plain data, filled by `lake-query` from the same classification as
//! `diff`, `summary`, `posture` and `trend` (the numbers are theirs, never recomputed here).

use serde::Serialize;

/// The severities reported, most severe first (the names `findings.severity` holds).
pub const SEVERITIES: [&str; 5] = ["Critical", "High", "Medium", "Low", "Informational"];

/// Rank of a severity name for sorting, most severe first (unknown names last).
pub fn severity_rank(name: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| s.eq_ignore_ascii_case(name))
        .unwrap_or(SEVERITIES.len())
}

/// Everything one weekly report shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// The ISO week reported, e.g. `2026-W21`.
    pub week: String,
    /// The week it is compared with (the latest earlier week with data), if any.
    pub against: Option<String>,
    /// Pass rates of the week (the `posture` query's overall row).
    pub posture: Option<PassRate>,
    /// Open (unmuted) FAIL findings per severity, most severe first.
    pub open_fail: Vec<SeverityCount>,
    /// Muted FAIL findings (not open), this week and the week compared with.
    pub muted_fail: (i64, i64),
    /// Change counts of unmuted findings (muted ones apart), as `summary` gives them.
    pub changes: ChangeCounts,
    /// Why findings are unverified, with how many: reason, count.
    pub unverified_reasons: Vec<(String, i64)>,
    /// What was scanned and what was not.
    pub coverage: Coverage,
    /// New and regressed findings grouped by check, most severe first.
    pub new: Vec<CheckGroup>,
    /// Resolved findings grouped by check, most severe first.
    pub resolved: Vec<CheckGroup>,
    /// The open failures that matter most (by severity, then how many), with their age.
    pub top_open: Vec<OpenIssue>,
    /// The open failures judged in the business context (`lake context set`): per landing
    /// zone and owner, and the riskiest findings with why. None without a context.
    pub risk: Option<Risk>,
    /// The weeks of the trend, oldest first, ending with the week reported.
    pub trend: Vec<TrendWeek>,
    /// Pass rate per account this week.
    pub accounts: Vec<AccountRate>,
    /// Quick wins: failing checks with few resources and a known remediation.
    pub actions: Vec<Action>,
    /// The week's changes row by row (the `diff` query), for the spreadsheet.
    pub diff_rows: Vec<DiffRow>,
    /// The week's open failures row by row, for the spreadsheet (when asked for).
    pub open_rows: Vec<OpenRow>,
    /// How many open failures there were in all (`open_rows` may hold fewer).
    pub open_rows_total: i64,
    /// Text written elsewhere (an LLM, a person), merged into the sections.
    pub narrative: Option<crate::narrative::Narrative>,
}

/// Pass rate = PASS / (PASS + open FAIL), in percent (the `posture` query).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PassRate {
    /// This week, over everything observed.
    pub rate: Option<f64>,
    /// This week over the cells both weeks observed.
    pub compared: Option<f64>,
    /// The week compared with, over the same cells.
    pub previous: Option<f64>,
    /// `compared - previous`, in points.
    pub delta: Option<f64>,
    /// PASS findings this week.
    pub pass: i64,
    /// Open FAIL findings this week.
    pub fail: i64,
}

/// Open FAIL findings of one severity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SeverityCount {
    /// Severity name.
    pub severity: String,
    /// This week.
    pub current: i64,
    /// The week compared with.
    pub previous: i64,
    /// The change over the cells both weeks observed (like for like); none when the weeks
    /// observed nothing in common.
    pub delta: Option<i64>,
    /// This week's open failures outside those cells (e.g. an onboarded account).
    pub not_compared_current: i64,
    /// The previous week's open failures outside those cells (e.g. an account not scanned now).
    pub not_compared_previous: i64,
}

/// Change counts of unmuted findings.
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct ChangeCounts {
    pub new: i64,
    pub regressed: i64,
    pub onboarded: i64,
    pub persisting: i64,
    pub resolved: i64,
    pub unverified: i64,
    pub muted: i64,
}

/// The accounts of the week and of the weeks with data before it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// Accounts with a landed scan (complete or partial) this week.
    pub scanned: Vec<String>,
    /// Regions scanned this week.
    pub regions: Vec<String>,
    /// Accounts whose scan was cut short: account, error.
    pub partial: Vec<(String, Option<String>)>,
    /// Accounts whose scan failed: account, error.
    pub failed: Vec<(String, Option<String>)>,
    /// Accounts whose scan landed and reported no finding at all (an empty file).
    pub empty: Vec<String>,
    /// Accounts seen before and not scanned this week.
    pub missing: Vec<Missing>,
    /// Accounts scanned for the first time this week.
    pub onboarded: Vec<String>,
}

/// An account seen in an earlier week and not scanned this week.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Missing {
    /// Account id.
    pub account: String,
    /// The last week a scan of it landed.
    pub last_seen: Option<String>,
    /// For how many weeks with data it has been missing.
    pub weeks_missing: i64,
}

/// Findings of one check that changed the same way.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckGroup {
    /// Check id.
    pub check_id: String,
    /// Check title.
    pub title: String,
    /// Severity name.
    pub severity: String,
    /// How many findings.
    pub findings: i64,
    /// How many of them regressed (failed before, passed in between).
    pub regressed: i64,
    /// Accounts they are in.
    pub accounts: Vec<String>,
    /// A few of their resources.
    pub resources: Vec<String>,
}

/// The summary's risk in context (`finding_risk`: the score, its band, the SLA).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Risk {
    /// The context version that judged the week.
    pub context_version: i64,
    /// Weeks with data each finding's lifecycle (its age) was read from.
    pub history_weeks: i64,
    /// Per landing zone (`none`: in none), by name.
    pub by_landing_zone: Vec<RiskGroup>,
    /// Per owner team (`none`: unowned), the most SLA breaches and high risks first.
    pub by_owner: Vec<RiskGroup>,
    /// The owners not listed by name, added up (`name`: how many).
    pub other_owners: Option<RiskGroup>,
    /// The riskiest open failures, riskiest first.
    pub top: Vec<RiskFinding>,
}

/// Open failures of a landing zone or owner, judged in context.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RiskGroup {
    /// The landing zone or owner.
    pub name: String,
    /// Open (unmuted) FAIL findings.
    pub open_fail: i64,
    /// Of them, open longer than their remediation SLA.
    pub sla_breaches: i64,
    /// Of them, at critical or high risk.
    pub high_risk: i64,
    /// The highest risk score among them (0-100).
    pub max_risk: Option<i64>,
}

/// One of the riskiest open failures.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RiskFinding {
    /// Risk score, 0-100.
    pub risk: i64,
    /// Its band: critical, high, medium, low, info.
    pub band: String,
    /// Severity name.
    pub severity: String,
    /// Check id.
    pub check_id: String,
    /// Account id.
    pub account: String,
    /// Region.
    pub region: String,
    /// The resource, shortened.
    pub resource: String,
    /// Owner team, if known.
    pub owner: Option<String>,
    /// Landing zone, if known.
    pub landing_zone: Option<String>,
    /// Days open (since the first scan of its current failing run), if known.
    pub open_days: Option<i64>,
    /// onboarded, new, reopened or open.
    pub status: String,
    /// How the score was made, point by point.
    pub reason: String,
}

/// A check with open failures this week.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OpenIssue {
    /// Check id.
    pub check_id: String,
    /// Check title.
    pub title: String,
    /// Severity name.
    pub severity: String,
    /// Open (unmuted) FAIL findings.
    pub open_fail: i64,
    /// Accounts they are in.
    pub accounts: i64,
    /// Resources they are on.
    pub resources: i64,
    /// The first week of the unbroken run of weeks with data, ending this week, in which
    /// the check had open failures (within the trend's weeks).
    pub failing_since: Option<String>,
    /// In how many of the trend's weeks it had open failures.
    pub weeks_failing: i64,
    /// How many weeks the trend holds.
    pub weeks_seen: i64,
}

/// One week of the trend (the `trend` query).
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct TrendWeek {
    pub week: String,
    pub accounts_scanned: i64,
    /// Scanned accounts whose scans that week were partial or failed.
    pub accounts_incomplete: i64,
    pub accounts_missing: i64,
    pub open_fail: i64,
    /// Open FAIL per severity, in the order of [`SEVERITIES`].
    pub by_severity: [i64; 5],
    /// Change of open FAIL like for like against the week before (None for the first week).
    pub open_fail_delta: Option<i64>,
    pub new: i64,
    pub regressed: i64,
    pub resolved: i64,
    pub unverified: i64,
}

/// Pass rate of one account (the `posture` query's account rows).
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct AccountRate {
    pub account: String,
    pub pass: i64,
    pub fail: i64,
    pub pass_rate: Option<f64>,
    pub delta: Option<f64>,
}

/// A quick win: a failing check on few resources with a known remediation.
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct Action {
    pub check_id: String,
    pub title: String,
    pub severity: String,
    pub open_fail: i64,
    pub resources: Vec<String>,
    pub remediation: String,
    pub reference: Option<String>,
}

/// A row of the `diff` query.
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct DiffRow {
    pub change: String,
    pub reason: String,
    pub severity: String,
    pub muted: bool,
    pub check_id: String,
    pub title: String,
    pub account_uid: String,
    pub region: String,
    pub resource_uid: String,
    pub status_now: Option<String>,
    pub status_before: Option<String>,
    pub status_detail: String,
    pub baseline_week: Option<String>,
    pub finding_uid: String,
}

/// An open failure of the week.
#[derive(Debug, Clone, Default, Serialize)]
#[allow(missing_docs)]
pub struct OpenRow {
    pub severity: String,
    pub check_id: String,
    pub title: String,
    pub account_uid: String,
    pub region: String,
    pub resource_uid: String,
    pub status_detail: String,
    pub remediation: String,
    pub finding_uid: String,
}
