//! What several commands share: opening objects from handles, pinning, the tables of
//! pinned paths and holders, offload devices and full program names.

use std::collections::HashMap;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Ctx;
use crate::btf::Btf;
use crate::cli::handles::{LinkHandle, MapHandle, ProgHandle};
use crate::error::{Error, Result};
use crate::sys::{Kernel, ObjKind, ObjRef, ProgInfo, SysError};

/// A multimap from object id to values with libbpf's `hashmap` iteration order.
///
/// bpftool keeps pinned paths and BTF users in libbpf hashmaps and prints the entries of
/// one key in bucket-chain order, which depends on insertion order *and* on when the
/// table grew (each resize reverses chains). To print the same order this replays the
/// same algorithm: identity hash, Fibonacci hashing of the upper bits, head insertion,
/// growth past 75% load.
#[derive(Debug, Clone)]
pub struct IdMultimap<V> {
    /// Bucket chains, head first.
    buckets: Vec<Vec<(u32, V)>>,
    cap_bits: u32,
    len: usize,
}

impl<V> Default for IdMultimap<V> {
    fn default() -> Self {
        IdMultimap {
            buckets: Vec::new(),
            cap_bits: 0,
            len: 0,
        }
    }
}

fn hash_bits(h: u64, bits: u32) -> usize {
    if bits == 0 {
        return 0;
    }
    (h.wrapping_mul(11_400_714_819_323_198_485) >> (64 - bits)) as usize
}

impl<V> IdMultimap<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty (bpftool's `hashmap__empty`).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn needs_to_grow(&self) -> bool {
        let cap = self.buckets.len();
        cap == 0 || (self.len + 1) * 4 / 3 > cap
    }

    fn grow(&mut self) {
        let bits = (self.cap_bits + 1).max(2);
        let mut new: Vec<Vec<(u32, V)>> = (0..1usize << bits).map(|_| Vec::new()).collect();
        for chain in std::mem::take(&mut self.buckets) {
            for (k, v) in chain {
                new[hash_bits(u64::from(k), bits)].insert(0, (k, v));
            }
        }
        self.buckets = new;
        self.cap_bits = bits;
    }

    /// `hashmap__append`: adds an entry even if the key exists.
    pub fn append(&mut self, key: u32, value: V) {
        if self.needs_to_grow() {
            self.grow();
        }
        let h = hash_bits(u64::from(key), self.cap_bits);
        self.buckets[h].insert(0, (key, value));
        self.len += 1;
    }

    /// `hashmap__for_each_key_entry`: the values of `key`, in libbpf's order.
    pub fn get(&self, key: u32) -> impl Iterator<Item = &V> {
        let chain = if self.buckets.is_empty() {
            &[][..]
        } else {
            &self.buckets[hash_bits(u64::from(key), self.cap_bits)][..]
        };
        chain.iter().filter(move |(k, _)| *k == key).map(|(_, v)| v)
    }
}

/// Pinned paths of every object of one kind (`-f`), from every bpffs mount.
pub fn pinned_table(k: &dyn Kernel, kind: ObjKind) -> IdMultimap<PathBuf> {
    let mut table = IdMultimap::new();
    for path in k.bpffs_entries() {
        let Ok(fd) = k.obj_get(&path, 0) else {
            continue;
        };
        if k.fd_kind(fd.as_fd()).ok().flatten() != Some(kind) {
            continue;
        }
        if let Ok(id) = k.obj_id(fd.as_fd(), kind) {
            table.append(id, path);
        }
    }
    table
}

/// The processes holding each object of a kind (bpftool's refs table).
#[derive(Debug, Default, Clone)]
pub struct RefsTable {
    by_id: HashMap<u32, Vec<ObjRef>>,
}

impl RefsTable {
    /// Builds the table for `kind`.
    pub fn build(k: &dyn Kernel, kind: ObjKind) -> RefsTable {
        let mut by_id: HashMap<u32, Vec<ObjRef>> = HashMap::new();
        for r in k.obj_refs(kind) {
            let list = by_id.entry(r.id).or_default();
            if !list.iter().any(|x| x.pid == r.pid) {
                list.push(r);
            }
        }
        RefsTable { by_id }
    }

    /// The holders of object `id`, in task order.
    pub fn get(&self, id: u32) -> &[ObjRef] {
        self.by_id.get(&id).map_or(&[], Vec::as_slice)
    }
}

