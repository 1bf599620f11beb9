//! Holders of BPF objects from inside the kernel: a BPF `iter/task_file` program.
//!
//! Upstream bpftool's iterator recognises BPF files by comparing `file->f_op` with the
//! kernel data symbols `bpf_prog_fops` & co., which only exist in kallsyms with
//! `CONFIG_KALLSYMS_ALL`. This one recognises them by the name of their anonymous-inode
//! dentry (`bpf-prog`, `bpf-map`, `bpf_link`, `btf`: the names `/proc/PID/fd` shows as
//! `anon_inode:bpf-prog`), so it works on every kernel with BTF and BPF iterators
//! (Linux 5.8+). It is assembled here rather than compiled by clang: the structure
//! offsets it needs come from the running kernel's BTF, read with our own parser, so no
//! CO-RE loader and no build-time clang are involved.
//!
//! Each BPF file yields a 40-byte record: object id, process id, BPF cookie (perf_event
//! links), a flag telling whether the cookie was looked up, and the group leader's name.

use std::ffi::CString;
use std::io::Read;
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use libbpf_sys as sys;

use super::{ObjKind, ObjRef, SysError};
use crate::btf::{Btf, Kind};

/// Why the iterator could not run (the caller then walks /proc instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IterError(pub String);

impl From<SysError> for IterError {
    fn from(e: SysError) -> Self {
        IterError(format!("{}: {e}", e.call))
    }
}

const RECORD: i16 = 40;
const HELPER_PROBE_READ_KERNEL: i32 = 113;
const HELPER_PROBE_READ_KERNEL_STR: i32 = 115;
const HELPER_SEQ_WRITE: i32 = 127;
const BPF_LINK_TYPE_PERF_EVENT: i32 = 7;

/// Structure offsets (bytes) the program reads through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Offsets {
    /// `bpf_iter_task_file` in vmlinux BTF: the program's attach target.
    pub attach_btf_id: u32,
    file_dentry: u32,
    file_private: u32,
    dentry_name: u32,
    task_tgid: u32,
    task_group_leader: u32,
    task_comm: u32,
    prog_aux: u32,
    aux_id: u32,
    map_id: u32,
    link_id: u32,
    link_type: u32,
    btf_id: u32,
    /// `bpf_perf_link.perf_file` and `perf_event.bpf_cookie`, when the kernel has them.
    perf_cookie: Option<(u32, u32)>,
}

/// Byte offset of a member path (`["f_path", "dentry"]`) in struct `start`, looking
/// through anonymous struct/union members as C does.
fn member_offset(btf: &Btf, start: u32, path: &[&str]) -> Option<u32> {
    let mut ty = start;
    let mut total = 0u32;
    for name in path {
        let (off, member_ty) = find_member(btf, ty, name.as_bytes(), 0)?;
        total = total.checked_add(off)?;
        ty = btf.resolve_type(member_ty).ok()?;
    }
    Some(total)
}

fn find_member(btf: &Btf, ty: u32, name: &[u8], depth: u32) -> Option<(u32, u32)> {
    if depth > 8 {
        return None;
    }
    let t = btf.type_by_id(btf.resolve_type(ty).ok()?)?;
    if !matches!(t.kind(), Kind::Struct | Kind::Union) {
        return None;
    }
    for m in t.members() {
        if m.bitfield_size != 0 {
            continue;
        }
        let mname = btf.str_at(m.name_off).unwrap_or_default();
        if mname == name {
            return Some((m.bit_offset / 8, m.type_id));
        }
        if mname.is_empty() {
            if let Some((off, id)) = find_member(btf, m.type_id, name, depth + 1) {
                return Some((m.bit_offset / 8 + off, id));
            }
        }
    }
    None
}

