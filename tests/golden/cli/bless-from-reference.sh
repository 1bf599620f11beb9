#!/usr/bin/env bash
# Regenerates the expected outputs of the CLI cases (cases.txt) with a reference
# bpftool, by default the oracle build: NAME.stdout, NAME.stderr, NAME.status.
# Review the diff before committing: cases that differ from upstream on purpose
# (listed in docs/compat.md) keep our expected output.
set -euo pipefail
cd "$(dirname "$0")"
REF="${1:-${BPFTOOL_REF:-/var/cache/bpftool-oracle/ref/bpftool}}"
while IFS=$'\t' read -r name args; do
	case "$name" in ''|'#'*) continue ;; esac
	eval "set -- $args"
	set +e
	TZ=UTC "$REF" "$@" >"$name.stdout" 2>"$name.stderr"
	echo $? >"$name.status"
	set -e
done <cases.txt
