//! Files bpftool reads or mounts: bpffs, /proc, /sys, kernel config and symbols.

use std::ffi::OsStr;
use std::fs;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{FdInfo, KSym, ObjKind, SysError, SysResult};

/// `BPF_FS_MAGIC` from linux/magic.h.
const BPF_FS_MAGIC: i64 = 0xcafe4a11;

/// Whether `path` is on a bpf file system (`statfs`).
pub fn is_bpffs(path: &Path) -> bool {
    match nix::sys::statfs::statfs(path) {
        Ok(st) => st.filesystem_type() == nix::sys::statfs::FsType(BPF_FS_MAGIC as _),
        Err(_) => false,
    }
}

/// `access(path, F_OK)`: true also for dangling entries we may not stat.
pub fn exists(path: &Path) -> bool {
    nix::unistd::access(path, nix::unistd::AccessFlags::F_OK).is_ok()
}

/// Mount points of `fstype`-prefixed file systems from /proc/mounts, in order
/// (bpftool matches the type with `strncmp(type, "bpf", 3)`).
pub fn mounts_of_type(prefix: &str) -> Vec<PathBuf> {
    let Ok(text) = fs::read("/proc/mounts") else {
        return Vec::new();
    };
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let mut fields = line.split(|&b| b == b' ');
            let _dev = fields.next()?;
            let dir = fields.next()?;
            let ty = fields.next()?;
            ty.starts_with(prefix.as_bytes())
                .then(|| PathBuf::from(OsStr::from_bytes(&unescape_mount_field(dir))))
        })
        .collect()
}

/// Undoes the octal escapes (`\040` for a space) of /proc/mounts fields.
fn unescape_mount_field(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'\\'
            && i + 3 < s.len()
            && s[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u32::from(s[i + 1] - b'0') * 64
                + u32::from(s[i + 2] - b'0') * 8
                + u32::from(s[i + 3] - b'0');
            out.push(v as u8);
            i += 4;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// Every entry but directories and symlinks under `root`, depth first in directory
/// order, as glibc's `nftw(FTW_PHYS)` visits them. Iterative, so deep trees cannot
/// overflow the stack; unreadable directories are skipped like nftw does.
pub fn walk_files(root: &Path, out: &mut Vec<PathBuf>) {
    let mut stack: Vec<fs::ReadDir> = match fs::read_dir(root) {
        Ok(rd) => vec![rd],
        Err(_) => return,
    };
    while let Some(top) = stack.last_mut() {
        let Some(entry) = top.next() else {
            stack.pop();
            continue;
        };
        let Ok(entry) = entry else { continue };
        let Ok(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            if let Ok(rd) = fs::read_dir(entry.path()) {
                stack.push(rd);
            }
        } else if !ft.is_symlink() {
            out.push(entry.path());
        }
    }
}

/// The BPF object kind of an fd, from its `/proc/self/fd` link (`anon_inode:bpf-map`).
pub fn fd_kind(fd: BorrowedFd<'_>) -> SysResult<Option<ObjKind>> {
    let link = fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
        .map_err(|e| SysError::new("readlink", e.raw_os_error().unwrap_or(libc::EIO)))?;
    Ok(kind_of_link(link.as_os_str().as_bytes()))
}

/// Kind of a BPF fd from its link text; bpftool matches with `strstr`.
pub fn kind_of_link(link: &[u8]) -> Option<ObjKind> {
    let has = |needle: &[u8]| link.windows(needle.len()).any(|w| w == needle);
    if has(b"bpf-map") {
        Some(ObjKind::Map)
    } else if has(b"bpf-prog") {
        Some(ObjKind::Prog)
    } else if has(b"bpf-link") || has(b"bpf_link") {
        Some(ObjKind::Link)
    } else {
        None
    }
}

/// `/proc/self/fdinfo`, opened once: `prog show` reads one fdinfo file per program,
/// and resolving the directory each time costs as much as the read.
fn fdinfo_dir() -> Option<BorrowedFd<'static>> {
    static DIR: std::sync::OnceLock<Option<std::os::fd::OwnedFd>> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        fs::File::open("/proc/self/fdinfo")
            .ok()
            .map(std::os::fd::OwnedFd::from)
    })
    .as_ref()
    .map(|fd| fd.as_fd())
}

