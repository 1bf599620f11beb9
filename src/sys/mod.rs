//! The kernel seam: every bpf(2) call and every /proc, /sys and mount access.
//!
//! This is the only module with `unsafe`. Commands talk to the kernel through the
//! [`Kernel`] trait and get typed values back; [`real::RealKernel`] implements it with
//! raw syscalls, [`fake::FakeKernel`] with recorded objects so that command logic and
//! renderers can be tested anywhere, without root.

pub mod bpf;
pub mod caps;
pub mod fake;
pub mod fs;
pub mod libbpf;
pub mod names;
pub mod pid_iter;
pub mod pids;
pub mod probe;
pub mod real;
pub mod time;

use std::fmt;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

pub use real::RealKernel;

/// A failed system call: which call, and the errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SysError {
    /// The call that failed, e.g. `"BPF_PROG_GET_FD_BY_ID"`.
    pub call: &'static str,
    /// The errno it returned.
    pub errno: i32,
}

impl SysError {
    /// A new error for `call` with `errno`.
    pub fn new(call: &'static str, errno: i32) -> Self {
        SysError { call, errno }
    }

    /// The C library's text for the errno, as bpftool prints it with `strerror`.
    pub fn strerror(&self) -> String {
        strerror(self.errno)
    }
}

impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.strerror())
    }
}

impl std::error::Error for SysError {}

/// Result of a system call.
pub type SysResult<T> = Result<T, SysError>;

/// `strerror(errno)` from the C library (bpftool's messages embed its exact wording).
pub fn strerror(errno: i32) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; the XSI strerror_r writes a
    // NUL-terminated string into it (truncated if needed) and touches nothing else.
    let rc = unsafe { libc::strerror_r(errno, buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {errno}");
    }
    let len = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// The four kinds of BPF objects that have ids (bpftool's `enum bpf_obj_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjKind {
    /// A program.
    Prog,
    /// A map.
    Map,
    /// A link.
    Link,
    /// A BTF object.
    Btf,
}

impl ObjKind {
    /// bpftool's `get_fd_type_name` (it has no name for BTF: "unknown").
    pub fn bpftool_name(self) -> &'static str {
        match self {
            ObjKind::Prog => "prog",
            ObjKind::Map => "map",
            ObjKind::Link => "link",
            ObjKind::Btf => "unknown",
        }
    }
}

/// `BPF_F_RDONLY`: open a map read-only.
pub const BPF_F_RDONLY: u32 = 1 << 3;

/// What `BPF_OBJ_GET_INFO_BY_FD` tells about a program, plus its map ids and first
/// func_info record (fetched in the same call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgInfo {
    /// `enum bpf_prog_type` value.
    pub prog_type: u32,
    /// Program id.
    pub id: u32,
    /// Program tag (SHA-1 prefix of the instructions).
    pub tag: [u8; 8],
    /// Size of the JITed image in bytes.
    pub jited_prog_len: u32,
    /// Size of the translated instructions in bytes.
    pub xlated_prog_len: u32,
    /// Load time, nanoseconds since boot.
    pub load_time: u64,
    /// Uid of the loader.
    pub created_by_uid: u32,
    /// Name as the kernel stores it (at most 15 bytes).
    pub name: Vec<u8>,
    /// Offload device, 0 when not offloaded.
    pub ifindex: u32,
    /// Whether the program is GPL compatible.
    pub gpl_compatible: bool,
    /// Network namespace device of the offload device.
    pub netns_dev: u64,
    /// Network namespace inode of the offload device.
    pub netns_ino: u64,
    /// BTF object id, 0 if none.
    pub btf_id: u32,
    /// Number of func_info records.
    pub nr_func_info: u32,
    /// Size of one func_info record.
    pub func_info_rec_size: u32,
    /// Number of line_info records.
    pub nr_line_info: u32,
    /// Number of JITed line_info records.
    pub nr_jited_line_info: u32,
    /// Number of JITed functions (ksyms).
    pub nr_jited_ksyms: u32,
    /// Total run time in ns (with stats enabled).
    pub run_time_ns: u64,
    /// Number of runs (with stats enabled).
    pub run_cnt: u64,
    /// Recursion misses.
    pub recursion_misses: u64,
    /// Instructions processed by the verifier.
    pub verified_insns: u32,
    /// BTF object of the attach target.
    pub attach_btf_obj_id: u32,
    /// BTF type id of the attach target.
    pub attach_btf_id: u32,
    /// Ids of the maps the program uses.
    pub map_ids: Vec<u32>,
    /// BTF type id of the first func_info record (the main function), if any.
    pub first_func_type_id: Option<u32>,
    /// The kernel answered ENODEV: an offloaded program whose device is gone.
    pub orphaned: bool,
}

