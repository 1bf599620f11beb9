//! `bpftool btf { show | list } [id BTF_ID]`.

use std::io::{self, Write};
use std::os::fd::{AsFd, BorrowedFd};

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::super::common::{sys_text, BStr, Holders, IdMultimap, ObjWalk, RefsTable};
use super::super::Ctx;
use crate::cli::{handles, Args};
use crate::error::{Error, Result};
use crate::output::Plain;
use crate::sys::{BtfInfo, Kernel, ObjKind, BPF_F_RDONLY};

/// Which programs and maps use each BTF object, in libbpf hashmap order.
#[derive(Debug, Default)]
pub struct BtfUsers {
    progs: IdMultimap<u32>,
    maps: IdMultimap<u32>,
}

/// bpftool's `build_btf_type_table` for one kind.
fn users_of(k: &dyn Kernel, kind: ObjKind, table: &mut IdMultimap<u32>) -> Result<()> {
    let what = match kind {
        ObjKind::Prog => "prog",
        _ => "map",
    };
    let flags = if kind == ObjKind::Map {
        BPF_F_RDONLY
    } else {
        0
    };
    for item in ObjWalk::new(k, kind, flags, what, what) {
        let (id, fd) = item?;
        let btf_id = match kind {
            ObjKind::Prog => k.prog_info(fd.as_fd()).map(|i| i.btf_id),
            _ => k.map_info(fd.as_fd()).map(|i| i.btf_id),
        }
        .map_err(|e| Error::Msg(format!("can't get {what} info: {e}")))?;
        if btf_id != 0 {
            table.append(btf_id, id);
        }
    }
    Ok(())
}

impl BtfUsers {
    /// Walks all programs, then all maps.
    pub fn build(k: &dyn Kernel) -> Result<BtfUsers> {
        let mut u = BtfUsers::default();
        users_of(k, ObjKind::Prog, &mut u.progs)?;
        users_of(k, ObjKind::Map, &mut u.maps)?;
        Ok(u)
    }
}

/// One BTF object as `btf show` prints it.
#[derive(Debug)]
pub struct BtfShow {
    info: BtfInfo,
    prog_ids: Vec<u32>,
    map_ids: Vec<u32>,
    holders: Holders,
}

impl BtfShow {
    /// Gathers what bpftool prints about a BTF object.
    pub fn collect(info: BtfInfo, users: &BtfUsers, refs: &RefsTable) -> BtfShow {
        BtfShow {
            prog_ids: users.progs.get(info.id).copied().collect(),
            map_ids: users.maps.get(info.id).copied().collect(),
            holders: Holders::of(refs, info.id, None),
            info,
        }
    }
}

impl Serialize for BtfShow {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &self.info.id)?;
        m.serialize_entry("size", &self.info.size)?;
        m.serialize_entry("prog_ids", &self.prog_ids)?;
        m.serialize_entry("map_ids", &self.map_ids)?;
        self.holders.serialize_into(&mut m)?;
        m.serialize_entry("kernel", &self.info.kernel_btf)?;
        if !self.info.name.is_empty() {
            m.serialize_entry("name", &BStr(self.info.name.clone()))?;
        }
        m.end()
    }
}

impl Plain for BtfShow {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        write!(w, "{}: ", self.info.id)?;
        if self.info.kernel_btf {
            w.write_all(b"name [")?;
            w.write_all(&self.info.name)?;
            w.write_all(b"]  ")?;
        } else if !self.info.name.is_empty() {
            w.write_all(b"name ")?;
            w.write_all(&self.info.name)?;
            w.write_all(b"  ")?;
        } else {
            w.write_all(b"name <anon>  ")?;
        }
        write!(w, "size {}B", self.info.size)?;
        for (i, id) in self.prog_ids.iter().enumerate() {
            write!(w, "{}{id}", if i == 0 { "  prog_ids " } else { "," })?;
        }
        for (i, id) in self.map_ids.iter().enumerate() {
            write!(w, "{}{id}", if i == 0 { "  map_ids " } else { "," })?;
        }
        self.holders.plain(w)?;
        w.write_all(b"\n")
    }
}

fn show_one(
    ctx: &mut Ctx<'_>,
    fd: BorrowedFd<'_>,
    users: &BtfUsers,
    refs: &RefsTable,
) -> Result<()> {
    let info = ctx
        .k
        .btf_info(fd)
        .map_err(|e| Error::Msg(format!("can't get BTF object info: {e}")))?;
    ctx.out.emit(&BtfShow::collect(info, users, refs))?;
    Ok(())
}

/// `btf show [id N]`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let mut one = None;
    if args.len() == 2 {
        let id = handles::parse_btf_id(args)?;
        one = Some(ctx.k.fd_by_id(ObjKind::Btf, id, 0).map_err(|e| {
            Error::Msg(format!(
                "can't get BTF object by id ({id}): {}",
                sys_text(ctx.k, &e)
            ))
        })?);
    }
    if !args.is_empty() {
        return Err(args.bad_arg());
    }
    let users = BtfUsers::build(ctx.k)?;
    let refs = RefsTable::build(ctx.k, ObjKind::Btf);
    if let Some(fd) = one {
        return show_one(ctx, fd.as_fd(), &users, &refs);
    }
    ctx.out.begin_list()?;
    for item in ObjWalk::new(ctx.k, ObjKind::Btf, 0, "BTF object", "BTF object") {
        let (_, fd) = item?;
        show_one(ctx, fd.as_fd(), &users, &refs)?;
    }
    ctx.out.end_list()?;
    Ok(())
}
