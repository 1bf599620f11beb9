//! `bpftool feature probe` on the running kernel, checked against facts established
//! without our code: libbpf's own C probes (through libbpf-rs), the kernel config and the
//! sysctls read directly, and properties that hold on every kernel.
//!
//! Needs root (CI is root); skipped with a note otherwise.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::process::Command;

use bpftool_rs::disasm::bpf::helpers::HELPER_NAMES;
use bpftool_rs::sys::names;
use libbpf_rs::{MapType, ProgramType};
use serde_json::Value;

fn root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipping: feature probes need root");
    false
}

fn bpftool(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_bpftool-rs"))
        .args(args)
        .output()
        .expect("run bpftool-rs");
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// (program type name, helper names) pairs our probe reports.
fn reported_helpers(v: &Value) -> BTreeMap<String, BTreeSet<String>> {
    v["helpers"]
        .as_object()
        .expect("helpers")
        .iter()
        .map(|(k, list)| {
            let t = k.trim_end_matches("_available_helpers").to_owned();
            let set = list
                .as_array()
                .expect("list")
                .iter()
                .map(|h| h.as_str().expect("name").to_owned())
                .collect();
            (t, set)
        })
        .collect()
}

#[test]
fn probes_agree_with_libbpf_on_every_type_and_helper() {
    if !root() {
        return;
    }
    let v = bpftool(&["-j", "feature", "probe", "full"]);
    let helpers = reported_helpers(&v);
    let mut checked = 0;
    for (t, name) in names::PROG_TYPE_NAMES.iter().enumerate().skip(1) {
        let Some(name) = name else { break };
        let t = u32::try_from(t).unwrap();
        let ours = v["program_types"][format!("have_{name}_prog_type")]
            .as_bool()
            .expect("prog type");
        let libbpf = ProgramType::from(t).is_supported().unwrap_or(false);
        assert_eq!(ours, libbpf, "program type {name}");
        if !libbpf {
            assert!(
                helpers[*name].is_empty(),
                "{name}: helpers of a missing type"
            );
            continue;
        }
        for (id, helper) in HELPER_NAMES.iter().enumerate().skip(1) {
            let id = u32::try_from(id).unwrap();
            let theirs = ProgramType::from(t)
                .is_helper_supported(id)
                .unwrap_or(false);
            assert_eq!(
                helpers[*name].contains(*helper),
                theirs,
                "{name} / {helper}: ours vs libbpf_probe_bpf_helper"
            );
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} helper probes compared");
    for (t, name) in names::MAP_TYPE_NAMES.iter().enumerate().skip(1) {
        let Some(name) = name else { break };
        let map = MapType::from(u32::try_from(t).unwrap());
        if map == MapType::Unknown {
            continue; // newer than the libbpf libbpf-rs links
        }
        let ours = v["map_types"][format!("have_{name}_map_type")]
            .as_bool()
            .expect("map type");
        assert_eq!(ours, map.is_supported().unwrap_or(false), "map type {name}");
    }
}

#[test]
fn facts_true_on_every_kernel_with_bpf() {
    if !root() {
        return;
    }
    let v = bpftool(&["-j", "feature", "probe"]);
    assert_eq!(v["syscall_config"]["have_bpf_syscall"], true);
    // Socket filters and arrays are as old as eBPF (3.19).
    assert_eq!(v["program_types"]["have_socket_filter_prog_type"], true);
    assert_eq!(v["map_types"]["have_array_map_type"], true);
    assert_eq!(v["map_types"]["have_hash_map_type"], true);
    let helpers = reported_helpers(&v);
    let sf = &helpers["socket_filter"];
    // A helper every program type may call, and helpers the verifier refuses to socket
    // filters on every kernel: writing user memory is for tracing, adjusting a packet
    // head is for XDP.
    assert!(sf.contains("bpf_map_lookup_elem"), "{sf:?}");
    assert!(!sf.contains("bpf_xdp_adjust_head"));
    assert!(!sf.contains("bpf_skb_store_bytes"));
    // Not probed without `full`.
    assert!(!helpers["kprobe"].contains("bpf_trace_printk"));
    let full = reported_helpers(&bpftool(&["-j", "feature", "probe", "full"]));
    assert!(!full["socket_filter"].contains("bpf_probe_write_user"));
    assert!(full["kprobe"].contains("bpf_trace_printk"));
    // 4.14 and later.
    assert_eq!(v["misc"]["have_v2_isa_extension"], true);
}

/// The kernel config as bpftool finds it, read here with flate2 directly.
fn kernel_config() -> Option<String> {
    let release = nix::sys::utsname::uname().ok()?;
    let boot = format!("/boot/config-{}", release.release().to_string_lossy());
    if let Ok(text) = std::fs::read_to_string(&boot) {
        return Some(text);
    }
    let gz = std::fs::read("/proc/config.gz").ok()?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

#[test]
fn system_config_is_what_proc_says() {
    if !root() {
        return;
    }
    let v = bpftool(&["-j", "feature", "probe", "kernel"]);
    let sys = &v["system_config"];
    let sysctl = |p: &str| -> i64 {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(-1)
    };
    assert_eq!(
        sys["unprivileged_bpf_disabled"],
        sysctl("/proc/sys/kernel/unprivileged_bpf_disabled")
    );
    assert_eq!(
        sys["bpf_jit_enable"],
        sysctl("/proc/sys/net/core/bpf_jit_enable")
    );
    match kernel_config() {
        None => assert!(sys.get("CONFIG_BPF").is_none(), "no config, yet values"),
        Some(text) => {
            for name in [
                "CONFIG_BPF",
                "CONFIG_BPF_SYSCALL",
                "CONFIG_HZ",
                "CONFIG_TEST_BPF",
            ] {
                let value = text
                    .lines()
                    .find_map(|l| l.strip_prefix(name)?.strip_prefix('='));
                assert_eq!(sys[name].as_str(), value, "{name}");
            }
        }
    }
}

#[test]
fn unprivileged_probes_without_capabilities_and_gives_them_back() {
    if !root() {
        return;
    }
    let before = bpftool_rs::sys::caps::get().expect("capget");
    // In this process, so that the capabilities can be checked afterwards.
    let out = bpftool_rs::output::SharedBuf::new();
    let err = bpftool_rs::output::SharedBuf::new();
    let argv: Vec<std::ffi::OsString> = ["bpftool", "-j", "feature", "probe", "unprivileged"]
        .iter()
        .map(Into::into)
        .collect();
    let status = bpftool_rs::cmd::main(argv, &bpftool_rs::sys::RealKernel, |mode| {
        bpftool_rs::output::Output::new(mode, Box::new(out.clone()), Box::new(err.clone()))
    });
    assert_eq!(status, 0, "{}", err.text());
    assert_eq!(bpftool_rs::sys::caps::get().expect("capget"), before);
    let v: Value = serde_json::from_slice(&out.bytes()).expect("JSON");
    let disabled = std::fs::read_to_string("/proc/sys/kernel/unprivileged_bpf_disabled")
        .map(|s| s.trim() != "0")
        .unwrap_or(false);
    if disabled {
        // The kernel refuses BPF to processes without CAP_BPF: nothing is available.
        let types = v["program_types"].as_object().expect("types");
        assert!(types.values().all(|t| t == false), "{types:?}");
        assert_eq!(v["misc"]["have_bounded_loops"], false);
        // bpf_jit_limit needs CAP_SYS_ADMIN to be read.
        assert_eq!(v["system_config"]["bpf_jit_limit"], -1);
    }
}

#[test]
fn no_such_device() {
    let out = Command::new(env!("CARGO_BIN_EXE_bpftool-rs"))
        .args(["feature", "probe", "dev", "bpftoolrs-none0"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(255));
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: unrecognized netdevice 'bpftoolrs-none0': No such device\n"
    );
}
