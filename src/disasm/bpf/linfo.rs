//! libbpf's `bpf_prog_linfo`: finding the source line of an xlated instruction or of a JITed
//! address, from the line_info arrays the kernel returns.
//!
//! Ported step for step, quirks included, because they decide which `; source` lines bpftool
//! prints: a lookup returns the *last* record at or before the instruction, starting at the
//! `nr_skip`-th, and callers advance `nr_skip` by one per hit, so several records for one
//! instruction make later instructions repeat a line. Records are read from the raw arrays
//! with bounds checks; a short array fails construction as libbpf's sanity checks would.

/// One `struct bpf_line_info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineInfo {
    /// Instruction index in the xlated program.
    pub insn_off: u32,
    /// BTF string offset of the file name.
    pub file_name_off: u32,
    /// BTF string offset of the source line.
    pub line_off: u32,
    /// Line number (upper 22 bits) and column (lower 10 bits).
    pub line_col: u32,
}

impl LineInfo {
    /// `BPF_LINE_INFO_LINE_NUM`.
    pub fn line_num(&self) -> u32 {
        self.line_col >> 10
    }

    /// `BPF_LINE_INFO_LINE_COL`.
    pub fn line_col(&self) -> u32 {
        self.line_col & 0x3ff
    }
}

/// Why [`ProgLinfo::new`] refused the arrays (libbpf returns `EINVAL` for all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadLineInfo;

/// The arrays `bpf_prog_linfo__new` reads from `bpf_prog_info`, as the kernel returned them.
#[derive(Debug, Clone, Copy, Default)]
pub struct LinfoArrays<'a> {
    /// `nr_line_info`.
    pub nr_line_info: u32,
    /// `line_info_rec_size`.
    pub line_info_rec_size: u32,
    /// `line_info`.
    pub line_info: &'a [u8],
    /// `nr_jited_ksyms`.
    pub nr_jited_ksyms: u32,
    /// `jited_ksyms`; `None` when withheld.
    pub jited_ksyms: Option<&'a [u64]>,
    /// `nr_jited_func_lens`.
    pub nr_jited_func_lens: u32,
    /// `jited_func_lens`; `None` when withheld.
    pub jited_func_lens: Option<&'a [u32]>,
    /// `nr_jited_line_info`.
    pub nr_jited_line_info: u32,
    /// `jited_line_info_rec_size`.
    pub jited_line_info_rec_size: u32,
    /// `jited_line_info`; `None` when withheld.
    pub jited_line_info: Option<&'a [u8]>,
}

#[derive(Debug, Clone)]
struct Jited<'a> {
    raw: &'a [u8],
    rec_size: usize,
    /// First record of each function.
    func_idx: Vec<u32>,
    /// Number of records of each function.
    per_func: Vec<u32>,
}

/// `struct bpf_prog_linfo`.
#[derive(Debug, Clone)]
pub struct ProgLinfo<'a> {
    raw: &'a [u8],
    nr: u32,
    rec_size: usize,
    jited: Option<Jited<'a>>,
}

fn u32_at(raw: &[u8], at: usize) -> Option<u32> {
    let b = raw.get(at..at.checked_add(4)?)?;
    Some(u32::from_ne_bytes(b.try_into().ok()?))
}

fn u64_at(raw: &[u8], at: usize) -> Option<u64> {
    let b = raw.get(at..at.checked_add(8)?)?;
    Some(u64::from_ne_bytes(b.try_into().ok()?))
}

