//! Disassemblers: eBPF (verifier syntax) and JIT images.

pub mod bpf;
pub mod jited;
pub mod x86;
