//! Golden dumps of real programs: compiled from testdata/*.bpf.c, loaded on a live kernel and
//! dumped by the reference bpftool (`prog dump xlated ... opcodes`); see testdata/README.md.

use super::bpftool::{dump_plain, BpftoolCallbacks, Kallsyms};

/// Tells the golden test how bpftool resolved calls when the dump was taken.
struct Sidecar {
    call_base: u64,
    jited: Vec<u64>,
    syms: Vec<(u64, String)>,
}

fn parse_sidecar(text: &str) -> Sidecar {
    let mut sc = Sidecar {
        call_base: 0,
        jited: Vec::new(),
        syms: Vec::new(),
    };
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut f = line.split_whitespace();
        let key = f.next().unwrap();
        let hex = |s: Option<&str>| u64::from_str_radix(s.unwrap(), 16).unwrap();
        match key {
            "call_base" => sc.call_base = hex(f.next()),
            "jited" => sc.jited.push(hex(f.next())),
            "sym" => {
                let a = hex(f.next());
                sc.syms.push((a, f.next().unwrap().to_owned()));
            }
            _ => panic!("bad sidecar line {line:?}"),
        }
    }
    sc
}

/// Bytes of a dump, recovered from its `opcodes` lines.
fn bytes_from_opcodes(expected: &str) -> Vec<u8> {
    expected
        .lines()
        .filter(|l| l.starts_with("       "))
        .flat_map(|l| l.split_whitespace())
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

/// Real programs compiled from testdata/*.bpf.c, loaded on a live kernel, dumped by the
/// reference bpftool with `opcodes`. The instruction bytes come from the opcodes lines, the
/// kernel symbols bpftool used from the `.syms` sidecar.
#[test]
fn golden_dumps_from_reference_bpftool() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/disasm/bpf/testdata");
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "xlated"))
        .collect();
    entries.sort();
    for path in entries {
        let expected = std::fs::read_to_string(&path).unwrap();
        let sidecar = parse_sidecar(&std::fs::read_to_string(path.with_extension("syms")).unwrap());
        let syms = Kallsyms::from_parts(sidecar.call_base, sidecar.syms);
        let cbs = BpftoolCallbacks::new(&syms, &sidecar.jited);
        let bytes = bytes_from_opcodes(&expected);
        assert!(!bytes.is_empty(), "{}: no opcodes", path.display());
        let mut out = Vec::new();
        let tail = dump_plain(&mut out, &bytes, &cbs, true).unwrap();
        assert_eq!(tail, None);
        let got = String::from_utf8(out).unwrap();
        if got != expected {
            for (n, (w, g)) in expected.lines().zip(got.lines()).enumerate() {
                assert_eq!(g, w, "{}: line {}", path.display(), n + 1);
            }
            panic!("{}: line count differs", path.display());
        }
        checked += 1;
    }
    assert!(checked > 0, "no golden dumps in {}", dir.display());
}
