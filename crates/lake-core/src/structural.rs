//! Bit masks of the bytes the framer looks for, 64 bytes at a time, with SIMD.
//!
//! The framer finds where an element ends by following quotes, backslashes and brackets.
//! Done byte by byte that is the ingest's largest sequential step (every byte of every
//! file passes through it before any core can parse). [`find_in_blocks`] compares each
//! 64-byte block with the six bytes at once and hands out one bit per byte and kind, so the
//! framer can skip whole blocks of string text and indentation and visit only the brackets
//! outside strings (a few per block).
//!
//! On x86_64 it uses SSE2, or AVX2 where the CPU has it; on AArch64 (the Lambda's
//! architecture) NEON. Other architectures have no SIMD version: there [`SIMD`] is false
//! and the framer scans byte by byte, which is faster than building the masks byte by byte.
//!
//! # Why this module may use `unsafe`
//!
//! lake-core denies `unsafe_code` everywhere but here. Two things need it and nothing more:
//! calling the SSE2, AVX2 and NEON functions (`#[target_feature]` functions are `unsafe` to
//! call; SSE2 is part of every x86_64 CPU and NEON of every AArch64 one, AVX2 is called only
//! after `is_x86_feature_detected!("avx2")` said the CPU has it), and their unaligned loads,
//! which read 16 or 32 bytes at a time from a `&[u8; 64]` (in bounds by its type; NEON's
//! also from its 16-byte table of bit values). No
//! pointer outlives a call, nothing is written. Safe Rust was tried first: the same masks
//! built by a byte loop are not vectorized by the compiler and made framing twice as slow as
//! the byte scanner it replaces (BENCHMARKS.md). [`classify_portable`] is the reference:
//! this module's tests compare the masks of the SIMD versions with it on every byte value at
//! every position, and every framing test and the `frame` fuzz target (under
//! AddressSanitizer) compare the framer's answers block-scanned and byte-scanned.
//! `scripts/test` runs lake-core's tests on AArch64 too, under qemu-user.
#![allow(unsafe_code)]

/// One bit per byte of a 64-byte block (bit `i` is byte `i`), for each byte the framer
/// looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Masks {
    /// `"`
    pub quote: u64,
    /// `\`
    pub backslash: u64,
    /// `{` and `[`
    pub open: u64,
    /// `}` and `]`
    pub close: u64,
}

/// Calls `visit` with the offset, bytes and masks of each whole 64-byte block of `input`, in
/// order, until it returns a value: `Ok` of that value, or `Err` of the bytes visited (the
/// whole blocks) when it never did. Classifies with the fastest instructions this CPU has;
/// the loop and `visit` are compiled for them (inlined into the SIMD function).
#[inline]
pub(crate) fn find_in_blocks<T>(
    input: &[u8],
    visit: impl FnMut(usize, &[u8; 64], Masks) -> Option<T>,
) -> Result<T, usize> {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { x86::find_avx2(input, visit) };
        }
        // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has it.
        unsafe { x86::find_sse2(input, visit) }
    }
    #[cfg(target_arch = "aarch64")]
    {
        // SAFETY: NEON is part of the AArch64 baseline: every AArch64 CPU has it.
        unsafe { arm::find_neon(input, visit) }
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        find_with(input, visit, classify_portable)
    }
}

/// Whether [`find_in_blocks`] has SIMD on this architecture. Elsewhere it builds the masks
/// byte by byte, slower than the framer's byte scanner, which the framer then uses instead.
pub(crate) const SIMD: bool = cfg!(any(target_arch = "x86_64", target_arch = "aarch64"));

#[inline(always)]
fn find_with<T>(
    input: &[u8],
    mut visit: impl FnMut(usize, &[u8; 64], Masks) -> Option<T>,
    classify: impl Fn(&[u8; 64]) -> Masks,
) -> Result<T, usize> {
    let mut i = 0;
    while let Some(block) = input.get(i..i + 64) {
        let block: &[u8; 64] = block.try_into().expect("a 64-byte slice");
        if let Some(found) = visit(i, block, classify(block)) {
            return Ok(found);
        }
        i += 64;
    }
    Err(i)
}

