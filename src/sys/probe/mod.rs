//! Feature probes: what `bpftool feature probe` asks the kernel and how it reads the answers.
//!
//! Every probe is a real `BPF_PROG_LOAD`, `BPF_MAP_CREATE` or `BPF_BTF_LOAD`, built and
//! interpreted exactly as libbpf's `libbpf_probe_bpf_{prog_type,map_type,helper}` and
//! bpftool's own `probe_*` functions do (libbpf 1.8, bpftool 7.8). The interpretation
//! lives here as pure functions ([`helper_log_rejects`], [`parse_kernel_config`], ...) so it
//! is testable without a kernel; [`real::RealProbes`] makes the calls, [`fake::FakeProbes`]
//! answers from recorded data.

pub mod fake;
pub mod real;

use std::ffi::OsStr;

use super::caps::CapSet;
use super::SysResult;

/// What one probe found, and what it left in C's `errno` — bpftool's `unprivileged` mode
/// reads `errno` after some probes, including successful ones, so the value matters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Probe {
    /// The feature is there, as libbpf or bpftool interpret the kernel's answer.
    pub supported: bool,
    /// The errno the probe set (its last failing call, or bpftool's own `errno = 0`);
    /// `None` when it left `errno` alone.
    pub errno: Option<i32>,
}

impl Probe {
    /// A probe that found the feature without touching `errno`.
    pub const YES: Probe = Probe {
        supported: true,
        errno: None,
    };

    /// A probe whose last call failed with `errno`.
    pub fn failed(errno: i32) -> Probe {
        Probe {
            supported: false,
            errno: Some(errno),
        }
    }
}

/// The miscellaneous features bpftool probes, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Misc {
    /// More than `BPF_MAXINSNS` instructions (5.3).
    LargeInsnLimit,
    /// Bounded loops (5.3).
    BoundedLoops,
    /// `BPF_J{LT,LE,SLT,SLE}` (4.14).
    V2Isa,
    /// `BPF_JMP32` (5.1).
    V3Isa,
    /// `BPF_JMP32 | BPF_JA` and the other v4 instructions (6.6).
    V4Isa,
}

impl Misc {
    /// All of them, in bpftool's order.
    pub const ALL: [Misc; 5] = [
        Misc::LargeInsnLimit,
        Misc::BoundedLoops,
        Misc::V2Isa,
        Misc::V3Isa,
        Misc::V4Isa,
    ];
}

/// Everything `feature probe` asks of the system, real or recorded.
///
/// `Sync` so that helper probes can run on several threads at once.
pub trait Probes: Sync {
    /// Whether /proc is a procfs mount (bpftool's `check_procfs`).
    fn procfs_mounted(&self) -> bool;
    /// bpftool's `read_procfs`: the number on the first line of a /proc file, `-1` when
    /// it cannot be read or is not a number.
    fn read_procfs(&self, path: &str) -> i64;
    /// The kernel config text (`/boot/config-$(uname -r)`, else `/proc/config.gz`,
    /// decompressed), or the message bpftool prints when it cannot use it.
    fn kernel_config(&self) -> Result<Vec<u8>, String>;
    /// `if_nametoindex`, or its errno.
    fn ifindex(&self, name: &OsStr) -> Result<u32, i32>;
    /// bpftool's `get_vendor_id`: the PCI vendor of a network device, `-1` if unknown.
    fn vendor_id(&self, ifindex: u32) -> i64;
    /// The calling thread's capabilities.
    fn caps(&self) -> SysResult<CapSet>;
    /// Sets the calling thread's capabilities (threads started later inherit them).
    fn set_caps(&self, caps: &CapSet) -> SysResult<()>;
    /// Whether the kernel knows capability `cap`.
    fn cap_supported(&self, cap: u32) -> bool;
    /// bpftool's `set_max_rlimit`: lifts `RLIMIT_MEMLOCK` for kernels that charge BPF
    /// objects to it (before 5.11); failures are ignored as bpftool does.
    fn raise_memlock(&self);
    /// CPUs nothing else is running on at the moment (at least 1): the CPUs this process
    /// may use, minus the other tasks the scheduler has runnable right now.
    fn idle_cpus(&self) -> usize;

