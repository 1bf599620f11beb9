//! Values formatted through their BTF type, as bpftool's `btf_dumper` prints them.
//!
//! [`BtfValue`] implements `Serialize`, so the same walk feeds the JSON output (`-j`,
//! `formatted` and `metadata` members) and the JSON-like plain output of `map dump`
//! and `prog show` metadata. The two differ only where bpftool's `is_plain_text`
//! does: integers that need more than 64 bits and bitfields are bare hex tokens in
//! plain mode and quoted in JSON, pointers are `"%p"` text in plain mode and numbers
//! in JSON, non-printable chars are `0xNN` in plain mode and `"\u00NN"` in JSON.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use super::{Btf, Kind, Type};
use crate::output::{Bytes, Raw};

/// How deep nested structs, arrays and modifiers may go before the dump stops.
const MAX_DEPTH: u32 = 64;

/// A value of BTF type `type_id` stored in `data`.
#[derive(Debug, Clone, Copy)]
pub struct BtfValue<'a> {
    btf: &'a Btf,
    type_id: u32,
    data: &'a [u8],
    /// Bit offset inside the first byte (bitfield members, 0..=7).
    bit_offset: u8,
    plain: bool,
    depth: u32,
}

impl<'a> BtfValue<'a> {
    /// The value of `type_id` at the start of `data`; `plain` selects bpftool's
    /// plain-text flavour.
    pub fn new(btf: &'a Btf, type_id: u32, data: &'a [u8], plain: bool) -> Self {
        BtfValue {
            btf,
            type_id,
            data,
            bit_offset: 0,
            plain,
            depth: 0,
        }
    }

    fn child(&self, type_id: u32, data: &'a [u8], bit_offset: u8) -> Self {
        BtfValue {
            btf: self.btf,
            type_id,
            data,
            bit_offset,
            plain: self.plain,
            depth: self.depth + 1,
        }
    }
}

fn read<const N: usize>(data: &[u8]) -> Option<[u8; N]> {
    data.get(..N)?.try_into().ok()
}

fn fail<E: serde::ser::Error>(what: &str) -> E {
    E::custom(format!("btf dump failed: {what}"))
}

/// `0x%llx` or `0x%llx%016llx` of a 128-bit number, quoted in JSON mode.
fn hex128(v: u128, plain: bool) -> String {
    let upper = (v >> 64) as u64;
    let lower = v as u64;
    let digits = if upper == 0 {
        format!("0x{lower:x}")
    } else {
        format!("0x{upper:x}{lower:016x}")
    };
    if plain {
        digits
    } else {
        format!("\"{digits}\"")
    }
}

/// bpftool's `btf_dumper_bitfield`: `nr_bits` bits starting `bit_offset` bits into
/// `data` (little endian), printed in hex.
fn bitfield(data: &[u8], bit_offset: u32, nr_bits: u32) -> Option<u128> {
    let bits_to_copy = bit_offset + nr_bits;
    // The number is assembled in 16 bytes, as bpftool's; more would overflow there.
    let bytes = bits_to_copy.div_ceil(8).min(16) as usize;
    let mut buf = [0u8; 16];
    buf[..bytes].copy_from_slice(data.get(..bytes)?);
    let v = u128::from_le_bytes(buf);
    let left = 128u32.checked_sub(bits_to_copy)?;
    let right = 128u32.checked_sub(nr_bits)?;
    let v = v.checked_shl(left).unwrap_or(0);
    Some(v.checked_shr(right).unwrap_or(0))
}

/// Whether a char array holds a printable, NUL-terminated string (`is_str_array`).
fn is_str_array(btf: &Btf, elem: u32, nelems: u32, data: &[u8]) -> bool {
    if nelems == 0 {
        return false;
    }
    let mut t = btf.type_by_id(elem);
    let mut guard = 0;
    while let Some(ty) = t.filter(|ty| {
        matches!(
            ty.kind(),
            Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag
        )
    }) {
        guard += 1;
        if guard > super::MAX_RESOLVE_DEPTH {
            return false;
        }
        t = ty.ref_type().and_then(|id| btf.type_by_id(id));
    }
    let Some(t) = t else { return false };
    if t.kind() != Kind::Int || t.size() != Some(1) {
        return false;
    }
    let is_char = t.int_encoding().is_some_and(|e| e.is_char())
        || btf.str_at(t.name_off()) == Some(b"char".as_slice());
    if !is_char {
        return false;
    }
    for &b in data.iter().take(nelems as usize) {
        if b == 0 {
            return true;
        }
        // bpftool compares a signed char: bytes >= 0x80 are negative, so not printable.
        if b <= 0x1f || b >= 0x7f {
            return false;
        }
    }
    false
}

