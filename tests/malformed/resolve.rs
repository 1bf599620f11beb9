//! Reference loops and deep chains: resolve_type and resolve_size must stop.

use bpftool_rs::btf::{Btf, BtfError, MAX_RESOLVE_DEPTH};

use crate::builder::{self, BtfBuilder};

#[test]
fn typedef_ptr_loop() {
    // [1] typedef A -> [2] ptr -> [1]
    let mut b = BtfBuilder::new();
    b.typedef("A", 2);
    b.ptr(1);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.resolve_type(1).unwrap(), 2);
    assert_eq!(btf.resolve_type(2).unwrap(), 2);
    let ptr = std::mem::size_of::<usize>() as u32;
    assert_eq!(btf.resolve_size(1).unwrap(), ptr);
    crate::exercise(&btf);
}

#[test]
fn modifier_loops_hit_the_depth_limit() {
    // [1] typedef A -> [2] const -> [3] volatile -> [1]
    let mut b = BtfBuilder::new();
    b.typedef("A", 2);
    b.const_(3);
    b.volatile(1);
    // [4] typedef B -> [4]
    b.typedef("B", 4);
    // [5] var -> [6] type_tag -> [5]; [7] decl_tag -> [5]
    b.var("v", 6, 0);
    b.type_tag("t", 5);
    b.decl_tag("d", 5, -1);
    let btf = Btf::parse(b.build()).unwrap();
    // resolve_type does not follow DECL_TAG (libbpf neither).
    assert_eq!(btf.resolve_type(7).unwrap(), 7);
    for id in 1..=7 {
        if id != 7 {
            assert!(
                matches!(btf.resolve_type(id), Err(BtfError::TooDeep(_))),
                "{id}"
            );
        }
        assert!(
            matches!(btf.resolve_size(id), Err(BtfError::TooDeep(_))),
            "{id}"
        );
    }
    crate::exercise(&btf);
}

#[test]
fn arrays_of_themselves() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, 1, 0, 32);
    // [2] array of [2], one element: no size ever found.
    let a1 = b.array(2, int, 1);
    // [3] array of [3] with zero elements: nelems stays 0, still no size.
    let a0 = b.array(3, int, 0);
    // [4] array of [4] with 2 elements: 2^32 overflows long before the depth limit.
    let a2 = b.array(4, int, 2);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.resolve_size(a1), Err(BtfError::TooDeep(a1)));
    assert_eq!(btf.resolve_size(a0), Err(BtfError::TooDeep(a0)));
    assert_eq!(btf.resolve_size(a2), Err(BtfError::SizeOverflow(a2)));
    // resolve_type stops at arrays.
    assert_eq!(btf.resolve_type(a1).unwrap(), a1);
    crate::exercise(&btf);
}

#[test]
fn struct_containing_itself_through_arrays() {
    // struct s { struct s self[2]; } — invalid C, but BTF can say it.
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, 1, 0, 32);
    let s = b.next_id();
    let arr = s + 1;
    b.struct_("s", 16, &[("self", arr, 0)]);
    b.array(s, int, 2);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.resolve_size(s).unwrap(), 16);
    assert_eq!(btf.resolve_size(arr).unwrap(), 32);
    crate::exercise(&btf);
}

#[test]
fn array_size_overflow() {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, 1, 0, 32);
    let big = b.array(int, int, u32::MAX);
    let big2 = b.array(big, int, 2);
    let just = b.array(int, int, u32::MAX / 4);
    let zero = b.array(big, int, 0);
    let empty_struct = b.struct_("e", 0, &[]);
    let many_empty = b.array(empty_struct, int, u32::MAX);
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.resolve_size(big), Err(BtfError::SizeOverflow(big)));
    assert_eq!(btf.resolve_size(big2), Err(BtfError::SizeOverflow(big2)));
    assert_eq!(btf.resolve_size(just).unwrap(), u32::MAX / 4 * 4);
    // libbpf stops checking once a dimension is 0: the answer is 0.
    assert_eq!(btf.resolve_size(zero).unwrap(), 0);
    assert_eq!(btf.resolve_size(many_empty).unwrap(), 0);
}

#[test]
fn deeply_nested_modifiers() {
    let depth = 10_000u32;
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, 1, 0, 32);
    let mut last = int;
    for i in 0..depth {
        last = match i % 4 {
            0 => b.const_(last),
            1 => b.volatile(last),
            2 => b.typedef("t", last),
            _ => b.restrict(last),
        };
    }
    let btf = Btf::parse(b.build()).unwrap();
    assert_eq!(btf.type_count(), depth + 1);
    assert!(matches!(btf.resolve_type(last), Err(BtfError::TooDeep(_))));
    assert!(matches!(btf.resolve_size(last), Err(BtfError::TooDeep(_))));
    // Exactly at libbpf's limit: 31 hops resolve, 32 do not.
    let limit = MAX_RESOLVE_DEPTH as u32;
    assert_eq!(btf.resolve_type(int + limit - 1).unwrap(), int);
    assert!(btf.resolve_type(int + limit).is_err());
    assert_eq!(btf.resolve_size(int + limit - 1).unwrap(), 4);
    assert!(btf.resolve_size(int + limit).is_err());
}

#[test]
fn resolving_to_void_or_fwd_is_an_error() {
    let mut b = BtfBuilder::new();
    let c = b.const_(0);
    let f = b.fwd("f", false);
    let td = b.typedef("t", f);
    let proto = b.func_proto(0, &[]);
    let func = b.func("fn", proto, 0);
    let btf = Btf::parse(b.build()).unwrap();
    for id in [0, c, f, td] {
        assert!(btf.resolve_type(id).is_err(), "{id}");
        assert!(btf.resolve_size(id).is_err(), "{id}");
    }
    // FUNC and FUNC_PROTO have no size.
    assert!(btf.resolve_size(proto).is_err());
    assert!(btf.resolve_size(func).is_err());
    assert_eq!(btf.resolve_type(func).unwrap(), func);
    let _ = builder::FUNC;
}
