//! `bpftool gen ...`.

mod min_core_btf;
mod object;
mod skeleton;

use std::ffi::OsString;

use super::{dispatch, object_help, Ctx, Handler};
use crate::cli::help;
use crate::error::Result;

/// bpftool's `gen` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("object", object::run),
    ("skeleton", skeleton::skeleton),
    ("subskeleton", skeleton::subskeleton),
    ("min_core_btf", min_core_btf::run),
    ("help", object_help),
];

/// `bpftool gen ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::gen)
}
