#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: access_report
short_description: Who can reach the cross-account data, and why (read-only access analysis)
version_added: 0.1.0
description:
  - Reads the deployed trust policy and permissions of the cross-account role, the data bucket's policy, object
    ownership and Block Public Access, and the data key's policy, and answers a matrix of questions with AWS's
    documented policy evaluation logic (explicit deny wins; within one account an identity or resource policy Allow
    suffices, across accounts both are needed; C(sts:AssumeRole) needs the trust policy; KMS needs the key policy).
  - "Rows: the Development principal with and without the external id, a same-named principal outside the
    organization, the Development principal over plain HTTP, a Production administrator, the Production account root,
    another Development role, anonymous. Columns: assume the role, list, get, put, put with another KMS key, put with
    SSE-S3, delete, put an object ACL, and C(kms:Decrypt) directly."
  - Each answer is allowed or denied with the deciding statements, and is compared with the intended design
    (only the Development principal, with the external id, over TLS, may assume the role and use the granted
    actions); disagreements are listed in RV(contradictions). The module never fails because of them; a play decides
    (the C(verify) role fails).
  - Also returns lint findings (severity and fix) for the mistakes in the documents, and optionally the findings of
    IAM Access Analyzer (C(ValidatePolicy), C(CheckAccessNotGranted)); on an endpoint without Access Analyzer it says so
    and carries on.
  - Principals outside the account are answered for the worst case. Their identity policies, which this account
    cannot read, are assumed to allow everything; so is a Production administrator role that does not exist.
  - Read-only; safe in check mode; never reports a change.
  - "API calls: C(iam:GetRole), C(iam:ListRolePolicies), C(iam:GetRolePolicy), C(iam:ListAttachedRolePolicies),
    C(iam:GetPolicy), C(iam:GetPolicyVersion) (role and administrator), C(s3:GetBucketPolicy), C(s3:GetBucketEncryption),
    C(s3:GetBucketOwnershipControls), C(s3:GetPublicAccessBlock), C(kms:DescribeKey), C(kms:GetKeyPolicy),
    C(cloudtrail:GetEventSelectors) with O(trail_name), and the Access Analyzer calls."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  role_name:
    description: Name of the cross-account role in this (the Production) account.
    type: str
    required: true
  bucket:
    description: The data bucket.
    type: str
    required: true
  kms_key:
    description: The data key (alias, key id or ARN). Default, the key of the bucket's default encryption.
    type: str
  developer_principal_arn:
    description:
      - A Development principal meant to assume the role, for example an IAM Identity Center permission-set role
        C(arn:aws:iam::<dev>:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<Set>_<hex>).
    type: str
    required: true
  developer_org_id:
    description: The AWS Organizations id of the Development account (C(aws:PrincipalOrgID)), when it is in one.
    type: str
  external_id:
    description: The external id Development principals present.
    type: str
  other_developer_principal_arn:
    description: Another role in the Development account, not meant to assume the role. Default C(role/OtherDeveloper) there.
    type: str
  outside_account_id:
    description: An account outside the organization; the report asks for a principal there with the developer's role path and name.
    type: str
    default: "999999999999"
  administrator_arn:
    description:
      - A Production administrator. Its identity policies are read when it is a role of this account; otherwise
        C(AdministratorAccess) is assumed.
      - Default C(role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef) in this account.
    type: str
  intended_actions:
    description: The S3 actions the design grants the Development principal (what the role was deployed with).
    type: list
    elements: str
    default: [s3:ListBucket, s3:GetObject, s3:PutObject]
  object_key:
    description: The object key the object questions are asked for.
    type: str
    default: verify/access-report.txt
  service_control_policies:
    description:
      - Service control policies to take into account, each C({name, policy, accounts}). Without C(accounts) a
        policy applies to every member account in the report.
    type: list
    elements: dict
    default: []
  requested_session_duration:
    description: The session length Development principals request (for the role-chaining finding).
    type: int
  regional_sts:
    description: Whether callers use regional STS endpoints (a trust policy region condition needs them).
    type: bool
  trail_name:
    description: A CloudTrail trail whose event selectors are checked for management events.
    type: str
  access_analyzer:
    description:
      - C(auto) calls IAM Access Analyzer and reports when the endpoint does not offer it; C(always) fails then;
        C(never) does not call it.
    type: str
    choices: [auto, always, never]
    default: auto
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Who can reach the data?
  cross_account.aws.access_report:
    role_name: DevToProdDataAccess
    bucket: xacct-data-222222222222
    kms_key: alias/xacct-data
    developer_principal_arn: arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataDeveloper_0123456789abcdef
    external_id: "{{ cross_account_external_id }}"
    trail_name: xacct-audit
  register: access

