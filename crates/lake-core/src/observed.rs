//! What one findings file observed: its findings counted per cell, the rows of the lake's
//! `scan_cells` (see `queries/views.sql`), computed while the file is written.
//!
//! Every query that compares weeks starts from what each scan observed: per (provider,
//! account, region, check, service), how many findings it reported. In SQL that is a
//! `GROUP BY` over every finding of the weeks compared (a million rows for a week of a
//! 100-account organisation), and telling which scans wrote a finding key twice is another
//! (`repeated_keys`). [`CellCounter`] answers both in one pass over the batches as they are
//! written, so ingest stores the few hundred rows per scan beside the findings and queries
//! read those instead. The same counter recounts a findings file whose stored cells are
//! missing or stale, so the answer never depends on the cache.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, LazyLock};

use arrow::array::{Array, AsArray, Int64Builder, RecordBatch, StringArray, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;

/// The columns of a findings batch the counter reads.
pub const COUNTED_COLUMNS: [&str; 8] = [
    "source_uri",
    "run_id",
    "provider",
    "account_uid",
    "region",
    "check_id",
    "service",
    "finding_key",
];

/// The stored cells of one findings file: one row per (source, run, provider, account,
/// region, check, service; a null service counted as empty) with `findings`, the rows of the file in that cell, and
/// `repeated`, how many of those repeat a finding key written earlier in the file.
pub fn cells_schema() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        Arc::new(Schema::new(vec![
            Field::new("source_uri", DataType::Utf8, false),
            Field::new("run_id", DataType::Utf8, false),
            Field::new("provider", DataType::Utf8, false),
            Field::new("account_uid", DataType::Utf8, false),
            Field::new("region", DataType::Utf8, false),
            Field::new("check_id", DataType::Utf8, false),
            Field::new("service", DataType::Utf8, false),
            Field::new("findings", DataType::Int64, false),
            Field::new("repeated", DataType::Int64, false),
        ]))
    });
    S.clone()
}

#[derive(Debug)]
struct Cell {
    text: [String; 7],
    findings: i64,
    repeated: i64,
}

/// Counts the findings of one file per cell, and the finding keys it repeats.
#[derive(Debug, Default)]
pub struct CellCounter {
    cells: Vec<Cell>,
    index: HashMap<String, usize>,
    keys: HashSet<u64>,
    rows: i64,
    key: String,
}

fn strings<'a>(batch: &'a RecordBatch, name: &str) -> Result<&'a StringArray, ArrowError> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| ArrowError::SchemaError(format!("findings batch without {name} (utf8)")))
}

/// The value of `a` at `row`, empty when null.
fn text_at(a: &StringArray, row: usize) -> &str {
    if a.is_null(row) {
        ""
    } else {
        a.value(row)
    }
}

impl CellCounter {
    /// An empty counter.
    pub fn new() -> Self {
        CellCounter::default()
    }

    /// Counts the rows of `batch` (findings, or any batch with [`COUNTED_COLUMNS`]).
    pub fn absorb(&mut self, batch: &RecordBatch) -> Result<(), ArrowError> {
        let cols: Vec<&StringArray> = COUNTED_COLUMNS
            .iter()
            .map(|n| strings(batch, n))
            .collect::<Result<_, _>>()?;
        let [source, run, provider, account, region, check, service, key] = cols[..] else {
            unreachable!("eight columns")
        };
        for row in 0..batch.num_rows() {
            let text = |a| text_at(a, row);
            self.key.clear();
            for part in [source, run, provider, account, region, check, service] {
                self.key.push_str(text(part));
                self.key.push('\u{1f}');
            }
            let at = match self.index.get(self.key.as_str()) {
                Some(&at) => at,
                None => {
                    self.cells.push(Cell {
                        text: [source, run, provider, account, region, check, service]
                            .map(|a| text(a).to_owned()),
                        findings: 0,
                        repeated: 0,
                    });
                    self.index.insert(self.key.clone(), self.cells.len() - 1);
                    self.cells.len() - 1
                }
            };
            let cell = &mut self.cells[at];
            cell.findings += 1;
            let mut h = DefaultHasher::new();
            text(key).hash(&mut h);
            if !self.keys.insert(h.finish()) {
                // A 64-bit digest: a collision only sends the file down the exact path.
                cell.repeated += 1;
            }
        }
        self.rows += batch.num_rows() as i64;
        Ok(())
    }

    /// Rows counted so far.
    pub fn rows(&self) -> i64 {
        self.rows
    }

