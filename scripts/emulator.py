#!/usr/bin/env python3
"""Start, seed, stop and inspect the local AWS emulator (ministack) on 127.0.0.1.

Standard library only; run it with any python3 (3.9+):

    python3 scripts/emulator.py start|seed|stop|status

Environment:
    EMULATOR_PORT           port to listen on (default 4566); the server binds 127.0.0.1 only
    EMULATOR_START_TIMEOUT  seconds to wait for the health check (default 60)
    DEV_ACCOUNT_ID          Development account that receives the seeded stand-in role (default 111111111111)
    PROJECT_PYTHON          python with boto3 used for seeding (default .venv/bin/python)
    EMULATOR_NO_SEED=1      `start` skips seeding
    EMULATOR_AUTH=1         policy enforcement on (ministack AUTH=true); default off
    EMULATOR_TLS_CERT, EMULATOR_TLS_KEY
                            serve HTTPS with this certificate and key (PEM; ministack USE_SSL=1); `status`,
                            the health check and seeding trust EMULATOR_TLS_CA (default: the certificate)
    EMULATOR_INSECURE_PORT  with TLS, also serve plain HTTP on this port (for probes of TLS-only policies)

ministack gets its own virtualenv (.venv-emulator) because it pins its own botocore.
Nothing here ever talks to real AWS.
"""

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "127.0.0.1"
EMU_VENV = os.path.join(ROOT, ".venv-emulator")
EMU_REQUIREMENTS = os.path.join(ROOT, "requirements-emulator.txt")
EMU_MARKER = os.path.join(EMU_VENV, ".requirements.sha256")
STATE_DIR = os.path.join(ROOT, ".emulator")
SEED_SCRIPT = os.path.join(ROOT, "scripts", "seed_emulator.py")


def port():
    value = os.environ.get("EMULATOR_PORT", "") or "4566"
    if not value.isdigit() or not 0 < int(value) < 65536:
        die(f"EMULATOR_PORT must be a TCP port number, got {value!r}")
    return int(value)


def tls():
    """(cert, key, ca) when EMULATOR_TLS_CERT/_KEY are set, else None."""
    cert, key = os.environ.get("EMULATOR_TLS_CERT", ""), os.environ.get("EMULATOR_TLS_KEY", "")
    if not (cert or key):
        return None
    if not (cert and key and os.path.exists(cert) and os.path.exists(key)):
        die("EMULATOR_TLS_CERT and EMULATOR_TLS_KEY must both name existing PEM files")
    return cert, key, os.environ.get("EMULATOR_TLS_CA") or cert


def url(p):
    return f"{'https' if tls() else 'http'}://{HOST}:{p}"


def pid_file(p):
    return os.path.join(STATE_DIR, f"ministack-{p}.pid")


def log_file(p):
    return os.path.join(STATE_DIR, f"ministack-{p}.log")


def say(msg):
    print(f"emulator: {msg}", flush=True)


def die(msg, code=1):
    print(f"emulator: ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


# --------------------------------------------------------------------------- venv


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def ensure_venv():
    """Create .venv-emulator and install requirements-emulator.txt unless already done for this file."""
    wanted = _sha256(EMU_REQUIREMENTS)
    py = os.path.join(EMU_VENV, "bin", "python")
    if os.path.exists(py) and os.path.exists(EMU_MARKER):
        with open(EMU_MARKER) as f:
            if f.read().strip() == wanted:
                return py
    say(f"installing {os.path.basename(EMU_REQUIREMENTS)} into {os.path.relpath(EMU_VENV, ROOT)} ...")
    if not os.path.exists(py):
        venv.EnvBuilder(with_pip=True, clear=False).create(EMU_VENV)
    rc = subprocess.call(
        [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", EMU_REQUIREMENTS]
    )
    if rc != 0:
        die(f"pip install -r {EMU_REQUIREMENTS} failed (exit {rc})")
    with open(EMU_MARKER, "w") as f:
        f.write(wanted + "\n")
    return py


# --------------------------------------------------------------------------- process helpers


def port_in_use(p):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, p)) == 0


