//! The push decoder: OCSF bytes in, Arrow batches of normalized findings out.

use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::findings::{first_finding_facts, Counts, FindingsBuilder, RejectReason, RowContext};
use crate::frame::{Element, ElementBytes, ElementKind, FrameError, FrameFault, Framer};
use crate::identity::{Overrides, PathHints, ScanIdentity};
use crate::ocsf::RawFinding;
use crate::source::{NotKept, Skip};

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
            batch_size: 2048,
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
    /// Bytes read: the whole source, or up to the stream fault that ended reading.
    pub bytes: u64,
}

/// Findings nested deeper than this are parsed by serde_json alone (Prowler's are about 8 deep).
const MAX_FAST_PATH_DEPTH: u32 = 64;

/// How many rejections a report keeps in full.
pub const MAX_REJECTIONS_KEPT: usize = 20;

impl DecodeReport {
    /// Adds the counts and rejections of a later part of the same source (a decoded
    /// [`Unit`]); the rejections kept stay the first ones in the source.
    pub fn absorb(&mut self, later: DecodeReport) {
        self.counts.absorb(later.counts);
        self.rejected += later.rejected;
        let room = MAX_REJECTIONS_KEPT.saturating_sub(self.rejections.len());
        self.rejections
            .extend(later.rejections.into_iter().take(room));
    }

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
    rows: RowDecoder,
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
            rows: RowDecoder::new(SourceContext::new(source_uri, hints, overrides, options)),
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
        self.rows.is_full()
    }

    /// The buffered findings as a batch, or `None` when there are none.
    pub fn flush(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        self.rows.flush()
    }

    /// The scan identity, known from the first kept finding on.
    pub fn identity(&self) -> Option<&ScanIdentity> {
        self.rows.ctx.identity.as_ref()
    }

    /// What was found so far.
    pub fn report(&self) -> &DecodeReport {
        &self.report
    }

    fn fault(&mut self, e: FrameError) -> StreamError {
        let e = StreamError::from(e);
        // What was read is what came before the fault, however the input was cut.
        self.report.bytes = e.offset;
        self.report.fault = Some(e.clone());
        self.report.warnings = self.framer.warnings().to_vec();
        e
    }

    fn element(&mut self, element: Element, input: &[u8]) {
        let bytes = match &element.bytes {
            ElementBytes::Input(range) => Some(&input[range.clone()]),
            ElementBytes::Pending => Some(self.framer.pending()),
            ElementBytes::Oversized => None,
        };
        self.rows
            .element(&Placed::from(&element), bytes, &mut self.report);
    }
}

/// What every row of a source shares: where it came from, how to decode it, and (from the
/// first kept finding on) the scan it belongs to.
#[derive(Debug, Clone)]
struct SourceContext {
    source_uri: String,
    hints: PathHints,
    overrides: Overrides,
    options: DecoderOptions,
    identity: Option<ScanIdentity>,
}

impl SourceContext {
    fn new(
        source_uri: impl Into<String>,
        hints: PathHints,
        overrides: Overrides,
        options: DecoderOptions,
    ) -> Self {
        SourceContext {
            source_uri: source_uri.into(),
            hints,
            overrides,
            options,
            identity: None,
        }
    }
}

/// A framed element's place in the source and shape, without its bytes.
#[derive(Debug, Clone, Copy)]
struct Placed {
    offset: u64,
    len: u64,
    kind: ElementKind,
    max_depth: u32,
}

impl From<&Element> for Placed {
    fn from(e: &Element) -> Self {
        Placed {
            offset: e.offset,
            len: e.len,
            kind: e.kind,
            max_depth: e.max_depth,
        }
    }
}

/// Turns framed elements into rows: parse, check, resolve the identity, build.
struct RowDecoder {
    ctx: SourceContext,
    builder: FindingsBuilder,
    /// The finding being parsed (the SIMD parser works in place); as large as the largest.
    scratch: Vec<u8>,
}

