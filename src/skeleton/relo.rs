//! libbpf's `bpf_object__collect_relos`, as a check: every relocation of a program, of
//! `.maps` and of struct_ops maps must be one libbpf knows how to apply, or opening fails
//! (bpftool then prints "failed to open BPF object file: Relocation failed").

use crate::btf::Kind;

use super::elf::{
    Section, Symbol, SHN_LORESERVE, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_NOTYPE,
    STT_SECTION,
};
use super::error::{OpenError, OpenErrorKind as K};
use super::open::{
    lossy, skip_mods, Opening, SecType, MAP_TYPE_ARRAY_OF_MAPS, MAP_TYPE_HASH_OF_MAPS,
};
use super::{MapKind, Program, MAP_TYPE_PROG_ARRAY};

/// `BPF_JMP | BPF_CALL`.
const CALL: u8 = 0x85;
/// `BPF_LD | BPF_IMM | BPF_DW`.
const LDIMM64: u8 = 0x18;
/// `BPF_PSEUDO_CALL`.
const PSEUDO_CALL: u8 = 1;
/// `BPF_PROG_TYPE_STRUCT_OPS`.
const PROG_TYPE_STRUCT_OPS: u32 = 27;

fn reloc(detail: String) -> OpenError {
    OpenError::new(K::Reloc, detail)
}

fn format(detail: String) -> OpenError {
    OpenError::new(K::Format, detail)
}

/// Checks every relocation section libbpf would process.
pub(crate) fn collect(o: &Opening<'_, '_>) -> Result<(), OpenError> {
    for (idx, kind) in o.sec_types.iter().enumerate() {
        if *kind != SecType::Relo {
            continue;
        }
        let sec = &o.elf.sections[idx];
        let targ = sec.info as usize;
        if o.sec_types.get(targ) == Some(&SecType::StructOps) {
            st_ops_relos(o, sec)?;
        } else if Some(targ) == o.btf_maps_shndx {
            map_relos(o, sec)?;
        } else {
            prog_relos(o, sec)?;
        }
    }
    Ok(())
}

/// libbpf's `find_prog_by_sec_insn` (subprograms included).
fn find_prog(progs: &[Program], sec_idx: usize, insn: u64) -> Option<&Program> {
    progs.iter().find(|p| {
        p.sec_idx == sec_idx
            && insn >= p.insn_off as u64
            && insn < (p.insn_off as u64).saturating_add(p.insn_cnt as u64)
    })
}

fn sym_is_extern(sym: &Symbol<'_>) -> bool {
    sym.shndx == 0 && (sym.bind == STB_GLOBAL || sym.bind == STB_WEAK) && sym.typ == STT_NOTYPE
}

fn sym_is_subprog(sym: &Symbol<'_>, text_shndx: usize) -> bool {
    if usize::from(sym.shndx) != text_shndx {
        return false;
    }
    if sym.bind == STB_LOCAL && sym.typ == STT_SECTION {
        return true;
    }
    (sym.bind == STB_GLOBAL || sym.bind == STB_WEAK) && sym.typ == STT_FUNC
}

/// libbpf's `bpf_object__collect_prog_relos` and `bpf_program__record_reloc`.
fn prog_relos(o: &Opening<'_, '_>, rel_sec: &Section<'_>) -> Result<(), OpenError> {
    let elf = o.elf;
    let sec_idx = rel_sec.info as usize;
    let rel_name = lossy(rel_sec.name);
    let target = elf
        .section(sec_idx)
        .ok_or_else(|| format(format!("sec '{rel_name}': bad target section")))?;
    for (i, rel) in elf.rels(rel_sec)?.into_iter().enumerate() {
        let sym = elf.sym(rel.sym as usize).ok_or_else(|| {
            format(format!(
                "sec '{rel_name}': symbol #{} not found for relo #{i}",
                rel.sym
            ))
        })?;
        if usize::from(sym.shndx) >= elf.sections.len() {
            return Err(format(format!(
                "sec '{rel_name}': corrupted symbol #{} pointing to invalid section #{} for relo #{i}",
                rel.sym, sym.shndx
            )));
        }
        if rel.offset % 8 != 0 || rel.offset >= target.data.len() as u64 {
            return Err(format(format!(
                "sec '{rel_name}': invalid offset 0x{:x} for relo #{i}",
                rel.offset
            )));
        }
        let insn_idx = rel.offset / 8;
        let sym_name = if sym.typ == STT_SECTION && sym.name_off == 0 {
            elf.section(usize::from(sym.shndx)).map(|s| lossy(s.name))
        } else {
            sym.name.map(lossy)
        }
        .unwrap_or_else(|| "<?".to_owned());
        let Some(prog) = find_prog(&o.progs, sec_idx, insn_idx) else {
            // An overridden weak function: libbpf skips the relocation.
            continue;
        };
        // Checked above: the offset is inside the section.
        let insn = &target.data[rel.offset as usize..];
        record_reloc(
            o,
            prog,
            &sym,
            rel.sym,
            &sym_name,
            insn,
            insn_idx - prog.insn_off as u64,
        )?;
    }
    Ok(())
}

