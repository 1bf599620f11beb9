//! `bpftool prog pin PROG FILE`.

use super::super::{common, Ctx};
use crate::cli::{handles, Args};
use crate::error::Result;

/// Pins one program at FILE (never over an existing file).
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    args.require_einval(3)?;
    let handle = handles::parse_prog(args)?;
    let fd = common::prog_fd(ctx, &handle)?;
    let path = crate::cli::path(&args.take()?);
    common::pin_fd(ctx, &fd, &path)?;
    ctx.out.null()?;
    Ok(())
}
