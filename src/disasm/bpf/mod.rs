//! eBPF instruction decoder and printer in the kernel verifier's syntax.
//!
//! [`decode`] turns raw instruction bytes into [`Decoded`] instructions (LD_IMM64 pairs kept
//! together), [`print_insn`] renders one exactly as the kernel's `print_bpf_insn()`, and
//! [`bpftool`] adds bpftool's callbacks and line layout for `prog dump xlated`.
//! Pure bytes to text: nothing here talks to the kernel.

pub mod bpftool;
pub mod cfg;
pub mod helpers;
pub mod insn;
pub mod linfo;
pub mod print;
pub mod xlated;

#[cfg(test)]
mod cases;
#[cfg(test)]
mod golden;
#[cfg(test)]
mod tests;

pub use bpftool::{BpftoolCallbacks, Kallsyms, KernelSymbols, NoSymbols};
pub use helpers::helper_name;
pub use insn::{decode, Decoded, Insn, Insns, TrailingBytes, INSN_SIZE};
pub use print::{display_insn, print_insn, Callbacks, NoCallbacks};