fn record_reloc(
    o: &Opening<'_, '_>,
    prog: &Program,
    sym: &Symbol<'_>,
    sym_idx: u32,
    sym_name: &str,
    insn: &[u8],
    insn_idx: u64,
) -> Result<(), OpenError> {
    let elf = o.elf;
    let pname = &prog.name;
    let code = insn.first().copied().unwrap_or(0);
    let regs = insn.get(1).copied().unwrap_or(0);
    // The register nibbles are swapped in big-endian objects.
    let src_reg = if elf.is_big_endian() {
        regs & 0xf
    } else {
        regs >> 4
    };
    let imm = elf.u32_at(insn, 4) as i32;
    if code != CALL && code != LDIMM64 {
        return Err(reloc(format!(
            "prog '{pname}': invalid relo against '{sym_name}' for insns[{insn_idx}].code 0x{code:x}"
        )));
    }
    if sym_is_extern(sym) {
        let found = o
            .externs
            .iter()
            .any(|(e, _)| sym.name.is_some_and(|n| n == e.name.as_bytes()));
        if !found {
            return Err(reloc(format!(
                "prog '{pname}': extern relo failed to find extern for '{sym_name}' ({sym_idx})"
            )));
        }
        return Ok(());
    }
    let shdr_idx = usize::from(sym.shndx);
    if code == CALL {
        if src_reg != PSEUDO_CALL {
            return Err(reloc(format!("prog '{pname}': incorrect bpf_call opcode")));
        }
        if shdr_idx == 0 || shdr_idx != o.text_shndx {
            return Err(reloc(format!(
                "prog '{pname}': bad call relo against '{sym_name}' in section '{}'",
                elf.section(shdr_idx)
                    .map(|s| lossy(s.name))
                    .unwrap_or_default()
            )));
        }
        if sym.value % 8 != 0 {
            return Err(reloc(format!(
                "prog '{pname}': bad call relo against '{sym_name}' at offset {}",
                sym.value
            )));
        }
        return Ok(());
    }
    if shdr_idx == 0 || sym.shndx >= SHN_LORESERVE {
        return Err(reloc(format!(
            "prog '{pname}': invalid relo against '{sym_name}' in special section 0x{:x}; forgot to initialize global var?..",
            sym.shndx
        )));
    }
    if o.text_shndx != 0 && sym_is_subprog(sym, o.text_shndx) {
        if sym.value % 8 != 0 || imm % 8 != 0 {
            return Err(reloc(format!(
                "prog '{pname}': bad subprog addr relo against '{sym_name}' at offset {}+{imm}",
                sym.value
            )));
        }
        return Ok(());
    }
    let sec_name = elf
        .section(shdr_idx)
        .map(|s| lossy(s.name))
        .unwrap_or_default();
    if Some(shdr_idx) == o.arena_shndx {
        if !o.maps.iter().any(|m| m.map_type == super::MAP_TYPE_ARENA) {
            return Err(reloc(format!(
                "prog '{pname}': bad arena data relocation at insn {insn_idx}, no arena maps defined"
            )));
        }
        return Ok(());
    }
    if Some(shdr_idx) == o.jumptables_shndx {
        return Ok(());
    }
    // bpf_object__section_to_libbpf_map_type
    let data_kind = if shdr_idx == elf.symtab {
        Some(MapKind::Kconfig)
    } else {
        match o.sec_types[shdr_idx] {
            SecType::Bss => Some(MapKind::Bss),
            SecType::Data => Some(MapKind::Data),
            SecType::Rodata => Some(MapKind::Rodata),
            _ => None,
        }
    };
    let Some(kind) = data_kind else {
        if Some(shdr_idx) != o.btf_maps_shndx {
            return Err(reloc(format!(
                "prog '{pname}': bad map relo against '{sym_name}' in section '{sec_name}'"
            )));
        }
        let found = o
            .maps
            .iter()
            .any(|m| !m.is_internal() && m.sec_idx == shdr_idx && m.sec_offset == sym.value);
        if !found {
            return Err(reloc(format!(
                "prog '{pname}': map relo failed to find map for section '{sec_name}', off {}",
                sym.value
            )));
        }
        return Ok(());
    };
    if !matches!(
        o.sec_types[shdr_idx],
        SecType::Bss | SecType::Data | SecType::Rodata
    ) {
        return Err(reloc(format!(
            "prog '{pname}': bad data relo against section '{sec_name}'"
        )));
    }
    if !o
        .maps
        .iter()
        .any(|m| m.kind == kind && m.sec_idx == shdr_idx)
    {
        return Err(reloc(format!(
            "prog '{pname}': data relo failed to find map for section '{sec_name}'"
        )));
    }
    Ok(())
}