impl Offsets {
    /// Looks everything up in one pass over the kernel's BTF.
    pub fn from_btf(btf: &Btf) -> Result<Offsets, IterError> {
        const STRUCTS: [&str; 12] = [
            "file",
            "dentry",
            "task_struct",
            "bpf_prog",
            "bpf_prog_aux",
            "bpf_map",
            "bpf_link",
            "btf",
            "bpf_perf_link",
            "perf_event",
            "qstr",
            "path",
        ];
        let mut ids = [0u32; STRUCTS.len()];
        let mut attach = 0;
        for t in btf.types() {
            let kind = t.kind();
            if kind != Kind::Struct && kind != Kind::Func {
                continue;
            }
            let Some(name) = btf.str_at(t.name_off()) else {
                continue;
            };
            if kind == Kind::Func {
                if name == b"bpf_iter_task_file" {
                    attach = t.id();
                }
            } else if let Some(i) = STRUCTS.iter().position(|s| s.as_bytes() == name) {
                if ids[i] == 0 {
                    ids[i] = t.id();
                }
            }
        }
        let id = |name: &str| ids[STRUCTS.iter().position(|s| *s == name).unwrap_or(0)];
        let need = |what: &str, v: Option<u32>| {
            v.ok_or_else(|| IterError(format!("no {what} in the kernel's BTF")))
        };
        if attach == 0 {
            return Err(IterError("no BPF task_file iterator in this kernel".into()));
        }
        let perf_cookie = member_offset(btf, id("bpf_perf_link"), &["perf_file"])
            .zip(member_offset(btf, id("perf_event"), &["bpf_cookie"]));
        Ok(Offsets {
            attach_btf_id: attach,
            file_dentry: need(
                "file.f_path.dentry",
                member_offset(btf, id("file"), &["f_path", "dentry"]),
            )?,
            file_private: need(
                "file.private_data",
                member_offset(btf, id("file"), &["private_data"]),
            )?,
            dentry_name: need(
                "dentry.d_name.name",
                member_offset(btf, id("dentry"), &["d_name", "name"]),
            )?,
            task_tgid: need(
                "task_struct.tgid",
                member_offset(btf, id("task_struct"), &["tgid"]),
            )?,
            task_group_leader: need(
                "task_struct.group_leader",
                member_offset(btf, id("task_struct"), &["group_leader"]),
            )?,
            task_comm: need(
                "task_struct.comm",
                member_offset(btf, id("task_struct"), &["comm"]),
            )?,
            prog_aux: need("bpf_prog.aux", member_offset(btf, id("bpf_prog"), &["aux"]))?,
            aux_id: need(
                "bpf_prog_aux.id",
                member_offset(btf, id("bpf_prog_aux"), &["id"]),
            )?,
            map_id: need("bpf_map.id", member_offset(btf, id("bpf_map"), &["id"]))?,
            link_id: need("bpf_link.id", member_offset(btf, id("bpf_link"), &["id"]))?,
            link_type: need(
                "bpf_link.type",
                member_offset(btf, id("bpf_link"), &["type"]),
            )?,
            btf_id: need("btf.id", member_offset(btf, id("btf"), &["id"]))?,
            perf_cookie,
        })
    }
}

/// A tiny eBPF assembler: instructions plus forward jumps resolved by label.
#[derive(Debug, Default)]
struct Asm {
    insns: Vec<u64>,
    /// (instruction index, label) of jumps waiting for their target.
    fixups: Vec<(usize, usize)>,
    labels: Vec<Option<usize>>,
}

const R0: u8 = 0;
const R1: u8 = 1;
const R2: u8 = 2;
const R3: u8 = 3;
const R6: u8 = 6;
const R7: u8 = 7;
const R8: u8 = 8;
const R9: u8 = 9;
const R10: u8 = 10;

