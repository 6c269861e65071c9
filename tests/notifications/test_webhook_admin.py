"""Platform engineers manage team webhooks in the admin: http(s) URLs only, a write-only secret, a "send test"
action; the delivery history is visible and filterable there, and only superusers may change or delete it."""

import json

import pytest
from django.core.exceptions import ValidationError

from notifications.models import NotificationDelivery, TeamWebhook
from tests.notifications.conftest import SECRET

pytestmark = pytest.mark.django_db

ADD = "/admin/notifications/teamwebhook/add/"
DELIVERIES = "/admin/notifications/notificationdelivery/"


@pytest.fixture
def staff(admin_client_as):
    return admin_client_as


def _form(shop, url, **extra):
    return {"team": shop.pk, "url": url, "events": ["submitted", "degraded"], "active": "on", **extra}


def test_a_platform_engineer_adds_a_webhook_with_its_secret_stored_encrypted(staff, pat, shop, receiver):
    response = staff(pat).post(ADD, _form(shop, receiver.url, secret=SECRET))

    assert response.status_code == 302, response.content.decode()[:2000]
    webhook = TeamWebhook.objects.get()
    assert (webhook.team, webhook.url, webhook.events, webhook.active) == (
        shop,
        receiver.url,
        ["submitted", "degraded"],
        True,
    )
    assert webhook.get_secret() == SECRET and SECRET not in webhook.secret_encrypted


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/portico",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://hooks.example.com/",
        "hooks.example.com:8080/x",
    ],
)
def test_only_http_and_https_urls_are_accepted(staff, pat, shop, url):
    response = staff(pat).post(ADD, _form(shop, url, secret=SECRET))

    assert response.status_code == 200 and "Enter a valid URL" in response.content.decode()
    assert not TeamWebhook.objects.exists()
    with pytest.raises(ValidationError):
        TeamWebhook(team=shop, url=url, secret_encrypted="x").full_clean()


def test_a_new_webhook_needs_a_secret_and_an_edit_may_keep_it(staff, pat, shop, make_webhook, dns):
    client = staff(pat)
    response = client.post(ADD, _form(shop, "https://hooks.example.com/a"))
    assert response.status_code == 200 and "A new webhook needs a secret." in response.content.decode()

    webhook = make_webhook("https://hooks.example.com/b")
    change = f"/admin/notifications/teamwebhook/{webhook.pk}/change/"
    assert client.post(change, _form(shop, "https://hooks.example.com/c")).status_code == 302
    webhook.refresh_from_db()
    assert webhook.url == "https://hooks.example.com/c" and webhook.get_secret() == SECRET

    assert client.post(change, _form(shop, webhook.url, secret="a-brand-new-secret-value")).status_code == 302
    webhook.refresh_from_db()
    assert webhook.get_secret() == "a-brand-new-secret-value"


def test_send_test_posts_a_signed_test_event_and_reports_the_result(staff, pat, make_webhook, receiver, dead_url):
    good, bad = make_webhook(receiver.url), make_webhook(dead_url)

    response = staff(pat).post(
        "/admin/notifications/teamwebhook/", {"action": "send_test", "_selected_action": [good.pk, bad.pk]}, follow=True
    )

    page = response.content.decode()
    assert f"Shop: {receiver.url}: test delivered (HTTP 200)." in page  # the admin capitalises messages
    assert f"Shop: {dead_url}: test pending (Could not connect:" in page
    [request] = receiver.requests
    assert request.headers["X-Portico-Event"] == "test"
    assert json.loads(request.body)["team"] == "shop"
    assert set(NotificationDelivery.objects.values_list("event", "status")) == {
        ("test", "delivered"),
        ("test", "pending"),
    }


def test_delivery_history_is_listed_and_filterable_for_platform_engineers(
    staff, pat, make_webhook, dead_url, submit, receiver
):
    make_webhook(receiver.url)
    submit()
    client = staff(pat)
    NotificationDelivery.objects.update(status="failed", attempts=8, last_error="HTTP 502 Bad Gateway")

    listed = client.get(DELIVERIES).content.decode()
    assert receiver.url in listed and "HTTP 502 Bad Gateway" in listed and "submitted" in listed
    assert receiver.url in client.get(DELIVERIES + "?status__exact=failed").content.decode()
    assert receiver.url not in client.get(DELIVERIES + "?status__exact=delivered").content.decode()


def test_platform_engineers_cannot_change_or_delete_deliveries_but_superusers_can(
    staff, pat, make_webhook, submit, receiver, django_user_model
):
    make_webhook(receiver.url)
    submit()
    delivery = NotificationDelivery.objects.get()
    client = staff(pat)
    page = f"{DELIVERIES}{delivery.pk}/change/"

    assert client.get(page).status_code == 200  # viewable
    assert client.post(page, {"status": "delivered"}).status_code == 403
    assert client.get(f"{DELIVERIES}{delivery.pk}/delete/").status_code == 403
    assert client.post(f"{DELIVERIES}add/", {}).status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "pending"

    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(root)
    assert client.post(f"{DELIVERIES}{delivery.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not NotificationDelivery.objects.exists()
