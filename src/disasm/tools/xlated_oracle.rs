//! Dev tool: compares the eBPF printer with the reference bpftool's own compiled code
//! (`xlated_harness.c` linked with its `xlated_dumper.o`, `disasm.o`, `json_writer.o`) on every
//! test vector of `cases.rs` and 400,000 random instructions, and bpftool's kallsyms lookup
//! with ours on this host's /proc/kallsyms. See README.md in this folder.
//!
//!     cargo run --release --example disasm-xlated-oracle -- HARNESS

use bpftool_rs::disasm::bpf::{BpftoolCallbacks, Insn, Kallsyms, KernelSymbols};

/// The test vectors, compiled here as in the unit tests (they name `super::{Insn, Kallsyms}`).
#[path = "../bpf/cases.rs"]
#[allow(dead_code)]
mod cases;
use cases::*;

fn main() {
    let Some(harness) = std::env::args().nth(1) else {
        eprintln!("usage: disasm-xlated-oracle HARNESS");
        std::process::exit(2);
    };
    oracle_agrees_with_cases_and_random_streams(&harness);
    oracle_agrees_on_kallsyms_lookup(&harness);
}

/// Differential test against the reference bpftool's compiled `xlated_dumper.o` + `disasm.o`:
/// set `BPF_DISASM_ORACLE` to the harness built as described in testdata/README.md.
/// Compares every case in `CASES`, then random instruction streams, line by line.
fn oracle_agrees_with_cases_and_random_streams(harness: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let dir = std::env::temp_dir().join(format!("bpf-disasm-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let symfile = dir.join("syms");
    std::fs::write(
        &symfile,
        "ffffffff81000100 __htab_map_lookup_elem\nffffffffc0001000 bpf_prog_1122334455667788_sub\n",
    )
    .unwrap();
    let jited = JITED.map(|a| format!("{a:x}")).join(",");
    let run = |bytes: &[u8]| -> String {
        let mut child = Command::new(harness)
            .args([
                format!("{CALL_BASE:x}").as_str(),
                symfile.to_str().unwrap(),
                &jited,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(bytes).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let syms = fixture_syms();
    let cbs = BpftoolCallbacks::new(&syms, &JITED);
    let ours = |bytes: &[u8]| -> String {
        let mut out = Vec::new();
        bpftool_rs::disasm::bpf::bpftool::dump_plain(&mut out, bytes, &cbs, true).unwrap();
        String::from_utf8(out).unwrap()
    };
    let compare = |what: &str, bytes: &[u8]| -> usize {
        let (want, got) = (run(bytes), ours(bytes));
        for (n, (w, g)) in want.lines().zip(got.lines()).enumerate() {
            assert_eq!(g, w, "{what}: line {n} differs");
        }
        assert_eq!(
            want.lines().count(),
            got.lines().count(),
            "{what}: line count"
        );
        want.lines().count()
    };

    let all: Vec<u8> = CASES.iter().flat_map(case_bytes).collect();
    let mut lines = compare("CASES", &all);
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for round in 0..200 {
        let mut bytes = Vec::new();
        for _ in 0..2000 {
            bytes.extend_from_slice(&random_insn(&mut rng));
        }
        // bpftool reads past a final LD_IMM64; keep the streams well-formed at the end.
        bytes.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
        lines += compare(&format!("random round {round}"), &bytes);
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{lines} lines identical");
}

/// bpftool's own `kernel_syms_load` + `kernel_syms_search` (harness mode `ksyms`) and
/// [`Kallsyms`] must pick the same name for every address of this host's /proc/kallsyms,
/// aliases included.
fn oracle_agrees_on_kallsyms_lookup(harness: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let text = std::fs::read_to_string("/proc/kallsyms").unwrap();
    let ours = Kallsyms::parse(&text);
    let mut addrs: Vec<u64> = text
        .lines()
        .filter_map(|l| u64::from_str_radix(l.split(' ').next()?, 16).ok())
        .collect();
    addrs.extend([0, 1, u64::MAX, ours.call_base().wrapping_add(1)]);
    let input: String = addrs.iter().map(|a| format!("{a:x}\n")).collect();
    let mut child = Command::new(harness)
        .arg("ksyms")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let mut lines = out.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("call_base {:x}", ours.call_base())
    );
    let mut n = 0;
    for (line, &addr) in lines.zip(&addrs) {
        let want = line.split_once(' ').unwrap().1;
        let got = ours.symbol_at(addr).unwrap_or("-");
        assert_eq!(got, want, "address {addr:x}");
        n += 1;
    }
    assert_eq!(n, addrs.len());
    eprintln!("{n} kallsyms lookups identical");
}
