//! `.BTF.ext`: per-instruction func_info, line_info and CO-RE relocation records of a BPF
//! object file.
//!
//! Checks follow libbpf's `btf_ext_parse()`: the header, then each info subsection's record
//! size and per-ELF-section record counts. Record bytes stay in the file's byte order and are
//! decoded on iteration; like libbpf, non-native data must use the exact record sizes so every
//! field position is known.

use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::slice::ChunksExact;

use super::endian::{field_u32, read_u32, Endianness};
use super::error::BtfError;
use super::parse::Btf;

/// Bytes of the `.BTF.ext` header through `line_info_len`: the minimum libbpf accepts.
pub const BTF_EXT_HEADER_MIN_LEN: u32 = 24;
/// Bytes of the `.BTF.ext` header including `core_relo_off`/`core_relo_len`.
pub const BTF_EXT_HEADER_CORE_LEN: u32 = 32;
/// Bytes of `struct btf_ext_info_sec` (section name offset, record count).
const INFO_SEC_HEADER: u64 = 8;

/// The `.BTF.ext` header, decoded to native byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BtfExtHeader {
    /// `magic` (0xeB9F once parsed).
    pub magic: u16,
    /// `version` (always 1).
    pub version: u8,
    /// `flags` (always 0).
    pub flags: u8,
    /// `hdr_len`.
    pub hdr_len: u32,
    /// Offset of the func_info subsection after the header.
    pub func_info_off: u32,
    /// Length of the func_info subsection.
    pub func_info_len: u32,
    /// Offset of the line_info subsection after the header.
    pub line_info_off: u32,
    /// Length of the line_info subsection.
    pub line_info_len: u32,
    /// Offset of the core_relo subsection, when `hdr_len` includes it (else 0).
    pub core_relo_off: u32,
    /// Length of the core_relo subsection, when `hdr_len` includes it (else 0).
    pub core_relo_len: u32,
}

/// Where one validated info subsection's sections start and end, and its record size.
#[derive(Debug, Clone, Copy)]
struct InfoSub {
    /// Absolute offset just after the record size word.
    start: usize,
    /// Absolute end of the subsection.
    end: usize,
    rec_size: u32,
}

/// A parsed `.BTF.ext` blob.
#[derive(Debug)]
pub struct BtfExt {
    data: Vec<u8>,
    endian: Endianness,
    header: BtfExtHeader,
    func_info: Option<InfoSub>,
    line_info: Option<InfoSub>,
    core_relo: Option<InfoSub>,
}

impl BtfExt {
    /// Parses a `.BTF.ext` blob; takes ownership of `data` or copies a slice.
    pub fn parse(data: impl Into<Vec<u8>>) -> Result<BtfExt, BtfError> {
        let data = data.into();
        let size = data.len();
        let (magic_bytes, version, flags) = match data.get(..8) {
            Some([m0, m1, version, flags, ..]) => ([*m0, *m1], *version, *flags),
            _ => return Err(BtfError::ExtHeaderTooShort(size)),
        };
        let endian = Endianness::from_magic(magic_bytes)
            .ok_or(BtfError::ExtBadMagic(u16::from_le_bytes(magic_bytes)))?;
        if version != 1 {
            return Err(BtfError::ExtBadVersion(version));
        }
        if flags != 0 {
            return Err(BtfError::ExtBadFlags(flags));
        }
        let word = |off: usize| read_u32(&data, off, endian).unwrap_or(0);
        let hdr_len = word(4);
        // Also refuses a header with nothing after it, as libbpf does ("has no data").
        if hdr_len as usize >= size || hdr_len < BTF_EXT_HEADER_MIN_LEN {
            return Err(BtfError::ExtBadHeaderLen { hdr_len, size });
        }
        let has_core = hdr_len >= BTF_EXT_HEADER_CORE_LEN;
        let header = BtfExtHeader {
            magic: super::parse::BTF_MAGIC,
            version,
            flags,
            hdr_len,
            func_info_off: word(8),
            func_info_len: word(12),
            line_info_off: word(16),
            line_info_len: word(20),
            core_relo_off: if has_core { word(24) } else { 0 },
            core_relo_len: if has_core { word(28) } else { 0 },
        };
        let sub = |off, len, min_rec, what| {
            parse_info_sub(&data, endian, hdr_len, off, len, min_rec, what)
        };
        let func_info = sub(
            header.func_info_off,
            header.func_info_len,
            FuncInfo::MIN_SIZE,
            "func_info",
        )?;
        let line_info = sub(
            header.line_info_off,
            header.line_info_len,
            LineInfo::MIN_SIZE,
            "line_info",
        )?;
        let core_relo = if has_core {
            sub(
                header.core_relo_off,
                header.core_relo_len,
                CoreRelo::MIN_SIZE,
                "core_relo",
            )?
        } else {
            None
        };
        Ok(BtfExt {
            data,
            endian,
            header,
            func_info,
            line_info,
            core_relo,
        })
    }

