//! C declarations of BTF types, as libbpf's `btf_dump__emit_type_decl` writes them for
//! bpftool's skeletons: `int x`, `const char *name`, `struct { ... } inner`, `void (*f)(int)`.
//!
//! This is the declaration half of libbpf's `btf_dump.c` (type chains, inline anonymous
//! structs/unions/enums with their padding, name de-duplication): skeletons never need full
//! type definitions, only declarations of variables and members. Name de-duplication state
//! (`foo___2`) lives in the [`DeclWriter`] and carries over from one declaration to the next,
//! as in one `btf_dump` object. Unlike libbpf, chains and nesting are bounded, so reference
//! loops in hostile BTF end in an error rather than a hang.

use std::collections::HashMap;

use crate::btf::{Btf, Kind, Type};

use super::open::align_of;

/// Longest type chain or deepest nesting followed.
const MAX_DEPTH: usize = 256;
/// Widest padding gap written, in bits; real gaps are at most a page.
const MAX_PADDING_BITS: i64 = 1 << 24;
/// Most bytes one declaration may produce (nested anonymous types can multiply).
const MAX_OUTPUT: usize = 64 << 20;

/// Why a declaration could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclError {
    /// A type id past the end of the BTF.
    #[error("invalid type id {0}")]
    BadId(u32),
    /// Types nested or chained deeper than C output can sensibly express (a loop).
    #[error("type [{0}] nested too deeply")]
    TooDeep(u32),
    /// A declaration that would be absurdly large.
    #[error("type [{0}] too large to write as C")]
    TooLarge(u32),
}

/// libbpf's `btf_dump` for declarations: writes into a byte buffer.
pub struct DeclWriter<'b> {
    btf: &'b Btf,
    ptr_sz: i64,
    type_names: HashMap<Vec<u8>, usize>,
    ident_names: HashMap<Vec<u8>, usize>,
    /// Names decided so far: `Some(renamed)` or `None` for the original name.
    resolved: HashMap<u32, Option<Vec<u8>>>,
    strip_mods: bool,
    depth: usize,
}

/// libbpf's `pfx(lvl)`: up to 13 tabs.
fn pfx(out: &mut Vec<u8>, lvl: usize) {
    out.extend(std::iter::repeat_n(b'\t', lvl.min(13)));
}

impl<'b> DeclWriter<'b> {
    /// A writer for `btf` (pointer size from the BTF, else 8).
    pub fn new(btf: &'b Btf) -> Self {
        DeclWriter {
            btf,
            ptr_sz: i64::from(btf.pointer_size().unwrap_or(8)),
            type_names: HashMap::new(),
            ident_names: HashMap::new(),
            resolved: HashMap::new(),
            strip_mods: false,
            depth: 0,
        }
    }

    /// `btf_dump__emit_type_decl(d, id, {field_name, indent_level, strip_mods})`.
    pub fn emit_type_decl(
        &mut self,
        out: &mut Vec<u8>,
        id: u32,
        fname: &[u8],
        lvl: usize,
        strip_mods: bool,
    ) -> Result<(), DeclError> {
        self.strip_mods = strip_mods;
        self.depth = 0;
        let r = self.decl(out, id, fname, lvl);
        self.strip_mods = false;
        r
    }

