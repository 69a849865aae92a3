//! Whole decodes of an in-memory source, pushed in chosen chunk sizes: what the tests, the
//! property tests and the fuzz targets (`fuzz/`) compare.
//!
//! The ingest reads a source in whatever pieces the file system or S3 hands it, and on
//! several cores splits it into [`Unit`]s decoded out of order. Both paths must give the same
//! rows, report and identity for every chunking; [`stream`] and [`units`] replay each path
//! over a byte slice so that this can be checked on any input.

use arrow::record_batch::RecordBatch;

use crate::decoder::UnitDecoder;
use crate::decoder::{DecodeReport, DecodedUnit, DecoderOptions, OcsfDecoder, Splitter, Unit};
use crate::frame::{Element, ElementBytes, ElementKind, FrameError, Framer};
use crate::identity::{Overrides, PathHints, ScanIdentity};

/// What a whole decode of a source gave.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The batches, in source order.
    pub batches: Vec<RecordBatch>,
    /// The report (counts, rejections, the fault that ended reading).
    pub report: DecodeReport,
    /// The scan identity, when a finding was kept.
    pub identity: Option<ScanIdentity>,
}

impl Decoded {
    /// All rows in one batch (`None` when none landed).
    pub fn rows(&self) -> Option<RecordBatch> {
        let schema = self.batches.first()?.schema();
        Some(
            arrow::compute::concat_batches(&schema, &self.batches)
                .expect("batches of one decoder share a schema"),
        )
    }
}

/// The pieces of `input` of the sizes `sizes` cycles through (a size 0 counts as 1).
fn pieces<'a>(input: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut at = 0;
    let mut i = 0;
    std::iter::from_fn(move || {
        if at >= input.len() {
            return None;
        }
        let size = sizes
            .get(i % sizes.len().max(1))
            .copied()
            .unwrap_or(usize::MAX);
        i += 1;
        let end = at.saturating_add(size.max(1)).min(input.len());
        let piece = &input[at..end];
        at = end;
        Some(piece)
    })
}

/// Decodes `input` with one [`OcsfDecoder`], pushed in pieces of the sizes `sizes` cycles
/// through (all of it at once when `sizes` is empty), flushing whenever a batch is full.
pub fn stream(input: &[u8], sizes: &[usize], options: DecoderOptions) -> Decoded {
    let mut d = OcsfDecoder::new(
        "mem://replay",
        PathHints::default(),
        Overrides::default(),
        options,
    );
    let mut batches = Vec::new();
    'outer: for piece in pieces(input, sizes) {
        let mut rest = piece;
        while !rest.is_empty() {
            match d.decode(rest) {
                Ok(n) => rest = &rest[n..],
                Err(_) => break 'outer,
            }
            if d.is_full() {
                batches.extend(d.flush().expect("a full batch builds"));
            }
        }
    }
    let _ = d.finish();
    batches.extend(d.flush().expect("the last batch builds"));
    Decoded {
        batches,
        report: d.report().clone(),
        identity: d.identity().cloned(),
    }
}

/// Decodes `input` as the ingest does on several cores: framed into [`Unit`]s by a
/// [`Splitter`] fed pieces of the sizes `sizes` cycles through, the first units decoded in
/// order until the identity is known, the rest on clones of the decoder in reverse order.
pub fn units(input: &[u8], sizes: &[usize], options: DecoderOptions) -> Decoded {
    let mut splitter = Splitter::new(options.max_finding_bytes);
    let mut framed: Vec<Unit> = Vec::new();
    for piece in pieces(input, sizes) {
        let (unit, fault) = splitter.frame(piece.to_vec());
        framed.push(unit);
        if fault.is_some() {
            break;
        }
    }
    let (last, _) = splitter.finish();
    framed.extend(last);
    let mut decoder = UnitDecoder::new(
        "mem://replay",
        PathHints::default(),
        Overrides::default(),
        options,
    );
    let mut decoded: Vec<Option<DecodedUnit>> = framed.iter().map(|_| None).collect();
    let mut next = 0;
    while next < framed.len() && decoder.identity().is_none() {
        decoded[next] = Some(decoder.decode(&framed[next]).expect("a unit decodes"));
        next += 1;
    }
    for i in (next..framed.len()).rev() {
        decoded[i] = Some(decoder.clone().decode(&framed[i]).expect("a unit decodes"));
    }
    let mut report = splitter.report();
    let mut batches = Vec::new();
    for unit in decoded.into_iter().flatten() {
        report.absorb(unit.report);
        batches.extend(unit.batches);
    }
    Decoded {
        batches,
        report,
        identity: decoder.identity().cloned(),
    }
}