- name: Fail when an answer contradicts the design
  ansible.builtin.assert:
    that: access.contradictions | length == 0
    fail_msg: "{{ access.contradictions | map(attribute='summary') | list }}"
"""

RETURN = r"""
answers:
  description: One answer per principal and action.
  returned: always
  type: list
  elements: dict
  contains:
    principal:
      description: Row key (developer, developer_without_external_id, outside_organization, developer_plain_http, administrator,
        production_root, other_developer, anonymous).
      type: str
    principal_label: {description: Row label., type: str}
    principal_arn: {description: The principal asked about., type: str}
    action: {description: "Column key (assume_role, list, get, put, put_other_key, put_sse_s3, delete, put_acl, decrypt_direct).", type: str}
    allowed: {description: The answer., type: bool}
    decision: {description: "allowed, explicit-deny, implicit-deny, acl-disabled or block-public-access.", type: str}
    reason: {description: "Why, in words.", type: str}
    deciding: {description: "The deciding statements (policy, sid, effect).", type: list, elements: dict}
    expected: {description: What the design intends (null - no expectation)., type: bool}
    agrees: {description: Whether the answer is what the design intends (null - no expectation)., type: bool}
matrix:
  description: "C({principal: {action: allowed|denied}})."
  returned: always
  type: dict
contradictions:
  description: Answers that contradict the intended design, each with a C(summary).
  returned: always
  type: list
  elements: dict
findings:
  description: Lint findings, most severe first (id, severity, policy, sid, message, fix).
  returned: always
  type: list
  elements: dict
access_analyzer:
  description: Whether IAM Access Analyzer was available (C(available), C(message)) and its findings.
  returned: always
  type: dict
principals:
  description: The rows (key, label, arn, account, identity_note).
  returned: always
  type: list
  elements: dict
resources:
  description: account_id, role_arn, bucket_arn, key_arn, object_ownership, block_public_access, region, partition.
  returned: always
  type: dict
policies:
  description: The documents read, normalised (trust, role permissions, bucket policy, key policy; external ids as fingerprints).
  returned: always
  type: dict
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

from ansible_collections.cross_account.aws.plugins.module_utils import access
from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils import evaluator as ev
from ansible_collections.cross_account.aws.plugins.module_utils import findings as lint
from ansible_collections.cross_account.aws.plugins.module_utils import policy
from ansible_collections.cross_account.aws.plugins.module_utils import validate

_ALLOW_ALL = access.ASSUMED_ADMIN


def validate_options(module):
    p = module.params
    checks = [
        ("role_name", p["role_name"], validate.rule("role_name", p["role_name"])),
        ("bucket", p["bucket"], validate.rule("bucket_name", p["bucket"])),
        ("developer_principal_arn", p["developer_principal_arn"], validate.arn(p["developer_principal_arn"], "iam")),
        ("outside_account_id", p["outside_account_id"], validate.rule("account_id", p["outside_account_id"])),
    ]
    for option in ("other_developer_principal_arn", "administrator_arn"):
        if p[option]:
            checks.append((option, p[option], validate.arn(p[option], "iam")))
    if p["external_id"] is not None:
        checks.append(("external_id", None, validate.rule("external_id", p["external_id"])))
    if p["developer_org_id"]:
        checks.append(("developer_org_id", p["developer_org_id"], validate.rule("organization_id", p["developer_org_id"])))
    for index, scp in enumerate(p["service_control_policies"]):
        error = None
        try:
            if not scp.get("name") or not isinstance(policy.parse(scp.get("policy")), dict):
                error = "needs a name and a policy document"
        except ValueError:
            error = "has a policy that is not JSON"
        checks.append((f"service_control_policies[{index}]", None, error))
    validate.check(module, checks)


def _doc(value):
    return policy.parse(value) if value else None


