//! Names of the kernel's BPF enums, as libbpf prints them (`libbpf_bpf_*_str`).
//!
//! Generated from libbpf's `prog_type_name`, `map_type_name`, `attach_type_name` and
//! `link_type_name` tables and the UAPI enum order (the libbpf that upstream bpftool
//! v7.8.0 builds with); `None` marks values libbpf has no name for.

pub const ATTACH_TYPE_NAMES: &[Option<&str>] = &[
    Some("cgroup_inet_ingress"),            // 0
    Some("cgroup_inet_egress"),             // 1
    Some("cgroup_inet_sock_create"),        // 2
    Some("cgroup_sock_ops"),                // 3
    Some("sk_skb_stream_parser"),           // 4
    Some("sk_skb_stream_verdict"),          // 5
    Some("cgroup_device"),                  // 6
    Some("sk_msg_verdict"),                 // 7
    Some("cgroup_inet4_bind"),              // 8
    Some("cgroup_inet6_bind"),              // 9
    Some("cgroup_inet4_connect"),           // 10
    Some("cgroup_inet6_connect"),           // 11
    Some("cgroup_inet4_post_bind"),         // 12
    Some("cgroup_inet6_post_bind"),         // 13
    Some("cgroup_udp4_sendmsg"),            // 14
    Some("cgroup_udp6_sendmsg"),            // 15
    Some("lirc_mode2"),                     // 16
    Some("flow_dissector"),                 // 17
    Some("cgroup_sysctl"),                  // 18
    Some("cgroup_udp4_recvmsg"),            // 19
    Some("cgroup_udp6_recvmsg"),            // 20
    Some("cgroup_getsockopt"),              // 21
    Some("cgroup_setsockopt"),              // 22
    Some("trace_raw_tp"),                   // 23
    Some("trace_fentry"),                   // 24
    Some("trace_fexit"),                    // 25
    Some("modify_return"),                  // 26
    Some("lsm_mac"),                        // 27
    Some("trace_iter"),                     // 28
    Some("cgroup_inet4_getpeername"),       // 29
    Some("cgroup_inet6_getpeername"),       // 30
    Some("cgroup_inet4_getsockname"),       // 31
    Some("cgroup_inet6_getsockname"),       // 32
    Some("xdp_devmap"),                     // 33
    Some("cgroup_inet_sock_release"),       // 34
    Some("xdp_cpumap"),                     // 35
    Some("sk_lookup"),                      // 36
    Some("xdp"),                            // 37
    Some("sk_skb_verdict"),                 // 38
    Some("sk_reuseport_select"),            // 39
    Some("sk_reuseport_select_or_migrate"), // 40
    Some("perf_event"),                     // 41
    Some("trace_kprobe_multi"),             // 42
    Some("lsm_cgroup"),                     // 43
    Some("struct_ops"),                     // 44
    Some("netfilter"),                      // 45
    Some("tcx_ingress"),                    // 46
    Some("tcx_egress"),                     // 47
    Some("trace_uprobe_multi"),             // 48
    Some("cgroup_unix_connect"),            // 49
    Some("cgroup_unix_sendmsg"),            // 50
    Some("cgroup_unix_recvmsg"),            // 51
    Some("cgroup_unix_getpeername"),        // 52
    Some("cgroup_unix_getsockname"),        // 53
    Some("netkit_primary"),                 // 54
    Some("netkit_peer"),                    // 55
    Some("trace_kprobe_session"),           // 56
    Some("trace_uprobe_session"),           // 57
    Some("trace_fsession"),                 // 58
    Some("trace_fentry_multi"),             // 59
    Some("trace_fexit_multi"),              // 60
    Some("trace_fsession_multi"),           // 61
];
pub const LINK_TYPE_NAMES: &[Option<&str>] = &[
    Some("unspec"),         // 0
    Some("raw_tracepoint"), // 1
    Some("tracing"),        // 2
    Some("cgroup"),         // 3
    Some("iter"),           // 4
    Some("netns"),          // 5
    Some("xdp"),            // 6
    Some("perf_event"),     // 7
    Some("kprobe_multi"),   // 8
    Some("struct_ops"),     // 9
    Some("netfilter"),      // 10
    Some("tcx"),            // 11
    Some("uprobe_multi"),   // 12
    Some("netkit"),         // 13
    Some("sockmap"),        // 14
    Some("tracing_multi"),  // 15
];
pub const MAP_TYPE_NAMES: &[Option<&str>] = &[
    Some("unspec"),                // 0
    Some("hash"),                  // 1
    Some("array"),                 // 2
    Some("prog_array"),            // 3
    Some("perf_event_array"),      // 4
    Some("percpu_hash"),           // 5
    Some("percpu_array"),          // 6
    Some("stack_trace"),           // 7
    Some("cgroup_array"),          // 8
    Some("lru_hash"),              // 9
    Some("lru_percpu_hash"),       // 10
    Some("lpm_trie"),              // 11
    Some("array_of_maps"),         // 12
    Some("hash_of_maps"),          // 13
    Some("devmap"),                // 14
    Some("sockmap"),               // 15
    Some("cpumap"),                // 16
    Some("xskmap"),                // 17
    Some("sockhash"),              // 18
    Some("cgroup_storage"),        // 19
    Some("reuseport_sockarray"),   // 20
    Some("percpu_cgroup_storage"), // 21
    Some("queue"),                 // 22
    Some("stack"),                 // 23
    Some("sk_storage"),            // 24
    Some("devmap_hash"),           // 25
    Some("struct_ops"),            // 26
    Some("ringbuf"),               // 27
    Some("inode_storage"),         // 28
    Some("task_storage"),          // 29
    Some("bloom_filter"),          // 30
    Some("user_ringbuf"),          // 31
    Some("cgrp_storage"),          // 32
    Some("arena"),                 // 33
    Some("insn_array"),            // 34
    Some("rhash"),                 // 35
];
pub const PROG_TYPE_NAMES: &[Option<&str>] = &[
    Some("unspec"),                  // 0
    Some("socket_filter"),           // 1
    Some("kprobe"),                  // 2
    Some("sched_cls"),               // 3
    Some("sched_act"),               // 4
    Some("tracepoint"),              // 5
    Some("xdp"),                     // 6
    Some("perf_event"),              // 7
    Some("cgroup_skb"),              // 8
    Some("cgroup_sock"),             // 9
    Some("lwt_in"),                  // 10
    Some("lwt_out"),                 // 11
    Some("lwt_xmit"),                // 12
    Some("sock_ops"),                // 13
    Some("sk_skb"),                  // 14
    Some("cgroup_device"),           // 15
    Some("sk_msg"),                  // 16
    Some("raw_tracepoint"),          // 17
    Some("cgroup_sock_addr"),        // 18
    Some("lwt_seg6local"),           // 19
    Some("lirc_mode2"),              // 20
    Some("sk_reuseport"),            // 21
    Some("flow_dissector"),          // 22
    Some("cgroup_sysctl"),           // 23
    Some("raw_tracepoint_writable"), // 24
    Some("cgroup_sockopt"),          // 25
    Some("tracing"),                 // 26
    Some("struct_ops"),              // 27
    Some("ext"),                     // 28
    Some("lsm"),                     // 29
    Some("sk_lookup"),               // 30
    Some("syscall"),                 // 31
    Some("netfilter"),               // 32
];

