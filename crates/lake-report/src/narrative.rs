//! A narrative written elsewhere (an LLM, a person), in the Markdown subset every format
//! renders the same way, merged into the report's fixed sections.
//!
//! The subset: `## <section>` headings naming one of [`SECTIONS`] (a `# title` line is
//! ignored: the report has its own), `###` sub-headings, paragraphs, `-`/`*` and `1.` lists
//! (one level), fenced code blocks, and inline `code`, `**strong**`, `*emphasis*`/`_emphasis_`
//! and `[links](https://...)`. Code is taken first, so `*:*` inside backticks stays code.
//! Anything else (raw HTML, images, tables, block quotes, nested lists, deeper headings,
//! rules) is rejected with its line, rather than rendered differently by each format.

use serde::Serialize;

use crate::doc::{Block, Inline};

/// The report's fixed sections, in order.
pub const SECTIONS: [&str; 6] = [
    "Headline",
    "What's new this week",
    "Resolved this week",
    "Top open issues",
    "Trends",
    "Action items",
];

/// Narrative text per section (index into [`SECTIONS`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Narrative {
    /// Blocks per section, in the order of [`SECTIONS`].
    #[serde(skip)]
    pub sections: [Vec<Block>; 6],
}

impl Narrative {
    /// The narrative's blocks for `section`.
    pub fn section(&self, section: &str) -> &[Block] {
        SECTIONS
            .iter()
            .position(|s| *s == section)
            .map_or(&[], |i| &self.sections[i])
    }
}

/// Why a narrative was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct NarrativeError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

fn fail<T>(line: usize, reason: impl Into<String>) -> Result<T, NarrativeError> {
    Err(NarrativeError {
        line,
        reason: reason.into(),
    })
}

