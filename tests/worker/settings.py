"""Settings for the worker processes the tests start: portico.settings, plus broker transport options from
PORTICO_TEST_BROKER_TRANSPORT_OPTIONS (JSON), so a fault test can shorten Redis' visibility timeout and
see an unacknowledged message redelivered within seconds instead of the production hour."""

import json
import os

from portico.settings import *  # noqa: F403
from portico.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    **json.loads(os.environ.get("PORTICO_TEST_BROKER_TRANSPORT_OPTIONS") or "{}"),
}
