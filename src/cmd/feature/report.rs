//! What `feature probe` found, and its three renderings: plain text, JSON and C macros
//! (bpftool's `print_bool_feature` and friends, one mode at a time).

use std::io::{self, Write};

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::disasm::bpf::helpers::HELPER_NAMES;
use crate::output::Plain;
use crate::sys::probe::Misc;

/// Everything one `feature probe` run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The system configuration section; `None` when probing a device.
    pub system: Option<SystemConfig>,
    /// Whether the `bpf()` syscall exists.
    pub bpf_syscall: bool,
    /// The BPF sections; `None` when there is no `bpf()` syscall to probe them with.
    pub bpf: Option<BpfFeatures>,
}

/// The system configuration section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemConfig {
    /// The BPF sysctls; `None` when not probed (macros, or /proc not mounted).
    pub sysctls: Option<Sysctls>,
    /// Kernel config options and their values, in bpftool's order; empty when the config
    /// could not be read.
    pub config: Vec<(&'static str, Option<String>)>,
}

/// The values of the BPF sysctls, `-1` when unreadable (bpftool's `read_procfs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sysctls {
    /// `kernel.unprivileged_bpf_disabled`.
    pub unprivileged_bpf_disabled: i64,
    /// `net.core.bpf_jit_enable`.
    pub jit_enable: i64,
    /// `net.core.bpf_jit_harden`.
    pub jit_harden: i64,
    /// `net.core.bpf_jit_kallsyms`.
    pub jit_kallsyms: i64,
    /// `net.core.bpf_jit_limit`.
    pub jit_limit: i64,
}

/// The program type, map type, helper and misc sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpfFeatures {
    /// Program types probed, in UAPI order.
    pub prog_types: Vec<(&'static str, bool)>,
    /// Map types probed, in UAPI order.
    pub map_types: Vec<(&'static str, bool)>,
    /// Helpers probed per program type.
    pub helpers: Vec<HelperProbes>,
    /// Miscellaneous features, in bpftool's order.
    pub misc: Vec<(Misc, bool)>,
}

/// The helper probes of one program type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelperProbes {
    /// Program type name.
    pub prog_type: &'static str,
    /// Whether the program type itself loads (its helpers are probed only then).
    pub type_supported: bool,
    /// Helper ids probed (the `full`-only ones left out otherwise) and their answers.
    pub helpers: Vec<(u32, bool)>,
}

impl HelperProbes {
    fn available(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.helpers
            .iter()
            .filter(|(_, ok)| *ok)
            .map(|(id, _)| helper_name(*id))
    }
}

/// The UAPI name of a helper id (`bpf_` prefixed).
fn helper_name(id: u32) -> &'static str {
    usize::try_from(id)
        .ok()
        .and_then(|i| HELPER_NAMES.get(i))
        .copied()
        .unwrap_or("")
}

/// Names of a miscellaneous feature: JSON key, plain text, macro suffix.
fn misc_names(m: Misc) -> (&'static str, &'static str, &'static str) {
    match m {
        Misc::LargeInsnLimit => (
            "have_large_insn_limit",
            "Large program size limit",
            "LARGE_INSN_LIMIT",
        ),
        Misc::BoundedLoops => (
            "have_bounded_loops",
            "Bounded loop support",
            "BOUNDED_LOOPS",
        ),
        Misc::V2Isa => (
            "have_v2_isa_extension",
            "ISA extension v2",
            "V2_ISA_EXTENSION",
        ),
        Misc::V3Isa => (
            "have_v3_isa_extension",
            "ISA extension v3",
            "V3_ISA_EXTENSION",
        ),
        Misc::V4Isa => (
            "have_v4_isa_extension",
            "ISA extension v4",
            "V4_ISA_EXTENSION",
        ),
    }
}

