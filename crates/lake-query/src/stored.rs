//! `finding_changes` and `pair_counts` read from the stored changes of their pairs:
//! [`StoredRows`].
//!
//! When every pair (week, against) a session classifies has stored changes computed under
//! the lake's current fingerprint (see [`lake_store::changes`]), the session registers one
//! of these tables in place of each view. Nothing is read until a statement scans it, and
//! then only the columns the statement reads (the summary's counts read no text; posture
//! reads the counts only). Should a stored object have been replaced between the check and
//! the scan (another process storing a newer version of the lake), the view computes the
//! rows instead.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::DataFrame;
use lake_store::changes::{Fingerprint, Stored};
use lake_store::Location;

use crate::materialized::session_state;

/// The rows of a stored view (`finding_changes`, `pair_counts`) for some pairs, read from
/// their stored changes.
#[derive(Debug)]
pub(crate) struct StoredRows {
    location: Location,
    what: Stored,
    /// Each pair (week, against) and the fingerprint its stored changes were checked under.
    pairs: Vec<(String, String, Fingerprint)>,
    schema: SchemaRef,
    /// The view, run if a stored object no longer matches.
    view: LogicalPlan,
}

impl StoredRows {
    /// `view`: the plan of `what`'s view (its schema is the table's).
    pub(crate) fn new(
        location: Location,
        what: Stored,
        pairs: Vec<(String, String, Fingerprint)>,
        view: &DataFrame,
    ) -> Self {
        StoredRows {
            location,
            what,
            pairs,
            schema: Arc::new(view.schema().as_arrow().clone()),
            view: view.logical_plan().clone(),
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
        let reads = self.pairs.iter().map(|(week, against, fingerprint)| {
            lake_store::changes::read(
                &self.location,
                self.what,
                week,
                against,
                fingerprint,
                &self.schema,
                Some(&ascending),
            )
        });
        let mut batches = Vec::new();
        for read in futures::future::join_all(reads).await {
            let Some(read) = read else {
                tracing::debug!(
                    view = self.what.view(),
                    "stored changes replaced since checked: computed"
                );
                return self.computed(state, projection, filters, limit).await;
            };
            batches.extend(read);
        }
        let read_schema: SchemaRef = Arc::new(self.schema.project(&ascending)?);
        let threads = state.config().target_partitions().max(1);
        let mut partitions = vec![Vec::new(); threads];
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i % threads].push(b);
        }
        tracing::debug!(
            view = self.what.view(),
            pairs = self.pairs.len(),
            columns = ascending.len(),
            ms = started.elapsed().as_millis() as u64,
            "stored changes read"
        );
        let order: Vec<usize> = columns
            .iter()
            .map(|c| ascending.binary_search(c).unwrap_or_default())
            .collect();
        MemTable::try_new(read_schema, partitions)?
            .scan(state, Some(&order), filters, limit)
            .await
    }
}

impl StoredRows {
    /// The name of the view whose rows these are.
    pub(crate) fn view_name(&self) -> &'static str {
        self.what.view()
    }

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
