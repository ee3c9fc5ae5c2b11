"""Issue 3, cases 1-10: converge exactly, repair drift, predict exactly -- one module at a time, against the emulator.

Out-of-band states are written directly with boto3 (as IAM, S3, KMS or CloudTrail would return them, or as another
team or tool would leave them) and then the module runs: an equivalent form must converge with NO write call, real
drift must be reported (check mode, --diff) and repaired. Each test first asserts that the emulator really holds the
out-of-band form, so a test cannot pass because the emulator silently normalised the input.

Emulator gaps met here (docs/emulator.md): ministack stores policies verbatim (good: the variants reach the module
as written), never turns a deleted principal into a unique id (case 3 writes the AROA form directly), never answers
"Invalid principal" (case 9 injects that answer with a proxy), and keeps a trail's KmsKeyId as given (an alias) where
AWS stores the key ARN.
"""

import json
import re
import time
import uuid

import pytest
from fault_proxy import Fault, FaultProxy, iam_error
from helpers import emulator_url

DEV, OTHER_DEV = "111111111111", "333333333333"
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|Describe|List|Head)[A-Za-z]*$")
SSO_PATTERN = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*"


def _uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _ok(result):
    assert not result["failed"], result.get("msg") or result["_stderr"]
    return result


def _writes(result):
    return [c for c in result["api_calls"] if not READ_ONLY.match(c)]


def _converged(result):
    """No change reported and not a single write call made."""
    _ok(result)
    assert result["changed"] is False, result.get("changes")
    assert result["changes"] == []
    assert _writes(result) == [], f"a converged run made write calls: {_writes(result)}"
    return result


def _doc(value):
    return json.loads(value) if isinstance(value, str) else value


def _trust(iam, name):
    return _doc(iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"])


def _drop_role(iam, name):
    """Teardown through boto3 (faster than a module run): inline policies, then the role."""
    try:
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        iam.delete_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        pass


def _set_trust(iam, name, document):
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(document))
    assert _trust(iam, name) == document, "the emulator did not keep the out-of-band form as written"


# --- case 1 and 2: trust policy equivalences ---------------------------------------------------------------------


def _role_args(name, accounts, partition="aws", **extra):
    args = {
        "name": name,
        "trusted_account_ids": accounts,
        "trusted_principal_arns": [f"arn:{partition}:iam::{accounts[0]}:user/developers/*"],
        "external_id": "drift-test-ext-1",
        "require_mfa": True,  # an IAM-user trust: adds the Bool condition whose "true" IAM may return as true
    }
    args.update(extra)
    return args


@pytest.fixture(scope="module")
def iam(aws_client, prod_account_id):
    return aws_client("iam", prod_account_id)


@pytest.fixture(scope="module")
def two_account_role(run_module, iam, prod_account_id):
    name = _uid("drift-trust")
    args = _role_args(name, [DEV, OTHER_DEV])
    _ok(run_module("cross_account.aws.trust_role", args, prod_account_id))
    yield name, args, _trust(iam, name)
    _drop_role(iam, name)


def _variant(document, *, reorder=False, string_principal=False, no_version=False, bool_true=False, bare_account=False):
    doc = json.loads(json.dumps(document))
    statement = doc["Statement"][0]
    principals = statement["Principal"]["AWS"]
    principals = principals if isinstance(principals, list) else [principals]
    if bare_account:
        principals = [p.split(":")[4] if p.endswith(":root") else p for p in principals]
    if reorder:
        principals = list(reversed(principals))
    statement["Principal"]["AWS"] = principals[0] if string_principal and len(principals) == 1 else principals
    if no_version:
        doc.pop("Version", None)
    if bool_true:
        statement["Condition"]["Bool"]["aws:MultiFactorAuthPresent"] = True
    return doc


@pytest.mark.parametrize(
    "form",
    [
        {"reorder": True},
        {"no_version": True},
        {"bool_true": True},
        {"bare_account": True},
        {"reorder": True, "no_version": True, "bool_true": True, "bare_account": True},
    ],
    ids=["principals-reordered", "no-version", "true-not-string", "bare-account-id", "all-at-once"],
)
def test_case01_trust_policy_equivalent_forms_converge(run_module, iam, prod_account_id, two_account_role, form):
    name, args, written = two_account_role
    assert sorted(written["Statement"][0]["Principal"]["AWS"]) == [f"arn:aws:iam::{DEV}:root", f"arn:aws:iam::{OTHER_DEV}:root"]
    variant = _variant(written, **form)
    assert variant != written
    _set_trust(iam, name, variant)
    _converged(run_module("cross_account.aws.trust_role", args, prod_account_id))
    assert _trust(iam, name) == variant  # left exactly as it was


