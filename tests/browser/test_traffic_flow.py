"""The traffic-flow picture on the route page turns green without a reload as the real data path comes up:
Traefik routes the request, cert-manager issues the certificate, the worker's sync and reachability check write
what they saw (tests/traffic). The screenshot is the README's."""

import pytest
from playwright.sync_api import expect

from routes import reachability, reconcile, services
from tests.browser.conftest import SCREENSHOTS, mark_document, no_reload_since_marked
from tests.traffic.conftest import HOST, apply, reach, serve, traffic_cluster  # noqa: F401 - fixtures
from tests.traffic.helper import answers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOPS = ("client", "dns", "lb", "controller", "front", "service", "endpoints", "certificate")


def test_the_picture_goes_green_as_traffic_flows(
    sign_in, traffic_kube, traffic, backend, traffic_cluster, reach, submit, alice, pat
):
    serve(traffic_kube, "cart", backend("cart"))
    route = services.approve_route(submit("cart", on=traffic_cluster), user=pat)
    apply(route)
    page = sign_in(alice)
    page.goto(f"/routes/{route.pk}/")
    flow = page.locator("figure.traffic-flow")
    expect(flow).to_be_visible()
    expect(flow.locator('[data-hop="dns"]')).to_have_attribute("data-state", "unknown")
    mark_document(page)

    traffic.wait_for(HOST, until=answers("cart"))
    reconcile.sync_cluster(traffic_cluster.pk)
    reachability.run(route.pk)

    for hop in HOPS:
        expect(flow.locator(f'[data-hop="{hop}"]')).to_have_attribute("data-state", "ok", timeout=10_000)
    expect(flow.locator('[data-hop="lb"]')).to_contain_text("127.0.0.1")
    expect(flow.locator('[data-hop="endpoints"]')).to_contain_text("1 of 1 ready")
    expect(flow.locator('[data-hop="certificate"]')).to_contain_text("days left")
    expect(flow).to_contain_text(f"https://{HOST}/ answers")
    assert no_reload_since_marked(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#route-status").screenshot(path=str(SCREENSHOTS / "route-traffic-flow.png"))
