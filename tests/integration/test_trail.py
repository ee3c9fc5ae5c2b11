"""cross_account.aws.trail and trail_info against the local emulator."""

import re
import uuid

import pytest

MODULE = "cross_account.aws.trail"
INFO = "cross_account.aws.trail_info"
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|Describe|List|Head)[A-Za-z]*$")
DEAD_ENDPOINT = "http://127.0.0.1:9"
MANAGEMENT = {"Field": "eventCategory", "Equals": ["Management"]}


def _only_reads(result):
    writes = [c for c in result["api_calls"] if not READ_ONLY.match(c)]
    assert not writes, f"a converged run made write calls: {writes}"


@pytest.fixture
def setup(aws_client, prod_account_id):
    """A log bucket and a KMS key with an alias; the trail name is unique per test."""
    suffix = uuid.uuid4().hex[:10]
    s3 = aws_client("s3", prod_account_id)
    kms = aws_client("kms", prod_account_id)
    ct = aws_client("cloudtrail", prod_account_id)
    log_bucket = f"trail-logs-{suffix}"
    s3.create_bucket(Bucket=log_bucket)
    key = kms.create_key(Description="trail test")["KeyMetadata"]
    alias = f"alias/trail-test-{suffix}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    ctx = {
        "name": f"trail-{suffix}",
        "log_bucket": log_bucket,
        "data_buckets": [f"data-a-{suffix}", f"data-b-{suffix}"],
        "alias": alias,
        "key_arn": key["Arn"],
        "ct": ct,
        "s3": s3,
    }
    yield ctx
    try:
        ct.delete_trail(Name=ctx["name"])
    except ct.exceptions.ClientError:
        pass
    kms.delete_alias(AliasName=alias)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    s3.delete_bucket(Bucket=log_bucket)


def _exists(ct, name):
    try:
        ct.get_trail(Name=name)
        return True
    except ct.exceptions.TrailNotFoundException:
        return False


def _advanced(ct, name):
    return ct.get_event_selectors(TrailName=name).get("AdvancedEventSelectors") or []


def _data_arns(selectors):
    for selector in selectors:
        for field in selector["FieldSelectors"]:
            if field["Field"] == "resources.ARN":
                return sorted(field["StartsWith"])
    return []


