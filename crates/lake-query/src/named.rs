//! The named queries: their SQL (from `queries/`), parameters and validation.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use lake_core::context::{DATA_CLASSES, ENVIRONMENTS, EXPOSURES};
use lake_core::{IsoWeek, Severity};

use crate::error::{QueryError, Result};

/// A parameter of a named query, as documented by `lake queries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamSpec {
    /// Flag name (`--week`).
    pub name: &'static str,
    /// What it is, with its default.
    pub about: &'static str,
    /// Whether it must be given.
    pub required: bool,
}

/// A named query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamedQuery {
    /// Name (`diff`).
    pub name: &'static str,
    /// One line on what it answers.
    pub about: &'static str,
    /// Its SQL, from `queries/<name>.sql`.
    pub sql: &'static str,
    /// Its parameters.
    pub params: &'static [ParamSpec],
    /// The `--where` dimensions it selects by (see [`DIMENSIONS`]; none: it takes no
    /// `--where`).
    pub dimensions: &'static [&'static str],
}

impl NamedQuery {
    /// An error for a `--where` dimension the query does not select by: ignored, it would
    /// answer another question than the one asked.
    pub(crate) fn check_dimensions(&self, params: &Params) -> Result<()> {
        let Some(dimension) = params.filters.keys().find(|d| !self.dimensions.contains(d)) else {
            return Ok(());
        };
        let reason = if self.dimensions.is_empty() {
            format!("{dimension}: {} takes no --where", self.name)
        } else {
            format!(
                "{dimension}: {} selects accounts by {} only",
                self.name,
                self.dimensions.join(", ")
            )
        };
        Err(QueryError::InvalidParam {
            param: "where",
            reason,
        })
    }
}

const WEEK: ParamSpec = ParamSpec {
    name: "week",
    about: "ISO week, e.g. 2026-W21",
    required: true,
};
const AGAINST: ParamSpec = ParamSpec {
    name: "against",
    about: "week to compare with (default: the latest earlier week with data)",
    required: false,
};

/// The weeks of history a finding's lifecycle is read from by default: a quarter, beyond the
/// built-in Critical, High and Medium SLAs (a finding failing since before is "open at
/// least" that long, which still shows a breach of any SLA shorter than the window). Each
/// week costs the lifecycle a pass over that week's rows of the open findings' cells.
pub const DEFAULT_HISTORY_WEEKS: u32 = 13;

const MIN_RISK: ParamSpec = ParamSpec {
    name: "min-risk",
    about: "only findings whose risk score is at least this, 0-100 (default 0)",
    required: false,
};
const MIN_AGE: ParamSpec = ParamSpec {
    name: "min-age",
    about: "only findings open at least this many days (default 0)",
    required: false,
};
const MIN_SEVERITY: ParamSpec = ParamSpec {
    name: "min-severity",
    about: "only this severity and above, e.g. high (default: all)",
    required: false,
};
const RISK_WHERE: ParamSpec = ParamSpec {
    name: "where",
    about: "DIMENSION=VALUE, repeatable (one value per dimension): landing_zone, account, \
            account_name, region, service, resource_type, owner (none: unowned), environment \
            (unknown: not given), exposure, data_class (sensitive: pii, restricted or \
            confidential), status (new, onboarded, reopened, open), band, framework, \
            first_seen_from, first_seen_to, last_seen_from, last_seen_to (weeks)",
    required: false,
};
const HISTORY_WEEKS: ParamSpec = ParamSpec {
    name: "history-weeks",
    about: "weeks with data the lifecycle reads back (default 13; older failures are open \
            at least that long)",
    required: false,
};

/// The parameters of `priorities`: the week, the thresholds, `--where`, the limit.
const PRIORITIES_PARAMS: [ParamSpec; 8] = [
    WEEK,
    AGAINST,
    MIN_RISK,
    MIN_AGE,
    MIN_SEVERITY,
    RISK_WHERE,
    ParamSpec {
        name: "limit",
        about: "at most this many rows (default 100)",
        required: false,
    },
    HISTORY_WEEKS,
];

