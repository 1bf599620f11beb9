//! bpftool-rs: a drop-in Rust reimplementation of `bpftool`.
//!
//! The binary (`src/main.rs`) is a thin shell around this library:
//! `cli` parses bpftool's grammar, `cmd` runs one command against the kernel
//! through the `sys` seam and renders the result with `output`.

pub mod btf;
pub mod btfgen;
pub mod cli;
pub mod cmd;
pub mod disasm;
pub mod error;
pub mod output;
pub mod skeleton;
pub mod sys;
