"""Semantic comparison and merging of policy documents (plugins/module_utils/policy.py)."""

import copy

import pytest

from ansible_collections.cross_account.aws.plugins.module_utils import policy

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TrustDevelopmentPrincipals",
            "Effect": "Allow",
            "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::333333333333:root"]},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"sts:ExternalId": "ext-1"},
                "Bool": {"aws:MultiFactorAuthPresent": "true"},
                "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::111111111111:role/a", "arn:aws:iam::333333333333:role/b"]},
            },
        },
        {"Sid": "Second", "Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject"], "Resource": "*"},
    ],
}


def variant(mutate):
    doc = copy.deepcopy(TRUST)
    mutate(doc)
    return doc


def test_identical_documents_are_equal():
    assert policy.equal(TRUST, copy.deepcopy(TRUST))


def test_statement_order_does_not_matter():
    assert policy.equal(TRUST, variant(lambda d: d["Statement"].reverse()))


def test_principal_order_does_not_matter():
    assert policy.equal(TRUST, variant(lambda d: d["Statement"][0]["Principal"]["AWS"].reverse()))


def test_scalar_equals_one_element_list():
    assert policy.equal(TRUST, variant(lambda d: d["Statement"][0].update(Action=["sts:AssumeRole"])))
    assert policy.equal(TRUST, variant(lambda d: d["Statement"][1].update(Action="s3:GetObject")))


def test_missing_version_reads_as_2012():
    assert policy.equal(TRUST, variant(lambda d: d.pop("Version")))


def test_boolean_true_equals_string_true():
    assert policy.equal(TRUST, variant(lambda d: d["Statement"][0]["Condition"]["Bool"].update({"aws:MultiFactorAuthPresent": True})))


def test_bool_false_differs_from_true():
    assert not policy.equal(TRUST, variant(lambda d: d["Statement"][0]["Condition"]["Bool"].update({"aws:MultiFactorAuthPresent": False})))


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_bare_account_id_equals_root_arn_in_every_partition(partition):
    ours = variant(lambda d: d["Statement"][0]["Principal"].update(AWS=[f"arn:{partition}:iam::111111111111:root", f"arn:{partition}:iam::333333333333:root"]))
    theirs = variant(lambda d: d["Statement"][0]["Principal"].update(AWS=["111111111111", "333333333333"]))
    assert policy.equal(ours, theirs, partition)


def test_root_arn_of_another_partition_differs():
    ours = variant(lambda d: d["Statement"][0]["Principal"].update(AWS=["arn:aws-cn:iam::111111111111:root", "arn:aws-cn:iam::333333333333:root"]))
    theirs = variant(lambda d: d["Statement"][0]["Principal"].update(AWS=["111111111111", "333333333333"]))
    assert not policy.equal(ours, theirs, "aws")


def test_unique_id_principal_is_drift_not_equality():
    drifted = variant(lambda d: d["Statement"][0]["Principal"].update(AWS=["AROAEXAMPLEUNIQUEID01", "arn:aws:iam::333333333333:root"]))
    assert not policy.equal(TRUST, drifted)
    assert policy.unique_id_principals(drifted) == ["AROAEXAMPLEUNIQUEID01"]
    assert policy.unique_id_principals(TRUST) == []


def test_empty_sid_equals_no_sid():
    with_empty = variant(lambda d: d["Statement"][1].update(Sid=""))
    without = variant(lambda d: d["Statement"][1].pop("Sid"))
    assert policy.equal(with_empty, without)


def test_duplicate_values_in_an_array_are_one():
    assert policy.equal(TRUST, variant(lambda d: d["Statement"][1].update(Action=["s3:GetObject", "s3:GetObject"])))


def test_action_and_condition_key_case_is_ignored():
    changed = variant(lambda d: d["Statement"][0].update(Action="STS:assumeRole"))
    changed["Statement"][0]["Condition"]["StringEquals"] = {"STS:ExternalID": "ext-1"}
    assert policy.equal(TRUST, changed)


def test_condition_value_case_matters():
    assert not policy.equal(TRUST, variant(lambda d: d["Statement"][0]["Condition"]["StringEquals"].update({"sts:ExternalId": "EXT-1"})))


def test_different_effect_is_a_difference():
    assert not policy.equal(TRUST, variant(lambda d: d["Statement"][1].update(Effect="Allow")))


def test_json_text_and_url_encoded_text_parse():
    import json
    from urllib.parse import quote

    assert policy.equal(json.dumps(TRUST), TRUST)
    assert policy.equal(quote(json.dumps(TRUST)), TRUST)


def test_normalize_keeps_case_for_display_and_sorts():
    shown = policy.normalize({"Statement": {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"}})
    assert shown == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["*"]}]}


def test_managed_merge_keeps_foreign_statements_and_replaces_ours():
    current = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "OtherTeamRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444444444444:root"}, "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "CrossAccountOld", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"},
        ],
    }
    ours = [{"Sid": "CrossAccountNew", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]
    merged = policy.managed_merge(current, ours, lambda sid: sid.startswith("CrossAccount"))
    assert [s["Sid"] for s in merged["Statement"]] == ["OtherTeamRead", "CrossAccountNew"]
    assert merged["Statement"][0] == current["Statement"][0]


def test_managed_merge_returns_none_when_nothing_is_left():
    current = {"Statement": [{"Sid": "CrossAccountOld", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    assert policy.managed_merge(current, [], lambda sid: sid.startswith("CrossAccount")) is None
    assert policy.managed_merge(None, [], lambda sid: True) is None


def test_redact_condition_hides_external_id_but_shows_change():
    a = policy.redact_condition(policy.normalize(TRUST))
    b = policy.redact_condition(policy.normalize(variant(lambda d: d["Statement"][0]["Condition"]["StringEquals"].update({"sts:ExternalId": "ext-2"}))))
    text = str(a)
    assert "ext-1" not in text and "redacted" in text
    assert a != b


@pytest.mark.parametrize(
    "region,partition",
    [("us-east-1", "aws"), ("eu-west-1", "aws"), ("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), (None, "aws")],
)
def test_partition_for_region(region, partition):
    assert policy.partition_for_region(region) == partition
