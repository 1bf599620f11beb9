//! `prog dump jited` as bpftool's LLVM build prints it (`prog_dump` in prog.c,
//! `disasm_print_insn` in jit_disasm.c), on x86-64 through [`super::x86`].
//!
//! [`collect`] splits the image into the kernel's functions, names each from kallsyms, decodes
//! every instruction and attaches source lines from the JITed line info; [`JitedDump`] renders
//! that in plain text or JSON. The JSON keeps bpftool's naive operand splitting (`strtok` on
//! `" \t,()"`, so `112(%rdi)` gives `"112"` and `"%rdi"`) because consumers of its output
//! expect exactly that.

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::bpf::bpftool::{Kallsyms, KernelSymbols};
use super::bpf::linfo::ProgLinfo;
use super::bpf::xlated::{FuncInfos, SrcLine};
use super::x86::X86Disasm;
use crate::btf::{sig, Btf};

/// What the JIT dump is made from (the parts of `bpf_prog_info` bpftool uses).
#[derive(Clone, Copy)]
pub struct Input<'a, 'b> {
    /// The whole JITed image, functions one after the other.
    pub image: &'a [u8],
    /// Byte length of each function (`jited_func_lens`), when the kernel gave them.
    pub func_lens: Option<&'b [u32]>,
    /// Function start addresses (`jited_ksyms`) and the symbol table to name them, when the
    /// program has ksyms and the kernel did not withhold them.
    pub ksyms: Option<(&'b [u64], &'b Kallsyms)>,
    /// The program's BTF.
    pub btf: Option<&'b Btf>,
    /// Its function records.
    pub func_info: FuncInfos<'b>,
    /// Its line records.
    pub linfo: Option<&'b ProgLinfo<'b>>,
    /// `opcodes`.
    pub opcodes: bool,
    /// `linum`.
    pub linum: bool,
}

/// One machine instruction.
#[derive(Debug, Clone)]
pub struct JitedInsn<'a> {
    /// Source line starting here, if any.
    pub src: Option<SrcLine>,
    /// Offset in the function.
    pub pc: usize,
    /// LLVM's text (leading tab, tab between mnemonic and operands).
    pub text: String,
    /// Whether decoding failed here and `text` is what bpftool's stale buffer holds.
    pub stale: bool,
    /// The instruction's bytes.
    pub bytes: &'a [u8],
}

/// One JITed function.
#[derive(Debug, Clone)]
pub struct JitedFunc<'a> {
    /// BTF signature, if any (never empty).
    pub proto: Option<Vec<u8>>,
    /// Symbol name (`bpf_prog_TAG_NAME`), the address, or `unknown`.
    pub name: String,
    /// Its instructions.
    pub insns: Vec<JitedInsn<'a>>,
}

/// A whole JIT dump with the options that shape its rendering.
#[derive(Debug, Clone)]
pub struct JitedDump<'a> {
    /// The functions; a single unnamed one when the kernel gave no function lengths.
    pub funcs: Vec<JitedFunc<'a>>,
    /// Whether the image was split per function (headers and per-function JSON objects).
    pub split: bool,
    /// `opcodes`.
    pub opcodes: bool,
    /// `linum`.
    pub linum: bool,
    /// bpftool stopped here with a silent failure (a function of length zero).
    pub failed: bool,
}

/// Why a JIT image cannot be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JitedError {
    /// Nothing to disassemble.
    #[error("error retrieving jit dump: no instructions returned or kernel.kptr_restrict set?")]
    Empty,
}

