//! Confluence storage format: XHTML with Confluence's `ac:` elements, a fragment to paste
//! as a page body (or send through the REST API as `representation: storage`). Everything
//! from the data is XML-escaped before any formatting is applied; code blocks use the
//! `code` macro with a CDATA body; caveats use the `warning` macro. No other macros.

use std::fmt::Write;

use crate::doc::{Block, Doc, Inline};

/// Renders `doc` as Confluence storage format (a fragment of several top-level elements).
pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
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
                    "<ac:structured-macro ac:name=\"warning\"><ac:rich-text-body><p>{}</p></ac:rich-text-body></ac:structured-macro>",
                    inline(inlines)
                );
            }
            Block::List { ordered, items } => {
                let tag = if *ordered { "ol" } else { "ul" };
                let _ = write!(out, "<{tag}>");
                for item in items {
                    let _ = write!(out, "<li>{}</li>", inline(item));
                }
                let _ = writeln!(out, "</{tag}>");
            }
            Block::Table {
                head,
                numeric,
                rows,
            } => {
                out.push_str("<table><tbody><tr>");
                for h in head {
                    let _ = write!(out, "<th>{}</th>", escape(h));
                }
                out.push_str("</tr>");
                for row in rows {
                    out.push_str("<tr>");
                    for (i, c) in row.iter().enumerate() {
                        if numeric.get(i).copied().unwrap_or(false) {
                            let _ = write!(
                                out,
                                "<td style=\"text-align: right;\">{}</td>",
                                inline(&c.content)
                            );
                        } else {
                            let _ = write!(out, "<td>{}</td>", inline(&c.content));
                        }
                    }
                    out.push_str("</tr>");
                }
                out.push_str("</tbody></table>\n");
            }
            Block::Code { lang, text } => {
                out.push_str("<ac:structured-macro ac:name=\"code\">");
                if let Some(lang) = lang {
                    let _ = write!(
                        out,
                        "<ac:parameter ac:name=\"language\">{}</ac:parameter>",
                        escape(lang)
                    );
                }
                let _ = writeln!(
                    out,
                    "<ac:plain-text-body><![CDATA[{}]]></ac:plain-text-body></ac:structured-macro>",
                    cdata(text)
                );
            }
            Block::Chart(_) => {}
        }
    }
    out
}

/// Escapes text for XML content and attributes; drops characters XML 1.0 cannot hold.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A CDATA body: `]]>` split across two sections, characters XML cannot hold dropped.
fn cdata(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect::<String>()
        .replace("]]>", "]]]]><![CDATA[>")
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
                let _ = write!(out, "<a href=\"{}\">{}</a>", escape(url), inline(text));
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
    fn code_and_markup_characters_survive() {
        assert_eq!(
            inline(&[text("a < b & c"), code("{\"Action\": \"*:*\"} <x>")]),
            "a &lt; b &amp; c<code>{&quot;Action&quot;: &quot;*:*&quot;} &lt;x&gt;</code>"
        );
        assert_eq!(cdata("a]]>b\u{1}"), "a]]]]><![CDATA[>b");
    }
}
