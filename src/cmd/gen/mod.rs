//! `bpftool gen ...`.

mod object;
mod skeleton;

use std::ffi::OsString;

use super::{dispatch, not_yet, object_help, Ctx, Handler};
use crate::cli::help;
use crate::error::Result;

/// bpftool's `gen` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("object", object::run),
    ("skeleton", skeleton::skeleton),
    ("subskeleton", skeleton::subskeleton),
    ("min_core_btf", |_, _| Err(not_yet("gen min_core_btf"))),
    ("help", object_help),
];

/// `bpftool gen ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::gen)
}
