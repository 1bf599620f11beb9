//! `prog dump` golden tests: programs recorded from a live kernel (tests/golden/prog_dump/*/
//! record.json, made by the capture tool next to it) are replayed through the fake kernel, and
//! every mode's output must equal, byte for byte, what the reference bpftool printed for the
//! same program at capture time. `UPDATE_GOLDEN` is not supported on purpose: the expected
//! files come from the reference bpftool, never from our own output.

use std::path::{Path, PathBuf};

use bpftool_rs::output::{Output, SharedBuf};
use bpftool_rs::sys::fake::{FakeBtf, FakeKernel, FakeProg};
use bpftool_rs::sys::{BtfInfo, ProgDump, ProgInfo};
use serde_json::Value;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn u32s(v: &Value) -> Option<Vec<u32>> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_u64().expect("u32") as u32).collect())
}

fn u64s(v: &Value) -> Option<Vec<u64>> {
    v.as_array()
        .map(|a| a.iter().map(|x| x.as_u64().expect("u64")).collect())
}

fn num(v: &Value, key: &str) -> u32 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key}")) as u32
}

/// A fake kernel holding the recorded programs and their BTF.
fn kernel(record: &Value) -> (FakeKernel, Vec<u32>) {
    let mut k = FakeKernel::new();
    k.kallsyms_text = record["kallsyms"].as_str().map(str::to_owned);
    let mut ids = Vec::new();
    for p in record["programs"].as_array().expect("programs") {
        let tag = unhex(p["tag"].as_str().unwrap());
        let info = ProgInfo {
            id: num(p, "id"),
            prog_type: num(p, "prog_type"),
            tag: tag.try_into().expect("8-byte tag"),
            name: p["name"].as_str().unwrap().as_bytes().to_vec(),
            gpl_compatible: p["gpl_compatible"].as_bool().unwrap(),
            btf_id: num(p, "btf_id"),
            xlated_prog_len: num(p, "xlated_prog_len"),
            jited_prog_len: num(p, "jited_prog_len"),
            nr_func_info: num(p, "nr_func_info"),
            func_info_rec_size: num(p, "func_info_rec_size"),
            nr_line_info: num(p, "nr_line_info"),
            nr_jited_line_info: num(p, "nr_jited_line_info"),
            nr_jited_ksyms: num(p, "nr_jited_ksyms"),
            first_func_type_id: p["first_func_type_id"].as_u64().map(|v| v as u32),
            ..ProgInfo::default()
        };
        let dump = |image: &str| ProgDump {
            info: info.clone(),
            image: Some(unhex(p[image].as_str().unwrap())),
            jited_ksyms: u64s(&p["jited_ksyms"]),
            nr_jited_func_lens: num(p, "nr_jited_func_lens"),
            jited_func_lens: u32s(&p["jited_func_lens"]),
            func_info: Some(unhex(p["func_info"].as_str().unwrap())),
            line_info_rec_size: num(p, "line_info_rec_size"),
            line_info: Some(unhex(p["line_info"].as_str().unwrap())),
            jited_line_info_rec_size: num(p, "jited_line_info_rec_size"),
            jited_line_info: Some(unhex(p["jited_line_info"].as_str().unwrap())),
        };
        if info.btf_id != 0 {
            k.btfs.insert(
                info.btf_id,
                FakeBtf {
                    info: BtfInfo {
                        id: info.btf_id,
                        ..BtfInfo::default()
                    },
                    data: unhex(p["btf"].as_str().unwrap()),
                },
            );
        }
        ids.push(info.id);
        k.xlated_dumps.insert(info.id, dump("xlated"));
        k.jited_dumps.insert(info.id, dump("jited"));
        k.progs.insert(
            info.id,
            FakeProg {
                info: info.clone(),
                ..FakeProg::default()
            },
        );
    }
    (k, ids)
}

/// Runs `bpftool-rs ARGS` against `k`; returns stdout, stderr and the exit status.
fn run(k: &FakeKernel, args: &[&str]) -> (Vec<u8>, String, u8) {
    let (out, err) = (SharedBuf::new(), SharedBuf::new());
    let argv = std::iter::once("bpftool")
        .chain(args.iter().copied())
        .map(Into::into)
        .collect();
    let (o, e) = (out.clone(), err.clone());
    let status = bpftool_rs::cmd::main(argv, k, move |mode| {
        Output::new(mode, Box::new(o), Box::new(e))
    });
    (out.bytes(), err.text(), status)
}

/// Compares line by line, so that a failure shows where.
fn assert_same(what: &str, want: &[u8], got: &[u8]) {
    if want == got {
        return;
    }
    let (w, g) = (String::from_utf8_lossy(want), String::from_utf8_lossy(got));
    for (n, (wl, gl)) in w.lines().zip(g.lines()).enumerate() {
        assert_eq!(gl, wl, "{what}: line {}", n + 1);
    }
    panic!(
        "{what}: {} lines expected, {} produced",
        w.lines().count(),
        g.lines().count()
    );
}

/// The mode each expected file holds: (file, global flags, dump arguments).
const MODES: &[(&str, &[&str], &[&str])] = &[
    ("xlated.txt", &[], &["xlated"]),
    (
        "xlated_opcodes_linum.txt",
        &[],
        &["xlated", "opcodes", "linum"],
    ),
    ("visual.txt", &[], &["xlated", "visual", "opcodes", "linum"]),
    ("xlated.json", &["-j"], &["xlated", "opcodes", "linum"]),
    ("xlated_pretty.json", &["-p"], &["xlated"]),
    ("jited.txt", &[], &["jited"]),
    (
        "jited_opcodes_linum.txt",
        &[],
        &["jited", "opcodes", "linum"],
    ),
    ("jited.json", &["-j"], &["jited", "opcodes", "linum"]),
    ("jited_pretty.json", &["-p"], &["jited"]),
    ("multi_xlated.txt", &[], &["xlated", "linum"]),
    ("multi_xlated.json", &["-j"], &["xlated"]),
    ("multi_jited.txt", &[], &["jited"]),
    ("multi_jited_pretty.json", &["-p"], &["jited", "opcodes"]),
];

