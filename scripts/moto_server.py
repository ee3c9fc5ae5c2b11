#!/usr/bin/env python3
"""Start, stop and inspect a moto server on 127.0.0.1 for the IAM Identity Center tests.

ministack (scripts/emulator.py) has no sso-admin / identitystore; moto has both, so the tests of the
permission_set module run against it. Standard library only; run it with any python3 (3.9+):

    python3 scripts/moto_server.py start|stop|status

Environment:
    MOTO_PORT            port to listen on (default 4645); the server binds 127.0.0.1 only
    MOTO_START_TIMEOUT   seconds to wait for it to answer (default 60)

moto gets its own virtualenv (.venv-moto, from requirements-moto.txt): it pins its own boto3/botocore.
MOTO_ACCOUNT_ID is never set on the server (its default account, 123456789012, owns the instance).
Nothing here ever talks to real AWS.
"""

import hashlib
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
MOTO_VENV = os.path.join(ROOT, ".venv-moto")
MOTO_REQUIREMENTS = os.path.join(ROOT, "requirements-moto.txt")
MOTO_MARKER = os.path.join(MOTO_VENV, ".requirements.sha256")
STATE_DIR = os.path.join(ROOT, ".emulator")


def port():
    value = os.environ.get("MOTO_PORT", "") or "4645"
    if not value.isdigit() or not 0 < int(value) < 65536:
        die(f"MOTO_PORT must be a TCP port number, got {value!r}")
    return int(value)


def url(p):
    return f"http://{HOST}:{p}"


def pid_file(p):
    return os.path.join(STATE_DIR, f"moto-{p}.pid")


def log_file(p):
    return os.path.join(STATE_DIR, f"moto-{p}.log")


def say(msg):
    print(f"moto: {msg}", flush=True)


def die(msg, code=1):
    print(f"moto: ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


def ensure_venv():
    with open(MOTO_REQUIREMENTS, "rb") as f:
        wanted = hashlib.sha256(f.read()).hexdigest()
    py = os.path.join(MOTO_VENV, "bin", "python")
    if os.path.exists(py) and os.path.exists(MOTO_MARKER):
        with open(MOTO_MARKER) as f:
            if f.read().strip() == wanted:
                return py
    say(f"installing {os.path.basename(MOTO_REQUIREMENTS)} into {os.path.relpath(MOTO_VENV, ROOT)} ...")
    if not os.path.exists(py):
        venv.EnvBuilder(with_pip=True, clear=False).create(MOTO_VENV)
    rc = subprocess.call([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", MOTO_REQUIREMENTS])
    if rc != 0:
        die(f"pip install -r {MOTO_REQUIREMENTS} failed (exit {rc})")
    with open(MOTO_MARKER, "w") as f:
        f.write(wanted + "\n")
    return py


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
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"moto" in f.read()
    except OSError:
        return True  # no /proc: trust the pid file


def answers(p):
    try:
        with urllib.request.urlopen(url(p) + "/moto-api/data.json", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _stop_pid(pid, p):
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)  # the process group created by start_new_session
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        gone = False
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    gone = True
                    break
            except ChildProcessError:
                pass
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                gone = True
                break
            time.sleep(0.1)
        if gone:
            break
    deadline = time.monotonic() + 5.0
    while port_in_use(p) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        os.unlink(pid_file(p))
    except FileNotFoundError:
        pass


def cmd_start():
    p = port()
    os.makedirs(STATE_DIR, exist_ok=True)
    pid = read_pid(p)
    if pid and is_our_server(pid):
        die(f"already running on {url(p)} (pid {pid}); run `stop` first", code=2)
    if pid:
        os.unlink(pid_file(p))
    if port_in_use(p):
        die(f"port {p} on {HOST} is already in use by another process; set MOTO_PORT to a free port", code=2)
    py = ensure_venv()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MOTO_ACCOUNT_ID"}
    log = open(log_file(p), "ab")
    proc = subprocess.Popen(
        [py, "-m", "moto.server", "-H", HOST, "-p", str(p)],
        cwd=STATE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    with open(pid_file(p), "w") as f:
        f.write(f"{proc.pid}\n")
    timeout = float(os.environ.get("MOTO_START_TIMEOUT", "60"))
    deadline = time.monotonic() + timeout
    while not answers(p):
        if proc.poll() is not None:
            os.unlink(pid_file(p))
            die(f"moto exited with code {proc.returncode} before answering; last lines of {log_file(p)}:\n{tail(log_file(p))}")
        if time.monotonic() > deadline:
            _stop_pid(proc.pid, p)
            die(f"moto did not answer {url(p)} within {timeout:.0f}s; last lines of {log_file(p)}:\n{tail(log_file(p))}")
        time.sleep(0.3)
    say(f"moto server running on {url(p)} (pid {proc.pid}, log {os.path.relpath(log_file(p), ROOT)})")
    return 0


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
    say(f"stopped moto server on port {p} (pid {pid})")
    return 0


def cmd_status():
    p = port()
    pid = read_pid(p)
    if pid and is_our_server(pid) and answers(p):
        say(f"running on {url(p)} (pid {pid})")
        return 0
    say(f"not running on port {p}")
    return 3


def main(argv):
    commands = {"start": cmd_start, "stop": cmd_stop, "status": cmd_status}
    if len(argv) != 2 or argv[1] not in commands:
        print(f"usage: {argv[0]} {{{'|'.join(commands)}}}", file=sys.stderr)
        return 64
    return commands[argv[1]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
