"""Bad input and attacks against the sign-in, with the real provider: forged, expired and misaddressed ID
tokens, a replayed state, an open redirect in `next`, a provider that is down, and the password switch."""

import datetime
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.test import Client

from core.models import AuditEvent
from sso import provider
from sso.localidp import OTHER_CLIENT_ID, free_port

from .conftest import PERSON, callback_path, dex_login, sign_in, start

pytestmark = pytest.mark.django_db


def dex_key_id(idp) -> str:
    keys = requests.get(f"{idp.issuer}/keys", verify=str(idp.ca_path), timeout=10).json()["keys"]
    return keys[0]["kid"]


def claims(idp, **overrides):
    now = int(time.time())
    return {
        "iss": idp.issuer,
        "sub": "attacker",
        "aud": "portico",
        "iat": now,
        "exp": now + 600,
        "email": "attacker@evil.example",
        "groups": ["platform-engineers"],
        **overrides,
    }


def test_a_real_id_token_passes(sso):
    token = sso.password_grant(PERSON["alice"])["id_token"]
    assert provider.verify_id_token(token, nonce=None)["groups"] == ["shop-devs"]


def test_an_id_token_signed_with_another_key_under_the_providers_key_id_is_refused(sso):
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(claims(sso), forger, algorithm="RS256", headers={"kid": dex_key_id(sso)})
    with pytest.raises(provider.TokenRejected, match="signature"):
        provider.verify_id_token(forged, nonce=None)


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_an_unsigned_or_client_secret_signed_id_token_is_refused(sso, alg):
    key = None if alg == "none" else sso.client_secret
    forged = jwt.encode(claims(sso), key, algorithm=alg, headers={"kid": dex_key_id(sso)})
    with pytest.raises(provider.TokenRejected, match="does not accept"):
        provider.verify_id_token(forged, nonce=None)


def test_an_expired_id_token_is_refused(sso, monkeypatch):
    token = sso.password_grant(PERSON["alice"])["id_token"]
    expiry = jwt.decode(token, options={"verify_signature": False})["exp"]

    class Later(datetime.datetime):  # the clock a minute past the leeway after Dex's expiry (10 minutes)
        @classmethod
        def now(cls, tz=None):
            return datetime.datetime.fromtimestamp(expiry + provider.LEEWAY_SECONDS + 60, tz)

    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    with pytest.raises(provider.TokenRejected, match="expired"):
        provider.verify_id_token(token, nonce=None)


def test_an_id_token_issued_to_another_application_is_refused(sso):
    token = sso.password_grant(PERSON["alice"], client_id=OTHER_CLIENT_ID)["id_token"]
    with pytest.raises(provider.TokenRejected, match="audience"):
        provider.verify_id_token(token, nonce=None)


def test_an_id_token_for_another_sign_in_is_refused(sso):
    token = sso.password_grant(PERSON["alice"])["id_token"]
    with pytest.raises(provider.TokenRejected, match="nonce"):
        provider.verify_id_token(token, nonce="the-nonce-this-browser-sent")


def test_a_substituted_id_token_at_the_callback_signs_no_one_in(client, sso, mapped, monkeypatch):
    """The token response carries a real ID token of the same provider, but for another application."""
    other = sso.password_grant(PERSON["pat"], client_id=OTHER_CLIENT_ID)["id_token"]
    real = provider.token_request
    monkeypatch.setattr(provider, "token_request", lambda data: {**real(data), "id_token": other})

    response = sign_in(client, sso, "alice")

    assert response.status_code == 400 and "another application" in response.content.decode()
    assert "_auth_user_id" not in client.session and not User.objects.filter(username="pat").exists()


def test_a_replayed_callback_is_refused(client, sso, mapped):
    callback = dex_login(sso, start(client), "alice")
    path, query = callback_path(callback)
    assert client.get(path, query).status_code == 302

    again = client.get(path, query)
    elsewhere = Client().get(path, query)

    assert again.status_code == 400, again.content.decode()[-900:]
    assert "used already" in again.content.decode(), again.content.decode()[-900:]
    assert elsewhere.status_code == 400 and "used already" in elsewhere.content.decode()
    assert "_auth_user_id" not in Client().session
    assert AuditEvent.objects.filter(verb="sign_in").count() == 1


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "https:/evil.example", "javascript:alert(1)"]
)
def test_next_never_leaves_portico(client, sso, mapped, next_url):
    response = sign_in(client, sso, "alice", next_url=next_url)
    assert response.status_code == 302 and response["Location"] == "/"


def test_next_inside_portico_is_followed(client, sso, mapped):
    response = sign_in(client, sso, "alice", next_url="/routes/?q=cart")
    assert response.status_code == 302 and response["Location"] == "/routes/?q=cart"


def test_a_provider_that_is_down_gets_a_page_not_an_error(client, sso, settings):
    settings.PORTICO_OIDC_ISSUER = f"https://127.0.0.1:{free_port()}/dex"
    provider.reset_cache()

    response = client.get("/sso/login/")

    assert response.status_code == 503 and "cannot be reached" in response.content.decode()


def test_a_provider_that_goes_down_during_the_sign_in_gets_a_page(client, sso, mapped, settings):
    callback = dex_login(sso, start(client), "alice")
    settings.PORTICO_OIDC_ISSUER = f"https://127.0.0.1:{free_port()}/dex"
    provider.reset_cache()

    response = client.get(*callback_path(callback))

    assert response.status_code == 503 and "cannot be reached" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_error_from_the_provider_is_shown(client, sso):
    url = start(client)
    state = url.split("state=")[1].split("&")[0]
    response = client.get(
        "/sso/callback/", {"error": "access_denied", "error_description": "user said no", "state": state}
    )
    assert response.status_code == 400 and "user said no" in response.content.decode()


def test_a_deactivated_account_is_told_so(client, sso, mapped):
    sign_in(client, sso, "alice")
    User.objects.filter(username="alice").update(is_active=False)
    client.post("/logout/")

    response = sign_in(client, sso, "alice")

    assert response.status_code == 400 and "deactivated" in response.content.decode()
    assert "_auth_user_id" not in client.session
