//! `bpftool feature list_builtins GROUP`: the names this build knows.

use std::io::{self, Write};

use serde::Serialize;

use crate::cli::{show, Args};
use crate::cmd::Ctx;
use crate::disasm::bpf::helpers::HELPER_NAMES;
use crate::error::{Error, Result};
use crate::output::Plain;
use crate::sys::names;

/// A list of names: one per line, or a JSON array.
#[derive(Debug, Serialize)]
#[serde(transparent)]
struct Names(Vec<&'static str>);

impl Plain for Names {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        for n in &self.0 {
            writeln!(w, "{n}")?;
        }
        Ok(())
    }
}

/// The names of a table from id 0 up to the first id it has no name for, as bpftool's
/// loop over the `libbpf_bpf_*_str` functions stops.
fn until_gap(table: &'static [Option<&'static str>]) -> Vec<&'static str> {
    table.iter().map_while(|n| *n).collect()
}

/// `bpftool feature list_builtins ...`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let Some(group) = args.peek().map(ToOwned::to_owned) else {
        return Err(args.usage());
    };
    let list = if args.is("prog_types") {
        until_gap(names::PROG_TYPE_NAMES)
    } else if args.is("map_types") {
        until_gap(names::MAP_TYPE_NAMES)
    } else if args.is("attach_types") {
        until_gap(names::ATTACH_TYPE_NAMES)
    } else if args.is("link_types") {
        until_gap(names::LINK_TYPE_NAMES)
    } else if args.is("helpers") {
        HELPER_NAMES.to_vec()
    } else {
        return Err(Error::Msg(format!(
            "expected 'prog_types', 'map_types', 'attach_types', 'link_types' or 'helpers', got: {}",
            show(&group)
        )));
    };
    ctx.out.emit(&Names(list))?;
    Ok(())
}
