//! The named queries in Athena's dialect (Trino SQL), ready to paste into the console.
//!
//! One source of truth per query: the SQL files of `queries/` are written in the part of SQL
//! that DataFusion and Trino share, and this module is the one place where the dialects
//! differ. An Athena rendering of a named query is that same file with
//! - the views it reads (`queries/views.sql`, `queries/changes.sql`) inlined as CTEs, in
//!   dependency order, with the Athena spelling of a view from `queries/athena.sql` where
//!   one exists (only where the SQL itself must differ, e.g. unnesting a map);
//! - `diff_pairs`, which DataFusion gets as a table computed from the manifest, written as a
//!   CTE over `landed_scans` (the previous week with data is a subquery, so the statement
//!   stays right as the lake grows);
//! - the parameters bound as literals (validated first; quotes doubled);
//! - the identifiers of [`RENAMES`] rewritten.
//!
//! Nothing is rewritten inside string literals, quoted identifiers or comments.

use std::collections::BTreeSet;

use datafusion::scalar::ScalarValue;

use crate::error::{QueryError, Result};
use crate::named::{named, Params};
use crate::session::window_start;

pub(crate) const VIEWS: &str = include_str!("../../../queries/views.sql");
pub(crate) const CHANGES: &str = include_str!("../../../queries/changes.sql");
pub(crate) const CONTEXT: &str = include_str!("../../../queries/context.sql");
const ATHENA_VIEWS: &str = include_str!("../../../queries/athena.sql");

/// Identifiers spelled differently in Athena: DataFusion's name, Athena's.
pub const RENAMES: &[(&str, &str)] = &[
    // array membership
    ("array_has", "contains"),
    // DataFusion reads the whole history through its own (unpruned) table; Athena prunes
    // `findings` itself.
    ("findings_history", "findings"),
    // The lifecycle's window of history: `lake` registers its partitions alone; Athena
    // prunes `findings` by the week filter of `history_rows`.
    ("window_findings", "findings"),
];

/// A dialect the named queries can be printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DataFusion, as `lake query` runs them (parameters as placeholders).
    DataFusion,
    /// Athena engine v3 (Trino SQL).
    Athena,
}

impl std::str::FromStr for Dialect {
    type Err = QueryError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "datafusion" => Ok(Dialect::DataFusion),
            "athena" | "trino" => Ok(Dialect::Athena),
            other => Err(QueryError::InvalidParam {
                param: "dialect",
                reason: format!("`{other}` is not a dialect (athena, datafusion)"),
            }),
        }
    }
}

/// A view: its name and the query that defines it.
#[derive(Debug, Clone)]
struct View {
    name: String,
    body: String,
}

/// The statements of a script that define views, in order.
fn views_of(script: &str) -> Vec<View> {
    crate::session::statements(script)
        .into_iter()
        .filter_map(|s| {
            let (name, body) = view_of(s)?;
            Some(View {
                name: name.to_owned(),
                body: body.to_owned(),
            })
        })
        .collect()
}

