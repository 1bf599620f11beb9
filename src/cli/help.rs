//! Help texts, byte for byte as upstream bpftool prints them (to stderr).
//!
//! bpftool prints `bin_name` as "bpftool" whatever the program is called, and the
//! object word as typed (`argv[-2]`) for most objects; `btf`, `gen` and `iter` print
//! their own name.

/// `bpftool prog help`; `object` is the object word as typed.
pub fn prog(object: &str) -> String {
    format!(concat!(
        "Usage: bpftool {object} {{ show | list }} [PROG]\n",
        "       bpftool {object} dump xlated PROG [{{ file FILE | [opcodes] [linum] [visual] }}]\n",
        "       bpftool {object} dump jited  PROG [{{ file FILE | [opcodes] [linum] }}]\n",
        "       bpftool {object} pin   PROG FILE\n",
        "       bpftool {object} {{ load | loadall }} OBJ  PATH \\\n",
        "                         [type TYPE] [{{ offload_dev | xdpmeta_dev }} NAME] \\\n",
        "                         [map {{ idx IDX | name NAME }} MAP]\\\n",
        "                         [pinmaps MAP_DIR]\n",
        "                         [autoattach]\n",
        "                         [kernel_btf BTF_FILE]\n",
        "       bpftool {object} attach PROG ATTACH_TYPE [MAP]\n",
        "       bpftool {object} detach PROG ATTACH_TYPE [MAP]\n",
        "       bpftool {object} run PROG \\\n",
        "                         data_in FILE \\\n",
        "                         [data_out FILE [data_size_out L]] \\\n",
        "                         [ctx_in FILE [ctx_out FILE [ctx_size_out M]]] \\\n",
        "                         [repeat N]\n",
        "       bpftool {object} profile PROG [duration DURATION] METRICs\n",
        "       bpftool {object} tracelog\n",
        "       bpftool {object} tracelog {{ stdout | stderr }} PROG\n",
        "       bpftool {object} help\n",
        "\n",
        "       MAP := {{ id MAP_ID | pinned FILE | name MAP_NAME }}\n",
        "       PROG := {{ id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }}\n",
        "       TYPE := {{ socket | kprobe | kretprobe | classifier | action |\n",
        "                 tracepoint | raw_tracepoint | xdp | perf_event | cgroup/skb |\n",
        "                 cgroup/sock | cgroup/dev | lwt_in | lwt_out | lwt_xmit |\n",
        "                 lwt_seg6local | sockops | sk_skb | sk_msg | lirc_mode2 |\n",
        "                 sk_reuseport | flow_dissector | cgroup/sysctl |\n",
        "                 cgroup/bind4 | cgroup/bind6 | cgroup/post_bind4 |\n",
        "                 cgroup/post_bind6 | cgroup/connect4 | cgroup/connect6 |\n",
        "                 cgroup/connect_unix | cgroup/getpeername4 | cgroup/getpeername6 |\n",
        "                 cgroup/getpeername_unix | cgroup/getsockname4 | cgroup/getsockname6 |\n",
        "                 cgroup/getsockname_unix | cgroup/sendmsg4 | cgroup/sendmsg6 |\n",
        "                 cgroup/sendmsg_unix | cgroup/recvmsg4 | cgroup/recvmsg6 | cgroup/recvmsg_unix |\n",
        "                 cgroup/getsockopt | cgroup/setsockopt | cgroup/sock_release |\n",
        "                 struct_ops | fentry | fexit | fsession | freplace | sk_lookup }}\n",
        "       ATTACH_TYPE := {{ sk_msg_verdict | sk_skb_verdict | sk_skb_stream_verdict |\n",
        "                        sk_skb_stream_parser | flow_dissector }}\n",
        "       METRIC := {{ cycles | instructions | l1d_loads | llc_misses | itlb_misses | dtlb_misses }}\n",
        "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} |\n",
        "                    {{-f|--bpffs}} | {{-m|--mapcompat}} | {{-n|--nomount}} |\n",
        "                    {{-L|--use-loader}} | [ {{-S|--sign }} {{-k}} <private_key.pem> {{-i}} <certificate.x509> ] \n",
    ), object = object)
}

