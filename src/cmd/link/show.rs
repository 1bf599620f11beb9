//! `bpftool link { show | list } [LINK]`, with every link type bpftool knows.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::super::common::{self, BStr, Holders, IdMultimap, ObjWalk, RefsTable};
use super::super::prog::show::TypeName;
use super::super::Ctx;
use crate::cli::{handles, Args};
use crate::error::{Error, Result};
use crate::output::{Bytes, Plain};
use crate::sys::{names, KSym, Kernel, LinkDetails, LinkInfo, ObjKind, PerfEventLink};

const BPF_F_KPROBE_MULTI_RETURN: u32 = 1;
const BPF_F_UPROBE_MULTI_RETURN: u32 = 1;

/// An interface as bpftool names it in link output.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Iface {
    ifindex: u32,
    name: Option<String>,
}

impl Iface {
    fn of(k: &dyn Kernel, ifindex: u32) -> Iface {
        Iface {
            ifindex,
            name: if ifindex == 0 {
                None
            } else {
                k.ifname(ifindex)
            },
        }
    }

    /// JSON `devname`: the name, `(unknown)` or `(detached)`.
    fn json_name(&self) -> String {
        match (&self.name, self.ifindex) {
            (_, 0) => "(detached)".into(),
            (Some(n), _) => n.clone(),
            (None, _) => "(unknown)".into(),
        }
    }

    /// Plain `ifindex NAME(N)  `.
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        match (&self.name, self.ifindex) {
            (_, 0) => write!(w, "ifindex (detached)  "),
            (Some(n), i) => write!(w, "ifindex {n}({i})  "),
            (None, _) => write!(w, "ifindex (unknown)  "),
        }
    }
}

/// A probed function of a kprobe_multi link, resolved through kallsyms.
#[derive(Debug, Clone, PartialEq, Eq)]
struct KFunc {
    addr: u64,
    func: String,
    module: String,
    cookie: u64,
}

/// What a link shows beyond id, type and program, resolved for printing.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Details {
    None,
    RawTp {
        tp_name: Vec<u8>,
        cookie: u64,
    },
    Tracing {
        prog_type: TypeName,
        attach_type: TypeName,
        target_obj_id: u32,
        target_btf_id: u32,
        cookie: u64,
    },
    Cgroup {
        cgroup_id: u64,
        attach_type: TypeName,
    },
    Iter {
        target_name: Vec<u8>,
        map_id: Option<u32>,
        tid: Option<u32>,
        pid: Option<u32>,
        cgroup: Option<(u64, &'static str)>,
    },
    Netns {
        netns_ino: u32,
        attach_type: TypeName,
    },
    Netfilter {
        pf: u32,
        hook: u32,
        prio: i32,
        flags: u32,
    },
    Dev {
        iface: Iface,
        attach_type: Option<TypeName>,
    },
    Sockmap {
        map_id: u32,
        attach_type: TypeName,
    },
    StructOps {
        map_id: u32,
    },
    KprobeMulti {
        retprobe: bool,
        count: u32,
        missed: u64,
        /// `None` when kallsyms could not be read.
        funcs: Option<Vec<KFunc>>,
    },
    UprobeMulti {
        retprobe: bool,
        path: Vec<u8>,
        count: u32,
        pid: u32,
        funcs: Vec<(u64, u64, u64)>,
    },
    Perf(PerfEventLink),
}

/// One link as `link show` prints it.
#[derive(Debug)]
pub struct LinkShow {
    id: u32,
    link_type: TypeName,
    prog_id: u32,
    details: Details,
    pinned: Option<Vec<BStr>>,
    holders: Holders,
}

fn attach(t: u32) -> TypeName {
    TypeName::of(t, names::attach_type_str)
}

fn cgroup_order(order: u32) -> &'static str {
    match order {
        0 => "order_unspec",
        1 => "self_only",
        2 => "descendants_pre",
        3 => "descendants_post",
        4 => "ancestors_up",
        _ => "unknown",
    }
}

