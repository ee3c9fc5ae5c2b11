#!/usr/bin/env bash
# The demo flow against the local AWS emulator (called by `make demo`):
#   deploy -> deploy again (every host must report changed=0) -> verify -> cleanup
# The emulator is always stopped afterwards, also when a step fails; the exit code is the failing step's.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3}
export EMULATOR_PORT=${EMULATOR_PORT:-4566}
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
PLAYBOOK=.venv/bin/ansible-playbook
LOG_DIR=.emulator
[ -x "$PLAYBOOK" ] || { echo "demo: $PLAYBOOK not found; run 'make venv'" >&2; exit 1; }

"$PYTHON" scripts/emulator.py start || exit $?
trap '"$PYTHON" scripts/emulator.py stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() {  # step NAME COMMAND...
    local name=$1 rc
    shift
    echo
    echo "=== demo: $name"
    "$@"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "=== demo: FAILED at '$name' (exit $rc)" >&2
        exit "$rc"
    fi
}

# Runs the deploy a second time and fails unless every host in the PLAY RECAP reports changed=0.
idempotence_check() {
    local out="$LOG_DIR/demo-deploy-2.log" rc offenders
    "$PLAYBOOK" playbooks/deploy.yml -i inventory/ 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || return "$rc"
    offenders=$(sed -e 's/\x1b\[[0-9;]*m//g' "$out" | awk '
        /^PLAY RECAP/ { recap = 1; next }
        recap && / changed=/ {
            for (i = 1; i <= NF; i++) if ($i ~ /^changed=/) { split($i, kv, "="); if (kv[2] != "0") print "  " $1 " changed=" kv[2] }
            seen++
        }
        END { if (!seen) print "  (no PLAY RECAP found)" }')
    if [ -n "$offenders" ]; then
        echo "demo: second deploy is not idempotent; hosts that reported changes:" >&2
        echo "$offenders" >&2
        return 1
    fi
    echo "demo: second deploy reported changed=0 on every host"
}

step "deploy"                      "$PLAYBOOK" playbooks/deploy.yml -i inventory/
step "deploy again (idempotence)"  idempotence_check
step "verify"                      "$PLAYBOOK" playbooks/verify.yml -i inventory/
step "cleanup"                     "$PLAYBOOK" playbooks/cleanup.yml -i inventory/
echo
echo "=== demo: all steps passed"
