#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: kms_key
short_description: A customer-managed symmetric KMS key, identified by its alias
version_added: 0.1.0
description:
  - Creates, updates or schedules the deletion of a customer-managed symmetric encryption key (C(SYMMETRIC_DEFAULT),
    C(ENCRYPT_DECRYPT)) that is found by its alias. One key per alias.
  - The key policy always keeps C(kms:*) for the account root, so the key can never become unmanageable. On top of it,
    optional key administrators (named by C(aws:PrincipalArn), wildcards allowed), service users that may use the key
    only through one AWS service (C(kms:ViaService)), and CloudTrail trails that may encrypt their logs (pinned with
    C(aws:SourceArn)).
  - Automatic key rotation is on by default.
  - A key that is pending deletion is brought back (deletion cancelled, key enabled); a disabled key is enabled.
  - C(state=absent) never deletes a key at once; it schedules the deletion with a pending window of 7-30 days and
    removes the alias. The key id and deletion date are returned, so the deletion can still be cancelled.
  - The key policy is compared semantically; a converged run makes no write call. Check mode predicts exactly;
    C(--diff) shows the key policy as sorted JSON.
  - "API calls on a converged run: C(kms:DescribeKey) (by alias, no C(ListAliases) scan), C(kms:GetKeyPolicy),
    C(kms:GetKeyRotationStatus), C(kms:ListResourceTags) (only when O(tags) is set). With O(state=absent): C(kms:DescribeKey) only."
  - "When the key does not exist yet, the account id for the key policy comes from one C(sts:GetCallerIdentity) call;
    otherwise it is taken from the key ARN."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  alias:
    description:
      - Alias of the key, C(alias/<name>) or just C(<name>) (normalised to C(alias/<name>)).
      - Names under C(alias/aws/) belong to AWS managed keys and are refused.
    type: str
    required: true
  description:
    description:
      - Description of the key. Not managed when omitted (a new key then gets an empty description).
    type: str
  state:
    description:
      - C(present) creates or updates the key; C(absent) schedules its deletion and deletes the alias.
    type: str
    choices: [present, absent]
    default: present
  administrators:
    description:
      - ARNs or ARN patterns (C(*), C(?)) of IAM principals that may administer the key but not use it
        (C(ArnLike aws:PrincipalArn); their accounts' roots appear in C(Principal)).
    type: list
    elements: str
    default: []
  service_users:
    description:
      - Principals that may use the key only through an AWS service (C(kms:ViaService = <service>.<region>.amazonaws.com)).
    type: list
    elements: dict
    default: []
    suboptions:
      principal_arns:
        description: ARNs or ARN patterns of the principals (C(ArnLike aws:PrincipalArn)).
        type: list
        elements: str
        required: true
      via_service:
        description: The service through which they may use the key, for example C(s3).
        type: str
        default: s3
      actions:
        description: KMS actions granted.
        type: list
        elements: str
        default: [kms:Decrypt, kms:GenerateDataKey]
  cloudtrail_trail_arns:
    description:
      - ARNs of CloudTrail trails that may encrypt their log files with the key (C(kms:GenerateDataKey*) and
        C(kms:DescribeKey) for C(cloudtrail.amazonaws.com), pinned with C(aws:SourceArn)).
    type: list
    elements: str
    default: []
  enable_rotation:
    description: Whether automatic yearly rotation of the key material is on.
    type: bool
    default: true
  pending_window_days:
    description: With O(state=absent), the waiting period in days (7-30) before AWS deletes the key.
    type: int
    default: 30
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Data key usable by the cross-account role only through S3
  cross_account.aws.kms_key:
    alias: prod-data
    description: Data bucket key
    administrators:
      - arn:aws:iam::222222222222:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Admin_*
    service_users:
      - principal_arns: [arn:aws:iam::222222222222:role/DevToProdDataAccess]
        via_service: s3
    tags:
      owner: platform

- name: Key for CloudTrail log files
  cross_account.aws.kms_key:
    alias: alias/prod-trail
    cloudtrail_trail_arns:
      - arn:aws:cloudtrail:eu-west-1:222222222222:trail/prod-audit

- name: Schedule the deletion (the key can be recovered for 30 days)
  cross_account.aws.kms_key:
    alias: prod-data
    state: absent
    pending_window_days: 30
"""

RETURN = r"""
key_id:
  description: Id of the key; absent when there is no key (or it would only be created in check mode).
  returned: when the key exists
  type: str
  sample: 1234abcd-12ab-34cd-56ef-1234567890ab
key_arn:
  description: ARN of the key.
  returned: when the key exists
  type: str
  sample: arn:aws:kms:eu-west-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab
alias:
  description: The alias, normalised to C(alias/<name>).
  returned: always
  type: str
  sample: alias/prod-data
key_state:
  description: State of the key after the run (C(Enabled), C(PendingDeletion), ...).
  returned: when the key exists
  type: str
deletion_date:
  description: When AWS will delete the key (ISO 8601).
  returned: when the key is pending deletion
  type: str
policy:
  description: The key policy after the run (as desired), normalised.
  returned: when state is present
  type: dict
changes:
  description: Names of the settings that were (or in check mode would be) written, in order.
  returned: always
  type: list
  elements: str
  sample: [cancel_deletion, key_state, policy]
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
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils import policy
from ansible_collections.cross_account.aws.plugins.module_utils import statements
from ansible_collections.cross_account.aws.plugins.module_utils import validate
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan

RACE_WINDOW_DAYS = 7
_SERVICE = re.compile(r"^[a-z0-9-]{2,64}$")


def normalise_alias(alias):
    alias = (alias or "").strip()
    return alias if alias.startswith("alias/") else f"alias/{alias}"


def validate_options(module):
    p = module.params
    p["alias"] = normalise_alias(p["alias"])
    checks = [
        ("alias", p["alias"], validate.rule("kms_alias", p["alias"])),
        ("pending_window_days", p["pending_window_days"], validate.between(p["pending_window_days"], 7, 30)),
    ]
    if p["state"] == "absent":
        return validate.check(module, checks)
    checks += validate.each("administrators", p["administrators"], _principal_error)
    for index, user in enumerate(p["service_users"]):
        option = f"service_users[{index}]"
        if not user["principal_arns"]:
            checks.append((f"{option}.principal_arns", None, "must list at least one principal ARN"))
        checks += validate.each(f"{option}.principal_arns", user["principal_arns"], _principal_error)
        via = user["via_service"]
        checks.append((f"{option}.via_service", via, None if _SERVICE.fullmatch(via or "") else "must be a service name such as s3"))
        checks += validate.each(f"{option}.actions", user["actions"], _action_error)
    checks += validate.each("cloudtrail_trail_arns", p["cloudtrail_trail_arns"], lambda v: validate.arn(v, "cloudtrail", "trail"))
    validate.check(module, checks)


def _principal_error(value):
    return validate.arn(value, "iam", wildcards=True)


def _action_error(action):
    if not re.fullmatch(r"kms:[A-Za-z*]+", action or ""):
        return "must be a KMS action such as kms:Decrypt"
    return None


def read_key(kms, alias, state):
    """The key the alias points to, with its policy, rotation and tags (only what ``state`` needs)."""
    try:
        key = kms.describe_key(KeyId=alias, aws_retry=True)["KeyMetadata"]
    except is_boto3_error_code("NotFoundException"):
        return None
    if state == "absent":
        return key
    key_id = key["KeyId"]
    key["policy"] = kms.get_key_policy(KeyId=key_id, PolicyName="default", aws_retry=True)["Policy"]
    key["rotation"] = kms.get_key_rotation_status(KeyId=key_id, aws_retry=True)["KeyRotationEnabled"]
    return key


def read_tags(kms, key_id):
    tags, marker = [], None
    while True:
        kwargs = {"Marker": marker} if marker else {}
        answer = kms.list_resource_tags(KeyId=key_id, aws_retry=True, **kwargs)
        tags += answer.get("Tags", [])
        if not answer.get("Truncated"):
            return boto3_tag_list_to_ansible_dict(tags, "TagKey", "TagValue")
        marker = answer["NextMarker"]


def desired_policy(module, account_id, partition):
    p = module.params
    return statements.key_policy(
        account_id,
        partition,
        module.region,
        administrators=p["administrators"],
        service_users=p["service_users"],
        cloudtrail_trail_arns=p["cloudtrail_trail_arns"],
    )


def put_policy(module, call):
    """KMS rejects a policy naming a principal created seconds ago until it has propagated: wait, then name it."""
    try:
        return aws.call_while_propagating(call, codes=["MalformedPolicyDocumentException"], message_contains="invalid principal")
    except is_boto3_error_code("MalformedPolicyDocumentException") as e:
        if "invalid principal" not in str(e).lower():
            raise
        named = ", ".join(aws.invalid_principals(e)) or "(not named by KMS)"
        module.fail_json_aws(
            e, msg=f"KMS rejected the key policy: principal {named} (from administrators, service_users or cloudtrail_trail_arns) "
            f"does not exist or had not propagated after {aws.propagation_timeout():.0f} seconds of retries"
        )


def create_key(module, kms, key_policy, outcome):
    p = module.params
    kwargs = dict(
        Policy=policy.to_json(key_policy),
        Description=p["description"] or "",
        KeyUsage="ENCRYPT_DECRYPT",
        KeySpec="SYMMETRIC_DEFAULT",
        BypassPolicyLockoutSafetyCheck=False,
    )
    if p["tags"]:
        kwargs["Tags"] = ansible_dict_to_boto3_tag_list(p["tags"], "TagKey", "TagValue")
    key = put_policy(module, lambda: kms.create_key(aws_retry=True, **kwargs))["KeyMetadata"]
    outcome["key"] = key
    try:
        kms.create_alias(AliasName=p["alias"], TargetKeyId=key["KeyId"], aws_retry=True)
    except is_boto3_error_code("AlreadyExistsException"):
        # Another run created the alias between our read and now. Leave no second key enabled.
        kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=RACE_WINDOW_DAYS, aws_retry=True)
        module.fail_json(
            msg=f"alias: {p['alias']} was created by another run while this one created key {key['KeyId']}; that key is "
            f"scheduled for deletion in {RACE_WINDOW_DAYS} days and nothing else was changed. Run again: the rerun "
            "converges on the key the alias points to.",
            key_id=key["KeyId"],
        )
    if p["enable_rotation"]:
        kms.enable_key_rotation(KeyId=key["KeyId"], aws_retry=True)