/// bpftool's kprobe_multi listing: addresses sorted, then matched in one pass over
/// kallsyms (sorted by address); with IBT a probe sits 4 bytes past its symbol.
fn resolve_kprobes(syms: &[KSym], addrs: &[u64], cookies: &[u64], ibt: bool) -> Vec<KFunc> {
    let mut pairs: Vec<(u64, u64)> = addrs
        .iter()
        .zip(cookies.iter().chain(std::iter::repeat(&0)))
        .map(|(a, c)| (*a, *c))
        .collect();
    pairs.sort_by_key(|p| p.0);
    let mut out = Vec::new();
    let mut j = 0;
    for s in syms {
        let Some(&(addr, cookie)) = pairs.get(j) else {
            break;
        };
        if s.addr == addr || (ibt && Some(s.addr) == addr.checked_sub(4)) {
            out.push(KFunc {
                addr,
                func: s.name.clone(),
                module: s.module.clone(),
                cookie,
            });
            j += 1;
        }
    }
    out
}

fn details(k: &dyn Kernel, info: &LinkInfo) -> Result<Details> {
    Ok(match &info.details {
        LinkDetails::None => Details::None,
        LinkDetails::RawTracepoint { tp_name, cookie } => Details::RawTp {
            tp_name: tp_name.clone(),
            cookie: *cookie,
        },
        LinkDetails::Tracing {
            attach_type,
            target_obj_id,
            target_btf_id,
            cookie,
        } => {
            let fd = k
                .fd_by_id(ObjKind::Prog, info.prog_id, 0)
                .map_err(|e| Error::Msg(format!("can't get prog info: {e}")))?;
            let prog = k
                .prog_info(fd.as_fd())
                .map_err(|e| Error::Msg(format!("can't get prog info: {e}")))?;
            Details::Tracing {
                prog_type: TypeName::of(prog.prog_type, names::prog_type_str),
                attach_type: attach(*attach_type),
                target_obj_id: *target_obj_id,
                target_btf_id: *target_btf_id,
                cookie: *cookie,
            }
        }
        LinkDetails::Cgroup {
            cgroup_id,
            attach_type,
        } => Details::Cgroup {
            cgroup_id: *cgroup_id,
            attach_type: attach(*attach_type),
        },
        LinkDetails::Iter {
            target_name,
            map_id,
            cgroup_id,
            order,
            tid,
            pid,
        } => {
            let t = target_name.as_slice();
            let is_map = t == b"bpf_map_elem" || t == b"bpf_sk_storage_map";
            let is_task = t == b"task" || t == b"task_file" || t == b"task_vma";
            Details::Iter {
                target_name: target_name.clone(),
                map_id: is_map.then_some(*map_id),
                tid: (is_task && *tid != 0).then_some(*tid),
                pid: (is_task && *tid == 0 && *pid != 0).then_some(*pid),
                cgroup: (t == b"cgroup").then(|| (*cgroup_id, cgroup_order(*order))),
            }
        }
        LinkDetails::Netns {
            netns_ino,
            attach_type,
        } => Details::Netns {
            netns_ino: *netns_ino,
            attach_type: attach(*attach_type),
        },
        LinkDetails::Netfilter {
            pf,
            hooknum,
            priority,
            flags,
        } => Details::Netfilter {
            pf: *pf,
            hook: *hooknum,
            prio: *priority,
            flags: *flags,
        },
        LinkDetails::Tcx {
            ifindex,
            attach_type,
        }
        | LinkDetails::Netkit {
            ifindex,
            attach_type,
        } => Details::Dev {
            iface: Iface::of(k, *ifindex),
            attach_type: Some(attach(*attach_type)),
        },
        LinkDetails::Xdp { ifindex } => Details::Dev {
            iface: Iface::of(k, *ifindex),
            attach_type: None,
        },
        LinkDetails::Sockmap {
            map_id,
            attach_type,
        } => Details::Sockmap {
            map_id: *map_id,
            attach_type: attach(*attach_type),
        },
        LinkDetails::StructOps { map_id } => Details::StructOps { map_id: *map_id },
        LinkDetails::KprobeMulti {
            count,
            flags,
            missed,
            addrs,
            cookies,
        } => {
            let syms = if *count > 0 { k.kallsyms() } else { Vec::new() };
            let funcs = if *count == 0 {
                Some(Vec::new())
            } else if syms.is_empty() {
                None
            } else {
                let ibt = cfg!(target_arch = "x86_64")
                    && k.kernel_config("CONFIG_X86_KERNEL_IBT").is_some();
                Some(resolve_kprobes(&syms, addrs, cookies, ibt))
            };
            Details::KprobeMulti {
                retprobe: flags & BPF_F_KPROBE_MULTI_RETURN != 0,
                count: *count,
                missed: *missed,
                funcs,
            }
        }
        LinkDetails::UprobeMulti {
            count,
            flags,
            pid,
            path,
            offsets,
            ref_ctr_offsets,
            cookies,
        } => Details::UprobeMulti {
            retprobe: flags & BPF_F_UPROBE_MULTI_RETURN != 0,
            path: path.clone(),
            count: *count,
            pid: *pid,
            funcs: (0..offsets.len())
                .map(|i| {
                    (
                        offsets[i],
                        ref_ctr_offsets.get(i).copied().unwrap_or(0),
                        cookies.get(i).copied().unwrap_or(0),
                    )
                })
                .collect(),
        },
        LinkDetails::PerfEvent(p) => Details::Perf(p.clone()),
    })
}

