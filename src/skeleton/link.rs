//! `gen object`: what libbpf's static linker produces, made identical to the newest libbpf.
//!
//! The linker (`linker.c`) is the same in the libbpf bpftool-rs links (1.7.0) and in the
//! libbpf the newest bpftool builds with, but the latter's `struct btf_header` grew two
//! fields (`layout_off`, `layout_len`), so the BTF it creates from scratch — the linked
//! object's `.BTF` — starts with a 32-byte header instead of a 24-byte one, both zero. This
//! module rewrites a linked object that way: the `.BTF` header gains 8 zero bytes and every
//! section after it moves, laid out again exactly as libelf lays out an object it writes
//! (sections in index order, each at the next multiple of its alignment, the section header
//! table at the next multiple of 8).

use object::elf::FileHeader64;
use object::read::elf::{FileHeader, SectionHeader};
use object::Endianness;

/// Size of `Elf64_Ehdr`.
const EHDR_SIZE: usize = 64;
/// Size of `Elf64_Shdr`.
const SHDR_SIZE: usize = 64;
/// `SHT_NOBITS`.
const SHT_NOBITS: u32 = 8;
/// The BTF header libbpf 1.7.0 writes.
const OLD_HDR_LEN: u32 = 24;
/// The BTF header the newest libbpf writes.
const NEW_HDR_LEN: u32 = 32;

