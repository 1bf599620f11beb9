//! Model of a `.bpf.o` object, shared by the C and Rust skeleton emitters.
//!
//! [`Object::open`] reads an object the way libbpf's `bpf_object__open` does — programs in
//! (section, offset) order, maps in libbpf's order (`.maps` definitions, then one internal map
//! per `.data*`/`.rodata*`/`.bss*` section, then `.kconfig`, then struct_ops maps), and the
//! BTF with libbpf's open-time fixups applied (data section sizes and variable offsets from
//! the ELF, hidden globals made static, `.kconfig` externs laid out, variables sorted by
//! offset) — but with our own ELF reader (`object`) and BTF engine, and without libbpf.
//! Emitters ([`c`]) read only this model, so every skeleton flavour sees the same facts.
//!
//! Names follow libbpf exactly, including its quirks: internal maps are called
//! `<object name prefix>.<section>` truncated to 15 bytes, and the identifiers bpftool
//! derives from them ([`Object::map_ident`]) may then not match the data section's own
//! identifier (a long `.data.custom_name` section gets an empty struct).

pub mod c;
pub mod decl;
mod elf;
mod error;
mod fixup;
pub mod link;
mod open;
mod relo;
pub mod secdef;

pub use error::{OpenError, OpenErrorKind};

use crate::btf::{Btf, Kind, LINKAGE_STATIC};

/// `BPF_MAP_TYPE_ARRAY`.
pub const MAP_TYPE_ARRAY: u32 = 2;
/// `BPF_MAP_TYPE_PROG_ARRAY`.
pub const MAP_TYPE_PROG_ARRAY: u32 = 3;
/// `BPF_MAP_TYPE_STRUCT_OPS`.
pub const MAP_TYPE_STRUCT_OPS: u32 = 26;
/// `BPF_MAP_TYPE_ARENA`.
pub const MAP_TYPE_ARENA: u32 = 33;
/// `BPF_F_RDONLY_PROG`.
pub const F_RDONLY_PROG: u32 = 1 << 7;
/// `BPF_F_MMAPABLE`.
pub const F_MMAPABLE: u32 = 1 << 10;
/// `BPF_F_LINK` (struct_ops maps in `.struct_ops.link`).
pub const F_LINK: u32 = 1 << 13;

/// A BPF program: a global function in an executable section other than `.text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// The function's name (`bpf_program__name`).
    pub name: String,
    /// The ELF section name without a leading `?` (`bpf_program__section_name`).
    pub section: String,
    /// False for `SEC("?...")` programs, which libbpf does not load by default.
    pub autoload: bool,
    /// `BPF_PROG_TYPE_*` from the section name (0 when libbpf does not recognise it).
    pub prog_type: u32,
    /// `BPF_*` expected attach type from the section name.
    pub expected_attach_type: u32,
    /// ELF section index.
    pub sec_idx: usize,
    /// First instruction in the section.
    pub insn_off: usize,
    /// Number of instructions.
    pub insn_cnt: usize,
}

/// Where a map comes from, libbpf's `libbpf_map_type` plus the non-internal kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapKind {
    /// A `SEC(".maps")` definition (including an arena map).
    User,
    /// A `.data` or `.data.*` section.
    Data,
    /// A `.rodata` or `.rodata.*` section.
    Rodata,
    /// A `.bss` or `.bss.*` section.
    Bss,
    /// The `.kconfig` externs.
    Kconfig,
    /// A variable in a `.struct_ops` or `.struct_ops.link` section.
    StructOps,
}