/// The BPF cookie the holders line shows for perf_event links.
fn perf_cookie(d: &Details) -> Option<u64> {
    match d {
        Details::Perf(p) => Some(match p {
            PerfEventLink::Uprobe { cookie, .. }
            | PerfEventLink::Kprobe { cookie, .. }
            | PerfEventLink::Tracepoint { cookie, .. }
            | PerfEventLink::Event { cookie, .. } => *cookie,
            PerfEventLink::Other(_) => 0,
        }),
        _ => None,
    }
}

const PERF_TYPES: &[&str] = &[
    "hardware",
    "software",
    "tracepoint",
    "hw-cache",
    "raw",
    "breakpoint",
];
const HW_EVENTS: &[&str] = &[
    "cpu-cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "branch-instructions",
    "branch-misses",
    "bus-cycles",
    "stalled-cycles-frontend",
    "stalled-cycles-backend",
    "ref-cycles",
];
const SW_EVENTS: &[&str] = &[
    "cpu-clock",
    "task-clock",
    "page-faults",
    "context-switches",
    "cpu-migrations",
    "minor-faults",
    "major-faults",
    "alignment-faults",
    "emulation-faults",
    "dummy",
    "bpf-output",
    "cgroup-switches",
];
const HW_CACHE: &[&str] = &[
    "L1-dcache",
    "L1-icache",
    "LLC",
    "dTLB",
    "iTLB",
    "branch",
    "node",
];
const HW_CACHE_OP: &[&str] = &["load", "store", "prefetch"];
const HW_CACHE_RESULT: &[&str] = &["refs", "misses"];

