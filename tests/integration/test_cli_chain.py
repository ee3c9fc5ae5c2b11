"""A real client: the AWS CLI (awscli v1 from the project venv) uses the profile that cli_profile generates.

The chain is the one a developer has, with the SSO sign-in replaced by what the emulator can do:
Development keys -> the seeded stand-in for the Identity Center permission-set role
(AWSReservedSSO_DataDeveloper_<hex>) -> the Production role, assumed through the generated chained profile
(role_arn, source_profile, external_id, role_session_name, duration_seconds, region, regional STS), then
`aws s3 cp` into the Production bucket and back.

The Production side is set up with the collection's modules (data key, bucket, cross-account role trusting the
permission set by name), under names unique to this test, and removed afterwards. Nothing talks to real AWS:
the CLI gets temporary config and credentials files, no AWS_* variable from the caller, and the emulator
endpoint (AWS_ENDPOINT_URL, which also covers the CLI's STS calls for the role chain).
"""

import fnmatch
import json
import os
import subprocess
import uuid

import pytest
from helpers import EMULATOR_SECRET, REGION, VENV_BIN

DEV, PROD = "111111111111", "222222222222"
STAND_IN = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataDeveloper_0123456789abcdef"
EXTERNAL_ID = "xacct-chain-test-7c1e"


@pytest.fixture
def production(run_module, aws_client):
    suffix = uuid.uuid4().hex[:8]
    names = {"alias": f"alias/xacct-chain-{suffix}", "bucket": f"xacct-chain-{suffix}", "role": f"DevToProdChain{suffix}"}
    role_arn = f"arn:aws:iam::{PROD}:role/{names['role']}"
    key = run_module("cross_account.aws.kms_key", {"alias": names["alias"], "service_users": [{"principal_arns": [role_arn]}]}, PROD)
    assert key["failed"] is False, key
    bucket = run_module("cross_account.aws.bucket", {"name": names["bucket"], "kms_key": key["key_arn"]}, PROD)
    assert bucket["failed"] is False, bucket
    role = run_module("cross_account.aws.trust_role", {
        "name": names["role"],
        "trusted_account_ids": [DEV],
        "trusted_permission_sets": ["DataDeveloper"],
        "external_id": EXTERNAL_ID,
        "bucket": names["bucket"],
        "kms_key_arn": key["key_arn"],
    }, PROD)
    assert role["failed"] is False, role
    names.update(role_arn=role_arn, key_arn=key["key_arn"], trust=role["trust_policy"])
    yield names
    s3, iam, kms = aws_client("s3", PROD), aws_client("iam", PROD), aws_client("kms", PROD)
    for version in s3.list_object_versions(Bucket=names["bucket"]).get("Versions", []):
        s3.delete_object(Bucket=names["bucket"], Key=version["Key"], VersionId=version["VersionId"])
    s3.delete_bucket(Bucket=names["bucket"])
    run_module("cross_account.aws.trust_role", {"name": names["role"], "state": "absent"}, PROD)
    kms.delete_alias(AliasName=names["alias"])
    kms.schedule_key_deletion(KeyId=names["key_arn"], PendingWindowInDays=7)


def _aws(home, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_ENDPOINT_URL=os.environ["AWS_EMULATOR_URL"],
        AWS_EC2_METADATA_DISABLED="true",
        AWS_PAGER="",
    )
    proc = subprocess.run([os.path.join(VENV_BIN, "aws"), *args], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"aws {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_aws_cli_copies_through_the_generated_chained_profile(run_module, production, tmp_path):
    home = tmp_path / "developer"
    home.mkdir()
    (home / "credentials").write_text(f"[dev-keys]\naws_access_key_id = {DEV}\naws_secret_access_key = {EMULATOR_SECRET}\n")
    # The developer's own config before the module runs: the stand-in for the SSO session's role.
    (home / "config").write_text(
        "# emulator stand-in for the Identity Center session of the DataDeveloper permission set\n"
        "[profile dev-sso-standin]\n"
        f"role_arn = {STAND_IN}\nsource_profile = dev-keys\nregion = {REGION}\n"
    )
    args = {
        "path": str(home / "config"),
        "sso_session": "acme",
        "sso_start_url": "https://acme.awsapps.com/start",
        "sso_region": REGION,
        "sso_profile": "dev-data",
        "sso_account_id": DEV,
        "sso_role_name": "DataDeveloper",
        "region": REGION,
        "source_profile": "dev-sso-standin",  # a developer would leave this out: the SSO profile dev-data
        "chained_profiles": [{"name": "prod-data", "role_arn": production["role_arn"], "external_id": EXTERNAL_ID,
                              "role_session_name": "chain-test", "duration_seconds": 900}],
    }
    written = run_module("cross_account.aws.cli_profile", args, None, aws_connection=False)
    assert written["failed"] is False and written["changed"] is True, written
    assert run_module("cross_account.aws.cli_profile", args, None, aws_connection=False)["changed"] is False

    # The stand-in role is what the trust policy's Identity Center pattern must match (ArnLike semantics).
    patterns = production["trust"]["Statement"][0]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert any(fnmatch.fnmatchcase(STAND_IN, p) for p in patterns), patterns
    assert production["trust"]["Statement"][0]["Principal"] == {"AWS": [f"arn:aws:iam::{DEV}:root"]}

    identity = json.loads(_aws(home, "sts", "get-caller-identity", "--profile", "prod-data", "--output", "json"))
    assert identity["Account"] == PROD and f"assumed-role/{production['role']}/chain-test" in identity["Arn"], identity

    upload = tmp_path / "upload.txt"
    upload.write_bytes(b"cross_account.aws chained-profile upload " + uuid.uuid4().hex.encode() + b"\n")
    key = "verify/cli-chain.txt"
    _aws(home, "s3", "cp", str(upload), f"s3://{production['bucket']}/{key}", "--profile", "prod-data")
    head = json.loads(_aws(home, "s3api", "head-object", "--bucket", production["bucket"], "--key", key, "--profile", "prod-data"))
    assert head.get("ServerSideEncryption") == "aws:kms" and head.get("SSEKMSKeyId") == production["key_arn"], head
    back = tmp_path / "back.txt"
    _aws(home, "s3", "cp", f"s3://{production['bucket']}/{key}", str(back), "--profile", "prod-data")
    assert back.read_bytes() == upload.read_bytes()
