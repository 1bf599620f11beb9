//! libbpf's table of ELF section names (`SEC("...")`) and the program types and expected
//! attach types they imply, as in the newest libbpf (`section_defs[]`), first match wins.

use libbpf_sys as b;

/// `BPF_TRACE_FENTRY_MULTI` (newer than the UAPI headers libbpf-sys ships).
pub const BPF_TRACE_FENTRY_MULTI: u32 = 59;
/// `BPF_TRACE_FEXIT_MULTI`.
pub const BPF_TRACE_FEXIT_MULTI: u32 = 60;
/// `BPF_TRACE_FSESSION_MULTI`.
pub const BPF_TRACE_FSESSION_MULTI: u32 = 61;

/// One row of the table: a section name pattern and what it implies.
#[derive(Debug, Clone, Copy)]
pub struct SecDef {
    /// libbpf's pattern: `"x"` exact, `"x+"` exact or `x/...`, `"x/"` any `x/...`.
    pub pattern: &'static str,
    /// `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// `BPF_*` expected attach type.
    pub attach_type: u32,
}

macro_rules! defs {
    ($($pat:literal, $ty:ident, $at:expr;)*) => {
        &[$(SecDef { pattern: $pat, prog_type: b::$ty, attach_type: $at }),*]
    };
}

