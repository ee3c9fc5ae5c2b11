#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: bucket_policy
short_description: The statements this collection owns in an S3 bucket policy
version_added: 0.1.0
description:
  - Manages only the bucket policy statements whose C(Sid) starts with O(sid_prefix), built from structured options.
    Every other statement (written by another team or tool) is kept exactly as it is, in deploy and in removal.
  - "Statements built: allow the access roles C(s3:ListBucket) on the bucket and the object actions on the objects
    (optionally under a prefix); deny the data-plane actions to every principal whose C(aws:PrincipalArn) is neither an
    access role nor an exempt principal (in the same account an Allow anywhere is enough, so only an explicit Deny
    restricts other principals); deny requests without TLS; deny uploads that ask for another encryption algorithm or
    key (only when the request names one, C(Null) false plus C(StringNotEquals), so uploads relying on the bucket's
    default encryption pass); and the CloudTrail
    log-delivery statements pinned with C(aws:SourceArn)."
  - The merged document is compared semantically with the current one and written (C(PutBucketPolicy)) only when it
    differs. O(state=absent) removes our statements; the policy is deleted only when nothing else is left.
  - A role that was created seconds ago can be "Invalid principal" to S3 for a while; the write is retried, then fails
    naming the principals.
  - "API calls on a converged run: C(s3:GetBucketPolicy), and C(kms:DescribeKey) when O(kms_key_arn) is an alias or key id
    rather than a key ARN."
  - In check mode a bucket that does not exist yet (an earlier task creates it) is reported with a warning and the whole
    policy is predicted as new.
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  bucket:
    description: Name of the bucket. It must exist.
    type: str
    required: true
  state:
    description: C(absent) removes only the statements whose Sid starts with O(sid_prefix).
    type: str
    choices: [present, absent]
    default: present
  sid_prefix:
    description:
      - Letters and digits only. A statement whose C(Sid) starts with it belongs to this module; keep it unique to
        this collection in the bucket's policy.
    type: str
    default: CrossAccount
  access_role_arns:
    description:
      - IAM role ARNs (no wildcards; AWS does not allow them in C(Principal)) granted O(access_actions).
      - Without them no allow and no deny-others statement is written.
    type: list
    elements: str
    default: []
  access_actions:
    description: S3 actions granted to the access roles (no wildcards). Bucket-level ones apply to the bucket, the others to objects.
    type: list
    elements: str
    default: [s3:ListBucket, s3:GetObject, s3:PutObject]
  access_prefix:
    description: Grant the object actions only under this key prefix.
    type: str
    default: ""
  deny_others:
    description: Deny O(deny_actions) to every principal that is neither an access role nor in O(exempt_principal_arns).
    type: bool
    default: true
  exempt_principal_arns:
    description:
      - Break-glass or administrator principals not affected by the deny-others statement. ARN patterns with C(*) and
        C(?) are allowed (they are matched with C(ArnNotLike aws:PrincipalArn)).
    type: list
    elements: str
    default: []
  deny_actions:
    description: The data-plane S3 actions that the deny-others statement blocks (no wildcards). Defaults to the collection's data-plane list.
    type: list
    elements: str
  require_tls:
    description: Deny every request made without TLS (C(aws:SecureTransport = false)).
    type: bool
    default: true
  kms_key_arn:
    description:
      - KMS key ARN that uploads must use when they ask for an encryption key (deny other algorithms and keys).
      - An alias (C(alias/<name>) or alias ARN) or key id is resolved to the key ARN with one C(kms:DescribeKey); the
        policy always names the key ARN. In check mode an alias that does not exist yet is reported with a warning and
        the predicted policy shows the alias.
    type: str
  cloudtrail_trail_arns:
    description:
      - Trail ARNs allowed to deliver logs to this bucket (C(GetBucketAcl) and C(PutObject) on C(AWSLogs/<account>/*),
        pinned with C(aws:SourceArn)). All must belong to one account.
    type: list
    elements: str
    default: []
  cloudtrail_prefix:
    description: The trail's S3 key prefix (logs go to C(<prefix>/AWSLogs/<account>/)).
    type: str
    default: ""
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Data bucket policy for the cross-account role
  cross_account.aws.bucket_policy:
    bucket: prod-data-222222222222
    access_role_arns:
      - arn:aws:iam::222222222222:role/DevToProdDataAccess
    exempt_principal_arns:
      - arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_AdministratorAccess_*
      - arn:aws:iam::222222222222:role/BreakGlass
    kms_key_arn: arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab

- name: Log bucket policy for CloudTrail
  cross_account.aws.bucket_policy:
    bucket: prod-trail-logs-222222222222
    cloudtrail_trail_arns:
      - arn:aws:cloudtrail:eu-west-1:222222222222:trail/cross-account-data

- name: Remove our statements, keep the others
  cross_account.aws.bucket_policy:
    bucket: prod-data-222222222222
    state: absent
"""

RETURN = r"""
policy:
  description: The whole bucket policy after the run (as desired), normalised and sorted; null when there is none.
  returned: always
  type: dict
managed_sids:
  description: Sids of the statements this module manages after the run.
  returned: always
  type: list
  elements: str
  sample: [CrossAccountAllowRoleList, CrossAccountAllowRoleObjects, CrossAccountDenyInsecureTransport]
foreign_sids:
  description: Sids of the statements written by others, left as they are (a statement without Sid appears as an empty string).
  returned: always
  type: list
  elements: str
changes:
  description: Names of the writes made (or in check mode predicted), in order (C(policy) or C(delete)).
  returned: always
  type: list
  elements: str
api_calls:
  description: AWS API calls the module made, in order (C(service:Operation)).
  returned: always
  type: list
  elements: str
"""

import re

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils import policy
from ansible_collections.cross_account.aws.plugins.module_utils import statements
from ansible_collections.cross_account.aws.plugins.module_utils import validate
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan

_SID_PREFIX = re.compile(r"^[A-Za-z0-9]{1,64}$")


def validate_options(module):
    p = module.params
    partition = aws.partition(module)
    checks = [
        ("bucket", p["bucket"], validate.rule("bucket_name", p["bucket"])),
        ("sid_prefix", p["sid_prefix"], None if _SID_PREFIX.fullmatch(p["sid_prefix"] or "") else "must be 1-64 letters and digits"),
    ]
    if p["state"] == "present":
        checks += validate.each("access_role_arns", p["access_role_arns"], lambda v: _arn_error(v, partition, "iam", "role"))
        checks += validate.each("exempt_principal_arns", p["exempt_principal_arns"], lambda v: _arn_error(v, partition, "iam", wildcards=True))
        checks += validate.each("access_actions", p["access_actions"], validate.s3_action)
        checks += validate.each("deny_actions", p["deny_actions"], validate.s3_action)
        checks += validate.each("cloudtrail_trail_arns", p["cloudtrail_trail_arns"], lambda v: _arn_error(v, partition, "cloudtrail", "trail"))
        if p["kms_key_arn"]:
            key_ref = p["kms_key_arn"]
            key_error = validate.kms_key(key_ref) or (_arn_error(key_ref, partition, "kms") if key_ref.startswith("arn:") else None)
            checks.append(("kms_key_arn", key_ref, key_error))
        if p["access_role_arns"] and not p["access_actions"]:
            checks.append(("access_actions", [], "must list at least one action when access_role_arns is set"))
        if p["deny_actions"] is not None and not p["deny_actions"]:
            checks.append(("deny_actions", [], "must list at least one action (set deny_others=false to drop the statement)"))
        trail_accounts = {statements.account_of(a) for a in p["cloudtrail_trail_arns"] if not validate.arn(a)}
        if len(trail_accounts) > 1:
            checks.append(("cloudtrail_trail_arns", None, f"must all belong to one account (logs go to AWSLogs/<account>/), got {sorted(trail_accounts)}"))
    validate.check(module, checks)


def _arn_error(value, partition, service, resource_type=None, wildcards=False):
    error = validate.arn(value, service, resource_type, wildcards=wildcards)
    if error:
        return error
    if not str(value).startswith(f"arn:{partition}:"):
        return f"must be in partition {partition} (the module's region)"
    return None


def read_policy(s3, bucket):
    """The bucket's policy document, ``None`` when it has none; raises NoSuchBucket."""
    try:
        return policy.parse(s3.get_bucket_policy(Bucket=bucket, aws_retry=True)["Policy"])
    except is_boto3_error_code("NoSuchBucketPolicy"):
        return None


def desired_statements(module, partition):
    p = module.params
    return statements.bucket_statements(
        p["bucket"],
        p["sid_prefix"],
        partition=partition,
        access_role_arns=p["access_role_arns"],
        access_actions=p["access_actions"],
        access_prefix=p["access_prefix"],
        deny_others=p["deny_others"],
        exempt_principal_arns=p["exempt_principal_arns"],
        deny_actions=p["deny_actions"],
        require_tls=p["require_tls"],
        kms_key_arn=aws.resolve_kms_key(module, p["kms_key_arn"], "kms_key_arn"),
        cloudtrail_trail_arns=p["cloudtrail_trail_arns"],
        cloudtrail_prefix=p["cloudtrail_prefix"],
    )


def put_policy(module, s3, document):
    bucket = module.params["bucket"]
    try:
        aws.call_while_propagating(
            lambda: s3.put_bucket_policy(Bucket=bucket, Policy=policy.to_json(document), aws_retry=True),
            codes=["MalformedPolicy"],
            message_contains="Invalid principal",
            what="PutBucketPolicy",
        )
    except is_boto3_error_code("MalformedPolicy") as e:
        if "invalid principal" not in str(e).lower():
            raise
        principals = ", ".join(aws.invalid_principals(e, module.params["access_role_arns"])) or "(none of ours: check the other statements)"
        module.fail_json_aws(
            e,
            msg=f"S3 rejected the policy of bucket {bucket}: principal {principals} does not exist or had not propagated after "
            f"{aws.propagation_timeout():.0f} seconds of retries (access_role_arns); nothing was changed",
        )


def _sids(statement_list):
    return [s.get("Sid") or "" for s in statement_list]


def main():
    argument_spec = dict(
        bucket=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        sid_prefix=dict(type="str", default="CrossAccount"),
        access_role_arns=dict(type="list", elements="str", default=[]),
        access_actions=dict(type="list", elements="str", default=["s3:ListBucket", "s3:GetObject", "s3:PutObject"]),
        access_prefix=dict(type="str", default=""),
        deny_others=dict(type="bool", default=True),
        exempt_principal_arns=dict(type="list", elements="str", default=[]),
        deny_actions=dict(type="list", elements="str"),
        require_tls=dict(type="bool", default=True),
        kms_key_arn=dict(type="str", no_log=False),
        cloudtrail_trail_arns=dict(type="list", elements="str", default=[]),
        cloudtrail_prefix=dict(type="str", default=""),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    bucket, prefix = p["bucket"], p["sid_prefix"]
    partition = aws.partition(module)
    s3 = aws.client(module, "s3")
    plan = Plan(module, partition)

    def is_managed(sid):
        return str(sid).startswith(prefix)

    try:
        try:
            current = read_policy(s3, bucket)
        except is_boto3_error_code("NoSuchBucket"):
            if p["state"] == "absent":
                module.exit_json(**plan.finish(policy=None, managed_sids=[], foreign_sids=[]))
            # check mode: predict against an empty policy (an earlier task creates the bucket); otherwise fail
            aws.missing_dependency(module, "bucket", f"bucket {bucket!r}", "create it first, for example with cross_account.aws.bucket")
            current = None

        ours = desired_statements(module, partition) if p["state"] == "present" else []
        target = policy.managed_merge(current, ours, is_managed)
        existing = (current or {}).get("Statement") or []
        existing = [existing] if isinstance(existing, dict) else existing
        foreign = [s for s in existing if not is_managed(s.get("Sid") or "")]

        if target is None:
            if current is not None:
                plan.delete({"policy": plan.shown(current)}, lambda: s3.delete_bucket_policy(Bucket=bucket, aws_retry=True))
        else:
            plan.policy("policy", current, target, lambda: put_policy(module, s3, target))
        result = plan.finish(
            policy=plan.shown(target),
            managed_sids=sorted(_sids(ours)),
            foreign_sids=_sids(foreign),
        )
        module.exit_json(**result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage the policy of bucket {bucket}")


if __name__ == "__main__":
    main()
