# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CloudTrail trails: read one trail, build and compare advanced event selectors.

Shared by the ``trail`` module (which writes) and ``trail_info`` (which only reads), so both
describe a trail the same way.

Advanced event selectors are compared semantically: the order of the selectors, of the field
selectors inside one selector and of the values of one operator do not matter, nor do
duplicate values. Selector *names* are labels only (they change nothing that is logged) and
are not compared: a renamed selector is not rewritten.
"""

from __future__ import annotations

import json

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

_OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")
MANAGEMENT_SELECTOR_NAME = "Management events"
DATA_SELECTOR_NAME = "S3 data events"


def read_trail(ct, name: str, tags: bool = True) -> dict | None:
    """The trail with its status, selectors and (optionally) tags; ``None`` when it does not exist.

    Calls: GetTrail, GetTrailStatus, GetEventSelectors [, ListTags].
    """
    try:
        trail = ct.get_trail(Name=name, aws_retry=True)["Trail"]
    except is_boto3_error_code("TrailNotFoundException"):
        return None
    arn = trail["TrailARN"]
    trail["status"] = ct.get_trail_status(Name=arn, aws_retry=True)
    selectors = ct.get_event_selectors(TrailName=arn, aws_retry=True)
    trail["advanced_event_selectors"] = selectors.get("AdvancedEventSelectors")
    trail["basic_event_selectors"] = selectors.get("EventSelectors")
    if tags:
        listed = ct.list_tags(ResourceIdList=[arn], aws_retry=True).get("ResourceTagList") or [{}]
        trail["tags"] = boto3_tag_list_to_ansible_dict(listed[0].get("TagsList") or [])
    return trail


def desired_selectors(management_events: bool, data_event_buckets, partition: str = "aws") -> list[dict]:
    """All management events and S3 object data events for the given buckets."""
    selectors = []
    if management_events:
        selectors.append({"Name": MANAGEMENT_SELECTOR_NAME, "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]})
    if data_event_buckets:
        selectors.append(
            {
                "Name": DATA_SELECTOR_NAME,
                "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": sorted(f"arn:{partition}:s3:::{b}/" for b in set(data_event_buckets))},
                ],
            }
        )
    return selectors


def _field(field: dict) -> dict:
    result = {"Field": field["Field"]}
    for operator in _OPERATORS:
        if field.get(operator):
            result[operator] = sorted(set(field[operator]))
    return result


def normalize_selectors(advanced, basic=None) -> dict | None:
    """Comparable form of a trail's selectors: advanced ones sorted, names dropped.

    A trail that still has basic selectors never equals an advanced target (it must be converted).
    """
    if advanced:
        selectors = []
        for selector in advanced:
            fields = sorted((_field(f) for f in selector.get("FieldSelectors") or []), key=lambda f: json.dumps(f, sort_keys=True))
            selectors.append({"FieldSelectors": fields})
        selectors.sort(key=lambda s: json.dumps(s, sort_keys=True))
        return {"advanced": selectors}
    if basic:
        return {"basic": basic}
    return {"advanced": []}


def shown_selectors(advanced, basic=None):
    """What a diff shows: the comparable form, with names kept for readability."""
    if not advanced and basic:
        return {"basic": basic}
    shown = []
    for selector in advanced or []:
        fields = sorted((_field(f) for f in selector.get("FieldSelectors") or []), key=lambda f: json.dumps(f, sort_keys=True))
        item = {"FieldSelectors": fields}
        if selector.get("Name"):
            item["Name"] = selector["Name"]
        shown.append(item)
    shown.sort(key=lambda s: json.dumps(s["FieldSelectors"], sort_keys=True))
    return {"advanced": shown}


def _values(selector: dict, field: str, operator: str = "Equals") -> list:
    for item in selector.get("FieldSelectors") or []:
        if item.get("Field") == field:
            return list(item.get(operator) or [])
    return []


def management_events(advanced, basic=None) -> bool:
    """True when all (read and write) management events are logged."""
    if advanced:
        return any(
            _values(s, "eventCategory") == ["Management"] and not _values(s, "readOnly") and not _values(s, "eventSource", "NotEquals")
            for s in advanced
        )
    return any(s.get("IncludeManagementEvents") and s.get("ReadWriteType", "All") == "All" for s in basic or [])


def data_event_buckets(advanced, basic=None) -> list[str]:
    """Buckets whose object-level events are logged (from ``arn:...:s3:::<bucket>/`` prefixes)."""
    arns = []
    for selector in advanced or []:
        if _values(selector, "eventCategory") == ["Data"] and _values(selector, "resources.type") == ["AWS::S3::Object"]:
            arns += _values(selector, "resources.ARN", "StartsWith") + _values(selector, "resources.ARN")
    if not advanced:
        for selector in basic or []:
            for resource in selector.get("DataResources") or []:
                if resource.get("Type") == "AWS::S3::Object":
                    arns += resource.get("Values") or []
    buckets = set()
    for arn in arns:
        parts = arn.split(":::", 1)
        if len(parts) == 2 and parts[1]:
            buckets.add(parts[1].split("/", 1)[0])
    return sorted(buckets)


def describe(trail: dict | None) -> dict:
    """The trail as the modules return it."""
    if not trail:
        return {}
    status = trail.get("status") or {}
    return {
        "arn": trail["TrailARN"],
        "name": trail["Name"],
        "home_region": trail.get("HomeRegion"),
        "s3_bucket_name": trail.get("S3BucketName"),
        "s3_key_prefix": trail.get("S3KeyPrefix") or "",
        "kms_key_id": trail.get("KmsKeyId"),
        "is_multi_region_trail": bool(trail.get("IsMultiRegionTrail")),
        "log_file_validation_enabled": bool(trail.get("LogFileValidationEnabled")),
        "include_global_service_events": bool(trail.get("IncludeGlobalServiceEvents")),
        "is_organization_trail": bool(trail.get("IsOrganizationTrail")),
        "is_logging": bool(status.get("IsLogging")),
    }