fn table_name(table: &[&'static str], v: u64) -> Option<&'static str> {
    usize::try_from(v).ok().and_then(|i| table.get(i)).copied()
}

/// bpftool's `perf_config_str`.
fn perf_config(event_type: u32, config: u64) -> Option<String> {
    match event_type {
        0 => table_name(HW_EVENTS, config).map(str::to_owned),
        1 => table_name(SW_EVENTS, config).map(str::to_owned),
        3 => {
            let part = |t: &[&'static str], v: u64| {
                table_name(t, v).map_or_else(|| v.to_string(), str::to_owned)
            };
            Some(format!(
                "{}-{}-{}",
                part(HW_CACHE, config & 0xff),
                part(HW_CACHE_OP, (config >> 8) & 0xff),
                part(HW_CACHE_RESULT, config >> 16)
            ))
        }
        _ => None,
    }
}

impl LinkShow {
    /// Gathers everything bpftool prints about a link.
    pub fn collect(
        k: &dyn Kernel,
        info: &LinkInfo,
        pinned: Option<&IdMultimap<PathBuf>>,
        refs: &RefsTable,
    ) -> Result<LinkShow> {
        let details = details(k, info)?;
        let holders = Holders::of(refs, info.id, perf_cookie(&details));
        Ok(LinkShow {
            id: info.id,
            link_type: TypeName::of(info.link_type, names::link_type_str),
            prog_id: info.prog_id,
            pinned: pinned
                .filter(|p| !p.is_empty())
                .map(|p| p.get(info.id).map(|x| BStr::path(x)).collect()),
            details,
            holders,
        })
    }
}

/// Serializes fields into a JSON object being built, in bpftool's order.
fn json_details<M: SerializeMap>(m: &mut M, d: &Details) -> std::result::Result<(), M::Error> {
    match d {
        Details::None => {}
        Details::RawTp { tp_name, cookie } => {
            m.serialize_entry("tp_name", &Bytes(tp_name))?;
            m.serialize_entry("cookie", cookie)?;
        }
        Details::Tracing {
            prog_type,
            attach_type,
            target_obj_id,
            target_btf_id,
            cookie,
        } => {
            m.serialize_entry("prog_type", prog_type)?;
            m.serialize_entry("attach_type", attach_type)?;
            m.serialize_entry("target_obj_id", target_obj_id)?;
            m.serialize_entry("target_btf_id", target_btf_id)?;
            m.serialize_entry("cookie", cookie)?;
        }
        Details::Cgroup {
            cgroup_id,
            attach_type,
        } => {
            m.serialize_entry("cgroup_id", cgroup_id)?;
            m.serialize_entry("attach_type", attach_type)?;
        }
        Details::Iter {
            target_name,
            map_id,
            tid,
            pid,
            cgroup,
        } => {
            m.serialize_entry("target_name", &Bytes(target_name))?;
            if let Some(v) = map_id {
                m.serialize_entry("map_id", v)?;
            }
            if let Some(v) = tid {
                m.serialize_entry("tid", v)?;
            }
            if let Some(v) = pid {
                m.serialize_entry("pid", v)?;
            }
            if let Some((id, order)) = cgroup {
                m.serialize_entry("cgroup_id", id)?;
                m.serialize_entry("order", order)?;
            }
        }
        Details::Netns {
            netns_ino,
            attach_type,
        } => {
            m.serialize_entry("netns_ino", netns_ino)?;
            m.serialize_entry("attach_type", attach_type)?;
        }
        Details::Netfilter {
            pf,
            hook,
            prio,
            flags,
        } => {
            m.serialize_entry("pf", pf)?;
            m.serialize_entry("hook", hook)?;
            m.serialize_entry("prio", prio)?;
            m.serialize_entry("flags", flags)?;
        }
        Details::Dev { iface, attach_type } => {
            m.serialize_entry("devname", &iface.json_name())?;
            m.serialize_entry("ifindex", &iface.ifindex)?;
            if let Some(a) = attach_type {
                m.serialize_entry("attach_type", a)?;
            }
        }
        Details::Sockmap {
            map_id,
            attach_type,
        } => {
            m.serialize_entry("map_id", map_id)?;
            m.serialize_entry("attach_type", attach_type)?;
        }
        Details::StructOps { map_id } => m.serialize_entry("map_id", map_id)?,
        Details::KprobeMulti {
            retprobe,
            count,
            missed,
            funcs,
        } => {
            m.serialize_entry("retprobe", retprobe)?;
            m.serialize_entry("func_cnt", count)?;
            m.serialize_entry("missed", missed)?;
            m.serialize_entry("funcs", &KFuncs(funcs.as_deref().unwrap_or_default()))?;
        }
        Details::UprobeMulti {
            retprobe,
            path,
            count,
            pid,
            funcs,
        } => {
            m.serialize_entry("retprobe", retprobe)?;
            m.serialize_entry("path", &Bytes(path))?;
            m.serialize_entry("func_cnt", count)?;
            m.serialize_entry("pid", &(*pid as i32))?;
            m.serialize_entry("funcs", &UFuncs(funcs))?;
        }
        Details::Perf(p) => match p {
            PerfEventLink::Kprobe {
                ret,
                func_name,
                offset,
                addr,
                missed,
                cookie,
            } => {
                m.serialize_entry("retprobe", ret)?;
                m.serialize_entry("addr", addr)?;
                m.serialize_entry("func", &Bytes(func_name))?;
                m.serialize_entry("offset", offset)?;
                m.serialize_entry("missed", missed)?;
                m.serialize_entry("cookie", cookie)?;
            }
            PerfEventLink::Uprobe {
                ret,
                file_name,
                offset,
                cookie,
                ref_ctr_offset,
            } => {
                m.serialize_entry("retprobe", ret)?;
                m.serialize_entry("file", &Bytes(file_name))?;
                m.serialize_entry("offset", offset)?;
                m.serialize_entry("cookie", cookie)?;
                m.serialize_entry("ref_ctr_offset", ref_ctr_offset)?;
            }
            PerfEventLink::Tracepoint { tp_name, cookie } => {
                m.serialize_entry("tracepoint", &Bytes(tp_name))?;
                m.serialize_entry("cookie", cookie)?;
            }
            PerfEventLink::Event {
                config,
                event_type,
                cookie,
            } => {
                match table_name(PERF_TYPES, u64::from(*event_type)) {
                    Some(n) => m.serialize_entry("event_type", n)?,
                    None => m.serialize_entry("event_type", event_type)?,
                }
                match perf_config(*event_type, *config) {
                    Some(c) => m.serialize_entry("event_config", &c)?,
                    None => m.serialize_entry("event_config", config)?,
                }
                m.serialize_entry("cookie", cookie)?;
            }
            PerfEventLink::Other(_) => {}
        },
    }
    Ok(())
}

struct KFuncs<'a>(&'a [KFunc]);

impl Serialize for KFuncs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            seq.serialize_element(&KFuncJson(f))?;
        }
        seq.end()
    }
}

