"""A route cannot publish what its team does not own: an ExternalName backend never names a Service inside the
cluster, a cloud metadata endpoint or a loopback, link-local or private address, through the API (dry run
included), the pages and the approval, and the worker applies no such revision even if one was approved before
the rule (docs/security.md, "What a route may publish")."""

import pytest
import yaml
from django.urls import reverse

from routes import reconcile, services
from routes.domain.values import Backend
from routes.models import Route, RouteRevision
from teams.models import Team
from tests.api.conftest import route_body, url
from tests.factories import make_user, spec

pytestmark = pytest.mark.django_db

# Each was accepted with "valid: true" before the rule (docs/security.md, "What a route may publish").
INSIDE = [
    "frontend.shop.svc.cluster.local",
    "kubernetes.default.svc",
    "metadata.google.internal",
    "instance-data.ec2.internal",
    "frontend.shop",
    "127.0.0.1.nip.io",
]


def blog_body(external_name, **overrides):
    return route_body(
        **{
            "name": "ext",
            "team": "blog",
            "namespace": "blog",
            "host": "blog.example.com",
            "path": "/ext",
            "backend": {"external_name": external_name, "service_name": "ext", "service_port": 80},
            **overrides,
        }
    )


@pytest.mark.parametrize("external_name", INSIDE)
@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "request"])
def test_api_refuses_an_external_name_inside_the_cluster(api, bob, shop, no_throttle, external_name, dry_run):
    response = api(bob).post(url() + ("?dry_run=true" if dry_run else ""), blog_body(external_name), format="json")

    assert response.status_code == 400, response.json()
    [message] = response.json()["backend"]["external_name"]
    assert message.startswith(f'External name "{external_name}" ')
    assert not Route.objects.exists()


@pytest.mark.parametrize("external_name", INSIDE)
def test_a_platform_engineer_acting_for_the_team_is_refused_too(api, pat, other_team, shop, external_name):
    response = api(pat).post(url(), blog_body(external_name), format="json")

    assert response.status_code == 400
    assert list(response.json()["backend"]) == ["external_name"]


def test_an_edit_onto_an_internal_name_is_refused(api, bob, other_team, cluster, pat):
    route = services.submit_route(
        user=bob,
        team=other_team,
        cluster=cluster,
        namespace="blog",
        name="ext",
        spec=spec(
            host="blog.example.com",
            backend=Backend(service_name="ext", service_port=443, external_name="api.partner.com"),
        ),
    )

    response = api(bob).patch(url(route), {"backend": {"external_name": "kubernetes.default.svc"}}, format="json")

    assert response.status_code == 400
    assert "names a Service in the cluster's DNS" in response.json()["backend"]["external_name"][0]
    assert Route.objects.get(pk=route.pk).revision == 1


def test_a_public_external_name_is_accepted(api, bob, other_team):
    response = api(bob).post(url(), blog_body("api.partner.com"), format="json")

    assert response.status_code == 201, response.json()


def test_the_form_puts_the_reason_on_the_external_host_field(login, bob, other_team):
    data = {
        "team": "blog",
        "cluster": "prod-eu",
        "namespace": "blog",
        "name": "ext",
        "host": "blog.example.com",
        "path": "/",
        "path_type": "Prefix",
        "backend_kind": "external",
        "service_name": "ext",
        "service_port": "80",
        "external_name": "metadata.google.internal",
        "tls_mode": "cert-manager",
    }

    response = login(bob).post(reverse("routes:create"), data)

    assert response.status_code == 200
    assert "is a cloud metadata endpoint" in response.content.decode()
    assert not Route.objects.exists()


# A team's external_domains: only names under them, private zones included once a platform engineer lists them.


