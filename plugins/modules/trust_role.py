#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: trust_role
short_description: The cross-account IAM role that Development principals assume
version_added: 0.1.0
description:
  - Creates, updates or deletes the IAM role in the Production account that Development principals assume
    to reach the data.
  - The trust policy names only the trusted accounts' roots in C(Principal) and narrows them with conditions
    (C(sts:ExternalId), C(aws:PrincipalArn), C(aws:PrincipalOrgID), C(aws:RequestedRegion), MFA). Role ARNs are
    never placed in C(Principal), where AWS would turn them into unique ids when the trusted role is recreated.
  - The inline permissions policy grants only the listed S3 actions on the bucket (optionally under a prefix)
    and C(kms:GenerateDataKey)/C(kms:Decrypt) on the data key only via S3.
  - Policies are compared semantically; a converged run makes no write call. Check mode predicts exactly; C(--diff)
    shows policies as sorted JSON.
  - "The role's inline policies are this module's own: an inline policy other than O(inline_policy_name) (an earlier
    name, or one added by hand, which would widen the least-privilege grant) is deleted unless
    O(purge_inline_policies=false), and without O(bucket) the permissions policy itself is deleted."
  - "API calls on a converged run: C(iam:GetRole), C(iam:ListRolePolicies), C(iam:GetRolePolicy), and C(kms:DescribeKey)
    when O(kms_key_arn) is an alias or key id rather than a key ARN. With O(state=absent): C(iam:GetRole),
    C(iam:ListRolePolicies), C(iam:GetRolePolicy)."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  name:
    description: Name of the role.
    type: str
    required: true
  path:
    description: IAM path of the role. IAM cannot move a role; a different path is refused.
    type: str
    default: /
  description:
    description: Description of the role.
    type: str
    default: Cross-account data access for Development principals (managed by cross_account.aws)
  state:
    description: C(absent) removes inline policies, detaches managed policies, removes instance profiles, then deletes the role.
    type: str
    choices: [present, absent]
    default: present
  trusted_account_ids:
    description: Account ids whose principals may assume the role (their root appears in C(Principal)). Required with O(state=present).
    type: list
    elements: str
  trusted_principal_arns:
    description:
      - ARNs or ARN patterns (C(*), C(?)) of the principals allowed, as C(ArnLike aws:PrincipalArn).
      - For IAM Identity Center use C(arn:aws:iam::<dev>:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_<Set>_*),
        which matches with and without a region segment in the path.
    type: list
    elements: str
    default: []
  trusted_permission_sets:
    description:
      - Trust mode C(identity_center). Names of IAM Identity Center permission sets whose roles may assume this role,
        in each of O(trusted_account_ids).
      - Each becomes the pattern C(arn:<partition>:iam::<account>:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_<name>_*)
        in C(ArnLike aws:PrincipalArn), which matches the permission-set role with and without a region segment in its path.
      - Trust mode C(iam_principals) is O(trusted_principal_arns) with exact role or user ARNs. Both may be combined;
        one of them is required unless O(trust_entire_accounts=true).
    type: list
    elements: str
    default: []
  trust_entire_accounts:
    description:
      - Allow a trust policy without an C(aws:PrincipalArn) condition, so that every principal of the trusted accounts
        that is allowed C(sts:AssumeRole) and knows the external id may assume the role. Refused by default (least
        privilege); name the principals with O(trusted_principal_arns) or O(trusted_permission_sets) instead.
    type: bool
    default: false
  external_id:
    description: Required C(sts:ExternalId), 2-1224 characters from letters, digits and C(_+=,.@:/-) (what STS accepts).
    type: str
  organization_id:
    description: Require callers from this AWS Organization (C(aws:PrincipalOrgID)).
    type: str
  requested_regions:
    description:
      - Allow assuming the role only through STS endpoints in these regions (C(aws:RequestedRegion)).
      - The global STS endpoint counts as us-east-1; callers must use regional STS endpoints.
    type: list
    elements: str
    default: []
  require_mfa:
    description:
      - Require C(aws:MultiFactorAuthPresent). Only for IAM-user callers; IAM Identity Center sessions never carry
        this key, so it is refused together with C(AWSReservedSSO_) principals (enforce MFA in Identity Center).
    type: bool
    default: false
  mfa_max_age:
    description: With O(require_mfa), the maximum age in seconds of the MFA authentication (C(aws:MultiFactorAuthAge)).
    type: int
  max_session_duration:
    description: Maximum session length in seconds, 3600-43200. Sessions chained from another role are capped at 3600 by AWS.
    type: int
    default: 3600
  bucket:
    description:
      - The data bucket the role may use. Without it the role has no permissions policy (an existing one is deleted),
        and O(kms_key_arn) and O(object_prefix) are refused.
    type: str
  object_prefix:
    description: Restrict object access and listing to keys under this prefix.
    type: str
    default: ""
  actions:
    description:
      - S3 actions granted. No wildcards; ACL writes (C(s3:PutObjectAcl), C(s3:PutObjectVersionAcl)) are refused.
    type: list
    elements: str
    default: [s3:ListBucket, s3:GetObject, s3:PutObject]
  kms_key_arn:
    description:
      - ARN of the data key; the role may use it only through S3 in the module's region.
      - An alias (C(alias/<name>) or alias ARN) or key id is resolved to the key ARN with one C(kms:DescribeKey); the
        policy always names the key ARN. In check mode an alias that does not exist yet (a C(kms_key) task earlier in
        the run would create it) is reported with a warning, and the predicted policy shows the alias.
    type: str
  inline_policy_name:
    description: Name of the inline permissions policy.
    type: str
    default: cross-account-data-access
  purge_inline_policies:
    description:
      - Delete every inline policy of the role other than O(inline_policy_name). With V(false) they are left alone.
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Cross-account role trusted by the Development account's Identity Center permission set
  cross_account.aws.trust_role:
    name: DevToProdDataAccess
    trusted_account_ids: ["111111111111"]
    trusted_principal_arns:
      - arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*
    external_id: data-access-2f1c9a
    bucket: prod-data-222222222222
    kms_key_arn: arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab
    tags:
      owner: platform

