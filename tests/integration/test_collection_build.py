"""The built collection, as a user gets it: `ansible-galaxy collection build`, install the tarball into an empty
collections path, run the deploy and cleanup playbooks *from the installed collection* against the emulator.

The checkout is not on the collections path of these runs (only the install dir, plus site-packages for
amazon.aws), so a file the tarball lacks fails the run.
"""

import json
import os
import re
import shutil
import subprocess
import tarfile

import pytest
from helpers import ROOT, VENV_BIN, _ansible_env, parse_recap

PROD, DEV = "222222222222", "111111111111"

# What must never ship: tests, the emulator and its settings, development and controller-project files.
FORBIDDEN = re.compile(
    r"^(tests|scripts|extensions|awx|collections|\.ci|\.venv[^/]*|\.build|\.emulator|\.ansible|\.git|reports|"
    r"changelogs/fragments)(/|$)"
    r"|^(Makefile|ansible\.cfg|requirements[^/]*\.txt|execution-environment\.yml|\.ansible-lint|\.gitignore)$"
    r"|^inventory/group_vars/all/local_endpoint\.yml$"
    r"|(^|/)__pycache__(/|$)|\.pyc$"
)


def _run(cmd, env, cwd, timeout=1800):
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False
    )
    return proc.returncode, proc.stdout


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    rc, log = _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out), ROOT],
                   env=_ansible_env(), cwd=ROOT, timeout=300)
    assert rc == 0, log
    (path,) = out.glob("cross_account-aws-*.tar.gz")
    return path


def test_tarball_holds_the_collection_and_nothing_else(tarball):
    with tarfile.open(tarball) as tar:
        names = [m.name for m in tar.getmembers()]
        texts = {
            m.name: tar.extractfile(m).read().decode("utf-8", "replace")
            for m in tar.getmembers()
            if m.isfile() and m.name.endswith((".py", ".yml", ".yaml", ".j2", ".json"))
        }
    for required in ("MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.rst", "meta/runtime.yml",
                     "playbooks/deploy.yml", "playbooks/verify.yml", "playbooks/cleanup.yml",
                     "roles/prod_account/meta/argument_specs.yml", "roles/dev_account/tasks/main.yml",
                     "roles/verify/tasks/main.yml", "plugins/modules/bucket.py", "plugins/module_utils/policy.py"):
        assert required in names, f"{required} missing from the tarball"
    leaked = sorted(n for n in names if FORBIDDEN.search(n))
    assert leaked == [], f"development files in the tarball: {leaked}"
    # No shipped playbook, role, module or inventory file points at the emulator.
    emulator = sorted(n for n, t in texts.items() if "127.0.0.1" in t or "ministack" in t)
    assert emulator == [], f"files referring to the local emulator: {emulator}"
    manifest = json.loads(texts["MANIFEST.json"])
    assert manifest["collection_info"]["dependencies"] == {"amazon.aws": ">=10.0.0"}


@pytest.mark.usefixtures("emulator_url")
def test_installed_tarball_deploys_and_cleans_up(tarball, tmp_path):
    colls = tmp_path / "collections"
    colls.mkdir()
    env = _ansible_env()
    # only the install dir; amazon.aws comes from the ansible package in site-packages (collections_scan_sys_path)
    env.update(ANSIBLE_COLLECTIONS_PATH=str(colls), ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"))
    (tmp_path / "ansible.cfg").write_text("[defaults]\nretry_files_enabled = False\nhost_key_checking = False\n")

    # --no-deps: no Galaxy here; amazon.aws (>=10) is already installed with the ansible package
    rc, log = _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(colls),
                    str(tarball)], env=env, cwd=str(tmp_path), timeout=300)
    assert rc == 0, log
    installed = colls / "ansible_collections" / "cross_account" / "aws"
    assert (installed / "MANIFEST.json").is_file()
    assert not (installed / "tests").exists()

    rc, log = _run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "list", "--format", "json"],
                   env=env, cwd=str(tmp_path), timeout=120)
    assert rc == 0, log
    found = {path: list(colls_) for path, colls_ in json.loads(log[log.index("{"):]).items()}
    where = sorted(path for path, names in found.items() if "cross_account.aws" in names)
    assert where == [str(colls / "ansible_collections")], found
    assert any("amazon.aws" in names for names in found.values())

    # The user's inventory: the example shipped in the collection, plus the emulator endpoint (test-only).
    inventory = tmp_path / "inventory"
    shutil.copytree(installed / "inventory", inventory)
    shutil.copy(os.path.join(ROOT, "inventory", "group_vars", "all", "local_endpoint.yml"),
                inventory / "group_vars" / "all" / "local_endpoint.yml")

    def playbook(name, *args):
        return _run([os.path.join(VENV_BIN, "ansible-playbook"), f"cross_account.aws.{name}", "-i", str(inventory),
                     *args], env=env, cwd=str(tmp_path))

    try:
        rc, out = playbook("deploy")
        assert rc == 0, out
        recap = parse_recap(out)
        assert recap["prod-main"]["failed"] == 0 and recap["dev-main"]["failed"] == 0, out
        assert "Read back the same" in out, out
    finally:
        rc, out = playbook("cleanup", "-e", json.dumps({"prod_account_cleanup_delete_data": True,
                                                       "prod_account_cleanup_delete_audit_logs": True}))
    assert rc == 0, out
    assert "Nothing was kept." in out, out
