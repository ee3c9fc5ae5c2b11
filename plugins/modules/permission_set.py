#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: permission_set
short_description: IAM Identity Center permission set that lets developers assume the Production roles
version_added: 0.1.0
description:
  - The Development-account side with IAM Identity Center. A permission set whose inline policy allows
    C(sts:AssumeRole) (and, with O(session_tagging), C(sts:SetSourceIdentity) and C(sts:TagSession)) on the
    Production role ARNs, optional AWS managed policies, and account assignments of Identity Center groups and
    users to accounts.
  - Identity Center provisions a role named C(AWSReservedSSO_<name>_<hex>) under the path
    C(/aws-reserved/sso.amazonaws.com/) in each assigned account. The Production role trusts it with
    C(ArnLike aws:PrincipalArn) (see M(cross_account.aws.trust_role) O(cross_account.aws.trust_role#module:trusted_permission_sets)).
  - A changed permission set is provisioned again to every account it is provisioned to, and the module waits for
    the provisioning (and for each account assignment) to finish, up to O(wait_timeout) seconds. An account that
    still has an outdated copy (a previous run was interrupted) is provisioned again as well.
  - Run it with credentials of the Identity Center management or delegated administrator account, in the
    instance's home region. The instance is found automatically when there is exactly one.
  - Groups and users are named by their display name (groups) and user name (users) in the instance's identity store.
  - "API calls on a converged run: C(sso-admin:ListInstances), C(identitystore:GetGroupId) and C(identitystore:GetUserId)
    per group and user, C(sso-admin:ListPermissionSets) and C(sso-admin:DescribePermissionSet) until the set is found,
    C(sso-admin:GetInlinePolicyForPermissionSet), C(sso-admin:ListManagedPoliciesInPermissionSet),
    C(sso-admin:ListAccountsForProvisionedPermissionSet) (twice: all, and outdated), C(sso-admin:ListAccountAssignments) per account."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  name:
    description: Name of the permission set, 1-32 characters from letters, digits and C(_+=,.@-).
    type: str
    required: true
  description:
    description: Description of the permission set.
    type: str
    default: Assume the Production data-access roles (managed by cross_account.aws)
  state:
    description:
      - C(absent) first removes the account assignments (in O(account_ids) and every account the set is provisioned to),
        then deletes the permission set.
    type: str
    choices: [present, absent]
    default: present
  instance_arn:
    description: ARN of the IAM Identity Center instance. Found automatically when the account has exactly one.
    type: str
  session_duration:
    description:
      - Length of the Identity Center session in seconds, 3600-43200, whole minutes.
      - A Production session chained from it is capped at one hour by AWS whatever this says.
    type: int
    default: 3600
  role_arns:
    description: ARNs of the Production roles that may be assumed (no wildcards). Required with O(state=present).
    type: list
    elements: str
  session_tagging:
    description: Also allow C(sts:SetSourceIdentity) and C(sts:TagSession) on those roles.
    type: bool
    default: false
  managed_policy_arns:
    description: AWS managed policies attached to the permission set; exactly these (others are detached).
    type: list
    elements: str
    default: []
  account_ids:
    description: Accounts the permission set is assigned in (each listed group and user in each account).
    type: list
    elements: str
    default: []
  groups:
    description: Display names of the Identity Center groups assigned.
    type: list
    elements: str
    default: []
  users:
    description: User names of the Identity Center users assigned.
    type: list
    elements: str
    default: []
  purge_assignments:
    description:
      - Remove assignments of this permission set that are not listed (other principals, other accounts it is
        provisioned to). Without it, other assignments stay.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for provisioning and for each account assignment to finish.
    type: int
    default: 300
notes:
  - Permission set tags are not managed.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Developers in the data-developers group may assume the Production data role from the Development account
  cross_account.aws.permission_set:
    name: DataDeveloper
    role_arns:
      - arn:aws:iam::222222222222:role/DevToProdDataAccess
    account_ids: ["111111111111"]
    groups: [data-developers]
    region: eu-west-1  # the Identity Center home region

- name: Remove it (assignments first)
  cross_account.aws.permission_set:
    name: DataDeveloper
    account_ids: ["111111111111"]
    state: absent
"""

RETURN = r"""
permission_set:
  description: The permission set; empty when it does not exist (or would only be created in check mode).
  returned: always
  type: dict
  contains:
    arn: {description: Permission set ARN., type: str, sample: "arn:aws:sso:::permissionSet/ssoins-0123456789abcdef/ps-0123456789abcdef"}
    name: {description: Name., type: str, sample: DataDeveloper}
    instance_arn: {description: Identity Center instance ARN., type: str, sample: "arn:aws:sso:::instance/ssoins-0123456789abcdef"}
inline_policy:
  description: The inline policy after the run (as desired), normalised.
  returned: when state is present
  type: dict
assignments:
  description: Assignments after the run, per account id, as C(group:<name>) and C(user:<name>) (unknown principals by id).
  returned: always
  type: dict
  sample: {"111111111111": ["group:data-developers"]}
changes:
  description: Names of the writes made (or in check mode predicted), in order.
  returned: always
  type: list
  elements: str
  sample: [inline_policy, provision, assignments]
api_calls:
  description: AWS API calls the module made, in order (C(service:Operation)).
  returned: always
  type: list
  elements: str
"""

import re
import time

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

_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")
_MANAGED_POLICY = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/([\w+=,.@/-]+)$")
_INSTANCE = re.compile(r"^arn:aws[a-z-]*:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$")
KINDS = {"GROUP": "group", "USER": "user"}


def validate_options(module):
    p = module.params
    partition = aws.partition(module)
    checks = [("name", p["name"], validate.rule("permission_set_name", p["name"]))]
    if p["instance_arn"]:
        checks.append(("instance_arn", p["instance_arn"], None if _INSTANCE.fullmatch(p["instance_arn"]) else
                       "must be an Identity Center instance ARN such as arn:aws:sso:::instance/ssoins-0123456789abcdef"))
    checks += validate.each("account_ids", p["account_ids"], lambda v: validate.rule("account_id", v))
    checks += validate.each("groups", p["groups"], lambda v: None if 1 <= len(v) <= 1024 else "must be 1-1024 characters")
    checks += validate.each("users", p["users"], lambda v: None if 1 <= len(v) <= 128 else "must be 1-128 characters")
    checks.append(("wait_timeout", p["wait_timeout"], validate.between(p["wait_timeout"], 1, 3600)))
    if p["state"] == "present":
        if not p["role_arns"]:
            checks.append(("role_arns", None, "must list at least one role ARN with state=present"))
        checks += validate.each("role_arns", p["role_arns"], lambda v: _role_arn_error(v, partition))
        checks += validate.each(
            "managed_policy_arns", p["managed_policy_arns"],
            lambda v: None if _MANAGED_POLICY.fullmatch(v) else "must be an AWS managed policy ARN such as arn:aws:iam::aws:policy/ReadOnlyAccess")
        checks.append(("description", p["description"], None if 1 <= len(p["description"]) <= 700 else "must be 1-700 characters"))
        error = validate.between(p["session_duration"], 3600, 43200) or (None if p["session_duration"] % 60 == 0 else "must be whole minutes")
        checks.append(("session_duration", p["session_duration"], error))
        if (p["groups"] or p["users"]) and not p["account_ids"]:
            checks.append(("account_ids", None, "must list the accounts to assign groups and users in"))
    validate.check(module, checks)


def _role_arn_error(value, partition):
    error = validate.arn(value, "iam", "role")
    if error:
        return error
    if not value.startswith(f"arn:{partition}:"):
        return f"must be in partition {partition} (the module's region)"
    return None


def iso_duration(seconds):
    hours, minutes = divmod(int(seconds) // 60, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")


def duration_seconds(text):
    match = _DURATION.fullmatch(text or "")
    if not match:
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _pages(call, key, **kwargs):
    items = []
    while True:
        page = call(aws_retry=True, **kwargs)
        items += page.get(key) or []
        if not page.get("NextToken"):
            return items
        kwargs["NextToken"] = page["NextToken"]


def find_instance(module, sso):
    instances = _pages(sso.list_instances, "Instances")
    wanted = module.params["instance_arn"]
    if wanted:
        found = [i for i in instances if i["InstanceArn"] == wanted]
        if not found:
            module.fail_json(msg=f"instance_arn: {wanted} is not an Identity Center instance of this account in {module.region}; "
                             "nothing was changed")
        return found[0]
    if len(instances) != 1:
        module.fail_json(msg=f"instance_arn: this account has {len(instances)} IAM Identity Center instances in {module.region}; "
                         "name the one to use (or run in the instance's home region); nothing was changed")
    return instances[0]


def resolve_principals(module, store, store_id):
    """``{(type, id): label}`` of the listed groups and users; fails naming the option of any that does not exist."""
    p = module.params
    found, errors = {}, []
    for option, kind, attribute, call in (
        ("groups", "GROUP", "displayName", store.get_group_id),
        ("users", "USER", "userName", store.get_user_id),
    ):
        for index, name in enumerate(p[option]):
            try:
                answer = call(IdentityStoreId=store_id, aws_retry=True,
                              AlternateIdentifier={"UniqueAttribute": {"AttributePath": attribute, "AttributeValue": name}})
            except is_boto3_error_code("ResourceNotFoundException"):
                if p["state"] == "absent":
                    continue  # only a label for the diff; an assignment of a deleted principal is still removed
                errors.append(f"{option}[{index}]: {name!r} does not exist in identity store {store_id}")
                continue
            found[(kind, answer["GroupId" if kind == "GROUP" else "UserId"])] = f"{KINDS[kind]}:{name}"
    if errors:
        module.fail_json(msg="; ".join(errors) + "; nothing was changed")
    return found


def find_permission_set(sso, instance_arn, name):
    kwargs = {"InstanceArn": instance_arn}
    while True:
        page = sso.list_permission_sets(aws_retry=True, **kwargs)
        for arn in page.get("PermissionSets") or []:
            described = sso.describe_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, aws_retry=True)["PermissionSet"]
            if described["Name"] == name:
                return described
        if not page.get("NextToken"):
            return None
        kwargs["NextToken"] = page["NextToken"]


def read_details(sso, instance_arn, found, account_ids):
    arn = found["PermissionSetArn"]
    found["inline_policy"] = policy.parse(
        sso.get_inline_policy_for_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, aws_retry=True).get("InlinePolicy")
    )
    found["managed_policies"] = sorted(
        m["Arn"] for m in _pages(sso.list_managed_policies_in_permission_set, "AttachedManagedPolicies", InstanceArn=instance_arn, PermissionSetArn=arn)
    )
    provisioned = _pages(sso.list_accounts_for_provisioned_permission_set, "AccountIds", InstanceArn=instance_arn, PermissionSetArn=arn)
    outdated = _pages(sso.list_accounts_for_provisioned_permission_set, "AccountIds", InstanceArn=instance_arn, PermissionSetArn=arn,
                      ProvisioningStatus="LATEST_PERMISSION_SET_NOT_PROVISIONED")
    found["assignments"] = read_assignments(sso, instance_arn, arn, set(account_ids) | set(provisioned))
    assigned_accounts = {account for account, _kind, _id in found["assignments"]}
    found["outdated_accounts"] = sorted(set(outdated) & assigned_accounts)
    return found


def read_assignments(sso, instance_arn, arn, accounts):
    result = set()
    for account in sorted(accounts):
        for item in _pages(sso.list_account_assignments, "AccountAssignments", InstanceArn=instance_arn, AccountId=account, PermissionSetArn=arn):
            result.add((item["AccountId"], item["PrincipalType"], item["PrincipalId"]))
    return result


def assignment_view(assignments, labels):
    view = {}
    for account, kind, principal_id in sorted(assignments):
        view.setdefault(account, []).append(labels.get((kind, principal_id)) or f"{KINDS.get(kind, kind.lower())}:{principal_id}")
    return {account: sorted(items) for account, items in view.items()}


def wait_for(module, describe, status, what):
    """Poll an Identity Center request until it leaves IN_PROGRESS; fail on FAILED or after wait_timeout."""
    deadline = time.monotonic() + module.params["wait_timeout"]
    delay = 1.0
    while status.get("Status") == "IN_PROGRESS":
        if time.monotonic() > deadline:
            module.fail_json(msg=f"{what} did not finish within wait_timeout={module.params['wait_timeout']} seconds "
                             f"(request {status.get('RequestId')}); it may still complete")
        time.sleep(delay)
        delay = min(delay * 1.5, 10.0)
        status = describe(status["RequestId"])
    if status.get("Status") == "FAILED":
        module.fail_json(msg=f"{what} failed: {status.get('FailureReason', 'no reason given')}")
    return status


class Writer:
    """The writes of one run, each waiting for Identity Center to finish before the next."""

    def __init__(self, module, sso, instance_arn):
        self.module, self.sso, self.instance_arn = module, sso, instance_arn

    def assign(self, arn, to_delete, to_create):
        sso, ia = self.sso, self.instance_arn
        for account, kind, principal_id in sorted(to_delete):
            status = sso.delete_account_assignment(InstanceArn=ia, TargetId=account, TargetType="AWS_ACCOUNT", PermissionSetArn=arn,
                                                   PrincipalType=kind, PrincipalId=principal_id, aws_retry=True)["AccountAssignmentDeletionStatus"]
            wait_for(self.module, lambda rid: sso.describe_account_assignment_deletion_status(
                InstanceArn=ia, AccountAssignmentDeletionRequestId=rid, aws_retry=True)["AccountAssignmentDeletionStatus"],
                status, f"removing the assignment of {kind.lower()} {principal_id} in {account}")
        for account, kind, principal_id in sorted(to_create):
            status = sso.create_account_assignment(InstanceArn=ia, TargetId=account, TargetType="AWS_ACCOUNT", PermissionSetArn=arn,
                                                   PrincipalType=kind, PrincipalId=principal_id, aws_retry=True)["AccountAssignmentCreationStatus"]
            wait_for(self.module, lambda rid: sso.describe_account_assignment_creation_status(
                InstanceArn=ia, AccountAssignmentCreationRequestId=rid, aws_retry=True)["AccountAssignmentCreationStatus"],
                status, f"assigning {kind.lower()} {principal_id} in {account}")

    def provision(self, arn):
        sso, ia = self.sso, self.instance_arn
        status = sso.provision_permission_set(InstanceArn=ia, PermissionSetArn=arn, TargetType="ALL_PROVISIONED_ACCOUNTS",
                                              aws_retry=True)["PermissionSetProvisioningStatus"]
        wait_for(self.module, lambda rid: sso.describe_permission_set_provisioning_status(
            InstanceArn=ia, ProvisionPermissionSetRequestId=rid, aws_retry=True)["PermissionSetProvisioningStatus"],
            status, "provisioning the permission set")

    def managed_policies(self, arn, current, desired):
        for policy_arn in sorted(set(current) - set(desired)):
            self.sso.detach_managed_policy_from_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=arn, ManagedPolicyArn=policy_arn, aws_retry=True)
        for policy_arn in sorted(set(desired) - set(current)):
            self.sso.attach_managed_policy_to_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=arn, ManagedPolicyArn=policy_arn, aws_retry=True)

    def inline_policy(self, arn, document):
        self.sso.put_inline_policy_to_permission_set(InstanceArn=self.instance_arn, PermissionSetArn=arn, InlinePolicy=policy.to_json(document), aws_retry=True)

    def create(self, document, assignments):
        p = self.module.params
        arn = self.sso.create_permission_set(InstanceArn=self.instance_arn, Name=p["name"], Description=p["description"],
                                             SessionDuration=iso_duration(p["session_duration"]), aws_retry=True)["PermissionSet"]["PermissionSetArn"]
        self.inline_policy(arn, document)
        self.managed_policies(arn, [], p["managed_policy_arns"])
        self.assign(arn, set(), assignments)  # each assignment provisions the set to its account


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        description=dict(type="str", default="Assume the Production data-access roles (managed by cross_account.aws)"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        instance_arn=dict(type="str"),
        session_duration=dict(type="int", default=3600),
        role_arns=dict(type="list", elements="str"),
        session_tagging=dict(type="bool", default=False),
        managed_policy_arns=dict(type="list", elements="str", default=[]),
        account_ids=dict(type="list", elements="str", default=[]),
        groups=dict(type="list", elements="str", default=[]),
        users=dict(type="list", elements="str", default=[]),
        purge_assignments=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=300),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    partition = aws.partition(module)
    sso = aws.client(module, "sso-admin")
    store = aws.client(module, "identitystore")
    plan = Plan(module, partition)

    try:
        instance = find_instance(module, sso)
        instance_arn = instance["InstanceArn"]
        labels = resolve_principals(module, store, instance["IdentityStoreId"])
        writer = Writer(module, sso, instance_arn)
        current = find_permission_set(sso, instance_arn, p["name"])
        if current:
            read_details(sso, instance_arn, current, p["account_ids"])
            arn = current["PermissionSetArn"]

        if p["state"] == "absent":
            if current:
                if current["assignments"]:  # removed first: Identity Center deprovisions the role from those accounts
                    plan.step("assignments", lambda: writer.assign(arn, current["assignments"], set()))
                plan.delete(_view(current, labels, plan),
                            lambda: sso.delete_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, aws_retry=True))
            result = plan.finish(permission_set=_summary(current, instance_arn), assignments={})
            module.exit_json(**result)

        document = statements.assume_role_permissions(p["role_arns"], p["session_tagging"])
        wanted = {(account, kind, principal_id) for account in p["account_ids"] for (kind, principal_id) in labels}
        if current is None:
            desired_view = {
                "description": p["description"],
                "session_duration": p["session_duration"],
                "inline_policy": plan.shown(document),
                "managed_policies": sorted(p["managed_policy_arns"]),
                "assignments": assignment_view(wanted, labels),
            }
            plan.create(desired_view, lambda: writer.create(document, wanted))
            final = wanted
        else:
            final = wanted if p["purge_assignments"] else wanted | current["assignments"]
            settings = {"description": p["description"], "session_duration": p["session_duration"]}
            plan.field(
                "settings",
                {"description": current.get("Description") or "", "session_duration": duration_seconds(current.get("SessionDuration"))},
                settings,
                lambda: sso.update_permission_set(InstanceArn=instance_arn, PermissionSetArn=arn, Description=p["description"],
                                                  SessionDuration=iso_duration(p["session_duration"]), aws_retry=True),
            )
            plan.policy("inline_policy", current["inline_policy"], document, lambda: writer.inline_policy(arn, document))
            plan.field("managed_policies", current["managed_policies"], sorted(p["managed_policy_arns"]),
                       lambda: writer.managed_policies(arn, current["managed_policies"], p["managed_policy_arns"]))
            definition_changed = bool(plan.changes)
            if (definition_changed and current["assignments"]) or current["outdated_accounts"]:
                plan.step("provision", lambda: writer.provision(arn))
            plan.field("assignments", assignment_view(current["assignments"], labels), assignment_view(final, labels),
                       lambda: writer.assign(arn, current["assignments"] - final, final - current["assignments"]))
        result = plan.finish(inline_policy=plan.shown(document), assignments=assignment_view(final, labels))
        after = current
        if current is None and not module.check_mode:
            after = find_permission_set(sso, instance_arn, p["name"])
        module.exit_json(permission_set=_summary(after, instance_arn), **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage permission set {p['name']}")


def _summary(found, instance_arn):
    if not found:
        return {}
    return {"arn": found["PermissionSetArn"], "name": found["Name"], "instance_arn": instance_arn}


def _view(found, labels, plan):
    return {
        "description": found.get("Description") or "",
        "session_duration": duration_seconds(found.get("SessionDuration")),
        "inline_policy": plan.shown(found.get("inline_policy")),
        "managed_policies": found.get("managed_policies") or [],
        "assignments": assignment_view(found.get("assignments") or set(), labels),
    }


if __name__ == "__main__":
    main()