/// libbpf's `bpf_object__collect_map_relos`: `.values` slots of map-in-map and prog-array
/// definitions point at maps and programs of the object.
fn map_relos(o: &Opening<'_, '_>, rel_sec: &Section<'_>) -> Result<(), OpenError> {
    let elf = o.elf;
    let inval = |d: String| OpenError::new(K::Inval, d);
    let btf = o
        .btf
        .as_ref()
        .ok_or_else(|| inval(".maps relocations without BTF".into()))?;
    let sec = btf
        .types()
        .find(|t| t.kind() == Kind::Datasec && btf.str_eq(t.name_off(), b".maps"))
        .ok_or_else(|| inval(".maps relocations without a .maps DATASEC".into()))?;
    let infos: Vec<_> = sec.var_secinfos().collect();
    for (i, rel) in elf.rels(rel_sec)?.into_iter().enumerate() {
        let sym = elf
            .sym(rel.sym as usize)
            .ok_or_else(|| format(format!(".maps relo #{i}: symbol {:x} not found", rel.sym)))?;
        let name = sym.name.map(lossy).unwrap_or_else(|| "<?>".to_owned());
        let hit = o.maps.iter().zip(&o.map_var_idx).find_map(|(m, vi)| {
            let vi = infos.get((*vi)?)?;
            let start = u64::from(vi.offset);
            let end = start + u64::from(vi.size);
            (start <= rel.offset && rel.offset.saturating_add(8) <= end).then_some((m, vi))
        });
        let Some((map, vi)) = hit else {
            return Err(inval(format!(
                ".maps relo #{i}: cannot find map '{name}' at rel->r_offset {}",
                rel.offset
            )));
        };
        let is_map_in_map = matches!(map.map_type, MAP_TYPE_ARRAY_OF_MAPS | MAP_TYPE_HASH_OF_MAPS);
        if is_map_in_map {
            if Some(usize::from(sym.shndx)) != o.btf_maps_shndx {
                return Err(reloc(format!(
                    ".maps relo #{i}: '{name}' isn't a BTF-defined map"
                )));
            }
            if map.map_type == MAP_TYPE_HASH_OF_MAPS && map.key_size != 4 {
                return Err(inval(format!(
                    ".maps relo #{i}: hash-of-maps '{}' should have key size 4.",
                    map.name
                )));
            }
            if !o.maps.iter().any(|m| m.name == name) {
                return Err(OpenError::new(
                    K::Srch,
                    format!(".maps relo #{i}: '{name}' isn't a valid map reference"),
                ));
            }
        } else if map.map_type == MAP_TYPE_PROG_ARRAY {
            let targ = o
                .progs
                .iter()
                .find(|p| p.name == name && (o.text_shndx == 0 || p.sec_idx != o.text_shndx))
                .ok_or_else(|| {
                    OpenError::new(
                        K::Srch,
                        format!(".maps relo #{i}: '{name}' isn't a valid program reference"),
                    )
                })?;
            if targ.sec_idx != usize::from(sym.shndx) || targ.insn_off as u64 * 8 != sym.value {
                return Err(reloc(format!(
                    ".maps relo #{i}: '{name}' isn't an entry-point program"
                )));
            }
        } else {
            return Err(inval(format!(
                ".maps relo #{i}: map '{}' has no slots",
                map.name
            )));
        }
        let var = btf
            .type_by_id(vi.type_id)
            .ok_or_else(|| inval("bad map VAR".into()))?;
        let def = skip_mods(btf, var.size_or_type())
            .map(|(_, t)| t)
            .ok_or_else(|| inval("bad map definition".into()))?;
        let last = def
            .members()
            .next_back()
            .ok_or_else(|| inval(format!(".maps relo #{i}: map definition without members")))?;
        if btf.str_at(last.name_off) != Some(&b"values"[..]) {
            return Err(inval(format!(
                ".maps relo #{i}: map definition without 'values'"
            )));
        }
        let moff = u64::from(last.bit_offset / 8);
        let rel_off = rel.offset - u64::from(vi.offset);
        if rel_off < moff || (rel_off - moff) % 8 != 0 {
            return Err(inval(format!(".maps relo #{i}: unexpected slot offset")));
        }
    }
    Ok(())
}

