//! Unit tests on hand-built BTF blobs: every kind, both byte orders, split BTF, lookups.

use std::sync::Arc;

use super::builder::{self, BtfBuilder};
use super::*;

/// Runs `check` on the blob built by `build` in both byte orders.
fn both_orders(build: impl Fn(&mut BtfBuilder), check: impl Fn(&Btf)) {
    for big in [false, true] {
        let mut b = if big {
            BtfBuilder::new().big_endian()
        } else {
            BtfBuilder::new()
        };
        build(&mut b);
        let btf = Btf::parse(b.build()).unwrap_or_else(|e| panic!("big={big}: {e}"));
        let want = if big {
            Endianness::Big
        } else {
            Endianness::Little
        };
        assert_eq!(btf.endianness(), want);
        check(&btf);
    }
}

fn name<'a>(btf: &'a Btf, t: &Type<'_>) -> &'a str {
    std::str::from_utf8(btf.name_of(t).unwrap()).unwrap()
}

#[test]
fn empty_btf() {
    both_orders(
        |_| {},
        |btf| {
            assert_eq!(btf.type_count(), 0);
            assert_eq!(btf.own_type_count(), 0);
            assert_eq!(btf.start_id(), 1);
            assert!(btf.type_by_id(1).is_none());
            let void = btf.type_by_id(0).unwrap();
            assert!(void.is_void());
            assert_eq!(void.kind(), Kind::Unknown);
            assert_eq!(btf.name_of(&void), Some(&b""[..]));
            assert_eq!(btf.types().count(), 0);
        },
    );
}

#[test]
fn header_fields() {
    let mut b = BtfBuilder::new();
    b.int("int", 4, INT_SIGNED, 0, 32);
    let data = b.build();
    let btf = Btf::parse(&data[..]).unwrap();
    let h = btf.header();
    assert_eq!(h.magic, BTF_MAGIC);
    assert_eq!((h.version, h.flags, h.hdr_len), (1, 0, 24));
    assert_eq!((h.type_off, h.type_len), (0, 16));
    assert_eq!((h.str_off, h.str_len), (16, 5));
    assert_eq!((h.layout_off, h.layout_len), (0, 0));
    assert_eq!(btf.raw_data(), &data[..]);
    assert_eq!(btf.raw_strings(), b"\0int\0");
    let t = btf.type_by_id(1).unwrap();
    assert_eq!(t.raw(), &data[24..40]);
}

#[test]
fn int() {
    both_orders(
        |b| {
            b.int("int", 4, INT_SIGNED, 0, 32);
            b.int("_Bool", 1, INT_BOOL, 0, 1);
            b.int("char", 1, INT_CHAR | INT_SIGNED, 0, 8);
            b.int("bits", 8, 0, 3, 5);
        },
        |btf| {
            let t = btf.type_by_id(1).unwrap();
            assert_eq!(t.kind(), Kind::Int);
            assert_eq!(name(btf, &t), "int");
            assert_eq!(t.size(), Some(4));
            assert_eq!(t.ref_type(), None);
            let enc = t.int_encoding().unwrap();
            assert!(enc.is_signed() && !enc.is_char() && !enc.is_bool());
            assert_eq!(t.int_offset(), Some(0));
            assert_eq!(t.int_bits(), Some(32));
            assert_eq!(t.int_data(), Some(0x0100_0020));

            let b = btf.type_by_id(2).unwrap();
            assert!(b.int_encoding().unwrap().is_bool());
            let c = btf.type_by_id(3).unwrap();
            assert!(c.int_encoding().unwrap().is_char());
            let bits = btf.type_by_id(4).unwrap();
            assert_eq!(bits.int_offset(), Some(3));
            assert_eq!(bits.int_bits(), Some(5));
            assert_eq!(bits.int_encoding(), Some(IntEncoding(0)));
            // Accessors of other kinds answer None or nothing.
            assert_eq!(t.array(), None);
            assert_eq!(t.members().count(), 0);
            assert_eq!(t.enum_values().count(), 0);
        },
    );
}