    /// The cells counted, in the order first seen, as one batch of [`cells_schema`].
    pub fn finish(self) -> Result<RecordBatch, ArrowError> {
        let n = self.cells.len();
        let mut text: Vec<StringBuilder> = (0..7)
            .map(|_| StringBuilder::with_capacity(n, n * 16))
            .collect();
        let mut findings = Int64Builder::with_capacity(n);
        let mut repeated = Int64Builder::with_capacity(n);
        for cell in &self.cells {
            for (b, v) in text.iter_mut().zip(&cell.text) {
                b.append_value(v);
            }
            findings.append_value(cell.findings);
            repeated.append_value(cell.repeated);
        }
        let mut columns: Vec<Arc<dyn Array>> = text
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as Arc<dyn Array>)
            .collect();
        columns.push(Arc::new(findings.finish()));
        columns.push(Arc::new(repeated.finish()));
        RecordBatch::try_new(cells_schema(), columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(rows: &[(&str, &str, Option<&str>, &str)]) -> RecordBatch {
        // (region, check, service, finding_key) of one source and account.
        let n = rows.len();
        let constant = |v: &str| Arc::new(StringArray::from(vec![v; n])) as Arc<dyn Array>;
        let schema = Arc::new(Schema::new(
            COUNTED_COLUMNS
                .iter()
                .map(|c| Field::new(*c, DataType::Utf8, *c == "service"))
                .collect::<Vec<_>>(),
        ));
        RecordBatch::try_new(
            schema,
            vec![
                constant("s3://scans/a.ocsf.json"),
                constant("run-1"),
                constant("aws"),
                constant("111122223333"),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.0))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.1))),
                Arc::new(StringArray::from_iter(rows.iter().map(|r| r.2))),
                Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r.3))),
            ],
        )
        .unwrap()
    }

    fn cells(counter: CellCounter) -> Vec<(String, String, String, i64, i64)> {
        let b = counter.finish().unwrap();
        let s = |name: &str| b.column_by_name(name).unwrap().as_string::<i32>().clone();
        let i = |name: &str| {
            b.column_by_name(name)
                .unwrap()
                .as_primitive::<arrow::datatypes::Int64Type>()
                .clone()
        };
        let (region, check, service, findings, repeated) = (
            s("region"),
            s("check_id"),
            s("service"),
            i("findings"),
            i("repeated"),
        );
        (0..b.num_rows())
            .map(|r| {
                (
                    region.value(r).to_owned(),
                    check.value(r).to_owned(),
                    service.value(r).to_owned(),
                    findings.value(r),
                    repeated.value(r),
                )
            })
            .collect()
    }

    #[test]
    fn counts_findings_per_cell_across_batches_in_first_seen_order() {
        let mut c = CellCounter::new();
        c.absorb(&batch(&[
            ("us-east-1", "ec2_a", Some("ec2"), "k1"),
            ("eu-west-1", "ec2_a", Some("ec2"), "k2"),
            ("us-east-1", "ec2_a", Some("ec2"), "k3"),
        ]))
        .unwrap();
        c.absorb(&batch(&[
            ("us-east-1", "iam_b", None, "k4"),
            ("us-east-1", "ec2_a", Some("ec2"), "k5"),
        ]))
        .unwrap();
        assert_eq!(c.rows(), 5);
        assert_eq!(
            cells(c),
            vec![
                ("us-east-1".into(), "ec2_a".into(), "ec2".into(), 3, 0),
                ("eu-west-1".into(), "ec2_a".into(), "ec2".into(), 1, 0),
                ("us-east-1".into(), "iam_b".into(), String::new(), 1, 0),
            ]
        );
    }

    #[test]
    fn a_key_written_again_is_counted_as_repeated_in_its_cell_even_in_a_later_batch() {
        let mut c = CellCounter::new();
        c.absorb(&batch(&[
            ("us-east-1", "s3_a", Some("s3"), "k1"),
            ("us-east-1", "s3_a", Some("s3"), "k2"),
        ]))
        .unwrap();
        c.absorb(&batch(&[
            ("us-east-1", "s3_a", Some("s3"), "k1"),
            ("us-east-1", "s3_a", Some("s3"), "k1"),
        ]))
        .unwrap();
        assert_eq!(
            cells(c),
            vec![("us-east-1".into(), "s3_a".into(), "s3".into(), 4, 2)]
        );
    }

    #[test]
    fn a_null_service_is_counted_as_an_empty_one() {
        let mut c = CellCounter::new();
        c.absorb(&batch(&[
            ("r", "c", None, "k1"),
            ("r", "c", Some(""), "k2"),
        ]))
        .unwrap();
        assert_eq!(
            cells(c),
            vec![("r".into(), "c".into(), String::new(), 2, 0)]
        );
    }

    #[test]
    fn a_batch_without_the_counted_columns_is_an_error_that_names_the_column() {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "source_uri",
            DataType::Utf8,
            false,
        )]));
        let b = RecordBatch::try_new(schema, vec![Arc::new(StringArray::from(vec!["x"]))]).unwrap();
        let e = CellCounter::new().absorb(&b).unwrap_err().to_string();
        assert!(e.contains("run_id"), "{e}");
    }
}
