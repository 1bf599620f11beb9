//! CO-RE relocation matching, as libbpf's `relo_core.c` computes it: parse a relocation's
//! access string against the object's BTF, find which candidate types of the target BTF
//! match it, and what each match would resolve to. `gen min_core_btf` keeps exactly the
//! types and members of the (first) matching candidate, so the matching rules, their order
//! and their failures are libbpf's.
//!
//! Every walk is bounded (libbpf's depth limits, plus limits where libbpf has none), and a
//! bad type id is an error, never a crash.

use crate::btf::{Btf, Kind, Type, INT_SIGNED};

/// `BPF_CORE_SPEC_MAX_LEN`.
pub const SPEC_MAX_LEN: usize = 64;
/// How many modifiers and typedefs are skipped before giving up (libbpf has no limit).
const MAX_MODS: usize = 32;

/// `enum bpf_core_relo_kind`.
pub mod kind {
    /// `BPF_CORE_FIELD_BYTE_OFFSET`.
    pub const FIELD_BYTE_OFFSET: u32 = 0;
    /// `BPF_CORE_FIELD_BYTE_SIZE`.
    pub const FIELD_BYTE_SIZE: u32 = 1;
    /// `BPF_CORE_FIELD_EXISTS`.
    pub const FIELD_EXISTS: u32 = 2;
    /// `BPF_CORE_FIELD_SIGNED`.
    pub const FIELD_SIGNED: u32 = 3;
    /// `BPF_CORE_FIELD_LSHIFT_U64`.
    pub const FIELD_LSHIFT_U64: u32 = 4;
    /// `BPF_CORE_FIELD_RSHIFT_U64`.
    pub const FIELD_RSHIFT_U64: u32 = 5;
    /// `BPF_CORE_TYPE_ID_LOCAL`.
    pub const TYPE_ID_LOCAL: u32 = 6;
    /// `BPF_CORE_TYPE_ID_TARGET`.
    pub const TYPE_ID_TARGET: u32 = 7;
    /// `BPF_CORE_TYPE_EXISTS`.
    pub const TYPE_EXISTS: u32 = 8;
    /// `BPF_CORE_TYPE_SIZE`.
    pub const TYPE_SIZE: u32 = 9;
    /// `BPF_CORE_ENUMVAL_EXISTS`.
    pub const ENUMVAL_EXISTS: u32 = 10;
    /// `BPF_CORE_ENUMVAL_VALUE`.
    pub const ENUMVAL_VALUE: u32 = 11;
    /// `BPF_CORE_TYPE_MATCHES`.
    pub const TYPE_MATCHES: u32 = 12;

    pub(crate) fn is_field(k: u32) -> bool {
        k <= FIELD_RSHIFT_U64
    }
    pub(crate) fn is_type(k: u32) -> bool {
        matches!(
            k,
            TYPE_ID_LOCAL | TYPE_ID_TARGET | TYPE_EXISTS | TYPE_MATCHES | TYPE_SIZE
        )
    }
    pub(crate) fn is_enumval(k: u32) -> bool {
        matches!(k, ENUMVAL_EXISTS | ENUMVAL_VALUE)
    }
}

/// Why matching failed, as libbpf's negative error numbers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// `-EINVAL`.
    #[error("{0}")]
    Inval(String),
    /// `-E2BIG`.
    #[error("{0}")]
    TooBig(String),
    /// `-EOPNOTSUPP`.
    #[error("{0}")]
    NotSup(String),
}

fn inval(s: impl Into<String>) -> CoreError {
    CoreError::Inval(s.into())
}

/// One accessor of a spec (libbpf's `struct bpf_core_accessor`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accessor {
    /// The struct/union (or array element) type.
    pub type_id: u32,
    /// Field or array index.
    pub idx: u32,
    /// Field name; `None` for array accesses.
    pub name: Option<Vec<u8>>,
}

/// libbpf's `struct bpf_core_spec`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Spec {
    /// High-level accessors (named fields and array indices).
    pub spec: Vec<Accessor>,
    /// The relocation's root type, unresolved.
    pub root_type_id: u32,
    /// `enum bpf_core_relo_kind`.
    pub relo_kind: u32,
    /// Raw accessor indices, one per element of the access string.
    pub raw_spec: Vec<u32>,
    /// Bit offset of the field.
    pub bit_offset: u32,
}

/// libbpf's `struct bpf_core_relo` (a `.BTF.ext` record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Relo {
    /// Instruction offset (for messages).
    pub insn_off: u32,
    /// Local root type.
    pub type_id: u32,
    /// Access string offset in the local BTF.
    pub access_str_off: u32,
    /// Relocation kind.
    pub kind: u32,
}

/// What a relocation resolves to against one candidate (the parts libbpf compares).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelocRes {
    /// Value the instruction would get.
    pub new_val: u64,
    /// The relocation fails (instruction poisoned).
    pub poison: bool,
}

