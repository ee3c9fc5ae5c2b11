#!/usr/bin/env bash
# Usage: scripts/with_emulator.sh COMMAND [ARGS...]
# Starts (and seeds) the local AWS emulator on 127.0.0.1:$EMULATOR_PORT, runs COMMAND, and always stops the
# emulator afterwards - also when COMMAND fails or the run is interrupted. Exits with COMMAND's exit code.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
export EMULATOR_PORT=${EMULATOR_PORT:-4566}

# `start` cleans up after itself when it fails, and refuses (without touching it) a port already in use,
# so the stop trap is only armed once our emulator is up.
"$PYTHON" scripts/emulator.py start || exit $?
trap '"$PYTHON" scripts/emulator.py stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$@"
