#!/usr/bin/env bash
# One command for the peer comparison: builds moneytrail (release), makes a
# virtual environment with the pinned peers, and runs compare.py with the
# arguments given (see README.md). With --smoke: 10,000 rows, one thread
# setting, peers skipped (and reported as skipped) when Python or the
# packages cannot be installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
smoke=0
args=()
for a in "$@"; do
  if [ "$a" = "--smoke" ]; then smoke=1; else args+=("$a"); fi
done
profile=release
if [ "$smoke" = 1 ]; then profile=dev; fi
(cd "$root" && cargo build --locked --quiet --profile "$profile" --bin moneytrail)
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/$([ "$profile" = dev ] && echo debug || echo release)/moneytrail"
python=""
if command -v python3 > /dev/null && python3 -m venv --help > /dev/null 2>&1; then
  venv="$here/.venv"
  if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
  if "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"; then
    python="$venv/bin/python"
  else
    echo "compare: installing the peers failed; they are skipped" >&2
    python="python3"
    args+=("--no-peers")
  fi
else
  echo "compare: no Python with venv; peers skipped" >&2
  if ! command -v python3 > /dev/null; then
    echo "compare: python3 not found; nothing to run" >&2
    exit 0
  fi
  python="python3"
  args+=("--no-peers")
fi
if [ "$smoke" = 1 ]; then
  exec "$python" "$here/compare.py" --moneytrail "$bin" --sizes 10000 --threads 2 --timeout 60 \
    --data "$here/data" --out "$here/results-smoke" "${args[@]}"
fi
exec "$python" "$here/compare.py" --moneytrail "$bin" "${args[@]}"
