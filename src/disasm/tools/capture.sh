#!/bin/sh
# Regenerates the golden dumps of one test program with the reference bpftool.
#
#   ../../tools/capture.sh FILE.bpf.c      (as root, from src/disasm/bpf/testdata)
#
# Compiles FILE.bpf.c (clang-19, -mcpu from a "mcpu: vN" comment, default v4), loads every
# program in it with `bpftool prog loadall`, and writes for each program PROG:
#   FILE.PROG.xlated  `bpftool prog dump xlated ... opcodes`, instruction and opcodes lines only
#                     (BTF function signatures and "; source" lines are not the printer's job)
#   FILE.PROG.syms    kernel symbols bpftool used for calls (src/disasm/tools/xlated_syms.c)
# Pins live under /sys/fs/bpf/disasm_golden_FILE and are removed on exit, also on failure.
set -eu

BPFTOOL=${BPFTOOL:-/var/cache/bpftool-oracle/ref/bpftool}
ORACLE_SRC=${ORACLE_SRC:-/var/cache/bpftool-oracle/src/bpftool-0ffb9862c79c}
# The oracle's UAPI headers: the host's linux/bpf.h may predate arenas and friends.
UAPI_INC=${UAPI_INC:-$ORACLE_SRC/include/uapi}
LIBBPF_INC=${LIBBPF_INC:-$ORACLE_SRC/src/libbpf/include}
CLANG=${CLANG:-clang-19}

src=$1
name=$(basename "$src" .bpf.c)
mcpu=$(sed -n 's/.*mcpu: \(v[0-9]\).*/\1/p' "$src" | head -n1)
tmp=$(mktemp -d)
pin=/sys/fs/bpf/disasm_golden_$name
trap 'rm -rf "$pin" "$tmp"' EXIT INT TERM

"$CLANG" -O2 -g -target bpf -mcpu="${mcpu:-v4}" -I"$UAPI_INC" -I"$LIBBPF_INC" \
	-I/usr/include/"$(uname -m)"-linux-gnu -c "$src" -o "$tmp/$name.bpf.o"
${CC:-cc} -O2 -Wall -o "$tmp/xlated_syms" "$(dirname "$0")/xlated_syms.c"
"$BPFTOOL" prog loadall "$tmp/$name.bpf.o" "$pin"

for p in "$pin"/*; do
	prog=$(basename "$p")
	"$BPFTOOL" prog dump xlated pinned "$p" opcodes > "$tmp/raw"
	grep -E '^ *[0-9]+: |^       [0-9a-f]{2}( [0-9a-f]{2})*$' "$tmp/raw" > "$name.$prog.xlated"
	"$tmp/xlated_syms" "$p" > "$name.$prog.syms"
	echo "$name.$prog: $(wc -l < "$tmp/raw") lines from bpftool, $(wc -l < "$name.$prog.xlated") kept"
done