impl Asm {
    fn raw(&mut self, code: u8, dst: u8, src: u8, off: i16, imm: i32) {
        let v = u64::from(code)
            | u64::from(dst & 0xf) << 8
            | u64::from(src & 0xf) << 12
            | u64::from(off as u16) << 16
            | u64::from(imm as u32) << 32;
        self.insns.push(v);
    }
    fn label(&mut self) -> usize {
        self.labels.push(None);
        self.labels.len() - 1
    }
    fn bind(&mut self, l: usize) {
        self.labels[l] = Some(self.insns.len());
    }
    fn mov(&mut self, dst: u8, src: u8) {
        self.raw(0xbf, dst, src, 0, 0);
    }
    fn mov_imm(&mut self, dst: u8, imm: i32) {
        self.raw(0xb7, dst, 0, 0, imm);
    }
    fn add_imm(&mut self, dst: u8, imm: i32) {
        self.raw(0x07, dst, 0, 0, imm);
    }
    fn ldx_dw(&mut self, dst: u8, src: u8, off: i16) {
        self.raw(0x79, dst, src, off, 0);
    }
    fn ldx_w(&mut self, dst: u8, src: u8, off: i16) {
        self.raw(0x61, dst, src, off, 0);
    }
    fn st_dw(&mut self, dst: u8, off: i16, imm: i32) {
        self.raw(0x7a, dst, 0, off, imm);
    }
    fn st_w(&mut self, dst: u8, off: i16, imm: i32) {
        self.raw(0x62, dst, 0, off, imm);
    }
    fn ld_imm64(&mut self, dst: u8, v: u64) {
        self.raw(0x18, dst, 0, 0, v as u32 as i32);
        self.raw(0, 0, 0, 0, (v >> 32) as u32 as i32);
    }
    fn jump(&mut self, code: u8, dst: u8, src: u8, imm: i32, to: usize) {
        self.fixups.push((self.insns.len(), to));
        self.raw(code, dst, src, 0, imm);
    }
    fn jeq_imm(&mut self, dst: u8, imm: i32, to: usize) {
        self.jump(0x15, dst, 0, imm, to);
    }
    fn jne_imm(&mut self, dst: u8, imm: i32, to: usize) {
        self.jump(0x55, dst, 0, imm, to);
    }
    fn jne(&mut self, dst: u8, src: u8, to: usize) {
        self.jump(0x5d, dst, src, 0, to);
    }
    fn call(&mut self, helper: i32) {
        self.raw(0x85, 0, 0, 0, helper);
    }
    fn exit(&mut self) {
        self.raw(0x95, 0, 0, 0, 0);
    }
    /// `helper(r10 + dst_off, size, base + off)` for the probe-read helpers.
    fn probe(&mut self, helper: i32, dst_off: i16, size: i32, base: u8, off: u32) {
        self.mov(R1, R10);
        self.add_imm(R1, i32::from(dst_off));
        self.mov_imm(R2, size);
        if base != R3 {
            self.mov(R3, base);
        }
        self.add_imm(R3, off as i32);
        self.call(helper);
    }
    fn finish(mut self) -> Option<Vec<u64>> {
        for (at, label) in std::mem::take(&mut self.fixups) {
            let target = self.labels[label]?;
            let rel = i16::try_from(target as i64 - at as i64 - 1).ok()?;
            let v = self.insns[at];
            self.insns[at] = (v & !(0xffff << 16)) | u64::from(rel as u16) << 16;
        }
        Some(self.insns)
    }
}

/// The dentry name of `kind`'s files, as two little-endian words of a zeroed
/// 16-byte buffer.
fn name_words(kind: ObjKind) -> (u64, u64) {
    let name: &[u8] = match kind {
        ObjKind::Prog => b"bpf-prog",
        ObjKind::Map => b"bpf-map",
        ObjKind::Link => b"bpf_link",
        ObjKind::Btf => b"btf",
    };
    let mut buf = [0u8; 16];
    buf[..name.len()].copy_from_slice(name);
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
    (word(&buf[..8]), word(&buf[8..]))
}

