"""trust_role's two trust modes and the MFA rules, against the local emulator.

identity_center: trusted_permission_sets -> ArnLike aws:PrincipalArn on the AWSReservedSSO_<Set>_* pattern;
iam_principals: trusted_principal_arns with exact ARNs. Principal is always the account root, never a role ARN.
"""

import uuid

MODULE = "cross_account.aws.trust_role"
DEAD_ENDPOINT = "http://127.0.0.1:9"
DEV, PROD = "111111111111", "222222222222"
PATTERN = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*"
DEV_USER = f"arn:aws:iam::{DEV}:user/jdoe"


def _trust(iam, name):
    document = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
    return document["Statement"][0]


def test_identity_center_then_iam_principals(run_module, aws_client):
    iam = aws_client("iam", PROD)
    name = f"TrustModes{uuid.uuid4().hex[:8]}"
    sso_args = {"name": name, "trusted_account_ids": [DEV], "trusted_permission_sets": ["DataDeveloper"], "external_id": "xacct-modes-1"}

    created = run_module(MODULE, sso_args, PROD)
    assert created["failed"] is False and created["changed"] is True, created
    statement = _trust(iam, name)
    assert statement["Principal"]["AWS"] in (f"arn:aws:iam::{DEV}:root", [f"arn:aws:iam::{DEV}:root"])
    patterns = statement["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert patterns in (PATTERN, [PATTERN])
    assert "Bool" not in statement["Condition"]
    assert run_module(MODULE, sso_args, PROD)["changed"] is False

    # iam_principals: exact IAM user ARN, with MFA (allowed for IAM-user callers) and its maximum age
    user_args = {"name": name, "trusted_account_ids": [DEV], "trusted_principal_arns": [DEV_USER], "external_id": "xacct-modes-1",
                 "require_mfa": True, "mfa_max_age": 3600}
    switched = run_module(MODULE, user_args, PROD, diff=True)
    assert switched["failed"] is False and switched["changes"] == ["trust_policy"], switched
    before = switched["diff"]["before"]["trust_policy"]["Statement"][0]["Condition"]
    after = switched["diff"]["after"]["trust_policy"]["Statement"][0]["Condition"]
    assert before["ArnLike"]["aws:PrincipalArn"] == [PATTERN]
    assert after["ArnLike"]["aws:PrincipalArn"] == [DEV_USER]
    assert after["Bool"] == {"aws:MultiFactorAuthPresent": ["true"]}
    assert after["NumericLessThan"] == {"aws:MultiFactorAuthAge": ["3600"]}
    statement = _trust(iam, name)
    assert statement["Condition"]["ArnLike"]["aws:PrincipalArn"] in (DEV_USER, [DEV_USER])

    assert run_module(MODULE, {"name": name, "state": "absent"}, PROD)["changed"] is True


def test_mfa_with_identity_center_is_refused_with_the_reason(run_module):
    args = {"name": "TrustModesRefused", "trusted_account_ids": [DEV], "trusted_permission_sets": ["DataDeveloper", "bad name"],
            "require_mfa": True, "endpoint_url": DEAD_ENDPOINT}
    result = run_module(MODULE, args, PROD)
    assert result["failed"] is True
    msg = result["msg"]
    assert "trusted_permission_sets[1]:" in msg, msg
    assert "require_mfa:" in msg and "never carry aws:MultiFactorAuthPresent" in msg and "enforce MFA in Identity Center" in msg, msg
    assert not result.get("api_calls")