/// Checks what every decode of `input` must satisfy, whatever the bytes: no batch larger
/// than `options.batch_size`, every offset (of the fault, of each rejection, of each
/// row's evidence pointer) within the input, and each row's pointer addressing an element
/// that starts with `{` and ends with `}`. Returns the first broken rule.
pub fn check_invariants(
    input: &[u8],
    decoded: &Decoded,
    options: DecoderOptions,
) -> Result<(), String> {
    use arrow::array::AsArray;
    use arrow::datatypes::Int64Type;

    let len = input.len() as u64;
    if let Some(f) = &decoded.report.fault {
        if f.offset > len {
            return Err(format!("fault at byte {} of {len}: {}", f.offset, f.fault));
        }
    }
    for r in &decoded.report.rejections {
        if r.offset.saturating_add(r.len) > len {
            return Err(format!(
                "rejection at bytes {}+{} of {len}: {}",
                r.offset, r.len, r.reason
            ));
        }
    }
    for b in &decoded.batches {
        if b.num_rows() > options.batch_size {
            return Err(format!("a batch of {} rows", b.num_rows()));
        }
        let (Some(off), Some(n)) = (
            b.column_by_name("source_offset"),
            b.column_by_name("source_length"),
        ) else {
            return Err("a batch without evidence pointers".into());
        };
        let (off, n) = (
            off.as_primitive::<Int64Type>(),
            n.as_primitive::<Int64Type>(),
        );
        for i in 0..b.num_rows() {
            let (o, l) = (off.value(i), n.value(i));
            let (Ok(o), Ok(l)) = (usize::try_from(o), usize::try_from(l)) else {
                return Err(format!("row {i}: pointer {o}+{l}"));
            };
            let Some(element) = o.checked_add(l).and_then(|end| input.get(o..end)) else {
                return Err(format!("row {i}: pointer {o}+{l} past {len} bytes"));
            };
            if element.first() != Some(&b'{') || element.last() != Some(&b'}') {
                return Err(format!("row {i}: pointer {o}+{l} is not an object"));
            }
        }
    }
    Ok(())
}

/// Why two decodes of one input differ (`None` when they agree on rows, report and identity).
pub fn difference(a: &Decoded, b: &Decoded) -> Option<String> {
    if a.rows() != b.rows() {
        return Some("rows differ".into());
    }
    let (ra, rb) = (format!("{:?}", a.report), format!("{:?}", b.report));
    if ra != rb {
        return Some(format!("reports differ:\n{ra}\n{rb}"));
    }
    if a.identity != b.identity {
        return Some(format!(
            "identities differ: {:?} / {:?}",
            a.identity, b.identity
        ));
    }
    None
}

/// A source made of real findings with mutations chosen by `pick` (`pick(n)` returns a
/// number below `n`: a seeded generator in property tests, the fuzzer's bytes in `fuzz/`):
/// values replaced by others of every JSON type and by edge cases (empty, huge, deep,
/// control characters, surrogates), keys removed or repeated, then the whole written as a
/// pretty array, a compact array, NDJSON or a `{"Findings": [...]}` object, and sometimes cut
/// or corrupted at one byte.
pub fn mutated_source(
    findings: &[serde_json::Value],
    pick: &mut dyn FnMut(usize) -> usize,
) -> Vec<u8> {
    let count = pick(6);
    let mut texts: Vec<Vec<u8>> = Vec::new();
    for _ in 0..count {
        let Some(base) = findings.get(pick(findings.len().max(1))) else {
            break;
        };
        let mut value = base.clone();
        for _ in 0..pick(4) {
            mutate_value(&mut value, pick);
        }
        let mut text = if pick(2) == 0 {
            serde_json::to_vec_pretty(&value)
        } else {
            serde_json::to_vec(&value)
        }
        .expect("a JSON value serializes");
        if pick(8) == 0 {
            mutate_text(&mut text, pick);
        }
        texts.push(text);
    }
    let mut out = Vec::new();
    let shape = pick(8);
    if shape < 2 {
        for t in &texts {
            out.extend_from_slice(t);
            out.push(b'\n');
        }
    } else {
        // A plain array, or one wrapped as `get-findings` prints it.
        let wrapped = shape == 2;
        if wrapped {
            out.extend_from_slice(b"{\n  \"Findings\": ");
        }
        out.push(b'[');
        for (i, t) in texts.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            out.extend_from_slice(t);
        }
        out.push(b']');
        if wrapped {
            out.extend_from_slice(b",\n  \"NextToken\": \"a,b]}\"\n}");
        }
    }
    if pick(6) == 0 {
        mutate_text(&mut out, pick);
    }
    out
}