/// bpftool's `disasm_print_insn` over one function.
fn disasm_func<'a>(
    dis: &mut X86Disasm,
    code: &'a [u8],
    func_ksym: u64,
    func_idx: u32,
    inp: &Input<'_, '_>,
    linfo: Option<&ProgLinfo<'_>>,
) -> Vec<JitedInsn<'a>> {
    let mut out = Vec::with_capacity(code.len() / 3);
    let mut pc = 0usize;
    let mut nr_skip = 0u32;
    // LLVM writes nothing on failure; bpftool prints its buffer anyway, which still holds the
    // previous instruction's text.
    let mut last_text = String::new();
    loop {
        let mut src = None;
        if let Some(l) = linfo {
            if let Some(li) =
                l.lfind_addr_func(func_ksym.wrapping_add(pc as u64), func_idx, nr_skip)
            {
                src = Some(SrcLine::of(inp.btf, &li));
                nr_skip += 1;
            }
        }
        let rest = code.get(pc..).unwrap_or_default();
        let decoded = dis.decode(rest, func_ksym.wrapping_add(pc as u64));
        let (count, text, stale) = match decoded {
            Some(i) => (i.len, i.text, false),
            None => (0, last_text.clone(), true),
        };
        out.push(JitedInsn {
            src,
            pc,
            text: text.clone(),
            stale,
            bytes: rest.get(..count).unwrap_or_default(),
        });
        last_text = text;
        pc += count;
        if count == 0 || pc >= code.len() {
            break;
        }
    }
    out
}

/// Builds the dump as bpftool's `prog_dump` walks it.
pub fn collect<'a>(inp: &Input<'a, '_>) -> Result<JitedDump<'a>, JitedError> {
    if inp.image.is_empty() {
        return Err(JitedError::Empty);
    }
    let mut dis = X86Disasm::new();
    let mut dump = JitedDump {
        funcs: Vec::new(),
        split: inp.func_lens.is_some(),
        opcodes: inp.opcodes,
        linum: inp.linum,
        failed: false,
    };
    let Some(lens) = inp.func_lens else {
        // No function table: one stream at address 0, no names, no line info.
        dump.funcs.push(JitedFunc {
            proto: None,
            name: String::new(),
            insns: disasm_func(&mut dis, inp.image, 0, 0, inp, None),
        });
        return Ok(dump);
    };
    let mut offset = 0usize;
    for (i, &len) in lens.iter().enumerate() {
        let ksym = inp.ksyms.and_then(|(addrs, _)| addrs.get(i).copied());
        let name = match (inp.ksyms, ksym) {
            (Some((_, syms)), Some(addr)) => syms
                .symbol_at(addr)
                .map_or_else(|| format!("0x{addr:016x}"), str::to_owned),
            _ => "unknown".to_owned(),
        };
        let proto = inp.btf.and_then(|btf| {
            let s = sig::type_only(btf, inp.func_info.type_id(i)?);
            (!s.is_empty()).then_some(s)
        });
        let len = len as usize;
        let end = offset.saturating_add(len).min(inp.image.len());
        let code = inp.image.get(offset..end).unwrap_or_default();
        if code.is_empty() {
            // bpftool's disasm_print_insn refuses a zero length and the dump stops, silently.
            dump.funcs.push(JitedFunc {
                proto,
                name,
                insns: Vec::new(),
            });
            dump.failed = true;
            return Ok(dump);
        }
        let insns = match ksym {
            Some(addr) => disasm_func(&mut dis, code, addr, i as u32, inp, inp.linfo),
            None => disasm_func(&mut dis, code, 0, 0, inp, None),
        };
        dump.funcs.push(JitedFunc { proto, name, insns });
        offset = offset.saturating_add(len);
    }
    Ok(dump)
}

/// C's `strtok` splitting of LLVM's text as bpftool's `printf_json` does it: the mnemonic up
/// to a space or tab, then operands separated by any of `" \t,()"`.
pub fn split_operation(text: &str) -> (Option<&str>, Vec<&str>) {
    let first_delims = |c: char| c == ' ' || c == '\t';
    let rest_delims = |c: char| matches!(c, ' ' | '\t' | ',' | '(' | ')');
    let s = text.trim_start_matches(first_delims);
    if s.is_empty() {
        return (None, Vec::new());
    }
    let (op, rest) = match s.find(first_delims) {
        // strtok overwrites the delimiter and resumes after it.
        Some(at) => (&s[..at], &s[at + 1..]),
        None => (s, ""),
    };
    let operands = rest.split(rest_delims).filter(|t| !t.is_empty()).collect();
    (Some(op), operands)
}

