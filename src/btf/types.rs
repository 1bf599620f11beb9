//! Zero-copy views of BTF type records.
//!
//! A [`Type`] borrows its record (`struct btf_type` plus whatever follows it) from the owning
//! [`Btf`](super::Btf). The record's length was checked against its kind and vlen when the BTF
//! was parsed, so accessors decode fixed offsets without failing; they still go through checked
//! reads so a parser bug could only yield zeros, never a panic.

use std::fmt;
use std::iter::FusedIterator;
use std::marker::PhantomData;
use std::slice::ChunksExact;

use super::endian::{field_u32, Endianness};
use super::kind::{Kind, TYPE_HEADER_SIZE};

/// `BTF_INT_SIGNED` bit of an INT's encoding.
pub const INT_SIGNED: u8 = 1 << 0;
/// `BTF_INT_CHAR` bit of an INT's encoding.
pub const INT_CHAR: u8 = 1 << 1;
/// `BTF_INT_BOOL` bit of an INT's encoding.
pub const INT_BOOL: u8 = 1 << 2;

/// `BTF_FUNC_STATIC` / `BTF_VAR_STATIC` linkage.
pub const LINKAGE_STATIC: u32 = 0;
/// `BTF_FUNC_GLOBAL` / `BTF_VAR_GLOBAL_ALLOCATED` linkage.
pub const LINKAGE_GLOBAL: u32 = 1;
/// `BTF_FUNC_EXTERN` / `BTF_VAR_GLOBAL_EXTERN` linkage.
pub const LINKAGE_EXTERN: u32 = 2;

/// The record of the void type (id 0), which has no bytes in the type section.
static VOID_RECORD: [u8; TYPE_HEADER_SIZE] = [0; TYPE_HEADER_SIZE];

/// A view of one BTF type record.
#[derive(Clone, Copy)]
pub struct Type<'a> {
    id: u32,
    record: &'a [u8],
    endian: Endianness,
}

impl<'a> Type<'a> {
    /// Wraps a record whose length the parser has validated.
    pub(crate) fn new(id: u32, record: &'a [u8], endian: Endianness) -> Self {
        Type { id, record, endian }
    }

