# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS clients for the modules: amazon.aws connection handling, jittered retries, call counting."""

from __future__ import annotations

import random
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

from .policy import partition_for_region

# Throttling is retried by AWSRetry itself; these are the "not yet" answers of IAM and KMS
# eventual consistency that are worth waiting for as well.
_RETRY = AWSRetry.jittered_backoff(retries=8, delay=1, max_delay=15)


def client(module, service: str):
    """A retrying client whose calls are recorded in ``module.api_calls`` (``service:Operation``)."""
    conn = module.client(service, retry_decorator=_RETRY)
    if not hasattr(module, "api_calls"):
        module.api_calls = []

    def _count(model, **_kwargs):
        module.api_calls.append(f"{service}:{model.name}")

    conn.client.meta.events.register("before-call", _count)
    return conn


def partition(module) -> str:
    return partition_for_region(module.region)


def call_while_propagating(call, *, codes, message_contains, timeout=60.0, what="the request"):
    """Run ``call()``, retrying with jittered backoff while AWS says a fresh principal is invalid.

    IAM and KMS reject a policy that names a principal created seconds ago
    (``MalformedPolicyDocument ... Invalid principal``) until it has propagated. After
    ``timeout`` seconds the last error is raised, for the caller to report with the principal.
    """
    deadline = time.monotonic() + timeout
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
