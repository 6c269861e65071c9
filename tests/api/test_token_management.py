"""API tokens are created and revoked with `manage.py create_token USERNAME [--revoke]` or in the admin."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from core.models import AuditEvent

from .conftest import url


def create_token(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("create_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def token_client(key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_create_token_prints_a_working_token(alice):
    key = create_token("alice")

    assert token_client(key).get(url()).status_code == 200


def test_a_new_token_replaces_the_old_one(alice):
    old = create_token("alice")
    new = create_token("alice")

    assert old != new
    assert token_client(old).get(url()).status_code == 401
    assert token_client(new).get(url()).status_code == 200


def test_revoke_deletes_the_token(alice):
    key = create_token("alice")

    assert create_token("alice", "--revoke") == ""

    assert not Token.objects.filter(user=alice).exists()
    assert token_client(key).get(url()).status_code == 401
    assert list(AuditEvent.objects.filter(object_type="user").order_by("id").values_list("verb", flat=True)) == [
        "create_token",
        "revoke_token",
    ]
    assert key not in str(list(AuditEvent.objects.values()))


def test_revoking_without_a_token_fails(alice):
    with pytest.raises(CommandError, match=re.escape('User "alice" has no token to revoke.')):
        create_token("alice", "--revoke")


def test_unknown_user_fails(db):
    with pytest.raises(CommandError, match=re.escape('No user named "nobody".')):
        create_token("nobody")


@pytest.fixture
def admin_client_(client, db):
    root = User.objects.create_superuser("root", password="pw")
    client.force_login(root)
    return client


def test_the_admin_creates_a_token_and_shows_it_once(admin_client_, alice):
    response = admin_client_.post("/admin/authtoken/tokenproxy/add/", {"user": alice.pk}, follow=True)

    token = Token.objects.get(user=alice)
    assert response.status_code == 200
    assert token.key in response.content.decode()  # the message after creating it
    assert token_client(token.key).get(url()).status_code == 200
    listing = admin_client_.get("/admin/authtoken/tokenproxy/")
    assert listing.status_code == 200
    assert "alice" in listing.content.decode()
    assert token.key not in listing.content.decode()
    assert admin_client_.get(f"/admin/authtoken/tokenproxy/{alice.pk}/change/").status_code == 403
    assert AuditEvent.objects.get(verb="create_token").actor_name == "root"


def test_the_admin_revokes_a_token(admin_client_, alice):
    key = create_token("alice")

    confirm = admin_client_.get(f"/admin/authtoken/tokenproxy/{alice.pk}/delete/")
    response = admin_client_.post(f"/admin/authtoken/tokenproxy/{alice.pk}/delete/", {"post": "yes"}, follow=True)

    assert confirm.status_code == 200
    assert key not in confirm.content.decode()
    assert response.status_code == 200
    assert key not in response.content.decode()
    assert not Token.objects.filter(user=alice).exists()
    assert token_client(key).get(url()).status_code == 401