def test_case01_single_principal_as_string_converges(run_module, iam, prod_account_id):
    name = _uid("drift-trust1")
    args = _role_args(name, [DEV])
    try:
        _ok(run_module("cross_account.aws.trust_role", args, prod_account_id))
        written = _trust(iam, name)
        variant = _variant(written, string_principal=True, bare_account=True, no_version=True)
        assert variant["Statement"][0]["Principal"]["AWS"] == DEV
        _set_trust(iam, name, variant)
        _converged(run_module("cross_account.aws.trust_role", args, prod_account_id))
    finally:
        _drop_role(iam, name)


@pytest.mark.parametrize("region,partition", [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_case02_partition_equivalences_converge(run_module, iam, prod_account_id, region, partition):
    """The module's region decides the partition: ``arn:<partition>:iam::<id>:root`` equals the bare id there, and the
    ``aws`` partition's root ARN is drift. (ministack answers any region and returns ARNs in ``aws``; the trust policy
    is stored verbatim, so the partition of the principals is exactly what the module wrote.)"""
    name = _uid("drift-part")
    args = _role_args(name, [DEV, OTHER_DEV], partition=partition, region=region)
    try:
        _ok(run_module("cross_account.aws.trust_role", args, prod_account_id))
        written = _trust(iam, name)
        assert sorted(written["Statement"][0]["Principal"]["AWS"]) == [
            f"arn:{partition}:iam::{DEV}:root",
            f"arn:{partition}:iam::{OTHER_DEV}:root",
        ]
        _set_trust(iam, name, _variant(written, bare_account=True, reorder=True, no_version=True))
        _converged(run_module("cross_account.aws.trust_role", args, prod_account_id))

        # The same account in the wrong partition is not the same principal: drift, predicted and not written.
        wrong = json.loads(json.dumps(written))
        wrong["Statement"][0]["Principal"]["AWS"] = [f"arn:aws:iam::{DEV}:root", f"arn:aws:iam::{OTHER_DEV}:root"]
        _set_trust(iam, name, wrong)
        predicted = _ok(run_module("cross_account.aws.trust_role", args, prod_account_id, check=True))
        assert predicted["changed"] and predicted["changes"] == ["trust_policy"] and _writes(predicted) == []
    finally:
        _drop_role(iam, name)


# --- case 3: unique ids are drift ---------------------------------------------------------------------------------


def test_case03_unique_id_principal_is_drift_and_repaired(run_module, aws_client, iam, prod_account_id):
    """A principal that reads as ``AROA...`` (its role was deleted and recreated) is drift: reported with a warning
    naming the id, shown in --diff, and the ARN form is written back.

    Emulator gap: ministack keeps the role ARN when the role is deleted and recreated (AWS shows the old role's
    unique id). The first step proves that against the emulator; the AROA form is then written directly. It is shown
    for the trust policy and for the bucket policy, whose allow statements name the access role in ``Principal``.
    """
    victim = _uid("drift-victim")
    simple_trust = {"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{prod_account_id}:root"}, "Action": "sts:AssumeRole"}]}
    victim_role = iam.create_role(RoleName=victim, AssumeRolePolicyDocument=json.dumps(simple_trust))["Role"]
    victim_arn, old_id = victim_role["Arn"], victim_role["RoleId"]  # AWS would show this id once the role is deleted
    assert old_id.startswith("AROA")
    s3 = aws_client("s3", prod_account_id)
    bucket = _uid("drift-aroa")
    s3.create_bucket(Bucket=bucket)
    bp_args = {"bucket": bucket, "access_role_arns": [victim_arn], "deny_others": False}
    _ok(run_module("cross_account.aws.bucket_policy", bp_args, prod_account_id))
    iam.delete_role(RoleName=victim)
    iam.create_role(RoleName=victim, AssumeRolePolicyDocument=json.dumps(simple_trust))
    assert "AROA" not in s3.get_bucket_policy(Bucket=bucket)["Policy"], "ministack now converts deleted principals: drop the direct write"

    name = _uid("drift-aroa")
    args = _role_args(name, [DEV])
    try:
        _ok(run_module("cross_account.aws.trust_role", args, prod_account_id))
        written = _trust(iam, name)
        aroa = json.loads(json.dumps(written))
        aroa["Statement"][0]["Principal"]["AWS"] = old_id
        _set_trust(iam, name, aroa)

        predicted = _ok(run_module("cross_account.aws.trust_role", args, prod_account_id, check=True, diff=True))
        assert predicted["changed"] and predicted["changes"] == ["trust_policy"] and _writes(predicted) == []
        assert any(old_id in w for w in predicted.get("warnings", [])), predicted.get("warnings")
        assert predicted["diff"]["before"]["trust_policy"]["Statement"][0]["Principal"] == {"AWS": [old_id]}
        assert predicted["diff"]["after"]["trust_policy"]["Statement"][0]["Principal"] == {"AWS": [f"arn:aws:iam::{DEV}:root"]}
        assert _trust(iam, name) == aroa

        repaired = _ok(run_module("cross_account.aws.trust_role", args, prod_account_id))
        assert repaired["changed"] and repaired["changes"] == ["trust_policy"]
        assert _writes(repaired) == ["iam:UpdateAssumeRolePolicy"]
        assert _trust(iam, name)["Statement"][0]["Principal"]["AWS"] == [f"arn:aws:iam::{DEV}:root"]
        _converged(run_module("cross_account.aws.trust_role", args, prod_account_id))

        # The bucket policy: our allow statement's principal now reads as the old role's unique id.
        current = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        for statement in current["Statement"]:
            if isinstance(statement.get("Principal"), dict) and statement["Principal"].get("AWS") in (victim_arn, [victim_arn]):
                statement["Principal"]["AWS"] = old_id
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(current))
        assert old_id in s3.get_bucket_policy(Bucket=bucket)["Policy"]
        fixed = _ok(run_module("cross_account.aws.bucket_policy", bp_args, prod_account_id))
        assert fixed["changed"] and _writes(fixed) == ["s3:PutBucketPolicy"]
        assert any(old_id in w for w in fixed.get("warnings", [])), fixed.get("warnings")
        assert old_id not in s3.get_bucket_policy(Bucket=bucket)["Policy"]
        _converged(run_module("cross_account.aws.bucket_policy", bp_args, prod_account_id))
    finally:
        _drop_role(iam, name)
        iam.delete_role(RoleName=victim)
        s3.delete_bucket_policy(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)