/// Which program image `prog dump` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgImage {
    /// The instructions after the verifier's rewrites (`xlated_prog_insns`).
    Xlated,
    /// The JIT's machine code (`jited_prog_insns`).
    Jited,
}

/// What `prog dump` reads about a program: one image and its annotations, fetched as bpftool
/// does (a first call for the counts, a second for the arrays).
///
/// An array is `None` when the kernel withheld it by zeroing its pointer (`kernel.kptr_restrict`,
/// `bpf_jit_harden`, no `CAP_SYSLOG`), which bpftool tells apart from an empty one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgDump {
    /// The program's info from the second call (counts and sizes as the kernel reported them;
    /// `map_ids` is left empty, `first_func_type_id` comes from `func_info`).
    pub info: ProgInfo,
    /// The requested image; its reported length is `info.xlated_prog_len` or
    /// `info.jited_prog_len`.
    pub image: Option<Vec<u8>>,
    /// Start addresses of the JITed functions, main program first.
    pub jited_ksyms: Option<Vec<u64>>,
    /// Number of JITed function lengths the kernel reported.
    pub nr_jited_func_lens: u32,
    /// Byte lengths of the JITed functions, parallel to `jited_ksyms`.
    pub jited_func_lens: Option<Vec<u32>>,
    /// Raw `bpf_func_info` records, `info.func_info_rec_size` bytes each.
    pub func_info: Option<Vec<u8>>,
    /// Size of one `bpf_line_info` record.
    pub line_info_rec_size: u32,
    /// Raw `bpf_line_info` records.
    pub line_info: Option<Vec<u8>>,
    /// Size of one JITed line-info record (a `u64` address).
    pub jited_line_info_rec_size: u32,
    /// Raw JITed line-info records, parallel to `line_info`.
    pub jited_line_info: Option<Vec<u8>>,
}

/// What `BPF_OBJ_GET_INFO_BY_FD` tells about a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapInfo {
    /// `enum bpf_map_type` value.
    pub map_type: u32,
    /// Map id.
    pub id: u32,
    /// Key size in bytes.
    pub key_size: u32,
    /// Value size in bytes.
    pub value_size: u32,
    /// Maximum number of entries.
    pub max_entries: u32,
    /// `BPF_F_*` creation flags.
    pub map_flags: u32,
    /// Name as the kernel stores it (at most 15 bytes).
    pub name: Vec<u8>,
    /// Offload device, 0 when not offloaded.
    pub ifindex: u32,
    /// Value type id in vmlinux BTF (struct_ops maps).
    pub btf_vmlinux_value_type_id: u32,
    /// Network namespace device of the offload device.
    pub netns_dev: u64,
    /// Network namespace inode of the offload device.
    pub netns_ino: u64,
    /// BTF object id, 0 if none.
    pub btf_id: u32,
    /// BTF type id of the key.
    pub btf_key_type_id: u32,
    /// BTF type id of the value.
    pub btf_value_type_id: u32,
    /// BTF object id of vmlinux (struct_ops maps).
    pub btf_vmlinux_id: u32,
    /// Map-type specific extra (bloom filter hashes, arena address).
    pub map_extra: u64,
}

/// What `BPF_OBJ_GET_INFO_BY_FD` tells about a BTF object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BtfInfo {
    /// BTF object id.
    pub id: u32,
    /// Size of the BTF data in bytes.
    pub size: u32,
    /// Name (kernel BTF: "vmlinux" or the module name; empty for user BTF).
    pub name: Vec<u8>,
    /// Whether this is kernel (vmlinux or module) BTF.
    pub kernel_btf: bool,
}

