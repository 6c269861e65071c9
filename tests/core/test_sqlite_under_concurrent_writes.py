"""make run's SQLite under concurrent writes (the failure it reproduces): Portico served by `manage.py runserver`
on a SQLite file, as make run serves it, with three people acting on one route at the same moment, round after
round. No request fails for the lock (it used to answer 500 "database is locked"); one that could not get the
database within PORTICO_SQLITE_TIMEOUT answers 503 with Retry-After and saved nothing; the route ends in a
consistent state. (The rest of the suite runs on PostgreSQL, so
this test runs the app in its own process.)"""

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.core.sqlite_support import ROOT, manage_with, sqlite_env

ROUNDS = 6


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Portico on SQLite: migrated, demo data loaded, API tokens for the demo users, runserver listening."""
    var = tmp_path_factory.mktemp("sqlite-run")
    env = sqlite_env(var, PORTICO_SQLITE_TIMEOUT="5")
    manage = manage_with(env)

    manage("migrate", "--noinput")
    manage("load_demo")
    tokens = {user: manage("create_token", user).strip().splitlines()[-1] for user in ("platform", "reviewer", "dev")}
    port = free_port()
    with open(var / "server.log", "w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail((var / "server.log").read_text()[-3000:])
        yield {"base": base, "tokens": tokens, "db": var / "portico.sqlite3", "log": var / "server.log"}
        process.terminate()
        process.wait(timeout=30)


def call(server, user, method, path, body=None):
    request = urllib.request.Request(
        f"{server['base']}{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Token {server['tokens'][user]}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null"), dict(exc.headers)


def test_three_people_acting_on_one_route_at_once_never_get_a_500(server):
    statuses = []
    for n in range(ROUNDS):
        status, route, _ = call(
            server,
            "dev",
            "POST",
            "/api/v1/routes/",
            {
                "name": f"race{n}",
                "team": "shop",
                "cluster": "local",
                "namespace": "shop",
                "host": f"race{n}.shop.example.com",
                "backend": {"service_name": "web", "service_port": 80},
            },
        )
        assert status == 201, route
        url = f"/api/v1/routes/{route['id']}/"
        actions = [
            ("platform", "POST", f"{url}approve/", {"revision": 1}),
            ("reviewer", "POST", f"{url}approve/", {"revision": 1}),
            ("dev", "PATCH", url, {"path": "/v2"}),
        ]
        start = threading.Barrier(len(actions))
        answers = [None] * len(actions)

        def act(i, user, method, path, body, start=start, answers=answers):
            start.wait()
            answers[i] = call(server, user, method, path, body)

        threads = [threading.Thread(target=act, args=(i, *action)) for i, action in enumerate(actions)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses += [answer[0] for answer in answers]
        # Writers queue for the lock (IMMEDIATE transactions) well within the 5 s timeout: approvals and the edit
        # go through or are refused for what the others did (409), none fails for the lock itself.
        for status, body, _ in answers:
            assert status in (200, 409), (status, body)

        # Consistent: at most one decision on revision 1, and the route's state agrees with its history.
        _, history, _ = call(server, "platform", "GET", f"{url}history/")
        _, now, _ = call(server, "platform", "GET", url)
        reviews = [r for r in history["reviews"] if r["revision"] == 1]
        assert len(reviews) <= 1
        assert now["approved_revision"] == (1 if reviews else None)
        assert now["revision"] == len(history["revisions"])
    assert statuses.count(200) >= ROUNDS  # the work got done, not refused wholesale


def test_a_write_that_cannot_get_the_database_answers_503_and_saves_nothing(server):
    _, before, _ = call(server, "dev", "GET", "/api/v1/routes/?page_size=500")
    holder = sqlite3.connect(server["db"], timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database past the server's 5 s timeout
    try:
        status, body, headers = call(
            server,
            "dev",
            "POST",
            "/api/v1/routes/",
            {
                "name": "blocked",
                "team": "shop",
                "cluster": "local",
                "namespace": "shop",
                "host": "blocked.shop.example.com",
                "backend": {"service_name": "web", "service_port": 80},
            },
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert (status, headers["Retry-After"]) == (503, "5")
    assert body == {"detail": "The database is busy; nothing was saved. Try again in a few seconds."}
    _, after, _ = call(server, "dev", "GET", "/api/v1/routes/?page_size=500")
    assert after["count"] == before["count"]
    retried, _, _ = call(
        server,
        "dev",
        "POST",
        "/api/v1/routes/",
        {
            "name": "blocked",
            "team": "shop",
            "cluster": "local",
            "namespace": "shop",
            "host": "blocked.shop.example.com",
            "backend": {"service_name": "web", "service_port": 80},
        },
    )
    assert retried == 201  # the same request, once the database is free
