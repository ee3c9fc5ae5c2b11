"""One account at a time, as a sliced AWX job or `--limit` runs it: every playbook works on any single host.

Everything a play needs about another account comes from the inventory, never from facts another play
registered in the same run, so deploy, verify and cleanup each succeed for prod-main alone and dev-main alone.
(tests/integration/test_controller.py runs the same through ansible-runner with injected credentials.)
"""

import pytest
from helpers import run_playbook

DELETE_ALL = {"prod_account_cleanup_delete_data": True, "prod_account_cleanup_delete_audit_logs": True}


@pytest.mark.usefixtures("emulator_url")
def test_every_playbook_runs_for_one_account_at_a_time():
    steps = [
        ("playbooks/deploy.yml", "prod-main", None),
        ("playbooks/deploy.yml", "dev-main", None),
        ("playbooks/verify.yml", "prod-main", None),
        ("playbooks/verify.yml", "dev-main", None),
        ("playbooks/cleanup.yml", "dev-main", None),
        ("playbooks/cleanup.yml", "prod-main", DELETE_ALL),
    ]
    done = []
    try:
        for playbook, host, extra in steps:
            rc, out, recap = run_playbook(playbook, extra_vars=extra, limit=host)
            done.append((playbook, host))
            assert rc == 0, f"{playbook} --limit {host}\n{out}"
            assert set(recap) == {host}, f"{playbook} --limit {host} ran on {sorted(recap)}"
            assert recap[host]["failed"] == 0 and recap[host]["unreachable"] == 0, out
            if playbook.endswith("verify.yml") and host == "dev-main":
                # without the Production play in this run, the key is checked by account and region
                assert "Read back the same" in out, out
    finally:
        if ("playbooks/cleanup.yml", "prod-main") not in done:  # leave the shared emulator clean
            run_playbook("playbooks/cleanup.yml", extra_vars=DELETE_ALL)
