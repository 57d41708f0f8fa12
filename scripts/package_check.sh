#!/usr/bin/env bash
# Install a built .deb on this machine (root) and check it as a desktop user would meet it:
# `shiftgate --version`, `man -w shiftgate`, completions, the menu entry and its icon, the first
# run's config dir (0700) and profiles.toml (0600), and the installed binary's window under Xvfb
# (mapped, screenshot not blank). Removes the package again unless KEEP_PACKAGE=1.
#   scripts/package_check.sh target/debian/shiftgate_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
DEB=${1:?usage: scripts/package_check.sh PATH.deb}
fail() { echo "FAIL: $*"; exit 1; }

dpkg -i "$DEB" >/dev/null
[ "${KEEP_PACKAGE:-}" = 1 ] || trap 'dpkg -r shiftgate >/dev/null 2>&1 || true' EXIT
[ "$(command -v shiftgate)" = /usr/bin/shiftgate ] || fail "shiftgate is not /usr/bin/shiftgate"
shiftgate --version | grep -Eq '^shiftgate [0-9]+\.[0-9]+\.[0-9]+' || fail "shiftgate --version"
shiftgate --help | grep -q 'SHIFTGATE_CONFIG_DIR' || fail "--help does not list the environment"
man -w shiftgate | grep -q '/usr/share/man/man1/shiftgate.1.gz' || fail "man -w shiftgate"
zcat /usr/share/man/man1/shiftgate.1.gz | grep -q '^\.SH ENVIRONMENT' || fail "man page lacks ENVIRONMENT"
grep -q -- '--config-dir' /usr/share/bash-completion/completions/shiftgate || fail "bash completion"
grep -q 'shiftgate' /usr/share/zsh/vendor-completions/_shiftgate || fail "zsh completion"
grep -q 'complete -c shiftgate' /usr/share/fish/vendor_completions.d/shiftgate.fish || fail "fish completion"
# bash completes the subcommands for real
words=$(bash -c 'source /usr/share/bash-completion/completions/shiftgate; COMP_WORDS=(shiftgate pro); COMP_CWORD=1; COMP_LINE="shiftgate pro"; COMP_POINT=${#COMP_LINE}; _shiftgate shiftgate pro shiftgate; printf "%s\n" "${COMPREPLY[@]}"')
grep -qx 'profiles' <<<"$words" || fail "bash completion of 'shiftgate pro' gave: $words"
desktop=/usr/share/applications/shiftgate.desktop
grep -qx 'Exec=shiftgate' "$desktop" && grep -qx 'Icon=shiftgate' "$desktop" || fail "desktop entry"
grep -qx 'Categories=Development;Database;' "$desktop" || fail "desktop categories"
for s in 48x48 128x128 256x256; do
  [ "$(identify -format '%wx%h' /usr/share/icons/hicolor/$s/apps/shiftgate.png)" = "$s" ] || fail "icon $s"
done
[ -s /usr/share/icons/hicolor/scalable/apps/shiftgate.svg ] || fail "scalable icon"
grep -q '<launchable type="desktop-id">shiftgate.desktop</launchable>' /usr/share/metainfo/shiftgate.metainfo.xml ||
  fail "metainfo"

# First run of the installed app as a new user would: default config dir, no overrides.
HOME_DIR=$(mktemp -d)
(unset SHIFTGATE_CONFIG_DIR; HOME=$HOME_DIR XDG_CONFIG_HOME=$HOME_DIR/.config shiftgate profiles list >/dev/null)
CFG=$HOME_DIR/.config/shiftgate
[ "$(stat -c %a "$CFG")" = 700 ] || fail "config dir mode $(stat -c %a "$CFG"), want 700"
[ "$(stat -c %a "$CFG/profiles.toml")" = 600 ] || fail "profiles.toml mode, want 600"
rm -rf "$HOME_DIR"

SHIFTGATE_BIN=/usr/bin/shiftgate SMOKE_PROFILES=10 scripts/gui_smoke.sh
echo "package check: installed $(basename "$DEB"); version, man page, completions, menu entry, icons, first-run modes and window OK"
