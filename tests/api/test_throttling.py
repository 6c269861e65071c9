"""The API limits the request rate per user (signed in) and per address (anonymous), answering 429."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from .conftest import url


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "2/minute"})


def test_a_user_over_the_rate_gets_429_with_retry_after(api, alice, low_rates):
    client = api(alice)

    statuses = [client.get(url()).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = client.get(url())
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Request was throttled.")


def test_one_users_calls_do_not_throttle_another(api, alice, bob, low_rates):
    for _ in range(3):
        api(alice).get(url())

    assert api(alice).get(url()).status_code == 429
    assert api(bob).get(url()).status_code == 200


def test_anonymous_callers_are_throttled_by_address(api, low_rates):
    # Endpoints that need a user answer 401 before any rate is counted; the schema is open to all.
    statuses = [api().get("/api/schema/").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


def test_the_configured_rate_applies_by_default():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == SimpleRateThrottle.THROTTLE_RATES
    assert SimpleRateThrottle.THROTTLE_RATES["user"] == "600/minute"


def test_throttle_counts_are_shared_between_web_processes_through_redis(api, alice, low_rates, settings):
    # Two web processes are two cache clients; with CACHE_URL on Redis both see the same counter.
    import os

    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["PORTICO_TEST_REDIS_URL"].replace("redis+socket://", "unix://"),
        }
    }
    caches["default"].clear()
    for _ in range(3):
        assert api(alice).get("/api/v1/routes/").status_code == 200
    caches.close_all()
    del caches["default"]  # the next request builds a new client, as another process would
    assert api(alice).get("/api/v1/routes/").status_code == 429
    caches["default"].clear()
