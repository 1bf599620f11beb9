//! `prog dump` on the running kernel: tests/fixtures/dump.bpf.c is compiled with clang-14 (ISA
//! v1) and clang-19 (`-mcpu=v4`), loaded with libbpf, and dumped by our command through the real
//! syscalls. The output must equal what the reference bpftool printed for the same programs at
//! capture time (tests/golden/prog_dump/clang*-*), once the values that change from load to
//! load are masked: map ids, kernel and JIT addresses, and the checkout path in line info.
//! The opcodes modes are checked against the raw images instead (`file`), byte for byte.
//!
//! Needs root, bpffs-free program loading and both compilers, as CI has. Everything loaded is
//! unloaded when the objects drop, also when an assertion fails.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::Command;

use bpftool_rs::output::{Output, SharedBuf};
use bpftool_rs::sys::{Kernel, RealKernel};

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("bpftool-rs-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn compile(clang: &str, mcpu: Option<&str>, out: &Path) {
    let fixtures = root().join("tests/fixtures");
    let mut cmd = Command::new(clang);
    cmd.args(["-O2", "-g", "-target", "bpf"]);
    if let Some(m) = mcpu {
        cmd.arg(format!("-mcpu={m}"));
    }
    let arch_inc = format!("/usr/include/{}-linux-gnu", std::env::consts::ARCH);
    cmd.arg("-I")
        .arg(arch_inc)
        .arg("-I")
        .arg(&fixtures)
        .arg("-c")
        .arg(fixtures.join("dump.bpf.c"))
        .arg("-o")
        .arg(out);
    let st = cmd.status().unwrap_or_else(|e| panic!("{clang}: {e}"));
    assert!(st.success(), "{clang} failed");
}

fn run(args: &[&str]) -> (Vec<u8>, String, u8) {
    let (out, err) = (SharedBuf::new(), SharedBuf::new());
    let argv = std::iter::once("bpftool")
        .chain(args.iter().copied())
        .map(Into::into)
        .collect();
    let (o, e) = (out.clone(), err.clone());
    let status = bpftool_rs::cmd::main(argv, &RealKernel, move |mode| {
        Output::new(mode, Box::new(o), Box::new(e))
    });
    (out.bytes(), err.text(), status)
}

