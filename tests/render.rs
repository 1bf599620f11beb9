//! Kernel-free golden tests of the `show` renderers: recorded kernel states (including
//! link types, offloaded objects and counters this machine cannot produce) go through
//! the `FakeKernel` seam and the whole program, and plain, `-j` and `-p` output is
//! compared with reviewed expected files in tests/golden/render/.
//!
//! `UPDATE_GOLDEN=1` rewrites the expected files; review the diff against bpftool's
//! printing code (prog.c, map.c, link.c, btf.c, pids.c) before committing.

use std::ffi::OsString;
use std::fs;
use std::path::Path;

use bpftool_rs::output::{Output, SharedBuf};
use bpftool_rs::sys::fake::{FakeBtf, FakeKernel, FakeLink, FakeMap, FakeProg};
use bpftool_rs::sys::{
    BtfInfo, FdInfo, KSym, LinkDetails, LinkInfo, MapInfo, ObjKind, ObjRef, PerfEventLink, ProgInfo,
};

const BOOT: i64 = 1_763_800_000; // 2025-11-22T08:26:40Z

fn prog(id: u32, ty: u32, name: &str) -> ProgInfo {
    ProgInfo {
        prog_type: ty,
        id,
        tag: [0xa0, 0x4f, 0x5e, 0xef, 0x06, 0xa7, 0xf5, id as u8],
        jited_prog_len: 205,
        xlated_prog_len: 368,
        load_time: 3_000_000_000,
        created_by_uid: 1000,
        name: name.as_bytes().to_vec(),
        gpl_compatible: true,
        ..ProgInfo::default()
    }
}

fn memlock(v: &str) -> FdInfo {
    FdInfo::from_pairs(&[("prog_type", "1"), ("memlock", v)])
}

fn holder(id: u32, pid: i32, comm: &str, cookie: Option<u64>) -> ObjRef {
    ObjRef {
        id,
        pid,
        comm: comm.as_bytes().to_vec(),
        bpf_cookie: cookie,
    }
}

/// Programs: plain, unknown type, offloaded, orphaned, stats, no name, pinned twice.
fn progs() -> FakeKernel {
    let mut k = FakeKernel::new();
    k.boot_epoch = BOOT;
    k.bpffs_dirs.push("/sys/fs/bpf".into());
    let mut p1 = prog(10, 1, "sock_filter");
    p1.map_ids = vec![3, 4];
    p1.btf_id = 86;
    p1.run_time_ns = 12345;
    p1.run_cnt = 7;
    p1.recursion_misses = 2;
    k.progs.insert(
        10,
        FakeProg {
            info: p1,
            fdinfo: memlock("4096"),
        },
    );
    let mut p2 = prog(11, 999, "");
    p2.gpl_compatible = false;
    p2.jited_prog_len = 0;
    p2.load_time = 0;
    k.progs.insert(
        11,
        FakeProg {
            info: p2,
            fdinfo: FdInfo::default(),
        },
    );
    let mut p3 = prog(12, 6, "xdp_offload");
    p3.ifindex = 7;
    p3.netns_dev = 4;
    p3.netns_ino = 4026531840;
    k.ifnames.insert(7, "eth7".into());
    k.progs.insert(
        12,
        FakeProg {
            info: p3,
            fdinfo: memlock("8192"),
        },
    );
    let mut p4 = prog(13, 6, "xdp_elsewhere");
    p4.ifindex = 9;
    p4.netns_dev = 5;
    p4.netns_ino = 99;
    k.progs.insert(
        13,
        FakeProg {
            info: p4,
            fdinfo: memlock("4096"),
        },
    );
    let p5 = ProgInfo {
        orphaned: true,
        ..ProgInfo::default()
    };
    k.progs.insert(
        14,
        FakeProg {
            info: p5,
            fdinfo: FdInfo::default(),
        },
    );
    k.pins
        .lock()
        .unwrap()
        .push(("/sys/fs/bpf/b".into(), ObjKind::Prog, 10));
    k.pins
        .lock()
        .unwrap()
        .push(("/sys/fs/bpf/a".into(), ObjKind::Prog, 10));
    k.refs
        .push((ObjKind::Prog, holder(10, 1234, "agent", None)));
    k.refs
        .push((ObjKind::Prog, holder(10, 99, "systemd", None)));
    k.refs
        .push((ObjKind::Prog, holder(10, 1234, "agent", None)));
    k
}

