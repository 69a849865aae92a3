//! Splits a byte stream into top-level JSON elements without parsing them.
//!
//! The framer is fed chunks of any size and finds where each element of a top-level array
//! (or each value of an NDJSON / concatenated stream) begins and ends. Inside an element it
//! only looks for quotes, backslashes and the element's own brackets (with `memchr`), so it
//! runs far faster than a parser and holds at most one element: an element that completes
//! inside the chunk is handed out as a slice of that chunk; only an element that straddles
//! chunks is copied, and one larger than the limit is skipped without being kept.
//!
//! A stream may also be one object whose first member is the array of findings,
//! `{"Findings": [...], "NextToken": ...}`: what `aws securityhub get-findings` (ASFF) and
//! `get-findings-v2` (OCSF) print. The framer recognises the opening `{"Findings": [` (in any
//! chunking) and frames the array's elements as those of a plain array; the members after it
//! are skipped, and the closing `}` is required like an array's `]`.
//!
//! Repairs it makes, reported as warnings: a trailing comma before `]`, and `][` between
//! two arrays (Prowler 4.0.0 wrote that). Faults that end the stream: data that is not a
//! JSON array or value stream, a missing `,` between elements, data after the array, and a
//! stream that ends inside the array (a truncated file).

use memchr::memchr2;

use crate::structural;

/// How an element of the stream starts, which decides how its end is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElementKind {
    /// `{ ... }`
    Object,
    /// `[ ... ]`
    Array,
    /// `"..."`
    String,
    /// A number, `true`, `false`, `null`, or stray bytes.
    Bare,
}

/// Where the bytes of a framed element are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElementBytes {
    /// In the chunk just scanned, at this range.
    Input(std::ops::Range<usize>),
    /// In [`Framer::pending`] (it straddled chunks).
    Pending,
    /// Larger than the limit; the bytes were not kept.
    Oversized,
}

/// One complete element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Absolute byte offset of its first byte in the stream.
    pub offset: u64,
    /// Its length in bytes.
    pub len: u64,
    /// How it starts.
    pub kind: ElementKind,
    /// Where its bytes are.
    pub bytes: ElementBytes,
    /// The deepest nesting of brackets (objects and arrays) in it; 0 for a string or bare value.
    pub max_depth: u32,
}

/// A fault that ends the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameError {
    /// Absolute byte offset of the fault.
    pub offset: u64,
    /// What is wrong.
    pub reason: FrameFault,
}

/// The kinds of stream faults.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameFault {
    /// No bytes but whitespace.
    #[error("the file is empty")]
    Empty,
    /// The first byte is neither `[` nor `{`.
    #[error("not a JSON array or NDJSON: starts with {0}")]
    NotJsonStream(String),
    /// gzip's magic byte first: a compressed export.
    #[error(
        "gzip-compressed (starts with byte 0x1f): decompress it first (gunzip), lake reads JSON"
    )]
    Compressed,
    /// Something other than `,` or `]` after an element.
    #[error("expected ',' or ']' after a finding, found {0}")]
    ExpectedCommaOrEnd(String),
    /// `,` followed by `,`.
    #[error("empty element between two commas")]
    EmptyElement,
    /// Bytes after the closing `]` that do not open another array.
    #[error("unexpected {0} after the end of the array")]
    TrailingData(String),
    /// The stream ended inside the array.
    #[error("the file ends before the array is closed (truncated; {0})")]
    Truncated(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// After `[`: an element or `]`.
    ArrayFirst,
    /// After an element: `,` or `]`.
    ArrayAfterElement,
    /// After `,`: an element (or `]`, repaired).
    ArrayAfterComma,
    /// After the closing `]`.
    AfterArray,
    /// NDJSON / concatenated values, between elements.
    Values,
    InElement,
    /// After a first `{`: telling `{"Findings": [` from an NDJSON object.
    Probe,
    /// After the `}` closing a `{"Findings": [...]}` object.
    WrapperEnd,
}

/// The opening of a `{"Findings": [...]}` object, after its `{`.
const WRAPPER_KEY: &[u8] = b"\"Findings\"";

