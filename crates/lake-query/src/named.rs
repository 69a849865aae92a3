//! The named queries: their SQL (from `queries/`), parameters and validation.

use chrono::NaiveDate;
use lake_core::IsoWeek;

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

static QUERIES: [NamedQuery; 6] = [
    NamedQuery {
        name: "diff",
        about:
            "week over week: new, regressed, persisting, resolved and unverified failing findings",
        sql: include_str!("../../../queries/diff.sql"),
        params: &[WEEK, AGAINST],
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
    },
    NamedQuery {
        name: "posture",
        about: "pass rate overall and per severity, account and service, with deltas",
        sql: include_str!("../../../queries/posture.sql"),
        params: &[WEEK, AGAINST],
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
        ],
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
}

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

    pub(crate) fn week(&self) -> Result<IsoWeek> {
        self.week.ok_or(QueryError::InvalidParam {
            param: "week",
            reason: "required, e.g. --week 2026-W21".into(),
        })
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