/// The parameters of `owners`: those of `priorities` but the limit (one row per owner).
const OWNERS_PARAMS: [ParamSpec; 7] = [
    WEEK,
    AGAINST,
    MIN_RISK,
    MIN_AGE,
    MIN_SEVERITY,
    RISK_WHERE,
    HISTORY_WEEKS,
];

static QUERIES: [NamedQuery; 9] = [
    NamedQuery {
        name: "diff",
        about:
            "week over week: new, regressed, persisting, resolved and unverified failing findings",
        sql: include_str!("../../../queries/diff.sql"),
        params: &[WEEK, AGAINST],
        dimensions: &[],
    },
    NamedQuery {
        name: "lookback",
        about: "did this check fail in the window? per account, region and resource",
        sql: include_str!("../../../queries/lookback.sql"),
        params: &[
            ParamSpec {
                name: "check",
                about: "check id, e.g. s3_bucket_public_access",
                required: true,
            },
            ParamSpec {
                name: "days",
                about: "window length in days (default 90)",
                required: false,
            },
            ParamSpec {
                name: "as-of",
                about: "last day of the window, YYYY-MM-DD (default: today, UTC)",
                required: false,
            },
        ],
        dimensions: &[],
    },
    NamedQuery {
        name: "posture",
        about: "pass rate overall and per severity, account and service, with deltas",
        sql: include_str!("../../../queries/posture.sql"),
        params: &[WEEK, AGAINST],
        dimensions: &[],
    },
    NamedQuery {
        name: "trend",
        about: "per week: open FAIL by severity, new, regressed, resolved, unverified",
        sql: include_str!("../../../queries/trend.sql"),
        params: &[ParamSpec {
            name: "weeks",
            about: "how many of the latest weeks with data (default 12)",
            required: false,
        }],
        dimensions: &[],
    },
    NamedQuery {
        name: "compliance",
        about: "failing requirements per compliance framework",
        sql: include_str!("../../../queries/compliance.sql"),
        params: &[
            WEEK,
            ParamSpec {
                name: "framework",
                about: "one framework, e.g. CIS-3.0 (default: all)",
                required: false,
            },
        ],
        dimensions: &[],
    },
    NamedQuery {
        name: "priorities",
        about: "open failures ordered by risk (severity in context: environment, exposure, \
                data, attack chains, age against SLA, owner), each with its reason",
        sql: include_str!("../../../queries/priorities.sql"),
        params: &PRIORITIES_PARAMS,
        dimensions: &DIMENSIONS,
    },
    NamedQuery {
        name: "owners",
        about: "per owner team: open failures, SLA breaches, risk bands",
        sql: include_str!("../../../queries/owners.sql"),
        params: &OWNERS_PARAMS,
        dimensions: &DIMENSIONS,
    },
    NamedQuery {
        name: "landing-zones",
        about: "posture per landing zone with deltas, SLA breaches and high risks",
        sql: include_str!("../../../queries/landing_zones.sql"),
        params: &[
            WEEK,
            AGAINST,
            ParamSpec {
                name: "where",
                about: "environment=VALUE: only accounts of that environment",
                required: false,
            },
            HISTORY_WEEKS,
        ],
        dimensions: &["environment"],
    },
    NamedQuery {
        name: "summary",
        about: "the summary-inputs JSON of the weekly report (also `lake summary`)",
        sql: include_str!("../../../queries/summary_sample.sql"),
        params: &[
            WEEK,
            AGAINST,
            ParamSpec {
                name: "sample",
                about: "at most this many sample findings (default 50)",
                required: false,
            },
            HISTORY_WEEKS,
        ],
        dimensions: &[],
    },
];

/// Every named query.
pub fn named_queries() -> &'static [NamedQuery] {
    &QUERIES
}

/// The named query called `name`.
pub fn named(name: &str) -> Result<&'static NamedQuery> {
    QUERIES
        .iter()
        .find(|q| q.name == name)
        .ok_or_else(|| QueryError::UnknownQuery {
            name: name.to_owned(),
        })
}

