//! Byte order of a BTF blob and checked reads of its fields.
//!
//! BTF is kept in the byte order it was written in and swapped on every read, so raw dumps can
//! show the exact bytes and no pass over the data is needed to convert it.

/// Byte order of a BTF or `.BTF.ext` blob, detected from its magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endianness {
    /// Little-endian (x86, arm64, most BPF targets).
    Little,
    /// Big-endian (s390x, `bpfeb` objects).
    Big,
}

impl Endianness {
    /// Detects the byte order from the first two bytes of a BTF or `.BTF.ext` header.
    pub fn from_magic(bytes: [u8; 2]) -> Option<Self> {
        match bytes {
            [0x9f, 0xeb] => Some(Endianness::Little),
            [0xeb, 0x9f] => Some(Endianness::Big),
            _ => None,
        }
    }

    /// Decodes a `u16` in this byte order.
    #[inline]
    pub fn u16(self, bytes: [u8; 2]) -> u16 {
        match self {
            Endianness::Little => u16::from_le_bytes(bytes),
            Endianness::Big => u16::from_be_bytes(bytes),
        }
    }

    /// Decodes a `u32` in this byte order.
    #[inline]
    pub fn u32(self, bytes: [u8; 4]) -> u32 {
        match self {
            Endianness::Little => u32::from_le_bytes(bytes),
            Endianness::Big => u32::from_be_bytes(bytes),
        }
    }
}

/// Reads a `u32` at `off`, or `None` when the four bytes are not all inside `data`.
#[inline]
pub(crate) fn read_u32(data: &[u8], off: usize, endian: Endianness) -> Option<u32> {
    let bytes = data.get(off..off.checked_add(4)?)?;
    Some(endian.u32(bytes.try_into().ok()?))
}

/// Reads a `u32` from a record whose length was validated at parse time.
///
/// A short record would be a parser bug, not hostile input; answering 0 keeps accessors
/// infallible and panic-free either way.
#[inline]
pub(crate) fn field_u32(record: &[u8], off: usize, endian: Endianness) -> u32 {
    read_u32(record, off, endian).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_detects_both_orders() {
        assert_eq!(
            Endianness::from_magic(0xeb9fu16.to_le_bytes()),
            Some(Endianness::Little)
        );
        assert_eq!(
            Endianness::from_magic(0xeb9fu16.to_be_bytes()),
            Some(Endianness::Big)
        );
        assert_eq!(Endianness::from_magic([0, 0]), None);
    }

    #[test]
    fn reads_are_bounds_checked() {
        let data = [1, 0, 0, 0, 2];
        assert_eq!(read_u32(&data, 0, Endianness::Little), Some(1));
        assert_eq!(read_u32(&data, 0, Endianness::Big), Some(0x0100_0000));
        assert_eq!(read_u32(&data, 2, Endianness::Little), None);
        assert_eq!(read_u32(&data, usize::MAX - 1, Endianness::Little), None);
        assert_eq!(field_u32(&data, 4, Endianness::Little), 0);
    }
}
