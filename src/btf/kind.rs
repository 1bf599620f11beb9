//! BTF kinds and the shape of their records.

use std::fmt;

/// A BTF type kind; discriminants are the `BTF_KIND_*` numbers of `include/uapi/linux/btf.h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Kind {
    /// `BTF_KIND_UNKN` (also the void type, id 0, and kinds only a layout section describes).
    Unknown = 0,
    /// `BTF_KIND_INT`.
    Int = 1,
    /// `BTF_KIND_PTR`.
    Ptr = 2,
    /// `BTF_KIND_ARRAY`.
    Array = 3,
    /// `BTF_KIND_STRUCT`.
    Struct = 4,
    /// `BTF_KIND_UNION`.
    Union = 5,
    /// `BTF_KIND_ENUM` (values up to 32 bits).
    Enum = 6,
    /// `BTF_KIND_FWD`.
    Fwd = 7,
    /// `BTF_KIND_TYPEDEF`.
    Typedef = 8,
    /// `BTF_KIND_VOLATILE`.
    Volatile = 9,
    /// `BTF_KIND_CONST`.
    Const = 10,
    /// `BTF_KIND_RESTRICT`.
    Restrict = 11,
    /// `BTF_KIND_FUNC`.
    Func = 12,
    /// `BTF_KIND_FUNC_PROTO`.
    FuncProto = 13,
    /// `BTF_KIND_VAR`.
    Var = 14,
    /// `BTF_KIND_DATASEC`.
    Datasec = 15,
    /// `BTF_KIND_FLOAT`.
    Float = 16,
    /// `BTF_KIND_DECL_TAG`.
    DeclTag = 17,
    /// `BTF_KIND_TYPE_TAG`.
    TypeTag = 18,
    /// `BTF_KIND_ENUM64`.
    Enum64 = 19,
}

/// Size of `struct btf_type`, the common head of every type record.
pub const TYPE_HEADER_SIZE: usize = 12;

impl Kind {
    /// Every kind in numeric order.
    pub const ALL: [Kind; 20] = [
        Kind::Unknown,
        Kind::Int,
        Kind::Ptr,
        Kind::Array,
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::Fwd,
        Kind::Typedef,
        Kind::Volatile,
        Kind::Const,
        Kind::Restrict,
        Kind::Func,
        Kind::FuncProto,
        Kind::Var,
        Kind::Datasec,
        Kind::Float,
        Kind::DeclTag,
        Kind::TypeTag,
        Kind::Enum64,
    ];

    /// The kind with this `BTF_KIND_*` number, if it is one we know.
    pub fn from_raw(raw: u8) -> Option<Kind> {
        Kind::ALL.get(usize::from(raw)).copied()
    }

    /// The `BTF_KIND_*` number.
    pub fn raw(self) -> u8 {
        self as u8
    }

    /// The name bpftool prints for the kind ("INT", "FUNC_PROTO", "UNKNOWN", ...).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Unknown => "UNKNOWN",
            Kind::Int => "INT",
            Kind::Ptr => "PTR",
            Kind::Array => "ARRAY",
            Kind::Struct => "STRUCT",
            Kind::Union => "UNION",
            Kind::Enum => "ENUM",
            Kind::Fwd => "FWD",
            Kind::Typedef => "TYPEDEF",
            Kind::Volatile => "VOLATILE",
            Kind::Const => "CONST",
            Kind::Restrict => "RESTRICT",
            Kind::Func => "FUNC",
            Kind::FuncProto => "FUNC_PROTO",
            Kind::Var => "VAR",
            Kind::Datasec => "DATASEC",
            Kind::Float => "FLOAT",
            Kind::DeclTag => "DECL_TAG",
            Kind::TypeTag => "TYPE_TAG",
            Kind::Enum64 => "ENUM64",
        }
    }

    /// Bytes of the single fixed entry after `struct btf_type` (e.g. `struct btf_array`).
    pub fn info_size(self) -> usize {
        match self {
            Kind::Int | Kind::Var | Kind::DeclTag => 4,
            Kind::Array => 12,
            _ => 0,
        }
    }

    /// Bytes of each of the `vlen` entries after the fixed part (members, params, ...).
    pub fn vlen_entry_size(self) -> usize {
        match self {
            Kind::Struct | Kind::Union | Kind::Enum64 | Kind::Datasec => 12,
            Kind::Enum | Kind::FuncProto => 8,
            _ => 0,
        }
    }

    /// True for the kinds whose third header word is a byte size rather than a type id.
    pub fn has_size(self) -> bool {
        matches!(
            self,
            Kind::Int
                | Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Enum64
                | Kind::Datasec
                | Kind::Float
        )
    }

    /// True for the kinds whose third header word is a referenced type id.
    pub fn has_ref_type(self) -> bool {
        matches!(
            self,
            Kind::Ptr
                | Kind::Typedef
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::Func
                | Kind::FuncProto
                | Kind::Var
                | Kind::DeclTag
                | Kind::TypeTag
        )
    }

    /// True for the type modifiers libbpf's `btf_is_mod` names: volatile, const, restrict,
    /// type_tag.
    pub fn is_modifier(self) -> bool {
        matches!(
            self,
            Kind::Volatile | Kind::Const | Kind::Restrict | Kind::TypeTag
        )
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for (i, kind) in Kind::ALL.iter().enumerate() {
            assert_eq!(usize::from(kind.raw()), i);
            assert_eq!(Kind::from_raw(kind.raw()), Some(*kind));
        }
        assert_eq!(Kind::from_raw(20), None);
        assert_eq!(Kind::from_raw(127), None);
        assert_eq!(Kind::Enum64 as u8, 19);
        assert_eq!(Kind::FuncProto.to_string(), "FUNC_PROTO");
    }
}