/// A map as libbpf describes it after opening.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Map {
    /// `bpf_map__name`: the variable name; for `.data`, `.rodata`, `.bss*` and `.kconfig`
    /// the kernel-visible name (object name prefix + section name, at most 15 bytes); for
    /// custom `.data.*` and `.rodata.*` sections the section name.
    pub name: String,
    /// The name the kernel sees (at most 15 bytes; the same as `name` except for custom
    /// `.data.*`/`.rodata.*` sections).
    pub kernel_name: String,
    /// The ELF section for internal maps (`.rodata.str1.1`), else the name.
    pub real_name: String,
    /// Where it comes from.
    pub kind: MapKind,
    /// `BPF_MAP_TYPE_*`.
    pub map_type: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum entries (ring buffers rounded up as libbpf does).
    pub max_entries: u32,
    /// `BPF_F_*` flags.
    pub map_flags: u32,
    /// `map_extra`.
    pub map_extra: u64,
    /// BTF type of the key (0 if none).
    pub btf_key_type_id: u32,
    /// BTF type of the value: the DATASEC of an internal map, the struct of a struct_ops
    /// map (0 if none).
    pub btf_value_type_id: u32,
    /// ELF section index of the definition (the symbol table for `.kconfig`).
    pub sec_idx: usize,
    /// Offset of the definition in its section.
    pub sec_offset: u64,
    /// Contents before loading: section bytes of `.data`/`.rodata` (zeros for `.bss` and
    /// `.kconfig`), the struct of a struct_ops map, an arena's `__arena` globals; `None`
    /// for maps without (`bpf_map__initial_value` is NULL).
    pub initial_value: Option<Vec<u8>>,
    /// False for `SEC("?.struct_ops")` maps.
    pub autocreate: bool,
}

impl Map {
    /// `bpf_map__is_internal`: a map libbpf made for global data or externs.
    pub fn is_internal(&self) -> bool {
        matches!(
            self.kind,
            MapKind::Data | MapKind::Rodata | MapKind::Bss | MapKind::Kconfig
        )
    }

    /// bpftool's `bpf_map_mmap_sz`: the value rounded to 8 bytes times the entries,
    /// rounded up to whole pages.
    pub fn mmap_size(&self, page_size: u64) -> u64 {
        let v = u64::from(self.value_size).div_ceil(8) * 8 * u64::from(self.max_entries);
        v.div_ceil(page_size.max(1)) * page_size.max(1)
    }
}

/// The C type kind of a `.kconfig` extern (libbpf's `kcfg_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KcfgType {
    /// `bool`.
    Bool,
    /// A one-byte integer.
    Char,
    /// `enum libbpf_tristate`.
    Tristate,
    /// An integer of 2, 4 or 8 bytes.
    Int,
    /// A `char[N]`.
    CharArray,
}

/// An `extern` variable or function the object expects libbpf to resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExternKind {
    /// A `.kconfig` value, laid out in the `.kconfig` map.
    Kconfig {
        /// Its C type kind.
        kcfg_type: KcfgType,
        /// Size in bytes.
        size: u32,
        /// Alignment in bytes.
        align: u32,
        /// Offset in the `.kconfig` map.
        data_off: u32,
        /// Signed integer.
        is_signed: bool,
    },
    /// A kernel symbol (`__ksym`): a variable or a kfunc.
    Ksym {
        /// The BTF type it refers to, modifiers and typedefs skipped.
        type_id: u32,
        /// A function rather than a variable.
        is_func: bool,
    },
}

/// An extern, in libbpf's order (kconfig first, by alignment, size and name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extern {
    /// Symbol name.
    pub name: String,
    /// `__weak`.
    pub is_weak: bool,
    /// The BTF VAR or FUNC.
    pub btf_id: u32,
    /// What it is.
    pub kind: ExternKind,
}

/// A global variable of a data section, as the skeleton exposes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    /// The variable's name (`func.var` for a function's static, which is never exposed).
    pub name: String,
    /// The BTF VAR's id.
    pub var_id: u32,
    /// The variable's type (the VAR's referenced type).
    pub type_id: u32,
    /// Offset in the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
    /// BTF linkage ([`crate::btf::LINKAGE_STATIC`] variables stay hidden).
    pub linkage: u32,
}

/// A data section described by a BTF DATASEC: what a skeleton's `struct X__data` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datasec {
    /// The DATASEC's type id.
    pub type_id: u32,
    /// Section name (`.data.foo`).
    pub name: String,
    /// bpftool's identifier for it (`data_foo`; `arena` for `.addr_space.1`).
    pub ident: String,
    /// Section size.
    pub size: u32,
    /// Its variables, in offset order.
    pub vars: Vec<Var>,
}

/// A BPF ELF object read as libbpf reads it.
pub struct Object<'a> {
    /// The whole file, as embedded in skeletons.
    pub data: &'a [u8],
    /// The object name libbpf keeps (at most 15 bytes), which prefixes internal map names.
    pub name: String,
    /// The object's BTF with libbpf's open-time fixups, if it has (valid) BTF.
    pub btf: Option<Btf>,
    /// Entry-point programs, in libbpf's order (subprograms in `.text` are not listed).
    pub programs: Vec<Program>,
    /// Maps, in libbpf's order.
    pub maps: Vec<Map>,
    /// Externs, in libbpf's order.
    pub externs: Vec<Extern>,
    /// The license string.
    pub license: String,
}

