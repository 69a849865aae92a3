//! Query results as a terminal table, CSV, a JSON array of row objects, or NDJSON.

use std::io::Write;

use anyhow::Result;
use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::Value;

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
        OutputFormat::Table | OutputFormat::Csv => {
            let rows = text_rows(batches)?;
            if format == OutputFormat::Table {
                let right: Vec<usize> = schema
                    .fields()
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| f.data_type().is_numeric())
                    .map(|(i, _)| i)
                    .collect();
                table::write(out, &names, &rows, &right)?;
                writeln!(out, "({} rows)", rows.len())?;
            } else {
                writeln!(
                    out,
                    "{}",
                    names
                        .iter()
                        .map(|n| csv_cell(n))
                        .collect::<Vec<_>>()
                        .join(",")
                )?;
                for row in rows {
                    writeln!(
                        out,
                        "{}",
                        row.iter()
                            .map(|c| csv_cell(c))
                            .collect::<Vec<_>>()
                            .join(",")
                    )?;
                }
            }
        }
        OutputFormat::Json | OutputFormat::Ndjson => {
            let objects = lake_query::json::rows(batches);
            if format == OutputFormat::Json {
                serde_json::to_writer_pretty(&mut *out, &Value::Array(objects))?;
                writeln!(out)?;
            } else {
                for o in objects {
                    writeln!(out, "{o}")?;
                }
            }
        }
    }
    Ok(())
}

fn text_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default().with_null("");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
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

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
