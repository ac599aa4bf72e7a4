#!/usr/bin/env bash
# Runs each libFuzzer target (fuzz/fuzz_targets) for a bounded time, coverage-guided, and fails
# on the first crash, hang or reconciliation break. `.ci/run` runs it for a short time on every
# submission (the fuzz smoke); run it longer by hand or nightly:
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default 120 s, every target)
#
# No cargo-fuzz and no nightly toolchain: a plain `cargo build --release` of the fuzz crate with
# scripts/fuzz-rustc as the rustc wrapper, which adds cargo-fuzz's coverage flags to callsla and
# the targets only (no sanitizer: callsla has no unsafe code; what is hunted is panics, hangs and
# broken invariants). The build goes to "${CARGO_TARGET_DIR}-fuzz" (kept apart: the
# instrumented callsla must never be mistaken for the plain one).
#
# Corpus: the committed seeds in fuzz/corpus/TARGET (read, never written), the sample contract,
# the shipped profiles, the bad-input catalogue, tests/generated_contracts and the sample
# contract's counts (fuzz/fixtures/counts, behind their selector byte); what the run finds
# goes to a temporary folder, removed at the end (FUZZ_KEEP=DIR keeps it in DIR instead, to be
# minimised with `-merge=1` into fuzz/corpus). A crashing input is written to fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-120}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(contract profile ingest_csv run counts)

base="${CARGO_TARGET_DIR:-/var/tmp/callsla-target}"
export CARGO_TARGET_DIR="${base}-fuzz"
export RUSTC_WRAPPER="$PWD/scripts/fuzz-rustc"
echo "== building the fuzz targets (instrumented callsla, in $CARGO_TARGET_DIR)"
cargo build --release --locked --manifest-path fuzz/Cargo.toml --bins

seeds="$(mktemp -d)"
found="${FUZZ_KEEP:-$(mktemp -d)}"
cleanup() {
  rm -rf "$seeds"
  [ -n "${FUZZ_KEEP:-}" ] || rm -rf "$found"
}
trap cleanup EXIT
mkdir -p "$seeds"/{contract,profile,ingest_csv,run,counts} fuzz/artifacts
cp sample-data/contract.toml tests/bad_contracts/*.toml "$seeds/contract/"
cp sample-data/profiles/*.toml "$seeds/profile/"
cp tests/bad_inputs/*.csv "$seeds/ingest_csv/"
cp tests/generated_contracts/*.toml "$seeds/run/"
# The counts target's first byte chooses the result its bytes replace (0 metrics … 3 scope).
for k in 0 1 2 3; do
  name=(metrics outbound volumes scope)
  { printf "\\$(printf '%03o' "$k")"; cat "fuzz/fixtures/counts/${name[$k]}.csv"; } > "$seeds/counts/${name[$k]}"
done

for target in "${targets[@]}"; do
  echo "== fuzzing $target for ${secs}s"
  mkdir -p "$found/$target" "fuzz/artifacts/$target"
  committed=()
  [ -d "fuzz/corpus/$target" ] && committed=("fuzz/corpus/$target")
  log="$found/$target.log"
  if ! "$CARGO_TARGET_DIR/release/$target" "$found/$target" "${committed[@]}" "$seeds/$target" \
    -max_total_time="$secs" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="fuzz/artifacts/$target/" >"$log" 2>&1; then
    tail -n 60 "$log" >&2
    echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || tail -n 5 "$log"
done
