//! The kernel verifier's instruction syntax (`print_bpf_insn()` in kernel/bpf/disasm.c).
//!
//! Output must match the kernel byte for byte, including its quirks: table entries the kernel
//! leaves empty are printed as glibc prints a NULL `%s`, `(null)`, and malformed instructions
//! print `BUG_...` without the usual `(code)` prefix. Hand-written rather than generated from a
//! grammar because those quirks are the point.

use std::fmt::{self, Write};

use super::helpers::helper_name;
use super::insn::{alu, atomic, class, jmp, mode, pseudo, size, src, Insn};

/// What glibc's printf prints for a NULL `%s`, which is what the kernel's sparse string tables
/// yield for opcodes they do not name.
const NULL_STR: &str = "(null)";

/// Hooks that let the caller name call targets and 64-bit immediates (kernel: `struct
/// bpf_insn_cbs`, minus `cb_print`: text goes to the writer instead).
///
/// Returning `None` falls back to the kernel's own text for a missing callback.
pub trait Callbacks {
    /// Name of a call's target (kernel: `cb_call`). Not consulted for helper calls whose `imm`
    /// is a known helper id and `src_reg` is 0; those print the helper's name.
    fn call(&self, insn: &Insn) -> Option<String> {
        let _ = insn;
        None
    }

    /// Text for an LD_IMM64 operand (kernel: `cb_imm`). `next` is the second slot (absent only
    /// for truncated input) and `full_imm` the 64-bit value, already zeroed for map and BTF
    /// pointers when the printer was told not to leak pointers.
    fn imm(&self, insn: &Insn, next: Option<&Insn>, full_imm: u64) -> Option<String> {
        let _ = (insn, next, full_imm);
        None
    }
}

/// No callbacks: the kernel's fallbacks everywhere (`call pc+N`, `kernel-function`, raw hex).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCallbacks;

impl Callbacks for NoCallbacks {}

/// Writes the text of one instruction exactly as the kernel's `print_bpf_insn()` does, minus its
/// trailing newline (bpftool's JSON output strips it, the plain output adds it back).
///
/// `next` is the second slot of an LD_IMM64; if it is missing, the high half of the immediate
/// reads as 0 (the kernel can never see that case, so there is no reference text).
/// `allow_ptr_leaks` mirrors the kernel argument: bpftool passes `true`, the verifier log passes
/// `false` for unprivileged loaders, which zeroes map and BTF pointers in LD_IMM64.
pub fn print_insn(
    w: &mut dyn Write,
    insn: &Insn,
    next: Option<&Insn>,
    cbs: &dyn Callbacks,
    allow_ptr_leaks: bool,
) -> fmt::Result {
    match insn.class() {
        class::ALU | class::ALU64 => print_alu(w, insn),
        class::STX => print_stx(w, insn),
        class::ST => print_st(w, insn),
        class::LDX => print_ldx(w, insn),
        class::LD => print_ld(w, insn, next, cbs, allow_ptr_leaks),
        // Only JMP and JMP32 remain: the class is three bits.
        _ => print_jmp(w, insn, cbs),
    }
}

/// [`print_insn`] as a `Display` value, to write into an `io::Write` or a `format!`.
pub fn display_insn<'a>(
    insn: &'a Insn,
    next: Option<&'a Insn>,
    cbs: &'a dyn Callbacks,
    allow_ptr_leaks: bool,
) -> impl fmt::Display + 'a {
    InsnText {
        insn,
        next,
        cbs,
        allow_ptr_leaks,
    }
}

struct InsnText<'a> {
    insn: &'a Insn,
    next: Option<&'a Insn>,
    cbs: &'a dyn Callbacks,
    allow_ptr_leaks: bool,
}

impl fmt::Display for InsnText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        print_insn(f, self.insn, self.next, self.cbs, self.allow_ptr_leaks)
    }
}

