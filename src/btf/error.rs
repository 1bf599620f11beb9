//! The one error type of the BTF engine.
//!
//! Variants carry the numbers that explain the failure (offsets, ids, lengths) so the command
//! layer can print a useful message without knowing BTF internals. Everything is `Copy` and
//! allocation-free: a hostile file must not be able to make error reporting expensive.

use super::kind::Kind;

/// Everything that can go wrong while parsing or querying BTF and `.BTF.ext` data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BtfError {
    /// Fewer bytes than the fixed part of the header.
    #[error("BTF header too short: {len} bytes, need at least {need}")]
    HeaderTooShort {
        /// Bytes available.
        len: usize,
        /// Bytes needed.
        need: usize,
    },
    /// The first two bytes are neither 0xeB9F nor its byte-swapped form.
    #[error("invalid BTF magic {0:#06x}")]
    BadMagic(u16),
    /// `hdr_len` is smaller than the fixed header or larger than the data.
    #[error("invalid BTF header length {hdr_len} (data size {size})")]
    BadHeaderLen {
        /// The header's `hdr_len`.
        hdr_len: u32,
        /// Size of the whole BTF blob.
        size: usize,
    },
    /// BTF data larger than the 4 GiB its 32-bit offsets can describe.
    #[error("BTF data too large: {0} bytes")]
    TooLarge(usize),
    /// A section (types, strings or layout) does not fit in the data or overlaps another.
    #[error("invalid BTF {section} section (offset {off}, length {len}): {problem}")]
    BadSection {
        /// Which section: "type", "string" or "layout".
        section: &'static str,
        /// What is wrong with it.
        problem: &'static str,
        /// Section offset relative to the end of the header.
        off: u32,
        /// Section length.
        len: u32,
    },
    /// The string section is empty (standalone BTF), too large, or not NUL-terminated.
    #[error("invalid BTF string section: not NUL-terminated or empty")]
    BadStringSection,
    /// A standalone BTF whose first string is not the empty string.
    #[error(
        "malformed BTF string section: first string is not empty (split BTF without its base?)"
    )]
    FirstStringNotEmpty,
    /// The type section holds more types than BTF ids can number.
    #[error("too many BTF types")]
    TooManyTypes,
    /// A type's kind number is neither known nor described by a layout section.
    #[error("type [{id}]: unknown BTF kind {kind}")]
    UnknownKind {
        /// The type's id.
        id: u32,
        /// The raw kind number (0..=127).
        kind: u8,
    },
    /// A type's record (with its vlen trailing entries) runs past the end of the type section.
    #[error("type [{id}]: record at offset {off} runs past the end of the type section")]
    TruncatedType {
        /// The type's id.
        id: u32,
        /// Offset of the record within the type section.
        off: u32,
    },
    /// Bytes left at the end of the type section that are too few to hold a type.
    #[error("BTF type section has {0} trailing bytes")]
    TrailingTypeBytes(u32),
    /// A string offset outside the string sections of this BTF and its bases.
    #[error("string offset {0} out of range")]
    BadStringOffset(u32),
    /// A string offset stored in a type that does not point into the string sections.
    #[error("type [{id}]: invalid {what} (string offset {off})")]
    BadTypeString {
        /// The type's id.
        id: u32,
        /// What the string names ("type name", "field name", ...).
        what: &'static str,
        /// The offending offset.
        off: u32,
    },
    /// A type id outside `0..=type_count()`.
    #[error("type id {0} past the end")]
    BadTypeId(u32),
    /// A type that refers to a type id that does not exist.
    #[error("type [{id}]: invalid referenced type id {target}")]
    BadTypeRef {
        /// The referring type's id.
        id: u32,
        /// The id it refers to.
        target: u32,
    },
    /// A FUNC whose type is not a FUNC_PROTO.
    #[error("type [{id}]: referenced type [{target}] is not FUNC_PROTO")]
    FuncNotProto {
        /// The FUNC's id.
        id: u32,
        /// The id it refers to.
        target: u32,
    },
    /// The layout section's length is not a multiple of its record size.
    #[error("invalid BTF kind layout section of {0} bytes")]
    BadLayoutSection(u32),
    /// A layout section entry with sizes that are not multiples of 4.
    #[error("unsupported layout for BTF kind {0}")]
    BadLayout(u8),
    /// A chain of references longer than the resolve limit (usually a loop).
    #[error("type [{0}]: reference chain too deep (loop?)")]
    TooDeep(u32),
    /// A type (or what it resolves to) that has no size or is not what the query needs.
    #[error("type [{id}]: unexpected kind {kind:?}")]
    UnexpectedKind {
        /// The type's id.
        id: u32,
        /// Its kind.
        kind: Kind,
    },
    /// A resolved size that does not fit in 32 bits (array of arrays, huge element counts).
    #[error("type [{0}]: size overflows 32 bits")]
    SizeOverflow(u32),
    /// Pointer sizes other than 4 and 8.
    #[error("invalid pointer size {0}")]
    BadPointerSize(u32),

    /// Fewer bytes than the `.BTF.ext` header.
    #[error("BTF.ext header too short: {0} bytes")]
    ExtHeaderTooShort(usize),
    /// `.BTF.ext` magic mismatch.
    #[error("invalid BTF.ext magic {0:#06x}")]
    ExtBadMagic(u16),
    /// `.BTF.ext` version other than 1.
    #[error("unsupported BTF.ext version {0}")]
    ExtBadVersion(u8),
    /// `.BTF.ext` with flags set (none are defined).
    #[error("unsupported BTF.ext flags {0:#x}")]
    ExtBadFlags(u8),
    /// `.BTF.ext` header length smaller than required, or not followed by any data.
    #[error("invalid BTF.ext header length {hdr_len} (data size {size})")]
    ExtBadHeaderLen {
        /// The header's `hdr_len`.
        hdr_len: u32,
        /// Size of the `.BTF.ext` blob.
        size: usize,
    },
    /// A malformed func_info/line_info/core_relo subsection.
    #[error("BTF.ext {what} subsection: {problem}")]
    ExtBadInfo {
        /// "func_info", "line_info" or "core_relo".
        what: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },

    /// The ELF container could not be read.
    #[error("ELF: {0}")]
    Elf(#[from] object::read::Error),
    /// The ELF file has no `.BTF` section.
    #[error("no .BTF section in ELF file")]
    NoBtfSection,
    /// A BTF section whose ELF section type or flags we cannot read.
    #[error("unexpected ELF section {name}: {problem}")]
    BadElfSection {
        /// Section name.
        name: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A feature of the format this parser does not implement.
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}