/// The iterator program for objects of `kind`.
pub fn program(kind: ObjKind, o: &Offsets) -> Option<Vec<u64>> {
    // Stack: -8 scratch, -24..-8 dentry name, -64..-24 the record.
    const SCRATCH: i16 = -8;
    const NAME: i16 = -24;
    const REC: i16 = -64;
    let mut a = Asm::default();
    let out = a.label();
    let emit = a.label();
    a.mov(R6, R1);
    a.ldx_dw(R7, R6, 8); // ctx->task
    a.jeq_imm(R7, 0, out);
    a.ldx_dw(R8, R6, 24); // ctx->file
    a.jeq_imm(R8, 0, out);
    for off in (REC..SCRATCH + 8).step_by(8) {
        a.st_dw(R10, off, 0);
    }
    // dentry = file->f_path.dentry; name = dentry->d_name.name
    a.probe(HELPER_PROBE_READ_KERNEL, SCRATCH, 8, R8, o.file_dentry);
    a.jne_imm(R0, 0, out);
    a.ldx_dw(R3, R10, SCRATCH);
    a.jeq_imm(R3, 0, out);
    a.probe(HELPER_PROBE_READ_KERNEL, SCRATCH, 8, R3, o.dentry_name);
    a.jne_imm(R0, 0, out);
    a.ldx_dw(R3, R10, SCRATCH);
    a.jeq_imm(R3, 0, out);
    a.probe(HELPER_PROBE_READ_KERNEL_STR, NAME, 16, R3, 0);
    let (w0, w1) = name_words(kind);
    a.ldx_dw(R1, R10, NAME);
    a.ld_imm64(R2, w0);
    a.jne(R1, R2, out);
    a.ldx_dw(R1, R10, NAME + 8);
    a.ld_imm64(R2, w1);
    a.jne(R1, R2, out);
    // obj = file->private_data
    a.probe(HELPER_PROBE_READ_KERNEL, SCRATCH, 8, R8, o.file_private);
    a.jne_imm(R0, 0, out);
    a.ldx_dw(R9, R10, SCRATCH);
    a.jeq_imm(R9, 0, out);
    // record.id
    match kind {
        ObjKind::Prog => {
            a.probe(HELPER_PROBE_READ_KERNEL, SCRATCH, 8, R9, o.prog_aux);
            a.jne_imm(R0, 0, out);
            a.ldx_dw(R3, R10, SCRATCH);
            a.jeq_imm(R3, 0, out);
            a.probe(HELPER_PROBE_READ_KERNEL, REC, 4, R3, o.aux_id);
        }
        ObjKind::Map => a.probe(HELPER_PROBE_READ_KERNEL, REC, 4, R9, o.map_id),
        ObjKind::Link => a.probe(HELPER_PROBE_READ_KERNEL, REC, 4, R9, o.link_id),
        ObjKind::Btf => a.probe(HELPER_PROBE_READ_KERNEL, REC, 4, R9, o.btf_id),
    }
    a.jne_imm(R0, 0, out);
    // record.pid = task->tgid; record.comm = task->group_leader->comm
    a.probe(HELPER_PROBE_READ_KERNEL, REC + 4, 4, R7, o.task_tgid);
    a.probe(
        HELPER_PROBE_READ_KERNEL,
        SCRATCH,
        8,
        R7,
        o.task_group_leader,
    );
    a.jne_imm(R0, 0, out);
    a.ldx_dw(R3, R10, SCRATCH);
    a.jeq_imm(R3, 0, out);
    a.probe(HELPER_PROBE_READ_KERNEL_STR, REC + 24, 16, R3, o.task_comm);
    if let (ObjKind::Link, Some((perf_file, cookie))) = (kind, o.perf_cookie) {
        // perf_event links: the cookie of their perf event, as upstream reports it.
        a.st_dw(R10, SCRATCH, 0);
        a.probe(HELPER_PROBE_READ_KERNEL, SCRATCH, 4, R9, o.link_type);
        a.ldx_w(R1, R10, SCRATCH);
        a.jne_imm(R1, BPF_LINK_TYPE_PERF_EVENT, emit);
        a.st_w(R10, REC + 16, 1);
        a.probe(HELPER_PROBE_READ_KERNEL, SCRATCH, 8, R9, perf_file);
        a.jne_imm(R0, 0, emit);
        a.ldx_dw(R3, R10, SCRATCH);
        a.jeq_imm(R3, 0, emit);
        a.probe(HELPER_PROBE_READ_KERNEL, SCRATCH, 8, R3, o.file_private);
        a.jne_imm(R0, 0, emit);
        a.ldx_dw(R3, R10, SCRATCH);
        a.jeq_imm(R3, 0, emit);
        a.probe(HELPER_PROBE_READ_KERNEL, REC + 8, 8, R3, cookie);
    }
    a.bind(emit);
    a.ldx_dw(R1, R6, 0); // ctx->meta
    a.ldx_dw(R1, R1, 0); // meta->seq
    a.mov(R2, R10);
    a.add_imm(R2, i32::from(REC));
    a.mov_imm(R3, i32::from(RECORD));
    a.call(HELPER_SEQ_WRITE);
    a.bind(out);
    a.mov_imm(R0, 0);
    a.exit();
    a.finish()
}

/// Parses the records the iterator wrote, keeping bpftool's `add_ref` rules: one entry
/// per (object, pid), in iteration order, and our own process left out.
pub fn parse_records(data: &[u8], self_pid: i32) -> Vec<ObjRef> {
    let mut refs: Vec<ObjRef> = Vec::new();
    for rec in data.chunks_exact(RECORD as usize) {
        let u32_at = |o: usize| u32::from_le_bytes(rec[o..o + 4].try_into().unwrap_or([0; 4]));
        let id = u32_at(0);
        let pid = u32_at(4) as i32;
        let cookie = u64::from_le_bytes(rec[8..16].try_into().unwrap_or([0; 8]));
        let has_cookie = u32_at(16) != 0;
        let comm_raw = &rec[24..40];
        let len = comm_raw.iter().position(|&b| b == 0).unwrap_or(15).min(15);
        if pid == self_pid || refs.iter().any(|r| r.id == id && r.pid == pid) {
            continue;
        }
        refs.push(ObjRef {
            id,
            pid,
            comm: comm_raw[..len].to_vec(),
            bpf_cookie: has_cookie.then_some(cookie),
        });
    }
    refs
}

fn sys_bpf(
    cmd: sys::bpf_cmd,
    attr: &mut sys::bpf_attr,
    call: &'static str,
) -> Result<OwnedFd, SysError> {
    // SAFETY: `attr` is initialised and outlives the call; every pointer stored in it by
    // `run` points to a live buffer whose length is stored next to it.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd as libc::c_long,
            attr as *mut sys::bpf_attr,
            size_of::<sys::bpf_attr>(),
        )
    };
    if ret < 0 {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        return Err(SysError::new(call, errno));
    }
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(ret as i32) })
}

