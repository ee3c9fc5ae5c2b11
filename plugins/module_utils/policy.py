# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Policy documents: parse, normalise, compare, merge.

One place decides when two IAM/S3/KMS policy documents mean the same thing, so every
module converges the same way. Equivalences handled (issue 3):
- statement order, list order, duplicate list values, a scalar vs a one-element list;
- a missing ``Version`` (read as 2012-10-17), ``"Sid": ""`` vs no Sid;
- ``true``/``1`` vs ``"true"``/``"1"`` in conditions; condition keys and actions compared
  case-insensitively (AWS treats them so);
- a bare account id vs ``arn:<partition>:iam::<id>:root`` in ``Principal``.
A principal that AWS rewrote to a unique id (``AROA...``) stays different from the ARN:
that is drift to repair, not equality.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import unquote

DEFAULT_VERSION = "2012-10-17"
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# IAM unique ids that AWS substitutes for a deleted principal (role, user, ...).
_UNIQUE_ID = re.compile(r"^(AROA|AIDA|AGPA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{12,}$")


def partition_for_region(region: str | None) -> str:
    """The ARN partition of a region name."""
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    if region.startswith("us-iso-"):
        return "aws-iso"
    if region.startswith("us-isob-"):
        return "aws-iso-b"
    return "aws"


def parse(document) -> dict | None:
    """A policy as a dict, from a dict, JSON text or URL-encoded JSON (as IAM returns it)."""
    if document is None or document == "":
        return None
    if isinstance(document, dict):
        return document
    text = str(document)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(unquote(text))


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _scalar_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unique_sorted(values) -> list:
    return sorted(set(values), key=str)


def _principal(value, partition: str, fold_case: bool):
    if value == "*":
        return "*"
    if not isinstance(value, dict):
        return value
    result = {}
    for kind, members in value.items():
        items = []
        for member in _as_list(members):
            member = str(member)
            if kind == "AWS" and _ACCOUNT_ID.match(member):
                member = f"arn:{partition}:iam::{member}:root"
            if kind == "Service" and fold_case:
                member = member.lower()
            items.append(member)
        result[kind] = _unique_sorted(items)
    return result


def _condition(value, fold_case: bool) -> dict:
    result = {}
    for operator, pairs in (value or {}).items():
        block = {}
        for key, values in (pairs or {}).items():
            block[key.lower() if fold_case else key] = _unique_sorted(_scalar_text(v) for v in _as_list(values))
        if block:
            result[operator] = block
    return result


def _statement(statement: dict, partition: str, fold_case: bool) -> dict:
    result = {}
    for key, value in statement.items():
        if key == "Sid":
            if value not in (None, ""):
                result[key] = value
        elif key in _LIST_KEYS:
            items = [str(v) for v in _as_list(value)]
            if fold_case and key in ("Action", "NotAction"):
                items = [v.lower() for v in items]
            result[key] = _unique_sorted(items)
        elif key in _PRINCIPAL_KEYS:
            result[key] = _principal(value, partition, fold_case)
        elif key == "Condition":
            condition = _condition(value, fold_case)
            if condition:
                result[key] = condition
        else:
            result[key] = value
    return result


def normalize(document, partition: str = "aws", fold_case: bool = False) -> dict | None:
    """A canonical form of a policy document: equal forms mean the same policy.

    ``fold_case`` also lower-cases actions, service principals and condition keys; use it to
    compare, and the unfolded form to show a diff the user recognises.
    """
    doc = parse(document)
    if doc is None:
        return None
    statements = [_statement(s, partition, fold_case) for s in _as_list(doc.get("Statement"))]
    statements.sort(key=lambda s: json.dumps(s, sort_keys=True))
    result = {"Version": doc.get("Version") or DEFAULT_VERSION, "Statement": statements}
    if doc.get("Id"):
        result["Id"] = doc["Id"]
    return result


def equal(current, desired, partition: str = "aws") -> bool:
    """True when both documents grant and deny exactly the same."""
    return normalize(current, partition, fold_case=True) == normalize(desired, partition, fold_case=True)


def to_json(document) -> str:
    """Compact, key-sorted JSON text to send to AWS."""
    return json.dumps(parse(document), sort_keys=True, separators=(",", ":"))


def unique_id_principals(document) -> list[str]:
    """Principals that AWS has replaced by a unique id because the named principal was deleted."""
    found = []
    for statement in _as_list((parse(document) or {}).get("Statement")):
        for key in _PRINCIPAL_KEYS:
            principal = statement.get(key)
            if isinstance(principal, dict):
                found.extend(str(p) for p in _as_list(principal.get("AWS")) if _UNIQUE_ID.match(str(p)))
    return sorted(set(found))


def managed_merge(current, desired_statements: list[dict], is_managed) -> dict | None:
    """Replace the statements this collection manages and keep every other one as it is.

    ``is_managed(sid)`` says whether a statement belongs to us. Returns ``None`` when no
    statement would be left (the caller then deletes the policy instead of writing it empty).
    """
    doc = parse(current) or {}
    foreign = [s for s in _as_list(doc.get("Statement")) if not is_managed(s.get("Sid") or "")]
    statements = foreign + list(desired_statements)
    if not statements:
        return None
    merged = {"Version": doc.get("Version") or DEFAULT_VERSION, "Statement": statements}
    if doc.get("Id"):
        merged["Id"] = doc["Id"]
    return merged


def root_arn(account_id: str, partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def redact_condition(document, keys=("sts:ExternalId",)):
    """A copy of a normalised document whose values under the condition ``keys`` are shown
    as a short fingerprint: a diff still shows that they changed without printing them."""
    if document is None:
        return None
    wanted = {k.lower() for k in keys}
    doc = json.loads(json.dumps(document))
    for statement in doc.get("Statement", []):
        for block in (statement.get("Condition") or {}).values():
            for key in block:
                if key.lower() in wanted:
                    block[key] = [f"(redacted, sha256 {hashlib.sha256(str(v).encode()).hexdigest()[:12]})" for v in _as_list(block[key])]
    return doc
