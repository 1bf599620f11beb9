//! Broken `.BTF.ext` blobs.

use bpftool_rs::btf::{BtfError, BtfExt};

use crate::builder::{build_ext, put_u32};

type Secs<'a> = &'a [(u32, &'a [&'a [u32]])];

fn sample(big: bool) -> Vec<u8> {
    let func: Secs = &[(1, &[&[0, 3], &[16, 4]]), (5, &[&[0, 6]])];
    let line: Secs = &[(1, &[&[0, 9, 10, (42 << 10) | 7]])];
    let core: Secs = &[(1, &[&[8, 2, 11, 0]])];
    build_ext(big, Some((8, func)), Some((16, line)), Some((16, core)))
}

/// Iterates everything; must terminate for any blob that parsed.
pub fn exercise_ext(ext: &BtfExt) -> usize {
    let mut n = 0usize;
    for sec in ext.func_info() {
        n += sec.records().fold(0, |acc, r| acc ^ r.type_id as usize) & 1;
        n += sec.records().len();
    }
    for sec in ext.line_info() {
        n += sec.records().fold(0, |acc, r| acc ^ r.line() as usize) & 1;
        n += sec.records().len();
    }
    for sec in ext.core_relo() {
        n += sec.records().fold(0, |acc, r| acc ^ r.kind as usize) & 1;
        n += sec.records().len() + sec.raw_records().len();
    }
    n
}

fn set_word(data: &mut [u8], off: usize, v: u32, big: bool) {
    let mut w = Vec::new();
    put_u32(&mut w, v, big);
    data[off..off + 4].copy_from_slice(&w);
}

#[test]
fn sample_parses() {
    for big in [false, true] {
        let ext = BtfExt::parse(sample(big)).unwrap();
        assert!(exercise_ext(&ext) >= 5 + 16);
    }
}

#[test]
fn truncations_are_refused() {
    for big in [false, true] {
        let data = sample(big);
        for len in 0..data.len() {
            assert!(BtfExt::parse(&data[..len]).is_err(), "len {len}");
        }
    }
}

#[test]
fn header_checks() {
    let data = sample(false);
    let mut bad = data.clone();
    bad[0] = 0;
    assert!(matches!(BtfExt::parse(bad), Err(BtfError::ExtBadMagic(_))));
    let mut bad = data.clone();
    bad[2] = 2;
    assert_eq!(BtfExt::parse(bad).unwrap_err(), BtfError::ExtBadVersion(2));
    let mut bad = data.clone();
    bad[3] = 1;
    assert_eq!(BtfExt::parse(bad).unwrap_err(), BtfError::ExtBadFlags(1));
    for hdr_len in [0, 20, data.len() as u32, u32::MAX] {
        let mut bad = data.clone();
        set_word(&mut bad, 4, hdr_len, false);
        assert!(
            matches!(BtfExt::parse(bad), Err(BtfError::ExtBadHeaderLen { .. })),
            "{hdr_len}"
        );
    }
    assert!(matches!(
        BtfExt::parse(&data[..4]),
        Err(BtfError::ExtHeaderTooShort(4))
    ));
    // A 24-byte header has no core_relo fields; the core_relo data is then ignored.
    let func: Secs = &[(1, &[&[0, 3]])];
    let mut short = build_ext(false, Some((8, func)), None, None);
    set_word(&mut short, 4, 24, false);
    // Offsets now count from byte 24: move func_info_off back by the 8 header bytes we dropped.
    set_word(&mut short, 8, 8, false);
    let ext = BtfExt::parse(short).unwrap();
    assert_eq!(ext.header().core_relo_len, 0);
    assert_eq!(ext.func_info().flat_map(|s| s.records()).count(), 1);
}

#[test]
fn subsection_checks() {
    let data = sample(false);
    // Header words: 8 func_off, 12 func_len, 16 line_off, 20 line_len, 24 core_off, 28 core_len.
    let cases: &[(usize, u32, &str)] = &[
        (8, 2, "func_info"),            // misaligned
        (12, 10_000, "func_info"),      // past the end
        (12, u32::MAX, "func_info"),    // past the end, overflow-prone
        (8, u32::MAX - 3, "func_info"), // offset overflow-prone
        (12, 4, "func_info"),           // record size only, no records
        (12, 2, "func_info"),           // not even the record size
        (20, 12, "line_info"),          // cut mid-section header
        (28, 20, "core_relo"),          // cut mid-record
    ];
    for &(off, v, what) in cases {
        let mut bad = data.clone();
        set_word(&mut bad, off, v, false);
        match BtfExt::parse(bad) {
            Err(BtfError::ExtBadInfo { what: w, .. }) => assert_eq!(w, what, "word {off}={v}"),
            other => panic!("word {off}={v}: {other:?}"),
        }
    }
    // Record size below the minimum, or not a multiple of 4.
    for rec_size in [0, 4, 9, u32::MAX] {
        let mut bad = data.clone();
        set_word(&mut bad, 32, rec_size, false);
        assert!(BtfExt::parse(bad).is_err(), "rec_size {rec_size}");
    }
    // Zero and huge record counts.
    for num in [0, 3, u32::MAX] {
        let mut bad = data.clone();
        set_word(&mut bad, 32 + 8, num, false);
        assert!(BtfExt::parse(bad).is_err(), "num_info {num}");
    }
}