impl<'a> ProgLinfo<'a> {
    /// `bpf_prog_linfo__new`: `Err` where libbpf returns NULL (bpftool then goes on without
    /// line info).
    pub fn new(a: &LinfoArrays<'a>) -> Result<Self, BadLineInfo> {
        let nr = a.nr_line_info;
        // libbpf needs at least insn_off; bpftool then reads the whole record.
        if nr == 0 || a.line_info_rec_size < 4 {
            return Err(BadLineInfo);
        }
        let rec_size = a.line_info_rec_size as usize;
        let need = (nr as usize).checked_mul(rec_size).ok_or(BadLineInfo)?;
        let raw = a.line_info.get(..need).ok_or(BadLineInfo)?;
        let mut linfo = ProgLinfo {
            raw,
            nr,
            rec_size,
            jited: None,
        };
        let nr_func = a.nr_jited_ksyms;
        let (Some(jraw), Some(ksyms), Some(lens)) =
            (a.jited_line_info, a.jited_ksyms, a.jited_func_lens)
        else {
            return Ok(linfo);
        };
        if nr_func == 0
            || a.nr_jited_line_info != nr
            || a.jited_line_info_rec_size < 8
            || a.nr_jited_func_lens != nr_func
        {
            // Not enough to map JITed addresses; xlated lookups still work.
            return Ok(linfo);
        }
        let jrec = a.jited_line_info_rec_size as usize;
        let jneed = (nr as usize).checked_mul(jrec).ok_or(BadLineInfo)?;
        let jraw = jraw.get(..jneed).ok_or(BadLineInfo)?;
        let mut jited = Jited {
            raw: jraw,
            rec_size: jrec,
            func_idx: vec![0; nr_func as usize],
            per_func: vec![0; nr_func as usize],
        };
        dissect_jited_func(&mut jited, nr, nr_func, ksyms, lens).ok_or(BadLineInfo)?;
        linfo.jited = Some(jited);
        Ok(linfo)
    }

    fn record(&self, idx: u32) -> Option<LineInfo> {
        let at = (idx as usize).checked_mul(self.rec_size)?;
        // Records shorter than the struct are read into the next one, as libbpf's callers do;
        // past the end of the array reads as zero.
        let field = |off: usize| u32_at(self.raw, at + off).unwrap_or(0);
        Some(LineInfo {
            insn_off: u32_at(self.raw, at)?,
            file_name_off: field(4),
            line_off: field(8),
            line_col: field(12),
        })
    }

    /// `bpf_prog_linfo__lfind`: the record for instruction `insn_off`, searching from the
    /// `nr_skip`-th record. Returns its index (for identity comparisons) and the record.
    pub fn lfind(&self, insn_off: u32, nr_skip: u32) -> Option<(u32, LineInfo)> {
        if nr_skip >= self.nr {
            return None;
        }
        if insn_off < self.record(nr_skip)?.insn_off {
            return None;
        }
        let mut idx = nr_skip;
        while idx < self.nr {
            if insn_off < self.record(idx)?.insn_off {
                break;
            }
            idx += 1;
        }
        let found = idx - 1;
        Some((found, self.record(found)?))
    }

    /// `bpf_prog_linfo__lfind_addr_func`: the record for JITed address `addr` in function
    /// `func_idx`, searching from that function's `nr_skip`-th record.
    pub fn lfind_addr_func(&self, addr: u64, func_idx: u32, nr_skip: u32) -> Option<LineInfo> {
        let j = self.jited.as_ref()?;
        let nr_linfo = *j.per_func.get(func_idx as usize)?;
        if nr_skip >= nr_linfo {
            return None;
        }
        let start = j.func_idx.get(func_idx as usize)?.checked_add(nr_skip)?;
        let jaddr = |i: u32| u64_at(j.raw, (i as usize).checked_mul(j.rec_size)?);
        if addr < jaddr(start)? {
            return None;
        }
        let mut i = 0;
        while i < nr_linfo - nr_skip {
            // libbpf reads one record past the function here, and past the array for the
            // last function; a missing record ends the search like a larger address.
            match jaddr(start + i) {
                Some(a) if addr >= a => i += 1,
                _ => break,
            }
        }
        self.record((start + i).checked_sub(1)?)
    }
}

