//! bpftool's side of `prog dump xlated`: its callbacks (`print_call`, `print_imm` in
//! xlated_dumper.c), its `/proc/kallsyms` lookup, and its plain line layout.
//!
//! Everything here is a pure function of supplied data (symbol table, `__bpf_call_base`,
//! `jited_ksyms`), so the kernel-facing command only has to fetch those and stream the result.

use std::fmt::Write as _;
use std::io;

use super::insn::{pseudo, Decoded, Insn};
use super::print::{display_insn, Callbacks};

/// Finds the kernel symbol at exactly `address` (bpftool: `kernel_syms_search`).
pub trait KernelSymbols {
    /// Name of the symbol starting at `address`, if any.
    fn symbol_at(&self, address: u64) -> Option<&str>;
}

/// No symbol information, as when kallsyms is unreadable or hides addresses.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoSymbols;

impl KernelSymbols for NoSymbols {
    fn symbol_at(&self, _address: u64) -> Option<&str> {
        None
    }
}

/// Name of the kernel symbol that BPF call immediates are relative to.
pub const CALL_BASE_SYMBOL: &str = "__bpf_call_base";

/// The kallsyms table as bpftool loads it (`kernel_syms_load`), including the details that can
/// change which name gets printed: lines are read in 256-byte chunks, zero addresses are dropped,
/// a zero `__bpf_call_base` (kptr_restrict) discards the whole table, and lookups use bpftool's
/// comparator, which compares the low 32 bits of the address difference as a signed int.
#[derive(Clone, Debug, Default)]
pub struct Kallsyms {
    call_base: u64,
    /// Sorted as glibc's merge sort orders them under bpftool's comparator.
    syms: Vec<(u64, String)>,
}

/// bpftool reads kallsyms with `fgets` into a 256-byte buffer: longer lines come out in pieces.
const KALLSYMS_LINE_MAX: usize = 255;

impl Kallsyms {
    /// Parses the text of `/proc/kallsyms`.
    pub fn parse(text: &str) -> Self {
        let mut call_base = 0;
        let mut syms = Vec::new();
        for chunk in fgets_chunks(text.as_bytes()) {
            let Some((address, name)) = parse_kallsyms_line(chunk) else {
                continue;
            };
            if name == CALL_BASE_SYMBOL.as_bytes() {
                call_base = address;
                if address == 0 {
                    // Addresses are hidden: bpftool drops everything read so far and stops.
                    return Kallsyms::default();
                }
            }
            if address != 0 {
                syms.push((address, String::from_utf8_lossy(name).into_owned()));
            }
        }
        Self::from_parts(call_base, syms)
    }

    /// Builds a table from `(address, name)` pairs in kallsyms order and the address of
    /// `__bpf_call_base`. Pairs with a zero address are ignored, as bpftool does.
    pub fn from_parts(call_base: u64, syms: Vec<(u64, String)>) -> Self {
        let mut syms = syms;
        syms.retain(|(a, _)| *a != 0);
        let syms = glibc_msort(syms);
        Kallsyms { call_base, syms }
    }

    /// Address of `__bpf_call_base`, or 0 if kallsyms did not list it.
    pub fn call_base(&self) -> u64 {
        self.call_base
    }

    /// Number of symbols kept.
    pub fn len(&self) -> usize {
        self.syms.len()
    }

    /// Whether no symbol was kept.
    pub fn is_empty(&self) -> bool {
        self.syms.is_empty()
    }
}

impl KernelSymbols for Kallsyms {
    /// glibc's `bsearch` step for step, so that among aliases at one address (and under the
    /// truncating comparator) the same entry wins as in bpftool.
    fn symbol_at(&self, address: u64) -> Option<&str> {
        let (mut lo, mut hi) = (0usize, self.syms.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let (addr, name) = self.syms.get(mid)?;
            let ord = kallsyms_cmp(address, *addr);
            if ord < 0 {
                hi = mid;
            } else if ord > 0 {
                lo = mid + 1;
            } else {
                return Some(name);
            }
        }
        None
    }
}

/// bpftool's `kernel_syms_cmp`: the address difference truncated to a C `int`.
fn kallsyms_cmp(a: u64, b: u64) -> i32 {
    a.wrapping_sub(b) as u32 as i32
}

