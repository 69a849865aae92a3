//! A table restricted to some `dt` partitions.
//!
//! Week-scoped queries know, from the `scans` manifest, exactly which `dt` partitions hold
//! the findings of the scans they read. Wrapping the findings listing table in [`Pruned`]
//! adds `dt IN (...)` to every scan of it, so the listing prunes all other partitions before
//! a single Parquet footer is read, however the SQL reaches the table (through views,
//! joins with parameter tables or window functions that a filter cannot cross).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{col, lit, Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use lake_core::schema::PARTITION_COLUMN;

/// `inner`, seen only through the partitions in `dts`.
#[derive(Debug)]
pub(crate) struct Pruned {
    inner: Arc<dyn TableProvider>,
    only: Expr,
}

impl Pruned {
    /// `inner` restricted to the partitions `dt IN dts` (`dts` must not be empty).
    pub(crate) fn new(inner: Arc<dyn TableProvider>, dts: &[String]) -> Self {
        let only =
            col(PARTITION_COLUMN).in_list(dts.iter().map(|d| lit(d.as_str())).collect(), false);
        Pruned { inner, only }
    }
}

#[async_trait]
impl TableProvider for Pruned {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }

    fn table_type(&self) -> TableType {
        self.inner.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        self.inner.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let mut filters = filters.to_vec();
        filters.push(self.only.clone());
        self.inner.scan(state, projection, &filters, limit).await
    }
}
