//! `gen min_core_btf`: the part of a kernel's BTF that a set of CO-RE objects needs (BTFGen).
//!
//! Like bpftool: every CO-RE relocation of every object is resolved against the source BTF
//! with libbpf's rules ([`core`]), the target types (and, for field relocations, only the
//! members used) are marked, and a new BTF is built from the marked types in id order,
//! struct/union members filtered, references renumbered (references to unmarked types
//! become void). The result is written as raw BTF with the newest libbpf's 32-byte header.

pub mod core;

use std::collections::{HashMap, HashSet};

use crate::btf::{Btf, BtfExt, Kind, Type};

use self::core::{kind, CoreError, Relo, Spec};

/// How deep type marking may recurse (bpftool has no limit).
const MAX_MARK_DEPTH: usize = 1024;
/// `BTF_MAGIC`.
const BTF_MAGIC: u16 = 0xeb9f;
/// The header the newest libbpf writes for BTF it creates (`sizeof(struct btf_header)`).
const HDR_LEN: u32 = 32;

/// Why no minimized BTF could be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenError {
    /// bpftool's message.
    #[error("{0}")]
    Msg(String),
}

fn msg(s: impl Into<String>) -> GenError {
    GenError::Msg(s.into())
}

/// The types and members marked as needed (bpftool marks a clone of the source BTF).
#[derive(Default)]
struct Marks {
    types: HashSet<u32>,
    members: HashSet<(u32, u32)>,
}

/// A BPF object's BTF and CO-RE relocations, as `btf__parse(path, &btf_ext)` reads them.
pub struct CoreObject {
    btf: Btf,
    ext: Option<BtfExt>,
}

impl CoreObject {
    /// Reads the `.BTF` and `.BTF.ext` sections of an ELF object.
    pub fn parse(elf: &[u8]) -> Result<CoreObject, crate::btf::BtfError> {
        let btf = Btf::from_elf(elf)?;
        let ext = Btf::ext_from_elf(elf)?;
        Ok(CoreObject { btf, ext })
    }
}

/// Builds the minimized BTF of `src` for `objs` (name, object) and returns its raw bytes.
pub fn minimize(src: &Btf, objs: &[(String, CoreObject)]) -> Result<Vec<u8>, GenError> {
    let mut marks = Marks::default();
    let index = core::CandIndex::new(src);
    for (path, obj) in objs {
        record_obj(src, &index, &mut marks, obj)
            .map_err(|e| msg(format!("error recording relocations for {path}: {e}")))?;
    }
    build(src, &marks).map_err(|e| msg(format!("error generating BTF: {e}")))
}

/// bpftool's `btfgen_record_obj`.
fn record_obj(
    src: &Btf,
    index: &core::CandIndex,
    marks: &mut Marks,
    obj: &CoreObject,
) -> Result<(), String> {
    let Some(ext) = &obj.ext else {
        return Err("section .BTF.ext not found".into());
    };
    let local = &obj.btf;
    // Candidates per local type id, narrowed by each relocation as libbpf narrows them.
    let mut cache: HashMap<u32, Vec<u32>> = HashMap::new();
    for sec in ext.core_relo() {
        for (idx, r) in sec.records().enumerate() {
            let relo = Relo {
                insn_off: r.insn_off,
                type_id: r.type_id,
                access_str_off: r.access_str_off,
                kind: r.kind,
            };
            let sec_name = String::from_utf8_lossy(sec.name(local).unwrap_or(b"?")).into_owned();
            let err = |e: CoreError| format!("prog '{sec_name}': relo #{idx}: {e}");
            let spec = if relo.kind == kind::TYPE_ID_LOCAL {
                let mut none = Vec::new();
                core::calc_relo_insn(local, src, &relo, &mut none).map_err(err)?
            } else {
                let cands = match cache.entry(relo.type_id) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(index.find(local, relo.type_id, src).map_err(err)?)
                    }
                };
                core::calc_relo_insn(local, src, &relo, cands).map_err(err)?
            };
            record_reloc(src, marks, &spec)?;
        }
    }
    Ok(())
}

