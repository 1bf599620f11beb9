//! `bpftool feature probe [kernel] [full] [unprivileged] [macros [prefix PREFIX]]` and
//! `bpftool feature probe dev NAME ...`.
//!
//! The probes are bpftool's (see [`crate::sys::probe`]); what differs is scheduling. The
//! ~5,600 helper probes are independent `BPF_PROG_LOAD`s that spend nearly all their time
//! in the verifier, so they run on every idle CPU at once and are put back in bpftool's order
//! afterwards. bpftool's `unprivileged` mode reads `errno` after each probe, and a probe
//! that succeeds leaves the previous probe's `errno` there; [`Errno`] replays that
//! sequence in bpftool's order so the answers do not depend on the scheduling.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::report::{BpfFeatures, HelperProbes, Report, Sysctls, SystemConfig};
use crate::cli::{show, Args};
use crate::cmd::Ctx;
use crate::error::{Error, Result};
use crate::sys::caps::{CapSet, CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_SYS_ADMIN};
use crate::sys::names;
use crate::sys::probe::{self, helper, map, prog, Misc, Probe, Probes, LOG_SIZE};

/// What to probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Nothing said: the kernel.
    Unspec,
    /// `kernel`.
    Kernel,
    /// `dev NAME`: an offload device.
    Device(u32),
}

/// The parsed command line.
#[derive(Debug)]
struct Request {
    target: Target,
    full: bool,
    unprivileged: bool,
    /// `macros [prefix P]`: `Some(P)`, `Some("")` without a prefix.
    prefix: Option<OsString>,
}

/// Kernel config options bpftool reports, and whether `macros` prints them.
const CONFIG_OPTIONS: [(&str, bool); 33] = [
    ("CONFIG_BPF", false),
    ("CONFIG_BPF_SYSCALL", false),
    ("CONFIG_HAVE_EBPF_JIT", false),
    ("CONFIG_BPF_JIT", false),
    ("CONFIG_BPF_JIT_ALWAYS_ON", false),
    ("CONFIG_DEBUG_INFO_BTF", false),
    ("CONFIG_DEBUG_INFO_BTF_MODULES", false),
    ("CONFIG_CGROUPS", false),
    ("CONFIG_CGROUP_BPF", false),
    ("CONFIG_CGROUP_NET_CLASSID", false),
    ("CONFIG_SOCK_CGROUP_DATA", false),
    ("CONFIG_BPF_EVENTS", false),
    ("CONFIG_KPROBE_EVENTS", false),
    ("CONFIG_UPROBE_EVENTS", false),
    ("CONFIG_TRACING", false),
    ("CONFIG_FTRACE_SYSCALLS", false),
    ("CONFIG_FUNCTION_ERROR_INJECTION", false),
    ("CONFIG_BPF_KPROBE_OVERRIDE", false),
    ("CONFIG_NET", false),
    ("CONFIG_XDP_SOCKETS", false),
    ("CONFIG_LWTUNNEL_BPF", false),
    ("CONFIG_NET_ACT_BPF", false),
    ("CONFIG_NET_CLS_BPF", false),
    ("CONFIG_NET_CLS_ACT", false),
    ("CONFIG_NET_SCH_INGRESS", false),
    ("CONFIG_XFRM", false),
    ("CONFIG_IP_ROUTE_CLASSID", false),
    ("CONFIG_IPV6_SEG6_BPF", false),
    ("CONFIG_BPF_LIRC_MODE2", false),
    ("CONFIG_BPF_STREAM_PARSER", false),
    ("CONFIG_NETFILTER_XT_MATCH_BPF", false),
    ("CONFIG_TEST_BPF", false),
    ("CONFIG_HZ", true),
];

/// `bpftool feature probe ...`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let p = ctx.k.probes();
    p.raise_memlock();
    let req = parse(p, args)?;
    let restore = handle_perms(p, req.unprivileged)?;
    let macros = !ctx.out.is_json() && req.prefix.is_some();
    let report = build(ctx, p, &req, macros);
    if let Some(caps) = restore {
        // bpftool never raises them again; doing it keeps later commands of a `batch`
        // privileged. The results are complete either way, so a failure changes nothing.
        let _ = p.set_caps(&caps);
    }
    let report = report?;
    match (&req.prefix, macros) {
        (Some(prefix), true) => ctx.out.emit(&super::report::Macros {
            report: &report,
            prefix: prefix.as_bytes(),
        })?,
        _ => ctx.out.emit(&report)?,
    }
    Ok(())
}