/// The masks of `block`, byte by byte: the reference the SIMD versions are tested against.
#[cfg_attr(any(target_arch = "x86_64", target_arch = "aarch64"), allow(dead_code))]
pub(crate) fn classify_portable(block: &[u8; 64]) -> Masks {
    let mut m = Masks::default();
    for (i, &b) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match b {
            b'"' => m.quote |= bit,
            b'\\' => m.backslash |= bit,
            b'{' | b'[' => m.open |= bit,
            b'}' | b']' => m.close |= bit,
            _ => {}
        }
    }
    m
}

/// Bit `i` of the result is the parity of the bits `0..=i` of `x`: with `x` the quotes of
/// a block (none escaped), the bytes from an opening quote up to (not including) its
/// closing quote.
#[inline]
pub(crate) fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{find_with, Masks};
    use std::arch::x86_64::*;

    /// `{` and `}` differ from `[` and `]` in bit 5 alone (0x7b/0x5b, 0x7d/0x5d): setting
    /// it finds both kinds of bracket with one comparison.
    const CASE: i8 = 0x20;

    #[target_feature(enable = "sse2")]
    pub(super) fn find_sse2<T>(
        input: &[u8],
        visit: impl FnMut(usize, &[u8; 64], Masks) -> Option<T>,
    ) -> Result<T, usize> {
        find_with(input, visit, |block| classify_sse2(block))
    }

    #[target_feature(enable = "avx2")]
    pub(super) fn find_avx2<T>(
        input: &[u8],
        visit: impl FnMut(usize, &[u8; 64], Masks) -> Option<T>,
    ) -> Result<T, usize> {
        find_with(input, visit, |block| classify_avx2(block))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn classify_sse2(block: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for part in 0..4 {
            // SAFETY: bytes 16 * part .. 16 * part + 16 of a 64-byte array; loadu has no
            // alignment requirement.
            let v = unsafe { _mm_loadu_si128(block.as_ptr().add(16 * part).cast()) };
            let folded = _mm_or_si128(v, _mm_set1_epi8(CASE));
            let bits = |x: __m128i| u64::from(_mm_movemask_epi8(x) as u16) << (16 * part);
            m.quote |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)));
            m.backslash |= bits(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)));
            m.open |= bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'{' as i8)));
            m.close |= bits(_mm_cmpeq_epi8(folded, _mm_set1_epi8(b'}' as i8)));
        }
        m
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) fn classify_avx2(block: &[u8; 64]) -> Masks {
        let mut m = Masks::default();
        for part in 0..2 {
            // SAFETY: bytes 32 * part .. 32 * part + 32 of a 64-byte array; loadu has no
            // alignment requirement.
            let v = unsafe { _mm256_loadu_si256(block.as_ptr().add(32 * part).cast()) };
            let folded = _mm256_or_si256(v, _mm256_set1_epi8(CASE));
            let bits = |x: __m256i| u64::from(_mm256_movemask_epi8(x) as u32) << (32 * part);
            m.quote |= bits(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'"' as i8)));
            m.backslash |= bits(_mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\\' as i8)));
            m.open |= bits(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'{' as i8)));
            m.close |= bits(_mm256_cmpeq_epi8(folded, _mm256_set1_epi8(b'}' as i8)));
        }
        m
    }
}

#[cfg(target_arch = "aarch64")]
mod arm {
    use super::{find_with, Masks};
    use std::arch::aarch64::*;

    #[target_feature(enable = "neon")]
    pub(super) fn find_neon<T>(
        input: &[u8],
        visit: impl FnMut(usize, &[u8; 64], Masks) -> Option<T>,
    ) -> Result<T, usize> {
        find_with(input, visit, |block| classify_neon(block))
    }