/// `/proc/self/fdinfo/FD`, in one open, one read and one close: procfs produces the
/// whole file on the first read when the buffer is large enough.
pub fn fdinfo(fd: BorrowedFd<'_>) -> SysResult<FdInfo> {
    use nix::fcntl::{openat, OFlag};
    use nix::sys::stat::Mode;
    let err = |call: &'static str, e: nix::errno::Errno| SysError::new(call, e as i32);
    let name = fd.as_raw_fd().to_string();
    let file = match fdinfo_dir() {
        Some(dir) => openat(
            dir,
            name.as_str(),
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| err("open fdinfo", e))?,
        None => fs::File::open(format!("/proc/self/fdinfo/{name}"))
            .map_err(|e| SysError::new("open fdinfo", e.raw_os_error().unwrap_or(libc::EIO)))?
            .into(),
    };
    let mut buf = [0u8; 4096];
    let mut len = 0;
    loop {
        let n = nix::unistd::read(&file, &mut buf[len..]).map_err(|e| err("read fdinfo", e))?;
        len += n;
        if n == 0 || len < buf.len() {
            break;
        }
        if len == buf.len() {
            // Longer than any fdinfo seen so far: fall back to reading it all.
            let mut rest = Vec::from(&buf[..]);
            let mut f = fs::File::from(file);
            f.read_to_end(&mut rest)
                .map_err(|e| SysError::new("read fdinfo", e.raw_os_error().unwrap_or(libc::EIO)))?;
            return Ok(FdInfo::parse(&String::from_utf8_lossy(&rest)));
        }
    }
    Ok(FdInfo::parse(&String::from_utf8_lossy(&buf[..len])))
}

/// `if_indextoname`.
pub fn ifname(ifindex: u32) -> Option<String> {
    let mut buf = [0u8; libc::IF_NAMESIZE];
    // SAFETY: the buffer has IF_NAMESIZE bytes, the size if_indextoname writes at most.
    let p = unsafe { libc::if_indextoname(ifindex, buf.as_mut_ptr().cast()) };
    if p.is_null() {
        return None;
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..len]).into_owned())
}

/// Whether (dev, ino) names our network namespace (bpftool's `ifindex_to_name_ns`).
pub fn netns_is_ours(dev: u64, ino: u64) -> SysResult<bool> {
    let md = fs::metadata("/proc/self/ns/net")
        .map_err(|e| SysError::new("stat", e.raw_os_error().unwrap_or(libc::EIO)))?;
    Ok(md.dev() == dev && md.ino() == ino)
}

/// Mounts `fstype` on `target` the way bpftool's `mnt_fs` does: make the mount point
/// private (bind-mounting it onto itself first if it is not a mount point yet), then
/// mount with `mode=0700`. The error text is bpftool's.
pub fn mount_fs(target: &Path, fstype: &str) -> Result<(), String> {
    use nix::mount::{mount, MsFlags};
    let show = target.display();
    let mut bind_done = false;
    loop {
        match mount(
            Some(""),
            target,
            Some("none"),
            MsFlags::MS_PRIVATE | MsFlags::MS_REC,
            None::<&str>,
        ) {
            Ok(()) => break,
            Err(e) if e == nix::errno::Errno::EINVAL && !bind_done => {
                if let Err(e) = mount(
                    Some(target),
                    target,
                    Some("none"),
                    MsFlags::MS_BIND,
                    None::<&str>,
                ) {
                    return Err(format!(
                        "mount --bind {show} {show} failed: {}",
                        super::strerror(e as i32)
                    ));
                }
                bind_done = true;
            }
            Err(e) => {
                return Err(format!(
                    "mount --make-private {show} failed: {}",
                    super::strerror(e as i32)
                ))
            }
        }
    }
    mount(
        Some(fstype),
        target,
        Some(fstype),
        MsFlags::empty(),
        Some("mode=0700"),
    )
    .map_err(|e| {
        format!(
            "mount -t {fstype} {fstype} {show} failed: {}",
            super::strerror(e as i32)
        )
    })
}