/// bpftool's `btfgen_record_reloc`.
fn record_reloc(src: &Btf, marks: &mut Marks, spec: &Spec) -> Result<(), String> {
    match spec.relo_kind {
        k if kind::is_field(k) => record_field(src, marks, spec),
        kind::TYPE_ID_LOCAL => Ok(()),
        kind::TYPE_ID_TARGET | kind::TYPE_EXISTS | kind::TYPE_SIZE => {
            mark_type(src, marks, spec.root_type_id, true, 0)
        }
        kind::TYPE_MATCHES => mark_type_match(src, marks, spec.root_type_id, false, 0),
        kind::ENUMVAL_EXISTS | kind::ENUMVAL_VALUE => {
            mark_type(src, marks, spec.root_type_id, false, 0)
        }
        k => Err(format!("unknown relocation kind {k}")),
    }
}

fn ty(src: &Btf, id: u32) -> Result<Type<'_>, String> {
    src.type_by_id(id)
        .ok_or_else(|| format!("invalid type id {id}"))
}

fn unsupported(t: &Type<'_>, id: u32) -> String {
    format!("unsupported kind: {} ({id})", t.kind())
}

/// bpftool's `btfgen_mark_type`.
fn mark_type(
    src: &Btf,
    marks: &mut Marks,
    id: u32,
    follow_ptrs: bool,
    depth: usize,
) -> Result<(), String> {
    if id == 0 {
        return Ok(());
    }
    if depth > MAX_MARK_DEPTH {
        return Err(format!("type [{id}] nested too deeply"));
    }
    let t = ty(src, id)?;
    marks.types.insert(id);
    let d = depth + 1;
    match t.kind() {
        Kind::Unknown
        | Kind::Int
        | Kind::Float
        | Kind::Enum
        | Kind::Enum64
        | Kind::Struct
        | Kind::Union => {}
        Kind::Ptr => {
            if follow_ptrs {
                mark_type(src, marks, t.size_or_type(), follow_ptrs, d)?;
            }
        }
        Kind::Const | Kind::Restrict | Kind::Volatile | Kind::Typedef => {
            mark_type(src, marks, t.size_or_type(), follow_ptrs, d)?;
        }
        Kind::Array => {
            let a = t.array().ok_or_else(|| unsupported(&t, id))?;
            mark_type(src, marks, a.elem_type, follow_ptrs, d)?;
            mark_type(src, marks, a.index_type, follow_ptrs, d)?;
        }
        Kind::FuncProto => {
            mark_type(src, marks, t.size_or_type(), follow_ptrs, d)?;
            for p in t.params() {
                mark_type(src, marks, p.type_id, follow_ptrs, d)?;
            }
        }
        _ => return Err(unsupported(&t, id)),
    }
    Ok(())
}

/// bpftool's `btfgen_record_field_relo`: the root type, and along the access path each
/// member used and its type.
fn record_field(src: &Btf, marks: &mut Marks, spec: &Spec) -> Result<(), String> {
    let mut id = spec.root_type_id;
    mark_type(src, marks, id, false, 0)?;
    let mut t = ty(src, id)?;
    for &idx in spec.raw_spec.iter().skip(1) {
        let mut steps = 0;
        while t.kind().is_modifier() || t.kind() == Kind::Typedef {
            steps += 1;
            if steps > MAX_MARK_DEPTH {
                return Err(format!("type [{id}] nested too deeply"));
            }
            id = t.size_or_type();
            t = ty(src, id)?;
        }
        match t.kind() {
            Kind::Struct | Kind::Union => {
                let m = t
                    .members()
                    .nth(idx as usize)
                    .ok_or_else(|| format!("member {idx} of [{id}] out of range"))?;
                marks.members.insert((id, idx));
                id = m.type_id;
                t = ty(src, id)?;
                mark_type(src, marks, id, false, 0)?;
            }
            Kind::Array => {
                id = t.array().map_or(0, |a| a.elem_type);
                t = ty(src, id)?;
            }
            _ => {
                return Err(format!(
                    "unsupported kind: {} ({})",
                    t.kind(),
                    t.size_or_type()
                ))
            }
        }
    }
    Ok(())
}

