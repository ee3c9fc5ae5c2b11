"""The main job, as a user runs it: deploy, deploy again, verify, cleanup across two emulated accounts.

After cleanup, the API must show nothing left except what cleanup said it kept; after a cleanup that is
asked to delete data and audit logs, only keys pending deletion remain.
"""

import json
import re

import pytest
from helpers import run_playbook

DEV, PROD = "111111111111", "222222222222"
DATA_BUCKET, LOG_BUCKET = f"xacct-data-{PROD}", f"xacct-audit-logs-{PROD}"
ROLE, POLICY, TRAIL = "DevToProdDataAccess", "AssumeProductionDataAccess", "xacct-audit"
DATA_ALIAS, LOG_ALIAS = "alias/xacct-data", "alias/xacct-audit-logs"


def _bucket_exists(s3, name):
    return name in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def _key_state(kms, alias):
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    if alias not in aliases:
        return None
    return kms.describe_key(KeyId=aliases[alias])["KeyMetadata"]["KeyState"]


def _all_keys_states(kms):
    return sorted(kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in kms.list_keys()["Keys"])


def _kept_lines(stdout):
    return sorted(set(re.findall(r"KEPT (data bucket|data key|audit log bucket|audit log key) (\S+)", stdout)))


@pytest.mark.usefixtures("emulator_url")
def test_deploy_verify_cleanup_end_to_end(aws_client):
    s3, iam, kms, ct = (aws_client(s, PROD) for s in ("s3", "iam", "kms", "cloudtrail"))
    dev_iam = aws_client("iam", DEV)

    rc, out, recap = run_playbook("playbooks/deploy.yml")
    assert rc == 0, out
    assert recap["prod-main"]["changed"] > 0 and recap["dev-main"]["changed"] > 0
    assert recap["prod-main"]["failed"] == 0 and recap["dev-main"]["failed"] == 0

    rc, out, recap = run_playbook("playbooks/deploy.yml")
    assert rc == 0, out
    assert recap["prod-main"]["changed"] == 0, out
    assert recap["dev-main"]["changed"] == 0, out

    rc, out, recap = run_playbook("playbooks/verify.yml")
    assert rc == 0, out
    assert "is SSE-KMS with arn:aws:kms:us-east-1:222222222222:key/" in out
    assert "Read back the same" in out

    # What verification left behind is real: one object per run (two deploys and a verify), in the bucket.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=DATA_BUCKET, Prefix="verify/").get("Contents", [])]
    assert len(keys) == 3 and all(re.fullmatch(r"verify/dev-main/\d{8}T\d{6}Z-\d{6}\.txt", k) for k in keys), keys

    rc, out, recap = run_playbook("playbooks/cleanup.yml")
    assert rc == 0, out
    kept = _kept_lines(out)
    assert kept == sorted(
        [("audit log bucket", LOG_BUCKET), ("audit log key", LOG_ALIAS), ("data bucket", DATA_BUCKET), ("data key", DATA_ALIAS)]
    ), out

    # Through the API: gone is what was not kept ...
    assert ROLE not in [r["RoleName"] for r in iam.list_roles()["Roles"]]
    assert POLICY not in [p["PolicyName"] for p in dev_iam.list_policies(Scope="Local")["Policies"]]
    assert TRAIL not in [t["Name"] for t in ct.describe_trails()["trailList"]]
    # ... and the kept resources are there, intact.
    assert _bucket_exists(s3, DATA_BUCKET) and _bucket_exists(s3, LOG_BUCKET)
    assert _key_state(kms, DATA_ALIAS) == "Enabled" and _key_state(kms, LOG_ALIAS) == "Enabled"
    # The kept data stays protected: its bucket policy keeps TLS-only and the deny on every other principal.
    data_policy = json.loads(s3.get_bucket_policy(Bucket=DATA_BUCKET)["Policy"]) if _has_policy(s3, DATA_BUCKET) else {}
    sids = {statement.get("Sid") for statement in data_policy.get("Statement", [])}
    assert {"CrossAccountDenyInsecureTransport", "CrossAccountDenyOtherPrincipals"} <= sids, sids
    assert "the data stays TLS-only and closed to every other principal" in " ".join(out.split())

    # A second cleanup changes nothing and says the same.
    rc, again, recap = run_playbook("playbooks/cleanup.yml")
    assert rc == 0 and recap["prod-main"]["changed"] == 0 and recap["dev-main"]["changed"] == 0, again
    assert _kept_lines(again) == kept

    # Cleanup asked to delete data and audit logs: only keys pending deletion remain.
    rc, out, recap = run_playbook(
        "playbooks/cleanup.yml", extra_vars={"prod_account_cleanup_delete_data": True, "prod_account_cleanup_delete_audit_logs": True}
    )
    assert rc == 0, out
    assert _kept_lines(out) == []
    assert not _bucket_exists(s3, DATA_BUCKET) and not _bucket_exists(s3, LOG_BUCKET)
    assert _key_state(kms, DATA_ALIAS) is None and _key_state(kms, LOG_ALIAS) is None
    assert set(_all_keys_states(kms)) <= {"PendingDeletion"}


def _has_policy(s3, bucket):
    try:
        s3.get_bucket_policy(Bucket=bucket)
        return True
    except s3.exceptions.ClientError:
        return False
