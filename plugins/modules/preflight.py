#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: preflight
short_description: Check a play's variables with the collection's option rules before any AWS call
version_added: 0.1.0
description:
  - Applies the rules the resource modules apply to their options (account ids, external ids, regions, ARNs, S3
    actions, ranges, choices) to the variables a role is given, and fails once, naming every variable and the rule
    it breaks. The roles run it first, so a bad value stops the play before the first resource is created, changed
    or deleted (each module would otherwise refuse it only when its own task comes).
  - "A local check: it makes no AWS call and needs no AWS credentials, so it is not part of the
    C(cross_account.aws.aws) action group. It never reports a change."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  checks:
    description: The variables to check.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The variable's name, as the message shows it.
        type: str
        required: true
      value:
        description: Its value. A list is checked element by element (C(name[i]) in the message).
        type: raw
        required: true
      rule:
        description:
          - A named rule of the collection. C(iam_arn) is an IAM or STS ARN with a 12-digit account (wildcards
            allowed), C(s3_action) a single S3 action without wildcards, C(kms_key) a key ARN, key id, alias or alias ARN;
            the others are the name rules of the modules' options.
        type: str
        choices: [account_id, bucket_name, external_id, group_name, iam_arn, iam_path, kms_alias, kms_key, organization_id,
                  permission_set_name, policy_name, region, role_name, s3_action, trail_name, user_name]
      min:
        description: Smallest allowed number.
        type: int
      max:
        description: Largest allowed number.
        type: int
      choices:
        description: The allowed values.
        type: list
        elements: raw
      nonempty:
        description: The value (a list or a string) must not be empty.
        type: bool
        default: false
      secret:
        description: Do not repeat the value in the message (an external id, say).
        type: bool
        default: false
notes:
  - Supports check mode (it only reads its options); never reports a change and shows no diff.
"""

EXAMPLES = r"""
- name: Check the Production variables before any AWS call
  cross_account.aws.preflight:
    checks:
      - {name: prod_account_external_id, value: "{{ prod_account_external_id }}", rule: external_id, secret: true}
      - {name: prod_account_max_session_duration, value: "{{ prod_account_max_session_duration }}", min: 3600, max: 43200}
      - {name: prod_account_requested_regions, value: "{{ prod_account_requested_regions }}", rule: region}
"""

RETURN = r"""
checked:
  description: The names of the variables checked.
  returned: success
  type: list
  elements: str
api_calls:
  description: AWS API calls the module made; always empty (it makes none).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cross_account.aws.plugins.module_utils import validate


def _principal_arn(value):
    error = validate.arn(value, wildcards=True)
    if error or str(value).split(":")[2] in ("iam", "sts"):
        return error
    return "must be an IAM or STS ARN such as arn:aws:iam::123456789012:role/Name"


NAMED = {"iam_arn": _principal_arn, "s3_action": validate.s3_action, "kms_key": validate.kms_key}


def errors_of(check):
    """``(name, shown value, error)`` for every broken rule of one check."""
    values = check["value"] if isinstance(check["value"], list) else [check["value"]]
    found = []
    if check["nonempty"] and (not check["value"] or all(str(v) == "" for v in values)):
        found.append((check["name"], None, "must not be empty"))
    for index, value in enumerate(values):
        name = f"{check['name']}[{index}]" if isinstance(check["value"], list) else check["name"]
        shown = None if check["secret"] else value
        if check["rule"]:
            rule = NAMED.get(check["rule"]) or (lambda v: validate.rule(check["rule"], v))
            found.append((name, shown, rule(value)))
        if check["min"] is not None or check["max"] is not None:
            found.append((name, shown, _number_error(value, check["min"], check["max"])))
        if check["choices"] is not None and value not in check["choices"]:
            found.append((name, shown, f"must be one of {', '.join(map(str, check['choices']))}"))
    return found


def _number_error(value, low, high):
    try:
        number = int(str(value))
    except ValueError:
        return "must be a whole number"
    if (low is not None and number < low) or (high is not None and number > high):
        return f"must be between {low} and {high}" if low is not None and high is not None else (
            f"must be at least {low}" if low is not None else f"must be at most {high}")
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            checks=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                value=dict(type="raw", required=True),
                rule=dict(type="str", choices=sorted(set(validate.RULE_KINDS) | set(NAMED))),
                min=dict(type="int"),
                max=dict(type="int"),
                choices=dict(type="list", elements="raw"),
                nonempty=dict(type="bool", default=False),
                secret=dict(type="bool", default=False),
            )),
        ),
        supports_check_mode=True,
    )
    checks = module.params["checks"]
    validate.check(module, [error for check in checks for error in errors_of(check)], what="variables")
    module.exit_json(changed=False, checked=[check["name"] for check in checks], api_calls=[])


if __name__ == "__main__":
    main()