    /// The errno of bpftool's `probe_bpf_syscall` load (`BPF_PROG_TYPE_UNSPEC`, no
    /// instructions): anything but `ENOSYS` means the syscall exists.
    fn bpf_syscall(&self) -> i32;
    /// `libbpf_probe_bpf_prog_type`.
    fn prog_type(&self, prog_type: u32) -> Probe;
    /// `libbpf_probe_bpf_map_type`.
    fn map_type(&self, map_type: u32) -> Probe;
    /// `libbpf_probe_bpf_helper`; `log` is scratch space for the verifier log (4 KiB, as
    /// libbpf's), reused from call to call.
    fn helper(&self, prog_type: u32, helper: u32, log: &mut [u8]) -> Probe;
    /// bpftool's `probe_prog_type_ifindex` (offload to device `ifindex`).
    fn prog_type_dev(&self, prog_type: u32, ifindex: u32) -> Probe;
    /// bpftool's `probe_map_type_ifindex`.
    fn map_type_dev(&self, map_type: u32, ifindex: u32) -> Probe;
    /// bpftool's `probe_helper_ifindex`; `netronome` adds the checks for that vendor's
    /// firmware messages.
    fn helper_dev(
        &self,
        prog_type: u32,
        helper: u32,
        ifindex: u32,
        netronome: bool,
        log: &mut [u8],
    ) -> Probe;
    /// bpftool's `probe_misc_feature` for one feature (`ifindex` 0: the kernel).
    fn misc(&self, feature: Misc, ifindex: u32) -> bool;
}

/// Size of the verifier log buffer libbpf and bpftool give helper probes.
pub const LOG_SIZE: usize = 4096;

/// Linux's internal `ENOTSUPP`, which leaks to user space from some BPF paths.
pub const ENOTSUPP: i32 = 524;

/// Program types, as numbered by the UAPI (only those the probes treat specially).
pub mod prog {
    /// `BPF_PROG_TYPE_UNSPEC`.
    pub const UNSPEC: u32 = 0;
    /// `BPF_PROG_TYPE_KPROBE`.
    pub const KPROBE: u32 = 2;
    /// `BPF_PROG_TYPE_SCHED_CLS`.
    pub const SCHED_CLS: u32 = 3;
    /// `BPF_PROG_TYPE_XDP`.
    pub const XDP: u32 = 6;
    /// `BPF_PROG_TYPE_CGROUP_SOCK_ADDR`.
    pub const CGROUP_SOCK_ADDR: u32 = 18;
    /// `BPF_PROG_TYPE_LIRC_MODE2`.
    pub const LIRC_MODE2: u32 = 20;
    /// `BPF_PROG_TYPE_CGROUP_SOCKOPT`.
    pub const CGROUP_SOCKOPT: u32 = 25;
    /// `BPF_PROG_TYPE_TRACING`.
    pub const TRACING: u32 = 26;
    /// `BPF_PROG_TYPE_STRUCT_OPS`.
    pub const STRUCT_OPS: u32 = 27;
    /// `BPF_PROG_TYPE_EXT`.
    pub const EXT: u32 = 28;
    /// `BPF_PROG_TYPE_LSM`.
    pub const LSM: u32 = 29;
    /// `BPF_PROG_TYPE_SK_LOOKUP`.
    pub const SK_LOOKUP: u32 = 30;
    /// `BPF_PROG_TYPE_SYSCALL`.
    pub const SYSCALL: u32 = 31;
    /// `BPF_PROG_TYPE_NETFILTER`.
    pub const NETFILTER: u32 = 32;
    /// One past the last type libbpf 1.8 knows.
    pub const END: u32 = 33;
}