/// One holder, as bpftool prints it in JSON (`{"pid":N,"comm":"..."}`).
#[derive(Debug, Clone, Serialize)]
pub struct PidRef {
    pid: i32,
    comm: BStr,
}

/// The `bpf_cookie`/`pids` part of an object, shared by prog/map/link/btf show.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Holders {
    #[serde(skip_serializing_if = "Option::is_none")]
    bpf_cookie: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pids: Option<Vec<PidRef>>,
}

impl Holders {
    /// The holders of `id`; `cookie` is the BPF cookie to show for perf_event links.
    pub fn of(refs: &RefsTable, id: u32, cookie: Option<u64>) -> Holders {
        let list = refs.get(id);
        if list.is_empty() {
            return Holders::default();
        }
        Holders {
            bpf_cookie: list[0].bpf_cookie.or(cookie),
            pids: Some(
                list.iter()
                    .map(|r| PidRef {
                        pid: r.pid,
                        comm: BStr(r.comm.clone()),
                    })
                    .collect(),
            ),
        }
    }

    /// Adds `bpf_cookie` and `pids` to an object being serialized by hand.
    pub fn serialize_into<M: serde::ser::SerializeMap>(
        &self,
        m: &mut M,
    ) -> std::result::Result<(), M::Error> {
        if let Some(c) = &self.bpf_cookie {
            m.serialize_entry("bpf_cookie", c)?;
        }
        if let Some(p) = &self.pids {
            m.serialize_entry("pids", p)?;
        }
        Ok(())
    }

    /// bpftool's `emit_obj_refs_plain(table, id, "\n\tpids ")`.
    pub fn plain(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let Some(pids) = &self.pids else {
            return Ok(());
        };
        if let Some(c) = self.bpf_cookie {
            write!(w, "\n\tbpf_cookie {c}")?;
        }
        w.write_all(b"\n\tpids ")?;
        for (i, p) in pids.iter().enumerate() {
            if i > 0 {
                w.write_all(b", ")?;
            }
            w.write_all(&p.comm.0)?;
            write!(w, "({})", p.pid)?;
        }
        Ok(())
    }
}

/// A byte string (kernel names, paths) serialized as a JSON string byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BStr(pub Vec<u8>);

impl Serialize for BStr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl BStr {
    /// From a path.
    pub fn path(p: &Path) -> BStr {
        use std::os::unix::ffi::OsStrExt;
        BStr(p.as_os_str().as_bytes().to_vec())
    }
}

/// The offload device of a program or map (`dev` in JSON, `offloaded_to` in plain).
#[derive(Debug, Clone, Serialize)]
pub struct Dev {
    ifindex: u32,
    ns_dev: u64,
    ns_inode: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ifname: Option<String>,
}

impl Dev {
    /// The device, or `None` when not offloaded (ifindex 0).
    pub fn of(k: &dyn Kernel, ifindex: u32, ns_dev: u64, ns_inode: u64) -> Option<Dev> {
        if ifindex == 0 {
            return None;
        }
        let ifname = match k.netns_is_ours(ns_dev, ns_inode) {
            Ok(true) => k.ifname(ifindex),
            _ => None,
        };
        Some(Dev {
            ifindex,
            ns_dev,
            ns_inode,
            ifname,
        })
    }

    /// bpftool's `print_dev_plain`.
    pub fn plain(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        w.write_all(b"  offloaded_to ")?;
        match &self.ifname {
            Some(n) => w.write_all(n.as_bytes()),
            None => write!(
                w,
                "ifindex {} ns_dev {} ns_ino {}",
                self.ifindex, self.ns_dev, self.ns_inode
            ),
        }
    }
}

/// bpftool's `open_obj_pinned`: `BPF_OBJ_GET` with its error message.
pub fn open_pinned(k: &dyn Kernel, path: &Path, file_flags: u32) -> Result<OwnedFd> {
    k.obj_get(path, file_flags).map_err(|e| {
        if e.errno != libc::EACCES {
            return Error::Msg(format!("bpf obj get ({}): {e}", path.display()));
        }
        // bpftool's dirname() cuts its copy of the path before the message is
        // formatted, so it names the directory.
        let dir = dirname(path);
        let why = if k.is_bpffs(&dir) {
            e.strerror()
        } else {
            "directory not in bpf file system (bpffs)".to_owned()
        };
        Error::Msg(format!("bpf obj get ({}): {why}", dir.display()))
    })
}

