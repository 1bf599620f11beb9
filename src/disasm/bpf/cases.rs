//! The printer's test vectors, shared by the unit tests and the oracle dev tool
//! (src/disasm/tools/xlated_oracle.rs), which compares them with bpftool's compiled code.
//! Every expected text was checked against that code.

use super::{Insn, Kallsyms};
/// Symbol fixture shared by `CASES` and the oracle harness.
pub const CALL_BASE: u64 = 0xffff_ffff_8100_0000;
pub const JITED: [u64; 2] = [0xffff_ffff_c000_0000, 0xffff_ffff_c000_1000];

pub fn fixture_syms() -> Kallsyms {
    Kallsyms::from_parts(
        CALL_BASE,
        vec![
            (0xffff_ffff_8100_0100, "__htab_map_lookup_elem".to_owned()),
            (
                0xffff_ffff_c000_1000,
                "bpf_prog_1122334455667788_sub".to_owned(),
            ),
        ],
    )
}

/// One instruction: code, dst, src, off, imm, and the second slot's imm for LD_IMM64.
pub struct Case {
    /// The first slot.
    pub insn: Insn,
    /// The second slot's imm, for LD_IMM64.
    pub hi: Option<i32>,
    /// The expected text.
    pub text: &'static str,
}

pub const fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32, text: &'static str) -> Case {
    Case {
        insn: Insn {
            code,
            dst_reg: dst,
            src_reg: src,
            off,
            imm,
        },
        hi: None,
        text,
    }
}

pub const fn ld64(dst: u8, src: u8, lo: i32, hi: i32, text: &'static str) -> Case {
    Case {
        insn: Insn {
            code: 0x18,
            dst_reg: dst,
            src_reg: src,
            off: 0,
            imm: lo,
        },
        hi: Some(hi),
        text,
    }
}

