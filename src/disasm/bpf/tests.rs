//! Printer tests: a hand-assembled case for every class and opcode family, golden dumps of real
//! programs taken from the reference bpftool, and a never-panic sweep over random bytes.
//!
//! Every expected string in `CASES` (cases.rs) was checked against the reference bpftool's own
//! compiled disassembler with the dev tool in src/disasm/tools (see its README.md), not only
//! derived from reading disasm.c.

use super::bpftool::{write_insn_line, BpftoolCallbacks, KernelSymbols};
use super::insn::{decode, Insn};
use super::print::{display_insn, Callbacks, NoCallbacks};

use super::cases::*;

fn render(insn: &Insn, next: Option<&Insn>, cbs: &dyn Callbacks) -> String {
    let text = display_insn(insn, next, cbs, true).to_string();
    text
}

#[test]
fn every_case_prints_like_the_kernel() {
    let syms = fixture_syms();
    let cbs = BpftoolCallbacks::new(&syms, &JITED);
    let mut failures = Vec::new();
    for case in CASES {
        let bytes = case_bytes(case);
        let d = decode(&bytes).next().unwrap().unwrap();
        assert_eq!(d.insn, case.insn, "encoding round trip");
        let got = render(&d.insn, d.next.as_ref(), &cbs);
        if got != case.text {
            failures.push(format!(
                "{:02x?}\n  want {}\n  got  {got}",
                bytes, case.text
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Without callbacks the kernel's own fallbacks show; checked against disasm.o with NULL
/// `cb_call`/`cb_imm` (harness mode `nocb`).
#[test]
fn kernel_fallbacks_without_callbacks() {
    let t = |insn: Insn, hi: Option<i32>, leaks: bool| {
        let next = hi.map(|imm| Insn {
            imm,
            ..Insn::default()
        });
        let text = display_insn(&insn, next.as_ref(), &NoCallbacks, leaks).to_string();
        text
    };
    let insn = |code, src_reg, off, imm| Insn {
        code,
        dst_reg: 2,
        src_reg,
        off,
        imm,
    };
    assert_eq!(t(insn(0x85, 1, 3, 7), None, true), "(85) call pc+7");
    assert_eq!(t(insn(0x85, 1, 3, -7), None, true), "(85) call pc-7");
    assert_eq!(
        t(insn(0x85, 2, 0, 9), None, true),
        "(85) call kernel-function#9"
    );
    assert_eq!(
        t(insn(0x85, 0, 0, 500), None, true),
        "(85) call unknown#500"
    );
    assert_eq!(t(insn(0x85, 3, 0, 1), None, true), "(85) call unknown#1");
    assert_eq!(
        t(insn(0x85, 0, 0, 14), None, true),
        "(85) call bpf_get_current_pid_tgid#14"
    );
    // Map and BTF pointers are hidden unless pointer leaks are allowed; plain and FUNC are not.
    for src in [1, 2, 3, 5, 6] {
        assert_eq!(t(insn(0x18, src, 0, 5), Some(1), false), "(18) r2 = 0x0");
        assert_eq!(
            t(insn(0x18, src, 0, 5), Some(1), true),
            "(18) r2 = 0x100000005"
        );
    }
    for src in [0, 4, 7, 15] {
        assert_eq!(
            t(insn(0x18, src, 0, 5), Some(1), false),
            "(18) r2 = 0x100000005"
        );
    }
}

/// A truncated LD_IMM64 (no second slot) cannot come from the kernel; it prints with a zero high
/// half and a one-slot opcodes line rather than reading past the input as bpftool would.
#[test]
fn truncated_ld_imm64_prints_low_half() {
    let bytes = [0x18, 0x21, 0, 0, 3, 0, 0, 0];
    let d = decode(&bytes).next().unwrap().unwrap();
    assert!(d.is_truncated());
    let syms = fixture_syms();
    let mut out = Vec::new();
    write_insn_line(&mut out, &d, &BpftoolCallbacks::new(&syms, &JITED), true).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "   0: (18) r1 = map[id:3][0]+0\n       18 21 00 00 03 00 00 00\n"
    );
}

/// Decoding and printing never panic, whatever the bytes and the length.
#[test]
fn random_bytes_never_panic() {
    let syms = fixture_syms();
    let cbs = BpftoolCallbacks::new(&syms, &JITED);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    for round in 0..2000 {
        let mut bytes = Vec::new();
        let n = (rng.next() % 64) as usize;
        for _ in 0..n {
            bytes.extend_from_slice(&random_insn(&mut rng));
        }
        bytes.truncate(bytes.len().saturating_sub((rng.next() % 8) as usize));
        out.clear();
        let tail = super::bpftool::dump_plain(&mut out, &bytes, &cbs, round % 2 == 0).unwrap();
        assert_eq!(tail.is_some(), bytes.len() % 8 != 0);
        assert!(std::str::from_utf8(&out).is_ok());
    }
    // Every opcode with every register nibble, special offsets and immediates.
    let mut s = String::new();
    for code in 0..=255u8 {
        for src in 0..16u8 {
            let regs = (src << 4) | (src ^ 0x0a);
            for &off in OFFS {
                for &imm in IMMS {
                    let insn = Insn::from_bytes({
                        let mut b = [code, regs, 0, 0, 0, 0, 0, 0];
                        b[2..4].copy_from_slice(&off.to_le_bytes());
                        b[4..8].copy_from_slice(&imm.to_le_bytes());
                        b
                    });
                    s.clear();
                    super::print::print_insn(&mut s, &insn, Some(&insn), &cbs, src & 1 == 0)
                        .unwrap();
                    assert!(!s.is_empty() && !s.contains('\n'));
                }
            }
        }
    }
}

#[test]
fn kallsyms_trait_object_lookup() {
    let syms = fixture_syms();
    let k: &dyn KernelSymbols = &syms;
    assert_eq!(
        k.symbol_at(0xffff_ffff_8100_0100),
        Some("__htab_map_lookup_elem")
    );
}
