"""pytest fixtures for the real data path (registered in tests/conftest.py; see tests/traffic/README.md).

One Traefik and one cert-manager controller per pytest process, started on the process's local API server
(tests/realkube) the first time a test asks for ``traffic``, and stopped at the end of the session. Tests using
them are marked ``traffic`` (and ``realkube``); they fail, never skip, when the binaries are missing.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from clusters.devcluster import LocalCluster, LocalClusterError
from clusters.devcluster.traffic import (
    CERT_MANAGER_NAMESPACE,
    TRAEFIK_NAMESPACE,
    TrafficBinariesMissing,
    TrafficPlane,
)
from tests.realkube.helper import Cleaner
from tests.traffic.helper import Backend, Traffic

MARKER = "traffic"


@pytest.fixture(scope="session")
def traffic_plane(realkube_server: LocalCluster, realkube_cleaner: Cleaner, tmp_path_factory) -> Iterator[TrafficPlane]:
    """Traefik and cert-manager's controller on this process's local API server, with the local CA issued."""
    try:
        plane = TrafficPlane(realkube_server, tmp_path_factory.mktemp("traffic"))
    except TrafficBinariesMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        plane.start()
    except LocalClusterError as exc:
        pytest.fail(str(exc), pytrace=False)
    # Its namespaces, classes, issuers and RBAC stay for the session: the per-test clean-up puts them back.
    realkube_cleaner.keep(TRAEFIK_NAMESPACE, CERT_MANAGER_NAMESPACE)
    yield plane
    plane.stop()


@pytest.fixture
def traffic(traffic_plane: TrafficPlane, realkube) -> Traffic:
    """Requests through Traefik (see helper.Traffic); the local API server as ``realkube`` gives it."""
    failed = traffic_plane.failed_process()
    if failed:
        pytest.fail(f"The data path died during an earlier test: {failed}", pytrace=False)
    return Traffic(traffic_plane)


@pytest.fixture
def backend() -> Iterator:
    """``backend(name)`` starts a loopback HTTP server answering ``name`` (helper.Backend); all stop after the test."""
    started: list[Backend] = []

    def _start(name: str) -> Backend:
        started.append(Backend(name))
        return started[-1]

    yield _start
    for server in started:
        server.stop()


def pytest_collection_modifyitems(items):
    for item in items:
        if "traffic_plane" in getattr(item, "fixturenames", ()):
            item.add_marker(MARKER)