def test_lifecycle(run_module, prod_account_id, setup):
    ct, name = setup["ct"], setup["name"]
    args = {
        "name": name,
        "s3_bucket": setup["log_bucket"],
        "s3_key_prefix": "cloudtrail",
        "kms_key": setup["alias"],
        "data_event_buckets": setup["data_buckets"][:1],
        "tags": {"owner": "platform"},
    }

    predicted = run_module(MODULE, args, prod_account_id, check=True, diff=True)
    assert predicted["failed"] is False and predicted["changed"] is True, predicted
    assert predicted["changes"] == ["create"]
    assert predicted["diff"]["before"] == {} and predicted["diff"]["after"]["kms_key_id"] == setup["key_arn"]
    _only_reads(predicted)
    assert not _exists(ct, name), "check mode must not create the trail"

    created = run_module(MODULE, args, prod_account_id)
    assert created["changed"] is True, created
    assert "cloudtrail:CreateTrail" in created["api_calls"] and "cloudtrail:StartLogging" in created["api_calls"]
    trail = ct.get_trail(Name=name)["Trail"]
    assert trail["KmsKeyId"] == setup["key_arn"], "the alias is resolved to the key ARN"
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"] and trail["IncludeGlobalServiceEvents"]
    assert trail["S3BucketName"] == setup["log_bucket"] and trail["S3KeyPrefix"] == "cloudtrail"
    assert ct.get_trail_status(Name=name)["IsLogging"] is True
    selectors = _advanced(ct, name)
    assert any(s["FieldSelectors"] == [MANAGEMENT] for s in selectors)
    assert _data_arns(selectors) == [f"arn:aws:s3:::{setup['data_buckets'][0]}/"]
    tags = ct.list_tags(ResourceIdList=[trail["TrailARN"]])["ResourceTagList"][0]["TagsList"]
    assert tags == [{"Key": "owner", "Value": "platform"}]
    assert created["trail"]["arn"] == trail["TrailARN"] and created["trail"]["is_logging"] is True
    assert created["kms_key_arn"] == setup["key_arn"]

    # converged: the alias costs one DescribeKey and no UpdateTrail
    again = run_module(MODULE, args, prod_account_id)
    assert again["changed"] is False and again["changes"] == [], again
    assert again["api_calls"] == [
        "cloudtrail:GetTrail",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:ListTags",
        "kms:DescribeKey",
    ]
    _only_reads(again)
    # given as the key ARN, no DescribeKey at all
    by_arn = run_module(MODULE, dict(args, kms_key=setup["key_arn"]), prod_account_id)
    assert by_arn["changed"] is False and "kms:DescribeKey" not in by_arn["api_calls"], by_arn

    info = run_module(INFO, {"name": name}, prod_account_id, check=True)
    assert info["failed"] is False and info["changed"] is False and info["exists"] is True, info
    assert info["trail"]["is_logging"] is True and info["trail"]["kms_key_id"] == setup["key_arn"]
    assert info["management_events"] is True
    assert info["data_event_buckets"] == setup["data_buckets"][:1]
    assert info["trail"]["tags"] == {"owner": "platform"}
    _only_reads(info)

    # update with diff: a second data bucket, no log file validation
    updated_args = dict(args, data_event_buckets=setup["data_buckets"], log_file_validation=False)
    update = run_module(MODULE, updated_args, prod_account_id, diff=True)
    assert update["changed"] is True and update["changes"] == ["settings", "event_selectors"], update
    assert update["diff"]["before"]["settings"]["log_file_validation_enabled"] is True
    assert update["diff"]["after"]["settings"]["log_file_validation_enabled"] is False
    assert setup["data_buckets"][1] not in str(update["diff"]["before"]["event_selectors"])
    assert setup["data_buckets"][1] in str(update["diff"]["after"]["event_selectors"])
    assert _data_arns(_advanced(ct, name)) == sorted(f"arn:aws:s3:::{b}/" for b in setup["data_buckets"])
    assert ct.get_trail(Name=name)["Trail"]["LogFileValidationEnabled"] is False
    assert run_module(MODULE, updated_args, prod_account_id)["changed"] is False

    # out-of-band drift: logging stopped, management selector dropped, tag removed
    ct.stop_logging(Name=name)
    ct.put_event_selectors(TrailName=name, AdvancedEventSelectors=[s for s in _advanced(ct, name) if s["FieldSelectors"] != [MANAGEMENT]])
    ct.remove_tags(ResourceId=trail["TrailARN"], TagsList=[{"Key": "owner"}])
    repaired = run_module(MODULE, updated_args, prod_account_id)
    assert repaired["changed"] is True and repaired["changes"] == ["event_selectors", "logging", "tags"], repaired
    assert ct.get_trail_status(Name=name)["IsLogging"] is True
    assert any(s["FieldSelectors"] == [MANAGEMENT] for s in _advanced(ct, name))
    assert run_module(MODULE, updated_args, prod_account_id)["changed"] is False

    # absent: stops logging and deletes the trail; the log bucket stays
    predicted = run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id, check=True)
    assert predicted["changed"] is True and predicted["changes"] == ["delete"]
    assert _exists(ct, name)
    removed = run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id)
    assert removed["changed"] is True, removed
    assert removed["api_calls"][-2:] == ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"]
    assert not _exists(ct, name)
    setup["s3"].head_bucket(Bucket=setup["log_bucket"])  # never touched
    gone = run_module(MODULE, {"name": name, "state": "absent"}, prod_account_id)
    assert gone["changed"] is False and gone["api_calls"] == ["cloudtrail:GetTrail"], gone

    info = run_module(INFO, {"name": name}, prod_account_id)
    assert info["exists"] is False and info["trail"] == {} and info["data_event_buckets"] == []


