//! GNU `getopt_long` as bpftool calls it, including argument permutation.
//!
//! bpftool lets global options appear anywhere (`bpftool prog -j show`, `prog show
//! --js`) because glibc permutes argv. Error messages name `argv[optind - 1]` of the
//! *permuted* vector, so the permutation is reproduced exactly, not just its effect.
//! `POSIXLY_CORRECT` switches to stop-at-first-non-option, as in glibc.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;

/// A long option: name, whether it takes an argument, and the short letter it maps to.
#[derive(Debug, Clone, Copy)]
pub struct LongOpt {
    /// Name without the leading `--`.
    pub name: &'static str,
    /// Whether it requires an argument.
    pub has_arg: bool,
    /// The option character returned.
    pub val: char,
}

/// One result of [`Getopt::next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opt {
    /// A recognised option and its argument.
    Found(char, Option<OsString>),
    /// An unknown option, an ambiguous or misused long option, or a missing argument:
    /// getopt's `'?'`.
    Bad,
}

/// The option parser state (glibc's `_getopt_data`).
#[derive(Debug)]
pub struct Getopt<'a> {
    args: Vec<OsString>,
    shorts: &'a str,
    longs: &'a [LongOpt],
    optind: usize,
    /// Position inside `args[optind]` of the next short option character, if any.
    nextchar: Option<usize>,
    first_nonopt: usize,
    last_nonopt: usize,
    require_order: bool,
}

impl<'a> Getopt<'a> {
    /// A parser over `args` (`args[0]` is the program name).
    pub fn new(args: Vec<OsString>, shorts: &'a str, longs: &'a [LongOpt]) -> Self {
        Self::with_order(
            args,
            shorts,
            longs,
            std::env::var_os("POSIXLY_CORRECT").is_some(),
        )
    }

    /// Like [`Getopt::new`], choosing stop-at-first-non-option explicitly.
    pub fn with_order(
        args: Vec<OsString>,
        shorts: &'a str,
        longs: &'a [LongOpt],
        require_order: bool,
    ) -> Self {
        Getopt {
            args,
            shorts,
            longs,
            optind: 1,
            nextchar: None,
            first_nonopt: 1,
            last_nonopt: 1,
            require_order,
        }
    }

    /// The (permuted) argument vector.
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// glibc's `optind`.
    pub fn optind(&self) -> usize {
        self.optind
    }

    /// `argv[optind - 1]`, which bpftool names in "unrecognized option" errors.
    pub fn last_arg(&self) -> &OsStr {
        self.args
            .get(self.optind.saturating_sub(1))
            .map_or(OsStr::new(""), |s| s.as_os_str())
    }

    /// The arguments left after option processing (`argv + optind`).
    pub fn into_rest(self) -> Vec<OsString> {
        let i = self.optind.min(self.args.len());
        self.args.into_iter().skip(i).collect()
    }

    fn is_nonoption(&self, i: usize) -> bool {
        let a = self.args[i].as_bytes();
        a.first() != Some(&b'-') || a.len() == 1
    }

    /// Moves the block of non-options `[first_nonopt, last_nonopt)` after the block of
    /// options `[last_nonopt, optind)`, keeping the order inside each block.
    fn exchange(&mut self) {
        let (b, m, e) = (self.first_nonopt, self.last_nonopt, self.optind);
        self.args[b..e].rotate_left(m - b);
        self.first_nonopt += e - m;
        self.last_nonopt = e;
    }