/// Replaces, removes or adds one value somewhere in `value`.
fn mutate_value(value: &mut serde_json::Value, pick: &mut dyn FnMut(usize) -> usize) {
    use serde_json::Value;
    // Walk down a random path, stopping at some depth.
    let mut node = value;
    loop {
        let stop = pick(3) == 0;
        let next_index = match &*node {
            Value::Object(m) if !m.is_empty() && !stop => Some(pick(m.len())),
            Value::Array(a) if !a.is_empty() && !stop => Some(pick(a.len())),
            _ => None,
        };
        let Some(i) = next_index else { break };
        node = match node {
            Value::Object(m) => m.values_mut().nth(i).expect("index below the length"),
            Value::Array(a) => &mut a[i],
            _ => unreachable!("only containers have an index"),
        };
    }
    match pick(4) {
        // remove a key of an object (or empty an array)
        0 => match node {
            Value::Object(m) => {
                if let Some(k) = m.keys().nth(pick(m.len().max(1))).cloned() {
                    m.remove(&k);
                }
            }
            Value::Array(a) => a.clear(),
            other => *other = Value::Null,
        },
        // add a key
        1 => {
            if let Value::Object(m) = node {
                m.insert(format!("k{}", pick(3)), edge_value(pick));
            } else {
                *node = edge_value(pick);
            }
        }
        _ => *node = edge_value(pick),
    }
}

/// One of the values parsers get wrong.
fn edge_value(pick: &mut dyn FnMut(usize) -> usize) -> serde_json::Value {
    use serde_json::{json, Value};
    match pick(16) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(u64::MAX),
        5 => json!(1.5e300),
        6 => json!(""),
        7 => json!("x".repeat(70_000)),
        8 => json!("\u{0}\u{1f}\"\\/\u{7f}é\u{10ffff}"),
        9 => json!([]),
        10 => json!({}),
        11 => {
            let mut v = json!(1);
            for _ in 0..pick(300) {
                v = json!([v]);
            }
            v
        }
        12 => json!("2026-05-18T02:00:00+02:00"),
        13 => json!(1_779_069_600_000_i64),
        14 => json!(["a", 1, null, {"b": []}]),
        _ => json!("FAIL"),
    }
}

/// Cuts `text` short, or corrupts, inserts or removes one byte of it.
fn mutate_text(text: &mut Vec<u8>, pick: &mut dyn FnMut(usize) -> usize) {
    if text.is_empty() {
        return;
    }
    let at = pick(text.len());
    match pick(5) {
        0 => text.truncate(at),
        1 => text[at] = [0xff, 0xc3, b'"', b'\\', b'{', b'}', b'[', b']', b',', 0][pick(10)],
        2 => text.insert(at, [b'"', b'\\', b'{', b'[', b',', b'\n', 0xe2][pick(7)]),
        3 => {
            text.remove(at);
        }
        _ => text.extend_from_slice(b"\\ud800\""),
    }
}

/// Decodes `input` in the ways the ingest can, and checks they agree and keep the
/// invariants ([`check_invariants`]): in one piece, in pieces of the sizes `sizes` cycles
/// through, and in units framed from those pieces. Returns the first disagreement.
pub fn check_chunkings(
    input: &[u8],
    sizes: &[usize],
    options: DecoderOptions,
) -> Result<Decoded, String> {
    let whole = stream(input, &[], options);
    check_invariants(input, &whole, options)?;
    let chunked = stream(input, sizes, options);
    if let Some(d) = difference(&whole, &chunked) {
        return Err(format!("whole vs pieces {sizes:?}: {d}"));
    }
    let framed = units(input, sizes, options);
    check_invariants(input, &framed, options)?;
    if let Some(d) = difference(&whole, &framed) {
        return Err(format!("whole vs units of pieces {sizes:?}: {d}"));
    }
    Ok(whole)
}

