//! `prog dump xlated ... visual`: the control-flow graph in DOT, as bpftool's cfg.c draws it.
//!
//! Functions start at instruction 0 and at every bpf-to-bpf call target; basic blocks start at
//! jump targets and after conditional jumps. bpftool's numbering and lookups are kept exactly,
//! including where they are surprising: functions are numbered in discovery order but drawn in
//! address order; inside a block, instruction numbers are relative to the function, and so are
//! the func_info and line_info lookups made with them; `gotol` uses `off`, not `imm`; a line is
//! cut at 63 bytes before escaping. Indices replace bpftool's pointers, and anything out of the
//! program's range (only possible with instructions no kernel would return) is left out
//! instead of read.

use std::io::{self, Write};

use super::insn::{class, jmp, pseudo, Insn, INSN_SIZE, LD_IMM64};
use super::print::display_insn;
use super::xlated::DumpData;
use crate::btf::sig;

const ENTRY_BLOCK: usize = 0;
const EXIT_BLOCK: usize = 1;
const FIXED_BLOCKS: usize = 2;

/// bpftool formats each instruction into a 64-byte buffer before escaping it.
const GRAPH_LINE_MAX: usize = 63;

#[derive(Debug)]
struct Block {
    head: usize,
    tail: usize,
    idx: usize,
    /// Successors: (destination block position in the function's list).
    succs: Vec<usize>,
}

#[derive(Debug)]
struct Func {
    start: usize,
    idx: usize,
    /// ENTRY, the real blocks in address order, EXIT.
    blocks: Vec<Block>,
}

fn is_jmp(code: u8) -> bool {
    let c = code & 0x07;
    c == class::JMP || c == class::JMP32
}

/// `insn + off + 1` as an index, if inside the program.
fn target(at: usize, off: i16, cnt: usize) -> Option<usize> {
    let t = i64::try_from(at).ok()? + i64::from(off) + 1;
    usize::try_from(t).ok().filter(|&t| t < cnt)
}

/// Sorted insertion without duplicates (`cfg_append_func` / `func_append_bb`); returns
/// whether the value was new.
fn insert_sorted(list: &mut Vec<usize>, v: usize) -> bool {
    match list.binary_search(&v) {
        Ok(_) => false,
        Err(pos) => {
            list.insert(pos, v);
            true
        }
    }
}

fn build(insns: &[Insn]) -> Vec<Func> {
    let cnt = insns.len();
    if cnt == 0 {
        return Vec::new();
    }
    // Function starts in address order, each with its discovery number.
    let mut starts = vec![0usize];
    let mut order = vec![0usize];
    for (i, insn) in insns.iter().enumerate() {
        if insn.code != (class::JMP | jmp::CALL) || insn.src_reg != pseudo::CALL {
            continue;
        }
        if let Some(t) = target(i, insn.off, cnt) {
            if insert_sorted(&mut starts, t) {
                order.push(t);
            }
        }
    }
    let mut funcs = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).map_or(cnt - 1, |&next| next - 1);
        let idx = order.iter().position(|&s| s == start).unwrap_or(0);
        funcs.push(build_func(insns, start, end, idx));
    }
    funcs
}

fn build_func(insns: &[Insn], start: usize, end: usize, idx: usize) -> Func {
    let cnt = insns.len();
    let mut heads = vec![start];
    for (cur, insn) in insns.iter().enumerate().take(end + 1).skip(start) {
        if !is_jmp(insn.code) {
            continue;
        }
        let op = insn.op();
        if op == jmp::EXIT || op == jmp::CALL {
            continue;
        }
        // Targets outside the function cannot come from the verifier; skip them.
        if let Some(t) = target(cur, insn.off, cnt).filter(|t| (start..=end).contains(t)) {
            insert_sorted(&mut heads, t);
        }
        if op != jmp::JA && cur < end {
            insert_sorted(&mut heads, cur + 1);
        }
    }
    let mut blocks = Vec::with_capacity(heads.len() + FIXED_BLOCKS);
    blocks.push(Block {
        head: start,
        tail: start,
        idx: ENTRY_BLOCK,
        succs: vec![1],
    });
    for (k, &head) in heads.iter().enumerate() {
        let tail = heads.get(k + 1).map_or(end, |&next| next - 1);
        blocks.push(Block {
            head,
            tail,
            idx: FIXED_BLOCKS + k,
            succs: Vec::new(),
        });
    }
    blocks.push(Block {
        head: end,
        tail: end,
        idx: EXIT_BLOCK,
        succs: Vec::new(),
    });
    let exit_pos = blocks.len() - 1;
    for pos in 1..exit_pos {
        let tail = blocks[pos].tail;
        let insn = &insns[tail];
        let op = insn.op();
        let find = |head: usize| (1..exit_pos).find(|&p| blocks[p].head == head);
        let jump_dst = target(tail, insn.off, cnt).and_then(find);
        let succs = if !is_jmp(insn.code) || op == jmp::CALL || op == jmp::EXIT {
            vec![pos + 1]
        } else if op == jmp::JA {
            jump_dst.into_iter().collect()
        } else {
            std::iter::once(pos + 1).chain(jump_dst).collect()
        };
        blocks[pos].succs = succs;
    }
    Func { start, idx, blocks }
}

