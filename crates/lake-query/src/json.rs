//! Query results as JSON: one object per row keyed by column name, for the CLI's `json` and
//! `ndjson` formats and for the files the Lambda writes.

use std::io::Write;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::{Map, Value};

/// Writes every row of `batches` as a JSON array of row objects (one compact object per
/// line, keyed by column name).
pub fn write_array(out: &mut dyn Write, batches: &[RecordBatch]) -> std::io::Result<()> {
    let mut rows = RowWriter::array();
    rows.write(out, batches)?;
    rows.finish(out)
}

/// Writes every row of `batches` as one JSON object per line (NDJSON).
pub fn write_lines(out: &mut dyn Write, batches: &[RecordBatch]) -> std::io::Result<()> {
    let mut rows = RowWriter::lines();
    rows.write(out, batches)?;
    rows.finish(out)
}

/// Rows written as JSON batch by batch, as a query's stream yields them: a JSON array of
/// row objects ([`RowWriter::array`]) or one object per line ([`RowWriter::lines`]).
#[derive(Debug)]
pub struct RowWriter {
    array: bool,
    /// Whether no row was written yet.
    first: bool,
}

impl RowWriter {
    /// A JSON array of row objects, one compact object per line.
    pub fn array() -> Self {
        RowWriter {
            array: true,
            first: true,
        }
    }

    /// One JSON object per line (NDJSON).
    pub fn lines() -> Self {
        RowWriter {
            array: false,
            first: true,
        }
    }

    /// Writes the rows of `batches` (encoded on as many threads as there are cores when
    /// there are several batches).
    pub fn write(&mut self, out: &mut dyn Write, batches: &[RecordBatch]) -> std::io::Result<()> {
        if !self.array {
            return write_encoded(out, batches, b"", b"\n", |out, encoded| {
                out.write_all(encoded)
            });
        }
        // Every row is encoded after ",\n"; the first row of the array drops the comma and
        // writes the array's opening instead.
        let first = &mut self.first;
        write_encoded(out, batches, b",\n", b"", |out, encoded| {
            if std::mem::take(first) {
                out.write_all(b"[\n")?;
                out.write_all(&encoded[2..])
            } else {
                out.write_all(encoded)
            }
        })
    }

    /// Ends the output (closes the array; `[]` when there was no row).
    pub fn finish(self, out: &mut dyn Write) -> std::io::Result<()> {
        match (self.array, self.first) {
            (true, true) => out.write_all(b"[]\n"),
            (true, false) => out.write_all(b"\n]\n"),
            (false, _) => Ok(()),
        }
    }
}

/// A JSON document pretty-printed down to `depth` levels of nesting, every deeper object or
/// array on one line: the summary inputs are read by people and sent as a prompt, and one
/// line per sample finding reads well and costs a third of full indentation.
pub fn to_string_shallow(value: &Value, depth: usize) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Shallow::new(depth));
    // Serializing a `Value` into memory cannot fail.
    let _ = serde::Serialize::serialize(value, &mut ser);
    let mut text = String::from_utf8(out).unwrap_or_default();
    text.push('\n');
    text
}

/// serde_json's pretty formatter, flattened below a depth.
struct Shallow {
    depth: usize,
    level: usize,
    has_value: bool,
}

impl Shallow {
    fn new(depth: usize) -> Self {
        Shallow {
            depth,
            level: 0,
            has_value: false,
        }
    }

    /// Whether the containers now open are laid out over several lines.
    fn pretty(&self) -> bool {
        self.level <= self.depth
    }