/// libbpf's `skip_mods_and_typedefs`: the type and its id under modifiers and typedefs.
pub(crate) fn skip_mods(btf: &Btf, id: u32) -> Option<(u32, Type<'_>)> {
    let mut id = id;
    let mut t = btf.type_by_id(id)?;
    for _ in 0..MAX_MODS {
        if !(t.kind().is_modifier() || t.kind() == Kind::Typedef) {
            return Some((id, t));
        }
        id = t.size_or_type();
        t = btf.type_by_id(id)?;
    }
    None
}

fn is_composite(t: &Type<'_>) -> bool {
    matches!(t.kind(), Kind::Struct | Kind::Union)
}

fn is_any_enum(t: &Type<'_>) -> bool {
    matches!(t.kind(), Kind::Enum | Kind::Enum64)
}

/// libbpf's `btf_kind_core_compat`.
pub(crate) fn kind_core_compat(a: &Type<'_>, b: &Type<'_>) -> bool {
    a.kind() == b.kind() || (is_any_enum(a) && is_any_enum(b))
}

fn name(btf: &Btf, off: u32) -> &[u8] {
    btf.str_at(off).unwrap_or(b"")
}

/// libbpf's `bpf_core_essential_name_len`: the length of a name without its `___flavor`.
pub fn essential_name_len(name: &[u8]) -> usize {
    let n = name.len();
    let is_sep = |i: usize| {
        name.get(i..i + 5).is_some_and(|s| {
            s[0] != b'_' && s[1] == b'_' && s[2] == b'_' && s[3] == b'_' && s[4] != b'_'
        })
    };
    (0..n.saturating_sub(4))
        .rev()
        .find(|&i| is_sep(i))
        .map_or(n, |i| i + 1)
}

fn int_offset(t: &Type<'_>) -> u8 {
    t.int_offset().unwrap_or(0)
}

fn member(t: &Type<'_>, idx: u32) -> Option<crate::btf::Member> {
    t.members().nth(idx as usize)
}

/// libbpf's `__bpf_core_types_are_compat`.
pub fn types_are_compat(
    local: &Btf,
    local_id: u32,
    targ: &Btf,
    targ_id: u32,
    level: i32,
) -> Result<bool, CoreError> {
    let (mut local_id, mut targ_id) = (local_id, targ_id);
    let lt = local
        .type_by_id(local_id)
        .ok_or_else(|| inval("bad local type"))?;
    let tt = targ
        .type_by_id(targ_id)
        .ok_or_else(|| inval("bad target type"))?;
    if !kind_core_compat(&lt, &tt) {
        return Ok(false);
    }
    let mut depth = 32;
    loop {
        depth -= 1;
        if depth < 0 {
            return Err(inval("types nested too deeply"));
        }
        let (lid, lt) = skip_mods(local, local_id).ok_or_else(|| inval("bad local type"))?;
        let (tid, tt) = skip_mods(targ, targ_id).ok_or_else(|| inval("bad target type"))?;
        let _ = (lid, tid);
        if !kind_core_compat(&lt, &tt) {
            return Ok(false);
        }
        match lt.kind() {
            Kind::Unknown | Kind::Struct | Kind::Union | Kind::Enum | Kind::Fwd | Kind::Enum64 => {
                return Ok(true)
            }
            Kind::Int => return Ok(int_offset(&lt) == 0 && int_offset(&tt) == 0),
            Kind::Ptr => {
                local_id = lt.size_or_type();
                targ_id = tt.size_or_type();
            }
            Kind::Array => {
                local_id = lt.array().map_or(0, |a| a.elem_type);
                targ_id = tt.array().map_or(0, |a| a.elem_type);
            }
            Kind::FuncProto => {
                if lt.vlen() != tt.vlen() {
                    return Ok(false);
                }
                for (lp, tp) in lt.params().zip(tt.params()) {
                    if level <= 0 {
                        return Err(inval("function prototypes nested too deeply"));
                    }
                    let l = skip_mods(local, lp.type_id).map_or(lp.type_id, |(id, _)| id);
                    let t = skip_mods(targ, tp.type_id).map_or(tp.type_id, |(id, _)| id);
                    if !types_are_compat(local, l, targ, t, level - 1)? {
                        return Ok(false);
                    }
                }
                local_id =
                    skip_mods(local, lt.size_or_type()).map_or(lt.size_or_type(), |(id, _)| id);
                targ_id =
                    skip_mods(targ, tt.size_or_type()).map_or(tt.size_or_type(), |(id, _)| id);
            }
            _ => return Ok(false),
        }
    }
}

