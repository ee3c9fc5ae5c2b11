"""Option rules (plugins/module_utils/validate.py): the message names the rule broken."""

import pytest

from ansible_collections.cross_account.aws.plugins.module_utils import validate


@pytest.mark.parametrize(
    "kind,good,bad",
    [
        ("account_id", "111111111111", "11111111111"),
        ("external_id", "Data-Access_2026:team/a@b.c=d,e+f", "has space"),
        ("external_id", "ab", "a"),
        ("region", "eu-west-1", "europe"),
        ("region", "us-gov-west-1", "us-east"),
        ("organization_id", "o-abcdefghij", "abcdefghij"),
        ("kms_alias", "alias/xacct-data", "alias/aws/s3"),
        ("bucket_name", "xacct-data-222222222222", "Upper_Case"),
        ("role_name", "DevToProdDataAccess", "bad name"),
        # a trailing newline (a YAML block scalar) would pass a match-with-$ and end up in the policy
        ("account_id", "111111111111", "111111111111\n"),
        ("external_id", "abc", "abc\n"),
        ("region", "us-east-1", "us-east-1\n"),
        ("region", "eu-isoe-west-1", "mars-1"),
    ],
)
def test_rules(kind, good, bad):
    assert validate.rule(kind, good) is None
    assert validate.rule(kind, bad)


def test_external_id_length_limit():
    assert validate.rule("external_id", "a" * 1224) is None
    assert validate.rule("external_id", "a" * 1225)


def test_arn_rules():
    assert validate.arn("arn:aws:iam::111111111111:role/x", "iam") is None
    assert "wildcards" in validate.arn("arn:aws:iam::111111111111:role/*", "iam")
    assert validate.arn("arn:aws:iam::111111111111:role/*", "iam", wildcards=True) is None
    assert "service kms" in validate.arn("arn:aws:iam::111111111111:role/x", "kms")
    assert validate.arn("not-an-arn")


@pytest.mark.parametrize("value,service", [
    ("arn:aws:iam::22222222222:role/R", "iam"),          # 11 digits: never matches a principal
    ("arn:aws:iam::2222:role/R", "iam"),
    ("arn:aws:cloudtrail:mars-1:222222222222:trail/t", "cloudtrail"),
    ("arn:aws:cloudtrail:us-east-1:22:trail/t", "cloudtrail"),
    ("arn:aws:kms:us-east-1::key/1234", "kms"),
    ("arn:aws:iam::222222222222:role/R\n", "iam"),
])
def test_arn_account_and_region_must_be_well_formed(value, service):
    assert validate.arn(value, service)


def test_arn_error_example_matches_the_service():
    assert "arn:aws:kms:" in validate.arn("arn:aws:kms:us-east-1:2:key/x", "kms")
    assert validate.arn("arn:aws:s3:::bucket/key", "s3") is None  # S3 ARNs name no account


class FakeModule:
    def fail_json(self, msg):
        raise AssertionError(msg)


def test_check_names_every_option_and_hides_none_values():
    with pytest.raises(AssertionError) as err:
        validate.check(FakeModule(), [("a", 1, "must be x"), ("external_id", None, "must be y"), ("c", 3, None)])
    assert str(err.value) == "Invalid options (nothing was changed): a: 1 must be x; external_id: must be y"


@pytest.mark.parametrize("action,ok", [
    ("s3:GetObject", True), ("S3:PutObject", True), ("s3:*", False), ("s3:Get?bject", False), ("kms:Decrypt", False),
    ("s3:Get Object", False), ("s3:", False), ('s3:"x', False),
])
def test_s3_action_is_single_and_without_wildcards(action, ok):
    assert (validate.s3_action(action) is None) is ok