/// Maps: prog arrays with owners, frozen without BTF, offloaded, unknown type.
fn maps() -> FakeKernel {
    let mut k = FakeKernel::new();
    let map = |id, ty, name: &str, flags| MapInfo {
        map_type: ty,
        id,
        key_size: 4,
        value_size: 8,
        max_entries: 16,
        map_flags: flags,
        name: name.as_bytes().to_vec(),
        ..MapInfo::default()
    };
    let fd = |pairs: &[(&str, &str)]| FdInfo::from_pairs(pairs);
    k.maps.insert(
        20,
        FakeMap {
            info: MapInfo {
                btf_id: 86,
                ..map(20, 3, "jmp", 0)
            },
            fdinfo: fd(&[
                ("memlock", "328"),
                ("owner_prog_type", "6"),
                ("owner_jited", "0"),
            ]),
            value0: None,
        },
    );
    k.maps.insert(
        21,
        FakeMap {
            info: map(21, 3, "jmp_unowned", 0),
            fdinfo: fd(&[("memlock", "328"), ("owner_prog_type", "77")]),
            value0: None,
        },
    );
    k.maps.insert(
        22,
        FakeMap {
            info: map(22, 2, "frozen_arr", 0x480),
            fdinfo: fd(&[("memlock", "8192"), ("frozen", "1")]),
            value0: None,
        },
    );
    k.maps.insert(
        23,
        FakeMap {
            info: MapInfo {
                ifindex: 7,
                netns_dev: 4,
                netns_ino: 4026531840,
                ..map(23, 1, "offloaded", 0)
            },
            fdinfo: fd(&[("memlock", "4096")]),
            value0: None,
        },
    );
    k.maps.insert(
        24,
        FakeMap {
            info: MapInfo {
                btf_id: 3,
                ..map(24, 200, "", 0)
            },
            fdinfo: fd(&[("memlock", "4096"), ("frozen", "1")]),
            value0: None,
        },
    );
    k.ifnames.insert(7, "eth7".into());
    k.refs.push((ObjKind::Map, holder(22, 1, "init", None)));
    k
}

fn link(id: u32, ty: u32, prog_id: u32, details: LinkDetails) -> FakeLink {
    FakeLink {
        info: LinkInfo {
            link_type: ty,
            id,
            prog_id,
            details,
        },
    }
}