struct KFuncJson<'a>(&'a KFunc);

impl Serialize for KFuncJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let f = self.0;
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("addr", &f.addr)?;
        m.serialize_entry("func", &f.func)?;
        // bpftool prints null for vmlinux functions.
        if f.module.is_empty() {
            m.serialize_entry("module", &())?;
        } else {
            m.serialize_entry("module", &f.module)?;
        }
        m.serialize_entry("cookie", &f.cookie)?;
        m.end()
    }
}

struct UFuncs<'a>(&'a [(u64, u64, u64)]);

impl Serialize for UFuncs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for (offset, ref_ctr_offset, cookie) in self.0 {
            seq.serialize_element(&UFunc {
                offset: *offset,
                ref_ctr_offset: *ref_ctr_offset,
                cookie: *cookie,
            })?;
        }
        seq.end()
    }
}

#[derive(serde::Serialize)]
struct UFunc {
    offset: u64,
    ref_ctr_offset: u64,
    cookie: u64,
}

impl Serialize for LinkShow {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry("type", &self.link_type)?;
        m.serialize_entry("prog_id", &self.prog_id)?;
        json_details(&mut m, &self.details)?;
        if let Some(p) = &self.pinned {
            m.serialize_entry("pinned", p)?;
        }
        self.holders.serialize_into(&mut m)?;
        m.end()
    }
}

fn plain_attach(w: &mut dyn Write, t: &TypeName) -> io::Result<()> {
    match t {
        TypeName::Known(n) => write!(w, "attach_type {n}  "),
        TypeName::Unknown(v) => write!(w, "attach_type {v}  "),
    }
}

