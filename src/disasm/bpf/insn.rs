//! eBPF instruction records and a decoder over raw instruction bytes.
//!
//! The bytes come from the kernel (`xlated_prog_insns`) or from an object file, i.e. they may be
//! anything: the decoder never panics, never allocates, and reports a trailing partial record
//! instead of guessing.

use std::fmt;

/// Size of one instruction slot; LD_IMM64 spans two.
pub const INSN_SIZE: usize = 8;

/// Instruction classes (`code & 0x07`).
pub mod class {
    pub const LD: u8 = 0x00;
    pub const LDX: u8 = 0x01;
    pub const ST: u8 = 0x02;
    pub const STX: u8 = 0x03;
    pub const ALU: u8 = 0x04;
    pub const JMP: u8 = 0x05;
    pub const JMP32: u8 = 0x06;
    pub const ALU64: u8 = 0x07;
}

/// Operand sizes of load/store classes (`code & 0x18`).
pub mod size {
    pub const W: u8 = 0x00;
    pub const H: u8 = 0x08;
    pub const B: u8 = 0x10;
    pub const DW: u8 = 0x18;
}

/// Addressing modes of load/store classes (`code & 0xe0`).
pub mod mode {
    pub const IMM: u8 = 0x00;
    pub const ABS: u8 = 0x20;
    pub const IND: u8 = 0x40;
    pub const MEM: u8 = 0x60;
    pub const MEMSX: u8 = 0x80;
    pub const ATOMIC: u8 = 0xc0;
    /// Speculation barrier the verifier inserts; kernel-internal, absent from the UAPI.
    pub const NOSPEC: u8 = 0xc0;
}

/// Operand source of ALU/JMP classes (`code & 0x08`); for `BPF_END` it selects the byte order.
pub mod src {
    pub const K: u8 = 0x00;
    pub const X: u8 = 0x08;
    pub const TO_LE: u8 = 0x00;
    pub const TO_BE: u8 = 0x08;
}

/// ALU operations (`code & 0xf0`).
pub mod alu {
    pub const ADD: u8 = 0x00;
    pub const SUB: u8 = 0x10;
    pub const MUL: u8 = 0x20;
    pub const DIV: u8 = 0x30;
    pub const OR: u8 = 0x40;
    pub const AND: u8 = 0x50;
    pub const LSH: u8 = 0x60;
    pub const RSH: u8 = 0x70;
    pub const NEG: u8 = 0x80;
    pub const MOD: u8 = 0x90;
    pub const XOR: u8 = 0xa0;
    pub const MOV: u8 = 0xb0;
    pub const ARSH: u8 = 0xc0;
    pub const END: u8 = 0xd0;
}

/// Jump operations (`code & 0xf0`).
pub mod jmp {
    pub const JA: u8 = 0x00;
    pub const JEQ: u8 = 0x10;
    pub const JGT: u8 = 0x20;
    pub const JGE: u8 = 0x30;
    pub const JSET: u8 = 0x40;
    pub const JNE: u8 = 0x50;
    pub const JSGT: u8 = 0x60;
    pub const JSGE: u8 = 0x70;
    pub const CALL: u8 = 0x80;
    pub const EXIT: u8 = 0x90;
    pub const JLT: u8 = 0xa0;
    pub const JLE: u8 = 0xb0;
    pub const JSLT: u8 = 0xc0;
    pub const JSLE: u8 = 0xd0;
    pub const JCOND: u8 = 0xe0;
}

/// Atomic operations, carried in `imm` of `STX | ATOMIC` instructions.
pub mod atomic {
    pub const ADD: i32 = 0x00;
    pub const OR: i32 = 0x40;
    pub const AND: i32 = 0x50;
    pub const XOR: i32 = 0xa0;
    pub const FETCH: i32 = 0x01;
    pub const XCHG: i32 = 0xe0 | FETCH;
    pub const CMPXCHG: i32 = 0xf0 | FETCH;
    pub const LOAD_ACQ: i32 = 0x100;
    pub const STORE_REL: i32 = 0x110;
}