    fn indent<W: ?Sized + Write>(w: &mut W, level: usize) -> std::io::Result<()> {
        for _ in 0..level {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, c: &[u8]) -> std::io::Result<()> {
        let pretty = self.pretty();
        if self.has_value && pretty {
            w.write_all(b"\n")?;
            Self::indent(w, self.level - 1)?;
        }
        self.level -= 1;
        self.has_value = true;
        w.write_all(c)
    }

    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> std::io::Result<()> {
        if !first {
            w.write_all(if self.pretty() {
                b",".as_slice()
            } else {
                b", "
            })?;
        }
        if self.pretty() {
            w.write_all(b"\n")?;
            Self::indent(w, self.level)?;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Shallow {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.item(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Encodes the rows of `batches`, each between `before` and `after`, and hands the encoded
/// text of each batch to `emit`, in order. Batches are encoded on as many threads as there
/// are cores, a few at a time: the output of a diff is hundreds of thousands of rows, whose
/// encoding would otherwise run on one core after the query, and memory stays bounded by a
/// few batches of text.
fn write_encoded(
    out: &mut dyn Write,
    batches: &[RecordBatch],
    before: &[u8],
    after: &[u8],
    mut emit: impl FnMut(&mut dyn Write, &[u8]) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let encode = |batch: &RecordBatch| {
        let keys = encoded_keys(batch);
        let mut buf = Vec::with_capacity(batch.get_array_memory_size());
        for row in 0..batch.num_rows() {
            buf.extend_from_slice(before);
            encode_row(&mut buf, &keys, batch, row);
            buf.extend_from_slice(after);
        }
        buf
    };
    for window in batches.chunks(threads * 2) {
        let encoded: Vec<Vec<u8>> = if threads == 1 || window.len() == 1 {
            window.iter().map(encode).collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = window
                    .iter()
                    .map(|batch| scope.spawn(move || encode(batch)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        for (batch, text) in window.iter().zip(&encoded) {
            if batch.num_rows() > 0 {
                emit(out, text)?;
            }
        }
    }
    Ok(())
}

/// `"name":` for each column of `batch`, encoded once per batch rather than once per row.
fn encoded_keys(batch: &RecordBatch) -> Vec<Vec<u8>> {
    batch
        .schema_ref()
        .fields()
        .iter()
        .map(|f| {
            let mut key = Vec::new();
            write_str(&mut key, f.name());
            key.push(b':');
            key
        })
        .collect()
}

/// Encodes row `row` of `batch` as one compact JSON object keyed by column name (cells as
/// [`json_value`] gives them), straight from the arrays with no map per row.
fn encode_row(buf: &mut Vec<u8>, keys: &[Vec<u8>], batch: &RecordBatch, row: usize) {
    buf.push(b'{');
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(key);
        let array = batch.column(i);
        if array.is_null(row) {
            buf.extend_from_slice(b"null");
            continue;
        }
        // Writing to a Vec cannot fail: the results of `write!` are ignored.
        match array.data_type() {
            DataType::Utf8 => write_str(buf, array.as_string::<i32>().value(row)),
            DataType::Utf8View => write_str(buf, array.as_string_view().value(row)),
            DataType::Int64 => {
                let _ = write!(buf, "{}", array.as_primitive::<Int64Type>().value(row));
            }
            DataType::Int32 => {
                let _ = write!(buf, "{}", array.as_primitive::<Int32Type>().value(row));
            }
            DataType::Boolean => {
                let _ = write!(buf, "{}", array.as_boolean().value(row));
            }
            _ => {
                let _ = serde_json::to_writer(&mut *buf, &json_value(array, row));
            }
        }
    }
    buf.push(b'}');
}

/// Writes `s` as a JSON string, escaped as `serde_json` escapes it. Most text (ids, titles,
/// details) needs no escaping and is copied whole after one branch-free pass over it.
fn write_str(buf: &mut Vec<u8>, s: &str) {
    let plain = s.bytes().fold(true, |plain, b| {
        plain & (b >= 0x20) & (b != b'"') & (b != b'\\')
    });
    buf.push(b'"');
    if plain {
        buf.extend_from_slice(s.as_bytes());
    } else {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for &b in s.as_bytes() {
            match b {
                b'"' => buf.extend_from_slice(b"\\\""),
                b'\\' => buf.extend_from_slice(b"\\\\"),
                b'\n' => buf.extend_from_slice(b"\\n"),
                b'\r' => buf.extend_from_slice(b"\\r"),
                b'\t' => buf.extend_from_slice(b"\\t"),
                0x08 => buf.extend_from_slice(b"\\b"),
                0x0c => buf.extend_from_slice(b"\\f"),
                0..0x20 => {
                    buf.extend_from_slice(b"\\u00");
                    buf.push(HEX[usize::from(b >> 4)]);
                    buf.push(HEX[usize::from(b & 0xf)]);
                }
                _ => buf.push(b),
            }
        }
    }
    buf.push(b'"');
}

/// The text at `row` of a string column of any of Arrow's three layouts (the lake's tables
/// read strings as views; SQL results may hold either); `None` for a null or a column that
/// is not text.
pub fn text_at(array: &dyn Array, row: usize) -> Option<&str> {
    if array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => Some(array.as_string::<i64>().value(row)),
        DataType::Utf8View => Some(array.as_string_view().value(row)),
        _ => None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn batch(ids: &[i64]) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let names: StringArray = ids
            .iter()
            .map(|i| (i % 2 == 0).then(|| format!("n\"{i}")))
            .collect();
        RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(ids.to_vec())), Arc::new(names)],
        )
        .unwrap()
    }

    #[test]
    fn arrays_and_lines_hold_every_row_in_order_across_batches() {
        // More batches than one window of threads, some of them empty.
        let batches: Vec<RecordBatch> = (0..9)
            .map(|b| batch(&(0..(b % 3) * 2).map(|r| b * 10 + r).collect::<Vec<_>>()))
            .collect();
        let expected: Vec<Value> = batches
            .iter()
            .flat_map(|b| (0..b.num_rows()).map(move |r| (b, r)))
            .map(|(b, r)| {
                let id = b.column(0).as_primitive::<Int64Type>().value(r);
                let name = (id % 2 == 0).then(|| format!("n\"{id}"));
                serde_json::json!({"id": id, "name": name})
            })
            .collect();
        assert!(expected.len() > 10);

        let mut array = Vec::new();
        write_array(&mut array, &batches).unwrap();
        let parsed: Vec<Value> = serde_json::from_slice(&array).unwrap();
        assert_eq!(parsed, expected);
        assert_eq!(
            String::from_utf8(array.clone()).unwrap().lines().count(),
            expected.len() + 2,
            "one object per line between the brackets"
        );

        let mut lines = Vec::new();
        write_lines(&mut lines, &batches).unwrap();
        let parsed: Vec<Value> = String::from_utf8(lines.clone())
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(parsed, expected);

        let mut empty = Vec::new();
        write_array(&mut empty, &[batch(&[])]).unwrap();
        assert_eq!(empty, b"[]\n");

        // Written batch by batch, as a stream yields them, the bytes are the same.
        for (whole, mut rows) in [(&array, RowWriter::array()), (&lines, RowWriter::lines())] {
            let mut streamed = Vec::new();
            for b in &batches {
                rows.write(&mut streamed, std::slice::from_ref(b)).unwrap();
            }
            rows.finish(&mut streamed).unwrap();
            assert_eq!(&streamed, whole);
        }
    }

    #[test]
    fn strings_are_escaped_exactly_as_serde_json_escapes_them() {
        let cases = [
            "",
            "plain text",
            "arn:aws:iam::123456789012:role/x",
            "quote \" and backslash \\",
            "lines\nand\r\ttabs",
            "controls \u{0}\u{1}\u{8}\u{b}\u{c}\u{1f}\u{7f}",
            "unicode é ✓ 𝄞",
        ];
        for case in cases {
            let mut ours = Vec::new();
            write_str(&mut ours, case);
            let theirs = serde_json::to_vec(case).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap()
            );
        }
    }
}

#[cfg(test)]
mod shallow_tests {
    use super::*;

    #[test]
    fn nesting_below_the_depth_stays_on_one_line() {
        let v = serde_json::json!({"a": 1, "b": [{"x": 1, "y": [1, 2]}, {}], "c": {"d": {"e": 2}}, "e": []});
        assert_eq!(
            to_string_shallow(&v, 2),
            "{\n  \"a\": 1,\n  \"b\": [\n    {\"x\": 1, \"y\": [1, 2]},\n    {}\n  ],\n  \"c\": {\n    \"d\": {\"e\": 2}\n  },\n  \"e\": []\n}\n"
        );
        let back: Value = serde_json::from_str(&to_string_shallow(&v, 2)).unwrap_or_default();
        assert_eq!(back, v);
    }
}
