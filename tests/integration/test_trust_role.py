"""cross_account.aws.trust_role against the local emulator: create, converge, check mode, diff, update, absent."""

import json
import uuid

import pytest

MODULE = "cross_account.aws.trust_role"
READ_PREFIXES = ("Get", "List")
SSO = "arn:aws:iam::{dev}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*"


def _ok(result):
    assert not result["failed"], result.get("msg") or result["_stderr"]
    return result


def _writes(result):
    return [c for c in result["api_calls"] if not c.split(":", 1)[1].startswith(READ_PREFIXES)]


@pytest.fixture
def iam(aws_client, prod_account_id):
    return aws_client("iam", prod_account_id)


def _args(name, dev, prod, **extra):
    args = {
        "name": name,
        "trusted_account_ids": [dev],
        "trusted_principal_arns": [SSO.format(dev=dev)],
        "external_id": "ext-id-for-tests-1",
        "bucket": f"data-{name.lower()}",
        "kms_key_arn": f"arn:aws:kms:us-east-1:{prod}:key/11111111-2222-3333-4444-555555555555",
        "tags": {"owner": "platform"},
    }
    args.update(extra)
    return args


def _role_exists(iam, name):
    try:
        iam.get_role(RoleName=name)
        return True
    except iam.exceptions.NoSuchEntityException:
        return False


def test_create_converge_update_and_remove(run_module, iam, dev_account_id, prod_account_id):
    name = f"TrustRole{uuid.uuid4().hex[:8]}"
    args = _args(name, dev_account_id, prod_account_id)

    predicted = _ok(run_module(MODULE, args, prod_account_id, check=True, diff=True))
    assert predicted["changed"] and predicted["changes"] == ["create"]
    assert not _writes(predicted) and not _role_exists(iam, name), "check mode must write nothing"
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["max_session_duration"] == 3600

    created = _ok(run_module(MODULE, args, prod_account_id))
    assert created["changed"] and created["role"]["arn"] == f"arn:aws:iam::{prod_account_id}:role/{name}"
    role = iam.get_role(RoleName=name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{dev_account_id}:root"]} or statement["Principal"] == {
        "AWS": f"arn:aws:iam::{dev_account_id}:root"
    }
    assert statement["Condition"]["StringEquals"]["sts:ExternalId"] == "ext-id-for-tests-1"
    inline = iam.get_role_policy(RoleName=name, PolicyName="cross-account-data-access")["PolicyDocument"]
    assert {s["Sid"] for s in inline["Statement"]} == {"ListDataBucket", "ReadWriteDataObjects", "UseDataKeyViaS3"}
    assert role["MaxSessionDuration"] == 3600
    # The external id is not printed: the module's result shows a fingerprint.
    assert "ext-id-for-tests-1" not in json.dumps({k: v for k, v in created.items() if not k.startswith("_")})

    again = _ok(run_module(MODULE, args, prod_account_id))
    assert again["changed"] is False and again["changes"] == []
    assert again["api_calls"] == ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy"]

    update = dict(args, max_session_duration=7200, actions=["s3:ListBucket", "s3:GetObject"], tags={"owner": "data"})
    shown = _ok(run_module(MODULE, update, prod_account_id, check=True, diff=True))
    assert shown["changed"] and shown["changes"] == ["permissions_policy", "settings", "tags"]
    assert not _writes(shown) and iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 3600
    assert shown["diff"]["before"]["settings"]["max_session_duration"] == 3600
    assert shown["diff"]["after"]["settings"]["max_session_duration"] == 7200
    assert shown["diff"]["before"]["tags"] == {"owner": "platform"} and shown["diff"]["after"]["tags"] == {"owner": "data"}

    updated = _ok(run_module(MODULE, update, prod_account_id))
    assert updated["changes"] == ["permissions_policy", "settings", "tags"]
    assert iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"] == 7200
    inline = iam.get_role_policy(RoleName=name, PolicyName="cross-account-data-access")["PolicyDocument"]
    objects = [s for s in inline["Statement"] if s["Sid"] == "ReadWriteDataObjects"][0]
    assert objects["Action"] in ("s3:GetObject", ["s3:GetObject"])
    assert _ok(run_module(MODULE, update, prod_account_id))["changed"] is False

    removed = _ok(run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id))
    assert removed["changed"] and removed["changes"] == ["delete"]
    assert not _role_exists(iam, name)
    gone = _ok(run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id))
    assert gone["changed"] is False and gone["api_calls"] == ["iam:GetRole"]


