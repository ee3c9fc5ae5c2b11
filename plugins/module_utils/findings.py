# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Lint findings for the cross-account mistakes DESIGN.md lists ("AWS facts the code must respect").

Each check takes the deployed documents and returns ``Finding`` objects with a severity
(``critical``, ``high``, ``medium``, ``low``, ``info``), what is wrong and how to fix it.
Pure Python; the ``access_report`` module reads the documents and calls ``lint``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from . import policy as policy_doc

SEVERITIES = ("critical", "high", "medium", "low", "info")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_UNIQUE_ID = policy_doc._UNIQUE_ID
_SSO = "AWSReservedSSO_"


@dataclass
class Finding:
    id: str
    severity: str
    policy: str
    message: str
    fix: str
    sid: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _statements(document) -> list:
    return [s for s in policy_doc._as_list((policy_doc.parse(document) or {}).get("Statement")) if isinstance(s, dict)]


def _sid(statement, index) -> str:
    return statement.get("Sid") or f"#{index}"


def _condition_values(statement, key: str, operators=None) -> list:
    """Values of condition ``key`` under any (or the named, lower-cased) operators."""
    found = []
    for operator, pairs in (statement.get("Condition") or {}).items():
        if operators and operator.lower() not in operators:
            continue
        for name, values in (pairs or {}).items():
            if name.lower() == key.lower():
                found += [str(v) for v in policy_doc._as_list(values)]
    return found


def _aws_principals(statement) -> list:
    principal = statement.get("Principal")
    if isinstance(principal, dict):
        return [str(p) for p in policy_doc._as_list(principal.get("AWS"))]
    return []


# --- trust policy ----------------------------------------------------------------------------


def trust_findings(trust, name="trust policy", max_session_duration=None, requested_duration=None,
                   regional_sts=None) -> list[Finding]:
    out = []
    for index, st in enumerate(_statements(trust)):
        if st.get("Effect") != "Allow":
            continue
        sid = _sid(st, index)
        mfa = [v.lower() for v in _condition_values(st, "aws:MultiFactorAuthPresent", {"bool", "boolifexists"})]
        arns = _condition_values(st, "aws:PrincipalArn") + _aws_principals(st)
        if "true" in mfa and any(_SSO in a for a in arns):
            out.append(Finding(
                "mfa-with-identity-center", "high", name,
                "The trust policy requires aws:MultiFactorAuthPresent, but IAM Identity Center sessions (and sessions "
                "chained from them) never carry that key: every AWSReservedSSO_ developer is denied.",
                "Remove the MFA condition for Identity Center principals and enforce MFA in Identity Center "
                "(always-on); keep aws:MultiFactorAuthPresent only for IAM-user callers.", sid))
        if _condition_values(st, "aws:RequestedRegion") and regional_sts is not True:
            regions = sorted(set(_condition_values(st, "aws:RequestedRegion")))
            severity = "medium" if "us-east-1" not in regions else "low"
            out.append(Finding(
                "region-without-regional-sts", severity, name,
                f"The trust policy limits aws:RequestedRegion to {', '.join(regions)}; for sts:AssumeRole that is the "
                "region of the STS endpoint, and the global endpoint counts as us-east-1.",
                "Make callers use regional STS endpoints (sts_regional_endpoints = regional in the CLI profile, "
                "AWS_STS_REGIONAL_ENDPOINTS=regional) in one of those regions.", sid))
        for value in _condition_values(st, "sts:ExternalId"):
            if not _EXTERNAL_ID.match(value):
                out.append(Finding(
                    "external-id-rejected-by-sts", "high", name,
                    "An sts:ExternalId value breaks what STS accepts (2-1224 characters from letters, digits and "
                    "_+=,.@:/-): IAM stored the policy, but every AssumeRole with it fails and the role is unusable.",
                    "Choose an external id of 2-1224 characters from [A-Za-z0-9_+=,.@:/-].", sid))
        if _SSO in " ".join(arns) or any(a.endswith(":root") for a in _aws_principals(st)):
            # Callers are sessions themselves (SSO, or roles): the Production session is chained.
            for label, value in (("requested session duration", requested_duration),):
                if value and int(value) > 3600:
                    out.append(Finding(
                        "session-duration-beyond-chaining", "medium", name,
                        f"The {label} is {value} s, but a session chained from another role session (an Identity "
                        "Center session assuming this role) is capped at 3600 s: AssumeRole fails with it.",
                        "Request at most 3600 seconds (DurationSeconds / duration_seconds).", sid))
            if max_session_duration and int(max_session_duration) > 3600 and _SSO in " ".join(arns):
                out.append(Finding(
                    "max-session-duration-unreachable", "low", name,
                    f"MaxSessionDuration is {max_session_duration} s, but Identity Center callers chain into this "
                    "role and are capped at 3600 s; the longer maximum only serves other callers.",
                    "Set MaxSessionDuration to 3600 unless non-chained callers need longer sessions.", sid))
    out += principal_findings(trust, name)
    return out


