//! C skeleton headers, byte for byte as bpftool's `gen.c` writes them: the libbpf skeleton
//! (`gen skeleton`), the light skeleton (`gen skeleton -L`, whose loader program comes from
//! libbpf) and the subskeleton (`gen subskeleton`).
//!
//! The text is built in memory, from the [`Object`] model only, so that a failure half-way
//! leaves no partial header behind. bpftool writes its templates with baseline tabs that
//! `codegen()` strips; here they are written as they come out.

use std::fmt::Write as _;

use crate::btf::{Kind, LINKAGE_STATIC};

use super::decl::{DeclError, DeclWriter};
use super::open::{align_of, skip_mods};
use super::{
    sanitize_identifier, Map, Object, F_MMAPABLE, F_RDONLY_PROG, MAP_TYPE_ARENA,
    MAP_TYPE_STRUCT_OPS,
};

/// `BPF_PROG_TYPE_RAW_TRACEPOINT`.
const PROG_TYPE_RAW_TRACEPOINT: u32 = 17;
/// `BPF_PROG_TYPE_TRACING`.
const PROG_TYPE_TRACING: u32 = 26;
/// `BPF_PROG_TYPE_LSM`.
const PROG_TYPE_LSM: u32 = 29;
/// `BPF_TRACE_ITER`.
const TRACE_ITER: u32 = 28;
/// `offsetof(struct bpf_map_skeleton, link)`: the size bpftool declares unless struct_ops
/// maps need the `link` field.
const MAP_SKEL_SZ_NO_LINK: usize = 24;
/// `sizeof(struct bpf_map_skeleton)`.
const MAP_SKEL_SZ: usize = 32;
/// bpftool keeps identifiers in 256-byte buffers.
const IDENT_MAX: usize = 255;

/// Why a header could not be generated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenError {
    /// bpftool's own error message.
    #[error("{0}")]
    Msg(String),
    /// A declaration could not be written from the BTF.
    #[error("failed to write a C declaration: {0}")]
    Decl(#[from] DeclError),
}

fn msg(s: impl Into<String>) -> GenError {
    GenError::Msg(s.into())
}

/// What libbpf's loader generator produced for a light skeleton.
#[derive(Debug, Clone, Default)]
pub struct LoaderBlob {
    /// `gen_loader_opts.data`.
    pub data: Vec<u8>,
    /// `gen_loader_opts.insns`.
    pub insns: Vec<u8>,
    /// `bpf_map__initial_value` of each map after the (recorded) load, in the model's map
    /// order: `.kconfig` then holds the values libbpf read from the kernel config.
    pub initial_values: Vec<Option<Vec<u8>>>,
}

/// bpftool's `get_header_guard`: `__NAME_SUFFIX__` in upper case.
fn header_guard(obj_name: &str, suffix: &str) -> String {
    format!("__{obj_name}_{suffix}__").to_ascii_uppercase()
}