/// bpftool's `open_obj_pinned_any`: a pinned object of the expected kind.
pub fn open_pinned_kind(
    k: &dyn Kernel,
    path: &Path,
    kind: ObjKind,
    file_flags: u32,
) -> Result<OwnedFd> {
    let fd = open_pinned(k, path, file_flags)?;
    let actual = k
        .fd_kind(fd.as_fd())
        .map_err(|e| Error::Msg(format!("can't read link type: {e}")))?;
    if actual != Some(kind) {
        return Err(Error::Msg(format!(
            "incorrect object type: {}",
            actual.map_or("unknown", ObjKind::bpftool_name)
        )));
    }
    Ok(fd)
}

/// A syscall error as bpftool words it (`strerror`), plus the capability that is
/// missing when the kernel said EPERM and we lack `CAP_SYS_ADMIN` (docs/compat.md).
pub fn sys_text(k: &dyn Kernel, e: &SysError) -> String {
    if e.errno == libc::EPERM && k.capable(crate::sys::CAP_SYS_ADMIN) == Some(false) {
        format!("{e} (CAP_SYS_ADMIN is missing)")
    } else {
        e.strerror()
    }
}

/// Every object of a kind, opened, as bpftool's listing loops walk them: objects that
/// vanish between GET_NEXT_ID and GET_FD_BY_ID are skipped; other failures end the walk
/// with bpftool's messages (`can't get next NEXT_NAME`, `can't get FD_NAME by id`).
pub struct ObjWalk<'k> {
    k: &'k dyn Kernel,
    kind: ObjKind,
    open_flags: u32,
    next_name: &'static str,
    fd_name: &'static str,
    id: u32,
    done: bool,
}

impl<'k> ObjWalk<'k> {
    /// A walk over `kind` objects, opened with `open_flags`.
    pub fn new(
        k: &'k dyn Kernel,
        kind: ObjKind,
        open_flags: u32,
        next_name: &'static str,
        fd_name: &'static str,
    ) -> Self {
        ObjWalk {
            k,
            kind,
            open_flags,
            next_name,
            fd_name,
            id: 0,
            done: false,
        }
    }
}

impl Iterator for ObjWalk<'_> {
    type Item = Result<(u32, OwnedFd)>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.k.next_id(self.kind, self.id) {
                Ok(Some(id)) => self.id = id,
                Ok(None) => self.done = true,
                Err(e) => {
                    self.done = true;
                    let hint = if e.errno == libc::EINVAL {
                        " -- kernel too old?"
                    } else {
                        ""
                    };
                    let text = sys_text(self.k, &e);
                    // The name/tag lookups print the bare error text.
                    return Some(Err(Error::Msg(if self.next_name.is_empty() {
                        text
                    } else {
                        format!("can't get next {}: {text}{hint}", self.next_name)
                    })));
                }
            }
            if self.done {
                break;
            }
            let id = self.id;
            match self.k.fd_by_id(self.kind, id, self.open_flags) {
                Ok(fd) => return Some(Ok((id, fd))),
                Err(e) if is_enoent(&e) => continue,
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::Msg(format!(
                        "can't get {} by id ({id}): {}",
                        self.fd_name,
                        sys_text(self.k, &e)
                    ))));
                }
            }
        }
        None
    }
}

/// Every id of `kind` (GET_NEXT_ID only), and the error that ended the walk early, as
/// bpftool words it (`can't get next NEXT_NAME: ...`).
pub fn all_ids(
    k: &dyn Kernel,
    kind: ObjKind,
    next_name: &'static str,
) -> (Vec<u32>, Option<Error>) {
    let mut ids = Vec::new();
    let mut id = 0;
    loop {
        match k.next_id(kind, id) {
            Ok(Some(next)) => {
                ids.push(next);
                id = next;
            }
            Ok(None) => return (ids, None),
            Err(e) => {
                let hint = if e.errno == libc::EINVAL {
                    " -- kernel too old?"
                } else {
                    ""
                };
                let msg = format!("can't get next {next_name}: {}{hint}", sys_text(k, &e));
                return (ids, Some(Error::Msg(msg)));
            }
        }
    }
}

