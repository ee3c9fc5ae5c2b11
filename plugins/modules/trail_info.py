#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: trail_info
short_description: Read a CloudTrail trail's settings, logging status and event selectors
version_added: 0.1.0
description:
  - Reads one trail and reports its settings, whether it is logging, its advanced (or basic) event selectors, and,
    parsed from them, whether all management events are logged and which buckets' S3 object events are logged.
  - Read-only; safe in check mode. Used by the verification role to show that the trail logs the data bucket.
  - "API calls: C(cloudtrail:GetTrail), C(cloudtrail:GetTrailStatus), C(cloudtrail:GetEventSelectors), C(cloudtrail:ListTags)."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  name:
    description: Name or ARN of the trail.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Is the trail logging the data bucket?
  cross_account.aws.trail_info:
    name: cross-account-data
  register: audit

- name: Check it
  ansible.builtin.assert:
    that:
      - audit.exists
      - audit.trail.is_logging
      - audit.management_events
      - "'prod-data-222222222222' in audit.data_event_buckets"
"""

RETURN = r"""
exists:
  description: Whether the trail exists (seen from this region).
  returned: always
  type: bool
trail:
  description: The trail's settings and logging status; empty when it does not exist.
  returned: always
  type: dict
  contains:
    arn: {description: Trail ARN., type: str}
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
    tags: {description: Tags of the trail., type: dict}
advanced_event_selectors:
  description: The advanced event selectors as AWS returns them (empty when the trail uses basic ones).
  returned: always
  type: list
  elements: dict
basic_event_selectors:
  description: The basic event selectors, when the trail has not been converted to advanced ones.
  returned: always
  type: list
  elements: dict
management_events:
  description: Whether all (read and write) management events are logged.
  returned: always
  type: bool
data_event_buckets:
  description: Buckets whose S3 object-level events are logged, parsed from the selectors.
  returned: always
  type: list
  elements: str
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


from ansible_collections.cross_account.aws.plugins.module_utils import aws
from ansible_collections.cross_account.aws.plugins.module_utils import cloudtrail
from ansible_collections.cross_account.aws.plugins.module_utils import validate


def validate_options(module):
    name = module.params["name"]
    error = validate.arn(name, "cloudtrail", "trail") if name.startswith("arn:") else validate.rule("trail_name", name)
    validate.check(module, [("name", name, error)])


def main():
    module = aws.Module(argument_spec=dict(name=dict(type="str", required=True)), supports_check_mode=True)
    validate_options(module)
    ct = aws.client(module, "cloudtrail")
    try:
        trail = cloudtrail.read_trail(ct, module.params["name"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Failed to read CloudTrail trail {module.params['name']}")
    trail = trail or {}
    advanced = trail.get("advanced_event_selectors") or []
    basic = [] if advanced else (trail.get("basic_event_selectors") or [])
    described = cloudtrail.describe(trail)
    if trail:
        described["tags"] = trail.get("tags") or {}
    module.exit_json(
        changed=False,
        exists=bool(trail),
        trail=described,
        advanced_event_selectors=advanced,
        basic_event_selectors=basic,
        management_events=bool(trail) and cloudtrail.management_events(advanced, basic),
        data_event_buckets=cloudtrail.data_event_buckets(advanced, basic),
    )


if __name__ == "__main__":
    main()
