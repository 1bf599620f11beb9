//! `bpftool feature` without a kernel: the renderers and the command logic, through the
//! fake kernel.
//!
//! The golden files under tests/golden/feature/<kernel>/ are the reference bpftool's own
//! output on that kernel (captured by capture.sh there). The fake kernel is built from
//! the same bpftool's `-j feature probe full` on that kernel (facts.json), so every mode
//! must reproduce the reference bytes from the same facts.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use bpftool_rs::disasm::bpf::helpers::HELPER_NAMES;
use bpftool_rs::output::{Output, SharedBuf};
use bpftool_rs::sys::caps::{CapSet, CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON, CAP_SYS_ADMIN};
use bpftool_rs::sys::fake::FakeKernel;
use bpftool_rs::sys::names;
use bpftool_rs::sys::probe::fake::{FakeDevice, FakeProbes};
use bpftool_rs::sys::probe::{Misc, Probe};
use serde_json::Value;

const ALL_CAPS: [u32; 4] = [CAP_SYS_ADMIN, CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON];

fn golden_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/feature");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/golden/feature")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("facts.json").is_file())
        .collect();
    dirs.sort();
    assert!(
        !dirs.is_empty(),
        "no golden kernels under {}",
        root.display()
    );
    dirs
}

/// A golden file's bytes (`.gz` ones decompressed).
fn golden(dir: &Path, name: &str) -> Vec<u8> {
    let plain = dir.join(name);
    if let Ok(b) = std::fs::read(&plain) {
        return b;
    }
    let gz = std::fs::read(dir.join(format!("{name}.gz")))
        .unwrap_or_else(|e| panic!("{}: {e}", plain.display()));
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .expect("gunzip");
    out
}

fn id_by_name(table: &[Option<&str>], name: &str) -> u32 {
    let i = table
        .iter()
        .position(|n| *n == Some(name))
        .unwrap_or_else(|| panic!("unknown name {name}"));
    u32::try_from(i).unwrap()
}

fn helper_id(name: &str) -> u32 {
    let i = HELPER_NAMES
        .iter()
        .position(|n| *n == name)
        .unwrap_or_else(|| panic!("unknown helper {name}"));
    u32::try_from(i).unwrap()
}

/// A kernel config text holding exactly the values bpftool reported.
fn config_text(system: &serde_json::Map<String, Value>) -> Vec<u8> {
    let mut t = String::from("#\n# Automatically generated file; DO NOT EDIT.\n# Linux\n#\n");
    for (k, v) in system.iter().filter(|(k, _)| k.starts_with("CONFIG_")) {
        match v {
            Value::String(s) => t.push_str(&format!("{k}={s}\n")),
            _ => t.push_str(&format!("# {k} is not set\n")),
        }
    }
    t.into_bytes()
}

/// The fake machine that bpftool's `-j feature probe full` output describes.
fn machine_from(facts: &Value) -> FakeKernel {
    let obj = |k: &str| {
        facts[k]
            .as_object()
            .unwrap_or_else(|| panic!("facts lack {k}"))
            .clone()
    };
    let system = obj("system_config");
    let mut p = FakeProbes {
        procfs: true,
        cap_bpf_known: true,
        bpf_errno: libc::E2BIG,
        config: Some(Ok(config_text(&system))),
        ..FakeProbes::default()
    };
    *p.caps.get_mut().unwrap() = CapSet::with(&ALL_CAPS);
    for (key, path) in [
        (
            "unprivileged_bpf_disabled",
            "/proc/sys/kernel/unprivileged_bpf_disabled",
        ),
        ("bpf_jit_enable", "/proc/sys/net/core/bpf_jit_enable"),
        ("bpf_jit_harden", "/proc/sys/net/core/bpf_jit_harden"),
        ("bpf_jit_kallsyms", "/proc/sys/net/core/bpf_jit_kallsyms"),
        ("bpf_jit_limit", "/proc/sys/net/core/bpf_jit_limit"),
    ] {
        if let Some(v) = system.get(key).and_then(Value::as_i64) {
            p.sysctls.insert(path.to_owned(), v);
        }
    }
    p.unprivileged_bpf_disabled = system
        .get("unprivileged_bpf_disabled")
        .and_then(Value::as_i64)
        .is_some_and(|v| v != 0);
    for (k, v) in obj("program_types") {
        let name = k.trim_start_matches("have_").trim_end_matches("_prog_type");
        if v == Value::Bool(true) {
            p.prog_types
                .insert(id_by_name(names::PROG_TYPE_NAMES, name), Probe::YES);
        }
    }
    for (k, v) in obj("map_types") {
        let name = k.trim_start_matches("have_").trim_end_matches("_map_type");
        if v == Value::Bool(true) {
            p.map_types
                .insert(id_by_name(names::MAP_TYPE_NAMES, name), Probe::YES);
        }
    }
    for (k, v) in obj("helpers") {
        let t = id_by_name(
            names::PROG_TYPE_NAMES,
            k.trim_end_matches("_available_helpers"),
        );
        for h in v.as_array().expect("helper list") {
            p.helpers
                .insert((t, helper_id(h.as_str().unwrap())), Probe::YES);
        }
    }
    for (m, key) in Misc::ALL.iter().zip([
        "have_large_insn_limit",
        "have_bounded_loops",
        "have_v2_isa_extension",
        "have_v3_isa_extension",
        "have_v4_isa_extension",
    ]) {
        if facts["misc"][key] == Value::Bool(true) {
            p.misc.insert(*m);
        }
    }
    // `lo`: a device that offloads nothing.
    p.ifaces.insert("lo".into(), 1);
    let mut k = FakeKernel::new();
    k.probes = p;
    k
}

