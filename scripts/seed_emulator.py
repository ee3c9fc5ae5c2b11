#!/usr/bin/env python3
"""Seed the local AWS emulator with what IAM Identity Center would have created in the Development account.

Run with the project venv's python (it needs boto3):  .venv/bin/python scripts/seed_emulator.py
`python3 scripts/emulator.py start` calls it for you.

The emulator has no sso-admin, so the permission-set role is a stand-in: an IAM role with the same path and
name shape as the role Identity Center provisions for a permission set
(/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<PermissionSet>_<hex>), trusting the account root.
Idempotent: an existing role is left alone (its trust policy is reset if it differs).

Environment:
    AWS_EMULATOR_URL  emulator endpoint (default http://127.0.0.1:$EMULATOR_PORT, port default 4566)
    DEV_ACCOUNT_ID    Development account id (default 111111111111)

Prints the stand-in role ARN on the last line of stdout.
"""

import json
import os
import re
import sys
from urllib.parse import urlparse

import boto3

ROLE_NAME = "AWSReservedSSO_DataDeveloper_0123456789abcdef"
ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"


def main():
    endpoint = os.environ.get("AWS_EMULATOR_URL") or "http://127.0.0.1:%s" % (
        os.environ.get("EMULATOR_PORT") or "4566"
    )
    if urlparse(endpoint).hostname not in ("127.0.0.1", "localhost", "::1"):
        sys.exit(f"seed_emulator: refusing to seed a non-local endpoint: {endpoint}")
    account = os.environ.get("DEV_ACCOUNT_ID") or "111111111111"
    if not re.fullmatch(r"\d{12}", account):
        sys.exit(f"seed_emulator: DEV_ACCOUNT_ID must be 12 digits, got {account!r}")

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=account,  # ministack selects the account from a 12-digit access key id
        aws_secret_access_key="emulator-not-a-secret",
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    try:
        role = iam.get_role(RoleName=ROLE_NAME)["Role"]
        current = role["AssumeRolePolicyDocument"]
        if isinstance(current, str):
            current = json.loads(current)
        if current != trust:
            iam.update_assume_role_policy(RoleName=ROLE_NAME, PolicyDocument=json.dumps(trust))
            print(f"seed: reset trust policy of {role['Arn']}")
        else:
            print(f"seed: stand-in permission-set role already present in {account}")
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(
            RoleName=ROLE_NAME,
            Path=ROLE_PATH,
            AssumeRolePolicyDocument=json.dumps(trust),
            Description="Emulator stand-in for the IAM Identity Center DataDeveloper permission-set role",
            MaxSessionDuration=3600,
        )["Role"]
        print(f"seed: created stand-in permission-set role in {account}")
    if role["Path"] != ROLE_PATH:
        sys.exit(f"seed_emulator: role {ROLE_NAME} exists with path {role['Path']!r}, expected {ROLE_PATH!r}")
    print(role["Arn"])


if __name__ == "__main__":
    main()
