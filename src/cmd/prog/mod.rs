//! `bpftool prog ...`.

pub mod dump;
mod metadata;
pub mod pin;
pub mod show;

use std::ffi::OsString;

use super::{dispatch, not_yet, object_help, Ctx, Handler};
use crate::cli::{help, Args};
use crate::error::Result;

/// bpftool's `prog` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("show", show::run),
    ("list", show::run),
    ("help", object_help),
    ("dump", dump::run),
    ("pin", pin::run),
    ("load", load),
    ("loadall", loadall),
    ("attach", attach),
    ("detach", detach),
    ("tracelog", tracelog),
    ("run", run_prog),
    ("profile", profile),
];

/// `bpftool prog ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::prog)
}

fn load(_: &mut Ctx<'_>, _: &mut Args) -> Result<()> {
    Err(not_yet("prog load"))
}
fn loadall(_: &mut Ctx<'_>, _: &mut Args) -> Result<()> {
    Err(not_yet("prog loadall"))
}
fn attach(_: &mut Ctx<'_>, _: &mut Args) -> Result<()> {
    Err(not_yet("prog attach"))
}
fn detach(_: &mut Ctx<'_>, _: &mut Args) -> Result<()> {
    Err(not_yet("prog detach"))
}
fn tracelog(_: &mut Ctx<'_>, _: &mut Args) -> Result<()> {
    Err(not_yet("prog tracelog"))
}
fn run_prog(_: &mut Ctx<'_>, _: &mut Args) -> Result<()> {
    Err(not_yet("prog run"))
}
fn profile(_: &mut Ctx<'_>, _: &mut Args) -> Result<()> {
    Err(not_yet("prog profile"))
}
