//! Thin calls into libbpf for what only libbpf does the way bpftool needs: the light
//! skeleton's loader program (`bpf_object__gen_loader`) and the BPF static linker
//! (`bpf_linker__*`). libbpf's messages are captured, not printed: the caller turns them
//! into one error.

use std::ffi::{CStr, CString};
use std::os::fd::AsRawFd;
use std::sync::Mutex;

use libbpf_sys as sys;

/// Messages libbpf printed during the current call.
static MESSAGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn capture(_level: libbpf_rs::PrintLevel, msg: String) {
    if let Ok(mut m) = MESSAGES.lock() {
        m.push(msg.trim_end().to_owned());
    }
}

/// Routes libbpf's warnings into [`MESSAGES`] for the duration of a call.
struct Capture;

impl Capture {
    fn start() -> Capture {
        if let Ok(mut m) = MESSAGES.lock() {
            m.clear();
        }
        libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Warn, capture)));
        Capture
    }

    /// The first warning libbpf printed, which names the actual problem (later ones say
    /// what failed because of it).
    fn first(&self) -> Option<String> {
        MESSAGES
            .lock()
            .ok()
            .and_then(|m| m.first().cloned())
            .map(|s| s.trim_start_matches("libbpf: ").to_owned())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        libbpf_rs::set_print(None);
    }
}

/// A failed libbpf call: what bpftool would print, the errno, and libbpf's own last word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibbpfError {
    /// bpftool's message for the failing step.
    pub what: String,
    /// The (positive) error number.
    pub errno: i32,
    /// libbpf's first warning, if any.
    pub detail: Option<String>,
}

impl std::fmt::Display for LibbpfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.what)?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for LibbpfError {}

/// libbpf's `libbpf_strerror`: its own error numbers have their own texts.
pub fn libbpf_strerror(errno: i32) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; libbpf writes a NUL-terminated string
    // into it and nothing else.
    unsafe { sys::libbpf_strerror(-errno, buf.as_mut_ptr().cast(), buf.len() as _) };
    let len = buf.iter().position(|&b| b == 0).unwrap_or(0);
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EINVAL)
}

/// What `bpf_object__gen_loader` + `bpf_object__load` produced.
#[derive(Debug, Clone, Default)]
pub struct GenLoader {
    /// `gen_loader_opts.data`.
    pub data: Vec<u8>,
    /// `gen_loader_opts.insns`.
    pub insns: Vec<u8>,
    /// Every map in libbpf's order: its name and `bpf_map__initial_value` after the load.
    pub maps: Vec<(String, Option<Vec<u8>>)>,
}

/// A program whose type libbpf does not know from its section name (a section newer than
/// the libbpf linked in) but the caller does: it is set before the load is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgType {
    /// The program's name.
    pub name: String,
    /// `BPF_PROG_TYPE_*`.
    pub prog_type: u32,
    /// `BPF_F_*` load flags to add (`BPF_F_SLEEPABLE`).
    pub flags: u32,
}

/// An open `bpf_object`, closed on drop.
struct BpfObject(*mut sys::bpf_object);

impl Drop for BpfObject {
    fn drop(&mut self) {
        // SAFETY: the pointer came from bpf_object__open_mem and is closed only here.
        unsafe { sys::bpf_object__close(self.0) };
    }
}