impl RowDecoder {
    fn new(ctx: SourceContext) -> Self {
        RowDecoder {
            ctx,
            builder: FindingsBuilder::new(),
            scratch: Vec::new(),
        }
    }

    fn is_full(&self) -> bool {
        self.builder.len() >= self.ctx.options.batch_size
    }

    fn flush(&mut self) -> Result<Option<RecordBatch>, ArrowError> {
        if self.builder.is_empty() {
            return Ok(None);
        }
        self.builder.finish().map(Some)
    }

    fn reject(report: &mut DecodeReport, at: &Placed, reason: RejectReason) {
        report.rejected += 1;
        if report.rejections.len() < MAX_REJECTIONS_KEPT {
            report.rejections.push(Rejection {
                offset: at.offset,
                len: at.len,
                reason,
            });
        }
    }

    /// Appends the element (`bytes` is `None` for one over the size limit) as a row, or
    /// counts it rejected in `report`.
    fn element(&mut self, at: &Placed, bytes: Option<&[u8]>, report: &mut DecodeReport) {
        let Some(bytes) = bytes else {
            let reason = RejectReason::TooLarge {
                len: at.len,
                limit: self.ctx.options.max_finding_bytes,
            };
            return Self::reject(report, at, reason);
        };
        if at.kind != ElementKind::Object {
            return Self::reject(report, at, RejectReason::NotAnObject);
        }
        // The fast path tokenizes with SIMD, in place, so it works on a copy; it recurses
        // with the nesting, so deeply nested input (hostile or broken) skips it. Whatever it
        // refuses is parsed again by serde_json, which decides (the same rules as ever) and
        // says where the JSON is wrong, by line and column.
        let fast = if at.max_depth <= MAX_FAST_PATH_DEPTH {
            let scratch = &mut self.scratch;
            scratch.clear();
            scratch.extend_from_slice(bytes);
            simd_json::serde::from_slice::<RawFinding>(scratch).ok()
        } else {
            None
        };
        let raw: RawFinding = match fast {
            Some(raw) => raw,
            None => match serde_json::from_slice(bytes) {
                Ok(raw) => raw,
                Err(e) => {
                    let reason = RejectReason::InvalidJson(e.to_string());
                    return Self::reject(report, at, reason);
                }
            },
        };
        let row = match self.builder.normalize(&raw) {
            Ok(row) => row,
            Err(NotKept::Rejected(reason)) => return Self::reject(report, at, reason),
            Err(NotKept::Skipped(Skip::NotCurrent)) => {
                report.counts.not_current += 1;
                return;
            }
            Err(NotKept::Skipped(Skip::NotEvaluated)) => {
                report.counts.not_evaluated += 1;
                return;
            }
        };
        let ctx = &mut self.ctx;
        let new_identity = match &ctx.identity {
            Some(_) => None,
            None => {
                let facts = first_finding_facts(&raw, &row);
                match ScanIdentity::resolve(&ctx.overrides, &ctx.hints, facts.as_ref()) {
                    Some(id) => Some(id),
                    None => return Self::reject(report, at, RejectReason::NoTime),
                }
            }
        };
        let Some(identity) = new_identity.as_ref().or(ctx.identity.as_ref()) else {
            return;
        };
        let ctx_row = RowContext {
            identity,
            source_uri: &ctx.source_uri,
            offset: at.offset,
            len: at.len,
        };
        match self.builder.append(&raw, &row, ctx_row, &mut report.counts) {
            Ok(()) => {
                if new_identity.is_some() {
                    ctx.identity = new_identity;
                }
            }
            Err(reason) => Self::reject(report, at, reason),
        }
    }
}

/// The elements framed from one chunk of a source, with the bytes they live in: what
/// [`UnitDecoder`] turns into rows, on any thread.
///
/// Framing is a fast, sequential scan; parsing and building rows is most of the work and
/// needs nothing but the unit. So a source is read as a sequence of units, each decoded
/// wherever there is a free core, and the batches are put back in the order of the units.
#[derive(Debug, Default)]
pub struct Unit {
    /// The chunk as read. Elements inside it are not copied.
    data: Vec<u8>,
    /// Elements that began in an earlier chunk, copied whole.
    spill: Vec<u8>,
    elements: Vec<(Placed, Held)>,
}