/// bpftool's `netfilter_dump_plain`.
fn netfilter_plain(w: &mut dyn Write, pf: u32, hook: u32, prio: i32, flags: u32) -> io::Result<()> {
    const PF: &[Option<&str>] = &[
        None,
        Some("inet"),
        Some("ip"),
        Some("arp"),
        None,
        Some("netdev"),
        None,
        Some("bridge"),
        None,
        None,
        Some("ip6"),
    ];
    const INET_HOOKS: &[&str] = &["prerouting", "input", "forward", "output", "postrouting"];
    const ARP_HOOKS: &[&str] = &["input", "output"];
    let pfname = PF.get(pf as usize).copied().flatten();
    let hookname = match pf {
        7 | 2 | 10 | 1 => INET_HOOKS.get(hook as usize).copied(),
        3 => ARP_HOOKS.get(hook as usize).copied(),
        _ => None,
    };
    match pfname {
        Some(n) => write!(w, "\n\t{n}")?,
        None => write!(w, "\n\tpf: {pf}")?,
    }
    match hookname {
        Some(h) => write!(w, " {h}")?,
        None => write!(w, ", hook {hook},")?,
    }
    write!(w, " prio {prio}")?;
    if flags != 0 {
        write!(w, " flags 0x{flags:x}")?;
    }
    Ok(())
}

/// C's `%#x`: `0` for zero, `0x...` otherwise.
fn alt_hex(v: u32) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("0x{v:x}")
    }
}

