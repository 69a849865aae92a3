//! Run identity: which run, account and week a scan file belongs to.
//!
//! The scanning task writes
//! `<prefix>/<YYYY-Www>/<run-id>/<account>/json-ocsf/prowler-output-<account>-<YYYYMMDDHHMMSS>.ocsf.json`.
//! When a source path has that shape it names the week, run and account; otherwise the file
//! name may still name the account and scan time; whatever is still unknown comes from the
//! first finding. Flags override everything. `week` belongs to the run, so the accounts of
//! one run never straddle two weeks even when the run crosses midnight on a Sunday.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// An ISO 8601 week, written `2026-W21`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    /// ISO week-numbering year.
    pub year: i32,
    /// Week of that year, 1 to 53.
    pub week: u32,
}

impl IsoWeek {
    /// The ISO week a date falls in.
    pub fn of(date: NaiveDate) -> Self {
        let w = date.iso_week();
        IsoWeek {
            year: w.year(),
            week: w.week(),
        }
    }

    /// Monday of this week.
    pub fn monday(self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, chrono::Weekday::Mon)
            .unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

/// The error of parsing an [`IsoWeek`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO week like 2026-W21")]
pub struct BadWeek(pub String);

impl FromStr for IsoWeek {
    type Err = BadWeek;

    fn from_str(s: &str) -> Result<Self, BadWeek> {
        let bad = || BadWeek(s.to_owned());
        let (y, w) = s.split_once("-W").ok_or_else(bad)?;
        if y.len() != 4 || w.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, chrono::Weekday::Mon).ok_or_else(bad)?;
        Ok(IsoWeek { year, week })
    }
}

/// What a source's path says about its run, before its contents are read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathHints {
    /// Week folder of the S3 layout.
    pub week: Option<IsoWeek>,
    /// Run folder of the S3 layout.
    pub run_id: Option<String>,
    /// Account, from the layout folder or the file name.
    pub account: Option<String>,
    /// Scan start from the file name's `YYYYMMDDHHMMSS`.
    pub file_time: Option<DateTime<Utc>>,
    /// The source's last-modified time (set by the reader, not read from the path): when an
    /// export by another producer than Prowler was written, which dates it (see
    /// [`ScanIdentity::resolve`]).
    pub source_modified: Option<DateTime<Utc>>,
    /// A short digest of the path (8 bytes of its SHA-256, hex): names the run of an export
    /// nothing else names, so that two exports written in the same second stay two.
    pub path_tag: Option<String>,
    /// The producer the path names: a `securityhub` folder of the layout, or a file named
    /// `securityhub-...` / `electriceye-...`. The findings decide when any is read; this
    /// keeps a source nothing could be read from (an unreadable export) from being taken for
    /// Prowler's scan of the same account and run, and replacing it.
    pub source: Option<String>,
}

impl PathHints {
    /// Reads the hints out of a path or URI (`/`-separated).
    pub fn from_path(path: &str) -> Self {
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        let mut hints = PathHints {
            path_tag: Some(
                Sha256::digest(path.as_bytes())[..8]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            ),
            ..PathHints::default()
        };
        let Some(file) = parts.last() else {
            return hints;
        };
        if let Some((account, time)) = parse_file_name(file) {
            hints.account = Some(account.to_owned());
            hints.file_time = Some(time);
        }
        hints.source = ["securityhub", "electriceye"]
            .into_iter()
            .find(|p| {
                file.strip_prefix(p)
                    .is_some_and(|rest| rest.starts_with('-'))
                    || (parts.len() >= 2 && parts[parts.len() - 2] == *p)
            })
            .map(str::to_owned);
        // <week>/<run-id>/<account>/<format>/<file>: Prowler's `json-ocsf` (and
        // `json-asff`), or a `securityhub` folder of exports laid out the same way.
        if parts.len() >= 5
            && matches!(
                parts[parts.len() - 2],
                "json-ocsf" | "json-asff" | "securityhub"
            )
        {
            let n = parts.len();
            if let Ok(week) = parts[n - 5].parse::<IsoWeek>() {
                hints.week = Some(week);
                hints.run_id = Some(parts[n - 4].to_owned());
                hints.account = Some(parts[n - 3].to_owned());
            }
        }
        hints
    }
}

