#!/usr/bin/env bash
# Run Shiftgate's whole test suite on a fresh Debian 12 machine, installing what it needs.
#
#   scripts/test.sh               # everything: deps, fmt, clippy, tests, GUI smoke, bench smoke, .deb
#   SKIP_LINT=1 scripts/test.sh   # no fmt/clippy (faster local runs)
#   SKIP_PACKAGE=1 scripts/test.sh   # no Debian package build/install check
#
# Needs: the Rust toolchain (rustup, 1.95+). As root it apt-installs the real parts the tests use:
# PostgreSQL 15 server, OpenSSH server, Xvfb + ImageMagick (screenshot), gnome-keyring + D-Bus
# (Secret Service), man-db. As a normal user it tells you what is missing.
#
# One compilation serves every phase: clippy runs *inside* the test build (clippy-driver as the
# workspace's rustc wrapper, so dependencies are compiled once, not once for `cargo clippy` and
# again for `cargo test`), and the GUI smoke, the benchmark smoke and the .deb all use that build's
# artefacts (the dev profile) instead of a separate release build. Each phase prints its minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASES=()
phase_start=$SECONDS
phase() { # phase NAME: close the previous phase (if any) and start NAME
  if [ -n "${PHASE:-}" ]; then
    PHASES+=("$(printf '%-34s %5.1f min' "$PHASE" "$(awk -v s=$((SECONDS - phase_start)) 'BEGIN{print s/60}')")")
  fi
  PHASE=$1; phase_start=$SECONDS
  [ -n "$PHASE" ] && echo "== $PHASE"
  return 0
}
report_phases() {
  phase ""
  echo "== phase times"
  printf '  %s\n' "${PHASES[@]}"
  echo "  total: $(awk -v s=$SECONDS 'BEGIN{printf "%.1f", s/60}') min"
}
trap report_phases EXIT

phase "system packages"
PKGS=(postgresql-15 postgresql-client-15 openssh-server openssh-client xvfb x11-utils imagemagick xdotool
      gnome-keyring dbus dbus-x11 libsecret-tools util-linux procps libgl1-mesa-dri libegl1 libxkbcommon-x11-0
      man-db python3-venv)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d keeps the packaged PostgreSQL/sshd services from starting; the tests start their own.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    rm -f /usr/sbin/policy-rc.d
  else
    echo "missing packages: ${missing[*]}"
    echo "install them with: sudo apt-get install -y ${missing[*]}"
    exit 2
  fi
fi
[ "$(id -u)" = 0 ] && mkdir -p /run/sshd

if [ -x scripts/py-venv.sh ]; then
  phase "python venv (real clients)"
  scripts/py-venv.sh
fi

export CARGO_TERM_COLOR=never
if [ -z "${SKIP_LINT:-}" ]; then
  phase "cargo fmt --check"
  cargo fmt --all -- --check
  # Lints run during the one build below: clippy-driver compiles the workspace crates (full
  # codegen) with clippy's lints denied; dependencies go through plain rustc as usual.
  CLIPPY_DRIVER=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
  export RUSTC_WORKSPACE_WRAPPER=$CLIPPY_DRIVER
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
  phase "build + clippy -D warnings (every target)"
else
  phase "build (every target)"
fi
cargo test --workspace --all-targets --no-run --locked --quiet

# Secret Service for the keychain tests: a private D-Bus session with an unlocked gnome-keyring,
# its files in a throwaway XDG dir (the user's real keyring is never touched).
KEYRING_TMP=$(mktemp -d)
trap 'rm -rf "$KEYRING_TMP"; report_phases' EXIT
export XDG_DATA_HOME="$KEYRING_TMP/data" XDG_RUNTIME_DIR="$KEYRING_TMP/run" XDG_CONFIG_HOME="$KEYRING_TMP/config"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"; chmod 700 "$XDG_RUNTIME_DIR"

phase "tests"
TEST_LOG="$KEYRING_TMP/tests.log"
dbus-run-session -- sh -c '
  printf "%s" "shiftgate-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec cargo test --workspace --locked --quiet
' 2>&1 | tee "$TEST_LOG"

phase "GUI smoke under Xvfb"
SHIFTGATE_BIN=target/debug/shiftgate scripts/gui_smoke.sh

phase "benchmark smoke"
BENCH_QUICK=1 BENCH_PROFILE=test scripts/bench.sh

extra_passed=1   # the GUI smoke
if [ -z "${SKIP_PACKAGE:-}" ]; then
  phase "Debian package: build, install, check"
  PACKAGE_PROFILE=dev scripts/package.sh --no-build
  if [ "$(id -u)" = 0 ]; then
    scripts/package_check.sh target/debian/shiftgate_*.deb
    extra_passed=$((extra_passed + 1))
  else
    echo "package built; installing it needs root (dpkg -i), skipped"
  fi
fi

passed=$(awk '/^test result:/{for(i=1;i<=NF;i++) if($i=="passed;") s+=$(i-1)} END{print s+0}' "$TEST_LOG")
failed=$(awk '/^test result:/{for(i=1;i<=NF;i++) if($i=="failed;") s+=$(i-1)} END{print s+0}' "$TEST_LOG")
report_phases; trap 'rm -rf "$KEYRING_TMP"' EXIT
echo "== all checks passed"
echo "suite: $((passed + extra_passed)) passed, $failed failed"   # cargo tests + GUI smoke + package check
