#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: bucket
short_description: An S3 bucket with secure defaults
version_added: 0.1.0
description:
  - Creates, updates or deletes an S3 general purpose bucket and manages its default encryption, Block Public Access,
    object ownership, versioning, lifecycle rules and tags.
  - "Secure defaults: SSE-KMS with the given key and S3 Bucket Keys (SSE-S3 without O(kms_key)), all four Block Public
    Access settings on, C(BucketOwnerEnforced) (ACLs disabled), versioning on."
  - The bucket policy is not managed here (see M(cross_account.aws.bucket_policy)).
  - C(state=absent) never silently destroys data. A bucket that still holds object versions or delete markers is
    refused (the module fails and deletes nothing) unless O(force=true).
  - A converged run makes no write call. Check mode predicts exactly; C(--diff) shows the settings as readable dicts.
  - "API calls on a converged run: C(s3:HeadBucket), C(s3:GetBucketEncryption), C(s3:GetPublicAccessBlock),
    C(s3:GetBucketOwnershipControls), C(s3:GetBucketVersioning), C(s3:GetBucketLifecycleConfiguration) (only when
    O(lifecycle_rules) is set), C(s3:GetBucketTagging) (only when O(tags) is set), and C(kms:DescribeKey) when O(kms_key)
    is an alias or key id rather than a key ARN (one more when the bucket stores its default key as an alias or key id, as
    set up out of band, so the same key is not reported as a change). With O(state=absent): C(s3:HeadBucket), C(s3:ListObjectVersions) (paginated)."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  name:
    description: Name of the bucket.
    type: str
    required: true
  state:
    description: Whether the bucket should exist.
    type: str
    choices: [present, absent]
    default: present
  kms_key:
    description:
      - The KMS key for default encryption (SSE-KMS), given as a key ARN, a key id, an alias (C(alias/name)) or an alias ARN.
        Ids and aliases are resolved to the key ARN with one C(kms:DescribeKey); the key ARN is what the bucket stores.
      - In check mode an alias that does not exist yet (a C(kms_key) task earlier in the run would create it) is reported
        with a warning, and the predicted encryption shows the alias.
      - Without it the bucket uses SSE-S3 (C(AES256)).
    type: str
  bucket_key_enabled:
    description: Use S3 Bucket Keys with SSE-KMS (fewer KMS requests; the encryption context becomes the bucket ARN).
    type: bool
    default: true
  versioning:
    description: Whether versioning is enabled. C(false) suspends versioning on a bucket where it was enabled.
    type: bool
    default: true
  object_ownership:
    description: Object ownership. C(BucketOwnerEnforced) disables ACLs.
    type: str
    choices: [BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter]
    default: BucketOwnerEnforced
  public_access_block:
    description: The bucket's Block Public Access settings; all four are on unless switched off here.
    type: dict
    default: {}
    suboptions:
      block_public_acls:
        description: Reject requests that set public ACLs.
        type: bool
        default: true
      ignore_public_acls:
        description: Ignore public ACLs.
        type: bool
        default: true
      block_public_policy:
        description: Reject bucket policies that grant public access.
        type: bool
        default: true
      restrict_public_buckets:
        description: Restrict access to a bucket with a public policy to AWS principals of the owner account.
        type: bool
        default: true
  lifecycle_rules:
    description:
      - The complete lifecycle configuration (rules not listed are removed; an empty list removes the configuration).
        Not managed when omitted.
    type: list
    elements: dict
    suboptions:
      id:
        description: Unique id of the rule (1-255 characters).
        type: str
        required: true
      prefix:
        description: Apply the rule to keys under this prefix (all keys when empty).
        type: str
        default: ""
      expiration_days:
        description: Expire current object versions this many days after creation.
        type: int
      noncurrent_version_expiration_days:
        description: Permanently delete noncurrent versions this many days after they became noncurrent.
        type: int
      abort_incomplete_multipart_days:
        description: Abort incomplete multipart uploads this many days after they started.
        type: int
  force:
    description:
      - With O(state=absent), delete every object version and delete marker before deleting the bucket.
        Without it, a bucket that is not empty is refused and nothing is deleted.
    type: bool
    default: false
  keep_if_not_empty:
    description:
      - With O(state=absent) and without O(force), keep a bucket that still holds object versions instead of failing;
        the result says C(kept=true), how many versions it holds, and a warning names it. For teardown playbooks that
        must finish and report what they kept.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Data bucket encrypted with the data key, verification objects expire after a day
  cross_account.aws.bucket:
    name: prod-data-222222222222
    kms_key: alias/prod-data
    lifecycle_rules:
      - id: expire-verification-objects
        prefix: verification/
        expiration_days: 1
        noncurrent_version_expiration_days: 1
      - id: abort-incomplete-uploads
        abort_incomplete_multipart_days: 7
    tags:
      owner: platform

