#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: assume_role_policy
short_description: Development-account IAM policy that lets principals assume the Production roles
version_added: 0.1.0
description:
  - The Development-account side without IAM Identity Center. A customer-managed IAM policy allowing
    C(sts:AssumeRole) (and, with O(session_tagging), C(sts:SetSourceIdentity) and C(sts:TagSession)) on the
    Production role ARNs, attached to the listed roles, groups and users.
  - A changed document becomes a new default policy version; when the policy already has the maximum of 5 versions,
    the oldest non-default version is deleted first.
  - "Attachments: the listed roles, groups and users get the policy. Other attachments are left alone unless
    O(purge_attachments=true)."
  - The policy ARN is built from the caller's account id, read once with C(sts:GetCallerIdentity), and O(path) and O(name).
  - IAM cannot change a managed policy's path or description. A policy found with another description keeps it (a warning says so).
  - "API calls on a converged run: C(sts:GetCallerIdentity), C(iam:GetPolicy), C(iam:GetPolicyVersion), C(iam:ListEntitiesForPolicy).
    Before attaching, one C(iam:GetRole), C(iam:GetGroup) or C(iam:GetUser) per entity not attached yet: a missing one fails
    the run before anything is written (in check mode, a warning)."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  name:
    description: Name of the policy.
    type: str
    required: true
  path:
    description: IAM path of the policy.
    type: str
    default: /
  description:
    description: Description of the policy. IAM sets it only when the policy is created.
    type: str
    default: Assume the Production data-access roles (managed by cross_account.aws)
  state:
    description: C(absent) detaches the policy from every role, group and user, deletes its non-default versions, then the policy.
    type: str
    choices: [present, absent]
    default: present
  role_arns:
    description: ARNs of the Production roles that may be assumed (no wildcards). Required with O(state=present).
    type: list
    elements: str
  session_tagging:
    description: Also allow C(sts:SetSourceIdentity) and C(sts:TagSession) on those roles.
    type: bool
    default: false
  attach_to_roles:
    description: Names of the roles in this account that get the policy.
    type: list
    elements: str
    default: []
  attach_to_groups:
    description: Names of the groups in this account that get the policy.
    type: list
    elements: str
    default: []
  attach_to_users:
    description: Names of the users in this account that get the policy.
    type: list
    elements: str
    default: []
  purge_attachments:
    description: Detach the policy from every role, group and user that is not listed.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Developers in the Development account may assume the Production data role
  cross_account.aws.assume_role_policy:
    name: AssumeProdDataAccess
    role_arns:
      - arn:aws:iam::222222222222:role/DevToProdDataAccess
    attach_to_groups:
      - data-developers
    tags:
      owner: platform

- name: Remove it (detached from everything first)
  cross_account.aws.assume_role_policy:
    name: AssumeProdDataAccess
    state: absent
"""

RETURN = r"""
policy:
  description: The managed policy; empty when it does not exist (or would only be created in check mode).
  returned: always
  type: dict
  contains:
    arn: {description: Policy ARN., type: str, sample: "arn:aws:iam::111111111111:policy/AssumeProdDataAccess"}
    name: {description: Policy name., type: str}
    path: {description: Policy path., type: str}
    policy_id: {description: Unique id of the policy., type: str}
    default_version_id: {description: Id of the default version after the run., type: str, sample: v2}
document:
  description: The policy document after the run (as desired), normalised.
  returned: when state is present
  type: dict
attachments:
  description: The roles, groups and users that have the policy after the run.
  returned: always
  type: dict
  contains:
    roles: {description: Role names., type: list, elements: str}
    groups: {description: Group names., type: list, elements: str}
    users: {description: User names., type: list, elements: str}
changes:
  description: Names of the writes made (or in check mode predicted), in order.
  returned: always
  type: list
  elements: str
  sample: [document, attachments, tags]
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
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils import policy
from ansible_collections.cross_account.aws.plugins.module_utils import statements
from ansible_collections.cross_account.aws.plugins.module_utils import validate
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan

MAX_VERSIONS = 5
# entity kind -> (ListEntitiesForPolicy key, name key, attach, detach, name rule)
KINDS = {
    "roles": ("PolicyRoles", "RoleName", "attach_role_policy", "detach_role_policy", "role_name"),
    "groups": ("PolicyGroups", "GroupName", "attach_group_policy", "detach_group_policy", "group_name"),
    "users": ("PolicyUsers", "UserName", "attach_user_policy", "detach_user_policy", "user_name"),
}
GETTERS = {"roles": "get_role", "groups": "get_group", "users": "get_user"}


