//! Query results as JSON: one object per row keyed by column name, for the CLI's `json` and
//! `ndjson` formats and for the files the Lambda writes.

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Map, Value};

/// Every row of `batches` as a JSON object keyed by column name, in order.
pub fn rows(batches: &[RecordBatch]) -> Vec<Value> {
    let mut objects = Vec::new();
    for batch in batches {
        let schema = batch.schema();
        for row in 0..batch.num_rows() {
            let mut m = Map::new();
            for (i, field) in schema.fields().iter().enumerate() {
                m.insert(field.name().clone(), json_value(batch.column(i), row));
            }
            objects.push(Value::Object(m));
        }
    }
    objects
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