/// Longest probe kept: past this, whitespace and all, the `{` opens an NDJSON object.
const MAX_PROBE: usize = 4096;

/// Whether `probe` (starting with `{`) is the opening of `{"Findings": [`: `Some(true)` when
/// it is whole, `Some(false)` when it could still become one, `None` when it cannot.
fn probe_match(probe: &[u8]) -> Option<bool> {
    let mut i = 1;
    let ws = |i: &mut usize| {
        while probe.get(*i).is_some_and(|&b| is_ws(b)) {
            *i += 1;
        }
    };
    ws(&mut i);
    for &want in WRAPPER_KEY {
        match probe.get(i) {
            None => return Some(false),
            Some(&b) if b == want => i += 1,
            Some(_) => return None,
        }
    }
    for want in [b':', b'['] {
        ws(&mut i);
        match probe.get(i) {
            None => return Some(false),
            Some(&b) if b == want => i += 1,
            Some(_) => return None,
        }
    }
    Some(i == probe.len())
}

/// The push framer. See the module docs.
#[derive(Debug)]
pub struct Framer {
    state: State,
    in_array: bool,
    /// Absolute offset of the next byte to be scanned.
    pos: u64,
    kind: ElementKind,
    start: u64,
    depth: u64,
    /// Brackets of either kind open now, and the most open at once in this element.
    nesting: u32,
    max_nesting: u32,
    in_string: bool,
    escape: bool,
    oversized: bool,
    max_element: usize,
    pending: Vec<u8>,
    warnings: Vec<String>,
    /// The bytes from a first `{` while [`State::Probe`] tells what it opens.
    probe: Vec<u8>,
    /// Offset of that `{`.
    probe_start: u64,
    /// Inside `{"Findings": [...]}`.
    wrapped: bool,
    /// Skipping the members after the wrapper's array (an [`State::InElement`] that is no
    /// element).
    tail: bool,
    /// Objects and arrays are scanned 64 bytes at a time (else byte by byte: the reference).
    blocks: bool,
}

/// The result of one [`Framer::scan`] call.
#[derive(Debug)]
pub struct Scan {
    /// Bytes of the input consumed.
    pub consumed: usize,
    /// The element completed by them, if any.
    pub element: Option<Element>,
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}'", char::from(b))
    } else {
        format!("byte 0x{b:02x}")
    }
}

