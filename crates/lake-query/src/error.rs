//! Errors of the query layer.

/// What can go wrong when querying the lake.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// No named query of that name.
    #[error("no query named `{name}` (try `lake queries`)")]
    UnknownQuery {
        /// What was asked for.
        name: String,
    },
    /// A parameter is missing or invalid.
    #[error("--{param}: {reason}")]
    InvalidParam {
        /// The parameter.
        param: &'static str,
        /// Why.
        reason: String,
    },
    /// The requested week has no scans.
    #[error("no scans in week {week} in this lake{}", weeks_hint(.available))]
    NoData {
        /// The week asked for.
        week: String,
        /// Weeks that do have data.
        available: Vec<String>,
    },
    /// The lake could not be opened.
    #[error(transparent)]
    Store(#[from] lake_store::StoreError),
    /// DataFusion failed (an invalid ad-hoc query, or a bug).
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    /// Arrow failed.
    #[error("{0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

fn weeks_hint(available: &[String]) -> String {
    if available.is_empty() {
        " (the lake has no scans yet: run `lake ingest` first)".to_owned()
    } else {
        format!(" (weeks with data: {})", available.join(", "))
    }
}

/// Result with [`QueryError`].
pub type Result<T, E = QueryError> = std::result::Result<T, E>;