/// The name and query of a `CREATE VIEW name AS query` statement.
pub(crate) fn view_of(statement: &str) -> Option<(&str, &str)> {
    let code = strip_leading_comments(statement);
    let rest = strip_prefix_ci(code, "CREATE VIEW ")?;
    let (name, rest) = rest.trim_start().split_once(char::is_whitespace)?;
    let body = strip_prefix_ci(rest.trim_start(), "AS")?;
    Some((name, body.trim()))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

fn strip_leading_comments(s: &str) -> &str {
    let mut rest = s.trim_start();
    while rest.starts_with("--") {
        rest = rest.split_once('\n').map_or("", |(_, r)| r).trim_start();
    }
    rest
}

/// The leading comment lines of a script.
fn header(s: &str) -> String {
    s.lines()
        .take_while(|l| l.trim_start().starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A piece of SQL text: code (rewritable) or something to keep as is.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Code(&'a str),
    Verbatim(&'a str),
}

/// Splits SQL into code and the parts nothing may rewrite: string literals, quoted
/// identifiers and comments.
fn pieces(sql: &str) -> Vec<Piece<'_>> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        let end = match bytes[i] {
            b'\'' | b'"' => {
                let quote = bytes[i];
                let mut j = i + 1;
                loop {
                    match bytes.get(j) {
                        None => break j,
                        Some(&b) if b == quote => {
                            if bytes.get(j + 1) == Some(&quote) {
                                j += 2;
                            } else {
                                break j + 1;
                            }
                        }
                        Some(_) => j += 1,
                    }
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                sql[i..].find('\n').map_or(bytes.len(), |n| i + n)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        if start < i {
            out.push(Piece::Code(&sql[start..i]));
        }
        out.push(Piece::Verbatim(&sql[i..end]));
        start = end;
        i = end;
    }
    if start < bytes.len() {
        out.push(Piece::Code(&sql[start..]));
    }
    out
}

/// Rewrites the code of `sql` word by word: `f` gets each identifier-like word (with a
/// leading `$` for parameters) and returns its replacement, if any.
fn rewrite_words(sql: &str, mut f: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(sql.len());
    for piece in pieces(sql) {
        let code = match piece {
            Piece::Verbatim(v) => {
                out.push_str(v);
                continue;
            }
            Piece::Code(c) => c,
        };
        let mut word = String::new();
        let mut flush = |word: &mut String, out: &mut String| {
            if !word.is_empty() {
                match f(word) {
                    Some(r) => out.push_str(&r),
                    None => out.push_str(word),
                }
                word.clear();
            }
        };
        for ch in code.chars() {
            let starts_param = ch == '$' && word.is_empty();
            if ch.is_ascii_alphanumeric() || ch == '_' || starts_param {
                word.push(ch);
            } else {
                flush(&mut word, &mut out);
                out.push(ch);
            }
        }
        flush(&mut word, &mut out);
    }
    out
}

/// The identifiers a piece of SQL mentions (lower-cased), outside literals and comments.
fn words(sql: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    rewrite_words(sql, |w| {
        found.insert(w.to_ascii_lowercase());
        None
    });
    found
}

/// A string literal: quotes doubled, as Trino (and standard SQL) read it.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A parameter's value as SQL: a string literal, or a number.
fn sql_literal(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Utf8(v) => literal(v.as_deref().unwrap_or_default()),
        other => other.to_string(),
    }
}

/// `statement` (a view's) with each parameter `$name` of `values` written as its literal:
/// what lake does with the risk views' thresholds and dimensions (`risk_selected`), so that
/// one not given ('' or 0) folds away with the condition it keeps, as in the Athena
/// rendering. Other parameters are left as they are.
pub(crate) fn bind_literals<'a>(
    statement: &'a str,
    values: &[(&str, ScalarValue)],
) -> std::borrow::Cow<'a, str> {
    if !statement.contains('$') {
        return std::borrow::Cow::Borrowed(statement);
    }
    std::borrow::Cow::Owned(rewrite_words(statement, |w| {
        let name = w.strip_prefix('$')?;
        let (_, value) = values.iter().find(|(n, _)| *n == name)?;
        Some(sql_literal(value))
    }))
}

/// The SQL text each parameter of `name` binds to.
fn bindings(name: &str, params: &Params) -> Result<Vec<(&'static str, String)>> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    match name {
        "diff" | "posture" | "summary" => {
            out.push(("week", literal(&params.week()?.to_string())));
            out.push(("against", "(SELECT against FROM diff_pairs)".into()));
            if name == "summary" {
                out.push(("sample", params.sample()?.to_string()));
            }
        }
        "priorities" | "owners" | "landing-zones" => {
            out.push(("week", literal(&params.week()?.to_string())));
            out.push(("against", "(SELECT against FROM diff_pairs)".into()));
            out.push(("limit", params.limit()?.to_string()));
            // The thresholds and dimensions the risk queries keep (risk_selected).
            for (name, value) in crate::session::risk_values(params)? {
                out.push((name, sql_literal(&value)));
            }
        }
        "compliance" => {
            out.push(("week", literal(&params.week()?.to_string())));
            out.push((
                "framework",
                literal(params.framework.as_deref().unwrap_or_default()),
            ));
        }
        "lookback" => {
            let to = params
                .as_of
                .unwrap_or_else(|| chrono::Utc::now().date_naive());
            let from = window_start(to, params.days()?);
            out.push(("check", literal(params.check()?)));
            out.push(("from", literal(&from.to_string())));
            out.push(("to", literal(&to.to_string())));
        }
        _ => {}
    }
    Ok(out)
}

