//! The report as a document tree, built once ([`crate::layout`]) and rendered by each format.
//! Data (check titles, resource ids, narrative text) only ever enters as [`Inline::Text`] or
//! [`Inline::Code`], which every renderer escapes for its own syntax: nothing read from the
//! lake or a narrative can become markup.

/// A run of text with its formatting.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Plain text.
    Text(String),
    /// Inline code (ids, ARNs, policies): shown as is.
    Code(String),
    /// Strong emphasis.
    Strong(Vec<Inline>),
    /// Emphasis.
    Emph(Vec<Inline>),
    /// A link to an http(s) URL.
    Link {
        /// What the link shows.
        text: Vec<Inline>,
        /// Where it goes.
        url: String,
    },
}

/// Shorthand for plain text.
pub fn text(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

/// Shorthand for inline code.
pub fn code(s: impl Into<String>) -> Inline {
    Inline::Code(s.into())
}

/// Shorthand for strong text.
pub fn strong(s: impl Into<String>) -> Inline {
    Inline::Strong(vec![text(s)])
}

/// A table cell: its content and, for severity columns, the severity it shows (coloured by
/// the HTML and spreadsheet renderers).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    /// Content.
    pub content: Vec<Inline>,
    /// A severity name, when the cell shows one.
    pub severity: Option<String>,
}

impl Cell {
    /// A cell of plain text.
    pub fn text(s: impl Into<String>) -> Self {
        Self {
            content: vec![text(s)],
            severity: None,
        }
    }
    /// A cell of inline code.
    pub fn code(s: impl Into<String>) -> Self {
        Self {
            content: vec![code(s)],
            severity: None,
        }
    }
    /// A severity cell.
    pub fn severity(s: &str) -> Self {
        Self {
            content: vec![text(s)],
            severity: Some(s.to_owned()),
        }
    }
}

/// The charts the HTML report draws (the other formats show the same numbers as tables).
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Open FAIL by severity per week (stacked bars).
    OpenFailBySeverity,
    /// New and resolved per week (paired bars).
    NewVsResolved,
    /// Pass rate per account this week (horizontal bars).
    PassRateByAccount,
}

/// A block of the document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading: level 2 for the fixed sections, 3 below them.
    Heading(u8, String),
    /// A paragraph.
    Paragraph(Vec<Inline>),
    /// A list, numbered or not, of one-paragraph items.
    List {
        /// Numbered.
        ordered: bool,
        /// The items.
        items: Vec<Vec<Inline>>,
    },
    /// A table; `numeric[i]` right-aligns column `i`.
    Table {
        /// Column headers.
        head: Vec<String>,
        /// Which columns hold numbers.
        numeric: Vec<bool>,
        /// Rows of cells.
        rows: Vec<Vec<Cell>>,
    },
    /// A code block, shown verbatim.
    Code {
        /// Language hint, if any.
        lang: Option<String>,
        /// The code.
        text: String,
    },
    /// A chart (HTML only).
    Chart(Chart),
    /// A caveat the reader must not miss.
    Caveat(Vec<Inline>),
}

/// The whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Title, e.g. "Week 2026-W21".
    pub title: String,
    /// Blocks in order.
    pub blocks: Vec<Block>,
}

/// The plain text of inline runs (for spreadsheet cells and chart labels).
pub fn plain(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for i in inlines {
        match i {
            Inline::Text(s) | Inline::Code(s) => out.push_str(s),
            Inline::Strong(c) | Inline::Emph(c) => out.push_str(&plain(c)),
            Inline::Link { text, .. } => out.push_str(&plain(text)),
        }
    }
    out
}
