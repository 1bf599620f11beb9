//! Which processes hold which BPF objects (bpftool's `pids` lines).
//!
//! Upstream bpftool learns this from a BPF `iter/task_file` program that needs the
//! kernel data symbols `bpf_prog_fops` & co. in kallsyms; kernels built without
//! `CONFIG_KALLSYMS_ALL` lack them and upstream then shows no pids at all. Two ways
//! here, both working on every kernel and giving the same lists:
//! - our own task_file iterator (`pid_iter`), which recognises BPF files by name: its
//!   cost is nearly fixed (loading the kernel's BTF and a small program), so it is
//!   used on hosts with many processes;
//! - a walk over `/proc/*/fd` and `/proc/*/fdinfo`, one readlink per open descriptor
//!   of every process: cheaper on small hosts, and the fallback when the iterator
//!   cannot load (no BTF, no BPF iterators).
//!
//! Both visit processes in pid order and each process's descriptors in fd order,
//! which is the order of the kernel's task_file iterator.
//!
//! One thing only the iterator can see: the BPF cookie of a perf_event link, which the
//! kernel reports in the link's info only from 6.9. Links are therefore always listed
//! through the iterator on older kernels, falling back to /proc (cookies then taken
//! from the link info, i.e. 0) only when it does not load.
//! `BPFTOOL_RS_PIDS=iter|proc` forces one way (tests compare them).

use std::fs;
use std::os::unix::ffi::OsStrExt;

use super::{pid_iter, ObjKind, ObjRef};

/// Above this many processes the iterator's fixed cost beats reading /proc.
const ITER_ABOVE_PROCESSES: usize = 400;

/// Whether to use the iterator: `BPFTOOL_RS_PIDS=proc` forbids it, otherwise it is
/// used on hosts with many processes, and for links on kernels before 6.9.
fn use_iterator(kind: ObjKind, processes: usize) -> bool {
    std::env::var("BPFTOOL_RS_PIDS").as_deref() != Ok("proc")
        && (processes > ITER_ABOVE_PROCESSES
            || (kind == ObjKind::Link && !link_info_has_perf_cookies()))
}

/// Whether `bpf_link_info` carries perf_event cookies: Linux 6.9 and later.
fn link_info_has_perf_cookies() -> bool {
    let Ok(release) = fs::read_to_string("/proc/sys/kernel/osrelease") else {
        return true;
    };
    let mut nums = release
        .split(['.', '-', '+'])
        .map(|p| p.trim().parse::<u32>().unwrap_or(0));
    let version = (nums.next().unwrap_or(0), nums.next().unwrap_or(0));
    version >= (6, 9)
}

/// The holders of objects of `kind`, by whichever method suits this host.
pub fn obj_refs(kind: ObjKind) -> Vec<ObjRef> {
    let forced = std::env::var("BPFTOOL_RS_PIDS").ok();
    if forced.as_deref() == Some("iter") {
        // No fallback when asked for the iterator: tests must see it work.
        return obj_refs_from_iter(kind).unwrap_or_default();
    }
    let pids = proc_pids();
    if use_iterator(kind, pids.len()) {
        if let Ok(refs) = obj_refs_from_iter(kind) {
            return refs;
        }
    }
    obj_refs_from_pids(kind, &pids)
}

/// The holders of objects of `kind`, from our BPF iterator.
pub fn obj_refs_from_iter(kind: ObjKind) -> Result<Vec<ObjRef>, pid_iter::IterError> {
    let data =
        super::fs::vmlinux_btf().ok_or_else(|| pid_iter::IterError("no vmlinux BTF".into()))?;
    let btf = crate::btf::Btf::parse(data).map_err(|e| pid_iter::IterError(e.to_string()))?;
    let offsets = pid_iter::Offsets::from_btf(&btf)?;
    drop(btf);
    let records = pid_iter::run(kind, &offsets)?;
    Ok(pid_iter::parse_records(&records, std::process::id() as i32))
}

/// Process ids in /proc, ascending.
fn proc_pids() -> Vec<i32> {
    let Ok(proc_dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = proc_dir
        .filter_map(|e| {
            let e = e.ok()?;
            std::str::from_utf8(e.file_name().as_bytes())
                .ok()?
                .parse()
                .ok()
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// The `anon_inode:` name of each kind's files, and its id line in fdinfo.
fn markers(kind: ObjKind) -> (&'static [u8], &'static str) {
    match kind {
        ObjKind::Prog => (b"anon_inode:bpf-prog", "prog_id:"),
        ObjKind::Map => (b"anon_inode:bpf-map", "map_id:"),
        ObjKind::Link => (b"anon_inode:bpf_link", "link_id:"),
        ObjKind::Btf => (b"anon_inode:btf", "btf_id:"),
    }
}

/// Holders of objects of `kind`, from /proc, deduplicated per object and pid like
/// bpftool's `add_ref`. Processes that vanish or cannot be read are skipped.
pub fn obj_refs_from_proc(kind: ObjKind) -> Vec<ObjRef> {
    obj_refs_from_pids(kind, &proc_pids())
}

fn obj_refs_from_pids(kind: ObjKind, pids: &[i32]) -> Vec<ObjRef> {
    let (link_name, id_key) = markers(kind);
    let mut refs: Vec<ObjRef> = Vec::new();
    let self_pid = std::process::id() as i32;
    for &pid in pids {
        let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        let mut fd_nums: Vec<u32> = fds
            .filter_map(|e| {
                let e = e.ok()?;
                std::str::from_utf8(e.file_name().as_bytes())
                    .ok()?
                    .parse()
                    .ok()
            })
            .collect();
        fd_nums.sort_unstable();
        let mut comm: Option<Vec<u8>> = None;
        for fd in fd_nums {
            let Ok(target) = fs::read_link(format!("/proc/{pid}/fd/{fd}")) else {
                continue;
            };
            if target.as_os_str().as_bytes() != link_name {
                continue;
            }
            let Some(id) = read_id(pid, fd, id_key) else {
                continue;
            };
            // Our own descriptors are bpftool's working copies, not owners: upstream's
            // iterator runs before it opens anything.
            if pid == self_pid {
                continue;
            }
            let comm = comm.get_or_insert_with(|| read_comm(pid)).clone();
            add_ref(&mut refs, id, pid, comm);
        }
    }
    refs
}

fn read_id(pid: i32, fd: u32, key: &str) -> Option<u32> {
    let text = fs::read_to_string(format!("/proc/{pid}/fdinfo/{fd}")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
}

fn read_comm(pid: i32) -> Vec<u8> {
    let mut comm = fs::read(format!("/proc/{pid}/comm")).unwrap_or_default();
    if comm.last() == Some(&b'\n') {
        comm.pop();
    }
    comm.truncate(15);
    comm
}

/// bpftool's `add_ref`: one entry per (object, pid), first comm wins.
pub fn add_ref(refs: &mut Vec<ObjRef>, id: u32, pid: i32, comm: Vec<u8>) {
    if refs.iter().any(|r| r.id == id && r.pid == pid) {
        return;
    }
    refs.push(ObjRef {
        id,
        pid,
        comm,
        bpf_cookie: None,
    });
}