/// Parses a narrative.
pub fn parse(source: &str) -> Result<Narrative, NarrativeError> {
    let mut narrative = Narrative::default();
    let mut current: Option<usize> = None;
    let lines: Vec<&str> = source.lines().collect();
    let mut i = 0;
    let mut para: Vec<(usize, &str)> = Vec::new();
    let mut list: Option<(bool, Vec<(usize, String)>)> = None;

    // Where the blocks go: a section must have been named first.
    fn target(
        narrative: &mut Narrative,
        current: Option<usize>,
        line: usize,
    ) -> Result<&mut Vec<Block>, NarrativeError> {
        match current {
            Some(s) => Ok(&mut narrative.sections[s]),
            None => fail(
                line,
                format!(
                    "text before the first section heading; start with one of: {}",
                    SECTIONS.map(|s| format!("## {s}")).join(", ")
                ),
            ),
        }
    }
    fn flush(
        narrative: &mut Narrative,
        current: Option<usize>,
        para: &mut Vec<(usize, &str)>,
        list: &mut Option<(bool, Vec<(usize, String)>)>,
    ) -> Result<(), NarrativeError> {
        if let Some(&(line, _)) = para.first() {
            let joined = para
                .iter()
                .map(|(_, l)| l.trim())
                .collect::<Vec<_>>()
                .join(" ");
            let inlines = inlines(&joined, line)?;
            target(narrative, current, line)?.push(Block::Paragraph(inlines));
            para.clear();
        }
        if let Some((ordered, items)) = list.take() {
            let line = items.first().map_or(0, |(l, _)| *l);
            let items = items
                .iter()
                .map(|(l, t)| inlines(t, *l))
                .collect::<Result<Vec<_>, _>>()?;
            target(narrative, current, line)?.push(Block::List { ordered, items });
        }
        Ok(())
    }

    while i < lines.len() {
        let line_no = i + 1;
        let raw = lines[i];
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        i += 1;

        if trimmed.is_empty() {
            flush(&mut narrative, current, &mut para, &mut list)?;
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            flush(&mut narrative, current, &mut para, &mut list)?;
            let fence = &trimmed[..3];
            let lang = trimmed[3..].trim();
            let mut body = Vec::new();
            let mut closed = false;
            while i < lines.len() {
                let l = lines[i];
                i += 1;
                if l.trim() == fence {
                    closed = true;
                    break;
                }
                body.push(l);
            }
            if !closed {
                return fail(line_no, "code block not closed (no closing ``` line)");
            }
            target(&mut narrative, current, line_no)?.push(Block::Code {
                lang: (!lang.is_empty()).then(|| lang.to_owned()),
                text: body.join("\n"),
            });
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('#') {
            flush(&mut narrative, current, &mut para, &mut list)?;
            let level = 1 + rest.chars().take_while(|c| *c == '#').count();
            let title = rest.trim_start_matches('#').trim();
            match level {
                1 => {}
                2 => match SECTIONS.iter().position(|s| s.eq_ignore_ascii_case(title)) {
                    Some(s) => current = Some(s),
                    None => {
                        return fail(
                            line_no,
                            format!(
                                "unknown section \"{title}\"; the sections are: {}",
                                SECTIONS.join(", ")
                            ),
                        )
                    }
                },
                3 => {
                    let title = plain_heading(title, line_no)?;
                    target(&mut narrative, current, line_no)?.push(Block::Heading(3, title));
                }
                _ => return fail(line_no, "headings deeper than ### are not supported"),
            }
            continue;
        }
        if trimmed.starts_with('>') {
            return fail(line_no, "block quotes are not supported");
        }
        if trimmed.starts_with('|') {
            return fail(line_no, "tables are not supported in the narrative");
        }
        if is_rule(trimmed) {
            return fail(
                line_no,
                "horizontal rules and setext headings are not supported",
            );
        }
        if let Some((ordered, item)) = list_item(trimmed) {
            if indent >= 2 {
                return fail(line_no, "nested lists are not supported");
            }
            if !para.is_empty() {
                flush(&mut narrative, current, &mut para, &mut list)?;
            }
            match &mut list {
                Some((o, items)) if *o == ordered => items.push((line_no, item.to_owned())),
                _ => {
                    flush(&mut narrative, current, &mut para, &mut list)?;
                    list = Some((ordered, vec![(line_no, item.to_owned())]));
                }
            }
            continue;
        }
        if let Some((_, items)) = &mut list {
            if indent >= 2 {
                // A continuation line of the last item.
                if let Some((_, last)) = items.last_mut() {
                    last.push(' ');
                    last.push_str(trimmed);
                }
                continue;
            }
            flush(&mut narrative, current, &mut para, &mut list)?;
        }
        if indent >= 4 && para.is_empty() {
            return fail(
                line_no,
                "indented code blocks are not supported; fence code with ``` lines",
            );
        }
        para.push((line_no, trimmed));
    }
    flush(&mut narrative, current, &mut para, &mut list)?;
    Ok(narrative)
}

fn is_rule(line: &str) -> bool {
    let c: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    c.len() >= 3
        && (c.iter().all(|&x| x == '-')
            || c.iter().all(|&x| x == '=')
            || c.iter().all(|&x| x == '*')
            || c.iter().all(|&x| x == '_'))
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, rest.trim()));
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 3 {
        if let Some(rest) = line[digits..].strip_prefix(". ") {
            return Some((true, rest.trim()));
        }
    }
    None
}

fn plain_heading(title: &str, line: usize) -> Result<String, NarrativeError> {
    let parsed = inlines(title, line)?;
    Ok(crate::doc::plain(&parsed))
}

/// Parses the inline subset of one paragraph or item (`line`: where it starts, for errors).
pub fn inlines(s: &str, line: usize) -> Result<Vec<Inline>, NarrativeError> {
    let chars: Vec<char> = s.chars().collect();
    parse_inlines(&chars, line)
}

