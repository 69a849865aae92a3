//! The report's sections, laid out once as a [`Doc`] that every format renders.

use crate::doc::{code, strong, text, Block, Cell, Chart, Doc, Inline};
use crate::model::{CheckGroup, Report, Risk, RiskGroup, TrendWeek, SEVERITIES};
use crate::narrative::SECTIONS;

/// At most this many checks are listed per change table.
const MAX_GROUPS: usize = 15;
/// At most this many accounts are named in a line of the coverage.
const MAX_NAMED: usize = 20;
/// Longest remediation text shown, in characters.
const MAX_REMEDIATION: usize = 300;

/// `1234567` as `1,234,567`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A change with its sign: `+12`, `-3`, `0`.
pub fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{}", count(n))
    } else {
        count(n)
    }
}

fn percent(p: Option<f64>) -> String {
    p.map_or_else(|| "n/a".to_owned(), |p| format!("{p:.1}%"))
}

fn points(p: Option<f64>) -> String {
    match p {
        Some(p) if p > 0.0 => format!("+{p:.1} pts"),
        Some(p) => format!("{p:.1} pts"),
        None => "n/a".to_owned(),
    }
}

fn shorten(s: &str, max: usize) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= max {
        s
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// `a, b and c`, or the first `MAX_NAMED` and how many more.
fn names(items: &[String]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (i, a) in items.iter().take(MAX_NAMED).enumerate() {
        if i > 0 {
            out.push(text(", "));
        }
        out.push(code(a.clone()));
    }
    if items.len() > MAX_NAMED {
        out.push(text(format!(" and {} more", items.len() - MAX_NAMED)));
    }
    out
}

fn findings(n: i64) -> String {
    plural(n.max(0) as usize, "finding", "findings")
}

/// The accounts of a trend week: how many were scanned, with those partly scanned or not
/// scanned at all, whose findings the week's counts lack.
fn accounts_of_week(t: &TrendWeek) -> String {
    let mut gaps = Vec::new();
    if t.accounts_incomplete > 0 {
        gaps.push(format!(
            "{} partial or failed",
            count(t.accounts_incomplete)
        ));
    }
    if t.accounts_missing > 0 {
        gaps.push(format!("{} not scanned", count(t.accounts_missing)));
    }
    if gaps.is_empty() {
        count(t.accounts_scanned)
    } else {
        format!("{} ({})", count(t.accounts_scanned), gaps.join(", "))
    }
}

/// Why a finding is unverified, in words (the `reason` codes of `finding_changes`).
fn unverified_reason(code: &str) -> String {
    match code {
        "scan_failed" => "the account's scan failed".into(),
        "account_not_scanned" => "the account was not scanned".into(),
        "account_not_observed" => "the scan did not report the account".into(),
        "scan_partial" => "the scan was cut short".into(),
        "region_not_observed" => "the region was not scanned".into(),
        "check_not_observed" => "the check did not run, e.g. access denied".into(),
        "manual" => "it now needs a manual check".into(),
        other => other.replace('_', " "),
    }
}

/// The item of a Markdown list line (`- x`, `* x`, `+ x`, `1. x`, `1) x`), if it is one.
fn list_item(line: &str) -> Option<&str> {
    let line = line.trim_start();
    if let Some(rest) = ["- ", "* ", "+ "].iter().find_map(|m| line.strip_prefix(m)) {
        return Some(rest.trim());
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let rest = &line[digits..];
    (digits > 0 && digits < 4)
        .then(|| rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")))
        .flatten()
        .map(str::trim)
}

/// Remediation text with its Markdown lists read as one sentence: a list's items joined by
/// `; ` after the line that introduces them, ended by a full stop before any text that
/// follows (Prowler writes a lead sentence and then `- ` items; the report shows each
/// remediation as one paragraph of an action item, where the items would run together).
fn flatten_lists(s: &str) -> String {
    let mut out = String::new();
    let mut in_list = false;
    for line in s.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let item = list_item(line);
        match (item, in_list) {
            (Some(item), true) => {
                out.push_str("; ");
                out.push_str(item);
            }
            (Some(item), false) => {
                if !out.is_empty() {
                    // (a lead without its colon still introduces the items)
                    if !out.ends_with(['.', '!', '?', ':', ';']) {
                        out.push(':');
                    }
                    out.push(' ');
                }
                out.push_str(item);
            }
            (None, _) => {
                if in_list && !out.ends_with(['.', '!', '?', ':', ';']) {
                    out.push('.');
                }
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(line);
            }
        }
        in_list = item.is_some();
    }
    if in_list && !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// Prowler's remediation text (Markdown: `**`, backticks, `- ` lists) through the
/// narrative's inline subset, its lists as sentences, shortened; as plain text when it is
/// not in the subset.
fn remediation(s: &str) -> Vec<Inline> {
    let mut short = shorten(&flatten_lists(s), MAX_REMEDIATION);
    if short.ends_with('…') {
        // At a sentence end where there is one, so no emphasis is cut open.
        let head: String = short.chars().take(MAX_REMEDIATION - 1).collect();
        if let Some(end) = head.rfind(". ").filter(|e| *e > MAX_REMEDIATION / 3) {
            short = format!("{}.", &head[..end]);
        } else {
            // No sentence end: the cut may open an emphasis or leave half a marker.
            let mut head = head.trim_end_matches(['*', '`']).to_owned();
            if head.matches("**").count() % 2 == 1 {
                if let Some(at) = head.rfind("**") {
                    head.replace_range(at..at + 2, "");
                }
            }
            short = format!("{}…", head.trim_end());
        }
    }
    // Text the inline subset cannot read (emphasis cut open by the shortening, markup it
    // lacks) goes as plain text without its markers: escaped, they would read `\*\*`.
    crate::narrative::inlines(&short, 0)
        .unwrap_or_else(|_| vec![text(short.replace("**", "").replace(['`', '*'], ""))])
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", count(n as i64))
    }
}

/// Lays the report out.
pub fn layout(report: &Report) -> Doc {
    let mut blocks = Vec::new();
    let narrative = |section: &str, blocks: &mut Vec<Block>| {
        if let Some(n) = &report.narrative {
            blocks.extend(n.section(section).iter().cloned());
        }
    };

    // Headline.
    blocks.push(Block::Heading(2, SECTIONS[0].into()));
    narrative(SECTIONS[0], &mut blocks);
    headline(report, &mut blocks);

    // What's new.
    blocks.push(Block::Heading(2, SECTIONS[1].into()));
    narrative(SECTIONS[1], &mut blocks);
    let c = &report.changes;
    if report.against.is_none() {
        blocks.push(Block::Paragraph(vec![text(
            "There is no earlier week with data to compare with: nothing is called new.",
        )]));
    } else if c.new + c.regressed == 0 {
        blocks.push(Block::Paragraph(vec![text(
            "Nothing new failed this week.",
        )]));
    } else {
        blocks.push(Block::Paragraph(vec![
            strong(findings(c.new + c.regressed)),
            text(format!(
                " {} this week that did not fail in {}: {} new, {} regressed (failing again \
                 after passing, or being absent where their check ran).",
                if c.new + c.regressed == 1 {
                    "fails"
                } else {
                    "fail"
                },
                report.against.as_deref().unwrap_or_default(),
                count(c.new),
                count(c.regressed)
            )),
        ]));
        groups(&report.new, true, &mut blocks);
    }
    if c.onboarded > 0 {
        blocks.push(Block::Paragraph(vec![text(format!(
            "Onboarded: {} failing where the week compared with observed nothing (an \
             account, region or check scanned for the first time, or not scanned that \
             week): not counted as new.",
            findings(c.onboarded)
        ))]));
    }

    // Resolved.
    blocks.push(Block::Heading(2, SECTIONS[2].into()));
    narrative(SECTIONS[2], &mut blocks);
    if report.against.is_some() && c.resolved == 0 {
        blocks.push(Block::Paragraph(vec![text(
            "Nothing was resolved this week.",
        )]));
    } else if c.resolved > 0 {
        blocks.push(Block::Paragraph(vec![
            strong(findings(c.resolved)),
            text(if c.resolved == 1 {
                " failed last time and no longer fails: its check ran again on the same \
                 account and region this week and reported it passing, or reported the \
                 resource no more."
            } else {
                " failed last time and no longer fail: their check ran again on the same \
                 account and region this week and reported them passing, or reported the \
                 resource no more."
            }),
        ]));
        groups(&report.resolved, false, &mut blocks);
    }
    if c.unverified > 0 {
        blocks.push(Block::Caveat(vec![text(format!(
            "{} that failed last time could not be verified this week ({}): they are not \
             counted as resolved.",
            findings(c.unverified),
            report
                .unverified_reasons
                .iter()
                .map(|(r, n)| format!("{}: {}", unverified_reason(r), count(*n)))
                .collect::<Vec<_>>()
                .join("; ")
        ))]));
    }

    // Top open issues.
    blocks.push(Block::Heading(2, SECTIONS[3].into()));
    narrative(SECTIONS[3], &mut blocks);
    if report.top_open.is_empty() {
        blocks.push(Block::Paragraph(vec![text("No open failures this week.")]));
    } else {
        let weeks = report.top_open.first().map_or(0, |o| o.weeks_seen);
        // (the weeks with data need not be consecutive: name their span)
        let span = match (report.trend.first(), report.trend.last()) {
            (Some(first), Some(last)) if first.week != last.week => {
                format!(", {} to {}", first.week, last.week)
            }
            _ => String::new(),
        };
        blocks.push(Block::Paragraph(vec![text(format!(
            "The checks with the most severe open failures, then the most of them. \
             \"Failing since\" is the first of the weeks with data, up to this one, in which \
             the check had open failures every week in the accounts where it fails now \
             (looking back over {} with data{span}).{}",
            plural(weeks as usize, "week", "weeks"),
            if report.risk.is_some() {
                " Severity alone: the riskiest failures in the business context follow."
            } else {
                ""
            }
        ))]));
        let rows = report
            .top_open
            .iter()
            .map(|o| {
                vec![
                    Cell::severity(&o.severity),
                    Cell::code(&o.check_id),
                    Cell::text(&o.title),
                    Cell::text(count(o.open_fail)),
                    Cell::text(count(o.accounts)),
                    Cell::text(count(o.resources)),
                    Cell::text(match &o.failing_since {
                        Some(w) => format!(
                            "{w} ({} of {} weeks with data)",
                            o.weeks_failing, o.weeks_seen
                        ),
                        None => "n/a".into(),
                    }),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            head: [
                "Severity",
                "Check",
                "Title",
                "Open",
                "Accounts",
                "Resources",
                "Failing since",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, false, false, true, true, true, false],
            rows,
        });
    }

    if let Some(risk) = &report.risk {
        risk_in_context(risk, &mut blocks);
    }

    // Trends.
    blocks.push(Block::Heading(2, SECTIONS[4].into()));
    narrative(SECTIONS[4], &mut blocks);
    trends(report, &mut blocks);

    // Action items.
    blocks.push(Block::Heading(2, SECTIONS[5].into()));
    narrative(SECTIONS[5], &mut blocks);
    if report.actions.is_empty() {
        blocks.push(Block::Paragraph(vec![text(
            "No quick wins this week: no failing check is on only a few resources with a \
             known remediation.",
        )]));
    } else {
        blocks.push(Block::Paragraph(vec![text(
            "Quick wins: failing checks on a few resources, with a known remediation, most \
             severe first.",
        )]));
        let items = report
            .actions
            .iter()
            .map(|a| {
                let mut item = vec![
                    strong("Fix"),
                    text(" "),
                    code(&a.check_id),
                    text(format!(
                        " ({}, {}): ",
                        a.severity,
                        plural(a.resources.len(), "resource", "resources")
                    )),
                ];
                item.extend(names(&a.resources));
                item.push(text(". "));
                item.extend(remediation(&a.remediation));
                if let Some(url) = &a.reference {
                    item.push(text(" "));
                    item.push(Inline::Link {
                        text: vec![text("Reference")],
                        url: url.clone(),
                    });
                }
                item
            })
            .collect();
        blocks.push(Block::List {
            ordered: true,
            items,
        });
    }

    Doc {
        title: format!("Week {}", report.week),
        blocks,
    }
}

/// The open failures judged in the business context: the riskiest, then per landing zone
/// and per owner (under "Top open issues").
fn risk_in_context(risk: &Risk, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading(3, "Riskiest open failures".into()));
    blocks.push(Block::Paragraph(vec![text(format!(
        "Each open failure judged in the business context (version {}): a risk score from \
         0 to 100 adds to its severity what the context and the scans say of it (its \
         environment, exposure and data, weaknesses chained on its resource, its age \
         against the remediation SLA, whether anyone owns it, how often it came back). \
         \"Why\" lists the points; ages are read from the last {} with data.",
        risk.context_version,
        plural(risk.history_weeks.max(0) as usize, "week", "weeks")
    ))]));
    if risk.top.is_empty() {
        blocks.push(Block::Paragraph(vec![text("No open failures this week.")]));
    } else {
        let rows = risk
            .top
            .iter()
            .map(|f| {
                vec![
                    Cell::text(format!("{} ({})", f.risk, f.band)),
                    Cell::severity(&f.severity),
                    Cell::code(&f.check_id),
                    Cell::text(format!("{} {}", f.account, f.region)),
                    Cell::code(&f.resource),
                    Cell::text(f.owner.as_deref().unwrap_or("none")),
                    Cell::text(match f.open_days {
                        Some(d) => format!(
                            "{} ({})",
                            plural(d.max(0) as usize, "day", "days"),
                            f.status
                        ),
                        None => f.status.clone(),
                    }),
                    Cell::text(&f.reason),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            head: [
                "Risk",
                "Severity",
                "Check",
                "Account, region",
                "Resource",
                "Owner",
                "Open for",
                "Why",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false; 8],
            rows,
        });
    }
    let table = |first: &str, groups: Vec<&RiskGroup>, blocks: &mut Vec<Block>| {
        let rows = groups
            .iter()
            .map(|g| {
                vec![
                    Cell::text(&g.name),
                    Cell::text(count(g.open_fail)),
                    Cell::text(count(g.sla_breaches)),
                    Cell::text(count(g.high_risk)),
                    Cell::text(g.max_risk.map_or_else(|| "n/a".into(), |r| r.to_string())),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            head: [
                first,
                "Open",
                "Past SLA",
                "Critical or high risk",
                "Highest risk",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, true, true, true],
            rows,
        });
    };
    if !risk.by_landing_zone.is_empty() {
        blocks.push(Block::Heading(3, "Open failures by landing zone".into()));
        table(
            "Landing zone",
            risk.by_landing_zone.iter().collect(),
            blocks,
        );
    }
    if !risk.by_owner.is_empty() {
        blocks.push(Block::Heading(3, "Open failures by owner".into()));
        let mut groups: Vec<&RiskGroup> = risk.by_owner.iter().collect();
        let others;
        if let Some(o) = &risk.other_owners {
            others = RiskGroup {
                name: format!("{} other owners", o.name),
                ..o.clone()
            };
            groups.push(&others);
        }
        table("Owner", groups, blocks);
    }
}

fn headline(report: &Report, blocks: &mut Vec<Block>) {
    let mut intro = vec![text(format!("Security posture of week {}", report.week))];
    match &report.against {
        Some(w) => intro.push(text(format!(", compared with {w}."))),
        None => intro.push(text(" (no earlier week with data to compare with).")),
    }
    blocks.push(Block::Paragraph(intro));

    if let Some(p) = &report.posture {
        let mut line = vec![
            text("Pass rate "),
            strong(percent(p.rate)),
            text(format!(
                " ({} PASS, {} open FAIL).",
                count(p.pass),
                count(p.fail)
            )),
        ];
        if report.against.is_some() && p.compared.is_none() && p.previous.is_none() {
            line.push(text(
                " The two weeks observed nothing in common (other accounts, regions or \
                 checks): there is no like-for-like comparison.",
            ));
        } else if report.against.is_some() {
            line.push(text(format!(
                " Like for like (what both weeks observed): {} against {}, {}.",
                percent(p.compared),
                percent(p.previous),
                points(p.delta)
            )));
        }
        blocks.push(Block::Paragraph(line));
    }

    let previous = report.against.as_deref().unwrap_or("before");
    // A like-for-like change needs something both weeks observed: when they observed nothing
    // in common (the pass rates above are n/a), a 0 would read as "no change".
    let compared = report.against.is_some()
        && report
            .posture
            .as_ref()
            .is_none_or(|p| p.compared.is_some() || p.previous.is_some());
    let rows: Vec<Vec<Cell>> = report
        .open_fail
        .iter()
        .map(|s| {
            vec![
                Cell::severity(&s.severity),
                Cell::text(count(s.current)),
                Cell::text(count(s.previous)),
                Cell::text(match s.delta {
                    Some(delta) if compared => signed(delta),
                    _ => "n/a".into(),
                }),
                Cell::text(format!(
                    "{} / {}",
                    count(s.not_compared_current),
                    count(s.not_compared_previous)
                )),
            ]
        })
        .collect();
    blocks.push(Block::Table {
        head: vec![
            "Open FAIL".into(),
            report.week.clone(),
            previous.to_owned(),
            "Change, like for like".into(),
            "Not compared (now / before)".into(),
        ],
        numeric: vec![false, true, true, true, true],
        rows,
    });
    let c = &report.changes;
    let mut changes = vec![
        text("Changes: "),
        strong(format!("{} new", count(c.new))),
        text(format!(
            ", {} regressed, {} resolved, {} persisting, {} onboarded, {} unverified",
            count(c.regressed),
            count(c.resolved),
            count(c.persisting),
            count(c.onboarded),
            count(c.unverified)
        )),
    ];
    changes.push(text(format!(
        "; muted findings are counted apart: {} muted among the week's changes, {} muted \
         FAIL now, {} before.",
        count(c.muted),
        count(report.muted_fail.0),
        count(report.muted_fail.1)
    )));
    blocks.push(Block::Paragraph(changes));

    // Coverage, in plain words.
    blocks.push(Block::Heading(3, "Coverage".into()));
    let cov = &report.coverage;
    let mut items: Vec<Vec<Inline>> = Vec::new();
    let mut scanned = vec![text(format!(
        "{} scanned",
        plural(cov.scanned.len(), "account", "accounts")
    ))];
    if !cov.regions.is_empty() {
        scanned.push(text(format!(
            " in {}",
            plural(cov.regions.len(), "region", "regions")
        )));
    }
    if cov.scanned.is_empty() {
        items.push(vec![text("No scan of this week reported a finding.")]);
    } else {
        scanned.push(text(": "));
        scanned.extend(names(&cov.scanned));
        scanned.push(text("."));
        items.push(scanned);
    }
    for (account, error) in &cov.partial {
        let mut item = vec![
            text("The scan of "),
            code(account.clone()),
            text(" was cut short"),
        ];
        if let Some(e) = error {
            item.push(text(" ("));
            item.push(code(shorten(e, 160)));
            item.push(text(")"));
        }
        item.push(text(
            ": what it reported counts, but nothing it did not report is called resolved.",
        ));
        items.push(item);
    }
    for (account, error) in &cov.failed {
        let mut item = vec![text("The scan of "), code(account.clone()), text(" failed")];
        if let Some(e) = error {
            item.push(text(" ("));
            item.push(code(shorten(e, 160)));
            item.push(text(")"));
        }
        item.push(text(
            ": nothing of it was observed, so its earlier failures are unverified, not resolved.",
        ));
        items.push(item);
    }
    for account in &cov.empty {
        items.push(vec![
            text("The scan of "),
            code(account.clone()),
            text(
                " landed but reported no finding at all (an empty file: every check errored, \
                 or its credentials could read nothing): nothing of it was observed, so its \
                 earlier failures are unverified, not resolved.",
            ),
        ]);
    }
    for m in &cov.missing {
        items.push(vec![
            code(m.account.clone()),
            text(format!(
                " was not scanned this week (last scanned {}, absent from the {} with data \
                 since): its failures are left out of the comparison, not counted as resolved.",
                m.last_seen.as_deref().unwrap_or("in an earlier week"),
                plural(m.weeks_missing.max(1) as usize, "week", "weeks")
            )),
        ]);
    }
    if !cov.onboarded.is_empty() {
        let mut item = vec![text("Scanned for the first time: ")];
        item.extend(names(&cov.onboarded));
        item.push(text(". Their failures are counted as onboarded, not new."));
        items.push(item);
    }
    blocks.push(Block::List {
        ordered: false,
        items,
    });
    let (now, before): (i64, i64) = report.open_fail.iter().fold((0, 0), |(a, b), s| {
        (a + s.not_compared_current, b + s.not_compared_previous)
    });
    if report.against.is_some() && (now > 0 || before > 0) {
        blocks.push(Block::Caveat(vec![text(format!(
            "The changes compare only what both weeks observed (the same account, region and \
             check). Left out: {} this week in what {} did not observe, and {} of {} in \
             what this week did not observe.",
            plural(now as usize, "open failure", "open failures"),
            previous,
            count(before),
            previous
        ))]));
    }
}

fn groups(groups: &[CheckGroup], new: bool, blocks: &mut Vec<Block>) {
    let rows = groups
        .iter()
        .take(MAX_GROUPS)
        .map(|g| {
            let mut findings = count(g.findings);
            if new && g.regressed > 0 {
                findings = format!("{findings} ({} regressed)", count(g.regressed));
            }
            let mut resources = Vec::new();
            for (i, r) in g.resources.iter().enumerate() {
                if i > 0 {
                    resources.push(text(", "));
                }
                resources.push(code(r.clone()));
            }
            vec![
                Cell::severity(&g.severity),
                Cell::code(&g.check_id),
                Cell::text(&g.title),
                Cell::text(findings),
                Cell::text(count(g.accounts.len() as i64)),
                Cell {
                    content: resources,
                    severity: None,
                },
            ]
        })
        .collect();
    blocks.push(Block::Table {
        head: [
            "Severity",
            "Check",
            "Title",
            "Findings",
            "Accounts",
            "For example",
        ]
        .map(String::from)
        .to_vec(),
        numeric: vec![false, false, false, true, true, false],
        rows,
    });
    if groups.len() > MAX_GROUPS {
        let rest: i64 = groups[MAX_GROUPS..].iter().map(|g| g.findings).sum();
        blocks.push(Block::Paragraph(vec![text(format!(
            "And {} in {} more checks (every finding is in `lake query diff`).",
            count(rest),
            groups.len() - MAX_GROUPS
        ))]));
    }
}

fn trends(report: &Report, blocks: &mut Vec<Block>) {
    if report.trend.len() > 1 {
        blocks.push(Block::Chart(Chart::OpenFailBySeverity));
        blocks.push(Block::Chart(Chart::NewVsResolved));
    }
    let mut head: Vec<String> = ["Week", "Accounts", "Open FAIL"].map(String::from).to_vec();
    head.extend(SEVERITIES[..3].iter().map(|s| (*s).to_owned()));
    head.push("Low, info".into());
    head.extend(
        [
            "Change, like for like",
            "New",
            "Regressed",
            "Resolved",
            "Unverified",
        ]
        .map(String::from),
    );
    let rows = report
        .trend
        .iter()
        .map(|t| {
            let mut row = vec![
                Cell::text(&t.week),
                // (a week some accounts were not completely scanned in reads lower: say so)
                Cell::text(accounts_of_week(t)),
                Cell::text(count(t.open_fail)),
            ];
            row.extend(t.by_severity[..3].iter().map(|n| Cell::text(count(*n))));
            row.push(Cell::text(count(t.by_severity[3..].iter().sum())));
            row.push(Cell::text(t.open_fail_delta.map_or("n/a".into(), signed)));
            row.extend(
                [t.new, t.regressed, t.resolved, t.unverified].map(|n| Cell::text(count(n))),
            );
            row
        })
        .collect();
    let mut numeric = vec![true; head.len()];
    numeric[0] = false;
    blocks.push(Block::Table {
        head,
        numeric,
        rows,
    });

    if !report.accounts.is_empty() {
        blocks.push(Block::Heading(3, "Pass rate per account".into()));
        blocks.push(Block::Chart(Chart::PassRateByAccount));
        let rows = report
            .accounts
            .iter()
            .map(|a| {
                // (an account scanned in part this week: its counts lack what was not read)
                let mut account = Cell::code(&a.account);
                let cov = &report.coverage;
                if cov.partial.iter().any(|(p, _)| *p == a.account) {
                    account.content.push(text(" (partial scan)"));
                } else if cov.failed.iter().any(|(f, _)| *f == a.account) {
                    account.content.push(text(" (scan failed)"));
                }
                vec![
                    account,
                    Cell::text(percent(a.pass_rate)),
                    Cell::text(points(a.delta)),
                    Cell::text(count(a.pass)),
                    Cell::text(count(a.fail)),
                ]
            })
            .collect();
        blocks.push(Block::Table {
            head: [
                "Account",
                "Pass rate",
                "Change, like for like",
                "PASS",
                "Open FAIL",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, true, true, true, true],
            rows,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_leadership_writes_them() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(-1234567), "-1,234,567");
        assert_eq!(signed(12), "+12");
        assert_eq!(signed(-3), "-3");
        assert_eq!(points(Some(0.44)), "+0.4 pts");
        assert_eq!(percent(None), "n/a");
    }

    #[test]
    fn a_remediation_cut_open_reads_as_plain_text_without_markers() {
        // The cut (at MAX_REMEDIATION characters) falls inside the emphasis, on either
        // asterisk of its marker, or just before it.
        for filler in 136..=141 {
            let long = format!(
                "Enable encryption {}**defense in depth, and more words**",
                "x ".repeat(filler)
            );
            let page = crate::markdown::render(&Doc {
                title: String::new(),
                blocks: vec![Block::Paragraph(remediation(&long))],
            });
            assert!(!page.contains('*') && !page.contains('\\'), "{page}");
            assert!(page.trim_end().ends_with('…'), "{page}");
        }
        // Whole markup still reads as markup.
        let page = crate::markdown::render(&Doc {
            title: String::new(),
            blocks: vec![Block::Paragraph(remediation(
                "Enable **encryption** at rest.",
            ))],
        });
        assert!(page.contains("**encryption**"), "{page}");
    }

    #[test]
    fn a_remediation_list_reads_as_one_sentence() {
        // Prowler's shape: a lead sentence, then `- ` items, then maybe more text.
        assert_eq!(
            flatten_lists(
                "Associate each log group with a **KMS key**.\n- Enforce **least privilege**\n\
                 - Enable rotation\n- Separate keys by tenant"
            ),
            "Associate each log group with a **KMS key**. Enforce **least privilege**; \
             Enable rotation; Separate keys by tenant."
        );
        assert_eq!(
            flatten_lists(
                "Adopt **short-lived** workloads:\n- Rebuild regularly\n* Patch centrally.\n\n\
                 Adjust `max_age` to match policy."
            ),
            "Adopt **short-lived** workloads: Rebuild regularly; Patch centrally. \
             Adjust `max_age` to match policy."
        );
        assert_eq!(
            flatten_lists("Steps\n1. Open the console\n2) Turn it on"),
            "Steps: Open the console; Turn it on."
        );
        // Paragraphs without lists, and emphasis at a line start, stay as they were.
        assert_eq!(
            flatten_lists("Use a trail.\n\n**Centralize** logs."),
            "Use a trail. **Centralize** logs."
        );
        let page = crate::markdown::render(&Doc {
            title: String::new(),
            blocks: vec![Block::Paragraph(remediation(
                "Apply defense in depth:\n- Require **IMDSv2**\n- Disable metadata",
            ))],
        });
        assert!(
            page.contains("Apply defense in depth: Require **IMDSv2**; Disable metadata."),
            "{page}"
        );
    }

    #[test]
    fn weeks_that_observed_nothing_in_common_show_no_like_for_like_change() {
        use crate::model::{PassRate, SeverityCount};
        let mut report = Report {
            week: "2026-W47".into(),
            against: Some("2026-W10".into()),
            posture: Some(PassRate {
                rate: Some(50.0),
                pass: 1,
                fail: 1,
                ..PassRate::default()
            }),
            open_fail: vec![SeverityCount {
                severity: "High".into(),
                current: 2633,
                previous: 40,
                delta: Some(0),
                not_compared_current: 2633,
                not_compared_previous: 40,
            }],
            ..Report::default()
        };
        let page = crate::markdown::render(&layout(&report));
        assert!(
            page.contains("| High | 2,633 | 40 | n/a | 2,633 / 40 |"),
            "{page}"
        );
        assert!(page.contains("observed nothing in common"), "{page}");
        // With something compared, the change is the like-for-like delta, 0 included.
        report.posture.as_mut().unwrap().compared = Some(50.0);
        report.posture.as_mut().unwrap().previous = Some(50.0);
        let page = crate::markdown::render(&layout(&report));
        assert!(
            page.contains("| High | 2,633 | 40 | 0 | 2,633 / 40 |"),
            "{page}"
        );
    }
}