def read_role(iam, name):
    try:
        role = iam.get_role(RoleName=name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return None
    role["policies"] = read_identity_policies(iam, name)
    return role


def read_identity_policies(iam, name):
    docs = []
    for policy_name in iam.list_role_policies(RoleName=name, aws_retry=True)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=name, PolicyName=policy_name, aws_retry=True)["PolicyDocument"]
        docs.append((f"inline policy {policy_name}", _doc(doc)))
    for attached in iam.list_attached_role_policies(RoleName=name, aws_retry=True)["AttachedPolicies"]:
        arn = attached["PolicyArn"]
        try:
            version = iam.get_policy(PolicyArn=arn, aws_retry=True)["Policy"]["DefaultVersionId"]
            doc = iam.get_policy_version(PolicyArn=arn, VersionId=version, aws_retry=True)["PolicyVersion"]["Document"]
        except is_boto3_error_code("NoSuchEntity"):
            continue
        docs.append((f"managed policy {attached['PolicyName']}", _doc(doc)))
    return docs


def read_bucket(s3, bucket):
    result = {"policy": None, "encryption_key": None, "ownership": None, "block_public_access": None}
    try:
        result["policy"] = _doc(s3.get_bucket_policy(Bucket=bucket, aws_retry=True)["Policy"])
    except is_boto3_error_code("NoSuchBucketPolicy"):
        pass
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket, aws_retry=True)["ServerSideEncryptionConfiguration"]["Rules"]
        result["encryption_key"] = rules[0]["ApplyServerSideEncryptionByDefault"].get("KMSMasterKeyID")
    except is_boto3_error_code("ServerSideEncryptionConfigurationNotFoundError"):
        pass
    try:
        controls = s3.get_bucket_ownership_controls(Bucket=bucket, aws_retry=True)["OwnershipControls"]["Rules"]
        result["ownership"] = controls[0]["ObjectOwnership"]
    except is_boto3_error_code("OwnershipControlsNotFoundError"):
        pass
    try:
        result["block_public_access"] = s3.get_public_access_block(Bucket=bucket, aws_retry=True)["PublicAccessBlockConfiguration"]
    except is_boto3_error_code("NoSuchPublicAccessBlockConfiguration"):
        pass
    return result


def read_key(kms, key_id):
    try:
        arn = kms.describe_key(KeyId=key_id, aws_retry=True)["KeyMetadata"]["Arn"]
    except is_boto3_error_code("NotFoundException"):
        return None, None
    return arn, _doc(kms.get_key_policy(KeyId=arn, PolicyName="default", aws_retry=True)["Policy"])


def read_selectors(module, name):
    trail = aws.client(module, "cloudtrail")
    try:
        return trail.get_event_selectors(TrailName=name, aws_retry=True).get("AdvancedEventSelectors") or []
    except is_boto3_error_code("TrailNotFoundException"):
        module.warn(f"trail {name} not found: its event selectors were not checked")
        return None


def access_analyzer(module, documents, mode):
    """Access Analyzer's findings beside ours; ``available: false`` (and a message) without it."""
    result = {"available": False, "message": "not called (access_analyzer=never)", "findings": []}
    if mode == "never":
        return result
    checks = [
        ("trust policy", "RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument", documents["trust_policy"]),
        ("bucket policy", "RESOURCE_POLICY", "AWS::S3::Bucket", documents["bucket_policy"]),
        ("key policy", "RESOURCE_POLICY", None, documents["key_policy"]),
    ] + [(name, "IDENTITY_POLICY", None, doc) for name, doc in documents["role_policies"]]
    try:
        analyzer = aws.client(module, "accessanalyzer")
        for name, kind, resource_type, doc in checks:
            if not doc:
                continue
            kwargs = dict(policyDocument=policy.to_json(doc), policyType=kind)
            if resource_type:
                kwargs["validatePolicyResourceType"] = resource_type
            for item in analyzer.validate_policy(aws_retry=True, **kwargs).get("findings", []):
                result["findings"].append({"policy": name, "check": "ValidatePolicy", "severity": item.get("findingType"),
                                           "issue": item.get("issueCode"), "message": item.get("findingDetails")})
        if documents["bucket_policy"]:
            answer = analyzer.check_access_not_granted(
                policyDocument=policy.to_json(documents["bucket_policy"]), policyType="RESOURCE_POLICY",
                access=[{"actions": ["s3:DeleteObject", "s3:PutObjectAcl"]}], aws_retry=True)
            if answer.get("result") != "PASS":
                result["findings"].append({"policy": "bucket policy", "check": "CheckAccessNotGranted", "severity": "ERROR",
                                           "issue": "ACCESS_GRANTED", "message": answer.get("message")})
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        message = f"IAM Access Analyzer is not available on this endpoint ({_why(e)}); only this module's own analysis is reported"
        if mode == "always":
            module.fail_json_aws(e, msg=message)
        module.warn(message)
        return {"available": False, "message": message, "findings": result["findings"]}
    result.update(available=True, message="IAM Access Analyzer ValidatePolicy and CheckAccessNotGranted ran")
    return result


