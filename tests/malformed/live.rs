//! Live checks on this machine: kernel BTF from sysfs (vmlinux and module split BTF), and BPF
//! objects compiled with clang. Facts are checked independently of our parser: by hand for a
//! few well-known types, and type by type against the system bpftool's JSON dump when one is
//! installed. Each check skips (with a note on stderr) when its input or tool is missing.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use bpftool_rs::btf::{Btf, Endianness, Kind, Type};
use serde_json::Value;

const VMLINUX: &str = "/sys/kernel/btf/vmlinux";

fn vmlinux() -> Option<Btf> {
    let data = match std::fs::read(VMLINUX) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("skipping: {VMLINUX}: {e}");
            return None;
        }
    };
    Some(Btf::parse(data).expect("vmlinux BTF must parse"))
}

/// `bpftool -j btf dump file PATH [--base-btf BASE]`, or None when bpftool is unavailable.
fn bpftool_json(path: &Path, base: Option<&Path>) -> Option<Value> {
    for exe in ["bpftool", "/usr/sbin/bpftool"] {
        let mut cmd = Command::new(exe);
        cmd.arg("-j");
        if let Some(base) = base {
            cmd.arg("--base-btf").arg(base);
        }
        cmd.args(["btf", "dump", "file"]).arg(path);
        match cmd.output() {
            Ok(out) if out.status.success() => {
                return Some(serde_json::from_slice(&out.stdout).expect("bpftool JSON"));
            }
            Ok(out) => {
                eprintln!(
                    "skipping bpftool cross-check of {}: {}",
                    path.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                return None;
            }
            Err(_) => continue,
        }
    }
    eprintln!("skipping bpftool cross-check: no bpftool");
    None
}

/// bpftool's spelling of a name: "(anon)" for offset 0.
fn bpftool_name(btf: &Btf, off: u32) -> String {
    if off == 0 {
        return "(anon)".into();
    }
    String::from_utf8_lossy(btf.str_at(off).expect("name")).into_owned()
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn linkage(l: u32) -> &'static str {
    match l {
        0 => "static",
        1 => "global",
        2 => "extern",
        _ => "(unknown)",
    }
}

/// Compares every type of bpftool's JSON dump with our model; returns how many were compared.
fn compare_with_bpftool(btf: &Btf, json: &Value) -> usize {
    let types = json["types"].as_array().expect("types array");
    assert_eq!(types.len() as u32, btf.own_type_count(), "type count");
    for jt in types {
        let id = u(jt, "id") as u32;
        let t: Type<'_> = btf.type_by_id(id).expect("id in range");
        let ctx = format!("type [{id}] {jt}");
        assert_eq!(jt["kind"], t.kind().name(), "{ctx}");
        assert_eq!(jt["name"], bpftool_name(btf, t.name_off()), "{ctx}");
        match t.kind() {
            Kind::Int => {
                assert_eq!(u(jt, "size"), u64::from(t.size().unwrap()), "{ctx}");
                assert_eq!(
                    u(jt, "bits_offset"),
                    u64::from(t.int_offset().unwrap()),
                    "{ctx}"
                );
                assert_eq!(u(jt, "nr_bits"), u64::from(t.int_bits().unwrap()), "{ctx}");
                let enc = match t.int_encoding().unwrap().0 {
                    0 => "(none)",
                    1 => "SIGNED",
                    2 => "CHAR",
                    4 => "BOOL",
                    _ => "UNKN",
                };
                assert_eq!(jt["encoding"], enc, "{ctx}");
            }
            Kind::Ptr
            | Kind::Const
            | Kind::Volatile
            | Kind::Restrict
            | Kind::Typedef
            | Kind::TypeTag => {
                assert_eq!(u(jt, "type_id"), u64::from(t.ref_type().unwrap()), "{ctx}");
            }
            Kind::Array => {
                let a = t.array().unwrap();
                assert_eq!(u(jt, "type_id"), u64::from(a.elem_type), "{ctx}");
                assert_eq!(u(jt, "index_type_id"), u64::from(a.index_type), "{ctx}");
                assert_eq!(u(jt, "nr_elems"), u64::from(a.nelems), "{ctx}");
            }
            Kind::Struct | Kind::Union => {
                assert_eq!(u(jt, "size"), u64::from(t.size().unwrap()), "{ctx}");
                assert_eq!(u(jt, "vlen"), u64::from(t.vlen()), "{ctx}");
                let jm = jt["members"].as_array().unwrap();
                assert_eq!(jm.len(), t.members().len(), "{ctx}");
                for (j, m) in jm.iter().zip(t.members()) {
                    assert_eq!(j["name"], bpftool_name(btf, m.name_off), "{ctx}");
                    assert_eq!(u(j, "type_id"), u64::from(m.type_id), "{ctx}");
                    assert_eq!(u(j, "bits_offset"), u64::from(m.bit_offset), "{ctx}");
                    let bf = j.get("bitfield_size").and_then(Value::as_u64).unwrap_or(0);
                    assert_eq!(bf, u64::from(m.bitfield_size), "{ctx}");
                }
            }
            Kind::Enum | Kind::Enum64 => {
                let signed = t.kflag();
                assert_eq!(jt["encoding"], if signed { "SIGNED" } else { "UNSIGNED" });
                assert_eq!(u(jt, "size"), u64::from(t.size().unwrap()), "{ctx}");
                assert_eq!(u(jt, "vlen"), u64::from(t.vlen()), "{ctx}");
                let jv = jt["values"].as_array().unwrap();
                assert_eq!(jv.len(), t.enum_values().len(), "{ctx}");
                for (j, v) in jv.iter().zip(t.enum_values()) {
                    assert_eq!(j["name"], bpftool_name(btf, v.name_off), "{ctx}");
                    if signed {
                        assert_eq!(j["val"].as_i64(), Some(v.value_i64()), "{ctx}");
                    } else if v.is_64 {
                        assert_eq!(j["val"].as_u64(), Some(v.value_u64()), "{ctx}");
                    } else {
                        // bpftool passes the s32 `val` to a u64 JSON field: sign-extended.
                        let ext = i64::from(v.lo32 as i32) as u64;
                        assert_eq!(j["val"].as_u64(), Some(ext), "{ctx}");
                    }
                }
            }
            Kind::Fwd => {
                let fk = if t.kflag() { "union" } else { "struct" };
                assert_eq!(jt["fwd_kind"], fk, "{ctx}");
            }
            Kind::Func => {
                assert_eq!(u(jt, "type_id"), u64::from(t.ref_type().unwrap()), "{ctx}");
                assert_eq!(jt["linkage"], linkage(t.func_linkage().unwrap()), "{ctx}");
            }
            Kind::FuncProto => {
                assert_eq!(
                    u(jt, "ret_type_id"),
                    u64::from(t.ref_type().unwrap()),
                    "{ctx}"
                );
                assert_eq!(u(jt, "vlen"), u64::from(t.vlen()), "{ctx}");
                let jp = jt["params"].as_array().unwrap();
                assert_eq!(jp.len(), t.params().len(), "{ctx}");
                for (j, p) in jp.iter().zip(t.params()) {
                    assert_eq!(j["name"], bpftool_name(btf, p.name_off), "{ctx}");
                    assert_eq!(u(j, "type_id"), u64::from(p.type_id), "{ctx}");
                }
            }
            Kind::Var => {
                assert_eq!(u(jt, "type_id"), u64::from(t.ref_type().unwrap()), "{ctx}");
                assert_eq!(jt["linkage"], linkage(t.var_linkage().unwrap()), "{ctx}");
            }
            Kind::Datasec => {
                assert_eq!(u(jt, "size"), u64::from(t.size().unwrap()), "{ctx}");
                assert_eq!(u(jt, "vlen"), u64::from(t.vlen()), "{ctx}");
                let jv = jt["vars"].as_array().unwrap();
                assert_eq!(jv.len(), t.var_secinfos().len(), "{ctx}");
                for (j, v) in jv.iter().zip(t.var_secinfos()) {
                    assert_eq!(u(j, "type_id"), u64::from(v.type_id), "{ctx}");
                    assert_eq!(u(j, "offset"), u64::from(v.offset), "{ctx}");
                    assert_eq!(u(j, "size"), u64::from(v.size), "{ctx}");
                }
            }
            Kind::Float => {
                assert_eq!(u(jt, "size"), u64::from(t.size().unwrap()), "{ctx}");
            }
            Kind::DeclTag => {
                assert_eq!(u(jt, "type_id"), u64::from(t.ref_type().unwrap()), "{ctx}");
                assert_eq!(
                    jt["component_idx"].as_i64(),
                    Some(i64::from(t.decl_tag_component_idx().unwrap())),
                    "{ctx}"
                );
            }
            Kind::Unknown => {}
        }
    }
    types.len()
}

#[test]
fn vmlinux_facts() {
    let Some(btf) = vmlinux() else { return };
    assert_eq!(btf.start_id(), 1);
    assert!(btf.base().is_none());
    assert!(btf.type_count() > 1000, "only {} types", btf.type_count());
    assert_eq!(btf.types().len() as u32, btf.type_count());

    let int = btf.find_by_name_kind("int", Kind::Int).expect("int");
    let t = btf.type_by_id(int).unwrap();
    assert_eq!(t.size(), Some(4));
    assert_eq!(t.int_bits(), Some(32));
    assert!(t.int_encoding().unwrap().is_signed());
    assert_eq!(btf.resolve_size(int).unwrap(), 4);

    let ts = btf
        .find_by_name_kind("task_struct", Kind::Struct)
        .expect("task_struct");
    let ts_type = btf.type_by_id(ts).unwrap();
    assert_eq!(btf.name_of(&ts_type), Some(&b"task_struct"[..]));
    assert!(ts_type.size().unwrap() > 1000);
    assert_eq!(btf.resolve_size(ts).unwrap(), ts_type.size().unwrap());
    // task_struct has a `pid` member of type pid_t, a typedef of int.
    let pid = ts_type
        .members()
        .find(|m| btf.str_at(m.name_off) == Some(&b"pid"[..]))
        .expect("task_struct.pid");
    assert_eq!(btf.resolve_type(pid.type_id).unwrap(), int);
    assert_eq!(btf.resolve_size(pid.type_id).unwrap(), 4);

    if cfg!(target_pointer_width = "64") {
        assert_eq!(btf.pointer_size(), Some(8));
    }
    let native = if cfg!(target_endian = "little") {
        Endianness::Little
    } else {
        Endianness::Big
    };
    assert_eq!(btf.endianness(), native);
    // Every FUNC points at a FUNC_PROTO (checked at parse; verify through the public API).
    for t in btf.types().filter(|t| t.kind() == Kind::Func) {
        let proto = btf.type_by_id(t.ref_type().unwrap()).unwrap();
        assert_eq!(proto.kind(), Kind::FuncProto);
    }
    crate::exercise(&btf);
}

#[test]
fn vmlinux_matches_bpftool() {
    let Some(btf) = vmlinux() else { return };
    let Some(json) = bpftool_json(Path::new(VMLINUX), None) else {
        return;
    };
    let n = compare_with_bpftool(&btf, &json);
    eprintln!("compared {n} vmlinux types with bpftool");
}

#[test]
fn module_btf_is_split_on_vmlinux() {
    let Some(vmlinux) = vmlinux() else { return };
    let vmlinux = Arc::new(vmlinux);
    let Ok(dir) = std::fs::read_dir("/sys/kernel/btf") else {
        return;
    };
    let mut modules: Vec<PathBuf> = dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "vmlinux"))
        .collect();
    modules.sort();
    if modules.is_empty() {
        eprintln!("skipping: no module BTF in /sys/kernel/btf");
        return;
    }
    // A handful is enough; the check of each is thorough.
    for path in modules.iter().take(5) {
        let data = std::fs::read(path).expect("read module BTF");
        let btf = Btf::parse_split(data, vmlinux.clone())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(btf.start_id(), vmlinux.type_count() + 1);
        assert_eq!(btf.start_str_off(), vmlinux.header().str_len);
        crate::exercise(&btf);
        if let Some(json) = bpftool_json(path, Some(Path::new(VMLINUX))) {
            compare_with_bpftool(&btf, &json);
        }
    }
}