def schedule_deletion(module, kms, key, outcome):
    p = module.params
    answer = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=p["pending_window_days"], aws_retry=True)
    outcome["key"] = dict(key, KeyState=answer.get("KeyState", "PendingDeletion"), DeletionDate=answer.get("DeletionDate"))
    delete_alias(kms, p["alias"])


def delete_alias(kms, alias):
    try:
        kms.delete_alias(AliasName=alias, aws_retry=True)
    except is_boto3_error_code("NotFoundException"):
        pass


def enable_key(kms, key, outcome):
    kms.enable_key(KeyId=key["KeyId"], aws_retry=True)
    outcome["key"] = dict(key, KeyState="Enabled", DeletionDate=None)


def set_rotation(kms, key_id, enabled):
    if enabled:
        kms.enable_key_rotation(KeyId=key_id, aws_retry=True)
    else:
        kms.disable_key_rotation(KeyId=key_id, aws_retry=True)


def main():
    argument_spec = dict(
        alias=dict(type="str", required=True),
        description=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        administrators=dict(type="list", elements="str", default=[]),
        service_users=dict(
            type="list",
            elements="dict",
            default=[],
            options=dict(
                principal_arns=dict(type="list", elements="str", required=True),
                via_service=dict(type="str", default="s3"),
                actions=dict(type="list", elements="str", default=["kms:Decrypt", "kms:GenerateDataKey"]),
            ),
        ),
        cloudtrail_trail_arns=dict(type="list", elements="str", default=[]),
        enable_rotation=dict(type="bool", default=True),
        pending_window_days=dict(type="int", default=30),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    alias = p["alias"]
    partition = aws.partition(module)
    kms = aws.client(module, "kms")
    plan = Plan(module, partition)
    outcome = {}

    try:
        current = read_key(kms, alias, p["state"])
        if current and current.get("KeyManager") != "CUSTOMER":
            module.fail_json(msg=f"alias: {alias} points to an AWS managed key, which this module cannot manage")
        outcome["key"] = current

        if p["state"] == "absent":
            if current and current["KeyState"] not in ("PendingDeletion", "PendingReplicaDeletion"):
                view = _view(current, alias)
                plan.delete(view, lambda: schedule_deletion(module, kms, current, outcome))
                plan.after = dict(view, key_state="PendingDeletion", alias=None, pending_window_days=p["pending_window_days"])
            elif current:  # deletion already scheduled, but the alias still points to the key
                plan.before = _view(current, alias)
                plan.after = dict(plan.before, alias=None)
                plan.step("alias", lambda: delete_alias(kms, alias))
            result = plan.finish(alias=alias)
            module.exit_json(**_key_result(outcome["key"]), **result)

        if current is None:
            account_id = aws.client(module, "sts").get_caller_identity(aws_retry=True)["Account"]
            key_policy = desired_policy(module, account_id, partition)
            desired_view = {
                "alias": alias,
                "description": p["description"] or "",
                "key_state": "Enabled",
                "policy": plan.shown(key_policy),
                "rotation": p["enable_rotation"],
                "tags": p["tags"] or {},
            }
            plan.create(desired_view, lambda: create_key(module, kms, key_policy, outcome))
        else:
            if current.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or current.get("KeyUsage") != "ENCRYPT_DECRYPT":
                module.fail_json(
                    msg=f"alias: {alias} points to key {current['KeyId']} ({current.get('KeySpec')}, {current.get('KeyUsage')}), not a "
                    "symmetric encryption key; KMS cannot change that. Point the alias elsewhere or choose another alias.",
                )
            key_id = current["KeyId"]
            key_policy = desired_policy(module, statements.account_of(current["Arn"]), partition)
            state = current["KeyState"]
            if state not in ("Enabled", "Disabled", "PendingDeletion"):
                module.fail_json(msg=f"alias: key {key_id} is in state {state}; only Enabled, Disabled and PendingDeletion keys are managed")
            if state == "PendingDeletion":
                # Cancelling leaves the key Disabled; the key_state field below enables it.
                plan.step("cancel_deletion", lambda: kms.cancel_key_deletion(KeyId=key_id, aws_retry=True))
            plan.field(
                "key_state", state, "Enabled",
                lambda: enable_key(kms, current, outcome),
                normalise=lambda s: s == "Enabled", show=lambda s: s,
            )
            plan.policy(
                "policy", current["policy"], key_policy,
                lambda: put_policy(module, lambda: kms.put_key_policy(
                    KeyId=key_id, PolicyName="default", Policy=policy.to_json(key_policy), BypassPolicyLockoutSafetyCheck=False, aws_retry=True)),
            )
            plan.field(
                "description", current.get("Description", ""), p["description"],
                lambda: kms.update_key_description(KeyId=key_id, Description=p["description"], aws_retry=True),
            )
            plan.field("rotation", current["rotation"], p["enable_rotation"], lambda: set_rotation(kms, key_id, p["enable_rotation"]))
            if p["tags"] is not None:
                plan.tags(
                    read_tags(kms, key_id),
                    p["tags"],
                    p["purge_tags"],
                    lambda add: kms.tag_resource(KeyId=key_id, Tags=ansible_dict_to_boto3_tag_list(add, "TagKey", "TagValue"), aws_retry=True),
                    lambda keys: kms.untag_resource(KeyId=key_id, TagKeys=keys, aws_retry=True),
                )
        result = plan.finish(alias=alias, policy=plan.shown(key_policy))
        module.exit_json(**_key_result(outcome["key"]), **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage KMS key {alias}")


def _key_result(key):
    if not key:
        return {}
    result = {"key_id": key["KeyId"], "key_arn": key["Arn"], "key_state": key["KeyState"]}
    if key.get("KeyState") == "PendingDeletion" and key.get("DeletionDate"):
        date = key["DeletionDate"]
        result["deletion_date"] = date.isoformat() if hasattr(date, "isoformat") else str(date)
    return result


def _view(key, alias):
    return {"alias": alias, "key_id": key["KeyId"], "key_state": key["KeyState"], "description": key.get("Description", "")}


if __name__ == "__main__":
    main()