/// Meanings of `src_reg` in LD_IMM64 and call instructions.
pub mod pseudo {
    /// LD_IMM64: `imm` is a map fd (a map id in xlated dumps).
    pub const MAP_FD: u8 = 1;
    /// LD_IMM64: address of a map value; second slot's `imm` is the offset.
    pub const MAP_VALUE: u8 = 2;
    /// LD_IMM64: `imm` is a BTF id of a kernel variable.
    pub const BTF_ID: u8 = 3;
    /// LD_IMM64: `imm` is the pc-relative offset of a subprogram.
    pub const FUNC: u8 = 4;
    /// LD_IMM64: `imm` indexes the loader's fd array.
    pub const MAP_IDX: u8 = 5;
    /// LD_IMM64: like `MAP_VALUE`, by fd-array index.
    pub const MAP_IDX_VALUE: u8 = 6;
    /// CALL: bpf-to-bpf call.
    pub const CALL: u8 = 1;
    /// CALL: kernel function (kfunc) call.
    pub const KFUNC_CALL: u8 = 2;
}

/// `code` of the first slot of a 64-bit immediate load (`LD | IMM | DW`).
pub const LD_IMM64: u8 = class::LD | mode::IMM | size::DW;

/// One 8-byte instruction slot, fields as the kernel's `struct bpf_insn` on a little-endian host.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Insn {
    /// Opcode: class, size/mode or source, operation.
    pub code: u8,
    /// Destination register (low nibble of byte 1).
    pub dst_reg: u8,
    /// Source register (high nibble of byte 1), or a pseudo marker.
    pub src_reg: u8,
    /// Signed offset.
    pub off: i16,
    /// Signed immediate.
    pub imm: i32,
}

impl Insn {
    /// Decodes one slot. The register nibbles follow the little-endian bitfield layout, which is
    /// what x86/arm64 kernels hand out and what BPF object files for those hosts contain.
    pub fn from_bytes(b: [u8; INSN_SIZE]) -> Self {
        Insn {
            code: b[0],
            dst_reg: b[1] & 0x0f,
            src_reg: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    /// Encodes the slot back into its 8 bytes (registers are truncated to their nibbles).
    pub fn to_bytes(&self) -> [u8; INSN_SIZE] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [
            self.code,
            (self.dst_reg & 0x0f) | (self.src_reg << 4),
            off[0],
            off[1],
            imm[0],
            imm[1],
            imm[2],
            imm[3],
        ]
    }

    /// Instruction class (`BPF_CLASS`).
    pub fn class(&self) -> u8 {
        self.code & 0x07
    }

    /// Operand size of load/store classes (`BPF_SIZE`).
    pub fn size(&self) -> u8 {
        self.code & 0x18
    }

    /// Addressing mode of load/store classes (`BPF_MODE`).
    pub fn mode(&self) -> u8 {
        self.code & 0xe0
    }

    /// Operation of ALU/JMP classes (`BPF_OP`).
    pub fn op(&self) -> u8 {
        self.code & 0xf0
    }

    /// Operand source of ALU/JMP classes (`BPF_SRC`).
    pub fn src(&self) -> u8 {
        self.code & 0x08
    }

    /// Whether this is the first slot of a two-slot LD_IMM64.
    pub fn is_ld_imm64(&self) -> bool {
        self.code == LD_IMM64
    }
}

/// One decoded instruction: a single slot, or both slots of an LD_IMM64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Slot index of the first slot, the number bpftool prints in front of the line.
    pub index: usize,
    /// The first (for most instructions, only) slot.
    pub insn: Insn,
    /// The second slot of an LD_IMM64. `None` for every other instruction, and for an LD_IMM64
    /// cut off by the end of the input (see [`Decoded::is_truncated`]).
    pub next: Option<Insn>,
    /// The raw bytes of the slots above: 8, or 16 for a complete LD_IMM64.
    pub bytes: &'a [u8],
}

impl Decoded<'_> {
    /// An LD_IMM64 whose second slot is missing from the input.
    pub fn is_truncated(&self) -> bool {
        self.insn.is_ld_imm64() && self.next.is_none()
    }
}

/// The input ended inside an instruction slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrailingBytes {
    /// Byte offset of the partial slot.
    pub offset: usize,
    /// How many bytes it has (1..=7).
    pub len: usize,
}

impl fmt::Display for TrailingBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} trailing byte(s) at offset {} do not form an instruction",
            self.len, self.offset
        )
    }
}

impl std::error::Error for TrailingBytes {}