    fn ty(&self, id: u32) -> Result<Type<'b>, DeclError> {
        self.btf.type_by_id(id).ok_or(DeclError::BadId(id))
    }

    fn name_of(&self, off: u32) -> &'b [u8] {
        self.btf.str_at(off).unwrap_or(b"")
    }

    fn enter(&mut self, id: u32, out: &[u8]) -> Result<(), DeclError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(DeclError::TooDeep(id));
        }
        if out.len() > MAX_OUTPUT {
            return Err(DeclError::TooLarge(id));
        }
        Ok(())
    }

    /// libbpf's `btf_dump_emit_type_decl`.
    fn decl(
        &mut self,
        out: &mut Vec<u8>,
        id: u32,
        fname: &[u8],
        lvl: usize,
    ) -> Result<(), DeclError> {
        self.enter(id, out)?;
        let mut stack = Vec::new();
        let mut id = id;
        loop {
            if stack.len() > MAX_DEPTH {
                return Err(DeclError::TooDeep(id));
            }
            let t = self.ty(id)?;
            if !(self.strip_mods && t.kind().is_modifier()) {
                stack.push(id);
            }
            if id == 0 {
                break;
            }
            match t.kind() {
                Kind::Ptr
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::FuncProto
                | Kind::TypeTag => id = t.size_or_type(),
                Kind::Array => id = t.array().map_or(0, |a| a.elem_type),
                _ => break,
            }
        }
        self.chain(out, &mut stack, fname, lvl)?;
        self.depth -= 1;
        Ok(())
    }

    /// libbpf's `btf_dump_emit_mods`.
    fn emit_mods(&self, out: &mut Vec<u8>, stack: &mut Vec<u32>) -> Result<(), DeclError> {
        while let Some(&id) = stack.last() {
            let word: &[u8] = match self.ty(id)?.kind() {
                Kind::Volatile => b"volatile ",
                Kind::Const => b"const ",
                Kind::Restrict => b"restrict ",
                _ => return Ok(()),
            };
            out.extend_from_slice(word);
            stack.pop();
        }
        Ok(())
    }

    /// libbpf's `btf_dump_drop_mods`.
    fn drop_mods(&self, stack: &mut Vec<u32>) -> Result<(), DeclError> {
        while let Some(&id) = stack.last() {
            if !self.ty(id)?.kind().is_modifier() {
                return Ok(());
            }
            stack.pop();
        }
        Ok(())
    }

    fn emit_name(out: &mut Vec<u8>, name: &[u8], last_was_ptr: bool) {
        if !name.is_empty() && !last_was_ptr {
            out.push(b' ');
        }
        out.extend_from_slice(name);
    }

    /// libbpf's `btf_dump_emit_type_chain`.
    fn chain(
        &mut self,
        out: &mut Vec<u8>,
        stack: &mut Vec<u32>,
        fname: &[u8],
        lvl: usize,
    ) -> Result<(), DeclError> {
        let mut last_was_ptr = true;
        while let Some(id) = stack.pop() {
            if id == 0 {
                self.emit_mods(out, stack)?;
                out.extend_from_slice(b"void");
                last_was_ptr = false;
                continue;
            }
            let t = self.ty(id)?;
            let kind = t.kind();
            match kind {
                Kind::Int | Kind::Float => {
                    self.emit_mods(out, stack)?;
                    out.extend_from_slice(self.name_of(t.name_off()));
                }
                Kind::Struct | Kind::Union => {
                    self.emit_mods(out, stack)?;
                    if t.name_off() == 0 {
                        self.struct_def(out, id, &t, lvl)?;
                    } else {
                        self.struct_fwd(out, id, &t);
                    }
                }
                Kind::Enum | Kind::Enum64 => {
                    self.emit_mods(out, stack)?;
                    if t.name_off() == 0 {
                        self.enum_def(out, id, &t, lvl);
                    } else {
                        out.extend_from_slice(b"enum ");
                        let name = self.resolve_name(id, true);
                        out.extend_from_slice(&name);
                    }
                }
                Kind::Fwd => {
                    self.emit_mods(out, stack)?;
                    out.extend_from_slice(if t.kflag() { b"union " } else { b"struct " });
                    let name = self.resolve_name(id, true);
                    out.extend_from_slice(&name);
                }
                Kind::Typedef => {
                    self.emit_mods(out, stack)?;
                    let name = self.resolve_name(id, false);
                    out.extend_from_slice(&name);
                }
                Kind::Ptr => out.extend_from_slice(if last_was_ptr { b"*" } else { b" *" }),
                Kind::Volatile => out.extend_from_slice(b" volatile"),
                Kind::Const => out.extend_from_slice(b" const"),
                Kind::Restrict => out.extend_from_slice(b" restrict"),
                Kind::TypeTag => {
                    self.emit_mods(out, stack)?;
                    let name = self.name_of(t.name_off());
                    if t.kflag() {
                        out.extend_from_slice(b" __attribute__((");
                        out.extend_from_slice(name);
                        out.extend_from_slice(b"))");
                    } else {
                        out.extend_from_slice(b" __attribute__((btf_type_tag(\"");
                        out.extend_from_slice(name);
                        out.extend_from_slice(b"\")))");
                    }
                }
                Kind::Array => {
                    let nelems = t.array().map_or(0, |a| a.nelems);
                    self.drop_mods(stack)?;
                    let Some(&next) = stack.last() else {
                        Self::emit_name(out, fname, last_was_ptr);
                        out.extend_from_slice(format!("[{nelems}]").as_bytes());
                        return Ok(());
                    };
                    let multidim = self.ty(next)?.kind() == Kind::Array;
                    if !fname.is_empty() && !last_was_ptr {
                        out.push(b' ');
                    }
                    if !multidim {
                        out.push(b'(');
                    }
                    self.enter(id, out)?;
                    self.chain(out, stack, fname, lvl)?;
                    self.depth -= 1;
                    if !multidim {
                        out.push(b')');
                    }
                    out.extend_from_slice(format!("[{nelems}]").as_bytes());
                    return Ok(());
                }
                Kind::FuncProto => {
                    self.drop_mods(stack)?;
                    if stack.is_empty() {
                        Self::emit_name(out, fname, last_was_ptr);
                    } else {
                        out.extend_from_slice(b" (");
                        self.enter(id, out)?;
                        self.chain(out, stack, fname, lvl)?;
                        self.depth -= 1;
                        out.push(b')');
                    }
                    out.push(b'(');
                    let vlen = t.vlen() as usize;
                    let first_void = t.params().next().is_some_and(|p| p.type_id == 0);
                    if vlen == 0 || (vlen == 1 && first_void) {
                        out.extend_from_slice(b"void)");
                        return Ok(());
                    }
                    for (i, p) in t.params().enumerate() {
                        if i > 0 {
                            out.extend_from_slice(b", ");
                        }
                        if i == vlen - 1 && p.type_id == 0 {
                            out.extend_from_slice(b"...");
                            break;
                        }
                        let name = self.name_of(p.name_off);
                        self.decl(out, p.type_id, name, lvl)?;
                    }
                    out.push(b')');
                    return Ok(());
                }
                // libbpf warns about a kind that cannot be in a chain and stops.
                _ => return Ok(()),
            }
            last_was_ptr = kind == Kind::Ptr;
        }
        Self::emit_name(out, fname, last_was_ptr);
        Ok(())
    }

    /// libbpf's `btf_dump_resolve_name` in the tag (`tags`) or identifier namespace.
    fn resolve_name(&mut self, id: u32, tags: bool) -> Vec<u8> {
        let Some(t) = self.btf.type_by_id(id) else {
            return Vec::new();
        };
        if t.name_off() == 0 {
            return Vec::new();
        }
        let orig = self.name_of(t.name_off()).to_vec();
        if let Some(cached) = self.resolved.get(&id) {
            return cached.clone().unwrap_or(orig);
        }
        if t.kind() == Kind::Fwd || (t.kind() == Kind::Enum && t.vlen() == 0) {
            self.resolved.insert(id, None);
            return orig;
        }
        let dups = self.name_dups(tags, &orig);
        let renamed = (dups > 1).then(|| {
            let mut n = orig.clone();
            n.extend_from_slice(format!("___{dups}").as_bytes());
            // libbpf formats into a 256-byte buffer.
            n.truncate(255);
            n
        });
        self.resolved.insert(id, renamed.clone());
        renamed.unwrap_or(orig)
    }

    /// libbpf's `btf_dump_name_dups`: one more use of `name`, and the count so far.
    fn name_dups(&mut self, tags: bool, name: &[u8]) -> usize {
        let map = if tags {
            &mut self.type_names
        } else {
            &mut self.ident_names
        };
        let count = map.entry(name.to_vec()).or_insert(0);
        *count += 1;
        *count
    }

    fn struct_fwd(&mut self, out: &mut Vec<u8>, id: u32, t: &Type<'_>) {
        out.extend_from_slice(if t.kind() == Kind::Struct {
            b"struct"
        } else {
            b"union"
        });
        if t.name_off() != 0 {
            out.push(b' ');
        }
        let name = self.resolve_name(id, true);
        out.extend_from_slice(&name);
    }

    /// libbpf's `btf_is_struct_packed`.
    fn is_packed(&self, t: &Type<'_>) -> bool {
        let mut max_align = 1i64;
        for m in t.members() {
            let align = align_of(self.btf, m.type_id);
            if align != 0 && m.bitfield_size == 0 && i64::from(m.bit_offset) % (8 * align) != 0 {
                return true;
            }
            max_align = max_align.max(align);
        }
        i64::from(t.size_or_type()) % max_align != 0
    }

    /// libbpf's `btf_dump_emit_struct_def` for an inline anonymous struct or union.
    fn struct_def(
        &mut self,
        out: &mut Vec<u8>,
        id: u32,
        t: &Type<'_>,
        lvl: usize,
    ) -> Result<(), DeclError> {
        self.enter(id, out)?;
        let is_struct = t.kind() == Kind::Struct;
        let align = align_of(self.btf, id);
        let packed = is_struct && self.is_packed(t);
        self.struct_fwd(out, id, t);
        out.extend_from_slice(b" {");
        let mut off = 0i64;
        let mut prev_bitfield = false;
        for m in t.members() {
            let fname = self.name_of(m.name_off);
            let m_sz = i64::from(m.bitfield_size);
            let m_off = i64::from(m.bit_offset);
            let m_align = if packed {
                1
            } else {
                align_of(self.btf, m.type_id)
            };
            let in_bitfield = prev_bitfield && m_sz != 0;
            self.bit_padding(out, id, off, m_off, m_align, in_bitfield, lvl + 1)?;
            out.push(b'\n');
            pfx(out, lvl + 1);
            self.decl(out, m.type_id, fname, lvl + 1)?;
            if m_sz != 0 {
                out.extend_from_slice(format!(": {m_sz}").as_bytes());
                off = m_off + m_sz;
                prev_bitfield = true;
            } else {
                let sz = self.btf.resolve_size(m.type_id).map_or(0, i64::from);
                off = m_off + sz * 8;
                prev_bitfield = false;
            }
            out.push(b';');
        }
        if is_struct {
            let end = i64::from(t.size_or_type()) * 8;
            self.bit_padding(out, id, off, end, align, false, lvl + 1)?;
        }
        if t.vlen() != 0 || t.size_or_type() != 0 {
            out.push(b'\n');
            pfx(out, lvl);
        }
        out.push(b'}');
        if packed {
            out.extend_from_slice(b" __attribute__((packed))");
        }
        self.depth -= 1;
        Ok(())
    }

    /// libbpf's `btf_dump_emit_bit_padding`.
    #[expect(
        clippy::too_many_arguments,
        reason = "libbpf's signature: offsets, alignment, state, level"
    )]
    fn bit_padding(
        &self,
        out: &mut Vec<u8>,
        id: u32,
        cur: i64,
        next: i64,
        next_align: i64,
        in_bitfield: bool,
        lvl: usize,
    ) -> Result<(), DeclError> {
        const PADS: [(&str, i64); 4] = [("long", 0), ("int", 32), ("short", 16), ("char", 8)];
        let bits_of = |i: usize| if i == 0 { self.ptr_sz * 8 } else { PADS[i].1 };
        let roundup = |x: i64, y: i64| if y > 0 { (x + y - 1) / y * y } else { x };
        if cur >= next {
            return Ok(());
        }
        if next - cur > MAX_PADDING_BITS {
            return Err(DeclError::TooLarge(id));
        }
        let mut cur = cur;
        let mut pad_bits = 0;
        let mut pad_type = "";
        let mut new_off = 0;
        for (i, (name, _)) in PADS.iter().enumerate() {
            pad_bits = bits_of(i);
            pad_type = name;
            new_off = roundup(cur, pad_bits);
            if new_off <= next {
                break;
            }
        }
        if new_off > cur && new_off <= next {
            if in_bitfield
                || (new_off == next && roundup(cur, next_align * 8) != new_off)
                || (new_off != next && next - new_off <= new_off - cur)
            {
                out.push(b'\n');
                pfx(out, lvl);
                let n = if in_bitfield { new_off - cur } else { 0 };
                out.extend_from_slice(format!("{pad_type}: {n};").as_bytes());
            }
            cur = new_off;
        }
        while cur != next {
            let bits = (next - cur).min(pad_bits);
            if bits == pad_bits {
                out.push(b'\n');
                pfx(out, lvl);
                out.extend_from_slice(format!("{pad_type}: {pad_bits};").as_bytes());
                cur += bits;
                continue;
            }
            let mut advanced = false;
            for i in (0..PADS.len()).rev() {
                let b = bits_of(i);
                if b < bits {
                    continue;
                }
                out.push(b'\n');
                pfx(out, lvl);
                out.extend_from_slice(format!("{}: {bits};", PADS[i].0).as_bytes());
                cur += bits;
                advanced = true;
                break;
            }
            if !advanced {
                // Only reachable with a nonsensical pointer size; libbpf would spin.
                return Err(DeclError::TooLarge(id));
            }
        }
        Ok(())
    }

    /// libbpf's `btf_dump_emit_enum_def` for an inline anonymous enum.
    fn enum_def(&mut self, out: &mut Vec<u8>, id: u32, t: &Type<'_>, lvl: usize) {
        out.extend_from_slice(b"enum");
        if t.name_off() != 0 {
            out.push(b' ');
            let name = self.resolve_name(id, true);
            out.extend_from_slice(&name);
        }
        let vlen = t.vlen();
        if vlen == 0 {
            return;
        }
        out.extend_from_slice(b" {");
        let is_signed = t.kflag();
        for v in t.enum_values() {
            let name = self.name_of(v.name_off);
            let dups = self.name_dups(false, name);
            out.push(b'\n');
            pfx(out, lvl + 1);
            out.extend_from_slice(name);
            if dups > 1 {
                out.extend_from_slice(format!("___{dups}").as_bytes());
            }
            let value = match (v.is_64, is_signed) {
                (false, true) => format!(" = {},", v.lo32 as i32),
                (false, false) => format!(" = {},", v.lo32),
                (true, true) => format!(" = {}LL,", v.value_i64()),
                (true, false) => format!(" = {}ULL,", v.value_u64()),
            };
            out.extend_from_slice(value.as_bytes());
        }
        out.push(b'\n');
        pfx(out, lvl);
        out.push(b'}');
        let size = t.size_or_type();
        if size == 1 {
            out.extend_from_slice(b" __attribute__((mode(byte)))");
        } else if size == 8 && self.ptr_sz == 8 {
            let needs_word_mode = t.kind() == Kind::Enum || t.enum_values().all(|v| v.hi32 == 0);
            if needs_word_mode {
                out.extend_from_slice(b" __attribute__((mode(word)))");
            }
        }
    }
}