/// Map types, as numbered by the UAPI.
pub mod map {
    /// `BPF_MAP_TYPE_HASH`.
    pub const HASH: u32 = 1;
    /// `BPF_MAP_TYPE_ARRAY`.
    pub const ARRAY: u32 = 2;
    /// `BPF_MAP_TYPE_STACK_TRACE`.
    pub const STACK_TRACE: u32 = 7;
    /// `BPF_MAP_TYPE_LPM_TRIE`.
    pub const LPM_TRIE: u32 = 11;
    /// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
    pub const ARRAY_OF_MAPS: u32 = 12;
    /// `BPF_MAP_TYPE_HASH_OF_MAPS`.
    pub const HASH_OF_MAPS: u32 = 13;
    /// `BPF_MAP_TYPE_CGROUP_STORAGE`.
    pub const CGROUP_STORAGE: u32 = 19;
    /// `BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE`.
    pub const PERCPU_CGROUP_STORAGE: u32 = 21;
    /// `BPF_MAP_TYPE_QUEUE`.
    pub const QUEUE: u32 = 22;
    /// `BPF_MAP_TYPE_STACK`.
    pub const STACK: u32 = 23;
    /// `BPF_MAP_TYPE_SK_STORAGE`.
    pub const SK_STORAGE: u32 = 24;
    /// `BPF_MAP_TYPE_STRUCT_OPS`.
    pub const STRUCT_OPS: u32 = 26;
    /// `BPF_MAP_TYPE_RINGBUF`.
    pub const RINGBUF: u32 = 27;
    /// `BPF_MAP_TYPE_INODE_STORAGE`.
    pub const INODE_STORAGE: u32 = 28;
    /// `BPF_MAP_TYPE_TASK_STORAGE`.
    pub const TASK_STORAGE: u32 = 29;
    /// `BPF_MAP_TYPE_BLOOM_FILTER`.
    pub const BLOOM_FILTER: u32 = 30;
    /// `BPF_MAP_TYPE_USER_RINGBUF`.
    pub const USER_RINGBUF: u32 = 31;
    /// `BPF_MAP_TYPE_CGRP_STORAGE`.
    pub const CGRP_STORAGE: u32 = 32;
    /// `BPF_MAP_TYPE_ARENA`.
    pub const ARENA: u32 = 33;
    /// `BPF_MAP_TYPE_INSN_ARRAY`.
    pub const INSN_ARRAY: u32 = 34;
    /// `BPF_MAP_TYPE_RHASH`.
    pub const RHASH: u32 = 35;
    /// One past the last type libbpf 1.8 knows.
    pub const END: u32 = 36;
}

/// Helper ids bpftool only probes in `full` mode (they make the kernel log a warning).
pub mod helper {
    /// `BPF_FUNC_trace_printk`.
    pub const TRACE_PRINTK: u32 = 6;
    /// `BPF_FUNC_probe_write_user`.
    pub const PROBE_WRITE_USER: u32 = 36;
    /// `BPF_FUNC_trace_vprintk`.
    pub const TRACE_VPRINTK: u32 = 177;
}

/// One eBPF instruction (`struct bpf_insn`, the two register nibbles packed by hand).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    code: u8,
    regs: u8,
    off: i16,
    imm: i32,
}

// Opcode parts from linux/bpf_common.h and linux/bpf.h.
const BPF_JMP: u8 = 0x05;
const BPF_JMP32: u8 = 0x06;
const BPF_ALU64: u8 = 0x07;
const BPF_K: u8 = 0x00;
const BPF_MOV: u8 = 0xb0;
const BPF_SUB: u8 = 0x10;
const BPF_JA: u8 = 0x00;
const BPF_JEQ: u8 = 0x10;
const BPF_JNE: u8 = 0x50;
const BPF_JLT: u8 = 0xa0;
const BPF_CALL: u8 = 0x80;
const BPF_EXIT: u8 = 0x90;

impl Insn {
    const fn raw(code: u8, dst: u8, off: i16, imm: i32) -> Insn {
        Insn {
            code,
            regs: dst & 0x0f,
            off,
            imm,
        }
    }

    /// `BPF_MOV64_IMM(dst, imm)`.
    pub const fn mov64_imm(dst: u8, imm: i32) -> Insn {
        Insn::raw(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, imm)
    }

    /// `BPF_ALU64_IMM(BPF_SUB, dst, imm)`.
    pub const fn sub64_imm(dst: u8, imm: i32) -> Insn {
        Insn::raw(BPF_ALU64 | BPF_SUB | BPF_K, dst, 0, imm)
    }

    /// `BPF_JMP_IMM(op, dst, imm, off)`.
    const fn jmp_imm(op: u8, dst: u8, imm: i32, off: i16) -> Insn {
        Insn::raw(BPF_JMP | op | BPF_K, dst, off, imm)
    }

    /// `BPF_JMP32_IMM(op, dst, imm, off)`.
    const fn jmp32_imm(op: u8, dst: u8, imm: i32, off: i16) -> Insn {
        Insn::raw(BPF_JMP32 | op | BPF_K, dst, off, imm)
    }

    /// `BPF_EMIT_CALL(helper)`.
    pub const fn call(helper: u32) -> Insn {
        // Helper ids are small; the kernel reads `imm` as the id.
        Insn::raw(BPF_JMP | BPF_CALL, 0, 0, helper as i32)
    }

