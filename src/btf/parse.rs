//! Parsing a BTF blob: header, sections, the type index, and libbpf's sanity checks.
//!
//! The checks follow libbpf's `btf_new()` (`btf_parse_hdr`, `btf_parse_str_sec`,
//! `btf_parse_layout_sec`, `btf_parse_type_sec`, `btf_sanity_check`), so that what we accept is
//! what bpftool accepts. Offsets into the blob are kept as `u32`: libbpf takes the blob size as a
//! `__u32` too, and larger blobs are refused up front.

use std::sync::{Arc, OnceLock};

use super::endian::{read_u32, Endianness};
use super::error::BtfError;
use super::kind::{Kind, TYPE_HEADER_SIZE};
use super::types::Type;

/// `BTF_MAGIC`.
pub const BTF_MAGIC: u16 = 0xeb9f;
/// Bytes of the header up to and including `str_len`: the minimum libbpf accepts.
pub const BTF_HEADER_MIN_LEN: u32 = 24;
/// Bytes of the header with the optional `layout_off`/`layout_len` fields.
pub const BTF_HEADER_LAYOUT_LEN: u32 = 32;
/// libbpf's `BTF_MAX_NR_TYPES`: the highest type id plus one may not exceed this.
const MAX_NR_TYPES: u32 = 0x7fff_ffff;
/// libbpf's `BTF_MAX_STR_OFFSET`.
const MAX_STR_OFFSET: u32 = 0x7fff_ffff;
/// Size of one `struct btf_layout` entry.
const LAYOUT_ENTRY_SIZE: u32 = 4;

/// The BTF header fields, decoded to native byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BtfHeader {
    /// `magic` as read in the file's byte order (always 0xeB9F once parsed).
    pub magic: u16,
    /// `version` (1 today; libbpf does not check it, nor do we).
    pub version: u8,
    /// `flags`.
    pub flags: u8,
    /// `hdr_len`: where the sections' offsets count from.
    pub hdr_len: u32,
    /// Offset of the type section after the header.
    pub type_off: u32,
    /// Length of the type section.
    pub type_len: u32,
    /// Offset of the string section after the header.
    pub str_off: u32,
    /// Length of the string section.
    pub str_len: u32,
    /// Offset of the optional kind layout section (0 when the header is too short for it).
    pub layout_off: u32,
    /// Length of the optional kind layout section (0 when absent).
    pub layout_len: u32,
}

/// A parsed BTF blob: its bytes, an index of its type records, and optionally its base.
pub struct Btf {
    pub(crate) data: Vec<u8>,
    pub(crate) endian: Endianness,
    pub(crate) header: BtfHeader,
    /// Absolute offset in `data` of each own type record, then the end of the type section, so
    /// record `i` is `data[type_offs[i]..type_offs[i + 1]]`.
    pub(crate) type_offs: Vec<u32>,
    /// Absolute start and end of the string section in `data`.
    pub(crate) strs: (u32, u32),
    /// Absolute start and end of the layout section in `data` (empty when absent).
    pub(crate) layout: (u32, u32),
    /// First own type id: 1, or the base's highest id plus one.
    pub(crate) start_id: u32,
    /// First own string offset: 0, or the end of the base's strings.
    pub(crate) start_str_off: u32,
    pub(crate) base: Option<Arc<Btf>>,
    /// Pointer size, guessed lazily from the types as libbpf does, or set from an ELF class.
    pub(crate) ptr_size: OnceLock<Option<u32>>,
}

impl std::fmt::Debug for Btf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Btf")
            .field("endian", &self.endian)
            .field("header", &self.header)
            .field("start_id", &self.start_id)
            .field("types", &self.own_type_count())
            .field("has_base", &self.base.is_some())
            .finish()
    }
}

impl Btf {
    /// Parses standalone BTF (type ids start at 1); takes ownership of `data` or copies a slice.
    pub fn parse(data: impl Into<Vec<u8>>) -> Result<Btf, BtfError> {
        Btf::parse_inner(data.into(), None)
    }

