"""The security rules are tried through every door, so these tests use the API's and the pages' clients."""
from tests.api.conftest import api, no_throttle  # noqa: F401 - fixtures
from tests.web.conftest import htmx_headers, login  # noqa: F401 - fixtures
