"""cross_account.aws.bucket against the local emulator: secure defaults, converge, update, drift, absent."""

import uuid

import pytest

MODULE = "cross_account.aws.bucket"
READ_PREFIXES = ("Get", "Describe", "List", "Head")
CONVERGED_CALLS = [
    "s3:HeadBucket",
    "s3:GetBucketEncryption",
    "s3:GetPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketVersioning",
    "s3:GetBucketLifecycleConfiguration",
    "s3:GetBucketTagging",
]
ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}


def _name(prefix="test-bucket"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _read_only(result):
    return all(call.split(":", 1)[1].startswith(READ_PREFIXES) for call in result["api_calls"])


def _ok(result):
    assert not result["failed"], result.get("msg") or result["_stderr"]
    return result


def _exists(s3, name):
    try:
        s3.head_bucket(Bucket=name)
        return True
    except s3.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] in ("404", "NoSuchBucket")
        return False


@pytest.fixture
def s3(aws_client, prod_account_id):
    return aws_client("s3", prod_account_id)


@pytest.fixture
def data_key(aws_client, prod_account_id):
    """A KMS key with an alias, made with boto3 so this test depends on the bucket module only."""
    kms = aws_client("kms", prod_account_id)
    alias = f"alias/{_name('bucket-key')}"
    key = kms.create_key(Description="bucket test key")["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    yield alias, key["Arn"]
    kms.delete_alias(AliasName=alias)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)


def test_create_converge_update_and_repair_drift(run_module, s3, data_key, prod_account_id):
    alias, key_arn = data_key
    name = _name()
    args = {
        "name": name,
        "kms_key": key_arn,
        "lifecycle_rules": [{"id": "expire-verification", "prefix": "verification/", "expiration_days": 1}],
        "tags": {"owner": "platform"},
    }

    # check mode: predicts the creation, writes nothing
    predicted = _ok(run_module(MODULE, args, prod_account_id, check=True, diff=True))
    assert predicted["changed"] and predicted["changes"] == ["create"] and _read_only(predicted)
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"]["encryption"] == {"sse_algorithm": "aws:kms", "kms_key": key_arn, "bucket_key_enabled": True}
    assert not _exists(s3, name)

    created = _ok(run_module(MODULE, args, prod_account_id))
    assert created["changed"] and created["changes"] == ["create"]
    assert created["bucket"] == {"name": name, "region": "us-east-1", "arn": f"arn:aws:s3:::{name}"}
    assert "kms:DescribeKey" not in created["api_calls"]  # a key ARN needs no lookup
    rule = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert rule["BucketKeyEnabled"] is True
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert [(r["ID"], r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules] == [("expire-verification", "verification/", 1)]
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "owner", "Value": "platform"}]

    # converged: no change, only the documented reads
    again = _ok(run_module(MODULE, args, prod_account_id))
    assert not again["changed"] and again["changes"] == []
    assert again["api_calls"] == CONVERGED_CALLS

    # the key named by its alias resolves to the same ARN: one kms:DescribeKey, still converged
    by_alias = _ok(run_module(MODULE, dict(args, kms_key=alias), prod_account_id))
    assert not by_alias["changed"] and by_alias["api_calls"] == ["s3:HeadBucket", "kms:DescribeKey"] + CONVERGED_CALLS[1:]

    # update the lifecycle rules, diff shown; check mode first
    updated_args = dict(
        args,
        lifecycle_rules=[
            {"id": "expire-verification", "prefix": "verification/", "expiration_days": 2, "noncurrent_version_expiration_days": 1},
            {"id": "abort-uploads", "abort_incomplete_multipart_days": 7},
        ],
    )
    check = _ok(run_module(MODULE, updated_args, prod_account_id, check=True, diff=True))
    assert check["changes"] == ["lifecycle"] and _read_only(check)
    assert len(s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]) == 1
    updated = _ok(run_module(MODULE, updated_args, prod_account_id, diff=True))
    assert updated["changes"] == ["lifecycle"] and updated["api_calls"][-1] == "s3:PutBucketLifecycleConfiguration"
    assert updated["diff"]["before"]["lifecycle"] == [
        {"id": "expire-verification", "prefix": "verification/", "enabled": True, "expiration_days": 1}
    ]
    assert updated["diff"]["after"]["lifecycle"] == [
        {"id": "abort-uploads", "prefix": "", "enabled": True, "abort_incomplete_multipart_days": 7},
        {"id": "expire-verification", "prefix": "verification/", "enabled": True, "expiration_days": 2,
         "noncurrent_version_expiration_days": 1},
    ]
    assert {r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]} == {"expire-verification", "abort-uploads"}
    assert not _ok(run_module(MODULE, updated_args, prod_account_id))["changed"]

    # out-of-band drift in every setting
    s3.put_bucket_encryption(
        Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}
    )
    s3.delete_public_access_block(Bucket=name)
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_bucket_lifecycle(Bucket=name)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "owner", "Value": "someone"}, {"Key": "stray", "Value": "x"}]})
    repaired = _ok(run_module(MODULE, updated_args, prod_account_id, diff=True))
    assert repaired["changes"] == ["encryption", "public_access_block", "ownership", "versioning", "lifecycle", "tags"]
    assert repaired["diff"]["before"]["versioning"] == "Suspended" and repaired["diff"]["after"]["versioning"] == "Enabled"
    assert repaired["diff"]["before"]["public_access_block"]["block_public_policy"] is False
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == ALL_BLOCKED
    assert s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key_arn
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "owner", "Value": "platform"}]
    final = _ok(run_module(MODULE, updated_args, prod_account_id))
    assert not final["changed"] and _read_only(final)

    # tags: purge_tags=false keeps foreign tags; removing every tag deletes the tag set
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "owner", "Value": "platform"}, {"Key": "team", "Value": "data"}]})
    assert not _ok(run_module(MODULE, dict(updated_args, purge_tags=False), prod_account_id))["changed"]
    untagged = _ok(run_module(MODULE, dict(updated_args, tags={}), prod_account_id))
    assert untagged["changes"] == ["tags"] and untagged["api_calls"][-1] == "s3:DeleteBucketTagging"

    _ok(run_module(MODULE, {"name": name, "state": "absent", "force": True}, prod_account_id))


