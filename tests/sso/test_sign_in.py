"""Signing in through the real provider (Dex + LDAP): the code flow with PKCE, state and nonce; groups becoming
teams and the platform role, kept in step at every sign-in and re-check, with an audit event per change."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.authtoken.models import Token

from core.access import is_platform
from core.models import AuditEvent
from sso.models import Identity

from .conftest import sign_in, start

pytestmark = pytest.mark.django_db


def test_the_sign_in_request_uses_pkce_state_and_nonce(client, sso):
    url = start(client)
    query = parse_qs(urlsplit(url).query)
    assert url.startswith(f"{sso.issuer}/auth?")
    assert query["response_type"] == ["code"] and query["client_id"] == ["portico"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    state, nonce = query["state"][0], query["nonce"][0]
    kept = client.session["oidc_states"][state]
    assert kept["nonce"] == nonce and len(kept["code_verifier"]) >= 43
    assert set(query["scope"][0].split()) >= {"openid", "groups", "offline_access"}


def test_a_group_member_signs_in_and_becomes_a_team_member(client, sso, mapped):
    response = sign_in(client, sso, "alice")

    assert response.status_code == 302 and response["Location"] == "/"
    alice = User.objects.get(username="alice")
    assert list(alice.teams.values_list("slug", flat=True)) == ["shop"]
    assert not alice.has_usable_password() and alice.email == "alice@portico.test"
    assert Identity.objects.get(user=alice).groups == ["shop-devs"]
    joined = AuditEvent.objects.get(verb="sso_join")
    assert (joined.object_repr, joined.after["user"], joined.after["groups"]) == ("shop", "alice", ["shop-devs"])
    assert AuditEvent.objects.filter(verb="sign_in", actor=alice, after__method="sso").exists()
    assert client.get("/").status_code == 200


def test_the_platform_group_gives_the_platform_role(client, sso, mapped):
    sign_in(client, sso, "pat")

    pat = User.objects.get(username="pat")
    assert is_platform(pat) and not pat.teams.exists()
    assert AuditEvent.objects.filter(verb="sso_grant", object_repr="platform").count() == 1
    assert client.get("/reviews/").status_code == 200


def test_membership_follows_the_groups_at_every_sign_in_joining_and_leaving(client, sso, mapped):
    sign_in(client, sso, "dave")
    dave = User.objects.get(username="dave")
    assert set(dave.teams.values_list("slug", flat=True)) == {"shop", "blog"}

    sso.set_groups("dave", ["blog-writers"])
    try:
        sign_in(Client(), sso, "dave")
    finally:
        sso.set_groups("dave", ["shop-devs", "blog-writers"])

    assert set(dave.teams.values_list("slug", flat=True)) == {"blog"}
    left = AuditEvent.objects.get(verb="sso_leave")
    assert left.object_repr == "shop" and left.before["groups"] == ["blog-writers"]


def test_teams_no_group_maps_to_keep_their_hand_made_members(client, sso, mapped, rival):
    rival_team = rival
    sign_in(client, sso, "alice")
    alice = User.objects.get(username="alice")
    rival_team.members.add(alice)

    sign_in(Client(), sso, "alice")

    assert set(alice.teams.values_list("slug", flat=True)) == {"shop", "rival"}


def test_a_user_removed_from_a_group_loses_the_team_and_their_token_at_the_next_request(client, sso, mapped):
    sign_in(client, sso, "alice")
    alice = User.objects.get(username="alice")
    token = Token.objects.create(user=alice)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/teams/").json()["results"][0]["slug"] == "shop"

    sso.set_groups("alice", [])
    try:
        answer = api.get("/api/v1/teams/")
        page = client.get("/routes/")
    finally:
        sso.set_groups("alice", ["shop-devs"])

    assert page.status_code == 200 and not alice.teams.exists()
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]
    assert not Token.objects.filter(user=alice).exists()
    assert AuditEvent.objects.filter(verb="sso_leave", object_repr="shop").count() == 1
    assert AuditEvent.objects.filter(verb="sso_token_revoked", object_repr="alice").count() == 1


def test_a_token_keeps_working_while_the_groups_still_give_access(client, sso, mapped):
    sign_in(client, sso, "dave")
    dave = User.objects.get(username="dave")
    token = Token.objects.create(user=dave)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    sso.set_groups("dave", ["blog-writers"])
    try:
        answer = api.get("/api/v1/teams/")
    finally:
        sso.set_groups("dave", ["shop-devs", "blog-writers"])

    assert answer.status_code == 200
    assert [t["slug"] for t in answer.json()["results"]] == ["blog"]


def test_a_user_the_provider_no_longer_knows_is_signed_out_and_loses_their_tokens(client, sso, mapped):
    sign_in(client, sso, "alice")
    alice = User.objects.get(username="alice")
    token = Token.objects.create(user=alice)
    identity = Identity.objects.get(user=alice)
    from core import crypto

    identity.refresh_token_encrypted = crypto.encrypt("not-a-refresh-token-dex-knows")
    identity.save()

    response = client.get("/routes/")

    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Token.objects.filter(pk=token.pk).exists() and not alice.teams.exists()


def test_groups_that_grant_nothing_sign_in_and_say_why(client, sso, mapped, submit):
    submit("cart")

    response = sign_in(client, sso, "carol")

    assert response.status_code == 302 and response["Location"] == "/sso/no-access/"
    page = client.get("/sso/no-access/")
    text = page.content.decode()
    assert page.status_code == 200 and "none of your groups" in text and "<code>marketing</code>" in text
    assert client.get("/api/v1/routes/").json()["results"] == []
    assert client.get("/reviews/").status_code == 403


def test_a_local_account_of_the_same_name_is_not_taken_over(client, sso, mapped, alice):
    response = sign_in(client, sso, "alice")

    assert response.status_code == 302
    signed_in = User.objects.get(pk=client.session["_auth_user_id"])
    assert signed_in.pk != alice.pk and signed_in.username == "alice-sso"
    assert Identity.objects.get(user=signed_in).subject