/// libbpf's `bpf_core_parse_spec`.
pub fn parse_spec(btf: &Btf, relo: &Relo) -> Result<Spec, CoreError> {
    let spec_str = btf.str_at(relo.access_str_off).unwrap_or(b"");
    if spec_str.is_empty() || spec_str[0] == b':' {
        return Err(inval("empty access string"));
    }
    let mut spec = Spec {
        root_type_id: relo.type_id,
        relo_kind: relo.kind,
        ..Spec::default()
    };
    if kind::is_type(relo.kind) {
        if spec_str != b"0" {
            return Err(inval(
                "type relocation with an access string other than \"0\"",
            ));
        }
        return Ok(spec);
    }
    let mut s = spec_str;
    while !s.is_empty() {
        if s[0] == b':' {
            s = &s[1..];
        }
        let (v, used) = scan_int(s).ok_or_else(|| inval("bad access string"))?;
        if v < 0 {
            return Err(inval("negative access index"));
        }
        if spec.raw_spec.len() == SPEC_MAX_LEN {
            return Err(CoreError::TooBig("access string too long".into()));
        }
        s = &s[used..];
        // Non-negative and parsed from an int, so it fits.
        spec.raw_spec.push(v as u32);
    }
    if spec.raw_spec.is_empty() {
        return Err(inval("empty access string"));
    }
    let (mut id, t) = skip_mods(btf, relo.type_id).ok_or_else(|| inval("bad root type"))?;
    let access_idx = spec.raw_spec[0];
    spec.spec.push(Accessor {
        type_id: id,
        idx: access_idx,
        name: None,
    });
    if kind::is_enumval(relo.kind) {
        if !is_any_enum(&t) || spec.raw_spec.len() > 1 || access_idx >= t.vlen() {
            return Err(inval("bad enum value access"));
        }
        let v = t
            .enum_values()
            .nth(access_idx as usize)
            .ok_or_else(|| inval("bad enum value"))?;
        spec.spec[0].name = Some(name(btf, v.name_off).to_vec());
        return Ok(spec);
    }
    if !kind::is_field(relo.kind) {
        return Err(inval("unknown relocation kind"));
    }
    let sz = i64::from(btf.resolve_size(id).map_err(|e| inval(e.to_string()))?);
    spec.bit_offset = (i64::from(access_idx) * sz * 8) as u32;
    for i in 1..spec.raw_spec.len() {
        let (tid, t) = skip_mods(btf, id).ok_or_else(|| inval("bad type"))?;
        id = tid;
        let access_idx = spec.raw_spec[i];
        if is_composite(&t) {
            if access_idx >= t.vlen() {
                return Err(inval("member index out of range"));
            }
            let m = member(&t, access_idx).ok_or_else(|| inval("bad member"))?;
            spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset);
            if m.name_off != 0 {
                let n = name(btf, m.name_off);
                if n.is_empty() {
                    return Err(inval("member without a name"));
                }
                if spec.spec.len() == SPEC_MAX_LEN {
                    return Err(CoreError::TooBig("spec too long".into()));
                }
                spec.spec.push(Accessor {
                    type_id: id,
                    idx: access_idx,
                    name: Some(n.to_vec()),
                });
            }
            id = m.type_id;
        } else if let Some(a) = t.array() {
            let (eid, _) = skip_mods(btf, a.elem_type).ok_or_else(|| inval("bad element type"))?;
            id = eid;
            let flex = spec
                .spec
                .last()
                .is_some_and(|prev| is_flex_arr(btf, prev, a.nelems));
            if !flex && access_idx >= a.nelems {
                return Err(inval("array index out of range"));
            }
            if spec.spec.len() == SPEC_MAX_LEN {
                return Err(CoreError::TooBig("spec too long".into()));
            }
            spec.spec.push(Accessor {
                type_id: id,
                idx: access_idx,
                name: None,
            });
            let sz = i64::from(btf.resolve_size(id).map_err(|e| inval(e.to_string()))?);
            spec.bit_offset = spec
                .bit_offset
                .wrapping_add((i64::from(access_idx) * sz * 8) as u32);
        } else {
            return Err(inval(format!(
                "relo for [{}] captures type [{id}] of unexpected kind {}",
                relo.type_id,
                t.kind()
            )));
        }
    }
    Ok(spec)
}

/// `sscanf("%d%n")`: an optionally signed decimal int after optional blanks.
fn scan_int(s: &[u8]) -> Option<(i64, usize)> {
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'-' || s[i] == b'+') {
        neg = s[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(s[i] - b'0'));
        i += 1;
    }
    if i == start {
        return None;
    }
    // %d stores an int: larger values wrap in practice.
    let v = if neg { -v } else { v };
    Some((i64::from(v as i32), i))
}

/// libbpf's `is_flex_arr`: the last member of a struct, declared `[0]`.
fn is_flex_arr(btf: &Btf, acc: &Accessor, nelems: u32) -> bool {
    if acc.name.is_none() || nelems > 0 {
        return false;
    }
    btf.type_by_id(acc.type_id)
        .is_some_and(|t| acc.idx == t.vlen().wrapping_sub(1))
}

