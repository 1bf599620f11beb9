//! `prog dump xlated` as bpftool prints it (`dump_xlated_plain`, `dump_xlated_json` in
//! xlated_dumper.c): instructions annotated with BTF function signatures and source lines.
//!
//! [`collect`] builds one [`XlatedInsn`] per instruction; [`XlatedDump`] renders the list in
//! plain text or JSON, so both views come from the same data.

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::bpftool::write_opcodes_line;
use super::insn::{decode, Insn};
use super::linfo::{LineInfo, ProgLinfo};
use super::print::{display_insn, Callbacks};
use crate::btf::{sig, Btf};

/// The `bpf_func_info` records of a program: `insn_off` and BTF `type_id` of each function.
#[derive(Debug, Clone, Copy, Default)]
pub struct FuncInfos<'a> {
    raw: &'a [u8],
    rec_size: usize,
}

impl<'a> FuncInfos<'a> {
    /// Records of `rec_size` bytes (the kernel's `func_info_rec_size`).
    pub fn new(raw: &'a [u8], rec_size: u32) -> Self {
        FuncInfos {
            raw,
            rec_size: rec_size as usize,
        }
    }

    fn field(&self, idx: usize, off: usize) -> Option<u32> {
        if self.rec_size < 8 {
            return None;
        }
        let at = idx.checked_mul(self.rec_size)?.checked_add(off)?;
        let b = self.raw.get(at..at.checked_add(4)?)?;
        Some(u32::from_ne_bytes(b.try_into().ok()?))
    }

    /// `insn_off` of record `idx`, `None` past the end.
    pub fn insn_off(&self, idx: usize) -> Option<u32> {
        self.field(idx, 0)
    }

    /// `type_id` of record `idx`, `None` past the end.
    pub fn type_id(&self, idx: usize) -> Option<u32> {
        self.field(idx, 4)
    }
}

/// What bpftool needs besides the instructions (`struct dump_data` minus the kallsyms, which
/// live in the callbacks).
#[derive(Clone, Copy)]
pub struct DumpData<'a> {
    /// Call and immediate naming.
    pub cbs: &'a dyn Callbacks,
    /// The program's BTF, if it has one.
    pub btf: Option<&'a Btf>,
    /// Its function records.
    pub func_info: FuncInfos<'a>,
    /// Its line records, if usable.
    pub linfo: Option<&'a ProgLinfo<'a>>,
}

/// A source line from a `bpf_line_info` record, as bpftool reads it from the BTF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrcLine {
    /// The line's text, leading white space removed; `None` for a bad string offset (bpftool
    /// then prints nothing in plain mode and omits `src` in JSON).
    pub line: Option<Vec<u8>>,
    /// The file name; `None` for a bad string offset.
    pub file: Option<Vec<u8>>,
    /// Line number.
    pub line_num: u32,
    /// Column.
    pub line_col: u32,
}

/// C's `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

impl SrcLine {
    /// Reads the strings of `li` from `btf` (libbpf's `btf__name_by_offset`).
    pub fn of(btf: Option<&Btf>, li: &LineInfo) -> SrcLine {
        let line = btf.and_then(|b| b.str_at(li.line_off)).map(|l| {
            let start = l.iter().position(|&c| !is_c_space(c)).unwrap_or(l.len());
            l[start..].to_vec()
        });
        SrcLine {
            line,
            file: btf
                .and_then(|b| b.str_at(li.file_name_off))
                .map(<[u8]>::to_vec),
            line_num: li.line_num(),
            line_col: li.line_col(),
        }
    }

    /// bpftool's `btf_dump_linfo_plain`: `PREFIX line [file:F line_num:N line_col:C]\n`.
    pub fn plain(&self, w: &mut dyn Write, prefix: &str, linum: bool) -> io::Result<()> {
        let Some(line) = &self.line else {
            return Ok(());
        };
        w.write_all(prefix.as_bytes())?;
        w.write_all(line)?;
        if linum {
            w.write_all(b" [file:")?;
            w.write_all(self.file.as_deref().unwrap_or_default())?;
            write!(w, " line_num:{} line_col:{}]", self.line_num, self.line_col)?;
        }
        w.write_all(b"\n")
    }

    /// bpftool's `btf_dump_linfo_json`: `src`, and with `linum` `file`, `line_num`, `line_col`
    /// (the numbers only when not zero).
    pub fn json_fields<M: SerializeMap>(&self, m: &mut M, linum: bool) -> Result<(), M::Error> {
        if let Some(line) = &self.line {
            m.serialize_entry("src", &crate::output::Bytes(line))?;
        }
        if linum {
            if let Some(f) = &self.file {
                m.serialize_entry("file", &crate::output::Bytes(f))?;
            }
            if self.line_num != 0 {
                m.serialize_entry("line_num", &self.line_num)?;
            }
            if self.line_col != 0 {
                m.serialize_entry("line_col", &self.line_col)?;
            }
        }
        Ok(())
    }
}

