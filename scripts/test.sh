#!/usr/bin/env bash
# Run Shiftgate's whole test suite on a fresh Debian 12 machine, installing what it needs.
#
#   scripts/test.sh            # everything: deps, fmt, clippy, tests, GUI smoke under Xvfb, bench smoke
#   SKIP_LINT=1 scripts/test.sh   # skip fmt/clippy (faster local runs)
#
# Needs: the Rust toolchain (rustup, 1.95+). As root it apt-installs the real parts the tests use:
# PostgreSQL 15 server, OpenSSH server, Xvfb + ImageMagick (screenshot), gnome-keyring + D-Bus
# (Secret Service). As a normal user it tells you what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

PKGS=(postgresql-15 postgresql-client-15 openssh-server openssh-client xvfb x11-utils imagemagick xdotool
      gnome-keyring dbus dbus-x11 libsecret-tools util-linux procps libgl1-mesa-dri libegl1 libxkbcommon-x11-0)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing: ${missing[*]}"
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

export CARGO_TERM_COLOR=never
if [ -z "${SKIP_LINT:-}" ]; then
  echo "== cargo fmt --check"
  cargo fmt --all -- --check
  echo "== cargo clippy"
  cargo clippy --workspace --all-targets --quiet -- -D warnings
fi

echo "== build (one build for every test binary)"
cargo test --workspace --no-run --quiet

# Secret Service for the keychain tests: a private D-Bus session with an unlocked gnome-keyring,
# its files in a throwaway XDG dir (the user's real keyring is never touched).
KEYRING_TMP=$(mktemp -d)
trap 'rm -rf "$KEYRING_TMP"' EXIT
export XDG_DATA_HOME="$KEYRING_TMP/data" XDG_RUNTIME_DIR="$KEYRING_TMP/run" XDG_CONFIG_HOME="$KEYRING_TMP/config"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"; chmod 700 "$XDG_RUNTIME_DIR"

echo "== tests"
TEST_LOG="$KEYRING_TMP/tests.log"
dbus-run-session -- sh -c '
  printf "%s" "shiftgate-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
  exec cargo test --workspace --quiet
' 2>&1 | tee "$TEST_LOG"

echo "== GUI smoke test under Xvfb (release build)"
scripts/gui_smoke.sh

echo "== benchmark smoke (seconds; full figures: scripts/bench.sh)"
BENCH_QUICK=1 scripts/bench.sh

passed=$(awk '/^test result:/{for(i=1;i<=NF;i++) if($i=="passed;") s+=$(i-1)} END{print s+0}' "$TEST_LOG")
failed=$(awk '/^test result:/{for(i=1;i<=NF;i++) if($i=="failed;") s+=$(i-1)} END{print s+0}' "$TEST_LOG")
echo "== all checks passed"
echo "suite: $((passed + 1)) passed, $failed failed"   # cargo tests + the GUI smoke test
