"""A database that stays locked longer than a connection waits (make run's SQLite under concurrent writes)
answers 503 with Retry-After, JSON on the API, a short page elsewhere; never a 500. Other database errors
stay 500s."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client
from rest_framework.test import APIClient

from routes import services

pytestmark = pytest.mark.django_db


def locked(*args, **kwargs):
    raise OperationalError("database is locked")


def test_an_api_write_that_meets_the_lock_answers_503_json(submit, pat, monkeypatch):
    route = submit()
    monkeypatch.setattr(services, "approve_route", locked)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(pat)

    response = client.post(f"/api/v1/routes/{route.pk}/approve/", {}, format="json")

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response.json() == {"detail": "The database is busy; nothing was saved. Try again in a few seconds."}


def test_a_page_that_meets_the_lock_answers_503(submit, pat, monkeypatch):
    route = submit()
    monkeypatch.setattr(services, "approve_route", locked)
    client = Client(raise_request_exception=False)
    client.force_login(pat)

    response = client.post(f"/reviews/{route.pk}/approve/", {"revision": "1"})

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "The database is busy" in response.content.decode()
    assert response["Content-Security-Policy"]  # the security headers are still there


def test_a_session_save_that_meets_the_lock_answers_503(alice, monkeypatch):
    # Raised by the session middleware after the view: not a view's exception.
    monkeypatch.setattr(SessionStore, "save", locked)
    response = Client(raise_request_exception=False).post("/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 503


def test_other_database_errors_stay_500(submit, pat, monkeypatch):
    route = submit()

    def broken(*args, **kwargs):
        raise OperationalError("no such table: routes_route")

    monkeypatch.setattr(services, "approve_route", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(pat)
    assert client.post(f"/api/v1/routes/{route.pk}/approve/", {}, format="json").status_code == 500
