"""cross_account.aws.bucket_policy against the local emulator: create, converge, drift, foreign statements, absent."""

import json
import re
import uuid

import pytest

MODULE = "cross_account.aws.bucket_policy"
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|Describe|List|Head)[A-Za-z]*$")
# A port nothing listens on: a module that made any API call would fail with a connection error.
DEAD_ENDPOINT = "http://127.0.0.1:9"


def _only_reads(result):
    writes = [c for c in result["api_calls"] if not READ_ONLY.match(c)]
    assert not writes, f"a converged run made write calls: {writes}"


def _policy(s3, bucket):
    try:
        return json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchBucketPolicy"
        return None


def _sids(doc):
    return sorted(s.get("Sid", "") for s in (doc or {}).get("Statement", []))


@pytest.fixture
def bucket(aws_client, prod_account_id):
    s3 = aws_client("s3", prod_account_id)
    name = f"bp-test-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    try:
        s3.delete_bucket_policy(Bucket=name)
    except s3.exceptions.ClientError:
        pass
    s3.delete_bucket(Bucket=name)


def _args(bucket, account, **extra):
    args = {
        "bucket": bucket,
        "access_role_arns": [f"arn:aws:iam::{account}:role/DevToProdDataAccess"],
        "exempt_principal_arns": [f"arn:aws:iam::{account}:role/BreakGlass"],
        "kms_key_arn": f"arn:aws:kms:us-east-1:{account}:key/11111111-2222-3333-4444-555555555555",
    }
    args.update(extra)
    return args


OURS = [
    "CrossAccountAllowRoleList",
    "CrossAccountAllowRoleObjects",
    "CrossAccountDenyInsecureTransport",
    "CrossAccountDenyOtherEncryption",
    "CrossAccountDenyOtherKmsKey",
    "CrossAccountDenyOtherPrincipals",
]