/// Runs `bpftool ARGS` against `k`: (stdout, stderr, exit status).
fn run(k: &FakeKernel, args: &[&str]) -> (Vec<u8>, Vec<u8>, u8) {
    let (out, err) = (SharedBuf::new(), SharedBuf::new());
    let argv: Vec<OsString> = std::iter::once("bpftool")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect();
    let status = bpftool_rs::cmd::main(argv, k, |mode| {
        Output::new(mode, Box::new(out.clone()), Box::new(err.clone()))
    });
    (out.bytes(), err.bytes(), status)
}

fn show_diff(expected: &[u8], got: &[u8]) -> String {
    let (e, g) = (
        String::from_utf8_lossy(expected),
        String::from_utf8_lossy(got),
    );
    for (i, (a, b)) in e.lines().zip(g.lines()).enumerate() {
        if a != b {
            return format!(
                "first difference at line {}:\n  expected: {a:?}\n  got:      {b:?}",
                i + 1
            );
        }
    }
    format!(
        "one is a prefix of the other: expected {} lines, got {}",
        e.lines().count(),
        g.lines().count()
    )
}

fn assert_golden(dir: &Path, file: &str, args: &[&str], k: &FakeKernel) {
    let expected = golden(dir, file);
    let (out, err, status) = run(k, args);
    assert_eq!(status, 0, "{args:?}: {}", String::from_utf8_lossy(&err));
    assert!(
        err.is_empty(),
        "{args:?}: stderr {}",
        String::from_utf8_lossy(&err)
    );
    assert!(
        out == expected,
        "{}/{file} ({args:?}): {}",
        dir.display(),
        show_diff(&expected, &out)
    );
}

#[test]
fn every_mode_matches_the_reference_on_the_same_facts() {
    for dir in golden_dirs() {
        let facts: Value = serde_json::from_slice(&golden(&dir, "facts.json")).unwrap();
        let k = machine_from(&facts);
        assert_golden(&dir, "facts.json", &["-j", "feature", "probe", "full"], &k);
        assert_golden(&dir, "probe.txt", &["feature", "probe"], &k);
        assert_golden(&dir, "probe.json", &["-j", "feature", "probe"], &k);
        assert_golden(
            &dir,
            "probe-pretty.json",
            &["-p", "feature", "probe", "kernel"],
            &k,
        );
        assert_golden(&dir, "probe-full.txt", &["feature", "probe", "full"], &k);
        assert_golden(&dir, "macros.h", &["feature", "probe", "macros"], &k);
        assert_golden(
            &dir,
            "macros-prefix-full.h",
            &["feature", "probe", "full", "macros", "prefix", "BPFRS_"],
            &k,
        );
        assert_golden(&dir, "dev-lo.txt", &["feature", "probe", "dev", "lo"], &k);
        assert_golden(
            &dir,
            "dev-lo-macros.h",
            &["feature", "probe", "dev", "lo", "macros"],
            &k,
        );
    }
}

#[test]
fn threads_change_nothing() {
    for dir in golden_dirs() {
        let facts: Value = serde_json::from_slice(&golden(&dir, "facts.json")).unwrap();
        let mut k = machine_from(&facts);
        for cpus in [2, 3, 8, 64] {
            k.probes.idle_cpus = cpus;
            assert_golden(&dir, "facts.json", &["-j", "feature", "probe", "full"], &k);
            assert_golden(&dir, "probe.txt", &["feature", "probe"], &k);
        }
    }
}

