"""The dev_account role with IAM Identity Center (moto) and the developers' CLI profiles.

The permission set goes to the moto server (dev_account_identity_center_endpoint_url); nothing is written to
IAM in the emulated Development account on this path. The CLI profiles go to a temporary file.
"""

import configparser
import json
import uuid

import boto3

PLAYBOOK = "tests/integration/playbooks/dev_account.yml"
DEV = "111111111111"
PROD_ROLE = "arn:aws:iam::222222222222:role/DevToProdDataAccess"


def test_dev_account_with_identity_center_and_cli_profiles(run_playbook, moto_url, tmp_path):
    kw = dict(endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    admin, store = boto3.client("sso-admin", **kw), boto3.client("identitystore", **kw)
    instance = admin.list_instances()["Instances"][0]
    suffix = uuid.uuid4().hex[:8]
    group, name = f"role-devs-{suffix}", f"RoleTest{suffix}"
    group_id = store.create_group(IdentityStoreId=instance["IdentityStoreId"], DisplayName=group)["GroupId"]
    config = tmp_path / "aws" / "config"
    extra = {
        "dev_account_identity_center": True,
        "dev_account_identity_center_endpoint_url": moto_url,
        "dev_account_permission_set_name": name,
        "dev_account_assign_groups": [group],
        "dev_account_cli_config_path": str(config),
        "dev_account_cli_sso_start_url": "https://acme.awsapps.com/start",
        "dev_account_cli_profile_prefix": "xacct-",
    }

    rc, out, recap = run_playbook(PLAYBOOK, extra_vars=extra, limit="dev-main")
    assert rc == 0, out
    assert recap["dev-main"]["changed"] == 2, out  # the permission set and the CLI profiles
    arns = [a for a in admin.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"]
            if admin.describe_permission_set(InstanceArn=instance["InstanceArn"], PermissionSetArn=a)["PermissionSet"]["Name"] == name]
    assert len(arns) == 1
    inline = json.loads(admin.get_inline_policy_for_permission_set(InstanceArn=instance["InstanceArn"], PermissionSetArn=arns[0])["InlinePolicy"])
    assert inline["Statement"][0]["Resource"] == [PROD_ROLE]
    assigned = admin.list_account_assignments(InstanceArn=instance["InstanceArn"], AccountId=DEV, PermissionSetArn=arns[0])["AccountAssignments"]
    assert [(a["PrincipalType"], a["PrincipalId"]) for a in assigned] == [("GROUP", group_id)]
    parsed = configparser.RawConfigParser()
    parsed.read(config)
    assert parsed["profile dev-main"]["sso_role_name"] == name and parsed["profile dev-main"]["sso_account_id"] == DEV
    prod = parsed["profile xacct-prod-main"]
    assert prod["role_arn"] == PROD_ROLE and prod["source_profile"] == "dev-main"
    assert prod["sts_regional_endpoints"] == "regional" and prod["duration_seconds"] == "3600" and prod["external_id"]

    rc, out, recap = run_playbook(PLAYBOOK, extra_vars=extra, limit="dev-main")
    assert rc == 0 and recap["dev-main"]["changed"] == 0, out

    rc, out, recap = run_playbook(PLAYBOOK, extra_vars=dict(extra, dev_account_tasks="cleanup"), limit="dev-main")
    assert rc == 0, out
    assert not [a for a in admin.list_permission_sets(InstanceArn=instance["InstanceArn"])["PermissionSets"] if a in arns]
    assert config.read_text() == ""
    store.delete_group(IdentityStoreId=instance["IdentityStoreId"], GroupId=group_id)