def test_lifecycle(run_module, aws_client, prod_account_id, bucket):
    s3 = aws_client("s3", prod_account_id)
    args = _args(bucket, prod_account_id)

    predicted = run_module(MODULE, args, prod_account_id, check=True, diff=True)
    assert predicted["failed"] is False and predicted["changed"] is True, predicted
    assert predicted["changes"] == ["policy"]
    assert predicted["diff"]["before"] == {"policy": None}
    assert _policy(s3, bucket) is None, "check mode must not write"
    _only_reads(predicted)

    created = run_module(MODULE, args, prod_account_id)
    assert created["changed"] is True and created["api_calls"] == ["s3:GetBucketPolicy", "s3:PutBucketPolicy"], created
    assert created["managed_sids"] == OURS
    assert created["foreign_sids"] == []
    stored = _policy(s3, bucket)
    assert _sids(stored) == OURS
    deny = next(s for s in stored["Statement"] if s["Sid"] == "CrossAccountDenyOtherPrincipals")
    assert sorted(deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == sorted(args["access_role_arns"] + args["exempt_principal_arns"])
    tls = next(s for s in stored["Statement"] if s["Sid"] == "CrossAccountDenyInsecureTransport")
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    again = run_module(MODULE, args, prod_account_id)
    assert again["changed"] is False and again["changes"] == [], again
    assert again["api_calls"] == ["s3:GetBucketPolicy"]
    _only_reads(again)
    assert again["policy"] == created["policy"]

    # update: another exempt principal (a wildcard pattern), with a readable diff
    updated_args = dict(args, exempt_principal_arns=args["exempt_principal_arns"] + [f"arn:aws:iam::{prod_account_id}:role/Admin*"])
    update = run_module(MODULE, updated_args, prod_account_id, diff=True)
    assert update["changed"] is True and update["changes"] == ["policy"], update
    before = json.dumps(update["diff"]["before"])
    after = json.dumps(update["diff"]["after"])
    assert "role/Admin*" not in before and "role/Admin*" in after
    assert "role/Admin*" in json.dumps(_policy(s3, bucket))
    assert run_module(MODULE, updated_args, prod_account_id)["changed"] is False

    # out-of-band drift: someone drops the TLS statement and loosens the deny; one run repairs both
    drifted = _policy(s3, bucket)
    drifted["Statement"] = [s for s in drifted["Statement"] if s["Sid"] != "CrossAccountDenyInsecureTransport"]
    for s in drifted["Statement"]:
        if s["Sid"] == "CrossAccountDenyOtherPrincipals":
            s["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = "*"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(drifted))
    repaired = run_module(MODULE, updated_args, prod_account_id)
    assert repaired["changed"] is True and repaired["changes"] == ["policy"]
    assert _sids(_policy(s3, bucket)) == OURS
    assert run_module(MODULE, updated_args, prod_account_id)["changed"] is False

    # absent: only our statements existed, so the policy goes
    predicted = run_module(MODULE, {"bucket": bucket, "state": "absent"}, prod_account_id, check=True)
    assert predicted["changed"] is True and predicted["changes"] == ["delete"]
    assert _sids(_policy(s3, bucket)) == OURS, "check mode must not write"
    removed = run_module(MODULE, {"bucket": bucket, "state": "absent"}, prod_account_id)
    assert removed["changed"] is True and removed["api_calls"] == ["s3:GetBucketPolicy", "s3:DeleteBucketPolicy"], removed
    assert _policy(s3, bucket) is None
    gone = run_module(MODULE, {"bucket": bucket, "state": "absent"}, prod_account_id)
    assert gone["changed"] is False and gone["api_calls"] == ["s3:GetBucketPolicy"]


FOREIGN = [
    {
        "Sid": "AnalyticsTeamRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::333333333333:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::BUCKET/analytics/*",
    },
    {
        # no Sid at all: never ours
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:DeleteBucket"],
        "Resource": "arn:aws:s3:::BUCKET",
        "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "222222222222"}},
    },
]


def _foreign(bucket):
    return json.loads(json.dumps(FOREIGN).replace("BUCKET", bucket))


def _without_ours(doc):
    return [s for s in doc["Statement"] if not s.get("Sid", "").startswith("CrossAccount")]


def test_foreign_statements_survive_deploy_and_absent(run_module, aws_client, prod_account_id, bucket):
    s3 = aws_client("s3", prod_account_id)
    foreign = _foreign(bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Id": "TeamPolicy", "Statement": foreign}))
    args = _args(bucket, prod_account_id)

    deployed = run_module(MODULE, args, prod_account_id, diff=True)
    assert deployed["changed"] is True, deployed
    assert deployed["foreign_sids"] == ["AnalyticsTeamRead", ""]
    stored = _policy(s3, bucket)
    assert stored.get("Id") == "TeamPolicy"
    assert _without_ours(stored) == foreign, "foreign statements must stay exactly as they were"
    assert _sids(stored) == sorted(OURS + ["AnalyticsTeamRead", ""])
    assert run_module(MODULE, args, prod_account_id)["changed"] is False

    removed = run_module(MODULE, {"bucket": bucket, "state": "absent"}, prod_account_id)
    assert removed["changed"] is True and removed["changes"] == ["policy"], removed
    assert "s3:DeleteBucketPolicy" not in removed["api_calls"]
    stored = _policy(s3, bucket)
    assert stored is not None, "the policy still holds other statements and must not be deleted"
    assert stored["Statement"] == foreign
    again = run_module(MODULE, {"bucket": bucket, "state": "absent"}, prod_account_id)
    assert again["changed"] is False and again["api_calls"] == ["s3:GetBucketPolicy"]


def test_empty_sid_and_duplicates_converge(run_module, aws_client, prod_account_id, bucket):
    """A statement with Sid "" is foreign like one without a Sid; a duplicated statement of ours is repaired once."""
    s3 = aws_client("s3", prod_account_id)
    args = _args(bucket, prod_account_id, kms_key_arn=None, access_role_arns=[], require_tls=True)
    assert run_module(MODULE, args, prod_account_id)["changed"] is True
    ours = _policy(s3, bucket)["Statement"]
    assert _sids({"Statement": ours}) == ["CrossAccountDenyInsecureTransport"]

    empty_sid = dict(_foreign(bucket)[0], Sid="")
    no_sid = _foreign(bucket)[1]
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps({"Version": "2012-10-17", "Statement": [empty_sid, no_sid] + ours + ours}),
    )
    repaired = run_module(MODULE, args, prod_account_id)
    assert repaired["changed"] is True and repaired["changes"] == ["policy"], repaired
    stored = _policy(s3, bucket)["Statement"]
    assert [s for s in stored if s.get("Sid", "").startswith("CrossAccount")] == ours  # once, not twice
    assert empty_sid in stored and no_sid in stored
    assert repaired["foreign_sids"] == ["", ""]
    again = run_module(MODULE, args, prod_account_id)
    assert again["changed"] is False, again
    _only_reads(again)


def test_equivalent_forms_are_not_rewritten(run_module, aws_client, prod_account_id, bucket):
    """Our statements rewritten out of band in an equivalent form (order, scalar vs list, bool) are not drift."""
    s3 = aws_client("s3", prod_account_id)
    args = _args(bucket, prod_account_id)
    assert run_module(MODULE, args, prod_account_id)["changed"] is True
    doc = _policy(s3, bucket)
    doc.pop("Version")
    doc["Statement"].reverse()
    for s in doc["Statement"]:
        if isinstance(s["Action"], list):
            s["Action"] = list(reversed(s["Action"]))
        if s["Sid"] == "CrossAccountDenyInsecureTransport":
            s["Condition"] = {"Bool": {"aws:SecureTransport": False}}
            s["Action"] = ["s3:*"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(doc))
    again = run_module(MODULE, args, prod_account_id)
    assert again["changed"] is False, again
    _only_reads(again)


def test_invalid_options_fail_before_any_call(run_module, aws_client, prod_account_id, bucket):
    s3 = aws_client("s3", prod_account_id)
    cases = [
        ({"sid_prefix": "Cross-Account"}, "sid_prefix"),
        ({"access_role_arns": ["arn:aws:iam::222222222222:role/*"]}, "access_role_arns[0]"),
        ({"access_role_arns": ["DevToProdDataAccess"]}, "access_role_arns[0]"),
        ({"access_actions": ["s3:*"]}, "access_actions[0]"),
        ({"deny_actions": ["iam:PassRole"]}, "deny_actions[0]"),
        ({"kms_key_arn": "data-key"}, "kms_key_arn"),  # an alias or key ARN is accepted (resolved); this is neither
        ({"exempt_principal_arns": ["arn:aws:s3:::x"]}, "exempt_principal_arns[0]"),
        (
            {"cloudtrail_trail_arns": ["arn:aws:cloudtrail:us-east-1:222222222222:trail/a", "arn:aws:cloudtrail:us-east-1:333333333333:trail/b"]},
            "cloudtrail_trail_arns",
        ),
        ({"bucket": "Not_A_Bucket"}, "bucket"),
    ]
    for extra, option in cases:
        args = dict(_args(bucket, prod_account_id), **extra)
        args["endpoint_url"] = DEAD_ENDPOINT
        result = run_module(MODULE, args, prod_account_id)
        assert result["failed"] is True, (extra, result)
        assert result["msg"].startswith("Invalid options (nothing was changed):"), result["msg"]
        assert f"{option}:" in result["msg"], (option, result["msg"])
        assert not result.get("api_calls"), result["api_calls"]  # no AWS call before the options are valid
    assert _policy(s3, bucket) is None


def test_missing_bucket(run_module, prod_account_id):
    name = f"bp-missing-{uuid.uuid4().hex[:12]}"
    result = run_module(MODULE, _args(name, prod_account_id), prod_account_id)
    assert result["failed"] is True and "does not exist" in result["msg"] and "bucket:" in result["msg"]
    absent = run_module(MODULE, {"bucket": name, "state": "absent"}, prod_account_id)
    assert absent["failed"] is False and absent["changed"] is False


def test_emulator_gap_nonexistent_principal_is_accepted(run_module, prod_account_id, bucket):
    """Emulator gap canary (docs/emulator.md): AWS answers MalformedPolicy "Invalid principal in policy" for a role
    that does not exist; ministack stores the policy. The module's handling of AWS's answer (retry while a fresh
    role propagates, then an error naming the principal) is tested through a fault-injecting proxy in
    test_drift.py::test_case09_invalid_principal_retried_then_named and with a stubbed client in tests/unit.
    This test fails once the emulator validates principals, so the case can then be tested here directly."""
    args = _args(bucket, prod_account_id, access_role_arns=[f"arn:aws:iam::{prod_account_id}:role/does-not-exist-{uuid.uuid4().hex[:6]}"])
    result = run_module(MODULE, args, prod_account_id)
    assert result["failed"] is False and result["changed"] is True
