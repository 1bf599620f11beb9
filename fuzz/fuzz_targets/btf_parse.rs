//! BTF from hostile bytes: parsing never panics, and a BTF that parses is fully
//! walkable: every id up to the count resolves, sizes and names are bounded lookups.
#![no_main]

use bpftool_rs::btf::Btf;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(btf) = Btf::parse(data.to_vec()) else {
        return;
    };
    for id in btf.start_id()..=btf.type_count() {
        let t = btf
            .type_by_id(id)
            .expect("every id up to type_count exists");
        let _ = btf.str_at(t.name_off());
        let _ = btf.resolve_size(id);
        let _ = btf.resolve_type(id);
        for m in t.members() {
            let _ = btf.str_at(m.name_off);
        }
    }
    assert!(btf.type_by_id(btf.type_count() + 1).is_none());
});