fn golden_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/prog_dump");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("record.json").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn recorded_programs_dump_like_the_reference_bpftool() {
    let mut checked = 0;
    for dir in golden_dirs() {
        let record: Value =
            serde_json::from_slice(&std::fs::read(dir.join("record.json")).unwrap()).unwrap();
        let (k, ids) = kernel(&record);
        let name = record["programs"][0]["name"].as_str().unwrap().to_owned();
        for (file, flags, args) in MODES {
            let Ok(want) = std::fs::read(dir.join(file)) else {
                continue;
            };
            let id = ids[0].to_string();
            let handle: [&str; 2] = if file.starts_with("multi_") {
                ["name", &name]
            } else {
                ["id", &id]
            };
            let mut argv: Vec<&str> = flags.to_vec();
            argv.extend(["prog", "dump", args[0]]);
            argv.extend(handle);
            argv.extend(&args[1..]);
            let (got, err, status) = run(&k, &argv);
            let what = format!("{}/{file}", dir.display());
            assert_eq!((status, err.as_str()), (0, ""), "{what}");
            assert_same(&what, &want, &got);
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} golden outputs checked");
}

fn calls_and_loops() -> (FakeKernel, u32) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/prog_dump/clang19-calls_and_loops");
    let record: Value =
        serde_json::from_slice(&std::fs::read(dir.join("record.json")).unwrap()).unwrap();
    let (k, ids) = kernel(&record);
    (k, ids[0])
}

/// What the kernel withholds under `kernel.kptr_restrict` / `bpf_jit_harden` (a zeroed
/// pointer) gets bpftool's messages, in plain text and JSON.
#[test]
fn withheld_images_get_bpftools_messages() {
    let (mut k, id) = calls_and_loops();
    k.xlated_dumps.get_mut(&id).unwrap().image = None;
    k.jited_dumps.get_mut(&id).unwrap().image = None;
    let id = id.to_string();
    let (out, err, status) = run(&k, &["prog", "dump", "xlated", "id", &id]);
    assert_eq!(
        (out.as_slice(), err.as_str(), status),
        (
            &b""[..],
            "Error: error retrieving insn dump: kernel.kptr_restrict set?\n",
            255
        )
    );
    let (out, err, status) = run(&k, &["-j", "prog", "dump", "jited", "id", &id]);
    assert_eq!(err, "");
    assert_eq!(status, 255);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"error\":\"error retrieving jit dump: no instructions returned or kernel.kptr_restrict set?\"}\n"
    );
}

/// JIT addresses withheld but the image given (bpf_jit_kallsyms off): functions are `unknown`
/// and disassembled from address 0 without source lines, as bpftool does.
#[test]
fn withheld_ksyms_name_functions_unknown() {
    let (mut k, id) = calls_and_loops();
    let d = k.jited_dumps.get_mut(&id).unwrap();
    d.jited_ksyms = None;
    d.jited_line_info = None;
    let (out, _, status) = run(&k, &["prog", "dump", "jited", "id", &id.to_string()]);
    assert_eq!(status, 0);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\nunknown:\n   0:\t"), "{out}");
    assert!(
        !out.contains("\n; "),
        "no source lines without JITed line info"
    );
}

/// Line info the kernel returned inconsistently: bpftool says so and goes on without it.
#[test]
fn bad_line_info_is_dropped_with_a_note() {
    let (mut k, id) = calls_and_loops();
    let d = k.xlated_dumps.get_mut(&id).unwrap();
    d.line_info.as_mut().unwrap().truncate(8);
    let (out, err, status) = run(&k, &["prog", "dump", "xlated", "id", &id.to_string()]);
    assert_eq!(status, 0);
    assert_eq!(
        err,
        "error in processing bpf_line_info.  continue without it.\n"
    );
    assert!(!String::from_utf8(out).unwrap().contains("\n; "));
}

#[test]
fn incompatible_options() {
    let (k, id) = calls_and_loops();
    let id = id.to_string();
    for (args, msg) in [
        (
            &["-j", "prog", "dump", "xlated", "id", &id, "visual"][..],
            "{\"error\":\"'visual' is not compatible with JSON output\"}\n",
        ),
        (
            &[
                "-j",
                "prog",
                "dump",
                "xlated",
                "id",
                &id,
                "file",
                "/nonexistent/x",
                "opcodes",
            ][..],
            "{\"error\":\"'file' is not compatible with 'opcodes', 'visual', or 'linum'\"}\n",
        ),
        (
            &["-j", "prog", "dump", "xlated", "id", &id, "file"][..],
            "{\"error\":\"expected file path\"}\n",
        ),
        (
            &[
                "-j",
                "prog",
                "dump",
                "xlated",
                "name",
                "calls_and_loops",
                "visual",
            ][..],
            "{\"error\":\"'visual' is not compatible with JSON output\"}\n",
        ),
        (
            &["-j", "prog", "dump", "bogus", "id", &id][..],
            "{\"error\":\"expected 'xlated' or 'jited', got: bogus\"}\n",
        ),
    ] {
        let (out, _, status) = run(&k, args);
        assert_eq!(
            (String::from_utf8(out).unwrap().as_str(), status),
            (msg, 255),
            "{args:?}"
        );
    }
}
