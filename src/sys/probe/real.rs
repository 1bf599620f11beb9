//! The probes on the running kernel: raw `bpf(2)` calls shaped as libbpf 1.8 shapes them.

use std::ffi::{CString, OsStr};
use std::io::Read;
use std::mem::{size_of, zeroed};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use libbpf_sys as sys;

use super::{
    helper_log_rejects, log_contains, map, misc_program, netronome_log_rejects, parse_procfs_long,
    parse_vendor_id, prog, Insn, Misc, Probe, Probes, ENOTSUPP, LOG_SIZE,
};
use crate::sys::caps::{self, CapSet};
use crate::sys::SysResult;

/// libbpf's `PROG_LOAD_ATTEMPTS`: loads interrupted by a signal (`EAGAIN`) are retried.
const PROG_LOAD_ATTEMPTS: u32 = 5;

/// `PROC_SUPER_MAGIC`.
const PROC_SUPER_MAGIC: i64 = 0x9fa0;

/// UAPI attach types the probes load with.
const BPF_CGROUP_INET4_CONNECT: u32 = 10;
const BPF_LIRC_MODE2: u32 = 16;
const BPF_CGROUP_GETSOCKOPT: u32 = 21;
const BPF_TRACE_FENTRY: u32 = 24;
const BPF_MODIFY_RETURN: u32 = 26;
const BPF_SK_LOOKUP: u32 = 36;
const BPF_NETFILTER: u32 = 45;

/// Map and program flags.
const BPF_F_NO_PREALLOC: u32 = 1;
const BPF_F_MMAPABLE: u32 = 1 << 10;
const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// The probes against the running kernel.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealProbes;

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn zeroed_attr() -> sys::bpf_attr {
    // SAFETY: `bpf_attr` is a C union of plain integers; all-zero bytes are valid and
    // are exactly what the kernel expects in unused fields.
    unsafe { zeroed() }
}

/// One `bpf(cmd, attr)` call returning a new descriptor, or the errno.
fn bpf_fd(cmd: sys::bpf_cmd, attr: &mut sys::bpf_attr) -> Result<OwnedFd, i32> {
    // SAFETY: `attr` is a valid, initialised `bpf_attr` that lives across the call, and
    // the size passed is its exact size. The pointers our callers store in it (program,
    // license, log, BTF) point to buffers that outlive the call, with their lengths.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut sys::bpf_attr,
            size_of::<sys::bpf_attr>(),
        )
    };
    if ret < 0 {
        return Err(errno());
    }
    let raw = i32::try_from(ret).map_err(|_| libc::EBADF)?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns; dropping the
    // `OwnedFd` closes it, as the probes do right away.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

fn ptr_u64<T>(p: *const T) -> u64 {
    p as usize as u64
}

static GPL: &[u8] = b"GPL\0";

/// A `BPF_PROG_LOAD` request, with the options libbpf's probes set.
#[derive(Default)]
struct Load<'a> {
    prog_type: u32,
    insns: &'a [Insn],
    /// `"GPL"`, or no license at all (bpftool's syscall probe).
    gpl: bool,
    expected_attach_type: u32,
    kern_version: u32,
    prog_flags: u32,
    attach_btf_id: u32,
    ifindex: u32,
    /// Verifier log into this buffer, at `log_level` (1 when 0).
    log: Option<&'a mut [u8]>,
    log_level: u32,
}

