//! A view computed at most once per session: [`Materialized`].
//!
//! DataFusion plans a view inline wherever it is read, so a view that several others read
//! (the week's observations: `finding_changes` looks at them from both sides of a pair, for
//! cells, regions and checks) would be computed once per reference, each time scanning the
//! weeks' findings. A query scoped to a few weeks registers such views as `Materialized`
//! instead: the first scan runs the view's plan and keeps its rows (a few per scan and
//! check, never the findings themselves); every later scan in the session reads those rows.
//! A query that never reads the view never computes it.
//!
//! A view of wide rows (the week's failing findings with their text, see `failing_now`) is
//! materialized [`Materialized::by_columns`]: with the columns its readers ask for only (the
//! summary reads no text), each set of columns computed once; a reader whose columns an
//! earlier computation holds reuses it (in `finding_changes` the reader planned first needs
//! every column the other does, so one computation serves both).
//!
//! It keeps the view's logical plan, not a `DataFrame`: a `DataFrame` holds its session's
//! state, whose catalog holds this table, and that cycle of `Arc`s kept every session's
//! materialized rows alive for as long as the process (a process that classifies many
//! weeks, `lake compact` storing each week's changes, grew by ~400 MB per week). The plan
//! runs in the state of the session that scans it.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::Result;
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::DataFrame;
use tokio::sync::{Mutex, OnceCell};

/// The rows of a view, computed on the first scan.
#[derive(Debug)]
pub(crate) struct Materialized {
    name: String,
    plan: LogicalPlan,
    schema: SchemaRef,
    rows: OnceCell<Arc<MemTable>>,
    /// Computed per set of columns rather than whole (see [`Materialized::by_columns`]).
    by_columns: bool,
    /// The column sets computed so far (indices into `schema`, ascending) and their rows.
    projected: Mutex<Vec<(Vec<usize>, Arc<MemTable>)>>,
}

impl Materialized {
    /// The view `name`, whose plan is `plan`.
    pub(crate) fn new(name: &str, plan: DataFrame) -> Self {
        let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
        Materialized {
            name: name.to_owned(),
            plan: plan.logical_plan().clone(),
            schema,
            rows: OnceCell::new(),
            by_columns: false,
            projected: Mutex::new(Vec::new()),
        }
    }

    /// The view `name`, whose plan is `plan`, computed with the columns its readers read
    /// rather than whole.
    pub(crate) fn by_columns(name: &str, plan: DataFrame) -> Self {
        Materialized {
            by_columns: true,
            ..Materialized::new(name, plan)
        }
    }

    /// Rows holding at least the columns `wanted` (indices into the schema, ascending), and
    /// where each of them is among the rows' columns.
    async fn rows_with(
        &self,
        state: &SessionState,
        wanted: &[usize],
    ) -> Result<(Arc<MemTable>, Vec<usize>)> {
        let mut projected = self.projected.lock().await;
        let at = |columns: &[usize]| -> Option<Vec<usize>> {
            wanted
                .iter()
                .map(|w| columns.iter().position(|c| c == w))
                .collect()
        };
        if let Some(found) = projected
            .iter()
            .find_map(|(columns, rows)| at(columns).map(|at| (rows.clone(), at)))
        {
            return Ok(found);
        }
        let names: Vec<&str> = wanted
            .iter()
            .map(|&i| self.schema.field(i).name().as_str())
            .collect();
        let schema: SchemaRef = Arc::new(self.schema.project(wanted)?);
        let rows = self
            .collect(self.frame(state).select_columns(&names)?, &schema)
            .await?;
        projected.push((wanted.to_vec(), rows.clone()));
        let at = (0..wanted.len()).collect();
        Ok((rows, at))
    }

    /// Runs `plan`, whose rows have `schema`.
    async fn collect(&self, plan: DataFrame, schema: &SchemaRef) -> Result<Arc<MemTable>> {
        let started = std::time::Instant::now();
        let batches = plan
            .collect()
            .await?
            .into_iter()
            // The rows as planned (an executed plan can differ from its logical schema in
            // field metadata only).
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        tracing::debug!(
            view = %self.name,
            rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
            columns = schema.fields().len(),
            ms = started.elapsed().as_millis() as u64,
            "materialized"
        );
        Ok(Arc::new(MemTable::try_new(schema.clone(), vec![batches])?))
    }

    async fn rows(&self, state: &SessionState) -> Result<&Arc<MemTable>> {
        self.rows
            .get_or_try_init(|| self.collect(self.frame(state), &self.schema))
            .await
    }

    /// The view's plan in `state`.
    fn frame(&self, state: &SessionState) -> DataFrame {
        DataFrame::new(state.clone(), self.plan.clone())
    }
}

#[async_trait]
impl TableProvider for Materialized {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::View
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let session = session_state(state, &self.name)?;
        if self.by_columns {
            // The columns read, ascending, each once.
            let mut wanted: Vec<usize> = match projection {
                Some(p) => p.clone(),
                None => (0..self.schema.fields().len()).collect(),
            };
            wanted.sort_unstable();
            wanted.dedup();
            let (rows, at) = self.rows_with(session, &wanted).await?;
            // `projection` (or every column, in order) in terms of the rows' columns: each
            // read column is `wanted[i]`, found at `at[i]`.
            let order = projection.cloned().unwrap_or_else(|| wanted.clone());
            let mapped: Vec<usize> = order
                .iter()
                .filter_map(|c| wanted.binary_search(c).ok().map(|i| at[i]))
                .collect();
            return rows.scan(state, Some(&mapped), filters, limit).await;
        }
        self.rows(session)
            .await?
            .scan(state, projection, filters, limit)
            .await
    }
}

/// The state of the session scanning the table `name` (what a view's plan runs in).
pub(crate) fn session_state<'a>(state: &'a dyn Session, name: &str) -> Result<&'a SessionState> {
    state
        .as_any()
        .downcast_ref::<SessionState>()
        .ok_or_else(|| {
            datafusion::error::DataFusionError::Internal(format!(
                "the view {name} is scanned outside a session"
            ))
        })
}
