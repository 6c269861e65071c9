"""The route form can be filled in and submitted with the keyboard alone."""

import re

import pytest
from playwright.sync_api import expect

from routes.models import Route

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab_to(page, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


def test_keyboard_only_request(sign_in, alice, cluster):
    page = sign_in(alice)
    page.goto("/routes/new/")

    tab_to(page, "id_name")
    page.keyboard.type("kbd")
    tab_to(page, "id_host")
    page.keyboard.type("kbd.shop.example.com")
    tab_to(page, "id_service_name")
    page.keyboard.type("kbd")
    tab_to(page, "id_service_port")
    page.keyboard.type("8080")
    expect(page.locator("#check-summary")).to_contain_text("All checks pass")
    page.keyboard.press("Enter")  # implicit submission from a text field

    page.wait_for_url(re.compile(r"/routes/[0-9a-f-]{36}/$"))
    expect(page.locator("#route-status")).to_contain_text("Pending review")
    assert Route.objects.get(name="kbd").created_by == alice


def test_skip_link_is_the_first_stop_and_moves_to_the_content(sign_in, alice):
    page = sign_in(alice)
    page.goto("/routes/")

    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