    /// The void type (id 0): kind UNKNOWN, no name, size 0.
    pub fn void() -> Type<'static> {
        Type::new(0, &VOID_RECORD, Endianness::Little)
    }

    /// Type id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// True for the void type, id 0.
    pub fn is_void(&self) -> bool {
        self.id == 0
    }

    /// The whole record as stored: `struct btf_type` and its trailing entries, in file byte order.
    pub fn raw(&self) -> &'a [u8] {
        self.record
    }

    /// Byte order of the record.
    pub fn endianness(&self) -> Endianness {
        self.endian
    }

    fn word(&self, off: usize) -> u32 {
        field_u32(self.record, off, self.endian)
    }

    /// `name_off`: offset of the name in the string section.
    pub fn name_off(&self) -> u32 {
        self.word(0)
    }

    /// The raw `info` word (vlen, kind, kind_flag).
    pub fn info(&self) -> u32 {
        self.word(4)
    }

    /// The raw kind number (bits 24-30 of `info`), including numbers [`Kind`] does not name.
    pub fn kind_raw(&self) -> u8 {
        // Masked to 7 bits, so the cast cannot truncate.
        ((self.info() >> 24) & 0x7f) as u8
    }

    /// The kind; numbers unknown to us (accepted only through a layout section) map to
    /// [`Kind::Unknown`], as bpftool prints them.
    pub fn kind(&self) -> Kind {
        Kind::from_raw(self.kind_raw()).unwrap_or(Kind::Unknown)
    }

    /// `vlen`: number of trailing entries (members, params, enumerators, ...) or FUNC linkage.
    pub fn vlen(&self) -> u32 {
        self.info() & 0x00ff_ffff
    }

    /// `kind_flag` (bit 31 of `info`).
    pub fn kflag(&self) -> bool {
        self.info() >> 31 != 0
    }

    /// The third header word, whatever the kind uses it for (size or type id).
    pub fn size_or_type(&self) -> u32 {
        self.word(8)
    }

    /// Byte size, for INT, STRUCT, UNION, ENUM, ENUM64, DATASEC and FLOAT.
    pub fn size(&self) -> Option<u32> {
        self.kind().has_size().then(|| self.size_or_type())
    }

    /// Referenced type id, for PTR, TYPEDEF, the modifiers, FUNC, FUNC_PROTO (return type),
    /// VAR, DECL_TAG and TYPE_TAG.
    pub fn ref_type(&self) -> Option<u32> {
        self.kind().has_ref_type().then(|| self.size_or_type())
    }

    fn is(&self, kind: Kind) -> bool {
        self.kind() == kind
    }

    /// The word after an INT's header (encoding, offset, bits), raw.
    pub fn int_data(&self) -> Option<u32> {
        self.is(Kind::Int).then(|| self.word(TYPE_HEADER_SIZE))
    }

    /// INT encoding bits (signed, char, bool).
    pub fn int_encoding(&self) -> Option<IntEncoding> {
        // Masked to 4 bits.
        self.int_data()
            .map(|v| IntEncoding(((v & 0x0f00_0000) >> 24) as u8))
    }

    /// INT bit offset (`BTF_INT_OFFSET`).
    pub fn int_offset(&self) -> Option<u8> {
        self.int_data().map(|v| ((v & 0x00ff_0000) >> 16) as u8)
    }

    /// INT width in bits (`BTF_INT_BITS`).
    pub fn int_bits(&self) -> Option<u8> {
        self.int_data().map(|v| (v & 0xff) as u8)
    }

    /// ARRAY element type, index type and element count.
    pub fn array(&self) -> Option<Array> {
        self.is(Kind::Array).then(|| Array {
            elem_type: self.word(TYPE_HEADER_SIZE),
            index_type: self.word(TYPE_HEADER_SIZE + 4),
            nelems: self.word(TYPE_HEADER_SIZE + 8),
        })
    }

    fn entries<T: Entry>(&self, kinds: &[Kind]) -> Entries<'a, T> {
        let tail = if kinds.contains(&self.kind()) {
            self.record.get(TYPE_HEADER_SIZE..).unwrap_or(&[])
        } else {
            &[]
        };
        Entries {
            chunks: tail.chunks_exact(T::SIZE),
            endian: self.endian,
            kflag: self.kflag(),
            _entry: PhantomData,
        }
    }

    /// STRUCT/UNION members; empty for other kinds.
    pub fn members(&self) -> Members<'a> {
        self.entries(&[Kind::Struct, Kind::Union])
    }

    /// ENUM/ENUM64 enumerators; empty for other kinds.
    pub fn enum_values(&self) -> EnumValues<'a> {
        EnumValues::from_type(self)
    }

    /// FUNC_PROTO parameters; empty for other kinds.
    pub fn params(&self) -> Params<'a> {
        self.entries(&[Kind::FuncProto])
    }

    /// DATASEC variables; empty for other kinds.
    pub fn var_secinfos(&self) -> VarSecinfos<'a> {
        self.entries(&[Kind::Datasec])
    }

    /// FUNC linkage (kept in vlen): [`LINKAGE_STATIC`], [`LINKAGE_GLOBAL`], [`LINKAGE_EXTERN`].
    pub fn func_linkage(&self) -> Option<u32> {
        self.is(Kind::Func).then(|| self.vlen())
    }

    /// VAR linkage (`struct btf_var`).
    pub fn var_linkage(&self) -> Option<u32> {
        self.is(Kind::Var).then(|| self.word(TYPE_HEADER_SIZE))
    }

    /// DECL_TAG `component_idx`: -1 for the whole declaration, else a member or parameter index.
    pub fn decl_tag_component_idx(&self) -> Option<i32> {
        self.is(Kind::DeclTag)
            .then(|| i32::from_ne_bytes(self.word(TYPE_HEADER_SIZE).to_ne_bytes()))
    }
}