/// Why a linked object could not be rewritten.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected linker output: {0}")]
pub struct LinkError(pub &'static str);

struct Sec {
    offset: u64,
    size: u64,
    align: u64,
    nobits: bool,
}

fn roundup(x: u64, a: u64) -> Option<u64> {
    let a = a.max(1);
    x.div_ceil(a).checked_mul(a)
}

/// libelf's layout of sections of these sizes: each section's offset and where the section
/// header table goes (`None` if it does not fit in 64 bits).
fn layout(secs: &[Sec]) -> Option<(Vec<u64>, u64)> {
    let mut cur = EHDR_SIZE as u64;
    let mut offs = Vec::with_capacity(secs.len());
    for (i, s) in secs.iter().enumerate() {
        if i == 0 {
            offs.push(0);
            continue;
        }
        let off = roundup(cur, s.align)?;
        offs.push(off);
        // A NOBITS section takes no bytes, but its alignment still moves the cursor.
        cur = if s.nobits {
            off
        } else {
            off.checked_add(s.size)?
        };
    }
    Some((offs, roundup(cur, 8)?))
}

/// Rewrites a linked object's `.BTF` header from 24 to 32 bytes, moving the sections after
/// it. Objects without `.BTF`, or whose BTF already has a longer header, come back as they
/// are.
pub fn upgrade_btf_header(elf: &[u8]) -> Result<Vec<u8>, LinkError> {
    let header = FileHeader64::<Endianness>::parse(elf).map_err(|_| LinkError("not ELF64"))?;
    let endian = header.endian().map_err(|_| LinkError("byte order"))?;
    let table = header
        .sections(endian, elf)
        .map_err(|_| LinkError("section headers"))?;
    let shoff = header.e_shoff(endian);
    let shnum = table.len();
    if header.e_phnum(endian) != 0 {
        return Err(LinkError("program headers"));
    }
    let mut secs = Vec::with_capacity(shnum);
    let mut btf_idx = None;
    for (i, sh) in table.iter().enumerate() {
        let name = if i == 0 {
            &b""[..]
        } else {
            table
                .section_name(endian, sh)
                .map_err(|_| LinkError("section name"))?
        };
        if name == b".BTF" {
            btf_idx = Some(i);
        }
        secs.push(Sec {
            offset: sh.sh_offset(endian),
            size: sh.sh_size(endian),
            align: sh.sh_addralign(endian),
            nobits: sh.sh_type(endian).0 == SHT_NOBITS,
        });
    }
    let Some(btf_idx) = btf_idx else {
        return Ok(elf.to_vec());
    };
    // Only rewrite what we know to be libelf's layout.
    let (offs, table_off) = layout(&secs).ok_or(LinkError("section sizes"))?;
    let laid_out = secs.iter().zip(&offs).skip(1).all(|(s, &o)| s.offset == o);
    if !laid_out || table_off != shoff {
        return Err(LinkError("sections are not where libelf puts them"));
    }
    let btf = &secs[btf_idx];
    let start = usize::try_from(btf.offset).map_err(|_| LinkError(".BTF offset"))?;
    let len = usize::try_from(btf.size).map_err(|_| LinkError(".BTF size"))?;
    let btf_data = start
        .checked_add(len)
        .and_then(|end| elf.get(start..end))
        .ok_or(LinkError(".BTF outside the file"))?;
    let rd = |off: usize| -> Option<u32> {
        let b: [u8; 4] = btf_data.get(off..off + 4)?.try_into().ok()?;
        Some(match btf_data.get(..2) {
            Some([0x9f, 0xeb]) => u32::from_le_bytes(b),
            Some([0xeb, 0x9f]) => u32::from_be_bytes(b),
            _ => return None,
        })
    };
    let hdr_len = rd(4).ok_or(LinkError(".BTF header"))?;
    if hdr_len != OLD_HDR_LEN {
        return Ok(elf.to_vec());
    }
    let big = matches!(btf_data.get(..2), Some([0xeb, 0x9f]));
    let mut new_btf = Vec::with_capacity(len + 8);
    new_btf.extend_from_slice(&btf_data[..4]);
    new_btf.extend_from_slice(&if big {
        NEW_HDR_LEN.to_be_bytes()
    } else {
        NEW_HDR_LEN.to_le_bytes()
    });
    new_btf.extend_from_slice(&btf_data[8..OLD_HDR_LEN as usize]);
    new_btf.extend_from_slice(&[0u8; 8]);
    new_btf.extend_from_slice(&btf_data[OLD_HDR_LEN as usize..]);

    secs[btf_idx].size = secs[btf_idx]
        .size
        .checked_add(8)
        .ok_or(LinkError(".BTF size"))?;
    let (new_offs, new_table_off) = layout(&secs).ok_or(LinkError("section sizes"))?;
    let table_len = shnum * SHDR_SIZE;
    let total = usize::try_from(new_table_off)
        .ok()
        .and_then(|t| t.checked_add(table_len))
        // Moving sections by 8 bytes can only add alignment padding; anything much larger
        // is not a layout the linker made.
        .filter(|&t| t <= elf.len().saturating_add(8 + 64 * shnum))
        .ok_or(LinkError("size"))?;
    let mut out = vec![0u8; total];
    out[..EHDR_SIZE].copy_from_slice(&elf[..EHDR_SIZE]);
    let put64 = |buf: &mut [u8], off: usize, v: u64| {
        let b = match endian {
            Endianness::Little => v.to_le_bytes(),
            Endianness::Big => v.to_be_bytes(),
        };
        buf[off..off + 8].copy_from_slice(&b);
    };
    // e_shoff
    put64(&mut out, 40, new_table_off);
    for (i, s) in secs.iter().enumerate().skip(1) {
        if s.nobits || s.size == 0 {
            continue;
        }
        let dst = new_offs[i] as usize;
        if i == btf_idx {
            out[dst..dst + new_btf.len()].copy_from_slice(&new_btf);
        } else {
            let src = s.offset as usize;
            let n = s.size as usize;
            let data = elf
                .get(src..src + n)
                .ok_or(LinkError("section outside the file"))?;
            out[dst..dst + n].copy_from_slice(data);
        }
    }
    let old_tab = usize::try_from(shoff).map_err(|_| LinkError("shoff"))?;
    let tab = elf
        .get(old_tab..old_tab + table_len)
        .ok_or(LinkError("section header table"))?;
    let new_tab = new_table_off as usize;
    out[new_tab..new_tab + table_len].copy_from_slice(tab);
    for (i, s) in secs.iter().enumerate().skip(1) {
        let sh = new_tab + i * SHDR_SIZE;
        // sh_offset at +24, sh_size at +32.
        put64(&mut out, sh + 24, new_offs[i]);
        put64(&mut out, sh + 32, s.size);
    }
    Ok(out)
}
