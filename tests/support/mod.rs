//! Shared by the integration tests: running the binary, compiling BPF fixtures with
//! clang, loading them with libbpf-rs, and removing everything again.

#![allow(dead_code)]

pub mod kernel;

use std::ffi::OsStr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Output of one run of a binary.
#[derive(Debug, Clone)]
pub struct Run {
    /// stdout, as text.
    pub stdout: String,
    /// stderr, as text.
    pub stderr: String,
    /// Exit status (-1 when killed).
    pub code: i32,
}

impl Run {
    /// Whether stderr starts with `prefix`.
    pub fn stderr_starts_with(&self, prefix: &str) -> bool {
        self.stderr.starts_with(prefix)
    }
}

/// Our binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_bpftool-rs")
}

/// Runs `program` with `args` in the UTC time zone (load times print in local time).
pub fn run_program(program: &OsStr, args: &[&str]) -> Run {
    run_program_env(program, args, &[])
}

/// Runs our binary with extra environment variables.
pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    run_program_env(OsStr::new(bin()), args, env)
}

fn run_program_env(program: &OsStr, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .env("TZ", "UTC")
        .env_remove("POSIXLY_CORRECT")
        .output()
        .unwrap_or_else(|e| panic!("running {program:?}: {e}"));
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Runs our binary.
pub fn run(args: &[&str]) -> Run {
    run_program(OsStr::new(bin()), args)
}

/// The reference bpftool named by `BPFTOOL_RS_ORACLE`, if any. Tests never need it;
/// when it is set they also compare whole outputs with it, byte for byte.
pub fn oracle() -> Option<PathBuf> {
    std::env::var_os("BPFTOOL_RS_ORACLE").map(PathBuf::from)
}

/// Serialises tests that change or list global kernel state.
pub fn kernel_lock() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// clang able to emit BPF: `$CLANG`, clang-19, then clang.
pub fn clang() -> PathBuf {
    if let Some(c) = std::env::var_os("CLANG") {
        return c.into();
    }
    for c in ["clang-19", "clang"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c.into();
        }
    }
    panic!("clang not found: the live tests compile BPF fixtures (apt-get install clang-19)");
}

fn multiarch_include() -> Option<PathBuf> {
    let out = Command::new("gcc").arg("-print-multiarch").output().ok()?;
    let triple = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    let dir = PathBuf::from(format!("/usr/include/{triple}"));
    dir.is_dir().then_some(dir)
}