fn parse(p: &dyn Probes, args: &mut Args) -> Result<Request> {
    let mut req = Request {
        target: Target::Unspec,
        full: false,
        unprivileged: false,
        prefix: None,
    };
    let already = || Error::Msg("component to probe already specified".into());
    while let Some(word) = args.peek().map(ToOwned::to_owned) {
        if args.is("kernel") {
            if req.target != Target::Unspec {
                return Err(already());
            }
            req.target = Target::Kernel;
            args.advance();
        } else if args.is("dev") {
            args.advance();
            if req.target != Target::Unspec {
                return Err(already());
            }
            args.require(1)?;
            let name = args.take()?;
            let ifindex = p.ifindex(&name).map_err(|e| {
                Error::Msg(format!(
                    "unrecognized netdevice '{}': {}",
                    show(&name),
                    crate::sys::strerror(e)
                ))
            })?;
            req.target = Target::Device(ifindex);
        } else if args.is("full") {
            req.full = true;
            args.advance();
        } else if args.is("macros") && req.prefix.is_none() {
            req.prefix = Some(OsString::new());
            args.advance();
        } else if args.is("prefix") {
            match &req.prefix {
                None => {
                    return Err(Error::Msg(
                        "'prefix' argument can only be use after 'macros'".into(),
                    ))
                }
                Some(p) if !p.is_empty() => {
                    return Err(Error::Msg("'prefix' already defined".into()))
                }
                Some(_) => {}
            }
            args.advance();
            args.require(1)?;
            req.prefix = Some(args.take()?);
        } else if args.is("unprivileged") {
            req.unprivileged = true;
            args.advance();
        } else {
            return Err(Error::Msg(format!(
                "expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: '{}'?",
                show(&word)
            )));
        }
    }
    Ok(req)
}

/// The capabilities bpftool checks, in its order, with their names.
const BPF_CAPS: [(u32, &str); 4] = [
    (CAP_SYS_ADMIN, "CAP_SYS_ADMIN"),
    (CAP_BPF, "CAP_BPF"),
    (CAP_NET_ADMIN, "CAP_NET_ADMIN"),
    (CAP_PERFMON, "CAP_PERFMON"),
];

/// bpftool's `handle_perms`: without `unprivileged`, insist on the capabilities full
/// probing needs; with it, drop those we have from the effective set. Returns the set to
/// restore afterwards, if any was dropped.
fn handle_perms(p: &dyn Probes, unprivileged: bool) -> Result<Option<CapSet>> {
    let caps = p.caps().map_err(|e| {
        Error::Msg(format!(
            "failed to get capabilities for process: {}",
            e.strerror()
        ))
    })?;
    // Kernels before CAP_BPF (5.8) need CAP_SYS_ADMIN alone.
    let sys_admin_only = !p.cap_supported(CAP_BPF);
    let mut held = [false; 4];
    for (i, (cap, _)) in BPF_CAPS.iter().enumerate() {
        held[i] = caps.effective(*cap);
        if sys_admin_only {
            break;
        }
    }
    let nb = held.iter().filter(|h| **h).count();
    if (unprivileged && nb == 0)
        || (!unprivileged && nb == BPF_CAPS.len())
        || (!unprivileged && sys_admin_only && nb > 0)
    {
        return Ok(None);
    }
    if !unprivileged {
        let missing: String = if sys_admin_only {
            "CAP_SYS_ADMIN, ".to_owned()
        } else {
            BPF_CAPS
                .iter()
                .zip(held)
                .filter(|(_, h)| !h)
                .map(|((_, name), _)| format!("{name}, "))
                .collect()
        };
        let msg = format!(
            "missing {missing}required for full feature probing; run as root or use 'unprivileged'"
        );
        return Err(Error::Msg(msg));
    }
    let mut dropped = caps;
    for ((cap, _), h) in BPF_CAPS.iter().zip(held) {
        if h {
            dropped.clear_effective(*cap);
        }
    }
    p.set_caps(&dropped)
        .map_err(|e| Error::Msg(format!("failed to drop capabilities: {}", e.strerror())))?;
    Ok(Some(caps))
}

/// C's `errno` as bpftool's probe sequence leaves it.
struct Errno {
    value: i32,
    unprivileged: bool,
}

impl Errno {
    /// Takes in one probe's effect on `errno` and returns its answer as bpftool reports
    /// it: in `unprivileged` mode, a probe followed by `EPERM` counts as failed.
    fn answer(&mut self, probe: Probe) -> bool {
        if let Some(e) = probe.errno {
            self.value = e;
        }
        probe.supported && !(self.unprivileged && self.value == libc::EPERM)
    }