#[test]
fn unprivileged_drops_capabilities_then_restores_them() {
    for dir in golden_dirs() {
        let facts: Value = serde_json::from_slice(&golden(&dir, "facts.json")).unwrap();
        let k = machine_from(&facts);
        if !k.probes.unprivileged_bpf_disabled {
            continue;
        }
        // The privileged machine, probed with capabilities dropped, looks as the
        // reference saw it.
        assert_golden(
            &dir,
            "unprivileged.txt",
            &["feature", "probe", "unprivileged"],
            &k,
        );
        assert_golden(
            &dir,
            "unprivileged.json",
            &["-j", "feature", "probe", "unprivileged"],
            &k,
        );
        let history = k.probes.caps_history.lock().unwrap().clone();
        let mut dropped = CapSet::with(&ALL_CAPS);
        for c in ALL_CAPS {
            dropped.clear_effective(c);
        }
        assert_eq!(history.len(), 4, "drop and restore, twice");
        assert_eq!(history[0], dropped);
        assert_eq!(history[1], CapSet::with(&ALL_CAPS));
        assert_eq!(*k.probes.caps.lock().unwrap(), CapSet::with(&ALL_CAPS));
    }
}

/// A small machine for the behaviour tests below.
fn small_machine() -> FakeKernel {
    let mut p = FakeProbes {
        procfs: true,
        cap_bpf_known: true,
        bpf_errno: libc::E2BIG,
        config: Some(Ok(
            b"#\n# Automatically generated file; DO NOT EDIT.\nCONFIG_BPF=y\nCONFIG_HZ=1000\n"
                .to_vec(),
        )),
        ..FakeProbes::default()
    };
    *p.caps.get_mut().unwrap() = CapSet::with(&ALL_CAPS);
    p.sysctls
        .insert("/proc/sys/kernel/unprivileged_bpf_disabled".into(), 0);
    p.prog_types.insert(1, Probe::YES);
    p.helpers.insert((1, 5), Probe::YES);
    p.helpers.insert((1, 6), Probe::YES);
    p.ifaces.insert("lo".into(), 1);
    let mut k = FakeKernel::new();
    k.probes = p;
    k
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn stale_errno_quirk_of_unprivileged_mode() {
    // bpftool checks `errno == EPERM` after each probe, and a probe that succeeds leaves
    // the errno of the one before: cgroup_skb loads, yet is reported missing because
    // perf_event (before it) failed with EPERM. socket_filter follows the syscall probe's
    // E2BIG and stays available.
    let mut k = small_machine();
    k.probes.prog_types.insert(7, Probe::failed(libc::EPERM));
    k.probes.prog_types.insert(8, Probe::YES);
    let (out, _, status) = run(&k, &["-j", "feature", "probe", "unprivileged"]);
    assert_eq!(status, 0);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["program_types"]["have_socket_filter_prog_type"], true);
    assert_eq!(v["program_types"]["have_perf_event_prog_type"], false);
    assert_eq!(v["program_types"]["have_cgroup_skb_prog_type"], false);
    assert_eq!(
        v["helpers"]["socket_filter_available_helpers"],
        serde_json::json!(["bpf_ktime_get_ns"])
    );
    // Without `unprivileged`, nobody looks at errno.
    let (out, _, _) = run(&k, &["-j", "feature", "probe"]);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["program_types"]["have_cgroup_skb_prog_type"], true);
}

#[test]
fn full_adds_the_noisy_helpers() {
    let k = small_machine();
    let (out, _, _) = run(&k, &["feature", "probe"]);
    assert!(text(&out).contains(
        "eBPF helpers supported for program type socket_filter:\n\t- bpf_ktime_get_ns\neBPF"
    ));
    let (out, _, _) = run(&k, &["feature", "probe", "full"]);
    assert!(text(&out).contains("\n\t- bpf_ktime_get_ns\n\t- bpf_trace_printk\n"));
    let (out, _, _) = run(&k, &["feature", "probe", "macros"]);
    let out = text(&out);
    assert!(!out.contains("bpf_trace_printk"));
    assert!(out.contains("#define BPF__PROG_TYPE_socket_filter__HELPER_bpf_ktime_get_ns 1\n"));
    assert!(out.contains("#define BPF__PROG_TYPE_kprobe__HELPER_bpf_ktime_get_ns 0\n"));
    assert!(out.starts_with("/*** Misc kernel config items ***/\n#define CONFIG_HZ 1000\n\n"));
}

