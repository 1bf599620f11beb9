//! bpftool's command-line grammar.
//!
//! A small table-driven parser, not clap: bpftool matches every keyword by prefix and
//! takes the *first* entry of its table that matches (`p` is `prog`, not `perf`; `d`
//! under `prog` is `dump`, not `detach`), accepts global options anywhere through GNU
//! getopt's permutation, and reports errors with its own words. clap rejects ambiguous
//! prefixes and cannot express "first match in table order", and a normalising pre-pass
//! in front of it would have to re-implement the tables anyway, so the tables *are* the
//! parser: [`select`] walks one, [`Args`] is bpftool's `argc`/`argv` cursor.

pub mod complete;
pub mod getopt;
pub mod handles;
pub mod help;

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::error::Error;
use getopt::{Getopt, LongOpt, Opt};

/// The global options (bpftool's `main()` getopt loop).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GlobalOpts {
    /// `-j`/`--json` (or implied by `-p`).
    pub json: bool,
    /// `-p`/`--pretty`.
    pub pretty: bool,
    /// `-f`/`--bpffs`: show pinned paths.
    pub bpffs: bool,
    /// `-m`/`--mapcompat`.
    pub mapcompat: bool,
    /// `-n`/`--nomount`: never mount bpffs.
    pub nomount: bool,
    /// `-d`/`--debug`.
    pub debug: bool,
    /// `-L`/`--use-loader`.
    pub use_loader: bool,
    /// `-S`/`--sign`.
    pub sign: bool,
    /// `-k FILE`: private key for signing.
    pub private_key: Option<OsString>,
    /// `-i FILE`: certificate for signing.
    pub cert: Option<OsString>,
    /// `-B FILE`/`--base-btf FILE`.
    pub base_btf: Option<OsString>,
    /// `-V`/`--version`.
    pub version: bool,
}

/// What the global option pass decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// Run the command in `args`.
    Run {
        /// Global options.
        opts: GlobalOpts,
        /// The words after option processing.
        args: Vec<OsString>,
    },
    /// `-h` was given: print the main help (options seen before it apply).
    Help {
        /// Global options seen up to `-h`.
        opts: GlobalOpts,
    },
    /// An option getopt or bpftool rejects: `Error: unrecognized option 'ARG'`.
    BadOption {
        /// Global options seen up to the bad one.
        opts: GlobalOpts,
        /// `argv[optind - 1]`, as bpftool reports it.
        arg: OsString,
    },
}

const SHORTS: &str = "VhpjfLmndSi:k:B:l";
const LONGS: &[LongOpt] = &[
    LongOpt {
        name: "json",
        has_arg: false,
        val: 'j',
    },
    LongOpt {
        name: "help",
        has_arg: false,
        val: 'h',
    },
    LongOpt {
        name: "pretty",
        has_arg: false,
        val: 'p',
    },
    LongOpt {
        name: "version",
        has_arg: false,
        val: 'V',
    },
    LongOpt {
        name: "bpffs",
        has_arg: false,
        val: 'f',
    },
    LongOpt {
        name: "mapcompat",
        has_arg: false,
        val: 'm',
    },
    LongOpt {
        name: "nomount",
        has_arg: false,
        val: 'n',
    },
    LongOpt {
        name: "debug",
        has_arg: false,
        val: 'd',
    },
    LongOpt {
        name: "use-loader",
        has_arg: false,
        val: 'L',
    },
    LongOpt {
        name: "sign",
        has_arg: false,
        val: 'S',
    },
    LongOpt {
        name: "base-btf",
        has_arg: true,
        val: 'B',
    },
];

/// Runs bpftool's option loop over `argv` (`argv[0]` is the program name).
pub fn parse_global(argv: Vec<OsString>) -> Start {
    let mut g = Getopt::new(argv, SHORTS, LONGS);
    let mut opts = GlobalOpts::default();
    while let Some(o) = g.next_opt() {
        match o {
            Opt::Found('V', _) => opts.version = true,
            Opt::Found('h', _) => return Start::Help { opts },
            Opt::Found('p', _) => {
                opts.pretty = true;
                opts.json = true;
            }
            Opt::Found('j', _) => opts.json = true,
            Opt::Found('f', _) => opts.bpffs = true,
            Opt::Found('m', _) => opts.mapcompat = true,
            Opt::Found('n', _) => opts.nomount = true,
            Opt::Found('d', _) => opts.debug = true,
            Opt::Found('B', v) => opts.base_btf = v,
            Opt::Found('L', _) => opts.use_loader = true,
            Opt::Found('S', _) => {
                opts.sign = true;
                opts.use_loader = true;
            }
            Opt::Found('k', v) => opts.private_key = v,
            Opt::Found('i', v) => opts.cert = v,
            Opt::Found(..) | Opt::Bad => {
                let arg = g.last_arg().to_owned();
                return Start::BadOption { opts, arg };
            }
        }
    }
    Start::Run {
        opts,
        args: g.into_rest(),
    }
}