fn alu_op_str(op: u8) -> &'static str {
    match op {
        alu::ADD => "+=",
        alu::SUB => "-=",
        alu::MUL => "*=",
        alu::DIV => "/=",
        alu::OR => "|=",
        alu::AND => "&=",
        alu::LSH => "<<=",
        alu::RSH => ">>=",
        alu::NEG => "neg",
        alu::MOD => "%=",
        alu::XOR => "^=",
        alu::MOV => "=",
        alu::ARSH => "s>>=",
        alu::END => "endian",
        _ => NULL_STR,
    }
}

fn atomic_op_str(op: i32) -> &'static str {
    match op {
        atomic::ADD => "add",
        atomic::AND => "and",
        atomic::OR => "or",
        atomic::XOR => "xor",
        _ => NULL_STR,
    }
}

fn ldst_size_str(sz: u8) -> &'static str {
    match sz {
        size::W => "u32",
        size::H => "u16",
        size::B => "u8",
        _ => "u64",
    }
}

/// The kernel's sign-extending table has no 64-bit entry; indexing it with DW reads past the
/// array, which in the reference bpftool binary is a zero pointer, hence `(null)`.
fn ldsx_size_str(sz: u8) -> &'static str {
    match sz {
        size::W => "s32",
        size::H => "s16",
        size::B => "s8",
        _ => NULL_STR,
    }
}

fn jmp_op_str(op: u8) -> &'static str {
    match op {
        jmp::JA => "jmp",
        jmp::JEQ => "==",
        jmp::JGT => ">",
        jmp::JLT => "<",
        jmp::JGE => ">=",
        jmp::JLE => "<=",
        jmp::JSET => "&",
        jmp::JNE => "!=",
        jmp::JSGT => "s>",
        jmp::JSLT => "s<",
        jmp::JSGE => "s>=",
        jmp::JSLE => "s<=",
        jmp::CALL => "call",
        jmp::EXIT => "exit",
        _ => NULL_STR,
    }
}

/// Internal `off` marker of `mov` that turns a per-CPU offset into an address.
const ADDR_PERCPU: i16 = -1;
/// `off` marker of `mov` that casts between address spaces (arena pointers).
const ADDR_SPACE_CAST: i16 = 1;

fn print_alu(w: &mut dyn Write, insn: &Insn) -> fmt::Result {
    let code = insn.code;
    let op = insn.op();
    let is64 = insn.class() == class::ALU64;
    let reg = if is64 { 'r' } else { 'w' };
    let dst = insn.dst_reg;
    let is_mov64_x = code == class::ALU64 | alu::MOV | src::X;

    if op == alu::END {
        // ALU64 | END is the unconditional byte swap of ISA v4; ALU | END converts to an order.
        return if is64 {
            write!(w, "({code:02x}) r{dst} = bswap{} r{dst}", insn.imm)
        } else {
            let order = if insn.src() == src::TO_BE { "be" } else { "le" };
            write!(w, "({code:02x}) r{dst} = {order}{} r{dst}", insn.imm)
        };
    }
    if op == alu::NEG {
        return write!(w, "({code:02x}) {reg}{dst} = -{reg}{dst}");
    }
    if is_mov64_x && insn.off == ADDR_SPACE_CAST {
        let imm = insn.imm as u32;
        return write!(
            w,
            "({code:02x}) r{dst} = addr_space_cast(r{}, {}, {})",
            insn.src_reg,
            imm >> 16,
            imm & 0xffff
        );
    }
    if is_mov64_x && insn.off == ADDR_PERCPU {
        return write!(
            w,
            "({code:02x}) r{dst} = &(void __percpu *)(r{})",
            insn.src_reg
        );
    }

    // Signed division and modulo are the plain opcodes with off = 1 (ISA v4).
    let op_str = match op {
        alu::DIV if insn.off == 1 => "s/=",
        alu::MOD if insn.off == 1 => "s%=",
        _ => alu_op_str(op),
    };
    if insn.src() == src::X {
        // Sign-extending moves are MOV with off = 8/16/32 (ISA v4); only the register form
        // exists, and the kernel checks neither class nor width beyond that.
        let cast = match (op, insn.off) {
            (alu::MOV, 8) => "(s8)",
            (alu::MOV, 16) => "(s16)",
            (alu::MOV, 32) => "(s32)",
            _ => "",
        };
        write!(
            w,
            "({code:02x}) {reg}{dst} {op_str} {cast}{reg}{}",
            insn.src_reg
        )
    } else {
        write!(w, "({code:02x}) {reg}{dst} {op_str} {}", insn.imm)
    }
}