#[test]
fn missing_capabilities_are_an_error_unless_unprivileged() {
    let k = small_machine();
    *k.probes.caps.lock().unwrap() = CapSet::with(&[CAP_SYS_ADMIN, CAP_NET_ADMIN]);
    let (out, err, status) = run(&k, &["feature", "probe"]);
    assert_eq!(status, 255);
    assert!(out.is_empty());
    assert_eq!(
        text(&err),
        "Error: missing CAP_BPF, CAP_PERFMON, required for full feature probing; run as root or use 'unprivileged'\n"
    );
    // Before CAP_BPF, CAP_SYS_ADMIN is all it takes.
    let mut k = small_machine();
    k.probes.cap_bpf_known = false;
    *k.probes.caps.lock().unwrap() = CapSet::with(&[CAP_SYS_ADMIN]);
    assert_eq!(run(&k, &["feature", "probe"]).2, 0);
    *k.probes.caps.lock().unwrap() = CapSet::default();
    let (out, err, status) = run(&k, &["-j", "feature", "probe"]);
    assert_eq!(status, 255);
    assert!(err.is_empty());
    assert_eq!(
        text(&out),
        "{\"error\":\"missing CAP_SYS_ADMIN, required for full feature probing; run as root or use 'unprivileged'\"}\n"
    );
    // Nothing to drop: unprivileged runs as is, and touches no capability.
    let (_, _, status) = run(&k, &["feature", "probe", "unprivileged"]);
    assert_eq!(status, 0);
    assert!(k.probes.caps_history.lock().unwrap().is_empty());
}

#[test]
fn bad_input_gets_bpftools_errors() {
    let k = small_machine();
    let cases: &[(&[&str], &str)] = &[
        (&["feature", "probe", "dev", "nosuch0"], "unrecognized netdevice 'nosuch0': No such device"),
        (&["feature", "probe", "bogus"], "expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: 'bogus'?"),
        (&["feature", "probe", "prefix", "X"], "'prefix' argument can only be use after 'macros'"),
        (&["feature", "probe", "macros", "prefix", "X", "prefix", "Y"], "'prefix' already defined"),
        (&["feature", "probe", "macros", "macros"], "expected no more arguments, 'kernel', 'dev', 'macros' or 'prefix', got: 'macros'?"),
        (&["feature", "probe", "kernel", "kernel"], "component to probe already specified"),
        (&["feature", "probe", "kernel", "dev", "lo"], "component to probe already specified"),
        (&["feature", "probe", "dev"], "'dev' needs at least 1 arguments, 0 found"),
        (&["feature", "probe", "macros", "prefix"], "'prefix' needs at least 1 arguments, 0 found"),
        (&["feature", "list_builtins", "foo"], "expected 'prog_types', 'map_types', 'attach_types', 'link_types' or 'helpers', got: foo"),
    ];
    for (args, msg) in cases {
        let (out, err, status) = run(&k, args);
        assert_eq!(status, 255, "{args:?}");
        assert!(out.is_empty(), "{args:?}");
        assert_eq!(text(&err), format!("Error: {msg}\n"), "{args:?}");
        let mut json = vec!["-j"];
        json.extend_from_slice(args);
        let (out, err, status) = run(&k, &json);
        assert_eq!(status, 255, "{json:?}");
        assert!(err.is_empty(), "{json:?}");
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["error"], *msg, "{json:?}");
    }
    // No group: the usage, on stderr.
    let (out, err, status) = run(&k, &["feature", "list_builtins"]);
    assert_eq!((out.is_empty(), status), (true, 255));
    assert!(text(&err).starts_with("Usage: bpftool feature probe [COMPONENT]"));
}

#[test]
fn no_bpf_syscall_stops_after_saying_so() {
    let mut k = small_machine();
    k.probes.bpf_errno = libc::ENOSYS;
    let (out, _, status) = run(&k, &["feature", "probe", "macros", "prefix", "P_"]);
    assert_eq!(status, 0);
    assert_eq!(
        text(&out),
        "/*** Misc kernel config items ***/\n#define P_CONFIG_HZ 1000\n\n/*** System call availability ***/\n#define P_NO_HAVE_BPF_SYSCALL\n\n"
    );
    let (out, _, _) = run(&k, &["-j", "feature", "probe", "dev", "lo"]);
    assert_eq!(
        text(&out),
        "{\"syscall_config\":{\"have_bpf_syscall\":false}}\n"
    );
}

