//! The lake on storage: where files go, how they are written, and the ingest pipeline.
//!
//! A lake is a directory (local or `s3://`) holding two Hive-partitioned Parquet tables,
//! `findings` and `scans` (see [`layout`] and `SCHEMA.md`). [`ingest::ingest`] reads OCSF
//! sources (framed by [`lake_core::Splitter`], decoded on every core by
//! [`lake_core::UnitDecoder`]) and writes them there.
//!
//! ```no_run
//! # async fn run() -> Result<(), lake_store::StoreError> {
//! use lake_store::{ingest, IngestOptions, Location, Source};
//!
//! let lake = Location::parse("./lake", true)?;
//! let sources = Source::resolve("fixtures/runs").await?;
//! let outcomes = ingest::ingest(&lake, sources, &IngestOptions::default(), Default::default()).await;
//! for o in &outcomes {
//!     println!("{} {} {}", o.record.source_uri, o.status(), o.record.findings);
//! }
//! # Ok(()) }
//! ```

pub mod changes;
pub mod compact;
pub mod context;
pub mod error;
pub mod failures;
pub mod ingest;
pub mod layout;
pub mod local;
pub mod location;
pub mod manifest;
pub mod observed;
pub mod read;
pub mod snapshot;
pub mod source;
pub mod writer;

pub use error::StoreError;
pub use ingest::{IngestOptions, IngestOutcome};
pub use location::Location;
pub use manifest::ScanRecord;
pub use source::Source;

/// The loopback S3 server of the tests (shared with the integration tests).
#[cfg(test)]
#[path = "../tests/support/moto.rs"]
mod moto_server;
