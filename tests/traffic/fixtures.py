"""pytest fixtures for the real data path (registered in tests/conftest.py; see tests/traffic/README.md).

The data path gets a local API server of its own per pytest process (with xdist, per worker), not the one of
tests/realkube: cert-manager and Traefik act on every Certificate and Ingress of the server they watch, which
would overwrite the statuses that the realkube tests write as the missing controllers. On it, one Traefik and
one cert-manager controller run from the first test that asks for ``traffic`` to the end of the session. Tests
using them are marked ``traffic`` (and ``realkube``); they fail, never skip, when the binaries are missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clusters.devcluster import BinariesMissing, LocalCluster, LocalClusterError
from clusters.devcluster.traffic import CERT_MANAGER_NAMESPACE, TRAEFIK_NAMESPACE, TrafficBinariesMissing, TrafficPlane
from clusters.kube import KubeClient
from tests.realkube.helper import Cleaner, RealKube, recorder
from tests.traffic.helper import Backend, Traffic

MARKER = "traffic"


@pytest.fixture(scope="session")
def traffic_server(tmp_path_factory) -> Iterator[LocalCluster]:
    """The data path's own local API server (see the module's docstring)."""
    try:
        server = LocalCluster(tmp_path_factory.mktemp("traffic-kube"))
        server.start()
    except (BinariesMissing, LocalClusterError) as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def traffic_plane(traffic_server: LocalCluster, tmp_path_factory) -> Iterator[TrafficPlane]:
    """Traefik and cert-manager's controller on the data path's server, with the local CA issued."""
    try:
        plane = TrafficPlane(traffic_server, tmp_path_factory.mktemp("traffic"))
        plane.start()
    except (TrafficBinariesMissing, LocalClusterError) as exc:
        pytest.fail(str(exc), pytrace=False)
    yield plane
    plane.stop()


@pytest.fixture(scope="session")
def traffic_cleaner(traffic_server: LocalCluster, traffic_plane: TrafficPlane) -> Cleaner:
    """Puts the data path's server back after each test; the controllers' namespaces, classes, issuers and RBAC
    stay for the session."""
    cleaner = Cleaner(traffic_server)
    cleaner.keep(TRAEFIK_NAMESPACE, CERT_MANAGER_NAMESPACE)
    return cleaner


@pytest.fixture
def traffic_kube(traffic_server: LocalCluster, traffic_cleaner: Cleaner, monkeypatch, tmp_path) -> Iterator[RealKube]:
    """The data path's server as tests/realkube's ``realkube`` gives its own: namespace ``shop`` fresh, Portico's
    requests recorded, everything the test left removed after it."""
    failed = traffic_server.failed_process()
    if failed:
        pytest.fail(f"The data path's API server died during an earlier test: {failed}", pytrace=False)
    kube = RealKube(traffic_server, tmp_path=tmp_path)
    if traffic_cleaner.dirty:
        traffic_cleaner.clean()
    traffic_cleaner.dirty = True
    kube.add_namespace(kube.namespace)
    monkeypatch.setattr(KubeClient, "request", recorder(kube.requests))
    yield kube
    kube.close()
    traffic_cleaner.clean()


@pytest.fixture
def traffic(traffic_plane: TrafficPlane, traffic_kube) -> Traffic:
    """Requests through Traefik (see helper.Traffic), on the data path's server as ``traffic_kube`` gives it."""
    failed = traffic_plane.failed_process()
    if failed:
        pytest.fail(f"The data path died during an earlier test: {failed}", pytrace=False)
    return Traffic(traffic_plane)


@pytest.fixture
def backend() -> Iterator:
    """``backend(name)`` starts an HTTP server answering ``name`` (helper.Backend); all stop after the test."""
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
            item.add_marker("realkube")
            item.user_properties.append(("realkube", True))
