"""Issue 3, cases 11-13, at playbook level: deploy.yml as a user runs it, on accounts of its own.

Each environment is a fresh pair of emulator accounts (ministack creates an account for any 12-digit access key id),
with an inventory that is the project's (same group_vars) but other account ids, so these tests start from truly
empty accounts and never touch what other tests deploy in 111111111111/222222222222.

- case 11: ``deploy.yml --check`` on empty accounts reports every change and creates nothing (checked through the
  API); then out-of-band edits of the trust policy, the permissions policy, the data bucket policy, the data key
  policy and the trail's selectors: ``--check --diff`` shows exactly those edits, ``deploy.yml`` repairs them, and a
  further run reports no change.
- case 13: a converged deploy makes no write call: ``scripts/api_calls.py`` counts the calls per task.
- case 12: two deploys started at the same moment against the same (empty) accounts.
"""

import json
import os
import random
import re
import subprocess
import sys

import pytest
from helpers import ROOT, _ansible_env, aws_client, emulator_url, run_playbook

DEPLOY = "playbooks/deploy.yml"
ROLE, DEV_POLICY, TRAIL = "DevToProdDataAccess", "AssumeProductionDataAccess", "xacct-audit"
DATA_ALIAS, LOG_ALIAS = "alias/xacct-data", "alias/xacct-audit-logs"
STRANGER = "999999999999"
# Resource modules (they write); info/report modules only read.
READ_ONLY_MODULES = ("cross_account.aws.trail_info", "cross_account.aws.access_report", "cross_account.aws.preflight")
JSON_CALLBACK = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_JSON_INDENT": "0"}


def _fresh_account():
    return str(random.randint(5 * 10**11, 9 * 10**11 - 1))


def _make_environment(tmp_path_factory, label):
    """A pair of empty accounts, the inventory that names them, and the developer stand-in role the seed creates."""
    prod, dev = _fresh_account(), _fresh_account()
    inventory = tmp_path_factory.mktemp(f"inventory-{label}")
    (inventory / "hosts.yml").write_text(
        "all:\n"
        "  vars:\n"
        "    ansible_connection: local\n"
        "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\"\n"
        "  children:\n"
        "    prod:\n"
        f"      hosts:\n        prod-main:\n          account_id: \"{prod}\"\n"
        "    dev:\n"
        f"      hosts:\n        dev-main:\n          account_id: \"{dev}\"\n          prod_targets: [prod-main]\n"
    )
    os.symlink(os.path.join(ROOT, "inventory", "group_vars"), inventory / "group_vars")
    seed = subprocess.run(
        [sys.executable, os.path.join(ROOT, "scripts", "seed_emulator.py")],
        env=dict(os.environ, AWS_EMULATOR_URL=emulator_url(), DEV_ACCOUNT_ID=dev),
        capture_output=True,
        text=True,
        check=False,
    )
    assert seed.returncode == 0, seed.stderr
    return {"prod": prod, "dev": dev, "inventory": str(inventory)}


@pytest.fixture(scope="module")
def env(emulator_url, tmp_path_factory):
    ctx = _make_environment(tmp_path_factory, "drift")
    ctx["deployed"] = False
    return ctx


def _deploy(ctx, **kwargs):
    return run_playbook(DEPLOY, inventory=ctx["inventory"], **kwargs)


