#!/usr/bin/env bash
# Builds the shipped binary: release profile, debug info split off into dondoc.debug
# (keep it beside the release for crash analysis: gdb finds it by the debug link), the
# binary itself stripped. Prints both sizes.
#
#   bash scripts/release.sh [OUT_DIR]   (default target/dist)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/dist}
cargo build --release --locked -p dondoc
mkdir -p "$out"
cp target/release/dondoc "$out/dondoc.unstripped"
objcopy --only-keep-debug "$out/dondoc.unstripped" "$out/dondoc.debug"
objcopy --strip-debug --strip-unneeded --add-gnu-debuglink="$out/dondoc.debug" "$out/dondoc.unstripped" "$out/dondoc"
size() { stat -c %s "$1" | awk '{printf "%.1f MB", $1 / 1e6}'; }
echo "release build: $(size "$out/dondoc.unstripped"); shipped (stripped): $(size "$out/dondoc"); debug info: $(size "$out/dondoc.debug")"
rm "$out/dondoc.unstripped"
"$out/dondoc" --version
