//! DataFusion over the lake: the `findings` and `scans` tables, the latest-run views, and the
//! named queries whose SQL lives once in `queries/`.
//!
//! Every query runs in a fresh DataFusion `SessionContext` over the same lake: the two tables are
//! Hive-partitioned listing tables (partition pruning on `dt`), `queries/views.sql` defines
//! what each scan observed and the state of each week (`latest_findings`), and
//! `queries/changes.sql` classifies findings between the weeks of a `diff_pairs` table with
//! evidence on both sides.
//! Parameters are typed and validated ([`Params`]) and bound as placeholders, never pasted
//! into SQL.
//!
//! ```no_run
//! # async fn run() -> Result<(), lake_query::QueryError> {
//! use lake_query::{Lake, Params};
//!
//! let lake = Lake::from_location(lake_store::Location::parse("./lake", false)?);
//! let mut params = Params::default();
//! params.week = Some("2026-W21".parse().unwrap());
//! let batches = lake.run("diff", &params).await?;
//! # Ok(()) }
//! ```

mod copies;
pub mod dialect;
mod error;
mod index;
pub mod json;
mod materialized;
mod named;
mod observed;
mod pruned;
mod report;
mod session;
mod stored;
pub mod summary;

pub use dialect::Dialect;
pub use error::QueryError;
/// The report model and its formats.
pub use lake_report;
pub use named::{named_queries, NamedQuery, ParamSpec, Params, DEFAULT_HISTORY_WEEKS, DIMENSIONS};
pub use report::{ReportOptions, WeeklyReport};
pub use session::{ChangesStored, Lake};

/// The rows of a query as its plan yields them ([`Lake::stream`], [`Lake::sql_stream`]).
pub type RowStream = datafusion::execution::SendableRecordBatchStream;