    /// Takes in a probe whose answer bpftool does not check against `errno`.
    fn record(&mut self, probe: Probe) -> bool {
        if let Some(e) = probe.errno {
            self.value = e;
        }
        probe.supported
    }
}

/// One probe of a run.
#[derive(Debug, Clone, Copy)]
enum Job {
    ProgType(u32),
    MapType(u32),
    Misc(Misc),
    Helper(u32, u32),
}

/// Where the probes go: the kernel or an offload device.
#[derive(Clone, Copy)]
struct Prober<'a> {
    p: &'a dyn Probes,
    ifindex: u32,
    netronome: bool,
}

impl Prober<'_> {
    fn run(&self, job: Job, log: &mut [u8]) -> Probe {
        let (p, dev) = (self.p, self.ifindex);
        match (job, dev) {
            (Job::ProgType(t), 0) => p.prog_type(t),
            (Job::ProgType(t), _) => p.prog_type_dev(t, dev),
            (Job::MapType(t), 0) => p.map_type(t),
            (Job::MapType(t), _) => p.map_type_dev(t, dev),
            (Job::Misc(m), _) => Probe {
                supported: p.misc(m, dev),
                errno: None,
            },
            (Job::Helper(t, id), 0) => p.helper(t, id, log),
            (Job::Helper(t, id), _) => p.helper_dev(t, id, dev, self.netronome, log),
        }
    }
}

