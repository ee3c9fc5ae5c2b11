#!/usr/bin/env bash
# Usage: scripts/docs.sh lint|build      (called by `make docs-lint` / `make docs`)
#   lint   antsibull-docs lint-collection-docs --plugin-docs: every module's and role's documentation parses,
#          matches its schema, and its markup and references (to this collection, amazon.aws, ansible.builtin)
#          resolve; plus the collection's docs/docsite files, if any.
#   build  RST for every module and role, with the collection index, into .build/docs/rst (antsibull-docs
#          collection); not committed.
# Both work on a staged copy (scripts/stage_collection.sh) with only that copy on the collections path.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${LINT_VENV:-.venv-lint}
BIN=$ROOT/$VENV/bin
[ -x "$BIN/antsibull-docs" ] || { echo "docs: $BIN/antsibull-docs not found; run 'make lint-venv'" >&2; exit 1; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cross_account_aws_docs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
scripts/stage_collection.sh "$WORK"

export PATH=$BIN:$PATH ANSIBLE_COLLECTIONS_PATH=$WORK ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
unset ANSIBLE_CONFIG
cd "$WORK"
case "${1:-lint}" in
  lint)
    antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs dependent \
        --disallow-unknown-collection-refs ansible_collections/cross_account/aws
    ;;
  build)
    OUT=$ROOT/.build/docs/rst
    rm -rf "$OUT"; mkdir -p "$OUT"
    antsibull-docs collection --use-current --fail-on-error --dest-dir "$OUT" cross_account.aws
    echo "docs: $(find "$OUT" -name '*.rst' | wc -l) RST files in ${OUT#"$ROOT"/}"
    ;;
  *) echo "usage: $0 lint|build" >&2; exit 2 ;;
esac
