#!/usr/bin/env bash
# Runs the linters and the whole test suite against the NEWEST releases of every dependency
# that pyproject.toml's ranges allow, in a throw-away virtual environment (not ./.venv), and
# lists the packages whose newest release differs from constraints.txt.
#
# Run it before moving constraints.txt forward (scripts/lock.sh): it tells whether a release
# made since the last lock breaks anything, before a user meets it. Arguments go to pytest,
# e.g. `bash scripts/test_newest.sh tests/language -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=$(mktemp -d)/venv
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade -e '.[test,batch]'

echo "newest releases that differ from constraints.txt (package: locked -> newest):"
"$venv/bin/python" - <<'PY'
import re
from importlib.metadata import distributions

def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()

locked = {}
for line in open("constraints.txt", encoding="utf-8"):
    m = re.match(r"([A-Za-z0-9_.-]+)==([^\s;#]+)", line)
    if m:
        locked[norm(m[1])] = m[2]
moved = 0
for dist in sorted(distributions(), key=lambda d: norm(d.metadata["Name"])):
    name, version = norm(dist.metadata["Name"]), dist.version
    if name in locked and locked[name] != version.split("+")[0]:
        print(f"  {name}: {locked[name]} -> {version}")
        moved += 1
print(f"  ({moved} moved)" if moved else "  (none: constraints.txt is current)")
PY

"$venv/bin/ruff" check src tests scripts conftest.py
"$venv/bin/ruff" format --check src tests scripts conftest.py
"$venv/bin/python" -m pytest -n auto -p no:cacheprovider "$@"