/// `prowler-output-<account>-<YYYYMMDDHHMMSS>.<ext>` → (account, time); exports of other
/// producers named the same way (`securityhub-<account>-<YYYYMMDDHHMMSS>.ocsf.ndjson`,
/// `electriceye-...`) likewise.
fn parse_file_name(file: &str) -> Option<(&str, DateTime<Utc>)> {
    let stem = ["prowler-output-", "securityhub-", "electriceye-"]
        .iter()
        .find_map(|p| file.strip_prefix(p))?;
    let stem = stem.split_once('.').map_or(stem, |(s, _)| s);
    let (account, ts) = stem.rsplit_once('-')?;
    if ts.len() != 14 || !ts.bytes().all(|b| b.is_ascii_digit()) || account.is_empty() {
        return None;
    }
    let t = NaiveDateTime::parse_from_str(ts, "%Y%m%d%H%M%S").ok()?;
    Some((account, Utc.from_utc_datetime(&t)))
}

/// Identity given on the command line; each field overrides what the path and contents say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--run-id`.
    pub run_id: Option<String>,
    /// `--account`.
    pub account: Option<String>,
    /// `--week`.
    pub week: Option<IsoWeek>,
}

/// The resolved identity of one account scan within a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanIdentity {
    /// Run id.
    pub run_id: String,
    /// Account uid.
    pub account: String,
    /// Week of the run.
    pub week: IsoWeek,
    /// Scan time of the account.
    pub scan_time: DateTime<Utc>,
    /// The producer of the scan's findings (`source_product`): one per file.
    pub source: String,
}

impl ScanIdentity {
    /// Resolves identity from the flags, the path, and the first finding (if any was read).
    ///
    /// `first` carries the first finding's account, scan time and Prowler scan id. Returns
    /// `None` when no scan time is known at all (an empty or unreadable source without a
    /// timestamped file name).
    pub fn resolve(
        overrides: &Overrides,
        hints: &PathHints,
        first: Option<&FirstFinding>,
    ) -> Option<Self> {
        let source = first
            .map(|f| f.source.as_str())
            .or(hints.source.as_deref())
            .unwrap_or(crate::source::PROWLER);
        // A Prowler scan is timed by its findings (one time per file). Another producer's
        // export holds findings last updated at many times (an untouched finding keeps a
        // months-old time): the export is dated by the path's time, else by when it was
        // written (its last-modified time), and only then by its first finding. Else two
        // weekly exports led by the same old finding would be one run of one old week.
        let scan_time = if source == crate::source::PROWLER {
            first.map(|f| f.scan_time).or(hints.file_time)?
        } else {
            hints
                .file_time
                .or(hints.source_modified)
                .or(first.map(|f| f.scan_time))?
        };
        let account = overrides
            .account
            .clone()
            .or_else(|| hints.account.clone())
            .or_else(|| first.map(|f| f.account.clone()))
            .filter(|a| !a.is_empty())
            .unwrap_or_else(|| "unknown".to_owned());
        let run_id = overrides
            .run_id
            .clone()
            .or_else(|| hints.run_id.clone())
            .or_else(|| first.and_then(|f| f.scan_id.clone()))
            .unwrap_or_else(|| {
                let time = scan_time.format("%Y%m%dT%H%M%SZ");
                match &hints.path_tag {
                    Some(tag) if source != crate::source::PROWLER => format!("{time}-{tag}"),
                    _ => time.to_string(),
                }
            });
        let week = overrides
            .week
            .or(hints.week)
            .unwrap_or_else(|| IsoWeek::of(scan_time.date_naive()));
        Some(ScanIdentity {
            run_id,
            account,
            week,
            scan_time,
            source: source.to_owned(),
        })
    }

