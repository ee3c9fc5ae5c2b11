#!/usr/bin/env bash
# Usage: scripts/sanity.sh [ansible-test sanity options...]   (called by `make sanity` / `make lint`)
#
# Runs `ansible-test sanity --venv` on this collection, offline except for the package index:
#  - ansible-test needs the collection at .../ansible_collections/cross_account/aws, with amazon.aws beside it
#    for the module_utils imports: scripts/stage_collection.sh lays that out in a temporary directory;
#  - `--venv` bootstraps pip in each test venv with a get-pip script downloaded from a CI file server this
#    machine cannot reach: scripts/get_pip_standin.py (ensurepip + pip install) is put where ansible-test caches
#    that download. The test venvs themselves are cached by ansible-test under ~/.ansible/test/venv.
# Ignore entries (each with its reason) are in tests/sanity/ignore-<ansible-core version>.txt.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${LINT_VENV:-.venv-lint}
PY=$ROOT/$VENV/bin/python
ANSIBLE_TEST=$ROOT/$VENV/bin/ansible-test
[ -x "$ANSIBLE_TEST" ] || { echo "sanity: $ANSIBLE_TEST not found; run 'make lint-venv'" >&2; exit 1; }

# The pip version ansible-test bootstraps, and the stand-in at its cache path.
PIP_VERSION=$("$PY" - <<'PYEOF'
import inspect, re
import ansible_test._internal.python_requirements as m
print(re.search(r"pip='([^']+)'", inspect.getsource(m.get_venv_packages)).group(1))
PYEOF
)
CACHE=${HOME}/.ansible/test/cache
mkdir -p "$CACHE"
cp scripts/get_pip_standin.py "$CACHE/get_pip_${PIP_VERSION//./_}.py"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cross_account_aws_sanity.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
scripts/stage_collection.sh "$WORK"

PYVER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
cd "$WORK/ansible_collections/cross_account/aws"
PATH=$ROOT/$VENV/bin:$PATH "$ANSIBLE_TEST" sanity --venv --python "$PYVER" --color no "$@"