- name: Delete the bucket only if it is empty (fails and keeps it otherwise)
  cross_account.aws.bucket:
    name: prod-data-222222222222
    state: absent

- name: Delete the bucket and everything in it
  cross_account.aws.bucket:
    name: prod-data-222222222222
    state: absent
    force: true
"""

RETURN = r"""
bucket:
  description: The bucket; empty when it does not exist (or would only be created in check mode).
  returned: always
  type: dict
  contains:
    name: {description: Bucket name., type: str}
    arn: {description: Bucket ARN., type: str, sample: "arn:aws:s3:::prod-data-222222222222"}
    region: {description: Region of the bucket., type: str}
settings:
  description: The bucket's settings after the run (as desired), in the readable form the diff shows.
  returned: when state is present
  type: dict
object_versions:
  description: Number of object versions and delete markers the bucket held (deleted with O(force=true)).
  returned: when state is absent and the bucket existed
  type: int
kept:
  description: True when O(keep_if_not_empty) kept a bucket that still holds object versions.
  returned: when state is absent
  type: bool
changes:
  description: Names of the settings that were (or in check mode would be) written, in order.
  returned: always
  type: list
  elements: str
  sample: [encryption, lifecycle]
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
from ansible_collections.cross_account.aws.plugins.module_utils import statements
from ansible_collections.cross_account.aws.plugins.module_utils import validate
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan

PUBLIC_ACCESS_KEYS = {
    "block_public_acls": "BlockPublicAcls",
    "ignore_public_acls": "IgnorePublicAcls",
    "block_public_policy": "BlockPublicPolicy",
    "restrict_public_buckets": "RestrictPublicBuckets",
}
_KEY_ID = re.compile(r"^(mrk-)?[0-9a-fA-F-]{32,36}$")
DELETE_BATCH = 1000


# --- options ---------------------------------------------------------------------------------