/// libbpf's `bpf_core_fields_are_compat`.
fn fields_are_compat(
    local: &Btf,
    local_id: u32,
    targ: &Btf,
    targ_id: u32,
) -> Result<bool, CoreError> {
    let (mut local_id, mut targ_id) = (local_id, targ_id);
    for _ in 0..MAX_MODS * 8 {
        let (_, lt) = skip_mods(local, local_id).ok_or_else(|| inval("bad local type"))?;
        let (_, tt) = skip_mods(targ, targ_id).ok_or_else(|| inval("bad target type"))?;
        if is_composite(&lt) && is_composite(&tt) {
            return Ok(true);
        }
        if !kind_core_compat(&lt, &tt) {
            return Ok(false);
        }
        match lt.kind() {
            Kind::Ptr | Kind::Float => return Ok(true),
            Kind::Fwd | Kind::Enum64 | Kind::Enum => {
                let ln = name(local, lt.name_off());
                let tn = name(targ, tt.name_off());
                let ll = essential_name_len(ln);
                let tl = essential_name_len(tn);
                return Ok(ll == 0 || tl == 0 || (ll == tl && ln[..ll] == tn[..tl]));
            }
            Kind::Int => return Ok(int_offset(&lt) == 0 && int_offset(&tt) == 0),
            Kind::Array => {
                local_id = lt.array().map_or(0, |a| a.elem_type);
                targ_id = tt.array().map_or(0, |a| a.elem_type);
            }
            _ => return Ok(false),
        }
    }
    Err(inval("array types nested too deeply"))
}

/// libbpf's `bpf_core_match_member`: finds the local accessor's field in `targ_id`, looking
/// into anonymous members; extends `spec` on the way.
fn match_member(
    local: &Btf,
    local_acc: &Accessor,
    targ: &Btf,
    targ_id: u32,
    spec: &mut Spec,
    depth: usize,
) -> Result<bool, CoreError> {
    if depth > SPEC_MAX_LEN {
        return Err(CoreError::TooBig(
            "anonymous members nested too deeply".into(),
        ));
    }
    let (targ_id, tt) = skip_mods(targ, targ_id).ok_or_else(|| inval("bad target type"))?;
    if !is_composite(&tt) {
        return Ok(false);
    }
    let lt = local
        .type_by_id(local_acc.type_id)
        .ok_or_else(|| inval("bad local type"))?;
    let lm = member(&lt, local_acc.idx).ok_or_else(|| inval("bad local member"))?;
    let local_name = name(local, lm.name_off);
    for (i, m) in tt.members().enumerate() {
        if spec.raw_spec.len() == SPEC_MAX_LEN {
            return Err(CoreError::TooBig("spec too long".into()));
        }
        spec.bit_offset = spec.bit_offset.wrapping_add(m.bit_offset);
        spec.raw_spec.push(i as u32);
        let targ_name = name(targ, m.name_off);
        if targ_name.is_empty() {
            if match_member(local, local_acc, targ, m.type_id, spec, depth + 1)? {
                return Ok(true);
            }
        } else if targ_name == local_name {
            if spec.spec.len() == SPEC_MAX_LEN {
                return Err(CoreError::TooBig("spec too long".into()));
            }
            spec.spec.push(Accessor {
                type_id: targ_id,
                idx: i as u32,
                name: Some(targ_name.to_vec()),
            });
            let found = fields_are_compat(local, lm.type_id, targ, m.type_id)?;
            if !found {
                spec.spec.pop();
            }
            return Ok(found);
        }
        spec.bit_offset = spec.bit_offset.wrapping_sub(m.bit_offset);
        spec.raw_spec.pop();
    }
    Ok(false)
}

