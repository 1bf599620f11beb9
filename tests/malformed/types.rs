//! Broken type records: bad kinds, sizes, references and string offsets.

use std::sync::Arc;

use bpftool_rs::btf::{Btf, BtfError};

use crate::builder::{self, BtfBuilder};

#[test]
fn huge_vlen_with_no_bytes_behind_it() {
    for kind in [
        builder::STRUCT,
        builder::UNION,
        builder::ENUM,
        builder::ENUM64,
        builder::FUNC_PROTO,
        builder::DATASEC,
    ] {
        let mut b = BtfBuilder::new();
        b.head("big", kind, false, 0x00ff_ffff, 4);
        let err = Btf::parse(b.build()).unwrap_err();
        assert_eq!(
            err,
            BtfError::TruncatedType { id: 1, off: 0 },
            "kind {kind}"
        );
    }
    // One entry short.
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, 1, 0, 32);
    b.head("s", builder::STRUCT, false, 2, 8);
    for w in [0, int, 0, 0, int] {
        b.word(w);
    }
    assert_eq!(
        Btf::parse(b.build()).unwrap_err(),
        BtfError::TruncatedType { id: 2, off: 16 }
    );
}

#[test]
fn fixed_part_cut_short() {
    // An INT needs a word after its header, an ARRAY three.
    for (kind, words) in [(builder::INT, 0), (builder::ARRAY, 2), (builder::VAR, 0)] {
        let mut b = BtfBuilder::new();
        b.head("x", kind, false, 0, 4);
        for _ in 0..words {
            b.word(0);
        }
        assert!(
            matches!(
                Btf::parse(b.build()),
                Err(BtfError::TruncatedType { id: 1, .. })
            ),
            "kind {kind}"
        );
    }
}

#[test]
fn trailing_bytes_in_type_section() {
    let mut b = BtfBuilder::new();
    b.int("int", 4, 1, 0, 32);
    b.word(0);
    b.word(0);
    assert_eq!(
        Btf::parse(b.build()).unwrap_err(),
        BtfError::TrailingTypeBytes(8)
    );
}

#[test]
fn unknown_kinds_are_refused() {
    for kind in [0u8, 20, 21, 64, 127] {
        let mut b = BtfBuilder::new();
        b.int("int", 4, 1, 0, 32);
        b.head("x", kind, false, 0, 0);
        assert_eq!(
            Btf::parse(b.build()).unwrap_err(),
            BtfError::UnknownKind { id: 2, kind },
        );
    }
}

#[test]
fn string_offsets_out_of_range() {
    let mut b = BtfBuilder::new();
    b.head_raw(1000, builder::INT, false, 0, 4);
    b.word(32);
    let err = Btf::parse(b.build()).unwrap_err();
    assert_eq!(
        err,
        BtfError::BadTypeString {
            id: 1,
            what: "type name",
            off: 1000
        }
    );
    assert_eq!(
        err.to_string(),
        "type [1]: invalid type name (string offset 1000)"
    );

    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, 1, 0, 32);
    b.head("s", builder::STRUCT, false, 1, 4);
    for w in [u32::MAX, int, 0] {
        b.word(w);
    }
    assert!(matches!(
        Btf::parse(b.build()),
        Err(BtfError::BadTypeString {
            what: "field name",
            ..
        })
    ));

    let mut b = BtfBuilder::new();
    b.head("e", builder::ENUM, false, 1, 4);
    b.word(0x00ff_ffff);
    b.word(1);
    assert!(matches!(
        Btf::parse(b.build()),
        Err(BtfError::BadTypeString {
            what: "enum name",
            ..
        })
    ));

    // Lookups outside the strings are None, never a panic.
    let btf = Btf::parse(crate::every_kind(false).build()).unwrap();
    let len = btf.header().str_len;
    assert_eq!(btf.str_at(len), None);
    assert_eq!(btf.str_at(u32::MAX), None);
    assert_eq!(btf.try_str_at(len), Err(BtfError::BadStringOffset(len)));
    assert_eq!(btf.str_at(len - 1), Some(&b""[..]));
    assert!(!btf.str_eq(u32::MAX, b""));
}

