//! `scan_cells` and `repeated_keys` of a query scoped to some partitions, read from the cells
//! ingest stored beside each findings file ([`lake_store::observed`]) instead of grouping
//! every finding of those partitions.
//!
//! `queries/views.sql` defines both views over `findings`; other engines (and `lake` for
//! ad-hoc SQL over the whole lake) compute them that way. For a query over whole weeks
//! (diff, posture, trend, summary, the report) the stored cells give `scan_cells` in a few
//! hundred rows per scan, and say which files wrote a key twice: `repeated_keys` reads only
//! those (usually none) rather than the finding keys of every file. The query tests check
//! both ways give the same changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::{BinaryExpr, Operator, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::scalar::ScalarValue;
use lake_store::layout::dt_of;
use lake_store::observed::{cells_among, cells_table_schema, repeated_keys_schema, Cells};
use lake_store::read::FindingsFiles;
use lake_store::Location;
use tokio::sync::OnceCell;

/// The cells of some checks, read once by whichever scan comes first.
type Reading = Arc<OnceCell<Arc<Cells>>>;

/// The stored cells of the findings files of some partitions, read on first use.
#[derive(Debug)]
pub(crate) struct Observed {
    location: Location,
    files: FindingsFiles,
    dts: Vec<String>,
    /// The usable compacted copies (dt, cover), whose stored cells stand for their files'.
    copies: Vec<(String, String)>,
    /// The cells read, by the checks they were read for (none: all).
    cells: Mutex<HashMap<Option<Vec<String>>, Reading>>,
    repeated: OnceCell<Arc<MemTable>>,
}

fn external(e: lake_store::StoreError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl Observed {
    /// The cells of the findings files in partitions `dts` of the lake at
    /// `location`, whose files `files` lists and whose usable compacted copies are `copies`.
    pub(crate) fn new(
        location: Location,
        files: FindingsFiles,
        mut dts: Vec<String>,
        copies: &[(String, String)],
    ) -> Arc<Self> {
        dts.sort_unstable();
        let copies = copies
            .iter()
            .filter(|(dt, _)| dts.binary_search(dt).is_ok())
            .cloned()
            .collect();
        Arc::new(Observed {
            location,
            files,
            dts,
            copies,
            cells: Mutex::new(HashMap::new()),
            repeated: OnceCell::new(),
        })
    }

    /// The cells of `checks` (none: of every check), read once per set of checks: each
    /// statement's scans of `scan_cells` share them.
    async fn cells(&self, checks: Option<Vec<String>>) -> Result<Arc<Cells>> {
        let once = self
            .cells
            .lock()
            .expect("the cells' lock")
            .entry(checks.clone())
            .or_default()
            .clone();
        once.get_or_try_init(|| async {
            let started = std::time::Instant::now();
            let listed = self.files.get(&self.location).await.map_err(external)?;
            let files: Vec<_> = listed
                .iter()
                .filter(|m| {
                    dt_of(m.location.as_ref())
                        .is_some_and(|dt| self.dts.binary_search_by(|d| d.as_str().cmp(dt)).is_ok())
                })
                .cloned()
                .collect();
            let cells = cells_among(&self.location, &files, &self.copies, checks.as_deref())
                .await
                .map_err(external)?;
            tracing::debug!(
                files = files.len(),
                checks = checks.as_ref().map(Vec::len),
                counted = cells.counted,
                repeating = cells.repeating.len(),
                ms = started.elapsed().as_millis() as u64,
                "observed cells"
            );
            Ok(Arc::new(cells))
        })
        .await
        .cloned()
    }

    /// `checks`: as for [`Observed::cells`] (whatever the checks, the cells name every file
    /// that repeats a key).
    async fn repeated(&self, checks: Option<Vec<String>>) -> Result<&Arc<MemTable>> {
        self.repeated
            .get_or_try_init(|| async {
                let repeating = &self.cells(checks).await?.repeating;
                let batch = lake_store::observed::repeated_keys(&self.location, repeating)
                    .await
                    .map_err(external)?;
                Ok(Arc::new(MemTable::try_new(
                    repeated_keys_schema(),
                    vec![vec![batch]],
                )?))
            })
            .await
    }

    /// The table `scan_cells`.
    pub(crate) fn scan_cells(self: &Arc<Self>) -> Arc<dyn TableProvider> {
        // The view's columns: the stored ones but `repeated`.
        let all = cells_table_schema();
        let keep: Vec<usize> = (0..all.fields().len())
            .filter(|&i| all.field(i).name() != "repeated")
            .collect();
        let schema = Arc::new(all.project(&keep).expect("columns of the cells schema"));
        Arc::new(Part {
            observed: self.clone(),
            which: Which::Cells(keep),
            schema,
        })
    }

    /// The table `repeated_keys`.
    pub(crate) fn repeated_keys(self: &Arc<Self>) -> Arc<dyn TableProvider> {
        Arc::new(Part {
            observed: self.clone(),
            which: Which::Repeated,
            schema: repeated_keys_schema(),
        })
    }
}

#[derive(Debug)]
enum Which {
    /// `scan_cells`: these columns of the stored cells.
    Cells(Vec<usize>),
    Repeated,
}

/// One of the two tables of an [`Observed`].
#[derive(Debug)]
struct Part {
    observed: Arc<Observed>,
    which: Which,
    schema: SchemaRef,
}

#[async_trait]
impl TableProvider for Part {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    /// A filter on the checks (lookback's) is taken to read those checks' cells alone; the
    /// plan still applies it (inexact).
    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(filters
            .iter()
            .map(|f| match checks_of(f) {
                Some(_) => TableProviderFilterPushDown::Inexact,
                None => TableProviderFilterPushDown::Unsupported,
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let checks = filters.iter().find_map(checks_of);
        let table = match &self.which {
            Which::Cells(keep) => {
                let batches = self
                    .observed
                    .cells(checks)
                    .await?
                    .batches
                    .iter()
                    .map(|b| b.project(keep))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Arc::new(MemTable::try_new(self.schema.clone(), vec![batches])?)
            }
            Which::Repeated => self.observed.repeated(checks).await?.clone(),
        };
        table.scan(state, projection, filters, limit).await
    }
}

/// The checks a filter keeps: `check_id = 'x'`, `'x' = check_id` or `check_id IN (...)`
/// over string literals; none for any other filter.
fn checks_of(filter: &Expr) -> Option<Vec<String>> {
    let is_check = |e: &Expr| matches!(e, Expr::Column(c) if c.name == "check_id");
    let text = |e: &Expr| match e {
        Expr::Literal(ScalarValue::Utf8(Some(s)), _) => Some(s.clone()),
        _ => None,
    };
    match filter {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => {
            if is_check(left) {
                text(right).map(|c| vec![c])
            } else if is_check(right) {
                text(left).map(|c| vec![c])
            } else {
                None
            }
        }
        Expr::InList(InList {
            expr,
            list,
            negated: false,
        }) if is_check(expr) => {
            let mut checks: Vec<String> = list.iter().map(text).collect::<Option<_>>()?;
            checks.sort_unstable();
            checks.dedup();
            Some(checks)
        }
        _ => None,
    }
}