/// `bpftool map help`; `object` is the object word as typed.
pub fn map(object: &str) -> String {
    format!(
        concat!(
        "Usage: bpftool {object} {{ show | list }}   [MAP]\n",
        "       bpftool {object} create     FILE type TYPE key KEY_SIZE value VALUE_SIZE \\\n",
        "                                  entries MAX_ENTRIES name NAME [flags FLAGS] \\\n",
        "                                  [inner_map MAP] [offload_dev NAME]\n",
        "       bpftool {object} dump       MAP\n",
        "       bpftool {object} update     MAP [key DATA] [value VALUE] [UPDATE_FLAGS]\n",
        "       bpftool {object} lookup     MAP [key DATA]\n",
        "       bpftool {object} getnext    MAP [key DATA]\n",
        "       bpftool {object} delete     MAP  key DATA\n",
        "       bpftool {object} pin        MAP  FILE\n",
        "       bpftool {object} event_pipe MAP [cpu N index M]\n",
        "       bpftool {object} peek       MAP\n",
        "       bpftool {object} push       MAP value VALUE\n",
        "       bpftool {object} pop        MAP\n",
        "       bpftool {object} enqueue    MAP value VALUE\n",
        "       bpftool {object} dequeue    MAP\n",
        "       bpftool {object} freeze     MAP\n",
        "       bpftool {object} help\n",
        "\n",
        "       MAP := {{ id MAP_ID | pinned FILE | name MAP_NAME }}\n",
        "       DATA := {{ [hex] BYTES }}\n",
        "       PROG := {{ id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }}\n",
        "       VALUE := {{ DATA | MAP | PROG }}\n",
        "       UPDATE_FLAGS := {{ any | exist | noexist }}\n",
        "       TYPE := {{ hash | array | prog_array | perf_event_array | percpu_hash |\n",
        "                 percpu_array | stack_trace | cgroup_array | lru_hash |\n",
        "                 lru_percpu_hash | lpm_trie | array_of_maps | hash_of_maps |\n",
        "                 devmap | devmap_hash | sockmap | cpumap | xskmap | sockhash |\n",
        "                 cgroup_storage | reuseport_sockarray | percpu_cgroup_storage |\n",
        "                 queue | stack | sk_storage | struct_ops | ringbuf | inode_storage |\n",
        "                 task_storage | bloom_filter | user_ringbuf | cgrp_storage | arena |\n",
        "                 insn_array | rhash }}\n",
        "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} |\n",
        "                    {{-f|--bpffs}} | {{-n|--nomount}} }}\n",
    ),
        object = object
    )
}

/// `bpftool link help`; `object` is the object word as typed.
pub fn link(object: &str) -> String {
    format!(
        concat!(
            "Usage: bpftool {object} {{ show | list }}   [LINK]\n",
            "       bpftool {object} pin        LINK  FILE\n",
            "       bpftool {object} detach     LINK\n",
            "       bpftool {object} help\n",
            "\n",
            "       LINK := {{ id LINK_ID | pinned FILE }}\n",
            "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} |\n",
            "                    {{-f|--bpffs}} | {{-n|--nomount}} }}\n",
        ),
        object = object
    )
}

/// `bpftool cgroup help`; `object` is the object word as typed.
pub fn cgroup(object: &str) -> String {
    format!(
        concat!(
            "Usage: bpftool {object} {{ show | list }} CGROUP [**effective**]\n",
            "       bpftool {object} tree [CGROUP_ROOT] [**effective**]\n",
            "       bpftool {object} attach CGROUP ATTACH_TYPE PROG [ATTACH_FLAGS]\n",
            "       bpftool {object} detach CGROUP ATTACH_TYPE PROG\n",
            "       bpftool {object} help\n",
            "\n",
            "       ATTACH_TYPE := {{ cgroup_inet_ingress | cgroup_inet_egress |\n",
            "                        cgroup_inet_sock_create | cgroup_sock_ops |\n",
            "                        cgroup_device | cgroup_inet4_bind |\n",
            "                        cgroup_inet6_bind | cgroup_inet4_post_bind |\n",
            "                        cgroup_inet6_post_bind | cgroup_inet4_connect |\n",
            "                        cgroup_inet6_connect | cgroup_unix_connect |\n",
            "                        cgroup_inet4_getpeername | cgroup_inet6_getpeername |\n",
            "                        cgroup_unix_getpeername | cgroup_inet4_getsockname |\n",
            "                        cgroup_inet6_getsockname | cgroup_unix_getsockname |\n",
            "                        cgroup_udp4_sendmsg | cgroup_udp6_sendmsg |\n",
            "                        cgroup_unix_sendmsg | cgroup_udp4_recvmsg |\n",
            "                        cgroup_udp6_recvmsg | cgroup_unix_recvmsg |\n",
            "                        cgroup_sysctl | cgroup_getsockopt |\n",
            "                        cgroup_setsockopt | cgroup_inet_sock_release }}\n",
            "       ATTACH_FLAGS := {{ multi | override }}\n",
            "       PROG := {{ id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }}\n",
            "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} |\n",
            "                    {{-f|--bpffs}} }}\n",
        ),
        object = object
    )
}

/// `bpftool perf help`; `object` is the object word as typed.
pub fn perf(object: &str) -> String {
    format!(
        concat!(
            "Usage: bpftool {object} {{ show | list }}\n",
            "       bpftool {object} help\n",
            "\n",
            "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} }}\n",
        ),
        object = object
    )
}

