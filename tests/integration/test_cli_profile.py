"""cross_account.aws.cli_profile: the developer's AWS CLI config file (a local file; no AWS call, no credentials)."""

import configparser
import os
import stat

MODULE = "cross_account.aws.cli_profile"
PROD_ROLE = "arn:aws:iam::222222222222:role/DevToProdDataAccess"
EXTERNAL_ID = "xacct-data-access-4f7d2c19"

EXISTING = """# my own settings: keep this comment
[default]
region = eu-central-1
output = json

[profile other]
# a profile the module does not manage
role_arn = arn:aws:iam::444444444444:role/Other
source_profile = default
s3 =
  max_concurrent_requests = 20

[profile prod-data]
cli_pager =
role_arn = arn:aws:iam::222222222222:role/Stale
"""


def _args(path, **extra):
    args = {
        "path": str(path),
        "sso_session": "acme",
        "sso_start_url": "https://acme.awsapps.com/start",
        "sso_region": "eu-west-1",
        "sso_profile": "dev-data",
        "sso_account_id": "111111111111",
        "sso_role_name": "DataDeveloper",
        "region": "eu-west-1",
        "chained_profiles": [
            {"name": "prod-data", "role_arn": PROD_ROLE, "external_id": EXTERNAL_ID, "role_session_name": "jdoe"},
        ],
    }
    args.update(extra)
    return args


def _run(run_module, args, **kwargs):
    result = run_module(MODULE, args, None, aws_connection=False, **kwargs)
    assert "Unsupported parameters" not in (result.get("msg") or ""), result
    return result


def _parsed(path):
    parser = configparser.RawConfigParser()
    parser.read(path)
    return parser


def test_lifecycle_preserves_everything_else(run_module, tmp_path):
    path = tmp_path / "aws" / "config"
    path.parent.mkdir()
    path.write_text(EXISTING)
    os.chmod(path, 0o644)
    args = _args(path)

    predicted = _run(run_module, args, check=True, diff=True)
    assert predicted["failed"] is False and predicted["changed"] is True, predicted
    assert predicted["changes"] == ["sso-session acme", "profile dev-data", "profile prod-data", "mode"]
    assert "sso_start_url = https://acme.awsapps.com/start" in predicted["diff"]["after"]
    assert "role_arn = arn:aws:iam::222222222222:role/Stale" in predicted["diff"]["before"]
    assert EXTERNAL_ID not in predicted["diff"]["after"] and "external_id = (sha256:" in predicted["diff"]["after"]
    assert path.read_text() == EXISTING and stat.S_IMODE(path.stat().st_mode) == 0o644, "check mode must write nothing"
    assert predicted["api_calls"] == []

    created = _run(run_module, args)
    assert created["changed"] is True and created["changes"] == predicted["changes"], created
    assert created["backup_file"] and open(created["backup_file"]).read() == EXISTING
    text = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # everything that was there is still there, in order, byte for byte (the stale key rewritten in place)
    assert text.startswith(EXISTING.split("[profile prod-data]", maxsplit=1)[0])
    assert "cli_pager =\nrole_arn = " + PROD_ROLE + "\n" in text
    config = _parsed(path)
    assert config["sso-session acme"]["sso_registration_scopes"] == "sso:account:access"
    assert dict(config["profile dev-data"]) == {
        "sso_session": "acme", "sso_account_id": "111111111111", "sso_role_name": "DataDeveloper",
        "region": "eu-west-1", "sts_regional_endpoints": "regional",
    }
    prod = config["profile prod-data"]
    assert prod["source_profile"] == "dev-data" and prod["external_id"] == EXTERNAL_ID
    assert prod["duration_seconds"] == "3600" and prod["sts_regional_endpoints"] == "regional"
    assert prod["role_session_name"] == "jdoe" and prod["region"] == "eu-west-1"
    assert config["profile other"]["s3"].strip() == "max_concurrent_requests = 20"

    again = _run(run_module, args)
    assert again["changed"] is False and again["changes"] == [], again
    assert path.read_text() == text and "backup_file" not in again

    # update with diff: a shorter session and another region for the Production profile
    updated = _args(path, chained_profiles=[{"name": "prod-data", "role_arn": PROD_ROLE, "external_id": EXTERNAL_ID,
                                             "role_session_name": "jdoe", "duration_seconds": 900, "region": "eu-central-1"}])
    update = _run(run_module, updated, diff=True)
    assert update["changed"] is True and update["changes"] == ["profile prod-data"], update
    assert "duration_seconds = 3600" in update["diff"]["before"] and "duration_seconds = 900" in update["diff"]["after"]
    assert "region = eu-central-1" in update["diff"]["after"]
    assert _parsed(path)["profile prod-data"]["duration_seconds"] == "900"
    assert _run(run_module, updated)["changed"] is False

    # absent: only the managed keys go; the unmanaged cli_pager keeps its section; all else as before
    absent = {"path": str(path), "state": "absent", "sso_session": "acme", "sso_profile": "dev-data", "chained_profiles": [{"name": "prod-data"}]}
    check = _run(run_module, absent, check=True)
    assert check["changed"] is True and check["changes"] == ["sso-session acme", "profile dev-data", "profile prod-data"]
    removed = _run(run_module, absent, diff=True)
    assert removed["changed"] is True, removed
    assert path.read_text() == EXISTING.replace("role_arn = arn:aws:iam::222222222222:role/Stale\n", "")
    gone = _run(run_module, absent)
    assert gone["changed"] is False and gone["changes"] == [], gone


def test_new_file_and_directory_are_private(run_module, tmp_path):
    path = tmp_path / "home" / ".aws" / "config"
    args = _args(path)
    assert _run(run_module, args, check=True)["changed"] is True and not path.parent.exists()
    created = _run(run_module, args)
    assert created["changed"] is True and "backup_file" not in created
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    absent = {"path": str(path), "state": "absent", "sso_session": "acme", "sso_profile": "dev-data", "chained_profiles": [{"name": "prod-data"}]}
    assert _run(run_module, absent)["changed"] is True
    assert path.read_text() == ""


def test_invalid_options_fail_before_writing(run_module, tmp_path):
    path = tmp_path / "config"
    bad = _args(
        path,
        sso_start_url="http://acme.awsapps.com/start",
        sso_account_id="1111",
        region="moon-1",
        chained_profiles=[{"name": "prod data", "role_arn": "arn:aws:iam::222222222222:user/x", "external_id": "has spaces!",
                           "duration_seconds": 7200}],
    )
    result = _run(run_module, bad)
    assert result["failed"] is True
    for option in ("sso_start_url", "sso_account_id", "region", "chained_profiles[0].name", "chained_profiles[0].role_arn",
                   "chained_profiles[0].external_id", "chained_profiles[0].duration_seconds"):
        assert f"{option}:" in result["msg"], (option, result["msg"])
    assert "chained sessions at 3600 seconds" in result["msg"]
    assert "has spaces!" not in result["msg"]
    assert not path.exists()
