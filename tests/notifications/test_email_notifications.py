"""E-mail goes to the people an event concerns: platform engineers review what was submitted, the team hears
the decision with the reviewer's comment. Nobody is told what they did themselves, or about other teams."""

import pytest
from django.contrib.auth.models import User

from notifications.models import NotificationDelivery
from routes import services
from tests.factories import spec

pytestmark = pytest.mark.django_db


def _to(mailoutbox) -> list[str]:
    return sorted(address for message in mailoutbox for address in message.to)


def test_platform_engineers_are_asked_to_review_a_submitted_revision(
    submit, addresses, committed, eager_tasks, mailoutbox
):
    with committed():
        route = submit()

    assert _to(mailoutbox) == ["pat@example.com", "quinn@example.com"]  # not alice, who submitted; not bob
    message = mailoutbox[0]
    assert message.subject == "[Portico] Review requested: shop/cart (cart.shop.example.com/)"
    assert "alice submitted revision 1 of route shop/cart" in message.body
    assert f"http://127.0.0.1:8000/routes/{route.pk}/" in message.body
    assert message.from_email == "Portico <portico@localhost>"
    assert message.extra_headers["X-Portico-Event"] == "submitted"


def test_an_edit_is_a_new_revision_to_review(approved_route, alice, addresses, committed, eager_tasks, mailoutbox):
    with committed():
        services.edit_route(approved_route, user=alice, spec=spec(path="/v2"))

    assert _to(mailoutbox) == ["pat@example.com", "quinn@example.com"]
    assert "submitted revision 2" in mailoutbox[0].body


def test_the_developer_hears_the_approval_with_the_reviewers_comment(
    submit, pat, addresses, committed, eager_tasks, mailoutbox
):
    route = submit()
    with committed():
        services.approve_route(route, user=pat, comment="Ship it.")

    assert _to(mailoutbox) == ["alice@example.com"]  # not pat, who approved; not quinn or bob
    message = mailoutbox[0]
    assert message.subject == "[Portico] Approved: shop/cart (cart.shop.example.com/)"
    assert "was approved by pat" in message.body and "Reviewer's comment:\nShip it." in message.body


def test_the_developer_hears_the_rejection_with_the_reviewers_comment(
    submit, pat, addresses, committed, eager_tasks, mailoutbox
):
    route = submit()
    with committed():
        services.reject_route(route, user=pat, comment="Use port 80, the Service does not expose 8080.")

    assert _to(mailoutbox) == ["alice@example.com"]
    message = mailoutbox[0]
    assert message.subject == "[Portico] Rejected: shop/cart (cart.shop.example.com/)"
    assert "was rejected by pat" in message.body
    assert "Use port 80, the Service does not expose 8080." in message.body


def test_auto_approval_is_announced_to_the_team_as_approved_by_the_system(
    submit, shop, alice, addresses, committed, eager_tasks, mailoutbox
):
    shop.auto_approve = True
    shop.save()
    teammate = User.objects.create_user("carol", email="carol@example.com")
    shop.members.add(teammate)

    with committed():
        submit()

    approved = [m for m in mailoutbox if m.extra_headers["X-Portico-Event"] == "approved"]
    assert sorted(a for m in approved for a in m.to) == ["alice@example.com", "carol@example.com"]
    assert "approved by system" in approved[0].body


def test_users_without_an_address_or_inactive_get_nothing_and_no_delivery_is_recorded(
    submit, pat, quinn, committed, eager_tasks, mailoutbox
):
    quinn.email, quinn.is_active = "quinn@example.com", False
    quinn.save()

    with committed():
        submit()

    assert mailoutbox == []
    assert NotificationDelivery.objects.count() == 0


def test_each_recipient_gets_a_separate_message_and_delivery(submit, addresses, committed, eager_tasks, mailoutbox):
    with committed():
        submit()

    assert [len(m.to) for m in mailoutbox] == [1, 1]
    rows = NotificationDelivery.objects.order_by("target")
    assert [(r.target, r.status, r.attempts) for r in rows] == [
        ("pat@example.com", "delivered", 1),
        ("quinn@example.com", "delivered", 1),
    ]