/// Where a unit holds an element's bytes.
#[derive(Debug, Clone)]
enum Held {
    Data(std::ops::Range<usize>),
    Spill(std::ops::Range<usize>),
    Oversized,
}

impl Unit {
    /// Elements framed in this unit (findings, or elements to be rejected).
    pub fn len(&self) -> usize {
        self.elements.len()
    }

    /// Whether no element ended in this unit's chunk.
    pub fn is_empty(&self) -> bool {
        self.elements.is_empty()
    }

    /// The chunk's buffer, to be read into again.
    pub fn into_buffer(self) -> Vec<u8> {
        self.data
    }
}

/// The sequential half of a parallel decode: cuts a source into [`Unit`]s, one per chunk
/// pushed, and checks the stream's structure (the same rules and faults as [`OcsfDecoder`]).
#[derive(Debug)]
pub struct Splitter {
    framer: Framer,
    fault: Option<StreamError>,
    finished: bool,
}

impl Splitter {
    /// A splitter that skips (and reports as oversized) elements longer than `max_finding_bytes`.
    pub fn new(max_finding_bytes: usize) -> Self {
        Splitter {
            framer: Framer::new(max_finding_bytes),
            fault: None,
            finished: false,
        }
    }

    /// Frames the whole chunk (the next bytes of the source). The unit holds every element
    /// that ended in it; after a fault it holds those before the fault, and the fault is
    /// returned beside it (and by every later call).
    pub fn frame(&mut self, data: Vec<u8>) -> (Unit, Option<StreamError>) {
        let mut unit = Unit::default();
        if let Some(f) = &self.fault {
            unit.data = data;
            return (unit, Some(f.clone()));
        }
        let mut consumed = 0;
        while consumed < data.len() {
            let rest = &data[consumed..];
            let scan = match self.framer.scan(rest) {
                Ok(scan) => scan,
                Err(e) => {
                    let e = StreamError::from(e);
                    self.fault = Some(e.clone());
                    unit.data = data;
                    return (unit, Some(e));
                }
            };
            if let Some(element) = scan.element {
                let held = match &element.bytes {
                    ElementBytes::Input(r) => Held::Data(r.start + consumed..r.end + consumed),
                    ElementBytes::Pending => {
                        let start = unit.spill.len();
                        unit.spill.extend_from_slice(self.framer.pending());
                        Held::Spill(start..unit.spill.len())
                    }
                    ElementBytes::Oversized => Held::Oversized,
                };
                unit.elements.push((Placed::from(&element), held));
            }
            consumed += scan.consumed;
        }
        unit.data = data;
        (unit, None)
    }

    /// Ends the source: checks that the array was closed. Returns a last unit when an
    /// element needed the end to complete (a bare value ending NDJSON).
    pub fn finish(&mut self) -> (Option<Unit>, Option<StreamError>) {
        if self.fault.is_some() || self.finished {
            return (None, self.fault.clone());
        }
        self.finished = true;
        match self.framer.finish() {
            Ok(None) => (None, None),
            Ok(Some(last)) => {
                let held = match last.bytes {
                    ElementBytes::Oversized => Held::Oversized,
                    _ => Held::Spill(0..self.framer.pending().len()),
                };
                let unit = Unit {
                    data: Vec::new(),
                    spill: self.framer.pending().to_vec(),
                    elements: vec![(Placed::from(&last), held)],
                };
                (Some(unit), None)
            }
            Err(e) => {
                let e = StreamError::from(e);
                self.fault = Some(e.clone());
                (None, Some(e))
            }
        }
    }

    /// Bytes framed so far.
    pub fn position(&self) -> u64 {
        self.framer.position()
    }

