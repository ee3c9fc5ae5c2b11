# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM condition operators and policy variables, as AWS documents them.

Used by ``evaluator``. Documented behaviour implemented here:
- several operators in one ``Condition`` block, and several keys under one operator, are ANDed;
  several values for one key are ORed for positive operators and NORed for negated ones
  (``StringNotEquals``: the key equals none of them);
- a key missing from the request context: positive operators are false, negated operators
  (``StringNotEquals``, ``StringNotLike``, ``NumericNotEquals``, ``DateNotEquals``, ``ArnNotEquals``,
  ``ArnNotLike``, ``NotIpAddress``) are true, ``...IfExists`` is true, ``Null: true`` is true,
  ``ForAllValues:`` is true (empty set), ``ForAnyValue:`` is false;
- condition key names are case-insensitive, values case-sensitive (except ``...IgnoreCase``);
- ``StringLike``/``ArnLike`` accept ``*`` and ``?``; ``ArnLike``/``ArnEquals`` match each of the six
  colon-separated ARN parts separately, so a wildcard never spans a colon;
- policy variables (``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``, ``${?}``, ``${$}``,
  ``${key, 'default'}``) are replaced in String and Arn condition values (policy version 2012-10-17 only).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import re

NEGATED = frozenset(
    (
        "stringnotequals",
        "stringnotequalsignorecase",
        "stringnotlike",
        "numericnotequals",
        "datenotequals",
        "arnnotequals",
        "arnnotlike",
        "notipaddress",
    )
)
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "\x00STAR\x00", "?": "\x00QMARK\x00", "$": "$"}


class Unresolved(Exception):
    """A policy variable without a value in the request context (and no default)."""


def substitute(text: str, context: dict, wildcards: bool = False) -> str:
    """``text`` with its policy variables replaced from ``context`` (lower-cased keys).

    With ``wildcards`` (patterns), ``${*}`` and ``${?}`` become the literal characters, marked so
    that the wildcard matcher does not treat them as wildcards.
    """

    def replace(match):
        inner = match.group(1).strip()
        if inner in _SPECIAL:
            return _SPECIAL[inner] if wildcards else inner
        default = None
        if "," in inner:
            inner, default = inner.split(",", 1)
            inner, default = inner.strip(), default.strip().strip("'")
        value = context.get(inner.lower())
        if isinstance(value, (list, tuple)):
            value = value[0] if len(value) == 1 else None
        if value is None:
            if default is None:
                raise Unresolved(inner)
            return default
        return _text(value)

    return _VARIABLE.sub(replace, str(text))


def wildcard(value: str, pattern: str, ignore_case: bool = False) -> bool:
    """``*`` matches any run of characters, ``?`` exactly one (marked literals stay literal)."""
    regex = ""
    for part in re.split(r"(\x00STAR\x00|\x00QMARK\x00|\*|\?)", pattern):
        if part == "*":
            regex += ".*"
        elif part == "?":
            regex += "."
        elif part == "\x00STAR\x00":
            regex += re.escape("*")
        elif part == "\x00QMARK\x00":
            regex += re.escape("?")
        else:
            regex += re.escape(part)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


def arn_match(value: str, pattern: str) -> bool:
    """ArnLike/ArnEquals: the six colon-separated parts are matched one by one."""
    got, want = value.split(":", 5), pattern.split(":", 5)
    if len(got) != 6 or len(want) != 6:
        return wildcard(value, pattern) if "*" == pattern else False
    return all(wildcard(g, w) for g, w in zip(got, want))


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text):
    text = _text(text).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _dt.datetime.fromtimestamp(float(text), _dt.timezone.utc)
    try:
        parsed = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=_dt.timezone.utc)


def _ip(actual, expected) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)
    except ValueError:
        return False