/// Opens `elf` as `bpf_object__open_mem` with `object_name = name`, records its load as a
/// loader program (no kernel objects are created) and returns the program and data.
/// `kernel_log_level` is bpftool's `-d` (1 + 2 + 4) or 0; `prog_types` are set on programs
/// libbpf leaves without a type.
pub fn gen_loader(
    elf: &[u8],
    name: &str,
    kernel_log_level: u32,
    prog_types: &[ProgType],
) -> Result<GenLoader, LibbpfError> {
    let cap = Capture::start();
    let err = |what: &str, errno: i32, cap: &Capture| LibbpfError {
        what: what.to_owned(),
        errno,
        detail: cap.first(),
    };
    let cname = CString::new(name).map_err(|_| err("invalid object name", libc::EINVAL, &cap))?;
    // SAFETY: an all-zero bpf_object_open_opts is its documented default; sz is set below.
    let mut opts: sys::bpf_object_open_opts = unsafe { std::mem::zeroed() };
    opts.sz = std::mem::size_of::<sys::bpf_object_open_opts>() as _;
    opts.object_name = cname.as_ptr();
    opts.kernel_log_level = kernel_log_level;
    // SAFETY: elf, opts and the name opts points to outlive the call; libbpf reads the
    // buffer while opening and copies what it keeps (and `elf` outlives the object anyway).
    let obj = unsafe { sys::bpf_object__open_mem(elf.as_ptr().cast(), elf.len() as _, &opts) };
    if obj.is_null() {
        let e = last_errno();
        return Err(err(
            &format!("failed to open BPF object file: {}", libbpf_strerror(e)),
            e,
            &cap,
        ));
    }
    let obj = BpfObject(obj);
    // SAFETY: an all-zero gen_loader_opts is its default; sz is set below.
    let mut gopts: sys::gen_loader_opts = unsafe { std::mem::zeroed() };
    gopts.sz = std::mem::size_of::<sys::gen_loader_opts>() as _;
    // SAFETY: obj is open; gopts lives until after the load that fills it.
    let rc = unsafe { sys::bpf_object__gen_loader(obj.0, &mut gopts) };
    if rc != 0 {
        return Err(err("failed to set up the loader generator", -rc, &cap));
    }
    let mut prog: *mut sys::bpf_program = std::ptr::null_mut();
    loop {
        // SAFETY: obj is open; prog is null or a program of obj.
        prog = unsafe { sys::bpf_object__next_program(obj.0, prog) };
        if prog.is_null() {
            break;
        }
        // SAFETY: prog belongs to obj; its name is a NUL-terminated string owned by libbpf.
        let pname = unsafe { CStr::from_ptr(sys::bpf_program__name(prog)) }.to_string_lossy();
        // SAFETY: prog belongs to obj.
        let unknown = unsafe { sys::bpf_program__type(prog) } == 0;
        if let Some(t) = prog_types.iter().find(|t| unknown && t.name == pname) {
            // SAFETY: prog belongs to obj, which is not loaded yet.
            unsafe {
                sys::bpf_program__set_type(prog, t.prog_type);
                let flags = sys::bpf_program__flags(prog);
                sys::bpf_program__set_flags(prog, flags | t.flags);
            }
        }
    }
    // SAFETY: obj is open and set up for loader generation: libbpf records, no syscalls
    // create objects.
    let rc = unsafe { sys::bpf_object__load(obj.0) };
    if rc != 0 {
        return Err(err("failed to load object file", -rc, &cap));
    }
    let copy = |p: *const std::os::raw::c_char, n: u32| -> Vec<u8> {
        if p.is_null() || n == 0 {
            return Vec::new();
        }
        // SAFETY: libbpf filled p with n bytes that stay valid until the object is closed.
        unsafe { std::slice::from_raw_parts(p.cast::<u8>(), n as usize) }.to_vec()
    };
    let mut out = GenLoader {
        data: copy(gopts.data, gopts.data_sz),
        insns: copy(gopts.insns, gopts.insns_sz),
        maps: Vec::new(),
    };
    let mut map: *mut sys::bpf_map = std::ptr::null_mut();
    loop {
        // SAFETY: obj is open; map is null or a map of obj.
        map = unsafe { sys::bpf_object__next_map(obj.0, map) };
        if map.is_null() {
            break;
        }
        // SAFETY: map belongs to obj; its name is a NUL-terminated string owned by libbpf.
        let mname = unsafe { CStr::from_ptr(sys::bpf_map__name(map)) }
            .to_string_lossy()
            .into_owned();
        let mut size: sys::size_t = 0;
        // SAFETY: map belongs to obj; size is a valid out-pointer.
        let p = unsafe { sys::bpf_map__initial_value(map, &mut size) };
        let init = (!p.is_null()).then(|| {
            // SAFETY: libbpf returns `size` bytes at p, valid while the object is open.
            unsafe { std::slice::from_raw_parts(p.cast::<u8>(), size as usize) }.to_vec()
        });
        out.maps.push((mname, init));
    }
    drop(obj);
    Ok(out)
}

/// Links BPF objects with libbpf's static linker (`bpf_linker__new_fd`, `add_file`,
/// `finalize`) into `out`, an open file the linker writes and finishes.
pub fn link(out: &std::fs::File, inputs: &[&std::path::Path]) -> Result<(), LibbpfError> {
    let cap = Capture::start();
    // SAFETY: an all-zero bpf_linker_opts is its default; sz is set below.
    let mut opts: sys::bpf_linker_opts = unsafe { std::mem::zeroed() };
    opts.sz = std::mem::size_of::<sys::bpf_linker_opts>() as _;
    // SAFETY: the fd is open for the whole call; libbpf does not close it (it was not
    // opened by the linker).
    let linker = unsafe { sys::bpf_linker__new_fd(out.as_raw_fd(), &mut opts) };
    if linker.is_null() {
        return Err(LibbpfError {
            what: "failed to create BPF linker instance".into(),
            errno: last_errno(),
            detail: cap.first(),
        });
    }
    struct Linker(*mut sys::bpf_linker);
    impl Drop for Linker {
        fn drop(&mut self) {
            // SAFETY: created by bpf_linker__new_fd, freed only here.
            unsafe { sys::bpf_linker__free(self.0) };
        }
    }
    let linker = Linker(linker);
    for path in inputs {
        let shown = path.to_string_lossy();
        let c = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| LibbpfError {
            what: format!(
                "failed to link '{shown}': {} ({})",
                crate::sys::strerror(libc::EINVAL),
                libc::EINVAL
            ),
            errno: libc::EINVAL,
            detail: None,
        })?;
        // SAFETY: linker is live; c is a NUL-terminated path; NULL opts are the default.
        let rc = unsafe { sys::bpf_linker__add_file(linker.0, c.as_ptr(), std::ptr::null()) };
        if rc != 0 {
            let e = last_errno();
            return Err(LibbpfError {
                what: format!(
                    "failed to link '{shown}': {} ({e})",
                    crate::sys::strerror(e)
                ),
                errno: e,
                detail: cap.first(),
            });
        }
    }
    // SAFETY: linker is live.
    let rc = unsafe { sys::bpf_linker__finalize(linker.0) };
    if rc != 0 {
        let e = last_errno();
        return Err(LibbpfError {
            what: format!(
                "failed to finalize ELF file: {} ({e})",
                crate::sys::strerror(e)
            ),
            errno: e,
            detail: cap.first(),
        });
    }
    Ok(())
}
