//! [`Object::open`]: libbpf's `bpf_object_open` steps — `elf_collect`, `collect_externs`,
//! `fixup_btf`, `init_maps`, `init_progs`, `collect_relos` — over our ELF and BTF readers.

use crate::btf::{Btf, Kind, Type, LINKAGE_GLOBAL};

use super::elf::{
    Elf, Section, SHF_EXECINSTR, SHT_LLVM_ADDRSIG, SHT_NOBITS, SHT_PROGBITS, SHT_REL, SHT_STRTAB,
    SHT_SYMTAB, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_NOTYPE,
};
use super::error::{OpenError, OpenErrorKind as K};
use super::fixup;
use super::{
    relo, secdef, ExternKind, KcfgType, Map, MapKind, Object, Program, F_LINK, F_MMAPABLE,
    F_RDONLY_PROG, MAP_TYPE_ARENA, MAP_TYPE_ARRAY, MAP_TYPE_STRUCT_OPS,
};

/// `BPF_OBJ_NAME_LEN`.
const OBJ_NAME_LEN: usize = 16;
/// `BPF_MAP_TYPE_RINGBUF`.
const MAP_TYPE_RINGBUF: u32 = 27;
/// `BPF_MAP_TYPE_USER_RINGBUF`.
const MAP_TYPE_USER_RINGBUF: u32 = 31;
/// `BPF_MAP_TYPE_ARRAY_OF_MAPS`.
pub(crate) const MAP_TYPE_ARRAY_OF_MAPS: u32 = 12;
/// `BPF_MAP_TYPE_HASH_OF_MAPS`.
pub(crate) const MAP_TYPE_HASH_OF_MAPS: u32 = 13;
/// How many typedefs and modifiers libbpf's `skip_mods_and_typedefs` may follow here (it
/// has no limit and loops forever on a cycle).
const MAX_MODS: usize = 32;

/// What libbpf's `elf_collect` decided about a section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecType {
    None,
    Data,
    Rodata,
    Bss,
    StructOps,
    Relo,
}

/// State shared by the opening steps (libbpf's `struct bpf_object` while opening).
pub(crate) struct Opening<'a, 'e> {
    pub elf: &'e Elf<'a>,
    pub sec_types: Vec<SecType>,
    pub text_shndx: usize,
    pub btf_maps_shndx: Option<usize>,
    pub arena_shndx: Option<usize>,
    pub jumptables_shndx: Option<usize>,
    /// All programs, subprograms included, sorted by (section, offset).
    pub progs: Vec<Program>,
    pub maps: Vec<Map>,
    /// For `.maps` maps: index of their VAR in the `.maps` DATASEC.
    pub map_var_idx: Vec<Option<usize>>,
    pub externs: Vec<(super::Extern, usize)>,
    pub btf: Option<Btf>,
}

fn err(kind: K, detail: impl Into<String>) -> OpenError {
    OpenError::new(kind, detail)
}

pub(crate) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// libbpf's `skip_mods_and_typedefs`: the type under modifiers and typedefs, and its id.
pub(crate) fn skip_mods<'b>(btf: &'b Btf, id: u32) -> Option<(u32, Type<'b>)> {
    let mut id = id;
    let mut t = btf.type_by_id(id)?;
    for _ in 0..MAX_MODS {
        if !(t.kind().is_modifier() || t.kind() == Kind::Typedef) {
            return Some((id, t));
        }
        id = t.size_or_type();
        t = btf.type_by_id(id)?;
    }
    None
}

/// libbpf's `btf__align_of` (with a depth limit: it recurses without one).
pub(crate) fn align_of(btf: &Btf, id: u32) -> i64 {
    align_of_depth(btf, id, 0)
}

fn align_of_depth(btf: &Btf, id: u32, depth: usize) -> i64 {
    let ptr_sz = i64::from(btf.pointer_size().unwrap_or(8));
    let Some(t) = btf.type_by_id(id) else {
        return -i64::from(libc::EINVAL);
    };
    if depth > MAX_MODS * 8 {
        return -i64::from(libc::ELOOP);
    }
    match t.kind() {
        Kind::Int | Kind::Enum | Kind::Enum64 | Kind::Float => {
            ptr_sz.min(i64::from(t.size_or_type()))
        }
        Kind::Ptr => ptr_sz,
        Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag => {
            align_of_depth(btf, t.size_or_type(), depth + 1)
        }
        Kind::Array => align_of_depth(btf, t.array().map_or(0, |a| a.elem_type), depth + 1),
        Kind::Struct | Kind::Union => {
            let mut max_align = 1i64;
            for m in t.members() {
                let align = align_of_depth(btf, m.type_id, depth + 1);
                if align <= 0 {
                    return align;
                }
                max_align = max_align.max(align);
                if m.bitfield_size == 0 && i64::from(m.bit_offset) % (8 * align) != 0 {
                    return 1;
                }
            }
            if i64::from(t.size_or_type()) % max_align != 0 {
                return 1;
            }
            max_align
        }
        _ => -i64::from(libc::EINVAL),
    }
}