/// Parameter values, validated on the way in (see [`Params::set_check`] and friends).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    /// `--week`.
    pub week: Option<IsoWeek>,
    /// `--against`.
    pub against: Option<IsoWeek>,
    /// `--check`, validated by [`Params::set_check`].
    pub check: Option<String>,
    /// `--days`.
    pub days: Option<u32>,
    /// `--as-of`.
    pub as_of: Option<NaiveDate>,
    /// `--weeks`.
    pub weeks: Option<u32>,
    /// `--framework`.
    pub framework: Option<String>,
    /// `--sample`.
    pub sample: Option<u32>,
    /// `--source`: only this producer's scans (see [`Params::set_source`]).
    pub source: Option<String>,
    /// `--min-risk` (risk queries).
    pub min_risk: Option<u32>,
    /// `--min-age` in days (risk queries).
    pub min_age: Option<u32>,
    /// `--min-severity`, as a severity id (see [`Params::set_min_severity`]).
    pub min_severity: Option<i32>,
    /// `--limit` (priorities).
    pub limit: Option<u32>,
    /// `--history-weeks`: how many weeks with data the lifecycle reads (risk queries,
    /// summary; default 13).
    pub history_weeks: Option<u32>,
    /// `--where DIMENSION=VALUE`, validated by [`Params::set_where`].
    pub filters: BTreeMap<&'static str, String>,
}

/// The dimensions `--where` filters on, and what each accepts.
pub const DIMENSIONS: [&str; 17] = [
    "landing_zone",
    "account",
    "account_name",
    "region",
    "service",
    "resource_type",
    "owner",
    "environment",
    "exposure",
    "data_class",
    "status",
    "band",
    "framework",
    "first_seen_from",
    "first_seen_to",
    "last_seen_from",
    "last_seen_to",
];

