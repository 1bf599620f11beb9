//! `bpftool link pin LINK FILE`.

use super::super::{common, Ctx};
use crate::cli::{handles, Args};
use crate::error::Result;

/// Pins one link at FILE (never over an existing file).
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    args.require_einval(3)?;
    let handle = handles::parse_link(args)?;
    let fd = common::link_fd(ctx, &handle)?;
    let path = crate::cli::path(&args.take()?);
    common::pin_fd(ctx, &fd, &path)?;
    ctx.out.null()?;
    Ok(())
}
