//! Query results as a terminal table, CSV, a JSON array of row objects, or NDJSON.

use std::io::Write;

use anyhow::Result;
use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Map, Value};

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
            let mut objects = Vec::new();
            for batch in batches {
                for row in 0..batch.num_rows() {
                    let mut m = Map::new();
                    for (i, name) in names.iter().enumerate() {
                        m.insert((*name).to_owned(), json_value(batch.column(i), row));
                    }
                    objects.push(Value::Object(m));
                }
            }
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

/// One cell as JSON: numbers, booleans, strings, lists, structs and maps as themselves;
/// timestamps as RFC 3339 text; anything else as its display text.
pub fn json_value(array: &ArrayRef, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    match array.data_type() {
        DataType::Boolean => array.as_boolean().value(row).into(),
        DataType::Int32 => array.as_primitive::<Int32Type>().value(row).into(),
        DataType::Int64 => array.as_primitive::<Int64Type>().value(row).into(),
        DataType::Float64 => array
            .as_primitive::<arrow::datatypes::Float64Type>()
            .value(row)
            .into(),
        DataType::Utf8 => array.as_string::<i32>().value(row).into(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(row).into(),
        DataType::Utf8View => array.as_string_view().value(row).into(),
        DataType::List(_) => {
            let values = array.as_list::<i32>().value(row);
            Value::Array((0..values.len()).map(|i| json_value(&values, i)).collect())
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut m = Map::new();
            for (i, f) in fields.iter().enumerate() {
                m.insert(f.name().clone(), json_value(s.column(i), row));
            }
            Value::Object(m)
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let mut m = Map::new();
            for i in 0..entries.len() {
                let key = json_value(entries.column(0), i);
                let key = key.as_str().map_or_else(|| key.to_string(), str::to_owned);
                m.insert(key, json_value(entries.column(1), i));
            }
            Value::Object(m)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let v = array
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>()
                .value(row);
            chrono::DateTime::from_timestamp_micros(v).map_or(Value::Null, |t| {
                t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                    .into()
            })
        }
        _ => ArrayFormatter::try_new(array.as_ref(), &FormatOptions::default())
            .map(|f| Value::from(f.value(row).to_string()))
            .unwrap_or(Value::Null),
    }
}