/// Section titles: JSON key, plain heading, macro comment.
const SYSTEM: (&str, &str, &str) = (
    "system_config",
    "Scanning system configuration...",
    "/*** Misc kernel config items ***/",
);
const SYSCALL: (&str, &str, &str) = (
    "syscall_config",
    "Scanning system call availability...",
    "/*** System call availability ***/",
);
const PROG_TYPES: (&str, &str, &str) = (
    "program_types",
    "Scanning eBPF program types...",
    "/*** eBPF program types ***/",
);
const MAP_TYPES: (&str, &str, &str) = (
    "map_types",
    "Scanning eBPF map types...",
    "/*** eBPF map types ***/",
);
const HELPERS: (&str, &str, &str) = (
    "helpers",
    "Scanning eBPF helper functions...",
    "/*** eBPF helper functions ***/",
);
const MISC: (&str, &str, &str) = (
    "misc",
    "Scanning miscellaneous eBPF features...",
    "/*** eBPF misc features ***/",
);

fn avail(ok: bool) -> &'static str {
    if ok {
        ""
    } else {
        "NOT "
    }
}

fn plain_sysctls(w: &mut dyn Write, s: &Sysctls) -> io::Result<()> {
    match s.unprivileged_bpf_disabled {
        0 => writeln!(w, "bpf() syscall for unprivileged users is enabled"),
        1 => writeln!(
            w,
            "bpf() syscall restricted to privileged users (without recovery)"
        ),
        2 => writeln!(
            w,
            "bpf() syscall restricted to privileged users (admin can change)"
        ),
        -1 => writeln!(
            w,
            "Unable to retrieve required privileges for bpf() syscall"
        ),
        v => writeln!(w, "bpf() syscall restriction has unknown value {v}"),
    }?;
    match s.jit_enable {
        0 => writeln!(w, "JIT compiler is disabled"),
        1 => writeln!(w, "JIT compiler is enabled"),
        2 => writeln!(
            w,
            "JIT compiler is enabled with debugging traces in kernel logs"
        ),
        -1 => writeln!(w, "Unable to retrieve JIT-compiler status"),
        v => writeln!(w, "JIT-compiler status has unknown value {v}"),
    }?;
    match s.jit_harden {
        0 => writeln!(w, "JIT compiler hardening is disabled"),
        1 => writeln!(
            w,
            "JIT compiler hardening is enabled for unprivileged users"
        ),
        2 => writeln!(w, "JIT compiler hardening is enabled for all users"),
        -1 => writeln!(w, "Unable to retrieve JIT hardening status"),
        v => writeln!(w, "JIT hardening status has unknown value {v}"),
    }?;
    match s.jit_kallsyms {
        0 => writeln!(w, "JIT compiler kallsyms exports are disabled"),
        1 => writeln!(w, "JIT compiler kallsyms exports are enabled for root"),
        -1 => writeln!(w, "Unable to retrieve JIT kallsyms export status"),
        v => writeln!(w, "JIT kallsyms exports status has unknown value {v}"),
    }?;
    match s.jit_limit {
        -1 => writeln!(
            w,
            "Unable to retrieve global memory limit for JIT compiler for unprivileged users"
        ),
        v => writeln!(
            w,
            "Global memory limit for JIT compiler for unprivileged users is {v} bytes"
        ),
    }
}

