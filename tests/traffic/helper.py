"""What a traffic test does besides running Portico: start backends on loopback, send HTTPS requests through
Traefik with the route's host as SNI and Host (no /etc/hosts, no DNS), and wait for the controllers."""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from clusters.devcluster.traffic import TrafficPlane, backend_address


class Backend:
    """A tiny HTTP server that answers every request with ``name`` and the path, on this machine's own address
    (EndpointSlices may not list loopback ones) and a port of its own."""

    def __init__(self, name: str):
        self.name = name
        self.requests: list[str] = []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                backend.requests.append(self.path)
                body = f"{backend.name} {self.path}\n".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((backend_address(), 0), Handler)
        self.address, self.port = self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"backend-{name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Answer:
    status: int | None  # None: no HTTP answer (``error`` says why)
    body: str = ""
    certificate: dict = field(default_factory=dict)  # the served leaf, as ssl.getpeercert() decodes it
    error: str = ""

    @property
    def backend(self) -> str:
        return self.body.split(" ")[0] if self.status == 200 else ""


class _Pinned(http.client.HTTPSConnection):
    """HTTPS to ``address`` with ``host`` as SNI, certificate name and Host header (curl --resolve)."""

    def __init__(self, host: str, port: int, address: str, context: ssl.SSLContext, timeout: float):
        super().__init__(host, port, context=context, timeout=timeout)
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class Traffic:
    """Requests through the session's Traefik, verified against cert-manager's local CA unless told not to."""

    def __init__(self, plane: TrafficPlane):
        self.plane = plane

    def get(self, host: str, path: str = "/", *, verify: bool = True, timeout: float = 5.0) -> Answer:
        context = ssl.create_default_context(cadata=self.plane.ca_pem.decode())
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        connection = _Pinned(host, self.plane.https_port, self.plane.address, context, timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            certificate = connection.sock.getpeercert() if verify else {}
            return Answer(response.status, response.read().decode(errors="replace"), certificate)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(None, error=f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    def wait_for(self, host: str, path: str = "/", *, until, timeout: float = 60.0, verify: bool = True) -> Answer:
        """Send the request again until ``until(answer)`` holds; the controllers act on their own watch events,
        so a change made through the API shows after a moment. Fails with the last answer and Traefik's log."""
        deadline = time.monotonic() + timeout
        while True:
            answer = self.get(host, path, verify=verify)
            if until(answer):
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"https://{host}{path} still answers {answer} after {timeout:.0f} s.\n"
                    f"--- traefik\n{self.plane.log('traefik')}\n"
                    f"--- cert-manager\n{self.plane.log('cert-manager-controller', 15)}"
                )
            time.sleep(0.3)


def answers(backend: str):
    """``until`` for wait_for: a 200 from ``backend``."""
    return lambda answer: answer.status == 200 and answer.backend == backend


def no_route(answer: Answer) -> bool:
    """``until`` for wait_for: Traefik answers, and no router matches (404)."""
    return answer.status == 404


def eventually(check, *, timeout: float = 60.0, interval: float = 0.3):
    """``check()``'s first truthy result, asked again until ``timeout``: for what a controller writes on its own
    watch event. Fails with the last result."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"Still {result!r} after {timeout:.0f} s.")
        time.sleep(interval)
