//! Shell completions (bash, zsh, fish), generated from bpftool's grammar.
//!
//! The scripts know the objects and commands in bpftool's table order (so `p<TAB>`
//! offers what `p` would select), the global options, the handle keywords each command
//! takes, and ask the tool itself for live ids, names and tags (`-j OBJECT show`).
//! They are generated here and checked in under `completions/`; a test keeps the
//! checked-in files equal to this output.

use std::fmt::Write;

/// What follows a command: the kind of object handle it takes first, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// Nothing to complete beyond files.
    Nothing,
    /// `PROG := id | pinned | tag | name`.
    Prog,
    /// `MAP := id | pinned | name`.
    Map,
    /// `LINK := id | pinned`.
    Link,
    /// `id BTF_ID`.
    BtfId,
    /// `BTF_SRC := id | prog | map | file`.
    BtfSrc,
    /// A file (object file, batch file).
    File,
}

/// bpftool's objects and their commands, in table order, with what each command takes.
pub const OBJECTS: &[(&str, &[(&str, Takes)])] = &[
    (
        "prog",
        &[
            ("show", Takes::Prog),
            ("list", Takes::Prog),
            ("help", Takes::Nothing),
            ("dump", Takes::Nothing),
            ("pin", Takes::Prog),
            ("load", Takes::File),
            ("loadall", Takes::File),
            ("attach", Takes::Prog),
            ("detach", Takes::Prog),
            ("tracelog", Takes::Nothing),
            ("run", Takes::Prog),
            ("profile", Takes::Prog),
        ],
    ),
    (
        "map",
        &[
            ("show", Takes::Map),
            ("list", Takes::Map),
            ("help", Takes::Nothing),
            ("dump", Takes::Map),
            ("update", Takes::Map),
            ("lookup", Takes::Map),
            ("getnext", Takes::Map),
            ("delete", Takes::Map),
            ("pin", Takes::Map),
            ("event_pipe", Takes::Map),
            ("create", Takes::File),
            ("peek", Takes::Map),
            ("push", Takes::Map),
            ("enqueue", Takes::Map),
            ("pop", Takes::Map),
            ("dequeue", Takes::Map),
            ("freeze", Takes::Map),
        ],
    ),
    (
        "link",
        &[
            ("show", Takes::Link),
            ("list", Takes::Link),
            ("help", Takes::Nothing),
            ("pin", Takes::Link),
            ("detach", Takes::Link),
        ],
    ),
    (
        "cgroup",
        &[
            ("show", Takes::File),
            ("list", Takes::File),
            ("tree", Takes::File),
            ("attach", Takes::File),
            ("detach", Takes::File),
            ("help", Takes::Nothing),
        ],
    ),
    (
        "perf",
        &[
            ("show", Takes::Nothing),
            ("list", Takes::Nothing),
            ("help", Takes::Nothing),
        ],
    ),
    (
        "net",
        &[
            ("show", Takes::Nothing),
            ("list", Takes::Nothing),
            ("attach", Takes::Nothing),
            ("detach", Takes::Nothing),
            ("help", Takes::Nothing),
        ],
    ),
    (
        "feature",
        &[
            ("probe", Takes::Nothing),
            ("list_builtins", Takes::Nothing),
            ("help", Takes::Nothing),
        ],
    ),
    (
        "btf",
        &[
            ("show", Takes::BtfId),
            ("list", Takes::BtfId),
            ("help", Takes::Nothing),
            ("dump", Takes::BtfSrc),
        ],
    ),
    (
        "gen",
        &[
            ("object", Takes::File),
            ("skeleton", Takes::File),
            ("subskeleton", Takes::File),
            ("min_core_btf", Takes::File),
            ("help", Takes::Nothing),
        ],
    ),
    (
        "struct_ops",
        &[
            ("show", Takes::Nothing),
            ("list", Takes::Nothing),
            ("register", Takes::File),
            ("unregister", Takes::Nothing),
            ("dump", Takes::Nothing),
            ("help", Takes::Nothing),
        ],
    ),
    ("iter", &[("help", Takes::Nothing), ("pin", Takes::File)]),
    (
        "token",
        &[
            ("show", Takes::Nothing),
            ("list", Takes::Nothing),
            ("help", Takes::Nothing),
        ],
    ),
];

/// Words that are not objects but come first: bpftool's main table minus the objects.
pub const MAIN_WORDS: &[&str] = &[
    "help",
    "batch",
    "prog",
    "map",
    "link",
    "cgroup",
    "perf",
    "net",
    "feature",
    "btf",
    "gen",
    "struct_ops",
    "iter",
    "token",
    "version",
];

/// Global options, short and long.
pub const OPTIONS: &[&str] = &[
    "-j",
    "--json",
    "-p",
    "--pretty",
    "-d",
    "--debug",
    "-f",
    "--bpffs",
    "-m",
    "--mapcompat",
    "-n",
    "--nomount",
    "-L",
    "--use-loader",
    "-S",
    "--sign",
    "-k",
    "-i",
    "-B",
    "--base-btf",
    "-V",
    "--version",
    "-h",
    "--help",
];

