//! `bpftool map pin MAP FILE`.

use super::super::{common, Ctx};
use crate::cli::{handles, Args};
use crate::error::Result;
use crate::sys::BPF_F_RDONLY;

/// Pins one map at FILE (never over an existing file).
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    args.require_einval(3)?;
    let handle = handles::parse_map(args)?;
    let fd = common::map_fd(ctx, &handle, BPF_F_RDONLY)?;
    let path = crate::cli::path(&args.take()?);
    common::pin_fd(ctx, &fd, &path)?;
    ctx.out.null()?;
    Ok(())
}
