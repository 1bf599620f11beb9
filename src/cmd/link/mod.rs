//! `bpftool link ...`.

pub mod detach;
pub mod pin;
pub mod show;

use std::ffi::OsString;

use super::{dispatch, object_help, Ctx, Handler};
use crate::cli::help;
use crate::error::Result;

/// bpftool's `link` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("show", show::run),
    ("list", show::run),
    ("help", object_help),
    ("pin", pin::run),
    ("detach", detach::run),
];

/// `bpftool link ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::link)
}
