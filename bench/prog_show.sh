#!/usr/bin/env bash
# bench/prog_show.sh — `prog show` with ~1,200 programs loaded: bpftool-rs vs reference
# bpftools, side by side on the same machine state, in one run.
#
#   bench/prog_show.sh [PROGRAMS]        (root; default PROGRAMS=1200 in total)
#
# Loads copies of tests/fixtures/show.bpf.c (13 programs each: maps, BTF, metadata,
# long names) with a reference bpftool's `prog loadall` until the kernel holds about
# PROGRAMS programs, pinned under /sys/fs/bpf/bpftool_rs_bench (removed on exit, also on
# failure). Then hyperfine times plain and -j output, and /usr/bin/time -v gives the
# peak RSS. References: $BPFTOOL_REF (default: the oracle build of the newest upstream,
# /var/cache/bpftool-oracle/ref/bpftool) and Debian's /usr/sbin/bpftool when present.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

TARGET=${1:-1200}
PIN=/sys/fs/bpf/bpftool_rs_bench
OURS=target/release/bpftool-rs
UPSTREAM=${BPFTOOL_REF:-/var/cache/bpftool-oracle/ref/bpftool}
DEBIAN=/usr/sbin/bpftool
CLANG=${CLANG:-$(command -v clang-19 || command -v clang || true)}

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root"
command -v hyperfine >/dev/null || die "hyperfine is missing (apt-get install hyperfine)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
[ -n "$CLANG" ] || die "clang is missing"
LOADER=""
for b in "$UPSTREAM" "$DEBIAN"; do [ -x "$b" ] && { LOADER=$b; break; }; done
[ -n "$LOADER" ] || die "no reference bpftool to compare with (set BPFTOOL_REF)"

cargo build --release --locked -q
awk '$2 == "/sys/fs/bpf" && $3 == "bpf" { f = 1 } END { exit !f }' /proc/mounts \
	|| mount -t bpf bpf /sys/fs/bpf

tmp=$(mktemp -d)
cleanup() { rm -rf "$PIN" "$tmp"; }
trap cleanup EXIT INT TERM
"$CLANG" -O2 -g -target bpf -I tests/fixtures -I "/usr/include/$(gcc -print-multiarch)" \
	-c tests/fixtures/show.bpf.c -o "$tmp/show.bpf.o"

count() { "$OURS" prog show | grep -c '^[0-9]' || true; }
mkdir -p "$PIN"
n=0
while [ "$(count)" -lt "$TARGET" ]; do
	"$LOADER" prog loadall "$tmp/show.bpf.o" "$PIN/$n" >/dev/null 2>&1 \
		|| die "loading copy $n failed"
	n=$((n + 1))
done
total=$(count)
echo "programs loaded: $total ($n fixture copies); kernel $(uname -r); $(nproc) CPUs"

cmds=("$OURS prog show" "$OURS -j prog show")
names=("bpftool-rs" "bpftool-rs -j")
if [ -x "$UPSTREAM" ]; then
	cmds+=("$UPSTREAM prog show" "$UPSTREAM -j prog show")
	names+=("upstream $("$UPSTREAM" version | head -1 | awk '{print $2}')" "upstream -j")
fi
if [ -x "$DEBIAN" ] && [ "$DEBIAN" != "$UPSTREAM" ]; then
	cmds+=("$DEBIAN prog show" "$DEBIAN -j prog show")
	names+=("debian $("$DEBIAN" version | head -1 | awk '{print $2}')" "debian -j")
fi

hyperfine -N --warmup 3 --runs "${RUNS:-30}" --export-json "$tmp/h.json" "${cmds[@]}" >&2

echo
echo "| command | mean (ms) | σ (ms) | peak RSS (MiB) | vs bpftool-rs |"
echo "|---|---|---|---|---|"
base=$(python3 -c "import json;print(json.load(open('$tmp/h.json'))['results'][0]['mean'])")
for i in "${!cmds[@]}"; do
	rss=$(/usr/bin/time -v ${cmds[$i]} 2>&1 >/dev/null | awk -F: '/Maximum resident/ {print $2}')
	python3 - "$tmp/h.json" "$i" "${names[$i]}" "$rss" "$base" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
rss = int(sys.argv[4]) / 1024
print(f"| {sys.argv[3]} | {r['mean']*1e3:.1f} | {r['stddev']*1e3:.1f} | {rss:.1f} | {r['mean']/float(sys.argv[5]):.1f}× |")
EOF
done
