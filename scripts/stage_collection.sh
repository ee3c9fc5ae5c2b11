#!/usr/bin/env bash
# Usage: scripts/stage_collection.sh DIR
# Lays out DIR/ansible_collections/cross_account/aws (this collection) and DIR/ansible_collections/amazon/aws
# (from the tools venv's ansible package), as ansible-test and antsibull-docs expect. Used by scripts/sanity.sh
# and scripts/docs.sh.
#  - Copies the files git knows about: tracked ones plus new files that are not ignored, so a module added a
#    minute ago is checked too, and venvs, emulator state and build output never are.
#  - DIR must be outside this git work tree: inside it, ansible-test and antsibull-docs would ask git for the
#    files, and git ignores build directories (and the venv that holds amazon.aws, hence a copy, not a link).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR=${1:?usage: $0 DIR}
PY=${LINT_VENV:-.venv-lint}/bin/python
TREE=$DIR/ansible_collections
DEST=$TREE/cross_account/aws
rm -rf "$TREE/cross_account" "$TREE/amazon"
mkdir -p "$DEST" "$TREE/amazon"
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | xargs -0 cp --parents -t "$DEST" --
AMAZON=$("$PY" -c 'import ansible_collections.amazon.aws as m; print(list(m.__path__)[0])')
cp -R "$AMAZON" "$TREE/amazon/aws"
find "$TREE/amazon/aws" -name __pycache__ -type d -prune -exec rm -rf {} +
