"""permission_set: the waiting loop and the duration conversions (moto answers every request SUCCEEDED at once)."""

import pytest

from ansible_collections.cross_account.aws.plugins.modules import permission_set


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, wait_timeout=30):
        self.params = {"wait_timeout": wait_timeout}
        self.api_calls = []

    def fail_json(self, **result):
        raise Failed(result["msg"])


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(permission_set.time, "sleep", lambda _s: None)


def test_waits_until_succeeded():
    answers = iter([{"Status": "IN_PROGRESS", "RequestId": "r1"}, {"Status": "SUCCEEDED", "RequestId": "r1"}])
    seen = []

    def describe(request_id):
        seen.append(request_id)
        return next(answers)

    final = permission_set.wait_for(FakeModule(), describe, {"Status": "IN_PROGRESS", "RequestId": "r1"}, "provisioning")
    assert final["Status"] == "SUCCEEDED" and seen == ["r1", "r1"]


def test_no_poll_when_already_done():
    def describe(_request_id):
        raise AssertionError("must not poll a finished request")

    assert permission_set.wait_for(FakeModule(), describe, {"Status": "SUCCEEDED", "RequestId": "r"}, "x")["Status"] == "SUCCEEDED"


def test_failed_request_names_the_reason():
    with pytest.raises(Failed, match="provisioning the permission set failed: role quota exceeded"):
        permission_set.wait_for(FakeModule(), lambda _r: {"Status": "FAILED", "FailureReason": "role quota exceeded"},
                                {"Status": "IN_PROGRESS", "RequestId": "r"}, "provisioning the permission set")


def test_times_out(monkeypatch):
    clock = iter(range(0, 1000, 10))
    monkeypatch.setattr(permission_set.time, "monotonic", lambda: next(clock))
    with pytest.raises(Failed, match="did not finish within wait_timeout=30"):
        permission_set.wait_for(FakeModule(30), lambda _r: {"Status": "IN_PROGRESS", "RequestId": "r"},
                                {"Status": "IN_PROGRESS", "RequestId": "r"}, "assigning")


@pytest.mark.parametrize("seconds, text", [(3600, "PT1H"), (5400, "PT1H30M"), (43200, "PT12H"), (3660, "PT1H1M")])
def test_durations_round_trip(seconds, text):
    assert permission_set.iso_duration(seconds) == text
    assert permission_set.duration_seconds(text) == seconds


# --- the Identity Center trust pattern (trust_role trusted_permission_sets) ----------------------------------

def test_permission_set_pattern_matches_with_and_without_region_segment():
    import fnmatch

    from ansible_collections.cross_account.aws.plugins.module_utils import statements

    pattern = statements.permission_set_role_pattern("111111111111", "DataDeveloper")
    assert pattern == "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*"
    base = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/"
    assert fnmatch.fnmatchcase(base + "AWSReservedSSO_DataDeveloper_0123456789abcdef", pattern)
    assert fnmatch.fnmatchcase(base + "eu-west-1/AWSReservedSSO_DataDeveloper_0123456789abcdef", pattern)
    assert not fnmatch.fnmatchcase(base + "AWSReservedSSO_DataDeveloperAdmin_0123456789abcdef", pattern)
    assert not fnmatch.fnmatchcase("arn:aws:iam::999999999999:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataDeveloper_0", pattern)
    assert statements.permission_set_role_pattern("111111111111", "X", "aws-cn").startswith("arn:aws-cn:iam::")