/// Printed with `BpftoolCallbacks` over the fixture above.
pub const CASES: &[Case] = &[
    // ALU64 / ALU, immediate and register forms of every operation.
    i(0x07, 1, 0, 0, 5, "(07) r1 += 5"),
    i(0x04, 1, 0, 0, -1, "(04) w1 += -1"),
    i(0x0f, 1, 2, 0, 0, "(0f) r1 += r2"),
    i(0x0c, 1, 2, 0, 0, "(0c) w1 += w2"),
    i(0x17, 3, 0, 0, 7, "(17) r3 -= 7"),
    i(0x1f, 3, 4, 0, 0, "(1f) r3 -= r4"),
    i(0x27, 3, 0, 0, 3, "(27) r3 *= 3"),
    i(0x2c, 3, 4, 0, 0, "(2c) w3 *= w4"),
    i(0x37, 3, 0, 0, 3, "(37) r3 /= 3"),
    i(0x3f, 3, 4, 0, 0, "(3f) r3 /= r4"),
    i(0x47, 0, 0, 0, 0x10, "(47) r0 |= 16"),
    i(0x4c, 0, 9, 0, 0, "(4c) w0 |= w9"),
    i(0x57, 0, 0, 0, 255, "(57) r0 &= 255"),
    i(0x5f, 0, 9, 0, 0, "(5f) r0 &= r9"),
    i(0x67, 1, 0, 0, 32, "(67) r1 <<= 32"),
    i(0x6f, 1, 2, 0, 0, "(6f) r1 <<= r2"),
    i(0x77, 1, 0, 0, 32, "(77) r1 >>= 32"),
    i(0x7c, 1, 2, 0, 0, "(7c) w1 >>= w2"),
    i(0x97, 1, 0, 0, 10, "(97) r1 %= 10"),
    i(0x9f, 1, 2, 0, 0, "(9f) r1 %= r2"),
    i(0xa7, 1, 0, 0, -1, "(a7) r1 ^= -1"),
    i(0xaf, 1, 2, 0, 0, "(af) r1 ^= r2"),
    i(0xb7, 1, 0, 0, 0, "(b7) r1 = 0"),
    i(0xb4, 1, 0, 0, i32::MIN, "(b4) w1 = -2147483648"),
    i(0xbf, 6, 1, 0, 0, "(bf) r6 = r1"),
    i(0xbc, 6, 1, 0, 0, "(bc) w6 = w1"),
    i(0xc7, 1, 0, 0, 56, "(c7) r1 s>>= 56"),
    i(0xcc, 1, 2, 0, 0, "(cc) w1 s>>= w2"),
    i(0x87, 1, 0, 0, 0, "(87) r1 = -r1"),
    i(0x84, 1, 0, 0, 0, "(84) w1 = -w1"),
    i(0x8f, 1, 2, 0, 0, "(8f) r1 = -r1"),
    // ISA v4: signed division and modulo (off = 1), sign-extending moves (off = 8/16/32).
    i(0x37, 1, 0, 1, 3, "(37) r1 s/= 3"),
    i(0x3f, 1, 2, 1, 0, "(3f) r1 s/= r2"),
    i(0x34, 1, 0, 1, -3, "(34) w1 s/= -3"),
    i(0x97, 1, 0, 1, 3, "(97) r1 s%= 3"),
    i(0x9c, 1, 2, 1, 0, "(9c) w1 s%= w2"),
    i(0x3f, 1, 2, 2, 0, "(3f) r1 /= r2"),
    i(0xbf, 1, 2, 8, 0, "(bf) r1 = (s8)r2"),
    i(0xbf, 1, 2, 16, 0, "(bf) r1 = (s16)r2"),
    i(0xbf, 1, 2, 32, 0, "(bf) r1 = (s32)r2"),
    i(0xbc, 1, 2, 8, 0, "(bc) w1 = (s8)w2"),
    i(0xbc, 1, 2, 16, 0, "(bc) w1 = (s16)w2"),
    i(0xbc, 1, 2, 32, 0, "(bc) w1 = (s32)w2"),
    i(0xbf, 1, 2, 24, 0, "(bf) r1 = r2"),
    i(0xb7, 1, 0, 8, 5, "(b7) r1 = 5"),
    i(0x0f, 1, 2, 8, 0, "(0f) r1 += r2"),
    // Arena address-space cast and the kernel-internal per-CPU address move.
    i(0xbf, 1, 2, 1, 1, "(bf) r1 = addr_space_cast(r2, 0, 1)"),
    i(
        0xbf,
        1,
        2,
        1,
        0x10000,
        "(bf) r1 = addr_space_cast(r2, 1, 0)",
    ),
    i(
        0xbf,
        1,
        2,
        1,
        -1,
        "(bf) r1 = addr_space_cast(r2, 65535, 65535)",
    ),
    i(0xbf, 1, 2, -1, 0, "(bf) r1 = &(void __percpu *)(r2)"),
    i(0xbc, 1, 2, 1, 1, "(bc) w1 = w2"),
    i(0xbc, 1, 2, -1, 0, "(bc) w1 = w2"),
    // Byte order: ALU | END converts, ALU64 | END swaps unconditionally (ISA v4).
    i(0xd4, 1, 0, 0, 16, "(d4) r1 = le16 r1"),
    i(0xd4, 1, 0, 0, 64, "(d4) r1 = le64 r1"),
    i(0xdc, 1, 0, 0, 16, "(dc) r1 = be16 r1"),
    i(0xdc, 2, 0, 0, 32, "(dc) r2 = be32 r2"),
    i(0xd7, 1, 0, 0, 16, "(d7) r1 = bswap16 r1"),
    i(0xd7, 1, 0, 0, 64, "(d7) r1 = bswap64 r1"),
    i(0xdf, 3, 0, 0, 32, "(df) r3 = bswap32 r3"),
    // Operations the kernel's table does not name.
    i(0xe7, 1, 0, 0, 5, "(e7) r1 (null) 5"),
    i(0xff, 1, 2, 0, 0, "(ff) r1 (null) r2"),
    i(0xe4, 1, 0, 0, 5, "(e4) w1 (null) 5"),
    i(0xf7, 1, 0, 0, 5, "(f7) r1 (null) 5"),
    // STX: plain stores of each size.
    i(0x63, 10, 1, -4, 0, "(63) *(u32 *)(r10 -4) = r1"),
    i(0x6b, 10, 1, -2, 0, "(6b) *(u16 *)(r10 -2) = r1"),
    i(0x73, 10, 1, -1, 0, "(73) *(u8 *)(r10 -1) = r1"),
    i(0x7b, 10, 1, -8, 0, "(7b) *(u64 *)(r10 -8) = r1"),
    i(0x7b, 1, 2, 0, 0, "(7b) *(u64 *)(r1 +0) = r2"),
    i(0x7b, 1, 2, i16::MIN, 0, "(7b) *(u64 *)(r1 -32768) = r2"),
    // STX | ATOMIC: plain, fetching, exchanges, acquire/release.
    i(0xdb, 1, 2, 0, 0x00, "(db) lock *(u64 *)(r1 +0) += r2"),
    i(0xc3, 1, 2, 8, 0x50, "(c3) lock *(u32 *)(r1 +8) &= r2"),
    i(0xdb, 1, 2, 0, 0x40, "(db) lock *(u64 *)(r1 +0) |= r2"),
    i(0xc3, 1, 2, 0, 0xa0, "(c3) lock *(u32 *)(r1 +0) ^= r2"),
    i(
        0xdb,
        1,
        2,
        0,
        0x01,
        "(db) r2 = atomic64_fetch_add((u64 *)(r1 +0), r2)",
    ),
    i(
        0xc3,
        1,
        2,
        -4,
        0x51,
        "(c3) r2 = atomic_fetch_and((u32 *)(r1 -4), r2)",
    ),
    i(
        0xdb,
        1,
        2,
        0,
        0x41,
        "(db) r2 = atomic64_fetch_or((u64 *)(r1 +0), r2)",
    ),
    i(
        0xdb,
        1,
        2,
        0,
        0xa1,
        "(db) r2 = atomic64_fetch_xor((u64 *)(r1 +0), r2)",
    ),
    i(
        0xdb,
        1,
        2,
        0,
        0xe1,
        "(db) r2 = atomic64_xchg((u64 *)(r1 +0), r2)",
    ),
    i(
        0xc3,
        1,
        2,
        0,
        0xe1,
        "(c3) r2 = atomic_xchg((u32 *)(r1 +0), r2)",
    ),
    i(
        0xdb,
        1,
        2,
        0,
        0xf1,
        "(db) r0 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)",
    ),
    i(
        0xc3,
        1,
        2,
        16,
        0xf1,
        "(c3) r0 = atomic_cmpxchg((u32 *)(r1 +16), r0, r2)",
    ),
    i(
        0xd3,
        1,
        2,
        0,
        0x100,
        "(d3) r1 = load_acquire((u8 *)(r2 +0))",
    ),
    i(
        0xdb,
        0,
        1,
        8,
        0x100,
        "(db) r0 = load_acquire((u64 *)(r1 +8))",
    ),
    i(
        0xcb,
        1,
        2,
        0,
        0x110,
        "(cb) store_release((u16 *)(r1 +0), r2)",
    ),
    i(
        0xc3,
        1,
        2,
        -8,
        0x110,
        "(c3) store_release((u32 *)(r1 -8), r2)",
    ),
    i(0xdb, 1, 2, 0, 0x02, "BUG_db"),
    i(0xdb, 1, 2, 0, 0x11, "BUG_db"),
    i(0xdb, 1, 2, 0, 0x1_0000, "BUG_db"),
    i(0x23, 1, 2, 0, 0, "BUG_23"),
    i(0x83, 1, 2, 0, 0, "BUG_83"),
    // ST: immediate stores, the nospec barrier, and other modes.
    i(0x62, 10, 0, -8, 5, "(62) *(u32 *)(r10 -8) = 5"),
    i(0x6a, 10, 0, -2, -1, "(6a) *(u16 *)(r10 -2) = -1"),
    i(0x72, 10, 0, -1, 0, "(72) *(u8 *)(r10 -1) = 0"),
    i(0x7a, 10, 0, -16, -1, "(7a) *(u64 *)(r10 -16) = -1"),
    i(0xc2, 0, 0, 0, 0, "(c2) nospec"),
    i(0xda, 0, 0, 0, 0, "(da) nospec"),
    i(0x02, 0, 0, 0, 0, "BUG_st_02"),
    i(0x82, 0, 0, 0, 0, "BUG_st_82"),
    // LDX: plain and sign-extending loads (ISA v4).
    i(0x61, 0, 1, 0, 0, "(61) r0 = *(u32 *)(r1 +0)"),
    i(0x69, 0, 1, 12, 0, "(69) r0 = *(u16 *)(r1 +12)"),
    i(0x71, 0, 1, 23, 0, "(71) r0 = *(u8 *)(r1 +23)"),
    i(0x79, 1, 10, -8, 0, "(79) r1 = *(u64 *)(r10 -8)"),
    i(0x91, 0, 1, 0, 0, "(91) r0 = *(s8 *)(r1 +0)"),
    i(0x89, 0, 1, 2, 0, "(89) r0 = *(s16 *)(r1 +2)"),
    i(0x81, 0, 1, -4, 0, "(81) r0 = *(s32 *)(r1 -4)"),
    i(0x99, 0, 1, 0, 0, "(99) r0 = *((null) *)(r1 +0)"),
    i(0x01, 0, 1, 0, 0, "BUG_ldx_01"),
    i(0xc1, 0, 1, 0, 0, "BUG_ldx_c1"),
    i(0x21, 0, 1, 0, 0, "BUG_ldx_21"),
    // LD: legacy packet access, 64-bit immediates, other modes.
    i(0x20, 0, 0, 0, 12, "(20) r0 = *(u32 *)skb[12]"),
    i(0x28, 0, 0, 0, 12, "(28) r0 = *(u16 *)skb[12]"),
    i(0x30, 0, 0, 0, -1, "(30) r0 = *(u8 *)skb[-1]"),
    i(0x38, 0, 0, 0, 0, "(38) r0 = *(u64 *)skb[0]"),
    i(0x40, 0, 2, 0, 4, "(40) r0 = *(u32 *)skb[r2 + 4]"),
    i(0x50, 0, 7, 0, -4, "(50) r0 = *(u8 *)skb[r7 + -4]"),
    i(0x00, 0, 0, 0, 0, "BUG_ld_00"),
    i(0x10, 0, 0, 0, 0, "BUG_ld_10"),
    i(0x60, 0, 0, 0, 0, "BUG_ld_60"),
    i(0x98, 0, 0, 0, 0, "BUG_ld_98"),
    ld64(
        1,
        0,
        0x5566_7788,
        0x1122_3344,
        "(18) r1 = 0x1122334455667788",
    ),
    ld64(1, 0, -1, -1, "(18) r1 = 0xffffffffffffffff"),
    ld64(1, 0, 0, 0, "(18) r1 = 0x0"),
    ld64(1, 0, -2, 0, "(18) r1 = 0xfffffffe"),
    ld64(2, 1, 42, 0, "(18) r2 = map[id:42]"),
    ld64(2, 1, -1, 0, "(18) r2 = map[id:-1]"),
    ld64(2, 2, 42, 16, "(18) r2 = map[id:42][0]+16"),
    ld64(2, 2, 42, -16, "(18) r2 = map[id:42][0]+-16"),
    ld64(2, 3, 77, 1, "(18) r2 = 0x10000004d"),
    ld64(2, 4, 7, 0, "(18) r2 = subprog[+7]"),
    ld64(2, 4, -7, 0, "(18) r2 = subprog[-7]"),
    ld64(2, 5, 3, 0, "(18) r2 = 0x3"),
    ld64(2, 6, 3, 4, "(18) r2 = map[idx:3]+4"),
    ld64(2, 7, 3, 4, "(18) r2 = 0x400000003"),
    // JMP / JMP32: unconditional forms, exit, conditions in both widths.
    i(0x05, 0, 0, 3, 0, "(05) goto pc+3"),
    i(0x05, 0, 0, -1, 0, "(05) goto pc-1"),
    i(0x05, 0, 0, 0, 0, "(05) goto pc+0"),
    i(0x06, 0, 0, 0, 100_000, "(06) gotol pc+100000"),
    i(0x06, 0, 0, 5, -2, "(06) gotol pc-2"),
    i(0x0d, 3, 0, 0, 0, "(0d) gotox r3"),
    i(0xe5, 0, 0, 2, 0, "(e5) may_goto pc+2"),
    i(0xe5, 1, 1, 2, 0, "(e5) if r1 (null) 0x0 goto pc+2"),
    i(0xe6, 0, 0, 2, 0, "(e6) if w0 (null) 0x0 goto pc+2"),
    i(0x95, 0, 0, 0, 0, "(95) exit"),
    i(0x96, 0, 0, 0, 0, "(96) if w0 exit 0x0 goto pc+0"),
    i(0x9d, 0, 0, 0, 0, "(9d) if r0 exit r0 goto pc+0"),
    i(0x0e, 1, 2, 0, 0, "(0e) if w1 jmp w2 goto pc+0"),
    i(0x15, 1, 0, 2, 0, "(15) if r1 == 0x0 goto pc+2"),
    i(0x15, 1, 0, 2, -1, "(15) if r1 == 0xffffffff goto pc+2"),
    i(0x1d, 1, 2, -5, 0, "(1d) if r1 == r2 goto pc-5"),
    i(0x16, 1, 0, 2, 5, "(16) if w1 == 0x5 goto pc+2"),
    i(0x1e, 1, 2, 2, 0, "(1e) if w1 == w2 goto pc+2"),
    i(0x25, 1, 0, 1, 0x10, "(25) if r1 > 0x10 goto pc+1"),
    i(0x2e, 1, 2, 1, 0, "(2e) if w1 > w2 goto pc+1"),
    i(0x35, 1, 0, 1, 0x10, "(35) if r1 >= 0x10 goto pc+1"),
    i(0x45, 1, 0, 1, 0x10, "(45) if r1 & 0x10 goto pc+1"),
    i(0x4d, 1, 2, 1, 0, "(4d) if r1 & r2 goto pc+1"),
    i(0x55, 1, 0, 1, 0, "(55) if r1 != 0x0 goto pc+1"),
    i(0x5e, 1, 2, 1, 0, "(5e) if w1 != w2 goto pc+1"),
    i(0x65, 1, 0, 1, -1, "(65) if r1 s> 0xffffffff goto pc+1"),
    i(0x75, 1, 0, 1, 0, "(75) if r1 s>= 0x0 goto pc+1"),
    i(0xa5, 1, 0, 1, 9, "(a5) if r1 < 0x9 goto pc+1"),
    i(0xae, 1, 2, 1, 0, "(ae) if w1 < w2 goto pc+1"),
    i(0xb5, 1, 0, 1, 9, "(b5) if r1 <= 0x9 goto pc+1"),
    i(0xc5, 1, 0, 1, 9, "(c5) if r1 s< 0x9 goto pc+1"),
    i(0xcd, 1, 2, 1, 0, "(cd) if r1 s< r2 goto pc+1"),
    i(0xd5, 1, 0, 1, 9, "(d5) if r1 s<= 0x9 goto pc+1"),
    i(0xd6, 1, 0, 1, 9, "(d6) if w1 s<= 0x9 goto pc+1"),
    i(0xf5, 1, 0, 1, 9, "(f5) if r1 (null) 0x9 goto pc+1"),
    i(0xfd, 1, 2, 1, 0, "(fd) if r1 (null) r2 goto pc+1"),
    // Calls: helpers by id, helpers and kfuncs by address, bpf-to-bpf.
    i(0x85, 0, 0, 0, 1, "(85) call bpf_map_lookup_elem#1"),
    i(0x85, 0, 0, 0, 12, "(85) call bpf_tail_call#12"),
    i(0x85, 0, 0, 0, 0, "(85) call bpf_unspec#0"),
    i(0x85, 0, 0, 0, 211, "(85) call bpf_cgrp_storage_delete#211"),
    i(0x86, 0, 0, 0, 1, "(86) call bpf_map_lookup_elem#1"),
    i(0x85, 0, 0, 0, 0x100, "(85) call __htab_map_lookup_elem#256"),
    i(0x85, 0, 0, 0, 212, "(85) call 0xffffffff810000d4#212"),
    i(0x85, 0, 0, 0, -16, "(85) call 0xffffffff80fffff0#-16"),
    i(0x85, 0, 2, 0, 0x100, "(85) call __htab_map_lookup_elem#256"),
    i(0x85, 0, 2, 0, 1, "(85) call 0xffffffff81000001#1"),
    i(0x85, 0, 3, 0, 1, "(85) call 0xffffffff81000001#1"),
    i(
        0x85,
        0,
        1,
        4,
        1,
        "(85) call pc+4#bpf_prog_1122334455667788_sub",
    ),
    i(0x85, 0, 1, -9, 0, "(85) call pc-9#0xffffffffc0000000"),
    i(0x85, 0, 1, 2, 5, "(85) call pc+2#0xffffffff81000005"),
    i(0x8d, 0, 0, 0, 1, "(8d) call bpf_map_lookup_elem#1"),
];