#[test]
fn ptr_and_modifiers() {
    both_orders(
        |b| {
            let int = b.int("int", 4, INT_SIGNED, 0, 32);
            let c = b.const_(int);
            let v = b.volatile(c);
            let r = b.restrict(v);
            let tt = b.type_tag("user", r);
            let td = b.typedef("myint", tt);
            b.ptr(td);
        },
        |btf| {
            let kinds: Vec<Kind> = btf.types().map(|t| t.kind()).collect();
            assert_eq!(
                kinds,
                [
                    Kind::Int,
                    Kind::Const,
                    Kind::Volatile,
                    Kind::Restrict,
                    Kind::TypeTag,
                    Kind::Typedef,
                    Kind::Ptr
                ]
            );
            for id in 2..=7 {
                let t = btf.type_by_id(id).unwrap();
                assert_eq!(t.ref_type(), Some(id - 1), "id {id}");
                assert_eq!(t.size(), None);
            }
            assert_eq!(name(btf, &btf.type_by_id(5).unwrap()), "user");
            assert_eq!(name(btf, &btf.type_by_id(6).unwrap()), "myint");
            assert_eq!(btf.resolve_type(6).unwrap(), 1);
            assert_eq!(btf.resolve_type(7).unwrap(), 7);
            assert_eq!(btf.resolve_size(6).unwrap(), 4);
        },
    );
}

#[test]
fn array() {
    both_orders(
        |b| {
            let int = b.int("int", 4, INT_SIGNED, 0, 32);
            let a = b.array(int, int, 10);
            b.array(a, int, 3);
            b.array(int, int, 0);
        },
        |btf| {
            let t = btf.type_by_id(2).unwrap();
            assert_eq!(t.kind(), Kind::Array);
            assert_eq!(
                t.array(),
                Some(Array {
                    elem_type: 1,
                    index_type: 1,
                    nelems: 10
                })
            );
            assert_eq!(t.size(), None);
            assert_eq!(btf.resolve_size(2).unwrap(), 40);
            assert_eq!(btf.resolve_size(3).unwrap(), 120);
            assert_eq!(btf.resolve_size(4).unwrap(), 0);
        },
    );
}

#[test]
fn struct_and_union_members() {
    both_orders(
        |b| {
            let int = b.int("int", 4, INT_SIGNED, 0, 32);
            b.struct_("s", 8, &[("a", int, 0), ("b", int, 32)]);
            // kind_flag: bitfield size in the top 8 bits of offset.
            b.composite(
                builder::STRUCT,
                "bf",
                4,
                true,
                &[("x", int, (3 << 24) | 5), ("", int, 8)],
            );
            b.union_("u", 4, &[("i", int, 0)]);
        },
        |btf| {
            let s = btf.type_by_id(2).unwrap();
            assert_eq!(s.kind(), Kind::Struct);
            assert_eq!(s.size(), Some(8));
            assert_eq!(s.vlen(), 2);
            assert!(!s.kflag());
            let m: Vec<Member> = s.members().collect();
            assert_eq!(m.len(), 2);
            assert_eq!(btf.str_at(m[1].name_off), Some(&b"b"[..]));
            assert_eq!(m[1].type_id, 1);
            assert_eq!(m[1].bit_offset, 32);
            assert_eq!(m[1].bitfield_size, 0);
            assert_eq!(s.members().len(), 2);
            assert_eq!(s.members().nth(1), Some(m[1]));
            assert_eq!(s.members().next_back(), Some(m[1]));

            let bf = btf.type_by_id(3).unwrap();
            assert!(bf.kflag());
            let m: Vec<Member> = bf.members().collect();
            assert_eq!(m[0].offset_raw, (3 << 24) | 5);
            assert_eq!((m[0].bit_offset, m[0].bitfield_size), (5, 3));
            assert_eq!((m[1].bit_offset, m[1].bitfield_size), (8, 0));
            assert_eq!(m[1].name_off, 0);

            let u = btf.type_by_id(4).unwrap();
            assert_eq!(u.kind(), Kind::Union);
            assert_eq!(u.members().count(), 1);
            assert_eq!(btf.resolve_size(4).unwrap(), 4);
        },
    );
}

