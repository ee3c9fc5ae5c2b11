"""cross_account.aws.kms_key against the local emulator: create, converge, update, drift, recovery, absent."""

import datetime
import json
import uuid

import pytest

MODULE = "cross_account.aws.kms_key"
READ_PREFIXES = ("Get", "Describe", "List", "Head")


def _alias():
    return f"test-key-{uuid.uuid4().hex[:10]}"


def _read_only(result):
    return all(call.split(":", 1)[1].startswith(READ_PREFIXES) for call in result["api_calls"])


def _ok(result):
    assert not result["failed"], result.get("msg") or result["_stderr"]
    return result


def _policy(kms, key_id):
    return json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])


def _sids(document):
    return {s.get("Sid") for s in document["Statement"]}


@pytest.fixture
def kms(aws_client, prod_account_id):
    return aws_client("kms", prod_account_id)


def _args(alias, prod, **extra):
    args = {
        "alias": alias,
        "description": "test data key",
        "administrators": [f"arn:aws:iam::{prod}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_*"],
        "service_users": [{"principal_arns": [f"arn:aws:iam::{prod}:role/DevToProdDataAccess"]}],
        "tags": {"owner": "platform"},
    }
    args.update(extra)
    return args


def test_create_converge_update_and_repair_drift(run_module, kms, prod_account_id):
    alias = _alias()
    args = _args(alias, prod_account_id)

    # check mode: predicts the creation, writes nothing
    predicted = _ok(run_module(MODULE, args, prod_account_id, check=True, diff=True))
    assert predicted["changed"] and predicted["changes"] == ["create"]
    assert _read_only(predicted), predicted["api_calls"]
    assert "key_id" not in predicted
    assert predicted["diff"]["before"] == {} and predicted["diff"]["after"]["alias"] == f"alias/{alias}"
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=f"alias/{alias}")

    # create (alias given without the alias/ prefix is normalised)
    created = _ok(run_module(MODULE, args, prod_account_id))
    assert created["changed"] and created["changes"] == ["create"]
    assert created["alias"] == f"alias/{alias}"
    assert created["api_calls"][:2] == ["kms:DescribeKey", "sts:GetCallerIdentity"]
    key = kms.describe_key(KeyId=f"alias/{alias}")["KeyMetadata"]
    assert key["KeyId"] == created["key_id"] and key["Arn"] == created["key_arn"]
    assert key["KeyState"] == "Enabled" and key["KeySpec"] == "SYMMETRIC_DEFAULT" and key["Description"] == "test data key"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    document = _policy(kms, key["KeyId"])
    assert _sids(document) == {"AccountRootFullAccess", "KeyAdministrators", "UseViaS3"}
    via_s3 = next(s for s in document["Statement"] if s["Sid"] == "UseViaS3")
    assert via_s3["Condition"]["StringEquals"]["kms:ViaService"] == "s3.us-east-1.amazonaws.com"
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
    assert tags == {"owner": "platform"}

    # converged: no change, documented read calls only
    again = _ok(run_module(MODULE, dict(args, alias=f"alias/{alias}"), prod_account_id))
    assert not again["changed"] and again["changes"] == []
    assert again["api_calls"] == ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"]
    assert again["key_id"] == created["key_id"]

    # update: another administrator and a CloudTrail trail, shown in the diff; check mode first
    trail = f"arn:aws:cloudtrail:us-east-1:{prod_account_id}:trail/audit"
    updated_args = dict(
        args,
        administrators=args["administrators"] + [f"arn:aws:iam::{prod_account_id}:role/BreakGlass"],
        cloudtrail_trail_arns=[trail],
    )
    check = _ok(run_module(MODULE, updated_args, prod_account_id, check=True, diff=True))
    assert check["changed"] and check["changes"] == ["policy"] and _read_only(check)
    assert _sids(_policy(kms, key["KeyId"])) == {"AccountRootFullAccess", "KeyAdministrators", "UseViaS3"}
    updated = _ok(run_module(MODULE, updated_args, prod_account_id, diff=True))
    assert updated["changes"] == ["policy"]
    assert updated["api_calls"][-1] == "kms:PutKeyPolicy"
    before, after = updated["diff"]["before"]["policy"], updated["diff"]["after"]["policy"]
    assert before != after
    admins = next(s for s in after["Statement"] if s["Sid"] == "KeyAdministrators")
    assert f"arn:aws:iam::{prod_account_id}:role/BreakGlass" in admins["Condition"]["ArnLike"]["aws:PrincipalArn"]
    document = _policy(kms, key["KeyId"])
    assert {"CloudTrailEncryptLogs", "CloudTrailDescribeKey"} <= _sids(document)
    encrypt = next(s for s in document["Statement"] if s["Sid"] == "CloudTrailEncryptLogs")
    assert encrypt["Condition"]["StringEquals"]["aws:SourceArn"] in (trail, [trail])
    assert not _ok(run_module(MODULE, updated_args, prod_account_id))["changed"]

    # out-of-band drift: default key policy, rotation off, other description, extra tag
    kms.put_key_policy(
        KeyId=key["KeyId"],
        PolicyName="default",
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Sid": "Enable IAM User Permissions", "Effect": "Allow",
             "Principal": {"AWS": f"arn:aws:iam::{prod_account_id}:root"}, "Action": "kms:*", "Resource": "*"}]}),
    )
    kms.disable_key_rotation(KeyId=key["KeyId"])
    kms.update_key_description(KeyId=key["KeyId"], Description="changed by hand")
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "stray", "TagValue": "x"}])
    repaired = _ok(run_module(MODULE, updated_args, prod_account_id, diff=True))
    assert repaired["changes"] == ["policy", "description", "rotation", "tags"]
    assert repaired["diff"]["before"]["rotation"] is False and repaired["diff"]["after"]["rotation"] is True
    assert repaired["diff"]["before"]["tags"] == {"owner": "platform", "stray": "x"}
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "test data key"
    assert "CloudTrailEncryptLogs" in _sids(_policy(kms, key["KeyId"]))
    final = _ok(run_module(MODULE, updated_args, prod_account_id))
    assert not final["changed"] and _read_only(final)