    /// The partition value `dt`: the UTC date of the account scan.
    pub fn dt(&self) -> String {
        self.scan_time.format("%Y-%m-%d").to_string()
    }

    /// File stem shared by the findings, scans and observed-cells files of the scan:
    /// `<account>-<run_id>`, and for a producer other than Prowler `.<producer>` after it
    /// (a Security Hub export and a Prowler scan of one account and run are two scans). Two
    /// scans never share a stem (the encoding is injective), and a stem is one segment every
    /// store and engine keeps as it is and lists (see [`encode_id`]): ASCII letters and
    /// digits stay; in the account `-` becomes `.` (so the first `-` of a stem ends the
    /// account: an Azure subscription `a1b2-c3` reads `a1b2.c3`); in the run `-` stays;
    /// every other byte is `_` and two hex digits. A stem that would start with `_` or `.`
    /// (which Hive engines skip) starts with `-` instead. AWS accounts with run ids of
    /// letters, digits and `-` keep the names lake always gave them ([`Self::legacy_file_stem`]).
    pub fn file_stem(&self) -> String {
        let mut stem = String::with_capacity(self.account.len() + self.run_id.len() + 16);
        encode_id(&mut stem, &self.account, IdPart::Account);
        if stem.starts_with(['_', '.']) {
            stem.insert(0, '-');
        }
        stem.push('-');
        encode_id(&mut stem, &self.run_id, IdPart::Run);
        if self.source != crate::source::PROWLER {
            stem.push('.');
            encode_id(&mut stem, &self.source, IdPart::Run);
        }
        stem
    }

    /// The stem lake gave a scan's files before stems were collision-free:
    /// `<account>-<run_id>[.<producer>]`, each made [`path_safe`]. Two scans could share one
    /// (`acme-corp`, `r1` and `acme`, `corp-r1`; `a/b` and `a_b`), which is why a lake
    /// written then keeps its files under these names only for the scan its row names (see
    /// `lake_store::ingest`).
    pub fn legacy_file_stem(&self) -> String {
        let stem = format!("{}-{}", path_safe(&self.account), path_safe(&self.run_id));
        if self.source == crate::source::PROWLER {
            stem
        } else {
            format!("{stem}.{}", path_safe(&self.source))
        }
    }
}

/// Which part of a file stem [`encode_id`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPart {
    /// The account: holds no `-`, which separates it from the run.
    Account,
    /// The run or the producer: holds no `.`, which separates the producer.
    Run,
}

/// Appends `id` to `out` as part `part` of a file stem: ASCII letters and digits as they
/// are; `-` as itself in a run and as `.` in an account; every other byte (of its UTF-8) as
/// `_` and two lower-case hex digits. Injective, and the output of one part never holds the
/// separator that ends it.
pub fn encode_id(out: &mut String, id: &str, part: IdPart) {
    for b in id.bytes() {
        match (b, part) {
            (b'-', IdPart::Run) => out.push('-'),
            (b'-', IdPart::Account) => out.push('.'),
            _ if b.is_ascii_alphanumeric() => out.push(char::from(b)),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push('_');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xf)]));
            }
        }
    }
}

/// What the first finding of a source says about its scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstFinding {
    /// Account uid.
    pub account: String,
    /// Scan time.
    pub scan_time: DateTime<Utc>,
    /// Prowler's scan id.
    pub scan_id: Option<String>,
    /// Its producer (`source_product`).
    pub source: String,
}

/// Keeps `[A-Za-z0-9._-]` and replaces every other byte by `_`, so that an id is one path
/// segment that every engine lists.
pub fn path_safe(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Hive engines skip files starting with `_` or `.`.
    if out.starts_with(['_', '.']) {
        out.insert(0, 'x');
    }
    out
}

