//! Producers: which tool wrote a finding, and how each one's fields map to lake's columns,
//! defined once: [`normalize`] implements [`PRODUCERS_MARKDOWN`], the table `SCHEMA.md`
//! prints ("Producers").

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use crate::findings::RejectReason;
use crate::identity::{parse_time, scan_time_with};
use crate::ocsf::{RawFinding, RawResource, Text};
use crate::severity::{Severity, STATUS_CODES, STATUS_ID_SUPPRESSED};

/// `source_product` of Prowler's findings.
pub const PROWLER: &str = "prowler";
/// `source_product` of the findings AWS Security Hub exports (its own controls and the AWS
/// products it aggregates).
pub const SECURITY_HUB: &str = "securityhub";

/// How each producer's fields map to lake's columns: the "Producers" section of `SCHEMA.md`.
pub const PRODUCERS_MARKDOWN: &str = "
## Producers

A finding is read in one of two formats, whichever its fields say (the two never share a \
field name): **OCSF**, a Detection Finding (class 2004) or a Compliance Finding (2003), from \
Prowler (`metadata.product.name` Prowler, or no product at all: lake's first input) or another \
producer (AWS Security Hub's OCSF findings and exports, ElectricEye, ...); or **ASFF**, the AWS \
Security Finding Format (Security Hub CSPM's `get-findings` and exports, Prowler's \
`json-asff`). A source is a JSON array, NDJSON, or a `{\"Findings\": [...]}` object (what \
`aws securityhub get-findings` and `get-findings-v2` print). Every producer fills the same \
columns; what differs is where each comes from (`crates/lake-core/src/source.rs`):

| column | Prowler OCSF | other OCSF | ASFF |
|---|---|---|---|
| `source_product` | `prowler` | `securityhub` for AWS's products (vendor AWS or Amazon, or a Security Hub product ARN: Security Hub, GuardDuty, Inspector and exposure findings reach lake through Security Hub), else the product name in lower-case letters and digits (`electriceye`) | `prowler` for Prowler's own (`product/prowler/prowler`), else `securityhub` |
| class (`class_uid`) | 2004 Detection Finding | any class of the Findings category from 2002 (Vulnerability: Inspector; Compliance 2003; Detection 2004; Data Security 2006: Macie; ...) |  |
| `check_id` | `metadata.event_code` | `compliance.control`, else `metadata.event_code`, else the CVE (`vulnerabilities[].cve.uid`), else the first of `finding_info.types` (a GuardDuty finding type), else `finding_info.analytic.name`, else the title | `Compliance.SecurityControlId`, else `ProductFields.ControlId` / `RuleId`, else `GeneratorId` (Prowler's without its `prowler-` prefix; for a detector's ARN, as GuardDuty writes it, the first of `Types`) |
| `status_code` | `status_code` | `compliance.status_id` (1 PASS, 3 FAIL, 2 Warning: MANUAL), else a PASS/FAIL/MANUAL `status_code`; a finding without a compliance verdict (a threat, an exposure) FAILs until its `status_id` is 4 Resolved (PASS) | `Compliance.Status` (PASSED, FAILED, WARNING: MANUAL); without one, FAIL until `Workflow.Status` is RESOLVED |
| `muted` | `status_id` 3 Suppressed | the same | `Workflow.Status` SUPPRESSED; Prowler's `WARNING` (how it writes muted findings: their PASS or FAIL is lost, so MANUAL) |
| `account_uid`, `region` | `cloud.account.uid`, else `unmapped.provider_uid`, else (Kubernetes before Prowler 5.19) the cluster in the finding uid; `cloud.region`, else the resource's region or namespace | `cloud.account.uid`; `cloud.region`, else the resource's region | `AwsAccountId`; `Region`, else the resource's, else the product ARN's |
| `resource_*`, `resources` | `resources[]` | `resources[]`, or the singular `resource` (OCSF 1.1 Compliance Findings, ElectricEye), tags from `labels` and `tags` | `Resources[]`, tags from `Tags` |
| `compliance` | `unmapped.compliance` | each of `compliance.standards` with the control, and `compliance.requirements` split into framework and ids | each `Compliance.AssociatedStandards` with the control, and `RelatedRequirements` likewise |
| `scan_time` | `time_dt` / `time` (see the column) | `time` (epoch **milliseconds** in Security Hub, seconds in ElectricEye: a value past the year 5000 as seconds is read as milliseconds), `time_dt` with its zone | `UpdatedAt`, else `LastObservedAt`, else `CreatedAt` (ISO 8601, any zone) |
| not kept, not an error (counted in the manifest's `warnings`) | | `activity_id` 3 Close, or `status_id` 5 Archived / 6 Deleted: no longer current; a compliance status other than Pass, Warning, Fail: not evaluated | `RecordState` ARCHIVED: no longer current; `Compliance.Status` NOT_AVAILABLE: not evaluated |

A file is one producer's: a finding of another producer than the file's first is rejected \
(`a finding of X in a file of Y`). A Prowler finding's key is as it always was; every other \
producer's key also covers `source_product` (hashed first), so two producers' keys never \
meet. Every view keeps producers apart (a scan is a scan of one producer; see \
`queries/views.sql`): a Security Hub finding never resolves a Prowler one, and Security Hub's \
complete export of an account is no evidence about Prowler's checks there. A Prowler scan is \
dated by its findings; another producer's export, whose findings were last updated at many \
times, by its file name (`securityhub-<account>-<YYYYMMDDHHMMSS>...`), else when it was \
written (its last-modified time), else its first finding; its run, when nothing names one, \
is that time and a digest of its path. Its files are named `<account>-<run>.<producer>.parquet`.
A source nothing could be read from (a failed row) is the producer its path names (a \
`securityhub` folder of the layout, a file named `securityhub-...` or `electriceye-...`), else \
Prowler's: an unreadable export never replaces Prowler's scan of the same account and run.
Files written before lake read other producers have no `source_product`: the views read it \
as `prowler`, which they all were (no migration; Athena: redeploy the template, or \
`ALTER TABLE findings ADD COLUMNS (source_product string, source_version string)` and \
`ALTER TABLE scans ADD COLUMNS (source_product string)`).
";

/// The OCSF class of Prowler's findings: Detection Finding.
pub const DETECTION_FINDING: i64 = 2004;
/// The OCSF classes of the Findings category another producer's findings may be (2003 is
/// Compliance Finding; the deprecated 2001 Security Finding has other field names and is
/// not read).
pub const FINDING_CLASSES: std::ops::RangeInclusive<i64> = 2002..=2099;

/// The format a finding is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OCSF (Detection or Compliance Finding).
    Ocsf,
    /// AWS Security Finding Format.
    Asff,
}