impl JitedDump<'_> {
    fn write_insns(&self, w: &mut dyn Write, insns: &[JitedInsn<'_>]) -> io::Result<()> {
        for x in insns {
            if let Some(s) = &x.src {
                s.plain(w, "; ", self.linum)?;
            }
            write!(w, "{:4x}:", x.pc)?;
            w.write_all(x.text.as_bytes())?;
            if self.opcodes {
                w.write_all(b"\n\t")?;
                for b in x.bytes {
                    write!(w, "{b:02x} ")?;
                }
            }
            w.write_all(b"\n")?;
        }
        Ok(())
    }
}

impl crate::output::Plain for JitedDump<'_> {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        if !self.split {
            if let Some(f) = self.funcs.first() {
                self.write_insns(w, &f.insns)?;
            }
            return Ok(());
        }
        for (i, f) in self.funcs.iter().enumerate() {
            if let Some(p) = &f.proto {
                w.write_all(p)?;
                w.write_all(b":\n")?;
            }
            writeln!(w, "{}:", f.name)?;
            self.write_insns(w, &f.insns)?;
            let stopped = self.failed && i + 1 == self.funcs.len();
            if !stopped {
                w.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

struct Operands<'a>(&'a [&'a str]);

impl Serialize for Operands<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        if self.0.is_empty() {
            // bpftool writes a null when the mnemonic came alone.
            seq.serialize_element(&())?;
        }
        for o in self.0 {
            seq.serialize_element(o)?;
        }
        seq.end()
    }
}

struct HexList<'a>(&'a [u8]);

impl Serialize for HexList<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for b in self.0 {
            seq.serialize_element(&format!("0x{b:02x}"))?;
        }
        seq.end()
    }
}

struct JsonInsn<'a> {
    x: &'a JitedInsn<'a>,
    opcodes: bool,
    linum: bool,
}

impl Serialize for JsonInsn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.x;
        let mut m = s.serialize_map(None)?;
        if let Some(src) = &x.src {
            src.json_fields(&mut m, self.linum)?;
        }
        m.serialize_entry("pc", &format!("0x{:x}", x.pc))?;
        let (op, mut operands) = split_operation(&x.text);
        if x.stale {
            // strtok left NULs in bpftool's buffer: only the mnemonic survives.
            operands.clear();
        }
        m.serialize_entry("operation", &op.unwrap_or_default())?;
        m.serialize_entry("operands", &Operands(&operands))?;
        if self.opcodes {
            m.serialize_entry("opcodes", &HexList(x.bytes))?;
        }
        m.end()
    }
}

struct JsonInsns<'a> {
    insns: &'a [JitedInsn<'a>],
    opcodes: bool,
    linum: bool,
}

impl Serialize for JsonInsns<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.insns.len()))?;
        for x in self.insns {
            seq.serialize_element(&JsonInsn {
                x,
                opcodes: self.opcodes,
                linum: self.linum,
            })?;
        }
        seq.end()
    }
}

struct JsonFunc<'a> {
    f: &'a JitedFunc<'a>,
    insns: Option<JsonInsns<'a>>,
}

impl Serialize for JsonFunc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(p) = &self.f.proto {
            m.serialize_entry("proto", &crate::output::Bytes(p))?;
        }
        m.serialize_entry("name", &self.f.name)?;
        if let Some(insns) = &self.insns {
            m.serialize_entry("insns", insns)?;
        }
        m.end()
    }
}