/// Further words for keyword positions that are not handles.
const EXTRA: &[(&str, &str, &str)] = &[
    ("prog", "dump", "xlated jited"),
    (
        "feature",
        "probe",
        "kernel dev full unprivileged macros prefix",
    ),
    (
        "feature",
        "list_builtins",
        "prog_types map_types attach_types link_types helpers",
    ),
    ("map", "create", ""),
    ("map", "update", "key value any exist noexist hex"),
    ("map", "lookup", "key hex"),
    ("map", "getnext", "key hex"),
    ("map", "delete", "key hex"),
];

fn handle_words(t: Takes) -> &'static str {
    match t {
        Takes::Prog => "id pinned tag name",
        Takes::Map => "id pinned name",
        Takes::Link => "id pinned",
        Takes::BtfId => "id",
        Takes::BtfSrc => "id prog map file",
        Takes::Nothing | Takes::File => "",
    }
}

/// The bash script (`complete -F` for `bpftool` and `bpftool-rs`).
pub fn bash() -> String {
    let mut s = String::new();
    s.push_str(HEADER);
    s.push_str("\n_bpftool_rs_first() { # WORD LIST...: bpftool's first-match prefix rule\n");
    s.push_str("    local w=$1 k; shift\n    for k in \"$@\"; do [[ $k == \"$w\"* ]] && { echo \"$k\"; return; }; done\n}\n\n");
    s.push_str("_bpftool_rs_query() { # TOOL OBJECT FIELD: live values from `-j OBJECT show`\n");
    s.push_str("    \"$1\" -j \"$2\" show 2>/dev/null | grep -o \"\\\"$3\\\":\\\"*[^,\\\"}]*\" | sed 's/.*://; s/\"//g' | sort -u\n}\n\n");
    s.push_str("_bpftool_rs() {\n");
    s.push_str("    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n");
    s.push_str("    local tool=${COMP_WORDS[0]} words=() i\n");
    s.push_str("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
    s.push_str("        case ${COMP_WORDS[i]} in\n");
    s.push_str("            -B|--base-btf|-k|-i) ((i++)) ;;\n");
    s.push_str("            -*) ;;\n");
    s.push_str("            *) words+=(\"${COMP_WORDS[i]}\") ;;\n");
    s.push_str("        esac\n    done\n");
    s.push_str("    case $prev in\n        -B|--base-btf|-k|-i|pinned|file) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n    esac\n");
    let _ = writeln!(
        s,
        "    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return; fi",
        OPTIONS.join(" ")
    );
    let _ = writeln!(
        s,
        "    if ((${{#words[@]}} == 0)); then COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return; fi",
        MAIN_WORDS.join(" ")
    );
    let _ = writeln!(
        s,
        "    local obj=$(_bpftool_rs_first \"${{words[0]}}\" {})",
        MAIN_WORDS.join(" ")
    );
    s.push_str("    local cmds= takes=\n    case $obj in\n");
    for (obj, cmds) in OBJECTS {
        let names: Vec<&str> = cmds.iter().map(|c| c.0).collect();
        let _ = writeln!(s, "        {obj}) cmds=\"{}\" ;;", names.join(" "));
    }
    s.push_str("        batch) cmds=\"file\" ;;\n        *) return ;;\n    esac\n");
    s.push_str("    if ((${#words[@]} == 1)); then COMPREPLY=($(compgen -W \"$cmds\" -- \"$cur\")); return; fi\n");
    s.push_str("    local cmd=$(_bpftool_rs_first \"${words[1]}\" $cmds)\n");
    s.push_str("    local kind=$obj w\n    for w in \"${words[@]:2}\"; do case $w in prog|map|link|btf) kind=$w ;; esac; done\n");
    s.push_str("    case $prev in\n");
    s.push_str("        id) COMPREPLY=($(compgen -W \"$(_bpftool_rs_query \"$tool\" \"$kind\" id)\" -- \"$cur\")); return ;;\n");
    s.push_str("        name) COMPREPLY=($(compgen -W \"$(_bpftool_rs_query \"$tool\" \"$kind\" name)\" -- \"$cur\")); return ;;\n");
    s.push_str("        tag) COMPREPLY=($(compgen -W \"$(_bpftool_rs_query \"$tool\" \"$kind\" tag)\" -- \"$cur\")); return ;;\n");
    s.push_str("    esac\n    local more=\n    case $obj/$cmd in\n");
    for (obj, cmds) in OBJECTS {
        for (cmd, takes) in *cmds {
            let mut w = handle_words(*takes).to_owned();
            if let Some(e) = EXTRA.iter().find(|e| e.0 == *obj && e.1 == *cmd) {
                if !e.2.is_empty() {
                    if !w.is_empty() {
                        w.push(' ');
                    }
                    w.push_str(e.2);
                }
            }
            if *takes == Takes::File {
                let _ = writeln!(
                    s,
                    "        {obj}/{cmd}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;"
                );
            } else if !w.is_empty() {
                let _ = writeln!(s, "        {obj}/{cmd}) more=\"{w}\" ;;");
            }
        }
    }
    s.push_str("        batch/*) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n");
    s.push_str("    esac\n    COMPREPLY=($(compgen -W \"$more\" -- \"$cur\"))\n}\n\n");
    s.push_str("complete -F _bpftool_rs bpftool-rs bpftool\n");
    s
}

const HEADER: &str = "# Completions for bpftool-rs (and bpftool when it is bpftool-rs).\n\
# Generated by `bpftool_rs::cli::complete`; do not edit, run `UPDATE_GOLDEN=1 cargo test`.\n";

/// The zsh script: zsh's bash-completion layer over the bash script, so both shells
/// complete the same way.
pub fn zsh() -> String {
    let mut s = String::from("#compdef bpftool-rs bpftool\n");
    s.push_str(HEADER);
    s.push_str("autoload -U +X bashcompinit && bashcompinit\n");
    s.push_str(&bash().replacen(HEADER, "", 1));
    s
}

/// The fish script.
pub fn fish() -> String {
    let mut s = String::new();
    s.push_str(HEADER);
    s.push_str(
        "\nfunction __bpftool_rs_words\n    set -l words (commandline -opc)\n    set -e words[1]\n",
    );
    s.push_str("    set -l out\n    set -l skip 0\n    for w in $words\n");
    s.push_str(
        "        if test $skip = 1\n            set skip 0\n            continue\n        end\n",
    );
    s.push_str("        switch $w\n            case -B --base-btf -k -i\n                set skip 1\n            case '-*'\n            case '*'\n                set out $out $w\n        end\n    end\n    if test (count $out) -gt 0\n        printf '%s\\n' $out\n    end\nend\n\n");
    s.push_str("function __bpftool_rs_first --argument-names word\n    for k in $argv[2..]\n        if string match -q -- \"$word*\" $k\n            echo $k\n            return\n        end\n    end\nend\n\n");
    s.push_str("function __bpftool_rs_query --argument-names obj field\n    set -l tool (commandline -opc)[1]\n    $tool -j $obj show 2>/dev/null | string match -ar \"\\\"$field\\\":\\\"?[^,\\\"}]*\" | string replace -r '.*:\"?' ''\nend\n\n");
    let _ = write!(
        s,
        "function __bpftool_rs_complete\n    set -l words (__bpftool_rs_words)\n    set -l n (count $words)\n    if test $n -eq 0\n        printf '%s\\n' {}\n        return\n    end\n",
        MAIN_WORDS.join(" ")
    );
    let _ = writeln!(
        s,
        "    set -l obj (__bpftool_rs_first $words[1] {})",
        MAIN_WORDS.join(" ")
    );
    s.push_str("    set -l cmds\n    switch $obj\n");
    for (obj, cmds) in OBJECTS {
        let names: Vec<&str> = cmds.iter().map(|c| c.0).collect();
        let _ = writeln!(
            s,
            "        case {obj}\n            set cmds {}",
            names.join(" ")
        );
    }
    s.push_str("        case batch\n            set cmds file\n        case '*'\n            return\n    end\n");
    s.push_str("    if test $n -eq 1\n        printf '%s\\n' $cmds\n        return\n    end\n");
    s.push_str("    set -l cmd (__bpftool_rs_first $words[2] $cmds)\n    set -l kind $obj\n    for w in $words[3..]\n        switch $w\n            case prog map link btf\n                set kind $w\n        end\n    end\n");
    s.push_str("    switch $words[-1]\n        case id name tag\n            __bpftool_rs_query $kind $words[-1]\n            return\n        case pinned file\n            __fish_complete_path\n            return\n    end\n");
    s.push_str("    switch $obj/$cmd\n");
    for (obj, cmds) in OBJECTS {
        for (cmd, takes) in *cmds {
            let mut w = handle_words(*takes).to_owned();
            if let Some(e) = EXTRA.iter().find(|e| e.0 == *obj && e.1 == *cmd) {
                if !e.2.is_empty() {
                    if !w.is_empty() {
                        w.push(' ');
                    }
                    w.push_str(e.2);
                }
            }
            if *takes == Takes::File {
                let _ = writeln!(
                    s,
                    "        case {obj}/{cmd}\n            __fish_complete_path"
                );
            } else if !w.is_empty() {
                let _ = writeln!(
                    s,
                    "        case {obj}/{cmd}\n            printf '%s\\n' {w}"
                );
            }
        }
    }
    s.push_str("        case 'batch/*'\n            __fish_complete_path\n    end\nend\n\n");
    for cmd in ["bpftool-rs", "bpftool"] {
        let _ = writeln!(s, "complete -c {cmd} -f -a '(__bpftool_rs_complete)'");
        for o in OPTIONS.iter().filter(|o| o.starts_with("--")) {
            let _ = writeln!(s, "complete -c {cmd} -l {}", &o[2..]);
        }
        for o in OPTIONS.iter().filter(|o| o.len() == 2) {
            let _ = writeln!(s, "complete -c {cmd} -s {}", &o[1..]);
        }
    }
    s
}
