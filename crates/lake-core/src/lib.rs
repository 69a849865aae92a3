//! The core of lake: a streaming decoder of Prowler OCSF scan files into Arrow batches of
//! normalized findings, and the schema of the lake, defined once.
//!
//! This crate does no I/O and has no async runtime: bytes are pushed into an [`OcsfDecoder`]
//! and [`RecordBatch`](arrow::record_batch::RecordBatch)es come out, so the same core serves a
//! local file, an object-store byte stream and a Lambda alike. Memory is bounded by the batch
//! size and the largest single finding, never by the size of the file. To use several
//! cores on one source, a [`Splitter`] frames it into [`Unit`]s that [`UnitDecoder`]s
//! decode anywhere, in any order (the caller puts the batches back in order).
//!
//! ```
//! use lake_core::{DecoderOptions, OcsfDecoder, Overrides, PathHints};
//!
//! let path = "2026-W21/run-1/111122223333/json-ocsf/prowler-output-111122223333-20260518020000.ocsf.json";
//! let mut decoder = OcsfDecoder::new(
//!     path, PathHints::from_path(path), Overrides::default(), DecoderOptions::default());
//! decoder.decode(b"[]").unwrap();
//! decoder.finish().unwrap();
//! assert!(decoder.flush().unwrap().is_none());
//! assert_eq!(decoder.report().status().as_str(), "succeeded");
//! ```

pub mod athena;
pub mod context;
pub mod decoder;
pub mod findings;
pub mod frame;
pub mod identity;
pub mod observed;
pub mod ocsf;
pub mod replay;
pub mod schema;
pub mod severity;
pub mod source;
mod structural;

pub use decoder::{
    DecodeReport, DecodedUnit, DecoderOptions, OcsfDecoder, Rejection, ScanStatus, Splitter,
    StreamError, Unit, UnitDecoder,
};
pub use findings::{Counts, RejectReason};
pub use identity::{finding_key, IsoWeek, Overrides, PathHints, ScanIdentity};
pub use severity::Severity;
