//! eBPF instructions from hostile bytes: decoding and printing never panic, and every
//! complete 8-byte slot is accounted for exactly once.
#![no_main]

use bpftool_rs::disasm::bpf::{decode, print_insn, NoCallbacks};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut slots = 0;
    for item in decode(data) {
        let Ok(d) = item else { break };
        let mut text = String::new();
        let _ = print_insn(&mut text, &d.insn, d.next.as_ref(), &NoCallbacks, true);
        slots += if d.next.is_some() { 2 } else { 1 };
    }
    assert!(slots <= data.len() / 8 + 1);
});
