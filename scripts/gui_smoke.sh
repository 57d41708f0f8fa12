#!/usr/bin/env bash
# Real-window smoke test: start the binary under Xvfb, wait for its window, take a screenshot,
# check it is not blank, stop the app with SIGTERM. Prints time-to-window and RSS.
#   scripts/gui_smoke.sh                                  # builds and runs the release binary
#   SHIFTGATE_BIN=target/debug/shiftgate scripts/gui_smoke.sh   # an existing build (CI)
#   SHIFTGATE_BIN=/usr/bin/shiftgate scripts/gui_smoke.sh       # the installed package
#   UPDATE_SCREENSHOT=1 scripts/gui_smoke.sh   # also refresh assets/screenshot.png for the README
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SHIFTGATE_BIN:-}" ]; then
  cargo build --release --quiet --bin shiftgate
  SHIFTGATE_BIN=target/release/shiftgate
fi

DISPLAY_NUM=${SMOKE_DISPLAY:-:97}
WORK=$(mktemp -d)
cleanup() { [ -n "${APP:-}" ] && kill "$APP" 2>/dev/null || true; [ -n "${XVFB:-}" ] && kill "$XVFB" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

# A display left by a killed run (its lock file, its socket) would make this Xvfb exit at once.
if [ -e "/tmp/.X${DISPLAY_NUM#:}-lock" ] && ! xdpyinfo -display "$DISPLAY_NUM" >/dev/null 2>&1; then
  rm -f "/tmp/.X${DISPLAY_NUM#:}-lock" "/tmp/.X11-unix/X${DISPLAY_NUM#:}"
fi
Xvfb "$DISPLAY_NUM" -screen 0 1280x800x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
XVFB=$!
# Up to 30 s: a loaded machine can be slow to bring the server up.
up=
for _ in $(seq 300); do
  if xdpyinfo -display "$DISPLAY_NUM" >/dev/null 2>&1; then up=1; break; fi
  kill -0 "$XVFB" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$up" ]; then
  echo "FAIL: Xvfb did not start on $DISPLAY_NUM"; cat "$WORK/xvfb.log"; exit 1
fi

export DISPLAY=$DISPLAY_NUM XDG_RUNTIME_DIR="$WORK/run" SHIFTGATE_CONFIG_DIR="$WORK/config"
mkdir -p "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
# A couple of profiles so the screenshot shows a populated window.
"$SHIFTGATE_BIN" profiles add "Analytics (Redshift)" --engine redshift \
  --host examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com --user admin >/dev/null
"$SHIFTGATE_BIN" profiles add "Local Postgres" --engine postgres --host localhost --user postgres --sslmode prefer >/dev/null

# Plus generated ones (default 1,000) so start-up and memory are measured with a realistic store.
N=${SMOKE_PROFILES:-1000}
for i in $(seq 1 "$N"); do
  printf '\n[[profile]]\nid = "smoke-%05d"\nname = "warehouse %05d"\nengine = "%s"\nhost = "wh%05d.example.com"\nuser = "admin"\n' \
    "$i" "$i" "$([ $((i % 2)) = 0 ] && echo redshift || echo postgres)" "$i"
done >> "$SHIFTGATE_CONFIG_DIR/profiles.toml"

START=$(date +%s%N)
"$SHIFTGATE_BIN" >"$WORK/app.log" 2>&1 &
APP=$!
if ! timeout 30 xdotool search --sync --name "Shiftgate" >/dev/null; then
  echo "FAIL: no Shiftgate window within 30 s"; cat "$WORK/app.log"; exit 1
fi
MAPPED=$(date +%s%N)
MODES="$(stat -c %a "$SHIFTGATE_CONFIG_DIR") $(stat -c %a "$SHIFTGATE_CONFIG_DIR/profiles.toml")"
[ "$MODES" = "700 600" ] || { echo "FAIL: config dir / profiles.toml modes are $MODES, want 700 600"; exit 1; }
sleep 2   # let it draw and settle
import -display "$DISPLAY_NUM" -window root "$WORK/shot.png"
STDDEV=$(convert "$WORK/shot.png" -colorspace Gray -format "%[fx:standard_deviation]" info:)
COLORS=$(convert "$WORK/shot.png" -format "%k" info:)
sleep 3
RSS_KB=$(ps -o rss= -p "$APP" | tr -d ' ')
echo "profiles: $((N + 2)); window after $(( (MAPPED - START) / 1000000 )) ms; idle RSS after 5 s: $(( RSS_KB / 1024 )) MB; screenshot colours: $COLORS, stddev: $STDDEV"
if awk "BEGIN{exit !($STDDEV < 0.02 || $COLORS < 16)}"; then
  echo "FAIL: the screenshot looks blank"; exit 1
fi
kill -TERM "$APP"; wait "$APP" 2>/dev/null || true; APP=
if [ -n "${UPDATE_SCREENSHOT:-}" ]; then cp "$WORK/shot.png" assets/screenshot.png; echo "updated assets/screenshot.png"; fi
echo "GUI smoke: 1 passed, 0 failed"