/// Why a well-formed finding is not kept, without that being an error of the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// No longer current: an archived, closed or deleted record.
    NotCurrent,
    /// The check could not be evaluated (ASFF NOT_AVAILABLE, OCSF compliance Unknown).
    NotEvaluated,
}

/// Why an element is not a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotKept {
    /// An error of the element: counted rejected, the source becomes partial.
    Rejected(RejectReason),
    /// A finding that says nothing about the present: counted, not an error.
    Skipped(Skip),
}

impl From<RejectReason> for NotKept {
    fn from(r: RejectReason) -> Self {
        NotKept::Rejected(r)
    }
}

fn text<'r>(t: &'r Text<'_>) -> Option<&'r str> {
    t.non_empty()
}

/// The format of `raw`: ASFF when it has an ASFF field and no OCSF one.
pub fn format_of(raw: &RawFinding<'_>) -> Format {
    let ocsf =
        raw.class_uid.0.is_some() || raw.metadata.0.is_some() || raw.finding_info.0.is_some();
    let asff = text(&raw.asff_schema_version).is_some()
        || text(&raw.asff_product_arn).is_some()
        || text(&raw.asff_generator_id).is_some()
        || text(&raw.asff_account_id).is_some();
    if asff && !ocsf {
        Format::Asff
    } else {
        Format::Ocsf
    }
}

/// Lower case letters and digits of a product name: `Security Hub` → `securityhub`.
pub fn product_key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The `source_product` of an OCSF finding.
fn ocsf_source<'r>(raw: &'r RawFinding<'_>) -> Cow<'r, str> {
    let Some(product) = raw.metadata.0.as_ref().and_then(|m| m.product.0.as_ref()) else {
        return Cow::Borrowed(PROWLER);
    };
    let name = text(&product.name);
    let uid = text(&product.uid);
    let vendor = text(&product.vendor_name);
    let is = |v: Option<&str>, want: &str| v.is_some_and(|v| v.eq_ignore_ascii_case(want));
    if is(name, "prowler") || is(uid, "prowler") {
        return Cow::Borrowed(PROWLER);
    }
    let aws_arn = uid.is_some_and(|u| u.contains(":securityhub:") && u.contains("/aws/"));
    if aws_arn || is(vendor, "aws") || is(vendor, "amazon") {
        return Cow::Borrowed(SECURITY_HUB);
    }
    match name.map(product_key).filter(|k| !k.is_empty()) {
        Some(key) if key == PROWLER => Cow::Borrowed(PROWLER),
        Some(key) => Cow::Owned(key),
        // A product without a name: lake's historic input was Prowler's.
        None => Cow::Borrowed(PROWLER),
    }
}

