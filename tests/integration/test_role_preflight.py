"""The roles check every variable before their first AWS call (roles/*/tasks/preflight.yml): a bad value stops the
play before anything is created, changed or deleted, and the message names the variable the user set."""

import pytest
from helpers import run_playbook

# The first task of each role that calls AWS; none of them may start when a variable is bad.
FIRST_AWS_TASK = {
    "deploy": "TASK [cross_account.aws.prod_account : Audit log key",
    "cleanup": "TASK [cross_account.aws.prod_account : Stop and delete the trail",
}


@pytest.mark.parametrize("playbook,extra_vars,expected", [
    ("deploy", {"cross_account_session_duration": 99999}, "prod_account_max_session_duration: 99999 must be between 3600 and 43200"),
    ("deploy", {"cross_account_external_id": "bad id!"}, "prod_account_external_id: must be 2-1224 characters"),
    ("deploy", {"prod_account_requested_regions": ["mars-1"]}, "prod_account_requested_regions[0]: 'mars-1' must be an AWS region"),
    ("deploy", {"prod_account_actions": ["s3:*"]}, "prod_account_actions[0]: 's3:*' must be a single S3 action"),
    ("deploy", {"prod_account_exempt_principal_arns": ["notanarn"]}, "prod_account_exempt_principal_arns[0]: 'notanarn' must be an ARN"),
    ("deploy", {"prod_account_verify_expiration_days": 0}, "prod_account_verify_expiration_days: 0 must be at least 1"),
    ("deploy", {"cross_account_trust_mode": "foo"}, "'foo' must be one of identity_center, iam_principals"),
    ("deploy", {"cross_account_trust_mode": "iam_principals"}, "No Development principal would be trusted by name"),
    ("cleanup", {"prod_account_key_pending_window_days": 3, "prod_account_cleanup_delete_data": True},
     "prod_account_key_pending_window_days: 3 must be between 7 and 30"),
])
def test_a_bad_variable_stops_the_play_before_any_aws_call(emulator_url, playbook, extra_vars, expected):
    rc, out, recap = run_playbook(f"playbooks/{playbook}.yml", extra_vars=extra_vars, limit="prod-main")
    assert rc != 0 and recap["prod-main"]["failed"] == 1, out[-3000:]
    assert expected in out, out[-3000:]
    assert FIRST_AWS_TASK[playbook] not in out, "a task calling AWS ran before the variables were checked"
    assert recap["prod-main"]["changed"] == 0
    assert "bad id!" not in out  # the external id is not repeated


def test_an_unknown_production_target_is_named(emulator_url):
    rc, out, _recap = run_playbook("playbooks/deploy.yml", extra_vars={"prod_targets": ["prod-mian"]}, limit="dev-main", check=True)
    assert rc != 0 and "prod_targets: prod-mian is not a host of the prod group" in out, out[-3000:]