    /// Four 16-byte comparison results (lanes 0xff or 0) as one 64-bit mask: each lane
    /// keeps its bit of a byte (1, 2, 4, ... 128 across each 8 lanes), and three rounds
    /// of pairwise addition sum each 8 lanes into the byte of the mask they make.
    #[inline]
    #[target_feature(enable = "neon")]
    fn movemask(r: [uint8x16_t; 4]) -> u64 {
        const BITS: [u8; 16] = [1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128];
        // SAFETY: 16 bytes read from a 16-byte array.
        let bits = unsafe { vld1q_u8(BITS.as_ptr()) };
        let [a, b, c, d] = r.map(|x| vandq_u8(x, bits));
        let ab = vpaddq_u8(a, b);
        let cd = vpaddq_u8(c, d);
        let abcd = vpaddq_u8(ab, cd);
        let sum = vpaddq_u8(abcd, abcd);
        vgetq_lane_u64::<0>(vreinterpretq_u64_u8(sum))
    }

    #[inline]
    #[target_feature(enable = "neon")]
    pub(super) fn classify_neon(block: &[u8; 64]) -> Masks {
        // SAFETY: bytes 16 * i .. 16 * i + 16 of a 64-byte array; vld1q_u8 has no alignment
        // requirement beyond a byte's.
        let v: [uint8x16_t; 4] =
            std::array::from_fn(|i| unsafe { vld1q_u8(block.as_ptr().add(16 * i)) });
        let folded = v.map(|x| vorrq_u8(x, vdupq_n_u8(0x20)));
        let eq = |x: [uint8x16_t; 4], c: u8| movemask(x.map(|x| vceqq_u8(x, vdupq_n_u8(c))));
        Masks {
            quote: eq(v, b'"'),
            backslash: eq(v, b'\\'),
            open: eq(folded, b'{'),
            close: eq(folded, b'}'),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks `find_in_blocks` hands out for each block of `input`.
    fn masks(input: &[u8]) -> Vec<Masks> {
        let mut out = Vec::new();
        let visited = find_in_blocks(input, |_, _, m| {
            out.push(m);
            None::<()>
        });
        assert_eq!(visited, Err(input.len() / 64 * 64));
        out
    }

    #[test]
    fn the_simd_masks_are_the_portable_ones_for_every_byte_at_every_position() {
        for b in 0..=255u8 {
            let mut input = Vec::new();
            for at in 0..64 {
                let mut block = [b'a'; 64];
                block[at] = b;
                // and a second byte of every kind elsewhere, so that lanes mix
                block[(at + 17) % 64] = b"\"\\{}[]"[usize::from(b) % 6];
                input.extend_from_slice(&block);
            }
            input.extend_from_slice(b"{}");
            let expected: Vec<Masks> = input
                .chunks_exact(64)
                .map(|c| classify_portable(c.try_into().expect("64 bytes")))
                .collect();
            assert_eq!(masks(&input), expected, "byte {b}");
            #[cfg(target_arch = "x86_64")]
            {
                // SAFETY: SSE2 is part of the x86_64 baseline.
                let mut sse2 = Vec::new();
                let _ = unsafe {
                    x86::find_sse2(&input, |_, _, m| {
                        sse2.push(m);
                        None::<()>
                    })
                };
                assert_eq!(sse2, expected, "SSE2: byte {b}");
            }
        }
    }

    #[test]
    fn the_visit_stops_at_its_answer() {
        let input = [b'x'; 200];
        assert_eq!(
            find_in_blocks(&input, |i, _, _| (i == 128).then_some(i)),
            Ok(128)
        );
        assert_eq!(find_in_blocks(&input[..63], |i, _, _| Some(i)), Err(0));
    }

    #[test]
    fn prefix_xor_marks_the_inside_of_each_quoted_run() {
        //            bit 0 is the first byte
        let quotes = 0b0100_0100_1001u64;
        assert_eq!(prefix_xor(quotes), 0b0011_1100_0111);
        assert_eq!(prefix_xor(0), 0);
        assert_eq!(prefix_xor(1), u64::MAX);
        assert_eq!(prefix_xor(1 << 63), 1 << 63);
    }
}
