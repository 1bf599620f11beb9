//! `bpftool prog { show | list } [PROG]`.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use serde::Serialize;

use super::super::common::{self, BStr, Dev, Holders, IdMultimap, RefsTable};
use super::super::Ctx;
use super::metadata::{self, Metadata, MetadataCache};
use crate::cli::{handles, Args};
use crate::error::{Error, Result};
use crate::output::Plain;
use crate::sys::{names, Kernel, ObjKind, ProgInfo};

/// A type printed by name when libbpf knows it, by number otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeName {
    /// Known to libbpf.
    Known(&'static str),
    /// Printed as a number (`type 99` in plain mode).
    Unknown(u32),
}

impl Serialize for TypeName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            TypeName::Known(n) => s.serialize_str(n),
            TypeName::Unknown(v) => s.serialize_u32(*v),
        }
    }
}

impl TypeName {
    /// From a name lookup.
    pub fn of(v: u32, lookup: fn(u32) -> Option<&'static str>) -> TypeName {
        lookup(v).map_or(TypeName::Unknown(v), TypeName::Known)
    }

    /// bpftool's plain form: `NAME  ` or `type N  `.
    pub fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        match self {
            TypeName::Known(n) => write!(w, "{n}  "),
            TypeName::Unknown(v) => write!(w, "type {v}  "),
        }
    }
}

/// A program tag, printed as 16 hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag(pub [u8; 8]);

impl Serialize for Tag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&common::hex(&self.0))
    }
}

/// One program as `prog show` prints it; field order is bpftool's JSON order.
#[derive(Debug, Serialize)]
pub struct ProgShow {
    id: u32,
    #[serde(rename = "type")]
    prog_type: TypeName,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<BStr>,
    tag: Tag,
    gpl_compatible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_time_ns: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    run_cnt: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recursion_misses: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dev: Option<Dev>,
    #[serde(skip_serializing_if = "Option::is_none")]
    loaded_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    uid: Option<u32>,
    orphaned: bool,
    bytes_xlated: u32,
    jited: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_jited: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_memlock: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    map_ids: Vec<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    btf_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned: Option<Vec<BStr>>,
    #[serde(flatten)]
    holders: Holders,
    #[serde(skip_serializing_if = "Option::is_none")]
    metadata: Option<Metadata>,
    #[serde(skip)]
    loaded_at_text: String,
    #[serde(skip)]
    memlock_text: Option<String>,
}

/// Parses memlock the way `atoll` does: leading digits, 0 if none.
fn atoll(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits.bytes().take_while(u8::is_ascii_digit).count();
    let v: i64 = digits[..end].parse().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

/// The tables `prog show` looks things up in, built once per command.
pub struct ShowTables {
    pinned: Option<IdMultimap<PathBuf>>,
    refs: RefsTable,
}

impl ShowTables {
    /// Builds the pinned-path table (with `-f`) and the holders table.
    pub fn build(k: &dyn Kernel, show_pinned: bool) -> ShowTables {
        ShowTables {
            pinned: show_pinned.then(|| common::pinned_table(k, ObjKind::Prog)),
            refs: RefsTable::build(k, ObjKind::Prog),
        }
    }
}

/// What one thread of a listing remembers between programs: BTF objects and
/// metadata maps are shared by the programs of one object.
#[derive(Default)]
pub struct Caches {
    meta: MetadataCache,
    btfs: common::BtfCache,
}

impl ProgShow {
    /// Gathers everything bpftool prints about the program behind `fd`.
    pub fn collect(
        k: &dyn Kernel,
        fd: BorrowedFd<'_>,
        info: &ProgInfo,
        caches: &mut Caches,
    ) -> ProgShow {
        let fdinfo = k.fdinfo(fd).unwrap_or_default();
        let memlock_text = fdinfo.get("memlock").map(str::to_owned);
        let (loaded_at, loaded_at_text) = if info.load_time != 0 {
            let epoch = k.boot_ns_to_epoch(info.load_time);
            (Some(epoch), k.format_local_time(epoch))
        } else {
            (None, String::new())
        };
        ProgShow {
            id: info.id,
            prog_type: TypeName::of(info.prog_type, names::prog_type_str),
            name: (!info.name.is_empty())
                .then(|| BStr(common::prog_full_name(k, info, &mut caches.btfs))),
            tag: Tag(info.tag),
            gpl_compatible: info.gpl_compatible,
            run_time_ns: (info.run_time_ns != 0).then_some(info.run_time_ns),
            run_cnt: (info.run_time_ns != 0).then_some(info.run_cnt),
            recursion_misses: (info.recursion_misses != 0).then_some(info.recursion_misses),
            dev: Dev::of(k, info.ifindex, info.netns_dev, info.netns_ino),
            loaded_at,
            uid: loaded_at.map(|_| info.created_by_uid),
            orphaned: info.orphaned,
            bytes_xlated: info.xlated_prog_len,
            jited: info.jited_prog_len != 0,
            bytes_jited: (info.jited_prog_len != 0).then_some(info.jited_prog_len),
            bytes_memlock: memlock_text.as_deref().map(atoll),
            map_ids: info.map_ids.clone(),
            btf_id: (info.btf_id != 0).then_some(info.btf_id),
            pinned: None,
            holders: Holders::default(),
            metadata: metadata::collect(
                k,
                info.btf_id,
                &info.map_ids,
                &mut caches.meta,
                &mut caches.btfs,
            ),
            loaded_at_text,
            memlock_text,
        }
    }
}

impl ProgShow {
    /// Adds what comes from the system-wide tables: pinned paths and holders.
    pub fn attach_tables(&mut self, tables: &ShowTables) {
        self.pinned = tables
            .pinned
            .as_ref()
            .filter(|t| !t.is_empty())
            .map(|t| t.get(self.id).map(|p| BStr::path(p)).collect());
        self.holders = Holders::of(&tables.refs, self.id, None);
    }
}

impl Plain for ProgShow {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        write!(w, "{}: ", self.id)?;
        self.prog_type.plain(w)?;
        if let Some(name) = &self.name {
            w.write_all(b"name ")?;
            w.write_all(&name.0)?;
            w.write_all(b"  ")?;
        }
        write!(w, "tag {}", common::hex(&self.tag.0))?;
        if let Some(dev) = &self.dev {
            dev.plain(w)?;
        }
        if self.gpl_compatible {
            w.write_all(b"  gpl")?;
        }
        if let (Some(t), Some(c)) = (self.run_time_ns, self.run_cnt) {
            write!(w, " run_time_ns {t} run_cnt {c}")?;
        }
        if let Some(r) = self.recursion_misses {
            write!(w, " recursion_misses {r}")?;
        }
        w.write_all(b"\n")?;
        if let Some(uid) = self.uid {
            writeln!(w, "\tloaded_at {}  uid {uid}", self.loaded_at_text)?;
        }
        write!(w, "\txlated {}B", self.bytes_xlated)?;
        match self.bytes_jited {
            Some(j) => write!(w, "  jited {j}B")?,
            None => w.write_all(b"  not jited")?,
        }
        if let Some(m) = &self.memlock_text {
            write!(w, "  memlock {m}B")?;
        }
        if self.orphaned {
            w.write_all(b"  orphaned")?;
        }
        if !self.map_ids.is_empty() {
            let ids: Vec<String> = self.map_ids.iter().map(u32::to_string).collect();
            write!(w, "  map_ids {}", ids.join(","))?;
        }
        for p in self.pinned.iter().flatten() {
            w.write_all(b"\n\tpinned ")?;
            w.write_all(&p.0)?;
        }
        if let Some(b) = self.btf_id {
            write!(w, "\n\tbtf_id {b}")?;
        }
        self.holders.plain(w)?;
        w.write_all(b"\n")?;
        if let Some(m) = &self.metadata {
            m.plain(w)?;
        }
        Ok(())
    }
}

