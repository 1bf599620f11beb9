//! Commands: one folder per object, one file per command.
//!
//! [`run`] is bpftool's `cmd_select` over the main table; each object's `run` selects
//! its command the same way. Commands parse their words into a typed request, ask the
//! kernel through [`Ctx::k`] and hand typed values to [`Ctx::out`].

pub mod batch;
pub mod btf;
pub mod common;
pub mod feature;
pub mod gen;
pub mod link;
pub mod map;
pub mod prog;
pub mod version;

use std::ffi::OsString;
use std::io;
use std::sync::Arc;

use crate::btf::Btf;
use crate::cli::{self, help, Args, GlobalOpts, HelpFn, Start};
use crate::error::{Error, Result};
use crate::output::{Mode, Output};
use crate::sys::Kernel;

/// Everything a command needs: the options, the output, the kernel.
pub struct Ctx<'a> {
    /// Global options.
    pub opts: &'a GlobalOpts,
    /// Where results and errors go.
    pub out: &'a mut Output,
    /// The kernel (real or fake).
    pub k: &'a dyn Kernel,
    /// `-B FILE`, parsed.
    pub base_btf: Option<Arc<Btf>>,
}

/// Prints an error the way bpftool does and returns the exit status it implies.
pub fn report(out: &mut Output, e: Error) -> io::Result<u8> {
    let status = e.status();
    match e {
        Error::Msg(m) | Error::Status { msg: m, .. } => out.error(&m)?,
        Error::Usage { help } => out.help(&help)?,
        Error::Exit(_) => {}
        Error::Io(e) => return Err(e),
    }
    Ok(status)
}

/// The whole program: bpftool's `main()` over `argv`, with output built by
/// `make_output` once the mode is known. Returns the exit status.
pub fn main(argv: Vec<OsString>, k: &dyn Kernel, make_output: impl FnOnce(Mode) -> Output) -> u8 {
    let start = cli::parse_global(argv);
    let opts = match &start {
        Start::Run { opts, .. } | Start::Help { opts } | Start::BadOption { opts, .. } => {
            opts.clone()
        }
    };
    let mode = if opts.json {
        Mode::Json {
            pretty: opts.pretty,
        }
    } else {
        Mode::Plain
    };
    let mut out = make_output(mode);
    let result = match start {
        Start::Help { .. } => {
            // bpftool returns straight from the option loop: with -j, "null" has no
            // final newline.
            let r = out.help(&help::main()).and_then(|()| out.flush());
            return u8::from(r.is_err());
        }
        Start::BadOption { arg, .. } => {
            let msg = format!("unrecognized option '{}'", arg.to_string_lossy());
            if out.is_json() {
                Err(Error::Msg(msg))
            } else {
                out.error(&msg)
                    .map_err(Error::Io)
                    .and_then(|()| Err(Error::Usage { help: help::main() }))
            }
        }
        Start::Run { args, .. } => run_with_opts(&opts, &mut out, k, args),
    };
    let status = match result {
        Ok(()) => Ok(0),
        Err(e) => report(&mut out, e),
    };
    let finished = out.finish();
    match (status, finished) {
        (Ok(s), Ok(())) => s,
        // A closed pipe (`| head`) ends the run quietly.
        (Err(e), _) | (_, Err(e)) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        (Ok(s), Err(_)) => s.max(1),
        (Err(_), _) => 255,
    }
}

fn run_with_opts(
    opts: &GlobalOpts,
    out: &mut Output,
    k: &dyn Kernel,
    args: Vec<OsString>,
) -> Result<()> {
    let base_btf = match &opts.base_btf {
        None => None,
        Some(path) => Some(Arc::new(load_base_btf(path)?)),
    };
    const EINVAL_STATUS: u8 = 234; // bpftool returns -EINVAL from main.
    if opts.sign && (opts.private_key.is_none() || opts.cert.is_none()) {
        return Err(Error::Status {
            msg:
                "-i <identity_x509_cert> and -k <private_key> must be supplied with -S for signing"
                    .into(),
            status: EINVAL_STATUS,
        });
    }
    if !opts.sign && (opts.private_key.is_some() || opts.cert.is_some()) {
        return Err(Error::Status {
            msg: "--sign (or -S) must be explicitly passed with -i <identity_x509_cert> and -k <private_key> to sign the programs".into(),
            status: EINVAL_STATUS,
        });
    }
    let mut ctx = Ctx {
        opts,
        out,
        k,
        base_btf,
    };
    if opts.version {
        return version::run(&mut ctx, args, OsString::new());
    }
    run(&mut ctx, args)
}

/// `-B FILE`: raw BTF or an ELF object's `.BTF`, as libbpf's `btf__parse` reads it.
fn load_base_btf(path: &std::ffi::OsStr) -> Result<Btf> {
    let shown = path.to_string_lossy();
    let data = std::fs::read(path).map_err(|e| {
        // bpftool prints libbpf's negative errno, and a stray newline of its own.
        Error::Msg(format!(
            "failed to parse base BTF at '{shown}': {}\n",
            -e.raw_os_error().unwrap_or(libc::EIO)
        ))
    })?;
    Btf::parse_raw_or_elf(&data, None)
        .map_err(|e| Error::Msg(format!("failed to parse base BTF at '{shown}': {e}\n")))
}

