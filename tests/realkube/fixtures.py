"""pytest fixtures for the local kube-apiserver (registered in tests/conftest.py; see tests/realkube/README.md).

One server per pytest process: with pytest-xdist, one per worker. Portico lists Services, Ingresses and
EndpointSlices cluster-wide and prunes what carries its label, so two tests sharing a server at the same time
would see, and prune, each other's objects; a server per worker keeps tests on a worker in sequence on their own
server, at the cost of one more start (about 4 s, a few hundred MB) per worker.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clusters.devcluster import BinariesMissing, LocalCluster, LocalClusterError
from clusters.kube import KubeClient
from tests.realkube.helper import Cleaner, RealKube, recorder
from tests.realkube.recording import watch_recorder

MARKER = "realkube"


@pytest.fixture(scope="session")
def realkube_server(tmp_path_factory) -> Iterator[LocalCluster]:
    """The local API server of this pytest process, ready and set up; prefer `realkube`, which cleans up per test.

    Fails (never skips) when the binaries are not built: `make test` builds them first (`make kube-bins`)."""
    try:
        server = LocalCluster(tmp_path_factory.mktemp("realkube"))
    except BinariesMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        server.start()
    except LocalClusterError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def realkube_cleaner(realkube_server: LocalCluster) -> Cleaner:
    """Records what the server has before any test, to put it back after each."""
    return Cleaner(realkube_server)


@pytest.fixture
def realkube(realkube_server: LocalCluster, realkube_cleaner: Cleaner, monkeypatch, tmp_path) -> Iterator[RealKube]:
    """The local API server with a fresh namespace ``shop``, Portico's requests recorded, and everything the test
    left (namespaces and what is in them, cluster-scoped additions) removed after it."""
    failed = realkube_server.failed_process()
    if failed:
        pytest.fail(f"The local API server died during an earlier test: {failed}", pytrace=False)
    kube = RealKube(realkube_server, tmp_path=tmp_path)
    if realkube_cleaner.dirty:  # an earlier test's clean-up was cut short
        realkube_cleaner.clean()
    realkube_cleaner.dirty = True
    kube.add_namespace(kube.namespace)
    monkeypatch.setattr(KubeClient, "request", recorder(kube.requests))
    monkeypatch.setattr(KubeClient, "watch", watch_recorder(kube.requests))
    yield kube
    kube.close()
    realkube_cleaner.clean()


def pytest_collection_modifyitems(items):
    for item in items:
        if "realkube_server" in getattr(item, "fixturenames", ()):
            item.add_marker(MARKER)
        if item.get_closest_marker(MARKER):
            # Carried by every report, also from xdist workers (keywords would also match the folder's name).
            item.user_properties.append((MARKER, True))


def pytest_terminal_summary(terminalreporter):
    """Say how many tests ran against the real API server, so a run that quietly lost them shows it."""
    counts: dict[str, int] = {}
    for outcome in ("passed", "failed", "error", "skipped"):
        for report in terminalreporter.stats.get(outcome, []):
            if (MARKER, True) in getattr(report, "user_properties", ()) and (
                report.when == "call" or outcome in ("error", "skipped")
            ):
                counts[outcome] = counts.get(outcome, 0) + 1
    if counts:
        detail = ", ".join(f"{n} {outcome}" for outcome, n in counts.items())
        terminalreporter.write_line(f"local kube-apiserver tests: {detail}")