/// Writes `s` escaping what DOT record labels treat specially (bpftool's `dotlabel_puts`).
fn dotlabel_puts(w: &mut dyn Write, s: &[u8]) -> io::Result<()> {
    for &c in s {
        if matches!(c, b'\\' | b'"' | b'{' | b'}' | b'<' | b'>' | b'|' | b' ') {
            w.write_all(b"\\")?;
        }
        w.write_all(&[c])?;
    }
    Ok(())
}

/// bpftool's `shorten_path`: the tail of a long path from a `/` within its last 32 bytes.
/// Returns the byte offset where the shown part starts.
fn shorten_path(path: &[u8]) -> usize {
    const MAX_PATH_LEN: usize = 32;
    let len = path.len();
    if len <= MAX_PATH_LEN {
        return 0;
    }
    if let Some(p) = path[len - MAX_PATH_LEN..].iter().position(|&c| c == b'/') {
        let at = len - MAX_PATH_LEN + p;
        // Dropping fewer bytes than the "..." that replaces them is not worth it.
        return if at < 3 { 0 } else { at };
    }
    path.iter().rposition(|&c| c == b'/').unwrap_or(0)
}

/// bpftool's `print_insn_for_graph`: the text cut to its buffer, `\n` turned into a
/// left-aligned DOT line break, and record-label specials escaped.
fn write_graph_text(w: &mut dyn Write, text: &str) -> io::Result<()> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(b'\n');
    bytes.truncate(GRAPH_LINE_MAX);
    for c in bytes {
        match c {
            b'\n' => w.write_all(b"\\l\\\n")?,
            b'<' | b'>' | b'|' | b'&' => w.write_all(&[b'\\', c])?,
            _ => w.write_all(&[c])?,
        }
    }
    Ok(())
}

fn hex_bytes(w: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            w.write_all(b" ")?;
        }
        write!(w, "{b:02x}")?;
    }
    Ok(())
}

struct Graph<'a, 'b> {
    insns: &'a [Insn],
    bytes: &'a [u8],
    dd: &'a DumpData<'b>,
    opcodes: bool,
    linum: bool,
}

impl Graph<'_, '_> {
    fn slot_bytes(&self, i: usize) -> &[u8] {
        let at = i * INSN_SIZE;
        self.bytes.get(at..at + INSN_SIZE).unwrap_or_default()
    }

    /// bpftool's `dump_xlated_for_graph` over one block.
    fn block_text(&self, w: &mut dyn Write, func: &Func, b: &Block) -> io::Result<()> {
        let dd = self.dd;
        let mut record = 0usize;
        let mut last_linfo = None;
        let mut double = false;
        for cur in b.head..=b.tail {
            if double {
                double = false;
                continue;
            }
            let insn = &self.insns[cur];
            double = insn.code == LD_IMM64;
            let insn_off = u32::try_from(cur - func.start).unwrap_or(u32::MAX);
            if let Some(btf) = dd.btf {
                if dd.func_info.insn_off(record) == Some(insn_off) {
                    let s = dd
                        .func_info
                        .type_id(record)
                        .map(|t| sig::type_only(btf, t))
                        .unwrap_or_default();
                    if !s.is_empty() {
                        w.write_all(b"; ")?;
                        w.write_all(&s)?;
                        w.write_all(b":\\l\\\n")?;
                    }
                    record += 1;
                }
            }
            if let Some(linfo) = dd.linfo {
                if let Some((idx, li)) = linfo.lfind(insn_off, 0) {
                    if last_linfo != Some(idx) {
                        self.linfo_dotlabel(w, &li)?;
                        last_linfo = Some(idx);
                    }
                }
            }
            write!(w, "{insn_off}: ")?;
            let next = self.insns.get(cur + 1);
            let next = if double { next } else { None };
            let text = display_insn(insn, next, dd.cbs, true).to_string();
            write_graph_text(w, &text)?;
            if self.opcodes {
                w.write_all(b"\\ \\ \\ \\ ")?;
                hex_bytes(w, self.slot_bytes(cur))?;
                if double && cur < b.tail {
                    w.write_all(b" ")?;
                    hex_bytes(w, self.slot_bytes(cur + 1))?;
                }
                w.write_all(b"\\l\\\n")?;
            }
            if cur != b.tail {
                w.write_all(b"| ")?;
            }
        }
        Ok(())
    }

