//! `bpftool btf ...`.

pub mod show;

use std::ffi::OsString;

use super::{dispatch, not_yet, object_help, Ctx, Handler};
use crate::cli::help;
use crate::error::Result;

/// bpftool's `btf` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("show", show::run),
    ("list", show::run),
    ("help", object_help),
    ("dump", |_, _| Err(not_yet("btf dump"))),
];

/// `bpftool btf ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::btf)
}