def principal_findings(document, name) -> list[Finding]:
    """Role/user ARNs, unique ids and wildcards in Principal; NotPrincipal with Allow; Allow to everyone."""
    out = []
    for index, st in enumerate(_statements(document)):
        sid = _sid(st, index)
        for member in _aws_principals(st):
            if _UNIQUE_ID.match(member):
                out.append(Finding(
                    "principal-unique-id", "high", name,
                    f"Principal holds the unique id {member}: the principal it named was deleted, and the statement "
                    "no longer matches anyone (a recreated principal with the same name is not trusted).",
                    "Name the account root in Principal and the principal with an aws:PrincipalArn condition.", sid))
            elif re.search(r":(role|user)/", member):
                out.append(Finding(
                    "role-arn-in-principal", "medium", name,
                    f"Principal names {member}: AWS stores it as a unique id, and the statement breaks when that "
                    "principal is deleted and recreated.",
                    "Put the account root in Principal and the ARN in an ArnLike/ArnEquals aws:PrincipalArn condition "
                    "(conditions are not converted).", sid))
            if member != "*" and ("*" in member or "?" in member):
                out.append(Finding(
                    "wildcard-in-principal", "high", name,
                    f"Principal {member} has a wildcard; AWS allows only a lone * in Principal, so it matches nothing "
                    "(or the policy is rejected).",
                    "Use the account root in Principal with an ArnLike aws:PrincipalArn condition for patterns.", sid))
        if "NotPrincipal" in st and st.get("Effect") == "Allow":
            out.append(Finding(
                "notprincipal-with-allow", "high", name,
                "Allow with NotPrincipal grants the actions to every principal not listed, anonymous callers included.",
                "Use Principal with the principals meant to be allowed; keep NotPrincipal (if at all) for Deny.", sid))
        principal = st.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in policy_doc._as_list(principal.get("AWS")))
        if st.get("Effect") == "Allow" and everyone and not st.get("Condition"):
            out.append(Finding(
                "allow-everyone", "critical", name,
                "An Allow statement names every principal (*) without a condition: anyone, also anonymous, is allowed.",
                "Name the principals, or narrow the statement with conditions such as aws:PrincipalOrgID.", sid))
    return out


# --- identity policies ---------------------------------------------------------------------


def identity_findings(document, name) -> list[Finding]:
    out = []
    for index, st in enumerate(_statements(document)):
        if st.get("Effect") != "Allow":
            continue
        sid = _sid(st, index)
        actions = [str(a) for a in policy_doc._as_list(st.get("Action"))]
        wild = [a for a in actions if a == "*" or a.endswith(":*")]
        if wild or "NotAction" in st:
            out.append(Finding(
                "wildcard-action", "medium", name,
                f"Allow with {'NotAction' if not wild else 'wildcard actions ' + ', '.join(wild)}: grants more than "
                "the data access needs (and every action the service adds later).",
                "List the actions needed (for example s3:GetObject, s3:PutObject, s3:ListBucket).", sid))
        resources = [str(r) for r in policy_doc._as_list(st.get("Resource"))]
        if "*" in resources or "NotResource" in st:
            out.append(Finding(
                "wildcard-resource", "medium", name,
                "Allow on every resource (*): the grant reaches every bucket, key or role of the account, and of other "
                "accounts whose resource policies trust this one.",
                "Name the bucket, its objects (arn:aws:s3:::<bucket>/*) and the key ARN.", sid))
    return out


# --- bucket policy -------------------------------------------------------------------------


