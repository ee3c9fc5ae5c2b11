"""Bad input fails before the first API call, naming the option and the rule, and creates nothing; a run that
fails after AWS accepted a write says it changed something. Against the local emulator.

Each case is an input a reviewer fed the modules that used to get through (a region that does not exist, a trailing
newline from a YAML block scalar, an 11-digit account inside an ARN, a malformed S3 action, contradicting options).
"""

import uuid

import pytest
from fault_proxy import Fault, FaultProxy, iam_error
from helpers import emulator_url

DEV, PROD = "111111111111", "222222222222"
ROLE_ARN = f"arn:aws:iam::{PROD}:role/DevToProdDataAccess"


def _uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# Minimal valid arguments per module; each must otherwise reach AWS (so a missing check would create something).
def _valid_args(module):
    name = _uid("rules")
    return {
        "kms_key": {"alias": f"alias/{name}"},
        "bucket": {"name": name},
        "bucket_policy": {"bucket": name, "access_role_arns": [ROLE_ARN]},
        "trust_role": {"name": name, "trusted_account_ids": [DEV], "external_id": "ext-id-rules",
                       "trusted_principal_arns": [f"arn:aws:iam::{DEV}:role/Dev"]},
        "trail": {"name": name, "s3_bucket": name},
        "assume_role_policy": {"name": name, "role_arns": [ROLE_ARN]},
        "trail_info": {"name": name},
        "access_report": {"role_name": "DevToProdDataAccess", "bucket": name,
                          "developer_principal_arn": f"arn:aws:iam::{DEV}:role/Dev", "external_id": "ext-id-rules"},
    }[module]


def _refused_before_any_call(result, option, rule_words):
    assert result["failed"] is True, result
    assert result["msg"].startswith("Invalid options (nothing was changed): "), result["msg"]
    assert f"{option}:" in result["msg"] and rule_words in result["msg"], result["msg"]
    assert not result.get("api_calls"), f"no AWS call may be made before the options are valid: {result.get('api_calls')}"
    assert result["changed"] is False


@pytest.mark.parametrize("module", ["kms_key", "bucket", "bucket_policy", "trust_role", "trail", "assume_role_policy",
                                    "trail_info", "access_report"])
def test_a_region_that_does_not_exist_is_refused_by_every_aws_module(run_module, module):
    result = run_module(f"cross_account.aws.{module}", dict(_valid_args(module), region="mars-1"), PROD)
    _refused_before_any_call(result, "region", "must be an AWS region name")


def test_a_trailing_newline_never_reaches_a_trust_policy(run_module, aws_client):
    name = _uid("Rules")
    result = run_module("cross_account.aws.trust_role", {
        "name": name, "trusted_account_ids": [f"{DEV}\n"], "external_id": "abc\n", "requested_regions": ["us-east-1\n"],
    }, PROD)
    _refused_before_any_call(result, "trusted_account_ids[0]", "12-digit")
    assert "external_id: must be 2-1224 characters" in result["msg"] and "requested_regions[0]" in result["msg"]
    assert "abc" not in result["msg"], "the external id is not echoed"
    with pytest.raises(aws_client("iam", PROD).exceptions.NoSuchEntityException):
        aws_client("iam", PROD).get_role(RoleName=name)


@pytest.mark.parametrize("module,args,option", [
    ("assume_role_policy", {"role_arns": ["arn:aws:iam::22222222222:role/R"]}, "role_arns[0]"),
    ("bucket_policy", {"access_role_arns": ["arn:aws:iam::2222:role/R"]}, "access_role_arns[0]"),
    ("kms_key", {"cloudtrail_trail_arns": [f"arn:aws:cloudtrail:mars-1:{PROD}:trail/t"]}, "cloudtrail_trail_arns[0]"),
])
def test_an_arn_with_a_malformed_account_or_region_is_refused(run_module, module, args, option):
    result = run_module(f"cross_account.aws.{module}", dict(_valid_args(module), **args), DEV if module == "assume_role_policy" else PROD)
    _refused_before_any_call(result, option, "must name a")


@pytest.mark.parametrize("module,option,action", [
    ("trust_role", "actions", "s3:Get Object"),
    ("trust_role", "actions", 's3:"x'),
    ("bucket_policy", "access_actions", "s3:"),
])
def test_a_malformed_s3_action_is_refused(run_module, module, option, action):
    args = dict(_valid_args(module), **{option: [action]})
    if module == "trust_role":
        args["bucket"] = _uid("rules")
    result = run_module(f"cross_account.aws.{module}", args, PROD)
    _refused_before_any_call(result, f"{option}[0]", "must be a single S3 action")


def test_contradicting_options_are_refused(run_module):
    bucket = run_module("cross_account.aws.bucket", {"name": _uid("rules"), "state": "absent", "force": True,
                                                     "keep_if_not_empty": True}, PROD)
    _refused_before_any_call(bucket, "keep_if_not_empty", "contradicts force=true")
    role = run_module("cross_account.aws.trust_role", dict(_valid_args("trust_role"), kms_key_arn="alias/xacct-data"), PROD)
    _refused_before_any_call(role, "kms_key_arn", "needs bucket")


