# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS's documented policy evaluation logic, for answering "who can do what, and why".

``evaluate(request, ...)`` decides one request the way AWS documents it
(IAM User Guide, "Policy evaluation logic" and "Cross-account policy evaluation logic"):

1. An explicit ``Deny`` in any applicable policy (service control policies, identity policies,
   the resource policy, the trust policy, the key policy) decides: denied.
2. Service control policies given for the principal's account must each allow the action
   (they never grant; the management account and anonymous callers are not subject to them).
3. Within one account, an ``Allow`` in the identity policies *or* in the resource policy suffices.
   A resource policy statement that names only the account (its root or id) delegates to the
   account's identity policies and grants nothing by itself.
4. Across accounts, both are needed: an identity ``Allow`` in the caller's account and a resource
   policy ``Allow`` naming the caller (or its account).
5. ``sts:AssumeRole`` always needs the role's trust policy to allow, also within the account.
6. A KMS key is reachable only through its key policy: directly (a statement naming the principal)
   or through a statement for the account root, which enables identity policies (then an IAM
   ``Allow`` is needed too).
7. Otherwise: implicit deny.

Principals are described by ``Principal`` objects; a role session is named by its role ARN
(``aws:PrincipalArn``), with its session ARN kept alongside, as AWS does.
Everything here is pure Python, no AWS calls: the module reads the policies, this decides.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from . import conditions
from . import policy as policy_doc

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicit-deny", "implicit-deny"


@dataclass
class Principal:
    """Who makes the request.

    ``kind``: ``role`` (a session of the role ``arn``), ``user``, ``root``, ``service`` (``arn`` is
    the service principal name, e.g. ``cloudtrail.amazonaws.com``) or ``anonymous``.
    """

    kind: str
    arn: str = ""
    account: str = ""
    session_name: str = "session"
    org_id: str | None = None
    org_paths: list | None = None
    tags: dict = field(default_factory=dict)
    mfa: bool | None = None  # None: the key is absent (IAM Identity Center / chained sessions)
    user_id: str | None = None

    @property
    def session_arn(self) -> str | None:
        if self.kind != "role":
            return None
        parts = self.arn.split(":")
        name = parts[5].rsplit("/", 1)[-1]
        return f"arn:{parts[1]}:sts::{parts[4]}:assumed-role/{name}/{self.session_name}"

    @property
    def root(self) -> str | None:
        if not self.account:
            return None
        partition = self.arn.split(":")[1] if self.arn.startswith("arn:") else "aws"
        return policy_doc.root_arn(self.account, partition)

    def keys(self) -> dict:
        """The global condition keys AWS sets for this principal (lower-cased names)."""
        if self.kind == "anonymous":
            return {}
        if self.kind == "service":
            return {"aws:principalservicename": self.arn, "aws:principalisawsservice": "true"}
        keys = {
            "aws:principalarn": self.arn,
            "aws:principalaccount": self.account,
            "aws:principaltype": {"role": "AssumedRole", "user": "User", "root": "Account"}[self.kind],
            "aws:principalisawsservice": "false",
        }
        if self.kind == "user":
            keys["aws:username"] = self.arn.rsplit("/", 1)[-1]
        if self.kind == "role":
            keys["aws:userid"] = f"{self.user_id or 'AROAEXAMPLE'}:{self.session_name}"
            keys["aws:rolesessionname"] = self.session_name
        elif self.user_id:
            keys["aws:userid"] = self.user_id
        if self.org_id:
            keys["aws:principalorgid"] = self.org_id
        if self.org_paths:
            keys["aws:principalorgpaths"] = list(self.org_paths)
        if self.mfa is not None:
            keys["aws:multifactorauthpresent"] = "true" if self.mfa else "false"
        for name, value in self.tags.items():
            keys[f"aws:principaltag/{name.lower()}"] = value
        return keys


