//! A view computed at most once per session: [`Materialized`].
//!
//! DataFusion plans a view inline wherever it is read, so a view that several others read
//! (the week's observations: `finding_changes` looks at them from both sides of a pair, for
//! cells, regions and checks) would be computed once per reference, each time scanning the
//! weeks' findings. A query scoped to a few weeks registers such views as `Materialized`
//! instead: the first scan runs the view's plan and keeps its rows (a few per scan and
//! check, never the findings themselves); every later scan in the session reads those rows.
//! A query that never reads the view never computes it.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::DataFrame;
use tokio::sync::OnceCell;

/// The rows of a view, computed on the first scan.
#[derive(Debug)]
pub(crate) struct Materialized {
    name: String,
    plan: DataFrame,
    schema: SchemaRef,
    rows: OnceCell<Arc<MemTable>>,
}

impl Materialized {
    /// The view `name`, whose plan is `plan`.
    pub(crate) fn new(name: &str, plan: DataFrame) -> Self {
        let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
        Materialized {
            name: name.to_owned(),
            plan,
            schema,
            rows: OnceCell::new(),
        }
    }

    async fn rows(&self) -> Result<&Arc<MemTable>> {
        self.rows
            .get_or_try_init(|| async {
                let started = std::time::Instant::now();
                let batches = self
                    .plan
                    .clone()
                    .collect()
                    .await?
                    .into_iter()
                    // The rows as planned (an executed plan can differ from its logical
                    // schema in field metadata only).
                    .map(|b| RecordBatch::try_new(self.schema.clone(), b.columns().to_vec()))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                tracing::debug!(
                    view = %self.name,
                    rows = batches.iter().map(RecordBatch::num_rows).sum::<usize>(),
                    ms = started.elapsed().as_millis() as u64,
                    "materialized"
                );
                Ok(Arc::new(MemTable::try_new(
                    self.schema.clone(),
                    vec![batches],
                )?))
            })
            .await
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
        self.rows()
            .await?
            .scan(state, projection, filters, limit)
            .await
    }
}