# --- case 4: "Sid": "" and duplicates ---------------------------------------------------------------------------


def test_case04_empty_sid_and_duplicate_values_converge(run_module, aws_client, iam, prod_account_id):
    """``"Sid": ""`` equals no Sid, and a value listed twice equals it listed once: in the trust policy, the role's
    permissions policy and the bucket policy (whose foreign statement has an empty Sid), no write call."""
    name = _uid("drift-sid")
    bucket = _uid("drift-sid")
    s3 = aws_client("s3", prod_account_id)
    s3.create_bucket(Bucket=bucket)
    role_args = _role_args(name, [DEV, OTHER_DEV], bucket=bucket)
    role_arn = f"arn:aws:iam::{prod_account_id}:role/{name}"
    bp_args = {"bucket": bucket, "access_role_arns": [role_arn]}
    try:
        _ok(run_module("cross_account.aws.trust_role", role_args, prod_account_id))
        trust = _trust(iam, name)
        statement = trust["Statement"][0]
        statement["Action"] = ["sts:AssumeRole", "sts:AssumeRole"]
        statement["Principal"]["AWS"] = statement["Principal"]["AWS"] + statement["Principal"]["AWS"][:1]
        patterns = statement["Condition"]["ArnLike"]["aws:PrincipalArn"]
        statement["Condition"]["ArnLike"]["aws:PrincipalArn"] = (patterns if isinstance(patterns, list) else [patterns]) * 2
        _set_trust(iam, name, trust)

        permissions = _doc(iam.get_role_policy(RoleName=name, PolicyName="cross-account-data-access")["PolicyDocument"])
        for item in permissions["Statement"]:
            actions = item["Action"] if isinstance(item["Action"], list) else [item["Action"]]
            item["Action"] = actions + actions
        iam.put_role_policy(RoleName=name, PolicyName="cross-account-data-access", PolicyDocument=json.dumps(permissions))
        assert _doc(iam.get_role_policy(RoleName=name, PolicyName="cross-account-data-access")["PolicyDocument"]) == permissions
        _converged(run_module("cross_account.aws.trust_role", role_args, prod_account_id))

        # Bucket policy: a foreign statement without Sid is written back as "Sid": "" with duplicated values;
        # our statements get duplicated actions.
        _ok(run_module("cross_account.aws.bucket_policy", bp_args, prod_account_id))
        current = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        for item in current["Statement"]:
            actions = item["Action"] if isinstance(item["Action"], list) else [item["Action"]]
            item["Action"] = actions + actions[:1]
        foreign = {"Sid": "", "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{prod_account_id}:root"] * 2},
                   "Action": ["s3:GetBucketTagging", "s3:GetBucketTagging"], "Resource": f"arn:aws:s3:::{bucket}"}
        current["Statement"].append(foreign)
        s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(current))
        _converged(run_module("cross_account.aws.bucket_policy", bp_args, prod_account_id))
        assert foreign in json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    finally:
        _drop_role(iam, name)
        s3.delete_bucket_policy(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)