/// `diff_pairs` for `name`: the weeks `finding_changes` classifies.
fn diff_pairs(name: &str, params: &Params) -> Result<Option<String>> {
    Ok(match name {
        "diff" | "posture" | "summary" | "priorities" | "owners" | "landing-zones" => {
            let week = literal(&params.week()?.to_string());
            let against = match params.against()? {
                Some(a) => literal(&a.to_string()),
                None => format!("(SELECT max(week) FROM landed_scans WHERE week < {week})"),
            };
            Some(format!(
                "SELECT {week} AS week, CAST({against} AS varchar) AS against"
            ))
        }
        "trend" => {
            let n = params.weeks()?;
            Some(format!(
                "SELECT week, against\n    FROM (\n        \
                 SELECT week, lag(week) OVER (ORDER BY week) AS against,\n               \
                 row_number() OVER (ORDER BY week DESC) AS back\n        \
                 FROM (SELECT DISTINCT week FROM landed_scans) w\n    ) t\n    \
                 WHERE back <= {n}"
            ))
        }
        "lookback" => {
            // The latest week with data in the window, and the week with data before it.
            let to = params
                .as_of
                .unwrap_or_else(|| chrono::Utc::now().date_naive());
            let from = literal(&window_start(to, params.days()?).to_string());
            let to = literal(&to.to_string());
            Some(format!(
                "SELECT week, (SELECT max(week) FROM landed_scans WHERE week < w.week) AS against\n    \
                 FROM (SELECT max(week) AS week FROM landed_scans\n          \
                 WHERE dt >= {from} AND dt <= {to}) w"
            ))
        }
        _ => None,
    })
}

/// The statements behind the named query `name` (the summary is assembled from several).
fn sources(name: &str) -> Result<Vec<&'static str>> {
    Ok(match name {
        "summary" => crate::summary::SOURCES.to_vec(),
        other => vec![named(other)?.sql],
    })
}

