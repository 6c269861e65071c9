"""The route form's options in the browser: explained beside the fields, judged as the developer types (the
controller's limits and the team's), and previewed in the controller's own annotations."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_options_are_judged_as_typed_and_previewed_as_annotations(sign_in, alice, cluster):
    cluster.ingress_controller = "k8s.io/ingress-nginx"
    cluster.save()
    dev = sign_in(alice)

    dev.goto("/routes/new/")
    dev.get_by_label("Name", exact=True).fill("cart")
    dev.get_by_label("Host", exact=True).fill("cart.shop.example.com")
    dev.get_by_label("Service name").fill("cart")
    dev.get_by_label("Service port").fill("8080")
    dev.get_by_label("Force HTTPS").check()
    timeout = dev.get_by_label("Request timeout (seconds)")
    timeout.fill("4000")
    expect(dev.locator("#id_timeout_seconds_error")).to_contain_text("between 1 and 3600")
    timeout.fill("120")
    dev.get_by_label("Allowed source ranges").fill("203.0.113.0/24")
    expect(dev.locator("#id_timeout_seconds_error")).to_be_empty()
    expect(dev.locator("#manifest-preview")).to_contain_text("nginx.ingress.kubernetes.io/proxy-read-timeout: '120'")
    expect(dev.locator("#manifest-preview")).to_contain_text("whitelist-source-range: 203.0.113.0/24")
    expect(dev.locator("#check-summary")).to_contain_text("All checks pass")
    dev.get_by_text("Which options each cluster can honour").click()
    expect(dev.locator(".option-support")).to_contain_text("ingress-nginx (its own annotations)")
    dev.get_by_text("Why a Service, and why not NodePort?").click()
    expect(dev.locator("details.why")).to_contain_text("a pod gets a new IP address every time it restarts")
    screenshot(dev, "route-form-options")
