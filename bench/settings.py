"""Portico's settings plus the benchmark-only URLconf that mounts the floor views. Never used in production."""

from portico.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# The load generator is one user hammering the API; the production per-user throttle would answer 429.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"user": "100000000/minute", "anon": "100000000/minute"}}  # noqa: F405
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": "WARNING"}}  # noqa: F405