/// `section_defs[]`, in libbpf's order (the order decides overlapping prefixes).
pub const SECTION_DEFS: &[SecDef] = defs! {
    "socket", BPF_PROG_TYPE_SOCKET_FILTER, 0;
    "sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT, b::BPF_SK_REUSEPORT_SELECT_OR_MIGRATE;
    "sk_reuseport", BPF_PROG_TYPE_SK_REUSEPORT, b::BPF_SK_REUSEPORT_SELECT;
    "kprobe+", BPF_PROG_TYPE_KPROBE, 0;
    "uprobe+", BPF_PROG_TYPE_KPROBE, 0;
    "uprobe.s+", BPF_PROG_TYPE_KPROBE, 0;
    "kretprobe+", BPF_PROG_TYPE_KPROBE, 0;
    "uretprobe+", BPF_PROG_TYPE_KPROBE, 0;
    "uretprobe.s+", BPF_PROG_TYPE_KPROBE, 0;
    "kprobe.multi+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_KPROBE_MULTI;
    "kretprobe.multi+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_KPROBE_MULTI;
    "kprobe.session+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_KPROBE_SESSION;
    "uprobe.multi+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_UPROBE_MULTI;
    "uretprobe.multi+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_UPROBE_MULTI;
    "uprobe.session+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_UPROBE_SESSION;
    "uprobe.multi.s+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_UPROBE_MULTI;
    "uretprobe.multi.s+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_UPROBE_MULTI;
    "uprobe.session.s+", BPF_PROG_TYPE_KPROBE, b::BPF_TRACE_UPROBE_SESSION;
    "ksyscall+", BPF_PROG_TYPE_KPROBE, 0;
    "kretsyscall+", BPF_PROG_TYPE_KPROBE, 0;
    "usdt+", BPF_PROG_TYPE_KPROBE, 0;
    "usdt.s+", BPF_PROG_TYPE_KPROBE, 0;
    "tc/ingress", BPF_PROG_TYPE_SCHED_CLS, b::BPF_TCX_INGRESS;
    "tc/egress", BPF_PROG_TYPE_SCHED_CLS, b::BPF_TCX_EGRESS;
    "tcx/ingress", BPF_PROG_TYPE_SCHED_CLS, b::BPF_TCX_INGRESS;
    "tcx/egress", BPF_PROG_TYPE_SCHED_CLS, b::BPF_TCX_EGRESS;
    "tc", BPF_PROG_TYPE_SCHED_CLS, 0;
    "classifier", BPF_PROG_TYPE_SCHED_CLS, 0;
    "action", BPF_PROG_TYPE_SCHED_ACT, 0;
    "netkit/primary", BPF_PROG_TYPE_SCHED_CLS, b::BPF_NETKIT_PRIMARY;
    "netkit/peer", BPF_PROG_TYPE_SCHED_CLS, b::BPF_NETKIT_PEER;
    "tracepoint+", BPF_PROG_TYPE_TRACEPOINT, 0;
    "tp+", BPF_PROG_TYPE_TRACEPOINT, 0;
    "tracepoint.s+", BPF_PROG_TYPE_TRACEPOINT, 0;
    "tp.s+", BPF_PROG_TYPE_TRACEPOINT, 0;
    "raw_tracepoint+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0;
    "raw_tp+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0;
    "raw_tracepoint.s+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0;
    "raw_tp.s+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0;
    "raw_tracepoint.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0;
    "raw_tp.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0;
    "tp_btf+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_RAW_TP;
    "tp_btf.s+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_RAW_TP;
    "fentry+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_FENTRY;
    "fmod_ret+", BPF_PROG_TYPE_TRACING, b::BPF_MODIFY_RETURN;
    "fexit+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_FEXIT;
    "fentry.s+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_FENTRY;
    "fmod_ret.s+", BPF_PROG_TYPE_TRACING, b::BPF_MODIFY_RETURN;
    "fexit.s+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_FEXIT;
    "fsession+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_FSESSION;
    "fsession.s+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_FSESSION;
    "fsession.multi+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FSESSION_MULTI;
    "fsession.multi.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FSESSION_MULTI;
    "fentry.multi+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY_MULTI;
    "fexit.multi+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT_MULTI;
    "fentry.multi.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY_MULTI;
    "fexit.multi.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT_MULTI;
    "freplace+", BPF_PROG_TYPE_EXT, 0;
    "lsm+", BPF_PROG_TYPE_LSM, b::BPF_LSM_MAC;
    "lsm.s+", BPF_PROG_TYPE_LSM, b::BPF_LSM_MAC;
    "lsm_cgroup+", BPF_PROG_TYPE_LSM, b::BPF_LSM_CGROUP;
    "iter+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_ITER;
    "iter.s+", BPF_PROG_TYPE_TRACING, b::BPF_TRACE_ITER;
    "syscall", BPF_PROG_TYPE_SYSCALL, 0;
    "xdp.frags/devmap", BPF_PROG_TYPE_XDP, b::BPF_XDP_DEVMAP;
    "xdp/devmap", BPF_PROG_TYPE_XDP, b::BPF_XDP_DEVMAP;
    "xdp.frags/cpumap", BPF_PROG_TYPE_XDP, b::BPF_XDP_CPUMAP;
    "xdp/cpumap", BPF_PROG_TYPE_XDP, b::BPF_XDP_CPUMAP;
    "xdp.frags", BPF_PROG_TYPE_XDP, b::BPF_XDP;
    "xdp", BPF_PROG_TYPE_XDP, b::BPF_XDP;
    "perf_event", BPF_PROG_TYPE_PERF_EVENT, 0;
    "lwt_in", BPF_PROG_TYPE_LWT_IN, 0;
    "lwt_out", BPF_PROG_TYPE_LWT_OUT, 0;
    "lwt_xmit", BPF_PROG_TYPE_LWT_XMIT, 0;
    "lwt_seg6local", BPF_PROG_TYPE_LWT_SEG6LOCAL, 0;
    "sockops", BPF_PROG_TYPE_SOCK_OPS, b::BPF_CGROUP_SOCK_OPS;
    "sk_skb/stream_parser", BPF_PROG_TYPE_SK_SKB, b::BPF_SK_SKB_STREAM_PARSER;
    "sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB, b::BPF_SK_SKB_STREAM_VERDICT;
    "sk_skb/verdict", BPF_PROG_TYPE_SK_SKB, b::BPF_SK_SKB_VERDICT;
    "sk_skb", BPF_PROG_TYPE_SK_SKB, 0;
    "sk_msg", BPF_PROG_TYPE_SK_MSG, b::BPF_SK_MSG_VERDICT;
    "lirc_mode2", BPF_PROG_TYPE_LIRC_MODE2, b::BPF_LIRC_MODE2;
    "flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, b::BPF_FLOW_DISSECTOR;
    "cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, b::BPF_CGROUP_INET_INGRESS;
    "cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, b::BPF_CGROUP_INET_EGRESS;
    "cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, 0;
    "cgroup/sock_create", BPF_PROG_TYPE_CGROUP_SOCK, b::BPF_CGROUP_INET_SOCK_CREATE;
    "cgroup/sock_release", BPF_PROG_TYPE_CGROUP_SOCK, b::BPF_CGROUP_INET_SOCK_RELEASE;
    "cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, b::BPF_CGROUP_INET_SOCK_CREATE;
    "cgroup/post_bind4", BPF_PROG_TYPE_CGROUP_SOCK, b::BPF_CGROUP_INET4_POST_BIND;
    "cgroup/post_bind6", BPF_PROG_TYPE_CGROUP_SOCK, b::BPF_CGROUP_INET6_POST_BIND;
    "cgroup/bind4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET4_BIND;
    "cgroup/bind6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET6_BIND;
    "cgroup/connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET4_CONNECT;
    "cgroup/connect6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET6_CONNECT;
    "cgroup/connect_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UNIX_CONNECT;
    "cgroup/sendmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UDP4_SENDMSG;
    "cgroup/sendmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UDP6_SENDMSG;
    "cgroup/sendmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UNIX_SENDMSG;
    "cgroup/recvmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UDP4_RECVMSG;
    "cgroup/recvmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UDP6_RECVMSG;
    "cgroup/recvmsg_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UNIX_RECVMSG;
    "cgroup/getpeername4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET4_GETPEERNAME;
    "cgroup/getpeername6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET6_GETPEERNAME;
    "cgroup/getpeername_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UNIX_GETPEERNAME;
    "cgroup/getsockname4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET4_GETSOCKNAME;
    "cgroup/getsockname6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_INET6_GETSOCKNAME;
    "cgroup/getsockname_unix", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, b::BPF_CGROUP_UNIX_GETSOCKNAME;
    "cgroup/sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, b::BPF_CGROUP_SYSCTL;
    "cgroup/getsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, b::BPF_CGROUP_GETSOCKOPT;
    "cgroup/setsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, b::BPF_CGROUP_SETSOCKOPT;
    "cgroup/dev", BPF_PROG_TYPE_CGROUP_DEVICE, b::BPF_CGROUP_DEVICE;
    "struct_ops+", BPF_PROG_TYPE_STRUCT_OPS, 0;
    "struct_ops.s+", BPF_PROG_TYPE_STRUCT_OPS, 0;
    "sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, b::BPF_SK_LOOKUP;
    "netfilter", BPF_PROG_TYPE_NETFILTER, b::BPF_NETFILTER;
};