/// libbpf's `bpf_object__collect_st_ops_relos`: function pointers of struct_ops maps point
/// at struct_ops programs.
fn st_ops_relos(o: &Opening<'_, '_>, rel_sec: &Section<'_>) -> Result<(), OpenError> {
    let elf = o.elf;
    let inval = |d: String| OpenError::new(K::Inval, d);
    let btf = o
        .btf
        .as_ref()
        .ok_or_else(|| inval("struct_ops without BTF".into()))?;
    let shndx = rel_sec.info as usize;
    for rel in elf.rels(rel_sec)? {
        let sym = elf
            .sym(rel.sym as usize)
            .ok_or_else(|| format(format!("struct_ops reloc: symbol {:x} not found", rel.sym)))?;
        let map = o
            .maps
            .iter()
            .find(|m| {
                m.kind == MapKind::StructOps
                    && m.sec_idx == shndx
                    && rel.offset >= m.sec_offset
                    && rel.offset < m.sec_offset + u64::from(m.value_size)
            })
            .ok_or_else(|| {
                inval(format!(
                    "struct_ops reloc: cannot find map at rel->r_offset {}",
                    rel.offset
                ))
            })?;
        let moff = rel.offset - map.sec_offset;
        if sym.shndx >= SHN_LORESERVE {
            return Err(reloc(format!(
                "struct_ops reloc {}: rel->r_offset {} shdr_idx {} unsupported non-static function",
                map.name, rel.offset, sym.shndx
            )));
        }
        if sym.value % 8 != 0 {
            return Err(format(format!(
                "struct_ops reloc {}: invalid target program offset {}",
                map.name, sym.value
            )));
        }
        let t = btf
            .type_by_id(map.btf_value_type_id)
            .ok_or_else(|| inval("bad struct_ops type".into()))?;
        let member = t
            .members()
            .find(|m| u64::from(m.bit_offset) == moff * 8)
            .ok_or_else(|| {
                inval(format!(
                    "struct_ops reloc {}: cannot find member at moff {moff}",
                    map.name
                ))
            })?;
        let mname = lossy(btf.str_at(member.name_off).unwrap_or(b""));
        let is_func_ptr = skip_mods(btf, member.type_id)
            .filter(|(_, t)| t.kind() == Kind::Ptr)
            .and_then(|(_, t)| skip_mods(btf, t.size_or_type()))
            .is_some_and(|(_, t)| t.kind() == Kind::FuncProto);
        if !is_func_ptr {
            return Err(inval(format!(
                "struct_ops reloc {}: cannot relocate non func ptr {mname}",
                map.name
            )));
        }
        let prog = find_prog(&o.progs, usize::from(sym.shndx), sym.value / 8).ok_or_else(|| {
            inval(format!(
                "struct_ops reloc {}: cannot find prog at shdr_idx {} to relocate func ptr {mname}",
                map.name, sym.shndx
            ))
        })?;
        if prog.prog_type != PROG_TYPE_STRUCT_OPS {
            return Err(inval(format!(
                "struct_ops reloc {}: prog {} is not struct_ops BPF program",
                map.name, prog.name
            )));
        }
    }
    Ok(())
}