def validate_options(module):
    p = module.params
    checks = [("name", p["name"], validate.rule("bucket_name", p["name"]))]
    if p["force"] and p["keep_if_not_empty"]:
        checks.append(("keep_if_not_empty", True, "contradicts force=true (force deletes the objects, keep_if_not_empty keeps them): set one"))
    if p["state"] == "present":
        if p["kms_key"] is not None:
            checks.append(("kms_key", p["kms_key"], _kms_key_error(p["kms_key"])))
        seen = set()
        for index, rule in enumerate(p["lifecycle_rules"] or []):
            option = f"lifecycle_rules[{index}]"
            if not 1 <= len(rule["id"]) <= 255:
                checks.append((f"{option}.id", rule["id"], "must be 1-255 characters"))
            if rule["id"] in seen:
                checks.append((f"{option}.id", rule["id"], "must be unique"))
            seen.add(rule["id"])
            days = {k: rule[k] for k in ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_days")}
            if all(v is None for v in days.values()):
                checks.append((option, None, "needs at least one of expiration_days, noncurrent_version_expiration_days, abort_incomplete_multipart_days"))
            for key, value in days.items():
                if value is not None and value < 1:
                    checks.append((f"{option}.{key}", value, "must be at least 1"))
    validate.check(module, checks)


def _kms_key_error(value):
    if value.startswith("arn:"):
        return validate.arn(value, "kms") or (
            None if re.match(r"^(key|alias)/.+", value.split(":", 5)[5]) else "must be a KMS key or alias ARN"
        )
    if value.startswith("alias/"):
        return validate.rule("kms_alias", value) if not value.startswith("alias/aws/") else None
    if _KEY_ID.fullmatch(value):
        return None
    return "must be a KMS key ARN, key id, alias/<name> or alias ARN"


def resolve_kms_key(module, key):
    """The key ARN the bucket stores: a key ARN as given, anything else through one kms:DescribeKey."""
    return aws.resolve_kms_key(module, key, "kms_key")


# --- read ------------------------------------------------------------------------------------


def head_bucket(module, s3, name):
    """Where the bucket lives, or None when it does not exist; fails when another account owns it."""
    try:
        answer = s3.head_bucket(Bucket=name, aws_retry=True)
    except is_boto3_error_code(["404", "NoSuchBucket", "NotFound"]):
        return None
    except is_boto3_error_code(["403", "AccessDenied", "Forbidden"]):
        module.fail_json(
            msg=f"name: bucket {name} exists but belongs to another account (or these credentials may not access it); "
            "bucket names are global, choose another name",
        )
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = headers.get("x-amz-bucket-region") or module.region
    if region != module.region:
        module.fail_json(msg=f"region: bucket {name} is in {region}, not {module.region}; run the module with region: {region}")
    return {"name": name, "region": region}


def read_settings(module, s3, name):
    p = module.params
    current = {}
    try:
        rules = s3.get_bucket_encryption(Bucket=name, aws_retry=True)["ServerSideEncryptionConfiguration"]["Rules"]
        current["encryption"] = rules[0] if rules else None
    except is_boto3_error_code("ServerSideEncryptionConfigurationNotFoundError"):
        current["encryption"] = None
    try:
        current["public_access_block"] = s3.get_public_access_block(Bucket=name, aws_retry=True)["PublicAccessBlockConfiguration"]
    except is_boto3_error_code("NoSuchPublicAccessBlockConfiguration"):
        current["public_access_block"] = {}
    try:
        rules = s3.get_bucket_ownership_controls(Bucket=name, aws_retry=True)["OwnershipControls"]["Rules"]
        current["ownership"] = rules[0]["ObjectOwnership"] if rules else None
    except is_boto3_error_code("OwnershipControlsNotFoundError"):
        current["ownership"] = None
    current["versioning"] = s3.get_bucket_versioning(Bucket=name, aws_retry=True).get("Status")
    if p["lifecycle_rules"] is not None:
        try:
            current["lifecycle"] = s3.get_bucket_lifecycle_configuration(Bucket=name, aws_retry=True)["Rules"]
        except is_boto3_error_code("NoSuchLifecycleConfiguration"):
            current["lifecycle"] = []
    if p["tags"] is not None:
        try:
            current["tags"] = boto3_tag_list_to_ansible_dict(s3.get_bucket_tagging(Bucket=name, aws_retry=True)["TagSet"])
        except is_boto3_error_code("NoSuchTagSet"):
            current["tags"] = {}
    return current


def count_versions(s3, name):
    """Every object version and delete marker, as (key, version id) pairs."""
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            found.append({"Key": item["Key"], "VersionId": item.get("VersionId") or "null"})
    return found


# --- readable views (what the diff shows and what is compared) -------------------------------


def encryption_view(rule):
    if not rule:
        return {"sse_algorithm": None}
    default = rule.get("ApplyServerSideEncryptionByDefault", {})
    algorithm = default.get("SSEAlgorithm")
    view = {"sse_algorithm": algorithm}
    if algorithm in ("aws:kms", "aws:kms:dsse"):
        view["kms_key"] = default.get("KMSMasterKeyID")
        view["bucket_key_enabled"] = bool(rule.get("BucketKeyEnabled", False))
    return view


def desired_encryption(key_arn, bucket_key_enabled):
    if key_arn:
        return {"sse_algorithm": "aws:kms", "kms_key": key_arn, "bucket_key_enabled": bucket_key_enabled}
    return {"sse_algorithm": "AES256"}


def encryption_request(view):
    default = {"SSEAlgorithm": view["sse_algorithm"]}
    rule = {"ApplyServerSideEncryptionByDefault": default}
    if view.get("kms_key"):
        default["KMSMasterKeyID"] = view["kms_key"]
        rule["BucketKeyEnabled"] = view["bucket_key_enabled"]
    return {"Rules": [rule]}


def public_access_view(config):
    return {key: bool((config or {}).get(name, False)) for key, name in PUBLIC_ACCESS_KEYS.items()}


def versioning_view(status):
    """Enabled, Suspended, or Disabled for a bucket that was never versioned."""
    return status or "Disabled"


def lifecycle_view(rules):
    """AWS lifecycle rules as the option's dicts (sorted by id); anything else a rule does is listed, so it differs."""
    views = []
    for rule in rules or []:
        rule_filter = rule.get("Filter", {})
        view = {"id": rule.get("ID", ""), "prefix": rule_filter.get("Prefix", rule.get("Prefix", "")), "enabled": rule.get("Status") == "Enabled"}
        if "Days" in rule.get("Expiration", {}):
            view["expiration_days"] = rule["Expiration"]["Days"]
        if "NoncurrentDays" in rule.get("NoncurrentVersionExpiration", {}):
            view["noncurrent_version_expiration_days"] = rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
        if "DaysAfterInitiation" in rule.get("AbortIncompleteMultipartUpload", {}):
            view["abort_incomplete_multipart_days"] = rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"]
        other = sorted(
            {k for k in rule if k not in ("ID", "Filter", "Prefix", "Status", "Expiration", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")}
            | {f"Filter.{k}" for k in rule_filter if k != "Prefix"}
            | {f"Expiration.{k}" for k in rule.get("Expiration", {}) if k != "Days"}
            | {f"NoncurrentVersionExpiration.{k}" for k in rule.get("NoncurrentVersionExpiration", {}) if k != "NoncurrentDays"}
        )
        if other:
            view["other_settings"] = other
        views.append(view)
    return sorted(views, key=lambda v: v["id"])


def desired_lifecycle(rules):
    if rules is None:
        return None
    views = []
    for rule in rules:
        view = {"id": rule["id"], "prefix": rule["prefix"] or "", "enabled": True}
        for key in ("expiration_days", "noncurrent_version_expiration_days", "abort_incomplete_multipart_days"):
            if rule[key] is not None:
                view[key] = rule[key]
        views.append(view)
    return sorted(views, key=lambda v: v["id"])


def lifecycle_request(views):
    rules = []
    for view in views:
        rule = {"ID": view["id"], "Status": "Enabled", "Filter": {"Prefix": view["prefix"]}}
        if "expiration_days" in view:
            rule["Expiration"] = {"Days": view["expiration_days"]}
        if "noncurrent_version_expiration_days" in view:
            rule["NoncurrentVersionExpiration"] = {"NoncurrentDays": view["noncurrent_version_expiration_days"]}
        if "abort_incomplete_multipart_days" in view:
            rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": view["abort_incomplete_multipart_days"]}
        rules.append(rule)
    return {"Rules": rules}


def desired_settings(module, key_arn):
    p = module.params
    return {
        "encryption": desired_encryption(key_arn, p["bucket_key_enabled"]),
        "public_access_block": public_access_view({PUBLIC_ACCESS_KEYS[k]: v for k, v in p["public_access_block"].items()}),
        "ownership": p["object_ownership"],
        "versioning": "Enabled" if p["versioning"] else "Disabled",
        "lifecycle": desired_lifecycle(p["lifecycle_rules"]),
        "tags": p["tags"],
    }


# --- writes ----------------------------------------------------------------------------------


def put_encryption(s3, name, view):
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=encryption_request(view), aws_retry=True)


def put_public_access_block(s3, name, view):
    config = {PUBLIC_ACCESS_KEYS[k]: v for k, v in view.items()}
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=config, aws_retry=True)


def put_ownership(s3, name, ownership):
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}, aws_retry=True)