fn print_stx(w: &mut dyn Write, insn: &Insn) -> fmt::Result {
    let code = insn.code;
    let sz = ldst_size_str(insn.size());
    let (dst, srcr, off) = (insn.dst_reg, insn.src_reg, insn.off);
    // The C helpers below print offsets with "%+d".
    let off = Signed(off.into());
    let width = if insn.size() == size::DW { "64" } else { "" };

    if insn.mode() == mode::MEM {
        return write!(w, "({code:02x}) *({sz} *)(r{dst} {off}) = r{srcr}");
    }
    if insn.mode() != mode::ATOMIC {
        return write!(w, "BUG_{code:02x}");
    }
    const ADD_FETCH: i32 = atomic::ADD | atomic::FETCH;
    const AND_FETCH: i32 = atomic::AND | atomic::FETCH;
    const OR_FETCH: i32 = atomic::OR | atomic::FETCH;
    const XOR_FETCH: i32 = atomic::XOR | atomic::FETCH;
    match insn.imm {
        atomic::ADD | atomic::AND | atomic::OR | atomic::XOR => write!(
            w,
            "({code:02x}) lock *({sz} *)(r{dst} {off}) {} r{srcr}",
            alu_op_str((insn.imm & 0xf0) as u8)
        ),
        ADD_FETCH | AND_FETCH | OR_FETCH | XOR_FETCH => write!(
            w,
            "({code:02x}) r{srcr} = atomic{width}_fetch_{}(({sz} *)(r{dst} {off}), r{srcr})",
            atomic_op_str(insn.imm & 0xf0)
        ),
        atomic::CMPXCHG => write!(
            w,
            "({code:02x}) r0 = atomic{width}_cmpxchg(({sz} *)(r{dst} {off}), r0, r{srcr})"
        ),
        atomic::XCHG => write!(
            w,
            "({code:02x}) r{srcr} = atomic{width}_xchg(({sz} *)(r{dst} {off}), r{srcr})"
        ),
        // Load-acquire reads through src_reg into dst_reg, unlike every other atomic.
        atomic::LOAD_ACQ => write!(
            w,
            "({code:02x}) r{dst} = load_acquire(({sz} *)(r{srcr} {off}))"
        ),
        atomic::STORE_REL => write!(
            w,
            "({code:02x}) store_release(({sz} *)(r{dst} {off}), r{srcr})"
        ),
        _ => write!(w, "BUG_{code:02x}"),
    }
}

fn print_st(w: &mut dyn Write, insn: &Insn) -> fmt::Result {
    let code = insn.code;
    match insn.mode() {
        mode::MEM => write!(
            w,
            "({code:02x}) *({} *)(r{} {}) = {}",
            ldst_size_str(insn.size()),
            insn.dst_reg,
            Signed(insn.off.into()),
            insn.imm
        ),
        mode::NOSPEC => write!(w, "({code:02x}) nospec"),
        _ => write!(w, "BUG_st_{code:02x}"),
    }
}

fn print_ldx(w: &mut dyn Write, insn: &Insn) -> fmt::Result {
    let code = insn.code;
    let sz = match insn.mode() {
        mode::MEM => ldst_size_str(insn.size()),
        mode::MEMSX => ldsx_size_str(insn.size()),
        _ => return write!(w, "BUG_ldx_{code:02x}"),
    };
    write!(
        w,
        "({code:02x}) r{} = *({sz} *)(r{} {})",
        insn.dst_reg,
        insn.src_reg,
        Signed(insn.off.into())
    )
}

