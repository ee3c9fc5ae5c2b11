"""The policy evaluator against AWS's documented evaluation logic.

Every test names, in its docstring, the documented rule (IAM User Guide: "Policy evaluation logic",
"Cross-account policy evaluation logic", "IAM JSON policy elements: Condition operators", "Principal",
"NotPrincipal", "NotAction", "NotResource", "Policy variables"; KMS Developer Guide: "Key policies";
S3 User Guide: bucket policies) or the edge case it checks.
"""

import datetime as dt

import pytest

from ansible_collections.cross_account.aws.plugins.module_utils import conditions
from ansible_collections.cross_account.aws.plugins.module_utils import evaluator as ev
from ansible_collections.cross_account.aws.plugins.module_utils import statements as st

DEV, PROD, OTHER = "111111111111", "222222222222", "333333333333"
ROLE = f"arn:aws:iam::{PROD}:role/DevToProdDataAccess"
ADMIN = f"arn:aws:iam::{PROD}:role/Admin"
USER = f"arn:aws:iam::{PROD}:user/alice"
DEV_SSO = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_DataDeveloper_0123456789abcdef"
DEV_PATTERN = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_DataDeveloper_*"
BUCKET = f"arn:aws:s3:::data-{PROD}"
OBJECT = f"{BUCKET}/verify/x.txt"
KEY = f"arn:aws:kms:us-east-1:{PROD}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def doc(*statements, version="2012-10-17"):
    return {"Version": version, "Statement": list(statements)}


def allow(action="s3:GetObject", resource=OBJECT, **extra):
    return dict({"Effect": "Allow", "Action": action, "Resource": resource}, **extra)


def deny(action="s3:GetObject", resource=OBJECT, **extra):
    return dict({"Effect": "Deny", "Action": action, "Resource": resource}, **extra)


def role(arn=ROLE, **kw):
    return ev.principal_from_arn(arn, **kw)


def req(principal=None, action="s3:GetObject", resource=OBJECT, context=None, **kw):
    return ev.Request(principal or role(), action, resource, context or {}, **kw)


def decide(request, identity=None, resource=None, account=PROD, **kw):
    identity = [("identity", d) for d in (identity or [])]
    return ev.evaluate(request, identity, resource, account, **kw)


def cond(operator, key, values, context):
    return conditions.evaluate({operator: {key: values}}, {k.lower(): v for k, v in context.items()})[0]


# --- the decision ----------------------------------------------------------------------------------------------


def test_default_is_implicit_deny():
    """Rule: by default every request is implicitly denied (no statement allows it)."""
    d = decide(req(), [doc()])
    assert not d.allowed and d.decision == ev.IMPLICIT_DENY


def test_identity_allow_suffices_within_the_account():
    """Rule: within one account an Allow in an identity-based policy is enough (no resource policy needed)."""
    assert decide(req(), [doc(allow())]).allowed


def test_resource_allow_suffices_within_the_account():
    """Rule: within one account an Allow in the resource-based policy naming the principal is enough."""
    bucket = doc(allow(Principal={"AWS": ROLE}))
    d = decide(req(), [], bucket)
    assert d.allowed and d.deciding[0].policy == "resource policy"


def test_explicit_deny_in_identity_policy_overrides_resource_allow():
    """Rule: an explicit Deny in any policy overrides any Allow."""
    d = decide(req(), [doc(deny())], doc(allow(Principal={"AWS": ROLE})))
    assert d.decision == ev.EXPLICIT_DENY


def test_explicit_deny_in_resource_policy_overrides_identity_allow():
    """Rule: an explicit Deny in the resource-based policy overrides an identity Allow."""
    d = decide(req(), [doc(allow())], doc(deny(Principal="*")))
    assert d.decision == ev.EXPLICIT_DENY and d.deciding[0].effect == "Deny"


def test_deny_wins_regardless_of_statement_order():
    """Rule: statement order does not matter; a Deny anywhere wins."""
    assert decide(req(), [doc(deny(), allow())]).decision == ev.EXPLICIT_DENY
    assert decide(req(), [doc(allow(), deny())]).decision == ev.EXPLICIT_DENY


def test_cross_account_needs_the_identity_side():
    """Rule (cross-account): a resource policy Allow alone is not enough; the caller's account must allow too."""
    outsider = role(f"arn:aws:iam::{OTHER}:role/Reader")
    bucket = doc(allow(Principal={"AWS": outsider.arn}))
    assert not decide(req(outsider), [], bucket).allowed


def test_cross_account_needs_the_resource_side():
    """Rule (cross-account): an identity Allow alone is not enough; the resource policy must allow too."""
    outsider = role(f"arn:aws:iam::{OTHER}:role/Reader")
    d = decide(req(outsider), [ALL], None)
    assert not d.allowed and "cross-account" in d.reason


def test_cross_account_allowed_when_both_sides_allow():
    """Rule (cross-account): allowed when both the identity policy and the resource policy allow."""
    outsider = role(f"arn:aws:iam::{OTHER}:role/Reader")
    assert decide(req(outsider), [ALL], doc(allow(Principal={"AWS": OTHER}))).allowed