pub fn case_bytes(case: &Case) -> Vec<u8> {
    let mut out = case.insn.to_bytes().to_vec();
    if let Some(hi) = case.hi {
        out.extend_from_slice(
            &Insn {
                imm: hi,
                ..Insn::default()
            }
            .to_bytes(),
        );
    }
    out
}

/// Deterministic xorshift64*; no dependency, reproducible failures.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Offsets and immediates that select special forms, mixed with arbitrary values.
pub const OFFS: &[i16] = &[0, 1, -1, 2, 8, 16, 32, 24, i16::MIN, i16::MAX, -4];
pub const IMMS: &[i32] = &[
    0,
    1,
    -1,
    12,
    16,
    32,
    64,
    0x01,
    0x40,
    0x41,
    0x50,
    0x51,
    0xa0,
    0xa1,
    0xe1,
    0xf1,
    0x100,
    0x110,
    211,
    212,
    0x10000,
    i32::MIN,
    i32::MAX,
];

pub fn random_insn(rng: &mut Rng) -> [u8; 8] {
    let r = rng.next();
    let mut b = r.to_le_bytes();
    if r & 0x100_0000_0000_0000 != 0 {
        b[2..4].copy_from_slice(&rng.pick(OFFS).to_le_bytes());
    }
    if r & 0x200_0000_0000_0000 != 0 {
        b[4..8].copy_from_slice(&rng.pick(IMMS).to_le_bytes());
    }
    b
}
