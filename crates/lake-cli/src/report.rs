//! `lake report`: the weekly report of a week in Markdown, HTML, Confluence storage format
//! or XLSX; its LLM prompt; a narrative merged in.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use lake_query::lake_report::{self, narrative, Format};
use lake_query::ReportOptions;

use crate::{emit, open_lake, LakeArg, WeekParams};

/// The formats of `--format`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportFormat {
    /// Markdown, for email bodies and chat.
    Markdown,
    /// One self-contained HTML page with charts (no script, no network).
    Html,
    /// Confluence storage format (XHTML), to paste or send as a page body.
    Confluence,
    /// An XLSX workbook: the week's diff and open findings, one sheet each.
    Xlsx,
}

impl From<ReportFormat> for Format {
    fn from(f: ReportFormat) -> Self {
        match f {
            ReportFormat::Markdown => Format::Markdown,
            ReportFormat::Html => Format::Html,
            ReportFormat::Confluence => Format::Confluence,
            ReportFormat::Xlsx => Format::Xlsx,
        }
    }
}

/// `lake report`'s arguments.
#[derive(Args, Debug)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    params: WeekParams,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    format: ReportFormat,
    /// Write to this file instead of standard output (XLSX needs a file).
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Print the prompt that asks an LLM for the narrative (the fixed sections, the Markdown
    /// it may use, and the summary inputs) instead of the report.
    #[arg(long, conflicts_with = "narrative")]
    prompt: bool,
    /// Merge this narrative (Markdown with `## <section>` headings, e.g. an LLM's answer to
    /// `--prompt`) into the report's sections.
    #[arg(long, value_name = "FILE")]
    narrative: Option<PathBuf>,
    /// Weeks with data the trend shows, ending with the week.
    #[arg(long, default_value_t = 12)]
    trend_weeks: u32,
    /// A quick win fails on at most this many resources.
    #[arg(long, default_value_t = 3)]
    quick_win_resources: u32,
    #[command(flatten)]
    lake: LakeArg,
}

pub(crate) async fn report_cmd(args: ReportArgs) -> Result<ExitCode> {
    let format = Format::from(args.format);
    if format == Format::Xlsx && args.output.is_none() && !args.prompt {
        anyhow::bail!("--format xlsx writes a binary workbook: give it a file with --output");
    }
    // Read the narrative first: a bad one fails before the queries run.
    let narrative = match &args.narrative {
        Some(path) => {
            let source = std::fs::read_to_string(path)
                .with_context(|| format!("reading the narrative {}", path.display()))?;
            Some(
                narrative::parse(&source)
                    .with_context(|| format!("narrative {}", path.display()))?,
            )
        }
        None => None,
    };
    let lake = open_lake(&args.lake.lake)?;
    let params = args.params.resolve(&lake).await?;
    let options = ReportOptions {
        trend_weeks: args.trend_weeks,
        quick_win_resources: args.quick_win_resources,
        open_findings: format == Format::Xlsx,
    };
    if args.prompt {
        let summary = lake.summary(&params).await?;
        let week = summary["week"].as_str().unwrap_or_default().to_owned();
        return emit(args.output.as_deref(), |out| {
            let inputs = lake_query::json::to_string_shallow(&summary, 2);
            out.write_all(lake_report::prompt(&week, &inputs).as_bytes())?;
            Ok(())
        });
    }
    let mut report = lake.weekly_report(&params, &options).await?.report;
    report.narrative = narrative;
    let bytes = lake_report::render(&report, format)?;
    emit(args.output.as_deref(), |out| {
        out.write_all(&bytes)?;
        Ok(())
    })
}
