#!/bin/sh
# Every fuzz target replays its seeds and every crash ever found, then fuzzes
# a few seconds from its corpus (tests/fuzz/run --regress).  The targets are
# clang builds with ASan/UBSan of their own, so the sanitizer pass of
# ./quickstart check (STSIP_ASAN=1) does not run them a second time.
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"

if ! command -v clang >/dev/null 2>&1; then
	echo "hardening_fuzz_regress: clang not installed: skipped"
	exit 77
fi
if [ "${STSIP_ASAN:-0}" = 1 ]; then
	echo "hardening_fuzz_regress: runs in the ordinary pass only: skipped"
	exit 77
fi
STSIP_FUZZ_BUILD=${STSIP_FUZZ_BUILD:-$top_builddir/_run/fuzz-build}
export STSIP_FUZZ_BUILD
exec "$top_srcdir/tests/fuzz/run" --regress
