//! Command-line cases run against the binary: help texts, grammar and error paths,
//! with stdout, stderr and the exit status compared byte for byte.
//!
//! Cases are listed in tests/golden/cli/cases.txt. Their expected files were produced
//! by the reference bpftool (`bless-from-reference.sh`) except for the cases marked as
//! deliberate differences (docs/compat.md). `UPDATE_GOLDEN=1` rewrites the expected
//! files from our binary; review that diff like code.

mod support;

use std::fs;
use std::path::Path;

fn golden_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/cli"))
}

#[test]
fn cli_cases_match_expected_output() {
    support::ensure_bpffs();
    let cases = fs::read_to_string(golden_dir().join("cases.txt")).expect("cases.txt");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failures = Vec::new();
    let mut count = 0;
    for line in cases.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, args) = line.split_once('\t').unwrap_or((line, ""));
        let args: Vec<&str> = args.split_whitespace().collect();
        let run = support::run(&args);
        let dir = golden_dir();
        let status = format!("{}\n", run.code);
        if update {
            fs::write(dir.join(format!("{name}.stdout")), &run.stdout).unwrap();
            fs::write(dir.join(format!("{name}.stderr")), &run.stderr).unwrap();
            fs::write(dir.join(format!("{name}.status")), &status).unwrap();
            continue;
        }
        let read = |ext: &str| {
            fs::read_to_string(dir.join(format!("{name}.{ext}")))
                .unwrap_or_else(|e| panic!("{name}.{ext}: {e}"))
        };
        for (what, expected, got) in [
            ("stdout", read("stdout"), run.stdout.clone()),
            ("stderr", read("stderr"), run.stderr.clone()),
            ("status", read("status"), status.clone()),
        ] {
            if expected != got {
                failures.push(format!(
                    "case {name} ({args:?}): {what} differs\n--- expected\n{expected}\n--- got\n{got}"
                ));
            }
        }
        count += 1;
    }
    assert!(update || count > 70, "only {count} cases ran");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn works_through_a_symlink_named_bpftool() {
    let dir = std::env::temp_dir().join(format!("bpftool_rs_link_{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir(&dir).unwrap();
    let link = dir.join("bpftool");
    std::os::unix::fs::symlink(support::bin(), &link).unwrap();
    let via_link = support::run_program(link.as_os_str(), &["prog", "help"]);
    let direct = support::run(&["prog", "help"]);
    let _ = fs::remove_dir_all(&dir);
    assert_eq!(
        (via_link.code, &via_link.stderr),
        (direct.code, &direct.stderr)
    );
    assert!(direct.stderr_starts_with("Usage: bpftool prog "));
}

#[test]
fn closed_pipe_ends_quietly() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(support::bin())
        .args(["-p", "version"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close our end before the child writes: its write fails with EPIPE.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}
