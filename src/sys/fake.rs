//! A recorded kernel for tests: objects, pins and processes are plain data.
//!
//! File descriptors handed out are real (`/dev/null`), so ownership and closing work as
//! with the real kernel; the fake remembers which object each descriptor stands for.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{
    BtfInfo, FdInfo, KSym, Kernel, LinkInfo, MapInfo, ObjKind, ObjRef, ProgDump, ProgImage,
    ProgInfo, SysError, SysResult,
};

/// A recorded program.
#[derive(Debug, Clone, Default)]
pub struct FakeProg {
    /// What `prog_info` returns.
    pub info: ProgInfo,
    /// What its fdinfo says.
    pub fdinfo: FdInfo,
}

/// A recorded map.
#[derive(Debug, Clone, Default)]
pub struct FakeMap {
    /// What `map_info` returns.
    pub info: MapInfo,
    /// What its fdinfo says.
    pub fdinfo: FdInfo,
    /// Value of key 0 (array maps), for metadata lookups.
    pub value0: Option<Vec<u8>>,
}

/// A recorded BTF object.
#[derive(Debug, Clone, Default)]
pub struct FakeBtf {
    /// What `btf_info` returns.
    pub info: BtfInfo,
    /// Raw BTF bytes.
    pub data: Vec<u8>,
}

/// A recorded link.
#[derive(Debug, Clone, Default)]
pub struct FakeLink {
    /// What `link_info` returns.
    pub info: LinkInfo,
}

/// A kernel made of recorded objects.
#[derive(Debug, Default)]
pub struct FakeKernel {
    /// Programs by id.
    pub progs: BTreeMap<u32, FakeProg>,
    /// Maps by id.
    pub maps: BTreeMap<u32, FakeMap>,
    /// Links by id.
    pub links: BTreeMap<u32, FakeLink>,
    /// BTF objects by id.
    pub btfs: BTreeMap<u32, FakeBtf>,
    /// Pinned paths, in bpffs walk order.
    pub pins: Mutex<Vec<(PathBuf, ObjKind, u32)>>,
    /// Directories that are on bpffs.
    pub bpffs_dirs: Vec<PathBuf>,
    /// Other existing paths (not BPF objects).
    pub files: Vec<PathBuf>,
    /// Object holders.
    pub refs: Vec<(ObjKind, ObjRef)>,
    /// Network interfaces.
    pub ifnames: HashMap<u32, String>,
    /// Boot time offset: epoch = offset + nsecs / 1e9.
    pub boot_epoch: i64,
    /// Kernel symbols.
    pub syms: Vec<KSym>,
    /// The text of `/proc/kallsyms` (`None`: unreadable).
    pub kallsyms_text: Option<String>,
    /// What `prog_dump` returns for a program's xlated image, by id (EINVAL if absent).
    pub xlated_dumps: BTreeMap<u32, ProgDump>,
    /// What `prog_dump` returns for a program's JITed image, by id (EINVAL if absent).
    pub jited_dumps: BTreeMap<u32, ProgDump>,
    /// Kernel config options.
    pub config: HashMap<String, String>,
    /// Ids GET_NEXT_ID returns whose objects are gone by GET_FD_BY_ID.
    pub ghosts: Vec<(ObjKind, u32)>,
    /// Pretend to run without capabilities.
    pub unprivileged: bool,
    /// Every mount request seen.
    pub mounts: Mutex<Vec<PathBuf>>,
    /// Feature probe answers.
    pub probes: super::probe::fake::FakeProbes,
    fds: Mutex<HashMap<i32, (ObjKind, u32)>>,
}

fn enoent(call: &'static str) -> SysError {
    SysError::new(call, libc::ENOENT)
}

impl FakeKernel {
    /// An empty kernel.
    pub fn new() -> Self {
        Self::default()
    }

    fn ids(&self, kind: ObjKind) -> Vec<u32> {
        match kind {
            ObjKind::Prog => self.progs.keys().copied().collect(),
            ObjKind::Map => self.maps.keys().copied().collect(),
            ObjKind::Link => self.links.keys().copied().collect(),
            ObjKind::Btf => self.btfs.keys().copied().collect(),
        }
    }

