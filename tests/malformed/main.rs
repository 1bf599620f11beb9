//! Hostile-input suite for the BTF engine: every malformed blob must give an error or a bounded
//! answer, never a panic or a hang. Also live checks against this machine's kernel BTF and, when
//! present, the system bpftool and clang.

#[path = "../../src/btf/builder.rs"]
mod builder;

mod elf;
mod ext;
mod header;
mod live;
mod mutate;
mod resolve;
mod types;

use bpftool_rs::btf::{Btf, Kind};

/// Touches every accessor of every type, the way a dumper would, and returns a checksum so the
/// work cannot be optimised away. Must terminate and not panic for any BTF that parsed.
pub fn exercise(btf: &Btf) -> u64 {
    let mut sum = 0u64;
    let last = btf.type_count();
    for id in 0..=last.saturating_add(2) {
        let Some(t) = btf.type_by_id(id) else {
            assert!(id > last, "type {id} missing");
            continue;
        };
        assert_eq!(t.id(), id);
        let mut add = |v: u64| sum = sum.wrapping_mul(31).wrapping_add(v);
        add(u64::from(t.kind_raw()));
        add(u64::from(t.vlen()));
        add(u64::from(t.size().unwrap_or(0)));
        add(u64::from(t.ref_type().unwrap_or(0)));
        add(btf.name_of(&t).map_or(0, |n| n.len() as u64));
        add(u64::from(t.int_bits().unwrap_or(0)));
        add(t.array().map_or(0, |a| u64::from(a.nelems)));
        for m in t.members() {
            add(u64::from(m.bit_offset));
            add(btf.str_at(m.name_off).map_or(0, |n| n.len() as u64));
            add(btf.resolve_size(m.type_id).map_or(1, u64::from));
        }
        for v in t.enum_values() {
            add(v.value_u64());
        }
        for p in t.params() {
            add(u64::from(p.type_id));
        }
        for v in t.var_secinfos() {
            add(u64::from(v.size));
        }
        add(t.decl_tag_component_idx().map_or(0, |i| i as u64));
        add(btf.resolve_size(id).map_or(7, u64::from));
        add(btf.resolve_type(id).map_or(9, u64::from));
        if let Some(name) = btf.name_of(&t) {
            // Name search is linear: sample it on big BTFs to keep the suite quick.
            let stride = if last > 5_000 { 997 } else { 7 };
            if !name.is_empty() && id % stride == 0 {
                let found = btf.find_by_name_kind(name, t.kind());
                assert!(found.is_some_and(|f| f <= id), "find {:?}", name);
            }
        }
    }
    sum = sum.wrapping_add(u64::from(btf.pointer_size().unwrap_or(0)));
    sum.wrapping_add(
        btf.find_by_name_kind("nope", Kind::Struct)
            .map_or(0, u64::from),
    )
}

/// A blob with one of every kind, in the requested byte order.
pub fn every_kind(big_endian: bool) -> builder::BtfBuilder {
    use builder::*;
    let mut b = if big_endian {
        BtfBuilder::new().big_endian()
    } else {
        BtfBuilder::new()
    };
    let int = b.int("int", 4, 1, 0, 32);
    let long = b.int("long", 8, 1, 0, 64);
    let ptr = b.ptr(int);
    let arr = b.array(int, int, 4);
    let s = b.struct_("s", 24, &[("a", int, 0), ("p", ptr, 64), ("arr", arr, 128)]);
    b.composite(
        UNION,
        "u",
        8,
        true,
        &[("x", int, (3 << 24) | 1), ("y", long, 0)],
    );
    b.enum_("e", 4, true, &[("A", -1), ("B", 2)]);
    b.fwd("f", false);
    let td = b.typedef("s_t", s);
    let v = b.volatile(td);
    let c = b.const_(v);
    let r = b.restrict(c);
    let tt = b.type_tag("tag", r);
    let proto = b.func_proto(int, &[("x", tt), ("", 0)]);
    let func = b.func("fn", proto, 1);
    let var = b.var("g", int, 1);
    b.datasec(".data", 4, &[(var, 0, 4)]);
    b.float("double", 8);
    b.decl_tag("dt", func, 0);
    b.enum64("e64", 8, false, &[("BIG", u64::MAX)]);
    b
}

#[test]
fn every_kind_parses_in_both_orders() {
    for big in [false, true] {
        let btf = Btf::parse(every_kind(big).build()).unwrap();
        assert_eq!(btf.type_count(), 20);
        exercise(&btf);
        let kinds: Vec<u8> = btf.types().map(|t| t.kind_raw()).collect();
        assert_eq!(
            kinds,
            [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 18, 13, 12, 14, 15, 16, 17, 19]
        );
    }
}