/// Whether an ASFF finding is Prowler's own (`json-asff`), rather than Security Hub's.
fn asff_is_prowler(raw: &RawFinding<'_>) -> bool {
    text(&raw.asff_product_arn).is_some_and(|a| a.ends_with("/prowler/prowler"))
        || text(&raw.asff_product_name).is_some_and(|n| n.eq_ignore_ascii_case("prowler"))
        || text(&raw.asff_generator_id).is_some_and(|g| g.starts_with("prowler-"))
}

/// The normalized, validated view of one finding, whatever its producer: what every column
/// of a row is read from.
#[derive(Debug)]
pub struct Normalized<'r> {
    /// The format it was read in.
    pub format: Format,
    /// `source_product`.
    pub source: Cow<'r, str>,
    /// The producer's version.
    pub source_version: Option<&'r str>,
    /// The finding's own id.
    pub uid: &'r str,
    /// `check_id`.
    pub check: Cow<'r, str>,
    /// PASS, FAIL or MANUAL.
    pub status: &'static str,
    /// Muted (suppressed).
    pub muted: bool,
    /// aws, azure, ... lower case.
    pub provider: Cow<'r, str>,
    /// The account as written in the finding (`None`: the scan's).
    pub account: Option<Cow<'r, str>>,
    /// Region (namespace for Kubernetes), `""` when none.
    pub region: &'r str,
    /// The first resource's uid, `""` when none.
    pub resource_uid: &'r str,
    /// Severity.
    pub severity: Severity,
    /// The service the check belongs to.
    pub service: Option<Cow<'r, str>>,
    /// The finding's own time, when readable.
    pub time: Option<DateTime<Utc>>,
}

/// Reads what every finding must have, in whichever format it is written: the producer,
/// uid, check and status first (a finding without them is rejected), then the rest.
/// `ocsf_time` gives an OCSF finding's time (the decoder caches it: a Prowler file's
/// findings share one).
pub fn normalize<'r>(
    raw: &'r RawFinding<'_>,
    ocsf_time: impl FnOnce(&'r RawFinding<'_>) -> Option<DateTime<Utc>>,
) -> Result<Normalized<'r>, NotKept> {
    match format_of(raw) {
        Format::Ocsf => normalize_ocsf(raw, ocsf_time),
        Format::Asff => normalize_asff(raw),
    }
}

fn first_resource<'r, 'a>(raw: &'r RawFinding<'a>) -> Option<&'r RawResource<'a>> {
    raw.resources
        .as_ref()
        .and_then(|r| r.first())
        .or(raw.resource.0.as_ref())
}

/// A check id's service for producers that do not name one: `S3.8` → `s3`, `CloudTrail.2`
/// → `cloudtrail` (Security Hub controls), `rds_instance_x` → `rds` (Prowler checks).
fn service_of_check(check: &str, separator: char) -> Option<Cow<'static, str>> {
    let (prefix, _) = check.split_once(separator)?;
    (!prefix.is_empty() && prefix.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| Cow::Owned(prefix.to_ascii_lowercase()))
}

