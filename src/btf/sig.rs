//! bpftool's one-line rendering of a BTF type (`btf_dumper_type_only`), which `prog dump` uses
//! for the function headers (`int handle(struct __sk_buff * skb):`).
//!
//! Its spacing is bpftool's, not C's (`void * ctx`, `char[16]`), and so are its failure modes:
//! kinds it does not know (type and decl tags) or a text that reaches its 1024-byte buffer give
//! an empty signature, which callers then leave out. Reproduced rather than replaced by a C
//! declaration printer because the bytes are what `prog dump` users diff.

use super::{Btf, Kind, LINKAGE_STATIC};

/// bpftool's `func_sig` buffer size; a signature must fit with its NUL.
const SIG_BUF: usize = 1024;

/// Deepest type chain followed; kernel-checked BTF has no cycles, hostile BTF may.
const MAX_DEPTH: u32 = 64;

/// What glibc prints for a NULL `%s`: libbpf returns NULL for a bad string offset.
const NULL_STR: &[u8] = b"(null)";

/// The signature of type `type_id` as bpftool prints it, or an empty vector where bpftool
/// prints nothing.
pub fn type_only(btf: &Btf, type_id: u32) -> Vec<u8> {
    let mut sig = Sig {
        btf,
        out: Vec::new(),
    };
    match sig.type_only(type_id, 0) {
        Some(()) => sig.out,
        None => Vec::new(),
    }
}

struct Sig<'a> {
    btf: &'a Btf,
    out: Vec<u8>,
}

impl Sig<'_> {
    /// `snprintf` into the fixed buffer: fails once the text would not fit.
    fn put(&mut self, parts: &[&[u8]]) -> Option<()> {
        for p in parts {
            self.out.extend_from_slice(p);
        }
        (self.out.len() < SIG_BUF).then_some(())
    }

    fn name(&self, off: u32) -> Vec<u8> {
        self.btf.str_at(off).unwrap_or(NULL_STR).to_vec()
    }

    fn type_only(&mut self, type_id: u32, depth: u32) -> Option<()> {
        if type_id == 0 {
            return self.put(&[b"void "]);
        }
        if depth > MAX_DEPTH {
            return None;
        }
        let t = self.btf.type_by_id(type_id)?;
        let name = self.name(t.name_off());
        match t.kind() {
            Kind::Int | Kind::Typedef | Kind::Float => self.put(&[&name, b" "]),
            Kind::Struct => self.put(&[b"struct ", &name, b" "]),
            Kind::Union => self.put(&[b"union ", &name, b" "]),
            Kind::Enum | Kind::Enum64 => self.put(&[b"enum ", &name, b" "]),
            Kind::Array => {
                let a = t.array()?;
                self.type_only(a.elem_type, depth + 1)?;
                self.put(&[format!("[{}]", a.nelems).as_bytes()])
            }
            Kind::Ptr => {
                self.type_only(t.size_or_type(), depth + 1)?;
                self.put(&[b"* "])
            }
            Kind::Fwd => {
                let what: &[u8] = if t.kflag() { b"union" } else { b"struct" };
                self.put(&[what, b" ", &name, b" "])
            }
            Kind::Volatile => {
                self.put(&[b"volatile "])?;
                self.type_only(t.size_or_type(), depth + 1)
            }
            Kind::Const => {
                self.put(&[b"const "])?;
                self.type_only(t.size_or_type(), depth + 1)
            }
            Kind::Restrict => {
                self.put(&[b"restrict "])?;
                self.type_only(t.size_or_type(), depth + 1)
            }
            Kind::FuncProto => self.func(type_id, None, depth),
            Kind::Func => self.func(t.size_or_type(), Some(&name), depth),
            Kind::Var => {
                if t.var_linkage() == Some(LINKAGE_STATIC) {
                    self.put(&[b"static "])?;
                }
                self.type_only(t.size_or_type(), depth + 1)?;
                self.put(&[b" ", &name])
            }
            Kind::Datasec => self.put(&[b"section (\"", &name, b"\") "]),
            _ => None,
        }
    }

    /// bpftool's `btf_dump_func`: return type, name, parameters.
    fn func(&mut self, proto_id: u32, name: Option<&[u8]>, depth: u32) -> Option<()> {
        let proto = self.btf.type_by_id(proto_id)?;
        // The kernel only accepts a FUNC that points at a FUNC_PROTO; anything else is
        // hostile input, printed as nothing rather than misread.
        if proto.kind() != Kind::FuncProto {
            return None;
        }
        self.type_only(proto.size_or_type(), depth + 1)?;
        match name {
            Some(n) => self.put(&[n, b"("])?,
            None => self.put(&[b"("])?,
        }
        for (i, arg) in proto.params().enumerate() {
            if i > 0 {
                self.put(&[b", "])?;
            }
            if arg.type_id == 0 {
                self.put(&[b"..."])?;
                continue;
            }
            self.type_only(arg.type_id, depth + 1)?;
            if arg.name_off != 0 {
                let n = self.name(arg.name_off);
                self.put(&[&n])?;
            } else if self.out.last() == Some(&b' ') {
                // bpftool drops the space it left for a name that is not there.
                self.out.pop();
            }
        }
        self.put(&[b")"])
    }
}