/// libbpf's `sec_def_matches`.
fn matches(pattern: &str, sec: &[u8]) -> bool {
    let pat = pattern.as_bytes();
    match pat.split_last() {
        Some((b'/', _)) => sec.starts_with(pat),
        Some((b'+', stem)) => {
            sec.starts_with(stem) && matches!(sec.get(stem.len()), None | Some(b'/'))
        }
        _ => sec == pat,
    }
}

/// libbpf's `find_sec_def`: the first definition matching a section name (without its
/// leading `?`), or `None` for a section libbpf does not recognise (program type unspec).
pub fn find(sec: &[u8]) -> Option<&'static SecDef> {
    SECTION_DEFS.iter().find(|d| matches(d.pattern, sec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_match_in_libbpf_order() {
        let t = |s: &str| find(s.as_bytes()).map(|d| d.pattern);
        assert_eq!(
            t("tracepoint/syscalls/sys_enter_getpid"),
            Some("tracepoint+")
        );
        assert_eq!(t("tp/x/y"), Some("tp+"));
        assert_eq!(t("tp_btf/sched_switch"), Some("tp_btf+"));
        assert_eq!(t("tracepointX"), None);
        assert_eq!(t("xdp"), Some("xdp"));
        assert_eq!(t("xdp/foo"), None);
        assert_eq!(t("xdp/devmap"), Some("xdp/devmap"));
        assert_eq!(t("sk_reuseport/migrate"), Some("sk_reuseport/migrate"));
        assert_eq!(t("iter/task"), Some("iter+"));
        assert_eq!(t("tc"), Some("tc"));
        assert_eq!(t("tc/ingress"), Some("tc/ingress"));
        assert_eq!(t("cgroup/sock"), Some("cgroup/sock"));
        assert_eq!(t("uprobe.s//bin/sh:main"), Some("uprobe.s+"));
    }
}
