//! Errors of the storage layer.

use std::path::PathBuf;

/// Everything that can go wrong between the decoder and the bytes in storage.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A lake or source location that cannot be used.
    #[error("invalid location `{location}`: {reason}")]
    InvalidLocation {
        /// What was given.
        location: String,
        /// Why it is not usable.
        reason: String,
    },
    /// An object store operation failed.
    #[error("{operation} `{path}`: {source}")]
    ObjectStore {
        /// What was being done.
        operation: &'static str,
        /// The object.
        path: String,
        /// The store's error.
        #[source]
        source: object_store::Error,
    },
    /// Reading a local file failed.
    #[error("reading `{}` at byte {offset}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Where.
        offset: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Writing or reading Parquet failed.
    #[error("parquet `{path}`: {source}")]
    Parquet {
        /// The file.
        path: String,
        /// The Parquet error.
        #[source]
        source: parquet::errors::ParquetError,
    },
    /// Building a batch failed (a bug, or a schema mismatch in an existing lake).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A background task died.
    #[error("internal: {0}")]
    Internal(String),
    /// A findings row points at bytes lake will not read: a source the manifest does not
    /// record, or a range outside it (a findings file written by something else).
    #[error("evidence pointer to `{source_uri}` bytes {offset}+{length}: {reason}")]
    UntrustedEvidence {
        /// The source the row names.
        source_uri: String,
        /// The offset it gives.
        offset: u64,
        /// The length it gives.
        length: u64,
        /// Why it is not read.
        reason: String,
    },
}

impl StoreError {
    pub(crate) fn store(
        operation: &'static str,
        path: impl ToString,
    ) -> impl FnOnce(object_store::Error) -> Self {
        let path = path.to_string();
        move |source| StoreError::ObjectStore {
            operation,
            path,
            source,
        }
    }

    pub(crate) fn parquet(
        path: impl ToString,
    ) -> impl FnOnce(parquet::errors::ParquetError) -> Self {
        let path = path.to_string();
        move |source| StoreError::Parquet { path, source }
    }
}

/// Result with [`StoreError`].
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
