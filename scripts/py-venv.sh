#!/usr/bin/env bash
# Creates target/py-venv with AWS's Python driver redshift_connector from PyPI, for the simulator's
# client-compatibility test (crates/redshift-sim/tests/clients.rs), and moto in server mode (a
# real AWS-API mock: `moto_server`) for the IAM tests (tests/integration/iam.rs). Idempotent: a
# ready venv is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/py-venv
if [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/moto_server" ] \
  && "$VENV/bin/python" -c 'import redshift_connector, moto, flask' 2>/dev/null; then
    exit 0
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check 'redshift_connector>=2.1,<3' 'moto[server]>=5.1,<6'
"$VENV/bin/python" -c 'import redshift_connector, moto; print("redshift_connector", redshift_connector.__version__, "moto", moto.__version__)'
