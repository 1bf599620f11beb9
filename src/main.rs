//! `bpftool-rs`: parse argv, run one command against the real kernel, exit.

use std::process::ExitCode;

use bpftool_rs::output::Output;
use bpftool_rs::sys::RealKernel;

fn main() -> ExitCode {
    let argv: Vec<_> = std::env::args_os().collect();
    ExitCode::from(bpftool_rs::cmd::main(argv, &RealKernel, Output::stdio))
}