    /// The next option, or `None` when options are exhausted.
    pub fn next_opt(&mut self) -> Option<Opt> {
        let argc = self.args.len();
        if self.nextchar.is_none() {
            if self.last_nonopt > self.optind {
                self.last_nonopt = self.optind;
            }
            if self.first_nonopt > self.optind {
                self.first_nonopt = self.optind;
            }
            if !self.require_order {
                if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                    self.exchange();
                } else if self.last_nonopt != self.optind {
                    self.first_nonopt = self.optind;
                }
                while self.optind < argc && self.is_nonoption(self.optind) {
                    self.optind += 1;
                }
                self.last_nonopt = self.optind;
            }
            if self.optind != argc && self.args[self.optind].as_bytes() == b"--" {
                self.optind += 1;
                if self.first_nonopt != self.last_nonopt && self.last_nonopt != self.optind {
                    self.exchange();
                } else if self.first_nonopt == self.last_nonopt {
                    self.first_nonopt = self.optind;
                }
                self.last_nonopt = argc;
                self.optind = argc;
            }
            if self.optind == argc {
                if self.first_nonopt != self.last_nonopt {
                    self.optind = self.first_nonopt;
                }
                return None;
            }
            if self.is_nonoption(self.optind) {
                // Only reachable with require_order: stop at the first non-option.
                return None;
            }
            if self.args[self.optind].as_bytes().get(1) == Some(&b'-') {
                return Some(self.long_option());
            }
            self.nextchar = Some(1);
        }
        Some(self.short_option())
    }

    fn long_option(&mut self) -> Opt {
        let arg = self.args[self.optind].as_bytes()[2..].to_vec();
        let (name, value) = match arg.iter().position(|&b| b == b'=') {
            Some(p) => (&arg[..p], Some(&arg[p + 1..])),
            None => (&arg[..], None),
        };
        self.optind += 1;
        self.nextchar = None;
        let exact = self.longs.iter().find(|o| o.name.as_bytes() == name);
        let found = match exact {
            Some(o) => Some(*o),
            None => {
                let mut matches = self
                    .longs
                    .iter()
                    .filter(|o| o.name.as_bytes().starts_with(name));
                let first = matches.next().copied();
                let ambiguous = first
                    .is_some_and(|f| matches.any(|o| o.has_arg != f.has_arg || o.val != f.val));
                if ambiguous {
                    return Opt::Bad;
                }
                first
            }
        };
        let Some(opt) = found else {
            return Opt::Bad;
        };
        match (opt.has_arg, value) {
            (true, Some(v)) => Opt::Found(opt.val, Some(OsStr::from_bytes(v).to_owned())),
            (false, Some(_)) => Opt::Bad,
            (false, None) => Opt::Found(opt.val, None),
            (true, None) => {
                if self.optind < self.args.len() {
                    let v = self.args[self.optind].clone();
                    self.optind += 1;
                    Opt::Found(opt.val, Some(v))
                } else {
                    Opt::Bad
                }
            }
        }
    }

    fn short_option(&mut self) -> Opt {
        let pos = self.nextchar.unwrap_or(1);
        let cur = self.args[self.optind].as_bytes();
        let c = cur[pos];
        let at_end = pos + 1 >= cur.len();
        // glibc moves optind when it starts on the last character of the element.
        if at_end {
            self.optind += 1;
            self.nextchar = None;
        } else {
            self.nextchar = Some(pos + 1);
        }
        let spec = self.shorts.as_bytes();
        let Some(i) = spec
            .iter()
            .position(|&b| b == c)
            .filter(|_| c != b':' && c != b';')
        else {
            return Opt::Bad;
        };
        if spec.get(i + 1) != Some(&b':') {
            return Opt::Found(char::from(c), None);
        }
        // Required argument: the rest of this element, or the next element.
        if !at_end {
            let rest = OsStr::from_bytes(&self.args[self.optind].as_bytes()[pos + 1..]).to_owned();
            self.optind += 1;
            self.nextchar = None;
            return Opt::Found(char::from(c), Some(rest));
        }
        if self.optind == self.args.len() {
            return Opt::Bad;
        }
        let v = self.args[self.optind].clone();
        self.optind += 1;
        Opt::Found(char::from(c), Some(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn run(args: &[&str]) -> (Vec<Opt>, Vec<String>, String) {
        let mut v = vec![OsString::from("bpftool")];
        v.extend(args.iter().map(OsString::from));
        let mut g = Getopt::with_order(v, SHORTS, LONGS, false);
        let mut opts = Vec::new();
        let mut last = String::new();
        while let Some(o) = g.next_opt() {
            if o == Opt::Bad {
                last = g.last_arg().to_string_lossy().into_owned();
            }
            opts.push(o);
        }
        let rest = g
            .into_rest()
            .into_iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        (opts, rest, last)
    }

    fn f(c: char) -> Opt {
        Opt::Found(c, None)
    }

    #[test]
    fn options_anywhere() {
        let (o, rest, _) = run(&["prog", "-j", "show", "--pretty", "id", "3"]);
        assert_eq!(o, vec![f('j'), f('p')]);
        assert_eq!(rest, ["prog", "show", "id", "3"]);
    }

    #[test]
    fn long_prefixes() {
        let (o, _, _) = run(&["--js", "--pre", "--use"]);
        assert_eq!(o, vec![f('j'), f('p'), f('L')]);
        // "--b" could be bpffs or base-btf.
        let (o, _, last) = run(&["--b"]);
        assert_eq!(o, vec![Opt::Bad]);
        assert_eq!(last, "--b");
    }

    #[test]
    fn clusters_and_arguments() {
        let (o, rest, _) = run(&["-jpf", "-Bfile", "-B", "x", "--base-btf=y", "btf"]);
        assert_eq!(
            o,
            vec![
                f('j'),
                f('p'),
                f('f'),
                Opt::Found('B', Some("file".into())),
                Opt::Found('B', Some("x".into())),
                Opt::Found('B', Some("y".into())),
            ]
        );
        assert_eq!(rest, ["btf"]);
    }

    #[test]
    fn double_dash_ends_options() {
        let (o, rest, _) = run(&["prog", "show", "--", "id", "-5"]);
        assert!(o.is_empty());
        assert_eq!(rest, ["prog", "show", "id", "-5"]);
        // A lone "-" is an argument.
        let (o, rest, _) = run(&["batch", "file", "-"]);
        assert!(o.is_empty());
        assert_eq!(rest, ["batch", "file", "-"]);
    }

    #[test]
    fn errors_name_the_permuted_argument() {
        let (o, _, last) = run(&["prog", "show", "id", "-5"]);
        assert_eq!(o, vec![Opt::Bad]);
        assert_eq!(last, "-5");
        let (o, _, last) = run(&["prog", "-x"]);
        assert_eq!(o, vec![Opt::Bad]);
        assert_eq!(last, "-x");
        // "-l" is still in bpftool's optstring: getopt accepts it, bpftool rejects it.
        let (o, _, _) = run(&["-l"]);
        assert_eq!(o, vec![f('l')]);
        let (_, _, last) = run(&["-B"]);
        assert_eq!(last, "-B");
        let (_, _, last) = run(&["--json=1"]);
        assert_eq!(last, "--json=1");
        let (_, _, last) = run(&["--nope"]);
        assert_eq!(last, "--nope");
    }
}
