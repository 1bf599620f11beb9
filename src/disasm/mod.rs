//! Disassemblers: eBPF (verifier syntax) and JIT images.

pub mod bpf;