def put_versioning(s3, name, status):
    # A bucket never versioned stays "Disabled"; one that was versioned can only be suspended.
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled" if status == "Enabled" else "Suspended"}, aws_retry=True)


def put_lifecycle(s3, name, views):
    if views:
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration=lifecycle_request(views), aws_retry=True)
    else:
        s3.delete_bucket_lifecycle(Bucket=name, aws_retry=True)


def put_tags(s3, name, tags):
    if tags:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ansible_dict_to_boto3_tag_list(tags)}, aws_retry=True)
    else:
        s3.delete_bucket_tagging(Bucket=name, aws_retry=True)


def create_bucket(module, s3, name, desired):
    kwargs = {"Bucket": name, "ObjectOwnership": desired["ownership"]}
    if module.region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": module.region}
    try:
        s3.create_bucket(aws_retry=True, **kwargs)  # ObjectOwnership here saves a PutBucketOwnershipControls
    except is_boto3_error_code("BucketAlreadyExists"):
        module.fail_json(msg=f"name: bucket {name} was just created by another account; bucket names are global, choose another name")
    except is_boto3_error_code("BucketAlreadyOwnedByYou"):
        # Another run in this account raced us: the puts below converge it.
        put_ownership(s3, name, desired["ownership"])
    put_public_access_block(s3, name, desired["public_access_block"])
    put_encryption(s3, name, desired["encryption"])
    if desired["versioning"] == "Enabled":
        put_versioning(s3, name, "Enabled")
    if desired["lifecycle"]:
        put_lifecycle(s3, name, desired["lifecycle"])
    if desired["tags"]:
        put_tags(s3, name, desired["tags"])