/// bpftool's `btfgen_mark_type_match`: the type and, unless reached through a pointer,
/// all its members, recursively.
fn mark_type_match(
    src: &Btf,
    marks: &mut Marks,
    id: u32,
    behind_ptr: bool,
    depth: usize,
) -> Result<(), String> {
    if id == 0 {
        return Ok(());
    }
    if depth > MAX_MARK_DEPTH {
        return Err(format!("type [{id}] nested too deeply"));
    }
    let t = ty(src, id)?;
    marks.types.insert(id);
    let d = depth + 1;
    match t.kind() {
        Kind::Unknown | Kind::Int | Kind::Float | Kind::Enum | Kind::Enum64 => {}
        Kind::Struct | Kind::Union => {
            if !behind_ptr {
                for (i, m) in t.members().enumerate() {
                    marks.members.insert((id, i as u32));
                    mark_type_match(src, marks, m.type_id, false, d)?;
                }
            }
        }
        Kind::Const | Kind::Fwd | Kind::Restrict | Kind::Typedef | Kind::Volatile => {
            mark_type_match(src, marks, t.size_or_type(), behind_ptr, d)?;
        }
        Kind::Ptr => mark_type_match(src, marks, t.size_or_type(), true, d)?,
        Kind::Array => {
            let a = t.array().ok_or_else(|| unsupported(&t, id))?;
            mark_type_match(src, marks, a.elem_type, false, d)?;
            mark_type_match(src, marks, a.index_type, false, d)?;
        }
        Kind::FuncProto => {
            mark_type_match(src, marks, t.size_or_type(), false, d)?;
            for p in t.params() {
                mark_type_match(src, marks, p.type_id, false, d)?;
            }
        }
        _ => return Err(unsupported(&t, id)),
    }
    Ok(())
}

/// A BTF being built, as libbpf's `btf__new_empty` + `btf__add_*` build one.
struct Builder<'s> {
    src: &'s Btf,
    /// Each new type as native words; type ids still the source's until renumbered.
    types: Vec<(Kind, Vec<u32>)>,
    strs: Vec<u8>,
    str_offs: HashMap<Vec<u8>, u32>,
}

impl<'s> Builder<'s> {
    fn new(src: &'s Btf) -> Self {
        let mut str_offs = HashMap::new();
        str_offs.insert(Vec::new(), 0);
        Builder {
            src,
            types: Vec::new(),
            strs: vec![0],
            str_offs,
        }
    }

    /// libbpf's `btf__add_str`: the offset of `s`, added once.
    fn add_str(&mut self, s: &[u8]) -> u32 {
        if let Some(&off) = self.str_offs.get(s) {
            return off;
        }
        let off = self.strs.len() as u32;
        self.strs.extend_from_slice(s);
        self.strs.push(0);
        self.str_offs.insert(s.to_vec(), off);
        off
    }

