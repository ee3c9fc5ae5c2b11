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


class FakeModule:
    def fail_json(self, msg):
        raise AssertionError(msg)


def test_check_names_every_option_and_hides_none_values():
    with pytest.raises(AssertionError) as err:
        validate.check(FakeModule(), [("a", 1, "must be x"), ("external_id", None, "must be y"), ("c", 3, None)])
    assert str(err.value) == "Invalid options (nothing was changed): a: 1 must be x; external_id: must be y"


@pytest.mark.parametrize("action,ok", [("s3:GetObject", True), ("S3:PutObject", True), ("s3:*", False), ("s3:Get?bject", False), ("kms:Decrypt", False)])
def test_s3_action_is_single_and_without_wildcards(action, ok):
    assert (validate.s3_action(action) is None) is ok