    /// `BPF_EXIT_INSN()`.
    pub const fn exit() -> Insn {
        Insn::raw(BPF_JMP | BPF_EXIT, 0, 0, 0)
    }
}

/// `BPF_MAXINSNS`: the program size limit before 5.3.
pub const BPF_MAXINSNS: usize = 4096;

/// The program of one miscellaneous probe (bpftool's `probe_large_insn_limit`, ...).
pub fn misc_program(feature: Misc) -> Vec<Insn> {
    match feature {
        Misc::LargeInsnLimit => {
            let mut v = vec![Insn::mov64_imm(0, 1); BPF_MAXINSNS + 1];
            v[BPF_MAXINSNS] = Insn::exit();
            v
        }
        Misc::BoundedLoops => vec![
            Insn::mov64_imm(0, 10),
            Insn::sub64_imm(0, 1),
            Insn::jmp_imm(BPF_JNE, 0, 0, -2),
            Insn::exit(),
        ],
        Misc::V2Isa => vec![
            Insn::mov64_imm(0, 0),
            Insn::jmp_imm(BPF_JLT, 0, 0, 1),
            Insn::mov64_imm(0, 1),
            Insn::exit(),
        ],
        Misc::V3Isa => vec![
            Insn::mov64_imm(0, 0),
            Insn::jmp32_imm(BPF_JLT, 0, 0, 1),
            Insn::mov64_imm(0, 1),
            Insn::exit(),
        ],
        Misc::V4Isa => vec![
            Insn::mov64_imm(0, 0),
            Insn::jmp32_imm(BPF_JEQ, 0, 1, 1),
            // BPF_JMP32_A(1): the jump offset is in `imm`.
            Insn::raw(BPF_JMP32 | BPF_JA, 0, 0, 1),
            Insn::mov64_imm(0, 1),
            Insn::exit(),
        ],
    }
}

/// The number of runnable tasks in /proc/loadavg ("0.52 0.58 0.59 3/480 12345": 3).
pub fn parse_loadavg_running(text: &str) -> Option<usize> {
    text.split_whitespace()
        .nth(3)?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// The NUL-terminated text at the start of a log buffer.
fn c_text(buf: &[u8]) -> &[u8] {
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    &buf[..end]
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Whether a helper probe's verifier log says the helper cannot be used: libbpf 1.8's
/// reading. The verifier says "invalid func" for ids it does not know, "unknown func"
/// (before 6.9) or "program of this type cannot use helper" (6.9 on) for helpers the
/// program type may not call; any other outcome means the helper exists for the type.
pub fn helper_log_rejects(log: &[u8]) -> bool {
    let log = c_text(log);
    contains(log, b"invalid func ")
        || contains(log, b"unknown func ")
        || contains(log, b"program of this type cannot use helper ")
}

/// bpftool's extra reading for Netronome devices (`probe_helper_ifindex`, vendor 0x19ee).
pub fn netronome_log_rejects(log: &[u8]) -> bool {
    let log = c_text(log);
    contains(log, b"not supported by FW") || contains(log, b"unsupported function id")
}

/// Whether a log contains `msg` (libbpf's `strstr` on the expected message of the
/// tracing, LSM and freplace program-type probes).
pub fn log_contains(log: &[u8], msg: &str) -> bool {
    contains(c_text(log), msg.as_bytes())
}

/// C's `strtol(s, &end, base)` on bytes: the value, and how many bytes it used (0 when
/// there is no number). Saturates like strtol does on overflow, reporting it.
fn strtol(s: &[u8], base: u32) -> (i64, usize, bool) {
    let mut i = 0;
    while s.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    let mut neg = false;
    if let Some(&c) = s.get(i) {
        if c == b'+' || c == b'-' {
            neg = c == b'-';
            i += 1;
        }
    }
    let mut base = base;
    let has_0x = s.get(i) == Some(&b'0')
        && matches!(s.get(i + 1), Some(b'x' | b'X'))
        && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
    if (base == 0 || base == 16) && has_0x {
        i += 2;
        base = 16;
    } else if base == 0 {
        base = if s.get(i) == Some(&b'0') { 8 } else { 10 };
    }
    let start = i;
    let mut v: i128 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(i).and_then(|&c| char::from(c).to_digit(base)) {
        v = v * i128::from(base) + i128::from(d);
        if v > i128::from(i64::MAX) + 1 {
            overflow = true;
            v = i128::from(i64::MAX) + 1;
        }
        i += 1;
    }
    if i == start {
        return (0, 0, false);
    }
    let v = if neg { -v } else { v };
    let clamped = v.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
    let overflow = overflow || clamped != v;
    (clamped as i64, i, overflow)
}

/// bpftool's `read_procfs` on the file's bytes: the decimal number on the first line,
/// which must end right there with a newline; `-1` otherwise.
pub fn parse_procfs_long(text: &[u8]) -> i64 {
    let line_end = text
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |p| p + 1);
    let line = &text[..line_end];
    if line.is_empty() {
        return -1;
    }
    let (v, used, overflow) = strtol(line, 10);
    // strtol leaves `end` at the start when there is no number.
    let end = if used == 0 { 0 } else { used };
    if overflow || line.get(end) != Some(&b'\n') {
        return -1;
    }
    v
}

/// bpftool's `get_vendor_id` on the bytes of `/sys/class/net/IF/device/vendor` (read in
/// an 8-byte buffer: longer contents are refused).
pub fn parse_vendor_id(text: &[u8]) -> i64 {
    if text.len() >= 8 {
        return -1;
    }
    strtol(text, 0).0
}

/// The second line bpftool requires of a kernel config file.
const CONFIG_MARKER: &[u8] = b"# Automatically generated file; DO NOT EDIT.\n";

/// Why a kernel config text was not used, as bpftool words it after
/// "skipping kernel config, ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// Fewer than two lines.
    Short,
    /// The second line is not the "Automatically generated" marker.
    NotConfig,
}