def test_key_pending_deletion_is_recovered(run_module, kms, prod_account_id):
    alias = _alias()
    args = _args(alias, prod_account_id)
    key_id = _ok(run_module(MODULE, args, prod_account_id))["key_id"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)

    check = _ok(run_module(MODULE, args, prod_account_id, check=True, diff=True))
    assert check["changed"] and check["changes"][:2] == ["cancel_deletion", "key_state"] and _read_only(check)
    assert check["diff"]["before"]["key_state"] == "PendingDeletion" and check["diff"]["after"]["key_state"] == "Enabled"
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

    recovered = _ok(run_module(MODULE, args, prod_account_id))
    assert recovered["changed"] and recovered["changes"][:2] == ["cancel_deletion", "key_state"]
    assert "kms:CancelKeyDeletion" in recovered["api_calls"] and "kms:EnableKey" in recovered["api_calls"]
    assert recovered["key_state"] == "Enabled" and "deletion_date" not in recovered
    # the alias was never touched and still names the same key
    key = kms.describe_key(KeyId=f"alias/{alias}")["KeyMetadata"]
    assert key["KeyId"] == key_id and key["KeyState"] == "Enabled"
    assert not _ok(run_module(MODULE, args, prod_account_id))["changed"]


def test_disabled_key_is_enabled(run_module, kms, prod_account_id):
    alias = _alias()
    args = _args(alias, prod_account_id)
    key_id = _ok(run_module(MODULE, args, prod_account_id))["key_id"]
    kms.disable_key(KeyId=key_id)
    result = _ok(run_module(MODULE, args, prod_account_id))
    assert result["changed"] and result["changes"] == ["key_state"]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"


