//! eBPF instruction decoder and printer in the kernel verifier's syntax.
//!
//! [`decode`] turns raw instruction bytes into [`Decoded`] instructions (LD_IMM64 pairs kept
//! together). Pure bytes to text: nothing here talks to the kernel.

pub mod helpers;
pub mod insn;

pub use helpers::helper_name;
pub use insn::{decode, Decoded, Insn, Insns, TrailingBytes, INSN_SIZE};