#[test]
fn enums() {
    both_orders(
        |b| {
            b.enum_("e", 4, false, &[("A", 0), ("B", -1)]);
            b.enum_("se", 4, true, &[("N", -2)]);
            b.enum64(
                "e64",
                8,
                false,
                &[("BIG", 0xffff_ffff_0000_0001), ("SMALL", 7)],
            );
            b.enum64("se64", 8, true, &[("NEG", (-5i64) as u64)]);
        },
        |btf| {
            let e = btf.type_by_id(1).unwrap();
            assert_eq!(e.kind(), Kind::Enum);
            assert_eq!(e.size(), Some(4));
            let v: Vec<EnumValue> = e.enum_values().collect();
            assert_eq!(v.len(), 2);
            assert_eq!(btf.str_at(v[1].name_off), Some(&b"B"[..]));
            assert!(!v[1].signed && !v[1].is_64);
            assert_eq!(v[1].lo32, 0xffff_ffff);
            assert_eq!(v[1].hi32, 0);
            assert_eq!(v[1].value_u64(), 0xffff_ffff);
            assert_eq!(v[1].value_i64(), 0xffff_ffff);

            let se = btf.type_by_id(2).unwrap();
            let v = se.enum_values().next().unwrap();
            assert!(v.signed);
            assert_eq!(v.value_i64(), -2);
            assert_eq!(v.value_u64(), (-2i64) as u64);

            let e64 = btf.type_by_id(3).unwrap();
            assert_eq!(e64.kind(), Kind::Enum64);
            let v: Vec<EnumValue> = e64.enum_values().collect();
            assert_eq!((v[0].lo32, v[0].hi32), (1, 0xffff_ffff));
            assert_eq!(v[0].value_u64(), 0xffff_ffff_0000_0001);
            assert_eq!(v[1].value_u64(), 7);
            assert!(v[0].is_64);

            let se64 = btf.type_by_id(4).unwrap();
            let v = se64.enum_values().next().unwrap();
            assert_eq!(v.value_i64(), -5);
            assert_eq!(btf.resolve_size(4).unwrap(), 8);
        },
    );
}

#[test]
fn fwd_and_float() {
    both_orders(
        |b| {
            b.fwd("s", false);
            b.fwd("u", true);
            b.float("double", 8);
        },
        |btf| {
            let s = btf.type_by_id(1).unwrap();
            assert_eq!(s.kind(), Kind::Fwd);
            assert!(!s.kflag());
            assert!(btf.type_by_id(2).unwrap().kflag());
            let f = btf.type_by_id(3).unwrap();
            assert_eq!(f.kind(), Kind::Float);
            assert_eq!(f.size(), Some(8));
            assert_eq!(btf.resolve_size(3).unwrap(), 8);
            // A forward declaration has no size.
            assert!(btf.resolve_size(1).is_err());
            assert!(btf.resolve_type(1).is_err());
        },
    );
}

#[test]
fn func_and_proto() {
    both_orders(
        |b| {
            let int = b.int("int", 4, INT_SIGNED, 0, 32);
            let proto = b.func_proto(int, &[("a", int), ("", 0)]);
            b.func("f", proto, LINKAGE_GLOBAL);
        },
        |btf| {
            let p = btf.type_by_id(2).unwrap();
            assert_eq!(p.kind(), Kind::FuncProto);
            assert_eq!(p.ref_type(), Some(1));
            let params: Vec<Param> = p.params().collect();
            assert_eq!(params.len(), 2);
            assert_eq!(btf.str_at(params[0].name_off), Some(&b"a"[..]));
            assert_eq!(
                params[1],
                Param {
                    name_off: 0,
                    type_id: 0
                }
            );
            let f = btf.type_by_id(3).unwrap();
            assert_eq!(f.kind(), Kind::Func);
            assert_eq!(f.ref_type(), Some(2));
            assert_eq!(f.func_linkage(), Some(LINKAGE_GLOBAL));
            assert_eq!(f.vlen(), 1);
            assert_eq!(p.func_linkage(), None);
            assert_eq!(btf.find_by_name_kind("f", Kind::Func), Some(3));
        },
    );
}