fn build(ctx: &mut Ctx<'_>, p: &dyn Probes, req: &Request, macros: bool) -> Result<Report> {
    let system = match req.target {
        Target::Device(_) => None,
        Target::Unspec | Target::Kernel => Some(system_config(ctx, p, macros)?),
    };
    let syscall_errno = p.bpf_syscall();
    let mut report = Report {
        system,
        bpf_syscall: syscall_errno != libc::ENOSYS,
        bpf: None,
    };
    if !report.bpf_syscall {
        return Ok(report);
    }
    let ifindex = match req.target {
        Target::Device(i) => i,
        _ => 0,
    };
    let dev = ifindex != 0;
    let prober = Prober {
        p,
        ifindex,
        netronome: dev && p.vendor_id(ifindex) == 0x19ee,
    };

    // Offload devices are only asked about what they can offload.
    let prog_types: Vec<(u32, &'static str)> = (1u32..)
        .map_while(|t| names::prog_type_str(t).map(|n| (t, n)))
        .filter(|(t, _)| !dev || matches!(*t, prog::SCHED_CLS | prog::XDP))
        .collect();
    let map_types: Vec<(u32, &'static str)> = (1u32..)
        .map_while(|t| names::map_type_str(t).map(|n| (t, n)))
        .filter(|(t, _)| !dev || matches!(*t, map::HASH | map::ARRAY))
        .collect();
    let helper_ids: Vec<u32> = (1..probe_helper_count())
        .filter(|&id| {
            req.full
                || !matches!(
                    id,
                    helper::TRACE_PRINTK | helper::TRACE_VPRINTK | helper::PROBE_WRITE_USER
                )
        })
        .collect();

    // Everything but the helpers first: which helpers to probe depends on the types.
    let first: Vec<Job> = prog_types
        .iter()
        .map(|&(t, _)| Job::ProgType(t))
        .chain(map_types.iter().map(|&(t, _)| Job::MapType(t)))
        .chain(Misc::ALL.iter().map(|&m| Job::Misc(m)))
        .collect();
    let threads = probe_threads(p);
    let first = run_parallel(&prober, &first, threads);
    let (type_probes, rest) = first.split_at(prog_types.len());
    let (map_probes, misc_probes) = rest.split_at(map_types.len());

    // bpftool's order: program types, map types, helpers; `errno` runs through them all.
    let mut errno = Errno {
        value: syscall_errno,
        unprivileged: req.unprivileged,
    };
    let types: Vec<(u32, &'static str, bool)> = prog_types
        .iter()
        .zip(type_probes)
        .map(|(&(t, name), probe)| (t, name, errno.answer(*probe)))
        .collect();
    let maps: Vec<(&'static str, bool)> = map_types
        .iter()
        .zip(map_probes)
        .map(|(&(_, name), probe)| (name, errno.record(*probe)))
        .collect();

    let jobs: Vec<Job> = types
        .iter()
        .filter(|(_, _, ok)| *ok)
        .flat_map(|&(t, _, _)| helper_ids.iter().map(move |&id| Job::Helper(t, id)))
        .collect();
    let results = run_parallel(&prober, &jobs, threads);
    let mut next = results.iter();
    let helpers = types
        .iter()
        .map(|&(_, name, type_ok)| HelperProbes {
            prog_type: name,
            type_supported: type_ok,
            helpers: helper_ids
                .iter()
                .map(|&id| {
                    let ok = type_ok && next.next().is_some_and(|probe| errno.answer(*probe));
                    (id, ok)
                })
                .collect(),
        })
        .collect();

    report.bpf = Some(BpfFeatures {
        prog_types: types.iter().map(|&(_, name, ok)| (name, ok)).collect(),
        map_types: maps,
        helpers,
        misc: Misc::ALL
            .iter()
            .zip(misc_probes)
            .map(|(&m, probe)| (m, probe.supported))
            .collect(),
    });
    Ok(report)
}

/// Helper ids bpftool knows: its `helper_name` table, from the UAPI of its build.
fn probe_helper_count() -> u32 {
    u32::try_from(crate::disasm::bpf::helpers::HELPER_NAMES.len()).unwrap_or(0)
}

/// How many threads probe at once: one per idle CPU, at most 8.
///
/// A probe is almost all kernel time (verifier set-up, allocations, freeing), so threads
/// help as long as they get CPUs of their own. On CPUs that other tasks keep busy they
/// only add contention on the kernel's allocator locks, where a thread that sleeps waits
/// behind the other tasks to run again (measured on 2 CPUs with ~5 other runnable tasks:
/// 1 thread 243 ms, 2 threads 280 ms, 4 threads 284 ms), so, like `make -l`, this backs
/// off when the machine is busy.
fn probe_threads(p: &dyn Probes) -> usize {
    p.idle_cpus().clamp(1, 8)
}

/// Runs `jobs` on several threads; the answers come back in `jobs` order.
fn run_parallel(prober: &Prober<'_>, jobs: &[Job], threads: usize) -> Vec<Probe> {
    /// Jobs a thread takes at once: enough to keep the shared counter cold.
    const CHUNK: usize = 8;
    let threads = threads.min(jobs.len().div_ceil(CHUNK)).max(1);
    let next = AtomicUsize::new(0);
    let worker = || {
        let mut log = vec![0u8; LOG_SIZE];
        let mut done = Vec::with_capacity(jobs.len() / threads + CHUNK);
        loop {
            let start = next.fetch_add(CHUNK, Ordering::Relaxed);
            if start >= jobs.len() {
                return done;
            }
            let end = (start + CHUNK).min(jobs.len());
            for (i, &job) in jobs.iter().enumerate().take(end).skip(start) {
                done.push((i, prober.run(job, &mut log)));
            }
        }
    };
    let mut results = vec![Probe::default(); jobs.len()];
    let mut place = |done: Vec<(usize, Probe)>| {
        for (i, probe) in done {
            if let Some(r) = results.get_mut(i) {
                *r = probe;
            }
        }
    };
    if threads == 1 {
        place(worker());
        return results;
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(worker)).collect();
        place(worker());
        for h in handles {
            // A worker cannot panic short of a bug; its probes would read as absent.
            if let Ok(done) = h.join() {
                place(done);
            }
        }
    });
    results
}

fn system_config(ctx: &mut Ctx<'_>, p: &dyn Probes, macros: bool) -> Result<SystemConfig> {
    let mut sysctls = None;
    if !macros {
        if p.procfs_mounted() {
            sysctls = Some(Sysctls {
                unprivileged_bpf_disabled: p
                    .read_procfs("/proc/sys/kernel/unprivileged_bpf_disabled"),
                jit_enable: p.read_procfs("/proc/sys/net/core/bpf_jit_enable"),
                jit_harden: p.read_procfs("/proc/sys/net/core/bpf_jit_harden"),
                jit_kallsyms: p.read_procfs("/proc/sys/net/core/bpf_jit_kallsyms"),
                jit_limit: p.read_procfs("/proc/sys/net/core/bpf_jit_limit"),
            });
        } else {
            ctx.out
                .info("/* procfs not mounted, skipping related probes */")?;
        }
    }
    let wanted: Vec<&'static str> = CONFIG_OPTIONS
        .iter()
        .filter(|(_, in_macros)| !macros || *in_macros)
        .map(|(name, _)| *name)
        .collect();
    let config = match p.kernel_config() {
        Ok(text) => match probe::parse_kernel_config(&text, &wanted) {
            Ok(values) => wanted.into_iter().zip(values).collect(),
            Err(_) => Vec::new(),
        },
        Err(msg) => {
            ctx.out.info(&msg)?;
            Vec::new()
        }
    };
    Ok(SystemConfig { sysctls, config })
}