# --- case 5: other teams' bucket policy statements --------------------------------------------------------------


def test_case05_foreign_bucket_policy_statements_survive_deploy_and_cleanup(run_module, aws_client, prod_account_id):
    s3 = aws_client("s3", prod_account_id)
    bucket = _uid("drift-foreign")
    s3.create_bucket(Bucket=bucket)
    foreign = [
        {"Sid": "OtherTeamReadTags", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{prod_account_id}:root"},
         "Action": "s3:GetBucketTagging", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Sid": "OtherTeamDenyDeleteBucket", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket",
         "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{prod_account_id}:role/Admin*"}}},
    ]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": foreign}))
    args = {"bucket": bucket, "access_role_arns": [f"arn:aws:iam::{prod_account_id}:role/DevToProdDataAccess"]}
    try:
        deployed = _ok(run_module("cross_account.aws.bucket_policy", args, prod_account_id))
        assert deployed["changed"] and sorted(deployed["foreign_sids"]) == ["OtherTeamDenyDeleteBucket", "OtherTeamReadTags"]
        after = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        for statement in foreign:
            assert statement in after  # byte for byte as the other team wrote it
        assert len(after) > 2
        _converged(run_module("cross_account.aws.bucket_policy", args, prod_account_id))

        removed = _ok(run_module("cross_account.aws.bucket_policy", {"bucket": bucket, "state": "absent"}, prod_account_id))
        assert removed["changed"] and removed["changes"] == ["policy"]
        assert "s3:DeleteBucketPolicy" not in removed["api_calls"]
        remaining = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        assert remaining == foreign
        _converged(run_module("cross_account.aws.bucket_policy", {"bucket": bucket, "state": "absent"}, prod_account_id))
    finally:
        s3.delete_bucket_policy(Bucket=bucket)
        s3.delete_bucket(Bucket=bucket)


# --- cases 6 and 7: the trail -------------------------------------------------------------------------------------


@pytest.fixture
def trail_setup(aws_client, prod_account_id):
    suffix = uuid.uuid4().hex[:10]
    s3, kms, ct = (aws_client(s, prod_account_id) for s in ("s3", "kms", "cloudtrail"))
    log_bucket = f"drift-logs-{suffix}"
    s3.create_bucket(Bucket=log_bucket)
    key = kms.create_key(Description="drift trail test")["KeyMetadata"]
    alias = f"alias/drift-trail-{suffix}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ctx = {"name": f"drift-trail-{suffix}", "log_bucket": log_bucket, "alias": alias, "key_arn": key["Arn"], "ct": ct,
           "data_bucket": f"drift-data-{suffix}"}
    yield ctx
    try:
        ct.delete_trail(Name=ctx["name"])
    except ct.exceptions.ClientError:
        pass
    kms.delete_alias(AliasName=alias)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    s3.delete_bucket(Bucket=log_bucket)


