#!/usr/bin/env bash
# Usage: scripts/with_moto.sh COMMAND [ARGS...]
# Starts a moto server (sso-admin, identitystore) on 127.0.0.1:$MOTO_PORT, runs COMMAND with
# AWS_MOTO_URL set, and always stops the server afterwards. Exits with COMMAND's exit code.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
export MOTO_PORT=${MOTO_PORT:-4645}

"$PYTHON" scripts/moto_server.py start || exit $?
trap '"$PYTHON" scripts/moto_server.py stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

AWS_MOTO_URL="http://127.0.0.1:$MOTO_PORT" "$@"
