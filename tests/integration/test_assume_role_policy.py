"""cross_account.aws.assume_role_policy (Development account, without Identity Center) against the local emulator."""

import json
import re
import uuid

import pytest

MODULE = "cross_account.aws.assume_role_policy"
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|Describe|List|Head)[A-Za-z]*$")
DEAD_ENDPOINT = "http://127.0.0.1:9"
CONVERGED_CALLS = ["sts:GetCallerIdentity", "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListEntitiesForPolicy"]
TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


def _only_reads(result):
    writes = [c for c in result["api_calls"] if not READ_ONLY.match(c)]
    assert not writes, f"a converged run made write calls: {writes}"


@pytest.fixture
def dev(aws_client, dev_account_id):
    """Principals in the Development account to attach the policy to; unique names per test."""
    iam = aws_client("iam", dev_account_id)
    suffix = uuid.uuid4().hex[:8]
    ctx = {
        "iam": iam,
        "name": f"AssumeProd-{suffix}",
        "role": f"dev-role-{suffix}",
        "group": f"dev-group-{suffix}",
        "user": f"dev-user-{suffix}",
        "other_user": f"dev-other-{suffix}",
    }
    iam.create_role(RoleName=ctx["role"], AssumeRolePolicyDocument=TRUST)
    iam.create_group(GroupName=ctx["group"])
    iam.create_user(UserName=ctx["user"])
    iam.create_user(UserName=ctx["other_user"])
    ctx["arn"] = f"arn:aws:iam::{dev_account_id}:policy/{ctx['name']}"
    yield ctx
    for detach, kwargs in (
        (iam.detach_role_policy, {"RoleName": ctx["role"]}),
        (iam.detach_group_policy, {"GroupName": ctx["group"]}),
        (iam.detach_user_policy, {"UserName": ctx["user"]}),
        (iam.detach_user_policy, {"UserName": ctx["other_user"]}),
    ):
        try:
            detach(PolicyArn=ctx["arn"], **kwargs)
        except iam.exceptions.ClientError:
            pass
    try:
        for version in iam.list_policy_versions(PolicyArn=ctx["arn"])["Versions"]:
            if not version["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=ctx["arn"], VersionId=version["VersionId"])
        iam.delete_policy(PolicyArn=ctx["arn"])
    except iam.exceptions.ClientError:
        pass
    iam.delete_role(RoleName=ctx["role"])
    iam.delete_group(GroupName=ctx["group"])
    iam.delete_user(UserName=ctx["user"])
    iam.delete_user(UserName=ctx["other_user"])


def _exists(iam, arn):
    try:
        return iam.get_policy(PolicyArn=arn)["Policy"]
    except iam.exceptions.NoSuchEntityException:
        return None


def _document(iam, arn):
    found = iam.get_policy(PolicyArn=arn)["Policy"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=found["DefaultVersionId"])["PolicyVersion"]["Document"]
    return json.loads(document) if isinstance(document, str) else document


def _entities(iam, arn):
    page = iam.list_entities_for_policy(PolicyArn=arn)
    return {
        "roles": sorted(e["RoleName"] for e in page["PolicyRoles"]),
        "groups": sorted(e["GroupName"] for e in page["PolicyGroups"]),
        "users": sorted(e["UserName"] for e in page["PolicyUsers"]),
    }


def test_lifecycle(run_module, dev_account_id, prod_account_id, dev):
    iam, arn = dev["iam"], dev["arn"]
    prod_role = f"arn:aws:iam::{prod_account_id}:role/DevToProdDataAccess"
    args = {
        "name": dev["name"],
        "role_arns": [prod_role],
        "attach_to_roles": [dev["role"]],
        "attach_to_groups": [dev["group"]],
        "tags": {"owner": "platform"},
    }

    predicted = run_module(MODULE, args, dev_account_id, check=True, diff=True)
    assert predicted["failed"] is False and predicted["changed"] is True, predicted
    assert predicted["changes"] == ["create"]
    # the role and group to attach are read (they must exist before anything is written)
    assert predicted["api_calls"] == ["sts:GetCallerIdentity", "iam:GetPolicy", "iam:GetRole", "iam:GetGroup"]
    assert predicted["diff"]["after"]["document"]["Statement"][0]["Resource"] == [prod_role]
    assert _exists(iam, arn) is None, "check mode must not create the policy"

    created = run_module(MODULE, args, dev_account_id)
    assert created["changed"] is True, created
    assert created["policy"]["arn"] == arn and created["policy"]["default_version_id"] == "v1"
    document = _document(iam, arn)
    assert document["Statement"][0]["Action"] == ["sts:AssumeRole"]
    assert document["Statement"][0]["Resource"] == [prod_role]
    assert _entities(iam, arn) == {"roles": [dev["role"]], "groups": [dev["group"]], "users": []}
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == [{"Key": "owner", "Value": "platform"}]

    again = run_module(MODULE, args, dev_account_id)
    assert again["changed"] is False and again["changes"] == [], again
    assert again["api_calls"] == CONVERGED_CALLS
    _only_reads(again)

    # update with diff: session tagging -> a new default version
    tagged = dict(args, session_tagging=True)
    update = run_module(MODULE, tagged, dev_account_id, diff=True)
    assert update["changed"] is True and update["changes"] == ["document"], update
    assert "sts:TagSession" not in json.dumps(update["diff"]["before"]["document"])
    assert "sts:TagSession" in json.dumps(update["diff"]["after"]["document"])
    assert update["policy"]["default_version_id"] == "v2"
    assert sorted(_document(iam, arn)["Statement"][0]["Action"]) == ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]
    assert run_module(MODULE, tagged, dev_account_id)["changed"] is False

    # out-of-band drift: a wider default version, the group detached, an extra user attached, a tag changed
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(wide), SetAsDefault=True)
    iam.detach_group_policy(GroupName=dev["group"], PolicyArn=arn)
    iam.attach_user_policy(UserName=dev["other_user"], PolicyArn=arn)
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "owner", "Value": "someone-else"}])
    repaired = run_module(MODULE, tagged, dev_account_id, diff=True)
    assert repaired["changed"] is True and repaired["changes"] == ["document", "attachments", "tags"], repaired
    assert _document(iam, arn)["Statement"][0]["Resource"] == [prod_role]
    # without purge_attachments the extra user keeps the policy
    assert _entities(iam, arn) == {"roles": [dev["role"]], "groups": [dev["group"]], "users": [dev["other_user"]]}
    assert run_module(MODULE, tagged, dev_account_id)["changed"] is False

    # purge_attachments: exactly the listed entities
    purged = run_module(MODULE, dict(tagged, purge_attachments=True, attach_to_users=[dev["user"]]), dev_account_id, diff=True)
    assert purged["changed"] is True and purged["changes"] == ["attachments"], purged
    assert purged["diff"]["before"]["attachments"]["users"] == [dev["other_user"]]
    assert purged["diff"]["after"]["attachments"]["users"] == [dev["user"]]
    assert _entities(iam, arn) == {"roles": [dev["role"]], "groups": [dev["group"]], "users": [dev["user"]]}

    # absent: detached from everything, versions and policy deleted
    predicted = run_module(MODULE, {"name": dev["name"], "state": "absent"}, dev_account_id, check=True)
    assert predicted["changed"] is True and predicted["changes"] == ["delete"]
    assert _exists(iam, arn) is not None
    removed = run_module(MODULE, {"name": dev["name"], "state": "absent"}, dev_account_id)
    assert removed["changed"] is True, removed
    assert "iam:DeletePolicyVersion" in removed["api_calls"] and removed["api_calls"][-1] == "iam:DeletePolicy"
    assert _exists(iam, arn) is None
    assert iam.list_attached_role_policies(RoleName=dev["role"])["AttachedPolicies"] == []
    gone = run_module(MODULE, {"name": dev["name"], "state": "absent"}, dev_account_id)
    assert gone["changed"] is False and gone["api_calls"] == ["sts:GetCallerIdentity", "iam:GetPolicy"], gone


