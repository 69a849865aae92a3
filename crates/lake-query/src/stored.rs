//! `finding_changes` and `pair_counts` read from the stored changes of their pairs:
//! [`StoredRows`].
//!
//! When every pair (week, against) a session classifies has stored changes computed under
//! the lake's current fingerprint (see [`lake_store::changes`]), the session registers one
//! of these tables in place of each view. Nothing is read until a statement scans it; the
//! first scan reads each pair's footer (the session's other statements share it), and each
//! scan fetches and decodes only the column chunks its statement reads (the summary's counts
//! read no text; trend reads three columns of twelve pairs), batch by batch. Should a stored
//! object have been replaced between the check and the scan (another process storing a newer
//! version of the lake: its chunks are fetched only from the version whose footer was
//! checked), the view computes the rows instead.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::common::DFSchema;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::physical_planning_context::PhysicalPlanningContext;
use datafusion::logical_expr::{Expr, LogicalPlan, SortExpr};
use datafusion::physical_expr::equivalence::project_ordering;
use datafusion::physical_expr::{create_physical_sort_exprs, LexOrdering};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::DataFrame;
use lake_store::changes::{Fetched, Fingerprint, Stored, StoredObject};
use lake_store::Location;
use tokio::sync::OnceCell;

use crate::materialized::session_state;

/// The rows of a stored view (`finding_changes`, `pair_counts`, `compliance_week`) for some
/// pairs, read from their stored changes: one partition per pair, decoded batch by batch
/// as the plan pulls them.
#[derive(Debug)]
pub(crate) struct StoredRows {
    location: Location,
    what: Stored,
    /// Each pair (week, against) and the fingerprint its stored changes were checked under.
    pairs: Vec<(String, String, Fingerprint)>,
    schema: SchemaRef,
    /// The order each pair's rows were stored in (none: unordered), over `schema`'s
    /// columns; declared to the plan, so that a query asking for it sorts nothing.
    order: Vec<SortExpr>,
    /// The view, run if a stored object no longer matches.
    view: LogicalPlan,
    /// Each pair's footer, read and checked by the first scan (none: one no longer
    /// matches).
    fetched: OnceCell<Option<Vec<Fetched>>>,
}

impl StoredRows {
    /// `view`: the plan of `what`'s view (its schema is the table's); `order`: the order
    /// the rows of each pair were stored in, if any.
    pub(crate) fn new(
        location: Location,
        what: Stored,
        pairs: Vec<(String, String, Fingerprint)>,
        view: &DataFrame,
        order: Vec<SortExpr>,
    ) -> Self {
        StoredRows {
            location,
            what,
            pairs,
            schema: Arc::new(view.schema().as_arrow().clone()),
            order,
            view: view.logical_plan().clone(),
            fetched: OnceCell::new(),
        }
    }
}

#[async_trait]
impl TableProvider for StoredRows {
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
        let started = std::time::Instant::now();
        let columns: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        // Read in ascending order (as Parquet returns them), then put in `projection`'s.
        let mut ascending = columns.clone();
        ascending.sort_unstable();
        ascending.dedup();
        // Each pair's footer is read once, by the first scan, and shared by the others.
        let fetched = self
            .fetched
            .get_or_init(|| async {
                let fetches = self.pairs.iter().map(|(week, against, fingerprint)| {
                    lake_store::changes::fetch(
                        &self.location,
                        self.what,
                        week,
                        against,
                        fingerprint,
                        &self.schema,
                    )
                });
                futures::future::join_all(fetches)
                    .await
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
            })
            .await;
        let objects = match fetched {
            Some(fetched) => futures::future::join_all(
                fetched
                    .iter()
                    .map(|f| f.columns(&self.location, Some(&ascending))),
            )
            .await
            .into_iter()
            .collect::<Option<Vec<_>>>(),
            None => None,
        };
        let Some(objects) = objects else {
            tracing::debug!(
                view = self.what.view(),
                "stored changes replaced since checked: computed"
            );
            return self.computed(state, projection, filters, limit).await;
        };
        let schema: SchemaRef = Arc::new(self.schema.project(&columns)?);
        let order: Vec<usize> = columns
            .iter()
            .map(|c| ascending.binary_search(c).unwrap_or_default())
            .collect();
        let partitions: Vec<Arc<dyn PartitionStream>> = objects
            .into_iter()
            .map(|object| {
                Arc::new(StoredPartition {
                    object,
                    schema: schema.clone(),
                    order: order.clone(),
                }) as Arc<dyn PartitionStream>
            })
            .collect();
        tracing::debug!(
            view = self.what.view(),
            pairs = self.pairs.len(),
            columns = ascending.len(),
            ms = started.elapsed().as_millis() as u64,
            "stored changes read"
        );
        let ordering = self.ordering(state, &schema)?;
        Ok(Arc::new(StreamingTableExec::try_new(
            schema, partitions, None, ordering, false, limit,
        )?))
    }
}

impl StoredRows {
    /// The order of the stored rows in the columns of `schema` (the projected schema): the
    /// longest prefix of `order` those columns can express.
    fn ordering(&self, state: &dyn Session, schema: &SchemaRef) -> Result<Option<LexOrdering>> {
        if self.order.is_empty() {
            return Ok(None);
        }
        let full = DFSchema::try_from(self.schema.clone())?;
        let sorts = create_physical_sort_exprs(
            &self.order,
            &full,
            state.execution_props(),
            &PhysicalPlanningContext::default(),
        )?;
        let Some(ordering) = LexOrdering::new(sorts) else {
            return Ok(None);
        };
        Ok(project_ordering(&ordering, schema))
    }
}

/// One pair's stored rows, decoded as they are pulled.
#[derive(Debug)]
struct StoredPartition {
    object: StoredObject,
    /// The projected schema, in the projection's order.
    schema: SchemaRef,
    /// For each column of `schema`, its index among the columns decoded (ascending).
    order: Vec<usize>,
}

impl PartitionStream for StoredPartition {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let schema = self.schema.clone();
        let order = self.order.clone();
        let batches = self.object.batches().map(move |batch| {
            let batch = batch.ok_or_else(|| {
                DataFusionError::Execution("a stored changes object could not be decoded".into())
            })?;
            let columns = order.iter().map(|&i| batch.column(i).clone()).collect();
            Ok(arrow::array::RecordBatch::try_new(schema.clone(), columns)?)
        });
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

impl StoredRows {
    /// The view's rows, computed in `state`.
    async fn computed(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let session = session_state(state, self.what.view())?;
        let frame = DataFrame::new(session.clone(), self.view.clone());
        let rows = frame.collect().await?;
        let schema = rows.first().map_or(self.schema.clone(), |b| b.schema());
        MemTable::try_new(schema, vec![rows])?
            .scan(state, projection, filters, limit)
            .await
    }
}
