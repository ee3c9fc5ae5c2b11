"""kms_key: an alias created by another run between our read and our CreateAlias leaves no second key enabled."""

import botocore.exceptions
import pytest

from ansible_collections.cross_account.aws.plugins.modules import kms_key


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, **params):
        self.params = dict(alias="alias/data", description=None, tags=None, enable_rotation=True, **params)
        self.api_calls = []

    def fail_json(self, **result):
        raise Failed(result)


class FakeKms:
    def __init__(self):
        self.calls = []

    def create_key(self, **kwargs):
        self.calls.append(("create_key", kwargs))
        return {"KeyMetadata": {"KeyId": "new-key", "Arn": "arn:aws:kms:us-east-1:222222222222:key/new-key", "KeyState": "Enabled"}}

    def create_alias(self, **kwargs):
        self.calls.append(("create_alias", kwargs))
        error = {"Error": {"Code": "AlreadyExistsException", "Message": "An alias with the name alias/data already exists"}}
        raise botocore.exceptions.ClientError(error, "CreateAlias")

    def schedule_key_deletion(self, **kwargs):
        self.calls.append(("schedule_key_deletion", kwargs))
        return {}

    def enable_key_rotation(self, **kwargs):
        self.calls.append(("enable_key_rotation", kwargs))


def test_alias_race_schedules_our_new_key_for_deletion_and_fails_clearly():
    module, kms = FakeModule(), FakeKms()
    with pytest.raises(Failed) as failure:
        kms_key.create_key(module, kms, {"Version": "2012-10-17", "Statement": []}, {})
    names = [name for name, _kwargs in kms.calls]
    assert names == ["create_key", "create_alias", "schedule_key_deletion"]  # no rotation on the orphan
    assert kms.calls[2][1]["KeyId"] == "new-key" and kms.calls[2][1]["PendingWindowInDays"] == 7
    assert kms.calls[0][1]["BypassPolicyLockoutSafetyCheck"] is False
    msg = failure.value.args[0]["msg"]
    assert "alias/data" in msg and "new-key" in msg and "Run again" in msg


@pytest.mark.parametrize("given, expected", [("data", "alias/data"), ("alias/data", "alias/data"), (" x/y ", "alias/x/y")])
def test_alias_is_normalised(given, expected):
    assert kms_key.normalise_alias(given) == expected