    /// bpftool's `btf_dump_linfo_dotlabel`.
    fn linfo_dotlabel(&self, w: &mut dyn Write, li: &super::linfo::LineInfo) -> io::Result<()> {
        let btf = self.dd.btf;
        let Some(line) = btf.and_then(|b| b.str_at(li.line_off)) else {
            return Ok(());
        };
        if line.is_empty() {
            return Ok(());
        }
        let start = line
            .iter()
            .position(|&c| !matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
            .unwrap_or(line.len());
        if self.linum {
            let file = btf.and_then(|b| b.str_at(li.file_name_off));
            w.write_all(b"; [")?;
            if let Some(f) = file {
                let cut = shorten_path(f);
                if cut > 0 {
                    w.write_all(b"...")?;
                }
                dotlabel_puts(w, &f[cut..])?;
            }
            writeln!(w, " line:{} col:{}]\\l\\", li.line_num(), li.line_col())?;
        }
        w.write_all(b"; ")?;
        dotlabel_puts(w, &line[start..])?;
        w.write_all(b"\\l\\\n")
    }
}

/// Writes the DOT graph of the program in `bytes` (bpftool's `dump_xlated_cfg`).
pub fn write_cfg(
    w: &mut dyn Write,
    bytes: &[u8],
    dd: &DumpData<'_>,
    opcodes: bool,
    linum: bool,
) -> io::Result<()> {
    let insns: Vec<Insn> = bytes
        .chunks_exact(INSN_SIZE)
        .filter_map(|c| c.try_into().ok().map(Insn::from_bytes))
        .collect();
    let funcs = build(&insns);
    if funcs.is_empty() {
        return Ok(());
    }
    let g = Graph {
        insns: &insns,
        bytes,
        dd,
        opcodes,
        linum,
    };
    w.write_all(b"digraph \"DOT graph for eBPF program\" {\n")?;
    for f in &funcs {
        write!(
            w,
            "subgraph \"cluster_{0}\" {{\n\tstyle=\"dashed\";\n\tcolor=\"black\";\n\tlabel=\"func_{0} ()\";\n",
            f.idx
        )?;
        for b in &f.blocks {
            let shape = if b.idx == ENTRY_BLOCK || b.idx == EXIT_BLOCK {
                "Mdiamond"
            } else {
                "record"
            };
            write!(
                w,
                "\tfn_{}_bb_{} [shape={shape},style=filled,label=\"",
                f.idx, b.idx
            )?;
            match b.idx {
                ENTRY_BLOCK => w.write_all(b"ENTRY")?,
                EXIT_BLOCK => w.write_all(b"EXIT")?,
                _ => {
                    w.write_all(b"{\\\n")?;
                    g.block_text(w, f, b)?;
                    w.write_all(b"}")?;
                }
            }
            w.write_all(b"\"];\n\n")?;
        }
        for b in &f.blocks {
            for &s in &b.succs {
                let dst = f.blocks.get(s).map_or(0, |d| d.idx);
                writeln!(
                    w,
                    "\tfn_{0}_bb_{1}:s -> fn_{0}_bb_{2}:n [style=\"solid,bold\", color=black, weight=10, constraint=true];",
                    f.idx, b.idx, dst
                )?;
            }
        }
        writeln!(
            w,
            "\tfn_{0}_bb_{ENTRY_BLOCK}:s -> fn_{0}_bb_{EXIT_BLOCK}:n [style=\"invis\", constraint=true];",
            f.idx
        )?;
        w.write_all(b"}\n")?;
    }
    w.write_all(b"}\n")
}
