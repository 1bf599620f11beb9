//! `bpftool batch file FILE`: one command per line, run in this process.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::ffi::OsStrExt;

use super::{report, Ctx};
use crate::cli::{is_prefix, show};
use crate::error::{Error, Result};

/// Longest line bpftool reads (its `fgets` buffer), including the newline.
const LINE_MAX: usize = 65536;
/// Most words per command bpftool accepts.
const ARGS_MAX: usize = 4096;

/// bpftool's `make_args`: words split on blanks, `'...'`/`"..."` quote a word.
fn make_args(line: &[u8], cmd_nb: u32) -> Result<Vec<OsString>> {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut words = Vec::new();
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && ws(line[i]) {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        if words.len() >= ARGS_MAX - 1 {
            return Err(Error::Msg(format!(
                "too many arguments to command {cmd_nb}"
            )));
        }
        if line[i] == b'\'' || line[i] == b'"' {
            let q = line[i];
            let start = i + 1;
            let Some(len) = line[start..].iter().position(|&c| c == q) else {
                return Err(Error::Msg(format!(
                    "unterminated quoted string in command {cmd_nb}"
                )));
            };
            words.push(OsStr::from_bytes(&line[start..start + len]).to_owned());
            i = start + len + 1;
        } else {
            let start = i;
            while i < line.len() && !ws(line[i]) {
                i += 1;
            }
            words.push(OsStr::from_bytes(&line[start..i]).to_owned());
            i += 1;
        }
    }
    Ok(words)
}

/// Reads one line like `fgets` into a 64 KiB buffer: `None` at the end of the file.
fn read_line(r: &mut dyn BufRead) -> Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let n = r
        .take((LINE_MAX - 1) as u64)
        .read_until(b'\n', &mut buf)
        .map_err(|e| Error::Msg(format!("reading batch file failed: {e}")))?;
    Ok((n > 0).then_some(buf))
}

fn strip_comment(line: &mut Vec<u8>) {
    if let Some(p) = line.iter().position(|&c| c == b'#') {
        line.truncate(p);
    }
}

/// `bpftool batch file FILE`.
pub fn run(ctx: &mut Ctx<'_>, words: Vec<OsString>, _object: OsString) -> Result<()> {
    if words.len() < 2 {
        return Err(Error::Msg("too few parameters for batch".into()));
    }
    if words.len() > 2 {
        return Err(Error::Msg("too many parameters for batch".into()));
    }
    if !is_prefix(&words[0], "file") {
        return Err(Error::Msg(format!(
            "expected 'file', got: {}",
            show(&words[0])
        )));
    }
    let name = &words[1];
    let mut reader: Box<dyn BufRead> = if name.as_bytes() == b"-" {
        Box::new(BufReader::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(name).map_err(|e| {
            Error::Msg(format!(
                "Can't open file ({}): {}",
                show(name),
                crate::sys::strerror(e.raw_os_error().unwrap_or(libc::EIO))
            ))
        })?;
        Box::new(BufReader::new(f))
    };
    ctx.out.begin_list()?;
    let result = run_lines(ctx, &mut *reader);
    ctx.out.end_list()?;
    result
}

fn run_lines(ctx: &mut Ctx<'_>, reader: &mut dyn BufRead) -> Result<()> {
    let mut lines: u32 = 0;
    while let Some(mut buf) = read_line(reader)? {
        strip_comment(&mut buf);
        if buf.len() == LINE_MAX - 1 {
            return Err(Error::Msg(format!(
                "reading batch file failed: {}",
                crate::sys::strerror(libc::E2BIG)
            )));
        }
        // A line ending in "\" continues on the next one.
        while buf.ends_with(b"\\\n") {
            let Some(mut cont) = read_line(reader)? else {
                return Err(Error::Msg(format!(
                    "missing continuation line on command {lines}"
                )));
            };
            strip_comment(&mut cont);
            if buf.len() + cont.len() + 1 > LINE_MAX {
                return Err(Error::Msg(format!("command {lines} is too long")));
            }
            buf.truncate(buf.len() - 2);
            buf.extend_from_slice(&cont);
        }
        let words = make_args(&buf, lines)?;
        if words.is_empty() {
            continue;
        }
        if ctx.out.is_json() {
            let jw = ctx.out.json_writer();
            jw.start_object()?;
            jw.name(b"command")?;
            jw.start_array()?;
            for w in &words {
                jw.string(w.as_bytes())?;
            }
            jw.end_array()?;
            jw.name(b"output")?;
        }
        let r = super::run(ctx, words);
        let failed = match r {
            Ok(()) => None,
            Err(e) => Some(report(ctx.out, e)?),
        };
        if ctx.out.is_json() {
            ctx.out.json_writer().end_object()?;
        }
        if let Some(status) = failed {
            return Err(Error::Exit(status));
        }
        lines += 1;
    }
    if !ctx.out.is_json() {
        writeln!(ctx.out.plain_writer(), "processed {lines} commands")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        make_args(s.as_bytes(), 0)
            .unwrap()
            .into_iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn splitting() {
        assert_eq!(words("prog show  id 3\n"), ["prog", "show", "id", "3"]);
        assert_eq!(
            words("map pin 'a b' \"c\"d\n"),
            ["map", "pin", "a b", "c", "d"]
        );
        assert!(words("   \n").is_empty());
        assert!(make_args(b"x 'open", 4).is_err());
    }
}
