# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS clients for the modules: amazon.aws connection handling, jittered retries, call counting."""

from __future__ import annotations

import os
import random
import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from .policy import partition_for_region

# Throttling is retried by AWSRetry itself; these are the "not yet" answers of IAM and KMS
# eventual consistency that are worth waiting for as well.
_RETRY = AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=15)


# Operations that change nothing; every other call is a write.
READ_OPERATION = re.compile(r"^(Get|Describe|List|Head|Lookup|Validate|Simulate|Check|Search)[A-Za-z]*$")


class Module(AnsibleAWSModule):
    """The AnsibleAWSModule of every resource module here.

    Every result, failures included, lists the AWS calls made (``api_calls``); a failure after a write
    that AWS accepted reports ``changed: true``, because that write happened (a partial create, say).
    """

    def __init__(self, **kwargs):
        self.api_calls = []
        self.writes_done = []
        super().__init__(**kwargs)

    def _should_inject_warnings(self):
        # amazon.aws 10 also copies module.warn() messages into the result on ansible-core 2.19, which
        # core deprecates ("Passing 'warnings' to 'exit_json'"); core already reports them itself.
        return False

    def exit_json(self, *args, **kwargs):
        kwargs.setdefault("api_calls", self.api_calls)
        super().exit_json(*args, **kwargs)

    def fail_json(self, *args, **kwargs):
        kwargs.setdefault("api_calls", self.api_calls)
        if self.writes_done:
            kwargs.setdefault("changed", True)
            kwargs.setdefault("writes_done", self.writes_done)
        super().fail_json(*args, **kwargs)


def client(module: Module, service: str):
    """A retrying client whose calls are recorded in ``module.api_calls`` (``service:Operation``), and
    the writes AWS accepted in ``module.writes_done``."""
    conn = module.client(service, retry_decorator=_RETRY)

    def _count(model, **_kwargs):
        module.api_calls.append(f"{service}:{model.name}")

    def _written(model, http_response, **_kwargs):
        if http_response.status_code < 300 and not READ_OPERATION.match(model.name):
            module.writes_done.append(f"{service}:{model.name}")

    conn.client.meta.events.register("before-call", _count)
    conn.client.meta.events.register("after-call", _written)
    return conn


def partition(module) -> str:
    return partition_for_region(module.region)


# How long a write naming a fresh principal is retried (seconds). IAM usually needs a few seconds; the
# environment variable raises the bound for slow propagation or lowers it (the tests use 3 s).
PROPAGATION_TIMEOUT_ENV = "CROSS_ACCOUNT_AWS_PROPAGATION_TIMEOUT"
DEFAULT_PROPAGATION_TIMEOUT = 60.0
_PRINCIPAL_IN_MESSAGE = re.compile(r'"?(arn:aws[a-z-]*:(?:iam|sts)::[^"\s,}]+|\d{12}|(?:AROA|AIDA|AGPA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{12,})"?')


def propagation_timeout() -> float:
    try:
        return max(0.0, float(os.environ.get(PROPAGATION_TIMEOUT_ENV) or DEFAULT_PROPAGATION_TIMEOUT))
    except ValueError:
        return DEFAULT_PROPAGATION_TIMEOUT


def call_while_propagating(call, *, codes, message_contains, timeout=None, what="the request"):
    """Run ``call()``, retrying with jittered backoff while AWS says a fresh principal is invalid.

    IAM and KMS reject a policy that names a principal created seconds ago
    (``MalformedPolicyDocument ... Invalid principal``) until it has propagated. After
    ``timeout`` seconds (default ``propagation_timeout()``) the last error is raised, for the
    caller to report with the principal (see ``invalid_principals``).
    """
    deadline = time.monotonic() + (propagation_timeout() if timeout is None else timeout)
    delay = 1.0
    while True:
        try:
            return call()
        except Exception as error:  # pylint: disable=broad-except
            retriable = isinstance(error, is_boto3_error_code(codes, e=error))
            if not retriable or message_contains.lower() not in str(error).lower() or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay + random.uniform(0, delay / 2))
        delay = min(delay * 2, 10.0)


def invalid_principals(error, candidates=()) -> list[str]:
    """The principals an ``Invalid principal`` error names.

    AWS quotes the offending principal in the message (``Invalid principal in policy:
    "AWS":"arn:aws:iam::123456789012:role/Name"``); when it does not, the ``candidates`` (the
    principals the module wrote) that appear in the message, or all of them, are returned.
    """
    message = str(error)
    named = [m for m in _PRINCIPAL_IN_MESSAGE.findall(message.split("principal", 1)[-1]) if m]
    if named:
        return sorted(set(named))
    mentioned = [c for c in candidates if c and c in message]
    return sorted(set(mentioned or [c for c in candidates if c]))


# "Already exists" answers to a create: another run created the resource between our read and
# our write (two deploys started at the same moment).
ALREADY_EXISTS_CODES = (
    "EntityAlreadyExists",
    "EntityAlreadyExistsException",
    "AlreadyExistsException",
    "TrailAlreadyExistsException",
    "ResourceAlreadyExistsException",
    "BucketAlreadyOwnedByYou",
)

_KEY_ARN = re.compile(r"^arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_ALIAS = re.compile(r"^(arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:)?alias/.+$")


def resolve_kms_key(module, key, option="kms_key"):
    """The key ARN of ``key``: a key ARN as given (no call), a key id, alias or alias ARN through one
    ``kms:DescribeKey``.

    A key that does not exist fails naming ``option`` -- except an alias in check mode: a ``kms_key``
    task earlier in the same run creates it, but check mode created nothing. The module then warns
    and predicts against the alias itself (the change is reported; nothing is written). A real run
    always resolves to the key ARN, so no policy or setting is ever written with an alias.
    """
    if key is None or _KEY_ARN.match(key):
        return key
    kms = client(module, "kms")
    try:
        return kms.describe_key(KeyId=key, aws_retry=True)["KeyMetadata"]["Arn"]
    except is_boto3_error_code("NotFoundException"):
        if _ALIAS.match(key) and module.check_mode:
            module.warn(f"{option}: {key} does not exist yet; check mode assumes an earlier task creates it and predicts with "
                        "the alias in place of the key ARN (a real run fails if it still does not exist)")
            return key
        module.fail_json(msg=f"{option}: {key!r} does not exist in {module.region}; nothing was changed")


def stored_kms_key_arn(module, key):
    """The key ARN behind a key reference that AWS returned as stored (a bucket's default encryption, a trail's
    ``KmsKeyId``): a key ARN as is (no call, the usual case); an alias, alias ARN or key id -- what S3 keeps
    when it was configured so -- through one ``kms:DescribeKey``, so the same key is never "drift". A reference
    that does not resolve is returned unchanged (it differs from the desired key ARN: drift to repair)."""
    if not key or _KEY_ARN.match(key):
        return key
    try:
        return client(module, "kms").describe_key(KeyId=key, aws_retry=True)["KeyMetadata"]["Arn"]
    except Exception:  # pylint: disable=broad-except
        return key


def missing_dependency(module, option, what, hint=""):
    """A resource this one needs does not exist (for example the bucket of a bucket policy).

    In check mode an earlier task of the same run would have created it: warn and return, so the
    module predicts against its absence. Otherwise fail naming the option; nothing was changed.
    """
    if module.check_mode:
        module.warn(f"{option}: {what} does not exist yet; check mode assumes an earlier task creates it (a real run fails if it does not)")
        return
    hint = f" ({hint})" if hint else ""
    module.fail_json(msg=f"{option}: {what} does not exist{hint}; nothing was changed")