    fn src_str(&self, off: u32) -> &'s [u8] {
        self.src.str_at(off).unwrap_or(b"")
    }

    /// Copies a source type (libbpf's `btf__add_type`): strings re-added, ids kept.
    fn add_type(&mut self, t: &Type<'_>) {
        let raw = t.raw();
        let endian = t.endianness();
        let mut words: Vec<u32> = raw
            .chunks_exact(4)
            .map(|c| endian.u32([c[0], c[1], c[2], c[3]]))
            .collect();
        for pos in str_fields(t.kind(), t.vlen() as usize) {
            if let Some(w) = words.get(pos).copied() {
                if w != 0 {
                    let s = self.src_str(w);
                    let off = self.add_str(s);
                    words[pos] = off;
                }
            }
        }
        self.types.push((t.kind(), words));
    }

    /// `btf__add_struct`/`btf__add_union` and `btf__add_field` for the marked members.
    fn add_composite(&mut self, t: &Type<'_>, id: u32, marks: &Marks) -> Result<(), String> {
        let name = self.src_str(t.name_off());
        let name_off = if name.is_empty() {
            0
        } else {
            self.add_str(name)
        };
        let kind_raw = u32::from(t.kind_raw());
        let mut words = vec![name_off, kind_raw << 24, t.size_or_type()];
        let mut vlen = 0u32;
        let mut kflag = false;
        for (i, m) in t.members().enumerate() {
            if !marks.members.contains(&(id, i as u32)) {
                continue;
            }
            let (bit_off, bit_sz) = (m.bit_offset, m.bitfield_size);
            let is_bitfield = bit_sz != 0 || bit_off % 8 != 0;
            if is_bitfield && (bit_sz == 0 || bit_sz > 255 || bit_off > 0xff_ffff) {
                return Err(format!(
                    "member #{i} of [{id}]: invalid bit offset {bit_off}"
                ));
            }
            if t.kind() == Kind::Union && bit_off != 0 {
                return Err(format!("member #{i} of union [{id}] at offset {bit_off}"));
            }
            let mname = self.src_str(m.name_off);
            let moff = if mname.is_empty() {
                0
            } else {
                self.add_str(mname)
            };
            words.extend_from_slice(&[moff, m.type_id, bit_off | (bit_sz << 24)]);
            vlen += 1;
            kflag |= is_bitfield;
        }
        words[1] = (u32::from(kflag) << 31) | (kind_raw << 24) | vlen;
        self.types.push((t.kind(), words));
        Ok(())
    }

    /// Renumbers references (unmarked targets become void) and writes raw BTF.
    fn finish(mut self, ids: &HashMap<u32, u32>) -> Vec<u8> {
        let mut type_bytes = Vec::new();
        for (k, words) in &mut self.types {
            let vlen = (words.get(1).copied().unwrap_or(0) & 0x00ff_ffff) as usize;
            for pos in id_fields(*k, vlen) {
                if let Some(w) = words.get_mut(pos) {
                    *w = ids.get(w).copied().unwrap_or(0);
                }
            }
            for w in words.iter() {
                type_bytes.extend_from_slice(&w.to_le_bytes());
            }
        }
        let type_len = type_bytes.len() as u32;
        let mut out = Vec::with_capacity(HDR_LEN as usize + type_bytes.len() + self.strs.len());
        out.extend_from_slice(&BTF_MAGIC.to_le_bytes());
        out.push(1); // version
        out.push(0); // flags
        for w in [HDR_LEN, 0, type_len, type_len, self.strs.len() as u32, 0, 0] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out.extend_from_slice(&type_bytes);
        out.extend_from_slice(&self.strs);
        out
    }
}

/// Word positions of string offsets in a type record (libbpf's `BTF_FIELD_ITER_STRS`).
fn str_fields(k: Kind, vlen: usize) -> Vec<usize> {
    let mut v = vec![0];
    match k {
        Kind::Struct | Kind::Union => v.extend((0..vlen).map(|i| 3 + 3 * i)),
        Kind::Enum | Kind::FuncProto => v.extend((0..vlen).map(|i| 3 + 2 * i)),
        Kind::Enum64 => v.extend((0..vlen).map(|i| 3 + 3 * i)),
        _ => {}
    }
    v
}

/// Word positions of type ids in a type record (libbpf's `BTF_FIELD_ITER_IDS`).
fn id_fields(k: Kind, vlen: usize) -> Vec<usize> {
    match k {
        Kind::Ptr
        | Kind::Typedef
        | Kind::Volatile
        | Kind::Const
        | Kind::Restrict
        | Kind::Func
        | Kind::Var
        | Kind::DeclTag
        | Kind::TypeTag => vec![2],
        Kind::Array => vec![3, 4],
        Kind::Struct | Kind::Union => (0..vlen).map(|i| 3 + 3 * i + 1).collect(),
        Kind::FuncProto => std::iter::once(2)
            .chain((0..vlen).map(|i| 3 + 2 * i + 1))
            .collect(),
        Kind::Datasec => (0..vlen).map(|i| 3 + 3 * i).collect(),
        _ => Vec::new(),
    }
}

/// bpftool's `btfgen_get_btf`: the marked types, in id order, renumbered from 1.
fn build(src: &Btf, marks: &Marks) -> Result<Vec<u8>, String> {
    let mut b = Builder::new(src);
    let mut ids = HashMap::new();
    let mut next = 1u32;
    for t in src.types() {
        let id = t.id();
        if !marks.types.contains(&id) {
            continue;
        }
        if matches!(t.kind(), Kind::Struct | Kind::Union) {
            b.add_composite(&t, id, marks)?;
        } else {
            b.add_type(&t);
        }
        ids.insert(id, next);
        next += 1;
    }
    Ok(b.finish(&ids))
}