def test_resource_policy_naming_the_account_delegates_within_the_account():
    """Rule: a resource policy that names the account (root or id) grants nothing by itself within the account;
    it delegates to identity policies."""
    bucket = doc(allow(Principal={"AWS": f"arn:aws:iam::{PROD}:root"}))
    assert not decide(req(), [], bucket).allowed
    assert decide(req(), [doc(allow())], bucket).allowed


def test_account_id_shorthand_in_principal_equals_root_arn():
    """Rule: Principal {"AWS": "<account id>"} is the same as the account's root ARN."""
    bucket = doc(allow(Principal={"AWS": PROD}))
    assert decide(req(), [doc(allow())], bucket).allowed
    assert not decide(req(), [], bucket).allowed


def test_role_arn_in_principal_matches_its_sessions():
    """Rule: a role ARN in Principal matches every session of that role."""
    assert decide(req(role(session_name="anything")), [], doc(allow(Principal={"AWS": ROLE}))).allowed


def test_session_arn_in_principal_matches_only_that_session():
    """Rule: an assumed-role session ARN in Principal matches only that session."""
    session = f"arn:aws:sts::{PROD}:assumed-role/DevToProdDataAccess/alice"
    bucket = doc(allow(Principal={"AWS": session}))
    assert decide(req(role(session_name="alice")), [], bucket).allowed
    assert not decide(req(role(session_name="bob")), [], bucket).allowed


def test_principal_star_includes_anonymous():
    """Rule: Principal "*" (and {"AWS": "*"}) means everyone, anonymous callers included."""
    anon = ev.Principal("anonymous")
    assert decide(req(anon), [], doc(allow(Principal="*"))).allowed
    assert decide(req(anon), [], doc(allow(Principal={"AWS": "*"}))).allowed


def test_anonymous_has_no_identity_policies():
    """Rule: an anonymous request can only be allowed by a resource policy."""
    assert not decide(req(ev.Principal("anonymous")), [ALL], None).allowed


def test_wildcards_in_principal_match_nothing():
    """Rule: wildcards are not allowed in Principal except a lone "*"; a pattern matches no principal."""
    assert not decide(req(), [], doc(allow(Principal={"AWS": f"arn:aws:iam::{PROD}:role/*"}))).allowed


def test_service_principal_matches_the_service():
    """Rule: a Service principal matches requests the service makes (for example CloudTrail delivering logs)."""
    trail = ev.Principal("service", "cloudtrail.amazonaws.com")
    bucket = doc(allow("s3:PutObject", Principal={"Service": "cloudtrail.amazonaws.com"}))
    assert decide(req(trail, "s3:PutObject"), [], bucket).allowed
    assert not decide(req(ev.Principal("service", "config.amazonaws.com"), "s3:PutObject"), [], bucket).allowed


def test_account_root_holds_every_permission_in_its_account():
    """Rule: the account root user has full access to its account's resources (no identity policy needed)."""
    root = ev.Principal("root", f"arn:aws:iam::{PROD}:root", PROD)
    assert decide(req(root), [], None).allowed


def test_account_root_is_subject_to_resource_policy_deny():
    """Rule: an explicit Deny in a bucket policy also applies to the account root (aws:PrincipalArn is the root ARN)."""
    root = ev.Principal("root", f"arn:aws:iam::{PROD}:root", PROD)
    bucket = st.document(st.bucket_statements("data-" + PROD, "X", access_role_arns=[ROLE]))
    assert decide(req(root), [], bucket).decision == ev.EXPLICIT_DENY


def test_statement_without_principal_is_ignored_in_resource_policy():
    """Edge: a resource-policy statement without Principal/NotPrincipal applies to nobody."""
    assert not decide(req(), [], doc(allow())).allowed


# --- NotPrincipal, NotAction, NotResource ----------------------------------------------------------------------


def test_notprincipal_deny_applies_to_everyone_not_listed():
    """Rule: Deny with NotPrincipal denies every principal not listed."""
    bucket = doc(deny(NotPrincipal={"AWS": [ADMIN, f"arn:aws:iam::{PROD}:root"]}))
    assert decide(req(role()), [ALL], bucket).decision == ev.EXPLICIT_DENY


def test_notprincipal_needs_the_account_listed_too():
    """Rule: with NotPrincipal the principal's account must be listed as well, or the principal is not excluded."""
    only_role = doc(deny(NotPrincipal={"AWS": ROLE}))
    with_account = doc(deny(NotPrincipal={"AWS": [ROLE, f"arn:aws:iam::{PROD}:root"]}))
    assert decide(req(), [ALL], only_role).decision == ev.EXPLICIT_DENY
    assert decide(req(), [ALL], with_account).allowed


def test_notprincipal_never_excludes_anonymous():
    """Edge: NotPrincipal listing principals does not exclude anonymous callers."""
    bucket = doc(deny(NotPrincipal={"AWS": f"arn:aws:iam::{PROD}:root"}), allow(Principal="*"))
    assert decide(req(ev.Principal("anonymous")), [], bucket).decision == ev.EXPLICIT_DENY


