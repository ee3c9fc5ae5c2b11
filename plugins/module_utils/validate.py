# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Option validation, run before the first API call.

Each rule returns ``None`` or the rule the value breaks; ``check`` collects every broken
rule with the option's name and fails the module once, so a bad input creates nothing.
Patterns must match the whole value (``fullmatch``): with ``match`` and ``$`` a trailing newline,
as a YAML block scalar gives, would pass and end up in a policy.
"""

from __future__ import annotations

import re

from ansible_collections.amazon.aws.plugins.module_utils.arn import parse_aws_arn
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

_RULES = {
    "account_id": (re.compile(r"^\d{12}$"), "must be a 12-digit AWS account id"),
    # STS accepts only these characters; IAM would store others and the role becomes unusable.
    "external_id": (re.compile(r"^[\w+=,.@:/-]{2,1224}$"), "must be 2-1224 characters from letters, digits and _+=,.@:/-"),
    "region": (re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d+$"), "must be an AWS region name such as eu-west-1"),
    "organization_id": (re.compile(r"^o-[a-z0-9]{10,32}$"), "must be an AWS Organizations id such as o-abcd123456"),
    "role_name": (re.compile(r"^[\w+=,.@-]{1,64}$"), "must be 1-64 characters from letters, digits and _+=,.@-"),
    "policy_name": (re.compile(r"^[\w+=,.@-]{1,128}$"), "must be 1-128 characters from letters, digits and _+=,.@-"),
    "user_name": (re.compile(r"^[\w+=,.@-]{1,64}$"), "must be 1-64 characters from letters, digits and _+=,.@-"),
    "permission_set_name": (re.compile(r"^[\w+=,.@-]{1,32}$"), "must be 1-32 characters from letters, digits and _+=,.@-"),
    "group_name": (re.compile(r"^[\w+=,.@-]{1,128}$"), "must be 1-128 characters from letters, digits and _+=,.@-"),
    "iam_path": (re.compile(r"^/([\x21-\x7e]{0,510}/)?$"), "must start and end with / (for example /service/)"),
    "kms_alias": (re.compile(r"^alias/(?!aws/)[a-zA-Z0-9/_-]{1,250}$"), "must be alias/<name> with letters, digits, /_- and not alias/aws/"),
    "bucket_name": (
        re.compile(r"^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"),
        "must be 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit",
    ),
    "trail_name": (re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,126}[a-zA-Z0-9]$"), "must be 3-128 characters from letters, digits and ._- "),
}

RULE_KINDS = tuple(_RULES)


def rule(kind: str, value) -> str | None:
    pattern, message = _RULES[kind]
    return None if pattern.fullmatch(str(value)) else message


# Services whose ARNs name an account (and, for regional ones, a region) that must be well formed.
_ARN_EXAMPLES = {
    "iam": "arn:aws:iam::123456789012:role/Name",
    "sts": "arn:aws:sts::123456789012:assumed-role/Name/session",
    "kms": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "cloudtrail": "arn:aws:cloudtrail:eu-west-1:123456789012:trail/Name",
}
_REGIONAL = ("kms", "cloudtrail")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]")


def arn(value, service: str | None = None, resource_type: str | None = None, wildcards: bool = False) -> str | None:
    """An ARN, optionally of a given service and resource type; ``wildcards`` allows * and ?.

    The account id of an IAM, STS, KMS or CloudTrail ARN must be 12 digits (and the region of a KMS or
    CloudTrail ARN a region name): AWS would otherwise store a principal or resource that never matches.
    """
    text = str(value)
    details = parse_aws_arn(text)
    example = _ARN_EXAMPLES.get(service or "iam", _ARN_EXAMPLES["iam"])
    if not details or not text.startswith("arn:") or _CONTROL.search(text) or (not wildcards and re.search(r"[*?]", text)):
        what = "an ARN" + (" (wildcards * and ? allowed)" if wildcards else " without wildcards")
        return f"must be {what} such as {example}"
    if service and details["service"] != service:
        return f"must be an ARN of service {service} such as {example}"
    if resource_type and details["resource_type"] != resource_type:
        return f"must be an ARN of a {service} {resource_type} such as {example}"
    if details["service"] in _ARN_EXAMPLES and not _RULES["account_id"][0].fullmatch(details["account_id"] or ""):
        return f"must name a 12-digit account id, such as {example}"
    if details["service"] in _REGIONAL and rule("region", details["region"] or ""):
        return f"must name a region, such as {example}"
    return None


_KMS_KEY_REF = re.compile(
    r"^(arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]{1,250})$"
)


def kms_key(value) -> str | None:
    """A KMS key reference: key ARN, key id, ``alias/<name>`` or alias ARN."""
    return None if _KMS_KEY_REF.fullmatch(str(value)) else "must be a KMS key ARN, key id, alias/<name> or alias ARN"


def between(value, low: int, high: int) -> str | None:
    return None if low <= int(value) <= high else f"must be between {low} and {high}"


def check(module, checks, what="options") -> None:
    """Fail the module listing every broken rule; ``checks`` holds ``(option, value, error)``.

    A ``value`` of ``None`` is not echoed (the external id, for example, is not printed needlessly).
    For an AWS module the connection's region (option ``region`` or ``AWS_REGION``) is checked too.
    """
    region = module.region if isinstance(module, AnsibleAWSModule) else None
    if region is not None:
        checks = [("region", region, rule("region", region))] + list(checks)
    errors = [f"{option}: {'' if value is None else repr(value) + ' '}{error}" for option, value, error in checks if error]
    if errors:
        module.fail_json(msg=f"Invalid {what} (nothing was changed): " + "; ".join(errors))


def each(option: str, values, test) -> list:
    """``(option[i], value, error)`` for every item of a list option."""
    return [(f"{option}[{i}]", value, test(value)) for i, value in enumerate(values or [])]


def s3_action(action) -> str | None:
    """A single S3 action: no wildcards, so grants stay least privilege."""
    if not re.fullmatch(r"[sS]3:[A-Za-z]+", str(action)):  # IAM action names are case-insensitive
        return "must be a single S3 action such as s3:GetObject (no wildcards)"
    return None