def read_pid(p):
    try:
        with open(pid_file(p)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def is_our_server(pid):
    """True if pid is alive and is a hypercorn/ministack process (guards against PID reuse)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ")
        return b"ministack" in cmd or b"hypercorn" in cmd
    except OSError:
        return True  # no /proc (e.g. macOS): trust the pid file


def health(p, timeout=2.0):
    try:
        context = None
        if tls():
            import ssl

            context = ssl.create_default_context(cafile=tls()[2])
        with urllib.request.urlopen(url(p) + "/_ministack/health", timeout=timeout, context=context) as r:
            body = r.read().decode("utf-8", "replace")
        try:
            return json.loads(body)
        except ValueError:
            return {"raw": body}
    except (urllib.error.URLError, OSError, ValueError):
        return None


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


# --------------------------------------------------------------------------- commands


def server_options(env):
    """hypercorn options (and ministack environment in ``env``) for EMULATOR_AUTH and TLS."""
    env["AUTH"] = "true" if os.environ.get("EMULATOR_AUTH") == "1" else "false"
    material = tls()
    if not material:
        env.pop("USE_SSL", None)
        return []
    # ministack's own USE_SSL path generates a shared self-signed certificate under $TMPDIR; hand it ours.
    env.update(USE_SSL="1", MINISTACK_SSL_CERT=material[0], MINISTACK_SSL_KEY=material[1])
    options = ["--certfile", material[0], "--keyfile", material[1]]
    insecure = os.environ.get("EMULATOR_INSECURE_PORT", "")
    if insecure:
        if not insecure.isdigit():
            die(f"EMULATOR_INSECURE_PORT must be a TCP port number, got {insecure!r}")
        options += ["--insecure-bind", f"{HOST}:{insecure}"]
    return options


def cmd_start():
    p = port()
    os.makedirs(STATE_DIR, exist_ok=True)
    pid = read_pid(p)
    if pid and is_our_server(pid):
        die(f"already running on {url(p)} (pid {pid}); run `stop` first", code=2)
    if pid:
        os.unlink(pid_file(p))  # stale
    if port_in_use(p):
        die(f"port {p} on {HOST} is already in use by another process; set EMULATOR_PORT to a free port", code=2)

    py = ensure_venv()
    env = dict(os.environ)
    env.update(
        BIND_HOST=HOST,
        GATEWAY_PORT=str(p),
        CLOUDTRAIL_RECORDING="1",
        SFTP_HOST=HOST,  # any auxiliary listener stays on loopback too
        STATE_DIR=os.path.join(STATE_DIR, f"state-{p}"),
        PERSIST_STATE="0",
    )
    # never let the emulator (or a ministack helper) pick up the caller's real AWS credentials
    for k in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    log = open(log_file(p), "ab")
    proc = subprocess.Popen(
        [py, "-m", "hypercorn", "ministack.app:app", "--bind", f"{HOST}:{p}"] + server_options(env),
        cwd=STATE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # own process group: `stop` ends hypercorn and its workers together
    )
    log.close()
    with open(pid_file(p), "w") as f:
        f.write(f"{proc.pid}\n")

    timeout = float(os.environ.get("EMULATOR_START_TIMEOUT", "60"))
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            os.unlink(pid_file(p))
            die(
                f"ministack exited with code {proc.returncode} before answering; "
                f"last lines of {log_file(p)}:\n{tail(log_file(p))}"
            )
        h = health(p)
        if h is not None:
            break
        if time.monotonic() > deadline:
            _stop_pid(proc.pid, p)
            die(
                f"ministack did not answer {url(p)}/_ministack/health within {timeout:.0f}s; "
                f"last lines of {log_file(p)}:\n{tail(log_file(p))}"
            )
        time.sleep(0.3)
    say(f"ministack running on {url(p)} (pid {proc.pid}, log {os.path.relpath(log_file(p), ROOT)})")
    if os.environ.get("EMULATOR_NO_SEED") != "1":
        rc = cmd_seed()
        if rc != 0:
            _stop_pid(proc.pid, p)  # a failed start leaves nothing running
            say(f"seeding failed (exit {rc}); emulator stopped")
            return rc
    return 0


def cmd_seed():
    p = port()
    if health(p) is None:
        die(f"no emulator answers on {url(p)}; run `start` first")
    py = os.environ.get("PROJECT_PYTHON") or os.path.join(ROOT, ".venv", "bin", "python")
    if not os.path.exists(py):
        die(f"{py} not found; seeding needs the project venv with boto3 (run `make venv`)")
    env = dict(os.environ, AWS_EMULATOR_URL=url(p))
    if tls():
        env["AWS_CA_BUNDLE"] = tls()[2]
    return subprocess.call([py, SEED_SCRIPT], env=env)


def _gone(pid, wait):
    """Wait up to `wait` seconds for process group `pid` to be empty; reap the leader if it is our child."""
    deadline = time.monotonic() + wait
    while True:
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass  # not our child: poll it
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _stop_pid(pid, p):
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)  # the process group created by start_new_session (hypercorn + workers)
        except ProcessLookupError:
            break
        if _gone(pid, wait):
            break
    # the group's worker processes may outlive the master briefly: wait for the port to be free
    deadline = time.monotonic() + 5.0
    while port_in_use(p) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        os.unlink(pid_file(p))
    except FileNotFoundError:
        pass


def cmd_stop():
    p = port()
    pid = read_pid(p)
    if pid is None:
        say(f"not running on port {p} (no pid file)")
        return 0
    if not is_our_server(pid):
        say(f"not running on port {p} (stale pid file, pid {pid}); removed")
        os.unlink(pid_file(p))
        return 0
    _stop_pid(pid, p)
    if port_in_use(p):
        die(f"pid {pid} stopped but port {p} is still in use")
    say(f"stopped ministack on port {p} (pid {pid})")
    return 0


def cmd_status():
    p = port()
    pid = read_pid(p)
    alive = bool(pid and is_our_server(pid))
    h = health(p) if alive else None
    if alive and h is not None:
        say(f"running on {url(p)} (pid {pid})")
        print(json.dumps(h, indent=2, sort_keys=True))
        return 0
    if alive:
        say(f"process {pid} alive but {url(p)}/_ministack/health does not answer")
        return 1
    if port_in_use(p):
        say(f"not started by this project, but port {p} is in use by another process")
    else:
        say(f"not running on port {p}")
    return 3


def main(argv):
    commands = {"start": cmd_start, "seed": cmd_seed, "stop": cmd_stop, "status": cmd_status}
    if len(argv) != 2 or argv[1] not in commands:
        print(f"usage: {argv[0]} {{{'|'.join(commands)}}}", file=sys.stderr)
        return 64
    return commands[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