/// A BPF link: common fields and the type-specific part.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInfo {
    /// `enum bpf_link_type` value.
    pub link_type: u32,
    /// Link id.
    pub id: u32,
    /// Id of the linked program.
    pub prog_id: u32,
    /// Type-specific information.
    pub details: LinkDetails,
}

/// The type-specific part of a link's info.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum LinkDetails {
    /// A type this code does not know, or with nothing more to say.
    #[default]
    None,
    /// `BPF_LINK_TYPE_RAW_TRACEPOINT`.
    RawTracepoint {
        /// Tracepoint name.
        tp_name: Vec<u8>,
        /// BPF cookie.
        cookie: u64,
    },
    /// `BPF_LINK_TYPE_TRACING`.
    Tracing {
        /// Attach type.
        attach_type: u32,
        /// BTF object of the target.
        target_obj_id: u32,
        /// BTF type of the target.
        target_btf_id: u32,
        /// BPF cookie.
        cookie: u64,
    },
    /// `BPF_LINK_TYPE_CGROUP`.
    Cgroup {
        /// cgroup id.
        cgroup_id: u64,
        /// Attach type.
        attach_type: u32,
    },
    /// `BPF_LINK_TYPE_ITER`.
    Iter {
        /// Iterator target name.
        target_name: Vec<u8>,
        /// Map of bpf_map_elem / bpf_sk_storage_map iterators.
        map_id: u32,
        /// cgroup of cgroup iterators.
        cgroup_id: u64,
        /// Walk order of cgroup iterators.
        order: u32,
        /// Thread of task iterators.
        tid: u32,
        /// Process of task iterators.
        pid: u32,
    },
    /// `BPF_LINK_TYPE_NETNS`.
    Netns {
        /// Network namespace inode.
        netns_ino: u32,
        /// Attach type.
        attach_type: u32,
    },
    /// `BPF_LINK_TYPE_XDP`.
    Xdp {
        /// Interface index.
        ifindex: u32,
    },
    /// `BPF_LINK_TYPE_STRUCT_OPS`.
    StructOps {
        /// The struct_ops map.
        map_id: u32,
    },
    /// `BPF_LINK_TYPE_NETFILTER`.
    Netfilter {
        /// Protocol family.
        pf: u32,
        /// Hook number.
        hooknum: u32,
        /// Priority.
        priority: i32,
        /// Flags.
        flags: u32,
    },
    /// `BPF_LINK_TYPE_KPROBE_MULTI`.
    KprobeMulti {
        /// Number of functions.
        count: u32,
        /// `BPF_F_KPROBE_MULTI_RETURN` etc.
        flags: u32,
        /// Missed runs.
        missed: u64,
        /// Addresses of the probed functions (kernel order).
        addrs: Vec<u64>,
        /// Cookies, parallel to `addrs`.
        cookies: Vec<u64>,
    },
    /// `BPF_LINK_TYPE_UPROBE_MULTI`.
    UprobeMulti {
        /// Number of probes.
        count: u32,
        /// `BPF_F_UPROBE_MULTI_RETURN` etc.
        flags: u32,
        /// Process filter.
        pid: u32,
        /// Binary path.
        path: Vec<u8>,
        /// Offsets in the binary.
        offsets: Vec<u64>,
        /// Reference counter offsets.
        ref_ctr_offsets: Vec<u64>,
        /// Cookies.
        cookies: Vec<u64>,
    },
    /// `BPF_LINK_TYPE_PERF_EVENT`.
    PerfEvent(PerfEventLink),
    /// `BPF_LINK_TYPE_TCX`.
    Tcx {
        /// Interface index.
        ifindex: u32,
        /// Attach type.
        attach_type: u32,
    },
    /// `BPF_LINK_TYPE_NETKIT`.
    Netkit {
        /// Interface index.
        ifindex: u32,
        /// Attach type.
        attach_type: u32,
    },
    /// `BPF_LINK_TYPE_SOCKMAP`.
    Sockmap {
        /// The sockmap.
        map_id: u32,
        /// Attach type.
        attach_type: u32,
    },
}

