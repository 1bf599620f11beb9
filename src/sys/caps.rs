//! Process capabilities through the raw `capget`/`capset`/`prctl` syscalls.
//!
//! bpftool drops its BPF-related capabilities with libcap for `feature probe unprivileged`;
//! the three calls libcap makes for that are small enough to make directly, which keeps
//! libcap out of the build.

use super::{SysError, SysResult};

/// `CAP_NET_ADMIN`.
pub const CAP_NET_ADMIN: u32 = 12;
/// `CAP_SYS_ADMIN`.
pub const CAP_SYS_ADMIN: u32 = 21;
/// `CAP_PERFMON`.
pub const CAP_PERFMON: u32 = 38;
/// `CAP_BPF`.
pub const CAP_BPF: u32 = 39;

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets in two 32-bit halves.
const VERSION_3: u32 = 0x2008_0522;

#[repr(C)]
struct Header {
    version: u32,
    pid: i32,
}

/// One 32-bit half of the three capability sets (`struct __user_cap_data_struct`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Data {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// The calling thread's capability sets, as `capget` reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapSet {
    data: [Data; 2],
}

impl CapSet {
    /// A set with exactly `caps` effective and permitted (tests and fakes).
    pub fn with(caps: &[u32]) -> CapSet {
        let mut s = CapSet::default();
        for &c in caps {
            if let Some((word, bit)) = split(c) {
                s.data[word].effective |= bit;
                s.data[word].permitted |= bit;
            }
        }
        s
    }

    /// Whether `cap` is in the effective set (libcap's `cap_get_flag(CAP_EFFECTIVE)`).
    pub fn effective(&self, cap: u32) -> bool {
        split(cap).is_some_and(|(word, bit)| self.data[word].effective & bit != 0)
    }

    /// Takes `cap` out of the effective set; the permitted set keeps it, so it can be
    /// raised again.
    pub fn clear_effective(&mut self, cap: u32) {
        if let Some((word, bit)) = split(cap) {
            self.data[word].effective &= !bit;
        }
    }
}

fn split(cap: u32) -> Option<(usize, u32)> {
    let word = usize::try_from(cap / 32).ok().filter(|&w| w < 2)?;
    Some((word, 1 << (cap % 32)))
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// `capget` of the calling thread.
pub fn get() -> SysResult<CapSet> {
    let mut hdr = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut set = CapSet::default();
    // SAFETY: the header is valid and version 3 makes the kernel write exactly two
    // `Data` records, which `set.data` holds.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capget,
            &mut hdr as *mut Header,
            set.data.as_mut_ptr(),
        )
    };
    if rc < 0 {
        return Err(SysError::new("capget", errno()));
    }
    Ok(set)
}

/// `capset` of the calling thread (other threads keep their sets).
pub fn set(caps: &CapSet) -> SysResult<()> {
    let mut hdr = Header {
        version: VERSION_3,
        pid: 0,
    };
    // SAFETY: the header is valid and version 3 makes the kernel read exactly two
    // `Data` records from a buffer that holds them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_capset,
            &mut hdr as *mut Header,
            caps.data.as_ptr(),
        )
    };
    if rc < 0 {
        return Err(SysError::new("capset", errno()));
    }
    Ok(())
}

/// Whether the running kernel knows `cap` (libcap's `CAP_IS_SUPPORTED`: the bounding set
/// can be read for it).
pub fn supported(cap: u32) -> bool {
    // SAFETY: PR_CAPBSET_READ only reads its integer argument.
    let rc = unsafe { libc::prctl(libc::PR_CAPBSET_READ, libc::c_ulong::from(cap), 0, 0, 0) };
    rc >= 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_in_both_halves() {
        let mut s = CapSet::with(&[CAP_SYS_ADMIN, CAP_BPF]);
        assert!(s.effective(CAP_SYS_ADMIN));
        assert!(s.effective(CAP_BPF));
        assert!(!s.effective(CAP_PERFMON));
        s.clear_effective(CAP_BPF);
        assert!(!s.effective(CAP_BPF));
        assert_eq!(s.data[1].permitted, 1 << (CAP_BPF - 32));
        assert!(!s.effective(999));
    }

    #[test]
    fn own_caps_round_trip() {
        // Whatever this process holds, writing it back unchanged must be accepted.
        let caps = get().expect("capget");
        set(&caps).expect("capset of the same sets");
        assert_eq!(get().expect("capget"), caps);
        assert!(supported(CAP_SYS_ADMIN));
    }
}