fn plain_details(w: &mut dyn Write, d: &Details) -> io::Result<()> {
    match d {
        Details::None | Details::StructOps { .. } => {}
        Details::RawTp { tp_name, cookie } => {
            w.write_all(b"\n\ttp '")?;
            w.write_all(tp_name)?;
            w.write_all(b"'  ")?;
            if *cookie != 0 {
                write!(w, "cookie {cookie}  ")?;
            }
        }
        Details::Tracing {
            prog_type,
            attach_type,
            target_obj_id,
            target_btf_id,
            cookie,
        } => {
            match prog_type {
                TypeName::Known(n) => write!(w, "\n\tprog_type {n}  ")?,
                TypeName::Unknown(v) => write!(w, "\n\tprog_type {v}  ")?,
            }
            plain_attach(w, attach_type)?;
            if *target_obj_id != 0 || *target_btf_id != 0 {
                write!(
                    w,
                    "\n\ttarget_obj_id {target_obj_id}  target_btf_id {target_btf_id}  "
                )?;
            }
            if *cookie != 0 {
                write!(w, "\n\tcookie {cookie}  ")?;
            }
        }
        Details::Cgroup {
            cgroup_id,
            attach_type,
        } => {
            write!(w, "\n\tcgroup_id {cgroup_id}  ")?;
            plain_attach(w, attach_type)?;
        }
        Details::Iter {
            target_name,
            map_id,
            tid,
            pid,
            cgroup,
        } => {
            w.write_all(b"target_name ")?;
            w.write_all(target_name)?;
            w.write_all(b"  ")?;
            if let Some(m) = map_id {
                write!(w, "map_id {m}  ")?;
            }
            if let Some(t) = tid {
                write!(w, "tid {t} ")?;
            }
            if let Some(p) = pid {
                write!(w, "pid {p} ")?;
            }
            if let Some((id, order)) = cgroup {
                write!(w, "cgroup_id {id}  order {order}  ")?;
            }
        }
        Details::Netns {
            netns_ino,
            attach_type,
        } => {
            write!(w, "\n\tnetns_ino {netns_ino}  ")?;
            plain_attach(w, attach_type)?;
        }
        Details::Netfilter {
            pf,
            hook,
            prio,
            flags,
        } => netfilter_plain(w, *pf, *hook, *prio, *flags)?,
        Details::Dev { iface, attach_type } => {
            w.write_all(b"\n\t")?;
            iface.plain(w)?;
            if let Some(a) = attach_type {
                plain_attach(w, a)?;
            }
        }
        Details::Sockmap {
            map_id,
            attach_type,
        } => {
            write!(w, "\n\tmap_id {map_id}  ")?;
            plain_attach(w, attach_type)?;
        }
        Details::KprobeMulti {
            retprobe,
            count,
            missed,
            funcs,
        } => {
            if *count == 0 {
                return Ok(());
            }
            w.write_all(if *retprobe {
                b"\n\tkretprobe.multi  "
            } else {
                b"\n\tkprobe.multi  "
            })?;
            write!(w, "func_cnt {count}  ")?;
            if *missed != 0 {
                write!(w, "missed {missed}  ")?;
            }
            let Some(funcs) = funcs else { return Ok(()) };
            write!(w, "\n\t{:<16} {:<16} func [module]", "addr", "cookie")?;
            for f in funcs {
                write!(w, "\n\t{:016x} {:<16x} {}", f.addr, f.cookie, f.func)?;
                if f.module.is_empty() {
                    w.write_all(b"  ")?;
                } else {
                    write!(w, " [{}]  ", f.module)?;
                }
            }
        }
        Details::UprobeMulti {
            retprobe,
            path,
            count,
            pid,
            funcs,
        } => {
            if *count == 0 {
                return Ok(());
            }
            w.write_all(if *retprobe {
                b"\n\turetprobe.multi  "
            } else {
                b"\n\tuprobe.multi  "
            })?;
            w.write_all(b"path ")?;
            w.write_all(path)?;
            w.write_all(b"  ")?;
            write!(w, "func_cnt {count}  ")?;
            if *pid != 0 {
                write!(w, "pid {pid}  ")?;
            }
            write!(
                w,
                "\n\t{:<16}   {:<16}   {:<16}",
                "offset", "ref_ctr_offset", "cookies"
            )?;
            for (o, r, c) in funcs {
                write!(w, "\n\t0x{o:<16x} 0x{r:<16x} 0x{c:<16x}")?;
            }
        }
        Details::Perf(p) => match p {
            PerfEventLink::Kprobe {
                ret,
                func_name,
                offset,
                addr,
                missed,
                cookie,
            } => {
                if func_name.is_empty() && *addr == 0 {
                    return Ok(());
                }
                w.write_all(if *ret {
                    b"\n\tkretprobe "
                } else {
                    b"\n\tkprobe "
                })?;
                if *addr != 0 {
                    write!(w, "{addr:x} ")?;
                }
                w.write_all(func_name)?;
                if *offset != 0 {
                    write!(w, "+{}", alt_hex(*offset))?;
                }
                if *missed != 0 {
                    write!(w, "  missed {missed}")?;
                }
                if *cookie != 0 {
                    write!(w, "  cookie {cookie}")?;
                }
                w.write_all(b"  ")?;
            }
            PerfEventLink::Uprobe {
                ret,
                file_name,
                offset,
                cookie,
                ref_ctr_offset,
            } => {
                if file_name.is_empty() {
                    return Ok(());
                }
                w.write_all(if *ret {
                    b"\n\turetprobe "
                } else {
                    b"\n\tuprobe "
                })?;
                w.write_all(file_name)?;
                write!(w, "+{}  ", alt_hex(*offset))?;
                if *cookie != 0 {
                    write!(w, "cookie {cookie}  ")?;
                }
                if *ref_ctr_offset != 0 {
                    write!(w, "ref_ctr_offset 0x{ref_ctr_offset:x}  ")?;
                }
            }
            PerfEventLink::Tracepoint { tp_name, cookie } => {
                if tp_name.is_empty() {
                    return Ok(());
                }
                w.write_all(b"\n\ttracepoint ")?;
                w.write_all(tp_name)?;
                w.write_all(b"  ")?;
                if *cookie != 0 {
                    write!(w, "cookie {cookie}  ")?;
                }
            }
            PerfEventLink::Event {
                config,
                event_type,
                cookie,
            } => {
                w.write_all(b"\n\tevent ")?;
                match table_name(PERF_TYPES, u64::from(*event_type)) {
                    Some(n) => write!(w, "{n}:")?,
                    None => write!(w, "{event_type} :")?,
                }
                match perf_config(*event_type, *config) {
                    Some(c) => write!(w, "{c}  ")?,
                    None => write!(w, "{config}  ")?,
                }
                if *cookie != 0 {
                    write!(w, "cookie {cookie}  ")?;
                }
            }
            PerfEventLink::Other(_) => {}
        },
    }
    Ok(())
}

