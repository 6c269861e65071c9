"""The route detail follows a real reconcile against the local kube-apiserver (tests/realkube); another team cannot
open it."""

import re

import pytest
from playwright.sync_api import expect

from routes import reconcile
from tests.browser.conftest import mark_document, no_reload_since_marked
from tests.reconcile.conftest import approve, kube_cluster  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_status_turns_synced_without_a_reload_after_the_worker_applies(sign_in, approve, realkube, alice, bob):
    route = approve()
    page = sign_in(alice)
    page.goto(f"/routes/{route.pk}/")
    status = page.locator("#route-status")
    expect(status).to_contain_text("Out of sync")
    expect(status).to_have_attribute("hx-trigger", re.compile("every"))
    mark_document(page)

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.APPLIED
    assert realkube.get("networking.k8s.io/v1", "Ingress", "shop", "cart") is not None

    expect(status).to_contain_text("Synced", timeout=8_000)
    expect(status).not_to_contain_text("Out of sync")
    expect(status).to_contain_text("applied r1")
    assert no_reload_since_marked(page)

    # A member of another team gets the not-found page, exactly as for a route that does not exist.
    other = sign_in(bob)
    response = other.goto(f"/routes/{route.pk}/")
    assert response.status == 404
    expect(other.locator("body")).not_to_contain_text("cart.shop.example.com")
    expect(other.locator("body")).to_contain_text(re.compile("not found", re.IGNORECASE))