/// glibc's `msort_with_tmp` (top-down merge sort, left run wins ties), which is what `qsort`
/// runs for bpftool's table. Reproduced because bpftool's comparator is not a total order over
/// all 64-bit addresses, so only the same algorithm gives the same order; `slice::sort_by` may
/// even panic on such a comparator.
fn glibc_msort(items: Vec<(u64, String)>) -> Vec<(u64, String)> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let mut tmp = vec![0usize; items.len()];
    msort_indices(&items, &mut order, &mut tmp);
    let mut slots: Vec<Option<(u64, String)>> = items.into_iter().map(Some).collect();
    order
        .iter()
        .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// Recursion depth is log2 of the length, at most 64.
fn msort_indices(items: &[(u64, String)], b: &mut [usize], tmp: &mut [usize]) {
    let n = b.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    let (b1, b2) = b.split_at_mut(n1);
    msort_indices(items, b1, tmp);
    msort_indices(items, b2, tmp);
    let addr = |i: usize| items.get(i).map_or(0, |s| s.0);
    let (mut i, mut j, mut k) = (0, 0, 0);
    while i < b1.len() && j < b2.len() {
        if kallsyms_cmp(addr(b1[i]), addr(b2[j])) <= 0 {
            tmp[k] = b1[i];
            i += 1;
        } else {
            tmp[k] = b2[j];
            j += 1;
        }
        k += 1;
    }
    // Leftovers of the right run are already in place; copy merged prefix and left leftovers.
    let left_rest = b1.len() - i;
    tmp[k..k + left_rest].copy_from_slice(&b1[i..]);
    let merged = k + left_rest;
    b[..merged].copy_from_slice(&tmp[..merged]);
}

/// Splits like repeated `fgets(buf, 256, fp)`: at each newline (kept with its line) or after 255
/// bytes.
fn fgets_chunks(mut bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        if bytes.is_empty() {
            return None;
        }
        let limit = bytes.len().min(KALLSYMS_LINE_MAX);
        let end = bytes
            .get(..limit)
            .and_then(|b| b.iter().position(|&c| c == b'\n'))
            .map_or(limit, |p| p + 1);
        let (chunk, rest) = bytes.split_at(end);
        bytes = rest;
        Some(chunk)
    })
}

/// `sscanf(line, "%p %*c %s ...")` with at least the address and the name converted.
fn parse_kallsyms_line(line: &[u8]) -> Option<(u64, &[u8])> {
    let is_space = |c: &u8| c.is_ascii_whitespace() || *c == b'\x0b';
    let skip_ws = |s: &[u8]| -> usize { s.iter().take_while(|c| is_space(c)).count() };

    let mut pos = skip_ws(line);
    // %p reads like %x: optional sign, optional 0x, then the longest run of hex digits.
    let rest = line.get(pos..)?;
    let (negative, mut p) = match rest.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let has_prefix = rest.get(p) == Some(&b'0')
        && matches!(rest.get(p + 1), Some(b'x' | b'X'))
        && rest.get(p + 2).is_some_and(u8::is_ascii_hexdigit);
    if has_prefix {
        p += 2;
    }
    let digits = rest
        .get(p..)?
        .iter()
        .take_while(|c| c.is_ascii_hexdigit())
        .count();
    if digits == 0 {
        return None;
    }
    let mut address: u64 = 0;
    for &c in rest.get(p..p + digits)? {
        let d = char::from(c).to_digit(16).map_or(0, u64::from);
        // strtoul saturates on overflow.
        address = address
            .checked_mul(16)
            .and_then(|a| a.checked_add(d))
            .unwrap_or(u64::MAX);
    }
    if negative {
        address = address.wrapping_neg();
    }
    pos += p + digits;

    // " %*c": skip whitespace, then one character of any kind.
    pos += skip_ws(line.get(pos..)?);
    line.get(pos)?;
    pos += 1;
    // " %s": skip whitespace, then a non-empty run of non-whitespace.
    pos += skip_ws(line.get(pos..)?);
    let rest = line.get(pos..)?;
    let len = rest.iter().take_while(|c| !is_space(c)).count();
    if len == 0 {
        return None;
    }
    Some((address, rest.get(..len)?))
}