    /// The source's report as far as framing knows it: bytes, fault and repairs. The
    /// units' reports are merged into it with [`DecodeReport::absorb`].
    pub fn report(&self) -> DecodeReport {
        DecodeReport {
            // As the streaming decoder: up to the fault, when there is one.
            bytes: self
                .fault
                .as_ref()
                .map_or(self.framer.position(), |f| f.offset),
            fault: self.fault.clone(),
            warnings: self.framer.warnings().to_vec(),
            ..DecodeReport::default()
        }
    }
}

/// The parallel half: turns a [`Unit`] into batches of rows. Cheap to clone, one per unit.
#[derive(Debug, Clone)]
pub struct UnitDecoder {
    ctx: SourceContext,
}

/// What one unit decoded to.
#[derive(Debug, Default)]
pub struct DecodedUnit {
    /// Its rows, in the order of the source, at most `batch_size` per batch.
    pub batches: Vec<RecordBatch>,
    /// Its counts and rejections (no fault, no repairs: those are the [`Splitter`]'s).
    pub report: DecodeReport,
}

impl UnitDecoder {
    /// A decoder of the units of the source at `source_uri`.
    pub fn new(
        source_uri: impl Into<String>,
        hints: PathHints,
        overrides: Overrides,
        options: DecoderOptions,
    ) -> Self {
        UnitDecoder {
            ctx: SourceContext::new(source_uri, hints, overrides, options),
        }
    }

    /// The scan identity, once a decoded unit has kept a finding. Until then units must be
    /// decoded in order, by this decoder: the first kept finding decides it.
    pub fn identity(&self) -> Option<&ScanIdentity> {
        self.ctx.identity.as_ref()
    }

    /// Decodes every element of `unit`. Without an identity yet, the first kept finding
    /// sets it (on this decoder).
    pub fn decode(&mut self, unit: &Unit) -> Result<DecodedUnit, ArrowError> {
        let mut rows = RowDecoder::new(self.ctx.clone());
        let mut out = DecodedUnit::default();
        for (at, held) in &unit.elements {
            let bytes = match held {
                Held::Data(r) => Some(&unit.data[r.clone()]),
                Held::Spill(r) => Some(&unit.spill[r.clone()]),
                Held::Oversized => None,
            };
            rows.element(at, bytes, &mut out.report);
            if rows.is_full() {
                out.batches.extend(rows.flush()?);
            }
        }
        out.batches.extend(rows.flush()?);
        if self.ctx.identity.is_none() {
            self.ctx.identity = rows.ctx.identity;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int64Type;

    fn finding(uid: &str, check: &str, status: &str, resource: &str) -> String {
        format!(
            r#"{{
    "metadata": {{"event_code": "{check}", "product": {{"version": "5.46.0"}}, "version": "1.5.0"}},
    "severity_id": 4, "severity": "High", "status": "New", "status_code": "{status}",
    "status_detail": "detail of {uid}", "status_id": 1,
    "unmapped": {{"categories": ["logging"], "compliance": {{"CIS-3.0": ["1.4", "1.10"]}}, "scan_id": "scan-1"}},
    "finding_info": {{"uid": "{uid}", "title": "Title", "types": ["t"]}},
    "resources": [{{"region": "us-east-1", "group": {{"name": "iam"}}, "labels": ["Name:x", "env:prod:eu"], "name": "n", "type": "T", "uid": "{resource}"}}],
    "class_uid": 2004,
    "cloud": {{"account": {{"name": "", "uid": "111122223333"}}, "org": {{"uid": ""}}, "provider": "aws", "region": "us-east-1"}},
    "remediation": {{"desc": "fix it", "references": ["https://x"]}},
    "time": 1779069600, "time_dt": "2026-05-18T02:00:00"
}}"#
        )
    }

    use crate::replay::{self, Decoded};

    fn decode(input: &[u8], chunk: usize, options: DecoderOptions) -> Decoded {
        replay::stream(input, &[chunk], options)
    }