def validate_options(module):
    p = module.params
    partition = aws.partition(module)
    checks = [
        ("name", p["name"], validate.rule("policy_name", p["name"])),
        ("path", p["path"], validate.rule("iam_path", p["path"])),
    ]
    if p["state"] == "present":
        if not p["role_arns"]:
            checks.append(("role_arns", None, "must list at least one role ARN with state=present"))
        checks += validate.each("role_arns", p["role_arns"], lambda v: _role_arn_error(v, partition))
        for kind, (_key, _name, _attach, _detach, rule) in KINDS.items():
            checks += validate.each(f"attach_to_{kind}", p[f"attach_to_{kind}"], lambda v, rule=rule: validate.rule(rule, v))
    validate.check(module, checks)


def _role_arn_error(value, partition):
    error = validate.arn(value, "iam", "role")
    if error:
        return error
    if not value.startswith(f"arn:{partition}:"):
        return f"must be in partition {partition} (the module's region)"
    return None


def read_policy(iam, arn):
    """The policy with its default document and attachments; ``None`` when it does not exist."""
    try:
        found = iam.get_policy(PolicyArn=arn, aws_retry=True)["Policy"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    version = iam.get_policy_version(PolicyArn=arn, VersionId=found["DefaultVersionId"], aws_retry=True)["PolicyVersion"]
    found["document"] = policy.parse(version["Document"])
    found["attachments"] = read_attachments(iam, arn)
    return found


def read_attachments(iam, arn):
    attachments = {kind: [] for kind in KINDS}
    kwargs = {}
    while True:
        page = iam.list_entities_for_policy(PolicyArn=arn, aws_retry=True, **kwargs)
        for kind, (key, name_key, _a, _d, _r) in KINDS.items():
            attachments[kind] += [entity[name_key] for entity in page.get(key) or []]
        if not page.get("IsTruncated"):
            break
        kwargs = {"Marker": page["Marker"]}
    return {kind: sorted(set(names)) for kind, names in attachments.items()}


def desired_attachments(p, current):
    """What is attached after the run: the listed entities, plus the others unless purged."""
    result = {}
    for kind in KINDS:
        wanted = set(p[f"attach_to_{kind}"])
        if not p["purge_attachments"]:
            wanted |= set((current or {}).get(kind) or [])
        result[kind] = sorted(wanted)
    return result


def check_new_attachments(module, iam, current, desired):
    """Every role, group or user to attach must exist before anything is written (a policy created and then
    left unattached would be a half-done run). Reads only the entities not attached yet."""
    for kind, (_key, name_key, _attach, _detach, _rule) in KINDS.items():
        for name in sorted(set(desired[kind]) - set((current or {}).get(kind) or [])):
            try:
                getattr(iam, GETTERS[kind])(aws_retry=True, **{name_key: name})
            except is_boto3_error_code("NoSuchEntity"):
                aws.missing_dependency(module, f"attach_to_{kind}", f"{kind[:-1]} {name!r}", "in this account")


def apply_attachments(module, iam, arn, current, desired):
    for kind, (_key, name_key, attach, detach, _rule) in KINDS.items():
        have, want = set(current.get(kind) or []), set(desired[kind])
        for name in sorted(have - want):
            try:
                getattr(iam, detach)(PolicyArn=arn, aws_retry=True, **{name_key: name})
            except is_boto3_error_code("NoSuchEntity"):
                pass  # already gone
        for name in sorted(want - have):
            try:
                getattr(iam, attach)(PolicyArn=arn, aws_retry=True, **{name_key: name})
            except is_boto3_error_code("NoSuchEntity") as e:
                module.fail_json_aws(e, msg=f"attach_to_{kind}: {name!r} does not exist in this account")


def new_version(iam, arn, document):
    """Make ``document`` the default version, deleting the oldest non-default one when 5 exist."""
    versions = iam.list_policy_versions(PolicyArn=arn, aws_retry=True)["Versions"]
    if len(versions) >= MAX_VERSIONS:
        oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: (v["CreateDate"], _version_number(v)))
        iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"], aws_retry=True)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=policy.to_json(document), SetAsDefault=True, aws_retry=True)


def _version_number(version):
    try:
        return int(version["VersionId"].lstrip("v"))
    except ValueError:
        return 0