/// libbpf's `ignore_elf_section`.
fn ignored(sec: &Section<'_>) -> bool {
    let name = sec.name;
    if sec.sh_type == SHT_STRTAB || sec.sh_type == SHT_LLVM_ADDRSIG {
        return true;
    }
    if sec.sh_type == SHT_PROGBITS && sec.size == 0 && name == b".text" {
        return true;
    }
    if name.starts_with(b".debug_") {
        return true;
    }
    if let Some(rest) = name.strip_prefix(b".rel") {
        if rest.starts_with(b".debug_") || rest == b".BTF" || rest == b".BTF.ext" {
            return true;
        }
    }
    false
}

/// A name as the kernel keeps it (`BPF_OBJ_NAME_LEN` - 1 bytes).
fn truncate_name(name: &str) -> String {
    let mut b = name.as_bytes().to_vec();
    b.truncate(OBJ_NAME_LEN - 1);
    lossy(&b)
}

/// libbpf's `internal_map_name`.
pub(crate) fn internal_map_name(obj_name: &str, real_name: &str) -> String {
    let real = real_name.as_bytes();
    let sfx_len = real.len().clamp(7, OBJ_NAME_LEN - 1);
    let pfx_len = if real.get(1..).is_some_and(|r| r.contains(&b'.')) {
        0
    } else {
        (OBJ_NAME_LEN - sfx_len - 1).min(obj_name.len())
    };
    let mut name: Vec<u8> = obj_name.as_bytes()[..pfx_len].to_vec();
    name.extend_from_slice(&real[..sfx_len.min(real.len())]);
    name.truncate(OBJ_NAME_LEN - 1);
    for b in &mut name {
        if !b.is_ascii_alphanumeric() && *b != b'_' && *b != b'.' {
            *b = b'_';
        }
    }
    lossy(&name)
}

impl<'a> Object<'a> {
    /// Reads an object as `bpf_object__open_mem` with `object_name = name` does (libbpf
    /// keeps the first 15 bytes of the name).
    pub fn open(data: &'a [u8], name: &str) -> Result<Object<'a>, OpenError> {
        let elf = Elf::parse(data)?;
        let mut name_bytes = name.as_bytes().to_vec();
        name_bytes.truncate(OBJ_NAME_LEN - 1);
        let obj_name = lossy(&name_bytes);

        let mut o = Opening {
            elf: &elf,
            sec_types: vec![SecType::None; elf.sections.len()],
            text_shndx: 0,
            btf_maps_shndx: None,
            arena_shndx: None,
            jumptables_shndx: None,
            progs: Vec::new(),
            maps: Vec::new(),
            map_var_idx: Vec::new(),
            externs: Vec::new(),
            btf: None,
        };
        let license = o.elf_collect()?;
        o.collect_externs()?;
        o.fixup_btf()?;
        o.init_maps(&obj_name)?;
        o.init_progs();
        relo::collect(&o)?;

        let text = o.text_shndx;
        let programs = o
            .progs
            .into_iter()
            .filter(|p| text == 0 || p.sec_idx != text)
            .collect();
        Ok(Object {
            data,
            name: obj_name,
            btf: o.btf,
            programs,
            maps: o.maps,
            externs: o.externs.into_iter().map(|(e, _)| e).collect(),
            license,
        })
    }
}

impl Opening<'_, '_> {
    /// libbpf's `bpf_object__elf_collect` (and `bpf_object__init_btf`); returns the license.
    fn elf_collect(&mut self) -> Result<String, OpenError> {
        let elf = self.elf;
        let mut license = String::new();
        let mut btf_data = None;
        for (idx, sec) in elf.sections.iter().enumerate().skip(1) {
            if ignored(sec) {
                continue;
            }
            let name = sec.name;
            if name == b"license" {
                let end = sec
                    .data
                    .iter()
                    .position(|&b| b == 0)
                    .unwrap_or(sec.data.len());
                license = lossy(&sec.data[..end.min(127)]);
            } else if name == b"version" {
                if sec.data.len() != 4 {
                    return Err(err(K::Format, "invalid kver section"));
                }
            } else if name == b"maps" {
                return Err(err(
                    K::NotSup,
                    "legacy map definitions in 'maps' section are not supported by libbpf v1.0+",
                ));
            } else if name == b".maps" {
                self.btf_maps_shndx = Some(idx);
            } else if name == b".BTF" {
                if sec.sh_type != SHT_PROGBITS {
                    return Err(err(K::Format, ".BTF is not SHT_PROGBITS"));
                }
                btf_data = Some(sec.data);
            } else if name == b".BTF.ext" {
                if sec.sh_type != SHT_PROGBITS {
                    return Err(err(K::Format, ".BTF.ext is not SHT_PROGBITS"));
                }
            } else if sec.sh_type == SHT_SYMTAB {
                // Read in Elf::parse.
            } else if sec.sh_type == SHT_PROGBITS && !sec.data.is_empty() {
                if sec.flags & SHF_EXECINSTR != 0 {
                    if name == b".text" {
                        self.text_shndx = idx;
                    }
                    self.add_programs(idx, sec)?;
                } else if name == b".data" || name.starts_with(b".data.") {
                    self.sec_types[idx] = SecType::Data;
                } else if name == b".rodata" || name.starts_with(b".rodata.") {
                    self.sec_types[idx] = SecType::Rodata;
                } else if matches!(
                    name,
                    b".struct_ops" | b".struct_ops.link" | b"?.struct_ops" | b"?.struct_ops.link"
                ) {
                    self.sec_types[idx] = SecType::StructOps;
                } else if name == b".addr_space.1" {
                    self.arena_shndx = Some(idx);
                } else if name == b".jumptables" {
                    self.jumptables_shndx = Some(idx);
                }
            } else if sec.sh_type == SHT_REL {
                let targ = sec.info as usize;
                if sec.entsize != super::elf::REL_SIZE || targ >= elf.sections.len() {
                    return Err(err(
                        K::Format,
                        format!("bad relocation section {}", lossy(name)),
                    ));
                }
                let targ_exec = elf.sections[targ].flags & SHF_EXECINSTR != 0;
                if !targ_exec
                    && !matches!(
                        name,
                        b".rel.struct_ops"
                            | b".rel.struct_ops.link"
                            | b".rel?.struct_ops"
                            | b".rel?.struct_ops.link"
                            | b".rel.maps"
                    )
                {
                    continue;
                }
                self.sec_types[idx] = SecType::Relo;
            } else if sec.sh_type == SHT_NOBITS && (name == b".bss" || name.starts_with(b".bss.")) {
                self.sec_types[idx] = SecType::Bss;
            }
        }
        if elf.strtab > elf.sections.len().saturating_sub(1) {
            return Err(err(K::Format, "symbol strings section missing or invalid"));
        }
        // cmp_progs: by section, then by offset.
        self.progs.sort_by_key(|p| (p.sec_idx, p.insn_off));
        self.init_btf(btf_data)?;
        Ok(license)
    }