def test_five_versions(run_module, dev_account_id, prod_account_id, dev):
    """With 5 versions, a change deletes the oldest non-default version first."""
    iam, arn = dev["iam"], dev["arn"]
    args = {"name": dev["name"], "path": "/", "role_arns": [f"arn:aws:iam::{prod_account_id}:role/A"]}
    assert run_module(MODULE, args, dev_account_id)["changed"] is True
    filler = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    for dummy in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(filler), SetAsDefault=False)
    assert len(iam.list_policy_versions(PolicyArn=arn)["Versions"]) == 5

    changed = run_module(MODULE, dict(args, role_arns=[f"arn:aws:iam::{prod_account_id}:role/B"]), dev_account_id)
    assert changed["changed"] is True, changed
    assert changed["api_calls"][-3:] == ["iam:DeletePolicyVersion", "iam:CreatePolicyVersion", "iam:GetPolicy"]
    versions = {v["VersionId"]: v["IsDefaultVersion"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]}
    assert len(versions) == 5 and "v2" not in versions and versions["v6"] is True
    assert _document(iam, arn)["Statement"][0]["Resource"] == [f"arn:aws:iam::{prod_account_id}:role/B"]


def test_missing_attachment_target(run_module, dev_account_id, prod_account_id, dev):
    args = {"name": dev["name"], "role_arns": [f"arn:aws:iam::{prod_account_id}:role/A"], "attach_to_roles": ["no-such-role-x"]}
    predicted = run_module(MODULE, args, dev_account_id, check=True)
    assert not predicted["failed"] and predicted["changes"] == ["create"], predicted
    assert any("attach_to_roles: role 'no-such-role-x' does not exist yet" in w for w in predicted.get("warnings", [])), predicted
    result = run_module(MODULE, args, dev_account_id)
    assert result["failed"] is True and "attach_to_roles: role 'no-such-role-x' does not exist" in result["msg"], result
    # Checked before the first write: no policy is left behind half-done, and nothing changed.
    assert result["changed"] is False and "iam:CreatePolicy" not in result["api_calls"], result["api_calls"]
    assert _exists(dev["iam"], dev["arn"]) is None


def test_invalid_options_fail_before_any_call(run_module, dev_account_id, dev):
    base = {"name": dev["name"], "role_arns": ["arn:aws:iam::222222222222:role/DevToProdDataAccess"], "endpoint_url": DEAD_ENDPOINT}
    cases = [
        ({"role_arns": []}, "role_arns"),
        ({"role_arns": ["arn:aws:iam::222222222222:role/*"]}, "role_arns[0]"),
        ({"role_arns": ["arn:aws:s3:::bucket"]}, "role_arns[0]"),
        ({"name": "bad name"}, "name"),
        ({"path": "no-slashes"}, "path"),
        ({"attach_to_users": ["ok", "bad user"]}, "attach_to_users[1]"),
        ({"attach_to_groups": ["g" * 129]}, "attach_to_groups[0]"),
    ]
    for extra, option in cases:
        result = run_module(MODULE, dict(base, **extra), dev_account_id)
        assert result["failed"] is True, (extra, result)
        assert result["msg"].startswith("Invalid options (nothing was changed):"), result["msg"]
        assert f"{option}:" in result["msg"], (option, result["msg"])
    assert _exists(dev["iam"], dev["arn"]) is None
