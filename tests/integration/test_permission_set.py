"""cross_account.aws.permission_set (IAM Identity Center) against a moto server on 127.0.0.1.

ministack has no sso-admin / identitystore, so these tests use moto (fixture `moto_url`). moto creates one
Identity Center instance by default, so the module finds it without instance_arn. moto answers provisioning
and assignment requests with SUCCEEDED at once (the waiting loop is unit-tested in
tests/unit/plugins/modules/test_permission_set_waiting.py) and does not record assignments as provisioned accounts,
so `state: absent` is given the account ids (see docs/emulator.md).
"""

import json
import re
import uuid

import boto3
import pytest

MODULE = "cross_account.aws.permission_set"
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|Describe|List)[A-Za-z]*$")
DEAD_ENDPOINT = "http://127.0.0.1:9"
DEV = "111111111111"
OTHER_DEV = "333333333333"
PROD_ROLE = "arn:aws:iam::222222222222:role/DevToProdDataAccess"


def _moto(service, url):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def sso(moto_url):
    admin, store = _moto("sso-admin", moto_url), _moto("identitystore", moto_url)
    instance = admin.list_instances()["Instances"][0]
    suffix = uuid.uuid4().hex[:8]
    ctx = {
        "url": moto_url,
        "admin": admin,
        "instance": instance["InstanceArn"],
        "name": f"DataDev-{suffix}",
        "group": f"data-developers-{suffix}",
        "other_group": f"others-{suffix}",
        "user": f"alice-{suffix}",
    }
    store_id = instance["IdentityStoreId"]
    ctx["group_id"] = store.create_group(IdentityStoreId=store_id, DisplayName=ctx["group"])["GroupId"]
    ctx["other_group_id"] = store.create_group(IdentityStoreId=store_id, DisplayName=ctx["other_group"])["GroupId"]
    ctx["user_id"] = store.create_user(IdentityStoreId=store_id, UserName=ctx["user"], DisplayName="Alice",
                                       Name={"GivenName": "Alice", "FamilyName": "Example"})["UserId"]
    yield ctx
    found = _find(ctx)
    if found:
        for account in (DEV, OTHER_DEV):
            for item in admin.list_account_assignments(InstanceArn=ctx["instance"], AccountId=account, PermissionSetArn=found)["AccountAssignments"]:
                admin.delete_account_assignment(InstanceArn=ctx["instance"], TargetId=account, TargetType="AWS_ACCOUNT", PermissionSetArn=found,
                                                PrincipalType=item["PrincipalType"], PrincipalId=item["PrincipalId"])
        admin.delete_permission_set(InstanceArn=ctx["instance"], PermissionSetArn=found)
    store.delete_group(IdentityStoreId=store_id, GroupId=ctx["group_id"])
    store.delete_group(IdentityStoreId=store_id, GroupId=ctx["other_group_id"])
    store.delete_user(IdentityStoreId=store_id, UserId=ctx["user_id"])


def _find(ctx):
    for arn in ctx["admin"].list_permission_sets(InstanceArn=ctx["instance"])["PermissionSets"]:
        if ctx["admin"].describe_permission_set(InstanceArn=ctx["instance"], PermissionSetArn=arn)["PermissionSet"]["Name"] == ctx["name"]:
            return arn
    return None


def _assignments(ctx, arn, account=DEV):
    items = ctx["admin"].list_account_assignments(InstanceArn=ctx["instance"], AccountId=account, PermissionSetArn=arn)["AccountAssignments"]
    return sorted((i["PrincipalType"], i["PrincipalId"]) for i in items)


def _run(run_module, args, ctx, **kwargs):
    return run_module(MODULE, dict(args, endpoint_url=ctx["url"]), DEV, **kwargs)