    /// libbpf's `bpf_object__init_btf`: BTF that fails to parse is dropped, unless the
    /// object cannot work without it.
    fn init_btf(&mut self, data: Option<&[u8]>) -> Result<(), OpenError> {
        let needs_btf = self.btf_maps_shndx.is_some() || self.has_struct_ops();
        match data.map(Btf::parse) {
            Some(Ok(mut btf)) => {
                // libbpf enforces 8-byte pointers for BPF-targeted BTF.
                let _ = btf.set_pointer_size(8);
                self.btf = Some(btf);
            }
            Some(Err(e)) if needs_btf => {
                return Err(err(
                    K::Inval,
                    format!("BTF is required, but is corrupted: {e}"),
                ))
            }
            None if needs_btf => {
                return Err(err(K::NoEnt, "BTF is required, but is missing"));
            }
            _ => {}
        }
        Ok(())
    }

    fn has_struct_ops(&self) -> bool {
        self.sec_types.contains(&SecType::StructOps)
    }

    /// libbpf's `bpf_object__add_programs` for one executable section.
    fn add_programs(&mut self, sec_idx: usize, sec: &Section<'_>) -> Result<(), OpenError> {
        let elf = self.elf;
        let sec_name = lossy(sec.name);
        for i in 0..elf.sym_count() {
            let Some(sym) = elf.sym(i) else { continue };
            if usize::from(sym.shndx) != sec_idx || sym.typ != STT_FUNC {
                continue;
            }
            let name = sym.name.ok_or_else(|| {
                err(
                    K::Format,
                    format!(
                        "sec '{sec_name}': failed to get symbol name for offset {}",
                        sym.value
                    ),
                )
            })?;
            let name = lossy(name);
            let end = sym.value.checked_add(sym.size);
            if end.is_none_or(|e| e > sec.data.len() as u64) {
                return Err(err(
                    K::Format,
                    format!(
                        "sec '{sec_name}': program at offset {} crosses section boundary",
                        sym.value
                    ),
                ));
            }
            if sec_idx != self.text_shndx && sym.bind == STB_LOCAL {
                return Err(err(
                    K::NotSup,
                    format!("sec '{sec_name}': program '{name}' is static and not supported"),
                ));
            }
            if sym.size == 0 || sym.size % 8 != 0 || sym.value % 8 != 0 {
                return Err(err(
                    K::Inval,
                    format!(
                        "sec '{sec_name}': corrupted program '{name}', offset {}, size {}",
                        sym.value, sym.size
                    ),
                ));
            }
            let (autoload, section) = match sec_name.strip_prefix('?') {
                Some(rest) => (false, rest.to_owned()),
                None => (true, sec_name.clone()),
            };
            self.progs.push(Program {
                name,
                section,
                autoload,
                prog_type: 0,
                expected_attach_type: 0,
                sec_idx,
                // Bounded by the section size, checked above.
                insn_off: (sym.value / 8) as usize,
                insn_cnt: (sym.size / 8) as usize,
            });
        }
        Ok(())
    }

