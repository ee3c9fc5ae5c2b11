"""cross_account.aws.access_report against the deployed Production side on the emulator (no policy enforcement).

The environment is deployed by the real role (tests/integration/playbooks/deploy_only.yml, limited to prod-main)
under names of its own, so the end-to-end test's resources are untouched; cleanup removes it at the end.
"""

import json

import pytest
from helpers import run_module, run_playbook

DEV, PROD = "111111111111", "222222222222"
NAMES = {
    "cross_account_role_name": "ReportDataAccess",
    "cross_account_data_bucket": f"xacct-report-data-{PROD}",
    "cross_account_data_key_alias": "alias/xacct-report-data",
    "cross_account_trail_name": "xacct-report-audit",
    "prod_account_log_bucket": f"xacct-report-logs-{PROD}",
    "prod_account_log_key_alias": "alias/xacct-report-logs",
}
DEVELOPER = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataDeveloper_0123456789abcdef"
ARGS = {
    "role_name": NAMES["cross_account_role_name"],
    "bucket": NAMES["cross_account_data_bucket"],
    "kms_key": NAMES["cross_account_data_key_alias"],
    "developer_principal_arn": DEVELOPER,
    "external_id": "xacct-data-access-4f7d2c19",
    "trail_name": NAMES["cross_account_trail_name"],
}
READ_ONLY = ("Get", "List", "Describe", "ValidatePolicy", "CheckAccessNotGranted")


@pytest.fixture(scope="module")
def deployed(emulator_url):
    rc, out, _recap = run_playbook("tests/integration/playbooks/deploy_only.yml", extra_vars=NAMES, limit="prod-main")
    assert rc == 0, out
    yield
    run_playbook("playbooks/cleanup.yml", limit="prod-main", extra_vars=dict(
        NAMES, prod_account_cleanup_delete_data=True, prod_account_cleanup_delete_audit_logs=True))


def test_report_on_the_deployed_environment(deployed):
    result = run_module("cross_account.aws.access_report", ARGS, PROD)
    assert not result["failed"], result
    assert result["changed"] is False
    assert result["contradictions"] == []
    matrix = result["matrix"]
    assert {a: v for a, v in matrix["developer"].items() if v == "allowed"} == {
        "assume_role": "allowed", "list": "allowed", "get": "allowed", "put": "allowed"}
    for row in ("administrator", "production_root", "anonymous", "other_developer", "outside_organization",
                "developer_without_external_id"):
        for action in ("list", "get", "put", "delete"):
            assert matrix[row][action] == "denied", (row, action)
    admin_get = next(a for a in result["answers"] if (a["principal"], a["action"]) == ("administrator", "get"))
    assert {"policy": "bucket policy", "sid": "CrossAccountDenyOtherPrincipals", "effect": "Deny"} in admin_get["deciding"]
    # Read-only, and the emulator has no Access Analyzer: it says so and carries on.
    assert all(call.split(":")[1].startswith(READ_ONLY) for call in result["api_calls"]), result["api_calls"]
    assert result["access_analyzer"]["available"] is False
    assert any("Access Analyzer is not available" in w and "ValidatePolicy" in w for w in result.get("warnings", [])), result.get("warnings")
    assert "xacct-data-access-4f7d2c19" not in json.dumps(result["policies"])  # external id shown as a fingerprint


def test_check_mode_gives_the_same_answers(deployed):
    normal = run_module("cross_account.aws.access_report", dict(ARGS, access_analyzer="never"), PROD)
    checked = run_module("cross_account.aws.access_report", dict(ARGS, access_analyzer="never"), PROD, check=True)
    assert checked["changed"] is False and checked["answers"] == normal["answers"]
    assert not any(c.startswith("accessanalyzer:") for c in checked["api_calls"])


def test_allow_only_bucket_policy_is_a_contradiction_and_a_finding(deployed, aws_client):
    s3 = aws_client("s3", PROD)
    bucket = NAMES["cross_account_data_bucket"]
    original = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    allow_only = json.loads(original)
    allow_only["Statement"] = [s for s in allow_only["Statement"] if s["Effect"] == "Allow"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(allow_only))
    try:
        result = run_module("cross_account.aws.access_report", dict(ARGS, access_analyzer="never"), PROD)
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=original)
    found = {f["id"] for f in result["findings"]}
    assert {"bucket-policy-allow-only", "no-tls-only-deny"} <= found
    summaries = " ".join(c["summary"] for c in result["contradictions"])
    assert "Production administrator: get is allowed" in summaries
    assert "over plain HTTP: get is allowed" in summaries


def test_invalid_options_fail_before_any_api_call(emulator_url):
    result = run_module("cross_account.aws.access_report", dict(ARGS, developer_principal_arn="not-an-arn", external_id="a b"), PROD)
    assert result["failed"]
    assert "developer_principal_arn" in result["msg"] and "external_id" in result["msg"]
    assert "a b" not in result["msg"]
    assert not result.get("api_calls")