/// Parses an ISO 8601 time (naive values are UTC) or a string of epoch seconds.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return epoch(s.parse().ok()?);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Utc.from_utc_datetime(&t));
        }
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

/// Epoch seconds (values past year 5000 are taken as milliseconds).
fn epoch(t: i64) -> Option<DateTime<Utc>> {
    if t > 95_617_584_000 {
        Utc.timestamp_millis_opt(t).single()
    } else {
        Utc.timestamp_opt(t, 0).single()
    }
}

/// The scan time of a finding. Prowler writes `time` (epoch seconds, absolute) and `time_dt`
/// (the scanning machine's *local* naive time, with microseconds). `time_dt` is used when it
/// agrees with `time` to the second (the scanner ran in UTC), keeping its precision; when
/// they disagree, `time` wins. Without `time`, `time_dt` is taken as UTC; older files (Prowler
/// 4.0-4.4) have only `fallbacks` such as `event_time` and `finding_info.created_time`.
pub fn scan_time(time_dt: Option<&str>, time: Option<i64>) -> Option<DateTime<Utc>> {
    scan_time_with(time_dt, time, &[])
}

/// [`scan_time`] with further candidates, tried in order when neither `time_dt` nor `time` is
/// readable.
pub fn scan_time_with(
    time_dt: Option<&str>,
    time: Option<i64>,
    fallbacks: &[Option<&str>],
) -> Option<DateTime<Utc>> {
    let precise = time_dt.and_then(parse_time);
    match (precise, time.and_then(epoch)) {
        (Some(p), Some(t)) if (p - t).num_milliseconds().abs() < 1000 => Some(p),
        (_, Some(t)) => Some(t),
        (Some(p), None) => Some(p),
        (None, None) => fallbacks.iter().flatten().find_map(|s| parse_time(s)),
    }
}

/// [`finding_key`] of another producer's finding than Prowler's: the producer is hashed
/// first, so that two producers' keys never meet. In SQL: the same with `source_product`
/// first in the `concat_ws`.
pub fn finding_key_of(
    source: &str,
    provider: &str,
    account: &str,
    region: &str,
    check: &str,
    resource: &str,
    finding_uid: &str,
) -> String {
    key_of(&[
        source,
        provider,
        account,
        region,
        check,
        resource,
        finding_uid,
    ])
}

/// The stable key of a finding: hex of the first 16 bytes of SHA-256 over its identity fields
/// joined by 0x1F. Prowler's finding uid alone repeats when two resources share a name, and
/// the resource uid alone repeats when one resource yields several findings of a check (two
/// access keys of one user); together with provider, account, region and check they are
/// unique. Recomputable in SQL, e.g. DuckDB `left(sha256(concat_ws(chr(31), provider,
/// account_uid, region, check_id, resource_uid, finding_uid)), 32)`.
pub fn finding_key(
    provider: &str,
    account: &str,
    region: &str,
    check: &str,
    resource: &str,
    finding_uid: &str,
) -> String {
    key_of(&[provider, account, region, check, resource, finding_uid])
}

