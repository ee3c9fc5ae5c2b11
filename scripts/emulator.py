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

ministack gets its own virtualenv (.venv-emulator) because it pins its own botocore. The venv, pid file, log,
start/stop/status handling are shared with scripts/moto_server.py in scripts/local_server.py.
Nothing here ever talks to real AWS.
"""

import os
import subprocess
import sys

from local_server import HOST, ROOT, STATE_DIR, LocalServer

SEED_SCRIPT = os.path.join(ROOT, "scripts", "seed_emulator.py")


def tls():
    """(cert, key, ca) when EMULATOR_TLS_CERT/_KEY are set, else None."""
    cert, key = os.environ.get("EMULATOR_TLS_CERT", ""), os.environ.get("EMULATOR_TLS_KEY", "")
    if not (cert or key):
        return None
    if not (cert and key and os.path.exists(cert) and os.path.exists(key)):
        EMULATOR.die("EMULATOR_TLS_CERT and EMULATOR_TLS_KEY must both name existing PEM files")
    return cert, key, os.environ.get("EMULATOR_TLS_CA") or cert


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
            EMULATOR.die(f"EMULATOR_INSECURE_PORT must be a TCP port number, got {insecure!r}")
        options += ["--insecure-bind", f"{HOST}:{insecure}"]
    return options


class Emulator(LocalServer):
    name = "emulator"
    label = "ministack"
    file_prefix = "ministack"
    venv_dir = os.path.join(ROOT, ".venv-emulator")
    requirements = os.path.join(ROOT, "requirements-emulator.txt")
    port_env = "EMULATOR_PORT"
    default_port = 4566
    timeout_env = "EMULATOR_START_TIMEOUT"
    health_path = "/_ministack/health"
    markers = (b"ministack", b"hypercorn")

    def url(self, p):
        return f"{'https' if tls() else 'http'}://{HOST}:{p}"

    def ssl_context(self):
        if not tls():
            return None
        import ssl

        return ssl.create_default_context(cafile=tls()[2])

    def environment(self, p):
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
        return env

    def command(self, py, p, env):
        return [py, "-m", "hypercorn", "ministack.app:app", "--bind", f"{HOST}:{p}"] + server_options(env)

    def after_start(self, pid, p):
        if os.environ.get("EMULATOR_NO_SEED") == "1":
            return 0
        rc = self.seed()
        if rc != 0:
            self.stop_pid(pid, p)  # a failed start leaves nothing running
            self.say(f"seeding failed (exit {rc}); emulator stopped")
        return rc

    def seed(self):
        p = self.port()
        if self.health(p) is None:
            self.die(f"no emulator answers on {self.url(p)}; run `start` first")
        py = os.environ.get("PROJECT_PYTHON") or os.path.join(ROOT, ".venv", "bin", "python")
        if not os.path.exists(py):
            self.die(f"{py} not found; seeding needs the project venv with boto3 (run `make venv`)")
        env = dict(os.environ, AWS_EMULATOR_URL=self.url(p))
        if tls():
            env["AWS_CA_BUNDLE"] = tls()[2]
        return subprocess.call([py, SEED_SCRIPT], env=env)

    def commands(self):
        return {"start": self.start, "seed": self.seed, "stop": self.stop, "status": self.status}


EMULATOR = Emulator()

if __name__ == "__main__":
    sys.exit(EMULATOR.main(sys.argv))