/// bpftool's `read_kernel_config` over a decompressed config: the value of each option in
/// `names` (the first `CONFIG_X=value` line for it wins), or why the text was refused.
///
/// Like bpftool it drops the last byte of every option line, which is the newline except
/// on an unterminated last line.
pub fn parse_kernel_config(
    text: &[u8],
    names: &[&str],
) -> Result<Vec<Option<String>>, ConfigError> {
    let mut lines = text.split_inclusive(|&b| b == b'\n');
    let (Some(_), Some(second)) = (lines.next(), lines.next()) else {
        return Err(ConfigError::Short);
    };
    if second != CONFIG_MARKER {
        return Err(ConfigError::NotConfig);
    }
    let mut values: Vec<Option<String>> = vec![None; names.len()];
    for line in lines {
        if !line.starts_with(b"CONFIG_") {
            continue;
        }
        let Some(eq) = line.iter().position(|&b| b == b'=') else {
            continue;
        };
        let line = &line[..line.len() - 1];
        let (name, value) = (
            &line[..eq.min(line.len())],
            line.get(eq + 1..).unwrap_or(&[]),
        );
        if value.is_empty() {
            continue;
        }
        for (i, want) in names.iter().enumerate() {
            if values[i].is_none() && name == want.as_bytes() {
                values[i] = Some(String::from_utf8_lossy(c_text(value)).into_owned());
            }
        }
    }
    Ok(values)
}

/// libbpf's `KERNEL_VERSION(a, b, c)`.
pub fn kernel_version_code(major: u32, minor: u32, patch: u32) -> u32 {
    (major << 16) + (minor << 8) + patch.min(255)
}

