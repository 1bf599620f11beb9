//! `bpftool prog dump { xlated | jited } PROG [{ file FILE | [opcodes] [linum] [visual] }]`.
//!
//! Fetches the image and its annotations through the kernel seam, then hands them to the
//! disassemblers (`disasm::bpf` for xlated, `disasm::jited` for JITed code) and renders the
//! result. Follows bpftool's `do_dump`/`prog_dump` in the order of its checks and messages.

use std::io::{self, Write};
use std::os::fd::AsFd;
use std::path::Path;

use super::super::common::{self, BStr, BtfCache, Dev};
use super::super::Ctx;
use super::show::{Tag, TypeName};
use crate::cli::{self, handles, Args};
use crate::disasm::bpf::cfg::write_cfg;
use crate::disasm::bpf::linfo::{LinfoArrays, ProgLinfo};
use crate::disasm::bpf::xlated::{self, DumpData, FuncInfos, XlatedDump};
use crate::disasm::bpf::{BpftoolCallbacks, Kallsyms};
use crate::disasm::jited;
use crate::error::{Error, Result};
use crate::output::Plain;
use crate::sys::{names, Kernel, ProgDump, ProgImage};

/// What to print, from the words after the program handle.
#[derive(Debug, Default)]
struct Options {
    file: Option<std::ffi::OsString>,
    opcodes: bool,
    visual: bool,
    linum: bool,
}

fn parse_options(args: &mut Args, nb_fds: usize) -> Result<Options> {
    let mut o = Options::default();
    while !args.is_empty() {
        if args.is("file") {
            args.advance();
            let Some(path) = args.peek().map(ToOwned::to_owned) else {
                return Err(Error::Msg("expected file path".into()));
            };
            if nb_fds > 1 {
                return Err(Error::Msg("several programs matched".into()));
            }
            o.file = Some(path);
            args.advance();
        } else if args.is("opcodes") {
            o.opcodes = true;
            args.advance();
        } else if args.is("visual") {
            if nb_fds > 1 {
                return Err(Error::Msg("several programs matched".into()));
            }
            o.visual = true;
            args.advance();
        } else if args.is("linum") {
            o.linum = true;
            args.advance();
        } else {
            return Err(args.usage());
        }
    }
    Ok(o)
}

/// `prog dump ...`.
pub fn run(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    let mode = match args.peek() {
        Some(w) if cli::is_prefix(w, "jited") => ProgImage::Jited,
        Some(w) if cli::is_prefix(w, "xlated") => ProgImage::Xlated,
        // bpftool prints the word with %s, NULL included.
        w => {
            return Err(Error::Msg(format!(
                "expected 'xlated' or 'jited', got: {}",
                w.map_or("(null)".into(), cli::show)
            )))
        }
    };
    args.advance();
    if args.len() < 2 {
        return Err(args.usage());
    }
    let handle = handles::parse_prog(args)?;
    let fds = common::prog_fds_nonempty(ctx, &handle)?;
    let opts = parse_options(args, fds.len())?;
    if opts.file.is_some() && (opts.opcodes || opts.visual || opts.linum) {
        return Err(Error::Msg(
            "'file' is not compatible with 'opcodes', 'visual', or 'linum'".into(),
        ));
    }
    if ctx.out.is_json() && opts.visual {
        return Err(Error::Msg(
            "'visual' is not compatible with JSON output".into(),
        ));
    }
    let many = fds.len() > 1;
    let json = ctx.out.is_json();
    let mut btfs = BtfCache::default();
    if json && many {
        ctx.out.json_writer().start_array()?;
    }
    for (i, fd) in fds.iter().enumerate() {
        let dump = ctx
            .k
            .prog_dump(fd.as_fd(), mode)
            .map_err(|e| Error::Msg(format!("can't get prog info: {e}")))?;
        if many {
            let header = Header::of(ctx.k, &dump, &mut btfs);
            if json {
                let jw = ctx.out.json_writer();
                jw.start_object()?;
                header.json_fields(jw)?;
                jw.name(b"insns")?;
            } else {
                header.plain(ctx.out.plain_writer())?;
            }
        }
        let res = prog_dump(ctx, &dump, mode, &opts, &mut btfs);
        if json && many {
            if res.is_ok() {
                ctx.out.json_writer().end_object()?;
            }
        } else if many && i != fds.len() - 1 {
            ctx.out.plain_writer().write_all(b"\n")?;
        }
        res?;
    }
    if json && many {
        ctx.out.json_writer().end_array()?;
    }
    Ok(())
}

