//! The weekly report: what leadership reads, made from the lake's numbers.
//!
//! [`Report`] holds what a report shows, filled by `lake-query` from the same classification
//! as `diff` and `summary`; [`render`] lays it out once (fixed sections: Headline, What's new
//! this week, Resolved this week, Top open issues, Trends, Action items) and writes it as
//! Markdown, one self-contained HTML page with SVG charts, Confluence storage XHTML, or an
//! XLSX workbook. A narrative written elsewhere ([`narrative::parse`]) is merged into the
//! sections; [`prompt`] gives the text to ask an LLM for one. No I/O: same report, same bytes.
//!
//! ```
//! use lake_report::{render, Format, Report};
//! let report = Report { week: "2026-W21".into(), ..Report::default() };
//! let markdown = String::from_utf8(render(&report, Format::Markdown).unwrap()).unwrap();
//! assert!(markdown.starts_with("# Week 2026-W21\n"));
//! ```

mod charts;
mod confluence;
pub mod doc;
mod html;
pub mod layout;
mod markdown;
pub mod model;
pub mod narrative;
mod prompt;
mod xlsx;

pub use model::*;
pub use narrative::{Narrative, NarrativeError};
pub use prompt::prompt;

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown, for email bodies and chat.
    Markdown,
    /// One self-contained HTML page with charts.
    Html,
    /// Confluence storage format (XHTML).
    Confluence,
    /// An XLSX workbook of the diff and the open findings.
    Xlsx,
}

impl Format {
    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Confluence => "confluence.xml",
            Format::Xlsx => "xlsx",
        }
    }
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// A chart could not be drawn.
    #[error("drawing the chart {chart}: {reason}")]
    Chart {
        /// Which chart.
        chart: String,
        /// What went wrong.
        reason: String,
    },
    /// The workbook could not be written.
    #[error("writing the XLSX workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Writes `report` in `format`.
pub fn render(report: &Report, format: Format) -> Result<Vec<u8>, ReportError> {
    let doc = layout::layout(report);
    Ok(match format {
        Format::Markdown => markdown::render(&doc).into_bytes(),
        Format::Html => html::render(&doc, report)?.into_bytes(),
        Format::Confluence => confluence::render(&doc).into_bytes(),
        Format::Xlsx => xlsx::render(report)?,
    })
}