/// bpftool's `is_prefix(arg, keyword)`: `arg` is a (possibly empty) prefix of `keyword`.
pub fn is_prefix(arg: &OsStr, keyword: &str) -> bool {
    keyword.as_bytes().starts_with(arg.as_bytes())
}

/// bpftool's `cmd_select`: the first entry whose name `word` is a prefix of, or the
/// first entry when there is no word.
pub fn select<T: Copy>(table: &[(&'static str, T)], word: Option<&OsStr>) -> Option<T> {
    match word {
        None => table.first().map(|e| e.1),
        Some(w) => table.iter().find(|e| is_prefix(w, e.0)).map(|e| e.1),
    }
}

/// A help renderer: bpftool prints the object word as typed (`argv[-2]`).
pub type HelpFn = fn(&str) -> String;

/// bpftool's `argc`/`argv` cursor over the words of one command.
#[derive(Debug, Clone)]
pub struct Args {
    words: Vec<OsString>,
    pos: usize,
    object: OsString,
    help: HelpFn,
}

impl Args {
    /// A cursor over `words`, for the object typed as `object`, whose `usage()` prints
    /// `help`.
    pub fn new(words: Vec<OsString>, object: OsString, help: HelpFn) -> Args {
        Args {
            words,
            pos: 0,
            object,
            help,
        }
    }

    /// Number of words left (`argc`).
    pub fn len(&self) -> usize {
        self.words.len() - self.pos
    }

    /// Whether no words are left.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The current word (`*argv`).
    pub fn peek(&self) -> Option<&OsStr> {
        self.words.get(self.pos).map(|s| s.as_os_str())
    }

    /// The word `n` places after the current one.
    pub fn peek_at(&self, n: usize) -> Option<&OsStr> {
        self.words.get(self.pos + n).map(|s| s.as_os_str())
    }

    /// Whether the current word is a prefix of `keyword`.
    pub fn is(&self, keyword: &str) -> bool {
        self.peek().is_some_and(|w| is_prefix(w, keyword))
    }

    /// Takes the current word; bpftool's `NEXT_ARG()` calls `usage()` when none is left.
    pub fn take(&mut self) -> Result<OsString, Error> {
        match self.words.get(self.pos) {
            Some(w) => {
                self.pos += 1;
                Ok(w.clone())
            }
            None => Err(self.usage()),
        }
    }

    /// The words not taken yet.
    pub fn rest(&self) -> &[OsString] {
        &self.words[self.pos..]
    }

    /// The object as the user typed it (`argv[-2]` in bpftool's help).
    pub fn object(&self) -> &OsStr {
        &self.object
    }

    /// The help text of the current object.
    pub fn help_text(&self) -> String {
        (self.help)(&self.object.to_string_lossy())
    }

    /// bpftool's `usage()`: the object's help and exit status 255.
    pub fn usage(&self) -> Error {
        Error::Usage {
            help: self.help_text(),
        }
    }

    /// bpftool's `BAD_ARG()`: `Error: what is 'WORD'?`.
    pub fn bad_arg(&self) -> Error {
        Error::Msg(format!(
            "what is '{}'?",
            show(self.peek().unwrap_or_default())
        ))
    }

    /// bpftool's `REQ_ARGS(n)` check, with its message; callers that return `-EINVAL`
    /// on it (exit status 234) use [`Args::require_einval`].
    pub fn require(&self, n: usize) -> Result<(), Error> {
        if self.len() < n {
            let prev = self
                .pos
                .checked_sub(1)
                .and_then(|i| self.words.get(i))
                .map_or_else(|| self.object.clone(), Clone::clone);
            return Err(Error::Msg(format!(
                "'{}' needs at least {n} arguments, {} found",
                show(&prev),
                self.len()
            )));
        }
        Ok(())
    }

    /// `if (!REQ_ARGS(n)) return -EINVAL;`: the same message, exit status 234.
    pub fn require_einval(&self, n: usize) -> Result<(), Error> {
        self.require(n).map_err(|e| match e {
            Error::Msg(msg) => Error::Status { msg, status: 234 },
            other => other,
        })
    }

    /// A cursor for the sub-command: the current word becomes the object word only for
    /// help purposes, bpftool keeps `argv[-2]` pointing at the object.
    pub fn advance(&mut self) {
        if self.pos < self.words.len() {
            self.pos += 1;
        }
    }
}

/// A word as text for messages (bytes that are not UTF-8 are replaced).
pub fn show(s: &OsStr) -> std::borrow::Cow<'_, str> {
    s.to_string_lossy()
}

/// C `strtoul(s, &end, 0)` as bpftool uses it, with the whole word required:
/// leading blanks, an optional sign, `0x`/`0` prefixes for hex/octal. Returns `None`
/// on trailing garbage. Out-of-range values saturate as in C.
pub fn strtoul(s: &[u8]) -> Option<(u64, bool)> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && (s[i] == b'+' || s[i] == b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let mut base = 10u64;
    if s.get(i) == Some(&b'0') {
        if matches!(s.get(i + 1), Some(b'x' | b'X'))
            && s.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
        {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let start = i;
    let mut v: u64 = 0;
    let mut overflow = false;
    while i < s.len() {
        let d = match s[i] {
            c @ b'0'..=b'9' => u64::from(c - b'0'),
            c @ b'a'..=b'f' => u64::from(c - b'a' + 10),
            c @ b'A'..=b'F' => u64::from(c - b'A' + 10),
            _ => break,
        };
        if d >= base {
            break;
        }
        match v.checked_mul(base).and_then(|x| x.checked_add(d)) {
            Some(n) => v = n,
            None => overflow = true,
        }
        i += 1;
    }
    if i == start {
        // No digits: C leaves `end` at the very start, so only "" passes the check.
        return s.is_empty().then_some((0, false));
    }
    if i != s.len() {
        return None;
    }
    if overflow {
        return Some((u64::MAX, true));
    }
    Some((if neg { v.wrapping_neg() } else { v }, neg && v != 0))
}

/// An id argument: bpftool's `strtoul` plus a range check bpftool lacks (it truncates
/// `4294967296` to 0 and `-5` to 4294967291; we report them, see docs/compat.md).
pub fn parse_u32(word: &OsStr) -> Option<u32> {
    match strtoul(word.as_bytes())? {
        (v, false) => u32::try_from(v).ok(),
        (_, true) => None,
    }
}

/// Path arguments.
pub fn path(word: &OsStr) -> PathBuf {
    PathBuf::from(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn start_parsing() {
        let s = parse_global(os(&["bpftool", "prog", "-p", "show", "-f"]));
        let Start::Run { opts, args } = s else {
            panic!("{s:?}")
        };
        assert!(opts.json && opts.pretty && opts.bpffs);
        assert_eq!(args, os(&["prog", "show"]));

        let s = parse_global(os(&["bpftool", "-j", "-h", "-x"]));
        assert!(matches!(s, Start::Help { opts } if opts.json));

        let s = parse_global(os(&["bpftool", "prog", "-l"]));
        assert!(matches!(s, Start::BadOption { arg, .. } if arg == "-l"));

        let s = parse_global(os(&["bpftool", "-S", "-k", "key", "-i", "cert", "gen"]));
        let Start::Run { opts, .. } = s else { panic!() };
        assert!(opts.sign && opts.use_loader);
        assert_eq!(opts.private_key.as_deref(), Some(OsStr::new("key")));
    }

    #[test]
    fn strtoul_like_c() {
        assert_eq!(strtoul(b"42"), Some((42, false)));
        assert_eq!(strtoul(b"0x1f"), Some((31, false)));
        assert_eq!(strtoul(b"010"), Some((8, false)));
        assert_eq!(strtoul(b"0"), Some((0, false)));
        assert_eq!(strtoul(b"  7"), Some((7, false)));
        assert_eq!(strtoul(b"+7"), Some((7, false)));
        assert_eq!(strtoul(b""), Some((0, false)));
        assert_eq!(strtoul(b"12a"), None);
        assert_eq!(strtoul(b"abc"), None);
        assert_eq!(strtoul(b"08"), None);
        assert_eq!(strtoul(b"0x"), None);
        assert_eq!(strtoul(b"-5").map(|r| r.1), Some(true));
        assert_eq!(strtoul(b"99999999999999999999"), Some((u64::MAX, true)));
    }

    #[test]
    fn ids_in_range() {
        assert_eq!(parse_u32(OsStr::new("4294967295")), Some(u32::MAX));
        assert_eq!(parse_u32(OsStr::new("4294967296")), None);
        assert_eq!(parse_u32(OsStr::new("-5")), None);
        assert_eq!(parse_u32(OsStr::new("0x10")), Some(16));
        assert_eq!(parse_u32(OsStr::new("x")), None);
    }

    #[test]
    fn args_cursor() {
        let mut a = Args::new(os(&["id", "3"]), "prog".into(), help::prog);
        assert!(a.is("id"));
        assert!(!a.is("i"));
        assert_eq!(a.take().unwrap(), "id");
        assert_eq!(a.take().unwrap(), "3");
        assert!(
            matches!(a.take(), Err(Error::Usage { help }) if help.starts_with("Usage: bpftool prog "))
        );
    }
}