/// One instruction of the dump with what bpftool prints before it.
#[derive(Debug, Clone)]
pub struct XlatedInsn<'a> {
    /// Slot index.
    pub index: usize,
    /// The function signature starting here, if any (never empty).
    pub proto: Option<Vec<u8>>,
    /// The source line found for this instruction, if any.
    pub src: Option<SrcLine>,
    /// The instruction in the kernel's verifier syntax.
    pub disasm: String,
    /// The first slot.
    pub insn: Insn,
    /// Raw bytes: 8, or 16 for a complete LD_IMM64.
    pub bytes: &'a [u8],
}

/// bpftool's walk over the instructions: function signatures from func_info (checked only
/// against the next record, as bpftool does), source lines from line_info with its `nr_skip`
/// bookkeeping, then the instruction text. A trailing partial slot is ignored as in bpftool.
pub fn collect<'a>(bytes: &'a [u8], dd: &DumpData<'_>) -> Vec<XlatedInsn<'a>> {
    let mut out = Vec::with_capacity(bytes.len() / 8);
    let mut record = 0usize;
    let mut nr_skip = 0u32;
    for d in decode(bytes).flatten() {
        let i = u32::try_from(d.index).unwrap_or(u32::MAX);
        let mut proto = None;
        if let Some(btf) = dd.btf {
            if dd.func_info.insn_off(record) == Some(i) {
                let sig = dd
                    .func_info
                    .type_id(record)
                    .map(|t| sig::type_only(btf, t))
                    .unwrap_or_default();
                if !sig.is_empty() {
                    proto = Some(sig);
                }
                record += 1;
            }
        }
        let mut src = None;
        if let Some(linfo) = dd.linfo {
            if let Some((_, li)) = linfo.lfind(i, nr_skip) {
                src = Some(SrcLine::of(dd.btf, &li));
                nr_skip += 1;
            }
        }
        out.push(XlatedInsn {
            index: d.index,
            proto,
            src,
            disasm: display_insn(&d.insn, d.next.as_ref(), dd.cbs, true).to_string(),
            insn: d.insn,
            bytes: d.bytes,
        });
    }
    out
}

/// A whole xlated dump with the options that shape its rendering.
#[derive(Debug, Clone)]
pub struct XlatedDump<'a> {
    /// The instructions.
    pub insns: Vec<XlatedInsn<'a>>,
    /// `opcodes`: raw bytes after each instruction.
    pub opcodes: bool,
    /// `linum`: file, line and column with each source line.
    pub linum: bool,
}

impl XlatedDump<'_> {
    /// bpftool's plain layout.
    pub fn write_plain(&self, w: &mut dyn Write) -> io::Result<()> {
        for x in &self.insns {
            if let Some(p) = &x.proto {
                w.write_all(p)?;
                w.write_all(b":\n")?;
            }
            if let Some(s) = &x.src {
                s.plain(w, "; ", self.linum)?;
            }
            writeln!(w, "{:4}: {}", x.index, x.disasm)?;
            if self.opcodes {
                write_opcodes_line(w, x.bytes)?;
            }
        }
        Ok(())
    }
}

/// Hex strings `"0x%02hhx"` of some bytes (bpftool's `print_hex_data_json`).
struct HexBytes<'a>(&'a [u8]);

impl Serialize for HexBytes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&format!("0x{b:02x}"))?;
        }
        seq.end()
    }
}

struct Opcodes<'a>(&'a XlatedInsn<'a>);

impl Serialize for Opcodes<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", &format!("0x{:02x}", x.insn.code))?;
        m.serialize_entry("src_reg", &format!("0x{:x}", x.insn.src_reg))?;
        m.serialize_entry("dst_reg", &format!("0x{:x}", x.insn.dst_reg))?;
        m.serialize_entry("off", &HexBytes(x.bytes.get(2..4).unwrap_or_default()))?;
        // An LD_IMM64 shows 12 bytes from its first imm: imm, the second slot's code, regs
        // and off, and its imm. bpftool reads them even past a truncated end; zeros here.
        let want = if x.insn.is_ld_imm64() { 12 } else { 4 };
        let mut imm: Vec<u8> = x.bytes.iter().skip(4).take(want).copied().collect();
        imm.resize(want, 0);
        m.serialize_entry("imm", &HexBytes(&imm))?;
        m.end()
    }
}

struct JsonInsn<'a> {
    x: &'a XlatedInsn<'a>,
    opcodes: bool,
    linum: bool,
}

impl Serialize for JsonInsn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.x;
        let mut m = s.serialize_map(None)?;
        if let Some(p) = &x.proto {
            m.serialize_entry("proto", &crate::output::Bytes(p))?;
        }
        if let Some(src) = &x.src {
            src.json_fields(&mut m, self.linum)?;
        }
        m.serialize_entry("disasm", &x.disasm)?;
        if self.opcodes {
            m.serialize_entry("opcodes", &Opcodes(x))?;
        }
        m.end()
    }
}

impl Serialize for XlatedDump<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.insns.len()))?;
        for x in &self.insns {
            seq.serialize_element(&JsonInsn {
                x,
                opcodes: self.opcodes,
                linum: self.linum,
            })?;
        }
        seq.end()
    }
}

impl crate::output::Plain for XlatedDump<'_> {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        self.write_plain(w)
    }
}
