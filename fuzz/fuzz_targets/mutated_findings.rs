//! Structured mutations of real findings (the bundled fixtures' findings of every provider and
//! producer, OCSF and ASFF: values of
//! every type and edge cases put anywhere, keys removed or added, bytes cut or corrupted)
//! chosen by the fuzzer's bytes, then decoded in every way the ingest can: no panic, the
//! same result for every chunking, every offset within the input.
#![no_main]

use std::sync::OnceLock;

use lake_core::replay::{check_chunkings, mutated_source};
use lake_core::DecoderOptions;
use libfuzzer_sys::fuzz_target;

const OPTIONS: DecoderOptions = DecoderOptions {
    batch_size: 3,
    max_finding_bytes: 64 << 10,
};

/// The findings mutated: a few of each bundled fixture of every provider, read once.
fn seeds() -> &'static [serde_json::Value] {
    static SEEDS: OnceLock<Vec<serde_json::Value>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut seeds = Vec::new();
        let mut paths = Vec::new();
        for dir in [
            concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/providers"),
            concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/producers"),
        ] {
            paths.extend(
                std::fs::read_dir(dir)
                    .expect("the fixtures")
                    .map(|e| e.expect("an entry").path()),
            );
        }
        paths.sort();
        for path in paths {
            let text = std::fs::read(&path).expect("a fixture");
            // Arrays, `{"Findings": [...]}` objects and NDJSON alike.
            let items = match serde_json::from_slice(&text) {
                Ok(serde_json::Value::Array(items)) => items,
                Ok(serde_json::Value::Object(mut wrapper)) => match wrapper.remove("Findings") {
                    Some(serde_json::Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                _ => serde_json::Deserializer::from_slice(&text)
                    .into_iter::<serde_json::Value>()
                    .filter_map(Result::ok)
                    .collect(),
            };
            seeds.extend(items.into_iter().take(3));
        }
        assert!(!seeds.is_empty());
        seeds
    })
}

fuzz_target!(|data: &[u8]| {
    // The fuzzer's bytes are the choices, read in turn (zeros once used up).
    let mut at = 0;
    let mut pick = |n: usize| {
        let b = data.get(at).copied().unwrap_or(0);
        at += 1;
        if n <= 256 {
            usize::from(b) % n.max(1)
        } else {
            let hi = data.get(at).copied().unwrap_or(0);
            at += 1;
            (usize::from(b) | usize::from(hi) << 8) % n
        }
    };
    let input = mutated_source(seeds(), &mut pick);
    let sizes = [1 + usize::from(data.first().copied().unwrap_or(0)) * 13, 1, 4096];
    if let Err(e) = check_chunkings(&input, &sizes, OPTIONS) {
        // The source itself, to replay the failure without the fuzzer (`lake ingest` it, or
        // lake_core::replay in a test).
        if let Some(path) = std::env::var_os("LAKE_FUZZ_DUMP") {
            let _ = std::fs::write(path, &input);
        }
        panic!("{e}");
    }
});
