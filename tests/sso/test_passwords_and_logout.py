"""Local passwords beside single sign-on: on by default, switched off except for break-glass accounts (still
behind the sign-in lockout), and signing out of both."""

import pytest
from django.contrib.auth.models import User

from core.models import AuditEvent
from sso import provider

from .conftest import sign_in

pytestmark = pytest.mark.django_db


def post_login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_the_login_page_offers_the_provider_beside_the_passwords(client, sso):
    text = client.get("/login/").content.decode()
    assert "Sign in with Dex" in text and 'name="password"' in text


def test_passwords_switched_off_refuse_local_accounts(client, sso, settings, alice):
    settings.PORTICO_PASSWORD_LOGIN = False

    response = post_login(client, "alice", "pw-alice")

    assert response.status_code == 200 and "Password sign-in is switched off" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert 'name="password"' not in client.get("/login/").content.decode()


def test_a_break_glass_account_still_signs_in_with_its_password(client, sso, settings, pat):
    settings.PORTICO_PASSWORD_LOGIN = False
    settings.PORTICO_BREAK_GLASS_USERS = ["pat"]

    assert "Break-glass" in client.get("/login/").content.decode()
    response = post_login(client, "pat", "pw-pat")

    assert response.status_code == 302 and client.session["_auth_user_id"] == str(pat.pk)
    assert AuditEvent.objects.filter(verb="sign_in", actor=pat, after__method="password").exists()


def test_the_break_glass_login_is_still_locked_after_repeated_failures(client, sso, settings, pat):
    settings.PORTICO_PASSWORD_LOGIN = False
    settings.PORTICO_BREAK_GLASS_USERS = ["pat"]
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "pat", "wrong")

    response = post_login(client, "pat", "pw-pat")

    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_signing_out_ends_the_portico_session(client, sso, mapped):
    sign_in(client, sso, "alice")

    response = client.post("/logout/")

    # Dex offers no RP-initiated logout (no end_session_endpoint), so only Portico's session ends.
    assert "end_session_endpoint" not in provider.metadata()
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(verb="sign_out").count() == 1


def test_signing_out_ends_the_provider_session_where_the_provider_offers_it(client, sso, mapped, monkeypatch):
    sign_in(client, sso, "alice")
    id_token = client.session["sso_id_token"]
    metadata = provider.metadata()
    monkeypatch.setattr(provider, "metadata", lambda: {**metadata, "end_session_endpoint": f"{sso.issuer}/logout"})

    response = client.post("/logout/")

    location = response["Location"]
    assert location.startswith(f"{sso.issuer}/logout?") and f"id_token_hint={id_token}" in location
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Flogin%2F" in location
    assert client.get("/").status_code == 302


def test_a_user_made_by_single_sign_on_cannot_sign_in_with_a_password(client, sso, mapped):
    sign_in(client, sso, "alice")
    client.post("/logout/")
    alice = User.objects.get(username="alice")

    response = post_login(client, "alice", "")

    assert response.status_code == 200 and not alice.has_usable_password()