impl Serialize for BtfValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.depth > MAX_DEPTH {
            return Err(fail("types nested too deeply"));
        }
        let btf = self.btf;
        let t = btf
            .type_by_id(self.type_id)
            .ok_or_else(|| fail::<S::Error>("type id out of range"))?;
        let data = self.data;
        match t.kind() {
            Kind::Int => self.int(&t, s),
            Kind::Struct | Kind::Union => {
                let mut m = s.serialize_map(None)?;
                for member in t.members() {
                    let (bit_off, bf_size) = (member.bit_offset, member.bitfield_size);
                    let name = btf.str_at(member.name_off).unwrap_or_default();
                    let off = (bit_off / 8) as usize;
                    let field = data.get(off..).unwrap_or_default();
                    m.serialize_key(&Bytes(name))?;
                    if bf_size != 0 {
                        let v = bitfield(field, bit_off % 8, bf_size)
                            .ok_or_else(|| fail::<S::Error>("value too short"))?;
                        m.serialize_value(&Raw(&hex128(v, self.plain)))?;
                    } else {
                        m.serialize_value(&self.child(member.type_id, field, (bit_off % 8) as u8))?;
                    }
                }
                m.end()
            }
            Kind::Array => {
                let arr = t.array().ok_or_else(|| fail::<S::Error>("bad array"))?;
                if is_str_array(btf, arr.elem_type, arr.nelems, data) {
                    let len = data.iter().position(|&b| b == 0).unwrap_or(data.len());
                    return s.serialize_bytes(&data[..len]);
                }
                let elem_size = btf
                    .resolve_size(arr.elem_type)
                    .map_err(|e| fail::<S::Error>(&e.to_string()))?
                    as usize;
                let mut seq = s.serialize_seq(None)?;
                for i in 0..arr.nelems as usize {
                    let start = i
                        .checked_mul(elem_size)
                        .ok_or_else(|| fail::<S::Error>("array too large"))?;
                    let elem = data
                        .get(start..)
                        .ok_or_else(|| fail::<S::Error>("value too short"))?;
                    seq.serialize_element(&self.child(arr.elem_type, elem, 0))?;
                }
                seq.end()
            }
            Kind::Enum => {
                let size = t.size().unwrap_or(0);
                let v: i64 = match size {
                    8 => read::<8>(data).map(i64::from_le_bytes),
                    4 => read::<4>(data).map(|b| i64::from(i32::from_le_bytes(b))),
                    2 => read::<2>(data).map(|b| i64::from(i16::from_le_bytes(b))),
                    1 => read::<1>(data).map(|b| i64::from(b[0] as i8)),
                    _ => return Err(fail("bad enum size")),
                }
                .ok_or_else(|| fail::<S::Error>("value too short"))?;
                // bpftool compares with the 32-bit `val` of `struct btf_enum`.
                for e in t.enum_values() {
                    if v == i64::from(e.value_u64() as u32 as i32) {
                        return s.serialize_bytes(btf.str_at(e.name_off).unwrap_or_default());
                    }
                }
                s.serialize_i64(v)
            }
            Kind::Enum64 => {
                let v = read::<8>(data)
                    .map(u64::from_le_bytes)
                    .ok_or_else(|| fail::<S::Error>("value too short"))?;
                for e in t.enum_values() {
                    if v == e.value_u64() {
                        return s.serialize_bytes(btf.str_at(e.name_off).unwrap_or_default());
                    }
                }
                // bpftool prints it with jsonw_int: as a signed number.
                s.serialize_i64(v as i64)
            }
            Kind::Ptr => {
                let v = read::<8>(data)
                    .map(u64::from_le_bytes)
                    .ok_or_else(|| fail::<S::Error>("value too short"))?;
                if self.plain {
                    // glibc's "%p": "(nil)" for NULL.
                    let text = if v == 0 {
                        "\"(nil)\"".to_owned()
                    } else {
                        format!("\"0x{v:x}\"")
                    };
                    Raw(&text).serialize(s)
                } else {
                    s.serialize_u64(v)
                }
            }
            Kind::Unknown => Raw("(unknown)").serialize(s),
            Kind::Typedef | Kind::Volatile | Kind::Const | Kind::Restrict => {
                let id = btf
                    .resolve_type(self.type_id)
                    .map_err(|e| fail::<S::Error>(&e.to_string()))?;
                self.child(id, data, self.bit_offset).serialize(s)
            }
            Kind::Var => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_key(&Bytes(btf.str_at(t.name_off()).unwrap_or_default()))?;
                let ty = t.ref_type().unwrap_or(0);
                m.serialize_value(&self.child(ty, data, self.bit_offset))?;
                m.end()
            }
            Kind::Datasec => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_key(&Bytes(btf.str_at(t.name_off()).unwrap_or_default()))?;
                let vars: Vec<BtfValue<'_>> = t
                    .var_secinfos()
                    .map(|v| {
                        let d = data.get(v.offset as usize..).unwrap_or_default();
                        self.child(v.type_id, d, 0)
                    })
                    .collect();
                m.serialize_value(&vars)?;
                m.end()
            }
            Kind::Fwd => Err(fail("(fwd-kind-invalid)")),
            _ => Err(fail("(unsupported-kind)")),
        }
    }
}