def delete_bucket(module, s3, name, versions):
    for start in range(0, len(versions), DELETE_BATCH):
        batch = versions[start:start + DELETE_BATCH]
        answer = s3.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True}, aws_retry=True)
        if answer.get("Errors"):
            first = answer["Errors"][0]
            module.fail_json(
                msg=f"force: {len(answer['Errors'])} object versions of bucket {name} could not be deleted "
                f"(first: {first.get('Key')} {first.get('VersionId')}: {first.get('Code')} {first.get('Message')}); the bucket was kept",
            )
    s3.delete_bucket(Bucket=name, aws_retry=True)


# --- main ------------------------------------------------------------------------------------


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        kms_key=dict(type="str", no_log=False),  # a key ARN, id or alias: not a secret
        bucket_key_enabled=dict(type="bool", default=True),
        versioning=dict(type="bool", default=True),
        object_ownership=dict(type="str", choices=["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"], default="BucketOwnerEnforced"),
        public_access_block=dict(
            type="dict",
            default={},
            options={key: dict(type="bool", default=True) for key in PUBLIC_ACCESS_KEYS},
        ),
        lifecycle_rules=dict(
            type="list",
            elements="dict",
            options=dict(
                id=dict(type="str", required=True),
                prefix=dict(type="str", default=""),
                expiration_days=dict(type="int"),
                noncurrent_version_expiration_days=dict(type="int"),
                abort_incomplete_multipart_days=dict(type="int"),
            ),
        ),
        force=dict(type="bool", default=False),
        keep_if_not_empty=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    name = p["name"]
    partition = aws.partition(module)
    s3 = aws.client(module, "s3")
    plan = Plan(module, partition)

    try:
        bucket = head_bucket(module, s3, name)
        if bucket:
            bucket["arn"] = statements.bucket_arn(name, partition)

        if p["state"] == "absent":
            result = {}
            if bucket:
                versions = count_versions(s3, name)
                result["object_versions"] = len(versions)
                if versions and not p["force"] and p["keep_if_not_empty"]:
                    module.warn(f"Kept bucket {name}: it still holds {len(versions)} object versions/delete markers (force: true deletes them).")
                    module.exit_json(changed=False, changes=[], kept=True, bucket=bucket, **result)
                if versions and not p["force"]:
                    module.fail_json(
                        msg=f"bucket {name} still holds {len(versions)} object versions/delete markers; nothing was deleted. "
                        "Set force: true to delete them.",
                        object_versions=len(versions),
                    )
                plan.delete({"name": name, "object_versions": len(versions)}, lambda: delete_bucket(module, s3, name, versions))
            result = plan.finish(bucket=bucket or {}, kept=False, **result)
            if not module.check_mode and plan.changes:
                result["bucket"] = {}
            module.exit_json(**result)

        desired = desired_settings(module, resolve_kms_key(module, p["kms_key"]))
        if bucket is None:
            shown = {k: v for k, v in desired.items() if v is not None}
            plan.create(dict(shown, tags=p["tags"] or {}), lambda: create_bucket(module, s3, name, desired))
        else:
            current = read_settings(module, s3, name)
            encryption = encryption_view(current["encryption"])
            if encryption.get("kms_key"):
                encryption["kms_key"] = aws.stored_kms_key_arn(module, encryption["kms_key"])
            plan.field("encryption", encryption, desired["encryption"],
                       lambda: put_encryption(s3, name, desired["encryption"]))
            plan.field("public_access_block", public_access_view(current["public_access_block"]), desired["public_access_block"],
                       lambda: put_public_access_block(s3, name, desired["public_access_block"]))
            plan.field("ownership", current["ownership"], desired["ownership"], lambda: put_ownership(s3, name, desired["ownership"]))
            if desired["versioning"] == "Disabled" and current["versioning"]:
                desired["versioning"] = "Suspended"  # once versioned, a bucket can only be suspended
            plan.field("versioning", versioning_view(current["versioning"]), desired["versioning"],
                       lambda: put_versioning(s3, name, desired["versioning"]))
            if desired["lifecycle"] is not None:
                plan.field("lifecycle", lifecycle_view(current["lifecycle"]), desired["lifecycle"],
                           lambda: put_lifecycle(s3, name, desired["lifecycle"]))
            plan.tags(current.get("tags"), p["tags"], p["purge_tags"], replace=lambda tags: put_tags(s3, name, tags))
        result = plan.finish(settings=dict(plan.after))
        if bucket is None and not module.check_mode:
            bucket = {"name": name, "region": module.region, "arn": statements.bucket_arn(name, partition)}
        module.exit_json(bucket=bucket or {}, **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage S3 bucket {name}")


if __name__ == "__main__":
    main()
