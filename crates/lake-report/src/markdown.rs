//! Markdown (CommonMark with GitHub tables): for email bodies and chat. Data text is
//! backslash-escaped, code spans are fenced with more backticks than they hold.

use std::fmt::Write;

use crate::doc::{Block, Doc, Inline};

/// Renders `doc` as Markdown.
pub fn render(doc: &Doc) -> String {
    let mut out = format!("# {}\n", escape(&doc.title));
    for block in &doc.blocks {
        out.push('\n');
        match block {
            Block::Heading(level, title) => {
                let _ = writeln!(out, "{} {}", "#".repeat(usize::from(*level)), escape(title));
            }
            Block::Paragraph(inlines) => {
                let _ = writeln!(out, "{}", inline(inlines, false));
            }
            Block::Caveat(inlines) => {
                let _ = writeln!(out, "**Caveat:** {}", inline(inlines, false));
            }
            Block::List { ordered, items } => {
                for (i, item) in items.iter().enumerate() {
                    let marker = if *ordered {
                        format!("{}.", i + 1)
                    } else {
                        "-".to_owned()
                    };
                    let _ = writeln!(out, "{marker} {}", inline(item, false));
                }
            }
            Block::Table {
                head,
                numeric,
                rows,
            } => {
                let cells: Vec<String> = head.iter().map(|h| escape(h)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
                let rule: Vec<&str> = numeric
                    .iter()
                    .map(|n| if *n { "---:" } else { "---" })
                    .collect();
                let _ = writeln!(out, "| {} |", rule.join(" | "));
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| inline(&c.content, true)).collect();
                    let _ = writeln!(out, "| {} |", cells.join(" | "));
                }
            }
            Block::Code { lang, text } => {
                let fence = "`".repeat(longest_run(text, '`').max(2) + 1);
                let _ = writeln!(
                    out,
                    "{fence}{}\n{text}\n{fence}",
                    lang.as_deref().unwrap_or("")
                );
            }
            Block::Chart(_) => {
                // The numbers are in the table that follows.
                out.pop();
            }
        }
    }
    out
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut run) = (0, 0);
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Escapes text so that no Markdown construct can start in it.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn code_span(s: &str, in_table: bool) -> String {
    let mut body: String = s
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .filter(|c| !c.is_control() || *c == '\t')
        .collect();
    if in_table {
        // GitHub splits table cells at `|` even inside code spans, unless escaped.
        body = body.replace('|', "\\|");
    }
    let fence = "`".repeat(longest_run(&body, '`') + 1);
    if body.starts_with('`') || body.ends_with('`') || body.starts_with(' ') {
        format!("{fence} {body} {fence}")
    } else {
        format!("{fence}{body}{fence}")
    }
}

fn inline(inlines: &[Inline], in_table: bool) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(s) => out.push_str(&escape(s)),
            Inline::Code(s) if s.is_empty() => {}
            Inline::Code(s) => out.push_str(&code_span(s, in_table)),
            Inline::Strong(c) => {
                let _ = write!(out, "**{}**", inline(c, in_table));
            }
            Inline::Emph(c) => {
                let _ = write!(out, "*{}*", inline(c, in_table));
            }
            Inline::Link { text, url } => {
                let url = url
                    .replace('(', "%28")
                    .replace(')', "%29")
                    .replace(' ', "%20");
                let _ = write!(out, "[{}]({url})", inline(text, in_table));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{code, text};

    #[test]
    fn data_cannot_become_markup() {
        assert_eq!(escape("a*b_c [x](y) <b>"), "a\\*b\\_c \\[x\\](y) \\<b\\>");
        assert_eq!(inline(&[code("a`b")], false), "``a`b``");
        assert_eq!(inline(&[code("`x")], false), "`` `x ``");
        assert_eq!(inline(&[code("a|b")], true), "`a\\|b`");
        assert_eq!(
            inline(&[text("policy "), code("\"Action\": \"*:*\"")], false),
            "policy `\"Action\": \"*:*\"`"
        );
    }
}