    /// Parses split BTF (e.g. a kernel module's) whose ids and strings continue those of `base`.
    pub fn parse_split(data: impl Into<Vec<u8>>, base: Arc<Btf>) -> Result<Btf, BtfError> {
        Btf::parse_inner(data.into(), Some(base))
    }

    fn parse_inner(data: Vec<u8>, base: Option<Arc<Btf>>) -> Result<Btf, BtfError> {
        let size = data.len();
        if u32::try_from(size).is_err() {
            return Err(BtfError::TooLarge(size));
        }
        let (endian, header) = parse_header(&data)?;

        let sections = Sections::locate(&header, size)?;
        check_strings(&data, sections.strs, base.is_some())?;
        if header.layout_len % LAYOUT_ENTRY_SIZE != 0 {
            return Err(BtfError::BadLayoutSection(header.layout_len));
        }

        let (start_id, start_str_off) = match &base {
            None => (1, 0),
            Some(b) => {
                let start_str_off = b
                    .start_str_off
                    .checked_add(b.header.str_len)
                    .ok_or(BtfError::BadStringSection)?;
                let start_id = b
                    .type_count()
                    .checked_add(1)
                    .ok_or(BtfError::TooManyTypes)?;
                (start_id, start_str_off)
            }
        };
        // The total string space must stay addressable by a u32 offset.
        start_str_off
            .checked_add(header.str_len)
            .ok_or(BtfError::BadStringSection)?;

        let mut btf = Btf {
            data,
            endian,
            header,
            type_offs: Vec::new(),
            strs: sections.strs,
            layout: sections.layout,
            start_id,
            start_str_off,
            base,
            ptr_size: OnceLock::new(),
        };
        btf.type_offs = btf.index_types(sections.types)?;
        btf.sanity_check()?;
        Ok(btf)
    }

    /// One pass over the type section recording where each record starts.
    fn index_types(&self, (start, end): (u32, u32)) -> Result<Vec<u32>, BtfError> {
        // Grows as records are found rather than trusting a count; the average vmlinux record is
        // about 36 bytes, so this rarely reallocates and never over-allocates much.
        let mut offs: Vec<u32> = Vec::with_capacity((end - start) as usize / 32 + 1);
        let mut pos = start;
        while end - pos >= TYPE_HEADER_SIZE as u32 {
            let id = self
                .start_id
                .checked_add(u32::try_from(offs.len()).map_err(|_| BtfError::TooManyTypes)?)
                .filter(|id| *id < MAX_NR_TYPES)
                .ok_or(BtfError::TooManyTypes)?;
            let info = read_u32(&self.data, pos as usize + 4, self.endian).ok_or(
                BtfError::TruncatedType {
                    id,
                    off: pos - start,
                },
            )?;
            let kind = ((info >> 24) & 0x7f) as u8;
            let vlen = info & 0x00ff_ffff;
            let rec_size = self.record_size(id, kind, vlen)?;
            if rec_size > u64::from(end - pos) {
                return Err(BtfError::TruncatedType {
                    id,
                    off: pos - start,
                });
            }
            offs.push(pos);
            // Fits: rec_size <= end - pos.
            pos += rec_size as u32;
        }
        if pos != end {
            return Err(BtfError::TrailingTypeBytes(end - pos));
        }
        offs.push(end);
        offs.shrink_to_fit();
        Ok(offs)
    }

    /// Size of a record with this kind and vlen, as libbpf's `btf_type_size()`.
    fn record_size(&self, id: u32, kind: u8, vlen: u32) -> Result<u64, BtfError> {
        let (info_size, entry_size) = match Kind::from_raw(kind) {
            // libbpf sizes kind 0 through the layout section too: it has no fixed shape.
            Some(k) if k != Kind::Unknown => (k.info_size() as u64, k.vlen_entry_size() as u64),
            _ => self.layout_sizes(id, kind)?,
        };
        // vlen < 2^24 and entry_size < 2^8: no overflow in u64.
        Ok(TYPE_HEADER_SIZE as u64 + info_size + u64::from(vlen) * entry_size)
    }