def delete_policy(iam, arn, attachments):
    for kind, (_key, name_key, _attach, detach, _rule) in KINDS.items():
        for name in attachments.get(kind) or []:
            try:
                getattr(iam, detach)(PolicyArn=arn, aws_retry=True, **{name_key: name})
            except is_boto3_error_code("NoSuchEntity"):
                pass
    for version in iam.list_policy_versions(PolicyArn=arn, aws_retry=True)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"], aws_retry=True)
    iam.delete_policy(PolicyArn=arn, aws_retry=True)


def create_policy(module, iam, document, attachments):
    p = module.params
    kwargs = dict(PolicyName=p["name"], Path=p["path"], Description=p["description"], PolicyDocument=policy.to_json(document))
    if p["tags"]:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"])
    try:
        arn = iam.create_policy(aws_retry=True, **kwargs)["Policy"]["Arn"]
    except is_boto3_error_code("EntityAlreadyExists") as e:
        module.fail_json_aws(
            e, msg=f"name: a policy named {p['name']!r} already exists with another path; IAM cannot move it to {p['path']!r}",
        )
    apply_attachments(module, iam, arn, {}, attachments)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        path=dict(type="str", default="/"),
        description=dict(type="str", default="Assume the Production data-access roles (managed by cross_account.aws)"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        role_arns=dict(type="list", elements="str"),
        session_tagging=dict(type="bool", default=False),
        attach_to_roles=dict(type="list", elements="str", default=[]),
        attach_to_groups=dict(type="list", elements="str", default=[]),
        attach_to_users=dict(type="list", elements="str", default=[]),
        purge_attachments=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    name = p["name"]
    partition = aws.partition(module)
    iam = aws.client(module, "iam")
    sts = aws.client(module, "sts")
    plan = Plan(module, partition)

    try:
        account_id = sts.get_caller_identity(aws_retry=True)["Account"]
        arn = f"arn:{partition}:iam::{account_id}:policy{p['path']}{name}"
        current = read_policy(iam, arn)
        if p["state"] == "absent":
            if current:
                plan.delete(_view(current, plan), lambda: delete_policy(iam, arn, current["attachments"]))
            result = plan.finish(policy=_policy(current), attachments={k: [] for k in KINDS} if current else _empty())
            module.exit_json(**result)

        document = statements.assume_role_permissions(p["role_arns"], p["session_tagging"])
        attachments = desired_attachments(p, current and current["attachments"])
        check_new_attachments(module, iam, current and current["attachments"], attachments)
        if current is None:
            desired_view = {"document": plan.shown(document), "attachments": attachments, "path": p["path"],
                            "description": p["description"], "tags": p["tags"] or {}}
            plan.create(desired_view, lambda: create_policy(module, iam, document, attachments))
        else:
            if (current.get("Description") or "") != p["description"]:
                module.warn(f"The policy's description is {current.get('Description')!r}; IAM cannot change it after creation "
                            "(delete the policy with state=absent to recreate it).")
            plan.policy("document", current["document"], document, lambda: new_version(iam, arn, document))
            plan.field("attachments", current["attachments"], attachments,
                       lambda: apply_attachments(module, iam, arn, current["attachments"], attachments))
            plan.tags(
                boto3_tag_list_to_ansible_dict(current.get("Tags") or []),
                p["tags"],
                p["purge_tags"],
                lambda add: iam.tag_policy(PolicyArn=arn, Tags=ansible_dict_to_boto3_tag_list(add), aws_retry=True),
                lambda keys: iam.untag_policy(PolicyArn=arn, TagKeys=keys, aws_retry=True),
            )
        result = plan.finish(document=plan.shown(document), attachments=attachments)
        after = current
        if plan.changes and not module.check_mode:
            after = iam.get_policy(PolicyArn=arn, aws_retry=True)["Policy"]
        module.exit_json(policy=_policy(after), **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage IAM policy {name}")


def _empty():
    return {kind: [] for kind in KINDS}


def _policy(found):
    if not found:
        return {}
    return {
        "arn": found["Arn"],
        "name": found["PolicyName"],
        "path": found["Path"],
        "policy_id": found.get("PolicyId"),
        "default_version_id": found.get("DefaultVersionId"),
    }


def _view(found, plan):
    return {
        "document": plan.shown(found["document"]),
        "attachments": found["attachments"],
        "path": found["Path"],
        "description": found.get("Description") or "",
        "tags": boto3_tag_list_to_ansible_dict(found.get("Tags") or []),
    }


if __name__ == "__main__":
    main()
