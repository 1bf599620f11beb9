//! Object handles: `PROG := id N | pinned FILE | tag TAG | name NAME` and friends.
//!
//! Parsed once here with bpftool's error messages; `cmd::common` turns them into file
//! descriptors.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use super::{is_prefix, parse_u32, show, Args};
use crate::error::{Error, Result};

/// bpftool's `MAX_PROG_FULL_NAME`: longest program name accepted, plus one.
const MAX_PROG_FULL_NAME: usize = 128;
/// The kernel's `BPF_OBJ_NAME_LEN`.
const BPF_OBJ_NAME_LEN: usize = 16;

/// How the user named a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgHandle {
    /// `id N`.
    Id(u32),
    /// `pinned FILE`.
    Pinned(PathBuf),
    /// `tag TAG` (may match several programs).
    Tag([u8; 8]),
    /// `name NAME` (may match several programs; compared with the full BTF name).
    Name(Vec<u8>),
}

/// How the user named a map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapHandle {
    /// `id N`.
    Id(u32),
    /// `pinned FILE`.
    Pinned(PathBuf),
    /// `name NAME` (may match several maps).
    Name(Vec<u8>),
}

/// How the user named a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkHandle {
    /// `id N`.
    Id(u32),
    /// `pinned FILE`.
    Pinned(PathBuf),
}

fn id_value(args: &mut Args) -> Result<u32> {
    args.take()?;
    let word = args.take()?;
    parse_u32(&word).ok_or_else(|| Error::Msg(format!("can't parse {} as ID", show(&word))))
}

fn pinned_value(args: &mut Args) -> Result<PathBuf> {
    args.take()?;
    Ok(PathBuf::from(args.take()?))
}

/// Parses a `PROG` handle at the cursor.
pub fn parse_prog(args: &mut Args) -> Result<ProgHandle> {
    let word = args.peek().unwrap_or_default().to_owned();
    if is_prefix(&word, "id") {
        Ok(ProgHandle::Id(id_value(args)?))
    } else if is_prefix(&word, "tag") {
        args.take()?;
        let v = args.take()?;
        let tag = parse_tag(v.as_bytes()).ok_or_else(|| Error::Msg("can't parse tag".into()))?;
        Ok(ProgHandle::Tag(tag))
    } else if is_prefix(&word, "name") {
        args.take()?;
        let v = args.take()?;
        if v.len() > MAX_PROG_FULL_NAME - 1 {
            return Err(Error::Msg("can't parse name".into()));
        }
        Ok(ProgHandle::Name(v.as_bytes().to_vec()))
    } else if is_prefix(&word, "pinned") {
        Ok(ProgHandle::Pinned(pinned_value(args)?))
    } else {
        Err(Error::Msg(format!(
            "expected 'id', 'tag', 'name' or 'pinned', got: '{}'?",
            show(&word)
        )))
    }
}

/// Parses a `MAP` handle at the cursor.
pub fn parse_map(args: &mut Args) -> Result<MapHandle> {
    let word = args.peek().unwrap_or_default().to_owned();
    if is_prefix(&word, "id") {
        Ok(MapHandle::Id(id_value(args)?))
    } else if is_prefix(&word, "name") {
        args.take()?;
        let v = args.take()?;
        if v.len() > BPF_OBJ_NAME_LEN - 1 {
            return Err(Error::Msg("can't parse name".into()));
        }
        Ok(MapHandle::Name(v.as_bytes().to_vec()))
    } else if is_prefix(&word, "pinned") {
        Ok(MapHandle::Pinned(pinned_value(args)?))
    } else {
        Err(Error::Msg(format!(
            "expected 'id', 'name' or 'pinned', got: '{}'?",
            show(&word)
        )))
    }
}

/// Parses a `LINK` handle at the cursor.
pub fn parse_link(args: &mut Args) -> Result<LinkHandle> {
    let word = args.peek().unwrap_or_default().to_owned();
    if is_prefix(&word, "id") {
        Ok(LinkHandle::Id(id_value(args)?))
    } else if is_prefix(&word, "pinned") {
        Ok(LinkHandle::Pinned(pinned_value(args)?))
    } else {
        Err(Error::Msg(format!(
            "expected 'id' or 'pinned', got: '{}'?",
            show(&word)
        )))
    }
}