/// `bpftool net help`; `object` is the object word as typed.
pub fn net(object: &str) -> String {
    format!(
        concat!(
        "Usage: bpftool {object} {{ show | list }} [dev <devname>]\n",
        "       bpftool {object} attach ATTACH_TYPE PROG dev <devname> [ overwrite | prepend ]\n",
        "       bpftool {object} detach ATTACH_TYPE dev <devname>\n",
        "       bpftool {object} help\n",
        "\n",
        "       PROG := {{ id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }}\n",
        "       ATTACH_TYPE := {{ xdp | xdpgeneric | xdpdrv | xdpoffload | tcx_ingress\n",
        "                        | tcx_egress }}\n",
        "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} }}\n",
        "\n",
        "Note: Only xdp, tcx, tc, netkit, flow_dissector and netfilter attachments\n",
        "      are currently supported.\n",
        "      For progs attached to cgroups, use \"bpftool cgroup\"\n",
        "      to dump program attachments. For program types\n",
        "      sk_{{filter,skb,msg,reuseport}} and lwt/seg6, please\n",
        "      consult iproute2.\n",
    ),
        object = object
    )
}

/// `bpftool feature help`; `object` is the object word as typed.
pub fn feature(object: &str) -> String {
    format!(concat!(
        "Usage: bpftool {object} probe [COMPONENT] [full] [unprivileged] [macros [prefix PREFIX]]\n",
        "       bpftool {object} list_builtins GROUP\n",
        "       bpftool {object} help\n",
        "\n",
        "       COMPONENT := {{ kernel | dev NAME }}\n",
        "       GROUP := {{ prog_types | map_types | attach_types | link_types | helpers }}\n",
        "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} }}\n",
    ), object = object)
}

/// `bpftool btf help`.
pub fn btf(_object: &str) -> String {
    concat!(
        "Usage: bpftool btf { show | list } [id BTF_ID]\n",
        "       bpftool btf dump BTF_SRC [format FORMAT] [root_id ROOT_ID]\n",
        "       bpftool btf help\n",
        "\n",
        "       BTF_SRC := { id BTF_ID | prog PROG | map MAP [{key | value | kv | all}] |\n",
        "                    file FILE [file FILE]... }\n",
        "       FORMAT  := { raw | c [unsorted] }\n",
        "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n",
        "       PROG := { id PROG_ID | pinned FILE | tag PROG_TAG | name PROG_NAME }\n",
        "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} |\n",
        "                    {-B|--base-btf} }\n",
    )
    .to_owned()
}

/// `bpftool gen help`.
pub fn gen(_object: &str) -> String {
    concat!(
        "Usage: bpftool gen object OUTPUT_FILE INPUT_FILE [INPUT_FILE...]\n",
        "       bpftool gen skeleton FILE [name OBJECT_NAME]\n",
        "       bpftool gen subskeleton FILE [name OBJECT_NAME]\n",
        "       bpftool gen min_core_btf INPUT OUTPUT OBJECT [OBJECT...]\n",
        "       bpftool gen help\n",
        "\n",
        "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} |\n",
        "                    {-L|--use-loader} | [ {-S|--sign } {-k} <private_key.pem> {-i} <certificate.x509> ]}\n",
    )
    .to_owned()
}

/// `bpftool struct_ops help`; `object` is the object word as typed.
pub fn struct_ops(object: &str) -> String {
    format!(
        concat!(
            "Usage: bpftool {object} {{ show | list }} [STRUCT_OPS_MAP]\n",
            "       bpftool {object} dump [STRUCT_OPS_MAP]\n",
            "       bpftool {object} register OBJ [LINK_DIR]\n",
            "       bpftool {object} unregister STRUCT_OPS_MAP\n",
            "       bpftool {object} help\n",
            "\n",
            "       STRUCT_OPS_MAP := [ id STRUCT_OPS_MAP_ID | name STRUCT_OPS_MAP_NAME ]\n",
            "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} }}\n",
        ),
        object = object
    )
}

/// `bpftool iter help`.
pub fn iter(_object: &str) -> String {
    concat!(
        "Usage: bpftool iter pin OBJ PATH [map MAP]\n",
        "       bpftool iter help\n",
        "\n",
        "       MAP := { id MAP_ID | pinned FILE | name MAP_NAME }\n",
        "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} }\n",
    )
    .to_owned()
}

/// `bpftool token help`; `object` is the object word as typed.
pub fn token(object: &str) -> String {
    format!(
        concat!(
            "Usage: bpftool {object} {{ show | list }}\n",
            "       bpftool {object} help\n",
            "       OPTIONS := {{ {{-j|--json}} [{{-p|--pretty}}] | {{-d|--debug}} }}\n",
            "\n",
        ),
        object = object
    )
}
/// `bpftool help` (and `bpftool` with no arguments).
pub fn main() -> String {
    concat!(
        "Usage: bpftool [OPTIONS] OBJECT { COMMAND | help }\n",
        "       bpftool batch file FILE\n",
        "       bpftool version\n",
        "\n",
        "       OBJECT := { prog | map | link | cgroup | perf | net | feature | btf | gen | struct_ops | iter | token }\n",
        "       OPTIONS := { {-j|--json} [{-p|--pretty}] | {-d|--debug} |\n",
        "                    {-V|--version} }\n",
    )
    .to_owned()
}