def test_a_private_zone_is_allowed_only_once_the_team_lists_it(api, bob, pat, other_team):
    refused = api(bob).post(url(), blog_body("db.corp.internal"), format="json")
    assert refused.status_code == 400 and 'under ".internal"' in refused.json()["backend"]["external_name"][0]

    changed = api(pat).patch("/api/v1/teams/blog/", {"external_domains": ["Corp.Internal."]}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["external_domains"] == ["corp.internal"]

    assert api(bob).post(url(), blog_body("db.corp.internal"), format="json").status_code == 201
    elsewhere = api(bob).post(url(), blog_body("api.partner.com", name="ext2"), format="json")
    assert elsewhere.status_code == 400
    assert (
        'is outside what team "blog" may point at: use "corp.internal"'
        in elsewhere.json()["backend"]["external_name"][0]
    )


def test_external_domains_must_be_dns_names(api, pat, other_team):
    response = api(pat).patch("/api/v1/teams/blog/", {"external_domains": ["not a domain"]}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "external_domains": [('External domain "not a domain" is not a DNS name such as "shop.example.com".')]
    }


def test_narrowing_external_domains_under_a_live_route_is_refused(api, bob, pat, other_team, cluster):
    other_team.external_domains = ["corp.internal"]
    other_team.save()
    route = services.submit_route(
        user=bob,
        team=other_team,
        cluster=cluster,
        namespace="blog",
        name="ext",
        spec=spec(
            host="blog.example.com",
            backend=Backend(service_name="ext", service_port=443, external_name="db.corp.internal"),
        ),
    )
    services.approve_route(route, user=pat)

    response = api(pat).patch("/api/v1/teams/blog/", {"external_domains": []}, format="json")

    assert response.status_code == 409
    assert "db.corp.internal" in response.json()["external_domains"][0]
    assert Team.objects.get(slug="blog").external_domains == ["corp.internal"]


# The worker judges the approved revision again: one approved before the rule is never applied, and what it
# wrote is pruned.


def approved_external(submit, pat):
    """A route of team shop, approved, with an ExternalName backend to a public name."""
    return services.approve_route(
        submit("ext", backend=Backend(service_name="ext", service_port=443, external_name="api.partner.com")), user=pat
    )


def rewrite_external_name(route, external_name):
    """What a revision approved before the rule existed looks like: its stored spec names ``external_name``."""
    revision = RouteRevision.objects.get(route=route, number=route.approved_revision)
    revision.spec = {**revision.spec, "backend": {**revision.spec["backend"], "external_name": external_name}}
    revision.save(update_fields=["spec"])


def service_files(cluster):
    return sorted(p.name for p in cluster.directory_path().rglob("service-*.yaml"))


def test_the_worker_does_not_apply_a_revision_that_publishes_the_api_server(submit, pat, cluster):
    route = approved_external(submit, pat)
    rewrite_external_name(route, "kubernetes.default.svc.cluster.local")

    assert reconcile.reconcile_route(route.pk) is reconcile.Result.DEGRADED

    assert service_files(cluster) == []
    route.refresh_from_db()
    assert route.applied_revision is None and route.health == "Degraded"
    assert any(
        'Not applied: External name "kubernetes.default.svc.cluster.local"' in c["message"] for c in route.conditions
    )


def test_a_sync_prunes_what_such_a_revision_wrote(submit, pat, cluster):
    route = approved_external(submit, pat)
    reconcile.sync_cluster(cluster.pk)
    service = yaml.safe_load((cluster.directory_path() / "shop" / service_files(cluster)[0]).read_text())
    assert service["spec"]["externalName"] == "api.partner.com"

    rewrite_external_name(route, "127.0.0.1.nip.io")
    reconcile.sync_cluster(cluster.pk)

    assert service_files(cluster) == []
    route.refresh_from_db()
    assert route.sync == "OutOfSync"
    assert any(
        'Not applied: External name "127.0.0.1.nip.io" is served by "nip.io"' in c["message"] for c in route.conditions
    )


def test_a_reviewer_cannot_approve_an_internal_name_requested_before_the_rule(submit, alice, pat):
    route = submit("ext", backend=Backend(service_name="ext", service_port=443, external_name="api.partner.com"))
    RouteRevision.objects.filter(route=route).update(
        spec={
            **route.revision_obj(1).spec,
            "backend": {"service_name": "ext", "service_port": 443, "external_name": "metadata.google.internal"},
        }
    )

    with pytest.raises(services.PolicyError) as refused:
        services.approve_route(route, user=make_user("reviewer", platform=True))

    assert [v.field for v in refused.value.violations] == ["backend.external_name"]
