//! `gen skeleton`, `gen skeleton -L`, `gen subskeleton`, `gen object`, `gen min_core_btf`:
//! golden outputs of the reference bpftool for committed objects, failures on bad input, and
//! end-to-end runs: generated headers compiled with gcc against libbpf, loaded, attached,
//! and checked through the variables they expose.
//!
//! `UPDATE_GOLDEN=1` rewrites existing golden files from our output (review the diff);
//! `tests/golden/gen/bless-with-reference.sh BPFTOOL` regenerates them from a reference
//! bpftool. With `BPFTOOL_RS_ORACLE` set, every object is also compared with it live.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::{run, Run};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gen")
}

fn objects_dir() -> PathBuf {
    fixtures().join("obj")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/gen")
}

/// A fresh scratch directory for one test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("gen-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn entries(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.0)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn p(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Every committed fixture object, by file stem (`globals.clang19`).
fn fixture_objects() -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = fs::read_dir(objects_dir())
        .expect("tests/fixtures/gen/obj")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|path| path.to_string_lossy().ends_with(".bpf.o"))
        .map(|path| {
            let stem = path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".bpf.o")
                .to_owned();
            (stem, path)
        })
        .collect();
    v.sort();
    assert!(v.len() >= 20, "fixture objects missing: {v:?}");
    v
}

/// Compares `actual` with golden file `name`, or rewrites it under `UPDATE_GOLDEN`.
fn check_golden(name: &str, actual: &[u8]) {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if actual != expected.as_slice() {
        let got = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.got"));
        let _ = fs::write(&got, actual);
        let line = actual
            .split(|&b| b == b'\n')
            .zip(expected.split(|&b| b == b'\n'))
            .position(|(a, b)| a != b)
            .map_or_else(|| "end".to_owned(), |l| (l + 1).to_string());
        panic!(
            "{name}: output differs from the golden file at line {line} ({} vs {} bytes); ours is in {}",
            actual.len(),
            expected.len(),
            got.display()
        );
    }
}

