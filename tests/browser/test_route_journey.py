"""A route's life in the browser: requested with inline validation, approved in place, then watched until healthy."""

import re

import pytest
from playwright.sync_api import expect

from routes import reconcile, services
from routes.domain.values import Backend
from routes.models import Route
from tests.browser.conftest import mark_document, no_reload_since_marked, screenshot
from tests.factories import spec

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_developer_requests_platform_approves_in_place_and_status_goes_live(sign_in, alice, pat, quinn, submit):
    # Something already live that alice wants to change, so the queue also shows a diff against a live revision.
    live = services.approve_route(submit("frontend", host="shop.example.com"), user=quinn)
    services.edit_route(
        live,
        user=alice,
        spec=spec(
            host="shop.example.com",
            backend=Backend(
                service_name="frontend", service_port=8080, target_port="http", selector={"app": "frontend"}
            ),
        ),
    )
    dev = sign_in(alice)

    # The developer types a bad host, sees the inline error, fixes it and sees the preview.
    dev.get_by_role("link", name="New route").first.click()
    dev.get_by_label("Name", exact=True).fill("cart")
    host = dev.get_by_label("Host", exact=True)
    host.fill("Cart_Shop!")
    expect(dev.locator("#id_host_error")).to_contain_text("is not a valid DNS name")
    expect(host).to_have_attribute("aria-invalid", "true")
    host.fill("cart.shop.example.com")
    dev.get_by_label("Service name").fill("cart")
    dev.get_by_label("Service port").fill("8080")
    expect(dev.locator("#id_host_error")).to_be_empty()
    expect(host).not_to_have_attribute("aria-invalid", "true")
    expect(dev.locator("#host-status")).to_contain_text("Available")
    expect(dev.locator("#manifest-preview")).to_contain_text("kind: Ingress")
    expect(dev.locator("#check-summary")).to_contain_text("All checks pass")
    screenshot(dev, "route-form")
    dev.get_by_role("button", name="Request route").click()

    dev.wait_for_url(re.compile(r"/routes/[0-9a-f-]{36}/$"))
    expect(dev.locator("#route-status")).to_contain_text("Pending review")
    route = Route.objects.get(name="cart")

    # A platform engineer approves it from the queue; the queue item changes, the page does not reload.
    ops = sign_in(pat)
    ops.goto("/reviews/")
    item = ops.locator(f"#review-{route.pk}")
    expect(item).to_contain_text("+host: cart.shop.example.com")
    screenshot(ops, "review-queue")
    mark_document(ops)
    item.get_by_label("Comment").fill("Looks good")
    item.get_by_role("button", name="Approve r1").click()
    expect(ops.locator(f"#review-{route.pk}")).to_contain_text("Revision 1 approved by you.")
    assert no_reload_since_marked(ops)
    route.refresh_from_db()
    assert route.approval == "approved"

    # The developer's route page polls while the worker applies the route, and stops once it is settled.
    dev.reload()
    status = dev.locator("#route-status")
    expect(status).to_contain_text("Progressing")
    expect(status).to_have_attribute("hx-trigger", "every 2s")
    mark_document(dev)

    assert reconcile.reconcile_route(route.pk) == reconcile.Result.APPLIED
    expect(status.locator(".state-row")).to_contain_text("Healthy", timeout=8_000)
    expect(status).to_contain_text("Synced")
    expect(status).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert no_reload_since_marked(dev)
    dev.reload()  # the rest of the page (manifests "applied", audit trail) is read once per visit
    screenshot(dev, "route-detail")


def test_route_list_badges_update_live_until_every_route_is_settled(sign_in, alice, approved_route):
    page = sign_in(alice)
    page.goto("/routes/")
    table = page.locator("#route-table")
    expect(table).to_contain_text("Progressing")
    expect(table).to_have_attribute("hx-trigger", "every 3s")
    mark_document(page)

    reconcile.reconcile_route(approved_route.pk)

    expect(table).to_contain_text("Healthy", timeout=8_000)
    expect(table).not_to_have_attribute("hx-trigger", re.compile(".*"))
    assert no_reload_since_marked(page)