/// Links of the types this machine's kernel cannot make, and odd values of the others.
fn links() -> FakeKernel {
    let mut k = FakeKernel::new();
    let tracing_prog = ProgInfo {
        prog_type: 26,
        id: 50,
        ..ProgInfo::default()
    };
    k.progs.insert(
        50,
        FakeProg {
            info: tracing_prog,
            fdinfo: FdInfo::default(),
        },
    );
    let lsm_prog = ProgInfo {
        prog_type: 29,
        id: 51,
        ..ProgInfo::default()
    };
    k.progs.insert(
        51,
        FakeProg {
            info: lsm_prog,
            fdinfo: FdInfo::default(),
        },
    );
    let ls = [
        link(
            1,
            2,
            50,
            LinkDetails::Tracing {
                attach_type: 24,
                target_obj_id: 1,
                target_btf_id: 7777,
                cookie: 0,
            },
        ),
        link(
            2,
            2,
            51,
            LinkDetails::Tracing {
                attach_type: 27,
                target_obj_id: 0,
                target_btf_id: 0,
                cookie: 9,
            },
        ),
        link(
            3,
            8,
            52,
            LinkDetails::KprobeMulti {
                count: 3,
                flags: 0,
                missed: 4,
                addrs: vec![0xffffffff81000304, 0xffffffff81000104, 0xffffffffc0000010],
                cookies: vec![30, 10, 20],
            },
        ),
        link(
            4,
            8,
            53,
            LinkDetails::KprobeMulti {
                count: 1,
                flags: 1,
                missed: 0,
                addrs: vec![0xffffffff81000204],
                cookies: vec![0],
            },
        ),
        link(
            5,
            7,
            54,
            LinkDetails::PerfEvent(PerfEventLink::Kprobe {
                ret: false,
                func_name: b"do_sys_openat2".to_vec(),
                offset: 16,
                addr: 0xffffffff81234560,
                missed: 3,
                cookie: 5,
            }),
        ),
        link(
            6,
            7,
            55,
            LinkDetails::PerfEvent(PerfEventLink::Kprobe {
                ret: true,
                func_name: b"vfs_read".to_vec(),
                offset: 0,
                addr: 0,
                missed: 0,
                cookie: 0,
            }),
        ),
        link(
            7,
            7,
            56,
            LinkDetails::PerfEvent(PerfEventLink::Uprobe {
                ret: true,
                file_name: b"/usr/bin/bash".to_vec(),
                offset: 0,
                cookie: 0,
                ref_ctr_offset: 0x1a2b,
            }),
        ),
        link(
            8,
            7,
            57,
            LinkDetails::PerfEvent(PerfEventLink::Event {
                config: 0x10002,
                event_type: 3,
                cookie: 0,
            }),
        ),
        link(
            9,
            7,
            58,
            LinkDetails::PerfEvent(PerfEventLink::Event {
                config: 5,
                event_type: 0,
                cookie: 1,
            }),
        ),
        link(
            10,
            7,
            59,
            LinkDetails::PerfEvent(PerfEventLink::Event {
                config: 0x1234,
                event_type: 4,
                cookie: 0,
            }),
        ),
        link(
            11,
            10,
            60,
            LinkDetails::Netfilter {
                pf: 3,
                hooknum: 1,
                priority: 100,
                flags: 0,
            },
        ),
        link(
            12,
            10,
            61,
            LinkDetails::Netfilter {
                pf: 4,
                hooknum: 9,
                priority: -1,
                flags: 1,
            },
        ),
        link(
            13,
            10,
            62,
            LinkDetails::Netfilter {
                pf: 10,
                hooknum: 7,
                priority: 0,
                flags: 0,
            },
        ),
        link(
            14,
            4,
            63,
            LinkDetails::Iter {
                target_name: b"cgroup".to_vec(),
                map_id: 0,
                cgroup_id: 4242,
                order: 2,
                tid: 0,
                pid: 0,
            },
        ),
        link(
            15,
            4,
            64,
            LinkDetails::Iter {
                target_name: b"task_file".to_vec(),
                map_id: 0,
                cgroup_id: 0,
                order: 0,
                tid: 0,
                pid: 77,
            },
        ),
        link(
            16,
            4,
            65,
            LinkDetails::Iter {
                target_name: b"bpf_map_elem".to_vec(),
                map_id: 31,
                cgroup_id: 0,
                order: 0,
                tid: 0,
                pid: 0,
            },
        ),
        link(17, 9, 0, LinkDetails::StructOps { map_id: 44 }),
        link(
            18,
            14,
            66,
            LinkDetails::Sockmap {
                map_id: 45,
                attach_type: 38,
            },
        ),
        link(
            19,
            13,
            67,
            LinkDetails::Netkit {
                ifindex: 0,
                attach_type: 54,
            },
        ),
        link(
            20,
            11,
            68,
            LinkDetails::Tcx {
                ifindex: 42,
                attach_type: 47,
            },
        ),
        link(21, 99, 69, LinkDetails::None),
        link(
            22,
            12,
            70,
            LinkDetails::UprobeMulti {
                count: 1,
                flags: 1,
                pid: 4321,
                path: b"/usr/lib/libc.so.6".to_vec(),
                offsets: vec![0x9abc],
                ref_ctr_offsets: vec![0],
                cookies: vec![0xfeed],
            },
        ),
        link(
            23,
            1,
            71,
            LinkDetails::RawTracepoint {
                tp_name: b"sched_switch".to_vec(),
                cookie: 8,
            },
        ),
        link(
            24,
            3,
            72,
            LinkDetails::Cgroup {
                cgroup_id: 1,
                attach_type: 99,
            },
        ),
    ];
    for l in ls {
        k.links.insert(l.info.id, l);
    }
    k.syms = vec![
        KSym {
            addr: 0xffffffff81000100,
            name: "alpha".into(),
            module: String::new(),
        },
        KSym {
            addr: 0xffffffff81000200,
            name: "beta".into(),
            module: String::new(),
        },
        KSym {
            addr: 0xffffffff81000300,
            name: "gamma".into(),
            module: String::new(),
        },
        KSym {
            addr: 0xffffffffc0000010,
            name: "mod_fn".into(),
            module: "nf_tables".into(),
        },
    ];
    k.config.insert("CONFIG_X86_KERNEL_IBT".into(), "y".into());
    k.ifnames.insert(42, "veth0".into());
    k.refs
        .push((ObjKind::Link, holder(5, 300, "tracer", Some(5))));
    k.refs
        .push((ObjKind::Link, holder(5, 301, "tracer-2", Some(5))));
    k.refs.push((ObjKind::Link, holder(23, 302, "sched", None)));
    k
}