def test_absent_schedules_deletion_with_the_window(run_module, kms, prod_account_id):
    alias = _alias()
    key_id = _ok(run_module(MODULE, _args(alias, prod_account_id), prod_account_id))["key_id"]
    absent = {"alias": alias, "state": "absent", "pending_window_days": 7}

    check = _ok(run_module(MODULE, absent, prod_account_id, check=True, diff=True))
    assert check["changed"] and check["changes"] == ["delete"] and _read_only(check)
    assert check["diff"]["after"]["key_state"] == "PendingDeletion" and check["diff"]["after"]["pending_window_days"] == 7
    assert kms.describe_key(KeyId=f"alias/{alias}")["KeyMetadata"]["KeyState"] == "Enabled"

    started = datetime.datetime.now(datetime.timezone.utc)
    deleted = _ok(run_module(MODULE, absent, prod_account_id))
    assert deleted["changed"] and deleted["api_calls"] == ["kms:DescribeKey", "kms:ScheduleKeyDeletion", "kms:DeleteAlias"]
    assert deleted["key_id"] == key_id and deleted["key_state"] == "PendingDeletion"
    key = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyState"] == "PendingDeletion"  # never deleted at once
    window = key["DeletionDate"] - started
    assert datetime.timedelta(days=6, hours=23) < window < datetime.timedelta(days=7, hours=1)
    assert datetime.datetime.fromisoformat(deleted["deletion_date"]) == key["DeletionDate"]
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId=f"alias/{alias}")

    again = _ok(run_module(MODULE, absent, prod_account_id))
    assert not again["changed"] and again["api_calls"] == ["kms:DescribeKey"]


def test_absent_on_a_key_already_pending_deletion_removes_only_the_alias(run_module, kms, prod_account_id):
    """The deletion already scheduled (out of band, 30 days) is left as it is; the alias goes, as state=absent promises."""
    alias = _alias()
    key_id = _ok(run_module(MODULE, {"alias": alias}, prod_account_id))["key_id"]
    deletion_date = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=30)["DeletionDate"]
    absent = {"alias": alias, "state": "absent", "pending_window_days": 7}
    predicted = _ok(run_module(MODULE, absent, prod_account_id, check=True, diff=True))
    assert predicted["changes"] == ["alias"] and predicted["diff"]["after"]["alias"] is None
    assert predicted["api_calls"] == ["kms:DescribeKey"]
    result = _ok(run_module(MODULE, absent, prod_account_id))
    assert result["changes"] == ["alias"] and result["api_calls"] == ["kms:DescribeKey", "kms:DeleteAlias"]
    assert result["key_state"] == "PendingDeletion" and result["deletion_date"]
    assert alias not in [a["AliasName"] for a in kms.list_aliases(KeyId=key_id)["Aliases"]]
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["DeletionDate"] == deletion_date  # the window is untouched
    assert _ok(run_module(MODULE, absent, prod_account_id))["changed"] is False


@pytest.mark.parametrize(
    "args, option, rule",
    [
        ({"alias": "alias/aws/s3"}, "alias", "not alias/aws/"),
        ({"alias": "bad alias!"}, "alias", "must be alias/<name>"),
        ({"alias": "ok", "administrators": ["arn:aws:iam::*:role/Admin"]}, "administrators[0]", "must be an ARN"),
        ({"alias": "ok", "administrators": ["not-an-arn"]}, "administrators[0]", "must be an ARN"),
        ({"alias": "ok", "service_users": [{"principal_arns": ["arn:aws:iam::222222222222:role/R"], "actions": ["s3:GetObject"]}]},
         "service_users[0].actions[0]", "must be a KMS action"),
        ({"alias": "ok", "cloudtrail_trail_arns": ["arn:aws:s3:::bucket"]}, "cloudtrail_trail_arns[0]", "service cloudtrail"),
        ({"alias": "ok", "state": "absent", "pending_window_days": 3}, "pending_window_days", "between 7 and 30"),
    ],
)
def test_invalid_options_fail_before_any_api_call(run_module, prod_account_id, args, option, rule):
    result = run_module(MODULE, args, prod_account_id)
    assert result["failed"]
    assert not result.get("api_calls")
    assert f"{option}:" in result["msg"] and rule in result["msg"]