def test_sse_s3_without_key_and_region_outside_us_east_1(run_module, aws_client, prod_account_id):
    name = _name()
    s3 = aws_client("s3", prod_account_id)
    args = {"name": name, "region": "eu-west-1", "versioning": False}
    created = _ok(run_module(MODULE, args, prod_account_id))
    assert created["bucket"]["region"] == "eu-west-1"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    again = _ok(run_module(MODULE, args, prod_account_id, diff=True))
    assert not again["changed"], again["changes"]
    assert again["diff"]["after"]["encryption"] == {"sse_algorithm": "AES256"}
    assert again["diff"]["after"]["versioning"] == "Disabled"
    # a bucket in another region than the module's is named clearly, nothing is written
    wrong_region = run_module(MODULE, {"name": name}, prod_account_id)
    assert wrong_region["failed"] and "eu-west-1" in wrong_region["msg"] and _read_only(wrong_region)
    _ok(run_module(MODULE, {"name": name, "state": "absent", "region": "eu-west-1"}, prod_account_id))


def test_absent_refuses_objects_unless_forced(run_module, s3, prod_account_id):
    name = _name()
    _ok(run_module(MODULE, {"name": name}, prod_account_id))
    s3.put_object(Bucket=name, Key="data/a.txt", Body=b"one")
    s3.put_object(Bucket=name, Key="data/a.txt", Body=b"two")
    s3.put_object(Bucket=name, Key="data/b.txt", Body=b"three")
    s3.delete_object(Bucket=name, Key="data/b.txt")  # leaves a delete marker
    absent = {"name": name, "state": "absent"}

    refused = run_module(MODULE, absent, prod_account_id)
    assert refused["failed"] and refused["object_versions"] == 4
    assert refused["msg"] == (
        f"bucket {name} still holds 4 object versions/delete markers; nothing was deleted. Set force: true to delete them."
    )
    assert _read_only(refused) and _exists(s3, name)

    check = _ok(run_module(MODULE, dict(absent, force=True), prod_account_id, check=True, diff=True))
    assert check["changed"] and check["changes"] == ["delete"] and check["object_versions"] == 4 and _read_only(check)
    assert check["diff"]["before"] == {"name": name, "object_versions": 4} and check["diff"]["after"] == {}
    assert _exists(s3, name)

    deleted = _ok(run_module(MODULE, dict(absent, force=True), prod_account_id))
    assert deleted["changed"] and deleted["object_versions"] == 4 and deleted["bucket"] == {}
    assert deleted["api_calls"][-2:] == ["s3:DeleteObjects", "s3:DeleteBucket"]
    assert not _exists(s3, name)

    again = _ok(run_module(MODULE, absent, prod_account_id))
    assert not again["changed"] and again["api_calls"] == ["s3:HeadBucket"]


def test_absent_empty_bucket_without_force(run_module, s3, prod_account_id):
    name = _name()
    _ok(run_module(MODULE, {"name": name}, prod_account_id))
    deleted = _ok(run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id))
    assert deleted["changed"] and deleted["object_versions"] == 0
    assert deleted["api_calls"] == ["s3:HeadBucket", "s3:ListObjectVersions", "s3:DeleteBucket"]
    assert not _exists(s3, name)


def test_bucket_of_another_account_is_refused(run_module, s3, prod_account_id, dev_account_id):
    name = _name()
    s3.create_bucket(Bucket=name)
    try:
        for args in ({"name": name}, {"name": name, "state": "absent", "force": True}):
            result = run_module(MODULE, args, dev_account_id)
            assert result["failed"] and "belongs to another account" in result["msg"]
            assert result["api_calls"] == ["s3:HeadBucket"]
        assert _exists(s3, name)
    finally:
        s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize(
    "args, option, rule",
    [
        ({"name": "Bad_Bucket"}, "name", "must be 3-63 characters"),
        ({"name": "ab"}, "name", "must be 3-63 characters"),
        ({"name": "ok-bucket-name", "kms_key": "not a key"}, "kms_key", "must be a KMS key ARN"),
        ({"name": "ok-bucket-name", "kms_key": "arn:aws:s3:::bucket"}, "kms_key", "service kms"),
        ({"name": "ok-bucket-name", "lifecycle_rules": [{"id": "r"}]}, "lifecycle_rules[0]", "needs at least one of"),
        ({"name": "ok-bucket-name", "lifecycle_rules": [{"id": "r", "expiration_days": 0}]},
         "lifecycle_rules[0].expiration_days", "at least 1"),
        ({"name": "ok-bucket-name", "lifecycle_rules": [{"id": "r", "expiration_days": 1}, {"id": "r", "expiration_days": 2}]},
         "lifecycle_rules[1].id", "unique"),
    ],
)
def test_invalid_options_fail_before_any_api_call(run_module, prod_account_id, args, option, rule):
    result = run_module(MODULE, args, prod_account_id)
    assert result["failed"]
    assert not result.get("api_calls")
    assert f"{option}:" in result["msg"] and rule in result["msg"]