    /// The header, decoded.
    pub fn header(&self) -> &BtfExtHeader {
        &self.header
    }

    /// Byte order of the blob.
    pub fn endianness(&self) -> Endianness {
        self.endian
    }

    /// The whole blob as parsed.
    pub fn raw_data(&self) -> &[u8] {
        &self.data
    }

    fn info<T: ExtRecord>(&self, sub: Option<InfoSub>) -> ExtInfo<'_, T> {
        let (bytes, rec_size) = match sub {
            Some(s) => (self.data.get(s.start..s.end).unwrap_or(&[]), s.rec_size),
            None => (&[][..], T::MIN_SIZE),
        };
        ExtInfo {
            bytes,
            rec_size,
            endian: self.endian,
            _record: PhantomData,
        }
    }

    /// func_info records, grouped by ELF section.
    pub fn func_info(&self) -> ExtInfo<'_, FuncInfo> {
        self.info(self.func_info)
    }

    /// line_info records, grouped by ELF section.
    pub fn line_info(&self) -> ExtInfo<'_, LineInfo> {
        self.info(self.line_info)
    }

    /// CO-RE relocation records, grouped by ELF section.
    pub fn core_relo(&self) -> ExtInfo<'_, CoreRelo> {
        self.info(self.core_relo)
    }
}

/// Validates one info subsection as libbpf's `btf_ext_parse_sec_info()`.
fn parse_info_sub(
    data: &[u8],
    endian: Endianness,
    hdr_len: u32,
    off: u32,
    len: u32,
    min_rec: u32,
    what: &'static str,
) -> Result<Option<InfoSub>, BtfError> {
    let bad = |problem| BtfError::ExtBadInfo { what, problem };
    if len == 0 {
        return Ok(None);
    }
    if off % 4 != 0 {
        return Err(bad("not aligned to 4 bytes"));
    }
    let start = u64::from(hdr_len) + u64::from(off);
    let end = start + u64::from(len);
    if end > data.len() as u64 {
        return Err(bad("beyond the end of .BTF.ext"));
    }
    // Both fit in usize: they are at most data.len().
    let (start, end) = (start as usize, end as usize);
    let rec_size = read_u32(data, start, endian)
        .filter(|_| len >= 4)
        .ok_or(bad("record size not found"))?;
    let native = endian
        == if cfg!(target_endian = "little") {
            Endianness::Little
        } else {
            Endianness::Big
        };
    if rec_size < min_rec || (!native && rec_size != min_rec) || rec_size % 4 != 0 {
        return Err(bad("invalid record size"));
    }
    let first = start + 4;
    if first == end {
        return Err(bad("no records"));
    }
    let mut pos = first as u64;
    while pos < end as u64 {
        let left = end as u64 - pos;
        if left < INFO_SEC_HEADER {
            return Err(bad("section header not found"));
        }
        let num =
            read_u32(data, pos as usize + 4, endian).ok_or(bad("section header not found"))?;
        if num == 0 {
            return Err(bad("section has no records"));
        }
        let total = INFO_SEC_HEADER + u64::from(num) * u64::from(rec_size);
        if total > left {
            return Err(bad("incorrect record count"));
        }
        pos += total;
    }
    Ok(Some(InfoSub {
        start: first,
        end,
        rec_size,
    }))
}

/// A record kind of `.BTF.ext`.
pub trait ExtRecord: Sized + sealed::Sealed {
    /// libbpf's minimum record size; records may be larger (newer compilers) but not smaller.
    const MIN_SIZE: u32;
    /// Decodes the first `MIN_SIZE` bytes of a record.
    fn decode(bytes: &[u8], endian: Endianness) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::FuncInfo {}
    impl Sealed for super::LineInfo {}
    impl Sealed for super::CoreRelo {}
}

/// `struct bpf_func_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FuncInfo {
    /// Offset in the section, in bytes as stored in the object file.
    pub insn_off: u32,
    /// FUNC type id.
    pub type_id: u32,
}

impl ExtRecord for FuncInfo {
    const MIN_SIZE: u32 = 8;

    fn decode(bytes: &[u8], endian: Endianness) -> Self {
        FuncInfo {
            insn_off: field_u32(bytes, 0, endian),
            type_id: field_u32(bytes, 4, endian),
        }
    }
}

/// `struct bpf_line_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LineInfo {
    /// Offset in the section, in bytes as stored in the object file.
    pub insn_off: u32,
    /// String offset of the source file name.
    pub file_name_off: u32,
    /// String offset of the source line text.
    pub line_off: u32,
    /// Line number (high 22 bits) and column (low 10 bits).
    pub line_col: u32,
}

