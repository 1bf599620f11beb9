#!/bin/bash
# `bpftool feature probe` (plain and -j): bpftool-rs against a reference bpftool, in one run.
#
#   bench/feature_probe.sh [ROUNDS] [RUNS]        (as root: the probes need CAP_BPF etc.)
#
# Reference: $BPFTOOL_REF, else the oracle (/var/cache/bpftool-oracle/ref/bpftool, see
# ../shared/oracle/README.md), else Debian's /usr/sbin/bpftool; the one used is printed.
# bpftool-rs: $BPFTOOL_RS, else target/release/bpftool-rs (built if missing).
#
# The machine is shared, so the commands are interleaved: ROUNDS rounds (default 5) of
# hyperfine, each timing every command RUNS times (default 10); the table reports the
# mean over all runs, the ratio ours/reference, and the CPU time each used (user+sys,
# which other tasks on the machine disturb less than wall time). Both outputs are also
# compared once, so a fast wrong answer cannot pass for a win.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
runs=${2:-10}

ref=${BPFTOOL_REF:-}
if [ -z "$ref" ]; then
    for c in "${ORACLE_DIR:-/var/cache/bpftool-oracle}/ref/bpftool" /usr/sbin/bpftool; do
        if [ -x "$c" ]; then ref=$c; break; fi
    done
fi
[ -n "$ref" ] || { echo "no reference bpftool: set BPFTOOL_REF" >&2; exit 1; }
ours=${BPFTOOL_RS:-${CARGO_TARGET_DIR:-target}/release/bpftool-rs}
if [ ! -x "$ours" ]; then cargo build --release --quiet; fi
command -v hyperfine >/dev/null || { echo "hyperfine is needed" >&2; exit 1; }

echo "reference: $ref ($("$ref" version 2>/dev/null | head -1))"
echo "ours:      $ours"
echo "kernel:    $(uname -r), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"

for args in "feature probe" "-j feature probe"; do
    # shellcheck disable=SC2086
    if ! cmp -s <("$ref" $args 2>&1) <("$ours" $args 2>&1); then
        echo "warning: outputs of '$args' differ" >&2
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq "$rounds"); do
    hyperfine -N --style none -w 2 -r "$runs" --export-json "$tmp/$r.json" \
        "$ref feature probe" "$ours feature probe" \
        "$ref -j feature probe" "$ours -j feature probe" >/dev/null 2>>"$tmp/warnings"
done

# Mean and median over every run of every round, per command.
jq -s -r --arg ref "$ref" --arg ours "$ours" '
    [.[].results[]] | group_by(.command)
    | map({key: .[0].command, value: (([.[].times[]] | {n: length, mean: (add / length),
           median: (sort | .[length / 2 | floor])}) + {cpu: ([.[] | .user + .system] | add / length)})})
    | from_entries as $t
    | ["plain", "feature probe"], ["-j", "-j feature probe"]
    | . as [$mode, $a]
    | $t["\($ref) \($a)"] as $r | $t["\($ours) \($a)"] as $o
    | "| \($mode) | \($r.n) | \($r.mean * 1000 | round) ms | \($o.mean * 1000 | round) ms | \($r.median * 1000 | round) ms | \($o.median * 1000 | round) ms | \(($o.mean / $r.mean * 100 | round) / 100) | \($r.cpu * 1000 | round) / \($o.cpu * 1000 | round) ms |"
' "$tmp"/*.json > "$tmp/table"
echo
echo "| mode | runs each | reference mean | bpftool-rs mean | reference median | bpftool-rs median | ratio (means) | CPU (user+sys) ref / ours |"
echo "|---|---|---|---|---|---|---|---|"
cat "$tmp/table"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
if grep -q outliers "$tmp/warnings" 2>/dev/null; then
    echo "(hyperfine saw statistical outliers: other tasks were running)"
fi
