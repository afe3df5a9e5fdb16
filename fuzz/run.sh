#!/usr/bin/env bash
# Build the fuzz targets and run each for a bounded time; fail on any crash.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     # default: 40 s each, every target
#   SANITIZER=address fuzz/run.sh 1800    # the long run, with AddressSanitizer
#
# Needs the nightly toolchain and cargo-fuzz (both installed when missing). Each
# target starts from a copy of its seed corpus in fuzz/corpus/<target>, so
# the checkout stays clean; a crash is kept in fuzz/artifacts/<target>/ and
# the script exits non-zero. The last line per target is libFuzzer's final
# status: executions, edges covered (cov), features (ft) and corpus size.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-40}"
shift || true
sanitizer="${SANITIZER:-none}"
target_dir="${FUZZ_TARGET_DIR:-$HOME/.cache/moneytrail-fuzz-target}"

if ! cargo +nightly --version > /dev/null 2>&1; then
  echo "fuzz: installing the nightly toolchain (cargo-fuzz needs it)" >&2
  rustup toolchain install nightly --profile minimal
fi
if ! cargo fuzz --version > /dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi

cargo +nightly fuzz build -s "$sanitizer" --target-dir "$target_dir"
bin="$target_dir/x86_64-unknown-linux-gnu/release"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t" "artifacts/$t"
  cp corpus/"$t"/* "$work/$t"/
  if "$bin/$t" "$work/$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
      -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "$work/$t.log" 2>&1; then
    # libFuzzer separates the count from DONE with a tab.
    status=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$work/$t.log" | tail -n 1 || true)
    status=$(echo "${status#*DONE}" | tr -s " \t" " ")
    corpus=$(find "$work/$t" -type f | wc -l)
    echo "fuzz $t: ${seconds}s, no crash;${status}; corpus $corpus files"
  else
    echo "fuzz $t: CRASH (input kept in fuzz/artifacts/$t/)" >&2
    tail -n 40 "$work/$t.log" >&2
    failed+=("$t")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${failed[*]}" >&2
  exit 1
fi
