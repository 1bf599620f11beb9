//! `bpftool feature ...`.

mod builtins;

use std::ffi::OsString;

use super::{dispatch, not_yet, object_help, Ctx, Handler};
use crate::cli::help;
use crate::error::Result;

/// bpftool's `feature` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("probe", |_, _| Err(not_yet("feature probe"))),
    ("list_builtins", builtins::run),
    ("help", object_help),
];

/// `bpftool feature ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::feature)
}