    fn open(&self, kind: ObjKind, id: u32) -> SysResult<OwnedFd> {
        let f = File::open("/dev/null").map_err(|_| SysError::new("open", libc::EMFILE))?;
        let fd = OwnedFd::from(f);
        self.fds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(fd.as_raw_fd(), (kind, id));
        Ok(fd)
    }

    fn obj(&self, fd: BorrowedFd<'_>) -> SysResult<(ObjKind, u32)> {
        self.fds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&fd.as_raw_fd())
            .copied()
            .ok_or(SysError::new("fd", libc::EBADF))
    }

    fn expect(&self, fd: BorrowedFd<'_>, kind: ObjKind) -> SysResult<u32> {
        match self.obj(fd)? {
            (k, id) if k == kind => Ok(id),
            _ => Err(SysError::new("BPF_OBJ_GET_INFO_BY_FD", libc::EINVAL)),
        }
    }
}

impl Kernel for FakeKernel {
    fn next_id(&self, kind: ObjKind, start: u32) -> SysResult<Option<u32>> {
        if self.unprivileged {
            return Err(SysError::new("BPF_*_GET_NEXT_ID", libc::EPERM));
        }
        let ghosts = self
            .ghosts
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id);
        Ok(self
            .ids(kind)
            .into_iter()
            .chain(ghosts)
            .filter(|&id| id > start)
            .min())
    }

    fn fd_by_id(&self, kind: ObjKind, id: u32, _open_flags: u32) -> SysResult<OwnedFd> {
        if self.unprivileged {
            return Err(SysError::new("BPF_*_GET_FD_BY_ID", libc::EPERM));
        }
        if self.ghosts.contains(&(kind, id)) || !self.ids(kind).contains(&id) {
            return Err(enoent("BPF_*_GET_FD_BY_ID"));
        }
        self.open(kind, id)
    }

    fn prog_info(&self, fd: BorrowedFd<'_>) -> SysResult<ProgInfo> {
        let id = self.expect(fd, ObjKind::Prog)?;
        Ok(self.progs[&id].info.clone())
    }

    fn map_info(&self, fd: BorrowedFd<'_>) -> SysResult<MapInfo> {
        let id = self.expect(fd, ObjKind::Map)?;
        Ok(self.maps[&id].info.clone())
    }

    fn link_info(&self, fd: BorrowedFd<'_>) -> SysResult<LinkInfo> {
        let id = self.expect(fd, ObjKind::Link)?;
        Ok(self.links[&id].info.clone())
    }

    fn btf_info(&self, fd: BorrowedFd<'_>) -> SysResult<BtfInfo> {
        let id = self.expect(fd, ObjKind::Btf)?;
        Ok(self.btfs[&id].info.clone())
    }

    fn btf_data(&self, fd: BorrowedFd<'_>) -> SysResult<Vec<u8>> {
        let id = self.expect(fd, ObjKind::Btf)?;
        Ok(self.btfs[&id].data.clone())
    }

    fn obj_id(&self, fd: BorrowedFd<'_>, kind: ObjKind) -> SysResult<u32> {
        self.expect(fd, kind)
    }

    fn obj_get(&self, path: &Path, _file_flags: u32) -> SysResult<OwnedFd> {
        let pin = self
            .pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|(p, _, _)| p == path)
            .map(|(_, k, id)| (*k, *id));
        match pin {
            Some((kind, id)) => self.open(kind, id),
            None if self.files.iter().any(|f| f == path) => {
                Err(SysError::new("BPF_OBJ_GET", libc::EINVAL))
            }
            None if self.is_bpffs(path.parent().unwrap_or(path)) => Err(enoent("BPF_OBJ_GET")),
            None => Err(SysError::new("BPF_OBJ_GET", libc::EACCES)),
        }
    }

    fn obj_pin(&self, fd: BorrowedFd<'_>, path: &Path) -> SysResult<()> {
        if self.exists(path) {
            return Err(SysError::new("BPF_OBJ_PIN", libc::EEXIST));
        }
        let (kind, id) = self.obj(fd)?;
        self.pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((path.to_owned(), kind, id));
        Ok(())
    }

    fn link_detach(&self, fd: BorrowedFd<'_>) -> SysResult<()> {
        self.expect(fd, ObjKind::Link).map(|_| ())
    }

    fn map_lookup(&self, fd: BorrowedFd<'_>, _key: &[u8], value: &mut [u8]) -> SysResult<()> {
        let id = self.expect(fd, ObjKind::Map)?;
        let v = self.maps[&id]
            .value0
            .as_ref()
            .ok_or(enoent("BPF_MAP_LOOKUP_ELEM"))?;
        let n = v.len().min(value.len());
        value[..n].copy_from_slice(&v[..n]);
        Ok(())
    }

    fn fd_kind(&self, fd: BorrowedFd<'_>) -> SysResult<Option<ObjKind>> {
        Ok(self
            .fds
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&fd.as_raw_fd())
            .map(|(k, _)| *k))
    }

    fn fdinfo(&self, fd: BorrowedFd<'_>) -> SysResult<FdInfo> {
        let (kind, id) = self.obj(fd)?;
        Ok(match kind {
            ObjKind::Prog => self.progs[&id].fdinfo.clone(),
            ObjKind::Map => self.maps[&id].fdinfo.clone(),
            _ => FdInfo::default(),
        })
    }

    fn bpffs_entries(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = self
            .pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(p, _, _)| p.clone())
            .collect();
        v.extend(
            self.files
                .iter()
                .filter(|f| f.parent().is_some_and(|d| self.is_bpffs(d)))
                .cloned(),
        );
        v
    }

    fn obj_refs(&self, kind: ObjKind) -> Vec<ObjRef> {
        self.refs
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, r)| r.clone())
            .collect()
    }

    fn is_bpffs(&self, path: &Path) -> bool {
        self.bpffs_dirs.iter().any(|d| path.starts_with(d))
    }

    fn exists(&self, path: &Path) -> bool {
        self.pins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|(p, _, _)| p == path)
            || self.files.iter().any(|f| f == path)
            || self.bpffs_dirs.iter().any(|d| d == path)
            || path == Path::new("/")
            || self
                .mounts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .any(|m| m == path)
    }

    fn mount_bpffs(&self, dir: &Path) -> Result<(), String> {
        self.mounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(dir.to_owned());
        Ok(())
    }

    fn ifname(&self, ifindex: u32) -> Option<String> {
        self.ifnames.get(&ifindex).cloned()
    }

    fn netns_is_ours(&self, dev: u64, ino: u64) -> SysResult<bool> {
        Ok(dev == 4 && ino == 4026531840)
    }

    fn boot_ns_to_epoch(&self, nsecs: u64) -> i64 {
        self.boot_epoch + (nsecs / 1_000_000_000) as i64
    }

    fn format_local_time(&self, epoch: i64) -> String {
        format_utc(epoch)
    }

    fn kallsyms(&self) -> Vec<KSym> {
        self.syms.clone()
    }

    fn kallsyms_text(&self) -> Option<String> {
        self.kallsyms_text.clone()
    }

    fn prog_dump(&self, fd: BorrowedFd<'_>, image: ProgImage) -> SysResult<ProgDump> {
        let id = self.expect(fd, ObjKind::Prog)?;
        let dumps = match image {
            ProgImage::Xlated => &self.xlated_dumps,
            ProgImage::Jited => &self.jited_dumps,
        };
        dumps
            .get(&id)
            .cloned()
            .ok_or(SysError::new("BPF_OBJ_GET_INFO_BY_FD", libc::EINVAL))
    }

    fn kernel_config(&self, name: &str) -> Option<String> {
        self.config.get(name).cloned()
    }
    fn capable(&self, _cap: u32) -> Option<bool> {
        Some(!self.unprivileged)
    }

    fn probes(&self) -> &dyn super::probe::Probes {
        &self.probes
    }
}

/// `%FT%T+0000` of epoch seconds in UTC (days-from-civil, no time-zone data needed).
pub fn format_utc(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+0000",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00+0000");
        assert_eq!(format_utc(1_763_808_651), "2025-11-22T10:50:51+0000");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00+0000");
    }
}