/// `/proc/kallsyms` symbols with a non-zero address, sorted by address as bpftool's
/// `kernel_syms_load` does. Empty when addresses are hidden (`kptr_restrict`).
pub fn kallsyms() -> Vec<KSym> {
    let Ok(text) = fs::read_to_string("/proc/kallsyms") else {
        return Vec::new();
    };
    let mut syms = Vec::new();
    for line in text.lines() {
        let mut it = line.split_ascii_whitespace();
        let (Some(addr), Some(_ty), Some(name)) = (it.next(), it.next(), it.next()) else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        let module = it
            .next()
            .map(|m| m.trim_start_matches('[').trim_end_matches(']').to_owned())
            .unwrap_or_default();
        if name == "__bpf_call_base" && addr == 0 {
            return Vec::new();
        }
        if addr != 0 {
            syms.push(KSym {
                addr,
                name: name.to_owned(),
                module,
            });
        }
    }
    syms.sort_by_key(|s| s.addr);
    syms
}

/// The kernel's build configuration, as bpftool's `read_kernel_config` finds it.
pub fn kernel_config_text() -> Option<String> {
    let release = nix::sys::utsname::uname().ok()?.release().to_owned();
    let mut path = PathBuf::from("/boot");
    path.push(format!("config-{}", release.to_string_lossy()));
    let raw = fs::read(&path)
        .or_else(|_| fs::read("/proc/config.gz"))
        .ok()?;
    let text = if raw.starts_with(&[0x1f, 0x8b]) {
        gunzip(&raw)?
    } else {
        raw
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    // bpftool checks the second line to make sure this is a kernel config.
    if text.lines().nth(1) != Some("# Automatically generated file; DO NOT EDIT.") {
        return None;
    }
    Some(text)
}

/// The value of `CONFIG_...` in a kernel config text (`=y`, `=m`, `="..."`).
pub fn config_value(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_owned())
    })
}

/// Decompresses gzip data (/proc/config.gz).
fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut d = flate2::read::GzDecoder::new(data);
    d.read_to_end(&mut out).ok()?;
    Some(out)
}

/// The effective capability set (`CapEff` of /proc/self/status).
pub fn effective_caps() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// The kernel's own BTF. Mapped when the kernel allows it (Linux 6.16+: no copy from
/// sysfs, which reads it 4 KiB at a time), read otherwise.
pub fn vmlinux_btf() -> Option<Vec<u8>> {
    const PATH: &str = "/sys/kernel/btf/vmlinux";
    let file = fs::File::open(PATH).ok()?;
    let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
    if let Some(len_nz) = std::num::NonZeroUsize::new(len) {
        use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};
        // SAFETY: a private read-only mapping of a file we keep open; it is only read
        // here, within `len` bytes, and unmapped before returning.
        if let Ok(ptr) = unsafe {
            mmap(
                None,
                len_nz,
                ProtFlags::PROT_READ,
                MapFlags::MAP_PRIVATE,
                &file,
                0,
            )
        } {
            // SAFETY: the mapping is `len` readable bytes and lives until munmap below.
            let data =
                unsafe { std::slice::from_raw_parts(ptr.as_ptr().cast::<u8>(), len) }.to_vec();
            // SAFETY: `ptr` and `len` are exactly what mmap returned and was given.
            let _ = unsafe { munmap(ptr, len) };
            return Some(data);
        }
    }
    fs::read(PATH).ok()
}
