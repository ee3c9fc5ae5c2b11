#!/usr/bin/env bash
# Usage: scripts/with_server.sh emulator|moto COMMAND [ARGS...]
# Starts a local server on 127.0.0.1, runs COMMAND, and always stops the server afterwards - also when COMMAND
# fails or the run is interrupted. Exits with COMMAND's exit code (64 for a bad usage).
#   emulator  the AWS emulator (scripts/emulator.py, started and seeded) on $EMULATOR_PORT (default 4566)
#   moto      a moto server (sso-admin, identitystore; scripts/moto_server.py) on $MOTO_PORT (default 4645);
#             COMMAND runs with AWS_MOTO_URL set to it
# The wrappers nest: scripts/with_server.sh emulator scripts/with_server.sh moto COMMAND...
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}

case ${1:-} in
    emulator)
        export EMULATOR_PORT=${EMULATOR_PORT:-4566}
        SCRIPT=scripts/emulator.py
        URL_EXPORT=
        ;;
    moto)
        export MOTO_PORT=${MOTO_PORT:-4645}
        SCRIPT=scripts/moto_server.py
        URL_EXPORT=AWS_MOTO_URL=http://127.0.0.1:$MOTO_PORT
        ;;
    *)
        echo "usage: $0 emulator|moto COMMAND [ARGS...]" >&2
        exit 64
        ;;
esac
shift

# `start` cleans up after itself when it fails, and refuses (without touching it) a port already in use,
# so the stop trap is only armed once our server is up.
"$PYTHON" "$SCRIPT" start || exit $?
trap '"$PYTHON" "$SCRIPT" stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -z "$URL_EXPORT" ] || export "$URL_EXPORT"
"$@"