/// Iterator over the instructions in a byte slice; see [`decode`].
#[derive(Clone, Debug)]
pub struct Insns<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// Decodes `bytes` as a sequence of instructions, pairing LD_IMM64 slots the way bpftool does
/// (any slot whose code is `0x18` swallows the following slot, whatever its content).
///
/// Yields one `Err` at the end if the length is not a multiple of 8; bpftool silently ignores
/// such a tail, callers may do the same or warn.
pub fn decode(bytes: &[u8]) -> Insns<'_> {
    Insns { bytes, pos: 0 }
}

impl<'a> Insns<'a> {
    fn slot(&self, at: usize) -> Option<(Insn, &'a [u8])> {
        let raw = self.bytes.get(at..at.checked_add(INSN_SIZE)?)?;
        let arr: [u8; INSN_SIZE] = raw.try_into().ok()?;
        Some((Insn::from_bytes(arr), raw))
    }
}

impl<'a> Iterator for Insns<'a> {
    type Item = Result<Decoded<'a>, TrailingBytes>;

    fn next(&mut self) -> Option<Self::Item> {
        let start = self.pos;
        let rest = self.bytes.len().saturating_sub(start);
        if rest == 0 {
            return None;
        }
        let Some((insn, _)) = self.slot(start) else {
            // Consume the tail so the error is reported once.
            self.pos = self.bytes.len();
            return Some(Err(TrailingBytes {
                offset: start,
                len: rest,
            }));
        };
        let index = start / INSN_SIZE;
        let mut end = start + INSN_SIZE;
        let mut next = None;
        if insn.is_ld_imm64() {
            if let Some((second, _)) = self.slot(end) {
                next = Some(second);
                end += INSN_SIZE;
            }
        }
        self.pos = end;
        Some(Ok(Decoded {
            index,
            insn,
            next,
            bytes: self.bytes.get(start..end).unwrap_or_default(),
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let rest = self.bytes.len().saturating_sub(self.pos);
        let slots = rest.div_ceil(INSN_SIZE);
        (slots.div_ceil(2), Some(slots))
    }
}

impl std::iter::FusedIterator for Insns<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_layout_is_little_endian_bitfields() {
        // r1 = *(u32 *)(r10 -4): dst in the low nibble, src in the high one.
        let insn = Insn::from_bytes([0x61, 0xa1, 0xfc, 0xff, 0x78, 0x56, 0x34, 0x12]);
        assert_eq!(
            insn,
            Insn {
                code: 0x61,
                dst_reg: 1,
                src_reg: 10,
                off: -4,
                imm: 0x1234_5678
            }
        );
        assert_eq!(
            insn.to_bytes(),
            [0x61, 0xa1, 0xfc, 0xff, 0x78, 0x56, 0x34, 0x12]
        );
    }

    #[test]
    fn ld_imm64_takes_two_slots_and_indexes_by_slot() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&[0x18, 0x01, 0, 0, 1, 0, 0, 0]);
        bytes.extend_from_slice(&[0, 0, 0, 0, 2, 0, 0, 0]);
        bytes.extend_from_slice(&[0x95, 0, 0, 0, 0, 0, 0, 0]);
        let got: Vec<_> = decode(&bytes).collect::<Result<_, _>>().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].index, 0);
        assert_eq!(got[0].bytes.len(), 16);
        assert_eq!(got[0].next.map(|n| n.imm), Some(2));
        assert_eq!(got[1].index, 2);
        assert_eq!(got[1].insn.code, 0x95);
        assert_eq!(got[1].next, None);
    }

    #[test]
    fn truncated_ld_imm64_and_trailing_bytes_are_reported() {
        let bytes = [0x18, 0x01, 0, 0, 1, 0, 0, 0, 0xaa, 0xbb, 0xcc];
        let got: Vec<_> = decode(&bytes).collect();
        assert_eq!(got.len(), 2);
        let first = got[0].unwrap();
        assert!(first.is_truncated());
        assert_eq!(first.bytes.len(), 8);
        assert_eq!(got[1], Err(TrailingBytes { offset: 8, len: 3 }));
        assert_eq!(decode(&[]).count(), 0);
        assert_eq!(
            decode(&[1]).collect::<Vec<_>>(),
            vec![Err(TrailingBytes { offset: 0, len: 1 })]
        );
    }
}
