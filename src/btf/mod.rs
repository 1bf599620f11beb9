//! BTF model and parser: our own reading of the BPF Type Format, without libbpf.
//!
//! [`Btf`] owns a BTF blob (from sysfs, an ELF `.BTF` section, or the kernel) and an index of
//! its type records built in one pass at parse time; [`Type`] is a zero-copy view of one record.
//! Split BTF (a module's on vmlinux) continues its base's type ids and string offsets.
//! [`BtfExt`] reads `.BTF.ext`. Input is treated as hostile: every offset is checked, loops are
//! bounded, and nothing panics on malformed data.
//!
//! Semantics follow libbpf's `btf.c` (validation, `btf__resolve_size`, `btf__resolve_type`,
//! `btf__find_by_name_kind`) so that bpftool-rs accepts and computes what bpftool does.
//!
//! ```no_run
//! use std::sync::Arc;
//! use bpftool_rs::btf::{Btf, Kind};
//!
//! let vmlinux = Arc::new(Btf::parse(std::fs::read("/sys/kernel/btf/vmlinux")?)?);
//! let id = vmlinux.find_by_name_kind("task_struct", Kind::Struct).unwrap_or(0);
//! let task = vmlinux.try_type_by_id(id)?;
//! for m in task.members() {
//!     let name = vmlinux.str_at(m.name_off).unwrap_or(b"?");
//!     println!("{} at bit {}", String::from_utf8_lossy(name), m.bit_offset);
//! }
//! let module = Btf::parse_split(std::fs::read("/sys/kernel/btf/nf_tables")?, vmlinux.clone())?;
//! assert_eq!(module.start_id(), vmlinux.type_count() + 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod elf;
mod endian;
mod error;
mod ext;
mod kind;
mod parse;
mod query;
pub mod sig;
mod types;
pub mod value;

#[cfg(test)]
mod builder;
#[cfg(test)]
mod tests;

pub use endian::Endianness;
pub use error::BtfError;
pub use ext::{
    BtfExt, BtfExtHeader, CoreRelo, ExtInfo, ExtRecord, ExtRecords, ExtSection, FuncInfo, LineInfo,
    BTF_EXT_HEADER_CORE_LEN, BTF_EXT_HEADER_MIN_LEN,
};
pub use kind::{Kind, TYPE_HEADER_SIZE};
pub use parse::{Btf, BtfHeader, Types, BTF_HEADER_LAYOUT_LEN, BTF_HEADER_MIN_LEN, BTF_MAGIC};
pub use query::MAX_RESOLVE_DEPTH;
pub use types::{
    Array, Entries, Entry, EnumValue, EnumValues, IntEncoding, Member, Members, Param, Params,
    Type, VarSecinfo, VarSecinfos, INT_BOOL, INT_CHAR, INT_SIGNED, LINKAGE_EXTERN, LINKAGE_GLOBAL,
    LINKAGE_STATIC,
};