fn describe(k: &dyn Kernel, fd: BorrowedFd<'_>, caches: &mut Caches) -> Result<ProgShow> {
    let info = k
        .prog_info(fd)
        .map_err(|e| Error::Msg(format!("can't get prog info: {e}")))?;
    Ok(ProgShow::collect(k, fd, &info, caches))
}

/// `prog show [PROG]`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let k = ctx.k;
    let show_pinned = ctx.opts.bpffs;
    // The holders (a walk over /proc or a BPF iterator) and pinned paths (a walk over
    // bpffs) are gathered while the programs are read.
    std::thread::scope(|scope| {
        let tables = scope.spawn(move || ShowTables::build(k, show_pinned));
        let tables = || {
            tables
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p))
        };
        let mut caches = Caches::default();
        if args.len() == 2 {
            let handle = handles::parse_prog(args)?;
            let fds = common::prog_fds_nonempty(ctx, &handle)?;
            let items: Vec<Result<ProgShow>> = fds
                .iter()
                .map(|fd| describe(k, fd.as_fd(), &mut caches))
                .collect();
            let tables = tables();
            let many = items.len() > 1;
            if many {
                ctx.out.begin_list()?;
            }
            for item in items {
                let mut item = item?;
                item.attach_tables(&tables);
                ctx.out.emit(&item)?;
            }
            if many {
                ctx.out.end_list()?;
            }
            return Ok(());
        }
        if !args.is_empty() {
            return Err(args.bad_arg());
        }
        let (ids, walk_error) = common::all_ids(k, ObjKind::Prog, "program");
        let items =
            common::par_collect(
                &ids,
                Caches::default,
                |caches, id| match common::open_listed(k, ObjKind::Prog, id, 0, "prog")? {
                    Some(fd) => describe(k, fd.as_fd(), caches).map(Some),
                    None => Ok(None),
                },
            );
        let tables = tables();
        ctx.out.begin_list()?;
        for item in items {
            if let Some(mut item) = item? {
                item.attach_tables(&tables);
                ctx.out.emit(&item)?;
            }
        }
        if let Some(e) = walk_error {
            return Err(e);
        }
        ctx.out.end_list()?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::atoll;

    #[test]
    fn atoll_like_c() {
        assert_eq!(atoll("4096"), 4096);
        assert_eq!(atoll(" 12kB"), 12);
        assert_eq!(atoll("x"), 0);
        assert_eq!(atoll("-3"), -3);
    }
}