/// The named query `name` in `dialect` with `params` bound: for Athena, self-contained
/// statements that read only the tables `findings` and `scans`.
pub fn render(name: &str, params: &Params, dialect: Dialect) -> Result<String> {
    let query = named(name)?;
    query.check_dimensions(params)?;
    if dialect == Dialect::DataFusion {
        return Ok(sources(name)?.join("\n"));
    }
    let mut views = views_of(VIEWS);
    views.extend(views_of(CHANGES));
    views.extend(views_of(CONTEXT));
    for over in views_of(ATHENA_VIEWS) {
        match views.iter_mut().find(|v| v.name == over.name) {
            Some(v) => *v = over,
            None => views.push(over),
        }
    }
    // `--source`: every view reads the producer's scans alone (as `lake` filters its
    // manifest): `scans` is read through `source_scans`.
    let only_source = |sql: &str| match &params.source {
        Some(_) => read_table_as(sql, "scans", "source_scans"),
        None => sql.to_owned(),
    };
    if let Some(source) = &params.source {
        for v in &mut views {
            v.body = only_source(&v.body);
        }
        views.push(View {
            name: "source_scans".into(),
            body: format!(
                "SELECT * FROM scans WHERE coalesce(source_product, 'prowler') = {}",
                literal(source)
            ),
        });
    }
    if let Some(body) = diff_pairs(name, params)? {
        views.push(View {
            name: "diff_pairs".into(),
            body,
        });
    }
    // The lifecycle's window: the `--history-weeks` latest weeks with data up to the week.
    if matches!(name, "priorities" | "owners" | "landing-zones" | "summary") {
        let week = literal(&params.week()?.to_string());
        views.push(View {
            name: "history_window".into(),
            body: format!(
                "SELECT min(week) AS history_from\n    FROM (\n        \
                 SELECT week, row_number() OVER (ORDER BY week DESC) AS back\n        \
                 FROM (SELECT DISTINCT week FROM landed_scans WHERE week <= {week}) w\n    \
                 ) t\n    WHERE back <= {}",
                params.history_weeks()?
            ),
        });
    }
    let bound = bindings(name, params)?;
    let bind = |sql: &str| {
        rewrite_words(sql, |w| {
            if let Some(p) = w.strip_prefix('$') {
                return bound
                    .iter()
                    .find(|(n, _)| *n == p)
                    .map(|(_, v)| v.clone())
                    .or_else(|| Some(format!("${p}")));
            }
            RENAMES
                .iter()
                .find(|(from, _)| w.eq_ignore_ascii_case(from))
                .map(|(_, to)| (*to).to_owned())
        })
    };

    let mut statements = Vec::new();
    for sql in sources(name)? {
        let sql = &only_source(sql);
        let used = needed(sql, &views);
        let mut text = header(sql);
        text.push_str(&format!(
            "-- Athena (Trino SQL), printed by `lake query {} --dialect athena`.\n",
            query.name
        ));
        let code = strip_leading_comments(sql).trim_end().trim_end_matches(';');
        let own_ctes = strip_prefix_ci(code, "WITH")
            .filter(|rest| rest.starts_with(char::is_whitespace))
            .map(str::trim_start);
        if used.is_empty() {
            text.push_str(code);
        } else {
            text.push_str("WITH\n");
            let ctes: Vec<String> = used
                .iter()
                .map(|v| format!("{} AS (\n{}\n)", v.name, indent(&v.body)))
                .collect();
            text.push_str(&ctes.join(",\n"));
            match own_ctes {
                Some(rest) => {
                    text.push_str(",\n");
                    text.push_str(rest);
                }
                None => {
                    text.push('\n');
                    text.push_str(code);
                }
            }
        }
        let text = bind(&text);
        if let Some(p) = words(&text).iter().find(|w| w.starts_with('$')) {
            return Err(QueryError::InvalidParam {
                param: "dialect",
                reason: format!("parameter {p} of {name} has no Athena binding"),
            });
        }
        statements.push(format!("{text};\n"));
    }
    Ok(statements.join("\n"))
}

