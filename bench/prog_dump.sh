#!/bin/bash
# Benchmark: `prog dump xlated` and `prog dump jited`, bpftool-rs vs a reference bpftool, on
# the largest program we load (bench/big.bpf.c, ~7,900 xlated instructions, ~28 KB of JIT
# code) and on every program loaded on the machine. Prints hyperfine's tables, the ratios,
# and peak RSS from /usr/bin/time. Run as root from the repository.
#
#   bench/prog_dump.sh [path/to/bpftool-rs]
#
# Reference: $BPFTOOL_REF, else the oracle build (LLVM), else /usr/sbin/bpftool (distribution
# builds usually lack a disassembler: the jited rows are then skipped).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
ours=${1:-$here/../target/release/bpftool-rs}
if [ -n "${BPFTOOL_REF:-}" ]; then ref=$BPFTOOL_REF
elif [ -x /var/cache/bpftool-oracle/ref/bpftool ]; then ref=/var/cache/bpftool-oracle/ref/bpftool
else ref=/usr/sbin/bpftool; fi
echo "ours:      $ours"
echo "reference: $ref ($("$ref" version 2>/dev/null | tr '\n' ' '))"
[ -x "$ours" ] || { echo "build first: cargo build --release" >&2; exit 1; }

tmp=$(mktemp -d)
pin=/sys/fs/bpf/bpftool_rs_bench
trap 'rm -rf "$pin" "$tmp"' EXIT INT TERM
clang-19 -O2 -g -target bpf -mcpu=v4 -I/usr/include/"$(uname -m)"-linux-gnu \
	-c "$here/big.bpf.c" -o "$tmp/big.o"
rm -rf "$pin"
"$ref" prog loadall "$tmp/big.o" "$pin"
big="pinned $pin/big_socket"
"$ref" prog show $big | head -3

ref_jited=yes
if ! "$ref" prog dump jited $big > /dev/null 2>&1; then
	echo "reference has no JIT disassembler: jited rows skipped"
	ref_jited=no
fi

ids=$("$ref" prog show | sed -n 's/^\([0-9]*\): .*/\1/p' | tr '\n' ' ')
echo "programs loaded: $(echo $ids | wc -w)"
cat > "$tmp/all.sh" <<EOS
#!/bin/sh
# \$1 = tool, \$2 = xlated|jited: dump every program loaded when the benchmark started
for id in $ids; do "\$1" prog dump "\$2" id "\$id" > /dev/null 2>&1 || true; done
EOS
chmod +x "$tmp/all.sh"

run() { # name, then the two commands
	local name=$1 a=$2 b=$3
	hyperfine -N -w 3 -r 20 --export-json "$tmp/h.json" -n bpftool-rs "$a" -n reference "$b" > "$tmp/h.txt" 2>&1 ||
		{ cat "$tmp/h.txt"; return; }
	python3 - "$name" "$tmp/h.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[2]))["results"]}
o, f = r["bpftool-rs"], r["reference"]
print(f"| {sys.argv[1]:<34} | {o['mean']*1e3:9.2f} ± {o['stddev']*1e3:6.2f} | {f['mean']*1e3:9.2f} ± {f['stddev']*1e3:6.2f} | {f['mean']/o['mean']:6.2f}x |")
PY
}

echo
echo "| command                            | bpftool-rs (ms)    | reference (ms)     | speed-up |"
echo "|------------------------------------|--------------------|--------------------|----------|"
run "xlated, big program" "$ours prog dump xlated $big" "$ref prog dump xlated $big"
run "xlated opcodes linum, big program" "$ours prog dump xlated $big opcodes linum" "$ref prog dump xlated $big opcodes linum"
run "xlated -j, big program" "$ours -j prog dump xlated $big" "$ref -j prog dump xlated $big"
run "xlated visual, big program" "$ours prog dump xlated $big visual" "$ref prog dump xlated $big visual"
if [ $ref_jited = yes ]; then
	run "jited, big program" "$ours prog dump jited $big" "$ref prog dump jited $big"
	run "jited opcodes linum, big program" "$ours prog dump jited $big opcodes linum" "$ref prog dump jited $big opcodes linum"
	run "jited -j, big program" "$ours -j prog dump jited $big" "$ref -j prog dump jited $big"
fi
run "xlated, all programs" "$tmp/all.sh $ours xlated" "$tmp/all.sh $ref xlated"
if [ $ref_jited = yes ]; then
	run "jited, all programs" "$tmp/all.sh $ours jited" "$tmp/all.sh $ref jited"
fi

echo
echo "peak RSS (KiB), big program:"
for kind in xlated jited; do
	[ $kind = jited ] && [ $ref_jited = no ] && continue
	o=$( { /usr/bin/time -f %M "$ours" prog dump $kind $big > /dev/null; } 2>&1 | tail -1)
	r=$( { /usr/bin/time -f %M "$ref" prog dump $kind $big > /dev/null; } 2>&1 | tail -1)
	echo "  $kind: bpftool-rs $o, reference $r"
done