/// bpftool's callbacks for `prog dump xlated` (`struct dump_data` + `print_call` + `print_imm`).
#[derive(Clone, Copy)]
pub struct BpftoolCallbacks<'a> {
    /// Address of `__bpf_call_base`; helper and kfunc call immediates are relative to it.
    pub call_base: u64,
    /// Addresses of the program's JITed functions (`bpf_prog_info.jited_ksyms`), indexed by the
    /// subprogram number the kernel leaves in a bpf-to-bpf call's `imm`. Empty when the program
    /// is not JITed or the kernel withheld the addresses.
    pub jited_ksyms: &'a [u64],
    /// Whether the program is JITed (`nr_jited_ksyms != 0`). bpftool hides addresses in
    /// bpf-to-bpf calls only for interpreted programs; when the kernel withholds the addresses
    /// of a JITed one (`kptr_restrict`) it still prints `+off#ADDR` with what it has.
    pub jited: bool,
    /// Kernel symbol table for naming call targets.
    pub symbols: &'a dyn KernelSymbols,
}

impl<'a> BpftoolCallbacks<'a> {
    /// Callbacks resolving through a parsed kallsyms table.
    pub fn new(kallsyms: &'a Kallsyms, jited_ksyms: &'a [u64]) -> Self {
        BpftoolCallbacks {
            call_base: kallsyms.call_base(),
            jited_ksyms,
            jited: !jited_ksyms.is_empty(),
            symbols: kallsyms,
        }
    }

    /// Callbacks for a program with `nr_jited_ksyms` functions whose addresses are `jited_ksyms`
    /// (`None` when the kernel withheld them).
    pub fn for_prog(
        kallsyms: &'a Kallsyms,
        nr_jited_ksyms: u32,
        jited_ksyms: Option<&'a [u64]>,
    ) -> Self {
        BpftoolCallbacks {
            call_base: kallsyms.call_base(),
            jited_ksyms: jited_ksyms.unwrap_or(&[]),
            jited: nr_jited_ksyms != 0,
            symbols: kallsyms,
        }
    }
}

impl Callbacks for BpftoolCallbacks<'_> {
    fn call(&self, insn: &Insn) -> Option<String> {
        // The immediate is sign-extended and added in `unsigned long` arithmetic.
        let mut address = self.call_base.wrapping_add(i64::from(insn.imm) as u64);
        let is_pcrel = insn.src_reg == pseudo::CALL;
        if is_pcrel {
            if let Some(&a) = usize::try_from(insn.imm as u32)
                .ok()
                .and_then(|i| self.jited_ksyms.get(i))
            {
                address = a;
            }
        }
        let sym = self.symbols.symbol_at(address);
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = if is_pcrel {
            let off = i32::from(insn.off);
            match sym {
                // Interpreted programs: no addresses to show.
                _ if !self.jited => write!(out, "{off:+}"),
                Some(name) => write!(out, "{off:+}#{name}"),
                None => write!(out, "{off:+}#{address:#x}"),
            }
        } else {
            match sym {
                Some(name) => write!(out, "{name}"),
                None => write!(out, "{address:#x}"),
            }
        };
        Some(out)
    }

    fn imm(&self, insn: &Insn, next: Option<&Insn>, full_imm: u64) -> Option<String> {
        // bpftool reads the second slot unconditionally; the decoder may lack it on truncated
        // input, where 0 stands in.
        let next_imm = next.map_or(0, |n| n.imm);
        let mut out = String::new();
        let _ = match insn.src_reg {
            pseudo::MAP_FD => write!(out, "map[id:{}]", insn.imm),
            pseudo::MAP_VALUE => write!(out, "map[id:{}][0]+{next_imm}", insn.imm),
            pseudo::MAP_IDX_VALUE => write!(out, "map[idx:{}]+{next_imm}", insn.imm),
            pseudo::FUNC => write!(out, "subprog[{:+}]", insn.imm),
            _ => write!(out, "{full_imm:#x}"),
        };
        Some(out)
    }
}

/// Writes one instruction as a line of `bpftool prog dump xlated` plain output (`%4u: ` then the
/// kernel text), followed with `opcodes` by the line of raw bytes.
pub fn write_insn_line(
    w: &mut dyn io::Write,
    d: &Decoded<'_>,
    cbs: &dyn Callbacks,
    opcodes: bool,
) -> io::Result<()> {
    writeln!(
        w,
        "{:4}: {}",
        d.index,
        display_insn(&d.insn, d.next.as_ref(), cbs, true)
    )?;
    if opcodes {
        write_opcodes_line(w, d.bytes)?;
    }
    Ok(())
}

