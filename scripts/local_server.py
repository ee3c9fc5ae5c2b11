"""Process handling shared by the local test servers on 127.0.0.1: scripts/emulator.py (ministack) and
scripts/moto_server.py (moto). Not run by itself; each of those scripts subclasses LocalServer and calls main().

Standard library only (python3 3.9+). A server gets:
  - its own virtualenv, (re)installed from its requirements file when the file's sha256 differs from the marker
    <venv>/.requirements.sha256 written by the last successful install;
  - a pid file and a log under .emulator/ (<file_prefix>-<port>.pid / .log), its working directory there too;
  - its own process group (`stop` ends the server and its workers together, then waits for the port);
  - `start` refuses (exit 2) a port already in use or a server of its own still running, polls the health check
    until it answers and leaves nothing running when the server exits or does not answer in time (exit 1);
  - `status`: exit 0 running and healthy, 1 alive but not answering (detailed status only), 3 not running.
Servers bind 127.0.0.1 only. Nothing here ever talks to real AWS.
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
STATE_DIR = os.path.join(ROOT, ".emulator")


def port_in_use(p):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, p)) == 0


def tail(path, lines=30):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return "(no log)"


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


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


class LocalServer:
    """One local server. Subclasses set the attributes below and implement command(); they may override
    environment() (the server's environment), url() / ssl_context() (scheme and trust), after_start() and
    commands() (extra command-line commands)."""

    name = ""  # message prefix: "<name>: ..." on stdout, "<name>: ERROR: ..." on stderr
    label = ""  # what runs, in messages: "<label> running on ...", "stopped <label> on port ..."
    file_prefix = ""  # .emulator/<file_prefix>-<port>.pid and .log
    venv_dir = ""  # the server's own virtualenv
    requirements = ""  # installed into venv_dir
    port_env = ""  # environment variable naming the port ...
    default_port = 0  # ... and its default
    timeout_env = ""  # environment variable: seconds `start` waits for the health check (default 60)
    health_path = ""  # GET url(port) + health_path answers when the server is up
    markers = ()  # bytes, one of which is in the server's command line (guards against PID reuse)
    detailed_status = True  # False: `status` says only "running" (0) or "not running" (3)

    # ----------------------------------------------------------------------- messages, files, configuration

    def say(self, msg):
        print(f"{self.name}: {msg}", flush=True)

    def die(self, msg, code=1):
        print(f"{self.name}: ERROR: {msg}", file=sys.stderr, flush=True)
        sys.exit(code)

    def port(self):
        value = os.environ.get(self.port_env, "") or str(self.default_port)
        if not value.isdigit() or not 0 < int(value) < 65536:
            self.die(f"{self.port_env} must be a TCP port number, got {value!r}")
        return int(value)

    def ssl_context(self):
        """An ssl.SSLContext for the health check when the server speaks HTTPS, else None."""
        return None

    def url(self, p):
        return f"http://{HOST}:{p}"

    def pid_file(self, p):
        return os.path.join(STATE_DIR, f"{self.file_prefix}-{p}.pid")

    def log_file(self, p):
        return os.path.join(STATE_DIR, f"{self.file_prefix}-{p}.log")

    def environment(self, p):
        """The server's environment (a new dict); command() may still add to it."""
        return dict(os.environ)

    def command(self, py, p, env):
        """The server's command line, run with the venv's python `py`, listening on HOST:p."""
        raise NotImplementedError

    def after_start(self, pid, p):
        """Runs once the server answers; a non-zero return is `start`'s exit code (stop the server first)."""
        return 0

    # ----------------------------------------------------------------------- venv

    def ensure_venv(self):
        """Create venv_dir and install requirements unless already done for this requirements file."""
        marker = os.path.join(self.venv_dir, ".requirements.sha256")
        wanted = _sha256(self.requirements)
        py = os.path.join(self.venv_dir, "bin", "python")
        if os.path.exists(py) and os.path.exists(marker):
            with open(marker) as f:
                if f.read().strip() == wanted:
                    return py
        self.say(f"installing {os.path.basename(self.requirements)} into {os.path.relpath(self.venv_dir, ROOT)} ...")
        if not os.path.exists(py):
            venv.EnvBuilder(with_pip=True, clear=False).create(self.venv_dir)
        rc = subprocess.call(
            [py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", self.requirements]
        )
        if rc != 0:
            self.die(f"pip install -r {self.requirements} failed (exit {rc})")
        with open(marker, "w") as f:
            f.write(wanted + "\n")
        return py

    # ----------------------------------------------------------------------- process helpers

    def read_pid(self, p):
        try:
            with open(self.pid_file(p)) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def is_our_server(self, pid):
        """True if pid is alive and its command line has one of the markers (guards against PID reuse)."""
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ")
            return any(m in cmd for m in self.markers)
        except OSError:
            return True  # no /proc (e.g. macOS): trust the pid file

    def health(self, p, timeout=2.0):
        """The health check's answer (parsed JSON, else {"raw": body}), or None when the server does not answer."""
        try:
            with urllib.request.urlopen(self.url(p) + self.health_path, timeout=timeout, context=self.ssl_context()) as r:
                body = r.read().decode("utf-8", "replace")
            try:
                return json.loads(body)
            except ValueError:
                return {"raw": body}
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def stop_pid(self, pid, p):
        """End process group `pid` (TERM, then KILL), wait for port p to be free, remove the pid file."""
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)  # the process group created by start_new_session (server + workers)
            except ProcessLookupError:
                break
            if _gone(pid, wait):
                break
        # the group's worker processes may outlive the leader briefly: wait for the port to be free
        deadline = time.monotonic() + 5.0
        while port_in_use(p) and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            os.unlink(self.pid_file(p))
        except FileNotFoundError:
            pass

    # ----------------------------------------------------------------------- commands

    def start(self):
        p = self.port()
        os.makedirs(STATE_DIR, exist_ok=True)
        pid = self.read_pid(p)
        if pid and self.is_our_server(pid):
            self.die(f"already running on {self.url(p)} (pid {pid}); run `stop` first", code=2)
        if pid:
            os.unlink(self.pid_file(p))  # stale
        if port_in_use(p):
            self.die(f"port {p} on {HOST} is already in use by another process; set {self.port_env} to a free port", code=2)

        py = self.ensure_venv()
        env = self.environment(p)
        argv = self.command(py, p, env)
        log = open(self.log_file(p), "ab")
        proc = subprocess.Popen(
            argv,
            cwd=STATE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: `stop` ends the server and its workers together
        )
        log.close()
        with open(self.pid_file(p), "w") as f:
            f.write(f"{proc.pid}\n")

        timeout = float(os.environ.get(self.timeout_env, "60"))
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                os.unlink(self.pid_file(p))
                self.die(
                    f"{self.label} exited with code {proc.returncode} before answering; "
                    f"last lines of {self.log_file(p)}:\n{tail(self.log_file(p))}"
                )
            if self.health(p) is not None:
                break
            if time.monotonic() > deadline:
                self.stop_pid(proc.pid, p)
                self.die(
                    f"{self.label} did not answer {self.url(p)}{self.health_path} within {timeout:.0f}s; "
                    f"last lines of {self.log_file(p)}:\n{tail(self.log_file(p))}"
                )
            time.sleep(0.3)
        self.say(f"{self.label} running on {self.url(p)} (pid {proc.pid}, log {os.path.relpath(self.log_file(p), ROOT)})")
        return self.after_start(proc.pid, p)

    def stop(self):
        p = self.port()
        pid = self.read_pid(p)
        if pid is None:
            self.say(f"not running on port {p} (no pid file)")
            return 0
        if not self.is_our_server(pid):
            self.say(f"not running on port {p} (stale pid file, pid {pid}); removed")
            os.unlink(self.pid_file(p))
            return 0
        self.stop_pid(pid, p)
        if port_in_use(p):
            self.die(f"pid {pid} stopped but port {p} is still in use")
        self.say(f"stopped {self.label} on port {p} (pid {pid})")
        return 0

    def status(self):
        p = self.port()
        pid = self.read_pid(p)
        alive = bool(pid and self.is_our_server(pid))
        h = self.health(p) if alive else None
        if alive and h is not None:
            self.say(f"running on {self.url(p)} (pid {pid})")
            if self.detailed_status:
                print(json.dumps(h, indent=2, sort_keys=True))
            return 0
        if not self.detailed_status:
            self.say(f"not running on port {p}")
            return 3
        if alive:
            self.say(f"process {pid} alive but {self.url(p)}{self.health_path} does not answer")
            return 1
        if port_in_use(p):
            self.say(f"not started by this project, but port {p} is in use by another process")
        else:
            self.say(f"not running on port {p}")
        return 3

    def commands(self):
        return {"start": self.start, "stop": self.stop, "status": self.status}

    def main(self, argv):
        commands = self.commands()
        if len(argv) != 2 or argv[1] not in commands:
            print(f"usage: {argv[0]} {{{'|'.join(commands)}}}", file=sys.stderr)
            return 64
        return commands[argv[1]]()
