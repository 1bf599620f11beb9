//! Broken headers and section bounds.

use bpftool_rs::btf::{Btf, BtfError};

use crate::builder::{BtfBuilder, RawHeader};
use crate::every_kind;

fn sample() -> BtfBuilder {
    every_kind(false)
}

#[test]
fn every_truncation_is_refused() {
    for big in [false, true] {
        let data = every_kind(big).build();
        for len in 0..data.len() {
            let err = Btf::parse(&data[..len]).expect_err("truncated blob parsed");
            if len < 24 {
                assert!(
                    matches!(err, BtfError::HeaderTooShort { .. }),
                    "{len}: {err}"
                );
            }
        }
        // Extra bytes after the string section are ignored, as libbpf does.
        let mut padded = data.clone();
        padded.extend_from_slice(&[0xaa; 7]);
        Btf::parse(padded).unwrap();
    }
}

#[test]
fn empty_and_tiny_inputs() {
    assert_eq!(
        Btf::parse(Vec::new()).unwrap_err(),
        BtfError::HeaderTooShort { len: 0, need: 24 }
    );
    assert!(Btf::parse(&[0x9f, 0xeb][..]).is_err());
}

#[test]
fn wrong_magic() {
    for magic in [
        0u16,
        0xeb9e,
        0x9feb_u16.swap_bytes().wrapping_add(1),
        0xffff,
    ] {
        let data = sample().build_with(|h| h.magic = magic);
        assert!(
            matches!(Btf::parse(data), Err(BtfError::BadMagic(_))),
            "{magic:#x}"
        );
    }
    let err = Btf::parse(sample().build_with(|h| h.magic = 0x1234)).unwrap_err();
    assert_eq!(err.to_string(), "invalid BTF magic 0x1234");
}

#[test]
fn header_length_out_of_range() {
    let b = sample();
    let size = b.build().len();
    for hdr_len in [0, 8, 23, size as u32 + 1, u32::MAX] {
        let err = Btf::parse(b.build_with(|h| h.hdr_len = hdr_len)).unwrap_err();
        assert_eq!(err, BtfError::BadHeaderLen { hdr_len, size }, "{hdr_len}");
    }
    // A longer header moves the sections: they now end past the data.
    assert!(Btf::parse(b.build_with(|h| h.hdr_len = 28)).is_err());
}

#[test]
fn sections_past_the_end() {
    let b = sample();
    let natural = b.header();
    let cases: [fn(&mut RawHeader); 9] = [
        |h| h.str_len += 1,
        |h| h.str_off += 4,
        |h| h.str_len = u32::MAX,
        |h| h.str_off = u32::MAX,
        |h| h.type_len += 4,
        |h| h.type_len = u32::MAX,
        |h| h.type_off = u32::MAX - 3,
        |h| h.type_off = 2,
        |h| h.type_off = 4,
    ];
    for (i, edit) in cases.iter().enumerate() {
        let err = Btf::parse(b.build_with(edit)).expect_err("bad section accepted");
        assert!(
            matches!(
                err,
                BtfError::BadSection { .. }
                    | BtfError::BadStringSection
                    | BtfError::TruncatedType { .. }
                    | BtfError::TrailingTypeBytes(_)
            ),
            "case {i}: {err}"
        );
    }
    // Strings that start inside the type section.
    let err = Btf::parse(b.build_with(|h| {
        h.str_off -= 4;
        h.str_len += 4;
    }))
    .unwrap_err();
    assert!(
        matches!(
            err,
            BtfError::BadSection {
                section: "type",
                ..
            }
        ),
        "{err}"
    );
    assert!(natural.type_len > 0);
}

#[test]
fn string_section_rules() {
    // Not NUL-terminated: cut the last byte off the section.
    let b = sample();
    let err = Btf::parse(b.build_with(|h| h.str_len -= 1)).unwrap_err();
    assert_eq!(err, BtfError::BadStringSection);
    // Empty string section in standalone BTF.
    let err = Btf::parse(BtfBuilder::new().build_with(|h| h.str_len = 0)).unwrap_err();
    assert_eq!(err, BtfError::BadStringSection);
    // First string not empty.
    let mut b = BtfBuilder::new();
    b.raw_strs(b"x\0");
    let err = Btf::parse(b.build_with(|h| {
        h.str_off += 1;
        h.str_len -= 1;
    }))
    .unwrap_err();
    assert_eq!(err, BtfError::FirstStringNotEmpty);
}

#[test]
fn layout_section_bounds() {
    let entries = vec![(0u8, 0u8); 20];
    let b = BtfBuilder::new().with_layout(&entries);
    Btf::parse(b.build()).unwrap();
    for edit in [
        (|h: &mut RawHeader| h.layout_off += 2) as fn(&mut _),
        |h| h.layout_len += 4,
        |h| h.layout_len = u32::MAX,
        |h| h.layout_off = u32::MAX,
        |h| h.layout_len -= 1,
    ] {
        let err = Btf::parse(b.build_with(edit)).unwrap_err();
        assert!(
            matches!(
                err,
                BtfError::BadSection {
                    section: "layout",
                    ..
                } | BtfError::BadLayoutSection(_)
            ),
            "{err}"
        );
    }
}

#[test]
fn errors_read_well() {
    let msgs = [
        BtfError::HeaderTooShort { len: 3, need: 24 }.to_string(),
        BtfError::BadTypeId(123).to_string(),
        BtfError::BadStringOffset(999).to_string(),
    ];
    assert_eq!(msgs[0], "BTF header too short: 3 bytes, need at least 24");
    assert_eq!(msgs[1], "type id 123 past the end");
    assert_eq!(msgs[2], "string offset 999 out of range");
}