/// libbpf's `bpf_prog_load` for what the probes use of it: one attempt, retried on EAGAIN.
fn prog_load(l: &mut Load<'_>) -> Result<OwnedFd, i32> {
    let mut attempts = PROG_LOAD_ATTEMPTS;
    loop {
        let mut a = sys::bpf_attr__bindgen_ty_4 {
            prog_type: l.prog_type,
            insns: ptr_u64(l.insns.as_ptr()),
            insn_cnt: u32::try_from(l.insns.len()).map_err(|_| libc::E2BIG)?,
            license: if l.gpl { ptr_u64(GPL.as_ptr()) } else { 0 },
            expected_attach_type: l.expected_attach_type,
            kern_version: l.kern_version,
            prog_flags: l.prog_flags,
            attach_btf_id: l.attach_btf_id,
            prog_ifindex: l.ifindex,
            ..Default::default()
        };
        if let Some(log) = l.log.as_deref_mut() {
            a.log_level = l.log_level.max(1);
            a.log_buf = ptr_u64(log.as_mut_ptr());
            a.log_size = u32::try_from(log.len()).unwrap_or(u32::MAX);
        }
        let mut attr = zeroed_attr();
        attr.__bindgen_anon_3 = a;
        match bpf_fd(sys::BPF_PROG_LOAD, &mut attr) {
            Err(libc::EAGAIN) if attempts > 1 => attempts -= 1,
            r => return r,
        }
    }
}

/// A `BPF_MAP_CREATE` request.
#[derive(Default)]
struct Create {
    map_type: u32,
    key_size: u32,
    value_size: u32,
    max_entries: u32,
    map_flags: u32,
    inner_map_fd: u32,
    btf_fd: u32,
    btf_key_type_id: u32,
    btf_value_type_id: u32,
    btf_vmlinux_value_type_id: u32,
    value_type_btf_obj_fd: i32,
    ifindex: u32,
}

fn map_create(c: &Create) -> Result<OwnedFd, i32> {
    let mut attr = zeroed_attr();
    attr.__bindgen_anon_1 = sys::bpf_attr__bindgen_ty_1 {
        map_type: c.map_type,
        key_size: c.key_size,
        value_size: c.value_size,
        max_entries: c.max_entries,
        map_flags: c.map_flags,
        inner_map_fd: c.inner_map_fd,
        btf_fd: c.btf_fd,
        btf_key_type_id: c.btf_key_type_id,
        btf_value_type_id: c.btf_value_type_id,
        btf_vmlinux_value_type_id: c.btf_vmlinux_value_type_id,
        value_type_btf_obj_fd: c.value_type_btf_obj_fd,
        map_ifindex: c.ifindex,
        ..Default::default()
    };
    bpf_fd(sys::BPF_MAP_CREATE, &mut attr)
}

fn btf_load(data: &[u8]) -> Result<OwnedFd, i32> {
    let mut attr = zeroed_attr();
    attr.__bindgen_anon_7 = sys::bpf_attr__bindgen_ty_12 {
        btf: ptr_u64(data.as_ptr()),
        btf_size: u32::try_from(data.len()).map_err(|_| libc::E2BIG)?,
        ..Default::default()
    };
    bpf_fd(sys::BPF_BTF_LOAD, &mut attr)
}

fn fd_u32(fd: &OwnedFd) -> u32 {
    use std::os::fd::AsRawFd;
    // Descriptors are non-negative, so the cast keeps the value.
    fd.as_raw_fd() as u32
}

/// The version code kprobe programs are loaded with, computed once.
fn kern_version() -> u32 {
    static V: OnceLock<u32> = OnceLock::new();
    *V.get_or_init(|| {
        let sig = std::fs::read_to_string("/proc/version_signature").ok();
        let (release, version) = match nix::sys::utsname::uname() {
            Ok(u) => (
                u.release().to_string_lossy().into_owned(),
                u.version().to_string_lossy().into_owned(),
            ),
            Err(_) => (String::new(), String::new()),
        };
        super::kernel_version(sig.as_deref(), &release, &version)
    })
}

/// Log levels that give the verifier's messages without its instruction trace, cheapest
/// first: `BPF_LOG_FIXED` alone (6.4 on: messages and one statistics line), then
/// `BPF_LOG_STATS` (5.2 on; older kernels print everything at any level), then libbpf's
/// level 1, which every kernel takes.
const QUIET_LOG_LEVELS: [u32; 3] = [8, 4, 1];