/// Parses `id N` of a BTF object (`btf show id N`).
pub fn parse_btf_id(args: &mut Args) -> Result<u32> {
    let word = args.peek().unwrap_or_default().to_owned();
    if !is_prefix(&word, "id") {
        return Err(Error::Msg(format!(
            "expected 'id', got: '{}'?",
            show(&word)
        )));
    }
    id_value(args)
}

/// bpftool reads tags with `sscanf("%02hhx" x 8)`: eight conversions of one or two hex
/// digits, each after optional blanks; anything after the eighth is ignored.
pub fn parse_tag(s: &[u8]) -> Option<[u8; 8]> {
    let mut tag = [0u8; 8];
    let mut i = 0;
    for b in &mut tag {
        while s.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let digit = |c: Option<&u8>| c.and_then(|c| char::from(*c).to_digit(16));
        let hi = digit(s.get(i))?;
        i += 1;
        *b = match digit(s.get(i)) {
            Some(lo) => {
                i += 1;
                (hi * 16 + lo) as u8
            }
            None => hi as u8,
        };
    }
    Some(tag)
}

/// The handle word as text, for messages.
pub fn word_text(w: &OsStr) -> String {
    show(w).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::help;
    use std::ffi::OsString;

    fn args(v: &[&str]) -> Args {
        Args::new(
            v.iter().map(OsString::from).collect(),
            "prog".into(),
            help::prog,
        )
    }

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(Error::Msg(m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn prog_handles() {
        assert_eq!(
            parse_prog(&mut args(&["i", "5"])).unwrap(),
            ProgHandle::Id(5)
        );
        assert_eq!(
            parse_prog(&mut args(&["pin", "/sys/fs/bpf/x"])).unwrap(),
            ProgHandle::Pinned("/sys/fs/bpf/x".into())
        );
        assert_eq!(
            parse_prog(&mut args(&["tag", "0102030405060708"])).unwrap(),
            ProgHandle::Tag([1, 2, 3, 4, 5, 6, 7, 8])
        );
        assert_eq!(
            parse_prog(&mut args(&["n", "handle_exec"])).unwrap(),
            ProgHandle::Name(b"handle_exec".to_vec())
        );
        assert_eq!(
            msg(parse_prog(&mut args(&["id", "x1"]))),
            "can't parse x1 as ID"
        );
        assert_eq!(
            msg(parse_prog(&mut args(&["tag", "zz"]))),
            "can't parse tag"
        );
        assert_eq!(
            msg(parse_prog(&mut args(&["foo", "1"]))),
            "expected 'id', 'tag', 'name' or 'pinned', got: 'foo'?"
        );
        let long = "a".repeat(128);
        assert_eq!(
            msg(parse_prog(&mut args(&["name", &long]))),
            "can't parse name"
        );
    }

    #[test]
    fn map_and_link_handles() {
        let mut a = args(&["name", "0123456789abcdef"]);
        assert_eq!(msg(parse_map(&mut a)), "can't parse name");
        assert_eq!(
            msg(parse_map(&mut args(&["tag", "1"]))),
            "expected 'id', 'name' or 'pinned', got: 'tag'?"
        );
        assert_eq!(
            msg(parse_link(&mut args(&["name", "x"]))),
            "expected 'id' or 'pinned', got: 'name'?"
        );
        assert_eq!(
            parse_link(&mut args(&["id", "0x10"])).unwrap(),
            LinkHandle::Id(16)
        );
    }

    #[test]
    fn tags_like_sscanf() {
        assert_eq!(
            parse_tag(b"a04f5eef06a7f555"),
            Some([0xa0, 0x4f, 0x5e, 0xef, 0x06, 0xa7, 0xf5, 0x55])
        );
        assert_eq!(
            parse_tag(b"a04f5eef06a7f555ff"),
            Some([0xa0, 0x4f, 0x5e, 0xef, 0x06, 0xa7, 0xf5, 0x55])
        );
        assert_eq!(parse_tag(b"a04f"), None);
        assert_eq!(parse_tag(b"g0"), None);
    }
}
