//! The push decoder: OCSF bytes in, Arrow batches of normalized findings out.

use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::findings::{first_finding_facts, Counts, FindingsBuilder, RejectReason, RowContext};
use crate::frame::{Element, ElementBytes, ElementKind, FrameError, FrameFault, Framer};
use crate::identity::{Overrides, PathHints, ScanIdentity};
use crate::ocsf::RawFinding;

/// How much a decoder buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderOptions {
    /// Findings per batch: the decoder's memory is about this many normalized findings
    /// (a few KB each) plus one raw finding.
    pub batch_size: usize,
    /// A finding larger than this is rejected without being kept in memory.
    pub max_finding_bytes: usize,
}

impl Default for DecoderOptions {
    fn default() -> Self {
        DecoderOptions {
            batch_size: 4096,
            max_finding_bytes: 16 << 20,
        }
    }
}

/// A fault that ends the reading of a source (the findings before it are kept).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: {fault}")]
pub struct StreamError {
    /// Absolute byte offset of the fault.
    pub offset: u64,
    /// What is wrong.
    pub fault: FrameFault,
}

impl From<FrameError> for StreamError {
    fn from(e: FrameError) -> Self {
        StreamError {
            offset: e.offset,
            fault: e.reason,
        }
    }
}

/// An element of the source that was not kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Byte offset of the element.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// Why it was not kept.
    pub reason: RejectReason,
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "byte {}: {}", self.offset, self.reason)
    }
}

/// Outcome of reading one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanStatus {
    /// Every element landed (repairs may have been made).
    Succeeded,
    /// Some findings landed: those before a stream fault, or all but the rejected elements.
    Partial,
    /// Nothing landed.
    Failed,
}

impl ScanStatus {
    /// `succeeded`, `partial` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ScanStatus::Succeeded => "succeeded",
            ScanStatus::Partial => "partial",
            ScanStatus::Failed => "failed",
        }
    }
}

/// What a decoder found in its source.
#[derive(Debug, Clone, Default)]
pub struct DecodeReport {
    /// Counts of the kept findings.
    pub counts: Counts,
    /// Elements not kept.
    pub rejected: i64,
    /// The first rejections (at most [`MAX_REJECTIONS_KEPT`]).
    pub rejections: Vec<Rejection>,
    /// The stream fault that ended reading, if any.
    pub fault: Option<StreamError>,
    /// Repairs made.
    pub warnings: Vec<String>,
    /// Bytes read.
    pub bytes: u64,
}

/// How many rejections a report keeps in full.
pub const MAX_REJECTIONS_KEPT: usize = 20;

impl DecodeReport {
    /// The status that the scans manifest records.
    pub fn status(&self) -> ScanStatus {
        match (
            self.counts.findings,
            self.fault.is_some() || self.rejected > 0,
        ) {
            (_, false) => ScanStatus::Succeeded,
            (0, true) => ScanStatus::Failed,
            (_, true) => ScanStatus::Partial,
        }
    }

