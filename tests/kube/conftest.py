"""Makes the emulator fixtures available when tests/kube runs on its own, and gives its tests the official client.

The emulator fixtures are registered as a plugin (not star-imported) so that, when tests/conftest.py also lists
"tests.kube.fixtures" in `pytest_plugins`, the session keeps one emulator rather than two.
"""

import kubernetes
import pytest


def pytest_configure(config):
    config.pluginmanager.import_plugin("tests.kube.fixtures")


@pytest.fixture
def api(kube_kubeconfig):
    client = kubernetes.config.new_client_from_config_dict(kube_kubeconfig)
    yield client
    client.close()


@pytest.fixture
def core(api):
    return kubernetes.client.CoreV1Api(api)


@pytest.fixture
def networking(api):
    return kubernetes.client.NetworkingV1Api(api)


@pytest.fixture
def custom(api):
    return kubernetes.client.CustomObjectsApi(api)