fn normalize_ocsf<'r>(
    raw: &'r RawFinding<'_>,
    ocsf_time: impl FnOnce(&'r RawFinding<'_>) -> Option<DateTime<Utc>>,
) -> Result<Normalized<'r>, NotKept> {
    let source = ocsf_source(raw);
    let prowler = source == PROWLER;
    if let Some(class) = raw.class_uid.0 {
        // Prowler writes Detection Findings. Other producers' findings of the Findings
        // category (2002 Vulnerability: Inspector, 2003 Compliance, 2004 Detection, 2006
        // Data Security: Macie, ...) share the finding base lake reads: a Security Hub
        // export holds several of them.
        let finding = if prowler {
            class == DETECTION_FINDING
        } else {
            FINDING_CLASSES.contains(&class)
        };
        if !finding {
            return Err(RejectReason::OtherClass(class).into());
        }
    }
    let (metadata, info) = match (raw.metadata.0.as_ref(), raw.finding_info.0.as_ref()) {
        (None, None) => return Err(RejectReason::NotOcsf.into()),
        (m, i) => (m, i),
    };
    let uid = info
        .and_then(|i| text(&i.uid))
        .ok_or(RejectReason::MissingField("finding_info.uid"))?;
    let compliance = raw.compliance.0.as_ref();
    let event_code = metadata.and_then(|m| text(&m.event_code));
    let check: Cow<'r, str> = if prowler {
        Cow::Borrowed(event_code.ok_or(RejectReason::MissingField("metadata.event_code"))?)
    } else {
        let named = compliance
            .and_then(|c| text(&c.control))
            .or(event_code)
            .or_else(|| {
                // A vulnerability is checked by its CVE.
                raw.vulnerabilities
                    .iter()
                    .flatten()
                    .find_map(|v| v.cve.0.as_ref().and_then(|c| text(&c.uid)))
            })
            .or_else(|| info.and_then(|i| i.types.0.first().map(|t| t.as_ref())))
            .or_else(|| {
                info.and_then(|i| i.analytic.0.as_ref())
                    .and_then(|a| text(&a.name))
            })
            .or_else(|| info.and_then(|i| text(&i.title)))
            .filter(|c| !c.trim().is_empty());
        Cow::Borrowed(named.ok_or(RejectReason::MissingField(
            "compliance.control or metadata.event_code",
        ))?)
    };
    let suppressed = raw.status_id.0 == Some(STATUS_ID_SUPPRESSED)
        || text(&raw.status).is_some_and(|s| s.eq_ignore_ascii_case("suppressed"));
    let status = if prowler {
        prowler_status(&raw.status_code)?
    } else {
        if raw.activity_id.0 == Some(3) || matches!(raw.status_id.0, Some(5 | 6)) {
            return Err(NotKept::Skipped(Skip::NotCurrent));
        }
        ocsf_verdict(raw)?
    };
    let cloud = raw.cloud.0.as_ref();
    let unmapped = raw.unmapped.0.as_ref();
    let resource = first_resource(raw);
    let provider: Cow<'r, str> = match cloud
        .and_then(|c| text(&c.provider))
        .or_else(|| unmapped.and_then(|u| text(&u.provider)))
        .or_else(|| {
            uid.strip_prefix("prowler-")
                .and_then(|rest| rest.split_once('-'))
                .map(|(p, _)| p)
        }) {
        Some(p) if p.bytes().any(|b| b.is_ascii_uppercase()) => Cow::Owned(p.to_ascii_lowercase()),
        Some(p) => Cow::Borrowed(p),
        None => Cow::Borrowed("unknown"),
    };
    let account = cloud
        .and_then(|c| c.account.0.as_ref())
        .and_then(|a| text(&a.uid))
        .or_else(|| unmapped.and_then(|u| text(&u.provider_uid)))
        .map(Cow::Borrowed)
        .or_else(|| {
            (provider == "kubernetes")
                .then(|| kubernetes_cluster(uid, &check))
                .flatten()
                .map(Cow::Borrowed)
        });
    // Kubernetes has no region: its scope is the namespace (`cluster-wide` for cluster objects).
    let region = cloud
        .and_then(|c| text(&c.region))
        .or_else(|| resource.and_then(|r| text(&r.region).or_else(|| text(&r.namespace))))
        .unwrap_or("");
    let resource_uid = resource
        .and_then(|r| text(&r.uid).or_else(|| text(&r.name)))
        .unwrap_or("");
    let severity = text(&raw.severity)
        .and_then(Severity::from_name)
        .or_else(|| raw.severity_id.0.and_then(Severity::from_id))
        .unwrap_or(Severity::Unknown);
    let service = resource
        .and_then(|r| r.group.0.as_ref())
        .and_then(|g| text(&g.name))
        .map(Cow::Borrowed)
        .or_else(|| {
            (!prowler && compliance.and_then(|c| text(&c.control)).is_some())
                .then(|| service_of_check(&check, '.'))
                .flatten()
        });
    let source_version = metadata
        .and_then(|m| m.product.0.as_ref())
        .and_then(|p| text(&p.version));
    Ok(Normalized {
        format: Format::Ocsf,
        source,
        source_version,
        uid,
        check,
        status,
        muted: suppressed,
        provider,
        account,
        region,
        resource_uid,
        severity,
        service,
        time: ocsf_time(raw),
    })
}

