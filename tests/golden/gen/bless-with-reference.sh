#!/bin/sh
# Regenerates the `gen` golden files with a reference bpftool (never with bpftool-rs):
#   tests/golden/gen/bless-with-reference.sh /var/cache/bpftool-oracle/ref/bpftool
# Inputs are the committed objects in tests/fixtures/gen/obj (see build.sh there).
# Light skeletons are kept only for objects without .kconfig externs: libbpf reads the
# running kernel's configuration into those.
set -eu
B=${1:-${BPFTOOL_RS_ORACLE:?usage: $0 BPFTOOL}}
cd "$(dirname "$0")"
OBJ=../../fixtures/gen/obj
rm -f ./*.h ./*.o ./*.btf
for o in "$OBJ"/*.bpf.o; do
	n=$(basename "$o" .bpf.o)
	"$B" gen skeleton "$o" > "$n.skel.h" 2>/dev/null || rm -f "$n.skel.h"
	"$B" gen subskeleton "$o" > "$n.subskel.h" 2>/dev/null || rm -f "$n.subskel.h"
	# An empty subskeleton is bpftool giving up silently (arena maps).
	[ -s "$n.subskel.h" ] || rm -f "$n.subskel.h"
	case $n in
	minimal.* | nothing.* | core.* | nobtf.* | arena.clang14 | sleepable.*)
		"$B" -L gen skeleton "$o" > "$n.lskel.h" ;;
	esac
done
# bpftool declares `data_a_b` twice for clash.bpf.c; bpftool-rs refuses (docs/compat.md).
rm -f clash.*
for v in 14 19; do
	"$B" gen object "link.clang$v.o" "$OBJ/link_a.clang$v.bpf.o" "$OBJ/link_b.clang$v.bpf.o"
	"$B" gen object "globals.clang$v.linked.o" "$OBJ/globals.clang$v.bpf.o"
	"$B" gen min_core_btf "$OBJ/kernel_types.btf.o" "core.clang$v.min.btf" "$OBJ/core.clang$v.bpf.o"
done
"$B" gen min_core_btf "$OBJ/kernel_types.btf.o" core.both.min.btf \
	"$OBJ/core.clang14.bpf.o" "$OBJ/core.clang19.bpf.o"