/// The perf_event part of a link's info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PerfEventLink {
    /// `BPF_PERF_EVENT_UPROBE` / `URETPROBE`.
    Uprobe {
        /// uretprobe.
        ret: bool,
        /// Binary path.
        file_name: Vec<u8>,
        /// Offset in the binary.
        offset: u32,
        /// BPF cookie.
        cookie: u64,
        /// Reference counter offset.
        ref_ctr_offset: u64,
    },
    /// `BPF_PERF_EVENT_KPROBE` / `KRETPROBE`.
    Kprobe {
        /// kretprobe.
        ret: bool,
        /// Function name.
        func_name: Vec<u8>,
        /// Offset in the function.
        offset: u32,
        /// Address.
        addr: u64,
        /// Missed runs.
        missed: u64,
        /// BPF cookie.
        cookie: u64,
    },
    /// `BPF_PERF_EVENT_TRACEPOINT`.
    Tracepoint {
        /// Tracepoint name.
        tp_name: Vec<u8>,
        /// BPF cookie.
        cookie: u64,
    },
    /// `BPF_PERF_EVENT_EVENT`.
    Event {
        /// `perf_event_attr.config`.
        config: u64,
        /// `perf_event_attr.type`.
        event_type: u32,
        /// BPF cookie.
        cookie: u64,
    },
    /// A perf event type this code does not know.
    Other(u32),
}

/// The lines of `/proc/self/fdinfo/FD`, kept as bpftool reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FdInfo {
    lines: Vec<String>,
}

impl FdInfo {
    /// Splits the file into lines.
    pub fn parse(text: &str) -> FdInfo {
        FdInfo {
            lines: text.lines().map(str::to_owned).collect(),
        }
    }

    /// From `key`, `value` pairs, formatted as the kernel does (`key:\tvalue`).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> FdInfo {
        FdInfo {
            lines: pairs.iter().map(|(k, v)| format!("{k}:\t{v}")).collect(),
        }
    }

    /// bpftool's `get_fdinfo`: the text after the first tab of the first line that
    /// contains `key` anywhere; `None` if that line has no tab or nothing after it.
    pub fn get(&self, key: &str) -> Option<&str> {
        let line = self.lines.iter().find(|l| l.contains(key))?;
        let (_, value) = line.split_once('\t')?;
        (!value.is_empty()).then_some(value)
    }
}

/// One process holding a BPF object (bpftool's `struct obj_ref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjRef {
    /// Object id.
    pub id: u32,
    /// Process id (thread group id).
    pub pid: i32,
    /// Process name (at most 15 bytes).
    pub comm: Vec<u8>,
    /// BPF cookie of perf_event links, when known.
    pub bpf_cookie: Option<u64>,
}

/// A kernel symbol from `/proc/kallsyms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KSym {
    /// Address.
    pub addr: u64,
    /// Symbol name.
    pub name: String,
    /// Module name, empty for vmlinux.
    pub module: String,
}

