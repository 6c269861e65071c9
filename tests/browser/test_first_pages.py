"""The pages a newcomer opens first, on `make run`'s demo data plus a cluster on the local kube-apiserver: the
dashboard, the route list and the clusters page tell the demo's story (and `make screenshots` keeps their
pictures in docs/screenshots)."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from playwright.sync_api import expect

from teams.models import Team
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.realkube, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(realkube):
    """load_demo's users, teams and routes, the frontend applied to cluster local, and cluster "live" on the local
    kube-apiserver, probed, where team shop may use namespace shop; everyone signs in with pw-<username>."""
    call_command("load_demo", stdout=io.StringIO())
    call_command("reconcile", cluster="local", stdout=io.StringIO())
    realkube.cluster(
        Team.objects.get(slug="shop"),
        name="live",
        display_name="Live (local kube-apiserver)",
        ingress_class="nginx",
        issuer="letsencrypt",
    )
    for user in User.objects.all():
        user.set_password(f"pw-{user.username}")
        user.save()
    return {user.username: user for user in User.objects.all()}


def test_dashboard_route_list_and_clusters_tell_the_demo_story(sign_in, demo):
    ops = sign_in(demo["platform"])
    expect(ops.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(ops.locator(".platform-panels")).to_contain_text("revisions waiting for review")
    expect(ops.locator(".platform-panels .stat-value")).to_have_text("2")  # api (shop) and blog

    dev = sign_in(demo["dev"])
    stat = dev.locator("a.stat")
    expect(stat.filter(has_text="healthy").locator(".stat-value")).to_have_text("1")  # frontend
    expect(stat.filter(has_text="pending review").locator(".stat-value")).to_have_text("1")  # api
    screenshot(dev, "dashboard")

    dev.get_by_role("link", name="Routes", exact=True).click()
    table = dev.locator("#route-table")
    for name in ("frontend", "api", "metrics"):
        expect(table).to_contain_text(name)
    expect(table).not_to_contain_text("blog.example.com")  # another team's route
    expect(table.locator("tr", has_text="metrics")).to_contain_text("Rejected")
    screenshot(dev, "route-list")

    ops.get_by_role("link", name="Clusters").click()
    live = ops.locator("#cluster-live")
    expect(live).to_contain_text("Healthy")
    expect(live).to_contain_text("nginx")
    expect(ops.locator("#cluster-local")).to_contain_text("GitOps export")
    screenshot(ops, "clusters")