def _why(error):
    """A short reason: the error code and message, or the HTTP status when the endpoint sent neither (an emulator
    without the service answers a bare 400)."""
    response = getattr(error, "response", None) or {}
    code, text = response.get("Error", {}).get("Code"), response.get("Error", {}).get("Message")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code and not code.isdigit():
        return f"{code}: {text}" if text else code
    if status:
        return f"it answered HTTP {status} to {getattr(error, 'operation_name', 'the call')} without an error code"
    return f"{type(error).__name__}: {str(error)[:200]}"


def subjects(module, account_id, partition, admin_identity, admin_note):
    p = module.params
    dev = p["developer_principal_arn"]
    dev_account = dev.split(":")[4]
    dev_resource = dev.split(":", 5)[5]
    assumed_dev = [("Development identity policy (not readable from here; assumed to allow)", _ALLOW_ALL)]
    note = "identity policies in another account are assumed to allow everything (worst case)"
    other = p["other_developer_principal_arn"] or f"arn:{partition}:iam::{dev_account}:role/OtherDeveloper"
    outside = f"arn:{partition}:iam::{p['outside_account_id']}:{dev_resource}"
    intended = p["intended_actions"]

    def principal(arn, org=p["developer_org_id"]):
        return ev.principal_from_arn(arn, org_id=org)

    return [
        access.Subject("developer", "Development principal, with the external id", principal(dev), assumed_dev,
                       p["external_id"], via_role=True, identity_note=note, expected=access.expected_design("developer", intended)),
        access.Subject("developer_without_external_id", "Development principal, without the external id", principal(dev),
                       assumed_dev, None, via_role=True, identity_note=note, expected=access.expected_design("other", intended)),
        access.Subject("outside_organization", f"Same-named principal outside the organization ({p['outside_account_id']}), "
                       "with the external id", principal(outside, "o-outsideorg00"), assumed_dev, p["external_id"], via_role=True,
                       identity_note=note, expected=access.expected_design("other", intended)),
        access.Subject("developer_plain_http", "Development principal, with the external id, over plain HTTP", principal(dev),
                       assumed_dev, p["external_id"], secure=False, via_role=True, identity_note=note,
                       expected=access.expected_design("plain_http", intended)),
        access.Subject("administrator", "Production administrator", principal(p["administrator_arn"] or
                       f"arn:{partition}:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123456789abcdef"),
                       admin_identity, identity_note=admin_note, expected=access.expected_design("administrator", intended)),
        access.Subject("production_root", "Production account root", ev.Principal("root", policy.root_arn(account_id, partition), account_id),
                       expected=access.expected_design("root", intended)),
        access.Subject("other_developer", "Another Development role", principal(other), assumed_dev, p["external_id"],
                       via_role=True, identity_note=note, expected=access.expected_design("other", intended)),
        access.Subject("anonymous", "Anonymous", ev.Principal("anonymous"), expected=access.expected_design("other", intended)),
    ]