/// Index in [`QUIET_LOG_LEVELS`] of the cheapest level this kernel has accepted so far.
static QUIET_LOG_LEVEL: AtomicUsize = AtomicUsize::new(0);

/// libbpf's `probe_prog_load`: 1 when the program type loads (or fails exactly the way
/// that proves it exists), 0 when not, `-EOPNOTSUPP` for types it has no recipe for; and
/// the errno it left.
fn probe_prog_load(
    prog_type: u32,
    insns: &[Insn],
    log: Option<&mut [u8]>,
    log_level: u32,
) -> (i32, Option<i32>) {
    // Only the types that need a target get a log of libbpf's own.
    let mut own_log;
    let mut l = Load {
        prog_type,
        insns,
        gpl: true,
        log,
        log_level,
        ..Load::default()
    };
    // (expected errno, expected log message) for types that cannot load without a target.
    let mut expect: Option<(i32, Option<&str>)> = None;
    match prog_type {
        prog::CGROUP_SOCK_ADDR => l.expected_attach_type = BPF_CGROUP_INET4_CONNECT,
        prog::CGROUP_SOCKOPT => l.expected_attach_type = BPF_CGROUP_GETSOCKOPT,
        prog::SK_LOOKUP => l.expected_attach_type = BPF_SK_LOOKUP,
        prog::KPROBE => l.kern_version = kern_version(),
        prog::LIRC_MODE2 => l.expected_attach_type = BPF_LIRC_MODE2,
        prog::TRACING | prog::LSM => {
            l.expected_attach_type = if prog_type == prog::TRACING {
                BPF_TRACE_FENTRY
            } else {
                BPF_MODIFY_RETURN
            };
            l.attach_btf_id = 1;
            expect = Some((libc::EINVAL, Some("attach_btf_id 1 is not a function")));
        }
        prog::EXT => {
            l.attach_btf_id = 1;
            expect = Some((libc::EINVAL, Some("Cannot replace kernel functions")));
        }
        prog::SYSCALL => l.prog_flags = BPF_F_SLEEPABLE,
        prog::STRUCT_OPS => expect = Some((ENOTSUPP, None)),
        prog::NETFILTER => l.expected_attach_type = BPF_NETFILTER,
        0..prog::END => {}
        _ => return (-libc::EOPNOTSUPP, Some(libc::EOPNOTSUPP)),
    }
    if matches!(prog_type, prog::TRACING | prog::LSM | prog::EXT) {
        own_log = [0u8; LOG_SIZE];
        l.log = Some(&mut own_log);
        l.log_level = 1;
    }
    let res = prog_load(&mut l);
    let err = res.as_ref().err().copied();
    let ok = match (expect, &res) {
        (None, r) => r.is_ok(),
        (Some(_), Ok(_)) => false,
        (Some((want, msg)), Err(e)) => {
            *e == want && msg.is_none_or(|m| l.log.as_deref().is_some_and(|b| log_contains(b, m)))
        }
    };
    (i32::from(ok), err)
}

