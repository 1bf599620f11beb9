//! `bpftool map ...`.

pub mod pin;
pub mod show;

use std::ffi::OsString;

use super::{dispatch, not_yet, object_help, Ctx, Handler};
use crate::cli::help;
use crate::error::Result;

/// bpftool's `map` command table, in its order.
const COMMANDS: &[(&str, Handler)] = &[
    ("show", show::run),
    ("list", show::run),
    ("help", object_help),
    ("dump", |_, _| Err(not_yet("map dump"))),
    ("update", |_, _| Err(not_yet("map update"))),
    ("lookup", |_, _| Err(not_yet("map lookup"))),
    ("getnext", |_, _| Err(not_yet("map getnext"))),
    ("delete", |_, _| Err(not_yet("map delete"))),
    ("pin", pin::run),
    ("event_pipe", |_, _| Err(not_yet("map event_pipe"))),
    ("create", |_, _| Err(not_yet("map create"))),
    ("peek", |_, _| Err(not_yet("map peek"))),
    ("push", |_, _| Err(not_yet("map push"))),
    ("enqueue", |_, _| Err(not_yet("map enqueue"))),
    ("pop", |_, _| Err(not_yet("map pop"))),
    ("dequeue", |_, _| Err(not_yet("map dequeue"))),
    ("freeze", |_, _| Err(not_yet("map freeze"))),
];

/// `bpftool map ...`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
    dispatch(ctx, COMMANDS, words, object, help::map)
}