#[test]
fn var_datasec_decl_tag() {
    both_orders(
        |b| {
            let int = b.int("int", 4, INT_SIGNED, 0, 32);
            let v = b.var("counter", int, 1);
            b.datasec(".bss", 8, &[(v, 4, 4)]);
            b.decl_tag("tag", v, -1);
            b.decl_tag("arg", v, 2);
        },
        |btf| {
            let v = btf.type_by_id(2).unwrap();
            assert_eq!(v.kind(), Kind::Var);
            assert_eq!(v.var_linkage(), Some(1));
            assert_eq!(v.ref_type(), Some(1));
            let ds = btf.type_by_id(3).unwrap();
            assert_eq!(ds.kind(), Kind::Datasec);
            assert_eq!(ds.size(), Some(8));
            assert_eq!(name(btf, &ds), ".bss");
            let vs: Vec<VarSecinfo> = ds.var_secinfos().collect();
            assert_eq!(
                vs,
                [VarSecinfo {
                    type_id: 2,
                    offset: 4,
                    size: 4
                }]
            );
            let tag = btf.type_by_id(4).unwrap();
            assert_eq!(tag.kind(), Kind::DeclTag);
            assert_eq!(tag.decl_tag_component_idx(), Some(-1));
            assert_eq!(tag.ref_type(), Some(2));
            assert_eq!(btf.type_by_id(5).unwrap().decl_tag_component_idx(), Some(2));
            // VAR and DECL_TAG are followed by resolve_size, VAR by resolve_type.
            assert_eq!(btf.resolve_size(2).unwrap(), 4);
            assert_eq!(btf.resolve_size(4).unwrap(), 4);
            assert_eq!(btf.resolve_type(2).unwrap(), 1);
            assert_eq!(btf.resolve_size(3).unwrap(), 8);
        },
    );
}

#[test]
fn find_by_name_kind_semantics() {
    let mut b = BtfBuilder::new();
    b.struct_("x", 0, &[]);
    b.typedef("x", 1);
    b.int("int", 4, INT_SIGNED, 0, 32);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.find_by_name_kind("x", Kind::Struct), Some(1));
    assert_eq!(btf.find_by_name_kind("x", Kind::Typedef), Some(2));
    assert_eq!(btf.find_by_name_kind(b"x", Kind::Union), None);
    assert_eq!(btf.find_by_name("x"), Some(1));
    assert_eq!(btf.find_by_name("in"), None);
    assert_eq!(btf.find_by_name("intx"), None);
    // libbpf: "void" and kind UNKNOWN always answer 0.
    assert_eq!(btf.find_by_name_kind("void", Kind::Int), Some(0));
    assert_eq!(btf.find_by_name_kind("nothing", Kind::Unknown), Some(0));
}

#[test]
fn pointer_size() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, INT_SIGNED, 0, 32);
    let p = b.ptr(int);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.pointer_size(), None);
    let host = std::mem::size_of::<usize>() as u32;
    assert_eq!(btf.resolve_size(p).unwrap(), host);

    let mut b = BtfBuilder::new();
    b.int("long unsigned int", 4, 0, 0, 32);
    let p = b.ptr(1);
    let mut btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.pointer_size(), Some(4));
    assert_eq!(btf.resolve_size(p).unwrap(), 4);
    btf.set_pointer_size(8).unwrap();
    assert_eq!(btf.resolve_size(p).unwrap(), 8);
    assert_eq!(btf.set_pointer_size(3), Err(BtfError::BadPointerSize(3)));
}

/// Base: int, struct s { int a; }, long; split: ptr to s, struct t { s x; }.
fn split_pair(big_split: bool) -> (Arc<Btf>, Btf) {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, INT_SIGNED, 0, 32);
    b.struct_("s", 4, &[("a", int, 0)]);
    b.int("long", 8, INT_SIGNED, 0, 64);
    let base = Arc::new(Btf::parse(b.build()).unwrap());

    let h = base.header();
    let mut s = BtfBuilder::split(h.str_len, base.type_count());
    if big_split {
        s = s.big_endian();
    }
    let p = s.ptr(2);
    s.struct_("t", 12, &[("x", 2, 0), ("p", p, 32)]);
    s.typedef("s_t", 2);
    // Reuse a base string: the name "int" lives in the base.
    s.head_raw(1, builder::TYPEDEF, false, 0, 1);
    let split = Btf::parse_split(s.build(), base.clone()).unwrap();
    (base, split)
}

