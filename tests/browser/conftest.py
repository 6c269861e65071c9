"""Playwright against Debian's Chromium and pytest-django's live server.

Never run `playwright install`: the browser is /usr/bin/chromium (docs/architecture.md, "Tests").
"""

import os
import tempfile
from pathlib import Path

import pytest

# The live server runs in a thread of this process while Playwright's sync API keeps an event loop running here,
# so Django would take the test's own ORM calls for calls from async code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# `make screenshots` points this at docs/screenshots; a plain test run leaves the repository untouched.
SCREENSHOTS = Path(os.environ.get("PORTICO_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "portico-screenshots")


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def sign_in(browser, live_server):
    """A new browser page signed in as ``user`` through the login form."""
    contexts = []

    def _sign_in(user):
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(f"pw-{user.username}")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/")
        return page

    yield _sign_in
    for context in contexts:
        context.close()


def no_reload_since_marked(page) -> bool:
    """True while the document marked by ``mark_document`` is still the one shown: nothing navigated."""
    return page.evaluate("() => window.__porticoMarker === 'still here'")


def mark_document(page) -> None:
    page.evaluate("() => { window.__porticoMarker = 'still here'; }")


def screenshot(page, name: str) -> None:
    """The whole page, at its full height (so the sticky form bar sits where it belongs), for docs/screenshots."""
    height = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": min(height, 4000)})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