    fn uids(batches: &[RecordBatch]) -> Vec<String> {
        batches
            .iter()
            .flat_map(|b| {
                let c = b
                    .column_by_name("finding_uid")
                    .unwrap()
                    .as_string::<i32>()
                    .clone();
                (0..c.len()).map(move |i| c.value(i).to_owned())
            })
            .collect()
    }

    fn array(items: &[String]) -> Vec<u8> {
        format!("[{}]", items.join(",")).into_bytes()
    }

    fn decode_in_units(input: &[u8], chunk: usize, options: DecoderOptions) -> Decoded {
        replay::units(input, &[chunk], options)
    }

    #[test]
    fn units_decoded_in_any_order_give_what_the_streaming_decoder_gives() {
        let good = |u: &str| finding(u, "c", "FAIL", u);
        let no_time = good("t0").replace(
            "\"time\": 1779069600, \"time_dt\": \"2026-05-18T02:00:00\"",
            "\"x\": 0",
        );
        let mixed: Vec<String> = vec![
            no_time,
            "42".into(),
            good("g1"),
            good("g2").replace("\"uid\": \"g2\"", "\"nouid\": 1"),
            good("big").replace("fix it", &"x".repeat(20_000)),
            good("g3"),
            "{\"findings\": []}".into(),
            good("g4"),
        ];
        let many: Vec<String> = (0..40).map(|i| good(&format!("m{i}"))).collect();
        let mut truncated = array(&many);
        truncated.truncate(truncated.len() * 2 / 3);
        let ndjson = format!("{}\n{}\n42", good("n1"), good("n2")).into_bytes();
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("mixed", array(&mixed)),
            ("many", array(&many)),
            ("truncated", truncated),
            ("ndjson ending in a bare value", ndjson),
            ("empty", b"[]".to_vec()),
            ("trailing comma", b"[{\"a\": 1},]".to_vec()),
            ("not json", b"hello".to_vec()),
        ];
        let options = DecoderOptions {
            batch_size: 3,
            max_finding_bytes: 16 << 10,
        };
        for (name, input) in &cases {
            let want = decode(input, 4096, options);
            for chunk in [1, 700, 5000, input.len()] {
                let got = decode_in_units(input, chunk, options);
                assert_eq!(got.rows(), want.rows(), "{name}, chunk {chunk}");
                assert_eq!(
                    format!("{:?}", got.report),
                    format!("{:?}", want.report),
                    "{name}, chunk {chunk}"
                );
                assert_eq!(got.identity, want.identity, "{name}, chunk {chunk}");
            }
        }
        let mixed = decode_in_units(&cases[0].1, 700, options);
        assert_eq!(uids(&mixed.batches), ["g1", "g3", "g4"]);
        assert_eq!(mixed.report.rejected, 5);
    }

    #[test]
    fn findings_with_the_same_unreadable_time_keep_their_own_fallback_times() {
        // Found by fuzzing: the time of the first was reused for the second, so the
        // second's scan time depended on whether the parallel ingest cut between them.
        let with = |uid: &str, event: &str| {
            finding(uid, "c", "FAIL", uid).replace(
                "\"time\": 1779069600, \"time_dt\": \"2026-05-18T02:00:00\"",
                &format!("\"time_dt\": \"not a time\", \"event_time\": \"{event}\""),
            )
        };
        let input = array(&[
            with("a", "2026-05-18T02:00:00"),
            with("b", "2026-03-16T03:20:18"),
        ]);
        for chunk in [1, 100, input.len()] {
            let d = decode(&input, chunk, DecoderOptions::default());
            let b = d.rows().unwrap();
            let times = b
                .column_by_name("scan_time")
                .unwrap()
                .as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
            let shown: Vec<String> = (0..2)
                .map(|i| {
                    chrono::DateTime::from_timestamp_micros(times.value(i))
                        .unwrap()
                        .to_rfc3339()
                })
                .collect();
            assert_eq!(
                shown,
                ["2026-05-18T02:00:00+00:00", "2026-03-16T03:20:18+00:00"],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn every_chunking_gives_the_same_batches() {
        let items: Vec<String> = (0..10)
            .map(|i| finding(&format!("u{i}"), "iam_x", "FAIL", &format!("arn:{i}")))
            .collect();
        let input = array(&items);
        let options = DecoderOptions {
            batch_size: 3,
            ..Default::default()
        };
        let want = decode(&input, input.len(), options);
        assert_eq!(
            want.batches
                .iter()
                .map(|b| b.num_rows())
                .collect::<Vec<_>>(),
            [3, 3, 3, 1]
        );
        for chunk in [1, 5, 97, 4096] {
            let got = decode(&input, chunk, options);
            assert_eq!(got.batches, want.batches, "chunk {chunk}");
        }
        assert_eq!(want.report.status(), ScanStatus::Succeeded);
        assert_eq!(want.report.counts.fail, 10);
    }

    #[test]
    fn evidence_pointers_address_the_raw_finding() {
        let items = vec![
            finding("a", "c", "PASS", "r1"),
            finding("b", "c", "FAIL", "r2"),
        ];
        let input = array(&items);
        let d = decode(&input, 7, DecoderOptions::default());
        let b = &d.batches[0];
        let off = b
            .column_by_name("source_offset")
            .unwrap()
            .as_primitive::<Int64Type>();
        let len = b
            .column_by_name("source_length")
            .unwrap()
            .as_primitive::<Int64Type>();
        for (i, item) in items.iter().enumerate() {
            let (o, l) = (off.value(i) as usize, len.value(i) as usize);
            assert_eq!(&input[o..o + l], item.as_bytes());
        }
    }

    #[test]
    fn identity_comes_from_the_first_finding() {
        let d = decode(
            &array(&[finding("a", "c", "PASS", "r")]),
            64,
            DecoderOptions::default(),
        );
        let id = d.identity.unwrap();
        assert_eq!(
            (id.run_id.as_str(), id.account.as_str()),
            ("scan-1", "111122223333")
        );
        assert_eq!(
            (id.week.to_string().as_str(), id.dt().as_str()),
            ("2026-W21", "2026-05-18")
        );
    }

    #[test]
    fn bad_elements_are_rejected_and_the_rest_land() {
        let good = |u: &str| finding(u, "c", "FAIL", u);
        let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        // Free-form resource data is skipped without recursion, however deep.
        let deep_data = good("deep-data").replace(
            "\"region\": \"us-east-1\", \"group\"",
            &format!(
                "\"region\": \"us-east-1\", \"data\": {{\"metadata\": {}1{}}}, \"group\"",
                "{\"k\": [".repeat(50_000),
                "]}".repeat(50_000)
            ),
        );
        assert!(deep_data.len() > 400_000);
        let mut invalid_utf8 = good("bad-utf8").into_bytes();
        let at = invalid_utf8
            .windows(6)
            .position(|w| w == b"detail")
            .unwrap();
        invalid_utf8[at] = 0xff;
        let mut input = b"[".to_vec();
        for part in [
            good("g1").into_bytes(),
            b"42".to_vec(),
            b"\"text\"".to_vec(),
            good("g2")
                .replace("\"uid\": \"g2\"", "\"nouid\": 1")
                .into_bytes(),
            good("g3")
                .replace("\"event_code\"", "\"code\"")
                .into_bytes(),
            good("g4").replace("2004", "2001").into_bytes(),
            b"{\"findings\": []}".to_vec(),
            invalid_utf8,
            deep_array.into_bytes(),
            deep_data.into_bytes(),
            good("g5").into_bytes(),
        ] {
            if input.len() > 1 {
                input.push(b',');
            }
            input.extend(part);
        }
        input.push(b']');
        let d = decode(&input, 1000, DecoderOptions::default());
        assert_eq!(uids(&d.batches), ["g1", "deep-data", "g5"]);
        let reasons: Vec<String> = d
            .report
            .rejections
            .iter()
            .map(|r| r.reason.to_string())
            .collect();
        assert_eq!(reasons.len(), 8, "{reasons:#?}");
        assert_eq!(reasons[0], "element is not a JSON object");
        assert_eq!(reasons[1], "element is not a JSON object");
        assert_eq!(
            reasons[2],
            "required field `finding_info.uid` is missing or empty"
        );
        assert_eq!(
            reasons[3],
            "required field `metadata.event_code` is missing or empty"
        );
        assert_eq!(
            reasons[4],
            "not a finding class lake reads (class_uid 2001)"
        );
        assert_eq!(
            reasons[5],
            "not an OCSF or ASFF finding (no metadata, finding_info or ASFF field)"
        );
        assert!(reasons[6].contains("invalid unicode"), "{}", reasons[6]);
        assert_eq!(reasons[7], "element is not a JSON object");
        assert_eq!(d.report.status(), ScanStatus::Partial);
        // Offsets point at the element.
        let r = &d.report.rejections[0];
        assert_eq!(
            &input[r.offset as usize..(r.offset + r.len) as usize],
            b"42"
        );
    }

    #[test]
    fn an_oversized_finding_is_rejected_without_being_held() {
        let big = finding("big", "c", "FAIL", "r").replace("fix it", &"x".repeat(200_000));
        let input = array(&[
            finding("a", "c", "PASS", "r"),
            big,
            finding("b", "c", "PASS", "s"),
        ]);
        let options = DecoderOptions {
            max_finding_bytes: 64 << 10,
            ..Default::default()
        };
        let d = decode(&input, 8192, options);
        assert_eq!(uids(&d.batches), ["a", "b"]);
        assert!(matches!(
            d.report.rejections[0].reason,
            RejectReason::TooLarge { .. }
        ));
    }

    #[test]
    fn a_truncated_file_keeps_the_findings_before_the_cut() {
        let items = [
            finding("a", "c", "PASS", "r"),
            finding("b", "c", "PASS", "s"),
        ];
        let mut input = array(&items);
        input.truncate(input.len() - 40);
        let d = decode(&input, 100, DecoderOptions::default());
        assert_eq!(uids(&d.batches), ["a"]);
        let fault = d.report.fault.clone().unwrap();
        assert_eq!(fault.offset as usize, items[0].len() + 2);
        assert_eq!(d.report.status(), ScanStatus::Partial);
        assert!(d.report.error().unwrap().contains("truncated"));
    }

    #[test]
    fn muted_findings_keep_their_status() {
        let muted = finding("m", "c", "FAIL", "r").replace("\"status_id\": 1", "\"status_id\": 3");
        let d = decode(&array(&[muted]), 64, DecoderOptions::default());
        let b = &d.batches[0];
        assert_eq!(
            b.column_by_name("status_code")
                .unwrap()
                .as_string::<i32>()
                .value(0),
            "FAIL"
        );
        assert!(b.column_by_name("muted").unwrap().as_boolean().value(0));
        assert_eq!((d.report.counts.fail, d.report.counts.muted), (1, 1));
    }

    #[test]
    fn an_empty_array_succeeds_with_nothing() {
        let d = decode(b"[]", 1, DecoderOptions::default());
        assert!(d.batches.is_empty());
        assert_eq!(d.report.status(), ScanStatus::Succeeded);
        assert!(d.identity.is_none());
    }

    #[test]
    fn a_file_of_non_findings_fails() {
        let d = decode(b"[{\"a\": 1}, {\"b\": 2}]", 1, DecoderOptions::default());
        assert_eq!(d.report.status(), ScanStatus::Failed);
        assert_eq!(d.report.rejected, 2);
        assert_eq!(
            d.report.error().unwrap(),
            "byte 1: not an OCSF or ASFF finding (no metadata, finding_info or ASFF field) (and 1 more rejected)"
        );
    }
}