/// Everything command code asks of the kernel and the system. `Sync`: listings open
/// and query objects from several threads.
pub trait Kernel: Sync {
    /// `BPF_*_GET_NEXT_ID` after `start`; `None` at the end (ENOENT).
    fn next_id(&self, kind: ObjKind, start: u32) -> SysResult<Option<u32>>;
    /// `BPF_*_GET_FD_BY_ID`; `open_flags` applies to maps (`BPF_F_RDONLY`).
    fn fd_by_id(&self, kind: ObjKind, id: u32, open_flags: u32) -> SysResult<OwnedFd>;
    /// Program info, map ids and first func_info record.
    fn prog_info(&self, fd: BorrowedFd<'_>) -> SysResult<ProgInfo>;
    /// Map info.
    fn map_info(&self, fd: BorrowedFd<'_>) -> SysResult<MapInfo>;
    /// Link info with its variable parts (names, addresses) filled in.
    fn link_info(&self, fd: BorrowedFd<'_>) -> SysResult<LinkInfo>;
    /// BTF object info with its name.
    fn btf_info(&self, fd: BorrowedFd<'_>) -> SysResult<BtfInfo>;
    /// The raw bytes of a BTF object.
    fn btf_data(&self, fd: BorrowedFd<'_>) -> SysResult<Vec<u8>>;
    /// The id of a BPF object of a known kind.
    fn obj_id(&self, fd: BorrowedFd<'_>, kind: ObjKind) -> SysResult<u32>;
    /// `BPF_OBJ_GET` on a pinned path.
    fn obj_get(&self, path: &Path, file_flags: u32) -> SysResult<OwnedFd>;
    /// `BPF_OBJ_PIN`.
    fn obj_pin(&self, fd: BorrowedFd<'_>, path: &Path) -> SysResult<()>;
    /// `BPF_LINK_DETACH`.
    fn link_detach(&self, fd: BorrowedFd<'_>) -> SysResult<()>;
    /// `BPF_MAP_LOOKUP_ELEM`.
    fn map_lookup(&self, fd: BorrowedFd<'_>, key: &[u8], value: &mut [u8]) -> SysResult<()>;
    /// Kind of BPF object behind an fd (from its `anon_inode:` link), `None` if none.
    fn fd_kind(&self, fd: BorrowedFd<'_>) -> SysResult<Option<ObjKind>>;
    /// `/proc/self/fdinfo/FD`.
    fn fdinfo(&self, fd: BorrowedFd<'_>) -> SysResult<FdInfo>;
    /// Every non-directory entry under every bpffs mount, in `nftw` order.
    fn bpffs_entries(&self) -> Vec<PathBuf>;
    /// The processes holding objects of `kind`, in the kernel's task order.
    fn obj_refs(&self, kind: ObjKind) -> Vec<ObjRef>;
    /// Whether `path` is on a bpffs mount (`statfs`).
    fn is_bpffs(&self, path: &Path) -> bool;
    /// Whether `path` exists (`access(F_OK)`).
    fn exists(&self, path: &Path) -> bool;
    /// Mounts bpffs on `dir` as bpftool does (make-private, bind if needed, mount).
    fn mount_bpffs(&self, dir: &Path) -> Result<(), String>;
    /// Name of a network interface in our namespace.
    fn ifname(&self, ifindex: u32) -> Option<String>;
    /// Whether (dev, ino) is our network namespace; `Err` if it cannot be checked.
    fn netns_is_ours(&self, dev: u64, ino: u64) -> SysResult<bool>;
    /// Wall-clock seconds of a boot-time stamp in nanoseconds.
    fn boot_ns_to_epoch(&self, nsecs: u64) -> i64;
    /// `strftime("%FT%T%z")` of epoch seconds in local time.
    fn format_local_time(&self, epoch: i64) -> String;
    /// `/proc/kallsyms`, sorted by address (empty if unreadable).
    fn kallsyms(&self) -> Vec<KSym>;
    /// `/proc/kallsyms` as text, for readers that must see it as bpftool does (line order,
    /// aliases, hidden addresses); `None` if unreadable.
    fn kallsyms_text(&self) -> Option<String>;
    /// The image and annotations `prog dump` prints (see [`ProgDump`]).
    fn prog_dump(&self, fd: BorrowedFd<'_>, image: ProgImage) -> SysResult<ProgDump>;
    /// A kernel config option (`/boot/config-$(uname -r)` or `/proc/config.gz`).
    fn kernel_config(&self, name: &str) -> Option<String>;
    /// Whether this process has capability `cap` in its effective set; `None` if
    /// that cannot be told.
    fn capable(&self, cap: u32) -> Option<bool>;
    /// The feature probes (`bpftool feature probe`).
    fn probes(&self) -> &dyn probe::Probes;
}

/// `CAP_SYS_ADMIN`: needed to walk and open BPF objects by id.
pub const CAP_SYS_ADMIN: u32 = 21;

/// Version of the libbpf linked in (major, minor).
pub fn libbpf_version() -> (u32, u32) {
    // SAFETY: both functions only return constants compiled into libbpf.
    unsafe {
        (
            libbpf_sys::libbpf_major_version(),
            libbpf_sys::libbpf_minor_version(),
        )
    }
}

/// The system page size (`sysconf(_SC_PAGE_SIZE)`), 4096 if the C library cannot tell.
pub fn page_size() -> u64 {
    // SAFETY: sysconf only reads a configuration value; it has no memory arguments.
    let sz = unsafe { libc::sysconf(libc::_SC_PAGE_SIZE) };
    u64::try_from(sz).ok().filter(|&s| s > 0).unwrap_or(4096)
}