/// bpftool's `print_prog_header_{plain,json}`: what `prog dump` prints before each program
/// when a handle matches several.
#[derive(Debug)]
struct Header {
    id: u32,
    prog_type: TypeName,
    name: Option<BStr>,
    tag: Tag,
    gpl_compatible: bool,
    run_time_ns: Option<u64>,
    run_cnt: Option<u64>,
    recursion_misses: Option<u64>,
    dev: Option<Dev>,
}

impl Header {
    fn of(k: &dyn Kernel, dump: &ProgDump, btfs: &mut BtfCache) -> Header {
        let info = &dump.info;
        Header {
            id: info.id,
            prog_type: TypeName::of(info.prog_type, names::prog_type_str),
            name: (!info.name.is_empty()).then(|| BStr(common::prog_full_name(k, info, btfs))),
            tag: Tag(info.tag),
            gpl_compatible: info.gpl_compatible,
            run_time_ns: (info.run_time_ns != 0).then_some(info.run_time_ns),
            run_cnt: (info.run_time_ns != 0).then_some(info.run_cnt),
            recursion_misses: (info.recursion_misses != 0).then_some(info.recursion_misses),
            dev: Dev::of(k, info.ifindex, info.netns_dev, info.netns_ino),
        }
    }
}

impl Header {
    /// bpftool's `print_prog_header_json`: the fields, into the object open at `jw`.
    fn json_fields<W: Write>(&self, jw: &mut crate::output::JsonWriter<W>) -> io::Result<()> {
        jw.name(b"id")?;
        jw.raw_display(self.id)?;
        jw.name(b"type")?;
        match self.prog_type {
            TypeName::Known(n) => jw.string(n.as_bytes())?,
            TypeName::Unknown(v) => jw.raw_display(v)?,
        }
        if let Some(name) = &self.name {
            jw.name(b"name")?;
            jw.string(&name.0)?;
        }
        jw.name(b"tag")?;
        jw.string(common::hex(&self.tag.0).as_bytes())?;
        jw.name(b"gpl_compatible")?;
        jw.bool(self.gpl_compatible)?;
        if let (Some(t), Some(c)) = (self.run_time_ns, self.run_cnt) {
            jw.name(b"run_time_ns")?;
            jw.raw_display(t)?;
            jw.name(b"run_cnt")?;
            jw.raw_display(c)?;
        }
        if let Some(r) = self.recursion_misses {
            jw.name(b"recursion_misses")?;
            jw.raw_display(r)?;
        }
        Ok(())
    }
}

impl Plain for Header {
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
        w.write_all(b"\n")
    }
}

