"""Advanced event selectors: build, compare, parse (plugins/module_utils/cloudtrail.py)."""

from ansible_collections.cross_account.aws.plugins.module_utils import cloudtrail


def test_desired_selectors():
    selectors = cloudtrail.desired_selectors(True, ["b2", "b1", "b1"], "aws-cn")
    assert selectors[0]["FieldSelectors"] == [{"Field": "eventCategory", "Equals": ["Management"]}]
    arn = next(f for f in selectors[1]["FieldSelectors"] if f["Field"] == "resources.ARN")
    assert arn == {"Field": "resources.ARN", "StartsWith": ["arn:aws-cn:s3:::b1/", "arn:aws-cn:s3:::b2/"]}
    assert cloudtrail.desired_selectors(False, []) == []


def test_order_names_and_duplicates_do_not_matter():
    desired = cloudtrail.desired_selectors(True, ["a", "b"])
    shuffled = [
        {
            "Name": "renamed",
            "FieldSelectors": [
                {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::b/", "arn:aws:s3:::a/", "arn:aws:s3:::a/"]},
                {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                {"Field": "eventCategory", "Equals": ["Data"]},
            ],
        },
        {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
    ]
    assert cloudtrail.normalize_selectors(shuffled) == cloudtrail.normalize_selectors(desired)
    fewer = cloudtrail.desired_selectors(True, ["a"])
    assert cloudtrail.normalize_selectors(fewer) != cloudtrail.normalize_selectors(desired)


def test_basic_selectors_never_equal_advanced():
    basic = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]
    desired = cloudtrail.desired_selectors(True, [])
    assert cloudtrail.normalize_selectors(None, basic) != cloudtrail.normalize_selectors(desired)
    assert cloudtrail.management_events(None, basic) is True


def test_parse_buckets_and_management_events():
    advanced = cloudtrail.desired_selectors(True, ["data-1", "data-2"])
    assert cloudtrail.data_event_buckets(advanced) == ["data-1", "data-2"]
    assert cloudtrail.management_events(advanced) is True
    read_only = [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["true"]}]}]
    assert cloudtrail.management_events(read_only) is False
    basic = [{"IncludeManagementEvents": False, "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::logs-x/prefix"]}]}]
    assert cloudtrail.data_event_buckets(None, basic) == ["logs-x"]
    assert cloudtrail.management_events(None, basic) is False