impl Params {
    /// Sets `--check` after checking it looks like a check id (letters, digits, `_`, `-`,
    /// `.`; `:` and `/` for Security Hub's finding types such as
    /// `Stealth:IAMUser/CloudTrailLoggingDisabled`). It is bound as a parameter anyway; this only turns nonsense into a clear error.
    pub fn set_check(&mut self, check: &str) -> Result<()> {
        let ok = !check.is_empty()
            && check.len() <= 200
            && check.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':' | b'/')
            });
        if !ok {
            return Err(QueryError::InvalidParam {
                param: "check",
                reason: format!("`{check}` is not a check id (letters, digits, _ - . : / only)"),
            });
        }
        self.check = Some(check.to_owned());
        Ok(())
    }

    /// Sets `--framework` (any text up to 200 characters; bound as a parameter).
    pub fn set_framework(&mut self, framework: &str) -> Result<()> {
        if framework.is_empty()
            || framework.chars().count() > 200
            || framework.chars().any(char::is_control)
        {
            return Err(QueryError::InvalidParam {
                param: "framework",
                reason: "expected a framework name such as CIS-3.0".into(),
            });
        }
        self.framework = Some(framework.to_owned());
        Ok(())
    }

    /// Sets `--source`: one producer (`prowler`, `securityhub`, ...), whose scans alone the
    /// query then reads, as if the lake held nothing else. Producers are written in lower
    /// case letters and digits (`lake_core::source::product_key`); other text is an error.
    pub fn set_source(&mut self, source: &str) -> Result<()> {
        let ok = !source.is_empty()
            && source.len() <= 64
            && source
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !ok {
            return Err(QueryError::InvalidParam {
                param: "source",
                reason: format!(
                    "`{source}` is not a producer (lower-case letters and digits, e.g. prowler, securityhub)"
                ),
            });
        }
        self.source = Some(source.to_owned());
        Ok(())
    }

    /// Sets `--min-severity` from a severity name (`high`, `Critical`, `info`).
    pub fn set_min_severity(&mut self, name: &str) -> Result<()> {
        let severity = Severity::from_name(name).ok_or_else(|| QueryError::InvalidParam {
            param: "min-severity",
            reason: format!(
                "`{name}` is not a severity (critical, high, medium, low, informational)"
            ),
        })?;
        self.min_severity = Some(severity.id());
        Ok(())
    }

    /// Adds `--where DIMENSION=VALUE` after checking the dimension is one of
    /// [`DIMENSIONS`] and the value one it can take (a week for the seen filters, a word
    /// of the vocabulary for environment, exposure, data class, status and band).
    pub fn set_where(&mut self, filter: &str) -> Result<()> {
        let invalid = |reason: String| QueryError::InvalidParam {
            param: "where",
            reason,
        };
        let (dimension, value) = filter
            .split_once('=')
            .map(|(d, v)| (d.trim().replace('-', "_"), v.trim()))
            .ok_or_else(|| invalid(format!("`{filter}`: expected DIMENSION=VALUE")))?;
        let Some(dimension) = DIMENSIONS.iter().find(|d| **d == dimension) else {
            return Err(invalid(format!(
                "`{dimension}` is not a dimension (one of: {})",
                DIMENSIONS.join(", ")
            )));
        };
        if value.is_empty() || value.chars().count() > 200 || value.chars().any(char::is_control) {
            return Err(invalid(format!(
                "{dimension}: expected a value of at most 200 characters"
            )));
        }
        let vocabulary: Option<Vec<&str>> = match *dimension {
            "environment" => Some(ENVIRONMENTS.iter().copied().chain(["unknown"]).collect()),
            "exposure" => Some(EXPOSURES.iter().copied().chain(["unknown"]).collect()),
            "data_class" => Some(
                DATA_CLASSES
                    .iter()
                    .copied()
                    .chain(["sensitive", "unknown"])
                    .collect(),
            ),
            "status" => Some(vec!["new", "onboarded", "reopened", "open"]),
            "band" => Some(vec!["critical", "high", "medium", "low", "info"]),
            _ => None,
        };
        let value = match vocabulary {
            Some(words) => {
                let lower = value.to_ascii_lowercase();
                if !words.contains(&lower.as_str()) {
                    return Err(invalid(format!(
                        "{dimension}: `{value}` is not one of {}",
                        words.join(", ")
                    )));
                }
                lower
            }
            None if dimension.ends_with("_from") || dimension.ends_with("_to") => value
                .parse::<IsoWeek>()
                .map_err(|_| {
                    invalid(format!(
                        "{dimension}: `{value}` is not a week such as 2026-W21"
                    ))
                })?
                .to_string(),
            None => value.to_owned(),
        };
        if self.filters.contains_key(dimension) {
            return Err(invalid(format!(
                "{dimension} given twice: one value per dimension"
            )));
        }
        self.filters.insert(dimension, value);
        Ok(())
    }

    /// The value of a `--where` dimension ('' when not given).
    pub(crate) fn filter(&self, dimension: &str) -> String {
        self.filters.get(dimension).cloned().unwrap_or_default()
    }

    pub(crate) fn limit(&self) -> Result<u32> {
        match self.limit.unwrap_or(100) {
            l @ 1..=100_000 => Ok(l),
            l => Err(QueryError::InvalidParam {
                param: "limit",
                reason: format!("{l} is outside 1..=100000"),
            }),
        }
    }

    pub(crate) fn history_weeks(&self) -> Result<u32> {
        match self.history_weeks.unwrap_or(DEFAULT_HISTORY_WEEKS) {
            w @ 1..=520 => Ok(w),
            w => Err(QueryError::InvalidParam {
                param: "history-weeks",
                reason: format!("{w} is outside 1..=520"),
            }),
        }
    }

    pub(crate) fn min_risk(&self) -> Result<u32> {
        match self.min_risk.unwrap_or(0) {
            r @ 0..=100 => Ok(r),
            r => Err(QueryError::InvalidParam {
                param: "min-risk",
                reason: format!("{r} is outside 0..=100"),
            }),
        }
    }

    pub(crate) fn week(&self) -> Result<IsoWeek> {
        self.week.ok_or(QueryError::InvalidParam {
            param: "week",
            reason: "required, e.g. --week 2026-W21".into(),
        })
    }

    /// `--against`, which must be a week before `--week` (a comparison looks back).
    pub(crate) fn against(&self) -> Result<Option<IsoWeek>> {
        match (self.against, self.week) {
            (Some(a), Some(w)) if a >= w => Err(QueryError::InvalidParam {
                param: "against",
                reason: format!(
                    "{a} is not before --week {w}: the comparison is with an earlier week"
                ),
            }),
            (against, _) => Ok(against),
        }
    }

    pub(crate) fn check(&self) -> Result<&str> {
        self.check.as_deref().ok_or(QueryError::InvalidParam {
            param: "check",
            reason: "required, e.g. --check s3_bucket_public_access".into(),
        })
    }

    pub(crate) fn days(&self) -> Result<u32> {
        match self.days.unwrap_or(90) {
            d @ 1..=3660 => Ok(d),
            d => Err(QueryError::InvalidParam {
                param: "days",
                reason: format!("{d} is outside 1..=3660"),
            }),
        }
    }

    pub(crate) fn weeks(&self) -> Result<u32> {
        match self.weeks.unwrap_or(12) {
            w @ 1..=520 => Ok(w),
            w => Err(QueryError::InvalidParam {
                param: "weeks",
                reason: format!("{w} is outside 1..=520"),
            }),
        }
    }

    pub(crate) fn sample(&self) -> Result<u32> {
        match self.sample.unwrap_or(50) {
            s @ 0..=1000 => Ok(s),
            s => Err(QueryError::InvalidParam {
                param: "sample",
                reason: format!("{s} is outside 0..=1000"),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_validated() {
        let mut p = Params::default();
        assert!(p.set_check("s3_bucket_public_access").is_ok());
        let err = p.set_check("x' OR 1=1 --").unwrap_err();
        assert_eq!(
            err.to_string(),
            "--check: `x' OR 1=1 --` is not a check id (letters, digits, _ - . : / only)"
        );
        assert_eq!(p.check.as_deref(), Some("s3_bucket_public_access"));
    }

    #[test]
    fn where_filters_are_validated_and_normalized() {
        let mut p = Params::default();
        p.set_where("environment=Prod").unwrap();
        p.set_where("data-class=sensitive").unwrap();
        p.set_where("first_seen_from=2026-W03").unwrap();
        p.set_where("owner=team a").unwrap();
        assert_eq!(p.filter("environment"), "prod");
        assert_eq!(p.filter("data_class"), "sensitive");
        assert_eq!(p.filter("first_seen_from"), "2026-W03");
        assert_eq!(p.filter("owner"), "team a");
        assert_eq!(p.filter("region"), "");
        let err = |f: &str| Params::default().set_where(f).unwrap_err().to_string();
        assert_eq!(
            err("colour=red"),
            format!(
                "--where: `colour` is not a dimension (one of: {})",
                DIMENSIONS.join(", ")
            )
        );
        assert_eq!(
            err("environment=production"),
            "--where: environment: `production` is not one of prod, staging, dev, sandbox, unknown"
        );
        assert_eq!(
            err("first_seen_to=last week"),
            "--where: first_seen_to: `last week` is not a week such as 2026-W21"
        );
        assert_eq!(err("region"), "--where: `region`: expected DIMENSION=VALUE");
        let mut p = Params::default();
        assert!(p.set_min_severity("HIGH").is_ok());
        assert_eq!(p.min_severity, Some(4));
        assert!(p.set_min_severity("severe").is_err());
    }

    #[test]
    fn every_query_has_sql_and_a_unique_name() {
        let mut names: Vec<_> = named_queries().iter().map(|q| q.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), named_queries().len());
        for q in named_queries() {
            assert!(q.sql.contains("SELECT"), "{}", q.name);
        }
        assert!(named("nope").is_err());
    }
}