/// Prowler's `status_code`: PASS, FAIL or MANUAL, required.
fn prowler_status(code: &Text<'_>) -> Result<&'static str, NotKept> {
    let raw = text(code).ok_or(RejectReason::MissingField("status_code"))?;
    STATUS_CODES
        .into_iter()
        .find(|c| c.eq_ignore_ascii_case(raw.trim()))
        .ok_or_else(|| RejectReason::InvalidStatus(raw.to_owned()).into())
}

/// Another producer's OCSF verdict: the compliance status when there is one, else a
/// PASS/FAIL/MANUAL `status_code`, else (a detection: a threat, an exposure) FAIL until
/// resolved.
fn ocsf_verdict(raw: &RawFinding<'_>) -> Result<&'static str, NotKept> {
    if let Some(c) = raw.compliance.0.as_ref() {
        let by_name = text(&c.status).map(|s| s.trim().to_ascii_lowercase());
        let verdict = match (c.status_id.0, by_name.as_deref()) {
            (Some(1), _) | (None, Some("pass" | "passed")) => Some("PASS"),
            (Some(3), _) | (None, Some("fail" | "failed")) => Some("FAIL"),
            (Some(2), _) | (None, Some("warning")) => Some("MANUAL"),
            (Some(_), _) | (None, Some(_)) => {
                return Err(NotKept::Skipped(Skip::NotEvaluated));
            }
            (None, None) => None,
        };
        if let Some(v) = verdict {
            return Ok(v);
        }
    }
    if let Some(code) = text(&raw.status_code) {
        if let Some(c) = STATUS_CODES
            .into_iter()
            .find(|c| c.eq_ignore_ascii_case(code.trim()))
        {
            return Ok(c);
        }
    }
    let resolved = raw.status_id.0 == Some(4)
        || text(&raw.status).is_some_and(|s| s.eq_ignore_ascii_case("resolved"));
    Ok(if resolved { "PASS" } else { "FAIL" })
}

/// The cluster a Prowler Kubernetes finding uid names:
/// `prowler-kubernetes-<check>-<cluster>-namespace: <ns>-<name>` (before Prowler 5.19 the
/// only place a Kubernetes finding names its cluster).
pub fn kubernetes_cluster<'r>(uid: &'r str, check: &str) -> Option<&'r str> {
    let rest = uid
        .strip_prefix("prowler-kubernetes-")?
        .strip_prefix(check)?
        .strip_prefix('-')?;
    let (cluster, _) = rest.rsplit_once("-namespace: ")?;
    (!cluster.is_empty()).then_some(cluster)
}

fn normalize_asff<'r>(raw: &'r RawFinding<'_>) -> Result<Normalized<'r>, NotKept> {
    let prowler = asff_is_prowler(raw);
    let uid = text(&raw.asff_id).ok_or(RejectReason::MissingField("Id"))?;
    let compliance = raw.asff_compliance.0.as_ref();
    let fields = raw.asff_product_fields.0.as_ref();
    let generator = text(&raw.asff_generator_id);
    let check = compliance
        .and_then(|c| text(&c.security_control_id))
        .or_else(|| fields.and_then(|f| text(&f.control_id).or_else(|| text(&f.rule_id))))
        .or_else(|| {
            generator.map(|g| match g.strip_prefix("prowler-") {
                Some(check) if prowler => check,
                // A detector's ARN (GuardDuty) names no check: its finding type does.
                _ if g.starts_with("arn:") => raw.asff_types.0.first().map_or(g, |t| t.as_ref()),
                _ => g,
            })
        })
        .filter(|c| !c.trim().is_empty())
        .ok_or(RejectReason::MissingField("GeneratorId"))?;
    if text(&raw.asff_record_state).is_some_and(|s| s.eq_ignore_ascii_case("archived")) {
        return Err(NotKept::Skipped(Skip::NotCurrent));
    }
    let workflow = raw
        .asff_workflow
        .0
        .as_ref()
        .and_then(|w| text(&w.status))
        .or_else(|| text(&raw.asff_workflow_state));
    let is = |v: Option<&str>, want: &str| v.is_some_and(|v| v.eq_ignore_ascii_case(want));
    let mut muted = is(workflow, "suppressed");
    let status = match compliance.and_then(|c| text(&c.status)) {
        Some(s) if s.eq_ignore_ascii_case("passed") => "PASS",
        Some(s) if s.eq_ignore_ascii_case("failed") => "FAIL",
        Some(s) if s.eq_ignore_ascii_case("warning") => {
            // Prowler writes its muted findings as WARNING (their PASS or FAIL is lost).
            muted |= prowler;
            "MANUAL"
        }
        Some(s) if s.eq_ignore_ascii_case("not_available") => {
            return Err(NotKept::Skipped(Skip::NotEvaluated));
        }
        Some(other) => {
            return Err(RejectReason::InvalidComplianceStatus(other.to_owned()).into());
        }
        None if is(workflow, "resolved") => "PASS",
        None => "FAIL",
    };
    let resource = raw.asff_resources.as_ref().and_then(|r| r.first());
    let region = text(&raw.asff_region)
        .or_else(|| resource.and_then(|r| text(&r.region)))
        .or_else(|| {
            // arn:aws:securityhub:<region>::product/...
            text(&raw.asff_product_arn)
                .and_then(|a| a.split(':').nth(3))
                .filter(|r| !r.is_empty())
        })
        .unwrap_or("");
    let severity = raw
        .asff_severity
        .0
        .as_ref()
        .and_then(|s| {
            text(&s.label).and_then(Severity::from_name).or_else(|| {
                s.normalized.0.map(|n| match n {
                    i64::MIN..=0 => Severity::Informational,
                    1..=39 => Severity::Low,
                    40..=69 => Severity::Medium,
                    70..=89 => Severity::High,
                    _ => Severity::Critical,
                })
            })
        })
        .unwrap_or(Severity::Unknown);
    let time = [
        &raw.asff_updated_at,
        &raw.asff_last_observed_at,
        &raw.asff_created_at,
    ]
    .into_iter()
    .find_map(|t| text(t).and_then(parse_time));
    let service = if prowler {
        service_of_check(check, '_')
    } else {
        service_of_check(check, '.')
    };
    Ok(Normalized {
        format: Format::Asff,
        source: Cow::Borrowed(if prowler { PROWLER } else { SECURITY_HUB }),
        source_version: fields.and_then(|f| text(&f.provider_version)),
        uid,
        check: Cow::Borrowed(check),
        status,
        muted,
        provider: Cow::Borrowed("aws"),
        account: text(&raw.asff_account_id).map(Cow::Borrowed),
        region,
        resource_uid: resource.and_then(|r| text(&r.id)).unwrap_or(""),
        severity,
        service,
        time,
    })
}

