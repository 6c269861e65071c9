"""The security rules are tried through every door, so these tests use the API's and the pages' clients, and
the notification fixtures to see who is told."""

from tests.api.conftest import api, no_throttle  # noqa: F401 - fixtures
from tests.notifications.conftest import addresses, committed, eager_tasks, make_webhook, receiver  # noqa: F401
from tests.web.conftest import htmx_headers, login  # noqa: F401 - fixtures