    /// libbpf's `bpf_object__collect_externs`.
    fn collect_externs(&mut self) -> Result<(), OpenError> {
        let elf = self.elf;
        let mut externs = Vec::new();
        for i in 0..elf.sym_count() {
            let Some(sym) = elf.sym(i) else { continue };
            let is_extern = sym.shndx == 0
                && (sym.bind == STB_GLOBAL || sym.bind == STB_WEAK)
                && sym.typ == STT_NOTYPE;
            if !is_extern {
                continue;
            }
            let name = match sym.name {
                Some(n) if !n.is_empty() => n,
                _ => continue,
            };
            let shown = lossy(name);
            let Some(btf) = &self.btf else {
                return Err(err(
                    K::Srch,
                    format!("failed to find BTF for extern '{shown}': no BTF"),
                ));
            };
            let btf_id = find_extern_btf_id(btf, name)
                .map_err(|kind| err(kind, format!("failed to find BTF for extern '{shown}'")))?;
            let t = btf
                .type_by_id(btf_id)
                .ok_or_else(|| err(K::Inval, "bad extern"))?;
            let sec_id = btf
                .types()
                .filter(|s| s.kind() == Kind::Datasec)
                .find(|s| s.var_secinfos().any(|vs| vs.type_id == btf_id))
                .map(|s| s.id())
                .ok_or_else(|| {
                    err(
                        K::NoEnt,
                        format!("failed to find BTF for extern '{shown}' [{btf_id}] section"),
                    )
                })?;
            let sec = btf
                .type_by_id(sec_id)
                .ok_or_else(|| err(K::Inval, "bad DATASEC"))?;
            let sec_name = btf.name_of(&sec).unwrap_or(b"");
            let kind = if sec_name == b".kconfig" {
                if t.kind() == Kind::Func {
                    return Err(err(
                        K::NotSup,
                        format!("extern function {shown} is unsupported under .kconfig section"),
                    ));
                }
                let var_type = t.size_or_type();
                let size = btf
                    .resolve_size(var_type)
                    .ok()
                    .filter(|&s| s > 0)
                    .ok_or_else(|| {
                        err(
                            K::Inval,
                            format!("failed to resolve size of extern (kcfg) '{shown}'"),
                        )
                    })?;
                let align = align_of(btf, var_type);
                if align <= 0 {
                    return Err(err(
                        K::Inval,
                        format!("failed to determine alignment of extern (kcfg) '{shown}'"),
                    ));
                }
                let (kcfg_type, is_signed) = kcfg_type(btf, var_type, 0).ok_or_else(|| {
                    err(
                        K::NotSup,
                        format!("extern (kcfg) '{shown}': type is unsupported"),
                    )
                })?;
                ExternKind::Kconfig {
                    kcfg_type,
                    size,
                    // align_of is at most the pointer size here (8).
                    align: align as u32,
                    data_off: 0,
                    is_signed,
                }
            } else if sec_name == b".ksyms" {
                let type_id = skip_mods(btf, t.size_or_type()).map_or(0, |(id, _)| id);
                ExternKind::Ksym {
                    type_id,
                    is_func: t.kind() == Kind::Func,
                }
            } else {
                return Err(err(
                    K::NotSup,
                    format!("unrecognized extern section '{}'", lossy(sec_name)),
                ));
            };
            externs.push((
                super::Extern {
                    name: lossy(btf.name_of(&t).unwrap_or(name)),
                    is_weak: sym.bind == STB_WEAK,
                    btf_id,
                    kind,
                },
                sec_id as usize,
            ));
        }
        // cmp_externs: kconfig before ksyms; kconfig by alignment (descending), size
        // (ascending); ties by name.
        externs.sort_by(|(a, _), (b, _)| {
            let key = |e: &super::Extern| match e.kind {
                ExternKind::Kconfig { align, size, .. } => (0u8, u32::MAX - align, size),
                ExternKind::Ksym { .. } => (1, 0, 0),
            };
            key(a)
                .cmp(&key(b))
                .then_with(|| a.name.as_bytes().cmp(b.name.as_bytes()))
        });
        let mut off = 0u32;
        for (e, _) in &mut externs {
            if let ExternKind::Kconfig {
                ref mut data_off,
                align,
                size,
                ..
            } = e.kind
            {
                *data_off = off.div_ceil(align) * align;
                off = *data_off + size;
            }
        }
        self.externs = externs;
        if let Some(btf) = &self.btf {
            if !self.externs.is_empty() {
                self.btf = Some(fixup::externs(btf, &self.externs)?);
            }
        }
        Ok(())
    }

    /// libbpf's `bpf_object_fixup_btf`.
    fn fixup_btf(&mut self) -> Result<(), OpenError> {
        if let Some(btf) = &self.btf {
            self.btf = Some(fixup::datasecs(btf, self.elf)?);
        }
        Ok(())
    }

    /// libbpf's `bpf_object__init_maps`.
    fn init_maps(&mut self, obj_name: &str) -> Result<(), OpenError> {
        self.init_user_maps()?;
        self.init_global_data_maps(obj_name);
        self.init_kconfig_map(obj_name);
        self.init_struct_ops_maps()
    }

    fn push_map(&mut self, map: Map, var_idx: Option<usize>) {
        self.maps.push(map);
        self.map_var_idx.push(var_idx);
    }