fn zeroed_attr() -> sys::bpf_attr {
    // SAFETY: `bpf_attr` is a C union of integers; all-zero is valid and expected.
    unsafe { zeroed() }
}

/// Loads, attaches and runs the iterator for `kind`; returns the raw records.
pub fn run(kind: ObjKind, o: &Offsets) -> Result<Vec<u8>, IterError> {
    let insns = program(kind, o).ok_or_else(|| IterError("jump out of range".into()))?;
    let license = CString::new("GPL").unwrap_or_default();
    let mut attr = zeroed_attr();
    let mut p = sys::bpf_attr__bindgen_ty_4::default();
    {
        p.prog_type = sys::BPF_PROG_TYPE_TRACING;
        p.expected_attach_type = sys::BPF_TRACE_ITER;
        p.attach_btf_id = o.attach_btf_id;
        p.insn_cnt = insns.len() as u32;
        p.insns = insns.as_ptr() as usize as u64;
        p.license = license.as_ptr() as usize as u64;
        for (d, s) in p.prog_name.iter_mut().zip(b"bpftool_rs_pids") {
            *d = *s as std::os::raw::c_char;
        }
    }
    attr.__bindgen_anon_3 = p;
    let prog = sys_bpf(sys::BPF_PROG_LOAD, &mut attr, "BPF_PROG_LOAD")?;
    let mut attr = zeroed_attr();
    attr.link_create.__bindgen_anon_1.prog_fd = prog.as_raw_fd() as u32;
    attr.link_create.attach_type = sys::BPF_TRACE_ITER;
    let link = sys_bpf(sys::BPF_LINK_CREATE, &mut attr, "BPF_LINK_CREATE")?;
    let mut attr = zeroed_attr();
    attr.iter_create.link_fd = link.as_raw_fd() as u32;
    let iter = sys_bpf(sys::BPF_ITER_CREATE, &mut attr, "BPF_ITER_CREATE")?;
    let mut out = Vec::new();
    std::fs::File::from(iter)
        .read_to_end(&mut out)
        .map_err(|e| IterError(format!("reading the iterator: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_every_kind_with_resolved_jumps() {
        let o = Offsets {
            attach_btf_id: 1,
            perf_cookie: Some((80, 640)),
            ..Offsets::default()
        };
        for kind in [ObjKind::Prog, ObjKind::Map, ObjKind::Link, ObjKind::Btf] {
            let p = program(kind, &o).expect("assembles");
            assert_eq!(p.last().copied(), Some(0x95), "ends with exit");
            // Every jump lands inside the program.
            for (i, insn) in p.iter().enumerate() {
                let code = (insn & 0xff) as u8;
                if matches!(code, 0x15 | 0x55 | 0x5d) {
                    let off = ((insn >> 16) & 0xffff) as u16 as i16;
                    let target = i as i64 + 1 + i64::from(off);
                    assert!((0..p.len() as i64).contains(&target), "{kind:?} insn {i}");
                }
            }
        }
    }

    #[test]
    fn records_dedup_per_object_and_pid() {
        let rec = |id: u32, pid: i32, comm: &[u8], cookie: Option<u64>| {
            let mut r = vec![0u8; 40];
            r[0..4].copy_from_slice(&id.to_le_bytes());
            r[4..8].copy_from_slice(&pid.to_le_bytes());
            if let Some(c) = cookie {
                r[8..16].copy_from_slice(&c.to_le_bytes());
                r[16] = 1;
            }
            r[24..24 + comm.len()].copy_from_slice(comm);
            r
        };
        let data = [
            rec(5, 10, b"a", None),
            rec(5, 10, b"a", None),
            rec(5, 11, b"b", Some(7)),
            rec(6, 99, b"self", None),
        ]
        .concat();
        let refs = parse_records(&data, 99);
        assert_eq!(refs.len(), 2);
        assert_eq!((refs[1].pid, refs[1].bpf_cookie), (11, Some(7)));
        assert_eq!(refs[0].comm, b"a");
    }

    #[test]
    fn finds_offsets_in_this_kernel() {
        let Ok(data) = std::fs::read("/sys/kernel/btf/vmlinux") else {
            return;
        };
        let btf = Btf::parse(data).expect("vmlinux BTF parses");
        let o = Offsets::from_btf(&btf).expect("offsets");
        assert_ne!(o.attach_btf_id, 0);
        assert!(o.task_comm > o.task_tgid, "{o:?}");
    }
}