/// libbpf's `probe_map_create`: 1 when the map type can be created, 0 when not,
/// `-EOPNOTSUPP` for unknown types, `<0` when the BTF it needs does not load.
fn probe_map_create(map_type: u32) -> (i32, Option<i32>) {
    let mut c = Create {
        map_type,
        key_size: 4,
        value_size: 4,
        max_entries: 1,
        ..Create::default()
    };
    let mut expect_err = None;
    let mut btf = None;
    match map_type {
        map::STACK_TRACE => c.value_size = 8,
        map::LPM_TRIE => {
            c.key_size = 8;
            c.value_size = 8;
            c.map_flags = BPF_F_NO_PREALLOC;
        }
        map::RHASH => c.map_flags = BPF_F_NO_PREALLOC,
        map::CGROUP_STORAGE | map::PERCPU_CGROUP_STORAGE => {
            // sizeof(struct bpf_cgroup_storage_key): u64 + u32, padded.
            c.key_size = 16;
            c.value_size = 8;
            c.max_entries = 0;
        }
        map::QUEUE | map::STACK => c.key_size = 0,
        map::SK_STORAGE | map::INODE_STORAGE | map::TASK_STORAGE | map::CGRP_STORAGE => {
            c.btf_key_type_id = 1;
            c.btf_value_type_id = 3;
            c.value_size = 8;
            c.max_entries = 0;
            c.map_flags = BPF_F_NO_PREALLOC;
            match btf_load(&super::local_storage_btf()) {
                Ok(fd) => btf = Some(fd),
                Err(e) => return (-e, Some(e)),
            }
        }
        map::RINGBUF | map::USER_RINGBUF => {
            c.key_size = 0;
            c.value_size = 0;
            c.max_entries = page_size();
        }
        map::STRUCT_OPS => {
            // An invalid BTF type id: a kernel that has struct_ops maps says ENOTSUPP.
            c.btf_vmlinux_value_type_id = 1;
            c.value_type_btf_obj_fd = -1;
            expect_err = Some(ENOTSUPP);
        }
        map::BLOOM_FILTER => c.key_size = 0,
        map::ARENA => {
            c.key_size = 0;
            c.value_size = 0;
            c.map_flags = BPF_F_MMAPABLE;
        }
        // sizeof(struct bpf_insn_array_value): four u32.
        map::INSN_ARRAY => c.value_size = 16,
        1..map::END => {}
        _ => return (-libc::EOPNOTSUPP, Some(libc::EOPNOTSUPP)),
    }
    let mut last_err = None;
    let mut inner = None;
    if matches!(map_type, map::ARRAY_OF_MAPS | map::HASH_OF_MAPS) {
        match map_create(&Create {
            map_type: map::HASH,
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            ..Create::default()
        }) {
            Ok(fd) => {
                c.inner_map_fd = fd_u32(&fd);
                inner = Some(fd);
            }
            // libbpf skips the outer map; the errno is that of the inner one.
            Err(e) => return (0, Some(e)),
        }
    }
    if let Some(fd) = &btf {
        c.btf_fd = fd_u32(fd);
    }
    let res = map_create(&c);
    if let Err(e) = res {
        last_err = Some(e);
    }
    drop(inner);
    drop(btf);
    let ok = match (expect_err, &res) {
        (Some(want), Err(e)) => *e == want,
        (Some(_), Ok(_)) => false,
        (None, r) => r.is_ok(),
    };
    (i32::from(ok), last_err)
}

fn page_size() -> u32 {
    // SAFETY: sysconf only reads a system constant.
    let v = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u32::try_from(v).unwrap_or(4096)
}

/// Why a config file gave no text: it would not open (bpftool then tries the next one), or
/// it opened and would not read.
enum GzError {
    Open(i32),
    Read(i32),
}

fn os_errno(e: &std::io::Error) -> i32 {
    e.raw_os_error().unwrap_or(libc::EIO)
}

/// Reads a file the way zlib's `gzopen`/`gzread` do: gzip data is decompressed, anything
/// else is returned as is.
fn read_gz(path: &str) -> Result<Vec<u8>, GzError> {
    let mut f = std::fs::File::open(path).map_err(|e| GzError::Open(os_errno(&e)))?;
    let mut raw = Vec::new();
    f.read_to_end(&mut raw)
        .map_err(|e| GzError::Read(os_errno(&e)))?;
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    // zlib hands out what decompresses and stops at the first error; so do we.
    let _ = flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out);
    Ok(out)
}

impl Probes for RealProbes {
    fn procfs_mounted(&self) -> bool {
        match nix::sys::statfs::statfs("/proc") {
            Ok(st) => st.filesystem_type() == nix::sys::statfs::FsType(PROC_SUPER_MAGIC as _),
            Err(_) => false,
        }
    }