def test_notaction_allow_matches_every_other_action():
    """Rule: Allow with NotAction allows every action except those listed."""
    policy = doc({"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"})
    assert decide(req(), [policy]).allowed
    assert not decide(req(action="s3:DeleteObject"), [policy]).allowed


def test_notaction_deny_denies_every_other_action():
    """Rule: Deny with NotAction denies everything except the listed actions."""
    policy = doc(allow("*", "*"), {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"})
    assert decide(req(), [policy]).allowed
    assert decide(req(action="s3:PutObject"), [policy]).decision == ev.EXPLICIT_DENY


def test_notresource_matches_every_other_resource():
    """Rule: NotResource matches every resource except those listed."""
    policy = doc({"Effect": "Deny", "Action": "s3:*", "NotResource": [BUCKET, f"{BUCKET}/*"]}, allow("s3:*", "*"))
    assert decide(req(), [policy]).allowed
    assert decide(req(resource="arn:aws:s3:::elsewhere/x"), [policy]).decision == ev.EXPLICIT_DENY


# --- Action and Resource matching ------------------------------------------------------------------------------


def test_action_wildcard_and_case_insensitivity():
    """Rule: action names are case-insensitive and accept * and ? wildcards."""
    assert decide(req(action="s3:GetObject"), [doc(allow("S3:get*"))]).allowed
    assert decide(req(action="s3:GetObject"), [doc(allow("s3:GetObjec?"))]).allowed
    assert not decide(req(action="s3:GetObjectAcl"), [doc(allow("s3:GetObjec?"))]).allowed


def test_action_star_matches_every_service():
    """Rule: Action "*" matches every action of every service."""
    assert decide(req(action="kms:Decrypt", resource=KEY), [doc(allow("*", "*"))]).allowed


def test_resource_is_case_sensitive():
    """Rule: resource ARNs are matched case-sensitively."""
    assert not decide(req(), [doc(allow(resource=OBJECT.upper()))]).allowed


def test_resource_wildcard_spans_slashes():
    """Rule: * in a Resource matches any characters, including / (arn:aws:s3:::bucket/* covers every key)."""
    assert decide(req(resource=f"{BUCKET}/a/b/c"), [doc(allow(resource=f"{BUCKET}/*"))]).allowed


def test_bucket_arn_does_not_cover_objects():
    """Rule: arn:aws:s3:::bucket names the bucket only; object actions need arn:aws:s3:::bucket/*."""
    assert not decide(req(), [doc(allow(resource=BUCKET))]).allowed


def test_identity_statement_without_resource_matches_nothing():
    """Edge: an identity-policy statement without Resource or NotResource is invalid and grants nothing."""
    assert not decide(req(), [doc({"Effect": "Allow", "Action": "s3:GetObject"})]).allowed


def test_single_statement_object_and_scalar_lists():
    """Edge: Statement may be one object instead of a list; Action/Resource may be a string or a list."""
    policy = {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": OBJECT}}
    assert decide(req(), [policy]).allowed


def test_json_text_policies_are_parsed():
    """Edge: policies as JSON text (and URL-encoded, as IAM returns them) are accepted."""
    assert decide(req(), ['{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}']).allowed
    assert decide(req(), ["%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C"
                          "%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"]).allowed


# --- sts:AssumeRole ---------------------------------------------------------------------------------------------


def trust(**conditions_):
    return st.trust_policy([DEV], [DEV_PATTERN], "ext-id-123", **conditions_)


def assume(principal, external_id="ext-id-123", identity=(ALL,), trust_doc=None, **kw):
    context = {"sts:ExternalId": external_id} if external_id else {}
    request = ev.Request(principal, "sts:AssumeRole", ROLE, context, **kw)
    return ev.evaluate_assume_role(request, trust_doc or trust(), PROD, [("identity", d) for d in identity])


def test_assume_role_needs_the_trust_policy_across_accounts():
    """Rule: sts:AssumeRole across accounts needs the role's trust policy to allow the caller."""
    assert assume(role(DEV_SSO)).allowed


def test_assume_role_needs_the_identity_side_across_accounts():
    """Rule (cross-account): the caller's own account must allow sts:AssumeRole on the role as well."""
    assert not assume(role(DEV_SSO), identity=()).allowed


def test_assume_role_needs_the_trust_policy_within_the_account():
    """Rule: within the account, too, an identity Allow is not enough to assume a role; the trust policy decides."""
    d = assume(role(ADMIN))
    assert not d.allowed and "trust policy" in d.reason


def test_trust_naming_the_role_directly_needs_no_identity_policy_within_the_account():
    """Rule: a trust policy naming a same-account principal directly allows it without an identity policy."""
    trust_doc = doc({"Effect": "Allow", "Principal": {"AWS": ADMIN}, "Action": "sts:AssumeRole"})
    assert assume(role(ADMIN), identity=(), trust_doc=trust_doc).allowed


def test_root_user_cannot_assume_roles():
    """Rule: the account root user cannot call sts:AssumeRole."""
    assert not assume(ev.Principal("root", f"arn:aws:iam::{DEV}:root", DEV)).allowed


def test_external_id_must_match():
    """Rule: StringEquals sts:ExternalId fails without the external id or with another one."""
    assert not assume(role(DEV_SSO), external_id=None).allowed
    assert not assume(role(DEV_SSO), external_id="wrong").allowed


def test_principal_arn_pattern_pins_the_permission_set_role():
    """Rule: ArnLike aws:PrincipalArn narrows an account-root Principal to the matching roles (not their sessions)."""
    other = role(f"arn:aws:iam::{DEV}:role/OtherDeveloper")
    assert not assume(other).allowed
    assert assume(role(DEV_SSO, session_name="alice@example.com")).allowed


def test_principal_arn_pattern_matches_regional_sso_path():
    """Rule (DESIGN): the SSO pattern matches permission-set roles with and without a region segment in the path."""
    regional = f"arn:aws:iam::{DEV}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_DataDeveloper_abc"
    assert assume(role(regional)).allowed


def test_same_role_name_in_another_account_is_not_trusted():
    """Rule: Principal names the Development account; the same role path and name elsewhere is not trusted."""
    assert not assume(role(DEV_SSO.replace(DEV, OTHER))).allowed


def test_principal_org_id_condition():
    """Rule: StringEquals aws:PrincipalOrgID admits only principals of that organization."""
    trust_doc = trust(organization_id="o-abcdefghij")
    assert assume(role(DEV_SSO, org_id="o-abcdefghij"), trust_doc=trust_doc).allowed
    assert not assume(role(DEV_SSO, org_id="o-zzzzzzzzzz"), trust_doc=trust_doc).allowed
    assert not assume(role(DEV_SSO), trust_doc=trust_doc).allowed  # no organization: key missing


def test_mfa_condition_denies_identity_center_sessions():
    """Rule (DESIGN): Identity Center sessions carry no aws:MultiFactorAuthPresent, so Bool ... true denies them."""
    trust_doc = trust(require_mfa=True)
    assert not assume(role(DEV_SSO), trust_doc=trust_doc).allowed
    assert assume(ev.principal_from_arn(f"arn:aws:iam::{DEV}:user/bob", mfa=True),
                  trust_doc=doc({"Effect": "Allow", "Principal": {"AWS": DEV}, "Action": "sts:AssumeRole",
                                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})).allowed


def test_requested_region_is_the_sts_endpoint_region():
    """Rule (DESIGN): aws:RequestedRegion on sts:AssumeRole is the STS endpoint's region (global = us-east-1)."""
    trust_doc = trust(regions=["eu-west-1"])
    assert assume(role(DEV_SSO), trust_doc=trust_doc, region="eu-west-1").allowed
    assert not assume(role(DEV_SSO), trust_doc=trust_doc, region="us-east-1").allowed


# --- KMS --------------------------------------------------------------------------------------------------------


def key_policy():
    return st.key_policy(PROD, service_users=[{"principal_arns": [ROLE], "via_service": "s3"}])


def kms(principal, action="kms:Decrypt", via=None, identity=()):
    context = {"kms:ViaService": via} if via else {}
    request = ev.Request(principal, action, KEY, context)
    return ev.evaluate_kms(request, key_policy(), PROD, [("identity", d) for d in identity])


def test_kms_root_statement_enables_identity_policies():
    """Rule (KMS): the key policy's account-root statement lets identity policies grant use of the key."""
    assert kms(role(ADMIN), identity=[ALL]).allowed


def test_kms_needs_identity_allow_when_only_the_root_statement_applies():
    """Rule (KMS): through the root statement alone (no IAM Allow) the principal gets nothing."""
    assert not kms(role(ADMIN)).allowed


def test_kms_without_key_policy_allow_identity_is_not_enough():
    """Rule (KMS): no identity policy can grant access to a key whose key policy does not allow it (no root statement)."""
    request = ev.Request(role(ADMIN), "kms:Decrypt", KEY)
    no_root = doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:*", "Resource": "*"})
    assert not ev.evaluate_kms(request, no_root, PROD, [("identity", ALL)]).allowed


def test_kms_key_policy_naming_the_principal_suffices():
    """Rule (KMS): a key policy statement naming the principal directly allows it without an identity policy."""
    request = ev.Request(role(), "kms:Decrypt", KEY)
    direct = doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"})
    assert ev.evaluate_kms(request, direct, PROD, []).allowed


def test_kms_via_service_condition():
    """Rule (KMS): StringEquals kms:ViaService admits only requests that an AWS service makes on the caller's behalf."""
    identity = [st.role_permissions("data", ["s3:GetObject"], "", KEY)]
    assert kms(role(), via="s3.us-east-1.amazonaws.com", identity=identity).allowed
    assert not kms(role(), via=None, identity=identity).allowed


def test_kms_cross_account_needs_key_policy_and_identity():
    """Rule (KMS, cross-account): the key policy must allow the other account and its identity policy must allow too."""
    outsider = role(f"arn:aws:iam::{OTHER}:role/Reader")
    request = ev.Request(outsider, "kms:Decrypt", KEY)
    shared = doc({"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "kms:Decrypt", "Resource": "*"})
    assert ev.evaluate_kms(request, shared, PROD, [("identity", ALL)]).allowed
    assert not ev.evaluate_kms(request, shared, PROD, []).allowed
    assert not ev.evaluate_kms(request, key_policy(), PROD, [("identity", ALL)]).allowed


# --- service control policies ------------------------------------------------------------------------------------


def test_scp_deny_overrides_identity_allow():
    """Rule (SCP): an explicit Deny in a service control policy wins over every Allow."""
    scp = doc(deny("s3:*", "*"), allow("*", "*"))
    assert decide(req(), [ALL], scps=[("scp", scp)]).decision == ev.EXPLICIT_DENY


def test_scp_must_allow():
    """Rule (SCP): SCPs grant nothing but must allow the action; without an SCP Allow the request is denied."""
    scp = doc(allow("ec2:*", "*"))
    d = decide(req(), [ALL], scps=[("scp", scp)])
    assert not d.allowed and "service control policy" in d.reason


def test_scp_does_not_apply_to_management_account():
    """Rule (SCP): SCPs do not affect principals of the management account."""
    scp = doc(deny("s3:*", "*"))
    assert decide(req(), [ALL], scps=[("scp", scp)], management_account=True).allowed


def test_scp_applies_to_member_account_root():
    """Rule (SCP): SCPs restrict the root user of a member account as well."""
    root = ev.Principal("root", f"arn:aws:iam::{PROD}:root", PROD)
    assert decide(req(root), [], scps=[("scp", doc(deny("s3:*", "*"), allow("*", "*")))]).decision == ev.EXPLICIT_DENY


# --- condition operators ---------------------------------------------------------------------------------------


def test_string_equals_is_case_sensitive():
    """Rule: StringEquals is an exact, case-sensitive match."""
    assert cond("StringEquals", "aws:PrincipalTag/team", "data", {"aws:PrincipalTag/team": "data"})
    assert not cond("StringEquals", "aws:PrincipalTag/team", "data", {"aws:PrincipalTag/team": "Data"})


def test_string_equals_ignore_case():
    """Rule: StringEqualsIgnoreCase ignores case; StringNotEqualsIgnoreCase is its negation."""
    assert cond("StringEqualsIgnoreCase", "k:x", "DATA", {"k:x": "data"})
    assert not cond("StringNotEqualsIgnoreCase", "k:x", "DATA", {"k:x": "data"})


def test_string_like_wildcards():
    """Rule: StringLike accepts * (any run) and ? (one character), case-sensitively."""
    assert cond("StringLike", "s3:prefix", "home/*", {"s3:prefix": "home/alice/"})
    assert cond("StringLike", "s3:prefix", "v?", {"s3:prefix": "v1"})
    assert not cond("StringLike", "s3:prefix", "Home/*", {"s3:prefix": "home/alice/"})


def test_string_equals_treats_wildcards_literally():
    """Rule: StringEquals does not expand wildcards."""
    assert not cond("StringEquals", "s3:prefix", "home/*", {"s3:prefix": "home/alice"})


def test_multiple_values_are_ored():
    """Rule: several values for one key in a positive operator are ORed."""
    assert cond("StringEquals", "aws:RequestedRegion", ["eu-west-1", "us-east-1"], {"aws:RequestedRegion": "us-east-1"})


def test_negated_operator_with_multiple_values_is_nor():
    """Rule: StringNotEquals with several values is true only when the key equals none of them."""
    assert not cond("StringNotEquals", "aws:RequestedRegion", ["eu-west-1", "us-east-1"], {"aws:RequestedRegion": "us-east-1"})
    assert cond("StringNotEquals", "aws:RequestedRegion", ["eu-west-1", "us-east-1"], {"aws:RequestedRegion": "ap-south-1"})


def test_multiple_keys_and_operators_are_anded():
    """Rule: several keys under one operator, and several operators, are ANDed."""
    block = {"StringEquals": {"a:x": "1", "a:y": "2"}, "Bool": {"aws:SecureTransport": "true"}}
    assert conditions.evaluate(block, {"a:x": "1", "a:y": "2", "aws:securetransport": "true"})[0]
    assert not conditions.evaluate(block, {"a:x": "1", "a:y": "3", "aws:securetransport": "true"})[0]


def test_condition_key_names_are_case_insensitive():
    """Rule: condition key names are case-insensitive (values are not)."""
    assert conditions.evaluate({"StringEquals": {"AWS:PrincipalACCOUNT": PROD}}, {"aws:principalaccount": PROD})[0]


def test_missing_key_fails_positive_operators():
    """Rule: a key missing from the request context makes a positive operator false."""
    assert not cond("StringEquals", "sts:ExternalId", "x", {})
    assert not cond("ArnLike", "aws:SourceArn", "arn:*", {})


@pytest.mark.parametrize("operator", ["StringNotEquals", "StringNotLike", "ArnNotLike", "ArnNotEquals", "NumericNotEquals",
                                      "DateNotEquals", "NotIpAddress", "StringNotEqualsIgnoreCase"])
def test_missing_key_satisfies_negated_operators(operator):
    """Rule: negated operators match when the key is missing from the request context."""
    assert cond(operator, "aws:PrincipalArn", "arn:aws:iam::1:role/x", {})


def test_negated_principal_arn_deny_catches_anonymous_and_services():
    """Rule (DESIGN): ArnNotLike aws:PrincipalArn in a Deny also denies callers without the key (anonymous, services)."""
    bucket = st.document(st.bucket_statements("data-" + PROD, "X", access_role_arns=[ROLE]))
    for principal in (ev.Principal("anonymous"), ev.Principal("service", "cloudtrail.amazonaws.com")):
        assert decide(req(principal), [], bucket).decision == ev.EXPLICIT_DENY


def test_ifexists_is_true_when_the_key_is_missing():
    """Rule: ...IfExists operators are true when the key is missing, else behave as the base operator."""
    assert cond("StringEqualsIfExists", "ec2:InstanceType", "t3.micro", {})
    assert not cond("StringEqualsIfExists", "ec2:InstanceType", "t3.micro", {"ec2:InstanceType": "m5.large"})


def test_deny_with_ifexists_denies_uploads_without_the_header():
    """Edge: a Deny with StringNotEqualsIfExists on the SSE header applies to uploads that send no header."""
    policy = doc(deny("s3:PutObject", Principal="*",
                      Condition={"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}))
    assert decide(req(action="s3:PutObject"), [ALL], policy).decision == ev.EXPLICIT_DENY


def test_null_plus_string_not_equals_denies_only_a_wrong_header():
    """Rule: Null false (key present) ANDed with StringNotEquals denies only requests naming another value."""
    bucket = st.document(st.bucket_statements("data-" + PROD, "X", kms_key_arn=KEY))
    put = dict(action="s3:PutObject", resource=f"arn:aws:s3:::data-{PROD}/k")
    assert decide(req(**put), [ALL], bucket).allowed
    assert decide(req(context={"s3:x-amz-server-side-encryption": "aws:kms"}, **put), [ALL], bucket).allowed
    sse_s3 = req(context={"s3:x-amz-server-side-encryption": "AES256"}, **put)
    assert decide(sse_s3, [ALL], bucket).decision == ev.EXPLICIT_DENY
    other_key = req(context={"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY.replace("1234abcd", "99999999")}, **put)
    assert decide(other_key, [ALL], bucket).decision == ev.EXPLICIT_DENY


def test_null_operator():
    """Rule: Null true matches a missing key, Null false a present one."""
    assert cond("Null", "aws:TokenIssueTime", "true", {})
    assert not cond("Null", "aws:TokenIssueTime", "true", {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})
    assert cond("Null", "aws:TokenIssueTime", "false", {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"})


def test_bool_operator_and_boolean_values():
    """Rule: Bool compares true/false; JSON true and "true" are the same."""
    assert cond("Bool", "aws:SecureTransport", True, {"aws:SecureTransport": "true"})
    assert cond("Bool", "aws:SecureTransport", "false", {"aws:SecureTransport": "false"})
    assert not cond("Bool", "aws:MultiFactorAuthPresent", "true", {})


def test_bool_ifexists_false_denies_missing_mfa():
    """Rule: BoolIfExists aws:MultiFactorAuthPresent false is true when the key is missing (a Deny catches those too)."""
    assert cond("BoolIfExists", "aws:MultiFactorAuthPresent", "false", {})


def test_tls_deny_applies_over_plain_http():
    """Rule (S3): Deny with Bool aws:SecureTransport false denies every request over plain HTTP."""
    bucket = st.document(st.bucket_statements("data-" + PROD, "X", access_role_arns=[ROLE]))
    obj = f"arn:aws:s3:::data-{PROD}/k"
    assert decide(req(resource=obj), [], bucket).allowed
    assert decide(req(resource=obj, secure_transport=False), [], bucket).decision == ev.EXPLICIT_DENY


@pytest.mark.parametrize("operator,value,expected", [
    ("NumericEquals", "10", True), ("NumericNotEquals", "10", False), ("NumericLessThan", "11", True),
    ("NumericLessThanEquals", "10", True), ("NumericGreaterThan", "9.5", True), ("NumericGreaterThanEquals", "11", False),
])
def test_numeric_operators(operator, value, expected):
    """Rule: Numeric* operators compare numbers (integers and decimals)."""
    assert cond(operator, "s3:max-keys", value, {"s3:max-keys": "10"}) is expected


def test_numeric_operator_with_non_number_fails():
    """Edge: a Numeric* comparison with a value that is not a number does not match."""
    assert not cond("NumericLessThan", "s3:max-keys", "ten", {"s3:max-keys": "10"})


def test_mfa_age_numeric_condition():
    """Rule: NumericLessThan aws:MultiFactorAuthAge limits the age of the MFA sign-in; a missing age fails it."""
    assert cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600", {"aws:MultiFactorAuthAge": "120"})
    assert not cond("NumericLessThan", "aws:MultiFactorAuthAge", "3600", {})


@pytest.mark.parametrize("operator,expected", [
    ("DateLessThan", True), ("DateLessThanEquals", True), ("DateGreaterThan", False),
    ("DateGreaterThanEquals", False), ("DateEquals", False), ("DateNotEquals", True),
])
def test_date_operators(operator, expected):
    """Rule: Date* operators compare ISO 8601 dates."""
    assert cond(operator, "aws:CurrentTime", "2030-01-01T00:00:00Z", {"aws:CurrentTime": "2025-06-01T12:00:00Z"}) is expected


def test_date_operator_accepts_epoch_seconds():
    """Rule: Date* operators also accept epoch (UNIX) time."""
    assert cond("DateGreaterThan", "aws:EpochTime", "1700000000", {"aws:EpochTime": "1800000000"})


def test_current_time_comes_from_the_request():
    """Edge: aws:CurrentTime is the request time (a time-boxed grant expires)."""
    grant = doc(allow(Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
    assert decide(req(now=dt.datetime(2029, 12, 31, tzinfo=dt.timezone.utc)), [grant]).allowed
    assert not decide(req(now=dt.datetime(2030, 1, 2, tzinfo=dt.timezone.utc)), [grant]).allowed


def test_ip_address_and_not_ip_address():
    """Rule: IpAddress matches a CIDR range (IPv4 and IPv6); NotIpAddress is its negation."""
    assert cond("IpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "203.0.113.7"})
    assert cond("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db8::1"})
    assert cond("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", {"aws:SourceIp": "198.51.100.1"})
    assert not cond("NotIpAddress", "aws:SourceIp", ["198.51.100.0/24", "203.0.113.0/24"], {"aws:SourceIp": "198.51.100.1"})


def test_ip_address_single_host():
    """Rule: IpAddress accepts a single address (a /32)."""
    assert cond("IpAddress", "aws:SourceIp", "203.0.113.7", {"aws:SourceIp": "203.0.113.7"})


def test_arn_like_matches_each_part_separately():
    """Rule: ArnLike checks each of the six colon-separated ARN parts separately; * does not cross a colon."""
    assert cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin", {"aws:PrincipalArn": ADMIN})
    assert not cond("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*", {"aws:PrincipalArn": ADMIN})
    assert not cond("ArnLike", "aws:PrincipalArn", "arn:aws:*:role/Admin", {"aws:PrincipalArn": ADMIN})


def test_arn_equals_and_arn_not_equals():
    """Rule: ArnEquals matches the ARN; ArnNotEquals is its negation."""
    assert cond("ArnEquals", "aws:SourceArn", ROLE, {"aws:SourceArn": ROLE})
    assert cond("ArnNotEquals", "aws:SourceArn", ROLE, {"aws:SourceArn": ADMIN})


def test_arn_like_is_case_sensitive():
    """Rule: ArnLike is case-sensitive."""
    assert not cond("ArnLike", "aws:PrincipalArn", ADMIN.lower(), {"aws:PrincipalArn": ADMIN})


def test_principal_arn_of_a_session_is_the_role_arn():
    """Rule: for a role session, aws:PrincipalArn is the role's ARN (not the session ARN)."""
    keys = ev.Request(role(session_name="alice"), "s3:GetObject", OBJECT).context_keys()
    assert keys["aws:principalarn"] == ROLE and keys["aws:principaltype"] == "AssumedRole"


def test_for_any_value():
    """Rule: ForAnyValue: is true when at least one value of a multivalued key matches; false for a missing key."""
    assert cond("ForAnyValue:StringEquals", "aws:TagKeys", ["team", "owner"], {"aws:TagKeys": ["cost", "team"]})
    assert not cond("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], {"aws:TagKeys": ["cost"]})
    assert not cond("ForAnyValue:StringEquals", "aws:TagKeys", ["team"], {})


def test_for_all_values():
    """Rule: ForAllValues: is true when every value matches, and also when the key is missing or empty."""
    assert cond("ForAllValues:StringEquals", "aws:TagKeys", ["team", "owner"], {"aws:TagKeys": ["team"]})
    assert not cond("ForAllValues:StringEquals", "aws:TagKeys", ["team"], {"aws:TagKeys": ["team", "cost"]})
    assert cond("ForAllValues:StringEquals", "aws:TagKeys", ["team"], {})
    assert cond("ForAllValues:StringEquals", "aws:TagKeys", ["team"], {"aws:TagKeys": []})


def test_for_all_values_with_like():
    """Rule: set operators combine with other operators (ForAllValues:StringLike)."""
    assert cond("ForAllValues:StringLike", "aws:TagKeys", "project-*", {"aws:TagKeys": ["project-a", "project-b"]})


def test_unknown_operator_fails_the_condition():
    """Edge: a condition with an operator AWS does not know never matches."""
    assert not cond("StringSortOf", "k:x", "a", {"k:x": "a"})


# --- policy variables ------------------------------------------------------------------------------------------


def test_policy_variable_in_resource():
    """Rule: ${aws:username} in Resource is replaced by the caller's user name."""
    home = doc(allow(resource=f"{BUCKET}/home/${{aws:username}}/*"))
    alice = ev.principal_from_arn(USER)
    assert decide(req(alice, resource=f"{BUCKET}/home/alice/x"), [home]).allowed
    assert not decide(req(alice, resource=f"{BUCKET}/home/bob/x"), [home]).allowed


def test_policy_variable_in_condition_value():
    """Rule: policy variables are replaced in String condition values."""
    policy = doc(allow("s3:ListBucket", BUCKET, Condition={"StringLike": {"s3:prefix": "home/${aws:username}/*"}}))
    alice = ev.principal_from_arn(USER)
    assert decide(req(alice, "s3:ListBucket", BUCKET, {"s3:prefix": "home/alice/docs"}), [policy]).allowed
    assert not decide(req(alice, "s3:ListBucket", BUCKET, {"s3:prefix": "home/bob/"}), [policy]).allowed


def test_policy_variable_without_value_matches_nothing():
    """Rule: a policy variable with no value in the request (a role has no aws:username) makes the element not match."""
    home = doc(allow(resource=f"{BUCKET}/home/${{aws:username}}/*"))
    assert not decide(req(resource=f"{BUCKET}/home/x/y"), [home]).allowed


def test_policy_variable_default_value():
    """Rule: ${key, 'default'} uses the default when the key has no value."""
    home = doc(allow(resource=f"{BUCKET}/home/${{aws:username, 'shared'}}/*"))
    assert decide(req(resource=f"{BUCKET}/home/shared/y"), [home]).allowed


def test_principal_tag_variable():
    """Rule: ${aws:PrincipalTag/<key>} is replaced by the principal's tag value."""
    policy = doc(allow(resource=f"{BUCKET}/teams/${{aws:PrincipalTag/team}}/*"))
    assert decide(req(role(tags={"team": "data"}), resource=f"{BUCKET}/teams/data/x"), [policy]).allowed


def test_special_character_variables_are_literal():
    """Rule: ${*}, ${?} and ${$} stand for the literal characters, not wildcards."""
    literal = doc(allow(resource=f"{BUCKET}/a${{*}}b"))
    assert decide(req(resource=f"{BUCKET}/a*b"), [literal]).allowed
    assert not decide(req(resource=f"{BUCKET}/axxb"), [literal]).allowed


def test_variables_are_literal_in_version_2008():
    """Rule: policy variables are replaced only in policies with Version 2012-10-17; older versions take them literally."""
    old = doc(allow(resource=f"{BUCKET}/home/${{aws:username}}/*"), version="2008-10-17")
    alice = ev.principal_from_arn(USER)
    assert not decide(req(alice, resource=f"{BUCKET}/home/alice/x"), [old]).allowed
    assert decide(req(alice, resource=f"{BUCKET}/home/${{aws:username}}/x"), [old]).allowed


def test_missing_version_means_2008():
    """Rule: a policy without Version is read as 2008-10-17 (variables are not replaced)."""
    policy = {"Statement": [allow(resource=f"{BUCKET}/home/${{aws:username}}/*")]}
    assert not decide(req(ev.principal_from_arn(USER), resource=f"{BUCKET}/home/alice/x"), [policy]).allowed


# --- the deployed design, end to end ------------------------------------------------------------------------


def test_deployed_bucket_policy_denies_production_administrators():
    """Rule (same account): only an explicit Deny restricts other Production principals; the deployed policy has one."""
    bucket = st.document(st.bucket_statements("data-" + PROD, "X", access_role_arns=[ROLE]))
    obj = f"arn:aws:s3:::data-{PROD}/k"
    assert decide(req(role(ADMIN), resource=obj), [ALL], bucket).decision == ev.EXPLICIT_DENY
    assert decide(req(role(), resource=obj), [], bucket).allowed


def test_allow_only_bucket_policy_restricts_nobody_in_the_account():
    """Rule (same account): an Allow-only bucket policy does not stop an administrator whose identity policy allows."""
    bucket = doc(allow(Principal={"AWS": ROLE}))
    assert decide(req(role(ADMIN)), [ALL], bucket).allowed


def test_break_glass_principal_is_exempt_from_the_deny():
    """Rule: ArnNotLike lists exempt principals; the break-glass role is not denied and its identity policy allows."""
    glass = f"arn:aws:iam::{PROD}:role/BreakGlass"
    bucket = st.document(st.bucket_statements("data-" + PROD, "X", access_role_arns=[ROLE], exempt_principal_arns=[glass]))
    assert decide(req(role(glass), resource=f"arn:aws:s3:::data-{PROD}/k"), [ALL], bucket).allowed


def test_decision_lists_the_deciding_statements():
    """Edge: the decision names the deciding statements by policy and Sid."""
    bucket = st.document(st.bucket_statements("data-" + PROD, "X", access_role_arns=[ROLE]))
    d = decide(req(role(ADMIN), resource=f"arn:aws:s3:::data-{PROD}/k"), [ALL], bucket, resource_policy_name="bucket policy")
    assert {"policy": "bucket policy", "sid": "XDenyOtherPrincipals", "effect": "Deny"} in d.as_dict()["deciding"]
