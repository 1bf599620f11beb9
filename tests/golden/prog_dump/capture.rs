//! Dev tool: records loaded programs for the `prog dump` golden tests (tests/prog_dump.rs).
//!
//!     cargo run --example prog-dump-capture -- NAME PINNED_PATH [PINNED_PATH...]
//!
//! For each program it writes `tests/golden/prog_dump/NAME/` with `record.json` (everything
//! the kernel returned that `prog dump` uses: both images, func/line info, JITed ksyms and
//! line info, the BTF, and the kallsyms entries bpftool looks up) and, for every mode the
//! test runs, the output of the reference bpftool (`$BPFTOOL_REF`, default the oracle build).
//! With several paths, one record per program plus the outputs of a `name` handle matching
//! them all. Run as root.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::Command;

use bpftool_rs::disasm::bpf::{decode, Kallsyms, KernelSymbols};
use bpftool_rs::sys::{Kernel, ObjKind, ProgImage, RealKernel};
use serde_json::{json, Value};

/// The modes the golden test runs, as (file name, bpftool arguments after the handle).
const MODES: &[(&str, &[&str], &[&str])] = &[
    ("xlated.txt", &[], &["xlated"]),
    (
        "xlated_opcodes_linum.txt",
        &[],
        &["xlated", "opcodes", "linum"],
    ),
    ("visual.txt", &[], &["xlated", "visual", "opcodes", "linum"]),
    ("xlated.json", &["-j"], &["xlated", "opcodes", "linum"]),
    ("xlated_pretty.json", &["-p"], &["xlated"]),
    ("jited.txt", &[], &["jited"]),
    (
        "jited_opcodes_linum.txt",
        &[],
        &["jited", "opcodes", "linum"],
    ),
    ("jited.json", &["-j"], &["jited", "opcodes", "linum"]),
    ("jited_pretty.json", &["-p"], &["jited"]),
];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn bpftool() -> String {
    std::env::var("BPFTOOL_REF")
        .unwrap_or_else(|_| "/var/cache/bpftool-oracle/ref/bpftool".to_owned())
}

fn run_ref(flags: &[&str], handle: &[&str], args: &[&str]) -> Vec<u8> {
    let out = Command::new(bpftool())
        .args(flags)
        .args(["prog", "dump", args[0]])
        .args(handle)
        .args(&args[1..])
        .output()
        .expect("reference bpftool");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn record(k: &RealKernel, path: &Path, kallsyms_text: &str, full: &Kallsyms) -> (Value, Vec<u8>) {
    let fd = k.obj_get(path, 0).expect("pinned program");
    let x = k.prog_dump(fd.as_fd(), ProgImage::Xlated).expect("xlated");
    let j = k.prog_dump(fd.as_fd(), ProgImage::Jited).expect("jited");
    let info = &x.info;
    let btf = if info.btf_id != 0 {
        let bfd = k.fd_by_id(ObjKind::Btf, info.btf_id, 0).expect("btf");
        k.btf_data(bfd.as_fd()).expect("btf data")
    } else {
        Vec::new()
    };
    // Every address bpftool resolves, with the name the whole table gives it; one line per
    // address keeps lookups in the small table unambiguous.
    let ksyms = x.jited_ksyms.clone().unwrap_or_default();
    let mut addrs: Vec<u64> = ksyms.clone();
    for d in decode(x.image.as_deref().unwrap_or_default()).flatten() {
        if d.insn.code == 0x85 {
            let a = if d.insn.src_reg == 1 {
                ksyms.get(d.insn.imm as u32 as usize).copied()
            } else {
                None
            };
            addrs.push(a.unwrap_or(full.call_base().wrapping_add(i64::from(d.insn.imm) as u64)));
        }
    }
    addrs.sort_unstable();
    addrs.dedup();
    let mut syms = format!("{:016x} T __bpf_call_base\n", full.call_base());
    for a in addrs {
        if let Some(n) = full.symbol_at(a) {
            if n != "__bpf_call_base" {
                syms.push_str(&format!("{a:016x} t {n}\n"));
            }
        }
    }
    let _ = kallsyms_text;
    let v = json!({
        "id": info.id,
        "prog_type": info.prog_type,
        "tag": hex(&info.tag),
        "name": String::from_utf8_lossy(&info.name),
        "gpl_compatible": info.gpl_compatible,
        "btf_id": info.btf_id,
        "xlated_prog_len": info.xlated_prog_len,
        "jited_prog_len": info.jited_prog_len,
        "nr_func_info": info.nr_func_info,
        "func_info_rec_size": info.func_info_rec_size,
        "nr_line_info": info.nr_line_info,
        "nr_jited_line_info": info.nr_jited_line_info,
        "nr_jited_ksyms": info.nr_jited_ksyms,
        "first_func_type_id": info.first_func_type_id,
        "xlated": hex(x.image.as_deref().unwrap_or_default()),
        "jited": hex(j.image.as_deref().unwrap_or_default()),
        "jited_ksyms": x.jited_ksyms,
        "nr_jited_func_lens": x.nr_jited_func_lens,
        "jited_func_lens": x.jited_func_lens,
        "func_info": hex(x.func_info.as_deref().unwrap_or_default()),
        "line_info_rec_size": x.line_info_rec_size,
        "line_info": hex(x.line_info.as_deref().unwrap_or_default()),
        "jited_line_info_rec_size": x.jited_line_info_rec_size,
        "jited_line_info": hex(x.jited_line_info.as_deref().unwrap_or_default()),
        "btf": hex(&btf),
    });
    (v, syms.into_bytes())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, paths) = args
        .split_first()
        .expect("usage: prog-dump-capture NAME PINNED...");
    let k = RealKernel;
    let text = k.kallsyms_text().expect("/proc/kallsyms");
    let full = Kallsyms::parse(&text);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/prog_dump")
        .join(name);
    std::fs::create_dir_all(&dir).expect("golden dir");
    let mut records = Vec::new();
    let mut kallsyms = Vec::new();
    for p in paths {
        let (v, syms) = record(&k, Path::new(p), &text, &full);
        records.push(v);
        kallsyms.extend(syms);
    }
    let doc = json!({ "programs": records, "kallsyms": String::from_utf8_lossy(&kallsyms) });
    std::fs::write(
        dir.join("record.json"),
        serde_json::to_string_pretty(&doc).unwrap() + "\n",
    )
    .expect("record.json");
    if paths.len() == 1 {
        for (file, flags, a) in MODES {
            let out = run_ref(flags, &["pinned", &paths[0]], a);
            std::fs::write(dir.join(file), out).expect("expected output");
        }
    } else {
        let prog_name = records[0]["name"].as_str().unwrap_or_default().to_owned();
        for (file, flags, a) in [
            ("multi_xlated.txt", &[][..], &["xlated", "linum"][..]),
            ("multi_xlated.json", &["-j"][..], &["xlated"][..]),
            ("multi_jited.txt", &[][..], &["jited"][..]),
            (
                "multi_jited_pretty.json",
                &["-p"][..],
                &["jited", "opcodes"][..],
            ),
        ] {
            let out = run_ref(flags, &["name", &prog_name], a);
            std::fs::write(dir.join(file), out).expect("expected output");
        }
    }
    eprintln!("recorded {} program(s) in {}", paths.len(), dir.display());
}
