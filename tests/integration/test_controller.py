"""The AWX / Automation Controller path, run here the way the controller runs a job.

- ansible-runner with a private data directory: the project's playbooks in project/, a controller-style inventory
  (account ids templated from the survey answers, no keys in it), the survey answers in env/extravars and the
  AWS credential injected as environment variables in env/envvars (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN), exactly what awx/configure_controller.yml sets up.
- One job per account (`--limit`, as a sliced job or a workflow node with that account's credential): in the
  emulator the access key id selects the account. deploy, verify and cleanup each run for prod-main and dev-main.
- The job events and stdout (at -vvv) must hold neither the secret key nor the session token.
- ansible-builder 3 renders the execution environment's build context (offline).
"""

import json
import os
import shutil
import subprocess
import uuid

import pytest
import yaml
from helpers import ROOT, VENV_BIN, _ansible_env, emulator_url, parse_recap

PROD, DEV = "222222222222", "111111111111"
EXTERNAL_ID = "xacct-awx-survey-7c1e"


def _version():
    with open(os.path.join(ROOT, "galaxy.yml")) as f:
        return yaml.safe_load(f)["version"]


# --------------------------------------------------------------------------- execution environment


def test_execution_environment_renders_with_ansible_builder(tmp_path):
    env = _ansible_env()
    dist = os.path.join(ROOT, ".build", "dist")
    rc = subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", "--force", "--output-path",
                         dist, ROOT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert rc.returncode == 0, rc.stdout + rc.stderr
    with open(os.path.join(ROOT, "execution-environment.yml")) as f:
        ee = yaml.safe_load(f)
    assert ee["version"] == 3
    tarball = f"cross_account-aws-{_version()}.tar.gz"
    assert ee["additional_build_files"][0]["src"].endswith(tarball), "execution-environment.yml: version not galaxy.yml's"

    context = tmp_path / "context"
    proc = subprocess.run([os.path.join(VENV_BIN, "ansible-builder"), "create", "-f", "execution-environment.yml",
                           "-c", str(context), "--output-filename", "Containerfile"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert (context / "_build" / "collections" / tarball).is_file()
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    names = [c["name"] for c in galaxy["collections"]]
    assert "amazon.aws" in names and f"collections/{tarball}" in names
    pip = (context / "_build" / "requirements.txt").read_text()
    assert "boto3==" in pip and "botocore==" in pip


def test_controller_requirements_name_both_collections():
    with open(os.path.join(ROOT, "collections", "requirements.yml")) as f:
        names = [c["name"] for c in yaml.safe_load(f)["collections"]]
    assert names == ["amazon.aws", "cross_account.aws"]


# --------------------------------------------------------------------------- ansible-runner jobs


def _private_data_dir(tmp_path):
    """A private data directory as the controller lays it out for a job."""
    pdd = tmp_path / "pdd"
    shutil.copytree(os.path.join(ROOT, "playbooks"), pdd / "project" / "playbooks")
    # the group variables of the project's inventory (shared names, trust derivation), but not its emulator keys
    shutil.copytree(os.path.join(ROOT, "inventory", "group_vars"), pdd / "inventory" / "group_vars",
                    ignore=shutil.ignore_patterns("local_endpoint.yml"))
    with open(os.path.join(ROOT, "inventory", "group_vars", "all", "local_endpoint.yml")) as f:
        local = yaml.safe_load(f)
    inventory = {
        "all": {
            "vars": dict(
                ansible_connection="local",
                ansible_python_interpreter="{{ ansible_playbook_python }}",
                # the emulator endpoint and its stand-in for the developer's permission-set role; no keys
                aws_endpoint_url=emulator_url(),
                cross_account_developer_session_role_arn=local["cross_account_developer_session_role_arn"],
                dev_account_attach_to_roles=local["dev_account_attach_to_roles"],
            ),
            "children": {
                "prod": {"hosts": {"prod-main": {"account_id": "{{ cross_account_prod_account_id }}"}}},
                "dev": {"hosts": {"dev-main": {"account_id": "{{ cross_account_dev_account_id }}",
                                               "prod_targets": ["prod-main"]}}},
            },
        }
    }
    (pdd / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (pdd / "env").mkdir()
    return pdd


def _job(pdd, ident, playbook, limit, account, secret, token, extravars=None):
    """One controller job: survey answers in env/extravars, the account's credential in env/envvars."""
    answers = {
        "cross_account_external_id": EXTERNAL_ID,
        "cross_account_prod_account_id": PROD,
        "cross_account_dev_account_id": DEV,
    }
    answers.update(extravars or {})
    (pdd / "env" / "extravars").write_text(yaml.safe_dump(answers))
    envvars = {
        "AWS_ACCESS_KEY_ID": account,  # the emulator picks the account from a 12-digit access key id
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_SESSION_TOKEN": token,
        "AWS_SECURITY_TOKEN": token,
        "AWS_DEFAULT_REGION": "us-east-1",
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"),
        "ANSIBLE_NOCOLOR": "1",
    }
    (pdd / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    env = {k: v for k, v in _ansible_env().items() if not k.startswith(("ANSIBLE_", "AWS_", "EMULATOR_"))}
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    proc = subprocess.run(
        [os.path.join(VENV_BIN, "ansible-runner"), "run", str(pdd), "-p", f"playbooks/{playbook}.yml",
         "--limit", limit, "--ident", ident, "-vvv"],
        cwd=str(pdd), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800, check=False,
    )
    artifacts = pdd / "artifacts" / ident
    stdout = (artifacts / "stdout").read_text() if (artifacts / "stdout").exists() else proc.stdout
    status = (artifacts / "status").read_text().strip() if (artifacts / "status").exists() else "missing"
    events = [(p.name, p.read_text()) for p in sorted((artifacts / "job_events").glob("*.json"))]
    return proc.returncode, status, stdout, events


@pytest.mark.usefixtures("emulator_url")
def test_runner_jobs_one_account_at_a_time_leak_no_secret(tmp_path):
    pdd = _private_data_dir(tmp_path)
    secret = f"awx-secret-{uuid.uuid4().hex}"
    token = f"awx-session-token-{uuid.uuid4().hex}"
    delete_all = {"prod_account_cleanup_delete_data": "true", "prod_account_cleanup_delete_audit_logs": "true"}
    jobs = [
        ("deploy", "prod-main", PROD, None),
        ("deploy", "dev-main", DEV, None),  # deploy.yml ends with verify.yml: the developer's upload runs here
        ("verify", "prod-main", PROD, None),
        ("verify", "dev-main", DEV, None),
        ("cleanup", "dev-main", DEV, None),
        ("cleanup", "prod-main", PROD, delete_all),  # survey answers are strings
    ]
    failures, leaks, done = [], [], []
    try:
        for playbook, host, account, extra in jobs:
            ident = f"{playbook}-{host}"
            rc, status, stdout, events = _job(pdd, ident, playbook, host, account, secret, token, extra)
            done.append(ident)
            recap = parse_recap(stdout)
            if rc != 0 or status != "successful" or set(recap) != {host} or recap[host]["failed"]:
                failures.append(f"{ident}: rc={rc} status={status} recap={recap}\n{stdout[-6000:]}")
                break
            assert events, f"{ident}: no job events"
            assert any(json.loads(text).get("event") == "runner_on_ok" for _name, text in events), ident
            for name, text in [("stdout", stdout)] + events:
                for label, value in (("secret key", secret), ("session token", token)):
                    if value in text:
                        leaks.append(f"{ident}/{name}: {label}")
            if playbook == "verify" and host == "dev-main":
                assert "Read back the same" in stdout, stdout[-4000:]
            if playbook == "cleanup" and host == "prod-main":
                assert "Nothing was kept." in stdout, stdout[-4000:]
    finally:
        if "cleanup-prod-main" not in done:  # leave the shared emulator clean for the other tests
            for host, account, extra in (("dev-main", DEV, None), ("prod-main", PROD, delete_all)):
                _job(pdd, f"teardown-{host}", "cleanup", host, account, secret, token, extra)
    assert not failures, failures[0]
    assert not leaks, leaks