impl fmt::Debug for Type<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Type")
            .field("id", &self.id)
            .field("kind", &self.kind_raw())
            .field("name_off", &self.name_off())
            .field("vlen", &self.vlen())
            .field("kflag", &self.kflag())
            .field("size_or_type", &self.size_or_type())
            .finish()
    }
}

/// INT encoding bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IntEncoding(pub u8);

impl IntEncoding {
    /// `BTF_INT_SIGNED`.
    pub fn is_signed(self) -> bool {
        self.0 & INT_SIGNED != 0
    }
    /// `BTF_INT_CHAR`.
    pub fn is_char(self) -> bool {
        self.0 & INT_CHAR != 0
    }
    /// `BTF_INT_BOOL`.
    pub fn is_bool(self) -> bool {
        self.0 & INT_BOOL != 0
    }
}

/// `struct btf_array`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Array {
    /// Element type id.
    pub elem_type: u32,
    /// Index type id.
    pub index_type: u32,
    /// Number of elements.
    pub nelems: u32,
}

/// A fixed-size entry that follows a type header `vlen` times.
pub trait Entry: Sized + sealed::Sealed {
    /// Size of one entry in bytes.
    const SIZE: usize;
    /// Decodes one entry of exactly `SIZE` bytes; `kflag` is the owning type's kind_flag.
    fn decode(bytes: &[u8], endian: Endianness, kflag: bool) -> Self;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Member {}
    impl Sealed for super::Param {}
    impl Sealed for super::VarSecinfo {}
}

/// Iterator over the `vlen` entries of a type.
#[derive(Clone)]
pub struct Entries<'a, T> {
    chunks: ChunksExact<'a, u8>,
    endian: Endianness,
    kflag: bool,
    _entry: PhantomData<T>,
}

impl<T: Entry> Iterator for Entries<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        let chunk = self.chunks.next()?;
        Some(T::decode(chunk, self.endian, self.kflag))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }

    fn nth(&mut self, n: usize) -> Option<T> {
        let chunk = self.chunks.nth(n)?;
        Some(T::decode(chunk, self.endian, self.kflag))
    }
}

impl<T: Entry> DoubleEndedIterator for Entries<'_, T> {
    fn next_back(&mut self) -> Option<T> {
        let chunk = self.chunks.next_back()?;
        Some(T::decode(chunk, self.endian, self.kflag))
    }
}

impl<T: Entry> ExactSizeIterator for Entries<'_, T> {}
impl<T: Entry> FusedIterator for Entries<'_, T> {}

/// STRUCT/UNION members.
pub type Members<'a> = Entries<'a, Member>;
/// FUNC_PROTO parameters.
pub type Params<'a> = Entries<'a, Param>;
/// DATASEC variables.
pub type VarSecinfos<'a> = Entries<'a, VarSecinfo>;

/// `struct btf_member`, with the kind_flag split of `offset` already applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Member {
    /// Name offset in the string section (0 for anonymous members).
    pub name_off: u32,
    /// Member type id.
    pub type_id: u32,
    /// The `offset` word as stored.
    pub offset_raw: u32,
    /// Offset in bits from the start of the struct.
    pub bit_offset: u32,
    /// Bitfield width in bits; 0 for a plain member (or when the struct has no kind_flag, in
    /// which case the width lives in the member's INT type).
    pub bitfield_size: u32,
}

impl Entry for Member {
    const SIZE: usize = 12;

    fn decode(bytes: &[u8], endian: Endianness, kflag: bool) -> Self {
        let offset_raw = field_u32(bytes, 8, endian);
        let (bit_offset, bitfield_size) = if kflag {
            (offset_raw & 0x00ff_ffff, offset_raw >> 24)
        } else {
            (offset_raw, 0)
        };
        Member {
            name_off: field_u32(bytes, 0, endian),
            type_id: field_u32(bytes, 4, endian),
            offset_raw,
            bit_offset,
            bitfield_size,
        }
    }
}

/// `struct btf_param`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Param {
    /// Name offset (0 when unnamed).
    pub name_off: u32,
    /// Parameter type id; 0 as the last parameter means varargs (`...`).
    pub type_id: u32,
}