/// What the framer alone makes of a source: each element's offset, length, kind, depth and
/// bytes (none when oversized), then the fault that ended the stream, if any.
pub type Framed = (
    Vec<(u64, u64, ElementKind, u32, Option<Vec<u8>>)>,
    Option<FrameError>,
);

/// Frames `input` pushed in pieces of the sizes `sizes` cycles through (whole when empty).
pub fn frame(input: &[u8], sizes: &[usize], max_element: usize) -> Framed {
    frame_with(Framer::new(max_element), input, sizes)
}

/// [`frame`] with the reference framer that scans byte by byte ([`Framer::byte_by_byte`]).
pub fn frame_byte_by_byte(input: &[u8], sizes: &[usize], max_element: usize) -> Framed {
    frame_with(Framer::byte_by_byte(max_element), input, sizes)
}

fn frame_with(mut framer: Framer, input: &[u8], sizes: &[usize]) -> Framed {
    let mut elements = Vec::new();
    let keep = |e: Element, input: &[u8], pending: &[u8]| {
        let bytes = match &e.bytes {
            ElementBytes::Input(r) => Some(input[r.clone()].to_vec()),
            ElementBytes::Pending => Some(pending.to_vec()),
            ElementBytes::Oversized => None,
        };
        (e.offset, e.len, e.kind, e.max_depth, bytes)
    };
    for piece in pieces(input, sizes) {
        let mut rest = piece;
        while !rest.is_empty() {
            match framer.scan(rest) {
                Ok(scan) => {
                    if let Some(e) = scan.element {
                        elements.push(keep(e, rest, framer.pending()));
                    }
                    rest = &rest[scan.consumed..];
                }
                Err(e) => return (elements, Some(e)),
            }
        }
    }
    match framer.finish() {
        Ok(Some(e)) => {
            elements.push(keep(e, &[], framer.pending()));
            (elements, None)
        }
        Ok(None) => (elements, None),
        Err(e) => (elements, Some(e)),
    }
}

/// Checks that framing `input` in pieces of `sizes` gives what framing it whole gives, and
/// what the byte-by-byte reference framer gives whole and in those pieces, that every
/// element's bytes are the input's at its offset (or it is oversized, and longer than
/// `max_element`), and that the fault lies within the input.
pub fn check_framing(input: &[u8], sizes: &[usize], max_element: usize) -> Result<(), String> {
    let whole = frame(input, &[], max_element);
    let pieces = frame(input, sizes, max_element);
    if whole != pieces {
        return Err(format!("whole vs pieces {sizes:?}:\n{whole:?}\n{pieces:?}"));
    }
    for sizes in [&[][..], sizes] {
        let reference = frame_byte_by_byte(input, sizes, max_element);
        if whole != reference {
            return Err(format!(
                "blocks vs byte by byte {sizes:?}:\n{whole:?}\n{reference:?}"
            ));
        }
    }
    for (offset, len, _, _, bytes) in &whole.0 {
        let at = usize::try_from(*offset).ok();
        let end = at.and_then(|a| a.checked_add(usize::try_from(*len).ok()?));
        let Some(slice) = at.zip(end).and_then(|(a, e)| input.get(a..e)) else {
            return Err(format!("element {offset}+{len} past {} bytes", input.len()));
        };
        match bytes {
            Some(b) if b.as_slice() != slice => {
                return Err(format!(
                    "element {offset}+{len}: bytes differ from the input's"
                ))
            }
            None if slice.len() <= max_element => {
                return Err(format!("element {offset}+{len} called oversized"))
            }
            _ => {}
        }
    }
    if let Some(e) = &whole.1 {
        if e.offset > input.len() as u64 {
            return Err(format!("fault at {} past {} bytes", e.offset, input.len()));
        }
    }
    Ok(())
}
