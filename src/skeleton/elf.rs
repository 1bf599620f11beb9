//! The ELF side of a `.bpf.o`: sections, symbols and relocations, read with `object`.
//!
//! Everything libbpf's `bpf_object__elf_init` and `bpf_object__elf_collect` look at, and no
//! more. Offsets and sizes come from a hostile file: every access is checked and a bad one is
//! an [`OpenError`] of kind `Format`, as libbpf's `-LIBBPF_ERRNO__FORMAT`.

use object::elf::{FileHeader64, SectionHeader64, Sym64};
use object::read::elf::{FileHeader, SectionHeader, Sym};
use object::Endianness;

use super::error::{OpenError, OpenErrorKind};

/// `SHT_SYMTAB`.
pub(crate) const SHT_SYMTAB: u32 = 2;
/// `SHT_PROGBITS`.
pub(crate) const SHT_PROGBITS: u32 = 1;
/// `SHT_STRTAB`.
pub(crate) const SHT_STRTAB: u32 = 3;
/// `SHT_NOBITS`.
pub(crate) const SHT_NOBITS: u32 = 8;
/// `SHT_REL`.
pub(crate) const SHT_REL: u32 = 9;
/// `SHT_LLVM_ADDRSIG`.
pub(crate) const SHT_LLVM_ADDRSIG: u32 = 0x6fff_4c03;
/// `SHF_EXECINSTR`.
pub(crate) const SHF_EXECINSTR: u64 = 0x4;
/// `STT_NOTYPE`.
pub(crate) const STT_NOTYPE: u8 = 0;
/// `STT_FUNC`.
pub(crate) const STT_FUNC: u8 = 2;
/// `STT_SECTION`.
pub(crate) const STT_SECTION: u8 = 3;
/// `STB_LOCAL`.
pub(crate) const STB_LOCAL: u8 = 0;
/// `STB_GLOBAL`.
pub(crate) const STB_GLOBAL: u8 = 1;
/// `STB_WEAK`.
pub(crate) const STB_WEAK: u8 = 2;
/// `STV_INTERNAL`.
pub(crate) const STV_INTERNAL: u8 = 1;
/// `STV_HIDDEN`.
pub(crate) const STV_HIDDEN: u8 = 2;
/// `SHN_LORESERVE`.
pub(crate) const SHN_LORESERVE: u16 = 0xff00;
/// Size of an `Elf64_Sym`.
pub(crate) const SYM_SIZE: u64 = 24;
/// Size of an `Elf64_Rel`.
pub(crate) const REL_SIZE: u64 = 16;

/// One section header, with its name and bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Section<'a> {
    /// Section name (empty for the null section).
    pub name: &'a [u8],
    pub sh_type: u32,
    pub flags: u64,
    /// `sh_size` (for `SHT_NOBITS` the size of the zeroed memory).
    pub size: u64,
    pub info: u32,
    pub link: u32,
    pub entsize: u64,
    /// The section's bytes; empty for `SHT_NOBITS`.
    pub data: &'a [u8],
}

/// One `Elf64_Sym`, fields decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Symbol<'a> {
    /// `st_name` (0 for unnamed symbols).
    pub name_off: u32,
    /// The name (empty when `st_name` is 0 or unreadable).
    pub name: Option<&'a [u8]>,
    pub value: u64,
    pub size: u64,
    /// Raw `st_shndx`, as libbpf compares it.
    pub shndx: u16,
    pub bind: u8,
    pub typ: u8,
    pub visibility: u8,
}

/// One `Elf64_Rel`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rel {
    pub offset: u64,
    pub sym: u32,
}

/// A parsed relocatable BPF ELF file.
pub(crate) struct Elf<'a> {
    endian: Endianness,
    /// Sections by index; index 0 is the null section.
    pub sections: Vec<Section<'a>>,
    /// The symbol table (`SHT_SYMTAB`) section index.
    pub symtab: usize,
    /// The symbols' string table section index (`sh_link` of the symbol table).
    pub strtab: usize,
    /// Raw symbol table bytes (a whole number of `Elf64_Sym`s).
    syms: &'a [Sym64<Endianness>],
    strtab_data: &'a [u8],
}

fn format(detail: impl Into<String>) -> OpenError {
    OpenError::new(OpenErrorKind::Format, detail)
}