/// libbpf's `bpf_core_spec_match`: does candidate `targ_id` match `local_spec`? Fills
/// `targ_spec` as far as it got.
pub fn spec_match(
    local: &Btf,
    local_spec: &Spec,
    targ: &Btf,
    targ_id: u32,
    targ_spec: &mut Spec,
) -> Result<bool, CoreError> {
    *targ_spec = Spec {
        root_type_id: targ_id,
        relo_kind: local_spec.relo_kind,
        ..Spec::default()
    };
    if kind::is_type(local_spec.relo_kind) {
        return if local_spec.relo_kind == kind::TYPE_MATCHES {
            types_match(local, local_spec.root_type_id, targ, targ_id, false, 32)
        } else {
            types_are_compat(local, local_spec.root_type_id, targ, targ_id, 32)
        };
    }
    let Some(local_acc0) = local_spec.spec.first() else {
        return Err(inval("empty spec"));
    };
    if kind::is_enumval(local_spec.relo_kind) {
        let Some((tid, tt)) = skip_mods(targ, targ_id) else {
            return Ok(false);
        };
        if !is_any_enum(&tt) {
            return Ok(false);
        }
        let lname = local_acc0.name.as_deref().unwrap_or(b"");
        let llen = essential_name_len(lname);
        for (i, v) in tt.enum_values().enumerate() {
            let tn = name(targ, v.name_off);
            if essential_name_len(tn) != llen {
                continue;
            }
            if lname.get(..llen) == tn.get(..llen) {
                targ_spec.spec.push(Accessor {
                    type_id: tid,
                    idx: i as u32,
                    name: Some(tn.to_vec()),
                });
                targ_spec.raw_spec.push(i as u32);
                return Ok(true);
            }
        }
        return Ok(false);
    }
    if !kind::is_field(local_spec.relo_kind) {
        return Err(inval("unknown relocation kind"));
    }
    let mut targ_id = targ_id;
    for (i, local_acc) in local_spec.spec.iter().enumerate() {
        let (tid, tt) = skip_mods(targ, targ_id).ok_or_else(|| inval("bad target type"))?;
        targ_id = tid;
        if local_acc.name.is_some() {
            let before = targ_spec.spec.len();
            if !match_member(local, local_acc, targ, targ_id, targ_spec, 0)? {
                return Ok(false);
            }
            // The matched member's type is where the next accessor starts.
            let acc = targ_spec
                .spec
                .get(before)
                .cloned()
                .ok_or_else(|| inval("lost accessor"))?;
            let owner = targ
                .type_by_id(acc.type_id)
                .ok_or_else(|| inval("bad type"))?;
            targ_id = member(&owner, acc.idx).map_or(0, |m| m.type_id);
        } else {
            if i > 0 {
                let Some(a) = tt.array() else {
                    return Ok(false);
                };
                let flex = targ_spec
                    .spec
                    .last()
                    .is_some_and(|prev| is_flex_arr(targ, prev, a.nelems));
                if !flex && local_acc.idx >= a.nelems {
                    return Ok(false);
                }
                let (eid, _) =
                    skip_mods(targ, a.elem_type).ok_or_else(|| inval("bad element type"))?;
                targ_id = eid;
            }
            if targ_spec.raw_spec.len() == SPEC_MAX_LEN {
                return Err(CoreError::TooBig("spec too long".into()));
            }
            targ_spec.spec.push(Accessor {
                type_id: targ_id,
                idx: local_acc.idx,
                name: None,
            });
            targ_spec.raw_spec.push(local_acc.idx);
            let sz = i64::from(
                targ.resolve_size(targ_id)
                    .map_err(|e| inval(e.to_string()))?,
            );
            targ_spec.bit_offset = targ_spec
                .bit_offset
                .wrapping_add((i64::from(local_acc.idx) * sz * 8) as u32);
        }
    }
    Ok(true)
}

/// libbpf's `bpf_core_names_match`.
fn names_match(local: &Btf, local_off: u32, targ: &Btf, targ_off: u32) -> bool {
    let ln = name(local, local_off);
    let tn = name(targ, targ_off);
    if tn.is_empty() {
        return ln.is_empty();
    }
    let tl = essential_name_len(tn);
    let ll = essential_name_len(ln);
    tl == ll && ln.get(..ll) == tn.get(..tl)
}