fn parse_inlines(c: &[char], line: usize) -> Result<Vec<Inline>, NarrativeError> {
    let mut out: Vec<Inline> = Vec::new();
    let mut buf = String::new();
    let mut i = 0;
    let push_text = |out: &mut Vec<Inline>, buf: &mut String| {
        if !buf.is_empty() {
            out.push(Inline::Text(std::mem::take(buf)));
        }
    };
    while i < c.len() {
        let ch = c[i];
        match ch {
            '`' => {
                let run = c[i..].iter().take_while(|&&x| x == '`').count();
                // The closing run of the same length.
                let mut j = i + run;
                let mut close = None;
                while j < c.len() {
                    if c[j] == '`' {
                        let r = c[j..].iter().take_while(|&&x| x == '`').count();
                        if r == run {
                            close = Some(j);
                            break;
                        }
                        j += r;
                    } else {
                        j += 1;
                    }
                }
                let Some(end) = close else {
                    return fail(line, "inline code not closed (unmatched `)");
                };
                let mut body: String = c[i + run..end].iter().collect();
                if body.len() > 2 && body.starts_with(' ') && body.ends_with(' ') {
                    body = body[1..body.len() - 1].to_owned();
                }
                push_text(&mut out, &mut buf);
                out.push(Inline::Code(body));
                i = end + run;
            }
            '<' if c
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/' || *n == '!') =>
            {
                return fail(
                    line,
                    "raw HTML is not supported (write text, or put it in `code`)",
                );
            }
            '!' if c.get(i + 1) == Some(&'[') => {
                return fail(line, "images are not supported");
            }
            '[' => {
                // [text](url)
                let close = find(c, i + 1, ']');
                match close {
                    Some(end) if c.get(end + 1) == Some(&'(') => {
                        let Some(paren) = find(c, end + 2, ')') else {
                            return fail(line, "link not closed (missing `)`)");
                        };
                        let url: String = c[end + 2..paren].iter().collect();
                        let url = url.trim().to_owned();
                        if !(url.starts_with("https://") || url.starts_with("http://")) {
                            return fail(
                                line,
                                format!("link target \"{url}\" is not an http(s) URL"),
                            );
                        }
                        let label = parse_inlines(&c[i + 1..end], line)?;
                        push_text(&mut out, &mut buf);
                        out.push(Inline::Link { text: label, url });
                        i = paren + 1;
                    }
                    _ => {
                        buf.push(ch);
                        i += 1;
                    }
                }
            }
            '*' | '_' => {
                let double = c.get(i + 1) == Some(&ch);
                let width = if double { 2 } else { 1 };
                match emphasis_end(c, i, ch, width) {
                    Some(end) => {
                        let inner = parse_inlines(&c[i + width..end], line)?;
                        push_text(&mut out, &mut buf);
                        out.push(if double {
                            Inline::Strong(inner)
                        } else {
                            Inline::Emph(inner)
                        });
                        i = end + width;
                    }
                    None => {
                        // Not emphasis (e.g. `a * b`, `*:*`, snake_case): literal.
                        for _ in 0..width {
                            buf.push(ch);
                        }
                        i += width;
                    }
                }
            }
            _ => {
                buf.push(ch);
                i += 1;
            }
        }
    }
    push_text(&mut out, &mut buf);
    Ok(out)
}

fn find(c: &[char], from: usize, wanted: char) -> Option<usize> {
    (from..c.len()).find(|&j| c[j] == wanted)
}