impl Plain for Report {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        if let Some(sys) = &self.system {
            writeln!(w, "{}", SYSTEM.1)?;
            if let Some(s) = &sys.sysctls {
                plain_sysctls(w, s)?;
            }
            for (name, value) in &sys.config {
                match value {
                    Some(v) => writeln!(w, "{name} is set to {v}")?,
                    None => writeln!(w, "{name} is not set")?,
                }
            }
            writeln!(w)?;
        }
        writeln!(w, "{}", SYSCALL.1)?;
        writeln!(w, "bpf() syscall is {}available", avail(self.bpf_syscall))?;
        writeln!(w)?;
        let Some(bpf) = &self.bpf else {
            return Ok(());
        };
        writeln!(w, "{}", PROG_TYPES.1)?;
        for (name, ok) in &bpf.prog_types {
            writeln!(w, "eBPF program_type {name} is {}available", avail(*ok))?;
        }
        writeln!(w)?;
        writeln!(w, "{}", MAP_TYPES.1)?;
        for (name, ok) in &bpf.map_types {
            writeln!(w, "eBPF map_type {name} is {}available", avail(*ok))?;
        }
        writeln!(w)?;
        writeln!(w, "{}", HELPERS.1)?;
        for h in &bpf.helpers {
            write!(
                w,
                "eBPF helpers supported for program type {}:",
                h.prog_type
            )?;
            let mut any = false;
            for name in h.available() {
                write!(w, "\n\t- {name}")?;
                any = true;
            }
            writeln!(w)?;
            if !any {
                if h.type_supported {
                    writeln!(w, "\tCould not determine which helpers are available")?;
                } else {
                    writeln!(w, "\tProgram type not supported")?;
                }
            }
        }
        writeln!(w)?;
        writeln!(w, "{}", MISC.1)?;
        for (m, ok) in &bpf.misc {
            writeln!(w, "{} is {}available", misc_names(*m).1, avail(*ok))?;
        }
        writeln!(w)
    }
}

/// A JSON value of the report.
enum Value<'a> {
    Bool(bool),
    Int(i64),
    Str(Option<&'a str>),
    Strs(Vec<&'a str>),
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Bool(b) => s.serialize_bool(*b),
            Value::Int(i) => s.serialize_i64(*i),
            Value::Str(v) => v.serialize(s),
            Value::Strs(v) => v.serialize(s),
        }
    }
}

/// A section: a JSON object of (key, value) pairs.
struct Section<'a>(Vec<(String, Value<'a>)>);

impl Serialize for Section<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Serialize for Report {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(sys) = &self.system {
            let mut sec = Vec::new();
            if let Some(c) = &sys.sysctls {
                for (k, v) in [
                    ("unprivileged_bpf_disabled", c.unprivileged_bpf_disabled),
                    ("bpf_jit_enable", c.jit_enable),
                    ("bpf_jit_harden", c.jit_harden),
                    ("bpf_jit_kallsyms", c.jit_kallsyms),
                    ("bpf_jit_limit", c.jit_limit),
                ] {
                    sec.push((k.to_owned(), Value::Int(v)));
                }
            }
            for (name, value) in &sys.config {
                // bpftool means to print numbers as numbers, but its test looks for a
                // newline the value no longer has: every value is a string.
                sec.push(((*name).to_owned(), Value::Str(value.as_deref())));
            }
            m.serialize_entry(SYSTEM.0, &Section(sec))?;
        }
        m.serialize_entry(
            SYSCALL.0,
            &Section(vec![(
                "have_bpf_syscall".to_owned(),
                Value::Bool(self.bpf_syscall),
            )]),
        )?;
        if let Some(bpf) = &self.bpf {
            let types = |list: &[(&str, bool)], kind: &str| {
                Section(
                    list.iter()
                        .map(|(n, ok)| (format!("have_{n}_{kind}"), Value::Bool(*ok)))
                        .collect(),
                )
            };
            m.serialize_entry(PROG_TYPES.0, &types(&bpf.prog_types, "prog_type"))?;
            m.serialize_entry(MAP_TYPES.0, &types(&bpf.map_types, "map_type"))?;
            let helpers = Section(
                bpf.helpers
                    .iter()
                    .map(|h| {
                        (
                            format!("{}_available_helpers", h.prog_type),
                            Value::Strs(h.available().collect()),
                        )
                    })
                    .collect(),
            );
            m.serialize_entry(HELPERS.0, &helpers)?;
            let misc = Section(
                bpf.misc
                    .iter()
                    .map(|(f, ok)| (misc_names(*f).0.to_owned(), Value::Bool(*ok)))
                    .collect(),
            );
            m.serialize_entry(MISC.0, &misc)?;
        }
        m.end()
    }
}