    /// Sizes of a kind we do not know, from our layout section or else the base's.
    fn layout_sizes(&self, id: u32, kind: u8) -> Result<(u64, u64), BtfError> {
        let owner = if self.layout.0 < self.layout.1 {
            self
        } else {
            match self.base.as_deref() {
                Some(base) => base,
                None => return Err(BtfError::UnknownKind { id, kind }),
            }
        };
        let (start, end) = owner.layout;
        let entry = u32::from(kind)
            .checked_mul(LAYOUT_ENTRY_SIZE)
            .and_then(|o| o.checked_add(start))
            .filter(|o| o.checked_add(LAYOUT_ENTRY_SIZE).is_some_and(|e| e <= end))
            .and_then(|o| owner.data.get(o as usize..o as usize + 2))
            .ok_or(BtfError::UnknownKind { id, kind })?;
        let (info_sz, elem_sz) = match entry {
            [info, elem] => (*info, *elem),
            _ => return Err(BtfError::UnknownKind { id, kind }),
        };
        if info_sz % 4 != 0 || elem_sz % 4 != 0 {
            return Err(BtfError::BadLayout(kind));
        }
        Ok((u64::from(info_sz), u64::from(elem_sz)))
    }

    /// libbpf's `btf_sanity_check()`: names point into the strings, references to existing
    /// types, FUNCs to FUNC_PROTOs. Later code can then trust ids and offsets it reads from
    /// records (every lookup stays checked regardless).
    fn sanity_check(&self) -> Result<(), BtfError> {
        let str_end = self.str_end();
        let last_id = self.type_count();
        let check_str = |id: u32, what: &'static str, off: u32| {
            if off < str_end {
                Ok(())
            } else {
                Err(BtfError::BadTypeString { id, what, off })
            }
        };
        let check_id = |id: u32, target: u32| {
            if target <= last_id {
                Ok(())
            } else {
                Err(BtfError::BadTypeRef { id, target })
            }
        };
        for t in self.types() {
            let id = t.id();
            check_str(id, "type name", t.name_off())?;
            match Kind::from_raw(t.kind_raw()) {
                Some(
                    Kind::Ptr
                    | Kind::Typedef
                    | Kind::Volatile
                    | Kind::Const
                    | Kind::Restrict
                    | Kind::Var
                    | Kind::DeclTag
                    | Kind::TypeTag,
                ) => check_id(id, t.size_or_type())?,
                Some(Kind::Array) => {
                    if let Some(a) = t.array() {
                        check_id(id, a.elem_type)?;
                        check_id(id, a.index_type)?;
                    }
                }
                Some(Kind::Struct | Kind::Union) => {
                    for m in t.members() {
                        check_str(id, "field name", m.name_off)?;
                        check_id(id, m.type_id)?;
                    }
                }
                Some(Kind::Enum | Kind::Enum64) => {
                    for e in t.enum_values() {
                        check_str(id, "enum name", e.name_off)?;
                    }
                }
                Some(Kind::Func) => {
                    let target = t.size_or_type();
                    check_id(id, target)?;
                    let proto = self.type_by_id(target).map(|p| p.kind());
                    if proto != Some(Kind::FuncProto) {
                        return Err(BtfError::FuncNotProto { id, target });
                    }
                }
                Some(Kind::FuncProto) => {
                    // libbpf checks only the params here, not the return type.
                    for p in t.params() {
                        check_str(id, "param name", p.name_off)?;
                        check_id(id, p.type_id)?;
                    }
                }
                Some(Kind::Datasec) => {
                    for v in t.var_secinfos() {
                        check_id(id, v.type_id)?;
                    }
                }
                Some(Kind::Int | Kind::Fwd | Kind::Float | Kind::Unknown) | None => {}
            }
        }
        Ok(())
    }

    /// One past the last valid string offset of this BTF and its bases (where a BTF split on
    /// this one starts its strings).
    pub fn str_end(&self) -> u32 {
        // Checked at parse time not to overflow.
        self.start_str_off.saturating_add(self.header.str_len)
    }

    /// Highest valid type id (base types included); 0 when there are no types at all.
    pub fn type_count(&self) -> u32 {
        // start_id + own count was kept below MAX_NR_TYPES while indexing.
        self.start_id - 1 + self.own_type_count()
    }

    /// Number of types in this BTF alone (not counting void or base types).
    pub fn own_type_count(&self) -> u32 {
        u32::try_from(self.type_offs.len().saturating_sub(1)).unwrap_or(u32::MAX)
    }

    /// First type id that belongs to this BTF (1 unless split).
    pub fn start_id(&self) -> u32 {
        self.start_id
    }

    /// First string offset that belongs to this BTF (0 unless split).
    pub fn start_str_off(&self) -> u32 {
        self.start_str_off
    }

    /// The base BTF of a split BTF.
    pub fn base(&self) -> Option<&Arc<Btf>> {
        self.base.as_ref()
    }

    /// Byte order of the blob.
    pub fn endianness(&self) -> Endianness {
        self.endian
    }

    /// The header, decoded.
    pub fn header(&self) -> &BtfHeader {
        &self.header
    }

    /// The whole blob as parsed (header, sections, padding), in its own byte order.
    pub fn raw_data(&self) -> &[u8] {
        &self.data
    }

    /// The string section's bytes.
    pub fn raw_strings(&self) -> &[u8] {
        self.data
            .get(self.strs.0 as usize..self.strs.1 as usize)
            .unwrap_or(&[])
    }

    /// The kind layout section's bytes (empty when absent).
    pub fn raw_layout(&self) -> &[u8] {
        self.data
            .get(self.layout.0 as usize..self.layout.1 as usize)
            .unwrap_or(&[])
    }

    /// This BTF's own type records, in id order.
    pub fn types(&self) -> Types<'_> {
        Types {
            btf: self,
            windows: self.type_offs.windows(2),
            next_id: self.start_id,
        }
    }

    /// The record of an own type by its index (id - start_id).
    pub(crate) fn own_type(&self, index: usize) -> Option<Type<'_>> {
        let start = *self.type_offs.get(index)?;
        let end = *self.type_offs.get(index.checked_add(1)?)?;
        let record = self.data.get(start as usize..end as usize)?;
        let id = self.start_id.checked_add(u32::try_from(index).ok()?)?;
        Some(Type::new(id, record, self.endian))
    }
}

