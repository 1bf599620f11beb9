#!/usr/bin/env bash
# setup.sh — the two commands of the README, on a fresh Debian/Ubuntu machine, as root.
#
#   ./setup.sh run    install what is missing, build (release), mount bpffs if needed,
#                     and run the main job: bpftool-rs prog show
#   ./setup.sh test   install what is missing (incl. clang for the BPF test fixtures),
#                     mount bpffs/tracefs if needed, and run the whole test suite
#
# Idempotent: installed packages and mounted file systems are left alone.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

say() { printf 'setup: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (BPF needs CAP_BPF/CAP_SYS_ADMIN, and packages are installed with apt)"

# Build needs: a C toolchain and libelf/zlib (libbpf is vendored and linked statically).
BUILD_PKGS="gcc libc6-dev make pkg-config libelf-dev zlib1g-dev ca-certificates"
# Tests also compile BPF programs (clang 19: enum64, signed enums, -mcpu=v4; clang 14: the
# ISA v1 build of the prog dump fixtures, as older toolchains emit it).
TEST_PKGS="clang-19 clang-14"
MSRV=1.85

apt_updated=0
apt_update_once() {
	command -v apt-get >/dev/null || die "apt-get not found: install the packages by hand"
	if [ "$apt_updated" = 0 ]; then
		say "apt-get update"
		apt-get update -qq
		apt_updated=1
	fi
}

apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
			|| missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	apt_update_once
	say "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

rustc_ok() {
	command -v cargo >/dev/null && command -v rustc >/dev/null || return 1
	local v
	v=$(rustc --version | awk '{print $2}')
	version_ge "${v%%-*}" "$MSRV"
}

ensure_rust() {
	[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
	rustc_ok && return 0
	# Debian 12 ships a modern toolchain as cargo-web/rustc-web; its plain `cargo` is too
	# old for current lockfiles.
	apt_update_once
	if apt-cache show cargo-web >/dev/null 2>&1; then
		apt_install cargo-web
	else
		apt_install cargo rustc
	fi
	rustc_ok && return 0
	say "no Rust >= $MSRV from apt; installing it with rustup"
	apt_install curl
	curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal >/dev/null
	. "$HOME/.cargo/env"
	rustc_ok || die "Rust >= $MSRV is needed (found $(rustc --version 2>/dev/null || echo none))"
}

is_mounted() { awk -v d="$1" -v t="$2" '$2 == d && $3 == t { f = 1 } END { exit !f }' /proc/mounts; }

ensure_mounts() {
	is_mounted /sys/fs/bpf bpf || { say "mount -t bpf bpf /sys/fs/bpf"; mount -t bpf bpf /sys/fs/bpf; }
	if [ "${1:-}" = tracefs ] && ! is_mounted /sys/kernel/tracing tracefs; then
		say "mount -t tracefs tracefs /sys/kernel/tracing"
		mount -t tracefs tracefs /sys/kernel/tracing
	fi
}

case "${1:-}" in
run)
	apt_install $BUILD_PKGS
	ensure_rust
	cargo build --release --locked
	ensure_mounts
	exec target/release/bpftool-rs prog show
	;;
test)
	apt_install $BUILD_PKGS $TEST_PKGS
	ensure_rust
	ensure_mounts tracefs
	cargo test --locked
	;;
*)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