def test_lifecycle(run_module, sso):
    admin, instance = sso["admin"], sso["instance"]
    args = {"name": sso["name"], "role_arns": [PROD_ROLE], "account_ids": [DEV], "groups": [sso["group"]]}

    predicted = _run(run_module, args, sso, check=True, diff=True)
    assert predicted["failed"] is False and predicted["changed"] is True, predicted
    assert predicted["changes"] == ["create"]
    assert predicted["diff"]["after"]["assignments"] == {DEV: [f"group:{sso['group']}"]}
    assert predicted["diff"]["after"]["inline_policy"]["Statement"][0]["Resource"] == [PROD_ROLE]
    assert _find(sso) is None, "check mode must not create the permission set"

    created = _run(run_module, args, sso)
    assert created["failed"] is False and created["changed"] is True, created
    arn = _find(sso)
    assert arn and created["permission_set"] == {"arn": arn, "name": sso["name"], "instance_arn": instance}
    described = admin.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]
    assert described["SessionDuration"] == "PT1H"
    inline = json.loads(admin.get_inline_policy_for_permission_set(InstanceArn=instance, PermissionSetArn=arn)["InlinePolicy"])
    assert inline["Statement"][0]["Action"] == ["sts:AssumeRole"] and inline["Statement"][0]["Resource"] == [PROD_ROLE]
    assert _assignments(sso, arn) == [("GROUP", sso["group_id"])]

    again = _run(run_module, args, sso)
    assert again["failed"] is False and again["changed"] is False and again["changes"] == [], again
    writes = [c for c in again["api_calls"] if not READ_ONLY.match(c)]
    assert not writes, f"a converged run made write calls: {writes}"

    # update with diff: session tagging, a managed policy, 2 hours, a user -> definition changes are provisioned
    updated_args = dict(args, session_tagging=True, managed_policy_arns=["arn:aws:iam::aws:policy/ReadOnlyAccess"],
                        session_duration=7200, users=[sso["user"]])
    predicted = _run(run_module, updated_args, sso, check=True, diff=True)
    assert predicted["changes"] == ["settings", "inline_policy", "managed_policies", "provision", "assignments"], predicted
    assert _assignments(sso, arn) == [("GROUP", sso["group_id"])], "check mode must not assign"
    update = _run(run_module, updated_args, sso, diff=True)
    assert update["changed"] is True and update["changes"] == predicted["changes"], update
    assert update["diff"]["before"]["settings"]["session_duration"] == 3600
    assert update["diff"]["after"]["settings"]["session_duration"] == 7200
    assert "sts:TagSession" in json.dumps(update["diff"]["after"]["inline_policy"])
    assert "sts:TagSession" not in json.dumps(update["diff"]["before"]["inline_policy"])
    assert update["diff"]["after"]["assignments"] == {DEV: sorted([f"group:{sso['group']}", f"user:{sso['user']}"])}
    assert "sso-admin:ProvisionPermissionSet" in update["api_calls"]
    assert admin.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]["SessionDuration"] == "PT2H"
    managed = admin.list_managed_policies_in_permission_set(InstanceArn=instance, PermissionSetArn=arn)["AttachedManagedPolicies"]
    assert [m["Arn"] for m in managed] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert _assignments(sso, arn) == sorted([("GROUP", sso["group_id"]), ("USER", sso["user_id"])])
    assert _run(run_module, updated_args, sso)["changed"] is False

    # an assignment made out of band stays without purge_assignments, goes with it
    admin.create_account_assignment(InstanceArn=instance, TargetId=DEV, TargetType="AWS_ACCOUNT", PermissionSetArn=arn,
                                    PrincipalType="GROUP", PrincipalId=sso["other_group_id"])
    assert _run(run_module, updated_args, sso)["changed"] is False
    purged = _run(run_module, dict(updated_args, purge_assignments=True), sso, diff=True)
    assert purged["changed"] is True and purged["changes"] == ["assignments"], purged
    assert f"group:{sso['other_group_id']}" in purged["diff"]["before"]["assignments"][DEV]  # not a listed group: shown by id
    assert _assignments(sso, arn) == sorted([("GROUP", sso["group_id"]), ("USER", sso["user_id"])])

    # absent: assignments removed first, then the permission set
    absent = {"name": sso["name"], "account_ids": [DEV], "state": "absent"}
    predicted = _run(run_module, absent, sso, check=True)
    assert predicted["changed"] is True and predicted["changes"] == ["assignments", "delete"], predicted
    assert _find(sso) == arn
    removed = _run(run_module, absent, sso)
    assert removed["changed"] is True and removed["changes"] == ["assignments", "delete"], removed
    calls = removed["api_calls"]
    assert calls.index("sso-admin:DeleteAccountAssignment") < calls.index("sso-admin:DeletePermissionSet")
    assert _find(sso) is None
    assert _assignments(sso, arn) == []
    gone = _run(run_module, absent, sso)
    assert gone["changed"] is False and gone["changes"] == [], gone


def test_unknown_group_fails_naming_it(run_module, sso):
    result = _run(run_module, {"name": sso["name"], "role_arns": [PROD_ROLE], "account_ids": [DEV], "groups": ["no-such-group-x"]}, sso)
    assert result["failed"] is True
    assert "groups[0]" in result["msg"] and "no-such-group-x" in result["msg"], result["msg"]
    assert not [c for c in result.get("api_calls", []) if not READ_ONLY.match(c)]
    assert _find(sso) is None


def test_instance_arn_that_does_not_exist(run_module, sso):
    result = _run(run_module, {"name": sso["name"], "role_arns": [PROD_ROLE],
                               "instance_arn": "arn:aws:sso:::instance/ssoins-0000000000000000"}, sso)
    assert result["failed"] is True and "instance_arn" in result["msg"], result


@pytest.mark.parametrize(
    "bad, options",
    [
        (
            {"name": "x" * 33, "role_arns": ["arn:aws:iam::222222222222:role/*"], "session_duration": 3630,
             "account_ids": ["1234"], "managed_policy_arns": ["arn:aws:iam::111111111111:policy/Mine"], "instance_arn": "ssoins-123"},
            ["name", "role_arns[0]", "session_duration", "account_ids[0]", "managed_policy_arns[0]", "instance_arn"],
        ),
        ({"role_arns": [], "session_duration": 1800, "account_ids": [], "groups": ["g"]}, ["role_arns", "session_duration", "account_ids"]),
    ],
)
def test_invalid_options_fail_before_any_api_call(run_module, bad, options):
    """Every broken rule is reported at once, naming its option; the dead endpoint proves no call was made."""
    args = dict({"name": "DataDeveloper", "role_arns": [PROD_ROLE], "account_ids": [DEV]}, **bad)
    result = run_module(MODULE, dict(args, endpoint_url=DEAD_ENDPOINT), DEV)
    assert result["failed"] is True, result
    assert result["msg"].startswith("Invalid options"), result["msg"]
    for option in options:
        assert f"{option}:" in result["msg"], (option, result["msg"])
    assert not result.get("api_calls")
