//! The BTF edits libbpf makes while opening an object: extern sections laid out
//! (`bpf_object__collect_externs`) and data sections completed from the ELF
//! (`btf_fixup_datasec`). Our [`Btf`] is immutable, so the edits go into a copy of the raw
//! bytes, which is parsed again.

use crate::btf::{Btf, Endianness, Kind, Type, LINKAGE_EXTERN, LINKAGE_GLOBAL, LINKAGE_STATIC};

use super::elf::{Elf, STB_GLOBAL, STB_WEAK, STV_HIDDEN, STV_INTERNAL};
use super::error::{OpenError, OpenErrorKind as K};
use super::{Extern, ExternKind};

/// `STT_OBJECT`.
const STT_OBJECT: u8 = 1;
/// Size of a `btf_var_secinfo`.
const SECINFO_SIZE: usize = 12;

/// A copy of a BTF blob being edited in place.
struct Patch {
    data: Vec<u8>,
    endian: Endianness,
}

impl Patch {
    fn new(btf: &Btf) -> Patch {
        Patch {
            data: btf.raw_data().to_vec(),
            endian: btf.endianness(),
        }
    }

    fn put(&mut self, off: usize, v: u32) {
        let bytes = match self.endian {
            Endianness::Little => v.to_le_bytes(),
            Endianness::Big => v.to_be_bytes(),
        };
        if let Some(dst) = off
            .checked_add(4)
            .and_then(|end| self.data.get_mut(off..end))
        {
            dst.copy_from_slice(&bytes);
        }
    }

    fn finish(self) -> Result<Btf, OpenError> {
        let mut btf = Btf::parse(self.data)
            .map_err(|e| OpenError::new(K::Inval, format!("BTF after fixups: {e}")))?;
        let _ = btf.set_pointer_size(8);
        Ok(btf)
    }
}

/// Where a type's record starts in the BTF blob.
fn record_off(btf: &Btf, t: &Type<'_>) -> usize {
    (t.raw().as_ptr() as usize).saturating_sub(btf.raw_data().as_ptr() as usize)
}

/// libbpf's edits for externs: `.kconfig` variables become allocated globals at their
/// offsets in the `.kconfig` map; `.ksyms` variables become 4-byte ints, one after another.
pub(crate) fn externs(btf: &Btf, externs: &[(Extern, usize)]) -> Result<Btf, OpenError> {
    let mut p = Patch::new(btf);
    let find = |name: &[u8]| externs.iter().find(|(e, _)| e.name.as_bytes() == name);
    let kcfg_sec = externs
        .iter()
        .rev()
        .find_map(|(e, sec)| matches!(e.kind, ExternKind::Kconfig { .. }).then_some(*sec as u32));
    let ksym_sec = externs
        .iter()
        .rev()
        .find_map(|(e, sec)| matches!(e.kind, ExternKind::Ksym { .. }).then_some(*sec as u32));
    if let Some(sec) = ksym_sec.and_then(|id| btf.type_by_id(id)) {
        // find_int_btf_id: the first 32-bit INT.
        let int_id = btf
            .types()
            .find(|t| t.kind() == Kind::Int && t.int_bits() == Some(32))
            .map_or(0, |t| t.id());
        let rec = record_off(btf, &sec);
        let mut off = 0u32;
        for (i, vs) in sec.var_secinfos().enumerate() {
            let vt = btf
                .type_by_id(vs.type_id)
                .ok_or_else(|| OpenError::new(K::Inval, "bad .ksyms entry"))?;
            let name = btf.name_of(&vt).unwrap_or(b"");
            if find(name).is_none() {
                return Err(OpenError::new(
                    K::Srch,
                    format!(
                        "failed to find extern definition for BTF {} '{}'",
                        vt.kind(),
                        String::from_utf8_lossy(name)
                    ),
                ));
            }
            if vt.kind() == Kind::Var {
                let vrec = record_off(btf, &vt);
                p.put(vrec + 12, LINKAGE_GLOBAL);
                p.put(vrec + 8, int_id);
            }
            let e = rec + 12 + i * SECINFO_SIZE;
            p.put(e + 4, off);
            p.put(e + 8, 4);
            off = off.saturating_add(4);
        }
        p.put(rec + 8, off);
    }
    if let Some(sec) = kcfg_sec.and_then(|id| btf.type_by_id(id)) {
        let total = externs
            .iter()
            .filter_map(|(e, _)| match e.kind {
                ExternKind::Kconfig { data_off, size, .. } => Some(data_off + size),
                ExternKind::Ksym { .. } => None,
            })
            .next_back()
            .unwrap_or(0);
        let rec = record_off(btf, &sec);
        p.put(rec + 8, total);
        for (i, vs) in sec.var_secinfos().enumerate() {
            let vt = btf
                .type_by_id(vs.type_id)
                .ok_or_else(|| OpenError::new(K::Inval, "bad .kconfig entry"))?;
            let name = btf.name_of(&vt).unwrap_or(b"");
            let data_off = match find(name).map(|(e, _)| &e.kind) {
                Some(ExternKind::Kconfig { data_off, .. }) => *data_off,
                _ => {
                    return Err(OpenError::new(
                        K::Srch,
                        format!(
                            "failed to find extern definition for BTF var '{}'",
                            String::from_utf8_lossy(name)
                        ),
                    ))
                }
            };
            p.put(record_off(btf, &vt) + 12, LINKAGE_GLOBAL);
            p.put(rec + 12 + i * SECINFO_SIZE + 4, data_off);
        }
    }
    p.finish()
}

