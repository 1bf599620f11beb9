//! Raw `bpf(2)` commands, with the kernel's own structures from libbpf-sys.
//!
//! Each function fills a zeroed `bpf_attr`, makes one syscall and converts the answer
//! into a safe value. Nothing here prints or knows about bpftool's command line.

use std::ffi::CString;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use libbpf_sys as sys;

use super::{
    BtfInfo, LinkDetails, LinkInfo, MapInfo, ObjKind, PerfEventLink, ProgDump, ProgImage, ProgInfo,
    SysError, SysResult,
};

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Makes one `bpf(cmd, attr, sizeof(attr))` call.
fn sys_bpf(cmd: sys::bpf_cmd, attr: &mut sys::bpf_attr, call: &'static str) -> SysResult<i64> {
    // SAFETY: `attr` is a valid, initialised `bpf_attr` that lives across the call, and
    // the size passed is its exact size. Pointers stored inside it by our callers point
    // to buffers that outlive the call and have the lengths written next to them.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut sys::bpf_attr,
            size_of::<sys::bpf_attr>(),
        )
    };
    if ret < 0 {
        Err(SysError::new(call, errno()))
    } else {
        Ok(ret)
    }
}

fn zeroed_attr() -> sys::bpf_attr {
    // SAFETY: `bpf_attr` is a C union of plain integers; all-zero bytes are valid and
    // are exactly what the kernel expects in unused fields.
    unsafe { zeroed() }
}

