"""The API accepts an API token (automation) or the browser session (with its CSRF token), nothing else."""

from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .conftest import route_body, url


def test_a_valid_token_signs_in(api, alice, submit):
    submit()

    response = api(alice).get(url())

    assert response.status_code == 200
    assert [r["name"] for r in response.json()["results"]] == ["cart"]


def test_no_credentials_is_401_with_a_token_challenge(api):
    response = api().get(url())

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


def test_an_unknown_token_is_401(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get(url())

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_an_inactive_users_token_is_refused(api, alice):
    client = api(alice)
    alice.is_active = False
    alice.save()

    assert client.get(url()).status_code == 401


def test_the_browser_session_reads(alice):
    client = Client()
    client.force_login(alice)

    assert client.get(url()).status_code == 200


def test_the_browser_session_needs_the_csrf_token_to_write(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/login/")  # sets the CSRF cookie, as any page does
    csrf = client.cookies["csrftoken"].value

    refused = client.post(url(), route_body(), content_type="application/json")
    accepted = client.post(url(), route_body(), content_type="application/json", HTTP_X_CSRFTOKEN=csrf)

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201


def test_tokens_are_per_user(api, alice, pat):
    assert Token.objects.get_or_create(user=alice)[0].key != Token.objects.get_or_create(user=pat)[0].key
