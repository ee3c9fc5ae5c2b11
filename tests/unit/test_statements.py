"""The deployed policy documents (plugins/module_utils/statements.py) carry DESIGN.md's controls."""

from ansible_collections.cross_account.aws.plugins.module_utils import statements

ROLE = "arn:aws:iam::222222222222:role/DevToProdDataAccess"
KEY = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TRAIL = "arn:aws:cloudtrail:us-east-1:222222222222:trail/audit"
SSO = "arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*"


def by_sid(statement_list):
    return {s["Sid"]: s for s in statement_list}


def test_trust_policy_names_account_roots_and_pins_principals_by_condition():
    doc = statements.trust_policy(["111111111111"], [SSO], external_id="ext-1", organization_id="o-abcdefghij", regions=["eu-west-1"])
    (statement,) = doc["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::111111111111:root"]}
    assert statement["Condition"]["ArnLike"] == {"aws:PrincipalArn": [SSO]}
    assert statement["Condition"]["StringEquals"] == {
        "sts:ExternalId": "ext-1",
        "aws:PrincipalOrgID": "o-abcdefghij",
        "aws:RequestedRegion": ["eu-west-1"],
    }
    assert "Bool" not in statement["Condition"]


def test_trust_policy_mfa_only_when_asked():
    doc = statements.trust_policy(["111111111111"], require_mfa=True, mfa_max_age=3600, partition="aws-cn")
    condition = doc["Statement"][0]["Condition"]
    assert condition["Bool"] == {"aws:MultiFactorAuthPresent": "true"}
    assert condition["NumericLessThan"] == {"aws:MultiFactorAuthAge": "3600"}
    assert doc["Statement"][0]["Principal"]["AWS"] == ["arn:aws-cn:iam::111111111111:root"]


def test_role_permissions_are_least_privilege_and_kms_only_via_s3():
    doc = statements.role_permissions("data", ["s3:ListBucket", "s3:GetObject", "s3:PutObject"], "team/", KEY, "eu-west-1")
    s = by_sid(doc["Statement"])
    assert s["ListDataBucket"]["Resource"] == "arn:aws:s3:::data"
    assert s["ListDataBucket"]["Condition"] == {"StringLike": {"s3:prefix": ["team/", "team/*"]}}
    assert s["ReadWriteDataObjects"]["Action"] == ["s3:GetObject", "s3:PutObject"]
    assert s["ReadWriteDataObjects"]["Resource"] == "arn:aws:s3:::data/team/*"
    assert s["UseDataKeyViaS3"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert s["UseDataKeyViaS3"]["Condition"] == {"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}


def test_bucket_statements_deny_everyone_but_the_role_and_exempt_admins():
    s = by_sid(
        statements.bucket_statements(
            "data", "CrossAccount", access_role_arns=[ROLE], exempt_principal_arns=["arn:aws:iam::222222222222:role/BreakGlass"]
        )
    )
    deny = s["CrossAccountDenyOtherPrincipals"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::222222222222:role/BreakGlass", ROLE]}}
    assert "s3:GetObject" in deny["Action"] and "s3:PutObject" in deny["Action"]
    assert s["CrossAccountAllowRoleList"]["Action"] == ["s3:ListBucket"]
    assert s["CrossAccountAllowRoleObjects"]["Resource"] == "arn:aws:s3:::data/*"
    assert s["CrossAccountDenyInsecureTransport"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_bucket_statements_pin_encryption_only_when_the_header_is_sent():
    # ...IfExists (and plain negated operators) are true for a missing header, which would deny uploads
    # relying on default encryption; Null false + StringNotEquals denies only a header naming something else.
    s = by_sid(statements.bucket_statements("data", "X", kms_key_arn=KEY))
    assert s["XDenyOtherEncryption"]["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
    }
    assert s["XDenyOtherKmsKey"]["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"},
        "StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY},
    }


def test_bucket_statements_cloudtrail_delivery_pinned_to_trail():
    s = by_sid(statements.bucket_statements("logs", "X", cloudtrail_trail_arns=[TRAIL], cloudtrail_prefix="trail"))
    assert s["XCloudTrailAclCheck"]["Condition"] == {"StringEquals": {"aws:SourceArn": [TRAIL]}}
    assert s["XCloudTrailWrite"]["Resource"] == "arn:aws:s3:::logs/trail/AWSLogs/222222222222/*"
    assert s["XCloudTrailWrite"]["Condition"]["StringEquals"]["aws:SourceArn"] == [TRAIL]
    assert "XDenyOtherPrincipals" not in s  # no access roles: nobody to exempt, CloudTrail must write


def test_key_policy_keeps_root_and_limits_users_to_s3():
    doc = statements.key_policy("222222222222", region="eu-west-1", service_users=[{"principal_arns": [ROLE]}], cloudtrail_trail_arns=[TRAIL])
    s = by_sid(doc["Statement"])
    assert s["AccountRootFullAccess"]["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    assert s["AccountRootFullAccess"]["Action"] == "kms:*"
    assert s["UseViaS3"]["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": [ROLE]},
        "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"},
    }
    assert s["CloudTrailEncryptLogs"]["Condition"]["StringEquals"] == {"aws:SourceArn": [TRAIL]}


def test_assume_role_permissions():
    doc = statements.assume_role_permissions([ROLE])
    assert doc["Statement"] == [{"Sid": "AssumeProductionDataRoles", "Effect": "Allow", "Action": ["sts:AssumeRole"], "Resource": [ROLE]}]