/// Masks what differs between two loads of the same program.
fn normalize(text: &str, checkout: &str) -> String {
    let text = text.replace(checkout, "@ROOT@");
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &text[i..];
        if let Some(r) = rest.strip_prefix("map[id:") {
            let n = r.bytes().take_while(u8::is_ascii_digit).count();
            out.push_str("map[id:N");
            i += 7 + n;
            continue;
        }
        if let Some(r) = rest.strip_prefix("0x") {
            let n = r.bytes().take_while(u8::is_ascii_hexdigit).count();
            if n >= 8 {
                out.push_str("0xADDR");
                i += 2 + n;
                continue;
            }
        }
        if let Some(r) = rest.strip_prefix('$') {
            let sign = usize::from(r.starts_with('-'));
            let n = r[sign..].bytes().take_while(u8::is_ascii_digit).count();
            if n >= 8 {
                out.push_str("$IMM");
                i += 1 + sign + n;
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// The bytes of the `opcodes` lines of a plain dump (xlated: 7 spaces, jited: a tab).
fn opcode_bytes(dump: &str, prefix: &str) -> Vec<u8> {
    dump.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .filter(|l| l.split_whitespace().all(|t| t.len() == 2))
        .flat_map(|l| l.split_whitespace())
        .map(|h| u8::from_str_radix(h, 16).expect("hex byte"))
        .collect()
}

fn check_program(id: u32, golden: &Path, scratch: &Path, checkout_golden: &str) {
    let checkout = root().to_str().expect("utf-8 path");
    let id = id.to_string();
    for (file, flags, args) in [
        ("xlated.txt", &[][..], &["xlated"][..]),
        ("xlated_pretty.json", &["-p"][..], &["xlated"][..]),
        ("jited.txt", &[][..], &["jited"][..]),
        ("jited_pretty.json", &["-p"][..], &["jited"][..]),
    ] {
        let mut argv: Vec<&str> = flags.to_vec();
        argv.extend(["prog", "dump", args[0], "id", &id]);
        argv.extend(&args[1..]);
        let (got, err, status) = run(&argv);
        assert_eq!((status, err.as_str()), (0, ""), "{argv:?}");
        let want = std::fs::read_to_string(golden.join(file)).expect("golden file");
        let (want, got) = (
            normalize(&want, checkout_golden),
            normalize(&String::from_utf8_lossy(&got), checkout),
        );
        for (n, (w, g)) in want.lines().zip(got.lines()).enumerate() {
            assert_eq!(g, w, "{} {file}: line {}", golden.display(), n + 1);
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{file}");
    }
    for (kind, prefix) in [("xlated", "       "), ("jited", "\t")] {
        let raw = scratch.join(format!("{kind}.{id}"));
        let (_, err, status) = run(&[
            "prog",
            "dump",
            kind,
            "id",
            &id,
            "file",
            raw.to_str().unwrap(),
        ]);
        assert_eq!((status, err.as_str()), (0, ""), "{kind} file");
        let image = std::fs::read(&raw).expect("image file");
        let (got, _, status) = run(&["prog", "dump", kind, "id", &id, "opcodes", "linum"]);
        assert_eq!(status, 0);
        let got = String::from_utf8_lossy(&got);
        assert_eq!(
            opcode_bytes(&got, prefix),
            image,
            "{kind} opcodes of prog {id}"
        );
        // `file` never overwrites through a symlink to a regular file.
        let link = scratch.join(format!("link.{kind}.{id}"));
        std::os::unix::fs::symlink(&raw, &link).expect("symlink");
        let (_, err, status) = run(&[
            "prog",
            "dump",
            kind,
            "id",
            &id,
            "file",
            link.to_str().unwrap(),
        ]);
        assert_eq!(status, 255);
        assert!(err.contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read(&raw).expect("image"), image);
    }
}

#[test]
fn fixtures_dump_like_the_reference_bpftool() {
    let tmp = TempDir::new("prog-dump-live");
    // Where the golden programs were compiled; their line info names this checkout.
    let checkout_golden = "/work/wt-progdump";
    let mut checked = 0;
    for (clang, mcpu, tag) in [
        ("clang-14", None, "clang14"),
        ("clang-19", Some("v4"), "clang19"),
    ] {
        let obj_path = tmp.0.join(format!("dump.{tag}.o"));
        compile(clang, mcpu, &obj_path);
        let obj = libbpf_rs::ObjectBuilder::default()
            .open_file(&obj_path)
            .expect("open object")
            .load()
            .expect("load object (needs root)");
        for prog in obj.progs() {
            let name = prog.name().to_string_lossy().into_owned();
            let golden = root().join(format!("tests/golden/prog_dump/{tag}-{name}"));
            assert!(golden.is_dir(), "no golden dump for {tag} {name}");
            let info = RealKernel.prog_info(prog.as_fd()).expect("prog info");
            check_program(info.id, &golden, &tmp.0, checkout_golden);
            checked += 1;
        }
        // `obj` drops here: its programs are unloaded.
    }
    assert_eq!(checked, 14);
}

#[test]
fn missing_program_and_bad_arguments() {
    let (out, err, status) = run(&["prog", "dump", "xlated", "id", "4294967295"]);
    assert_eq!(status, 255);
    assert!(out.is_empty());
    assert_eq!(
        err,
        "Error: get by id (4294967295): No such file or directory\n"
    );
    let (out, _, status) = run(&["-j", "prog", "dump", "jited", "id", "4294967295"]);
    assert_eq!(status, 255);
    assert_eq!(
        String::from_utf8_lossy(&out),
        "{\"error\":\"get by id (4294967295): No such file or directory\"}\n"
    );
}
