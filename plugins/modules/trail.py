#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: trail
short_description: A CloudTrail trail with advanced event selectors for management and S3 data events
version_added: 0.1.0
description:
  - Creates, updates or deletes a CloudTrail trail that writes to an existing log bucket (whose policy must allow
    CloudTrail, see M(cross_account.aws.bucket_policy) O(cross_account.aws.bucket_policy#module:cloudtrail_trail_arns)).
  - "Event selectors are always advanced ones: all management events (O(management_events)) and one selector for the
    S3 object-level events of O(data_event_buckets) (C(eventCategory = Data), C(resources.type = AWS::S3::Object),
    C(resources.ARN StartsWith arn:<partition>:s3:::<bucket>/)). A trail that still has basic event selectors is
    converted (applying advanced selectors replaces the basic ones; keep O(management_events=true) or management
    events stop being logged)."
  - Selectors are compared semantically. The order of selectors, of field selectors and of values does not matter.
    Selector names are labels that change nothing logged and are not compared (a renamed selector is left alone).
  - O(kms_key) may be a key ARN, key id, alias name or alias ARN. Anything but a key ARN is resolved with one
    C(kms:DescribeKey) and compared with the trail's C(KmsKeyId), which AWS stores as the key ARN; so a trail
    configured with an alias converges. In check mode an alias that does not exist yet (a C(kms_key) task earlier in the
    run would create it) is reported with a warning, and the prediction shows the alias.
  - The trail is managed from its home region (the module's O(region)); a multi-region trail's shadow in another
    region is refused.
  - O(state=absent) stops logging and deletes the trail. It never touches the log bucket or the logs (audit evidence).
  - Data events are billed per event.
  - "API calls on a converged run: C(cloudtrail:GetTrail), C(cloudtrail:GetTrailStatus), C(cloudtrail:GetEventSelectors),
    C(cloudtrail:ListTags), and C(kms:DescribeKey) when O(kms_key) is not a key ARN (one more when the trail stores its key
    as an alias or key id, as set up out of band, so the same key is not reported as a change)."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  name:
    description: Name of the trail (3-128 letters, digits and C(._-), starting and ending with a letter or digit).
    type: str
    required: true
  state:
    description: C(absent) stops logging and deletes the trail (never the log bucket or the logs).
    type: str
    choices: [present, absent]
    default: present
  s3_bucket:
    description: The existing log bucket. Required with O(state=present).
    type: str
  s3_key_prefix:
    description: Key prefix of the log files in the bucket (logs go to C(<prefix>/AWSLogs/<account>/)).
    type: str
    default: ""
  kms_key:
    description:
      - KMS key that encrypts the log files (SSE-KMS), as key ARN, key id, C(alias/<name>) or alias ARN.
      - Omitted, the trail's log encryption is not managed.
    type: str
  multi_region:
    description: Log events of all regions. Needs O(include_global_service_events).
    type: bool
    default: true
  log_file_validation:
    description: Write digest files so that the integrity of the logs can be validated.
    type: bool
    default: true
  include_global_service_events:
    description: Log events of global services such as IAM.
    type: bool
    default: true
  management_events:
    description: Log all (read and write) management events with an advanced selector C(eventCategory = Management).
    type: bool
    default: true
  data_event_buckets:
    description: Names of buckets whose object-level (data) events are logged.
    type: list
    elements: str
    default: []
  logging:
    description: Whether the trail is logging (C(StartLogging)/C(StopLogging)).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Audit trail for the data bucket, encrypted with the data key
  cross_account.aws.trail:
    name: cross-account-data
    s3_bucket: prod-trail-logs-222222222222
    kms_key: alias/cross-account-data
    data_event_buckets:
      - prod-data-222222222222
    tags:
      owner: platform

- name: Remove the trail (the logs stay in the log bucket)
  cross_account.aws.trail:
    name: cross-account-data
    state: absent
"""

RETURN = r"""
trail:
  description: The trail after the run; empty when it does not exist (or would only be created in check mode).
  returned: always
  type: dict
  contains:
    arn: {description: Trail ARN., type: str, sample: "arn:aws:cloudtrail:eu-west-1:222222222222:trail/cross-account-data"}
    name: {description: Trail name., type: str}
    home_region: {description: Region the trail was created in., type: str}
    s3_bucket_name: {description: Log bucket., type: str}
    s3_key_prefix: {description: Key prefix of the logs., type: str}
    kms_key_id: {description: ARN of the KMS key that encrypts the logs., type: str}
    is_multi_region_trail: {description: Whether the trail logs all regions., type: bool}
    log_file_validation_enabled: {description: Whether digest files are written., type: bool}
    include_global_service_events: {description: Whether global service events are logged., type: bool}
    is_organization_trail: {description: Whether it is an organization trail., type: bool}
    is_logging: {description: Whether the trail is logging., type: bool}
event_selectors:
  description: The desired advanced event selectors, sorted (as written when they differ).
  returned: when state is present
  type: list
  elements: dict
kms_key_arn:
  description: The key ARN that O(kms_key) resolved to.
  returned: when O(kms_key) is set
  type: str
changes:
  description: Names of the writes made (or in check mode predicted), in order.
  returned: always
  type: list
  elements: str
  sample: [settings, event_selectors, logging, tags]
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

from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils import cloudtrail
from ansible_collections.cross_account.aws.plugins.module_utils import validate
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan

_KMS_KEY = re.compile(
    r"^(arn:[a-z-]+:kms:[a-z0-9-]+:\d{12}:(key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+)"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}|alias/[A-Za-z0-9/_-]{1,250})$"
)


def validate_options(module):
    p = module.params
    checks = [("name", p["name"], validate.rule("trail_name", p["name"]))]
    if p["state"] == "absent":
        return validate.check(module, checks)
    if not p["s3_bucket"]:
        checks.append(("s3_bucket", None, "is required with state=present"))
    else:
        checks.append(("s3_bucket", p["s3_bucket"], validate.rule("bucket_name", p["s3_bucket"])))
    if len(p["s3_key_prefix"]) > 200:
        checks.append(("s3_key_prefix", p["s3_key_prefix"], "must be at most 200 characters"))
    if p["kms_key"] is not None and not _KMS_KEY.fullmatch(p["kms_key"]):
        checks.append(("kms_key", p["kms_key"], "must be a KMS key ARN, key id, alias/<name> or alias ARN"))
    checks += validate.each("data_event_buckets", p["data_event_buckets"], lambda v: validate.rule("bucket_name", v))
    if not p["management_events"] and not p["data_event_buckets"]:
        checks.append(("management_events", False, "needs data_event_buckets: a trail must log management events, data events or both"))
    if p["multi_region"] and not p["include_global_service_events"]:
        checks.append(("include_global_service_events", False, "must be true for a multi-region trail (multi_region=true)"))
    validate.check(module, checks)


def resolve_key(module, kms_key):
    """The key ARN of ``kms_key``; one DescribeKey only when it is not a key ARN already."""
    return aws.resolve_kms_key(module, kms_key, "kms_key")


def desired_settings(p, key_arn):
    settings = {
        "s3_bucket_name": p["s3_bucket"],
        "s3_key_prefix": p["s3_key_prefix"],
        "is_multi_region_trail": p["multi_region"],
        "log_file_validation_enabled": p["log_file_validation"],
        "include_global_service_events": p["include_global_service_events"],
    }
    if key_arn:
        settings["kms_key_id"] = key_arn
    return settings


def current_settings(trail, desired):
    described = cloudtrail.describe(trail)
    return {key: described.get(key) for key in desired}


def _trail_kwargs(settings):
    kwargs = dict(
        S3BucketName=settings["s3_bucket_name"],
        S3KeyPrefix=settings["s3_key_prefix"],
        IsMultiRegionTrail=settings["is_multi_region_trail"],
        EnableLogFileValidation=settings["log_file_validation_enabled"],
        IncludeGlobalServiceEvents=settings["include_global_service_events"],
    )
    if settings.get("kms_key_id"):
        kwargs["KmsKeyId"] = settings["kms_key_id"]
    return kwargs


def create_trail(ct, name, settings, selectors, logging, tags):
    arn = ct.create_trail(Name=name, aws_retry=True, **_trail_kwargs(settings))["TrailARN"]
    if tags:
        # AddTags rather than CreateTrail's TagsList: the emulator drops TagsList, and AddTags
        # behaves the same everywhere.
        ct.add_tags(ResourceId=arn, TagsList=ansible_dict_to_boto3_tag_list(tags), aws_retry=True)
    ct.put_event_selectors(TrailName=arn, AdvancedEventSelectors=selectors, aws_retry=True)
    if logging:
        ct.start_logging(Name=arn, aws_retry=True)


def delete_trail(ct, trail):
    arn = trail["TrailARN"]
    if (trail.get("status") or {}).get("IsLogging"):
        ct.stop_logging(Name=arn, aws_retry=True)
    ct.delete_trail(Name=arn, aws_retry=True)


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        s3_bucket=dict(type="str"),
        s3_key_prefix=dict(type="str", default="", no_log=False),
        kms_key=dict(type="str", no_log=False),
        multi_region=dict(type="bool", default=True),
        log_file_validation=dict(type="bool", default=True),
        include_global_service_events=dict(type="bool", default=True),
        management_events=dict(type="bool", default=True),
        data_event_buckets=dict(type="list", elements="str", default=[]),
        logging=dict(type="bool", default=True),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )
    module = aws.Module(argument_spec=argument_spec, supports_check_mode=True)
    validate_options(module)
    p = module.params
    name = p["name"]
    partition = aws.partition(module)
    ct = aws.client(module, "cloudtrail")
    plan = Plan(module, partition)

    try:
        current = cloudtrail.read_trail(ct, name)
        if current and current.get("HomeRegion") and current["HomeRegion"] != module.region:
            module.fail_json(
                msg=f"region: trail {name} was created in {current['HomeRegion']}; manage it from its home region, not {module.region}",
            )
        if p["state"] == "absent":
            if current:
                plan.delete(_view(current), lambda: delete_trail(ct, current))
            module.exit_json(**plan.finish(trail=cloudtrail.describe(current)))

        key_arn = resolve_key(module, p["kms_key"])
        settings = desired_settings(p, key_arn)
        selectors = cloudtrail.desired_selectors(p["management_events"], p["data_event_buckets"], partition)
        if current is None:
            desired_view = dict(
                settings,
                event_selectors=cloudtrail.shown_selectors(selectors),
                logging=p["logging"],
                tags=p["tags"] or {},
            )
            plan.create(desired_view, lambda: create_trail(ct, name, settings, selectors, p["logging"], p["tags"]))
        else:
            arn = current["TrailARN"]
            now = current_settings(current, settings)
            if now.get("kms_key_id"):
                now["kms_key_id"] = aws.stored_kms_key_arn(module, now["kms_key_id"])
            plan.field(
                "settings",
                now,
                settings,
                lambda: ct.update_trail(Name=arn, aws_retry=True, **_trail_kwargs(settings)),
            )
            if current.get("basic_event_selectors") and not current.get("advanced_event_selectors"):
                if not p["management_events"] and cloudtrail.management_events(None, current["basic_event_selectors"]):
                    module.warn("The trail's basic event selectors log management events; with management_events=false they will stop.")
            plan.field(
                "event_selectors",
                (current.get("advanced_event_selectors"), current.get("basic_event_selectors")),
                (selectors, None),
                lambda: ct.put_event_selectors(TrailName=arn, AdvancedEventSelectors=selectors, aws_retry=True),
                normalise=lambda v: cloudtrail.normalize_selectors(*v),
                show=lambda v: cloudtrail.shown_selectors(*v),
            )
            plan.field(
                "logging",
                bool(current["status"].get("IsLogging")),
                p["logging"],
                lambda: (ct.start_logging if p["logging"] else ct.stop_logging)(Name=arn, aws_retry=True),
            )
            plan.tags(
                current.get("tags"),
                p["tags"],
                p["purge_tags"],
                lambda add: ct.add_tags(ResourceId=arn, TagsList=ansible_dict_to_boto3_tag_list(add), aws_retry=True),
                lambda keys: ct.remove_tags(ResourceId=arn, TagsList=[{"Key": k} for k in keys], aws_retry=True),
            )
        result = plan.finish(event_selectors=cloudtrail.shown_selectors(selectors)["advanced"])
        if key_arn:
            result["kms_key_arn"] = key_arn
        after = current if module.check_mode or not plan.changes else cloudtrail.read_trail(ct, name, tags=False)
        module.exit_json(trail=cloudtrail.describe(after), **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to manage CloudTrail trail {name}")


def _view(trail):
    view = cloudtrail.describe(trail)
    view["event_selectors"] = cloudtrail.shown_selectors(trail.get("advanced_event_selectors"), trail.get("basic_event_selectors"))
    view["tags"] = trail.get("tags") or {}
    return view


if __name__ == "__main__":
    main()