/// bpftool's `print_hex`: a C string literal body, lines cut before 78 columns.
fn print_hex(out: &mut String, data: &[u8]) {
    let mut len = 0;
    for &b in data {
        let w = if b == 0 { 2 } else { 4 };
        len += w;
        if len > 78 {
            out.push_str("\\\n");
            len = w;
        }
        if b == 0 {
            out.push_str("\\0");
        } else {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\x");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// A variable's identifier as bpftool sanitizes it (a function's static `f.x` -> `f_x`).
fn var_ident(name: &str) -> String {
    let mut s = sanitize_identifier(name);
    s.truncate(IDENT_MAX);
    s
}

/// The maps the skeleton lists, with their identifiers.
fn named_maps<'m>(obj: &'m Object<'_>) -> Vec<(&'m Map, String)> {
    obj.maps
        .iter()
        .filter_map(|m| obj.map_ident(m).map(|id| (m, id)))
        .collect()
}

/// Which skeleton a check is for: subskeletons have no `links` struct.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Skeleton,
    Light,
    Subskeleton,
}

/// Checks that every identifier the header declares is one C accepts, and that no struct
/// gets two members of the same name (bpftool would write a header that does not compile).
fn check_identifiers(obj: &Object<'_>, obj_name: &str, flavour: Flavour) -> Result<(), GenError> {
    if !super::is_c_identifier(obj_name) {
        return Err(msg(format!(
            "object name '{obj_name}' is not a valid C identifier, use 'name NAME'"
        )));
    }
    let mut maps = std::collections::HashSet::new();
    for (m, ident) in named_maps(obj) {
        if !super::is_c_identifier(&ident) {
            return Err(msg(format!(
                "map '{}' has no valid C identifier ('{ident}')",
                m.name
            )));
        }
        if !maps.insert(ident.clone()) {
            return Err(msg(format!(
                "two maps share the skeleton name '{ident}' (map '{}')",
                m.name
            )));
        }
    }
    let mut links = std::collections::HashSet::new();
    for p in &obj.programs {
        if !super::is_c_identifier(&p.name) {
            return Err(msg(format!(
                "program '{}' has no valid C identifier",
                p.name
            )));
        }
        if !links.insert(p.name.clone()) {
            return Err(msg(format!("two programs are named '{}'", p.name)));
        }
    }
    for (m, ident) in named_maps(obj) {
        if flavour == Flavour::Subskeleton {
            break;
        }
        if m.map_type == MAP_TYPE_STRUCT_OPS && !links.insert(ident.clone()) {
            let what = if flavour == Flavour::Light {
                "link fd"
            } else {
                "link"
            };
            return Err(msg(format!(
                "struct_ops map '{ident}' and program '{ident}' would share the skeleton {what} 'links.{ident}'"
            )));
        }
    }
    Ok(())
}

/// `gen skeleton FILE`: the libbpf skeleton.
pub fn skeleton(obj: &Object<'_>, obj_name: &str) -> Result<String, GenError> {
    check_identifiers(obj, obj_name, Flavour::Skeleton)?;
    let guard = header_guard(obj_name, "SKEL_H");
    let n = obj_name;
    let mut o = String::with_capacity(obj.data.len() * 4 + 16 * 1024);
    let _ = write!(
        o,
        "/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */\n\
         \n\
         /* THIS FILE IS AUTOGENERATED BY BPFTOOL! */\n\
         #ifndef {guard}\n\
         #define {guard}\n\
         \n\
         #include <errno.h>\n\
         #include <stdlib.h>\n\
         #include <bpf/libbpf.h>\n\
         \n\
         #define BPF_SKEL_SUPPORTS_MAP_AUTO_ATTACH 1\n\
         \n\
         struct {n} {{\n\
         \tstruct bpf_object_skeleton *skeleton;\n\
         \tstruct bpf_object *obj;\n"
    );
    skel_struct_members(&mut o, obj, n, false)?;
    let _ = write!(
        o,
        "\n\
         #ifdef __cplusplus\n\
         \tstatic inline struct {n} *open(const struct bpf_object_open_opts *opts = nullptr);\n\
         \tstatic inline struct {n} *open_and_load();\n\
         \tstatic inline int load(struct {n} *skel);\n\
         \tstatic inline int attach(struct {n} *skel);\n\
         \tstatic inline void detach(struct {n} *skel);\n\
         \tstatic inline void destroy(struct {n} *skel);\n\
         \tstatic inline const void *elf_bytes(size_t *sz);\n\
         #endif /* __cplusplus */\n\
         }};\n\
         \n\
         static void\n\
         {n}__destroy(struct {n} *obj)\n\
         {{\n\
         \tif (!obj)\n\
         \t\treturn;\n\
         \tif (obj->skeleton)\n\
         \t\tbpf_object__destroy_skeleton(obj->skeleton);\n\
         \tfree(obj);\n\
         }}\n\
         \n\
         static inline int\n\
         {n}__create_skeleton(struct {n} *obj);\n\
         \n\
         static inline struct {n} *\n\
         {n}__open_opts(const struct bpf_object_open_opts *opts)\n\
         {{\n\
         \tstruct {n} *obj;\n\
         \tint err;\n\
         \n\
         \tobj = (struct {n} *)calloc(1, sizeof(*obj));\n\
         \tif (!obj) {{\n\
         \t\terrno = ENOMEM;\n\
         \t\treturn NULL;\n\
         \t}}\n\
         \n\
         \terr = {n}__create_skeleton(obj);\n\
         \tif (err)\n\
         \t\tgoto err_out;\n\
         \n\
         \terr = bpf_object__open_skeleton(obj->skeleton, opts);\n\
         \tif (err)\n\
         \t\tgoto err_out;\n\
         \n"
    );
    st_ops_shadow_init(&mut o, obj);
    let _ = write!(
        o,
        "\treturn obj;\n\
         err_out:\n\
         \t{n}__destroy(obj);\n\
         \terrno = -err;\n\
         \treturn NULL;\n\
         }}\n\
         \n\
         static inline struct {n} *\n\
         {n}__open(void)\n\
         {{\n\
         \treturn {n}__open_opts(NULL);\n\
         }}\n\
         \n\
         static inline int\n\
         {n}__load(struct {n} *obj)\n\
         {{\n\
         \treturn bpf_object__load_skeleton(obj->skeleton);\n\
         }}\n\
         \n\
         static inline struct {n} *\n\
         {n}__open_and_load(void)\n\
         {{\n\
         \tstruct {n} *obj;\n\
         \tint err;\n\
         \n\
         \tobj = {n}__open();\n\
         \tif (!obj)\n\
         \t\treturn NULL;\n\
         \terr = {n}__load(obj);\n\
         \tif (err) {{\n\
         \t\t{n}__destroy(obj);\n\
         \t\terrno = -err;\n\
         \t\treturn NULL;\n\
         \t}}\n\
         \treturn obj;\n\
         }}\n\
         \n\
         static inline int\n\
         {n}__attach(struct {n} *obj)\n\
         {{\n\
         \treturn bpf_object__attach_skeleton(obj->skeleton);\n\
         }}\n\
         \n\
         static inline void\n\
         {n}__detach(struct {n} *obj)\n\
         {{\n\
         \tbpf_object__detach_skeleton(obj->skeleton);\n\
         }}\n\
         \n\
         static inline const void *{n}__elf_bytes(size_t *sz);\n\
         \n\
         static inline int\n\
         {n}__create_skeleton(struct {n} *obj)\n\
         {{\n\
         \tstruct bpf_object_skeleton *s;\n\
         \tstruct bpf_map_skeleton *map __attribute__((unused));\n\
         \tint err;\n\
         \n\
         \ts = (struct bpf_object_skeleton *)calloc(1, sizeof(*s));\n\
         \tif (!s)\t{{\n\
         \t\terr = -ENOMEM;\n\
         \t\tgoto err;\n\
         \t}}\n\
         \n\
         \ts->sz = sizeof(*s);\n\
         \ts->name = \"{n}\";\n\
         \ts->obj = &obj->obj;\n"
    );
    maps_skeleton(&mut o, obj, true, true);
    progs_skeleton(&mut o, obj, true);
    let _ = write!(
        o,
        "\n\
         \ts->data = {n}__elf_bytes(&s->data_sz);\n\
         \n\
         \tobj->skeleton = s;\n\
         \treturn 0;\n\
         err:\n\
         \tbpf_object__destroy_skeleton(s);\n\
         \treturn err;\n\
         }}\n\
         \n\
         static inline const void *{n}__elf_bytes(size_t *sz)\n\
         {{\n\
         \tstatic const char data[] __attribute__((__aligned__(8))) = \"\\\n"
    );
    print_hex(&mut o, obj.data);
    let _ = write!(
        o,
        "\";\n\
         \n\
         \t*sz = sizeof(data) - 1;\n\
         \treturn (const void *)data;\n\
         }}\n\
         \n\
         #ifdef __cplusplus\n\
         struct {n} *{n}::open(const struct bpf_object_open_opts *opts) {{ return {n}__open_opts(opts); }}\n\
         struct {n} *{n}::open_and_load() {{ return {n}__open_and_load(); }}\n\
         int {n}::load(struct {n} *skel) {{ return {n}__load(skel); }}\n\
         int {n}::attach(struct {n} *skel) {{ return {n}__attach(skel); }}\n\
         void {n}::detach(struct {n} *skel) {{ {n}__detach(skel); }}\n\
         void {n}::destroy(struct {n} *skel) {{ {n}__destroy(skel); }}\n\
         const void *{n}::elf_bytes(size_t *sz) {{ return {n}__elf_bytes(sz); }}\n\
         #endif /* __cplusplus */\n\
         \n"
    );
    asserts(&mut o, obj, n);
    let _ = write!(o, "\n#endif /* {guard} */\n");
    Ok(o)
}

/// The members of `struct NAME` up to the data sections (shared by both skeletons).
fn skel_struct_members(
    o: &mut String,
    obj: &Object<'_>,
    n: &str,
    light: bool,
) -> Result<(), GenError> {
    let maps = named_maps(obj);
    if !maps.is_empty() {
        o.push_str("\tstruct {\n");
        for (_, ident) in &maps {
            if light {
                let _ = writeln!(o, "\t\tstruct bpf_map_desc {ident};");
            } else {
                let _ = writeln!(o, "\t\tstruct bpf_map *{ident};");
            }
        }
        o.push_str("\t} maps;\n");
    }
    st_ops_shadow(o, obj, n)?;
    if !obj.programs.is_empty() {
        o.push_str("\tstruct {\n");
        for p in &obj.programs {
            if light {
                let _ = writeln!(o, "\t\tstruct bpf_prog_desc {};", p.name);
            } else {
                let _ = writeln!(o, "\t\tstruct bpf_program *{};", p.name);
            }
        }
        o.push_str("\t} progs;\n");
    }
    let st_ops: Vec<&String> = maps
        .iter()
        .filter(|(m, _)| m.map_type == MAP_TYPE_STRUCT_OPS)
        .map(|(_, id)| id)
        .collect();
    if !obj.programs.is_empty() || !st_ops.is_empty() {
        o.push_str("\tstruct {\n");
        for p in &obj.programs {
            if light {
                let _ = writeln!(o, "\t\tint {}_fd;", p.name);
            } else {
                let _ = writeln!(o, "\t\tstruct bpf_link *{};", p.name);
            }
        }
        for ident in st_ops {
            if light {
                let _ = writeln!(o, "\t\tint {ident}_fd;");
            } else {
                let _ = writeln!(o, "\t\tstruct bpf_link *{ident};");
            }
        }
        o.push_str("\t} links;\n");
    }
    if obj.btf.is_some() {
        datasecs(o, obj, n)?;
    }
    Ok(())
}

/// bpftool's `codegen_datasecs`: one struct per memory-mapped data section, with explicit
/// padding where the layout for a 32-bit host could differ from the BPF one.
fn datasecs(o: &mut String, obj: &Object<'_>, n: &str) -> Result<(), GenError> {
    let Some(btf) = obj.btf.as_ref() else {
        return Ok(());
    };
    let mut d = DeclWriter::new(btf);
    for m in &obj.maps {
        let Some(ident) = obj.mmaped_ident(m) else {
            continue;
        };
        let Some(sec) = obj.datasec_by_ident(&ident) else {
            // e.g. .rodata.cst16 with only compiler-made constants: no DATASEC.
            let _ = write!(o, "\tstruct {n}__{ident} {{\n\t}} *{ident};\n");
            continue;
        };
        let strip_mods = sec.name != ".kconfig";
        let _ = writeln!(o, "\tstruct {n}__{} {{", sec.ident);
        let mut off: i64 = 0;
        let mut pad_cnt = 0;
        for (i, v) in sec.vars.iter().enumerate() {
            if v.linkage == LINKAGE_STATIC {
                continue;
            }
            let need_off = i64::from(v.offset);
            if off > need_off {
                return Err(msg(format!(
                    "Something is wrong for {}'s variable #{i}: need offset {need_off}, already at {off}.\n",
                    sec.name
                )));
            }
            let align = align_of(btf, v.type_id);
            if align <= 0 {
                return Err(msg(format!(
                    "Failed to determine alignment of variable '{}': {align}",
                    v.name
                )));
            }
            // bpftool lays the struct out for a 32-bit host, the strictest case.
            let align = align.min(4);
            let align_off = (off + align - 1) / align * align;
            if align_off != need_off {
                let _ = writeln!(o, "\t\tchar __pad{pad_cnt}[{}];", need_off - off);
                pad_cnt += 1;
            }
            o.push_str("\t\t");
            let mut buf = Vec::new();
            d.emit_type_decl(
                &mut buf,
                v.type_id,
                var_ident(&v.name).as_bytes(),
                2,
                strip_mods,
            )?;
            o.push_str(&String::from_utf8_lossy(&buf));
            o.push_str(";\n");
            off = i64::from(v.offset) + i64::from(v.size);
        }
        let _ = writeln!(o, "\t}} *{};", sec.ident);
    }
    Ok(())
}

/// bpftool's `codegen_asserts`: the size of every exposed variable, checked at compile time.
fn asserts(o: &mut String, obj: &Object<'_>, n: &str) {
    let Some(btf) = obj.btf.as_ref() else {
        return;
    };
    let _ = write!(
        o,
        "__attribute__((unused)) static void\n\
         {n}__assert(struct {n} *s __attribute__((unused)))\n\
         {{\n\
         #ifdef __cplusplus\n\
         #define _Static_assert static_assert\n\
         #endif\n"
    );
    for m in &obj.maps {
        let Some(ident) = obj.mmaped_ident(m) else {
            continue;
        };
        let Some(sec) = obj.datasec_by_ident(&ident) else {
            continue;
        };
        for v in &sec.vars {
            if v.linkage == LINKAGE_STATIC {
                continue;
            }
            let Ok(size) = btf.resolve_size(v.type_id) else {
                continue;
            };
            let vid = var_ident(&v.name);
            let _ = writeln!(
                o,
                "\t_Static_assert(sizeof(s->{ident}->{vid}) == {size}, \"unexpected size of '{vid}'\");"
            );
        }
    }
    o.push_str(
        "#ifdef __cplusplus\n\
         #undef _Static_assert\n\
         #endif\n\
         }\n",
    );
}

/// bpftool's `codegen_maps_skeleton`.
fn maps_skeleton(o: &mut String, obj: &Object<'_>, mmaped: bool, links: bool) {
    let maps = named_maps(obj);
    if maps.is_empty() {
        return;
    }
    let has_st_ops = obj.maps.iter().any(|m| m.map_type == MAP_TYPE_STRUCT_OPS);
    let sz = if links && has_st_ops {
        MAP_SKEL_SZ
    } else {
        MAP_SKEL_SZ_NO_LINK
    };
    let _ = write!(
        o,
        "\n\
         \t/* maps */\n\
         \ts->map_cnt = {};\n\
         \ts->map_skel_sz = {sz};\n\
         \ts->maps = (struct bpf_map_skeleton *)calloc(s->map_cnt,\n\
         \t\t\tsizeof(*s->maps) > {sz} ? sizeof(*s->maps) : {sz});\n\
         \tif (!s->maps) {{\n\
         \t\terr = -ENOMEM;\n\
         \t\tgoto err;\n\
         \t}}\n",
        maps.len()
    );
    for (i, (m, ident)) in maps.iter().enumerate() {
        let _ = write!(
            o,
            "\n\
             \tmap = (struct bpf_map_skeleton *)((char *)s->maps + {i} * s->map_skel_sz);\n\
             \tmap->name = \"{}\";\n\
             \tmap->map = &obj->maps.{ident};\n",
            m.name
        );
        // is_mmapable_map() overwrites bpftool's identifier buffer ("arena").
        let mut ident = ident.clone();
        if let Some(mm) = obj.mmaped_ident(m) {
            ident = mm;
            if mmaped {
                let _ = writeln!(o, "\tmap->mmaped = (void **)&obj->{ident};");
            }
        }
        if links && m.map_type == MAP_TYPE_STRUCT_OPS {
            let _ = writeln!(o, "\tmap->link = &obj->links.{ident};");
        }
    }
}

/// bpftool's `codegen_progs_skeleton`.
fn progs_skeleton(o: &mut String, obj: &Object<'_>, links: bool) {
    if obj.programs.is_empty() {
        return;
    }
    let _ = write!(
        o,
        "\n\
         \t/* programs */\n\
         \ts->prog_cnt = {};\n\
         \ts->prog_skel_sz = sizeof(*s->progs);\n\
         \ts->progs = (struct bpf_prog_skeleton *)calloc(s->prog_cnt, s->prog_skel_sz);\n\
         \tif (!s->progs) {{\n\
         \t\terr = -ENOMEM;\n\
         \t\tgoto err;\n\
         \t}}\n",
        obj.programs.len()
    );
    for (i, p) in obj.programs.iter().enumerate() {
        let name = &p.name;
        let _ = write!(
            o,
            "\n\
             \ts->progs[{i}].name = \"{name}\";\n\
             \ts->progs[{i}].prog = &obj->progs.{name};\n"
        );
        if links {
            let _ = writeln!(o, "\ts->progs[{i}].link = &obj->links.{name};");
        }
    }
}

/// bpftool's `gen_st_ops_shadow`: for each struct_ops map, a shadow struct exposing its
/// scalar members and its function pointers (as `struct bpf_program *`).
fn st_ops_shadow(o: &mut String, obj: &Object<'_>, n: &str) -> Result<(), GenError> {
    let Some(btf) = obj.btf.as_ref() else {
        return Ok(());
    };
    let mut first = true;
    for m in &obj.maps {
        if m.map_type != MAP_TYPE_STRUCT_OPS {
            continue;
        }
        let Some(ident) = obj.map_ident(m) else {
            continue;
        };
        if first {
            o.push_str("\tstruct {\n");
            first = false;
        }
        let type_id = m.btf_value_type_id;
        let t = btf
            .type_by_id(type_id)
            .filter(|_| type_id != 0)
            .ok_or_else(|| msg(format!("struct_ops map '{}' has no type", m.name)))?;
        let tname = String::from_utf8_lossy(btf.name_of(&t).unwrap_or(b"")).into_owned();
        let _ = writeln!(o, "\t\tstruct {n}__{ident}__{tname} {{");
        // A fresh btf_dump per map, as bpftool creates one in walk_st_ops_shadow_vars().
        let mut d = DeclWriter::new(btf);
        let mut next_offset: u32 = 0;
        for (i, mem) in t.members().enumerate() {
            let (member_type_id, member_type) = skip_mods(btf, mem.type_id)
                .ok_or_else(|| msg(format!("struct_ops map '{}': bad member type", m.name)))?;
            let member_name =
                String::from_utf8_lossy(btf.str_at(mem.name_off).unwrap_or(b"")).into_owned();
            // bpftool divides the raw offset word (bitfield size included) by 8.
            let offset = mem.offset_raw / 8;
            if next_offset < offset {
                let _ = writeln!(o, "\t\t\tchar __padding_{i}[{}];", offset - next_offset);
            }
            let resolve = |id: u32| {
                btf.resolve_size(id)
                    .map_err(|e| msg(format!("Failed to resolve size of {member_name}: {e}\n")))
            };
            match member_type.kind() {
                Kind::Int | Kind::Float | Kind::Enum | Kind::Enum64 => {
                    o.push_str("\t\t\t");
                    let mut buf = Vec::new();
                    d.emit_type_decl(&mut buf, member_type_id, member_name.as_bytes(), 3, false)?;
                    o.push_str(&String::from_utf8_lossy(&buf));
                    o.push_str(";\n");
                    next_offset = offset.wrapping_add(resolve(member_type_id)?);
                }
                Kind::Ptr if is_func_ptr(obj, mem.type_id) => {
                    let _ = writeln!(o, "\t\t\tstruct bpf_program *{member_name};");
                    next_offset = offset.wrapping_add(8);
                }
                _ => {
                    let size = resolve(member_type_id)?;
                    let _ = writeln!(o, "\t\t\tchar __unsupported_{i}[{size}];");
                    next_offset = offset.wrapping_add(size);
                }
            }
        }
        let size = btf.resolve_size(type_id).unwrap_or(0);
        if next_offset < size {
            let _ = writeln!(o, "\t\t\tchar __padding_end[{}];", size - next_offset);
        }
        let _ = writeln!(o, "\t\t}} *{ident};");
    }
    if !first {
        o.push_str("\t} struct_ops;\n");
    }
    Ok(())
}

/// bpftool's `resolve_func_ptr`: a pointer (under modifiers) to a function prototype.
fn is_func_ptr(obj: &Object<'_>, id: u32) -> bool {
    let Some(btf) = obj.btf.as_ref() else {
        return false;
    };
    skip_mods(btf, id)
        .filter(|(_, t)| t.kind() == Kind::Ptr)
        .and_then(|(_, t)| skip_mods(btf, t.size_or_type()))
        .is_some_and(|(_, t)| t.kind() == Kind::FuncProto)
}

/// bpftool's `gen_st_ops_shadow_init`.
fn st_ops_shadow_init(o: &mut String, obj: &Object<'_>) {
    if obj.btf.is_none() {
        return;
    }
    for m in &obj.maps {
        if m.map_type != MAP_TYPE_STRUCT_OPS {
            continue;
        }
        let Some(ident) = obj.map_ident(m) else {
            continue;
        };
        let _ = write!(
            o,
            "\tobj->struct_ops.{ident} = (__typeof__(obj->struct_ops.{ident}))\n\
             \t\tbpf_map__initial_value(obj->maps.{ident}, NULL);\n\
             \n"
        );
    }
}

/// `gen skeleton -L FILE`: the light skeleton, around libbpf's loader program.
pub fn light_skeleton(
    obj: &Object<'_>,
    obj_name: &str,
    blob: &LoaderBlob,
) -> Result<String, GenError> {
    check_identifiers(obj, obj_name, Flavour::Light)?;
    let guard = header_guard(obj_name, "SKEL_H");
    let n = obj_name;
    let page = super::open::page_size();
    let mut o = String::with_capacity((blob.data.len() + blob.insns.len()) * 4 + 16 * 1024);
    let _ = write!(
        o,
        "/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */\n\
         /* THIS FILE IS AUTOGENERATED BY BPFTOOL! */\n\
         #ifndef {guard}\n\
         #define {guard}\n\
         \n\
         #include <bpf/skel_internal.h>\n\
         \n\
         struct {n} {{\n\
         \tstruct bpf_loader_ctx ctx;\n"
    );
    skel_struct_members(&mut o, obj, n, true)?;
    o.push_str("};\n");
    attach_detach(&mut o, obj, n)?;

    // codegen_destroy
    let _ = write!(
        o,
        "static void\n\
         {n}__destroy(struct {n} *skel)\n\
         {{\n\
         \tif (!skel)\n\
         \t\treturn;\n\
         \t{n}__detach(skel);\n"
    );
    for p in &obj.programs {
        let _ = writeln!(o, "\tskel_closenz(skel->progs.{}.prog_fd);", p.name);
    }
    for (m, ident) in named_maps(obj) {
        if m.is_internal() && m.map_flags & F_MMAPABLE != 0 {
            let _ = writeln!(
                o,
                "\tskel_free_map_data(skel->{ident}, skel->maps.{ident}.initial_value, {});",
                m.mmap_size(page)
            );
        }
        let _ = writeln!(o, "\tskel_closenz(skel->maps.{ident}.map_fd);");
    }
    let _ = write!(
        o,
        "\tskel_free(skel);\n\
         }}\n\
         static inline struct {n} *\n\
         {n}__open(void)\n\
         {{\n\
         \tstruct {n} *skel;\n\
         \n\
         \tskel = (struct {n} *)skel_alloc(sizeof(*skel));\n\
         \tif (!skel)\n\
         \t\tgoto cleanup;\n\
         \tskel->ctx.sz = (char *)&skel->links - (char *)skel;\n"
    );
    for (i, m) in obj.maps.iter().enumerate() {
        let Some(ident) = loaded_mmaped_ident(obj, i, blob) else {
            continue;
        };
        o.push_str("\t{\n\t\tstatic const char data[] __attribute__((__aligned__(8))) = \"\\\n");
        if let Some(Some(init)) = blob.initial_values.get(i) {
            print_hex(&mut o, init);
        }
        let _ = write!(
            o,
            "\";\n\
             \n\
             \t\tskel->{ident} = (__typeof__(skel->{ident}))skel_prep_map_data((void *)data, {},\n\
             \t\t\t\t\t\tsizeof(data) - 1);\n\
             \t\tif (!skel->{ident})\n\
             \t\t\tgoto cleanup;\n\
             \t\tskel->maps.{ident}.initial_value = (__u64) (long) skel->{ident};\n\
             \t}}\n",
            m.mmap_size(page)
        );
    }
    let _ = write!(
        o,
        "\treturn skel;\n\
         cleanup:\n\
         \t{n}__destroy(skel);\n\
         \treturn NULL;\n\
         }}\n\
         \n\
         static inline int\n\
         {n}__load(struct {n} *skel)\n\
         {{\n\
         \tstruct bpf_load_and_run_opts opts = {{}};\n\
         \tint err;\n\
         \tstatic const char opts_data[] __attribute__((__aligned__(8))) = \"\\\n"
    );
    print_hex(&mut o, &blob.data);
    o.push_str("\";\n\tstatic const char opts_insn[] __attribute__((__aligned__(8))) = \"\\\n");
    print_hex(&mut o, &blob.insns);
    o.push_str(
        "\";\n\
         \topts.ctx = (struct bpf_loader_ctx *)skel;\n\
         \topts.data_sz = sizeof(opts_data) - 1;\n\
         \topts.data = (void *)opts_data;\n\
         \topts.insns_sz = sizeof(opts_insn) - 1;\n\
         \topts.insns = (void *)opts_insn;\n\
         \n\
         \terr = bpf_load_and_run(&opts);\n\
         \tif (err < 0)\n\
         \t\treturn err;\n",
    );
    for (i, m) in obj.maps.iter().enumerate() {
        let Some(ident) = loaded_mmaped_ident(obj, i, blob) else {
            continue;
        };
        let prot = if m.map_flags & F_RDONLY_PROG != 0 {
            "PROT_READ"
        } else {
            "PROT_READ | PROT_WRITE"
        };
        let _ = write!(
            o,
            "\tskel->{ident} = (__typeof__(skel->{ident}))skel_finalize_map_data(&skel->maps.{ident}.initial_value,\n\
             \t\t\t\t\t{}, {prot}, skel->maps.{ident}.map_fd);\n\
             \tif (!skel->{ident})\n\
             \t\treturn -ENOMEM;\n",
            m.mmap_size(page)
        );
    }
    let _ = write!(
        o,
        "\treturn 0;\n\
         }}\n\
         \n\
         static inline struct {n} *\n\
         {n}__open_and_load(void)\n\
         {{\n\
         \tstruct {n} *skel;\n\
         \n\
         \tskel = {n}__open();\n\
         \tif (!skel)\n\
         \t\treturn NULL;\n\
         \tif ({n}__load(skel)) {{\n\
         \t\t{n}__destroy(skel);\n\
         \t\treturn NULL;\n\
         \t}}\n\
         \treturn skel;\n\
         }}\n\
         \n"
    );
    asserts(&mut o, obj, n);
    let _ = write!(o, "\n#endif /* {guard} */\n");
    Ok(o)
}

/// bpftool's `is_mmapable_map` after libbpf's (recorded) load: an arena map then has an
/// initial value (of size 0) even without `__arena` globals, so light skeletons map it.
fn loaded_mmaped_ident(obj: &Object<'_>, i: usize, blob: &LoaderBlob) -> Option<String> {
    let m = obj.maps.get(i)?;
    if m.map_type == MAP_TYPE_ARENA {
        return blob
            .initial_values
            .get(i)
            .and_then(Option::as_ref)
            .map(|_| "arena".to_owned());
    }
    obj.mmaped_ident(m)
}

/// bpftool's `codegen_attach_detach` for light skeletons.
fn attach_detach(o: &mut String, obj: &Object<'_>, n: &str) -> Result<(), GenError> {
    for p in &obj.programs {
        let pn = &p.name;
        let _ = write!(
            o,
            "\n\
             static inline int\n\
             {n}__{pn}__attach(struct {n} *skel)\n\
             {{\n\
             \tint prog_fd = skel->progs.{pn}.prog_fd;\n"
        );
        match p.prog_type {
            PROG_TYPE_RAW_TRACEPOINT => {
                let tp = p.section.split_once('/').map(|(_, tp)| tp).ok_or_else(|| {
                    msg(format!(
                        "program '{pn}': raw tracepoint section '{}' names no tracepoint",
                        p.section
                    ))
                })?;
                let _ = writeln!(o, "\tint fd = skel_raw_tracepoint_open(\"{tp}\", prog_fd);");
            }
            PROG_TYPE_TRACING | PROG_TYPE_LSM => {
                if p.expected_attach_type == TRACE_ITER {
                    o.push_str("\tint fd = skel_link_create(prog_fd, 0, BPF_TRACE_ITER);\n");
                } else {
                    o.push_str("\tint fd = skel_raw_tracepoint_open(NULL, prog_fd);\n");
                }
            }
            _ => o.push_str("\tint fd = ((void)prog_fd, 0); /* auto-attach not supported */\n"),
        }
        let _ = write!(
            o,
            "\n\
             \tif (fd > 0)\n\
             \t\tskel->links.{pn}_fd = fd;\n\
             \treturn fd;\n\
             }}\n"
        );
    }
    let _ = write!(
        o,
        "\n\
         static inline int\n\
         {n}__attach(struct {n} *skel)\n\
         {{\n\
         \tint ret = 0;\n\
         \n"
    );
    for p in &obj.programs {
        let _ = writeln!(o, "\tret = ret < 0 ? ret : {n}__{}__attach(skel);", p.name);
    }
    let _ = write!(
        o,
        "\treturn ret < 0 ? ret : 0;\n\
         }}\n\
         \n\
         static inline void\n\
         {n}__detach(struct {n} *skel)\n\
         {{\n"
    );
    for p in &obj.programs {
        let _ = writeln!(o, "\tskel_closenz(skel->links.{}_fd);", p.name);
    }
    o.push_str("}\n");
    Ok(())
}

/// `gen subskeleton FILE`: accessors for an object linked into a bigger one. `obj` must be
/// opened with an empty object name, so that internal maps are named after their sections.
pub fn subskeleton(obj: &Object<'_>, obj_name: &str) -> Result<String, GenError> {
    let Some(btf) = obj.btf.as_ref() else {
        return Err(msg(format!("need btf type information for {obj_name}")));
    };
    check_identifiers(obj, obj_name, Flavour::Subskeleton)?;
    let maps = named_maps(obj);
    let mut var_cnt = 0usize;
    for (m, _) in &maps {
        if obj.mmaped_ident(m).is_none() {
            continue;
        }
        if m.btf_value_type_id == 0 {
            // bpftool stops here with no output and exit status 0.
            return Err(msg(format!(
                "map '{}' has no BTF type; cannot describe its variables",
                m.name
            )));
        }
        if let Some(sec) = obj.datasec(m.btf_value_type_id) {
            var_cnt += sec
                .vars
                .iter()
                .filter(|v| v.linkage != LINKAGE_STATIC)
                .count();
        }
    }
    let guard = header_guard(obj_name, "SUBSKEL_H");
    let n = obj_name;
    let mut o = String::with_capacity(16 * 1024);
    let _ = write!(
        o,
        "/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */\n\
         \n\
         /* THIS FILE IS AUTOGENERATED! */\n\
         #ifndef {guard}\n\
         #define {guard}\n\
         \n\
         #include <errno.h>\n\
         #include <stdlib.h>\n\
         #include <bpf/libbpf.h>\n\
         \n\
         struct {n} {{\n\
         \tstruct bpf_object *obj;\n\
         \tstruct bpf_object_subskeleton *subskel;\n"
    );
    if !maps.is_empty() {
        o.push_str("\tstruct {\n");
        for (_, ident) in &maps {
            let _ = writeln!(o, "\t\tstruct bpf_map *{ident};");
        }
        o.push_str("\t} maps;\n");
    }
    st_ops_shadow(&mut o, obj, n)?;
    if !obj.programs.is_empty() {
        o.push_str("\tstruct {\n");
        for p in &obj.programs {
            let _ = writeln!(o, "\t\tstruct bpf_program *{};", p.name);
        }
        o.push_str("\t} progs;\n");
    }
    // codegen_subskel_datasecs
    let mut d = DeclWriter::new(btf);
    for m in &obj.maps {
        let Some(ident) = obj.mmaped_ident(m) else {
            continue;
        };
        let Some(sec) = obj.datasec_by_ident(&ident) else {
            continue;
        };
        let strip_mods = sec.name != ".kconfig";
        let _ = writeln!(o, "\tstruct {n}__{} {{", sec.ident);
        for v in &sec.vars {
            if v.linkage == LINKAGE_STATIC {
                continue;
            }
            let under = skip_mods(btf, v.type_id).map(|(_, t)| t);
            let needs_typeof = under.is_some_and(|t| {
                t.kind() == Kind::Array
                    || (t.kind() == Kind::Ptr
                        && btf
                            .type_by_id(t.size_or_type())
                            .is_some_and(|p| p.kind() == Kind::FuncProto))
            });
            o.push_str("\t\t");
            if needs_typeof {
                o.push_str("__typeof__(");
            }
            let mut buf = Vec::new();
            d.emit_type_decl(&mut buf, v.type_id, b"", 2, strip_mods)?;
            o.push_str(&String::from_utf8_lossy(&buf));
            if needs_typeof {
                o.push(')');
            }
            let _ = writeln!(o, " *{};", v.name);
        }
        let _ = writeln!(o, "\t}} {};", sec.ident);
    }
    let _ = write!(
        o,
        "\n\
         #ifdef __cplusplus\n\
         \tstatic inline struct {n} *open(const struct bpf_object *src);\n\
         \tstatic inline void destroy(struct {n} *skel);\n\
         #endif /* __cplusplus */\n\
         }};\n\
         \n\
         static inline void\n\
         {n}__destroy(struct {n} *skel)\n\
         {{\n\
         \tif (!skel)\n\
         \t\treturn;\n\
         \tif (skel->subskel)\n\
         \t\tbpf_object__destroy_subskeleton(skel->subskel);\n\
         \tfree(skel);\n\
         }}\n\
         \n\
         static inline struct {n} *\n\
         {n}__open(const struct bpf_object *src)\n\
         {{\n\
         \tstruct {n} *obj;\n\
         \tstruct bpf_object_subskeleton *s;\n\
         \tstruct bpf_map_skeleton *map __attribute__((unused));\n\
         \tint err;\n\
         \n\
         \tobj = (struct {n} *)calloc(1, sizeof(*obj));\n\
         \tif (!obj) {{\n\
         \t\terr = -ENOMEM;\n\
         \t\tgoto err;\n\
         \t}}\n\
         \ts = (struct bpf_object_subskeleton *)calloc(1, sizeof(*s));\n\
         \tif (!s) {{\n\
         \t\terr = -ENOMEM;\n\
         \t\tgoto err;\n\
         \t}}\n\
         \ts->sz = sizeof(*s);\n\
         \ts->obj = src;\n\
         \ts->var_skel_sz = sizeof(*s->vars);\n\
         \tobj->subskel = s;\n\
         \n\
         \t/* vars */\n\
         \ts->var_cnt = {var_cnt};\n\
         \ts->vars = (struct bpf_var_skeleton *)calloc({var_cnt}, sizeof(*s->vars));\n\
         \tif (!s->vars) {{\n\
         \t\terr = -ENOMEM;\n\
         \t\tgoto err;\n\
         \t}}\n"
    );
    let mut var_idx = 0;
    for m in &obj.maps {
        let Some(ident) = obj.mmaped_ident(m) else {
            continue;
        };
        let Some(sec) = obj.datasec(m.btf_value_type_id) else {
            continue;
        };
        for v in &sec.vars {
            if v.linkage == LINKAGE_STATIC {
                continue;
            }
            let vn = &v.name;
            let _ = write!(
                o,
                "\n\
                 \ts->vars[{var_idx}].name = \"{vn}\";\n\
                 \ts->vars[{var_idx}].map = &obj->maps.{ident};\n\
                 \ts->vars[{var_idx}].addr = (void **) &obj->{ident}.{vn};\n"
            );
            var_idx += 1;
        }
    }
    maps_skeleton(&mut o, obj, false, false);
    progs_skeleton(&mut o, obj, false);
    o.push_str(
        "\n\
         \terr = bpf_object__open_subskeleton(s);\n\
         \tif (err)\n\
         \t\tgoto err;\n\
         \n",
    );
    st_ops_shadow_init(&mut o, obj);
    let _ = write!(
        o,
        "\treturn obj;\n\
         err:\n\
         \t{n}__destroy(obj);\n\
         \terrno = -err;\n\
         \treturn NULL;\n\
         }}\n\
         \n\
         #ifdef __cplusplus\n\
         struct {n} *{n}::open(const struct bpf_object *src) {{ return {n}__open(src); }}\n\
         void {n}::destroy(struct {n} *skel) {{ {n}__destroy(skel); }}\n\
         #endif /* __cplusplus */\n\
         \n\
         #endif /* {guard} */\n"
    );
    Ok(o)
}
