//! One self-contained HTML page: inline CSS and SVG charts, no script, no network; readable
//! on a phone (tables scroll sideways, charts scale) and printable.

use std::fmt::Write;

use crate::charts;
use crate::doc::{Block, Chart, Doc, Inline};
use crate::model::Report;
use crate::ReportError;

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2330;
       max-width: 980px; margin: 0 auto; padding: 16px; background: #fff; }
h1 { font-size: 1.7em; margin: 0.2em 0 0.6em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #e3e6ec; padding-bottom: 4px; margin-top: 1.8em; }
h3 { font-size: 1.1em; margin-top: 1.4em; }
code { font: 0.88em/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
       background: #f3f4f7; padding: 1px 4px; border-radius: 3px; overflow-wrap: anywhere; }
pre { background: #f3f4f7; padding: 10px; overflow-x: auto; border-radius: 4px; }
pre code { background: none; padding: 0; }
.table { overflow-x: auto; margin: 0.8em 0; }
table { border-collapse: collapse; min-width: 60%; }
th, td { border: 1px solid #dde1e8; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f7f9; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.sev { font-weight: 600; white-space: nowrap; }
td:first-child { white-space: nowrap; }
.sev-critical { background: #f6d5d5; color: #6d1010; }
.sev-high { background: #fbe1d9; color: #8a2a1c; }
.sev-medium { background: #fdf0d9; color: #7a4d07; }
.sev-low { background: #e1eef8; color: #1f4e75; }
.sev-informational { background: #eeeeee; color: #444; }
.caveat { border-left: 4px solid #e0a030; background: #fdf6e7; padding: 8px 12px; margin: 1em 0; }
figure { margin: 1em 0; }
figure svg { width: 100%; height: auto; max-width: 720px; display: block; }
figcaption { font-size: 0.9em; color: #555; }
footer { margin-top: 2.5em; font-size: 0.85em; color: #666; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  table, figure { break-inside: avoid; }
  .table { overflow: visible; }
}
"#;

/// Renders `doc` (laid out from `report`) as one HTML page.
pub fn render(doc: &Doc, report: &Report) -> Result<String, ReportError> {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&doc.title),
        escape(&doc.title)
    );
    for block in &doc.blocks {
        match block {
            Block::Heading(level, title) => {
                let _ = writeln!(out, "<h{level}>{}</h{level}>", escape(title));
            }
            Block::Paragraph(inlines) => {
                let _ = writeln!(out, "<p>{}</p>", inline(inlines));
            }
            Block::Caveat(inlines) => {
                let _ = writeln!(
                    out,
                    "<p class=\"caveat\"><strong>Caveat:</strong> {}</p>",
                    inline(inlines)
                );
            }
            Block::List { ordered, items } => {
                let tag = if *ordered { "ol" } else { "ul" };
                let _ = writeln!(out, "<{tag}>");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", inline(item));
                }
                let _ = writeln!(out, "</{tag}>");
            }
            Block::Table {
                head,
                numeric,
                rows,
            } => {
                out.push_str("<div class=\"table\"><table>\n<thead><tr>");
                for (i, h) in head.iter().enumerate() {
                    let class = if numeric.get(i).copied().unwrap_or(false) {
                        " class=\"num\""
                    } else {
                        ""
                    };
                    let _ = write!(out, "<th{class}>{}</th>", escape(h));
                }
                out.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    out.push_str("<tr>");
                    for (i, c) in row.iter().enumerate() {
                        let class = match (&c.severity, numeric.get(i).copied().unwrap_or(false)) {
                            (Some(s), _) => format!(" class=\"sev sev-{}\"", severity_class(s)),
                            (None, true) => " class=\"num\"".to_owned(),
                            (None, false) => String::new(),
                        };
                        let _ = write!(out, "<td{class}>{}</td>", inline(&c.content));
                    }
                    out.push_str("</tr>\n");
                }
                out.push_str("</tbody></table></div>\n");
            }
            Block::Code { text, .. } => {
                let _ = writeln!(out, "<pre><code>{}</code></pre>", escape(text));
            }
            Block::Chart(chart) => {
                let (svg, caption) = match chart {
                    Chart::OpenFailBySeverity => (
                        charts::open_fail_by_severity(report),
                        "Open FAIL findings by severity, per week with data.",
                    ),
                    Chart::NewVsResolved => (
                        charts::new_vs_resolved(report),
                        "New (and regressed) against resolved findings, per week with data.",
                    ),
                    Chart::PassRateByAccount => (
                        charts::pass_rate_by_account(report),
                        "Pass rate per account this week, lowest first.",
                    ),
                };
                let svg = svg.map_err(|reason| ReportError::Chart {
                    chart: format!("{chart:?}"),
                    reason,
                })?;
                let _ = writeln!(
                    out,
                    "<figure class=\"chart\" role=\"img\" aria-label=\"{caption}\">{}<figcaption>{caption}</figcaption></figure>",
                    responsive(&svg)
                );
            }
        }
    }
    let _ = write!(
        out,
        "<footer>Made by <code>lake report</code> from the lake's scans of week {}; every \
         number comes from the same classification as <code>lake query diff</code> and \
         <code>lake summary</code>.</footer>\n</body>\n</html>\n",
        escape(&report.week)
    );
    Ok(out)
}

/// plotters writes a fixed width and height: keep the viewBox, let CSS size it.
fn responsive(svg: &str) -> String {
    let Some(start) = svg.find("<svg") else {
        return svg.to_owned();
    };
    let Some(end) = svg[start..].find('>').map(|e| start + e) else {
        return svg.to_owned();
    };
    let head = &svg[start..end];
    let attr = |name: &str| -> Option<String> {
        let at = head.find(&format!(" {name}=\""))? + name.len() + 3;
        let len = head[at..].find('"')?;
        Some(head[at..at + len].to_owned())
    };
    let (Some(w), Some(h)) = (attr("width"), attr("height")) else {
        return svg.to_owned();
    };
    let mut new_head =
        format!("<svg viewBox=\"0 0 {w} {h}\" preserveAspectRatio=\"xMinYMin meet\"");
    if head.contains("xmlns=") {
        new_head.push_str(" xmlns=\"http://www.w3.org/2000/svg\"");
    }
    format!("{}{}{}", &svg[..start], new_head, &svg[end..])
}

fn severity_class(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Escapes text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

fn inline(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(s) => out.push_str(&escape(s)),
            Inline::Code(s) => {
                let _ = write!(out, "<code>{}</code>", escape(s));
            }
            Inline::Strong(c) => {
                let _ = write!(out, "<strong>{}</strong>", inline(c));
            }
            Inline::Emph(c) => {
                let _ = write!(out, "<em>{}</em>", inline(c));
            }
            Inline::Link { text, url } => {
                let _ = write!(
                    out,
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                    escape(url),
                    inline(text)
                );
            }
        }
    }
    out
}
