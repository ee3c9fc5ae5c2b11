# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The policy documents this collection deploys, built from structured options.

Principals that may be deleted and recreated are named with ``aws:PrincipalArn`` conditions
where the grant does not need them in ``Principal``: AWS turns an ARN in ``Principal`` into a
unique id when the principal is recreated, but leaves condition values alone.
"""

from __future__ import annotations

from .policy import DEFAULT_VERSION, root_arn

# Bucket-level S3 actions; everything else in an action list applies to objects.
BUCKET_ACTIONS = frozenset(("s3:listbucket", "s3:listbucketversions", "s3:getbucketlocation", "s3:listbucketmultipartuploads"))
# What the deny-everyone-else statement blocks for principals that are not allowed in.
DATA_PLANE_ACTIONS = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:RestoreObject",
    "s3:ListBucket",
    "s3:ListBucketVersions",
]
KMS_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
]
S3_KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey"]


def document(statements: list[dict]) -> dict:
    return {"Version": DEFAULT_VERSION, "Statement": statements}


def bucket_arn(bucket: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{bucket}"


def role_arn(account_id: str, name: str, path: str = "/", partition: str = "aws") -> str:
    return f"arn:{partition}:iam::{account_id}:role{path}{name}"


def trail_arn(account_id: str, region: str, name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:cloudtrail:{region}:{account_id}:trail/{name}"


def _objects(bucket: str, prefix: str, partition: str) -> str:
    return f"{bucket_arn(bucket, partition)}/{prefix or ''}*"


def account_of(arn: str) -> str:
    return arn.split(":")[4]


# --- IAM role -----------------------------------------------------------------------------


# IAM Identity Center provisions a permission set as a role under this path, named
# AWSReservedSSO_<PermissionSet>_<hex>; older instances put a region segment in the path
# (/aws-reserved/sso.amazonaws.com/<region>/). The pattern matches both.
SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"


def permission_set_role_pattern(account_id: str, permission_set: str, partition: str = "aws") -> str:
    """``ArnLike`` pattern for the roles of ``permission_set`` in ``account_id`` (with or without a region segment)."""
    return f"arn:{partition}:iam::{account_id}:role{SSO_ROLE_PATH}*AWSReservedSSO_{permission_set}_*"


def trust_policy(
    trusted_account_ids,
    principal_arns=None,
    external_id=None,
    organization_id=None,
    regions=None,
    require_mfa=False,
    mfa_max_age=None,
    partition="aws",
) -> dict:
    """Trust the given accounts' roots, narrowed by conditions (never role ARNs in Principal)."""
    condition: dict = {}
    string_equals = {}
    if external_id:
        string_equals["sts:ExternalId"] = external_id
    if organization_id:
        string_equals["aws:PrincipalOrgID"] = organization_id
    if regions:
        string_equals["aws:RequestedRegion"] = sorted(regions)
    if string_equals:
        condition["StringEquals"] = string_equals
    if principal_arns:
        condition["ArnLike"] = {"aws:PrincipalArn": sorted(principal_arns)}
    if require_mfa:
        condition["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        if mfa_max_age:
            condition["NumericLessThan"] = {"aws:MultiFactorAuthAge": str(mfa_max_age)}
    statement = {
        "Sid": "TrustDevelopmentPrincipals",
        "Effect": "Allow",
        "Principal": {"AWS": sorted(root_arn(a, partition) for a in trusted_account_ids)},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return document([statement])


def role_permissions(bucket, actions, prefix="", kms_key_arn=None, region="us-east-1", partition="aws") -> dict:
    """Least privilege for the cross-account role: the bucket's objects, and the key only via S3."""
    bucket_level = sorted(a for a in actions if a.lower() in BUCKET_ACTIONS)
    object_level = sorted(a for a in actions if a.lower() not in BUCKET_ACTIONS)
    statements = []
    if bucket_level:
        statement = {"Sid": "ListDataBucket", "Effect": "Allow", "Action": bucket_level, "Resource": bucket_arn(bucket, partition)}
        if prefix:
            statement["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}}
        statements.append(statement)
    if object_level:
        statements.append(
            {"Sid": "ReadWriteDataObjects", "Effect": "Allow", "Action": object_level, "Resource": _objects(bucket, prefix, partition)}
        )
    if kms_key_arn:
        statements.append(
            {
                "Sid": "UseDataKeyViaS3",
                "Effect": "Allow",
                "Action": S3_KMS_ACTIONS,
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            }
        )
    return document(statements)


def assume_role_permissions(role_arns, session_tagging=False) -> dict:
    """Identity policy in the Development account: assume the named Production roles."""
    actions = ["sts:AssumeRole"] + (["sts:SetSourceIdentity", "sts:TagSession"] if session_tagging else [])
    return document([{"Sid": "AssumeProductionDataRoles", "Effect": "Allow", "Action": actions, "Resource": sorted(role_arns)}])


# --- S3 bucket policy -------------------------------------------------------------------------


def bucket_statements(
    bucket,
    sid_prefix,
    partition="aws",
    access_role_arns=None,
    access_actions=None,
    access_prefix="",
    deny_others=True,
    exempt_principal_arns=None,
    deny_actions=None,
    require_tls=True,
    kms_key_arn=None,
    cloudtrail_trail_arns=None,
    cloudtrail_prefix="",
    cloudtrail_account_id=None,
) -> list[dict]:
    """The statements this collection owns in a bucket policy, each Sid starting with ``sid_prefix``."""
    bucket_resource = bucket_arn(bucket, partition)
    all_objects = _objects(bucket, "", partition)
    statements = []
    roles = sorted(access_role_arns or [])
    if roles:
        actions = access_actions or ["s3:GetObject", "s3:ListBucket", "s3:PutObject"]
        bucket_level = sorted(a for a in actions if a.lower() in BUCKET_ACTIONS)
        object_level = sorted(a for a in actions if a.lower() not in BUCKET_ACTIONS)
        if bucket_level:
            statements.append(
                {"Sid": f"{sid_prefix}AllowRoleList", "Effect": "Allow", "Principal": {"AWS": roles},
                 "Action": bucket_level, "Resource": bucket_resource}
            )
        if object_level:
            statements.append(
                {"Sid": f"{sid_prefix}AllowRoleObjects", "Effect": "Allow", "Principal": {"AWS": roles},
                 "Action": object_level, "Resource": _objects(bucket, access_prefix, partition)}
            )
    if deny_others and roles:
        # Same account: an Allow anywhere suffices, so only an explicit Deny restricts other
        # principals. ArnNotLike also matches when the key is missing (service principals).
        statements.append(
            {
                "Sid": f"{sid_prefix}DenyOtherPrincipals",
                "Effect": "Deny",
                "Principal": "*",
                "Action": sorted(deny_actions or DATA_PLANE_ACTIONS),
                "Resource": [bucket_resource, all_objects],
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": sorted(set(roles) | set(exempt_principal_arns or []))}},
            }
        )
    if require_tls:
        statements.append(
            {
                "Sid": f"{sid_prefix}DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_resource, all_objects],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if kms_key_arn:
        # Deny only when the header is sent (Null: false) and names something else: uploads that rely on
        # the bucket's default encryption send no header and pass. (A ...IfExists or plain negated operator
        # would be true for a missing header and deny those uploads too.)
        statements.append(
            {
                "Sid": f"{sid_prefix}DenyOtherEncryption",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": all_objects,
                "Condition": {
                    "Null": {"s3:x-amz-server-side-encryption": "false"},
                    "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
                },
            }
        )
        statements.append(
            {
                "Sid": f"{sid_prefix}DenyOtherKmsKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": all_objects,
                "Condition": {
                    "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
                    "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn},
                },
            }
        )
    trails = sorted(cloudtrail_trail_arns or [])
    if trails:
        account = cloudtrail_account_id or account_of(trails[0])
        log_prefix = f"{cloudtrail_prefix.strip('/')}/" if cloudtrail_prefix else ""
        source = {"aws:SourceArn": trails}
        statements.append(
            {"Sid": f"{sid_prefix}CloudTrailAclCheck", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": "s3:GetBucketAcl", "Resource": bucket_resource, "Condition": {"StringEquals": source}}
        )
        statements.append(
            {
                "Sid": f"{sid_prefix}CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_resource}/{log_prefix}AWSLogs/{account}/*",
                "Condition": {"StringEquals": dict(source, **{"s3:x-amz-acl": "bucket-owner-full-control"})},
            }
        )
    return statements


# --- KMS key policy --------------------------------------------------------------------------


def key_policy(account_id, partition="aws", region="us-east-1", administrators=None, service_users=None, cloudtrail_trail_arns=None) -> dict:
    """Key policy: the account root keeps ``kms:*`` so the key can never become unmanageable."""
    root = root_arn(account_id, partition)
    statements = [{"Sid": "AccountRootFullAccess", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"}]
    if administrators:
        statements.append(
            {
                "Sid": "KeyAdministrators",
                "Effect": "Allow",
                "Principal": {"AWS": sorted({root_arn(account_of(a), partition) for a in administrators})},
                "Action": KMS_ADMIN_ACTIONS,
                "Resource": "*",
                "Condition": {"ArnLike": {"aws:PrincipalArn": sorted(administrators)}},
            }
        )
    for index, user in enumerate(service_users or []):
        arns = sorted(user["principal_arns"])
        service = user.get("via_service") or "s3"
        statements.append(
            {
                "Sid": f"UseVia{service.capitalize()}{index or ''}",
                "Effect": "Allow",
                "Principal": {"AWS": sorted({root_arn(account_of(a), partition) for a in arns})},
                "Action": sorted(user.get("actions") or S3_KMS_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"aws:PrincipalArn": arns},
                    "StringEquals": {"kms:ViaService": f"{service}.{region}.amazonaws.com"},
                },
            }
        )
    trails = sorted(cloudtrail_trail_arns or [])
    if trails:
        statements.append(
            {
                "Sid": "CloudTrailEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trails},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account_id}:trail/*"},
                },
            }
        )
        statements.append(
            {
                "Sid": "CloudTrailDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trails}},
            }
        )
    return document(statements)