impl std::fmt::Debug for Object<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Object")
            .field("name", &self.name)
            .field("programs", &self.programs)
            .field("maps", &self.maps)
            .field("externs", &self.externs)
            .finish()
    }
}

/// The prefixes bpftool recognises in internal map names and section names.
const DATA_SFXS: [&str; 4] = [".data", ".rodata", ".bss", ".kconfig"];

/// bpftool's `sanitize_identifier`: every byte that is not an ASCII letter, digit or `_`
/// becomes `_`.
pub fn sanitize_identifier(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'_' {
                b as char
            } else {
                '_'
            }
        })
        .collect()
}

/// Whether `s` is a C identifier (letter or `_` first, then letters, digits, `_`).
pub fn is_c_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// bpftool's `get_datasec_ident`: the identifier of a data section name, if it is one.
pub fn datasec_ident(sec_name: &str) -> Option<String> {
    if sec_name == ".addr_space.1" {
        return Some("arena".to_owned());
    }
    DATA_SFXS
        .iter()
        .any(|p| sec_name.starts_with(p))
        .then(|| sanitize_identifier(sec_name.get(1..).unwrap_or("")))
}

impl Object<'_> {
    /// bpftool's `get_map_ident`: the identifier of a map in the skeleton (`None` for an
    /// internal map whose name has none of the known section names in it).
    pub fn map_ident(&self, map: &Map) -> Option<String> {
        if !map.is_internal() {
            return Some(map.name.clone());
        }
        DATA_SFXS.iter().find_map(|sfx| {
            map.name
                .find(sfx)
                .map(|pos| sanitize_identifier(&map.name[pos + 1..]))
        })
    }

    /// bpftool's `is_mmapable_map`: the identifier of a map the skeleton memory-maps (an
    /// arena with `__arena` globals, or an internal map with exposed variables).
    pub fn mmaped_ident(&self, map: &Map) -> Option<String> {
        if map.map_type == MAP_TYPE_ARENA && map.initial_value.is_some() {
            return Some("arena".to_owned());
        }
        if !map.is_internal() || map.map_flags & F_MMAPABLE == 0 {
            return None;
        }
        self.map_ident(map)
    }

    /// bpftool's `find_type_for_map`: the first DATASEC whose identifier is `ident`.
    pub fn datasec_by_ident(&self, ident: &str) -> Option<Datasec> {
        let btf = self.btf.as_ref()?;
        btf.types()
            .filter(|t| t.kind() == Kind::Datasec)
            .find_map(|t| {
                let name = String::from_utf8_lossy(btf.name_of(&t).unwrap_or(b"")).into_owned();
                let id = datasec_ident(&name)?;
                (id == ident).then(|| self.datasec(t.id()))?
            })
    }

    /// The DATASEC with this type id, with its variables.
    pub fn datasec(&self, type_id: u32) -> Option<Datasec> {
        let btf = self.btf.as_ref()?;
        let t = btf.type_by_id(type_id)?;
        if t.kind() != Kind::Datasec {
            return None;
        }
        let name = String::from_utf8_lossy(btf.name_of(&t).unwrap_or(b"")).into_owned();
        let vars = t
            .var_secinfos()
            .map(|vs| {
                let v = btf.type_by_id(vs.type_id);
                Var {
                    name: v
                        .and_then(|v| btf.name_of(&v))
                        .map(|n| String::from_utf8_lossy(n).into_owned())
                        .unwrap_or_default(),
                    var_id: vs.type_id,
                    type_id: v.map_or(0, |v| v.size_or_type()),
                    offset: vs.offset,
                    size: vs.size,
                    linkage: v.and_then(|v| v.var_linkage()).unwrap_or(LINKAGE_STATIC),
                }
            })
            .collect();
        Some(Datasec {
            type_id,
            ident: datasec_ident(&name).unwrap_or_default(),
            name,
            size: t.size_or_type(),
            vars,
        })
    }
}

#[cfg(test)]
mod tests;
