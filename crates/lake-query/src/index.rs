//! The `first_failures` table of a lake, read from its failure index when a query scans it.
//!
//! `queries/changes.sql` defines `first_failures` as a view over the whole history; other
//! engines compute it that way. `lake` answers it from the index that ingest maintains
//! ([`lake_store::failures`]), which checks itself against the findings files and rebuilds
//! what it lacks. The index is read only by a query that scans the table, so ad-hoc SQL
//! that does not mention it costs nothing, and one that does costs an index read instead
//! of a scan of every file of the lake.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{MemTable, TableProvider, TableType};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use lake_store::read::FindingsFiles;
use lake_store::Location;

/// `first_failures` of the lake at `location`, read through its failure index.
#[derive(Debug)]
pub(crate) struct FailureIndex {
    location: Location,
    /// The findings files of the lake, listed at most once per query (shared with the
    /// manifest's check of the compacted copies), against which the index checks itself.
    findings: FindingsFiles,
    schema: SchemaRef,
}

impl FailureIndex {
    pub(crate) fn new(location: Location, findings: FindingsFiles) -> Self {
        FailureIndex {
            location,
            findings,
            schema: lake_store::failures::first_failures_schema(),
        }
    }
}

#[async_trait]
impl TableProvider for FailureIndex {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let batch = lake_store::failures::first_failures_among(&self.location, &self.findings)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let table = MemTable::try_new(self.schema.clone(), vec![vec![batch]])?;
        table.scan(state, projection, filters, limit).await
    }
}
