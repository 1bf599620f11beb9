//! `bpftool feature ...`.

mod builtins;
mod probe;
pub mod report;

use std::ffi::OsString;

use super::{dispatch, object_help, Ctx, Handler};
use crate::cli::help;
use crate::error::Result;

/// bpftool's `feature` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("probe", probe::run),
    ("list_builtins", builtins::run),
    ("help", object_help),
];

/// `bpftool feature ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::feature)
}
