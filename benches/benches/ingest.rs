//! Criterion benches of the ingest hot path, in MB/s of OCSF input (`Throughput::Bytes`):
//! the framer alone, the framer plus `serde_json` into the borrowed finding structs, the
//! whole decoder (normalized Arrow batches out), and the Parquet writer (sort + encode) fed
//! with the decoder's batches; then the two halves of the parallel decode as ingest runs
//! it: the `Splitter` alone (the sequential part, on the reading thread) and the units
//! decoded on every core. The input is one generated 20 MB account file.
//!
//!     cargo bench -p lake-benches --bench ingest

// `criterion_group!` generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use arrow::record_batch::RecordBatch;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lake_core::frame::{ElementBytes, Framer};
use lake_core::ocsf::RawFinding;
use lake_core::{DecoderOptions, OcsfDecoder, Overrides, PathHints, Splitter, Unit, UnitDecoder};
use lake_store::writer::{sort_findings, writer_properties};
use lake_synth::{bytes_per_finding, write_scan, ScanSpec};
use parquet::arrow::ArrowWriter;
use rayon::prelude::*;

const INPUT_MB: usize = 20;
const CHUNK: usize = 1 << 20;

fn input() -> Vec<u8> {
    let findings = INPUT_MB * 1_000_000 / bytes_per_finding();
    let mut out = Vec::new();
    write_scan(&ScanSpec::new(7, "111122223333", findings), &mut out).expect("in memory");
    out
}

/// Frames every element of `input`, fed in 1 MiB chunks as a file is read; calls `each`
/// with the bytes of every complete element.
fn frame(input: &[u8], mut each: impl FnMut(&[u8])) {
    let mut framer = Framer::new(16 << 20);
    for chunk in input.chunks(CHUNK) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let scan = framer.scan(rest).expect("valid input");
            if let Some(e) = scan.element {
                match e.bytes {
                    ElementBytes::Input(r) => each(&rest[r]),
                    ElementBytes::Pending => each(framer.pending()),
                    ElementBytes::Oversized => {}
                }
            }
            rest = &rest[scan.consumed..];
        }
    }
    if let Some(e) = framer.finish().expect("complete input") {
        if e.bytes == ElementBytes::Pending {
            each(framer.pending());
        }
    }
}

fn decode(input: &[u8]) -> Vec<RecordBatch> {
    let mut decoder = OcsfDecoder::new(
        "file:///bench.ocsf.json",
        PathHints::default(),
        Overrides::default(),
        DecoderOptions::default(),
    );
    let mut batches = Vec::new();
    for chunk in input.chunks(CHUNK) {
        let mut rest = chunk;
        while !rest.is_empty() {
            let n = decoder.decode(rest).expect("valid input");
            rest = &rest[n..];
            if decoder.is_full() {
                batches.extend(decoder.flush().expect("batch"));
            }
        }
    }
    decoder.finish().expect("complete input");
    batches.extend(decoder.flush().expect("batch"));
    batches
}

/// Units of 2 MiB (ingest's default), as the reading thread frames them.
const UNIT: usize = 2 << 20;

fn split(input: &[u8]) -> Vec<Unit> {
    let mut splitter = Splitter::new(16 << 20);
    let mut units: Vec<Unit> = input
        .chunks(UNIT)
        .map(|chunk| {
            let (unit, fault) = splitter.frame(chunk.to_vec());
            assert!(fault.is_none(), "valid input");
            unit
        })
        .collect();
    let (last, fault) = splitter.finish();
    assert!(fault.is_none(), "complete input");
    units.extend(last);
    units
}

/// Decodes the units on every core (the identity from the first, as ingest does).
fn decode_units(units: &[Unit]) -> usize {
    let mut decoder = UnitDecoder::new(
        "file:///bench.ocsf.json",
        PathHints::default(),
        Overrides::default(),
        DecoderOptions::default(),
    );
    let first = decoder.decode(&units[0]).expect("batch");
    let rest: usize = units[1..]
        .par_iter()
        .map(|u| decoder.clone().decode(u).expect("batch").batches.len())
        .sum();
    first.batches.len() + rest
}

fn write(batches: &[RecordBatch]) -> usize {
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(
        &mut out,
        lake_core::schema::findings_schema(),
        Some(writer_properties()),
    )
    .expect("writer");
    for b in batches {
        writer
            .write(&sort_findings(b).expect("sort"))
            .expect("write");
    }
    writer.close().expect("close");
    out.len()
}

fn ingest(c: &mut Criterion) {
    let input = input();
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.sample_size(10);

    g.bench_function("frame", |b| {
        b.iter(|| {
            let mut n = 0usize;
            frame(&input, |e| n += e.len());
            black_box(n)
        })
    });
    g.bench_function("frame+parse", |b| {
        b.iter(|| {
            let mut n = 0usize;
            frame(&input, |e| {
                let raw: RawFinding = serde_json::from_slice(e).expect("valid finding");
                n += usize::from(raw.resources.is_some());
            });
            black_box(n)
        })
    });
    g.bench_function("frame+simd-parse", |b| {
        let mut scratch = Vec::new();
        b.iter(|| {
            let mut n = 0usize;
            frame(&input, |e| {
                scratch.clear();
                scratch.extend_from_slice(e);
                let raw: RawFinding =
                    simd_json::serde::from_slice(&mut scratch).expect("valid finding");
                n += usize::from(raw.resources.is_some());
            });
            black_box(n)
        })
    });
    g.bench_function("decode", |b| b.iter(|| black_box(decode(&input))));
    let batches = decode(&input);
    g.bench_function("write", |b| b.iter(|| black_box(write(&batches))));
    g.bench_function("decode+write", |b| {
        b.iter(|| black_box(write(&decode(&input))))
    });
    g.bench_function("split", |b| b.iter(|| black_box(split(&input).len())));
    let units = split(&input);
    g.bench_function("decode-units-every-core", |b| {
        b.iter(|| black_box(decode_units(&units)))
    });
    g.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