/// Wraps a file descriptor the kernel just returned.
fn owned_fd(ret: i64, call: &'static str) -> SysResult<OwnedFd> {
    let raw = i32::try_from(ret).map_err(|_| SysError::new(call, libc::EBADF))?;
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

fn fd_u32(fd: BorrowedFd<'_>) -> u32 {
    // Descriptors are non-negative, so the cast keeps the value.
    fd.as_raw_fd() as u32
}

fn ptr_u64<T>(p: *const T) -> u64 {
    p as usize as u64
}

/// `BPF_*_GET_NEXT_ID`: the next id after `start`, `None` at the end.
pub fn next_id(kind: ObjKind, start: u32) -> SysResult<Option<u32>> {
    let (cmd, call) = match kind {
        ObjKind::Prog => (sys::BPF_PROG_GET_NEXT_ID, "BPF_PROG_GET_NEXT_ID"),
        ObjKind::Map => (sys::BPF_MAP_GET_NEXT_ID, "BPF_MAP_GET_NEXT_ID"),
        ObjKind::Link => (sys::BPF_LINK_GET_NEXT_ID, "BPF_LINK_GET_NEXT_ID"),
        ObjKind::Btf => (sys::BPF_BTF_GET_NEXT_ID, "BPF_BTF_GET_NEXT_ID"),
    };
    let mut attr = zeroed_attr();
    attr.__bindgen_anon_6.__bindgen_anon_1.start_id = start;
    match sys_bpf(cmd, &mut attr, call) {
        // SAFETY: the kernel wrote `next_id` of the get_id member we filled in.
        Ok(_) => Ok(Some(unsafe { attr.__bindgen_anon_6.next_id })),
        Err(e) if e.errno == libc::ENOENT => Ok(None),
        Err(e) => Err(e),
    }
}

/// `BPF_*_GET_FD_BY_ID`.
pub fn fd_by_id(kind: ObjKind, id: u32, open_flags: u32) -> SysResult<OwnedFd> {
    let (cmd, call) = match kind {
        ObjKind::Prog => (sys::BPF_PROG_GET_FD_BY_ID, "BPF_PROG_GET_FD_BY_ID"),
        ObjKind::Map => (sys::BPF_MAP_GET_FD_BY_ID, "BPF_MAP_GET_FD_BY_ID"),
        ObjKind::Link => (sys::BPF_LINK_GET_FD_BY_ID, "BPF_LINK_GET_FD_BY_ID"),
        ObjKind::Btf => (sys::BPF_BTF_GET_FD_BY_ID, "BPF_BTF_GET_FD_BY_ID"),
    };
    let mut attr = zeroed_attr();
    attr.__bindgen_anon_6.__bindgen_anon_1.start_id = id;
    attr.__bindgen_anon_6.open_flags = open_flags;
    let ret = sys_bpf(cmd, &mut attr, call)?;
    owned_fd(ret, call)
}

/// `BPF_OBJ_GET_INFO_BY_FD` into `info`; returns the length the kernel filled in.
fn obj_get_info<T>(fd: BorrowedFd<'_>, info: &mut T) -> SysResult<u32> {
    let mut attr = zeroed_attr();
    attr.info.bpf_fd = fd_u32(fd);
    attr.info.info_len = size_of::<T>() as u32;
    attr.info.info = ptr_u64(info as *mut T);
    sys_bpf(
        sys::BPF_OBJ_GET_INFO_BY_FD,
        &mut attr,
        "BPF_OBJ_GET_INFO_BY_FD",
    )?;
    // SAFETY: the kernel wrote back `info_len` in the info member we filled in.
    Ok(unsafe { attr.info.info_len })
}

fn c_name(name: &[std::os::raw::c_char]) -> Vec<u8> {
    name.iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect()
}

/// Map ids asked for in the first info call; more take a second call.
const MAP_IDS_GUESS: usize = 64;

/// Program info with map ids and the first func_info record, in one call when the
/// program uses at most [`MAP_IDS_GUESS`] maps.
pub fn prog_info(fd: BorrowedFd<'_>) -> SysResult<ProgInfo> {
    let mut map_ids = vec![0u32; MAP_IDS_GUESS];
    let mut finfo = sys::bpf_func_info::default();
    loop {
        let mut info = sys::bpf_prog_info {
            nr_map_ids: map_ids.len() as u32,
            map_ids: ptr_u64(map_ids.as_mut_ptr()),
            nr_func_info: 1,
            func_info_rec_size: size_of::<sys::bpf_func_info>() as u32,
            func_info: ptr_u64(&mut finfo as *mut sys::bpf_func_info),
            ..Default::default()
        };
        match obj_get_info(fd, &mut info) {
            Ok(_) => {}
            // An offloaded program whose device is gone: bpftool shows it "orphaned",
            // with whatever the kernel did not fill in left at zero.
            Err(e) if e.errno == libc::ENODEV => {
                return Ok(ProgInfo {
                    orphaned: true,
                    ..ProgInfo::default()
                })
            }
            Err(e) => return Err(e),
        }
        let nr = info.nr_map_ids as usize;
        if nr > map_ids.len() {
            map_ids = vec![0u32; nr];
            continue;
        }
        map_ids.truncate(nr);
        let first_func_type_id =
            (info.nr_func_info > 0 && info.btf_id != 0).then_some(finfo.type_id);
        return Ok(prog_info_from(&info, map_ids, first_func_type_id));
    }
}

/// The typed view of a `bpf_prog_info` the kernel filled in.
fn prog_info_from(
    info: &sys::bpf_prog_info,
    map_ids: Vec<u32>,
    first_func_type_id: Option<u32>,
) -> ProgInfo {
    ProgInfo {
        prog_type: info.type_,
        id: info.id,
        tag: info.tag,
        jited_prog_len: info.jited_prog_len,
        xlated_prog_len: info.xlated_prog_len,
        load_time: info.load_time,
        created_by_uid: info.created_by_uid,
        name: c_name(&info.name),
        ifindex: info.ifindex,
        gpl_compatible: info.gpl_compatible() != 0,
        netns_dev: info.netns_dev,
        netns_ino: info.netns_ino,
        btf_id: info.btf_id,
        nr_func_info: info.nr_func_info,
        func_info_rec_size: info.func_info_rec_size,
        nr_line_info: info.nr_line_info,
        nr_jited_line_info: info.nr_jited_line_info,
        nr_jited_ksyms: info.nr_jited_ksyms,
        run_time_ns: info.run_time_ns,
        run_cnt: info.run_cnt,
        recursion_misses: info.recursion_misses,
        verified_insns: info.verified_insns,
        attach_btf_obj_id: info.attach_btf_obj_id,
        attach_btf_id: info.attach_btf_id,
        map_ids,
        first_func_type_id,
        orphaned: false,
    }
}

/// Map info.
pub fn map_info(fd: BorrowedFd<'_>) -> SysResult<MapInfo> {
    let mut info = sys::bpf_map_info::default();
    obj_get_info(fd, &mut info)?;
    Ok(MapInfo {
        map_type: info.type_,
        id: info.id,
        key_size: info.key_size,
        value_size: info.value_size,
        max_entries: info.max_entries,
        map_flags: info.map_flags,
        name: c_name(&info.name),
        ifindex: info.ifindex,
        btf_vmlinux_value_type_id: info.btf_vmlinux_value_type_id,
        netns_dev: info.netns_dev,
        netns_ino: info.netns_ino,
        btf_id: info.btf_id,
        btf_key_type_id: info.btf_key_type_id,
        btf_value_type_id: info.btf_value_type_id,
        btf_vmlinux_id: info.btf_vmlinux_id,
        map_extra: info.map_extra,
    })
}

/// The id of any BPF object: it is the second u32 of every info struct but the BTF
/// one, so ask with the struct of the right kind.
pub fn obj_id(fd: BorrowedFd<'_>, kind: ObjKind) -> SysResult<u32> {
    match kind {
        ObjKind::Prog => {
            let mut info = sys::bpf_prog_info::default();
            obj_get_info(fd, &mut info)?;
            Ok(info.id)
        }
        ObjKind::Map => Ok(map_info(fd)?.id),
        ObjKind::Link => {
            let mut info = sys::bpf_link_info::default();
            obj_get_info(fd, &mut info)?;
            Ok(info.id)
        }
        ObjKind::Btf => {
            let mut info = sys::bpf_btf_info::default();
            obj_get_info(fd, &mut info)?;
            Ok(info.id)
        }
    }
}

/// BTF object info, with the name fetched in a second call when the kernel has one.
pub fn btf_info(fd: BorrowedFd<'_>) -> SysResult<BtfInfo> {
    let mut info = sys::bpf_btf_info::default();
    obj_get_info(fd, &mut info)?;
    let mut name = Vec::new();
    if info.name_len != 0 {
        // bpftool passes a 64-byte buffer; names are module names, far shorter.
        let mut buf = [0u8; 64];
        info = sys::bpf_btf_info {
            name_len: buf.len() as u32,
            name: ptr_u64(buf.as_mut_ptr()),
            ..Default::default()
        };
        obj_get_info(fd, &mut info)?;
        let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        name = buf[..len].to_vec();
    }
    Ok(BtfInfo {
        id: info.id,
        size: info.btf_size,
        name,
        kernel_btf: info.kernel_btf != 0,
    })
}

/// The raw bytes of a BTF object.
pub fn btf_data(fd: BorrowedFd<'_>) -> SysResult<Vec<u8>> {
    let mut info = sys::bpf_btf_info::default();
    obj_get_info(fd, &mut info)?;
    let mut data = vec![0u8; info.btf_size as usize];
    let mut info = sys::bpf_btf_info {
        btf: ptr_u64(data.as_mut_ptr()),
        btf_size: data.len() as u32,
        ..Default::default()
    };
    obj_get_info(fd, &mut info)?;
    data.truncate(info.btf_size as usize);
    Ok(data)
}

fn cstr_until_nul(buf: &[u8]) -> Vec<u8> {
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    buf[..len].to_vec()
}

/// Link info, with the second call bpftool makes for names and address arrays.
pub fn link_info(fd: BorrowedFd<'_>) -> SysResult<LinkInfo> {
    let mut info = sys::bpf_link_info::default();
    obj_get_info(fd, &mut info)?;
    // PATH_MAX, as bpftool's buffers.
    let mut buf = vec![0u8; 4096];
    let mut path_buf = vec![0u8; 4096];
    let mut addrs = Vec::new();
    let mut cookies = Vec::new();
    let mut offsets = Vec::new();
    let mut ref_ctr_offsets = Vec::new();
    let buf_ptr = ptr_u64(buf.as_mut_ptr());
    let buf_len = buf.len() as u32;
    let link_type = info.type_;
    let mut again = false;
    // SAFETY (all union accesses below): `type_` tells which member of the link-info
    // union the kernel filled in; we read and write only that member.
    unsafe {
        let u = &mut info.__bindgen_anon_1;
        match link_type {
            sys::BPF_LINK_TYPE_RAW_TRACEPOINT => {
                u.raw_tracepoint.tp_name = buf_ptr;
                u.raw_tracepoint.tp_name_len = buf_len;
                again = true;
            }
            sys::BPF_LINK_TYPE_ITER => {
                u.iter.target_name = buf_ptr;
                u.iter.target_name_len = buf_len;
                again = true;
            }
            sys::BPF_LINK_TYPE_KPROBE_MULTI if u.kprobe_multi.count > 0 => {
                let n = u.kprobe_multi.count as usize;
                addrs = vec![0u64; n];
                cookies = vec![0u64; n];
                u.kprobe_multi.addrs = ptr_u64(addrs.as_mut_ptr());
                u.kprobe_multi.cookies = ptr_u64(cookies.as_mut_ptr());
                again = true;
            }
            sys::BPF_LINK_TYPE_UPROBE_MULTI if u.uprobe_multi.count > 0 => {
                let n = u.uprobe_multi.count as usize;
                offsets = vec![0u64; n];
                ref_ctr_offsets = vec![0u64; n];
                cookies = vec![0u64; n];
                u.uprobe_multi.offsets = ptr_u64(offsets.as_mut_ptr());
                u.uprobe_multi.ref_ctr_offsets = ptr_u64(ref_ctr_offsets.as_mut_ptr());
                u.uprobe_multi.cookies = ptr_u64(cookies.as_mut_ptr());
                u.uprobe_multi.path = ptr_u64(path_buf.as_mut_ptr());
                u.uprobe_multi.path_size = path_buf.len() as u32;
                again = true;
            }
            sys::BPF_LINK_TYPE_PERF_EVENT => {
                let pe = &mut u.perf_event;
                match pe.type_ {
                    sys::BPF_PERF_EVENT_TRACEPOINT => {
                        pe.__bindgen_anon_1.tracepoint.tp_name = buf_ptr;
                        pe.__bindgen_anon_1.tracepoint.name_len = buf_len;
                        again = true;
                    }
                    sys::BPF_PERF_EVENT_KPROBE | sys::BPF_PERF_EVENT_KRETPROBE => {
                        pe.__bindgen_anon_1.kprobe.func_name = buf_ptr;
                        pe.__bindgen_anon_1.kprobe.name_len = buf_len;
                        again = true;
                    }
                    sys::BPF_PERF_EVENT_UPROBE | sys::BPF_PERF_EVENT_URETPROBE => {
                        pe.__bindgen_anon_1.uprobe.file_name = buf_ptr;
                        pe.__bindgen_anon_1.uprobe.name_len = buf_len;
                        again = true;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if again {
        obj_get_info(fd, &mut info)?;
    }
    let name = cstr_until_nul(&buf);
    // SAFETY: as above, only the member selected by `type_` is read.
    let details = unsafe {
        let u = &info.__bindgen_anon_1;
        match link_type {
            sys::BPF_LINK_TYPE_RAW_TRACEPOINT => LinkDetails::RawTracepoint {
                tp_name: name,
                cookie: u.raw_tracepoint.cookie,
            },
            sys::BPF_LINK_TYPE_TRACING => LinkDetails::Tracing {
                attach_type: u.tracing.attach_type,
                target_obj_id: u.tracing.target_obj_id,
                target_btf_id: u.tracing.target_btf_id,
                cookie: u.tracing.cookie,
            },
            sys::BPF_LINK_TYPE_CGROUP => LinkDetails::Cgroup {
                cgroup_id: u.cgroup.cgroup_id,
                attach_type: u.cgroup.attach_type,
            },
            sys::BPF_LINK_TYPE_ITER => LinkDetails::Iter {
                target_name: name,
                map_id: u.iter.__bindgen_anon_1.map.map_id,
                cgroup_id: u.iter.__bindgen_anon_2.cgroup.cgroup_id,
                order: u.iter.__bindgen_anon_2.cgroup.order,
                tid: u.iter.__bindgen_anon_2.task.tid,
                pid: u.iter.__bindgen_anon_2.task.pid,
            },
            sys::BPF_LINK_TYPE_NETNS => LinkDetails::Netns {
                netns_ino: u.netns.netns_ino,
                attach_type: u.netns.attach_type,
            },
            sys::BPF_LINK_TYPE_XDP => LinkDetails::Xdp {
                ifindex: u.xdp.ifindex,
            },
            sys::BPF_LINK_TYPE_STRUCT_OPS => LinkDetails::StructOps {
                map_id: u.struct_ops.map_id,
            },
            sys::BPF_LINK_TYPE_NETFILTER => LinkDetails::Netfilter {
                pf: u.netfilter.pf,
                hooknum: u.netfilter.hooknum,
                priority: u.netfilter.priority,
                flags: u.netfilter.flags,
            },
            sys::BPF_LINK_TYPE_KPROBE_MULTI => LinkDetails::KprobeMulti {
                count: u.kprobe_multi.count,
                flags: u.kprobe_multi.flags,
                missed: u.kprobe_multi.missed,
                addrs,
                cookies,
            },
            sys::BPF_LINK_TYPE_UPROBE_MULTI => LinkDetails::UprobeMulti {
                count: u.uprobe_multi.count,
                flags: u.uprobe_multi.flags,
                pid: u.uprobe_multi.pid,
                path: cstr_until_nul(&path_buf),
                offsets,
                ref_ctr_offsets,
                cookies,
            },
            sys::BPF_LINK_TYPE_PERF_EVENT => {
                let pe = &u.perf_event;
                let a = &pe.__bindgen_anon_1;
                LinkDetails::PerfEvent(match pe.type_ {
                    t @ (sys::BPF_PERF_EVENT_UPROBE | sys::BPF_PERF_EVENT_URETPROBE) => {
                        PerfEventLink::Uprobe {
                            ret: t == sys::BPF_PERF_EVENT_URETPROBE,
                            file_name: name,
                            offset: a.uprobe.offset,
                            cookie: a.uprobe.cookie,
                            ref_ctr_offset: a.uprobe.ref_ctr_offset,
                        }
                    }
                    t @ (sys::BPF_PERF_EVENT_KPROBE | sys::BPF_PERF_EVENT_KRETPROBE) => {
                        PerfEventLink::Kprobe {
                            ret: t == sys::BPF_PERF_EVENT_KRETPROBE,
                            func_name: name,
                            offset: a.kprobe.offset,
                            addr: a.kprobe.addr,
                            missed: a.kprobe.missed,
                            cookie: a.kprobe.cookie,
                        }
                    }
                    sys::BPF_PERF_EVENT_TRACEPOINT => PerfEventLink::Tracepoint {
                        tp_name: name,
                        cookie: a.tracepoint.cookie,
                    },
                    sys::BPF_PERF_EVENT_EVENT => PerfEventLink::Event {
                        config: a.event.config,
                        event_type: a.event.type_,
                        cookie: a.event.cookie,
                    },
                    other => PerfEventLink::Other(other),
                })
            }
            sys::BPF_LINK_TYPE_TCX => LinkDetails::Tcx {
                ifindex: u.tcx.ifindex,
                attach_type: u.tcx.attach_type,
            },
            sys::BPF_LINK_TYPE_NETKIT => LinkDetails::Netkit {
                ifindex: u.netkit.ifindex,
                attach_type: u.netkit.attach_type,
            },
            sys::BPF_LINK_TYPE_SOCKMAP => LinkDetails::Sockmap {
                map_id: u.sockmap.map_id,
                attach_type: u.sockmap.attach_type,
            },
            _ => LinkDetails::None,
        }
    };
    Ok(LinkInfo {
        link_type,
        id: info.id,
        prog_id: info.prog_id,
        details,
    })
}

fn path_cstring(path: &Path, call: &'static str) -> SysResult<CString> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| SysError::new(call, libc::EINVAL))
}

/// `BPF_OBJ_GET`.
pub fn obj_get(path: &Path, file_flags: u32) -> SysResult<OwnedFd> {
    let c = path_cstring(path, "BPF_OBJ_GET")?;
    let mut attr = zeroed_attr();
    attr.__bindgen_anon_4.pathname = ptr_u64(c.as_ptr());
    attr.__bindgen_anon_4.file_flags = file_flags;
    let ret = sys_bpf(sys::BPF_OBJ_GET, &mut attr, "BPF_OBJ_GET")?;
    owned_fd(ret, "BPF_OBJ_GET")
}

/// `BPF_OBJ_PIN`.
pub fn obj_pin(fd: BorrowedFd<'_>, path: &Path) -> SysResult<()> {
    let c = path_cstring(path, "BPF_OBJ_PIN")?;
    let mut attr = zeroed_attr();
    attr.__bindgen_anon_4.pathname = ptr_u64(c.as_ptr());
    attr.__bindgen_anon_4.bpf_fd = fd_u32(fd);
    sys_bpf(sys::BPF_OBJ_PIN, &mut attr, "BPF_OBJ_PIN").map(|_| ())
}

/// `BPF_LINK_DETACH`.
pub fn link_detach(fd: BorrowedFd<'_>) -> SysResult<()> {
    let mut attr = zeroed_attr();
    attr.link_detach.link_fd = fd_u32(fd);
    sys_bpf(sys::BPF_LINK_DETACH, &mut attr, "BPF_LINK_DETACH").map(|_| ())
}

/// `BPF_MAP_LOOKUP_ELEM`; the caller sizes `key` and `value` from the map info.
pub fn map_lookup(fd: BorrowedFd<'_>, key: &[u8], value: &mut [u8]) -> SysResult<()> {
    let mut attr = zeroed_attr();
    attr.__bindgen_anon_2.map_fd = fd_u32(fd);
    attr.__bindgen_anon_2.key = ptr_u64(key.as_ptr());
    attr.__bindgen_anon_2.__bindgen_anon_1.value = ptr_u64(value.as_mut_ptr());
    sys_bpf(sys::BPF_MAP_LOOKUP_ELEM, &mut attr, "BPF_MAP_LOOKUP_ELEM").map(|_| ())
}

/// A buffer of `count` records of `rec_size` bytes for the kernel to fill.
fn record_buf(count: u32, rec_size: u32) -> Vec<u8> {
    vec![0u8; (count as usize).saturating_mul(rec_size as usize)]
}

/// What the kernel left in an array after the second info call: `None` if it zeroed the
/// pointer (withheld data), else the first `len` bytes of what it wrote.
fn filled(ptr: u64, mut buf: Vec<u8>, len: usize) -> Option<Vec<u8>> {
    if ptr == 0 {
        return None;
    }
    buf.truncate(len);
    Some(buf)
}

/// `prog dump`'s two info calls (bpftool's `prep_prog_info`): the counts, then one image
/// and every array that annotates it.
pub fn prog_dump(fd: BorrowedFd<'_>, image: ProgImage) -> SysResult<ProgDump> {
    let mut first = sys::bpf_prog_info::default();
    obj_get_info(fd, &mut first)?;
    let image_len = match image {
        ProgImage::Xlated => first.xlated_prog_len,
        ProgImage::Jited => first.jited_prog_len,
    };
    let mut img = vec![0u8; image_len as usize];
    let mut ksyms = vec![0u64; first.nr_jited_ksyms as usize];
    let mut lens = vec![0u32; first.nr_jited_func_lens as usize];
    let mut finfo = record_buf(first.nr_func_info, first.func_info_rec_size);
    let mut linfo = record_buf(first.nr_line_info, first.line_info_rec_size);
    let mut jlinfo = record_buf(first.nr_jited_line_info, first.jited_line_info_rec_size);
    let mut info = sys::bpf_prog_info {
        nr_jited_ksyms: first.nr_jited_ksyms,
        jited_ksyms: ptr_u64(ksyms.as_mut_ptr()),
        nr_jited_func_lens: first.nr_jited_func_lens,
        jited_func_lens: ptr_u64(lens.as_mut_ptr()),
        nr_func_info: first.nr_func_info,
        func_info_rec_size: first.func_info_rec_size,
        func_info: ptr_u64(finfo.as_mut_ptr()),
        nr_line_info: first.nr_line_info,
        line_info_rec_size: first.line_info_rec_size,
        line_info: ptr_u64(linfo.as_mut_ptr()),
        nr_jited_line_info: first.nr_jited_line_info,
        jited_line_info_rec_size: first.jited_line_info_rec_size,
        jited_line_info: ptr_u64(jlinfo.as_mut_ptr()),
        ..Default::default()
    };
    match image {
        ProgImage::Xlated => {
            info.xlated_prog_len = image_len;
            info.xlated_prog_insns = ptr_u64(img.as_mut_ptr());
        }
        ProgImage::Jited => {
            info.jited_prog_len = image_len;
            info.jited_prog_insns = ptr_u64(img.as_mut_ptr());
        }
    }
    obj_get_info(fd, &mut info)?;
    // The kernel reports full counts but writes at most what was asked for.
    let fit = |reported: u32, asked: u32| reported.min(asked) as usize;
    let (image_ptr, reported_len) = match image {
        ProgImage::Xlated => (info.xlated_prog_insns, info.xlated_prog_len),
        ProgImage::Jited => (info.jited_prog_insns, info.jited_prog_len),
    };
    let image = filled(image_ptr, img, fit(reported_len, image_len));
    let nksyms = fit(info.nr_jited_ksyms, first.nr_jited_ksyms);
    let jited_ksyms = (info.jited_ksyms != 0).then(|| {
        ksyms.truncate(nksyms);
        ksyms
    });
    let nlens = fit(info.nr_jited_func_lens, first.nr_jited_func_lens);
    let jited_func_lens = (info.jited_func_lens != 0).then(|| {
        lens.truncate(nlens);
        lens
    });
    let rec = |n: u32, asked_n: u32, size: u32, asked_size: u32| {
        fit(n, asked_n).saturating_mul(fit(size, asked_size))
    };
    let func_info = filled(
        info.func_info,
        finfo,
        rec(
            info.nr_func_info,
            first.nr_func_info,
            info.func_info_rec_size,
            first.func_info_rec_size,
        ),
    );
    let line_info = filled(
        info.line_info,
        linfo,
        rec(
            info.nr_line_info,
            first.nr_line_info,
            info.line_info_rec_size,
            first.line_info_rec_size,
        ),
    );
    let jited_line_info = filled(
        info.jited_line_info,
        jlinfo,
        rec(
            info.nr_jited_line_info,
            first.nr_jited_line_info,
            info.jited_line_info_rec_size,
            first.jited_line_info_rec_size,
        ),
    );
    let first_func_type_id = func_info
        .as_deref()
        .filter(|_| info.nr_func_info > 0 && info.btf_id != 0)
        .and_then(|f| f.get(4..8))
        .and_then(|b| b.try_into().ok())
        .map(u32::from_ne_bytes);
    Ok(ProgDump {
        info: prog_info_from(&info, Vec::new(), first_func_type_id),
        image,
        jited_ksyms,
        nr_jited_func_lens: info.nr_jited_func_lens,
        jited_func_lens,
        func_info,
        line_info_rec_size: info.line_info_rec_size,
        line_info,
        jited_line_info_rec_size: info.jited_line_info_rec_size,
        jited_line_info,
    })
}
