"""What is accepted can be applied: a team slug labels every object of its routes, so it is a DNS label at every
team write; every create, edit and approval runs the render validation a dry run runs, so a dry run and the real
request answer alike; fields the chosen TLS mode ignores are still checked (docs/security.md, "Input")."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from routes import checks, services
from routes.models import Route
from teams import services as team_services
from teams.models import Team, TeamNamespace
from tests.api.conftest import route_body, url
from tests.factories import make_user, spec

pytestmark = pytest.mark.django_db

BAD_SLUGS = ["-sec-bad-", "sec-bad-", "_sec", "Sec", "sec_bad", "sec.bad", "x" * 64]


@pytest.mark.parametrize("slug", BAD_SLUGS)
def test_api_refuses_a_team_slug_that_cannot_label_objects(api, pat, slug):
    response = api(pat).post("/api/v1/teams/", {"slug": slug, "name": "Sec"}, format="json")

    assert response.status_code == 400, response.json()
    assert list(response.json()) == ["slug"]
    assert not Team.objects.filter(slug=slug).exists()


def test_the_slug_message_says_why(api, pat):
    response = api(pat).post("/api/v1/teams/", {"slug": "-sec-bad-", "name": "Sec"}, format="json")

    assert response.json()["slug"] == [
        (
            'Slug "-sec-bad-" is not valid: it must start and end with a letter or digit (use at most 63 lower-case '
            'letters, digits and "-", starting and ending with a letter or digit); it labels the objects of the '
            "team's routes."
        )
    ]


@pytest.mark.parametrize("slug", ["-sec-bad-", "Sec"])
def test_admin_refuses_a_team_slug_that_cannot_label_objects(admin_client_as, pat, slug):
    client = admin_client_as(pat)

    response = client.post(
        reverse("admin:teams_team_add"),
        {
            "slug": slug,
            "name": "Sec",
            "domains": "[]",
            "external_domains": "[]",
            "namespaces-TOTAL_FORMS": "0",
            "namespaces-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "it labels the objects of the team" in response.content.decode()
    assert not Team.objects.filter(slug=slug).exists()


def test_the_team_service_refuses_it_for_commands_too(pat):
    with pytest.raises(ValidationError) as refused:
        team_services.create_team(Team(slug="-sec-bad-", name="Sec"), user=pat)

    assert list(refused.value.message_dict) == ["slug"]


@pytest.mark.parametrize("slug", ["sec", "sec-2", "a", "x" * 63])
def test_a_dns_label_slug_is_accepted(api, pat, slug):
    assert api(pat).post("/api/v1/teams/", {"slug": slug, "name": "Sec"}, format="json").status_code == 201


# A team stored before slugs were checked: its routes are refused, alike in the dry run and the real request.


@pytest.fixture
def stored_bad_team(cluster):
    team = Team.objects.create(slug="-sec-bad-", name="Sec", domains=["sec.example.com"])
    TeamNamespace.objects.create(team=team, cluster=cluster, namespace="sec")
    return team


@pytest.fixture
def sec_member(stored_bad_team):
    return make_user("mallory", teams=[stored_bad_team])


def sec_body(**overrides):
    return route_body(**{"team": "-sec-bad-", "namespace": "sec", "host": "app.sec.example.com", **overrides})


def test_a_team_whose_slug_cannot_label_objects_gets_the_same_answer_with_and_without_dry_run(api, sec_member):
    client = api(sec_member)

    dry_run = client.post(url() + "?dry_run=true", sec_body(), format="json")
    real = client.post(url(), sec_body(), format="json")

    assert dry_run.status_code == real.status_code == 400
    assert dry_run.json() == real.json()
    assert real.json()["team"][0].startswith('Team "-sec-bad-" cannot own routes: its slug labels every object')
    assert not Route.objects.exists()


def test_approval_runs_the_render_validation_too(sec_member, stored_bad_team, cluster, pat):
    route = Route.objects.create(
        name="app",
        team=stored_bad_team,
        cluster=cluster,
        namespace="sec",
        host="app.sec.example.com",
        created_by=sec_member,
    )
    services._add_revision(route, 1, spec(host="app.sec.example.com"), sec_member)

    with pytest.raises(services.PolicyError):
        services.approve_route(route, user=pat)

    route.refresh_from_db()
    assert route.approved_revision is None


def test_render_violations_catch_what_policy_does_not_know(sec_member, stored_bad_team, cluster):
    violations = checks.render_violations(
        team=stored_bad_team, cluster=cluster, namespace="sec", name="app", spec=spec(host="app.sec.example.com")
    )

    assert violations and {v.field for v in violations} == {"non_field_errors"}
    assert all("portico.dev/team" in v.message for v in violations)


# Fields the chosen TLS mode ignores are checked all the same.


@pytest.mark.parametrize(
    "secret_name", ["x" * 5000, "cart\ntls", "Cart_TLS"], ids=["5000-characters", "newline", "not-a-name"]
)
@pytest.mark.parametrize("mode", ["cert-manager", "none"])
def test_a_secret_name_the_tls_mode_ignores_is_still_checked(api, alice, shop, mode, secret_name):
    shop.allow_plain_http = True
    shop.save()

    response = api(alice).post(url(), route_body(tls={"mode": mode, "secret_name": secret_name}), format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["tls"] and list(response.json()["tls"]) == ["secret_name"]
    assert not Route.objects.exists()