- name: Remove it
  cross_account.aws.trust_role:
    name: DevToProdDataAccess
    state: absent
"""

RETURN = r"""
role:
  description: The role, absent when it does not exist (or would only be created in check mode).
  returned: always
  type: dict
  contains:
    arn: {description: Role ARN., type: str, sample: "arn:aws:iam::222222222222:role/DevToProdDataAccess"}
    role_id: {description: Unique id of the role., type: str, sample: AROAEXAMPLEID12345678}
    name: {description: Role name., type: str}
    path: {description: Role path., type: str}
trust_policy:
  description: The trust policy after the run (as desired), normalised.
  returned: when state is present
  type: dict
permissions_policy:
  description: The inline permissions policy after the run, normalised; null without O(bucket).
  returned: when state is present
  type: dict
changes:
  description: Names of the settings that were (or in check mode would be) written, in order.
  returned: always
  type: list
  elements: str
  sample: [trust_policy, tags]
api_calls:
  description: AWS API calls the module made, in order (C(service:Operation)).
  returned: always
  type: list
  elements: str
"""

try:
    import botocore
except ImportError:
    pass  # handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils import policy
from ansible_collections.cross_account.aws.plugins.module_utils import statements
from ansible_collections.cross_account.aws.plugins.module_utils import validate
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan

ACL_WRITES = {"s3:putobjectacl", "s3:putobjectversionacl"}


def validate_options(module):
    p = module.params
    checks = [
        ("name", p["name"], validate.rule("role_name", p["name"])),
        ("path", p["path"], validate.rule("iam_path", p["path"])),
        ("inline_policy_name", p["inline_policy_name"], validate.rule("policy_name", p["inline_policy_name"])),
    ]
    if p["state"] == "absent":
        return validate.check(module, checks)
    if not p["trusted_account_ids"]:
        checks.append(("trusted_account_ids", None, "must list at least one account id with state=present"))
    if not (p["trusted_principal_arns"] or p["trusted_permission_sets"] or p["trust_entire_accounts"]):
        checks.append(("trusted_principal_arns", None, "must name the trusted principals (or trusted_permission_sets): without "
                       "an aws:PrincipalArn condition every principal of the trusted accounts that knows the external id could "
                       "assume the role; set trust_entire_accounts=true if that is really meant"))
    checks += validate.each("trusted_account_ids", p["trusted_account_ids"], lambda v: validate.rule("account_id", v))
    checks += validate.each("trusted_principal_arns", p["trusted_principal_arns"], lambda v: _principal_error(v, p["trusted_account_ids"]))
    checks += validate.each("requested_regions", p["requested_regions"], lambda v: validate.rule("region", v))
    checks += validate.each("actions", p["actions"], _action_error)
    if p["external_id"] is not None:
        checks.append(("external_id", None, validate.rule("external_id", p["external_id"])))
    if p["organization_id"]:
        checks.append(("organization_id", p["organization_id"], validate.rule("organization_id", p["organization_id"])))
    checks.append(("max_session_duration", p["max_session_duration"], validate.between(p["max_session_duration"], 3600, 43200)))
    if p["mfa_max_age"] is not None:
        error = None if p["require_mfa"] else "needs require_mfa=true"
        checks.append(("mfa_max_age", p["mfa_max_age"], error or validate.between(p["mfa_max_age"], 1, 129600)))
    checks += validate.each("trusted_permission_sets", p["trusted_permission_sets"], lambda v: validate.rule("permission_set_name", v))
    if p["require_mfa"] and (p["trusted_permission_sets"] or any("AWSReservedSSO_" in arn for arn in p["trusted_principal_arns"])):
        checks.append(
            ("require_mfa", True, "cannot be combined with IAM Identity Center principals (trusted_permission_sets or AWSReservedSSO_* "
             "in trusted_principal_arns): Identity Center sessions, and sessions chained from them, never carry "
             "aws:MultiFactorAuthPresent, so every developer would be denied; enforce MFA in Identity Center instead "
             "(require_mfa is for IAM-user callers, with mfa_max_age for aws:MultiFactorAuthAge)")
        )
    if p["kms_key_arn"]:
        checks.append(("kms_key_arn", p["kms_key_arn"], validate.kms_key(p["kms_key_arn"]) or _needs_bucket(p)))
    if p["object_prefix"]:
        checks.append(("object_prefix", p["object_prefix"], _needs_bucket(p)))
    if p["bucket"]:
        checks.append(("bucket", p["bucket"], validate.rule("bucket_name", p["bucket"])))
    validate.check(module, checks)


def _needs_bucket(p):
    return None if p["bucket"] else "needs bucket: without it the role has no permissions policy to apply it to"


def _principal_error(value, accounts):
    error = validate.arn(value, "iam", wildcards=True)
    if error:
        return error
    if statements.account_of(value) not in (accounts or []):
        return "must belong to one of trusted_account_ids"
    return None


def _action_error(action):
    if action.lower() in ACL_WRITES:
        return "is refused: object ACLs are disabled (BucketOwnerEnforced) and ACL writes are not least privilege"
    return validate.s3_action(action)


def read_role(iam, name, policy_name):
    """The role, the names of its inline policies, and the document of ``policy_name`` (``None`` when absent)."""
    try:
        role = iam.get_role(RoleName=name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    role["inline_policies"] = sorted(paginated_query_with_retries(iam, "list_role_policies", RoleName=name)["PolicyNames"])
    role["permissions_policy"] = None
    if policy_name in role["inline_policies"]:
        role["permissions_policy"] = iam.get_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)["PolicyDocument"]
    return role


def stale_inline_policies(current, permissions, policy_name, purge):
    """The inline policies to delete: the permissions policy when none is wanted, and the others when purged."""
    return [name for name in current["inline_policies"]
            if (name == policy_name and permissions is None) or (name != policy_name and purge)]


def delete_inline_policies(iam, name, policy_names):
    for policy_name in policy_names:
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)


def delete_role(iam, name, inline_policies):
    delete_inline_policies(iam, name, inline_policies)
    for attached in iam.list_attached_role_policies(RoleName=name, aws_retry=True)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"], aws_retry=True)
    for profile in iam.list_instance_profiles_for_role(RoleName=name, aws_retry=True)["InstanceProfiles"]:
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name, aws_retry=True)
    iam.delete_role(RoleName=name, aws_retry=True)


def desired_documents(module, partition):
    p = module.params
    trust = statements.trust_policy(
        p["trusted_account_ids"],
        principal_arns=sorted(set(p["trusted_principal_arns"]) | {
            statements.permission_set_role_pattern(account, name, partition)
            for account in p["trusted_account_ids"] for name in p["trusted_permission_sets"]
        }),
        external_id=p["external_id"],
        organization_id=p["organization_id"],
        regions=p["requested_regions"],
        require_mfa=p["require_mfa"],
        mfa_max_age=p["mfa_max_age"],
        partition=partition,
    )
    permissions = None
    if p["bucket"]:
        permissions = statements.role_permissions(
            p["bucket"], p["actions"], p["object_prefix"], aws.resolve_kms_key(module, p["kms_key_arn"], "kms_key_arn"), module.region, partition
        )
    return trust, permissions


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        description=dict(type="str", default="Cross-account data access for Development principals (managed by cross_account.aws)"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        trusted_account_ids=dict(type="list", elements="str"),
        trusted_principal_arns=dict(type="list", elements="str", default=[]),
        trusted_permission_sets=dict(type="list", elements="str", default=[]),
        trust_entire_accounts=dict(type="bool", default=False),
        external_id=dict(type="str", no_log=True),
        organization_id=dict(type="str"),
        requested_regions=dict(type="list", elements="str", default=[]),
        require_mfa=dict(type="bool", default=False),
        mfa_max_age=dict(type="int"),
        max_session_duration=dict(type="int", default=3600),
        bucket=dict(type="str"),
        object_prefix=dict(type="str", default=""),
        actions=dict(type="list", elements="str", default=["s3:ListBucket", "s3:GetObject", "s3:PutObject"]),
        kms_key_arn=dict(type="str", no_log=False),
        inline_policy_name=dict(type="str", default="cross-account-data-access"),
        purge_inline_policies=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    name, policy_name = p["name"], p["inline_policy_name"]
    partition = aws.partition(module)
    iam = aws.client(module, "iam")
    plan = Plan(module, partition)

    try:
        current = read_role(iam, name, policy_name)
        if p["state"] == "absent":
            if current:
                plan.delete(_view(current, plan), lambda: delete_role(iam, name, current["inline_policies"]))
            module.exit_json(**plan.finish(role=_role(current)))

        trust, permissions = desired_documents(module, partition)
        if current is None:
            desired_view = {
                "trust_policy": plan.shown(trust),
                "permissions_policy": plan.shown(permissions),
                "description": p["description"],
                "max_session_duration": p["max_session_duration"],
                "path": p["path"],
                "tags": p["tags"] or {},
            }
            plan.create(desired_view, lambda: create_role(module, iam, trust, permissions, p["tags"]))
        else:
            if current["Path"] != p["path"]:
                module.fail_json(msg=f"path: the role exists with path {current['Path']!r}; IAM cannot move a role to {p['path']!r}. "
                                 "Delete it (state=absent) and run again, or keep the existing path.")
            plan.policy("trust_policy", current["AssumeRolePolicyDocument"], trust, lambda: update_trust(module, iam, name, trust))
            plan.policy(
                "permissions_policy",
                current["permissions_policy"],
                permissions,
                lambda: iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=policy.to_json(permissions), aws_retry=True),
            )
            stale = stale_inline_policies(current, permissions, policy_name, p["purge_inline_policies"])
            plan.field(
                "inline_policies",
                current["inline_policies"],
                [n for n in current["inline_policies"] if n not in stale],
                lambda: delete_inline_policies(iam, name, stale),
            )
            settings = {"description": p["description"], "max_session_duration": p["max_session_duration"]}
            plan.field(
                "settings",
                {"description": current.get("Description", ""), "max_session_duration": current.get("MaxSessionDuration")},
                settings,
                lambda: iam.update_role(RoleName=name, Description=p["description"], MaxSessionDuration=p["max_session_duration"], aws_retry=True),
            )
            plan.tags(
                boto3_tag_list_to_ansible_dict(current.get("Tags", [])),
                p["tags"],
                p["purge_tags"],
                lambda add: iam.tag_role(RoleName=name, Tags=ansible_dict_to_boto3_tag_list(add), aws_retry=True),
                lambda keys: iam.untag_role(RoleName=name, TagKeys=keys, aws_retry=True),
            )
        result = plan.finish(trust_policy=plan.shown(trust), permissions_policy=plan.shown(permissions))
        after = current if module.check_mode or not plan.changes else read_role(iam, name, policy_name)
        module.exit_json(role=_role(after), **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage IAM role {name}")


def create_role(module, iam, trust, permissions, tags):
    p = module.params
    kwargs = dict(
        RoleName=p["name"],
        Path=p["path"],
        AssumeRolePolicyDocument=policy.to_json(trust),
        Description=p["description"],
        MaxSessionDuration=p["max_session_duration"],
    )
    if tags:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(tags)
    _while_principals_propagate(module, lambda: iam.create_role(aws_retry=True, **kwargs))
    if permissions:
        iam.put_role_policy(RoleName=p["name"], PolicyName=p["inline_policy_name"], PolicyDocument=policy.to_json(permissions), aws_retry=True)


def update_trust(module, iam, name, trust):
    _while_principals_propagate(
        module, lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=policy.to_json(trust), aws_retry=True)
    )


def _while_principals_propagate(module, call):
    """A principal created seconds ago is 'invalid' to IAM until it has propagated: wait, then name it."""
    try:
        return aws.call_while_propagating(call, codes=["MalformedPolicyDocument"], message_contains="Invalid principal")
    except is_boto3_error_code("MalformedPolicyDocument") as e:
        if "invalid principal" not in str(e).lower():
            raise
        named = aws.invalid_principals(e, [policy.root_arn(a, aws.partition(module)) for a in module.params["trusted_account_ids"] or []])
        module.fail_json_aws(
            e,
            msg=f"IAM rejected the trust policy: principal {', '.join(named)} does not exist or had not propagated after "
            f"{aws.propagation_timeout():.0f} seconds of retries (trusted_account_ids); nothing else was changed",
        )


def _role(role):
    if not role:
        return {}
    return {"arn": role["Arn"], "role_id": role["RoleId"], "name": role["RoleName"], "path": role["Path"]}


def _view(role, plan):
    return {
        "trust_policy": plan.shown(role["AssumeRolePolicyDocument"]),
        "permissions_policy": plan.shown(role.get("permissions_policy")),
        "description": role.get("Description", ""),
        "max_session_duration": role.get("MaxSessionDuration"),
        "path": role["Path"],
        "tags": boto3_tag_list_to_ansible_dict(role.get("Tags", [])),
    }


if __name__ == "__main__":
    main()