/// Iterator over a BTF's own types in id order.
#[derive(Clone)]
pub struct Types<'a> {
    btf: &'a Btf,
    windows: std::slice::Windows<'a, u32>,
    next_id: u32,
}

impl<'a> Iterator for Types<'a> {
    type Item = Type<'a>;

    fn next(&mut self) -> Option<Type<'a>> {
        let (start, end) = match self.windows.next()? {
            [start, end] => (*start, *end),
            _ => return None,
        };
        let record = self.btf.data.get(start as usize..end as usize)?;
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        Some(Type::new(id, record, self.btf.endian))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.windows.size_hint()
    }
}

impl ExactSizeIterator for Types<'_> {}
impl std::iter::FusedIterator for Types<'_> {}

/// Reads and checks the header (libbpf's `btf_parse_hdr`, minus the native short-header case).
fn parse_header(data: &[u8]) -> Result<(Endianness, BtfHeader), BtfError> {
    let size = data.len();
    let need = BTF_HEADER_MIN_LEN as usize;
    let fixed = data
        .get(..need)
        .ok_or(BtfError::HeaderTooShort { len: size, need })?;
    let (magic_bytes, version, flags) = match fixed {
        [m0, m1, version, flags, ..] => ([*m0, *m1], *version, *flags),
        _ => return Err(BtfError::HeaderTooShort { len: size, need }),
    };
    let endian = Endianness::from_magic(magic_bytes)
        .ok_or(BtfError::BadMagic(u16::from_le_bytes(magic_bytes)))?;
    let word = |off: usize| read_u32(data, off, endian).unwrap_or(0);
    let hdr_len = word(4);
    // libbpf accepts a shorter native header and zero-fills the rest; nothing produces one,
    // and it cannot describe a string section, so we refuse it in both byte orders.
    if hdr_len < BTF_HEADER_MIN_LEN || hdr_len as usize > size {
        return Err(BtfError::BadHeaderLen { hdr_len, size });
    }
    let has_layout = hdr_len >= BTF_HEADER_LAYOUT_LEN;
    let header = BtfHeader {
        magic: BTF_MAGIC,
        version,
        flags,
        hdr_len,
        type_off: word(8),
        type_len: word(12),
        str_off: word(16),
        str_len: word(20),
        layout_off: if has_layout { word(24) } else { 0 },
        layout_len: if has_layout { word(28) } else { 0 },
    };
    Ok((endian, header))
}

