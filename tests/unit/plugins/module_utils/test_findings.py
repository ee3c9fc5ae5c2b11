"""Lint findings for the cross-account mistakes DESIGN.md lists, and the access matrix's design expectations."""

from ansible_collections.cross_account.aws.plugins.module_utils import access
from ansible_collections.cross_account.aws.plugins.module_utils import evaluator as ev
from ansible_collections.cross_account.aws.plugins.module_utils import findings as lint
from ansible_collections.cross_account.aws.plugins.module_utils import statements as st

DEV, PROD = "111111111111", "222222222222"
ROLE = f"arn:aws:iam::{PROD}:role/DevToProdDataAccess"
SSO = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*"
KEY = f"arn:aws:kms:us-east-1:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
BUCKET = f"data-{PROD}"


def ids(found):
    return {f.id for f in found}


def deployed():
    return dict(
        trust=st.trust_policy([DEV], [SSO], "ext-id-123"),
        permissions=[("inline", st.role_permissions(BUCKET, ["s3:ListBucket", "s3:GetObject", "s3:PutObject"], "", KEY))],
        bucket_policy=st.document(st.bucket_statements(BUCKET, "X", access_role_arns=[ROLE], kms_key_arn=KEY)),
        bucket=BUCKET,
        key_policy=st.key_policy(PROD, service_users=[{"principal_arns": [ROLE], "via_service": "s3"}]),
        account_id=PROD,
    )


def test_deployed_documents_have_no_high_findings():
    found = lint.lint(**deployed())
    assert not [f for f in found if f.severity in ("critical", "high")], found
    assert ids(found) == {"role-arn-in-principal"}  # the bucket policy's Allow names the role (medium)


def test_mfa_with_identity_center():
    found = lint.trust_findings(st.trust_policy([DEV], [SSO], "ext-id-123", require_mfa=True))
    assert "mfa-with-identity-center" in ids(found)
    assert all(f.fix and f.severity in lint.SEVERITIES for f in found)


def test_region_condition_without_regional_sts():
    trust = st.trust_policy([DEV], [SSO], "ext-id-123", regions=["eu-west-1"])
    assert [f.severity for f in lint.trust_findings(trust) if f.id == "region-without-regional-sts"] == ["medium"]
    assert "region-without-regional-sts" not in ids(lint.trust_findings(trust, regional_sts=True))


def test_role_arn_and_unique_id_in_principal():
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"AWS": [f"arn:aws:iam::{DEV}:role/Dev", "AROAABCDEFGHIJKLMNOP"]}}]}
    assert {"role-arn-in-principal", "principal-unique-id"} <= ids(lint.trust_findings(trust))


def test_external_id_sts_rejects():
    trust = st.trust_policy([DEV], [SSO], "has spaces!")
    assert "external-id-rejected-by-sts" in ids(lint.trust_findings(trust))
    assert "external-id-rejected-by-sts" not in ids(lint.trust_findings(st.trust_policy([DEV], [SSO], "ok-id_1=2")))


def test_session_duration_beyond_chaining():
    trust = st.trust_policy([DEV], [SSO], "ext-id-123")
    assert "session-duration-beyond-chaining" in ids(lint.trust_findings(trust, requested_duration=7200))
    assert "max-session-duration-unreachable" in ids(lint.trust_findings(trust, max_session_duration=43200))
    assert not lint.trust_findings(trust, requested_duration=3600, max_session_duration=3600)


def test_allow_only_bucket_policy_and_no_tls_deny():
    only_allow = st.document(st.bucket_statements(BUCKET, "X", access_role_arns=[ROLE], deny_others=False, require_tls=False))
    assert {"bucket-policy-allow-only", "no-tls-only-deny"} <= ids(lint.bucket_findings(only_allow, BUCKET))
    assert "no-bucket-policy" in ids(lint.bucket_findings(None, BUCKET))


def test_deny_ifexists_on_encryption_header():
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "D", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]}
    assert "deny-ifexists-missing-header" in ids(lint.bucket_findings(policy, BUCKET))


def test_wildcard_actions_and_resources():
    found = lint.identity_findings({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "p")
    assert {"wildcard-action", "wildcard-resource"} <= ids(found)


def test_notprincipal_with_allow_and_allow_everyone():
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotPrincipal": {"AWS": ROLE}, "Action": "s3:GetObject", "Resource": "*"},
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    assert {"notprincipal-with-allow", "allow-everyone"} <= ids(lint.principal_findings(policy, "bucket policy"))


def test_key_policy_without_root_statement():
    no_root = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:*", "Resource": "*"}]}
    assert "key-policy-without-root" in ids(lint.key_findings(no_root, PROD))
    assert "key-policy-without-root" not in ids(lint.key_findings(st.key_policy(PROD), PROD))


def test_advanced_selectors_without_management_events():
    data_only = [{"Name": "S3", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]
    assert "selectors-without-management-events" in ids(lint.selector_findings(data_only))
    assert not lint.selector_findings(data_only + [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}])


def test_findings_sorted_most_severe_first():
    found = lint.lint(**{**deployed(), "trust": st.trust_policy([DEV], [SSO], "bad id", require_mfa=True)})
    order = [lint.SEVERITIES.index(f.severity) for f in found]
    assert order == sorted(order)


def test_matrix_expectations_and_contradictions():
    docs = deployed()
    admin_allowed = st.document([s for s in docs["bucket_policy"]["Statement"] if s["Effect"] == "Allow"])
    rows = [access.Subject("administrator", "admin", ev.principal_from_arn(f"arn:aws:iam::{PROD}:role/Admin"),
                           [("admin", access.ASSUMED_ADMIN)], expected=access.expected_design("administrator", []))]
    answers = access.answer_matrix(rows, role_arn=ROLE, trust=docs["trust"], role_policies=docs["permissions"], bucket=BUCKET,
                                   bucket_policy=admin_allowed, key_arn=KEY, key_policy=docs["key_policy"], account_id=PROD)
    get = next(a for a in answers if a["action"] == "get")
    assert get["allowed"] and get["agrees"] is False
    assert access.summary(answers)["administrator"]["get"] == "allowed"