def test_case06_trail_kms_alias_converges_without_update_trail(run_module, prod_account_id, trail_setup):
    ctx = trail_setup
    args = {"name": ctx["name"], "s3_bucket": ctx["log_bucket"], "kms_key": ctx["alias"], "data_event_buckets": [ctx["data_bucket"]]}
    created = _ok(run_module("cross_account.aws.trail", args, prod_account_id))
    assert created["changed"] and created["kms_key_arn"] == ctx["key_arn"]
    again = _converged(run_module("cross_account.aws.trail", args, prod_account_id))
    assert "cloudtrail:UpdateTrail" not in again["api_calls"] and "kms:DescribeKey" in again["api_calls"]

    # The trail set up out of band with the alias (another tool, the console): the same key, no UpdateTrail.
    # AWS stores the key ARN; ministack keeps the alias as given, which the module resolves before comparing.
    ctx["ct"].update_trail(Name=ctx["name"], KmsKeyId=ctx["alias"])
    stored = ctx["ct"].get_trail(Name=ctx["name"])["Trail"]["KmsKeyId"]
    assert stored in (ctx["alias"], ctx["key_arn"])
    again = _converged(run_module("cross_account.aws.trail", args, prod_account_id))
    assert "cloudtrail:UpdateTrail" not in again["api_calls"]


def test_case07_basic_event_selectors_replaced_by_advanced(run_module, prod_account_id, trail_setup):
    ctx = trail_setup
    ct = ctx["ct"]
    ct.create_trail(Name=ctx["name"], S3BucketName=ctx["log_bucket"], IsMultiRegionTrail=True, EnableLogFileValidation=True,
                    IncludeGlobalServiceEvents=True, KmsKeyId=ctx["key_arn"])
    ct.put_event_selectors(TrailName=ctx["name"], EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [
        {"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{ctx['data_bucket']}/"]}]}])
    ct.start_logging(Name=ctx["name"])
    assert ct.get_event_selectors(TrailName=ctx["name"]).get("EventSelectors")
    args = {"name": ctx["name"], "s3_bucket": ctx["log_bucket"], "kms_key": ctx["key_arn"], "data_event_buckets": [ctx["data_bucket"]]}

    predicted = _ok(run_module("cross_account.aws.trail", args, prod_account_id, check=True, diff=True))
    assert predicted["changes"] == ["event_selectors"] and _writes(predicted) == []
    assert "basic" in predicted["diff"]["before"]["event_selectors"] and "advanced" in predicted["diff"]["after"]["event_selectors"]

    converted = _ok(run_module("cross_account.aws.trail", args, prod_account_id))
    assert converted["changes"] == ["event_selectors"] and _writes(converted) == ["cloudtrail:PutEventSelectors"]
    selectors = ct.get_event_selectors(TrailName=ctx["name"])
    assert not selectors.get("EventSelectors")
    advanced = selectors["AdvancedEventSelectors"]
    assert any(s["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Management"]}] for s in advanced), advanced
    assert any({"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::{ctx['data_bucket']}/"]} in s["FieldSelectors"] for s in advanced)
    _converged(run_module("cross_account.aws.trail", args, prod_account_id))


# --- case 8: a key pending deletion -------------------------------------------------------------------------------


def test_case08_key_pending_deletion_is_recovered(run_module, aws_client, prod_account_id):
    kms = aws_client("kms", prod_account_id)
    alias = f"alias/{_uid('drift-key')}"
    args = {"alias": alias, "description": "drift test key"}
    key_id = _ok(run_module("cross_account.aws.kms_key", args, prod_account_id))["key_id"]
    try:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

        predicted = _ok(run_module("cross_account.aws.kms_key", args, prod_account_id, check=True))
        assert predicted["changed"] and predicted["changes"] == ["cancel_deletion", "key_state"] and _writes(predicted) == []
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"

        recovered = _ok(run_module("cross_account.aws.kms_key", args, prod_account_id))
        assert recovered["changed"] and recovered["changes"] == ["cancel_deletion", "key_state"]
        assert _writes(recovered) == ["kms:CancelKeyDeletion", "kms:EnableKey"]
        assert recovered["key_id"] == key_id and recovered["key_state"] == "Enabled"
        assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_id  # alias intact, same key
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        _converged(run_module("cross_account.aws.kms_key", args, prod_account_id))
    finally:
        kms.delete_alias(AliasName=alias)
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


# --- case 9: a principal that IAM does not know (yet) -------------------------------------------------------------


