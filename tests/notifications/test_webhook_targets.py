"""Webhooks go to public addresses only: a URL whose host is or resolves to a loopback, link-local, private or
otherwise non-public address is refused when it is saved, and again when a delivery connects (DNS may answer
differently by then), unless PORTICO_ALLOW_PRIVATE_WEBHOOKS allows private targets."""

import pytest

from notifications.delivery import send_test
from notifications.models import NotificationDelivery, TeamWebhook
from tests.notifications.conftest import SECRET

pytestmark = pytest.mark.django_db

ADD = "/admin/notifications/teamwebhook/add/"


@pytest.fixture
def staff(admin_client_as, pat, settings):
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = False  # the default, said out loud
    return admin_client_as(pat)


def add(client, shop, url):
    return client.post(ADD, {"team": shop.pk, "url": url, "events": ["submitted"], "active": "on", "secret": SECRET})


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:18080/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost:8000/hook", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:18080/v6", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "is a loopback address"),
        ("https://10.0.0.7/hook", "10.0.0.7 is a private address"),
        ("https://0.0.0.0/hook", "0.0.0.0 is an unspecified address"),
        ("https://internal.example.com/hook", "internal.example.com resolves to 192.168.1.20, a private address"),
        ("https://split.example.com/hook", "split.example.com resolves to 10.1.1.1, a private address"),
    ],
)
def test_private_targets_are_refused_when_saved(staff, shop, dns, url, kind):
    dns["internal.example.com"] = ["192.168.1.20"]
    dns["split.example.com"] = ["93.184.215.14", "10.1.1.1"]  # every address is checked, not only the first

    response = add(staff, shop, url)

    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["url"]
    assert kind in message and "PORTICO_ALLOW_PRIVATE_WEBHOOKS" in message
    assert not TeamWebhook.objects.exists()


def test_a_public_target_is_accepted(staff, shop, dns):
    assert add(staff, shop, "https://hooks.example.com/portico").status_code == 302
    assert TeamWebhook.objects.get().url == "https://hooks.example.com/portico"


def test_a_name_that_does_not_resolve_is_refused(staff, shop):
    response = add(staff, shop, "https://no-such-host.invalid/hook")
    assert "does not resolve" in response.context["adminform"].form.errors["url"][0]


def test_the_setting_allows_private_targets(staff, shop, settings, receiver):
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = True
    assert add(staff, shop, receiver.url).status_code == 302


def test_a_stored_private_target_is_not_sent_to(settings, make_webhook, receiver):
    webhook = make_webhook(receiver.url)  # stored while private targets were allowed
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = False

    delivery = send_test(webhook)

    assert receiver.requests == []
    assert (delivery.status, delivery.response_code) == ("failed", None)  # no status to probe with
    assert delivery.last_error.startswith("Not sent: 127.0.0.1 is a loopback address")


def test_a_name_that_resolves_to_loopback_by_the_time_of_sending_is_not_sent_to(staff, shop, settings, dns, receiver):
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = False
    port = receiver.url.split(":")[2].split("/")[0]
    dns["rebind.example.com"] = [["93.184.215.14"], ["127.0.0.1"]]  # public when saved, loopback afterwards
    assert add(staff, shop, f"http://rebind.example.com:{port}/hooks/portico").status_code == 302

    delivery = send_test(TeamWebhook.objects.get())

    assert receiver.requests == []
    assert delivery.last_error.startswith("Not sent: rebind.example.com resolves to 127.0.0.1, a loopback address")
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = True  # the same webhook, allowed: the receiver was there all along
    assert send_test(TeamWebhook.objects.get()).status == "delivered"
    assert len(receiver.requests) == 1


def test_send_test_in_the_admin_reports_the_refusal_not_a_status(staff, make_webhook, receiver, settings):
    make_webhook(receiver.url)
    settings.PORTICO_ALLOW_PRIVATE_WEBHOOKS = False

    response = staff.post(
        "/admin/notifications/teamwebhook/",
        {"action": "send_test", "_selected_action": [TeamWebhook.objects.get().pk]},
        follow=True,
    )

    [message] = [str(m) for m in response.context["messages"]]
    assert "test failed (Not sent: 127.0.0.1 is a loopback address" in message and "HTTP" not in message
    assert receiver.requests == [] and NotificationDelivery.objects.get().response_code is None
