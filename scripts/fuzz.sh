#!/usr/bin/env bash
# Runs each cargo-fuzz target for a bounded time (default 120 s each) and keeps new crashing
# inputs in fuzz/artifacts/. Not part of CI: the sanitizer build of Polars takes a long time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]
#
# Needs cargo-fuzz (cargo install cargo-fuzz). The machine's toolchain is stable; cargo-fuzz
# needs some nightly-only flags, enabled here with RUSTC_BOOTSTRAP=1. Without a sanitizer
# (`--sanitizer none`): coverage-guided, catching panics, hangs and broken reconciliations;
# an AddressSanitizer build of Polars is much slower to build and callsla has no unsafe code.
# Seeds: the sample contract, the shipped profiles and the bad-input catalogue.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-120}"
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/corpus/contract fuzz/corpus/profile fuzz/corpus/ingest_csv fuzz/corpus/run
cp sample-data/contract.toml tests/bad_contracts/*.toml fuzz/corpus/contract/ 2>/dev/null || true
cp sample-data/profiles/*.toml tests/bad_inputs/*.toml fuzz/corpus/profile/ 2>/dev/null || true
cp tests/bad_inputs/*.csv fuzz/corpus/ingest_csv/ 2>/dev/null || true
cp tests/generated_contracts/*.toml fuzz/corpus/run/ 2>/dev/null || true
for target in contract profile ingest_csv run; do
  echo "== fuzzing $target for ${secs}s"
  cargo fuzz run --sanitizer none "$target" "fuzz/corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=4096 -timeout=60
done