/// The time of an OCSF finding, from whichever time fields its producer wrote.
pub fn ocsf_time(raw: &RawFinding<'_>) -> Option<DateTime<Utc>> {
    let info = raw.finding_info.0.as_ref();
    scan_time_with(
        raw.time_dt.0.as_deref(),
        raw.time.0,
        &[
            raw.event_time.0.as_deref(),
            info.and_then(|i| i.created_time_dt.0.as_deref()),
            info.and_then(|i| i.created_time.0.as_deref()),
        ],
    )
}

/// Splits a related requirement into its framework and requirement ids:
/// `CIS AWS Foundations Benchmark v1.2.0/2.7` gives `CIS AWS Foundations Benchmark v1.2.0`
/// with `2.7`; `NIST.800-53.r5 AC-3` gives `NIST.800-53.r5` with `AC-3`; Prowler's ASFF
/// `FFIEC d3-cc-pm-b-1 d3-cc-pm-b-3` gives `FFIEC` with `d3-cc-pm-b-1` and `d3-cc-pm-b-3`.
pub fn split_requirement(r: &str) -> (&str, Vec<&str>) {
    let r = r.trim();
    if let Some((framework, id)) = r.rsplit_once('/') {
        if !framework.trim().is_empty() && !id.trim().is_empty() && !id.contains(' ') {
            return (framework.trim(), vec![id.trim()]);
        }
    }
    match r.split_once(' ') {
        Some((framework, ids)) => (framework, ids.split_whitespace().collect()),
        None => (r, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> RawFinding<'_> {
        serde_json::from_str(json).unwrap()
    }

    fn norm(json: &str) -> Result<(String, String, &'static str, bool), NotKept> {
        let raw = parse(json);
        normalize(&raw, ocsf_time).map(|n| {
            (
                n.source.into_owned(),
                n.check.into_owned(),
                n.status,
                n.muted,
            )
        })
    }

    #[test]
    fn prowler_findings_are_read_as_always() {
        let f = r#"{"class_uid": 2004, "metadata": {"event_code": "s3_x",
            "product": {"name": "Prowler", "uid": "prowler", "version": "5.46.0"}},
            "finding_info": {"uid": "prowler-aws-s3_x-1-us-east-1-b"}, "status_code": "FAIL",
            "status_id": 3}"#;
        assert_eq!(
            norm(f).unwrap(),
            ("prowler".into(), "s3_x".into(), "FAIL", true)
        );
        // No product at all: lake's historic input.
        let f = r#"{"metadata": {"event_code": "c"}, "finding_info": {"uid": "u"},
            "status_code": "pass"}"#;
        assert_eq!(
            norm(f).unwrap(),
            ("prowler".into(), "c".into(), "PASS", false)
        );
    }

    #[test]
    fn security_hub_compliance_findings_take_their_verdict_from_compliance() {
        let f = |status_id: i64, activity: i64| {
            format!(
                r#"{{"class_uid": 2003, "activity_id": {activity},
                "metadata": {{"product": {{"name": "Security Hub", "vendor_name": "AWS",
                  "uid": "arn:aws:securityhub:us-east-2::productv2/aws/securityhub"}}}},
                "finding_info": {{"uid": "arn:aws:securityhub:us-east-2:1:security-control/IAM.1/finding/x"}},
                "compliance": {{"control": "IAM.1", "status_id": {status_id}}},
                "status": "New", "status_id": 1}}"#
            )
        };
        assert_eq!(
            norm(&f(3, 2)).unwrap(),
            ("securityhub".into(), "IAM.1".into(), "FAIL", false)
        );
        assert_eq!(norm(&f(1, 2)).unwrap().2, "PASS");
        assert_eq!(norm(&f(2, 2)).unwrap().2, "MANUAL");
        assert_eq!(norm(&f(0, 1)), Err(NotKept::Skipped(Skip::NotEvaluated)));
        assert_eq!(norm(&f(3, 3)), Err(NotKept::Skipped(Skip::NotCurrent)));
    }

    #[test]
    fn detections_fail_until_resolved_and_are_checked_by_their_type() {
        let f = |status: &str| {
            format!(
                r#"{{"class_uid": 2004, "metadata": {{"product": {{"name": "GuardDuty",
                "vendor_name": "AWS"}}}}, "finding_info": {{"uid": "arn:aws:guardduty:x",
                "types": ["Stealth:IAMUser/CloudTrailLoggingDisabled"]}}, {status}}}"#
            )
        };
        let (source, check, status, muted) = norm(&f(r#""status_id": 3"#)).unwrap();
        assert_eq!(
            (source.as_str(), check.as_str(), status, muted),
            (
                "securityhub",
                "Stealth:IAMUser/CloudTrailLoggingDisabled",
                "FAIL",
                true
            )
        );
        assert_eq!(norm(&f(r#""status": "Resolved""#)).unwrap().2, "PASS");
        assert_eq!(
            norm(&f(r#""status_id": 5"#)),
            Err(NotKept::Skipped(Skip::NotCurrent))
        );
    }

    #[test]
    fn other_producers_are_named_by_their_product() {
        let f = r#"{"class_uid": 2003, "metadata": {"product": {"name": "ElectricEye",
            "vendor_name": "ElectricEye", "version": "3.0"}}, "finding_info": {"uid": "u",
            "title": "[Azure.DefenderForCloud.3] x"}, "compliance": {"control":
            "Azure.DefenderForCloud.3", "status": "Fail", "status_id": 3}, "severity_id": 99,
            "severity": "Medium", "resource": {"uid": "/subscriptions/s/r", "region": "azure-global"}}"#;
        let raw = parse(f);
        let n = normalize(&raw, ocsf_time).unwrap();
        assert_eq!(
            (
                n.source.as_ref(),
                n.check.as_ref(),
                n.status,
                n.severity,
                n.resource_uid,
                n.region
            ),
            (
                "electriceye",
                "Azure.DefenderForCloud.3",
                "FAIL",
                Severity::Medium,
                "/subscriptions/s/r",
                "azure-global"
            )
        );
        assert_eq!(n.service.as_deref(), Some("azure"));
        let other_class = r#"{"class_uid": 2002, "finding_info": {"uid": "u"}}"#;
        assert_eq!(
            norm(other_class),
            Err(RejectReason::OtherClass(2002).into())
        );
        let no_check = r#"{"class_uid": 2003, "metadata": {"product": {"name": "X"}},
            "finding_info": {"uid": "u"}, "compliance": {"status_id": 3}}"#;
        assert_eq!(
            norm(no_check),
            Err(RejectReason::MissingField("compliance.control or metadata.event_code").into())
        );
    }

    #[test]
    fn other_finding_classes_of_a_security_hub_export_are_read() {
        // Inspector's vulnerability through Security Hub (Vulnerability Finding 2002).
        let f = r#"{"class_uid": 2002, "metadata": {"product": {"name": "Inspector",
            "vendor_name": "AWS"}}, "finding_info": {"uid": "arn:aws:inspector2:x",
            "types": ["Software and Configuration Checks/Vulnerabilities/CVE"]},
            "vulnerabilities": [{"cve": {"uid": "CVE-2024-3094"}}], "status_id": 1}"#;
        assert_eq!(
            norm(f).unwrap(),
            ("securityhub".into(), "CVE-2024-3094".into(), "FAIL", false)
        );
        // The deprecated Security Finding (2001) is not read, whoever wrote it; Prowler
        // writes Detection Findings only.
        for (class, product) in [(2001, "Security Hub"), (2003, "Prowler")] {
            let f = format!(
                r#"{{"class_uid": {class}, "metadata": {{"product": {{"name": "{product}"}}}},
                "finding_info": {{"uid": "u"}}}}"#
            );
            assert_eq!(norm(&f), Err(RejectReason::OtherClass(class).into()));
        }
    }

    #[test]
    fn asff_findings_map_compliance_workflow_and_record_state() {
        let f = |compliance: &str, workflow: &str, record: &str| {
            format!(
                r#"{{"SchemaVersion": "2018-10-08", "Id": "arn:aws:securityhub:us-east-2:1:x",
                "ProductArn": "arn:aws:securityhub:us-east-2::product/aws/securityhub",
                "GeneratorId": "security-control/CloudTrail.2", "AwsAccountId": "1",
                "UpdatedAt": "2021-09-28T16:10:00.093Z", "Severity": {{"Label": "MEDIUM"}},
                {compliance} "Workflow": {{"Status": "{workflow}"}}, "RecordState": "{record}",
                "Resources": [{{"Type": "AwsCloudTrailTrail", "Id": "arn:t", "Region": "us-east-2"}}]}}"#
            )
        };
        let cc = r#""Compliance": {"Status": "FAILED", "SecurityControlId": "CloudTrail.2"},"#;
        let raw_text = f(cc, "NEW", "ACTIVE");
        let raw = parse(&raw_text);
        let n = normalize(&raw, ocsf_time).unwrap();
        assert_eq!(
            (
                n.format,
                n.source.as_ref(),
                n.check.as_ref(),
                n.status,
                n.muted,
                n.region,
                n.resource_uid
            ),
            (
                Format::Asff,
                "securityhub",
                "CloudTrail.2",
                "FAIL",
                false,
                "us-east-2",
                "arn:t"
            )
        );
        assert_eq!(
            (
                n.service.as_deref(),
                n.severity,
                n.time.map(|t| t.to_rfc3339())
            ),
            (
                Some("cloudtrail"),
                Severity::Medium,
                Some("2021-09-28T16:10:00.093+00:00".into())
            )
        );
        assert!(norm(&f(cc, "SUPPRESSED", "ACTIVE")).unwrap().3);
        assert_eq!(
            norm(&f(cc, "NEW", "ARCHIVED")),
            Err(NotKept::Skipped(Skip::NotCurrent))
        );
        let na = r#""Compliance": {"Status": "NOT_AVAILABLE"},"#;
        assert_eq!(
            norm(&f(na, "NEW", "ACTIVE")),
            Err(NotKept::Skipped(Skip::NotEvaluated))
        );
        let bad = r#""Compliance": {"Status": "PASS"},"#;
        assert_eq!(
            norm(&f(bad, "NEW", "ACTIVE")),
            Err(RejectReason::InvalidComplianceStatus("PASS".into()).into())
        );
        // A finding without a compliance verdict (GuardDuty through Security Hub).
        assert_eq!(norm(&f("", "NEW", "ACTIVE")).unwrap().2, "FAIL");
        assert_eq!(norm(&f("", "RESOLVED", "ACTIVE")).unwrap().2, "PASS");
    }

    #[test]
    fn prowler_asff_is_prowler_and_its_warning_is_muted() {
        let f = r#"{"SchemaVersion": "2018-10-08",
            "Id": "prowler-rds_instance_minor_version_upgrade_enabled-1-eu-west-1-b1ade474a",
            "ProductArn": "arn:aws:securityhub:eu-west-1::product/prowler/prowler",
            "GeneratorId": "prowler-rds_instance_minor_version_upgrade_enabled",
            "AwsAccountId": "1", "Compliance": {"Status": "WARNING"},
            "Resources": [{"Type": "AwsRdsDbInstance", "Id": "db", "Region": "eu-west-1"}]}"#;
        let raw = parse(f);
        let n = normalize(&raw, ocsf_time).unwrap();
        assert_eq!(
            (
                n.source.as_ref(),
                n.check.as_ref(),
                n.status,
                n.muted,
                n.service.as_deref(),
                n.region
            ),
            (
                "prowler",
                "rds_instance_minor_version_upgrade_enabled",
                "MANUAL",
                true,
                Some("rds"),
                "eu-west-1"
            )
        );
    }

    #[test]
    fn kubernetes_clusters_are_read_from_the_finding_uid() {
        let uid = "prowler-kubernetes-core_x-arn:aws:eks:eu-west-1:1:cluster/prod-eks-namespace: monitoring-pod-1";
        assert_eq!(
            kubernetes_cluster(uid, "core_x"),
            Some("arn:aws:eks:eu-west-1:1:cluster/prod-eks")
        );
        assert_eq!(kubernetes_cluster(uid, "core_y"), None);
        assert_eq!(
            kubernetes_cluster("prowler-aws-core_x-1-r-n", "core_x"),
            None
        );
    }

    #[test]
    fn requirements_split_into_framework_and_id() {
        assert_eq!(
            split_requirement("CIS AWS Foundations Benchmark v1.2.0/2.7"),
            ("CIS AWS Foundations Benchmark v1.2.0", vec!["2.7"])
        );
        assert_eq!(
            split_requirement("PCI DSS v3.2.1/3.4"),
            ("PCI DSS v3.2.1", vec!["3.4"])
        );
        assert_eq!(
            split_requirement("NIST.800-53.r5 AC-3"),
            ("NIST.800-53.r5", vec!["AC-3"])
        );
        assert_eq!(
            split_requirement("FFIEC d3-cc-pm-b-1 d3-cc-pm-b-3"),
            ("FFIEC", vec!["d3-cc-pm-b-1", "d3-cc-pm-b-3"])
        );
        assert_eq!(split_requirement("FFIEC"), ("FFIEC", vec![]));
    }
}