fn key_of(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0x1f]);
        }
        h.update(part.as_bytes());
    }
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in &digest[..16] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn iso_weeks_follow_iso_8601() {
        for (date, week) in [
            ("2026-05-18", "2026-W21"),
            ("2026-05-24", "2026-W21"), // Sunday
            ("2026-05-25", "2026-W22"),
            ("2021-01-03", "2020-W53"),
            ("2024-12-30", "2025-W01"),
        ] {
            let d: NaiveDate = date.parse().unwrap();
            assert_eq!(IsoWeek::of(d).to_string(), week, "{date}");
            assert_eq!(week.parse::<IsoWeek>().unwrap(), IsoWeek::of(d));
        }
        for bad in ["2026-21", "2026-W5", "2025-W53", "W21", "2026-W00"] {
            assert!(bad.parse::<IsoWeek>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_s3_layout_names_week_run_and_account() {
        let h = PathHints::from_path(
            "s3://bucket/scans/2026-W21/run-42/111122223333/json-ocsf/prowler-output-111122223333-20260518020304.ocsf.json",
        );
        assert_eq!(h.week.unwrap().to_string(), "2026-W21");
        assert_eq!(h.run_id.as_deref(), Some("run-42"));
        assert_eq!(h.account.as_deref(), Some("111122223333"));
        assert_eq!(h.file_time, Some(utc("2026-05-18T02:03:04Z")));
    }

    #[test]
    fn a_bare_file_name_names_account_and_time() {
        let h = PathHints::from_path(
            "/tmp/prowler-output-a1b2c3d4-0000-1111-2222-333344445555-20260302031507.ocsf.json",
        );
        assert_eq!(
            h.account.as_deref(),
            Some("a1b2c3d4-0000-1111-2222-333344445555")
        );
        assert_eq!(h.week, None);
        assert_eq!(h.run_id, None);
        assert!(PathHints::from_path("/tmp/findings.json").account.is_none());
        let h = PathHints::from_path(
            "exports/2026-W21/run-1/123456789012/securityhub/securityhub-123456789012-20260518031000.ocsf.ndjson",
        );
        assert_eq!(
            (
                h.week.map(|w| w.to_string()),
                h.run_id.as_deref(),
                h.account.as_deref(),
                h.file_time.map(|t| t.to_rfc3339()),
                h.source.as_deref()
            ),
            (
                Some("2026-W21".into()),
                Some("run-1"),
                Some("123456789012"),
                Some("2026-05-18T03:10:00+00:00".into()),
                Some("securityhub")
            )
        );
        assert_eq!(
            PathHints::from_path("x/electriceye-findings.ocsf.json")
                .source
                .as_deref(),
            Some("electriceye")
        );
        assert_eq!(PathHints::from_path("x/securityhubx.json").source, None);
    }

    #[test]
    fn identity_prefers_flags_then_path_then_contents() {
        let first = FirstFinding {
            account: "999".into(),
            scan_time: utc("2026-05-24T23:59:00Z"),
            scan_id: Some("scan-1".into()),
            source: "prowler".into(),
        };
        let none = Overrides::default();
        let id = ScanIdentity::resolve(&none, &PathHints::default(), Some(&first)).unwrap();
        assert_eq!(
            (id.run_id.as_str(), id.account.as_str(), id.week.to_string()),
            ("scan-1", "999", "2026-W21".into())
        );
        assert_eq!(id.dt(), "2026-05-24");

        // The run's week folder wins over the scan time, even past midnight on Sunday.
        let hints = PathHints {
            week: Some("2026-W20".parse().unwrap()),
            run_id: Some("r".into()),
            account: Some("111".into()),
            file_time: None,
            source_modified: None,
            path_tag: None,
            source: None,
        };
        let id = ScanIdentity::resolve(&none, &hints, Some(&first)).unwrap();
        assert_eq!((id.run_id.as_str(), id.account.as_str()), ("r", "111"));
        assert_eq!(id.week.to_string(), "2026-W20");

        let flags = Overrides {
            run_id: Some("flag".into()),
            account: None,
            week: Some("2026-W01".parse().unwrap()),
        };
        let id = ScanIdentity::resolve(&flags, &hints, Some(&first)).unwrap();
        assert_eq!(
            (id.run_id.as_str(), id.week.to_string()),
            ("flag", "2026-W01".into())
        );

        let mut no_scan_id = first.clone();
        no_scan_id.scan_id = None;
        let id = ScanIdentity::resolve(&none, &PathHints::default(), Some(&no_scan_id)).unwrap();
        assert_eq!(id.run_id, "20260524T235900Z");
        assert!(ScanIdentity::resolve(&none, &PathHints::default(), None).is_none());
    }

    #[test]
    fn another_producers_export_is_dated_by_when_it_was_written() {
        // Its first finding was last updated weeks before the export.
        let first = FirstFinding {
            account: "123456789012".into(),
            scan_time: utc("2026-04-02T10:00:00Z"),
            scan_id: None,
            source: "securityhub".into(),
        };
        let written = PathHints {
            source_modified: Some(utc("2026-05-18T03:00:00Z")),
            path_tag: Some("0123abcd".into()),
            ..PathHints::default()
        };
        let none = Overrides::default();
        let id = ScanIdentity::resolve(&none, &written, Some(&first)).unwrap();
        assert_eq!(
            (id.week.to_string(), id.run_id.as_str(), id.file_stem()),
            (
                "2026-W21".into(),
                "20260518T030000Z-0123abcd",
                "123456789012-20260518T030000Z-0123abcd.securityhub".into()
            )
        );
        // Prowler's scans keep their findings' time, and their stems.
        let prowler = FirstFinding {
            source: "prowler".into(),
            ..first
        };
        let id = ScanIdentity::resolve(&none, &written, Some(&prowler)).unwrap();
        assert_eq!(
            (id.week.to_string(), id.file_stem()),
            ("2026-W14".into(), "123456789012-20260402T100000Z".into())
        );
    }

    #[test]
    fn prowler_times_are_utc() {
        let want = utc("2026-03-02T03:15:07Z");
        assert_eq!(scan_time(Some("2026-03-02T03:15:07"), None), Some(want));
        assert_eq!(scan_time(Some("2026-03-02T03:15:07Z"), None), Some(want));
        assert_eq!(
            scan_time(Some("2026-03-02T04:15:07+01:00"), None),
            Some(want)
        );
        assert_eq!(scan_time(None, Some(1772421307)), Some(want));
        assert_eq!(
            scan_time(Some("garbage"), Some(1_772_421_307_000)),
            Some(want)
        );
        // A scanner in another time zone writes local time_dt; the epoch wins.
        assert_eq!(
            scan_time(Some("2026-03-02T04:15:07"), Some(1772421307)),
            Some(want)
        );
        // Prowler 4.x: only event_time / created_time.
        assert_eq!(
            scan_time_with(None, None, &[None, Some("2026-03-02T03:15:07")]),
            Some(want)
        );
        assert_eq!(
            scan_time_with(None, None, &[Some("1772421307")]),
            Some(want)
        );
        assert_eq!(
            scan_time(Some("2026-11-22T12:48:48.870655"), None),
            Some(utc("2026-11-22T12:48:48.870655Z"))
        );
        assert_eq!(scan_time(None, None), None);
    }

    #[test]
    fn finding_keys_are_stable_and_distinguish_resources() {
        let a = finding_key(
            "aws",
            "1",
            "us-east-1",
            "ecs_x",
            "arn:prod-a/web",
            "uid-web",
        );
        assert_eq!(
            a,
            finding_key(
                "aws",
                "1",
                "us-east-1",
                "ecs_x",
                "arn:prod-a/web",
                "uid-web"
            )
        );
        assert_eq!(a.len(), 32);
        // Same finding uid, two resources (two ECS services named `web`).
        assert_ne!(
            a,
            finding_key(
                "aws",
                "1",
                "us-east-1",
                "ecs_x",
                "arn:prod-b/web",
                "uid-web"
            )
        );
        // Same resource, two findings (two access keys of one user).
        assert_ne!(
            a,
            finding_key(
                "aws",
                "1",
                "us-east-1",
                "ecs_x",
                "arn:prod-a/web",
                "uid-key-2"
            )
        );
        // The separator keeps field boundaries apart.
        assert_ne!(
            finding_key("aws", "1", "a", "bc", "r", "u"),
            finding_key("aws", "1", "ab", "c", "r", "u")
        );
    }

    fn stem(account: &str, run_id: &str, source: &str) -> String {
        ScanIdentity {
            run_id: run_id.into(),
            account: account.into(),
            week: "2026-W21".parse().unwrap(),
            scan_time: Utc.with_ymd_and_hms(2026, 5, 18, 2, 0, 0).unwrap(),
            source: source.into(),
        }
        .file_stem()
    }

    #[test]
    fn stems_read_as_the_ids_they_name() {
        let prowler = crate::source::PROWLER;
        for (account, run, source, expected) in [
            // AWS accounts and plain run ids: the names lake always gave.
            (
                "111122223333",
                "run-20260518T020000Z",
                prowler,
                "111122223333-run-20260518T020000Z",
            ),
            (
                "111122223333",
                "abc",
                "securityhub",
                "111122223333-abc.securityhub",
            ),
            // An Azure subscription, a GCP project: `-` in an account reads `.`.
            ("a1b2c3d4-0000-4e5f", "r1", prowler, "a1b2c3d4.0000.4e5f-r1"),
            ("acme-prod", "r1", prowler, "acme.prod-r1"),
            // Everything else is escaped, byte by byte.
            (
                "arn:aws:eks:eu-west-1:1:cluster/x",
                "r_1",
                prowler,
                "arn_3aaws_3aeks_3aeu.west.1_3a1_3acluster_2fx-r_5f1",
            ),
            ("ü", "a.b", prowler, "-_c3_bc-a_2eb"),
            // A stem never starts with what Hive engines skip.
            ("_x", "r", prowler, "-_5fx-r"),
            ("-x", "r", prowler, "-.x-r"),
        ] {
            assert_eq!(
                stem(account, run, source),
                expected,
                "{account} {run} {source}"
            );
        }
    }

    #[test]
    fn two_scans_never_share_a_stem() {
        let prowler = crate::source::PROWLER;
        // Pairs that shared one before (legacy stems) and every shape of id around the
        // separators: all distinct.
        let ids = [
            ("acme-corp", "r1", prowler),
            ("acme", "corp-r1", prowler),
            ("a/b", "r", prowler),
            ("a_b", "r", prowler),
            ("a.b", "r", prowler),
            ("a-b", "r", prowler),
            ("a", "b-r", prowler),
            ("a", "r.securityhub", prowler),
            ("a", "r", "securityhub"),
            ("a", "r_2esecurityhub", prowler),
            ("_x", "r", prowler),
            ("x", "r", prowler),
            ("-x", "r", prowler),
            (".x", "r", prowler),
            ("x", "-r", prowler),
            ("x-", "r", prowler),
        ];
        let stems: std::collections::BTreeSet<String> =
            ids.iter().map(|(a, r, s)| stem(a, r, s)).collect();
        assert_eq!(stems.len(), ids.len(), "{stems:?}");
        for s in &stems {
            assert!(
                !s.starts_with(['_', '.']),
                "{s} is hidden from Hive engines"
            );
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
                "{s}"
            );
        }
        // The legacy stems of the first pairs collide; that is what this fixes.
        let legacy = |a: &str, r: &str| {
            ScanIdentity {
                run_id: r.into(),
                account: a.into(),
                week: "2026-W21".parse().unwrap(),
                scan_time: Utc.with_ymd_and_hms(2026, 5, 18, 2, 0, 0).unwrap(),
                source: prowler.into(),
            }
            .legacy_file_stem()
        };
        assert_eq!(legacy("acme-corp", "r1"), legacy("acme", "corp-r1"));
        assert_eq!(legacy("a/b", "r"), legacy("a_b", "r"));
    }

    #[test]
    fn path_safe_ids_are_one_visible_segment() {
        assert_eq!(path_safe("run/42 x"), "run_42_x");
        assert_eq!(path_safe("_hidden"), "x_hidden");
        assert_eq!(path_safe("2026-W21.a"), "2026-W21.a");
    }
}