#[test]
fn system_config_without_procfs_or_config() {
    let mut k = small_machine();
    k.probes.procfs = false;
    k.probes.config = Some(Err("skipping kernel config, can't find correct file".into()));
    let (out, err, status) = run(&k, &["feature", "probe"]);
    assert_eq!(status, 0);
    assert!(text(&out)
        .starts_with("Scanning system configuration...\n\nScanning system call availability...\n"));
    assert_eq!(
        text(&err),
        "/* procfs not mounted, skipping related probes */\nskipping kernel config, can't find correct file\n"
    );
    // JSON: an empty section, and nothing on stderr (p_info is silent).
    let (out, err, _) = run(&k, &["-j", "feature", "probe"]);
    assert!(text(&out).starts_with("{\"system_config\":{},\"syscall_config\":"));
    assert!(err.is_empty());
}

#[test]
fn sysctl_values_bpftool_has_no_words_for() {
    let mut k = small_machine();
    for (path, v) in [
        ("/proc/sys/kernel/unprivileged_bpf_disabled", 7),
        ("/proc/sys/net/core/bpf_jit_enable", 9),
        ("/proc/sys/net/core/bpf_jit_harden", 3),
        ("/proc/sys/net/core/bpf_jit_kallsyms", 2),
    ] {
        k.probes.sysctls.insert(path.into(), v);
    }
    let (out, _, _) = run(&k, &["feature", "probe"]);
    let expected = "Scanning system configuration...\n\
        bpf() syscall restriction has unknown value 7\n\
        JIT-compiler status has unknown value 9\n\
        JIT hardening status has unknown value 3\n\
        JIT kallsyms exports status has unknown value 2\n\
        Unable to retrieve global memory limit for JIT compiler for unprivileged users\n\
        CONFIG_BPF is set to y\nCONFIG_BPF_SYSCALL is not set\n";
    assert!(text(&out).starts_with(expected), "{}", text(&out));
}

#[test]
fn offload_device_probes_only_what_offloads() {
    let mut k = small_machine();
    k.probes.ifaces.insert("nfp0".into(), 4);
    let mut dev = FakeDevice {
        vendor: 0x19ee,
        ..FakeDevice::default()
    };
    dev.prog_types.insert(6); // xdp
    dev.map_types.insert(1); // hash
    dev.helpers.insert((6, 1));
    dev.misc.insert(Misc::V2Isa);
    k.probes.devices.insert(4, dev);
    let (out, _, status) = run(&k, &["-j", "feature", "probe", "dev", "nfp0", "full"]);
    assert_eq!(status, 0);
    assert_eq!(
        text(&out),
        "{\"syscall_config\":{\"have_bpf_syscall\":true},\
         \"program_types\":{\"have_sched_cls_prog_type\":false,\"have_xdp_prog_type\":true},\
         \"map_types\":{\"have_hash_map_type\":true,\"have_array_map_type\":false},\
         \"helpers\":{\"sched_cls_available_helpers\":[],\"xdp_available_helpers\":[\"bpf_map_lookup_elem\"]},\
         \"misc\":{\"have_large_insn_limit\":false,\"have_bounded_loops\":false,\"have_v2_isa_extension\":true,\
         \"have_v3_isa_extension\":false,\"have_v4_isa_extension\":false}}\n"
    );
}

#[test]
fn list_builtins_groups_by_prefix() {
    let k = small_machine();
    let expect: HashMap<&str, usize> = [
        ("prog_types", 33),
        ("map_types", 36),
        ("attach_types", 62),
        ("link_types", 16),
        ("helpers", 212),
    ]
    .into_iter()
    .collect();
    for (group, n) in &expect {
        let (out, _, status) = run(&k, &["feature", "list_builtins", group]);
        assert_eq!(status, 0);
        assert_eq!(text(&out).lines().count(), *n, "{group}");
        let (out, _, _) = run(&k, &["-j", "feature", "list_builtins", &group[..1]]);
        let v: Value = serde_json::from_slice(&out).unwrap();
        // A one-letter prefix picks the first group in bpftool's order.
        let first = match &group[..1] {
            "p" => "prog_types",
            "m" => "map_types",
            "a" => "attach_types",
            "l" => "link_types",
            _ => "helpers",
        };
        assert_eq!(v.as_array().unwrap().len(), expect[first], "{group}");
    }
    let (out, _, _) = run(&k, &["-p", "feature", "list_builtins", "link_types"]);
    assert_eq!(
        text(&out),
        "[\"unspec\",\"raw_tracepoint\",\"tracing\",\"cgroup\",\"iter\",\"netns\",\"xdp\",\"perf_event\",\
         \"kprobe_multi\",\"struct_ops\",\"netfilter\",\"tcx\",\"uprobe_multi\",\"netkit\",\"sockmap\",\
         \"tracing_multi\"\n]\n"
    );
}
