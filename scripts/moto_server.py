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
The venv, pid file, log, start/stop/status handling are shared with scripts/emulator.py in scripts/local_server.py.
Nothing here ever talks to real AWS.
"""

import os
import sys

from local_server import HOST, ROOT, LocalServer


class MotoServer(LocalServer):
    name = "moto"
    label = "moto server"
    file_prefix = "moto"
    venv_dir = os.path.join(ROOT, ".venv-moto")
    requirements = os.path.join(ROOT, "requirements-moto.txt")
    port_env = "MOTO_PORT"
    default_port = 4645
    timeout_env = "MOTO_START_TIMEOUT"
    health_path = "/moto-api/data.json"
    markers = (b"moto",)
    detailed_status = False

    def environment(self, p):
        # no AWS_* variable (real credentials, endpoints) and no MOTO_ACCOUNT_ID reaches the server
        return {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MOTO_ACCOUNT_ID"}

    def command(self, py, p, env):
        return [py, "-m", "moto.server", "-H", HOST, "-p", str(p)]


if __name__ == "__main__":
    sys.exit(MotoServer().main(sys.argv))