/// GET_FD_BY_ID of one object of a listing: `None` when it vanished since its id was
/// read (bpftool skips those).
pub fn open_listed(
    k: &dyn Kernel,
    kind: ObjKind,
    id: u32,
    open_flags: u32,
    fd_name: &str,
) -> Result<Option<OwnedFd>> {
    match k.fd_by_id(kind, id, open_flags) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if is_enoent(&e) => Ok(None),
        Err(e) => Err(Error::Msg(format!(
            "can't get {fd_name} by id ({id}): {}",
            sys_text(k, &e)
        ))),
    }
}

/// Runs `f` over `ids` on every CPU (listings spend their time in syscalls that
/// scale across CPUs), returning the results in `ids` order. Each thread gets its own
/// state from `init` (caches). Small lists stay on the calling thread.
pub fn par_collect<S, R, I, F>(ids: &[u32], init: I, f: F) -> Vec<R>
where
    R: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, u32) -> R + Sync,
{
    const MIN_PER_THREAD: usize = 128;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(ids.len() / MIN_PER_THREAD)
        .max(1);
    if threads == 1 {
        let mut state = init();
        return ids.iter().map(|&id| f(&mut state, id)).collect();
    }
    let chunk = ids.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                let (init, f) = (&init, &f);
                scope.spawn(move || {
                    let mut state = init();
                    part.iter().map(|&id| f(&mut state, id)).collect::<Vec<R>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn is_enoent(e: &SysError) -> bool {
    e.errno == libc::ENOENT
}

/// bpftool's `prog_parse_fds`: every program a handle names (several for tag/name).
pub fn prog_fds(ctx: &Ctx<'_>, handle: &ProgHandle) -> Result<Vec<OwnedFd>> {
    let k = ctx.k;
    match handle {
        ProgHandle::Id(id) => {
            let fd = k
                .fd_by_id(ObjKind::Prog, *id, 0)
                .map_err(|e| Error::Msg(format!("get by id ({id}): {}", sys_text(k, &e))))?;
            Ok(vec![fd])
        }
        ProgHandle::Pinned(path) => Ok(vec![open_pinned_kind(k, path, ObjKind::Prog, 0)?]),
        ProgHandle::Tag(_) | ProgHandle::Name(_) => {
            let mut fds = Vec::new();
            let mut btfs = BtfCache::default();
            for item in ObjWalk::new(k, ObjKind::Prog, 0, "", "prog") {
                let (id, fd) = item?;
                let info = k
                    .prog_info(fd.as_fd())
                    .map_err(|e| Error::Msg(format!("can't get prog info ({id}): {e}")))?;
                let hit = match handle {
                    ProgHandle::Tag(tag) => info.tag == *tag,
                    ProgHandle::Name(name) => prog_full_name(k, &info, &mut btfs) == *name,
                    _ => false,
                };
                if hit {
                    fds.push(fd);
                }
            }
            Ok(fds)
        }
    }
}

/// What bpftool says when a name or tag matches nothing (upstream says nothing; see
/// docs/compat.md).
fn no_match(kind: &str, what: &str, value: &[u8]) -> Error {
    Error::Msg(format!(
        "no {kind} matches {what} '{}'",
        String::from_utf8_lossy(value)
    ))
}

/// Like [`prog_fds`], but an empty match is an error.
pub fn prog_fds_nonempty(ctx: &Ctx<'_>, handle: &ProgHandle) -> Result<Vec<OwnedFd>> {
    let fds = prog_fds(ctx, handle)?;
    if fds.is_empty() {
        return Err(match handle {
            ProgHandle::Tag(t) => no_match("program", "tag", hex(t).as_bytes()),
            ProgHandle::Name(n) => no_match("program", "name", n),
            _ => Error::Exit(255),
        });
    }
    Ok(fds)
}

/// bpftool's `prog_parse_fd`: exactly one program.
pub fn prog_fd(ctx: &Ctx<'_>, handle: &ProgHandle) -> Result<OwnedFd> {
    let mut fds = prog_fds_nonempty(ctx, handle)?;
    if fds.len() > 1 {
        return Err(Error::Msg("several programs match this handle".into()));
    }
    Ok(fds.remove(0))
}

/// bpftool's `map_parse_fds`: every map a handle names (several for a name).
pub fn map_fds(ctx: &Ctx<'_>, handle: &MapHandle, open_flags: u32) -> Result<Vec<OwnedFd>> {
    let k = ctx.k;
    match handle {
        MapHandle::Id(id) => {
            let fd = k
                .fd_by_id(ObjKind::Map, *id, open_flags)
                .map_err(|e| Error::Msg(format!("get map by id ({id}): {}", sys_text(k, &e))))?;
            Ok(vec![fd])
        }
        MapHandle::Pinned(path) => Ok(vec![open_pinned_kind(k, path, ObjKind::Map, open_flags)?]),
        MapHandle::Name(name) => {
            let mut fds = Vec::new();
            // Read-only descriptors to look at names, as bpftool does.
            for item in ObjWalk::new(k, ObjKind::Map, crate::sys::BPF_F_RDONLY, "", "map") {
                let (id, fd) = item?;
                let info = k
                    .map_info(fd.as_fd())
                    .map_err(|e| Error::Msg(format!("can't get map info ({id}): {e}")))?;
                if info.name != *name {
                    continue;
                }
                let fd = if open_flags == crate::sys::BPF_F_RDONLY {
                    fd
                } else {
                    drop(fd);
                    k.fd_by_id(ObjKind::Map, id, open_flags).map_err(|e| {
                        Error::Msg(format!("can't get map by id ({id}): {}", sys_text(k, &e)))
                    })?
                };
                fds.push(fd);
            }
            if fds.is_empty() {
                return Err(no_match("map", "name", name));
            }
            Ok(fds)
        }
    }
}

/// bpftool's `map_parse_fd`: exactly one map.
pub fn map_fd(ctx: &Ctx<'_>, handle: &MapHandle, open_flags: u32) -> Result<OwnedFd> {
    let mut fds = map_fds(ctx, handle, open_flags)?;
    if fds.len() > 1 {
        return Err(Error::Msg("several maps match this handle".into()));
    }
    Ok(fds.remove(0))
}

/// bpftool's `link_parse_fd`.
pub fn link_fd(ctx: &Ctx<'_>, handle: &LinkHandle) -> Result<OwnedFd> {
    match handle {
        // bpftool returns libbpf's -errno here, so `link show id 999` exits 254.
        LinkHandle::Id(id) => ctx
            .k
            .fd_by_id(ObjKind::Link, *id, 0)
            .map_err(|e| Error::Status {
                msg: format!("failed to get link with ID {id}: {}", sys_text(ctx.k, &e)),
                status: (256 - e.errno.clamp(1, 255)) as u8,
            }),
        LinkHandle::Pinned(path) => open_pinned_kind(ctx.k, path, ObjKind::Link, 0),
    }
}

/// bpftool's `do_pin_fd`: refuses an existing path, mounts bpffs on the parent
/// directory when it is not one (unless `-n`), then pins.
pub fn pin_fd(ctx: &Ctx<'_>, fd: &OwnedFd, path: &Path) -> Result<()> {
    let k = ctx.k;
    if k.exists(path) {
        return Err(Error::Msg(format!(
            "can't pin BPF object: path '{}' already exists",
            path.display()
        )));
    }
    let dir = dirname(path);
    if !k.is_bpffs(&dir) {
        if !k.exists(&dir) {
            return Err(Error::Msg(format!(
                "can't pin BPF object: dir '{}' doesn't exist",
                dir.display()
            )));
        }
        if ctx.opts.nomount {
            return Err(Error::Msg(
                "no BPF file system found, not mounting it due to --nomount option".into(),
            ));
        }
        k.mount_bpffs(&dir).map_err(|e| {
            Error::Msg(format!(
                "can't mount BPF file system to pin the object '{}': {e}",
                path.display()
            ))
        })?;
    }
    k.obj_pin(fd.as_fd(), path)
        .map_err(|e| Error::Msg(format!("can't pin the object ({}): {e}", path.display())))
}

/// POSIX `dirname`: "." for a bare name, "/" for "/x".
pub fn dirname(path: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let b = path.as_os_str().as_bytes();
    let trimmed = {
        let mut end = b.len();
        while end > 1 && b[end - 1] == b'/' {
            end -= 1;
        }
        &b[..end]
    };
    match trimmed.iter().rposition(|&c| c == b'/') {
        None => PathBuf::from("."),
        Some(0) => PathBuf::from("/"),
        Some(i) => {
            let mut end = i;
            while end > 1 && trimmed[end - 1] == b'/' {
                end -= 1;
            }
            PathBuf::from(std::ffi::OsStr::from_bytes(&trimmed[..end]))
        }
    }
}

/// Lowercase hex of bytes (tags).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Kernel BTF objects loaded so far, by id: programs of one object share their BTF,
/// and `prog show` needs it for names and metadata of each.
#[derive(Debug, Default)]
pub struct BtfCache {
    by_id: HashMap<u32, Option<std::sync::Arc<Btf>>>,
}

impl BtfCache {
    /// The parsed BTF object `id` (`btf__load_from_kernel_by_id`), loaded once.
    pub fn get(&mut self, k: &dyn Kernel, id: u32) -> Option<std::sync::Arc<Btf>> {
        self.by_id
            .entry(id)
            .or_insert_with(|| load_kernel_btf(k, id).map(std::sync::Arc::new))
            .clone()
    }
}

/// bpftool's `get_prog_full_name`: the kernel keeps 15 bytes of a name; when that many
/// are there, the name of the program's main function in its BTF is the full one.
pub fn prog_full_name(k: &dyn Kernel, info: &ProgInfo, btfs: &mut BtfCache) -> Vec<u8> {
    const BPF_OBJ_NAME_LEN: usize = 16;
    if info.name.len() < BPF_OBJ_NAME_LEN - 1 || info.btf_id == 0 || info.nr_func_info == 0 {
        return info.name.clone();
    }
    let Some(type_id) = info.first_func_type_id else {
        return info.name.clone();
    };
    let Some(btf) = btfs.get(k, info.btf_id) else {
        return info.name.clone();
    };
    btf.type_by_id(type_id)
        .filter(|t| t.kind() == crate::btf::Kind::Func)
        .and_then(|t| btf.str_at(t.name_off()))
        .map_or_else(|| info.name.clone(), <[u8]>::to_vec)
}

/// A BTF object of the kernel by id, parsed (`btf__load_from_kernel_by_id`).
pub fn load_kernel_btf(k: &dyn Kernel, id: u32) -> Option<Btf> {
    let fd = k.fd_by_id(ObjKind::Btf, id, 0).ok()?;
    let data = k.btf_data(fd.as_fd()).ok()?;
    Btf::parse(data).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multimap_order_matches_libbpf() {
        // Entries of one key come back newest first while no resize happens between
        // them; a resize reverses the chain built so far.
        let mut m = IdMultimap::new();
        m.append(5, "a");
        m.append(5, "b");
        assert_eq!(m.get(5).copied().collect::<Vec<_>>(), ["b", "a"]);
        m.append(5, "c");
        // Third insert grows 4 -> 8 buckets ((2+1)*4/3 = 4 > 4 is false; no growth yet).
        assert_eq!(m.get(5).copied().collect::<Vec<_>>(), ["c", "b", "a"]);
        m.append(5, "d"); // (3+1)*4/3 = 5 > 4: grow, chain reversed, then head insert.
        assert_eq!(m.get(5).copied().collect::<Vec<_>>(), ["d", "a", "b", "c"]);
        assert!(m.get(6).next().is_none());
        assert_eq!(m.len(), 4);
    }

    #[test]
    fn parallel_collection_keeps_order() {
        let ids: Vec<u32> = (0..1000).collect();
        let out = par_collect(
            &ids,
            || 0usize,
            |seen, id| {
                *seen += 1;
                (id * 2, *seen)
            },
        );
        assert_eq!(out.len(), 1000);
        assert!(out.iter().enumerate().all(|(i, (v, _))| *v == 2 * i as u32));
        // Per-thread state: counts restart in each thread's share.
        let restarts = out.iter().filter(|(_, n)| *n == 1).count();
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(restarts, cpus.clamp(1, 1000 / 128));
    }

    #[test]
    fn dirnames() {
        assert_eq!(
            dirname(Path::new("/sys/fs/bpf/x")),
            PathBuf::from("/sys/fs/bpf")
        );
        assert_eq!(dirname(Path::new("x")), PathBuf::from("."));
        assert_eq!(dirname(Path::new("/x")), PathBuf::from("/"));
        assert_eq!(dirname(Path::new("/a/b/")), PathBuf::from("/a"));
    }
}