/// libbpf's `dissect_jited_func`: splits the JITed line records by function, checking that
/// each function's first record is its start address and that addresses increase.
fn dissect_jited_func(
    j: &mut Jited<'_>,
    nr_linfo: u32,
    nr_func: u32,
    ksym_func: &[u64],
    ksym_len: &[u32],
) -> Option<()> {
    let rec = |i: u32| u64_at(j.raw, (i as usize).checked_mul(j.rec_size)?);
    if *ksym_func.first()? != rec(0)? {
        return None;
    }
    j.func_idx[0] = 0;
    let mut prev_i = 0u32;
    let mut f = 1u32;
    let mut i = 1u32;
    let mut cur = rec(0)?;
    while i < nr_linfo && f < nr_func {
        let last = cur;
        cur = rec(i)?;
        if *ksym_func.get(f as usize)? == cur {
            j.func_idx[f as usize] = i;
            let start = *ksym_func.get(f as usize - 1)?;
            let len = u64::from(*ksym_len.get(f as usize - 1)?);
            if last.wrapping_sub(start).wrapping_add(1) > len {
                return None;
            }
            j.per_func[f as usize - 1] = i - prev_i;
            prev_i = i;
            f += 1;
        } else if cur <= last {
            return None;
        }
        i += 1;
    }
    if f != nr_func {
        return None;
    }
    j.per_func[nr_func as usize - 1] = nr_linfo - prev_i;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(items: &[(u32, u32)]) -> Vec<u8> {
        items
            .iter()
            .flat_map(|&(insn, line)| {
                [insn, 1, line, line << 10 | 2]
                    .into_iter()
                    .flat_map(u32::to_ne_bytes)
            })
            .collect()
    }

    fn arrays(raw: &[u8], n: u32) -> LinfoArrays<'_> {
        LinfoArrays {
            nr_line_info: n,
            line_info_rec_size: 16,
            line_info: raw,
            ..LinfoArrays::default()
        }
    }

    #[test]
    fn lfind_returns_last_record_at_or_before() {
        let raw = recs(&[(0, 10), (2, 11), (2, 12), (5, 13)]);
        let l = ProgLinfo::new(&arrays(&raw, 4)).unwrap();
        assert_eq!(l.lfind(0, 0).map(|r| r.0), Some(0));
        // Two records for insn 2: the later wins, and nr_skip advancing by one means the
        // next instruction finds it again (bpftool prints that line twice).
        assert_eq!(l.lfind(2, 1).map(|r| r.0), Some(2));
        assert_eq!(l.lfind(3, 2).map(|r| r.0), Some(2));
        assert_eq!(l.lfind(4, 3), None);
        assert_eq!(l.lfind(5, 3).map(|r| r.1.line_num()), Some(13));
        assert_eq!(l.lfind(9, 4), None);
    }

    #[test]
    fn short_or_empty_arrays_are_refused() {
        let raw = recs(&[(0, 10)]);
        assert!(ProgLinfo::new(&arrays(&raw, 2)).is_err());
        assert!(ProgLinfo::new(&arrays(&raw, 0)).is_err());
        let mut a = arrays(&raw, 1);
        a.line_info_rec_size = 3;
        assert!(ProgLinfo::new(&a).is_err());
    }

    #[test]
    fn jited_records_split_by_function() {
        let raw = recs(&[(0, 1), (3, 2), (10, 3), (12, 4)]);
        let jaddrs: Vec<u8> = [0x1000u64, 0x1010, 0x2000, 0x2008]
            .into_iter()
            .flat_map(u64::to_ne_bytes)
            .collect();
        let ksyms = [0x1000u64, 0x2000];
        let lens = [0x40u32, 0x20];
        let a = LinfoArrays {
            nr_jited_ksyms: 2,
            jited_ksyms: Some(&ksyms),
            nr_jited_func_lens: 2,
            jited_func_lens: Some(&lens),
            nr_jited_line_info: 4,
            jited_line_info_rec_size: 8,
            jited_line_info: Some(&jaddrs),
            ..arrays(&raw, 4)
        };
        let l = ProgLinfo::new(&a).unwrap();
        assert_eq!(l.lfind_addr_func(0x1000, 0, 0).map(|r| r.insn_off), Some(0));
        assert_eq!(l.lfind_addr_func(0x1011, 0, 1).map(|r| r.insn_off), Some(3));
        assert_eq!(l.lfind_addr_func(0x1011, 0, 2), None);
        assert_eq!(
            l.lfind_addr_func(0x2009, 1, 0).map(|r| r.insn_off),
            Some(12)
        );
        assert_eq!(l.lfind_addr_func(0x1fff, 1, 0), None);
        assert_eq!(l.lfind_addr_func(0x2000, 2, 0), None);
        // A function start missing from the JITed records: libbpf refuses everything.
        let bad = [0x1000u64, 0x3000];
        let a = LinfoArrays {
            jited_ksyms: Some(&bad),
            ..a
        };
        assert!(ProgLinfo::new(&a).is_err());
    }
}