impl BtfValue<'_> {
    fn int<S: Serializer>(&self, t: &Type<'_>, s: S) -> Result<S::Ok, S::Error> {
        let data = self.data;
        let bits = u32::from(t.int_bits().unwrap_or(0));
        let int_off = u32::from(t.int_offset().unwrap_or(0));
        let enc = t.int_encoding().map_or(0, |e| e.0);
        let too_short = || fail::<S::Error>("value too short");
        if self.bit_offset != 0 || int_off != 0 || bits % 8 != 0 {
            return self.int_bits(bits, int_off, s);
        }
        if bits == 128 {
            let v = read::<16>(data)
                .map(u128::from_le_bytes)
                .ok_or_else(too_short)?;
            return Raw(&hex128(v, self.plain)).serialize(s);
        }
        const SIGNED: u8 = 1;
        const CHAR: u8 = 2;
        const BOOL: u8 = 4;
        match enc {
            0 => match bits {
                64 => s.serialize_u64(u64::from_le_bytes(read(data).ok_or_else(too_short)?)),
                32 => s.serialize_u32(u32::from_le_bytes(read(data).ok_or_else(too_short)?)),
                16 => s.serialize_u16(u16::from_le_bytes(read(data).ok_or_else(too_short)?)),
                8 => s.serialize_u8(read::<1>(data).ok_or_else(too_short)?[0]),
                _ => self.int_bits(bits, int_off, s),
            },
            SIGNED => match bits {
                64 => s.serialize_i64(i64::from_le_bytes(read(data).ok_or_else(too_short)?)),
                32 => s.serialize_i32(i32::from_le_bytes(read(data).ok_or_else(too_short)?)),
                16 => s.serialize_i16(i16::from_le_bytes(read(data).ok_or_else(too_short)?)),
                8 => s.serialize_i8(read::<1>(data).ok_or_else(too_short)?[0] as i8),
                _ => self.int_bits(bits, int_off, s),
            },
            CHAR => {
                let c = read::<1>(data).ok_or_else(too_short)?[0];
                if (0x20..0x7f).contains(&c) {
                    // bpftool prints the char between quotes unescaped ('"' and '\'
                    // come out as invalid JSON); we escape them (docs/compat.md).
                    s.serialize_bytes(&[c])
                } else if self.plain {
                    Raw(&format!("0x{c:x}")).serialize(s)
                } else {
                    Raw(&format!("\"\\u00{c:02x}\"")).serialize(s)
                }
            }
            BOOL => s.serialize_bool(read::<1>(data).ok_or_else(too_short)?[0] != 0),
            _ => Err(fail("bad int encoding")),
        }
    }

    /// bpftool's `btf_dumper_int_bits`.
    fn int_bits<S: Serializer>(&self, bits: u32, int_off: u32, s: S) -> Result<S::Ok, S::Error> {
        let total = u32::from(self.bit_offset) + int_off;
        let data = self
            .data
            .get((total / 8) as usize..)
            .ok_or_else(|| fail::<S::Error>("value too short"))?;
        let v =
            bitfield(data, total % 8, bits).ok_or_else(|| fail::<S::Error>("value too short"))?;
        Raw(&hex128(v, self.plain)).serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitfields_like_bpftool() {
        // 3 bits at bit 2 of 0b0001_0100 -> 0b101.
        assert_eq!(bitfield(&[0b0001_0100], 2, 3), Some(5));
        assert_eq!(bitfield(&[0xff, 0x01], 7, 2), Some(3));
        assert_eq!(bitfield(&[0xff; 16], 0, 128), Some(u128::MAX));
        assert_eq!(bitfield(&[], 0, 3), None);
        assert_eq!(hex128(5, true), "0x5");
        assert_eq!(hex128(5, false), "\"0x5\"");
        assert_eq!(hex128(1u128 << 64 | 2, true), "0x10000000000000002");
    }
}