    fn read_procfs(&self, path: &str) -> i64 {
        match std::fs::read(path) {
            Ok(text) => parse_procfs_long(&text),
            Err(_) => -1,
        }
    }

    fn kernel_config(&self) -> Result<Vec<u8>, String> {
        let release = nix::sys::utsname::uname()
            .map(|u| u.release().to_string_lossy().into_owned())
            .ok();
        let cant_read = |e: i32| {
            format!(
                "skipping kernel config, can't read from file: {}",
                crate::sys::strerror(e)
            )
        };
        let boot = match &release {
            Some(r) => read_gz(&format!("/boot/config-{r}")),
            None => Err(GzError::Open(0)),
        };
        let mut stale_errno = 0;
        let text = match boot {
            Ok(t) => t,
            Err(GzError::Read(e)) => return Err(cant_read(e)),
            Err(GzError::Open(e)) => {
                stale_errno = e;
                match read_gz("/proc/config.gz") {
                    Ok(t) => t,
                    Err(GzError::Read(e)) => return Err(cant_read(e)),
                    Err(GzError::Open(e)) => {
                        return Err(format!(
                            "skipping kernel config, can't open file: {}",
                            crate::sys::strerror(e)
                        ))
                    }
                }
            }
        };
        // bpftool reports a file with fewer than two lines with whatever errno its
        // failed `gzopen` of /boot left (its reads at EOF do not set one).
        match super::parse_kernel_config(&text, &[]) {
            Err(super::ConfigError::Short) => Err(cant_read(stale_errno)),
            Err(super::ConfigError::NotConfig) => {
                Err("skipping kernel config, can't find correct file".to_owned())
            }
            Ok(_) => Ok(text),
        }
    }

    fn ifindex(&self, name: &OsStr) -> Result<u32, i32> {
        let c = CString::new(name.as_bytes()).map_err(|_| libc::ENODEV)?;
        // SAFETY: `c` is a valid NUL-terminated string for the duration of the call.
        let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
        if idx == 0 {
            return Err(errno());
        }
        Ok(idx)
    }

    fn vendor_id(&self, ifindex: u32) -> i64 {
        let Some(name) = crate::sys::fs::ifname(ifindex) else {
            return -1;
        };
        match std::fs::read(format!("/sys/class/net/{name}/device/vendor")) {
            Ok(text) => parse_vendor_id(&text),
            Err(_) => -1,
        }
    }

    fn caps(&self) -> SysResult<CapSet> {
        caps::get()
    }

    fn set_caps(&self, set: &CapSet) -> SysResult<()> {
        caps::set(set)
    }

    fn cap_supported(&self, cap: u32) -> bool {
        caps::supported(cap)
    }

    fn raise_memlock(&self) {
        let unlimited = libc::rlimit {
            rlim_cur: libc::RLIM_INFINITY,
            rlim_max: libc::RLIM_INFINITY,
        };
        // SAFETY: setrlimit only reads the struct, which lives across the call.
        let _ = unsafe { libc::setrlimit(libc::RLIMIT_MEMLOCK, &unlimited) };
    }

