//! BPF ELF objects from hostile bytes: opening never panics; an object that opens has its
//! skeleton, subskeleton and light skeleton written or refused with an error (never a
//! panic), and a skeleton, when written, names every program the model found.
#![no_main]

use bpftool_rs::skeleton::{c, link, Object};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = link::upgrade_btf_header(data);
    let Ok(obj) = Object::open(data, "fuzz") else {
        return;
    };
    if let Ok(text) = c::skeleton(&obj, "fuzz") {
        for p in &obj.programs {
            assert!(text.contains(&format!("struct bpf_program *{};", p.name)));
        }
    }
    let _ = c::light_skeleton(&obj, "fuzz", &c::LoaderBlob::default());
    if let Ok(sub) = Object::open(data, "") {
        let _ = c::subskeleton(&sub, "fuzz");
    }
});