impl LineInfo {
    /// Line number (`BPF_LINE_INFO_LINE_NUM`).
    pub fn line(&self) -> u32 {
        self.line_col >> 10
    }

    /// Column (`BPF_LINE_INFO_LINE_COL`).
    pub fn column(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

impl ExtRecord for LineInfo {
    const MIN_SIZE: u32 = 16;

    fn decode(bytes: &[u8], endian: Endianness) -> Self {
        LineInfo {
            insn_off: field_u32(bytes, 0, endian),
            file_name_off: field_u32(bytes, 4, endian),
            line_off: field_u32(bytes, 8, endian),
            line_col: field_u32(bytes, 12, endian),
        }
    }
}

/// `struct bpf_core_relo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CoreRelo {
    /// Offset in the section, in bytes.
    pub insn_off: u32,
    /// Root type id.
    pub type_id: u32,
    /// String offset of the access specification ("0:1:2").
    pub access_str_off: u32,
    /// `enum bpf_core_relo_kind`, raw.
    pub kind: u32,
}

impl ExtRecord for CoreRelo {
    const MIN_SIZE: u32 = 16;

    fn decode(bytes: &[u8], endian: Endianness) -> Self {
        CoreRelo {
            insn_off: field_u32(bytes, 0, endian),
            type_id: field_u32(bytes, 4, endian),
            access_str_off: field_u32(bytes, 8, endian),
            kind: field_u32(bytes, 12, endian),
        }
    }
}

/// One info subsection: an iterator over its per-ELF-section groups of records.
#[derive(Clone)]
pub struct ExtInfo<'a, T> {
    bytes: &'a [u8],
    rec_size: u32,
    endian: Endianness,
    _record: PhantomData<T>,
}

impl<T> ExtInfo<'_, T> {
    /// Size of each record as the file declares it.
    pub fn rec_size(&self) -> u32 {
        self.rec_size
    }
}

impl<'a, T: ExtRecord> Iterator for ExtInfo<'a, T> {
    type Item = ExtSection<'a, T>;

    fn next(&mut self) -> Option<ExtSection<'a, T>> {
        // Validated at parse; a short read just ends the iteration.
        let sec_name_off = read_u32(self.bytes, 0, self.endian)?;
        let num_info = read_u32(self.bytes, 4, self.endian)?;
        let len = (num_info as usize).checked_mul(self.rec_size as usize)?;
        let end = len.checked_add(INFO_SEC_HEADER as usize)?;
        let records = self.bytes.get(INFO_SEC_HEADER as usize..end)?;
        self.bytes = self.bytes.get(end..).unwrap_or(&[]);
        Some(ExtSection {
            sec_name_off,
            num_info,
            records,
            rec_size: self.rec_size,
            endian: self.endian,
            _record: PhantomData,
        })
    }
}

impl<T: ExtRecord> FusedIterator for ExtInfo<'_, T> {}

/// The records of one ELF section (`struct btf_ext_info_sec` and what follows it).
#[derive(Clone)]
pub struct ExtSection<'a, T> {
    /// String offset of the ELF section name in the BTF string section.
    pub sec_name_off: u32,
    /// Number of records.
    pub num_info: u32,
    records: &'a [u8],
    rec_size: u32,
    endian: Endianness,
    _record: PhantomData<T>,
}

impl<'a, T: ExtRecord> ExtSection<'a, T> {
    /// The ELF section name, looked up in the object's BTF.
    pub fn name<'b>(&self, btf: &'b Btf) -> Option<&'b [u8]> {
        btf.str_at(self.sec_name_off)
    }

    /// The records' bytes as stored.
    pub fn raw_records(&self) -> &'a [u8] {
        self.records
    }

    /// The decoded records.
    pub fn records(&self) -> ExtRecords<'a, T> {
        ExtRecords {
            // rec_size >= MIN_SIZE > 0 was checked at parse; max(1) keeps chunks_exact sound.
            chunks: self.records.chunks_exact((self.rec_size as usize).max(1)),
            endian: self.endian,
            _record: PhantomData,
        }
    }
}

/// Iterator over the records of one ELF section.
#[derive(Clone)]
pub struct ExtRecords<'a, T> {
    chunks: ChunksExact<'a, u8>,
    endian: Endianness,
    _record: PhantomData<T>,
}

impl<T: ExtRecord> Iterator for ExtRecords<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        Some(T::decode(self.chunks.next()?, self.endian))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl<T: ExtRecord> ExactSizeIterator for ExtRecords<'_, T> {}
impl<T: ExtRecord> FusedIterator for ExtRecords<'_, T> {}
