#!/usr/bin/env bash
# Creates target/py-venv with AWS's Python driver redshift_connector from PyPI, for the simulator's
# client-compatibility test (crates/redshift-sim/tests/clients.rs). Idempotent: a ready venv is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/py-venv
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import redshift_connector' 2>/dev/null; then
    exit 0
fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check 'redshift_connector>=2.1,<3'
"$VENV/bin/python" -c 'import redshift_connector; print("redshift_connector", redshift_connector.__version__)'