/// The number of spaces `input` starts with, counted 8 bytes at a time: the indentation
/// after a newline, which in Prowler's pretty-printed output (4 spaces per level, findings
/// nested 3-6 levels deep) is about a third of all bytes. A shorter tail than 8 bytes is
/// left to the byte loop.
fn spaces(input: &[u8]) -> usize {
    const SPACES: u64 = u64::from_le_bytes([b' '; 8]);
    let mut n = 0;
    while let Some(chunk) = input.get(n..n + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let other = u64::from_le_bytes(word) ^ SPACES;
        if other != 0 {
            // The first byte that is not a space (little-endian: the lowest set byte).
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

impl Framer {
    /// A framer that skips (and reports as oversized) elements longer than `max_element` bytes.
    pub fn new(max_element: usize) -> Self {
        Framer {
            state: State::Start,
            in_array: false,
            pos: 0,
            kind: ElementKind::Object,
            start: 0,
            depth: 0,
            nesting: 0,
            max_nesting: 0,
            in_string: false,
            escape: false,
            oversized: false,
            max_element,
            pending: Vec::new(),
            warnings: Vec::new(),
            probe: Vec::new(),
            probe_start: 0,
            wrapped: false,
            tail: false,
            blocks: structural::SIMD,
        }
    }

    /// A framer that scans every byte in turn: the reference that the block scanner (what
    /// [`Framer::new`] uses) is tested against. Same elements, same faults, slower.
    pub fn byte_by_byte(max_element: usize) -> Self {
        Framer {
            blocks: false,
            ..Framer::new(max_element)
        }
    }

    /// Bytes scanned so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The bytes of an element reported as [`ElementBytes::Pending`]; valid until the next scan.
    pub fn pending(&self) -> &[u8] {
        &self.pending
    }

    /// Repairs made so far.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Whether the stream is an array (`false` for NDJSON or before the first byte).
    pub fn is_array(&self) -> bool {
        self.in_array
    }

    /// Scans `input` until one element completes or the input is used up.
    pub fn scan(&mut self, input: &[u8]) -> Result<Scan, FrameError> {
        if self.state != State::InElement {
            self.pending.clear();
        }
        let mut i = 0;
        while i < input.len() {
            if self.state == State::InElement {
                let elem_start_in_input = if self.start >= self.pos - i as u64 {
                    Some((self.start - (self.pos - i as u64)) as usize)
                } else {
                    None
                };
                // `self.pos` is the offset of input[i]; rebase so that it is of input[0].
                let base = self.pos - i as u64;
                match self.scan_element(&input[i..]) {
                    Some(end_rel) if self.tail => {
                        // The wrapper object closed: no element.
                        i += end_rel;
                        self.pos = base + i as u64;
                        self.tail = false;
                        self.state = State::WrapperEnd;
                        continue;
                    }
                    Some(end_rel) => {
                        let end = i + end_rel; // exclusive, in input
                        self.pos = base + end as u64;
                        let len = self.pos - self.start;
                        let bytes = if self.oversized || len > self.max_element as u64 {
                            ElementBytes::Oversized
                        } else if let Some(s) = elem_start_in_input {
                            ElementBytes::Input(s..end)
                        } else {
                            self.pending.extend_from_slice(&input[..end]);
                            ElementBytes::Pending
                        };
                        self.state = if self.in_array {
                            State::ArrayAfterElement
                        } else {
                            State::Values
                        };
                        let element = Element {
                            offset: self.start,
                            len,
                            kind: self.kind,
                            bytes,
                            max_depth: self.max_nesting,
                        };
                        return Ok(Scan {
                            consumed: end,
                            element: Some(element),
                        });
                    }
                    None => {
                        self.pos = base + input.len() as u64;
                        let keep_from = elem_start_in_input.unwrap_or(0);
                        if !self.oversized && !self.tail {
                            let total = self.pos - self.start;
                            if total > self.max_element as u64 {
                                self.oversized = true;
                                self.pending = Vec::new();
                            } else {
                                self.pending.extend_from_slice(&input[keep_from..]);
                            }
                        }
                        return Ok(Scan {
                            consumed: input.len(),
                            element: None,
                        });
                    }
                }
            }
            let b = input[i];
            let at = self.pos;
            if self.state == State::Probe {
                self.probe.push(b);
                match probe_match(&self.probe) {
                    Some(true) => {
                        self.probe = Vec::new();
                        self.wrapped = true;
                        self.in_array = true;
                        self.state = State::ArrayFirst;
                    }
                    Some(false) if self.probe.len() <= MAX_PROBE => {}
                    _ => {
                        // An NDJSON object: it began at the `{`; scan what the probe held
                        // but this byte, then go on from this byte.
                        self.probe.pop();
                        let probe = std::mem::take(&mut self.probe);
                        self.pos = self.probe_start;
                        self.begin_element(b'{');
                        // The probe cannot hold a whole object (it has no `}` at depth 0).
                        let _ = self.scan_element(&probe);
                        self.pos = at;
                        let earlier = probe.len().saturating_sub(i);
                        self.pending.extend_from_slice(&probe[..earlier]);
                        continue;
                    }
                }
                i += 1;
                self.pos += 1;
                continue;
            }
            if is_ws(b) {
                i += 1;
                self.pos += 1;
                continue;
            }
            match self.state {
                State::Start => {
                    // A UTF-8 byte order mark, possibly split across chunks.
                    if at < 3 && b == b"\xEF\xBB\xBF"[at as usize] {
                        i += 1;
                        self.pos += 1;
                        continue;
                    }
                    match b {
                        b'[' => {
                            self.in_array = true;
                            self.state = State::ArrayFirst;
                        }
                        b'{' => {
                            // `{"Findings": [` or an NDJSON object: the probe tells.
                            self.state = State::Probe;
                            self.probe_start = at;
                            self.probe.clear();
                            continue; // the probe takes this byte
                        }
                        0x1f => return Err(self.fault(at, FrameFault::Compressed)),
                        _ => return Err(self.fault(at, FrameFault::NotJsonStream(describe(b)))),
                    }
                }
                State::ArrayFirst | State::ArrayAfterComma if b == b']' => {
                    if self.state == State::ArrayAfterComma {
                        self.warnings
                            .push(format!("trailing comma before ']' at byte {at} (ignored)"));
                    }
                    self.state = State::AfterArray;
                }
                State::ArrayAfterComma if b == b',' => {
                    return Err(self.fault(at, FrameFault::EmptyElement));
                }
                State::ArrayFirst | State::ArrayAfterComma | State::Values => {
                    self.begin_element(b);
                    // The element's first byte is scanned by scan_element.
                    continue;
                }
                State::ArrayAfterElement => match b {
                    b',' => self.state = State::ArrayAfterComma,
                    b']' => self.state = State::AfterArray,
                    _ => return Err(self.fault(at, FrameFault::ExpectedCommaOrEnd(describe(b)))),
                },
                State::AfterArray if self.wrapped => match b {
                    b'}' => self.state = State::WrapperEnd,
                    b',' => {
                        // The members after the array: skipped like an object's insides.
                        self.begin_element(b'{');
                        self.depth = 1;
                        self.nesting = 1;
                        self.tail = true;
                    }
                    _ => return Err(self.fault(at, FrameFault::TrailingData(describe(b)))),
                },
                State::WrapperEnd => {
                    return Err(self.fault(at, FrameFault::TrailingData(describe(b))));
                }
                State::AfterArray => match b {
                    b'[' => {
                        self.warnings.push(format!(
                            "a second array starts at byte {at} (`][` between findings); read as one"
                        ));
                        self.state = State::ArrayFirst;
                    }
                    _ => return Err(self.fault(at, FrameFault::TrailingData(describe(b)))),
                },
                State::InElement | State::Probe => unreachable!("handled above"),
            }
            i += 1;
            self.pos += 1;
        }
        Ok(Scan {
            consumed: input.len(),
            element: None,
        })
    }

    /// Checks the end of the stream. Returns a last element that needed the end to complete
    /// (a bare value on the last line of NDJSON).
    pub fn finish(&mut self) -> Result<Option<Element>, FrameError> {
        let at = self.pos;
        match self.state {
            State::Start => Err(self.fault(at, FrameFault::Empty)),
            State::AfterArray if self.wrapped => Err(self.fault(
                at,
                FrameFault::Truncated("no '}' closing the Findings object"),
            )),
            State::InElement if self.tail => Err(self.fault(
                at,
                FrameFault::Truncated("no '}' closing the Findings object"),
            )),
            State::Probe => Err(FrameError {
                offset: self.probe_start,
                reason: FrameFault::Truncated("the last finding is cut off"),
            }),
            State::AfterArray | State::Values | State::WrapperEnd => Ok(None),
            State::ArrayFirst | State::ArrayAfterComma => {
                Err(self.fault(at, FrameFault::Truncated("no ']' after the last finding")))
            }
            State::ArrayAfterElement => {
                Err(self.fault(at, FrameFault::Truncated("no ']' after the last finding")))
            }
            State::InElement if self.kind == ElementKind::Bare && !self.in_array => {
                self.state = State::Values;
                Ok(Some(Element {
                    offset: self.start,
                    len: at - self.start,
                    kind: self.kind,
                    max_depth: 0,
                    bytes: if self.oversized {
                        ElementBytes::Oversized
                    } else {
                        ElementBytes::Pending
                    },
                }))
            }
            State::InElement => {
                let start = self.start;
                Err(FrameError {
                    offset: start,
                    reason: FrameFault::Truncated("the last finding is cut off"),
                })
            }
        }
    }

    fn fault(&mut self, offset: u64, reason: FrameFault) -> FrameError {
        FrameError { offset, reason }
    }

    fn begin_element(&mut self, first: u8) {
        self.state = State::InElement;
        self.start = self.pos;
        self.depth = 0;
        self.nesting = 0;
        self.max_nesting = 0;
        self.in_string = false;
        self.escape = false;
        self.oversized = false;
        self.pending.clear();
        self.kind = match first {
            b'{' => ElementKind::Object,
            b'[' => ElementKind::Array,
            b'"' => ElementKind::String,
            _ => ElementKind::Bare,
        };
    }

    /// Scans inside the current element. Returns the end (exclusive) within `input` when the
    /// element completes there.
    fn scan_element(&mut self, input: &[u8]) -> Option<usize> {
        match self.kind {
            ElementKind::Object | ElementKind::Array if self.blocks => self.scan_blocks(input),
            _ => self.scan_bytes(input),
        }
    }

    /// [`Framer::scan_bytes`] for an object or array, 64 bytes at a time: the block's
    /// quotes, brackets and backslashes as bit masks ([`structural::find_in_blocks`]); "inside a
    /// string" as the prefix XOR of the quotes; then only the brackets outside strings are
    /// visited, in order, to count the nesting. A block with a backslash in it (or after
    /// one) goes byte by byte, which knows escapes: rare in findings, and so the two
    /// scanners cannot disagree on what an escape is. The tail shorter than a block goes
    /// byte by byte too.
    fn scan_blocks(&mut self, input: &[u8]) -> Option<usize> {
        let kind = self.kind;
        let found = structural::find_in_blocks(input, |i, block, m| {
            if self.escape || m.backslash != 0 {
                return self.scan_bytes(block).map(|end| i + end);
            }
            let carried = if self.in_string { u64::MAX } else { 0 };
            let inside = structural::prefix_xor(m.quote) ^ carried;
            let opens = m.open & !inside;
            let mut brackets = (m.open | m.close) & !inside;
            while brackets != 0 {
                let at = brackets.trailing_zeros() as usize;
                brackets &= brackets - 1;
                // `{` and `}` are the object's own brackets, `[` and `]` the array's.
                let own = (block[at] < b'a') == (kind == ElementKind::Array);
                if opens & (1 << at) != 0 {
                    self.nesting += 1;
                    self.max_nesting = self.max_nesting.max(self.nesting);
                    if own {
                        self.depth += 1;
                    }
                } else {
                    self.nesting = self.nesting.saturating_sub(1);
                    if own {
                        self.depth -= 1;
                        if self.depth == 0 {
                            return Some(i + at + 1);
                        }
                    }
                }
            }
            self.in_string = inside >> 63 == 1;
            None
        });
        match found {
            Ok(end) => Some(end),
            Err(i) => self.scan_bytes(&input[i..]).map(|end| i + end),
        }
    }

    /// Scans inside the current element byte by byte (strings with `memchr`).
    fn scan_bytes(&mut self, input: &[u8]) -> Option<usize> {
        let mut i = 0;
        let (open, close) = match self.kind {
            ElementKind::Array => (b'[', b']'),
            _ => (b'{', b'}'),
        };
        loop {
            if self.escape {
                if i >= input.len() {
                    return None;
                }
                self.escape = false;
                i += 1;
                continue;
            }
            if self.in_string {
                match memchr2(b'"', b'\\', &input[i..]) {
                    None => return None,
                    Some(j) => {
                        i += j;
                        if input[i] == b'\\' {
                            self.escape = true;
                        } else {
                            self.in_string = false;
                            if self.kind == ElementKind::String {
                                return Some(i + 1);
                            }
                        }
                        i += 1;
                    }
                }
                continue;
            }
            match self.kind {
                ElementKind::Bare => {
                    let j = input[i..]
                        .iter()
                        .position(|&b| is_ws(b) || matches!(b, b',' | b']' | b'}' | b'[' | b'{'));
                    return match j {
                        // A bare value is at least one byte long.
                        Some(0) if self.pos == self.start && i == 0 => Some(1),
                        Some(j) => Some(i + j),
                        None => None,
                    };
                }
                ElementKind::String => {
                    // The opening quote.
                    self.in_string = true;
                    i += 1;
                    continue;
                }
                ElementKind::Object | ElementKind::Array => {}
            }
            // Byte by byte outside strings (a few bytes each: `": "`, an indent), to measure the
            // nesting of both bracket kinds, which decides whether the recursive fast parser
            // may take the element. It costs framing speed (BENCHMARKS.md, stages).
            loop {
                let &b = input.get(i)?;
                i += 1;
                match b {
                    b'"' => {
                        self.in_string = true;
                        break;
                    }
                    b'{' | b'[' => {
                        self.nesting += 1;
                        self.max_nesting = self.max_nesting.max(self.nesting);
                        if b == open {
                            self.depth += 1;
                        }
                    }
                    b'}' | b']' => {
                        self.nesting = self.nesting.saturating_sub(1);
                        if b == close {
                            self.depth -= 1;
                            if self.depth == 0 {
                                return Some(i);
                            }
                        }
                    }
                    b'\n' => i += spaces(&input[i..]),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames `input` fed in chunks of `chunk` bytes; returns the elements' texts (or
    /// `<oversized>`), the warnings, and the fault if any.
    fn frame(
        input: &[u8],
        chunk: usize,
        max: usize,
    ) -> (Vec<String>, Vec<String>, Option<FrameError>) {
        let mut f = Framer::new(max);
        let mut out = vec![];
        let text = |f: &Framer, e: &Element, chunk: &[u8]| match &e.bytes {
            ElementBytes::Input(r) => String::from_utf8_lossy(&chunk[r.clone()]).into_owned(),
            ElementBytes::Pending => String::from_utf8_lossy(f.pending()).into_owned(),
            ElementBytes::Oversized => format!("<oversized {}>", e.len),
        };
        for piece in input.chunks(chunk.max(1)) {
            let mut rest = piece;
            while !rest.is_empty() {
                match f.scan(rest) {
                    Ok(s) => {
                        if let Some(e) = s.element {
                            let t = text(&f, &e, rest);
                            if e.bytes != ElementBytes::Oversized {
                                assert_eq!(e.len as usize, t.len());
                            }
                            out.push(t);
                        }
                        rest = &rest[s.consumed..];
                    }
                    Err(e) => return (out, f.warnings().to_vec(), Some(e)),
                }
            }
        }
        match f.finish() {
            Ok(Some(e)) => out.push(text(&f, &e, &[])),
            Ok(None) => {}
            Err(e) => return (out, f.warnings().to_vec(), Some(e)),
        }
        (out, f.warnings().to_vec(), None)
    }

    fn check(input: &str, elements: &[&str], warnings: usize, fault: Option<FrameFault>) {
        for chunk in [1, 2, 3, 7, 64, 1 << 20] {
            let (out, w, err) = frame(input.as_bytes(), chunk, 1 << 20);
            assert_eq!(out, elements, "chunk {chunk}: {input}");
            assert_eq!(w.len(), warnings, "chunk {chunk}: {input}");
            assert_eq!(
                err.map(|e| e.reason),
                fault.clone(),
                "chunk {chunk}: {input}"
            );
        }
    }

    #[test]
    fn long_findings_with_escapes_and_brackets_inside_strings_frame_alike_in_every_chunking() {
        // Strings that hold brackets, escaped quotes and runs of escaped backslashes, at
        // many alignments to the chunk boundaries.
        let elements: Vec<String> = (0..60)
            .map(|n| {
                let pad = "x".repeat(n * 7 % 131);
                let esc = r"\\".repeat(n % 4);
                format!(
                    r#"{{"a{n}": "{pad}{{[\"{esc}]}}", "b": [{{"c": "{pad}\"}}"}}, []], "d": {{"e": {{}}}}}}"#
                )
            })
            .collect();
        let input = format!("[\n  {}\n]", elements.join(",\n  "));
        let expected: Vec<&str> = elements.iter().map(String::as_str).collect();
        check(&input, &expected, 0, None);
        let arrays: Vec<String> = elements.iter().map(|e| format!("[{e}, \"]\"]")).collect();
        let expected: Vec<&str> = arrays.iter().map(String::as_str).collect();
        check(&format!("[{}]", arrays.join(",")), &expected, 0, None);
    }

    #[test]
    fn the_block_scanner_frames_as_the_byte_scanner_whatever_falls_on_a_block_edge() {
        // Quotes, brackets of both kinds inside and outside strings, deep and unbalanced
        // nesting, escapes now and then: shifted through every alignment to the 64-byte
        // blocks, whole and in pieces, compared element by element (offset, length, kind,
        // depth, bytes) and fault by fault with the byte-by-byte reference.
        let bodies = [
            r#"{"a": "{[x]}", "b": [{"c": ["]", "}"]}, [[[]]]], "d": {"e": {}}}"#,
            r#"{"s": "no brackets here at all, only a long string of text to fill a block"}"#,
            r#"[{"a": 1}, ["b", {"c": "["}], "]"]"#,
            r#"{"a": [}, "b": {]}, "c": "x"}"#,
            r#"{"q": "\"}", "r": "\\", "t": "{\"["}"#,
            r#"{"deep": [[[[[[[[{"x": [[[[{}]]]]}]]]]]]]]}"#,
        ];
        for pad in 0..130 {
            let fill = " ".repeat(pad);
            let elements: Vec<String> = bodies
                .iter()
                .enumerate()
                .map(|(n, b)| format!("{}{b}", " ".repeat((pad * (n + 3)) % 70)))
                .collect();
            for input in [
                format!("{fill}[{}]", elements.join(",")),
                format!("{fill}{}", elements.join("\n")),
                format!("{fill}[{}", elements.join(",")),
            ] {
                for sizes in [&[][..], &[1, 63, 64, 65], &[200]] {
                    if let Err(e) = crate::replay::check_framing(input.as_bytes(), sizes, 1 << 20) {
                        panic!("pad {pad}: {e}");
                    }
                }
            }
        }
    }

    #[test]
    fn arrays_of_objects_in_every_form() {
        check("[]", &[], 0, None);
        check(" [ ] \n", &[], 0, None);
        check("[{\"a\":1}]", &["{\"a\":1}"], 0, None);
        check(
            "[{\n    \"a\": \"}{][\\\"\",\n    \"b\": [{}]\n},{\"c\":{}}]",
            &[
                "{\n    \"a\": \"}{][\\\"\",\n    \"b\": [{}]\n}",
                "{\"c\":{}}",
            ],
            0,
            None,
        );
        check("\u{feff}[{}]", &["{}"], 0, None);
    }

    #[test]
    fn ndjson_and_concatenated_values() {
        check(
            "{\"a\":1}\n{\"b\":2}\n",
            &["{\"a\":1}", "{\"b\":2}"],
            0,
            None,
        );
        check("{}{}", &["{}", "{}"], 0, None);
        check("{}\n42\n", &["{}", "42"], 0, None);
        check("{}\n42", &["{}", "42"], 0, None);
    }

    #[test]
    fn a_findings_object_is_framed_as_its_array() {
        check("{\"Findings\": []}", &[], 0, None);
        check(
            "{\n  \"Findings\" :\n [{\"a\":1},\n {\"b\":\"]}\"}],\n  \"NextToken\": \"x}]\"\n}\n",
            &["{\"a\":1}", "{\"b\":\"]}\"}"],
            0,
            None,
        );
        check(
            "{\"Findings\":[{}],\"NextToken\":null,\"Other\":{\"k\":[1,{}]}}",
            &["{}"],
            0,
            None,
        );
        // Only a first member `Findings` holding an array wraps; anything else is an NDJSON
        // object, whole.
        check("{\"findings\": []}", &["{\"findings\": []}"], 0, None);
        check(
            "{\"Findings\": 3}\n{}",
            &["{\"Findings\": 3}", "{}"],
            0,
            None,
        );
        check(
            "{\"Id\": 1, \"Findings\": []}",
            &["{\"Id\": 1, \"Findings\": []}"],
            0,
            None,
        );
        check("{}", &["{}"], 0, None);
        // Faults: unclosed, trailing data, truncated inside the probe or the tail.
        check(
            "{\"Findings\": [{}]",
            &["{}"],
            0,
            Some(FrameFault::Truncated("no '}' closing the Findings object")),
        );
        check(
            "{\"Findings\": [{}], \"NextToken\": \"a",
            &["{}"],
            0,
            Some(FrameFault::Truncated("no '}' closing the Findings object")),
        );
        check(
            "{\"Findings\": [{}]} x",
            &["{}"],
            0,
            Some(FrameFault::TrailingData("'x'".into())),
        );
        check(
            "{\"Findings\": [{}]}[{}]",
            &["{}"],
            0,
            Some(FrameFault::TrailingData("'['".into())),
        );
        check(
            "{\"Find",
            &[],
            0,
            Some(FrameFault::Truncated("the last finding is cut off")),
        );
    }

    #[test]
    fn non_objects_are_framed_for_the_decoder_to_reject() {
        check(
            "[{}, 42, \"x,]\", true, [1,[2]], {}]",
            &["{}", "42", "\"x,]\"", "true", "[1,[2]]", "{}"],
            0,
            None,
        );
    }

    #[test]
    fn repairs_are_warnings() {
        check("[{},{},]", &["{}", "{}"], 1, None);
        check("[{},{}][{}]", &["{}", "{}", "{}"], 1, None);
        check("[{}]\n[{}]\n", &["{}", "{}"], 1, None);
    }

    #[test]
    fn stream_faults() {
        check("", &[], 0, Some(FrameFault::Empty));
        check("  \n", &[], 0, Some(FrameFault::Empty));
        check("x", &[], 0, Some(FrameFault::NotJsonStream("'x'".into())));
        check("\u{1f}\u{8b}\u{8}", &[], 0, Some(FrameFault::Compressed));
        check(
            "[{},{}",
            &["{}", "{}"],
            0,
            Some(FrameFault::Truncated("no ']' after the last finding")),
        );
        check(
            "[{},{},",
            &["{}", "{}"],
            0,
            Some(FrameFault::Truncated("no ']' after the last finding")),
        );
        check(
            "[{},{\"a\":",
            &["{}"],
            0,
            Some(FrameFault::Truncated("the last finding is cut off")),
        );
        check(
            "[{} {}]",
            &["{}"],
            0,
            Some(FrameFault::ExpectedCommaOrEnd("'{'".into())),
        );
        check("[{},,{}]", &["{}"], 0, Some(FrameFault::EmptyElement));
        check(
            "[{}] x",
            &["{}"],
            0,
            Some(FrameFault::TrailingData("'x'".into())),
        );
    }

    #[test]
    fn fault_offsets_are_absolute() {
        let (_, _, err) = frame(b"[{}, {}\n x", 3, 1 << 20);
        assert_eq!(err.unwrap().offset, 9);
        let (_, _, err) = frame(b"[{}, {\"a\": 1", 2, 1 << 20);
        assert_eq!(err.unwrap().offset, 5);
    }

    #[test]
    fn indentation_is_counted_whatever_its_length_and_what_follows() {
        for n in 0..40 {
            for next in ["", "\"", "}", "\n", "\t", "x"] {
                let text = format!("{}{next}", " ".repeat(n));
                // Runs shorter than 8 bytes at the end are left to the byte loop.
                let counted = spaces(text.as_bytes());
                assert!(counted <= n, "{n} {next:?}: {counted}");
                assert!(
                    counted == n || (counted.is_multiple_of(8) && text.len() - counted < 8),
                    "{n} {next:?}: {counted}"
                );
            }
        }
        // Pretty-printed findings with deep indentation frame alike in every chunking.
        let finding = "{\n    \"a\": {\n            \"b\": [\n                        \"x\"\n                ]\n        }\n}";
        let input = format!("[\n{finding},\n  {finding}\n]");
        for chunk in [1, 3, 7, 8, 9, 64] {
            let (elements, _, fault) = frame(input.as_bytes(), chunk, 1 << 20);
            assert_eq!(fault, None);
            assert_eq!(elements, [finding, finding], "chunk {chunk}");
        }
    }

    #[test]
    fn oversized_elements_are_skipped_not_kept() {
        let big = format!("[{{\"a\":\"{}\"}},{{}}]", "x".repeat(1000));
        for chunk in [1, 10, 100, 5000] {
            let (out, _, err) = frame(big.as_bytes(), chunk, 100);
            assert_eq!(
                out,
                vec!["<oversized 1008>".to_string(), "{}".into()],
                "chunk {chunk}"
            );
            assert!(err.is_none());
        }
    }
}
