//! Arbitrary bytes, cut into arbitrary pieces, through the framer alone (the byte scanner
//! every source goes through first): no panic, the same elements and fault for every
//! chunking, each element's bytes those of the input at its offset.
#![no_main]

use lake_core::replay::check_framing;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (head, input) = data.split_at(data.len().min(3));
    let sizes: Vec<usize> = head.iter().map(|&b| 1 + usize::from(b) % 64).collect();
    // A small limit, so that oversized elements are reached too.
    if let Err(e) = check_framing(input, &sizes, 256) {
        panic!("{e}");
    }
});
