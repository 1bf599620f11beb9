//! `bpftool gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]`.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::super::Ctx;
use super::object::TempOutput;
use super::skeleton::require_or_usage;
use crate::btf::Btf;
use crate::btfgen::{self, CoreObject};
use crate::cli::{show, Args};
use crate::error::{Error, Result};

fn read(path: &Path) -> std::result::Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO)))
}

/// `gen min_core_btf`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    require_or_usage(ctx, args, 3)?;
    let input = PathBuf::from(args.take()?);
    let output = PathBuf::from(args.take()?);
    let objs: Vec<PathBuf> = args.rest().iter().map(PathBuf::from).collect();

    let shown_in = show(input.as_os_str()).into_owned();
    let src = read(&input)
        .and_then(|d| Btf::parse_raw_or_elf(&d, None).map_err(|e| e.to_string()))
        .map_err(|e| Error::Msg(format!("failed parsing '{shown_in}' BTF file: {e}")))?;
    let mut parsed = Vec::with_capacity(objs.len());
    for o in &objs {
        let shown = show(o.as_os_str()).into_owned();
        let obj = read(o)
            .and_then(|d| CoreObject::parse(&d).map_err(|e| e.to_string()))
            .map_err(|e| Error::Msg(format!("failed to parse BPF object '{shown}': {e}")))?;
        parsed.push((shown, obj));
    }
    let raw = btfgen::minimize(&src, &parsed).map_err(|e| Error::Msg(e.to_string()))?;

    let shown_out = show(output.as_os_str()).into_owned();
    let save_err = |e: std::io::Error| {
        Error::Msg(format!(
            "error saving btf file: {}",
            crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO))
        ))
    };
    // bpftool's fopen("wb") creates the file with mode 0666 less the umask.
    let mut tmp = TempOutput::create(&output, 0o666).map_err(|e| {
        Error::Msg(format!(
            "error saving btf file: cannot create a file next to '{shown_out}': {}",
            crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO))
        ))
    })?;
    tmp.file.write_all(&raw).map_err(save_err)?;
    tmp.persist(&output).map_err(save_err)?;
    Ok(())
}
