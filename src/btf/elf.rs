//! Reading `.BTF`, `.BTF.ext` and `.BTF.base` out of an ELF file (a `.bpf.o`, a vmlinux image,
//! a kernel module), as libbpf's `btf_parse_elf()`.

use std::sync::Arc;

use object::elf::{FileHeader32, FileHeader64, SHF_COMPRESSED, SHT_PROGBITS};
use object::read::elf::{FileHeader, SectionHeader};
use object::FileKind;

use super::endian::Endianness;
use super::error::BtfError;
use super::ext::BtfExt;
use super::parse::Btf;

const BTF_SEC: &[u8] = b".BTF";
const BTF_EXT_SEC: &[u8] = b".BTF.ext";
const BTF_BASE_SEC: &[u8] = b".BTF.base";

/// The BTF-related sections of an ELF file, borrowed from its bytes.
#[derive(Debug, Default)]
struct ElfBtfSections<'a> {
    btf: Option<&'a [u8]>,
    ext: Option<&'a [u8]>,
    base: Option<&'a [u8]>,
    /// Pointer size implied by the ELF class.
    ptr_size: u32,
}

fn find_sections(bytes: &[u8]) -> Result<ElfBtfSections<'_>, BtfError> {
    match FileKind::parse(bytes)? {
        FileKind::Elf32 => find_sections_in::<FileHeader32<object::Endianness>>(bytes, 4),
        FileKind::Elf64 => find_sections_in::<FileHeader64<object::Endianness>>(bytes, 8),
        _ => Err(BtfError::Unsupported("not an ELF file")),
    }
}

fn find_sections_in<Elf: FileHeader<Endian = object::Endianness>>(
    bytes: &[u8],
    ptr_size: u32,
) -> Result<ElfBtfSections<'_>, BtfError> {
    let header = Elf::parse(bytes)?;
    let endian = header.endian()?;
    let sections = header.sections(endian, bytes)?;
    let mut found = ElfBtfSections {
        ptr_size,
        ..ElfBtfSections::default()
    };
    for section in sections.iter() {
        // libbpf fails on any section whose name cannot be read, not only on ours.
        let name = sections.section_name(endian, section)?;
        let (slot, label) = match name {
            BTF_SEC => (&mut found.btf, ".BTF"),
            BTF_EXT_SEC => (&mut found.ext, ".BTF.ext"),
            BTF_BASE_SEC => (&mut found.base, ".BTF.base"),
            _ => continue,
        };
        if section.sh_type(endian) != SHT_PROGBITS {
            return Err(BtfError::BadElfSection {
                name: label,
                problem: "not SHT_PROGBITS",
            });
        }
        if section.sh_flags(endian).0 & SHF_COMPRESSED.0 != 0 {
            return Err(BtfError::BadElfSection {
                name: label,
                problem: "compressed",
            });
        }
        *slot = Some(section.data(endian, bytes)?);
    }
    Ok(found)
}

impl Btf {
    /// Parses the `.BTF` section of an ELF file; a `.BTF.base` section (distilled base, as in
    /// out-of-tree modules) becomes the base of the result.
    pub fn from_elf(bytes: &[u8]) -> Result<Btf, BtfError> {
        let secs = find_sections(bytes)?;
        let data = secs.btf.ok_or(BtfError::NoBtfSection)?;
        let mut btf = match secs.base {
            Some(base) => Btf::parse_split(data, Arc::new(Btf::parse(base)?))?,
            None => Btf::parse(data)?,
        };
        btf.set_pointer_size(secs.ptr_size)?;
        Ok(btf)
    }

    /// Parses the `.BTF` section of an ELF file as split BTF on `base` (e.g. a module on vmlinux).
    pub fn from_elf_split(bytes: &[u8], base: Arc<Btf>) -> Result<Btf, BtfError> {
        let secs = find_sections(bytes)?;
        let data = secs.btf.ok_or(BtfError::NoBtfSection)?;
        if secs.base.is_some() {
            // libbpf relocates such BTF onto the real base (btf__relocate); we do not yet.
            return Err(BtfError::Unsupported(
                "relocating .BTF.base distilled BTF onto another base",
            ));
        }
        let mut btf = Btf::parse_split(data, base)?;
        btf.set_pointer_size(secs.ptr_size)?;
        Ok(btf)
    }

    /// Parses raw BTF or, when `bytes` does not start with the BTF magic, the `.BTF` of an ELF
    /// file, as libbpf's `btf__parse_split` does for `bpftool btf dump file`.
    pub fn parse_raw_or_elf(bytes: &[u8], base: Option<Arc<Btf>>) -> Result<Btf, BtfError> {
        let is_raw = matches!(bytes, [m0, m1, ..] if Endianness::from_magic([*m0, *m1]).is_some());
        match (is_raw, base) {
            (true, None) => Btf::parse(bytes),
            (true, Some(base)) => Btf::parse_split(bytes, base),
            (false, None) => Btf::from_elf(bytes),
            (false, Some(base)) => Btf::from_elf_split(bytes, base),
        }
    }

    /// Parses the `.BTF.ext` section of an ELF file, if it has one.
    pub fn ext_from_elf(bytes: &[u8]) -> Result<Option<BtfExt>, BtfError> {
        let secs = find_sections(bytes)?;
        secs.ext.map(BtfExt::parse).transpose()
    }
}