    /// libbpf's `bpf_object__init_user_btf_maps`.
    fn init_user_maps(&mut self) -> Result<(), OpenError> {
        let Some(shndx) = self.btf_maps_shndx else {
            return Ok(());
        };
        let btf = self.btf.as_ref().ok_or_else(|| err(K::NoEnt, "no BTF"))?;
        let data_len = self.elf.sections[shndx].data.len() as u64;
        let sec = btf
            .types()
            .find(|t| t.kind() == Kind::Datasec && btf.str_eq(t.name_off(), b".maps"))
            .ok_or_else(|| err(K::NoEnt, "DATASEC '.maps' not found"))?;
        let mut maps = Vec::new();
        for (i, vi) in sec.var_secinfos().enumerate() {
            let var = btf
                .type_by_id(vi.type_id)
                .ok_or_else(|| err(K::Inval, "bad map VAR"))?;
            let name = lossy(btf.name_of(&var).unwrap_or(b""));
            if name.is_empty() {
                return Err(err(K::Inval, format!("map #{i}: empty name")));
            }
            if u64::from(vi.offset) + u64::from(vi.size) > data_len {
                return Err(err(K::Inval, format!("map '{name}' BTF data is corrupted")));
            }
            if var.kind() != Kind::Var {
                return Err(err(
                    K::Inval,
                    format!("map '{name}': unexpected var kind {}", var.kind()),
                ));
            }
            if var.var_linkage() != Some(LINKAGE_GLOBAL) {
                return Err(err(
                    K::NotSup,
                    format!("map '{name}': unsupported map linkage"),
                ));
            }
            let def = skip_mods(btf, var.size_or_type())
                .map(|(_, t)| t)
                .filter(|t| t.kind() == Kind::Struct)
                .ok_or_else(|| err(K::Inval, format!("map '{name}': unexpected def kind")))?;
            if def.size_or_type() > vi.size {
                return Err(err(K::Inval, format!("map '{name}': invalid def size")));
            }
            let d = parse_map_def(btf, &name, &def, false)?;
            let mut max_entries = d.max_entries;
            if d.map_type == MAP_TYPE_RINGBUF || d.map_type == MAP_TYPE_USER_RINGBUF {
                max_entries = adjust_ringbuf_sz(max_entries);
            }
            maps.push((
                Map {
                    real_name: name.clone(),
                    kernel_name: truncate_name(&name),
                    name,
                    kind: MapKind::User,
                    map_type: d.map_type,
                    key_size: d.key_size,
                    value_size: d.value_size,
                    max_entries,
                    map_flags: d.map_flags,
                    map_extra: d.map_extra,
                    btf_key_type_id: d.key_type_id,
                    btf_value_type_id: d.value_type_id,
                    sec_idx: shndx,
                    sec_offset: u64::from(vi.offset),
                    initial_value: None,
                    autocreate: true,
                },
                i,
            ));
        }
        for (m, i) in maps {
            self.push_map(m, Some(i));
        }
        // Arena maps: at most one, and it holds the `.addr_space.1` globals.
        let arenas: Vec<usize> = (0..self.maps.len())
            .filter(|&i| self.maps[i].map_type == MAP_TYPE_ARENA)
            .collect();
        if arenas.len() > 1 {
            return Err(err(K::Inval, "only single ARENA map is supported"));
        }
        if let Some(shndx) = self.arena_shndx {
            let Some(&ai) = arenas.first() else {
                return Err(err(
                    K::NoEnt,
                    "sec '.addr_space.1': to use global __arena variables the ARENA map should be explicitly declared in SEC(\".maps\")",
                ));
            };
            let data = self.elf.sections[shndx].data;
            let page = page_size();
            let alloc = (data.len() as u64).div_ceil(page) * page;
            let mmap_sz = page * u64::from(self.maps[ai].max_entries);
            if alloc > mmap_sz {
                return Err(err(
                    K::TooBig,
                    "declared ARENA map size is too small to hold global __arena variables",
                ));
            }
            self.maps[ai].initial_value = Some(data.to_vec());
        }
        Ok(())
    }

    /// libbpf's `bpf_object__init_global_data_maps`.
    fn init_global_data_maps(&mut self, obj_name: &str) {
        let elf = self.elf;
        for (idx, sec) in elf.sections.iter().enumerate().skip(1) {
            let (kind, data) = match self.sec_types[idx] {
                SecType::Data => (MapKind::Data, Some(sec.data)),
                SecType::Rodata => (MapKind::Rodata, Some(sec.data)),
                SecType::Bss => (MapKind::Bss, None),
                _ => continue,
            };
            let size = match data {
                Some(d) => d.len() as u64,
                None => sec.size,
            };
            if size == 0 {
                continue;
            }
            // A section that large cannot be a map; libbpf would fail to allocate it.
            let Ok(size32) = u32::try_from(size) else {
                continue;
            };
            let real_name = lossy(sec.name);
            let map = self.internal_map(obj_name, kind, &real_name, idx, data, size32);
            self.push_map(map, None);
        }
    }