/// libbpf's `bpf_object_fixup_btf`: every DATASEC gets its size from the ELF section and its
/// variables' offsets from their symbols when the compiler left them zero, hidden globals
/// become static, and variables are sorted by offset.
pub(crate) fn datasecs(btf: &Btf, elf: &Elf<'_>) -> Result<Btf, OpenError> {
    let mut p = Patch::new(btf);
    for t in btf.types().filter(|t| t.kind() == Kind::Datasec) {
        let name = btf.name_of(&t).ok_or_else(|| {
            OpenError::new(K::NoEnt, "No name found in string section for DATASEC kind")
        })?;
        let shown = String::from_utf8_lossy(name);
        let rec = record_off(btf, &t);
        // (type, offset, size) per variable, as it will be written back.
        let mut infos: Vec<[u32; 3]> = t
            .var_secinfos()
            .map(|v| [v.type_id, v.offset, v.size])
            .collect();
        if name != b".kconfig" && name != b".ksyms" {
            let mut fix_offsets = false;
            if t.size_or_type() == 0 {
                let size = elf
                    .sections
                    .iter()
                    .skip(1)
                    .find(|s| s.name == name)
                    .map(|s| {
                        if s.sh_type == super::elf::SHT_NOBITS {
                            s.size
                        } else {
                            s.data.len() as u64
                        }
                    })
                    .filter(|&s| s > 0)
                    .ok_or_else(|| {
                        OpenError::new(
                            K::NoEnt,
                            format!("sec '{shown}': failed to determine size from ELF"),
                        )
                    })?;
                // libbpf keeps the size in a __u32.
                p.put(rec + 8, size as u32);
                fix_offsets = true;
            }
            for (i, info) in infos.iter_mut().enumerate() {
                let var = btf
                    .type_by_id(info[0])
                    .filter(|v| v.kind() == Kind::Var)
                    .ok_or_else(|| {
                        OpenError::new(
                            K::Inval,
                            format!("sec '{shown}': unexpected non-VAR type found"),
                        )
                    })?;
                let linkage = var.var_linkage().unwrap_or(LINKAGE_STATIC);
                if linkage == LINKAGE_STATIC || linkage == LINKAGE_EXTERN {
                    continue;
                }
                let var_name = btf.name_of(&var).ok_or_else(|| {
                    OpenError::new(
                        K::NoEnt,
                        format!("sec '{shown}': failed to find name of DATASEC's member #{i}"),
                    )
                })?;
                let sym = find_var_sym(elf, var_name)?.ok_or_else(|| {
                    OpenError::new(
                        K::NoEnt,
                        format!(
                            "sec '{shown}': failed to find ELF symbol for VAR '{}'",
                            String::from_utf8_lossy(var_name)
                        ),
                    )
                })?;
                if fix_offsets {
                    // libbpf stores st_value in the 32-bit offset field.
                    info[1] = sym.value as u32;
                }
                if sym.visibility == STV_HIDDEN || sym.visibility == STV_INTERNAL {
                    p.put(record_off(btf, &var) + 12, LINKAGE_STATIC);
                }
            }
        }
        // libbpf qsorts by offset; glibc's qsort is a merge sort, so equal offsets keep
        // their order, as in this stable sort.
        infos.sort_by_key(|info| info[1]);
        for (i, info) in infos.iter().enumerate() {
            let e = rec + 12 + i * SECINFO_SIZE;
            p.put(e, info[0]);
            p.put(e + 4, info[1]);
            p.put(e + 8, info[2]);
        }
    }
    p.finish()
}

/// libbpf's `find_elf_var_sym`: the first global or weak `STT_OBJECT` symbol of this name.
fn find_var_sym<'a>(
    elf: &Elf<'a>,
    name: &[u8],
) -> Result<Option<super::elf::Symbol<'a>>, OpenError> {
    for i in 0..elf.sym_count() {
        let Some(sym) = elf.sym(i) else { continue };
        if sym.typ != STT_OBJECT || (sym.bind != STB_GLOBAL && sym.bind != STB_WEAK) {
            continue;
        }
        let sname = sym.name.ok_or_else(|| {
            OpenError::new(
                K::Format,
                format!(
                    "failed to get sym name string for var {}",
                    String::from_utf8_lossy(name)
                ),
            )
        })?;
        if sname == name {
            return Ok(Some(sym));
        }
    }
    Ok(None)
}
