#!/usr/bin/env bash
# Performance figures with their anchors measured in the same run (see README "Performance").
#   scripts/bench.sh          # full run (minutes)
#   BENCH_QUICK=1 scripts/bench.sh   # smoke (seconds), what CI runs so the script cannot rot
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
cargo bench --quiet --bench perf