#[test]
fn type_ids_past_the_end() {
    let refs: [fn(&mut BtfBuilder); 7] = [
        |b| {
            b.ptr(99);
        },
        |b| {
            b.typedef("t", u32::MAX);
        },
        |b| {
            b.array(1, 77, 2);
        },
        |b| {
            b.struct_("s", 4, &[("m", 5, 0)]);
        },
        |b| {
            b.func_proto(1, &[("a", 1000)]);
        },
        |b| {
            b.datasec(".d", 4, &[(3, 0, 4)]);
        },
        |b| {
            b.decl_tag("t", 42, -1);
        },
    ];
    for (i, add) in refs.iter().enumerate() {
        let mut b = BtfBuilder::new();
        b.int("int", 4, 1, 0, 32);
        add(&mut b);
        let err = Btf::parse(b.build()).unwrap_err();
        assert!(
            matches!(err, BtfError::BadTypeRef { id: 2, .. }),
            "case {i}: {err}"
        );
    }

    let btf = Btf::parse(crate::every_kind(false).build()).unwrap();
    let last = btf.type_count();
    assert!(btf.type_by_id(last).is_some());
    assert!(btf.type_by_id(last + 1).is_none());
    assert!(btf.type_by_id(u32::MAX).is_none());
    assert_eq!(
        btf.try_type_by_id(123).unwrap_err().to_string(),
        "type id 123 past the end"
    );
    assert_eq!(
        btf.resolve_size(u32::MAX),
        Err(BtfError::BadTypeId(u32::MAX))
    );
    assert_eq!(
        btf.resolve_type(last + 1),
        Err(BtfError::BadTypeId(last + 1))
    );
}

#[test]
fn func_must_point_to_a_proto() {
    for target in [0u32, 1] {
        let mut b = BtfBuilder::new();
        b.int("int", 4, 1, 0, 32);
        b.func("f", target, 0);
        assert_eq!(
            Btf::parse(b.build()).unwrap_err(),
            BtfError::FuncNotProto { id: 2, target }
        );
    }
}

#[test]
fn split_references_and_strings_are_checked_against_the_base() {
    let mut b = BtfBuilder::new();
    b.int("int", 4, 1, 0, 32);
    let base = Arc::new(Btf::parse(b.build()).unwrap());
    let base_strs = base.header().str_len;

    // A pointer past the split's own types.
    let mut s = BtfBuilder::split(base_strs, 1);
    s.ptr(3);
    assert_eq!(
        Btf::parse_split(s.build(), base.clone()).unwrap_err(),
        BtfError::BadTypeRef { id: 2, target: 3 }
    );
    // A name offset past the split's strings.
    let mut s = BtfBuilder::split(base_strs, 1);
    s.head_raw(base_strs + 50, builder::PTR, false, 0, 1);
    s.str("x");
    assert!(matches!(
        Btf::parse_split(s.build(), base.clone()),
        Err(BtfError::BadTypeString { id: 2, .. })
    ));
    // Valid: a base name and a base type from the split.
    let mut s = BtfBuilder::split(base_strs, 1);
    s.head_raw(1, builder::TYPEDEF, false, 0, 1);
    let split = Btf::parse_split(s.build(), base.clone()).unwrap();
    assert_eq!(
        split.name_of(&split.type_by_id(2).unwrap()),
        Some(&b"int"[..])
    );
    crate::exercise(&split);
    // The split blob on its own is nonsense (no strings of its own); it must not parse.
    assert!(Btf::parse(s.build()).is_err());
}

#[test]
fn many_tiny_types_are_indexed() {
    // 100k PTRs to void: checks the index grows past its initial estimate.
    let mut b = BtfBuilder::new();
    for _ in 0..100_000 {
        b.ptr(0);
    }
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.type_count(), 100_000);
    assert_eq!(btf.types().len(), 100_000);
    assert_eq!(btf.type_by_id(100_000).unwrap().ref_type(), Some(0));
}
