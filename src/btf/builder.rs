//! A tiny BTF writer for tests: builds blobs type by type, in either byte order, with hooks to
//! corrupt the header. Self-contained (std only) so the integration tests in `tests/malformed`
//! can include it with `#[path]` as well.
#![allow(dead_code, reason = "each test crate uses a different subset")]

/// Header fields as they will be written; tests may edit them before serialising.
#[derive(Debug, Clone)]
pub struct RawHeader {
    pub magic: u16,
    pub version: u8,
    pub flags: u8,
    pub hdr_len: u32,
    pub type_off: u32,
    pub type_len: u32,
    pub str_off: u32,
    pub str_len: u32,
    /// `layout_off`/`layout_len`, written only when `hdr_len >= 32`.
    pub layout_off: u32,
    pub layout_len: u32,
}

/// Builds a BTF blob.
#[derive(Debug, Clone)]
pub struct BtfBuilder {
    big_endian: bool,
    types: Vec<u8>,
    strs: Vec<u8>,
    /// String offsets of a split BTF start after the base's strings.
    str_base: u32,
    next_id: u32,
    layout: Vec<u8>,
}

pub fn put_u32(out: &mut Vec<u8>, v: u32, big_endian: bool) {
    if big_endian {
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

pub fn put_u16(out: &mut Vec<u8>, v: u16, big_endian: bool) {
    if big_endian {
        out.extend_from_slice(&v.to_be_bytes());
    } else {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

pub const INT: u8 = 1;
pub const PTR: u8 = 2;
pub const ARRAY: u8 = 3;
pub const STRUCT: u8 = 4;
pub const UNION: u8 = 5;
pub const ENUM: u8 = 6;
pub const FWD: u8 = 7;
pub const TYPEDEF: u8 = 8;
pub const VOLATILE: u8 = 9;
pub const CONST: u8 = 10;
pub const RESTRICT: u8 = 11;
pub const FUNC: u8 = 12;
pub const FUNC_PROTO: u8 = 13;
pub const VAR: u8 = 14;
pub const DATASEC: u8 = 15;
pub const FLOAT: u8 = 16;
pub const DECL_TAG: u8 = 17;
pub const TYPE_TAG: u8 = 18;
pub const ENUM64: u8 = 19;

impl Default for BtfBuilder {
    fn default() -> Self {
        BtfBuilder::new()
    }
}

impl BtfBuilder {
    /// A standalone BTF: ids from 1, strings starting with "".
    pub fn new() -> Self {
        BtfBuilder {
            big_endian: false,
            types: Vec::new(),
            strs: vec![0],
            str_base: 0,
            next_id: 1,
            layout: Vec::new(),
        }
    }

    /// A split BTF on a base with `base_str_len` bytes of strings and ids up to `base_last_id`.
    pub fn split(base_str_len: u32, base_last_id: u32) -> Self {
        BtfBuilder {
            big_endian: false,
            types: Vec::new(),
            strs: Vec::new(),
            str_base: base_str_len,
            next_id: base_last_id + 1,
            layout: Vec::new(),
        }
    }

    /// Writes everything big-endian.
    pub fn big_endian(mut self) -> Self {
        self.big_endian = true;
        self
    }

    /// Adds a kind layout section (`(info_sz, elem_sz)` per kind number) and a 32-byte header.
    pub fn with_layout(mut self, entries: &[(u8, u8)]) -> Self {
        for &(info, elem) in entries {
            self.layout.push(info);
            self.layout.push(elem);
            put_u16(&mut self.layout, 0, self.big_endian);
        }
        self
    }

    /// The id the next type will get.
    pub fn next_id(&self) -> u32 {
        self.next_id
    }

    /// Adds a string and returns its offset ("" is offset 0, the base's or our own).
    pub fn str(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let off = self.str_base + self.strs.len() as u32;
        self.strs.extend_from_slice(s.as_bytes());
        self.strs.push(0);
        off
    }

    /// Appends a raw word to the type section.
    pub fn word(&mut self, v: u32) {
        put_u32(&mut self.types, v, self.big_endian);
    }

    /// Appends raw bytes to the string section.
    pub fn raw_strs(&mut self, bytes: &[u8]) {
        self.strs.extend_from_slice(bytes);
    }

    /// Appends a `struct btf_type` and returns the new type's id.
    pub fn head_raw(&mut self, name_off: u32, kind: u8, kflag: bool, vlen: u32, third: u32) -> u32 {
        let info = (u32::from(kflag) << 31) | (u32::from(kind & 0x7f) << 24) | (vlen & 0xff_ffff);
        self.word(name_off);
        self.word(info);
        self.word(third);
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Appends a named `struct btf_type`.
    pub fn head(&mut self, name: &str, kind: u8, kflag: bool, vlen: u32, third: u32) -> u32 {
        let name_off = self.str(name);
        self.head_raw(name_off, kind, kflag, vlen, third)
    }

    pub fn int(&mut self, name: &str, size: u32, encoding: u8, offset: u8, bits: u8) -> u32 {
        let id = self.head(name, INT, false, 0, size);
        self.word((u32::from(encoding) << 24) | (u32::from(offset) << 16) | u32::from(bits));
        id
    }

    pub fn ptr(&mut self, ty: u32) -> u32 {
        self.head("", PTR, false, 0, ty)
    }

    pub fn array(&mut self, elem: u32, index: u32, nelems: u32) -> u32 {
        let id = self.head("", ARRAY, false, 0, 0);
        self.word(elem);
        self.word(index);
        self.word(nelems);
        id
    }

    /// STRUCT or UNION with `(name, type, offset word)` members.
    pub fn composite(
        &mut self,
        kind: u8,
        name: &str,
        size: u32,
        kflag: bool,
        members: &[(&str, u32, u32)],
    ) -> u32 {
        let id = self.head(name, kind, kflag, members.len() as u32, size);
        for &(m, ty, off) in members {
            let n = self.str(m);
            self.word(n);
            self.word(ty);
            self.word(off);
        }
        id
    }

    pub fn struct_(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        self.composite(STRUCT, name, size, false, members)
    }

    pub fn union_(&mut self, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        self.composite(UNION, name, size, false, members)
    }

    pub fn enum_(&mut self, name: &str, size: u32, signed: bool, values: &[(&str, i32)]) -> u32 {
        let id = self.head(name, ENUM, signed, values.len() as u32, size);
        for &(n, v) in values {
            let n = self.str(n);
            self.word(n);
            self.word(v as u32);
        }
        id
    }

    pub fn enum64(&mut self, name: &str, size: u32, signed: bool, values: &[(&str, u64)]) -> u32 {
        let id = self.head(name, ENUM64, signed, values.len() as u32, size);
        for &(n, v) in values {
            let n = self.str(n);
            self.word(n);
            self.word(v as u32);
            self.word((v >> 32) as u32);
        }
        id
    }

    pub fn fwd(&mut self, name: &str, is_union: bool) -> u32 {
        self.head(name, FWD, is_union, 0, 0)
    }

    pub fn typedef(&mut self, name: &str, ty: u32) -> u32 {
        self.head(name, TYPEDEF, false, 0, ty)
    }

    pub fn volatile(&mut self, ty: u32) -> u32 {
        self.head("", VOLATILE, false, 0, ty)
    }

    pub fn const_(&mut self, ty: u32) -> u32 {
        self.head("", CONST, false, 0, ty)
    }

    pub fn restrict(&mut self, ty: u32) -> u32 {
        self.head("", RESTRICT, false, 0, ty)
    }

    pub fn func(&mut self, name: &str, proto: u32, linkage: u32) -> u32 {
        self.head(name, FUNC, false, linkage, proto)
    }

    pub fn func_proto(&mut self, ret: u32, params: &[(&str, u32)]) -> u32 {
        let id = self.head("", FUNC_PROTO, false, params.len() as u32, ret);
        for &(n, ty) in params {
            let n = self.str(n);
            self.word(n);
            self.word(ty);
        }
        id
    }

    pub fn var(&mut self, name: &str, ty: u32, linkage: u32) -> u32 {
        let id = self.head(name, VAR, false, 0, ty);
        self.word(linkage);
        id
    }

    pub fn datasec(&mut self, name: &str, size: u32, vars: &[(u32, u32, u32)]) -> u32 {
        let id = self.head(name, DATASEC, false, vars.len() as u32, size);
        for &(ty, off, sz) in vars {
            self.word(ty);
            self.word(off);
            self.word(sz);
        }
        id
    }

    pub fn float(&mut self, name: &str, size: u32) -> u32 {
        self.head(name, FLOAT, false, 0, size)
    }

    pub fn decl_tag(&mut self, value: &str, ty: u32, component_idx: i32) -> u32 {
        let id = self.head(value, DECL_TAG, false, 0, ty);
        self.word(component_idx as u32);
        id
    }

    pub fn type_tag(&mut self, value: &str, ty: u32) -> u32 {
        self.head(value, TYPE_TAG, false, 0, ty)
    }

    /// The header this builder would write.
    pub fn header(&self) -> RawHeader {
        let type_len = self.types.len() as u32;
        let layout_len = self.layout.len() as u32;
        RawHeader {
            magic: 0xeb9f,
            version: 1,
            flags: 0,
            hdr_len: if self.layout.is_empty() { 24 } else { 32 },
            type_off: 0,
            type_len,
            str_off: type_len + layout_len,
            str_len: self.strs.len() as u32,
            layout_off: if layout_len == 0 { 0 } else { type_len },
            layout_len,
        }
    }

    /// Serialises with the natural header.
    pub fn build(&self) -> Vec<u8> {
        self.build_with(|_| {})
    }

    /// Serialises after letting `edit` change header fields (the sections stay where they are).
    pub fn build_with(&self, edit: impl FnOnce(&mut RawHeader)) -> Vec<u8> {
        let natural = self.header();
        let mut h = natural.clone();
        edit(&mut h);
        let be = self.big_endian;
        let mut out = Vec::new();
        put_u16(&mut out, h.magic, be);
        out.push(h.version);
        out.push(h.flags);
        put_u32(&mut out, h.hdr_len, be);
        put_u32(&mut out, h.type_off, be);
        put_u32(&mut out, h.type_len, be);
        put_u32(&mut out, h.str_off, be);
        put_u32(&mut out, h.str_len, be);
        if natural.hdr_len >= 32 {
            put_u32(&mut out, h.layout_off, be);
            put_u32(&mut out, h.layout_len, be);
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.layout);
        out.extend_from_slice(&self.strs);
        out
    }
}

/// Builds a `.BTF.ext` blob with one subsection per non-`None` argument; each subsection is
/// `(record size, [(section name offset, [record words])])`.
pub type ExtSub<'a> = (u32, &'a [(u32, &'a [&'a [u32]])]);

pub fn build_ext(
    big_endian: bool,
    func: Option<ExtSub<'_>>,
    line: Option<ExtSub<'_>>,
    core: Option<ExtSub<'_>>,
) -> Vec<u8> {
    let be = big_endian;
    let sub = |s: Option<ExtSub<'_>>| -> Vec<u8> {
        let mut out = Vec::new();
        if let Some((rec_size, secs)) = s {
            put_u32(&mut out, rec_size, be);
            for &(name_off, recs) in secs {
                put_u32(&mut out, name_off, be);
                put_u32(&mut out, recs.len() as u32, be);
                for rec in recs {
                    for &w in *rec {
                        put_u32(&mut out, w, be);
                    }
                }
            }
        }
        out
    };
    let (f, l, c) = (sub(func), sub(line), sub(core));
    let mut out = Vec::new();
    put_u16(&mut out, 0xeb9f, be);
    out.push(1);
    out.push(0);
    put_u32(&mut out, 32, be);
    put_u32(&mut out, 0, be);
    put_u32(&mut out, f.len() as u32, be);
    put_u32(&mut out, f.len() as u32, be);
    put_u32(&mut out, l.len() as u32, be);
    put_u32(&mut out, (f.len() + l.len()) as u32, be);
    put_u32(&mut out, c.len() as u32, be);
    out.extend_from_slice(&f);
    out.extend_from_slice(&l);
    out.extend_from_slice(&c);
    out
}
