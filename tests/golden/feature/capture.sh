#!/bin/bash
# Captures the expected outputs of tests/feature.rs from the reference bpftool (the oracle,
# see ../shared/oracle/README.md) on the running kernel, into tests/golden/feature/<kernel>/.
#
#   tests/golden/feature/capture.sh [BPFTOOL] [NAME]     # as root; NAME defaults to the
#                                                        # kernel's major.minor
#
# facts.json (`-j feature probe full`) is what the test's fake kernel is built from; the
# other files are what bpftool prints on the same kernel in each mode. Nothing here comes
# from bpftool-rs. Under kmatrix (../shared/kmatrix/run.sh K --rw "$PWD/tests/golden" -- THIS)
# it captures other kernels the same way.
set -euo pipefail
ref=${1:-${BPFTOOL_REF:-/var/cache/bpftool-oracle/ref/bpftool}}
name=${2:-$(uname -r | cut -d. -f1,2)}
dir=$(dirname "$0")/$name
mkdir -p "$dir"
run() { local out=$1; shift; "$ref" "$@" > "$dir/$out"; }
run facts.json -j feature probe full
run probe.txt feature probe
run probe.json -j feature probe
run probe-pretty.json -p feature probe kernel
run probe-full.txt feature probe full
run macros.h feature probe macros
run macros-prefix-full.h feature probe full macros prefix BPFRS_
run unprivileged.txt feature probe unprivileged
run unprivileged.json -j feature probe unprivileged
run dev-lo.txt feature probe dev lo
run dev-lo-macros.h feature probe dev lo macros
gzip -9nf "$dir"/*.h
"$ref" version > "$dir/REFERENCE"
uname -r >> "$dir/REFERENCE"