fn print_ld(
    w: &mut dyn Write,
    insn: &Insn,
    next: Option<&Insn>,
    cbs: &dyn Callbacks,
    allow_ptr_leaks: bool,
) -> fmt::Result {
    let code = insn.code;
    let sz = ldst_size_str(insn.size());
    match insn.mode() {
        mode::ABS => write!(w, "({code:02x}) r0 = *({sz} *)skb[{}]", insn.imm),
        mode::IND => write!(
            w,
            "({code:02x}) r0 = *({sz} *)skb[r{} + {}]",
            insn.src_reg, insn.imm
        ),
        mode::IMM if insn.size() == size::DW => {
            let hi = next.map_or(0, |n| n.imm as u32);
            let mut imm = (u64::from(hi) << 32) | u64::from(insn.imm as u32);
            let is_ptr = matches!(
                insn.src_reg,
                pseudo::MAP_FD
                    | pseudo::MAP_VALUE
                    | pseudo::MAP_IDX
                    | pseudo::MAP_IDX_VALUE
                    | pseudo::BTF_ID
            );
            if is_ptr && !allow_ptr_leaks {
                imm = 0;
            }
            write!(w, "({code:02x}) r{} = ", insn.dst_reg)?;
            match cbs.imm(insn, next, imm) {
                Some(text) => w.write_str(&text),
                None => write!(w, "{imm:#x}"),
            }
        }
        _ => write!(w, "BUG_ld_{code:02x}"),
    }
}

fn print_jmp(w: &mut dyn Write, insn: &Insn, cbs: &dyn Callbacks) -> fmt::Result {
    let code = insn.code;
    let is32 = insn.class() == class::JMP32;
    let reg = if is32 { 'w' } else { 'r' };
    let op = insn.op();

    if op == jmp::CALL {
        // Known helper ids print their name without asking the callback; everything else asks,
        // then falls back to the kernel's placeholders.
        let known = if insn.src_reg == 0 {
            helper_name(insn.imm).map(str::to_owned)
        } else {
            None
        };
        let target = known.or_else(|| cbs.call(insn));
        if insn.src_reg == pseudo::CALL {
            return match target {
                Some(t) => write!(w, "({code:02x}) call pc{t}"),
                None => write!(w, "({code:02x}) call pc{}", Signed(insn.imm)),
            };
        }
        let target = target.unwrap_or_else(|| {
            if insn.src_reg == pseudo::KFUNC_CALL {
                "kernel-function".to_owned()
            } else {
                "unknown".to_owned()
            }
        });
        return write!(w, "({code:02x}) call {target}#{}", insn.imm);
    }
    // Matched on the whole code: the same operation in the other class is an ordinary
    // conditional jump to the kernel.
    const JA: u8 = class::JMP | jmp::JA;
    const GOTOX: u8 = class::JMP | jmp::JA | src::X;
    const JCOND: u8 = class::JMP | jmp::JCOND;
    const GOTOL: u8 = class::JMP32 | jmp::JA;
    const EXIT: u8 = class::JMP | jmp::EXIT;
    const MAY_GOTO: u8 = 0;
    match code {
        JA => write!(w, "({code:02x}) goto pc{}", Signed(insn.off.into())),
        GOTOX => write!(w, "({code:02x}) gotox r{}", insn.dst_reg),
        JCOND if insn.src_reg == MAY_GOTO => {
            write!(w, "({code:02x}) may_goto pc{}", Signed(insn.off.into()))
        }
        GOTOL => write!(w, "({code:02x}) gotol pc{}", Signed(insn.imm)),
        EXIT => write!(w, "({code:02x}) exit"),
        _ if insn.src() == src::X => write!(
            w,
            "({code:02x}) if {reg}{} {} {reg}{} goto pc{}",
            insn.dst_reg,
            jmp_op_str(op),
            insn.src_reg,
            Signed(insn.off.into())
        ),
        _ => write!(
            w,
            "({code:02x}) if {reg}{} {} {:#x} goto pc{}",
            insn.dst_reg,
            jmp_op_str(op),
            insn.imm as u32,
            Signed(insn.off.into())
        ),
    }
}

/// C's `%+d`: always signed, `+0` for zero.
struct Signed(i32);

impl fmt::Display for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:+}", self.0)
    }
}