impl Plain for LinkShow {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        write!(w, "{}: ", self.id)?;
        self.link_type.plain(w)?;
        match &self.details {
            Details::StructOps { map_id } => write!(w, "map {map_id}  ")?,
            _ => write!(w, "prog {}  ", self.prog_id)?,
        }
        plain_details(w, &self.details)?;
        for p in self.pinned.iter().flatten() {
            w.write_all(b"\n\tpinned ")?;
            w.write_all(&p.0)?;
        }
        self.holders.plain(w)?;
        w.write_all(b"\n")
    }
}

fn show_one(
    ctx: &mut Ctx<'_>,
    fd: BorrowedFd<'_>,
    pinned: Option<&IdMultimap<PathBuf>>,
    refs: &RefsTable,
) -> Result<()> {
    let info = ctx
        .k
        .link_info(fd)
        .map_err(|e| Error::Msg(format!("can't get link info: {e}")))?;
    let item = LinkShow::collect(ctx.k, &info, pinned, refs)?;
    ctx.out.emit(&item)?;
    Ok(())
}

/// `link show [LINK]`. Exits 0 on success, unlike upstream 7.7/7.8 (docs/compat.md).
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let pinned = ctx
        .opts
        .bpffs
        .then(|| common::pinned_table(ctx.k, ObjKind::Link));
    let refs = RefsTable::build(ctx.k, ObjKind::Link);
    if args.len() == 2 {
        let handle = handles::parse_link(args)?;
        let fd = common::link_fd(ctx, &handle)?;
        return show_one(ctx, fd.as_fd(), pinned.as_ref(), &refs);
    }
    if !args.is_empty() {
        return Err(args.bad_arg());
    }
    ctx.out.begin_list()?;
    for item in ObjWalk::new(ctx.k, ObjKind::Link, 0, "link", "link") {
        let (_, fd) = item?;
        show_one(ctx, fd.as_fd(), pinned.as_ref(), &refs)?;
    }
    ctx.out.end_list()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perf_config_names() {
        assert_eq!(perf_config(0, 1).as_deref(), Some("instructions"));
        assert_eq!(perf_config(1, 99), None);
        assert_eq!(
            perf_config(3, 0x10000).as_deref(),
            Some("L1-dcache-load-misses")
        );
        assert_eq!(perf_config(3, 0x20209).as_deref(), Some("9-prefetch-2"));
        assert_eq!(perf_config(4, 1), None);
    }

    #[test]
    fn kprobe_matching() {
        let syms = vec![
            KSym {
                addr: 0x100,
                name: "a".into(),
                module: String::new(),
            },
            KSym {
                addr: 0x200,
                name: "b".into(),
                module: "m".into(),
            },
            KSym {
                addr: 0x300,
                name: "c".into(),
                module: String::new(),
            },
        ];
        let got = resolve_kprobes(&syms, &[0x304, 0x100], &[7, 8], true);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].func.as_str(), got[0].cookie), ("a", 8));
        assert_eq!((got[1].func.as_str(), got[1].addr), ("c", 0x304));
        // Without IBT, 0x304 matches nothing.
        assert_eq!(resolve_kprobes(&syms, &[0x304], &[0], false).len(), 0);
    }

    #[test]
    fn alt_hex_like_c() {
        assert_eq!(alt_hex(0), "0");
        assert_eq!(alt_hex(16), "0x10");
    }
}
