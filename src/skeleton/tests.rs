use super::*;

#[test]
fn identifiers() {
    assert_eq!(sanitize_identifier("a.b-c"), "a_b_c");
    assert!(is_c_identifier("_a1"));
    assert!(!is_c_identifier("1a"));
    assert!(!is_c_identifier(""));
    assert_eq!(
        datasec_ident(".data.foo-bar").as_deref(),
        Some("data_foo_bar")
    );
    assert_eq!(datasec_ident(".addr_space.1").as_deref(), Some("arena"));
    assert_eq!(datasec_ident(".maps"), None);
}

/// The committed fixture objects (see tests/fixtures/gen/build.sh).
const OBJECTS: &[&[u8]] = &[
    include_bytes!("../../tests/fixtures/gen/obj/globals.clang19.bpf.o"),
    include_bytes!("../../tests/fixtures/gen/obj/struct_ops.clang14.bpf.o"),
    include_bytes!("../../tests/fixtures/gen/obj/maps.clang19.bpf.o"),
    include_bytes!("../../tests/fixtures/gen/obj/core.clang19.bpf.o"),
    include_bytes!("../../tests/fixtures/gen/obj/arena.clang19.bpf.o"),
];

/// Runs everything `gen` does with an object's bytes; only panics matter here.
fn exercise(data: &[u8]) {
    for name in ["obj", ""] {
        if let Ok(obj) = Object::open(data, name) {
            let _ = c::skeleton(&obj, "obj");
            let _ = c::subskeleton(&obj, "obj");
            let _ = c::light_skeleton(&obj, "obj", &c::LoaderBlob::default());
        }
    }
    let _ = link::upgrade_btf_header(data);
    if let Ok(core) = crate::btfgen::CoreObject::parse(data) {
        if let Ok(src) = crate::btf::Btf::from_elf(OBJECTS[3]) {
            let _ = crate::btfgen::minimize(&src, &[("x".into(), core)]);
        }
    }
}

#[test]
fn opens_the_fixtures_as_libbpf_does() {
    let obj = Object::open(OBJECTS[0], "globals").unwrap();
    let maps: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        maps,
        [
            "inner_a",
            "inner_b",
            "outer",
            "points",
            "jumps",
            "percpu",
            "events",
            "plain_array",
            "lru",
            "bloom",
            "perf_out",
            "globals.data",
            "globals.bss",
            "globals.rodata",
            ".data.custom",
            ".rodata.custom",
            ".data.a_section_name_longer_than_fifteen",
            ".bss.custom",
            "globals.kconfig",
        ]
    );
    // Ring buffer sizes are rounded up to a power-of-two number of pages.
    assert_eq!(obj.maps[6].max_entries, 8192);
    let ident = |name: &str| obj.map_ident(obj.maps.iter().find(|m| m.name == name).unwrap());
    assert_eq!(
        ident(".data.a_section_name_longer_than_fifteen").unwrap(),
        "data_a_section_name_longer_than_fifteen"
    );
    assert_eq!(ident("globals.kconfig").unwrap(), "kconfig");
    assert!(obj
        .programs
        .iter()
        .any(|p| p.name == "not_autoloaded" && !p.autoload));
    assert!(
        !obj.programs.iter().any(|p| p.name == "global_helper"),
        "subprograms are not programs"
    );
    let data = obj.datasec_by_ident("data").unwrap();
    let hidden = data
        .vars
        .iter()
        .find(|v| v.name == "hidden_counter")
        .unwrap();
    assert_eq!(
        hidden.linkage,
        crate::btf::LINKAGE_STATIC,
        "hidden globals become static"
    );
    let offsets: Vec<u32> = data.vars.iter().map(|v| v.offset).collect();
    assert!(
        offsets.windows(2).all(|w| w[0] <= w[1]),
        "variables sorted by offset"
    );
    let kconfig = obj.datasec_by_ident("kconfig").unwrap();
    assert!(kconfig
        .vars
        .iter()
        .all(|v| v.linkage == crate::btf::LINKAGE_GLOBAL));
}

/// Mutations per object (`BPFTOOL_RS_FUZZ=N` runs more, for a longer hunt).
fn mutations() -> usize {
    std::env::var("BPFTOOL_RS_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

#[test]
fn hostile_objects_never_panic() {
    let rounds = mutations();
    // A deterministic stream of mutations: truncations, byte flips, and overwritten words,
    // most of them inside the section headers, symbols, BTF and relocations.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for data in OBJECTS {
        for len in (0..data.len()).step_by(307) {
            exercise(&data[..len]);
        }
        for _ in 0..rounds {
            let mut d = data.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let pos = (next() % d.len() as u64) as usize;
                match next() % 3 {
                    0 => d[pos] ^= 1 << (next() % 8),
                    1 => d[pos] = 0xff,
                    _ => {
                        let end = (pos + 4).min(d.len());
                        let v = (next() as u32).to_le_bytes();
                        d[pos..end].copy_from_slice(&v[..end - pos]);
                    }
                }
            }
            exercise(&d);
        }
    }
}
