//! Property: however a source is cut into pieces, and whether it is decoded by one streaming
//! decoder or as units on several cores, it gives the same rows, report and identity, keeps
//! every offset within the input and never panics. Checked on the bundled fixtures (good and
//! bad) whole, and on sources made of their findings with seeded random mutations. The
//! fuzz targets (`fuzz/`) check the same on inputs a fuzzer finds.

use std::path::{Path, PathBuf};

use lake_core::replay::{check_chunkings, mutated_source};
use lake_core::DecoderOptions;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures are readable")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            json_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "json" || e == "ndjson")
        {
            out.push(path);
        }
    }
}

/// A small generator (xorshift64*), seeded: the same cases on every run.
struct Seeded(u64);

impl Seeded {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        if n == 0 {
            0
        } else {
            (x % n as u64) as usize
        }
    }

    fn sizes(&mut self) -> Vec<usize> {
        (0..1 + self.below(4))
            .map(|_| match self.below(3) {
                0 => 1 + self.below(8),
                1 => 1 + self.below(700),
                _ => 1 + self.below(20_000),
            })
            .collect()
    }
}

const OPTIONS: DecoderOptions = DecoderOptions {
    batch_size: 7,
    max_finding_bytes: 64 << 10,
};

#[test]
fn every_fixture_decodes_alike_in_every_chunking() {
    let mut files = Vec::new();
    json_files(&fixtures(), &mut files);
    assert!(files.len() > 20, "the fixtures are found");
    let mut rng = Seeded(0x5eed);
    for path in &files {
        let input = std::fs::read(path).expect("a fixture reads");
        for sizes in [vec![1], vec![4096], rng.sizes()] {
            if sizes == [1] && input.len() > 200_000 {
                continue;
            }
            if let Err(e) = check_chunkings(&input, &sizes, OPTIONS) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}

#[test]
fn mutated_findings_decode_alike_in_every_chunking() {
    let mut seeds = Vec::new();
    let mut files = Vec::new();
    json_files(&fixtures().join("providers"), &mut files);
    json_files(&fixtures().join("producers"), &mut files);
    json_files(&fixtures().join("runs"), &mut files);
    for path in files {
        let text = std::fs::read(&path).expect("a fixture reads");
        let items = match serde_json::from_slice(&text) {
            Ok(serde_json::Value::Array(items)) => items,
            Ok(serde_json::Value::Object(mut wrapper)) => match wrapper.remove("Findings") {
                Some(serde_json::Value::Array(items)) => items,
                _ => continue,
            },
            _ => continue,
        };
        seeds.extend(items.into_iter().take(5));
    }
    assert!(seeds.len() >= 10, "findings to mutate");
    let mut rng = Seeded(0x0c5f);
    let (mut landed, mut faulted, mut rejected) = (0, 0, 0);
    for case in 0..400 {
        let input = mutated_source(&seeds, &mut |n| rng.below(n));
        let sizes = rng.sizes();
        if let Err(e) = lake_core::replay::check_framing(&input, &sizes, 256) {
            panic!("case {case}: {e}");
        }
        match check_chunkings(&input, &sizes, OPTIONS) {
            Ok(d) => {
                landed += d.report.counts.findings;
                faulted += usize::from(d.report.fault.is_some());
                rejected += d.report.rejected;
            }
            Err(e) => panic!(
                "case {case}: {e}\ninput: {}",
                String::from_utf8_lossy(&input[..input.len().min(2000)])
            ),
        }
    }
    // The cases reach every outcome: findings kept, findings rejected, streams cut short.
    assert!(
        landed > 100 && faulted > 10 && rejected > 50,
        "{landed} {faulted} {rejected}"
    );
}

#[test]
fn every_fixture_frames_alike_in_every_chunking() {
    let mut files = Vec::new();
    json_files(&fixtures(), &mut files);
    let mut rng = Seeded(0xf4a3e);
    for path in &files {
        let input = std::fs::read(path).expect("a fixture reads");
        for max_element in [256, 64 << 10] {
            if let Err(e) = lake_core::replay::check_framing(&input, &rng.sizes(), max_element) {
                panic!("{}: {e}", path.display());
            }
        }
    }
}
