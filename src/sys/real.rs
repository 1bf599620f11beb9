//! The real kernel behind the [`Kernel`] trait.

use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use super::{
    bpf, fs, pids, time, BtfInfo, FdInfo, KSym, Kernel, LinkInfo, MapInfo, ObjKind, ObjRef,
    ProgDump, ProgImage, ProgInfo, SysResult,
};

/// The running kernel, through raw syscalls and /proc.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealKernel;

impl Kernel for RealKernel {
    fn next_id(&self, kind: ObjKind, start: u32) -> SysResult<Option<u32>> {
        bpf::next_id(kind, start)
    }
    fn fd_by_id(&self, kind: ObjKind, id: u32, open_flags: u32) -> SysResult<OwnedFd> {
        bpf::fd_by_id(kind, id, open_flags)
    }
    fn prog_info(&self, fd: BorrowedFd<'_>) -> SysResult<ProgInfo> {
        bpf::prog_info(fd)
    }
    fn map_info(&self, fd: BorrowedFd<'_>) -> SysResult<MapInfo> {
        bpf::map_info(fd)
    }
    fn link_info(&self, fd: BorrowedFd<'_>) -> SysResult<LinkInfo> {
        bpf::link_info(fd)
    }
    fn btf_info(&self, fd: BorrowedFd<'_>) -> SysResult<BtfInfo> {
        bpf::btf_info(fd)
    }
    fn btf_data(&self, fd: BorrowedFd<'_>) -> SysResult<Vec<u8>> {
        bpf::btf_data(fd)
    }
    fn obj_id(&self, fd: BorrowedFd<'_>, kind: ObjKind) -> SysResult<u32> {
        bpf::obj_id(fd, kind)
    }
    fn obj_get(&self, path: &Path, file_flags: u32) -> SysResult<OwnedFd> {
        bpf::obj_get(path, file_flags)
    }
    fn obj_pin(&self, fd: BorrowedFd<'_>, path: &Path) -> SysResult<()> {
        bpf::obj_pin(fd, path)
    }
    fn link_detach(&self, fd: BorrowedFd<'_>) -> SysResult<()> {
        bpf::link_detach(fd)
    }
    fn map_lookup(&self, fd: BorrowedFd<'_>, key: &[u8], value: &mut [u8]) -> SysResult<()> {
        bpf::map_lookup(fd, key, value)
    }
    fn fd_kind(&self, fd: BorrowedFd<'_>) -> SysResult<Option<ObjKind>> {
        fs::fd_kind(fd)
    }
    fn fdinfo(&self, fd: BorrowedFd<'_>) -> SysResult<FdInfo> {
        fs::fdinfo(fd)
    }
    fn bpffs_entries(&self) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for mnt in fs::mounts_of_type("bpf") {
            fs::walk_files(&mnt, &mut out);
        }
        out
    }
    fn obj_refs(&self, kind: ObjKind) -> Vec<ObjRef> {
        pids::obj_refs(kind)
    }
    fn is_bpffs(&self, path: &Path) -> bool {
        fs::is_bpffs(path)
    }
    fn exists(&self, path: &Path) -> bool {
        fs::exists(path)
    }
    fn mount_bpffs(&self, dir: &Path) -> Result<(), String> {
        fs::mount_fs(dir, "bpf")
    }
    fn ifname(&self, ifindex: u32) -> Option<String> {
        fs::ifname(ifindex)
    }
    fn netns_is_ours(&self, dev: u64, ino: u64) -> SysResult<bool> {
        fs::netns_is_ours(dev, ino)
    }
    fn boot_ns_to_epoch(&self, nsecs: u64) -> i64 {
        time::boot_ns_to_epoch(nsecs)
    }
    fn format_local_time(&self, epoch: i64) -> String {
        time::format_local_time(epoch)
    }
    fn kallsyms(&self) -> Vec<KSym> {
        fs::kallsyms()
    }
    fn kallsyms_text(&self) -> Option<String> {
        std::fs::read_to_string("/proc/kallsyms").ok()
    }
    fn prog_dump(&self, fd: BorrowedFd<'_>, image: ProgImage) -> SysResult<ProgDump> {
        bpf::prog_dump(fd, image)
    }
    fn kernel_config(&self, name: &str) -> Option<String> {
        fs::config_value(&fs::kernel_config_text()?, name)
    }
    fn capable(&self, cap: u32) -> Option<bool> {
        fs::effective_caps().map(|caps| caps & (1u64 << cap) != 0)
    }
    fn probes(&self) -> &dyn super::probe::Probes {
        &super::probe::real::RealProbes
    }
}
