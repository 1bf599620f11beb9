//! Deterministic mutation fuzzing: flip bytes and words of valid blobs and check that parsing
//! either fails or yields a BTF whose every accessor terminates without panicking.

use std::sync::Arc;

use bpftool_rs::btf::{Btf, BtfExt};

use crate::builder::{build_ext, BtfBuilder};
use crate::ext::exercise_ext;
use crate::{every_kind, exercise};

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const INTERESTING: [u32; 12] = [
    0,
    1,
    4,
    12,
    24,
    0x7f,
    0xff,
    0x00ff_ffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_fffe,
    u32::MAX,
];

fn try_btf(data: &[u8]) {
    if let Ok(btf) = Btf::parse(data) {
        exercise(&btf);
    }
}

#[test]
fn single_byte_mutations() {
    for big in [false, true] {
        let data = every_kind(big).build();
        for i in 0..data.len() {
            for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut m = data.clone();
                m[i] ^= v;
                try_btf(&m);
                m[i] = v;
                try_btf(&m);
            }
        }
    }
}

#[test]
fn word_mutations() {
    for big in [false, true] {
        let data = every_kind(big).build();
        for i in (0..data.len().saturating_sub(3)).step_by(2) {
            for v in INTERESTING {
                let mut m = data.clone();
                let bytes = if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                };
                m[i..i + 4].copy_from_slice(&bytes);
                try_btf(&m);
            }
        }
    }
}

#[test]
fn random_multi_mutations() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let blobs = [every_kind(false).build(), every_kind(true).build()];
    let mut parsed = 0;
    for _ in 0..20_000 {
        let mut m = blobs[rng.below(2)].clone();
        for _ in 0..1 + rng.below(6) {
            let i = rng.below(m.len());
            m[i] = rng.next() as u8;
        }
        if rng.below(8) == 0 {
            let len = rng.below(m.len() + 1);
            m.truncate(len);
        }
        if let Ok(btf) = Btf::parse(&m[..]) {
            parsed += 1;
            exercise(&btf);
        }
    }
    // Mutations in names and values keep the blob valid often enough to exercise accessors.
    assert!(parsed > 1000, "only {parsed} mutants parsed");
}

#[test]
fn split_mutations() {
    let base = Arc::new(Btf::parse(every_kind(false).build()).unwrap());
    let mut s = BtfBuilder::split(base.header().str_len, base.type_count());
    let p = s.ptr(5);
    s.struct_("t", 8, &[("p", p, 0), ("q", 1, 32)]);
    s.typedef("t_t", p + 1);
    let data = s.build();
    Btf::parse_split(&data[..], base.clone()).unwrap();
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let mut m = data.clone();
        let i = rng.below(m.len());
        m[i] = rng.next() as u8;
        if let Ok(btf) = Btf::parse_split(m, base.clone()) {
            exercise(&btf);
        }
    }
}

#[test]
fn ext_mutations() {
    let func: &[(u32, &[&[u32]])] = &[(1, &[&[0, 3], &[16, 4]]), (5, &[&[0, 6]])];
    let line: &[(u32, &[&[u32]])] = &[(1, &[&[0, 9, 10, 7]])];
    let core: &[(u32, &[&[u32]])] = &[(1, &[&[8, 2, 11, 0]])];
    for big in [false, true] {
        let data = build_ext(big, Some((8, func)), Some((16, line)), Some((16, core)));
        for i in 0..data.len() {
            for v in [0x00, 0x01, 0x04, 0x80, 0xff] {
                let mut m = data.clone();
                m[i] = v;
                if let Ok(ext) = BtfExt::parse(&m[..]) {
                    exercise_ext(&ext);
                }
            }
        }
        for i in (0..data.len() - 3).step_by(4) {
            for v in INTERESTING {
                let mut m = data.clone();
                let bytes = if big {
                    v.to_be_bytes()
                } else {
                    v.to_le_bytes()
                };
                m[i..i + 4].copy_from_slice(&bytes);
                if let Ok(ext) = BtfExt::parse(&m[..]) {
                    exercise_ext(&ext);
                }
            }
        }
    }
}
