//! Load times: boot-relative nanoseconds to wall-clock seconds, and local time text.

use std::mem::MaybeUninit;

fn clock(id: libc::clockid_t) -> Option<libc::timespec> {
    let mut ts = MaybeUninit::<libc::timespec>::uninit();
    // SAFETY: clock_gettime writes a whole timespec into the pointer on success.
    let rc = unsafe { libc::clock_gettime(id, ts.as_mut_ptr()) };
    // SAFETY: rc == 0 means the struct was written.
    (rc == 0).then(|| unsafe { ts.assume_init() })
}

/// Wall-clock seconds of a `CLOCK_BOOTTIME` stamp, computed as bpftool's
/// `print_boot_time` does (realtime minus boottime, plus the stamp).
pub fn boot_ns_to_epoch(nsecs: u64) -> i64 {
    let (Some(real), Some(boot)) = (clock(libc::CLOCK_REALTIME), clock(libc::CLOCK_BOOTTIME))
    else {
        return (nsecs / 1_000_000_000) as i64;
    };
    let ns = i128::from(real.tv_nsec) - i128::from(boot.tv_nsec) + i128::from(nsecs);
    (i128::from(real.tv_sec) - i128::from(boot.tv_sec) + ns / 1_000_000_000) as i64
}

/// `strftime("%FT%T%z")` of epoch seconds in the local time zone (honours `TZ`).
pub fn format_local_time(epoch: i64) -> String {
    let t: libc::time_t = epoch;
    let mut tm = MaybeUninit::<libc::tm>::uninit();
    // SAFETY: localtime_r reads `t` and fills the caller's `tm`; it is thread safe.
    let ok = unsafe { !libc::localtime_r(&t, tm.as_mut_ptr()).is_null() };
    if !ok {
        return epoch.to_string();
    }
    // SAFETY: localtime_r succeeded, so `tm` is initialised.
    let tm = unsafe { tm.assume_init() };
    let mut buf = [0u8; 64];
    // SAFETY: the format is NUL-terminated, the buffer size is passed, and strftime
    // writes at most that many bytes including the terminating NUL.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%FT%T%z".as_ptr(), &tm) };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}
