"""The line-preserving AWS CLI config editor behind cli_profile."""

from ansible_collections.cross_account.aws.plugins.module_utils.cli_config import ConfigFile
from ansible_collections.cross_account.aws.plugins.module_utils.cli_config import section_name

TEXT = "; top comment\r\n[default]\r\nregion = us-east-1\r\n\r\n[profile a]\r\ns3 =\r\n  addressing_style = path\r\nkeep = 1\r\n"


def test_untouched_file_round_trips_exactly():
    assert ConfigFile(TEXT).text() == TEXT


def test_set_rewrites_in_place_appends_and_removes_with_nested_lines():
    config = ConfigFile(TEXT)
    config.set("profile a", {"s3": None, "keep": "2", "new": "x"})
    assert config.text() == "; top comment\r\n[default]\r\nregion = us-east-1\r\n\r\n[profile a]\r\nkeep = 2\r\nnew = x\r\n"
    config.set("profile b", {"role_arn": "arn", "unset": None})
    assert config.text().endswith("new = x\r\n\r\n[profile b]\r\nrole_arn = arn\r\n")
    assert config.values("profile b", ["role_arn", "unset"]) == {"role_arn": "arn"}


def test_remove_restores_what_set_added():
    config = ConfigFile(TEXT)
    config.set("sso-session s", {"sso_region": "eu-west-1"})
    config.remove("sso-session s", ["sso_region"])
    assert config.text() == TEXT


def test_remove_keeps_other_keys_and_comments():
    config = ConfigFile("[profile m]\n# note\nmine = 1\nother = 2\n\n[profile z]\nk = v\n")
    config.remove("profile m", ["mine"])
    assert config.text() == "[profile m]\n# note\nother = 2\n\n[profile z]\nk = v\n"
    config.remove("profile m", ["other"])
    assert config.text() == "# note\n\n[profile z]\nk = v\n"


def test_section_names():
    assert section_name("profile", "default") == "default"
    assert section_name("profile", "dev") == "profile dev"
    assert section_name("sso-session", "acme") == "sso-session acme"
