"""The dashboard: my teams' routes with their badges; platform engineers also see the queue and sick clusters."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Cluster
from routes import reconcile, services
from tests.factories import spec


@pytest.mark.django_db
def test_developer_sees_their_teams_routes_with_badges_and_counts(
    login, alice, bob, other_team, cluster, approved_route, submit
):
    reconcile.reconcile_route(approved_route.pk)
    submit("api", host="api.shop.example.com")
    services.submit_route(
        user=bob,
        team=other_team,
        cluster=cluster,
        namespace="blog",
        name="blog",
        spec=spec(host="www.blog.example.com"),
    )

    html = login(alice).get(reverse("routes:dashboard")).content.decode()

    assert ">cart<" in html and ">api<" in html and ">blog<" not in html
    assert "badge-green" in html and "Healthy" in html and "Pending review" in html
    assert '<span class="stat-value">2</span><span class="stat-label">routes</span>' in html
    assert "waiting for review" not in html and "Clusters needing attention" not in html


@pytest.mark.django_db
def test_platform_engineer_sees_review_count_and_unhealthy_clusters(login, pat, submit, cluster):
    submit()
    submit("api", host="api.shop.example.com")
    Cluster.objects.create(
        name="broken",
        display_name="Broken one",
        mode="kubernetes",
        reachable=False,
        checked_at=timezone.now(),
        health_message="Cannot reach the API server",
    )
    Cluster.objects.create(
        name="fine",
        mode="kubernetes",
        reachable=True,
        ingress_class_present=True,
        cert_manager_present=True,
        issuer_present=True,
        checked_at=timezone.now(),
    )

    html = login(pat).get(reverse("routes:dashboard")).content.decode()

    assert '<span class="stat-value">2</span>' in html and "revisions waiting for review" in html
    assert "Broken one" in html and "Cannot reach the API server" in html and "#cluster-fine" not in html


@pytest.mark.django_db
def test_user_without_a_team_is_told_how_to_get_one(login, db):
    from tests.factories import make_user

    html = login(make_user("newbie")).get(reverse("routes:dashboard")).content.decode()

    assert "You are not in a team yet" in html
