//! The checked-in completion scripts are the generator's output, are valid shell, and
//! complete bpftool's grammar (first-match prefixes, handle keywords, files).

use std::path::Path;
use std::process::Command;

use bpftool_rs::cli::complete;

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/completions"))
}

#[test]
fn checked_in_scripts_are_current() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (file, text) in [
        ("bpftool-rs.bash", complete::bash()),
        ("_bpftool-rs", complete::zsh()),
        ("bpftool-rs.fish", complete::fish()),
    ] {
        let path = dir().join(file);
        if update {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        let on_disk =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            on_disk == text,
            "{file} is stale: run UPDATE_GOLDEN=1 cargo test --test completions"
        );
    }
}

/// Completions bash offers for a command line ending in `cur`.
fn bash_complete(words: &[&str]) -> Vec<String> {
    let script = dir().join("bpftool-rs.bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; _bpftool_rs; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(program)
        .output()
        .expect("bash");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_the_grammar() {
    assert_eq!(bash_complete(&["bpftool", "pr"]), ["prog"]);
    assert!(bash_complete(&["bpftool", ""]).contains(&"struct_ops".to_owned()));
    // `p` selects `prog` (first match), so its commands are offered.
    assert_eq!(bash_complete(&["bpftool", "p", "s"]), ["show"]);
    assert_eq!(
        bash_complete(&["bpftool", "-j", "prog", "show", ""]),
        ["id", "pinned", "tag", "name"]
    );
    assert_eq!(
        bash_complete(&["bpftool", "link", "detach", ""]),
        ["id", "pinned"]
    );
    assert_eq!(bash_complete(&["bpftool", "prog", "dump", "x"]), ["xlated"]);
    assert_eq!(
        bash_complete(&["bpftool", "btf", "dump", ""]),
        ["id", "prog", "map", "file"]
    );
    assert_eq!(bash_complete(&["bpftool", "--js"]), ["--json"]);
    // Files after `pinned` and for object files.
    let tmp = std::env::temp_dir().join(format!("bpftool_rs_compl_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("obj.bpf.o"), b"").unwrap();
    let prefix = format!("{}/ob", tmp.display());
    let got = bash_complete(&["bpftool", "gen", "skeleton", &prefix]);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(got, [format!("{}/obj.bpf.o", tmp.display())]);
}

#[test]
fn fish_script_parses_when_fish_is_there() {
    let script = dir().join("bpftool-rs.fish");
    match Command::new("fish")
        .arg("--no-execute")
        .arg(&script)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            // No fish on this machine: at least the generator's balance of blocks holds.
            let text = complete::fish();
            let opens = text.lines().filter(|l| {
                let t = l.trim_start();
                t.starts_with("function ")
                    || t.starts_with("for ")
                    || t.starts_with("switch ")
                    || t.starts_with("if ")
            });
            let ends = text.lines().filter(|l| l.trim() == "end");
            assert_eq!(opens.count(), ends.count());
        }
    }
}