def test_basic_selectors_are_converted(run_module, prod_account_id, setup):
    """A trail with basic selectors gets advanced ones (management events kept), then converges."""
    ct, name = setup["ct"], setup["name"]
    ct.create_trail(Name=name, S3BucketName=setup["log_bucket"], IsMultiRegionTrail=True,
                    EnableLogFileValidation=True, IncludeGlobalServiceEvents=True, KmsKeyId=setup["key_arn"])
    ct.put_event_selectors(
        TrailName=name,
        EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": True,
                         "DataResources": [{"Type": "AWS::S3::Object", "Values": [f"arn:aws:s3:::{setup['data_buckets'][0]}/"]}]}],
    )
    ct.start_logging(Name=name)

    info = run_module(INFO, {"name": name}, prod_account_id)
    assert info["advanced_event_selectors"] == [] and len(info["basic_event_selectors"]) == 1, info
    assert info["management_events"] is True and info["data_event_buckets"] == setup["data_buckets"][:1]

    args = {"name": name, "s3_bucket": setup["log_bucket"], "kms_key": setup["key_arn"], "data_event_buckets": setup["data_buckets"][:1]}
    predicted = run_module(MODULE, args, prod_account_id, check=True, diff=True)
    assert predicted["changes"] == ["event_selectors"], predicted
    assert "basic" in predicted["diff"]["before"]["event_selectors"]
    assert "advanced" in predicted["diff"]["after"]["event_selectors"]
    assert not _advanced(ct, name), "check mode must not write"

    converted = run_module(MODULE, args, prod_account_id)
    assert converted["changed"] is True and converted["changes"] == ["event_selectors"], converted
    assert "cloudtrail:UpdateTrail" not in converted["api_calls"]
    selectors = ct.get_event_selectors(TrailName=name)
    assert not selectors.get("EventSelectors")
    assert any(s["FieldSelectors"] == [MANAGEMENT] for s in selectors["AdvancedEventSelectors"])
    assert _data_arns(selectors["AdvancedEventSelectors"]) == [f"arn:aws:s3:::{setup['data_buckets'][0]}/"]

    again = run_module(MODULE, args, prod_account_id)
    assert again["changed"] is False, again
    _only_reads(again)
    info = run_module(INFO, {"name": name}, prod_account_id)
    assert info["management_events"] is True and info["basic_event_selectors"] == []


def test_missing_kms_alias(run_module, prod_account_id, setup):
    args = {"name": setup["name"], "s3_bucket": setup["log_bucket"], "kms_key": "alias/does-not-exist-here"}
    result = run_module(MODULE, args, prod_account_id)
    assert result["failed"] is True and "kms_key:" in result["msg"], result
    assert not _exists(setup["ct"], setup["name"])


def test_invalid_options_fail_before_any_call(run_module, prod_account_id, setup):
    base = {"name": setup["name"], "s3_bucket": setup["log_bucket"], "endpoint_url": DEAD_ENDPOINT}
    cases = [
        ({"name": "x"}, "name"),
        ({"name": "bad name!"}, "name"),
        ({"s3_bucket": None}, "s3_bucket"),
        ({"s3_bucket": "Bad_Bucket"}, "s3_bucket"),
        ({"kms_key": "my-key"}, "kms_key"),
        ({"data_event_buckets": ["ok-bucket", "NO"]}, "data_event_buckets[1]"),
        ({"management_events": False}, "management_events"),
        ({"include_global_service_events": False}, "include_global_service_events"),
    ]
    for extra, option in cases:
        args = {k: v for k, v in dict(base, **extra).items() if v is not None}
        result = run_module(MODULE, args, prod_account_id)
        assert result["failed"] is True, (extra, result)
        assert result["msg"].startswith("Invalid options (nothing was changed):"), result["msg"]
        assert f"{option}:" in result["msg"], (option, result["msg"])
    info = run_module(INFO, {"name": "no", "endpoint_url": DEAD_ENDPOINT}, prod_account_id)
    assert info["failed"] is True and "name:" in info["msg"]
    assert not _exists(setup["ct"], setup["name"])