#[test]
fn split_btf() {
    for big in [false, true] {
        let (base, split) = split_pair(big);
        assert_eq!(base.type_count(), 3);
        assert_eq!(split.start_id(), 4);
        assert_eq!(split.own_type_count(), 4);
        assert_eq!(split.type_count(), 7);
        assert_eq!(split.start_str_off(), base.header().str_len);
        assert!(Arc::ptr_eq(split.base().unwrap(), &base));

        // Ids below start_id come from the base.
        let s = split.type_by_id(2).unwrap();
        assert_eq!(s.kind(), Kind::Struct);
        assert_eq!(split.name_of(&s), Some(&b"s"[..]));
        let t = split.type_by_id(5).unwrap();
        assert_eq!(split.name_of(&t), Some(&b"t"[..]));
        assert!(split.type_by_id(8).is_none());
        // A split string offset continues the base's.
        assert!(t.name_off() >= base.header().str_len);
        assert_eq!(
            split.name_of(&split.type_by_id(7).unwrap()),
            Some(&b"int"[..])
        );
        assert_eq!(base.str_at(t.name_off()), None);

        // Own types only, in id order.
        let ids: Vec<u32> = split.types().map(|t| t.id()).collect();
        assert_eq!(ids, [4, 5, 6, 7]);

        assert_eq!(split.find_by_name_kind("s", Kind::Struct), Some(2));
        assert_eq!(split.find_by_name_kind("t", Kind::Struct), Some(5));
        assert_eq!(split.find_by_name_kind_own("s", Kind::Struct), None);
        assert_eq!(split.find_by_name_kind_own("t", Kind::Struct), Some(5));
        assert_eq!(split.resolve_type(6).unwrap(), 2);
        assert_eq!(split.resolve_size(6).unwrap(), 4);
        // The pointer size comes from the base's "long".
        assert_eq!(split.resolve_size(4).unwrap(), 8);
    }
}

#[test]
fn split_on_split() {
    let (_base, split) = split_pair(false);
    let split = Arc::new(split);
    let mut s2 = BtfBuilder::split(split.str_end(), split.type_count());
    s2.typedef("t_t", 5);
    let s2 = Btf::parse_split(s2.build(), split.clone()).unwrap();
    assert_eq!(s2.start_id(), 8);
    let td = s2.type_by_id(8).unwrap();
    assert_eq!(s2.name_of(&td), Some(&b"t_t"[..]));
    assert_eq!(s2.resolve_type(8).unwrap(), 5);
    assert_eq!(s2.resolve_size(8).unwrap(), 12);
    assert_eq!(s2.find_by_name_kind("s", Kind::Struct), Some(2));
    assert_eq!(s2.name_of(&s2.type_by_id(1).unwrap()), Some(&b"int"[..]));
}

#[test]
fn split_with_empty_strings() {
    let (base, _) = split_pair(false);
    let mut s = BtfBuilder::split(base.header().str_len, base.type_count());
    s.head_raw(0, builder::PTR, false, 0, 1);
    let split = Btf::parse_split(s.build(), base.clone()).unwrap();
    assert_eq!(split.header().str_len, 0);
    assert_eq!(split.resolve_size(4).unwrap(), 8);
    // Standalone BTF needs a string section.
    assert_eq!(
        Btf::parse(s.build()).unwrap_err(),
        BtfError::BadStringSection
    );
}

#[test]
fn layout_section_sizes_unknown_kinds() {
    // Kind 25 is unknown to us; the layout says 4 bytes of info and 8 per vlen entry.
    let mut entries = vec![(0u8, 0u8); 26];
    entries[25] = (4, 8);
    let mut b = BtfBuilder::new().with_layout(&entries);
    b.int("int", 4, INT_SIGNED, 0, 32);
    b.head("new", 25, false, 2, 1);
    for w in [7, 1, 2, 3, 4] {
        b.word(w);
    }
    b.ptr(2);
    let data = b.build();
    let btf = Btf::parse(&data[..]).unwrap();
    assert_eq!(btf.header().hdr_len, 32);
    assert_eq!(btf.header().layout_len, 26 * 4);
    assert_eq!(btf.raw_layout().len(), 26 * 4);
    let t = btf.type_by_id(2).unwrap();
    assert_eq!(t.kind(), Kind::Unknown);
    assert_eq!(t.kind_raw(), 25);
    assert_eq!(t.raw().len(), 12 + 4 + 16);
    assert_eq!(btf.type_by_id(3).unwrap().kind(), Kind::Ptr);
    assert!(btf.resolve_size(2).is_err());

    // Without an entry for the kind the type is refused.
    let mut b = BtfBuilder::new().with_layout(&entries[..20]);
    b.head("new", 25, false, 0, 0);
    assert_eq!(
        Btf::parse(b.build()).unwrap_err(),
        BtfError::UnknownKind { id: 1, kind: 25 }
    );
    // Sizes must be multiples of 4.
    let mut odd = entries.clone();
    odd[25] = (2, 0);
    let mut b = BtfBuilder::new().with_layout(&odd);
    b.head("new", 25, false, 0, 0);
    assert_eq!(Btf::parse(b.build()).unwrap_err(), BtfError::BadLayout(25));
}