def _run(ctx, **kwargs):
    """deploy.yml with the JSON callback: (rc, {(module, key arg, host): result}, stats, all results)."""
    rc, out, _recap = _deploy(ctx, extra_env=JSON_CALLBACK, **kwargs)
    try:
        doc = json.loads(out)
    except ValueError:
        pytest.fail(f"no JSON output (rc={rc}):\n{out[-4000:]}")
    by_resource, everything = {}, []
    for play in doc["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                result = dict(result, _task=task["task"]["name"], _host=host)
                everything.append(result)
                action = result.get("action", "")
                if action.startswith("cross_account.aws.") and action not in READ_ONLY_MODULES:
                    args = (result.get("invocation") or {}).get("module_args") or {}
                    key = args.get("alias") or (args.get("bucket") if action.endswith(".bucket_policy") else args.get("name"))
                    by_resource[(action.rsplit(".", 1)[-1], key, host)] = result
    return rc, by_resource, doc.get("stats", {}), everything


def _failures(everything):
    return [(r["_task"], r.get("msg")) for r in everything if r.get("failed")]


def _what_exists(ctx):
    """Everything deploy.yml creates, as the API shows it."""
    prod, dev = ctx["prod"], ctx["dev"]
    iam, s3, kms, ct = (aws_client(s, prod) for s in ("iam", "s3", "kms", "cloudtrail"))
    dev_iam = aws_client("iam", dev)
    return {
        "roles": [r["RoleName"] for r in iam.list_roles()["Roles"]],
        "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].endswith(prod)],
        "aliases": [a["AliasName"] for a in kms.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")],
        "keys": [k["KeyId"] for k in kms.list_keys()["Keys"]],
        "trails": [t["Name"] for t in ct.describe_trails()["trailList"]],
        "dev_policies": [p["PolicyName"] for p in dev_iam.list_policies(Scope="Local")["Policies"]],
        "dev_role_attachments": [
            p["PolicyName"]
            for r in dev_iam.list_roles(PathPrefix="/aws-reserved/")["Roles"]
            for p in dev_iam.list_attached_role_policies(RoleName=r["RoleName"])["AttachedPolicies"]
        ],
    }


# --- case 11 -------------------------------------------------------------------------------------------------------


def test_case11_check_mode_on_empty_accounts_creates_nothing(env):
    assert _what_exists(env) == {k: [] for k in _what_exists(env)}, "the accounts are not empty"
    rc, resources, stats, everything = _run(env, check=True, diff=True)
    assert rc == 0, _failures(everything)
    prod, dev = env["prod"], env["dev"]
    expected = {
        ("kms_key", LOG_ALIAS, "prod-main"), ("kms_key", DATA_ALIAS, "prod-main"),
        ("bucket", f"xacct-audit-logs-{prod}", "prod-main"), ("bucket", f"xacct-data-{prod}", "prod-main"),
        ("bucket_policy", f"xacct-audit-logs-{prod}", "prod-main"), ("bucket_policy", f"xacct-data-{prod}", "prod-main"),
        ("trust_role", ROLE, "prod-main"), ("trail", TRAIL, "prod-main"),
    }
    assert expected <= set(resources), sorted(set(resources))
    for key, result in resources.items():
        # every resource task reports the change it would make, predicted with reads only
        assert result.get("changed") is True, (key, result.get("msg"))
        assert result.get("changes"), key
        assert all(re.match(r"^[a-z0-9-]+:(Get|Describe|List|Head)", c) for c in result.get("api_calls", [])), (key, result["api_calls"])
    assert any(k[0] == "assume_role_policy" and k[2] == "dev-main" for k in resources), sorted(resources)
    assert stats["prod-main"]["failures"] == 0 and stats["dev-main"]["failures"] == 0
    # Keys that check mode did not create are predicted through their alias, with a warning that says so.
    warnings = [w for r in everything for w in r.get("warnings", [])]
    assert any(f"{DATA_ALIAS} does not exist yet; check mode assumes an earlier task creates it" in w for w in warnings), warnings
    # The verification is skipped and says why (it would upload an object).
    assert any("Check mode: verification skipped" in str(r.get("msg")) for r in everything)
    # Nothing was created, through the API.
    assert _what_exists(env) == {k: [] for k in _what_exists(env)}
    assert dev  # (the dev account too: its policy and attachments are in _what_exists)


def _statements(document):
    return {json.dumps(s, sort_keys=True) for s in document["Statement"]}


def _delta(before, after):
    """(statements only before, statements only after) of two normalised documents."""
    b, a = _statements(before), _statements(after)
    return [json.loads(s) for s in sorted(b - a)], [json.loads(s) for s in sorted(a - b)]


def _changed_fields(diff):
    before, after = diff["before"], diff["after"]
    return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def _edit_out_of_band(ctx):
    """One edit of each managed policy and of the trail's selectors, as a console user or another tool would."""
    prod = ctx["prod"]
    iam, s3, kms, ct = (aws_client(s, prod) for s in ("iam", "s3", "kms", "cloudtrail"))
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    principals = trust["Statement"][0]["Principal"]["AWS"]
    trust["Statement"][0]["Principal"]["AWS"] = (principals if isinstance(principals, list) else [principals]) + [f"arn:aws:iam::{STRANGER}:root"]
    iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(trust))

    name = iam.list_role_policies(RoleName=ROLE)["PolicyNames"][0]
    permissions = iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]
    permissions = json.loads(permissions) if isinstance(permissions, str) else permissions
    objects = next(s for s in permissions["Statement"] if "s3:GetObject" in s["Action"])
    objects["Action"] = list(objects["Action"]) + ["s3:DeleteObject"]
    iam.put_role_policy(RoleName=ROLE, PolicyName=name, PolicyDocument=json.dumps(permissions))

    bucket = f"xacct-data-{prod}"
    bucket_policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    bucket_policy["Statement"] = [s for s in bucket_policy["Statement"] if s.get("Sid") != "CrossAccountDenyInsecureTransport"]
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(bucket_policy))

    key_id = kms.describe_key(KeyId=DATA_ALIAS)["KeyMetadata"]["KeyId"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
    key_policy["Statement"].append({"Sid": "OutOfBand", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{STRANGER}:root"},
                                    "Action": "kms:Decrypt", "Resource": "*"})
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=json.dumps(key_policy))

    ct.put_event_selectors(TrailName=TRAIL, AdvancedEventSelectors=[
        {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}])
    return {"key_id": key_id, "bucket": bucket, "policy_name": name}


