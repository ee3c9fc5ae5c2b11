"""Issue 3 case 9 and the shared core's general answers (plugins/module_utils/aws.py, reconcile.py).

- ``call_while_propagating``: "Invalid principal" is retried with growing, jittered waits within a bound, then the
  last error is raised; other errors are raised at once. A fake clock makes the bound testable.
- ``invalid_principals``: the principal AWS names in the error, for the module's message.
- the trust role's error names the principal (stubbed IAM client).
- ``Plan``: a create that meets "already exists" (a concurrent run) fails with a clear message; a unique-id
  principal in a current policy is warned about and never equals the ARN.

The integration test tests/integration/test_drift.py::test_case09_invalid_principal_retried_then_named shows the same
through Ansible and the emulator, with the error injected by a proxy (ministack never gives it).
"""

import botocore.exceptions
import pytest

from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan
from ansible_collections.cross_account.aws.plugins.modules import trust_role

PRINCIPAL = "arn:aws:iam::111111111111:root"
INVALID = f'Invalid principal in policy: "AWS":"{PRINCIPAL}"'


def _error(code, message, operation="CreateRole"):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": message}}, operation)


@pytest.fixture
def clock(monkeypatch):
    state = {"now": 0.0, "sleeps": []}
    monkeypatch.setattr(aws.time, "monotonic", lambda: state["now"])

    def sleep(seconds):
        state["sleeps"].append(seconds)
        state["now"] += seconds

    monkeypatch.setattr(aws.time, "sleep", sleep)
    return state


class Flaky:
    def __init__(self, failures, error):
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


def test_retried_with_growing_jittered_waits_until_it_propagates(clock):
    call = Flaky(4, _error("MalformedPolicyDocument", INVALID))
    assert aws.call_while_propagating(call, codes=["MalformedPolicyDocument"], message_contains="Invalid principal") == "done"
    assert call.calls == 5
    waits = clock["sleeps"]
    assert len(waits) == 4 and all(b > a for a, b in zip(waits, waits[1:]))
    assert 1.0 <= waits[0] <= 1.5  # delay plus up to half of it as jitter


def test_bounded_then_the_last_error_is_raised(clock, monkeypatch):
    call = Flaky(10**6, _error("MalformedPolicyDocument", INVALID))
    with pytest.raises(botocore.exceptions.ClientError):
        aws.call_while_propagating(call, codes=["MalformedPolicyDocument"], message_contains="Invalid principal")
    assert clock["now"] <= aws.DEFAULT_PROPAGATION_TIMEOUT and call.calls > 3
    assert max(clock["sleeps"]) <= 15.0

    monkeypatch.setenv(aws.PROPAGATION_TIMEOUT_ENV, "3")
    clock["now"], clock["sleeps"] = 0.0, []
    call = Flaky(10**6, _error("MalformedPolicyDocument", INVALID))
    with pytest.raises(botocore.exceptions.ClientError):
        aws.call_while_propagating(call, codes=["MalformedPolicyDocument"], message_contains="Invalid principal")
    assert clock["now"] <= 3.0 and call.calls >= 2


def test_other_errors_are_not_retried(clock):
    call = Flaky(1, _error("MalformedPolicyDocument", "Syntax errors in policy"))
    with pytest.raises(botocore.exceptions.ClientError):
        aws.call_while_propagating(call, codes=["MalformedPolicyDocument"], message_contains="Invalid principal")
    assert call.calls == 1 and clock["sleeps"] == []


def test_invalid_principals_names_what_aws_names():
    assert aws.invalid_principals(_error("MalformedPolicyDocument", INVALID)) == [PRINCIPAL]
    role = "arn:aws-cn:iam::123456789012:role/path/New"
    assert aws.invalid_principals(_error("MalformedPolicy", f'Invalid principal in policy: "AWS":"{role}"')) == [role]
    assert aws.invalid_principals(_error("X", 'Invalid principal in policy: "AWS":"AROAABCDEFGHIJKLMNOP"')) == ["AROAABCDEFGHIJKLMNOP"]
    # AWS did not name it: the candidates the module wrote
    assert aws.invalid_principals(_error("X", "Invalid principal in policy"), [PRINCIPAL]) == [PRINCIPAL]


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, params=None, check_mode=False):
        self.params = params or {}
        self.check_mode = check_mode
        self._diff = False
        self.region = "us-east-1"
        self.api_calls = []
        self.warnings = []
        self.failure = None

    def warn(self, message):
        self.warnings.append(message)

    def fail_json(self, **kwargs):
        self.failure = kwargs
        raise Failed(kwargs["msg"])

    def fail_json_aws(self, error, msg):
        self.failure = {"msg": msg, "error": error}
        raise Failed(msg)


def test_trust_role_error_names_the_principal(clock):
    module = FakeModule({"trusted_account_ids": ["111111111111"], "trusted_principal_arns": []})
    call = Flaky(10**6, _error("MalformedPolicyDocument", INVALID))
    with pytest.raises(Failed):
        trust_role._while_principals_propagate(module, call)
    assert PRINCIPAL in module.failure["msg"] and "does not exist" in module.failure["msg"]
    assert call.calls > 1


def test_concurrent_create_fails_with_a_clear_message():
    module = FakeModule()
    plan = Plan(module)

    def create():
        raise _error("EntityAlreadyExists", "Role with name R already exists.")

    plan.create({"name": "R"}, create)
    with pytest.raises(Failed):
        plan.finish()
    assert "Another run created this resource at the same time" in module.failure["msg"]
    assert "Run again" in module.failure["msg"] and module.failure["changed"] is False

    other = Plan(FakeModule())
    other.create({"name": "R"}, lambda: (x for x in ()).throw(_error("AccessDenied", "no")))
    with pytest.raises(botocore.exceptions.ClientError):
        other.finish()


def test_unique_id_principal_is_drift_and_warned():
    module = FakeModule()
    plan = Plan(module)
    current = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "AROAABCDEFGHIJKLMNOP"}, "Action": "sts:AssumeRole"}]}
    desired = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:role/R"}, "Action": "sts:AssumeRole"}]}
    plan.policy("trust_policy", current, desired, lambda: None)
    assert plan.changes == ["trust_policy"]
    assert any("AROAABCDEFGHIJKLMNOP" in w for w in module.warnings)


def test_missing_alias_is_predicted_in_check_mode_only(monkeypatch):

    class Kms:
        def describe_key(self, KeyId, aws_retry):
            raise _error("NotFoundException", f"Alias {KeyId} is not found.", "DescribeKey")

    monkeypatch.setattr(aws, "client", lambda module, service: Kms())
    key_arn = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert aws.resolve_kms_key(FakeModule(), key_arn) == key_arn  # no call
    checking = FakeModule(check_mode=True)
    assert aws.resolve_kms_key(checking, "alias/new") == "alias/new"
    assert any("alias/new does not exist yet" in w for w in checking.warnings)
    real = FakeModule()
    with pytest.raises(Failed):
        aws.resolve_kms_key(real, "alias/new")
    assert real.failure["msg"].startswith("kms_key: 'alias/new' does not exist")
    # a stored reference that does not resolve stays as it is (drift), it never fails the run
    assert aws.stored_kms_key_arn(real, "alias/gone") == "alias/gone"