#[test]
fn ext_parses_all_subsections() {
    for big in [false, true] {
        let func: &[(u32, &[&[u32]])] = &[(1, &[&[0, 3], &[16, 4]]), (5, &[&[0, 6]])];
        let line: &[(u32, &[&[u32]])] = &[(1, &[&[0, 9, 10, (42 << 10) | 7]])];
        let core: &[(u32, &[&[u32]])] = &[(1, &[&[8, 2, 11, 0]])];
        let data = builder::build_ext(big, Some((8, func)), Some((16, line)), Some((16, core)));
        let ext = BtfExt::parse(&data[..]).unwrap();
        assert_eq!(ext.header().hdr_len, 32);
        assert_eq!(ext.header().version, 1);
        assert_eq!(ext.func_info().rec_size(), 8);
        let secs: Vec<_> = ext.func_info().collect();
        assert_eq!(secs.len(), 2);
        assert_eq!(secs[0].sec_name_off, 1);
        assert_eq!(secs[0].num_info, 2);
        let recs: Vec<FuncInfo> = secs[0].records().collect();
        assert_eq!(
            recs,
            [
                FuncInfo {
                    insn_off: 0,
                    type_id: 3
                },
                FuncInfo {
                    insn_off: 16,
                    type_id: 4
                }
            ]
        );
        assert_eq!(secs[1].records().next().unwrap().type_id, 6);
        let l = ext.line_info().next().unwrap().records().next().unwrap();
        assert_eq!((l.file_name_off, l.line_off), (9, 10));
        assert_eq!((l.line(), l.column()), (42, 7));
        let c = ext.core_relo().next().unwrap().records().next().unwrap();
        assert_eq!(
            c,
            CoreRelo {
                insn_off: 8,
                type_id: 2,
                access_str_off: 11,
                kind: 0
            }
        );
    }
}

#[test]
fn ext_accepts_larger_native_records() {
    let func: &[(u32, &[&[u32]])] = &[(1, &[&[0, 3, 99]])];
    let data = builder::build_ext(cfg!(target_endian = "big"), Some((12, func)), None, None);
    let ext = BtfExt::parse(data).unwrap();
    let recs: Vec<FuncInfo> = ext.func_info().flat_map(|s| s.records()).collect();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].type_id, 3);
    assert_eq!(ext.line_info().count(), 0);
    assert_eq!(ext.core_relo().count(), 0);

    // Swapped data must use the exact record size.
    let data = builder::build_ext(cfg!(target_endian = "little"), Some((12, func)), None, None);
    assert!(matches!(
        BtfExt::parse(data),
        Err(BtfError::ExtBadInfo {
            what: "func_info",
            ..
        })
    ));
}

#[test]
fn btf_is_shareable_across_threads() {
    fn check<T: Send + Sync>() {}
    check::<Btf>();
    check::<BtfExt>();
    check::<Type<'static>>();
}

#[test]
fn raw_or_elf_detection() {
    let mut b = BtfBuilder::new();
    b.int("int", 4, INT_SIGNED, 0, 32);
    let raw = b.build();
    assert_eq!(Btf::parse_raw_or_elf(&raw, None).unwrap().type_count(), 1);
    let base = Arc::new(Btf::parse(&raw[..]).unwrap());
    let mut s = BtfBuilder::split(base.header().str_len, 1);
    s.ptr(1);
    let split = Btf::parse_raw_or_elf(&s.build(), Some(base)).unwrap();
    assert_eq!(split.start_id(), 2);
    // Neither BTF nor ELF: the ELF reader's error.
    assert!(matches!(
        Btf::parse_raw_or_elf(b"\x7fELF", None),
        Err(BtfError::Elf(_))
    ));
    assert!(Btf::parse_raw_or_elf(b"", None).is_err());
}
