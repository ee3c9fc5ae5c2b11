"""Helpers for integration tests: boto3 clients and real Ansible runs against the local AWS emulator.

The emulator URL is read from the environment variable AWS_EMULATOR_URL at call time; the session fixture
`emulator_url` (tests/conftest.py) sets it when it starts its own emulator. Only loopback endpoints are
accepted, so nothing here can reach real AWS.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable) if os.path.exists(
    os.path.join(os.path.dirname(sys.executable), "ansible")
) else os.path.join(ROOT, ".venv", "bin")
REGION = "us-east-1"
EMULATOR_SECRET = "emulator-not-a-secret"  # ministack ignores the secret; the access key id picks the account

# Environment variables that could point a run at real AWS; removed from every subprocess.
_REAL_AWS_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY",
    "EC2_ACCESS_KEY",
    "EC2_SECRET_KEY",
    "EC2_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


def emulator_url():
    url = os.environ.get("AWS_EMULATOR_URL")
    if not url:
        raise RuntimeError("AWS_EMULATOR_URL is not set; use the `emulator_url` fixture or `make test`")
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(f"AWS_EMULATOR_URL must be a loopback address, got {url}")
    return url.rstrip("/")


@contextlib.contextmanager
def local_server(script, env, what):
    """Start scripts/<script> (emulator.py or moto_server.py) with `env`, and stop it on exit, also on failure."""
    import pytest

    path = os.path.join(ROOT, "scripts", script)
    start = subprocess.run([sys.executable, path, "start"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    try:
        if start.returncode != 0:
            pytest.fail(f"could not start {what}:\n{start.stdout}\n{start.stderr}")
        yield
    finally:
        subprocess.run([sys.executable, path, "stop"], cwd=ROOT, env=env, capture_output=True, check=False)


def aws_client(service, account_id, **kwargs):
    """A boto3 client for `service` acting in `account_id` on the emulator."""
    import boto3

    return boto3.client(
        service,
        endpoint_url=emulator_url(),
        region_name=REGION,
        aws_access_key_id=str(account_id),
        aws_secret_access_key=EMULATOR_SECRET,
        **kwargs,
    )


def _ansible_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in _REAL_AWS_ENV}
    env.update(
        ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(
            [os.path.join(ROOT, ".build", "collections"), "~/.ansible/collections", "/usr/share/ansible/collections"]
        ),
        # region/endpoint for anything that falls back to the environment
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        PYTHONUNBUFFERED="1",
    )
    port = urlparse(emulator_url()).port
    if port:
        env["EMULATOR_PORT"] = str(port)  # inventory/group_vars/all/local_endpoint.yml reads it
    if extra:
        env.update(extra)
    return env


def run_module(module_fqcn, args, account_id, check=False, diff=False, extra_env=None, aws_connection=True):
    """Run ONE module through real Ansible (`ansible localhost -m <fqcn>`) and return its result dict.

    Connection options (endpoint_url, access_key, secret_key, region) are injected unless `args` sets them,
    or `aws_connection=False` (a module that makes no AWS call, such as cli_profile; account_id is then unused).
    The result is taken from the `ansible.posix.json` stdout callback; it contains `changed`, `failed`,
    `msg`, the module's return values and `diff` when diff=True and the module reports one.
    """
    module_args = dict(args or {})
    if aws_connection:
        module_args.setdefault("endpoint_url", emulator_url())
        module_args.setdefault("access_key", str(account_id))
        module_args.setdefault("secret_key", EMULATOR_SECRET)
        module_args.setdefault("region", REGION)
    cmd = [
        os.path.join(VENV_BIN, "ansible"),
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        json.dumps({"ansible_python_interpreter": sys.executable}),
        "-m",
        module_fqcn,
        "-a",
        json.dumps(module_args),
    ]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    env = _ansible_env(
        dict(
            ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_JSON_INDENT="0",
        )
    )
    if extra_env:
        env.update(extra_env)
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    try:
        doc = json.loads(proc.stdout)
        result = doc["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise RuntimeError(
            f"could not parse ansible output (rc={proc.returncode}, {exc!r})\n"
            f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
        ) from None
    result = dict(result)
    result.setdefault("changed", False)
    result.setdefault("failed", False)
    result["_rc"] = proc.returncode
    result["_stderr"] = proc.stderr
    return result


_RECAP_LINE = re.compile(r"^(?P<host>\S+)\s+:\s+(?P<counts>(?:\w+=\d+\s*)+)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_recap(stdout):
    """Parse the PLAY RECAP of ansible-playbook output into {host: {ok: int, changed: int, failed: int, ...}}."""
    recap = {}
    in_recap = False
    for line in _ANSI.sub("", stdout).splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            recap = {}  # the last recap wins
            continue
        if not in_recap:
            continue
        m = _RECAP_LINE.match(line.strip())
        if m:
            recap[m.group("host")] = {
                k: int(v) for k, v in (kv.split("=") for kv in m.group("counts").split())
            }
        elif line.strip():
            in_recap = False
    return recap


def run_playbook(path, extra_vars=None, check=False, diff=False, limit=None, inventory="inventory/", extra_env=None):
    """Run ansible-playbook with the project inventory against the emulator. Returns (rc, stdout, recap)."""
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    cmd = [os.path.join(VENV_BIN, "ansible-playbook"), path, "-i", os.path.join(ROOT, inventory)]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if limit:
        cmd += ["--limit", limit if isinstance(limit, str) else ",".join(limit)]
    env = _ansible_env(dict(ANSIBLE_STDOUT_CALLBACK="default"))
    if extra_env:
        env.update(extra_env)
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=1800, check=False
    )
    return proc.returncode, proc.stdout, parse_recap(proc.stdout)
