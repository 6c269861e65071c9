"""DRF checks a token before any throttle runs, so bad tokens used to answer 401 at any rate. Failed token
authentications now count against the anonymous rate per client address: past it, tokens from that address
answer 429 with Retry-After without being looked at. Good tokens do not count, and other addresses go on."""

import secrets

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from .conftest import url

pytestmark = pytest.mark.django_db


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "1000/minute", "anon": "3/minute"})


def call(token: str, *, address="198.51.100.7", **headers):
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}", **headers)
    return client.get(url(), REMOTE_ADDR=address)


def guess():
    return secrets.token_hex(20)


def test_the_default_limit_is_the_anonymous_rate():
    from django.conf import settings

    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"] == "60/minute"


def test_bad_tokens_past_the_anonymous_rate_answer_429_with_retry_after(low_rates):
    statuses = [call(guess()).status_code for _ in range(5)]

    assert statuses == [401, 401, 401, 429, 429]
    response = call(guess())
    assert 0 < int(response["Retry-After"]) <= 60
    assert response.json()["detail"].startswith("Too many failed token authentications from your address.")


def test_past_the_limit_no_token_is_looked_at_from_that_address(low_rates, alice):
    for _ in range(3):
        call(guess())
    good = Token.objects.create(user=alice).key

    # Otherwise a guess that hits would still tell itself apart (200 among 429s), and guessing would go on.
    assert call(good).status_code == 429
    assert call(good, address="203.0.113.50").status_code == 200  # other addresses are not affected


def test_good_tokens_do_not_count(low_rates, alice):
    good = Token.objects.create(user=alice).key

    assert [call(good).status_code for _ in range(10)] == [200] * 10
    assert [call(guess()).status_code for _ in range(4)] == [401, 401, 401, 429]


def test_a_forged_forwarded_for_header_is_not_another_address(low_rates):
    statuses = [call(guess(), HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_behind_declared_proxies_the_address_the_proxy_saw_counts(low_rates, settings):
    settings.PORTICO_TRUSTED_PROXIES = 1
    for _ in range(3):
        call(guess(), address="10.0.0.2", HTTP_X_FORWARDED_FOR="forged, 198.51.100.7")

    assert call(guess(), address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429
    assert call(guess(), address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.8").status_code == 401