/// The index of the marker closing emphasis opened at `start`, if it is emphasis: the opener
/// is followed by a non-space, the closer preceded by one, the content holds a letter or
/// digit and no code span is cut; `_` must not sit inside a word (snake_case stays text).
fn emphasis_end(c: &[char], start: usize, ch: char, width: usize) -> Option<usize> {
    let open_end = start + width;
    if c.get(open_end).is_none_or(|n| n.is_whitespace()) {
        return None;
    }
    if ch == '_' && start > 0 && c[start - 1].is_alphanumeric() {
        return None;
    }
    let mut j = open_end;
    let mut in_code = false;
    while j + width <= c.len() {
        if c[j] == '`' {
            in_code = !in_code;
        }
        let closes = !in_code
            && c[j..j + width].iter().all(|&x| x == ch)
            && j > open_end
            && !c[j - 1].is_whitespace()
            && (width == 2 || c.get(j + 1) != Some(&ch))
            && (ch != '_' || c.get(j + width).is_none_or(|n| !n.is_alphanumeric()));
        if closes {
            let content = &c[open_end..j];
            if content.iter().any(|x| x.is_alphanumeric()) {
                return Some(j);
            }
            return None;
        }
        j += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{code, text};

    fn para(source: &str) -> Vec<Inline> {
        let n = parse(&format!("## Headline\n{source}\n")).expect("parses");
        match &n.sections[0][..] {
            [Block::Paragraph(p)] => p.clone(),
            other => panic!("not one paragraph: {other:?}"),
        }
    }

    fn rejected(source: &str) -> NarrativeError {
        parse(source).expect_err("must be rejected")
    }

    #[test]
    fn code_is_taken_before_emphasis() {
        assert_eq!(
            para("Allow `\"Action\": \"*:*\"` and `*` here"),
            vec![
                text("Allow "),
                code("\"Action\": \"*:*\""),
                text(" and "),
                code("*"),
                text(" here")
            ]
        );
    }

    #[test]
    fn stars_without_words_are_literal() {
        assert_eq!(
            para("policy *:* and a * b"),
            vec![text("policy *:* and a * b")]
        );
        assert_eq!(para("snake_case_name"), vec![text("snake_case_name")]);
    }

    #[test]
    fn emphasis_links_and_strong() {
        assert_eq!(
            para("**Critical** is *down*, see [the runbook](https://example.com/x?a=1&b=2)"),
            vec![
                Inline::Strong(vec![text("Critical")]),
                text(" is "),
                Inline::Emph(vec![text("down")]),
                text(", see "),
                Inline::Link {
                    text: vec![text("the runbook")],
                    url: "https://example.com/x?a=1&b=2".into()
                }
            ]
        );
    }

    #[test]
    fn sections_lists_and_code_blocks() {
        let n = parse(
            "# Week 2026-W21\n\n## What's new this week\n- one `a*b*c`\n- two\n  continued\n\n1. first\n\n## Action items\n```json\n{\"Action\": \"*:*\"}\n```\n",
        )
        .expect("parses");
        assert_eq!(
            n.section("What's new this week"),
            &[
                Block::List {
                    ordered: false,
                    items: vec![
                        vec![text("one "), code("a*b*c")],
                        vec![text("two continued")]
                    ]
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![text("first")]]
                }
            ]
        );
        assert_eq!(
            n.section("Action items"),
            &[Block::Code {
                lang: Some("json".into()),
                text: "{\"Action\": \"*:*\"}".into()
            }]
        );
    }

    #[test]
    fn unsupported_constructs_are_rejected_with_their_line() {
        let cases = [
            ("## Headline\ntext <b>bold</b>\n", 2, "raw HTML"),
            ("## Headline\n\n![chart](https://x/y.png)\n", 3, "images"),
            ("## Headline\n| a | b |\n", 2, "tables"),
            ("## Headline\n> quoted\n", 2, "block quotes"),
            ("## Headline\n- a\n  - b\n", 3, "nested lists"),
            ("## Headline\n#### deep\n", 2, "deeper"),
            ("## Headline\n---\n", 2, "rules"),
            ("## Summary\n", 1, "unknown section"),
            ("intro\n", 1, "before the first section"),
            ("## Headline\n```\nopen\n", 2, "not closed"),
            ("## Headline\nsee `this\n", 2, "not closed"),
            (
                "## Headline\n[x](javascript:alert(1))\n",
                2,
                "not an http(s) URL",
            ),
        ];
        for (source, line, reason) in cases {
            let e = rejected(source);
            assert_eq!(e.line, line, "{source:?}: {e}");
            assert!(e.reason.contains(reason), "{source:?}: {e}");
        }
    }
}