def test_a_trust_without_named_principals_is_refused_unless_asked(run_module, aws_client):
    """Without an aws:PrincipalArn condition every principal of the Development account that knows the (not secret)
    external id could assume the role."""
    args = {k: v for k, v in _valid_args("trust_role").items() if k != "trusted_principal_arns"}
    refused = run_module("cross_account.aws.trust_role", args, PROD)
    _refused_before_any_call(refused, "trusted_principal_arns", "trust_entire_accounts=true")
    try:
        allowed = run_module("cross_account.aws.trust_role", dict(args, trust_entire_accounts=True), PROD)
        assert not allowed["failed"] and allowed["changes"] == ["create"], allowed
        trust = aws_client("iam", PROD).get_role(RoleName=args["name"])["Role"]["AssumeRolePolicyDocument"]
        assert "ArnLike" not in trust["Statement"][0]["Condition"]
    finally:
        run_module("cross_account.aws.trust_role", {"name": args["name"], "state": "absent"}, PROD)


def test_preflight_names_every_bad_variable_and_hides_secrets(run_module):
    result = run_module("cross_account.aws.preflight", {"checks": [
        {"name": "prod_account_max_session_duration", "value": 99999, "min": 3600, "max": 43200},
        {"name": "prod_account_external_id", "value": "bad id!", "rule": "external_id", "secret": True},
        {"name": "prod_account_requested_regions", "value": ["eu-west-1", "mars-1"], "rule": "region"},
        {"name": "prod_account_exempt_principal_arns", "value": ["notanarn"], "rule": "iam_arn"},
        {"name": "prod_account_actions", "value": [], "rule": "s3_action", "nonempty": True},
        {"name": "cross_account_trust_mode", "value": ["foo"], "choices": ["identity_center", "iam_principals"]},
        {"name": "account_id", "value": PROD, "rule": "account_id"},
    ]}, None, aws_connection=False)
    assert result["failed"] is True
    msg = result["msg"]
    assert msg.startswith("Invalid variables (nothing was changed): "), msg
    for expected in ("prod_account_max_session_duration: 99999 must be between 3600 and 43200",
                     "prod_account_external_id: must be 2-1224 characters",
                     "prod_account_requested_regions[1]: 'mars-1' must be an AWS region name",
                     "prod_account_exempt_principal_arns[0]: 'notanarn' must be an ARN",
                     "prod_account_actions: must not be empty",
                     "cross_account_trust_mode[0]: 'foo' must be one of identity_center, iam_principals"):
        assert expected in msg, (expected, msg)
    assert "bad id!" not in msg and "requested_regions[0]" not in msg and "account_id:" not in msg.replace("_account_id", "")
    good = run_module("cross_account.aws.preflight", {"checks": [{"name": "account_id", "value": PROD, "rule": "account_id"}]},
                      None, aws_connection=False, check=True)
    assert not good["failed"] and good["changed"] is False and good["checked"] == ["account_id"]


def test_cli_profile_refuses_profiles_that_would_collide_or_loop(run_module, tmp_path):
    config = tmp_path / "config"
    base = {"path": str(config), "source_profile": "dev-keys", "region": "us-east-1"}
    twice = run_module("cross_account.aws.cli_profile", dict(base, chained_profiles=[
        {"name": "prod", "role_arn": ROLE_ARN}, {"name": "prod", "role_arn": f"arn:aws:iam::{PROD}:role/Other"},
    ]), None, aws_connection=False)
    assert twice["failed"] and "chained_profiles[1].name: 'prod' is listed twice" in twice["msg"], twice["msg"]
    loop = run_module("cross_account.aws.cli_profile", dict(base, chained_profiles=[{"name": "dev-keys", "role_arn": ROLE_ARN}]),
                      None, aws_connection=False)
    assert loop["failed"] and "is also its source profile" in loop["msg"], loop["msg"]
    start_url = run_module("cross_account.aws.cli_profile", {
        "path": str(config), "sso_session": "corp", "sso_start_url": "https://corp.awsapps.com/start\n", "sso_region": "us-east-1",
        "chained_profiles": [{"name": "prod", "role_arn": ROLE_ARN, "source_profile": "dev"}],
    }, None, aws_connection=False)
    assert start_url["failed"] and "sso_start_url" in start_url["msg"], start_url["msg"]
    assert not config.exists(), "nothing is written when the options are refused"


def test_a_failure_after_an_accepted_write_reports_changed(run_module, aws_client):
    """The role is created, then the inline policy write fails: the run failed, but it did change the account, and says
    which writes went through (emulator gap: a failing PutRolePolicy is injected by a proxy in front of the emulator)."""
    iam = aws_client("iam", PROD)
    name = _uid("Rules")
    args = dict(_valid_args("trust_role"), name=name, bucket=_uid("rules"))
    fault = Fault("PutRolePolicy", 400, iam_error("LimitExceeded", "Maximum policy size exceeded"))
    try:
        with FaultProxy(emulator_url(), [fault]) as proxy:
            result = run_module("cross_account.aws.trust_role", dict(args, endpoint_url=proxy.url), PROD)
        assert result["failed"] is True
        assert result["changed"] is True, "the role was created: the account changed"
        assert result["writes_done"] == ["iam:CreateRole"]
        assert result["api_calls"][-1] == "iam:PutRolePolicy"
        assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name

        repaired = run_module("cross_account.aws.trust_role", args, PROD)
        assert not repaired["failed"] and repaired["changes"] == ["permissions_policy"], repaired
    finally:
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        iam.delete_role(RoleName=name)
