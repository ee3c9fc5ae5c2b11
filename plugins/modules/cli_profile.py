#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: cli_profile
short_description: A developer's AWS CLI profiles for IAM Identity Center and the chained Production role
version_added: 0.1.0
description:
  - "Writes the developer's AWS CLI config file (C(~/.aws/config) by default): an C([sso-session NAME]) section, the
    IAM Identity Center profile for the Development account, and one chained profile per Production role
    (C(role_arn), C(source_profile), C(external_id), C(role_session_name), C(duration_seconds), C(region))."
  - Every profile it writes gets C(sts_regional_endpoints = regional), so a trust policy with an
    C(aws:RequestedRegion) condition sees the profile's region (the global STS endpoint counts as us-east-1).
  - Only the keys it manages, in the sections it names, are written; other profiles, other settings of those sections,
    comments and blank lines stay exactly as they were. Check mode writes nothing; C(--diff) shows the managed sections
    before and after. The file is written atomically with mode C(0600), after a backup of the previous version when
    O(backup=true).
  - "A local file module: it makes no AWS call and needs no AWS credentials, so it is not part of the
    C(cross_account.aws.aws) action group (whose connection options it does not take)."
author:
  - cross_account.aws developers (@cross-account-aws)
options:
  path:
    description: The AWS CLI config file. Its directory is created (mode C(0700)) when missing.
    type: path
    default: ~/.aws/config
  state:
    description: C(absent) removes the keys this module manages from the named sections, and a section when nothing else is left in it.
    type: str
    choices: [present, absent]
    default: present
  sso_session:
    description: Name of the C([sso-session]) section. Written when O(sso_start_url) is given.
    type: str
  sso_start_url:
    description: The AWS access portal URL (C(https://...)).
    type: str
  sso_region:
    description: The IAM Identity Center home region.
    type: str
  sso_registration_scopes:
    description: Scopes of the SSO token registration.
    type: list
    elements: str
    default: [sso:account:access]
  sso_profile:
    description: Name of the Identity Center profile for the Development account (C(sso_session), C(sso_account_id), C(sso_role_name), C(region)).
    type: str
  sso_account_id:
    description: The Development account id the SSO profile signs in to.
    type: str
  sso_role_name:
    description: The permission set the SSO profile uses (for example C(DataDeveloper)).
    type: str
  region:
    description: Default region of the profiles (and of their STS calls).
    type: str
  source_profile:
    description:
      - The profile whose session assumes the Production roles. Defaults to O(sso_profile).
      - Sessions assumed from another role's session are capped at one hour by AWS (role chaining).
    type: str
  chained_profiles:
    description: The Production role profiles.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Profile name., type: str, required: true}
      role_arn: {description: The Production role., type: str}
      external_id: {description: The external id the role's trust policy requires., type: str}
      role_session_name: {description: "Session name (2-64 characters from letters, digits and C(_+=,.@-)); it appears in CloudTrail.", type: str}
      duration_seconds:
        description: Session length, 900-3600 (a chained session longer than one hour is refused by AWS).
        type: int
        default: 3600
      region: {description: Region of this profile (default O(region))., type: str}
      source_profile: {description: Source profile of this profile (default O(source_profile))., type: str}
  backup:
    description: Keep a timestamped copy of the file before changing it.
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: A developer's CLI profiles for Identity Center and the Production data role
  cross_account.aws.cli_profile:
    sso_session: acme
    sso_start_url: https://acme.awsapps.com/start
    sso_region: eu-west-1
    sso_profile: dev-data
    sso_account_id: "111111111111"
    sso_role_name: DataDeveloper
    region: eu-west-1
    chained_profiles:
      - name: prod-data
        role_arn: arn:aws:iam::222222222222:role/DevToProdDataAccess
        external_id: xacct-data-access-4f7d2c19
        role_session_name: jdoe

- name: Remove them again (other profiles stay)
  cross_account.aws.cli_profile:
    state: absent
    sso_session: acme
    sso_profile: dev-data
    chained_profiles: [{name: prod-data}]
"""

RETURN = r"""
path:
  description: The config file.
  returned: always
  type: str
  sample: /home/jdoe/.aws/config
sections:
  description: The sections this run manages.
  returned: always
  type: list
  elements: str
  sample: ["sso-session acme", "profile dev-data", "profile prod-data"]
backup_file:
  description: The backup of the previous file.
  returned: when a backup was made
  type: str
changes:
  description: The sections (and C(mode)) that were (or in check mode would be) written.
  returned: always
  type: list
  elements: str
  sample: ["profile prod-data"]
api_calls:
  description: Always empty (no AWS call); present like in every module of the collection.
  returned: always
  type: list
  elements: str
"""

import hashlib
import os
import re
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cross_account.aws.plugins.module_utils import validate
from ansible_collections.cross_account.aws.plugins.module_utils.cli_config import ConfigFile
from ansible_collections.cross_account.aws.plugins.module_utils.cli_config import section_name
from ansible_collections.cross_account.aws.plugins.module_utils.reconcile import Plan

SSO_SESSION_KEYS = ("sso_start_url", "sso_region", "sso_registration_scopes")
SSO_PROFILE_KEYS = ("sso_session", "sso_account_id", "sso_role_name", "region", "sts_regional_endpoints")
CHAINED_KEYS = ("role_arn", "source_profile", "external_id", "role_session_name", "duration_seconds", "region", "sts_regional_endpoints")
CHAINED_MAX_SECONDS = 3600
MODE = 0o600
_PROFILE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")


def name_error(value):
    return None if _PROFILE_NAME.fullmatch(str(value)) else "must be 1-64 characters from letters, digits and _+=,.@-"


def validate_options(module):
    p = module.params
    present = p["state"] == "present"
    checks = []
    for option in ("sso_session", "sso_profile", "source_profile"):
        if p[option] is not None:
            checks.append((option, p[option], name_error(p[option])))
    profiles = p["chained_profiles"]
    checks += [(f"chained_profiles[{i}].name", c["name"], name_error(c["name"])) for i, c in enumerate(profiles)]
    seen = set()
    for i, c in enumerate(profiles):
        if c["name"] in seen:
            checks.append((f"chained_profiles[{i}].name", c["name"], "is listed twice: each profile name must be unique"))
        elif c["name"] in (p["sso_profile"], c["source_profile"] or p["source_profile"]):
            checks.append((f"chained_profiles[{i}].name", c["name"], "is also its source profile: the CLI would loop; give the chained "
                           "profile a name of its own"))
        seen.add(c["name"])
    if not (p["sso_session"] or p["sso_profile"] or profiles):
        checks.append(("chained_profiles", None, "nothing to manage: name sso_session, sso_profile or chained_profiles"))
    if present:
        if p["sso_start_url"] or p["sso_session"]:
            if not p["sso_session"]:
                checks.append(("sso_session", None, "is required with sso_start_url"))
            checks.append(("sso_start_url", p["sso_start_url"],
                           None if re.fullmatch(r"https://[^\s\[\]]+", p["sso_start_url"] or "") else "must be the https:// URL of the AWS access portal"))
            checks.append(("sso_region", p["sso_region"], validate.rule("region", p["sso_region"] or "")))
        if p["sso_profile"]:
            if not p["sso_session"]:
                checks.append(("sso_session", None, "is required with sso_profile"))
            checks.append(("sso_account_id", p["sso_account_id"], validate.rule("account_id", p["sso_account_id"] or "")))
            checks.append(("sso_role_name", p["sso_role_name"], validate.rule("permission_set_name", p["sso_role_name"] or "")))
        if p["region"] is not None:
            checks.append(("region", p["region"], validate.rule("region", p["region"])))
        for i, c in enumerate(profiles):
            option = f"chained_profiles[{i}]"
            checks.append((f"{option}.role_arn", c["role_arn"], validate.arn(c["role_arn"] or "", "iam", "role")))
            if not (c["source_profile"] or p["source_profile"] or p["sso_profile"]):
                checks.append((f"{option}.source_profile", None, "is required (or set source_profile or sso_profile)"))
            elif c["source_profile"] is not None:
                checks.append((f"{option}.source_profile", c["source_profile"], name_error(c["source_profile"])))
            if c["external_id"] is not None:
                checks.append((f"{option}.external_id", None, validate.rule("external_id", c["external_id"])))
            if c["role_session_name"] is not None:
                checks.append((f"{option}.role_session_name", c["role_session_name"], None if _SESSION_NAME.fullmatch(c["role_session_name"])
                               else "must be 2-64 characters from letters, digits and _+=,.@-"))
            if c["region"] is not None:
                checks.append((f"{option}.region", c["region"], validate.rule("region", c["region"])))
            seconds = c["duration_seconds"]
            error = validate.between(seconds, 900, 43200)
            if not error and seconds > CHAINED_MAX_SECONDS:
                error = (f"is refused: this profile assumes the role from another role's session (source_profile), and AWS caps "
                         f"such chained sessions at {CHAINED_MAX_SECONDS} seconds; the CLI would fail to assume the role")
            checks.append((f"{option}.duration_seconds", seconds, error))
        if not (p["region"] or p["sso_region"]) and any(c["region"] is None for c in profiles):
            checks.append(("region", None, "is required for the chained profiles (regional STS endpoints need a region)"))
    validate.check(module, checks)


def desired_sections(p):
    """``[(section, {key: value or None})]``: the managed keys of every section this run names."""
    sections = []
    region = p["region"] or p["sso_region"]
    if p["sso_session"]:
        sections.append((section_name("sso-session", p["sso_session"]), {
            "sso_start_url": p["sso_start_url"],
            "sso_region": p["sso_region"],
            "sso_registration_scopes": ", ".join(p["sso_registration_scopes"]) if p["sso_registration_scopes"] else None,
        }))
    if p["sso_profile"]:
        sections.append((section_name("profile", p["sso_profile"]), {
            "sso_session": p["sso_session"],
            "sso_account_id": p["sso_account_id"],
            "sso_role_name": p["sso_role_name"],
            "region": region,
            "sts_regional_endpoints": "regional",
        }))
    for c in p["chained_profiles"]:
        sections.append((section_name("profile", c["name"]), {
            "role_arn": c["role_arn"],
            "source_profile": c["source_profile"] or p["source_profile"] or p["sso_profile"],
            "external_id": c["external_id"],
            "role_session_name": c["role_session_name"],
            "duration_seconds": None if c["duration_seconds"] is None else str(c["duration_seconds"]),
            "region": c["region"] or region,
            "sts_regional_endpoints": "regional",
        }))
    return sections


def fingerprint(value):
    return "(sha256:" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:12] + ")"


def shown(values):
    """A section's managed keys for the diff (the external id is not printed needlessly: a fingerprint)."""
    return {k: (fingerprint(v) if k == "external_id" else v) for k, v in values.items() if v is not None}


def write(module, path, text, result):
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700)
    if module.params["backup"] and os.path.exists(path):
        result["backup_file"] = module.backup_local(path)
        os.chmod(result["backup_file"], MODE)  # the backup holds the same external ids as the file
    fd, tmp = tempfile.mkstemp(prefix=".config-", dir=directory)
    try:
        os.fchmod(fd, MODE)
        with os.fdopen(fd, "w", newline="") as f:
            f.write(text)
        module.atomic_move(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    os.chmod(path, MODE)


def main():
    profile_spec = dict(
        name=dict(type="str", required=True),
        role_arn=dict(type="str"),
        external_id=dict(type="str", no_log=True),
        role_session_name=dict(type="str"),
        duration_seconds=dict(type="int", default=3600),
        region=dict(type="str"),
        source_profile=dict(type="str"),
    )
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="~/.aws/config"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            sso_session=dict(type="str"),
            sso_start_url=dict(type="str"),
            sso_region=dict(type="str"),
            sso_registration_scopes=dict(type="list", elements="str", default=["sso:account:access"]),
            sso_profile=dict(type="str"),
            sso_account_id=dict(type="str"),
            sso_role_name=dict(type="str"),
            region=dict(type="str"),
            source_profile=dict(type="str"),
            chained_profiles=dict(type="list", elements="dict", default=[], options=profile_spec),
            backup=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    module.api_calls = []
    validate_options(module)
    p = module.params
    path = os.path.abspath(p["path"])  # type=path already expanded ~ and variables
    if os.path.isdir(path):
        module.fail_json(msg=f"path: {path} is a directory; nothing was changed", api_calls=[])
    exists = os.path.exists(path)
    try:
        with open(path, newline="") as f:
            original = f.read() if exists else ""
    except FileNotFoundError:
        original = ""
    except OSError as e:
        module.fail_json(msg=f"path: cannot read {path}: {e}; nothing was changed", api_calls=[])

    config = ConfigFile(original)
    before = ConfigFile(original)
    plan = Plan(module)
    written = {}

    def write_once():  # every changed section is one write of the whole file
        if "done" not in written:
            written["done"] = True
            write(module, path, config.text(), written)

    sections = desired_sections(p)
    for section, values in sections:
        keys = list(values)
        current = config.values(section, keys)
        if p["state"] == "present":
            config.set(section, values)
            desired = {k: v for k, v in values.items() if v is not None}
        else:
            config.remove(section, keys)
            desired = {}
        plan.field(section, current, desired, write_once, show=shown)
    if p["state"] == "present" and exists:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        plan.field("mode", f"{mode:04o}", f"{MODE:04o}", lambda: os.chmod(path, MODE))

    result = plan.finish(path=path, sections=[s for s, _v in sections], api_calls=[])
    if written.get("backup_file"):
        result["backup_file"] = written["backup_file"]
    if "diff" in result:
        names = [s for s, _v in sections]
        result["diff"] = {
            "before_header": f"{path} (managed sections)",
            "after_header": f"{path} (managed sections)",
            "before": "\n".join(before.section_text(s) for s in names if before.has_section(s)),
            "after": "\n".join(config.section_text(s) for s in names if config.has_section(s)),
        }
        result["diff"]["before"] = _masked(result["diff"]["before"])
        result["diff"]["after"] = _masked(result["diff"]["after"])
    module.exit_json(**result)


def _masked(text):
    return re.sub(r"(?m)^(\s*external_id\s*=\s*)(.*?)(\r?)$", lambda m: m.group(1) + fingerprint(m.group(2)) + m.group(3), text)


if __name__ == "__main__":
    main()
