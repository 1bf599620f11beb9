//! Dev tool: compares `disasm::x86` with LLVM 14's disassembler as bpftool's LLVM build calls
//! it (`llvm_x86_harness.c`), on JIT images and on generated streams of the integer
//! instructions the kernel's x86-64 JIT emits. See README.md in this folder.
//!
//!     cargo run --example disasm-x86-oracle -- HARNESS [IMAGE...]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};

use bpftool_rs::disasm::x86::X86Disasm;

const BASE: u64 = 0xffff_ffff_c000_1000;

/// Deterministic xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
}

/// Opcodes of the integer instructions the JIT uses (one- and two-byte maps).
const ONE_BYTE: &[u8] = &[
    0x00, 0x01, 0x02, 0x03, 0x05, 0x08, 0x09, 0x0a, 0x0b, 0x0d, 0x21, 0x23, 0x25, 0x29, 0x2b, 0x2d,
    0x31, 0x33, 0x35, 0x39, 0x3b, 0x3d, 0x50, 0x53, 0x55, 0x57, 0x58, 0x5b, 0x5d, 0x5f, 0x63, 0x68,
    0x69, 0x6a, 0x6b, 0x70, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7c, 0x7d, 0x7e, 0x7f,
    0x80, 0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8d, 0x90, 0x91, 0x98, 0x99,
    0xa8, 0xa9, 0xb0, 0xb8, 0xbf, 0xc0, 0xc1, 0xc3, 0xc6, 0xc7, 0xc9, 0xcc, 0xd0, 0xd1, 0xd2, 0xd3,
    0xe8, 0xe9, 0xeb, 0xf6, 0xf7, 0xfe, 0xff,
];
const TWO_BYTE: &[u8] = &[
    0x0b, 0x1f, 0x31, 0x40, 0x42, 0x44, 0x45, 0x4c, 0x4f, 0x82, 0x84, 0x85, 0x87, 0x8c, 0x8f, 0x92,
    0x94, 0x95, 0x9c, 0xa3, 0xa4, 0xa5, 0xab, 0xac, 0xad, 0xaf, 0xb0, 0xb1, 0xb3, 0xb6, 0xb7, 0xba,
    0xbb, 0xbe, 0xbf, 0xc0, 0xc1, 0xc8, 0xcb, 0xcf,
];

fn candidate(rng: &mut Rng) -> Vec<u8> {
    let mut b = Vec::new();
    match rng.next() % 8 {
        0 => b.push(0x66),
        1 => b.push(rng.pick(&[0x65u8, 0x2e])),
        _ => {}
    }
    if rng.next() % 2 == 0 {
        b.push(0x40 | (rng.next() % 16) as u8);
    }
    match rng.next() % 10 {
        0..=6 => b.push(rng.pick(ONE_BYTE)),
        7 | 8 => {
            b.push(0x0f);
            b.push(rng.pick(TWO_BYTE));
        }
        _ => {
            // BMI2 shifts and friends (VEX.0F38 F7/F5, VEX.0F3A F0).
            b.push(0xc4);
            b.push(0xe2 ^ ((rng.next() % 8) as u8) << 5);
            b.push((rng.next() & 0xff) as u8);
            b.push(rng.pick(&[0xf7u8, 0xf5]));
        }
    }
    for _ in 0..12 {
        b.push((rng.next() & 0xff) as u8);
    }
    b
}

fn run_harness(harness: &str, image: &[u8]) -> String {
    let mut child = Command::new(harness)
        .arg(format!("{BASE:x}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("harness");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = image.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("harness output");
    let _ = feeder.join();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn ours(image: &[u8]) -> String {
    let mut d = X86Disasm::new();
    let mut out = String::new();
    let mut pc = 0;
    let mut last = String::new();
    loop {
        let r = d.decode(&image[pc..], BASE + pc as u64);
        let (n, t) = match r {
            Some(i) => (i.len, i.text),
            None => (0, last.clone()),
        };
        out.push_str(&format!("{pc:4x}:{t}\n"));
        last = t;
        pc += n;
        if n == 0 || pc >= image.len() {
            break;
        }
    }
    out
}

/// Compares line by line until the streams lose step; returns (compared, differing).
fn compare(
    what: &str,
    want: &str,
    got: &str,
    by_mnemonic: &mut BTreeMap<String, usize>,
) -> (usize, usize) {
    let (mut n, mut bad) = (0, 0);
    for (w, g) in want.lines().zip(got.lines()) {
        n += 1;
        if w != g {
            bad += 1;
            let m = w.split('\t').nth(1).unwrap_or("?").to_owned();
            let e = by_mnemonic.entry(m).or_default();
            if *e < 3 {
                eprintln!("{what}: llvm {w:?}\n{what}: ours {g:?}");
            }
            *e += 1;
            if w.split(':').next() != g.split(':').next() {
                break;
            }
        }
    }
    (n, bad)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(harness) = args.get(1) else {
        eprintln!("usage: disasm-x86-oracle HARNESS [IMAGE...]");
        std::process::exit(2);
    };
    let mut by_mnemonic = BTreeMap::new();
    let (mut total, mut bad) = (0, 0);
    for path in &args[2..] {
        let image = std::fs::read(path).expect("image");
        let (n, b) = compare(
            path,
            &run_harness(harness, &image),
            &ours(&image),
            &mut by_mnemonic,
        );
        total += n;
        bad += b;
    }
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut d = X86Disasm::new();
    for round in 0..50 {
        let mut image = Vec::new();
        while image.len() < 20_000 {
            let c = candidate(&mut rng);
            if let Some(i) = d.decode(&c, 0) {
                if !i.text.starts_with("\tlock") {
                    image.extend_from_slice(&c[..i.len]);
                }
            }
        }
        let (n, b) = compare(
            &format!("round {round}"),
            &run_harness(harness, &image),
            &ours(&image),
            &mut by_mnemonic,
        );
        total += n;
        bad += b;
    }
    for (m, c) in &by_mnemonic {
        println!("{c:6} {m}");
    }
    println!("{} lines compared, {bad} differ", total);
}