/// Runs our binary, capturing stdout as bytes.
fn run_bytes(args: &[&str]) -> (Vec<u8>, String, i32) {
    let out = Command::new(support::bin())
        .args(args)
        .output()
        .expect("running bpftool-rs");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn assert_fails(r: &Run, stderr_prefix: &str) {
    assert_eq!(r.code, 255, "exit status: {r:?}");
    assert!(r.stdout.is_empty(), "stdout must stay empty: {r:?}");
    assert!(
        r.stderr.starts_with(stderr_prefix),
        "stderr {:?} should start with {stderr_prefix:?}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "one error line: {r:?}");
}

/// The skeleton flavours and their golden file suffixes.
const MODES: &[(&str, &[&str])] = &[
    ("skel.h", &["gen", "skeleton"]),
    ("subskel.h", &["gen", "subskeleton"]),
    ("lskel.h", &["-L", "gen", "skeleton"]),
];

/// What our binary must refuse, with the start of its message, where upstream bpftool
/// fails too (or misbehaves: docs/compat.md).
fn expected_failure(stem: &str, golden: &str) -> Option<&'static str> {
    let fixture = stem.split('.').next().unwrap_or(stem);
    match (fixture, golden) {
        // Externs defined by another object: only the linked object opens.
        ("link_a", "skel.h" | "subskel.h") => {
            Some("Error: failed to open BPF object file: Operation not supported (unrecognized extern section '.maps')")
        }
        ("legacy", "skel.h" | "subskel.h") => Some(
            "Error: failed to open BPF object file: Operation not supported (legacy map definitions in 'maps' section",
        ),
        ("clash", _) => Some("Error: two maps share the skeleton name 'data_a_b'"),
        // bpftool dies with SIGBUS copying __arena globals (clang-14 emits none).
        ("arena", "lskel.h") if stem.ends_with("clang19") => {
            Some("Error: light skeletons do not support __arena global variables")
        }
        ("struct_ops", "lskel.h") => Some("Error: light skeletons do not support struct_ops maps"),
        ("nobtf", "subskel.h") => Some("Error: need btf type information for nobtf_"),
        ("arena", "subskel.h") if stem.ends_with("clang19") => {
            Some("Error: map 'arena' has no BTF type")
        }
        _ => None,
    }
}

#[test]
fn skeletons_match_reference_goldens() {
    let mut checked = 0;
    for (stem, obj) in fixture_objects() {
        for (suffix, args) in MODES {
            let golden = format!("{stem}.{suffix}");
            let mut argv: Vec<&str> = args.to_vec();
            argv.push(p(&obj));
            if golden_dir().join(&golden).exists() {
                let (stdout, stderr, code) = run_bytes(&argv);
                assert_eq!(code, 0, "{golden}: {stderr}");
                assert!(
                    stderr.is_empty(),
                    "{golden}: stderr must be empty: {stderr}"
                );
                check_golden(&golden, &stdout);
                checked += 1;
            } else if let Some(prefix) = expected_failure(&stem, suffix) {
                assert_fails(&run(&argv), prefix);
            }
        }
    }
    assert!(checked >= 40, "only {checked} golden headers checked");
}

#[test]
fn skeleton_name_argument_and_bad_names() {
    let obj = objects_dir().join("minimal.clang19.bpf.o");
    let o = p(&obj);
    let r = run(&["gen", "skeleton", o, "name", "my_name"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("struct my_name {"));
    assert!(r.stdout.contains("#ifndef __MY_NAME_SKEL_H__"));
    assert!(r.stdout.contains("map->name = \"my_name.bss\";"));
    assert_fails(
        &run(&["gen", "skeleton", o, "name", "9lives"]),
        "Error: object name '9lives' is not a valid C identifier",
    );
    assert_fails(
        &run(&["gen", "skeleton", o, "name", "a-b"]),
        "Error: object name 'a-b' is not a valid C identifier",
    );
    assert_fails(
        &run(&["gen", "skeleton", o, "name", "x", "name", "y"]),
        "Error: object name already specified",
    );
    assert_fails(
        &run(&["gen", "skeleton", o, "bogus", "y"]),
        "Error: unknown arg bogus",
    );
    assert_fails(
        &run(&["gen", "subskeleton", "-L", o]),
        "Error: cannot use loader for subskeletons",
    );
    // The usage error prints the message, then the help.
    let r = run(&["gen", "skeleton"]);
    assert_eq!(r.code, 255);
    assert!(r
        .stderr
        .starts_with("Error: 'skeleton' needs at least 1 arguments, 0 found\nUsage: "));
}

#[test]
fn bad_objects_fail_cleanly() {
    let s = Scratch::new("bad");
    let missing = s.path("missing.o");
    assert_fails(
        &run(&["gen", "skeleton", p(&missing)]),
        &format!(
            "Error: failed to stat() {}: No such file or directory",
            p(&missing)
        ),
    );
    let empty = s.path("empty.o");
    fs::write(&empty, b"").unwrap();
    assert_fails(
        &run(&["gen", "skeleton", p(&empty)]),
        &format!("Error: failed to mmap() {}: Invalid argument", p(&empty)),
    );
    let garbage = s.path("garbage.o");
    fs::write(&garbage, b"this is not an ELF file at all").unwrap();
    for mode in [
        &["gen", "skeleton"][..],
        &["gen", "subskeleton"],
        &["-L", "gen", "skeleton"],
    ] {
        let mut argv = mode.to_vec();
        argv.push(p(&garbage));
        assert_fails(
            &run(&argv),
            "Error: failed to open BPF object file: BPF object format invalid",
        );
    }
    // Every prefix of a real object: an error or a header, never a crash.
    let data = fs::read(objects_dir().join("globals.clang19.bpf.o")).unwrap();
    let cut = s.path("cut.o");
    for len in (1..data.len()).step_by(997) {
        fs::write(&cut, &data[..len]).unwrap();
        let r = run(&["gen", "skeleton", p(&cut)]);
        assert!(r.code == 0 || r.code == 255, "len {len}: {r:?}");
        if r.code == 255 {
            assert!(
                r.stdout.is_empty() && r.stderr.starts_with("Error: "),
                "len {len}: {r:?}"
            );
        }
    }
}

/// Rewrites the first relocation of `minimal`'s program to point at the LICENSE symbol:
/// a reference into a section libbpf cannot make a map of.
fn bad_relocation_object(out: &Path) {
    use object::read::elf::{FileHeader, SectionHeader};
    let mut data = fs::read(objects_dir().join("minimal.clang19.bpf.o")).unwrap();
    let e = object::Endianness::Little;
    let header = object::elf::FileHeader64::<object::Endianness>::parse(&*data).unwrap();
    let sections = header.sections(e, &*data).unwrap();
    let symtab = sections
        .symbols(e, &*data, object::elf::SHT_SYMTAB)
        .unwrap();
    let license_sym = symtab
        .iter()
        .position(|s| symtab.symbol_name(e, s).ok() == Some(&b"LICENSE"[..]))
        .expect("LICENSE symbol");
    let (rel_off, _) = sections
        .iter()
        .find(|s| {
            s.sh_type(e) == object::elf::SHT_REL && s.sh_info(e) != 0 && {
                let name = sections.section_name(e, s).unwrap_or_default();
                name.starts_with(b".reltracepoint")
            }
        })
        .and_then(|s| s.file_range(e))
        .expect("program relocations");
    // r_info of the first Elf64_Rel: symbol index in the high 32 bits.
    let at = rel_off as usize + 8;
    let mut info = u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
    info = (info & 0xffff_ffff) | ((license_sym as u64) << 32);
    data[at..at + 8].copy_from_slice(&info.to_le_bytes());
    fs::write(out, data).unwrap();
}

#[test]
fn unsupported_relocations_are_refused() {
    let s = Scratch::new("relo");
    let obj = s.path("badrelo.o");
    bad_relocation_object(&obj);
    for mode in [
        &["gen", "skeleton"][..],
        &["gen", "subskeleton"],
        &["-L", "gen", "skeleton"],
    ] {
        let mut argv = mode.to_vec();
        argv.push(p(&obj));
        assert_fails(
            &run(&argv),
            "Error: failed to open BPF object file: Relocation failed (prog 'count_getpid': bad map relo against 'LICENSE' in section 'license')",
        );
    }
}

#[test]
fn gen_object_matches_reference_and_leaves_nothing_behind() {
    let s = Scratch::new("object");
    let objs = objects_dir();
    for v in ["14", "19"] {
        let out = s.path(&format!("link.clang{v}.o"));
        let a = objs.join(format!("link_a.clang{v}.bpf.o"));
        let b = objs.join(format!("link_b.clang{v}.bpf.o"));
        let r = run(&["gen", "object", p(&out), p(&a), p(&b)]);
        assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
        check_golden(&format!("link.clang{v}.o"), &fs::read(&out).unwrap());
        let out = s.path(&format!("globals.clang{v}.linked.o"));
        let g = objs.join(format!("globals.clang{v}.bpf.o"));
        let r = run(&["gen", "object", p(&out), p(&g)]);
        assert_eq!(r.code, 0, "{r:?}");
        check_golden(
            &format!("globals.clang{v}.linked.o"),
            &fs::read(&out).unwrap(),
        );
    }
    let before = s.entries();
    // A failing link leaves neither the output nor a temporary file.
    let out = s.path("fail.o");
    let missing = s.path("missing.o");
    let r = run(&[
        "gen",
        "object",
        p(&out),
        p(&objs.join("minimal.clang19.bpf.o")),
        p(&missing),
    ]);
    assert_fails(
        &r,
        &format!(
            "Error: failed to link '{}': No such file or directory (2)",
            p(&missing)
        ),
    );
    let r = run(&[
        "gen",
        "object",
        p(&out),
        p(&objs.join("nobtf.clang19.bpf.o")),
    ]);
    assert_fails(&r, "Error: failed to link ");
    assert_eq!(s.entries(), before, "a failed link left files behind");
    // An existing output is replaced only by a complete one.
    fs::write(&out, b"old").unwrap();
    let r = run(&["gen", "object", p(&out), p(&missing)]);
    assert_eq!(r.code, 255);
    assert_eq!(fs::read(&out).unwrap(), b"old");
}

#[test]
fn min_core_btf_matches_reference() {
    let s = Scratch::new("btfgen");
    let objs = objects_dir();
    let kernel = objs.join("kernel_types.btf.o");
    for v in ["14", "19"] {
        let out = s.path("min.btf");
        let core = objs.join(format!("core.clang{v}.bpf.o"));
        let r = run(&["gen", "min_core_btf", p(&kernel), p(&out), p(&core)]);
        assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "", ""));
        check_golden(&format!("core.clang{v}.min.btf"), &fs::read(&out).unwrap());
    }
    let out = s.path("both.btf");
    let c14 = objs.join("core.clang14.bpf.o");
    let c19 = objs.join("core.clang19.bpf.o");
    let r = run(&["gen", "min_core_btf", p(&kernel), p(&out), p(&c14), p(&c19)]);
    assert_eq!(r.code, 0, "{r:?}");
    check_golden("core.both.min.btf", &fs::read(&out).unwrap());

    let before = s.entries();
    let fail = s.path("fail.btf");
    let nobtf = objs.join("nobtf.clang19.bpf.o");
    let r = run(&["gen", "min_core_btf", p(&kernel), p(&fail), p(&nobtf)]);
    assert_fails(
        &r,
        &format!("Error: failed to parse BPF object '{}'", p(&nobtf)),
    );
    // An object without CO-RE relocations in the list is fine; one without .BTF.ext is not.
    let minimal = objs.join("minimal.clang19.bpf.o");
    let r = run(&[
        "gen",
        "min_core_btf",
        p(&kernel),
        p(&fail),
        p(&minimal),
        p(&nobtf),
    ]);
    assert_eq!(r.code, 255, "{r:?}");
    let r = run(&["gen", "min_core_btf", p(&s.path("nope")), p(&fail), p(&c19)]);
    assert_fails(&r, "Error: failed parsing '");
    assert_eq!(
        s.entries(),
        before,
        "a failed min_core_btf left files behind"
    );
}

