"""Shared pytest fixtures. Everything runs against the local AWS emulator on 127.0.0.1, never real AWS.

Fixtures:
    emulator_url   session: AWS_EMULATOR_URL if set (must answer), else an emulator started on a free port
                   via scripts/emulator.py and stopped at the end of the session.
    aws_client     factory aws_client(service, account_id) -> boto3 client on the emulator.
    run_module     run_module(fqcn, args, account_id, check=False, diff=False) -> result dict (real Ansible).
    run_playbook   run_playbook(path, extra_vars=None, check=False, diff=False, limit=None) -> (rc, stdout, recap).
"""

import json
import os
import socket
import sys
import urllib.parse
import urllib.request

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS_DIR)

# `import helpers` from any test; and ansible_collections.cross_account.aws.* importable for unit tests
# (the namespace package merges with site-packages/ansible_collections, which holds amazon.aws).
sys.path.insert(0, os.path.join(TESTS_DIR, "integration"))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))

import helpers  # noqa: E402

DEV_ACCOUNT_ID = os.environ.get("DEV_ACCOUNT_ID") or "111111111111"
PROD_ACCOUNT_ID = "222222222222"


def _healthy(url):
    try:
        with urllib.request.urlopen(url + "/_ministack/health", timeout=3) as r:
            return json.loads(r.read() or b"{}") is not None
    except Exception:
        return False


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def emulator_url():
    url = os.environ.get("AWS_EMULATOR_URL")
    if url:
        url = url.rstrip("/")
        helpers.emulator_url()  # validates it is a loopback address
        if not _healthy(url):
            pytest.fail(f"AWS_EMULATOR_URL={url} does not answer /_ministack/health; start it with `make emulator-start`")
        yield url
        return

    port = _free_port()
    env = dict(os.environ, EMULATOR_PORT=str(port), PROJECT_PYTHON=sys.executable)
    url = f"http://127.0.0.1:{port}"
    with helpers.local_server("emulator.py", env, f"the emulator on port {port}"):
        os.environ["AWS_EMULATOR_URL"] = url
        try:
            yield url
        finally:
            os.environ.pop("AWS_EMULATOR_URL", None)


@pytest.fixture(scope="session")
def aws_client(emulator_url):
    return helpers.aws_client


@pytest.fixture(scope="session")
def run_module(emulator_url):
    return helpers.run_module


@pytest.fixture(scope="session")
def run_playbook(emulator_url):
    return helpers.run_playbook


@pytest.fixture(scope="session")
def dev_account_id():
    return DEV_ACCOUNT_ID


@pytest.fixture(scope="session")
def prod_account_id():
    return PROD_ACCOUNT_ID


@pytest.fixture(scope="session")
def moto_url():
    """A moto server on 127.0.0.1 for sso-admin / identitystore (ministack has neither).

    AWS_MOTO_URL if set (`make test` starts one through `scripts/with_server.sh moto`), else a server started on a
    free port via scripts/moto_server.py and stopped at the end of the session.
    """
    url = os.environ.get("AWS_MOTO_URL")
    if url:
        url = url.rstrip("/")
        if urllib.parse.urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            pytest.fail(f"AWS_MOTO_URL must be a loopback address, got {url}")
        yield url
        return
    port = _free_port()
    with helpers.local_server("moto_server.py", dict(os.environ, MOTO_PORT=str(port)), f"the moto server on port {port}"):
        yield f"http://127.0.0.1:{port}"
