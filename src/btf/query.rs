//! Lookups on a parsed [`Btf`]: types by id, strings by offset, name search, and libbpf's
//! `btf__resolve_type` / `btf__resolve_size`.
//!
//! Lookups walk the base chain with loops, not recursion; the chain is finite by construction
//! (each base is parsed before the BTF split on it).

use super::error::BtfError;
use super::kind::Kind;
use super::parse::Btf;
use super::types::Type;

/// libbpf's `MAX_RESOLVE_DEPTH`: how many references a resolve follows before giving up.
pub const MAX_RESOLVE_DEPTH: usize = 32;

impl Btf {
    /// The type with this id, looking into the base for ids below [`Btf::start_id`]; id 0 is
    /// void.
    pub fn type_by_id(&self, id: u32) -> Option<Type<'_>> {
        if id == 0 {
            return Some(Type::void());
        }
        let mut btf = self;
        loop {
            if id >= btf.start_id {
                return btf.own_type((id - btf.start_id) as usize);
            }
            btf = btf.base.as_deref()?;
        }
    }

    /// Like [`Btf::type_by_id`], with an error naming the id.
    pub fn try_type_by_id(&self, id: u32) -> Result<Type<'_>, BtfError> {
        self.type_by_id(id).ok_or(BtfError::BadTypeId(id))
    }

    /// The bytes from string offset `off` to the end of the string section holding it.
    fn str_tail(&self, off: u32) -> Option<&[u8]> {
        let mut btf = self;
        loop {
            if off >= btf.start_str_off {
                let rel = off - btf.start_str_off;
                if rel >= btf.header.str_len {
                    return None;
                }
                let start = (btf.strs.0 as usize).checked_add(rel as usize)?;
                return btf.data.get(start..btf.strs.1 as usize);
            }
            btf = btf.base.as_deref()?;
        }
    }

    /// The NUL-terminated string at `off` (without its NUL), in this BTF or its base.
    pub fn str_at(&self, off: u32) -> Option<&[u8]> {
        let tail = self.str_tail(off)?;
        // Every string section ends with NUL (checked at parse), so this always finds one.
        let len = tail.iter().position(|&b| b == 0)?;
        tail.get(..len)
    }

    /// Like [`Btf::str_at`], with an error naming the offset.
    pub fn try_str_at(&self, off: u32) -> Result<&[u8], BtfError> {
        self.str_at(off).ok_or(BtfError::BadStringOffset(off))
    }

    /// True when the string at `off` is exactly `s`; cheaper than [`Btf::str_at`] for searches.
    pub fn str_eq(&self, off: u32, s: &[u8]) -> bool {
        match self.str_tail(off) {
            Some(tail) => tail.starts_with(s) && tail.get(s.len()) == Some(&0),
            None => false,
        }
    }

    /// The name of a type (empty for anonymous types and void).
    pub fn name_of(&self, t: &Type<'_>) -> Option<&[u8]> {
        self.str_at(t.name_off())
    }

    /// The BTFs from the root base down to this one.
    fn chain(&self) -> Vec<&Btf> {
        let mut chain = Vec::new();
        let mut btf = Some(self);
        while let Some(b) = btf {
            chain.push(b);
            btf = b.base.as_deref();
        }
        chain.reverse();
        chain
    }

    /// First type id with this name and kind, searching the base first (libbpf's
    /// `btf__find_by_name_kind`: `"void"` and kind UNKNOWN find id 0).
    pub fn find_by_name_kind(&self, name: impl AsRef<[u8]>, kind: Kind) -> Option<u32> {
        self.find(name.as_ref(), Some(kind), 1)
    }

    /// Like [`Btf::find_by_name_kind`], but only among this BTF's own types.
    pub fn find_by_name_kind_own(&self, name: impl AsRef<[u8]>, kind: Kind) -> Option<u32> {
        self.find(name.as_ref(), Some(kind), self.start_id)
    }

    /// First type id with this name, of any kind (libbpf's `btf__find_by_name`).
    pub fn find_by_name(&self, name: impl AsRef<[u8]>) -> Option<u32> {
        self.find(name.as_ref(), None, 1)
    }

    fn find(&self, name: &[u8], kind: Option<Kind>, start_id: u32) -> Option<u32> {
        if kind == Some(Kind::Unknown) || name == b"void" {
            return Some(0);
        }
        self.chain()
            .into_iter()
            .filter(|btf| btf.type_count() >= start_id)
            .flat_map(|btf| btf.types())
            .filter(|t| t.id() >= start_id)
            .find(|t| kind.is_none_or(|k| t.kind() == k) && self.str_eq(t.name_off(), name))
            .map(|t| t.id())
    }

    /// Follows typedefs, modifiers (const, volatile, restrict, type_tag) and VARs to the
    /// underlying type id, as libbpf's `btf__resolve_type`; void and loops are errors.
    pub fn resolve_type(&self, id: u32) -> Result<u32, BtfError> {
        let mut id = id;
        let mut t = self.try_type_by_id(id)?;
        let mut depth = 0;
        while depth < MAX_RESOLVE_DEPTH && !is_void_or_fwd(&t) {
            let k = t.kind();
            if !(k.is_modifier() || k == Kind::Typedef || k == Kind::Var) {
                break;
            }
            id = t.size_or_type();
            t = self.try_type_by_id(id)?;
            depth += 1;
        }
        if depth == MAX_RESOLVE_DEPTH {
            return Err(BtfError::TooDeep(id));
        }
        if is_void_or_fwd(&t) {
            return Err(BtfError::UnexpectedKind { id, kind: t.kind() });
        }
        Ok(id)
    }

    /// Size in bytes of a type, as libbpf's `btf__resolve_size`: follows typedefs, modifiers,
    /// VARs and DECL_TAGs, multiplies array dimensions, and refuses results above `u32::MAX`.
    pub fn resolve_size(&self, id: u32) -> Result<u32, BtfError> {
        let orig = id;
        let mut id = id;
        let mut nelems: u32 = 1;
        let mut size: Option<u32> = None;
        let mut t = self.try_type_by_id(id)?;
        for _ in 0..MAX_RESOLVE_DEPTH {
            if is_void_or_fwd(&t) {
                break;
            }
            match t.kind() {
                Kind::Int
                | Kind::Struct
                | Kind::Union
                | Kind::Enum
                | Kind::Enum64
                | Kind::Datasec
                | Kind::Float => {
                    size = Some(t.size_or_type());
                    break;
                }
                Kind::Ptr => {
                    size = Some(self.pointer_size_or_host());
                    break;
                }
                Kind::Typedef
                | Kind::Volatile
                | Kind::Const
                | Kind::Restrict
                | Kind::Var
                | Kind::DeclTag
                | Kind::TypeTag => id = t.size_or_type(),
                Kind::Array => {
                    let a = t.array().ok_or(BtfError::BadTypeId(id))?;
                    // libbpf skips the check once a zero-length dimension made nelems 0.
                    if nelems != 0 && a.nelems > u32::MAX / nelems {
                        return Err(BtfError::SizeOverflow(orig));
                    }
                    nelems = nelems.wrapping_mul(a.nelems);
                    id = a.elem_type;
                }
                kind => return Err(BtfError::UnexpectedKind { id, kind }),
            }
            t = self.try_type_by_id(id)?;
        }
        let size = match size {
            Some(size) => size,
            // Ran out of depth, or hit void/FWD: no size, as libbpf's -EINVAL.
            None if is_void_or_fwd(&t) => {
                return Err(BtfError::UnexpectedKind { id, kind: t.kind() })
            }
            None => return Err(BtfError::TooDeep(orig)),
        };
        if nelems != 0 && size > u32::MAX / nelems {
            return Err(BtfError::SizeOverflow(orig));
        }
        Ok(nelems.wrapping_mul(size))
    }

    /// Pointer size in bytes, from the ELF class or guessed from a `long` INT as libbpf does;
    /// `None` when the types give no hint.
    pub fn pointer_size(&self) -> Option<u32> {
        *self.ptr_size.get_or_init(|| self.guess_pointer_size())
    }

    /// Fixes the pointer size (4 or 8), as libbpf's `btf__set_pointer_size`.
    pub fn set_pointer_size(&mut self, size: u32) -> Result<(), BtfError> {
        if size != 4 && size != 8 {
            return Err(BtfError::BadPointerSize(size));
        }
        self.ptr_size = Some(size).into();
        Ok(())
    }

    /// libbpf falls back to the host's pointer size when the BTF does not tell.
    fn pointer_size_or_host(&self) -> u32 {
        self.pointer_size()
            .unwrap_or(std::mem::size_of::<usize>() as u32)
    }

    fn guess_pointer_size(&self) -> Option<u32> {
        const LONG_ALIASES: [&[u8]; 11] = [
            b"long",
            b"long int",
            b"int long",
            b"unsigned long",
            b"long unsigned",
            b"unsigned long int",
            b"unsigned int long",
            b"long unsigned int",
            b"long int unsigned",
            b"int unsigned long",
            b"int long unsigned",
        ];
        if let Some(size) = self.base.as_deref().and_then(Btf::pointer_size) {
            return Some(size);
        }
        self.types()
            .filter(|t| t.kind() == Kind::Int && matches!(t.size_or_type(), 4 | 8))
            .find(|t| {
                self.name_of(t)
                    .is_some_and(|name| LONG_ALIASES.contains(&name))
            })
            .map(|t| t.size_or_type())
    }
}

/// libbpf's `btf_type_is_void`: void itself, or a forward declaration (no size, no members).
fn is_void_or_fwd(t: &Type<'_>) -> bool {
    t.is_void() || t.kind() == Kind::Fwd
}