/// The report as C macros (`feature probe macros [prefix PREFIX]`).
#[derive(Debug)]
pub struct Macros<'a> {
    /// What was found.
    pub report: &'a Report,
    /// Prefix of every macro name (raw bytes, as given on the command line).
    pub prefix: &'a [u8],
}

impl Macros<'_> {
    fn feature(&self, w: &mut dyn Write, define: &str, ok: bool) -> io::Result<()> {
        w.write_all(b"#define ")?;
        w.write_all(self.prefix)?;
        writeln!(w, "{}HAVE_{define}", if ok { "" } else { "NO_" })
    }

    fn types(&self, w: &mut dyn Write, list: &[(&str, bool)], kind: &str) -> io::Result<()> {
        for (name, ok) in list {
            self.feature(w, &format!("{name}_{kind}").to_ascii_uppercase(), *ok)?;
        }
        Ok(())
    }

    fn helpers_preamble(&self, w: &mut dyn Write) -> io::Result<()> {
        let p = self.prefix;
        w.write_all(b"/*\n * Use ")?;
        w.write_all(p)?;
        w.write_all(b"HAVE_PROG_TYPE_HELPER(prog_type_name, helper_name)\n")?;
        w.write_all(b" * to determine if <helper_name> is available for <prog_type_name>,\n")?;
        w.write_all(b" * e.g.\n *\t#if ")?;
        w.write_all(p)?;
        w.write_all(b"HAVE_PROG_TYPE_HELPER(xdp, bpf_redirect)\n")?;
        w.write_all(b" *\t\t// do stuff with this helper\n *\t#elif\n")?;
        w.write_all(b" *\t\t// use a workaround\n *\t#endif\n */\n#define ")?;
        w.write_all(p)?;
        w.write_all(b"HAVE_PROG_TYPE_HELPER(prog_type, helper)\t\\\n\t")?;
        w.write_all(p)?;
        w.write_all(b"BPF__PROG_TYPE_ ## prog_type ## __HELPER_ ## helper\n")
    }
}

impl Plain for Macros<'_> {
    fn plain(&self, w: &mut dyn Write) -> io::Result<()> {
        let r = self.report;
        let p = self.prefix;
        if let Some(sys) = &r.system {
            writeln!(w, "{}", SYSTEM.2)?;
            for (name, value) in &sys.config {
                match value {
                    Some(v) => {
                        w.write_all(b"#define ")?;
                        w.write_all(p)?;
                        writeln!(w, "{name} {v}")?;
                    }
                    None => {
                        w.write_all(b"/* ")?;
                        w.write_all(p)?;
                        writeln!(w, "{name} is not set */")?;
                    }
                }
            }
            writeln!(w)?;
        }
        writeln!(w, "{}", SYSCALL.2)?;
        self.feature(w, "BPF_SYSCALL", r.bpf_syscall)?;
        writeln!(w)?;
        let Some(bpf) = &r.bpf else {
            return Ok(());
        };
        writeln!(w, "{}", PROG_TYPES.2)?;
        self.types(w, &bpf.prog_types, "prog_type")?;
        writeln!(w)?;
        writeln!(w, "{}", MAP_TYPES.2)?;
        self.types(w, &bpf.map_types, "map_type")?;
        writeln!(w)?;
        writeln!(w, "{}", HELPERS.2)?;
        self.helpers_preamble(w)?;
        for h in &bpf.helpers {
            for (id, ok) in &h.helpers {
                w.write_all(b"#define ")?;
                w.write_all(p)?;
                writeln!(
                    w,
                    "BPF__PROG_TYPE_{}__HELPER_{} {}",
                    h.prog_type,
                    helper_name(*id),
                    u8::from(*ok)
                )?;
            }
        }
        writeln!(w)?;
        writeln!(w, "{}", MISC.2)?;
        for (m, ok) in &bpf.misc {
            self.feature(w, misc_names(*m).2, *ok)?;
        }
        writeln!(w)
    }
}

// The JSON rendering of `Macros` is the report's: bpftool ignores `macros` with `-j`.
impl Serialize for Macros<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.report.serialize(s)
    }
}
