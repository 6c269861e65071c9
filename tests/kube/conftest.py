"""Makes the emulator fixtures available when tests/kube runs on its own.

Registered as a plugin (not star-imported) so that, when tests/conftest.py also lists
"tests.kube.fixtures" in `pytest_plugins`, the session keeps one emulator rather than two.
"""


def pytest_configure(config):
    config.pluginmanager.import_plugin("tests.kube.fixtures")
