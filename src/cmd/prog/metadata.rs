//! Program metadata: the `bpf_metadata_*` variables of a program's `.rodata` map.

use std::collections::HashMap;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::super::common;
use crate::btf::value::BtfValue;
use crate::btf::{Btf, Kind};
use crate::output::{Bytes, JsonWriter};
use crate::sys::{Kernel, ObjKind};

const PREFIX: &[u8] = b"bpf_metadata_";
const BPF_MAP_TYPE_ARRAY: u32 = 2;

/// The metadata variables of one program, with the bytes they live in.
#[derive(Debug, Clone)]
pub struct Metadata {
    btf: Arc<Btf>,
    value: Arc<Vec<u8>>,
    /// (name without the prefix, type id, offset in `value`).
    vars: Vec<(Vec<u8>, u32, u32)>,
}

/// What was learnt about maps and BTF objects while showing earlier programs: maps are
/// often shared, and each lookup costs several syscalls.
/// A map that holds metadata: its BTF id, datasec type id and value of key 0.
type MetadataMap = (u32, u32, Arc<Vec<u8>>);

#[derive(Debug, Default)]
pub struct MetadataCache {
    /// Map id -> (BTF id, datasec type id, value of key 0), or `None` if the map does
    /// not hold metadata.
    maps: HashMap<u32, Option<MetadataMap>>,
    /// BTF id -> whether it declares metadata variables.
    declares: HashMap<u32, bool>,
}

/// bpftool's `find_metadata`: the first map of the program that is a one-entry
/// `.rodata` array with BTF; `None` stops the search, as bpftool's error paths do.
fn find(k: &dyn Kernel, map_ids: &[u32], cache: &mut MetadataCache) -> Option<MetadataMap> {
    for &id in map_ids {
        if let Some(known) = cache.maps.get(&id) {
            match known {
                Some(hit) => return Some(hit.clone()),
                None => continue,
            }
        }
        let fd = k.fd_by_id(ObjKind::Map, id, 0).ok()?;
        let info = k.map_info(fd.as_fd()).ok()?;
        let rodata = info.name.windows(7).any(|w| w == b".rodata");
        if info.map_type != BPF_MAP_TYPE_ARRAY
            || info.key_size != 4
            || info.max_entries != 1
            || info.btf_value_type_id == 0
            || !rodata
        {
            cache.maps.insert(id, None);
            continue;
        }
        let mut value = vec![0u8; info.value_size as usize];
        k.map_lookup(fd.as_fd(), &0u32.to_ne_bytes(), &mut value)
            .ok()?;
        let hit = (info.btf_id, info.btf_value_type_id, Arc::new(value));
        cache.maps.insert(id, Some(hit.clone()));
        return Some(hit);
    }
    None
}

/// Whether a BTF object declares any `bpf_metadata_*` variable.
fn declares_metadata(btf: &Btf) -> bool {
    btf.types().any(|t| {
        t.kind() == Kind::Var
            && btf
                .str_at(t.name_off())
                .is_some_and(|n| n.starts_with(PREFIX))
    })
}

/// The metadata of a program using maps `map_ids`, if it has any.
///
/// bpftool opens the program's maps one by one to find its `.rodata`; a program whose
/// own BTF declares no `bpf_metadata_*` variable cannot have any (its loader binds only
/// its own object's `.rodata`), so those maps are not opened at all.
pub fn collect(
    k: &dyn Kernel,
    prog_btf_id: u32,
    map_ids: &[u32],
    cache: &mut MetadataCache,
    btfs: &mut common::BtfCache,
) -> Option<Metadata> {
    if map_ids.is_empty() {
        return None;
    }
    if prog_btf_id != 0 {
        let declares = *cache.declares.entry(prog_btf_id).or_insert_with(|| {
            btfs.get(k, prog_btf_id)
                .is_some_and(|btf| declares_metadata(&btf))
        });
        if !declares {
            return None;
        }
    }
    let (btf_id, sec_id, value) = find(k, map_ids, cache)?;
    let btf = btfs.get(k, btf_id)?;
    let sec = btf.type_by_id(sec_id)?;
    if sec.kind() != Kind::Datasec {
        return None;
    }
    let vars: Vec<(Vec<u8>, u32, u32)> = sec
        .var_secinfos()
        .filter_map(|v| {
            let var = btf.type_by_id(v.type_id)?;
            let name = btf.str_at(var.name_off())?;
            let short = name.strip_prefix(PREFIX)?;
            Some((short.to_vec(), var.ref_type()?, v.offset))
        })
        .collect();
    if vars.is_empty() {
        return None;
    }
    Some(Metadata { btf, value, vars })
}

impl Metadata {
    fn value_of(&self, type_id: u32, offset: u32, plain: bool) -> BtfValue<'_> {
        let data = self.value.get(offset as usize..).unwrap_or_default();
        BtfValue::new(&self.btf, type_id, data, plain)
    }

    /// bpftool's plain form: `\tmetadata:` and one `\t\tNAME = VALUE` line per
    /// variable, values in compact BTF-dumper syntax.
    pub fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        let mut jw = JsonWriter::new(w, false);
        jw.get_mut().write_all(b"\tmetadata:")?;
        for (name, ty, off) in &self.vars {
            let out = jw.get_mut();
            out.write_all(b"\n\t\t")?;
            out.write_all(name)?;
            out.write_all(b" = ")?;
            jw.reset();
            crate::output::json::write_value(&mut jw, &self.value_of(*ty, *off, true))?;
        }
        jw.get_mut().write_all(b"\n")
    }
}

impl Serialize for Metadata {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.vars.len()))?;
        for (name, ty, off) in &self.vars {
            m.serialize_entry(&Bytes(name), &self.value_of(*ty, *off, false))?;
        }
        m.end()
    }
}