/// The `opcodes` line: 7 spaces, then the instruction's bytes as space-separated hex pairs
/// (both slots of an LD_IMM64 on one line).
pub fn write_opcodes_line(w: &mut dyn io::Write, bytes: &[u8]) -> io::Result<()> {
    w.write_all(b"       ")?;
    for (i, b) in bytes.iter().enumerate() {
        if i == 0 {
            write!(w, "{b:02x}")?;
        } else {
            write!(w, " {b:02x}")?;
        }
    }
    w.write_all(b"\n")
}

/// Plain `prog dump xlated` of `bytes` without BTF annotations (no function signatures, no
/// source lines; callers that have them interleave with [`write_insn_line`] themselves).
///
/// A trailing partial instruction is ignored, as bpftool does, and returned for the caller to
/// report if it wishes.
pub fn dump_plain(
    w: &mut dyn io::Write,
    bytes: &[u8],
    cbs: &dyn Callbacks,
    opcodes: bool,
) -> io::Result<Option<super::insn::TrailingBytes>> {
    for item in super::insn::decode(bytes) {
        match item {
            Ok(d) => write_insn_line(w, &d, cbs, opcodes)?,
            Err(tail) => return Ok(Some(tail)),
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kallsyms_parse_like_bpftool() {
        let text = "\
ffffffff81000000 T _stext
ffffffff814ca650 T __bpf_call_base
0000000000000000 A zero_is_dropped
ffffffff81500000 t bpf_map_lookup_elem_alias
ffffffff81500000 T bpf_map_lookup_elem
ffffffffc0001000 t bpf_prog_0123456789abcdef_F\t[bpf]
garbage
";
        let k = Kallsyms::parse(text);
        assert_eq!(k.call_base(), 0xffff_ffff_814c_a650);
        assert_eq!(k.len(), 5);
        assert_eq!(k.symbol_at(0xffff_ffff_8100_0000), Some("_stext"));
        assert_eq!(
            k.symbol_at(0xffff_ffff_c000_1000),
            Some("bpf_prog_0123456789abcdef_F")
        );
        assert!(k.symbol_at(0xffff_ffff_8150_0000).is_some());
        assert_eq!(k.symbol_at(0x1234), None);
    }

    #[test]
    fn kallsyms_hidden_addresses_drop_everything() {
        let text = "\
0000000000000000 T _stext
0000000000000000 T __bpf_call_base
";
        let k = Kallsyms::parse(text);
        assert!(k.is_empty());
        assert_eq!(k.call_base(), 0);
    }

    #[test]
    fn kallsyms_long_lines_split_like_fgets() {
        let long_name = "a".repeat(300);
        let text = format!("ffffffff81000000 T {long_name}\nffffffff81000010 T short\n");
        let chunks: Vec<_> = fgets_chunks(text.as_bytes()).collect();
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].len(), 255);
        let k = Kallsyms::parse(&text);
        assert_eq!(k.symbol_at(0xffff_ffff_8100_0010), Some("short"));
        // The name is cut where fgets cut the line.
        assert_eq!(
            k.symbol_at(0xffff_ffff_8100_0000).map(str::len),
            Some(255 - 19)
        );
    }

    #[test]
    fn msort_orders_and_is_stable() {
        let syms = vec![
            (30, "c".to_owned()),
            (10, "a".to_owned()),
            (20, "b1".to_owned()),
            (20, "b2".to_owned()),
            (5, "z".to_owned()),
        ];
        let sorted = glibc_msort(syms);
        let names: Vec<_> = sorted.iter().map(|s| s.1.as_str()).collect();
        assert_eq!(names, ["z", "a", "b1", "b2", "c"]);
    }

    #[test]
    fn msort_survives_a_non_transitive_comparator() {
        // Differences beyond 2^31 make bpftool's comparator inconsistent; no panic, all kept.
        let syms: Vec<_> = [0xffff_ffff_c000_0000u64, 0x1000, 0xffff_ffff_8100_0000, 0x2]
            .iter()
            .map(|&a| (a, format!("{a:x}")))
            .collect();
        let k = Kallsyms::from_parts(0, syms);
        assert_eq!(k.len(), 4);
    }

    fn call(src_reg: u8, off: i16, imm: i32) -> Insn {
        Insn {
            code: 0x85,
            dst_reg: 0,
            src_reg,
            off,
            imm,
        }
    }

    #[test]
    fn print_call_forms() {
        let k = Kallsyms::from_parts(
            0x1000,
            vec![
                (0x1100, "__htab_map_lookup_elem".to_owned()),
                (0xc000, "bpf_prog_aabbccdd00112233_sub".to_owned()),
            ],
        );
        let jited = [0xb000, 0xc000];
        let cbs = BpftoolCallbacks::new(&k, &jited);
        assert_eq!(
            cbs.call(&call(0, 0, 0x100)).as_deref(),
            Some("__htab_map_lookup_elem")
        );
        assert_eq!(cbs.call(&call(2, 0, 0x200)).as_deref(), Some("0x1200"));
        assert_eq!(
            cbs.call(&call(0, 0, -0x2000)).as_deref(),
            Some("0xfffffffffffff000")
        );
        assert_eq!(
            cbs.call(&call(1, 5, 1)).as_deref(),
            Some("+5#bpf_prog_aabbccdd00112233_sub")
        );
        assert_eq!(cbs.call(&call(1, -3, 0)).as_deref(), Some("-3#0xb000"));
        // Subprogram index outside jited_ksyms: address falls back to base + imm.
        assert_eq!(cbs.call(&call(1, 0, 7)).as_deref(), Some("+0#0x1007"));
        let interp = BpftoolCallbacks::new(&k, &[]);
        assert_eq!(interp.call(&call(1, 5, 1)).as_deref(), Some("+5"));
        // JITed, addresses withheld (kptr_restrict): the kernel zeroes imm, bpftool still
        // prints an address, base + imm.
        let withheld = BpftoolCallbacks::for_prog(&k, 2, None);
        assert_eq!(withheld.call(&call(1, 5, 0)).as_deref(), Some("+5#0x1000"));
    }

    #[test]
    fn print_imm_forms() {
        let cbs = BpftoolCallbacks {
            call_base: 0,
            jited_ksyms: &[],
            jited: false,
            symbols: &NoSymbols,
        };
        let ld = |src_reg, imm| Insn {
            code: 0x18,
            dst_reg: 1,
            src_reg,
            off: 0,
            imm,
        };
        let hi = Insn {
            imm: -8,
            ..Insn::default()
        };
        let t = |src, imm, full| cbs.imm(&ld(src, imm), Some(&hi), full).unwrap();
        assert_eq!(t(1, 42, 0), "map[id:42]");
        assert_eq!(t(2, 42, 0), "map[id:42][0]+-8");
        assert_eq!(t(6, 3, 0), "map[idx:3]+-8");
        assert_eq!(t(4, 12, 0), "subprog[+12]");
        assert_eq!(t(4, -2, 0), "subprog[-2]");
        assert_eq!(t(5, 3, 0xdead_0000_0003), "0xdead00000003");
        assert_eq!(t(3, 3, 0), "0x0");
        assert_eq!(t(0, 0, u64::MAX), "0xffffffffffffffff");
    }

    #[test]
    fn plain_lines_and_opcodes() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&[0xb7, 0x01, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[0x18, 0x12, 0, 0, 7, 0, 0, 0]);
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0]);
        bytes.push(0xff);
        let cbs = BpftoolCallbacks {
            call_base: 0,
            jited_ksyms: &[],
            jited: false,
            symbols: &NoSymbols,
        };
        let mut out = Vec::new();
        let tail = dump_plain(&mut out, &bytes, &cbs, true).unwrap();
        assert_eq!(
            tail,
            Some(super::super::insn::TrailingBytes { offset: 32, len: 1 })
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "   0: (b7) r1 = 0
       b7 01 00 00 00 00 00 00
   1: (18) r2 = map[id:7]
       18 12 00 00 07 00 00 00 00 00 00 00 00 00 00 00
   3: (95) exit
       95 00 00 00 00 00 00 00
"
        );
    }
}
