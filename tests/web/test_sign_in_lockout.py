"""Password guessing at /login/ and the admin's login is locked out per username and client address after
PORTICO_LOGIN_FAILURE_LIMIT failures (django-axes): the right password is refused until the cool-off has
passed or a platform engineer unlocks the account; other users and other addresses are not affected."""

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def sign_in(password: str, *, username="alice", address="198.51.100.7", client=None):
    client = client or Client(REMOTE_ADDR=address)
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


def lock_out(username="alice", address="198.51.100.7"):
    statuses = [sign_in("wrong", username=username, address=address).status_code for _ in range(LIMIT)]
    assert statuses == [200] * (LIMIT - 1) + [429]  # the form again, then the lockout page at the limit


def test_the_limit_is_five_failures_with_a_fifteen_minute_cool_off():
    assert (settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME.total_seconds()) == (5, 15 * 60)


def test_fewer_failures_than_the_limit_then_the_right_password_signs_in(alice):
    for _ in range(LIMIT - 1):
        sign_in("wrong")
    assert signed_in(sign_in("pw-alice"))


def test_after_the_limit_even_the_right_password_is_refused_with_a_clear_page(alice):
    lock_out()

    response = sign_in("pw-alice")

    assert response.status_code == 429 and not signed_in(response)
    page = response.content.decode()
    assert "Sign-in locked" in page and f"{LIMIT} failed sign-ins" in page and "alice" in page
    assert "Try again in 15 minutes" in page and int(response["Retry-After"]) == 15 * 60


def test_the_lock_holds_for_the_admin_login_too(alice):
    lock_out()
    response = Client(REMOTE_ADDR="198.51.100.7").post(
        "/admin/login/", {"username": "alice", "password": "pw-alice"}, REMOTE_ADDR="198.51.100.7"
    )
    assert response.status_code == 429


def test_the_lock_is_per_username_and_address(alice, bob):
    lock_out()

    assert signed_in(sign_in("pw-bob", username="bob"))  # another user from the same address
    assert signed_in(sign_in("pw-alice", address="203.0.113.50"))  # the same user from elsewhere


def test_a_forged_forwarded_for_header_is_not_another_address(alice):
    for i in range(LIMIT):
        Client().post(
            reverse("login"),
            {"username": "alice", "password": "wrong"},
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    assert sign_in("pw-alice").status_code == 429


def test_the_right_password_works_again_once_the_cool_off_has_passed(alice):
    lock_out()
    assert sign_in("pw-alice").status_code == 429

    # Move the recorded failures back by the cool-off instead of waiting for it.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)

    assert signed_in(sign_in("pw-alice"))


def test_a_platform_engineer_unlocks_the_account_in_the_admin(alice, pat, admin_client_as):
    lock_out()
    attempt = AccessAttempt.objects.get(username="alice")

    staff = admin_client_as(pat)
    assert "alice" in staff.get("/admin/axes/accessattempt/").content.decode()
    assert staff.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302

    assert signed_in(sign_in("pw-alice"))


def test_axes_reset_username_unlocks_the_account(alice):
    lock_out()
    call_command("axes_reset_username", "alice")
    assert signed_in(sign_in("pw-alice"))


def test_a_successful_sign_in_starts_the_count_again(alice):
    for _ in range(LIMIT - 1):
        sign_in("wrong")
    assert signed_in(sign_in("pw-alice"))
    for _ in range(LIMIT - 1):
        sign_in("wrong")
    assert signed_in(sign_in("pw-alice"))
