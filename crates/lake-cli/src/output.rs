//! Query results as a terminal table, CSV, a JSON array of row objects, or NDJSON.

use std::io::Write;

use anyhow::Result;
use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::table;

/// How results are written.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned columns, long text cut to fit a terminal.
    Table,
    /// RFC 4180 CSV with a header.
    Csv,
    /// One JSON array of row objects keyed by column name.
    Json,
    /// One JSON object per line.
    Ndjson,
}

/// Writes `batches` in `format`.
pub fn write(out: &mut dyn Write, batches: &[RecordBatch], format: OutputFormat) -> Result<()> {
    let mut batches = batches.iter().cloned().map(Ok);
    write_stream(out, || batches.next(), format)
}

/// Writes in `format` the batches `next` yields, until it yields none: CSV, JSON and NDJSON
/// as they come (a year-long diff is hundreds of MB of text, never held whole), a table from
/// all its rows (its columns are laid out to the widest cell).
pub fn write_stream(
    out: &mut dyn Write,
    mut next: impl FnMut() -> Option<Result<RecordBatch>>,
    format: OutputFormat,
) -> Result<()> {
    match format {
        OutputFormat::Table => {
            let mut batches = Vec::new();
            while let Some(batch) = next() {
                batches.push(batch?);
            }
            let Some(schema) = batches.first().map(|b| b.schema()) else {
                writeln!(out, "(no rows)")?;
                return Ok(());
            };
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            let rows = text_rows(&batches)?;
            let right: Vec<usize> = schema
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| f.data_type().is_numeric())
                .map(|(i, _)| i)
                .collect();
            table::write(out, &names, &rows, &right)?;
            match rows.len() {
                1 => writeln!(out, "(1 row)")?,
                n => writeln!(out, "({n} rows)")?,
            }
        }
        OutputFormat::Csv => {
            let options = FormatOptions::default().with_null("");
            let mut line = String::new();
            let mut header = true;
            while let Some(batch) = next() {
                let batch = batch?;
                if std::mem::take(&mut header) {
                    let names: Vec<String> = batch
                        .schema()
                        .fields()
                        .iter()
                        .map(|f| csv_cell(f.name()).into_owned())
                        .collect();
                    writeln!(out, "{}", names.join(","))?;
                }
                let formatters = formatters(&batch, &options)?;
                for row in 0..batch.num_rows() {
                    line.clear();
                    for (i, f) in formatters.iter().enumerate() {
                        if i > 0 {
                            line.push(',');
                        }
                        line.push_str(&csv_cell(&f.value(row).to_string()));
                    }
                    line.push('\n');
                    out.write_all(line.as_bytes())?;
                }
            }
        }
        OutputFormat::Json | OutputFormat::Ndjson => {
            let mut rows = if format == OutputFormat::Json {
                lake_query::json::RowWriter::array()
            } else {
                lake_query::json::RowWriter::lines()
            };
            // A few batches at a time, encoded on every core.
            let window = 2 * std::thread::available_parallelism().map_or(1, |n| n.get());
            let mut pending = Vec::with_capacity(window);
            while let Some(batch) = next() {
                pending.push(batch?);
                if pending.len() == window {
                    rows.write(out, &pending)?;
                    pending.clear();
                }
            }
            rows.write(out, &pending)?;
            rows.finish(out)?;
        }
    }
    Ok(())
}

fn text_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = formatters(batch, &options)?;
        for row in 0..batch.num_rows() {
            rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    Ok(rows)
}

/// A display formatter per column of `batch`.
fn formatters<'a>(
    batch: &'a RecordBatch,
    options: &'a FormatOptions<'a>,
) -> Result<Vec<ArrayFormatter<'a>>> {
    Ok(batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), options))
        .collect::<Result<Vec<_>, _>>()?)
}

fn csv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}