/// libbpf's `__bpf_core_types_match` (`TYPE_MATCHES` relocations).
pub fn types_match(
    local: &Btf,
    local_id: u32,
    targ: &Btf,
    targ_id: u32,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, CoreError> {
    if level <= 0 {
        return Err(inval("types nested too deeply"));
    }
    let (mut local_id, mut targ_id, mut behind_ptr) = (local_id, targ_id, behind_ptr);
    let mut depth = 32;
    loop {
        depth -= 1;
        if depth < 0 {
            return Err(inval("types nested too deeply"));
        }
        let (_, lt) = skip_mods(local, local_id).ok_or_else(|| inval("bad local type"))?;
        let (_, tt) = skip_mods(targ, targ_id).ok_or_else(|| inval("bad target type"))?;
        if !names_match(local, lt.name_off(), targ, tt.name_off()) {
            return Ok(false);
        }
        let (lk, tk) = (lt.kind(), tt.kind());
        match lk {
            Kind::Unknown => return Ok(lk == tk),
            Kind::Fwd => {
                let lf = lt.kflag();
                if behind_ptr {
                    if lk == tk {
                        return Ok(lf == tt.kflag());
                    }
                    return Ok((tk == Kind::Struct && !lf) || (tk == Kind::Union && lf));
                }
                return Ok(lk == tk && lf == tt.kflag());
            }
            Kind::Enum | Kind::Enum64 => {
                if !is_any_enum(&tt) {
                    return Ok(false);
                }
                return Ok(enums_match(local, &lt, targ, &tt));
            }
            Kind::Struct | Kind::Union => {
                if behind_ptr {
                    if lk == tk {
                        return Ok(true);
                    }
                    if tk != Kind::Fwd {
                        return Ok(false);
                    }
                    return Ok((lk == Kind::Union) == tt.kflag());
                }
                if lk != tk {
                    return Ok(false);
                }
                return composites_match(local, &lt, targ, &tt, behind_ptr, level);
            }
            Kind::Int => {
                if lk != tk {
                    return Ok(false);
                }
                let ls = lt.int_encoding().is_some_and(|e| e.0 & INT_SIGNED != 0);
                let ts = tt.int_encoding().is_some_and(|e| e.0 & INT_SIGNED != 0);
                return Ok(lt.size_or_type() == tt.size_or_type() && ls == ts);
            }
            Kind::Ptr => {
                if lk != tk {
                    return Ok(false);
                }
                behind_ptr = true;
                local_id = lt.size_or_type();
                targ_id = tt.size_or_type();
            }
            Kind::Array => {
                if lk != tk {
                    return Ok(false);
                }
                let (la, ta) = (lt.array(), tt.array());
                if la.map(|a| a.nelems) != ta.map(|a| a.nelems) {
                    return Ok(false);
                }
                local_id = la.map_or(0, |a| a.elem_type);
                targ_id = ta.map_or(0, |a| a.elem_type);
            }
            Kind::FuncProto => {
                if lk != tk || lt.vlen() != tt.vlen() {
                    return Ok(false);
                }
                for (lp, tp) in lt.params().zip(tt.params()) {
                    if !types_match(local, lp.type_id, targ, tp.type_id, behind_ptr, level - 1)? {
                        return Ok(false);
                    }
                }
                local_id = lt.size_or_type();
                targ_id = tt.size_or_type();
            }
            _ => return Ok(false),
        }
    }
}

/// libbpf's `bpf_core_enums_match`.
fn enums_match(local: &Btf, lt: &Type<'_>, targ: &Btf, tt: &Type<'_>) -> bool {
    if lt.size_or_type() != tt.size_or_type() || lt.vlen() > tt.vlen() {
        return false;
    }
    lt.enum_values().all(|lv| {
        tt.enum_values()
            .any(|tv| names_match(local, lv.name_off, targ, tv.name_off))
    })
}

/// libbpf's `bpf_core_composites_match`.
fn composites_match(
    local: &Btf,
    lt: &Type<'_>,
    targ: &Btf,
    tt: &Type<'_>,
    behind_ptr: bool,
    level: i32,
) -> Result<bool, CoreError> {
    if lt.vlen() > tt.vlen() {
        return Ok(false);
    }
    for lm in lt.members() {
        let mut matched = false;
        for tm in tt.members() {
            if !names_match(local, lm.name_off, targ, tm.name_off) {
                continue;
            }
            if types_match(local, lm.type_id, targ, tm.type_id, behind_ptr, level - 1)? {
                matched = true;
                break;
            }
        }
        if !matched {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The "value" side of libbpf's `bpf_core_calc_relo` for one spec (`None`: no match), as
/// far as the choice between candidates depends on it.
fn calc(btf: &Btf, relo: &Relo, spec: Option<&Spec>) -> Result<RelocRes, CoreError> {
    let poison = Ok(RelocRes {
        new_val: 0,
        poison: true,
    });
    let val = |v: u64| {
        Ok(RelocRes {
            new_val: v,
            poison: false,
        })
    };
    let k = relo.kind;
    if kind::is_field(k) {
        if k == kind::FIELD_EXISTS {
            return val(u64::from(spec.is_some()));
        }
        let Some(spec) = spec else { return poison };
        let acc = spec.spec.last().ok_or_else(|| inval("empty spec"))?;
        let t = btf
            .type_by_id(acc.type_id)
            .ok_or_else(|| inval("bad type"))?;
        if acc.name.is_none() {
            return match k {
                kind::FIELD_BYTE_OFFSET => {
                    let mut elem = skip_mods(btf, acc.type_id).ok_or_else(|| inval("bad type"))?;
                    for _ in 0..MAX_MODS {
                        let Some(a) = elem.1.array() else { break };
                        elem = skip_mods(btf, a.elem_type).ok_or_else(|| inval("bad type"))?;
                    }
                    btf.resolve_size(elem.0).map_err(|e| inval(e.to_string()))?;
                    val(u64::from(spec.bit_offset / 8))
                }
                kind::FIELD_BYTE_SIZE => val(u64::from(
                    btf.resolve_size(acc.type_id)
                        .map_err(|e| inval(e.to_string()))?,
                )),
                _ => Err(inval(format!(
                    "relo {k} at insn #{} can't be applied to array access",
                    relo.insn_off / 8
                ))),
            };
        }
        let m = member(&t, acc.idx).ok_or_else(|| inval("bad member"))?;
        let (field_type_id, mt) = skip_mods(btf, m.type_id).ok_or_else(|| inval("bad type"))?;
        let bit_off = spec.bit_offset;
        let mut bit_sz = m.bitfield_size;
        let bitfield = bit_sz > 0;
        let (byte_off, byte_sz);
        if bitfield {
            let mut bs = mt.size_or_type();
            if bs == 0 {
                return Err(inval("bitfield of a sizeless type"));
            }
            let mut bo = bit_off / 8 / bs * bs;
            while u64::from(bit_off) + u64::from(bit_sz) - u64::from(bo) * 8 > u64::from(bs) * 8 {
                if bs >= 8 {
                    return Err(CoreError::TooBig(format!(
                        "relo {k} at insn #{} can't be satisfied for bitfield",
                        relo.insn_off / 8
                    )));
                }
                bs *= 2;
                bo = bit_off / 8 / bs * bs;
            }
            byte_sz = bs;
            byte_off = bo;
        } else {
            byte_sz = btf
                .resolve_size(field_type_id)
                .map_err(|e| inval(e.to_string()))?;
            byte_off = bit_off / 8;
            bit_sz = byte_sz.wrapping_mul(8);
        }
        return match k {
            kind::FIELD_BYTE_OFFSET => {
                if !bitfield {
                    let mut elem = (field_type_id, mt);
                    for _ in 0..MAX_MODS {
                        let Some(a) = elem.1.array() else { break };
                        elem = skip_mods(btf, a.elem_type).ok_or_else(|| inval("bad type"))?;
                    }
                    btf.resolve_size(elem.0).map_err(|e| inval(e.to_string()))?;
                }
                val(u64::from(byte_off))
            }
            kind::FIELD_BYTE_SIZE => val(u64::from(byte_sz)),
            kind::FIELD_SIGNED => {
                let signed = (is_any_enum(&mt) && mt.kflag())
                    || (mt.kind() == Kind::Int
                        && mt.int_encoding().is_some_and(|e| e.0 & INT_SIGNED != 0));
                val(u64::from(signed))
            }
            kind::FIELD_LSHIFT_U64 => {
                let v = 64i64 - (i64::from(bit_off) + i64::from(bit_sz) - i64::from(byte_off) * 8);
                val(u64::from(v as u32))
            }
            kind::FIELD_RSHIFT_U64 => val(u64::from(64u32.wrapping_sub(bit_sz))),
            _ => Err(CoreError::NotSup("unrecognized CO-RE relocation".into())),
        };
    }
    if kind::is_type(k) {
        let Some(spec) = spec else { return val(0) };
        return match k {
            kind::TYPE_ID_TARGET => val(u64::from(spec.root_type_id)),
            kind::TYPE_EXISTS | kind::TYPE_MATCHES => val(1),
            kind::TYPE_SIZE => val(u64::from(
                btf.resolve_size(spec.root_type_id)
                    .map_err(|e| inval(e.to_string()))?,
            )),
            _ => Err(CoreError::NotSup("unrecognized CO-RE relocation".into())),
        };
    }
    if kind::is_enumval(k) {
        return match k {
            kind::ENUMVAL_EXISTS => val(u64::from(spec.is_some())),
            _ => {
                let Some(spec) = spec else { return poison };
                let acc = spec.spec.first().ok_or_else(|| inval("empty spec"))?;
                let t = btf
                    .type_by_id(acc.type_id)
                    .ok_or_else(|| inval("bad type"))?;
                let v = t
                    .enum_values()
                    .nth(acc.idx as usize)
                    .ok_or_else(|| inval("bad enum value"))?;
                // struct btf_enum's val is a __s32: it sign-extends into the u64.
                let n = if v.is_64 {
                    v.value_u64()
                } else {
                    (v.lo32 as i32) as i64 as u64
                };
                val(n)
            }
        };
    }
    Err(CoreError::NotSup(format!(
        "unrecognized CO-RE relocation kind {k}"
    )))
}

/// libbpf's `bpf_core_calc_relo` for a local spec and a candidate: fails where libbpf fails,
/// and returns what libbpf compares between candidates.
fn calc_relo(
    local: &Btf,
    targ: &Btf,
    relo: &Relo,
    local_spec: &Spec,
    targ_spec: Option<&Spec>,
) -> Result<RelocRes, CoreError> {
    calc(local, relo, Some(local_spec))?;
    calc(targ, relo, targ_spec)
}

/// libbpf's `bpf_core_calc_relo_insn` for `gen min_core_btf`: the target spec (the first
/// matching candidate's, or an empty one when none matches). `cands` is narrowed to the
/// matching candidates, as libbpf narrows its cached list.
pub fn calc_relo_insn(
    local: &Btf,
    targ: &Btf,
    relo: &Relo,
    cands: &mut Vec<u32>,
) -> Result<Spec, CoreError> {
    let local_type = local
        .type_by_id(relo.type_id)
        .ok_or_else(|| inval(format!("bad local type id {}", relo.type_id)))?;
    let local_name = local
        .str_at(local_type.name_off())
        .ok_or_else(|| inval("local type without a name string"))?;
    let local_spec = parse_spec(local, relo).map_err(|e| {
        inval(format!(
            "parsing [{}] {} {} + {} failed: {e}",
            relo.type_id,
            local_type.kind(),
            if local_name.is_empty() {
                "<anon>".into()
            } else {
                String::from_utf8_lossy(local_name)
            },
            String::from_utf8_lossy(local.str_at(relo.access_str_off).unwrap_or(b"<?>"))
        ))
    })?;
    if relo.kind == kind::TYPE_ID_LOCAL {
        return Ok(Spec::default());
    }
    if local_name.is_empty() {
        return Err(CoreError::NotSup(format!(
            "<{}> ({}) relocation doesn't support anonymous types",
            relo.kind, relo.kind
        )));
    }
    let mut targ_spec = Spec::default();
    let mut targ_res = RelocRes::default();
    let mut kept = Vec::new();
    let mut cand_spec = Spec::default();
    for &cand in cands.iter() {
        if !spec_match(local, &local_spec, targ, cand, &mut cand_spec)? {
            continue;
        }
        let res = calc_relo(local, targ, relo, &local_spec, Some(&cand_spec))?;
        if kept.is_empty() {
            targ_res = res;
            targ_spec = cand_spec.clone();
        } else if cand_spec.bit_offset != targ_spec.bit_offset {
            return Err(inval(format!(
                "field offset ambiguity: {} != {}",
                cand_spec.bit_offset, targ_spec.bit_offset
            )));
        } else if res.poison != targ_res.poison || res.new_val != targ_res.new_val {
            return Err(inval(format!(
                "relocation decision ambiguity: {} {} != {} {}",
                if res.poison { "failure" } else { "success" },
                res.new_val,
                if targ_res.poison {
                    "failure"
                } else {
                    "success"
                },
                targ_res.new_val
            )));
        }
        kept.push(cand);
    }
    if kept.is_empty() {
        calc_relo(local, targ, relo, &local_spec, None)?;
        return Ok(Spec::default());
    }
    *cands = kept;
    Ok(targ_spec)
}

/// The target BTF's named types grouped by essential name, in id order, so that finding
/// candidates costs a lookup rather than a pass over every type (vmlinux has 100k+).
pub struct CandIndex {
    by_name: std::collections::HashMap<Vec<u8>, Vec<u32>>,
}

impl CandIndex {
    /// Indexes every named type of `targ`.
    pub fn new(targ: &Btf) -> CandIndex {
        let mut by_name: std::collections::HashMap<Vec<u8>, Vec<u32>> =
            std::collections::HashMap::new();
        for t in targ.types() {
            let n = name(targ, t.name_off());
            if n.is_empty() {
                continue;
            }
            let ess = &n[..essential_name_len(n)];
            by_name.entry(ess.to_vec()).or_default().push(t.id());
        }
        CandIndex { by_name }
    }

    /// libbpf's `bpf_core_add_cands` over the whole target BTF: the types whose kind is
    /// compatible with the local type and whose essential name equals its essential name.
    pub fn find(&self, local: &Btf, local_id: u32, targ: &Btf) -> Result<Vec<u32>, CoreError> {
        let lt = local
            .type_by_id(local_id)
            .ok_or_else(|| inval(format!("bad local type id {local_id}")))?;
        let lname = local
            .str_at(lt.name_off())
            .ok_or_else(|| inval("local type without a name string"))?;
        let ess = &lname[..essential_name_len(lname)];
        Ok(self
            .by_name
            .get(ess)
            .map(|ids| {
                ids.iter()
                    .copied()
                    .filter(|&id| {
                        targ.type_by_id(id)
                            .is_some_and(|t| kind_core_compat(&t, &lt))
                    })
                    .collect()
            })
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essential_names() {
        assert_eq!(essential_name_len(b"task_struct"), 11);
        assert_eq!(essential_name_len(b"task_struct___old"), 11);
        assert_eq!(essential_name_len(b"a___b"), 1);
        assert_eq!(essential_name_len(b"a____b"), 6);
        assert_eq!(essential_name_len(b"___x"), 4);
        assert_eq!(essential_name_len(b"ab"), 2);
        assert_eq!(essential_name_len(b""), 0);
    }

    #[test]
    fn scanf_ints() {
        assert_eq!(scan_int(b"12:3"), Some((12, 2)));
        assert_eq!(scan_int(b"-1"), Some((-1, 2)));
        assert_eq!(scan_int(b":"), None);
    }
}
