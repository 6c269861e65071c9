"""pytest fixtures for the Kubernetes API emulator (enable with `pytest_plugins = ["tests.kube.fixtures"]`).

All fixtures are plain synchronous ones, so they behave the same under any pytest-asyncio mode.
"""

from collections.abc import Iterator

import pytest

from tests.kube.emulator import KubeEmulator


@pytest.fixture(scope="session")
def kube_emulator_server() -> Iterator[KubeEmulator]:
    """One emulator for the whole run (per xdist worker); prefer `kube`, which resets it per test."""
    with KubeEmulator() as emulator:
        yield emulator


@pytest.fixture
def kube(kube_emulator_server: KubeEmulator) -> Iterator[KubeEmulator]:
    """The emulator, empty: no objects, requests or faults, listening, default resources and version.

    The test fails if the emulator itself broke while serving it (those requests were answered 500).
    """
    kube_emulator_server.reset()
    yield kube_emulator_server
    errors = kube_emulator_server.server_errors
    kube_emulator_server.reset()
    if errors:
        pytest.fail(f"The Kubernetes API emulator failed while serving this test: {errors!r}", pytrace=False)


@pytest.fixture
def kube_kubeconfig(kube: KubeEmulator) -> dict:
    """A kubeconfig dict for the (freshly reset) emulator, loadable by the official client."""
    return kube.kubeconfig()