/// A command: runs with the words after its keyword.
pub type Handler = fn(&mut Ctx<'_>, &mut Args) -> Result<()>;

/// An object: runs with the words after the object keyword (`OsString` is the object
/// word as typed, which help texts print).
type ObjectFn = fn(&mut Ctx<'_>, Vec<OsString>, OsString) -> Result<()>;

/// bpftool's main command table, in its order (the order decides prefix matches).
pub const MAIN: &[(&str, ObjectFn)] = &[
    ("help", main_help),
    ("batch", batch::run),
    ("prog", prog::run),
    ("map", map::run),
    ("link", link::run),
    ("cgroup", cgroup),
    ("perf", perf),
    ("net", net),
    ("feature", feature::run),
    ("btf", btf::run),
    ("gen", gen::run),
    ("struct_ops", struct_ops),
    ("iter", iter),
    ("token", token),
    ("version", version::run),
];

/// Runs the command in `words` (the arguments after the global options).
pub fn run(ctx: &mut Ctx<'_>, mut words: Vec<OsString>) -> Result<()> {
    if words.is_empty() {
        return main_help(ctx, words, OsString::new());
    }
    let first = words.remove(0);
    match cli::select(MAIN, Some(&first)) {
        Some(f) => f(ctx, words, first),
        None => {
            ctx.out.help(&help::main())?;
            Err(Error::Exit(255))
        }
    }
}

fn main_help(ctx: &mut Ctx<'_>, _: Vec<OsString>, _: OsString) -> Result<()> {
    ctx.out.help(&help::main())?;
    Ok(())
}

/// bpftool's `cmd_select` for one object: the first command whose name the word is a
/// prefix of, the first command when there is no word, the object's help (and exit
/// status 255) when nothing matches.
pub fn dispatch(
    ctx: &mut Ctx<'_>,
    table: &[(&'static str, Handler)],
    words: Vec<OsString>,
    object: OsString,
    help: HelpFn,
) -> Result<()> {
    let mut args = Args::new(words, object, help);
    let word = args.peek().map(ToOwned::to_owned);
    match cli::select(table, word.as_deref()) {
        Some(f) => {
            args.advance();
            f(ctx, &mut args)
        }
        None => {
            ctx.out.help(&args.help_text())?;
            Err(Error::Exit(255))
        }
    }
}

/// The `help` command of an object.
pub fn object_help(ctx: &mut Ctx<'_>, args: &mut Args) -> Result<()> {
    ctx.out.help(&args.help_text())?;
    Ok(())
}

/// A command bpftool has and bpftool-rs does not have yet: a clear error, not a guess.
pub fn not_yet(what: &str) -> Error {
    Error::Msg(format!("'{what}' is not implemented in bpftool-rs yet"))
}

macro_rules! pending_object {
    ($name:ident, $help:path, [$($cmd:literal),*], help_in_json: $json:literal) => {
        fn $name(ctx: &mut Ctx<'_>, words: Vec<OsString>, object: OsString) -> Result<()> {
            let args = Args::new(words, object, $help);
            let word = args.peek().map(ToOwned::to_owned);
            const TABLE: &[&str] = &[$($cmd),*];
            let table: Vec<(&str, &str)> = TABLE.iter().map(|c| (*c, *c)).collect();
            match cli::select(&table, word.as_deref()) {
                Some("help") => {
                    if $json {
                        ctx.out.help(&args.help_text())?;
                    } else {
                        ctx.out.help_stderr(&args.help_text())?;
                    }
                    Ok(())
                }
                Some(cmd) => Err(not_yet(&format!("{} {cmd}", stringify!($name)))),
                None => {
                    if $json {
                        ctx.out.help(&args.help_text())?;
                    } else {
                        ctx.out.help_stderr(&args.help_text())?;
                    }
                    Err(Error::Exit(255))
                }
            }
        }
    };
}

pending_object!(cgroup, help::cgroup, ["show", "list", "tree", "attach", "detach", "help"], help_in_json: true);
pending_object!(perf, help::perf, ["show", "list", "help"], help_in_json: false);
pending_object!(net, help::net, ["show", "list", "attach", "detach", "help"], help_in_json: true);
pending_object!(struct_ops, help::struct_ops, ["show", "list", "register", "unregister", "dump", "help"], help_in_json: true);
pending_object!(iter, help::iter, ["help", "pin"], help_in_json: false);
pending_object!(token, help::token, ["show", "list", "help"], help_in_json: true);

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn prefix_table_order() {
        let names: Vec<(&str, &str)> = MAIN.iter().map(|(n, _)| (*n, *n)).collect();
        let w = |s: &str| cli::select(&names, Some(OsStr::new(s)));
        assert_eq!(w("p"), Some("prog"));
        assert_eq!(w("pe"), Some("perf"));
        assert_eq!(w("b"), Some("batch"));
        assert_eq!(w("bt"), Some("btf"));
        assert_eq!(w("h"), Some("help"));
        assert_eq!(w(""), Some("help"));
        assert_eq!(w("s"), Some("struct_ops"));
        assert_eq!(w("v"), Some("version"));
        assert_eq!(w("programs"), None);
        assert_eq!(cli::select(&names, None), Some("help"));
    }
}