fn lookup(table: &'static [Option<&'static str>], v: u32) -> Option<&'static str> {
    table.get(usize::try_from(v).ok()?).copied().flatten()
}

/// `libbpf_bpf_prog_type_str`.
pub fn prog_type_str(t: u32) -> Option<&'static str> {
    lookup(PROG_TYPE_NAMES, t)
}

/// `libbpf_bpf_map_type_str`.
pub fn map_type_str(t: u32) -> Option<&'static str> {
    lookup(MAP_TYPE_NAMES, t)
}

/// `libbpf_bpf_attach_type_str`.
pub fn attach_type_str(t: u32) -> Option<&'static str> {
    lookup(ATTACH_TYPE_NAMES, t)
}

/// `libbpf_bpf_link_type_str`.
pub fn link_type_str(t: u32) -> Option<&'static str> {
    lookup(LINK_TYPE_NAMES, t)
}

/// Map type by exact name (bpftool's `map_type_from_str`: no prefixes).
pub fn map_type_from_str(name: &str) -> Option<u32> {
    MAP_TYPE_NAMES
        .iter()
        .position(|n| *n == Some(name))
        .and_then(|i| u32::try_from(i).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        // Spot checks against the UAPI enum values.
        assert_eq!(prog_type_str(1), Some("socket_filter"));
        assert_eq!(prog_type_str(26), Some("tracing"));
        assert_eq!(prog_type_str(9999), None);
        assert_eq!(map_type_str(27), Some("ringbuf"));
        assert_eq!(attach_type_str(28), Some("trace_iter"));
        assert_eq!(link_type_str(7), Some("perf_event"));
        assert_eq!(map_type_from_str("lru_hash"), Some(9));
        assert_eq!(map_type_from_str("lru"), None);
    }
}
