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
    let Some(schema) = batches.first().map(|b| b.schema()) else {
        match format {
            OutputFormat::Json => writeln!(out, "[]")?,
            OutputFormat::Table => writeln!(out, "(no rows)")?,
            OutputFormat::Csv | OutputFormat::Ndjson => {}
        }
        return Ok(());
    };
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    match format {
        OutputFormat::Table => {
            let rows = text_rows(batches)?;
            let right: Vec<usize> = schema
                .fields()
                .iter()
                .enumerate()
                .filter(|(_, f)| f.data_type().is_numeric())
                .map(|(i, _)| i)
                .collect();
            table::write(out, &names, &rows, &right)?;
            writeln!(out, "({} rows)", rows.len())?;
        }
        // CSV and JSON stream row by row: a year-long diff is hundreds of MB of text.
        OutputFormat::Csv => {
            let header: Vec<String> = names.iter().map(|n| csv_cell(n).into_owned()).collect();
            writeln!(out, "{}", header.join(","))?;
            let options = FormatOptions::default().with_null("");
            let mut line = String::new();
            for batch in batches {
                let formatters = formatters(batch, &options)?;
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
        OutputFormat::Json => lake_query::json::write_array(out, batches)?,
        OutputFormat::Ndjson => lake_query::json::write_lines(out, batches)?,
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