/// Leading `u.u.u` of a string, as `sscanf("%u.%u.%u")` reads it.
fn three_numbers(s: &str) -> Option<(u32, u32, u32)> {
    let mut it = s.splitn(3, '.');
    let num = |p: &str| -> Option<u32> {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    let a = num(it.next()?)?;
    let b = num(it.next()?)?;
    let c = num(it.next()?)?;
    Some((a, b, c))
}

/// libbpf's `get_kernel_version`: the version code kprobe programs are loaded with, from
/// Ubuntu's `/proc/version_signature` (its third field), Debian's `uname -v`
/// ("Debian x.y.z"), or `uname -r`.
pub fn kernel_version(ubuntu_signature: Option<&str>, release: &str, version: &str) -> u32 {
    if let Some((a, b, c)) = ubuntu_signature
        .and_then(|s| s.split_whitespace().nth(2))
        .and_then(three_numbers)
    {
        return kernel_version_code(a, b, c);
    }
    if let Some(p) = version.find("Debian ") {
        if let Some((a, b, c)) = three_numbers(&version[p + "Debian ".len()..]) {
            return kernel_version_code(a, b, c);
        }
    }
    three_numbers(release).map_or(0, |(a, b, c)| kernel_version_code(a, b, c))
}

/// The 4-byte BTF blob libbpf loads for local-storage map probes (`load_local_storage_btf`):
/// `int`, `struct bpf_spin_lock { int val; }`, `struct val { int cnt; struct bpf_spin_lock l; }`.
pub fn local_storage_btf() -> Vec<u8> {
    const KIND_INT: u32 = 1;
    const KIND_STRUCT: u32 = 4;
    let info = |kind: u32, vlen: u32| (kind << 24) | vlen;
    let types: [u32; 19] = [
        0,
        info(KIND_INT, 0),
        4,
        (1 << 24) | 32, // BTF_INT_SIGNED, offset 0, 32 bits
        1,
        info(KIND_STRUCT, 1),
        4,
        15,
        1,
        0,
        15,
        info(KIND_STRUCT, 2),
        8,
        19,
        1,
        0,
        23,
        2,
        32,
    ];
    let strs: &[u8] = b"\0bpf_spin_lock\0val\0cnt\0l\0";
    let type_len = (types.len() * 4) as u32;
    let mut out = Vec::with_capacity(24 + types.len() * 4 + strs.len());
    out.extend_from_slice(&0xeb9f_u16.to_ne_bytes());
    out.push(1); // version
    out.push(0); // flags
    for v in [24, 0, type_len, type_len, strs.len() as u32] {
        out.extend_from_slice(&u32::to_ne_bytes(v));
    }
    for t in types {
        out.extend_from_slice(&t.to_ne_bytes());
    }
    out.extend_from_slice(strs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helper_logs() {
        // Messages of 6.18, 6.1 and every kernel for an id it does not know.
        assert!(helper_log_rejects(
            b"0: R1=ctx() R10=fp0\n0: (85) call bpf_probe_read#4\nprogram of this type cannot use helper bpf_probe_read#4\nprocessed 1 insns\n\0"
        ));
        assert!(helper_log_rejects(
            b"0: (85) call bpf_sys_bpf#166\nunknown func bpf_sys_bpf#166\n\0"
        ));
        assert!(helper_log_rejects(b"invalid func unknown#250\n\0"));
        // Argument checks come after the helper was accepted.
        assert!(!helper_log_rejects(
            b"0: (85) call bpf_map_lookup_elem#1\nR1 type=ctx expected=map_ptr\n\0"
        ));
        assert!(!helper_log_rejects(b"\0"));
        // Only the text before the terminating NUL counts.
        assert!(!helper_log_rejects(b"ok\0unknown func x#1\n"));
        assert!(netronome_log_rejects(b"helper not supported by FW\n\0"));
        assert!(!netronome_log_rejects(b"\0not supported by FW"));
    }

    #[test]
    fn procfs_numbers() {
        assert_eq!(parse_procfs_long(b"2\n"), 2);
        assert_eq!(parse_procfs_long(b"528482304\n"), 528_482_304);
        assert_eq!(parse_procfs_long(b"  -1\n"), -1);
        assert_eq!(parse_procfs_long(b"7\nmore\n"), 7);
        assert_eq!(parse_procfs_long(b"2"), -1, "no newline");
        assert_eq!(parse_procfs_long(b"2 \n"), -1, "trailing text");
        assert_eq!(parse_procfs_long(b"x\n"), -1);
        // strtol finds no number and leaves its end at the newline: bpftool reads 0.
        assert_eq!(parse_procfs_long(b"\n"), 0);
        assert_eq!(parse_procfs_long(b"  \n"), -1);
        assert_eq!(parse_procfs_long(b""), -1);
        assert_eq!(parse_procfs_long(b"99999999999999999999\n"), -1);
    }

    #[test]
    fn loadavg() {
        assert_eq!(
            parse_loadavg_running("0.52 0.58 0.59 3/480 12345\n"),
            Some(3)
        );
        assert_eq!(parse_loadavg_running("0.52 0.58 0.59"), None);
        assert_eq!(parse_loadavg_running("a b c x/1 2"), None);
    }

    #[test]
    fn vendor_ids() {
        assert_eq!(parse_vendor_id(b"0x19ee\n"), 0x19ee);
        assert_eq!(parse_vendor_id(b"0x8086\n"), 0x8086);
        assert_eq!(parse_vendor_id(b"0x1234567\n"), -1);
        assert_eq!(parse_vendor_id(b""), 0);
    }

    const HEAD: &[u8] = b"#\n# Automatically generated file; DO NOT EDIT.\n";

    #[test]
    fn kernel_config() {
        let mut text = HEAD.to_vec();
        text.extend_from_slice(
            b"CONFIG_BPF=y\n# CONFIG_TEST_BPF is not set\nCONFIG_HZ=250\nCONFIG_EMPTY=\nCONFIG_BPF=m\nCONFIG_NAME=\"a b\"\nCONFIG_LAST=12",
        );
        let v = parse_kernel_config(
            &text,
            &[
                "CONFIG_BPF",
                "CONFIG_TEST_BPF",
                "CONFIG_HZ",
                "CONFIG_EMPTY",
                "CONFIG_NAME",
                "CONFIG_LAST",
            ],
        )
        .unwrap();
        assert_eq!(v[0].as_deref(), Some("y"), "first value wins");
        assert_eq!(v[1], None);
        assert_eq!(v[2].as_deref(), Some("250"));
        assert_eq!(v[3], None, "empty values are skipped");
        assert_eq!(v[4].as_deref(), Some("\"a b\""));
        assert_eq!(v[5].as_deref(), Some("1"), "bpftool eats the last byte");
        assert_eq!(parse_kernel_config(b"#\n", &[]), Err(ConfigError::Short));
        assert_eq!(
            parse_kernel_config(b"#\n# something else\nCONFIG_BPF=y\n", &[]),
            Err(ConfigError::NotConfig)
        );
    }

    #[test]
    fn kernel_versions() {
        assert_eq!(kernel_version(None, "6.18.44-fc-v595", "#1 SMP"), 0x06122c);
        assert_eq!(
            kernel_version(
                None,
                "6.1.0-56-cloud-amd64",
                "#1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)"
            ),
            kernel_version_code(6, 1, 158)
        );
        assert_eq!(
            kernel_version(
                Some("Ubuntu 5.4.0-12.15-generic 5.4.8\n"),
                "5.4.0-12-generic",
                ""
            ),
            kernel_version_code(5, 4, 8)
        );
        assert_eq!(
            kernel_version_code(4, 19, 300),
            0x0413ff,
            "patch saturates at 255"
        );
        assert_eq!(kernel_version(None, "weird", ""), 0);
    }

    #[test]
    fn instructions_encode_like_the_uapi_macros() {
        let bytes = |i: Insn| -> [u8; 8] {
            let mut b = [0u8; 8];
            b[0] = i.code;
            b[1] = i.regs;
            b[2..4].copy_from_slice(&i.off.to_ne_bytes());
            b[4..].copy_from_slice(&i.imm.to_ne_bytes());
            b
        };
        assert_eq!(std::mem::size_of::<Insn>(), 8);
        assert_eq!(bytes(Insn::mov64_imm(0, 2)), [0xb7, 0, 0, 0, 2, 0, 0, 0]);
        assert_eq!(bytes(Insn::call(1)), [0x85, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(bytes(Insn::exit())[0], 0x95);
        let loops = misc_program(Misc::BoundedLoops);
        assert_eq!(bytes(loops[2])[..4], [0x55, 0, 0xfe, 0xff]);
        assert_eq!(misc_program(Misc::V3Isa)[1].code, 0xa6);
        let v4 = misc_program(Misc::V4Isa);
        assert_eq!((v4[1].code, v4[1].imm, v4[1].off), (0x16, 1, 1));
        assert_eq!((v4[2].code, v4[2].imm, v4[2].off), (0x06, 1, 0));
        let large = misc_program(Misc::LargeInsnLimit);
        assert_eq!(large.len(), 4097);
        assert_eq!(large[4096], Insn::exit());
    }

    #[test]
    fn storage_btf_layout() {
        let b = local_storage_btf();
        assert_eq!(b.len(), 24 + 76 + 25);
        assert_eq!(&b[..4], &[0x9f, 0xeb, 1, 0]);
        assert_eq!(&b[b.len() - 25..b.len() - 23], b"\0b");
        // Parses with our own BTF reader as three types.
        let btf = crate::btf::Btf::parse(b).expect("valid BTF");
        assert_eq!(btf.type_count(), 3);
    }
}