def main():
    argument_spec = dict(
        role_name=dict(type="str", required=True),
        bucket=dict(type="str", required=True),
        kms_key=dict(type="str", no_log=False),
        developer_principal_arn=dict(type="str", required=True),
        developer_org_id=dict(type="str"),
        external_id=dict(type="str", no_log=True),
        other_developer_principal_arn=dict(type="str"),
        outside_account_id=dict(type="str", default="999999999999"),
        administrator_arn=dict(type="str"),
        intended_actions=dict(type="list", elements="str", default=["s3:ListBucket", "s3:GetObject", "s3:PutObject"]),
        object_key=dict(type="str", default="verify/access-report.txt", no_log=False),
        service_control_policies=dict(type="list", elements="dict", default=[]),
        requested_session_duration=dict(type="int"),
        regional_sts=dict(type="bool"),
        trail_name=dict(type="str"),
        access_analyzer=dict(type="str", choices=["auto", "always", "never"], default="auto"),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    partition = aws.partition(module)
    iam, s3, kms = aws.client(module, "iam"), aws.client(module, "s3"), aws.client(module, "kms")
    try:
        role = read_role(iam, p["role_name"])
        bucket = read_bucket(s3, p["bucket"])
        key_arn, key_policy = read_key(kms, p["kms_key"] or bucket["encryption_key"]) if (p["kms_key"] or bucket["encryption_key"]) else (None, None)
        account_id = role["Arn"].split(":")[4] if role else (key_arn.split(":")[4] if key_arn else None)
        if not account_id:
            module.fail_json(msg=f"role_name: role {p['role_name']} not found and no data key to tell the account by; nothing to report on")
        role_arn = role["Arn"] if role else f"arn:{partition}:iam::{account_id}:role/{p['role_name']}"
        admin_arn = p["administrator_arn"]
        admin_identity, admin_note = [("AdministratorAccess (assumed)", _ALLOW_ALL)], "role not found in this account: AdministratorAccess assumed"
        if admin_arn and admin_arn.split(":")[4] == account_id and ":role/" in admin_arn:
            admin_role = read_role(iam, admin_arn.rsplit("/", 1)[-1])
            if admin_role:
                admin_identity, admin_note = admin_role["policies"], "identity policies read from the account"
        selectors = read_selectors(module, p["trail_name"]) if p["trail_name"] else None
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Failed to read the policies for the access report")

    trust = _doc(role["AssumeRolePolicyDocument"]) if role else None
    role_policies = role["policies"] if role else []
    rows = subjects(module, account_id, partition, admin_identity, admin_note)
    answers = access.answer_matrix(
        rows, role_arn=role_arn, trust=trust, role_policies=role_policies, bucket=p["bucket"], bucket_policy=bucket["policy"],
        key_arn=key_arn, key_policy=key_policy, account_id=account_id, region=module.region, partition=partition,
        object_key=p["object_key"], object_ownership=bucket["ownership"], block_public_access=bucket["block_public_access"],
        scps=[{"name": s["name"], "policy": policy.parse(s["policy"]), "accounts": s.get("accounts")} for s in p["service_control_policies"]],
    )
    contradictions = [
        dict(a, summary=f"{a['principal_label']}: {a['action_label']} is {'allowed' if a['allowed'] else 'denied'}, "
                        f"the design intends it {'allowed' if a['expected'] else 'denied'} ({a['reason']})")
        for a in answers if a["agrees"] is False
    ]
    found = lint.lint(
        trust=trust, permissions=role_policies, bucket_policy=bucket["policy"], bucket=p["bucket"], key_policy=key_policy,
        account_id=account_id, advanced_selectors=selectors, max_session_duration=(role or {}).get("MaxSessionDuration"),
        requested_duration=p["requested_session_duration"], regional_sts=p["regional_sts"], partition=partition,
        key_policy_read=key_arn is not None,
    )
    if role is None:
        found.insert(0, lint.Finding("role-missing", "high", "trust policy", f"Role {p['role_name']} does not exist.",
                                     "Deploy it with cross_account.aws.trust_role."))
    documents = {"trust_policy": trust, "role_policies": role_policies, "bucket_policy": bucket["policy"], "key_policy": key_policy}
    analyzer = access_analyzer(module, documents, p["access_analyzer"])

    def shown(doc):
        return policy.redact_condition(policy.normalize(doc, partition))

    module.exit_json(
        changed=False,
        answers=answers,
        matrix=access.summary(answers),
        contradictions=contradictions,
        findings=[f.as_dict() for f in found],
        access_analyzer=analyzer,
        principals=[{"key": r.key, "label": r.label, "arn": r.principal.arn or "(anonymous)", "account": r.principal.account or None,
                     "identity_note": r.identity_note} for r in rows],
        resources={
            "account_id": account_id, "role_arn": role_arn, "bucket_arn": f"arn:{partition}:s3:::{p['bucket']}", "key_arn": key_arn,
            "object_ownership": bucket["ownership"], "block_public_access": bucket["block_public_access"],
            "region": module.region, "partition": partition,
            "max_session_duration": (role or {}).get("MaxSessionDuration"),
        },
        policies={"trust_policy": shown(trust), "role_policies": {name: shown(doc) for name, doc in role_policies},
                  "bucket_policy": shown(bucket["policy"]), "key_policy": shown(key_policy)},
    )


if __name__ == "__main__":
    main()