/// `sql` with every read of the table `table` (`FROM table`, `JOIN table`) reading `instead`;
/// a column or alias of the same name is left alone.
fn read_table_as(sql: &str, table: &str, instead: &str) -> String {
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(found) = sql[from..].find(table) {
        let at = from + found;
        let end = at + table.len();
        from = end;
        let whole = (at == 0 || !ident(bytes[at - 1])) && bytes.get(end).is_none_or(|&b| !ident(b));
        let before = sql[..at].trim_end();
        let keyword = before
            .rsplit(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .next()
            .unwrap_or_default();
        let read = keyword.eq_ignore_ascii_case("from") || keyword.eq_ignore_ascii_case("join");
        if whole && read && before.len() < at {
            out.push_str(&sql[last..at]);
            out.push_str(instead);
            last = end;
        }
    }
    out.push_str(&sql[last..]);
    out
}

/// The views of the lake's scripts (views.sql, changes.sql, context.sql) that a session
/// running `statements` must define: those they read, directly or through other views,
/// except `provided` (tables the session registers under those names instead) and what only
/// those read. A view is taken as read wherever its name appears as a word outside literals
/// and comments (a column of the same name too): defining one too many costs a little time,
/// one too few would fail the statement. Defining a view plans it, so a session defining only these opens in a
/// fraction of the time every view takes.
/// Whether ad-hoc `sql` reads a view of changes.sql (`finding_changes`, `pair_counts`,
/// `account_coverage`, ...): views that classify the pairs of weeks a session is given, so
/// that the SQL needs a week to classify. (The risk views of context.sql also need the
/// week's context and history, which only the named risk queries set up.)
pub fn reads_changes(sql: &str) -> bool {
    let read = views_read(&[sql], &[]);
    let reads_any = |script| views_of(script).iter().any(|v| read.contains(&v.name));
    reads_any(CHANGES) && !reads_any(CONTEXT)
}

pub(crate) fn views_read(statements: &[&str], provided: &[&str]) -> BTreeSet<String> {
    let views: Vec<View> = [VIEWS, CHANGES, CONTEXT]
        .into_iter()
        .flat_map(views_of)
        .filter(|v| !provided.contains(&v.name.as_str()))
        .collect();
    // A view may be named in double quotes too (`SELECT * FROM "finding_changes"`).
    let mut text = String::new();
    for sql in statements {
        for piece in pieces(sql) {
            match piece {
                Piece::Verbatim(q) if q.len() > 2 && q.starts_with('"') && q.ends_with('"') => {
                    text.push(' ');
                    text.push_str(&q[1..q.len() - 1]);
                    text.push(' ');
                }
                Piece::Verbatim(v) | Piece::Code(v) => text.push_str(v),
            }
        }
        text.push('\n');
    }
    needed(&text, &views)
        .into_iter()
        .map(|v| v.name.clone())
        .collect()
}

/// The views `sql` reads, directly or through other views, each after those it reads.
fn needed<'a>(sql: &str, views: &'a [View]) -> Vec<&'a View> {
    fn visit<'a>(
        text: &str,
        views: &'a [View],
        out: &mut Vec<&'a View>,
        seen: &mut BTreeSet<String>,
    ) {
        let mentioned = words(text);
        for v in views {
            if mentioned.contains(&v.name.to_ascii_lowercase()) && seen.insert(v.name.clone()) {
                visit(&v.body, views, out, seen);
                out.push(v);
            }
        }
    }
    let mut text = sql.to_owned();
    // `$against` is bound to a subquery over `diff_pairs`.
    if text.contains("$against") {
        text.push_str(" diff_pairs");
    }
    let mut out = Vec::new();
    visit(&text, views, &mut out, &mut BTreeSet::new());
    out
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(week: &str) -> Params {
        Params {
            week: Some(week.parse().unwrap()),
            ..Params::default()
        }
    }

    #[test]
    fn nothing_is_rewritten_inside_literals_or_comments() {
        let sql =
            "SELECT array_has(a, 'array_has $week') -- $week array_has\nFROM t WHERE w = $week";
        let out = rewrite_words(sql, |w| match w {
            "$week" => Some("'2026-W21'".into()),
            "array_has" => Some("contains".into()),
            _ => None,
        });
        assert_eq!(
            out,
            "SELECT contains(a, 'array_has $week') -- $week array_has\nFROM t WHERE w = '2026-W21'"
        );
    }

    #[test]
    fn a_source_filter_reads_the_producers_scans_alone() {
        let mut p = params("2026-W21");
        p.set_source("securityhub").unwrap();
        for name in ["diff", "summary"] {
            let sql = render(name, &p, Dialect::Athena).unwrap();
            assert!(
                sql.contains("source_scans AS (\n    SELECT * FROM scans WHERE coalesce(source_product, 'prowler') = 'securityhub'"),
                "{sql}"
            );
            // Every other read of the manifest goes through it: the table is read once per
            // statement, by its `source_scans`.
            assert_eq!(
                read_table_as(&sql, "scans", "x").matches("FROM x").count(),
                sql.matches("source_scans AS (").count(),
                "only source_scans reads scans: {sql}"
            );
        }
        assert_eq!(
            read_table_as(
                "SELECT count(*) AS scans FROM scans s JOIN scans t ON 1=1",
                "scans",
                "o"
            ),
            "SELECT count(*) AS scans FROM o s JOIN o t ON 1=1"
        );
        assert!(p.set_source("Security Hub").is_err());
    }

    #[test]
    fn literals_double_their_quotes() {
        let mut p = params("2026-W21");
        p.set_framework("CIS' OR 1=1 --").unwrap();
        let sql = render("compliance", &p, Dialect::Athena).unwrap();
        assert!(sql.contains("'CIS'' OR 1=1 --'"), "{sql}");
    }

    #[test]
    fn views_take_their_parameters_as_literals() {
        let values = [
            ("owner", ScalarValue::Utf8(Some("it's ops".into()))),
            ("min_risk", ScalarValue::Int64(Some(40))),
        ];
        let view = "CREATE VIEW v AS SELECT '$owner' AS s -- $owner\n\
                    FROM t WHERE ($owner = '' OR o = $owner) AND r >= $min_risk AND w = $week";
        assert_eq!(
            bind_literals(view, &values),
            "CREATE VIEW v AS SELECT '$owner' AS s -- $owner\n\
             FROM t WHERE ('it''s ops' = '' OR o = 'it''s ops') AND r >= 40 AND w = $week"
        );
        assert_eq!(bind_literals("SELECT 1", &values), "SELECT 1");
    }

    #[test]
    fn every_named_query_renders_self_contained() {
        for q in crate::named::named_queries() {
            let mut p = params("2026-W21");
            p.set_check("iam_root_mfa_enabled").unwrap();
            p.as_of = Some("2026-05-24".parse().unwrap());
            let sql = render(q.name, &p, Dialect::Athena).unwrap();
            let w = words(&sql);
            for gone in [
                "findings_history",
                "array_has",
                "map_entries",
                "$week",
                "$against",
            ] {
                assert!(!w.contains(gone), "{}: {gone} left in\n{sql}", q.name);
            }
            assert!(w.contains("findings") || w.contains("scans"), "{}", q.name);
            assert!(sql.trim_end().ends_with(';'), "{}", q.name);
        }
    }

    #[test]
    fn views_come_before_what_reads_them() {
        let sql = render("diff", &params("2026-W21"), Dialect::Athena).unwrap();
        let at = |name: &str| sql.find(&format!("{name} AS (")).unwrap();
        assert!(at("landed_scans") < at("diff_pairs"));
        assert!(at("landed_scans") < at("latest_findings"));
        assert!(at("week_observations") < at("latest_findings"));
        assert!(at("latest_findings") < at("finding_changes"));
        assert!(at("diff_pairs") < at("finding_changes"));
        assert!(sql.contains("WHERE week < '2026-W21'"), "{sql}");
    }

    #[test]
    fn an_explicit_against_is_bound() {
        let mut p = params("2026-W21");
        p.against = Some("2026-W19".parse().unwrap());
        let sql = render("posture", &p, Dialect::Athena).unwrap();
        assert!(
            sql.contains("CAST('2026-W19' AS varchar) AS against"),
            "{sql}"
        );
    }

    #[test]
    fn a_session_defines_the_views_its_statements_read_and_no_others() {
        assert!(views_read(&["SELECT count(*) FROM scans"], &[]).is_empty());
        // named in a literal or a comment: not read; in double quotes: read
        assert!(views_read(&["SELECT 'finding_changes' -- finding_changes"], &[]).is_empty());
        assert!(
            views_read(&[r#"SELECT * FROM "finding_changes""#], &[]).contains("finding_changes")
        );

        let diff = views_read(&[named("diff").unwrap().sql], &[]);
        // what diff reads, directly and through other views
        for view in ["finding_changes", "failing_now", "landed_scans"] {
            assert!(diff.contains(view), "{view} missing from {diff:?}");
        }
        // the risk views are not read by diff
        assert!(!diff.contains("open_findings"), "{diff:?}");

        // a view provided as a table is not defined, nor what only it reads
        let provided = views_read(&[named("diff").unwrap().sql], &["finding_changes"]);
        assert!(provided.is_empty(), "{provided:?}");
        let lookback = views_read(&[named("lookback").unwrap().sql], &["finding_changes"]);
        assert!(lookback.contains("latest_findings"), "{lookback:?}");
        for unread in ["pair_counts", "compliance_week", "open_findings"] {
            assert!(!lookback.contains(unread), "{unread} in {lookback:?}");
        }
    }
}
