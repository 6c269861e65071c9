"""Teams and notifications left the "portal" app: their old admin addresses (in auto-approval e-mails already sent,
in bookmarks) lead to the same page at its new address."""

import pytest


@pytest.mark.django_db
def test_old_team_admin_address_leads_to_the_team_page(admin_client, shop):
    moved = admin_client.get(f"/admin/portal/team/{shop.pk}/change/?_changelist_filters=q%3Dshop")
    page = admin_client.get(moved["Location"])

    assert moved.status_code == 301
    assert moved["Location"] == f"/admin/teams/team/{shop.pk}/change/?_changelist_filters=q%3Dshop"
    assert page.status_code == 200 and 'value="shop"' in page.content.decode()


@pytest.mark.django_db
def test_old_webhook_list_address_leads_to_the_webhook_list(admin_client):
    moved = admin_client.get("/admin/portal/teamwebhook/")

    assert moved["Location"] == "/admin/notifications/teamwebhook/"
    assert admin_client.get(moved["Location"]).status_code == 200


@pytest.mark.django_db
def test_audit_trail_keeps_its_address(admin_client):
    assert admin_client.get("/admin/portal/auditevent/").status_code == 200