/// bpftool's `prog_dump`: one program.
fn prog_dump(
    ctx: &mut Ctx<'_>,
    dump: &ProgDump,
    mode: ProgImage,
    opts: &Options,
    btfs: &mut BtfCache,
) -> Result<()> {
    let info = &dump.info;
    let image = match mode {
        ProgImage::Jited => match &dump.image {
            Some(img) if info.jited_prog_len != 0 => img,
            _ => return Err(Error::Msg(
                "error retrieving jit dump: no instructions returned or kernel.kptr_restrict set?"
                    .into(),
            )),
        },
        ProgImage::Xlated => match &dump.image {
            Some(img) if info.xlated_prog_len != 0 => img,
            _ => {
                return Err(Error::Msg(
                    "error retrieving insn dump: kernel.kptr_restrict set?".into(),
                ))
            }
        },
    };
    let btf = if info.btf_id != 0 {
        Some(
            btfs.get(ctx.k, info.btf_id)
                .ok_or_else(|| Error::Msg("failed to get btf".into()))?,
        )
    } else {
        None
    };
    let arrays = LinfoArrays {
        nr_line_info: info.nr_line_info,
        line_info_rec_size: dump.line_info_rec_size,
        line_info: dump.line_info.as_deref().unwrap_or_default(),
        nr_jited_ksyms: info.nr_jited_ksyms,
        jited_ksyms: dump.jited_ksyms.as_deref(),
        nr_jited_func_lens: dump.nr_jited_func_lens,
        jited_func_lens: dump.jited_func_lens.as_deref(),
        nr_jited_line_info: info.nr_jited_line_info,
        jited_line_info_rec_size: dump.jited_line_info_rec_size,
        jited_line_info: dump.jited_line_info.as_deref(),
    };
    let linfo = if info.nr_line_info != 0 {
        match ProgLinfo::new(&arrays) {
            Ok(l) => Some(l),
            Err(_) => {
                ctx.out
                    .info("error in processing bpf_line_info.  continue without it.")?;
                None
            }
        }
    } else {
        None
    };
    let func_info = FuncInfos::new(
        dump.func_info.as_deref().unwrap_or_default(),
        info.func_info_rec_size,
    );
    if let Some(path) = &opts.file {
        write_image_file(Path::new(path), image)?;
        ctx.out.null()?;
        return Ok(());
    }
    match mode {
        ProgImage::Xlated => {
            let kallsyms = ctx
                .k
                .kallsyms_text()
                .map(|t| Kallsyms::parse(&t))
                .unwrap_or_default();
            let cbs = BpftoolCallbacks::for_prog(
                &kallsyms,
                info.nr_jited_ksyms,
                dump.jited_ksyms.as_deref(),
            );
            let dd = DumpData {
                cbs: &cbs,
                btf: btf.as_deref(),
                func_info,
                linfo: linfo.as_ref(),
            };
            if opts.visual && !ctx.out.is_json() {
                write_cfg(ctx.out.plain_writer(), image, &dd, opts.opcodes, opts.linum)?;
            } else {
                let dump = XlatedDump {
                    insns: xlated::collect(image, &dd),
                    opcodes: opts.opcodes,
                    linum: opts.linum,
                };
                ctx.out.emit(&dump)?;
            }
        }
        ProgImage::Jited => {
            if info.ifindex != 0 {
                // Offloaded programs are JITed for the device; bpftool picks the device's
                // disassembler, which this build does not have.
                return Err(Error::Msg(
                    "no disassembler for the JITed image of an offloaded program".into(),
                ));
            }
            if !cfg!(target_arch = "x86_64") {
                // The kernel JITs for the host; only x86-64 code can be decoded here.
                return Err(Error::Msg(format!(
                    "no disassembler for {} JIT code in bpftool-rs, use 'file FILE' for the raw image",
                    std::env::consts::ARCH
                )));
            }
            let lens = dump
                .jited_func_lens
                .as_deref()
                .filter(|_| dump.nr_jited_func_lens != 0);
            let kallsyms = if info.nr_jited_ksyms != 0 {
                ctx.k
                    .kallsyms_text()
                    .map(|t| Kallsyms::parse(&t))
                    .unwrap_or_default()
            } else {
                Kallsyms::default()
            };
            let ksyms = dump
                .jited_ksyms
                .as_deref()
                .filter(|_| info.nr_jited_ksyms != 0)
                .map(|a| (a, &kallsyms));
            let input = jited::Input {
                image,
                func_lens: lens,
                ksyms,
                btf: btf.as_deref(),
                func_info,
                linfo: linfo.as_ref(),
                opcodes: opts.opcodes,
                linum: opts.linum,
            };
            let out = jited::collect(&input).map_err(|e| Error::Msg(e.to_string()))?;
            ctx.out.emit(&out)?;
            if out.failed {
                // bpftool gives up without a message on a zero-length function.
                return Err(Error::Exit(255));
            }
        }
    }
    Ok(())
}

/// `file FILE`: the raw image, as bpftool writes it (created 0600, truncated), except that a
/// symbolic link to a regular file is refused instead of followed: only the file named is
/// ever overwritten. Links to devices and pipes (`/dev/stdout`) still work.
fn write_image_file(path: &Path, image: &[u8]) -> Result<()> {
    use std::fs::OpenOptions;
    use std::os::unix::fs::OpenOptionsExt;

    let shown = path.display();
    let opened = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path);
    let mut f = match opened {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            let target_is_regular = std::fs::metadata(path).map(|m| m.is_file());
            match target_is_regular {
                Ok(false) => OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| open_error(&shown, &e))?,
                _ => {
                    return Err(Error::Msg(format!(
                        "can't open file {shown}: is a symbolic link to a regular file, not overwriting it"
                    )))
                }
            }
        }
        Err(e) => return Err(open_error(&shown, &e)),
    };
    f.write_all(image).map_err(|e| {
        Error::Msg(format!(
            "error writing output file: {}",
            crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO))
        ))
    })
}

fn open_error(shown: &std::path::Display<'_>, e: &io::Error) -> Error {
    Error::Msg(format!(
        "can't open file {shown}: {}",
        crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO))
    ))
}