impl<'a> Elf<'a> {
    /// Reads the headers as libbpf's `bpf_object__elf_init` does: a 64-bit relocatable ELF
    /// for BPF (or for no machine, as old LLVM wrote), in either byte order.
    pub fn parse(data: &'a [u8]) -> Result<Elf<'a>, OpenError> {
        let header = FileHeader64::<Endianness>::parse(data)
            .map_err(|_| format("not a proper ELF object"))?;
        if header.e_ident().class.0 != 2 {
            return Err(format("not a 64-bit ELF object"));
        }
        let endian = header
            .endian()
            .map_err(|_| OpenError::new(OpenErrorKind::Endian, "unknown byte order"))?;
        let machine = header.e_machine(endian).0;
        // ET_REL, and EM_BPF (or EM_NONE from old LLVM).
        if header.e_type(endian).0 != 1 || (machine != 0 && machine != 247) {
            return Err(format("not a valid eBPF object file"));
        }
        let table = header
            .sections(endian, data)
            .map_err(|e| format(format!("section headers: {e}")))?;
        let mut sections = Vec::with_capacity(table.len());
        for (i, sh) in table.iter().enumerate() {
            let name = if i == 0 {
                &b""[..]
            } else {
                table
                    .section_name(endian, sh)
                    .map_err(|_| format(format!("section {i}: unreadable name")))?
            };
            sections.push(read_section(endian, data, sh, name, i)?);
        }
        let mut symtab = None;
        for (i, s) in sections.iter().enumerate() {
            if s.sh_type == SHT_SYMTAB {
                if symtab.is_some() {
                    return Err(format("multiple symbol tables"));
                }
                symtab = Some(i);
            }
        }
        let symtab = symtab.ok_or_else(|| {
            OpenError::new(
                OpenErrorKind::NoEnt,
                "no symbol table (stripped object file?)",
            )
        })?;
        let sym_sec = sections[symtab];
        if sym_sec.entsize != SYM_SIZE {
            return Err(format("symbol table entries are not Elf64_Sym"));
        }
        let strtab = sym_sec.link as usize;
        if strtab == 0 || strtab >= sections.len() {
            return Err(format("symbol strings section missing or invalid"));
        }
        let sh = table
            .section(object::SectionIndex(symtab))
            .map_err(|_| format("symbol table"))?;
        let syms: &[Sym64<Endianness>] = sh
            .data_as_array(endian, data)
            .map_err(|_| format("symbol table is truncated"))?;
        let strtab_data = sections_data(&sections, strtab);
        Ok(Elf {
            endian,
            sections,
            symtab,
            strtab,
            syms,
            strtab_data,
        })
    }

    /// Whether the file is big-endian.
    pub fn is_big_endian(&self) -> bool {
        self.endian == Endianness::Big
    }

    /// The section at `idx`, if any.
    pub fn section(&self, idx: usize) -> Option<&Section<'a>> {
        self.sections.get(idx)
    }

    /// Number of symbols.
    pub fn sym_count(&self) -> usize {
        self.syms.len()
    }

    /// The symbol at `idx`.
    pub fn sym(&self, idx: usize) -> Option<Symbol<'a>> {
        let s = self.syms.get(idx)?;
        let e = self.endian;
        let name_off = s.st_name(e);
        Some(Symbol {
            name_off,
            name: c_str_at(self.strtab_data, name_off as usize),
            value: s.st_value(e),
            size: s.st_size(e),
            shndx: s.st_shndx(e).0,
            bind: s.st_bind().0,
            typ: s.st_type().0,
            visibility: s.st_visibility().0,
        })
    }

    /// The relocations of a `SHT_REL` section.
    pub fn rels(&self, sec: &Section<'a>) -> Result<Vec<Rel>, OpenError> {
        if sec.entsize != REL_SIZE {
            return Err(format("relocation entries are not Elf64_Rel"));
        }
        let n = sec.data.len() / REL_SIZE as usize;
        let mut out = Vec::with_capacity(n);
        for chunk in sec.data.chunks_exact(REL_SIZE as usize) {
            let offset = self.u64_at(chunk, 0);
            let info = self.u64_at(chunk, 8);
            out.push(Rel {
                offset,
                // The symbol index is the high half of r_info.
                sym: (info >> 32) as u32,
            });
        }
        Ok(out)
    }

    /// Reads a `u32` in the file's byte order (0 when out of range).
    pub fn u32_at(&self, bytes: &[u8], off: usize) -> u32 {
        let mut b = [0u8; 4];
        if let Some(s) = off.checked_add(4).and_then(|end| bytes.get(off..end)) {
            b.copy_from_slice(s);
        }
        if self.is_big_endian() {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    /// Reads a `u64` in the file's byte order (0 when out of range).
    pub fn u64_at(&self, bytes: &[u8], off: usize) -> u64 {
        let mut b = [0u8; 8];
        if let Some(s) = off.checked_add(8).and_then(|end| bytes.get(off..end)) {
            b.copy_from_slice(s);
        }
        if self.is_big_endian() {
            u64::from_be_bytes(b)
        } else {
            u64::from_le_bytes(b)
        }
    }
}

fn sections_data<'a>(sections: &[Section<'a>], idx: usize) -> &'a [u8] {
    sections.get(idx).map_or(&[][..], |s| s.data)
}

fn read_section<'a>(
    endian: Endianness,
    data: &'a [u8],
    sh: &'a SectionHeader64<Endianness>,
    name: &'a [u8],
    idx: usize,
) -> Result<Section<'a>, OpenError> {
    let sh_type = sh.sh_type(endian).0;
    let bytes = if idx == 0 || sh_type == SHT_NOBITS {
        &[][..]
    } else {
        sh.data(endian, data).map_err(|_| {
            format(format!(
                "section {idx} ({}) lies outside the file",
                String::from_utf8_lossy(name)
            ))
        })?
    };
    Ok(Section {
        name,
        sh_type,
        flags: sh.sh_flags(endian).0,
        size: sh.sh_size(endian),
        info: sh.sh_info(endian),
        link: sh.sh_link(endian),
        entsize: sh.sh_entsize(endian),
        data: bytes,
    })
}

/// The NUL-terminated string at `off` in a string table.
pub(crate) fn c_str_at(table: &[u8], off: usize) -> Option<&[u8]> {
    let tail = table.get(off..)?;
    let len = tail.iter().position(|&b| b == 0)?;
    tail.get(..len)
}
