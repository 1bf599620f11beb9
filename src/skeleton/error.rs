//! Why an object could not be read: libbpf's error class plus what exactly was wrong.

use std::fmt;

/// The class of an open failure, after the error numbers libbpf's `bpf_object__open`
/// returns (bpftool prints their `libbpf_strerror` text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenErrorKind {
    /// `-LIBBPF_ERRNO__FORMAT`: not a well-formed BPF ELF object.
    Format,
    /// `-LIBBPF_ERRNO__ENDIAN`.
    Endian,
    /// `-LIBBPF_ERRNO__RELOC`: a relocation libbpf cannot apply.
    Reloc,
    /// `-EINVAL`: inconsistent BTF or map definitions.
    Inval,
    /// `-ENOENT`: something required is missing.
    NoEnt,
    /// `-ENOTSUP`: a construct libbpf does not support.
    NotSup,
    /// `-ESRCH`: an extern without BTF.
    Srch,
    /// `-E2BIG`.
    TooBig,
}

impl OpenErrorKind {
    /// libbpf's `libbpf_strerror` text for the class.
    pub fn text(self) -> &'static str {
        match self {
            OpenErrorKind::Format => "BPF object format invalid",
            OpenErrorKind::Endian => "Endian mismatch",
            OpenErrorKind::Reloc => "Relocation failed",
            OpenErrorKind::Inval => "Invalid argument",
            OpenErrorKind::NoEnt => "No such file or directory",
            OpenErrorKind::NotSup => "Operation not supported",
            OpenErrorKind::Srch => "No such process",
            OpenErrorKind::TooBig => "Argument list too long",
        }
    }
}

/// A failure to read an object, as libbpf classifies it, with a precise reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenError {
    /// The class (decides the text upstream prints).
    pub kind: OpenErrorKind,
    /// What exactly was wrong (libbpf prints it as a separate warning line).
    pub detail: String,
}

impl OpenError {
    /// A new error.
    pub fn new(kind: OpenErrorKind, detail: impl Into<String>) -> Self {
        OpenError {
            kind,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.kind.text(), self.detail)
    }
}

impl std::error::Error for OpenError {}