    /// One line on why the source is partial or failed: the stream fault, else the first
    /// rejection (with how many more there were).
    pub fn error(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(f) = &self.fault {
            parts.push(f.to_string());
        }
        if let Some(first) = self.rejections.first() {
            let more = self.rejected - 1;
            parts.push(if more > 0 {
                format!("{first} (and {more} more rejected)")
            } else {
                first.to_string()
            });
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Decodes one OCSF source (a JSON array of findings, or NDJSON) pushed in chunks of any size.
///
/// ```
/// use lake_core::{DecoderOptions, OcsfDecoder, Overrides, PathHints};
///
/// let json = br#"[{"class_uid": 2004, "metadata": {"event_code": "s3_bucket_public"},
///   "finding_info": {"uid": "prowler-aws-s3_bucket_public-1-us-east-1-b"},
///   "status_code": "FAIL", "severity": "High", "time_dt": "2026-05-18T02:00:00",
///   "cloud": {"provider": "aws", "account": {"uid": "1"}, "region": "us-east-1"},
///   "resources": [{"uid": "arn:aws:s3:::b", "name": "b"}]}]"#;
/// let mut decoder = OcsfDecoder::new(
///     "file:///scan.json", PathHints::default(), Overrides::default(), DecoderOptions::default());
/// let mut batches = Vec::new();
/// for chunk in json.chunks(10) {
///     let mut rest = &chunk[..];
///     while !rest.is_empty() {
///         let n = decoder.decode(rest).unwrap();
///         rest = &rest[n..];
///         if decoder.is_full() {
///             batches.extend(decoder.flush().unwrap());
///         }
///     }
/// }
/// decoder.finish().unwrap();
/// batches.extend(decoder.flush().unwrap());
/// assert_eq!(batches[0].num_rows(), 1);
/// assert_eq!(decoder.identity().unwrap().week.to_string(), "2026-W21");
/// ```
pub struct OcsfDecoder {
    framer: Framer,
    builder: FindingsBuilder,
    options: DecoderOptions,
    source_uri: String,
    overrides: Overrides,
    hints: PathHints,
    identity: Option<ScanIdentity>,
    report: DecodeReport,
    finished: bool,
}

impl OcsfDecoder {
    /// A decoder for the source at `source_uri`, whose path said `hints`.
    pub fn new(
        source_uri: impl Into<String>,
        hints: PathHints,
        overrides: Overrides,
        options: DecoderOptions,
    ) -> Self {
        OcsfDecoder {
            framer: Framer::new(options.max_finding_bytes),
            builder: FindingsBuilder::new(),
            options,
            source_uri: source_uri.into(),
            overrides,
            hints,
            identity: None,
            report: DecodeReport::default(),
            finished: false,
        }
    }

    /// Reads findings from `input` until it is used up or a batch is full; returns the bytes
    /// consumed. After a stream fault every call returns that fault; the findings read
    /// before it can still be flushed.
    pub fn decode(&mut self, input: &[u8]) -> Result<usize, StreamError> {
        if let Some(f) = &self.report.fault {
            return Err(f.clone());
        }
        let mut consumed = 0;
        while consumed < input.len() && !self.is_full() {
            let rest = &input[consumed..];
            let scan = match self.framer.scan(rest) {
                Ok(scan) => scan,
                Err(e) => return Err(self.fault(e)),
            };
            consumed += scan.consumed;
            if let Some(element) = scan.element {
                self.element(element, rest);
            }
        }
        self.report.bytes = self.framer.position();
        Ok(consumed)
    }

    /// Ends the source: checks that the array was closed. A fault here (a truncated file)
    /// leaves the findings read so far to be flushed.
    pub fn finish(&mut self) -> Result<(), StreamError> {
        if let Some(f) = &self.report.fault {
            return Err(f.clone());
        }
        if self.finished {
            return Ok(());
        }
        self.finished = true;
        match self.framer.finish() {
            Ok(Some(last)) => self.element(last, &[]),
            Ok(None) => {}
            Err(e) => return Err(self.fault(e)),
        }
        self.report.warnings = self.framer.warnings().to_vec();
        Ok(())
    }

    /// Whether a batch is full and must be flushed before more input is decoded.
    pub fn is_full(&self) -> bool {
        self.builder.len() >= self.options.batch_size
    }

    /// The buffered findings as a batch, or `None` when there are none.
    pub fn flush(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.builder.is_empty() {
            return Ok(None);
        }
        self.builder.finish().map(Some)
    }

    /// The scan identity, known from the first kept finding on.
    pub fn identity(&self) -> Option<&ScanIdentity> {
        self.identity.as_ref()
    }

    /// What was found so far.
    pub fn report(&self) -> &DecodeReport {
        &self.report
    }

    fn fault(&mut self, e: FrameError) -> StreamError {
        let e = StreamError::from(e);
        self.report.fault = Some(e.clone());
        self.report.warnings = self.framer.warnings().to_vec();
        e
    }

    fn reject(report: &mut DecodeReport, element: &Element, reason: RejectReason) {
        report.rejected += 1;
        if report.rejections.len() < MAX_REJECTIONS_KEPT {
            report.rejections.push(Rejection {
                offset: element.offset,
                len: element.len,
                reason,
            });
        }
    }

    fn element(&mut self, element: Element, input: &[u8]) {
        let report = &mut self.report;
        let bytes: &[u8] = match &element.bytes {
            ElementBytes::Input(range) => &input[range.clone()],
            ElementBytes::Pending => self.framer.pending(),
            ElementBytes::Oversized => {
                let reason = RejectReason::TooLarge {
                    len: element.len,
                    limit: self.options.max_finding_bytes,
                };
                return Self::reject(report, &element, reason);
            }
        };
        if element.kind != ElementKind::Object {
            return Self::reject(report, &element, RejectReason::NotAnObject);
        }
        let raw: RawFinding = match serde_json::from_slice(bytes) {
            Ok(raw) => raw,
            Err(e) => {
                let reason = RejectReason::InvalidJson(e.to_string());
                return Self::reject(report, &element, reason);
            }
        };
        let new_identity = match &self.identity {
            Some(_) => None,
            None => {
                let facts = first_finding_facts(&raw);
                match ScanIdentity::resolve(&self.overrides, &self.hints, facts.as_ref()) {
                    Some(id) => Some(id),
                    None => return Self::reject(report, &element, RejectReason::NoTime),
                }
            }
        };
        let Some(identity) = new_identity.as_ref().or(self.identity.as_ref()) else {
            return;
        };
        let ctx = RowContext {
            identity,
            source_uri: &self.source_uri,
            offset: element.offset,
            len: element.len,
        };
        match self.builder.append(&raw, ctx, &mut report.counts) {
            Ok(()) => {
                if new_identity.is_some() {
                    self.identity = new_identity;
                }
            }
            Err(reason) => Self::reject(report, &element, reason),
        }
    }
}
