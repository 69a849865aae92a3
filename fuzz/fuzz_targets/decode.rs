//! Arbitrary bytes, cut into arbitrary pieces, through the framer and the decoder (one
//! streaming decoder and the units of the parallel ingest): no panic, memory bounded by the
//! options, every offset within the input, and the same result for every chunking.
#![no_main]

use lake_core::replay::check_chunkings;
use lake_core::DecoderOptions;
use libfuzzer_sys::fuzz_target;

const OPTIONS: DecoderOptions = DecoderOptions {
    batch_size: 5,
    max_finding_bytes: 64 << 10,
};

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the piece sizes; the rest is the source.
    let (head, input) = data.split_at(data.len().min(3));
    let sizes: Vec<usize> = head.iter().map(|&b| 1 + usize::from(b) * 7).collect();
    if let Err(e) = check_chunkings(input, &sizes, OPTIONS) {
        panic!("{e}");
    }
});
