//! Query results as JSON: one object per row keyed by column name, for the CLI's `json` and
//! `ndjson` formats and for the files the Lambda writes.

use std::io::Write;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Map, Value};

/// Writes every row of `batches` as a JSON array of the objects [`write_row`] writes, one
/// per line.
pub fn write_array(out: &mut dyn Write, batches: &[RecordBatch]) -> std::io::Result<()> {
    out.write_all(b"[")?;
    let mut first = true;
    for batch in batches {
        for row in 0..batch.num_rows() {
            out.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            write_row(out, batch, row)?;
        }
    }
    out.write_all(if first { b"]\n" } else { b"\n]\n" })
}

/// Writes row `row` of `batch` as one compact JSON object keyed by column name (cells as
/// [`json_value`] gives them), written straight from the arrays with no map per row, so that
/// results of hundreds of thousands of rows stream out in constant memory.
pub fn write_row(out: &mut dyn Write, batch: &RecordBatch, row: usize) -> std::io::Result<()> {
    out.write_all(b"{")?;
    for (i, field) in batch.schema_ref().fields().iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        serde_json::to_writer(&mut *out, field.name())?;
        out.write_all(b":")?;
        let array = batch.column(i);
        if array.is_null(row) {
            out.write_all(b"null")?;
            continue;
        }
        match array.data_type() {
            DataType::Utf8 => {
                serde_json::to_writer(&mut *out, array.as_string::<i32>().value(row))?
            }
            DataType::Utf8View => {
                serde_json::to_writer(&mut *out, array.as_string_view().value(row))?
            }
            DataType::Int64 => write!(out, "{}", array.as_primitive::<Int64Type>().value(row))?,
            DataType::Int32 => write!(out, "{}", array.as_primitive::<Int32Type>().value(row))?,
            DataType::Boolean => write!(out, "{}", array.as_boolean().value(row))?,
            _ => serde_json::to_writer(&mut *out, &json_value(array, row))?,
        }
    }
    out.write_all(b"}")
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