    /// libbpf's `bpf_object__init_internal_map`.
    fn internal_map(
        &self,
        obj_name: &str,
        kind: MapKind,
        real_name: &str,
        sec_idx: usize,
        data: Option<&[u8]>,
        size: u32,
    ) -> Map {
        let mut flags = if matches!(kind, MapKind::Rodata | MapKind::Kconfig) {
            F_RDONLY_PROG
        } else {
            0
        };
        // map_fill_btf_type_info: the first type of any kind with the section's name.
        let value_id = self
            .btf
            .as_ref()
            .and_then(|b| b.find_by_name(real_name))
            .unwrap_or(0);
        if self.map_is_mmapable(value_id) {
            flags |= F_MMAPABLE;
        }
        let initial = match data {
            Some(d) => d.to_vec(),
            None => vec![0; size as usize],
        };
        let kernel_name = internal_map_name(obj_name, real_name);
        // libbpf's map_uses_real_name: custom .data.*/.rodata.* maps show their section.
        let uses_real = matches!(kind, MapKind::Data | MapKind::Rodata)
            && real_name != ".data"
            && real_name != ".rodata";
        Map {
            name: if uses_real {
                real_name.to_owned()
            } else {
                kernel_name.clone()
            },
            kernel_name,
            real_name: real_name.to_owned(),
            kind,
            map_type: MAP_TYPE_ARRAY,
            key_size: 4,
            value_size: size,
            max_entries: 1,
            map_flags: flags,
            map_extra: 0,
            btf_key_type_id: 0,
            btf_value_type_id: value_id,
            sec_idx,
            sec_offset: 0,
            initial_value: Some(initial),
            autocreate: true,
        }
    }

    /// libbpf's `map_is_mmapable`: a DATASEC with at least one non-static VAR.
    fn map_is_mmapable(&self, value_id: u32) -> bool {
        let Some(btf) = &self.btf else { return false };
        let Some(t) = btf.type_by_id(value_id).filter(|_| value_id != 0) else {
            return false;
        };
        if t.kind() != Kind::Datasec {
            return false;
        }
        t.var_secinfos().any(|vs| {
            btf.type_by_id(vs.type_id)
                .and_then(|v| v.var_linkage())
                .is_some_and(|l| l != crate::btf::LINKAGE_STATIC)
        })
    }

    /// libbpf's `bpf_object__init_kconfig_map`.
    fn init_kconfig_map(&mut self, obj_name: &str) {
        let last = self.externs.iter().rev().find_map(|(e, _)| match e.kind {
            ExternKind::Kconfig { data_off, size, .. } => Some(data_off + size),
            ExternKind::Ksym { .. } => None,
        });
        if let Some(size) = last {
            let map = self.internal_map(
                obj_name,
                MapKind::Kconfig,
                ".kconfig",
                self.elf.symtab,
                None,
                size,
            );
            self.push_map(map, None);
        }
    }

    /// libbpf's `bpf_object_init_struct_ops`.
    fn init_struct_ops_maps(&mut self) -> Result<(), OpenError> {
        let elf = self.elf;
        for (idx, sec) in elf.sections.iter().enumerate() {
            if self.sec_types[idx] != SecType::StructOps {
                continue;
            }
            let sec_name = lossy(sec.name);
            let btf = self.btf.as_ref().ok_or_else(|| err(K::Inval, "no BTF"))?;
            let ds_id = btf
                .find_by_name_kind(sec.name, Kind::Datasec)
                .ok_or_else(|| {
                    err(
                        K::Inval,
                        format!("struct_ops init: DATASEC {sec_name} not found"),
                    )
                })?;
            let ds = btf
                .type_by_id(ds_id)
                .ok_or_else(|| err(K::Inval, "bad DATASEC"))?;
            let (autocreate, plain) = match sec_name.strip_prefix('?') {
                Some(rest) => (false, rest),
                None => (true, sec_name.as_str()),
            };
            let mut maps = Vec::new();
            for vsi in ds.var_secinfos() {
                let var = btf
                    .type_by_id(vsi.type_id)
                    .ok_or_else(|| err(K::Inval, "bad VAR"))?;
                let var_name = lossy(btf.name_of(&var).unwrap_or(b""));
                let type_id = btf.resolve_type(vsi.type_id).map_err(|_| {
                    err(
                        K::Inval,
                        format!(
                            "struct_ops init: Cannot resolve var type_id {} in DATASEC {sec_name}",
                            vsi.type_id
                        ),
                    )
                })?;
                let t = btf
                    .type_by_id(type_id)
                    .ok_or_else(|| err(K::Inval, "bad type"))?;
                let tname = btf.name_of(&t).unwrap_or(b"");
                if tname.is_empty() {
                    return Err(err(
                        K::NotSup,
                        "struct_ops init: anonymous type is not supported",
                    ));
                }
                if t.kind() != Kind::Struct {
                    return Err(err(
                        K::Inval,
                        format!("struct_ops init: {} is not a struct", lossy(tname)),
                    ));
                }
                let size = t.size_or_type();
                let start = vsi.offset as usize;
                let data = start
                    .checked_add(size as usize)
                    .and_then(|end| sec.data.get(start..end))
                    .ok_or_else(|| {
                        err(
                            K::Inval,
                            format!(
                                "struct_ops init: var {var_name} is beyond the end of DATASEC {sec_name}"
                            ),
                        )
                    })?;
                maps.push(Map {
                    real_name: var_name.clone(),
                    kernel_name: truncate_name(&var_name),
                    name: var_name,
                    kind: MapKind::StructOps,
                    map_type: MAP_TYPE_STRUCT_OPS,
                    key_size: 4,
                    value_size: size,
                    max_entries: 1,
                    map_flags: if plain == ".struct_ops.link" {
                        F_LINK
                    } else {
                        0
                    },
                    map_extra: 0,
                    btf_key_type_id: 0,
                    btf_value_type_id: type_id,
                    sec_idx: idx,
                    sec_offset: u64::from(vsi.offset),
                    initial_value: Some(data.to_vec()),
                    autocreate,
                });
            }
            for m in maps {
                self.push_map(m, None);
            }
        }
        Ok(())
    }

