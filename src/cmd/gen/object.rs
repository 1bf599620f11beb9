//! `bpftool gen object OUTPUT_FILE INPUT_FILE [INPUT_FILE...]`: BPF static linking.

use std::ffi::OsString;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::super::Ctx;
use super::skeleton::require_or_usage;
use crate::cli::{show, Args};
use crate::error::{Error, Result};
use crate::skeleton::link;

/// A file next to the output that becomes the output only when complete; removed on drop
/// otherwise, so a failed link leaves nothing behind.
pub(super) struct TempOutput {
    path: PathBuf,
    pub(super) file: std::fs::File,
    keep: bool,
}

impl TempOutput {
    /// A new empty file next to `out`, created with `mode` (less the umask).
    pub(super) fn create(out: &Path, mode: u32) -> std::io::Result<TempOutput> {
        let dir = out.parent().filter(|d| !d.as_os_str().is_empty());
        let base = out.file_name().unwrap_or_default().to_string_lossy();
        let mut last = None;
        for i in 0..100u32 {
            let name = format!(".{base}.bpftool-rs-{}-{i}", std::process::id());
            let path = dir.map_or_else(|| PathBuf::from(&name), |d| d.join(&name));
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(TempOutput {
                        path,
                        file,
                        keep: false,
                    })
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::from_raw_os_error(libc::EEXIST)))
    }

    /// Moves the finished file over `out` (atomically, on the same file system).
    pub(super) fn persist(mut self, out: &Path) -> std::io::Result<()> {
        std::fs::rename(&self.path, out)?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempOutput {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// `gen object`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    require_or_usage(ctx, args, 2)?;
    let out: OsString = args.take()?;
    let inputs: Vec<PathBuf> = args.rest().iter().map(PathBuf::from).collect();
    let out = PathBuf::from(out);
    let errno = |e: &std::io::Error| e.raw_os_error().unwrap_or(libc::EIO);
    // The linker opens its output with mode 0644; so do we.
    let mut tmp = TempOutput::create(&out, 0o644).map_err(|e| {
        Error::Msg(format!(
            "failed to create BPF linker instance: cannot create a file next to '{}': {}",
            show(out.as_os_str()),
            crate::sys::strerror(errno(&e))
        ))
    })?;
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    crate::sys::libbpf::link(&tmp.file, &refs).map_err(|e| Error::Msg(e.to_string()))?;
    let write_err = |e: std::io::Error| {
        Error::Msg(format!(
            "failed to write '{}': {}",
            show(out.as_os_str()),
            crate::sys::strerror(errno(&e))
        ))
    };
    let mut linked = Vec::new();
    tmp.file.seek(SeekFrom::Start(0)).map_err(write_err)?;
    tmp.file.read_to_end(&mut linked).map_err(write_err)?;
    let fixed = link::upgrade_btf_header(&linked).map_err(|e| Error::Msg(e.to_string()))?;
    if fixed != linked {
        tmp.file.seek(SeekFrom::Start(0)).map_err(write_err)?;
        tmp.file.set_len(0).map_err(write_err)?;
        tmp.file.write_all(&fixed).map_err(write_err)?;
    }
    tmp.file.flush().map_err(write_err)?;
    tmp.persist(&out).map_err(write_err)?;
    Ok(())
}
