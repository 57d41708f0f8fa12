#!/usr/bin/env bash
# Performance figures with their anchors measured in the same run (see README "Performance").
#   scripts/bench.sh                 # full run (a few minutes)
#   BENCH_QUICK=1 scripts/bench.sh   # smoke (seconds), what CI runs so the script cannot rot
#   BENCH_PROFILE=test ...           # on the test build's artefacts (CI: no extra compile; figures
#                                    # are then unoptimised and only show the bench still runs)
#   BENCH_ONLY=setup,verify          # only some sections: connect tunnel wan setup verify store sim gui
#   BENCH_DELAY_MS=25                # the relay's delay each way for the WAN-shaped figures
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -sr)"
if [ "${BENCH_PROFILE:-bench}" = test ]; then
  cargo test --quiet --locked --bench perf -- --bench
  export SHIFTGATE_BIN=${SHIFTGATE_BIN:-target/debug/shiftgate}
else
  cargo bench --quiet --bench perf
fi

# Simulator: catalog queries over 10,002 tables (budget 100 ms), against a `select 1` round trip
# and the same query on the 8-table sample warehouse (anchors, same run).
if [[ -n "${BENCH_ONLY:-}" && ",${BENCH_ONLY}," != *",sim,"* ]]; then
  :
elif [ "${BENCH_PROFILE:-bench}" = test ]; then
  # --workspace, not -p: the same feature set as the test build, so nothing is recompiled.
  cargo test --quiet --locked --workspace --bench catalog -- --bench
else
  cargo bench --quiet --workspace --bench catalog
fi

# GUI: release build under Xvfb, time to a mapped window and idle RSS, with 1,000 profiles
# against the same app with none (anchor, same run).
if [[ -n "${BENCH_ONLY:-}" && ",${BENCH_ONLY}," != *",gui,"* ]]; then
  :
elif command -v Xvfb >/dev/null && command -v xdotool >/dev/null; then
  gui() { SMOKE_PROFILES=$1 scripts/gui_smoke.sh | grep '^profiles:'; }
  empty=$(gui 0); full=$(gui 1000)
  ms() { sed -E 's/.*window after ([0-9]+) ms.*/\1/' <<<"$1"; }
  mb() { sed -E 's/.*idle RSS after 5 s: ([0-9]+) MB.*/\1/' <<<"$1"; }
  printf '%-52s %9s ms   %-22s %9s ms   ratio %s×\n' "GUI start to mapped window, 1,002 profiles" "$(ms "$full")" "2 profiles" "$(ms "$empty")" \
    "$(awk -v a="$(ms "$full")" -v b="$(ms "$empty")" 'BEGIN{printf "%.2f", a/b}')"
  printf '%-52s %9s MB   %-22s %9s MB   ratio %s×\n' "GUI idle RSS after 5 s, 1,002 profiles" "$(mb "$full")" "2 profiles" "$(mb "$empty")" \
    "$(awk -v a="$(mb "$full")" -v b="$(mb "$empty")" 'BEGIN{printf "%.2f", a/b}')"
else
  echo "GUI figures skipped: Xvfb/xdotool not installed (scripts/test.sh installs them)"
fi
