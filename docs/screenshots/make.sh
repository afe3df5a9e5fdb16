#!/usr/bin/env bash
# Regenerate the report screenshots of docs/screenshots from the shipped
# sample: the analysis, a forward trace, a backward trace and an
# investigation. Needs a release build and Debian's chromium.
#
#   docs/screenshots/make.sh [path/to/moneytrail]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mt="${1:-${CARGO_TARGET_DIR:-$here/../../target}/release/moneytrail}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$here/../.."
"$mt" analyze --out "$work/analysis" > /dev/null
"$mt" trace --account bc1qdca5f23629c9aa1630 --out "$work/trace" > /dev/null
"$mt" trace --account AE-GB-7731 --backward --out "$work/backward" > /dev/null
"$mt" investigate --out "$work/investigation" > /dev/null 2>&1
for report in analysis trace backward investigation; do
  chromium --headless --no-sandbox --disable-gpu --no-first-run --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size=1400,2200 \
    --screenshot="$here/$report.png" "file://$work/$report/report.html" > /dev/null 2>&1
done
ls -l "$here"/*.png