/// The reference bpftool, when the environment names one: whole outputs must agree.
#[test]
fn agrees_with_reference_bpftool() {
    let Some(oracle) = support::oracle() else {
        return;
    };
    let s = Scratch::new("oracle");
    for (stem, obj) in fixture_objects() {
        for (suffix, args) in MODES {
            let mut argv: Vec<&str> = args.to_vec();
            argv.push(p(&obj));
            let theirs = Command::new(&oracle).args(&argv).output().expect("oracle");
            if !theirs.status.success() || theirs.stdout.is_empty() {
                continue;
            }
            let (ours, stderr, code) = run_bytes(&argv);
            if expected_failure(&stem, suffix).is_some() {
                assert_eq!(code, 255, "{stem}.{suffix}");
                continue;
            }
            assert_eq!(code, 0, "{stem}.{suffix}: {stderr}");
            assert!(
                ours == theirs.stdout,
                "{stem}.{suffix} differs from the reference"
            );
        }
    }
    // min_core_btf against this machine's kernel, for every CO-RE fixture together.
    let cores: Vec<PathBuf> = fixture_objects()
        .into_iter()
        .map(|(_, o)| o)
        .filter(|o| o.to_string_lossy().contains("core."))
        .collect();
    let mut args = vec!["gen", "min_core_btf", "/sys/kernel/btf/vmlinux"];
    let theirs_out = s.path("theirs.btf");
    let ours_out = s.path("ours.btf");
    let mut a1 = args.clone();
    a1.push(p(&theirs_out));
    a1.extend(cores.iter().map(|c| p(c)));
    assert!(Command::new(&oracle).args(&a1).status().unwrap().success());
    args.push(p(&ours_out));
    args.extend(cores.iter().map(|c| p(c)));
    assert_eq!(run(&args).code, 0);
    assert!(fs::read(&theirs_out).unwrap() == fs::read(&ours_out).unwrap());
}

