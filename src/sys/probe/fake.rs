//! Recorded probe answers, for testing `feature probe` without a kernel.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::sync::Mutex;

use super::{Misc, Probe, Probes};
use crate::sys::caps::{CapSet, CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN};
use crate::sys::{SysError, SysResult};

/// What an offload device supports.
#[derive(Debug, Default, Clone)]
pub struct FakeDevice {
    /// Program types that load on it.
    pub prog_types: HashSet<u32>,
    /// Map types that can be created on it.
    pub map_types: HashSet<u32>,
    /// (program type, helper id) pairs it accepts.
    pub helpers: HashSet<(u32, u32)>,
    /// Miscellaneous features.
    pub misc: HashSet<Misc>,
    /// PCI vendor id.
    pub vendor: i64,
}

/// A machine described by its probe answers. Anything not recorded is absent: a probe
/// of it fails with `EINVAL`.
#[derive(Debug, Default)]
pub struct FakeProbes {
    /// Whether /proc is procfs.
    pub procfs: bool,
    /// /proc files and their numbers; missing files read as `-1`.
    pub sysctls: HashMap<String, i64>,
    /// The kernel config text, or bpftool's message for why there is none.
    pub config: Option<Result<Vec<u8>, String>>,
    /// Network interfaces by name.
    pub ifaces: HashMap<String, u32>,
    /// Offload devices by ifindex.
    pub devices: HashMap<u32, FakeDevice>,
    /// The process's capabilities (and every later `set_caps`).
    pub caps: Mutex<CapSet>,
    /// Every set handed to `set_caps`, in order.
    pub caps_history: Mutex<Vec<CapSet>>,
    /// Whether the kernel knows `CAP_BPF` (5.8 and later).
    pub cap_bpf_known: bool,
    /// Errno of the `bpf()` syscall probe (`ENOSYS`: no syscall).
    pub bpf_errno: i32,
    /// Program-type probe answers.
    pub prog_types: HashMap<u32, Probe>,
    /// Map-type probe answers.
    pub map_types: HashMap<u32, Probe>,
    /// Helper probe answers by (program type, helper id).
    pub helpers: HashMap<(u32, u32), Probe>,
    /// Miscellaneous features present.
    pub misc: HashSet<Misc>,
    /// Idle CPUs (0 reads as 1).
    pub idle_cpus: usize,
    /// `kernel.unprivileged_bpf_disabled` in effect: without `CAP_BPF` or `CAP_SYS_ADMIN`
    /// every probe fails with `EPERM`, and the JIT sysctls other than `bpf_jit_enable`
    /// cannot be read without `CAP_SYS_ADMIN` (as on Linux).
    pub unprivileged_bpf_disabled: bool,
}

fn absent() -> Probe {
    Probe::failed(libc::EINVAL)
}

impl FakeProbes {
    fn has(&self, cap: u32) -> bool {
        self.caps.lock().is_ok_and(|c| c.effective(cap))
    }

    /// Whether the kernel refuses BPF to this process right now.
    fn refused(&self) -> bool {
        self.unprivileged_bpf_disabled && !self.has(CAP_BPF) && !self.has(CAP_SYS_ADMIN)
    }

    fn gate(&self, probe: Probe) -> Probe {
        if self.refused() {
            Probe::failed(libc::EPERM)
        } else {
            probe
        }
    }
}

impl Probes for FakeProbes {
    fn procfs_mounted(&self) -> bool {
        self.procfs
    }

    fn read_procfs(&self, path: &str) -> i64 {
        let restricted = path.starts_with("/proc/sys/net/core/bpf_jit_")
            && path != "/proc/sys/net/core/bpf_jit_enable";
        if restricted && self.unprivileged_bpf_disabled && !self.has(CAP_SYS_ADMIN) {
            return -1;
        }
        self.sysctls.get(path).copied().unwrap_or(-1)
    }

    fn kernel_config(&self) -> Result<Vec<u8>, String> {
        self.config.clone().unwrap_or_else(|| {
            Err("skipping kernel config, can't open file: No such file or directory".into())
        })
    }

    fn ifindex(&self, name: &OsStr) -> Result<u32, i32> {
        name.to_str()
            .and_then(|n| self.ifaces.get(n).copied())
            .ok_or(libc::ENODEV)
    }

    fn vendor_id(&self, ifindex: u32) -> i64 {
        self.devices.get(&ifindex).map_or(-1, |d| d.vendor)
    }

    fn caps(&self) -> SysResult<CapSet> {
        self.caps
            .lock()
            .map(|c| *c)
            .map_err(|_| SysError::new("capget", libc::EIO))
    }

    fn set_caps(&self, caps: &CapSet) -> SysResult<()> {
        let poisoned = || SysError::new("capset", libc::EIO);
        *self.caps.lock().map_err(|_| poisoned())? = *caps;
        self.caps_history
            .lock()
            .map_err(|_| poisoned())?
            .push(*caps);
        Ok(())
    }

    fn cap_supported(&self, cap: u32) -> bool {
        (cap != CAP_BPF && cap != CAP_PERFMON) || self.cap_bpf_known
    }

    fn raise_memlock(&self) {}

    fn idle_cpus(&self) -> usize {
        self.idle_cpus.max(1)
    }

    fn bpf_syscall(&self) -> i32 {
        if self.bpf_errno != libc::ENOSYS && self.refused() {
            return libc::EPERM;
        }
        self.bpf_errno
    }

    fn prog_type(&self, prog_type: u32) -> Probe {
        self.gate(
            self.prog_types
                .get(&prog_type)
                .copied()
                .unwrap_or_else(absent),
        )
    }

    fn map_type(&self, map_type: u32) -> Probe {
        self.gate(
            self.map_types
                .get(&map_type)
                .copied()
                .unwrap_or_else(absent),
        )
    }

    fn helper(&self, prog_type: u32, helper: u32, _log: &mut [u8]) -> Probe {
        self.gate(
            self.helpers
                .get(&(prog_type, helper))
                .copied()
                .unwrap_or_else(absent),
        )
    }

    fn prog_type_dev(&self, prog_type: u32, ifindex: u32) -> Probe {
        let ok = self
            .devices
            .get(&ifindex)
            .is_some_and(|d| d.prog_types.contains(&prog_type));
        if ok {
            Probe {
                supported: true,
                errno: Some(0),
            }
        } else {
            absent()
        }
    }

    fn map_type_dev(&self, map_type: u32, ifindex: u32) -> Probe {
        let ok = self
            .devices
            .get(&ifindex)
            .is_some_and(|d| d.map_types.contains(&map_type));
        if ok {
            Probe::YES
        } else {
            absent()
        }
    }

    fn helper_dev(
        &self,
        prog_type: u32,
        helper: u32,
        ifindex: u32,
        _netronome: bool,
        _log: &mut [u8],
    ) -> Probe {
        let ok = self
            .devices
            .get(&ifindex)
            .is_some_and(|d| d.helpers.contains(&(prog_type, helper)));
        Probe {
            supported: ok,
            errno: Some(if ok { 0 } else { libc::EINVAL }),
        }
    }

    fn misc(&self, feature: Misc, ifindex: u32) -> bool {
        if self.refused() {
            false
        } else if ifindex == 0 {
            self.misc.contains(&feature)
        } else {
            self.devices
                .get(&ifindex)
                .is_some_and(|d| d.misc.contains(&feature))
        }
    }
}
