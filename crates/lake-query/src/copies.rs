//! The findings table with compacted copies read in place of their partitions.
//!
//! [`lake_store::compact`] keeps, for closed partitions, a copy of their rows in a few files
//! ordered by `check_id` (`_compact/findings/dt=<dt>/cover=<digest>/`). [`WithCopies`] reads
//! each partition that has a usable copy from the copy, and every other partition from
//! `findings/` as ingest wrote it: the same rows either way, in fewer files.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use async_trait::async_trait;
use datafusion::catalog::Session;
use datafusion::datasource::{TableProvider, TableType};
use datafusion::error::Result;
use datafusion::logical_expr::{col, lit, Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::union::UnionExec;
use datafusion::physical_plan::ExecutionPlan;
use lake_core::schema::PARTITION_COLUMN;
use lake_store::compact::COVER_COLUMN;

/// `plain` (the findings listing table) with the partitions in `usable` read from `copies`
/// (the listing table of the copies, partitioned by `dt` then `cover`).
#[derive(Debug)]
pub(crate) struct WithCopies {
    plain: Arc<dyn TableProvider>,
    copies: Arc<dyn TableProvider>,
    /// `dt NOT IN (partitions with a usable copy)`, for `plain`.
    not_copied: Expr,
    /// `cover IN (the usable copies)`, for `copies`.
    usable: Expr,
    /// Whether any partition the table is read through is not copied.
    plain_needed: bool,
}

impl WithCopies {
    /// `usable` holds (dt, cover) of each usable copy; it must not be empty. Without
    /// `plain_needed` (every partition the table is read through has a copy), only the
    /// copies are scanned.
    pub(crate) fn new(
        plain: Arc<dyn TableProvider>,
        copies: Arc<dyn TableProvider>,
        usable: &[(String, String)],
        plain_needed: bool,
    ) -> Self {
        let dts = usable.iter().map(|(dt, _)| lit(dt.as_str())).collect();
        let covers = usable.iter().map(|(_, c)| lit(c.as_str())).collect();
        WithCopies {
            plain,
            copies,
            not_copied: col(PARTITION_COLUMN).in_list(dts, true),
            usable: col(COVER_COLUMN).in_list(covers, false),
            plain_needed,
        }
    }
}

#[async_trait]
impl TableProvider for WithCopies {
    fn schema(&self) -> SchemaRef {
        self.plain.schema()
    }

    fn table_type(&self) -> TableType {
        self.plain.table_type()
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Both sides are listing tables partitioned by `dt`: they apply the same filters
        // the same way.
        self.plain.supports_filters_pushdown(filters)
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        // The copies' columns are the table's, then `cover`: the same indices, `cover`
        // never among them.
        let columns: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema().fields().len()).collect(),
        };
        let mut copy_filters = filters.to_vec();
        copy_filters.push(self.usable.clone());
        let mut scans = vec![
            self.copies
                .scan(state, Some(&columns), &copy_filters, limit)
                .await?,
        ];
        if self.plain_needed {
            let mut plain_filters = filters.to_vec();
            plain_filters.push(self.not_copied.clone());
            scans.push(
                self.plain
                    .scan(state, Some(&columns), &plain_filters, limit)
                    .await?,
            );
        }
        UnionExec::try_new(scans)
    }
}
