//! What the running kernel offers, for tests that must pin down per kernel what works and
//! what degrades, instead of skipping.
//!
//! The three kernels of the project's matrix are listed explicitly, with what was verified
//! on each (see README, "Kernel matrix"): the host's 6.18 and Debian's 6.1 and 6.12 cloud
//! kernels under ../shared/kmatrix. Any other kernel gets expectations derived from its
//! version and its config, the same rules the explicit entries follow.

#![allow(dead_code)]

use std::io::Read;
use std::sync::OnceLock;

/// A kernel capability the tests depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feature {
    /// fentry, fexit, fmod_ret and LSM programs load and attach (BPF trampolines).
    /// The host's 6.18 refuses them with EPERM at load.
    Trampoline,
    /// kprobe and kretprobe programs attach (CONFIG_KPROBES).
    KprobeAttach,
    /// kprobe_multi links (5.18, CONFIG_FPROBE).
    KprobeMulti,
    /// uprobe_multi programs and links (6.6).
    UprobeMulti,
    /// netfilter programs and links (6.4, CONFIG_NETFILTER_BPF_LINK).
    Netfilter,
    /// tcx links (6.6).
    Tcx,
    /// struct_ops maps attached through links (6.4).
    StructOpsLink,
    /// sockmap and sockhash links (6.10).
    SockmapLink,
    /// `bpf_link_info.perf_event`: what a perf_event link attaches to (6.6).
    PerfLinkInfo,
    /// `bpf_link_info.perf_event` cookies (6.9 for tracepoint, kprobe, uprobe, event).
    PerfLinkCookie,
    /// `bpf_link_info.kprobe_multi` (6.6) with cookies (6.9).
    KprobeMultiInfo,
    /// Loadable modules with their own split BTF (CONFIG_DEBUG_INFO_BTF_MODULES).
    ModuleBtf,
}

/// The running kernel: release, version and config.
#[derive(Debug)]
pub struct Kernel {
    /// `uname -r`.
    pub release: String,
    /// (major, minor).
    pub version: (u32, u32),
    config: String,
}

impl Kernel {
    /// The running kernel (read once).
    pub fn get() -> &'static Kernel {
        static K: OnceLock<Kernel> = OnceLock::new();
        K.get_or_init(|| {
            let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .expect("/proc/sys/kernel/osrelease")
                .trim()
                .to_owned();
            let mut parts = release.split(['.', '-', '+']);
            let mut num = || parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let version = (num(), num());
            Kernel {
                config: read_config(&release),
                release,
                version,
            }
        })
    }

    /// `major.minor`, the name of the kernel's golden directories.
    pub fn series(&self) -> String {
        format!("{}.{}", self.version.0, self.version.1)
    }

    /// Whether `CONFIG_<name>` is `y` (or `m`).
    pub fn config(&self, name: &str) -> bool {
        self.config.lines().any(|l| {
            l.strip_prefix("CONFIG_")
                .and_then(|l| l.strip_prefix(name))
                .is_some_and(|v| v == "=y" || v == "=m")
        })
    }

    /// Whether the kernel of the matrix or the rules say `f` works here.
    pub fn has(&self, f: Feature) -> bool {
        let at_least = |maj, min| self.version >= (maj, min);
        match f {
            // The matrix host's 6.18 (a Firecracker build whose kernel is locked down at
            // boot) refuses every trampoline program with EPERM at load, without a verifier
            // log; Debian's unlocked 6.1 and 6.12 take them. Lockdown is the observed
            // difference, so it is the rule.
            Feature::Trampoline => at_least(5, 5) && !self.locked_down(),
            Feature::KprobeAttach => self.config("KPROBES"),
            Feature::KprobeMulti => at_least(5, 18) && self.config("FPROBE"),
            Feature::UprobeMulti => at_least(6, 6) && self.config("UPROBES"),
            Feature::Netfilter => at_least(6, 4) && self.config("NETFILTER_BPF_LINK"),
            Feature::Tcx => at_least(6, 6),
            Feature::StructOpsLink => at_least(6, 4),
            Feature::SockmapLink => at_least(6, 10),
            Feature::PerfLinkInfo => at_least(6, 6),
            Feature::PerfLinkCookie => at_least(6, 9),
            Feature::KprobeMultiInfo => at_least(6, 6) && self.config("FPROBE"),
            Feature::ModuleBtf => self.config("MODULES") && self.config("DEBUG_INFO_BTF_MODULES"),
        }
    }

    /// Whether kernel lockdown (integrity or confidentiality) is active.
    pub fn locked_down(&self) -> bool {
        let path = "/sys/kernel/security/lockdown";
        if !std::path::Path::new(path).exists() {
            let _ = std::process::Command::new("mount")
                .args(["-t", "securityfs", "securityfs", "/sys/kernel/security"])
                .status();
        }
        std::fs::read_to_string(path).is_ok_and(|s| !s.contains("[none]"))
    }

    /// Whether this is one of the kernels the matrix was verified on.
    pub fn in_matrix(&self) -> bool {
        matches!(self.version, (6, 1) | (6, 12) | (6, 18))
    }

    /// Whether we run inside a kmatrix guest.
    pub fn in_guest(&self) -> bool {
        std::env::var_os("KMATRIX_GUEST").is_some()
    }
}

fn read_config(release: &str) -> String {
    if let Ok(text) = std::fs::read_to_string(format!("/boot/config-{release}")) {
        return text;
    }
    let Ok(gz) = std::fs::read("/proc/config.gz") else {
        return String::new();
    };
    let mut text = String::new();
    let _ = flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut text);
    text
}
