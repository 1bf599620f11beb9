//! `.BTF` and friends inside ELF files, written by hand so the tests need no toolchain.

use std::sync::Arc;

use bpftool_rs::btf::{Btf, BtfError};

use crate::builder::{build_ext, BtfBuilder};

const SHT_PROGBITS: u32 = 1;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_COMPRESSED: u64 = 1 << 11;

struct Section<'a> {
    name: &'a str,
    sh_type: u32,
    flags: u64,
    data: &'a [u8],
}

fn sec<'a>(name: &'a str, data: &'a [u8]) -> Section<'a> {
    Section {
        name,
        sh_type: SHT_PROGBITS,
        flags: 0,
        data,
    }
}

/// A little-endian ELF64 relocatable file with the given sections (plus null and .shstrtab).
fn elf64(sections: &[Section<'_>]) -> Vec<u8> {
    let mut shstrtab = vec![0u8];
    let mut names = Vec::new();
    for s in sections {
        names.push(shstrtab.len() as u32);
        shstrtab.extend_from_slice(s.name.as_bytes());
        shstrtab.push(0);
    }
    let shstrtab_name = shstrtab.len() as u32;
    shstrtab.extend_from_slice(b".shstrtab\0");

    let mut out = vec![0u8; 64];
    let mut offsets = Vec::new();
    for s in sections {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        offsets.push(out.len() as u64);
        out.extend_from_slice(s.data);
    }
    let shstrtab_off = out.len() as u64;
    out.extend_from_slice(&shstrtab);
    while out.len() % 8 != 0 {
        out.push(0);
    }
    let shoff = out.len() as u64;
    let shnum = sections.len() as u16 + 2;

    let mut shdr = |name: u32, sh_type: u32, flags: u64, off: u64, size: u64| {
        out.extend_from_slice(&name.to_le_bytes());
        out.extend_from_slice(&sh_type.to_le_bytes());
        out.extend_from_slice(&flags.to_le_bytes());
        out.extend_from_slice(&0u64.to_le_bytes()); // addr
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&size.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes()); // link
        out.extend_from_slice(&0u32.to_le_bytes()); // info
        out.extend_from_slice(&1u64.to_le_bytes()); // addralign
        out.extend_from_slice(&0u64.to_le_bytes()); // entsize
    };
    shdr(0, 0, 0, 0, 0);
    for (i, s) in sections.iter().enumerate() {
        shdr(
            names[i],
            s.sh_type,
            s.flags,
            offsets[i],
            s.data.len() as u64,
        );
    }
    shdr(
        shstrtab_name,
        SHT_STRTAB,
        0,
        shstrtab_off,
        shstrtab.len() as u64,
    );

    let mut h = Vec::new();
    h.extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0]);
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&1u16.to_le_bytes()); // ET_REL
    h.extend_from_slice(&247u16.to_le_bytes()); // EM_BPF
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&0u64.to_le_bytes()); // entry
    h.extend_from_slice(&0u64.to_le_bytes()); // phoff
    h.extend_from_slice(&shoff.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes()); // flags
    h.extend_from_slice(&64u16.to_le_bytes()); // ehsize
    h.extend_from_slice(&0u16.to_le_bytes()); // phentsize
    h.extend_from_slice(&0u16.to_le_bytes()); // phnum
    h.extend_from_slice(&64u16.to_le_bytes()); // shentsize
    h.extend_from_slice(&shnum.to_le_bytes());
    h.extend_from_slice(&(shnum - 1).to_le_bytes()); // shstrndx
    out[..64].copy_from_slice(&h);
    out
}

fn small_btf() -> Vec<u8> {
    let mut b = BtfBuilder::new();
    let int = b.int("int", 4, 1, 0, 32);
    b.ptr(int);
    b.build()
}