/// libbpf's headers and static library as libbpf-sys built them for this build.
fn libbpf_build() -> Option<(PathBuf, PathBuf)> {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()?
        .to_path_buf();
    let mut found: Option<(PathBuf, PathBuf)> = None;
    for profile in fs::read_dir(&target).ok()?.filter_map(|e| e.ok()) {
        let build = profile.path().join("build");
        let Ok(dirs) = fs::read_dir(&build) else {
            continue;
        };
        for d in dirs.filter_map(|e| e.ok()) {
            let out = d.path().join("out");
            let lib = out.join("libbpf.a");
            if d.file_name().to_string_lossy().starts_with("libbpf-sys-") && lib.exists() {
                let newer = |a: &Path, b: &Path| {
                    let t = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
                    t(a) > t(b)
                };
                match &found {
                    Some((_, l)) if !newer(&lib, l.as_path()) => {}
                    _ => found = Some((out.join("include"), lib)),
                }
            }
        }
    }
    found
}

/// The kernel UAPI headers libbpf-sys vendors with libbpf: light skeletons need a newer
/// `linux/bpf.h` than distributions ship.
fn libbpf_uapi() -> Option<PathBuf> {
    let cargo = std::env::var_os("CARGO")?;
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let manifest = meta["packages"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == "libbpf-sys")?["manifest_path"]
        .as_str()?
        .to_owned();
    let dir = Path::new(&manifest).parent()?.join("libbpf/include/uapi");
    dir.is_dir().then_some(dir)
}