def bucket_findings(document, bucket, name="bucket policy") -> list[Finding]:
    statements = _statements(document)
    out = []
    if not statements:
        out.append(Finding(
            "no-bucket-policy", "high", name,
            f"Bucket {bucket} has no bucket policy: every principal of the account with an identity Allow reaches the data, "
            "and plain HTTP is accepted.",
            "Deploy the bucket policy (cross_account.aws.bucket_policy): allow the role, deny other principals and plain HTTP.")
        )
        return out
    denies = [s for s in statements if s.get("Effect") == "Deny"]
    restricting = [
        s for s in denies
        if _condition_values(s, "aws:PrincipalArn", {"arnnotlike", "arnnotequals", "stringnotlike", "stringnotequals"})
        or "NotPrincipal" in s
    ]
    if not restricting:
        out.append(Finding(
            "bucket-policy-allow-only", "high", name,
            "The bucket policy only allows: within the account an Allow in an identity policy suffices, so it restricts "
            "nobody in the Production account (any administrator can read the data).",
            "Add a Deny of the data-plane actions for principals whose aws:PrincipalArn is not the role or a named "
            "break-glass principal (ArnNotLike, which also matches when the key is missing)."))
    tls = [s for s in denies if "false" in [v.lower() for v in _condition_values(s, "aws:SecureTransport", {"bool", "boolifexists"})]]
    if not tls:
        out.append(Finding(
            "no-tls-only-deny", "high", name,
            "No statement denies requests without TLS (aws:SecureTransport false): plain HTTP is accepted "
            "(CIS AWS Foundations 2.1.1, FSBP S3.5).",
            "Add Deny s3:* on the bucket and its objects for Principal * with Bool aws:SecureTransport: false."))
    for index, st in enumerate(denies):
        for operator, pairs in (st.get("Condition") or {}).items():
            op = operator.lower()
            if op.endswith("ifexists") and op.startswith(("stringnot", "arnnot")) and any(
                    k.lower().startswith("s3:x-amz-server-side-encryption") for k in pairs or {}):
                out.append(Finding(
                    "deny-ifexists-missing-header", "high", name,
                    f"A Deny with {operator} on an encryption header is true when the header is missing: uploads that "
                    "rely on the bucket's default encryption are denied.",
                    "Deny only when the header is sent: add Null {header: false} and use StringNotEquals.", _sid(st, index)))
    out += principal_findings(document, name)
    return out


# --- key policy ----------------------------------------------------------------------------


def key_findings(document, account_id, name="key policy", partition="aws") -> list[Finding]:
    statements = _statements(document)
    root = policy_doc.root_arn(account_id, partition)
    has_root = False
    for st in statements:
        if st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        principal = st.get("Principal")
        members = policy_doc._principal(principal, partition, True).get("AWS", []) if isinstance(principal, dict) else []
        actions = [str(a).lower() for a in policy_doc._as_list(st.get("Action"))]
        if root in members and ("kms:*" in actions or "*" in actions):
            has_root = True
    out = []
    if not has_root:
        out.append(Finding(
            "key-policy-without-root", "high", name,
            f"The key policy has no unconditional statement giving the account root ({root}) kms:*: identity policies "
            "cannot grant use of the key, and if the principals it names are deleted the key becomes unmanageable "
            "(only AWS Support can recover it).",
            "Keep the default statement: Allow Principal {AWS: arn:aws:iam::<account>:root}, Action kms:*, Resource *."))
    out += principal_findings(document, name)
    return out


# --- CloudTrail ----------------------------------------------------------------------------


def selector_findings(advanced_selectors, basic_selectors=None, name="trail event selectors") -> list[Finding]:
    if not advanced_selectors:
        return []
    for selector in advanced_selectors:
        for field in selector.get("FieldSelectors") or []:
            if field.get("Field") == "eventCategory" and "Management" in (field.get("Equals") or []):
                return []
    return [Finding(
        "selectors-without-management-events", "high", name,
        "Advanced event selectors replace the basic ones, and none selects management events: role assumptions, "
        "policy changes and key use are no longer logged.",
        "Add an advanced event selector with eventCategory Equals Management (cross_account.aws.trail does so).")]


def lint(trust=None, permissions=(), bucket_policy=None, bucket=None, key_policy=None, account_id=None,
         advanced_selectors=None, max_session_duration=None, requested_duration=None, regional_sts=None,
         partition="aws", bucket_policy_read=True, key_policy_read=True) -> list[Finding]:
    """Every finding for the documents given (``permissions``: ``[(name, document)]``), most severe first."""
    out = []
    if trust is not None:
        out += trust_findings(trust, max_session_duration=max_session_duration, requested_duration=requested_duration,
                              regional_sts=regional_sts)
    for name, document in permissions:
        out += identity_findings(document, name)
    if bucket and bucket_policy_read:
        out += bucket_findings(bucket_policy, bucket)
    if key_policy is not None and key_policy_read and account_id:
        out += key_findings(key_policy, account_id, partition=partition)
    if advanced_selectors is not None:
        out += selector_findings(advanced_selectors)
    return sorted(out, key=lambda f: (SEVERITIES.index(f.severity), f.id, f.policy, f.sid))