def _compare(kind: str, actual, expected) -> bool:
    """The positive form of an operator for one context value and one policy value."""
    if kind in ("stringequals",):
        return _text(actual) == expected
    if kind == "stringequalsignorecase":
        return _text(actual).lower() == expected.lower()
    if kind == "stringlike":
        return wildcard(_text(actual), expected)
    if kind == "bool":
        return _text(actual).lower() == expected.lower()
    if kind == "binaryequals":
        return _text(actual) == expected
    if kind in ("arnequals", "arnlike"):
        return arn_match(_text(actual), expected)
    if kind == "ipaddress":
        return _ip(_text(actual), expected)
    if kind.startswith("numeric"):
        a, e = _number(actual), _number(expected)
        if a is None or e is None:
            return False
        return _ORDER[kind[len("numeric"):]](a, e)
    if kind.startswith("date"):
        a, e = _date(actual), _date(expected)
        if a is None or e is None:
            return False
        return _ORDER[kind[len("date"):]](a, e)
    raise ValueError(f"unsupported condition operator {kind}")


_ORDER = {
    "equals": lambda a, e: a == e,
    "lessthan": lambda a, e: a < e,
    "lessthanequals": lambda a, e: a <= e,
    "greaterthan": lambda a, e: a > e,
    "greaterthanequals": lambda a, e: a >= e,
}
_POSITIVE = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
    "notipaddress": "ipaddress",
}
KNOWN = frozenset(
    list(_POSITIVE)
    + list(_POSITIVE.values())
    + ["bool", "binaryequals", "null"]
    + [f"numeric{k}" for k in _ORDER]
    + [f"date{k}" for k in _ORDER]
)


def split_operator(operator: str):
    """``(set_prefix, base, if_exists)`` of an operator name, lower-cased."""
    op = operator.lower()
    prefix = ""
    for candidate in ("forallvalues:", "foranyvalue:"):
        if op.startswith(candidate):
            prefix, op = candidate[:-1], op[len(candidate):]
    if_exists = op.endswith("ifexists") and op != "ifexists"
    if if_exists:
        op = op[: -len("ifexists")]
    return prefix, op, if_exists


def evaluate_key(operator: str, actual, values: list, context: dict, substitute_variables: bool = True) -> bool:
    """One operator applied to one condition key: ``actual`` is the context value (``None`` when
    the key is missing, a list for multivalued keys); ``values`` the policy's values."""
    prefix, op, if_exists = split_operator(operator)
    if op not in KNOWN:
        return False  # AWS fails the condition of an operator it does not know
    values = [_text(v) for v in values]
    if op == "null":
        missing = actual is None or actual == []
        return any((v.lower() == "true") == missing for v in values)
    if actual is None or (prefix and actual == []):
        if prefix == "forallvalues":
            return True
        if prefix == "foranyvalue":
            return False
        return if_exists or op in NEGATED
    if substitute_variables and (op.startswith("string") or op.startswith("arn")):
        resolved = []
        for v in values:
            try:
                resolved.append(substitute(v, context, wildcards=op.endswith("like")))
            except Unresolved:
                continue  # a value whose variable has no value matches nothing
        values = resolved
    negated = op in NEGATED
    base = _POSITIVE.get(op, op)

    def one(item) -> bool:
        hit = any(_compare(base, item, v) for v in values)
        return not hit if negated else hit

    items = actual if isinstance(actual, (list, tuple)) else [actual]
    if prefix == "forallvalues":
        return all(one(i) for i in items)
    if prefix == "foranyvalue":
        return any(one(i) for i in items)
    # A single-valued operator on a multivalued key: any value for positive operators, none for negated.
    return all(one(i) for i in items) if negated else any(one(i) for i in items)


def evaluate(condition: dict | None, context: dict, substitute_variables: bool = True):
    """``(met, failed)``: whether every operator/key pair of a Condition block holds; ``failed``
    names the first pair that does not (``"StringEquals sts:ExternalId"``)."""
    for operator, pairs in (condition or {}).items():
        for key, values in (pairs or {}).items():
            values = values if isinstance(values, (list, tuple)) else [values]
            actual = context.get(key.lower())
            if not evaluate_key(operator, actual, values, context, substitute_variables):
                return False, f"{operator} {key}"
    return True, None