impl Entry for Param {
    const SIZE: usize = 8;

    fn decode(bytes: &[u8], endian: Endianness, _kflag: bool) -> Self {
        Param {
            name_off: field_u32(bytes, 0, endian),
            type_id: field_u32(bytes, 4, endian),
        }
    }
}

/// `struct btf_var_secinfo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VarSecinfo {
    /// The VAR (or FUNC) type id.
    pub type_id: u32,
    /// Offset within the section.
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Entry for VarSecinfo {
    const SIZE: usize = 12;

    fn decode(bytes: &[u8], endian: Endianness, _kflag: bool) -> Self {
        VarSecinfo {
            type_id: field_u32(bytes, 0, endian),
            offset: field_u32(bytes, 4, endian),
            size: field_u32(bytes, 8, endian),
        }
    }
}

/// One enumerator of an ENUM (`struct btf_enum`) or ENUM64 (`struct btf_enum64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnumValue {
    /// Name offset in the string section.
    pub name_off: u32,
    /// Low 32 bits as stored (the whole `val` of an ENUM).
    pub lo32: u32,
    /// High 32 bits as stored; 0 for ENUM, whose records have no such field.
    pub hi32: u32,
    /// The enum's kind_flag: values are signed.
    pub signed: bool,
    /// True for ENUM64 entries.
    pub is_64: bool,
}

impl EnumValue {
    /// The value as unsigned 64 bits; a signed 32-bit ENUM value is sign-extended first.
    pub fn value_u64(&self) -> u64 {
        u64::from_ne_bytes(self.value_i64().to_ne_bytes())
    }

    /// The value as signed 64 bits; an unsigned 32-bit ENUM value is zero-extended.
    pub fn value_i64(&self) -> i64 {
        if self.is_64 {
            let v = (u64::from(self.hi32) << 32) | u64::from(self.lo32);
            i64::from_ne_bytes(v.to_ne_bytes())
        } else if self.signed {
            i64::from(i32::from_ne_bytes(self.lo32.to_ne_bytes()))
        } else {
            i64::from(self.lo32)
        }
    }
}

/// Iterator over the enumerators of an ENUM or ENUM64.
#[derive(Clone)]
pub struct EnumValues<'a> {
    chunks: ChunksExact<'a, u8>,
    is_64: bool,
    signed: bool,
    endian: Endianness,
}

impl<'a> EnumValues<'a> {
    fn from_type(t: &Type<'a>) -> Self {
        let kind = t.kind();
        let is_64 = kind == Kind::Enum64;
        let tail = if matches!(kind, Kind::Enum | Kind::Enum64) {
            t.record.get(TYPE_HEADER_SIZE..).unwrap_or(&[])
        } else {
            &[]
        };
        EnumValues {
            chunks: tail.chunks_exact(if is_64 { 12 } else { 8 }),
            is_64,
            signed: t.kflag(),
            endian: t.endian,
        }
    }

    fn decode(&self, chunk: &[u8]) -> EnumValue {
        EnumValue {
            name_off: field_u32(chunk, 0, self.endian),
            lo32: field_u32(chunk, 4, self.endian),
            hi32: if self.is_64 {
                field_u32(chunk, 8, self.endian)
            } else {
                0
            },
            signed: self.signed,
            is_64: self.is_64,
        }
    }
}

impl Iterator for EnumValues<'_> {
    type Item = EnumValue;

    fn next(&mut self) -> Option<EnumValue> {
        let chunk = self.chunks.next()?;
        Some(self.decode(chunk))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }

    fn nth(&mut self, n: usize) -> Option<EnumValue> {
        let chunk = self.chunks.nth(n)?;
        Some(self.decode(chunk))
    }
}

impl DoubleEndedIterator for EnumValues<'_> {
    fn next_back(&mut self) -> Option<EnumValue> {
        let chunk = self.chunks.next_back()?;
        Some(self.decode(chunk))
    }
}

impl ExactSizeIterator for EnumValues<'_> {}
impl FusedIterator for EnumValues<'_> {}