def _edited(prod):
    return {
        ("trust_role", ROLE, "prod-main"): {"trust_policy", "permissions_policy"},
        ("bucket_policy", f"xacct-data-{prod}", "prod-main"): {"policy"},
        ("kms_key", DATA_ALIAS, "prod-main"): {"policy"},
        ("trail", TRAIL, "prod-main"): {"event_selectors"},
    }


def test_case11_out_of_band_edits_shown_exactly_repaired_then_converged(env):
    rc, out, recap = _deploy(env)
    assert rc == 0, out
    env["deployed"] = True
    edits = _edit_out_of_band(env)

    # --check --diff: exactly the edited tasks change, each diff holds exactly the edit.
    edited = _edited(env["prod"])
    rc, results, stats, everything = _run(env, check=True, diff=True)
    assert rc == 0, _failures(everything)
    changed = {key for key, result in results.items() if result.get("changed")}
    assert changed == set(edited), changed
    assert [r["_task"] for r in everything if r.get("changed") and r.get("action", "").rsplit(".", 1)[-1] not in {k[0] for k in edited}] == []
    for key, fields in edited.items():
        diff = results[key]["diff"]
        diff = diff[0] if isinstance(diff, list) else diff
        assert _changed_fields(diff) == fields, (key, _changed_fields(diff))
        assert not [c for c in results[key]["api_calls"] if not re.match(r"^[a-z0-9-]+:(Get|Describe|List|Head)", c)]
    role = results[("trust_role", ROLE, "prod-main")]["diff"]
    removed, added = _delta(role["before"]["trust_policy"], role["after"]["trust_policy"])
    assert len(removed) == len(added) == 1
    assert set(removed[0]["Principal"]["AWS"]) - set(added[0]["Principal"]["AWS"]) == {f"arn:aws:iam::{STRANGER}:root"}
    assert dict(removed[0], Principal=None) == dict(added[0], Principal=None)
    removed, added = _delta(role["before"]["permissions_policy"], role["after"]["permissions_policy"])
    assert len(removed) == len(added) == 1
    assert set(removed[0]["Action"]) - set(added[0]["Action"]) == {"s3:DeleteObject"}
    assert dict(removed[0], Action=None) == dict(added[0], Action=None)
    bucket = results[("bucket_policy", edits["bucket"], "prod-main")]["diff"]
    removed, added = _delta(bucket["before"]["policy"], bucket["after"]["policy"])
    assert removed == [] and [s["Sid"] for s in added] == ["CrossAccountDenyInsecureTransport"]
    key = results[("kms_key", DATA_ALIAS, "prod-main")]["diff"]
    removed, added = _delta(key["before"]["policy"], key["after"]["policy"])
    assert added == [] and [s["Sid"] for s in removed] == ["OutOfBand"]
    trail = results[("trail", TRAIL, "prod-main")]["diff"]
    before_selectors = [json.dumps(s, sort_keys=True) for s in trail["before"]["event_selectors"]["advanced"]]
    after_selectors = [json.dumps(s, sort_keys=True) for s in trail["after"]["event_selectors"]["advanced"]]
    assert set(before_selectors) < set(after_selectors) and len(after_selectors) == len(before_selectors) + 1
    assert "resources.ARN" in (set(after_selectors) - set(before_selectors)).pop()
    # check mode repaired nothing
    iam = aws_client("iam", env["prod"])
    trust = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert STRANGER in json.dumps(trust)

    # deploy repairs exactly those ...
    rc, results, stats, everything = _run(env)
    assert rc == 0, _failures(everything)
    assert {key for key, result in results.items() if result.get("changed")} == set(edited)
    assert stats["prod-main"]["changed"] == len(edited) and stats["dev-main"]["changed"] == 0, stats
    kms, s3, ct = (aws_client(s, env["prod"]) for s in ("kms", "s3", "cloudtrail"))
    assert STRANGER not in json.dumps(iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"])
    assert "s3:DeleteObject" not in json.dumps(iam.get_role_policy(RoleName=ROLE, PolicyName=edits["policy_name"])["PolicyDocument"])
    assert "CrossAccountDenyInsecureTransport" in s3.get_bucket_policy(Bucket=edits["bucket"])["Policy"]
    assert "OutOfBand" not in kms.get_key_policy(KeyId=edits["key_id"], PolicyName="default")["Policy"]
    assert len(ct.get_event_selectors(TrailName=TRAIL)["AdvancedEventSelectors"]) == 2

    # ... and a further run reports no change. It is the measured run of case 13 (scripts/api_calls.py exits 0 only
    # when no task changed and no module made a write call), so the converged deploy runs once for both cases.
    env["api_calls"] = _api_calls_report(env)
    assert env["api_calls"]["rc"] == 0, env["api_calls"]["output"]


# --- case 13 -------------------------------------------------------------------------------------------------------


def _api_calls_report(ctx):
    rows_file = os.path.join(ctx["inventory"], "api_calls_rows.json")
    cmd = [sys.executable, os.path.join(ROOT, "scripts", "api_calls.py"), "-i", ctx["inventory"], "--json", rows_file]
    if not ctx["deployed"]:
        cmd.append("--converge")
    proc = subprocess.run(cmd, cwd=ROOT, env=_ansible_env(), capture_output=True, text=True, timeout=1200, check=False)
    rows = json.load(open(rows_file, encoding="utf-8")) if os.path.exists(rows_file) else []
    return {"rc": proc.returncode, "output": proc.stdout + proc.stderr, "rows": rows}


def test_case13_converged_deploy_makes_no_write_call(env):
    """scripts/api_calls.py runs the deploy with the JSON callback and reads every task's ``api_calls``: each
    cross_account.aws module reports every AWS call it made. It exits 1 on any write call or changed task.
    The measured run is case 11's last run when that test ran; alone, this test converges the accounts first."""
    report = env.get("api_calls") or _api_calls_report(env)
    assert report["rc"] == 0, report["output"]
    assert "api_calls: converged, no write call" in report["output"]
    counted = [r for r in report["rows"] if r["calls"] is not None]
    modules = {r["module"] for r in counted}
    for module in ("kms_key", "bucket", "bucket_policy", "trust_role", "trail", "assume_role_policy"):
        assert f"cross_account.aws.{module}" in modules, modules
    assert len(counted) >= 9
    for row in counted:
        if row["module"] == "cross_account.aws.preflight":  # checks variables locally: never an AWS call
            assert row["calls"] == [], row
            continue
        assert row["calls"], f"{row['task']} reported no call at all"
        assert not row["changed"], row
        assert all(re.match(r"^[a-z0-9-]+:(Get|Describe|List|Head|Validate)", c) for c in row["calls"]), row


# --- case 12 -------------------------------------------------------------------------------------------------------


def test_case12_two_deploys_at_the_same_moment(emulator_url, tmp_path_factory):
    """Two ansible-playbook processes start deploy.yml together against the same empty accounts. Either both
    succeed, or a loser stops at its first failure with a message that says another run created the resource and to
    run again; then a rerun converges (changed=0). Either way: one key per alias, and every other key the race
    created is pending deletion (no orphaned enabled key)."""
    ctx = _make_environment(tmp_path_factory, "race")
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.path.join(ROOT, DEPLOY), "-i", ctx["inventory"]]
    if not os.path.exists(cmd[0]):
        cmd[0] = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=_ansible_env({"ANSIBLE_STDOUT_CALLBACK": "default"}), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for _i in range(2)]
    outputs = [p.communicate(timeout=1200)[0] for p in procs]
    codes = [p.returncode for p in procs]

    for rc, out in zip(codes, outputs):
        if rc == 0:
            continue
        first = re.search(r"(fatal: \[[^\]]+\]: FAILED!.*?)(?:\n\n|\nPLAY|\Z)", out, re.S)
        assert first, out
        assert re.search(r"another run", first.group(1), re.I) and re.search(r"run again", first.group(1), re.I), first.group(1)

    kms = aws_client("kms", ctx["prod"])
    targets = {a["AliasName"]: a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] in (DATA_ALIAS, LOG_ALIAS)}
    assert sorted(targets) == sorted([DATA_ALIAS, LOG_ALIAS]) or any(codes), targets
    for key in kms.list_keys()["Keys"]:
        state = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"]
        if key["KeyId"] in targets.values():
            assert state == "Enabled"
        else:
            assert state == "PendingDeletion", f"orphaned key {key['KeyId']} is {state}"

    rc, out, recap = run_playbook(DEPLOY, inventory=ctx["inventory"])
    assert rc == 0, out
    if all(code == 0 for code in codes):
        assert recap["prod-main"]["changed"] == 0 and recap["dev-main"]["changed"] == 0, out
    else:
        # the winner deployed everything; the rerun only converges on it (it may still add what the loser
        # left undone on its own hosts), and a run after it is unchanged
        if recap["prod-main"]["changed"] or recap["dev-main"]["changed"]:
            rc, out, recap = run_playbook(DEPLOY, inventory=ctx["inventory"])
            assert rc == 0 and recap["prod-main"]["changed"] == 0 and recap["dev-main"]["changed"] == 0, out
    aliases = [a["AliasName"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] in (DATA_ALIAS, LOG_ALIAS)]
    assert sorted(aliases) == sorted([DATA_ALIAS, LOG_ALIAS])
    enabled = [k["KeyId"] for k in kms.list_keys()["Keys"] if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"]
    assert len(enabled) == 2, enabled