def test_stale_inline_policies_are_removed(run_module, iam, dev_account_id, prod_account_id):
    """The role's inline policies are the module's: a renamed policy, one added by hand, and the permissions policy
    once no bucket is wanted would otherwise stay and widen the least-privilege grant."""
    name = f"TrustRole{uuid.uuid4().hex[:8]}"
    args = _args(name, dev_account_id, prod_account_id)
    _ok(run_module(MODULE, args, prod_account_id))
    iam.put_role_policy(RoleName=name, PolicyName="added-by-hand", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))

    kept = _ok(run_module(MODULE, dict(args, purge_inline_policies=False), prod_account_id))
    assert kept["changed"] is False
    renamed = dict(args, inline_policy_name="data-access-v2")
    shown = _ok(run_module(MODULE, renamed, prod_account_id, check=True, diff=True))
    assert shown["changes"] == ["permissions_policy", "inline_policies"] and not _writes(shown)
    assert shown["diff"]["before"]["inline_policies"] == ["added-by-hand", "cross-account-data-access"]
    assert shown["diff"]["after"]["inline_policies"] == []  # data-access-v2 is the permissions_policy write
    assert _ok(run_module(MODULE, renamed, prod_account_id))["changes"] == shown["changes"]
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["data-access-v2"]
    assert _ok(run_module(MODULE, renamed, prod_account_id))["changed"] is False

    no_bucket = {k: v for k, v in renamed.items() if k not in ("bucket", "kms_key_arn")}
    predicted = _ok(run_module(MODULE, no_bucket, prod_account_id, check=True))
    removed = _ok(run_module(MODULE, no_bucket, prod_account_id))
    assert predicted["changes"] == removed["changes"] == ["inline_policies"]
    assert removed["permissions_policy"] is None and iam.list_role_policies(RoleName=name)["PolicyNames"] == []
    assert _ok(run_module(MODULE, no_bucket, prod_account_id))["changed"] is False
    _ok(run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id))


def test_out_of_band_trust_edit_is_repaired(run_module, iam, dev_account_id, prod_account_id):
    name = f"TrustRole{uuid.uuid4().hex[:8]}"
    args = _args(name, dev_account_id, prod_account_id)
    _ok(run_module(MODULE, args, prod_account_id))
    widened = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(widened))

    shown = _ok(run_module(MODULE, args, prod_account_id, check=True, diff=True))
    assert shown["changes"] == ["trust_policy"]
    assert shown["diff"]["before"]["trust_policy"]["Statement"][0]["Principal"] == {"AWS": ["*"]}  # shown as found
    repaired = _ok(run_module(MODULE, args, prod_account_id))
    assert "iam:UpdateAssumeRolePolicy" in repaired["api_calls"]
    principal = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["AWS"]
    assert principal in (f"arn:aws:iam::{dev_account_id}:root", [f"arn:aws:iam::{dev_account_id}:root"])
    assert _ok(run_module(MODULE, args, prod_account_id))["changed"] is False
    _ok(run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id))


@pytest.mark.parametrize(
    "override,option,rule",
    [
        ({"trusted_account_ids": ["12345"]}, "trusted_account_ids[0]", "12-digit"),
        ({"external_id": "has spaces!"}, "external_id", "2-1224 characters"),
        ({"max_session_duration": 50000}, "max_session_duration", "between 3600 and 43200"),
        ({"requested_regions": ["mars-1"]}, "requested_regions[0]", "region name"),
        ({"trusted_principal_arns": ["arn:aws:iam::999999999999:role/x"]}, "trusted_principal_arns[0]", "trusted_account_ids"),
        ({"require_mfa": True}, "require_mfa", "Identity Center"),
        ({"actions": ["s3:*"]}, "actions[0]", "no wildcards"),
        ({"actions": ["s3:PutObjectAcl"]}, "actions[0]", "ACL"),
        ({"organization_id": "org-1"}, "organization_id", "Organizations id"),
    ],
)
def test_invalid_options_fail_before_any_call(run_module, iam, dev_account_id, prod_account_id, override, option, rule):
    name = f"TrustRole{uuid.uuid4().hex[:8]}"
    args = dict(_args(name, dev_account_id, prod_account_id), **override)
    result = run_module(MODULE, args, prod_account_id)
    assert result["failed"]
    assert f"{option}:" in result["msg"] and rule in result["msg"], result["msg"]
    assert "has spaces!" not in result["msg"]  # the external id is not echoed
    assert not result.get("api_calls") and not _role_exists(iam, name)


def test_absent_removes_inline_attached_policies_and_instance_profiles(run_module, iam, dev_account_id, prod_account_id):
    name = f"TrustRole{uuid.uuid4().hex[:8]}"
    _ok(run_module(MODULE, _args(name, dev_account_id, prod_account_id), prod_account_id))
    iam.put_role_policy(RoleName=name, PolicyName="extra", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    managed = iam.create_policy(PolicyName=f"{name}-managed", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    iam.create_instance_profile(InstanceProfileName=f"{name}-profile")
    iam.add_role_to_instance_profile(InstanceProfileName=f"{name}-profile", RoleName=name)

    removed = _ok(run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id))
    assert removed["changed"]
    for call in ("iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteRole"):
        assert call in removed["api_calls"]
    assert not _role_exists(iam, name)
    # Only the role went: the managed policy and the instance profile are someone else's.
    assert iam.get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"] == 0
    assert iam.get_instance_profile(InstanceProfileName=f"{name}-profile")["InstanceProfile"]["Roles"] == []