    /// libbpf's `bpf_object_init_progs`: program and attach types from section names.
    fn init_progs(&mut self) {
        for p in &mut self.progs {
            if let Some(def) = secdef::find(p.section.as_bytes()) {
                p.prog_type = def.prog_type;
                p.expected_attach_type = def.attach_type;
            }
        }
    }
}

/// libbpf's `find_extern_btf_id`: the first VAR or FUNC with this name, which must be
/// declared extern.
fn find_extern_btf_id(btf: &Btf, name: &[u8]) -> Result<u32, K> {
    for t in btf.types() {
        if !matches!(t.kind(), Kind::Var | Kind::Func) || !btf.str_eq(t.name_off(), name) {
            continue;
        }
        let extern_linkage = match t.kind() {
            Kind::Var => t.var_linkage() == Some(crate::btf::LINKAGE_EXTERN),
            _ => t.func_linkage() == Some(crate::btf::LINKAGE_EXTERN),
        };
        return if extern_linkage {
            Ok(t.id())
        } else {
            Err(K::Inval)
        };
    }
    Err(K::NoEnt)
}

/// libbpf's `find_kcfg_type`.
fn kcfg_type(btf: &Btf, id: u32, depth: usize) -> Option<(KcfgType, bool)> {
    if depth > MAX_MODS {
        return None;
    }
    let (_, t) = skip_mods(btf, id)?;
    let size = t.size_or_type();
    match t.kind() {
        Kind::Int => {
            let enc = t.int_encoding()?;
            if enc.is_bool() {
                return (size == 1).then_some((KcfgType::Bool, false));
            }
            if size == 1 {
                return Some((KcfgType::Char, enc.is_signed()));
            }
            if !(1..=8).contains(&size) || !size.is_power_of_two() {
                return None;
            }
            Some((KcfgType::Int, enc.is_signed()))
        }
        Kind::Enum | Kind::Enum64 => {
            let named = btf.str_eq(t.name_off(), b"libbpf_tristate");
            (named && (t.kind() == Kind::Enum64 || size == 4))
                .then_some((KcfgType::Tristate, false))
        }
        Kind::Array => {
            let a = t.array()?;
            if a.nelems == 0 {
                return None;
            }
            match kcfg_type(btf, a.elem_type, depth + 1)? {
                (KcfgType::Char, _) => Some((KcfgType::CharArray, false)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A `.maps` definition's fields (libbpf's `struct btf_map_def`).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct MapDef {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub map_extra: u64,
    pub key_type_id: u32,
    pub value_type_id: u32,
}

/// libbpf's `parse_btf_map_def` (strict mode), with inner map definitions checked.
fn parse_map_def(
    btf: &Btf,
    map_name: &str,
    def: &Type<'_>,
    is_inner: bool,
) -> Result<MapDef, OpenError> {
    let mut d = MapDef::default();
    let vlen = def.vlen() as usize;
    let inval = |msg: String| err(K::Inval, format!("map '{map_name}': {msg}"));
    for (i, m) in def.members().enumerate() {
        let name = btf
            .str_at(m.name_off)
            .ok_or_else(|| inval(format!("invalid field #{i}")))?;
        let field = lossy(name);
        match name {
            b"type" => {
                d.map_type =
                    map_field_int(btf, m.type_id).ok_or_else(|| inval(format!("attr '{field}'")))?
            }
            b"max_entries" => {
                d.max_entries =
                    map_field_int(btf, m.type_id).ok_or_else(|| inval(format!("attr '{field}'")))?
            }
            b"map_flags" => {
                d.map_flags =
                    map_field_int(btf, m.type_id).ok_or_else(|| inval(format!("attr '{field}'")))?
            }
            b"numa_node" => {
                map_field_int(btf, m.type_id).ok_or_else(|| inval(format!("attr '{field}'")))?;
            }
            b"key_size" | b"value_size" => {
                let sz = map_field_int(btf, m.type_id)
                    .ok_or_else(|| inval(format!("attr '{field}'")))?;
                let slot = if name == b"key_size" {
                    &mut d.key_size
                } else {
                    &mut d.value_size
                };
                if *slot != 0 && *slot != sz {
                    return Err(inval(format!("conflicting {field} {} != {sz}", *slot)));
                }
                *slot = sz;
            }
            b"key" | b"value" => {
                let t = btf
                    .type_by_id(m.type_id)
                    .ok_or_else(|| inval(format!("{field} type not found")))?;
                if t.kind() != Kind::Ptr {
                    return Err(inval(format!("{field} spec is not PTR: {}", t.kind())));
                }
                let sz = btf
                    .resolve_size(t.size_or_type())
                    .map_err(|_| inval(format!("can't determine {field} size")))?;
                let (slot, tid) = if name == b"key" {
                    (&mut d.key_size, &mut d.key_type_id)
                } else {
                    (&mut d.value_size, &mut d.value_type_id)
                };
                if *slot != 0 && *slot != sz {
                    return Err(inval(format!("conflicting {field} size {} != {sz}", *slot)));
                }
                *slot = sz;
                *tid = t.size_or_type();
            }
            b"values" => {
                let is_map_in_map =
                    matches!(d.map_type, MAP_TYPE_ARRAY_OF_MAPS | MAP_TYPE_HASH_OF_MAPS);
                let is_prog_array = d.map_type == super::MAP_TYPE_PROG_ARRAY;
                if is_inner {
                    return Err(err(
                        K::NotSup,
                        format!("map '{map_name}': multi-level inner maps not supported"),
                    ));
                }
                if i != vlen - 1 {
                    return Err(inval("'values' member should be last".into()));
                }
                if !is_map_in_map && !is_prog_array {
                    return Err(err(
                        K::NotSup,
                        format!("map '{map_name}': should be map-in-map or prog-array"),
                    ));
                }
                if d.value_size != 0 && d.value_size != 4 {
                    return Err(inval(format!(
                        "conflicting value size {} != 4",
                        d.value_size
                    )));
                }
                d.value_size = 4;
                let t = btf
                    .type_by_id(m.type_id)
                    .ok_or_else(|| inval("values type not found".into()))?;
                if t.array().is_none_or(|a| a.nelems != 0) {
                    return Err(inval("values spec is not a zero-sized array".into()));
                }
                let elem = t.array().map_or(0, |a| a.elem_type);
                let p = skip_mods(btf, elem)
                    .map(|(_, t)| t)
                    .filter(|t| t.kind() == Kind::Ptr)
                    .ok_or_else(|| inval("values def is of unexpected kind".into()))?;
                let target = skip_mods(btf, p.size_or_type())
                    .map(|(_, t)| t)
                    .ok_or_else(|| inval("values def is of unexpected kind".into()))?;
                if is_prog_array {
                    if target.kind() != Kind::FuncProto {
                        return Err(inval("prog-array value def is of unexpected kind".into()));
                    }
                    continue;
                }
                if target.kind() != Kind::Struct {
                    return Err(inval("map-in-map inner def is of unexpected kind".into()));
                }
                parse_map_def(btf, &format!("{map_name}.inner"), &target, true)?;
            }
            b"pinning" => {
                if is_inner {
                    return Err(inval("inner def can't be pinned".into()));
                }
                let v = map_field_int(btf, m.type_id)
                    .ok_or_else(|| inval(format!("attr '{field}'")))?;
                if v > 1 {
                    return Err(inval(format!("invalid pinning value {v}")));
                }
            }
            b"map_extra" => {
                d.map_extra = map_field_long(btf, m.type_id)
                    .ok_or_else(|| inval(format!("attr '{field}'")))?;
            }
            _ => {
                return Err(err(
                    K::NotSup,
                    format!("map '{map_name}': unknown field '{field}'"),
                ));
            }
        }
    }
    if d.map_type == 0 {
        return Err(inval("map type isn't specified".into()));
    }
    Ok(d)
}

/// libbpf's `get_map_field_int`: `__uint(name, N)` is a pointer to an array of N.
fn map_field_int(btf: &Btf, type_id: u32) -> Option<u32> {
    let (_, t) = skip_mods(btf, type_id)?;
    if t.kind() != Kind::Ptr {
        return None;
    }
    btf.type_by_id(t.size_or_type())?.array().map(|a| a.nelems)
}

/// libbpf's `get_map_field_long`: `__ulong(name, N)` is an enum with one value N.
fn map_field_long(btf: &Btf, type_id: u32) -> Option<u64> {
    let (_, t) = skip_mods(btf, type_id)?;
    if t.kind() == Kind::Ptr {
        return map_field_int(btf, type_id).map(u64::from);
    }
    if !matches!(t.kind(), Kind::Enum | Kind::Enum64) || t.vlen() != 1 {
        return None;
    }
    let v = t.enum_values().next()?;
    Some(if v.is_64 {
        v.value_u64()
    } else {
        u64::from(v.lo32)
    })
}

/// The system page size (libbpf's `sysconf(_SC_PAGE_SIZE)`).
pub(crate) fn page_size() -> u64 {
    crate::sys::page_size()
}

/// libbpf's `adjust_ringbuf_sz`.
fn adjust_ringbuf_sz(sz: u32) -> u32 {
    let page = page_size();
    let sz64 = u64::from(sz);
    if sz == 0 || (sz64 % page == 0 && (sz64 / page).is_power_of_two()) {
        return sz;
    }
    let mut mul = 1u64;
    while mul <= u64::from(u32::MAX) / page {
        if mul * page > sz64 {
            return (mul * page) as u32;
        }
        mul <<= 1;
    }
    sz
}