/// Compiles `tests/fixtures/gen/e2e/SRC` with gcc against the headers in `dir` (and libbpf).
fn build_c(dir: &Scratch, src: &str, exe: &str, with_libbpf: bool) -> PathBuf {
    let (include, lib) = libbpf_build().expect("libbpf-sys's libbpf.a in the target directory");
    let out = dir.path(exe);
    let mut cmd = Command::new("gcc");
    cmd.args(["-O1", "-Wall", "-Werror", "-Wno-unused-function"])
        .arg("-I")
        .arg(&dir.0)
        .arg("-I")
        .arg(&include);
    if let Some(uapi) = libbpf_uapi() {
        cmd.arg("-I").arg(uapi);
    }
    cmd.arg(fixtures().join("e2e").join(src))
        .arg("-o")
        .arg(&out);
    if with_libbpf {
        cmd.arg(&lib).args(["-lelf", "-lz"]);
    }
    let r = cmd.output().expect("gcc");
    assert!(
        r.status.success(),
        "gcc {src}:\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

fn gen_header(dir: &Scratch, file: &str, args: &[&str]) {
    let (stdout, stderr, code) = run_bytes(args);
    assert_eq!(code, 0, "{args:?}: {stderr}");
    fs::write(dir.path(file), stdout).unwrap();
}

fn run_exe(exe: &Path, args: &[&str]) -> String {
    let r = Command::new(exe)
        .args(args)
        .output()
        .expect("run test program");
    assert!(
        r.status.success(),
        "{}: {}{}",
        exe.display(),
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8_lossy(&r.stdout).into_owned()
}

#[test]
fn skeleton_end_to_end() {
    let _lock = support::kernel_lock();
    let s = Scratch::new("e2e-skel");
    let obj = objects_dir().join("minimal.clang19.bpf.o");
    gen_header(
        &s,
        "minimal.skel.h",
        &["gen", "skeleton", p(&obj), "name", "minimal"],
    );
    let exe = build_c(&s, "skel.c", "skel", true);
    assert_eq!(run_exe(&exe, &[]), "calls=3 last_seen=3 total=5\n");
}

#[test]
fn light_skeleton_end_to_end() {
    let _lock = support::kernel_lock();
    let s = Scratch::new("e2e-lskel");
    let obj = objects_dir().join("minimal.clang14.bpf.o");
    gen_header(
        &s,
        "minimal.lskel.h",
        &["-L", "gen", "skeleton", p(&obj), "name", "minimal"],
    );
    let exe = build_c(&s, "lskel.c", "lskel", false);
    assert_eq!(run_exe(&exe, &[]), "calls=3 last_seen=3 total=5\n");
}

#[test]
fn linked_object_skeleton_and_subskeleton_end_to_end() {
    let _lock = support::kernel_lock();
    let s = Scratch::new("e2e-link");
    let objs = objects_dir();
    let linked = s.path("linked.o");
    let a = objs.join("link_a.clang19.bpf.o");
    let b = objs.join("link_b.clang19.bpf.o");
    let r = run(&["gen", "object", p(&linked), p(&a), p(&b)]);
    assert_eq!(r.code, 0, "{r:?}");
    gen_header(&s, "linked.skel.h", &["gen", "skeleton", p(&linked)]);
    gen_header(
        &s,
        "link_b.subskel.h",
        &["gen", "subskeleton", p(&b), "name", "link_b"],
    );
    let exe = build_c(&s, "linked.c", "linked", true);
    assert_eq!(
        run_exe(&exe, &[]),
        "a_calls>=3:1 b_calls>=2:1 shared_total>=3:1 b_step=2 progs=1,1\n"
    );
}

#[test]
fn min_core_btf_loads_against_the_running_kernel() {
    let _lock = support::kernel_lock();
    let s = Scratch::new("e2e-core");
    let obj = objects_dir().join("core.clang19.bpf.o");
    let btf = s.path("min.btf");
    let r = run(&[
        "gen",
        "min_core_btf",
        "/sys/kernel/btf/vmlinux",
        p(&btf),
        p(&obj),
    ]);
    assert_eq!(r.code, 0, "{r:?}");
    gen_header(
        &s,
        "core.skel.h",
        &["gen", "skeleton", p(&obj), "name", "core"],
    );
    let exe = build_c(&s, "core.c", "e2e_core", true);
    let out = run_exe(&exe, &[p(&btf)]);
    assert!(
        out.starts_with("pid_ok=1 ppid_ok=1 comm=e2e_core r0=1 r1=16 r2=0 r3=1 r4="),
        "{out}"
    );
    assert!(out.ends_with(" r5=1 r6=1 r7=4 r8=1\n"), "{out}");
    let task_size: i64 = out
        .split(" r4=")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        task_size > 1000,
        "sizeof(struct task_struct) from CO-RE: {out}"
    );
}