def _invalid_principal(principal):
    return iam_error("MalformedPolicyDocument", f"Invalid principal in policy: &quot;AWS&quot;:&quot;{principal}&quot;")


def test_case09_invalid_principal_retried_then_named(run_module, iam, prod_account_id):
    """IAM answers ``MalformedPolicyDocument: Invalid principal in policy`` for a principal created seconds ago (until it
    has propagated) and for one that does not exist.

    Emulator gap: ministack accepts any principal and never gives that answer. A fault-injecting proxy in front of the
    emulator gives IAM's answer instead: twice (the module retries with backoff and succeeds through the real emulator),
    then always (after the bound -- lowered to 3 s with CROSS_ACCOUNT_AWS_PROPAGATION_TIMEOUT -- the module fails naming
    the principal, and nothing was created). tests/unit/plugins/module_utils/test_aws_propagation.py covers the bound
    and backoff with a fake clock.
    """
    name = _uid("drift-fresh")
    missing_account = "999999999999"
    args = _role_args(name, [DEV])
    principal = f"arn:aws:iam::{DEV}:root"
    try:
        with FaultProxy(emulator_url(), [Fault("CreateRole", 400, _invalid_principal(principal), times=2)]) as proxy:
            started = time.monotonic()
            created = _ok(run_module("cross_account.aws.trust_role", dict(args, endpoint_url=proxy.url), prod_account_id))
            assert time.monotonic() - started >= 1.0  # it waited before retrying
        assert created["changed"] and created["api_calls"].count("iam:CreateRole") == 3, created["api_calls"]
        assert proxy.calls.count("CreateRole") == 3
        assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name

        gone = _uid("drift-never")
        never_args = _role_args(gone, [missing_account])
        absent_principal = f"arn:aws:iam::{missing_account}:root"
        with FaultProxy(emulator_url(), [Fault("CreateRole", 400, _invalid_principal(absent_principal))]) as proxy:
            started = time.monotonic()
            failed = run_module("cross_account.aws.trust_role", dict(never_args, endpoint_url=proxy.url), prod_account_id,
                                extra_env={"CROSS_ACCOUNT_AWS_PROPAGATION_TIMEOUT": "3"})
            elapsed = time.monotonic() - started
        assert failed["failed"] is True
        assert absent_principal in failed["msg"] and "does not exist" in failed["msg"], failed["msg"]
        assert proxy.calls.count("CreateRole") >= 2  # retried before giving up
        assert elapsed < 30
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName=gone)
    finally:
        _drop_role(iam, name)


# --- case 10: a role with attachments -----------------------------------------------------------------------------


def test_case10_role_with_attachments_is_removed_cleanly(run_module, iam, prod_account_id):
    name = _uid("drift-full")
    _ok(run_module("cross_account.aws.trust_role", _role_args(name, [DEV], bucket=_uid("drift-any")), prod_account_id))
    iam.put_role_policy(RoleName=name, PolicyName="extra-inline", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    managed = iam.create_policy(PolicyName=_uid("drift-managed"), PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    profile = _uid("drift-profile")
    iam.create_instance_profile(InstanceProfileName=profile)
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=name)
    try:
        assert len(iam.list_role_policies(RoleName=name)["PolicyNames"]) == 2
        predicted = _ok(run_module("cross_account.aws.trust_role", {"name": name, "state": "absent"}, prod_account_id, check=True))
        assert predicted["changed"] and predicted["changes"] == ["delete"] and _writes(predicted) == []
        iam.get_role(RoleName=name)

        removed = _ok(run_module("cross_account.aws.trust_role", {"name": name, "state": "absent"}, prod_account_id))
        assert removed["changed"] and removed["changes"] == ["delete"]
        assert sorted(_writes(removed)) == sorted(
            ["iam:DeleteRolePolicy", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteRole"]
        )
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_role(RoleName=name)
        # What was not the role's own stays: the managed policy (detached) and the instance profile (empty).
        assert iam.get_policy(PolicyArn=managed)["Policy"]["AttachmentCount"] == 0
        assert iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"] == []
        _converged(run_module("cross_account.aws.trust_role", {"name": name, "state": "absent"}, prod_account_id))
    finally:
        iam.delete_policy(PolicyArn=managed)
        iam.delete_instance_profile(InstanceProfileName=profile)