/// Absolute section bounds, checked to lie inside the blob in libbpf's order.
struct Sections {
    types: (u32, u32),
    strs: (u32, u32),
    layout: (u32, u32),
}

impl Sections {
    fn locate(h: &BtfHeader, size: usize) -> Result<Sections, BtfError> {
        // All arithmetic in u64: the u32 fields cannot overflow it.
        let hdr = u64::from(h.hdr_len);
        let meta_left = size as u64 - hdr;
        let bad = |section, problem, off, len| BtfError::BadSection {
            section,
            problem,
            off,
            len,
        };
        if u64::from(h.str_off) + u64::from(h.str_len) > meta_left {
            return Err(bad(
                "string",
                "past the end of the data",
                h.str_off,
                h.str_len,
            ));
        }
        if u64::from(h.type_off) + u64::from(h.type_len) > u64::from(h.str_off) {
            return Err(bad(
                "type",
                "overlaps or follows the string section",
                h.type_off,
                h.type_len,
            ));
        }
        if h.type_off % 4 != 0 {
            return Err(bad(
                "type",
                "not aligned to 4 bytes",
                h.type_off,
                h.type_len,
            ));
        }
        let mut layout = (0, 0);
        if h.layout_len != 0 {
            if h.layout_off % 4 != 0 {
                return Err(bad(
                    "layout",
                    "not aligned to 4 bytes",
                    h.layout_off,
                    h.layout_len,
                ));
            }
            let layout_end = u64::from(h.layout_off) + u64::from(h.layout_len);
            if u64::from(h.layout_off) < u64::from(h.type_off) + u64::from(h.type_len)
                || layout_end > u64::from(h.str_off)
            {
                return Err(bad(
                    "layout",
                    "not between the type and string sections",
                    h.layout_off,
                    h.layout_len,
                ));
            }
            layout = (abs(hdr + u64::from(h.layout_off))?, abs(hdr + layout_end)?);
        }
        let type_start = hdr + u64::from(h.type_off);
        let str_start = hdr + u64::from(h.str_off);
        Ok(Sections {
            types: (abs(type_start)?, abs(type_start + u64::from(h.type_len))?),
            strs: (abs(str_start)?, abs(str_start + u64::from(h.str_len))?),
            layout,
        })
    }
}

/// An absolute offset already checked to be within a blob of at most `u32::MAX` bytes.
fn abs(off: u64) -> Result<u32, BtfError> {
    u32::try_from(off).map_err(|_| BtfError::TooLarge(usize::MAX))
}

/// libbpf's `btf_parse_str_sec`: non-empty (unless split), NUL-terminated, and for standalone
/// BTF starting with the empty string.
fn check_strings(data: &[u8], (start, end): (u32, u32), split: bool) -> Result<(), BtfError> {
    let strs = data
        .get(start as usize..end as usize)
        .ok_or(BtfError::BadStringSection)?;
    if split && strs.is_empty() {
        return Ok(());
    }
    let len = u32::try_from(strs.len()).map_err(|_| BtfError::BadStringSection)?;
    if len == 0 || len - 1 > MAX_STR_OFFSET || strs.last() != Some(&0) {
        return Err(BtfError::BadStringSection);
    }
    if !split && strs.first() != Some(&0) {
        return Err(BtfError::FirstStringNotEmpty);
    }
    Ok(())
}