/// BTF objects: vmlinux, a module, an anonymous one with users.
fn btfs() -> FakeKernel {
    let mut k = progs();
    k.btfs.insert(
        1,
        FakeBtf {
            info: BtfInfo {
                id: 1,
                size: 5515646,
                name: b"vmlinux".to_vec(),
                kernel_btf: true,
            },
            data: Vec::new(),
        },
    );
    k.btfs.insert(
        2,
        FakeBtf {
            info: BtfInfo {
                id: 2,
                size: 1200,
                name: b"nf_tables".to_vec(),
                kernel_btf: true,
            },
            data: Vec::new(),
        },
    );
    k.btfs.insert(
        86,
        FakeBtf {
            info: BtfInfo {
                id: 86,
                size: 2482,
                name: Vec::new(),
                kernel_btf: false,
            },
            data: Vec::new(),
        },
    );
    let m = |id, btf_id| FakeMap {
        info: MapInfo {
            id,
            btf_id,
            map_type: 2,
            ..MapInfo::default()
        },
        fdinfo: FdInfo::default(),
        value0: None,
    };
    for (id, btf) in [(3, 86), (4, 86), (5, 0), (6, 86)] {
        k.maps.insert(id, m(id, btf));
    }
    let mut p = prog(15, 1, "other");
    p.btf_id = 86;
    k.progs.insert(
        15,
        FakeProg {
            info: p,
            fdinfo: memlock("4096"),
        },
    );
    k.refs.push((ObjKind::Btf, holder(86, 555, "loader", None)));
    k
}

fn run(k: &FakeKernel, args: &[&str]) -> (String, String, u8) {
    let (out, err) = (SharedBuf::new(), SharedBuf::new());
    let argv: Vec<OsString> = std::iter::once("bpftool")
        .chain(args.iter().copied())
        .map(OsString::from)
        .collect();
    let (o, e) = (out.clone(), err.clone());
    let status = bpftool_rs::cmd::main(argv, k, move |mode| {
        Output::new(mode, Box::new(o), Box::new(e))
    });
    (out.text(), err.text(), status)
}

#[test]
fn renderers_match_golden_files() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/render"));
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    if update {
        fs::create_dir_all(dir).unwrap();
    }
    type State = (&'static str, fn() -> FakeKernel);
    let states: [State; 4] = [
        ("prog", progs),
        ("map", maps),
        ("link", links),
        ("btf", btfs),
    ];
    let mut failures = Vec::new();
    for (object, state) in states {
        let k = state();
        for (mode, flags) in [
            ("plain", &[][..]),
            ("json", &["-j"][..]),
            ("pretty", &["-p"][..]),
        ] {
            for (variant, extra) in [("show", &[][..]), ("show-f", &["-f"][..])] {
                if variant == "show-f" && object != "prog" {
                    continue;
                }
                let mut args: Vec<&str> = flags.to_vec();
                args.extend_from_slice(extra);
                args.extend([object, "show"]);
                let (stdout, stderr, status) = run(&k, &args);
                let name = format!("{object}-{variant}.{mode}");
                let got = format!("status {status}\n--- stderr\n{stderr}--- stdout\n{stdout}");
                let path = dir.join(&name);
                if update {
                    fs::write(&path, &got).unwrap();
                    continue;
                }
                let expected =
                    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                if expected != got {
                    failures.push(format!("{name}:\n--- expected\n{expected}\n--- got\n{got}"));
                }
                if mode != "plain" {
                    let v: serde_json::Value = serde_json::from_str(&stdout)
                        .unwrap_or_else(|e| panic!("{name} is not valid JSON ({e}): {stdout}"));
                    assert!(v.is_array(), "{name}");
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn listing_skips_objects_that_vanish() {
    // GET_NEXT_ID returns ids whose objects are gone by GET_FD_BY_ID: bpftool skips them.
    let mut k = progs();
    k.ghosts.push((ObjKind::Prog, 5));
    k.ghosts.push((ObjKind::Prog, 11));
    k.ghosts.push((ObjKind::Prog, 100));
    let (stdout, stderr, status) = run(&k, &["prog", "show"]);
    assert_eq!((status, stderr.as_str()), (0, ""));
    let ids: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with('\t'))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(ids, ["10", "12", "13", "0"]);
}

#[test]
fn missing_capability_is_named() {
    let mut k = progs();
    k.unprivileged = true;
    let (stdout, stderr, status) = run(&k, &["prog", "show"]);
    assert_eq!(status, 255);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "Error: can't get next program: Operation not permitted (CAP_SYS_ADMIN is missing)\n"
    );
    let (stdout, _, _) = run(&k, &["-j", "map", "show", "id", "3"]);
    assert_eq!(
        stdout,
        "{\"error\":\"get map by id (3): Operation not permitted (CAP_SYS_ADMIN is missing)\"}\n"
    );
}