/// Compiles `tests/fixtures/NAME.bpf.c` into a temporary object, once per test run.
pub fn compile(name: &str) -> PathBuf {
    static BUILT: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let src = dir.join(format!("{name}.bpf.c"));
    let obj = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.bpf.o"));
    if built.iter().any(|b| b == name) {
        return obj;
    }
    let mut cmd = Command::new(clang());
    cmd.args(["-O2", "-g", "-target", "bpf", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .arg("-I")
        .arg(&dir);
    if let Some(inc) = multiarch_include() {
        cmd.arg("-I").arg(inc);
    }
    let out = cmd.output().expect("running clang");
    assert!(
        out.status.success(),
        "clang failed on {}:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    built.push(name.to_owned());
    obj
}

/// Mounts bpffs on /sys/fs/bpf if nothing is mounted there (CI machines may lack it).
pub fn ensure_bpffs() {
    let mounted = std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split(' ').nth(1) == Some("/sys/fs/bpf") && l.split(' ').nth(2) == Some("bpf"));
    if !mounted {
        let st = Command::new("mount")
            .args(["-t", "bpf", "bpf", "/sys/fs/bpf"])
            .status()
            .expect("mount");
        assert!(st.success(), "cannot mount bpffs on /sys/fs/bpf");
    }
}

/// Paths under bpffs that a test creates; removed on drop, also when the test fails.
#[derive(Debug)]
pub struct PinDir {
    /// The directory, `/sys/fs/bpf/bpftool_rs_test_<pid>_<tag>`.
    pub dir: PathBuf,
}

impl PinDir {
    /// A fresh, empty directory on bpffs.
    pub fn new(tag: &str) -> PinDir {
        ensure_bpffs();
        let dir = PathBuf::from(format!(
            "/sys/fs/bpf/bpftool_rs_test_{}_{tag}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).expect("mkdir on bpffs");
        PinDir { dir }
    }

    /// A path inside the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// A path inside the directory, as text.
    pub fn path_str(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

impl Drop for PinDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A cgroup v2 directory for attaching cgroup programs; removed on drop.
#[derive(Debug)]
pub struct TestCgroup {
    /// Its path under /sys/fs/cgroup.
    pub path: PathBuf,
    /// An open descriptor of it.
    pub fd: OwnedFd,
}

impl TestCgroup {
    /// Creates `/sys/fs/cgroup/bpftool_rs_test_<pid>`, mounting cgroup2 if needed.
    pub fn new() -> TestCgroup {
        let root = Path::new("/sys/fs/cgroup");
        if !root.join("cgroup.controllers").exists() {
            let _ = Command::new("mount")
                .args(["-t", "cgroup2", "none", "/sys/fs/cgroup"])
                .status();
        }
        let path = root.join(format!("bpftool_rs_test_{}", std::process::id()));
        let _ = std::fs::create_dir(&path);
        let fd = std::fs::File::open(&path).expect("open cgroup").into();
        TestCgroup { path, fd }
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.path);
    }
}

/// Splits plain `show` output into one block per object, keyed by id.
pub fn blocks(plain: &str) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for line in plain.split_inclusive('\n') {
        let head = line
            .split_once(": ")
            .and_then(|(id, _)| id.parse::<u32>().ok())
            .filter(|_| !line.starts_with('\t'));
        match (head, out.last_mut()) {
            (Some(id), _) => out.push((id, line.to_owned())),
            (None, Some(last)) => last.1.push_str(line),
            (None, None) => panic!("output does not start with an object: {plain:?}"),
        }
    }
    out
}

/// The block of object `id` in plain `show` output.
pub fn block_of(plain: &str, id: u32) -> String {
    blocks(plain)
        .into_iter()
        .find(|(i, _)| *i == id)
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no object {id} in:\n{plain}"))
}

/// The JSON object with `"id": id` in a JSON array.
pub fn json_of(json: &serde_json::Value, id: u32) -> serde_json::Value {
    json.as_array()
        .expect("a JSON array")
        .iter()
        .find(|o| o["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no object {id} in {json}"))
}

/// Parses JSON output, with the text in the panic message.
pub fn parse_json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("invalid JSON ({e}): {text}"))
}

/// Our own process name, as the kernel keeps it (15 bytes).
pub fn own_comm() -> String {
    std::fs::read_to_string("/proc/self/comm")
        .unwrap_or_default()
        .trim_end()
        .to_owned()
}

/// The id of the BPF object behind `fd` (second u32 of every info struct).
pub fn obj_id(fd: impl AsFd) -> u32 {
    let fdinfo = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_fd().as_raw_fd()))
        .expect("fdinfo");
    // Link fdinfo also names the program: look for link_id first.
    for key in ["link_id:", "map_id:", "prog_id:", "btf_id:"] {
        if let Some(v) = fdinfo.lines().find_map(|l| l.strip_prefix(key)) {
            return v.trim().parse().expect("id");
        }
    }
    panic!("no id in fdinfo: {fdinfo}")
}

/// A line of fdinfo of `fd`, e.g. "memlock".
pub fn fdinfo_value(fd: impl AsFd, key: &str) -> Option<String> {
    let text =
        std::fs::read_to_string(format!("/proc/self/fdinfo/{}", fd.as_fd().as_raw_fd())).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .map(|v| v.trim().to_owned())
}
