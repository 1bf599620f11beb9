//! `bpftool version` / `-V`.

use std::ffi::OsString;
use std::io::{self, Write};

use serde::Serialize;

use super::Ctx;
use crate::error::Result;
use crate::output::Plain;

/// The upstream bpftool release whose grammar and output this version reproduces.
pub const BPFTOOL_COMPAT_VERSION: &str = "7.8.0";

#[derive(Debug, Serialize)]
struct Features {
    libbfd: bool,
    llvm: bool,
    crypto: bool,
    skeletons: bool,
    bootstrap: bool,
}

/// What `version` reports.
#[derive(Debug, Serialize)]
pub struct Version {
    version: &'static str,
    libbpf_version: String,
    features: Features,
    bpftool_rs_version: &'static str,
}

impl Version {
    /// This build's version information.
    pub fn current() -> Version {
        let (major, minor) = crate::sys::libbpf_version();
        Version {
            version: BPFTOOL_COMPAT_VERSION,
            libbpf_version: format!("{major}.{minor}"),
            features: Features {
                libbfd: false,
                llvm: false,
                crypto: false,
                // Holders of objects (`pids`) are always shown, which is what upstream's
                // "skeletons" feature provides.
                skeletons: true,
                bootstrap: false,
            },
            bpftool_rs_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

impl Plain for Version {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        writeln!(
            w,
            "bpftool v{} (bpftool-rs v{})",
            self.version, self.bpftool_rs_version
        )?;
        writeln!(w, "using libbpf v{}", self.libbpf_version)?;
        let f = &self.features;
        let names: Vec<&str> = [
            ("libbfd", f.libbfd),
            ("llvm", f.llvm),
            ("crypto", f.crypto),
            ("skeletons", f.skeletons),
            ("bootstrap", f.bootstrap),
        ]
        .iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| *n)
        .collect();
        // bpftool prints "features:" then " name" / ", name".
        let mut line = String::from("features:");
        for (i, n) in names.iter().enumerate() {
            line.push_str(if i == 0 { " " } else { ", " });
            line.push_str(n);
        }
        writeln!(w, "{line}")
    }
}

/// `bpftool version` (arguments are ignored, as upstream does).
pub fn run(ctx: &mut Ctx<'_>, _words: Vec<OsString>, _object: OsString) -> Result<()> {
    ctx.out.emit(&Version::current())?;
    Ok(())
}
