"""Notification fixtures: a real local webhook receiver, webhooks with a known secret, users with addresses,
and Celery running tasks in the test's own process (eagerly) so enqueued deliveries are really sent."""

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.models import TeamWebhook
from portico.celery import app

SECRET = "whsec-test-only-0123456789abcdef"


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1. ``answers`` are (status, headers) to give in order, then 200."""

    url: str
    requests: list[Received] = field(default_factory=list)
    answers: list[tuple[int, dict]] = field(default_factory=list)

    def answer(self, *statuses: int, headers: dict | None = None) -> None:
        self.answers.extend((status, headers or {}) for status in statuses)


@pytest.fixture
def receiver(settings):
    # Webhooks go to public addresses only; a receiver on loopback needs private targets allowed, as a
    # deployment that posts to an in-cluster receiver would (docs/security.md, "Outbound requests").
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = True
    box = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            box.requests.append(Received(self.path, dict(self.headers.items()), body))
            status, headers = box.answers.pop(0) if box.answers else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    box.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/portico"
    yield box
    server.shutdown()
    server.server_close()


@pytest.fixture
def dead_url(settings):
    """A URL on a local port where nothing listens (connection refused); private targets allowed."""
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = True
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture
def dns(monkeypatch):
    """Answers for names these machines cannot resolve (no outside DNS here): ``dns["hooks.example.com"] =
    ["93.184.215.14"]``; a list of lists answers one list per lookup, in turn (the last one from then on)."""
    answers: dict[str, list] = {"hooks.example.com": ["93.184.215.14"]}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        found = answers.get(host)
        if found is None:
            return real(host, port, family, type, proto, flags)
        if found and isinstance(found[0], list):
            found = found.pop(0) if len(found) > 1 else found[0]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, port))
            for ip in found
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture
def make_webhook(shop):
    def _make(url, *, events=None, team=None, active=True, secret=SECRET):
        webhook = TeamWebhook(team=team or shop, url=url, active=active)
        if events is not None:
            webhook.events = list(events)
        webhook.set_secret(secret)
        webhook.full_clean()
        webhook.save()
        return webhook

    return _make


@pytest.fixture
def addresses(alice, bob, pat, quinn):
    """Everyone gets an e-mail address: alice (shop), bob (blog), pat and quinn (platform)."""
    for user in (alice, bob, pat, quinn):
        user.email = f"{user.username}@example.com"
        user.save(update_fields=["email"])


@pytest.fixture
def eager_tasks(settings):
    """`.delay()`/`.apply_async()` run the task at once in this process, retries included (Celery reads this
    from Django's settings, under the CELERY_ namespace). Errors are not propagated: with propagation an eager
    retry would surface as an exception in the enqueuing code, which a real broker never does."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert app.conf.task_always_eager


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block and then its on-commit callbacks (the enqueues), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
