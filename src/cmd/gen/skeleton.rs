//! `bpftool gen skeleton FILE [name NAME]` (`-L`: light skeleton) and
//! `bpftool gen subskeleton FILE [name NAME]`.

use std::ffi::OsString;
use std::path::Path;

use super::super::Ctx;
use crate::cli::{is_prefix, show, Args};
use crate::error::{Error, Result};
use crate::skeleton::{c, sanitize_identifier, MapKind, Object, MAP_TYPE_ARENA};

/// bpftool's `MAX_OBJ_NAME_LEN`: names are cut to 63 bytes.
const MAX_OBJ_NAME_LEN: usize = 64;

/// What the command line asked for.
struct Request {
    file: OsString,
    name: Option<String>,
}

/// bpftool's `REQ_ARGS(n)` followed by `usage()`: the message, then the help.
pub(super) fn require_or_usage(ctx: &mut Ctx<'_>, args: &Args, n: usize) -> Result<()> {
    if let Err(Error::Msg(m)) = args.require(n) {
        ctx.out.error(&m)?;
        return Err(args.usage());
    }
    Ok(())
}

fn parse(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<Request> {
    require_or_usage(ctx, args, 1)?;
    let file = args.take()?;
    let mut name: Option<String> = None;
    while !args.is_empty() {
        args.require(2)?;
        let word = args.peek().unwrap_or_default().to_owned();
        if !is_prefix(&word, "name") {
            return Err(Error::Msg(format!("unknown arg {}", show(&word))));
        }
        args.advance();
        if name.is_some() {
            return Err(Error::Msg("object name already specified".into()));
        }
        let v = args.take()?;
        let mut bytes = v.as_encoded_bytes().to_vec();
        bytes.truncate(MAX_OBJ_NAME_LEN - 1);
        name = Some(String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(Request { file, name })
}

/// bpftool's `get_obj_name`: the file's base name without `.o`, as an identifier.
fn obj_name_from_file(file: &Path) -> String {
    let base = file
        .file_name()
        .map(|b| b.as_encoded_bytes().to_vec())
        .unwrap_or_else(|| file.as_os_str().as_encoded_bytes().to_vec());
    let mut name = base;
    name.truncate(MAX_OBJ_NAME_LEN - 1);
    if name.ends_with(b".o") {
        name.truncate(name.len() - 2);
    }
    sanitize_identifier(&String::from_utf8_lossy(&name))
}

/// Reads the object as bpftool does (stat, open, mmap), with its messages.
fn read_object(file: &OsString) -> Result<Vec<u8>> {
    let shown = show(file);
    let path = Path::new(file);
    let errno = |e: &std::io::Error| crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO));
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::Msg(format!("failed to stat() {shown}: {}", errno(&e))))?;
    let mut f = std::fs::File::open(path)
        .map_err(|e| Error::Msg(format!("failed to open() {shown}: {}", errno(&e))))?;
    if meta.len() == 0 {
        // mmap() of zero bytes fails with EINVAL.
        return Err(Error::Msg(format!(
            "failed to mmap() {shown}: {}",
            crate::sys::strerror(libc::EINVAL)
        )));
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::io::Read::read_to_end(&mut f, &mut data)
        .map_err(|e| Error::Msg(format!("failed to mmap() {shown}: {}", errno(&e))))?;
    Ok(data)
}

fn open_error(e: crate::skeleton::OpenError) -> Error {
    Error::Msg(format!("failed to open BPF object file: {e}"))
}

/// Writes a whole generated header to stdout.
fn write_out(ctx: &mut Ctx<'_>, text: &str) -> Result<()> {
    ctx.out.plain_writer().write_all(text.as_bytes())?;
    Ok(())
}

/// `gen skeleton`.
pub fn skeleton(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let req = parse(ctx, args)?;
    let data = read_object(&req.file)?;
    let name = req
        .name
        .unwrap_or_else(|| obj_name_from_file(Path::new(&req.file)));
    if ctx.opts.sign {
        return Err(super::super::not_yet("gen skeleton --sign"));
    }
    let obj = Object::open(&data, &name).map_err(open_error)?;
    let text = if ctx.opts.use_loader {
        let log_level = if ctx.opts.debug { 1 + 2 + 4 } else { 0 };
        let blob = loader_blob(&obj, &data, &name, log_level)?;
        c::light_skeleton(&obj, &name, &blob)
    } else {
        c::skeleton(&obj, &name)
    }
    .map_err(|e| Error::Msg(e.to_string()))?;
    write_out(ctx, &text)
}

/// The loader program libbpf generates for the object, with the maps' initial values as
/// libbpf holds them after its recorded load.
fn loader_blob(obj: &Object<'_>, data: &[u8], name: &str, log_level: u32) -> Result<c::LoaderBlob> {
    // libbpf's loader generator dereferences the (never loaded) vmlinux BTF for struct_ops
    // maps and crashes; bpftool dies with SIGSEGV there.
    if let Some(m) = obj
        .maps
        .iter()
        .find(|m| m.kind == MapKind::StructOps && m.autocreate)
    {
        return Err(Error::Msg(format!(
            "light skeletons do not support struct_ops maps (map '{}')",
            m.name
        )));
    }
    // With __arena globals, libbpf's loader generator copies them into a mapping of a map
    // that does not exist yet: bpftool dies with SIGBUS.
    if let Some(m) = obj
        .maps
        .iter()
        .find(|m| m.map_type == MAP_TYPE_ARENA && m.initial_value.is_some())
    {
        return Err(Error::Msg(format!(
            "light skeletons do not support __arena global variables (map '{}')",
            m.name
        )));
    }
    let gen = crate::sys::libbpf::gen_loader(data, name, log_level, &newer_prog_types(obj))
        .map_err(|e| Error::Msg(e.to_string()))?;
    // libbpf and the model must agree on the maps, or the header would index the loader's
    // map table wrongly.
    let names: Vec<&str> = obj.maps.iter().map(|m| m.name.as_str()).collect();
    let theirs: Vec<&str> = gen.maps.iter().map(|m| m.0.as_str()).collect();
    if names != theirs {
        return Err(Error::Msg(format!(
            "libbpf sees maps {theirs:?} where bpftool-rs sees {names:?}"
        )));
    }
    Ok(c::LoaderBlob {
        data: gen.data,
        insns: gen.insns,
        initial_values: gen.maps.into_iter().map(|m| m.1).collect(),
    })
}

/// Sleepable tracepoint sections (`tp.s/...`) are newer than the libbpf linked in, which
/// would leave such programs without a type; their type and flag are all that these
/// section names add, so they are set here as the newest libbpf sets them. (Newer
/// sections that resolve BTF attach targets are left to libbpf.)
fn newer_prog_types(obj: &Object<'_>) -> Vec<crate::sys::libbpf::ProgType> {
    const SLEEPABLE_TP: [&str; 4] = ["tracepoint.s+", "tp.s+", "raw_tracepoint.s+", "raw_tp.s+"];
    obj.programs
        .iter()
        .filter_map(|p| {
            let def = crate::skeleton::secdef::find(p.section.as_bytes())?;
            SLEEPABLE_TP
                .contains(&def.pattern)
                .then(|| crate::sys::libbpf::ProgType {
                    name: p.name.clone(),
                    prog_type: def.prog_type,
                    flags: libbpf_sys::BPF_F_SLEEPABLE,
                })
        })
        .collect()
}

/// `gen subskeleton`.
pub fn subskeleton(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let req = parse(ctx, args)?;
    if ctx.opts.use_loader {
        return Err(Error::Msg("cannot use loader for subskeletons".into()));
    }
    let data = read_object(&req.file)?;
    let name = req
        .name
        .unwrap_or_else(|| obj_name_from_file(Path::new(&req.file)));
    // An empty object name makes internal maps carry their section names (".data").
    let obj = Object::open(&data, "").map_err(open_error)?;
    let text = c::subskeleton(&obj, &name).map_err(|e| Error::Msg(e.to_string()))?;
    write_out(ctx, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_files() {
        assert_eq!(obj_name_from_file(Path::new("dir/x.bpf.o")), "x_bpf");
        assert_eq!(obj_name_from_file(Path::new("my-prog.o")), "my_prog");
        assert_eq!(obj_name_from_file(Path::new("plain")), "plain");
    }
}
