"""Smoke tests of the local AWS emulator and of the test helpers themselves."""

import json
import uuid

import helpers

ROLE_NAME = "AWSReservedSSO_DataDeveloper_0123456789abcdef"
ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"
POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}
TRUST_ROOT = (
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
    '"Principal": {"AWS": "arn:aws:iam::%s:root"}, "Action": "sts:AssumeRole"}]}'
)


def _bucket_names(client):
    return {b["Name"] for b in client.list_buckets().get("Buckets", [])}


def test_accounts_are_isolated(aws_client, prod_account_id, dev_account_id):
    """ministack picks the account from a 12-digit access key id and keeps accounts apart."""
    name = f"smoke-{uuid.uuid4().hex[:12]}"
    prod_s3 = aws_client("s3", prod_account_id)
    dev_s3 = aws_client("s3", dev_account_id)
    assert aws_client("sts", prod_account_id).get_caller_identity()["Account"] == prod_account_id
    assert aws_client("sts", dev_account_id).get_caller_identity()["Account"] == dev_account_id

    prod_s3.create_bucket(Bucket=name)
    try:
        assert name in _bucket_names(prod_s3)
        assert name not in _bucket_names(dev_s3)
        # like AWS, the bucket namespace is global and another account's bucket is not writable
        # (even with AUTH=false, ministack refuses cross-account access without a policy)
        try:
            dev_s3.put_object(Bucket=name, Key="x", Body=b"x")
        except dev_s3.exceptions.ClientError as exc:
            assert exc.response["Error"]["Code"] in ("AccessDenied", "403")
        else:
            raise AssertionError("the Development account could write into a Production bucket")
    finally:
        prod_s3.delete_bucket(Bucket=name)


def test_seeded_permission_set_stand_in_role(aws_client, dev_account_id, prod_account_id):
    role = aws_client("iam", dev_account_id).get_role(RoleName=ROLE_NAME)["Role"]
    assert role["Path"] == ROLE_PATH
    assert role["Arn"] == f"arn:aws:iam::{dev_account_id}:role{ROLE_PATH}{ROLE_NAME}"
    # it exists in the Development account only
    prod_roles = aws_client("iam", prod_account_id).list_roles(PathPrefix=ROLE_PATH)["Roles"]
    assert ROLE_NAME not in {r["RoleName"] for r in prod_roles}
    # and the Development account can assume it (as Identity Center would hand out its credentials)
    creds = aws_client("sts", dev_account_id).assume_role(RoleArn=role["Arn"], RoleSessionName="smoke")["Credentials"]
    assert creds["AccessKeyId"]


def test_run_module_goes_through_ansible(run_module, aws_client, prod_account_id, dev_account_id):
    """run_module runs real amazon.aws modules in the right account; check mode writes nothing; diff comes back."""
    name = f"smoke-mod-{uuid.uuid4().hex[:10]}"
    prod_s3 = aws_client("s3", prod_account_id)

    created = run_module("amazon.aws.s3_bucket", {"name": name, "state": "present"}, prod_account_id)
    assert created["failed"] is False and created["changed"] is True, created
    assert name in _bucket_names(prod_s3)
    assert name not in _bucket_names(aws_client("s3", dev_account_id))
    assert run_module("amazon.aws.s3_bucket", {"name": name, "state": "present"}, prod_account_id)["changed"] is False
    assert run_module("amazon.aws.s3_bucket", {"name": name, "state": "absent"}, prod_account_id)["changed"] is True
    assert name not in _bucket_names(prod_s3)

    # check mode and diff, with a module that supports both (s3_bucket has no check mode)
    iam = aws_client("iam", prod_account_id)
    role = f"smoke-role-{uuid.uuid4().hex[:8]}"
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST_ROOT % prod_account_id)
    try:
        args = {"iam_type": "role", "iam_name": role, "policy_name": "smoke", "policy_json": json.dumps(POLICY)}
        predicted = run_module("amazon.aws.iam_policy", args, prod_account_id, check=True, diff=True)
        assert predicted["failed"] is False and predicted["changed"] is True, predicted
        assert predicted["diff"]["before"] == {} and predicted["diff"]["after"]["smoke"] == POLICY
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == [], "check mode must not write"
        applied = run_module("amazon.aws.iam_policy", args, prod_account_id, diff=True)
        assert applied["changed"] is True
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["smoke"]
        assert run_module("amazon.aws.iam_policy", args, prod_account_id)["changed"] is False
        results = (created, predicted, applied)
    finally:
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.delete_role_policy(RoleName=role, PolicyName=policy)
        iam.delete_role(RoleName=role)
    # the injected secret never shows up in what Ansible reports
    for result in results:
        assert helpers.EMULATOR_SECRET not in json.dumps({k: v for k, v in result.items() if k != "_stderr"})


def test_run_module_reports_failures(run_module, dev_account_id):
    result = run_module("amazon.aws.s3_bucket", {"name": "Not_A_Valid_Bucket!", "state": "present"}, dev_account_id)
    assert result["failed"] is True
    assert result["_rc"] != 0


def test_run_playbook_parses_recap(run_playbook, emulator_url):
    rc, out, recap = run_playbook("tests/integration/playbooks/smoke.yml")
    assert rc == 0, out
    assert set(recap) == {"dev-main", "prod-main"}
    assert recap["prod-main"]["changed"] == 1 and recap["dev-main"]["changed"] == 0
    assert recap["prod-main"]["ok"] == 2 and recap["dev-main"]["ok"] == 1 and recap["dev-main"]["skipped"] == 1
    assert all(counts["failed"] == 0 for counts in recap.values()), recap
    # the inventory endpoint follows the emulator that the tests use
    assert f"via {emulator_url}" in out

    rc, out, recap = run_playbook("tests/integration/playbooks/smoke.yml", limit="dev-main", check=True)
    assert rc == 0, out
    assert set(recap) == {"dev-main"}
