//! `bpftool link detach LINK`.

use std::os::fd::AsFd;

use super::super::{common, Ctx};
use crate::cli::{handles, Args};
use crate::error::{Error, Result};

/// bpftool's `link detach` fails with exit status 1, not 255.
fn status1(e: Error) -> Error {
    match e {
        Error::Msg(msg) | Error::Status { msg, .. } => Error::Status { msg, status: 1 },
        other => other,
    }
}

/// Detaches a link from its hook; the link object stays until its last holder closes.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    if args.len() != 2 {
        // bpftool's message ends with a newline of its own.
        return Err(Error::Status {
            msg: "link specifier is invalid or missing\n".into(),
            status: 1,
        });
    }
    let handle = handles::parse_link(args).map_err(status1)?;
    let fd = common::link_fd(ctx, &handle).map_err(status1)?;
    ctx.k.link_detach(fd.as_fd()).map_err(|e| Error::Status {
        msg: format!("failed link detach: {e}"),
        status: 1,
    })?;
    ctx.out.null()?;
    Ok(())
}