impl Serialize for JitedDump<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if !self.split {
            let empty = Vec::new();
            let f = self.funcs.first().map_or(&empty, |f| &f.insns);
            return JsonInsns {
                insns: f,
                opcodes: self.opcodes,
                linum: self.linum,
            }
            .serialize(s);
        }
        let mut seq = s.serialize_seq(Some(self.funcs.len()))?;
        for (i, f) in self.funcs.iter().enumerate() {
            let stopped = self.failed && i + 1 == self.funcs.len();
            seq.serialize_element(&JsonFunc {
                f,
                insns: (!stopped).then_some(JsonInsns {
                    insns: &f.insns,
                    opcodes: self.opcodes,
                    linum: self.linum,
                }),
            })?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disasm::bpf::cfg::write_cfg;
    use crate::disasm::bpf::linfo::LinfoArrays;
    use crate::disasm::bpf::xlated::{self, DumpData, XlatedDump};
    use crate::disasm::bpf::{BpftoolCallbacks, NoCallbacks};
    use crate::output::Plain;

    /// Deterministic xorshift64*.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
    }

    /// Property: whatever the image, the function table and the line info, building and
    /// rendering a JIT dump never panics and always makes progress to the end of the image
    /// or to the first undecodable byte.
    #[test]
    fn random_images_never_panic() {
        let mut rng = Rng(0x5151_7e7e_0123_4567);
        let syms = Kallsyms::from_parts(0x1000, vec![(0xc000, "bpf_prog_x_f".into())]);
        for round in 0..3000 {
            let n = (rng.next() % 300) as usize;
            let image = rng.bytes(n);
            let lens: Vec<u32> = (0..rng.next() % 4)
                .map(|_| (rng.next() % 120) as u32)
                .collect();
            let ksyms: Vec<u64> = (0..rng.next() % 4)
                .map(|_| 0xc000 + rng.next() % 64)
                .collect();
            let nl = (rng.next() % 5) as usize;
            let line_info = rng.bytes(nl * 16);
            let nj = if round % 5 == 0 { nl + 1 } else { nl };
            let jlinfo = rng.bytes(nj * 8);
            let arrays = LinfoArrays {
                nr_line_info: (line_info.len() / 16) as u32,
                line_info_rec_size: 16,
                line_info: &line_info,
                nr_jited_ksyms: ksyms.len() as u32,
                jited_ksyms: Some(&ksyms),
                nr_jited_func_lens: lens.len() as u32,
                jited_func_lens: Some(&lens),
                nr_jited_line_info: (jlinfo.len() / 8) as u32,
                jited_line_info_rec_size: 8,
                jited_line_info: Some(&jlinfo),
            };
            let linfo = ProgLinfo::new(&arrays).ok();
            let finfo = rng.bytes(16);
            let inp = Input {
                image: &image,
                func_lens: (round % 3 != 0).then_some(&lens[..]),
                ksyms: (round % 2 == 0).then_some((&ksyms[..], &syms)),
                btf: None,
                func_info: FuncInfos::new(&finfo, 8),
                linfo: linfo.as_ref(),
                opcodes: round % 2 == 1,
                linum: round % 4 == 1,
            };
            let Ok(dump) = collect(&inp) else {
                assert!(image.is_empty());
                continue;
            };
            let mut out = Vec::new();
            dump.plain(&mut out).unwrap();
            let mut jw = crate::output::JsonWriter::new(Vec::new(), round % 2 == 0);
            crate::output::json::write_value(&mut jw, &dump).unwrap();
            for f in &dump.funcs {
                let covered: usize = f.insns.iter().map(|i| i.bytes.len()).sum();
                assert!(covered <= image.len());
            }
            // The same bytes as eBPF: the xlated walk and the CFG never panic either.
            let cbs = BpftoolCallbacks::for_prog(&syms, ksyms.len() as u32, Some(&ksyms));
            for callbacks in [&cbs as &dyn crate::disasm::bpf::Callbacks, &NoCallbacks] {
                let dd = DumpData {
                    cbs: callbacks,
                    btf: None,
                    func_info: FuncInfos::new(&finfo, 8),
                    linfo: linfo.as_ref(),
                };
                let x = XlatedDump {
                    insns: xlated::collect(&image, &dd),
                    opcodes: true,
                    linum: true,
                };
                out.clear();
                x.plain(&mut out).unwrap();
                write_cfg(&mut out, &image, &dd, true, true).unwrap();
            }
        }
    }

    #[test]
    fn operands_split_like_strtok() {
        assert_eq!(
            split_operation("\tmovl\t112(%rdi), %edi"),
            (Some("movl"), vec!["112", "%rdi", "%edi"])
        );
        assert_eq!(split_operation("\tleave"), (Some("leave"), vec![]));
        assert_eq!(
            split_operation("\tnopl\t(%rax,%rax)"),
            (Some("nopl"), vec!["%rax", "%rax"])
        );
        assert_eq!(
            split_operation("\tlock\t\taddw\t%ax, (%rax)"),
            (Some("lock"), vec!["addw", "%ax", "%rax"])
        );
        assert_eq!(split_operation(""), (None, vec![]));
    }
}