@dataclass
class Request:
    principal: Principal
    action: str
    resource: str
    context: dict = field(default_factory=dict)  # condition keys of the request (any case)
    secure_transport: bool = True
    region: str = "us-east-1"
    source_ip: str | None = None
    now: _dt.datetime | None = None

    def context_keys(self) -> dict:
        keys = self.principal.keys()
        keys["aws:securetransport"] = "true" if self.secure_transport else "false"
        keys["aws:requestedregion"] = self.region
        if self.source_ip:
            keys["aws:sourceip"] = self.source_ip
        now = self.now or _dt.datetime.now(_dt.timezone.utc)
        keys["aws:currenttime"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        keys["aws:epochtime"] = str(int(now.timestamp()))
        for name, value in self.context.items():
            if value is not None:
                keys[name.lower()] = value
        return keys


@dataclass
class Match:
    """One statement that applied to the request."""

    policy: str
    sid: str
    effect: str
    index: int

    def as_dict(self) -> dict:
        return {"policy": self.policy, "sid": self.sid, "effect": self.effect}

    def __str__(self):
        return f"{self.policy}: {self.effect} {self.sid}"


@dataclass
class PolicyResult:
    allows: list = field(default_factory=list)
    denies: list = field(default_factory=list)
    delegating: list = field(default_factory=list)  # allows that name only the caller's account

    @property
    def allowed(self) -> bool:
        return bool(self.allows) and not self.denies


@dataclass
class Decision:
    decision: str
    deciding: list
    reason: str

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOW

    def as_dict(self) -> dict:
        return {"allowed": self.allowed, "decision": self.decision, "reason": self.reason,
                "deciding": [m.as_dict() for m in self.deciding]}


# --- matching ------------------------------------------------------------------------------


def _as_list(value) -> list:
    return policy_doc._as_list(value)


def action_matches(patterns, action: str) -> bool:
    """Action names are case-insensitive; ``*`` and ``?`` are wildcards (``s3:Get*``, ``*``)."""
    return any(conditions.wildcard(action, str(p), ignore_case=True) for p in _as_list(patterns))


def resource_matches(patterns, resource: str, context: dict, variables: bool) -> bool:
    """Resource ARNs are case-sensitive; ``*`` matches any run of characters (also across ``:`` and ``/``)."""
    for pattern in _as_list(patterns):
        pattern = str(pattern)
        if variables:
            try:
                pattern = conditions.substitute(pattern, context, wildcards=True)
            except conditions.Unresolved:
                continue  # an unresolved variable matches nothing
        if conditions.wildcard(resource, pattern):
            return True
    return False


def _identities(principal: Principal) -> set:
    """The names a Principal element can use for this principal (exact, as AWS compares them)."""
    if principal.kind == "anonymous":
        return set()
    if principal.kind == "service":
        return {principal.arn.lower()}
    names = {principal.arn}
    if principal.kind == "role":
        names.add(principal.session_arn)
    return names


def principal_matches(element, principal: Principal):
    """``(matches, only_account)`` for a ``Principal`` element.

    ``"*"`` and ``{"AWS": "*"}`` match everyone, anonymous callers included. An account id or root
    ARN matches every principal of that account (``only_account``: a delegation to its identity
    policies). A role ARN matches the role's sessions. Wildcards other than a lone ``*`` are not
    allowed in ``Principal`` and match nothing.
    """
    if element == "*":
        return True, False
    if not isinstance(element, dict):
        return False, False
    partition = principal.arn.split(":")[1] if principal.arn.startswith("arn:") else "aws"
    element = policy_doc._principal(element, partition, fold_case=True)
    if "*" in element.get("AWS", []):
        return True, False
    if principal.kind == "service":
        return principal.arn.lower() in element.get("Service", []), False
    if principal.kind == "anonymous":
        return False, False
    members = set(element.get("AWS", []))
    if members & _identities(principal):
        return True, False
    if principal.root and principal.root in members:
        return True, principal.kind != "root"
    return False, False


def not_principal_excludes(element, principal: Principal) -> bool:
    """Whether ``NotPrincipal`` leaves this principal out (the statement then does not apply).

    AWS documents that the principal's account must be listed as well: a role session is excluded
    only when its account root and its role or session ARN are both named; a user when its account
    and user ARN are; the account root when it is named. Anonymous callers are never excluded
    unless ``*`` is named.
    """
    if element == "*":
        return True
    if not isinstance(element, dict):
        return False
    partition = principal.arn.split(":")[1] if principal.arn.startswith("arn:") else "aws"
    element = policy_doc._principal(element, partition, fold_case=True)
    if "*" in element.get("AWS", []):
        return True
    if principal.kind == "service":
        return principal.arn.lower() in element.get("Service", [])
    if principal.kind == "anonymous":
        return False
    members = set(element.get("AWS", []))
    if principal.kind == "root":
        return principal.root in members
    return principal.root in members and bool(members & _identities(principal))


def statement_applies(statement: dict, request: Request, context: dict, *, resource_policy: bool, version: str):
    """``(applies, only_account, why_not)`` for one statement."""
    variables = version != "2008-10-17"
    only_account = False
    if resource_policy:
        if "Principal" in statement:
            matched, only_account = principal_matches(statement["Principal"], request.principal)
            if not matched:
                return False, False, "principal not named"
        elif "NotPrincipal" in statement:
            if not_principal_excludes(statement["NotPrincipal"], request.principal):
                return False, False, "principal excluded by NotPrincipal"
        else:
            return False, False, "no Principal"
    if "Action" in statement:
        if not action_matches(statement["Action"], request.action):
            return False, False, "action not listed"
    elif "NotAction" in statement:
        if action_matches(statement["NotAction"], request.action):
            return False, False, "action excluded by NotAction"
    else:
        return False, False, "no Action"
    if "Resource" in statement:
        if not resource_matches(statement["Resource"], request.resource, context, variables):
            return False, False, "resource not listed"
    elif "NotResource" in statement:
        if resource_matches(statement["NotResource"], request.resource, context, variables):
            return False, False, "resource excluded by NotResource"
    elif not resource_policy:
        return False, False, "no Resource"
    met, failed = conditions.evaluate(statement.get("Condition"), context, variables)
    if not met:
        return False, False, f"condition not met: {failed}"
    return True, only_account, None


def evaluate_policy(document, request: Request, name: str, resource_policy: bool = False) -> PolicyResult:
    """Which statements of one policy allow or deny the request."""
    doc = policy_doc.parse(document) or {}
    version = doc.get("Version") or "2008-10-17"
    context = request.context_keys()
    result = PolicyResult()
    for index, statement in enumerate(_as_list(doc.get("Statement"))):
        applies, only_account, _why = statement_applies(statement, request, context, resource_policy=resource_policy, version=version)
        if not applies:
            continue
        match = Match(name, statement.get("Sid") or f"#{index}", statement.get("Effect", ""), index)
        if match.effect == "Deny":
            result.denies.append(match)
        elif match.effect == "Allow":
            (result.delegating if only_account else result.allows).append(match)
    return result


# --- the decision --------------------------------------------------------------------------


def evaluate(
    request: Request,
    identity_policies=(),
    resource_policy=None,
    resource_account: str | None = None,
    resource_policy_name: str = "resource policy",
    resource_policy_required: bool = False,
    scps=(),
    management_account: bool = False,
) -> Decision:
    """Decide ``request``.

    ``identity_policies``: ``[(name, document)]`` attached to the principal (for the account root,
    leave empty: the root holds every permission in its own account). ``resource_policy``: the
    bucket policy, trust policy or key policy of the resource, owned by ``resource_account``.
    ``resource_policy_required``: the trust policy for ``sts:AssumeRole`` and the key policy for KMS
    (see ``evaluate_assume_role`` and ``evaluate_kms``). ``scps``: ``[(name, document)]`` that apply
    to the principal's account (``management_account``: they do not).
    """
    principal = request.principal
    deny, allows = [], []
    # 1. service control policies (member accounts' principals only)
    scp_results = []
    if principal.kind in ("role", "user", "root") and not management_account:
        scp_results = [evaluate_policy(doc, request, name) for name, doc in scps]
        for result in scp_results:
            deny += result.denies
    identity = [evaluate_policy(doc, request, name) for name, doc in identity_policies]
    for result in identity:
        deny += result.denies
    resource = None
    if resource_policy is not None:
        resource = evaluate_policy(resource_policy, request, resource_policy_name, resource_policy=True)
        deny += resource.denies
    if deny:
        return Decision(EXPLICIT_DENY, deny, "an explicit Deny applies: " + "; ".join(str(m) for m in deny))

    for (name, _doc), result in zip(scps, scp_results):
        if not result.allows:
            return Decision(IMPLICIT_DENY, [], f"service control policy {name} does not allow {request.action}")

    identity_allows = [m for result in identity for m in result.allows]
    if principal.kind == "root":
        if principal.account == resource_account or resource_account is None:
            identity_allows = [Match("account root", "(the root holds every permission in its own account)", "Allow", -1)]
        else:
            identity_allows = [Match("account root", "(root of the calling account)", "Allow", -1)]
    if principal.kind in ("service", "anonymous"):
        identity_allows = []
    direct = resource.allows if resource else []
    delegated = resource.delegating if resource else []
    same_account = resource_account is None or principal.account == resource_account

    if resource_policy_required and not (direct or delegated):
        return Decision(IMPLICIT_DENY, [], f"the {resource_policy_name} does not allow this principal {request.action}")
    if same_account and principal.kind not in ("anonymous", "service"):
        if direct:
            return Decision(ALLOW, direct + identity_allows, f"same account: the {resource_policy_name} allows it")
        if identity_allows and (delegated or not resource_policy_required):
            return Decision(ALLOW, identity_allows + delegated, "same account: an identity policy allows it"
                            + (f" (the {resource_policy_name} delegates to identity policies)" if delegated else ""))
        if delegated:
            return Decision(IMPLICIT_DENY, [], f"the {resource_policy_name} delegates to identity policies, and none allows {request.action}")
        return Decision(IMPLICIT_DENY, [], f"no identity policy or {resource_policy_name} allows {request.action}")
    if principal.kind in ("anonymous", "service"):
        if direct:
            return Decision(ALLOW, direct, f"the {resource_policy_name} allows it")
        return Decision(IMPLICIT_DENY, [], f"no {resource_policy_name} statement allows this principal {request.action}")
    # cross-account: both sides
    if not (direct or delegated):
        return Decision(IMPLICIT_DENY, [], f"cross-account: the {resource_policy_name} does not allow {request.action} to this principal")
    if not identity_allows:
        return Decision(IMPLICIT_DENY, [], f"cross-account: no identity policy in {principal.account} allows {request.action}")
    return Decision(ALLOW, (direct or delegated) + identity_allows,
                    f"cross-account: both an identity policy and the {resource_policy_name} allow it")


def evaluate_assume_role(request: Request, trust_policy, role_account: str, identity_policies=(), scps=(), management_account=False) -> Decision:
    """``sts:AssumeRole``: the trust policy must allow, also within the account; the account root
    cannot assume roles at all."""
    if request.principal.kind == "root":
        return Decision(IMPLICIT_DENY, [], "the account root user cannot assume roles")
    return evaluate(request, identity_policies, trust_policy, role_account, "trust policy", True, scps, management_account)


def evaluate_kms(request: Request, key_policy, key_account: str, identity_policies=(), scps=(), management_account=False) -> Decision:
    """A KMS request: the key policy must allow, directly or through its account-root statement
    plus an identity policy."""
    return evaluate(request, identity_policies, key_policy, key_account, "key policy", True, scps, management_account)


def principal_from_arn(arn: str, **kwargs) -> Principal:
    """A Principal from an ARN: a role, user or account root (``*``/empty: anonymous)."""
    if not arn or arn == "*":
        return Principal("anonymous", **kwargs)
    if arn.endswith(".amazonaws.com"):
        return Principal("service", arn, **kwargs)
    parts = arn.split(":")
    account = parts[4]
    if parts[5] == "root":
        return Principal("root", arn, account, **kwargs)
    if parts[5].startswith("user/"):
        return Principal("user", arn, account, **kwargs)
    return Principal("role", arn, account, **kwargs)