#[test]
fn reads_btf_and_ext_sections() {
    let btf_data = small_btf();
    let func: &[(u32, &[&[u32]])] = &[(1, &[&[0, 1]])];
    let ext_data = build_ext(false, Some((8, func)), None, None);
    let file = elf64(&[
        sec(".text", &[0; 16]),
        sec(".BTF", &btf_data),
        sec(".BTF.ext", &ext_data),
    ]);
    let btf = Btf::from_elf(&file).unwrap();
    assert_eq!(btf.type_count(), 2);
    assert_eq!(btf.raw_data(), &btf_data[..]);
    // The ELF class decides the pointer size.
    assert_eq!(btf.pointer_size(), Some(8));
    assert_eq!(btf.resolve_size(2).unwrap(), 8);
    let ext = Btf::ext_from_elf(&file).unwrap().unwrap();
    let func_sec = ext.func_info().next().unwrap();
    assert_eq!(func_sec.name(&btf), Some(&b"int"[..]));

    let base = Arc::new(btf);
    let mut s = BtfBuilder::split(base.header().str_len, 2);
    s.typedef("p", 2);
    let split_file = elf64(&[sec(".BTF", &s.build())]);
    let split = Btf::from_elf_split(&split_file, base).unwrap();
    assert_eq!(split.resolve_size(3).unwrap(), 8);
    assert!(Btf::ext_from_elf(&split_file).unwrap().is_none());
}

#[test]
fn distilled_base_section() {
    let base = small_btf();
    let mut s = BtfBuilder::split(5, 2);
    s.typedef("p", 2);
    let file = elf64(&[sec(".BTF.base", &base), sec(".BTF", &s.build())]);
    let btf = Btf::from_elf(&file).unwrap();
    assert_eq!(btf.start_id(), 3);
    assert_eq!(btf.resolve_type(3).unwrap(), 2);
    let other = Arc::new(Btf::parse(small_btf()).unwrap());
    assert!(matches!(
        Btf::from_elf_split(&file, other),
        Err(BtfError::Unsupported(_))
    ));
}

#[test]
fn missing_or_odd_sections() {
    let btf_data = small_btf();
    let file = elf64(&[sec(".text", &[0; 8])]);
    assert_eq!(Btf::from_elf(&file).unwrap_err(), BtfError::NoBtfSection);
    assert!(Btf::ext_from_elf(&file).unwrap().is_none());

    let nobits = elf64(&[Section {
        name: ".BTF",
        sh_type: SHT_NOBITS,
        flags: 0,
        data: &btf_data,
    }]);
    assert!(matches!(
        Btf::from_elf(&nobits),
        Err(BtfError::BadElfSection { .. })
    ));
    let compressed = elf64(&[Section {
        name: ".BTF",
        sh_type: SHT_PROGBITS,
        flags: SHF_COMPRESSED,
        data: &btf_data,
    }]);
    assert!(matches!(
        Btf::from_elf(&compressed),
        Err(BtfError::BadElfSection { .. })
    ));
    // A broken .BTF inside a fine ELF reports the BTF problem.
    let file = elf64(&[sec(".BTF", &btf_data[..30])]);
    assert!(matches!(
        Btf::from_elf(&file),
        Err(BtfError::BadSection { .. })
    ));
}

#[test]
fn not_elf_or_broken_elf() {
    assert!(Btf::from_elf(b"").is_err());
    assert!(Btf::from_elf(b"garbage that is not an ELF file").is_err());
    assert!(Btf::from_elf(&small_btf()).is_err());

    let file = elf64(&[sec(".BTF", &small_btf())]);
    // Every truncation fails cleanly (the section table sits at the end).
    for len in 0..file.len() {
        assert!(Btf::from_elf(&file[..len]).is_err(), "len {len}");
        let _ = Btf::ext_from_elf(&file[..len]);
    }
    // Section offset far past the end.
    let mut bad = file.clone();
    let shoff = u64::from_le_bytes(bad[40..48].try_into().unwrap()) as usize;
    let btf_shdr = shoff + 64;
    bad[btf_shdr + 24..btf_shdr + 32].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(Btf::from_elf(&bad), Err(BtfError::Elf(_))));
    // Section name offset past the string table.
    let mut bad = file.clone();
    bad[btf_shdr..btf_shdr + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Btf::from_elf(&bad).is_err());
}
