//! `bpftool map { show | list } [MAP]`.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::PathBuf;

use serde::Serialize;

use super::super::common::{self, BStr, Dev, Holders, IdMultimap, ObjWalk, RefsTable};
use super::super::prog::show::TypeName;
use super::super::Ctx;
use crate::cli::{handles, Args};
use crate::error::{Error, Result};
use crate::output::Plain;
use crate::sys::{names, Kernel, MapInfo, ObjKind, BPF_F_RDONLY};

const BPF_MAP_TYPE_PROG_ARRAY: u32 = 3;

/// C `atoi`: leading digits (after blanks and a sign), 0 if none.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, d) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let n = d.bytes().take_while(u8::is_ascii_digit).count();
    let v = d[..n].parse::<i64>().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

/// One map as `map show` prints it; field order is bpftool's JSON order.
#[derive(Debug, Serialize)]
pub struct MapShow {
    id: u32,
    #[serde(rename = "type")]
    map_type: TypeName,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<BStr>,
    flags: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    dev: Option<Dev>,
    bytes_key: u32,
    bytes_value: u32,
    max_entries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_memlock: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_prog_type: Option<TypeName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner_jited: Option<bool>,
    frozen: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    btf_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pinned: Option<Vec<BStr>>,
    #[serde(flatten)]
    holders: Holders,
    #[serde(skip)]
    memlock_text: Option<String>,
}

/// The tables `map show` looks things up in.
pub struct ShowTables {
    pinned: Option<IdMultimap<PathBuf>>,
    refs: RefsTable,
}

impl ShowTables {
    /// Builds the pinned-path table (with `-f`) and the holders table.
    pub fn build(k: &dyn Kernel, show_pinned: bool) -> ShowTables {
        ShowTables {
            pinned: show_pinned.then(|| common::pinned_table(k, ObjKind::Map)),
            refs: RefsTable::build(k, ObjKind::Map),
        }
    }
}

impl MapShow {
    /// Gathers everything bpftool prints about the map behind `fd`.
    pub fn collect(k: &dyn Kernel, fd: BorrowedFd<'_>, info: &MapInfo, t: &ShowTables) -> MapShow {
        let fdinfo = k.fdinfo(fd).unwrap_or_default();
        let memlock_text = fdinfo.get("memlock").map(str::to_owned);
        let (owner_prog_type, owner_jited) = if info.map_type == BPF_MAP_TYPE_PROG_ARRAY {
            (
                fdinfo.get("owner_prog_type").map(|v| {
                    // bpftool: atoi into an unsigned int.
                    TypeName::of(atoi(v) as u32, names::prog_type_str)
                }),
                fdinfo.get("owner_jited").map(|v| atoi(v) != 0),
            )
        } else {
            (None, None)
        };
        MapShow {
            id: info.id,
            map_type: TypeName::of(info.map_type, names::map_type_str),
            name: (!info.name.is_empty()).then(|| BStr(info.name.clone())),
            flags: info.map_flags,
            dev: Dev::of(k, info.ifindex, info.netns_dev, info.netns_ino),
            bytes_key: info.key_size,
            bytes_value: info.value_size,
            max_entries: info.max_entries,
            bytes_memlock: memlock_text.as_deref().map(atoi),
            owner_prog_type,
            owner_jited,
            frozen: fdinfo.get("frozen").map_or(0, atoi),
            btf_id: (info.btf_id != 0).then_some(info.btf_id),
            pinned: t
                .pinned
                .as_ref()
                .filter(|p| !p.is_empty())
                .map(|p| p.get(info.id).map(|x| BStr::path(x)).collect()),
            holders: Holders::of(&t.refs, info.id, None),
            memlock_text,
        }
    }
}

impl Plain for MapShow {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        write!(w, "{}: ", self.id)?;
        self.map_type.plain(w)?;
        if let Some(n) = &self.name {
            w.write_all(b"name ")?;
            w.write_all(&n.0)?;
            w.write_all(b"  ")?;
        }
        write!(w, "flags 0x{:x}", self.flags)?;
        if let Some(d) = &self.dev {
            d.plain(w)?;
        }
        write!(
            w,
            "\n\tkey {}B  value {}B  max_entries {}",
            self.bytes_key, self.bytes_value, self.max_entries
        )?;
        if let Some(m) = &self.memlock_text {
            write!(w, "  memlock {m}B")?;
        }
        if self.owner_prog_type.is_some() || self.owner_jited.is_some() {
            w.write_all(b"\n\t")?;
        }
        if let Some(t) = &self.owner_prog_type {
            w.write_all(b"owner_prog_type ")?;
            match t {
                TypeName::Known(n) => write!(w, "{n}  ")?,
                TypeName::Unknown(v) => write!(w, "{v}  ")?,
            }
        }
        if let Some(j) = self.owner_jited {
            write!(w, "owner{} jited", if j { "" } else { " not" })?;
        }
        for p in self.pinned.iter().flatten() {
            w.write_all(b"\n\tpinned ")?;
            w.write_all(&p.0)?;
        }
        if self.btf_id.is_some() || self.frozen != 0 {
            w.write_all(b"\n\t")?;
        }
        if let Some(b) = self.btf_id {
            write!(w, "btf_id {b}")?;
        }
        if self.frozen != 0 {
            write!(w, "{}frozen", if self.btf_id.is_some() { "  " } else { "" })?;
        }
        self.holders.plain(w)?;
        w.write_all(b"\n")
    }
}

fn show_one(ctx: &mut Ctx<'_>, fd: BorrowedFd<'_>, tables: &ShowTables) -> Result<()> {
    let info = ctx
        .k
        .map_info(fd)
        .map_err(|e| Error::Msg(format!("can't get map info: {e}")))?;
    let item = MapShow::collect(ctx.k, fd, &info, tables);
    ctx.out.emit(&item)?;
    Ok(())
}

/// `map show [MAP]`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let tables = ShowTables::build(ctx.k, ctx.opts.bpffs);
    if args.len() == 2 {
        let handle = handles::parse_map(args)?;
        let fds = common::map_fds(ctx, &handle, BPF_F_RDONLY)?;
        let many = fds.len() > 1;
        if many {
            ctx.out.begin_list()?;
        }
        for fd in &fds {
            show_one(ctx, fd.as_fd(), &tables)?;
        }
        if many {
            ctx.out.end_list()?;
        }
        return Ok(());
    }
    if !args.is_empty() {
        return Err(args.bad_arg());
    }
    ctx.out.begin_list()?;
    for item in ObjWalk::new(ctx.k, ObjKind::Map, BPF_F_RDONLY, "map", "map") {
        let (_, fd) = item?;
        show_one(ctx, fd.as_fd(), &tables)?;
    }
    ctx.out.end_list()?;
    Ok(())
}
