"""bucket_policy's answer to S3's "Invalid principal in policy" (the emulator never gives it)."""

import botocore.exceptions
import pytest

from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.modules import bucket_policy

ROLE = "arn:aws:iam::222222222222:role/CreatedSecondsAgo"


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self):
        self.params = {"bucket": "data-bucket", "access_role_arns": [ROLE]}
        self.failure = None

    def fail_json_aws(self, error, msg):
        self.failure = (error, msg)
        raise Failed(msg)


class FakeS3:
    def __init__(self, failures):
        self.failures = failures
        self.calls = 0

    def put_bucket_policy(self, **_kwargs):
        self.calls += 1
        if self.calls <= self.failures:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "MalformedPolicy", "Message": "Invalid principal in policy"}}, "PutBucketPolicy"
            )
        return {}


@pytest.fixture(autouse=True)
def fast_clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(aws.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(aws.time, "sleep", lambda seconds: now.__setitem__(0, now[0] + seconds))


def test_new_principal_is_retried_until_it_propagates():
    s3 = FakeS3(failures=3)
    bucket_policy.put_policy(FakeModule(), s3, {"Statement": []})
    assert s3.calls == 4


def test_missing_principal_fails_naming_it():
    module, s3 = FakeModule(), FakeS3(failures=10**6)
    with pytest.raises(Failed):
        bucket_policy.put_policy(module, s3, {"Statement": []})
    assert s3.calls > 1
    assert ROLE in module.failure[1] and "does not exist" in module.failure[1]
