"""A fault-injecting HTTP proxy in front of the local emulator (127.0.0.1 only).

Used where the emulator cannot produce an AWS answer the product must handle: every request is
forwarded to the emulator unchanged, except that requests matching a rule get a canned AWS error
(the first ``times`` matches, or all of them). It also records every request's operation, so a
test can count calls as they reached the endpoint.

    with FaultProxy(emulator_url(), [Fault("CreateRole", 400, iam_error("MalformedPolicyDocument", msg), times=2)]) as proxy:
        run_module(..., {"endpoint_url": proxy.url, ...})
        proxy.calls  # ["GetRole", "CreateRole", "CreateRole", "CreateRole", ...]
"""

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class Fault:
    operation: str  # e.g. "CreateRole" (query protocol Action=) or "TrailService.CreateTrail" (X-Amz-Target)
    status: int
    body: str
    times: int | None = None  # None: every match
    content_type: str = "text/xml"
    seen: int = 0


def iam_error(code, message):
    """An IAM (query protocol) error response body."""
    return (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
    )


def _operation(headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target
    try:
        return parse_qs(body.decode("utf-8")).get("Action", [""])[0]
    except UnicodeDecodeError:
        return ""


class FaultProxy:
    def __init__(self, upstream, faults=()):
        self.upstream = urlparse(upstream)
        if self.upstream.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise RuntimeError(f"FaultProxy only fronts a loopback emulator, got {upstream}")
        self.faults = list(faults)
        self.calls = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = _operation(self.headers, body)
                fault = None
                with proxy._lock:
                    proxy.calls.append(operation)
                    for candidate in proxy.faults:
                        if candidate.operation == operation and (candidate.times is None or candidate.seen < candidate.times):
                            candidate.seen += 1
                            fault = candidate
                            break
                if fault:
                    payload = fault.body.encode()
                    self.send_response(fault.status)
                    self.send_header("Content-Type", fault.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
                conn.request(self.command, self.path, body=body if body else None, headers=headers)
                answer = conn.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                conn.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