    fn idle_cpus(&self) -> usize {
        let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        // The reading task is one of the runnable ones.
        let others = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|t| super::parse_loadavg_running(&t))
            .map_or(0, |n| n.saturating_sub(1));
        cpus.saturating_sub(others).max(1)
    }

    fn bpf_syscall(&self) -> i32 {
        let mut l = Load {
            prog_type: prog::UNSPEC,
            ..Load::default()
        };
        match prog_load(&mut l) {
            Ok(_) => 0,
            Err(e) => e,
        }
    }

    fn prog_type(&self, prog_type: u32) -> Probe {
        let (ret, errno) =
            probe_prog_load(prog_type, &[Insn::mov64_imm(0, 0), Insn::exit()], None, 0);
        Probe {
            supported: ret > 0,
            errno,
        }
    }

    fn map_type(&self, map_type: u32) -> Probe {
        let (ret, errno) = probe_map_create(map_type);
        Probe {
            supported: ret > 0,
            errno,
        }
    }

    fn helper(&self, prog_type: u32, helper: u32, log: &mut [u8]) -> Probe {
        // libbpf cannot load these types without a target, so it does not try.
        if matches!(
            prog_type,
            prog::TRACING | prog::EXT | prog::LSM | prog::STRUCT_OPS
        ) {
            return Probe::default();
        }
        let insns = [Insn::call(helper), Insn::exit()];
        // libbpf asks for the level-1 log, but only the verifier's messages count and
        // the verifier writes them at every level; without the instruction trace the
        // ~5,600 probes of a run cost the kernel ~10% less. A failure without any message
        // (a kernel refusing the level, or a load stopped before the verifier) is asked
        // again one level down, ending at libbpf's level 1, so the answer is libbpf's.
        let mut level = QUIET_LOG_LEVEL.load(Ordering::Relaxed);
        let (ret, errno) = loop {
            if let Some(b) = log.first_mut() {
                *b = 0;
            }
            let quiet = QUIET_LOG_LEVELS.get(level).copied().unwrap_or(1);
            let (ret, errno) = probe_prog_load(prog_type, &insns, Some(&mut *log), quiet);
            if ret != 0 || log.first() != Some(&0) || level + 1 >= QUIET_LOG_LEVELS.len() {
                break (ret, errno);
            }
            level += 1;
            QUIET_LOG_LEVEL.fetch_max(level, Ordering::Relaxed);
        };
        let supported = match ret {
            r if r < 0 => false,
            0 => !helper_log_rejects(log),
            _ => true,
        };
        Probe { supported, errno }
    }

    fn prog_type_dev(&self, prog_type: u32, ifindex: u32) -> Probe {
        // nfp refuses `exit(0)` for TC offload, hence r0 = 2.
        let insns = [Insn::mov64_imm(0, 2), Insn::exit()];
        let mut l = Load {
            prog_type,
            insns: &insns,
            gpl: true,
            ifindex,
            ..Load::default()
        };
        match prog_load(&mut l) {
            Ok(_) => Probe {
                supported: true,
                errno: Some(0),
            },
            Err(e) => Probe::failed(e),
        }
    }

    fn map_type_dev(&self, map_type: u32, ifindex: u32) -> Probe {
        match map_create(&Create {
            map_type,
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            ifindex,
            ..Create::default()
        }) {
            Ok(_) => Probe::YES,
            Err(e) => Probe::failed(e),
        }
    }

    fn helper_dev(
        &self,
        prog_type: u32,
        helper: u32,
        ifindex: u32,
        netronome: bool,
        log: &mut [u8],
    ) -> Probe {
        log.fill(0);
        let insns = [Insn::call(helper), Insn::exit()];
        let mut l = Load {
            prog_type,
            insns: &insns,
            gpl: true,
            ifindex,
            log: Some(log),
            ..Load::default()
        };
        let errno = match prog_load(&mut l) {
            Ok(_) => 0,
            Err(e) => e,
        };
        let rejected = helper_log_rejects(log) || (netronome && netronome_log_rejects(log));
        Probe {
            supported: !rejected,
            errno: Some(errno),
        }
    }

    fn misc(&self, feature: Misc, ifindex: u32) -> bool {
        let insns = misc_program(feature);
        let mut l = Load {
            prog_type: sys::BPF_PROG_TYPE_SOCKET_FILTER,
            insns: &insns,
            gpl: true,
            ifindex,
            ..Load::default()
        };
        prog_load(&mut l).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_size_is_sane() {
        assert!(page_size() >= 4096);
    }
}
