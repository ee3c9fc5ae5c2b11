# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The access matrix of the ``access_report`` module: who can reach the data, and why.

``answer_matrix(documents, subjects, ...)`` asks the evaluator one question per principal and action
and compares each answer with the intended design (``expected``). Pure Python; the module reads
the documents.
"""

from __future__ import annotations

from . import evaluator as ev

# (key, label) in table order.
ACTIONS = [
    ("assume_role", "assume role"),
    ("list", "list"),
    ("get", "get"),
    ("put", "put"),
    ("put_other_key", "put, other KMS key"),
    ("put_sse_s3", "put, SSE-S3"),
    ("delete", "delete"),
    ("put_acl", "put ACL"),
    ("decrypt_direct", "kms:Decrypt (direct)"),
]
ACTION_LABELS = dict(ACTIONS)
_S3_ACTION = {
    "list": "s3:ListBucket",
    "get": "s3:GetObject",
    "put": "s3:PutObject",
    "put_other_key": "s3:PutObject",
    "put_sse_s3": "s3:PutObject",
    "delete": "s3:DeleteObject",
    "put_acl": "s3:PutObjectAcl",
}
_KMS_FOR = {"get": "kms:Decrypt", "put": "kms:GenerateDataKey"}
ASSUMED_ADMIN = {"Version": "2012-10-17", "Statement": [{"Sid": "AdministratorAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}


class Subject:
    """One row of the matrix: a principal and how it calls.

    ``via_role``: it reaches the data through a session of the cross-account role (the Development
    rows); otherwise it calls S3 and KMS directly with ``identity`` policies.
    """

    def __init__(self, key, label, principal, identity=(), external_id=None, secure=True, via_role=False,
                 identity_note=None, expected=None):
        self.key, self.label, self.principal = key, label, principal
        self.identity = list(identity)
        self.external_id, self.secure, self.via_role = external_id, secure, via_role
        self.identity_note = identity_note
        self.expected = expected or {}


def _denial(reason, deciding=()) -> dict:
    return {"allowed": False, "decision": ev.IMPLICIT_DENY, "reason": reason, "deciding": list(deciding)}


def answer_matrix(subjects, *, role_arn, trust, role_policies, bucket, bucket_policy, key_arn, key_policy,
                  account_id, region="us-east-1", partition="aws", object_key="report/probe.txt",
                  object_ownership=None, block_public_access=None, scps=()) -> list[dict]:
    """One answer per subject and action (see ``ACTIONS``)."""
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    object_arn = f"{bucket_arn}/{object_key}"
    other_key = f"arn:{partition}:kms:{region}:{account_id}:key/00000000-0000-0000-0000-000000000000"
    answers = []
    for subject in subjects:
        scp_docs = _scps_for(scps, subject.principal.account)
        assume = _assume(subject, role_arn, trust, account_id, region, scp_docs)
        for action, label in ACTIONS:
            if action == "assume_role":
                answer = assume
            elif subject.via_role and not assume["allowed"]:
                answer = _denial(f"cannot reach the data: no role session ({assume['reason']})", assume["deciding"])
            else:
                if subject.via_role:
                    principal = ev.Principal("role", role_arn, account_id, session_name="developer")
                    identity = list(role_policies)
                else:
                    principal, identity = subject.principal, subject.identity
                answer = _data(action, principal, identity, subject.secure, bucket_arn, object_arn, bucket_policy, key_arn,
                               key_policy, account_id, region, other_key, object_ownership, block_public_access,
                               _scps_for(scps, principal.account))
            expected = subject.expected.get(action)
            answers.append({
                "principal": subject.key,
                "principal_label": subject.label,
                "principal_arn": subject.principal.arn or "(anonymous)",
                "action": action,
                "action_label": label,
                "allowed": answer["allowed"],
                "decision": answer["decision"],
                "reason": answer["reason"],
                "deciding": answer["deciding"],
                "expected": expected,
                "agrees": None if expected is None else expected == answer["allowed"],
                "identity_note": subject.identity_note,
            })
    return answers


def _scps_for(scps, account):
    return [(s["name"], s["policy"]) for s in scps or () if not s.get("accounts") or account in s["accounts"]]


def _assume(subject, role_arn, trust, account_id, region, scp_docs) -> dict:
    if trust is None:
        return _denial(f"the role {role_arn} does not exist")
    context = {"sts:ExternalId": subject.external_id} if subject.external_id else {}
    request = ev.Request(subject.principal, "sts:AssumeRole", role_arn, context, secure_transport=subject.secure, region=region)
    decision = ev.evaluate_assume_role(request, trust, account_id, subject.identity, scp_docs)
    answer = decision.as_dict()
    if not subject.secure:
        answer["reason"] += " (STS accepts only HTTPS: over plain HTTP the call cannot be made at all)"
    return answer


def _data(action, principal, identity, secure, bucket_arn, object_arn, bucket_policy, key_arn, key_policy, account_id,
          region, other_key, ownership, bpa, scp_docs) -> dict:
    if action == "decrypt_direct":
        if not key_arn:
            return _denial("no KMS key")
        request = ev.Request(principal, "kms:Decrypt", key_arn, {"kms:CallerAccount": principal.account or None},
                             secure_transport=secure, region=region)
        return ev.evaluate_kms(request, key_policy, account_id, identity, scp_docs).as_dict()
    context = {}
    if action == "list":
        key = object_arn[len(bucket_arn) + 1:]
        context["s3:prefix"] = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    if action == "put_other_key":
        context.update({"s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": other_key})
    if action == "put_sse_s3":
        context["s3:x-amz-server-side-encryption"] = "AES256"
    resource = bucket_arn if action == "list" else object_arn
    request = ev.Request(principal, _S3_ACTION[action], resource, context, secure_transport=secure, region=region)
    answer = ev.evaluate(request, identity, bucket_policy, account_id, "bucket policy", scps=scp_docs).as_dict()
    if not answer["allowed"]:
        return answer
    if action == "put_acl" and ownership == "BucketOwnerEnforced":
        return {"allowed": False, "decision": "acl-disabled", "deciding": [
            {"policy": "object ownership", "sid": "BucketOwnerEnforced", "effect": "ACLs disabled"}],
            "reason": "the policies would allow it, but ACLs are disabled (object ownership BucketOwnerEnforced): "
                      "AWS answers AccessControlListNotSupported"}
    if principal.kind == "anonymous" and (bpa or {}).get("RestrictPublicBuckets"):
        return {"allowed": False, "decision": "block-public-access", "deciding": [
            {"policy": "Block Public Access", "sid": "RestrictPublicBuckets", "effect": "blocks"}],
            "reason": "the bucket policy would allow it, but Block Public Access (RestrictPublicBuckets) refuses anonymous access"}
    kms_action = _KMS_FOR.get(action)
    if kms_action and key_arn:
        kms_context = {"kms:ViaService": f"s3.{region}.amazonaws.com", "kms:CallerAccount": principal.account or None,
                       "kms:EncryptionContext:aws:s3:arn": bucket_arn}
        kms_request = ev.Request(principal, kms_action, key_arn, kms_context, secure_transport=secure, region=region)
        kms = ev.evaluate_kms(kms_request, key_policy, account_id, identity, scp_docs).as_dict()
        if not kms["allowed"]:
            kms["reason"] = f"S3 allows it, but {kms_action} on the data key is refused: {kms['reason']}"
            return kms
        answer["deciding"] = answer["deciding"] + kms["deciding"]
        answer["reason"] += f"; {kms_action} via S3: {kms['reason']}"
    return answer


def expected_design(kind: str, intended_actions) -> dict:
    """What the design intends for each row kind (None: no expectation)."""
    granted = {a.lower() for a in intended_actions or ()}
    if kind == "developer":
        return {
            "assume_role": True,
            "list": "s3:listbucket" in granted,
            "get": "s3:getobject" in granted,
            "put": "s3:putobject" in granted,
            "put_other_key": False,
            "put_sse_s3": False,
            "delete": "s3:deleteobject" in granted,
            "put_acl": False,
            "decrypt_direct": False,
        }
    denied = {key: False for key, _label in ACTIONS}
    if kind == "plain_http":
        denied["assume_role"] = None  # STS is HTTPS-only: the policies do not decide it
    if kind in ("administrator", "root"):
        denied["decrypt_direct"] = None  # the key policy's root statement lets IAM administrators use the key
    return denied


def summary(answers) -> dict:
    """``{principal: {action: "allowed" | "denied"}}``."""
    table = {}
    for a in answers:
        table.setdefault(a["principal"], {})[a["action"]] = "allowed" if a["allowed"] else "denied"
    return table