const BPF_SOURCE: &str = r#"
struct point { int x; int y; unsigned int flags : 3; unsigned int more : 5; };
struct ctx_like { long a; struct point p; } __attribute__((preserve_access_index));
enum color { RED = -1, GREEN = 2 };
enum color last_color;
int counter = 0;
long big_array[4];
__attribute__((noinline)) static int helper(int v) { return v * 2; }
__attribute__((section("tracepoint/syscalls/sys_enter_write"), used))
int prog_one(struct ctx_like *ctx)
{
	counter += ctx->p.y;
	return ctx->a > 0 ? GREEN : RED;
}
__attribute__((section("xdp"), used))
int prog_two(void *ctx) { return helper(counter) + (int)big_array[1]; }
char _license[] __attribute__((section("license"), used)) = "GPL";
"#;

/// Compiles BPF_SOURCE for `target` ("bpfel" or "bpfeb"), or None without a BPF-capable clang.
fn compile_bpf(target: &str) -> Option<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("btf-live");
    std::fs::create_dir_all(&dir).ok()?;
    // One source per target: the tests run in parallel.
    let src = dir.join(format!("t_{target}.bpf.c"));
    let obj = dir.join(format!("t.{target}.o"));
    std::fs::write(&src, BPF_SOURCE).ok()?;
    let status = Command::new("clang")
        .args(["-g", "-O2", "-target", target, "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status();
    match status {
        Ok(s) if s.success() => std::fs::read(&obj).ok(),
        _ => {
            eprintln!("skipping: clang cannot build for {target}");
            None
        }
    }
}

fn check_object(target: &str, endian: Endianness) {
    let Some(obj) = compile_bpf(target) else {
        return;
    };
    let btf = Btf::from_elf(&obj).expect("object BTF");
    assert_eq!(btf.endianness(), endian);
    assert_eq!(btf.pointer_size(), Some(8));
    crate::exercise(&btf);

    let point = btf.find_by_name_kind("point", Kind::Struct).expect("point");
    let p = btf.type_by_id(point).unwrap();
    assert_eq!(p.size(), Some(12));
    let members: Vec<_> = p.members().collect();
    assert_eq!(members.len(), 4);
    // Bitfields: clang sets kind_flag and packs the width into the offset.
    assert!(p.kflag());
    assert_eq!((members[2].bit_offset, members[2].bitfield_size), (64, 3));
    assert_eq!((members[3].bit_offset, members[3].bitfield_size), (67, 5));
    let color = btf
        .find_by_name_kind("color", Kind::Enum)
        .expect("enum color");
    let values: Vec<_> = btf.type_by_id(color).unwrap().enum_values().collect();
    // clang < 15 does not mark signed enums with kind_flag: then -1 reads as 0xffffffff.
    let signed = btf.type_by_id(color).unwrap().kflag();
    assert_eq!(values[0].lo32, u32::MAX);
    assert_eq!(
        values[0].value_i64(),
        if signed { -1 } else { i64::from(u32::MAX) }
    );
    let helper = btf.find_by_name_kind("helper", Kind::Func).expect("helper");
    assert_eq!(btf.type_by_id(helper).unwrap().func_linkage(), Some(0));
    let bss = btf.find_by_name_kind(".bss", Kind::Datasec).expect(".bss");
    assert!(btf.type_by_id(bss).unwrap().var_secinfos().len() >= 2);

    let ext = Btf::ext_from_elf(&obj).unwrap().expect(".BTF.ext");
    let mut func_names = Vec::new();
    for sec in ext.func_info() {
        let sec_name = sec.name(&btf).expect("section name");
        assert!(!sec_name.is_empty());
        for r in sec.records() {
            let f = btf.type_by_id(r.type_id).expect("func_info type");
            assert_eq!(f.kind(), Kind::Func);
            func_names.push(String::from_utf8_lossy(btf.name_of(&f).unwrap()).into_owned());
        }
    }
    func_names.sort();
    assert_eq!(func_names, ["helper", "prog_one", "prog_two"]);
    let mut lines = 0;
    for sec in ext.line_info() {
        for r in sec.records() {
            let file = btf.str_at(r.file_name_off).expect("file name");
            assert!(
                file.ends_with(b".bpf.c"),
                "{}",
                String::from_utf8_lossy(file)
            );
            assert!(r.line() > 0 && r.line() < 30);
            lines += 1;
        }
    }
    assert!(lines > 3);
    // `ctx->p.y` and `ctx->a` through preserve_access_index: CO-RE field relocations.
    let relos: Vec<_> = ext.core_relo().flat_map(|s| s.records()).collect();
    assert!(!relos.is_empty());
    for r in &relos {
        let spec = btf.str_at(r.access_str_off).expect("access string");
        assert!(spec.iter().all(|c| c.is_ascii_digit() || *c == b':'));
        assert_eq!(
            btf.name_of(&btf.type_by_id(r.type_id).unwrap()),
            Some(&b"ctx_like"[..])
        );
    }

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("btf-live");
    if let Some(json) = bpftool_json(&dir.join(format!("t.{target}.o")), None) {
        compare_with_bpftool(&btf, &json);
    }
}

#[test]
fn bpf_object_little_endian() {
    check_object("bpfel", Endianness::Little);
}

#[test]
fn bpf_object_big_endian() {
    check_object("bpfeb", Endianness::Big);
}
